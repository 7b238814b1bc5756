/* NIC traffic counters and placement, read from sysfs under a root that
 * tests can move (--sysfs-root / FABCHECK_SYSFS_ROOT).
 *   EFA:              <root>/class/infiniband/<dev>/ports/1/hw_counters/
 *   tcp, sockets,
 *   socket transport: <root>/class/net/<if>/statistics/                  */
#ifndef FC_NIC_H
#define FC_NIC_H

#include <stdbool.h>
#include <stdint.h>

struct fc_nic_snapshot {
	bool ok;          /* counters found */
	char path[512];   /* where they were read */
	uint64_t tx_bytes, rx_bytes;
	int64_t retrans, timeouts, unresponsive, impaired, drops; /* -1: not counted */
	/* packets sent, beside retrans for a loss ratio: EFA's tx_pkts and
	 * retrans_pkts; over TCP (tcp, sockets, the socket transport) the
	 * host's TCP OutSegs and RetransSegs from <root>/../proc/net/snmp,
	 * which count every TCP connection of the host (not on loopback) */
	int64_t tx_pkts;
};

/* The NIC behind a domain: "rdmap16s27-rdm" -> infiniband "rdmap16s27",
 * "eth0" -> net "eth0". shm and the like have no NIC (snapshot.ok false). */
int fc_nic_read(const char *sysfs_root, const char *provider, const char *domain,
		struct fc_nic_snapshot *s);

/* NICs of the provider's kind that are there but not usable now, which
 * libfabric does not list: EFA PCI functions with no device (no driver
 * bound, or the device failed; an EFA port always reads ACTIVE), network
 * interfaces with an IPv4 address that are down or without carrier. For
 * -d all, so a NIC that went down is named, not silently left out. Writes
 * names (as libfabric would name the domain) and link states; returns how
 * many (up to max). */
int fc_nic_list_down(const char *sysfs_root, const char *provider, char names[][128], char states[][32], int max);

/* EFA PCI functions (0x1d0f:0xefa0-0xefa4) with no EFA device under
 * sysfs_root (the driver did not bind it, or the device failed; its port
 * state says nothing, the efa driver reports every port ACTIVE): their
 * PCI addresses, sorted, up to max. */
int fc_efa_unbound(const char *sysfs_root, char bdf[][16], int max);

#endif
