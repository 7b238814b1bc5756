#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "record.h"
#include "stats.h"
#include "timing.h"

#define MIN_ADAPTIVE_ITERS 10
#define MAX_ADAPTIVE_ITERS 1000000

const struct fc_column fc_pingpong_columns[] = {
	{"size", "size", 8, -1},
	{"iters", "iters", 9, 0},
	{"lat_us_min", "min_us", 11, 2},
	{"lat_us_p50", "p50_us", 11, 2},
	{"lat_us_p99", "p99_us", 11, 2},
	{"lat_us_max", "max_us", 11, 2},
	{"bw_gbps", "GB/s", 10, 4},
	{0},
};

enum { TO_SERVER = 0, TO_CLIENT = 1 };
#define WARMUP_ITER (1ull << 62) /* warmup iterations get their own patterns */

/* First data mismatch seen by one side, reported after the size ends so the
 * peer is never left waiting on a message that will not come. */
struct mismatch {
	bool seen;
	long iter;
	size_t offset;
};

struct pp {
	struct fc_run *r;
	size_t size;
	struct fc_op send, recv;
	struct mismatch bad;
};

static int post(struct pp *p, struct fc_op *op, bool is_send)
{
	struct fc_run *r = p->r;

	op->done = false;
	op->len = p->size;
	op->buf = is_send ? r->sbuf : r->rbuf;
	return is_send ? r->ops->post_send(r->x, op, fc_run_op_deadline(r))
		       : r->ops->post_recv(r->x, op, fc_run_op_deadline(r));
}

static void check(struct pp *p, uint64_t iter, int dir, long shown_iter)
{
	size_t off;

	if (p->bad.seen)
		return;
	off = fc_pattern_check(p->r->rbuf, p->size, fc_pattern_seed(p->size, iter, dir));
	if (off != (size_t)-1)
		p->bad = (struct mismatch){true, shown_iter, off};
}

/* Client side: count round trips, timing each into samples when given. */
static int client_loop(struct pp *p, long count, uint64_t iter0, uint64_t *samples)
{
	struct fc_run *r = p->r;
	bool verify = r->opts->verify;
	int rc;

	/* Each loop posts its first receive and leaves none behind: a receive
	 * left posted would catch the next size's first message. */
	if (count > 0 && (rc = post(p, &p->recv, false)))
		return rc;
	for (long i = 0; i < count; i++) {
		uint64_t t0, t1, it = iter0 + (uint64_t)i;

		if (verify)
			fc_pattern_fill(r->sbuf, p->size, fc_pattern_seed(p->size, it, TO_SERVER));
		t0 = fc_now_ns();
		if ((rc = post(p, &p->send, true)) ||
		    (rc = fc_run_wait(r, &p->recv, "reply", p->size, i)) ||
		    (rc = fc_run_wait(r, &p->send, "send", p->size, i)))
			return rc;
		t1 = fc_now_ns();
		if (samples)
			samples[i] = (t1 - t0) / 2;
		if (verify)
			check(p, it, TO_CLIENT, i);
		if (i + 1 < count && (rc = post(p, &p->recv, false)))
			return rc;
	}
	return 0;
}

/* Server side: echo count messages. Without -v the receive is re-posted
 * before the reply goes out, so the next ping never waits for a buffer. */
static int server_loop(struct pp *p, long count, uint64_t iter0)
{
	struct fc_run *r = p->r;
	bool verify = r->opts->verify;
	int rc;

	if (count > 0 && (rc = post(p, &p->recv, false)))
		return rc;
	for (long i = 0; i < count; i++) {
		uint64_t it = iter0 + (uint64_t)i;
		bool more = i + 1 < count;

		if (verify)
			fc_pattern_fill(r->sbuf, p->size, fc_pattern_seed(p->size, it, TO_CLIENT));
		if ((rc = fc_run_wait(r, &p->recv, "ping", p->size, i)))
			return rc;
		if (!verify && more && (rc = post(p, &p->recv, false)))
			return rc;
		if ((rc = post(p, &p->send, true)) || (rc = fc_run_wait(r, &p->send, "reply", p->size, i)))
			return rc;
		if (verify) {
			check(p, it, TO_SERVER, i);
			if (more && (rc = post(p, &p->recv, false)))
				return rc;
		}
	}
	return 0;
}

static long warmup_count(const struct fc_opts *o)
{
	/* adaptive iterations need at least one round trip to size from */
	return o->iters == 0 && o->warmup == 0 ? 1 : o->warmup;
}

static long adaptive_iters(const struct fc_opts *o, uint64_t warm_ns, long warm)
{
	double per = (double)warm_ns / (double)warm;
	double n = per > 0 ? o->size_budget_s * 1e9 / per : MAX_ADAPTIVE_ITERS;

	if (n < MIN_ADAPTIVE_ITERS)
		return MIN_ADAPTIVE_ITERS;
	return n > MAX_ADAPTIVE_ITERS ? MAX_ADAPTIVE_ITERS : (long)n;
}

static int report_mismatch(struct fc_run *r, size_t size, const struct mismatch *m, const char *dir)
{
	char b[32];

	return fc_boot_fail(&r->boot, FC_EXIT_VERIFY,
			    "data verification failed: size %s, iteration %ld, byte offset %zu, %s: the "
			    "fabric delivered wrong data",
			    fc_size_format(size, b, sizeof(b)), m->iter, m->offset, dir);
}

static int client_size(struct fc_run *r, size_t idx)
{
	struct pp p = {.r = r, .size = r->sizes.v[idx]};
	long warm = warmup_count(r->opts), iters;
	uint64_t *samples = NULL, t0;
	json_t *msg = NULL, *rec;
	struct fc_stats st;
	char b[32];
	int rc;

	fc_progress("size %s (%zu of %zu)", fc_size_format(p.size, b, sizeof(b)), idx + 1, r->sizes.n);
	if ((rc = fc_boot_send(&r->boot, FC_MSG_BEGIN, json_pack("{s:I}", "size", (json_int_t)p.size))) ||
	    (rc = fc_boot_expect(&r->boot, FC_MSG_READY, r->deadline, "waiting for the server to post buffers", NULL)))
		return rc;
	/* Size adaptive iterations from the second half of the warmup only: the
	 * first round trips include connection setup (rxm connects lazily). */
	if ((rc = client_loop(&p, warm - (warm + 1) / 2, WARMUP_ITER, NULL)))
		return rc;
	t0 = fc_now_ns();
	if ((rc = client_loop(&p, (warm + 1) / 2, WARMUP_ITER + (uint64_t)(warm - (warm + 1) / 2), NULL)))
		return rc;
	iters = r->opts->iters ? r->opts->iters : adaptive_iters(r->opts, fc_now_ns() - t0, (warm + 1) / 2);
	samples = malloc((size_t)iters * sizeof(*samples));
	if (!samples)
		return fc_boot_fail(&r->boot, FC_EXIT_FABRIC, "cannot allocate %ld samples", iters);
	rc = fc_boot_send(&r->boot, FC_MSG_ITERS, json_pack("{s:I}", "iters", (json_int_t)iters));
	if (!rc)
		rc = client_loop(&p, iters, 0, samples);
	/* The server reports what it saw before either side prints a number. */
	if (!rc)
		rc = fc_boot_expect(&r->boot, FC_MSG_RESULT, fc_run_op_deadline(r), "waiting for the server's check", &msg);
	json_decref(msg);
	if (!rc && p.bad.seen)
		rc = report_mismatch(r, p.size, &p.bad, "server to client");
	if (!rc)
		rc = fc_stats_compute(samples, (size_t)iters, &st);
	free(samples);
	if (rc)
		return rc;
	rec = fc_run_record(r, p.size);
	json_object_set_new(rec, "iters", json_integer(iters));
	json_object_set_new(rec, "warmup", json_integer(warm));
	fc_record_set_latency(rec, &st);
	json_object_set_new(rec, "bw_gbps", json_real((double)p.size / st.mean));
	json_object_set_new(rec, "verified", json_boolean(r->opts->verify));
	rec = fc_record_normalize(rec);
	rc = fc_out_record(&r->out, rec);
	if (!rc)
		rc = fc_boot_send(&r->boot, FC_MSG_RESULT, json_pack("{s:O}", "record", rec));
	json_decref(rec);
	return rc;
}

static int server_size(struct fc_run *r, size_t size)
{
	struct pp p = {.r = r, .size = size};
	json_t *msg = NULL;
	json_int_t iters;
	int rc;

	if ((rc = fc_boot_send(&r->boot, FC_MSG_READY, NULL)) ||
	    (rc = server_loop(&p, warmup_count(r->opts), WARMUP_ITER)) ||
	    (rc = fc_boot_expect(&r->boot, FC_MSG_ITERS, r->deadline, "waiting for the iteration count", &msg)))
		return rc;
	iters = json_integer_value(json_object_get(msg, "iters"));
	json_decref(msg);
	if (iters < 1 || iters > FC_MAX_ITERS)
		return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the client sent an invalid iteration count");
	if ((rc = server_loop(&p, (long)iters, 0)))
		return rc;
	if (p.bad.seen)
		return report_mismatch(r, size, &p.bad, "client to server");
	if ((rc = fc_boot_send(&r->boot, FC_MSG_RESULT, json_pack("{s:b}", "ok", 1))) ||
	    (rc = fc_boot_expect(&r->boot, FC_MSG_RESULT, fc_run_op_deadline(r), "waiting for the client's result", &msg)))
		return rc;
	/* Both sides print the same record: the client's measurement. */
	rc = fc_out_record(&r->out, json_object_get(msg, "record"));
	json_decref(msg);
	return rc;
}

int fc_bench_pingpong(struct fc_run *r)
{
	json_t *msg = NULL;
	int rc = 0;

	if (r->is_client) {
		for (size_t i = 0; i < r->sizes.n && !rc; i++)
			if (!(rc = fc_run_check_deadline(r, i)))
				rc = client_size(r, i);
		if (!rc)
			rc = fc_boot_send(&r->boot, FC_MSG_BEGIN, json_pack("{s:i}", "size", 0));
		fc_progress_done();
		return rc;
	}
	for (;;) {
		json_int_t size;

		if ((rc = fc_boot_expect(&r->boot, FC_MSG_BEGIN, r->deadline, "waiting for the next size", &msg)))
			return rc;
		size = json_integer_value(json_object_get(msg, "size"));
		json_decref(msg);
		if (size == 0)
			return 0; /* the client is done */
		if (size < 0 || (size_t)size > fc_sizes_max(&r->sizes))
			return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the client asked for size %lld outside the agreed list",
					    (long long)size);
		if ((rc = server_size(r, (size_t)size)))
			return rc;
	}
}
