/* Records: schema order, JSON Lines, CSV, files never half-written. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

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
	struct fc_sinks o = {0};
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
	struct fc_sinks o = {0};
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
	struct fc_sinks o = {.json_path = "-"};
	struct fc_out out;
	(void)st;
	assert_int_equal(fc_out_open(&out, &o, cols), 0);
	assert_ptr_equal(out.table, stderr);
	assert_int_equal(fc_out_close(&out, 0), 0);
}

/* The formats are one table: each names its own path in struct fc_sinks,
 * names are distinct (they name options), and no columns means files only. */
static void sink_formats_are_one_table(void **st)
{
	struct fc_sinks cfg = {.json_path = "a", .csv_path = "b"};
	struct fc_out out;
	size_t n = 0;
	(void)st;
	for (const struct fc_sink_format *const *f = fc_sink_formats; *f; f++, n++) {
		assert_true((*f)->path + sizeof(char *) <= sizeof(struct fc_sinks));
		assert_non_null((*f)->record);
		for (const struct fc_sink_format *const *g = fc_sink_formats; g != f; g++)
			assert_string_not_equal((*g)->name, (*f)->name);
	}
	assert_int_equal(n, 2);
	assert_true(n <= FC_SINKS_MAX);
	assert_string_equal(fc_sink_path(&cfg, &fc_sink_jsonl), "a");
	assert_string_equal(fc_sink_path(&cfg, &fc_sink_csv), "b");
	cfg = (struct fc_sinks){.csv_path = "/dev/null"};
	assert_int_equal(fc_out_open(&out, &cfg, NULL), 0);
	assert_null(out.table);
	assert_int_equal(out.nsinks, 1);
	assert_int_equal(fc_out_close(&out, 0), 0);
}

static void unwritable_path_is_an_error(void **st)
{
	struct fc_sinks o = {.json_path = "/nonexistent-dir/x.jsonl"};
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

/* Every field set, each to a value no other field has: strings their own
 * name, integers and reals by position, signed ones negative. */
static void fill_every_field(struct fc_rec *r)
{
	int i = 0;

	*r = (struct fc_rec){0};
#define FILL_STR(f) r->f = #f;
#define FILL_INT(f) r->f = FC_I(1000 + i);
#define FILL_SINT(f) r->f = FC_I(-1000 - i);
#define FILL_REAL(f) r->f = FC_R(0.25 + i);
#define FILL_BOOL(f) r->f = FC_B(i % 2);
#define FILL_LANE(f) r->f = FC_LANE(i);
#define FILL(name, type) i++; FILL_##type(name)
	FC_RECORD_FIELDS(FILL)
#undef FILL
}

static void same_record(const struct fc_rec *a, const struct fc_rec *b)
{
#define SAME_STR(f) if (a->f || b->f) { assert_non_null(a->f); assert_non_null(b->f); assert_string_equal(a->f, b->f); }
#define SAME_INT(f) assert_true(a->f.set == b->f.set && a->f.v == b->f.v);
#define SAME_SINT(f) SAME_INT(f)
#define SAME_REAL(f) assert_true(a->f.set == b->f.set && a->f.v == b->f.v);
#define SAME_BOOL(f) assert_true(a->f.set == b->f.set && a->f.v == b->f.v);
#define SAME_LANE(f) assert_true(a->f.set == b->f.set && a->f.all == b->f.all && a->f.v == b->f.v);
#define SAME(name, type) SAME_##type(name)
	FC_RECORD_FIELDS(SAME)
#undef SAME
}

/* typed -> JSON -> text -> JSON -> typed gives back every field: what an
 * agent's REPORT frame and a record file carry is what the reader gets. */
static json_t *through_text(const struct fc_rec *r)
{
	json_t *j = fc_rec_json(r), *back;
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	assert_non_null(text);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	free(text);
	json_decref(j);
	return back;
}

static void every_field_round_trips_through_json(void **st)
{
	struct fc_rec in, out;
	json_t *j;
	size_t set = 0;
	(void)st;
	fill_every_field(&in);
	j = through_text(&in);
	assert_int_equal(fc_rec_from_json(&out, j), 0);
	same_record(&in, &out);
#define COUNT_STR(f) set += out.f != NULL;
#define COUNT_OPT(f) set += out.f.set;
#define COUNT_INT COUNT_OPT
#define COUNT_SINT COUNT_OPT
#define COUNT_REAL COUNT_OPT
#define COUNT_BOOL COUNT_OPT
#define COUNT_LANE COUNT_OPT
#define COUNT(name, type) COUNT_##type(name)
	FC_RECORD_FIELDS(COUNT)
#undef COUNT
	assert_int_equal(set, fc_schema_nfields);
	json_decref(j);
}

static void nulls_and_lane_all_round_trip(void **st)
{
	struct fc_rec in = {.test = "bw", .lane = FC_LANE_ALL, .verified = FC_B(false)}, out;
	json_t *j;
	(void)st;
	j = through_text(&in);
	assert_int_equal(fc_rec_from_json(&out, j), 0);
	same_record(&in, &out);
	assert_true(out.lane.set && out.lane.all);
	assert_false(out.bw_gbps.set);
	assert_true(isnan(fc_real_or(out.bw_gbps, NAN)));
	assert_string_equal(fc_str_or(out.provider, ""), "");
	json_decref(j);
}

/* A field of another type is left unset and said (-1); the others are
 * read all the same. */
static void wrong_types_are_unset_and_reported(void **st)
{
	json_t *j = json_loads("{\"test\": \"bw\", \"size\": \"8\", \"lane\": \"x\", \"bw_gbps\": 2}", 0, NULL);
	struct fc_rec r;
	(void)st;
	assert_int_equal(fc_rec_from_json(&r, j), -1);
	assert_false(r.size.set);
	assert_false(r.lane.set);
	assert_true(r.bw_gbps.set && r.bw_gbps.v == 2); /* an integer is a number */
	assert_string_equal(r.test, "bw");
	json_decref(j);
	j = json_array();
	assert_int_equal(fc_rec_from_json(&r, j), -1);
	json_decref(j);
}

static void json_str_is_empty_where_no_string(void **st)
{
	json_t *j = json_loads("{\"a\": \"x\", \"b\": 1, \"c\": null}", 0, NULL);
	(void)st;
	assert_string_equal(fc_json_str(j, "a"), "x");
	assert_string_equal(fc_json_str(j, "b"), "");
	assert_string_equal(fc_json_str(j, "c"), "");
	assert_string_equal(fc_json_str(j, "d"), "");
	assert_string_equal(fc_json_str(NULL, "a"), "");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalized_record_has_every_field_in_order),
		cmocka_unit_test(files_appear_only_on_close_and_parse),
		cmocka_unit_test(failed_run_keeps_old_file_and_completed_records_as_partial),
		cmocka_unit_test(table_moves_to_stderr_when_records_use_stdout),
		cmocka_unit_test(sink_formats_are_one_table),
		cmocka_unit_test(unwritable_path_is_an_error),
		cmocka_unit_test(validation_names_the_bad_field),
		cmocka_unit_test(validation_strips_control_characters_and_completes_old_schema),
		cmocka_unit_test(every_field_round_trips_through_json),
		cmocka_unit_test(nulls_and_lane_all_round_trip),
		cmocka_unit_test(wrong_types_are_unset_and_reported),
		cmocka_unit_test(json_str_is_empty_where_no_string),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
