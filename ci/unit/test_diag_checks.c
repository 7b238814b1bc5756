/* fabcheck-diag's verdicts from facts built here: a healthy p5.48xlarge,
 * then one thing wrong at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "diag_check.h"

static const struct diag_itype P5 = {.type = "p5.48xlarge", .accel = "h100", .gpus = 8, .efa = 32, .nic_gbps = 100,
				.rdma_read = true, .rdma_write = true, .rdma_sourced = true, .efa_sourced = true,
				.gbps_sourced = true, .nics_per_gpu = 4, .gdr_supported = true, .gdr_required = true,
				.source = "K,U,O"};
static const struct diag_itype G6E = {.type = "g6e.48xlarge", .accel = "l40s", .gpus = 8, .efa = 4, .nic_gbps = 100,
				 .rdma_read = true, .rdma_write = true, .rdma_sourced = false, .efa_sourced = true,
				 .gbps_sourced = true, .nics_per_gpu = 0.5, .gdr_supported = false,
				 .gdr_required = false, .source = "K,A"};

static struct diag_facts F;
static struct diag_check K[DIAG_NCHECKS];

static void lib(struct diag_libinfo *l, const char *path, const char *version)
{
	memset(l, 0, sizeof(*l));
	l->state = DIAG_LIB_LOADED;
	diag_copy(l->path, sizeof(l->path), path);
	diag_copy(l->version, sizeof(l->version), version);
}

static void healthy(const struct diag_itype *it)
{
	struct diag_facts *f = &F;
	int per = it->nics_per_gpu >= 1 ? (int)it->nics_per_gpu : 1;

	memset(f, 0, sizeof(*f));
	diag_env_capture(f);
	for (int i = 0; i < f->nenv; i++)
		f->env[i].set = false;
	f->it = it;
	diag_copy(f->instance, sizeof(f->instance), it->type);
	f->instance_from = "DMI product name";
	lib(&f->lf, "/opt/amazon/efa/lib/libfabric.so.1.26.0", "2.1");
	diag_copy(f->lf_api, sizeof(f->lf_api), "2.1");
	f->lf_known = true;
	f->efa_rdm_domains = 2 * it->efa;
	f->efa_dgram_domains = it->efa;
	f->efa_hmem = true;
	f->lf_installer_present = true;
	diag_copy(f->plugin_path, sizeof(f->plugin_path), "/opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so");
	diag_copy(f->plugin_needs_lf, sizeof(f->plugin_needs_lf), "libfabric.so.1");
	diag_copy(f->plugin_lf_path, sizeof(f->plugin_lf_path), "/opt/amazon/efa/lib/libfabric.so.1");
	lib(&f->ibverbs, "libibverbs.so.1.14.55.0", "55");
	lib(&f->efadv, "libefa.so.1.3.55.0", "");
	f->rdma_core = 55;
	f->fork_unneeded = 1;
	diag_copy(f->kernel, sizeof(f->kernel), "6.8.0-1021-aws");
	diag_copy(f->efa_driver, sizeof(f->efa_driver), "2.17.1g");
	f->ndevs = it->efa;
	for (int d = 0; d < f->ndevs; d++) {
		struct diag_efa_dev *v = &f->devs[d];
		snprintf(v->name, sizeof(v->name), "rdmap%ds0", 16 + d);
		snprintf(v->pci, sizeof(v->pci), "0000:%02x:00.0", 16 + d);
		snprintf(v->state, sizeof(v->state), "4: ACTIVE");
		v->rate_gbps = it->nic_gbps;
		snprintf(v->p2p, sizeof(v->p2p), "NVIDIA");
		v->have_caps = true;
		v->rdma_read = it->rdma_read;
		v->rdma_write = it->rdma_write;
		v->before = (struct diag_counters){.read = true};
		v->after = v->before;
	}
	f->sample_seconds = 1;
	f->ngpus = it->gpus;
	f->topo_known = true;
	lib(&f->nvml, "libnvidia-ml.so.1", "570.124.06");
	diag_copy(f->nvidia_driver, sizeof(f->nvidia_driver), "570.124.06");
	f->nvml_gpus = it->gpus;
	f->nvswitches = 4;
	for (int g = 0; g < f->ngpus; g++) {
		struct diag_gpu *gp = &f->gpus[g];
		snprintf(gp->pci, sizeof(gp->pci), "0000:%02x:00.0", 0x80 + g);
		gp->nvml_seen = true;
		gp->retired_pending = gp->remap_pending = gp->remap_failed = 0;
		gp->nvlinks_active = 18;
		gp->fabric_state = 3;
		gp->nclosest = per;
		for (int i = 0; i < per; i++)
			gp->closest[i] = (g * per + i) % f->ndevs;
		gp->closest_hops = 4;
	}
	f->cuda_dmabuf = -1;
	f->memlock = -1;
	f->cgroup_max = -1;
	f->hugepages_total = f->hugepages_free = 0;
	f->uverbs = f->dev_gpus = -1;
}

static const struct diag_check *check(const char *id)
{
	diag_free_checks(K, DIAG_NCHECKS);
	diag_run_checks(&F, false, K);
	for (int i = 0; i < DIAG_NCHECKS; i++)
		if (!strcmp(K[i].id, id))
			return &K[i];
	fail_msg("no check %s", id);
	return NULL;
}

#define assert_verdict(id, verdict) assert_string_equal(diag_verdict_name(check(id)->v), diag_verdict_name(verdict))

static void healthy_p5_passes_every_check_it_can(void **s)
{
	(void)s;
	healthy(&P5);
	diag_free_checks(K, DIAG_NCHECKS);
	diag_run_checks(&F, false, K);
	for (int i = 0; i < DIAG_NCHECKS; i++) {
		bool skip = !strcmp(K[i].id, "kubernetes") || !strcmp(K[i].id, "traffic");
		if (K[i].v != (skip ? DIAG_SKIP : DIAG_PASS))
			fail_msg("%s: %s %s", K[i].id, diag_verdict_name(K[i].v), K[i].reason);
		assert_int_equal(K[i].act, DIAG_ACT_NONE);
		assert_string_equal(K[i].remedy, "");
	}
}

/* GB200: the NVSwitches are in the rack, not on the node's PCI bus; NVML
 * still reports each GPU's fabric state, and is asked first */
static void fabric_state_is_judged_without_nvswitches_on_the_bus(void **s)
{
	(void)s;
	healthy(&P5);
	F.nvswitches = 0;
	assert_verdict("fabric_manager", DIAG_PASS);
	F.gpus[3].fabric_state = 1; /* in progress */
	assert_verdict("fabric_manager", DIAG_FAIL);
	/* no fabric state from NVML, no switch on the bus: nothing to judge */
	for (int g = 0; g < F.ngpus; g++)
		F.gpus[g].fabric_state = 0;
	assert_verdict("fabric_manager", DIAG_SKIP);
	/* with switches on the bus, CUDA starting or not decides */
	F.nvswitches = 6;
	F.cuda_init_rc = 802;
	assert_verdict("fabric_manager", DIAG_FAIL);
	F.cuda_init_rc = 0;
	assert_verdict("fabric_manager", DIAG_PASS);
}

static void every_check_appears_on_a_node_without_anything(void **s)
{
	(void)s;
	memset(&F, 0, sizeof(F));
	F.memlock = F.cgroup_max = -2;
	F.hugepages_total = -1;
	F.uverbs = F.dev_gpus = -1;
	F.fork_unneeded = -1;
	diag_free_checks(K, DIAG_NCHECKS);
	assert_int_equal(diag_run_checks(&F, false, K), DIAG_NCHECKS);
	for (int i = 0; i < DIAG_NCHECKS; i++) {
		assert_non_null(K[i].id);
		assert_true(K[i].v != DIAG_FAIL);
		assert_string_not_equal(K[i].reason, "not evaluated");
	}
}

static void unknown_type_with_efa_devices_expects_efa(void **s)
{
	(void)s;
	healthy(&P5);
	F.it = NULL;
	F.efa_rdm_domains = F.efa_dgram_domains = 0;
	assert_verdict("efa_provider", DIAG_FAIL);
}

static void fork_safety_needs_rdma_core_38_as_aws_ofi_nccl_says(void **s)
{
	(void)s;
	healthy(&P5);
	F.fork_unneeded = -1;
	diag_copy(F.kernel, sizeof(F.kernel), "5.15.0");
	F.rdma_core = 36;
	assert_verdict("fork_safety", DIAG_WARN);
	F.rdma_core = 38;
	assert_verdict("fork_safety", DIAG_PASS);
	F.rdma_core = 36;
	diag_env_set(&F, "FI_EFA_FORK_SAFE", "1");
	assert_verdict("fork_safety", DIAG_PASS);
}

static void rdma_mismatch_against_an_unconfirmed_table_is_a_warn(void **s)
{
	(void)s;
	healthy(&G6E);
	F.devs[1].rdma_write = false;
	assert_verdict("efa_rdma", DIAG_WARN);
	healthy(&P5);
	F.devs[1].rdma_write = false;
	assert_verdict("efa_rdma", DIAG_FAIL);
	/* rdma-core before v46 cannot report write at all */
	F.rdma_core = 44;
	assert_verdict("efa_rdma", DIAG_WARN);
	assert_int_equal(check("efa_rdma")->act, DIAG_ACT_CONFIG);
}

static void affinity_counts_only_nics_behind_the_same_pci_bridge(void **s)
{
	(void)s;
	healthy(&P5);
	F.ndevs = 4;
	for (int g = 1; g < F.ngpus; g++)
		F.gpus[g].nclosest = 0; /* what diag_affinity leaves when no NIC shares a bridge */
	assert_verdict("gpu_efa_affinity", DIAG_WARN);
	assert_non_null(strstr(check("gpu_efa_affinity")->reason, "7 of 8 GPUs"));
	F.topo_known = false;
	assert_verdict("gpu_efa_affinity", DIAG_SKIP);
}

static void error_counters_judge_growth_not_totals(void **s)
{
	(void)s;
	healthy(&P5);
	F.devs[3].before.retrans = F.devs[3].after.retrans = 4711;
	assert_verdict("error_counters", DIAG_PASS);
	F.devs[3].after.timeouts = 2;
	assert_verdict("error_counters", DIAG_WARN);
	assert_int_equal(check("error_counters")->act, DIAG_ACT_MONITOR);
	healthy(&P5);
	F.devs[0].before.retrans = F.devs[0].before.timeouts = F.devs[0].before.unresponsive = -1;
	F.devs[0].after = F.devs[0].before;
	assert_verdict("error_counters", DIAG_WARN);
	assert_non_null(strstr(check("error_counters")->remedy, "r2.17.0"));
}

static void environment_values_as_libfabric_and_nccl_read_them(void **s)
{
	static const char *const bad[][2] = {
		{"FI_PROVIDER", "^efa"}, {"FI_PROVIDER", "tcp"},           {"FI_EFA_USE_DEVICE_RDMA", "0"},
		{"NCCL_NET", "socket"},  {"FI_EFA_USE_DEVICE_RDMA", "2"}, {"FI_EFA_TX_IOV_LIMIT", "4"},
	};
	(void)s;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		healthy(&P5);
		diag_env_set(&F, bad[i][0], bad[i][1]);
		if (check("environment")->v != DIAG_FAIL)
			fail_msg("%s=%s: %s", bad[i][0], bad[i][1], check("environment")->reason);
	}
	healthy(&P5);
	diag_env_set(&F, "FI_PROVIDER", "efa");
	diag_env_set(&F, "FI_EFA_USE_DEVICE_RDMA", "YES");
	assert_verdict("environment", DIAG_PASS);
	healthy(&P5);
	F.devs[2].rdma_read = false;
	diag_env_set(&F, "FI_EFA_USE_DEVICE_RDMA", "on");
	assert_verdict("environment", DIAG_FAIL);
}

static void hugepages_warn_fail_and_pass(void **s)
{
	(void)s;
	healthy(&P5);
	F.hugepages_total = F.hugepages_free = 1024;
	/* the EKS setup's huge pages: healthy, the ENOMEM remedy said */
	assert_verdict("hugepages", DIAG_PASS);
	assert_non_null(strstr(check("hugepages")->reason, "FI_EFA_USE_HUGE_PAGE=0"));
	diag_env_set(&F, "FI_EFA_USE_HUGE_PAGE", "0");
	assert_verdict("hugepages", DIAG_PASS);
	diag_env_set(&F, "FI_EFA_USE_HUGE_PAGE", "1");
	F.fork_unneeded = 0;
	assert_verdict("hugepages", DIAG_FAIL);
	F.fork_unneeded = 1;
	assert_verdict("hugepages", DIAG_PASS);
}

static void kubernetes_compares_uverbs_with_gpus_times_nics_per_gpu(void **s)
{
	(void)s;
	healthy(&P5);
	diag_env_set(&F, "KUBERNETES_SERVICE_HOST", "10.96.0.1");
	F.k8s = true;
	F.uverbs = 8;
	F.dev_gpus = 2;
	assert_verdict("kubernetes", DIAG_PASS);
	F.dev_gpus = 8;
	assert_verdict("kubernetes", DIAG_FAIL);
	F.uverbs = -1;
	assert_verdict("kubernetes", DIAG_FAIL);
}

static void gpudirect_routes(void **s)
{
	(void)s;
	healthy(&G6E);
	assert_verdict("gpudirect", DIAG_SKIP);
	healthy(&P5);
	for (int d = 0; d < F.ndevs; d++)
		F.devs[d].p2p[0] = '\0';
	assert_verdict("gpudirect", DIAG_FAIL);
	F.cuda_dmabuf = 1;
	assert_verdict("gpudirect", DIAG_PASS);
	diag_copy(F.lf_api, sizeof(F.lf_api), "1.18");
	assert_verdict("gpudirect", DIAG_FAIL);
	diag_copy(F.lf_api, sizeof(F.lf_api), "1.20");
	diag_copy(F.kernel, sizeof(F.kernel), "5.10.0");
	assert_verdict("gpudirect", DIAG_FAIL);
}

/* sky exec of a task without accelerators: CUDA_VISIBLE_DEVICES="" hides
 * the GPUs, libfabric's CUDA init fails, FI_HMEM is absent: not the node's
 * fault, so the GPU-memory checks say why they cannot judge, and fail
 * nothing (with the GPUs visible the same facts still fail) */
static void hidden_gpus_skip_the_cuda_checks_naming_the_cause(void **s)
{
	(void)s;
	healthy(&P5);
	F.efa_hmem = false;
	for (int d = 0; d < F.ndevs; d++)
		F.devs[d].p2p[0] = '\0';
	assert_verdict("efa_hmem", DIAG_FAIL);
	assert_verdict("gpudirect", DIAG_FAIL);
	for (int i = 0; i < 3; i++) {
		diag_env_set(&F, "CUDA_VISIBLE_DEVICES", (const char *[]){"", "-1", "NoDevFiles"}[i]);
		assert_verdict("efa_hmem", DIAG_SKIP);
		assert_non_null(strstr(check("efa_hmem")->reason, "sky exec --gpus"));
		assert_verdict("gpudirect", DIAG_SKIP);
	}
	diag_env_set(&F, "CUDA_VISIBLE_DEVICES", "0,1");
	assert_verdict("efa_hmem", DIAG_FAIL);
}

/* the kernel enforces RLIMIT_MEMLOCK on pinning only without CAP_IPC_LOCK */
static void a_finite_memlock_limit_passes_with_cap_ipc_lock(void **s)
{
	(void)s;
	healthy(&P5);
	F.memlock = 64 << 10;
	F.ipc_lock = 0;
	assert_verdict("memlock", DIAG_FAIL);
	F.ipc_lock = -1;
	assert_verdict("memlock", DIAG_FAIL);
	F.ipc_lock = 1;
	assert_verdict("memlock", DIAG_PASS);
	assert_non_null(strstr(check("memlock")->reason, "CAP_IPC_LOCK"));
}

/* the driver reports IB speed rungs: a g6e.16xlarge's 35 Gb/s NIC reports
 * 30, an hpc7a's 150 reports 120, and both are healthy */
static void link_rate_is_judged_against_the_rung_the_driver_can_report(void **s)
{
	struct diag_itype odd = G6E;
	(void)s;
	for (int i = 0; i < 2; i++) {
		odd.nic_gbps = i ? 150 : 35;
		healthy(&odd);
		for (int d = 0; d < F.ndevs; d++)
			F.devs[d].rate_gbps = i ? 120 : 30;
		assert_verdict("efa_link", DIAG_PASS);
		F.devs[0].rate_gbps = i ? 100 : 25;
		assert_verdict("efa_link", DIAG_WARN);
	}
}

static void gpu_memory_actions(void **s)
{
	(void)s;
	healthy(&P5);
	F.gpus[3].ecc_volatile_unc = 1;
	assert_int_equal(check("gpu_memory")->act, DIAG_ACT_REBOOT);
	F.gpus[4].remap_failed = 1;
	assert_int_equal(check("gpu_memory")->act, DIAG_ACT_REPLACE);
	healthy(&P5);
	F.gpus[0].retired_pages = 60;
	assert_int_equal(check("gpu_memory")->act, DIAG_ACT_REPLACE);
	healthy(&P5);
	F.nvml.state = DIAG_LIB_BROKEN;
	F.nvml.code = 18;
	assert_verdict("gpus", DIAG_FAIL);
	assert_int_equal(check("gpus")->act, DIAG_ACT_REBOOT);
	assert_verdict("gpu_memory", DIAG_SKIP);
}

static void libfabric_below_1_22_and_at_the_wrong_place(void **s)
{
	(void)s;
	healthy(&P5);
	diag_copy(F.lf.version, sizeof(F.lf.version), "1.21");
	assert_verdict("libfabric", DIAG_FAIL);
	/* the 1.22 floor is aws-ofi-nccl 1.13's: older plugins run on 1.18+ */
	diag_copy(F.plugin_version, sizeof(F.plugin_version), "1.12.1");
	assert_verdict("libfabric", DIAG_PASS);
	diag_copy(F.lf.version, sizeof(F.lf.version), "1.17");
	assert_verdict("libfabric", DIAG_FAIL);
	diag_copy(F.plugin_version, sizeof(F.plugin_version), "1.13.0");
	diag_copy(F.lf.version, sizeof(F.lf.version), "1.21");
	assert_verdict("libfabric", DIAG_FAIL);
	healthy(&P5);
	diag_copy(F.plugin_lf_path, sizeof(F.plugin_lf_path), "/usr/lib/x86_64-linux-gnu/libfabric.so.1");
	assert_verdict("libfabric", DIAG_FAIL);
	/* no installer on the node: the system one is what there is */
	F.lf_installer_present = false;
	assert_verdict("libfabric", DIAG_PASS);
}

static void efa_driver_before_2_17_3_with_nvidia_580(void **s)
{
	(void)s;
	healthy(&P5);
	diag_copy(F.nvidia_driver, sizeof(F.nvidia_driver), "580.65.06");
	/* only the peer-memory path needs r2.17.3: dmabuf carries GPUDirect */
	assert_verdict("efa_driver", DIAG_WARN);
	F.cuda_dmabuf = 1;
	assert_verdict("efa_driver", DIAG_WARN);
	F.cuda_dmabuf = 0;
	assert_verdict("efa_driver", DIAG_FAIL);
	diag_copy(F.efa_driver, sizeof(F.efa_driver), "2.17.3g");
	assert_verdict("efa_driver", DIAG_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(healthy_p5_passes_every_check_it_can),
		cmocka_unit_test(fabric_state_is_judged_without_nvswitches_on_the_bus),
		cmocka_unit_test(every_check_appears_on_a_node_without_anything),
		cmocka_unit_test(unknown_type_with_efa_devices_expects_efa),
		cmocka_unit_test(fork_safety_needs_rdma_core_38_as_aws_ofi_nccl_says),
		cmocka_unit_test(rdma_mismatch_against_an_unconfirmed_table_is_a_warn),
		cmocka_unit_test(affinity_counts_only_nics_behind_the_same_pci_bridge),
		cmocka_unit_test(error_counters_judge_growth_not_totals),
		cmocka_unit_test(environment_values_as_libfabric_and_nccl_read_them),
		cmocka_unit_test(hugepages_warn_fail_and_pass),
		cmocka_unit_test(kubernetes_compares_uverbs_with_gpus_times_nics_per_gpu),
		cmocka_unit_test(gpudirect_routes),
		cmocka_unit_test(gpu_memory_actions),
		cmocka_unit_test(link_rate_is_judged_against_the_rung_the_driver_can_report),
		cmocka_unit_test(hidden_gpus_skip_the_cuda_checks_naming_the_cause),
		cmocka_unit_test(a_finite_memlock_limit_passes_with_cap_ipc_lock),
		cmocka_unit_test(libfabric_below_1_22_and_at_the_wrong_place),
		cmocka_unit_test(efa_driver_before_2_17_3_with_nvidia_580),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	diag_free_checks(K, DIAG_NCHECKS);
	return rc;
}
