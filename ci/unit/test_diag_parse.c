/* fabcheck-diag's parsers: what sysfs, /proc, the installer, libfabric's
 * variables, the instance table and the facts file say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* aws-ofi-nccl's default protocol, family by family (its platform table) */
static void nccl_protocol_per_instance_family(void **s)
{
	static const struct {
		const char *type, *protocol;
	} cases[] = {
		{"p4d.24xlarge", "sendrecv"}, {"p4de.24xlarge", "sendrecv"}, {"p3dn.24xlarge", "sendrecv"},
		{"p5.48xlarge", "rdma"},      {"p5e.48xlarge", "rdma"},      {"p5en.48xlarge", "rdma"},
		{"p5.4xlarge", "sendrecv"},   {"p6-b200.48xlarge", "rdma"},  {"p6e-gb200.36xlarge", "rdma"},
		{"p10.48xlarge", "rdma"},     {"g5.48xlarge", "sendrecv"},   {"trn1.32xlarge", "sendrecv"},
		{"trn1n.32xlarge", "sendrecv"}, {"trn2.48xlarge", "rdma"},   {"inf2.48xlarge", "sendrecv"},
		/* no platform entry: the plugin's default, not fabcheck's guess */
		{"g6e.48xlarge", NULL},       {"g5.24xlarge", NULL},         {"p4.24xlarge", NULL},
		{"c7gn.16xlarge", NULL},      {"", NULL},
	};
	(void)s;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = diag_nccl_protocol(cases[i].type);
		if (cases[i].protocol)
			assert_string_equal(got ? got : "(null)", cases[i].protocol);
		else
			assert_null(got);
	}
	assert_null(diag_nccl_protocol(NULL));
}

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
	/* issue 22: every value column takes a "?" (unconfirmed); efa, nic_gbps
	 * and RDMA keep it, the others keep the value */
	snprintf(text, sizeof(text), "g6e.48xlarge l40s 8? 4? 100? yes? yes 0.5? no? yes? K,A\n");
	assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), 0);
	assert_int_equal(t[0].gpus, 8);
	assert_true(t[0].nics_per_gpu == 0.5);
	assert_false(t[0].efa_sourced || t[0].gbps_sourced || t[0].rdma_sourced);
	assert_true(!t[0].gdr_supported && t[0].gdr_required);
	free(t);
	/* one "?" after a value, nothing else: "-?", "??", a bare "?" are errors */
	static const char *bad_per[] = {"-?", "0.5??", "?", "0.5x?", "0?"};
	for (size_t i = 0; i < sizeof(bad_per) / sizeof(bad_per[0]); i++) {
		snprintf(text, sizeof(text), "p4d.24xlarge a100 8 4 100 yes no %s yes yes K\n", bad_per[i]);
		assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), -FC_EXIT_USAGE);
	}
	static const char *bad_gpus[] = {"8??", "?", "8?x", "65?"};
	for (size_t i = 0; i < sizeof(bad_gpus) / sizeof(bad_gpus[0]); i++) {
		snprintf(text, sizeof(text), "p4d.24xlarge a100 %s 4 100 yes no 0.5 yes yes K\n", bad_gpus[i]);
		assert_int_equal(diag_table_parse(text, strlen(text), "t.tsv", &t, &n), -FC_EXIT_USAGE);
	}
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

/* The shipped diag/instance-types.tsv: from the working directory (the
 * repository root under make and ci/run-tests), else above the binary. */
static int load_shipped_table(struct diag_itype **t, int *n)
{
	char path[4096];
	ssize_t l;

	if (access("diag/instance-types.tsv", R_OK) == 0)
		return diag_table_load("diag/instance-types.tsv", t, n);
	l = readlink("/proc/self/exe", path, sizeof(path) - 64);
	assert_true(l > 0);
	path[l] = '\0';
	for (char *slash; (slash = strrchr(path, '/'));) {
		strcpy(slash, "/diag/instance-types.tsv");
		if (access(path, R_OK) == 0)
			return diag_table_load(path, t, n);
		*slash = '\0';
	}
	fail_msg("diag/instance-types.tsv not found from the working directory or the binary");
	return -1;
}

static void expect_type(const struct diag_itype *t, int n, const char *type, int gpus, int efa, int gbps)
{
	const struct diag_itype *it = diag_table_find(t, n, type);

	if (!it)
		fail_msg("%s is not in diag/instance-types.tsv", type);
	assert_int_equal(it->gpus, gpus);
	assert_int_equal(it->efa, efa);
	assert_int_equal(it->nic_gbps, gbps);
}

/* issue 22: g7, dl2q, inf1, hpc8a and the EFA-capable CPU types (EC2's
 * list, per-NIC rate = bandwidth / EFA count) are known, so diag does
 * not WARN "unknown type" on them; what no source gives is marked "?" */
static void diag_table_knows_the_types_issue_22_lists(void **s)
{
	struct diag_itype *t;
	const struct diag_itype *it;
	int n;
	static const char *cpu[] = {"c5n.9xlarge", "c6in.32xlarge", "c7gn.16xlarge", "m7i.48xlarge", "r8in.metal-96xl",
				    "u7in-32tb.224xlarge", "x8i.64xlarge", "f2.48xlarge", "vt1.24xlarge"};
	(void)s;
	assert_int_equal(load_shipped_table(&t, &n), 0);
	expect_type(t, n, "g7.8xlarge", 1, 1, 80);
	expect_type(t, n, "g7.12xlarge", 2, 1, 175);
	expect_type(t, n, "g7.24xlarge", 4, 1, 350);
	expect_type(t, n, "g7.48xlarge", 8, 2, 350);
	expect_type(t, n, "dl2q.24xlarge", 0, 1, 100);
	expect_type(t, n, "inf1.24xlarge", 0, 1, 100);
	expect_type(t, n, "hpc8a.96xlarge", 0, 2, 150);
	expect_type(t, n, "c6in.32xlarge", 0, 2, 100);
	expect_type(t, n, "c8gb.16xlarge", 0, 1, 133); /* 133330 Mb/s, rounded down */
	it = diag_table_find(t, n, "g7.48xlarge");
	assert_true(it->efa_sourced && it->gbps_sourced && !it->rdma_sourced && !it->gdr_supported && !it->gdr_required);
	assert_true(diag_table_find(t, n, "inf1.24xlarge")->gdr_required);
	for (size_t i = 0; i < sizeof(cpu) / sizeof(cpu[0]); i++) {
		if (!(it = diag_table_find(t, n, cpu[i])))
			fail_msg("%s is not in diag/instance-types.tsv", cpu[i]);
		/* no GPUs, and no RDMA claim no source makes */
		assert_int_equal(it->gpus, 0);
		assert_true(it->nics_per_gpu == 0 && !it->gdr_supported && !it->gdr_required);
		assert_true(it->rdma_sourced || (!it->rdma_read && !it->rdma_write));
	}
	/* g6e's one NIC per two GPUs is parsed, though unconfirmed ("0.5?") */
	assert_true(diag_table_find(t, n, "g6e.48xlarge")->nics_per_gpu == 0.5);
	/* the types issue 13 listed are still there */
	assert_non_null(diag_table_find(t, n, "p6e-gb200.36xlarge"));
	assert_non_null(diag_table_find(t, n, "hpc7g.16xlarge"));
	assert_true(n >= 300);
	free(t);
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
		cmocka_unit_test(nccl_protocol_per_instance_family),
		cmocka_unit_test(diag_table_knows_the_types_issue_22_lists),
		cmocka_unit_test(facts_file_sections),
		cmocka_unit_test(escaping_keeps_control_characters_off_the_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
