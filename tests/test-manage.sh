#!/bin/sh
# Snapshot management through vssd, without root: ExposeSnapshot,
# UnexposeSnapshot, RevertToSnapshot and QueryRevertStatus go to the
# provider holding the snapshot (here the test double), vssd's catalog shows
# the exposure, refuses what VSS refuses, and takes a provider's new device
# object when the provider registers again.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
vol=$tmpdir/vol1.img
: > "$vol"
plog=$tmpdir/prov.log
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --log "$plog" --reconnect \
	--sleep QueryRevertStatus:100

req() { test-requester init context=ffffffff "$@"; }
field() { awk -v f="$1" '$1 == "props" { for (i = 3; i <= NF; i++) if (index($i, f "=") == 1)
	{ sub("^" f "=", "", $i); print $i } }' "$2"; }

# A non-persistent snapshot (held by a live session) cannot be exposed nor
# reverted to.
test-requester init context=10 state=volume start-retry "volume=$vol" do \
	expect=VSS_E_BAD_STATE expose expect=VSS_E_UNSUPPORTED_CONTEXT revert \
	delete-set > "$tmpdir/np.out" 2>&1 || { cat "$tmpdir/np.out"; fail "non-persistent checks"; }
grep -q '^ExposeSnapshot VSS_E_BAD_STATE' "$tmpdir/np.out" || fail "expose of a non-persistent snapshot"
grep -q '^RevertToSnapshot VSS_E_UNSUPPORTED_CONTEXT' "$tmpdir/np.out" ||
	fail "revert to a non-persistent snapshot"
grep -q '^ExposeSnapshot\|^RevertToSnapshot' "$plog" &&
	fail "vssd forwarded a call it must refuse"

# A persistent one (NAS_ROLLBACK: no writers).
test-requester init context=19 state=volume start-retry "volume=$vol" do > /dev/null
req props > "$tmpdir/p0"
dev=$(field device "$tmpdir/p0")
[ -f "$dev" ] || fail "no device for the persistent snapshot: $(cat "$tmpdir/p0")"
assert_eq "not exposed yet" "-" "$(field exposed "$tmpdir/p0")"
req expect=VSS_E_OBJECT_NOT_FOUND unexpose > /dev/null ||
	fail "UnexposeSnapshot of a snapshot that is not exposed"

# Bad input: a relative directory, an unknown snapshot id (via a volume that
# has no snapshot) are refused; nothing changes.
req expect=E_INVALIDARG expose=relative/dir > /dev/null || fail "a relative exposed name"
req expect=VSS_E_OBJECT_NOT_FOUND "revert-status=$tmpdir/nothing" > /dev/null ||
	fail "QueryRevertStatus of a volume without snapshots"

# Expose at a directory: the catalog shows the name and EXPOSED_LOCALLY.
req expose="$tmpdir/mnt" > "$tmpdir/e1"
grep -q "^exposed $tmpdir/mnt\$" "$tmpdir/e1" || fail "ExposeSnapshot answer: $(cat "$tmpdir/e1")"
grep -q "^ExposeSnapshot snapshot=.* volume=$tmpdir/mnt\$" "$plog" ||
	fail "the provider did not get ExposeSnapshot"
req props > "$tmpdir/p1"
assert_eq "exposed name in Query" "$tmpdir/mnt" "$(field exposed "$tmpdir/p1")"
attrs=$(field attrs "$tmpdir/p1")
[ $((attrs & 0x100000)) -ne 0 ] || fail "EXPOSED_LOCALLY not set: $attrs"
req expect=VSS_E_OBJECT_ALREADY_EXISTS expose > /dev/null || fail "exposing twice"

# The exposure survives a vssd restart (catalog) ...
stop_vssd
start_vssd
wait_until 10 sh -c "test-requester init context=ffffffff props | grep -q 'exposed=$tmpdir/mnt'"

# ... an exposed snapshot is not deleted without force ...
ndel=$(grep -c '^DeleteSnapshots' "$plog" || true)
req expect=VSS_E_VOLUME_IN_USE delete-noforce > "$tmpdir/d1" || fail "delete while exposed"
assert_eq "provider deletes after a refused delete" "$ndel" "$(grep -c '^DeleteSnapshots' "$plog" || true)"

# ... and unexposing clears it.
req unexpose > /dev/null
req props > "$tmpdir/p2"
assert_eq "exposed name after unexpose" "-" "$(field exposed "$tmpdir/p2")"
attrs=$(field attrs "$tmpdir/p2")
[ $((attrs & 0x100000)) -eq 0 ] || fail "EXPOSED_LOCALLY still set: $attrs"

# Expose without a name: the device is the exposure.
req expose > "$tmpdir/e2"
grep -q "^exposed $dev\$" "$tmpdir/e2" || fail "unnamed exposure: $(cat "$tmpdir/e2")"
req unexpose > /dev/null

# Revert: the provider gets it, a second one while it runs is refused, and
# QueryRevertStatus follows the progress to the end.
req revert > /dev/null
grep -q '^RevertToSnapshot snapshot=' "$plog" || fail "the provider did not get RevertToSnapshot"
req expect=VSS_E_REVERT_IN_PROGRESS revert-force > /dev/null || fail "a second revert"
req "revert-status=$vol" > "$tmpdir/r1"
grep -q '^QueryRevertStatus S_OK' "$tmpdir/r1" || fail "QueryRevertStatus: $(cat "$tmpdir/r1")"
grep -q '^progress 5/5$' "$tmpdir/r1" || fail "the progress did not reach the end: $(cat "$tmpdir/r1")"
[ "$(grep -c '^progress ' "$tmpdir/r1")" -ge 2 ] ||
	fail "the progress did not move: $(cat "$tmpdir/r1")"
# a finished revert reports finished at once
req "revert-status=$vol" > "$tmpdir/r2"
grep -q '^QueryRevertStatus S_OK' "$tmpdir/r2" || fail "status of a finished revert"

# A requester that dies while it follows a revert: vssd stops watching,
# keeps serving, and the next QueryRevertStatus follows the same revert.
req revert > /dev/null
test-requester init context=ffffffff "revert-status=$vol" > "$tmpdir/r3" 2>&1 &
watcher=$!
cleanup_fn "kill -9 $watcher 2>/dev/null; true"
wait_until 10 grep -q '^progress ' "$tmpdir/r3"
kill -9 "$watcher"
wait "$watcher" 2>/dev/null || true
vssd_alive || fail "vssd died with the requester"
wait_until 10 grep -q 'QueryRevertStatus finished: VSS_S_ASYNC_CANCELLED' "$tmpdir/vssd.log"
req "revert-status=$vol" > "$tmpdir/r4"
grep -q '^progress 5/5$' "$tmpdir/r4" || fail "the revert after a dead watcher: $(cat "$tmpdir/r4")"
# a QueryRevertStatus without a volume is refused
req expect=E_INVALIDARG "revert-status=" > /dev/null || fail "QueryRevertStatus without a volume"

# vssadmin: query reverts, expose / unexpose shadow
vssadmin query reverts "/for=$vol" > "$tmpdir/qr"
grep -q "^Revert of volume $vol\$" "$tmpdir/qr" || fail "query reverts: $(cat "$tmpdir/qr")"
grep -q 'Status: Completed' "$tmpdir/qr" || fail "query reverts status: $(cat "$tmpdir/qr")"
grep -q 'Progress: 100% (5 of 5 chunks)' "$tmpdir/qr" || fail "query reverts progress: $(cat "$tmpdir/qr")"
vssadmin query reverts --json | grep -q '"total": *5' || fail "query reverts --json"
vssadmin query reverts /for=/nonexistent | grep -q 'No items found' ||
	fail "query reverts of a volume without shadow copies"
id=$(awk '$1 == "props" { print $2; exit }' "$tmpdir/p0")
vssadmin expose shadow "/shadow=$id" "/mount=$tmpdir/mnt2" > "$tmpdir/ex" ||
	fail "vssadmin expose shadow: $(cat "$tmpdir/ex")"
grep -q "exposed as $tmpdir/mnt2\$" "$tmpdir/ex" || fail "vssadmin expose output: $(cat "$tmpdir/ex")"
vssadmin list shadows "/shadow=$id" | grep -q "Exposed Name: $tmpdir/mnt2" ||
	fail "list shadows does not show the exposure"
vssadmin expose shadow "/shadow=$id" 2> "$tmpdir/ex2" && fail "exposed twice"
grep -q VSS_E_OBJECT_ALREADY_EXISTS "$tmpdir/ex2" || fail "unclear error: $(cat "$tmpdir/ex2")"
vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "vssadmin unexpose shadow"
vssadmin unexpose shadow "/shadow=$id" 2> "$tmpdir/ex3" && fail "unexposed twice"
grep -q VSS_E_OBJECT_NOT_FOUND "$tmpdir/ex3" || fail "unclear error: $(cat "$tmpdir/ex3")"
vssadmin expose shadow /shadow=nonsense 2> /dev/null && fail "a bad id was accepted"

# A provider that registers again with other device objects: vssd's Query
# shows the new ones (loop numbers change when vss-cowd restarts).
kill -HUP "$prov_pid"
wait_until 10 sh -c "test-requester init context=ffffffff props | grep -q 'device=$dev.1 '"
[ -f "$dev.1" ] || fail "the test provider did not move its device"
grep -q 'device object now' "$tmpdir/vssd.log" || fail "vssd did not log the new device object"
# and it survives a vssd restart
stop_vssd
start_vssd
wait_until 10 sh -c "test-requester init context=ffffffff props | grep -q 'device=$dev.1 '"

# Deleted after all.
req delete-noforce | grep -q '^deleted 1' || fail "delete after unexpose"

# A provider built before the management calls (smaller struct_size):
# they answer E_NOTIMPL through vssd.
vol2=$tmpdir/vol2.img
: > "$vol2"
start_ready prov2 test-provider --id '{5e1f7e57-0000-4000-8000-000000000002}' --old-abi \
	--volume "$vol2" --dir "$tmpdir/snaps2"
test-requester init context=19 state=volume start-retry "volume=$vol2" do \
	expect=E_NOTIMPL expose expect=E_NOTIMPL revert delete-set > "$tmpdir/old.out" 2>&1 ||
	fail "old provider: $(cat "$tmpdir/old.out")"
grep -q '^ExposeSnapshot E_NOTIMPL' "$tmpdir/old.out" || fail "old provider expose"
stop_vssd
