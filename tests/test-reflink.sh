#!/bin/sh
# vss-reflinkd on real filesystems (root): an ext4 volume on a loop device
# whose image lives on xfs with reflink.  A persistent snapshot through vssd
# with a writer holds the files as they were at the freeze (checksums, and
# a file appended to without pause during the snapshot is a clean prefix of
# the live one) while the live volume moves on; the snapshot survives a
# restart of the provider; deleting it removes the clone; leftovers of an
# unfinished set are removed at start; an image on ext4 is refused.
. "${top_builddir:-.}/tests/functions.sh"
set -e

# --help and the man page name the same options (any user)
man="$top_srcdir/man/vss-reflinkd.8"
opts() { grep -Eo -- '(^| )--?[A-Za-z][a-z]*' | tr -d ' ' | sort -u | tr '\n' ' '; }
help_opts=$(vss-reflinkd --help | grep '^  -' | opts)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH EXIT/p' "$man" | grep '^\.BR' | sed 's/\\//g' | opts)
assert_eq "options of --help vs vss-reflinkd.8" "$help_opts" "$man_opts"
vss-reflinkd --version | grep -q '^vss-reflinkd [0-9]' || fail "--version"

requires_root
requires losetup --version
requires mkfs.ext4 -V
requires mkfs.xfs -V
requires vss-reflinkd --version

# host: xfs with reflink on a loop device (mkfs.xfs 6.x defaults to
# reflink=1; asked for explicitly all the same)
truncate -s 1G "$tmpdir/host.img"
loop_attach host_dev "$tmpdir/host.img"
mkfs.xfs -q -f -m reflink=1 "$host_dev"
host=$tmpdir/host
mkdir -p "$host"
mount "$host_dev" "$host"
cleanup_fn "umount $host"
xfs_info "$host" | grep -q 'reflink=1' || fail "xfs was made without reflink"
store=$host/snapshots

# mkvol NAME SIZE [losetup options]: an image NAME.img of SIZE on the host,
# a loop device (${NAME}_dev) with ext4 mounted at $tmpdir/NAME (${NAME}_mnt)
mkvol() {
	local name=$1 size=$2 dev mnt=$tmpdir/$1
	shift 2
	truncate -s "$size" "$host/$name.img"
	loop_attach dev "$host/$name.img" "$@"
	mkfs.ext4 -q -F "$dev"
	mkdir -p "$mnt"
	mount "$dev" "$mnt"
	cleanup_fn "fsfreeze -u $mnt 2>/dev/null; mountpoint -q $mnt && umount $mnt"
	eval "${name}_dev=$dev ${name}_mnt=$mnt"
}

# the volume: a 256 MiB image on the host, a loop device, ext4, mounted
mkvol vol 256M
vol=$vol_dev live=$vol_mnt

for f in a b c; do
	dd if=/dev/urandom of="$live/$f" bs=1M count=4 status=none
done
mkdir "$live/dir"
seq 1 1000 > "$live/dir/numbers"
sync
(cd "$live" && md5sum a b c dir/numbers) > "$tmpdir/before.md5"

start_vssd
start_ready prov vss-reflinkd --foreground --store "$store" -v
start_ready w test-writer --name refl-writer --log "$tmpdir/events.log"

# a file appended to without pause across the snapshot
( i=0; while :; do i=$((i + 1)); echo "line $i" >> "$live/appended"; done ) &
appender=$!
cleanup_fn "kill $appender 2>/dev/null; wait $appender 2>/dev/null"
wait_until 10 test -s "$live/appended"

test-requester init context=9 state=volume gather start "volume=$vol" prepare do \
	status query complete > "$tmpdir/r1" || fail "the snapshot failed: $(cat "$tmpdir/r1")"
kill $appender
wait $appender 2>/dev/null || true
grep -q '^writer refl-writer VSS_WS_WAITING_FOR_BACKUP_COMPLETE S_OK' "$tmpdir/r1" ||
	fail "writer state: $(grep '^writer' "$tmpdir/r1")"
grep -q "^refl-writer Freeze" "$tmpdir/events.log" || fail "the writer was not frozen"
clone=$(awk -v v="$vol" '$1 == "snapshot" && $2 == v { sub(/^device=/, "", $3); print $3 }' \
	"$tmpdir/r1")
[ -n "$clone" ] || fail "no snapshot of $vol listed: $(cat "$tmpdir/r1")"
case $clone in "$store"/*.img) ;; *) fail "device object $clone is not in the store" ;; esac
[ -f "$clone" ] || fail "clone $clone missing"
assert_eq "clone mode" 400 "$(stat -c %a "$clone")"
ls "$store"/*.meta > /dev/null || fail "no metadata file in the store"
grep -q 'cloned .* in [0-9]* us' "$tmpdir/prov.err" || fail "the provider did not log the clone"

# the live volume moves on
dd if=/dev/urandom of="$live/a" bs=1M count=4 conv=notrunc status=none
rm "$live/b"
echo new > "$live/dir/numbers"
echo born-later > "$live/d"
sync

# the clone holds the old contents
snap=$tmpdir/snap
mkdir -p "$snap"
mount -o ro,loop,noload "$clone" "$snap"
cleanup_fn "mountpoint -q $snap && umount $snap"
(cd "$snap" && md5sum -c --quiet "$tmpdir/before.md5") || fail "the snapshot's files differ"
[ ! -e "$snap/d" ] || fail "a file created after the snapshot is in it"
! (cd "$live" && md5sum -c --quiet "$tmpdir/before.md5") > /dev/null 2>&1 ||
	fail "the live volume did not change"
n=$(wc -l < "$snap/appended")
[ "$n" -gt 0 ] || fail "the appended file is empty in the snapshot"
head -n "$n" "$live/appended" | cmp -s - "$snap/appended" ||
	fail "the appended file in the snapshot is not a prefix of the live one"
[ "$(tail -n 1 "$snap/appended")" = "line $n" ] ||
	fail "the appended file in the snapshot ends with a torn line"
[ "$(wc -l < "$live/appended")" -gt "$n" ] || fail "the live file did not grow"
umount "$snap"

# the snapshot survives a restart of the provider
kill "$prov_pid"
wait "$prov_pid" || fail "vss-reflinkd did not stop cleanly"
# leftovers an unfinished set would leave: an .img without .meta, a .meta.tmp
junk="{11111111-2222-4333-8444-555555555555}"
: > "$store/$junk.img"
: > "$store/$junk.meta.tmp"
: > "$store/keep-me"
# and a damaged metadata file: not listed, kept with its clone
bad="{99999999-2222-4333-8444-555555555555}"
echo garbage > "$store/$bad.meta"
: > "$store/$bad.img"
start_ready prov2 vss-reflinkd --foreground --store "$store"
[ ! -e "$store/$junk.img" ] && [ ! -e "$store/$junk.meta.tmp" ] ||
	fail "leftovers of an unfinished set were not removed"
[ -e "$store/keep-me" ] || fail "a foreign file in the store was removed"
[ -e "$store/$bad.meta" ] && [ -e "$store/$bad.img" ] ||
	fail "a snapshot with damaged metadata was removed"
grep -q "$bad.meta is malformed" "$tmpdir/prov2.err" || fail "damaged metadata not reported"
rm "$store/keep-me" "$store/$bad.meta" "$store/$bad.img"
test-requester init context=ffffffff query > "$tmpdir/q2"
grep -q "^snapshot $vol device=$clone\$" "$tmpdir/q2" ||
	fail "the snapshot is not listed after a restart: $(cat "$tmpdir/q2")"

# vssd restarts: the provider registers again and the snapshot is still
# listed (vssd's catalog and the provider's Query agree)
stop_vssd
start_vssd
wait_until 10 grep -q 'registered with vssd again' "$tmpdir/prov2.err"
test-requester init context=ffffffff query > "$tmpdir/q3"
grep -q "^snapshot $vol device=$clone\$" "$tmpdir/q3" ||
	fail "the snapshot is not listed after vssd restarted: $(cat "$tmpdir/q3")"

# a second snapshot, of the image named directly while it is attached:
# refused (its filesystem would not be frozen)
test-requester init context=9 state=volume gather start \
	expect=VSS_E_VOLUME_NOT_SUPPORTED "volume=$host/vol.img" > /dev/null ||
	fail "an attached image was accepted"

# an image on ext4 (the volume itself): not supported
dd if=/dev/zero of="$live/other.img" bs=1M count=8 status=none
test-requester init context=9 state=volume gather start \
	expect=VSS_E_VOLUME_NOT_SUPPORTED "volume=$live/other.img" > /dev/null ||
	fail "an image on ext4 was accepted"

# delete: the clone and its metadata are gone
test-requester init context=ffffffff delete-all > "$tmpdir/d1"
grep -q '^deleted 1$' "$tmpdir/d1" || fail "delete: $(cat "$tmpdir/d1")"
[ ! -e "$clone" ] || fail "the clone is still there after delete"
[ -z "$(ls "$store")" ] || fail "the store is not empty: $(ls "$store")"
test-requester init context=ffffffff query | grep -q '^snapshots 0$' ||
	fail "a snapshot is still listed"

# a two-volume set, the second loop device with direct I/O: both images
# are cloned in the one hold window and hold what was written before it
mkvol vol2 64M --direct-io=on
vol2=$vol2_dev live2=$vol2_mnt
echo one > "$live/set-marker"
echo two > "$live2/set-marker"
test-requester init context=9 state=volume gather start "volume=$vol" "volume=$vol2" \
	prepare do query complete > "$tmpdir/r2" ||
	fail "the two-volume set failed: $(cat "$tmpdir/r2")"
grep -q '^snapshots 2$' "$tmpdir/r2" || fail "two snapshots expected: $(cat "$tmpdir/r2")"
[ "$(grep -c 'cloned .* in [0-9]* us' "$tmpdir/prov2.err")" = 2 ] ||
	fail "two clones expected in the provider's log"
echo later > "$live/set-marker"
echo later > "$live2/set-marker"
for v in "$vol:one" "$vol2:two"; do
	c=$(awk -v v="${v%:*}" '$1 == "snapshot" && $2 == v { sub(/^device=/, "", $3); print $3 }' \
		"$tmpdir/r2")
	[ -f "$c" ] || fail "no clone listed for ${v%:*}"
	mount -o ro,loop,noload "$c" "$snap"
	got=$(cat "$snap/set-marker")
	umount "$snap"
	assert_eq "marker in the snapshot of ${v%:*}" "${v#*:}" "$got"
done
test-requester init context=ffffffff delete-all > "$tmpdir/d2"
grep -q '^deleted 2$' "$tmpdir/d2" || fail "the set was not deleted: $(cat "$tmpdir/d2")"
[ -z "$(ls "$store")" ] || fail "deleting the set left files: $(ls "$store")"
umount "$live2"

# a set that fails leaves nothing behind: with less room on the host than
# the image holds, EndPrepareSnapshots refuses (VSS_E_INSUFFICIENT_STORAGE)
free_kb=$(df -k --output=avail "$host" | tail -n 1)
fallocate -l "$(( (free_kb - 1024) * 1024 ))" "$host/filler"
test-requester init context=9 state=volume gather start "volume=$vol" prepare \
	expect=VSS_E_INSUFFICIENT_STORAGE do abort > /dev/null ||
	fail "a set without room did not fail with VSS_E_INSUFFICIENT_STORAGE"
grep -q 'not enough room' "$tmpdir/prov2.err" || fail "the provider did not say why"
[ -z "$(ls "$store")" ] || fail "a failed set left files: $(ls "$store")"
rm "$host/filler"

# the store must clone: a store on ext4 is refused at start
if vss-reflinkd --foreground --store "$live/store" 2> "$tmpdir/bad.err"; then
	fail "vss-reflinkd started with a store on ext4"
fi
grep -q 'cannot clone files' "$tmpdir/bad.err" || fail "unclear error: $(cat "$tmpdir/bad.err")"
vssd_alive
echo "test-reflink: ok"
