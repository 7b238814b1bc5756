/* libFuzzer target: the size syntax (-S, --sockbuf): one size, and lists
 * with ranges and "all" around protocol switch points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sizes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sw[] = {64, 16384, 131072, 65536, 307200, 1048576};
	char *s = malloc(size + 1);
	struct fc_sizes out = {0};
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fc_size_parse(s, &v);
	if (fc_sizes_expand(s, sw, sizeof(sw) / sizeof(sw[0]), &out) == 0) {
		/* what the session will send: sorted, unique, in range */
		for (size_t i = 1; i < out.n; i++)
			if (out.v[i] <= out.v[i - 1])
				abort();
	}
	fc_sizes_free(&out);
	free(s);
	return 0;
}
