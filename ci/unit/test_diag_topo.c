/* common/fabric/topo.c (hwloc) on a small sysfs tree built here: two host
 * bridges, one per NUMA node, each with a GPU and an EFA device; a virtual
 * net interface. And -D auto's choice of a lane's GPU on that tree
 * (mem_auto.c). */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "topo.h"

static char root[PATH_MAX];

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

static void put(const char *rel, const void *data, size_t len)
{
	char path[2 * PATH_MAX], dir[2 * PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void text(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static void link_to(const char *rel, const char *target)
{
	char path[2 * PATH_MAX], dir[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	assert_int_equal(symlink(target, path), 0);
}

static void pci(const char *dir, const char *bdf, unsigned vendor, unsigned cls, int node)
{
	char rel[512], v[32];
	uint8_t config[64] = {0};

	config[0] = vendor & 0xff;
	config[1] = vendor >> 8;
	config[9] = cls & 0xff;
	config[10] = (cls >> 8) & 0xff;
	config[11] = (cls >> 16) & 0xff;
	snprintf(rel, sizeof(rel), "%s/%s/config", dir, bdf);
	put(rel, config, sizeof(config));
	snprintf(rel, sizeof(rel), "%s/%s/vendor", dir, bdf);
	snprintf(v, sizeof(v), "0x%04x\n", vendor);
	text(rel, v);
	snprintf(rel, sizeof(rel), "%s/%s/class", dir, bdf);
	snprintf(v, sizeof(v), "0x%06x\n", cls);
	text(rel, v);
	snprintf(rel, sizeof(rel), "%s/%s/numa_node", dir, bdf);
	text(rel, node ? "1\n" : "0\n");
	snprintf(rel, sizeof(rel), "%s/%s/local_cpus", dir, bdf);
	text(rel, node ? "0c\n" : "03\n");
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
	{
		char target[512];
		snprintf(target, sizeof(target), "../../../%s/%s", dir + 4, bdf);
		link_to(rel, target);
	}
}

static int setup(void **s)
{
	(void)s;
	snprintf(root, sizeof(root), "/tmp/fabcheck-topo-XXXXXX");
	assert_non_null(mkdtemp(root));
	text("sys/devices/system/cpu/online", "0-3\n");
	text("sys/devices/system/cpu/possible", "0-3\n");
	text("sys/devices/system/cpu/present", "0-3\n");
	for (int c = 0; c < 4; c++) {
		char rel[128], v[16];
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
		snprintf(v, sizeof(v), "%d\n", c / 2);
		text(rel, v);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_id", c);
		snprintf(v, sizeof(v), "%d\n", c % 2);
		text(rel, v);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/thread_siblings", c);
		snprintf(v, sizeof(v), "%x\n", 1 << c);
		text(rel, v);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_siblings", c);
		text(rel, c < 2 ? "3\n" : "c\n");
	}
	text("sys/devices/system/node/online", "0-1\n");
	text("sys/devices/system/node/possible", "0-1\n");
	text("sys/devices/system/node/node0/cpumap", "3\n");
	text("sys/devices/system/node/node1/cpumap", "c\n");
	text("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 1048576 kB\n");
	text("sys/devices/system/node/node1/meminfo", "Node 1 MemTotal: 1048576 kB\n");
	pci("sys/devices/pci0000:10", "0000:10:1b.0", 0x1d0f, 0x020000, 0);
	pci("sys/devices/pci0000:10", "0000:10:1c.0", 0x10de, 0x030200, 0);
	pci("sys/devices/pci0000:20", "0000:20:1b.0", 0x1d0f, 0x020000, 1);
	pci("sys/devices/pci0000:20", "0000:20:1c.0", 0x10de, 0x030200, 1);
	link_to("sys/devices/pci0000:10/0000:10:1b.0/infiniband/efa0/device", "../..");
	link_to("sys/class/infiniband/efa0", "../../devices/pci0000:10/0000:10:1b.0/infiniband/efa0");
	link_to("sys/devices/pci0000:20/0000:20:1b.0/infiniband/efa1/device", "../..");
	link_to("sys/class/infiniband/efa1", "../../devices/pci0000:20/0000:20:1b.0/infiniband/efa1");
	text("sys/devices/virtual/net/veth0/address", "02:00:00:00:00:01\n");
	link_to("sys/class/net/veth0", "../../devices/virtual/net/veth0");
	return 0;
}

static void nic_cpus_and_bus_ids(void **s)
{
	struct fc_topo *t;
	char buf[64];
	cpu_set_t set;
	(void)s;
	assert_int_equal(fc_topo_open(root, &t), 0);
	assert_int_equal(fc_topo_nic_busid(t, "efa0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0000:10:1b.0");
	/* a libfabric EFA domain names the same device */
	assert_int_equal(fc_topo_nic_busid(t, "efa1-rdm", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0000:20:1b.0");
	assert_int_equal(fc_topo_nic_cpulist(t, "efa0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-1");
	assert_int_equal(fc_topo_nic_cpulist(t, "efa1-dgrm", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2-3");
	assert_int_equal(fc_topo_nic_cpuset(t, "efa1", &set), 0);
	assert_int_equal(CPU_COUNT(&set), 2);
	assert_true(CPU_ISSET(2, &set) && CPU_ISSET(3, &set));
	assert_int_equal(fc_topo_nic_cpuset(t, "efa9", &set), -ENOENT);
	/* a virtual interface has no PCI device: hwloc does not list it */
	assert_int_equal(fc_topo_nic_cpuset(t, "veth0", &set), -ENOENT);
	assert_int_equal(fc_topo_nic_busid(t, "", buf, sizeof(buf)), -EINVAL);
	fc_topo_close(t);
}

static void pci_hops_only_through_pci(void **s)
{
	struct fc_topo *t;
	(void)s;
	assert_int_equal(fc_topo_open(root, &t), 0);
	/* GPU and efa0 share host bridge pci0000:10 */
	assert_int_equal(fc_topo_pci_hops(t, "0000:10:1c.0", "0000:10:1b.0"), 2);
	assert_int_equal(fc_topo_pci_hops(t, "0000:10:1C.0", "0000:10:1b.0"), 2);
	/* efa1 meets the GPU only at the machine */
	assert_int_equal(fc_topo_pci_hops(t, "0000:10:1c.0", "0000:20:1b.0"), -EXDEV);
	assert_int_equal(fc_topo_pci_hops(t, "0000:10:1c.0", "0000:99:00.0"), -ENOENT);
	assert_int_equal(fc_topo_pci_hops(t, "not-a-bus-id", "0000:10:1b.0"), -EINVAL);
	fc_topo_close(t);
}

/* a device backend that sees the tree's two GPUs, in the order a CUDA
 * runtime would number them (or one whose bus ids it cannot say) */
static bool busids_known = true;
static int two_gpus(char (*busids)[16], int max, char *why, size_t len)
{
	(void)why, (void)len;
	assert_true(max >= 2);
	snprintf(busids[0], sizeof(busids[0]), "%s", busids_known ? "0000:20:1c.0" : "");
	snprintf(busids[1], sizeof(busids[1]), "%s", busids_known ? "0000:10:1C.0" : "");
	return 2;
}

static void auto_memory_takes_the_gpu_nearest_each_nic(void **s)
{
	static const struct fc_mem_ops gpu = {.name = "gpu", .devices = two_gpus};
	struct fc_mem m = {.ops = &gpu, .pick = true};
	struct fc_topo *t;
	char why[256];
	(void)s;
	assert_int_equal(fc_topo_open(root, &t), 0);
	/* efa0 shares its host bridge with the second GPU CUDA lists */
	assert_int_equal(fc_mem_auto_device(&m, t, "efa0-rdm", 0, why, sizeof(why)), 1);
	assert_string_equal(why, "gpu:1 nearest NIC efa0-rdm (0000:10:1C.0, 2 PCI hops)");
	assert_int_equal(fc_mem_auto_device(&m, t, "efa1", 0, why, sizeof(why)), 0);
	/* no PCI path (a virtual interface): the GPUs in turn, by lane */
	assert_int_equal(fc_mem_auto_device(&m, t, "veth0", 3, why, sizeof(why)), 1);
	assert_string_equal(why, "gpu:1 by lane order: no PCI path from NIC veth0 to a device");
	assert_int_equal(fc_mem_auto_device(&m, NULL, "efa0", 2, why, sizeof(why)), 0);
	/* bus ids the runtime cannot say: by lane as well */
	busids_known = false;
	assert_int_equal(fc_mem_auto_device(&m, t, "efa0", 1, why, sizeof(why)), 1);
	busids_known = true;
	fc_topo_close(t);
}

static void open_leaves_hwloc_fsroot_as_it_was(void **s)
{
	struct fc_topo *t;
	(void)s;
	setenv("HWLOC_FSROOT", "/elsewhere", 1);
	assert_int_equal(fc_topo_open(root, &t), 0);
	fc_topo_close(t);
	assert_string_equal(getenv("HWLOC_FSROOT"), "/elsewhere");
	unsetenv("HWLOC_FSROOT");
	assert_int_equal(fc_topo_open(root, &t), 0);
	fc_topo_close(t);
	assert_null(getenv("HWLOC_FSROOT"));
}

static int rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **s)
{
	(void)s;
	return nftw(root, rm, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nic_cpus_and_bus_ids),
		cmocka_unit_test(pci_hops_only_through_pci),
		cmocka_unit_test(auto_memory_takes_the_gpu_nearest_each_nic),
		cmocka_unit_test(open_leaves_hwloc_fsroot_as_it_was),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
