#!/bin/bash
# One node, no traffic, seconds: fabcheck-diag against the node's instance
# type. Fit for Slurm's Prolog (a prolog that exits non-zero drains its node
# and requeues the job) or a HealthCheckProgram (which must drain the node
# itself: set NODE_CHECK_DRAIN=1 to run scontrol with the failed checks as
# the reason). Needs an installed fabcheck: FABCHECK_BIN, or the folder of
# this tree's build. Options are fabcheck-diag's (--instance-type T, --root DIR).
#
# Exit: 0 the node is fit, 1 a check failed (the checklist says which and
# what to do), 2/3 fabcheck-diag could not run.
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BIN=${FABCHECK_BIN:-$SRC/build/bin}
args=(--expect-efa --counter-interval "${NODE_CHECK_COUNTER_INTERVAL:-1}")
[ -n "${FABCHECK_INSTANCE_TYPE:-}" ] && args+=(--instance-type "$FABCHECK_INSTANCE_TYPE")

out=$("$BIN/fabcheck-diag" "${args[@]}" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 1 ] && [ "${NODE_CHECK_DRAIN:-0}" = 1 ]; then
	reason="fabcheck: $(printf '%s\n' "$out" | awk '/^FAIL/ {sub(/^FAIL +/, ""); print; exit}' | cut -c1-120)"
	scontrol update NodeName="$(hostname -s)" State=DRAIN Reason="$reason"
fi
exit "$rc"
