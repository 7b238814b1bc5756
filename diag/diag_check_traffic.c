/* The one-node traffic self-test: through each EFA device, two endpoints
 * on the same device with the shared-memory shortcut off (as the EFA
 * installer's own check runs with FI_EFA_ENABLE_SHM_TRANSFER=0), latency
 * and bandwidth per device, and counter deltas proving the device carried
 * it. It is built on the lanes API (common/lanes.c); until then this check
 * says it did not run, and never claims a result. */
#include "diag_check.h"

void check_traffic(const struct diag_ctx *c, struct check *k)
{
	(void)c;
	diag_set(k, SKIP, ACT_NONE, NULL, "the one-node traffic self-test (--traffic) is not part of this build yet");
}
