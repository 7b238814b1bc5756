/* NIC counters and placement through a moved sysfs root (fixtures). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "nic.h"

static char top[64], root[80]; /* root: top/sys, the sysfs root; top/proc beside it */

/* mkdir -p, without a shell */
static int mkdir_p(const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

static void put(const char *rel, const char *text)
{
	char path[512], dir[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", rel[0] == '.' ? top : root, rel[0] == '.' ? rel + 2 : rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_root(void **st)
{
	(void)st;
	snprintf(top, sizeof(top), "/tmp/fc-sysfs-XXXXXX");
	assert_non_null(mkdtemp(top));
	snprintf(root, sizeof(root), "%s/sys", top);
	put("class/infiniband/rdmap16s27/ports/1/hw_counters/tx_pkts", "600\n");
	/* the host's TCP counters, beside the sysfs root as /proc is beside /sys */
	put("./proc/net/snmp", "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
			       "Tcp: RtoAlgorithm RtoMin ActiveOpens OutSegs RetransSegs InErrs\n"
			       "Tcp: 1 200 5 12000 240 0\nUdp: InDatagrams\nUdp: 3\n");
	put("class/infiniband/rdmap16s27/ports/1/hw_counters/tx_bytes", "1000\n");
	put("class/infiniband/rdmap16s27/ports/1/hw_counters/rx_bytes", "2000\n");
	put("class/infiniband/rdmap16s27/ports/1/hw_counters/retrans_pkts", "3\n");
	put("class/infiniband/rdmap16s27/ports/1/hw_counters/rx_drops", "4\n");
	put("class/net/eth7/statistics/tx_bytes", "77\n");
	put("class/net/eth7/statistics/rx_bytes", "88\n");
	put("class/net/eth7/statistics/tx_dropped", "1\n");
	put("class/net/eth7/statistics/rx_dropped", "2\n");
	return 0;
}

static int drop_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static int drop_root(void **st)
{
	(void)st;
	return nftw(top, drop_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void efa_domain_maps_to_hw_counters(void **st)
{
	struct fc_nic_snapshot s;
	(void)st;
	assert_int_equal(fc_nic_read(root, "efa", "rdmap16s27-rdm", &s), 0);
	assert_true(s.ok);
	assert_int_equal(s.tx_bytes, 1000);
	assert_int_equal(s.rx_bytes, 2000);
	assert_int_equal(s.retrans, 3);
	assert_int_equal(s.tx_pkts, 600);
	assert_int_equal(s.drops, 4);
	assert_int_equal(s.timeouts, -1); /* absent counter: not counted, not zero */
	assert_non_null(strstr(s.path, "class/infiniband/rdmap16s27/ports/1/hw_counters"));
}

static void tcp_domain_maps_to_net_statistics(void **st)
{
	struct fc_nic_snapshot s;
	(void)st;
	assert_int_equal(fc_nic_read(root, "tcp;ofi_rxm", "eth7", &s), 0);
	assert_int_equal(s.tx_bytes, 77);
	assert_int_equal(s.rx_bytes, 88);
	assert_int_equal(s.drops, 3);
	/* over TCP: the host's segments sent and retransmitted */
	assert_int_equal(s.tx_pkts, 12000);
	assert_int_equal(s.retrans, 240);
	/* not for the udp provider, nor on loopback */
	assert_int_equal(fc_nic_read(root, "udp;ofi_rxd", "eth7", &s), 0);
	assert_int_equal(s.retrans, -1);
	assert_int_equal(s.tx_pkts, -1);
}

static void missing_nic_and_shm_have_no_counters(void **st)
{
	struct fc_nic_snapshot s;
	(void)st;
	assert_int_equal(fc_nic_read(root, "efa", "rdmap99s0-rdm", &s), -1);
	assert_false(s.ok);
	assert_int_equal(fc_nic_read(root, "shm", "shm", &s), -1);
	assert_false(s.ok);
}

/* A counter that is a FIFO (or a device) under --sysfs-root is not a
 * counter: refused at once, never waited on. */
static void odd_counter_files_do_not_block(void **st)
{
	char path[512];
	struct fc_nic_snapshot s;
	(void)st;
	snprintf(path, sizeof(path), "%s/class/net/eth8/statistics", root);
	assert_int_equal(mkdir_p(path), 0);
	snprintf(path, sizeof(path), "%s/class/net/eth8/statistics/tx_bytes", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	put("class/net/eth8/statistics/rx_bytes", "5\n");
	assert_int_equal(fc_nic_read(root, "tcp", "eth8", &s), -1);
	assert_false(s.ok);
}

/* -d all names an EFA that libfabric cannot list: a PCI function with no
 * device; a bound one, whatever its port state file says, is not down, nor
 * is ENA (the same vendor, another device id) */
static void efa_pci_function_without_a_device_is_down(void **st)
{
	char names[4][128], states[4][32];
	(void)st;
	put("bus/pci/devices/0000:10:1b.0/vendor", "0x1d0f\n");
	put("bus/pci/devices/0000:10:1b.0/device", "0xefa1\n");
	put("bus/pci/devices/0000:10:1b.0/infiniband/rdmap16s27/ports/1/state", "1: DOWN\n");
	put("bus/pci/devices/0000:20:1b.0/vendor", "0x1d0f\n");
	put("bus/pci/devices/0000:20:1b.0/device", "0xefa2\n");
	put("bus/pci/devices/0000:30:05.0/vendor", "0x1d0f\n");
	put("bus/pci/devices/0000:30:05.0/device", "0xec20\n");
	assert_int_equal(fc_nic_list_down(root, "efa", names, states, 4), 1);
	assert_string_equal(names[0], "EFA at PCI 0000:20:1b.0");
	assert_string_equal(states[0], "no device");
	assert_int_equal(fc_nic_list_down(root, "shm", names, states, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(efa_domain_maps_to_hw_counters),
		cmocka_unit_test(tcp_domain_maps_to_net_statistics),
		cmocka_unit_test(missing_nic_and_shm_have_no_counters),
		cmocka_unit_test(odd_counter_files_do_not_block),
		cmocka_unit_test(efa_pci_function_without_a_device_is_down),
	};
	return cmocka_run_group_tests_name("nic", tests, make_root, drop_root);
}
