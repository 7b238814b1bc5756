/* The report's formatting: binary sizes, ratios, strings gnuplot and
 * Markdown cannot be broken out of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "report_fmt.h"

static void sizes_are_binary_and_exact(void **st)
{
	char b[32];
	(void)st;
	assert_string_equal(rp_size(8, b, sizeof(b)), "8 B");
	assert_string_equal(rp_size(1024, b, sizeof(b)), "1 KiB");
	assert_string_equal(rp_size(32 << 20, b, sizeof(b)), "32 MiB");
	assert_string_equal(rp_size(2LL << 30, b, sizeof(b)), "2 GiB");
	assert_string_equal(rp_size(16385, b, sizeof(b)), "16385 B");
	assert_string_equal(rp_size(1536, b, sizeof(b)), "1536 B");
}

static void ratios_never_read_zero(void **st)
{
	char b[32];
	(void)st;
	assert_string_equal(rp_ratio(77.35 / 4.13, b, sizeof(b)), "18.7x");
	assert_string_equal(rp_ratio(0.049, b, sizeof(b)), "0.049x");
	assert_string_equal(rp_ratio(0.2, b, sizeof(b)), "0.2x");
	assert_string_equal(rp_ratio(0.8, b, sizeof(b)), "0.8x");
	assert_string_equal(rp_ratio(1.0, b, sizeof(b)), "1.0x");
	assert_string_equal(rp_ratio(0.0 / 0.0, b, sizeof(b)), "-");
	assert_string_equal(rp_ratio(1.0 / 0.0, b, sizeof(b)), "-");
}

static void gnuplot_strings_double_their_quotes(void **st)
{
	struct rp_buf v = {0};
	(void)st;
	rp_gp_str(&v, "x'; y=system('touch p'); z='\n");
	assert_string_equal(rp_buf_str(&v), "'x''; y=system(''touch p''); z='' '");
	rp_buf_free(&v);
}

static void markdown_cells_escape_pipes(void **st)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	(void)st;
	rp_md(f, "a|b`c\nd<e>");
	fclose(f);
	assert_string_equal(out, "a\\|b\\`c d\\<e\\>");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_are_binary_and_exact),
		cmocka_unit_test(ratios_never_read_zero),
		cmocka_unit_test(gnuplot_strings_double_their_quotes),
		cmocka_unit_test(markdown_cells_escape_pipes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
