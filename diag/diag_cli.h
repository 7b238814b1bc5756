/* fabcheck-diag's command line: its own rows and the suite's shared ones
 * (--sysfs-root, --instance-type, --table, --json, --help), through the
 * one table mechanism (optable.h). Links without libfabric. */
#ifndef FC_DIAG_CLI_H
#define FC_DIAG_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

struct fc_diag_cli {
	struct diag_options o;
	bool expect_efa;
	bool nccl_env;           /* --nccl-env: NCCL's plugin, its libfabric, the variables */
	const char *json_path;   /* NULL: the checklist only */
	char root[PATH_MAX];     /* --root, or --sysfs-root's parent */
	char table_path[PATH_MAX]; /* empty: find the installed one */
};

/* Returns 0, 1 after --help (exit 0), or -FC_EXIT_USAGE after a message
 * naming the option. */
int fc_diag_parse(struct fc_diag_cli *c, int argc, char **argv);

void fc_diag_usage(FILE *f);

/* The long names fabcheck-diag takes, in --help order (for the tests). */
int fc_diag_accepted(const char **names, int max);

#endif
