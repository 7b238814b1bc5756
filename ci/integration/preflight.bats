#!/usr/bin/env bats
# The cluster recipes, run for real: the run: sections of diag/recipes/sky/*.yaml as
# SkyPilot runs them (on every node at once, in the workdir, with the task's
# envs and SKYPILOT_* set), the Slurm batch script's body as srun runs it
# (SLURM_* set) and the Kubernetes Job's container command (an Indexed Job's
# JOB_COMPLETION_INDEX, pod 0 found by name), on network-namespace hosts
# (cluster.bash) over the tcp provider. And every manifest through a YAML
# parser and schema-level checks (manifests.py).

load helpers
load cluster

CLUSTER_TAG=p    # this file's cluster: fcp0.., 10.79.x.x (pairs.bats has its own)
CLUSTER_SUBNET=79
NET=$(cluster_subnet) # 79, moved by the test slot
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
MANIFESTS="$BATS_TEST_DIRNAME/manifests.py"
# shared CPUs: blocking completions, wide verdict lines, small sizes (as pairs.bats)
FAST=(FABCHECK_PROVIDER=tcp FABCHECK_QUICK=true FABCHECK_FAIL=0.3 FABCHECK_WARN=0.4
	"FABCHECK_PAIRS_ARGS=-b --bw-sizes 64K -W 4 --cut-factor 0")

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

teardown() {
	pkill -f "fabcheck-.*10\.$NET\.0\.1([^0-9]|$)" 2>/dev/null || true # this run's cluster only
	rm -rf /etc/netns/$(cluster_host 0) /etc/netns/$(cluster_host 1)
	cluster_down
}

node_env() { :; } # K: more KEY=VALUE lines for node K (tests redefine it)

# on_nodes N SCRIPT LAUNCHER: runs bash SCRIPT on hosts 0..N-1 at once, in the
# tree, with the launcher's variables, ENVS=(KEY=VALUE...) and node_env K;
# RCS[k] and $OUT/nodeK.log
on_nodes() {
	local n=$1 script=$2 launcher=$3 ips="" pids=() k
	for k in $(seq 0 $((n - 1))); do ips+="$(cluster_ip "$k")"$'\n'; done
	for k in $(seq 0 $((n - 1))); do
		local lenv=()
		case $launcher in
		sky) lenv=(SKYPILOT_NODE_RANK="$k" SKYPILOT_NUM_NODES="$n" "SKYPILOT_NODE_IPS=$ips"
			SKYPILOT_TASK_ID="sky-test-$BATS_TEST_NUMBER" SKYPILOT_NUM_GPUS_PER_NODE=1) ;;
		slurm) lenv=(SLURM_PROCID="$k" SLURM_NTASKS="$n" SLURM_JOB_ID=4242 SLURM_SUBMIT_DIR="$REPO"
			SLURM_JOB_NODELIST="$(paste -sd, <<<"${ips%$'\n'}")") ;;
		k8s) lenv=(JOB_COMPLETION_INDEX="$k") ;;
		esac
		mapfile -t extra < <(node_env "$k")
		(cd "$REPO" && on_host "$k" env "${lenv[@]}" "${ENVS[@]}" "${extra[@]}" timeout 150 bash "$script") \
			>"$OUT/node$k.log" 2>&1 3>&- &
		pids+=($!)
	done
	RCS=()
	for p in "${pids[@]}"; do
		wait "$p" && RCS+=(0) || RCS+=($?)
	done
	for k in $(seq 0 $((n - 1))); do
		echo "--- node $k: exit ${RCS[$k]}"
		tail -25 "$OUT/node$k.log"
	done
}

# sky_task YAML: the task's run: section as a script, and its envs (then
# ENVS's overrides, as `sky exec --env` would give them) in ENVS
sky_task() {
	python3 "$MANIFESTS" run "$REPO/$1" >"$OUT/run.sh"
	mapfile -t defaults < <(python3 "$MANIFESTS" envs "$REPO/$1")
	ENVS=("${defaults[@]}" FABCHECK_BIN="$FABCHECK_BIN" FABCHECK_RESULTS="$OUT/results" "${ENVS[@]}")
}

@test "preflight_manifests_parse_and_have_what_skypilot_and_kubernetes_need" {
	run python3 "$MANIFESTS" check "$REPO"
	echo "$output"
	[ "$status" -eq 0 ]
	# the checks can fail: a broken copy is refused, naming the problem
	mkdir -p "$OUT/tree/diag/recipes/sky" "$OUT/tree/diag/recipes/k8s"
	cp -r "$REPO/diag/recipes/preflight.sh" "$OUT/tree/diag/recipes/"
	sed 's/add: \["IPC_LOCK"\]/add: []/; s/USE_EFA: "true"/USE_EFA: true/' "$REPO/diag/recipes/sky/preflight.yaml" \
		>"$OUT/tree/diag/recipes/sky/preflight.yaml"
	sed 's/value: "4"/value: "3"/' "$REPO/diag/recipes/k8s/preflight-job.yaml" >"$OUT/tree/diag/recipes/k8s/preflight-job.yaml"
	run python3 "$MANIFESTS" check "$OUT/tree"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no IPC_LOCK"* ]]
	[[ "$output" == *"envs.USE_EFA is not NAME"* ]]
	[[ "$output" == *"FABCHECK_NODES 3 is not completions 4"* ]]
}

@test "preflight_sky_run_on_two_hosts_builds_checks_measures_and_reports" {
	cluster_up
	ENVS=("${FAST[@]}")
	sky_task diag/recipes/sky/preflight.yaml
	# built from the tree, as `sky exec` must (no setup: run builds, once, under a lock)
	ENVS=("${ENVS[@]/#FABCHECK_BIN=*/FABCHECK_BIN=}")
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 0 ] && [ "${RCS[1]}" -eq 0 ]
	grep -q "rank 0 of 2 (skypilot), mode full" "$OUT/node0.log"
	grep -q "cluster verdict: pass: 2 of 2" "$OUT/node0.log"
	grep -q "good hosts for the NCCL job .*: 10.$NET.0.1 10.$NET.0.2" "$OUT/node0.log"
	# every node's checklist in its log and its JSON in the results
	grep -q "24 check(s): 0 failed" "$OUT/node1.log"
	[ -s "$OUT/results/diag/vm-rank0.json" ] && [ -s "$OUT/results/diag/vm-rank1.json" ]
	jq -e '.verdict == "pass"' "$OUT/results/pairs/verdict.json"
	grep -q "^## " "$OUT/results/report/report.md"
	# the data path between the namespaces, not loopback
	jq -e -s --arg net "10.$NET.0." 'map(select(.test == "bw")) | length > 0 and all(.[]; .local_addr | contains($net))' \
		"$OUT/results/pairs/pairs.jsonl"
}

@test "preflight_sky_run_on_four_hosts_names_the_slow_one_and_only_rank_0_fails" {
	cluster_up
	tc -n $(cluster_host 3) qdisc add dev fc3n0 root tbf rate 10mbit burst 32kb latency 400ms
	tc qdisc add dev "$(cluster_root_veth 3 0)" root tbf rate 10mbit burst 32kb latency 400ms
	ENVS=("${FAST[@]}")
	sky_task diag/recipes/sky/preflight.yaml
	on_nodes 4 "$OUT/run.sh" sky
	# the task fails through rank 0 alone, naming the node
	[ "${RCS[0]}" -eq 1 ]
	[ "${RCS[1]}" -eq 0 ] && [ "${RCS[2]}" -eq 0 ] && [ "${RCS[3]}" -eq 0 ]
	grep -q "fail 10.$NET.0.4 (rank 3)" "$OUT/node0.log"
	grep -q "cluster verdict: exit 1" "$OUT/node0.log"
	[ "$(cat "$OUT/results/pairs/good-hosts.txt")" = "$(printf '%s\n' "10.$NET.0.1" "10.$NET.0.2" "10.$NET.0.3")" ]
	grep -q "^10.$NET.0.4" "$OUT/results/pairs/bad-hosts.txt"
	grep -q "10.$NET.0.4" "$OUT/results/report/report.md"
	# README shows this run's log: every line it shows is still printed
	"$BATS_TEST_DIRNAME/../readme-sample" preflight-slow-node "$OUT/node0.log" "$OUT/results=results/preflight-<task>"
}

@test "preflight_sky_run_a_node_whose_own_checks_fail_fails_the_verdict_through_rank_0" {
	cluster_up
	# node 1 claims to be a p5.48xlarge: no EFA, no GPUs, so its checks fail
	node_env() { [ "$1" -eq 1 ] && echo FABCHECK_INSTANCE_TYPE=p5.48xlarge; true; }
	ENVS=("${FAST[@]}")
	sky_task diag/recipes/sky/preflight.yaml
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 1 ] && [ "${RCS[1]}" -eq 0 ]
	grep -q "fail 10.$NET.0.2 (rank 1): fabcheck-diag: [0-9]* check(s) failed: .*efa_devices: no EFA hardware" "$OUT/node0.log"
	jq -e '.node_verdicts[] | select(.rank == 1) | .verdict == "fail"' "$OUT/results/pairs/verdict.json"
}

@test "preflight_sky_run_mode_diag_each_node_exits_with_its_own_verdict" {
	cluster_up
	# USE_EFA with the efa provider: a node without EFA fails, every node says so
	ENVS=(MODE=diag)
	sky_task diag/recipes/sky/preflight.yaml
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 1 ] && [ "${RCS[1]}" -eq 1 ]
	grep -q "^FAIL  EFA devices" "$OUT/node1.log"
	! grep -q "fabcheck-pairs" "$OUT/node0.log"
	# another provider expects no EFA: both pass
	ENVS=(MODE=diag FABCHECK_PROVIDER=tcp)
	sky_task diag/recipes/sky/preflight.yaml
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 0 ] && [ "${RCS[1]}" -eq 0 ]
}

@test "preflight_sky_compare_on_two_hosts_gives_one_report_with_fabcheck_and_nccl" {
	cluster_up
	ENVS=(FABCHECK_PROVIDER=tcp COMPARE_PP_SIZES=8:1K COMPARE_BW_SIZES=64K:256K
		NCCL_TESTS_BIN="$REPO/ci/standin/all_reduce_perf" STANDIN_NCCL_LOG="$OUT/nccl-args.log"
		OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
		"NCCL_MPIRUN_ARGS=--mca plm_rsh_agent $BATS_TEST_DIRNAME/ns-rsh --mca mpi_yield_when_idle 1 --mca oob_tcp_if_include 10.$NET.0.0/24 -x STANDIN_NCCL_LOG")
	sky_task diag/recipes/sky/compare.yaml
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 0 ] && [ "${RCS[1]}" -eq 0 ]
	local md="$OUT/results/report/report.md"
	# fabcheck's own runs: libfabric against kernel TCP, size by size
	grep -q "| 64 KiB | .* | .* | .*x |" "$md"
	for f in pingpong-ofi pingpong-socket bw-ofi bw-socket; do [ -s "$OUT/results/$f.jsonl" ]; done
	# NCCL over EFA and over its sockets, the guide's table: 18.7x at 2 GiB
	grep -q "NCCL" "$md"
	grep -q "| 2 GiB | 77.35 | 4.13 | 18.7x |" "$md"
	# mpirun gave each run its network, and both all_reduce_perf runs their sizes
	grep -q "^NCCL_NET= FI_PROVIDER=efa -b 8 -e 2G -f 2 -g 1" "$OUT/nccl-args.log"
	grep -q "^NCCL_NET=Socket FI_PROVIDER= -b 8 -e 2G" "$OUT/nccl-args.log"
}

@test "preflight_sky_compare_without_gpus_runs_no_nccl_and_names_the_remedy" {
	cluster_up
	# a task that asked for no accelerators: SkyPilot says 0 GPUs a node
	ENVS=(FABCHECK_PROVIDER=tcp COMPARE_PP_SIZES=8 COMPARE_BW_SIZES=64K SKYPILOT_NUM_GPUS_PER_NODE=0
		NCCL_TESTS_BIN="$REPO/ci/standin/all_reduce_perf" STANDIN_NCCL_LOG="$OUT/nccl-args.log"
		OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
	sky_task diag/recipes/sky/compare.yaml
	on_nodes 2 "$OUT/run.sh" sky
	[ "${RCS[0]}" -eq 3 ] && [ "${RCS[1]}" -eq 0 ]
	grep -q "this node has 0 GPUs (the task asked for none): NCCL is not run; .* --gpus H100:8" "$OUT/node0.log"
	[ ! -e "$OUT/nccl-args.log" ]
	# fabcheck's own runs still make the report
	grep -q "| 64 KiB | .* | .* | .*x |" "$OUT/results/report/report.md"
}

@test "preflight_slurm_batch_script_runs_on_every_node_and_rank_0_judges" {
	cluster_up
	# the batch script's body, with srun's command in place of srun: what
	# each node runs
	sed -E '/^#/d; s/^srun( +--[^ ]+)* +//' "$REPO/diag/recipes/slurm/preflight.sbatch" >"$OUT/node.sh"
	grep -q "^bash diag/recipes/preflight.sh" "$OUT/node.sh"
	# the batch part runs once, on the first node: its secret reaches every
	# task through srun's environment
	eval "$(grep '^export FABCHECK_RUN_SECRET=' "$REPO/diag/recipes/slurm/preflight.sbatch")"
	[ "${#FABCHECK_RUN_SECRET}" -eq 32 ]
	ENVS=("${FAST[@]}" FABCHECK_BIN="$FABCHECK_BIN" FABCHECK_RESULTS="$OUT/results" FABCHECK_RUN_SECRET="$FABCHECK_RUN_SECRET")
	on_nodes 2 "$OUT/node.sh" slurm
	[ "${RCS[0]}" -eq 0 ] && [ "${RCS[1]}" -eq 0 ]
	grep -q "rank 1 of 2 (slurm)" "$OUT/node1.log"
	jq -e '.verdict == "pass" and .passed == 2' "$OUT/results/pairs/verdict.json"
}

@test "preflight_kubernetes_job_command_finds_pod_0_by_name_once_it_resolves" {
	cluster_up
	# the Job's container: its command and environment, pod 0's DNS name
	# (the headless service's) in each namespace's hosts file, which node 1
	# gets only after 3 s, as a pod that starts before pod 0 does
	mapfile -t c < <(python3 "$MANIFESTS" container "$REPO/diag/recipes/k8s/preflight-job.yaml")
	printf '%s "$@"\n' "${c[0]/#\/opt\/fabcheck/$REPO}" >"$OUT/node.sh"
	ENVS=("${c[@]:1}" FABCHECK_NODES=2 FABCHECK_BIN="$FABCHECK_BIN" FABCHECK_RESULTS="$OUT/results" "${FAST[@]}"
		"FABCHECK_PAIRS_ARGS=--join-timeout 60 -b --bw-sizes 64K -W 4 --cut-factor 0")
	for k in 0 1; do
		mkdir -p "/etc/netns/$(cluster_host $k)"
		cp /etc/hosts "/etc/netns/$(cluster_host $k)/hosts"
	done
	echo "10.$NET.0.1 fabcheck-preflight-0.fabcheck-preflight" >>/etc/netns/$(cluster_host 0)/hosts
	(sleep 3 && echo "10.$NET.0.1 fabcheck-preflight-0.fabcheck-preflight" >>/etc/netns/$(cluster_host 1)/hosts) 3>&- &
	on_nodes 2 "$OUT/node.sh" k8s
	[ "${RCS[0]}" -eq 0 ] && [ "${RCS[1]}" -eq 0 ]
	grep -q "rank 1 of 2 (kubernetes)" "$OUT/node1.log"
	grep -q "waiting for rank 0's name 'fabcheck-preflight-0.fabcheck-preflight' to resolve" "$OUT/node1.log"
	jq -e '.verdict == "pass" and .passed == 2' "$OUT/results/pairs/verdict.json"
}
