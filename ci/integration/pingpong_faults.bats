#!/usr/bin/env bats
# Bad input and broken peers: every failure has its exit code and no hang.

load helpers

@test "pingpong_unknown_provider_exits_3_listing_providers" {
	run timeout 60 "$PP" -p nosuchprov -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"provider 'nosuchprov' is not available"* ]]
	[[ "$output" == *"tcp"* && "$output" == *"shm"* && "$output" == *"sockets"* ]]
}

@test "pingpong_efa_without_device_exits_3_with_remedy" {
	# on a node that has EFA this is a different test: say so
	if fi_info -p efa >/dev/null 2>&1; then
		skip "this machine has an EFA device: the no-device message cannot be provoked here"
	fi
	run timeout 60 "$PP" -p efa -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"finds no EFA device"* && "$output" == *"-p tcp"* ]]
}

@test "pingpong_unknown_domain_exits_3_listing_domains" {
	run timeout 60 "$PP" -p tcp -d nosuchnic -B "$PORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no domain 'nosuchnic'"* && "$output" == *"lo"* ]]
}

@test "pingpong_no_server_exits_4_within_deadline" {
	start=$(date +%s%N)
	run timeout 60 "$PP" -p tcp -t 2 -B "$PORT" 127.0.0.1
	elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$output (${elapsed_ms} ms)"
	[ "$status" -eq 4 ]
	# (a loaded box can spend the 2 s starting: then the deadline is named)
	[[ "$output" == *"no fabcheck server answered on 127.0.0.1 port $PORT"* ||
		"$output" == *"the run deadline (-t) passed before 127.0.0.1 port $PORT was tried: raise -t"* ]]
	[ "$elapsed_ms" -lt 5000 ]
}

@test "pingpong_server_without_client_exits_4_at_deadline" {
	run timeout 20 "$PP" -x socket -t 1 -B "$PORT"
	[ "$status" -eq 4 ]
	[[ "$output" == *"no client connected"* ]]
}

@test "pingpong_half_open_connection_is_dropped_at_its_deadline" {
	start_server "$PP" -x socket -T 1
	wait_listening
	exec {idle}<>/dev/tcp/127.0.0.1/"$PORT"
	sleep 1.5
	run_client "$PP" -x socket -S 8 -I 5 -T 3
	exec {idle}>&-
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	grep -q "sent no greeting in time" "$OUT/server.err"
}

@test "pingpong_connection_closed_before_hello_is_dropped" {
	start_server "$PP" -x socket
	wait_listening
	exec {c}<>/dev/tcp/127.0.0.1/"$PORT"
	exec {c}>&-
	run_client "$PP" -x socket -S 8 -I 5
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	grep -q "closed before greeting" "$OUT/server.err"
}

@test "pingpong_server_takes_the_clients_parameters" {
	# a bare server: no provider, sizes or iterations of its own
	start_server "$PP" --json "$OUT/server.jsonl"
	run_client "$PP" -p tcp -S 16,4K -I 7 -w 2 -v --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	diff <(measured "$OUT/client.jsonl") <(measured "$OUT/server.jsonl")
	jq -e -s 'map(select(.test == "pingpong")) | map(.size) == [16, 4096]
		and all(.[]; .iters == 7 and .warmup == 2 and .verified and (.provider == "tcp;ofi_rxm" or .provider == "tcp"))' "$OUT/server.jsonl"
}

@test "pingpong_against_another_program_exits_2_on_both_sides" {
	start_server "$BW" -x socket
	run_client "$PP" -x socket -S 8
	wait_server
	show
	[ "$CLIENT_RC" -eq 2 ]
	[ "$SERVER_RC" -eq 2 ]
	grep -q "the peer runs the pingpong test, this program runs bw" "$OUT/server.err"
	grep -q "runs the pingpong test" "$OUT/client.err"
}

@test "pingpong_invalid_sizes_exit_2_naming_value" {
	run timeout 60 "$PP" -S 8,12X
	[ "$status" -eq 2 ]
	[[ "$output" == *"'12X'"* ]]
	run timeout 60 "$PP" -S 0
	[ "$status" -eq 2 ]
	run timeout 60 "$PP" -S 1M:8
	[ "$status" -eq 2 ]
	[[ "$output" == *"'1M:8'"* ]]
}

@test "pingpong_invalid_iterations_exit_2_naming_value" {
	run timeout 60 "$PP" -I 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"'0'"* ]]
	run timeout 60 "$PP" -I lots
	[ "$status" -eq 2 ]
	[[ "$output" == *"'lots'"* ]]
	run timeout 60 "$PP" -w -1
	[ "$status" -eq 2 ]
}

@test "pingpong_dead_peer_exits_4_within_op_timeout" {
	start_server "$PP" -p tcp -S 8 -I 100000000 -T 2
	timeout 60 "$PP" -B "$PORT" -p tcp -S 8 -I 100000000 -T 2 127.0.0.1 >"$OUT/client.out" 2>"$OUT/client.err" 3>&- &
	client=$!
	# killed mid-run, not while the client still looks for a server (which
	# -t bounds, not -T)
	wait_test_agreed
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

@test "pingpong_client_shows_its_wait_in_a_job_log_and_questions_a_silent_port" {
	# off a terminal (a job's log), a client that finds no server says so
	# every 10 s instead of nothing until -t
	run timeout 40 "$PP" -x socket -t 12 -B "$PORT" 127.0.0.1
	[ "$status" -eq 4 ]
	[[ "$output" == *"fabcheck-pingpong: waiting for the server on 127.0.0.1 port $PORT"* ]]
	# something else on the port that accepts and says nothing
	python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("listening", flush=True)
c, _ = s.accept(); time.sleep(15)' "$PORT" >"$OUT/silent.out" 3>&- &
	silent=$!
	wait_for_text "$OUT/silent.out" listening 10 || true
	run timeout 40 "$PP" -x socket -T 2 -B "$PORT" 127.0.0.1
	kill "$silent" 2>/dev/null || true
	[ "$status" -eq 4 ]
	[[ "$output" == *"something accepted on port $PORT but said nothing: is it fabcheck's -B port?"* ]]
}
