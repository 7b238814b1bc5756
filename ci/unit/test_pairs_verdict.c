/* The verdict's rules on recorded-like pair matrices: a loaded but healthy
 * cluster passes, a slow node is still named through the noise, noise that
 * fails pairs everywhere blames nobody, and a run that measured nothing
 * vouches for nobody. The values are what a busy 2-core box gave: 8 B
 * latency spread 13-50 us around 20 us, bandwidth within a few percent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pairs_schedule.h"
#include "pairs_verdict.h"

#define MAXN 16
#define MAXM 4096

static struct fc_meas ms[MAXM];
static int nms;
static uint64_t seed;
static const char *const labels[MAXN] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7",
					 "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15"};
static const struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};

/* a fixed pseudo-random sequence: the same matrix on every run */
static double uniform(double lo, double hi)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return lo + (hi - lo) * (double)(seed >> 11) / (double)(1ull << 53);
}

/* What one pair measured: latency (us) at 8 B, bandwidth (GB/s) both ways
 * at 64 KiB and 1 MiB. */
typedef void (*pair_values)(int a, int b, double *lat, double *bw);

static void measure_all(int n, pair_values values)
{
	struct fc_round *r;
	int nr;

	nms = 0;
	assert_int_equal(fc_schedule_full(n, &r, &nr), 0);
	for (int k = 0; k < nr; k++)
		for (int a = 0; a < n; a++) {
			int b = r[k].partner[a];
			double lat, bw;
			if (b <= a)
				continue;
			values(a, b, &lat, &bw);
			ms[nms++] = (struct fc_meas){k, a, b, FC_MEAS_LAT, 8, -1, 1, lat, false};
			for (int d = 0; d < 2; d++) {
				ms[nms++] = (struct fc_meas){k, d ? b : a, d ? a : b, FC_MEAS_BW, 1 << 16, -1, 1,
							     bw * uniform(0.5, 1.0), false};
				ms[nms++] = (struct fc_meas){k, d ? b : a, d ? a : b, FC_MEAS_BW, 1 << 20, -1, 1, bw, false};
			}
		}
	fc_rounds_free(r, nr);
}

static void judge(int n, struct fc_verdicts *v)
{
	bool alive[MAXN];
	for (int i = 0; i < n; i++)
		alive[i] = true;
	assert_int_equal(fc_pairs_judge(n, alive, labels, ms, nms, NULL, 0, &cfg, v), 0);
}

static void loaded(int a, int b, double *lat, double *bw)
{
	(void)a, (void)b;
	*lat = uniform(13, 50);
	*bw = uniform(9.5, 10.5);
}

static int slow;
static void loaded_with_a_slow_node(int a, int b, double *lat, double *bw)
{
	loaded(a, b, lat, bw);
	if (a == slow || b == slow)
		*lat += 150;
}

static void loaded_with_a_slow_nic(int a, int b, double *lat, double *bw)
{
	loaded(a, b, lat, bw);
	if (a == slow || b == slow)
		*bw /= 4;
}

/* every node fails with two random partners that pass elsewhere: no
 * single node explains it */
static void noisy_everywhere(int a, int b, double *lat, double *bw)
{
	loaded(a, b, lat, bw);
	if ((b - a) % 3 == 1)
		*bw /= 3;
}

static void noisy_healthy_latency_passes(void **st)
{
	struct fc_verdicts v;
	(void)st;
	for (int run = 0; run < 20; run++) {
		seed = 1000 + (uint64_t)run;
		measure_all(6, loaded);
		judge(6, &v);
		for (int i = 0; i < 6; i++)
			assert_int_not_equal(v.node[i].verdict, FC_PV_FAIL);
		assert_int_equal(v.nlinks, 0);
		assert_false(v.noisy);
		fc_verdicts_free(&v);
	}
}

static void a_slow_latency_node_is_named_through_the_noise(void **st)
{
	struct fc_verdicts v;
	(void)st;
	for (int run = 0; run < 20; run++) {
		seed = 2000 + (uint64_t)run;
		slow = run % 6;
		measure_all(6, loaded_with_a_slow_node);
		judge(6, &v);
		for (int i = 0; i < 6; i++)
			assert_int_equal(v.node[i].verdict == FC_PV_FAIL, i == slow);
		assert_int_equal(v.nlinks, 0);
		fc_verdicts_free(&v);
	}
}

static void a_slow_bandwidth_node_is_named_at_the_largest_size(void **st)
{
	struct fc_verdicts v;
	(void)st;
	for (int n = 4; n <= 8; n++) {
		seed = 3000 + (uint64_t)n;
		slow = n - 1;
		measure_all(n, loaded_with_a_slow_nic);
		judge(n, &v);
		for (int i = 0; i < n; i++)
			assert_int_equal(v.node[i].verdict == FC_PV_FAIL, i == slow);
		assert_string_equal(v.node[slow].kind, "slow");
		/* the evidence: at 1 MiB the slow node's score is under the fail
		 * line drawn from the reference, every other node's above it */
		for (int g = 0; g < v.ngroups; g++) {
			const struct fc_group_lines *gl = &v.groups[g];
			if (gl->kind != FC_MEAS_BW || gl->size != 1 << 20)
				continue;
			assert_true(gl->fail > 0 && gl->fail < gl->ref);
			for (int i = 0; i < n; i++)
				assert_int_equal(gl->score[i] < gl->fail, i == slow);
		}
		fc_verdicts_free(&v);
	}
}

/* 64 KiB bandwidth at half speed on a busy host warns at most */
static void smaller_sizes_never_fail_a_node_alone(void **st)
{
	struct fc_verdicts v;
	(void)st;
	seed = 4000;
	measure_all(6, loaded);
	for (int i = 0; i < nms; i++)
		if (ms[i].kind == FC_MEAS_BW && ms[i].size == 1 << 16 && (ms[i].a == 2 || ms[i].b == 2))
			ms[i].value /= 10;
	judge(6, &v);
	for (int i = 0; i < 6; i++)
		assert_int_not_equal(v.node[i].verdict, FC_PV_FAIL);
	fc_verdicts_free(&v);
}

/* four nodes, one slow (it alone fails half the pairs) and one pair of
 * good nodes with a latency spike: the slow node is named, the pair is a
 * suspect link, the run is not inconclusive (a loaded preflight test was:
 * 4 of 6 pairs failing had counted as noise) */
static void a_slow_node_of_four_and_one_noisy_pair_is_still_named(void **st)
{
	struct fc_verdicts v;
	(void)st;
	seed = 4500;
	slow = 3;
	measure_all(4, loaded_with_a_slow_nic);
	for (int i = 0; i < nms; i++)
		if (ms[i].kind == FC_MEAS_LAT && ((ms[i].a == 0 && ms[i].b == 1) || (ms[i].a == 1 && ms[i].b == 0)))
			ms[i].value += 150;
	judge(4, &v);
	assert_false(v.noisy);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v.node[i].verdict == FC_PV_FAIL, i == slow);
	assert_int_equal(v.nlinks, 1);
	fc_verdicts_free(&v);
}

static void noise_everywhere_is_inconclusive_and_blames_nobody(void **st)
{
	struct fc_verdicts v;
	(void)st;
	seed = 5000;
	measure_all(8, noisy_everywhere);
	judge(8, &v);
	assert_true(v.noisy);
	assert_non_null(strstr(v.note, "inconclusive"));
	assert_int_equal(v.nlinks, 0);
	assert_false(v.fabric);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(v.node[i].verdict, FC_PV_UNKNOWN);
		assert_int_equal(v.node[i].bad_lanes, 0);
	}
	/* the lines it names judge the same matrix without calling it noise */
	struct fc_verdict_cfg named = cfg;
	const char *lines = strstr(v.note, "--fail ");
	assert_non_null(lines);
	assert_int_equal(sscanf(lines, "--fail %lf --warn %lf", &named.fail, &named.warn), 2);
	assert_true(named.fail < cfg.fail && named.warn > named.fail);
	fc_verdicts_free(&v);
	bool alive[MAXN];
	for (int i = 0; i < 8; i++)
		alive[i] = true;
	assert_int_equal(fc_pairs_judge(8, alive, labels, ms, nms, NULL, 0, &named, &v), 0);
	assert_false(v.noisy);
	for (int i = 0; i < 8; i++)
		assert_true(v.node[i].verdict <= FC_PV_WARN);
	fc_verdicts_free(&v);
}

/* every step of every pair failed (mismatched options, say): no node may
 * pass, and none is blamed for a slow value it never produced */
static void a_run_that_measured_nothing_vouches_for_nobody(void **st)
{
	struct fc_verdicts v;
	bool alive[3] = {true, true, true};
	struct fc_pair_failure f[3] = {{0, 0, 1, false, false, -1, false}, {1, 0, 2, false, false, -1, false}, {2, 1, 2, false, false, -1, false}};
	(void)st;
	assert_int_equal(fc_pairs_judge(3, alive, labels, NULL, 0, f, 3, &cfg, &v), 0);
	assert_int_equal(v.unmeasured, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(v.node[i].verdict, FC_PV_UNKNOWN);
		assert_non_null(strstr(v.node[i].reason, "unmeasured"));
	}
	fc_verdicts_free(&v);
}

/* one node of four that every partner failed to measure with, the others
 * measured among themselves: it alone is unmeasured */
static void a_node_never_measured_is_named_unmeasured(void **st)
{
	struct fc_verdicts v;
	bool alive[4] = {true, true, true, true};
	struct fc_pair_failure f[3] = {{0, 0, 3, false, false, -1, false}, {1, 1, 3, false, false, -1, false}, {2, 2, 3, false, false, -1, false}};
	(void)st;
	nms = 0;
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++)
			ms[nms++] = (struct fc_meas){a + b, a, b, FC_MEAS_BW, 1 << 20, -1, 1, 10, false};
	assert_int_equal(fc_pairs_judge(4, alive, labels, ms, nms, f, 3, &cfg, &v), 0);
	assert_int_equal(v.unmeasured, 1);
	assert_int_equal(v.node[3].verdict, FC_PV_UNKNOWN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

/* a pair whose step failed once (its peer stalled) and measured well on
 * the retry: no suspect link, nobody blamed; a retry that fails too keeps
 * the finding */
static void a_failure_that_a_passing_retry_clears_blames_nothing(void **st)
{
	struct fc_verdicts v;
	bool alive[4] = {true, true, true, true};
	struct fc_pair_failure f[2] = {{0, 0, 3, false, false, -1, false}, {3, 0, 3, false, false, -1, false}};
	double lat, bw;
	int w = 0;
	(void)st;
	seed = 7;
	measure_all(4, loaded);
	/* (0,3) measured nothing in its scheduled round ... */
	for (int i = 0; i < nms; i++)
		if (!((ms[i].a == 0 && ms[i].b == 3) || (ms[i].a == 3 && ms[i].b == 0)))
			ms[w++] = ms[i];
	nms = w;
	/* ... and in retry round 3 what every pair measures */
	loaded(0, 3, &lat, &bw);
	ms[nms++] = (struct fc_meas){3, 0, 3, FC_MEAS_LAT, 8, -1, 1, lat, true};
	for (int d = 0; d < 2; d++) {
		ms[nms++] = (struct fc_meas){3, d ? 3 : 0, d ? 0 : 3, FC_MEAS_BW, 1 << 16, -1, 1, bw * 0.75, true};
		ms[nms++] = (struct fc_meas){3, d ? 3 : 0, d ? 0 : 3, FC_MEAS_BW, 1 << 20, -1, 1, bw, true};
	}
	assert_int_equal(fc_pairs_judge(4, alive, labels, ms, nms, f, 1, &cfg, &v), 0);
	for (int i = 0; i < v.nlinks; i++)
		print_message("link %d-%d: %s\n", v.links[i].a, v.links[i].b, v.links[i].reason);
	assert_int_equal(v.nlinks, 0);
	for (int i = 0; i < 4; i++) /* a loaded box's latency may warn */
		assert_true(v.node[i].verdict == FC_PV_PASS || v.node[i].verdict == FC_PV_WARN);
	fc_verdicts_free(&v);
	/* the retry failed as well: the finding stands */
	assert_int_equal(fc_pairs_judge(4, alive, labels, ms, nms, f, 2, &cfg, &v), 0);
	assert_true(v.nlinks == 1 || v.node[0].verdict == FC_PV_FAIL || v.node[3].verdict == FC_PV_FAIL);
	fc_verdicts_free(&v);
}

/* a node whose pairs retransmit 2% of their packets, bandwidth and
 * latency as everyone's (TCP hides loss from them): named for loss */
static void a_node_that_loses_packets_is_named_for_loss(void **st)
{
	struct fc_verdicts v;
	int base;
	(void)st;
	seed = 11;
	measure_all(6, loaded);
	base = nms;
	for (int i = 0; i < base; i++)
		if (ms[i].kind == FC_MEAS_BW && ms[i].size == 1 << 20) {
			bool lossy = ms[i].a == 4 || ms[i].b == 4;
			ms[nms++] = (struct fc_meas){ms[i].round, ms[i].a, ms[i].b, FC_MEAS_LOSS, 0, -1, 1,
						     lossy ? 2.0 : 0.01, false};
		}
	judge(6, &v);
	assert_int_equal(v.node[4].verdict, FC_PV_FAIL);
	assert_string_equal(v.node[4].kind, "loss");
	assert_non_null(strstr(v.node[4].reason, "losing packets"));
	for (int i = 0; i < 6; i++)
		if (i != 4)
			assert_true(v.node[i].verdict == FC_PV_PASS || v.node[i].verdict == FC_PV_WARN);
	assert_false(v.noisy);
	fc_verdicts_free(&v);
}

/* retries taken later, on a quieter box at three times the speed, do
 * not move the reference past a pair nobody retried */
static void retries_do_not_move_the_reference(void **st)
{
	struct fc_verdicts v;
	int base;
	(void)st;
	nms = 0;
	for (int a = 0; a < 6; a++)
		for (int b = a + 1; b < 6; b++)
			for (int d = 0; d < 2; d++)
				ms[nms++] = (struct fc_meas){a, d ? b : a, d ? a : b, FC_MEAS_BW, 1 << 20, -1, 1,
							     a == 0 && b == 2 ? 0.85 : 1.0, false};
	base = nms;
	/* two other pairs, retried late and fast */
	for (int i = 0; i < base; i++)
		if ((ms[i].a == 1 && ms[i].b == 4) || (ms[i].a == 3 && ms[i].b == 5) || (ms[i].a == 4 && ms[i].b == 1) ||
		    (ms[i].a == 5 && ms[i].b == 3))
			for (int r = 0; r < 6; r++) /* enough to outnumber their first attempts */
				ms[nms++] = (struct fc_meas){20 + r, ms[i].a, ms[i].b, FC_MEAS_BW, 1 << 20, -1, 1, 3.0, true};
	judge(6, &v);
	assert_false(v.noisy);
	for (int i = 0; i < 6; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	assert_int_equal(v.nlinks, 0);
	fc_verdicts_free(&v);
}

/* A p5 that opened 30 of its 32 EFA devices is short of two, in a run over
 * every NIC; not judged where the run chose its NICs, or is not on EFA. */
static void an_efa_node_short_of_its_types_nics_is_named(void **state)
{
	(void)state;
	assert_int_equal(fc_pairs_nics_missing("efa", NULL, 30, 32), 2);
	assert_int_equal(fc_pairs_nics_missing("efa", "all", 30, 32), 2);
	assert_int_equal(fc_pairs_nics_missing("efa-direct", "", 16, 16), 0);
	assert_int_equal(fc_pairs_nics_missing("efa-direct", NULL, 15, 16), 1);
	/* -d naming NICs: the operator chose them */
	assert_int_equal(fc_pairs_nics_missing("efa", "rdmap16s27-rdm", 1, 32), 0);
	/* tcp over two interfaces on a p5 says nothing of its EFA devices */
	assert_int_equal(fc_pairs_nics_missing("tcp", NULL, 2, 32), 0);
	assert_int_equal(fc_pairs_nics_missing("efax", NULL, 2, 32), 0);
	/* a type whose count is not sourced (0), or more opened than listed */
	assert_int_equal(fc_pairs_nics_missing("efa", NULL, 4, 0), 0);
	assert_int_equal(fc_pairs_nics_missing("efa", NULL, 33, 32), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(noisy_healthy_latency_passes),
		cmocka_unit_test(an_efa_node_short_of_its_types_nics_is_named),
		cmocka_unit_test(a_slow_latency_node_is_named_through_the_noise),
		cmocka_unit_test(a_slow_bandwidth_node_is_named_at_the_largest_size),
		cmocka_unit_test(smaller_sizes_never_fail_a_node_alone),
		cmocka_unit_test(a_slow_node_of_four_and_one_noisy_pair_is_still_named),
		cmocka_unit_test(noise_everywhere_is_inconclusive_and_blames_nobody),
		cmocka_unit_test(a_run_that_measured_nothing_vouches_for_nobody),
		cmocka_unit_test(a_node_never_measured_is_named_unmeasured),
		cmocka_unit_test(a_failure_that_a_passing_retry_clears_blames_nothing),
		cmocka_unit_test(a_node_that_loses_packets_is_named_for_loss),
		cmocka_unit_test(retries_do_not_move_the_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
