/* RMA bandwidth and latency: fi_write, fi_read or fi_writedata into the
 * server's registered buffer, whose key and address reach the client
 * through the bootstrap. Each window is W operations from separate slots to
 * separate target slots (two sets, alternating, so the server checks one
 * window while the next lands in the other), closed by the server's ack: after the client's
 * end-of-window message (write, read), or after the server has counted W
 * completions of the client's writes with data (writedata). A second timed
 * phase issues single operations one at a time for the latency. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "record.h"
#include "stats.h"
#include "timing.h"

#define CTL_BYTES 8
#define CTL_AREA 4096

const struct fc_column fc_rma_columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"rma_op", "op", 10, 0},
	{"iters", "iters", 8, 0},
	{"bw_gbps", "GB/s", 9, 3},
	{"lat_us_p50", "p50_us", 10, 2},
	{"lat_us_p99", "p99_us", 10, 2},
	{0},
};

size_t fc_rma_buffer_bytes(const struct fc_opts *o, size_t size)
{
	/* two target sets of W slots, one slot for the latency phase */
	return (2 * (size_t)fc_bw_window(o, size) + 1) * size + CTL_AREA;
}

struct rma {
	struct fc_lane_state h;
	size_t size;
	long w;
	enum fc_op_kind kind;
	struct target *t;       /* across sizes: the server's buffer, events seen */
	struct fc_op *ops, end, ack;
	uint64_t busy_ns;       /* h.samples: single-operation latencies, ns */
};

/* Per lane, for the whole run. */
struct target {
	uint64_t key, addr;   /* the server's target buffer */
	uint64_t events_seen; /* server: the client's writes with data counted so far */
};

static void *slot(struct fc_lane *l, bool target, long i)
{
	struct rma *m = l->bench;
	return (char *)(target ? l->rbuf : l->sbuf) + (size_t)i * m->size;
}

static void *ctl(struct fc_lane *l, bool recv)
{
	struct rma *m = l->bench;
	return (char *)(recv ? l->rbuf : l->sbuf) + (2 * (size_t)m->w + 1) * m->size;
}

/* Target slot i of window number win (counted the same on both sides,
 * warmup included): sets alternate; LATENCY_WINDOW gets slot 2W. */
#define LATENCY_WINDOW UINT64_MAX
static long target_index(const struct rma *m, uint64_t win, long i)
{
	return win == LATENCY_WINDOW ? 2 * m->w : (long)(win % 2) * m->w + i;
}

/* Writes carry direction 0; the server's targets are filled for reads with
 * direction 1, a pattern no write uses, so a write that never lands fails. */
static uint64_t seed(const struct fc_lane *l, uint64_t window, long i)
{
	const struct rma *m = l->bench;
	return fc_pattern_seed(m->size, fc_window_msg_iter(window, m->w, i, l->index), 0);
}

static uint64_t read_seed(const struct fc_lane *l, long i)
{
	const struct rma *m = l->bench;
	return fc_pattern_seed(m->size, fc_window_msg_iter(0, m->w, i, l->index), 1);
}

static int ctl_op(struct fc_lane *l, struct fc_op *op, bool send)
{
	struct fc_run *r = l->r;

	op->done = false;
	op->buf = ctl(l, !send);
	op->len = CTL_BYTES;
	op->stream = 0;
	return send ? r->ops->post_send(l->x, op, fc_run_op_deadline(r))
		    : r->ops->post_recv(l->x, op, fc_run_op_deadline(r));
}

/* Operation i of window number win. */
static int rma_op(struct fc_lane *l, struct fc_op *op, uint64_t win, long i)
{
	struct rma *m = l->bench;
	long t = target_index(m, win, i);
	/* writes come from the client's slots, reads land where they would in the target */
	op->done = false;
	op->kind = m->kind;
	op->buf = m->kind == FC_OP_READ ? slot(l, true, t) : slot(l, false, i);
	op->len = m->size;
	op->slot = (int)i;
	op->raddr = m->t->addr + (uint64_t)t * m->size;
	op->rkey = m->t->key;
	return l->r->ops->post_rma(l->x, op, fc_run_op_deadline(l->r));
}

/* Server: drives progress until the client's writes with data for this
 * window have all landed. */
static int wait_events(struct fc_lane *l, uint64_t target, long k)
{
	struct fc_run *r = l->r;
	struct rma *m = l->bench;
	uint64_t dl = fc_run_op_deadline(r);
	char b[32];

	while (r->ops->remote_events(l->x) < target) {
		struct fc_op *c[16];
		int n = r->ops->poll(l->x, c, 16, fc_deadline_min(dl, fc_deadline_in(0.05)));
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			c[i]->done = true;
		if (atomic_load(&r->abort))
			return -FC_EXIT_PEER;
		if (fc_now_ns() >= dl) {
			fc_err("only %llu of %llu writes with data arrived at size %s, window %ld, lane %d: the peer "
			       "%s stopped", (unsigned long long)r->ops->remote_events(l->x),
			       (unsigned long long)target, fc_size_format(m->size, b, sizeof(b)), k, l->index,
			       r->peer_host);
			return -FC_EXIT_PEER;
		}
	}
	l->rx_bytes += (target - m->t->events_seen) * m->size;
	m->t->events_seen = target;
	return 0;
}

static int client_window(struct fc_lane *l, long k, uint64_t win, bool timed)
{
	struct rma *m = l->bench;
	bool verify = l->r->opts->verify;
	uint64_t t0;
	int rc = 0;

	if (verify && m->kind != FC_OP_READ)
		for (long i = 0; i < m->w; i++)
			fc_lane_fill(l, slot(l, false, i), m->size, seed(l, win, i));
	if ((rc = ctl_op(l, &m->ack, false)))
		return rc;
	t0 = fc_now_ns();
	for (long i = 0; i < m->w && !rc; i++)
		rc = rma_op(l, &m->ops[i], win, i);
	for (long i = 0; i < m->w && !rc; i++)
		rc = fc_lane_wait(l, &m->ops[i], "RMA completion", m->size, k);
	if (!rc && m->kind != FC_OP_WRITEDATA && !(rc = ctl_op(l, &m->end, true)))
		rc = fc_lane_wait(l, &m->end, "end of window", m->size, k);
	if (!rc)
		rc = fc_lane_wait(l, &m->ack, "server's ack", m->size, k);
	if (rc)
		return rc;
	if (timed) {
		m->busy_ns += fc_now_ns() - t0;
		l->t_end = fc_now_ns();
	}
	if (verify && m->kind == FC_OP_READ)
		for (long i = 0; i < m->w; i++)
			fc_mismatch_check(&m->h.bad, l, slot(l, true, target_index(m, win, i)), m->size, read_seed(l, i), k, i);
	return 0;
}

static int server_window(struct fc_lane *l, long k, uint64_t win)
{
	struct rma *m = l->bench;
	int rc;

	if (m->kind == FC_OP_WRITEDATA)
		rc = wait_events(l, m->t->events_seen + (uint64_t)m->w, k);
	else
		rc = fc_lane_wait(l, &m->end, "end of window", m->size, k);
	if (!rc && (rc = ctl_op(l, &m->ack, true)) == 0)
		rc = fc_lane_wait(l, &m->ack, "ack", m->size, k);
	if (rc)
		return rc;
	if (l->r->opts->verify && m->kind != FC_OP_READ)
		for (long i = 0; i < m->w; i++)
			fc_mismatch_check(&m->h.bad, l, slot(l, true, target_index(m, win, i)), m->size, seed(l, win, i), k, i);
	return 0;
}

/* Latency: count single operations, each waited for, then one end message. */
static int latency_phase(struct fc_lane *l, long count)
{
	struct rma *m = l->bench;
	int rc = 0;

	if (l->r->is_client) {
		for (long i = 0; i < count && !rc; i++) {
			uint64_t t0 = fc_now_ns();
			if (!(rc = rma_op(l, &m->ops[0], LATENCY_WINDOW, 0)))
				rc = fc_lane_wait(l, &m->ops[0], "RMA completion", m->size, i);
			m->h.samples[i] = fc_now_ns() - t0;
		}
		if (!rc && !(rc = ctl_op(l, &m->ack, false)) && !(rc = ctl_op(l, &m->end, true)))
			rc = fc_lane_wait(l, &m->end, "end of latency phase", m->size, count);
		if (!rc)
			rc = fc_lane_wait(l, &m->ack, "server's ack", m->size, count);
		return rc;
	}
	if (m->kind == FC_OP_WRITEDATA && (rc = wait_events(l, m->t->events_seen + (uint64_t)count, count)))
		return rc;
	if ((rc = ctl_op(l, &m->end, false)) || (rc = fc_lane_wait(l, &m->end, "end of latency phase", m->size, count)))
		return rc;
	if ((rc = ctl_op(l, &m->ack, true)) == 0)
		rc = fc_lane_wait(l, &m->ack, "ack", m->size, count);
	return rc;
}

static int rma_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct rma *m = l->bench;
	int rc = 0;

	if (ph->timed)
		l->t_start = fc_now_ns();
	for (long k = 0; k < ph->count && !rc; k++) {
		uint64_t win = ph->iter0 + (uint64_t)k;
		if (l->r->is_client) {
			rc = client_window(l, k, win, ph->timed);
		} else {
			/* the end-of-window receive is posted before the client can send it */
			if (m->kind != FC_OP_WRITEDATA && (rc = ctl_op(l, &m->end, false)))
				break;
			rc = server_window(l, k, win);
		}
	}
	if (!rc && ph->timed)
		rc = latency_phase(l, ph->count);
	return rc;
}

static int records(struct fc_run *r, size_t size, long iters, long warm, json_t *out)
{
	int rc = 0;

	for (int i = 0; i < r->nlanes && !rc; i++) {
		struct fc_lane *l = &r->lanes[i];
		struct rma *m = l->bench;
		struct fc_stats st;
		struct fc_rec rec;
		json_t *j;

		if ((rc = fc_stats_compute(m->h.samples, (size_t)iters, &st)))
			break;
		fc_run_rec(r, l, size, &rec);
		rec.iters = FC_I(iters);
		rec.warmup = FC_I(warm);
		rec.window = FC_I(m->w);
		rec.rma_op = r->opts->rma_op;
		if (l->info.rma_emulated >= 0)
			rec.rma_emulated = FC_B(l->info.rma_emulated == 1);
		rec.direction = m->kind == FC_OP_READ ? "read" : "write";
		fc_rec_set_latency(&rec, &st);
		rec.bw_gbps = FC_R((double)m->w * (double)iters * (double)size / (double)m->busy_ns);
		rec.msg_rate = FC_R((double)m->w * (double)iters * 1e9 / (double)m->busy_ns);
		rec.verified = FC_B(r->opts->verify);
		j = fc_rec_json(&rec);
		rc = fc_out_record(&r->out, j);
		json_array_append_new(out, j);
	}
	return rc;
}

static enum fc_op_kind op_kind(const char *op)
{
	return !strcmp(op, "read") ? FC_OP_READ : !strcmp(op, "writedata") ? FC_OP_WRITEDATA : FC_OP_WRITE;
}

static struct fc_lane_state *lane_begin(struct fc_lane *l, size_t size)
{
	struct fc_run *r = l->r;
	struct rma *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->size = size;
	m->w = fc_bw_window(r->opts, size);
	m->kind = op_kind(r->opts->rma_op);
	m->t = l->keep;
	if (!(m->ops = calloc((size_t)m->w, sizeof(struct fc_op)))) {
		free(m);
		return NULL;
	}
	l->bench = m;
	/* reads fetch a known pattern from every target slot */
	if (!r->is_client)
		for (long s = 0; s < 2 * m->w; s++)
			fc_lane_fill(l, slot(l, true, s), size, read_seed(l, s % m->w));
	return &m->h;
}

static void lane_end(struct fc_lane *l)
{
	struct rma *m = l->bench;

	free(m->ops);
	free(m);
}

/* The server's target keys and addresses, once per run. */
static int exchange_targets(struct fc_run *r)
{
	json_t *msg = NULL, *arr;
	int rc = 0;

	if (!r->is_client) {
		arr = json_array();
		for (int i = 0; i < r->nlanes && !rc; i++) {
			uint64_t key, addr;
			if ((rc = r->ops->rma_target(r->lanes[i].x, r->lanes[i].rbuf, &key, &addr)))
				break;
			json_array_append_new(arr, json_pack("{s:I, s:I}", "key", (json_int_t)key, "addr", (json_int_t)addr));
		}
		if (rc) {
			json_decref(arr);
			return fc_boot_forward(&r->boot, rc);
		}
		for (int i = 0; i < r->nlanes; i++)
			if (!(r->lanes[i].keep = calloc(1, sizeof(struct target))))
				rc = -FC_EXIT_FABRIC;
		if (rc) {
			json_decref(arr);
			return fc_boot_forward(&r->boot, rc);
		}
		return fc_boot_send(&r->boot, FC_MSG_TARGET, json_pack("{s:o}", "targets", arr));
	}
	if ((rc = fc_boot_expect(&r->boot, FC_MSG_TARGET, r->deadline, "receiving the RMA targets", &msg)))
		return rc;
	arr = json_object_get(msg, "targets");
	for (int i = 0; i < r->nlanes; i++) {
		struct target *tg = calloc(1, sizeof(*tg));
		json_t *t = json_array_get(arr, (size_t)i);
		if (!tg || !t) {
			free(tg);
			json_decref(msg);
			return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the server sent no RMA target for lane %d", i);
		}
		tg->key = (uint64_t)json_integer_value(json_object_get(t, "key"));
		tg->addr = (uint64_t)json_integer_value(json_object_get(t, "addr"));
		r->lanes[i].keep = tg;
	}
	json_decref(msg);
	return 0;
}

int fc_bench_rma(struct fc_run *r)
{
	static const struct fc_bench bench = {
		.loop = rma_loop,
		.lane_begin = lane_begin,
		.lane_end = lane_end,
		.records = records,
		.client_dir = "read from the server",
		.server_dir = "written by the client",
	};
	int rc = exchange_targets(r);

	if (!rc) {
		const struct fc_xport_info *i = &r->lanes[0].info;
		if (i->rma_emulated == 1)
			fc_out_banner(&r->out, "RMA on %s is EMULATED in software over sends, not device RDMA "
					       "(aws-ofi-nccl's RDMA protocol needs device RDMA write)", i->domain);
		else if (i->rma_emulated == 0)
			fc_out_banner(&r->out, "RMA on %s uses device RDMA", i->domain);
		rc = fc_bench_run(r, &bench);
	}
	for (int i = 0; i < r->nlanes; i++) {
		free(r->lanes[i].keep);
		r->lanes[i].keep = NULL;
	}
	return rc;
}
