#!/usr/bin/env bats
# fabcheck-diag against stand-in nodes (ci/fixtures/diag/make_root.py) and
# against this machine for real.

load helpers

DIAG="$FABCHECK_BIN/fabcheck-diag"
MAKE_ROOT="$BATS_TEST_DIRNAME/../fixtures/diag/make_root.py"

# diag VARIANT [ARGS...]: builds the node, runs diag on it, sets DIAG_RC
diag() {
	local v=$1
	shift
	python3 "$MAKE_ROOT" "$v" "$OUT/$v"
	"$DIAG" --root "$OUT/$v" --facts "$OUT/$v/facts.json" --json "$OUT/d.json" "$@" >"$OUT/diag.out" 2>&1 &&
		DIAG_RC=0 || DIAG_RC=$?
	cat "$OUT/diag.out"
}

# verdict CHECK: that check's verdict
verdict() {
	jq -r --arg c "$1" '.checks[] | select(.check == $c) | .verdict' "$OUT/d.json"
}

# all_pass_but CHECK=VERDICT...: every other check passes
all_pass_but() {
	local expect='{}'
	for kv in "$@"; do
		expect=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$expect")
	done
	jq -e --argjson e "$expect" '. as $d | all($d.checks[]; .verdict == ($e[.check] // "PASS"))
		and all($e | keys[]; . as $k | any($d.checks[]; .check == $k))' "$OUT/d.json"
}

HEALTHY_CHECKS='["instance_type","libfabric","efa_provider","efa_hmem","efa_devices","efa_rdma","efa_driver","gpus","gpu_efa_affinity","gpudirect","memlock","hugepages","fork_safety","environment","error_counters"]'

@test "diag_healthy_p4d_24xlarge_passes" {
	diag p4d-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e --argjson ids "$HEALTHY_CHECKS" '[.checks[].check] == $ids and .efa_devices == 4 and .gpus == 8' "$OUT/d.json"
	# p4d has RDMA read but no RDMA write, and that is what a p4d should have
	grep -q "RDMA read yes, write no" "$OUT/diag.out"
}

@test "diag_healthy_p5_48xlarge_passes_and_ignores_non_efa_rdma_devices" {
	diag p5-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	# ibp224s0 (vendor 0x15b3) is in class/infiniband but is not EFA
	jq -e '.efa_devices == 32' "$OUT/d.json"
	jq -e '.checks[] | select(.check == "gpu_efa_affinity") | .details | length == 8 and all(.[]; length == 4)' "$OUT/d.json"
}

@test "diag_healthy_p5en_48xlarge_passes" {
	diag p5en-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.efa_devices == 16' "$OUT/d.json"
}

@test "diag_healthy_g6e_48xlarge_passes" {
	diag g6e-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.efa_devices == 4 and .gpus == 8' "$OUT/d.json"
}

@test "diag_p5_with_30_of_32_nics_fails" {
	diag p5-30-of-32
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but efa_devices=FAIL gpu_efa_affinity=WARN
	jq -e '.checks[] | select(.check == "efa_devices") | .reason == "30 of 32 EFA devices present on p5.48xlarge"
		and (.remedy | contains("vpc.amazonaws.com/efa"))' "$OUT/d.json"
}

@test "diag_p5_nic_without_rdma_write_fails" {
	diag p5-nic-without-rdma-write
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but efa_rdma=FAIL
	grep -q "1 device(s) lack what a p5.48xlarge has: rdmap36s0 (no RDMA write)" "$OUT/diag.out"
}

@test "diag_p5_without_p2p_provider_fails_gpudirect" {
	diag p5-no-p2p
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but gpudirect=FAIL
	grep -q "aws-ofi-nccl requires GPUDirect on this type" "$OUT/diag.out"
}

@test "diag_memlock_64k_fails_with_remedy" {
	diag p5-memlock-64k
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but memlock=FAIL
	jq -e '.checks[] | select(.check == "memlock") | (.reason | startswith("64 KiB")) and (.remedy | contains("ulimit -l unlimited"))' "$OUT/d.json"
}

@test "diag_kubernetes_pod_seeing_4_of_32_fails_with_pod_config" {
	KUBERNETES_SERVICE_HOST=10.96.0.1 diag p5-pod-sees-4
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict kubernetes)" = FAIL ]
	[ "$(verdict efa_devices)" = FAIL ]
	jq -e '.checks[] | select(.check == "kubernetes") | (.reason == "the pod sees 4 of the 32 EFA devices a p5.48xlarge has")
		and (.remedy | contains("pod_config")) and (.remedy | contains("vpc.amazonaws.com/efa"))' "$OUT/d.json"
}

@test "diag_unknown_instance_type_warns_and_does_not_crash" {
	diag unknown-type
	[ "$DIAG_RC" -eq 0 ]
	[ "$(verdict instance_type)" = WARN ]
	grep -q "'x9.mega' is not an instance type fabcheck knows" "$OUT/diag.out"
}

@test "diag_hyperpod_ml_prefix_is_stripped" {
	diag unknown-type --instance-type ml.p5.48xlarge
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.instance_type == "p5.48xlarge"' "$OUT/d.json"
}

@test "diag_environment_that_aborts_libfabric_fails" {
	FI_EFA_MTU_SIZE=9000 FI_PROVIDER=tcp diag p5-healthy
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but environment=FAIL
	grep -q "FI_EFA_MTU_SIZE is set (libfabric aborts on it); FI_PROVIDER=tcp hides the efa provider" "$OUT/diag.out"
	# FI_EFA_USE_DEVICE_RDMA=1 on a NIC without RDMA read: p4d has read, so fine there
	FI_EFA_USE_DEVICE_RDMA=1 diag p4d-healthy
	[ "$DIAG_RC" -eq 0 ]
}

@test "diag_error_counters_warn_when_non_zero" {
	python3 "$MAKE_ROOT" p5-healthy "$OUT/n"
	echo 17 > "$OUT/n/sys/class/infiniband/rdmap19s0/ports/1/hw_counters/retrans_timeout_events"
	run "$DIAG" --root "$OUT/n" --facts "$OUT/n/facts.json" --json "$OUT/d.json"
	[ "$status" -eq 0 ]
	[ "$(verdict error_counters)" = WARN ]
	[[ "$output" == *"rdmap19s0 retrans_timeout_events=17"* ]]
}

@test "diag_on_this_machine_says_no_efa_and_exits_0" {
	run "$DIAG" --json "$OUT/d.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no EFA hardware"* ]]
	[ "$(verdict efa_devices)" = SKIP ]
	[ "$(verdict efa_provider)" = SKIP ]
	jq -e '.checks | length >= 6 and all(.[]; .verdict != "FAIL")' "$OUT/d.json"
	run "$DIAG" --expect-efa
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  EFA devices"* ]]
}

@test "diag_usage_errors_exit_2" {
	run "$DIAG" --bogus
	[ "$status" -eq 2 ]
	run "$DIAG" --table /nonexistent.tsv
	[ "$status" -eq 2 ]
	[[ "$output" == *"cannot read the instance table"* ]]
	run "$DIAG" --help
	[ "$status" -eq 0 ]
}
