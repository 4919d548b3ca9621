#!/bin/sh
# vss_provider_set_realtime: CommitSnapshots, the provider call inside the
# flush-and-hold window, is served on a thread at SCHED_FIFO; every other
# call at normal priority; nothing at SCHED_FIFO without it; a clear
# refusal where the process may not use SCHED_FIFO.  Root (CAP_SYS_NICE).
. "${top_builddir:-.}/tests/functions.sh"
set -e
requires_root

start_vssd
log=$tmpdir/calls.log
vol=$tmpdir/vol1.img
: > "$vol"

backup() {
	test-requester init state=component gather add-all start "volume=$vol" prepare do \
		status succeeded complete > "$tmpdir/r.$1" ||
		fail "backup $1 failed: $(cat "$tmpdir/r.$1")"
}

# 1. With --realtime: two snapshot sets, each CommitSnapshots at SCHED_FIFO,
#    nothing else.
start_ready prov test-provider --realtime --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
backup 1
backup 2
count_is '^CommitSnapshots set=.* rt=1$' "$log" 2 ||
	fail "CommitSnapshots not at SCHED_FIFO twice: $(cat "$log")"
count_is '^CommitSnapshots ' "$log" 2 || fail "not two CommitSnapshots: $(cat "$log")"
count_is 'rt=1' "$log" 2 || fail "calls other than CommitSnapshots at SCHED_FIFO: $(cat "$log")"
for call in BeginPrepareSnapshot EndPrepareSnapshots PreCommitSnapshots PostCommitSnapshots \
	    PreFinalCommitSnapshots PostFinalCommitSnapshots; do
	count_is "^$call " "$log" 2 || fail "$call not logged twice: $(cat "$log")"
done
# The provider's process: the receive thread and the real-time worker at
# SCHED_FIFO, no other.
assert_eq "threads at SCHED_FIFO" 2 "$(fifo_threads "$prov_pid")"
assert_eq "names of the threads at SCHED_FIFO" "vss-conn-rt vss-conn-rx " \
	"$(fifo_names "$prov_pid" | tr '\n' ' ')"
kill "$prov_pid"
wait "$prov_pid" || fail "test-provider --realtime exited with $?"

# 2. Without it: the same calls, none at SCHED_FIFO.
: > "$log"
start_ready prov2 test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
backup 3
count_is '^CommitSnapshots ' "$log" 1 || fail "no CommitSnapshots: $(cat "$log")"
count_is 'rt=1' "$log" 0 || fail "a call at SCHED_FIFO without --realtime: $(cat "$log")"
assert_eq "threads at SCHED_FIFO without --realtime" 0 "$(fifo_threads "$prov2_pid")"
kill "$prov2_pid"
wait "$prov2_pid" || fail "test-provider exited with $?"

# 3. Not allowed (no CAP_SYS_NICE, RLIMIT_RTPRIO 0): refused with the reason,
#    before anything reaches vssd.
if command -v setpriv >/dev/null && command -v prlimit >/dev/null; then
	: > "$log"
	rc=0
	prlimit --rtprio=0 setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice \
		"$(command -v test-provider)" --realtime --volume "$vol" --dir "$tmpdir/snaps" \
		--log "$log" > "$tmpdir/noprio.out" 2> "$tmpdir/noprio.err" || rc=$?
	assert_eq "exit status without CAP_SYS_NICE" 1 "$rc"
	grep -q 'real-time priority (SCHED_FIFO).*CAP_SYS_NICE' "$tmpdir/noprio.err" ||
		fail "no clear refusal: $(cat "$tmpdir/noprio.err")"
	[ ! -s "$log" ] || fail "the refused provider was called: $(cat "$log")"
else
	echo "setpriv or prlimit missing: part 3 not run"
fi
vssd_alive
