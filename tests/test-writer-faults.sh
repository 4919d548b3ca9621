#!/bin/sh
# test-writer-faults — the writer library's side of the failure rules
# (spec §4.2-4.6) through vssd: a veto at Freeze reports
# VSS_E_WRITERERROR_RETRYABLE and is followed by Abort without Thaw; a freeze
# window that expires ends in OnAbort without OnThaw and the writer reports
# VSS_E_WRITERERROR_TIMEOUT; a writer that dies in
# Freeze exits 9 and vssd keeps serving; a writer started with --reconnect
# subscribes again after vssd restarts.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/writer-functions.sh"
set -e

start_vssd
start_ready prov test-provider --all --dir "$tmpdir/snaps" --log "$tmpdir/prov.log" \
	--sleep PostCommitSnapshots:700
start_ready v test-writer --name V --veto Freeze --component a:b --log "$tmpdir/ev.log"
start_ready t test-writer --name T --freeze-timeout 250 --component a:b --log "$tmpdir/ev.log"
start_ready d test-writer --name D --die Freeze --component a:b --log "$tmpdir/ev.log"
truncate -s 1M "$tmpdir/vol.img"

# vshadow gives up on the failed writers (exit 2) after DoSnapshotSet.
if vshadow "$tmpdir/vol.img" >"$tmpdir/vshadow.out" 2>&1; then
	fail "vshadow succeeded with failed writers"
fi
grep -q "writer 'V' is in failed state VSS_WS_FAILED_AT_FREEZE (VSS_E_WRITERERROR_RETRYABLE)" \
	"$tmpdir/vshadow.out" || fail "V's veto not reported: $(cat "$tmpdir/vshadow.out")"
grep -q "writer 'T' is in failed state VSS_WS_FAILED_AT_FREEZE (VSS_E_WRITERERROR_TIMEOUT)" \
	"$tmpdir/vshadow.out" || fail "T's timeout not reported: $(cat "$tmpdir/vshadow.out")"
wait_log "$tmpdir/ev.log" '^T BackupShutdown '
wait_log "$tmpdir/ev.log" '^V BackupShutdown '

# Veto: Abort follows Freeze, no Thaw.
case "$(writer_events "$tmpdir/ev.log" V)" in
"Identify PrepareForBackup PrepareForSnapshot Freeze Abort"*) ;;
*) fail "V events: $(writer_events "$tmpdir/ev.log" V)" ;;
esac
writer_events "$tmpdir/ev.log" V | grep -qw Thaw && fail "V got OnThaw after its veto"

# Timeout: OnAbort follows Freeze and OnThaw is never called.  vssd keeps a
# freeze timer of its own, so the first Abort is either the library's
# (logged "by=timer") or the coordinator's, whichever fires first; the
# library's timer alone is proven by test-writer-unit (freeze_timeout).
case "$(writer_events "$tmpdir/ev.log" T)" in
"Identify PrepareForBackup PrepareForSnapshot Freeze Abort"*) ;;
*) fail "T events: $(writer_events "$tmpdir/ev.log" T)" ;;
esac
writer_events "$tmpdir/ev.log" T | grep -qw Thaw && fail "T got OnThaw after its timer fired"

# Death inside Freeze: exit status 9, logged Freeze last.
wait $d_pid && rc=0 || rc=$?
assert_eq "D exit status" 9 "$rc"
assert_eq "D last event" Freeze "$(writer_events "$tmpdir/ev.log" D | awk '{ print $NF }')"

# vssd still serves; the states are visible to vssadmin.
vssadmin list writers >"$tmpdir/writers.out"
grep -A4 "Writer name: 'T'" "$tmpdir/writers.out" | grep -q 'Last error: Timed out' ||
	fail "vssadmin: $(cat "$tmpdir/writers.out")"

# Reconnect: a writer with --reconnect comes back after vssd restarts.
start_ready r test-writer --name R --reconnect --log "$tmpdir/ev.log"
stop_vssd
: >"$tmpdir/vssd.log"
start_vssd
wait_log "$tmpdir/vssd.log" "writer 'R' subscribed"
for _ in $(seq 100); do
	vshadow -wm >"$tmpdir/wm.out" 2>&1 || true
	grep -q 'WRITER "R"' "$tmpdir/wm.out" && break
	sleep 0.1
done
grep -q 'WRITER "R"' "$tmpdir/wm.out" || fail "R did not come back: $(cat "$tmpdir/wm.out")"
