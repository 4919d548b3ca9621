#!/bin/sh
# Flush-and-hold on btrfs (root).  btrfs reports an anonymous device number
# in mountinfo and yet another per subvolume in its files' st_dev, so a
# volume cannot be matched to its mounts by st_dev as ext4 and xfs can.
# One btrfs on a loop device, its top level and two subvolumes mounted:
# (1) named by its device, the filesystem is held during the commit (it was
#     taken for an unmounted device and never frozen);
# (2) named by a subvolume's mount point, the volume is the device, and it
#     is held (it was refused as "not a volume");
# (3) the other subvolume's mount point in the same set is the same volume:
#     VSS_E_OBJECT_ALREADY_EXISTS (two FIFREEZEs of one filesystem: EBUSY,
#     and the set failed);
# (4) a vssd whose state dir lies on a subvolume refuses the filesystem,
#     named by any of its mount points or its device: freezing it would
#     freeze vssd's own state.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/freeze-functions.sh"
set -e
requires_root
requires losetup --version
requires mkfs.btrfs --version
requires btrfs --version

b=$tmpdir/b
truncate -s 300M "$tmpdir/b.img"
mkfs.btrfs -q -f "$tmpdir/b.img" > /dev/null
loop_attach dev "$tmpdir/b.img"
mkdir -p "$b/top" "$b/s1" "$b/s2"
mount "$dev" "$b/top"
cleanup_fn "fsfreeze -u $b/top 2>/dev/null; umount $b/top 2>/dev/null || { sleep 2; umount $b/top; }; true"
btrfs -q subvolume create "$b/top/sv1"
btrfs -q subvolume create "$b/top/sv2"
for s in 1 2; do
	mount -o subvol=sv$s "$dev" "$b/s$s"
	cleanup_fn "umount $b/s$s 2>/dev/null || { sleep 2; umount $b/s$s; }; true"
done
# the premise: st_dev tells neither the filesystem nor its device
[ "$(stat -c %d "$b/s1")" != "$(stat -c %d "$b/s2")" ] ||
	echo "note: this kernel gives subvolumes one st_dev"


log=$tmpdir/events.log
start_vssd
start_ready p1 test-provider --dir "$tmpdir/snaps" --log "$log" --volume "$dev" \
	--sleep CommitSnapshots:1500

# hold VOLUME N: a set of VOLUME, held in its N-th commit
hold() {
	test-requester init context=10 start "volume=$1" do > "$tmpdir/r.out" 2>&1 &
	req=$!
	wait_until 10 sh -c "grep -c '^CommitSnapshots' $log | grep -qx $2"
	held "$b/top" "$b/s1" "$b/s2" || fail "($2) $1: the filesystem was not held"
	wait $req || fail "($2) $1: the set failed: $(cat "$tmpdir/r.out")"
	for m in top s1 s2; do
		writable "$b/$m" || fail "($2) $1: $m stayed frozen"
	done
}

# (1) by its device
hold "$dev" 1
# (2) by a subvolume's mount point: the same volume, the device (the
# provider supports $dev alone)
hold "$b/s1" 2

# (3) both subvolumes in one set: the second is the same volume
test-requester init context=10 start "volume=$b/s1" expect=VSS_E_OBJECT_ALREADY_EXISTS \
	"volume=$b/s2" abort > "$tmpdir/r3.out" 2>&1 ||
	fail "(3) $(cat "$tmpdir/r3.out")"
for m in top s1 s2; do
	writable "$b/$m" || fail "(3) $m frozen"
done
kill "$p1_pid"; wait "$p1_pid" 2>/dev/null || true
kill "$vssd_pid"; wait "$vssd_pid" 2>/dev/null || true

# (4) vssd's state on subvolume 2: the filesystem is refused by any name
# (the socket stays in $tmpdir)
mkdir -p "$b/s2/state"
start_vssd --state-dir "$b/s2/state"
start_ready p4 test-provider --dir "$tmpdir/snaps4" --log "$log.4" --volume "$dev"
for v in "$b/s1" "$b/top" "$dev"; do
	test-requester init context=10 start expect=VSS_E_VOLUME_NOT_SUPPORTED "volume=$v" \
		abort > "$tmpdir/r4.out" 2>&1 || fail "(4) $v: $(cat "$tmpdir/r4.out")"
done
# (the provider supports $dev: the refusal is vssd's)
! grep -qE '^(IsVolumeSupported|AddToSnapshotSet)' "$log.4" ||
	fail "(4) the provider was asked: $(cat "$log.4")"
kill "$p4_pid"; wait "$p4_pid" 2>/dev/null || true
kill "$vssd_pid"; wait "$vssd_pid" 2>/dev/null || true
echo "btrfs: held by device and by mount point, one volume, vssd's own refused"
