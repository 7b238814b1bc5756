#!/usr/bin/env bats
# fabcheck-report: records in, Markdown and charts out, nothing half-written.

load helpers

REPORT="$FABCHECK_BIN/fabcheck-report"
FIX="$BATS_TEST_DIRNAME/../fixtures/report"
CHECK="$BATS_TEST_DIRNAME/check_png_svg.py"
REC="$BATS_TEST_DIRNAME/report_record.py"

# sock ARGS...: a TCP-sockets record (the non-EFA baseline)
sock() {
	"$REC" transport=socket provider=kernel-tcp fabric=null "$@"
}

# nothing_left DIR: no report folder, no temporary folder beside it
nothing_left() {
	[ ! -e "$1" ]
	[ -z "$(ls -d "$1".tmp-* 2>/dev/null)" ]
}

# row SIZE: the Markdown table row for that size, cells trimmed
row() {
	grep -m1 "^| $1 |" "$OUT/r/report.md" | sed 's/ *| */|/g'
}

@test "report_p4d_public_table_gives_18_7x_at_2_GiB" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/p4d-efa-vs-tcp.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	[ "$(row '2 GiB')" = "|2 GiB|77.35|4.13|18.7x|" ]
	grep -qF "peak bandwidth, libfabric efa (4 lanes): 77.35 GB/s at 2 GiB" "$OUT/r/report.md"
	grep -q "speed-up first reaches 2x at 2 GiB" "$OUT/r/report.md"
	for c in bandwidth speedup; do
		python3 "$CHECK" png "$OUT/r/$c.png" 800 500
	done
	python3 "$CHECK" svg "$OUT/r/bandwidth.svg" "libfabric efa" "TCP sockets"
	python3 "$CHECK" svg "$OUT/r/speedup.svg" "speed-up"
	# the raw records travel with the report
	[ "$(wc -l < "$OUT/r/records.jsonl")" -eq 2 ]
	grep -q 'p4d-a' "$OUT/r/report.md"
}

@test "report_speedup_column_equals_the_ratio_of_the_bandwidth_columns" {
	for fixture in one-sided p4d-efa-vs-tcp; do
		rm -rf "$OUT/r"
		run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/$fixture.jsonl"
		[ "$status" -eq 0 ]
		# every row with both numbers: speed-up is their ratio, one decimal
		# from 0.95 up, two significant digits below (never "0.0x")
		sed -n '/^## Bandwidth/,/^## Summary/p' "$OUT/r/report.md" | grep -E '^\| [0-9]+ ([KMGT]i)?B \|' | python3 -c '
import sys
rows = 0
for line in sys.stdin:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if cells[1] and cells[2]:
        r = float(cells[1]) / float(cells[2])
        want = ("%.1fx" if r >= 0.95 else "%.2gx") % r
        assert cells[3] == want, (cells, want)
        rows += 1
    else:
        assert cells[3] == "", cells
assert rows >= 1, rows
print(rows, "rows checked")'
	done
}

@test "report_size_on_one_side_only_gives_an_empty_cell" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	[ "$(row '64 KiB')" = "|64 KiB|9.50|||" ]
	[ "$(row '1 MiB')" = "|1 MiB||3.00||" ]
	[ "$(row '1 KiB')" = "|1 KiB|1.20|0.60|2.0x|" ]
	grep -q "speed-up first reaches 2x at 1 KiB" "$OUT/r/report.md"
}

@test "report_per_nic_bars_and_pair_heatmap" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/multinic-pairs.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	python3 "$CHECK" png "$OUT/r/nics.png" 800 500
	python3 "$CHECK" png "$OUT/r/heatmap.png" 800 500
	python3 "$CHECK" svg "$OUT/r/nics.svg" "rdmap144s27-rdm"
	python3 "$CHECK" svg "$OUT/r/heatmap.svg" "node1" "node4"
	# the bad pair is a cell of its own
	grep -q '"node2" 47.5 -1 47.5 2.1' "$OUT/r/heatmap.dat"
}

@test "report_from_real_loopback_runs_has_every_chart" {
	for x in "-p tcp" "-x socket"; do
		start_server "$PP" $x -S 8,4K,64K -I 20 --json "$OUT/s.jsonl"
		run_client "$PP" $x -S 8,4K,64K -I 20 --json "$OUT/pp-${x// /}.jsonl"
		wait_server
		[ "$CLIENT_RC" -eq 0 ]
		start_server "$BW" $x -S 4K,64K -I 3 --json "$OUT/s.jsonl"
		run_client "$BW" $x -S 4K,64K -I 3 --json "$OUT/bw-${x// /}.jsonl"
		wait_server
		[ "$CLIENT_RC" -eq 0 ]
	done
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT"/pp-*.jsonl "$OUT"/bw-*.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	for c in bandwidth latency speedup; do
		python3 "$CHECK" png "$OUT/r/$c.png" 800 500
	done
	python3 "$CHECK" svg "$OUT/r/latency.svg" "libfabric tcp;ofi_rxm" "TCP sockets"
	grep -q "small-message latency (8 B, p50)" "$OUT/r/report.md"
	[ -n "$(row '64 KiB' | cut -d'|' -f5)" ]
}

# two runs of one configuration, "before" and "after": two series, never a
# silent median of both; --compare takes the labels; --pool pools them
@test "report_runs_of_one_configuration_stay_apart_and_compare_by_label" {
	local l
	for l in before after; do
		start_server "$BW" -p tcp -S 4K,64K -I 3 --json "$OUT/s.jsonl"
		run_client "$BW" -p tcp -S 4K,64K -I 3 --label "$l" --json "$OUT/bw-$l.jsonl"
		wait_server
		[ "$CLIENT_RC" -eq 0 ]
		# every record carries the run and its label; the server prints the
		# client's measurement, with the client's run
		jq -e -s --arg l "$l" 'all(.[]; .label == $l and (.run | test("^[0-9]{8}T[0-9]{6}Z-.+-[0-9]+$")))' "$OUT/bw-$l.jsonl"
	done
	[ "$(jq -r -s 'map(.run) | unique | length' "$OUT"/bw-before.jsonl "$OUT"/bw-after.jsonl)" -eq 2 ]
	run timeout 60 "$REPORT" -o "$OUT/r" --compare before,after "$OUT/bw-before.jsonl" "$OUT/bw-after.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^Compared: S[0-9] libfabric tcp;ofi_rxm (.*before) against S[0-9] libfabric tcp;ofi_rxm (.*after)" "$OUT/r/report.md"
	[ -n "$(row '64 KiB' | cut -d'|' -f5)" ]
	# the same runs without labels: apart by run id, pooled on request
	for l in before after; do jq -c 'del(.label)' "$OUT/bw-$l.jsonl" >"$OUT/nolabel-$l.jsonl"; done
	run timeout 60 "$REPORT" -o "$OUT/n" "$OUT"/nolabel-*.jsonl
	[ "$status" -eq 0 ]
	[ "$(grep -c '^| S[0-9]* | libfabric tcp;ofi_rxm (.*run [0-9]\{8\}T' "$OUT/n/report.md")" -eq 2 ]
	run timeout 60 "$REPORT" -o "$OUT/p" --pool "$OUT"/nolabel-*.jsonl
	[ "$status" -eq 0 ]
	[ "$(grep -c '^| S[0-9]* | libfabric tcp;ofi_rxm' "$OUT/p/report.md")" -eq 1 ]
	# a label that would break a table is refused before anything runs
	run "$BW" -p tcp --label 'a|b' 127.0.0.1
	[ "$status" -eq 2 ]
}

@test "report_empty_input_exits_2_and_writes_nothing" {
	: > "$OUT/empty.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/empty.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no records"* ]]
	[ ! -e "$OUT/r" ]
	[ -z "$(ls -d "$OUT"/r.tmp-* 2>/dev/null)" ]
}

@test "report_malformed_input_exits_2_naming_the_line_and_writes_nothing" {
	cp "$FIX/one-sided.jsonl" "$OUT/bad.jsonl"
	echo '{"schema": 1, "test": "bw", "size": 8,' >> "$OUT/bad.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/bad.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.jsonl:7 is not a JSON record"* ]]
	[ ! -e "$OUT/r" ]
	echo '{"hello": "world"}' > "$OUT/alien.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/alien.jsonl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"alien.jsonl:1 is not a fabcheck record"* ]]
	[ ! -e "$OUT/r" ]
}

@test "report_refuses_to_overwrite_a_report" {
	mkdir -p "$OUT/r"
	echo keep > "$OUT/r/report.md"
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	[ "$status" -eq 2 ]
	[ "$(cat "$OUT/r/report.md")" = "keep" ]
}

@test "report_help_exits_0" {
	run timeout 60 "$REPORT" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: fabcheck-report"* ]]
}

# ---- issue 10: nothing executed, nothing dropped, inputs checked

@test "report_hostile_provider_label_runs_nothing" {
	cd "$OUT"
	for s in 8 1024; do
		"$REC" "provider=x'; y=system('touch $OUT/p'); z='" size=$s bw_gbps=1.5
		sock size=$s bw_gbps=0.5
	done > hostile.jsonl
	run timeout 60 "$REPORT" -o "$OUT/r" hostile.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$OUT/p" ]
	# the label reached the charts as text, quote and all
	python3 "$CHECK" svg "$OUT/r/bandwidth.svg" "system('touch"
	python3 "$CHECK" svg "$OUT/r/speedup.svg" "system('touch"
	# double quotes, macros and backquotes are text too
	for s in 8 1024; do
		"$REC" "provider=\"@plotdir\" \`touch $OUT/q\`" size=$s bw_gbps=1.0
		sock size=$s bw_gbps=0.5
	done > hostile2.jsonl
	run timeout 60 "$REPORT" -o "$OUT/r2" hostile2.jsonl
	[ "$status" -eq 0 ]
	[ ! -e "$OUT/q" ]
}

@test "report_output_path_with_quotes_runs_nothing_and_leaves_no_tmp" {
	cd "$OUT"
	run timeout 60 "$REPORT" -o "o';touch PWNED;'" "$FIX/one-sided.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "o';touch PWNED;'/report.md" ]
	[ -z "$(find "$OUT" -name PWNED)" ]
	[ -z "$(ls -d "$OUT"/*.tmp-* 2>/dev/null)" ]
	# a failing run with such a name cleans up through the C library
	run env FABCHECK_GNUPLOT=false "$REPORT" -o "p';touch PWNED;'" "$FIX/one-sided.jsonl"
	[ "$status" -eq 3 ]
	[ -z "$(find "$OUT" -name PWNED)" ]
	nothing_left "$OUT/p';touch PWNED;'"
}

@test "report_output_path_with_apostrophe_works" {
	run timeout 60 "$REPORT" -o "$OUT/bob's run" "$FIX/one-sided.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$OUT/bob's run/bandwidth.png" ]
	[ -z "$(ls -d "$OUT"/*.tmp-* 2>/dev/null)" ]
}

@test "report_output_dir_with_trailing_slash_and_empty_dir_is_filled" {
	mkdir "$OUT/r"
	run timeout 60 "$REPORT" -o "$OUT/r/" "$FIX/one-sided.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$OUT/r/report.md" ]
	[ -z "$(ls -d "$OUT"/r.tmp-* "$OUT"/r/.tmp-* 2>/dev/null)" ]
}

@test "report_more_than_24_series_all_in_the_tables_the_baseline_compared_and_24_drawn_with_the_pair" {
	for i in $(seq 1 40); do
		"$REC" provider=prov$i size=4096 bw_gbps=$i.0
	done > "$OUT/many.jsonl"
	sock size=4096 bw_gbps=0.5 >> "$OUT/many.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/many.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	for i in $(seq 1 40); do grep -q "^| S$i | libfabric prov$i (" "$OUT/r/report.md"; done
	grep -q "| S41 | TCP sockets .* | baseline |" "$OUT/r/report.md"
	[ "$(row '4 KiB')" != "" ]
	# 24 blocks in the chart's data, the baseline (S41, compared) among them
	[ "$(grep -c '^"' "$OUT/r/bandwidth.dat")" -eq 24 ]
	grep -q '^"TCP sockets' "$OUT/r/bandwidth.dat"
	grep -q "^A chart draws at most 24 series (the compared pair first, then by S-number): 17 more are in the tables only" \
		"$OUT/r/report.md"
	python3 "$CHECK" png "$OUT/r/bandwidth.png" 800 500
}

@test "report_a_large_cluster_heatmap_is_a_png_in_rank_order_without_svg" {
	# a 200-node ring: each node measured with its two neighbours
	python3 - "$OUT/ring" <<'PY'
import json, os, sys
os.makedirs(sys.argv[1])
n = 200
with open(os.path.join(sys.argv[1], "pairs.jsonl"), "w") as f:
    for i in range(n):
        for a, b in ((i, (i + 1) % n), ((i + 1) % n, i)):
            f.write(json.dumps({"schema": 2, "tool": "fabcheck-pairs", "fabcheck_version": "0.2.0", "transport": "ofi",
                                "provider": "efa", "fabric": "efa", "memory": "host", "peer_memory": "host",
                                "timestamp": "2026-11-20T11:00:00.000Z", "test": "bw", "domain": "rdmap16s27-rdm",
                                "lane": 0, "lanes": 1, "size": 8388608, "direction": "uni", "iters": 20,
                                "bw_gbps": 12.0, "rank": a, "peer_rank": b, "round": 1 + i % 2,
                                "local_host": f"node-{a}", "peer_host": f"node-{b}"}) + "\n")
PY
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/ring"
	echo "$output"
	[ "$status" -eq 0 ]
	python3 "$CHECK" png "$OUT/r/heatmap.png" 800 500
	[ ! -e "$OUT/r/heatmap.svg" ]
	grep -q "^!\[node-pair bandwidth\](heatmap.png): bandwidth at 8 MiB, rows the client, columns the server in rank order" \
		"$OUT/r/report.md"
	! grep -q "heatmap.svg" "$OUT/r/report.md"
	# a bare 200 x 200 matrix: rank order, the names in the node table
	[ "$(grep -vc '^#' "$OUT/r/heatmap.dat")" -eq 200 ]
	[ "$(grep -v '^#' "$OUT/r/heatmap.dat" | head -1 | wc -w)" -eq 200 ]
	grep -q "^| 199 | node-199 |" "$OUT/r/report.md"
}

@test "report_more_than_16_repeats_take_the_true_median" {
	{ for i in $(seq 24); do "$REC" size=65536 bw_gbps=100; done
	  for i in $(seq 16); do "$REC" size=65536 bw_gbps=1.0; done; } > "$OUT/rep.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/rep.jsonl"
	[ "$status" -eq 0 ]
	[ "$(row '64 KiB')" = "|64 KiB|100.00|" ]
	grep -q "| S1 | libfabric tcp;ofi_rxm (\`bw\`) | 40 | 1 |" "$OUT/r/report.md"
}

@test "report_size_zero_or_beyond_1_TiB_exits_2_naming_the_line" {
	for size in 0 2199023255553; do
		{ "$REC" size=8 bw_gbps=1; "$REC" size=$size bw_gbps=1; } > "$OUT/s.jsonl"
		run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/s.jsonl"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"s.jsonl:2 "*"size"* ]]
		nothing_left "$OUT/r"
	done
}

@test "report_absurd_bandwidth_exits_2_naming_the_line" {
	{ "$REC" size=8 bw_gbps=1; "$REC" size=16 bw_gbps=1e300; } > "$OUT/b.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/b.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"b.jsonl:2 "*"bw_gbps"* ]]
	nothing_left "$OUT/r"
}

@test "report_gnuplot_missing_exits_3_names_the_package_and_leaves_nothing" {
	run env FABCHECK_GNUPLOT="$OUT/no-such-gnuplot" "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"apt-get install gnuplot-nox"* ]]
	nothing_left "$OUT/r"
}

@test "report_gnuplot_failure_shows_its_messages_and_leaves_nothing" {
	printf '#!/bin/sh\ncat >/dev/null\necho "line 7: the fake gnuplot refuses" >&2\nexit 1\n' > "$OUT/gp"
	chmod +x "$OUT/gp"
	run env FABCHECK_GNUPLOT="$OUT/gp" "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"gnuplot: line 7: the fake gnuplot refuses"* ]]
	nothing_left "$OUT/r"
}

@test "report_gnuplot_log_is_absent_or_not_empty" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	[ "$status" -eq 0 ]
	[ ! -e "$OUT/r/gnuplot.log" ] || [ -s "$OUT/r/gnuplot.log" ]
	# a single-size chart makes gnuplot warn: the log stays, with words
	run timeout 60 "$REPORT" -o "$OUT/r2" "$FIX/p4d-efa-vs-tcp.jsonl"
	[ "$status" -eq 0 ]
	[ -s "$OUT/r2/gnuplot.log" ]
}

@test "report_two_default_reports_in_the_same_second_both_succeed" {
	cd "$OUT"
	"$REPORT" "$FIX/one-sided.jsonl" > a.out 3>&- &
	"$REPORT" "$FIX/one-sided.jsonl" > b.out
	wait $!
	[ "$(ls -d results/*/ | wc -l)" -eq 2 ]
	[ "$(ls results/*/report.md | wc -l)" -eq 2 ]
	[ -z "$(ls -d results/*.tmp-* 2>/dev/null)" ]
}

# ---- issue 15: series never dropped or mixed; units and wording

@test "report_two_libfabric_providers_both_appear_whatever_the_file_order" {
	for s in 4096 65536; do "$REC" provider="tcp;ofi_rxm" size=$s bw_gbps=2; done > "$OUT/tcp.jsonl"
	for s in 4096 65536; do "$REC" provider="sockets" size=$s bw_gbps=1; done > "$OUT/sockets.jsonl"
	for s in 4096 65536; do sock size=$s bw_gbps=0.5; done > "$OUT/base.jsonl"
	"$REPORT" -o "$OUT/r1" "$OUT/tcp.jsonl" "$OUT/sockets.jsonl" "$OUT/base.jsonl"
	"$REPORT" -o "$OUT/r2" "$OUT/base.jsonl" "$OUT/sockets.jsonl" "$OUT/tcp.jsonl"
	for r in r1 r2; do
		cat "$OUT/$r/report.md"
		grep -q "^Compared: S[0-9] libfabric sockets against S[0-9] TCP sockets" "$OUT/$r/report.md"
		# the other one is in the table of every series, with its numbers
		grep -q "^### Every bandwidth series" "$OUT/$r/report.md"
		grep -q "libfabric tcp;ofi_rxm, GB/s" "$OUT/$r/report.md"
		grep -q "libfabric tcp;ofi_rxm (\`bw\`) .* also in the input" "$OUT/$r/report.md"
	done
}

@test "report_bidir_is_not_compared_with_one_way_sockets" {
	{ "$REC" size=4096 bw_gbps=2 direction=bidir; "$REC" size=4096 bw_gbps=1.5
	  sock size=4096 bw_gbps=1; } > "$OUT/d.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/d.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	grep -q "^Compared: S2 libfabric tcp;ofi_rxm (uni) against S3 TCP sockets" "$OUT/r/report.md"
	[ "$(row '4 KiB' | cut -d'|' -f3-5)" = "1.50|1.00|1.5x" ]
	grep -q "| S1 | libfabric tcp;ofi_rxm (bidir) (\`bw\`) .* also in the input |" "$OUT/r/report.md"
}

@test "report_units_gbit_shows_bandwidth_in_gbit_per_second_and_keeps_the_ratio" {
	{ "$REC" size=4096 bw_gbps=1.5; sock size=4096 bw_gbps=1; } > "$OUT/d.jsonl"
	run timeout 60 "$REPORT" --units gbit -o "$OUT/r" "$OUT/d.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	[ "$(row '4 KiB' | cut -d'|' -f3-5)" = "12.00|8.00|1.5x" ]
	grep -q "bandwidth in Gbit/s, 1 Gbit/s = 10^9 bits/s" "$OUT/r/report.md"
	grep -q "| message size | .*, Gbit/s | .*, Gbit/s | speed-up |" "$OUT/r/report.md"
	! grep -q "GB/s" "$OUT/r/report.md"
	# the chart's axis says so too; the records in the report stay GB/s
	grep -q ">bandwidth (Gbit/s, 1 Gbit/s = 10^9 bits/s)<" "$OUT/r/bandwidth.svg"
	run timeout 60 "$REPORT" --units gbyte -o "$OUT/g" "$OUT/d.jsonl"
	grep -q "bandwidth in GB/s" "$OUT/g/report.md"
	run timeout 60 "$REPORT" --units bits -o "$OUT/b" "$OUT/d.jsonl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected gbyte or gbit"* ]]
}

@test "report_socket_streams_are_separate_series_not_merged" {
	{ "$REC" size=65536 bw_gbps=9; sock size=65536 bw_gbps=3.48 streams=1
	  sock size=65536 bw_gbps=4.62 streams=4; } > "$OUT/n.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/n.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	! grep -q "4.05" "$OUT/r/report.md"
	[ "$(row '64 KiB' | cut -d'|' -f4)" = "3.48" ]
	grep -q "TCP sockets (4 streams), GB/s" "$OUT/r/report.md"
}

@test "report_only_rma_records_gives_rma_tables" {
	for op in write read; do for s in 4096 65536; do
		"$REC" test=rma tool=fabcheck-rma rma_op=$op direction=$op size=$s bw_gbps=3 lat_us_p50=12.5 lat_us_p99=20
	done; done > "$OUT/rma.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/rma.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	grep -q "^## RMA" "$OUT/r/report.md"
	grep -q "libfabric tcp;ofi_rxm (write, write), GB/s .* libfabric tcp;ofi_rxm (read, read), GB/s" "$OUT/r/report.md"
	grep -q "^| 64 KiB | 12.50 | 12.50 |" "$OUT/r/report.md"
	python3 "$CHECK" png "$OUT/r/rma.png" 800 500
}

@test "report_only_mr_records_gives_registration_table_and_chart" {
	for phase in cold repeat; do for s in 4096 1048576; do
		"$REC" test=mr tool=fabcheck-mr mr_phase=$phase mr_path=va size=$s lat_us_p50=$([ $phase = cold ] && echo 40 || echo 2) \
			lat_us_min=1 lat_us_p99=60 dereg_us_p50=3 lane=null lanes=null direction=null
	done; done > "$OUT/mr.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/mr.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	grep -q "^## Memory registration" "$OUT/r/report.md"
	grep -q "^| 1 MiB | 40.00 | 2.00 |" "$OUT/r/report.md"
	python3 "$CHECK" svg "$OUT/r/mr.svg" "cold" "repeat"
}

@test "report_only_coverage_records_says_what_is_ignored" {
	"$REC" test=coverage size=null coverage=ok > "$OUT/c.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"1 coverage records"* ]]
	nothing_left "$OUT/r"
	# beside measurements they are listed, not silently dropped
	"$REC" size=8 bw_gbps=1 >> "$OUT/c.jsonl"
	"$REC" test=frobnicate size=8 >> "$OUT/c.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c.jsonl"
	[ "$status" -eq 0 ]
	grep -q "1 \`coverage\` records .* not charted" "$OUT/r/report.md"
	grep -q 'ignored: 1 records of test "frobnicate"' "$OUT/r/report.md"
}

@test "report_all_slower_says_slower_and_small_ratios_keep_two_digits" {
	{ "$REC" size=8 bw_gbps=0.049; sock size=8 bw_gbps=1
	  "$REC" size=1024 bw_gbps=0.2; sock size=1024 bw_gbps=1; } > "$OUT/slow.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/slow.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	[ "$(row '8 B' | cut -d'|' -f5)" = "0.049x" ]
	[ "$(row '1 KiB' | cut -d'|' -f5)" = "0.2x" ]
	grep -q "S1 is slower than S2 at every size measured on both (0.049x to 0.2x)" "$OUT/r/report.md"
	! grep -q "0.0x" "$OUT/r/report.md"
	! grep -q "stays below 2x" "$OUT/r/report.md"
}

@test "report_one_side_only_has_no_empty_columns_and_says_no_comparison" {
	"$REC" size=4096 bw_gbps=2 > "$OUT/one.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/one.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(1 chart, PNG and SVG)"* ]]
	cat "$OUT/r/report.md"
	grep -q "^No comparison: the input has no TCP-sockets series" "$OUT/r/report.md"
	[ "$(row '4 KiB')" = "|4 KiB|2.00|" ]
	! grep -q "speed-up" "$OUT/r/report.md"
	# no blank line where an intro sentence was missing: never two in a row
	! awk 'prev == "" && $0 == "" { bad = 1 } { prev = $0 } END { exit !bad }' "$OUT/r/report.md"
}

@test "report_latency_ratio_has_a_direction_and_units_are_µs" {
	{ "$REC" test=pingpong size=8 lat_us_p50=20 lat_us_p99=30 bw_gbps=0.0004
	  sock test=pingpong size=8 lat_us_p50=10 lat_us_p99=15 bw_gbps=0.0008; } > "$OUT/l.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/l.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	grep -q "S1 libfabric tcp;ofi_rxm 20.00 µs, S2 TCP sockets 10.00 µs: S1 is 2.0x slower (higher latency)" "$OUT/r/report.md"
	! grep -qw "us" "$OUT/r/report.md"
}

@test "report_contended_run_warns_and_suggests_blocking_completions" {
	{ "$REC" test=pingpong size=8 lat_us_p50=4000 lat_us_p99=41000 lat_us_max=90000
	  "$REC" test=pingpong size=64 lat_us_p50=6.7 lat_us_p99=9 lat_us_max=20; } > "$OUT/busy.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/busy.jsonl"
	[ "$status" -eq 0 ]
	grep -q "looks contended.*At 1 of 2 sizes.*worst at 8 B.*\`-b\`.*idle machine" "$OUT/r/report.md"
	# a quiet run gets no warning
	"$REC" test=pingpong size=8 lat_us_p50=6 lat_us_p99=9 lat_us_max=30 > "$OUT/quiet.jsonl"
	"$REPORT" -o "$OUT/q" "$OUT/quiet.jsonl"
	! grep -q "contended" "$OUT/q/report.md"
}

@test "report_flags_a_bandwidth_series_whose_threads_were_preempted" {
	# steady numbers, but the measuring threads lost their CPU 400 times a
	# second at one size: the records say so (preempt_per_s), the report too
	{ "$REC" test=bw size=4096 bw_gbps=1.5 preempt_per_s=400
	  "$REC" test=bw size=65536 bw_gbps=2.5 preempt_per_s=3; } > "$OUT/busy.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/busy.jsonl"
	[ "$status" -eq 0 ]
	grep -q "looks contended.*At 1 of 2 sizes the measuring threads lost their CPU 100 times a second or more (up to 400).*idle machine" "$OUT/r/report.md"
	# -b is no remedy where nothing spins: the socket transport
	sock test=bw size=4096 bw_gbps=1 preempt_per_s=300 > "$OUT/sock.jsonl"
	"$REPORT" -o "$OUT/s" "$OUT/sock.jsonl"
	grep -q "looks contended.*rerun on an idle machine" "$OUT/s/report.md"
	! grep -q "\`-b\`" "$OUT/s/report.md"
	"$REC" test=bw size=4096 bw_gbps=1.5 preempt_per_s=12 > "$OUT/quiet.jsonl"
	"$REPORT" -o "$OUT/q" "$OUT/quiet.jsonl"
	! grep -q "contended" "$OUT/q/report.md"
}

@test "report_compare_option_picks_the_pair_and_refuses_unknown_series" {
	{ "$REC" provider=efa size=4096 bw_gbps=8; "$REC" size=4096 bw_gbps=2; sock size=4096 bw_gbps=1; } > "$OUT/c.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" --compare S2,S3 "$OUT/c.jsonl"
	[ "$status" -eq 0 ]
	grep -q "^Compared: S2 libfabric tcp;ofi_rxm against S3 TCP sockets .*chosen with --compare" "$OUT/r/report.md"
	[ "$(row '4 KiB' | cut -d'|' -f3-5)" = "2.00|1.00|2.0x" ]
	run timeout 60 "$REPORT" -o "$OUT/r2" --compare S2,nothing-like-this "$OUT/c.jsonl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no series 'nothing-like-this'"* ]]
	nothing_left "$OUT/r2"
	run timeout 60 "$REPORT" -o "$OUT/r2" --compare libfabric,S3 "$OUT/c.jsonl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"matches both"* ]]
}

# ---- issue 12: nccl-tests output as a record source

# guide_rows FILE: the NCCL table's rows as "size|efa|non-efa|speed-up"
nccl_rows() {
	sed -n '/^## NCCL/,/^### /p' "$1" | grep -E '^\| [0-9]+ ([KMG]i)?B \|' | sed 's/ *| */|/g; s/^|//; s/|$//'
}

@test "report_nccl_text_reproduces_the_public_efa_table" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/nccl-p4d-efa.txt" "$FIX/nccl-p4d-socket.txt"
	echo "$output"
	[ "$status" -eq 0 ]
	nccl_rows "$OUT/r/report.md" > "$OUT/rows"
	cat "$OUT/rows"
	[ "$(grep -c . "$OUT/rows")" -eq 29 ]
	grep -qx "32 MiB|31.85|3.58|8.9x" "$OUT/rows"
	grep -qx "2 GiB|77.35|4.13|18.7x" "$OUT/rows"
	# every row against the guide (README of SkyPilot's AWS EFA example):
	# both busbw columns exactly; the speed-up exactly, except where the
	# guide divided unrounded numbers (its 2-decimal columns give another
	# first decimal): there it is the ratio of the printed columns
	python3 "$FIX/check_guide_table.py" "$OUT/rows"
	python3 "$CHECK" svg "$OUT/r/nccl_busbw.svg" "NCCL all_reduce over AWS Libfabric (efa)" "NCCL all_reduce over Socket"
	# out-of-place curves only: the in-place ones lay on top and hid them
	grep -q "against message size (out-of-place)" "$OUT/r/nccl_busbw.svg"
	! grep -q "in-place" "$OUT/r/nccl_busbw.svg"
	grep -q "in-place, GB/s" "$OUT/r/report.md"
	python3 "$CHECK" png "$OUT/r/nccl_speedup.png" 800 500
}

@test "report_nccl_json_gives_the_same_table_as_text" {
	"$REPORT" -o "$OUT/t" "$FIX/nccl-p4d-efa.txt" "$FIX/nccl-p4d-socket.txt"
	run timeout 60 "$REPORT" -o "$OUT/j" "$FIX/nccl-p4d-efa.json" "$FIX/nccl-p4d-socket.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(nccl_rows "$OUT/j/report.md")" = "$(nccl_rows "$OUT/t/report.md")" ]
	grep -q "nccl-tests JSON, 58 records" "$OUT/j/report.md"
	grep -q "| banner | NCCL\_NET=Socket |\|| banner | NCCL_NET=Socket |" "$OUT/j/report.md"
}

@test "report_nccl_records_are_schema_records" {
	"$REPORT" -o "$OUT/r" "$FIX/nccl-p4d-efa.txt"
	[ "$(jq -c 'select(.size == 33554432 and .in_place == false) | [.schema, .test, .nccl_op, .net, .provider, .busbw_gbps, .wrong, .local_host, .peer_host]' "$OUT/r/records.jsonl")" = \
	  '[2,"nccl","all_reduce","AWS Libfabric","efa",31.85,0,"p4d-a","p4d-b"]' ]
	[ "$(jq -s 'length' "$OUT/r/records.jsonl")" -eq 58 ]
}

@test "report_nccl_malformed_output_exits_2_naming_the_line" {
	sed '40s/ 0$/ x/' "$FIX/nccl-p4d-efa.txt" > "$OUT/bad.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/bad.txt"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.txt:40: nccl-tests row: #wrong 'x'"* ]]
	nothing_left "$OUT/r"
	# a killed job's log ends in a cut row: dropped with a warning, the
	# rows before it reported; a cut row with rows after it is an error
	head -n 45 "$FIX/nccl-p4d-efa.txt" > "$OUT/cut.txt"
	printf '%s\n' "     1048576        262144     float     sum      -1   217.1" >> "$OUT/cut.txt"
	run timeout 60 "$REPORT" -o "$OUT/k" "$OUT/cut.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cut.txt:46: the last row has 6 of nccl-tests' 13 columns (the job was killed?): dropped"* ]]
	grep -q "| 256 KiB |" "$OUT/k/report.md"
	! grep -q "| 1 MiB |" "$OUT/k/report.md"
	tail -n +46 "$FIX/nccl-p4d-efa.txt" >> "$OUT/cut.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/cut.txt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"cut.txt:46: nccl-tests row has 6 columns where its header has 13"* ]]
	grep -v '^#  *size' "$FIX/nccl-p4d-efa.txt" > "$OUT/nohdr.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/nohdr.txt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nohdr.txt:"*"before nccl-tests' column header"* ]]
	echo "hello" > "$OUT/junk.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/junk.txt"
	[ "$status" -eq 2 ]
	[[ "$output" == *"junk.txt:1 is neither fabcheck records"* ]]
	# fabcheck's own CSV is named as such, with the option that writes records
	printf 'schema,tool,fabcheck_version\n2,fabcheck-bw,0.2.0\n' > "$OUT/run.csv"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/run.csv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"run.csv is fabcheck's CSV (--csv): the report reads the JSON Lines records; give the file a run wrote with --json FILE"* ]]
}

# ---- issue 11: the cluster runner's folder

@test "report_cluster_folder_has_verdict_heatmap_nodes_bad_nics_and_good_hosts" {
	run timeout 60 "$REPORT" -o "$OUT/r" "$FIX/cluster"
	echo "$output"
	[ "$status" -eq 0 ]
	md="$OUT/r/report.md"
	cat "$md"
	grep -q "^- cluster: \*\*fail\*\*: 2 of 4 nodes bad" "$md"
	# the rounds' time; with verdict.json's wall time, the console's number first
	grep -q "^- 3 rounds, 12.7 s of rounds; 0 not ok" "$md"
	cp -r "$FIX/cluster" "$OUT/timed"
	jq '.timing = {"rounds": 3, "wall_s": 14.04}' "$FIX/cluster/verdict.json" > "$OUT/timed/verdict.json"
	"$REPORT" -o "$OUT/t" "$OUT/timed"
	grep -q "^- 3 rounds in 14.0 s, the run in all (12.7 s of it in rounds); 0 not ok" "$OUT/t/report.md"
	# per node: rank, host, verdict, median bw as client and server, p50
	node() { grep "^| $1 | " "$md" | sed 's/ *| */|/g' | cut -d'|' -f2-7; }
	[ "$(node 0)" = "0|node-a|pass|15.00|15.00|15.00" ]
	[ "$(node 2)" = "2|node-c|fail|9.60|9.60|45.00" ]
	grep -q "^| 1 | node-b | fail | .*scontrol update NodeName=node-b" "$md"
	grep -q "^| 1 | node-b | rdmap32s27-rdm | fail | 3.00 GB/s against" "$md"
	[ "$(grep -c '^| [0-9] | node-. | rdmap' "$md")" -eq 1 ]
	[ "$(sed -n '/^### Good hosts/,/^### Bad hosts/p' "$md" | sed -n '/^```$/,/^```$/p' | grep -v '```')" = "$(printf 'node-a\nnode-d')" ]
	grep -q "^| node-c | bandwidth 0.40x" "$md"
	# heatmap: rows client, columns server, rank order; 3 -> 1 was not
	# measured (-1, blank, as the diagonal)
	[ "$(sed -n 1p "$OUT/r/heatmap.dat")" = 'node "node-a" "node-b" "node-c" "node-d"' ]
	[ "$(sed -n 5p "$OUT/r/heatmap.dat")" = '"node-d" 24 -1 9.6 -1' ]
	python3 "$CHECK" png "$OUT/r/heatmap.png" 800 500
	python3 "$CHECK" svg "$OUT/r/heatmap.svg" "node-a" "node-d"
	# no undefined values for gnuplot to warn about
	! grep -q "warning" "$OUT/r/gnuplot.log" 2>/dev/null
}

@test "report_cluster_heatmap_draws_a_pair_whose_steps_failed_apart_from_one_never_measured" {
	cp -r "$FIX/cluster" "$OUT/c"
	# rank 3's steps with rank 1 failed: the coordinator's record of it
	"$REC" tool=fabcheck-pairs test=verdict scope=step rank=3 peer_rank=1 round=2 verdict=failed reason=cut \
		lane=null lanes=null direction=null streams=null domain=null local_host=node-d peer_host=node-b >>"$OUT/c/pairs.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sed -n 5p "$OUT/r/heatmap.dat")" = '"node-d" 24 -2 9.6 -1' ]
	grep -q "X: failed, blank: not measured" "$OUT/r/heatmap.svg"
	grep -q ">X<" "$OUT/r/heatmap.svg"
	! grep -q "warning" "$OUT/r/gnuplot.log" 2>/dev/null
}

@test "report_cluster_pairs_file_is_the_same_as_its_folder" {
	"$REPORT" -o "$OUT/d" "$FIX/cluster"
	"$REPORT" -o "$OUT/f" "$FIX/cluster/pairs.jsonl"
	diff <(grep -v '^| source' "$OUT/d/report.md") <(grep -v '^| source' "$OUT/f/report.md")
	cmp "$OUT/d/heatmap.dat" "$OUT/f/heatmap.dat"
}

@test "report_cluster_folder_with_a_symbolic_link_inside_exits_2_and_shows_nothing_of_its_target" {
	# a fetched folder whose good-hosts.txt is a link to a secret
	mkdir "$OUT/c"
	cp "$FIX/cluster/pairs.jsonl" "$FIX/cluster/verdict.json" "$OUT/c/"
	echo "root:SECRET-HASH:19000:0:99999:7:::" >"$OUT/secret"
	ln -s "$OUT/secret" "$OUT/c/good-hosts.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"good-hosts.txt' is a symbolic link inside a results folder"* ]]
	! grep -rq "SECRET-HASH" "$OUT/r" 2>/dev/null
	# pairs.jsonl itself a link: the same
	rm "$OUT/c/good-hosts.txt"
	mv "$OUT/c/pairs.jsonl" "$OUT/elsewhere.jsonl"
	ln -s "$OUT/elsewhere.jsonl" "$OUT/c/pairs.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"pairs.jsonl' is a symbolic link inside a results folder"* ]]
	# a link the operator names on the command line is followed
	run timeout 60 "$REPORT" -o "$OUT/r2" "$OUT/c/pairs.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "node-a" "$OUT/r2/report.md"
}

@test "report_cluster_record_that_cannot_be_placed_exits_2_naming_the_line" {
	mkdir "$OUT/c"
	cp "$FIX/cluster/pairs.jsonl" "$OUT/c/"
	"$REC" test=verdict scope=rack verdict=fail size=null >> "$OUT/c/pairs.jsonl"
	n=$(wc -l < "$OUT/c/pairs.jsonl")
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/c"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"pairs.jsonl:$n "*'"scope" "rack"'* ]]
	nothing_left "$OUT/r"
	# a folder without pairs.jsonl is named as such
	run timeout 60 "$REPORT" -o "$OUT/r" "$BATS_TEST_DIRNAME"
	[ "$status" -eq 2 ]
	[[ "$output" == *"folder without pairs.jsonl"* ]]
}

@test "report_nccl_output_tagged_by_mpirun_even_mid_line_gives_the_same_table" {
	# mpirun --tag-output tags every piece it forwards; a piece can end mid-line
	sed 's/^/[1,0]<stdout>:/' "$FIX/nccl-p4d-efa.txt" |
		sed 's/^\(\[1,0\]<stdout>: *262144 *\)/\1[1,0]<stdout>:/' >"$OUT/tagged.txt"
	grep -q "262144 *\[1,0\]<stdout>:" "$OUT/tagged.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/tagged.txt" "$FIX/nccl-p4d-socket.txt"
	echo "$output"
	[ "$status" -eq 0 ]
	nccl_rows "$OUT/r/report.md" >"$OUT/rows"
	[ "$(grep -c . "$OUT/rows")" -eq 29 ]
	grep -qx "256 KiB|1.86|.*" "$OUT/rows"
	grep -qx "2 GiB|77.35|4.13|18.7x" "$OUT/rows"
}

@test "report_nccl_operation_names_are_text_not_html" {
	# the operation name comes from the nccl-tests program name in the input
	sed 's|Collective test starting: all_reduce_perf|Collective test starting: <img src=x onerror=alert(1)>_perf|' \
		"$FIX/nccl-p4d-efa.txt" >"$OUT/efa.txt"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/efa.txt"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q "<img" "$OUT/r/report.md"
	grep -q "## NCCL .*img" "$OUT/r/report.md"
}

# the speed-up chart's 1x line stays inside the frame when EFA is slower
# than TCP at every size (the y range reaches past 1x)
@test "report_speedup_chart_shows_1x_when_every_speedup_is_below_it" {
	for s in 4096 65536 1048576; do
		"$REC" provider=efa size=$s bw_gbps=1
		sock size=$s bw_gbps=2
	done >"$OUT/slower.jsonl"
	run timeout 60 "$REPORT" -o "$OUT/r" "$OUT/slower.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(row '64 KiB')" = "|64 KiB|1.00|2.00|0.5x|" ]
	# gnuplot's y tic labels on the speed-up chart run to 1 and past it
	grep -o '> *[0-9.]*</tspan></text>' "$OUT/r/speedup.svg" | grep -o '[0-9.]\+' | sort -g | tail -1 |
		awk '{ exit !($1 >= 1) }'
}
