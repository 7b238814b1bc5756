/* GPU health through NVML, loaded at run time (libnvidia-ml.so.1, the
 * NVIDIA driver's own library): the GPUs the driver sees, ECC errors,
 * retired pages and remapped rows, NVLink links, NVSwitch fabric state.
 * Entry points and values are NVML's C ABI (nvml.h, NVML_API_VERSION 12). */
#include <ctype.h>
#include <stdio.h>

#include "diag.h"
#include "diag_dl.h"

typedef int nvml_ret;
typedef void *nvml_dev;
enum {
	NVML_OK = 0,
	NVML_ERR_INSUFFICIENT_SIZE = 7,
	NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1,
	NVML_VOLATILE_ECC = 0,
	NVML_AGGREGATE_ECC = 1,
	NVML_RETIRED_SBE = 0, /* multiple single-bit errors */
	NVML_RETIRED_DBE = 1, /* double-bit error */
	NVML_NVLINK_MAX_LINKS = 36, /* 18 before R570; higher links answer an error */
};

/* nvml.h's nvmlPciInfo_t (nvmlDeviceGetPciInfo_v3) */
struct nvml_pci {
	char bus_id_legacy[16];
	unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
};

/* nvml.h's nvmlGpuFabricInfo_t (R525+) */
struct nvml_fabric {
	unsigned char cluster_uuid[16];
	nvml_ret status;
	unsigned clique_id;
	unsigned char state;
};

static struct {
	nvml_ret (*init)(void);
	nvml_ret (*shutdown)(void);
	const char *(*error_string)(nvml_ret);
	nvml_ret (*driver_version)(char *, unsigned);
	nvml_ret (*cuda_version)(int *);
	nvml_ret (*count)(unsigned *);
	nvml_ret (*handle)(unsigned, nvml_dev *);
	nvml_ret (*pci)(nvml_dev, struct nvml_pci *);
	nvml_ret (*ecc)(nvml_dev, int, int, unsigned long long *);
	nvml_ret (*retired)(nvml_dev, int, unsigned *, unsigned long long *);
	nvml_ret (*retired_pending)(nvml_dev, int *);
	nvml_ret (*remapped)(nvml_dev, unsigned *, unsigned *, unsigned *, unsigned *);
	nvml_ret (*nvlink)(nvml_dev, unsigned, int *);
	nvml_ret (*fabric)(nvml_dev, struct nvml_fabric *);
} nv;

#define SYM(field, name, req) (*(void **)&nv.field = diag_dlsym(lib, name, req, &f->nvml))

/* "00000000:13:00.0" -> "0000:13:00.0", lower case, as sysfs names it */
static void norm_busid(const char *in, char *out, size_t len)
{
	const char *colon = strchr(in, ':');
	size_t dom = colon ? (size_t)(colon - in) : 0;

	diag_copy(out, len, dom > 4 ? in + dom - 4 : in);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static void one_gpu(struct diag_gpu *g, nvml_dev d)
{
	unsigned long long v;
	unsigned a, b, c, e, n = 0;
	int pending, active, links = 0, down = 0;
	struct nvml_fabric fab;

	g->nvml_seen = true;
	if (nv.ecc && nv.ecc(d, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC, &v) == NVML_OK)
		g->ecc_volatile_unc = (long long)v;
	if (nv.ecc && nv.ecc(d, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_AGGREGATE_ECC, &v) == NVML_OK)
		g->ecc_aggregate_unc = (long long)v;
	/* page retirement (before Ampere): a count query with a zero-sized buffer */
	if (nv.retired) {
		unsigned sbe = 0, dbe = 0;
		nvml_ret r1 = nv.retired(d, NVML_RETIRED_SBE, &sbe, NULL);
		nvml_ret r2 = nv.retired(d, NVML_RETIRED_DBE, &dbe, NULL);
		if ((r1 == NVML_OK || r1 == NVML_ERR_INSUFFICIENT_SIZE) && (r2 == NVML_OK || r2 == NVML_ERR_INSUFFICIENT_SIZE))
			g->retired_pages = (int)(sbe + dbe);
	}
	if (nv.retired_pending && nv.retired_pending(d, &pending) == NVML_OK)
		g->retired_pending = pending != 0;
	/* row remapping (Ampere and later) */
	if (nv.remapped && nv.remapped(d, &a, &b, &c, &e) == NVML_OK) {
		g->remap_unc = (int)b;
		g->remap_pending = c != 0;
		g->remap_failed = e != 0;
	}
	for (n = 0; nv.nvlink && n < NVML_NVLINK_MAX_LINKS; n++) {
		if (nv.nvlink(d, n, &active) != NVML_OK)
			continue; /* a link this GPU does not have */
		links++;
		down += !active;
	}
	if (nv.nvlink) {
		g->nvlinks_active = links - down;
		g->nvlinks_inactive = down;
	}
	memset(&fab, 0, sizeof(fab));
	if (nv.fabric && nv.fabric(d, &fab) == NVML_OK) {
		g->fabric_state = fab.state;
		g->fabric_status = fab.status;
	}
}

void diag_nvml_query(struct diag_facts *f)
{
	static const char *const names[] = {"libnvidia-ml.so.1"};
	void *lib = diag_dlopen("FABCHECK_NVML", names, 1, &f->nvml);
	unsigned count = 0;
	nvml_ret rc;
	int cuda = 0;

	SYM(init, "nvmlInit_v2", true);
	SYM(shutdown, "nvmlShutdown", true);
	SYM(error_string, "nvmlErrorString", true);
	SYM(driver_version, "nvmlSystemGetDriverVersion", true);
	SYM(count, "nvmlDeviceGetCount_v2", true);
	SYM(handle, "nvmlDeviceGetHandleByIndex_v2", true);
	SYM(pci, "nvmlDeviceGetPciInfo_v3", true);
	SYM(cuda_version, "nvmlSystemGetCudaDriverVersion", false);
	SYM(ecc, "nvmlDeviceGetTotalEccErrors", false);
	SYM(retired, "nvmlDeviceGetRetiredPages", false);
	SYM(retired_pending, "nvmlDeviceGetRetiredPagesPendingStatus", false);
	SYM(remapped, "nvmlDeviceGetRemappedRows", false);
	SYM(nvlink, "nvmlDeviceGetNvLinkState", false);
	SYM(fabric, "nvmlDeviceGetGpuFabricInfo", false);
	if (f->nvml.state != DIAG_LIB_LOADED)
		return;
	/* NVML_ERROR_LIB_RM_VERSION_MISMATCH (18): the driver library was
	 * upgraded under a loaded kernel module; only a reboot fixes it */
	if ((rc = nv.init()) != NVML_OK) {
		const char *s = nv.error_string(rc);
		f->nvml.state = DIAG_LIB_BROKEN;
		f->nvml.code = rc;
		snprintf(f->nvml.error, sizeof(f->nvml.error), "nvmlInit: %s", s ? s : "error");
		return;
	}
	if (nv.driver_version(f->nvidia_driver, sizeof(f->nvidia_driver)) != NVML_OK)
		f->nvidia_driver[0] = '\0';
	diag_copy(f->nvml.version, sizeof(f->nvml.version), f->nvidia_driver);
	if (nv.cuda_version && nv.cuda_version(&cuda) == NVML_OK && cuda > 0)
		snprintf(f->cuda_driver, sizeof(f->cuda_driver), "%d.%d", cuda / 1000, cuda % 1000 / 10);
	if (nv.count(&count) != NVML_OK)
		count = 0;
	f->nvml_gpus = (int)count;
	for (unsigned i = 0; i < count; i++) {
		nvml_dev d;
		struct nvml_pci p;
		char bus[32];
		memset(&p, 0, sizeof(p));
		if (nv.handle(i, &d) != NVML_OK || nv.pci(d, &p) != NVML_OK)
			continue;
		p.bus_id[sizeof(p.bus_id) - 1] = '\0';
		norm_busid(p.bus_id, bus, sizeof(bus));
		for (int g = 0; g < f->ngpus; g++)
			if (!strcmp(f->gpus[g].pci, bus))
				one_gpu(&f->gpus[g], d);
	}
	nv.shutdown();
}
