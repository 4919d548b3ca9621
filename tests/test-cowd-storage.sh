#!/bin/sh
# vss-cowd shadow storage (root): an association on a directory of another
# (loop, ext4) filesystem; refusals (missing path, the served volume
# itself, another served volume's mount, a snapshot's mount, a second
# association); list with used/allocated/maximum in text and JSON; a shrink
# under snapshots deletes only the oldest (the newer read back their
# checksums); UNBOUNDED and percent; all of it across a restart; vssadmin
# answers as vss-cowadm; delete refused while snapshots are stored;
# UNBOUNDED on a filesystem that fills up (the oldest snapshot goes); a
# block-device origin with a separate --diff file; a diff area moved while
# the volume is being written.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires fio --version

MiB=1048576
store=$tmpdir/store
bmnt=$tmpdir/bmnt
smnt=$tmpdir/smnt
mkdir -p "$store" "$bmnt" "$smnt"

# the storage filesystem: ext4 on a loop device of our own; its cleanup
# stops the daemon first (it holds diff areas open there)
cowd_gone() { if [ -n "$cowd_pid" ]; then kill "$cowd_pid" 2>/dev/null; wait "$cowd_pid" 2>/dev/null; cowd_pid=; fi; }
truncate -s 256M "$tmpdir/store.img"
loop_attach stdev "$tmpdir/store.img"
mkfs.ext4 -q -F "$stdev"
mount "$stdev" "$store"
cleanup_fn "cowd_gone; umount '$store' 2>/dev/null; true"
mkdir "$store/shadow"
cleanup_fn "umount '$smnt' 2>/dev/null; umount '$bmnt' 2>/dev/null; true"

va() { vssadmin "$@" --state-dir="$state"; }
# field VOLUME KEY: one value of list shadowstorage --json
field() {
	adm list shadowstorage --for="$1" --json |
		sed -n "s/^ *\"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}
refused() {	# refused WHAT PATTERN CMD...: fails unless CMD fails saying PATTERN
	what=$1; pat=$2; shift 2
	"$@" 2> "$tmpdir/err" && fail "$what was accepted"
	grep -q -- "$pat" "$tmpdir/err" || fail "$what: unclear error: $(cat "$tmpdir/err")"
}
# snap_list VOLUME: "ID DEVICE" of each snapshot of VOLUME
snap_list() {
	adm list volumes --json | awk -F'"' -v n="$1" '
		/"name"/ && !s { cur = $4 }
		/"snapshots"/ { s = 1 } s && /^ *\]/ { s = 0 }
		s && cur == n && /"id"/ { id = $4 }
		s && cur == n && /"device"/ { print id, $4 }'
}
snapshot() {	# snapshot DEV: a client-accessible snapshot of DEV through vssd
	test-requester init context=1d start "volume=$1" do > "$tmpdir/req.out" ||
		fail "snapshot of $1 failed: $(cat "$tmpdir/req.out")"
}
dev_sum() { md5sum < "$1" | cut -d' ' -f1; }
sdev_of() { snap_list a | awk -v id="$1" '$1 == id { print $2 }'; }

start_vssd
start_cowd; cowd_ready 1

deva=$(adm add volume --name=a --backing="$tmpdir/a.img" --size=64M --create)
devb=$(adm add volume --name=b --backing="$tmpdir/b.img" --size=64M --create)

# the default: the state dir, the volume's size, no association
[ "$(field a on)" = "$(realpath "$state")" ] || fail "a's default storage is $(field a on)"
[ "$(field a explicit)" = false ] || fail "a's default storage is explicit"
[ "$(field a maximum)" = $((64 * MiB)) ] || fail "a's default maximum is $(field a maximum)"

# refusals change nothing
refused "a missing storage dir" "No such file" adm add shadowstorage --for=a --on="$tmpdir/nowhere"
refused "a file as storage" "not a directory" adm add shadowstorage --for=a --on="$tmpdir/a.img"
refused "an unknown volume" "no volume" adm add shadowstorage --for=zz --on="$store/shadow"
mkfs.ext4 -q -F "$devb"
mount "$devb" "$bmnt"
mkdir "$bmnt/shadow"
refused "storage on the served volume itself" "serves" \
	adm add shadowstorage --for=b --on="$bmnt/shadow"
refused "storage on another served volume" "serves" \
	adm add shadowstorage --for=a --on="$bmnt/shadow"
snapshot "$devb"
sdevb=$(snap_list b | awk '{ print $2; exit }')
[ -b "$sdevb" ] || fail "no snapshot device for b"
mount -o ro,noload "$sdevb" "$smnt"
refused "storage on a snapshot's mount" "serves" adm add shadowstorage --for=a --on="$smnt/shadow"
umount "$smnt"
umount "$bmnt"	# (vss-cowd stopped with a volume mounted leaks its node: not tested here)
[ "$(field a on)" = "$(realpath "$state")" ] || fail "a refusal moved a's storage"
[ -f "$state/a.diff" ] || fail "a refusal moved a's diff area"
refused "a maximum under 1 MB" "at least 1 MB" \
	adm add shadowstorage --for=a --on="$store/shadow" --maxsize=512K
refused "a bad maximum" "bad maxsize" adm add shadowstorage --for=a --on="$store/shadow" --maxsize=12Q

# the association: the diff area moves to the storage dir, while the
# volume is written (random 4 KiB, 16 in flight, checked by fio): the move
# waits for the writes in flight, not for the writer to stop, and loses none
# (under valgrind vss-cowd serves a few hundred writes a second: less)
mv_io=1G
[ -z "${VSS_VALGRIND:-}" ] || mv_io=48M
(cd "$tmpdir" && exec timeout $((120 * VSS_SLOW)) fio --name=mv --filename="$deva" --direct=1 \
	--ioengine=libaio --iodepth=16 --rw=randwrite --bs=4k --size=32M --io_size=$mv_io \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	--output="$tmpdir/fio-mv.out") &
fio_pid=$!
sleep 0.5
timeout $((30 * VSS_SLOW)) vss-cowadm --state-dir "$state" add shadowstorage --for=a --on="$store/shadow" \
	--maxsize=48MB || fail "the diff area move under writes failed"
kill -0 "$fio_pid" 2>/dev/null || fail "the writer ended before the move did"
wait "$fio_pid" || fail "the writes during the move failed: $(cat "$tmpdir/fio-mv.out")"
grep -q "err= 0" "$tmpdir/fio-mv.out" || fail "fio: $(cat "$tmpdir/fio-mv.out")"
[ -f "$store/shadow/a.diff" ] || fail "no diff area in the storage dir"
[ ! -e "$state/a.diff" ] || fail "the old diff area stayed"
[ "$(field a on)" = "$store/shadow" ] || fail "list shows storage $(field a on)"
[ "$(field a explicit)" = true ] || fail "the association is not explicit"
[ "$(field a maximum)" = $((48 * MiB)) ] || fail "maximum $(field a maximum), not 48 MB"
refused "a second association" "VSS_E_OBJECT_ALREADY_EXISTS" \
	adm add shadowstorage --for=a --on="$store/shadow"
refused "a second association (vssadmin)" "already (resize or delete it) (0x8004230D)" \
	va add shadowstorage /for=a /on="$store/shadow"
refused "moving a diff area that holds snapshots" "VSS_E_VOLUME_IN_USE" \
	adm add shadowstorage --for=b --on="$store/shadow"
[ "$(field b on)" = "$(realpath "$state")" ] && [ -f "$state/b.diff" ] ||
	fail "a refused move moved b's diff area"
adm list shadowstorage --on="$store/shadow" --json | grep -q '"volume":"a"' ||
	fail "list --on does not find a"
adm list shadowstorage --on="$store/shadow" --json | grep -q '"volume":"b"' &&
	fail "list --on finds b, whose storage is elsewhere"

# three snapshots, the origin rewritten between them
dd if=/dev/urandom of="$deva" bs=1M count=24 oflag=direct status=none
snapshot "$deva"; s1=$(snap_list a | awk '{ print $1 }')
sum1=$(dev_sum "$deva")
dd if=/dev/urandom of="$deva" bs=1M count=24 oflag=direct status=none
snapshot "$deva"; s2=$(snap_list a | awk -v o="$s1" '$1 != o { print $1 }')
sum2=$(dev_sum "$deva")
dd if=/dev/urandom of="$deva" bs=1M count=8 seek=32 oflag=direct status=none
snapshot "$deva"; s3=$(snap_list a | awk -v o="$s1" -v p="$s2" '$1 != o && $1 != p { print $1 }')
sum3=$(dev_sum "$deva")
[ "$(dev_sum "$(sdev_of "$s1")")" = "$sum1" ] || fail "snapshot 1 does not read as taken"
used=$(field a used); alloc=$(field a allocated)
[ "$used" -gt $((32 * MiB)) ] || fail "used $used after preserving 32 MB"
[ "$alloc" -ge $((32 * MiB)) ] && [ "$alloc" -le $((48 * MiB)) ] ||
	fail "allocated $alloc is not between 32 and 48 MB"
adm list shadowstorage --for=a > "$tmpdir/list.txt"
grep -q "Used Shadow Copy Storage space: $used bytes" "$tmpdir/list.txt" ||
	fail "the text listing lacks the used space: $(cat "$tmpdir/list.txt")"
grep -q "Maximum Shadow Copy Storage space: $((48 * MiB)) bytes" "$tmpdir/list.txt" ||
	fail "the text listing lacks the maximum"

# shrink under the snapshots: the oldest goes, the newer read as taken
adm resize shadowstorage --for=a --on="$store/shadow" --maxsize=16M
nsnaps_is() { [ "$(snap_list a | wc -l)" -eq "$1" ]; }
wait_until 10 nsnaps_is 2
snap_list a | grep -q "^$s1 " && fail "the oldest snapshot survived the shrink"
[ "$(dev_sum "$(sdev_of "$s2")")" = "$sum2" ] || fail "snapshot 2 changed in the shrink"
[ "$(dev_sum "$(sdev_of "$s3")")" = "$sum3" ] || fail "snapshot 3 changed in the shrink"
wait_until 10 grep -q "lost snapshot" "$tmpdir/vssd.log"
[ "$(field a used)" -le $((16 * MiB)) ] || fail "used $(field a used) above the new maximum"
[ "$(field a allocated)" -le $((16 * MiB)) ] || fail "allocated $(field a allocated) above 16 MB"
refused "a resize on another storage" "no shadow storage on" \
	adm resize shadowstorage --for=a --on="$store" --maxsize=20M
refused "a resize without a maximum" "needs --maxsize" adm resize shadowstorage --for=a

# UNBOUNDED, then percent (of the volume)
adm resize shadowstorage --for=a --maxsize=UNBOUNDED
[ "$(field a maximum)" = -1 ] || fail "UNBOUNDED shows as $(field a maximum)"
adm list shadowstorage --for=a | grep -q "Maximum Shadow Copy Storage space: UNBOUNDED" ||
	fail "the text listing does not say UNBOUNDED"
va resize shadowstorage /for=a /on="$store/shadow" /maxsize=50% > /dev/null
[ "$(field a maximum)" = $((32 * MiB)) ] || fail "50% of 64 MB shows as $(field a maximum)"
# vssadmin resize without /maxsize: no limit, as on Windows
va resize shadowstorage /for=a /on="$store/shadow" > /dev/null
[ "$(field a maximum)" = -1 ] || fail "vssadmin resize without /maxsize shows $(field a maximum)"
va resize shadowstorage /for=a /on="$store/shadow" /maxsize=50% > /dev/null

# vssadmin answers as vss-cowadm
adm list shadowstorage > "$tmpdir/adm.txt"
va list shadowstorage | sed '1,2d' > "$tmpdir/va.txt"
cmp "$tmpdir/adm.txt" "$tmpdir/va.txt" || fail "vssadmin and vss-cowadm list shadowstorage differ"
adm list volumes > "$tmpdir/adm.txt"
va list volumes | sed '1,2d' > "$tmpdir/va.txt"
cmp "$tmpdir/adm.txt" "$tmpdir/va.txt" || fail "vssadmin and vss-cowadm list volumes differ"
va list shadowstorage /for=a --json | grep -q "\"maximum\": *$((32 * MiB))" ||
	fail "vssadmin --json lacks the maximum"

# across a restart
stop_cowd
start_cowd; cowd_ready 2
[ "$(field a on)" = "$store/shadow" ] || fail "the association was lost in the restart"
[ "$(field a explicit)" = true ] || fail "the association is no longer explicit"
[ "$(field a maximum)" = $((32 * MiB)) ] || fail "the maximum was lost in the restart"
[ "$(dev_sum "$(sdev_of "$s2")")" = "$sum2" ] || fail "snapshot 2 changed across the restart"
[ "$(dev_sum "$(sdev_of "$s3")")" = "$sum3" ] || fail "snapshot 3 changed across the restart"
deva=$(live_dev a)

# delete: refused while snapshots are stored, then back to the state dir
refused "deleting storage in use" "VSS_E_VOLUME_IN_USE" adm delete shadowstorage --for=a
# (by id: the live device's name may have changed in the restart)
for id in "$s2" "$s3"; do
	vssadmin delete shadows /shadow="$id" /quiet > "$tmpdir/del.out" 2>&1 ||
		fail "delete shadows: $(cat "$tmpdir/del.out")"
	grep -q "Successfully deleted 1 shadow copy" "$tmpdir/del.out" ||
		fail "delete shadows did not delete $id: $(cat "$tmpdir/del.out")"
done
wait_until 10 nsnaps_is 0
va delete shadowstorage /for=a /on="$store/shadow" > /dev/null
[ "$(field a on)" = "$(realpath "$state")" ] || fail "delete left the storage at $(field a on)"
[ "$(field a explicit)" = false ] || fail "delete left an explicit association"
[ "$(field a maximum)" = $((64 * MiB)) ] || fail "delete left the maximum at $(field a maximum)"
[ -f "$state/a.diff" ] && [ ! -e "$store/shadow/a.diff" ] || fail "the diff area did not move back"
refused "deleting no association" "VSS_E_OBJECT_NOT_FOUND" adm delete shadowstorage --for=a
dd if=/dev/urandom of="$deva" bs=1M count=4 oflag=direct status=none ||
	fail "a is not writable after the moves"

# a block-device origin with a separate --diff file
truncate -s 32M "$tmpdir/c.img"
loop_attach cdev "$tmpdir/c.img"
cleanup_fn "cowd_gone"
dd if=/dev/urandom of="$cdev" bs=1M count=32 oflag=direct status=none
devc=$(adm add volume --name=c --backing="$cdev" --diff="$store/shadow/c.diff" --maxsize=16M)
[ "$(field c on)" = "$store/shadow" ] || fail "c's storage is $(field c on)"
[ "$(field c explicit)" = true ] || fail "--diff did not make an association"
[ "$(field c diff)" = "$store/shadow/c.diff" ] || fail "c's diff area is $(field c diff)"
[ "$(dev_sum "$devc")" = "$(dev_sum "$cdev")" ] || fail "c's live device does not read its origin"
snapshot "$devc"
sumc=$(dev_sum "$devc")
dd if=/dev/urandom of="$devc" bs=1M count=8 seek=4 oflag=direct status=none
sdevc=$(snap_list c | awk '{ print $2; exit }')
[ "$(dev_sum "$sdevc")" = "$sumc" ] || fail "c's snapshot does not read as taken"
[ "$(dev_sum "$devc")" = "$(dev_sum "$cdev")" ] || fail "c's writes did not reach its device"
refused "a second association for c" "VSS_E_OBJECT_ALREADY_EXISTS" \
	adm add shadowstorage --for=c --on="$store/shadow"
adm resize shadowstorage --for="$devc" --maxsize=12M
[ "$(field c maximum)" = $((12 * MiB)) ] || fail "resize by device did not reach c"
adm remove volume --name=c --force
[ ! -e "$store/shadow/c.diff" ] || fail "c's diff area stayed"
[ -b "$cdev" ] || fail "removing c took its backing device node"

# UNBOUNDED on a filesystem smaller than what the copies need: when it is
# full the oldest snapshot goes and the live volume keeps working
tiny=$tmpdir/tiny
mkdir -p "$tiny"
truncate -s 24M "$tmpdir/tiny.img"
loop_attach tdev "$tmpdir/tiny.img"
mkfs.ext4 -q -F "$tdev"
mount "$tdev" "$tiny"
cleanup_fn "cowd_gone; umount '$tiny' 2>/dev/null; true"
devd=$(adm add volume --name=d --backing="$tmpdir/d.img" --size=64M --create)
adm add shadowstorage --for=d --on="$tiny" --maxsize=UNBOUNDED
[ "$(field d maximum)" = -1 ] || fail "d's maximum is $(field d maximum)"
dd if=/dev/urandom of="$devd" bs=1M count=48 oflag=direct status=none
snapshot "$devd"
nlost=$(grep -c "lost snapshot" "$tmpdir/vssd.log")
dd if=/dev/urandom of="$devd" bs=1M count=48 oflag=direct status=none ||
	fail "a live write failed when the storage filesystem filled up"
wait_until 10 count_is "lost snapshot" "$tmpdir/vssd.log" $((nlost + 1))
[ -z "$(snap_list d)" ] || fail "the snapshot of d survived a full filesystem"
dd if=/dev/urandom of="$devd" bs=1M count=8 oflag=direct status=none || fail "d broke"
snapshot "$devd"
dd if=/dev/urandom of="$devd" bs=1M count=4 oflag=direct status=none || fail "d broke"
[ -n "$(snap_list d)" ] || fail "d cannot keep a snapshot after the full filesystem"
adm remove volume --name=d --force
wait_until 10 umount "$tiny"	# a closed io_uring lets go of its files late

# vssadmin adds and removes volumes as vss-cowadm does
va add volume /name=e /backing="$tmpdir/e.img" /size=16M /create /sparse /maxsize=8MB > "$tmpdir/e.out"
deve=$(tail -n 1 "$tmpdir/e.out")
[ $(( $(stat -c '%b * %B' "$tmpdir/e.img") )) -lt $MiB ] || fail "vssadmin /sparse allocated the image"
[ "$(live_dev e)" = "$deve" ] && [ -b "$deve" ] || fail "vssadmin add volume printed '$deve'"
[ "$(field e maximum)" = $((8 * MiB)) ] || fail "vssadmin add volume /maxsize gave $(field e maximum)"
refused "vssadmin remove volume without a name" "needs /name" va remove volume
va remove volume /name=e > /dev/null
[ -z "$(live_dev e)" ] || fail "vssadmin remove volume left e"

# all gone cleanly
adm remove volume --name=a
adm remove volume --name=b --force
stop_cowd
cowd_no_leftovers
vssd_alive
