/* Lanes: an endpoint, its queues, address vector, registered buffers and
 * one pinned worker thread, one per NIC (times -E). A set of lanes opens
 * once and can change peer without reopening anything (fi_av_remove /
 * fi_av_insert; new connections for the socket transport): the cluster
 * runner meets a new peer every round over the same NICs. Benchmarks talk
 * to lanes only, through the calls below: posting, one wait loop (deadline,
 * abort and stop checks, byte accounting), patterns, RMA bounds. */
#ifndef FC_LANES_H
#define FC_LANES_H

#include <jansson.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nic.h"
#include "xport.h"

#define FC_MAX_LANES 256

struct fc_lanes;
struct fc_workers;

struct fc_lane {
	struct fc_lanes *set;
	int index;
	bool progressed;              /* completed an operation since the step connected (its own thread writes it) */
	char domain[128];             /* asked for; empty = the one that reaches the peer */
	struct fc_xport_cfg cfg;
	struct fc_xport *x;
	struct fc_xport_info info;
	struct fc_mem mem;            /* its buffers' memory: -D, or what -D auto picked for its NIC */
	char memory[32];              /* the same as records name it: host, cuda:N */
	char memory_why[200];         /* -D auto: why this memory ("" otherwise) */
	void *sbuf, *rbuf;            /* registered, buflen bytes each, in that memory */
	size_t buflen;
	void *scratch;                /* host, buflen: patterns for device buffers */
	struct fc_rma_target peer_target; /* RMA: what the peer registered for this lane */
	uint64_t tx_bytes, rx_bytes;  /* payload this side moved through the NIC */
	uint64_t t_start, t_end;      /* timed phase, CLOCK_MONOTONIC ns */
	uint64_t preempted, worked_ns; /* involuntary context switches of its thread while it worked, and for how long */
	size_t size;                  /* message size of the current step (messages) */
	void *bench;                  /* the benchmark's per-lane state for a size */
	struct fc_nic_snapshot nic_before; /* counters when the current peer began */
	bool down;                    /* its NIC is there but down (-d all): never opened */
	char link[32];                /* its NIC's link state when down */
	bool active;                  /* paired with the current peer: both NICs up */
	bool peer_down;               /* the peer's NIC i is down */
	char peer_link[32];
	char peer_domain[128];        /* the peer's NIC i, as it names it */
	cpu_set_t cpus;               /* where its worker runs: next to its NIC */
	bool pinned;
	char cpulist[64];             /* the same, "0-15,32-47", for the banner */
	bool stuck;  /* operations the provider never gave back: their memory (bench
		      * state, buffers) is left to it, never freed */
	bool tainted; /* a step with the peer failed: the peer (stalled, not gone)
		       * may still send into this endpoint, so the next peer gets
		       * a fresh one (fc_lanes_renew) */
};

struct fc_lanes {
	int n;
	struct fc_lane *lane;
	const struct fc_xport_ops *ops;
	struct fc_mem mem;       /* -D; for auto, the backend it resolved to */
	char memory_why[200];    /* -D auto resolved to host memory: why */
	const char *sysfs_root;
	atomic_bool abort;       /* one lane failed: the others stop waiting */
	atomic_bool cut;         /* the cluster runner's coordinator ended the step */
	/* a standalone program's: no peer comes after a failure, the process
	 * exits, so what is posted gets a short drain (a peer that stopped
	 * never completes a send: a full one would wait out its second before
	 * this side could exit); what stays stuck is left to the exit */
	bool last_peer;
	atomic_int failed_lane;  /* the first lane whose own wait timed out, -1 none */
	double op_timeout_s;     /* longest silence of the peer */
	uint64_t deadline;       /* whole run, CLOCK_MONOTONIC ns */
	double deadline_s;       /* as given, for messages */
	/* the option that sets the deadline, for messages: NULL for the
	 * run's -t; the cluster runner's per-step budget names its own */
	const char *deadline_option;
	char peer_host[256];     /* for messages */
	int peer_boot_fd;        /* the bootstrap to the peer, watched for its stop (-1 none) */
	struct fc_workers *workers;
};

struct fc_lanes_spec {
	const struct fc_xport_ops *ops;
	const char *domains; /* -d: NULL (the route to the peer), "all", or a comma list */
	long endpoints;      /* -E per NIC */
	struct fc_xport_cfg tmpl;
	const char *sysfs_root;
	double op_timeout_s;
	uint64_t deadline;
	double deadline_s;
};

/* Plans lanes from -d and -E, opens every endpoint and starts the workers
 * (pinned near their NIC where the topology says so, the GPU current on
 * each). On failure everything opened is closed again. */
int fc_lanes_open(struct fc_lanes *set, const struct fc_lanes_spec *spec);
void fc_lanes_close(struct fc_lanes *set);

/* Buffers of at least `bytes` each way per lane, registered once before
 * any timing (no loop measures the MR cache); grows, never shrinks. */
int fc_lanes_reserve(struct fc_lanes *set, size_t bytes);

/* This side's lanes for the peer: [{"addr": hex, "provider", "domain"}]. */
json_t *fc_lanes_addrs(struct fc_lanes *set);

/* Takes the peer's lanes (validated: count, provider, address length and
 * encoding) and starts talking to it, dropping any earlier peer. Lane i
 * pairs this side's NIC i with the peer's; a pair where either NIC is
 * down is left inactive (and named), the others run. */
int fc_lanes_connect(struct fc_lanes *set, const json_t *theirs, const char *peer_ip, const char *peer_host,
		     const unsigned char cookie[FC_COOKIE_LEN], bool as_server);
/* Lanes left stuck or tainted by a peer that stalled get a fresh endpoint
 * (a stuck one stays with the provider, a tainted one is closed): the
 * cluster agent's next peer neither is refused nor receives what the last
 * one sends late. */
int fc_lanes_renew(struct fc_lanes *set);
/* After a failed step: every lane is tainted (see struct fc_lane). */
void fc_lanes_taint(struct fc_lanes *set);
/* How many lanes run with the current peer. */
int fc_lanes_active(const struct fc_lanes *set);
/* Cancels and drains everything posted and forgets the peer. A lane whose
 * operations do not come back is marked stuck (see struct fc_lane). */
int fc_lanes_disconnect(struct fc_lanes *set);

/* RMA: this side's targets [{"key","addr","len"}] (the whole receive
 * buffer of each lane), and the peer's, checked to cover `need` bytes. */
json_t *fc_lanes_targets(struct fc_lanes *set);
int fc_lanes_take_targets(struct fc_lanes *set, const json_t *theirs, size_t need);

/* Runs fn on every lane at once (on the workers when there are several)
 * and returns the first real failure (not a lane that stopped because of
 * it). */
int fc_lanes_run(struct fc_lanes *set, int (*fn)(struct fc_lane *l, void *arg), void *arg);

/* ---- what a benchmark calls on its lane ---- */

/* Post; buf must lie in the lane's buffers (a refused range is an error,
 * never a write outside them). */
int fc_lane_send(struct fc_lane *l, struct fc_op *op, void *buf, size_t len, int stream);
int fc_lane_recv(struct fc_lane *l, struct fc_op *op, void *buf, size_t len, int stream);
/* RMA of len bytes between local (in the lane's buffers) and the peer's
 * target at offset; the range must lie inside what the peer registered.
 * data: immediate data of a write with data. */
int fc_lane_rma(struct fc_lane *l, struct fc_op *op, enum fc_op_kind kind, void *local, size_t len,
		uint64_t offset, uint64_t data);
/* Waits until op completes (every completion reaped meanwhile is marked
 * done and its bytes counted). what and iter name the wait in errors. */
int fc_lane_wait(struct fc_lane *l, struct fc_op *op, const char *what, long iter);
/* Waits until the peer's writes with data on this lane reach count. */
int fc_lane_wait_events(struct fc_lane *l, uint64_t count, const char *what, long iter);
uint64_t fc_lane_events(struct fc_lane *l);
/* Bytes the NIC moved for this side without a completion here (the
 * target of one-sided operations), for the coverage check. */
void fc_lane_account(struct fc_lane *l, uint64_t tx, uint64_t rx);

/* Verification patterns in the lane's memory (host or device). */
int fc_lane_fill(struct fc_lane *l, void *buf, size_t len, uint64_t seed);
int fc_lane_check(struct fc_lane *l, const void *buf, size_t len, uint64_t seed, size_t *offset);

/* "run deadline (-t 300 s)", or the runner's "step deadline (20 s, a third
 * of --pair-timeout)": for messages that say which deadline passed. */
const char *fc_lanes_deadline_desc(const struct fc_lanes *set, char *buf, size_t len);

#endif
