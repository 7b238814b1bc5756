/* Where a side's buffers live: host memory (page aligned) or a CUDA device
 * (-D host | cuda | cuda:N), chosen independently on each side. */
#ifndef FC_MEM_H
#define FC_MEM_H

#include <stddef.h>
#include <stdint.h>

enum fc_mem_kind { FC_MEM_HOST, FC_MEM_CUDA };

struct fc_mem {
	enum fc_mem_kind kind;
	int device;
};

/* "host", "cuda", "cuda:N". 0 or -FC_EXIT_USAGE naming the value. */
int fc_mem_parse(const char *s, struct fc_mem *m);
const char *fc_mem_name(const struct fc_mem *m, char *buf, size_t len);

/* Loads CUDA and makes the device current on the calling thread (no-op
 * for host memory). Every thread that touches the buffers calls it. */
int fc_mem_use(const struct fc_mem *m);

void *fc_mem_alloc(const struct fc_mem *m, size_t len);
void fc_mem_free(const struct fc_mem *m, void *p, size_t len);

/* Verification patterns in either memory: CUDA buffers are filled from a
 * host pattern and copied back to be checked (scratch: host, len bytes). */
int fc_mem_fill(const struct fc_mem *m, void *dst, size_t len, uint64_t seed, void *scratch);
/* Offset of the first wrong byte, (size_t)-1 when all match. */
size_t fc_mem_check(const struct fc_mem *m, const void *src, size_t len, uint64_t seed, void *scratch);

#endif
