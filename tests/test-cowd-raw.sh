#!/bin/sh
# vss-cowd's block-level hold (root): three raw volumes (no filesystem, so
# vssd freezes nothing) written by test-seqwriter in the order vol1, vol2,
# vol3 with O_DIRECT while snapshot sets of the three are taken; on every
# set's snapshot devices seq(vol1) >= seq(vol2) >= seq(vol3) and
# seq(vol1) - seq(vol3) <= 1: the three were committed at one instant
# (vss-cowd pauses between the epochs, so only the hold can make it so).
# Then the hold breaks: on its own bound (the writer goes on, the set
# fails, nothing stays) and on an AbortSnapshots that comes during the
# commit (vssd's hold window ran out first: the writes are released at
# once, the commit later deletes the epochs it made).
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup

# vss-cowd pauses 100 ms after each volume's epoch: without the hold the
# writer would run on between the three epochs and the check would fail
VSS_COWD_TEST_COMMIT_DELAY_MS=100
export VSS_COWD_TEST_COMMIT_DELAY_MS
start_vssd
start_cowd; cowd_ready 1
devs=""
for i in 1 2 3; do
	d=$(adm add volume --name="v$i" --backing="$tmpdir/v$i.img" --size=32M --create)
	[ -b "$d" ] || fail "add volume v$i printed '$d'"
	devs="$devs $d"
done
# shellcheck disable=SC2086
set -- $devs
cleanup_fn "test-requester init context=ffffffff delete-all > /dev/null 2>&1"

# shellcheck disable=SC2086
start_ready seq test-seqwriter $devs
rounds=${VSS_RAW_ROUNDS:-8}
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	timeout 30 test-requester init context=19 start "volume=$1" "volume=$2" "volume=$3" do query \
		> "$tmpdir/req.$i" || fail "set $i failed: $(cat "$tmpdir/req.$i")"
	snaps=""
	for d in "$@"; do
		s=$(awk -v d="$d" '$1 == "snapshot" && $2 == d { sub("device=", "", $3); print $3 }' \
			"$tmpdir/req.$i")
		[ -b "$s" ] || fail "set $i: no snapshot device for $d: $(cat "$tmpdir/req.$i")"
		snaps="$snaps $s"
	done
	# shellcheck disable=SC2086
	seqs=$(timeout 10 test-seqwriter --read $snaps | tr '\n' ' ')
	echo "set $i: $seqs"
	# shellcheck disable=SC2086
	set -- $seqs
	[ "$1" -gt 0 ] && [ "$1" -ge "$2" ] && [ "$2" -ge "$3" ] && [ $(($1 - $3)) -le 1 ] ||
		fail "set $i is not atomic: seq(vol1) seq(vol2) seq(vol3) = $seqs"
	# shellcheck disable=SC2086
	set -- $devs
	timeout 30 test-requester init context=ffffffff delete-all > /dev/null ||
		fail "delete-all failed"
done
kill "$seq_pid"
wait "$seq_pid" || fail "the writer failed: $(cat "$tmpdir/seq.err")"
grep '^rounds' "$tmpdir/seq.out"
grep -q 'CommitSnapshots: writes held on 3 volumes' "$tmpdir/cowd.log" || fail "the hold was not logged"

# The bound (here 300 ms; the last volume's epoch opens 2 x 400 ms late): the held writes are
# released when it passes, the writer goes on, the set fails and nothing
# of it stays.
stop_cowd
VSS_COWD_HOLD_MS=300 VSS_COWD_TEST_COMMIT_DELAY_MS=400
export VSS_COWD_HOLD_MS VSS_COWD_TEST_COMMIT_DELAY_MS
start_cowd; cowd_ready 2
devs=$(for i in 1 2 3; do live_dev "v$i"; done)
# shellcheck disable=SC2086
start_ready seq test-seqwriter $devs
# shellcheck disable=SC2086
set -- $devs
timeout 30 test-requester init context=19 start "volume=$1" "volume=$2" "volume=$3" \
	expect=fail do > "$tmpdir/req.bound" || fail "a set past the hold bound: $(cat "$tmpdir/req.bound")"
grep -q 'the hold broke .*: writes released' "$tmpdir/cowd.log" || fail "the bound was not logged"
wait_until 10 grep -q 'AbortSnapshots: 3 snapshots discarded' "$tmpdir/cowd.log"
[ "$(adm list volumes --json | grep -c '"device"')" = 3 ] || fail "a snapshot of the failed set stayed"
before=$(timeout 10 test-seqwriter --read "$1")
sleep 0.3
after=$(timeout 10 test-seqwriter --read "$1")
[ "$after" -gt "$before" ] || fail "the writer is stuck after the bound ($before, $after)"
kill "$seq_pid"
wait "$seq_pid" || fail "a write failed after the bound: $(cat "$tmpdir/seq.err")"

# vssd's own hold window (1 s) runs out first: it aborts the set while
# vss-cowd is still in its commit (2 x 1.5 s); AbortSnapshots releases the
# held writes at once, and the commit, when it ends, deletes the epochs of
# the snapshots discarded meanwhile.
stop_vssd
start_vssd --timeout hold=1000
cowd_ready 3
VSS_COWD_TEST_COMMIT_DELAY_MS=1500
stop_cowd
start_cowd; cowd_ready 4
devs=$(for i in 1 2 3; do live_dev "v$i"; done)
# shellcheck disable=SC2086
start_ready seq test-seqwriter $devs
# shellcheck disable=SC2086
set -- $devs
timeout 30 test-requester init context=19 start "volume=$1" "volume=$2" "volume=$3" \
	expect=VSS_E_HOLD_WRITES_TIMEOUT do > "$tmpdir/req.abort" ||
	fail "a set past vssd's hold window: $(cat "$tmpdir/req.abort")"
s1=$(timeout 10 test-seqwriter --read "$1")
wait_until 2 sh -c "[ \$(test-seqwriter --read $1) -gt $s1 ]"
wait_until 10 count_is 'the hold broke .*: writes released' "$tmpdir/cowd.log" 2
[ "$(adm list volumes --json | grep -c '"device"')" = 3 ] || fail "a snapshot of the aborted set stayed"
kill "$seq_pid"
wait "$seq_pid" || fail "a write failed after the abort: $(cat "$tmpdir/seq.err")"
stop_cowd
start_cowd; cowd_ready 5
grep -q 'was never completed' "$tmpdir/cowd.log" && fail "the aborted set's epochs stayed in the engine"

for i in 1 2 3; do
	adm remove volume --name="v$i"
done
stop_cowd
cowd_no_leftovers
vssd_alive
