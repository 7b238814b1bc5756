/* RMA bandwidth and latency: fi_write, fi_read or fi_writedata into the
 * server's registered buffer, whose key, address and length reach the
 * client through the session (and bound every operation). Each window is W
 * operations from separate slots to separate target slots (two sets,
 * alternating, so the server checks one window while the next lands),
 * closed by the server's ack: after the client's end-of-window message
 * (write, read), or after the server has counted W completions of the
 * client's writes with data (writedata). A second timed phase issues
 * single operations one at a time for the latency. */
#include <stdlib.h>
#include <string.h>

#include "benches.h"
#include "log.h"
#include "pattern.h"
#include "timing.h"

#define CTL_BYTES 8
#define CTL_AREA 4096

static const struct fc_column columns[] = {
	{"size", "size", 8, -1},
	{"lane", "lane", 5, 0},
	{"rma_op", "op", 10, 0},
	{"iters", "iters", 8, 0},
	{"bw_gbps", "GB/s", 9, 3},
	{"lat_us_p50", "p50_us", 10, 2},
	{"lat_us_p99", "p99_us", 10, 2},
	{0},
};

/* two target sets of W slots, one slot for the latency phase */
static size_t data_bytes(const struct fc_params *p, size_t size)
{
	return (2 * (size_t)fc_bw_window(p, size) + 1) * size;
}

static size_t buffer_bytes(const struct fc_params *p, size_t size)
{
	return data_bytes(p, size) + CTL_AREA;
}

static enum fc_op_kind op_kind(const char *op)
{
	return !strcmp(op, "read") ? FC_OP_READ : !strcmp(op, "writedata") ? FC_OP_WRITEDATA : FC_OP_WRITE;
}

struct rma {
	struct fc_lane_state h;
	size_t size;
	long w;
	enum fc_op_kind kind;
	bool client, verify;
	uint64_t events;  /* server: the client's writes with data counted so far */
	struct fc_op *ops, end, ack;
	uint64_t busy_ns; /* bandwidth phase; h.samples: single-operation latencies */
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
	return send ? fc_lane_send(l, op, ctl(l, false), CTL_BYTES, 0) : fc_lane_recv(l, op, ctl(l, true), CTL_BYTES, 0);
}

/* Operation i of window number win: writes come from the client's slots,
 * reads land where they would in the target. */
static int rma_op(struct fc_lane *l, struct fc_op *op, uint64_t win, long i)
{
	struct rma *m = l->bench;
	long t = target_index(m, win, i);
	void *local = m->kind == FC_OP_READ ? slot(l, true, t) : slot(l, false, i);

	return fc_lane_rma(l, op, m->kind, local, m->size, (uint64_t)t * m->size, (uint64_t)i);
}

static int client_window(struct fc_lane *l, long k, uint64_t win, bool timed)
{
	struct rma *m = l->bench;
	uint64_t t0;
	int rc = 0;

	for (long i = 0; m->verify && m->kind != FC_OP_READ && i < m->w && !rc; i++)
		rc = fc_lane_fill(l, slot(l, false, i), m->size, seed(l, win, i));
	if (rc || (rc = ctl_op(l, &m->ack, false)))
		return rc;
	t0 = fc_now_ns();
	for (long i = 0; i < m->w && !rc; i++)
		rc = rma_op(l, &m->ops[i], win, i);
	for (long i = 0; i < m->w && !rc; i++)
		rc = fc_lane_wait(l, &m->ops[i], "RMA completion", k);
	if (!rc && m->kind != FC_OP_WRITEDATA && !(rc = ctl_op(l, &m->end, true)))
		rc = fc_lane_wait(l, &m->end, "end of window", k);
	if (!rc)
		rc = fc_lane_wait(l, &m->ack, "server's ack", k);
	if (rc)
		return rc;
	if (timed) {
		m->busy_ns += fc_now_ns() - t0;
		l->t_end = fc_now_ns();
	}
	for (long i = 0; m->verify && m->kind == FC_OP_READ && i < m->w && !rc; i++)
		rc = fc_mismatch_check(&m->h.bad, l, slot(l, true, target_index(m, win, i)), m->size, read_seed(l, i), k, i);
	return rc;
}

/* The server moves no data itself: its NIC does, for the client. Counted
 * here so the coverage check sees the bytes on this side too. */
static void account_target(struct fc_lane *l, uint64_t ops)
{
	struct rma *m = l->bench;
	uint64_t bytes = ops * m->size;

	fc_lane_account(l, m->kind == FC_OP_READ ? bytes : 0, m->kind == FC_OP_READ ? 0 : bytes);
}

static int wait_writes(struct fc_lane *l, uint64_t n, long k)
{
	struct rma *m = l->bench;
	int rc = fc_lane_wait_events(l, m->events + n, "client's writes with data", k);

	if (!rc)
		m->events += n;
	return rc;
}

static int server_window(struct fc_lane *l, long k, uint64_t win)
{
	struct rma *m = l->bench;
	int rc;

	if (m->kind == FC_OP_WRITEDATA)
		rc = wait_writes(l, (uint64_t)m->w, k);
	else
		rc = fc_lane_wait(l, &m->end, "end of window", k);
	if (!rc && (rc = ctl_op(l, &m->ack, true)) == 0)
		rc = fc_lane_wait(l, &m->ack, "ack", k);
	if (rc)
		return rc;
	account_target(l, (uint64_t)m->w);
	for (long i = 0; m->verify && m->kind != FC_OP_READ && i < m->w && !rc; i++)
		rc = fc_mismatch_check(&m->h.bad, l, slot(l, true, target_index(m, win, i)), m->size, seed(l, win, i), k, i);
	return rc;
}

/* Latency: count single operations, each waited for, then one end message. */
static int latency_phase(struct fc_lane *l, long count)
{
	struct rma *m = l->bench;
	int rc = 0;

	if (m->client) {
		for (long i = 0; i < count && !rc; i++) {
			uint64_t t0 = fc_now_ns();
			if (!(rc = rma_op(l, &m->ops[0], LATENCY_WINDOW, 0)))
				rc = fc_lane_wait(l, &m->ops[0], "RMA completion", i);
			m->h.samples[i] = fc_now_ns() - t0;
		}
		if (!rc && !(rc = ctl_op(l, &m->ack, false)) && !(rc = ctl_op(l, &m->end, true)))
			rc = fc_lane_wait(l, &m->end, "end of latency phase", count);
		if (!rc)
			rc = fc_lane_wait(l, &m->ack, "server's ack", count);
		m->h.nsamples = rc ? 0 : (size_t)count;
		return rc;
	}
	if (m->kind == FC_OP_WRITEDATA && (rc = wait_writes(l, (uint64_t)count, count)))
		return rc;
	if ((rc = ctl_op(l, &m->end, false)) || (rc = fc_lane_wait(l, &m->end, "end of latency phase", count)))
		return rc;
	account_target(l, (uint64_t)count);
	if ((rc = ctl_op(l, &m->ack, true)) == 0)
		rc = fc_lane_wait(l, &m->ack, "ack", count);
	return rc;
}

static int rma_loop(struct fc_lane *l, void *arg)
{
	const struct fc_phase *ph = arg;
	struct rma *m = l->bench;
	int rc = 0;

	if (ph->timed) {
		l->t_start = fc_now_ns();
		m->busy_ns = 0; /* this phase's: the driver adds its slices up */
	}
	for (long k = 0; k < ph->count && !rc; k++) {
		uint64_t win = ph->iter0 + (uint64_t)k;
		if (m->client) {
			rc = client_window(l, k, win, ph->timed);
		} else {
			/* the end-of-window receive is posted before the client can send it */
			if (m->kind != FC_OP_WRITEDATA && (rc = ctl_op(l, &m->end, false)))
				break;
			rc = server_window(l, k, win);
		}
	}
	if (!rc && ph->timed) {
		m->h.msgs = (double)m->w * (double)ph->count;
		m->h.bytes = m->h.msgs * (double)m->size;
		m->h.busy_ns = m->busy_ns;
		rc = latency_phase(l, ph->count);
	}
	return rc;
}

static struct fc_lane_state *lane_begin(struct fc_run *r, struct fc_lane *l, size_t size)
{
	struct rma *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->size = size;
	m->w = fc_bw_window(&r->params, size);
	m->kind = op_kind(r->params.op);
	m->client = r->is_client;
	m->verify = r->params.verify;
	m->events = fc_lane_events(l);
	if (!(m->ops = calloc((size_t)m->w, sizeof(struct fc_op)))) {
		free(m);
		return NULL;
	}
	l->bench = m;
	/* reads fetch a known pattern from every target slot */
	for (long s = 0; !r->is_client && s < 2 * m->w; s++)
		if (fc_lane_fill(l, slot(l, true, s), size, read_seed(l, s % m->w))) {
			free(m->ops);
			free(m);
			l->bench = NULL;
			return NULL;
		}
	return &m->h;
}

static void lane_end(struct fc_lane *l)
{
	struct rma *m = l->bench;

	free(m->ops);
	free(m);
}

static void describe(const struct fc_run *r, const struct fc_lane *l, size_t size, struct fc_rec *rec)
{
	const struct fc_lane *info = l ? l : &r->lanes->lane[0];

	rec->window = FC_I(fc_bw_window(&r->params, size));
	rec->rma_op = r->params.op;
	if (info->info.rma_emulated >= 0)
		rec->rma_emulated = FC_B(info->info.rma_emulated == 1);
	rec->direction = op_kind(r->params.op) == FC_OP_READ ? "read" : "write";
}

/* The operation and window, and whether RMA is the device's or software's
 * (EFA). */
static void banner(struct fc_run *r)
{
	const struct fc_xport_info *i = &r->lanes->lane[0].info;
	char w[32];

	fc_out_banner(r->out, "RMA: %s, window %s", r->params.op,
		      r->params.window ? (snprintf(w, sizeof(w), "%ld", r->params.window), w) : "by size");
	if (i->rma_emulated == 1)
		fc_out_banner(r->out, "RMA on %s is EMULATED in software over sends, not device RDMA "
				      "(aws-ofi-nccl's RDMA protocol needs device RDMA write)", i->domain);
	else if (i->rma_emulated == 0)
		fc_out_banner(r->out, "RMA on %s uses device RDMA", i->domain);
}

const struct fc_run_spec fc_rma_spec = {
	.table = columns,
	.buffer_bytes = buffer_bytes,
	.rma = true,
	.window = fc_bw_window,
};

const struct fc_bench fc_bench_rma = {
	.test = "rma",
	.spec = &fc_rma_spec,
	.loop = rma_loop,
	.lane_begin = lane_begin,
	.lane_end = lane_end,
	.describe = describe,
	.banner = banner,
	.client_dir = "read from the server",
	.server_dir = "written by the client",
};
