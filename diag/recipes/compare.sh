#!/bin/bash
# EFA against kernel TCP between two nodes, into one report: fabcheck
# ping-pong and bandwidth over libfabric and over the socket transport and,
# when the node has nccl-tests, NCCL's all_reduce_perf with EFA and with
# NCCL's socket transport (the public EFA guide's comparison). Started on
# both nodes by the launcher (diag/recipes/sky/compare.yaml); rank 0 serves and keeps
# every record (the server receives the client's), rank 1 drives the tests.
#
# Settings (environment): FABCHECK_PROVIDER (default efa), FABCHECK_BIN,
# FABCHECK_RESULTS, LIBFABRIC_PREFIX as for diag/recipes/preflight.sh, and
#   COMPARE_PP_SIZES     ping-pong sizes (default 8:1M)
#   COMPARE_BW_SIZES     bandwidth sizes (default 4K:256M)
#   COMPARE_PORT         the first of four bootstrap ports (default 47610)
#   NCCL_TESTS_BIN       all_reduce_perf (default: found in the usual places)
#   NCCL_HOSTS           mpirun's host list (default: the launcher's node
#                        addresses with its GPUs per node as slots each, as
#                        fabcheck-pairs --where reads them: SkyPilot's)
#   NCCL_MPIRUN_ARGS     more mpirun options, split at spaces
#
# Exit: rank 0 0 when the report was written, 3 when a run or the report
# failed (named above), 2 usage; rank 1 exits 0 (rank 0's runs fail too when
# rank 1's do, and SkyPilot would stop rank 0 before it could say so).
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=compare
. "$SRC/diag/recipes/cluster-lib.sh"
PP_SIZES=${COMPARE_PP_SIZES:-8:1M}
BW_SIZES=${COMPARE_BW_SIZES:-4K:256M}
PORT=${COMPARE_PORT:-47610}

FC_RANK=""
build || exit 3
where || exit 2
if [ "$FC_NODES" -ne 2 ]; then
	say "compares two nodes, not $FC_NODES (run it with num_nodes: 2)"
	[ "$FC_RANK" = 0 ] && exit 2
	exit 0
fi
RESULTS=${FABCHECK_RESULTS:-$SRC/results/compare-$(job_id)}
PEER=${FC_COORD%:*} # rank 0's address
provider=${FABCHECK_PROVIDER:-efa}
mkdir -p "$RESULTS" || { say "cannot make $RESULTS"; exit 3; }

# the runs, in order: program, transport; each on its own port, so a client
# that is early waits for its own server instead of meeting the last one
runs=("pingpong ofi" "bw ofi" "pingpong socket" "bw socket")
failed=0
for i in "${!runs[@]}"; do
	read -r prog xport <<<"${runs[$i]}"
	args=(-x "$xport" -B $((PORT + i)) -t 900 -b)
	[ "$xport" = ofi ] && args+=(-p "$provider")
	[ "$prog" = pingpong ] && args+=(-S "$PP_SIZES") || args+=(-S "$BW_SIZES")
	if [ "$FC_RANK" = 0 ]; then
		"$FABCHECK_BIN/fabcheck-$prog" -B $((PORT + i)) -t 900 -b --json "$RESULTS/$prog-$xport.jsonl" >&2 ||
			{ say "fabcheck-$prog over $xport failed (above)"; failed=1; }
	else
		"$FABCHECK_BIN/fabcheck-$prog" "${args[@]}" "$PEER" >&2 || say "fabcheck-$prog over $xport failed (above)"
	fi
done
[ "$FC_RANK" = 0 ] || exit 0

# NCCL, with and without EFA, where this image has nccl-tests
nccl=${NCCL_TESTS_BIN:-}
for c in /opt/nccl-tests/build/all_reduce_perf /usr/local/cuda/efa/test-cuda-*/all_reduce_perf; do
	[ -z "$nccl" ] && [ -x "$c" ] && nccl=$c
done
inputs=("$RESULTS"/*.jsonl)
if [ -z "$nccl" ]; then
	say "no all_reduce_perf here (set NCCL_TESTS_BIN): the report has fabcheck's runs only"
else
	hosts=${NCCL_HOSTS:-}
	if [ -z "$hosts" ]; then
		IFS=, read -ra ips <<<"${FC_HOSTS:-}"
		for ip in "${ips[@]}"; do hosts+="${hosts:+,}$ip:${FC_GPUS:-1}"; done
	fi
	[ -n "$hosts" ] || say "the launcher names no node addresses (fabcheck-pairs --where's hosts=): set NCCL_HOSTS"
	gpus=${FC_GPUS:-1}
fi
# NCCL runs one rank per GPU: a task that asked for no accelerators says 0
# (SkyPilot), and -np 0 with hosts ip:0 would measure nothing
if [ -n "$nccl" ] && [ "$gpus" = 0 ]; then
	say "the launcher says this node has 0 GPUs (the task asked for none): NCCL is not run; give the task the" \
		"node's GPUs, e.g. sky exec CLUSTER diag/recipes/sky/compare.yaml --gpus H100:8"
	failed=1
elif [ -n "$nccl" ]; then
	read -ra extra <<<"${NCCL_MPIRUN_ARGS:-}"
	pass=()
	for v in PATH LD_LIBRARY_PATH; do [ -n "${!v:-}" ] && pass+=(-x "$v"); done
	for net in efa socket; do
		# MPI itself stays off EFA (TCP, never loopback or docker bridges);
		# NCCL_NET=Socket is NCCL's own TCP transport, the guide's baseline
		if [ "$net" = efa ]; then env=(-x FI_PROVIDER=efa); else env=(-x NCCL_NET=Socket); fi
		mpirun --allow-run-as-root -H "$hosts" -np $((2 * gpus)) -N "$gpus" --bind-to none \
			--mca pml '^cm,ucx' --mca btl tcp,self --mca btl_tcp_if_exclude lo,docker0,veth_def_agent \
			"${pass[@]}" -x NCCL_DEBUG=INFO "${env[@]}" "${extra[@]}" \
			"$nccl" -b 8 -e 2G -f 2 -g 1 -c 1 -w 5 -n 20 >"$RESULTS/nccl-$net.txt" 2>"$RESULTS/nccl-$net.err" ||
			{ say "all_reduce_perf over $net failed: $RESULTS/nccl-$net.txt, .err"; failed=1; }
		# the table and NCCL's INFO lines are on stdout; mpirun's own words on stderr
		[ -s "$RESULTS/nccl-$net.err" ] && sed "s/^/$PROG: mpirun: /" "$RESULTS/nccl-$net.err" >&2
		inputs+=("$RESULTS/nccl-$net.txt")
	done
fi

if ! "$FABCHECK_BIN/fabcheck-report" -o "$RESULTS/report" "${inputs[@]}" >/dev/null; then
	say "the report could not be written (above)"
	exit 3
fi
say "report: $RESULTS/report/report.md"
[ "$failed" -eq 0 ] || exit 3
exit 0
