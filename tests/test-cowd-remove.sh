#!/bin/sh
# vss-cowadm remove volume (root) when something is in its way:
# (1) removed while PostFinalCommitSnapshots of a set on it writes the
#     snapshot's record (VSS_COWD_TEST_POSTFINAL_DELAY_MS): the removal waits
#     for it (the set succeeds), and takes the snapshot with it: no snapshot
#     is exposed after the volume is removed, no loop device and no record
#     stay (a removal that did not wait freed the snapshot under the record's
#     writer).
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
# after vss-cowd is gone (cleanups run last registered first)
cleanup_fn "umount '$tmpdir/cowd-state' 2>/dev/null; true"
cowd_setup
requires mkfs.ext4 -V

mkdir -p "$state"
# the state dir on its own tmpfs, to be made read-only in (3)
mount -t tmpfs -o size=16M tmpfs "$state"

nsnapdevs() { losetup -n -O BACK-FILE -l | grep -c "$export_dir/.*@" || true; }
nrecords() { ls "$state/snapshots" | grep -c '\.snap$' || true; }
# the id of the (only) snapshot vss-cowd serves
snap_id() { adm list volumes --json | awk -F'"' '$2 == "id" { print $4; exit }'; }

VSS_COWD_TEST_POSTFINAL_DELAY_MS=2000
export VSS_COWD_TEST_POSTFINAL_DELAY_MS
start_vssd
start_cowd; cowd_ready 1
unset VSS_COWD_TEST_POSTFINAL_DELAY_MS

# (1) remove volume during PostFinalCommitSnapshots
dev=$(adm add volume --name=v1 --backing="$tmpdir/v1.img" --size=32M --create \
	--diff="$tmpdir/v1.diff")
test-requester init context=19 start "volume=$dev" do > "$tmpdir/req1.out" 2>&1 &
req=$!
wait_until 20 grep -q 'PostFinalCommitSnapshots: test pause' "$tmpdir/cowd.log"
adm remove volume --name=v1 --force > "$tmpdir/rm1.out" 2>&1 ||
	fail "(1) remove volume failed: $(cat "$tmpdir/rm1.out")"
# the set was complete before the volume went
wait $req || fail "(1) the set failed: $(cat "$tmpdir/req1.out")"
grep 'cannot write its record' "$tmpdir/cowd.log" && fail "(1) a record was written from freed memory"
sed -n '/volume v1 removed/,$p' "$tmpdir/cowd.log" | grep -E 'created|exposed' &&
	fail "(1) a snapshot of v1 was created or exposed after v1 was removed"
[ "$(nsnapdevs)" = 0 ] || fail "(1) a snapshot's loop device stayed: $(losetup -l)"
[ "$(nrecords)" = 0 ] || fail "(1) a snapshot record stayed: $(ls "$state/snapshots")"
[ ! -e "$tmpdir/v1.diff" ] || fail "(1) the diff area stayed"
adm list volumes | grep -q v1 && fail "(1) v1 is still listed"
stop_cowd
cowd_no_leftovers
vssd_alive
