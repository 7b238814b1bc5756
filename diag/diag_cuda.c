/* dmabuf support as aws-ofi-nccl decides it (src/nccl_ofi_dmabuf.cpp): the
 * CUDA driver reports CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED on every GPU;
 * the kernel (>= 5.12) and libfabric (>= 1.20) parts are checked from their
 * own facts. The driver API is loaded at run time (libcuda.so.1). */
#include <stdio.h>

#include "diag.h"
#include "diag_dl.h"

enum { CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED = 124 }; /* cuda.h, CUDA 11.7+ */

void diag_cuda_query(struct diag_facts *f)
{
	static const char *const names[] = {"libcuda.so.1"};
	void *lib;
	int (*init)(unsigned), (*version)(int *), (*count)(int *), (*get)(int *, int), (*attr)(int *, int, int);
	int n = 0, v = 0, yes = 0;

	if (f->ngpus == 0)
		return; /* no reason to load a GPU driver on a node without GPUs */
	lib = diag_dlopen("FABCHECK_LIBCUDA", names, 1, &f->cuda);
	*(void **)&init = diag_dlsym(lib, "cuInit", true, &f->cuda);
	*(void **)&version = diag_dlsym(lib, "cuDriverGetVersion", true, &f->cuda);
	*(void **)&count = diag_dlsym(lib, "cuDeviceGetCount", true, &f->cuda);
	*(void **)&get = diag_dlsym(lib, "cuDeviceGet", true, &f->cuda);
	*(void **)&attr = diag_dlsym(lib, "cuDeviceGetAttribute", true, &f->cuda);
	if (f->cuda.state != DIAG_LIB_LOADED)
		return;
	f->cuda_init_rc = init(0);
	if (f->cuda_init_rc || count(&n)) {
		f->cuda.state = DIAG_LIB_BROKEN;
		snprintf(f->cuda.error, sizeof(f->cuda.error), "%s failed (CUresult %d): no usable GPU",
			 f->cuda_init_rc ? "cuInit" : "cuDeviceGetCount", f->cuda_init_rc ? f->cuda_init_rc : 0);
		return;
	}
	if (!version(&v) && v > 0)
		snprintf(f->cuda.version, sizeof(f->cuda.version), "%d.%d", v / 1000, v % 1000 / 10);
	for (int i = 0; i < n; i++) {
		int dev, ok = 0;
		if (!get(&dev, i) && !attr(&ok, CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED, dev) && ok)
			yes++;
	}
	f->cuda_dmabuf = n > 0 && yes == n;
}
