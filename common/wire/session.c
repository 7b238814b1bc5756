#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "errors.h"
#include "hex.h"
#include "log.h"
#include "record.h"
#include "timing.h"

static json_t *hello_json(const struct fc_hello *me, const unsigned char *cookie)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "tool", me->tool, "fabcheck_version", FC_VERSION, "host",
			      me->host, "memory", me->memory);

	if (cookie) {
		char hex[2 * FC_COOKIE_LEN + 1];
		json_object_set_new(j, "cookie", json_string(fc_hex_encode(hex, cookie, FC_COOKIE_LEN)));
	}
	if (me->token && !cookie) /* the client's proof that the coordinator sent it */
		json_object_set_new(j, "token", json_string(me->token));
	return j;
}

/* Whether a client's hello carries the round's token (or none is asked). */
static bool token_matches(const json_t *hello, const char *token)
{
	const char *got = json_string_value(json_object_get(hello, "token"));
	return !token || (got && !strcmp(got, token));
}

/* A short printable string field of the peer's, or "" and false. */
static bool peer_string(const json_t *j, const char *key, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(j, key));

	dst[0] = '\0';
	if (!v || strlen(v) >= cap)
		return false;
	fc_printable(dst, cap, v);
	return true;
}

static int take_hello(struct fc_session *s, json_t *hello)
{
	char cookie[2 * FC_COOKIE_LEN + 1];
	bool ok = peer_string(hello, "host", s->peer_host, sizeof(s->peer_host)) &&
		  peer_string(hello, "memory", s->peer_memory, sizeof(s->peer_memory));

	if (ok && s->is_client) {
		ok = peer_string(hello, "cookie", cookie, sizeof(cookie)) && strlen(cookie) == 2 * FC_COOKIE_LEN;
		for (int i = 0; ok && i < FC_COOKIE_LEN; i++) {
			unsigned v;
			ok = sscanf(cookie + 2 * i, "%2x", &v) == 1;
			s->cookie[i] = (unsigned char)v;
		}
	}
	json_decref(hello);
	if (!ok || !*s->peer_host)
		return fc_session_fail(s, FC_EXIT_USAGE, "the hello from %s lacks a usable host, memory or cookie",
				       s->boot.peer_ip);
	if (strcmp(s->peer_host, s->boot.peer_ip))
		snprintf(s->peer_label, sizeof(s->peer_label), "%s (%s)", s->peer_host, s->boot.peer_ip);
	else
		snprintf(s->peer_label, sizeof(s->peer_label), "%s", s->peer_host);
	snprintf(s->boot.peer_host, sizeof(s->boot.peer_host), "%s", s->peer_label);
	s->phase = FC_PH_HELLO;
	return 0;
}

static void start(struct fc_session *s, bool client, uint64_t deadline, double op_timeout_s, const char *deadline_option)
{
	memset(s, 0, sizeof(*s));
	s->is_client = client;
	s->deadline = deadline;
	s->boot.fd = -1;
	s->boot.op_timeout_s = op_timeout_s;
	s->boot.deadline_option = deadline_option;
	/* a new conversation, a new reason: an agent meets many peers, and an
	 * error from an earlier one must not be blamed on the next */
	s->boot.status = &s->status;
	s->outer = fc_status_bind(&s->status);
	s->bound = true;
}

int fc_session_connect(struct fc_session *s, const char *host, uint16_t port, uint64_t deadline,
		       double op_timeout_s, const char *deadline_option, const struct fc_hello *me)
{
	json_t *peer = NULL;
	int rc;

	start(s, true, deadline, op_timeout_s, deadline_option);
	if ((rc = fc_boot_connect(&s->boot, host, port, deadline, hello_json(me, NULL), &peer)))
		return rc;
	return take_hello(s, peer);
}

int fc_session_accept(struct fc_session *s, struct fc_listener *l, uint64_t deadline, double op_timeout_s,
		      const char *deadline_option, const struct fc_hello *me)
{
	json_t *peer = NULL;
	int rc;

	start(s, false, deadline, op_timeout_s, deadline_option);
	if (getrandom(s->cookie, sizeof(s->cookie), 0) != (ssize_t)sizeof(s->cookie)) {
		fc_err("no random bytes for the run cookie");
		return -FC_EXIT_FABRIC;
	}
	for (;;) {
		if ((rc = fc_listener_accept(l, deadline, op_timeout_s < FC_BOOT_HELLO_TIMEOUT_S ? op_timeout_s
												 : FC_BOOT_HELLO_TIMEOUT_S,
					     &s->boot, &peer)))
			return rc;
		if (token_matches(peer, me->token))
			break;
		/* told, dropped, and the wait goes on for the real partner */
		fc_warn("ignoring a client from %s: it is not the partner the coordinator named for this round",
			s->boot.peer_ip);
		fc_boot_tell(s->boot.fd, FC_EXIT_USAGE, "refused: you are not the partner the coordinator named for this round");
		fc_boot_close(&s->boot);
		json_decref(peer);
	}
	if ((rc = take_hello(s, peer)))
		return rc;
	return fc_boot_send(&s->boot, FC_MSG_HELLO, hello_json(me, s->cookie));
}

/* Phases are taken in order; anything else is a bug here, not the peer's. */
static int at(struct fc_session *s, enum fc_sess_phase want, const char *what)
{
	if (s->phase == want)
		return 0;
	fc_err("internal: %s called in phase %d, expected %d", what, s->phase, want);
	return -FC_EXIT_FABRIC;
}

static int expect(struct fc_session *s, enum fc_boot_type t, const char *during, json_t **payload)
{
	return fc_boot_expect(&s->boot, t, s->deadline, during, payload);
}

int fc_session_params(struct fc_session *s, struct fc_params *p, const char *test)
{
	json_t *msg = NULL;
	char why[256];
	int rc;

	if ((rc = at(s, FC_PH_HELLO, "params")))
		return rc;
	if (s->is_client) {
		if ((rc = fc_boot_send(&s->boot, FC_MSG_PARAMS, fc_params_json(p))) ||
		    (rc = expect(s, FC_MSG_PARAMS, "waiting for the server to take the test parameters", &msg)))
			return rc;
		json_decref(msg);
	} else {
		if ((rc = expect(s, FC_MSG_PARAMS, "waiting for the test parameters", &msg)))
			return rc;
		rc = fc_params_from_json(json_object_get(msg, "params") ? json_object_get(msg, "params") : msg, test, p,
					 why, sizeof(why));
		json_decref(msg);
		if (rc)
			return fc_session_fail(s, FC_EXIT_USAGE, "test parameters from %s refused: %s", s->peer_label, why);
		if ((rc = fc_boot_send(&s->boot, FC_MSG_PARAMS, fc_params_json(p))))
			return rc;
	}
	s->params = *p;
	s->phase = FC_PH_PARAMS;
	return 0;
}

int fc_session_addr(struct fc_session *s, json_t *mine, json_t **theirs)
{
	json_t *msg = NULL;
	int rc;

	*theirs = NULL;
	if ((rc = at(s, FC_PH_PARAMS, "addr"))) {
		json_decref(mine);
		return rc;
	}
	if (!mine)
		return fc_session_forward(s, -FC_EXIT_FABRIC);
	if (s->is_client && (rc = fc_boot_send(&s->boot, FC_MSG_ADDR, json_pack("{s:o}", "lanes", mine))))
		return rc;
	if ((rc = expect(s, FC_MSG_ADDR, "exchanging fabric addresses", &msg))) {
		if (!s->is_client)
			json_decref(mine);
		return rc;
	}
	if (!s->is_client && (rc = fc_boot_send(&s->boot, FC_MSG_ADDR, json_pack("{s:o}", "lanes", mine)))) {
		json_decref(msg);
		return rc;
	}
	*theirs = json_incref(json_object_get(msg, "lanes"));
	json_decref(msg);
	if (!json_is_array(*theirs)) {
		json_decref(*theirs);
		*theirs = NULL;
		return fc_session_fail(s, FC_EXIT_USAGE, "the ADDR from %s has no lane list", s->peer_label);
	}
	s->nlanes = (long)json_array_size(*theirs);
	s->phase = FC_PH_ADDR;
	return 0;
}

int fc_session_sizes(struct fc_session *s, const struct fc_sizes *sizes, uint64_t max)
{
	json_t *msg = NULL, *arr;
	char b[32];
	size_t i;
	int rc;

	if ((rc = at(s, FC_PH_ADDR, "sizes")))
		return rc;
	fc_sizes_free(&s->sizes);
	if (s->is_client) {
		arr = json_array();
		for (i = 0; i < sizes->n; i++)
			json_array_append_new(arr, json_integer((json_int_t)sizes->v[i]));
		if ((rc = fc_boot_send(&s->boot, FC_MSG_SIZES, json_pack("{s:o}", "sizes", arr))))
			return rc;
		s->sizes.v = malloc(sizes->n * sizeof(size_t));
		if (!s->sizes.v)
			return fc_session_fail(s, FC_EXIT_FABRIC, "out of memory");
		memcpy(s->sizes.v, sizes->v, sizes->n * sizeof(size_t));
		s->sizes.n = sizes->n;
	} else {
		if ((rc = expect(s, FC_MSG_SIZES, "receiving the size list", &msg)))
			return rc;
		arr = json_object_get(msg, "sizes");
		if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > FC_SESSION_MAX_SIZES) {
			json_decref(msg);
			return fc_session_fail(s, FC_EXIT_USAGE, "the size list from %s is not a list of 1 to %d sizes",
					       s->peer_label, FC_SESSION_MAX_SIZES);
		}
		s->sizes.n = json_array_size(arr);
		s->sizes.v = calloc(s->sizes.n, sizeof(size_t));
		for (i = 0; s->sizes.v && i < s->sizes.n; i++) {
			json_t *v = json_array_get(arr, i);
			json_int_t n = json_integer_value(v);
			if (!json_is_integer(v) || n < 1 || (uint64_t)n > max || (i && (size_t)n <= s->sizes.v[i - 1]))
				break;
			s->sizes.v[i] = (size_t)n;
		}
		json_decref(msg);
		if (!s->sizes.v || i != s->sizes.n)
			return fc_session_fail(s, FC_EXIT_USAGE,
					       "size %zu of the list from %s is not an integer from 1 to %s above the one before",
					       i + 1, s->peer_label, fc_size_format(max, b, sizeof(b)));
	}
	s->phase = FC_PH_SIZES;
	return 0;
}

int fc_session_targets(struct fc_session *s, json_t *mine, json_t **theirs)
{
	json_t *msg = NULL;
	int rc;

	if (theirs)
		*theirs = NULL;
	if ((rc = at(s, FC_PH_SIZES, "targets"))) {
		json_decref(mine);
		return rc;
	}
	if (s->is_client) {
		if ((rc = expect(s, FC_MSG_SIZES, "waiting for the server's buffers", &msg)))
			return rc;
		if (theirs && json_is_array(json_object_get(msg, "targets")))
			*theirs = json_incref(json_object_get(msg, "targets"));
		json_decref(msg);
	} else if ((rc = fc_boot_send(&s->boot, FC_MSG_SIZES, json_pack("{s:o}", "targets", mine ? mine : json_null())))) {
		return rc;
	}
	s->next = 0;
	s->phase = FC_PH_BETWEEN;
	return 0;
}

int fc_session_begin(struct fc_session *s, size_t i)
{
	int rc;

	if ((rc = at(s, FC_PH_BETWEEN, "begin")))
		return rc;
	if (i != s->next || i >= s->sizes.n) {
		fc_err("internal: size %zu begun out of order", i);
		return -FC_EXIT_FABRIC;
	}
	s->size = s->sizes.v[i];
	if ((rc = fc_boot_send(&s->boot, FC_MSG_BEGIN,
			       json_pack("{s:I, s:I}", "index", (json_int_t)i, "size", (json_int_t)s->size))) ||
	    (rc = expect(s, FC_MSG_READY, "waiting for the server to get ready", NULL)))
		return rc;
	s->next++;
	s->phase = FC_PH_READY;
	return 0;
}

int fc_session_next(struct fc_session *s, size_t *size)
{
	json_t *msg = NULL, *idx, *sz;
	enum fc_boot_type got;
	char b[32];
	int rc;

	if ((rc = at(s, FC_PH_BETWEEN, "next")))
		return rc;
	if ((rc = fc_boot_expect_any(&s->boot, 1u << FC_MSG_BEGIN | 1u << FC_MSG_END, s->deadline,
				     "waiting for the next size", &got, &msg)))
		return rc;
	if (got == FC_MSG_END) {
		json_decref(msg);
		if (s->next != s->sizes.n)
			return fc_session_fail(s, FC_EXIT_USAGE, "%s ended after %zu of %zu agreed sizes", s->peer_label,
					       s->next, s->sizes.n);
		s->phase = FC_PH_END;
		return 1;
	}
	idx = json_object_get(msg, "index");
	sz = json_object_get(msg, "size");
	if (!json_is_integer(idx) || !json_is_integer(sz) || json_integer_value(idx) != (json_int_t)s->next ||
	    s->next >= s->sizes.n || json_integer_value(sz) != (json_int_t)s->sizes.v[s->next]) {
		char *text = json_dumps(msg, JSON_COMPACT);
		char shown[96];
		json_decref(msg);
		fc_printable(shown, sizeof(shown), text ? text : "?");
		free(text);
		if (s->next >= s->sizes.n)
			return fc_session_fail(s, FC_EXIT_USAGE, "%s asked for another size after the %zu agreed ones",
					       s->peer_label, s->sizes.n);
		return fc_session_fail(s, FC_EXIT_USAGE,
				       "%s sent BEGIN %s, but the next agreed size is %s (size %zu of %zu): "
				       "a size must be the next one of the list",
				       s->peer_label, shown, fc_size_format(s->sizes.v[s->next], b, sizeof(b)), s->next + 1,
				       s->sizes.n);
	}
	json_decref(msg);
	*size = s->size = s->sizes.v[s->next++];
	s->phase = FC_PH_BEGUN;
	return 0;
}

int fc_session_ready(struct fc_session *s)
{
	int rc;

	if ((rc = at(s, FC_PH_BEGUN, "ready")) || (rc = fc_boot_send(&s->boot, FC_MSG_READY, NULL)))
		return rc;
	s->phase = FC_PH_READY;
	return 0;
}

/* A count from the peer, lo..max. */
static int peer_count(struct fc_session *s, json_t *msg, const char *key, const char *what, long lo, long max,
		      long *out)
{
	json_t *v = json_object_get(msg, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > max)
		return fc_session_fail(s, FC_EXIT_USAGE, "the %s from %s (%s) is not an integer from %ld to %ld", what,
				       s->peer_label, key, lo, max);
	*out = (long)json_integer_value(v);
	return 0;
}

int fc_session_iters(struct fc_session *s, long *iters, long *slice)
{
	json_t *msg = NULL;
	int rc;

	if ((rc = at(s, FC_PH_READY, "iters")))
		return rc;
	if (s->is_client) {
		rc = fc_boot_send(&s->boot, FC_MSG_ITERS,
				  json_pack("{s:I, s:I}", "iters", (json_int_t)*iters, "slice", (json_int_t)*slice));
	} else if (!(rc = expect(s, FC_MSG_ITERS, "waiting for the iteration count", &msg))) {
		rc = peer_count(s, msg, "iters", "iteration count", 1, FC_MAX_ITERS, iters);
		*slice = *iters;
		if (!rc && json_object_get(msg, "slice"))
			rc = peer_count(s, msg, "slice", "first slice of iterations", 1, *iters, slice);
		json_decref(msg);
	}
	if (!rc)
		s->phase = FC_PH_TIMED;
	return rc;
}

int fc_session_more(struct fc_session *s, long left, long *n)
{
	json_t *msg = NULL;
	int rc;

	if ((rc = at(s, FC_PH_TIMED, "more")))
		return rc;
	if (s->is_client)
		return fc_boot_send(&s->boot, FC_MSG_MORE, json_pack("{s:I}", "iters", (json_int_t)*n));
	if (!(rc = expect(s, FC_MSG_MORE, "waiting for the next slice of iterations", &msg))) {
		rc = peer_count(s, msg, "iters", "next slice of iterations", 0, left, n);
		json_decref(msg);
	}
	return rc;
}

int fc_session_verdict(struct fc_session *s)
{
	int rc;

	if ((rc = at(s, FC_PH_TIMED, "verdict")))
		return rc;
	if (s->is_client)
		rc = expect(s, FC_MSG_RESULT, "waiting for the server's check", NULL);
	else
		rc = fc_boot_send(&s->boot, FC_MSG_RESULT, json_pack("{s:b}", "ok", 1));
	if (!rc)
		s->phase = FC_PH_VERDICT;
	return rc;
}

/* A record from the client: of the schema, this test and this size. */
static int check_record(struct fc_session *s, json_t *rec, size_t i)
{
	char why[256];

	if (fc_rec_validate(rec, why, sizeof(why)))
		return fc_session_fail(s, FC_EXIT_USAGE, "record %zu from %s refused: %s", i + 1, s->peer_label, why);
	if (json_integer_value(json_object_get(rec, "schema")) != FC_SCHEMA_VERSION ||
	    strcmp(json_string_value(json_object_get(rec, "test")), s->params.test) ||
	    json_integer_value(json_object_get(rec, "size")) != (json_int_t)s->size)
		return fc_session_fail(s, FC_EXIT_USAGE,
				       "record %zu from %s refused: not a schema %d %s record of the current size",
				       i + 1, s->peer_label, FC_SCHEMA_VERSION, s->params.test);
	return 0;
}

int fc_session_records(struct fc_session *s, json_t *mine, json_t **out)
{
	json_t *msg = NULL, *arr, *rec;
	size_t i;
	int rc;

	if ((rc = at(s, FC_PH_VERDICT, "records")))
		return rc;
	if (s->is_client) {
		rc = fc_boot_send(&s->boot, FC_MSG_RESULT, json_pack("{s:O}", "records", mine));
	} else if (!(rc = expect(s, FC_MSG_RESULT, "waiting for the client's results", &msg))) {
		arr = json_object_get(msg, "records");
		if (!json_is_array(arr) || json_array_size(arr) == 0 || (long)json_array_size(arr) > s->nlanes + 1)
			rc = fc_session_fail(s, FC_EXIT_USAGE, "the results from %s are not a list of 1 to %ld records",
					     s->peer_label, s->nlanes + 1);
		json_array_foreach(arr, i, rec) {
			if (rc)
				break;
			rc = check_record(s, rec, i);
		}
		if (!rc)
			*out = json_incref(arr);
		json_decref(msg);
	}
	if (!rc)
		s->phase = FC_PH_BETWEEN;
	return rc;
}

int fc_session_end(struct fc_session *s)
{
	int rc;

	if ((rc = at(s, FC_PH_BETWEEN, "end")))
		return rc;
	if ((rc = fc_boot_send(&s->boot, FC_MSG_END, NULL)))
		return rc;
	s->phase = FC_PH_END;
	return 0;
}

int fc_session_fail(struct fc_session *s, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fc_boot_fail(&s->boot, code, "%s", msg);
}

int fc_session_forward(struct fc_session *s, int rc)
{
	return fc_boot_forward(&s->boot, rc);
}

void fc_session_close(struct fc_session *s)
{
	if (s->bound)
		fc_status_bind(s->outer);
	s->bound = false;
	fc_boot_close(&s->boot);
	fc_sizes_free(&s->sizes);
}
