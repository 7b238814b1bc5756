#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pairs_hostlist.h"

struct out {
	char *buf;
	size_t len, used;
	int names;
};

static int put_name(struct out *o, const char *name, size_t n)
{
	if (!n || ++o->names > FC_HOSTLIST_MAX || o->used + (o->used ? 1 : 0) + n >= o->len)
		return -1;
	if (o->used)
		o->buf[o->used++] = ',';
	memcpy(o->buf + o->used, name, n);
	o->used += n;
	o->buf[o->used] = '\0';
	return 0;
}

/* A number of a range, with the width it was written in (leading zeros
 * pad every number of the range to that width, as Slurm does). */
static int range_number(const char **p, unsigned long *v, int *width)
{
	const char *s = *p;
	char *end;
	size_t digits = strspn(s, "0123456789");

	if (!digits || digits > 9)
		return -1;
	*v = strtoul(s, &end, 10);
	*width = s[0] == '0' && digits > 1 ? (int)digits : 0;
	*p = end;
	return 0;
}

/* name[0..n) is what is written so far; term is the rest of one list
 * entry, which may hold more bracket groups (each multiplies). */
static int expand_term(struct out *o, char *name, size_t n, size_t cap, const char *term, const char *end)
{
	const char *open = memchr(term, '[', (size_t)(end - term)), *close, *p;

	if (!open) {
		if (memchr(term, ']', (size_t)(end - term)) || n + (size_t)(end - term) >= cap)
			return -1;
		memcpy(name + n, term, (size_t)(end - term));
		return put_name(o, name, n + (size_t)(end - term));
	}
	close = memchr(open, ']', (size_t)(end - open));
	if (!close || close == open + 1 || memchr(term, ']', (size_t)(open - term)) || n + (size_t)(open - term) >= cap)
		return -1;
	memcpy(name + n, term, (size_t)(open - term));
	n += (size_t)(open - term);
	for (p = open + 1; p < close;) {
		unsigned long lo, hi;
		int width, w2;

		if (range_number(&p, &lo, &width))
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (range_number(&p, &hi, &w2) || hi < lo)
				return -1;
		}
		if (p < close && *p++ != ',')
			return -1;
		if (p == close && p[-1] == ',')
			return -1;
		if (hi - lo >= FC_HOSTLIST_MAX)
			return -1;
		for (unsigned long v = lo; v <= hi; v++) {
			int k = snprintf(name + n, cap - n, "%0*lu", width, v);
			if (k < 0 || (size_t)k >= cap - n || expand_term(o, name, n + (size_t)k, cap, close + 1, end))
				return -1;
		}
	}
	return 0;
}

static int expand_list(struct out *o, const char *list)
{
	char name[256];

	for (const char *p = list; *p;) {
		/* an entry ends at a comma outside brackets */
		const char *e = p;
		int depth = 0;
		while (*e && (depth || *e != ',')) {
			if (*e == '[' && depth++)
				return -1; /* brackets do not nest */
			if (*e == ']' && --depth < 0)
				return -1;
			e++;
		}
		if (depth || e == p || expand_term(o, name, 0, sizeof(name), p, e))
			return -1;
		p = *e ? e + 1 : e;
		if (*e && !*p)
			return -1; /* a trailing comma */
	}
	return 0;
}

int fc_hostlist_expand(const char *list, char *out, size_t len)
{
	struct out o = {.buf = out, .len = len};

	if (!len)
		return -1;
	*out = '\0';
	if (!list || !*list || expand_list(&o, list)) {
		*out = '\0'; /* nothing half-expanded */
		return -1;
	}
	return 0;
}
