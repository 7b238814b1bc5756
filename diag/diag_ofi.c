/* libfabric, loaded at run time: the one NCCL's plugin resolves when it can
 * be found (that is the one NCCL will use), else the default libfabric.so.1. */
#include <rdma/fabric.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diag_dl.h"
#include "ofi_api.h"

typedef uint32_t (*fi_version_fn)(void);
typedef int (*fi_getinfo_fn)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *,
			     struct fi_info **);
typedef void (*fi_freeinfo_fn)(struct fi_info *);
typedef struct fi_info *(*fi_dupinfo_fn)(const struct fi_info *);

static int count(fi_getinfo_fn getinfo, fi_freeinfo_fn freeinfo, uint32_t api, const struct fi_info *h)
{
	struct fi_info *all = NULL;
	int n = 0;

	if (getinfo(api, NULL, NULL, 0, h, &all) == 0)
		for (struct fi_info *i = all; i; i = i->next)
			n++;
	if (all)
		freeinfo(all);
	return n;
}

void diag_ofi_query(struct diag_facts *f)
{
	const char *names[2] = {f->plugin_lf_path, "libfabric.so.1"};
	int first = f->plugin_lf_path[0] && !f->root[0] ? 0 : 1;
	void *lib = diag_dlopen("FABCHECK_LIBFABRIC", names + first, 2 - first, &f->lf);
	fi_version_fn version = (fi_version_fn)diag_dlsym(lib, "fi_version", true, &f->lf);
	fi_getinfo_fn getinfo = (fi_getinfo_fn)diag_dlsym(lib, "fi_getinfo", true, &f->lf);
	fi_freeinfo_fn freeinfo = (fi_freeinfo_fn)diag_dlsym(lib, "fi_freeinfo", true, &f->lf);
	fi_dupinfo_fn dupinfo = (fi_dupinfo_fn)diag_dlsym(lib, "fi_dupinfo", true, &f->lf);
	struct fi_info *h;
	uint32_t runtime, api;

	if (f->lf.state != DIAG_LIB_LOADED)
		return;
	runtime = version();
	/* the newest API both the headers and the library know (common/fabric/ofi_api.h):
	 * below 1.18 the efa provider hides FI_HMEM without device RDMA, below
	 * 1.20 it refuses dmabuf, so an old request would describe another node */
	api = fc_fi_api_pick(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION), runtime);
	fc_fi_api_string(runtime, f->lf.version, sizeof(f->lf.version));
	fc_fi_api_string(api, f->lf_api, sizeof(f->lf_api));
	f->lf_known = true;
	if (!(h = dupinfo(NULL)))
		return;
	free(h->fabric_attr->prov_name);
	h->fabric_attr->prov_name = strdup("efa");
	/* every mode bit: efa-direct needs FI_CONTEXT2, and this is a survey */
	h->mode = ~0ull;
	h->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
	h->ep_attr->type = FI_EP_RDM;
	f->efa_rdm_domains = count(getinfo, freeinfo, api, h);
	h->ep_attr->type = FI_EP_DGRAM;
	f->efa_dgram_domains = count(getinfo, freeinfo, api, h);
	h->ep_attr->type = FI_EP_RDM;
	h->caps = FI_HMEM;
	h->domain_attr->mr_mode |= FI_MR_HMEM;
	f->efa_hmem = count(getinfo, freeinfo, api, h) > 0;
	freeinfo(h);
}
