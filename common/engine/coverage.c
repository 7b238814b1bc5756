#include "coverage.h"

void fc_coverage_verdict(const struct fc_nic_snapshot *b, const struct fc_nic_snapshot *a, uint64_t sent,
			 uint64_t recvd, struct fc_cov *out)
{
	*out = (struct fc_cov){.verdict = FC_COV_OK, .sent = sent, .recvd = recvd};
	if (sent == 0 && recvd == 0) {
		out->verdict = FC_COV_IDLE;
		return;
	}
	if (!a->ok || !b->ok) {
		out->verdict = FC_COV_UNVERIFIABLE;
		return;
	}
	/* counters only grow; one that went back was reset or wrapped, and
	 * proves nothing */
	if (a->tx_bytes < b->tx_bytes || a->rx_bytes < b->rx_bytes) {
		out->verdict = FC_COV_UNVERIFIABLE;
		return;
	}
	out->nic_tx = a->tx_bytes - b->tx_bytes;
	out->nic_rx = a->rx_bytes - b->rx_bytes;
	if (out->nic_tx < sent || out->nic_rx < recvd) {
		out->verdict = FC_COV_FAILED;
		out->short_side = out->nic_tx < sent ? "tx" : "rx";
	}
}

const char *fc_coverage_name(enum fc_cov_verdict v)
{
	static const char *const names[] = {"ok", "failed", "unverifiable", "idle"};
	return names[v];
}
