#!/usr/bin/env bats
# A coordinator that lies to an agent (the driver hostile_coordinator.py
# stands between a real agent and a real coordinator on loopback and
# rewrites the rounds the agent gets): an agent goes only where the job
# lets it. The ASan build runs this file too.

load helpers
load pairs

DRIVER="$BATS_TEST_DIRNAME/hostile_coordinator.py"
QUICK=(-p tcp --quick -b --bw-sizes 64K --pair-timeout 9 --join-timeout 20)

teardown() {
	pkill -f "fabcheck-pairs.*--coordinator 127.0.0.1:$PORT" 2>/dev/null || true
	pkill -f "fabcheck-pairs.*--coordinator 127.0.0.1:$((PORT + 1))" 2>/dev/null || true
	pkill -f "hostile_coordinator.py $((PORT + 1))" 2>/dev/null || true
	pkill -f "hostile_coordinator.py victim $((PORT + 2))" 2>/dev/null || true
}

# lied_to SCENARIO ENV...: rank 1 (with ENV) reaches the coordinator
# through the lying driver; a victim listens on 127.0.0.2:PORT+2, where the
# lie sends it. VICTIM (CONNECTED or NOTHING), AGENT_RC, $OUT/agent1.log.
lied_to() {
	local scenario=$1
	shift
	timeout 150 python3 "$DRIVER" victim $((PORT + 2)) 140 >"$OUT/victim.out" 2>"$OUT/victim.err" 3>&- &
	local victim=$!
	wait_for_text "$OUT/victim.err" "victim listening" 60
	timeout 120 python3 "$DRIVER" $((PORT + 1)) "$PORT" "$scenario" >"$OUT/driver.out" 2>"$OUT/driver.err" 3>&- &
	wait_for_text "$OUT/driver.err" "listening" 60
	env "$@" timeout 120 "$PAIRS" --rank 1 --nodes 2 --coordinator "127.0.0.1:$((PORT + 1))" "${QUICK[@]}" \
		>"$OUT/agent1.log" 2>&1 3>&- &
	AGENTS=($!)
	coordinator 2 "" "${QUICK[@]}"
	AGENT_RC=${AGENT_RCS[0]}
	cat "$OUT/agent1.log"
	# both ends are done: whatever was to reach the victim has
	kill "$victim" 2>/dev/null || true
	wait "$victim" 2>/dev/null || true
	VICTIM=$(cat "$OUT/victim.out")
	VICTIM=${VICTIM:-NOTHING}
}

@test "hostile_coordinator_a_partner_outside_the_launchers_nodes_is_refused_and_never_contacted" {
	lied_to "peer:127.0.0.2:$((PORT + 2))" SKYPILOT_NODE_RANK=1 SKYPILOT_NUM_NODES=2 \
		"SKYPILOT_NODE_IPS=$(printf '127.0.0.1\n127.0.0.1')"
	grep -q "rank 1: the coordinator sent this node to 127.0.0.2, which is none of the launcher's nodes" "$OUT/agent1.log"
	[ "$VICTIM" = NOTHING ]
	[ "$AGENT_RC" -eq 0 ] # an agent exits 0: the coordinator carries the verdict
	! grep -q "Sanitizer" "$OUT/agent1.log" "$OUT/coord.err"
}

@test "hostile_coordinator_where_the_launcher_names_no_nodes_the_lie_reaches_its_target" {
	# the limit of the rule, and proof the test above can see a contact:
	# by hand (--rank, --nodes) the agent knows no node list
	lied_to "peer:127.0.0.2:$((PORT + 2))"
	[ "$VICTIM" = CONNECTED ]
}

@test "hostile_coordinator_a_partner_named_by_host_name_is_refused_unresolved" {
	lied_to "peer:localhost:$((PORT + 2))"
	grep -q "rank 1: a round from the coordinator is malformed" "$OUT/agent1.log"
	[ "$VICTIM" = NOTHING ]
}
