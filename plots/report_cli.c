#include "report_cli.h"

#include <string.h>

#include "errors.h"
#include "log.h"
#include "optable.h"
#include "optrows.h"

enum { O_OUTPUT = FC_O_PROGRAM, O_COMPARE, O_POOL };

static const struct fc_optrow report_rows[] = {
	{.type = FC_OPT_TEXT, .lng = "output", .shrt = 'o', .id = O_OUTPUT, .groups = FC_OPTS_REPORT, .arg = "DIR",
	 .help = "where the report goes (default results/<UTC time>/; an\nexisting DIR must be an empty folder)"},
	{.type = FC_OPT_TEXT, .lng = "compare", .id = O_COMPARE, .groups = FC_OPTS_REPORT, .arg = "A,B",
	 .help = "compare series A against B (ids S1, S2 ... as the report\n"
		 "lists them, or text unique to a series' label, such as\nthe label a run was given)"},
	{.type = FC_OPT_FLAG, .lng = "pool", .id = O_POOL, .groups = FC_OPTS_REPORT,
	 .help = "pool the runs of one configuration into one series (default:\neach run, by its records' run and label, its own)"},
	{.type = FC_OPT_END},
};

static const struct fc_optrow *const report_tables[] = {report_rows, fc_shared_rows, NULL};

static void report_usage(const struct fc_optprog *p, FILE *f)
{
	fprintf(f, "usage: fabcheck-report [-o DIR] [--compare A,B] [--pool] [--units gbit] INPUT...\n"
		   "INPUT: fabcheck JSON Lines record files (any mix of programs and transports),\n"
		   "nccl-tests output (its text table or its JSON file), or the cluster runner's\n"
		   "output folder (or its pairs.jsonl). Writes DIR/report.md (the comparison table\n"
		   "with speed-up, every series in the input, latency, RMA, MR, NCCL and cluster\n"
		   "tables, provenance), PNG and SVG charts, their gnuplot data, and the records.\n\n");
	fc_optable_rows_help(p, f);
	fprintf(f, "Exit: 0 written, 2 bad or empty input or options (nothing written),\n"
		   "3 the report could not be written (folder, gnuplot missing or failed).\n");
}

static int set_row(void *ctx, const struct fc_optrow *row, const struct fc_optarg *a)
{
	struct fc_report_cli *c = ctx;

	if (row->id == O_OUTPUT)
		c->outdir = a->v.s;
	else if (row->id == O_COMPARE)
		c->compare = a->v.s;
	else if (row->id == O_POOL)
		c->pool = true;
	else if (row->id == FC_O_UNITS)
		c->gbit = !strcmp(a->v.s, "gbit");
	return 0;
}

static void report_prog(struct fc_optprog *p, struct fc_report_cli *c)
{
	*p = (struct fc_optprog){.name = "fabcheck-report", .takes = FC_OPTS_REPORT, .tables = report_tables,
				 .set = set_row, .ctx = c, .usage = report_usage};
}

int fc_report_parse(struct fc_report_cli *c, int argc, char **argv)
{
	struct fc_optprog p;
	int rc;

	*c = (struct fc_report_cli){0};
	report_prog(&p, c);
	if ((rc = fc_optable_parse(&p, argc, argv, &c->first_input)))
		return rc;
	if (c->first_input == argc) {
		fc_err("no input given: name fabcheck record files, nccl-tests output or a cluster runner's folder "
		       "(see --help)");
		return -FC_EXIT_USAGE;
	}
	return 0;
}

void fc_report_usage(FILE *f)
{
	struct fc_optprog p;

	report_prog(&p, NULL);
	report_usage(&p, f);
}

int fc_report_accepted(const char **names, int max)
{
	struct fc_optprog p;

	report_prog(&p, NULL);
	return fc_optable_accepted(&p, names, max);
}
