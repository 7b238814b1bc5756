#include "params.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *fc_params_json(const struct fc_params *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:b, s:I, s:b, s:I, s:s, s:s, s:b, s:I}", "test",
			 p->test, "transport", p->transport, "provider", p->provider, "fabric", p->fabric, "iters",
			 (json_int_t)p->iters, "warmup", (json_int_t)p->warmup, "size_time", p->size_time,
			 "verify", p->verify, "window", (json_int_t)p->window, "bidir", p->bidir, "streams",
			 (json_int_t)p->streams, "op", p->op, "buffers", p->buffers, "all_nics", p->all_nics,
			 "endpoints", (json_int_t)p->endpoints);
}

const char *fc_params_flag(const char *key)
{
	static const struct {
		const char *key, *flag;
	} map[] = {
		{"test", "the program"}, {"transport", "-x"}, {"provider", "-p"}, {"fabric", "-f"},
		{"iters", "-I"}, {"warmup", "-w"}, {"size_time", "--size-time"}, {"verify", "-v"},
		{"window", "-W"}, {"bidir", "--bidir"}, {"streams", "-n"}, {"op", "--op"},
		{"buffers", "--buffers"}, {"all_nics", "-d all"}, {"endpoints", "-E"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].key, key))
			return map[i].flag;
	return key;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* Provider and fabric names: libfabric's are short, printable, no spaces
 * ("tcp;ofi_rxm", "efa-direct", "127.0.0.1/32"). */
static bool name_ok(const char *s, bool may_be_empty)
{
	if (!*s)
		return may_be_empty;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(";_-./:", *s))
			return false;
	return true;
}

/* Which tests exist is tests/'s registry (fc_benches), above this layer:
 * here a test is a well-formed name, and fc_params_from_json holds the
 * peer to this program's own test, so a new test needs no row here. */
static bool test_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

int fc_params_check(const struct fc_params *p, char *why, size_t len)
{
	static const char *const transports[] = {"ofi", "socket", NULL};
	static const char *const ops[] = {"write", "read", "writedata", NULL};
	static const char *const buffers[] = {"reuse", "slots", NULL};
	const char *bad = NULL;

	if (!test_name_ok(p->test))
		bad = "test";
	else if (!one_of(p->transport, transports))
		bad = "transport";
	else if (!name_ok(p->provider, false))
		bad = "provider";
	else if (!name_ok(p->fabric, true))
		bad = "fabric";
	else if (p->iters < 0 || p->iters > FC_MAX_ITERS)
		bad = "iters";
	else if (p->warmup < 0 || p->warmup > FC_MAX_WARMUP)
		bad = "warmup";
	else if (!isfinite(p->size_time) || p->size_time <= 0 || p->size_time > FC_MAX_SIZE_TIME_S)
		bad = "size_time";
	else if (p->window < 0 || p->window > FC_MAX_WINDOW)
		bad = "window";
	else if (p->streams < 1 || p->streams > FC_MAX_STREAMS)
		bad = "streams";
	else if (!one_of(p->op, ops))
		bad = "op";
	else if (!one_of(p->buffers, buffers))
		bad = "buffers";
	else if (p->endpoints < 1 || p->endpoints > FC_MAX_ENDPOINTS)
		bad = "endpoints";
	if (bad) {
		snprintf(why, len, "%s (%s) is out of range", fc_params_flag(bad), bad);
		return -1;
	}
	return 0;
}

static int get_str(const json_t *j, const char *key, char *dst, size_t cap, char *why, size_t len)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_string(v) || json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, len, "%s (%s) is missing, not a string, or longer than %zu bytes", fc_params_flag(key),
			 key, cap - 1);
		return -1;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_int(const json_t *j, const char *key, long *dst, char *why, size_t len)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v)) {
		snprintf(why, len, "%s (%s) is missing or not an integer", fc_params_flag(key), key);
		return -1;
	}
	/* range checked by fc_params_check; clamp first so the long cannot wrap */
	*dst = json_integer_value(v) < -1 ? -1 : json_integer_value(v) > FC_MAX_ITERS + 1 ? FC_MAX_ITERS + 1
											: (long)json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *j, const char *key, bool *dst, char *why, size_t len)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_boolean(v)) {
		snprintf(why, len, "%s (%s) is missing or not true/false", fc_params_flag(key), key);
		return -1;
	}
	*dst = json_is_true(v);
	return 0;
}

int fc_params_from_json(const json_t *j, const char *test, struct fc_params *p, char *why, size_t len)
{
	json_t *st = json_object_get(j, "size_time");

	memset(p, 0, sizeof(*p));
	if (!json_is_object(j)) {
		snprintf(why, len, "the parameters are not a JSON object");
		return -1;
	}
	if (get_str(j, "test", p->test, sizeof(p->test), why, len) ||
	    get_str(j, "transport", p->transport, sizeof(p->transport), why, len) ||
	    get_str(j, "provider", p->provider, sizeof(p->provider), why, len) ||
	    get_str(j, "fabric", p->fabric, sizeof(p->fabric), why, len) ||
	    get_int(j, "iters", &p->iters, why, len) || get_int(j, "warmup", &p->warmup, why, len) ||
	    get_bool(j, "verify", &p->verify, why, len) || get_int(j, "window", &p->window, why, len) ||
	    get_bool(j, "bidir", &p->bidir, why, len) || get_int(j, "streams", &p->streams, why, len) ||
	    get_str(j, "op", p->op, sizeof(p->op), why, len) ||
	    get_str(j, "buffers", p->buffers, sizeof(p->buffers), why, len) ||
	    get_bool(j, "all_nics", &p->all_nics, why, len) || get_int(j, "endpoints", &p->endpoints, why, len))
		return -1;
	if (!json_is_number(st)) {
		snprintf(why, len, "--size-time (size_time) is missing or not a number");
		return -1;
	}
	p->size_time = json_number_value(st);
	if (strcmp(p->test, test)) {
		snprintf(why, len, "the peer runs the %s test, this program runs %s: start the same program on both sides",
			 p->test, test);
		return -1;
	}
	return fc_params_check(p, why, len);
}
