# Shell functions the cluster scripts share (diag/preflight.sh,
# diag/compare.sh): building fabcheck on a node, asking fabcheck-pairs which
# node this is, naming the results folder. Sourced with SRC (the source
# tree) and PROG (the script's name for its messages) set.

say() { echo "$PROG: $*" >&2; }

# fabcheck itself: built from this tree once per file system (nodes that
# share a home folder over NFS take turns on the lock), or given
build() {
	if [ -n "${FABCHECK_BIN:-}" ]; then
		[ -x "$FABCHECK_BIN/fabcheck-pairs" ] || { say "FABCHECK_BIN=$FABCHECK_BIN has no fabcheck-pairs"; return 3; }
		return 0
	fi
	if [ -z "${LIBFABRIC_PREFIX:-}" ] && [ -e /opt/amazon/efa/include/rdma/fabric.h ]; then
		export LIBFABRIC_PREFIX=/opt/amazon/efa
	fi
	mkdir -p "$SRC/build" || return 3
	(
		flock -w 900 9 || { say "another node's build of $SRC held its lock for 15 minutes"; exit 3; }
		"$SRC/ci/deps" build >&2 || exit 3
		make -C "$SRC" -s -j"$(nproc)" ${LIBFABRIC_PREFIX:+LIBFABRIC_PREFIX="$LIBFABRIC_PREFIX"} all >&2 ||
			{ say "building fabcheck in $SRC failed (above)"; exit 3; }
	) 9>"$SRC/build/.preflight.lock" || return 3
	FABCHECK_BIN=$SRC/build/bin
}

# this node's place, as fabcheck-pairs reads the launcher
where() {
	local out key value
	out=$("$FABCHECK_BIN/fabcheck-pairs" --where) || return 2
	while IFS='=' read -r key value; do
		case $key in
		rank) FC_RANK=$value ;;
		nodes) FC_NODES=$value ;;
		launcher) FC_LAUNCHER=$value ;;
		coordinator) FC_COORD=$value ;;
		esac
	done <<<"$out"
}

# Rank 0's name may not resolve yet (a Kubernetes pod's DNS record appears
# when the pod starts): wait for it, up to FABCHECK_JOIN_WAIT seconds
# (default 60), instead of failing the first lookup.
wait_for_coordinator() {
	local host=${FC_COORD%:*} waited=0 limit=${FABCHECK_JOIN_WAIT:-60}
	host=${host#[}
	host=${host%]}
	# an address needs no lookup (and may have no name to look up)
	[[ $host =~ ^[0-9.]+$ || $host == *:* ]] && return 0
	while ! getent ahosts "$host" >/dev/null; do
		if [ "$waited" -ge "$limit" ]; then
			say "rank 0's name '$host' did not resolve within $limit s"
			return 4
		fi
		[ "$waited" -eq 0 ] && say "waiting for rank 0's name '$host' to resolve (up to $limit s)"
		sleep 2
		waited=$((waited + 2))
	done
}

job_id() {
	local id=${SKYPILOT_TASK_ID:-${SLURM_JOB_ID:-${FABCHECK_JOB_ID:-}}}
	[ -n "$id" ] || id=$(date -u +%Y%m%dT%H%M)
	printf '%s' "$id" | tr -c 'A-Za-z0-9._-' '_'
}

