#include "sizes.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "log.h"

int fc_size_parse(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1ull << 10; break;
		case 'M': mult = 1ull << 20; break;
		case 'G': mult = 1ull << 30; break;
		default: goto bad;
		}
		end++;
		/* 1MB would read as a decimal megabyte to most people: said, not
		 * taken as 1 MiB behind their back */
		if (strcasecmp(end, "B") == 0) {
			fc_err("invalid size '%s': K, M and G are binary here (1M = 1 MiB = 1048576 bytes): write %llu%c "
			       "or %llu%ciB, or the bytes for a decimal size",
			       s, v, toupper((unsigned char)end[-1]), v, toupper((unsigned char)end[-1]));
			return -FC_EXIT_USAGE;
		}
		if (strcasecmp(end, "iB") == 0)
			end += strlen(end);
		if (*end)
			goto bad;
	}
	if (v > UINT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	fc_err("invalid size '%s': expected a number with an optional K, M or G suffix (binary: 1K = 1024)",
	       s ? s : "");
	return -FC_EXIT_USAGE;
}

const char *fc_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char unit[] = "KMG";
	int u = -1;
	uint64_t div = 1;

	while (u < 2 && bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	/* whole units as K/M/G; anything else exactly, so the sizes beside a
	 * switch point (-S all: 16383, 16384, 16385) stay three rows */
	if (u >= 0 && bytes % div == 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)(bytes / div), unit[u]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

static int push(struct fc_sizes *s, size_t *cap, size_t v)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		size_t *nv = realloc(s->v, ncap * sizeof(*nv));
		if (!nv)
			return -FC_EXIT_FABRIC;
		s->v = nv;
		*cap = ncap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int check_bounds(const char *item, uint64_t v, uint64_t max)
{
	char lim[32];

	if (v == 0 || v > max) {
		fc_err("invalid size '%s': sizes must be between 1 and %s bytes", item,
		       fc_size_format(max, lim, sizeof(lim)));
		return -FC_EXIT_USAGE;
	}
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int expand_item(char *item, const size_t *sw, size_t nsw, uint64_t max, struct fc_sizes *out,
		       size_t *cap)
{
	char *colon = strchr(item, ':');
	uint64_t lo, hi;
	int rc;

	if (strcasecmp(item, "all") == 0) {
		for (uint64_t v = 1; v <= FC_SIZES_ALL_MAX; v *= 2)
			if ((rc = push(out, cap, v)))
				return rc;
		for (size_t i = 0; i < nsw; i++) {
			if (sw[i] == 0 || sw[i] >= FC_SIZES_ALL_MAX)
				continue;
			if ((rc = push(out, cap, sw[i])) || (rc = push(out, cap, sw[i] + 1)))
				return rc;
		}
		return 0;
	}
	if (!colon) {
		if ((rc = fc_size_parse(item, &lo)) || (rc = check_bounds(item, lo, max)))
			return rc;
		return push(out, cap, lo);
	}
	*colon = '\0';
	rc = fc_size_parse(item, &lo);
	if (!rc)
		rc = fc_size_parse(colon + 1, &hi);
	*colon = ':';
	if (rc)
		return rc;
	if ((rc = check_bounds(item, lo, max)) || (rc = check_bounds(item, hi, max)))
		return rc;
	if (lo > hi) {
		fc_err("invalid size range '%s': the first size is larger than the last", item);
		return -FC_EXIT_USAGE;
	}
	for (uint64_t v = lo; v <= hi; v *= 2)
		if ((rc = push(out, cap, v)))
			return rc;
	return 0;
}

int fc_sizes_expand(const char *spec, const size_t *sw, size_t nsw, struct fc_sizes *out)
{
	return fc_sizes_expand_max(spec, sw, nsw, FC_SIZE_MAX_MSG, out);
}

int fc_sizes_expand_max(const char *spec, const size_t *sw, size_t nsw, uint64_t max, struct fc_sizes *out)
{
	char *copy, *save = NULL, *item;
	size_t cap = 0, w = 0;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (!spec || !*spec) {
		fc_err("invalid size list '': give sizes like 8,1K or a range 8:1M or all");
		return -FC_EXIT_USAGE;
	}
	copy = strdup(spec);
	if (!copy)
		return -FC_EXIT_FABRIC;
	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save))
		rc = expand_item(item, sw, nsw, max, out, &cap);
	free(copy);
	if (!rc && out->n == 0) {
		fc_err("invalid size list '%s': it names no size", spec);
		rc = -FC_EXIT_USAGE;
	}
	if (rc) {
		fc_sizes_free(out);
		return rc;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_size);
	for (size_t i = 0; i < out->n; i++)
		if (w == 0 || out->v[w - 1] != out->v[i])
			out->v[w++] = out->v[i];
	out->n = w;
	return 0;
}

void fc_sizes_free(struct fc_sizes *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

size_t fc_sizes_max(const struct fc_sizes *s)
{
	return s->n ? s->v[s->n - 1] : 0;
}
