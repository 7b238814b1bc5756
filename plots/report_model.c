#include "report_model.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record.h"
#include "report_fmt.h"
#include "stats.h"

static const char *kinds[] = {"pingpong", "bw", "rma", "mr", "nccl"};

/* The fields that make a configuration, per kind (see report_model.h),
 * then the run's label and id: two runs of one configuration are two
 * series unless --pool (records without them, older ones, pool as before). */
static const char *const fab_fields[] = {"transport", "provider", "fabric", "direction", "streams", "buffers",
					 "memory", "peer_memory", "lanes", "label", "run", NULL};
static const char *const rma_fields[] = {"transport", "provider", "fabric", "rma_op", "direction", "buffers",
					 "memory", "peer_memory", "lanes", "label", "run", NULL};
static const char *const mr_fields[] = {"provider", "fabric", "memory", "mr_phase", "mr_path", "label", "run", NULL};
static const char *const nccl_fields[] = {"nccl_op", "net", "provider", "in_place", NULL};

static const char *const *fields_of(enum rp_kind k)
{
	return k == RP_RMA ? rma_fields : k == RP_MR ? mr_fields : k == RP_NCCL ? nccl_fields : fab_fields;
}

const char *rp_kind_name(enum rp_kind k)
{
	return k < RP_NKINDS ? kinds[k] : "?";
}

/* Room for one more of n elements; -1 when memory is out (*p unchanged). */
static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *q;

	if (n < *cap)
		return 0;
	if (!(q = realloc(*p, c * elem)))
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static void count(json_t *obj, const char *what)
{
	json_t *v = json_object_get(obj, what);
	json_object_set_new(obj, what, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static bool efa_net(const char *net)
{
	return strcasestr(net, "libfabric") || strcasestr(net, "ofi");
}

/* Per size, one value per series: the aggregate of a multi-lane run
 * (lane "all"), or the only lane of a single one. */
static bool curve_record(const struct fc_rec *r)
{
	return r->lane.all || fc_int_or(r->lanes, 0) <= 1;
}

static char *key_of(json_t *rec, enum rp_kind k, json_int_t origin, bool pool)
{
	struct rp_buf b = {0};

	rp_buf_printf(&b, "%s", kinds[k]);
	for (const char *const *f = fields_of(k); *f; f++) {
		if (pool && !strcmp(*f, "run"))
			continue;
		char *v = json_dumps(json_object_get(rec, *f), JSON_ENCODE_ANY | JSON_COMPACT);
		rp_buf_printf(&b, "|%s", v ? v : "null");
		free(v);
	}
	/* nccl-tests output that names neither network nor provider: one
	 * series per file, never pooled with another unnamed run */
	if (k == RP_NCCL && !*fc_json_str(rec, "net") && !*fc_json_str(rec, "provider"))
		rp_buf_printf(&b, "|source %lld", (long long)origin);
	if (b.nomem) {
		rp_buf_free(&b);
		return NULL;
	}
	return b.s;
}

static struct rp_series *series_for(struct rp_model *m, json_t *rec, enum rp_kind k, json_int_t origin)
{
	char *key = key_of(rec, k, origin, m->pool);
	struct rp_series *s;

	json_t *at;

	if (!key)
		return NULL;
	if ((at = json_object_get(m->index, key))) {
		free(key);
		return &m->s[json_integer_value(at)];
	}
	if (grow((void **)&m->s, &m->cap, m->n, sizeof(*m->s)) ||
	    json_object_set_new(m->index, key, json_integer((json_int_t)m->n))) {
		free(key);
		return NULL;
	}
	s = &m->s[m->n];
	*s = (struct rp_series){.id = (int)m->n + 1, .kind = k, .key = key, .rep = rec, .host_pairs = json_object()};
	if (k == RP_NCCL) {
		const char *net = fc_json_str(rec, "net"), *prov = fc_json_str(rec, "provider");
		s->efa = efa_net(net) || !strcmp(prov, "efa");
		s->socket = !s->efa && (*net || *prov);
	} else {
		s->socket = !strcmp(fc_json_str(rec, "transport"), "socket");
		s->efa = !strncmp(fc_json_str(rec, "provider"), "efa", 3);
	}
	m->n++;
	return s;
}

static struct rp_point *point_for(struct rp_series *s, int64_t size)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	if (grow((void **)&s->pts, &s->cap, s->n, sizeof(*s->pts)))
		return NULL;
	s->pts[s->n] = (struct rp_point){.size = size};
	return &s->pts[s->n++];
}

static int cmp_point(const void *a, const void *b)
{
	int64_t x = ((const struct rp_point *)a)->size, y = ((const struct rp_point *)b)->size;
	return x < y ? -1 : x > y;
}

/* One field over the repeats, NaNs left out: how = 0 the median
 * (stats.c's), -1 the least, 1 the most; v is room for p->n values. */
static double reduce(const struct rp_point *p, size_t off, int how, double *v)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		double x = *(const double *)((const char *)&p->v[i] + off);
		if (!isnan(x))
			v[k++] = x;
	}
	if (!k || how == 0)
		return fc_median(v, k);
	for (size_t i = 1; i < k; i++)
		if (how < 0 ? v[i] < v[0] : v[i] > v[0])
			v[0] = v[i];
	return v[0];
}

static int finish_point(struct rp_point *p)
{
	double *v = malloc((p->n + 1) * sizeof(double));

	if (!v)
		return -1;
	p->med.bw = reduce(p, offsetof(struct rp_sample, bw), 0, v);
	p->med.p50 = reduce(p, offsetof(struct rp_sample, p50), 0, v);
	p->med.min = reduce(p, offsetof(struct rp_sample, min), -1, v);
	p->med.p99 = reduce(p, offsetof(struct rp_sample, p99), 0, v);
	p->med.max = reduce(p, offsetof(struct rp_sample, max), 1, v);
	p->med.mean = reduce(p, offsetof(struct rp_sample, mean), 0, v);
	p->med.dereg = reduce(p, offsetof(struct rp_sample, dereg), 0, v);
	p->med.algbw = reduce(p, offsetof(struct rp_sample, algbw), 0, v);
	p->med.preempt = reduce(p, offsetof(struct rp_sample, preempt), 0, v);
	free(v);
	return 0;
}

static bool is_default(const char *field, json_t *v, enum rp_kind k)
{
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
		return true;
	/* a run's id shows only where runs differ; its label always */
	if (!strcmp(field, "run"))
		return true;
	if (!strcmp(field, "direction"))
		return k != RP_RMA && s && !strcmp(s, "uni");
	if (!strcmp(field, "streams") || !strcmp(field, "lanes"))
		return json_integer_value(v) <= 1;
	if (!strcmp(field, "memory") || !strcmp(field, "peer_memory"))
		return s && !strcmp(s, "host");
	if (!strcmp(field, "buffers"))
		return s && !strcmp(s, "slots");
	/* transport and provider are in the base of the label */
	return !strcmp(field, "transport") || !strcmp(field, "provider") || !strcmp(field, "fabric");
}

static void qualifier(struct rp_buf *b, const char *field, json_t *v)
{
	const char *s = json_string_value(v);
	char *d;

	rp_buf_printf(b, "%s", b->n ? ", " : "");
	if (!strcmp(field, "streams"))
		rp_buf_printf(b, "%lld stream%s", (long long)json_integer_value(v), json_integer_value(v) == 1 ? "" : "s");
	else if (!strcmp(field, "lanes"))
		rp_buf_printf(b, "%lld lane%s", (long long)json_integer_value(v), json_integer_value(v) == 1 ? "" : "s");
	else if (!strcmp(field, "peer_memory"))
		rp_buf_printf(b, "peer %s", s ? s : "?");
	else if (!strcmp(field, "run"))
		rp_buf_printf(b, "run %s", s ? s : "?");
	else if (!strcmp(field, "buffers") || !strcmp(field, "fabric"))
		rp_buf_printf(b, "%s %s", field, s ? s : "?");
	else if (s)
		rp_buf_printf(b, "%s", s);
	else {
		d = json_dumps(v, JSON_ENCODE_ANY);
		rp_buf_printf(b, "%s %s", field, d ? d : "?");
		free(d);
	}
}

static char *base_label(const struct rp_series *s)
{
	struct rp_buf b = {0};
	json_t *r = s->rep;

	switch (s->kind) {
	case RP_NCCL:
		rp_buf_printf(&b, "NCCL %s", *fc_json_str(r, "nccl_op") ? fc_json_str(r, "nccl_op") : "(operation not stated)");
		if (*fc_json_str(r, "net"))
			rp_buf_printf(&b, " over %s", fc_json_str(r, "net"));
		if (*fc_json_str(r, "provider"))
			rp_buf_printf(&b, " (%s)", fc_json_str(r, "provider"));
		if (!*fc_json_str(r, "net") && !*fc_json_str(r, "provider"))
			rp_buf_printf(&b, " (network not stated, S%d)", s->id);
		if (json_is_true(json_object_get(r, "in_place")))
			rp_buf_printf(&b, ", in-place");
		break;
	case RP_MR:
		rp_buf_printf(&b, "MR libfabric %s", *fc_json_str(r, "provider") ? fc_json_str(r, "provider") : "?");
		break;
	default:
		if (s->socket)
			rp_buf_printf(&b, "TCP sockets");
		else
			rp_buf_printf(&b, "libfabric%s%s", *fc_json_str(r, "provider") ? " " : "", fc_json_str(r, "provider"));
		break;
	}
	if (b.nomem) {
		rp_buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* Series of one kind and base label sort together (then by index, so
 * the order is stable). */
struct label_ctx {
	const struct rp_model *m;
	char **base;
};

static int cmp_group(const void *a, const void *b, void *arg)
{
	const struct label_ctx *ctx = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct rp_series *x = &ctx->m->s[i], *y = &ctx->m->s[j];
	int c = x->kind != y->kind ? (x->kind < y->kind ? -1 : 1) : strcmp(ctx->base[i], ctx->base[j]);

	return c ? c : (i < j ? -1 : i > j);
}

static json_t *field_of(const struct rp_series *s, const char *f)
{
	json_t *v = json_object_get(s->rep, f);
	return v ? v : json_null();
}

#define RP_MAX_FIELDS 16

/* Labels show every field that is not at its default, and every field in
 * which the series differs from another of the same kind and base name:
 * two series never share a label. A series differs from another of its
 * group in a field exactly when the group holds two values of it, so each
 * group is read once per field: sorting makes the whole O(n log n), where
 * comparing every pair took minutes for 10,000 series. */
static int label_all(struct rp_model *m)
{
	char **base = calloc(m->n + 1, sizeof(char *));
	size_t *order = calloc(m->n + 1, sizeof(size_t));
	struct label_ctx ctx = {m, base};
	int rc = 0;

	if (!base || !order) {
		free(base);
		free(order);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		order[i] = i;
		if (!(base[i] = base_label(&m->s[i])))
			rc = -1;
	}
	if (!rc)
		qsort_r(order, m->n, sizeof(*order), cmp_group, &ctx);
	for (size_t g = 0; g < m->n && !rc;) {
		const struct rp_series *first = &m->s[order[g]];
		const char *const *fields = fields_of(first->kind);
		bool varies[RP_MAX_FIELDS] = {false};
		size_t end = g + 1;

		while (end < m->n && m->s[order[end]].kind == first->kind && !strcmp(base[order[end]], base[order[g]]))
			end++;
		for (size_t f = 0; fields[f] && f < RP_MAX_FIELDS; f++)
			for (size_t k = g + 1; k < end && !varies[f]; k++)
				varies[f] = !json_equal(field_of(first, fields[f]), field_of(&m->s[order[k]], fields[f]));
		for (size_t k = g; k < end && !rc; k++) {
			struct rp_series *s = &m->s[order[k]];
			struct rp_buf q = {0}, l = {0};

			if (s->kind != RP_NCCL)
				for (size_t f = 0; fields[f] && f < RP_MAX_FIELDS; f++) {
					json_t *v = json_object_get(s->rep, fields[f]);
					bool show = varies[f] || !is_default(fields[f], v, s->kind) ||
						    (s->kind == RP_MR && strcmp(fields[f], "provider"));
					/* a labelled run is named by its label */
					if (!strcmp(fields[f], "run") && json_string_value(json_object_get(s->rep, "label")))
						show = false;
					/* a field a record does not state is left out: the
					 * series it differs from states its own value */
					if (show && v && !json_is_null(v))
						qualifier(&q, fields[f], v);
				}
			rp_buf_printf(&l, "%s%s%s%s", base[order[k]], q.n ? " (" : "", rp_buf_str(&q), q.n ? ")" : "");
			if (q.nomem || l.nomem) {
				rp_buf_free(&l);
				rc = -1;
			}
			s->label = l.s;
			rp_buf_free(&q);
		}
		g = end;
	}
	for (size_t i = 0; i < m->n; i++)
		free(base[i]);
	free(base);
	free(order);
	return rc;
}

/* The record's test as a kind; RP_NKINDS for the others. */
static enum rp_kind kind_of(const char *test)
{
	enum rp_kind k = 0;

	while (k < RP_NKINDS && strcmp(test, kinds[k]))
		k++;
	return k;
}

/* One record, typed: the cluster runner's and coverage records are
 * counted, the others become a sample of their series at their size. */
static int add_record(struct rp_model *m, json_t *rec, json_int_t origin)
{
	struct fc_rec r;
	const char *t;
	enum rp_kind k;
	struct rp_series *s;
	struct rp_point *p;
	char pair[2 * 1024 + 8];

	fc_rec_from_json(&r, rec); /* validated on input: every field is typed */
	t = fc_str_or(r.test, "");
	k = kind_of(t);
	if (!strcmp(t, "round") || !strcmp(t, "verdict") || r.rank.set) {
		m->cluster++; /* the cluster runner's: see report_cluster */
		return 0;
	}
	if (!strcmp(t, "coverage")) {
		m->coverage++;
		return 0;
	}
	if (k == RP_NKINDS || !r.size.set) {
		char what[128];
		if (k == RP_NKINDS)
			snprintf(what, sizeof(what), "records of test \"%.64s\" (not a kind this report draws)", t);
		else
			snprintf(what, sizeof(what), "%s records without a size", t);
		count(m->ignored, what);
		return 0;
	}
	if (!(s = series_for(m, rec, k, origin)))
		return -1;
	s->records++;
	snprintf(pair, sizeof(pair), "%s → %s", fc_str_or(r.local_host, ""), fc_str_or(r.peer_host, ""));
	json_object_set_new(s->host_pairs, pair, json_true());
	if (k != RP_NCCL && k != RP_MR && !curve_record(&r)) {
		s->lane_records++;
		return 0;
	}
	if (!(p = point_for(s, r.size.v)) || grow((void **)&p->v, &p->cap, p->n, sizeof(*p->v)))
		return -1;
	p->v[p->n++] = (struct rp_sample){
		.bw = rp_bw(fc_real_or(k == RP_NCCL ? r.busbw_gbps : r.bw_gbps, NAN)),
		.p50 = fc_real_or(r.lat_us_p50, NAN),
		.min = fc_real_or(r.lat_us_min, NAN),
		.p99 = fc_real_or(r.lat_us_p99, NAN),
		.max = fc_real_or(r.lat_us_max, NAN),
		.mean = fc_real_or(r.lat_us_mean, NAN),
		.dereg = fc_real_or(r.dereg_us_p50, NAN),
		.algbw = rp_bw(fc_real_or(r.algbw_gbps, NAN)),
		.preempt = fc_real_or(r.preempt_per_s, NAN),
	};
	return 0;
}

int rp_model_build(struct rp_model *m, json_t *records, json_t *origin, bool pool)
{
	size_t i;
	json_t *rec;
	bool have_bw = false;

	*m = (struct rp_model){.ignored = json_object(), .index = json_object(), .pool = pool};
	json_array_foreach(records, i, rec) {
		struct fc_rec r;
		fc_rec_from_json(&r, rec);
		have_bw |= r.test && !strcmp(r.test, "bw") && !r.rank.set;
	}
	m->bw_kind = have_bw ? RP_BW : RP_PINGPONG;
	json_array_foreach(records, i, rec)
		if (add_record(m, rec, origin ? json_integer_value(json_array_get(origin, i)) : 0))
			return rp_nomem("grouping the records into series");
	for (size_t s = 0; s < m->n; s++) {
		for (size_t k = 0; k < m->s[s].n; k++)
			if (finish_point(&m->s[s].pts[k]))
				return rp_nomem("reducing repeats to their median");
		if (m->s[s].n > 1) /* a series of per-NIC records only has no points */
			qsort(m->s[s].pts, m->s[s].n, sizeof(struct rp_point), cmp_point);
	}
	if (label_all(m))
		return rp_nomem("labelling the series");
	return 0;
}

void rp_model_free(struct rp_model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; k < m->s[i].n; k++)
			free(m->s[i].pts[k].v);
		free(m->s[i].pts);
		free(m->s[i].key);
		free(m->s[i].label);
		json_decref(m->s[i].host_pairs);
	}
	free(m->s);
	json_decref(m->ignored);
	json_decref(m->index);
	*m = (struct rp_model){0};
}

const struct rp_point *rp_at(const struct rp_series *s, int64_t size)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	return NULL;
}

int64_t rp_next_size(struct rp_series *const *s, size_t n, int64_t after)
{
	int64_t best = -1;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; s[i] && j < s[i]->n; j++)
			if (s[i]->pts[j].size > after && (best < 0 || s[i]->pts[j].size < best))
				best = s[i]->pts[j].size;
	return best;
}

size_t rp_shared(const struct rp_series *a, const struct rp_series *b)
{
	size_t n = 0;
	for (size_t i = 0; a && b && i < a->n; i++)
		n += rp_at(b, a->pts[i].size) != NULL;
	return n;
}

static bool uni(const struct rp_series *s)
{
	const char *d = fc_json_str(s->rep, "direction");
	return !*d || !strcmp(d, "uni");
}

static bool host_mem(const struct rp_series *s)
{
	const char *d = fc_json_str(s->rep, "memory");
	return !*d || !strcmp(d, "host");
}

static bool same(const struct rp_series *a, const struct rp_series *b, const char *f)
{
	return !strcmp(fc_json_str(a->rep, f), fc_json_str(b->rep, f));
}

/* Lexicographic preference: a > b when the first differing criterion
 * favours a; labels break ties so that input order never decides. */
static bool better(const long *ka, const long *kb, int n, const char *la, const char *lb)
{
	for (int i = 0; i < n; i++)
		if (ka[i] != kb[i])
			return ka[i] > kb[i];
	return strcmp(la, lb) < 0;
}

static bool bw_kind(enum rp_kind have, enum rp_kind want)
{
	return have == want;
}

void rp_pick(const struct rp_model *m, enum rp_kind k, const struct rp_pair *user, struct rp_pair *out)
{
	struct rp_series *with = NULL, *without = NULL;
	long kw[4] = {0}, kb[4] = {0};

	*out = (struct rp_pair){0};
	if (user && user->with && bw_kind(user->with->kind, k) && bw_kind(user->without->kind, k)) {
		*out = *user;
		out->by_user = true;
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct rp_series *s = &m->s[i];
		long key[4];
		size_t best_shared = 0;

		if (s->kind != k || s->socket || (k == RP_NCCL && (!s->efa || json_is_true(json_object_get(s->rep, "in_place")))))
			continue;
		for (size_t j = 0; j < m->n; j++)
			if (m->s[j].kind == k && m->s[j].socket && rp_shared(s, &m->s[j]) > best_shared)
				best_shared = rp_shared(s, &m->s[j]);
		if (k == RP_NCCL)
			key[0] = !strcmp(fc_json_str(s->rep, "nccl_op"), "all_reduce"), key[1] = 1, key[2] = 1;
		else
			key[0] = s->efa, key[1] = uni(s), key[2] = host_mem(s);
		key[3] = (long)best_shared;
		if (!with || better(key, kw, 4, s->label, with->label)) {
			with = s;
			memcpy(kw, key, sizeof(kw));
		}
	}
	for (size_t i = 0; with && i < m->n; i++) {
		struct rp_series *s = &m->s[i];
		long key[4];

		if (s->kind != k || !s->socket)
			continue;
		if (k == RP_NCCL) {
			if (!same(s, with, "nccl_op") || json_is_true(json_object_get(s->rep, "in_place")))
				continue;
			key[0] = !strcasecmp(fc_json_str(s->rep, "net"), "Socket"), key[1] = 1, key[2] = 1;
		} else {
			key[0] = same(s, with, "direction"), key[1] = same(s, with, "memory");
			key[2] = json_integer_value(json_object_get(s->rep, "streams")) <= 1;
		}
		key[3] = (long)rp_shared(s, with);
		if (!without || better(key, kb, 4, s->label, without->label)) {
			without = s;
			memcpy(kb, key, sizeof(kb));
		}
	}
	out->with = with;
	out->without = without;
}

static struct rp_series *resolve(const struct rp_model *m, const char *name, char *why, size_t len)
{
	struct rp_series *hit = NULL;
	char *end;

	if ((name[0] == 'S' || name[0] == 's') && isdigit((unsigned char)name[1])) {
		long id = strtol(name + 1, &end, 10);
		if (!*end && id >= 1 && (size_t)id <= m->n)
			return &m->s[id - 1];
	}
	for (size_t i = 0; i < m->n; i++)
		if (strstr(m->s[i].label, name)) {
			if (hit) {
				snprintf(why, len, "'%s' matches both S%d (%s) and S%d (%s): name one by its id", name, hit->id,
					 hit->label, m->s[i].id, m->s[i].label);
				return NULL;
			}
			hit = &m->s[i];
		}
	if (!hit)
		snprintf(why, len, "no series '%s' in the input", name);
	return hit;
}

int rp_parse_compare(const struct rp_model *m, const char *spec, struct rp_pair *out, char *why, size_t len)
{
	const char *comma = strchr(spec, ',');
	char a[256];

	*out = (struct rp_pair){0};
	if (!comma || (size_t)(comma - spec) >= sizeof(a) || comma == spec || !comma[1]) {
		snprintf(why, len, "--compare takes two series, A,B (ids like S1,S2 or label text)");
		return -1;
	}
	snprintf(a, sizeof(a), "%.*s", (int)(comma - spec), spec);
	if (!(out->with = resolve(m, a, why, len)) || !(out->without = resolve(m, comma + 1, why, len)))
		return -1;
	if (out->with == out->without) {
		snprintf(why, len, "--compare names S%d twice", out->with->id);
		return -1;
	}
	if (out->with->kind == RP_MR || out->with->kind != out->without->kind) {
		snprintf(why, len, "--compare: S%d (%s) and S%d (%s) measure different things", out->with->id,
			 rp_kind_name(out->with->kind), out->without->id, rp_kind_name(out->without->kind));
		return -1;
	}
	return 0;
}
