/* Benchmark loops, written once against the transport interface and shared
 * by the standalone programs and the pairs runner. */
#ifndef FC_BENCH_H
#define FC_BENCH_H

#include "output.h"
#include "run.h"

/* RDM ping-pong over every size of the run. Latency is half the round trip. */
int fc_bench_pingpong(struct fc_run *r);
extern const struct fc_column fc_pingpong_columns[];

/* Streaming bandwidth and message rate, uni- or bidirectional. */
int fc_bench_bw(struct fc_run *r);
size_t fc_bw_buffer_bytes(const struct fc_opts *o, size_t size);
long fc_bw_window(const struct fc_opts *o, size_t size);
extern const struct fc_column fc_bw_columns[];

/* RMA write, read or write-with-data: bandwidth (windows) and latency. */
int fc_bench_rma(struct fc_run *r);
size_t fc_rma_buffer_bytes(const struct fc_opts *o, size_t size);
extern const struct fc_column fc_rma_columns[];

/* ---- the per-size protocol every benchmark shares (bench_steps.c) ---- */

/* One phase of a loop on a lane: count iterations numbered from iter0. */
struct fc_phase {
	long count;
	uint64_t iter0;
	bool timed;
};

#define FC_WARMUP_ITER (1ull << 62) /* warmup iterations get their own patterns */

/* The pattern number of message i of window `window` (FC_WARMUP_ITER set
 * for warmup) on a lane: distinct for every message, window, lane and
 * phase, so a stale or misplaced buffer never passes for a fresh one. */
uint64_t fc_window_msg_iter(uint64_t window, long w, long i, int lane);

/* First data mismatch one side saw, reported after the size ends so the
 * peer is never left waiting on a message that will not come. */
struct fc_mismatch {
	bool seen;
	long iter;
	long msg; /* message within the iteration's window, -1 for one message */
	size_t offset;
};
void fc_mismatch_check(struct fc_mismatch *m, struct fc_lane *l, const void *buf, size_t len,
		       uint64_t seed, long iter, long msg);

long fc_warmup_count(const struct fc_opts *o);

/* Starts a size on both sides and runs the warmup on every lane; the
 * client sizes adaptive iterations from the second half of the warmup and
 * both sides leave with the same *iters. */
int fc_size_sync(struct fc_run *r, size_t idx, size_t size, long warm,
		 int (*loop)(struct fc_lane *, void *), long *iters);
/* After the timed loop: each side's verification verdict reaches the other
 * before any number is printed (mismatch: both exit 5). */
int fc_size_finish(struct fc_run *r, size_t size, const struct fc_mismatch *bad, int lane,
		   const char *direction);
/* The client sends its records (already printed) and the server prints them. */
int fc_size_results(struct fc_run *r, json_t *records);
/* Every benchmark's per-lane state for a size starts with this. */
struct fc_lane_state {
	struct fc_mismatch bad;
	uint64_t *samples; /* one per timed iteration, the driver allocates them */
};

/* What a benchmark plugs into the per-size driver. */
struct fc_bench {
	int (*loop)(struct fc_lane *l, void *phase); /* warmup and timed phases */
	/* this size's state for a lane (NULL: out of memory), and its end */
	struct fc_lane_state *(*lane_begin)(struct fc_lane *l, size_t size);
	void (*lane_end)(struct fc_lane *l);
	/* client: build, print and append this size's records */
	int (*records)(struct fc_run *r, size_t size, long iters, long warm, json_t *out);
	const char *client_dir, *server_dir; /* the data each side checks, for mismatch messages */
};

/* Every size: sync, warmup, timed phase on all lanes, verification
 * verdicts, records to both sides (client), or as the client asks (server). */
int fc_bench_run(struct fc_run *r, const struct fc_bench *b);

#endif
