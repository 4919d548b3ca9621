#!/bin/sh
# btrfs on a vss-cowd volume (root).  btrfs shows an anonymous device
# number in mountinfo (and another per subvolume in st_dev), so its mounts
# are known by their source, the live device:
# (1) a persistent snapshot of the volume named by a subvolume's mount
#     point: vssd names the volume by its device, vss-cowd takes it (the
#     mount point was refused as "not a volume");
# (1b) a writer's file in the subvolume is on the volume named by the top
#     level's mount point (vshadow -wi: it was left out of the set);
# (1c) the snapshot exposed at a directory is a read-only btrfs mount
#     beside the live one (same uuid), reading as at the snapshot;
# (2) a forced revert (vshadow -revert) while the top level and the
#     subvolume are mounted: both mounts go first, then the revert runs, and
#     the files read as at the snapshot (the revert ran under the mounted
#     filesystem, which vss-cowd did not see);
# (3) nothing is left behind.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.btrfs --version
requires btrfs --version
requires jq --version

top=$tmpdir/top
sub=$tmpdir/sub
mkdir -p "$top" "$sub"
cleanup_fn "cowd_umount '$sub' '$top'"
sums() { (cd "$sub" && md5sum f1 big); }
mounted() { grep -q " $1 " /proc/mounts; }

start_vssd
start_cowd; cowd_ready 1
dev=$(adm add volume --name=vb --backing="$tmpdir/b.img" --size=320M --create)
mkfs.btrfs -q -f "$dev" > /dev/null
mount "$dev" "$top"
btrfs -q subvolume create "$top/sv"
mount -o subvol=sv "$dev" "$sub"
# list volumes shows both mounts (btrfs: found by their source)
assert_eq "mount points" "$top $sub" "$(adm list volumes --json | jq -r '.[0].mount_points | join(" ")')"
echo "first version" > "$sub/f1"
head -c 20000000 /dev/urandom > "$sub/big"
sync
sums > "$tmpdir/sums.before"

# (1) by the subvolume's mount point
test-requester init context=19 start "volume=$sub" do > "$tmpdir/r1.out" 2>&1 ||
	fail "(1) snapshot by $sub: $(cat "$tmpdir/r1.out")"
grep -q "AddToSnapshotSet: $dev -> snapshot" "$tmpdir/vssd.log" ||
	fail "(1) the volume was not named by its device: $(grep AddToSnapshotSet "$tmpdir/vssd.log")"
id=$(test-requester init context=ffffffff props | awk '$1 == "props" { print $2; exit }')
[ -n "$id" ] || fail "(1) no snapshot"

# (1b) a writer's files in the subvolume lie on the volume named by the
# top level's mount point (vshadow's component selection, IsPathAffected):
# the same filesystem, though st_dev differs
vss-writer-exec --name W --component db:main --files "$sub:f1" > "$tmpdir/w.out" 2>&1 &
cleanup_fn "kill $! 2>/dev/null; wait $! 2>/dev/null"
wait_until 10 grep -q "writer 'W' subscribed" "$tmpdir/vssd.log"
vshadow -wi=W "$top" > "$tmpdir/vs.out" 2>&1 ||
	fail "(1b) the component in $sub was not taken as on $top: $(cat "$tmpdir/vs.out")"

# the live volume moves on
echo "second version" > "$sub/f1"
dd if=/dev/urandom of="$sub/big" bs=1M count=5 seek=3 conv=notrunc status=none
sync
sums | cmp -s - "$tmpdir/sums.before" && fail "the live files did not change"

# (1c) exposed at a directory: mounted read-only (rescue=nologreplay) beside
# the live filesystem, which has the same uuid; the subvolume's files read
# as at the snapshot while the live ones have moved on
emnt=$tmpdir/exposed
mkdir -p "$emnt"
cleanup_fn "cowd_umount '$emnt'"
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > "$tmpdir/ex.out" 2>&1 ||
	fail "(1c) expose: $(cat "$tmpdir/ex.out")"
grep " $emnt btrfs " /proc/mounts | grep -q ' ro,' || fail "(1c) not a read-only btrfs: $(grep " $emnt " /proc/mounts)"
(cd "$emnt/sv" && md5sum f1 big) | cmp - "$tmpdir/sums.before" ||
	fail "(1c) the exposed snapshot does not read as at the snapshot"
touch "$emnt/sv/new" 2>/dev/null && fail "(1c) the exposure is writable"
vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "(1c) unexpose"
mounted "$emnt" && fail "(1c) still mounted after unexpose"

# (2) a forced revert with both mounts in place
vshadow "-revert=$id" > "$tmpdir/vr.out" 2>&1 || fail "(2) vshadow -revert: $(cat "$tmpdir/vr.out")"
grep -q 'was reverted' "$tmpdir/vr.out" || fail "(2) vshadow -revert output: $(cat "$tmpdir/vr.out")"
mounted "$sub" && fail "(2) the forced revert left the subvolume mounted"
mounted "$top" && fail "(2) the forced revert left the top level mounted"
grep -q "unmounted $sub" "$tmpdir/cowd.log" || fail "(2) vss-cowd did not unmount $sub"
mount -o subvol=sv "$dev" "$sub"
sums | cmp - "$tmpdir/sums.before" || fail "(2) the files after the revert"
btrfs scrub start -B -q "$sub" > "$tmpdir/scrub.out" 2>&1 || fail "(2) scrub: $(cat "$tmpdir/scrub.out")"
umount "$sub"

# (3) the snapshot and the volume go, nothing stays
test-requester init context=ffffffff delete-noforce | grep -q '^deleted 1' ||
	fail "(3) delete of the snapshot"
adm remove volume --name=vb
stop_cowd
cowd_no_leftovers
echo "btrfs: snapshot by a subvolume's mount point, forced revert unmounts it"
