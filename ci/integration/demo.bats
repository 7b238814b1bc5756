#!/usr/bin/env bats
# make demo (diag/recipes/fabcheck-demo), README's first command: the main
# job on loopback, its report, and the runs the report names.

load helpers

@test "demo_runs_the_main_job_and_keeps_every_file_its_report_names" {
	run timeout 300 env FABCHECK_BIN="$FABCHECK_BIN" FABCHECK_PORT="$PORT" \
		"$BATS_TEST_DIRNAME/../../diag/recipes/fabcheck-demo" "$OUT/demo"
	echo "$output" | tail -30
	[ "$status" -eq 0 ]
	local md="$OUT/demo/report/report.md"
	[[ "$output" == *"report: $md"* ]]
	grep -q "^## Bandwidth" "$md"
	grep -q "^## Cluster pre-flight" "$md"
	# every source the report names is there after the demo
	local n=0 f
	while read -r f; do
		[ -e "$f" ] || { echo "missing: $f"; false; }
		n=$((n + 1))
	done < <(sed -n 's/^| source | \([^:]*\): .*/\1/p' "$md")
	[ "$n" -ge 5 ]
	# the console shows the tables, not the provenance comments
	[[ "$output" != *"# fabcheck-bw client:"* ]]
	[[ "$output" == *"cluster verdict: "* ]]
	# a folder that holds something is not reused
	run timeout 30 env FABCHECK_BIN="$FABCHECK_BIN" "$BATS_TEST_DIRNAME/../../diag/recipes/fabcheck-demo" "$OUT/demo"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not empty: name a new folder"* ]]
}
