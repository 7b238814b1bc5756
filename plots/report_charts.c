#include "report_charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
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

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Size tics for a log2 axis: powers of two only, so switch-point sizes
 * (65, 16385) do not crowd the axis. */
static void size_tics(struct rp_series **s, size_t n, struct rp_buf *xt)
{
	int64_t *sizes = NULL;
	size_t k = 0, cap = 0;
	bool first = true;
	char b[32];

	for (size_t i = 0; i < n; i++)
		cap += s[i]->n;
	sizes = malloc((cap + 1) * sizeof(int64_t));
	if (!sizes)
		abort();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s[i]->n; j++)
			sizes[k++] = s[i]->pts[j].size;
	qsort(sizes, k, sizeof(int64_t), cmp_i64);
	rp_buf_printf(xt, "(");
	for (size_t i = 0; i < k; i++) {
		if ((i && sizes[i] == sizes[i - 1]) || (sizes[i] & (sizes[i] - 1)))
			continue;
		rp_buf_printf(xt, "%s\"%s\" %lld", first ? "" : ", ", rp_size(sizes[i], b, sizeof(b)), (long long)sizes[i]);
		first = false;
	}
	rp_buf_printf(xt, ")");
	free(sizes);
}

static size_t select_kind(struct rp_model *m, enum rp_kind k, bool out_of_place_only, struct rp_series ***out)
{
	struct rp_series **s = calloc(m->n + 1, sizeof(*s));
	size_t n = 0;

	if (!s)
		abort();
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].kind == k && m->s[i].n &&
		    !(out_of_place_only && json_is_true(json_object_get(m->s[i].rep, "in_place"))))
			s[n++] = &m->s[i];
	*out = s;
	return n;
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
			k++;
		}
	}
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	if (!k)
		return 0;
	size_tics(one, 1, &xt);
	rp_gp_set(&vars, "xt", rp_buf_str(&xt));
	rp_gp_set(&vars, "chart_title", title);
	rp_gp_set(&vars, "with_label", with_label);
	rp_gp_set(&vars, "without_label", without_label);
	rc = rp_plot(o, "speedup.gp", name, &vars);
	rp_buf_free(&xt);
	rp_buf_free(&vars);
	return rc;
}

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

/* Per-NIC bars: the lanes at the largest size of the first multi-lane
 * series (outside a cluster run, whose lanes the NIC table shows). */
static int nics(struct rp_out *o, struct rp_report *r)
{
	struct rp_series *s = NULL;
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
	json_array_foreach(r->in->records, i, rec) {
		const char *t = str(rec, "test");
		if (json_is_integer(json_object_get(rec, "lane")) && !json_is_integer(json_object_get(rec, "rank")) &&
		    !strcmp(t, rp_kind_name(s->kind)) && json_integer_value(json_object_get(rec, "lanes")) > 1 &&
		    json_is_number(json_object_get(rec, "bw_gbps")) && json_integer_value(json_object_get(rec, "size")) > best)
			best = json_integer_value(json_object_get(rec, "size"));
	}
	if (best < 0 || !(f = rp_out_create(o, "nics.dat")))
		return best < 0 ? 0 : -FC_EXIT_FABRIC;
	json_array_foreach(r->in->records, i, rec) {
		struct rp_buf lab = {0};
		if (!json_is_integer(json_object_get(rec, "lane")) || json_is_integer(json_object_get(rec, "rank")) ||
		    strcmp(str(rec, "test"), rp_kind_name(s->kind)) ||
		    json_integer_value(json_object_get(rec, "size")) != best ||
		    json_integer_value(json_object_get(rec, "lanes")) != json_integer_value(json_object_get(s->rep, "lanes")) ||
		    strcmp(str(rec, "provider"), str(s->rep, "provider")) || !json_is_number(json_object_get(rec, "bw_gbps")))
			continue;
		rp_buf_printf(&lab, "%s#%lld", str(rec, "domain"), (long long)json_integer_value(json_object_get(rec, "lane")));
		rp_dat_str(f, rp_buf_str(&lab));
		fprintf(f, " %.6g\n", json_number_value(json_object_get(rec, "bw_gbps")));
		rp_buf_free(&lab);
		k++;
	}
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	if (!k)
		return 0;
	rp_buf_printf(&title, "per-NIC bandwidth at %s (%s)", rp_size(best, b, sizeof(b)), s->label);
	rp_gp_set(&vars, "chart_title", rp_buf_str(&title));
	rc = rp_plot(o, "nics.gp", "nics", &vars);
	rp_buf_free(&vars);
	rp_buf_free(&title);
	return rc;
}

static int heatmap(struct rp_out *o, struct rp_report *r)
{
	struct rp_heatmap *h = &r->hm;
	struct rp_buf vars = {0}, title = {0};
	char b[32];
	FILE *f;
	int rc;

	if (!r->have_hm)
		return 0;
	if (!(f = rp_out_create(o, "heatmap.dat")))
		return -FC_EXIT_FABRIC;
	fprintf(f, "node");
	for (size_t c = 0; c < h->n; c++) {
		fputc(' ', f);
		rp_dat_str(f, h->names[c]);
	}
	for (size_t a = 0; a < h->n; a++) {
		fputc('\n', f);
		rp_dat_str(f, h->names[a]);
		for (size_t c = 0; c < h->n; c++)
			fprintf(f, isnan(h->cell[a * h->n + c]) ? " NaN" : " %.6g", h->cell[a * h->n + c]);
	}
	fputc('\n', f);
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	rp_buf_printf(&title, "node-pair bandwidth at %s (client rows, server columns)", rp_size(h->size, b, sizeof(b)));
	rp_gp_set(&vars, "chart_title", rp_buf_str(&title));
	rc = rp_plot(o, "heatmap.gp", "heatmap", &vars);
	rp_buf_free(&vars);
	rp_buf_free(&title);
	return rc;
}

int rp_charts_draw(struct rp_out *o, struct rp_report *r)
{
	struct rp_series **s;
	size_t n;
	int rc = 0;

	n = select_kind(r->m, r->m->bw_kind, false, &s);
	if (n)
		rc = curves(o, s, n, "bandwidth", "bandwidth.gp", "bandwidth against message size", NULL, false);
	free(s);
	n = select_kind(r->m, RP_PINGPONG, false, &s);
	if (!rc && n)
		rc = curves(o, s, n, "latency", "latency.gp", "one-way latency against message size", NULL, true);
	free(s);
	if (!rc && r->bw.with && r->bw.without)
		rc = speedup(o, &r->bw, "speedup", "speed-up per message size", r->bw.with->label, r->bw.without->label);
	n = select_kind(r->m, RP_RMA, false, &s);
	if (!rc && n)
		rc = curves(o, s, n, "rma", "bandwidth.gp", "RMA bandwidth against message size", NULL, false);
	free(s);
	n = select_kind(r->m, RP_MR, false, &s);
	if (!rc && n)
		rc = curves(o, s, n, "mr", "latency.gp", "memory registration time against size",
			    "registration time (µs): p50, bars min..p99", true);
	free(s);
	n = select_kind(r->m, RP_NCCL, false, &s);
	if (!rc && n)
		rc = curves(o, s, n, "nccl_busbw", "bandwidth.gp", "NCCL bus bandwidth against message size",
			    "bus bandwidth, busbw (GB/s, 1 GB/s = 10^9 bytes/s)", false);
	free(s);
	if (!rc && r->nccl.with && r->nccl.without)
		rc = speedup(o, &r->nccl, "nccl_speedup", "NCCL speed-up per message size",
			     r->nccl.by_user ? r->nccl.with->label : "busbw EFA",
			     r->nccl.by_user ? r->nccl.without->label : "busbw non-EFA");
	if (!rc)
		rc = nics(o, r);
	if (!rc)
		rc = heatmap(o, r);
	rp_plot_done(o);
	return rc;
}
