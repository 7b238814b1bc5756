/* nccl-tests output as records, and the report's input dispatch, without
 * processes or files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "record.h"
#include "report_input.h"
#include "report_nccl.h"

/* What the code under test said on stderr (fc_err keeps only the first
 * error of a process, so the messages are read where they go). */
struct said {
	FILE *tmp;
	int saved;
	char text[4096];
};

static void listen(struct said *s)
{
	fflush(stderr);
	s->tmp = tmpfile();
	assert_non_null(s->tmp);
	s->saved = dup(2);
	dup2(fileno(s->tmp), 2);
}

static const char *heard(struct said *s)
{
	size_t n;
	fflush(stderr);
	dup2(s->saved, 2);
	close(s->saved);
	rewind(s->tmp);
	n = fread(s->text, 1, sizeof(s->text) - 1, s->tmp);
	s->text[n] = '\0';
	fclose(s->tmp);
	return s->text;
}

static const char *str(json_t *r, const char *k)
{
	const char *s = json_string_value(json_object_get(r, k));
	return s ? s : "(null)";
}

static double num(json_t *r, const char *k)
{
	return json_number_value(json_object_get(r, k));
}

/* Today's layout: root column, #wrong; mpirun --tag-output prefixes. */
static const char current[] =
	"# nccl-tests version 2.13.8 nccl-headers=21803 nccl-library=21803\n"
	"# Collective test starting: all_gather_perf\n"
	"# nThread 1 nGpus 1 minBytes 8 maxBytes 1024 step: 2(factor) warmup iters: 5 iters: 20 agg iters: 1\n"
	"#  Rank  0 Group  0 Pid   4100 on     host-1 device  0 [0000:10:1c] NVIDIA A100\n"
	"#  Rank  1 Group  0 Pid   4200 on     host-2 device  0 [0000:10:1c] NVIDIA A100\n"
	"[1,0]<stdout>:host-1:4100:4100 [0] NCCL INFO NET/OFI Selected provider is efa, fabric is efa (found 4 nics)\n"
	"host-1:4100:4100 [0] NCCL INFO Using network AWS Libfabric\n"
	"#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong\n"
	"#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)\n"
	"[1,0]<stdout>:           8             2     float    none      -1    20.50    0.00    0.00      0    20.10    0.00    0.00      0\n"
	"        1024           256     float    none      -1    21.00    0.05    0.02      3    22.00    0.05    0.02      N/A\n"
	"# Avg bus bandwidth    : 0.01\n";

static void current_text_gives_two_records_per_row(void **st)
{
	json_t *recs = json_array(), *banner = json_array(), *r;
	(void)st;
	assert_int_equal(rp_nccl_text("ag.txt", current, sizeof(current) - 1, recs, banner), 0);
	assert_int_equal(json_array_size(recs), 4);
	r = json_array_get(recs, 2);
	assert_string_equal(str(r, "test"), "nccl");
	assert_string_equal(str(r, "nccl_op"), "all_gather");
	assert_string_equal(str(r, "net"), "AWS Libfabric");
	assert_string_equal(str(r, "provider"), "efa");
	assert_string_equal(str(r, "local_host"), "host-1");
	assert_string_equal(str(r, "peer_host"), "host-2");
	assert_int_equal(json_integer_value(json_object_get(r, "size")), 1024);
	assert_true(num(r, "lat_us_mean") == 21.0 && num(r, "algbw_gbps") == 0.05 && num(r, "busbw_gbps") == 0.02);
	assert_int_equal(json_integer_value(json_object_get(r, "wrong")), 3);
	assert_int_equal(json_integer_value(json_object_get(r, "iters")), 20);
	assert_int_equal(json_integer_value(json_object_get(r, "warmup")), 5);
	assert_true(json_is_false(json_object_get(r, "in_place")));
	r = json_array_get(recs, 3);
	assert_true(json_is_true(json_object_get(r, "in_place")));
	assert_true(json_is_null(json_object_get(r, "wrong"))); /* N/A */
	assert_true(json_array_size(banner) >= 3);
	json_decref(recs);
	json_decref(banner);
}

/* 2019's layout: no root column, "error" (a maximum error, not a count). */
static const char old[] =
	"# nThread 1 nGpus 1 minBytes 8 maxBytes 1073741824 step: 2(factor) warmup iters: 5 iters: 100 validation: 1\n"
	"# Rank  0 on ip-1 device  0 [0x00] Tesla V100-SXM2-32GB\n"
	"#                                                     out-of-place                       in-place\n"
	"#       size         count    type   redop     time   algbw   busbw  error     time   algbw   busbw  error\n"
	"#        (B)    (elements)                     (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)\n"
	"ip-1:50814:50814 [0] NCCL INFO Launch mode Parallel\n"
	"           8             2   float     sum    163.4    0.00    0.00  2e-07    164.4    0.00    0.00  1e-07\n";

static void old_text_without_root_and_with_error_column(void **st)
{
	json_t *recs = json_array(), *banner = json_array(), *r;
	(void)st;
	assert_int_equal(rp_nccl_text("all_reduce_p3dn.log", old, sizeof(old) - 1, recs, banner), 0);
	assert_int_equal(json_array_size(recs), 2);
	r = json_array_get(recs, 0);
	assert_string_equal(str(r, "nccl_op"), "all_reduce"); /* from the file name */
	assert_true(num(r, "lat_us_mean") == 163.4);
	assert_true(json_is_null(json_object_get(r, "wrong")));
	assert_true(json_is_null(json_object_get(r, "net")));
	json_decref(recs);
	json_decref(banner);
}

static void expect_error(const char *text, const char *where)
{
	json_t *recs = json_array(), *banner = json_array();
	struct said s;
	int rc;
	listen(&s);
	rc = rp_nccl_text("x.txt", text, strlen(text), recs, banner);
	assert_int_equal(rc, -2);
	assert_non_null(strstr(heard(&s), where));
	json_decref(recs);
	json_decref(banner);
}

static void malformed_rows_name_their_line(void **st)
{
	char bad[sizeof(current) + 256];
	json_t *recs = json_array(), *banner = json_array();
	struct said heard_it;
	(void)st;
	/* a cut row with rows after it is an error; the last row cut short
	 * (a killed job) is dropped with a warning, the rows before it kept */
	snprintf(bad, sizeof(bad), "%s%s%s", current, "        2048  512  float  none  -1  21.00  0.05\n",
		 "        4096  1024  float  none  -1  21.00  0.05  0.02  0  22.00  0.05  0.02  0\n");
	expect_error(bad, "x.txt:13: nccl-tests row has 7 columns where its header has 13");
	snprintf(bad, sizeof(bad), "%s%s", current, "        2048  512  float  none  -1  21.00  0.05\n\n");
	listen(&heard_it);
	assert_int_equal(rp_nccl_text("x.txt", bad, strlen(bad), recs, banner), 0);
	assert_int_equal(json_array_size(recs), 4); /* the two whole rows, out-of-place and in-place */
	assert_non_null(strstr(heard(&heard_it), "x.txt:13: the last row has 7 of nccl-tests' 13 columns"));
	json_decref(recs);
	json_decref(banner);
	snprintf(bad, sizeof(bad), "%s%s", current,
		 "        2048  512  float  none  -1  21.00  0.05  nan  0  22.00  0.05  0.02  0\n");
	expect_error(bad, "x.txt:13: nccl-tests row: busbw 'nan'");
	snprintf(bad, sizeof(bad), "%s%s", current,
		 "        0  512  float  none  -1  21.00  0.05  0.02  0  22.00  0.05  0.02  0\n");
	expect_error(bad, "x.txt:13: nccl-tests row: size '0'");
	expect_error("8 2 float sum -1 1 1 1 0 1 1 1 0\n", "x.txt:1: a result row before");
	expect_error("# size count type redop time algbw busbw #wrong time algbw busbw #wrong\n", "x.txt:1: nccl-tests' column header, but no result rows");
	expect_error("hello\n", "x.txt:1 is neither");
}

static const char json_doc[] =
	"{\"version\":2,\"start_time\":\"2026-11-20 10:00:00\",\"args\":[\"./build/reduce_scatter_perf\",\"-b\",\"8\"],"
	"\"env\":[\"NCCL_NET=Socket\",\"HOME=/root\"],\"nccl_version\":21803,"
	"\"config\":{\"iterations\":20,\"warmup_iters\":5,\"devices\":[{\"hostname\":\"h1\"},{\"hostname\":\"h2\"}]},"
	"\"results\":[{\"size\":1048576,\"out_of_place\":{\"time\":100.5,\"alg_bw\":10.4,\"bus_bw\":9.8,\"nwrong\":0.0},"
	"\"in_place\":{\"time\":101.5,\"alg_bw\":10.3,\"bus_bw\":9.7,\"nwrong\":null}}]}";

static void json_output_gives_the_same_records(void **st)
{
	struct rp_input in;
	json_t *r;
	(void)st;
	rp_input_init(&in);
	assert_int_equal(rp_input_buffer(&in, "rs.json", json_doc, sizeof(json_doc) - 1), 0);
	assert_int_equal(json_array_size(in.records), 2);
	assert_string_equal(in.src[0].format, "nccl-tests JSON");
	r = json_array_get(in.records, 0);
	assert_string_equal(str(r, "nccl_op"), "reduce_scatter");
	assert_string_equal(str(r, "net"), "Socket");
	assert_string_equal(str(r, "peer_host"), "h2");
	assert_true(num(r, "busbw_gbps") == 9.8);
	assert_int_equal(json_integer_value(json_object_get(r, "wrong")), 0);
	/* complete schema records, in schema order */
	assert_int_equal(json_object_size(r), fc_schema_nfields);
	rp_input_free(&in);
}

static void json_nan_bandwidth_is_an_error_naming_the_result(void **st)
{
	static const char doc[] = "{\"results\":[{\"size\":8,\"out_of_place\":{\"time\":1,\"alg_bw\":\"nan\",\"bus_bw\":1}}]}";
	struct rp_input in;
	struct said s;
	int rc;
	(void)st;
	rp_input_init(&in);
	listen(&s);
	rc = rp_input_buffer(&in, "n.json", doc, sizeof(doc) - 1);
	assert_int_equal(rc, -2);
	assert_non_null(strstr(heard(&s), "n.json: results[0].out_of_place"));
	rp_input_free(&in);
}

static void records_text_and_cluster_checks_by_line(void **st)
{
	static const char lines[] = "{\"schema\":2,\"test\":\"bw\",\"size\":8,\"bw_gbps\":1}\n\n"
				    "{\"schema\":2,\"test\":\"verdict\",\"scope\":\"node\",\"verdict\":\"pass\"}\n";
	struct rp_input in;
	struct said s;
	int rc;
	(void)st;
	rp_input_init(&in);
	listen(&s);
	rc = rp_input_buffer(&in, "p.jsonl", lines, sizeof(lines) - 1);
	assert_int_equal(rc, -2);
	assert_non_null(strstr(heard(&s), "p.jsonl:3 is not a fabcheck record: node verdict record without \"rank\""));
	assert_int_equal(json_array_size(in.records), 1);
	assert_int_equal(json_array_size(in.origin), 1);
	rp_input_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(current_text_gives_two_records_per_row),
		cmocka_unit_test(old_text_without_root_and_with_error_column),
		cmocka_unit_test(malformed_rows_name_their_line),
		cmocka_unit_test(json_output_gives_the_same_records),
		cmocka_unit_test(json_nan_bandwidth_is_an_error_naming_the_result),
		cmocka_unit_test(records_text_and_cluster_checks_by_line),
	};
	fc_log_set_prog("test_report_nccl");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
