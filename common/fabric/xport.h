/* The transport interface every benchmark loop is written against, in the
 * spirit of iperf3's struct protocol: `ofi` (libfabric, any provider) and
 * `socket` (kernel TCP, the non-EFA baseline) behind the same calls, so both
 * are measured by the same loop with the same clocks. Benchmarks do not
 * call it: they talk to lanes (lanes.h), which call it. */
#ifndef FC_XPORT_H
#define FC_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

enum fc_op_kind { FC_OP_SEND, FC_OP_RECV, FC_OP_WRITE, FC_OP_READ, FC_OP_WRITEDATA };

/* One posted operation. xport_ctx comes first: libfabric's FI_CONTEXT /
 * FI_CONTEXT2 modes need provider scratch space in the op's context, and the
 * completion hands back exactly this pointer. */
struct fc_op {
	uint64_t xport_ctx[8];
	void *buf;
	size_t len;
	enum fc_op_kind kind;
	int slot;   /* the caller's */
	int stream; /* socket transport: which connection */
	uint64_t raddr, rkey; /* RMA: the peer's target address and key */
	bool done;  /* set by the lane's wait when the completion arrives */
	/* the transport's: posted and not completed yet, so teardown can
	 * cancel and drain them before anything is closed or freed */
	bool posted;
	struct fc_op *prev, *next;
	size_t moved; /* socket transport: bytes moved so far */
	char *host;   /* socket transport: where the kernel reads or writes */
};

#define FC_COOKIE_LEN 16 /* per-run token every data connection presents */

struct fc_xport_cfg {
	const char *provider;
	const char *fabric;   /* NULL or empty: any */
	const char *domain;   /* NULL: the one that reaches the peer */
	const char *local_ip; /* this side's bootstrap address: the path to the peer */
	bool is_server;       /* may serve: the socket transport listens for data connections */
	bool block;           /* blocking completion reads */
	long sockbuf;         /* socket transport buffer sizes, 0 = kernel default */
	int streams;          /* socket transport connections */
	bool rma;             /* needs FI_RMA */
	bool ordered;         /* sends must land in the order posted (FI_ORDER_SAS) */
	size_t depth;         /* operations one direction keeps posted at most */
	struct fc_mem mem;    /* where this side's buffers are */
};

#define FC_MAX_SWITCH 8

/* What was actually set up: goes into every record, so a result can never
 * hide which provider, fabric or interface produced it. */
struct fc_xport_info {
	char transport[16];
	char provider[64];  /* e.g. "tcp;ofi_rxm", or "kernel-tcp" */
	char fabric[128];
	char domain[128];
	char libfabric[32]; /* runtime version, empty for the socket transport */
	char fi_api[16];    /* API version asked of fi_getinfo */
	char libfabric_path[4096];
	char local_addr[160];
	char peer_addr[160];
	int sndbuf, rcvbuf; /* socket transport, -1 elsewhere */
	int rma_emulated;   /* EFA: 1 software RMA, 0 device RDMA; -1 not known */
	size_t queue_depth; /* operations one direction can hold posted; 0 = no limit known */
	size_t inject_size; /* sends up to this size go out with FI_INJECT */
	size_t max_send;    /* the largest message a send may carry; 0: no limit known */
	const char *gpu_path; /* GPU memory: "gpudirect", "staged", or NULL (host / unknown) */
	const char *mr_path;  /* GPU memory registered by "dmabuf" or by address ("va"); NULL: host */
	size_t nswitch;     /* protocol switch points, for -S all */
	size_t switch_pts[FC_MAX_SWITCH];
	const char *switch_names[FC_MAX_SWITCH];
};

/* What the peer lets this side reach by RMA on a lane. */
struct fc_rma_target {
	uint64_t key, addr, len;
};

struct fc_xport;

struct fc_xport_ops {
	const char *name;
	/* Optional: checks before any connection that setup can succeed at all
	 * (the provider exists), so a misconfigured server fails at once. */
	int (*probe)(const struct fc_xport_cfg *cfg, struct fc_xport_info *info);
	/* Optional: every domain (NIC) of the provider but loopback, sorted;
	 * returns how many were written to names (up to max), or negative. */
	int (*list_domains)(const struct fc_xport_cfg *cfg, char names[][128], int max);
	/* Optional: the fabric cfg would open on (the provider's first that
	 * offers what cfg needs), asked quietly; negative when none does. */
	int (*fabric_of)(const struct fc_xport_cfg *cfg, char *name, size_t len);
	int (*open)(struct fc_xport **x, const struct fc_xport_cfg *cfg, struct fc_xport_info *info);
	/* This side's address, to send to the peer through the bootstrap. */
	int (*get_addr)(struct fc_xport *x, void *buf, size_t *len);
	/* Starts talking to a peer (after disconnecting any earlier one):
	 * peer_ip is the bootstrap peer's address (the socket transport
	 * connects only there), cookie what its data connections present. */
	int (*connect)(struct fc_xport *x, const void *peer, size_t len, const char *peer_ip,
		       const unsigned char cookie[FC_COOKIE_LEN], bool as_server, uint64_t deadline,
		       struct fc_xport_info *info);
	/* Cancels every posted operation, drains their completions (at most
	 * until deadline) and forgets the peer; the endpoint stays open for
	 * the next one. 0 when nothing is left posted, negative otherwise. */
	int (*disconnect)(struct fc_xport *x, uint64_t deadline);
	/* Registers a buffer region every later op lies in; and forgets it. */
	int (*reg)(struct fc_xport *x, void *buf, size_t len);
	void (*dereg)(struct fc_xport *x, void *buf);
	int (*post_send)(struct fc_xport *x, struct fc_op *op, uint64_t deadline);
	int (*post_recv)(struct fc_xport *x, struct fc_op *op, uint64_t deadline);
	/* Up to max completed ops; 0 when the deadline passed with none (the
	 * caller names what it waited for); negative after printing an error. */
	int (*poll)(struct fc_xport *x, struct fc_op **done, int max, uint64_t deadline);
	/* RMA (NULL where the transport has none): op->kind is FC_OP_WRITE,
	 * FC_OP_READ or FC_OP_WRITEDATA; completions come back through poll. */
	int (*post_rma)(struct fc_xport *x, struct fc_op *op, uint64_t deadline);
	int (*rma_target)(struct fc_xport *x, void *buf, size_t len, struct fc_rma_target *t);
	/* completions of the peer's writes with immediate data, so far */
	uint64_t (*remote_events)(struct fc_xport *x);
	/* Registers buf and deregisters it at once, timing each (fabcheck-mr);
	 * dmabuf: through a dmabuf fd of the GPU range instead of its address.
	 * -FC_EXIT_USAGE when that path is not built in (libfabric < 1.20). */
	int (*mr_time)(struct fc_xport *x, void *buf, size_t len, bool dmabuf, uint64_t *reg_ns,
		       uint64_t *dereg_ns);
	/* Disconnects (cancel, drain) and closes; every close error named. */
	void (*close)(struct fc_xport *x);
};

extern const struct fc_xport_ops fc_xport_ofi;
extern const struct fc_xport_ops fc_xport_socket;

const struct fc_xport_ops *fc_xport_find(const char *name);

/* Transport bookkeeping of posted operations, shared by both transports. */
struct fc_op_list {
	struct fc_op *head;
	size_t n;
};
void fc_op_list_add(struct fc_op_list *l, struct fc_op *op);
void fc_op_list_del(struct fc_op_list *l, struct fc_op *op);

#endif
