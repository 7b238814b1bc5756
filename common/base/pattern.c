#include "pattern.h"

#include <string.h>

/* splitmix64 finaliser: decorrelates neighbouring seeds. */
static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t fc_pattern_seed(size_t size, uint64_t iter, int direction)
{
	return mix(mix((uint64_t)size) ^ (iter << 1) ^ (uint64_t)(direction & 1));
}

/* Word i holds seed + i * odd constant: one add per 8 bytes keeps -v cheap
 * on multi-megabyte messages, and every word differs from its neighbours. */
#define STEP 0xd1b54a32d192ed03ull

void fc_pattern_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t w = seed;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8, w += STEP)
		memcpy(p + i, &w, 8);
	if (i < len)
		memcpy(p + i, &w, len - i);
}

size_t fc_pattern_check(const void *buf, size_t len, uint64_t seed)
{
	const unsigned char *p = buf;
	uint64_t w = seed, got;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8, w += STEP) {
		memcpy(&got, p + i, 8);
		if (got != w)
			break;
	}
	for (size_t j = 0; i < len; i++, j++) {
		unsigned char want;
		if (j == 8) {
			j = 0;
			w += STEP;
		}
		memcpy(&want, (const unsigned char *)&w + j, 1);
		if (p[i] != want)
			return i;
	}
	return (size_t)-1;
}
