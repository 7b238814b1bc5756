#include "report_charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "record.h"
#include "report_fmt.h"
#include "report_plot.h"

const struct rp_chart rp_charts[] = {
	{"bandwidth", "bandwidth against message size"},
	{"latency", "one-way latency against message size"},
	{"speedup", "speed-up per message size"},
	{"rma", "RMA bandwidth against message size"},
	{"mr", "memory registration time against size"},
	{"nccl_busbw", "NCCL bus bandwidth against message size"},
	{"nccl_speedup", "NCCL speed-up, EFA over non-EFA"},
	{"nics", "per-NIC bandwidth"},
	{"heatmap", "node-pair bandwidth"},
	{NULL, NULL},
};

typedef double (*metric_fn)(const struct rp_point *p);
static double m_bw(const struct rp_point *p) { return p->med.bw; }

/* Size tics for a log2 axis: powers of two only, so switch-point sizes
 * (65, 16385) do not crowd the axis. */
static void size_tics(struct rp_series **s, size_t n, struct rp_buf *xt)
{
	bool first = true;
	char b[32];

	rp_buf_printf(xt, "(");
	for (int64_t size = rp_next_size(s, n, -1); size >= 0; size = rp_next_size(s, n, size)) {
		if (size & (size - 1))
			continue;
		rp_buf_printf(xt, "%s\"%s\" %lld", first ? "" : ", ", rp_size(size, b, sizeof(b)), (long long)size);
		first = false;
	}
	rp_buf_printf(xt, ")");
}

/* The series of kind k that have points; NULL (r->nomem set) when memory
 * is out. */
static size_t select_kind(struct rp_report *r, enum rp_kind k, bool out_of_place_only, struct rp_series ***out)
{
	struct rp_model *m = r->m;
	struct rp_series **s = calloc(m->n + 1, sizeof(*s));
	size_t n = 0;

	*out = s;
	if (!s) {
		r->nomem = true;
		return 0;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].kind == k && m->s[i].n &&
		    !(out_of_place_only && json_is_true(json_object_get(m->s[i].rep, "in_place"))))
			s[n++] = &m->s[i];
	return n;
}

/* At most RP_MAX_CURVES of s[0..n), in place: the compared pair's
 * members first (the speed-up chart divides them), then the others in
 * order. Returns the count kept; r->curves_cut says what was left out. */
static size_t keep_curves(struct rp_report *r, struct rp_series **s, size_t n)
{
	const struct rp_series *pair[] = {r->bw.with, r->bw.without, r->lat.with, r->lat.without, r->nccl.with,
					  r->nccl.without};
	const size_t np = sizeof(pair) / sizeof(pair[0]);
	struct rp_series *keep[RP_MAX_CURVES];
	size_t k = 0;

	if (n <= RP_MAX_CURVES)
		return n;
	for (size_t i = 0; i < n && k < RP_MAX_CURVES; i++)
		for (size_t p = 0; p < np; p++)
			if (s[i] == pair[p]) {
				keep[k++] = s[i];
				break;
			}
	for (size_t i = 0, p; i < n && k < RP_MAX_CURVES; i++) {
		for (p = 0; p < np && s[i] != pair[p]; p++)
			;
		if (p == np)
			keep[k++] = s[i];
	}
	memcpy(s, keep, k * sizeof(*s));
	if (n - k > r->curves_cut)
		r->curves_cut = n - k;
	return k;
}

/* One block per series, titled by its label: gnuplot reads the label as
 * data (columnheader), never as a command. */
static int curves(struct rp_out *o, struct rp_series **s, size_t n, const char *name, const char *script,
		  const char *title, const char *ylab, bool latency)
{
	struct rp_buf xt = {0}, vars = {0};
	char file[256];
	size_t blocks = 0;
	FILE *f;
	int rc;

	snprintf(file, sizeof(file), "%s.dat", name);
	if (!(f = rp_out_create(o, file)))
		return -FC_EXIT_FABRIC;
	for (size_t i = 0; i < n; i++) {
		size_t rows = 0;
		for (size_t j = 0; j < s[i]->n; j++)
			rows += !isnan(latency ? s[i]->pts[j].med.p50 : s[i]->pts[j].med.bw);
		if (!rows)
			continue;
		fprintf(f, "%s", blocks++ ? "\n\n" : "");
		rp_dat_str(f, s[i]->label);
		fputc(' ', f);
		rp_dat_str(f, s[i]->label);
		fputc('\n', f);
		for (size_t j = 0; j < s[i]->n; j++) {
			const struct rp_sample *p = &s[i]->pts[j].med;
			if (latency && !isnan(p->p50))
				fprintf(f, "%lld %.6g %.6g %.6g\n", (long long)s[i]->pts[j].size, p->p50,
					isnan(p->min) ? p->p50 : p->min, isnan(p->p99) ? p->p50 : p->p99);
			else if (!latency && !isnan(p->bw))
				fprintf(f, "%lld %.6g\n", (long long)s[i]->pts[j].size, p->bw);
		}
	}
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	if (!blocks)
		return 0;
	size_tics(s, n, &xt);
	rp_buf_printf(&vars, "nseries = %zu\n", blocks);
	rp_gp_set(&vars, "xt", rp_buf_str(&xt));
	vars.nomem |= xt.nomem; /* rp_plot says it */
	rp_gp_set(&vars, "chart_title", title);
	if (ylab)
		rp_gp_set(&vars, "ylab", ylab);
	rc = rp_plot(o, script, name, &vars);
	rp_buf_free(&xt);
	rp_buf_free(&vars);
	return rc;
}

static int speedup(struct rp_out *o, const struct rp_pair *p, const char *name, const char *title,
		   const char *with_label, const char *without_label)
{
	struct rp_buf xt = {0}, vars = {0};
	struct rp_series *one[1] = {p->with};
	char file[256];
	size_t k = 0;
	double top = 0;
	char ymax[32];
	FILE *f;
	int rc;

	if (!p->with || !p->without)
		return 0;
	snprintf(file, sizeof(file), "%s.dat", name);
	if (!(f = rp_out_create(o, file)))
		return -FC_EXIT_FABRIC;
	for (size_t i = 0; i < p->with->n; i++) {
		const struct rp_point *q = rp_at(p->without, p->with->pts[i].size);
		double r = q ? m_bw(&p->with->pts[i]) / m_bw(q) : NAN;
		if (isfinite(r)) {
			fprintf(f, "%lld %.6g\n", (long long)p->with->pts[i].size, r);
			top = r > top ? r : top;
			k++;
		}
	}
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	if (!k)
		return 0;
	size_tics(one, 1, &xt);
	rp_gp_set(&vars, "xt", rp_buf_str(&xt));
	vars.nomem |= xt.nomem; /* rp_plot says it */
	rp_gp_set(&vars, "chart_title", title);
	rp_gp_set(&vars, "with_label", with_label);
	rp_gp_set(&vars, "without_label", without_label);
	/* 1x inside the frame even when every value is below it */
	snprintf(ymax, sizeof(ymax), "%.4g", top * 1.05 > 1.15 ? top * 1.05 : 1.15);
	rp_gp_set(&vars, "ymax", ymax);
	rc = rp_plot(o, "speedup.gp", name, &vars);
	rp_buf_free(&xt);
	rp_buf_free(&vars);
	return rc;
}

/* One NIC's record of a kind's multi-lane run (not the aggregate, not the
 * cluster runner's), with a bandwidth. */
static bool nic_lane(const struct fc_rec *x, enum rp_kind k)
{
	return x->lane.set && !x->lane.all && !x->rank.set && x->test && !strcmp(x->test, rp_kind_name(k)) &&
	       x->bw_gbps.set;
}

/* Per-NIC bars: the lanes at the largest size of the first multi-lane
 * series (outside a cluster run, whose lanes the NIC table shows). */
static int nics(struct rp_out *o, struct rp_report *r)
{
	struct rp_series *s = NULL;
	struct fc_rec rep, x;
	int64_t best = -1;
	size_t i, k = 0;
	json_t *rec;
	struct rp_buf vars = {0}, title = {0};
	char b[32];
	FILE *f;
	int rc;

	for (size_t j = 0; j < r->m->n && !s; j++)
		if (r->m->s[j].lane_records && r->m->s[j].kind != RP_NCCL)
			s = &r->m->s[j];
	if (!s)
		return 0;
	fc_rec_from_json(&rep, s->rep);
	json_array_foreach(r->in->records, i, rec) {
		fc_rec_from_json(&x, rec);
		if (nic_lane(&x, s->kind) && x.lanes.v > 1 && x.size.v > best)
			best = x.size.v;
	}
	if (best < 0 || !(f = rp_out_create(o, "nics.dat")))
		return best < 0 ? 0 : -FC_EXIT_FABRIC;
	json_array_foreach(r->in->records, i, rec) {
		struct rp_buf lab = {0};
		fc_rec_from_json(&x, rec);
		if (!nic_lane(&x, s->kind) || x.size.v != best || x.lanes.v != rep.lanes.v ||
		    strcmp(fc_str_or(x.provider, ""), fc_str_or(rep.provider, "")))
			continue;
		rp_buf_printf(&lab, "%s#%lld", fc_str_or(x.domain, ""), (long long)x.lane.v);
		rp_dat_str(f, rp_buf_str(&lab));
		vars.nomem |= lab.nomem; /* rp_plot says it */
		fprintf(f, " %.6g\n", rp_bw(x.bw_gbps.v));
		rp_buf_free(&lab);
		k++;
	}
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	if (!k)
		return 0;
	rp_buf_printf(&title, "per-NIC bandwidth at %s (%s)", rp_size(best, b, sizeof(b)), s->label);
	rp_gp_set(&vars, "chart_title", rp_buf_str(&title));
	vars.nomem |= title.nomem; /* rp_plot says it */
	rc = rp_plot(o, "nics.gp", "nics", &vars);
	rp_buf_free(&vars);
	rp_buf_free(&title);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The colour scale's anchors: the median measured pair (ref) and the
 * verdict's lines as fractions of it (verdict.json's thresholds, else the
 * defaults 0.8 and 0.9): a passing cluster reads uniformly good, not as
 * its own min-to-max range painted red to green. */
static void heatmap_scale(const struct rp_report *r, struct rp_buf *vars)
{
	const struct rp_heatmap *h = &r->hm;
	const json_t *t = json_object_get(r->in->verdict_summary, "thresholds");
	double *v = malloc(sizeof(double) * (h->n * h->n + 1)), ref = 0;
	double fail = json_is_number(json_object_get(t, "fail")) ? json_number_value(json_object_get(t, "fail")) : 0.8;
	double warn = json_is_number(json_object_get(t, "warn")) ? json_number_value(json_object_get(t, "warn")) : 0.9;
	size_t n = 0;

	for (size_t i = 0; v && i < h->n * h->n; i++)
		if (isfinite(h->cell[i]) && h->cell[i] > 0)
			v[n++] = h->cell[i];
	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		ref = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
	{
		/* the verdict's own reference where it judged this size: the
		 * median of the node scores, which a slow node's pairs do not
		 * drag down as they drag the median cell */
		const json_t *nodes = json_object_get(r->in->verdict_summary, "node_verdicts"), *nd, *e;
		size_t i, j;
		json_array_foreach(nodes, i, nd)
			json_array_foreach(json_object_get(nd, "evidence"), j, e)
				if (!strcmp(json_string_value(json_object_get(e, "test")) ? json_string_value(json_object_get(e, "test")) : "", "bw") &&
				    json_integer_value(json_object_get(e, "size")) == h->size && !json_object_get(e, "lane") &&
				    json_number_value(json_object_get(e, "reference")) > 0)
					ref = json_number_value(json_object_get(e, "reference"));
	}
	if (!(fail > 0 && fail < warn && warn < 1))
		fail = 0.8, warn = 0.9;
	rp_buf_printf(vars, "ref = %.6g\nfail_frac = %.4g\nwarn_frac = %.4g\n", ref > 0 ? ref : 1, fail, warn);
}

static int heatmap(struct rp_out *o, struct rp_report *r)
{
	struct rp_heatmap *h = &r->hm;
	bool named = h->n <= RP_HEATMAP_NAMES_MAX;
	struct rp_buf vars = {0}, title = {0};
	char b[32];
	FILE *f;
	int rc;

	if (!r->have_hm)
		return 0;
	if (!(f = rp_out_create(o, "heatmap.dat")))
		return -FC_EXIT_FABRIC;
	/* past RP_HEATMAP_NAMES_MAX, a bare matrix: the axes are ranks */
	if (named) {
		fprintf(f, "node");
		for (size_t c = 0; c < h->n; c++) {
			fputc(' ', f);
			rp_dat_str(f, h->names[c]);
		}
	} else {
		fprintf(f, "# rows: client rank 0..%zu, columns: server rank (names: report.md's node table)", h->n - 1);
	}
	for (size_t a = 0; a < h->n; a++) {
		fputc('\n', f);
		if (named)
			rp_dat_str(f, h->names[a]);
		/* numbers gnuplot reads without complaint: -1 not measured (the
		 * diagonal too), -2 a pair whose steps failed (heatmap.gp) */
		for (size_t c = 0; c < h->n; c++)
			if (!isnan(h->cell[a * h->n + c]))
				fprintf(f, " %.6g", h->cell[a * h->n + c]);
			else
				fprintf(f, h->failed && h->failed[a * h->n + c] ? " -2" : " -1");
	}
	fputc('\n', f);
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	rp_buf_printf(&title, "node-pair bandwidth at %s (client rows, server columns%s; X: failed, blank: not measured)",
		      rp_size(h->size, b, sizeof(b)), h->n > RP_HEATMAP_NAMES_MAX ? ", rank order" : "");
	rp_gp_set(&vars, "chart_title", rp_buf_str(&title));
	vars.nomem |= title.nomem; /* rp_plot says it */
	rp_buf_printf(&vars, "nodes = %zu\ncell_values = %d\nnode_names = %d\n", h->n, h->n <= RP_HEATMAP_LABELS_MAX,
		      named);
	heatmap_scale(r, &vars);
	rc = h->n <= RP_HEATMAP_SVG_MAX ? rp_plot(o, "heatmap.gp", "heatmap", &vars)
					: rp_plot_png(o, "heatmap.gp", "heatmap", &vars);
	rp_buf_free(&vars);
	rp_buf_free(&title);
	return rc;
}

int rp_charts_draw(struct rp_out *o, struct rp_report *r)
{
	struct rp_series **s;
	size_t n;
	int rc = 0;

	n = select_kind(r, r->m->bw_kind, false, &s);
	n = keep_curves(r, s, n);
	if (n)
		rc = curves(o, s, n, "bandwidth", "bandwidth.gp", "bandwidth against message size", NULL, false);
	free(s);
	n = select_kind(r, RP_PINGPONG, false, &s);
	n = keep_curves(r, s, n);
	if (!rc && n)
		rc = curves(o, s, n, "latency", "latency.gp", "one-way latency against message size", NULL, true);
	free(s);
	if (!rc && r->bw.with && r->bw.without)
		rc = speedup(o, &r->bw, "speedup", "speed-up per message size", r->bw.with->label, r->bw.without->label);
	n = select_kind(r, RP_RMA, false, &s);
	n = keep_curves(r, s, n);
	if (!rc && n)
		rc = curves(o, s, n, "rma", "bandwidth.gp", "RMA bandwidth against message size", NULL, false);
	free(s);
	n = select_kind(r, RP_MR, false, &s);
	n = keep_curves(r, s, n);
	if (!rc && n)
		rc = curves(o, s, n, "mr", "latency.gp", "memory registration time against size",
			    "registration time (µs): p50, bars min..p99", true);
	free(s);
	/* out-of-place only: in-place lines lie on top of them and hide
	 * them (the table keeps both) */
	n = select_kind(r, RP_NCCL, true, &s);
	n = keep_curves(r, s, n);
	if (!rc && n)
		rc = curves(o, s, n, "nccl_busbw", "bandwidth.gp", "NCCL bus bandwidth against message size (out-of-place)",
			    "bus bandwidth, busbw", false);
	free(s);
	if (!rc && r->nccl.with && r->nccl.without)
		rc = speedup(o, &r->nccl, "nccl_speedup", "NCCL speed-up per message size",
			     r->nccl.by_user ? r->nccl.with->label : "busbw EFA",
			     r->nccl.by_user ? r->nccl.without->label : "busbw non-EFA");
	if (!rc)
		rc = nics(o, r);
	if (!rc)
		rc = heatmap(o, r);
	if (!rc && r->nomem)
		rc = rp_nomem("choosing the series to draw");
	rp_plot_done(o);
	return rc;
}
