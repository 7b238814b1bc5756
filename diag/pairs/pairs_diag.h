/* fabcheck-pairs --diag FILE: this node's fabcheck-diag JSON, summed up
 * for its join message, and the coordinator's checked reading of it. */
#ifndef FC_PAIRS_DIAG_H
#define FC_PAIRS_DIAG_H

#include <jansson.h>
#include <stddef.h>

/* A JSON file (--diag, --thresholds) read as a small regular file: a FIFO
 * or a device is refused at once, never waited on. NULL with e set. */
json_t *fc_pairs_load_json_file(const char *path, size_t flags, json_error_t *e);

/* {"fail": N, "failed": ["check: reason", ...]}; a missing or damaged
 * file is one failure that says so. */
json_t *fc_pairs_diag_summary(const char *path);

/* From a join's "diag" (NULL: none sent): the failed count and a printable
 * reason. -FC_EXIT_USAGE: not a summary fabcheck-pairs sends. */
int fc_pairs_diag_take(const json_t *d, int *nfail, char *reason, size_t len);

#endif
