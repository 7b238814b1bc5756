#!/usr/bin/env bats
# Faults a peer or the node can throw at a running benchmark: each ends
# with its exit code, in its time, with no crash and nothing half-written
# (README "Robustness" lists them; this file backs its rows).

load helpers

# no_crash: neither side left a crash behind (libfabric's psm library turns
# a SIGSEGV into exit 1 and a .btr file in the working folder)
no_crash() {
	[ -z "$(ls "$OUT" | grep -E '\.btr$')" ]
	[ -z "$(ls "$OUT" | grep tmp-)" ]
	! grep -q "Sanitizer\|terminated with signal" "$OUT"/*.err
}

@test "fault_peer_stalled_then_resumed_both_exit_4_without_crashing" {
	# SIGSTOP a bidirectional client past the server's -T, then SIGCONT:
	# the server gives up (4) and the resumed client finds it gone (4);
	# operations still posted are cancelled and drained, or abandoned,
	# never closed under the provider
	cd "$OUT"
	for dir in --bidir ""; do
		start_server "$BW" -T 3 --json "$OUT/server.jsonl"
		# the client's own -T is long: a loaded box must not end it before
		# the stall (CI beside a second make check did, once)
		timeout 60 "$BW" -p tcp $dir -S 64K -I 30000 -t 60 -T 20 -B "$PORT" --json "$OUT/client.jsonl" 127.0.0.1 \
			>"$OUT/client.out" 2>"$OUT/client.err" 3>&- &
		client=$!
		wait_test_agreed
		pkill -STOP -P "$client" || { show; false; } # the program, not its timeout wrapper
		sleep 5
		pkill -CONT -P "$client"
		wait "$client" && rc=0 || rc=$?
		wait_server
		show
		[ "$rc" -eq 4 ]
		[ "$SERVER_RC" -eq 4 ]
		no_crash
	done
}

@test "fault_peer_killed_mid_run_exits_4_within_the_op_timeout" {
	start_server "$BW" -T 2 --json "$OUT/server.jsonl"
	# the server's -T is what is measured; the client's is long, so that
	# a loaded box (two make check at once) does not end it first
	timeout 60 "$BW" -p tcp -S 64K -I 30000 -T 20 -B "$PORT" 127.0.0.1 >"$OUT/client.out" 2>"$OUT/client.err" 3>&- &
	client=$!
	wait_test_agreed
	pkill -9 -P "$client" || { show; false; }
	start=$SECONDS
	wait_server
	show
	[ "$SERVER_RC" -eq 4 ]
	[ $((SECONDS - start)) -le 4 ]
	[ ! -e "$OUT/server.jsonl" ]
	no_crash
}

@test "fault_counter_file_that_is_a_fifo_does_not_hang_a_run" {
	# --sysfs-root names a tree whose lo counters are FIFOs: the coverage
	# check says it cannot read them, the run ends in its time
	mkdir -p "$OUT/sys/class/net/lo/statistics"
	mkfifo "$OUT/sys/class/net/lo/statistics/tx_bytes" "$OUT/sys/class/net/lo/statistics/rx_bytes"
	start_server "$PP" --sysfs-root "$OUT/sys"
	start=$SECONDS
	run_client "$PP" -x socket -S 8 -I 5 -t 20 --sysfs-root "$OUT/sys" --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ $((SECONDS - start)) -lt 10 ]
	jq -e -s 'map(select(.test == "coverage")) | .[0].coverage == "unverifiable"' "$OUT/client.jsonl"
}

@test "fault_run_deadline_is_named_as_such_not_as_a_silent_peer" {
	start_server "$PP"
	run_client "$PP" -p tcp -S 8:1M -I 100000 -t 2
	wait_server
	show
	[ "$CLIENT_RC" -eq 4 ]
	# before the first size (a loaded box) the bootstrap names -t without its value
	grep -qE "run deadline \(-t( 2 s)?\) passed" "$OUT/client.err"
	! grep -q "stopped responding" "$OUT/client.err"
}

@test "fault_a_fabric_without_message_ordering_runs_pingpong_and_rma_and_bw_says_why" {
	# every provider made to look like efa-direct (no msg_order at all):
	# only the bandwidth loop needs send-after-send, so only it is refused
	local shim="$FAULT_DIR/unordered_fabric.so"
	LD_PRELOAD="$shim" start_server "$PP" -p tcp -S 8:4K -I 20
	LD_PRELOAD="$shim" run_client "$PP" -p tcp -S 8:4K -I 20
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ] && [ "$SERVER_RC" -eq 0 ]
	LD_PRELOAD="$shim" start_server "$RMA" -p tcp --op write -S 4K -I 10
	LD_PRELOAD="$shim" run_client "$RMA" -p tcp --op write -S 4K -I 10
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ] && [ "$SERVER_RC" -eq 0 ]
	LD_PRELOAD="$shim" run_client "$BW" -p tcp -S 64K -I 4 || true
	show
	[ "$CLIENT_RC" -eq 3 ]
	grep -q "offers no send-after-send ordering (FI_ORDER_SAS), which the bandwidth test needs" "$OUT/client.err"
}

@test "fault_a_fabric_that_sends_at_most_8k_skips_larger_sizes_and_rma_still_moves_them" {
	# efa-direct's sends stop at the device MTU: ping-pong measures the
	# sizes a send can carry and says what it skipped; RMA moves 1 MiB
	local shim="$FAULT_DIR/unordered_fabric.so"
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" start_server "$PP" -p tcp
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" run_client "$PP" -p tcp -S 8,8K,64K,1M -I 20 --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ] && [ "$SERVER_RC" -eq 0 ]
	[ "$(jq -s -c '[.[] | select(.test == "pingpong") | .size]' "$OUT/client.jsonl")" = "[8,8192]" ]
	grep -q "warning: 2 size(s) above 8K skipped: provider tcp[^ ]* sends at most that per message" "$OUT/client.out"
	# nothing a send can carry: said, exit 3
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" start_server "$PP" -p tcp
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" run_client "$PP" -p tcp -S 64K -I 20
	wait_server
	show
	[ "$CLIENT_RC" -eq 3 ]
	grep -q "sends at most 8K per message, and every size asked is larger" "$OUT/client.err"
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" start_server "$RMA" -p tcp --op writedata
	FABCHECK_MAX_MSG=8192 LD_PRELOAD="$shim" run_client "$RMA" -p tcp --op writedata -S 1M -I 10 --json "$OUT/rma.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ] && [ "$SERVER_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "rma")) | length >= 1 and all(.[]; .size == 1048576 and .bw_gbps > 0)' "$OUT/rma.jsonl"
}
