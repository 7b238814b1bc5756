/* The option-table mechanism every fabcheck program parses its command
 * line with: options are rows (name, letter, which programs take it, type,
 * limits, default, help), and the parser, the defaults, --help and the
 * list of accepted names are all generated from the same rows, so what a
 * program accepts and what it says it accepts cannot drift apart.
 *
 * This module knows no program and no fabric: the suite's shared rows are
 * in common/engine/optrows.c, each program's own rows beside its main, and
 * fabcheck-diag (which must link without libfabric) uses it too. */
#ifndef FC_OPTABLE_H
#define FC_OPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Which programs take a row: a program takes a row when they share a bit. */
enum {
	FC_OPTS_CORE = 0,
	FC_OPTS_PAIR = 1 << 0,    /* two processes: bootstrap, peer, lanes, transports */
	FC_OPTS_STREAM = 1 << 1,  /* -W, --bidir, -n, --buffers */
	FC_OPTS_RMA = 1 << 2,     /* -W, --op */
	FC_OPTS_BENCH = 1 << 3,   /* every benchmark program: pingpong, bw, rma, mr */
	FC_OPTS_CLUSTER = 1 << 4, /* fabcheck-pairs */
	FC_OPTS_DIAG = 1 << 5,    /* fabcheck-diag */
	FC_OPTS_REPORT = 1 << 6,  /* fabcheck-report */
	FC_OPTS_SOCKET = 1 << 7,  /* the kernel TCP baseline: -x, --sockbuf (not RMA) */
	FC_OPTS_MR = 1 << 8,      /* fabcheck-mr: --mr-path */
	FC_OPTS_ALL = 0x1ff,
};

enum fc_opt_type {
	FC_OPT_END = 0,  /* ends a table */
	FC_OPT_HEADING,  /* a --help heading over the rows after it */
	FC_OPT_FLAG,     /* no value */
	FC_OPT_TEXT,     /* a string; hi > 0: 1 to hi characters */
	FC_OPT_CHOICE,   /* one of choices[] */
	FC_OPT_INT,      /* an integer from lo to hi */
	FC_OPT_REAL,     /* a number from lo to hi */
	FC_OPT_SECONDS,  /* seconds, more than 0 and at most hi */
	FC_OPT_SIZE,     /* a size with K/M/G (sizes.h), from lo to hi bytes */
	FC_OPT_HELP,     /* prints --help, the parser returns 1 */
};

struct fc_optrow {
	enum fc_opt_type type;
	const char *lng;  /* --name; FC_OPT_HEADING: the heading */
	char shrt;        /* -x, or 0 for a long option only */
	int id;           /* the owner's name for it, for its setter */
	unsigned groups;  /* FC_OPTS_* of the programs that take it */
	const char *arg;  /* metavariable in --help */
	const char *help; /* lines after the first are indented under it;
			   * {def}, {lo} and {hi} become the row's values */
	const char *what; /* in error messages, e.g. "warmup count (-w)";
			   * NULL: -x or --name */
	double lo, hi;
	const char *const *choices; /* FC_OPT_CHOICE, NULL-terminated */
	const char *def;  /* default, applied by fc_optable_defaults and shown
			   * in --help; NULL: none or explained in help */
};

/* A parsed value: the row's type says which member is set. */
union fc_optval {
	const char *s; /* TEXT, CHOICE (and the raw text for every type) */
	long l;        /* INT */
	double d;      /* REAL, SECONDS */
	unsigned long long z; /* SIZE */
};

struct fc_optarg {
	union fc_optval v;
	const char *text; /* as given */
	bool is_default;  /* from the row's default, not the command line */
};

/* A program's default over a row's (fabcheck-pairs: -t 3600). */
struct fc_optdef {
	const char *lng;
	const char *def;
};

struct fc_optprog {
	const char *name;
	unsigned takes;                          /* FC_OPTS_* */
	const struct fc_optrow *const *tables;   /* NULL-terminated, in --help order */
	const struct fc_optdef *defaults;        /* NULL, or ended by {NULL} */
	/* stores one value; returns 0 or -FC_EXIT_USAGE after fc_err */
	int (*set)(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a);
	void *ctx;
	/* a row's help in this program's words (NULL: the row's own) */
	const char *(*help)(const void *ctx, const struct fc_optrow *row, char *buf, size_t len);
	const void *help_ctx;
	/* the whole --help: the program's lines around fc_optable_rows_help */
	void (*usage)(const struct fc_optprog *p, FILE *f);
	/* why this program takes no such option, in its words (NULL: the
	 * generic "takes no --x option") */
	const char *(*refused)(const void *ctx, const struct fc_optrow *row);
};

/* Feeds every row's default (the program's over the row's) to p->set, in
 * table order; all rows when all, else only those p takes. Returns 0 or
 * -FC_EXIT_USAGE. */
int fc_optable_defaults(const struct fc_optprog *p, bool all);

/* Parses argv's options through p->set. Returns 0 with *first_arg set to
 * the first operand, 1 when --help was printed (exit 0), or -FC_EXIT_USAGE
 * after a message that names the option. */
int fc_optable_parse(const struct fc_optprog *p, int argc, char **argv, int *first_arg);

/* The option lines of --help, headings included. */
void fc_optable_rows_help(const struct fc_optprog *p, FILE *f);

/* The long names p takes, in --help order. Returns how many. */
int fc_optable_accepted(const struct fc_optprog *p, const char **names, int max);

/* A row's default in p (its own, or the program's). */
const char *fc_optable_default(const struct fc_optprog *p, const struct fc_optrow *row);

#endif
