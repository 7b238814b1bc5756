#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairs_verdict.h"

const char *fc_pv_name(enum fc_pv v)
{
	static const char *const names[] = {"pass", "warn", "fail", "unreachable", "unknown"};
	return names[v];
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- step 1: a status for every measurement ---- */

struct keyed {
	const struct fc_meas *m;
	enum fc_pv status;
};

static int cmp_key(const void *x, const void *y)
{
	const struct fc_meas *a = ((const struct keyed *)x)->m, *b = ((const struct keyed *)y)->m;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	return a->lane < b->lane ? -1 : a->lane > b->lane;
}

static bool same_key(const struct fc_meas *a, const struct fc_meas *b)
{
	return a->kind == b->kind && a->size == b->size && a->lane == b->lane;
}

static enum fc_pv worse(enum fc_pv a, enum fc_pv b)
{
	return a > b ? a : b;
}

/* latency: higher is worse; bandwidth: lower is worse */
static enum fc_pv relative(const struct fc_meas *m, double ref, const struct fc_verdict_cfg *c)
{
	if (ref <= 0)
		return FC_PV_PASS;
	if (m->kind == FC_MEAS_BW)
		return m->value < c->fail * ref ? FC_PV_FAIL : m->value < c->warn * ref ? FC_PV_WARN : FC_PV_PASS;
	return m->value > ref / c->fail ? FC_PV_FAIL : m->value > ref / c->warn ? FC_PV_WARN : FC_PV_PASS;
}

/* One group (kind, size, lane): scores per node, reference, statuses. */
static void judge_group(int n, struct keyed *g, int k, const struct fc_verdict_cfg *c, bool *used_relative)
{
	double *vals = malloc(sizeof(double) * (size_t)(2 * k + 1)), *scores = malloc(sizeof(double) * (size_t)(n + 1));
	int nscores = 0;

	if (!vals || !scores)
		goto out;
	for (int node = 0; node < n; node++) {
		int nv = 0;
		for (int i = 0; i < k; i++)
			if (g[i].m->a == node || g[i].m->b == node)
				vals[nv++] = g[i].m->value;
		if (nv)
			scores[nscores++] = median(vals, nv);
	}
	if (nscores >= c->min_nodes) {
		double ref = median(scores, nscores);
		*used_relative = true;
		for (int i = 0; i < k; i++)
			g[i].status = worse(g[i].status, relative(g[i].m, ref, c));
	}
out:
	free(vals);
	free(scores);
}

/* ---- step 2: a status per pair and lane class ---- */

struct pairstat {
	int lo, hi, lane; /* lane -1: the pair as a whole */
	int a, b;         /* direction, for retries */
	enum fc_meas_kind kind;
	uint64_t size;
	enum fc_pv status;
	int round;
};

static int cmp_attempt(const void *x, const void *y)
{
	const struct pairstat *a = x, *b = y;
#define BY(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	BY(lo); BY(hi); BY(lane); BY(a); BY(kind); BY(size);
#undef BY
	return 0;
}

static int cmp_class(const void *x, const void *y)
{
	const struct pairstat *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->lane < b->lane ? -1 : a->lane > b->lane;
}

/* ---- step 3: blame ---- */

static int cmp_rp(const void *x, const void *y)
{
	const int *a = x, *b = y; /* round, lo, hi: the leading ints */
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Each node's pair classes, for walking a node's partners quickly. */
struct adjacency {
	int *start, *idx; /* idx[start[n] .. start[n+1]) index cls */
};

static int adjacency_build(struct adjacency *adj, int n, const struct pairstat *cls, int ncls)
{
	int *fill;

	adj->start = calloc((size_t)n + 2, sizeof(int));
	adj->idx = malloc(sizeof(int) * (size_t)(2 * ncls + 1));
	fill = calloc((size_t)n + 1, sizeof(int));
	if (!adj->start || !adj->idx || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (int i = 0; i < ncls; i++) {
		adj->start[cls[i].lo + 1]++;
		adj->start[cls[i].hi + 1]++;
	}
	for (int v = 0; v < n; v++)
		adj->start[v + 1] += adj->start[v];
	for (int i = 0; i < ncls; i++) {
		adj->idx[adj->start[cls[i].lo] + fill[cls[i].lo]++] = i;
		adj->idx[adj->start[cls[i].hi] + fill[cls[i].hi]++] = i;
	}
	free(fill);
	return 0;
}

/* Whether node q passes (or only warns) with a partner other than except,
 * in lane class `lane`. */
static bool passes_elsewhere(const struct adjacency *adj, const struct pairstat *p, int q, int except, int lane)
{
	for (int k = adj->start[q]; k < adj->start[q + 1]; k++) {
		const struct pairstat *x = &p[adj->idx[k]];
		if (x->lane == lane && x->status <= FC_PV_WARN && x->lo != except && x->hi != except)
			return true;
	}
	return false;
}

static void add_reason(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t l = strlen(buf);
	if (l < len)
		snprintf(buf + l, len - l, fmt, a, b);
}

/* A node is bad when at least two distinct partners fail with it (in any
 * lane class) and pass elsewhere; the NIC lanes that failed are named. */
static void blame_node(const struct adjacency *adj, const struct pairstat *cls, int node, struct fc_node_verdict *v)
{
	int last = -1;
	bool fq = false, wq = false;
	uint64_t lanes = 0, q_lanes = 0;

	/* the node's classes in cls order: sorted by (lo, hi, lane), so one
	 * partner's classes are together */
	for (int k = adj->start[node];; k++) {
		const struct pairstat *x = k < adj->start[node + 1] ? &cls[adj->idx[k]] : NULL;
		int q = x ? (x->lo == node ? x->hi : x->lo) : -2;
		if (q != last) {
			v->fail_partners += fq;
			v->warn_partners += wq && !fq;
			if (fq)
				lanes |= q_lanes;
			fq = wq = false;
			q_lanes = 0;
			last = q;
		}
		if (!x)
			break;
		if (x->status < FC_PV_WARN || !passes_elsewhere(adj, cls, q, node, x->lane))
			continue;
		if (x->status == FC_PV_FAIL) {
			fq = true;
			if (x->lane >= 0 && x->lane < FC_PV_MAX_LANES)
				q_lanes |= 1ull << x->lane;
		} else {
			wq = true;
		}
	}
	if (v->fail_partners >= 2) {
		v->verdict = FC_PV_FAIL;
		v->bad_lanes = lanes;
		snprintf(v->reason, sizeof(v->reason), "slow or failing with %d partners that pass elsewhere",
			 v->fail_partners);
	} else if (v->fail_partners + v->warn_partners >= 2) {
		v->verdict = FC_PV_WARN;
		snprintf(v->reason, sizeof(v->reason), "below the warning line with %d partners that pass elsewhere",
			 v->fail_partners + v->warn_partners);
	} else {
		v->verdict = FC_PV_PASS;
	}
}

int fc_pairs_judge(int n, const bool *alive, const char *const *labels, const struct fc_meas *m, int nm,
		   const struct fc_pair_failure *f, int nf, const struct fc_verdict_cfg *c, struct fc_verdicts *out)
{
	struct keyed *k = calloc((size_t)(nm + 1), sizeof(*k));
	struct pairstat *att = calloc((size_t)(nm + nf + 1), sizeof(*att)), *cls;
	uint64_t max_bw_size = 0, min_lat_size = UINT64_MAX;
	int na = 0, ncls = 0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->node = calloc((size_t)(n + 1), sizeof(*out->node));
	out->links = calloc((size_t)(n + nf + nm + 1), sizeof(*out->links));
	if (!k || !att || !out->node || !out->links) {
		free(k);
		free(att);
		fc_verdicts_free(out);
		return -ENOMEM;
	}
	/* 1: statuses, relative per group, absolute against the floors */
	for (int i = 0; i < nm; i++) {
		k[i].m = &m[i];
		if (m[i].kind == FC_MEAS_BW && m[i].size > max_bw_size)
			max_bw_size = m[i].size;
		if (m[i].kind == FC_MEAS_LAT && m[i].size < min_lat_size)
			min_lat_size = m[i].size;
	}
	qsort(k, (size_t)nm, sizeof(*k), cmp_key);
	for (int i = 0, j; i < nm; i = j) {
		for (j = i + 1; j < nm && same_key(k[i].m, k[j].m); j++)
			;
		judge_group(n, k + i, j - i, c, &out->relative);
	}
	for (int i = 0; i < nm; i++) {
		const struct fc_meas *x = k[i].m;
		/* the floor is per NIC: a lane's own value, or a one-lane pair's */
		bool per_nic = x->lane >= 0 || x->lanes <= 1;
		if (c->min_bw_gbps > 0 && x->kind == FC_MEAS_BW) {
			out->absolute = true;
			if (x->size == max_bw_size && per_nic && x->value < c->min_bw_gbps)
				k[i].status = FC_PV_FAIL;
		}
		if (c->max_lat_us > 0 && x->kind == FC_MEAS_LAT && x->size == min_lat_size) {
			out->absolute = true;
			if (x->value > c->max_lat_us)
				k[i].status = FC_PV_FAIL;
		}
		att[na++] = (struct pairstat){x->a < x->b ? x->a : x->b, x->a < x->b ? x->b : x->a, x->lane,
					      x->a, x->b, x->kind, x->size, k[i].status, x->round};
	}
	/* a pair that could not run at all failed, unless an end went away */
	for (int i = 0; i < nf; i++) {
		if (f[i].a_gone || f[i].b_gone)
			continue;
		att[na++] = (struct pairstat){f[i].a < f[i].b ? f[i].a : f[i].b, f[i].a < f[i].b ? f[i].b : f[i].a, -1,
					      f[i].a, f[i].b, FC_MEAS_BW, 0, FC_PV_FAIL, f[i].round};
	}
	/* 2: the best of a measurement's attempts (a retry that passes
	 * clears it), then the worst over sizes, kinds and directions */
	qsort(att, (size_t)na, sizeof(*att), cmp_attempt);
	for (int i = 0, j; i < na; i = j) {
		enum fc_pv best = att[i].status;
		for (j = i + 1; j < na && !cmp_attempt(&att[i], &att[j]); j++)
			best = att[j].status < best ? att[j].status : best;
		att[ncls] = att[i];
		att[ncls++].status = best;
	}
	qsort(att, (size_t)ncls, sizeof(*att), cmp_class);
	cls = att;
	{
		int w = 0;
		for (int i = 0, j; i < ncls; i = j) {
			enum fc_pv st = att[i].status;
			for (j = i + 1; j < ncls && !cmp_class(&att[i], &att[j]); j++)
				st = worse(st, att[j].status);
			cls[w] = att[i];
			cls[w++].status = st;
		}
		ncls = w;
	}
	if (!out->relative && !out->absolute)
		snprintf(out->note, sizeof(out->note),
			 "%d node(s) measured: the relative rule needs %d; give --min-bw-gbps / --max-lat-us "
			 "(or an instance type with a line rate) for a verdict on the numbers",
			 n, c->min_nodes);
	/* the pairs that failed anything, for the runner's retries */
	out->fail_pairs = malloc(sizeof(*out->fail_pairs) * (size_t)(ncls + 1));
	for (int i = 0; out->fail_pairs && i < ncls; i++)
		if (cls[i].status == FC_PV_FAIL && (!out->nfail_pairs || out->fail_pairs[out->nfail_pairs - 1][0] != cls[i].lo ||
						    out->fail_pairs[out->nfail_pairs - 1][1] != cls[i].hi)) {
			out->fail_pairs[out->nfail_pairs][0] = cls[i].lo;
			out->fail_pairs[out->nfail_pairs++][1] = cls[i].hi;
		}
	/* 3: blame per node, then links, then the fabric */
	{
		struct adjacency adj = {0};
		enum fc_pv *status_of = calloc((size_t)(nm + 1), sizeof(*status_of));
		int rounds = 0;

		if (!status_of || adjacency_build(&adj, n, cls, ncls)) {
			free(status_of);
			free(adj.start);
			free(adj.idx);
			free(k);
			free(att);
			fc_verdicts_free(out);
			return -ENOMEM;
		}
		for (int node = 0; node < n; node++) {
			if (!alive[node]) {
				out->node[node].verdict = FC_PV_UNREACHABLE;
				snprintf(out->node[node].reason, sizeof(out->node[node].reason),
					 "never joined or stopped answering the coordinator");
			} else {
				blame_node(&adj, cls, node, &out->node[node]);
			}
		}
		/* the fabric: a round of two pairs or more that all failed (any of
		 * their measurements), no bad node among them */
		for (int i = 0; i < nm; i++) {
			status_of[k[i].m - m] = k[i].status;
			rounds = m[i].round + 1 > rounds ? m[i].round + 1 : rounds;
		}
		{
			/* (round, pair, failed) sorted, each pair of a round once */
			struct rp { int round, lo, hi; bool failed; } *rp = malloc(sizeof(*rp) * (size_t)(nm + 1));
			int nrp = 0;
			for (int i = 0; rp && i < nm; i++)
				if (!m[i].retry)
					rp[nrp++] = (struct rp){m[i].round, m[i].a < m[i].b ? m[i].a : m[i].b,
								m[i].a < m[i].b ? m[i].b : m[i].a, status_of[i] == FC_PV_FAIL};
			if (rp)
				qsort(rp, (size_t)nrp, sizeof(*rp), cmp_rp);
			for (int i = 0, j; rp && i < nrp && !out->fabric; i = j) {
				int pairs = 0, bad = 0;
				bool blamed = false;
				for (j = i; j < nrp && rp[j].round == rp[i].round;) {
					int h = j;
					bool failed = false;
					for (; j < nrp && rp[j].round == rp[h].round && rp[j].lo == rp[h].lo && rp[j].hi == rp[h].hi; j++)
						failed |= rp[j].failed;
					pairs++;
					bad += failed;
					blamed |= out->node[rp[h].lo].verdict == FC_PV_FAIL || out->node[rp[h].hi].verdict == FC_PV_FAIL;
				}
				if (pairs >= 2 && bad == pairs && !blamed) {
					out->fabric = true;
					out->fabric_round = rp[i].round;
				}
			}
			free(rp);
		}
		/* links: a failed pair whose ends are both fine elsewhere (and not
		 * one of the fabric's round) */
		for (int i = 0; i < ncls; i++) {
			int a = cls[i].lo, b = cls[i].hi;
			bool dup = false;
			if (out->fabric && cls[i].round == out->fabric_round)
				continue;
			if (cls[i].status != FC_PV_FAIL || out->node[a].verdict >= FC_PV_FAIL ||
			    out->node[b].verdict >= FC_PV_FAIL)
				continue;
			if (!passes_elsewhere(&adj, cls, a, b, cls[i].lane) || !passes_elsewhere(&adj, cls, b, a, cls[i].lane))
				continue;
			for (int l = out->nlinks - 1; l >= 0 && !dup; l--)
				dup = out->links[l].a == a && out->links[l].b == b;
			if (dup)
				continue;
			out->links[out->nlinks] = (struct fc_link_verdict){.a = a, .b = b};
			add_reason(out->links[out->nlinks].reason, sizeof(out->links[0].reason),
				   "%s and %s pass with other partners but fail together", labels[a], labels[b]);
			out->nlinks++;
		}
		free(status_of);
		free(adj.start);
		free(adj.idx);
	}
	free(k);
	free(att);
	return 0;
}

void fc_verdicts_free(struct fc_verdicts *v)
{
	free(v->node);
	free(v->links);
	free(v->fail_pairs);
	memset(v, 0, sizeof(*v));
}
