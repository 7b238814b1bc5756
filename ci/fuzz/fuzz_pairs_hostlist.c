/* libFuzzer target: Slurm node lists as the agent expands them from
 * SLURM_JOB_NODELIST, a value the environment (anyone's sbatch) sets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pairs_hostlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[8192];
	size_t names = 1;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (fc_hostlist_expand(s, out, sizeof(out)) == 0) {
		/* a list of names: none empty, none with a bracket, bounded */
		if (!*out || out[strlen(out) - 1] == ',' || strstr(out, ",,") || strpbrk(out, "[]"))
			abort();
		for (const char *p = out; (p = strchr(p, ',')); p++)
			names++;
		if (names > FC_HOSTLIST_MAX)
			abort();
	} else if (*out) {
		abort(); /* a refused list leaves nothing behind */
	}
	free(s);
	return 0;
}
