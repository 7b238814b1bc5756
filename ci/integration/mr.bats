#!/usr/bin/env bats
# fabcheck-mr: registration cost on this node.

load helpers

MR="$FABCHECK_BIN/fabcheck-mr"

@test "mr_host_cold_and_repeat_records_per_size" {
	run timeout 60 "$MR" -p tcp -d lo -S 4K,1M -I 4 --json "$OUT/mr.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e -s 'length == 4 and map([.size, .mr_phase, .mr_path]) == [[4096, "cold", "va"], [4096, "repeat", "va"],
		[1048576, "cold", "va"], [1048576, "repeat", "va"]]
		and all(.[]; .test == "mr" and .memory == "host" and .iters == 4 and .domain == "lo"
			and .lat_us_min >= 0 and .lat_us_min <= .lat_us_p50 and .dereg_us_p50 >= 0)' "$OUT/mr.jsonl"
	[[ "$output" == *"reg_p50_us"* ]]
}

@test "mr_shm_host_registration" {
	run timeout 60 "$MR" -p shm -S 64K -I 3 --json "$OUT/mr.jsonl"
	[ "$status" -eq 0 ]
	jq -e -s 'length == 2 and all(.[]; .provider == "shm")' "$OUT/mr.jsonl"
}

@test "mr_cuda_memory_with_debian_libfabric_exits_3_with_remedy" {
	export FABCHECK_CUDART="$(dirname "$FABCHECK_BIN")/standin/libcudart-standin.so"
	[ -f "$FABCHECK_CUDART" ] || FABCHECK_CUDART="$(cd "$FABCHECK_BIN/../.." && pwd)/build/standin/libcudart-standin.so"
	run timeout 60 "$MR" -p tcp -D cuda -S 64K -I 3
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"offers no FI_HMEM for provider tcp"* ]]
	# shm offers FI_HMEM (host only): the CUDA registration itself is refused
	run timeout 60 "$MR" -p shm -D cuda -S 64K -I 3
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"registering 65536 bytes of CUDA memory with provider shm failed"* ]]
}

@test "mr_usage_errors_exit_2" {
	run timeout 60 "$MR" -p tcp 127.0.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"give no peer host"* ]]
	run timeout 60 "$MR" -x socket
	[ "$status" -eq 2 ]
	run timeout 60 "$MR" -S 8G
	[ "$status" -eq 2 ]
	[[ "$output" == *"'8G'"* ]]
	run timeout 60 "$MR" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Memory registration cost"* ]]
}
