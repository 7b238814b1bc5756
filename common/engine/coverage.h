/* Proof that each NIC carried its own traffic: its counters must have
 * moved at least by the payload fabcheck put through it, or the traffic
 * went elsewhere. The verdict is a pure function of two counter snapshots
 * and the bytes moved, so it is tested without processes. */
#ifndef FC_COVERAGE_H
#define FC_COVERAGE_H

#include <stdint.h>

#include "nic.h"

enum fc_cov_verdict { FC_COV_OK, FC_COV_FAILED, FC_COV_UNVERIFIABLE, FC_COV_IDLE };

struct fc_cov {
	enum fc_cov_verdict verdict;
	uint64_t sent, recvd;     /* payload fabcheck moved through the NIC */
	uint64_t nic_tx, nic_rx;  /* how far its counters moved */
	const char *short_side;   /* FAILED: "tx" or "rx", the counter that fell short */
};

/* IDLE: nothing was moved (nothing to prove); UNVERIFIABLE: no counters
 * (shm, virtual NICs); FAILED: a counter moved less than the payload. */
void fc_coverage_verdict(const struct fc_nic_snapshot *before, const struct fc_nic_snapshot *after,
			 uint64_t sent, uint64_t recvd, struct fc_cov *out);
const char *fc_coverage_name(enum fc_cov_verdict v);

#endif
