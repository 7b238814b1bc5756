/* fabcheck-pairs' command line: its own rows (where this node is, what to
 * run, time limits, verdicts, output) and the suite's shared rows (data
 * path, memory, warmup, size time, window, -t, -T, the instance table),
 * through the one table mechanism (optable.h), with the shared rows'
 * limits: -w, -T, --size-time are checked as the benchmarks check them. */
#ifndef FC_PAIRS_OPTIONS_H
#define FC_PAIRS_OPTIONS_H

#include <stdio.h>

#include "pairs.h"

/* What the command line says beyond fc_pairs_opts. */
struct fc_pairs_cli {
	struct fc_pairs_opts *o;
	const char *mode; /* --mode; NULL: by the number of nodes */
	bool seeded;      /* --seed given; else the time */
	bool warmup_given, size_time_given; /* else --quick's shorter ones */
};

/* Fills *c->o from the defaults and argv; the step parameters' shared
 * part (provider, fabric, transport, window, warmup, size time) lands in
 * c->o->cfg.bw. Returns 0, 1 after --help (exit 0), or -FC_EXIT_USAGE
 * after a message naming the option. */
int fc_pairs_parse(struct fc_pairs_cli *c, int argc, char **argv);

void fc_pairs_usage(FILE *f);

/* The long names fabcheck-pairs takes, in --help order (for the tests). */
int fc_pairs_accepted(const char **names, int max);

#endif
