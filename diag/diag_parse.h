/* Pure parsers for what facts files say (no I/O: unit-tested and fuzzed). */
#ifndef FC_DIAG_PARSE_H
#define FC_DIAG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* /proc/self/limits: the soft "Max locked memory" in bytes, -1 unlimited,
 * -2 not found. */
long long diag_parse_memlock(const char *text);
/* Whether /proc/self/status's CapEff holds CAP_IPC_LOCK: 1, 0, -1 unknown. */
int diag_parse_cap_ipc_lock(const char *status);
/* /proc/meminfo: HugePages_Total and HugePages_Free (-1 not found). */
void diag_parse_hugepages(const char *text, long *total, long *free_pages);
/* cgroup v2 memory.max or v1 memory.limit_in_bytes: bytes, -1 no limit
 * ("max", or v1's page-rounded LONG_MAX), -2 unreadable. */
long long diag_parse_cgroup_max(const char *text);
/* infiniband ports/1/rate "400 Gb/sec (8X HDR)": Gb/s, 0 unknown. */
int diag_parse_rate(const char *text);
/* Leading "[r]MAJ.MIN[.PATCH]" of a version ("2.17.1g", "r2.13.0",
 * "1.43.1", "6.8.0-1021-aws"): 0 and the numbers, or -1. */
int diag_parse_version(const char *text, int *maj, int *min, int *patch);
/* a < b: -1, equal: 0, a > b: 1; an unparsable version sorts lowest. */
int diag_version_cmp(const char *a, const char *b);
/* "# EFA installer version: 1.43.1" (/opt/amazon/efa_installed_packages). */
int diag_parse_installer(const char *text, char *out, size_t len);
/* libfabric's boolean words (fi_param_get_bool): 1, 0, or -1 for a value it
 * rejects (the efa provider aborts on those). */
int diag_parse_bool(const char *text);
/* Does FI_PROVIDER (comma list; a leading '^' excludes the list; names
 * compared without case, as libfabric's ofi_create_filter) let prov through? */
bool diag_provider_allowed(const char *fi_provider, const char *prov);
/* "aws-ofi-nccl 1.16.2" inside a binary's read-only data: the version. */
int diag_find_plugin_version(const char *data, unsigned long len, char *out, unsigned long outlen);

#endif
