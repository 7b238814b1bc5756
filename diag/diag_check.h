/* The checks: each turns facts into one result, every run, in a fixed
 * order: PASS, WARN, FAIL or SKIP, a one-line reason, what to do (the
 * remedy) and which kind of action that is, so a cluster runner can route
 * it (as the AWS sample health checks do). */
#ifndef FC_DIAG_CHECK_H
#define FC_DIAG_CHECK_H

#include <jansson.h>
#include <stdbool.h>

#include "diag.h"

enum diag_verdict { DIAG_PASS, DIAG_WARN, DIAG_FAIL, DIAG_SKIP };

enum diag_action {
	DIAG_ACT_NONE,      /* nothing to do */
	DIAG_ACT_CONFIG,    /* install, set or unset something on the node or in the pod */
	DIAG_ACT_REBOOT,    /* state only a reboot (or GPU reset) clears */
	DIAG_ACT_REPLACE,   /* hardware: stop using the node, replace it */
	DIAG_ACT_MONITOR,   /* not broken yet: watch it, rerun */
};

struct diag_check {
	const char *id, *title;
	enum diag_verdict v;
	enum diag_action act;
	char reason[768], remedy[768];
	json_t *details; /* may be NULL */
};

struct diag_ctx {
	const struct diag_facts *f;
	bool expect_efa;
	bool nccl_env; /* judge NCCL's software as for EFA, whatever this machine has */
};

#define DIAG_NCHECKS 24

/* Runs every check; out has room for DIAG_NCHECKS. Returns how many. */
int diag_run_checks(const struct diag_facts *f, bool expect_efa, struct diag_check *out);
/* --nccl-env: only libfabric, nccl_plugin and environment, judged as on an
 * EFA node with GPUs (the image is checked, not the machine). */
int diag_run_nccl_env(const struct diag_facts *f, struct diag_check *out);
/* Frees what the results hold (their details). */
void diag_free_checks(struct diag_check *k, int n);
const char *diag_verdict_name(enum diag_verdict v);
const char *diag_action_name(enum diag_action a);

/* For the check functions: set the one result. remedy and action apply to
 * WARN and FAIL only. */
void diag_set(struct diag_check *k, enum diag_verdict v, enum diag_action a, const char *remedy, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
bool diag_efa_expected(const struct diag_ctx *c);
bool diag_nvidia_gpus(const struct diag_facts *f);
bool diag_kernel_at_least(const char *k, int maj, int min);

/* The check groups (diag_check_*.c) */
void diag_check_instance(const struct diag_ctx *c, struct diag_check *k);
void diag_check_libfabric(const struct diag_ctx *c, struct diag_check *k);
void diag_check_nccl_plugin(const struct diag_ctx *c, struct diag_check *k);
void diag_check_efa_provider(const struct diag_ctx *c, struct diag_check *k);
void diag_check_efa_hmem(const struct diag_ctx *c, struct diag_check *k);
void diag_check_rdma_core(const struct diag_ctx *c, struct diag_check *k);
void diag_check_devices(const struct diag_ctx *c, struct diag_check *k);
void diag_check_rdma_caps(const struct diag_ctx *c, struct diag_check *k);
void diag_check_link(const struct diag_ctx *c, struct diag_check *k);
void diag_check_driver(const struct diag_ctx *c, struct diag_check *k);
void diag_check_counters(const struct diag_ctx *c, struct diag_check *k);
void diag_check_gpus(const struct diag_ctx *c, struct diag_check *k);
void diag_check_gpu_memory(const struct diag_ctx *c, struct diag_check *k);
void diag_check_nvlink(const struct diag_ctx *c, struct diag_check *k);
void diag_check_fabric_manager(const struct diag_ctx *c, struct diag_check *k);
void diag_check_affinity(const struct diag_ctx *c, struct diag_check *k);
void diag_check_gpudirect(const struct diag_ctx *c, struct diag_check *k);
void diag_check_memlock(const struct diag_ctx *c, struct diag_check *k);
void diag_check_container_memory(const struct diag_ctx *c, struct diag_check *k);
void diag_check_hugepages(const struct diag_ctx *c, struct diag_check *k);
void diag_check_fork(const struct diag_ctx *c, struct diag_check *k);
void diag_check_env(const struct diag_ctx *c, struct diag_check *k);
void diag_check_k8s(const struct diag_ctx *c, struct diag_check *k);
void diag_check_traffic(const struct diag_ctx *c, struct diag_check *k);
/* gpudirect's verdict from GPU memory registered by --traffic; false
 * (nothing set) when none was tried. */
bool diag_gpudirect_tried(const struct diag_ctx *c, struct diag_check *k, bool required, bool plugin_skips_dmabuf,
			  const char *remedy);

#endif
