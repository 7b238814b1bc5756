#!/usr/bin/env bats
# The cluster recipes' build step (diag/recipes/cluster-lib.sh build), on a
# stand-in source tree whose GNUmakefile records what it was asked to
# build: which folder each libfabric gets and what the lock touches. The
# real build runs in preflight.bats (sky run built from the tree).

load helpers

LIB="$BATS_TEST_DIRNAME/../../diag/recipes/cluster-lib.sh"

setup() {
	OUT="$BATS_TEST_TMPDIR"
	SRC="$OUT/src"
	mkdir -p "$SRC/ci"
	printf '#!/bin/sh\nexit 0\n' >"$SRC/ci/deps"
	chmod +x "$SRC/ci/deps"
	# `make all` makes BUILD/bin/fabcheck-pairs saying which prefix it is for
	printf 'BUILD ?= build\nall:\n\tmkdir -p $(BUILD)/bin\n\tprintf "#!/bin/sh\\necho %%s\\n" "$(LIBFABRIC_PREFIX)" >$(BUILD)/bin/fabcheck-pairs\n\tchmod +x $(BUILD)/bin/fabcheck-pairs\n' \
		>"$SRC/GNUmakefile"
}

# build_in ENV...: runs build() with the recipe's environment; prints FABCHECK_BIN
build_in() {
	env -u FABCHECK_BIN "$@" SRC="$SRC" PROG=test bash -c '. "$1"; build && echo "bin=$FABCHECK_BIN"' _ "$LIB"
}

@test "recipes_build_each_libfabric_prefix_builds_into_a_folder_of_its_own" {
	run build_in
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bin=$SRC/build/bin"* ]]
	run build_in LIBFABRIC_PREFIX=/opt/amazon/efa
	echo "$output"
	[ "$status" -eq 0 ]
	local bin=${output##*bin=}
	[[ "$bin" == "$SRC/build/prefix-"*/bin ]]
	[ "$("$bin/fabcheck-pairs")" = /opt/amazon/efa ]
	# the plain build is untouched by the prefixed one, and the reverse
	[ "$("$SRC/build/bin/fabcheck-pairs")" = "" ]
	run build_in LIBFABRIC_PREFIX=/opt/other
	[ "$status" -eq 0 ]
	[ "${output##*bin=}" != "$bin" ]
	[ "$("$bin/fabcheck-pairs")" = /opt/amazon/efa ]
}

@test "recipes_build_lock_touches_no_planted_link" {
	# the old lock file's name, planted as a link to a file root would truncate
	mkdir -p "$SRC/build"
	echo "precious" >"$OUT/target"
	ln -s "$OUT/target" "$SRC/build/.preflight.lock"
	run build_in
	[ "$status" -eq 0 ]
	[ "$(cat "$OUT/target")" = precious ]
	# a prefix folder that is a link elsewhere is refused, nothing built there
	local sum
	sum=$(printf '%s' /opt/x | cksum | cut -d' ' -f1)
	mkdir "$OUT/elsewhere"
	ln -s "$OUT/elsewhere" "$SRC/build/prefix-$sum"
	run build_in LIBFABRIC_PREFIX=/opt/x
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"is not a folder of this tree's (a symbolic link?)"* ]]
	[ -z "$(ls -A "$OUT/elsewhere")" ]
}

@test "recipes_build_packages_install_outside_the_lock_another_node_holds" {
	# another node of the shared tree is building (holds the lock); this
	# node's package step must not wait for it
	printf '#!/bin/sh\necho deps >>"%s/deps.log"\n' "$OUT" >"$SRC/ci/deps"
	mkdir -p "$SRC/build"
	exec {held}<"$SRC/build"
	flock "$held"
	run timeout 20 env -u FABCHECK_BIN SRC="$SRC" PROG=test bash -c '. "$1"; build' _ "$LIB" &
	local pid=$! i
	for i in $(seq 100); do [ -s "$OUT/deps.log" ] && break; sleep 0.1; done
	# installed while the lock was still held
	[ "$(cat "$OUT/deps.log")" = deps ]
	flock -u "$held"
	exec {held}<&-
	wait "$pid"
}
