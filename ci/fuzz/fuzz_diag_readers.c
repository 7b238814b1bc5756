/* libFuzzer target: what fabcheck-diag reads from a node or a facts file.
 * The first byte picks the reader, the rest is the file's content:
 *   0 /proc/self/limits  1 /proc/meminfo  2 cgroup memory.max
 *   3 infiniband rate    4 versions       5 efa_installed_packages
 *   6 libfabric booleans and FI_PROVIDER lists
 *   7 the facts file (JSON)               8 an NCCL plugin's ELF
 *   9 escaping for the terminal */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diag_elf.h"
#include "diag_out.h"
#include "diag_parse.h"

static struct diag_facts f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, small[64], big[1024];
	long a, b;
	int x, y, z;
	struct diag_elf elf;

	if (size < 1)
		return 0;
	/* the readers get NUL-terminated text, as fc_read_file gives them */
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0: diag_parse_memlock(text); break;
	case 1: diag_parse_hugepages(text, &a, &b); break;
	case 2: diag_parse_cgroup_max(text); break;
	case 3: diag_parse_rate(text); break;
	case 4:
		diag_parse_version(text, &x, &y, &z);
		diag_version_cmp(text, "2.17.3");
		break;
	case 5: diag_parse_installer(text, small, sizeof(small)); break;
	case 6:
		diag_parse_bool(text);
		diag_provider_allowed(text, "efa");
		break;
	case 7:
		memset(&f, 0, sizeof(f));
		f.ndevs = 2;
		strcpy(f.devs[0].name, "rdmap16s27");
		strcpy(f.devs[1].name, "efa_0");
		diag_facts_parse(&f, (const char *)data + 1, size - 1);
		break;
	case 8:
		diag_elf_memory((const char *)data + 1, size - 1, &elf);
		diag_find_plugin_version((const char *)data + 1, size - 1, small, sizeof(small));
		break;
	case 9:
		diag_escape(text, big, sizeof(big));
		if (strlen(big) >= sizeof(big))
			abort();
		break;
	}
	free(text);
	return 0;
}
