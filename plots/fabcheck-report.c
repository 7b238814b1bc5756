/* fabcheck-report: fabcheck records, nccl-tests output and the cluster
 * runner's folder in; report.md, PNG/SVG charts and their data out.
 *   fabcheck-report [-o DIR] [--compare A,B] INPUT...
 * main() reads like the table of contents: load, group, pick, draw, write,
 * and move the finished folder into place. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "report.h"
#include "report_charts.h"
#include "report_cli.h"
#include "report_fmt.h"
#include "report_md.h"
#include "report_out.h"

/* The gnuplot scripts: $FABCHECK_PLOTS, else installed beside the binary
 * (<prefix>/share/fabcheck/plots), else the source tree it was built from. */
static void find_plots(char *out, size_t len)
{
	const char *env = getenv("FABCHECK_PLOTS");
	char exe[PATH_MAX], probe[PATH_MAX + 64], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (snprintf(out, len, "%s/../share/fabcheck/plots", exe) < (int)len &&
		    snprintf(probe, sizeof(probe), "%s/bandwidth.gp", out) < (int)sizeof(probe) && access(probe, R_OK) == 0)
			return;
	}
	snprintf(out, len, "%s", FC_SOURCE_PLOTS);
}

static int save_records(struct rp_out *o, json_t *records)
{
	FILE *f = rp_out_create(o, "records.jsonl");
	size_t i;
	json_t *rec;

	if (!f)
		return -FC_EXIT_FABRIC;
	json_array_foreach(records, i, rec) {
		char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(f, "%s\n", line ? line : "{}");
		free(line);
	}
	return fclose(f) ? -FC_EXIT_FABRIC : 0;
}

static int pick_pairs(struct rp_report *r, const char *compare)
{
	struct rp_pair user = {0};
	char why[512];

	if (compare) {
		if (rp_parse_compare(r->m, compare, &user, why, sizeof(why))) {
			fc_err("%s", why);
			return -FC_EXIT_USAGE;
		}
		if (user.with->kind != r->m->bw_kind && user.with->kind != RP_PINGPONG && user.with->kind != RP_NCCL) {
			fc_err("--compare: S%d is %s; the comparison table takes %s, pingpong or nccl series",
			       user.with->id, rp_kind_name(user.with->kind), rp_kind_name(r->m->bw_kind));
			return -FC_EXIT_USAGE;
		}
	}
	rp_pick(r->m, r->m->bw_kind, compare ? &user : NULL, &r->bw);
	rp_pick(r->m, RP_PINGPONG, compare ? &user : NULL, &r->lat);
	rp_pick(r->m, RP_NCCL, compare ? &user : NULL, &r->nccl);
	return 0;
}

static int render(struct rp_report *r, const char *outdir)
{
	struct rp_out o = {0};
	int rc = rp_out_prepare(&o, outdir);

	if (rc)
		return rc;
	find_plots(o.plots, sizeof(o.plots));
	rc = rp_charts_draw(&o, r);
	if (!rc)
		rc = save_records(&o, r->in->records);
	if (!rc)
		rc = rp_md_write(&o, r);
	if (!rc)
		rc = rp_out_commit(&o);
	if (rc)
		rp_out_abort(&o);
	else
		printf("report: %s/report.md (%d chart%s, PNG and SVG)\n", o.final, o.charts, o.charts == 1 ? "" : "s");
	return rc;
}

int main(int argc, char **argv)
{
	struct fc_report_cli cli;
	struct rp_input in;
	struct rp_model m = {0};
	struct rp_cluster c = {0};
	struct rp_report r = {.in = &in, .m = &m, .c = &c};
	int rc = 0;

	fc_log_set_prog("fabcheck-report");
	signal(SIGPIPE, SIG_IGN); /* a write to a dead gnuplot is an error, not a death */
	if ((rc = fc_report_parse(&cli, argc, argv)))
		return rc > 0 ? FC_EXIT_OK : fc_exit_status(rc);
	rp_units_gbit(cli.gbit);
	rp_input_init(&in);
	for (int i = cli.first_input; i < argc && !rc; i++)
		rc = rp_input_load(&in, argv[i]);
	if (!rc && json_array_size(in.records) == 0) {
		fc_err("no records in the input: run a fabcheck program with --json FILE, or give nccl-tests output");
		rc = -FC_EXIT_USAGE;
	}
	if (!rc) {
		rc = rp_model_build(&m, in.records, in.origin, cli.pool);
		if (!rc)
			rc = rp_cluster_build(&c, in.records);
		if (!rc && m.n == 0 && !c.present) {
			fc_err("nothing to report: the input's %zu records are %zu coverage records and %zu of kinds this "
			       "report does not draw (it draws pingpong, bw, rma, mr, nccl and the cluster runner's)",
			       json_array_size(in.records), m.coverage, json_array_size(in.records) - m.coverage);
			rc = -FC_EXIT_USAGE;
		}
	}
	if (!rc)
		rc = pick_pairs(&r, cli.compare);
	if (!rc) {
		rc = rp_heatmap_build(&r.hm, in.records, &c);
		r.have_hm = rc == 1;
		if (rc >= 0)
			rc = render(&r, cli.outdir);
		rp_heatmap_free(&r.hm);
	}
	rp_cluster_free(&c);
	rp_model_free(&m);
	rp_input_free(&in);
	return fc_exit_status(rc);
}
