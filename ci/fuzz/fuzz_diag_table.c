/* libFuzzer target: the instance table parser (diag/instance-types.tsv
 * format). Any bytes: an error naming file:line, or a table whose rows
 * are within the limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_itype *t;
	int n;

	if (diag_table_parse((const char *)data, size, "fuzz.tsv", &t, &n) == 0) {
		for (int i = 0; i < n; i++)
			if (t[i].gpus < 0 || t[i].efa < 1 || t[i].efa > DIAG_MAX_DEVS || t[i].nic_gbps < 1 ||
			    !diag_table_find(t, n, t[i].type))
				abort();
		free(t);
	}
	return 0;
}
