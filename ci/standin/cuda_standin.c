/* A stand-in CUDA driver (libcuda.so.1) for machines without a GPU: the
 * entry points fabcheck-diag loads through FABCHECK_LIBCUDA to learn
 * whether the GPUs export dmabuf (CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED).
 *   FABCHECK_STANDIN_CUDA_GPUS  device count (default 8)
 *   FABCHECK_STANDIN_DMABUF     the attribute's value (default 1)
 *   FABCHECK_STANDIN_CUINIT     what cuInit returns (default 0; 802: the
 *                               NVSwitch fabric is not ready) */
#include <stdlib.h>

enum { OK = 0, ERR_INVALID_VALUE = 1, ERR_INVALID_DEVICE = 101, DMA_BUF_SUPPORTED = 124 };

static int env(const char *name, int dflt)
{
	const char *v = getenv(name);
	return v ? atoi(v) : dflt;
}

int cuInit(unsigned flags)
{
	return flags ? ERR_INVALID_VALUE : env("FABCHECK_STANDIN_CUINIT", OK);
}

int cuDriverGetVersion(int *v)
{
	*v = 12080;
	return OK;
}

int cuDeviceGetCount(int *n)
{
	*n = env("FABCHECK_STANDIN_CUDA_GPUS", 8);
	return OK;
}

int cuDeviceGet(int *dev, int ordinal)
{
	if (ordinal < 0 || ordinal >= env("FABCHECK_STANDIN_CUDA_GPUS", 8))
		return ERR_INVALID_DEVICE;
	*dev = ordinal;
	return OK;
}

int cuDeviceGetAttribute(int *v, int attr, int dev)
{
	(void)dev;
	*v = attr == DMA_BUF_SUPPORTED ? env("FABCHECK_STANDIN_DMABUF", 1) : 0;
	return OK;
}
