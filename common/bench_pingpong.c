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
	struct fc_lane_state h;
	size_t size;
	struct fc_op send, recv;
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
	fc_mismatch_check(&p->h.bad, l, l->rbuf, p->size, fc_pattern_seed(p->size, iter, dir), shown_iter, -1);
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
			p->h.samples[i] = (t1 - t0) / 2;
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

static int record_lane(struct fc_run *r, struct fc_lane *l, long iters, long warm, json_t *out)
{
	struct pp *p = l->bench;
	struct fc_stats st;
	struct fc_rec rec;
	json_t *j;
	int rc = fc_stats_compute(p->h.samples, (size_t)iters, &st);

	if (rc)
		return rc;
	fc_run_rec(r, l, p->size, &rec);
	rec.iters = FC_I(iters);
	rec.warmup = FC_I(warm);
	fc_rec_set_latency(&rec, &st);
	rec.bw_gbps = FC_R((double)p->size / st.mean);
	rec.msg_rate = FC_R(1e9 / (2 * st.mean));
	rec.verified = FC_B(r->opts->verify);
	j = fc_rec_json(&rec);
	rc = fc_out_record(&r->out, j);
	json_array_append_new(out, j);
	return rc;
}

static int records(struct fc_run *r, size_t size, long iters, long warm, json_t *out)
{
	int rc = 0;

	(void)size;
	for (int i = 0; !rc && i < r->nlanes; i++)
		rc = record_lane(r, &r->lanes[i], iters, warm, out);
	return rc;
}

static struct fc_lane_state *lane_begin(struct fc_lane *l, size_t size)
{
	struct pp *p = calloc(1, sizeof(*p));

	(void)l;
	if (p)
		p->size = size;
	return p ? &p->h : NULL;
}

static void lane_end(struct fc_lane *l)
{
	free(l->bench);
}

int fc_bench_pingpong(struct fc_run *r)
{
	const struct fc_bench b = {
		.loop = r->is_client ? client_loop : server_loop,
		.lane_begin = lane_begin,
		.lane_end = lane_end,
		.records = records,
		.client_dir = "server to client",
		.server_dir = "client to server",
	};
	return fc_bench_run(r, &b);
}
