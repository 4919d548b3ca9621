#!/bin/sh
# vss-cowd snapshot management end to end (root), on ext4 and xfs volumes:
# a persistent snapshot taken through vssd is exposed at a directory (vshadow
# -el and vssadmin expose shadow) and reads as at snapshot time while the
# live volume has changed; an exposed snapshot is not deleted (unforced, or
# forced while its mount is busy) and is after unexpose; a revert is refused
# while the live volume is mounted and for a non-persistent snapshot, works
# once unmounted (and forced while mounted), reports its progress, and leaves
# the live volume as it was at the snapshot; an exposure comes back after a
# vss-cowd restart; an interrupted revert is resumed; an expose or unexpose
# whose record cannot be written fails and changes nothing; nothing is left
# behind.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires jq --version

mnt=$tmpdir/mnt
emnt=$tmpdir/exposed
mkdir -p "$mnt" "$emnt"
cleanup_fn "umount '$emnt' 2>/dev/null; umount '$mnt' 2>/dev/null; true"

sums() { (cd "$1" && md5sum f1 f2 big); }
props() { test-requester init context=ffffffff props; }
snap_id() { props | awk '$1 == "props" { print $2; exit }'; }
exposed_name() { props | awk '$1 == "props" { sub("^exposed=", "", $4); print $4; exit }'; }
mounted() { grep -q " $1 " /proc/mounts; }

start_vssd
start_cowd; cowd_ready 1

# one_fs TYPE: the whole story on a fresh volume with a TYPE file system
one_fs() {
	fs=$1
	case $fs in
	ext4) mkfs="mkfs.ext4 -q -F" ;;
	xfs) mkfs="mkfs.xfs -q -f" ;;
	esac
	dev=$(adm add volume --name="v$fs" --backing="$tmpdir/$fs.img" --size=320M --create)
	$mkfs "$dev"
	mount "$dev" "$mnt"
	echo "first version" > "$mnt/f1"
	head -c 300000 /dev/urandom > "$mnt/f2"
	head -c 20000000 /dev/urandom > "$mnt/big"
	sync
	sums "$mnt" > "$tmpdir/sums.before"

	# a non-persistent snapshot: neither exposed nor reverted to
	test-requester init context=10 start "volume=$dev" do expect=VSS_E_BAD_STATE expose \
		expect=VSS_E_UNSUPPORTED_CONTEXT revert delete-set > "$tmpdir/np.out" 2>&1 ||
		fail "$fs: non-persistent snapshot checks: $(cat "$tmpdir/np.out")"

	# the persistent one (NAS_ROLLBACK), taken with the volume mounted
	test-requester init context=19 start "volume=$dev" do > /dev/null ||
		fail "$fs: snapshot failed"
	id=$(snap_id)
	[ -n "$id" ] || fail "$fs: no snapshot"
	# the live volume moves on
	echo "second version" > "$mnt/f1"
	head -c 300000 /dev/urandom > "$mnt/f2"
	dd if=/dev/urandom of="$mnt/big" bs=1M count=5 seek=3 conv=notrunc status=none
	sync
	sums "$mnt" > "$tmpdir/sums.after"
	cmp -s "$tmpdir/sums.before" "$tmpdir/sums.after" && fail "$fs: the live files did not change"

	# bad exposures: a directory that is not empty, a file, no such path
	vssadmin expose shadow "/shadow=$id" "/mount=$tmpdir" 2> "$tmpdir/bad" &&
		fail "$fs: exposed over a directory that is not empty"
	grep -q 'E_INVALIDARG.*not an empty directory' "$tmpdir/bad" ||
		fail "$fs: unclear error: $(cat "$tmpdir/bad")"
	vssadmin expose shadow "/shadow=$id" "/mount=$tmpdir/sums.before" 2> /dev/null &&
		fail "$fs: exposed over a file"
	vssadmin expose shadow "/shadow=$id" "/mount=$tmpdir/nosuch" 2> /dev/null &&
		fail "$fs: exposed at a missing directory"
	assert_eq "$fs: not exposed after refusals" "-" "$(exposed_name)"

	# (1) vshadow -el: mounted read-only at the directory, as at the snapshot
	vshadow "-el=$id,$emnt" > "$tmpdir/el.out" || fail "$fs: vshadow -el: $(cat "$tmpdir/el.out")"
	mounted "$emnt" || fail "$fs: nothing mounted at $emnt"
	grep " $emnt " /proc/mounts | grep -q ' ro[ ,]' || fail "$fs: the exposure is not read-only"
	sums "$emnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the exposed snapshot is not as at the snapshot"
	sums "$mnt" | cmp - "$tmpdir/sums.after" || fail "$fs: the live volume lost its new data"
	assert_eq "$fs: exposed name in vssd's Query" "$emnt" "$(exposed_name)"
	assert_eq "$fs: exposed in list volumes" "$emnt" \
		"$(adm list volumes --json | jq -r --arg id "$id" '.[].snapshots[] | select(.id == $id) | .exposed')"
	vssadmin list shadows "/shadow=$id" | grep -q 'Exposed_Locally' ||
		fail "$fs: list shadows does not show Exposed Locally"
	touch "$emnt/new" 2>/dev/null && fail "$fs: the exposure is writable"

	# (2) delete refused while exposed: unforced (vssd), forced with the
	# mount busy (vss-cowd); the snapshot stays readable
	test-requester init context=ffffffff expect=VSS_E_VOLUME_IN_USE delete-noforce > /dev/null ||
		fail "$fs: an unforced delete of an exposed snapshot"
	(cd "$emnt" && exec sleep 60) &
	holder=$!
	cleanup_fn "kill $holder 2>/dev/null; true"
	vshadow "-ds=$id" > "$tmpdir/ds.out" 2>&1 && fail "$fs: a forced delete of a busy exposure worked"
	grep -q 'VSS_E_VOLUME_IN_USE' "$tmpdir/ds.out" || fail "$fs: unclear error: $(cat "$tmpdir/ds.out")"
	kill "$holder"; wait "$holder" 2>/dev/null || true
	mounted "$emnt" || fail "$fs: the refused delete unmounted the exposure"
	sums "$emnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the snapshot changed after a refused delete"

	# (3) vssadmin unexpose, then expose again through vssadmin
	vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "$fs: vssadmin unexpose shadow"
	mounted "$emnt" && fail "$fs: still mounted after unexpose"
	assert_eq "$fs: exposed name after unexpose" "-" "$(exposed_name)"
	vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > /dev/null || fail "$fs: vssadmin expose shadow"
	sums "$emnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the vssadmin exposure is not as at the snapshot"

	# (4) an exposure survives a vss-cowd restart (stop unmounts it, start
	# mounts it again; vssd's catalog says so all along)
	# another loop device is taken meanwhile, so that the numbers move:
	# vssd's Query must show the snapshot's device as it is now
	umount "$mnt"
	olddev=$(props | awk '$1 == "props" { sub("^device=", "", $3); print $3; exit }')
	stop_cowd
	mounted "$emnt" && fail "$fs: vss-cowd stopped and left the exposure mounted"
	truncate -s 1M "$tmpdir/blocker.img"
	loop_attach blocker "$tmpdir/blocker.img"
	ncowd=$((ncowd + 1))
	start_cowd; cowd_ready "$ncowd"
	wait_until 10 mounted "$emnt"
	sums "$emnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the exposure after a restart"
	losetup -d "$blocker"
	sdev=$(adm list volumes --json | awk -F'"' '/"snapshots"/ { s = 1 } s && /"device"/ { print $4; exit }')
	[ -b "$sdev" ] || fail "$fs: no snapshot device after the restart"
	wait_until 10 sh -c "test-requester init context=ffffffff props | grep -q ' device=$sdev '"
	[ "$sdev" != "$olddev" ] && echo "$fs: the snapshot's device moved from $olddev to $sdev"
	assert_eq "$fs: exposed name after a restart" "$emnt" "$(exposed_name)"
	dev=$(live_dev "v$fs")
	vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "$fs: unexpose after restart"

	# (5) revert: refused while the live volume is mounted, works once it
	# is not; the progress is reported; the live volume is as at the snapshot
	mount "$dev" "$mnt"
	vssadmin revert shadow "/shadow=$id" /quiet > "$tmpdir/rv.out" 2>&1 &&
		fail "$fs: a revert of a mounted volume worked"
	grep -q 'VSS_E_VOLUME_IN_USE' "$tmpdir/rv.out" || fail "$fs: unclear error: $(cat "$tmpdir/rv.out")"
	sums "$mnt" | cmp - "$tmpdir/sums.after" || fail "$fs: a refused revert changed the volume"
	umount "$mnt"
	test-requester init context=ffffffff revert "revert-status=$dev" > "$tmpdir/rs.out" ||
		fail "$fs: revert: $(cat "$tmpdir/rs.out")"
	last=$(awk '$1 == "progress" { p = $2 } END { print p }' "$tmpdir/rs.out")
	case $last in
	0/*|*/0|"") fail "$fs: no progress reported: $(cat "$tmpdir/rs.out")" ;;
	esac
	[ "${last%/*}" = "${last#*/}" ] || fail "$fs: the revert ended at $last"
	vssadmin query reverts "/for=$dev" > "$tmpdir/qr.out"
	grep -q 'Status: Completed' "$tmpdir/qr.out" || fail "$fs: query reverts: $(cat "$tmpdir/qr.out")"
	grep -q 'Progress: 100%' "$tmpdir/qr.out" || fail "$fs: query reverts: $(cat "$tmpdir/qr.out")"
	mount "$dev" "$mnt"
	sums "$mnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the live volume after the revert"

	# (6) a forced revert (vshadow -revert) of the mounted volume: the
	# mount goes, the revert runs to the end
	echo "third version" > "$mnt/f1"
	sync
	vshadow "-revert=$id" > "$tmpdir/vr.out" || fail "$fs: vshadow -revert: $(cat "$tmpdir/vr.out")"
	grep -q 'was reverted' "$tmpdir/vr.out" || fail "$fs: vshadow -revert output: $(cat "$tmpdir/vr.out")"
	mounted "$mnt" && fail "$fs: the forced revert left the volume mounted"
	mount "$dev" "$mnt"
	sums "$mnt" | cmp - "$tmpdir/sums.before" || fail "$fs: the live volume after the forced revert"
	umount "$mnt"

	# the snapshot goes, then the volume
	test-requester init context=ffffffff delete-noforce | grep -q '^deleted 1' ||
		fail "$fs: delete after unexpose"
	adm remove volume --name="v$fs"
}

ncowd=1
one_fs ext4
if mkfs.xfs -V > /dev/null 2>&1; then
	one_fs xfs
else
	echo "$0: no mkfs.xfs: the xfs part is skipped"
fi

# An interrupted revert is resumed when vss-cowd starts again: the record
# is written before the revert starts, and the revert is idempotent.
dev=$(adm add volume --name=r --backing="$tmpdir/r.img" --size=256M --create --chunk=16K)
dd if=/dev/urandom of="$dev" bs=1M count=64 oflag=direct status=none
sum0=$(md5sum < "$dev")
test-requester init context=19 start "volume=$dev" do > /dev/null || fail "snapshot of r"
dd if=/dev/urandom of="$dev" bs=1M count=64 oflag=direct status=none
[ "$(md5sum < "$dev")" != "$sum0" ] || fail "r did not change"
id=$(snap_id)
test-requester init context=ffffffff revert > /dev/null || fail "revert of r"
# kill -9 at once: the revert either was cut short (resumed below) or done
kill -9 "$cowd_pid"
wait "$cowd_pid" 2>/dev/null || true
cowd_pid=
interrupted=false
[ -e "$state/r.revert" ] && interrupted=true
ncowd=$((ncowd + 1))
start_cowd; cowd_ready "$ncowd"
if $interrupted; then
	grep -q 'revert to snapshot .* was interrupted: resuming it' "$tmpdir/cowd.log" ||
		fail "the interrupted revert was not resumed"
else
	echo "$0: the revert had finished before the kill: resume not exercised"
fi
dev=$(live_dev r)
test-requester init context=ffffffff expect=any "revert-status=$dev" > /dev/null
wait_until 60 sh -c "! test -e '$state/r.revert'"
[ "$(md5sum < "$dev")" = "$sum0" ] || fail "r does not read as the snapshot after the resumed revert"
# no file system on r: a mount is refused clearly and leaves nothing; the
# device alone can be exposed; a forced volume removal takes it along
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" 2> "$tmpdir/nofs" &&
	fail "a snapshot without a file system was mounted"
grep -q 'not an ext4, xfs or btrfs' "$tmpdir/nofs" || fail "unclear error: $(cat "$tmpdir/nofs")"
mounted "$emnt" && fail "a refused exposure left a mount"
vssadmin expose shadow "/shadow=$id" > "$tmpdir/exd" || fail "expose the device of r"
sdev=$(adm list volumes --json | awk -F'"' '/"snapshots"/ { s = 1 } s && /"device"/ { print $4; exit }')
grep -q "exposed as $sdev\$" "$tmpdir/exd" || fail "device exposure: $(cat "$tmpdir/exd")"
test-requester init context=ffffffff expect=VSS_E_VOLUME_IN_USE delete-noforce > /dev/null ||
	fail "an unforced delete of r's exposed snapshot"
adm remove volume --name=r --force

# An exposure or unexposure whose record cannot be written fails, clearly,
# and changes nothing (the state dir is made read-only by a read-only bind
# mount over it): after a restart the snapshot is exposed as it was said.
dev=$(adm add volume --name=e --backing="$tmpdir/e.img" --size=128M --create)
mkfs.ext4 -q -F "$dev"
mount "$dev" "$mnt"
echo "e at the snapshot" > "$mnt/f"
umount "$mnt"
props | awk '$1 == "props" { print $2 }' > "$tmpdir/ids.before"
test-requester init context=19 start "volume=$dev" do > /dev/null || fail "snapshot of e"
id=$(props | awk '$1 == "props" { print $2 }' | grep -vxF -f "$tmpdir/ids.before")
[ -n "$id" ] || fail "no snapshot of e"
exposed_name() { props | awk -v i="$id" '$2 == i { sub("^exposed=", "", $4); print $4 }'; }
state_ro() {
	mount --bind "$state" "$state" && mount -o remount,bind,ro "$state" ||
		fail "cannot make $state read-only"
}
state_rw() { umount "$state"; }
cleanup_fn "grep -q ' $state ' /proc/mounts && umount '$state'; true"
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > /dev/null || fail "expose e's snapshot"
state_ro
vssadmin unexpose shadow "/shadow=$id" > "$tmpdir/ux.out" 2>&1 &&
	fail "unexposed with a read-only state dir: $(cat "$tmpdir/ux.out")"
grep -q 'VSS_E_PROVIDER_VETO.*cannot record.*Read-only file system' "$tmpdir/ux.out" ||
	fail "unclear unexpose error: $(cat "$tmpdir/ux.out")"
mounted "$emnt" || fail "a failed unexpose unmounted the snapshot"
assert_eq "exposed name after a failed unexpose" "$emnt" "$(exposed_name)"
state_rw
vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "unexpose e's snapshot"
state_ro
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > "$tmpdir/ex.out" 2>&1 &&
	fail "exposed with a read-only state dir: $(cat "$tmpdir/ex.out")"
grep -q 'VSS_E_PROVIDER_VETO.*cannot record.*Read-only file system' "$tmpdir/ex.out" ||
	fail "unclear expose error: $(cat "$tmpdir/ex.out")"
mounted "$emnt" && fail "a failed expose left the snapshot mounted"
assert_eq "exposed name after a failed expose" "-" "$(exposed_name)"
vssadmin expose shadow "/shadow=$id" > /dev/null 2>&1 && fail "exposed the device with a read-only state dir"
assert_eq "exposed name after a failed device expose" "-" "$(exposed_name)"
state_rw
stop_cowd
ncowd=$((ncowd + 1))
start_cowd; cowd_ready "$ncowd"
mounted "$emnt" && fail "the failed expose came back after a restart"
assert_eq "exposed name after a restart" "-" "$(exposed_name)"

# After a kill -9 of vss-cowd, the exposure mount of the dead instance (its
# loop device over the old FUSE mount, reads give EIO) is replaced at start
# by a mount of the new device, and the old loop device goes.
kill9_restart() {
	kill -9 "$cowd_pid"
	wait "$cowd_pid" 2>/dev/null || true
	cowd_pid=
	ncowd=$((ncowd + 1))
	start_cowd; cowd_ready "$ncowd"
	wait_until 10 mounted "$emnt"
}
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > /dev/null || fail "expose e's snapshot again"
olddev=$(awk -v m="$emnt" '$2 == m { print $1 }' /proc/mounts)
kill9_restart
newdev=$(awk -v m="$emnt" '$2 == m { print $1 }' /proc/mounts)
[ "$newdev" != "$olddev" ] || fail "the dead instance's $olddev is still mounted at $emnt"
[ "$(echo "$newdev" | wc -l)" = 1 ] || fail "more than one mount at $emnt: $newdev"
assert_eq "e's snapshot after a kill -9" "e at the snapshot" "$(cat "$emnt/f")"
assert_eq "exposed name after a kill -9" "$emnt" "$(exposed_name)"
nloops=$(losetup -n -O BACK-FILE -l | grep -c "/e@$id\$" || true)
[ "$nloops" = 1 ] || fail "$nloops loop devices over e's snapshot: $(losetup -l)"
grep -q "removing the stale exposure at $emnt ($olddev, " "$tmpdir/cowd.log" ||
	fail "the stale exposure's removal was not logged"
vssadmin unexpose shadow "/shadow=$id" > /dev/null || fail "unexpose after a kill -9"
mounted "$emnt" && fail "still mounted after unexpose"
# the same with the stale mount busy: it is detached lazily (a warning),
# and its loop device goes once its last user has
vssadmin expose shadow "/shadow=$id" "/mount=$emnt" > /dev/null || fail "expose e's snapshot a third time"
(cd "$emnt" && exec sleep 60) &
holder=$!
cleanup_fn "kill $holder 2>/dev/null; true"
kill9_restart
grep -q "$emnt is busy: detaching it lazily" "$tmpdir/cowd.log" || fail "no warning of the lazy detach"
assert_eq "e's snapshot after a kill -9 (busy)" "e at the snapshot" "$(cat "$emnt/f")"
[ "$(awk -v m="$emnt" '$2 == m' /proc/mounts | wc -l)" = 1 ] || fail "more than one mount at $emnt"
kill "$holder"; wait "$holder" 2>/dev/null || true
wait_until 10 sh -c "[ \$(losetup -n -O BACK-FILE -l | grep -c '/e@$id\$') = 1 ]" ||
	fail "the dead instance's loop device stayed: $(losetup -l)"
adm remove volume --name=e --force

grep -E 'exposed|unexpose|revert|unmounted|resum' "$tmpdir/cowd.log" | sed 's/^vss-cowd\[[0-9]*\] [0-9.]* //'
stop_cowd
cowd_no_leftovers
mounted "$emnt" && fail "the exposure was left mounted"
mounted "$mnt" && fail "the live volume was left mounted"
vssd_alive
