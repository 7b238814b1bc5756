/* The report's series rule and comparison pick, without processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "report_model.h"

/* A complete schema record from a JSON object text. */
static json_t *rec(const char *text)
{
	json_t *r = json_loads(text, 0, NULL);
	char why[256];
	assert_non_null(r);
	assert_int_equal(fc_rec_validate(r, why, sizeof(why)), 0);
	return fc_rec_complete(r);
}

static json_t *bw(const char *extra, long size, double gbps)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"schema\":2,\"test\":\"bw\",\"transport\":\"ofi\",\"provider\":\"tcp\",\"lane\":0,\"lanes\":1,"
		 "\"direction\":\"uni\",\"size\":%ld,\"bw_gbps\":%g%s%s}",
		 size, gbps, *extra ? "," : "", extra);
	return rec(buf);
}

static struct rp_series *by_label(struct rp_model *m, const char *label)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->s[i].label, label))
			return &m->s[i];
	fail_msg("no series '%s'", label);
	return NULL;
}

static void different_configurations_are_never_pooled(void **st)
{
	json_t *a = json_array();
	struct rp_model m;
	(void)st;
	json_array_append_new(a, bw("\"transport\":\"socket\",\"provider\":\"kernel-tcp\",\"streams\":1", 65536, 3.48));
	json_array_append_new(a, bw("\"transport\":\"socket\",\"provider\":\"kernel-tcp\",\"streams\":4", 65536, 4.62));
	json_array_append_new(a, bw("\"buffers\":\"reuse\"", 65536, 9));
	json_array_append_new(a, bw("\"buffers\":\"slots\"", 65536, 7));
	json_array_append_new(a, bw("\"memory\":\"cuda:0\"", 65536, 5));
	rp_model_build(&m, a, NULL, false);
	assert_int_equal(m.n, 5);
	assert_true(rp_at(by_label(&m, "TCP sockets (4 streams)"), 65536)->med.bw == 4.62);
	assert_true(rp_at(by_label(&m, "TCP sockets (1 stream)"), 65536)->med.bw == 3.48);
	assert_non_null(by_label(&m, "libfabric tcp (buffers reuse)"));
	assert_non_null(by_label(&m, "libfabric tcp (cuda:0)"));
	rp_model_free(&m);
	json_decref(a);
}

/* two runs of one configuration are two series, named by their labels or,
 * without, their run ids; --pool makes them one again (the median of both) */
static void runs_stay_apart_unless_pooled(void **st)
{
	json_t *a = json_array(), *b = json_array();
	struct rp_model m;
	(void)st;
	json_array_append_new(a, bw("\"run\":\"r1\",\"label\":\"before\"", 65536, 8));
	json_array_append_new(a, bw("\"run\":\"r2\",\"label\":\"after\"", 65536, 4));
	rp_model_build(&m, a, NULL, false);
	assert_int_equal(m.n, 2);
	assert_true(rp_at(by_label(&m, "libfabric tcp (before)"), 65536)->med.bw == 8);
	assert_true(rp_at(by_label(&m, "libfabric tcp (after)"), 65536)->med.bw == 4);
	rp_model_free(&m);
	json_array_append_new(b, bw("\"run\":\"r1\"", 65536, 8));
	json_array_append_new(b, bw("\"run\":\"r2\"", 65536, 4));
	json_array_append_new(b, bw("\"run\":\"r2\"", 65536, 4));
	rp_model_build(&m, b, NULL, false);
	assert_int_equal(m.n, 2);
	assert_non_null(by_label(&m, "libfabric tcp (run r1)"));
	assert_int_equal(by_label(&m, "libfabric tcp (run r2)")->records, 2);
	rp_model_free(&m);
	rp_model_build(&m, b, NULL, true);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.s[0].records, 3);
	assert_string_equal(m.s[0].label, "libfabric tcp");
	rp_model_free(&m);
	json_decref(a);
	json_decref(b);
}

static void repeats_beyond_16_give_the_true_median(void **st)
{
	json_t *a = json_array();
	struct rp_model m;
	(void)st;
	for (int i = 0; i < 24; i++)
		json_array_append_new(a, bw("", 4096, 100));
	for (int i = 0; i < 16; i++)
		json_array_append_new(a, bw("", 4096, 1));
	rp_model_build(&m, a, NULL, false);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.s[0].records, 40);
	assert_true(m.s[0].pts[0].med.bw == 100);
	rp_model_free(&m);
	json_decref(a);
}

static void per_nic_records_are_not_curve_points(void **st)
{
	json_t *a = json_array();
	struct rp_model m;
	(void)st;
	json_array_append_new(a, bw("\"lane\":0,\"lanes\":2", 4096, 5));
	json_array_append_new(a, bw("\"lane\":1,\"lanes\":2", 4096, 1));
	json_array_append_new(a, bw("\"lane\":\"all\",\"lanes\":2", 4096, 6));
	rp_model_build(&m, a, NULL, false);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.s[0].lane_records, 2);
	assert_int_equal(m.s[0].n, 1);
	assert_true(m.s[0].pts[0].med.bw == 6);
	assert_string_equal(m.s[0].label, "libfabric tcp (2 lanes)");
	rp_model_free(&m);
	json_decref(a);
}

static void build_pick(json_t *a, struct rp_model *m, struct rp_pair *p)
{
	rp_model_build(m, a, NULL, false);
	rp_pick(m, RP_BW, NULL, p);
	assert_non_null(p->with);
	assert_non_null(p->without);
}

static void pick_prefers_efa_one_way_and_not_the_input_order(void **st)
{
	json_t *a = json_array(), *b = json_array();
	struct rp_model m1, m2;
	struct rp_pair p1, p2;
	(void)st;
	json_array_append_new(a, bw("\"provider\":\"efa\",\"direction\":\"bidir\"", 4096, 20));
	json_array_append_new(a, bw("\"provider\":\"sockets\"", 4096, 1));
	json_array_append_new(a, bw("\"provider\":\"efa\"", 4096, 10));
	json_array_append_new(a, bw("\"transport\":\"socket\",\"provider\":\"kernel-tcp\",\"direction\":\"bidir\"", 4096, 2));
	json_array_append_new(a, bw("\"transport\":\"socket\",\"provider\":\"kernel-tcp\"", 4096, 1));
	for (size_t i = json_array_size(a); i-- > 0;)
		json_array_append(b, json_array_get(a, i));
	build_pick(a, &m1, &p1);
	build_pick(b, &m2, &p2);
	assert_string_equal(p1.with->label, "libfabric efa (uni)");
	assert_string_equal(p1.without->label, "TCP sockets (uni)");
	assert_string_equal(p2.with->label, p1.with->label);
	assert_string_equal(p2.without->label, p1.without->label);
	rp_model_free(&m1);
	rp_model_free(&m2);
	json_decref(a);
	json_decref(b);
}

static json_t *nccl(const char *net, bool in_place, long size, double busbw)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"schema\":2,\"test\":\"nccl\",\"nccl_op\":\"all_reduce\",\"net\":\"%s\",\"in_place\":%s,"
		 "\"size\":%ld,\"busbw_gbps\":%g}",
		 net, in_place ? "true" : "false", size, busbw);
	return rec(buf);
}

static void nccl_pair_is_efa_out_of_place_against_socket(void **st)
{
	json_t *a = json_array();
	struct rp_model m;
	struct rp_pair p;
	(void)st;
	json_array_append_new(a, nccl("Socket", true, 1 << 20, 1.6));
	json_array_append_new(a, nccl("AWS Libfabric", true, 1 << 20, 4.5));
	json_array_append_new(a, nccl("Socket", false, 1 << 20, 1.65));
	json_array_append_new(a, nccl("AWS Libfabric", false, 1 << 20, 4.61));
	rp_model_build(&m, a, NULL, false);
	rp_pick(&m, RP_NCCL, NULL, &p);
	assert_string_equal(p.with->label, "NCCL all_reduce over AWS Libfabric");
	assert_string_equal(p.without->label, "NCCL all_reduce over Socket");
	assert_true(p.with->efa && p.without->socket);
	rp_model_free(&m);
	json_decref(a);
}

static void unnamed_nccl_runs_stay_apart_by_source(void **st)
{
	json_t *a = json_array(), *origin = json_array();
	struct rp_model m;
	(void)st;
	json_array_append_new(a, rec("{\"schema\":2,\"test\":\"nccl\",\"nccl_op\":\"all_reduce\",\"in_place\":false,"
				     "\"size\":8,\"busbw_gbps\":1}"));
	json_array_append_new(a, rec("{\"schema\":2,\"test\":\"nccl\",\"nccl_op\":\"all_reduce\",\"in_place\":false,"
				     "\"size\":8,\"busbw_gbps\":2}"));
	json_array_append_new(origin, json_integer(0));
	json_array_append_new(origin, json_integer(1));
	rp_model_build(&m, a, origin, false);
	assert_int_equal(m.n, 2);
	assert_string_not_equal(m.s[0].label, m.s[1].label);
	rp_model_free(&m);
	json_decref(a);
	json_decref(origin);
}

static void compare_takes_ids_or_unique_label_text(void **st)
{
	json_t *a = json_array();
	struct rp_model m;
	struct rp_pair p;
	char why[256];
	(void)st;
	json_array_append_new(a, bw("\"provider\":\"efa\"", 4096, 10));
	json_array_append_new(a, bw("\"provider\":\"sockets\"", 4096, 1));
	json_array_append_new(a, bw("\"transport\":\"socket\",\"provider\":\"kernel-tcp\"", 4096, 1));
	rp_model_build(&m, a, NULL, false);
	assert_int_equal(rp_parse_compare(&m, "S2,TCP", &p, why, sizeof(why)), 0);
	assert_int_equal(p.with->id, 2);
	assert_int_equal(p.without->id, 3);
	assert_int_equal(rp_parse_compare(&m, "libfabric,S3", &p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "matches both"));
	assert_int_equal(rp_parse_compare(&m, "S1,S1", &p, why, sizeof(why)), -1);
	assert_int_equal(rp_parse_compare(&m, "S1", &p, why, sizeof(why)), -1);
	assert_int_equal(rp_parse_compare(&m, "S1,S9", &p, why, sizeof(why)), -1);
	rp_model_free(&m);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(different_configurations_are_never_pooled),
		cmocka_unit_test(runs_stay_apart_unless_pooled),
		cmocka_unit_test(repeats_beyond_16_give_the_true_median),
		cmocka_unit_test(per_nic_records_are_not_curve_points),
		cmocka_unit_test(pick_prefers_efa_one_way_and_not_the_input_order),
		cmocka_unit_test(nccl_pair_is_efa_out_of_place_against_socket),
		cmocka_unit_test(unnamed_nccl_runs_stay_apart_by_source),
		cmocka_unit_test(compare_takes_ids_or_unique_label_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
