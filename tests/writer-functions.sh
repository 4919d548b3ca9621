# tests/writer-functions.sh — helpers of the tests/test-writer-*.sh scripts,
# sourced after functions.sh: a private vssd and background programs that
# print "ready", each killed by its pid at exit.

# start_vssd: vssd on $tmpdir/vssd.sock (exported as VSS_SOCKET), state in
# $tmpdir/state, log in $tmpdir/vssd.log; sets vssd_pid.
start_vssd() {
	VSS_SOCKET="$tmpdir/vssd.sock"
	export VSS_SOCKET
	rm -f "$VSS_SOCKET"
	# Not through vg(): a shell function in the background would be a
	# subshell, and $! its pid rather than vssd's.
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
	for _ in $(seq 100); do
		[ -S "$VSS_SOCKET" ] && return 0
		kill -0 $vssd_pid 2>/dev/null || break
		sleep 0.05
	done
	cat "$tmpdir/vssd.log" >&2
	fail "vssd did not start"
}

stop_vssd() {
	kill $vssd_pid 2>/dev/null || true
	wait $vssd_pid 2>/dev/null || true
}

# start_ready NAME CMD... : runs CMD in the background with stdout in
# $tmpdir/NAME.out and stderr in $tmpdir/NAME.err, waits for its "ready"
# line; sets last_pid.
start_ready() {
	local name=$1
	shift
	"$@" >"$tmpdir/$name.out" 2>"$tmpdir/$name.err" &
	last_pid=$!
	cleanup_fn "kill $last_pid 2>/dev/null; wait $last_pid 2>/dev/null"
	for _ in $(seq 200); do
		grep -q '^ready$' "$tmpdir/$name.out" 2>/dev/null && return 0
		kill -0 $last_pid 2>/dev/null || break
		sleep 0.05
	done
	cat "$tmpdir/$name.err" >&2
	fail "$name did not become ready"
}

# events LOG NAME: the event names NAME logged, one line.
events() {
	awk -v n="$2" '$1 == n { printf "%s%s", sep, $2; sep = " " } END { print "" }' "$1"
}

# calls LOG: the provider calls logged, one line.
calls() {
	awk '{ printf "%s%s", sep, $1; sep = " " } END { print "" }' "$1"
}

# wait_log FILE REGEX: waits up to 10 s for a line matching REGEX.
wait_log() {
	for _ in $(seq 200); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no line '$2' in $1: $(cat "$1")"
}
