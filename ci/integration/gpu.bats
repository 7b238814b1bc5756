#!/usr/bin/env bats
# GPU memory on a machine without a GPU: a stand-in CUDA runtime over host
# memory (ci/standin) is loaded through FABCHECK_CUDART, so allocation,
# staging, verification, and libfabric's answer to iface CUDA run for real.

load helpers

setup() {
	PORT=$(test_port)
	OUT="$BATS_TEST_TMPDIR"
	SERVER_PID=
	export FABCHECK_CUDART="$(dirname "$FABCHECK_BIN")/standin/libcudart-standin.so"
	[ -f "$FABCHECK_CUDART" ] || FABCHECK_CUDART="$(cd "$FABCHECK_BIN/../.." && pwd)/build/standin/libcudart-standin.so"
	export FABCHECK_STANDIN_LOG="$OUT/standin.log"
}

# copied BYTES-KEY: sum over both processes of a stand-in counter
copied() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }' "$FABCHECK_STANDIN_LOG"
}

@test "gpu_no_cuda_runtime_exits_3_naming_what_was_tried" {
	FABCHECK_CUDART=/nonexistent/libcudart.so.12 run timeout 60 "$PP" -x socket -D cuda -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no CUDA runtime found (tried /nonexistent/libcudart.so.12"* ]]
	[[ "$output" == *"-D host"* ]]
}

@test "gpu_runtime_without_device_exits_3" {
	FABCHECK_STANDIN_GPUS=0 run timeout 60 "$PP" -x socket -D cuda -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"sees no GPU (no CUDA-capable device is detected)"* ]]
}

@test "gpu_missing_device_ordinal_exits_3" {
	FABCHECK_STANDIN_GPUS=2 run timeout 60 "$PP" -x socket -D cuda:2 -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"CUDA device 2 does not exist: this node has 2 (cuda:0..cuda:1)"* ]]
}

@test "gpu_invalid_memory_value_exits_2" {
	run timeout 60 "$PP" -D gpu0
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid memory 'gpu0'"* ]]
}

@test "gpu_socket_pingpong_cuda_to_cuda_verified_and_staged" {
	start_server "$PP" -x socket -D cuda -S 8,64K -I 20 -v --json "$OUT/server.jsonl"
	run_client "$PP" -x socket -D cuda:0 -S 8,64K -I 20 -v --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "pingpong")) | length == 2 and all(.[]; .memory == "cuda:0"
		and .peer_memory == "cuda:0" and .gpu_path == "staged" and .verified == true)' "$OUT/client.jsonl"
	# every byte on the wire went device -> pinned host -> socket -> host -> device
	cat "$FABCHECK_STANDIN_LOG"
	sent=$(jq -s 'map(select(.test == "coverage"))[0].sent_bytes' "$OUT/client.jsonl")
	[ "$(copied d2h_bytes)" -ge $((2 * sent)) ]
	[ "$(copied h2d_bytes)" -ge $((2 * sent)) ]
}

@test "gpu_socket_bw_host_to_cuda_each_side_its_own_memory" {
	start_server "$BW" -x socket -D host --json "$OUT/server.jsonl"
	run_client "$BW" -x socket -D cuda -S 4K,1M -I 3 -v --bidir --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "bw")) | length == 2 and all(.[]; .memory == "cuda:0"
		and .peer_memory == "host" and .verified == true)' "$OUT/client.jsonl"
}

@test "gpu_tcp_provider_offers_no_hmem_exits_3_with_remedy" {
	run timeout 60 "$PP" -p tcp -D cuda -B "$PORT" 127.0.0.1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"offers no FI_HMEM for provider tcp: it was built without CUDA support"* ]]
	[[ "$output" == *"/opt/amazon/efa"* ]]
}

@test "gpu_shm_refuses_to_register_cuda_memory_exit_3_on_both_sides" {
	# shm offers FI_HMEM here for host memory only: the registration with
	# iface CUDA is made, and refused
	start_server "$PP" -p shm -D cuda -S 8
	run_client "$PP" -p shm -D cuda -S 8
	wait_server
	show
	[ "$CLIENT_RC" -eq 3 ]
	[ "$SERVER_RC" -eq 3 ]
	grep -q "registering [0-9]* bytes of CUDA memory on device 0 with provider shm failed" "$OUT/client.err"
}

@test "gpu_corrupted_staged_data_exits_5" {
	# a bit flipped on the wire lands in "GPU" memory and is found after the copy back
	start_server "$PP" -x socket -D cuda -S 4K -I 5 -w 0 -v
	FABCHECK_CORRUPT_AFTER=4196 LD_PRELOAD="$FAULT_DIR/corrupt_recv.so" \
		run_client "$PP" -x socket -D cuda -S 4K -I 5 -w 0 -v
	wait_server
	show
	[ "$CLIENT_RC" -eq 5 ]
	[ "$SERVER_RC" -eq 5 ]
	grep -q "size 4K, iteration 1, byte offset 100, server to client" "$OUT/client.err"
}

@test "gpu_failed_pattern_copy_is_a_device_error_not_corrupt_data" {
	# the GPU stops taking copies after the first few: filling the test
	# pattern fails, which is exit 3 naming the copy, never exit 5
	start_server "$PP" -x socket -D host
	FABCHECK_STANDIN_FAIL_H2D_AFTER=3 run_client "$PP" -x socket -D cuda -S 4K -I 5 -v
	wait_server
	show
	[ "$CLIENT_RC" -eq 3 ]
	grep -q "into GPU memory failed" "$OUT/client.err"
	! grep -q "delivered wrong data" "$OUT/client.err" "$OUT/server.err"
}

# -D auto: each lane on a GPU (two endpoints on lo, which has no PCI path
# to one: the GPUs in turn), or host memory and why where none is seen
@test "gpu_auto_memory_puts_each_lane_on_its_own_gpu_or_says_why_host" {
	export FABCHECK_STANDIN_GPUS=2
	start_server "$PP" -x socket -D auto -E 2 --json "$OUT/server.jsonl"
	run_client "$PP" -x socket -D auto -E 2 -S 8,64K -I 20 -v --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "pingpong" and .lane != "all")) | length == 4
		and all(.[]; .memory == "cuda:\(.lane)" and .verified == true and .peer_memory == "auto"
			and (.memory_why | test("^cuda:[01] by lane order: no PCI path from NIC lo to a device$")))' \
		"$OUT/client.jsonl"
	grep -q "lane 1: domain lo, .*memory cuda:1 (cuda:1 by lane order" "$OUT/client.out"
	# the buffers really were made on each lane's device, on both sides
	cat "$FABCHECK_STANDIN_LOG"
	[ "$(copied dev0_alloc_bytes)" -gt 0 ]
	[ "$(copied dev1_alloc_bytes)" -gt 0 ]
	# a runtime that sees no GPU, or none at all: host memory, and why
	FABCHECK_STANDIN_GPUS=0 start_server "$PP" -x socket -D auto --json "$OUT/server.jsonl"
	FABCHECK_CUDART=/nonexistent/libcudart.so.12 run_client "$PP" -x socket -D auto -S 8 -I 5 --json "$OUT/client2.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "pingpong")) | length >= 1 and all(.[]; .memory == "host"
		and (.memory_why | startswith("host memory: no CUDA runtime found (tried /nonexistent/libcudart.so.12")))' \
		"$OUT/client2.jsonl"
	# the server writes the client's measurements and its own coverage
	jq -e -s 'map(select(.test == "coverage")) | length == 1 and all(.[]; .memory == "host"
		and (.memory_why | test("host memory: the CUDA runtime .* sees no GPU")))' "$OUT/server.jsonl"
}
