#!/bin/sh
# vss-cowd does not deadlock (root).  Every operation that could hang runs
# under timeout, so a deadlock fails the test instead of hanging it.
# 1. With an ext4 on a vss-cowd volume frozen by fsfreeze (always thawed at
#    cleanup), vss-cowd still answers vss-cowadm list, snapshots another
#    volume, serves a read of the frozen volume's device and of its FUSE
#    file, and a set with the frozen volume fails cleanly
#    (VSS_E_FLUSH_WRITES_TIMEOUT) without stopping the next one.
# 2. Dirty-memory pressure on a served filesystem: the loop device's
#    writeback is capped (its BDI's strict_limit, max_bytes 4 MiB) so a
#    process dirtying page cache there is throttled and waits for writeback
#    through vss-cowd, while snapshot sets (vssd freezes that filesystem and
#    flushes it through vss-cowd) are taken; every write and every set
#    completes, and the last snapshot holds the data as of its freeze.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires fsfreeze --version

start_vssd
start_cowd; cowd_ready 1
a=$(adm add volume --name=a --backing="$tmpdir/a.img" --size=64M --create)
b=$(adm add volume --name=b --backing="$tmpdir/b.img" --size=32M --create)
c=$(adm add volume --name=c --backing="$tmpdir/c.img" --size=256M --create)
for v in a c; do
	mkdir -p "$tmpdir/$v"
	cleanup_fn "cowd_umount '$tmpdir/$v'"
done
mkdir -p "$tmpdir/snap"
cleanup_fn "cowd_umount '$tmpdir/snap'"
cleanup_fn "timeout 30 test-requester init context=ffffffff delete-all > /dev/null 2>&1"
mkfs.ext4 -q -F "$a"
mkfs.ext4 -q -F "$c"
mount "$a" "$tmpdir/a"
mount "$c" "$tmpdir/c"

# 1. a frozen filesystem on a served volume
head -c 4000000 /dev/urandom > "$tmpdir/a/f"
sync
fsfreeze -f "$tmpdir/a"
sh -c "echo x > '$tmpdir/a/blocked'" &
blocked=$!
sleep 0.5
kill -0 "$blocked" 2>/dev/null || fail "the filesystem is not frozen"
timeout 10 vss-cowadm --state-dir "$state" list volumes > /dev/null ||
	fail "vss-cowadm list does not answer while a served filesystem is frozen"
timeout 30 test-requester init context=19 start "volume=$b" do > /dev/null ||
	fail "no snapshot of another volume while a served filesystem is frozen"
timeout 10 dd if="$a" of=/dev/null bs=1M count=16 iflag=direct status=none ||
	fail "no read of the frozen volume's device"
timeout 10 dd if="$export_dir/a" of=/dev/null bs=1M count=16 iflag=direct status=none ||
	fail "no read of the frozen volume's FUSE file"
timeout 30 test-requester init context=19 start "volume=$a" expect=VSS_E_FLUSH_WRITES_TIMEOUT do \
	> /dev/null || fail "a set with the frozen filesystem did not fail cleanly"
fsfreeze -u "$tmpdir/a"
timeout 10 sh -c "while kill -0 $blocked 2>/dev/null; do sleep 0.1; done" ||
	fail "the blocked write did not finish after the thaw"
timeout 10 dd if=/dev/zero of="$tmpdir/a/after" bs=4k count=1 conv=fsync status=none ||
	fail "the thawed filesystem takes no writes"
timeout 30 test-requester init context=19 start "volume=$a" "volume=$b" do > /dev/null ||
	fail "no set after the thaw"
timeout 30 test-requester init context=ffffffff delete-all > /dev/null

# 2. dirty-memory pressure
bdi=/sys/class/bdi/$(lsblk -dno MAJ:MIN "$c" | tr -d ' ')
if [ -w "$bdi/strict_limit" ] && [ -w "$bdi/max_bytes" ] && [ -w "$bdi/max_ratio_fine" ]; then
	old_ratio=$(cat "$bdi/max_ratio_fine") old_strict=$(cat "$bdi/strict_limit")
	# loop devices outlive the test: restore their writeback limits (as a
	# ratio: max_bytes is one, converted at the current dirty limit)
	cleanup_fn "echo $old_strict > $bdi/strict_limit; echo $old_ratio > $bdi/max_ratio_fine"
	echo 4194304 > "$bdi/max_bytes"
	echo 1 > "$bdi/strict_limit"
else
	echo "no per-device writeback limit in $bdi: dirtying without it"
fi
(
	n=0
	while [ ! -e "$tmpdir/stop" ]; do
		n=$((n + 1))
		timeout 120 dd if=/dev/zero of="$tmpdir/c/big" bs=1M count=160 conv=notrunc \
			status=none || echo "dd $n failed ($?)" >> "$tmpdir/dd.failed"
	done
	echo "$n" > "$tmpdir/dd.runs"
) &
dirtier=$!
cleanup_fn "touch '$tmpdir/stop'; wait $dirtier 2>/dev/null"
wait_until 30 test -s "$tmpdir/c/big"
i=0
while [ $i -lt "${VSS_PRESSURE_ROUNDS:-4}" ]; do
	i=$((i + 1))
	sleep 0.5
	grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
	echo
	timeout 60 test-requester init context=19 start "volume=$c" "volume=$b" do > "$tmpdir/req.$i" ||
		fail "set $i under pressure failed: $(cat "$tmpdir/req.$i")"
	timeout 10 vss-cowadm --state-dir "$state" list volumes > /dev/null ||
		fail "vss-cowadm list does not answer under pressure"
	timeout 30 test-requester init context=ffffffff delete-all > /dev/null || fail "delete-all failed"
done
touch "$tmpdir/stop"
timeout 150 sh -c "while kill -0 $dirtier 2>/dev/null; do sleep 0.1; done" || fail "the dirtier hangs"
[ ! -e "$tmpdir/dd.failed" ] || fail "$(cat "$tmpdir/dd.failed")"
echo "dirtier: $(cat "$tmpdir/dd.runs") runs of 160 MiB"

# the data as of the last freeze is on the last snapshot
head -c 20000000 /dev/urandom > "$tmpdir/c/last"
sum=$(md5sum < "$tmpdir/c/last")
timeout 60 test-requester init context=19 start "volume=$c" do query > "$tmpdir/req.last" ||
	fail "the last set failed"
s=$(awk -v d="$c" '$1 == "snapshot" && $2 == d { sub("device=", "", $3); print $3 }' "$tmpdir/req.last")
head -c 20000000 /dev/urandom > "$tmpdir/c/last"
timeout 30 mount -o ro,noload "$s" "$tmpdir/snap"
[ "$(md5sum < "$tmpdir/snap/last")" = "$sum" ] || fail "the snapshot does not hold the data as of its freeze"
umount "$tmpdir/snap"
timeout 30 test-requester init context=ffffffff delete-all > /dev/null

umount "$tmpdir/a"
umount "$tmpdir/c"
for v in a b c; do
	adm remove volume --name=$v
done
stop_cowd
cowd_no_leftovers
vssd_alive
