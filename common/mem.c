#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cuda.h"
#include "errors.h"
#include "log.h"
#include "pattern.h"

int fc_mem_parse(const char *s, struct fc_mem *m)
{
	char *end;
	long dev = 0;

	if (!strcmp(s, "host")) {
		*m = (struct fc_mem){FC_MEM_HOST, 0};
		return 0;
	}
	if (!strncmp(s, "cuda", 4) && (s[4] == '\0' || s[4] == ':')) {
		if (s[4] == ':') {
			dev = strtol(s + 5, &end, 10);
			if (end == s + 5 || *end || dev < 0 || dev > 1023)
				goto bad;
		}
		*m = (struct fc_mem){FC_MEM_CUDA, (int)dev};
		return 0;
	}
bad:
	fc_err("invalid memory '%s': expected host, cuda or cuda:N", s);
	return -FC_EXIT_USAGE;
}

const char *fc_mem_name(const struct fc_mem *m, char *buf, size_t len)
{
	if (m->kind == FC_MEM_HOST)
		snprintf(buf, len, "host");
	else
		snprintf(buf, len, "cuda:%d", m->device);
	return buf;
}

int fc_mem_use(const struct fc_mem *m)
{
	return m->kind == FC_MEM_CUDA ? fc_cuda_use(m->device) : 0;
}

void *fc_mem_alloc(const struct fc_mem *m, size_t len)
{
	void *p = NULL;

	if (m->kind == FC_MEM_CUDA)
		return fc_cuda_malloc(&p, len) ? NULL : p;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void fc_mem_free(const struct fc_mem *m, void *p, size_t len)
{
	if (!p)
		return;
	if (m->kind == FC_MEM_CUDA)
		fc_cuda_free(p);
	else
		munmap(p, len);
}

int fc_mem_fill(const struct fc_mem *m, void *dst, size_t len, uint64_t seed, void *scratch)
{
	if (m->kind == FC_MEM_HOST) {
		fc_pattern_fill(dst, len, seed);
		return 0;
	}
	fc_pattern_fill(scratch, len, seed);
	return fc_cuda_h2d(dst, scratch, len);
}

size_t fc_mem_check(const struct fc_mem *m, const void *src, size_t len, uint64_t seed, void *scratch)
{
	if (m->kind == FC_MEM_HOST)
		return fc_pattern_check(src, len, seed);
	if (fc_cuda_d2h(scratch, src, len))
		return 0; /* a copy that fails cannot be called a match */
	return fc_pattern_check(scratch, len, seed);
}
