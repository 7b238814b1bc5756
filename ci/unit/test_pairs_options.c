/* fabcheck-pairs' command line: the shared rows with the benchmarks'
 * limits and defaults (no second set), its own defaults where a cluster
 * run differs, and --help listing exactly what it parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "optrows.h"
#include "pairs_options.h"

static struct fc_pairs_opts opts;

#define PARSE(cli, ...)                                                                  \
	({                                                                               \
		char *argv[] = {"fabcheck-pairs", __VA_ARGS__, NULL};                    \
		*(cli) = (struct fc_pairs_cli){.o = &opts};                              \
		fc_pairs_parse(cli, (int)(sizeof(argv) / sizeof(*argv)) - 1, argv);      \
	})

static int parse2(const char *opt, const char *val)
{
	struct fc_pairs_cli cli = {.o = &opts};
	char *argv[] = {"fabcheck-pairs", (char *)opt, (char *)val, NULL};

	return fc_pairs_parse(&cli, 3, argv);
}

/* Every numeric shared row pairs takes: its lowest and highest values are
 * accepted and the values just outside refused, as the benchmarks do. */
static void pairs_accepts_exactly_the_shared_limits(void **st)
{
	int checked = 0;
	(void)st;
	for (const struct fc_optrow *r = fc_shared_rows; r->type != FC_OPT_END; r++) {
		char opt[48], in[64], out[64];
		if (!(r->groups & FC_OPTS_CLUSTER) || (r->type != FC_OPT_INT && r->type != FC_OPT_SECONDS))
			continue;
		snprintf(opt, sizeof(opt), "--%s", r->lng);
		snprintf(in, sizeof(in), "%.17g", r->hi);
		snprintf(out, sizeof(out), "%.17g", r->type == FC_OPT_INT ? r->hi + 1 : r->hi * 1.001);
		if (parse2(opt, in) != 0)
			fail_msg("pairs refuses %s %s, the shared limit", opt, in);
		if (parse2(opt, out) != -FC_EXIT_USAGE)
			fail_msg("pairs accepts %s %s, above the shared limit", opt, out);
		snprintf(in, sizeof(in), "%.17g", r->type == FC_OPT_INT ? r->lo : r->hi / 1e6);
		snprintf(out, sizeof(out), "%.17g", r->type == FC_OPT_INT ? r->lo - 1 : 0.0);
		if (parse2(opt, in) != 0)
			fail_msg("pairs refuses %s %s, the shared lower limit", opt, in);
		if (parse2(opt, out) != -FC_EXIT_USAGE)
			fail_msg("pairs accepts %s %s, below the shared limit", opt, out);
		checked++;
	}
	assert_true(checked >= 5); /* -E -w --size-time -W -t -T */
}

/* The values the brief of issue 18 named, which pairs once had its own. */
static void pairs_takes_what_it_once_refused(void **st)
{
	struct fc_pairs_cli cli;
	(void)st;
	assert_int_equal(PARSE(&cli, "-w", "1000000"), 0);
	assert_int_equal(opts.cfg.bw.warmup, 1000000);
	assert_int_equal(PARSE(&cli, "-T", "604800"), 0); /* 7 days */
	assert_true(opts.cfg.op_timeout_s == 604800);
	assert_int_equal(PARSE(&cli, "-d", "a,,b"), -FC_EXIT_USAGE); /* through check_domains */
	assert_int_equal(PARSE(&cli, "-p", ""), -FC_EXIT_USAGE);
}

static void pairs_defaults(void **st)
{
	struct fc_pairs_cli cli;
	char *argv[] = {"fabcheck-pairs", NULL};
	(void)st;
	unsetenv("FABCHECK_PROVIDER");
	cli = (struct fc_pairs_cli){.o = &opts};
	assert_int_equal(fc_pairs_parse(&cli, 1, argv), 0);
	assert_true(opts.cfg.bw.size_time == 0.2); /* the shared default, no longer 0.1 */
	assert_int_equal(opts.cfg.bw.warmup, 16);
	assert_string_equal(opts.cfg.bw.provider, "efa");
	assert_string_equal(opts.cfg.bw.transport, "ofi");
	/* a cluster run's own: the whole run, and a silent peer in a pair */
	assert_true(opts.deadline_s == 3600 && opts.cfg.op_timeout_s == 5);
	assert_int_equal(opts.cfg.sweep_rounds, 3);
	assert_true(opts.verdict.fail == 0.8 && opts.verdict.warn == 0.9 && opts.floor_fraction == 0.5);
	assert_false(opts.verdict_floor_given);
	/* --quick shortens only what was not given */
	assert_int_equal(PARSE(&cli, "--quick"), 0);
	assert_true(opts.cfg.bw.size_time == 0.05 && opts.cfg.bw.warmup == 4);
	assert_int_equal(PARSE(&cli, "--size-time", "0.3", "--quick", "-w", "2"), 0);
	assert_true(opts.cfg.bw.size_time == 0.3 && opts.cfg.bw.warmup == 2);
	assert_int_equal(PARSE(&cli, "--min-bw-gbps", "10"), 0);
	assert_true(opts.verdict_floor_given);
}

static void pairs_refuses_what_it_does_not_take(void **st)
{
	struct fc_pairs_cli cli;
	(void)st;
	assert_int_equal(PARSE(&cli, "--sizes", "8"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&cli, "--json", "-"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&cli, "--mode", "ring"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&cli, "--rank", "1.5"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&cli, "stray"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&cli, "--help"), 1);
}

/* Every name the parser takes is in --help and the reverse. */
static void pairs_help_lists_exactly_what_it_parses(void **st)
{
	const char *names[128];
	int n = fc_pairs_accepted(names, 128), listed = 0;
	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	(void)st;
	fc_pairs_usage(f);
	fclose(f);
	for (int i = 0; i < n; i++) /* one row per name: a second -w row cannot hide */
		for (int j = i + 1; j < n; j++)
			if (!strcmp(names[i], names[j]))
				fail_msg("two rows named --%s", names[i]);
	for (int i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "--%s ", names[i]);
		if (!strstr(help, want) && !(snprintf(want, sizeof(want), "--%s\n", names[i]), strstr(help, want)))
			fail_msg("--%s is accepted but not in --help", names[i]);
	}
	/* option lines: indented by at most 6, then -x or --name */
	for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
		size_t indent = strspn(line, " ");
		char name[64], *dd = strstr(line, "--");
		bool found = false;
		if (indent > 6 || line[indent] != '-' || !dd || sscanf(dd + 2, "%63[a-z0-9-]", name) != 1)
			continue;
		for (int i = 0; i < n; i++)
			found |= !strcmp(names[i], name);
		if (!found)
			fail_msg("--help lists --%s, which the parser refuses", name);
		listed++;
	}
	assert_true(listed > 20);
	free(help);
}

/* NCCL runs on every EFA device: with the efa provider every NIC is
 * measured unless -d says otherwise; tcp and sockets keep the route */
static void efa_measures_every_nic_by_default(void **st)
{
	struct fc_pairs_cli cli;
	(void)st;
	unsetenv("FABCHECK_PROVIDER");
	assert_int_equal(PARSE(&cli, "--quick"), 0);
	assert_string_equal(opts.bench.domain, "all");
	assert_int_equal(PARSE(&cli, "-p", "efa", "-d", "rdmap16s27-rdm"), 0);
	assert_string_equal(opts.bench.domain, "rdmap16s27-rdm");
	assert_int_equal(PARSE(&cli, "-p", "tcp"), 0);
	assert_null(opts.bench.domain);
	assert_int_equal(PARSE(&cli, "-x", "socket"), 0);
	assert_null(opts.bench.domain);
}

/* What the coordinator adds before it sends the configuration. */
static void complete_cfg(struct fc_pairs_cfg *c)
{
	snprintf(c->mode, sizeof(c->mode), "full");
	snprintf(c->pp_sizes, sizeof(c->pp_sizes), "8");
	snprintf(c->bw_sizes, sizeof(c->bw_sizes), "1M");
	c->bw.streams = c->bw.endpoints = 1;
	snprintf(c->bw.op, sizeof(c->bw.op), "write");
	snprintf(c->bw.buffers, sizeof(c->bw.buffers), "reuse");
	c->pp = c->bw;
	snprintf(c->pp.test, sizeof(c->pp.test), "pingpong");
	snprintf(c->bw.test, sizeof(c->bw.test), "bw");
	c->pair_timeout_s = 20;
	c->op_timeout_s = 5;
	c->sweep_rounds = 3;
}

/* libfabric 2.x EFA offers each NIC as efa-direct and as efa: the run
 * measures the other one too unless --fabrics nccl, and agents get that
 * choice in the coordinator's configuration */
static void other_fabric_by_default_and_agents_are_told(void **st)
{
	struct fc_pairs_cli cli;
	struct fc_pairs_cfg back;
	char why[128];
	json_t *j;
	(void)st;
	assert_int_equal(PARSE(&cli, "-p", "tcp"), 0);
	assert_true(opts.cfg.other_fabric);
	complete_cfg(&opts.cfg);
	j = fc_pairs_cfg_json(&opts.cfg);
	if (fc_pairs_cfg_from_json(j, &back, why, sizeof(why)))
		fail_msg("the agent refuses the configuration: %s", why);
	assert_true(back.other_fabric);
	json_decref(j);
	assert_int_equal(PARSE(&cli, "-p", "tcp", "--fabrics", "nccl"), 0);
	assert_false(opts.cfg.other_fabric);
	complete_cfg(&opts.cfg);
	j = fc_pairs_cfg_json(&opts.cfg);
	assert_int_equal(fc_pairs_cfg_from_json(j, &back, why, sizeof(why)), 0);
	assert_false(back.other_fabric);
	json_decref(j);
	assert_int_equal(PARSE(&cli, "--fabrics", "all"), -FC_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pairs_accepts_exactly_the_shared_limits),
		cmocka_unit_test(pairs_takes_what_it_once_refused),
		cmocka_unit_test(pairs_defaults),
		cmocka_unit_test(efa_measures_every_nic_by_default),
		cmocka_unit_test(other_fabric_by_default_and_agents_are_told),
		cmocka_unit_test(pairs_refuses_what_it_does_not_take),
		cmocka_unit_test(pairs_help_lists_exactly_what_it_parses),
	};
	return cmocka_run_group_tests_name("pairs_options", tests, NULL, NULL);
}
