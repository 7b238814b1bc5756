#include "report_fmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"

int rp_nomem(const char *what)
{
	fc_err("out of memory %s: free memory on this machine, or give the report fewer input files", what);
	return -FC_EXIT_FABRIC;
}

void rp_buf_printf(struct rp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->nomem)
		return; /* never text after a hole */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->n + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *s;
		while (cap < b->n + (size_t)n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			/* no abort: the text stays as it was, and whoever owns
			 * the buffer fails the report with a message */
			b->nomem = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void rp_buf_free(struct rp_buf *b)
{
	free(b->s);
	*b = (struct rp_buf){0};
}

const char *rp_buf_str(const struct rp_buf *b)
{
	return b->s ? b->s : "";
}

const char *rp_size(int64_t bytes, char *buf, size_t len)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024 && u < 4 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%lld %s", (long long)bytes, unit[u]);
	return buf;
}

const char *rp_ratio(double r, char *buf, size_t len)
{
	if (!isfinite(r) || r < 0)
		snprintf(buf, len, "-");
	else if (r >= 0.95)
		snprintf(buf, len, "%.1fx", r);
	else
		snprintf(buf, len, "%.2gx", r);
	return buf;
}

void rp_md(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("|\\`*<>[]", *s))
			fputc('\\', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

void rp_gp_str(struct rp_buf *b, const char *s)
{
	rp_buf_printf(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			rp_buf_printf(b, "''");
		else if (*s == '\n' || *s == '\r')
			rp_buf_printf(b, " ");
		else
			rp_buf_printf(b, "%c", *s);
	}
	rp_buf_printf(b, "'");
}

void rp_dat_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
	fputc('"', f);
}

static bool units_gbit;

void rp_units_gbit(bool gbit)
{
	units_gbit = gbit;
}

double rp_bw(double gbps)
{
	return units_gbit ? 8 * gbps : gbps;
}

const char *rp_bw_unit(void)
{
	return units_gbit ? "Gbit/s" : "GB/s";
}

const char *rp_bw_unit_words(void)
{
	return units_gbit ? "Gbit/s, 1 Gbit/s = 10^9 bits/s" : "GB/s, 1 GB/s = 10^9 bytes/s";
}
