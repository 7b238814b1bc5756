/* The benchmark programs' command line (pingpong, bw, rma, mr): the shared
 * rows of optrows.c through the one table mechanism of optable.h, stored in
 * an fc_opts, plus the checks that need the engine (-d lists, -D memory,
 * size lists, the test parameters). fabcheck-pairs stores its shared rows
 * here too, through fc_opts_set. */
#ifndef FC_OPTIONS_H
#define FC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem.h"
#include "optrows.h"
#include "output.h"
#include "params.h"

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
	size_t max_mem;          /* --max-mem: buffer bytes a test may take here; 0: fc_default_max_mem() */
	struct fc_sinks sinks;   /* --json FILE|-, --csv FILE|- */
	const char *sysfs_root;  /* --sysfs-root, default $FABCHECK_SYSFS_ROOT or /sys */
	const char *label;       /* --label: the run's name in its records (NULL none) */
	bool gbit;               /* --units gbit: the table's bandwidth in Gbit/s */
	const char *mr_path;     /* --mr-path both|va|dmabuf (fabcheck-mr) */
	const char *peer;        /* server host; NULL = this side is the server */
	bool provider_given;     /* -p or $FABCHECK_PROVIDER: a server checks it at start */
	bool provider_typed;     /* -p on the command line (not the environment) */
	bool endpoints_given;    /* -E: a server keeps its own, else takes the client's */
};

/* What a program tells the parser about itself, for --help. */
struct fc_prog {
	const char *name;
	const char *test; /* the params' test name: pingpong, bw, rma (NULL: none) */
	const char *usage; /* usage lines; NULL: server/client usage */
	const char *summary;
	const char *default_sizes;
	unsigned groups; /* FC_OPTS_* (optable.h); FC_OPTS_BENCH is implied */
	long default_iters; /* 0 = adaptive */
	uint64_t max_size; /* largest -S size, 0 = FC_SIZE_MAX_MSG */
	const char *ofi_only; /* set: no -x or --sockbuf, refused with this reason */
};

/* Returns 0 to run, 1 when --help was printed (exit 0), or -FC_EXIT_USAGE
 * after printing the offending value. */
int fc_opts_parse(struct fc_opts *o, const struct fc_prog *prog, int argc, char **argv);
void fc_opts_usage(const struct fc_prog *prog, FILE *f);

/* The long names of the options a program accepts, in table order, for
 * the test that compares --help with the parser. Returns how many. */
int fc_opts_accepted(const struct fc_prog *prog, const char **names, int max);

/* The defaults every benchmark starts from: $FABCHECK_PROVIDER and
 * $FABCHECK_SYSFS_ROOT, test (NULL: pingpong); the rows' own defaults
 * come after, from fc_optable_defaults. */
void fc_opts_init(struct fc_opts *o, const char *test);

/* Stores one shared row's value (optable's setter; ctx is the fc_opts).
 * Rows an fc_opts does not keep (--instance-type, --table) are ignored. */
int fc_opts_set(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a);
/* -d all or a NIC list needs libfabric (the socket transport runs over the
 * route to the peer): 0, or -FC_EXIT_USAGE after saying so. */
int fc_opts_check_nic_list(const struct fc_opts *o);

/* -d: "all", or a comma list of 1 to FC_MAX_DOMAINS names of 1 to 127
 * characters. 0 or -FC_EXIT_USAGE after a message. */
int fc_opts_check_domains(const char *list);

/* A quarter of this host's RAM: what a test's buffers may take unless
 * --max-mem says otherwise (a peer chooses sizes and window). */
size_t fc_default_max_mem(void);

#endif
