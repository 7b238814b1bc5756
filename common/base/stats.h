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

/* The median of values that are already results (per-pair GB/s, repeats of
 * one size): the mean of the two middle ones for an even count, as the
 * cluster verdict and the report both define it. Sorts v in place; NAN
 * when n is 0. The one median of the suite: callers leave NaNs out. */
double fc_median(double *v, size_t n);

#endif
