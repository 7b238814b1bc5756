#!/usr/bin/env bats
# --help says exactly what the parser takes, for every program: every long
# option named by any option table (common/engine/optrows.c, each
# program's own rows) is tried on the program (`--name x --help`, so
# nothing runs) and counts as accepted unless it is refused as unknown or
# as another program's; the accepted set must equal the --help list. The
# unit tests compare the tables with --help from the inside (test_options,
# test_pairs_options); this proves it on the built programs.

load helpers

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

# every long name in every table: ROW(FC_OPT_..., "name" or .lng = "name"
all_names() {
	cat "$REPO"/common/engine/optrows.c "$REPO"/diag/pairs/pairs_options.c "$REPO"/diag/diag_cli.c \
		"$REPO"/plots/report_cli.c |
		grep -oE 'ROW\(FC_OPT_[A-Z]+, "[a-z][a-z0-9-]*"|\.lng = "[a-z][a-z0-9-]*"' |
		grep -v 'FC_OPT_HEADING' | sed -E 's/.*"([^"]*)"$/\1/' | sort -u
}

# same_options PROGRAM
same_options() {
	local prog=$1 name err
	all_names >"$OUT/names"
	[ "$(wc -l <"$OUT/names")" -gt 40 ]
	: >"$OUT/accepted"
	while read -r name; do
		[ "$name" = help ] && { echo help >>"$OUT/accepted"; continue; }
		err=$(timeout 20 "$FABCHECK_BIN/$prog" "--$name" x --help 2>&1 >/dev/null) || true
		case "$err" in
		*"unknown option"* | *"takes no --$name option"*) ;;
		*) echo "$name" >>"$OUT/accepted" ;;
		esac
	done <"$OUT/names"
	sort -u -o "$OUT/accepted" "$OUT/accepted"
	# --help's option column: a line that starts with an option, up to the
	# two spaces before its description
	timeout 20 "$FABCHECK_BIN/$prog" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' |
		grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u >"$OUT/help"
	echo "only in the parser: $(comm -23 "$OUT/accepted" "$OUT/help" | tr '\n' ' ')"
	echo "only in --help: $(comm -13 "$OUT/accepted" "$OUT/help" | tr '\n' ' ')"
	[ "$(wc -l <"$OUT/help")" -gt 1 ]
	# the probe tells the two apart: some names are refused
	[ "$(wc -l <"$OUT/accepted")" -lt "$(wc -l <"$OUT/names")" ]
	cmp -s "$OUT/accepted" "$OUT/help"
}

@test "help_fabcheck_pingpong_lists_exactly_what_it_parses" {
	same_options fabcheck-pingpong
}

@test "help_fabcheck_bw_lists_exactly_what_it_parses" {
	same_options fabcheck-bw
}

@test "help_fabcheck_rma_lists_exactly_what_it_parses" {
	same_options fabcheck-rma
}

@test "help_fabcheck_mr_lists_exactly_what_it_parses" {
	same_options fabcheck-mr
}

@test "help_fabcheck_pairs_lists_exactly_what_it_parses" {
	same_options fabcheck-pairs
}

@test "help_fabcheck_diag_lists_exactly_what_it_parses" {
	same_options fabcheck-diag
}

@test "help_fabcheck_report_lists_exactly_what_it_parses" {
	same_options fabcheck-report
}

@test "help_another_programs_option_is_named_as_such_with_exit_2" {
	run timeout 20 "$FABCHECK_BIN/fabcheck-diag" -p efa
	[ "$status" -eq 2 ]
	[[ "$output" == *"fabcheck-diag takes no --provider option"* ]]
	run timeout 20 "$FABCHECK_BIN/fabcheck-report" --window 4 in.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"fabcheck-report takes no --window option"* ]]
	run timeout 20 "$FABCHECK_BIN/fabcheck-pairs" --sizes 8
	[ "$status" -eq 2 ]
	[[ "$output" == *"fabcheck-pairs takes no --sizes option"* ]]
}

@test "help_pairs_takes_the_shared_limits" {
	# the benchmarks' limits, not a second set: -w up to 1e6, -T up to a week
	run timeout 20 "$FABCHECK_BIN/fabcheck-pairs" -w 1000000 -T 604800 --rank 0 --nodes 2 --where
	[ "$status" -eq 0 ]
	run timeout 20 "$FABCHECK_BIN/fabcheck-pairs" -w 1000001 --where
	[ "$status" -eq 2 ]
	[[ "$output" == *"warmup count (-w) '1000001'"* ]]
	run timeout 20 "$FABCHECK_BIN/fabcheck-pairs" -d "a,,b" --where
	[ "$status" -eq 2 ]
	[[ "$output" == *"-d 'a,,b'"* ]]
	run timeout 20 "$FABCHECK_BIN/fabcheck-pairs" --help
	[[ "$output" == *"--size-time SEC"*"(default 0.2, quick 0.05)"* ]]
}

@test "help_readme_record_table_names_every_record_field" {
	local repo="$BATS_TEST_DIRNAME/../.." missing=() f table
	table=$(sed -n '/^| field | meaning |$/,/^## Layout$/p' "$repo/README.md")
	[ -n "$table" ]
	for f in $(sed -n '/^#define FC_RECORD_FIELDS/,/^$/p' "$repo/common/records/record.h" | grep -o 'X([a-z0-9_]*,' |
		sed 's/^X(//; s/,$//'); do
		grep -q "\`$f\`" <<<"$table" || missing+=("$f")
	done
	echo "not in README's record table: ${missing[*]}"
	[ "${#missing[@]}" -eq 0 ]
}

# each program's help names only the exit codes it can return
@test "help_exit_codes_are_each_programs_own" {
	local p
	for p in fabcheck-pingpong fabcheck-bw fabcheck-rma; do
		run "$FABCHECK_BIN/$p" --help
		[[ "$output" == *"1 a NIC did not carry its own traffic or is down"* ]]
		[[ "$output" == *"4 peer unreachable"* ]]
		[[ "$output" != *"below threshold"* ]]
	done
	run "$FABCHECK_BIN/fabcheck-mr" --help
	[[ "$output" == *"Exit codes: 0 ok, 2 usage, 3 fabric/device"* ]]
	[[ "$output" != *"peer unreachable"* && "$output" != *"data mismatch"* ]]
}

# RMA has no kernel TCP baseline: its help lists no socket option, and
# giving one says why
@test "help_rma_lists_no_socket_options_and_says_why_it_takes_none" {
	run "$FABCHECK_BIN/fabcheck-rma" --help
	[[ "$output" != *"--transport"* && "$output" != *"--sockbuf"* ]]
	run "$FABCHECK_BIN/fabcheck-rma" --sockbuf 1M 127.0.0.1
	[ "$status" -eq 2 ]
	[[ "$output" == *"takes no --sockbuf option: the socket transport has no RMA"* ]]
	run "$FABCHECK_BIN/fabcheck-bw" --help
	[[ "$output" == *"--transport"* && "$output" == *"--sockbuf"* ]]
}
