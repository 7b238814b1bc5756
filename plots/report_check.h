/* What the report accepts in a record beyond the schema (record.h): the
 * ranges it can draw and what a cluster record needs to be placed. Its own
 * module because every reader uses it (report_input.c for record files,
 * report_nccl.c for nccl-tests output) and neither owns it. */
#ifndef RP_REPORT_CHECK_H
#define RP_REPORT_CHECK_H

#include <jansson.h>
#include <stddef.h>

/* Largest file the report reads, and the size range a record may carry. */
#define RP_MAX_FILE (1LL << 30)
#define RP_MAX_SIZE (1LL << 40)
#define RP_MAX_GBPS 1e6 /* 1 PB/s: anything above is a broken record */
#define RP_MAX_US 1e12

/* Beyond fc_rec_validate: the ranges the report can draw (size 1..2^40,
 * rates and latencies finite and bounded) and what a cluster record needs.
 * Returns 0, or -1 with why. */
int rp_check_record(json_t *rec, char *why, size_t len);

#endif
