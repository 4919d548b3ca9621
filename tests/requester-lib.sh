# tests/requester-lib.sh — helpers of the requester tools' tests, sourced
# after functions.sh.  (Candidates for functions.sh once others need them.)

# start_vssd: vssd on a private socket in $tmpdir; exports VSS_SOCKET and
# sets vssd_pid; stopped at exit.
start_vssd() {
	sock="$tmpdir/vssd.sock"
	vssd --foreground --socket "$sock" --state-dir "$tmpdir/state" \
		>"$tmpdir/vssd.log" 2>&1 &
	vssd_pid=$!
	cleanup_fn "kill $vssd_pid 2>/dev/null; wait $vssd_pid 2>/dev/null || :"
	wait_for "vssd" test -S "$sock" || { cat "$tmpdir/vssd.log"; fail "vssd did not start"; }
	VSS_SOCKET="$sock"
	export VSS_SOCKET
}

# wait_for WHAT CMD...: retries CMD for up to 5 s.
wait_for() {
	local what=$1 i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.05
	done
}

# start_ready NAME PROGRAM ARGS...: runs a test double until it prints
# "ready"; killed at exit.
start_ready() {
	local name=$1 out="$tmpdir/$1.out"
	shift 1
	"$@" >"$out" 2>&1 &
	cleanup_fn "kill $! 2>/dev/null"
	wait_for "$name" grep -q ready "$out" || { cat "$out"; fail "$name did not start"; }
}

# mask: hides what changes from run to run (ids, pids, times, the
# version, the temp dir and the host name).
mask() {
	sed -E -e 's/\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}/{ID}/g' \
	    -e "s|$tmpdir|TMP|g" -e "s/: $(hostname)\$/: HOST/" \
	    -e 's/(Creation Time: |creation time: ).*/\1TIME/' \
	    -e 's/(Process Id: )[0-9]+/\1PID/' -e 's/("pid": )[0-9]+/\1PID/' \
	    -e 's/^(vssadmin|vshadow) [0-9][0-9a-z.]* -/\1 VERSION -/'
}

# check NAME EXPECTED-RC CMD...: CMD's stdout then stderr, masked, must
# equal $tmpdir/NAME.exp, and its exit status EXPECTED-RC.
check() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmpdir/$name.out" 2>"$tmpdir/$name.err" || rc=$?
	cat "$tmpdir/$name.err" >>"$tmpdir/$name.out"
	mask <"$tmpdir/$name.out" >"$tmpdir/$name.got"
	diff -u "$tmpdir/$name.exp" "$tmpdir/$name.got" || fail "$name: output differs"
	assert_eq "$name: exit status" "$want" "$rc"
}
