#!/usr/bin/env bats
# fabcheck-pairs for real on loopback: agents started directly and by
# mpirun, agents that never start, runs that measure nothing, too few CPUs.

load helpers
load pairs

setup_file() {
	# mpirun and four agents want the CPUs: one test at a time here
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	pkill -f "fabcheck-pairs.*--coordinator 127.0.0.1:$PORT" 2>/dev/null || true
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
	# the largest size measured with repeats (three or more, or none where
	# a loaded box ran out of --size-time after fewer), and their median
	jq -e -s 'map(select(.test == "bw")) | (map(.size) | max) as $big | map(select(.size == $big))
		| all(.[]; .repeats == null or (.repeats >= 3 and .bw_gbps_repeat_p50 > 0)) and any(.[]; .repeats >= 3)' \
		"$OUT/pairs/pairs.jsonl"
}

@test "pairs_mpirun_np4_and_np5_on_loopback_meet_every_pair_once" {
	for n in 4 5; do
		rm -rf "$OUT/pairs" # -o takes a new or empty folder
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

@test "pairs_an_agent_that_never_starts_is_unreachable_and_the_quorum_decides" {
	# 3 of 4: enough (2, and half): the run goes on without rank 3
	agents 3 "" -p tcp --quick --nodes 4 "${LOOSE[@]}"
	# as SkyPilot starts rank 0: the node that never joined is named by the
	# launcher's address for it, not "rank3"
	SKYPILOT_NODE_RANK=0 SKYPILOT_NUM_NODES=4 SKYPILOT_NODE_IPS=$'127.0.0.1\n127.0.0.1\n127.0.0.1\n10.99.0.4' \
		coordinator 4 "" -p tcp --quick --join-timeout 3 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 1 ]
	agents_exited_0
	[ "$(verdict_of 3)" = unreachable ]
	jq -e '.node_verdicts[] | select(.rank == 3) | (.reason | contains("never joined")) and .label == "10.99.0.4"' \
		"$OUT/pairs/verdict.json"
	grep -q "^10.99.0.4	unreachable" "$OUT/pairs/bad-hosts.txt"
	# the remedy is the cluster runner's, not a benchmark's
	grep -q "raise --join-timeout" "$OUT/coord.err"
	! grep -q "fabcheck-pairs HOST\|raise -t" "$OUT/coord.err"
	! grep -q "rank3" "$OUT/pairs/bad-hosts.txt"
	rm -rf "$OUT/pairs"
	# 2 of 5: below the quorum of 3: exit 4, no pair measured
	agents 2 "" -p tcp --quick --nodes 5 "${LOOSE[@]}"
	SLURM_PROCID=0 SLURM_NTASKS=5 coordinator 5 "" -p tcp --quick --join-timeout 3 "${LOOSE[@]}"
	[ "$COORD_RC" -eq 4 ]
	agents_exited_0
	grep -q "quorum not reached: 2 of 5 node(s) ready, at least 3 needed" "$OUT/coord.err"
	jq -e '.verdict == "quorum" and .commands == [] and .bad_hosts == []' "$OUT/pairs/verdict.json"
	# nothing was judged: no drain command for the nodes that did not come
	! grep -q "scontrol" "$OUT/coord.err"
}

@test "pairs_help_and_usage_errors" {
	# one node is a usage error, not a quorum failure
	run timeout 20 "$PAIRS" --rank 0 --nodes 1 -p tcp
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs two or more"* ]]
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
	# the socket baseline runs over the route to the peer: no NIC list
	run timeout 20 "$PAIRS" -x socket -d all --where
	[ "$status" -eq 2 ]
	[[ "$output" == *"-d all needs the ofi transport"* ]]
}

@test "pairs_a_run_that_measured_nothing_is_a_configuration_and_its_deadline_names_pair_timeout" {
	# mismatched options (-E 2 against 1): every step fails, nothing is
	# measured: the setting (options, or a security group refusing the
	# traffic between nodes), one line, exit 3, nobody vouched for or drained
	agents 2 "" -p tcp -b --quick -E 2
	coordinator 2 "" -p tcp -b --quick
	[ "$COORD_RC" -eq 3 ]
	grep -q "configuration: no pair of the 2 node(s) measured anything, although each reached the coordinator (first: " \
		"$OUT/coord.err"
	grep -q "security group or firewall" "$OUT/coord.err"
	[ ! -s "$OUT/pairs/good-hosts.txt" ] && [ ! -s "$OUT/pairs/bad-hosts.txt" ]
	jq -e '.verdict == "configuration" and (.node_verdicts | all(.kind == "configuration")) and (.commands | length == 0)' \
		"$OUT/pairs/verdict.json"
	rm -rf "$OUT/pairs"
	# each step gets a third of --pair-timeout (1 s) but asks for 3 s per
	# size: the deadline that ends it is named as --pair-timeout's, in the
	# lanes and in the bootstrap alike, never as -t
	agents 2 "" -p tcp -b --pingpong-sizes 8 --bw-sizes 1M --size-time 3 --pair-timeout 3
	coordinator 2 "" -p tcp -b --pingpong-sizes 8 --bw-sizes 1M --size-time 3 --pair-timeout 3
	grep -q "step deadline (1 s, a third of --pair-timeout) passed" "$OUT/coord.err"
	! grep -q "raise -t\|(-t)" "$OUT/coord.err"
}

@test "pairs_agents_block_when_their_lanes_would_spin_on_too_few_cpus" {
	# one CPU each (taskset): a spinning lane and the agent need two
	local n=2
	for k in 1; do
		taskset -c 0 timeout 120 "$PAIRS" --rank "$k" --nodes "$n" --coordinator "127.0.0.1:$PORT" -p tcp --quick \
			--fail 0.05 --warn 0.1 >"$OUT/agent$k.log" 2>&1 3>&- &
		AGENTS=($!)
	done
	taskset -c 0 timeout 180 "$PAIRS" --rank 0 --nodes "$n" --coordinator "127.0.0.1:$PORT" -p tcp --quick \
		--fail 0.05 --warn 0.1 --cut-factor 0 -o "$OUT/pairs" >"$OUT/coord.out" 2>"$OUT/coord.err" && COORD_RC=0 || COORD_RC=$?
	wait "${AGENTS[0]}"
	cat "$OUT/coord.err" "$OUT/agent1.log"
	[ "$COORD_RC" -eq 0 ]
	grep -q "rank 0: 1 busy-polling lane(s) and the agent need 2 CPUs, this node has 1: blocking completions" \
		"$OUT/coord.err"
	grep -q "rank 1: 1 busy-polling lane(s)" "$OUT/agent1.log"
	jq -e -s 'map(select(.test == "bw" or .test == "pingpong")) | length > 0 and all(.[]; .completion == "blocking")' \
		"$OUT/pairs/pairs.jsonl"
}

@test "pairs_options_that_fit_no_node_are_a_configuration_error_not_nodes_to_drain" {
	# efa on a box without EFA: every agent's lanes fail with a setup error
	agents 4 "" -p efa --quick
	SLURM_PROCID=0 SLURM_NTASKS=4 coordinator 4 "" -p efa --quick
	[ "$COORD_RC" -eq 3 ]
	agents_exited_0
	[ "$(grep -c "configuration: none of the 4 node(s) that joined could open its lanes" "$OUT/coord.err")" -eq 1 ]
	! grep -q "scontrol\|kubectl" "$OUT/coord.err"
	jq -e '.verdict == "configuration" and .good_hosts == [] and .bad_hosts == [] and .commands == []' \
		"$OUT/pairs/verdict.json"
	[ ! -s "$OUT/pairs/good-hosts.txt" ] && [ ! -s "$OUT/pairs/bad-hosts.txt" ]
}

@test "pairs_diag_and_thresholds_files_that_are_fifos_are_refused_not_waited_on" {
	mkfifo "$OUT/fifo"
	# --thresholds: a usage error at once
	run timeout 20 "$PAIRS" --rank 0 --nodes 2 --coordinator "127.0.0.1:$PORT" -p tcp --thresholds "$OUT/fifo"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a regular file"* ]]
	# --diag: the node's findings are "damaged", a failure it joins with
	agents 2 "" -p tcp --quick --diag "$OUT/fifo" "${HEALTHY[@]}"
	coordinator 2 "" -p tcp --quick "${HEALTHY[@]}"
	[ "$COORD_RC" -eq 1 ]
	agents_exited_0
	[ "$(verdict_of 1)" = fail ]
	jq -e '.node_verdicts[] | select(.rank == 1) | .reason | contains("not a regular file")' "$OUT/pairs/verdict.json"
}

@test "pairs_output_folder_must_be_new_or_empty_and_no_planted_link_is_written_through" {
	# an earlier run's folder, with a link planted where good-hosts.txt goes
	mkdir "$OUT/pairs"
	echo "precious" >"$OUT/target"
	ln -s "$OUT/target" "$OUT/pairs/good-hosts.txt"
	run timeout 30 "$PAIRS" --rank 0 --nodes 2 --coordinator "127.0.0.1:$PORT" -p tcp --join-timeout 2 -o "$OUT/pairs"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the output folder '$OUT/pairs' already holds files"* ]]
	[ "$(cat "$OUT/target")" = precious ]
	# -o a link to an empty folder
	mkdir "$OUT/empty"
	ln -s "$OUT/empty" "$OUT/link"
	run timeout 30 "$PAIRS" --rank 0 --nodes 2 --coordinator "127.0.0.1:$PORT" -p tcp --join-timeout 2 -o "$OUT/link"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'$OUT/link': it is a symbolic link"* ]]
	[ -z "$(ls -A "$OUT/empty")" ]
	# an empty folder is taken: the run goes on (no agent joins: quorum)
	run timeout 30 "$PAIRS" --rank 0 --nodes 2 --coordinator "127.0.0.1:$PORT" -p tcp --join-timeout 2 -o "$OUT/empty"
	echo "$output"
	[ "$status" -ne 2 ]
	jq -e '.verdict == "quorum"' "$OUT/empty/verdict.json"
}

@test "pairs_the_run_deadline_bounds_the_rounds_and_a_cut_run_is_incomplete_not_passed" {
	# each round takes at least 4.5 s (three steps of 1.5 s a size); -t 4
	# lets the first round start, no later one
	local steps=(-p tcp -b --pingpong-sizes 8 --bw-sizes 64K --size-time 1.5 --fail 0.05 --warn 0.1 --pair-timeout 60)
	agents 4 "" "${steps[@]}"
	coordinator 4 "" "${steps[@]}" -t 4
	[ "$COORD_RC" -eq 4 ]
	agents_exited_0
	grep -Eq "the run deadline \(-t 4 s\) passed after [01] round\(s\): [23] planned round\(s\) not run" "$OUT/coord.err"
	jq -e '.verdict == "incomplete" and .timing.rounds < 3 and (.note | contains("-t"))' "$OUT/pairs/verdict.json"
	# the coordinator's own agent stayed to the end: rank 0 is no casualty
	jq -e '.node_verdicts[] | select(.rank == 0) | .verdict != "unreachable"' "$OUT/pairs/verdict.json"
}

@test "pairs_protocol_rdma_measures_bandwidth_by_rdma_write_with_data_as_nccl_on_p5" {
	# auto on a p5 type: aws-ofi-nccl's RDMA protocol, so the bandwidth
	# steps write with immediate data (fabcheck-rma's loop) over tcp here;
	# a floor given, so loopback is not held to a p5's line rate
	agents 4 "" -p tcp --quick --instance-type p5.48xlarge "${HEALTHY[@]}"
	coordinator 4 "" -p tcp --quick --instance-type p5.48xlarge --min-bw-gbps 0.001 "${HEALTHY[@]}"
	[ "$COORD_RC" -eq 0 ]
	agents_exited_0
	grep -q "bandwidth steps by RDMA write with immediate data (p5.48xlarge)" "$OUT/coord.err"
	jq -e '.verdict == "pass" and .protocol.bandwidth_steps == "rdma" and .protocol.chosen_by == "p5.48xlarge"' \
		"$OUT/pairs/verdict.json"
	# every pair's bandwidth, both ways, by writedata; no streamed sends
	[ "$(jq -s '[.[] | select(.test == "rma" and .rma_op == "writedata" and .bw_gbps > 0)
		| [.rank, .peer_rank]] | unique | length' "$OUT/pairs/pairs.jsonl")" -eq 12 ]
	[ "$(jq -s '[.[] | select(.test == "bw")] | length' "$OUT/pairs/pairs.jsonl")" -eq 0 ]
	# and every record says how it moved its data
	jq -e -s 'map(select(.test == "rma" or .test == "pingpong")) | length > 0
		and all(.[]; .protocol == (if .test == "rma" then "rdma" else "sendrecv" end))' "$OUT/pairs/pairs.jsonl"
	# a p4d uses send/receive, as its plugin does
	rm -rf "$OUT/pairs"
	agents 2 "" -p tcp --quick "${HEALTHY[@]}"
	coordinator 2 "" -p tcp --quick --instance-type p4d.24xlarge --min-bw-gbps 0.001 "${HEALTHY[@]}"
	jq -e '.protocol.bandwidth_steps == "sendrecv" and .protocol.chosen_by == "p4d.24xlarge"' "$OUT/pairs/verdict.json"
	[ "$(jq -s '[.[] | select(.test == "bw")] | length' "$OUT/pairs/pairs.jsonl")" -gt 0 ]
	jq -e -s 'map(select(.test == "bw")) | all(.[]; .protocol == "sendrecv")' "$OUT/pairs/pairs.jsonl"
	# the socket baseline has no RDMA write
	run "$PAIRS" -x socket --protocol rdma --where
	[ "$status" -eq 2 ]
	[[ "$output" == *"--protocol rdma needs libfabric (-x ofi)"* ]]
}

@test "pairs_measures_the_other_fabric_of_a_provider_that_offers_two_records_it_and_judges_only_nccls" {
	# libfabric 2.x EFA offers each NIC twice: efa-direct (first; no
	# ordering) and efa. The shim gives tcp the same shape, so aws-ofi-nccl's
	# RDMA protocol (as on p5) gets the direct@ twin and its send/receive
	# protocol the original. The run is judged on the protocol's fabric and
	# measures the other one step per pair, recorded, not judged.
	export LD_PRELOAD="$FAULT_DIR/second_fabric.so"
	agents 3 "" -p tcp --quick --protocol rdma "${HEALTHY[@]}"
	coordinator 3 "" -p tcp --quick --protocol rdma --min-bw-gbps 0.001 "${HEALTHY[@]}"
	unset LD_PRELOAD
	[ "$COORD_RC" -eq 0 ]
	agents_exited_0
	# NCCL's: RDMA writes on the direct fabric, every pair both ways
	[ "$(jq -s '[.[] | select(.test == "rma" and .rma_op == "writedata" and .bw_gbps > 0
		and (.fabric | startswith("direct@"))) | [.rank, .peer_rank]] | unique | length' "$OUT/pairs/pairs.jsonl")" -eq 6 ]
	# the other fabric: send/receive, once per pair, in the records
	[ "$(jq -s '[.[] | select(.test == "bw" and .protocol == "sendrecv" and .bw_gbps > 0
		and (.fabric | startswith("direct@") | not)) | [.rank, .peer_rank] | sort] | unique | length' \
		"$OUT/pairs/pairs.jsonl")" -eq 3 ]
	jq -e '.fabrics.other_protocol == "sendrecv" and .fabrics.other_pair_steps == 3
		and .fabrics.other_pair_steps_failed == 0
		and all(.fabrics.nodes[]; (.fabric | startswith("direct@")) and .other.steps == 2
			and (.other.fabric | startswith("direct@") | not))' "$OUT/pairs/verdict.json"
	grep -Eq "fabric [^ ]+ \(aws-ofi-nccl's sendrecv protocol would get it; its rdma protocol, judged, runs on direct@[^)]+\): offered on 3 node\(s\), opened on 3, 3 pair step\(s\), 0 failed" "$OUT/coord.err"

	# one node's other fabric is offered but does not open: named, the
	# pairs with it skip that step, and the verdict does not move
	rm -rf "$OUT/pairs"
	export LD_PRELOAD="$FAULT_DIR/second_fabric.so"
	AGENTS_UPTO=1 agents 3 "" -p tcp --quick "${HEALTHY[@]}"
	local first=("${AGENTS[@]}")
	FABCHECK_DIRECT_DOWN=1 timeout 120 "$PAIRS" --rank 2 --nodes 3 --coordinator "127.0.0.1:$PORT" -p tcp --quick \
		"${HEALTHY[@]}" >"$OUT/agent2.log" 2>&1 3>&- &
	AGENTS=("${first[@]}" $!)
	coordinator 3 "" -p tcp --quick --min-bw-gbps 0.001 "${HEALTHY[@]}"
	unset LD_PRELOAD
	cat "$OUT/agent2.log"
	[ "$COORD_RC" -eq 0 ]
	agents_exited_0
	jq -e '.verdict == "pass" and .fabrics.other_protocol == "rdma" and .fabrics.other_pair_steps == 1
		and (.fabrics.nodes[2].other.error | contains("fi_fabric failed"))' "$OUT/pairs/verdict.json"
	# only ranks 0 and 1 met on it
	[ "$(jq -s -c '[.[] | select(.test == "rma" and (.fabric | startswith("direct@"))) | [.rank, .peer_rank] | sort] | unique' \
		"$OUT/pairs/pairs.jsonl")" = "[[0,1]]" ]
	grep -q "(rank 2): direct@[^ ]* does not open: fi_fabric failed" "$OUT/coord.err"
	grep -q "is offered but does not open; the run goes on over" "$OUT/agent2.log"

	# --fabrics nccl: the protocol's fabric only
	rm -rf "$OUT/pairs"
	export LD_PRELOAD="$FAULT_DIR/second_fabric.so"
	agents 2 "" -p tcp --quick "${HEALTHY[@]}"
	coordinator 2 "" -p tcp --quick --fabrics nccl --min-bw-gbps 0.001 "${HEALTHY[@]}"
	unset LD_PRELOAD
	[ "$COORD_RC" -eq 0 ]
	[ "$(jq -s '[.[] | select(.fabric != null and (.fabric | startswith("direct@")))] | length' "$OUT/pairs/pairs.jsonl")" -eq 0 ]
	jq -e '.fabrics.other_asked == false and .fabrics.nodes[0].other == null' "$OUT/pairs/verdict.json"
}
