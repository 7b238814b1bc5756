#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "errors.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double rank(const uint64_t *sorted, size_t n, double pct)
{
	size_t r = (size_t)ceil(pct / 100.0 * (double)n);
	if (r < 1)
		r = 1;
	return (double)sorted[r - 1];
}

int fc_stats_compute(uint64_t *s, size_t n, struct fc_stats *out)
{
	long double sum = 0;

	if (n == 0)
		return -FC_EXIT_USAGE;
	qsort(s, n, sizeof(*s), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->min = (double)s[0];
	out->max = (double)s[n - 1];
	out->p50 = rank(s, n, 50);
	out->p99 = rank(s, n, 99);
	out->mean = (double)(sum / n);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double fc_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
