#!/bin/sh
# vss-cowadm remove volume (root) when something is in its way:
# (1) removed while PostFinalCommitSnapshots of a set on it writes the
#     snapshot's record (VSS_COWD_TEST_POSTFINAL_DELAY_MS): the removal waits
#     for it (the set succeeds), and takes the snapshot with it: no snapshot
#     is exposed after the volume is removed, no loop device and no record
#     stay (a removal that did not wait freed the snapshot under the record's
#     writer);
# (2) --force with an exposure that cannot be unmounted (a process's cwd is
#     in it): refused with a clear error, nothing changed (the volume, its
#     snapshots, their exposures, the diff area: a newer snapshot's
#     exposure, released before the busy one refused, is exposed again);
#     removed once it is free;
# (3) --force while the state dir is read-only: refused (the record cannot
#     go), the volume and its diff area stay and are served after a restart;
#     removed once the state dir is writable (likewise an unavailable
#     volume's record, forgotten); a snapshot record left by a
#     removal interrupted after the volume's record went is dropped at the
#     next start;
# (4) the filesystem holding a removed volume's files unmounts as soon as
#     remove volume has answered.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
# after vss-cowd is gone (cleanups run last registered first)
cleanup_fn "umount '$tmpdir/cowd-state' 2>/dev/null; true"
cleanup_fn "umount '$tmpdir/dfs' 2>/dev/null || { sleep 1; umount '$tmpdir/dfs' 2>/dev/null; }; true"
cowd_setup
requires mkfs.ext4 -V

emnt=$tmpdir/exposed
mkdir -p "$emnt" "$state"
holder=
cleanup_fn "umount '$emnt' 2>/dev/null; true"
cleanup_fn 'if [ -n "$holder" ]; then kill $holder 2>/dev/null; wait $holder 2>/dev/null; fi'
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
# no pause from here on
stop_cowd
start_cowd; cowd_ready 2

# (2) --force with a busy exposure
dev=$(adm add volume --name=v2 --backing="$tmpdir/v2.img" --size=64M --create \
	--diff="$tmpdir/v2.diff")
mkfs.ext4 -q -F "$dev"
test-requester init context=19 start "volume=$dev" do > /dev/null 2>&1 ||
	fail "(2) snapshot failed"
id=$(snap_id)
[ -n "$id" ] || fail "(2) no snapshot"
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > "$tmpdir/ex.out" 2>&1 ||
	fail "(2) expose failed: $(cat "$tmpdir/ex.out")"
# a newer snapshot, exposed and not busy: the removal releases it first
# (newest first), then is refused by the busy one, and must expose it again
test-requester init context=19 start "volume=$dev" do > /dev/null 2>&1 ||
	fail "(2) second snapshot failed"
id2=$(adm list volumes --json | awk -F'"' -v id="$id" '$2 == "id" && $4 != id { print $4; exit }')
[ -n "$id2" ] || fail "(2) no second snapshot"
mkdir -p "$emnt.2"
cleanup_fn "umount '$emnt.2' 2>/dev/null; true"
vssadmin expose shadow "/shadow=$id2" "/mount=$emnt.2" > "$tmpdir/ex.out" 2>&1 ||
	fail "(2) expose of the second failed: $(cat "$tmpdir/ex.out")"
(cd "$emnt" && exec sleep 60) &
holder=$!
sleep 0.2
adm remove volume --name=v2 --force > "$tmpdir/rm2.out" 2>&1 &&
	fail "(2) remove volume --force succeeded with a busy exposure"
grep -q "volume v2 not removed: .*$emnt" "$tmpdir/rm2.out" ||
	fail "(2) unclear error: $(cat "$tmpdir/rm2.out")"
adm list volumes --json | grep -q "\"$id\"" || fail "(2) the snapshot is gone"
grep -q " $emnt " /proc/mounts || fail "(2) the exposure was unmounted"
ls "$emnt/lost+found" > /dev/null || fail "(2) the exposure cannot be read"
grep -q "snapshot $id2 unexposed" "$tmpdir/cowd.log" ||
	fail "(2) the removal did not release the newer snapshot first (the case is not tested)"
grep -q " $emnt.2 " /proc/mounts || fail "(2) the newer snapshot's exposure stayed unmounted"
ls "$emnt.2/lost+found" > /dev/null || fail "(2) the newer exposure cannot be read"
grep -qx "exposed=$emnt.2" "$state/snapshots/$id2.snap" ||
	fail "(2) the newer snapshot's record: $(cat "$state/snapshots/$id2.snap")"
[ -e "$tmpdir/v2.diff" ] || fail "(2) the diff area was deleted"
[ -e "$state/volumes/v2.vol" ] || fail "(2) the volume's record was removed"
[ -e "$state/snapshots/$id.snap" ] || fail "(2) the snapshot's record was removed"
kill $holder; wait $holder 2>/dev/null || true; holder=
adm remove volume --name=v2 --force > "$tmpdir/rm2.out" 2>&1 ||
	fail "(2) remove volume --force failed: $(cat "$tmpdir/rm2.out")"
grep -q " $emnt " /proc/mounts && fail "(2) the exposure stayed mounted"
[ "$(nsnapdevs)" = 0 ] || fail "(2) a snapshot's loop device stayed"
[ "$(nrecords)" = 0 ] || fail "(2) a snapshot record stayed"
[ ! -e "$tmpdir/v2.diff" ] || fail "(2) the diff area stayed"
# vssd is told: its catalog forgets the snapshot
in_catalog() { vssadmin list shadows 2>/dev/null | grep -qi "$id"; }
not_in_catalog() { ! in_catalog; }
wait_until 10 not_in_catalog
grep -q "lost snapshot .*: its volume was removed" "$tmpdir/vssd.log" ||
	fail "(2) vssd did not hear why the snapshot went"

# remove_ro NAME: remove volume --force NAME while the state dir is
# read-only must fail (its output in $tmpdir/rm-NAME.out)
remove_ro() {
	mount -o remount,ro "$state"
	if adm remove volume --name="$1" --force > "$tmpdir/rm-$1.out" 2>&1; then
		mount -o remount,rw "$state"
		fail "(3) $1 was removed while its record could not be"
	fi
	mount -o remount,rw "$state"
}

# (3) --force while the state dir is read-only (and v4, unavailable after
# the restart, forgotten likewise)
adm add volume --name=v4 --backing="$tmpdir/v4.img" --size=32M --create \
	--diff="$tmpdir/v4.diff" > /dev/null
dev=$(adm add volume --name=v3 --backing="$tmpdir/v3.img" --size=32M --create \
	--diff="$tmpdir/v3.diff")
test-requester init context=19 start "volume=$dev" do > /dev/null 2>&1 ||
	fail "(3) snapshot failed"
id=$(snap_id)
[ -n "$id" ] || fail "(3) no snapshot"
remove_ro v3
grep -q "volume v3 not removed: cannot remove its record" "$tmpdir/rm-v3.out" ||
	fail "(3) unclear error: $(cat "$tmpdir/rm-v3.out")"
[ -e "$tmpdir/v3.diff" ] || fail "(3) the diff area was deleted"
adm list volumes --json | grep -q "\"$id\"" || fail "(3) the snapshot is gone"
stop_cowd
rm "$tmpdir/v4.img"
start_cowd; cowd_ready 3
adm list volumes | grep -q 'unavailable: cannot open .*v4.img' ||
	fail "(3) v4 is not unavailable: $(adm list volumes)"
remove_ro v4
grep -q "volume v4 not forgotten: cannot remove its record" "$tmpdir/rm-v4.out" ||
	fail "(3) unclear error: $(cat "$tmpdir/rm-v4.out")"
adm list volumes | grep -q 'unavailable: cannot open .*v4.img' ||
	fail "(3) v4 is no longer listed: $(adm list volumes)"
adm remove volume --name=v4 --force > "$tmpdir/rm4.out" 2>&1 ||
	fail "(3) v4 was not forgotten: $(cat "$tmpdir/rm4.out")"
[ ! -e "$state/volumes/v4.vol" ] || fail "(3) the record of v4 stayed"
adm list volumes > "$tmpdir/l3.out"
grep -q 'unavailable' "$tmpdir/l3.out" &&
	fail "(3) v3 is not served after a restart: $(cat "$tmpdir/l3.out")"
adm list volumes --json > "$tmpdir/l3.json"
grep -q "\"$id\"" "$tmpdir/l3.json" || fail "(3) the snapshot is gone after a restart"
cp "$state/snapshots/$id.snap" "$tmpdir/v3.snap"
adm remove volume --name=v3 --force > "$tmpdir/rm3.out" 2>&1 ||
	fail "(3) remove volume --force failed: $(cat "$tmpdir/rm3.out")"
[ "$(nrecords)" = 0 ] && [ ! -e "$state/volumes/v3.vol" ] || fail "(3) records stayed"
[ ! -e "$tmpdir/v3.diff" ] || fail "(3) the diff area stayed"
# the volume's record goes first: a crash before its snapshot's record
# went leaves that one, which the next start drops
cp "$tmpdir/v3.snap" "$state/snapshots/$id.snap"
stop_cowd
start_cowd; cowd_ready 4
[ "$(nrecords)" = 0 ] || fail "(3) the record of a snapshot of a removed volume stayed"
grep -q "snapshot $id: its volume v3 has no record (removed): record removed" \
	"$tmpdir/cowd.log" || fail "(3) the dropped record was not logged"

# (4) once remove volume has answered, nothing of vss-cowd holds the files:
# the filesystem of the backing and the diff area unmounts at once (the
# engine's rings used to give their files back a moment later)
dfs=$tmpdir/dfs
mkdir -p "$dfs"
mount -t tmpfs -o size=96M tmpfs "$dfs"
dev=$(adm add volume --name=v5 --backing="$dfs/v5.img" --size=32M --create \
	--diff="$dfs/v5.diff")
dd if=/dev/zero of="$dev" bs=1M count=4 oflag=direct status=none
test-requester init context=19 start "volume=$dev" do > /dev/null 2>&1 ||
	fail "(4) snapshot failed"
dd if=/dev/zero of="$dev" bs=1M count=4 oflag=direct status=none
adm remove volume --name=v5 --force > "$tmpdir/rm5.out" 2>&1 ||
	fail "(4) remove volume --force failed: $(cat "$tmpdir/rm5.out")"
rm -f "$dfs/v5.img"
umount "$dfs" 2> "$tmpdir/um5.err" ||
	fail "(4) the removed volume's filesystem stayed busy: $(cat "$tmpdir/um5.err")"
stop_cowd
cowd_no_leftovers
vssd_alive
