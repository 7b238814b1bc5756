#include "pairs_options.h"
#include "pairs_diag.h"
#include "diag.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "optable.h"

#ifndef FC_SOURCE_DIAG
#define FC_SOURCE_DIAG "diag"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)
#define ROW(t, l, s, i, a, h, ...) \
	{.type = (t), .lng = (l), .shrt = (s), .id = (i), .groups = FC_OPTS_CLUSTER, .arg = (a), .help = (h), __VA_ARGS__}
#define HEAD(text) {.type = FC_OPT_HEADING, .lng = (text)}
#define SIZES_MAX_LEN (sizeof(((struct fc_pairs_cfg *)0)->pp_sizes) - 1)

enum {
	O_RANK = FC_O_PROGRAM, O_NODES, O_COORD, O_MODE, O_QUICK, O_ROUNDS, O_SEED, O_PPS, O_BWS, O_JOIN, O_PAIR,
	O_FAIL, O_WARN, O_MINBW, O_MAXLAT, O_THRESH, O_FRACTION, O_DIAG, O_OUTPUT, O_WHERE, O_CUT, O_PROTOCOL,
	O_FABRICS,
};

static const char *const modes[] = {"full", "sweep", NULL};
static const char *const protocols[] = {"auto", "sendrecv", "rdma", NULL};
static const char *const fabric_choices[] = {"both", "nccl", NULL};

/* fabcheck-pairs' own rows, in --help order; the shared ones follow. */
static const struct fc_optrow pairs_rows[] = {
	HEAD("where this node is"),
	ROW(FC_OPT_INT, "rank", 0, O_RANK, "N", "this node's rank (default: the launcher's)", .lo = 0,
	    .hi = FC_PAIRS_MAX_NODES - 1),
	ROW(FC_OPT_INT, "nodes", 0, O_NODES, "N", "how many nodes (default: the launcher's, else $FABCHECK_NODES)",
	    .lo = 1, .hi = FC_PAIRS_MAX_NODES),
	ROW(FC_OPT_TEXT, "coordinator", 0, O_COORD, "HOST[:PORT]",
	    "rank 0's address (default: the launcher's, else\n$FABCHECK_COORDINATOR; port " STR(FC_PAIRS_PORT) "); :PORT\nkeeps the launcher's host"),
	HEAD("what to run"),
	ROW(FC_OPT_CHOICE, "mode", 0, O_MODE, "full|sweep",
	    "every pair (default up to 32 nodes) or random matchings\nand rechecks (default above 32)",
	    .choices = modes),
	ROW(FC_OPT_FLAG, "quick", 0, O_QUICK, NULL,
	    "one small and one large size: seconds per pair\n(-w 4 and --size-time 0.05 unless given)"),
	ROW(FC_OPT_INT, "rounds", 0, O_ROUNDS, "R", "sweep: random matchings", .lo = 1, .hi = 64, .def = "3"),
	ROW(FC_OPT_INT, "seed", 0, O_SEED, "N", "sweep: the matchings' seed (default: the time)", .lo = 0, .hi = 9e15),
	ROW(FC_OPT_TEXT, "pingpong-sizes", 0, O_PPS, "LIST", "ping-pong sizes (default 8:1M, quick 8)",
	    .hi = SIZES_MAX_LEN),
	ROW(FC_OPT_TEXT, "bw-sizes", 0, O_BWS, "LIST", "bandwidth sizes (default 4K:4M, quick 1M)", .hi = SIZES_MAX_LEN),
	ROW(FC_OPT_CHOICE, "protocol", 0, O_PROTOCOL, "auto|sendrecv|rdma",
	    "bandwidth steps as NCCL's plugin moves data: sendrecv (send\n"
	    "and receive) or rdma (RDMA write with immediate data, as\n"
	    "aws-ofi-nccl on p5, p5e, p5en, p6 and trn2); auto: what the\n"
	    "plugin uses on rank 0's instance type, else sendrecv",
	    .choices = protocols, .def = "auto"),
	ROW(FC_OPT_CHOICE, "fabrics", 0, O_FABRICS, "both|nccl",
	    "both: where the other protocol gets another fabric of the\n"
	    "provider (libfabric 2.x EFA: efa-direct and efa), one more\n"
	    "bandwidth step per pair measures it there, recorded and\n"
	    "reported, not judged; nccl: only the protocol's fabric\n"
	    "(-f naming one is nccl)",
	    .choices = fabric_choices, .def = "both"),
	HEAD("cluster time limits"),
	ROW(FC_OPT_REAL, "join-timeout", 0, O_JOIN, "SEC", "how long the coordinator waits for nodes", .lo = 1,
	    .hi = 86400, .def = "60"),
	ROW(FC_OPT_REAL, "pair-timeout", 0, O_PAIR, "SEC", "one pair, all its measurements (default 60, quick 20)",
	    .lo = 1, .hi = 86400),
	ROW(FC_OPT_REAL, "cut-factor", 0, O_CUT, "X",
	    "a pair still running X times the run's median pair time\n(at least 1 s) after its round began is cut: slow;\n0 never",
	    .lo = 0, .hi = 1000, .def = "3"),
	HEAD("verdicts (the coordinator's)"),
	ROW(FC_OPT_REAL, "fail", 0, O_FAIL, "X", "below X times the cluster's median fails", .lo = 0.01, .hi = 1,
	    .def = "0.8"),
	ROW(FC_OPT_REAL, "warn", 0, O_WARN, "X", "below X times the cluster's median warns", .lo = 0.01, .hi = 1,
	    .def = "0.9"),
	ROW(FC_OPT_REAL, "min-bw-gbps", 0, O_MINBW, "X", "a NIC lane below X GB/s at the largest size fails", .lo = 0,
	    .hi = 1e6),
	ROW(FC_OPT_REAL, "max-lat-us", 0, O_MAXLAT, "X", "a p50 above X us at the smallest size fails", .lo = 0,
	    .hi = 1e9),
	ROW(FC_OPT_TEXT, "thresholds", 0, O_THRESH, "FILE",
	    "the same in JSON: {\"fail\", \"warn\", \"min_bw_gbps\", \"max_lat_us\"}"),
	ROW(FC_OPT_REAL, "floor-fraction", 0, O_FRACTION, "X",
	    "of a NIC's line rate, for the floor from the instance table", .lo = 0.01, .hi = 1, .def = "0.5"),
	ROW(FC_OPT_TEXT, "diag", 0, O_DIAG, "FILE",
	    "this node's fabcheck-diag --json results: a node whose checks\nfailed fails the cluster verdict, naming them"),
	HEAD("the coordinator's output"),
	ROW(FC_OPT_TEXT, "output", 'o', O_OUTPUT, "DIR", "the coordinator's folder (default results/pairs-<time>)"),
	ROW(FC_OPT_FLAG, "where", 0, O_WHERE, NULL,
	    "print rank, nodes, coordinator and launcher as this node\nsees them (KEY=VALUE lines, for scripts), and exit"),
	{.type = FC_OPT_END},
};

static const struct fc_optrow *const pairs_tables[] = {pairs_rows, fc_shared_rows, NULL};

/* A cluster run's own defaults over the shared rows': the whole run is
 * longer than one benchmark, and a silent peer inside a pair is given up
 * on sooner, so the pair can be retried. */
static const struct fc_optdef pairs_defaults[] = {{"deadline", "3600"}, {"op-timeout", "5"}, {NULL, NULL}};

/* The shared rows in a cluster run's words. */
static const char *pairs_help(const void *ctx, const struct fc_optrow *row, char *buf, size_t len)
{
	char choices[128];

	(void)ctx;
	switch (row->id) {
	case FC_O_DOMAIN: return "NICs: a name, a comma list or all (default: all with efa,\nthe route to the coordinator otherwise)";
	case FC_O_MEMORY: /* the memory backends' own list */
		snprintf(buf, len, "%s (default host)", fc_mem_choices(choices, sizeof(choices)));
		return buf;
	case FC_O_WARMUP: return "untimed iterations per size (default {def}, quick 4)";
	case FC_O_SIZE_TIME: return "adaptive iterations: time per size (default {def}, quick 0.05)";
	case FC_O_WINDOW: return "bandwidth: messages in flight, {lo} to {hi} (default by\nsize, as fabcheck-bw)";
	case FC_O_OP_TIMEOUT: return "longest a peer may stay silent in a pair";
	case FC_O_DEADLINE: return "the whole run";
	case FC_O_INSTANCE_TYPE: return "for the floor from the instance table (default: the nodes'\nDMI product name)";
	default: return NULL;
	}
}

static void pairs_usage(const struct fc_optprog *p, FILE *f)
{
	fprintf(f, "usage: fabcheck-pairs [options]      on every node, started by mpirun, SkyPilot, srun or a\n"
		   "                                     Kubernetes Indexed Job; rank 0 also coordinates\n"
		   "Measures every node pair (ping-pong one way, bandwidth both ways, every NIC at once)\n"
		   "over endpoints each node keeps open, and names the node, NIC or link to drop.\n"
		   "With the efa provider every NIC is measured unless -d names some (-d all is the\n"
		   "default there: NCCL uses every EFA device); tcp and sockets use the route to rank 0.\n\n");
	fc_optable_rows_help(p, f);
	fprintf(f, "\nAgents exit 0 whatever they measured. Rank 0 exits 0 when every node passed, 1 when a\n"
		   "node, NIC, link or the fabric failed or a node was unreachable, 3 when no node could\n"
		   "open its lanes with the run's options (configuration, nothing drained), 4 when fewer\n"
		   "than the quorum (2, and half the nodes) joined, 2 on usage errors, 128+N on signal N.\n");
}

static int read_thresholds(const char *path, struct fc_verdict_cfg *v)
{
	json_error_t e;
	json_t *j = fc_pairs_load_json_file(path, 0, &e);
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

/* The verdict rows (the coordinator's judgement). */
static int set_verdict(struct fc_pairs_opts *o, const struct fc_optrow *row, const struct fc_optarg *a)
{
	switch (row->id) {
	case O_FAIL: o->verdict.fail = a->v.d; break;
	case O_WARN: o->verdict.warn = a->v.d; break;
	case O_MINBW: o->verdict.min_bw_gbps = a->v.d; break;
	case O_MAXLAT: o->verdict.max_lat_us = a->v.d; break;
	case O_THRESH: return read_thresholds(a->v.s, &o->verdict);
	case O_FRACTION: o->floor_fraction = a->v.d; break;
	default: return 0;
	}
	return 0;
}

static int set_row(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a)
{
	struct fc_pairs_cli *cli = ctx;
	struct fc_pairs_opts *o = cli->o;
	struct fc_pairs_cfg *c = &o->cfg;

	cli->warmup_given |= row->id == FC_O_WARMUP && !a->is_default;
	cli->size_time_given |= row->id == FC_O_SIZE_TIME && !a->is_default;
	o->verdict_floor_given |= (row->id == O_MINBW || row->id == O_MAXLAT || row->id == O_THRESH) && !a->is_default;
	switch (row->id) {
	case O_RANK: o->rank = (int)a->v.l; break;
	case O_NODES: o->nodes = (int)a->v.l; break;
	case O_COORD: o->coordinator = a->v.s; break;
	case O_MODE: cli->mode = a->v.s; break;
	case O_QUICK: c->quick = true; break;
	case O_ROUNDS: c->sweep_rounds = (int)a->v.l; break;
	case O_SEED:
		c->seed = (uint64_t)a->v.l;
		cli->seeded = true;
		break;
	case O_PPS: snprintf(c->pp_sizes, sizeof(c->pp_sizes), "%s", a->v.s); break;
	case O_BWS: snprintf(c->bw_sizes, sizeof(c->bw_sizes), "%s", a->v.s); break;
	case O_JOIN: o->join_timeout_s = a->v.d; break;
	case O_PAIR: c->pair_timeout_s = a->v.d; break;
	case O_CUT: o->cut_factor = a->v.d; break;
	case O_PROTOCOL: o->protocol = a->v.s; break;
	case O_FABRICS: c->other_fabric = !strcmp(a->v.s, "both"); break;
	case O_DIAG: o->diag = a->v.s; break;
	case O_OUTPUT: o->output = a->v.s; break;
	case O_WHERE: o->where = true; break;
	case FC_O_INSTANCE_TYPE: o->instance_type = a->v.s; break;
	case FC_O_TABLE: o->table = a->v.s; break;
	default: return row->id >= FC_O_PROGRAM ? set_verdict(o, row, a) : fc_opts_set(&o->bench, row, a);
	}
	return 0;
}

static void pairs_prog(struct fc_optprog *p, struct fc_pairs_cli *cli)
{
	*p = (struct fc_optprog){
		.name = "fabcheck-pairs", .takes = FC_OPTS_CLUSTER, .tables = pairs_tables, .defaults = pairs_defaults,
		.set = set_row, .ctx = cli, .help = pairs_help, .usage = pairs_usage,
	};
}

/* The steps' shared parameters, from the shared rows; --quick shortens
 * what was not given. */
static void step_params(struct fc_pairs_cli *cli)
{
	struct fc_pairs_opts *o = cli->o;
	const struct fc_params *b = &o->bench.params;
	struct fc_params *p = &o->cfg.bw;

	snprintf(p->provider, sizeof(p->provider), "%s", b->provider);
	snprintf(p->fabric, sizeof(p->fabric), "%s", b->fabric);
	snprintf(p->transport, sizeof(p->transport), "%s", b->transport);
	p->window = b->window;
	p->warmup = cli->warmup_given || !o->cfg.quick ? b->warmup : 4;
	p->size_time = cli->size_time_given || !o->cfg.quick ? b->size_time : 0.05;
	o->cfg.op_timeout_s = o->bench.op_timeout_s;
	o->deadline_s = o->bench.deadline_s;
}

/* The bandwidth steps' protocol. auto: what aws-ofi-nccl uses on this
 * node's type (the coordinator's cfg is the one the agents follow, so
 * rank 0's type decides); a type it has no entry for, or the socket
 * baseline, is send/receive. */
static int choose_protocol(struct fc_pairs_opts *o)
{
	const char *p = o->protocol ? o->protocol : "auto", *from = "--protocol";
	char type[64] = "";
	bool socket = strcmp(o->bench.params.transport, "ofi") != 0;

	if (!strcmp(p, "rdma") && socket) {
		fc_err("--protocol rdma needs libfabric (-x ofi): the socket baseline has no RDMA write");
		return -FC_EXIT_USAGE;
	}
	if (!strcmp(p, "auto")) {
		if (o->instance_type)
			snprintf(type, sizeof(type), "%s", o->instance_type);
		else
			diag_dmi_product(o->bench.sysfs_root, type, sizeof(type));
		p = socket ? NULL : diag_nccl_protocol(type);
		from = socket ? "the socket baseline" : p ? type : NULL;
		if (!p)
			p = "sendrecv";
	}
	snprintf(o->cfg.protocol, sizeof(o->cfg.protocol), "%s", p);
	if (from)
		snprintf(o->protocol_why, sizeof(o->protocol_why), "%s", from);
	else
		snprintf(o->protocol_why, sizeof(o->protocol_why), "%s%s%s", *type ? "no aws-ofi-nccl platform entry for " : "",
			 *type ? type : "instance type unknown", ", the plugin's default");
	return 0;
}

int fc_pairs_parse(struct fc_pairs_cli *cli, int argc, char **argv)
{
	struct fc_pairs_opts *o = cli->o;
	struct fc_optprog p;
	int rc, arg;

	*o = (struct fc_pairs_opts){
		.rank = -1, .nodes = -1, .verdict = {.min_nodes = 4}, .table = FC_SOURCE_DIAG "/instance-types.tsv",
	};
	fc_opts_init(&o->bench, NULL);
	pairs_prog(&p, cli);
	if ((rc = fc_optable_defaults(&p, true)) || (rc = fc_optable_parse(&p, argc, argv, &arg)))
		return rc;
	if (arg < argc) {
		fc_err("unexpected argument '%s' (see --help)", argv[arg]);
		return -FC_EXIT_USAGE;
	}
	if (o->bench.domain && ((rc = fc_opts_check_domains(o->bench.domain)) || (rc = fc_opts_check_nic_list(&o->bench))))
		return rc;
	/* an EFA node has several NICs and NCCL runs on every one: a run
	 * over the one route to rank 0 would pass a node with a dead NIC */
	if (!o->bench.domain && !strcmp(o->bench.params.transport, "ofi") &&
	    !strncmp(o->bench.params.provider, "efa", 3))
		o->bench.domain = "all";
	step_params(cli);
	return choose_protocol(o);
}

void fc_pairs_usage(FILE *f)
{
	struct fc_optprog p;

	pairs_prog(&p, NULL);
	pairs_usage(&p, f);
}

int fc_pairs_accepted(const char **names, int max)
{
	struct fc_optprog p;

	pairs_prog(&p, NULL);
	return fc_optable_accepted(&p, names, max);
}
