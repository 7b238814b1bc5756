/* The test registry (tests/benches.c): every row complete, names unique,
 * each accepted by the wire layer's parameter check without a list there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "benches.h"
#include "params.h"

static void every_row_is_complete_and_named_once(void **st)
{
	size_t n = 0;
	(void)st;
	for (const struct fc_bench *const *b = fc_benches; *b; b++, n++) {
		assert_non_null((*b)->test);
		assert_non_null((*b)->spec);
		assert_non_null((*b)->spec->table);
		assert_non_null((*b)->loop);
		assert_non_null((*b)->lane_begin);
		assert_non_null((*b)->describe);
		assert_true(strlen((*b)->test) < sizeof(((struct fc_params *)0)->test));
		for (const struct fc_bench *const *c = fc_benches; c != b; c++)
			assert_string_not_equal((*c)->test, (*b)->test);
		assert_ptr_equal(fc_bench_find((*b)->test), *b);
	}
	assert_int_equal(n, 3);
	assert_null(fc_bench_find("nope"));
}

/* A registered test passes the wire check as it is; a malformed name
 * (what a peer could send) does not. */
static void params_take_every_registered_test(void **st)
{
	struct fc_params p = {.transport = "ofi", .provider = "tcp", .size_time = 0.2, .streams = 1,
			      .op = "write", .buffers = "reuse", .endpoints = 1};
	char why[128];
	(void)st;
	for (const struct fc_bench *const *b = fc_benches; *b; b++) {
		strcpy(p.test, (*b)->test);
		assert_int_equal(fc_params_check(&p, why, sizeof(why)), 0);
	}
	strcpy(p.test, "");
	assert_int_equal(fc_params_check(&p, why, sizeof(why)), -1);
	strcpy(p.test, "bw;rm -rf");
	assert_int_equal(fc_params_check(&p, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_is_complete_and_named_once),
		cmocka_unit_test(params_take_every_registered_test),
	};
	return cmocka_run_group_tests_name("benches", tests, NULL, NULL);
}
