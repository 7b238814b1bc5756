/* NIC counters and placement through a moved sysfs root (fixtures). */
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

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_root(void **st)
{
	(void)st;
	snprintf(root, sizeof(root), "/tmp/fc-sysfs-XXXXXX");
	assert_non_null(mkdtemp(root));
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

static int drop_root(void **st)
{
	char cmd[128];
	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
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
	assert_int_equal(s.retrans, -1);
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

static void pinning_needs_a_pci_device(void **st)
{
	char cpus[64];
	(void)st;
	/* no device/local_cpulist: nothing to pin to */
	assert_int_equal(fc_nic_pin_thread(root, "tcp", "eth7", cpus, sizeof(cpus)), -1);
	put("class/infiniband/rdmap16s27/device/local_cpulist", "0\n");
	assert_int_equal(fc_nic_pin_thread(root, "efa", "rdmap16s27-rdm", cpus, sizeof(cpus)), 0);
	assert_string_equal(cpus, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(efa_domain_maps_to_hw_counters),
		cmocka_unit_test(tcp_domain_maps_to_net_statistics),
		cmocka_unit_test(missing_nic_and_shm_have_no_counters),
		cmocka_unit_test(pinning_needs_a_pci_device),
	};
	return cmocka_run_group_tests_name("nic", tests, make_root, drop_root);
}
