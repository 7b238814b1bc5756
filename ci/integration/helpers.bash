# Shared setup for the integration tests: real server and client processes.
# FABCHECK_BIN is the bin/ folder of the build under test (normal or ASan).

: "${FABCHECK_BIN:?set FABCHECK_BIN to a build/bin folder}"
FAULT_DIR="$(dirname "$FABCHECK_BIN")/fault"
[ -d "$FAULT_DIR" ] || FAULT_DIR="$(cd "$FABCHECK_BIN/../.." && pwd)/build/fault"
CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# libfabric and its providers leak a little at exit; nothing of ours is hidden.
# A sanitizer's own exit codes (86 ASan/LSan, 87 UBSan) cannot pass for
# fabcheck's (0..5, 128+N).
export LSAN_OPTIONS="suppressions=$CI_DIR/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"
# Tests set the environment they need: a caller's FI_* or FABCHECK_*
# settings must not change what a test measures.
for v in $(env | sed -n 's/^\(FI_[A-Z0-9_]*\)=.*/\1/p; s/^\(FABCHECK_[A-Z0-9_]*\)=.*/\1/p'); do
	case "$v" in FABCHECK_BIN | FABCHECK_PORT_BASE | FABCHECK_TEST_SLOT) ;; *) unset "$v" ;; esac
done
# nor a launcher's (make check run inside a SkyPilot, Slurm or mpirun job),
# which fabcheck-pairs and the cluster recipes would read as their own
for v in $(env | sed -n 's/^\(SKYPILOT_[A-Z0-9_]*\|SLURM_[A-Z0-9_]*\|OMPI_COMM_WORLD_[A-Z0-9_]*\|OMPI_MCA_orte_hnp_uri\)=.*/\1/p'); do
	unset "$v"
done
unset JOB_COMPLETION_INDEX MODE USE_EFA

# this test run's slot (ci/run-tests): 0 alone, 1-7 beside other runs;
# namespace names carry it past 0 (fc<slot>...), subnets move by 10 x slot
TEST_SLOT=${FABCHECK_TEST_SLOT:-0}
[ "$TEST_SLOT" -eq 0 ] && NS_PREFIX=fc || NS_PREFIX=fc$TEST_SLOT

PP="$FABCHECK_BIN/fabcheck-pingpong"
BW="$FABCHECK_BIN/fabcheck-bw"
RMA="$FABCHECK_BIN/fabcheck-rma"

# A port of its own for every test of the suite, so tests running in
# parallel (bats --jobs) or a slow exit never collide: the suite-wide test
# number, spaced by 4 (a test may use PORT..PORT+3), above a base that
# ci/run-tests sets per build.
test_port() {
	echo $((${FABCHECK_PORT_BASE:-20000} + BATS_SUITE_TEST_NUMBER * 4))
}

setup() {
	PORT=$(test_port)
	OUT="$BATS_TEST_TMPDIR"
	SERVER_PID=
}

teardown() {
	[ -n "${SERVER_PID:-}" ] && kill_server
	true
}

# kill_server: SIGKILL the server itself (SERVER_PID is its timeout wrapper).
# wait_for_text FILE PATTERN [SECONDS]: until FILE holds a line matching
# PATTERN (grep's basic regex), polled every 50 ms for SECONDS (30); 1 if
# it never came. Tests wait for a state this way, not for a fixed time.
wait_for_text() {
	local file=$1 pattern=$2 tries=$((${3:-30} * 20))
	for _ in $(seq "$tries"); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_test_agreed: until the server printed the client's test (both sides
# past the bootstrap, into the measurement), then half a second more: a
# fault injected then hits a run, not a side still looking for its peer
# (a loaded box can take seconds to get there).
wait_test_agreed() {
	wait_for_text "$OUT/server.out" "test from the client" || true
	sleep 0.5
}

# The wrapper may be gone (and reaped) by the time the kill comes, and its
# PID taken by a process of another test running beside this one (a
# loaded make check starts thousands): only a wrapper that is still this
# shell's child is killed, with its program. Best effort: the caller
# checks what followed.
kill_server() {
	[ "$(ps -o ppid= -p "$SERVER_PID" 2>/dev/null | tr -d ' ')" = "${SERVER_PARENT:-}" ] || return 0
	pkill -9 -P "$SERVER_PID" 2>/dev/null || true
	kill -9 "$SERVER_PID" 2>/dev/null || true
}

# start_server PROGRAM ARGS...: runs the server in the background
# (SERVER_NS=namespace puts it on a test host).
start_server() {
	local prog=$1
	shift
	${SERVER_NS:+ip netns exec "$SERVER_NS"} timeout 60 "$prog" -B "$PORT" "$@" >"$OUT/server.out" 2>"$OUT/server.err" 3>&- &
	SERVER_PID=$!
	SERVER_PARENT=$BASHPID
}

# wait_listening: until the server takes connections on PORT (5 s at most).
wait_listening() {
	for _ in $(seq 100); do
		${SERVER_NS:+ip netns exec "$SERVER_NS"} ss -Htln "sport = :$PORT" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# wait_server: waits for the server to exit, sets SERVER_RC.
wait_server() {
	wait "$SERVER_PID" && SERVER_RC=0 || SERVER_RC=$?
	SERVER_PID=
}

# run_client PROGRAM ARGS...: runs the client against 127.0.0.1 (or
# CLIENT_NS / PEER for a test host), sets CLIENT_RC.
run_client() {
	local prog=$1
	shift
	${CLIENT_NS:+ip netns exec "$CLIENT_NS"} timeout 60 "$prog" -B "$PORT" "$@" "${PEER:-127.0.0.1}" >"$OUT/client.out" 2>"$OUT/client.err" &&
		CLIENT_RC=0 || CLIENT_RC=$?
}

show() {
	for f in "$OUT"/*.out "$OUT"/*.err; do
		[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
	done
}

# Every line of a JSON Lines file must parse; prints the record count.
count_records() {
	jq -e -s 'length' "$1"
}

# The measurement records of a JSON Lines file (coverage records are per side).
measured() {
	jq -c 'select(.test != "coverage")' "$1"
}
