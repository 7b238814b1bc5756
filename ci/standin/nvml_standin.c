/* A stand-in NVML (libnvidia-ml.so.1) for machines without an NVIDIA
 * driver: the entry points fabcheck-diag loads (FABCHECK_NVML=this
 * library), answering from the environment so tests can play healthy and
 * broken GPUs. Values follow nvml.h's C ABI.
 *   FABCHECK_STANDIN_NVML_GPUS    comma list of PCI bus ids ("0000:13:00.0")
 *   FABCHECK_STANDIN_NVML_INIT    nvmlInit's return code (18: driver/library mismatch)
 *   FABCHECK_STANDIN_NVML_DRIVER  driver version (default 570.124.06)
 *   FABCHECK_STANDIN_NVML_NVLINKS NVLink links per GPU (default 18; 0: none)
 *   FABCHECK_STANDIN_NVML_FAULTS  "GPU:key=value,..." with key one of ecc,
 *       ecc_total, retired, retired_pending, remap_pending, remap_failed,
 *       nvlink_down, fabric_state, fabric_status (GPU: index in the list) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OK = 0, ERR_INVALID_ARGUMENT = 2, ERR_NOT_SUPPORTED = 3, ERR_INSUFFICIENT_SIZE = 7 };
#define MAX_GPUS 64

struct pci_info {
	char bus_id_legacy[16];
	unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
};

struct fabric_info {
	unsigned char cluster_uuid[16];
	int status;
	unsigned clique_id;
	unsigned char state;
};

static struct gpu {
	char bus[32];
	unsigned long long ecc, ecc_total;
	unsigned retired, retired_pending, remap_pending, remap_failed, nvlink_down;
	int fabric_state, fabric_status;
} gpus[MAX_GPUS];
static unsigned ngpus;

static const char *env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v ? v : dflt;
}

static void fault(const char *spec)
{
	unsigned idx;
	char key[32];
	long long v;

	if (sscanf(spec, "%u:%31[a-z_]=%lld", &idx, key, &v) != 3 || idx >= ngpus)
		return;
	struct gpu *g = &gpus[idx];
	if (!strcmp(key, "ecc"))
		g->ecc = (unsigned long long)v;
	else if (!strcmp(key, "ecc_total"))
		g->ecc_total = (unsigned long long)v;
	else if (!strcmp(key, "retired"))
		g->retired = (unsigned)v;
	else if (!strcmp(key, "retired_pending"))
		g->retired_pending = (unsigned)v;
	else if (!strcmp(key, "remap_pending"))
		g->remap_pending = (unsigned)v;
	else if (!strcmp(key, "remap_failed"))
		g->remap_failed = (unsigned)v;
	else if (!strcmp(key, "nvlink_down"))
		g->nvlink_down = (unsigned)v;
	else if (!strcmp(key, "fabric_state"))
		g->fabric_state = (int)v;
	else if (!strcmp(key, "fabric_status"))
		g->fabric_status = (int)v;
}

int nvmlInit_v2(void)
{
	char list[4096], *save = NULL;

	ngpus = 0;
	snprintf(list, sizeof(list), "%s", env("FABCHECK_STANDIN_NVML_GPUS", ""));
	for (char *b = strtok_r(list, ",", &save); b && ngpus < MAX_GPUS; b = strtok_r(NULL, ",", &save)) {
		memset(&gpus[ngpus], 0, sizeof(gpus[0]));
		gpus[ngpus].fabric_state = 3; /* completed */
		/* NVML spells the domain with 8 digits, upper case */
		snprintf(gpus[ngpus].bus, sizeof(gpus[0].bus), "0000%s", b);
		for (char *p = gpus[ngpus].bus; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		ngpus++;
	}
	snprintf(list, sizeof(list), "%s", env("FABCHECK_STANDIN_NVML_FAULTS", ""));
	for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save))
		fault(s);
	return atoi(env("FABCHECK_STANDIN_NVML_INIT", "0"));
}

int nvmlShutdown(void)
{
	return OK;
}

const char *nvmlErrorString(int rc)
{
	return rc == 18 ? "RM has detected an NVML/RM version mismatch." : rc == 9 ? "Driver Not Loaded" : "Unknown Error";
}

int nvmlSystemGetDriverVersion(char *v, unsigned len)
{
	snprintf(v, len, "%s", env("FABCHECK_STANDIN_NVML_DRIVER", "570.124.06"));
	return OK;
}

int nvmlSystemGetCudaDriverVersion(int *v)
{
	*v = 12080;
	return OK;
}

int nvmlDeviceGetCount_v2(unsigned *n)
{
	*n = ngpus;
	return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **d)
{
	if (i >= ngpus)
		return ERR_INVALID_ARGUMENT;
	*d = &gpus[i];
	return OK;
}

int nvmlDeviceGetPciInfo_v3(void *d, struct pci_info *p)
{
	struct gpu *g = d;
	memset(p, 0, sizeof(*p));
	snprintf(p->bus_id, sizeof(p->bus_id), "%s", g->bus);
	return OK;
}

int nvmlDeviceGetTotalEccErrors(void *d, int type, int counter, unsigned long long *v)
{
	struct gpu *g = d;
	if (type != 1)
		return ERR_NOT_SUPPORTED;
	*v = counter == 0 ? g->ecc : g->ecc_total + g->ecc;
	return OK;
}

int nvmlDeviceGetRetiredPages(void *d, int cause, unsigned *count, unsigned long long *addrs)
{
	struct gpu *g = d;
	unsigned n = cause == 1 ? g->retired : 0;
	(void)addrs;
	if (*count < n) {
		*count = n;
		return ERR_INSUFFICIENT_SIZE;
	}
	*count = n;
	return OK;
}

int nvmlDeviceGetRetiredPagesPendingStatus(void *d, int *pending)
{
	*pending = ((struct gpu *)d)->retired_pending != 0;
	return OK;
}

int nvmlDeviceGetRemappedRows(void *d, unsigned *corr, unsigned *unc, unsigned *pending, unsigned *failed)
{
	struct gpu *g = d;
	*corr = 0;
	*unc = g->remap_pending || g->remap_failed;
	*pending = g->remap_pending;
	*failed = g->remap_failed;
	return OK;
}

int nvmlDeviceGetNvLinkState(void *d, unsigned link, int *active)
{
	struct gpu *g = d;
	unsigned links = (unsigned)atoi(env("FABCHECK_STANDIN_NVML_NVLINKS", "18"));
	if (link >= links)
		return ERR_INVALID_ARGUMENT;
	*active = link >= g->nvlink_down;
	return OK;
}

int nvmlDeviceGetGpuFabricInfo(void *d, struct fabric_info *fi)
{
	struct gpu *g = d;
	memset(fi, 0, sizeof(*fi));
	fi->state = (unsigned char)g->fabric_state;
	fi->status = g->fabric_status;
	return OK;
}
