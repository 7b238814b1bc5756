/* report.md: the comparison table and every series in the input, RMA, MR
 * and NCCL tables, the cluster pre-flight, charts and provenance. */
#ifndef RP_MD_H
#define RP_MD_H

#include "report.h"
#include "report_out.h"

/* Contention: a latency point whose p99 is at least this many times its
 * p50 (or max RP_CONTENDED_MAX times) means something else had the CPU. */
#define RP_CONTENDED_P99 10.0
#define RP_CONTENDED_MAX 100.0
/* ... or the measuring threads lost their CPU this often per second
 * (record preempt_per_s; an idle machine: a few times). */
#define RP_CONTENDED_PREEMPT 100.0

int rp_md_write(struct rp_out *o, struct rp_report *r);

#endif
