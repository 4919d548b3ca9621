#!/bin/sh
# 100 writers in three application levels take part in one backup: every
# one of them gets the whole sequence, and Freeze/Thaw go level by level.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
log=$tmpdir/events.log
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
start_ready f test-writer --name f --level front --count 40 --log "$log"
start_ready b test-writer --name b --level back --count 30 --log "$log"
start_ready s test-writer --name s --level system --count 30 --log "$log"
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare do status complete \
	> "$tmpdir/r"
wait_until 20 count_is ' BackupShutdown' "$log" 100
# the release of the session deletes the auto-release snapshot after that
wait_until 10 grep -q '^DeleteSnapshots' "$log"
expect_timeline "$log" <<'T'
100 Identify
1 IsVolumeSupported
1 BeginPrepareSnapshot
100 PrepareForBackup
100 PrepareForSnapshot
1 EndPrepareSnapshots
40 Freeze f
30 Freeze b
30 Freeze s
1 PreCommitSnapshots
1 CommitSnapshots
1 PostCommitSnapshots
30 Thaw s
30 Thaw b
40 Thaw f
1 PreFinalCommitSnapshots
100 PostSnapshot
1 PostFinalCommitSnapshots
1 GetSnapshotProperties
100 BackupComplete
100 BackupShutdown
1 DeleteSnapshots
T
n=$(grep -c 'VSS_WS_WAITING_FOR_BACKUP_COMPLETE S_OK' "$tmpdir/r")
assert_eq "writers waiting for completion" 100 "$n"
# each writer instance saw exactly the eight events, in order
awk '$1 ~ /^[a-z]/ { seq[$1] = seq[$1] " " $2 } END { for (w in seq) print seq[w] }' "$log" | sort -u > "$tmpdir/seqs"
echo " Identify PrepareForBackup PrepareForSnapshot Freeze Thaw PostSnapshot BackupComplete BackupShutdown" |
	diff -u - "$tmpdir/seqs" || fail "some writer saw a different sequence"
vssd_alive
