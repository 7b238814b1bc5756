#!/usr/bin/env bats
# --help says exactly what the parser takes, for the programs whose options
# are not in common/options.c's table (test_options covers those): every
# long option in a program's getopt table appears in its --help, and every
# long option its --help names is in the table.

load helpers

REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

# same_options PROGRAM SOURCE
same_options() {
	local prog=$1 src=$2
	# the getopt_long table: {"name", has_arg, NULL, val}
	grep -o '{"[a-z][a-z0-9-]*", *[a-z_0-9]*, *NULL' "$REPO/$src" | sed 's/{"\([^"]*\)".*/\1/' | sort -u >"$OUT/table"
	# --help's option column: a line that starts with an option, up to the
	# two spaces before its description
	timeout 20 "$FABCHECK_BIN/$prog" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' |
		grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u >"$OUT/help"
	echo "only in the parser: $(comm -23 "$OUT/table" "$OUT/help" | tr '\n' ' ')"
	echo "only in --help: $(comm -13 "$OUT/table" "$OUT/help" | tr '\n' ' ')"
	[ -s "$OUT/table" ]
	cmp -s "$OUT/table" "$OUT/help"
}

@test "help_fabcheck_pairs_lists_exactly_what_it_parses" {
	same_options fabcheck-pairs diag/fabcheck-pairs.c
}

@test "help_fabcheck_diag_lists_exactly_what_it_parses" {
	same_options fabcheck-diag diag/fabcheck-diag.c
}

@test "help_fabcheck_report_lists_exactly_what_it_parses" {
	same_options fabcheck-report plots/fabcheck-report.c
}
