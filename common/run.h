/* One benchmark run between two processes: everything a benchmark loop
 * needs, passed explicitly (no process-wide state). A run has one or more
 * lanes: an endpoint, its buffers and its thread. `-d all` gives one lane
 * per NIC (times -E), lane i on the client paired with lane i on the server. */
#ifndef FC_RUN_H
#define FC_RUN_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bootstrap.h"
#include "nic.h"
#include "options.h"
#include "output.h"
#include "record.h"
#include "sizes.h"
#include "xport.h"

#define FC_MAX_LANES 256

struct fc_run;

struct fc_lane {
	struct fc_run *r;
	int index;
	char domain[128]; /* asked for; empty = the one that reaches the peer */
	struct fc_xport_cfg cfg;
	struct fc_xport *x;
	struct fc_xport_info info;
	void *sbuf, *rbuf; /* registered, buflen bytes each, in -D memory */
	size_t buflen;
	void *scratch;     /* host, buflen: verification of GPU buffers */
	uint64_t tx_bytes, rx_bytes; /* payload this side moved through the lane */
	uint64_t t_start, t_end;     /* timed phase, CLOCK_MONOTONIC ns */
	void *bench;                 /* the benchmark's per-lane state for a size */
	void *keep;                  /* a benchmark's per-lane state across sizes */
};

struct fc_run {
	const struct fc_opts *opts;
	const char *tool; /* program name, e.g. fabcheck-pingpong */
	const char *test; /* pingpong, bw, rma */
	bool is_client;
	uint64_t deadline; /* whole run, CLOCK_MONOTONIC ns */
	atomic_bool abort; /* one lane failed: the others stop waiting */

	struct fc_boot boot;
	const struct fc_xport_ops *ops;
	char local_host[256], peer_host[256];
	char memory[32], peer_memory[32]; /* "host", "cuda:0": each side its own */
	int nlanes;
	struct fc_lane *lanes;
	struct fc_nic_snapshot *nic_before; /* one per lane, for the coverage check */

	struct fc_sizes sizes;
	struct fc_out out;
	char timestamp[40]; /* of the record being built */
};

/* What a benchmark asks of the run before setup. */
struct fc_run_spec {
	const char *tool, *test;
	const struct fc_column *table;
	/* bytes each lane needs per buffer for a given message size */
	size_t (*buffer_bytes)(const struct fc_opts *o, size_t size);
	bool rma;
	/* messages a lane keeps posted at once for a size (NULL: one each way) */
	long (*window)(const struct fc_opts *o, size_t size);
	/* extra parameters both sides must agree on (may be NULL); stolen */
	json_t *params;
};

/* Bootstrap, hello and parameter check, transport setup, address exchange,
 * size list, buffers. On failure the peer is told why. */
int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const struct fc_run_spec *spec);
/* Coverage check (client and server, each for its own NICs), teardown;
 * returns rc, or a coverage/output error if rc was 0. */
int fc_run_finish(struct fc_run *r, int rc);

/* Deadline for one wait: the op timeout, but never past the run deadline. */
uint64_t fc_run_op_deadline(const struct fc_run *r);

/* A record with the lane's provenance filled in (lane NULL: aggregate);
 * its strings point into the run. */
void fc_run_rec(struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec);

/* Waits until op completes on the lane (marking every completion it reaps
 * done). `what` names the wait for the error message. */
int fc_lane_wait(struct fc_lane *l, struct fc_op *op, const char *what, size_t size, long iter);

/* Runs fn on every lane at once (a thread per lane when there are several,
 * pinned near the lane's NIC where the topology says so); returns the first
 * error. */
int fc_run_lanes(struct fc_run *r, int (*fn)(struct fc_lane *l, void *arg), void *arg);

/* Verification patterns in the lane's memory (host or GPU). */
int fc_lane_fill(struct fc_lane *l, void *buf, size_t len, uint64_t seed);
size_t fc_lane_check(struct fc_lane *l, const void *buf, size_t len, uint64_t seed);

/* Checks the whole-run deadline before starting a size. */
int fc_run_check_deadline(struct fc_run *r, size_t index);

#endif
