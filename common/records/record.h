/* Result records: one schema for every program and both transports (README
 * "Record schema"). The schema is the one field table below: it gives the
 * C struct programs fill (a misspelt field does not compile), the JSON key
 * and CSV column order, and the validation of records that arrive from a
 * peer or a file (types, ranges, bounded strings without control
 * characters). A record is a JSON object with every schema field, in
 * schema order, null where a field does not apply. */
#ifndef FC_RECORD_H
#define FC_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_SCHEMA_VERSION 2
#define FC_SCHEMA_OLDEST 1 /* readers take schema 1 records (fields added since are null) */
#define FC_VERSION "0.2.0"

/* Field types: STR string, INT integer >= 0, SINT any integer (counter
 * deltas), REAL finite number >= 0, BOOL, LANE integer >= 0 or "all". */
#define FC_RECORD_FIELDS(X) \
	X(schema, INT) X(tool, STR) X(fabcheck_version, STR) X(test, STR) \
	X(transport, STR) X(provider, STR) X(fabric, STR) X(domain, STR) \
	X(libfabric, STR) X(fi_api, STR) X(memory, STR) X(memory_why, STR) X(peer_memory, STR) \
	X(local_host, STR) X(peer_host, STR) X(local_addr, STR) X(peer_addr, STR) \
	X(rank, INT) X(peer_rank, INT) X(round, INT) \
	X(completion, STR) X(timestamp, STR) X(lane, LANE) X(lanes, INT) \
	X(size, INT) X(iters, INT) X(iters_planned, INT) X(warmup, INT) X(direction, STR) X(window, INT) \
	X(streams, INT) X(buffers, STR) X(rma_op, STR) X(rma_emulated, BOOL) X(protocol, STR) \
	X(lat_us_min, REAL) X(lat_us_p50, REAL) X(lat_us_p99, REAL) X(lat_us_max, REAL) \
	X(lat_us_mean, REAL) X(bw_gbps, REAL) X(repeats, INT) X(bw_gbps_repeat_p50, REAL) X(msg_rate, REAL) X(preempt_per_s, REAL) X(verified, BOOL) \
	X(sock_sndbuf, INT) X(sock_rcvbuf, INT) X(sent_bytes, INT) X(recv_bytes, INT) \
	X(nic_tx_bytes, SINT) X(nic_rx_bytes, SINT) X(nic_retrans, SINT) \
	X(nic_timeouts, SINT) X(nic_unresponsive, SINT) X(nic_impaired, SINT) \
	X(nic_drops, SINT) X(nic_tx_pkts, SINT) X(coverage, STR) X(link_state, STR) X(gpu_path, STR) \
	X(mr_phase, STR) X(mr_path, STR) X(dereg_us_p50, REAL) \
	X(nccl_op, STR) X(algbw_gbps, REAL) X(busbw_gbps, REAL) X(in_place, BOOL) \
	X(wrong, INT) X(net, STR) \
	X(duration_s, REAL) X(scope, STR) X(verdict, STR) X(reason, STR) X(action, STR) \
	X(run, STR) X(label, STR)

/* A run's id for its records' "run": start time (UTC), host, process
 * ("20261207T004501Z-node-a-4242"), so runs of one configuration stay
 * apart in a report. */
void fc_run_id(char *out, size_t len, const char *host);

/* Optional values: .set false is JSON null. */
typedef struct { bool set; int64_t v; } fc_int_t;
typedef struct { bool set; double v; } fc_real_t;
typedef struct { bool set; bool v; } fc_bool_t;
typedef struct { bool set, all; int64_t v; } fc_lane_t;
typedef const char *fc_str_t; /* NULL is null */

#define FC_I(x) ((fc_int_t){true, (int64_t)(x)})
#define FC_R(x) ((fc_real_t){true, (double)(x)})
#define FC_B(x) ((fc_bool_t){true, (x)})
#define FC_LANE(x) ((fc_lane_t){true, false, (int64_t)(x)})
#define FC_LANE_ALL ((fc_lane_t){true, true, 0})

#define FC_REC_T_STR fc_str_t
#define FC_REC_T_INT fc_int_t
#define FC_REC_T_SINT fc_int_t
#define FC_REC_T_REAL fc_real_t
#define FC_REC_T_BOOL fc_bool_t
#define FC_REC_T_LANE fc_lane_t

struct fc_rec {
#define FC_REC_MEMBER(name, type) FC_REC_T_##type name;
	FC_RECORD_FIELDS(FC_REC_MEMBER)
#undef FC_REC_MEMBER
};

/* Schema fields in order: the CSV header and the JSON key order. */
extern const char *const fc_schema_fields[];
extern const size_t fc_schema_nfields;

/* Longest string value a valid record carries (reason and addresses are
 * the longest real ones). */
#define FC_REC_MAX_STR 1024

/* The record as JSON: every field, in schema order. */
json_t *fc_rec_json(const struct fc_rec *r);

/* Checks a record from outside (a peer's RESULT, a file): a JSON object
 * whose keys are all schema fields, each value of its field's type and
 * range, with schema in [FC_SCHEMA_OLDEST, FC_SCHEMA_VERSION] and a test.
 * Strings are cut to FC_REC_MAX_STR and control characters in them are
 * replaced by '?' (in place). Returns 0, or -1 with why naming the field. */
int fc_rec_validate(json_t *rec, char *why, size_t len);

/* A validated record of an older schema, completed: every field, in
 * order, null where the older schema had none. Steals rec. */
json_t *fc_rec_complete(json_t *rec);

/* The typed record back from JSON: the one way programs read a record's
 * fields (the coordinator from its agents' reports, the report from its
 * files), so a field's name and type are spelt once, in FC_RECORD_FIELDS.
 * Each schema field of j with its field's type is set; a field that is
 * absent, null or of another type is left unset (.set false, .v 0, NULL).
 * Strings point into j: they live as long as j does. Returns 0, or -1 when
 * j is not an object or some field had another type (give records that
 * passed fc_rec_validate to get 0). */
int fc_rec_from_json(struct fc_rec *r, const json_t *j);

/* Optional values with a stated default: what the readers use instead of
 * testing .set (NAN for "not measured", "" for "not stated"). */
static inline double fc_real_or(fc_real_t x, double none) { return x.set ? x.v : none; }
static inline int64_t fc_int_or(fc_int_t x, int64_t none) { return x.set ? x.v : none; }
static inline const char *fc_str_or(fc_str_t s, const char *none) { return s ? s : none; }

/* key's string value in any JSON object (records, verdict.json, nccl-tests
 * JSON), "" where o is no object, or key is absent or not a string. */
const char *fc_json_str(const json_t *o, const char *key);

struct fc_stats;
/* lat_us_* from per-iteration stats in nanoseconds. */
void fc_rec_set_latency(struct fc_rec *r, const struct fc_stats *ns);

/* ISO 8601 UTC with milliseconds, e.g. 2026-11-25T11:37:08.123Z */
void fc_timestamp(char *buf, size_t len);

#endif
