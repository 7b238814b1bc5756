#!/usr/bin/env bats
# Result files: written, never replaced; paths checked before any traffic;
# signals end a run with its completed records kept and the peer told.

load helpers

# a short run whose records go where the test says
pair_to() {
	start_server "$PP" -x socket
	run_client "$PP" -x socket -S 8,64 -I 5 "$@"
	wait_server
	show
}

@test "results_into_a_character_device_write_it_and_leave_the_node" {
	mknod "$OUT/null" c 1 3
	pair_to --json "$OUT/null"
	[ "$CLIENT_RC" -eq 0 ]
	[ -c "$OUT/null" ]
	[ -z "$(ls "$OUT" | grep tmp-)" ]
}

@test "results_into_a_fifo_reach_its_reader" {
	mkfifo "$OUT/fifo"
	cat "$OUT/fifo" >"$OUT/read.jsonl" 3>&- &
	reader=$!
	pair_to --json "$OUT/fifo"
	wait "$reader"
	[ "$CLIENT_RC" -eq 0 ]
	[ -p "$OUT/fifo" ]
	[ "$(jq -s 'map(select(.test == "pingpong")) | length' "$OUT/read.jsonl")" -eq 2 ]
}

@test "results_into_a_fifo_nobody_reads_exit_2_at_once" {
	mkfifo "$OUT/fifo"
	start=$SECONDS
	run timeout 20 "$PP" -x socket -S 8 --json "$OUT/fifo" -B "$PORT" 127.0.0.1
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"a FIFO nobody reads"* ]]
	[ $((SECONDS - start)) -lt 3 ]
}

@test "results_through_a_symlink_replace_its_target_not_the_link" {
	echo old >"$OUT/real.jsonl"
	ln -s real.jsonl "$OUT/link.jsonl"
	pair_to --json "$OUT/link.jsonl"
	[ "$CLIENT_RC" -eq 0 ]
	[ -L "$OUT/link.jsonl" ]
	[ "$(jq -s 'map(select(.test == "pingpong")) | length' "$OUT/real.jsonl")" -eq 2 ]
}

@test "results_to_stdout_go_there_and_the_table_to_stderr" {
	start_server "$PP" -x socket
	run timeout 30 "$PP" -x socket -S 8 -I 5 --json /dev/stdout -B "$PORT" 127.0.0.1
	wait_server
	[ "$status" -eq 0 ]
	[ -c /dev/null ]
	echo "$output" | grep -q '"test":"pingpong"'
}

@test "results_into_a_folder_or_nowhere_exit_2_before_any_traffic" {
	mkdir "$OUT/dir"
	for path in "$OUT/dir" "$OUT/missing/x.jsonl" "/proc/nope.jsonl"; do
		start=$SECONDS
		# no server runs: the path is refused before the client looks for one
		run timeout 20 "$PP" -x socket -S 8 --json "$path" -B "$PORT" 127.0.0.1
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"cannot write results to '$path'"* ]]
		[[ "$output" != *"no fabcheck server"* ]]
	done
	chmod 555 "$OUT/dir"
	if [ "$(id -u)" -ne 0 ]; then
		run timeout 20 "$PP" -x socket -S 8 --json "$OUT/dir/x.jsonl" -B "$PORT" 127.0.0.1
		[ "$status" -eq 2 ]
	fi
}

@test "results_json_and_csv_to_the_same_file_exit_2" {
	run timeout 20 "$PP" -x socket --json "$OUT/x" --csv "$OUT/x" -B "$PORT" 127.0.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--json and --csv both name"* ]]
	ln -s x "$OUT/y"
	touch "$OUT/x"
	run timeout 20 "$PP" -x socket --json "$OUT/x" --csv "$OUT/y" -B "$PORT" 127.0.0.1
	[ "$status" -eq 2 ]
}

@test "results_follow_the_umask" {
	(umask 022 && pair_to --json "$OUT/r.jsonl")
	[ "$(stat -c %a "$OUT/r.jsonl")" = 644 ]
	(umask 077 && pair_to --json "$OUT/s.jsonl")
	[ "$(stat -c %a "$OUT/s.jsonl")" = 600 ]
}

@test "results_on_a_full_disk_exit_3_and_keep_whole_records_as_partial" {
	# a file-size limit is a full disk for this process
	start_server "$PP" -x socket
	(ulimit -f 4 && trap '' XFSZ && run_client "$PP" -x socket -S 8:64K -I 20 --json "$OUT/r.jsonl"; echo "$CLIENT_RC" >"$OUT/rc")
	wait_server
	show
	[ "$(cat "$OUT/rc")" -eq 3 ]
	grep -q "disk or a quota is full" "$OUT/client.err"
	[ ! -e "$OUT/r.jsonl" ]
	# what is kept parses: no half record
	[ -e "$OUT/r.jsonl.partial" ]
	jq -e -s 'length >= 1' "$OUT/r.jsonl.partial"
	[ -z "$(ls "$OUT" | grep tmp-)" ]
}

# signal_run SIG: a long run, the client signalled after its first sizes
signal_run() {
	start_server "$PP" -x socket --json "$OUT/server.jsonl"
	timeout 60 "$PP" -x socket -S 8:1M --size-time 0.3 -B "$PORT" --json "$OUT/client.jsonl" 127.0.0.1 \
		>"$OUT/client.out" 2>"$OUT/client.err" 3>&- &
	client=$!
	# after its first size is done and written (a loaded box can take
	# seconds to get there), while later sizes run
	wait_for_text "$OUT/client.out" '^ \+8 \+0 ' || true
	sleep 0.2
	pkill -"$1" -P "$client" # the program, not its timeout wrapper
	start=$SECONDS
	wait "$client" && CLIENT_RC=0 || CLIENT_RC=$?
	ELAPSED=$((SECONDS - start))
	wait_server
	show
}

@test "results_sigint_sigterm_sighup_keep_partial_records_tell_the_peer_and_exit_128_plus_n" {
	for sig in INT:130 TERM:143 HUP:129; do
		signal_run "${sig%%:*}"
		[ "$CLIENT_RC" -eq "${sig#*:}" ]
		# well inside the 10 s op timeout (a loaded CI box may take a few s)
		[ "$ELAPSED" -le 5 ]
		# completed records kept, none half, no temporary left; the
		# message names the real file, not a placeholder
		jq -e -s 'length >= 1' "$OUT/client.jsonl.partial"
		grep -q "record(s) it finished are in $OUT/client.jsonl.partial" "$OUT/client.err"
		! grep -q "FILE.partial" "$OUT/client.err"
		[ ! -e "$OUT/client.jsonl" ]
		[ -z "$(ls "$OUT" | grep tmp-)" ]
		# the peer was told at once, not left to its timeout
		[ "$SERVER_RC" -eq 4 ]
		grep -q "stopped by" "$OUT/server.err"
		rm -f "$OUT"/*.partial
	done
}

@test "results_sigpipe_when_the_reader_goes_exits_141" {
	start_server "$PP" -x socket
	set +e
	timeout 60 "$PP" -x socket -S 8:1M --size-time 0.3 -B "$PORT" --json - 127.0.0.1 2>"$OUT/client.err" | head -c 10 >/dev/null
	rc=${PIPESTATUS[0]}
	set -e
	wait_server
	show
	[ "$rc" -eq 141 ]
	grep -q "SIGPIPE" "$OUT/client.err"
}

@test "results_second_client_at_a_busy_server_is_told_it_is_busy" {
	start_server "$PP" -x socket
	timeout 60 "$PP" -x socket -S 8:1M --size-time 0.3 -B "$PORT" 127.0.0.1 >"$OUT/first.out" 2>&1 3>&- &
	first=$!
	wait_test_agreed # the first client's test runs
	run timeout 20 "$PP" -x socket -S 8 -B "$PORT" 127.0.0.1
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"busy"* ]]
	wait "$first"
	wait_server
}

# stop_peer SIDE PROGRAM ARGS...: a long run over libfabric; SIDE (client
# or server) is interrupted mid-size; MS: how long the other took to exit
# after it did; PEER_RC, and PEER_ERR its messages
stop_peer() {
	local side=$1 prog=$2 client t_stopped t_peer
	shift 2
	start_server "$prog" "$@"
	wait_listening
	timeout 60 "$prog" -B "$PORT" "$@" -I 100000 -T 10 127.0.0.1 >"$OUT/client.out" 2>"$OUT/client.err" 3>&- &
	client=$!
	# the server took the test: the lanes are in their first size's
	# warmup or timed phase, which lasts minutes at -I 100000
	wait_for_text "$OUT/server.out" "test from the client" 30 || true
	sleep 0.3
	if [ "$side" = client ]; then
		pkill -INT -P "$client"
		wait "$client" || true
		t_stopped=$(date +%s%N)
		wait_server
		t_peer=$(date +%s%N)
		PEER_RC=$SERVER_RC PEER_ERR="$OUT/server.err"
	else
		pkill -INT -P "$SERVER_PID"
		wait_server
		t_stopped=$(date +%s%N)
		wait "$client" && PEER_RC=0 || PEER_RC=$?
		t_peer=$(date +%s%N)
		PEER_ERR="$OUT/client.err"
	fi
	MS=$(((t_peer - t_stopped) / 1000000))
}

@test "results_a_stopped_client_stops_its_libfabric_peer_at_once_not_after_its_timeout" {
	for args in "$BW -p tcp -S 64K:4M" "$PP -p tcp -S 8:64K" "$BW -p shm -S 64K:4M" "$RMA -p tcp -S 64K:1M"; do
		# shellcheck disable=SC2086
		stop_peer client $args
		echo "# ${args##*/}: the server exited $MS ms after the client" >&3
		show
		[ "$PEER_RC" -eq 4 ]
		grep -q "stopped by" "$PEER_ERR"
		# far inside -T 10 (an idle box: 4 to 50 ms; a loaded CI box may take a second)
		[ "$MS" -lt 3000 ]
	done
}

@test "results_a_stopped_server_stops_its_libfabric_client_at_once_not_after_its_timeout" {
	for args in "$BW -p tcp -S 64K:4M" "$BW -p shm -S 64K:4M" "$PP -x socket -S 8:64K"; do
		# shellcheck disable=SC2086
		stop_peer server $args
		echo "# ${args##*/}: the client exited $MS ms after the server" >&3
		show
		[ "$PEER_RC" -eq 4 ]
		grep -q "stopped by" "$PEER_ERR"
		[ "$MS" -lt 3000 ]
	done
}
