/* Records: schema order, JSON Lines, CSV, files never half-written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"
#include "output.h"
#include "record.h"
#include "stats.h"

static const struct fc_column cols[] = {{"size", "size", 8, -1}, {"lat_us_p50", "p50", 8, 2}, {0}};

static json_t *sample_record(void)
{
	struct fc_stats s = {.n = 3, .min = 1000, .p50 = 2000, .p99 = 3000, .max = 4000, .mean = 2500};
	struct fc_rec r = {.schema = FC_I(FC_SCHEMA_VERSION),
			   .tool = "fabcheck-pingpong",
			   .test = "pingpong",
			   .provider = "tcp;ofi_rxm",
			   .size = FC_I(4096),
			   .lane = FC_LANE(0),
			   .verified = FC_B(true)};
	fc_rec_set_latency(&r, &s);
	return fc_rec_json(&r);
}

static void normalized_record_has_every_field_in_order(void **st)
{
	json_t *r = sample_record();
	const char *key;
	json_t *v;
	size_t i = 0;
	(void)st;
	assert_int_equal(json_object_size(r), fc_schema_nfields);
	json_object_foreach(r, key, v) assert_string_equal(key, fc_schema_fields[i++]);
	assert_true(json_is_null(json_object_get(r, "fabric")));
	assert_true(json_real_value(json_object_get(r, "lat_us_p50")) == 2.0);
	json_decref(r);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[8192];
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void files_appear_only_on_close_and_parse(void **st)
{
	char dir[] = "/tmp/fc-record-XXXXXX", jpath[128], cpath[128];
	struct fc_opts o = {0};
	struct fc_out out;
	json_t *r = sample_record(), *back;
	json_error_t err;
	char *text, *line2;
	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(jpath, sizeof(jpath), "%s/r.jsonl", dir);
	snprintf(cpath, sizeof(cpath), "%s/r.csv", dir);
	o.json_path = jpath;
	o.csv_path = cpath;
	assert_int_equal(fc_out_open(&out, &o, cols), 0);
	assert_ptr_equal(out.table, stdout);
	assert_int_equal(fc_out_record(&out, r), 0);
	assert_int_equal(fc_out_record(&out, r), 0);
	assert_int_not_equal(access(jpath, F_OK), 0); /* still under its temporary name */
	assert_int_equal(fc_out_close(&out, 0), 0);

	text = slurp(jpath);
	line2 = strchr(text, '\n');
	assert_non_null(line2);
	*line2 = '\0';
	back = json_loads(text, 0, &err);
	assert_non_null(back);
	assert_true(json_equal(back, r));
	json_decref(back);

	text = slurp(cpath);
	assert_int_equal(strncmp(text, "schema,tool,fabcheck_version,test,", 34), 0);
	/* provider contains ';' but no comma: written bare; nulls are empty */
	assert_non_null(strstr(text, "\n2,fabcheck-pingpong,,pingpong,,tcp;ofi_rxm,,"));
	assert_non_null(strstr(text, ",4096,"));
	json_decref(r);
	unlink(jpath);
	unlink(cpath);
	rmdir(dir);
}

static void failed_run_keeps_old_file_and_completed_records_as_partial(void **st)
{
	char dir[] = "/tmp/fc-record-XXXXXX", jpath[128], partial[160];
	struct fc_opts o = {0};
	struct fc_out out;
	json_t *r = sample_record();
	FILE *f;
	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(jpath, sizeof(jpath), "%s/r.jsonl", dir);
	snprintf(partial, sizeof(partial), "%s.partial", jpath);
	f = fopen(jpath, "w");
	fputs("old results\n", f);
	fclose(f);
	o.json_path = jpath;
	/* failed before any record: nothing written, the old file untouched */
	assert_int_equal(fc_out_open(&out, &o, cols), 0);
	assert_int_equal(fc_out_close(&out, -4), 0);
	assert_string_equal(slurp(jpath), "old results\n");
	assert_int_not_equal(access(partial, F_OK), 0);
	/* failed after one record: it is kept as .partial, the old file still untouched */
	assert_int_equal(fc_out_open(&out, &o, cols), 0);
	assert_int_equal(fc_out_record(&out, r), 0);
	assert_int_equal(fc_out_close(&out, -4), 0);
	assert_string_equal(slurp(jpath), "old results\n");
	assert_int_equal(access(partial, F_OK), 0);
	json_decref(r);
	unlink(jpath);
	unlink(partial);
	rmdir(dir);
}

static void table_moves_to_stderr_when_records_use_stdout(void **st)
{
	struct fc_opts o = {.json_path = "-"};
	struct fc_out out;
	(void)st;
	assert_int_equal(fc_out_open(&out, &o, cols), 0);
	assert_ptr_equal(out.table, stderr);
	assert_int_equal(fc_out_close(&out, 0), 0);
}

static void unwritable_path_is_an_error(void **st)
{
	struct fc_opts o = {.json_path = "/nonexistent-dir/x.jsonl"};
	struct fc_out out;
	(void)st;
	assert_true(fc_out_open(&out, &o, cols) < 0);
}

/* A peer's or a file's record: every way it can be wrong is named. */
static void validation_names_the_bad_field(void **st)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{"[1]", "not a JSON object"},
		{"{\"schema\": 99, \"test\": \"bw\"}", "schema"},
		{"{\"schema\": 2}", "no \"test\""},
		{"{\"schema\": 2, \"test\": \"bw\", \"bogus\": 1}", "\"bogus\" is not in the record schema"},
		{"{\"schema\": 2, \"test\": \"bw\", \"size\": \"8\"}", "\"size\" is not an integer >= 0"},
		{"{\"schema\": 2, \"test\": \"bw\", \"size\": -8}", "\"size\" is not an integer >= 0"},
		{"{\"schema\": 2, \"test\": \"bw\", \"bw_gbps\": -2.5}", "\"bw_gbps\" is not a finite number"},
		{"{\"schema\": 2, \"test\": \"bw\", \"provider\": 7}", "\"provider\" is not a string"},
		{"{\"schema\": 2, \"test\": \"bw\", \"lane\": \"x\"}", "\"lane\" is neither"},
		{"{\"schema\": 2, \"test\": \"bw\", \"verified\": 1}", "\"verified\" is not true or false"},
	};
	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i].json, JSON_DECODE_ANY, NULL);
		char why[256] = "";
		assert_non_null(j);
		assert_int_equal(fc_rec_validate(j, why, sizeof(why)), -1);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: got '%s', want '%s'", bad[i].json, why, bad[i].why);
		json_decref(j);
	}
}

static void validation_strips_control_characters_and_completes_old_schema(void **st)
{
	json_t *j = json_loads("{\"schema\": 1, \"test\": \"bw\", \"provider\": \"tcp\\u001b[2J\", \"lane\": \"all\"}",
			       0, NULL);
	char why[256];
	(void)st;
	assert_int_equal(fc_rec_validate(j, why, sizeof(why)), 0);
	assert_string_equal(json_string_value(json_object_get(j, "provider")), "tcp?[2J");
	j = fc_rec_complete(j);
	assert_int_equal(json_object_size(j), fc_schema_nfields);
	assert_true(json_is_null(json_object_get(j, "fi_api")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalized_record_has_every_field_in_order),
		cmocka_unit_test(files_appear_only_on_close_and_parse),
		cmocka_unit_test(failed_run_keeps_old_file_and_completed_records_as_partial),
		cmocka_unit_test(table_moves_to_stderr_when_records_use_stdout),
		cmocka_unit_test(unwritable_path_is_an_error),
		cmocka_unit_test(validation_names_the_bad_field),
		cmocka_unit_test(validation_strips_control_characters_and_completes_old_schema),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
