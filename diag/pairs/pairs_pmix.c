/* Rank 0's addresses, shared through the launcher's PMIx server (Open
 * MPI's mpirun, srun --mpi=pmix): every rank learns where rank 0 listens,
 * wherever mpirun itself runs (a login node, a head node outside the
 * hostfile). The library is opened at run time: fabcheck-pairs starts on
 * nodes without one, and then the caller falls back to mpirun's address.
 * Only the types come from <pmix.h>; its helper macros call into the
 * library, so the few fields used are set by hand. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pairs_launch.h"

#define COORD_KEY "fabcheck.rank0.addrs"
#define FENCE_TIMEOUT_S 60 /* every rank of one mpirun starts within seconds */

/* This node's IPv4 addresses but loopback, comma separated, in interface
 * order ("127.0.0.1" when it has no other): what rank 0 offers. */
int fc_local_addresses(char *out, size_t len)
{
	struct ifaddrs *ifa, *i;
	size_t o = 0;

	if (len < INET_ADDRSTRLEN || getifaddrs(&ifa))
		return -1;
	*out = '\0';
	for (i = ifa; i; i = i->ifa_next) {
		char a[INET_ADDRSTRLEN];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, a, sizeof(a));
		if (o + strlen(a) + 2 > len)
			break;
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", a);
	}
	freeifaddrs(ifa);
	if (!o)
		snprintf(out, len, "127.0.0.1");
	return 0;
}

#if defined(FC_HAVE_PMIX)
#include <pmix.h>

struct pmix_api {
	pmix_status_t (*init)(pmix_proc_t *, pmix_info_t *, size_t);
	pmix_status_t (*put)(pmix_scope_t, const char *, pmix_value_t *);
	pmix_status_t (*commit)(void);
	pmix_status_t (*fence)(const pmix_proc_t *, size_t, const pmix_info_t *, size_t);
	pmix_status_t (*get)(const pmix_proc_t *, const char *, const pmix_info_t *, size_t, pmix_value_t **);
	pmix_status_t (*finalize)(const pmix_info_t *, size_t);
};

static void *open_pmix(struct pmix_api *api)
{
	static const char *const names[] = {"libpmix.so.2", "libpmix.so"};
	void *h = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return NULL;
	*(void **)&api->init = dlsym(h, "PMIx_Init");
	*(void **)&api->put = dlsym(h, "PMIx_Put");
	*(void **)&api->commit = dlsym(h, "PMIx_Commit");
	*(void **)&api->fence = dlsym(h, "PMIx_Fence");
	*(void **)&api->get = dlsym(h, "PMIx_Get");
	*(void **)&api->finalize = dlsym(h, "PMIx_Finalize");
	if (!api->init || !api->put || !api->commit || !api->fence || !api->get || !api->finalize) {
		dlclose(h);
		return NULL;
	}
	return h;
}

/* Every rank calls this once (the fence waits for all of them): rank 0
 * puts its addresses, all read them back. */
int fc_pmix_rank0_addresses(char *out, size_t len)
{
	struct pmix_api api;
	pmix_proc_t me, all, zero;
	pmix_info_t info[2];
	pmix_value_t v, *got = NULL;
	char mine[1024];
	bool ok = false;
	void *h;
	int rc;

	if (!(h = open_pmix(&api)))
		return -1;
	memset(&me, 0, sizeof(me));
	if (api.init(&me, NULL, 0) != PMIX_SUCCESS) {
		dlclose(h);
		return -1;
	}
	all = me;
	all.rank = PMIX_RANK_WILDCARD;
	zero = me;
	zero.rank = 0;
	memset(info, 0, sizeof(info));
	snprintf(info[0].key, sizeof(info[0].key), "%s", PMIX_COLLECT_DATA);
	info[0].value.type = PMIX_BOOL;
	info[0].value.data.flag = true;
	snprintf(info[1].key, sizeof(info[1].key), "%s", PMIX_TIMEOUT);
	info[1].value.type = PMIX_INT;
	info[1].value.data.integer = FENCE_TIMEOUT_S;
	rc = PMIX_SUCCESS;
	if (me.rank == 0 && fc_local_addresses(mine, sizeof(mine)) == 0) {
		memset(&v, 0, sizeof(v));
		v.type = PMIX_STRING;
		v.data.string = mine;
		rc = api.put(PMIX_GLOBAL, COORD_KEY, &v);
		if (rc == PMIX_SUCCESS)
			rc = api.commit();
	}
	if (rc == PMIX_SUCCESS)
		rc = api.fence(&all, 1, info, 2);
	if (rc == PMIX_SUCCESS && api.get(&zero, COORD_KEY, NULL, 0, &got) == PMIX_SUCCESS && got &&
	    got->type == PMIX_STRING && got->data.string && strlen(got->data.string) < len) {
		snprintf(out, len, "%s", got->data.string);
		ok = true;
	}
	if (got) { /* what PMIX_VALUE_RELEASE does for a string, in every version */
		if (got->type == PMIX_STRING)
			free(got->data.string);
		free(got);
	}
	/* finalized, or mpirun reports a process that "exited without
	 * finalizing" and fails the job; the library stays loaded, as
	 * handlers it registered may run at exit */
	api.finalize(NULL, 0);
	return ok ? 0 : -1;
}
#else
int fc_pmix_rank0_addresses(char *out, size_t len)
{
	(void)out;
	(void)len;
	return -1; /* built without <pmix.h>: mpirun's own address is used */
}
#endif
