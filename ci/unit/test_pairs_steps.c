/* A pairs round's steps, run through the agent's own loop
 * (fc_pairs_run_steps): each failure is reported with its own words, and
 * lane threads that fail together leave one whole reason. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "log.h"
#include "pairs_steps.h"
#include "status.h"

struct script {
	int rc[3];
	const char *says[3]; /* what the step prints with fc_err, as the real code does */
	int ran;
};

static int scripted_step(void *ctx, size_t i, struct fc_status *st)
{
	struct script *s = ctx;

	(void)st;
	s->ran++;
	if (s->says[i])
		fc_err("%s", s->says[i]);
	return s->rc[i];
}

static const char *failure_msg(const json_t *failures, size_t k)
{
	return json_string_value(json_object_get(json_array_get(failures, k), "message"));
}

static void two_failures_in_one_round_keep_their_own_messages(void **state)
{
	struct script s = {
		.rc = {-FC_EXIT_FABRIC, -FC_EXIT_VERIFY, 0},
		.says = {"ping-pong with r1: lane 0 timed out", "bw to r1: data verification failed at size 4K", NULL},
	};
	json_t *f;

	(void)state;
	f = fc_pairs_run_steps(3, scripted_step, NULL, &s);
	assert_int_equal(s.ran, 3);
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(failure_msg(f, 0), "ping-pong with r1: lane 0 timed out");
	assert_string_equal(failure_msg(f, 1), "bw to r1: data verification failed at size 4K");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "exit")), FC_EXIT_FABRIC);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "step")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 1), "exit")), FC_EXIT_VERIFY);
	json_decref(f);
}

static void an_error_before_the_round_is_not_a_steps_reason(void **state)
{
	struct fc_status agent, *outer;
	struct script s = {.rc = {0, -FC_EXIT_FABRIC, 0}};
	json_t *f;

	(void)state;
	fc_status_clear(&agent);
	outer = fc_status_bind(&agent);
	fc_err("the coordinator's previous round was late");
	f = fc_pairs_run_steps(3, scripted_step, NULL, &s);
	fc_status_bind(outer);
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(failure_msg(f, 0), "the step failed (no reason recorded)");
	assert_string_equal(fc_status_msg(&agent, ""), "the coordinator's previous round was late");
	json_decref(f);
}

static void a_gone_peer_ends_the_round_and_below_is_no_failure(void **state)
{
	struct script below = {.rc = {-FC_EXIT_BELOW, -FC_EXIT_BELOW, 0}};
	struct script gone = {.rc = {-FC_EXIT_PEER, 0, 0}, .says = {"r1 stopped answering", NULL, NULL}};
	json_t *f;

	(void)state;
	f = fc_pairs_run_steps(3, scripted_step, NULL, &below);
	assert_int_equal(below.ran, 3);
	assert_int_equal(json_array_size(f), 0);
	json_decref(f);
	f = fc_pairs_run_steps(3, scripted_step, NULL, &gone);
	assert_int_equal(gone.ran, 1);
	assert_int_equal(json_array_size(f), 1);
	assert_string_equal(failure_msg(f, 0), "r1 stopped answering");
	json_decref(f);
}

static struct fc_step_lanes lane_one(void *ctx)
{
	(void)ctx;
	return (struct fc_step_lanes){1, 1}; /* lane 1 timed out, lane 0 worked */
}

/* the lane that timed out travels with the failure, for the coordinator
 * to name that NIC */
static void a_failed_step_carries_the_lane_that_timed_out(void **state)
{
	struct script s = {.rc = {0, -FC_EXIT_FABRIC, 0}, .says = {NULL, "lane 1 (fc3n1): no completion", NULL}};
	json_t *f;

	(void)state;
	f = fc_pairs_run_steps(3, scripted_step, lane_one, &s);
	assert_int_equal(json_array_size(f), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "lane")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f, 0), "progressed")), 1);
	json_decref(f);
	f = fc_pairs_run_steps(3, scripted_step, NULL, &s);
	assert_null(json_object_get(json_array_get(f, 0), "lane"));
	json_decref(f);
}

/* ---- lane threads: they adopt the run's status, as fc_lanes_run does ---- */

struct lane_arg {
	struct fc_status *run;
	int lane;
	pthread_barrier_t *go;
};

static void *failing_lane(void *p)
{
	struct lane_arg *a = p;
	char pad[600];

	fc_status_bind(a->run);
	memset(pad, 'a' + a->lane, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	pthread_barrier_wait(a->go);
	fc_err("lane %d: %s", a->lane, pad);
	fc_status_bind(NULL);
	return NULL;
}

static void lane_threads_failing_together_keep_one_whole_message(void **state)
{
	enum { LANES = 8 };
	struct fc_status run;
	pthread_t t[LANES];
	struct lane_arg a[LANES];
	pthread_barrier_t go;
	char want[700];
	int lane;

	(void)state;
	fc_status_clear(&run);
	pthread_barrier_init(&go, NULL, LANES);
	for (int i = 0; i < LANES; i++) {
		a[i] = (struct lane_arg){&run, i, &go};
		assert_int_equal(pthread_create(&t[i], NULL, failing_lane, &a[i]), 0);
	}
	for (int i = 0; i < LANES; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	assert_true(fc_status_failed(&run));
	assert_int_equal(sscanf(run.msg, "lane %d:", &lane), 1);
	assert_true(lane >= 0 && lane < LANES);
	snprintf(want, sizeof(want), "lane %d: ", lane);
	memset(want + strlen(want), 'a' + lane, 599);
	want[strlen("lane 0: ") + 599] = '\0';
	assert_string_equal(run.msg, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_failures_in_one_round_keep_their_own_messages),
		cmocka_unit_test(an_error_before_the_round_is_not_a_steps_reason),
		cmocka_unit_test(a_failed_step_carries_the_lane_that_timed_out),
		cmocka_unit_test(a_gone_peer_ends_the_round_and_below_is_no_failure),
		cmocka_unit_test(lane_threads_failing_together_keep_one_whole_message),
	};

	fc_log_set_prog("test_pairs_steps");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
