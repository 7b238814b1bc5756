# A small cluster on one machine: CLUSTER_N "hosts" in network namespaces
# fc<T>0..fc<T>N-1, each with two NICs, NIC i of every host on bridge fc<T>bri:
#   host k: fc<k>n0 10.<S>.0.(k+1)/24 on fc<T>br0, fc<k>n1 10.<S>.1.(k+1)/24 on fc<T>br1
# The root namespace holds the bridges (and 10.<S>.0.254, 10.<S>.1.254, so
# mpirun started here reaches the hosts). T (CLUSTER_TAG, one letter) and S
# (CLUSTER_SUBNET) tell one test file's cluster from another's: files run in
# parallel, the tests of one file one after another; a stale cluster of the
# same tag is removed first. Defaults: q and 78 (pairs.bats).
CLUSTER_N=${CLUSTER_N:-4}
CLUSTER_TAG=${CLUSTER_TAG:-q}
CLUSTER_SUBNET=${CLUSTER_SUBNET:-78}

# The test run's slot (helpers.bash) keeps two runs' bridges, hosts and
# subnets apart: asked each time, as files set CLUSTER_TAG after loading.
cluster_tag() { echo "${NS_PREFIX#fc}$CLUSTER_TAG"; }
cluster_subnet() { echo $((CLUSTER_SUBNET + 10 * TEST_SLOT)); }
cluster_host() { echo "fc$(cluster_tag)$1"; }
cluster_ip() { echo "10.$(cluster_subnet).${2:-0}.$(($1 + 1))"; }
# the root namespace's end of host K's NIC I (where tc slows what K receives)
cluster_root_veth() { echo "fc$(cluster_tag)b$1n$2"; }

cluster_down() {
	local t
	t=$(cluster_tag)
	for k in $(seq 0 7); do ip netns del "fc$t$k" 2>/dev/null || true; done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^fc${t}(br[01]|b[0-9]n[01])$"); do
		ip link del "$l" 2>/dev/null || true
	done
	# namespaces and their veths go away asynchronously: wait until gone
	for _ in $(seq 50); do
		ip -o link show 2>/dev/null | grep -qE ": fc${t}(br[01]|b[0-9]n[01])[@:]" || return 0
		sleep 0.1
	done
}

cluster_up() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (ip netns, veth, bridges, tc)"
	cluster_down
	local t
	t=$(cluster_tag)
	export FABCHECK_NS_PREFIX=fc$t # for ns-rsh: this cluster's hosts only
	for i in 0 1; do
		ip link add "fc${t}br$i" type bridge
		ip addr add "10.$(cluster_subnet).$i.254/24" dev "fc${t}br$i"
		ip link set "fc${t}br$i" up
	done
	for k in $(seq 0 $((CLUSTER_N - 1))); do
		ip netns add "fc$t$k"
		ip -n "fc$t$k" link set lo up
		for i in 0 1; do
			ip link add "fc${k}n$i" netns "fc$t$k" type veth peer name "$(cluster_root_veth "$k" "$i")"
			ip link set "$(cluster_root_veth "$k" "$i")" master "fc${t}br$i" up
			ip -n "fc$t$k" addr add "$(cluster_ip "$k" "$i")/24" dev "fc${k}n$i"
			ip -n "fc$t$k" link set "fc${k}n$i" up
		done
	done
	# until every host sees its two NICs as tcp-provider domains
	for _ in $(seq 50); do
		local ready=0
		for k in $(seq 0 $((CLUSTER_N - 1))); do
			[ "$(ip netns exec "fc$t$k" fi_info -p tcp -t FI_EP_RDM 2>/dev/null | grep -c "domain: fc${k}n")" -ge 2 ] &&
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
	ip netns exec "$(cluster_host "$k")" "$@"
}
