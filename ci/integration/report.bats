#!/usr/bin/env bats
# fabcheck-report: records in, Markdown and charts out, nothing half-written.

load helpers

REPORT="$FABCHECK_BIN/fabcheck-report"
FIX="$BATS_TEST_DIRNAME/../fixtures/report"
CHECK="$BATS_TEST_DIRNAME/check_png_svg.py"

# row SIZE: the Markdown table row for that size, cells trimmed
row() {
	grep "^| $1 |" "$OUT/r/report.md" | sed 's/ *| */|/g'
}

@test "report_p4d_public_table_gives_18_7x_at_2_GiB" {
	run "$REPORT" -o "$OUT/r" "$FIX/p4d-efa-vs-tcp.jsonl"
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
		run "$REPORT" -o "$OUT/r" "$FIX/$fixture.jsonl"
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
	run "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	[ "$status" -eq 0 ]
	cat "$OUT/r/report.md"
	[ "$(row '64 KiB')" = "|64 KiB|9.50|||" ]
	[ "$(row '1 MiB')" = "|1 MiB||3.00||" ]
	[ "$(row '1 KiB')" = "|1 KiB|1.20|0.60|2.0x|" ]
	grep -q "speed-up first reaches 2x at 1 KiB" "$OUT/r/report.md"
}

@test "report_per_nic_bars_and_pair_heatmap" {
	run "$REPORT" -o "$OUT/r" "$FIX/multinic-pairs.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	python3 "$CHECK" png "$OUT/r/nics.png" 800 500
	python3 "$CHECK" png "$OUT/r/heatmap.png" 800 500
	python3 "$CHECK" svg "$OUT/r/nics.svg" "rdmap144s27-rdm"
	python3 "$CHECK" svg "$OUT/r/heatmap.svg" "node1" "node4"
	# the bad pair is a cell of its own
	grep -q '"node2" 47.5 NaN 47.5 2.1' "$OUT/r/heatmap.dat"
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
	run "$REPORT" -o "$OUT/r" "$OUT"/pp-*.jsonl "$OUT"/bw-*.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	for c in bandwidth latency speedup; do
		python3 "$CHECK" png "$OUT/r/$c.png" 800 500
	done
	python3 "$CHECK" svg "$OUT/r/latency.svg" "libfabric tcp;ofi_rxm" "TCP sockets"
	grep -q "small-message latency (8 B, p50)" "$OUT/r/report.md"
	[ -n "$(row '64 KiB' | cut -d'|' -f5)" ]
}

@test "report_empty_input_exits_2_and_writes_nothing" {
	: > "$OUT/empty.jsonl"
	run "$REPORT" -o "$OUT/r" "$OUT/empty.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no records"* ]]
	[ ! -e "$OUT/r" ]
	[ -z "$(ls -d "$OUT"/r.tmp-* 2>/dev/null)" ]
}

@test "report_malformed_input_exits_2_naming_the_line_and_writes_nothing" {
	cp "$FIX/one-sided.jsonl" "$OUT/bad.jsonl"
	echo '{"schema": 1, "test": "bw", "size": 8,' >> "$OUT/bad.jsonl"
	run "$REPORT" -o "$OUT/r" "$OUT/bad.jsonl"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.jsonl:7 is not a JSON record"* ]]
	[ ! -e "$OUT/r" ]
	echo '{"hello": "world"}' > "$OUT/alien.jsonl"
	run "$REPORT" -o "$OUT/r" "$OUT/alien.jsonl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"alien.jsonl:1 is not a fabcheck record"* ]]
	[ ! -e "$OUT/r" ]
}

@test "report_refuses_to_overwrite_a_report" {
	mkdir -p "$OUT/r"
	echo keep > "$OUT/r/report.md"
	run "$REPORT" -o "$OUT/r" "$FIX/one-sided.jsonl"
	[ "$status" -eq 2 ]
	[ "$(cat "$OUT/r/report.md")" = "keep" ]
}

@test "report_help_exits_0" {
	run "$REPORT" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: fabcheck-report"* ]]
}
