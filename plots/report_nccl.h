/* nccl-tests output as fabcheck records: every result row gives two
 * records of test "nccl" (out-of-place and in-place) with nccl_op, size,
 * lat_us_mean (nccl-tests' time), algbw_gbps, busbw_gbps, in_place, wrong,
 * and net/provider/hosts from the run's banner. The banner lines (NCCL
 * version, the net plugin, the network NCCL chose) are kept as provenance.
 * A row that does not parse is an error naming file:line (or, in JSON,
 * the results index); returns 0 or -FC_EXIT_USAGE. */
#ifndef RP_NCCL_H
#define RP_NCCL_H

#include <jansson.h>
#include <stddef.h>

/* The text table that nccl-tests prints (any version since 2.x: with or
 * without the root column, "#wrong", "error" or "res", per-iteration and
 * timestamp columns; mpirun --tag-output prefixes are stripped). */
int rp_nccl_text(const char *name, const char *buf, size_t len, json_t *records, json_t *banner);

/* nccl-tests' JSON output file (-J / --output_file, JSON file version 2). */
int rp_nccl_json(const char *name, json_t *doc, json_t *records, json_t *banner);

#endif
