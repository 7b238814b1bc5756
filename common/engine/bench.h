/* What a benchmark loop plugs into: struct fc_bench, and the per-size
 * driver (steps.c): sync, warmup, adaptive iterations, the timed phase on
 * every lane at once, verification verdicts, records (emit.c). The loops
 * themselves live beside their programs in tests/ (benches.h). */
#ifndef FC_BENCH_H
#define FC_BENCH_H

#include "output.h"
#include "run.h"

/* One phase of a loop on a lane: count iterations numbered from iter0. */
struct fc_phase {
	long count;
	uint64_t iter0;
	bool timed;
};

#define FC_WARMUP_ITER (1ull << 62) /* warmup iterations get their own patterns */
/* Adaptive timed phases run in at least FC_MIN_REPEATS slices where they
 * have that many iterations (steps.c), each a repeat (struct fc_lane_state) */
#define FC_MIN_REPEATS 3
#define FC_MAX_REPEATS 64

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
/* Checks buf against the pattern; a mismatch is remembered (the first
 * one), a failed copy out of GPU memory is returned as an error. */
int fc_mismatch_check(struct fc_mismatch *m, struct fc_lane *l, const void *buf, size_t len, uint64_t seed,
		      long iter, long msg);

/* What every benchmark's per-lane state for a size starts with: what its
 * loop measured in the timed phase, which emit.c turns into records. */
struct fc_lane_state {
	struct fc_mismatch bad;
	uint64_t *samples; /* latency per timed iteration, ns (the driver allocates iters) */
	size_t nsamples;   /* how many the loop filled (0: no latency for this test) */
	double bytes;      /* payload the timed phase moved */
	double msgs;       /* messages it took */
	uint64_t busy_ns;  /* time they took */
	/* the driver's: how often the lane's thread lost its CPU to other work
	 * in the timed phase (involuntary switches), and how long it worked */
	uint64_t preempted, worked_ns;
	/* each slice of the timed phase timed on its own: a repeat of the
	 * measurement (GB/s), so one stall moves the median of them, not the
	 * size's value; the first FC_MAX_REPEATS are kept */
	double repeat_gbps[FC_MAX_REPEATS];
	int nrepeats;
};

struct fc_bench {
	const char *test;
	const struct fc_run_spec *spec;
	int (*loop)(struct fc_lane *l, void *phase); /* warmup and timed phases */
	/* this size's state for a lane (NULL: out of memory), and its end */
	struct fc_lane_state *(*lane_begin)(struct fc_run *r, struct fc_lane *l, size_t size);
	void (*lane_end)(struct fc_lane *l);
	/* test-specific record fields (l NULL: the aggregate) */
	void (*describe)(const struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec);
	/* optional: the test's banner lines, below the run's (fc_run_banner) */
	void (*banner)(struct fc_run *r);
	const char *client_dir, *server_dir; /* the data each side checks, for mismatch messages */
};

/* Adaptive iterations: as many as fill --size-time at per_iter_ns each,
 * from 10 to a million. */
long fc_adaptive_iters(const struct fc_params *p, uint64_t per_iter_ns);
/* The client's next slice of a timed phase of iters, done of them run in
 * elapsed_ns: all that is left for a count given with -I; else an eighth
 * (at least 64), fewer where twice --size-time would pass first, and 0
 * once it has passed (the size ends with fewer iterations). */
long fc_next_slice(const struct fc_params *p, long iters, long done, uint64_t elapsed_ns);

/* Every size: sync, warmup, timed phase on all lanes, verification
 * verdicts, records to both sides (client), or as the client asks (server). */
int fc_bench_run(struct fc_run *r, const struct fc_bench *b);

/* The records of one size from every lane's state, plus the aggregate of
 * all lanes (lane "all") when there are several: printed, written, and
 * appended to out for the peer. planned: the iterations asked for when
 * fewer ran (the size's time was up), else 0. */
int fc_emit_size(struct fc_run *r, const struct fc_bench *b, size_t size, long iters, long planned, long warm,
		 json_t *out);

#endif
