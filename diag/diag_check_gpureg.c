/* GPUDirect RDMA as tried by --traffic (diag_gpureg.c): GPU memory was
 * registered with its EFA device, CUDA calls forbidden, or it was not.
 * What was tried outranks what the drivers' files suggest. */
#include <stdio.h>
#include <string.h>

#include "diag_check.h"

static json_t *tried_details(const struct diag_facts *f, const struct diag_traffic *t)
{
	json_t *a = json_array();

	for (int i = 0; i < t->ngpureg; i++) {
		const struct diag_gpureg *r = &t->gpureg[i];
		json_array_append_new(
			a, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "cuda_device", r->ordinal, "gpu_pci",
				     r->gpu >= 0 ? f->gpus[r->gpu].pci : "", "nic", r->domain, "by_address",
				     r->va_exit ? "failed" : "registered", "by_address_error", r->va_error, "dmabuf",
				     r->dmabuf_exit ? "failed" : "registered", "dmabuf_error", r->dmabuf_error));
		json_object_set_new(json_array_get(a, json_array_size(a) - 1), "gpu_path",
				    r->gpu_path[0] ? json_string(r->gpu_path) : json_null());
	}
	return a;
}

/* GPU k as the operator finds it: its PCI address, or its CUDA number. */
static void gpu_name(const struct diag_facts *f, const struct diag_gpureg *r, char *out, size_t len)
{
	if (r->gpu >= 0)
		snprintf(out, len, "GPU %s (CUDA device %d)", f->gpus[r->gpu].pci, r->ordinal);
	else
		snprintf(out, len, "CUDA device %d", r->ordinal);
}

bool diag_gpudirect_tried(const struct diag_ctx *c, struct diag_check *k, bool required, bool plugin_skips_dmabuf,
			  const char *remedy)
{
	const struct diag_facts *f = c->f;
	const struct diag_traffic *t = &f->traffic;
	int va = 0, dmabuf = 0, usable = 0, bad = -1, staged = -1;
	char name[96];

	if (!t->ngpureg)
		return false;
	k->details = tried_details(f, t);
	for (int i = 0; i < t->ngpureg; i++) {
		const struct diag_gpureg *r = &t->gpureg[i];
		/* a registration with CUDA calls allowed is staging, not
		 * GPUDirect: aws-ofi-nccl forbids them and fails there */
		bool st = !strcmp(r->gpu_path, "staged");
		bool ok_va = !r->va_exit && !st, ok_db = !r->dmabuf_exit && !st;
		va += ok_va, dmabuf += ok_db;
		if (st && staged < 0)
			staged = i;
		if (ok_va || (ok_db && !plugin_skips_dmabuf))
			usable++;
		else if (bad < 0)
			bad = i;
	}
	if (bad < 0) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "GPU memory registered on %d GPU(s), each with its closest EFA device and CUDA calls forbidden "
			 "as aws-ofi-nccl does: by address (peer memory) on %d, by dmabuf on %d",
			 t->ngpureg, va, dmabuf);
		return true;
	}
	const struct diag_gpureg *r = &t->gpureg[bad];
	gpu_name(f, r, name, sizeof(name));
	if (staged == bad)
		diag_set(k, required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG, remedy,
			 "%s with %s: the provider needs CUDA calls to move this memory (FI_OPT_CUDA_API_PERMITTED "
			 "refused): no GPUDirect path, NCCL stages through host memory%s",
			 name, r->domain[0] ? r->domain : "the provider's first device",
			 required ? "; aws-ofi-nccl requires GPUDirect on this type" : "");
	else if (!r->dmabuf_exit && plugin_skips_dmabuf)
		diag_set(k, required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
			 "update aws-ofi-nccl to 1.20.0 or newer (EFA installer), or install the EFA driver's NVIDIA p2p "
			 "path (EFA installer, NVIDIA driver loaded)",
			 "%s with %s registers only by dmabuf, which aws-ofi-nccl %s does not use on this EFA "
			 "generation; by address: %s%s",
			 name, r->domain[0] ? r->domain : "the provider's first device", f->plugin_version, r->va_error,
			 required ? "; aws-ofi-nccl requires GPUDirect on this type" : "");
	else
		diag_set(k, required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG, remedy,
			 "%s with %s: GPU memory could not be registered (%d of %d GPUs could); by address: %s; by "
			 "dmabuf: %s%s",
			 name, r->domain[0] ? r->domain : "the provider's first device", usable, t->ngpureg, r->va_error, r->dmabuf_error,
			 required ? "; aws-ofi-nccl requires GPUDirect on this type" : "");
	return true;
}
