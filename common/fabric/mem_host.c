/* Host memory: page-aligned anonymous mappings (what EFA registers best),
 * no copies. */
#include <rdma/fi_domain.h>
#include <stdio.h>
#include <sys/mman.h>

#include "mem.h"

static int host_use(int device)
{
	(void)device;
	return 0;
}

static void *host_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void host_free(void *p, size_t len)
{
	munmap(p, len);
}

static size_t host_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (size_t)kb * 1024;
}

const struct fc_mem_ops fc_mem_host = {
	.name = "host",
	.label = "host",
	.fi_iface = FI_HMEM_SYSTEM,
	.use = host_use,
	.alloc = host_alloc,
	.free = host_free,
	.host_alloc = host_alloc,
	.host_free = host_free,
	.available = host_available,
};
