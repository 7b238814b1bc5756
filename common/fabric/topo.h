/* PCI topology through hwloc, of this machine or of another root (a copy
 * of /sys, the test fixtures): the CPUs local to the PCI device behind a
 * NIC (where to pin the thread that drives it), and how close two PCI
 * devices are (which EFA devices are closest to a GPU).
 *
 * NIC names: an infiniband device ("rdmap16s27", "efa_0"), an EFA libfabric
 * domain ("rdmap16s27-rdm", "-dgrm" is stripped) or a net interface
 * ("eth0"). PCI bus ids: "DDDD:BB:DD.F" (hex, any case).
 *
 * Functions return 0 (or a count) or a negative errno:
 *   -ENOENT  no such NIC or PCI device in the topology
 *   -ENODEV  the NIC has no PCI device (veth, lo, a bridge)
 *   -EXDEV   the two devices share no PCI bridge (only a CPU package,
 *            NUMA node or the machine joins them)
 *   -EINVAL  malformed name or bus id; -ENOMEM; -EIO hwloc failed. */
#ifndef FC_TOPO_H
#define FC_TOPO_H

#include <sched.h>
#include <stddef.h>

struct fc_topo;

/* root NULL or "/": this machine. Another root is read as that machine's
 * /sys and /proc; opening one sets HWLOC_FSROOT while hwloc loads. Opening
 * also sets HWLOC_PLUGINS_BLACKLIST, when unset, to keep hwloc's GL, OpenCL
 * and GPU plugins (and the libraries they pull in) out of the process. Both
 * touch the environment: open before starting threads. */
int fc_topo_open(const char *root, struct fc_topo **out);
void fc_topo_close(struct fc_topo *t);

int fc_topo_nic_cpuset(struct fc_topo *t, const char *nic, cpu_set_t *set);
/* The same as "0-15,32-47" */
int fc_topo_nic_cpulist(struct fc_topo *t, const char *nic, char *buf, size_t len);
/* "0000:10:1b.0" */
int fc_topo_nic_busid(struct fc_topo *t, const char *nic, char *busid, size_t len);

/* Edges from a up to the lowest PCI bridge (or host bridge) above both and
 * down to b: 2 = same switch port level, more = further apart. */
int fc_topo_pci_hops(struct fc_topo *t, const char *busid_a, const char *busid_b);

#endif
