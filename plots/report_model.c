#include "report_model.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report_fmt.h"

static const char *kinds[] = {"pingpong", "bw", "rma", "mr", "nccl"};

/* The fields that make a configuration, per kind (see report_model.h). */
static const char *const fab_fields[] = {"transport", "provider", "fabric", "direction", "streams", "buffers",
					 "memory", "peer_memory", "lanes", NULL};
static const char *const rma_fields[] = {"transport", "provider", "fabric", "rma_op", "direction", "buffers",
					 "memory", "peer_memory", "lanes", NULL};
static const char *const mr_fields[] = {"provider", "fabric", "memory", "mr_phase", "mr_path", NULL};
static const char *const nccl_fields[] = {"nccl_op", "net", "provider", "in_place", NULL};

static const char *const *fields_of(enum rp_kind k)
{
	return k == RP_RMA ? rma_fields : k == RP_MR ? mr_fields : k == RP_NCCL ? nccl_fields : fab_fields;
}

const char *rp_kind_name(enum rp_kind k)
{
	return k < RP_NKINDS ? kinds[k] : "?";
}

static const char *str(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? s : "";
}

static double num(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return;
	*cap = *cap ? *cap * 2 : 8;
	*p = realloc(*p, *cap * elem);
	if (!*p)
		abort();
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
static bool curve_record(json_t *rec)
{
	json_t *lane = json_object_get(rec, "lane");
	return json_is_string(lane) || json_integer_value(json_object_get(rec, "lanes")) <= 1;
}

static char *key_of(json_t *rec, enum rp_kind k, json_int_t origin)
{
	struct rp_buf b = {0};

	rp_buf_printf(&b, "%s", kinds[k]);
	for (const char *const *f = fields_of(k); *f; f++) {
		char *v = json_dumps(json_object_get(rec, *f), JSON_ENCODE_ANY | JSON_COMPACT);
		rp_buf_printf(&b, "|%s", v ? v : "null");
		free(v);
	}
	/* nccl-tests output that names neither network nor provider: one
	 * series per file, never pooled with another unnamed run */
	if (k == RP_NCCL && !*str(rec, "net") && !*str(rec, "provider"))
		rp_buf_printf(&b, "|source %lld", (long long)origin);
	return b.s;
}

static struct rp_series *series_for(struct rp_model *m, json_t *rec, enum rp_kind k, json_int_t origin)
{
	char *key = key_of(rec, k, origin);
	struct rp_series *s;

	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->s[i].key, key)) {
			free(key);
			return &m->s[i];
		}
	grow((void **)&m->s, &m->cap, m->n, sizeof(*m->s));
	s = &m->s[m->n];
	*s = (struct rp_series){.id = (int)m->n + 1, .kind = k, .key = key, .rep = rec, .host_pairs = json_object()};
	if (k == RP_NCCL) {
		const char *net = str(rec, "net"), *prov = str(rec, "provider");
		s->efa = efa_net(net) || !strcmp(prov, "efa");
		s->socket = !s->efa && (*net || *prov);
	} else {
		s->socket = !strcmp(str(rec, "transport"), "socket");
		s->efa = !strncmp(str(rec, "provider"), "efa", 3);
	}
	m->n++;
	return s;
}

static struct rp_point *point_for(struct rp_series *s, int64_t size)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	grow((void **)&s->pts, &s->cap, s->n, sizeof(*s->pts));
	s->pts[s->n] = (struct rp_point){.size = size};
	return &s->pts[s->n++];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_point(const void *a, const void *b)
{
	int64_t x = ((const struct rp_point *)a)->size, y = ((const struct rp_point *)b)->size;
	return x < y ? -1 : x > y;
}

/* Median of one field over the repeats, NaNs left out; how = 0 median,
 * -1 least, 1 most. */
static double reduce(const struct rp_point *p, size_t off, int how)
{
	double *v = malloc((p->n + 1) * sizeof(double)), r = NAN;
	size_t k = 0;

	if (!v)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		double x = *(const double *)((const char *)&p->v[i] + off);
		if (!isnan(x))
			v[k++] = x;
	}
	if (k) {
		qsort(v, k, sizeof(double), cmp_double);
		r = how < 0 ? v[0] : how > 0 ? v[k - 1] : k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	}
	free(v);
	return r;
}

static void finish_point(struct rp_point *p)
{
	p->med.bw = reduce(p, offsetof(struct rp_sample, bw), 0);
	p->med.p50 = reduce(p, offsetof(struct rp_sample, p50), 0);
	p->med.min = reduce(p, offsetof(struct rp_sample, min), -1);
	p->med.p99 = reduce(p, offsetof(struct rp_sample, p99), 0);
	p->med.max = reduce(p, offsetof(struct rp_sample, max), 1);
	p->med.mean = reduce(p, offsetof(struct rp_sample, mean), 0);
	p->med.dereg = reduce(p, offsetof(struct rp_sample, dereg), 0);
	p->med.algbw = reduce(p, offsetof(struct rp_sample, algbw), 0);
}

static bool is_default(const char *field, json_t *v, enum rp_kind k)
{
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
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
		rp_buf_printf(&b, "NCCL %s", *str(r, "nccl_op") ? str(r, "nccl_op") : "(operation not stated)");
		if (*str(r, "net"))
			rp_buf_printf(&b, " over %s", str(r, "net"));
		if (*str(r, "provider"))
			rp_buf_printf(&b, " (%s)", str(r, "provider"));
		if (!*str(r, "net") && !*str(r, "provider"))
			rp_buf_printf(&b, " (network not stated, S%d)", s->id);
		if (json_is_true(json_object_get(r, "in_place")))
			rp_buf_printf(&b, ", in-place");
		break;
	case RP_MR:
		rp_buf_printf(&b, "MR libfabric %s", *str(r, "provider") ? str(r, "provider") : "?");
		break;
	default:
		if (s->socket)
			rp_buf_printf(&b, "TCP sockets");
		else
			rp_buf_printf(&b, "libfabric%s%s", *str(r, "provider") ? " " : "", str(r, "provider"));
		break;
	}
	return b.s;
}

/* Labels show every field that is not at its default, and every field in
 * which the series differs from another of the same kind and base name:
 * two series never share a label. */
static void label_all(struct rp_model *m)
{
	char **base = calloc(m->n + 1, sizeof(char *));

	if (!base)
		abort();
	for (size_t i = 0; i < m->n; i++)
		base[i] = base_label(&m->s[i]);
	for (size_t i = 0; i < m->n; i++) {
		struct rp_series *s = &m->s[i];
		struct rp_buf q = {0}, l = {0};

		if (s->kind != RP_NCCL)
			for (const char *const *f = fields_of(s->kind); *f; f++) {
				json_t *v = json_object_get(s->rep, *f);
				bool show = !is_default(*f, v, s->kind) || (s->kind == RP_MR && strcmp(*f, "provider"));
				for (size_t j = 0; j < m->n && !show; j++)
					show = j != i && m->s[j].kind == s->kind && !strcmp(base[i], base[j]) &&
					       !json_equal(v ? v : json_null(), json_object_get(m->s[j].rep, *f)
										    ? json_object_get(m->s[j].rep, *f)
										    : json_null());
				/* a field a record does not state is left out: the
				 * series it differs from states its own value */
				if (show && v && !json_is_null(v))
					qualifier(&q, *f, v);
			}
		rp_buf_printf(&l, "%s%s%s%s", base[i], q.n ? " (" : "", rp_buf_str(&q), q.n ? ")" : "");
		s->label = l.s;
		rp_buf_free(&q);
	}
	for (size_t i = 0; i < m->n; i++)
		free(base[i]);
	free(base);
}

int rp_model_build(struct rp_model *m, json_t *records, json_t *origin)
{
	size_t i;
	json_t *rec;
	bool have_bw = false;

	*m = (struct rp_model){.ignored = json_object()};
	json_array_foreach(records, i, rec)
		have_bw |= !strcmp(str(rec, "test"), "bw") && !json_is_integer(json_object_get(rec, "rank"));
	m->bw_kind = have_bw ? RP_BW : RP_PINGPONG;
	json_array_foreach(records, i, rec) {
		const char *t = str(rec, "test");
		enum rp_kind k = 0;
		struct rp_series *s;
		struct rp_point *p;
		char pair[2 * 1024 + 8];

		while (k < RP_NKINDS && strcmp(t, kinds[k]))
			k++;
		if (!strcmp(t, "round") || !strcmp(t, "verdict") || json_is_integer(json_object_get(rec, "rank"))) {
			m->cluster++; /* the cluster runner's: see report_cluster */
			continue;
		}
		if (!strcmp(t, "coverage")) {
			m->coverage++;
			continue;
		}
		if (k == RP_NKINDS) {
			char what[128];
			snprintf(what, sizeof(what), "records of test \"%.64s\" (not a kind this report draws)", t);
			count(m->ignored, what);
			continue;
		}
		if (!json_is_integer(json_object_get(rec, "size"))) {
			char what[128];
			snprintf(what, sizeof(what), "%s records without a size", t);
			count(m->ignored, what);
			continue;
		}
		s = series_for(m, rec, k, origin ? json_integer_value(json_array_get(origin, i)) : 0);
		s->records++;
		snprintf(pair, sizeof(pair), "%s → %s", str(rec, "local_host"), str(rec, "peer_host"));
		json_object_set_new(s->host_pairs, pair, json_true());
		if (k != RP_NCCL && k != RP_MR && !curve_record(rec)) {
			s->lane_records++;
			continue;
		}
		p = point_for(s, json_integer_value(json_object_get(rec, "size")));
		grow((void **)&p->v, &p->cap, p->n, sizeof(*p->v));
		p->v[p->n++] = (struct rp_sample){
			.bw = num(rec, k == RP_NCCL ? "busbw_gbps" : "bw_gbps"),
			.p50 = num(rec, "lat_us_p50"),
			.min = num(rec, "lat_us_min"),
			.p99 = num(rec, "lat_us_p99"),
			.max = num(rec, "lat_us_max"),
			.mean = num(rec, "lat_us_mean"),
			.dereg = num(rec, "dereg_us_p50"),
			.algbw = num(rec, "algbw_gbps"),
		};
	}
	for (size_t s = 0; s < m->n; s++) {
		for (size_t k = 0; k < m->s[s].n; k++)
			finish_point(&m->s[s].pts[k]);
		if (m->s[s].n > 1) /* a series of per-NIC records only has no points */
			qsort(m->s[s].pts, m->s[s].n, sizeof(struct rp_point), cmp_point);
	}
	label_all(m);
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
	*m = (struct rp_model){0};
}

const struct rp_point *rp_at(const struct rp_series *s, int64_t size)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->pts[i].size == size)
			return &s->pts[i];
	return NULL;
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
	const char *d = str(s->rep, "direction");
	return !*d || !strcmp(d, "uni");
}

static bool host_mem(const struct rp_series *s)
{
	const char *d = str(s->rep, "memory");
	return !*d || !strcmp(d, "host");
}

static bool same(const struct rp_series *a, const struct rp_series *b, const char *f)
{
	return !strcmp(str(a->rep, f), str(b->rep, f));
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
			key[0] = !strcmp(str(s->rep, "nccl_op"), "all_reduce"), key[1] = 1, key[2] = 1;
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
			key[0] = !strcasecmp(str(s->rep, "net"), "Socket"), key[1] = 1, key[2] = 1;
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
