/* Result records: one schema for every program and both transports (README
 * "Record schema"). A record is a JSON object whose keys are the schema
 * fields, in schema order, null where a field does not apply. */
#ifndef FC_RECORD_H
#define FC_RECORD_H

#include <jansson.h>
#include <stddef.h>

#define FC_SCHEMA_VERSION 1
#define FC_VERSION "0.1.0"

/* Schema fields in order: the CSV header and the JSON key order. */
extern const char *const fc_schema_fields[];
extern const size_t fc_schema_nfields;

struct fc_stats;

/* Returns a new object with every schema field, in order, taking values
 * from rec (unknown keys in rec are a programming error and are dropped
 * with a warning). Steals rec. */
json_t *fc_record_normalize(json_t *rec);

/* Sets lat_us_* from per-iteration stats in nanoseconds. */
void fc_record_set_latency(json_t *rec, const struct fc_stats *ns);

/* ISO 8601 UTC with milliseconds, e.g. 2026-11-25T11:37:08.123Z */
void fc_timestamp(char *buf, size_t len);

#endif
