/* fabcheck-pairs --diag FILE: this node's fabcheck-diag JSON, summed up
 * for its join message, and the coordinator's checked reading of it. */
#ifndef FC_PAIRS_DIAG_H
#define FC_PAIRS_DIAG_H

#include <jansson.h>
#include <stddef.h>

/* {"fail": N, "failed": ["check: reason", ...]}; a missing or damaged
 * file is one failure that says so. */
json_t *fc_pairs_diag_summary(const char *path);

/* From a join's "diag" (NULL: none sent): the failed count and a printable
 * reason. -1: not a summary fabcheck-pairs sends. */
int fc_pairs_diag_take(const json_t *d, int *nfail, char *reason, size_t len);

#endif
