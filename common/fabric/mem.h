/* Where a side's buffers live, behind a small ops table (as perftest's
 * memory backends): host memory (page aligned) or a CUDA device (-D host |
 * cuda | cuda:N), chosen independently on each side. Each backend's ops
 * carry everything the rest of fabcheck asks about its memory, libfabric's
 * view included (FI_HMEM iface, device id, dmabuf, the GPUDirect probe), so
 * no other file tests for a backend by name: a third backend (Neuron,
 * ROCm) is one more mem_<name>.c and one row in fc_mem_backends (mem.c). */
#ifndef FC_MEM_H
#define FC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fi_mr_attr; /* libfabric's; only backends and xport_ofi.c look inside */

struct fc_mem_ops {
	const char *name;  /* in -D and records: host, cuda */
	const char *label; /* in messages: host, CUDA */
	/* libfabric's view, read by xport_ofi.c only. fi_iface: the
	 * enum fi_hmem_iface value its registrations use (FI_HMEM_SYSTEM, 0,
	 * for host memory, which asks for no FI_HMEM capability). */
	int fi_iface;
	/* Sets the device id in attr->device's member for fi_iface (a union:
	 * .cuda, .neuron, .ze, ...). NULL: the iface takes no device. */
	void (*fi_device)(struct fi_mr_attr *attr, int device);
	/* Exports a device range as a dmabuf fd for FI_MR_DMABUF: 0 and
	 * fd/offset, or -1 with why (printed when why is NULL: a lane that
	 * falls back to registering by address says nothing). NULL: no dmabuf
	 * path (fabcheck-mr
	 * then measures registration by address only). */
	int (*dmabuf)(void *p, size_t len, int *fd, uint64_t *offset, char *why, size_t whylen);
	/* The endpoint option (enum, FI_OPT_*_API_PERMITTED) that, set to false,
	 * succeeds only where the NIC reaches this memory peer to peer: tells
	 * GPUDirect from staged copies, as aws-ofi-nccl asks it. 0: no probe. */
	int fi_p2p_opt;
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
	/* Device backends: the devices this process sees, quietly (for -D
	 * auto): how many (up to max), each one's PCI bus id ("" where not
	 * known); 0 or -1 (no runtime) with why. NULL: host memory. */
	int (*devices)(char (*busids)[16], int max, char *why, size_t len);
};

extern const struct fc_mem_ops fc_mem_host;
extern const struct fc_mem_ops fc_mem_cuda;

/* Every backend -D accepts, in the order help lists them (NULL ends it).
 * Device backends (those with from_host) take name or name:N. */
extern const struct fc_mem_ops *const fc_mem_backends[];

struct fc_mem {
	const struct fc_mem_ops *ops; /* NULL reads as host */
	int device;
	/* -D auto: each lane takes the device nearest its NIC where a device
	 * backend sees any, else host memory (fc_mem_auto_*) */
	bool pick;
};

#define FC_MEM_MAX_DEVICES 64

/* -D auto before the lanes open: the first device backend that sees a
 * device (its device 0 until each lane picks), else host memory with
 * why. Anything else is left as it is. */
void fc_mem_auto_backend(struct fc_mem *m, char *why, size_t len);
/* -D auto for one lane, on its NIC: the device fewest PCI hops from it
 * (topo may be NULL), else lane index modulo the devices; why says which
 * rule chose. Returns the device. */
struct fc_topo;
int fc_mem_auto_device(const struct fc_mem *m, struct fc_topo *topo, const char *nic, int lane, char *why,
		       size_t len);

/* "host", "cuda", "cuda:N" (a backend's name, :N for devices), "auto".
 * 0 or -FC_EXIT_USAGE naming the value and what is accepted. */
int fc_mem_parse(const char *s, struct fc_mem *m);
/* What -D accepts, for help and errors: "host, cuda or cuda:N". */
const char *fc_mem_choices(char *buf, size_t len);
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
