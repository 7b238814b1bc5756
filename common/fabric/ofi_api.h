/* Which libfabric API version fabcheck asks fi_getinfo for: the newest that
 * both the headers it was built with and the library loaded at run time
 * support. The efa provider changes behaviour by API version (below 1.18
 * FI_HMEM is claimed only with device RDMA, which older devices leave off;
 * below 1.20 dmabuf registration is refused), and aws-ofi-nccl asks for
 * 1.18 or newer: asking for an old version would measure another protocol
 * path than NCCL's. Pure, so fabcheck-diag (which loads libfabric with
 * dlopen) and the unit tests use the same rule. */
#ifndef FC_OFI_API_H
#define FC_OFI_API_H

#include <stdint.h>
#include <stdio.h>

/* FI_VERSION's encoding, without needing libfabric's headers. */
#define FC_FI_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define FC_FI_MAJOR(v) ((unsigned)((v) >> 16))
#define FC_FI_MINOR(v) ((unsigned)((v) & 0xffff))
/* aws-ofi-nccl's minimum, where the efa provider's HMEM and RDMA defaults
 * match what NCCL gets */
#define FC_FI_API_NCCL FC_FI_VERSION(1, 18)

static inline uint32_t fc_fi_api_pick(uint32_t headers, uint32_t runtime)
{
	return runtime && runtime < headers ? runtime : headers;
}

static inline const char *fc_fi_api_string(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", FC_FI_MAJOR(v), FC_FI_MINOR(v));
	return buf;
}

#endif
