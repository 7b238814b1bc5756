/* fabcheck-diag: what a node is (facts). Facts come from sysfs, /proc, /dev,
 * /etc and /opt under a root that tests move (--root), from the
 * environment, and from libfabric, rdma-core, NVML and the CUDA driver
 * loaded at run time, or from a facts file whose sections stand in for
 * those libraries (--facts). The checks (diag_check.h) read facts only, so
 * they are unit-tested from facts built in C. */
#ifndef FC_DIAG_H
#define FC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Copies a string, cut to fit: sysfs names and paths longer than the field
 * are cut, never overrun. */
static inline void diag_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define DIAG_MAX_DEVS 64
#define DIAG_MAX_GPUS 64
#define DIAG_UNKNOWN (-1)

/* One row of diag/instance-types.tsv: what a healthy node of a type has. */
struct diag_itype {
	char type[40], accel[16];
	int gpus, efa, nic_gbps;
	bool rdma_read, rdma_write;
	/* false: the value is not confirmed by a source ("?" in the table), so
	 * a node that differs gets a WARN, not a FAIL */
	bool rdma_sourced, efa_sourced, gbps_sourced;
	double nics_per_gpu; /* 0: does not apply */
	bool gdr_supported, gdr_required;
	char source[48];
};

/* How a run-time library answered. */
enum diag_lib {
	DIAG_LIB_NOT_ASKED = 0, /* the facts file stood in, or nothing needed it */
	DIAG_LIB_LOADED,
	DIAG_LIB_MISSING, /* dlopen failed */
	DIAG_LIB_BROKEN,  /* loaded, but lacks an entry point or failed to start */
};

struct diag_libinfo {
	enum diag_lib state;
	char path[256], version[48], error[256];
	int code; /* the library's own error code where it has one (NVML) */
};

/* EFA error counters: -1 where the driver does not have them. */
struct diag_counters {
	bool read; /* the hw_counters folder exists */
	int64_t retrans, timeouts, unresponsive, impaired, drops;
	int64_t tx_pkts; /* -1: not there */
};

struct diag_efa_dev {
	char name[64], pci[32], rate[64], state[32], p2p[64];
	char pci_device[16]; /* "0xefa1": the EFA generation less one */
	int numa, rate_gbps; /* 0: not known */
	bool have_caps;      /* from rdma-core (live) or the facts file */
	uint64_t max_rdma;
	bool rdma_read, rdma_write;
	struct diag_counters before, after; /* after: at the end of the sample */
};

struct diag_gpu {
	char pci[32];
	/* NVML; -1 unknown */
	bool nvml_seen;
	long long ecc_volatile_unc, ecc_aggregate_unc;
	int retired_pages, retired_pending;
	int remap_unc, remap_pending, remap_failed;
	int nvlinks_active, nvlinks_inactive; /* both 0: no NVLink */
	int fabric_state, fabric_status;      /* NVML_GPU_FABRIC_STATE_*, nvmlReturn_t */
	/* topology: the EFA devices closest to this GPU (indexes into devs) */
	int nclosest, closest[DIAG_MAX_DEVS];
	int closest_hops; /* -1: no EFA device shares a PCI bridge with it */
};

/* The environment variables checks read, captured once. */
struct diag_env {
	const char *name;
	char value[256];
	bool set;
};
#define DIAG_ENV_MAX 24

/* A network interface of this process's network namespace
 * (sys/class/net), for NCCL_SOCKET_IFNAME. */
struct diag_netif {
	char name[32];
	bool up, loopback;
};
#define DIAG_MAX_NETIFS 64

/* The one-node traffic self-test (--traffic, diag_traffic.c). */
struct diag_traffic_lane {
	char domain[64];
	double lat_us, bw_gbps;   /* p50 at 8 B; GB/s at 1 MiB */
	char coverage[16];        /* ok, failed, unverifiable */
	unsigned long long nic_tx, nic_rx;
};
/* GPU memory registered as aws-ofi-nccl registers it (diag_gpureg.c):
 * a cudaMalloc buffer on each visible GPU, with its closest EFA device,
 * CUDA API calls forbidden, by address (the peer-memory path) and by
 * dmabuf, each tried alone. */
struct diag_gpureg {
	int gpu;              /* index into gpus[]; -1: CUDA names it otherwise */
	int ordinal;          /* the CUDA device number tried */
	char domain[64];      /* its NIC; "": the provider's first */
	int va_exit, dmabuf_exit; /* 0 registered; else fabcheck-mr's exit (-1 killed) */
	char va_error[320], dmabuf_error[320];
	char gpu_path[16];    /* the endpoint's answer: gpudirect, staged, "" unknown */
};
struct diag_traffic {
	bool asked, ran;
	int ngpureg;
	struct diag_gpureg gpureg[DIAG_MAX_GPUS];
	char gpureg_skipped[200]; /* why GPU memory was not tried ("" : it was, or no GPU) */
	char provider[32];
	int exit;                 /* of the first program that failed, 0 */
	char error[384];          /* why it did not run or failed */
	int nlanes;
	struct diag_traffic_lane lane[DIAG_MAX_DEVS];
};

struct diag_facts {
	char root[512]; /* "" for / */
	char hostname[128], timestamp[32];
	char product[64], instance[64];
	const char *instance_from; /* "--instance-type", "OFI_NCCL_FORCE_PRODUCT_NAME", "DMI product name" */
	const struct diag_itype *it;    /* NULL: not in the table */

	/* libfabric: the one NCCL's plugin resolves, when it can be loaded */
	struct diag_libinfo lf;
	char lf_api[16]; /* API version fabcheck asked for */
	bool lf_known;   /* answers below came from libfabric or the facts file */
	int efa_rdm_domains, efa_dgram_domains;
	bool efa_hmem;
	bool lf_installer_present, lf_system_present;

	/* the NCCL net plugin and what it would load (its ELF dynamic section) */
	bool plugin_searched;
	char plugin_path[512], plugin_version[48], plugin_needs_lf[32];
	char plugin_lf_path[512]; /* "" : not found on its search path */
	/* not found where the loader looks, but installed where the EFA
	 * installer puts them (off the path: the remedy names the folder) */
	char plugin_offpath[512], lf_offpath[512];
	char plugin_error[256];
	char nccl_path[512], nccl_version[32];

	/* rdma-core and the kernel */
	struct diag_libinfo ibverbs, efadv;
	int rdma_core;     /* major version, 0 unknown */
	int fork_unneeded; /* ibv_is_fork_initialized() == IBV_FORK_UNNEEDED: 1, 0, -1 unknown */
	char kernel[64], efa_driver[64], installer[32];
	struct diag_efa_dev devs[DIAG_MAX_DEVS];
	int ndevs, non_efa; /* non-EFA RDMA devices seen (mlx5, ibp* NVLink) */
	/* EFA PCI functions (0x1d0f:0xefa0-0xefa4) without an efa device: the
	 * driver did not bind or the device failed; what a failed EFA looks
	 * like, as its port always reads ACTIVE (efa_query_port) */
	char unbound[8][16];
	int nunbound;
	double sample_seconds; /* counters sampled over this long; 0: not sampled */

	/* GPUs: PCI, NVML, CUDA driver */
	struct diag_gpu gpus[DIAG_MAX_GPUS];
	int ngpus, nvswitches;
	bool topo_known; /* hwloc read the PCI tree: closest[] is filled */
	struct diag_libinfo nvml, cuda;
	int nvml_gpus;        /* GPUs NVML reports, -1 unknown */
	char nvidia_driver[48], cuda_driver[16];
	int cuda_dmabuf; /* 1 yes, 0 no, -1 unknown */
	int cuda_init_rc; /* cuInit's CUresult (802: the NVSwitch fabric is not ready), -1 not tried */

	/* the process and the container */
	long long memlock;    /* bytes, -1 unlimited, -2 unknown */
	int ipc_lock;         /* CAP_IPC_LOCK in CapEff: 1 yes, 0 no, -1 unknown */
	long long cgroup_max; /* bytes, -1 no limit, -2 unknown */
	long hugepages_total, hugepages_free; /* -1 unknown */
	double uptime_s;                      /* proc/uptime, -1 unknown */
	bool k8s;
	int uverbs;   /* /dev/infiniband/uverbs* this process can open, -1: no /dev/infiniband */
	int dev_gpus; /* /dev/nvidiaN nodes, -1: none */
	struct diag_env env[DIAG_ENV_MAX];
	int nenv;
	struct diag_netif netifs[DIAG_MAX_NETIFS];
	int nnetifs; /* 0: sys/class/net unreadable */
	struct diag_traffic traffic;
};

/* The instance table: parse text (file:line in errors), find a type. */
int diag_table_parse(const char *text, size_t len, const char *name, struct diag_itype **out, int *n);
int diag_table_load(const char *path, struct diag_itype **out, int *n);
const struct diag_itype *diag_table_find(const struct diag_itype *t, int n, const char *type);
/* The DMI product name (the instance type on EC2) under a sysfs root
 * ("/sys"): the node check's facts and the cluster runner's floors read it
 * here, the same way. out is "" when the file is absent or empty; returns
 * 0 or -errno. */
int diag_dmi_product(const char *sysfs_root, char *out, size_t len);
/* The protocol aws-ofi-nccl uses by default on an instance type, as its
 * platform table says (src/platform-aws.cpp, first match wins): "rdma"
 * (RDMA write with immediate data into registered buffers) on p5, p5e,
 * p5en, p6 and later and trn2; "sendrecv" on p4d, p4de, p3dn, p5.4xlarge,
 * g5.48xlarge, trn1 and inf; NULL for a type it has no entry for (the
 * plugin's own default, sendrecv, applies) or no type. */
const char *diag_nccl_protocol(const char *type);

/* Everything, from the root and the libraries (or the facts file). Returns
 * 0, or -FC_EXIT_USAGE for a root or facts file that cannot be used. */
struct diag_options {
	const char *root, *facts_file, *instance;
	double sample_seconds;
	bool traffic;                 /* run the one-node traffic self-test */
	const char *traffic_provider; /* efa, or another provider where there is none */
	const char *traffic_domains;  /* -d for the programs (default all) */
};
int diag_gather(struct diag_facts *f, const struct diag_options *o, const struct diag_itype *table, int ntable);

/* Parts of gathering, each testable alone. */
void diag_env_capture(struct diag_facts *f);
const char *diag_env_get(const struct diag_facts *f, const char *name); /* NULL: not set */
/* CUDA_VISIBLE_DEVICES hides every GPU from CUDA in this process (set and
 * empty, -1 or NoDevFiles: what SkyPilot gives a task that asks for no
 * accelerators), so libfabric cannot offer FI_HMEM here whatever the node has */
bool diag_gpus_hidden(const struct diag_facts *f);
/* The reason a check that needs CUDA gives then, with the remedy. */
#define DIAG_GPUS_HIDDEN_WHY                                                                                           \
	"CUDA_VISIBLE_DEVICES is empty here, so CUDA sees none of this node's GPUs (SkyPilot runs a task that "      \
	"requests no accelerators this way): not judged; run with the GPUs visible (`sky exec --gpus H100:8 ...`, "   \
	"or accelerators: in the task's resources)"
void diag_env_set(struct diag_facts *f, const char *name, const char *value); /* for tests */
int diag_facts_file(struct diag_facts *f, const char *path);
int diag_facts_parse(struct diag_facts *f, const char *text, size_t len);
void diag_affinity(struct diag_facts *f);
void diag_counters_read(const struct diag_facts *f, const struct diag_efa_dev *d, struct diag_counters *c);
void diag_ofi_query(struct diag_facts *f);
void diag_rdma_query(struct diag_facts *f);
void diag_nvml_query(struct diag_facts *f);
void diag_cuda_query(struct diag_facts *f);
void diag_nccl_find(struct diag_facts *f);
void diag_traffic_run(struct diag_facts *f, const struct diag_options *o);
/* The GPU half of --traffic: dir holds fabcheck-mr, tmp is the self-test's
 * folder, env the children's environment (CUDA_DEVICE_ORDER=PCI_BUS_ID). */
void diag_gpureg_run(struct diag_facts *f, const struct diag_options *o, const char *dir, const char *tmp,
		     char **env);

#endif
