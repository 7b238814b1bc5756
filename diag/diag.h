/* fabcheck-diag: what a node is (facts), and whether that is ready for
 * NCCL over EFA (checks). Facts come from sysfs, /proc and /dev under a root
 * that tests move (--root), from the environment, and from libfabric,
 * rdma-core and CUDA when live, or from a facts file when not (--facts). */
#ifndef FC_DIAG_H
#define FC_DIAG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nic.h"

/* Copies a string, cut to fit: sysfs names and paths longer than the
 * field are cut, never overrun. */
static inline void diag_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define DIAG_MAX_DEVS 64

struct itype {
	char type[40], accel[16];
	int gpus, efa, nic_gbps;
	bool rdma_read, rdma_write, gdr_required;
	double nics_per_gpu; /* 0: does not apply */
};

struct efa_dev {
	char name[64], pci[32], pcipath[512], rate[64], p2p[64];
	int numa;
	bool have_caps; /* from rdma-core (live) or the facts file */
	long max_msg, inline_size;
	uint64_t max_rdma;
	bool rdma_read, rdma_write;
	struct fc_nic_snapshot counters;
};

struct gpu {
	char pci[32], pcipath[512];
};

struct facts {
	char root[512], sys[600];
	bool live; /* root is / and no facts file: ask the libraries */
	char product[64], instance[64];
	const struct itype *it; /* NULL: not in the table */
	/* libfabric */
	bool lf_known;
	char lf_version[32], lf_path[512];
	bool lf_at_efa_installer, lf_system_present, lf_installer_present;
	int efa_rdm_domains, efa_dgram_domains;
	bool efa_hmem;
	/* rdma-core and the kernel */
	int rdma_core;  /* major version, 0 unknown */
	char kernel[64], efa_driver[64];
	struct efa_dev devs[DIAG_MAX_DEVS];
	int ndevs, non_efa; /* non-EFA RDMA devices seen (mlx5, ibp* NVLink) */
	struct gpu gpus[DIAG_MAX_DEVS];
	int ngpus;
	int cuda_dmabuf; /* 1 yes, 0 no, -1 unknown */
	long long memlock; /* bytes, -1 unlimited, -2 unknown */
	long hugepages;
	bool k8s;
};

struct itype *diag_load_table(const char *path, int *n);
int diag_gather(struct facts *f, const char *root, const char *facts_file, const char *instance,
		const struct itype *table, int ntable);

enum verdict { PASS, WARN, FAIL, SKIP };

struct check {
	const char *id, *title;
	enum verdict v;
	char reason[768], remedy[768];
	json_t *details; /* may be NULL */
};

/* Runs every check; returns how many there are in out (max). */
int diag_run_checks(const struct facts *f, struct check *out, int max, bool expect_efa);

#endif
