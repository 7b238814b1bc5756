#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "pattern.h"

/* The one place backends are listed: -D, help and errors read it. */
const struct fc_mem_ops *const fc_mem_backends[] = {
	&fc_mem_host,
	&fc_mem_cuda,
	NULL,
};

static bool takes_device(const struct fc_mem_ops *ops)
{
	return ops->from_host != NULL;
}

const char *fc_mem_choices(char *buf, size_t len)
{
	size_t n = 0, used = 0;

	for (const struct fc_mem_ops *const *b = fc_mem_backends; *b; b++)
		n += 1 + takes_device(*b);
	n++; /* auto */
	buf[0] = '\0';
	for (const struct fc_mem_ops *const *b = fc_mem_backends; *b; b++) {
		for (int dev = 0; dev <= takes_device(*b); dev++) {
			/* "a, b or c": a comma between, "or" before the last */
			const char *sep = used == 0 ? "" : used + 1 == n ? " or " : ", ";
			size_t at = strlen(buf);
			snprintf(buf + at, len - at, "%s%s%s", sep, (*b)->name, dev ? ":N" : "");
			used++;
		}
	}
	snprintf(buf + strlen(buf), len - strlen(buf), " or auto");
	return buf;
}

int fc_mem_parse(const char *s, struct fc_mem *m)
{
	char choices[128];

	if (!strcmp(s, "auto")) {
		*m = (struct fc_mem){.pick = true};
		return 0;
	}
	for (const struct fc_mem_ops *const *b = fc_mem_backends; *b; b++) {
		size_t n = strlen((*b)->name);
		char *end;
		long dev = 0;

		if (strncmp(s, (*b)->name, n) || (s[n] != '\0' && (s[n] != ':' || !takes_device(*b))))
			continue;
		if (s[n] == ':') {
			dev = strtol(s + n + 1, &end, 10);
			if (end == s + n + 1 || *end || dev < 0 || dev > 1023)
				break;
		}
		*m = (struct fc_mem){.ops = *b, .device = (int)dev};
		return 0;
	}
	fc_err("invalid memory '%s': expected %s", s, fc_mem_choices(choices, sizeof(choices)));
	return -FC_EXIT_USAGE;
}

const struct fc_mem_ops *fc_mem_ops_of(const struct fc_mem *m)
{
	return m->ops ? m->ops : &fc_mem_host;
}

bool fc_mem_is_device(const struct fc_mem *m)
{
	return fc_mem_ops_of(m)->from_host != NULL;
}

const char *fc_mem_name(const struct fc_mem *m, char *buf, size_t len)
{
	if (m->pick && !m->ops)
		snprintf(buf, len, "auto");
	else if (fc_mem_is_device(m))
		snprintf(buf, len, "%s:%d", fc_mem_ops_of(m)->name, m->device);
	else
		snprintf(buf, len, "%s", fc_mem_ops_of(m)->name);
	return buf;
}

int fc_mem_use(const struct fc_mem *m)
{
	return fc_mem_ops_of(m)->use(m->device);
}

void *fc_mem_alloc(const struct fc_mem *m, size_t len)
{
	return fc_mem_ops_of(m)->alloc(len);
}

void fc_mem_free(const struct fc_mem *m, void *p, size_t len)
{
	if (p)
		fc_mem_ops_of(m)->free(p, len);
}

int fc_mem_fill(const struct fc_mem *m, void *dst, size_t len, uint64_t seed, void *scratch)
{
	const struct fc_mem_ops *ops = fc_mem_ops_of(m);

	if (!ops->from_host) {
		fc_pattern_fill(dst, len, seed);
		return 0;
	}
	fc_pattern_fill(scratch, len, seed);
	return ops->from_host(dst, scratch, len);
}

int fc_mem_check(const struct fc_mem *m, const void *src, size_t len, uint64_t seed, void *scratch,
		 size_t *offset)
{
	const struct fc_mem_ops *ops = fc_mem_ops_of(m);
	int rc;

	if (!ops->to_host) {
		*offset = fc_pattern_check(src, len, seed);
		return 0;
	}
	if ((rc = ops->to_host(scratch, src, len)))
		return rc;
	*offset = fc_pattern_check(scratch, len, seed);
	return 0;
}
