#!/bin/sh
# Conformance when the requester misbehaves (vss-protocol §3.4, §10.1
# notes): it dies inside DoSnapshotSet, it aborts or cancels mid-way, two
# requesters race for the snapshot-set lock.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
log=$tmpdir/events.log
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
start_ready fw test-writer --name fw --level front --log "$log"
# bw lingers in Freeze, so a requester can be made to act while fw is frozen
start_ready bw test-writer --name bw --level back --log "$log" --sleep Freeze:700

no_snapshots() {
	test-requester init context=ffffffff query | grep -q '^snapshots 0' ||
		fail "$1: a snapshot was left behind"
}

# 1. The requester dies while the writers are frozen: every frozen writer
#    gets Abort (no Thaw), then BackupShutdown; the provider gets
#    AbortSnapshots; nothing is created; the lock is free again.
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare do-nowait sleep=300 \
	die > /dev/null || true
wait_until 10 grep -q '^bw BackupShutdown' "$log"
wait_until 10 grep -q '^fw BackupShutdown' "$log"
expect_timeline "$log" <<'T'
2 Identify
1 IsVolumeSupported
1 BeginPrepareSnapshot
2 PrepareForBackup
2 PrepareForSnapshot
1 EndPrepareSnapshots
1 Freeze fw
1 Freeze bw
1 AbortSnapshots
2 Abort
2 BackupShutdown
T
no_snapshots "requester death"
test-requester init context=10 start > /dev/null	# the lock is free

# 2. AbortBackup while DoSnapshotSet runs: the operation fails, writers are
#    aborted, the session is in BA (BackupComplete refused).
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare do-nowait sleep=300 \
	abort sleep=1500 expect=VSS_E_BAD_STATE complete > "$tmpdir/r"
grep -q '^fw Abort' "$log" || fail "AbortBackup did not abort the frozen writer"
grep -q '^fw Thaw' "$log" && fail "an aborted set went on to Thaw"
no_snapshots "AbortBackup"

# 3. Cancel of DoSnapshotSet: the operation ends VSS_S_ASYNC_CANCELLED.
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare \
	expect=VSS_S_ASYNC_CANCELLED cancel > "$tmpdir/r"
grep -q '^Cancel S_OK' "$tmpdir/r" || fail "Cancel of a running DoSnapshotSet did not answer S_OK"
no_snapshots "Cancel"

# 4. Two requesters race for StartSnapshotSet: exactly one wins; the other
#    gets VSS_E_SNAPSHOT_SET_IN_PROGRESS until the winner's set is done.
test-requester init start sleep=1500 > "$tmpdir/a" &
a=$!
sleep 0.3
test-requester init expect=VSS_E_SNAPSHOT_SET_IN_PROGRESS start > "$tmpdir/b"
wait $a
grep -q '^StartSnapshotSet S_OK' "$tmpdir/a" || fail "the first requester did not get the lock"
test-requester init start > /dev/null	# released with the first session

# 5. A requester that dies after PrepareForBackup, before DoSnapshotSet:
#    Abort and BackupShutdown to the writers that took part.
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare die > /dev/null || true
# the fan-out is parallel: wait for both writers' BackupShutdown
wait_until 10 grep -q '^bw BackupShutdown' "$log"
wait_until 10 grep -q '^fw BackupShutdown' "$log"
for w in fw bw; do
	assert_eq "events of $w when the requester died after PrepareForBackup" \
		"Identify PrepareForBackup Abort BackupShutdown " \
		"$(awk -v w="$w" '$1 == w { printf "%s ", $2 }' "$log")"
	# no set was created: BackupShutdown names none (CVssWriter::OnBackupShutdown)
	assert_eq "set named by $w's BackupShutdown when none was created" \
		"set={00000000-0000-0000-0000-000000000000}" \
		"$(awk -v w="$w" '$1 == w && $2 == "BackupShutdown" { print $4 }' "$log")"
done
# 6. A second session gathers writer metadata while the first one has its
#    writers frozen: Identify is answered mid-Freeze (vss-protocol §1), and
#    the first set is still created.  zw (SYSTEM) holds the freeze long
#    enough for the second session, even under valgrind.
hold=3000
[ -n "${VSS_VALGRIND:-}" ] && hold=20000
start_ready zw test-writer --name zw --level system --log "$log" --sleep "Freeze:$hold"
: > "$log"
test-requester init state=volume gather start-retry "volume=$vol" prepare do complete \
	> "$tmpdir/a" &
a=$!
wait_until 20 grep -q '^zw Freeze' "$log"
test-requester init gather metadata > "$tmpdir/b"
grep -q '^fw Thaw' "$log" && fail "the second session's Identify waited for the Thaw"
wait $a || fail "the first session failed: $(cat "$tmpdir/a")"
grep -q '^DoSnapshotSet S_OK' "$tmpdir/a" || fail "the first set was not created"
test "$(grep -c ' Identify' "$log")" = 6 || fail "Identify did not reach the three writers twice"
kill "$zw_pid"
wait "$zw_pid" 2>/dev/null || true

# 7. AbortBackup while PrepareForBackup's events are still out: the
#    operation ends cancelled, the writers get Abort once PrepareForBackup
#    is answered, AbortBackup answers, the session ends and frees the lock.
#    (The Abort's fan-out used to take over PrepareForBackup's: it never
#    finished, and the session was never released.)
start_ready pw test-writer --name pw --level front --log "$log" --sleep PrepareForBackup:1500
: > "$log"
timeout 120 test-requester init state=volume gather start "volume=$vol" prepare-nowait sleep=300 \
	abort expect=VSS_S_ASYNC_CANCELLED wait expect=VSS_E_BAD_STATE complete > "$tmpdir/r" ||
	fail "AbortBackup during PrepareForBackup: $(cat "$tmpdir/r")"
grep -q '^AbortBackup S_OK' "$tmpdir/r" || fail "AbortBackup did not answer S_OK: $(cat "$tmpdir/r")"
wait_until 10 grep -q '^pw BackupShutdown' "$log"
assert_eq "events of pw when AbortBackup came during PrepareForBackup" \
	"Identify PrepareForBackup Abort BackupShutdown " \
	"$(awk '$1 == "pw" { printf "%s ", $2 }' "$log")"
test-requester init context=10 start > /dev/null	# the lock is free
# 8. The requester dies while its AbortBackup's events are out: the Abort
#    finishes, then BackupShutdown, and the next set can start.
kill "$pw_pid"
wait "$pw_pid" 2>/dev/null || true
start_ready aw test-writer --name aw --level front --log "$log" --sleep Abort:1500
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare abort > "$tmpdir/r" 2>&1 &
r=$!
wait_until 20 grep -q '^aw Abort' "$log"
kill "$r"
wait "$r" 2>/dev/null || true
wait_until 20 grep -q '^aw BackupShutdown' "$log"
assert_eq "events of aw when the requester died during AbortBackup" \
	"Identify PrepareForBackup Abort BackupShutdown " \
	"$(awk '$1 == "aw" { printf "%s ", $2 }' "$log")"
test-requester init context=10 start-retry > /dev/null	# the lock is free
kill "$aw_pid"
vssd_alive
