#!/usr/bin/env bats
# fabcheck-rma between real processes on loopback.

load helpers

# rma_pair ARGS...: verified RMA at 8 B, 64K and 1M, records in JSON
rma_pair() {
	start_server "$RMA" -S 8,64K,1M -I 6 -w 2 -v -T 20 --json "$OUT/server.jsonl" "$@"
	run_client "$RMA" -S 8,64K,1M -I 6 -w 2 -v -T 20 --json "$OUT/client.jsonl" "$@"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	diff <(measured "$OUT/client.jsonl") <(measured "$OUT/server.jsonl")
	jq -e -s 'map(select(.test == "rma")) | (map(.size) | unique) == [8, 65536, 1048576]
		and all(.[]; .verified == true and .iters == 6 and .bw_gbps > 0 and .lat_us_p50 > 0
			and .lat_us_min <= .lat_us_p50 and .window >= 2)' "$OUT/client.jsonl"
}

@test "rma_tcp_write_read_writedata_verified" {
	for op in write read writedata; do
		rma_pair -p tcp --op "$op"
		jq -e -s --arg op "$op" 'map(select(.test == "rma")) | all(.[]; .rma_op == $op
			and (.provider == "tcp;ofi_rxm" or .provider == "tcp") and .rma_emulated == null)' "$OUT/client.jsonl"
	done
	# reads move data toward the client, writes away from it
	jq -e -s 'map(select(.test == "coverage"))[0] | .sent_bytes > 10000000' "$OUT/client.jsonl"
}

@test "rma_read_moves_data_to_the_client" {
	rma_pair -p tcp --op read
	jq -e -s 'map(select(.test == "rma")) | all(.[]; .direction == "read")' "$OUT/client.jsonl"
	jq -e -s 'map(select(.test == "coverage"))[0] | .recv_bytes > 10000000 and .sent_bytes < 1000000' "$OUT/client.jsonl"
}

@test "rma_sockets_blocking_and_shm_verified" {
	rma_pair -p sockets -b --op write
	rma_pair -p shm --op writedata
	rma_pair -p shm --op read
}

@test "rma_socket_transport_has_no_rma_exit_2" {
	run timeout 60 "$RMA" -x socket 127.0.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"socket transport has no RMA"* ]]
}

@test "rma_server_takes_the_clients_op" {
	start_server "$RMA" -p tcp -S 8 --op read --json "$OUT/server.jsonl"
	run_client "$RMA" -p tcp -S 64K -I 3 --op writedata --json "$OUT/client.jsonl"
	wait_server
	show
	[ "$CLIENT_RC" -eq 0 ]
	[ "$SERVER_RC" -eq 0 ]
	jq -e -s 'map(select(.test == "rma")) | length == 1 and all(.[]; .rma_op == "writedata" and .size == 65536)' \
		"$OUT/server.jsonl"
}

@test "rma_target_side_coverage_counts_the_bytes_its_nic_moved" {
	# one-sided operations complete only at the client; the server still
	# counts what its NIC moved for them (write: received, read: sent)
	for op in write read; do
		start_server "$RMA" --json "$OUT/server.jsonl"
		run_client "$RMA" -p tcp -S 64K -I 5 --op "$op"
		wait_server
		show
		[ "$SERVER_RC" -eq 0 ]
		if [ "$op" = write ]; then key=recv_bytes; else key=sent_bytes; fi
		# 5 windows of 64 and 5 single operations, 64K each
		jq -e -s "map(select(.test == \"coverage\"))[0].$key >= (5 * 64 + 5) * 65536" "$OUT/server.jsonl"
	done
}

@test "rma_invalid_op_exits_2" {
	run timeout 60 "$RMA" --op atomic
	[ "$status" -eq 2 ]
	[[ "$output" == *"'atomic'"* ]]
}

@test "rma_every_nic_over_two_lanes" {
	rma_pair -p tcp --op write -E 2
	jq -e -s 'map(select(.test == "rma")) | map(.lane) | unique == [0, 1, "all"]' "$OUT/client.jsonl"
}
