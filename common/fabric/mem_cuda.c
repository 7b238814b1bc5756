/* CUDA device memory through the runtime loaded at run time (cuda.c):
 * registered through the provider's HMEM interface, filled and checked
 * through host copies, staged through pinned host memory where a
 * transport cannot reach the device. */
#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>

#include "cuda.h"
#include "errors.h"
#include "mem.h"

static int cuda_use(int device)
{
	return fc_cuda_use(device);
}

static void *cuda_alloc(size_t len)
{
	void *p = NULL;
	return fc_cuda_malloc(&p, len) ? NULL : p;
}

static void cuda_free(void *p, size_t len)
{
	(void)len;
	fc_cuda_free(p);
}

static int cuda_from_host(void *dst, const void *src, size_t len)
{
	return fc_cuda_h2d(dst, src, len) ? -FC_EXIT_FABRIC : 0;
}

static int cuda_to_host(void *dst, const void *src, size_t len)
{
	return fc_cuda_d2h(dst, src, len) ? -FC_EXIT_FABRIC : 0;
}

static void *cuda_host_alloc(size_t len)
{
	void *p = NULL;
	return fc_cuda_host_alloc(&p, len) ? NULL : p;
}

static void cuda_host_free(void *p, size_t len)
{
	(void)len;
	fc_cuda_host_free(p);
}

static size_t cuda_available(void)
{
	size_t avail = 0;
	return fc_cuda_mem_free_bytes(&avail) ? 0 : avail;
}

static void cuda_fi_device(struct fi_mr_attr *attr, int device)
{
	attr->device.cuda = device;
}

/* FI_OPT_CUDA_API_PERMITTED exists from libfabric 1.18 on; older headers
 * build without the GPUDirect probe (the record's gpu_path stays unset). */
#if FI_MAJOR_VERSION > 1 || (FI_MAJOR_VERSION == 1 && FI_MINOR_VERSION >= 18)
#define CUDA_P2P_OPT FI_OPT_CUDA_API_PERMITTED
#else
#define CUDA_P2P_OPT 0
#endif

const struct fc_mem_ops fc_mem_cuda = {
	.name = "cuda",
	.label = "CUDA",
	.fi_iface = FI_HMEM_CUDA,
	.fi_device = cuda_fi_device,
	.dmabuf = fc_cuda_dmabuf,
	.fi_p2p_opt = CUDA_P2P_OPT,
	.use = cuda_use,
	.alloc = cuda_alloc,
	.free = cuda_free,
	.from_host = cuda_from_host,
	.to_host = cuda_to_host,
	.host_alloc = cuda_host_alloc,
	.host_free = cuda_host_free,
	.available = cuda_available,
	.devices = fc_cuda_devices,
};
