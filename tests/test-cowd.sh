#!/bin/sh
# vss-cowd end to end (root): a volume on an image file served through FUSE
# and a loop device, ext4 on it, a persistent snapshot taken through vssd
# (with a writer), the snapshot's device object mounted read-only holding
# the data as of the snapshot while the live volume moves on; the volume
# and the snapshot come back after a clean restart and after a kill -9;
# bad requests get clear errors and the daemon keeps serving; an idle
# control connection holds up no other request.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires jq --version

img=$tmpdir/vol.img
mnt=$tmpdir/mnt
smnt=$tmpdir/snap
mkdir -p "$mnt" "$smnt"
cleanup_fn "umount '$smnt' 2>/dev/null; umount '$tmpdir/bind' 2>/dev/null; umount '$mnt' 2>/dev/null; true"

snap_dev() { adm list volumes --json | awk -F'"' '/"snapshots"/ { s = 1 } s && /"device"/ { print $4; exit }'; }
sums() { (cd "$1" && md5sum f1 f2 big); }
# same_contents WHEN: after a restart the volume and its snapshot are back,
# the live files as last written, the snapshot's as at the snapshot.
same_contents() {
	dev=$(live_dev); sdev=$(snap_dev)
	[ -b "$dev" ] && [ -b "$sdev" ] || fail "volume or snapshot missing after $1"
	mount "$dev" "$mnt"
	sums "$mnt" | cmp - "$tmpdir/sums.after" || fail "the live volume changed across $1"
	mount -o ro,noload "$sdev" "$smnt"
	sums "$smnt" | cmp - "$tmpdir/sums.before" || fail "the snapshot changed across $1"
	umount "$smnt"
	umount "$mnt"
}

start_vssd
start_cowd; cowd_ready 1
# CommitSnapshots is served at SCHED_FIFO: the provider connection's receive
# thread and its real-time worker, and no other thread of vss-cowd
assert_eq "vss-cowd threads at SCHED_FIFO" 2 "$(fifo_threads "$cowd_pid")"

# (a) add a volume, ext4, files with known checksums
dev=$(adm add volume --name=data --backing="$img" --size=128M --create)
case $dev in /dev/loop*) ;; *) fail "add volume printed '$dev', not a loop device" ;; esac
# --create allocates the image's space (--sparse below does not)
[ $(( $(stat -c '%b * %B' "$img") )) -ge $((128 * 1024 * 1024)) ] ||
	fail "--create left the image sparse: $(stat -c '%b * %B' "$img") bytes allocated"
[ "$(live_dev)" = "$dev" ] || fail "list volumes does not show $dev"
losetup -n -O DIO -l "$dev" | grep -q 1 || fail "$dev does not use direct I/O"
mkfs.ext4 -q -F "$dev"
mount_points() { adm list volumes --json | jq -r '.[] | select(.name == "data") | .mount_points | join(" ")'; }
[ -z "$(mount_points)" ] || fail "list volumes shows mount points of an unmounted volume: $(mount_points)"
mount "$dev" "$mnt"
mkdir -p "$tmpdir/bind"
mount --bind "$mnt" "$tmpdir/bind"
assert_eq "list volumes: mount points" "$mnt $tmpdir/bind" "$(mount_points)"
adm list volumes | grep -qx "   Mounted at: $mnt" || fail "list volumes: $(adm list volumes)"
umount "$tmpdir/bind"
echo "first version" > "$mnt/f1"
head -c 300000 /dev/urandom > "$mnt/f2"
head -c 20000000 /dev/urandom > "$mnt/big"
sync
sums "$mnt" > "$tmpdir/sums.before"

start_ready w1 test-writer --name w1 --level front --log "$tmpdir/writer.log"
test-requester init context=9 state=volume gather start "volume=$dev" prepare do query > "$tmpdir/req.out" ||
	fail "snapshot failed: $(cat "$tmpdir/req.out")"
grep -q '^DoSnapshotSet S_OK' "$tmpdir/req.out" || fail "no DoSnapshotSet S_OK"
grep -q 'Freeze' "$tmpdir/writer.log" || fail "the writer was not frozen"
sdev=$(snap_dev)
case $sdev in /dev/loop*) ;; *) fail "no snapshot device in list volumes" ;; esac
grep -q "device=$sdev" "$tmpdir/req.out" || fail "vssd's Query does not report $sdev"
losetup -n -O RO -l "$sdev" | grep -q 1 || fail "$sdev is not read-only"

# change the live volume
echo "second version" > "$mnt/f1"
head -c 300000 /dev/urandom > "$mnt/f2"
dd if=/dev/urandom of="$mnt/big" bs=1M count=5 seek=3 conv=notrunc status=none
sync
sums "$mnt" > "$tmpdir/sums.after"
cmp -s "$tmpdir/sums.before" "$tmpdir/sums.after" && fail "the live files did not change"

mount -o ro,noload "$sdev" "$smnt"
sums "$smnt" > "$tmpdir/sums.snap"
cmp "$tmpdir/sums.before" "$tmpdir/sums.snap" || fail "the snapshot does not hold the data as of the snapshot"
sums "$mnt" | cmp - "$tmpdir/sums.after" || fail "the live volume lost its new data"
umount "$smnt"

# (d) bad requests: clear errors, the daemon keeps serving
adm remove volume --name=nosuch 2> "$tmpdir/err" && fail "removing an unknown volume worked"
grep -q 'VSS_E_OBJECT_NOT_FOUND.*nosuch' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
adm add volume --name=bad --backing="$tmpdir/bad.img" --size=1000 --create 2> "$tmpdir/err" &&
	fail "a bad size was accepted"
grep -q 'E_INVALIDARG.*size' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
[ ! -e "$tmpdir/bad.img" ] || fail "a refused add left a file behind"
adm add volume --name=bad --backing="$tmpdir/bad.img" --size=12Q --create 2> /dev/null &&
	fail "a malformed size was accepted"
adm add volume --name=data --backing="$tmpdir/other.img" --size=64M --create 2> "$tmpdir/err" &&
	fail "a duplicate name was accepted"
grep -q 'VSS_E_OBJECT_ALREADY_EXISTS' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
adm add volume --name=inside --backing="$mnt/inner.img" --size=64M --create 2> "$tmpdir/err" &&
	fail "a backing on a served volume was accepted"
grep -q 'VSS_E_VOLUME_NOT_SUPPORTED' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
adm remove volume --name=data 2> "$tmpdir/err" && fail "a mounted volume was removed"
grep -q 'VSS_E_BAD_STATE' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
kill -0 "$cowd_pid" || fail "vss-cowd died"
echo x > "$mnt/still-writable" && sync

# an idle control connection (connected, sending nothing: vss-cowd gives
# it 5 s) holds nobody up: another request is served meanwhile (it was
# served on the main thread, after the idle one's 5 s)
mkfifo "$tmpdir/cin"
VSS_SOCKET=$state/cowd.sock test-hostile-frames --hold 1 < "$tmpdir/cin" > "$tmpdir/chold" &
ch=$!
cleanup_fn "kill $ch 2>/dev/null; true"
exec 8> "$tmpdir/cin"
wait_until 10 grep -q '^holding' "$tmpdir/chold"
adm list volumes > /dev/null || fail "list volumes beside an idle control connection"
grep -q 'control connection: bad or no request' "$tmpdir/cowd.log" &&
	fail "list volumes was served only after the idle connection's 5 s"
exec 8>&-
wait "$ch" || fail "the idle connection's holder failed: $(cat "$tmpdir/chold")"

# (b) clean restart with the filesystem unmounted: vss-cowadm stop refuses
# while the volume is mounted (naming it), and nothing changes; then stops
adm stop 2> "$tmpdir/err" && fail "stop worked while $dev was mounted"
grep -q "VSS_E_VOLUME_IN_USE.*$dev" "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
sleep 0.3
kill -0 "$cowd_pid" || fail "vss-cowd stopped after refusing to"
echo still > "$mnt/after-refused-stop" && sync
umount "$mnt"
adm stop --bogus 2> /dev/null && fail "stop took a bad option"
adm stop || fail "stop with nothing mounted was refused"
wait "$cowd_pid" || fail "vss-cowd exited with status $? after stop"
cowd_pid=
cowd_no_leftovers
start_cowd; cowd_ready 2
same_contents "a restart"

# (c) kill -9 with nothing mounted, restart
kill -9 "$cowd_pid"
wait "$cowd_pid" 2>/dev/null || true
cowd_pid=
# a record whose snapshot the engine no longer has is dropped on start
fake="{00000000-0000-4000-8000-00000000000f}"
printf 'volume=data\nsnapshot=%s\nset=%s\ncount=1\nattributes=0\ncreated=0\n' "$fake" "$fake" \
	> "$state/snapshots/$fake.snap"
start_cowd; cowd_ready 3
same_contents "kill -9"
[ ! -e "$state/snapshots/$fake.snap" ] || fail "an orphan snapshot record was kept"

# vssd restarts: vss-cowd registers again and answers for its volume (and
# a mount point of the live device resolves to it)
stop_vssd
start_vssd
cowd_ready 4
test-requester init "supported=$dev" > /dev/null || fail "the live device is not supported after a vssd restart"
mount "$dev" "$mnt"
test-requester init "supported=$mnt" > /dev/null || fail "the mount point of the live device is not supported"
umount "$mnt"
test-requester init expect=S_FALSE "supported=$img" > /dev/null ||
	fail "the backing image itself is claimed as supported"

# delete the snapshot through vssd: its device goes away
test-requester init context=ffffffff delete-all > "$tmpdir/del.out" ||
	fail "delete failed: $(cat "$tmpdir/del.out")"
[ -z "$(snap_dev)" ] || fail "the snapshot is still listed after DeleteSnapshots"
losetup -n -O BACK-FILE -l | grep -q "$export_dir/data@" && fail "the snapshot's loop device stayed"

# xfs: a second volume, a snapshot without writers, the snapshot mounted
# with nouuid,norecovery; then a forced removal with the snapshot present
if mkfs.xfs -V >/dev/null 2>&1; then
	xdev=$(adm add volume --name=x --backing="$tmpdir/x.img" --size=320M --create --chunk=16K)
	mkfs.xfs -q -f "$xdev"
	mount "$xdev" "$mnt"
	head -c 3000000 /dev/urandom > "$mnt/data"
	sync
	xsum=$(md5sum < "$mnt/data")
	test-requester init context=19 start "volume=$xdev" do query > "$tmpdir/xreq.out" ||
		fail "xfs snapshot failed: $(cat "$tmpdir/xreq.out")"
	xsnap=$(awk '/^snapshot / { sub("device=", "", $3); print $3 }' "$tmpdir/xreq.out" | tail -n 1)
	[ -b "$xsnap" ] || fail "no device for the xfs snapshot: $(cat "$tmpdir/xreq.out")"
	head -c 3000000 /dev/urandom > "$mnt/data"
	sync
	mount -o ro,nouuid,norecovery "$xsnap" "$smnt"
	[ "$(md5sum < "$smnt/data")" = "$xsum" ] || fail "the xfs snapshot does not hold the old data"
	[ "$(md5sum < "$mnt/data")" != "$xsum" ] || fail "the live xfs file did not change"
	umount "$smnt"
	umount "$mnt"
	adm remove volume --name=x 2> "$tmpdir/err" && fail "a volume with snapshots was removed"
	grep -q 'has snapshots' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
	adm remove volume --name=x --force
	losetup -n -O BACK-FILE -l | grep -q "$export_dir/x" && fail "x's loop devices stayed"
	[ ! -e "$state/x.diff" ] || fail "x's diff area stayed"
fi

# a full diff area: the oldest snapshot is deleted and vssd is told; the
# volume keeps working
odev=$(adm add volume --name=small --backing="$tmpdir/small.img" --size=64M --create \
	--maxsize=4M)
dd if=/dev/urandom of="$odev" bs=1M count=32 oflag=direct status=none
test-requester init context=19 start "volume=$odev" do > /dev/null || fail "snapshot of small failed"
dd if=/dev/urandom of="$odev" bs=1M count=32 oflag=direct status=none ||
	fail "a live write failed while the diff area was full"
wait_until 10 grep -q "lost snapshot" "$tmpdir/vssd.log"
grep -q 'diff area is full' "$tmpdir/cowd.log" || fail "the overflow was not logged"
adm list volumes --json > "$tmpdir/list.json"
awk '/"name":"small"/ { s = 1 } s && /"snapshots"/ { getline; print; exit }' "$tmpdir/list.json" |
	grep -q '^ *]' || fail "the lost snapshot is still listed"
adm remove volume --name=small
# the same name again at once: the kernel must not keep the old file's entry
odev=$(adm add volume --name=small --backing="$tmpdir/small.img") ||
	fail "a volume added again right after its removal was refused"
[ -b "$odev" ] || fail "no device for the re-added volume"
adm remove volume --name=small

# --create --sparse allocates nothing; an image that does not fit is a
# clear error and leaves no file and no volume; --sparse alone is a
# usage error
adm add volume --name=sp --backing="$tmpdir/sp.img" --size=64M --create --sparse >/dev/null
[ $(( $(stat -c '%b * %B' "$tmpdir/sp.img") )) -lt $((1024 * 1024)) ] ||
	fail "--sparse allocated $(stat -c '%b * %B' "$tmpdir/sp.img") bytes"
adm remove volume --name=sp
mkdir "$tmpdir/smallfs"
mount -t tmpfs -o size=16m tmpfs "$tmpdir/smallfs"
cleanup_fn "umount '$tmpdir/smallfs' 2>/dev/null; true"
if adm add volume --name=big --backing="$tmpdir/smallfs/big.img" --size=64M --create \
	2>"$tmpdir/enospc.err"; then
	fail "a 64 MiB image was made on a 16 MiB filesystem"
fi
grep -q 'cannot allocate.*No space left.*--sparse' "$tmpdir/enospc.err" ||
	fail "no clear error for an image that does not fit: $(cat "$tmpdir/enospc.err")"
[ ! -e "$tmpdir/smallfs/big.img" ] || fail "the failed --create left its image"
! adm list volumes | grep -q big || fail "the failed --create registered a volume"
st=0; adm add volume --name=sp2 --backing="$tmpdir/sp2.img" --sparse 2>/dev/null || st=$?
[ "$st" = 2 ] || fail "--sparse without --create: exit status $st, not 2"
[ ! -e "$tmpdir/sp2.img" ] || fail "--sparse without --create made a file"
umount "$tmpdir/smallfs"

# stop --detach while the volume is mounted: it stops anyway, the mounted
# filesystem gets I/O errors (but unmounts), nothing of vss-cowd stays
mount "$dev" "$mnt"
adm stop --detach || fail "stop --detach was refused"
wait "$cowd_pid" || fail "vss-cowd exited with status $? after stop --detach"
cowd_pid=
timeout 20 umount "$mnt" || timeout 20 umount -l "$mnt" || fail "cannot unmount after stop --detach"
cowd_no_leftovers
grep -q 'stopping while in use' "$tmpdir/cowd.log" || fail "the forced stop did not log what it detached"
start_cowd; cowd_ready 5

# remove the volume; the daemon stops cleanly
adm remove volume --name=data
[ -z "$(live_dev)" ] || fail "the volume is still listed"
stop_cowd
cowd_no_leftovers

# once a stop is accepted, nothing changes: a request other than the lists
# that arrives before vss-cowd is gone (VSS_COWD_TEST_STOP_DELAY_MS keeps
# its socket served meanwhile) is refused, and nothing is added
VSS_COWD_TEST_STOP_DELAY_MS=5000
export VSS_COWD_TEST_STOP_DELAY_MS
start_cowd; cowd_ready 6
unset VSS_COWD_TEST_STOP_DELAY_MS
adm stop || fail "stop with nothing mounted was refused"
adm add volume --name=late --backing="$tmpdir/late.img" --size=16M --create 2> "$tmpdir/err" &&
	fail "a volume was added after the stop"
grep -q 'VSS_E_BAD_STATE.*vss-cowd is stopping' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"
adm list volumes > /dev/null || fail "list volumes refused while stopping"
grep -q 'stopping: test pause' "$tmpdir/cowd.log" ||
	fail "the requests did not come while vss-cowd was stopping"
wait "$cowd_pid" || fail "vss-cowd exited with status $? after stop"
cowd_pid=
[ ! -e "$tmpdir/late.img" ] && [ ! -e "$state/volumes/late.vol" ] || fail "the refused add left a file"
cowd_no_leftovers
vssd_alive
