#include "report_md.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "record.h"
#include "report_charts.h"
#include "report_fmt.h"

/* The series of kind k, in the model's order; NULL (r->nomem set) when
 * memory is out. */
static size_t of_kind(struct rp_report *r, enum rp_kind k, struct rp_series ***out)
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
		if (m->s[i].kind == k)
			s[n++] = &m->s[i];
	return n;
}

static void cell(FILE *f, double v, int prec)
{
	if (isnan(v))
		fprintf(f, " |");
	else
		fprintf(f, " %.*f |", prec, v);
}

static void name(FILE *f, const struct rp_series *s)
{
	fprintf(f, "S%d ", s->id);
	rp_md(f, s->label);
}

enum metric { M_BW, M_P50, M_DEREG };

static double metric(const struct rp_point *p, enum metric m)
{
	if (!p)
		return NAN;
	return m == M_BW ? p->med.bw : m == M_P50 ? p->med.p50 : p->med.dereg;
}

/* Size by series: every series of a set gets its own column. */
static void wide(FILE *f, struct rp_series **s, size_t n, enum metric m, const char *unit)
{
	char b[32];

	fprintf(f, "| message size |");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, " ");
		name(f, s[i]);
		fprintf(f, ", %s |", unit);
	}
	fprintf(f, "\n|---:|");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (int64_t size = rp_next_size(s, n, -1); size >= 0; size = rp_next_size(s, n, size)) {
		fprintf(f, "| %s |", rp_size(size, b, sizeof(b)));
		for (size_t i = 0; i < n; i++)
			cell(f, metric(rp_at(s[i], size), m), 2);
		fprintf(f, "\n");
	}
}

static const char *role(const struct rp_report *r, const struct rp_series *s)
{
	const struct rp_pair *p[] = {&r->bw, &r->lat, &r->nccl};
	for (int i = 0; i < 3; i++) {
		if (p[i]->with == s && !p[i]->without)
			return "shown alone";
		if (p[i]->with == s)
			return i == 1 ? "latency compared" : "compared";
		if (p[i]->without == s)
			return i == 1 ? "latency baseline" : "baseline";
	}
	return "also in the input";
}

static void series_list(FILE *f, struct rp_report *r)
{
	struct rp_model *m = r->m;
	const char *what;
	json_t *v;

	if (!m->n)
		return;
	fprintf(f, "\n## Series in the input\n\n"
		   "A series is one configuration (README \"Series\"); repeats of a size are reduced to their median.\n\n"
		   "| id | series | records | sizes | host pairs | role |\n|---|---|---:|---:|---|---|\n");
	for (size_t i = 0; i < m->n; i++) {
		struct rp_series *s = &m->s[i];
		const char *pair;
		size_t k = 0;
		fprintf(f, "| S%d | ", s->id);
		rp_md(f, s->label);
		fprintf(f, " (`%s`) | %zu", rp_kind_name(s->kind), s->records);
		if (s->lane_records)
			fprintf(f, " (%zu per NIC)", s->lane_records);
		fprintf(f, " | %zu | ", s->n);
		json_object_foreach(s->host_pairs, pair, v) {
			if (k++ < 3) {
				fprintf(f, "%s", k > 1 ? ", " : "");
				rp_md(f, pair);
			}
		}
		if (k > 3)
			fprintf(f, " and %zu more (pooled as repeats)", k - 3);
		fprintf(f, " | %s |\n", role(r, s));
	}
	if (m->coverage || m->cluster || json_object_size(m->ignored))
		fprintf(f, "\n");
	if (m->coverage)
		fprintf(f, "- %zu `coverage` records (NIC counter proofs) are not charted; they are in records.jsonl.\n",
			m->coverage);
	if (m->cluster)
		fprintf(f, "- %zu records of the cluster runner are in \"Cluster pre-flight\".\n", m->cluster);
	json_object_foreach(m->ignored, what, v) {
		fprintf(f, "- ignored: %lld ", (long long)json_integer_value(v));
		rp_md(f, what);
		fprintf(f, ".\n");
	}
}

static void ratio_summary(FILE *f, const struct rp_pair *p, const char *noun)
{
	double lo = INFINITY, hi = -INFINITY;
	int64_t hi_size = 0, first2x = -1;
	size_t shared = 0;
	char b[32], rb[32], rb2[32];

	for (size_t i = 0; i < p->with->n; i++) {
		const struct rp_point *q = rp_at(p->without, p->with->pts[i].size);
		double x = q ? p->with->pts[i].med.bw / q->med.bw : NAN;
		if (!isfinite(x))
			continue;
		shared++;
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x, hi_size = p->with->pts[i].size;
		if (x >= 2.0 && first2x < 0)
			first2x = p->with->pts[i].size;
	}
	if (!shared) {
		fprintf(f, "- no %s size was measured on both sides: no speed-up\n", noun);
	} else if (hi < 1.0) {
		fprintf(f, "- S%d is slower than S%d at every size measured on both (%s to %s)\n", p->with->id,
			p->without->id, rp_ratio(lo, rb, sizeof(rb)), rp_ratio(hi, rb2, sizeof(rb2)));
	} else if (first2x >= 0) {
		fprintf(f, "- speed-up first reaches 2x at %s (largest: %s at ", rp_size(first2x, b, sizeof(b)),
			rp_ratio(hi, rb, sizeof(rb)));
		fprintf(f, "%s)\n", rp_size(hi_size, b, sizeof(b)));
	} else {
		fprintf(f, "- speed-up stays below 2x at every size measured on both (at most %s, at %s)\n",
			rp_ratio(hi, rb, sizeof(rb)), rp_size(hi_size, b, sizeof(b)));
	}
}

static void peaks(FILE *f, struct rp_series *const *s, int n, const char *what)
{
	char b[32];
	for (int k = 0; k < n; k++) {
		const struct rp_point *peak = NULL;
		for (size_t i = 0; s[k] && i < s[k]->n; i++)
			if (!isnan(s[k]->pts[i].med.bw) && (!peak || s[k]->pts[i].med.bw > peak->med.bw))
				peak = &s[k]->pts[i];
		if (peak) {
			fprintf(f, "- peak %s, ", what);
			rp_md(f, s[k]->label);
			fprintf(f, ": %.2f %s at %s\n", peak->med.bw, rp_bw_unit(), rp_size(peak->size, b, sizeof(b)));
		}
	}
}

/* The comparison table: size, the two series, speed-up; one side alone
 * gets a table of its own with no empty columns. */
static void pair_table(FILE *f, const struct rp_pair *p, const char *h_with, const char *h_without, enum metric m)
{
	struct rp_series *s[2] = {p->with, p->without};
	char b[32], rb[32];

	fprintf(f, "| message size | ");
	rp_md(f, h_with);
	fprintf(f, " |");
	if (p->without) {
		fprintf(f, " ");
		rp_md(f, h_without);
		fprintf(f, " | speed-up |");
	}
	fprintf(f, "\n|---:|---:|%s\n", p->without ? "---:|---:|" : "");
	for (int64_t size = rp_next_size(s, 2, -1); size >= 0; size = rp_next_size(s, 2, size)) {
		const struct rp_point *a = rp_at(p->with, size), *c = rp_at(p->without, size);
		fprintf(f, "| %s |", rp_size(size, b, sizeof(b)));
		cell(f, metric(a, m), 2);
		if (p->without) {
			cell(f, metric(c, m), 2);
			fprintf(f, " %s |", a && c ? rp_ratio(metric(a, m) / metric(c, m), rb, sizeof(rb)) : "");
		}
		fprintf(f, "\n");
	}
}

/* p99 or max far above p50, or the measuring threads preempted often:
 * something else had the CPU (a busy-polling neighbour turns microseconds
 * into milliseconds). */
static void contention(FILE *f, struct rp_series **s, size_t n)
{
	char b[32];
	for (size_t i = 0; i < n; i++) {
		const struct rp_point *worst = NULL;
		size_t hits = 0, have = 0, preempted = 0, counted = 0;
		double wr = 0, most = 0;
		const char *cm;
		for (size_t k = 0; k < s[i]->n; k++) {
			const struct rp_sample *p = &s[i]->pts[k].med;
			double r99 = p->p99 / p->p50, rmax = p->max / p->p50, r;
			if (!isnan(p->preempt)) {
				counted++;
				preempted += p->preempt >= RP_CONTENDED_PREEMPT;
				most = fmax(most, p->preempt);
			}
			if (!(p->p50 > 0))
				continue;
			have++;
			if (!(r99 >= RP_CONTENDED_P99 || rmax >= RP_CONTENDED_MAX))
				continue;
			hits++;
			r = fmax(isnan(r99) ? 0 : r99 / RP_CONTENDED_P99, isnan(rmax) ? 0 : rmax / RP_CONTENDED_MAX);
			if (r > wr)
				wr = r, worst = &s[i]->pts[k];
		}
		if (!hits && !preempted)
			continue;
		fprintf(f, "\n> **Warning: ");
		name(f, s[i]);
		fprintf(f, " looks contended.**");
		if (hits)
			fprintf(f, " At %zu of %zu sizes p99 or max is far above p50 (worst at %s: p50 %.2f µs, p99 %.2f µs, "
				   "max %.2f µs).",
				hits, have, rp_size(worst->size, b, sizeof(b)), worst->med.p50, worst->med.p99,
				worst->med.max);
		if (preempted)
			fprintf(f, " At %zu of %zu sizes the measuring threads lost their CPU %.0f times a second or more "
				   "(up to %.0f).",
				preempted, counted, RP_CONTENDED_PREEMPT, most);
		/* -b helps where threads spin: libfabric busy-polling, not sockets
		 * nor a run that already blocked */
		cm = fc_json_str(s[i]->rep, "completion");
		fprintf(f, " Another process was probably competing for the CPU: rerun %son an idle machine.\n",
			s[i]->socket || (cm && !strcmp(cm, "blocking")) ? "" : "with `-b` (blocking completion reads) or ");
	}
}

static void bandwidth(FILE *f, struct rp_report *r)
{
	struct rp_series **all;
	size_t n = of_kind(r, r->m->bw_kind, &all);
	struct rp_buf hw = {0}, ho = {0};
	const struct rp_pair *p = &r->bw;
	struct rp_pair one = {0};

	if (!n) {
		free(all);
		return;
	}
	fprintf(f, "\n## Bandwidth by message size\n\n");
	if (p->with && p->without) {
		fprintf(f, "Compared: ");
		name(f, p->with);
		fprintf(f, " against ");
		name(f, p->without);
		fprintf(f, " (bandwidth from `%s` records; %s).\n\n", rp_kind_name(r->m->bw_kind),
			p->by_user ? "chosen with --compare"
				   : "chosen by the default rule, README \"Which series are compared\"; "
				     "--compare A,B picks others");
	} else {
		one.with = p->with ? p->with : all[0];
		fprintf(f, "No comparison: the input has no TCP-sockets series to compare ");
		name(f, one.with);
		fprintf(f, " with (run the same test with `-x socket`, or name two series with --compare A,B).\n\n");
		p = &one;
	}
	rp_buf_printf(&hw, "%s, %s", p->with->label, rp_bw_unit());
	if (p->without)
		rp_buf_printf(&ho, "%s, %s", p->without->label, rp_bw_unit());
	pair_table(f, p, rp_buf_str(&hw), rp_buf_str(&ho), M_BW);
	r->nomem |= hw.nomem || ho.nomem;
	rp_buf_free(&hw);
	rp_buf_free(&ho);
	if (n > 1 + (p->without != NULL)) {
		fprintf(f, "\n### Every bandwidth series\n\n");
		wide(f, all, n, M_BW, rp_bw_unit());
	}
	fprintf(f, "\n## Summary\n\n");
	{
		struct rp_series *two[2] = {p->with, p->without};
		peaks(f, two, 2, "bandwidth");
	}
	if (p->without)
		ratio_summary(f, p, "bandwidth");
	contention(f, all, n);
	free(all);
}

static void latency_line(FILE *f, const struct rp_pair *p)
{
	char b[32], rb[32];

	for (size_t i = 0; p->with && p->without && i < p->with->n; i++) {
		const struct rp_point *a = &p->with->pts[i], *c = rp_at(p->without, a->size);
		if (!c || !(c->med.p50 > 0) || !(a->med.p50 > 0))
			continue;
		fprintf(f, "- small-message latency (%s, p50): ", rp_size(a->size, b, sizeof(b)));
		name(f, p->with);
		fprintf(f, " %.2f µs, ", a->med.p50);
		name(f, p->without);
		fprintf(f, " %.2f µs: S%d is %s %s (%s latency)\n", c->med.p50, p->with->id,
			rp_ratio(a->med.p50 <= c->med.p50 ? c->med.p50 / a->med.p50 : a->med.p50 / c->med.p50, rb, sizeof(rb)),
			a->med.p50 <= c->med.p50 ? "faster" : "slower", a->med.p50 <= c->med.p50 ? "lower" : "higher");
		return;
	}
}

static void latency(FILE *f, struct rp_report *r)
{
	struct rp_series **all;
	size_t n = of_kind(r, RP_PINGPONG, &all);

	if (n) {
		fprintf(f, "\n## Latency by message size\n\nOne-way latency, p50 (half the round trip).\n\n");
		wide(f, all, n, M_P50, "µs");
		if (r->lat.with && r->lat.without) {
			fprintf(f, "\n");
			latency_line(f, &r->lat);
		}
		contention(f, all, n);
	}
	free(all);
}

static void rma(FILE *f, struct rp_report *r)
{
	struct rp_series **all;
	size_t n = of_kind(r, RP_RMA, &all);

	if (n) {
		fprintf(f, "\n## RMA\n\nBandwidth (windows of operations closed by the target's ack):\n\n");
		wide(f, all, n, M_BW, rp_bw_unit());
		fprintf(f, "\nLatency of single operations, p50:\n\n");
		wide(f, all, n, M_P50, "µs");
		contention(f, all, n);
	}
	free(all);
}

static void mr(FILE *f, struct rp_report *r)
{
	struct rp_series **all;
	size_t n = of_kind(r, RP_MR, &all);

	if (n) {
		fprintf(f, "\n## Memory registration\n\nRegistration time, p50 (`fi_mr_regattr`):\n\n");
		wide(f, all, n, M_P50, "µs");
		fprintf(f, "\nDeregistration time, p50 (`fi_close` of the MR):\n\n");
		wide(f, all, n, M_DEREG, "µs");
	}
	free(all);
}

static void nccl(FILE *f, struct rp_report *r)
{
	struct rp_series **all;
	size_t n = of_kind(r, RP_NCCL, &all), i;
	const struct rp_pair *p = &r->nccl;
	json_t *rec;
	bool wrong = false;

	if (!n) {
		free(all);
		return;
	}
	/* the operation name comes from the nccl-tests output: text, not HTML */
	fprintf(f, "\n## NCCL%s", p->with ? " " : "");
	if (p->with)
		rp_md(f, fc_json_str(p->with->rep, "nccl_op"));
	fprintf(f, ": bus bandwidth%s\n\n", p->with && p->without && !p->by_user ? " with and without EFA" : "");
	if (p->with && p->without) {
		fprintf(f, "%s: ", p->by_user ? "Compared" : "EFA");
		name(f, p->with);
		fprintf(f, "; %s: ", p->by_user ? "against" : "non-EFA");
		name(f, p->without);
		fprintf(f, ". Out-of-place busbw (nccl-tests); speed-up = busbw %s / busbw %s.\n\n",
			p->by_user ? "first" : "EFA", p->by_user ? "second" : "non-EFA");
		{
			struct rp_buf a = {0}, b = {0};
			if (p->by_user) {
				rp_buf_printf(&a, "busbw S%d (%s)", p->with->id, rp_bw_unit());
				rp_buf_printf(&b, "busbw S%d (%s)", p->without->id, rp_bw_unit());
			} else {
				rp_buf_printf(&a, "busbw EFA (%s)", rp_bw_unit());
				rp_buf_printf(&b, "busbw non-EFA (%s)", rp_bw_unit());
			}
			pair_table(f, p, rp_buf_str(&a), rp_buf_str(&b), M_BW);
			r->nomem |= a.nomem || b.nomem;
			rp_buf_free(&a);
			rp_buf_free(&b);
		}
		fprintf(f, "\n");
		ratio_summary(f, p, "NCCL");
	} else {
		fprintf(f, "No EFA against non-EFA pair: the input needs one nccl-tests run whose banner says NCCL used "
			   "the AWS Libfabric network (aws-ofi-nccl) and one over Socket, with NCCL_DEBUG=INFO for the "
			   "banner; or name two series with --compare A,B.\n");
	}
	if (n > 2 || !p->with || !p->without) {
		fprintf(f, "\n### Every NCCL series (busbw)\n\n");
		wide(f, all, n, M_BW, rp_bw_unit());
	}
	json_array_foreach(r->in->records, i, rec)
		if (!strcmp(fc_json_str(rec, "test"), "nccl") && json_integer_value(json_object_get(rec, "wrong")) > 0 && !wrong) {
			char b[32];
			wrong = true;
			fprintf(f, "\n> **Warning:** nccl-tests counted %lld wrong elements at %s (#wrong): that run's data "
				   "was corrupted and its numbers do not count.\n",
				(long long)json_integer_value(json_object_get(rec, "wrong")),
				rp_size(json_integer_value(json_object_get(rec, "size")), b, sizeof(b)));
		}
	free(all);
}

static void verdict_line(FILE *f, json_t *rec, const char *what)
{
	fprintf(f, "- %s: **", what);
	rp_md(f, fc_json_str(rec, "verdict"));
	fprintf(f, "**");
	if (*fc_json_str(rec, "reason")) {
		fprintf(f, ": ");
		rp_md(f, fc_json_str(rec, "reason"));
	}
	fprintf(f, "\n");
}

static void cluster(FILE *f, struct rp_report *r)
{
	struct rp_cluster *c = r->c;
	struct rp_input *in = r->in;
	char b[32];
	size_t i;
	json_t *rec;

	if (!c->present)
		return;
	fprintf(f, "\n## Cluster pre-flight\n\n");
	if (!json_array_size(c->cluster))
		fprintf(f, "- cluster: no verdict record (the run did not finish?)\n");
	json_array_foreach(c->cluster, i, rec) verdict_line(f, rec, "cluster");
	json_array_foreach(c->fabric, i, rec) verdict_line(f, rec, "fabric");
	if (json_is_object(in->verdict_summary)) {
		const char *v = fc_json_str(in->verdict_summary, "verdict");
		if (*v && json_array_size(c->cluster) && strcmp(v, fc_json_str(json_array_get(c->cluster, 0), "verdict"))) {
			fprintf(f, "- note: verdict.json says **");
			rp_md(f, v);
			fprintf(f, "** where pairs.jsonl says otherwise\n");
		}
	}
	if (json_array_size(c->rounds)) {
		size_t slow = 0;
		double total = 0;
		json_array_foreach(c->rounds, i, rec) {
			total += json_number_value(json_object_get(rec, "duration_s"));
			slow += strcmp(fc_json_str(rec, "verdict"), "ok") != 0;
		}
		{
			/* the run's wall time as its console said it (verdict.json),
			 * and the rounds' own share of it */
			const json_t *wall = json_object_get(json_object_get(in->verdict_summary, "timing"), "wall_s");
			fprintf(f, "- %zu rounds", json_array_size(c->rounds));
			if (json_is_number(wall))
				fprintf(f, " in %.1f s, the run in all (%.1f s of it in rounds)", json_number_value(wall), total);
			else
				fprintf(f, ", %.1f s of rounds", total);
			fprintf(f, "; %zu not ok\n", slow);
		}
		json_array_foreach(c->rounds, i, rec) {
			if (!strcmp(fc_json_str(rec, "verdict"), "ok"))
				continue;
			fprintf(f, "  - round %lld: **", (long long)json_integer_value(json_object_get(rec, "round")));
			rp_md(f, fc_json_str(rec, "verdict"));
			fprintf(f, "** ");
			rp_md(f, fc_json_str(rec, "reason"));
			fprintf(f, "\n");
		}
	}
	if (r->have_hm)
		fprintf(f, "\n![node-pair bandwidth](heatmap.png)%s: bandwidth at %s, rows the client, "
			   "columns the server%s, blank where a pair was not measured.\n",
			r->hm.n <= RP_HEATMAP_SVG_MAX ? " ([SVG](heatmap.svg))" : "", rp_size(r->hm.size, b, sizeof(b)),
			r->hm.n > RP_HEATMAP_NAMES_MAX ? " in rank order" : "");
	fprintf(f, "\n### Nodes\n\n| rank | host | verdict | bw as client (%s) | bw as server (%s) | p50 latency",
		rp_bw_unit(), rp_bw_unit());
	if (c->lat_size > 0)
		fprintf(f, " at %s", rp_size(c->lat_size, b, sizeof(b)));
	fprintf(f, " (µs) | reason | action |\n|---:|---|---|---:|---:|---:|---|---|\n");
	for (size_t k = 0; k < c->n; k++) {
		struct rp_node *n = &c->nodes[k];
		fprintf(f, "| %lld | ", (long long)n->rank);
		rp_md(f, n->host);
		fprintf(f, " | ");
		rp_md(f, *n->verdict ? n->verdict : "(no verdict)");
		fprintf(f, " |");
		cell(f, n->bw_client, 2);
		cell(f, n->bw_server, 2);
		cell(f, n->lat_p50, 2);
		fprintf(f, " ");
		rp_md(f, n->reason);
		fprintf(f, " | ");
		if (*n->action) {
			fprintf(f, "`");
			for (const char *a = n->action; *a; a++)
				fputc(*a == '`' ? '\'' : *a == '|' ? '/' : *a, f);
			fprintf(f, "`");
		}
		fprintf(f, " |\n");
	}
	if (c->bw_size > 0)
		fprintf(f, "\nBandwidth columns: median over the node's pairs at %s (aggregate of its NICs, or its only one).\n",
			rp_size(c->bw_size, b, sizeof(b)));
	fprintf(f, "\n### Bad NICs\n\n");
	{
		size_t bad = 0;
		json_array_foreach(c->nics, i, rec) {
			const char *v = fc_json_str(rec, "verdict");
			if (!strcmp(v, "pass") || !strcmp(v, "ok"))
				continue;
			if (!bad++)
				fprintf(f, "| rank | host | NIC | verdict | reason |\n|---:|---|---|---|---|\n");
			fprintf(f, "| %lld | ", (long long)json_integer_value(json_object_get(rec, "rank")));
			rp_md(f, fc_json_str(rec, "local_host"));
			fprintf(f, " | ");
			rp_md(f, fc_json_str(rec, "domain"));
			fprintf(f, " | ");
			rp_md(f, v);
			fprintf(f, " | ");
			rp_md(f, fc_json_str(rec, "reason"));
			fprintf(f, " |\n");
		}
		if (!bad)
			fprintf(f, "None: %zu NIC verdicts, all pass.\n", json_array_size(c->nics));
	}
	if (json_array_size(c->links)) {
		fprintf(f, "\n### Suspect links\n\n| client | server | verdict | reason |\n|---|---|---|---|\n");
		json_array_foreach(c->links, i, rec) {
			fprintf(f, "| %lld ", (long long)json_integer_value(json_object_get(rec, "rank")));
			rp_md(f, fc_json_str(rec, "local_host"));
			fprintf(f, " | %lld ", (long long)json_integer_value(json_object_get(rec, "peer_rank")));
			rp_md(f, fc_json_str(rec, "peer_host"));
			fprintf(f, " | ");
			rp_md(f, fc_json_str(rec, "verdict"));
			fprintf(f, " | ");
			rp_md(f, fc_json_str(rec, "reason"));
			fprintf(f, " |\n");
		}
	}
	fprintf(f, "\n### Good hosts\n\n");
	if (in->good_hosts) {
		fprintf(f, "From good-hosts.txt (launcher order, ready for `mpirun --hostfile` or Slurm `--nodelist`): %zu "
			   "host%s.\n\n```\n",
			json_array_size(in->good_hosts), json_array_size(in->good_hosts) == 1 ? "" : "s");
		json_array_foreach(in->good_hosts, i, rec) {
			for (const char *h = json_string_value(rec); *h; h++)
				fputc(*h == '`' ? '\'' : *h, f);
			fputc('\n', f);
		}
		fprintf(f, "```\n");
	} else {
		fprintf(f, "No good-hosts.txt beside pairs.jsonl.\n");
	}
	if (in->bad_hosts && json_array_size(in->bad_hosts)) {
		fprintf(f, "\n### Bad hosts\n\n| host | reason |\n|---|---|\n");
		json_array_foreach(in->bad_hosts, i, rec) {
			fprintf(f, "| ");
			rp_md(f, json_string_value(json_array_get(rec, 0)));
			fprintf(f, " | ");
			rp_md(f, json_string_value(json_array_get(rec, 1)));
			fprintf(f, " |\n");
		}
	}
}

static void distinct(FILE *f, json_t *records, const char *key, const char *label)
{
	json_t *seen = json_object(), *rec;
	size_t i, k = 0;

	fprintf(f, "| %s | ", label);
	json_array_foreach(records, i, rec) {
		const char *v = fc_json_str(rec, key);
		if (!*v || json_object_get(seen, v))
			continue;
		json_object_set_new(seen, v, json_true());
		fprintf(f, "%s`", k++ ? ", " : "");
		for (; *v; v++)
			fputc(*v == '`' ? '\'' : *v == '|' ? '/' : *v, f);
		fprintf(f, "`");
	}
	fprintf(f, "%s |\n", k ? "" : "-");
	json_decref(seen);
}

static void provenance(FILE *f, struct rp_report *r)
{
	static const char *keys[] = {"local_host", "peer_host", "provider", "fabric", "net", "libfabric",
				     "fabcheck_version", "tool"};
	static const char *names[] = {"hosts (client)", "hosts (server)", "providers", "fabrics", "NCCL networks",
				      "libfabric", "fabcheck", "programs"};
	json_t *records = r->in->records, *rec;
	const char *first = NULL, *last = NULL;
	size_t i;

	fprintf(f, "\n## Provenance\n\n| | |\n|---|---|\n");
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		distinct(f, records, keys[k], names[k]);
	json_array_foreach(records, i, rec) {
		const char *t = fc_json_str(rec, "timestamp");
		if (!*t)
			continue;
		if (!first || strcmp(t, first) < 0)
			first = t;
		if (!last || strcmp(t, last) > 0)
			last = t;
	}
	fprintf(f, "| measured | ");
	rp_md(f, first ? first : "-");
	fprintf(f, " .. ");
	rp_md(f, last ? last : "-");
	fprintf(f, " |\n| records | %zu |\n", json_array_size(records));
	for (size_t s = 0; s < r->in->nsrc; s++) {
		struct rp_source *src = &r->in->src[s];
		json_t *line;
		size_t k;
		fprintf(f, "| source | ");
		rp_md(f, src->name);
		fprintf(f, ": %s, %zu records |\n", src->format, src->records);
		json_array_foreach(src->banner, k, line) {
			fprintf(f, "| banner | ");
			rp_md(f, json_string_value(line));
			fprintf(f, " |\n");
		}
	}
}

int rp_md_write(struct rp_out *o, struct rp_report *r)
{
	FILE *f = rp_out_create(o, "report.md");
	int charts = 0;

	if (!f)
		return -FC_EXIT_FABRIC;
	fprintf(f, "# fabcheck report\n\nSizes are binary (1 KiB = 1024 bytes); bandwidth in %s; latency in µs.\n",
		rp_bw_unit_words());
	cluster(f, r);
	bandwidth(f, r);
	latency(f, r);
	rma(f, r);
	mr(f, r);
	nccl(f, r);
	series_list(f, r);
	for (const struct rp_chart *c = rp_charts; c->name; c++) {
		char png[300], svg[300];
		snprintf(png, sizeof(png), "%s.png", c->name);
		snprintf(svg, sizeof(svg), "%s.svg", c->name);
		if (!rp_out_has(o, png))
			continue;
		fprintf(f, "%s![%s](%s)", charts++ ? "\n" : "\n## Charts\n\n", c->caption, png);
		fprintf(f, rp_out_has(o, svg) ? " ([SVG](%s))\n" : "\n", svg);
	}
	if (charts && r->curves_cut)
		fprintf(f, "\nA chart draws at most %d series (the compared pair first, then by S-number): %zu more are "
			   "in the tables only.\n",
			RP_MAX_CURVES, r->curves_cut);
	provenance(f, r);
	if (fclose(f))
		return -FC_EXIT_FABRIC;
	return r->nomem ? rp_nomem("writing report.md") : 0;
}
