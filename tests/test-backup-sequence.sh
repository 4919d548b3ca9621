#!/bin/sh
# Conformance: the order and the targets of the writer events and provider
# calls of a backup (vss-protocol §3.1–3.3), read from the event log that
# three writers (one per application level) and the test provider share.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
log=$tmpdir/events.log
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
start_ready app test-writer --name app --level front --log "$log" --component 'app:ui:selectable'
start_ready db test-writer --name db --level back --log "$log" --component 'db:main'
start_ready sys test-writer --name sys --level system --log "$log" --component 'sys:reg'
: > "$log"	# forget the provider's registration Query

# 1. A full component-mode backup.
test-requester init state=component gather add-all start "volume=$vol" prepare do status \
	succeeded complete status query > "$tmpdir/r1"
sleep 0.3	# BackupShutdown follows the release of the requester
expect_timeline "$log" <<'T'
3 Identify
1 IsVolumeSupported
1 BeginPrepareSnapshot
3 PrepareForBackup
3 PrepareForSnapshot
1 EndPrepareSnapshots
1 Freeze app
1 Freeze db
1 Freeze sys
1 PreCommitSnapshots
1 CommitSnapshots
1 PostCommitSnapshots
1 Thaw sys
1 Thaw db
1 Thaw app
1 PreFinalCommitSnapshots
3 PostSnapshot
1 PostFinalCommitSnapshots
1 GetSnapshotProperties
3 BackupComplete
3 BackupShutdown
1 DeleteSnapshots
T
# After DoSnapshotSet every writer waits for completion; after
# BackupComplete every writer is stable again.
grep -c 'VSS_WS_WAITING_FOR_BACKUP_COMPLETE S_OK' "$tmpdir/r1" | grep -qx 3 ||
	fail "writers not all waiting for completion after DoSnapshotSet"
tail -n 4 "$tmpdir/r1" | grep -q 'snapshots 1' || fail "the snapshot is not listed"
grep -c 'VSS_WS_STABLE S_OK' "$tmpdir/r1" | grep -qx 3 ||
	fail "writers not all stable after BackupComplete"
# The auto-release snapshot went with the session (DeleteSnapshots above).
test-requester init context=ffffffff query > "$tmpdir/q"
grep -q '^snapshots 0' "$tmpdir/q" || fail "the auto-release snapshot survived its session"

# 2. Component mode, only the app writer's component added: the others
#    get Identify and nothing else (vss-protocol §3.2).
: > "$log"
test-requester init state=component gather add=app:app:ui start "volume=$vol" prepare do \
	complete > /dev/null
sleep 0.3
grep -v '^app ' "$log" | grep -E '^(db|sys) ' | awk '{print $2}' | sort -u > "$tmpdir/others"
echo Identify | diff -u - "$tmpdir/others" || fail "unselected writers got more than Identify"
grep -q '^app BackupShutdown' "$log" || fail "the selected writer did not get BackupShutdown"

# 3. Whole-volume mode (no components): every writer takes part.
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare do complete > /dev/null
sleep 0.3
for w in app db sys; do
	got=$(awk -v w="$w" '$1 == w { printf "%s ", $2 }' "$log")
	assert_eq "events of writer $w in whole-volume mode" \
		"Identify PrepareForBackup PrepareForSnapshot Freeze Thaw PostSnapshot BackupComplete BackupShutdown " \
		"$got"
done

# 4. A context without writers (FILE_SHARE_BACKUP): no writer event at all
#    beyond the optional Identify, and the provider still commits.
: > "$log"
test-requester init context=10 start "volume=$vol" do > /dev/null
sleep 0.3
expect_timeline "$log" <<'T'
1 IsVolumeSupported
1 BeginPrepareSnapshot
1 EndPrepareSnapshots
1 PreCommitSnapshots
1 CommitSnapshots
1 PostCommitSnapshots
1 PreFinalCommitSnapshots
1 PostFinalCommitSnapshots
1 GetSnapshotProperties
1 DeleteSnapshots
T

# 5. Persistent (APP_ROLLBACK) snapshots stay after the session, and go on
#    DeleteSnapshots.
test-requester init context=9 state=volume gather start "volume=$vol" prepare do \
	complete > /dev/null
test-requester init context=ffffffff query > "$tmpdir/q"
grep -q '^snapshots 1' "$tmpdir/q" || fail "the persistent snapshot did not survive its session"
vssd_alive
