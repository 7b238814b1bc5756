/* Verification patterns: a different byte stream for every (size, iteration,
 * direction), so a stale or misplaced buffer cannot pass for a fresh one. */
#ifndef FC_PATTERN_H
#define FC_PATTERN_H

#include <stddef.h>
#include <stdint.h>

uint64_t fc_pattern_seed(size_t size, uint64_t iter, int direction);
void fc_pattern_fill(void *buf, size_t len, uint64_t seed);
/* Returns the offset of the first byte that differs, or (size_t)-1. */
size_t fc_pattern_check(const void *buf, size_t len, uint64_t seed);

#endif
