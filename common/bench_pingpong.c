#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "record.h"
#include "stats.h"
#include "timing.h"

const struct fc_column fc_pingpong_columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"iters", "iters", 9, 0},
	{"lat_us_min", "min_us", 11, 2},
	{"lat_us_p50", "p50_us", 11, 2},
	{"lat_us_p99", "p99_us", 11, 2},
	{"lat_us_max", "max_us", 11, 2},
	{"bw_gbps", "GB/s", 10, 4},
	{0},
};

enum { TO_SERVER = 0, TO_CLIENT = 1 };

/* Per-lane state for one size. */
struct pp {
	size_t size;
	struct fc_op send, recv;
	struct fc_mismatch bad;
	uint64_t *samples;
};

static int post(struct fc_lane *l, struct fc_op *op, bool is_send)
{
	struct pp *p = l->bench;
	struct fc_run *r = l->r;

	op->done = false;
	op->len = p->size;
	op->buf = is_send ? l->sbuf : l->rbuf;
	return is_send ? r->ops->post_send(l->x, op, fc_run_op_deadline(r))
		       : r->ops->post_recv(l->x, op, fc_run_op_deadline(r));
}

static void check(struct fc_lane *l, uint64_t iter, int dir, long shown_iter)
{
	struct pp *p = l->bench;
	fc_mismatch_check(&p->bad, l, l->rbuf, p->size, fc_pattern_seed(p->size, iter, dir), shown_iter, -1);
}

/* Client side: count round trips, timing each into samples when timed. */
static int client_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct pp *p = l->bench;
	bool verify = l->r->opts->verify;
	int rc;

	/* Each loop posts its first receive and leaves none behind: a receive
	 * left posted would catch the next size's first message. */
	if (ph->count > 0 && (rc = post(l, &p->recv, false)))
		return rc;
	for (long i = 0; i < ph->count; i++) {
		uint64_t t0, t1, it = ph->iter0 + (uint64_t)i;

		if (verify)
			fc_lane_fill(l, l->sbuf, p->size, fc_pattern_seed(p->size, it, TO_SERVER));
		t0 = fc_now_ns();
		if ((rc = post(l, &p->send, true)) ||
		    (rc = fc_lane_wait(l, &p->recv, "reply", p->size, i)) ||
		    (rc = fc_lane_wait(l, &p->send, "send", p->size, i)))
			return rc;
		t1 = fc_now_ns();
		if (ph->timed)
			p->samples[i] = (t1 - t0) / 2;
		if (verify)
			check(l, it, TO_CLIENT, i);
		if (i + 1 < ph->count && (rc = post(l, &p->recv, false)))
			return rc;
	}
	return 0;
}

/* Server side: echo count messages. Without -v the receive is re-posted
 * before the reply goes out, so the next ping never waits for a buffer. */
static int server_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct pp *p = l->bench;
	bool verify = l->r->opts->verify;
	int rc;

	if (ph->count > 0 && (rc = post(l, &p->recv, false)))
		return rc;
	for (long i = 0; i < ph->count; i++) {
		uint64_t it = ph->iter0 + (uint64_t)i;
		bool more = i + 1 < ph->count;

		if (verify)
			fc_lane_fill(l, l->sbuf, p->size, fc_pattern_seed(p->size, it, TO_CLIENT));
		if ((rc = fc_lane_wait(l, &p->recv, "ping", p->size, i)))
			return rc;
		if (!verify && more && (rc = post(l, &p->recv, false)))
			return rc;
		if ((rc = post(l, &p->send, true)) || (rc = fc_lane_wait(l, &p->send, "reply", p->size, i)))
			return rc;
		if (verify) {
			check(l, it, TO_SERVER, i);
			if (more && (rc = post(l, &p->recv, false)))
				return rc;
		}
	}
	return 0;
}

static const struct fc_mismatch *first_mismatch(struct fc_run *r, int *lane)
{
	for (int i = 0; i < r->nlanes; i++) {
		struct pp *p = r->lanes[i].bench;
		if (p->bad.seen) {
			*lane = i;
			return &p->bad;
		}
	}
	return NULL;
}

static int record_lane(struct fc_run *r, struct fc_lane *l, long iters, long warm, json_t *out)
{
	struct pp *p = l->bench;
	struct fc_stats st;
	json_t *rec;
	int rc = fc_stats_compute(p->samples, (size_t)iters, &st);

	if (rc)
		return rc;
	rec = fc_run_record(r, l, p->size);
	json_object_set_new(rec, "iters", json_integer(iters));
	json_object_set_new(rec, "warmup", json_integer(warm));
	fc_record_set_latency(rec, &st);
	json_object_set_new(rec, "bw_gbps", json_real((double)p->size / st.mean));
	json_object_set_new(rec, "msg_rate", json_real(1e9 / (2 * st.mean)));
	json_object_set_new(rec, "verified", json_boolean(r->opts->verify));
	rec = fc_record_normalize(rec);
	rc = fc_out_record(&r->out, rec);
	json_array_append_new(out, rec);
	return rc;
}

static int one_size(struct fc_run *r, size_t idx, size_t size)
{
	struct pp *pps = calloc((size_t)r->nlanes, sizeof(*pps));
	long warm = fc_warmup_count(r->opts), iters = 0;
	const struct fc_mismatch *bad;
	json_t *records = json_array();
	int rc, lane = 0;

	if (!pps)
		return -FC_EXIT_FABRIC;
	for (int i = 0; i < r->nlanes; i++) {
		pps[i].size = size;
		r->lanes[i].bench = &pps[i];
	}
	rc = fc_size_sync(r, idx, size, warm, r->is_client ? client_loop : server_loop, &iters);
	for (int i = 0; !rc && i < r->nlanes; i++)
		if (!(pps[i].samples = malloc((size_t)iters * sizeof(uint64_t))))
			rc = fc_boot_fail(&r->boot, FC_EXIT_FABRIC, "cannot allocate %ld samples", iters);
	if (!rc) {
		struct fc_phase timed = {.count = iters, .iter0 = 0, .timed = true};
		rc = fc_run_lanes(r, r->is_client ? client_loop : server_loop, &timed);
	}
	bad = rc ? NULL : first_mismatch(r, &lane);
	if (!rc)
		rc = fc_size_finish(r, size, bad, lane, r->is_client ? "server to client" : "client to server");
	for (int i = 0; !rc && r->is_client && i < r->nlanes; i++)
		rc = record_lane(r, &r->lanes[i], iters, warm, records);
	if (!rc)
		rc = fc_size_results(r, records);
	json_decref(records);
	for (int i = 0; i < r->nlanes; i++) {
		free(pps[i].samples);
		r->lanes[i].bench = NULL;
	}
	free(pps);
	return rc;
}

int fc_bench_pingpong(struct fc_run *r)
{
	return fc_bench_sizes(r, one_size);
}
