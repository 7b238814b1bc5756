#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "sizes.h"

/* -d, -D, -S and -I in the words of the program at hand: the rows say what
 * a two-process program means by -d and -D. */
static const char *bench_help(const void *ctx, const struct fc_optrow *row, char *buf, size_t len)
{
	const struct fc_prog *p = ctx;
	bool pair = p->groups & FC_OPTS_PAIR;

	switch (row->id) {
	case FC_O_DOMAIN: return pair ? NULL : "libfabric domain (NIC), e.g. rdmap16s27-rdm (default: the first)";
	case FC_O_MEMORY: {
		/* the backends from fc_mem_backends, so a new one is listed here */
		char choices[128];
		fc_mem_choices(choices, sizeof(choices));
		snprintf(buf, len, pair ? "this side's buffers: %s (default host);\n"
					  "each side chooses its own (host to cuda, cuda to cuda)"
					: "buffers: %s (default host)",
			 choices);
		return buf;
	}
	case FC_O_SIZES:
		snprintf(buf, len, "sizes: 8,1K,4M | range 8:1M (doubling from the first)%s;\n"
				   "default {def}. K/M/G are binary (1K = 1024)",
			 pair ? " | all\n(all = 1 B..8 MiB plus both sides of the provider's\nprotocol switch points)" : "");
		return buf;
	case FC_O_ITERS:
		return p->default_iters ? NULL : "iterations per size (default adaptive: about\n--size-time seconds per size, ended at twice that)";
	default: return NULL;
	}
}

static void bench_usage(const struct fc_optprog *op, FILE *f)
{
	const struct fc_prog *p = op->help_ctx;

	if (p->usage)
		fprintf(f, "%s", p->usage);
	else
		fprintf(f, "usage: %s [options]            run the server side\n"
			   "       %s [options] HOST       run the client side against HOST\n",
			p->name, p->name);
	fprintf(f, "%s\n\n", p->summary);
	fc_optable_rows_help(op, f);
	if (p->groups & FC_OPTS_PAIR)
		fprintf(f, "\nThe server takes the client's test parameters (%s-p -f -S -I -w -v\n"
			   "--size-time%s) and keeps its own -d -E -D -b -t -T -B%s\n"
			   "--sysfs-root and outputs.\n",
			p->groups & FC_OPTS_SOCKET ? "-x " : "",
			p->groups & FC_OPTS_STREAM ? " -W --bidir -n --buffers" : p->groups & FC_OPTS_RMA ? " -W --op" : "",
			p->groups & FC_OPTS_SOCKET ? " --sockbuf" : "");
	/* what this program can return: only a pair has a peer, NICs whose
	 * traffic is proven and data to verify */
	if (p->groups & FC_OPTS_PAIR)
		fprintf(f, "Exit codes: 0 ok, 1 a NIC did not carry its own traffic or is down, 2 usage or\n"
			   "bad peer input, 3 fabric/device setup or output error, 4 peer unreachable or\n"
			   "timed out, 5 data mismatch, 128+N stopped by signal N (130 SIGINT, 141 SIGPIPE,\n"
			   "143 SIGTERM).\n");
	else
		fprintf(f, "Exit codes: 0 ok, 2 usage, 3 fabric/device setup or output error, 128+N stopped\n"
			   "by signal N (130 SIGINT, 141 SIGPIPE, 143 SIGTERM).\n");
}

/* A benchmark program as the table mechanism sees it: the shared rows,
 * its groups, and its own defaults for -S and -I. */
struct bench_prog {
	struct fc_optprog op;
	struct fc_optdef defs[3];
	char iters[24];
};

static const struct fc_optrow *const bench_tables[] = {fc_shared_rows, NULL};

/* An RMA program's reason to take no socket option: its own words */
static const char *bench_refused(const void *ctx, const struct fc_optrow *row)
{
	const struct fc_prog *p = ctx;

	return p->ofi_only && (row->id == FC_O_TRANSPORT || row->id == FC_O_SOCKBUF) ? p->ofi_only : NULL;
}

static void bench_prog(struct bench_prog *b, const struct fc_prog *prog, struct fc_opts *o)
{
	snprintf(b->iters, sizeof(b->iters), "%ld", prog->default_iters);
	b->defs[0] = (struct fc_optdef){"sizes", prog->default_sizes};
	b->defs[1] = (struct fc_optdef){"iters", prog->default_iters ? b->iters : NULL};
	b->defs[2] = (struct fc_optdef){NULL, NULL};
	b->op = (struct fc_optprog){
		.name = prog->name, .takes = prog->groups | FC_OPTS_BENCH, .tables = bench_tables, .defaults = b->defs,
		.set = fc_opts_set, .ctx = o, .help = bench_help, .help_ctx = prog, .usage = bench_usage,
		.refused = bench_refused,
	};
}

void fc_opts_usage(const struct fc_prog *p, FILE *f)
{
	struct bench_prog b;

	bench_prog(&b, p, NULL);
	bench_usage(&b.op, f);
}

int fc_opts_accepted(const struct fc_prog *p, const char **names, int max)
{
	struct bench_prog b;

	bench_prog(&b, p, NULL);
	return fc_optable_accepted(&b.op, names, max);
}

void fc_opts_init(struct fc_opts *o, const char *test)
{
	const char *env = getenv("FABCHECK_PROVIDER"), *sysfs = getenv("FABCHECK_SYSFS_ROOT");

	*o = (struct fc_opts){.sysfs_root = sysfs && *sysfs ? sysfs : "/sys", .provider_given = env && *env};
	snprintf(o->params.test, sizeof(o->params.test), "%s", test ? test : "pingpong");
	snprintf(o->params.provider, sizeof(o->params.provider), "%s", env && *env ? env : "efa");
}

#define COPY(dst, src) snprintf(dst, sizeof(dst), "%s", src)

/* The test parameters' half of fc_opts_set. */
static int set_param(struct fc_params *p, const struct fc_optrow *row, const struct fc_optarg *a)
{
	switch (row->id) {
	case FC_O_PROVIDER: COPY(p->provider, a->v.s); break;
	case FC_O_FABRIC: COPY(p->fabric, a->v.s); break;
	case FC_O_TRANSPORT: COPY(p->transport, a->v.s); break;
	case FC_O_ITERS: p->iters = a->v.l; break;
	case FC_O_WARMUP: p->warmup = a->v.l; break;
	case FC_O_SIZE_TIME: p->size_time = a->v.d; break;
	case FC_O_WINDOW: p->window = a->v.l; break;
	case FC_O_BIDIR: p->bidir = true; break;
	case FC_O_STREAMS: p->streams = a->v.l; break;
	case FC_O_BUFFERS: COPY(p->buffers, a->v.s); break;
	case FC_O_OP: COPY(p->op, a->v.s); break;
	case FC_O_VERIFY: p->verify = true; break;
	default: break;
	}
	return 0;
}

int fc_opts_check_nic_list(const struct fc_opts *o)
{
	if (o->domain && (strchr(o->domain, ',') || !strcmp(o->domain, "all")) && strcmp(o->params.transport, "ofi")) {
		fc_err("-d %s needs the ofi transport: the socket transport uses the route to the peer "
		       "(use -n for parallel streams)", !strcmp(o->domain, "all") ? "all" : "with a list");
		return -FC_EXIT_USAGE;
	}
	return 0;
}

int fc_opts_set(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a)
{
	struct fc_opts *o = ctx;

	switch (row->id) {
	case FC_O_PROVIDER:
		o->provider_given |= !a->is_default;
		o->provider_typed |= !a->is_default;
		break;
	case FC_O_DOMAIN: o->domain = a->v.s; break;
	case FC_O_ENDPOINTS:
		o->endpoints = a->v.l;
		o->endpoints_given |= !a->is_default;
		break;
	case FC_O_BLOCK: o->block = true; break;
	case FC_O_PORT: o->port = (uint16_t)a->v.l; break;
	case FC_O_SOCKBUF: o->sockbuf = (long)a->v.z; break;
	case FC_O_MAX_MEM: o->max_mem = (size_t)a->v.z; break;
	case FC_O_SYSFS_ROOT: o->sysfs_root = a->v.s; break;
	case FC_O_UNITS: o->gbit = !strcmp(a->v.s, "gbit"); break;
	case FC_O_MR_PATH: o->mr_path = a->v.s; break;
	case FC_O_LABEL:
		/* it lands in records, report tables and chart legends */
		for (const unsigned char *c = (const unsigned char *)a->v.s; *c; c++)
			if (*c < 0x20 || *c >= 0x7f || *c == '|' || *c == '"' || *c == '\\') {
				fc_err("--label: ASCII letters, digits, spaces and punctuation but | \" \\ (64 at most)");
				return -FC_EXIT_USAGE;
			}
		o->label = *a->v.s ? a->v.s : NULL;
		break;
	case FC_O_MEMORY: return fc_mem_parse(a->v.s, &o->mem);
	case FC_O_SIZES: o->sizes = a->v.s; break;
	case FC_O_DEADLINE: o->deadline_s = a->v.d; break;
	case FC_O_OP_TIMEOUT: o->op_timeout_s = a->v.d; break;
	case FC_O_JSON: o->sinks.json_path = a->v.s; break;
	case FC_O_CSV: o->sinks.csv_path = a->v.s; break;
	default: break;
	}
	return set_param(&o->params, row, a);
}

/* checked before any connection */
int fc_opts_check_domains(const char *list)
{
	int n = 0;

	if (!strcmp(list, "all"))
		return 0;
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len > 127 || ++n > FC_MAX_DOMAINS) {
			fc_err("-d '%.40s%s' names no usable domain list: give a name, a comma list of up to %d names "
			       "of 1 to 127 characters, or all", list, strlen(list) > 40 ? "..." : "", FC_MAX_DOMAINS);
			return -FC_EXIT_USAGE;
		}
		p += len;
		if (!*p)
			return 0;
	}
}

int fc_opts_parse(struct fc_opts *o, const struct fc_prog *prog, int argc, char **argv)
{
	struct bench_prog b;
	struct fc_sizes check;
	char why[256];
	int rc, arg;

	fc_log_set_prog(prog->name);
	fc_opts_init(o, prog->test);
	bench_prog(&b, prog, o);
	/* every row's default, taken or not: fabcheck-mr's records carry the
	 * same warmup and window fields as the others' */
	if ((rc = fc_optable_defaults(&b.op, true)) || (rc = fc_optable_parse(&b.op, argc, argv, &arg)))
		return rc;
	if (arg < argc) {
		if (!(prog->groups & FC_OPTS_PAIR)) {
			fc_err("%s measures this node only: give no peer host ('%s')", prog->name, argv[arg]);
			return -FC_EXIT_USAGE;
		}
		o->peer = argv[arg++];
	}
	if (arg < argc) {
		fc_err("unexpected argument '%s': give at most one peer host (see --help)", argv[arg]);
		return -FC_EXIT_USAGE;
	}
	if (o->sinks.json_path && o->sinks.csv_path && !strcmp(o->sinks.json_path, "-") && !strcmp(o->sinks.csv_path, "-")) {
		fc_err("--json - and --csv - both want stdout: send one of them to a file");
		return -FC_EXIT_USAGE;
	}
	if (o->provider_typed && !strcmp(o->params.transport, "socket")) {
		fc_err("-p %s: the socket transport (-x socket) is the kernel's TCP, no libfabric provider: drop -p, "
		       "or measure the provider with -x ofi", o->params.provider);
		return -FC_EXIT_USAGE;
	}
	if (o->params.streams > 1 && strcmp(o->params.transport, "socket")) {
		fc_err("-n %ld: parallel streams are for the socket transport (-x socket); "
		       "for libfabric use -E endpoints per NIC", o->params.streams);
		return -FC_EXIT_USAGE;
	}
	if (o->domain && (rc = fc_opts_check_domains(o->domain)))
		return rc;
	if (o->domain && (strchr(o->domain, ',') || !strcmp(o->domain, "all"))) {
		if (!(prog->groups & FC_OPTS_PAIR)) {
			fc_err("%s registers on one domain: give one name to -d", prog->name);
			return -FC_EXIT_USAGE;
		}
		if ((rc = fc_opts_check_nic_list(o)))
			return rc;
	}
	o->params.endpoints = o->endpoints;
	o->params.all_nics = o->domain && !strcmp(o->domain, "all");
	if (fc_params_check(&o->params, why, sizeof(why))) {
		fc_err("%s", why);
		return -FC_EXIT_USAGE;
	}
	/* Validate the size list now, so a typo fails before any connection;
	 * "all" is expanded again once the provider's switch points are known. */
	rc = fc_sizes_expand_max(o->sizes, NULL, 0, prog->max_size ? prog->max_size : FC_SIZE_MAX_MSG, &check);
	fc_sizes_free(&check);
	return rc;
}

size_t fc_default_max_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	return pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 4 : (size_t)1 << 30;
}
