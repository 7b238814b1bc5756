/* The session: phase order, and every peer value checked before use. The
 * peer is the other end of a socketpair, its frames written ahead. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "bench.h"
#include "errors.h"
#include "params.h"
#include "session.h"
#include "timing.h"

struct pair {
	struct fc_session s;
	int peer; /* the other end: what the peer sends is written here */
};

static void open_pair(struct pair *p, bool client)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&p->s, 0, sizeof(p->s));
	p->s.boot.fd = sv[0];
	p->s.boot.op_timeout_s = 0.5;
	p->s.deadline = fc_deadline_in(5);
	p->s.is_client = client;
	p->s.phase = FC_PH_HELLO;
	snprintf(p->s.peer_label, sizeof(p->s.peer_label), "peer");
	p->peer = sv[1];
}

static void close_pair(struct pair *p)
{
	fc_session_close(&p->s);
	close(p->peer);
}

/* Writes one frame of the current protocol version, as the peer would. */
static void peer_sends(struct pair *p, enum fc_boot_type t, const char *json)
{
	size_t len = json ? strlen(json) : 0;
	unsigned char hdr[12];
	uint32_t m = htonl(FC_BOOT_MAGIC), l = htonl((uint32_t)len);
	uint16_t v = htons(FC_BOOT_VERSION), ty = htons((uint16_t)t);

	memcpy(hdr, &m, 4);
	memcpy(hdr + 4, &v, 2);
	memcpy(hdr + 6, &ty, 2);
	memcpy(hdr + 8, &l, 4);
	assert_int_equal(write(p->peer, hdr, 12), 12);
	if (len)
		assert_int_equal(write(p->peer, json, len), (ssize_t)len);
}

static struct fc_params good_params(void)
{
	struct fc_params q = {.iters = 5, .warmup = 1, .size_time = 0.2, .streams = 1, .endpoints = 1};
	snprintf(q.test, sizeof(q.test), "pingpong");
	snprintf(q.transport, sizeof(q.transport), "socket");
	snprintf(q.provider, sizeof(q.provider), "efa");
	snprintf(q.op, sizeof(q.op), "write");
	snprintf(q.buffers, sizeof(q.buffers), "reuse");
	return q;
}

static void params_round_trip_and_each_bad_field_is_named(void **st)
{
	static const struct {
		const char *key, *value, *why;
	} bad[] = {
		{"iters", "1000000000000", "-I"}, {"warmup", "-1", "-w"}, {"window", "5000", "-W"},
		{"streams", "0", "-n"}, {"size_time", "1e9", "--size-time"}, {"op", "\"atomic\"", "--op"},
		{"provider", "\"a b\"", "-p"}, {"transport", "\"rdma\"", "-x"}, {"verify", "1", "-v"},
		{"endpoints", "65", "-E"}, {"buffers", "\"huge\"", "--buffers"}, {"test", "\"bw\"", "runs the bw test"},
		{"iters", "\"5\"", "-I"},
	};
	struct fc_params q = good_params(), back;
	char why[256];
	json_t *j = fc_params_json(&q);
	(void)st;
	assert_int_equal(fc_params_from_json(j, "pingpong", &back, why, sizeof(why)), 0);
	assert_memory_equal(&q, &back, sizeof(q));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *c = json_deep_copy(j);
		json_object_set_new(c, bad[i].key, json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		assert_int_equal(fc_params_from_json(c, "pingpong", &back, why, sizeof(why)), -1);
		if (!strstr(why, bad[i].why))
			fail_msg("%s=%s: '%s' does not name %s", bad[i].key, bad[i].value, why, bad[i].why);
		json_decref(c);
	}
	json_decref(j);
}

/* The server adopts the client's test and echoes it. */
static void server_adopts_the_clients_parameters(void **st)
{
	struct pair p;
	struct fc_params mine = good_params(), q = good_params();
	json_t *j;
	char *text;
	(void)st;
	open_pair(&p, false);
	q.iters = 77;
	q.verify = true;
	j = fc_params_json(&q);
	text = json_dumps(j, 0);
	peer_sends(&p, FC_MSG_PARAMS, text);
	assert_int_equal(fc_session_params(&p.s, &mine, "pingpong"), 0);
	assert_int_equal(mine.iters, 77);
	assert_true(mine.verify);
	assert_int_equal(p.s.phase, FC_PH_PARAMS);
	free(text);
	json_decref(j);
	close_pair(&p);
}

/* SIZES: 1..4096 sizes, each at most the program's largest, increasing. */
static void size_lists_are_checked(void **st)
{
	static const char *bad[] = {"{\"sizes\":[]}", "{\"sizes\":[8,8]}", "{\"sizes\":[16,8]}",
				    "{\"sizes\":[1073741825]}", "{\"sizes\":[0]}", "{\"sizes\":[\"8\"]}",
				    "{\"sizes\":8}", "{}"};
	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pair p;
		open_pair(&p, false);
		p.s.phase = FC_PH_ADDR;
		peer_sends(&p, FC_MSG_SIZES, bad[i]);
		if (fc_session_sizes(&p.s, NULL, 1u << 30) != -FC_EXIT_USAGE)
			fail_msg("%s was taken", bad[i]);
		close_pair(&p);
	}
	{
		struct pair p;
		open_pair(&p, false);
		p.s.phase = FC_PH_ADDR;
		peer_sends(&p, FC_MSG_SIZES, "{\"sizes\":[8,4096,1073741824]}");
		assert_int_equal(fc_session_sizes(&p.s, NULL, 1u << 30), 0);
		assert_int_equal(p.s.sizes.n, 3);
		assert_int_equal(p.s.sizes.v[2], 1u << 30);
		close_pair(&p);
	}
}

/* BEGIN must name the next agreed size; END only after the last one. */
static void begin_must_be_the_next_agreed_size(void **st)
{
	static const char *bad[] = {"{\"index\":0,\"size\":4096}", "{\"index\":1,\"size\":4096}",
				    "{\"size\":8}", "{\"index\":0,\"size\":\"8\"}", "{\"index\":0}"};
	size_t size;
	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pair p;
		open_pair(&p, false);
		p.s.phase = FC_PH_ADDR;
		peer_sends(&p, FC_MSG_SIZES, "{\"sizes\":[8,4096]}");
		assert_int_equal(fc_session_sizes(&p.s, NULL, 1u << 30), 0);
		p.s.phase = FC_PH_BETWEEN;
		peer_sends(&p, FC_MSG_BEGIN, bad[i]);
		if (fc_session_next(&p.s, &size) != -FC_EXIT_USAGE)
			fail_msg("BEGIN %s was taken", bad[i]);
		close_pair(&p);
	}
	{
		struct pair p;
		open_pair(&p, false);
		p.s.phase = FC_PH_ADDR;
		peer_sends(&p, FC_MSG_SIZES, "{\"sizes\":[8,4096]}");
		assert_int_equal(fc_session_sizes(&p.s, NULL, 1u << 30), 0);
		p.s.phase = FC_PH_BETWEEN;
		peer_sends(&p, FC_MSG_END, NULL); /* END before any size */
		assert_int_equal(fc_session_next(&p.s, &size), -FC_EXIT_USAGE);
		close_pair(&p);
	}
}

/* A phase called out of order is this side's bug, refused, never sent. */
static void phases_are_taken_in_order(void **st)
{
	struct pair p;
	size_t size;
	long iters = 5, slice = 5;
	(void)st;
	open_pair(&p, false);
	assert_int_equal(fc_session_next(&p.s, &size), -FC_EXIT_FABRIC);
	assert_int_equal(fc_session_iters(&p.s, &iters, &slice), -FC_EXIT_FABRIC);
	assert_int_equal(fc_session_more(&p.s, 5, &slice), -FC_EXIT_FABRIC);
	assert_int_equal(fc_session_ready(&p.s), -FC_EXIT_FABRIC);
	close_pair(&p);
}

/* A frame of another type where one is expected is a protocol violation
 * (exit 2); silence is a dead peer (exit 4). */
static void wrong_frames_and_silence(void **st)
{
	struct pair p;
	struct fc_params q = good_params();
	(void)st;
	open_pair(&p, false);
	peer_sends(&p, FC_MSG_SIZES, "{\"sizes\":[8]}");
	assert_int_equal(fc_session_params(&p.s, &q, "pingpong"), -FC_EXIT_USAGE);
	close_pair(&p);
	open_pair(&p, false);
	assert_int_equal(fc_session_params(&p.s, &q, "pingpong"), -FC_EXIT_PEER);
	close_pair(&p);
	open_pair(&p, false);
	peer_sends(&p, FC_MSG_ERROR, "{\"message\":\"boom\",\"exit\":5}");
	assert_int_equal(fc_session_params(&p.s, &q, "pingpong"), -FC_EXIT_VERIFY);
	close_pair(&p);
}

static void adaptive_iterations_fill_the_size_time(void **st)
{
	struct fc_params q = good_params();
	(void)st;
	q.size_time = 0.2;
	assert_int_equal(fc_adaptive_iters(&q, 1000000), 200);   /* 1 ms each: 200 in 0.2 s */
	assert_int_equal(fc_adaptive_iters(&q, 1000000000), 10); /* never fewer than 10 */
	assert_int_equal(fc_adaptive_iters(&q, 1), 1000000);     /* nor more than a million */
	assert_int_equal(fc_adaptive_iters(&q, 0), 1000000);
}

/* The server takes the client's slices only within the iterations agreed:
 * a slice of more, or more than are left, is refused (exit 2); a peer that
 * names no slice runs them all at once. */
static void slices_stay_within_the_iterations(void **st)
{
	struct pair p;
	long iters = 0, slice = 0, n = -1;
	(void)st;
	open_pair(&p, false);
	p.s.phase = FC_PH_READY;
	peer_sends(&p, FC_MSG_ITERS, "{\"iters\":100}");
	assert_int_equal(fc_session_iters(&p.s, &iters, &slice), 0);
	assert_int_equal(iters, 100);
	assert_int_equal(slice, 100);
	close_pair(&p);

	open_pair(&p, false);
	p.s.phase = FC_PH_READY;
	peer_sends(&p, FC_MSG_ITERS, "{\"iters\":100,\"slice\":30}");
	peer_sends(&p, FC_MSG_MORE, "{\"iters\":0}");
	peer_sends(&p, FC_MSG_MORE, "{\"iters\":71}");
	assert_int_equal(fc_session_iters(&p.s, &iters, &slice), 0);
	assert_int_equal(slice, 30);
	assert_int_equal(fc_session_more(&p.s, 70, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(fc_session_more(&p.s, 70, &n), -FC_EXIT_USAGE);
	close_pair(&p);

	open_pair(&p, false);
	p.s.phase = FC_PH_READY;
	peer_sends(&p, FC_MSG_ITERS, "{\"iters\":10,\"slice\":11}");
	assert_int_equal(fc_session_iters(&p.s, &iters, &slice), -FC_EXIT_USAGE);
	close_pair(&p);
}

/* A count given with -I runs whole; an adaptive one runs in eighths (at
 * least 64, at most a third) and ends once twice --size-time has passed. */
static void adaptive_slices_end_at_twice_the_size_time(void **st)
{
	struct fc_params q = good_params();
	const uint64_t ms = 1000000;
	(void)st;
	q.size_time = 0.2;
	assert_int_equal(fc_next_slice(&q, 5000, 0, 0), 5000); /* -I 5000 */
	assert_int_equal(fc_next_slice(&q, 5000, 1000, 1000 * ms), 4000);
	q.iters = 0;
	assert_int_equal(fc_next_slice(&q, 8000, 0, 0), 1000);
	/* fewer than 512: slices of 64, or a third where that is less, so
	 * a few long iterations still give three repeats */
	assert_int_equal(fc_next_slice(&q, 300, 0, 0), 64);
	assert_int_equal(fc_next_slice(&q, 100, 0, 0), 34);
	assert_int_equal(fc_next_slice(&q, 40, 0, 0), 14);
	assert_int_equal(fc_next_slice(&q, 10, 0, 0), 4);
	assert_int_equal(fc_next_slice(&q, 10, 4, 10 * ms), 4);
	assert_int_equal(fc_next_slice(&q, 10, 8, 20 * ms), 2);         /* the rest */
	/* the floor of ten runs whole, however long its iterations take */
	assert_int_equal(fc_next_slice(&q, 10, 4, 300 * ms), 4);
	assert_int_equal(fc_next_slice(&q, 10, 8, 600 * ms), 2);
	assert_int_equal(fc_next_slice(&q, 100, 34, 500 * ms), 0);      /* past the floor: time is up */
	assert_int_equal(fc_next_slice(&q, 100, 34, 380 * ms), 0);      /* 1 would fit */
	assert_int_equal(fc_next_slice(&q, 100, 68, 200 * ms), 32);    /* on time: the rest */
	assert_int_equal(fc_next_slice(&q, 8000, 1000, 25 * ms), 1000); /* on pace */
	/* ten times slower than the warmup said: what fits in the 0.4 s */
	assert_int_equal(fc_next_slice(&q, 8000, 1000, 250 * ms), 600);
	assert_int_equal(fc_next_slice(&q, 8000, 1000, 400 * ms), 0);    /* time is up */
	assert_int_equal(fc_next_slice(&q, 8000, 1000, 395 * ms), 0);    /* 12 would fit: not worth a slice */
	assert_int_equal(fc_next_slice(&q, 8000, 8000, 100 * ms), 0);    /* all done */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params_round_trip_and_each_bad_field_is_named),
		cmocka_unit_test(server_adopts_the_clients_parameters),
		cmocka_unit_test(size_lists_are_checked),
		cmocka_unit_test(begin_must_be_the_next_agreed_size),
		cmocka_unit_test(phases_are_taken_in_order),
		cmocka_unit_test(wrong_frames_and_silence),
		cmocka_unit_test(adaptive_iterations_fill_the_size_time),
		cmocka_unit_test(slices_stay_within_the_iterations),
		cmocka_unit_test(adaptive_slices_end_at_twice_the_size_time),
	};
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
