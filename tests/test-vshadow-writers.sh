#!/bin/sh
# test-vshadow-writers — vshadow's component-mode backup with test-writer
# instances and the test-provider double: the component selection of the
# SDK sample (sets of selectable components, components with files off the
# set left out, -wx, -wi verifying without restricting, names that match
# nothing), the events each writer sees, the saved document's components
# and backupSucceeded flags, a failing -exec, a writer veto at Freeze (set
# deleted, backup aborted), -ws and -wm --json.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
requires_root
requires iconv --version
. "$top_srcdir/tests/requester-lib.sh"
start_vssd

vol="$tmpdir/vol.img"
truncate -s 4M "$vol"
log="$tmpdir/ev.log"
start_ready prov test-provider --all --dir "$tmpdir/snaps"
# db: main heads a set holding main\logs; config is required (not selectable);
# archive's files are on no volume of the sets made here (the image file
# backs no loop device), so it is always left out
start_ready db test-writer --name db --log "$log" --component 'data:main:selectable' \
	--component 'data\main:logs:selectable' --component ':config' \
	--component 'data:archive:selectable' --files "$tmpdir/archive:*.db"
start_ready files test-writer --name files --log "$log" --component ':home'

# events NAME: the events writer NAME logged, on one line
events() { awk -v n="$1" '$1 == n { printf "%s%s", sep, $2; sep = " " }' "$log"; }
# bcd FILE: the document's COMPONENT elements, one per line, attributes kept
bcd() {
	iconv -f UTF-16LE -t UTF-8 "$1" | tr -d '\000' | grep -o '<COMPONENT [^>]*>' |
		sed -E 's/ componentType="[a-z]+"//'
}
count_snapshots() { vshadow -q --json 2>/dev/null | grep -c '"snapshot_id"' || :; }
full="Identify PrepareForBackup PrepareForSnapshot Freeze Thaw PostSnapshot BackupComplete BackupShutdown"

# ---- -wx of a writer: the other one takes part with its set heads ----
: >"$log"
vshadow -wx=FILES "-bc=$tmpdir/bc1.xml" "$vol" >"$tmpdir/c1.out"
wait_until 10 grep -q '^db BackupShutdown' "$log"
assert_eq "db events" "$full" "$(events db)"
assert_eq "files events" "Identify" "$(events files)"
# (the writers come in the order vssd lists them: compare sorted lines)
assert_eq "selection" "$(printf '%s\n' \
	" - Excluding writer 'files'" " * Writer 'db':" \
	'   - Add component \data\main' '   - Add component \config' | sort)" \
	"$(sed -n '/^Select explicitly/,/^Creating shadow set/p' "$tmpdir/c1.out" | sed '1d;$d' | sort)"
assert_eq "document" '<COMPONENT logicalPath="data" componentName="main" backupSucceeded="yes"/>
<COMPONENT componentName="config" backupSucceeded="yes"/>' "$(bcd "$tmpdir/bc1.xml")"
assert_eq "non-persistent set released" 0 "$(count_snapshots)"
# archive: left out, and said why (the mount holding its files)
off="- Component '\\data\\archive' from writer 'db' is excluded from backup (it requires $(stat -c %m "$tmpdir") in the shadow set)"
grep -qxF -e "$off" "$tmpdir/c1.out" || fail "archive: no '$off' in: $(cat "$tmpdir/c1.out")"

# ---- -wx of a component, -wi of a component ----
vshadow '-wx=db:\data\main' '/wx=files:home' "-bc=$tmpdir/bc2.xml" "$vol" >/dev/null
assert_eq "-wx component" '<COMPONENT componentName="config" backupSucceeded="yes"/>' \
	"$(bcd "$tmpdir/bc2.xml")"
: >"$log"
vshadow '-wi=db:data\main' "-bc=$tmpdir/bc3.xml" "$vol" >"$tmpdir/c3.out"
wait_until 10 grep -q '^db BackupShutdown' "$log"
wait_until 10 grep -q '^files BackupShutdown' "$log"
assert_eq "-wi of a component: db takes part" "$full" "$(events db)"
assert_eq "-wi of a component: files still takes part" "$full" "$(events files)"
assert_eq "-wi of a component adds what it would without" "$(printf '%s\n' \
	'<COMPONENT logicalPath="data" componentName="main" backupSucceeded="yes"/>' \
	'<COMPONENT componentName="config" backupSucceeded="yes"/>' \
	'<COMPONENT componentName="home" backupSucceeded="yes"/>' | sort)" \
	"$(bcd "$tmpdir/bc3.xml" | sort)"
grep -qxF -e "- The component 'db:data\\main' is included" "$tmpdir/c3.out" ||
	fail "-wi: not verified: $(cat "$tmpdir/c3.out")"
vshadow -wi=FILES "-bc=$tmpdir/bc5.xml" "$vol" >/dev/null
assert_eq "-wi of a writer keeps the other writers" "$(bcd "$tmpdir/bc3.xml" | sort)" \
	"$(bcd "$tmpdir/bc5.xml" | sort)"

# ---- -wi of what is left out: an error before anything is created ----
# (-p: a persistent set would outlive vshadow)
: >"$log"
rc=0
vshadow -p '-wx=db:data\main' '-wi=db:\data\main' "$vol" >"$tmpdir/wi1.out" 2>"$tmpdir/wi1.err" ||
	rc=$?
assert_eq "-wi of a component -wx excludes: exit status" 1 "$rc"
assert_eq "-wi of a component -wx excludes: message" \
	"vshadow: 'db:\\data\\main' (-wi) is not included in the backup: component '\\data\\main' of writer 'db' is excluded" \
	"$(cat "$tmpdir/wi1.err")"
grep -q '^Creating shadow set\|^Select explicitly' "$tmpdir/wi1.out" &&
	fail "-wi failed after the selection: $(cat "$tmpdir/wi1.out")"
assert_eq "-wi failure: no shadow copy" 0 "$(count_snapshots)"
assert_eq "-wi failure: db sees Identify alone" "Identify" "$(events db)"
assert_eq "-wi failure: files sees Identify alone" "Identify" "$(events files)"
# -wx of a set's member leaves its head out too
rc=0
vshadow '-wx=db:data\main\logs' -wi=db "$vol" >/dev/null 2>"$tmpdir/wi2.err" || rc=$?
assert_eq "-wi of a writer -wx cuts: exit status" 1 "$rc"
assert_eq "-wi of a writer -wx cuts: message" \
	"vshadow: 'db' (-wi) is not included in the backup: component '\\data\\main' of writer 'db' is excluded" \
	"$(cat "$tmpdir/wi2.err")"
# a component, or a writer, with files off the set
: >"$log"
rc=0
vshadow -p '-wi=db:\data\archive' "$vol" >"$tmpdir/wi3.out" 2>"$tmpdir/wi3.err" || rc=$?
assert_eq "-wi of a component off the set: exit status" 1 "$rc"
assert_eq "-wi of a component off the set: message" \
	"vshadow: 'db:\\data\\archive' (-wi) is not included in the backup: component '\\data\\archive' of writer 'db' is excluded" \
	"$(cat "$tmpdir/wi3.err")"
grep -qxF -e "$off" "$tmpdir/wi3.out" || fail "-wi: no '$off' in: $(cat "$tmpdir/wi3.out")"
assert_eq "-wi off the set: no shadow copy" 0 "$(count_snapshots)"
assert_eq "-wi off the set: db sees Identify alone" "Identify" "$(events db)"
rc=0
vshadow -wi=db "$vol" >/dev/null 2>"$tmpdir/wi4.err" || rc=$?
assert_eq "-wi of a writer with a component off the set: exit status" 1 "$rc"
assert_eq "-wi of a writer with a component off the set: message" \
	"vshadow: 'db' (-wi) is not included in the backup: component '\\data\\archive' of writer 'db' is excluded" \
	"$(cat "$tmpdir/wi4.err")"

cat >"$tmpdir/nosuch.exp" <<'EOF2'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

- Setting the VSS context to: 0x00000000
(Gathering writer metadata...)
(Waiting for the asynchronous operation to finish...)
Initialize writer metadata ...
vshadow: writer or component 'db:\nosuch' not found (-wi)
EOF2
check nosuch 1 vshadow '-wi=db:\nosuch' "$vol"

# ---- a failing -exec: components not backed up, BackupComplete all the same ----
rc=0
vshadow -exec=/bin/false "-bc=$tmpdir/bc4.xml" -wx=files "$vol" >/dev/null 2>&1 || rc=$?
assert_eq "-exec failure exit" 2 "$rc"
assert_eq "backupSucceeded=no" '<COMPONENT logicalPath="data" componentName="main" backupSucceeded="no"/>
<COMPONENT componentName="config" backupSucceeded="no"/>' "$(bcd "$tmpdir/bc4.xml")"

# ---- status and metadata as JSON ----
vshadow -ws --json 2>/dev/null >"$tmpdir/ws.json"
assert_eq "two stable writers" 2 "$(grep -c '"state_name": "VSS_WS_STABLE"' "$tmpdir/ws.json")"
vshadow -wm2 --json 2>/dev/null >"$tmpdir/wm.json"
grep -q '"logical_path": "data\\\\main"' "$tmpdir/wm.json" || fail "-wm2 --json: $(cat "$tmpdir/wm.json")"
grep -q '"filespec": "\*.db"' "$tmpdir/wm.json" || fail "-wm2 --json files"

# ---- restore from the saved document (UTF-16 as saved, and UTF-8) ----
: >"$log"
vshadow "-rs=$tmpdir/bc1.xml" >"$tmpdir/rs.out"
assert_eq "-rs selection" '- Selecting for restore component \data\main
- Selecting for restore component \config' "$(grep '^- Selecting' "$tmpdir/rs.out")"
assert_eq "-rs sends no restore event" "Identify" "$(events db)"
: >"$log"
iconv -f UTF-16LE -t UTF-8 "$tmpdir/bc1.xml" | tr -d '\000' >"$tmpdir/bc1-utf8.xml"
vshadow "-r=$tmpdir/bc1-utf8.xml" -exec=/bin/true >"$tmpdir/r.out"
grep -q '^Restore done.$' "$tmpdir/r.out" || fail "-r: $(cat "$tmpdir/r.out")"
wait_until 10 grep -q '^db BackupShutdown' "$log"
assert_eq "-r events" "Identify PreRestore PostRestore BackupShutdown" "$(events db)"
assert_eq "-r: files is not in the document" "Identify" "$(events files)"
rc=0
vshadow "-r=$tmpdir/nosuch.xml" >/dev/null 2>&1 || rc=$?
assert_eq "-r of a missing file" 1 "$rc"

# ---- a selected writer vetoes Freeze: the set is deleted, the backup aborted ----
start_ready veto test-writer --name veto --log "$log" --veto freeze --component ':x'
: >"$log"
rc=0
vshadow -p -wx=files -wx=db "$vol" >"$tmpdir/veto.out" 2>"$tmpdir/veto.err" || rc=$?
assert_eq "veto exit" 2 "$rc"
grep -q "selected writer 'veto' is in failed state VSS_WS_FAILED_AT_FREEZE (VSS_E_WRITERERROR_RETRYABLE)" \
	"$tmpdir/veto.err" || fail "veto message: $(cat "$tmpdir/veto.err")"
grep -q '^Deleting the shadow copy set {' "$tmpdir/veto.out" || fail "veto: set kept"
grep -q '^Aborting the backup ...$' "$tmpdir/veto.out" || fail "veto: no abort"
assert_eq "nothing left of the vetoed persistent set" 0 "$(count_snapshots)"
wait_until 10 grep -q '^veto BackupShutdown' "$log"
assert_eq "veto events" "Identify PrepareForBackup PrepareForSnapshot Freeze Abort BackupShutdown" \
	"$(events veto)"
kill -0 "$vssd_pid" || fail "vssd died"
