#!/usr/bin/env bats
# fabcheck-pairs for real: agents on loopback (started directly and by
# mpirun), and on a cluster of network-namespace hosts with two NICs each
# (cluster.bash), with slow, cut and missing links.

load helpers
load cluster

PAIRS="$FABCHECK_BIN/fabcheck-pairs"
REPORT="$FABCHECK_BIN/fabcheck-report"
# Every agent of these clusters shares two CPUs: blocking completions (no
# spinning agent starves another) and wide verdict lines (a loaded box
# moves numbers by half; the slow hosts here are 30x slower). The verdict
# rules themselves are unit-tested (test_pairs_logic).
LOOSE=(-b --fail 0.3 --warn 0.4)
# runs that only healthy links carry, where the test is the schedule and the
# plumbing, not a verdict on speed: 5 agents on 2 cores beside 7 other test
# jobs can put one pair over 3x the median latency twice (a retry); 20x not
HEALTHY=(-b --fail 0.05 --warn 0.1)

setup_file() {
	# one cluster of namespaces at a time, and mpirun wants the CPUs
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	pkill -f "fabcheck-pairs.*--coordinator 10.78.0.1:$PORT" 2>/dev/null || true
	pkill -f "fabcheck-pairs.*--coordinator 127.0.0.1:$PORT" 2>/dev/null || true
	cluster_down
}

# agents N HOSTIP|"" ARGS...: ranks 1..N-1 in the background, in their
# namespaces when a cluster is up (HOSTIP set); logs in $OUT/agentK.log
agents() {
	local n=$1 coord=$2
	shift 2
	AGENTS=()
	for k in $(seq 1 $((n - 1))); do
		${coord:+on_host "$k"} timeout 120 "$PAIRS" --rank "$k" --nodes "$n" --coordinator "${coord:-127.0.0.1}:$PORT" \
			"$@" >"$OUT/agent$k.log" 2>&1 3>&- &
		AGENTS+=($!)
	done
}

# coordinator N HOSTIP|"" ARGS...: rank 0 in the foreground; COORD_RC
coordinator() {
	local n=$1 coord=$2
	shift 2
	${coord:+on_host 0} timeout 180 "$PAIRS" --rank 0 --nodes "$n" --coordinator "${coord:-127.0.0.1}:$PORT" \
		-o "$OUT/pairs" "$@" >"$OUT/coord.out" 2>"$OUT/coord.err" && COORD_RC=0 || COORD_RC=$?
	AGENT_RCS=()
	for pid in "${AGENTS[@]}"; do
		wait "$pid" && AGENT_RCS+=(0) || AGENT_RCS+=($?)
	done
	cat "$OUT/coord.err"
}

# every unordered pair of N ranks measured both ways, exactly once by the
# schedule (a loaded box may add retry rounds, which the round records name)
every_pair_once() {
	jq -e -s --argjson n "$1" '[.[] | select(.test == "round" and (.reason | test("retries"))) | .round] as $retry
		| [.[] | select(.test == "bw" and (.lane == 0 or .lane == "all") and .lanes >= 1
		and (.lanes == 1 or .lane == "all") and (.round as $r | $retry | index($r) | not)) | [.rank, .peer_rank]] | sort
		== [range(0; $n) as $a | range(0; $n) as $b | select($a != $b) | [$a, $b]]' "$OUT/pairs/pairs.jsonl"
}

verdict_of() { # RANK
	jq -r --argjson r "$1" '.node_verdicts[] | select(.rank == $r) | .verdict' "$OUT/pairs/verdict.json"
}

agents_exited_0() {
	for rc in "${AGENT_RCS[@]}"; do [ "$rc" -eq 0 ]; done
}

@test "pairs_loopback_four_agents_meet_every_pair_once_and_pass" {
	agents 4 "" -p tcp --quick "${HEALTHY[@]}"
	coordinator 4 "" -p tcp --quick "${HEALTHY[@]}"
	[ "$COORD_RC" -eq 0 ]
	agents_exited_0
	every_pair_once 4
	jq -e '.verdict == "pass" and .passed == 4' "$OUT/pairs/verdict.json"
	[ "$(wc -l <"$OUT/pairs/good-hosts.txt")" -eq 4 ]
	[ ! -s "$OUT/pairs/bad-hosts.txt" ]
	# the same endpoints all run long: every record of a rank names one address
	for r in 0 1 2 3; do
		[ "$(jq -r --argjson r $r 'select(.rank == $r and .test == "bw") | .local_addr' "$OUT/pairs/pairs.jsonl" | sort -u | wc -l)" -eq 1 ]
	done
	# and the CSV holds the same records
	[ "$(($(wc -l <"$OUT/pairs/pairs.csv") - 1))" -eq "$(wc -l <"$OUT/pairs/pairs.jsonl")" ]
}

@test "pairs_mpirun_np4_and_np5_on_loopback_meet_every_pair_once" {
	for n in 4 5; do
		run timeout 240 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
			mpirun --oversubscribe -np "$n" --mca mpi_yield_when_idle 1 --mca btl self,tcp \
			"$PAIRS" --coordinator "127.0.0.1:$PORT" -p tcp --quick "${HEALTHY[@]}" -o "$OUT/pairs"
		echo "$output" | tail -20
		# what the verdict rested on, shown if this fails
		jq -c '.links, [.node_verdicts[] | select(.verdict != "pass")]' "$OUT/pairs/verdict.json" || true
		jq -c 'select(.rank == 0 and .peer_rank == 1 and (.test == "pingpong" or .test == "bw" or .test == "pair"))
			| {test, size, lat_us_p50, bw_gbps, verdict, reason}' "$OUT/pairs/pairs.jsonl" || true
		[ "$status" -eq 0 ]
		every_pair_once "$n"
		# an odd count: every round, one rank sits out
		[ "$(jq -s 'map(select(.test == "round" and (.reason | startswith("1 pair") | not))) | length' "$OUT/pairs/pairs.jsonl")" -ge 1 ]
		rm -rf "$OUT/pairs"
	done
}

@test "pairs_namespace_hosts_a_slow_host_is_named_and_left_out_of_the_hostfile" {
	cluster_up
	# host 3's link shaped both ways
	tc -n fcq3 qdisc add dev fc3n0 root tbf rate 100mbit burst 32kb latency 400ms
	tc qdisc add dev "$(cluster_root_veth 3 0)" root tbf rate 100mbit burst 32kb latency 400ms
	agents 4 10.78.0.1 -p tcp --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	coordinator 4 10.78.0.1 -p tcp --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	agents_exited_0
	[ "$(verdict_of 3)" = fail ]
	for r in 0 1 2; do [ "$(verdict_of $r)" = pass ]; done
	grep -q "fail 10.78.0.4 (rank 3)" "$OUT/coord.err"
	grep -q "scontrol update NodeName=10.78.0.4 State=DRAIN" "$OUT/coord.err"
	[ "$(cat "$OUT/pairs/good-hosts.txt")" = "$(printf '10.78.0.1\n10.78.0.2\n10.78.0.3')" ]
	grep -q "^10.78.0.4" "$OUT/pairs/bad-hosts.txt"
	# records name both ends by rank and address
	jq -e -s 'map(select(.test == "bw")) | all(.[]; (.local_host | startswith("10.78.0.")) and (.peer_host | startswith("10.78.0.")))' \
		"$OUT/pairs/pairs.jsonl"
	# the report draws the cluster from the folder
	run timeout 60 "$REPORT" -o "$OUT/report" "$OUT/pairs"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "10.78.0.4" "$OUT/report/report.md"
	[ -f "$OUT/report/heatmap.png" ]
}

@test "pairs_namespace_hosts_through_mpirun_and_an_rsh_agent" {
	cluster_up
	printf '%s slots=1\n' 10.78.0.1 10.78.0.2 10.78.0.3 10.78.0.4 >"$OUT/hostfile"
	run timeout 240 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
		mpirun --hostfile "$OUT/hostfile" -np 4 --mca plm_rsh_agent "$BATS_TEST_DIRNAME/ns-rsh" \
		--mca mpi_yield_when_idle 1 --mca btl self,tcp --mca oob_tcp_if_include 10.78.0.0/24 \
		"$PAIRS" --coordinator "10.78.0.1:$PORT" -p tcp --quick "${HEALTHY[@]}" -o "$OUT/pairs"
	echo "$output" | tail -20
	[ "$status" -eq 0 ]
	every_pair_once 4
	jq -e '.verdict == "pass"' "$OUT/pairs/verdict.json"
	# each rank ran in its own host: its records carry its own address
	for r in 0 1 2 3; do
		jq -e -s --argjson r $r "map(select(.test == \"bw\" and .rank == \$r)) | all(.[]; .local_host == \"10.78.0.$((r + 1))\")" \
			"$OUT/pairs/pairs.jsonl"
	done
}

@test "pairs_namespace_hosts_a_link_cut_mid_run_is_unreachable_and_the_run_completes" {
	cluster_up
	agents 4 10.78.0.1 -p tcp --bw-sizes 1M --pingpong-sizes 8 --size-time 0.3 --pair-timeout 8 -T 2 "${LOOSE[@]}"
	(sleep 2.5 && ip -n fcq2 link set fc2n0 down) 3>&- &
	start=$SECONDS
	coordinator 4 10.78.0.1 -p tcp --bw-sizes 1M --pingpong-sizes 8 --size-time 0.3 --pair-timeout 8 -T 2 \
		"${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	[ $((SECONDS - start)) -lt 60 ]
	agents_exited_0
	[ "$(verdict_of 2)" = unreachable ]
	# its partners are not blamed for it
	for r in 0 1 3; do [ "$(verdict_of $r)" = pass ]; done
	grep -q "unreachable 10.78.0.3 (rank 2)" "$OUT/coord.err"
}

@test "pairs_namespace_hosts_a_slow_nic_of_two_is_named" {
	cluster_up
	tc -n fcq3 qdisc add dev fc3n1 root tbf rate 100mbit burst 32kb latency 400ms
	tc qdisc add dev "$(cluster_root_veth 3 1)" root tbf rate 100mbit burst 32kb latency 400ms
	agents 4 10.78.0.1 -p tcp -d all --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	coordinator 4 10.78.0.1 -p tcp -d all --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	[ "$(verdict_of 3)" = fail ]
	jq -e '.node_verdicts[] | select(.rank == 3) | .bad_nics == ["fc3n1"]' "$OUT/pairs/verdict.json"
	grep -q "NIC fc3n1 (lane 1) is the slow one" "$OUT/coord.err"
	jq -e -s 'map(select(.test == "verdict" and .scope == "nic")) | length == 1 and .[0].domain == "fc3n1"' \
		"$OUT/pairs/pairs.jsonl"
}

@test "pairs_an_agent_that_never_starts_is_unreachable_and_the_quorum_decides" {
	# 3 of 4: enough (2, and half): the run goes on without rank 3
	agents 3 "" -p tcp --quick --nodes 4 "${LOOSE[@]}"
	coordinator 4 "" -p tcp --quick --join-timeout 3 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	agents_exited_0
	[ "$(verdict_of 3)" = unreachable ]
	jq -e '.node_verdicts[] | select(.rank == 3) | .reason | contains("never joined")' "$OUT/pairs/verdict.json"
	rm -rf "$OUT/pairs"
	# 2 of 5: below the quorum of 3: exit 4, no pair measured
	agents 2 "" -p tcp --quick --nodes 5 "${LOOSE[@]}"
	coordinator 5 "" -p tcp --quick --join-timeout 3 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 4 ]
	agents_exited_0
	grep -q "quorum not reached: 2 of 5 node(s) ready, at least 3 needed" "$OUT/coord.err"
	jq -e '.verdict == "quorum"' "$OUT/pairs/verdict.json"
}

@test "pairs_help_and_usage_errors" {
	run timeout 20 "$PAIRS" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--coordinator"* && "$output" == *"--mode full|sweep"* ]]
	run timeout 20 env -u OMPI_COMM_WORLD_RANK "$PAIRS" --quick
	[ "$status" -eq 2 ]
	[[ "$output" == *"give --rank and --nodes"* ]]
	run timeout 20 "$PAIRS" --rank 1 --nodes 2
	[ "$status" -eq 2 ]
	[[ "$output" == *"give --coordinator"* ]]
	run timeout 20 "$PAIRS" --mode ring
	[ "$status" -eq 2 ]
}

@test "pairs_namespace_hosts_a_nic_that_is_down_is_a_finding_not_a_usage_error" {
	cluster_up
	ip -n fcq1 link set fc1n1 down
	agents 4 10.78.0.1 -p tcp -d all --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	coordinator 4 10.78.0.1 -p tcp -d all --quick --bw-sizes 64K -W 4 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	agents_exited_0
	[ "$(verdict_of 1)" = fail ]
	jq -e '.node_verdicts[] | select(.rank == 1) | .bad_nics == ["fc1n1"]' "$OUT/pairs/verdict.json"
	grep -q "NIC fc1n1 (lane 1) is down" "$OUT/coord.err"
	jq -e -s 'map(select(.test == "verdict" and .scope == "nic")) | .[0].verdict == "down" and .[0].link_state == "down"' \
		"$OUT/pairs/pairs.jsonl"
	# the NICs that are up were measured between every pair
	every_pair_once 4
	! grep -q "give both sides -d lists" "$OUT"/agent*.log "$OUT/coord.err"
}
