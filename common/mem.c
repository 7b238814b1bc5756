#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "pattern.h"

int fc_mem_parse(const char *s, struct fc_mem *m)
{
	char *end;
	long dev = 0;

	if (!strcmp(s, "host")) {
		*m = (struct fc_mem){&fc_mem_host, 0};
		return 0;
	}
	if (!strncmp(s, "cuda", 4) && (s[4] == '\0' || s[4] == ':')) {
		if (s[4] == ':') {
			dev = strtol(s + 5, &end, 10);
			if (end == s + 5 || *end || dev < 0 || dev > 1023)
				goto bad;
		}
		*m = (struct fc_mem){&fc_mem_cuda, (int)dev};
		return 0;
	}
bad:
	fc_err("invalid memory '%s': expected host, cuda or cuda:N", s);
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
	if (fc_mem_is_device(m))
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
