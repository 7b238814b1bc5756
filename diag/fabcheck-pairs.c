/* fabcheck-pairs: validate a whole cluster before an NCCL job. Run it on
 * every node with the cluster's own launcher; rank 0 also coordinates and
 * its exit code is the verdict (see pairs.h, README "Before your NCCL
 * job"). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "pairs.h"
#include "sizes.h"
#include "stop.h"

#ifndef FC_SOURCE_DIAG
#define FC_SOURCE_DIAG "diag"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fabcheck-pairs [options]      on every node, started by mpirun, SkyPilot, srun or a\n"
		"                                     Kubernetes Indexed Job; rank 0 also coordinates\n"
		"Measures every node pair (ping-pong one way, bandwidth both ways, every NIC at once)\n"
		"over endpoints each node keeps open, and names the node, NIC or link to drop.\n\n"
		"where this node is\n"
		"      --rank N             this node's rank (default: the launcher's)\n"
		"      --nodes N            how many nodes (default: the launcher's, else $FABCHECK_NODES)\n"
		"      --coordinator HOST[:PORT]  rank 0's address (default: the launcher's, else\n"
		"                           $FABCHECK_COORDINATOR; port %d)\n"
		"what to run\n"
		"      --mode full|sweep    every pair (default up to 32 nodes) or random matchings\n"
		"                           and rechecks (default above 32)\n"
		"      --quick              one small and one large size: seconds per pair\n"
		"      --rounds R           sweep: random matchings (default 3)\n"
		"      --seed N             sweep: the matchings' seed (default: the time)\n"
		"      --pingpong-sizes LIST  ping-pong sizes (default 8:1M, quick 8)\n"
		"      --bw-sizes LIST      bandwidth sizes (default 4K:4M, quick 1M)\n"
		"      --size-time SEC      adaptive iterations: time per size (default 0.1, quick 0.05)\n"
		"  -W, --window N           bandwidth: messages in flight (default by size, as fabcheck-bw)\n"
		"  -w, --warmup N           untimed iterations per size (default 16, quick 4)\n"
		"  -p, --provider NAME      libfabric provider (default efa, or $FABCHECK_PROVIDER)\n"
		"  -f, --fabric NAME        libfabric fabric (efa, efa-direct)\n"
		"  -x, --transport KIND     ofi or socket (default ofi)\n"
		"  -d, --domain LIST        NICs: a name, a comma list or all (default: the route to the coordinator)\n"
		"  -E, --endpoints N        endpoints per NIC (default 1)\n"
		"  -D, --memory MEM         host, cuda or cuda:N (default host)\n"
		"  -b, --block              blocking completion reads\n"
		"  -T, --op-timeout SEC     longest a peer may stay silent in a pair (default 5)\n"
		"      --sysfs-root DIR     NIC counters and topology under DIR (default /sys)\n"
		"time limits\n"
		"      --join-timeout SEC   how long the coordinator waits for nodes (default 60)\n"
		"      --pair-timeout SEC   one pair, all its measurements (default 60, quick 20)\n"
		"  -t, --deadline SEC       the whole run (default 3600)\n"
		"verdicts (the coordinator's)\n"
		"      --fail X, --warn X   below X times the cluster's median fails/warns (0.8, 0.9)\n"
		"      --min-bw-gbps X      a NIC lane below X GB/s at the largest size fails\n"
		"      --max-lat-us X       a p50 above X us at the smallest size fails\n"
		"      --thresholds FILE    the same in JSON: {\"fail\", \"warn\", \"min_bw_gbps\", \"max_lat_us\"}\n"
		"      --instance-type T    for the floor from the instance table (default: the nodes' DMI)\n"
		"      --floor-fraction X   of a NIC's line rate, for that floor (default 0.5)\n"
		"      --table FILE         another instance table\n"
		"      --diag FILE          this node's fabcheck-diag --json results: a node whose checks\n"
		"                           failed fails the cluster verdict, naming them\n"
		"  -o, --output DIR         the coordinator's folder (default results/pairs-<time>)\n"
		"      --where              print rank, nodes, coordinator and launcher as this node\n"
		"                           sees them (KEY=VALUE lines, for scripts), and exit\n"
		"  -h, --help               this help\n\n"
		"Agents exit 0 whatever they measured. Rank 0 exits 0 when every node passed, 1 when a\n"
		"node, NIC, link or the fabric failed or a node was unreachable, 4 when fewer than the\n"
		"quorum (2, and half the nodes) joined, 2 on usage errors, 128+N on signal N.\n",
		FC_PAIRS_PORT);
}

static int number(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fc_err("invalid %s '%s': expected a number from %g to %g", opt, s, lo, hi);
		return -FC_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static int read_thresholds(const char *path, struct fc_verdict_cfg *v)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	static const char *const keys[] = {"fail", "warn", "min_bw_gbps", "max_lat_us"};
	double *dst[] = {&v->fail, &v->warn, &v->min_bw_gbps, &v->max_lat_us};

	if (!j || !json_is_object(j)) {
		fc_err("--thresholds %s: not a JSON object (%s, line %d)", path, j ? "wrong type" : e.text, e.line);
		json_decref(j);
		return -FC_EXIT_USAGE;
	}
	for (size_t i = 0; i < 4; i++) {
		json_t *x = json_object_get(j, keys[i]);
		if (!x)
			continue;
		if (!json_is_number(x) || json_number_value(x) < 0 || json_number_value(x) > 1e6 ||
		    (i < 2 && json_number_value(x) > 1)) {
			fc_err("--thresholds %s: \"%s\" is not a plausible number", path, keys[i]);
			json_decref(j);
			return -FC_EXIT_USAGE;
		}
		*dst[i] = json_number_value(x);
	}
	json_decref(j);
	return 0;
}

static const char *getenv_wrap(const char *name)
{
	return getenv(name);
}

enum { O_RANK = 256, O_NODES, O_COORD, O_MODE, O_QUICK, O_ROUNDS, O_SEED, O_PPS, O_BWS, O_BUDGET, O_SYSFS,
       O_JOIN, O_PAIR, O_FAIL, O_WARN, O_MINBW, O_MAXLAT, O_THRESH, O_ITYPE, O_FRACTION, O_TABLE, O_DIAG, O_WHERE };

static int parse(int argc, char **argv, struct fc_pairs_opts *o, const char **mode, double *size_time, bool *seeded,
		 long *warmup)
{
	static const struct option lo[] = {
		{"rank", 1, NULL, O_RANK}, {"nodes", 1, NULL, O_NODES}, {"coordinator", 1, NULL, O_COORD},
		{"mode", 1, NULL, O_MODE}, {"quick", 0, NULL, O_QUICK}, {"rounds", 1, NULL, O_ROUNDS},
		{"seed", 1, NULL, O_SEED}, {"pingpong-sizes", 1, NULL, O_PPS}, {"bw-sizes", 1, NULL, O_BWS},
		{"size-time", 1, NULL, O_BUDGET}, {"provider", 1, NULL, 'p'}, {"fabric", 1, NULL, 'f'},
		{"transport", 1, NULL, 'x'}, {"domain", 1, NULL, 'd'}, {"endpoints", 1, NULL, 'E'},
		{"memory", 1, NULL, 'D'}, {"block", 0, NULL, 'b'}, {"op-timeout", 1, NULL, 'T'},
		{"sysfs-root", 1, NULL, O_SYSFS}, {"join-timeout", 1, NULL, O_JOIN}, {"pair-timeout", 1, NULL, O_PAIR},
		{"deadline", 1, NULL, 't'}, {"fail", 1, NULL, O_FAIL}, {"warn", 1, NULL, O_WARN},
		{"min-bw-gbps", 1, NULL, O_MINBW}, {"max-lat-us", 1, NULL, O_MAXLAT}, {"thresholds", 1, NULL, O_THRESH},
		{"instance-type", 1, NULL, O_ITYPE}, {"floor-fraction", 1, NULL, O_FRACTION}, {"table", 1, NULL, O_TABLE},
		{"diag", 1, NULL, O_DIAG}, {"where", 0, NULL, O_WHERE},
		{"window", 1, NULL, 'W'}, {"warmup", 1, NULL, 'w'}, {"output", 1, NULL, 'o'}, {"help", 0, NULL, 'h'}, {0}};
	struct fc_pairs_cfg *c = &o->cfg;
	double v;
	int ch, rc = 0;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":p:f:x:d:E:D:bT:t:o:W:w:h", lo, NULL)) != -1) {
		switch (ch) {
		case O_RANK: rc = number("--rank", optarg, 0, FC_PAIRS_MAX_NODES - 1, &v); o->rank = (int)v; break;
		case O_NODES: rc = number("--nodes", optarg, 1, FC_PAIRS_MAX_NODES, &v); o->nodes = (int)v; break;
		case O_COORD: o->coordinator = optarg; break;
		case O_MODE:
			if (strcmp(optarg, "full") && strcmp(optarg, "sweep")) {
				fc_err("invalid --mode '%s': expected full or sweep", optarg);
				return -FC_EXIT_USAGE;
			}
			*mode = optarg;
			break;
		case O_QUICK: c->quick = true; break;
		case O_ROUNDS: rc = number("--rounds", optarg, 1, 64, &v); c->sweep_rounds = (int)v; break;
		case O_SEED: rc = number("--seed", optarg, 0, 9e15, &v); c->seed = (uint64_t)v; *seeded = true; break;
		case O_PPS: snprintf(c->pp_sizes, sizeof(c->pp_sizes), "%s", optarg); break;
		case O_BWS: snprintf(c->bw_sizes, sizeof(c->bw_sizes), "%s", optarg); break;
		case O_BUDGET: rc = number("--size-time", optarg, 0.001, 60, size_time); break;
		case 'p':
			snprintf(c->bw.provider, sizeof(c->bw.provider), "%s", optarg);
			break;
		case 'f': snprintf(c->bw.fabric, sizeof(c->bw.fabric), "%s", optarg); break;
		case 'x':
			if (strcmp(optarg, "ofi") && strcmp(optarg, "socket")) {
				fc_err("invalid transport '%s': expected ofi or socket", optarg);
				return -FC_EXIT_USAGE;
			}
			snprintf(c->bw.transport, sizeof(c->bw.transport), "%s", optarg);
			break;
		case 'd': o->bench.domain = optarg; break;
		case 'E': rc = number("-E", optarg, 1, 64, &v); o->bench.endpoints = (long)v; break;
		case 'D': rc = fc_mem_parse(optarg, &o->bench.mem); break;
		case 'b': o->bench.block = true; break;
		case 'T': rc = number("-T", optarg, 0.1, 3600, &c->op_timeout_s); break;
		case O_SYSFS: o->bench.sysfs_root = optarg; break;
		case O_JOIN: rc = number("--join-timeout", optarg, 1, 86400, &o->join_timeout_s); break;
		case O_PAIR: rc = number("--pair-timeout", optarg, 1, 86400, &c->pair_timeout_s); break;
		case 't': rc = number("-t", optarg, 1, 7 * 86400, &o->deadline_s); break;
		case O_FAIL: rc = number("--fail", optarg, 0.01, 1, &o->verdict.fail); break;
		case O_WARN: rc = number("--warn", optarg, 0.01, 1, &o->verdict.warn); break;
		case O_MINBW:
			rc = number("--min-bw-gbps", optarg, 0, 1e6, &o->verdict.min_bw_gbps);
			o->verdict_floor_given = true;
			break;
		case O_MAXLAT:
			rc = number("--max-lat-us", optarg, 0, 1e9, &o->verdict.max_lat_us);
			o->verdict_floor_given = true;
			break;
		case O_THRESH:
			rc = read_thresholds(optarg, &o->verdict);
			o->verdict_floor_given = true;
			break;
		case O_ITYPE: o->instance_type = optarg; break;
		case O_FRACTION: rc = number("--floor-fraction", optarg, 0.01, 1, &o->floor_fraction); break;
		case O_TABLE: o->table = optarg; break;
		case O_DIAG: o->diag = optarg; break;
		case O_WHERE: o->where = true; break;
		case 'o': o->output = optarg; break;
		case 'W': rc = number("-W", optarg, 1, FC_MAX_WINDOW, &v); c->bw.window = (long)v; break;
		case 'w': rc = number("-w", optarg, 0, 1000, &v); *warmup = (long)v; break;
		case 'h': usage(stdout); return 1;
		case ':': fc_err("option '%s' needs a value (see --help)", argv[optind - 1]); return -FC_EXIT_USAGE;
		default: fc_err("unknown option '%s' (see --help)", argv[optind - 1]); return -FC_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fc_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -FC_EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("FABCHECK_PROVIDER"), *sysfs = getenv("FABCHECK_SYSFS_ROOT"), *mode = NULL;
	struct fc_pairs_opts o = {
		.rank = -1, .nodes = -1, .join_timeout_s = 60, .deadline_s = 3600,
		.verdict = {.fail = 0.8, .warn = 0.9, .min_nodes = 4}, .floor_fraction = 0.5,
		.table = FC_SOURCE_DIAG "/instance-types.tsv",
	};
	struct fc_pairs_cfg *c = &o.cfg;
	struct fc_launch l;
	struct fc_sizes check;
	double size_time = 0;
	long warmup = -1;
	bool seeded = false;
	char why[256];
	int rc;
	pid_t agent;

	fc_log_set_prog("fabcheck-pairs");
	o.bench = (struct fc_opts){.endpoints = 1, .sysfs_root = sysfs && *sysfs ? sysfs : "/sys", .deadline_s = 3600};
	*c = (struct fc_pairs_cfg){.sweep_rounds = 3, .op_timeout_s = 5};
	snprintf(c->bw.provider, sizeof(c->bw.provider), "%s", env && *env ? env : "efa");
	snprintf(c->bw.transport, sizeof(c->bw.transport), "ofi");
	if ((rc = parse(argc, argv, &o, &mode, &size_time, &seeded, &warmup)))
		return rc > 0 ? 0 : fc_exit_status(rc);
	if ((rc = fc_launch_detect(&l, getenv_wrap, o.rank, o.nodes, o.coordinator)))
		return fc_exit_status(rc);
	if (o.where) {
		/* the launcher's view, once: scripts (diag/preflight.sh) ask here
		 * instead of reading the launchers' variables again */
		printf("rank=%d\nnodes=%d\ncoordinator=%s:%u\nlauncher=%s\n", l.rank, l.nodes,
		       *l.coord ? l.coord : "127.0.0.1", l.coord_port, l.launcher);
		return 0;
	}
	/* the run's shape: what every agent will be told */
	snprintf(c->mode, sizeof(c->mode), "%s", mode ? mode : l.nodes > 32 ? "sweep" : "full");
	if (!*c->pp_sizes)
		snprintf(c->pp_sizes, sizeof(c->pp_sizes), "%s", c->quick ? "8" : "8:1M");
	if (!*c->bw_sizes)
		snprintf(c->bw_sizes, sizeof(c->bw_sizes), "%s", c->quick ? "1M" : "4K:4M");
	if (!c->pair_timeout_s)
		c->pair_timeout_s = c->quick ? 20 : 60;
	if (!seeded)
		c->seed = (uint64_t)time(NULL);
	c->pp = c->bw;
	snprintf(c->pp.test, sizeof(c->pp.test), "pingpong");
	snprintf(c->bw.test, sizeof(c->bw.test), "bw");
	for (struct fc_params *p = &c->pp; p <= &c->bw; p++) {
		p->warmup = warmup >= 0 ? warmup : c->quick ? 4 : 16;
		p->size_time = size_time ? size_time : c->quick ? 0.05 : 0.1;
		p->streams = 1;
		p->endpoints = o.bench.endpoints;
		p->all_nics = o.bench.domain && !strcmp(o.bench.domain, "all");
		snprintf(p->op, sizeof(p->op), "write");
		snprintf(p->buffers, sizeof(p->buffers), "reuse");
		if (fc_params_check(p, why, sizeof(why))) {
			fc_err("%s", why);
			return FC_EXIT_USAGE;
		}
	}
	if (fc_sizes_expand(c->pp_sizes, NULL, 0, &check) || (fc_sizes_free(&check), fc_sizes_expand(c->bw_sizes, NULL, 0, &check)))
		return FC_EXIT_USAGE;
	fc_sizes_free(&check);
	fc_stop_install();
	if (l.rank != 0)
		return fc_pairs_agent(&o, &l);
	/* rank 0: the agent in a process of its own, the coordinator here; the
	 * exit code is the coordinator's */
	fflush(NULL);
	agent = fork();
	if (agent < 0) {
		fc_err("cannot start rank 0's agent: %m");
		return FC_EXIT_FABRIC;
	}
	if (agent == 0)
		_exit(fc_pairs_agent(&o, &l));
	rc = fc_pairs_coordinate(&o, &l);
	/* the agent has its FINISH; a stopped coordinator stops it too */
	if (fc_stop_signal())
		kill(agent, SIGTERM);
	while (waitpid(agent, NULL, 0) < 0 && errno == EINTR)
		;
	return rc;
}
