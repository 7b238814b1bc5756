#include "cuda.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"

/* The few runtime entry points fabcheck uses, by their C ABI. */
typedef int cuda_err;
enum { CUDA_MEMCPY_H2D = 1, CUDA_MEMCPY_D2H = 2 };

static struct {
	void *lib, *drv;
	char path[256];
	cuda_err (*get_device_count)(int *);
	cuda_err (*set_device)(int);
	cuda_err (*malloc_)(void **, size_t);
	cuda_err (*free_)(void *);
	cuda_err (*malloc_host)(void **, size_t);
	cuda_err (*free_host)(void *);
	cuda_err (*memcpy_)(void *, const void *, size_t, int);
	cuda_err (*mem_get_info)(size_t *, size_t *);
	const char *(*error_string)(cuda_err);
	cuda_err (*pci_bus_id)(char *, int, int); /* optional: -D auto's topology */
	int (*get_handle)(int *, uint64_t, size_t, int, unsigned long long);
	char why[768]; /* why loading failed, once it has */
} cu;

static const char *estr(cuda_err e)
{
	const char *s = cu.error_string ? cu.error_string(e) : NULL;
	return s ? s : "unknown CUDA error";
}

#define RESOLVE(field, name)                                                                   \
	do {                                                                                   \
		*(void **)&cu.field = dlsym(cu.lib, name);                                     \
		if (!cu.field) {                                                               \
			snprintf(cu.why, sizeof(cu.why), "%s has no %s: not a usable CUDA runtime", \
				 cu.path, name);                                               \
			dlclose(cu.lib);                                                       \
			cu.lib = NULL;                                                         \
			return -FC_EXIT_FABRIC;                                                \
		}                                                                              \
	} while (0)

/* Loads the runtime once; on failure cu.why says why (nothing printed). */
static int load(void)
{
	static const char *names[] = {"libcudart.so", "libcudart.so.13", "libcudart.so.12",
				      "libcudart.so.11.0"};
	const char *forced = getenv("FABCHECK_CUDART");
	char tried[512] = "";

	if (cu.lib)
		return 0;
	for (size_t i = 0; i < (forced && *forced ? 1 : sizeof(names) / sizeof(names[0])); i++) {
		const char *n = forced && *forced ? forced : names[i];
		snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%s", *tried ? ", " : "", n);
		if ((cu.lib = dlopen(n, RTLD_NOW | RTLD_LOCAL))) {
			snprintf(cu.path, sizeof(cu.path), "%s", n);
			break;
		}
	}
	if (!cu.lib) {
		snprintf(cu.why, sizeof(cu.why),
			 "no CUDA runtime found (tried %s%s): install the CUDA runtime (libcudart) on this node, "
			 "or use host memory (-D host)",
			 tried, forced && *forced ? " from FABCHECK_CUDART" : "");
		return -FC_EXIT_FABRIC;
	}
	RESOLVE(get_device_count, "cudaGetDeviceCount");
	RESOLVE(set_device, "cudaSetDevice");
	RESOLVE(malloc_, "cudaMalloc");
	RESOLVE(free_, "cudaFree");
	RESOLVE(malloc_host, "cudaMallocHost");
	RESOLVE(free_host, "cudaFreeHost");
	RESOLVE(memcpy_, "cudaMemcpy");
	RESOLVE(mem_get_info, "cudaMemGetInfo");
	RESOLVE(error_string, "cudaGetErrorString");
	*(void **)&cu.pci_bus_id = dlsym(cu.lib, "cudaDeviceGetPCIBusId");
	/* the driver API, for dmabuf only: optional */
	if ((cu.drv = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)))
		*(void **)&cu.get_handle = dlsym(cu.drv, "cuMemGetHandleForAddressRange");
	return 0;
}

int fc_cuda_load(void)
{
	int rc = load();

	if (rc)
		fc_err("%s", cu.why);
	return rc;
}

int fc_cuda_devices(char (*busids)[16], int max, char *why, size_t len)
{
	int n = 0;
	cuda_err e;

	if (load()) {
		snprintf(why, len, "%s", cu.why);
		return -1;
	}
	if ((e = cu.get_device_count(&n)) || n <= 0) {
		snprintf(why, len, "the CUDA runtime (%s) sees no GPU (%s)", cu.path, e ? estr(e) : "0 devices");
		return 0;
	}
	for (int i = 0; i < n && i < max; i++) {
		char id[32] = "";
		unsigned d, b, s, f;
		busids[i][0] = '\0'; /* not known: the lanes take GPUs in turn */
		/* the domain may come with 4 or 8 digits: sysfs's form has 4 */
		if (cu.pci_bus_id && !cu.pci_bus_id(id, sizeof(id), i) && sscanf(id, "%x:%x:%x.%x", &d, &b, &s, &f) == 4)
			snprintf(busids[i], sizeof(busids[i]), "%04x:%02x:%02x.%x", d & 0xffff, b & 0xff, s & 0x1f, f & 7);
	}
	return n < max ? n : max;
}

const char *fc_cuda_path(void)
{
	return cu.path;
}

int fc_cuda_use(int device)
{
	int n = 0;
	cuda_err e;
	int rc = fc_cuda_load();

	if (rc)
		return rc;
	e = cu.get_device_count(&n);
	if (e || n == 0) {
		fc_err("the CUDA runtime (%s) sees no GPU (%s): check nvidia-smi, the driver, and on "
		       "Kubernetes the nvidia.com/gpu request; or use host memory (-D host)",
		       cu.path, e ? estr(e) : "0 devices");
		return -FC_EXIT_FABRIC;
	}
	if (device < 0 || device >= n) {
		fc_err("CUDA device %d does not exist: this node has %d (cuda:0..cuda:%d)", device, n, n - 1);
		return -FC_EXIT_FABRIC;
	}
	/* cudaFree(NULL) creates the context: registration needs a current one
	 * on the registering thread, or it fails later with a misleading error */
	if ((e = cu.set_device(device)) || (e = cu.free_(NULL))) {
		fc_err("cannot make CUDA device %d current: %s", device, estr(e));
		return -FC_EXIT_FABRIC;
	}
	return 0;
}

int fc_cuda_malloc(void **p, size_t len)
{
	cuda_err e = cu.malloc_(p, len);
	if (e)
		fc_err("cudaMalloc of %zu bytes failed: %s", len, estr(e));
	return e ? -FC_EXIT_FABRIC : 0;
}

void fc_cuda_free(void *p)
{
	if (p && cu.free_)
		cu.free_(p);
}

int fc_cuda_host_alloc(void **p, size_t len)
{
	cuda_err e = cu.malloc_host(p, len);
	if (e)
		fc_err("cudaMallocHost of %zu bytes failed: %s", len, estr(e));
	return e ? -FC_EXIT_FABRIC : 0;
}

void fc_cuda_host_free(void *p)
{
	if (p && cu.free_host)
		cu.free_host(p);
}

int fc_cuda_h2d(void *dst, const void *src, size_t len)
{
	cuda_err e = cu.memcpy_(dst, src, len, CUDA_MEMCPY_H2D);
	if (e)
		fc_err("cudaMemcpy host to device (%zu bytes) failed: %s", len, estr(e));
	return e ? -FC_EXIT_FABRIC : 0;
}

int fc_cuda_d2h(void *dst, const void *src, size_t len)
{
	cuda_err e = cu.memcpy_(dst, src, len, CUDA_MEMCPY_D2H);
	if (e)
		fc_err("cudaMemcpy device to host (%zu bytes) failed: %s", len, estr(e));
	return e ? -FC_EXIT_FABRIC : 0;
}

int fc_cuda_mem_free_bytes(size_t *free_bytes)
{
	size_t total;
	return cu.mem_get_info(free_bytes, &total) ? -FC_EXIT_FABRIC : 0;
}

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t len, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why ? why : text, why ? len : sizeof(text), fmt, ap);
	va_end(ap);
	if (!why)
		fc_err("%s", text);
}

int fc_cuda_dmabuf(void *ptr, size_t len, int *fd, uint64_t *offset, char *why, size_t whylen)
{
	/* CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD = 1; flag 1 asks for a PCIe mapping */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t base = (uintptr_t)ptr & ~(page - 1);
	size_t span = ((uintptr_t)ptr + len - base + page - 1) & ~(page - 1);

	if (!cu.get_handle) {
		say(why, whylen, "the CUDA driver API (libcuda.so.1 with cuMemGetHandleForAddressRange) is not "
				 "available: no dmabuf export; the VA registration path still works");
		return -1;
	}
	if (cu.get_handle(fd, base, span, 1, 1) && cu.get_handle(fd, base, span, 1, 0)) {
		say(why, whylen, "cuMemGetHandleForAddressRange refused a dmabuf for %zu bytes: the driver or GPU "
				 "lacks dmabuf support (needs the open kernel modules and CUDA 11.7+)", len);
		return -1;
	}
	*offset = (uint64_t)((uintptr_t)ptr - base);
	return 0;
}
