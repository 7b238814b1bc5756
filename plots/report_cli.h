/* fabcheck-report's command line: -o and --compare, and the suite's
 * shared --help, through the one table mechanism (optable.h). */
#ifndef FC_REPORT_CLI_H
#define FC_REPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct fc_report_cli {
	const char *outdir;  /* -o; NULL: results/<UTC time>/ */
	const char *compare; /* --compare A,B */
	bool pool;           /* --pool: runs of one configuration are one series */
	bool gbit;           /* --units gbit: bandwidth in Gbit/s */
	int first_input;     /* argv index of the first INPUT */
};

/* Returns 0, 1 after --help (exit 0), or -FC_EXIT_USAGE after a message
 * naming the option (or saying that no input was given). */
int fc_report_parse(struct fc_report_cli *c, int argc, char **argv);

void fc_report_usage(FILE *f);

/* The long names fabcheck-report takes, in --help order (for the tests). */
int fc_report_accepted(const char **names, int max);

#endif
