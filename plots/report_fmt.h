/* Formatting shared by the report's writers: sizes in binary units, ratios
 * that never round to "0.0x", Markdown cells and gnuplot strings that no
 * record can break out of, and a growing text buffer (no fixed caps). */
#ifndef RP_FMT_H
#define RP_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rp_buf {
	char *s;
	size_t n, cap;
	bool nomem; /* text was dropped for want of memory: the owner fails (rp_nomem) */
};

/* Says that the report ran out of memory while doing what, and returns
 * -FC_EXIT_FABRIC (exit 3: the report could not be made). */
int rp_nomem(const char *what);

void rp_buf_printf(struct rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_buf_free(struct rp_buf *b);
/* The text so far ("" when empty). */
const char *rp_buf_str(const struct rp_buf *b);

/* "8 B", "4 KiB", "2 GiB"; sizes that are no whole multiple stay in bytes
 * ("16385 B"), so switch-point sizes never share a label. */
const char *rp_size(int64_t bytes, char *buf, size_t len);

/* "18.7x", "0.8x", "0.049x": two significant digits below 1 so a slow
 * side never reads "0.0x"; "-" when the ratio is undefined. */
const char *rp_ratio(double r, char *buf, size_t len);

/* Bandwidth as the report shows it: GB/s (10^9 bytes/s), or Gbit/s with
 * --units gbit (as perftest --report_gbits and iperf3). Records carry GB/s
 * whatever the report shows; the choice is made once, before any writer. */
void rp_units_gbit(bool gbit);
double rp_bw(double gbps);
const char *rp_bw_unit(void);       /* "GB/s" or "Gbit/s" */
const char *rp_bw_unit_words(void); /* "GB/s, 1 GB/s = 10^9 bytes/s", or in bits */

/* A Markdown table cell or inline text: '|' escaped, no line breaks, no
 * HTML, no emphasis from underscores or asterisks in names. */
void rp_md(FILE *f, const char *s);

/* A gnuplot single-quoted string literal: inside '...' gnuplot processes no
 * escapes and no macros, and '' stands for one quote. */
void rp_gp_str(struct rp_buf *b, const char *s);

/* A double-quoted label in a gnuplot data file ('"' becomes '\''). */
void rp_dat_str(FILE *f, const char *s);

#endif
