#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairs_verdict.h"
#include "sizes.h"
#include "stats.h"

#include "errors.h"

const char *fc_pv_name(enum fc_pv v)
{
	static const char *const names[] = {"pass", "warn", "fail", "unreachable", "unknown"};
	return names[v];
}

/* stats.c's median (the report's too), for this file's int counts; n > 0 */
static double median(double *v, int n)
{
	return fc_median(v, (size_t)n);
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

/* The lines a group's values are judged against. Bandwidth: fail x and
 * warn x the reference. Latency: a loaded host's small-message latency
 * spreads far more than its bandwidth (13-50 us around 20 us on a busy
 * box), so a latency line is also never closer to the reference than
 * FC_LAT_FAIL_SIGMAS (warn: FC_LAT_WARN_SIGMAS) robust standard
 * deviations of the pairs between typical nodes. */

struct lines {
	double ref, sigma, fail, warn;
};

static enum fc_pv relative(const struct fc_meas *m, const struct lines *ln)
{
	if (ln->ref <= 0)
		return FC_PV_PASS;
	if (m->kind == FC_MEAS_BW)
		return m->value < ln->fail ? FC_PV_FAIL : m->value < ln->warn ? FC_PV_WARN : FC_PV_PASS;
	return m->value > ln->fail ? FC_PV_FAIL : m->value > ln->warn ? FC_PV_WARN : FC_PV_PASS;
}

/* 1.4826 x the median absolute deviation: the standard deviation of
 * normal noise, unmoved by a minority of outliers. v is reordered. */
static double robust_sigma(double *v, int n)
{
	double mid;

	if (n < 2)
		return 0;
	mid = median(v, n);
	for (int i = 0; i < n; i++)
		v[i] = fabs(v[i] - mid);
	return 1.4826 * median(v, n);
}

/* Latency spread: from the pairs whose both ends score as typical nodes
 * (a slow node's pairs would widen the spread and hide it), and never
 * below the spread of the node scores themselves. */
static double lat_sigma(struct keyed *g, int k, const double *score, double ref, double *scratch, double score_sigma)
{
	double typical = ref + 3 * score_sigma, s;
	int nv = 0;

	for (int i = 0; i < k; i++)
		if (!g[i].m->retry && score[g[i].m->a] <= typical && score[g[i].m->b] <= typical)
			scratch[nv++] = g[i].m->value;
	s = robust_sigma(scratch, nv);
	return s > score_sigma ? s : score_sigma;
}

/* One group (kind, size, lane): scores per node, reference, lines, statuses. */
static void judge_group(int n, struct keyed *g, int k, const struct fc_verdict_cfg *c, struct fc_verdicts *out)
{
	double *vals = malloc(sizeof(double) * (size_t)(2 * k + 1)), *scores = malloc(sizeof(double) * (size_t)(n + 1));
	double *score = malloc(sizeof(double) * (size_t)(n + 1));
	int nscores = 0;

	if (!vals || !scores || !score)
		goto out;
	/* scores and the reference from the scheduled rounds: a retry, taken
	 * later on a quieter (or busier) machine, only clears or confirms its
	 * pair against these lines. (Retries at twice the speed once moved
	 * the reference past a pair nobody retried.) A node with retries only
	 * is scored on them. */
	for (int node = 0; node < n; node++) {
		int nv = 0;
		for (int pass = 0; pass < 2 && !nv; pass++)
			for (int i = 0; i < k; i++)
				if ((g[i].m->a == node || g[i].m->b == node) && (pass || !g[i].m->retry))
					vals[nv++] = g[i].m->value;
		score[node] = nv ? median(vals, nv) : 0;
		if (nv)
			scores[nscores++] = score[node];
	}
	if (nscores >= c->min_nodes) {
		struct lines ln = {.ref = median(scores, nscores)};
		struct fc_group_lines *gl = &out->groups[out->ngroups];
		out->relative = true;
		if (g[0].m->kind == FC_MEAS_BW) {
			ln.fail = c->fail * ln.ref;
			ln.warn = c->warn * ln.ref;
		} else {
			double score_sigma = robust_sigma(scores, nscores);
			ln.sigma = lat_sigma(g, k, score, ln.ref, vals, score_sigma);
			ln.fail = fmax(ln.ref / c->fail, ln.ref + FC_LAT_FAIL_SIGMAS * ln.sigma);
			ln.warn = fmax(ln.ref / c->warn, ln.ref + FC_LAT_WARN_SIGMAS * ln.sigma);
		}
		for (int i = 0; i < k; i++)
			g[i].status = worse(g[i].status, relative(g[i].m, &ln));
		/* the evidence: these lines and every node's score */
		*gl = (struct fc_group_lines){g[0].m->kind, g[0].m->size, g[0].m->lane, ln.ref, ln.sigma, ln.fail, ln.warn,
					      malloc(sizeof(double) * (size_t)(n + 1))};
		if (gl->score) {
			for (int node = 0; node < n; node++) {
				int nv = 0;
				for (int i = 0; i < k; i++)
					nv += g[i].m->a == node || g[i].m->b == node;
				gl->score[node] = nv ? score[node] : NAN;
			}
			out->ngroups++;
		}
	}
out:
	free(vals);
	free(scores);
	free(score);
}

/* ---- step 2: a status per pair and lane class ---- */

struct pairstat {
	int lo, hi, lane; /* lane -1: the pair as a whole */
	int a, b;         /* direction, for retries */
	enum fc_meas_kind kind;
	uint64_t size;
	enum fc_pv status;
	int round;
	bool measured; /* from a measurement, not only a session that failed */
	bool lossy;    /* failing (in a class: among its failures) on lost packets */
};

/* Did pair f[i] run again in a later retry round, without failing then?
 * retries: the indices of the retry measurements in m (few: only failed
 * pairs are retried). */
static bool cleared_by_retry(const struct fc_meas *m, const int *retries, int nr, const struct fc_pair_failure *f,
			     int nf, int i)
{
	int lo = f[i].a < f[i].b ? f[i].a : f[i].b, hi = f[i].a < f[i].b ? f[i].b : f[i].a;

	for (int r = 0; r < nr; r++) {
		int k = retries[r];
		bool failed_then = false;
		if (m[k].round <= f[i].round || (m[k].a < m[k].b ? m[k].a : m[k].b) != lo ||
		    (m[k].a < m[k].b ? m[k].b : m[k].a) != hi)
			continue;
		for (int j = 0; j < nf && !failed_then; j++)
			failed_then = f[j].round == m[k].round && (f[j].a < f[j].b ? f[j].a : f[j].b) == lo &&
				      (f[j].a < f[j].b ? f[j].b : f[j].a) == hi;
		if (!failed_then)
			return true;
	}
	return false;
}

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

/* Does the pair still fail once its retries are counted (its classes,
 * sorted by lo, hi, lane)? A round slowed by a busy moment whose pairs
 * all pass on the retry is no fabric finding. */
static bool pair_still_fails(const struct pairstat *cls, int ncls, int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a, l = 0, h = ncls;

	while (l < h) { /* the first class of (lo, hi) */
		int mid = l + (h - l) / 2;
		if (cls[mid].lo < lo || (cls[mid].lo == lo && cls[mid].hi < hi))
			l = mid + 1;
		else
			h = mid;
	}
	for (; l < ncls && cls[l].lo == lo && cls[l].hi == hi; l++)
		if (cls[l].status == FC_PV_FAIL)
			return true;
	return false;
}

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
		return -FC_EXIT_FABRIC;
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
	int last = -1, partners = 0;
	bool fq = false, wq = false, slow_seen = false; /* a failing value, not only pairs that could not run */
	int lossy_partners = 0;
	bool lq = false;
	uint64_t lanes = 0, q_lanes = 0;

	/* the node's classes in cls order: sorted by (lo, hi, lane), so one
	 * partner's classes are together */
	for (int k = adj->start[node];; k++) {
		const struct pairstat *x = k < adj->start[node + 1] ? &cls[adj->idx[k]] : NULL;
		int q = x ? (x->lo == node ? x->hi : x->lo) : -2;
		if (q != last) {
			partners += last >= 0;
			v->fail_partners += fq;
			v->warn_partners += wq && !fq;
			lossy_partners += fq && lq;
			if (fq)
				lanes |= q_lanes;
			fq = wq = lq = false;
			q_lanes = 0;
			last = q;
		}
		if (!x)
			break;
		if (x->status < FC_PV_WARN || !passes_elsewhere(adj, cls, q, node, x->lane))
			continue;
		if (x->status == FC_PV_FAIL) {
			fq = true;
			lq |= x->lossy;
			slow_seen |= x->measured;
			if (x->lane >= 0 && x->lane < FC_PV_MAX_LANES)
				q_lanes |= 1ull << x->lane;
		} else {
			wq = true;
		}
	}
	/* and with most of its partners: noise that fails two random pairs of
	 * every node must not fail every node */
	if (v->fail_partners >= 2 && 2 * v->fail_partners > partners && 2 * lossy_partners > v->fail_partners) {
		/* most of its failing pairs lost packets: say that, it is what
		 * to look for (a cable, a port, a switch), not a slow host */
		v->verdict = FC_PV_FAIL;
		v->kind = "loss";
		v->bad_lanes = lanes;
		snprintf(v->reason, sizeof(v->reason),
			 "losing packets (over %.1f%% retransmitted) with %d of %d failing partners that pass elsewhere",
			 FC_LOSS_FAIL_PCT, lossy_partners, v->fail_partners);
	} else if (v->fail_partners >= 2 && 2 * v->fail_partners > partners) {
		v->verdict = FC_PV_FAIL;
		v->kind = slow_seen ? "slow" : "failed";
		v->bad_lanes = lanes;
		snprintf(v->reason, sizeof(v->reason), "slow or failing with %d partners that pass elsewhere",
			 v->fail_partners);
	} else if (v->fail_partners + v->warn_partners >= 2 && 2 * (v->fail_partners + v->warn_partners) > partners) {
		v->verdict = FC_PV_WARN;
		v->kind = "slow";
		snprintf(v->reason, sizeof(v->reason), "below the warning line with %d partners that pass elsewhere",
			 v->fail_partners + v->warn_partners);
	} else {
		v->verdict = FC_PV_PASS;
		v->kind = "ok";
	}
}

/* For an inconclusive run: the lines that would judge only what falls
 * outside the spread the run saw. Bandwidth at the largest size (the
 * stable one): the lowest first-try pair against its group's reference,
 * rounded down to 0.05 a step below it, warn 0.1 above. 0: no such group. */
static double noise_fail_line(const struct fc_meas *m, int nm, const struct fc_verdicts *out, double *lo, double *hi,
			      uint64_t *size)
{
	const struct fc_group_lines *g = NULL;
	double fail;

	for (int i = 0; i < out->ngroups; i++)
		if (out->groups[i].kind == FC_MEAS_BW && out->groups[i].ref > 0 && (!g || out->groups[i].size > g->size))
			g = &out->groups[i];
	if (!g)
		return 0;
	*lo = INFINITY;
	*hi = 0;
	for (int i = 0; i < nm; i++)
		if (m[i].kind == FC_MEAS_BW && m[i].size == g->size && m[i].lane == g->lane && !m[i].retry) {
			*lo = fmin(*lo, m[i].value / g->ref);
			*hi = fmax(*hi, m[i].value / g->ref);
		}
	if (!(*lo < INFINITY))
		return 0;
	*size = g->size;
	fail = floor((*lo - 0.05) * 20) / 20;
	return fail < 0.05 ? 0.05 : fail;
}

/* Noise, checked over the blame: when more pair measurements fail than
 * the blamed nodes explain (over a quarter of them unexplained), or the
 * blame falls on more than half the nodes judged (a fault of one node or
 * two is what a pre-flight finds; half the cluster slow is the run, not
 * the nodes), the lines could not tell nodes apart. Nothing is blamed
 * then, nobody is vouched for, and the run is inconclusive. (Counting
 * every failing pair instead made a 4-node run with one slow node and
 * one noisy pair inconclusive: the slow node alone fails half the pairs.) */
static void judge_noise(int n, const struct pairstat *cls, int ncls, const struct fc_meas *m, int nm,
			double cur_fail, struct fc_verdicts *out)
{
	double lo, hi, fail;
	uint64_t size = 0;
	char sb[32];
	int used;
	int failing = 0, unexplained = 0, measured = 0, blamed = 0, judged = 0;

	for (int node = 0; node < n; node++) {
		judged += out->node[node].verdict <= FC_PV_FAIL;
		blamed += out->node[node].verdict == FC_PV_FAIL;
	}

	for (int i = 0; i < ncls; i++) {
		if (!cls[i].measured)
			continue;
		measured++;
		if (cls[i].status != FC_PV_FAIL)
			continue;
		failing++;
		unexplained += out->node[cls[i].lo].verdict != FC_PV_FAIL && out->node[cls[i].hi].verdict != FC_PV_FAIL;
	}
	if (!out->relative || !measured || (4 * unexplained <= measured && 2 * blamed <= judged))
		return;
	out->noisy = true;
	out->nlinks = 0;
	out->fabric = false;
	used = snprintf(out->note, sizeof(out->note),
			"inconclusive: %d of %d pair measurements fall outside the lines, %d with no bad node to explain "
			"them: the cluster was noisy (other jobs, or busy-polling on too few cores); rerun quieter, or with "
			"looser --fail/--warn",
			failing, measured, unexplained);
	/* only where bandwidth is what spread past the lines given */
	if ((fail = noise_fail_line(m, nm, out, &lo, &hi, &size)) > 0 && fail < cur_fail && used > 0 &&
	    (size_t)used < sizeof(out->note))
		snprintf(out->note + used, sizeof(out->note) - (size_t)used,
			 " (bandwidth at %s spread from %.2f to %.2f x the reference: --fail %.2f --warn %.2f judge only "
			 "what falls below that spread)",
			 fc_size_format(size, sb, sizeof(sb)), lo, hi, fail, fmin(fail + 0.1, 0.95));
	for (int node = 0; node < n; node++) {
		struct fc_node_verdict *v = &out->node[node];
		if (v->verdict == FC_PV_UNREACHABLE || v->verdict == FC_PV_UNKNOWN)
			continue;
		v->verdict = FC_PV_UNKNOWN;
		v->kind = "noise";
		v->bad_lanes = 0;
		snprintf(v->reason, sizeof(v->reason), "not judged: the run was too noisy to tell nodes apart");
	}
}

int fc_pairs_judge(int n, const bool *alive, const char *const *labels, const struct fc_meas *m, int nm,
		   const struct fc_pair_failure *f, int nf, const struct fc_verdict_cfg *c, struct fc_verdicts *out)
{
	struct keyed *k = calloc((size_t)(nm + 1), sizeof(*k));
	struct pairstat *att = calloc((size_t)(nm + nf + 1), sizeof(*att)), *cls;
	uint64_t max_bw_size = 0, min_lat_size = UINT64_MAX;
	int na = 0, ncls = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->node = calloc((size_t)(n + 1), sizeof(*out->node));
	out->links = calloc((size_t)(n + nf + nm + 1), sizeof(*out->links));
	out->groups = calloc((size_t)(nm + 1), sizeof(*out->groups));
	if (!k || !att || !out->node || !out->links || !out->groups) {
		free(k);
		free(att);
		fc_verdicts_free(out);
		return -FC_EXIT_FABRIC;
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
		if (k[i].m->kind != FC_MEAS_LOSS) /* loss has fixed lines, below */
			judge_group(n, k + i, j - i, c, out);
	}
	for (int i = 0; i < nm; i++) {
		const struct fc_meas *x = k[i].m;
		/* bandwidth below the largest size is window- and CPU-bound on a
		 * busy host: it can warn, only the largest size fails */
		if (x->kind == FC_MEAS_BW && x->size < max_bw_size && k[i].status == FC_PV_FAIL)
			k[i].status = FC_PV_WARN;
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
		if (x->kind == FC_MEAS_LOSS)
			k[i].status = x->value > FC_LOSS_FAIL_PCT ? FC_PV_FAIL
				      : x->value > FC_LOSS_WARN_PCT ? FC_PV_WARN
								     : FC_PV_PASS;
		att[na++] = (struct pairstat){x->a < x->b ? x->a : x->b, x->a < x->b ? x->b : x->a, x->lane,
					      x->a, x->b, x->kind, x->size, k[i].status, x->round, true, false};
	}
	/* a pair that could not run at all failed, unless an end went away or
	 * a later retry of the pair ran (its measurements are judged instead:
	 * a peer that stalled once and measured well on the retry is no
	 * suspect link) */
	{
		int *retries = malloc(sizeof(int) * (size_t)(nm + 1)), nr = 0;
		for (int i = 0; retries && i < nm; i++)
			if (m[i].retry)
				retries[nr++] = i;
		for (int i = 0; i < nf; i++) {
			if (f[i].a_gone || f[i].b_gone || (retries && cleared_by_retry(m, retries, nr, f, nf, i)))
				continue;
			att[na++] = (struct pairstat){f[i].a < f[i].b ? f[i].a : f[i].b, f[i].a < f[i].b ? f[i].b : f[i].a,
						      -1, f[i].a, f[i].b, FC_MEAS_BW, 0, FC_PV_FAIL, f[i].round, false, false};
		}
		free(retries);
	}
	/* 2: the best of a measurement's attempts (a retry that passes
	 * clears it), then the worst over sizes, kinds and directions */
	qsort(att, (size_t)na, sizeof(*att), cmp_attempt);
	for (int i = 0, j; i < na; i = j) {
		enum fc_pv best = att[i].status;
		for (j = i + 1; j < na && !cmp_attempt(&att[i], &att[j]); j++)
			best = att[j].status < best ? att[j].status : best;
		att[ncls] = att[i];
		att[ncls].lossy = att[i].kind == FC_MEAS_LOSS && best == FC_PV_FAIL;
		att[ncls++].status = best;
	}
	qsort(att, (size_t)ncls, sizeof(*att), cmp_class);
	cls = att;
	{
		int w = 0;
		for (int i = 0, j; i < ncls; i = j) {
			enum fc_pv st = att[i].status;
			bool measured = att[i].measured, lossy = att[i].lossy;
			for (j = i + 1; j < ncls && !cmp_class(&att[i], &att[j]); j++) {
				st = worse(st, att[j].status);
				measured |= att[j].measured;
				lossy |= att[j].lossy;
			}
			cls[w] = att[i];
			cls[w].measured = measured;
			cls[w].lossy = lossy;
			cls[w++].status = st;
		}
		ncls = w;
	}
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
		bool *measured = calloc((size_t)n + 1, sizeof(bool));
		int rounds = 0;

		if (!status_of || !measured || adjacency_build(&adj, n, cls, ncls)) {
			rc = -FC_EXIT_FABRIC;
			goto blame_done;
		}
		for (int i = 0; i < nm; i++)
			if (m[i].a >= 0 && m[i].a < n && m[i].b >= 0 && m[i].b < n)
				measured[m[i].a] = measured[m[i].b] = true;
		if (!out->relative && !out->absolute) {
			/* measured, not joined: a node with nothing measured
			 * (blocked, unmeasured) gives the rule no score */
			int nmeasured = 0;
			for (int node = 0; node < n; node++)
				nmeasured += measured[node];
			snprintf(out->note, sizeof(out->note),
				 "%d of %d node(s) measured: the relative rule needs %d; give --min-bw-gbps / --max-lat-us "
				 "(or an instance type with a line rate) for a verdict on the numbers",
				 nmeasured, n, c->min_nodes);
		}
		for (int node = 0; node < n; node++) {
			if (!alive[node]) {
				out->node[node].verdict = FC_PV_UNREACHABLE;
				out->node[node].kind = "unreachable";
				snprintf(out->node[node].reason, sizeof(out->node[node].reason),
					 "never joined or stopped answering the coordinator");
			} else if (!measured[node]) {
				/* no measurement with anyone: nothing vouches for it */
				out->node[node].verdict = FC_PV_UNKNOWN;
				out->node[node].kind = "unmeasured";
				out->unmeasured++;
				snprintf(out->node[node].reason, sizeof(out->node[node].reason),
					 "unmeasured: no step completed with any partner");
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
								m[i].a < m[i].b ? m[i].b : m[i].a,
								status_of[i] == FC_PV_FAIL &&
									pair_still_fails(cls, ncls, m[i].a, m[i].b)};
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
		judge_noise(n, cls, ncls, m, nm, c->fail, out);
blame_done:
		free(status_of);
		free(measured);
		free(adj.start);
		free(adj.idx);
	}
	free(k);
	free(att);
	if (rc)
		fc_verdicts_free(out);
	return rc;
}

int fc_pairs_nics_missing(const char *provider, const char *domain_opt, int opened, int type_efa)
{
	/* "efa" and its fabrics' names as libfabric 2.x reports them
	 * ("efa", "efa-direct"); not "efa;ofi_rxd" from a utility layer */
	bool efa = provider && !strncmp(provider, "efa", 3) && (!provider[3] || provider[3] == '-');
	bool every = !domain_opt || !*domain_opt || !strcmp(domain_opt, "all");

	return efa && every && type_efa > opened ? type_efa - opened : 0;
}

void fc_verdicts_free(struct fc_verdicts *v)
{
	for (int i = 0; v->groups && i < v->ngroups; i++)
		free(v->groups[i].score);
	free(v->groups);
	free(v->node);
	free(v->links);
	free(v->fail_pairs);
	memset(v, 0, sizeof(*v));
}
