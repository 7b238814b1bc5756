/* fabcheck-diag: is this node ready for NCCL over EFA, and if not, why.
 * A verdict per check (PASS, WARN, FAIL, SKIP) with the remedy and the kind
 * of action; exit 0 when nothing FAILs, 1 otherwise. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "diag_check.h"
#include "diag_cli.h"
#include "diag_out.h"
#include "errors.h"
#include "log.h"

static void find_table(char *out, size_t len)
{
	char exe[PATH_MAX], probe[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (snprintf(probe, sizeof(probe), "%s/../share/fabcheck/instance-types.tsv", exe) < (int)sizeof(probe) &&
		    access(probe, R_OK) == 0 && snprintf(out, len, "%s", probe) < (int)len)
			return;
	}
	snprintf(out, len, "%s", FC_SOURCE_DIAG "/instance-types.tsv");
}

int main(int argc, char **argv)
{
	static struct fc_diag_cli cli;
	struct diag_options o;
	const char *json_path;
	bool colour = isatty(STDOUT_FILENO);
	static struct diag_facts f;
	static struct diag_check checks[DIAG_NCHECKS];
	struct diag_itype *table = NULL;
	struct fc_resfile out = {0};
	int ntable, n, fails = 0, rc;

	fc_log_set_prog("fabcheck-diag");
	if ((rc = fc_diag_parse(&cli, argc, argv)))
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	o = cli.o;
	json_path = cli.json_path;
	/* the output path is checked before anything is gathered: a folder,
	 * a missing folder or a FIFO nobody reads is a usage error now */
	if (json_path && (rc = fc_resfile_open(&out, json_path)))
		return fc_exit_status(rc);
	if (!*cli.table_path)
		find_table(cli.table_path, sizeof(cli.table_path));
	if ((rc = diag_table_load(cli.table_path, &table, &ntable)) || (rc = diag_gather(&f, &o, table, ntable))) {
		free(table);
		if (json_path)
			fc_resfile_close(&out, rc);
		return fc_exit_status(rc);
	}
	n = cli.nccl_env ? diag_run_nccl_env(&f, checks) : diag_run_checks(&f, cli.expect_efa, checks);
	for (int i = 0; i < n; i++)
		fails += checks[i].v == DIAG_FAIL;
	if (!json_path || strcmp(json_path, "-")) {
		diag_print(stdout, checks, n, colour);
		printf("%d check(s): %d failed\n", n, fails);
		fflush(stdout);
	}
	rc = 0;
	if (json_path) {
		json_t *doc = diag_json(&f, checks, n);
		rc = diag_write_json(doc, &out, fails == 0);
		json_decref(doc);
	}
	diag_free_checks(checks, n);
	free(table);
	if (rc)
		return fc_exit_status(rc);
	return fails ? FC_EXIT_BELOW : FC_EXIT_OK;
}
