/* The cluster runner's pure parts: the launcher's environment, the
 * schedules, the verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "errors.h"
#include "pairs_hostlist.h"
#include "pairs_launch.h"
#include "pairs_nodeset.h"
#include "pairs_schedule.h"
#include "pairs_verdict.h"

/* ---- launcher ---- */

static const char *const *env_table;

static const char *fake_env(const char *name)
{
	for (const char *const *e = env_table; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static void launchers_give_rank_nodes_and_coordinator(void **st)
{
	static const char *const ompi[] = {"OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "8",
					   "OMPI_MCA_orte_hnp_uri", "1540751360.0;tcp://10.1.2.3:35747;tcp6://[fd00::2]:531",
					   NULL};
	static const char *const sky[] = {"SKYPILOT_NODE_RANK", "1", "SKYPILOT_NUM_NODES", "4",
					  "SKYPILOT_NODE_IPS", "172.31.0.10\n172.31.0.11\n172.31.0.12\n172.31.0.13\n", NULL};
	static const char *const slurm[] = {"SLURM_PROCID", "2", "SLURM_NTASKS", "16", "SLURM_JOB_NODELIST",
					    "gpu-st-p5-[007-010,012],login1", NULL};
	static const char *const k8s[] = {"JOB_COMPLETION_INDEX", "5", NULL};
	static const char *const k8s_job[] = {"JOB_COMPLETION_INDEX", "2", "FABCHECK_NODES", "4", "FABCHECK_COORDINATOR",
					      "fabcheck-preflight-0.fabcheck-preflight", NULL};
	struct fc_launch l;
	(void)st;
	env_table = ompi;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_true(l.rank == 3 && l.nodes == 8);
	assert_string_equal(l.coord, "10.1.2.3");
	assert_string_equal(l.launcher, "mpirun");
	env_table = sky;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_true(l.rank == 1 && l.nodes == 4);
	assert_string_equal(l.coord, "172.31.0.10");
	env_table = slurm;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_true(l.rank == 2 && l.nodes == 16);
	assert_string_equal(l.coord, "gpu-st-p5-007");
	/* rank i's node, for naming a node that never joined */
	assert_string_equal(l.hosts, "gpu-st-p5-007,gpu-st-p5-008,gpu-st-p5-009,gpu-st-p5-010,gpu-st-p5-012,login1");
	/* an Indexed Job knows its index only: --nodes and --coordinator */
	env_table = k8s;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), -FC_EXIT_USAGE);
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, 8, "preflight-0.preflight:47700"), 0);
	assert_true(l.rank == 5 && l.nodes == 8 && l.coord_port == 47700);
	assert_string_equal(l.coord, "preflight-0.preflight");
	/* or the manifest's environment (diag/recipes/k8s/preflight-job.yaml) */
	env_table = k8s_job;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_true(l.rank == 2 && l.nodes == 4 && l.coord_port == FC_PAIRS_PORT);
	assert_string_equal(l.coord, "fabcheck-preflight-0.fabcheck-preflight");
	assert_string_equal(l.launcher, "kubernetes");
	/* no launcher: the command line, which must say it all */
	env_table = NULL;
	assert_int_equal(fc_launch_detect(&l, fake_env, 1, 2, NULL), -FC_EXIT_USAGE); /* where is rank 0? */
	assert_int_equal(fc_launch_detect(&l, fake_env, 0, 2, NULL), 0);             /* rank 0 is it */
	assert_int_equal(fc_launch_detect(&l, fake_env, 2, 2, "h"), -FC_EXIT_USAGE);  /* rank >= nodes */
	assert_int_equal(fc_launch_detect(&l, fake_env, 1, 2, "h:99999"), -FC_EXIT_USAGE);
}

static void slurm_node_lists_and_host_ports(void **st)
{
	char h[64], all[256];
	uint16_t port = 1;
	const char *bad[] = {"x[", "x[]", "x[3-1]", "x[1,]", "x[,1]", "a,,b", "a,", ",a", "x]", "x[1[2]]", "x[1-9999]",
			     "x[a]", "x[1-2", "x[1]]", "x[1234567890]", "n[8-10],nb007-010,011]", ""};
	(void)st;
	assert_int_equal(fc_hostlist_expand("gpu-[01-04,07]-ib,login1", all, sizeof(all)), 0);
	assert_string_equal(all, "gpu-01-ib,gpu-02-ib,gpu-03-ib,gpu-04-ib,gpu-07-ib,login1");
	assert_int_equal(fc_hostlist_expand("rack[1-2]-n[1-2]", all, sizeof(all)), 0);
	assert_string_equal(all, "rack1-n1,rack1-n2,rack2-n1,rack2-n2");
	assert_int_equal(fc_hostlist_expand("node[8-10],n[007-010,012]", all, sizeof(all)), 0);
	assert_string_equal(all, "node8,node9,node10,n007,n008,n009,n010,n012");
	assert_int_equal(fc_hostlist_expand("solo", all, sizeof(all)), 0);
	assert_string_equal(all, "solo");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = fc_hostlist_expand(bad[i], all, sizeof(all));
		if (rc != -1)
			fail_msg("'%s' expanded to '%s'", bad[i], all);
		assert_string_equal(all, "");
	}
	/* a list that does not fit is refused, not cut */
	assert_int_equal(fc_hostlist_expand("node[001-100]", all, sizeof(all)), -1);
	assert_int_equal(fc_slurm_first_host("gpu-[01-04]-ib", h, sizeof(h)), 0);
	assert_string_equal(h, "gpu-01-ib");
	assert_int_equal(fc_slurm_first_host("node[01-04,07]", h, sizeof(h)), 0);
	assert_string_equal(h, "node01");
	assert_int_equal(fc_slurm_first_host("a1,b[2-3]", h, sizeof(h)), 0);
	assert_string_equal(h, "a1");
	assert_int_equal(fc_slurm_first_host("x[", h, sizeof(h)), -1);
	assert_int_equal(fc_split_host_port("[fd00::1]:80", h, sizeof(h), &port), 0);
	assert_true(!strcmp(h, "fd00::1") && port == 80);
	assert_int_equal(fc_split_host_port("fd00::1", h, sizeof(h), &port), 0);
	assert_string_equal(h, "fd00::1");
	assert_int_equal(fc_split_host_port("h:0", h, sizeof(h), &port), -1);
}

/* the run's secret: read once, checked, compared whole */
static void run_secret_is_checked_and_compared_whole(void **st)
{
	static const char *const good[] = {"OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2", "FABCHECK_COORDINATOR",
					   "10.0.0.1", "FABCHECK_RUN_SECRET", "5f2b9c0e7d1a4e3f8b6c2d9e0a1f3b7c", NULL};
	static const char *const bad[] = {"OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2", "FABCHECK_COORDINATOR",
					  "10.0.0.1", "FABCHECK_RUN_SECRET", "secret with spaces 1234", NULL};
	struct fc_launch l;
	(void)st;
	env_table = good;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_string_equal(l.secret, "5f2b9c0e7d1a4e3f8b6c2d9e0a1f3b7c");
	env_table = bad;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), -FC_EXIT_USAGE);
	assert_true(fc_run_secret_equal("", ""));
	assert_true(fc_run_secret_equal("abcdefghijklmnop", "abcdefghijklmnop"));
	assert_false(fc_run_secret_equal("abcdefghijklmnop", "abcdefghijklmnoq"));
	assert_false(fc_run_secret_equal("abcdefghijklmnop", "abcdefghijklmno"));
	assert_false(fc_run_secret_equal("abcdefghijklmnop", ""));
}

/* an agent meets only the launcher's nodes, where the launcher names them */
static void partners_outside_the_launchers_nodes_are_refused(void **st)
{
	struct fc_nodeset s;
	char why[320];
	(void)st;
	assert_int_equal(fc_nodeset_from_list(&s, "172.31.0.10,172.31.0.11,fd00::7", why, sizeof(why)), 0);
	assert_true(s.known);
	assert_true(fc_nodeset_has(&s, "172.31.0.11"));
	assert_true(fc_nodeset_has(&s, "fd00::7"));
	assert_true(fc_nodeset_has(&s, "::ffff:172.31.0.10")); /* seen by a dual-stack listener */
	assert_false(fc_nodeset_has(&s, "172.31.0.12"));
	assert_false(fc_nodeset_has(&s, "127.0.0.1"));
	assert_false(fc_nodeset_has(&s, "fd00::8"));
	fc_nodeset_free(&s);
	/* names resolve to their addresses */
	assert_int_equal(fc_nodeset_from_list(&s, "localhost", why, sizeof(why)), 0);
	assert_true(fc_nodeset_has(&s, "127.0.0.1"));
	assert_false(fc_nodeset_has(&s, "127.0.0.2"));
	fc_nodeset_free(&s);
	/* no list, or a node this host cannot resolve: any partner, said */
	assert_int_equal(fc_nodeset_from_list(&s, "", why, sizeof(why)), 1);
	assert_true(fc_nodeset_has(&s, "192.0.2.99"));
	assert_int_equal(fc_nodeset_from_list(&s, "10.0.0.1,no-such-node.invalid", why, sizeof(why)), 1);
	assert_non_null(strstr(why, "no-such-node.invalid"));
	assert_true(fc_nodeset_has(&s, "192.0.2.99"));
	fc_nodeset_free(&s);
}

/* mpirun's URI lists every address mpirun listens on: the coordinator is
 * the one in this node's networks */
static void mpirun_address_list_picks_the_reachable_one(void **st)
{
	struct fc_local_net nets[2];
	char h[64];
	static const char *const ompi[] = {"OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "2",
					   "OMPI_MCA_orte_hnp_uri", "1.0;tcp://192.0.2.2,198.51.100.7:47600", NULL};
	struct fc_launch l;
	(void)st;
	inet_pton(AF_INET, "127.0.0.1", &nets[0].addr);
	inet_pton(AF_INET, "255.0.0.0", &nets[0].mask);
	inet_pton(AF_INET, "10.180.3.9", &nets[1].addr);
	inet_pton(AF_INET, "255.255.0.0", &nets[1].mask);
	assert_int_equal(fc_pick_reachable("192.0.2.2,10.180.0.254", nets, 2, h, sizeof(h)), 0);
	assert_string_equal(h, "10.180.0.254");
	assert_int_equal(fc_pick_reachable("192.0.2.2,10.181.0.254", nets, 2, h, sizeof(h)), 1);
	assert_string_equal(h, "192.0.2.2");
	assert_int_equal(fc_pick_reachable("", nets, 2, h, sizeof(h)), -1);
	/* in detection: one address, never the comma list */
	env_table = ompi;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_true(!strcmp(l.coord, "192.0.2.2") || !strcmp(l.coord, "198.51.100.7"));
	assert_int_equal(l.coord_port, FC_PAIRS_PORT);
}

/* ---- schedule ---- */

static void full_mode_meets_every_pair_once_in_disjoint_rounds(void **st)
{
	(void)st;
	for (int n = 2; n <= 64; n++) {
		struct fc_round *r;
		int nr;
		char *met = calloc((size_t)(n * n), 1);
		assert_int_equal(fc_schedule_full(n, &r, &nr), 0);
		assert_int_equal(nr, n % 2 ? n : n - 1);
		for (int k = 0; k < nr; k++) {
			int byes = 0;
			for (int i = 0; i < n; i++) {
				int p = r[k].partner[i];
				if (p < 0) {
					byes++;
					continue;
				}
				assert_true(p != i && r[k].partner[p] == i); /* disjoint and symmetric */
				met[i * n + p]++;
			}
			assert_int_equal(byes, n % 2); /* one node sits out when odd */
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				if (i != j && met[i * n + j] != 1)
					fail_msg("n=%d: %d and %d met %d times", n, i, j, met[i * n + j]);
		free(met);
		fc_rounds_free(r, nr);
	}
}

/* ---- verdicts ---- */

#define MAXM 20000
static struct fc_meas ms[MAXM];
static int nms;

/* node `bad` is slow in bandwidth (both ways); everything else is fast */
static void measure(int round, int a, int b, double bw, int lanes, int slow_lane)
{
	for (int d = 0; d < 2; d++) {
		int x = d ? b : a, y = d ? a : b;
		double total = 0;
		for (int l = 0; l < lanes && lanes > 1; l++) {
			double v = l == slow_lane ? bw / 10 : bw;
			ms[nms++] = (struct fc_meas){round, x, y, FC_MEAS_BW, 1 << 20, l, lanes, v, false};
			total += v;
		}
		ms[nms++] = (struct fc_meas){round, x, y, FC_MEAS_BW, 1 << 20, -1, lanes, lanes > 1 ? total : bw, false};
	}
	ms[nms++] = (struct fc_meas){round, a, b, FC_MEAS_LAT, 8, -1, lanes, 10.0, false};
}

static const char *labels[64] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};

static void run_full(int n, int bad_node, int bad_lane, int lanes, struct fc_verdicts *v, const bool *alive)
{
	struct fc_round *r;
	int nr;
	bool all[64];
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};

	nms = 0;
	for (int i = 0; i < n; i++)
		all[i] = true;
	assert_int_equal(fc_schedule_full(n, &r, &nr), 0);
	for (int k = 0; k < nr; k++)
		for (int i = 0; i < n; i++) {
			int p = r[k].partner[i];
			if (p > i) {
				bool slow = bad_lane < 0 && (i == bad_node || p == bad_node);
				int sl = bad_lane >= 0 && (i == bad_node || p == bad_node) ? bad_lane : -1;
				measure(k, i, p, slow ? 1.0 : 10.0, lanes, sl);
			}
		}
	fc_rounds_free(r, nr);
	assert_int_equal(fc_pairs_judge(n, alive ? alive : all, labels, ms, nms, NULL, 0, &cfg, v), 0);
}

static void a_slow_node_and_only_it_is_named(void **st)
{
	struct fc_verdicts v;
	(void)st;
	for (int n = 4; n <= 8; n++) {
		run_full(n, 2, -1, 1, &v, NULL);
		for (int i = 0; i < n; i++)
			assert_int_equal(v.node[i].verdict, i == 2 ? FC_PV_FAIL : FC_PV_PASS);
		assert_int_equal(v.nlinks, 0);
		assert_false(v.fabric);
		fc_verdicts_free(&v);
	}
}

static void a_slow_nic_is_named_by_its_lane(void **st)
{
	struct fc_verdicts v;
	(void)st;
	run_full(4, 3, 1, 2, &v, NULL);
	assert_int_equal(v.node[3].verdict, FC_PV_FAIL);
	assert_int_equal(v.node[3].bad_lanes, 1u << 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

static void a_slow_link_between_good_nodes_is_a_suspect_link(void **st)
{
	struct fc_round *r;
	int nr, n = 6;
	bool alive[6] = {1, 1, 1, 1, 1, 1};
	struct fc_verdicts v;
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	(void)st;
	nms = 0;
	assert_int_equal(fc_schedule_full(n, &r, &nr), 0);
	for (int k = 0; k < nr; k++)
		for (int i = 0; i < n; i++)
			if (r[k].partner[i] > i)
				measure(k, i, r[k].partner[i], (i == 1 && r[k].partner[i] == 4) ? 2.0 : 10.0, 1, -1);
	fc_rounds_free(r, nr);
	assert_int_equal(fc_pairs_judge(n, alive, labels, ms, nms, NULL, 0, &cfg, &v), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	assert_int_equal(v.nlinks, 1);
	assert_true(v.links[0].a == 1 && v.links[0].b == 4);
	fc_verdicts_free(&v);
}

static void a_retry_that_passes_clears_a_measurement(void **st)
{
	struct fc_verdicts v;
	bool alive[4] = {1, 1, 1, 1};
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	(void)st;
	run_full(4, 1, -1, 1, &v, NULL);
	assert_int_equal(v.node[1].verdict, FC_PV_FAIL);
	fc_verdicts_free(&v);
	/* every slow measurement of node 1 retried fast: it was a hiccup */
	for (int i = 0, n = nms; i < n; i++)
		if ((ms[i].a == 1 || ms[i].b == 1) && ms[i].kind == FC_MEAS_BW) {
			ms[nms] = ms[i];
			ms[nms].value = 10.0;
			ms[nms++].retry = true;
		}
	assert_int_equal(fc_pairs_judge(4, alive, labels, ms, nms, NULL, 0, &cfg, &v), 0);
	assert_int_equal(v.node[1].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

static void unreachable_nodes_are_named_and_their_partners_not_blamed(void **st)
{
	struct fc_verdicts v;
	bool alive[4] = {1, 1, 0, 1};
	struct fc_pair_failure f[] = {{0, 2, 3, true, false, -1, false}, {1, 0, 2, false, true, -1, false}};
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	(void)st;
	nms = 0;
	measure(0, 0, 1, 10.0, 1, -1);
	measure(1, 1, 3, 10.0, 1, -1);
	measure(2, 0, 3, 10.0, 1, -1);
	assert_int_equal(fc_pairs_judge(4, alive, labels, ms, nms, f, 2, &cfg, &v), 0);
	assert_int_equal(v.node[2].verdict, FC_PV_UNREACHABLE);
	assert_int_equal(v.node[0].verdict, FC_PV_PASS);
	assert_int_equal(v.node[3].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

static void few_nodes_need_a_floor_and_a_floor_judges_them(void **st)
{
	struct fc_verdicts v;
	bool alive[3] = {1, 1, 1};
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	(void)st;
	nms = 0;
	measure(0, 0, 1, 10.0, 1, -1);
	measure(1, 0, 2, 1.0, 1, -1);
	measure(2, 1, 2, 1.0, 1, -1);
	assert_int_equal(fc_pairs_judge(3, alive, labels, ms, nms, NULL, 0, &cfg, &v), 0);
	assert_false(v.relative);
	assert_non_null(strstr(v.note, "relative rule needs 4"));
	for (int i = 0; i < 3; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
	cfg.min_bw_gbps = 5.0; /* half of a 10 GB/s line rate */
	assert_int_equal(fc_pairs_judge(3, alive, labels, ms, nms, NULL, 0, &cfg, &v), 0);
	assert_true(v.absolute);
	assert_int_equal(v.node[2].verdict, FC_PV_FAIL);
	assert_int_equal(v.node[0].verdict, FC_PV_PASS);
	assert_int_equal(v.node[1].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

/* Eight nodes in full mode, every pair of round 3 at a tenth of the
 * others' bandwidth; with retried, round 3's pairs measured again in a
 * later retry round at full speed. */
static void judge_round_3_slow(bool retried, struct fc_verdicts *v)
{
	bool alive[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	struct fc_round *r;
	int nr, first;

	nms = 0;
	assert_int_equal(fc_schedule_full(8, &r, &nr), 0);
	for (int k = 0; k < nr; k++)
		for (int i = 0; i < 8; i++)
			if (r[k].partner[i] > i)
				measure(k, i, r[k].partner[i], k == 3 ? 1.0 : 10.0, 1, -1);
	first = nms;
	for (int i = 0; retried && i < 8; i++)
		if (r[3].partner[i] > i)
			measure(nr, i, r[3].partner[i], 10.0, 1, -1);
	for (int i = first; i < nms; i++)
		ms[i].retry = true;
	fc_rounds_free(r, nr);
	assert_int_equal(fc_pairs_judge(8, alive, labels, ms, nms, NULL, 0, &cfg, v), 0);
}

static void a_whole_slow_round_is_the_fabric(void **st)
{
	struct fc_verdicts v;
	(void)st;
	judge_round_3_slow(false, &v);
	assert_true(v.fabric);
	assert_int_equal(v.fabric_round, 3);
	for (int i = 0; i < 8; i++)
		assert_int_not_equal(v.node[i].verdict, FC_PV_FAIL);
	fc_verdicts_free(&v);
}

/* ... but a round slowed by a busy moment, whose pairs all pass on their
 * retry, is no fabric finding (a healthy cluster on a loaded box failed
 * "6 of 6 node(s) good" this way) */
static void a_slow_round_whose_retries_pass_is_no_fabric_finding(void **st)
{
	struct fc_verdicts v;
	(void)st;
	judge_round_3_slow(true, &v);
	assert_false(v.fabric);
	assert_int_equal(v.nlinks, 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(v.node[i].verdict, FC_PV_PASS);
	fc_verdicts_free(&v);
}

/* Sweep mode among 64 simulated nodes, one of them slow: three random
 * matchings, then suspects meet good nodes they have not met (two
 * rounds): the bad node is named, no good node is blamed, in at most
 * R + 2 rounds. */
static void sweep_finds_one_bad_node_among_64_within_its_rounds(void **st)
{
	enum { N = 64, R = 3 };
	static const char *names[N];
	static char buf[N][16];
	bool alive[N], use[N], met[N * N] = {0}, suspect[N], good[N];
	struct fc_verdict_cfg cfg = {.fail = 0.8, .warn = 0.9, .min_nodes = 4};
	struct fc_verdicts v;
	uint64_t seed = 42;
	int bad = 37, rounds = 0;
	(void)st;
	nms = 0;
	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "n%d", i);
		names[i] = buf[i];
		alive[i] = use[i] = true;
	}
	for (int r = 0; r < R; r++, rounds++) {
		struct fc_round rd;
		assert_int_equal(fc_schedule_random(N, use, &seed, &rd), 0);
		for (int i = 0; i < N; i++)
			if (rd.partner[i] > i) {
				met[i * N + rd.partner[i]] = met[rd.partner[i] * N + i] = true;
				measure(rounds, i, rd.partner[i], i == bad || rd.partner[i] == bad ? 1.0 : 10.0, 1, -1);
			}
		free(rd.partner);
	}
	for (int pass = 0; pass < 2; pass++, rounds++) {
		struct fc_round rd;
		assert_int_equal(fc_pairs_judge(N, alive, names, ms, nms, NULL, 0, &cfg, &v), 0);
		for (int i = 0; i < N; i++) {
			suspect[i] = v.node[i].fail_partners > 0 || v.node[i].verdict != FC_PV_PASS;
			good[i] = !suspect[i];
		}
		for (int k = 0; k < v.nfail_pairs; k++) {
			suspect[v.fail_pairs[k][0]] = suspect[v.fail_pairs[k][1]] = true;
			good[v.fail_pairs[k][0]] = good[v.fail_pairs[k][1]] = false;
		}
		fc_verdicts_free(&v);
		assert_true(fc_schedule_recheck(N, suspect, good, met, &rd) > 0);
		for (int i = 0; i < N; i++)
			if (rd.partner[i] > i) {
				met[i * N + rd.partner[i]] = met[rd.partner[i] * N + i] = true;
				measure(rounds, i, rd.partner[i], i == bad || rd.partner[i] == bad ? 1.0 : 10.0, 1, -1);
			}
		free(rd.partner);
	}
	assert_true(rounds <= R + 2);
	assert_int_equal(fc_pairs_judge(N, alive, names, ms, nms, NULL, 0, &cfg, &v), 0);
	for (int i = 0; i < N; i++)
		if ((i == bad) != (v.node[i].verdict == FC_PV_FAIL))
			fail_msg("node %d: %s", i, fc_pv_name(v.node[i].verdict));
	assert_int_equal(v.nlinks, 0);
	fc_verdicts_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(launchers_give_rank_nodes_and_coordinator),
		cmocka_unit_test(slurm_node_lists_and_host_ports),
		cmocka_unit_test(mpirun_address_list_picks_the_reachable_one),
		cmocka_unit_test(partners_outside_the_launchers_nodes_are_refused),
		cmocka_unit_test(run_secret_is_checked_and_compared_whole),
		cmocka_unit_test(full_mode_meets_every_pair_once_in_disjoint_rounds),
		cmocka_unit_test(a_slow_node_and_only_it_is_named),
		cmocka_unit_test(a_slow_nic_is_named_by_its_lane),
		cmocka_unit_test(a_slow_link_between_good_nodes_is_a_suspect_link),
		cmocka_unit_test(a_retry_that_passes_clears_a_measurement),
		cmocka_unit_test(unreachable_nodes_are_named_and_their_partners_not_blamed),
		cmocka_unit_test(few_nodes_need_a_floor_and_a_floor_judges_them),
		cmocka_unit_test(a_whole_slow_round_is_the_fabric),
		cmocka_unit_test(a_slow_round_whose_retries_pass_is_no_fabric_finding),
		cmocka_unit_test(sweep_finds_one_bad_node_among_64_within_its_rounds),
	};
	return cmocka_run_group_tests_name("pairs_logic", tests, NULL, NULL);
}
