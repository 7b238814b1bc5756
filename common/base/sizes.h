/* Message sizes: human suffixes in and out, and size-list specifications.
 * K, M and G are binary (KiB semantics: 1K = 1024 bytes), as in fi_pingpong
 * and nccl-tests; "KiB"/"MiB"/"GiB" and lower case are accepted too. */
#ifndef FC_SIZES_H
#define FC_SIZES_H

#include <stddef.h>
#include <stdint.h>

#define FC_SIZE_MAX_MSG (1ull << 30) /* largest message a benchmark accepts */
#define FC_SIZES_ALL_MAX (8ull << 20) /* "all" sweeps powers of two 1 B .. 8 MiB */

/* Parses one size ("4096", "4K", "1MiB"). 0 or -FC_EXIT_USAGE. */
int fc_size_parse(const char *s, uint64_t *out);

/* Formats bytes the short way: 8, 1K, 1.5K, 64K, 1M, 2G. Returns buf. */
const char *fc_size_format(uint64_t bytes, char *buf, size_t len);

struct fc_sizes {
	size_t *v;
	size_t n;
};

/* Expands a specification: comma list of sizes, ranges "8:1M" (powers of two
 * from the first to the last), and "all" (powers of two 1 B to 8 MiB plus the
 * sizes either side of each protocol switch point in switch_pts). The result
 * is sorted and without duplicates. On error prints the offending item and
 * returns -FC_EXIT_USAGE. */
int fc_sizes_expand(const char *spec, const size_t *switch_pts, size_t nswitch,
		    struct fc_sizes *out);
/* Same, with another largest size than FC_SIZE_MAX_MSG (fabcheck-mr: 4G). */
int fc_sizes_expand_max(const char *spec, const size_t *switch_pts, size_t nswitch, uint64_t max,
			struct fc_sizes *out);
void fc_sizes_free(struct fc_sizes *s);
size_t fc_sizes_max(const struct fc_sizes *s);

#endif
