#include "report_cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "report_fmt.h"
#include "stats.h"

/* What the cluster tables need of one record, read once through the
 * typed record (record.h): strings "" and numbers NAN where null. */
struct crec {
	const char *test, *scope, *local_host, *peer_host, *verdict, *reason, *action;
	bool has_rank, has_peer, curve; /* curve: the aggregate of a multi-lane pair, or its only lane */
	int64_t rank, peer_rank, size;
	double bw, lat;
};

/* records as crecs; NULL when memory is out. */
static struct crec *typed(json_t *records, size_t *n)
{
	struct crec *v = calloc(json_array_size(records) + 1, sizeof(*v));
	size_t i;
	json_t *rec;

	*n = 0;
	if (!v)
		return NULL;
	json_array_foreach(records, i, rec) {
		struct fc_rec r;
		fc_rec_from_json(&r, rec); /* validated on input: every field is typed */
		v[i] = (struct crec){
			.test = fc_str_or(r.test, ""),
			.scope = fc_str_or(r.scope, ""),
			.local_host = fc_str_or(r.local_host, ""),
			.peer_host = fc_str_or(r.peer_host, ""),
			.verdict = fc_str_or(r.verdict, ""),
			.reason = fc_str_or(r.reason, ""),
			.action = fc_str_or(r.action, ""),
			.has_rank = r.rank.set,
			.has_peer = r.peer_rank.set,
			.curve = r.lane.all || r.lanes.v <= 1,
			.rank = r.rank.v,
			.peer_rank = r.peer_rank.v,
			.size = r.size.v,
			.bw = rp_bw(fc_real_or(r.bw_gbps, NAN)),
			.lat = fc_real_or(r.lat_us_p50, NAN),
		};
	}
	*n = i;
	return v;
}

static bool is(const struct crec *r, const char *test)
{
	return !strcmp(r->test, test);
}

/* A growing list of values, NaNs left out; its median is stats.c's. */
struct vals {
	double *v;
	size_t n, cap;
};

static int push(struct vals *v, double x)
{
	if (isnan(x))
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		double *p = realloc(v->v, cap * sizeof(double));
		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

/* The median (NAN when empty); frees the list. */
static double median(struct vals *v)
{
	double r = fc_median(v->v, v->n);

	free(v->v);
	*v = (struct vals){0};
	return r;
}

static struct rp_node *node(struct rp_cluster *c, int64_t rank)
{
	size_t i = 0;

	while (i < c->n && c->nodes[i].rank < rank)
		i++;
	if (i < c->n && c->nodes[i].rank == rank)
		return &c->nodes[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct rp_node *p = realloc(c->nodes, cap * sizeof(*c->nodes));
		if (!p)
			return NULL;
		c->nodes = p;
		c->cap = cap;
	}
	memmove(&c->nodes[i + 1], &c->nodes[i], (c->n - i) * sizeof(*c->nodes));
	c->nodes[i] = (struct rp_node){.rank = rank, .host = "", .verdict = "", .reason = "", .action = "",
				       .bw_client = NAN, .bw_server = NAN, .lat_p50 = NAN};
	c->n++;
	return &c->nodes[i];
}

/* The index of rank's node (nodes are sorted by rank); -1 when none. */
static long node_at(const struct rp_cluster *c, int64_t rank)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->nodes[mid].rank < rank)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->nodes[lo].rank == rank ? (long)lo : -1;
}

static bool cluster_record(const struct crec *r)
{
	return is(r, "round") || is(r, "verdict") || r->has_rank;
}

/* Node, NIC, link, round and cluster records, and who is who. The
 * json_t records themselves go into the lists the Markdown writer reads;
 * node strings point into records. */
static int sort_records(struct rp_cluster *c, json_t *records, const struct crec *cr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct crec *r = &cr[i];
		json_t *rec = json_array_get(records, i);
		struct rp_node *nd;

		if (!cluster_record(r))
			continue;
		c->present = true;
		if (is(r, "round")) {
			json_array_append(c->rounds, rec);
		} else if (is(r, "verdict")) {
			if (!strcmp(r->scope, "cluster"))
				json_array_append(c->cluster, rec);
			else if (!strcmp(r->scope, "fabric"))
				json_array_append(c->fabric, rec);
			else if (!strcmp(r->scope, "nic"))
				json_array_append(c->nics, rec);
			else if (!strcmp(r->scope, "link"))
				json_array_append(c->links, rec);
			if (!strcmp(r->scope, "node")) {
				if (!(nd = node(c, r->rank)))
					return -1;
				nd->verdict = r->verdict;
				nd->reason = r->reason;
				nd->action = r->action;
				if (*r->local_host)
					nd->host = r->local_host;
			}
		} else {
			if (!(nd = node(c, r->rank)))
				return -1;
			if (!*nd->host)
				nd->host = r->local_host;
			if (r->has_peer) {
				struct rp_node *p = node(c, r->peer_rank);
				if (!p)
					return -1;
				if (!*p->host)
					p->host = r->peer_host;
			}
			if (is(r, "bw") && r->curve && r->size > c->bw_size)
				c->bw_size = r->size;
			if (is(r, "pingpong") && r->curve && r->size > 0 && (c->lat_size < 0 || r->size < c->lat_size))
				c->lat_size = r->size;
		}
	}
	return 0;
}

/* Per node, the medians of its pairs: bandwidth as the client and as the
 * server at the largest size, latency at the smallest either way. */
static int node_medians(struct rp_cluster *c, const struct crec *cr, size_t n)
{
	struct vals *v = calloc(3 * c->n + 1, sizeof(*v)); /* per node: client, server, latency */
	int rc = 0;

	if (!v)
		return -1;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct crec *r = &cr[i];
		long a, b;

		if (!r->has_rank || !r->curve)
			continue;
		a = node_at(c, r->rank);
		b = r->has_peer ? node_at(c, r->peer_rank) : -1;
		if (is(r, "bw") && r->size == c->bw_size) {
			if (a >= 0)
				rc |= push(&v[3 * a], r->bw);
			if (b >= 0)
				rc |= push(&v[3 * b + 1], r->bw);
		}
		/* a round trip is the same for both ends: the node's pairs
		 * whether it was the client or the server (once when both) */
		if (is(r, "pingpong") && r->size == c->lat_size) {
			if (a >= 0)
				rc |= push(&v[3 * a + 2], r->lat);
			if (b >= 0 && b != a)
				rc |= push(&v[3 * b + 2], r->lat);
		}
	}
	for (size_t k = 0; k < c->n; k++) {
		c->nodes[k].bw_client = median(&v[3 * k]);
		c->nodes[k].bw_server = median(&v[3 * k + 1]);
		c->nodes[k].lat_p50 = median(&v[3 * k + 2]);
	}
	free(v);
	return rc;
}

int rp_cluster_build(struct rp_cluster *c, json_t *records)
{
	size_t n;
	struct crec *cr;
	int rc;

	*c = (struct rp_cluster){.cluster = json_array(), .fabric = json_array(), .rounds = json_array(),
				 .nics = json_array(), .links = json_array(), .bw_size = -1, .lat_size = -1};
	if (!(cr = typed(records, &n)))
		return rp_nomem("reading the cluster records");
	rc = sort_records(c, records, cr, n) || node_medians(c, cr, n);
	free(cr);
	return rc ? rp_nomem("reading the cluster records") : 0;
}
void rp_cluster_free(struct rp_cluster *c)
{
	free(c->nodes);
	json_decref(c->cluster);
	json_decref(c->fabric);
	json_decref(c->rounds);
	json_decref(c->nics);
	json_decref(c->links);
	*c = (struct rp_cluster){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long find(char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (long)i;
	return -1;
}

/* The names of the hosts of bw records at the heatmap's size (no cluster
 * runner's), sorted; -1 when memory is out. */
static int host_names(struct rp_heatmap *h, const struct crec *cr, size_t n)
{
	size_t cap = 16;

	if (!(h->names = calloc(cap, sizeof(char *))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct crec *r = &cr[i];
		const char *hs[2] = {r->local_host, r->peer_host};
		if (!is(r, "bw") || cluster_record(r) || !r->curve || r->size != h->size)
			continue;
		for (int k = 0; k < 2; k++)
			if (*hs[k] && find(h->names, h->n, hs[k]) < 0) {
				if (h->n + 1 >= cap) {
					char **p = realloc(h->names, 2 * cap * sizeof(char *));
					if (!p)
						return -1;
					h->names = p;
					cap *= 2;
				}
				if (!(h->names[h->n] = strdup(hs[k])))
					return -1;
				h->n++;
			}
	}
	qsort(h->names, h->n, sizeof(char *), cmp_str);
	return 0;
}

/* Some host is both a client and a server: two separate node-pair runs
 * are not a matrix. */
static bool client_and_server(const struct rp_heatmap *h, const struct crec *cr, size_t n)
{
	for (size_t k = 0; k < h->n; k++) {
		bool cl = false, sv = false;
		for (size_t j = 0; j < n; j++) {
			if (!is(&cr[j], "bw") || cluster_record(&cr[j]))
				continue;
			cl |= !strcmp(cr[j].local_host, h->names[k]);
			sv |= !strcmp(cr[j].peer_host, h->names[k]);
		}
		if (cl && sv)
			return true;
	}
	return false;
}

/* 1 drawn, 0 nothing to draw, -1 out of memory. */
static int heatmap(struct rp_heatmap *h, const struct crec *cr, size_t n, const struct rp_cluster *c)
{
	struct vals *cells;
	bool by_rank = c && c->present && c->bw_size > 0;
	int rc = 0;

	if (by_rank) {
		h->size = c->bw_size;
		if (!(h->names = calloc(c->n + 1, sizeof(char *))))
			return -1;
		for (size_t k = 0; k < c->n; k++, h->n++) {
			char b[64];
			snprintf(b, sizeof(b), "rank %lld", (long long)c->nodes[k].rank);
			if (!(h->names[k] = strdup(*c->nodes[k].host ? c->nodes[k].host : b)))
				return -1;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			if (is(&cr[i], "bw") && !cluster_record(&cr[i]) && cr[i].curve && cr[i].size > h->size)
				h->size = cr[i].size;
		if (host_names(h, cr, n))
			return -1;
		if (h->n < 3 || !client_and_server(h, cr, n))
			return 0;
	}
	if (h->n == 0 || h->size < 0)
		return 0;
	cells = calloc(h->n * h->n, sizeof(*cells));
	h->cell = malloc(h->n * h->n * sizeof(double));
	if (!cells || !h->cell) {
		free(cells);
		return -1;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const struct crec *r = &cr[i];
		long a, b;
		if (!is(r, "bw") || !r->curve || r->size != h->size || by_rank != r->has_rank)
			continue;
		if (by_rank) {
			a = node_at(c, r->rank);
			b = r->has_peer ? node_at(c, r->peer_rank) : -1;
		} else {
			a = find(h->names, h->n, r->local_host);
			b = find(h->names, h->n, r->peer_host);
		}
		if (a >= 0 && b >= 0)
			rc = push(&cells[(size_t)a * h->n + (size_t)b], r->bw);
	}
	for (size_t k = 0; k < h->n * h->n; k++)
		h->cell[k] = median(&cells[k]);
	free(cells);
	/* a pair with no number whose steps failed is drawn as failed, not
	 * left blank as a pair that never met */
	if (!rc && by_rank && !(h->failed = calloc(h->n * h->n, sizeof(bool))))
		return -1;
	for (size_t i = 0; !rc && by_rank && i < n; i++) {
		const struct crec *r = &cr[i];
		long a, b;
		if (!is(r, "verdict") || strcmp(r->scope, "step") || !r->has_rank || !r->has_peer)
			continue;
		a = node_at(c, r->rank);
		b = node_at(c, r->peer_rank);
		if (a < 0 || b < 0)
			continue;
		if (isnan(h->cell[(size_t)a * h->n + (size_t)b]))
			h->failed[(size_t)a * h->n + (size_t)b] = true;
		if (isnan(h->cell[(size_t)b * h->n + (size_t)a]))
			h->failed[(size_t)b * h->n + (size_t)a] = true;
	}
	return rc ? -1 : 1;
}

int rp_heatmap_build(struct rp_heatmap *h, json_t *records, const struct rp_cluster *c)
{
	size_t n;
	struct crec *cr;
	int rc;

	*h = (struct rp_heatmap){.size = -1};
	cr = typed(records, &n);
	rc = cr ? heatmap(h, cr, n, c) : -1;
	free(cr);
	if (rc != 1)
		rp_heatmap_free(h);
	return rc < 0 ? rp_nomem("drawing the node-pair matrix") : rc;
}

void rp_heatmap_free(struct rp_heatmap *h)
{
	for (size_t i = 0; h->names && i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	free(h->cell);
	free(h->failed);
	*h = (struct rp_heatmap){0};
}
