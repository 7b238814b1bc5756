# A small cluster on one machine: CLUSTER_N "hosts" in network namespaces
# fcq0..fcqN-1, each with two NICs, NIC i of every host on bridge fcbri:
#   host k: fc<k>n0 10.78.0.(k+1)/24 on fcbr0, fc<k>n1 10.78.1.(k+1)/24 on fcbr1
# The root namespace holds the bridges (and 10.78.0.254, 10.78.1.254, so
# mpirun started here reaches the hosts). Names are fixed: one cluster at a
# time (the pairs tests run one after another), a stale one is removed first.
CLUSTER_N=${CLUSTER_N:-4}

cluster_host() { echo "fcq$1"; }
cluster_ip() { echo "10.78.${2:-0}.$(($1 + 1))"; }

cluster_down() {
	for k in $(seq 0 7); do ip netns del "fcq$k" 2>/dev/null || true; done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^fcb(r[01]|[0-9]n[01])$'); do
		ip link del "$l" 2>/dev/null || true
	done
	# namespaces and their veths go away asynchronously: wait until gone
	for _ in $(seq 50); do
		ip -o link show 2>/dev/null | grep -qE ': fcb(r[01]|[0-9]n[01])[@:]' || return 0
		sleep 0.1
	done
}

cluster_up() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (ip netns, veth, bridges, tc)"
	cluster_down
	for i in 0 1; do
		ip link add "fcbr$i" type bridge
		ip addr add "10.78.$i.254/24" dev "fcbr$i"
		ip link set "fcbr$i" up
	done
	for k in $(seq 0 $((CLUSTER_N - 1))); do
		ip netns add "fcq$k"
		ip -n "fcq$k" link set lo up
		for i in 0 1; do
			ip link add "fc${k}n$i" netns "fcq$k" type veth peer name "fcb${k}n$i"
			ip link set "fcb${k}n$i" master "fcbr$i" up
			ip -n "fcq$k" addr add "$(cluster_ip "$k" "$i")/24" dev "fc${k}n$i"
			ip -n "fcq$k" link set "fc${k}n$i" up
		done
	done
	# until every host sees its two NICs as tcp-provider domains
	for _ in $(seq 50); do
		local ready=0
		for k in $(seq 0 $((CLUSTER_N - 1))); do
			[ "$(ip netns exec "fcq$k" fi_info -p tcp -t FI_EP_RDM 2>/dev/null | grep -c "domain: fc${k}n")" -ge 2 ] &&
				ready=$((ready + 1))
		done
		[ "$ready" -eq "$CLUSTER_N" ] && return 0
		sleep 0.1
	done
	echo "cluster_up: the hosts' NICs never appeared as tcp domains" >&2
	return 1
}

# on_host K CMD...: run a command on host K
on_host() {
	local k=$1
	shift
	ip netns exec "fcq$k" "$@"
}
