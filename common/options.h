/* One command-line parser for every fabcheck program, from one option
 * table: what a program accepts and what its --help lists are the same
 * rows, so they cannot drift apart. */
#ifndef FC_OPTIONS_H
#define FC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem.h"
#include "params.h"

#define FC_DEFAULT_PORT 47592
#define FC_DEFAULT_DEADLINE_S 300.0
#define FC_DEFAULT_OP_TIMEOUT_S 10.0
#define FC_DEFAULT_WARMUP 16
#define FC_MAX_SOCKBUF (1L << 30)
#define FC_MIN_SOCKBUF (64L << 10) /* smaller kernel buffers stall loopback TCP at large sizes */
#define FC_MAX_DOMAINS 256         /* names in a -d list (FC_MAX_LANES) */

struct fc_opts {
	struct fc_params params; /* what to measure: on a server, the client's replace these */
	const char *sizes;       /* -S specification, expanded after setup */
	/* this side's own choices */
	const char *domain;      /* -d */
	long endpoints;          /* -E endpoints (threads) per NIC */
	struct fc_mem mem;       /* -D host|cuda[:N] */
	bool block;              /* -b, blocking completion reads */
	double deadline_s;       /* -t, whole run */
	double op_timeout_s;     /* -T, longest silence from the peer */
	uint16_t port;           /* -B bootstrap port */
	long sockbuf;            /* --sockbuf, 0 = kernel autotuning */
	const char *json_path;   /* --json FILE|- */
	const char *csv_path;    /* --csv FILE|- */
	const char *sysfs_root;  /* --sysfs-root, default $FABCHECK_SYSFS_ROOT or /sys */
	const char *peer;        /* server host; NULL = this side is the server */
	bool provider_given;     /* -p or $FABCHECK_PROVIDER: a server checks it at start */
	bool endpoints_given;    /* -E: a server keeps its own, else takes the client's */
};

/* Option groups: every program takes CORE; the others as it says. */
enum {
	FC_OPTS_CORE = 0,
	FC_OPTS_PAIR = 1 << 0,   /* two processes: bootstrap, peer, lanes, transports */
	FC_OPTS_STREAM = 1 << 1, /* -W, --bidir, -n, --buffers */
	FC_OPTS_RMA = 1 << 2,    /* -W, --op */
};

/* What a program tells the parser about itself, for --help. */
struct fc_prog {
	const char *name;
	const char *test; /* the params' test name: pingpong, bw, rma (NULL: none) */
	const char *usage; /* usage lines; NULL: server/client usage */
	const char *summary;
	const char *default_sizes;
	unsigned groups; /* FC_OPTS_* */
	long default_iters; /* 0 = adaptive */
	uint64_t max_size; /* largest -S size, 0 = FC_SIZE_MAX_MSG */
	const char *ofi_only; /* set: -x socket is refused with this reason */
};

/* Returns 0 to run, 1 when --help was printed (exit 0), or -FC_EXIT_USAGE
 * after printing the offending value. */
int fc_opts_parse(struct fc_opts *o, const struct fc_prog *prog, int argc, char **argv);
void fc_opts_usage(const struct fc_prog *prog, FILE *f);

/* The long names of the options a program accepts, in table order, for
 * the test that compares --help with the parser. Returns how many. */
int fc_opts_accepted(const struct fc_prog *prog, const char **names, int max);

#endif
