/* Statistics and verification patterns. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench.h"
#include "pattern.h"
#include "stats.h"

static void percentiles_are_nearest_rank(void **st)
{
	uint64_t s[100];
	struct fc_stats r;
	(void)st;
	for (int i = 0; i < 100; i++)
		s[i] = (uint64_t)(100 - i); /* 100..1, unsorted */
	assert_int_equal(fc_stats_compute(s, 100, &r), 0);
	assert_int_equal(r.n, 100);
	assert_true(r.min == 1 && r.max == 100);
	assert_true(r.p50 == 50);
	assert_true(r.p99 == 99);
	assert_true(r.mean == 50.5);
}

static void single_sample_is_every_statistic(void **st)
{
	uint64_t s[1] = {42};
	struct fc_stats r;
	(void)st;
	assert_int_equal(fc_stats_compute(s, 1, &r), 0);
	assert_true(r.min == 42 && r.p50 == 42 && r.p99 == 42 && r.max == 42 && r.mean == 42);
}

static void empty_sample_set_is_an_error(void **st)
{
	struct fc_stats r;
	(void)st;
	assert_true(fc_stats_compute(NULL, 0, &r) < 0);
}

static void p99_sees_the_tail(void **st)
{
	uint64_t s[1000];
	struct fc_stats r;
	(void)st;
	for (int i = 0; i < 1000; i++)
		s[i] = i < 985 ? 10 : 1000; /* 1.5% slow */
	assert_int_equal(fc_stats_compute(s, 1000, &r), 0);
	assert_true(r.p50 == 10);
	assert_true(r.p99 == 1000);
}

static void pattern_roundtrip_and_first_bad_offset(void **st)
{
	size_t lens[] = {1, 7, 8, 9, 4096, 4099};
	(void)st;
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = lens[k];
		unsigned char *b = malloc(n);
		uint64_t seed = fc_pattern_seed(n, 3, 1);
		fc_pattern_fill(b, n, seed);
		assert_true(fc_pattern_check(b, n, seed) == (size_t)-1);
		b[n - 1] ^= 0x40;
		assert_int_equal(fc_pattern_check(b, n, seed), n - 1);
		b[n - 1] ^= 0x40;
		b[n / 2] ^= 1;
		assert_int_equal(fc_pattern_check(b, n, seed), n / 2);
		free(b);
	}
}

static void patterns_differ_by_iteration_and_direction(void **st)
{
	unsigned char a[64], b[64];
	(void)st;
	fc_pattern_fill(a, 64, fc_pattern_seed(64, 1, 0));
	fc_pattern_fill(b, 64, fc_pattern_seed(64, 2, 0));
	assert_memory_not_equal(a, b, 64);
	fc_pattern_fill(b, 64, fc_pattern_seed(64, 1, 1));
	assert_memory_not_equal(a, b, 64);
	/* a stale buffer from the previous iteration fails at byte 0 */
	assert_int_equal(fc_pattern_check(a, 64, fc_pattern_seed(64, 2, 0)), 0);
}

static void window_patterns_differ_by_phase_window_message_and_lane(void **st)
{
	uint64_t seen[4 * 3 * 5 * 2];
	size_t n = 0;
	(void)st;
	for (uint64_t phase = 0; phase < 2; phase++)
		for (uint64_t win = 0; win < 3; win++)
			for (long i = 0; i < 5; i++)
				for (int lane = 0; lane < 4; lane++) {
					uint64_t it = fc_window_msg_iter(win | (phase ? FC_WARMUP_ITER : 0), 5, i, lane);
					uint64_t seed = fc_pattern_seed(4096, it, 0);
					for (size_t k = 0; k < n; k++)
						assert_true(seen[k] != seed);
					seen[n++] = seed;
				}
}

/* The suite's one median (verdict and report): odd counts the middle,
 * even counts the mean of the two middle values, none NAN. */
static void median_of_odd_even_and_none(void **st)
{
	double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2}, one[] = {7};
	(void)st;
	assert_true(fc_median(odd, 3) == 3);
	assert_true(odd[0] == 1 && odd[2] == 5); /* sorted in place */
	assert_true(fc_median(even, 4) == 2.5);
	assert_true(fc_median(one, 1) == 7);
	assert_true(isnan(fc_median(NULL, 0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(percentiles_are_nearest_rank),
		cmocka_unit_test(single_sample_is_every_statistic),
		cmocka_unit_test(empty_sample_set_is_an_error),
		cmocka_unit_test(p99_sees_the_tail),
		cmocka_unit_test(median_of_odd_even_and_none),
		cmocka_unit_test(pattern_roundtrip_and_first_bad_offset),
		cmocka_unit_test(patterns_differ_by_iteration_and_direction),
		cmocka_unit_test(window_patterns_differ_by_phase_window_message_and_lane),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
