/* Device attributes through rdma-core, loaded at run time (libibverbs and
 * libefa), the sequence libfabric's efa provider uses: list the verbs
 * devices, open each, efadv_query_device. efadv answers only for EFA
 * devices (EOPNOTSUPP otherwise). */
#include <errno.h>
#include <infiniband/efadv.h>
#include <infiniband/verbs.h>
#include <stdio.h>

#include "diag.h"
#include "diag_dl.h"

/* RDMA write. In rdma-core's efadv.h (v46 and later) the name is an enum
 * member, not a macro, so "#ifdef EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE" is
 * never true: the build finds it with a compile test, as libfabric's
 * configure does (HAVE_CAPS_RDMA_WRITE). Headers older than v46 lack it; the
 * bit is rdma-core ABI (1 << 3 since v46) and a newer libefa loaded at run
 * time sets it, so it is read either way. */
#if FC_HAVE_EFADV_CAPS_RDMA_WRITE
#define DIAG_CAPS_RDMA_WRITE EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE
_Static_assert(EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE == (1 << 3), "rdma-core changed the RDMA write bit");
#else
#define DIAG_CAPS_RDMA_WRITE (1 << 3)
#endif

typedef struct ibv_device **(*get_list_fn)(int *);
typedef void (*free_list_fn)(struct ibv_device **);
typedef const char *(*get_name_fn)(struct ibv_device *);
typedef struct ibv_context *(*open_fn)(struct ibv_device *);
typedef int (*close_fn)(struct ibv_context *);
typedef enum ibv_fork_status (*fork_fn)(void);
typedef int (*efadv_query_fn)(struct ibv_context *, struct efadv_device_attr *, uint32_t);

/* libibverbs.so.1.14.<rdma-core major>.0 and libefa.so.1.N.<major>.0 */
static int rdma_core_major(const char *path)
{
	const char *s = strstr(path, ".so.1.");
	int a, b;

	return s && sscanf(s, ".so.1.%d.%d", &a, &b) == 2 ? b : 0;
}

void diag_rdma_query(struct diag_facts *f)
{
	static const char *const verbs_names[] = {"libibverbs.so.1"};
	static const char *const efa_names[] = {"libefa.so.1"};
	void *verbs = diag_dlopen("FABCHECK_LIBIBVERBS", verbs_names, 1, &f->ibverbs);
	void *efa = diag_dlopen("FABCHECK_LIBEFA", efa_names, 1, &f->efadv);
	get_list_fn get_list = (get_list_fn)diag_dlsym(verbs, "ibv_get_device_list", true, &f->ibverbs);
	free_list_fn free_list = (free_list_fn)diag_dlsym(verbs, "ibv_free_device_list", true, &f->ibverbs);
	get_name_fn get_name = (get_name_fn)diag_dlsym(verbs, "ibv_get_device_name", true, &f->ibverbs);
	open_fn open_dev = (open_fn)diag_dlsym(verbs, "ibv_open_device", true, &f->ibverbs);
	close_fn close_dev = (close_fn)diag_dlsym(verbs, "ibv_close_device", true, &f->ibverbs);
	/* since rdma-core 35 */
	fork_fn fork_status = (fork_fn)diag_dlsym(verbs, "ibv_is_fork_initialized", false, &f->ibverbs);
	efadv_query_fn query = (efadv_query_fn)diag_dlsym(efa, "efadv_query_device", true, &f->efadv);
	struct ibv_device **list;
	int n = 0;

	f->rdma_core = rdma_core_major(f->ibverbs.path);
	if (!f->rdma_core)
		f->rdma_core = rdma_core_major(f->efadv.path);
	if (f->rdma_core)
		snprintf(f->ibverbs.version, sizeof(f->ibverbs.version), "%d", f->rdma_core);
	if (f->ibverbs.state != DIAG_LIB_LOADED)
		return;
	if (fork_status)
		f->fork_unneeded = fork_status() == IBV_FORK_UNNEEDED;
	if (f->efadv.state != DIAG_LIB_LOADED || !(list = get_list(&n)))
		return;
	for (int i = 0; i < n; i++) {
		struct efadv_device_attr attr;
		struct ibv_context *ctx;
		const char *name = get_name(list[i]);
		struct diag_efa_dev *v = NULL;

		for (int d = 0; name && d < f->ndevs; d++)
			if (!strcmp(f->devs[d].name, name))
				v = &f->devs[d];
		if (!v || !(ctx = open_dev(list[i])))
			continue;
		memset(&attr, 0, sizeof(attr));
		/* positive errno; EOPNOTSUPP: not an EFA device */
		if (query(ctx, &attr, sizeof(attr)) == 0) {
			v->have_caps = true;
			v->max_rdma = attr.max_rdma_size;
			v->rdma_read = attr.device_caps & EFADV_DEVICE_ATTR_CAPS_RDMA_READ;
			v->rdma_write = attr.device_caps & DIAG_CAPS_RDMA_WRITE;
		}
		close_dev(ctx);
	}
	free_list(list);
}
