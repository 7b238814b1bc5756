/* A stand-in rdma-core (libibverbs and libefa in one library) for machines
 * without EFA: the entry points fabcheck-diag loads through
 * FABCHECK_LIBIBVERBS and FABCHECK_LIBEFA, reporting EFA devices with the
 * capability bits a libefa of rdma-core v46+ sets, whatever headers the
 * program was built with.
 *   FABCHECK_STANDIN_EFA_DEVS  comma list of device names
 *   FABCHECK_STANDIN_EFA_CAPS  efadv device_caps (default 0xf: RDMA read,
 *                              RNR retry, CQ with SGID, RDMA write = 1 << 3)
 *   FABCHECK_STANDIN_FORK      ibv_is_fork_initialized (default 2: UNNEEDED) */
#define _GNU_SOURCE
#include <errno.h>
#include <infiniband/efadv.h>
#include <infiniband/verbs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEVS 64
static struct ibv_device devs[MAX_DEVS];
static struct ibv_device *list[MAX_DEVS + 1];

struct ibv_device **ibv_get_device_list(int *n)
{
	char names[4096], *save = NULL;
	const char *e = getenv("FABCHECK_STANDIN_EFA_DEVS");
	int count = 0;

	snprintf(names, sizeof(names), "%s", e ? e : "");
	for (char *s = strtok_r(names, ",", &save); s && count < MAX_DEVS; s = strtok_r(NULL, ",", &save)) {
		memset(&devs[count], 0, sizeof(devs[0]));
		snprintf(devs[count].name, sizeof(devs[0].name), "%s", s);
		list[count] = &devs[count];
		count++;
	}
	list[count] = NULL;
	if (n)
		*n = count;
	return list;
}

void ibv_free_device_list(struct ibv_device **l)
{
	(void)l;
}

const char *ibv_get_device_name(struct ibv_device *d)
{
	return d->name;
}

struct ibv_context *ibv_open_device(struct ibv_device *d)
{
	struct ibv_context *c = calloc(1, sizeof(*c));
	if (c)
		c->device = d;
	return c;
}

int ibv_close_device(struct ibv_context *c)
{
	free(c);
	return 0;
}

enum ibv_fork_status ibv_is_fork_initialized(void)
{
	const char *e = getenv("FABCHECK_STANDIN_FORK");
	return (enum ibv_fork_status)(e ? atoi(e) : 2);
}

int efadv_query_device(struct ibv_context *c, struct efadv_device_attr *attr, uint32_t inlen)
{
	const char *e = getenv("FABCHECK_STANDIN_EFA_CAPS");
	(void)c;
	if (inlen < sizeof(*attr))
		return EINVAL;
	memset(attr, 0, inlen);
	attr->max_sq_wr = 4096;
	attr->inline_buf_size = 32;
	attr->max_rdma_size = 1u << 30;
	attr->device_caps = (uint32_t)strtoul(e ? e : "0xf", NULL, 0);
	return 0;
}
