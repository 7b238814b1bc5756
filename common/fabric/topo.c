#include "topo.h"

#include <errno.h>
#include <hwloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fc_topo {
	hwloc_topology_t h;
};

/* Components that would add what is not under the root (the x86 CPUID
 * reader, libpciaccess's "pci") or load GPU libraries (a broken GPU driver
 * must not stop a topology read). hwloc's linux component reads PCI itself
 * from sysfs, bridges' bus ranges from their config space. */
static const char *const skip_always[] = {"cuda", "nvml", "opencl", "rsmi", "levelzero", "gl"};
static const char *const skip_other_root[] = {"x86", "pci"};

/* hwloc loads its plugins at the first init even when their components are
 * blacklisted, and unloads them with the last topology: GL and OpenCL pull
 * X11 and GPU libraries into the process, libxml2 and libpciaccess leave
 * allocations behind when unloaded. The linux component reads PCI itself
 * and hwloc has a built-in XML writer. Keep them out unless the user chose
 * a list. */
static const char plugins_skipped[] =
	"hwloc_gl,hwloc_opencl,hwloc_cuda,hwloc_nvml,hwloc_rsmi,hwloc_levelzero,hwloc_xml_libxml,hwloc_pci";

static int load(struct fc_topo *t, bool other_root)
{
	setenv("HWLOC_PLUGINS_BLACKLIST", plugins_skipped, 0);
	if (hwloc_topology_init(&t->h))
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(skip_always) / sizeof(skip_always[0]); i++)
		hwloc_topology_set_components(t->h, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, skip_always[i]);
	for (size_t i = 0; other_root && i < sizeof(skip_other_root) / sizeof(skip_other_root[0]); i++)
		hwloc_topology_set_components(t->h, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, skip_other_root[i]);
	/* bridges, PCI devices and OS devices (net, infiniband) are off by default */
	hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(t->h)) {
		hwloc_topology_destroy(t->h);
		return -EIO;
	}
	return 0;
}

int fc_topo_open(const char *root, struct fc_topo **out)
{
	struct fc_topo *t = calloc(1, sizeof(*t));
	bool other = root && *root && strcmp(root, "/");
	char *saved = NULL;
	const char *prev;
	int rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	/* hwloc 2 takes another root only from HWLOC_FSROOT (lstopo --input does
	 * the same); keep the caller's value */
	if (other) {
		if ((prev = getenv("HWLOC_FSROOT")) && !(saved = strdup(prev))) {
			free(t);
			return -ENOMEM;
		}
		setenv("HWLOC_FSROOT", root, 1);
	}
	rc = load(t, other);
	if (other) {
		if (saved)
			setenv("HWLOC_FSROOT", saved, 1);
		else
			unsetenv("HWLOC_FSROOT");
		free(saved);
	}
	if (rc) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void fc_topo_close(struct fc_topo *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->h);
	free(t);
}

/* The PCI device behind a NIC: hwloc's OS device of that name (infiniband
 * class or net class), whose parent is the PCI function. */
static int nic_pcidev(struct fc_topo *t, const char *nic, hwloc_obj_t *pci)
{
	char name[128];
	char *dash;
	hwloc_obj_t o = NULL;

	if (!nic || !*nic || strlen(nic) >= sizeof(name))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s", nic);
	dash = strrchr(name, '-');
	if (dash && (!strcmp(dash, "-rdm") || !strcmp(dash, "-dgrm")))
		*dash = '\0';
	while ((o = hwloc_get_next_osdev(t->h, o))) {
		if (!o->name || strcmp(o->name, name))
			continue;
		if (!o->parent || o->parent->type != HWLOC_OBJ_PCI_DEVICE)
			return -ENODEV;
		*pci = o->parent;
		return 0;
	}
	return -ENOENT;
}

int fc_topo_nic_busid(struct fc_topo *t, const char *nic, char *busid, size_t len)
{
	hwloc_obj_t pci;
	int rc = nic_pcidev(t, nic, &pci);

	if (rc)
		return rc;
	snprintf(busid, len, "%04x:%02x:%02x.%x", pci->attr->pcidev.domain, pci->attr->pcidev.bus,
		 pci->attr->pcidev.dev, pci->attr->pcidev.func);
	return 0;
}

static int nic_bitmap(struct fc_topo *t, const char *nic, hwloc_const_cpuset_t *set)
{
	hwloc_obj_t pci, cpu;
	int rc = nic_pcidev(t, nic, &pci);

	if (rc)
		return rc;
	/* the first non-I/O ancestor: the package or NUMA node the PCI root hangs off */
	cpu = hwloc_get_non_io_ancestor_obj(t->h, pci);
	if (!cpu || !cpu->cpuset || hwloc_bitmap_iszero(cpu->cpuset))
		return -ENODEV;
	*set = cpu->cpuset;
	return 0;
}

int fc_topo_nic_cpuset(struct fc_topo *t, const char *nic, cpu_set_t *out)
{
	hwloc_const_cpuset_t set;
	int rc = nic_bitmap(t, nic, &set), cpu;

	if (rc)
		return rc;
	CPU_ZERO(out);
	hwloc_bitmap_foreach_begin(cpu, set)
	{
		if (cpu < CPU_SETSIZE)
			CPU_SET(cpu, out);
	}
	hwloc_bitmap_foreach_end();
	return CPU_COUNT(out) ? 0 : -ENODEV;
}

int fc_topo_nic_cpulist(struct fc_topo *t, const char *nic, char *buf, size_t len)
{
	hwloc_const_cpuset_t set;
	int rc = nic_bitmap(t, nic, &set);

	if (rc)
		return rc;
	return hwloc_bitmap_list_snprintf(buf, len, set) < 0 ? -EIO : 0;
}

static int find_pci(struct fc_topo *t, const char *busid, hwloc_obj_t *out)
{
	unsigned dom, bus, dev, fn;
	char tail;

	if (!busid || sscanf(busid, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 || bus > 0xff ||
	    dev > 0x1f || fn > 7)
		return -EINVAL;
	*out = hwloc_get_pcidev_by_busid(t->h, dom, bus, dev, fn);
	return *out ? 0 : -ENOENT;
}

static bool is_pci_level(hwloc_obj_t o)
{
	/* host bridges are bridges too (upstream type HOST) */
	return o->type == HWLOC_OBJ_BRIDGE || o->type == HWLOC_OBJ_PCI_DEVICE;
}

int fc_topo_pci_hops(struct fc_topo *t, const char *a, const char *b)
{
	hwloc_obj_t oa, ob;
	int rc, up_a = 0;

	if ((rc = find_pci(t, a, &oa)) || (rc = find_pci(t, b, &ob)))
		return rc;
	/* walk up from a; at each ancestor see whether b is below it. I/O
	 * objects have no depth hwloc_get_common_ancestor_obj can use. */
	for (hwloc_obj_t x = oa; x; x = x->parent, up_a++) {
		int up_b = 0;
		for (hwloc_obj_t y = ob; y; y = y->parent, up_b++)
			if (y == x)
				return is_pci_level(x) ? up_a + up_b : -EXDEV;
	}
	return -EXDEV;
}
