/* Benchmark loops, written once against the transport interface and shared
 * by the standalone programs and the pairs runner. */
#ifndef FC_BENCH_H
#define FC_BENCH_H

#include "output.h"
#include "run.h"

/* RDM ping-pong over every size of the run. Latency is half the round trip. */
int fc_bench_pingpong(struct fc_run *r);
extern const struct fc_column fc_pingpong_columns[];

#endif
