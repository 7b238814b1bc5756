#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "sizes.h"

enum {
	OPT_JSON = 256, OPT_CSV, OPT_SOCKBUF, OPT_BUDGET, OPT_BIDIR, OPT_OP, OPT_SYSFS, OPT_BUFFERS,
};

/* One row per option: the parser's table and --help's lines. `groups` 0
 * means every program; otherwise a program takes the option when it has
 * one of the groups. */
struct opt {
	const char *lng;
	int val;
	int has_arg;
	unsigned groups;
	const char *arg;  /* metavariable shown in --help */
	const char *help; /* lines after the first are indented under it */
};

static const struct opt table[] = {
	{"provider", 'p', 1, 0, "NAME", "libfabric provider (default efa, or $FABCHECK_PROVIDER)"},
	{"fabric", 'f', 1, 0, "NAME", "libfabric fabric (e.g. efa or efa-direct with libfabric 2.x;\n"
				      "default: the provider's first)"},
	{"domain", 'd', 1, 0, "NAME", NULL /* per program, below */},
	{"endpoints", 'E', 1, FC_OPTS_PAIR, "N", "endpoints (threads) per NIC (default 1)"},
	{"memory", 'D', 1, 0, "MEM", NULL},
	{"transport", 'x', 1, FC_OPTS_PAIR, "KIND", "ofi (libfabric) or socket (kernel TCP baseline); default ofi"},
	{"sizes", 'S', 1, 0, "LIST", NULL},
	{"iters", 'I', 1, 0, "N", NULL},
	{"warmup", 'w', 1, FC_OPTS_PAIR, "N", "untimed iterations per size (default 16)"},
	{"size-time", OPT_BUDGET, 1, FC_OPTS_PAIR, "SEC", "adaptive iterations: time spent per size (default 0.2)"},
	{"window", 'W', 1, FC_OPTS_STREAM | FC_OPTS_RMA, "N",
	 "messages in flight per window, 1 to 1024 (default 64,\n"
	 "fewer above 512K so a window stays near 32 MiB)"},
	{"bidir", OPT_BIDIR, 0, FC_OPTS_STREAM, NULL, "both sides send at once (aggregate bandwidth)"},
	{"streams", 'n', 1, FC_OPTS_STREAM, "N", "socket transport: parallel TCP connections (default 1)"},
	{"buffers", OPT_BUFFERS, 1, FC_OPTS_STREAM, "POLICY",
	 "reuse: every message of a window from one buffer, as\n"
	 "fabtests, perftest and iperf3 do (default); slots: each\n"
	 "message its own buffer (out of cache; -v always uses slots)"},
	{"op", OPT_OP, 1, FC_OPTS_RMA, "OP", "write, read or writedata (default write)"},
	{"verify", 'v', 0, FC_OPTS_PAIR, NULL, "check every received byte (outside the timed region)"},
	{"deadline", 't', 1, 0, "SEC", "deadline for the whole run (default 300)"},
	{"op-timeout", 'T', 1, FC_OPTS_PAIR, "SEC", "longest the peer may stay silent (default 10)"},
	{"block", 'b', 0, FC_OPTS_PAIR, NULL, "blocking completion reads instead of busy polling\n"
					      "(use with the sockets provider on small machines)"},
	{"port", 'B', 1, FC_OPTS_PAIR, "PORT", "out-of-band bootstrap TCP port (default 47592)"},
	{"json", OPT_JSON, 1, 0, "FILE|-", "write JSON Lines records (- = stdout)"},
	{"csv", OPT_CSV, 1, 0, "FILE|-", "write CSV records (- = stdout)"},
	{"sockbuf", OPT_SOCKBUF, 1, FC_OPTS_PAIR, "SIZE",
	 "socket transport: SO_SNDBUF/SO_RCVBUF, 64K to 1G\n(default: kernel autotuning)"},
	{"sysfs-root", OPT_SYSFS, 1, FC_OPTS_PAIR, "DIR", "read NIC counters and topology under DIR (default /sys)"},
	{"help", 'h', 0, 0, NULL, "this help"},
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

static bool takes(const struct fc_prog *p, const struct opt *o)
{
	return o->groups == 0 || (p->groups & o->groups);
}

static const char *help_of(const struct fc_prog *p, const struct opt *o, char *buf, size_t len)
{
	bool pair = p->groups & FC_OPTS_PAIR;

	switch (o->val) {
	case 'd':
		return pair ? "libfabric domain (NIC), e.g. rdmap16s27-rdm or eth0; a comma\n"
			      "list or `all` (every domain but loopback) runs one endpoint\n"
			      "and thread per NIC, NIC i paired with the peer's NIC i"
			    : "libfabric domain (NIC), e.g. rdmap16s27-rdm (default: the first)";
	case 'D':
		return pair ? "this side's buffers: host, cuda or cuda:N (default host);\n"
			      "each side chooses its own (host to cuda, cuda to cuda)"
			    : "buffers: host, cuda or cuda:N (default host)";
	case 'S':
		snprintf(buf, len, "sizes: 8,1K,4M | range 8:1M (powers of two)%s;\n"
				   "default %s. K/M/G are binary (1K = 1024)",
			 pair ? " | all\n(all = 1 B..8 MiB plus both sides of the provider's\nprotocol switch points)" : "",
			 p->default_sizes);
		return buf;
	case 'I':
		if (p->default_iters)
			snprintf(buf, len, "iterations per size (default %ld)", p->default_iters);
		else
			snprintf(buf, len, "iterations per size (default adaptive: about\n--size-time seconds per size)");
		return buf;
	default:
		return o->help;
	}
}

void fc_opts_usage(const struct fc_prog *p, FILE *f)
{
	if (p->usage)
		fprintf(f, "%s", p->usage);
	else
		fprintf(f, "usage: %s [options]            run the server side\n"
			   "       %s [options] HOST       run the client side against HOST\n",
			p->name, p->name);
	fprintf(f, "%s\n\n", p->summary);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &table[i];
		char left[40], buf[512];
		const char *h;

		if (!takes(p, o))
			continue;
		h = help_of(p, o, buf, sizeof(buf));
		if (o->val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->lng, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->lng, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-23s", left);
		if (strlen(left) > 23)
			fprintf(f, "\n  %-23s", "");
		for (const char *s = h; *s; s++) {
			fputc(*s, f);
			if (*s == '\n')
				fprintf(f, "  %-23s", "");
		}
		fputc('\n', f);
	}
	if (p->groups & FC_OPTS_PAIR)
		fprintf(f, "\nThe server takes the client's test parameters (-x -p -f -S -I -w -v\n"
			   "--size-time%s) and keeps its own -d -E -D -b -t -T -B --sockbuf\n"
			   "--sysfs-root and outputs.\n",
			p->groups & FC_OPTS_STREAM ? " -W --bidir -n --buffers" : p->groups & FC_OPTS_RMA ? " -W --op" : "");
	fprintf(f, "Exit codes: 0 ok, 1 below threshold, 2 usage or bad peer input, 3 fabric/device\n"
		   "setup or output error, 4 peer unreachable or timed out, 5 data mismatch,\n"
		   "128+N stopped by signal N (130 SIGINT, 141 SIGPIPE, 143 SIGTERM).\n");
}

int fc_opts_accepted(const struct fc_prog *p, const char **names, int max)
{
	int n = 0;

	for (size_t i = 0; i < NOPTS && n < max; i++)
		if (takes(p, &table[i]))
			names[n++] = table[i].lng;
	return n;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fc_err("invalid %s '%s': expected an integer from %ld to %ld", opt, s, lo, hi);
		return -FC_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *opt, const char *s, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > hi) {
		fc_err("invalid %s '%s': expected seconds, more than 0 and at most %.0f", opt, s, hi);
		return -FC_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

static int parse_choice(const char *what, const char *s, const char *const *set, char *dst, size_t cap)
{
	for (const char *const *c = set; *c; c++)
		if (!strcmp(s, *c)) {
			snprintf(dst, cap, "%s", s);
			return 0;
		}
	fc_err("invalid %s '%s': expected %s%s%s%s%s", what, s, set[0], set[1] ? ", " : "", set[1] ? set[1] : "",
	       set[1] && set[2] ? " or " : "", set[1] && set[2] ? set[2] : "");
	return -FC_EXIT_USAGE;
}

static int parse_name(const char *what, const char *s, char *dst, size_t cap)
{
	if (strlen(s) >= cap || !*s) {
		fc_err("invalid %s '%s': expected a name of 1 to %zu characters", what, s, cap - 1);
		return -FC_EXIT_USAGE;
	}
	snprintf(dst, cap, "%s", s);
	return 0;
}

static const struct opt *row_of(int val)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (table[i].val == val)
			return &table[i];
	return NULL;
}

/* getopt's own view of what went wrong, in words that name the option. */
static int bad_option(const struct fc_prog *prog, int c, char **argv)
{
	const struct opt *row = row_of(c == ':' ? optopt : c);

	if (c == ':')
		fc_err("option %s%s needs a value (see --help)", row ? "--" : argv[optind - 1], row ? row->lng : "");
	else if (c == '?')
		fc_err("unknown option '%s' (see --help)", optopt && optopt < 256 ? (char[]){'-', (char)optopt, 0}
										  : argv[optind - 1]);
	else
		fc_err("%s takes no --%s option (see --help)", prog->name, row ? row->lng : "?");
	return -FC_EXIT_USAGE;
}

/* -d: "all", or a comma list of names, each 1 to 127 characters, at most
 * FC_MAX_DOMAINS of them: checked here, before any connection. */
static int check_domains(const char *list)
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
	static const char *const transports[] = {"ofi", "socket", NULL};
	static const char *const ops[] = {"write", "read", "writedata", NULL};
	static const char *const buffers[] = {"reuse", "slots", NULL};
	const char *env = getenv("FABCHECK_PROVIDER"), *sysfs = getenv("FABCHECK_SYSFS_ROOT");
	struct option lo[NOPTS + 1];
	char shorts[3 * NOPTS + 2] = ":", why[256];
	struct fc_sizes check;
	uint64_t sz;
	long v;
	int c, rc;

	*o = (struct fc_opts){
		.sizes = prog->default_sizes,
		.endpoints = 1,
		.deadline_s = FC_DEFAULT_DEADLINE_S,
		.op_timeout_s = FC_DEFAULT_OP_TIMEOUT_S,
		.port = FC_DEFAULT_PORT,
		.sysfs_root = sysfs && *sysfs ? sysfs : "/sys",
		.provider_given = env && *env,
	};
	o->params = (struct fc_params){
		.warmup = FC_DEFAULT_WARMUP,
		.iters = prog->default_iters,
		.size_time = 0.2,
		.streams = 1,
	};
	snprintf(o->params.test, sizeof(o->params.test), "%s", prog->test ? prog->test : "pingpong");
	snprintf(o->params.transport, sizeof(o->params.transport), "ofi");
	snprintf(o->params.provider, sizeof(o->params.provider), "%s", env && *env ? env : "efa");
	snprintf(o->params.op, sizeof(o->params.op), "write");
	snprintf(o->params.buffers, sizeof(o->params.buffers), "reuse");
	fc_log_set_prog(prog->name);

	/* every row goes to getopt, so an option of another program is named
	 * as such instead of "unknown" */
	for (size_t i = 0; i < NOPTS; i++) {
		lo[i] = (struct option){table[i].lng, table[i].has_arg ? required_argument : no_argument, NULL, table[i].val};
		if (table[i].val < 256) {
			size_t n = strlen(shorts);
			shorts[n] = (char)table[i].val;
			shorts[n + 1] = table[i].has_arg ? ':' : '\0';
			shorts[n + 2] = '\0';
		}
	}
	lo[NOPTS] = (struct option){0};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct opt *row = row_of(c);

		if (c == ':' || c == '?' || !row || !takes(prog, row))
			return bad_option(prog, c, argv);
		rc = 0;
		switch (c) {
		case 'p':
			rc = parse_name("provider", optarg, o->params.provider, sizeof(o->params.provider));
			o->provider_given = true;
			break;
		case 'f': rc = parse_name("fabric", optarg, o->params.fabric, sizeof(o->params.fabric)); break;
		case 'd':
			o->domain = optarg;
			break;
		case 'x':
			rc = parse_choice("transport", optarg, transports, o->params.transport, sizeof(o->params.transport));
			break;
		case 'S': o->sizes = optarg; break;
		case 'I': rc = parse_long("iteration count (-I)", optarg, 1, FC_MAX_ITERS, &o->params.iters); break;
		case 'w': rc = parse_long("warmup count (-w)", optarg, 0, FC_MAX_WARMUP, &o->params.warmup); break;
		case 't': rc = parse_seconds("deadline (-t)", optarg, 86400 * 7, &o->deadline_s); break;
		case 'T': rc = parse_seconds("op timeout (-T)", optarg, 86400 * 7, &o->op_timeout_s); break;
		case OPT_BUDGET:
			rc = parse_seconds("size time (--size-time)", optarg, FC_MAX_SIZE_TIME_S, &o->params.size_time);
			break;
		case 'v': o->params.verify = true; break;
		case 'b': o->block = true; break;
		case 'B':
			rc = parse_long("port (-B)", optarg, 1, 65535, &v);
			o->port = (uint16_t)v;
			break;
		case OPT_JSON: o->json_path = optarg; break;
		case OPT_CSV: o->csv_path = optarg; break;
		case OPT_SOCKBUF:
			if ((rc = fc_size_parse(optarg, &sz)))
				break;
			if (sz < FC_MIN_SOCKBUF || sz > FC_MAX_SOCKBUF) {
				fc_err("invalid socket buffer size (--sockbuf) '%s': expected 64K to 1G", optarg);
				rc = -FC_EXIT_USAGE;
			}
			o->sockbuf = (long)sz;
			break;
		case 'E':
			rc = parse_long("endpoints per NIC (-E)", optarg, 1, FC_MAX_ENDPOINTS, &o->endpoints);
			o->endpoints_given = true;
			break;
		case OPT_SYSFS: o->sysfs_root = optarg; break;
		case 'D': rc = fc_mem_parse(optarg, &o->mem); break;
		case 'W': rc = parse_long("window (-W)", optarg, 1, FC_MAX_WINDOW, &o->params.window); break;
		case OPT_BIDIR: o->params.bidir = true; break;
		case 'n': rc = parse_long("stream count (-n)", optarg, 1, FC_MAX_STREAMS, &o->params.streams); break;
		case OPT_OP: rc = parse_choice("RMA operation (--op)", optarg, ops, o->params.op, sizeof(o->params.op)); break;
		case OPT_BUFFERS:
			rc = parse_choice("buffer policy (--buffers)", optarg, buffers, o->params.buffers,
					  sizeof(o->params.buffers));
			break;
		case 'h': fc_opts_usage(prog, stdout); return 1;
		}
		if (rc)
			return rc;
	}
	if (optind < argc) {
		if (!(prog->groups & FC_OPTS_PAIR)) {
			fc_err("%s measures this node only: give no peer host ('%s')", prog->name, argv[optind]);
			return -FC_EXIT_USAGE;
		}
		o->peer = argv[optind++];
	}
	if (optind < argc) {
		fc_err("unexpected argument '%s': give at most one peer host (see --help)", argv[optind]);
		return -FC_EXIT_USAGE;
	}
	if (o->json_path && o->csv_path && !strcmp(o->json_path, "-") && !strcmp(o->csv_path, "-")) {
		fc_err("--json - and --csv - both want stdout: send one of them to a file");
		return -FC_EXIT_USAGE;
	}
	if (prog->ofi_only && strcmp(o->params.transport, "ofi")) {
		fc_err("%s", prog->ofi_only);
		return -FC_EXIT_USAGE;
	}
	if (o->params.streams > 1 && strcmp(o->params.transport, "socket")) {
		fc_err("-n %ld: parallel streams are for the socket transport (-x socket); "
		       "for libfabric use -E endpoints per NIC", o->params.streams);
		return -FC_EXIT_USAGE;
	}
	if (o->domain && (rc = check_domains(o->domain)))
		return rc;
	if (o->domain && (strchr(o->domain, ',') || !strcmp(o->domain, "all"))) {
		if (!(prog->groups & FC_OPTS_PAIR)) {
			fc_err("%s registers on one domain: give one name to -d", prog->name);
			return -FC_EXIT_USAGE;
		}
		if (strcmp(o->params.transport, "ofi")) {
			fc_err("-d all needs the ofi transport: the socket transport uses the route to the peer "
			       "(use -n for parallel streams)");
			return -FC_EXIT_USAGE;
		}
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
