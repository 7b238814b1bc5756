#include "report_cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

static bool is(json_t *rec, const char *test)
{
	return !strcmp(str(rec, "test"), test);
}

static bool has_rank(json_t *rec, const char *key)
{
	return json_is_integer(json_object_get(rec, key));
}

static int64_t ival(json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

static bool curve_record(json_t *rec)
{
	json_t *lane = json_object_get(rec, "lane");
	return json_is_string(lane) || ival(rec, "lanes") <= 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median of a growing list; NAN when empty. */
struct vals {
	double *v;
	size_t n, cap;
};

static void push(struct vals *v, double x)
{
	if (isnan(x))
		return;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->v = realloc(v->v, v->cap * sizeof(double));
		if (!v->v)
			abort();
	}
	v->v[v->n++] = x;
}

static double median(struct vals *v)
{
	double r = NAN;
	if (v->n) {
		qsort(v->v, v->n, sizeof(double), cmp_double);
		r = v->n % 2 ? v->v[v->n / 2] : (v->v[v->n / 2 - 1] + v->v[v->n / 2]) / 2;
	}
	free(v->v);
	*v = (struct vals){0};
	return r;
}

static double num(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static struct rp_node *node(struct rp_cluster *c, int64_t rank)
{
	size_t i = 0;

	while (i < c->n && c->nodes[i].rank < rank)
		i++;
	if (i < c->n && c->nodes[i].rank == rank)
		return &c->nodes[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->nodes = realloc(c->nodes, c->cap * sizeof(*c->nodes));
		if (!c->nodes)
			abort();
	}
	memmove(&c->nodes[i + 1], &c->nodes[i], (c->n - i) * sizeof(*c->nodes));
	c->nodes[i] = (struct rp_node){.rank = rank, .host = "", .verdict = "", .reason = "", .action = "",
				       .bw_client = NAN, .bw_server = NAN, .lat_p50 = NAN};
	c->n++;
	return &c->nodes[i];
}

static bool cluster_record(json_t *rec)
{
	return is(rec, "round") || is(rec, "verdict") || has_rank(rec, "rank");
}

int rp_cluster_build(struct rp_cluster *c, json_t *records)
{
	size_t i;
	json_t *rec;

	*c = (struct rp_cluster){.cluster = json_array(), .fabric = json_array(), .rounds = json_array(),
				 .nics = json_array(), .links = json_array(), .bw_size = -1, .lat_size = -1};
	json_array_foreach(records, i, rec) {
		if (!cluster_record(rec))
			continue;
		c->present = true;
		if (is(rec, "round")) {
			json_array_append(c->rounds, rec);
		} else if (is(rec, "verdict")) {
			const char *scope = str(rec, "scope");
			if (!strcmp(scope, "cluster"))
				json_array_append(c->cluster, rec);
			else if (!strcmp(scope, "fabric"))
				json_array_append(c->fabric, rec);
			else if (!strcmp(scope, "nic"))
				json_array_append(c->nics, rec);
			else if (!strcmp(scope, "link"))
				json_array_append(c->links, rec);
			if (!strcmp(scope, "node")) {
				struct rp_node *n = node(c, ival(rec, "rank"));
				n->verdict = str(rec, "verdict");
				n->reason = str(rec, "reason");
				n->action = str(rec, "action");
				if (*str(rec, "local_host"))
					n->host = str(rec, "local_host");
			}
		} else {
			int64_t size = ival(rec, "size");
			struct rp_node *n = node(c, ival(rec, "rank"));
			if (!*n->host)
				n->host = str(rec, "local_host");
			if (has_rank(rec, "peer_rank")) {
				struct rp_node *p = node(c, ival(rec, "peer_rank"));
				if (!*p->host)
					p->host = str(rec, "peer_host");
			}
			if (is(rec, "bw") && curve_record(rec) && size > c->bw_size)
				c->bw_size = size;
			if (is(rec, "pingpong") && curve_record(rec) && size > 0 && (c->lat_size < 0 || size < c->lat_size))
				c->lat_size = size;
		}
	}
	for (size_t k = 0; k < c->n; k++) {
		struct rp_node *n = &c->nodes[k];
		struct vals cl = {0}, sv = {0}, lat = {0};
		json_array_foreach(records, i, rec) {
			if (!has_rank(rec, "rank") || !curve_record(rec))
				continue;
			if (is(rec, "bw") && ival(rec, "size") == c->bw_size) {
				if (ival(rec, "rank") == n->rank)
					push(&cl, num(rec, "bw_gbps"));
				if (has_rank(rec, "peer_rank") && ival(rec, "peer_rank") == n->rank)
					push(&sv, num(rec, "bw_gbps"));
			}
			/* a round trip is the same for both ends: the node's pairs
			 * whether it was the client or the server */
			if (is(rec, "pingpong") && ival(rec, "size") == c->lat_size &&
			    (ival(rec, "rank") == n->rank || (has_rank(rec, "peer_rank") && ival(rec, "peer_rank") == n->rank)))
				push(&lat, num(rec, "lat_us_p50"));
		}
		n->bw_client = median(&cl);
		n->bw_server = median(&sv);
		n->lat_p50 = median(&lat);
	}
	return 0;
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

int rp_heatmap_build(struct rp_heatmap *h, json_t *records, const struct rp_cluster *c)
{
	size_t i;
	json_t *rec;
	struct vals *cells;
	bool by_rank = c && c->present && c->bw_size > 0, client_server = false;

	*h = (struct rp_heatmap){.size = -1};
	if (by_rank) {
		h->size = c->bw_size;
		h->n = c->n;
		h->names = calloc(h->n + 1, sizeof(char *));
		for (size_t k = 0; k < c->n; k++) {
			char b[64];
			snprintf(b, sizeof(b), "rank %lld", (long long)c->nodes[k].rank);
			h->names[k] = strdup(*c->nodes[k].host ? c->nodes[k].host : b);
		}
	} else {
		size_t cap = 16;
		h->names = calloc(cap, sizeof(char *));
		json_array_foreach(records, i, rec)
			if (is(rec, "bw") && !cluster_record(rec) && curve_record(rec) && ival(rec, "size") > h->size)
				h->size = ival(rec, "size");
		json_array_foreach(records, i, rec) {
			const char *hs[2] = {str(rec, "local_host"), str(rec, "peer_host")};
			if (!is(rec, "bw") || cluster_record(rec) || !curve_record(rec) || ival(rec, "size") != h->size)
				continue;
			for (int k = 0; k < 2; k++)
				if (*hs[k] && find(h->names, h->n, hs[k]) < 0) {
					if (h->n + 1 >= cap) {
						cap *= 2;
						h->names = realloc(h->names, cap * sizeof(char *));
						if (!h->names)
							abort();
					}
					h->names[h->n++] = strdup(hs[k]);
				}
		}
		qsort(h->names, h->n, sizeof(char *), cmp_str);
		/* two separate node-pair runs are not a matrix */
		for (size_t k = 0; k < h->n && !client_server; k++) {
			bool cl = false, sv = false;
			size_t j;
			json_t *r;
			json_array_foreach(records, j, r) {
				if (!is(r, "bw") || cluster_record(r))
					continue;
				cl |= !strcmp(str(r, "local_host"), h->names[k]);
				sv |= !strcmp(str(r, "peer_host"), h->names[k]);
			}
			client_server = cl && sv;
		}
		if (h->n < 3 || !client_server) {
			rp_heatmap_free(h);
			return 0;
		}
	}
	if (h->n == 0 || h->size < 0) {
		rp_heatmap_free(h);
		return 0;
	}
	cells = calloc(h->n * h->n, sizeof(*cells));
	h->cell = malloc(h->n * h->n * sizeof(double));
	if (!cells || !h->cell)
		abort();
	json_array_foreach(records, i, rec) {
		long a, b;
		if (!is(rec, "bw") || !curve_record(rec) || ival(rec, "size") != h->size || by_rank != has_rank(rec, "rank"))
			continue;
		if (by_rank) {
			a = b = -1;
			for (size_t k = 0; k < c->n; k++) {
				if (c->nodes[k].rank == ival(rec, "rank"))
					a = (long)k;
				if (has_rank(rec, "peer_rank") && c->nodes[k].rank == ival(rec, "peer_rank"))
					b = (long)k;
			}
		} else {
			a = find(h->names, h->n, str(rec, "local_host"));
			b = find(h->names, h->n, str(rec, "peer_host"));
		}
		if (a >= 0 && b >= 0)
			push(&cells[(size_t)a * h->n + (size_t)b], num(rec, "bw_gbps"));
	}
	for (size_t k = 0; k < h->n * h->n; k++)
		h->cell[k] = median(&cells[k]);
	free(cells);
	return 1;
}

void rp_heatmap_free(struct rp_heatmap *h)
{
	for (size_t i = 0; h->names && i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	free(h->cell);
	*h = (struct rp_heatmap){0};
}
