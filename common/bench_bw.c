/* Streaming bandwidth and message rate. Each iteration is a window of W
 * messages, each from its own buffer slot (cache reuse cannot inflate the
 * numbers), closed by a small ack from the receiver: the window's time ends
 * when the data has arrived, not when it left. Receive slots are double
 * buffered so that -v checks one window while the next is in flight. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "record.h"
#include "stats.h"
#include "timing.h"

#define WINDOW_BYTES (32u << 20) /* default window: up to 64 messages, about 32 MiB */
#define ACK_BYTES 8
#define ACK_AREA 4096

const struct fc_column fc_bw_columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"iters", "windows", 9, 0},
	{"window", "window", 7, 0},
	{"bw_gbps", "GB/s", 10, 3},
	{"msg_rate", "msg/s", 12, 0},
	{0},
};

enum { TO_SERVER = 0, TO_CLIENT = 1 };

long fc_bw_window(const struct fc_opts *o, size_t size)
{
	long w = (long)(WINDOW_BYTES / size);

	if (o->window)
		return o->window;
	return w < 2 ? 2 : w > 64 ? 64 : w;
}

size_t fc_bw_buffer_bytes(const struct fc_opts *o, size_t size)
{
	return 2 * (size_t)fc_bw_window(o, size) * size + ACK_AREA;
}

/* Per-lane state for one size. */
struct bw {
	struct fc_lane_state h;
	size_t size;
	long w;
	bool sends, recvs; /* this side's roles */
	struct fc_op *sendop, *recvop, ack_send, ack_recv;
	uint64_t busy_ns; /* sum of timed windows */
};

static void *slot(struct fc_lane *l, bool recv, long set, long i)
{
	struct bw *b = l->bench;
	char *base = recv ? l->rbuf : l->sbuf;
	return base + ((size_t)(set * b->w + i)) * b->size;
}

static void *ack_buf(struct fc_lane *l, bool recv)
{
	struct bw *b = l->bench;
	return (char *)(recv ? l->rbuf : l->sbuf) + 2 * (size_t)b->w * b->size;
}

static int post(struct fc_lane *l, struct fc_op *op, bool is_send, void *buf, size_t len, int stream)
{
	struct fc_run *r = l->r;

	op->done = false;
	op->buf = buf;
	op->len = len;
	op->stream = stream;
	return is_send ? r->ops->post_send(l->x, op, fc_run_op_deadline(r))
		       : r->ops->post_recv(l->x, op, fc_run_op_deadline(r));
}

static int post_window_recvs(struct fc_lane *l, long set)
{
	struct bw *b = l->bench;
	int rc = 0;

	for (long i = 0; i < b->w && !rc; i++)
		rc = post(l, &b->recvop[i], false, slot(l, true, set, i), b->size,
			  (int)(i % l->r->opts->streams));
	return rc;
}

static uint64_t seed(const struct fc_lane *l, uint64_t window, long i, bool from_client)
{
	const struct bw *b = l->bench;
	/* every message of every window and lane has its own pattern */
	return fc_pattern_seed(b->size, fc_window_msg_iter(window, b->w, i, l->index),
			       from_client ? TO_SERVER : TO_CLIENT);
}

static int window_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct bw *b = l->bench;
	bool verify = l->r->opts->verify, client = l->r->is_client;
	int rc = 0;

	if (ph->count == 0)
		return 0;
	/* receives for the first window, and the first ack, before anything moves */
	if (b->recvs && (rc = post_window_recvs(l, 0)))
		return rc;
	if (b->sends && (rc = post(l, &b->ack_recv, false, ack_buf(l, true), ACK_BYTES, 0)))
		return rc;
	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long k = 0; k < ph->count; k++) {
		uint64_t win = ph->iter0 + (uint64_t)k, t0;
		long set = k % 2;
		bool more = k + 1 < ph->count;

		if (b->sends && verify)
			for (long i = 0; i < b->w; i++)
				fc_lane_fill(l, slot(l, false, 0, i), b->size, seed(l, win, i, client));
		t0 = fc_now_ns();
		for (long i = 0; b->sends && i < b->w && !rc; i++)
			rc = post(l, &b->sendop[i], true, slot(l, false, 0, i), b->size,
				  (int)(i % l->r->opts->streams));
		for (long i = 0; b->recvs && i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->recvop[i], "window receive", b->size, k);
		if (rc)
			return rc;
		if (b->recvs) {
			/* next window's slots before the ack that lets the peer send it */
			if ((more && (rc = post_window_recvs(l, (k + 1) % 2))) ||
			    (rc = post(l, &b->ack_send, true, ack_buf(l, false), ACK_BYTES, 0)))
				return rc;
		}
		for (long i = 0; b->sends && i < b->w && !rc; i++)
			rc = fc_lane_wait(l, &b->sendop[i], "window send", b->size, k);
		if (!rc && b->sends)
			rc = fc_lane_wait(l, &b->ack_recv, "peer's ack", b->size, k);
		if (!rc && b->recvs)
			rc = fc_lane_wait(l, &b->ack_send, "ack", b->size, k);
		if (!rc && b->sends && more)
			rc = post(l, &b->ack_recv, false, ack_buf(l, true), ACK_BYTES, 0);
		if (rc)
			return rc;
		if (ph->timed) {
			uint64_t t1 = fc_now_ns();
			b->h.samples[k] = t1 - t0;
			b->busy_ns += t1 - t0;
			l->t_end = t1;
		}
		if (b->recvs && verify)
			for (long i = 0; i < b->w; i++)
				fc_mismatch_check(&b->h.bad, l, slot(l, true, set, i), b->size, seed(l, win, i, !client),
						  k, i);
	}
	return 0;
}

static void base_record(struct fc_run *r, struct fc_lane *l, size_t size, long iters, long warm, long w,
			struct fc_rec *rec)
{
	fc_run_rec(r, l, size, rec);
	rec->iters = FC_I(iters);
	rec->warmup = FC_I(warm);
	rec->window = FC_I(w);
	rec->direction = r->opts->bidir ? "bidir" : "uni";
	rec->streams = FC_I(r->opts->streams);
	rec->verified = FC_B(r->opts->verify);
}

static int emit(struct fc_run *r, struct fc_rec *rec, json_t *out)
{
	json_t *j = fc_rec_json(rec);
	int rc = fc_out_record(&r->out, j);

	json_array_append_new(out, j);
	return rc;
}

static int records(struct fc_run *r, size_t size, long iters, long warm, json_t *out)
{
	double dirs = r->opts->bidir ? 2 : 1;
	uint64_t first = UINT64_MAX, last = 0;
	double total_msgs = 0;
	struct fc_rec rec;
	int rc = 0;

	for (int i = 0; i < r->nlanes && !rc; i++) {
		struct fc_lane *l = &r->lanes[i];
		struct bw *b = l->bench;
		double msgs = dirs * (double)b->w * (double)iters;

		base_record(r, l, size, iters, warm, b->w, &rec);
		rec.bw_gbps = FC_R(msgs * (double)size / (double)b->busy_ns);
		rec.msg_rate = FC_R(msgs * 1e9 / (double)b->busy_ns);
		rc = emit(r, &rec, out);
		total_msgs += msgs;
		first = l->t_start < first ? l->t_start : first;
		last = l->t_end > last ? l->t_end : last;
	}
	if (!rc && r->nlanes > 1) {
		/* all lanes at once: every byte over the span from first start to last end */
		base_record(r, NULL, size, iters, warm, ((struct bw *)r->lanes[0].bench)->w, &rec);
		rec.bw_gbps = FC_R(total_msgs * (double)size / (double)(last - first));
		rec.msg_rate = FC_R(total_msgs * 1e9 / (double)(last - first));
		rc = emit(r, &rec, out);
	}
	return rc;
}

static struct fc_lane_state *lane_begin(struct fc_lane *l, size_t size)
{
	struct fc_run *r = l->r;
	struct bw *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->size = size;
	b->w = fc_bw_window(r->opts, size);
	b->sends = r->is_client || r->opts->bidir;
	b->recvs = !r->is_client || r->opts->bidir;
	b->sendop = calloc((size_t)b->w, sizeof(struct fc_op));
	b->recvop = calloc((size_t)b->w, sizeof(struct fc_op));
	if (!b->sendop || !b->recvop) {
		free(b->sendop);
		free(b->recvop);
		free(b);
		return NULL;
	}
	return &b->h;
}

static void lane_end(struct fc_lane *l)
{
	struct bw *b = l->bench;

	free(b->sendop);
	free(b->recvop);
	free(b);
}

int fc_bench_bw(struct fc_run *r)
{
	static const struct fc_bench b = {
		.loop = window_loop,
		.lane_begin = lane_begin,
		.lane_end = lane_end,
		.records = records,
		.client_dir = "server to client",
		.server_dir = "client to server",
	};
	return fc_bench_run(r, &b);
}
