/* Where a side's buffers live, behind a small ops table (as perftest's
 * memory backends): host memory (page aligned) or a CUDA device (-D host |
 * cuda | cuda:N), chosen independently on each side. A third backend
 * (Neuron, ROCm) is one more mem_<name>.c and one row in fc_mem_parse. */
#ifndef FC_MEM_H
#define FC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a transport must treat the memory: registered as host memory or
 * through the provider's HMEM interface. */
enum fc_mem_iface { FC_IFACE_HOST, FC_IFACE_CUDA };

struct fc_mem_ops {
	const char *name;  /* in -D and records: host, cuda */
	const char *label; /* in messages: host, CUDA */
	enum fc_mem_iface iface;
	/* Loads the runtime and makes the device current on the calling
	 * thread (every thread that touches the buffers calls it). */
	int (*use)(int device);
	void *(*alloc)(size_t len);
	void (*free)(void *p, size_t len);
	/* Copies between the buffers' memory and host memory (NULL: the
	 * buffers are host memory). 0 or negative. */
	int (*from_host)(void *dst, const void *src, size_t len);
	int (*to_host)(void *dst, const void *src, size_t len);
	/* Host memory the device copies fast into (pinned), for staging. */
	void *(*host_alloc)(size_t len);
	void (*host_free)(void *p, size_t len);
	/* Memory the allocator could still give, bytes (0: unknown). */
	size_t (*available)(void);
};

extern const struct fc_mem_ops fc_mem_host;
extern const struct fc_mem_ops fc_mem_cuda;

struct fc_mem {
	const struct fc_mem_ops *ops; /* NULL reads as host */
	int device;
};

/* "host", "cuda", "cuda:N". 0 or -FC_EXIT_USAGE naming the value. */
int fc_mem_parse(const char *s, struct fc_mem *m);
const char *fc_mem_name(const struct fc_mem *m, char *buf, size_t len);
const struct fc_mem_ops *fc_mem_ops_of(const struct fc_mem *m);
bool fc_mem_is_device(const struct fc_mem *m);

int fc_mem_use(const struct fc_mem *m);
void *fc_mem_alloc(const struct fc_mem *m, size_t len);
void fc_mem_free(const struct fc_mem *m, void *p, size_t len);

/* Verification patterns in either memory: device buffers are filled from
 * a host pattern and copied back to be checked (scratch: host, len bytes).
 * fill: 0 or negative (a failed copy is a setup error, not bad data).
 * check: 0 with *offset the first wrong byte or (size_t)-1, or negative. */
int fc_mem_fill(const struct fc_mem *m, void *dst, size_t len, uint64_t seed, void *scratch);
int fc_mem_check(const struct fc_mem *m, const void *src, size_t len, uint64_t seed, void *scratch,
		 size_t *offset);

#endif
