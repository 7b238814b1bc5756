#!/usr/bin/env bats
# ci/deps on the package managers of cluster nodes: apt here, dnf or yum on
# Amazon Linux 2023 and RHEL's kin, through stand-in rpm/dnf/yum commands
# and os-release files (nothing is installed).

load helpers

setup() {
	OUT="$BATS_TEST_TMPDIR"
	mkdir -p "$OUT/bin"
	# rpm -q PKG: installed when PKG is in $PRESENT
	cat >"$OUT/bin/rpm" <<'RPM'
#!/bin/sh
[ "$1" = -q ] || exit 2
case " $PRESENT " in *" $2 "*) exit 0 ;; esac
exit 1
RPM
	printf '#!/bin/sh\necho "$(basename "$0") $*" >>"%s/pm.log"\n' "$OUT" >"$OUT/pm"
	chmod +x "$OUT/bin/rpm" "$OUT/pm"
}

os_release() { printf '%s\n' "$@" >"$OUT/os-release"; }

deps() {
	run env PATH="$OUT/bin:$PATH" FABCHECK_OS_RELEASE="$OUT/os-release" "$@" sh "$CI_DIR/deps" build
	echo "$output"
}

@test "deps_amazon_linux_installs_what_rpm_lacks_with_dnf" {
	os_release 'NAME="Amazon Linux"' 'ID="amzn"' 'ID_LIKE="fedora"'
	cp "$OUT/pm" "$OUT/bin/dnf"
	deps PRESENT="gcc make pkgconf-pkg-config elfutils-libelf-devel" LIBFABRIC_PREFIX=/opt/amazon/efa
	[ "$status" -eq 0 ]
	# the EFA installer's libfabric is used: no libfabric-devel
	[ "$(cat "$OUT/pm.log")" = "dnf install -y -q jansson-devel hwloc-devel" ]
}

@test "deps_rhel_kin_without_dnf_uses_yum_and_wants_libfabric_without_a_prefix" {
	os_release 'ID="rocky"' 'ID_LIKE="rhel centos fedora"'
	cp "$OUT/pm" "$OUT/bin/yum"
	deps PRESENT="gcc make pkgconf-pkg-config jansson-devel hwloc-devel elfutils-libelf-devel"
	[ "$status" -eq 0 ]
	[ "$(cat "$OUT/pm.log")" = "yum install -y -q libfabric-devel" ]
}

@test "deps_everything_present_installs_nothing" {
	os_release 'ID="amzn"'
	cp "$OUT/pm" "$OUT/bin/dnf"
	deps PRESENT="gcc make pkgconf-pkg-config jansson-devel hwloc-devel elfutils-libelf-devel" LIBFABRIC_PREFIX=/x
	[ "$status" -eq 0 ]
	[[ "$output" == *"all packages present"* ]]
	[ ! -e "$OUT/pm.log" ]
}

@test "deps_the_test_suites_packages_on_an_rpm_system_are_refused_with_the_way_to_build" {
	os_release 'ID="amzn"'
	run env PATH="$OUT/bin:$PATH" FABCHECK_OS_RELEASE="$OUT/os-release" sh "$CI_DIR/deps"
	[ "$status" -eq 3 ]
	[[ "$output" == *"run ci/deps build"* ]]
}

@test "deps_an_rpm_system_with_neither_dnf_nor_yum_says_so" {
	os_release 'ID="amzn"'
	deps PRESENT="gcc"
	[ "$status" -eq 3 ]
	[[ "$output" == *"neither dnf nor yum"* ]]
}
