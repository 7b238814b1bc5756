/* Size parsing, formatting and size-list expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "sizes.h"

static void parses_binary_suffixes(void **st)
{
	uint64_t v;
	(void)st;
	assert_int_equal(fc_size_parse("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fc_size_parse("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fc_size_parse("1m", &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(fc_size_parse("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	/* not 8 KiB silently: refused, naming the binary units */
	assert_int_equal(fc_size_parse("8KB", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("8KiB", &v), 0);
	assert_int_equal(v, 8192);
}

static void rejects_garbage_sizes(void **st)
{
	uint64_t v;
	(void)st;
	assert_int_equal(fc_size_parse("", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("K", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("-1", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("12Q", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("4Kx", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("99999999999999999999", &v), -FC_EXIT_USAGE);
	assert_int_equal(fc_size_parse("20000000000G", &v), -FC_EXIT_USAGE);
}

static void formats_short_sizes(void **st)
{
	char b[32];
	(void)st;
	assert_string_equal(fc_size_format(8, b, sizeof(b)), "8");
	assert_string_equal(fc_size_format(1023, b, sizeof(b)), "1023");
	assert_string_equal(fc_size_format(1024, b, sizeof(b)), "1K");
	assert_string_equal(fc_size_format(1536, b, sizeof(b)), "1536");
	assert_string_equal(fc_size_format(16383, b, sizeof(b)), "16383");
	assert_string_equal(fc_size_format(16385, b, sizeof(b)), "16385");
	assert_string_equal(fc_size_format(1 << 20, b, sizeof(b)), "1M");
	assert_string_equal(fc_size_format(2ull << 30, b, sizeof(b)), "2G");
}

static void expands_ranges_and_lists_sorted_unique(void **st)
{
	struct fc_sizes s;
	(void)st;
	assert_int_equal(fc_sizes_expand("1K,8:64,16", NULL, 0, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.v[0], 8);
	assert_int_equal(s.v[1], 16);
	assert_int_equal(s.v[2], 32);
	assert_int_equal(s.v[3], 64);
	assert_int_equal(s.v[4], 1024);
	assert_int_equal(fc_sizes_max(&s), 1024);
	fc_sizes_free(&s);
}

static void all_adds_both_sides_of_switch_points(void **st)
{
	struct fc_sizes s;
	size_t sw[] = {64, 16384, 100000};
	int found65 = 0, found16385 = 0, found100001 = 0;
	(void)st;
	assert_int_equal(fc_sizes_expand("all", sw, 3, &s), 0);
	assert_int_equal(s.v[0], 1);
	assert_int_equal(fc_sizes_max(&s), 8 << 20);
	for (size_t i = 0; i < s.n; i++) {
		found65 |= s.v[i] == 65;
		found16385 |= s.v[i] == 16385;
		found100001 |= s.v[i] == 100001;
		if (i)
			assert_true(s.v[i] > s.v[i - 1]);
	}
	assert_true(found65 && found16385 && found100001);
	/* 24 powers of two, 65, 16385, 100000, 100001 (64 and 16K are already in) */
	assert_int_equal(s.n, 24 + 4);
	fc_sizes_free(&s);
}

static void rejects_bad_lists(void **st)
{
	struct fc_sizes s;
	(void)st;
	assert_int_equal(fc_sizes_expand("0", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_int_equal(fc_sizes_expand("1M:8", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_int_equal(fc_sizes_expand("8:2G", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_int_equal(fc_sizes_expand("", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_int_equal(fc_sizes_expand(",", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_int_equal(fc_sizes_expand("8,abc", NULL, 0, &s), -FC_EXIT_USAGE);
	assert_null(s.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_binary_suffixes),
		cmocka_unit_test(rejects_garbage_sizes),
		cmocka_unit_test(formats_short_sizes),
		cmocka_unit_test(expands_ranges_and_lists_sorted_unique),
		cmocka_unit_test(all_adds_both_sides_of_switch_points),
		cmocka_unit_test(rejects_bad_lists),
	};
	return cmocka_run_group_tests_name("sizes", tests, NULL, NULL);
}
