#!/usr/bin/env bats
# fabcheck-pairs when an agent misbehaves mid-run, on network-namespace
# hosts over the tcp provider (the ofi transport's long-lived endpoints):
# the faulty node is named and no partner is blamed for it, which also
# proves a step that timed out leaves nothing behind for the next round
# (a partner that failed with the stalled node meets a healthy one next
# and must pass). Its own cluster (tag f), beside pairs.bats's.

load helpers
load cluster
load pairs

CLUSTER_TAG=f
CLUSTER_SUBNET=81
NET=$(cluster_subnet) # 81, moved by the test slot
# small sizes, -T 3 (what finds the faulty agent) and a step budget a box
# running ten test jobs cannot overrun (--pair-timeout 30: 10 s a step; at
# 4 s, healthy pairs' blocking ping-pong ran out of it after a fault round)
RUN=(-p tcp --bw-sizes 64K --pingpong-sizes 8 --size-time 0.1 --pair-timeout 30 -T 3 "${LOOSE[@]}")

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	pkill -CONT -f "fabcheck-pairs.*--coordinator 10.$NET.0.1:$PORT" 2>/dev/null || true
	pkill -f "fabcheck-pairs.*--coordinator 10.$NET.0.1:$PORT" 2>/dev/null || true
	cluster_down
}

# fault_once_ready SIGNAL...: once every node is ready and the rounds run,
# sends each signal in turn (a "sleep:N" between) to rank 3's agent: the
# program itself (its command line starts with it), not its wrappers
fault_once_ready() {
	local me="^$PAIRS --rank 3 --nodes 4 --coordinator 10.$NET.0.1:$PORT "
	(wait_for_text "$OUT/coord.err" "node(s) ready" 60 || true
	 sleep 0.3
	 for s in "$@"; do
		case $s in
		sleep:*) sleep "${s#sleep:}" ;;
		*) pkill -"$s" -f "$me" || echo "fault_once_ready: no rank 3 to send $s" >&2 ;;
		esac
	 done) 3>&- &
}

@test "pairs_faults_a_stalled_agent_blames_no_partner_and_their_next_rounds_are_clean" {
	cluster_up
	agents 4 10.$NET.0.1 "${RUN[@]}"
	# stopped longer than a step's budget, then resumed
	fault_once_ready STOP sleep:8 CONT
	coordinator 4 10.$NET.0.1 "${RUN[@]}"
	[ "$COORD_RC" -eq 0 ] || [ "$COORD_RC" -eq 1 ]
	agents_exited_0
	# the pair it stalled failed ...
	grep -Eq "round [0-9]+: 10\.$NET\.0\.[0-9] with 10\.$NET\.0\.4: |round [0-9]+: 10\.$NET\.0\.4 with " "$OUT/coord.err"
	# ... and every pair without it passed, in every round: a partner
	# that timed out with it met a healthy node next on a clean endpoint
	! grep -E "round [0-9]+: 10\.$NET\.0\.[123] with 10\.$NET\.0\.[123]: " "$OUT/coord.err"
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ] || [ "$(verdict_of $r)" = warn ]; done
	# whatever is drained or suspect is the stalled node (or nothing: it
	# measured well on the retry once resumed)
	! grep -v "^10\.$NET\.0\.4	" "$OUT/pairs/bad-hosts.txt"
	jq -e --arg h "10.$NET.0.4" '.links | all(.a == $h or .b == $h)' "$OUT/pairs/verdict.json"
}

@test "pairs_faults_a_killed_agent_is_unreachable_and_nobody_else_is_blamed" {
	cluster_up
	agents 4 10.$NET.0.1 "${RUN[@]}"
	fault_once_ready KILL
	start=$SECONDS
	coordinator 4 10.$NET.0.1 "${RUN[@]}"
	[ "$COORD_RC" -eq 1 ]
	[ $((SECONDS - start)) -lt 90 ]
	[ "$(verdict_of 3)" = unreachable ]
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ]; done
	[ "$(cat "$OUT/pairs/good-hosts.txt")" = "$(printf '%s\n' "10.$NET.0.1" "10.$NET.0.2" "10.$NET.0.3")" ]
}

@test "pairs_faults_a_host_that_loses_packets_is_named_for_loss" {
	cluster_up
	# every 50th packet into host 3 dropped (2%): TCP hides the loss from
	# the bandwidth numbers, not from its retransmission counters
	on_host 3 iptables -A INPUT -m statistic --mode nth --every 50 --packet 0 -j DROP
	agents 4 10.$NET.0.1 "${RUN[@]}"
	coordinator 4 10.$NET.0.1 "${RUN[@]}"
	jq -c 'select(.test == "coverage" and (.rank == 3 or .peer_rank == 3)) | {rank, peer_rank, round, nic_tx_pkts, nic_retrans}' "$OUT/pairs/pairs.jsonl"
	[ "$COORD_RC" -eq 1 ]
	jq -e '.node_verdicts[] | select(.rank == 3) | .verdict == "fail" and .kind == "loss"
		and (.evidence | map(select(.test == "loss")) | .[0].score > .[0].fail_line)' "$OUT/pairs/verdict.json"
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ] || [ "$(verdict_of $r)" = warn ]; done
	grep -q "^10\.$NET\.0\.4	fail: losing packets" "$OUT/pairs/bad-hosts.txt"
}

@test "pairs_faults_a_security_group_that_lets_only_the_coordinator_through_is_a_configuration" {
	cluster_up
	# the tcp provider's listeners on a port range of this slot's own, which
	# every host refuses: the coordinator's port and the agents' bootstrap
	# work, the traffic between nodes does not (an AWS security group
	# without its all-traffic rule to itself)
	local low=$((20000 + TEST_SLOT * 5000 + 4800)) high=$((20000 + TEST_SLOT * 5000 + 4999)) k
	for k in 0 1 2 3; do
		on_host $k iptables -A INPUT -p tcp --dport "$low:$high" -j DROP
	done
	FI_TCP_PORT_LOW_RANGE=$low FI_TCP_PORT_HIGH_RANGE=$high agents 4 10.$NET.0.1 "${RUN[@]}"
	FI_TCP_PORT_LOW_RANGE=$low FI_TCP_PORT_HIGH_RANGE=$high coordinator 4 10.$NET.0.1 "${RUN[@]}"
	[ "$COORD_RC" -eq 3 ]
	grep -q "configuration: no pair of the 4 node(s) measured anything, although each reached the coordinator" "$OUT/coord.err"
	grep -q "security group must allow all traffic to and from itself" "$OUT/coord.err"
	jq -e '.verdict == "configuration" and (.commands | length == 0)' "$OUT/pairs/verdict.json"
	[ ! -s "$OUT/pairs/bad-hosts.txt" ] && [ ! -s "$OUT/pairs/good-hosts.txt" ]
}

@test "pairs_faults_a_node_whose_security_group_drops_the_traffic_between_nodes_is_named_blocked" {
	cluster_up
	# only host 3 drops the tcp provider's data ports, both ways (a node
	# launched into a security group without the all-traffic self rule):
	# its agent joins and reports, no step with it completes. Both NICs
	# (-d all): every lane is dropped, so no single NIC is named
	local low=$((20000 + TEST_SLOT * 5000 + 4800)) high=$((20000 + TEST_SLOT * 5000 + 4999))
	on_host 3 iptables -A INPUT -p tcp --dport "$low:$high" -j DROP
	on_host 3 iptables -A OUTPUT -p tcp --dport "$low:$high" -j DROP
	FI_TCP_PORT_LOW_RANGE=$low FI_TCP_PORT_HIGH_RANGE=$high agents 4 10.$NET.0.1 "${RUN[@]}" -d all
	FI_TCP_PORT_LOW_RANGE=$low FI_TCP_PORT_HIGH_RANGE=$high coordinator 4 10.$NET.0.1 "${RUN[@]}" -d all
	[ "$COORD_RC" -eq 1 ]
	[ "$(verdict_of 3)" = fail ]
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ] || [ "$(verdict_of $r)" = warn ]; done
	jq -e '.node_verdicts[] | select(.rank == 3) | .kind == "blocked" and .bad_nics == []' "$OUT/pairs/verdict.json"
	grep -q "fail 10\.$NET\.0\.4 (rank 3): no step completed with any of its 3 partners.*security group that does not allow all traffic to and from itself" \
		"$OUT/coord.err"
	grep -q "^10\.$NET\.0\.4	fail: no step completed" "$OUT/pairs/bad-hosts.txt"
	! grep -q "^10\.$NET\.0\.4" "$OUT/pairs/good-hosts.txt"
	# the numbers of the three others cannot be judged against each other
	grep -q "3 of 4 node(s) measured: the relative rule needs 4" "$OUT/coord.err"
}

@test "pairs_faults_a_pair_far_slower_than_the_others_is_cut_and_its_slow_host_named" {
	cluster_up
	# host 3's link shaped both ways to 1 Mb/s: a 64 KiB window of its
	# pairs takes tens of seconds, the others' well under one
	tc -n "$(cluster_host 3)" qdisc add dev fc3n0 root tbf rate 1mbit burst 16kb latency 400ms
	tc qdisc add dev "$(cluster_root_veth 3 0)" root tbf rate 1mbit burst 16kb latency 400ms
	local slow=(-p tcp --bw-sizes 64K --pingpong-sizes 8 --size-time 0.1 --pair-timeout 90 -b --fail 0.3 --warn 0.4)
	agents 4 10.$NET.0.1 "${slow[@]}"
	local start=$SECONDS
	CUT_FACTOR=5 coordinator 4 10.$NET.0.1 "${slow[@]}"
	echo "# $((SECONDS - start)) s" >&3
	[ "$COORD_RC" -eq 1 ]
	grep -Eq "cutting (10\.$NET\.0\.4 with|.* with 10\.$NET\.0\.4) after .* 5 x the run's median pair" "$OUT/coord.err"
	jq -e '.timing.pairs_cut >= 1' "$OUT/pairs/verdict.json"
	[ "$(verdict_of 3)" = fail ]
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ] || [ "$(verdict_of $r)" = warn ]; done
	# every cut pair is one of the slow host's
	! grep "cutting" "$OUT/coord.err" | grep -v "10\.$NET\.0\.4"
	# both ends of a cut step said why
	grep -q "the coordinator ended the pair, slower than the run's other pairs" "$OUT/agent3.log"
}
