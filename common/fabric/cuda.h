/* The CUDA runtime (and, for dmabuf, the driver), loaded at run time with
 * dlopen: one binary builds without the CUDA toolkit and runs on GPU and
 * CPU-only nodes alike. $FABCHECK_CUDART names the runtime library to load
 * instead of the versioned system ones (the tests load a stand-in). */
#ifndef FC_CUDA_H
#define FC_CUDA_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -FC_EXIT_FABRIC after saying which libraries were tried. */
int fc_cuda_load(void);
const char *fc_cuda_path(void);
/* The GPUs the runtime sees, quietly: how many (up to max), each one's PCI
 * bus id ("0000:53:00.0", "" where the runtime cannot say); 0 with why
 * when it sees none, -1 with why when there is no usable runtime. */
int fc_cuda_devices(char (*busids)[16], int max, char *why, size_t len);

/* Checks the device exists, makes it current on the calling thread and
 * creates its context (registration needs one on the registering thread). */
int fc_cuda_use(int device);

int fc_cuda_malloc(void **p, size_t len);
void fc_cuda_free(void *p);
int fc_cuda_host_alloc(void **p, size_t len); /* pinned, for staging */
void fc_cuda_host_free(void *p);
int fc_cuda_h2d(void *dst, const void *src, size_t len);
int fc_cuda_d2h(void *dst, const void *src, size_t len);
int fc_cuda_mem_free_bytes(size_t *free_bytes);

/* dmabuf export of a device range (driver API cuMemGetHandleForAddressRange).
 * 0 and fd/offset, or -1 when the driver cannot, with why (printed when
 * why is NULL). */
int fc_cuda_dmabuf(void *ptr, size_t len, int *fd, uint64_t *offset, char *why, size_t whylen);

#endif
