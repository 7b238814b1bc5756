# Two "hosts" in network namespaces joined by two veth pairs: two NICs per
# host, each its own tcp-provider domain.
#   host A: fcna0 10.77.0.1/24, fcna1 10.77.1.1/24
#   host B: fcnb0 10.77.0.2/24, fcnb1 10.77.1.2/24
# Names carry the test run's slot (helpers.bash): the tests of a file run
# one at a time, and a stale pair from a killed run of the same slot is
# removed by the next netns_up. The veths live inside the namespaces, so
# their names never meet another run's.
NS_A=${NS_PREFIX}nsA
NS_B=${NS_PREFIX}nsB

# needs_root: network namespaces and veth pairs need root (CAP_NET_ADMIN)
needs_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (ip netns, veth, tc)"
}

netns_up() {
	needs_root
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
	for i in 0 1; do
		ip link add "fcna$i" netns "$NS_A" type veth peer name "fcnb$i" netns "$NS_B"
		ip -n "$NS_A" addr add "10.77.$i.1/24" dev "fcna$i"
		ip -n "$NS_B" addr add "10.77.$i.2/24" dev "fcnb$i"
		ip -n "$NS_A" link set "fcna$i" up
		ip -n "$NS_B" link set "fcnb$i" up
	done
	# wait until both hosts see both NICs as tcp-provider domains
	for _ in $(seq 50); do
		[ "$(ip netns exec "$NS_B" fi_info -p tcp -t FI_EP_RDM 2>/dev/null | grep -c 'domain: fcnb')" -ge 2 ] &&
			[ "$(ip netns exec "$NS_A" fi_info -p tcp -t FI_EP_RDM 2>/dev/null | grep -c 'domain: fcna')" -ge 2 ] &&
			return 0
		sleep 0.1
	done
	echo "netns_up: the veth NICs never appeared as tcp domains" >&2
	return 1
}

netns_down() {
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
}

# in_a / in_b CMD...: run a command on host A or B
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
