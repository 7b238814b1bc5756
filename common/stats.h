/* Per-size statistics over per-iteration samples (nanoseconds). */
#ifndef FC_STATS_H
#define FC_STATS_H

#include <stddef.h>
#include <stdint.h>

struct fc_stats {
	size_t n;
	double min, p50, p99, max, mean; /* same unit as the samples */
};

/* Sorts samples in place. Percentiles are nearest-rank (p50 of 4 samples is
 * the 2nd smallest), so every reported value is one that was measured. */
int fc_stats_compute(uint64_t *samples, size_t n, struct fc_stats *out);

#endif
