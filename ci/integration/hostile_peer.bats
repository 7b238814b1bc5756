#!/usr/bin/env bats
# A peer that speaks the bootstrap protocol wrongly on purpose (the driver
# hostile_peer.py): every value it sends is checked before use, and each
# case ends with the documented exit code, within its deadline, with no
# write outside a buffer (the ASan build runs this file too).

load helpers

HOSTILE="$BATS_TEST_DIRNAME/hostile_peer.py"

# hostile_client SCENARIO: the driver as client against the server started
# before; prints what the server told it.
hostile_client() {
	timeout 60 python3 "$HOSTILE" client "$PORT" "$1" >"$OUT/hostile.out" 2>"$OUT/hostile.err" || true
}

# server_ends_with CODE SECONDS: the server exits CODE within SECONDS, and no
# sanitizer spoke
server_ends_with() {
	local start=$SECONDS
	wait_server
	show
	[ "$SERVER_RC" -eq "$1" ]
	[ $((SECONDS - start)) -le "$2" ]
	! grep -q "Sanitizer" "$OUT/server.err"
}

@test "hostile_rma_begin_for_a_size_not_agreed_exits_2_without_writing_past_buffers" {
	start_server "$RMA" -T 5
	hostile_client rma-size-not-agreed
	server_ends_with 2 10
	grep -q "BEGIN .*8388608.*next agreed size is 11M" "$OUT/server.err"
	grep -q "next agreed size is 11M" "$OUT/hostile.out"
}

@test "hostile_begin_malformed_exits_2_not_a_clean_finish" {
	for begin in '{"size":"8"}' '{"size":null}' '{"size":0}' '{"index":0,"size":8,"x":[' '{"index":1,"size":4096}' '[]' empty; do
		start_server "$PP" -T 5 --json "$OUT/server.jsonl"
		hostile_client "begin-$begin"
		server_ends_with 2 10
		[ ! -s "$OUT/server.jsonl" ]
		grep -Eq "BEGIN|unreadable|no payload" "$OUT/server.err"
	done
}

@test "hostile_end_before_all_sizes_exits_2" {
	start_server "$PP" -T 5
	hostile_client end-early
	server_ends_with 2 10
	grep -q "ended after 0 of 2 agreed sizes" "$OUT/server.err"
}

@test "hostile_result_records_with_escapes_are_saved_without_control_characters" {
	start_server "$PP" -T 5 --json "$OUT/server.jsonl"
	hostile_client records-escapes
	server_ends_with 0 10
	jq -e -s 'map(select(.test == "pingpong")) | length == 1' "$OUT/server.jsonl"
	# neither the file nor the table carry the terminal escape
	! grep -qP '\x1b|\x07' "$OUT/server.jsonl"
	! grep -qP '\x1b|\x07' "$OUT/server.out"
	! grep -q 'u001b' "$OUT/server.jsonl"
}

@test "hostile_result_records_that_break_the_schema_exit_2_naming_the_field" {
	for kind in unknown-field:evil wrong-type:size wrong-size:current negative-rate:bw_gbps too-many:records; do
		start_server "$PP" -T 5 --json "$OUT/server.jsonl"
		hostile_client "records-${kind%%:*}"
		server_ends_with 2 10
		grep -q "${kind#*:}" "$OUT/server.err"
		[ ! -e "$OUT/server.jsonl" ]
	done
}

@test "hostile_socket_client_refuses_an_unterminated_data_address" {
	timeout 60 python3 "$HOSTILE" server "$PORT" socket-addr-unterminated >"$OUT/hostile.out" 3>&- &
	fake=$!
	run_client "$PP" -x socket -S 8 -T 5
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "unusable data port" "$OUT/client.err"
	! grep -q "Sanitizer" "$OUT/client.err"
	grep -q "unusable data port" "$OUT/hostile.out"
}

@test "hostile_socket_client_connects_only_to_the_bootstrap_peer" {
	timeout 60 python3 "$HOSTILE" server "$PORT" socket-addr-elsewhere >"$OUT/hostile.out" 3>&- &
	fake=$!
	run_client "$PP" -x socket -S 8 -T 5
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "unusable data port ('10.99.99.99 80', 15 bytes)" "$OUT/client.err"
}

@test "hostile_odd_fabric_address_exits_2" {
	timeout 60 python3 "$HOSTILE" server "$PORT" addr-odd-hex >"$OUT/hostile.out" 3>&- &
	fake=$!
	run_client "$PP" -x socket -S 8 -T 5
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "unusable address" "$OUT/client.err"
}

@test "hostile_rma_target_smaller_than_the_test_reaches_exits_2" {
	timeout 60 python3 "$HOSTILE" server "$PORT" rma-target-too-small >"$OUT/hostile.out" 3>&- &
	fake=$!
	run_client "$RMA" -p tcp -S 64K -T 5
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "registered less than" "$OUT/client.err"
	grep -q "registered less than" "$OUT/hostile.out"
}

@test "hostile_idle_and_garbage_connections_do_not_starve_a_real_client" {
	start_server "$PP" -x socket -T 5
	wait_listening
	exec {a}<>/dev/tcp/127.0.0.1/"$PORT" {b}<>/dev/tcp/127.0.0.1/"$PORT" \
		{c}<>/dev/tcp/127.0.0.1/"$PORT" {d}<>/dev/tcp/127.0.0.1/"$PORT"
	printf 'GET / HTTP/1.0\r\n\r\n' >&"$a"
	start=$SECONDS
	run_client "$PP" -x socket -S 8 -I 5 -T 5
	elapsed=$((SECONDS - start))
	exec {a}>&- {b}>&- {c}>&- {d}>&-
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	[ "$elapsed" -lt 5 ] # the idle ones never made it wait for their deadlines
	grep -q "not a fabcheck peer" "$OUT/server.err"
}

@test "hostile_connect_close_storm_does_not_starve_a_real_client" {
	start_server "$PP" -x socket -T 5
	python3 -c "
import socket, sys
for _ in range(300):
    try:
        socket.create_connection(('127.0.0.1', int(sys.argv[1]))).close()
    except OSError:
        pass
" "$PORT"
	run_client "$PP" -x socket -S 8 -I 5 -T 5
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	# a storm is summed up, not printed line by line
	[ "$(grep -c 'ignoring connection' "$OUT/server.err")" -le 6 ]
}

@test "hostile_stray_hello_of_another_version_is_answered_and_the_server_keeps_waiting" {
	start_server "$PP" -x socket -T 5
	hostile_client version
	run_client "$PP" -x socket -S 8 -I 5
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	# the stray peer is told about the server, not about itself
	grep -q "the fabcheck server at 127.0.0.1 speaks version 2, you sent 99" "$OUT/hostile.out"
}

@test "hostile_server_of_another_version_is_named_to_the_client" {
	timeout 60 python3 "$HOSTILE" server "$PORT" version7 >"$OUT/hostile.out" 3>&- &
	fake=$!
	run_client "$PP" -x socket -S 8 -T 5
	wait "$fake" || true
	show
	[ "$CLIENT_RC" -eq 2 ]
	grep -q "127.0.0.1 speaks version 7, .* speaks 2" "$OUT/client.err"
	# and the fake server is told the client's own version, not its own
	grep -q "speaks version 7, 127.0.0.1 speaks 2" "$OUT/hostile.out"
}

@test "hostile_wrong_magic_huge_length_and_slow_hello_are_dropped_and_a_client_still_runs" {
	start_server "$PP" -x socket -T 1
	hostile_client wrong-magic
	hostile_client huge-length
	hostile_client slow-hello 3>&- &
	slow=$!
	sleep 0.3
	run_client "$PP" -x socket -S 8 -I 5 -T 5
	wait "$slow" || true
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	grep -q "bad magic" "$OUT/server.err"
	grep -q "64 KiB limit" "$OUT/server.err"
}

@test "hostile_params_out_of_range_exit_2_naming_the_field" {
	for p in 'iters=1000000000000:-I' 'window=100000:-W' 'streams=1000:-n' 'warmup=-1:-w' \
		'provider="tcp;$(touch x)":-p' 'test="bw":runs the bw test' 'size_time=1e9:--size-time' \
		'verify="yes":-v' 'op="atomic":--op'; do
		start_server "$PP" -T 5
		hostile_client "params-${p%%:*}"
		server_ends_with 2 10
		grep -q -- "${p#*:}" "$OUT/server.err"
		grep -q "refused" "$OUT/hostile.out"
	done
}

@test "hostile_params_deep_json_and_oversized_frames_exit_2" {
	for s in params-deep-json params-huge-length; do
		start_server "$PP" -T 5
		hostile_client "$s"
		server_ends_with 2 10
		grep -Eq "not valid JSON|4 MiB limit" "$OUT/server.err"
	done
}

@test "hostile_params_truncated_frame_exits_4" {
	start_server "$PP" -T 5
	hostile_client params-truncated
	server_ends_with 4 10
	grep -q "closed the bootstrap connection" "$OUT/server.err"
}

@test "hostile_size_lists_out_of_bounds_exit_2" {
	for sizes in '[]' '[8,8]' '[4096,8]' '[2147483648]' '["8"]' '[0]' "[$(seq -s, 1 5000)]"; do
		start_server "$PP" -T 5
		hostile_client "sizes-$sizes"
		server_ends_with 2 10
		grep -q "size" "$OUT/server.err"
	done
}

@test "hostile_lane_lists_that_cannot_pair_exit_2" {
	for lanes in '[]' '[{"addr":"00","provider":"kernel-tcp"},{"addr":"00","provider":"kernel-tcp"}]' \
		'[{"addr":"zz","provider":"kernel-tcp"}]' "[{\"addr\":\"$(printf '0%.0s' $(seq 1100))\",\"provider\":\"kernel-tcp\"}]"; do
		start_server "$PP" -x socket -T 5
		hostile_client "addr-$lanes"
		server_ends_with 2 10
		grep -Eq "lane" "$OUT/server.err"
	done
}

@test "hostile_iteration_counts_out_of_range_exit_2" {
	for n in 0 -1 1000000000000 '"5"'; do
		start_server "$PP" -T 5
		hostile_client "iters-$n"
		server_ends_with 2 10
		grep -q "iteration count" "$OUT/server.err"
	done
}

@test "hostile_silent_peer_after_hello_exits_4_within_its_timeout" {
	start_server "$PP" -T 2
	hostile_client idle-after-hello 3>&- &
	idle=$!
	# from the moment the peer fell silent (a loaded box can take seconds
	# to start the driver): -T 2, not the driver's 20 s, ends the server
	wait_for_text "$OUT/hostile.err" "idle after hello" || true
	server_ends_with 4 6
	kill "$idle" 2>/dev/null || true
	grep -q "sent nothing for 2.0 s" "$OUT/server.err"
}
