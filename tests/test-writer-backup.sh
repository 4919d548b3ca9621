#!/bin/sh
# test-writer-backup — a component-mode backup through vssd with test-writer
# and the test-provider double: the exact events each writer logs (a writer
# without a selected component only sees Identify), the provider calls in
# §3.3 order, the WMD components of --component/--files seen by vshadow.
# W's logs component has its files off the image-file volume (which holds
# no path), so vshadow leaves it out and backs W up through db\main.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/writer-functions.sh"
set -e

start_vssd
start_ready prov test-provider --all --dir "$tmpdir/snaps" --log "$tmpdir/prov.log"
start_ready w test-writer --name W --level back --log "$tmpdir/ev.log" \
	--component 'db:main' --component 'db:logs:selectable' --files '/var/db:*.db:recursive'
start_ready f test-writer --name F --count 2 --log "$tmpdir/ev.log"
truncate -s 1M "$tmpdir/vol.img"

vshadow -wm2 >"$tmpdir/wm2.out"
grep -A4 'Component "W:\\db\\logs"' "$tmpdir/wm2.out" >"$tmpdir/comp.out" || true
grep -q 'Type: VSS_CT_FILEGROUP' "$tmpdir/comp.out" &&
	grep -q 'files: path = /var/db, filespec = \*.db, recursive' "$tmpdir/comp.out" ||
	fail "vshadow -wm2 does not show W's component: $(cat "$tmpdir/wm2.out")"

: >"$tmpdir/ev.log"
: >"$tmpdir/prov.log"
vshadow "$tmpdir/vol.img" >"$tmpdir/vshadow.out" 2>&1 ||
	fail "vshadow failed: $(cat "$tmpdir/vshadow.out")"
grep -qF -e "- Component '\\db\\logs' from writer 'W' is excluded from backup (it requires" \
	"$tmpdir/vshadow.out" || fail "W's logs not left out: $(cat "$tmpdir/vshadow.out")"
# BackupShutdown follows the release of vshadow's session.
wait_log "$tmpdir/ev.log" '^W BackupShutdown '

assert_eq "W events" \
	"Identify PrepareForBackup PrepareForSnapshot Freeze Thaw PostSnapshot BackupComplete BackupShutdown" \
	"$(writer_events "$tmpdir/ev.log" W)"
assert_eq "F-1 events" "Identify" "$(writer_events "$tmpdir/ev.log" F-1)"
assert_eq "F-2 events" "Identify" "$(writer_events "$tmpdir/ev.log" F-2)"
assert_eq "provider calls" \
	"IsVolumeSupported BeginPrepareSnapshot EndPrepareSnapshots PreCommitSnapshots CommitSnapshots PostCommitSnapshots PreFinalCommitSnapshots PostFinalCommitSnapshots GetSnapshotProperties DeleteSnapshots" \
	"$(provider_calls "$tmpdir/prov.log")"

# Every event after Identify names the session's set; one session throughout.
set_id=$(awk '$2 == "Freeze" { print $4 }' "$tmpdir/ev.log")
[ -n "$set_id" ] && [ "$set_id" != "set={00000000-0000-0000-0000-000000000000}" ] ||
	fail "Freeze carries no set: $set_id"
assert_eq "set named by BackupShutdown after the set was created" "$set_id" \
	"$(awk '$2 == "BackupShutdown" { print $4 }' "$tmpdir/ev.log")"
assert_eq "sessions" 1 "$(awk '$1 == "W" { print $3 }' "$tmpdir/ev.log" | sort -u | wc -l)"
grep -q "BeginPrepareSnapshot ${set_id} " "$tmpdir/prov.log" ||
	fail "provider saw another set than $set_id"
