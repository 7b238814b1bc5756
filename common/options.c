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

enum { OPT_JSON = 256, OPT_CSV, OPT_SOCKBUF, OPT_BUDGET, OPT_BIDIR, OPT_OP, OPT_SYSFS };

static const struct option long_opts[] = {
	{"provider", required_argument, NULL, 'p'},
	{"domain", required_argument, NULL, 'd'},
	{"transport", required_argument, NULL, 'x'},
	{"sizes", required_argument, NULL, 'S'},
	{"iters", required_argument, NULL, 'I'},
	{"warmup", required_argument, NULL, 'w'},
	{"deadline", required_argument, NULL, 't'},
	{"op-timeout", required_argument, NULL, 'T'},
	{"verify", no_argument, NULL, 'v'},
	{"block", no_argument, NULL, 'b'},
	{"port", required_argument, NULL, 'B'},
	{"json", required_argument, NULL, OPT_JSON},
	{"csv", required_argument, NULL, OPT_CSV},
	{"sockbuf", required_argument, NULL, OPT_SOCKBUF},
	{"size-time", required_argument, NULL, OPT_BUDGET},
	{"window", required_argument, NULL, 'W'},
	{"bidir", no_argument, NULL, OPT_BIDIR},
	{"streams", required_argument, NULL, 'n'},
	{"endpoints", required_argument, NULL, 'E'},
	{"op", required_argument, NULL, OPT_OP},
	{"sysfs-root", required_argument, NULL, OPT_SYSFS},
	{"memory", required_argument, NULL, 'D'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

void fc_opts_usage(const struct fc_prog *p, FILE *f)
{
	fprintf(f,
		"usage: %s [options]            run the server side\n"
		"       %s [options] HOST       run the client side against HOST\n"
		"%s\n\n"
		"  -p, --provider NAME    libfabric provider (default efa, or $FABCHECK_PROVIDER)\n"
		"  -d, --domain LIST      libfabric domain (NIC), e.g. rdmap16s27-rdm or eth0; a comma\n"
		"                         list or `all` (every domain but loopback) runs one endpoint\n"
		"                         and thread per NIC, NIC i paired with the peer's NIC i\n"
		"  -E, --endpoints N      endpoints (threads) per NIC (default 1)\n"
		"  -D, --memory MEM       this side's buffers: host, cuda or cuda:N (default host);\n"
		"                         each side chooses its own (host to cuda, cuda to cuda)\n"
		"  -x, --transport KIND   ofi (libfabric) or socket (kernel TCP baseline); default ofi\n"
		"  -S, --sizes LIST       sizes: 8,1K,4M | range 8:1M (powers of two) | all\n"
		"                         (all = 1 B..8 MiB plus both sides of the provider's\n"
		"                         protocol switch points); default %s. K/M/G are binary\n"
		"  -I, --iters N          iterations per size (default adaptive: about\n"
		"                         --size-time seconds per size)\n"
		"  -w, --warmup N         untimed iterations per size (default %d)\n"
		"  -t, --deadline SEC     deadline for the whole run (default %.0f)\n"
		"  -T, --op-timeout SEC   longest the peer may stay silent (default %.0f)\n"
		"      --size-time SEC    adaptive iterations: time spent per size (default 0.2)\n"
		"  -v, --verify           check every received byte (outside the timed region)\n"
		"  -b, --block            blocking completion reads instead of busy polling\n"
		"                         (use with the sockets provider on small machines)\n"
		"  -B, --port PORT        out-of-band bootstrap TCP port (default %d)\n"
		"      --json FILE|-      write JSON Lines records (- = stdout)\n"
		"      --csv FILE|-       write CSV records (- = stdout)\n"
		"      --sockbuf BYTES    socket transport: SO_SNDBUF/SO_RCVBUF (default: kernel)\n"
		"%s%s"
		"      --sysfs-root DIR   read NIC counters and topology under DIR (default /sys)\n"
		"  -h, --help             this help\n\n"
		"Both sides must be started with the same test parameters; a mismatch is\n"
		"reported on both sides. Exit codes: 0 ok, 1 below threshold, 2 usage,\n"
		"3 fabric/device setup, 4 peer unreachable or timed out, 5 data mismatch.\n",
		p->name, p->name, p->summary, p->default_sizes, FC_DEFAULT_WARMUP,
		FC_DEFAULT_DEADLINE_S, FC_DEFAULT_OP_TIMEOUT_S, FC_DEFAULT_PORT,
		p->groups & (FC_OPTS_STREAM | FC_OPTS_RMA)
			? "  -W, --window N         messages in flight per window, up to 1024 (default 64,\n"
			  "                         fewer above 512K so a window stays near 32 MiB)\n" : "",
		p->groups & FC_OPTS_STREAM
			? "      --bidir            both sides send at once (aggregate bandwidth)\n"
			  "  -n, --streams N        socket transport: parallel TCP connections (default 1)\n"
			: "      --op OP            write, read or writedata (default write)\n");
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

static int parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 86400 * 7) {
		fc_err("invalid %s '%s': expected seconds, more than 0", opt, s);
		return -FC_EXIT_USAGE;
	}
	*out = v;
	return 0;
}

int fc_opts_parse(struct fc_opts *o, const struct fc_prog *prog, int argc, char **argv)
{
	const char *env = getenv("FABCHECK_PROVIDER");
	struct fc_sizes check;
	long v;
	int c, rc;

	*o = (struct fc_opts){
		.provider = env && *env ? env : "efa",
		.transport = "ofi",
		.sizes = prog->default_sizes,
		.warmup = FC_DEFAULT_WARMUP,
		.deadline_s = FC_DEFAULT_DEADLINE_S,
		.op_timeout_s = FC_DEFAULT_OP_TIMEOUT_S,
		.size_budget_s = 0.2,
		.port = FC_DEFAULT_PORT,
		.streams = 1,
		.endpoints = 1,
		.rma_op = "write",
		.sysfs_root = getenv("FABCHECK_SYSFS_ROOT") && *getenv("FABCHECK_SYSFS_ROOT")
				      ? getenv("FABCHECK_SYSFS_ROOT") : "/sys",
	};
	fc_log_set_prog(prog->name);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:d:x:S:I:w:t:T:vbB:W:n:E:D:h", long_opts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'p': o->provider = optarg; break;
		case 'd': o->domain = optarg; break;
		case 'x':
			if (strcmp(optarg, "ofi") && strcmp(optarg, "socket")) {
				fc_err("invalid transport '%s': expected ofi or socket", optarg);
				return -FC_EXIT_USAGE;
			}
			o->transport = optarg;
			break;
		case 'S': o->sizes = optarg; break;
		case 'I':
			rc = parse_long("iteration count", optarg, 1, FC_MAX_ITERS, &o->iters);
			break;
		case 'w':
			rc = parse_long("warmup count", optarg, 0, 1000000, &o->warmup);
			break;
		case 't': rc = parse_seconds("deadline", optarg, &o->deadline_s); break;
		case 'T': rc = parse_seconds("op timeout", optarg, &o->op_timeout_s); break;
		case OPT_BUDGET: rc = parse_seconds("size time", optarg, &o->size_budget_s); break;
		case 'v': o->verify = true; break;
		case 'b': o->block = true; break;
		case 'B':
			rc = parse_long("port", optarg, 1, 65535, &v);
			o->port = (uint16_t)v;
			break;
		case OPT_JSON: o->json_path = optarg; break;
		case OPT_CSV: o->csv_path = optarg; break;
		case OPT_SOCKBUF:
			rc = parse_long("socket buffer size", optarg, 4096, 1 << 30, &v);
			o->sockbuf = (int)v;
			break;
		case 'E':
			rc = parse_long("endpoints per NIC", optarg, 1, 64, &o->endpoints);
			break;
		case OPT_SYSFS: o->sysfs_root = optarg; break;
		case 'D': rc = fc_mem_parse(optarg, &o->mem); break;
		case 'W':
			if (!(prog->groups & (FC_OPTS_STREAM | FC_OPTS_RMA)))
				goto unknown;
			rc = parse_long("window", optarg, 1, 1024, &o->window);
			break;
		case OPT_BIDIR:
			if (!(prog->groups & FC_OPTS_STREAM))
				goto unknown;
			o->bidir = true;
			break;
		case 'n':
			if (!(prog->groups & FC_OPTS_STREAM))
				goto unknown;
			rc = parse_long("stream count", optarg, 1, 64, &o->streams);
			break;
		case OPT_OP:
			if (!(prog->groups & FC_OPTS_RMA))
				goto unknown;
			if (strcmp(optarg, "write") && strcmp(optarg, "read") && strcmp(optarg, "writedata")) {
				fc_err("invalid RMA operation '%s': expected write, read or writedata", optarg);
				return -FC_EXIT_USAGE;
			}
			o->rma_op = optarg;
			break;
		case 'h': fc_opts_usage(prog, stdout); return 1;
		case ':':
			fc_err("option %s needs a value (see --help)", argv[optind - 1]);
			return -FC_EXIT_USAGE;
		default:
		unknown:
			fc_err("unknown option '%s' (see --help)", argv[optind - 1]);
			return -FC_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		o->peer = argv[optind++];
	if (optind < argc) {
		fc_err("unexpected argument '%s': give at most one peer host (see --help)",
		       argv[optind]);
		return -FC_EXIT_USAGE;
	}
	if (o->json_path && o->csv_path && !strcmp(o->json_path, "-") && !strcmp(o->csv_path, "-")) {
		fc_err("--json - and --csv - both want stdout: send one of them to a file");
		return -FC_EXIT_USAGE;
	}
	if (prog->ofi_only && strcmp(o->transport, "ofi")) {
		fc_err("%s", prog->ofi_only);
		return -FC_EXIT_USAGE;
	}
	if (o->streams > 1 && strcmp(o->transport, "socket")) {
		fc_err("-n %ld: parallel streams are for the socket transport (-x socket); "
		       "for libfabric use -E endpoints per NIC", o->streams);
		return -FC_EXIT_USAGE;
	}
	if (o->domain && (strchr(o->domain, ',') || !strcmp(o->domain, "all")) &&
	    strcmp(o->transport, "ofi")) {
		fc_err("-d all needs the ofi transport: the socket transport uses the route to the peer "
		       "(use -n for parallel streams)");
		return -FC_EXIT_USAGE;
	}
	/* Validate the size list now, so a typo fails before any connection;
	 * "all" is expanded again once the provider's switch points are known. */
	rc = fc_sizes_expand_max(o->sizes, NULL, 0, prog->max_size ? prog->max_size : FC_SIZE_MAX_MSG, &check);
	fc_sizes_free(&check);
	return rc;
}
