/* The benchmark loops, written once against lanes (engine/bench.h) and
 * shared by the standalone programs in tests/ and the cluster runner
 * (diag/pairs). Each lives beside its program: tests/pingpong.c, bw.c,
 * rma.c; mr.c (mr.h) is a local test with no peer. A new test is its loop
 * file (with its main) and one row in fc_benches (benches.c). */
#ifndef FC_BENCHES_H
#define FC_BENCHES_H

#include "bench.h"

/* RDM ping-pong. Latency is half the round trip. */
extern const struct fc_bench fc_bench_pingpong;
extern const struct fc_run_spec fc_pingpong_spec;

/* Streaming bandwidth and message rate, uni- or bidirectional. */
extern const struct fc_bench fc_bench_bw;
extern const struct fc_run_spec fc_bw_spec;
long fc_bw_window(const struct fc_params *p, size_t size);

/* RMA write, read or write-with-data: bandwidth (windows) and latency. */
extern const struct fc_bench fc_bench_rma;
extern const struct fc_run_spec fc_rma_spec;

/* Every peer test, one row each (NULL ends it): why here, in benches.c. */
extern const struct fc_bench *const fc_benches[];
/* The row whose records carry test = name, or NULL. */
const struct fc_bench *fc_bench_find(const char *test);

#endif
