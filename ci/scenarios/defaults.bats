#!/usr/bin/env bats
# The pre-flight on its default thresholds (--fail 0.8 --warn 0.9), on
# network-namespace hosts over the tcp provider: `make scenarios` runs this
# file SCENARIO_RUNS times (3) on a quiet machine and prints each run's
# verdict and wall time. Not part of make check: there, nine other test jobs
# share two cores and a healthy pair's bandwidth spreads threefold
# (0.78-2.28 GB/s in one run), wider than any fixed line should be, so
# make check's cluster tests use loose lines and prove the naming, and
# this file proves the defaults. SCENARIO_LOAD=N runs N busy loops beside
# each scenario (make scenarios SCENARIO_LOAD=2: the load of two other
# jobs on a 2-core box).

# the coordinator's own default --cut-factor (pairs.bash sets 0 otherwise)
CUT_FACTOR=
load ../integration/helpers
load ../integration/cluster
load ../integration/pairs

CLUSTER_TAG=d
CLUSTER_SUBNET=83
NET=$(cluster_subnet) # 83, moved by the test slot

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

setup() {
	PORT=$(test_port)
	OUT="$BATS_TEST_TMPDIR"
	LOAD_PIDS=()
	for _ in $(seq "${SCENARIO_LOAD:-0}"); do
		timeout 900 sh -c 'while :; do :; done' 3>&- &
		LOAD_PIDS+=($!)
	done
}

teardown() {
	pkill -f "fabcheck-pairs.*--coordinator 10.$NET.0.1:$PORT" 2>/dev/null || true
	[ ${#LOAD_PIDS[@]} -eq 0 ] || kill "${LOAD_PIDS[@]}" 2>/dev/null || true
	cluster_down
}

@test "scenario_a_healthy_cluster_of_six_passes_on_the_default_thresholds" {
	CLUSTER_N=6 cluster_up
	# a healthy cluster passes on the defaults, run after run
	agents 6 10.$NET.0.1 -p tcp --quick -b
	start=$SECONDS
	coordinator 6 10.$NET.0.1 -p tcp --quick -b
	echo "# healthy (${SCENARIO_LOAD:-0} busy loop(s) beside): $((SECONDS - start)) s, $(jq -r '"\(.timing.rounds) rounds, \(.timing.pairs_cut) pair(s) cut"' \
		"$OUT/pairs/verdict.json"), $(grep -o 'cluster verdict: .*' "$OUT/coord.err")" >&3
	jq -c '{links, fabric, note}' "$OUT/pairs/verdict.json"
	[ "$COORD_RC" -eq 0 ]
	jq -e '.verdict == "pass" and .passed == 6' "$OUT/pairs/verdict.json"
}

@test "scenario_a_slow_host_among_six_is_named_on_the_default_thresholds" {
	CLUSTER_N=6 cluster_up
	# host 5's link shaped both ways to 10 Mb/s
	tc -n $(cluster_host 5) qdisc add dev fc5n0 root tbf rate 10mbit burst 32kb latency 400ms
	tc qdisc add dev "$(cluster_root_veth 5 0)" root tbf rate 10mbit burst 32kb latency 400ms
	agents 6 10.$NET.0.1 -p tcp --quick -b
	start=$SECONDS
	coordinator 6 10.$NET.0.1 -p tcp --quick -b
	echo "# slow host (${SCENARIO_LOAD:-0} busy loop(s) beside): $((SECONDS - start)) s, $(jq -r '"\(.timing.rounds) rounds, \(.timing.pairs_cut) pair(s) cut"' \
		"$OUT/pairs/verdict.json"), $(grep -o 'cluster verdict: .*' "$OUT/coord.err")" >&3
	grep -E "^fabcheck-pairs:   (fail|warn|unknown|unreach|suspect)|sits out" "$OUT/coord.err" >&3 || true
	[ "$COORD_RC" -eq 1 ]
	[ "$(verdict_of 5)" = fail ]
	for r in 0 1 2 3 4; do [ "$(verdict_of $r)" = pass ] || [ "$(verdict_of $r)" = warn ]; done
	[ "$(cut -f1 "$OUT/pairs/bad-hosts.txt")" = "10.$NET.0.6" ]
	# a suspect link, if any, is one of the slow host's
	jq -e --arg h "10.$NET.0.6" '.links | all(.a == $h or .b == $h)' "$OUT/pairs/verdict.json"
}
