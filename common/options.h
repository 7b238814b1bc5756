/* One command-line parser for every fabcheck program. */
#ifndef FC_OPTIONS_H
#define FC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem.h"

#define FC_DEFAULT_PORT 47592
#define FC_DEFAULT_DEADLINE_S 300.0
#define FC_DEFAULT_OP_TIMEOUT_S 10.0
#define FC_DEFAULT_WARMUP 16
#define FC_MAX_ITERS 100000000L

struct fc_opts {
	const char *provider;   /* -p, default efa or $FABCHECK_PROVIDER */
	const char *domain;     /* -d */
	const char *transport;  /* -x ofi|socket */
	const char *sizes;      /* -S specification, expanded after setup */
	long iters;             /* -I, 0 = adaptive */
	long warmup;            /* -w */
	double deadline_s;      /* -t, whole run */
	double op_timeout_s;    /* -T, longest silence from the peer */
	double size_budget_s;   /* adaptive iterations: time per size */
	bool verify;            /* -v */
	bool block;             /* -b, blocking completion reads */
	const char *json_path;  /* --json FILE|- */
	const char *csv_path;   /* --csv FILE|- */
	uint16_t port;          /* -B bootstrap port */
	int sockbuf;            /* --sockbuf, 0 = kernel autotuning */
	const char *peer;       /* server host; NULL = this side is the server */
	/* bandwidth and RMA programs */
	long window;            /* -W messages in flight, 0 = by size */
	bool bidir;             /* --bidir */
	long streams;           /* -n socket transport connections */
	long endpoints;         /* -E endpoints (threads) per NIC */
	const char *rma_op;     /* --op write|read|writedata */
	const char *sysfs_root; /* --sysfs-root, default $FABCHECK_SYSFS_ROOT or /sys */
	struct fc_mem mem;      /* -D host|cuda[:N], this side only */
};

/* Option groups a program takes beyond the common ones. */
enum {
	FC_OPTS_STREAM = 1 << 0, /* -W, --bidir, -n */
	FC_OPTS_RMA = 1 << 1,    /* -W, --op */
};

/* What a program tells the parser about itself, for --help. */
struct fc_prog {
	const char *name;
	const char *summary;
	const char *default_sizes;
	unsigned groups; /* FC_OPTS_* */
	uint64_t max_size; /* largest -S size, 0 = FC_SIZE_MAX_MSG */
	const char *ofi_only; /* set: -x socket is refused with this reason */
};

/* Returns 0 to run, 1 when --help was printed (exit 0), or -FC_EXIT_USAGE
 * after printing the offending value. */
int fc_opts_parse(struct fc_opts *o, const struct fc_prog *prog, int argc, char **argv);
void fc_opts_usage(const struct fc_prog *prog, FILE *f);

#endif
