/* Checks of the GPUs: count, memory health, NVLink, the NVSwitch fabric,
 * their closest EFA devices, GPUDirect RDMA. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag_check.h"
#include "diag_parse.h"

/* NVIDIA's page retirement limit is 64 per GPU (A100 memory error
 * management guide); fabcheck calls 60 worn out, NVIDIA's usual RMA mark. */
#define RETIRED_PAGES_LIMIT 60
#define NVML_VERSION_MISMATCH 18 /* NVML_ERROR_LIB_RM_VERSION_MISMATCH */
#define FABRIC_STATE_NOT_SUPPORTED 0
#define FABRIC_STATE_COMPLETED 3

static bool nvml_usable(const struct diag_facts *f)
{
	return f->nvml.state == DIAG_LIB_LOADED;
}

static bool skip_without_gpus(const struct diag_facts *f, struct diag_check *k)
{
	if (!diag_nvidia_gpus(f)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no NVIDIA GPUs here");
		return true;
	}
	return false;
}

static bool skip_without_nvml(const struct diag_facts *f, struct diag_check *k)
{
	if (skip_without_gpus(f, k))
		return true;
	if (!nvml_usable(f)) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "NVML not usable (see gpus)");
		return true;
	}
	return false;
}

void diag_check_gpus(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int want = f->it ? f->it->gpus : 0;
	/* in a pod NVML sees the GPUs allocated to it, sysfs all of the host's */
	int expect_nvml = f->k8s && f->dev_gpus >= 0 ? f->dev_gpus : f->ngpus;

	if (skip_without_gpus(f, k))
		return;
	if (want && f->ngpus != want) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_REPLACE,
			 "a GPU missing from the PCI bus is a hardware fault: stop using the node and replace it",
			 "%d of %d NVIDIA GPUs on the PCI bus", f->ngpus, want);
		return;
	}
	if (f->nvml.state == DIAG_LIB_MISSING) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "install the NVIDIA driver; in a container, run it with the NVIDIA container runtime "
			 "(--gpus all, or the nvidia.com/gpu resource)",
			 "the NVIDIA driver's NVML does not load (%s): CUDA and NCCL cannot use the GPUs", f->nvml.error);
		return;
	}
	if (f->nvml.state == DIAG_LIB_BROKEN && f->nvml.code == NVML_VERSION_MISMATCH) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT,
			 "reboot the node: the NVIDIA driver was upgraded under the loaded kernel module",
			 "%s: the driver library and the kernel module differ", f->nvml.error);
		return;
	}
	if (f->nvml.state != DIAG_LIB_LOADED) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, "check nvidia-smi and the NVIDIA driver installation", "NVML: %s",
			 f->nvml.error);
		return;
	}
	if (f->nvml_gpus < expect_nvml) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT, "reboot the node; a GPU that stays off the bus needs a new node",
			 "NVML sees %d of the %d GPU(s) %s (a GPU that fell off the bus: Xid 79)", f->nvml_gpus,
			 expect_nvml, f->k8s && f->dev_gpus >= 0 ? "this pod was given" : "on the PCI bus");
		return;
	}
	diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d NVIDIA GPU(s) on the PCI bus, %d seen by NVML (driver %s)", f->ngpus,
		 f->nvml_gpus, *f->nvidia_driver ? f->nvidia_driver : "unknown");
}

void diag_check_gpu_memory(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int failed = 0, ecc = 0, pending = 0, worn = 0, past = 0;
	char what[600] = "";
	json_t *all;

	if (skip_without_nvml(f, k))
		return;
	all = json_object();
	for (int i = 0; i < f->ngpus; i++) {
		const struct diag_gpu *g = &f->gpus[i];
		json_t *o;
		const char *bad = NULL;
		if (!g->nvml_seen)
			continue;
		o = json_pack("{s:I, s:I, s:i, s:i, s:i, s:i, s:i}", "ecc_volatile_uncorrected", g->ecc_volatile_unc,
			      "ecc_aggregate_uncorrected", g->ecc_aggregate_unc, "retired_pages", g->retired_pages,
			      "retired_pending", g->retired_pending, "remapped_rows_uncorrectable", g->remap_unc,
			      "remap_pending", g->remap_pending, "remap_failed", g->remap_failed);
		json_object_set_new(all, g->pci, o);
		if (g->remap_failed == 1 && ++failed)
			bad = "row remapping failed (no spare rows left)";
		else if (g->retired_pages >= RETIRED_PAGES_LIMIT && ++worn)
			bad = "retired pages at the limit";
		else if (g->ecc_volatile_unc > 0 && ++ecc)
			bad = "uncorrectable ECC errors since the driver loaded";
		else if ((g->remap_pending == 1 || g->retired_pending == 1) && ++pending)
			bad = "a row remap or page retirement waits for a GPU reset";
		else if (g->ecc_aggregate_unc > 0 && ++past)
			bad = "uncorrectable ECC errors in its lifetime";
		if (bad && strlen(what) < 450)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sGPU %s: %s", *what ? "; " : "", g->pci,
				 bad);
	}
	k->details = all;
	if (failed || worn)
		diag_set(k, DIAG_FAIL, DIAG_ACT_REPLACE,
			 "replace the node: a GPU whose memory cannot be repaired any more is an RMA case (NVIDIA's "
			 "GPU memory error management guide)",
			 "%s", what);
	else if (ecc || pending)
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT,
			 "reboot the node (a GPU reset applies pending remaps and retirements; until then new CUDA "
			 "contexts avoid the GPU or hit the bad memory)",
			 "%s", what);
	else if (past)
		diag_set(k, DIAG_WARN, DIAG_ACT_MONITOR, "watch whether the count grows between runs", "%s", what);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "no uncorrectable ECC errors, no pending or failed row remaps or page retirements");
}

void diag_check_nvlink(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int gpus = 0, links = 0, down = 0;
	char what[500] = "";

	if (skip_without_nvml(f, k))
		return;
	for (int i = 0; i < f->ngpus; i++) {
		const struct diag_gpu *g = &f->gpus[i];
		if (!g->nvml_seen || g->nvlinks_active + g->nvlinks_inactive == 0)
			continue;
		gpus++;
		links += g->nvlinks_active + g->nvlinks_inactive;
		if (g->nvlinks_inactive > 0) {
			down++;
			if (strlen(what) < 400)
				snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sGPU %s: %d of %d links down",
					 *what ? "; " : "", g->pci, g->nvlinks_inactive,
					 g->nvlinks_active + g->nvlinks_inactive);
		}
	}
	if (!gpus)
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no NVLink on these GPUs (or the driver does not report it)");
	else if (down)
		diag_set(k, DIAG_FAIL, DIAG_ACT_REBOOT, "reboot the node; if links stay down, replace the node", "%s", what);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d GPU(s), %d NVLink links, all active", gpus, links);
}

enum { CUDA_ERROR_NO_DEVICE = 100, CUDA_ERROR_SYSTEM_NOT_READY = 802 };

/* NVML first: it reports the GPUs' fabric state on Hopper and later, where
 * GB200's NVSwitches are not on the node's PCI bus. Where it does not (an
 * A100, a p4d), CUDA: on an NVSwitch system cuInit fails with
 * CUDA_ERROR_SYSTEM_NOT_READY until the fabric manager has set the fabric
 * up, and succeeds only once it has. */
void diag_check_fabric_manager(const struct diag_ctx *c, struct diag_check *k)
{
	static const char remedy[] = "start nvidia-fabricmanager (same version as the driver) and wait for it; if "
				     "GPUs still fail to register, reboot";
	const struct diag_facts *f = c->f;
	int known = 0, bad = 0;
	char what[400] = "";

	if (skip_without_gpus(f, k))
		return;
	for (int i = 0; nvml_usable(f) && i < f->ngpus; i++) {
		const struct diag_gpu *g = &f->gpus[i];
		if (!g->nvml_seen || g->fabric_state < 0 || g->fabric_state == FABRIC_STATE_NOT_SUPPORTED)
			continue;
		known++;
		if (g->fabric_state != FABRIC_STATE_COMPLETED || g->fabric_status != 0) {
			bad++;
			if (strlen(what) < 300)
				snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sGPU %s: %s",
					 *what ? "; " : "", g->pci,
					 g->fabric_state != FABRIC_STATE_COMPLETED ? "not registered with the fabric yet"
										   : "fabric registration failed");
		}
	}
	if (bad) {
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, remedy, "%s", what);
		return;
	}
	if (known) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "%d GPU(s) registered with the NVLink fabric%s", known,
			 f->nvswitches ? "" : " (its switches are not on this node's PCI bus)");
		return;
	}
	if (!f->nvswitches) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL,
			 "no NVSwitch on the PCI bus, and NVML reports no fabric state for these GPUs");
		return;
	}
	if (diag_gpus_hidden(f) || f->cuda_init_rc < 0 || f->cuda_init_rc == CUDA_ERROR_NO_DEVICE) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL,
			 "%d NVSwitch(es); the driver does not report the GPUs' fabric state and CUDA %s", f->nvswitches,
			 diag_gpus_hidden(f) ? "sees no GPU (CUDA_VISIBLE_DEVICES hides them)"
			 : f->cuda_init_rc < 0 ? "was not asked (see gpudirect)"
					       : "sees no GPU");
		return;
	}
	if (f->cuda_init_rc == CUDA_ERROR_SYSTEM_NOT_READY)
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG, remedy,
			 "%d NVSwitch(es), and CUDA does not start: cuInit says the system is not ready "
			 "(CUDA_ERROR_SYSTEM_NOT_READY, 802), what it says until the fabric manager has set up the "
			 "NVLink fabric",
			 f->nvswitches);
	else if (f->cuda_init_rc)
		diag_set(k, DIAG_FAIL, DIAG_ACT_CONFIG,
			 "check that nvidia-fabricmanager runs (same version as the driver) and that the driver loaded; "
			 "then reboot",
			 "%d NVSwitch(es), and CUDA does not start: cuInit failed with CUresult %d", f->nvswitches,
			 f->cuda_init_rc);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "%d NVSwitch(es); CUDA started, which it does on an NVSwitch system only once the fabric "
			 "manager has set up the fabric",
			 f->nvswitches);
}

void diag_check_affinity(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	double per = f->it ? f->it->nics_per_gpu : 0;
	int need = per < 1 ? 1 : (int)lround(per), thin = 0;
	json_t *map;

	if (skip_without_gpus(f, k))
		return;
	if (!f->ngpus || !f->ndevs) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no %s to place", f->ngpus ? "EFA devices" : "GPUs");
		return;
	}
	if (per == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "the instance table has no PCIe layout for %s",
			 *f->instance ? f->instance : "this type");
		return;
	}
	if (!f->topo_known) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "hwloc could not read the PCI tree");
		return;
	}
	map = json_object();
	for (int g = 0; g < f->ngpus; g++) {
		const struct diag_gpu *gp = &f->gpus[g];
		json_t *nics = json_array();
		for (int i = 0; i < gp->nclosest; i++)
			json_array_append_new(nics, json_string(f->devs[gp->closest[i]].name));
		/* one NIC per two GPUs (p4d): each GPU has exactly one closest NIC */
		if (gp->nclosest < need || (per < 1 && gp->nclosest > 1))
			thin++;
		json_object_set_new(map, gp->pci, nics);
	}
	k->details = map;
	if (thin)
		diag_set(k, DIAG_WARN, DIAG_ACT_CONFIG,
			 "attach every EFA device (see efa_devices) and compare the PCIe layout (nvidia-smi topo -m)",
			 "%d of %d GPUs lack the %g EFA device(s) behind their PCIe switch a %s has", thin, f->ngpus, per,
			 f->instance);
	else
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "every GPU has its closest EFA device(s), %g per GPU as a %s should", per,
			 f->instance);
}

/* aws-ofi-nccl 1.14.0 to 1.19.x leave dmabuf off on EFA generations 1-3:
 * p4d, p4de, p5, p5e; by PCI id (0xefa0-0xefa2) where the type is unknown */
static bool plugin_skips_dmabuf(const struct diag_facts *f)
{
	static const char *const families[] = {"p4d.", "p4de.", "p5.", "p5e."};
	bool old_gen = false;

	if (!f->plugin_version[0] || diag_version_cmp(f->plugin_version, "1.14") < 0 ||
	    diag_version_cmp(f->plugin_version, "1.20") >= 0)
		return false;
	if (f->it) {
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			old_gen |= !strncmp(f->instance, families[i], strlen(families[i]));
		return old_gen;
	}
	for (int i = 0; i < f->ndevs; i++)
		old_gen |= !strcasecmp(f->devs[i].pci_device, "0xefa0") || !strcasecmp(f->devs[i].pci_device, "0xefa1") ||
			   !strcasecmp(f->devs[i].pci_device, "0xefa2");
	return old_gen;
}

void diag_check_gpudirect(const struct diag_ctx *c, struct diag_check *k)
{
	const struct diag_facts *f = c->f;
	int with_p2p = 0, nv = 0, x, y;
	bool kernel = diag_kernel_at_least(f->kernel, 5, 12), lf = diag_version_cmp(f->lf_api, "1.20") >= 0;
	bool required = f->it && f->it->gdr_required;
	char remedy[600];

	if (skip_without_gpus(f, k))
		return;
	if (f->ndevs == 0) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, "no EFA devices");
		return;
	}
	for (int i = 0; i < f->ndevs; i++)
		with_p2p += f->devs[i].p2p[0] != '\0';
	/* GPUDirect RDMA needs the hardware: AWS says g6e has none (aws-ofi-nccl
	 * issue 547), whatever the driver registers */
	if (f->it && !f->it->gdr_supported) {
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL,
			 "a %s has no GPUDirect RDMA in hardware%s: NCCL stages GPU buffers through host memory",
			 f->instance, with_p2p ? ", although the EFA driver registers a p2p provider" : "");
		return;
	}
	snprintf(remedy, sizeof(remedy),
		 "install the EFA installer's driver (NVIDIA p2p) with the NVIDIA driver loaded, or use kernel 5.12+ "
		 "with the NVIDIA open kernel modules and libfabric 1.20+ (dmabuf)");
	diag_parse_version(f->nvidia_driver, &nv, &x, &y);
	if (nv >= 580 && diag_version_cmp(f->efa_driver, "2.17.3") < 0)
		snprintf(remedy + strlen(remedy), sizeof(remedy) - strlen(remedy),
			 "; with NVIDIA driver %s the EFA driver must be r2.17.3 or newer", f->nvidia_driver);
	if (diag_gpudirect_tried(c, k, required, plugin_skips_dmabuf(f), remedy))
		return;
	/* not tried (no --traffic): inferred from the drivers' files */
	if (with_p2p == f->ndevs) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL, "every EFA device has a p2p provider ('%s'); inferred, %s%s",
			 f->devs[0].p2p,
			 f->traffic.gpureg_skipped[0] ? "GPU memory not tried: " : "--traffic registers GPU memory to prove it",
			 f->traffic.gpureg_skipped);
		return;
	}
	if (diag_gpus_hidden(f)) { /* dmabuf support is asked of CUDA, which sees no GPU then */
		diag_set(k, DIAG_SKIP, DIAG_ACT_NONE, NULL, DIAG_GPUS_HIDDEN_WHY);
		return;
	}
	/* dmabuf as aws-ofi-nccl requires it (src/nccl_ofi_dmabuf.cpp): kernel
	 * 5.12+ (RDMA dmabuf import), CUDA reports dmabuf, libfabric API 1.20+;
	 * from 1.14 until 1.20.0 it does not use dmabuf on EFA generations 1-3 */
	if (kernel && f->cuda_dmabuf == 1 && lf && plugin_skips_dmabuf(f)) {
		diag_set(k, required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG,
			 "update aws-ofi-nccl to 1.20.0 or newer (EFA installer), or install the EFA driver's NVIDIA p2p "
			 "path (EFA installer, NVIDIA driver loaded)",
			 "no EFA device has a p2p provider, and aws-ofi-nccl %s does not use dmabuf on a %s (EFA "
			 "generations 1-3, from 1.14 until 1.20.0): NCCL has no GPUDirect path here%s",
			 f->plugin_version, *f->instance ? f->instance : "this node",
			 required ? "; aws-ofi-nccl requires GPUDirect on this type" : "");
		return;
	}
	if (kernel && f->cuda_dmabuf == 1 && lf) {
		diag_set(k, DIAG_PASS, DIAG_ACT_NONE, NULL,
			 "dmabuf: kernel %s >= 5.12, CUDA reports dmabuf support on every GPU, libfabric API %s >= 1.20",
			 f->kernel, f->lf_api);
		return;
	}
	diag_set(k, required ? DIAG_FAIL : DIAG_WARN, DIAG_ACT_CONFIG, remedy,
		 "%d of %d EFA devices have a p2p provider (device/p2p); dmabuf: kernel %s%s, CUDA dmabuf %s, "
		 "libfabric API %s%s",
		 with_p2p, f->ndevs, *f->kernel ? f->kernel : "unknown", kernel ? "" : " < 5.12",
		 f->cuda_dmabuf == 1 ? "yes" : f->cuda_dmabuf == 0 ? "no" : "unknown", *f->lf_api ? f->lf_api : "unknown",
		 required ? "; aws-ofi-nccl requires GPUDirect on this type" : "");
}
