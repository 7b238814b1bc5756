#!/usr/bin/env bats
# Every NIC at once, for real: two hosts in network namespaces joined by two
# veth pairs, each veth its own tcp-provider domain (see netns.bash).

load helpers
load netns

setup_file() {
	# the tests reshape the same two hosts' routes and links: one at a time
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	netns_down
	netns_up
}

teardown_file() {
	netns_down
}

setup() {
	needs_root
	PORT=$(test_port)
	OUT="$BATS_TEST_TMPDIR"
	SERVER_PID=
	SERVER_NS=$NS_B
	CLIENT_NS=$NS_A
	PEER=10.77.0.2
	# each test starts with plain routes and unshaped links
	ip -n "$NS_A" route del 10.77.1.2/32 2>/dev/null || true
	tc -n "$NS_A" qdisc del dev fcna1 root 2>/dev/null || true
}

bw_all_nics() {
	start_server "$BW" -p tcp -d all -S 1M -I 4 -w 1 -v --json "$OUT/server.jsonl" "$@"
	run_client "$BW" -p tcp -d all -S 1M -I 4 -w 1 -v --json "$OUT/client.jsonl" "$@"
	wait_server
	show
}

@test "multinic_every_nic_carries_its_own_traffic" {
	bw_all_nics
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	# one record per NIC, NIC i paired with the peer's NIC i, plus the aggregate
	jq -e -s 'map(select(.test == "bw")) | map(.domain) == ["fcna0", "fcna1", "all"]' "$OUT/client.jsonl"
	jq -e -s 'map(select(.test == "bw" and .lane != "all")) | map(.peer_addr | split(":")[1])
		== ["//10.77.0.2", "//10.77.1.2"]' "$OUT/client.jsonl"
	# each NIC's own counters moved at least by what fabcheck sent through it
	jq -e -s 'map(select(.test == "coverage")) | length == 2 and all(.[]; .coverage == "ok"
		and .sent_bytes > 30000000 and .nic_tx_bytes >= .sent_bytes)' "$OUT/client.jsonl"
	jq -e -s 'map(select(.test == "coverage")) | map(.domain) == ["fcnb0", "fcnb1"]
		and all(.[]; .coverage == "ok" and .nic_rx_bytes >= .recv_bytes and .recv_bytes > 30000000)' "$OUT/server.jsonl"
}

@test "multinic_traffic_forced_onto_one_nic_is_a_coverage_failure" {
	# NIC 1's peer is routed through NIC 0: the endpoint on fcna1 still
	# "works", but fcna1 carries nothing. fabcheck must say so.
	ip -n "$NS_A" route add 10.77.1.2/32 dev fcna0
	bw_all_nics
	[ "$CLIENT_RC" -eq 1 ]
	[ "$SERVER_RC" -eq 1 ]
	grep -q "traffic for fcna1 went elsewhere" "$OUT/client.err"
	grep -q "traffic for fcnb1 went elsewhere" "$OUT/server.err"
	jq -e -s 'map(select(.test == "coverage")) | map(.coverage) == ["ok", "failed"]' "$OUT/client.jsonl"
	jq -e -s 'map(select(.test == "coverage"))[1] | .nic_tx_bytes < .sent_bytes' "$OUT/client.jsonl"
}

@test "multinic_slow_link_is_the_slower_nic_in_per_nic_records" {
	tc -n "$NS_A" qdisc add dev fcna1 root tbf rate 20mbit burst 64kb latency 400ms
	start_server "$BW" --json "$OUT/server.jsonl"
	# blocking: four spinning threads on two busy cores once left the
	# unshaped lane at 23 MB/s
	run_client "$BW" -p tcp -b -d all -S 256K -W 8 -I 4 -w 1 --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	# 20 Mbit/s is 0.0025 GB/s: fcna1 is capped there, fcna0 is not (far
	# above even on a loaded machine)
	jq -e -s 'map(select(.test == "bw")) | (.[1].bw_gbps < 0.003) and (.[0].bw_gbps > 4 * .[1].bw_gbps)' "$OUT/client.jsonl"
}

@test "multinic_domain_list_pairs_named_nics" {
	start_server "$BW" -p tcp -d fcnb1 -S 64K -I 3 --json "$OUT/server.jsonl"
	run_client "$BW" -p tcp -d fcna1 -S 64K -I 3 --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "bw")) | length == 1 and .[0].domain == "fcna1"
		and (.[0].local_addr | contains("10.77.1.1"))' "$OUT/client.jsonl"
}

@test "multinic_lane_count_mismatch_exits_2" {
	start_server "$BW" -p tcp -d fcnb0 -S 64K -I 3
	run_client "$BW" -p tcp -d all -S 64K -I 3
	wait_server
	show
	[ "$CLIENT_RC" -eq 2 ]
	[ "$SERVER_RC" -eq 2 ]
	grep -q "has 2 lane(s)" "$OUT/client.err"
}

@test "multinic_pingpong_per_nic_over_namespaces" {
	start_server "$PP" -p tcp -d all -S 8,64K -I 50 -v --json "$OUT/server.jsonl"
	run_client "$PP" -p tcp -d all -S 8,64K -I 50 -v --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	# a record per NIC and size, and the aggregate of both NICs at each size
	jq -e -s 'map(select(.test == "pingpong")) | length == 6 and all(.[]; .lat_us_p50 > 0)
		and (map(select(.lane == "all")) | length == 2 and all(.[]; .domain == "all" and .lanes == 2))' "$OUT/client.jsonl"
}

@test "multinic_a_nic_that_is_down_is_named_and_the_other_is_measured" {
	# host A's second NIC is down: both sides still run -d all, NIC 0 is
	# measured, NIC 1 is named with its link state, and the run says so (1)
	ip -n "$NS_A" link set fcna1 down
	start_server "$BW" --json "$OUT/server.jsonl"
	run_client "$BW" -p tcp -d all -S 64K -I 3 --json "$OUT/client.jsonl"
	wait_server
	ip -n "$NS_A" link set fcna1 up
	show
	[ "$CLIENT_RC" -eq 1 ]
	[ "$SERVER_RC" -eq 1 ]
	grep -q "NIC fcna1 of vm is down: lane 1 was not measured" "$OUT/client.err"
	# the server's end of that link has no carrier: it says so of its own NIC
	grep -q "NIC fcnb1 of vm is no carrier: lane 1 was not measured" "$OUT/server.err"
	# the NIC both sides have was measured; the missing one is a record
	jq -e -s 'map(select(.test == "bw")) | length == 1 and .[0].domain == "fcna0" and .[0].lanes == 1' "$OUT/client.jsonl"
	jq -e -s 'map(select(.test == "nic")) | length == 1 and .[0].domain == "fcna1" and .[0].link_state == "down"' \
		"$OUT/client.jsonl"
	! grep -q "give both sides -d lists" "$OUT/client.err" "$OUT/server.err"
}
