#!/bin/sh
# The requester tools on vss-cowd volumes (root), as a user runs them:
# vshadow VOLUME (non-persistent, with a writer: gone when vshadow ends),
# vshadow -nw -p, -exec=CMD (the command reads the snapshot device from its
# environment while the set exists), -script, -q, -s, -do, -ds, -da;
# vssadmin create shadow / list shadows / delete shadows (client-accessible
# ones only: /oldest, /shadow, /all).  After every deletion the snapshot's loop device is gone and the
# snapshot reads are as they were when it was taken.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V

mnt=$tmpdir/mnt
emnt=$tmpdir/exec-mnt
mkdir -p "$mnt" "$emnt"
cleanup_fn "umount '$mnt' 2>/dev/null; umount '$emnt' 2>/dev/null; true"

# number of snapshots vss-cowd serves (all volumes), and of snapshot loop
# devices over its export dir
nsnaps() { adm list volumes --json | grep -c '"id"' || true; }
no_snaps() { [ "$(nsnaps)" = 0 ]; }
nsnapdevs() { losetup -n -O BACK-FILE -l | grep -c "$export_dir/.*@" || true; }
# the ids vssadmin lists for the volume, one per line
shadow_ids() { vssadmin list shadows "/for=$dev" | awk '/Shadow Copy ID:/ { print $NF }'; }

start_vssd
start_cowd; cowd_ready 1
dev=$(adm add volume --name=tools --backing="$tmpdir/tools.img" --size=96M --create)
mkfs.ext4 -q -F "$dev"
mount "$dev" "$mnt"
echo one > "$mnt/file"
sync

start_ready w1 test-writer --name w1 --level back --component :data --files "$mnt:file" --log "$tmpdir/writer.log"

# (1) vshadow VOLUME: non-persistent, with writers; -exec runs while the set
# exists and sees the device; the snapshot is gone when vshadow ends
cat > "$tmpdir/exec.sh" << EOF
#!/bin/sh
set -e
echo "\$VSS_SHADOW_SET \$VSS_SHADOW_1 \$VSS_SHADOW_DEVICE_1" > "$tmpdir/exec.env"
test -b "\$VSS_SHADOW_DEVICE_1"
# the snapshot's file, read while the set exists
mount -o ro,noload "\$VSS_SHADOW_DEVICE_1" "$emnt"
cat "$emnt/file" > "$tmpdir/exec.file"
umount "$emnt"
EOF
chmod +x "$tmpdir/exec.sh"
vshadow "-exec=$tmpdir/exec.sh" "$dev" > "$tmpdir/vs1.out" 2>&1 ||
	fail "vshadow VOLUME -exec failed: $(cat "$tmpdir/vs1.out")"
grep -q 'Freeze' "$tmpdir/writer.log" || fail "the writer was not frozen"
read -r set1 snap1 sdev1 < "$tmpdir/exec.env"
case $sdev1 in /dev/loop*) ;; *) fail "-exec saw no snapshot device: '$sdev1'" ;; esac
[ "$(cat "$tmpdir/exec.file")" = one ] || fail "-exec read '$(cat "$tmpdir/exec.file")' from the snapshot, not 'one'"
# auto-release: released with vshadow's session
wait_until 10 no_snaps
[ "$(nsnapdevs)" = 0 ] || fail "the non-persistent snapshot's device stayed"
vshadow -q > "$tmpdir/q.out" 2>&1 || true
grep -q "$snap1" "$tmpdir/q.out" && fail "vshadow -q still lists the non-persistent snapshot"

# a failing -exec command fails vshadow, and the set is still released
vshadow -exec=/bin/false "$dev" > "$tmpdir/vsf.out" 2>&1 && fail "vshadow ignored a failing -exec"
wait_until 10 no_snaps

# (2) persistent snapshots: vshadow -p, vshadow -nw -p, vssadmin create
vshadow -p "-script=$tmpdir/s1.env" "$dev" > "$tmpdir/vs2.out" 2>&1 ||
	fail "vshadow -p failed: $(cat "$tmpdir/vs2.out")"
. "$tmpdir/s1.env"
p1=$SHADOW_ID_1 pdev1=$SHADOW_DEVICE_1
[ -b "$pdev1" ] || fail "-script gave no device: $(cat "$tmpdir/s1.env")"

echo two > "$mnt/file"; sync
vshadow -nw -p "-script=$tmpdir/s2.env" "$dev" > "$tmpdir/vs3.out" 2>&1 ||
	fail "vshadow -nw -p failed: $(cat "$tmpdir/vs3.out")"
grep -q 'context to: 0x00000019' "$tmpdir/vs3.out" || fail "-nw -p is not the NAS rollback context"
. "$tmpdir/s2.env"
p2=$SHADOW_ID_1

echo three > "$mnt/file"; sync
vssadmin create shadow "/for=$dev" > "$tmpdir/va.out" 2>&1 ||
	fail "vssadmin create shadow failed: $(cat "$tmpdir/va.out")"
p3=$(awk '/Shadow Copy ID:/ { print $NF; exit }' "$tmpdir/va.out")
[ -n "$p3" ] || fail "vssadmin create shadow printed no id: $(cat "$tmpdir/va.out")"
[ "$(nsnaps)" = 3 ] || fail "vss-cowd serves $(nsnaps) snapshots, not 3"
[ "$(nsnapdevs)" = 3 ] || fail "$(nsnapdevs) snapshot devices, not 3"
[ "$(shadow_ids | sort | tr '\n' ' ')" = "$(printf '%s\n' "$p1" "$p2" "$p3" | sort | tr '\n' ' ')" ] ||
	fail "vssadmin list shadows does not list exactly the three: $(shadow_ids)"
vshadow "-s=$p2" > "$tmpdir/s.out" 2>&1 || fail "vshadow -s failed"
grep -q "$p2" "$tmpdir/s.out" || fail "vshadow -s does not show $p2"
vssadmin list shadows --json "/for=$dev" > "$tmpdir/ls.json"
[ "$(grep -o '"snapshot_id"' "$tmpdir/ls.json" | wc -l)" = 3 ] ||
	fail "--json does not list three: $(cat "$tmpdir/ls.json")"

# each snapshot reads as when it was taken (file = one, two, three)
umount "$mnt"
n=0
for id in "$p1" "$p2" "$p3"; do
	n=$((n + 1))
	sdev=$(vshadow "-s=$id" | awk '/Shadow copy device name:/ { print $NF }')
	[ -b "$sdev" ] || fail "no device for $id"
	mount -o ro,noload "$sdev" "$mnt"
	want=$(echo one two three | cut -d' ' -f$n)
	[ "$(cat "$mnt/file")" = "$want" ] || fail "snapshot $n reads '$(cat "$mnt/file")', not '$want'"
	umount "$mnt"
done
mount "$dev" "$mnt"
[ "$(cat "$mnt/file")" = three ] || fail "the live volume lost its data"

# (3) deletions.  vssadmin deletes only client-accessible shadow copies, as
# on Windows: /oldest removes p3 (the one vssadmin made), then /all finds
# none; /shadow of p2 is refused; vshadow -ds deletes p1 (its device goes)
# and p2.
vssadmin delete shadows "/for=$dev" /oldest /quiet > "$tmpdir/d1.out" 2>&1 ||
	fail "delete /oldest failed: $(cat "$tmpdir/d1.out")"
[ "$(shadow_ids | sort | tr '\n' ' ')" = "$(printf '%s\n' "$p1" "$p2" | sort | tr '\n' ' ')" ] ||
	fail "/oldest did not delete exactly $p3: $(shadow_ids)"
vssadmin delete shadows "/for=$dev" /all /quiet > "$tmpdir/d2.out" 2>&1 ||
	fail "delete /all failed: $(cat "$tmpdir/d2.out")"
grep -q '^No items found that satisfy the query.$' "$tmpdir/d2.out" ||
	fail "delete /all touched shadow copies of another type: $(cat "$tmpdir/d2.out")"
vssadmin delete shadows "/for=$dev" "/shadow=$p2" /quiet > "$tmpdir/d3.out" 2>&1 &&
	fail "delete /shadow of a shadow copy vshadow -nw -p made was accepted"
grep -q "shadow copy $p2 is not of the client-accessible type" "$tmpdir/d3.out" ||
	fail "delete /shadow refusal: $(cat "$tmpdir/d3.out")"
vshadow "-ds=$p1" > /dev/null 2>&1 || fail "vshadow -ds failed"
[ "$(shadow_ids)" = "$p2" ] || fail "after -ds: $(shadow_ids)"
losetup -n -O BACK-FILE "$pdev1" 2> /dev/null | grep -q "$export_dir/" &&
	fail "the deleted snapshot's device stayed attached"
vshadow "-ds=$p2" > /dev/null 2>&1 || fail "vshadow -ds of $p2 failed"
[ -z "$(shadow_ids)" ] || fail "after -ds: $(shadow_ids)"
[ "$(nsnaps)" = 0 ] && [ "$(nsnapdevs)" = 0 ] || fail "vss-cowd still serves snapshots"

# deleting what does not exist: a clear error, nothing changes
vshadow -ds={00000000-0000-4000-8000-000000000001} > "$tmpdir/err" 2>&1 &&
	fail "deleting an unknown snapshot worked"
grep -q 'OBJECT_NOT_FOUND' "$tmpdir/err" || fail "unclear error: $(cat "$tmpdir/err")"

# (4) two more, then vshadow -da (answering yes) deletes all
vshadow -p -nw "$dev" > /dev/null 2>&1 || fail "vshadow -p -nw failed"
vshadow -p -nw "$dev" > /dev/null 2>&1 || fail "vshadow -p -nw failed"
[ "$(nsnaps)" = 2 ] || fail "$(nsnaps) snapshots, not 2"
echo y | vshadow -da > "$tmpdir/da.out" 2>&1 || fail "vshadow -da failed: $(cat "$tmpdir/da.out")"
[ "$(nsnaps)" = 0 ] && [ "$(nsnapdevs)" = 0 ] || fail "-da left snapshots"

# (5) a requester that dies after AddToSnapshotSet leaves vss-cowd a
# snapshot it prepared and never committed (VSS aborts only after
# DoSnapshotSet): it is no snapshot of the volume, and does not stop the
# volume's removal
test-requester init context=10 start "volume=$dev" die > /dev/null 2>&1 &&
	fail "die did not die"
umount "$mnt"
adm remove volume --name=tools > "$tmpdir/rm.out" 2>&1 ||
	fail "an uncommitted snapshot stopped remove volume: $(cat "$tmpdir/rm.out")"
stop_cowd
cowd_no_leftovers
vssd_alive
