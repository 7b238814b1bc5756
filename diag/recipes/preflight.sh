#!/bin/bash
# The fabcheck pre-flight on one node of a cluster, started on every node by
# the cluster's launcher: SkyPilot (diag/recipes/sky/preflight.yaml), Slurm
# (diag/recipes/slurm/preflight.sbatch), Kubernetes (diag/recipes/k8s/preflight-job.yaml) or
# mpirun. It builds fabcheck if needed, checks this node (fabcheck-diag),
# measures every node pair (fabcheck-pairs, rank 0 coordinating) and, on rank
# 0, writes the report. Which node this is comes from fabcheck-pairs --where,
# which reads the launcher's variables.
#
# Settings (environment):
#   MODE                 diag | pairs | full (default full: diag, then pairs)
#   USE_EFA              true (default): libfabric's efa provider, and a node
#                        without EFA fails diag; false: the kernel TCP baseline
#                        (fabcheck's socket transport)
#   FABCHECK_PROVIDER    another libfabric provider (tcp on a machine without EFA)
#   FABCHECK_QUICK       true: one small and one large size per pair (seconds)
#   FABCHECK_FAIL, FABCHECK_WARN, FABCHECK_MIN_BW_GBPS, FABCHECK_MAX_LAT_US
#                        verdict thresholds (fabcheck-pairs --help)
#   FABCHECK_INSTANCE_TYPE  the instance type, where DMI does not say it
#   FABCHECK_MEMORY      the lanes' buffers (-D): auto (default: each NIC lane on
#                        the GPU nearest it, as NCCL's, host memory where no GPU
#                        is seen), host, cuda or cuda:N
#   FABCHECK_PAIRS_ARGS  more fabcheck-pairs options, split at spaces
#   FABCHECK_RESULTS     the results folder (default results/preflight-<job id>
#                        in the source tree; the job id is SkyPilot's task id,
#                        Slurm's job id or the date)
#   FABCHECK_BIN         use the programs in this folder instead of building
#   LIBFABRIC_PREFIX     build against this libfabric (default /opt/amazon/efa
#                        when the EFA installer put one there)
#
# Exit codes. Rank 0's is the cluster's verdict: 0 every node passed, 1 a
# node, NIC or link failed or a node was unreachable (named on stderr and in
# verdict.json), 4 fewer than the quorum joined, 2 a usage error, 3 the build
# or the report could not be made (a node that cannot build fabcheck, whose
# rank is not known yet, exits 3 too). Every other rank exits 0: SkyPilot ends
# every node's job as soon as one exits non-zero, before rank 0 could name
# the bad node. MODE=diag has no coordinator: each node exits with its own
# fabcheck-diag verdict (0 pass, 1 a check failed).
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODE=${MODE:-full}
USE_EFA=${USE_EFA:-true}

PROG=preflight
. "$SRC/diag/recipes/cluster-lib.sh"

case $MODE in
diag | pairs | full) ;;
*) say "MODE must be diag, pairs or full, not '$MODE'"; exit 2 ;;
esac
case $USE_EFA in
true | false) ;;
*) say "USE_EFA must be true or false, not '$USE_EFA'"; exit 2 ;;
esac

# Only rank 0 may fail the job (see the header); the others say why they
# stopped and exit 0, and rank 0 names them unreachable or failed.
finish() {
	local rc=$1
	if [ "${FC_RANK:-0}" != 0 ] && [ "$MODE" != diag ]; then
		[ "$rc" -eq 0 ] || say "rank $FC_RANK stopped with exit $rc; rank 0's verdict names this node"
		exit 0
	fi
	exit "$rc"
}

FC_RANK=""
build || finish 3
# MODE=diag needs no coordinator: a node that cannot place itself still checks
if ! where; then
	[ "$MODE" = diag ] || finish 2
	FC_RANK=${FC_RANK:-?} FC_NODES=? FC_LAUNCHER=unknown
fi
RESULTS=${FABCHECK_RESULTS:-$SRC/results/preflight-$(job_id)}
mkdir -p "$RESULTS/diag" || { say "cannot make the results folder $RESULTS"; finish 3; }
say "rank $FC_RANK of $FC_NODES ($FC_LAUNCHER), mode $MODE, EFA $USE_EFA, results in $RESULTS"

# 1. this node's own checks; the checklist goes to the job's log
host=$(hostname)
DIAG_JSON=$RESULTS/diag/$(printf '%s' "$host" | tr -c 'A-Za-z0-9._-' '_')-rank$FC_RANK.json
if [ "$MODE" != pairs ]; then
	diag_args=(--json "$DIAG_JSON")
	# over EFA, the node's own traffic test too: every device carries its
	# share, and each GPU's memory registers as aws-ofi-nccl registers it
	[ "$USE_EFA" = true ] && [ "${FABCHECK_PROVIDER:-efa}" = efa ] && diag_args+=(--expect-efa --traffic)
	[ -n "${FABCHECK_INSTANCE_TYPE:-}" ] && diag_args+=(--instance-type "$FABCHECK_INSTANCE_TYPE")
	"$FABCHECK_BIN/fabcheck-diag" "${diag_args[@]}"
	diag_rc=$?
	[ "$MODE" = diag ] && finish "$diag_rc"
	[ "$diag_rc" -le 1 ] || say "fabcheck-diag could not finish (exit $diag_rc); the coordinator is told"
fi

# 2. every node pair; the agents' exit codes are 0, the coordinator's the verdict
pairs_args=()
if [ "$USE_EFA" = true ]; then
	pairs_args+=(-p "${FABCHECK_PROVIDER:-efa}")
else
	pairs_args+=(-x socket)
fi
[ "${FABCHECK_QUICK:-false}" = true ] && pairs_args+=(--quick)
[ -n "${FABCHECK_FAIL:-}" ] && pairs_args+=(--fail "$FABCHECK_FAIL")
[ -n "${FABCHECK_WARN:-}" ] && pairs_args+=(--warn "$FABCHECK_WARN")
[ -n "${FABCHECK_MIN_BW_GBPS:-}" ] && pairs_args+=(--min-bw-gbps "$FABCHECK_MIN_BW_GBPS")
[ -n "${FABCHECK_MAX_LAT_US:-}" ] && pairs_args+=(--max-lat-us "$FABCHECK_MAX_LAT_US")
[ -n "${FABCHECK_INSTANCE_TYPE:-}" ] && pairs_args+=(--instance-type "$FABCHECK_INSTANCE_TYPE")
pairs_args+=(-D "${FABCHECK_MEMORY:-auto}")
[ "$MODE" = full ] && pairs_args+=(--diag "$DIAG_JSON")
# rank 0's folders; a second run in the same job (two sruns in one
# allocation) gets its own: fabcheck-pairs -o takes only a new or empty one
PAIRS_DIR=$RESULTS/pairs REPORT_DIR=$RESULTS/report
if [ "$FC_RANK" = 0 ] && [ -e "$PAIRS_DIR" ]; then
	tag=$(date -u +%H%M%S)-$$
	PAIRS_DIR=$RESULTS/pairs-$tag REPORT_DIR=$RESULTS/report-$tag
fi
[ "$FC_RANK" = 0 ] && pairs_args+=(-o "$PAIRS_DIR")
read -ra extra <<<"${FABCHECK_PAIRS_ARGS:-}"
[ "$FC_RANK" = 0 ] || wait_for_coordinator || finish 4
"$FABCHECK_BIN/fabcheck-pairs" "${pairs_args[@]}" "${extra[@]}"
verdict=$?
[ "$FC_RANK" = 0 ] || finish "$verdict"

# 3. rank 0: the report of the whole run
if [ -e "$PAIRS_DIR/pairs.jsonl" ]; then
	if "$FABCHECK_BIN/fabcheck-report" -o "$REPORT_DIR" "$PAIRS_DIR" >/dev/null; then
		say "report: $REPORT_DIR/report.md"
	else
		say "the report could not be written (above); the verdict stands"
		[ "$verdict" -eq 0 ] && verdict=3
	fi
fi
if [ -s "$PAIRS_DIR/good-hosts.txt" ]; then
	say "good hosts for the NCCL job ($PAIRS_DIR/good-hosts.txt): $(paste -sd ' ' "$PAIRS_DIR/good-hosts.txt")"
fi
say "cluster verdict: exit $verdict"
finish "$verdict"
