# Shell functions the cluster scripts share (diag/recipes/preflight.sh,
# diag/recipes/compare.sh): building fabcheck on a node, asking fabcheck-pairs which
# node this is, naming the results folder. Sourced with SRC (the source
# tree) and PROG (the script's name for its messages) set.

say() { echo "$PROG: $*" >&2; }

# fabcheck itself: built from this tree once per file system (nodes that
# share a home folder over NFS take turns on the lock), or given.
# Each libfabric gets a build folder of its own (build/, or
# build/prefix-<cksum of LIBFABRIC_PREFIX>): a node building for another
# prefix never rewrites the binaries another node is running. The lock is
# that folder itself, opened for reading: no lock file is created or
# truncated, so a link planted in its place aims nothing.
build() {
	local dir
	if [ -n "${FABCHECK_BIN:-}" ]; then
		[ -x "$FABCHECK_BIN/fabcheck-pairs" ] || { say "FABCHECK_BIN=$FABCHECK_BIN has no fabcheck-pairs"; return 3; }
		return 0
	fi
	if [ -z "${LIBFABRIC_PREFIX:-}" ] && [ -e /opt/amazon/efa/include/rdma/fabric.h ]; then
		export LIBFABRIC_PREFIX=/opt/amazon/efa
	fi
	dir=$SRC/build
	[ -n "${LIBFABRIC_PREFIX:-}" ] && dir=$SRC/build/prefix-$(printf '%s' "$LIBFABRIC_PREFIX" | cksum | cut -d' ' -f1)
	mkdir -p "$dir" || return 3
	[ -d "$dir" ] && [ ! -L "$dir" ] || { say "$dir is not a folder of this tree's (a symbolic link?): remove it"; return 3; }
	# packages are each host's own: installed outside the lock, so nodes
	# sharing the tree over NFS do not wait for each other's package manager
	"$SRC/ci/deps" build >&2 || { say "installing the build's packages failed (above)"; return 3; }
	(
		flock -w 900 9 || { say "another node's build of $SRC held its lock for 15 minutes"; exit 3; }
		make -C "$SRC" -s -j"$(nproc)" ${LIBFABRIC_PREFIX:+BUILD="$dir" LIBFABRIC_PREFIX="$LIBFABRIC_PREFIX"} all >&2 ||
			{ say "building fabcheck in $dir failed (above)"; exit 3; }
	) 9<"$dir" || return 3
	FABCHECK_BIN=$dir/bin
}

# This node's place, as fabcheck-pairs reads the launcher (its table of
# launchers is the only place that knows SLURM_*, SKYPILOT_*, OMPI_*,
# JOB_COMPLETION_INDEX): FC_RANK, FC_NODES, FC_LAUNCHER, FC_COORD
# (HOST:PORT), FC_JOB_ID, FC_NODE_NAME, FC_HOSTS (comma list), FC_GPUS.
# --where prints KEY=VALUE lines with each value one shell word: as is, or
# in '...' when it holds a character a shell treats specially, or in $'...'
# when it holds bytes outside printable ASCII. The '...' form is read back
# here, without eval; a $'...' value stays as written (no launcher value
# these scripts use can have one, and job_id is cut to a safe set anyway).
where() {
	local out key value
	FC_JOB_ID="" FC_NODE_NAME="" FC_HOSTS="" FC_GPUS=""
	out=$("$FABCHECK_BIN/fabcheck-pairs" --where) || return 2
	while IFS='=' read -r key value; do
		if [[ $value == \'*\' ]]; then
			value=${value:1:${#value}-2}
			value=${value//\'\\\'\'/\'}
		fi
		case $key in
		rank) FC_RANK=$value ;;
		nodes) FC_NODES=$value ;;
		launcher) FC_LAUNCHER=$value ;;
		coordinator) FC_COORD=$value ;;
		job_id) FC_JOB_ID=$value ;;
		node_name) FC_NODE_NAME=$value ;;
		hosts) FC_HOSTS=$value ;;
		gpus_per_node) FC_GPUS=$value ;;
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

# the launcher's job id (where() first), else the date: a folder name, so
# cut to [A-Za-z0-9._-]
job_id() {
	local id=${FC_JOB_ID:-}
	[ -n "$id" ] || id=$(date -u +%Y%m%dT%H%M)
	printf '%s' "$id" | tr -c 'A-Za-z0-9._-' '_'
}

