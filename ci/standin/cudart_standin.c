/* A stand-in CUDA runtime for machines without a GPU: the few entry points
 * fabcheck loads (FABCHECK_CUDART=this library), implemented over host
 * memory, so allocation, staging, verification and the registration call
 * with iface CUDA are exercised for real. "Device" memory is host memory
 * the stand-in hands out and tracks; copies check that a device pointer is
 * one it handed out. Environment:
 *   FABCHECK_STANDIN_GPUS   device count (default 1; 0 = runtime, no GPU)
 *   FABCHECK_STANDIN_BUSIDS the devices' PCI bus ids, comma-separated, for
 *                           cudaDeviceGetPCIBusId (unset: it fails)
 *   FABCHECK_STANDIN_LOG    at exit, write the bytes copied each way, and
 *                           allocated on each device, there */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OK = 0, ERR_INVALID_VALUE = 1, ERR_ALLOC = 2, ERR_NO_DEVICE = 100, ERR_INVALID_DEVICE = 101 };

#define MAX_ALLOCS 4096
static struct { char *p; size_t len; } allocs[MAX_ALLOCS];
static unsigned long long h2d_bytes, d2h_bytes, h2d_calls, d2h_calls;
static __thread int current = -1; /* per thread, as the runtime's */
#define MAX_DEVS 64
static unsigned long long dev_alloc[MAX_DEVS];

static int gpus(void)
{
	const char *s = getenv("FABCHECK_STANDIN_GPUS");
	return s ? atoi(s) : 1;
}

static int is_device(const void *p, size_t len)
{
	for (int i = 0; i < MAX_ALLOCS; i++)
		if (allocs[i].p && (const char *)p >= allocs[i].p &&
		    (const char *)p + len <= allocs[i].p + allocs[i].len)
			return 1;
	return 0;
}

static void report(void)
{
	const char *path = getenv("FABCHECK_STANDIN_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) {
		fprintf(f, "h2d_bytes %llu h2d_calls %llu d2h_bytes %llu d2h_calls %llu", h2d_bytes, h2d_calls,
			d2h_bytes, d2h_calls);
		for (int d = 0; d < MAX_DEVS; d++)
			if (dev_alloc[d])
				fprintf(f, " dev%d_alloc_bytes %llu", d, dev_alloc[d]);
		fprintf(f, "\n");
		fclose(f);
	}
}

int cudaGetDeviceCount(int *n)
{
	*n = gpus();
	return *n > 0 ? OK : ERR_NO_DEVICE;
}

int cudaSetDevice(int d)
{
	static int once;
	if (d < 0 || d >= gpus())
		return ERR_INVALID_DEVICE;
	if (!once++)
		atexit(report);
	current = d;
	return OK;
}

int cudaMalloc(void **p, size_t len)
{
	if (current < 0)
		return ERR_INVALID_VALUE; /* no device made current: a real runtime picks 0, we insist */
	for (int i = 0; i < MAX_ALLOCS; i++)
		if (!allocs[i].p) {
			if (posix_memalign((void **)&allocs[i].p, 4096, len ? len : 1))
				return ERR_ALLOC;
			memset(allocs[i].p, 0xd5, len); /* device memory starts as garbage */
			allocs[i].len = len;
			if (current < MAX_DEVS)
				__atomic_add_fetch(&dev_alloc[current], len, __ATOMIC_RELAXED);
			*p = allocs[i].p;
			return OK;
		}
	return ERR_ALLOC;
}

int cudaFree(void *p)
{
	if (!p)
		return OK; /* cudaFree(NULL) creates the context */
	for (int i = 0; i < MAX_ALLOCS; i++)
		if (allocs[i].p == p) {
			free(p);
			allocs[i].p = NULL;
			return OK;
		}
	return ERR_INVALID_VALUE;
}

int cudaMallocHost(void **p, size_t len)
{
	return posix_memalign(p, 4096, len ? len : 1) ? ERR_ALLOC : OK;
}

int cudaFreeHost(void *p)
{
	free(p);
	return OK;
}

/* FABCHECK_STANDIN_FAIL_H2D_AFTER=N: host-to-device copies fail after N,
 * as a GPU that fell off the bus would (fault tests). */
static long fail_h2d_after(void)
{
	const char *s = getenv("FABCHECK_STANDIN_FAIL_H2D_AFTER");
	return s && *s ? atol(s) : -1;
}

int cudaMemcpy(void *dst, const void *src, size_t len, int kind)
{
	if (kind == 1) { /* host to device */
		if (!is_device(dst, len) || is_device(src, len))
			return ERR_INVALID_VALUE;
		if (fail_h2d_after() >= 0 && (long)h2d_calls >= fail_h2d_after())
			return ERR_INVALID_VALUE;
		h2d_bytes += len;
		h2d_calls++;
	} else if (kind == 2) { /* device to host */
		if (!is_device(src, len) || is_device(dst, len))
			return ERR_INVALID_VALUE;
		d2h_bytes += len;
		d2h_calls++;
	} else {
		return ERR_INVALID_VALUE;
	}
	memcpy(dst, src, len);
	return OK;
}

int cudaDeviceGetPCIBusId(char *id, int len, int dev)
{
	const char *s = getenv("FABCHECK_STANDIN_BUSIDS");

	if (!s || dev < 0 || dev >= gpus() || len < 13)
		return ERR_INVALID_VALUE;
	for (int i = 0; i < dev && s; i++)
		if ((s = strchr(s, ',')))
			s++;
	if (!s || !*s)
		return ERR_INVALID_VALUE;
	snprintf(id, (size_t)len, "%.*s", (int)strcspn(s, ","), s);
	return OK;
}

int cudaMemGetInfo(size_t *free_bytes, size_t *total)
{
	*free_bytes = 1ull << 30;
	*total = 2ull << 30;
	return OK;
}

const char *cudaGetErrorString(int e)
{
	switch (e) {
	case OK: return "no error";
	case ERR_INVALID_VALUE: return "invalid argument";
	case ERR_ALLOC: return "out of memory";
	case ERR_NO_DEVICE: return "no CUDA-capable device is detected";
	case ERR_INVALID_DEVICE: return "invalid device ordinal";
	default: return "unknown error";
	}
}
