/* The list of checks, in report order, and what they share. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag_check.h"
#include "diag_parse.h"

static const struct {
	const char *id, *title;
	void (*run)(const struct diag_ctx *, struct diag_check *);
} checks[] = {
	{"instance_type", "instance type", diag_check_instance},
	{"libfabric", "libfabric", diag_check_libfabric},
	{"nccl_plugin", "NCCL net plugin", diag_check_nccl_plugin},
	{"efa_provider", "libfabric efa provider", diag_check_efa_provider},
	{"efa_hmem", "FI_HMEM on efa", diag_check_efa_hmem},
	{"rdma_core", "rdma-core", diag_check_rdma_core},
	{"efa_devices", "EFA devices", diag_check_devices},
	{"efa_rdma", "EFA RDMA capabilities", diag_check_rdma_caps},
	{"efa_link", "EFA link rate", diag_check_link},
	{"efa_driver", "EFA kernel driver", diag_check_driver},
	{"error_counters", "EFA error counters", diag_check_counters},
	{"gpus", "GPUs", diag_check_gpus},
	{"gpu_memory", "GPU memory health", diag_check_gpu_memory},
	{"nvlink", "NVLink", diag_check_nvlink},
	{"fabric_manager", "NVSwitch fabric", diag_check_fabric_manager},
	{"gpu_efa_affinity", "GPU-to-EFA topology", diag_check_affinity},
	{"gpudirect", "GPUDirect RDMA", diag_check_gpudirect},
	{"memlock", "locked memory limit", diag_check_memlock},
	{"container_memory", "container memory limit", diag_check_container_memory},
	{"hugepages", "huge pages", diag_check_hugepages},
	{"fork_safety", "fork safety", diag_check_fork},
	{"environment", "environment", diag_check_env},
	{"kubernetes", "Kubernetes pod", diag_check_k8s},
	{"traffic", "one-node traffic self-test", diag_check_traffic},
};
_Static_assert(sizeof(checks) / sizeof(checks[0]) == DIAG_NCHECKS, "DIAG_NCHECKS");

void diag_set(struct diag_check *k, enum diag_verdict v, enum diag_action a, const char *remedy, const char *fmt, ...)
{
	va_list ap;
	bool act = v == DIAG_WARN || v == DIAG_FAIL;

	k->v = v;
	k->act = act ? a : DIAG_ACT_NONE;
	va_start(ap, fmt);
	vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
	va_end(ap);
	snprintf(k->remedy, sizeof(k->remedy), "%s", act && remedy ? remedy : "");
}

static void run_one(const struct diag_ctx *c, int i, struct diag_check *k)
{
	memset(k, 0, sizeof(*k));
	k->id = checks[i].id;
	k->title = checks[i].title;
	k->v = DIAG_SKIP;
	snprintf(k->reason, sizeof(k->reason), "not evaluated");
	checks[i].run(c, k);
}

int diag_run_checks(const struct diag_facts *f, bool expect_efa, struct diag_check *out)
{
	struct diag_ctx c = {.f = f, .expect_efa = expect_efa};

	for (int i = 0; i < DIAG_NCHECKS; i++)
		run_one(&c, i, &out[i]);
	return DIAG_NCHECKS;
}

int diag_run_nccl_env(const struct diag_facts *f, struct diag_check *out)
{
	struct diag_ctx c = {.f = f, .expect_efa = true, .nccl_env = true};
	int n = 0;

	for (int i = 0; i < DIAG_NCHECKS; i++)
		if (!strcmp(checks[i].id, "libfabric") || !strcmp(checks[i].id, "nccl_plugin") ||
		    !strcmp(checks[i].id, "environment"))
			run_one(&c, i, &out[n++]);
	return n;
}

void diag_free_checks(struct diag_check *k, int n)
{
	for (int i = 0; i < n; i++) {
		json_decref(k[i].details);
		k[i].details = NULL;
	}
}

const char *diag_verdict_name(enum diag_verdict v)
{
	static const char *const n[] = {"PASS", "WARN", "FAIL", "SKIP"};
	return n[v];
}

const char *diag_action_name(enum diag_action a)
{
	static const char *const n[] = {"none", "configuration", "reboot", "replace_node", "monitor"};
	return n[a];
}

/* EFA is expected when the user says so, the type has EFA, or any EFA
 * device is present (an unknown type with 32 EFA devices is an EFA node). */
bool diag_efa_expected(const struct diag_ctx *c)
{
	return c->expect_efa || (c->f->it && c->f->it->efa > 0) || c->f->ndevs > 0;
}

/* NVIDIA GPUs: what the type has, else what the PCI bus shows. */
bool diag_nvidia_gpus(const struct diag_facts *f)
{
	return f->it ? f->it->gpus > 0 : f->ngpus > 0;
}

bool diag_kernel_at_least(const char *k, int maj, int min)
{
	int a, b, c;

	if (diag_parse_version(k, &a, &b, &c))
		return false;
	return a > maj || (a == maj && b >= min);
}
