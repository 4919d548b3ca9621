# tests/writer-functions.sh — helpers of the tests/test-writer-*.sh scripts,
# sourced after functions.sh (whose start_ready, wait_until, fail, ... they
# use).

# wstart_vssd: like functions.sh's start_vssd, but vssd_pid is vssd's own
# pid: a shell function started in the background (vg ... &) is a subshell,
# and killing $! would leave vssd running.  Needed to stop and restart vssd.
wstart_vssd() {
	VSS_SOCKET="$tmpdir/vssd.sock"
	export VSS_SOCKET
	rm -f "$VSS_SOCKET"
	if [ -n "${VSS_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full vssd --foreground \
			--socket "$VSS_SOCKET" --state-dir "$tmpdir/state" "$@" \
			>>"$tmpdir/vssd.log" 2>&1 &
	else
		vssd --foreground --socket "$VSS_SOCKET" --state-dir "$tmpdir/state" "$@" \
			>>"$tmpdir/vssd.log" 2>&1 &
	fi
	vssd_pid=$!
	cleanup_fn "kill $vssd_pid 2>/dev/null; wait $vssd_pid 2>/dev/null"
	wait_until 10 test -S "$VSS_SOCKET"
}

wstop_vssd() {
	kill $vssd_pid 2>/dev/null || true
	wait $vssd_pid 2>/dev/null || true
}

# wait_log FILE REGEX: waits up to 10 s for a line matching REGEX.
wait_log() {
	wait_until 10 grep -Eq "$2" "$1"
}

# writer_events LOG NAME: the events writer NAME logged, on one line.
writer_events() {
	awk -v n="$2" '$1 == n { printf "%s%s", sep, $2; sep = " " } END { print "" }' "$1"
}

# provider_calls LOG: the calls the test provider logged, on one line.
provider_calls() {
	awk '{ printf "%s%s", sep, $1; sep = " " } END { print "" }' "$1"
}
