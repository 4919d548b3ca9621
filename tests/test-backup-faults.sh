#!/bin/sh
# Conformance under faults (vss-protocol §3.4, §4.4–4.6): a writer that
# vetoes each event, a freeze window that expires, a writer that dies while
# frozen, and providers that fail.  Writer failures never fail the set;
# provider failures abort it.
. "${top_builddir:-.}/tests/functions.sh"
set -e
[ -n "$VSS_TEST_DEBUG" ] && set -x

start_vssd --timeout Identify=3000
log=$tmpdir/events.log
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log"
start_ready good test-writer --name good --level front --log "$log"

events_of() { awk -v w="$1" '$1 == w { printf "%s ", $2 }' "$log"; }

# backup_with_bad FAULTOPTS...: one whole-volume backup with a second
# writer "bad" (BACK_END) started with the fault options.
backup_with_bad() {
	start_ready bad test-writer --name bad --level back --log "$log" "$@"
	: > "$log"
	test-requester init state=volume gather start "volume=$vol" prepare do status \
		complete status > "$tmpdir/r" || fail "the backup failed: $(cat "$tmpdir/r")"
	sleep 0.3
	kill "$bad_pid" 2>/dev/null || true
	wait "$bad_pid" 2>/dev/null || true
}

full="Identify PrepareForBackup PrepareForSnapshot Freeze Thaw PostSnapshot BackupComplete BackupShutdown "

# A veto (handler returns false, VSS_E_WRITERERROR_RETRYABLE) at each event:
# the state the writer ends in, the events it saw, and the good writer saw
# everything.
while read -r ev state seen; do
	backup_with_bad --veto "$ev"
	st=$(awk '$1 == "writer" && $2 == "bad" { s = $3 " " $4 } END { print s }' "$tmpdir/r")
	assert_eq "state after a $ev veto" "$state VSS_E_WRITERERROR_RETRYABLE" "$st"
	assert_eq "events of a writer vetoing $ev" "$(echo "$seen" | tr , ' ') " "$(events_of bad)"
	assert_eq "events of the good writer ($ev veto)" "$full" "$(events_of good)"
	grep -q '^DoSnapshotSet S_OK' "$tmpdir/r" || fail "a $ev veto failed the set"
done <<'V'
PrepareForBackup VSS_WS_FAILED_AT_PREPARE_BACKUP Identify,PrepareForBackup,BackupComplete,BackupShutdown
PrepareForSnapshot VSS_WS_FAILED_AT_PREPARE_SNAPSHOT Identify,PrepareForBackup,PrepareForSnapshot,BackupComplete,BackupShutdown
Freeze VSS_WS_FAILED_AT_FREEZE Identify,PrepareForBackup,PrepareForSnapshot,Freeze,Abort,BackupComplete,BackupShutdown
Thaw VSS_WS_FAILED_AT_THAW Identify,PrepareForBackup,PrepareForSnapshot,Freeze,Thaw,Abort,BackupComplete,BackupShutdown
PostSnapshot VSS_WS_FAILED_AT_POST_SNAPSHOT Identify,PrepareForBackup,PrepareForSnapshot,Freeze,Thaw,PostSnapshot,BackupComplete,BackupShutdown
BackupComplete VSS_WS_FAILED_AT_BACKUP_COMPLETE Identify,PrepareForBackup,PrepareForSnapshot,Freeze,Thaw,PostSnapshot,BackupComplete,BackupShutdown
V

# A veto of Identify leaves the writer out of the session altogether.
backup_with_bad --veto Identify
assert_eq "events of a writer vetoing Identify" "Identify " "$(events_of bad)"
grep -q '^writer bad ' "$tmpdir/r" && fail "a writer that failed Identify is in the status"

# A non-fatal failure (handler returns true after SetWriterFailure): the
# state is FAILED_AT_<event> but the writer keeps getting events.
backup_with_bad --fail PrepareForSnapshot:VSS_E_WRITERERROR_OUTOFRESOURCES
st=$(awk '$1 == "writer" && $2 == "bad" { s = $3 " " $4 } END { print s }' "$tmpdir/r")
assert_eq "state after a non-fatal failure" \
	"VSS_WS_FAILED_AT_PREPARE_SNAPSHOT VSS_E_WRITERERROR_OUTOFRESOURCES" "$st"
assert_eq "events after a non-fatal failure" "$full" "$(events_of bad)"

# The freeze window expires: "quick" (FRONT_END, 1 s window) is frozen
# first; the BACK_END writer then takes 3 s in Freeze.  The quick writer
# is FAILED_AT_FREEZE with VSS_E_WRITERERROR_TIMEOUT, it is aborted, it
# never gets Thaw; the set is still created.
start_ready quick test-writer --name quick --level front --freeze-timeout 1000 --log "$log"
backup_with_bad --sleep Freeze:3000
kill "$quick_pid"
st=$(awk '$1 == "writer" && $2 == "quick" && !s { s = $3 " " $4 } END { print s }' "$tmpdir/r")
assert_eq "state after the freeze window expired" \
	"VSS_WS_FAILED_AT_FREEZE VSS_E_WRITERERROR_TIMEOUT" "$st"
# Both the writer library's timer and vssd's fire at 1 s; whichever comes
# first aborts the writer (the library's own timer is unit-tested).
grep -q '^quick Abort' "$log" || fail "the writer whose window expired was not aborted"
grep -q '^quick Thaw' "$log" && fail "a writer whose window expired got Thaw"
grep -q '^bad Thaw' "$log" || fail "the slow writer was not thawed"

# A writer that dies while frozen: VSS_E_WRITER_NOT_RESPONDING, the others
# are thawed, the set is created.
backup_with_bad --die Freeze
st=$(awk '$1 == "writer" && $2 == "bad" && !s { s = $3 " " $4 } END { print s }' "$tmpdir/r")
assert_eq "state of a writer that died in Freeze" \
	"VSS_WS_FAILED_AT_FREEZE VSS_E_WRITER_NOT_RESPONDING" "$st"
assert_eq "events of the good writer (other died)" "$full" "$(events_of good)"

# Providers: a veto in CommitSnapshots fails the set with the provider's
# code; writers get Abort, the provider AbortSnapshots; no snapshot stays.
kill "$prov_pid"; wait "$prov_pid" 2>/dev/null || true
start_ready prov2 test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log" \
	--fail CommitSnapshots
: > "$log"
test-requester init state=volume gather start "volume=$vol" prepare \
	expect=VSS_E_PROVIDER_VETO do > /dev/null
sleep 0.3
grep -q '^AbortSnapshots' "$log" || fail "the provider was not told to abort"
grep -q '^good Abort' "$log" || fail "the writer was not aborted"
grep -q '^good Thaw' "$log" && fail "an aborted set went on to Thaw"
test-requester init context=ffffffff query | grep -q '^snapshots 0' ||
	fail "an aborted set left a snapshot"
# ...and a code VSS does not allow a provider becomes UNEXPECTED_PROVIDER_ERROR.
kill "$prov2_pid"; wait "$prov2_pid" 2>/dev/null || true
start_ready prov3 test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$log" \
	--fail EndPrepareSnapshots:E_FAIL
test-requester init state=volume gather start "volume=$vol" prepare \
	expect=VSS_E_UNEXPECTED_PROVIDER_ERROR do > /dev/null
# The creation lock was released by both failures.
test-requester init context=10 start "volume=$vol" > /dev/null
vssd_alive
