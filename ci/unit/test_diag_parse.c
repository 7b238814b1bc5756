/* fabcheck-diag's parsers: what sysfs, /proc, the installer, libfabric's
 * variables, the instance table and the facts file say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "diag_out.h"
#include "diag_parse.h"
#include "errors.h"

static void proc_files(void **s)
{
	long t, f;
	(void)s;
	assert_int_equal(diag_parse_memlock("Limit  Soft  Hard  Units\nMax locked memory         65536        65536        bytes\n"), 65536);
	assert_int_equal(diag_parse_memlock("Max locked memory         unlimited            unlimited            bytes\n"), -1);
	assert_int_equal(diag_parse_memlock("Max open files  1024 4096 files\n"), -2);
	assert_int_equal(diag_parse_memlock("Max locked memory  \n"), -2);
	/* CAP_IPC_LOCK is bit 14 of CapEff */
	assert_int_equal(diag_parse_cap_ipc_lock("Name:\tx\nCapEff:\t000001ffffffffff\n"), 1);
	assert_int_equal(diag_parse_cap_ipc_lock("CapEff:\t0000000000004000\n"), 1);
	assert_int_equal(diag_parse_cap_ipc_lock("CapEff:\t00000000a80425fb\n"), 0);
	assert_int_equal(diag_parse_cap_ipc_lock("CapPrm:\t0000000000004000\n"), -1);
	diag_parse_hugepages("MemTotal: 1 kB\nHugePages_Total:    1024\nHugePages_Free:      12\n", &t, &f);
	assert_int_equal(t, 1024);
	assert_int_equal(f, 12);
	diag_parse_hugepages("MemTotal: 1 kB\n", &t, &f);
	assert_int_equal(t, -1);
	assert_int_equal(diag_parse_cgroup_max("max\n"), -1);
	assert_int_equal(diag_parse_cgroup_max("2147483648\n"), 2147483648LL);
	assert_int_equal(diag_parse_cgroup_max("9223372036854771712\n"), -1); /* cgroup v1 "no limit" */
	assert_int_equal(diag_parse_cgroup_max("lots\n"), -2);
}

static void rates_versions_and_words(void **s)
{
	char v[32];
	(void)s;
	assert_int_equal(diag_parse_rate("400 Gb/sec (8X HDR)"), 400);
	assert_int_equal(diag_parse_rate("100 Gb/sec (4X EDR)\n"), 100);
	assert_int_equal(diag_parse_rate("fast"), 0);
	assert_int_equal(diag_parse_rate("-5 Gb/sec"), 0);
	assert_true(diag_version_cmp("2.17.1g", "2.17.3") < 0);
	assert_true(diag_version_cmp("r2.13.0", "2.13.0") == 0);
	assert_true(diag_version_cmp("2.1", "1.22") > 0);
	assert_true(diag_version_cmp("1.9", "1.22") < 0);
	assert_true(diag_version_cmp("", "1.0") < 0);
	assert_int_equal(diag_parse_installer("# EFA installer version: 1.43.1\n# Debug packages installed: no\n", v, sizeof(v)), 0);
	assert_string_equal(v, "1.43.1");
	assert_int_equal(diag_parse_installer("nothing here", v, sizeof(v)), -1);
	assert_int_equal(diag_parse_bool("ON"), 1);
	assert_int_equal(diag_parse_bool("yes"), 1);
	assert_int_equal(diag_parse_bool("False"), 0);
	assert_int_equal(diag_parse_bool("2"), -1);
	assert_int_equal(diag_parse_bool(""), -1);
	assert_true(diag_provider_allowed(NULL, "efa"));
	assert_true(diag_provider_allowed("efa", "efa"));
	assert_true(diag_provider_allowed("tcp,EFA", "efa"));
	assert_false(diag_provider_allowed("tcp", "efa"));
	assert_false(diag_provider_allowed("^efa", "efa"));
	assert_false(diag_provider_allowed("^tcp,efa", "efa"));
	assert_true(diag_provider_allowed("^tcp", "efa"));
	assert_false(diag_provider_allowed("efa-direct", "efa"));
	assert_int_equal(diag_find_plugin_version("xx\0aws-ofi-nccl 1.16.2-aws\0", 27, v, sizeof(v)), 0);
	assert_string_equal(v, "1.16.2-aws");
	assert_int_equal(diag_find_plugin_version("aws-ofi-nccl ", 13, v, sizeof(v)), -1);
}

static const char ROW[] = "p5.48xlarge h100 8 32 100 yes yes 4 yes yes K\n";

static void table_rows_and_errors(void **s)
{
	struct diag_itype *t;
	int n;
	char text[512];
	(void)s;
	snprintf(text, sizeof(text), "# comment\n\n%sg6.8xlarge l4 1 1 25 yes? yes? - no no K,S\n", ROW);
	assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), 0);
	assert_int_equal(n, 2);
	assert_true(t[0].rdma_sourced && t[0].efa_sourced && t[0].gdr_required);
	assert_true(t[0].nics_per_gpu == 4);
	assert_false(t[1].rdma_sourced);
	assert_true(t[1].rdma_write);
	assert_ptr_equal(diag_table_find(t, n, "g6.8xlarge"), &t[1]);
	assert_null(diag_table_find(t, n, "m5.large"));
	free(t);
	/* a short row, a bad word, a duplicate, nothing at all: errors, not skipped rows */
	snprintf(text, sizeof(text), "%sp4d.24xlarge a100 8 4 100 yes no 0.5 yes\n", ROW);
	assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), -FC_EXIT_USAGE);
	snprintf(text, sizeof(text), "p4d.24xlarge a100 8 4 100 maybe no 0.5 yes yes K\n");
	assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), -FC_EXIT_USAGE);
	snprintf(text, sizeof(text), "%s%s", ROW, ROW);
	assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), -FC_EXIT_USAGE);
	assert_int_equal(diag_table_parse("# only a comment\n", 17, "t.tsv", &t, &n), -FC_EXIT_USAGE);
	assert_int_equal(diag_table_parse("p5 h 8 32 100 yes yes 4 yes yes K\0x", 35, "t.tsv", &t, &n), -FC_EXIT_USAGE);
	assert_null(t);
}

static void facts_file_sections(void **s)
{
	static struct diag_facts f;
	const char *good = "{\"libfabric\": {\"version\": \"2.1\", \"efa_rdm_domains\": 4, \"hmem\": true},"
			   " \"rdma_core\": 55, \"devices\": {\"efa0\": {\"rdma_read\": true}}}";
	(void)s;
	memset(&f, 0, sizeof(f));
	f.ndevs = 1;
	diag_copy(f.devs[0].name, sizeof(f.devs[0].name), "efa0");
	assert_int_equal(diag_facts_parse(&f, good, strlen(good)), 0);
	assert_true(f.lf_known && f.efa_hmem && f.devs[0].have_caps && f.devs[0].rdma_read && !f.devs[0].rdma_write);
	assert_int_equal(f.efa_rdm_domains, 4);
	assert_int_equal(f.rdma_core, 55);
	assert_int_equal(f.ibverbs.state, DIAG_LIB_LOADED);
	assert_int_equal(diag_facts_parse(&f, "{\"rdma_core\": -4}", 17), -FC_EXIT_USAGE);
	assert_int_equal(diag_facts_parse(&f, "[1]", 3), -FC_EXIT_USAGE);
	assert_int_equal(diag_facts_parse(&f, "{", 1), -FC_EXIT_USAGE);
}

static void escaping_keeps_control_characters_off_the_terminal(void **s)
{
	char out[64];
	(void)s;
	diag_escape("p5\033[2J\a.x", out, sizeof(out));
	assert_string_equal(out, "p5\\x1b[2J\\x07.x");
	diag_escape("\033\033\033\033\033\033", out, 12);
	assert_true(strlen(out) < 12);
	assert_null(strchr(out, '\033'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_files),
		cmocka_unit_test(rates_versions_and_words),
		cmocka_unit_test(table_rows_and_errors),
		cmocka_unit_test(facts_file_sections),
		cmocka_unit_test(escaping_keeps_control_characters_off_the_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
