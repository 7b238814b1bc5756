/* The per-size protocol shared by every benchmark: start, warmup, adaptive
 * iteration count, the timed phase, verification verdicts, records to both
 * sides. The session knows the order of the messages; this file knows what
 * the lanes do between them. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"
#include "timing.h"

#define MIN_ADAPTIVE_ITERS 10
#define MAX_ADAPTIVE_ITERS 1000000
/* Adaptive timed phases run in slices of an eighth, at least MIN_SLICE
 * iterations (a bandwidth pipeline drains between slices: fewer, longer
 * ones cost nothing measurable) but no more than a third, so there are
 * FC_MIN_REPEATS repeats to take a median of wherever there are that
 * many iterations (a large size's few long windows), and end once
 * FC_SIZE_TIME_BOUND times --size-time has passed, or when what is left
 * of it would fit fewer than MIN_TAIL_SLICE iterations (or than a slice,
 * where slices are smaller); never before MIN_ADAPTIVE_ITERS have run. */
#define SLICES 8
#define MIN_SLICE 64
#define MIN_TAIL_SLICE 16

int fc_mismatch_check(struct fc_mismatch *m, struct fc_lane *l, const void *buf, size_t len, uint64_t seed,
		      long iter, long msg)
{
	size_t off;
	int rc;

	if (m->seen)
		return 0;
	if ((rc = fc_lane_check(l, buf, len, seed, &off)))
		return rc;
	if (off != (size_t)-1)
		*m = (struct fc_mismatch){true, iter, msg, off};
	return 0;
}

uint64_t fc_window_msg_iter(uint64_t window, long w, long i, int lane)
{
	uint64_t n = ((window & ~FC_WARMUP_ITER) * (uint64_t)w + (uint64_t)i) << 8 | (uint64_t)(lane & 0xff);
	/* bit 62 (bit 63 once fc_pattern_seed shifts it) marks the warmup */
	return (n & ~FC_WARMUP_ITER) | (window & FC_WARMUP_ITER);
}

static long warmup_count(const struct fc_params *p)
{
	/* adaptive iterations need at least one iteration to size from */
	return p->iters == 0 && p->warmup == 0 ? 1 : p->warmup;
}

long fc_adaptive_iters(const struct fc_params *p, uint64_t per_iter_ns)
{
	double n = per_iter_ns > 0 ? p->size_time * 1e9 / (double)per_iter_ns : MAX_ADAPTIVE_ITERS;

	if (n < MIN_ADAPTIVE_ITERS)
		return MIN_ADAPTIVE_ITERS;
	return n > MAX_ADAPTIVE_ITERS ? MAX_ADAPTIVE_ITERS : (long)n;
}

long fc_next_slice(const struct fc_params *p, long iters, long done, uint64_t elapsed_ns)
{
	long left = iters - done, slice = (iters + SLICES - 1) / SLICES, n;
	double bound = FC_SIZE_TIME_BOUND * p->size_time * 1e9, per, fit;

	if (left <= 0)
		return 0;
	if (p->iters)
		return left; /* a count the user gave runs whole */
	if (slice < MIN_SLICE) {
		long third = (iters + FC_MIN_REPEATS - 1) / FC_MIN_REPEATS;
		slice = third < MIN_SLICE ? third : MIN_SLICE;
	}
	n = left < slice ? left : slice;
	/* the floor of adaptive counts runs whole, as before it was sliced:
	 * a size whose iterations each take over a tenth of --size-time (a
	 * large window) is measured on ten of them, not cut after a slice */
	if (done < MIN_ADAPTIVE_ITERS)
		return n;
	if ((double)elapsed_ns >= bound)
		return 0;
	per = (double)elapsed_ns / (double)done;
	fit = per > 0 ? (bound - (double)elapsed_ns) / per : (double)n;
	if (fit >= (double)n)
		return n;
	n = (long)fit;
	return n < MIN_TAIL_SLICE && n < slice ? 0 : n;
}

/* Warmup on every lane; the client sizes adaptive iterations from it, per
 * half: the first round trips may include connection setup (rxm and EFA
 * connect lazily), the second may hit a hiccup; the faster half counts. */
static int warmup(struct fc_run *r, const struct fc_bench *b, long warm, long *iters)
{
	struct fc_phase first = {.count = warm - (warm + 1) / 2, .iter0 = FC_WARMUP_ITER};
	struct fc_phase second = {.count = (warm + 1) / 2, .iter0 = FC_WARMUP_ITER + (uint64_t)first.count};
	struct fc_phase all = {.count = warm, .iter0 = FC_WARMUP_ITER};
	uint64_t t0, t1, per;
	int rc;

	if (!r->is_client)
		return fc_lanes_run(r->lanes, b->loop, &all);
	t0 = fc_now_ns();
	if ((rc = fc_lanes_run(r->lanes, b->loop, &first)))
		return rc;
	t1 = fc_now_ns();
	if ((rc = fc_lanes_run(r->lanes, b->loop, &second)))
		return rc;
	*iters = r->params.iters;
	if (!*iters) { /* adaptive: warm >= 1, so second.count >= 1 */
		per = (fc_now_ns() - t1) / (uint64_t)second.count;
		if (first.count > 0 && (t1 - t0) / (uint64_t)first.count < per)
			per = (t1 - t0) / (uint64_t)first.count;
		*iters = fc_adaptive_iters(&r->params, per);
	}
	return 0;
}

static int report_mismatch(struct fc_run *r, size_t size, const struct fc_mismatch *m, int lane, const char *dir)
{
	char b[32], msg[48] = "";

	if (m->msg >= 0)
		snprintf(msg, sizeof(msg), ", message %ld of the window", m->msg);
	return fc_session_fail(&r->s, FC_EXIT_VERIFY,
			       "data verification failed: size %s, iteration %ld%s, byte offset %zu, %s, lane %d (%s): "
			       "the fabric delivered wrong data",
			       fc_size_format(size, b, sizeof(b)), m->iter, msg, m->offset, dir, lane,
			       r->lanes->lane[lane].info.domain);
}

/* Each side's verdict reaches the other before any number is printed: the
 * server's first (its mismatch arrives as an ERROR), then the client's. */
static int verdicts(struct fc_run *r, const struct fc_bench *b, size_t size)
{
	const struct fc_mismatch *bad = NULL;
	int lane = 0, rc;

	for (int i = 0; i < r->lanes->n && !bad; i++) {
		struct fc_lane_state *st = r->lanes->lane[i].bench;
		if (st->bad.seen) {
			bad = &st->bad;
			lane = i;
		}
	}
	if (!r->is_client && bad)
		return report_mismatch(r, size, bad, lane, b->server_dir);
	if ((rc = fc_session_verdict(&r->s)))
		return rc;
	return bad ? report_mismatch(r, size, bad, lane, b->client_dir) : 0;
}

/* The client's records, printed here and sent; the server prints what it
 * receives (checked): both sides show the client's measurement. */
static int results(struct fc_run *r, const struct fc_bench *b, size_t size, long iters, long planned, long warm)
{
	json_t *recs = json_array(), *theirs = NULL, *rec;
	size_t i;
	int rc;

	if (r->is_client) {
		rc = fc_emit_size(r, b, size, iters, planned, warm, recs);
		if (!rc)
			rc = fc_session_records(&r->s, recs, NULL);
	} else if (!(rc = fc_session_records(&r->s, NULL, &theirs))) {
		json_array_foreach(theirs, i, rec)
			if (!rc)
				rc = fc_out_record_peer(r->out, rec);
		json_decref(theirs);
	}
	json_decref(recs);
	return rc;
}

/* What a lane's slices measured, added up. */
struct slice_sum {
	size_t nsamples;
	double bytes, msgs;
	uint64_t busy_ns, t_start;
};

/* One slice of the timed phase on every lane. The loops fill samples
 * [0, count) and set their totals for their phase: the slice gets the next
 * part of the samples, its totals are added to the sums (the span starts
 * at the first slice). */
static int run_slice(struct fc_run *r, const struct fc_bench *b, long done, long n, struct slice_sum *sum)
{
	struct fc_lanes *set = r->lanes;
	struct fc_phase ph = {.count = n, .iter0 = (uint64_t)done, .timed = true};
	int rc;

	for (int i = 0; i < set->n; i++)
		((struct fc_lane_state *)set->lane[i].bench)->samples += done;
	rc = fc_lanes_run(set, b->loop, &ph);
	for (int i = 0; i < set->n; i++) {
		struct fc_lane_state *st = set->lane[i].bench;
		st->samples -= done;
		if (done == 0)
			sum[i].t_start = set->lane[i].t_start;
		sum[i].nsamples += st->nsamples;
		/* each slice's own rate is a repeat (the loops leave these be) */
		if (st->busy_ns && st->nrepeats < FC_MAX_REPEATS)
			st->repeat_gbps[st->nrepeats++] = st->bytes / (double)st->busy_ns;
		sum[i].bytes += st->bytes;
		sum[i].msgs += st->msgs;
		sum[i].busy_ns += st->busy_ns;
	}
	return rc;
}

/* The timed phase. The client tells the most iterations and the first
 * slice; between slices it says how many more (fc_next_slice), so an
 * adaptive size that slowed after its warmup ends at twice --size-time
 * rather than running on for minutes. *iters becomes the count that ran,
 * *planned the count asked for when fewer ran (else 0). */
static int timed(struct fc_run *r, const struct fc_bench *b, long *iters, long *planned)
{
	struct fc_lanes *set = r->lanes;
	struct slice_sum *sum = calloc((size_t)set->n, sizeof(*sum));
	long slice = r->is_client ? fc_next_slice(&r->params, *iters, 0, 0) : 0, done = 0;
	uint64_t t0;
	int rc;

	if (!sum)
		return fc_session_fail(&r->s, FC_EXIT_FABRIC, "out of memory for %d lanes", set->n);
	rc = fc_session_iters(&r->s, iters, &slice);
	for (int i = 0; !rc && i < set->n; i++) {
		struct fc_lane_state *st = set->lane[i].bench;
		/* counters of the whole run: the phase's share is what they gain */
		st->preempted = set->lane[i].preempted;
		st->worked_ns = set->lane[i].worked_ns;
		if (!(st->samples = calloc((size_t)*iters, sizeof(uint64_t))))
			rc = fc_session_fail(&r->s, FC_EXIT_FABRIC, "cannot allocate %ld samples", *iters);
	}
	t0 = fc_now_ns();
	while (!rc && slice > 0) {
		if ((rc = run_slice(r, b, done, slice, sum)))
			break;
		done += slice;
		if (done == *iters)
			break;
		if (r->is_client)
			slice = fc_next_slice(&r->params, *iters, done, fc_now_ns() - t0);
		rc = fc_session_more(&r->s, *iters - done, &slice);
	}
	for (int i = 0; !rc && i < set->n; i++) {
		struct fc_lane *l = &set->lane[i];
		struct fc_lane_state *st = l->bench;
		st->nsamples = sum[i].nsamples;
		st->bytes = sum[i].bytes;
		st->msgs = sum[i].msgs;
		st->busy_ns = sum[i].busy_ns;
		l->t_start = sum[i].t_start;
		st->preempted = l->preempted - st->preempted;
		st->worked_ns = l->worked_ns - st->worked_ns;
	}
	free(sum);
	if (!rc && done < *iters) {
		*planned = *iters;
		*iters = done;
		r->sizes_cut++;
	}
	return rc;
}

static int one_size(struct fc_run *r, const struct fc_bench *b, size_t idx, size_t size)
{
	struct fc_lanes *set = r->lanes;
	long warm = warmup_count(&r->params), iters = 0, planned = 0;
	char sb[32];
	int rc = 0;

	for (int i = 0; i < set->n && !rc; i++) {
		set->lane[i].size = size;
		if (!(set->lane[i].bench = b->lane_begin(r, &set->lane[i], size)))
			rc = fc_session_fail(&r->s, FC_EXIT_FABRIC, "out of memory for size %zu", size);
	}
	if (!rc && r->is_client) {
		fc_progress("size %s (%zu of %zu)", fc_size_format(size, sb, sizeof(sb)), idx + 1, r->s.sizes.n);
		rc = fc_session_begin(&r->s, idx);
	} else if (!rc) {
		rc = fc_session_ready(&r->s);
	}
	if (!rc)
		rc = warmup(r, b, warm, &iters);
	if (!rc)
		rc = timed(r, b, &iters, &planned);
	if (!rc)
		rc = verdicts(r, b, size);
	if (!rc)
		rc = results(r, b, size, iters, planned, warm);
	/* after a failure operations may still be posted, their contexts in
	 * the state freed below: cancel and drain them first */
	if (rc)
		fc_lanes_disconnect(set); /* fc_run_finish taints lanes kept for the next peer */
	for (int i = 0; i < set->n; i++) {
		struct fc_lane_state *st = set->lane[i].bench;
		if (!st || set->lane[i].stuck)
			continue; /* the provider still holds operations in it */
		free(st->samples);
		b->lane_end(&set->lane[i]);
		set->lane[i].bench = NULL;
	}
	return rc;
}

int fc_bench_run(struct fc_run *r, const struct fc_bench *b)
{
	char dd[96];
	size_t size;
	int rc = 0;

	fc_run_banner(r, b->banner);
	if (r->is_client) {
		for (size_t i = 0; i < r->s.sizes.n && !rc; i++) {
			if (fc_now_ns() >= r->deadline)
				rc = fc_session_fail(&r->s, FC_EXIT_PEER,
						     "the %s passed after %zu of %zu sizes: raise %s or give fewer sizes or "
						     "iterations",
						     fc_lanes_deadline_desc(r->lanes, dd, sizeof(dd)), i, r->s.sizes.n,
						     r->lanes->deadline_option ? r->lanes->deadline_option : "-t");
			else
				rc = one_size(r, b, i, r->s.sizes.v[i]);
		}
		if (!rc)
			rc = fc_session_end(&r->s);
		fc_progress_done();
		return rc;
	}
	for (size_t i = 0; !rc; i++) {
		rc = fc_session_next(&r->s, &size);
		if (rc == 1)
			return 0; /* the client is done */
		if (!rc)
			rc = one_size(r, b, i, size);
	}
	return rc;
}
