#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stats.h"

enum ftype { T_STR, T_INT, T_SINT, T_REAL, T_BOOL, T_LANE };

struct field {
	const char *name;
	enum ftype type;
};

static const struct field fields[] = {
#define FC_REC_FIELD(name, type) {#name, T_##type},
	FC_RECORD_FIELDS(FC_REC_FIELD)
#undef FC_REC_FIELD
};

const char *const fc_schema_fields[] = {
#define FC_REC_NAME(name, type) #name,
	FC_RECORD_FIELDS(FC_REC_NAME)
#undef FC_REC_NAME
};
const size_t fc_schema_nfields = sizeof(fc_schema_fields) / sizeof(fc_schema_fields[0]);

static json_t *j_str(fc_str_t s) { return s ? json_string(s) : json_null(); }
static json_t *j_int(fc_int_t i) { return i.set ? json_integer((json_int_t)i.v) : json_null(); }
static json_t *j_real(fc_real_t r) { return r.set && isfinite(r.v) ? json_real(r.v) : json_null(); }
static json_t *j_bool(fc_bool_t b) { return b.set ? json_boolean(b.v) : json_null(); }
static json_t *j_lane(fc_lane_t l)
{
	return !l.set ? json_null() : l.all ? json_string("all") : json_integer((json_int_t)l.v);
}

#define FC_REC_J_STR j_str
#define FC_REC_J_INT j_int
#define FC_REC_J_SINT j_int
#define FC_REC_J_REAL j_real
#define FC_REC_J_BOOL j_bool
#define FC_REC_J_LANE j_lane

json_t *fc_rec_json(const struct fc_rec *r)
{
	json_t *o = json_object();

#define FC_REC_SET(name, type) json_object_set_new(o, #name, FC_REC_J_##type(r->name));
	FC_RECORD_FIELDS(FC_REC_SET)
#undef FC_REC_SET
	return o;
}

/* JSON to typed, one per field type: false when v is present but of
 * another type (the field is then left unset). */
static bool t_str(const json_t *v, fc_str_t *out)
{
	*out = json_string_value(v);
	return !v || json_is_null(v) || *out;
}

static bool t_int(const json_t *v, fc_int_t *out)
{
	if (json_is_integer(v))
		*out = FC_I(json_integer_value(v));
	return !v || json_is_null(v) || json_is_integer(v);
}

static bool t_real(const json_t *v, fc_real_t *out)
{
	if (json_is_number(v))
		*out = FC_R(json_number_value(v));
	return !v || json_is_null(v) || json_is_number(v);
}

static bool t_bool(const json_t *v, fc_bool_t *out)
{
	if (json_is_boolean(v))
		*out = FC_B(json_is_true(v));
	return !v || json_is_null(v) || json_is_boolean(v);
}

static bool t_lane(const json_t *v, fc_lane_t *out)
{
	if (json_is_integer(v))
		*out = FC_LANE(json_integer_value(v));
	else if (json_is_string(v) && !strcmp(json_string_value(v), "all"))
		*out = FC_LANE_ALL;
	else
		return !v || json_is_null(v);
	return true;
}

#define FC_REC_T_FROM_STR t_str
#define FC_REC_T_FROM_INT t_int
#define FC_REC_T_FROM_SINT t_int
#define FC_REC_T_FROM_REAL t_real
#define FC_REC_T_FROM_BOOL t_bool
#define FC_REC_T_FROM_LANE t_lane

int fc_rec_from_json(struct fc_rec *r, const json_t *j)
{
	bool ok = json_is_object(j);

	*r = (struct fc_rec){0};
	if (!ok)
		return -1;
#define FC_REC_GET(name, type) ok &= FC_REC_T_FROM_##type(json_object_get(j, #name), &r->name);
	FC_RECORD_FIELDS(FC_REC_GET)
#undef FC_REC_GET
	return ok ? 0 : -1;
}

const char *fc_json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const struct field *field_of(const char *name)
{
	for (size_t i = 0; i < fc_schema_nfields; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

/* Cuts a string to FC_REC_MAX_STR bytes and replaces control characters
 * (terminal escapes among them) with '?'. */
static void clean_string(json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	char buf[FC_REC_MAX_STR + 1];
	bool changed = n > FC_REC_MAX_STR;

	if (n > FC_REC_MAX_STR)
		n = FC_REC_MAX_STR;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		changed |= buf[i] != s[i];
	}
	buf[n] = '\0';
	if (changed)
		json_string_set(v, buf);
}

static int bad(char *why, size_t len, const char *fmt, const char *field)
{
	snprintf(why, len, fmt, field);
	return -1;
}

int fc_rec_validate(json_t *rec, char *why, size_t len)
{
	const char *key;
	json_t *v;
	json_int_t schema;

	if (!json_is_object(rec))
		return bad(why, len, "%s", "not a JSON object");
	schema = json_integer_value(json_object_get(rec, "schema"));
	if (!json_is_integer(json_object_get(rec, "schema")) || schema < FC_SCHEMA_OLDEST ||
	    schema > FC_SCHEMA_VERSION) {
		snprintf(why, len, "\"schema\" is not a fabcheck record schema from %d to %d", FC_SCHEMA_OLDEST,
			 FC_SCHEMA_VERSION);
		return -1;
	}
	if (!json_is_string(json_object_get(rec, "test")) || !*json_string_value(json_object_get(rec, "test")))
		return bad(why, len, "%s", "no \"test\" (record kind)");
	json_object_foreach(rec, key, v) {
		const struct field *f = field_of(key);
		double d;

		if (!f)
			return bad(why, len, "field \"%.64s\" is not in the record schema", key);
		if (json_is_null(v))
			continue;
		switch (f->type) {
		case T_STR:
			if (!json_is_string(v))
				return bad(why, len, "field \"%s\" is not a string", key);
			clean_string(v);
			break;
		case T_LANE:
			if (json_is_string(v) && !strcmp(json_string_value(v), "all"))
				break;
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return bad(why, len, "field \"%s\" is neither \"all\" nor an integer >= 0", key);
			break;
		case T_INT:
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return bad(why, len, "field \"%s\" is not an integer >= 0", key);
			break;
		case T_SINT:
			if (!json_is_integer(v))
				return bad(why, len, "field \"%s\" is not an integer", key);
			break;
		case T_REAL:
			d = json_is_number(v) ? json_number_value(v) : NAN;
			if (!isfinite(d) || d < 0)
				return bad(why, len, "field \"%s\" is not a finite number >= 0", key);
			break;
		case T_BOOL:
			if (!json_is_boolean(v))
				return bad(why, len, "field \"%s\" is not true or false", key);
			break;
		}
	}
	return 0;
}

json_t *fc_rec_complete(json_t *rec)
{
	json_t *out = json_object();

	for (size_t i = 0; i < fc_schema_nfields; i++) {
		json_t *v = json_object_get(rec, fc_schema_fields[i]);
		json_object_set(out, fc_schema_fields[i], v ? v : json_null());
	}
	json_decref(rec);
	return out;
}

void fc_rec_set_latency(struct fc_rec *r, const struct fc_stats *s)
{
	r->lat_us_min = FC_R(s->min / 1e3);
	r->lat_us_p50 = FC_R(s->p50 / 1e3);
	r->lat_us_p99 = FC_R(s->p99 / 1e3);
	r->lat_us_max = FC_R(s->max / 1e3);
	r->lat_us_mean = FC_R(s->mean / 1e3);
}

void fc_timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, (long)(tv.tv_usec / 1000));
}

void fc_run_id(char *out, size_t len, const char *host)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32] = "unknown";

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, len, "%s-%.60s-%ld", when, host && *host ? host : "unknown", (long)getpid());
}
