# Running fabcheck-pairs in tests: agents in the background, rank 0 (the
# coordinator) in the foreground, and reading its verdict. For pairs.bats,
# pairs_loopback.bats and hostile_agent.bats (after helpers, and cluster where hosts are used).

PAIRS="$FABCHECK_BIN/fabcheck-pairs"
REPORT="$FABCHECK_BIN/fabcheck-report"
# Every agent of these clusters shares two CPUs: blocking completions (no
# spinning agent starves another) and wide verdict lines (a loaded box
# moves numbers by half; the slow hosts of pairs.bats are 10 Mb/s). The verdict
# rules themselves are unit-tested (test_pairs_logic).
# No pair is cut for slowness (--cut-factor 0) where the box's own load
# spreads healthy pairs' times past the default 3x: ci/scenarios runs the
# default on a quiet machine, pairs_faults.bats one cut with a wide margin.
LOOSE=(-b --fail 0.3 --warn 0.4 --cut-factor 0)
# runs that only healthy links carry, where the test is the schedule and the
# plumbing, not a verdict on speed: 5 agents on 2 cores beside 7 other test
# jobs can put one pair over 3x the median latency twice (a retry); 20x not
# (and a pair budget a loaded box cannot overrun: 1 MiB windows of 4 agents
# on 2 busy cores took over 7 s, the quick budget of one step)
HEALTHY=(-b --fail 0.05 --warn 0.1 --pair-timeout 60 --cut-factor 0)
# the coordinator's --cut-factor unless a test says otherwise (empty: the default)
: "${CUT_FACTOR=0}"

# agents N HOSTIP|"" ARGS...: ranks 1..N-1 (or 1..AGENTS_UPTO) in the
# background, in their namespaces when a cluster is up (HOSTIP set); logs
# in $OUT/agentK.log
agents() {
	local n=$1 coord=$2
	shift 2
	AGENTS=()
	for k in $(seq 1 "${AGENTS_UPTO:-$((n - 1))}"); do
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
		-o "$OUT/pairs" ${CUT_FACTOR:+--cut-factor "$CUT_FACTOR"} "$@" >"$OUT/coord.out" 2>"$OUT/coord.err" &&
		COORD_RC=0 || COORD_RC=$?
	AGENT_RCS=()
	for pid in "${AGENTS[@]}"; do
		wait "$pid" && AGENT_RCS+=(0) || AGENT_RCS+=($?)
	done
	cat "$OUT/coord.err"
	# what a verdict rested on, shown when a test fails: each pair's
	# aggregate bandwidth and latency
	jq -c 'select((.test == "bw" or .test == "pingpong") and .lane == null)
		| {rank, peer_rank, round, test, size, bw_gbps, lat_us_p50}' "$OUT/pairs/pairs.jsonl" 2>/dev/null || true
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
