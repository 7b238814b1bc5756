#!/usr/bin/env bats
# Bad input and broken peers: every failure has its exit code and no hang.

load helpers

@test "pingpong_unknown_provider_exits_3_listing_providers" {
	run "$PP" -p nosuchprov -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"provider 'nosuchprov' is not available"* ]]
	[[ "$output" == *"tcp"* && "$output" == *"shm"* && "$output" == *"sockets"* ]]
}

@test "pingpong_efa_without_device_exits_3_with_remedy" {
	run "$PP" -p efa -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"finds no EFA device"* && "$output" == *"-p tcp"* ]]
}

@test "pingpong_unknown_domain_exits_3_listing_domains" {
	run "$PP" -p tcp -d nosuchnic -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no domain 'nosuchnic'"* && "$output" == *"lo"* ]]
}

@test "pingpong_no_server_exits_4_within_deadline" {
	start=$(date +%s%N)
	run "$PP" -p tcp -t 2 -B "$PORT" 127.0.0.1
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$output (${elapsed_ms} ms)"
	[ "$status" -eq 4 ]
	[[ "$output" == *"no fabcheck server answered on 127.0.0.1 port $PORT"* ]]
	[ "$elapsed_ms" -lt 5000 ]
}

@test "pingpong_server_without_client_exits_4_at_deadline" {
	run timeout 20 "$PP" -x socket -t 1 -B "$PORT"
	[ "$status" -eq 4 ]
	[[ "$output" == *"no client connected"* ]]
}

@test "pingpong_garbage_on_bootstrap_port_is_ignored" {
	start_server "$PP" -x socket -S 8 -I 5 -T 3
	python3 "$BATS_TEST_DIRNAME/bootframe.py" client "$PORT" garbage
	run_client "$PP" -x socket -S 8 -I 5 -T 3
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	grep -q "ignoring connection from 127.0.0.1.*not a fabcheck peer" "$OUT/server.err"
}

@test "pingpong_half_open_connection_is_dropped" {
	start_server "$PP" -x socket -S 8 -I 5 -T 1
	python3 "$BATS_TEST_DIRNAME/bootframe.py" client "$PORT" silent 2 &
	silent=$!
	sleep 0.3
	run_client "$PP" -x socket -S 8 -I 5 -T 3
	wait_server
	wait "$silent"
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	grep -q "sent no hello in time" "$OUT/server.err"
}

@test "pingpong_connection_closed_before_hello_is_dropped" {
	start_server "$PP" -x socket -S 8 -I 5
	python3 "$BATS_TEST_DIRNAME/bootframe.py" client "$PORT" silent 0
	run_client "$PP" -x socket -S 8 -I 5
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	grep -q "closed before sending a hello" "$OUT/server.err"
}

@test "pingpong_protocol_version_mismatch_at_server_exits_2" {
	start_server "$PP" -x socket -S 8
	run python3 "$BATS_TEST_DIRNAME/bootframe.py" client "$PORT" version 99
	wait_server
	show
	echo "peer was told: $output"
	[ "$SERVER_RC" -eq 2 ]
	grep -q "protocol version mismatch" "$OUT/server.err"
	[[ "$output" == *"protocol version mismatch"* ]]
}

@test "pingpong_protocol_version_mismatch_at_client_exits_2" {
	python3 "$BATS_TEST_DIRNAME/bootframe.py" server "$PORT" version 7 >"$OUT/fake.out" &
	fake=$!
	sleep 0.3
	run_client "$PP" -x socket -S 8
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "speaks version 7, this fabcheck speaks 1" "$OUT/client.err"
}

@test "pingpong_parameter_mismatch_exits_2_on_both_sides" {
	start_server "$PP" -x socket -S 8
	run_client "$PP" -x socket -S 16
	wait_server
	show
	[ "$CLIENT_RC" -eq 2 ]
	[ "$SERVER_RC" -eq 2 ]
	grep -q 'mismatch: -S is "8"' "$OUT/server.err"
	grep -q 'mismatch: -S' "$OUT/client.err"
}

@test "pingpong_invalid_sizes_exit_2_naming_value" {
	run "$PP" -S 8,12X
	[ "$status" -eq 2 ]
	[[ "$output" == *"'12X'"* ]]
	run "$PP" -S 0
	[ "$status" -eq 2 ]
	run "$PP" -S 1M:8
	[ "$status" -eq 2 ]
	[[ "$output" == *"'1M:8'"* ]]
}

@test "pingpong_invalid_iterations_exit_2_naming_value" {
	run "$PP" -I 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"'0'"* ]]
	run "$PP" -I lots
	[ "$status" -eq 2 ]
	[[ "$output" == *"'lots'"* ]]
	run "$PP" -w -1
	[ "$status" -eq 2 ]
}

@test "pingpong_dead_peer_exits_4_within_op_timeout" {
	start_server "$PP" -p tcp -S 8 -I 100000000 -T 2
	timeout 60 "$PP" -B "$PORT" -p tcp -S 8 -I 100000000 -T 2 127.0.0.1 >"$OUT/client.out" 2>"$OUT/client.err" &
	client=$!
	sleep 1.5
	kill_server
	start=$(date +%s%N)
	wait "$client" && rc=0 || rc=$?
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	show
	echo "client exit $rc after ${elapsed_ms} ms"
	[ "$rc" -eq 4 ]
	[ "$elapsed_ms" -lt 8000 ]
}

@test "pingpong_corrupted_data_exits_5_on_both_sides_naming_offset" {
	# flip a bit in what the client receives, 100 bytes into the second 4K reply
	start_server "$PP" -x socket -S 4K -I 5 -w 0 -v
	FABCHECK_CORRUPT_AFTER=4196 LD_PRELOAD="$FAULT_DIR/corrupt_recv.so" \
		run_client "$PP" -x socket -S 4K -I 5 -w 0 -v
	wait_server
	show
	[ "$CLIENT_RC" -eq 5 ]
	[ "$SERVER_RC" -eq 5 ]
	grep -q "size 4K, iteration 1, byte offset 100, server to client" "$OUT/client.err"
	grep -q "size 4K, iteration 1, byte offset 100" "$OUT/server.err"
}
