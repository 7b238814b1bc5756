/* The coverage verdict: a pure function of two counter snapshots and the
 * bytes fabcheck moved through the NIC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "coverage.h"

static struct fc_nic_snapshot snap(uint64_t tx, uint64_t rx)
{
	struct fc_nic_snapshot s = {.ok = true, .tx_bytes = tx, .rx_bytes = rx};
	return s;
}

static void counters_that_moved_enough_pass(void **st)
{
	struct fc_nic_snapshot b = snap(1000, 2000), a = snap(1000 + 5000, 2000 + 7000);
	struct fc_cov c;
	(void)st;
	fc_coverage_verdict(&b, &a, 5000, 6000, &c);
	assert_int_equal(c.verdict, FC_COV_OK);
	assert_int_equal(c.nic_tx, 5000);
	assert_int_equal(c.nic_rx, 7000);
}

static void a_counter_short_of_the_payload_fails_naming_it(void **st)
{
	struct fc_nic_snapshot b = snap(0, 0), a = snap(100, 9000);
	struct fc_cov c;
	(void)st;
	fc_coverage_verdict(&b, &a, 5000, 6000, &c);
	assert_int_equal(c.verdict, FC_COV_FAILED);
	assert_string_equal(c.short_side, "tx");
	a = snap(9000, 100);
	fc_coverage_verdict(&b, &a, 5000, 6000, &c);
	assert_string_equal(c.short_side, "rx");
}

static void no_counters_or_a_reset_prove_nothing(void **st)
{
	struct fc_nic_snapshot b = snap(0, 0), a = snap(10, 10), none = {0};
	struct fc_cov c;
	(void)st;
	fc_coverage_verdict(&none, &a, 5, 5, &c);
	assert_int_equal(c.verdict, FC_COV_UNVERIFIABLE);
	fc_coverage_verdict(&b, &none, 5, 5, &c);
	assert_int_equal(c.verdict, FC_COV_UNVERIFIABLE);
	/* a counter that went back was reset or wrapped */
	b = snap(1000, 1000);
	fc_coverage_verdict(&b, &a, 5, 5, &c);
	assert_int_equal(c.verdict, FC_COV_UNVERIFIABLE);
	assert_string_equal(fc_coverage_name(c.verdict), "unverifiable");
}

static void an_idle_nic_has_nothing_to_prove(void **st)
{
	struct fc_nic_snapshot b = snap(0, 0), a = snap(0, 0);
	struct fc_cov c;
	(void)st;
	fc_coverage_verdict(&b, &a, 0, 0, &c);
	assert_int_equal(c.verdict, FC_COV_IDLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counters_that_moved_enough_pass),
		cmocka_unit_test(a_counter_short_of_the_payload_fails_naming_it),
		cmocka_unit_test(no_counters_or_a_reset_prove_nothing),
		cmocka_unit_test(an_idle_nic_has_nothing_to_prove),
	};
	return cmocka_run_group_tests_name("coverage", tests, NULL, NULL);
}
