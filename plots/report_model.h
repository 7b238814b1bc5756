/* Records grouped into series, and the rule that picks the comparison pair.
 *
 * A series is one configuration: records of one kind (pingpong, bw, rma,
 * mr, nccl) that agree on transport, provider, fabric, direction, streams,
 * buffer policy (`buffers`), memory on both sides and lane count (rma also
 * on rma_op; mr on mr_phase and mr_path; nccl on nccl_op, net, provider
 * and in_place). Records of one series at one size are repeats: the point
 * is their median. Different configurations are never pooled. */
#ifndef RP_MODEL_H
#define RP_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum rp_kind { RP_PINGPONG, RP_BW, RP_RMA, RP_MR, RP_NCCL, RP_NKINDS };

/* One record's numbers; NAN where it has none. For nccl, bw is busbw. */
struct rp_sample {
	double bw, p50, min, p99, max, mean, dereg, algbw;
	double preempt; /* the measuring threads' involuntary switches per second */
};

struct rp_point {
	int64_t size;
	struct rp_sample *v;
	size_t n, cap;
	struct rp_sample med; /* medians over repeats; min the least, max the most */
};

struct rp_series {
	int id; /* S1, S2, ... in order of first appearance */
	enum rp_kind kind;
	char *key, *label;
	json_t *rep; /* the first record (a reference) */
	bool socket; /* the non-EFA baseline: TCP sockets, or NCCL over a non-EFA network */
	bool efa;    /* provider efa, or NCCL over the AWS Libfabric (aws-ofi-nccl) network */
	struct rp_point *pts;
	size_t n, cap;
	size_t records, lane_records; /* lane_records: per-NIC records of a multi-lane run */
	json_t *host_pairs;           /* "client -> server" strings */
};

struct rp_model {
	struct rp_series *s;
	size_t n, cap;
	enum rp_kind bw_kind; /* RP_BW, or RP_PINGPONG when the input has no bw records */
	size_t coverage, cluster;
	json_t *ignored; /* "what" -> count, for records that no table or chart shows */
	json_t *index;   /* series key -> its index in s: one hash lookup a record */
	bool pool;       /* runs of one configuration pooled (--pool) */
};

/* origin: per record, its source index (NCCL runs that name no network are
 * kept apart by source); may be NULL. Returns 0, or -FC_EXIT_FABRIC when
 * memory ran out (said; free m all the same). */
int rp_model_build(struct rp_model *m, json_t *records, json_t *origin, bool pool);
void rp_model_free(struct rp_model *m);

const char *rp_kind_name(enum rp_kind k);
const struct rp_point *rp_at(const struct rp_series *s, int64_t size);
/* The smallest size above after (-1: the first) measured in any of the n
 * series (NULLs skipped); -1 when none is left. Walks sizes in order with
 * no list to allocate. */
int64_t rp_next_size(struct rp_series *const *s, size_t n, int64_t after);

/* Sizes measured in both series. */
size_t rp_shared(const struct rp_series *a, const struct rp_series *b);

struct rp_pair {
	struct rp_series *with, *without;
	bool by_user; /* --compare */
};

/* The comparison pair of kind k (RP_BW or RP_PINGPONG for fabcheck, RP_NCCL):
 * --compare's when both of its series are of that kind, else the default
 * rule (README "Which series are compared"). */
void rp_pick(const struct rp_model *m, enum rp_kind k, const struct rp_pair *user, struct rp_pair *out);

/* --compare A,B: series ids ("S3") or text unique to one label. Returns 0,
 * or -1 with why. */
int rp_parse_compare(const struct rp_model *m, const char *spec, struct rp_pair *out, char *why, size_t len);

#endif
