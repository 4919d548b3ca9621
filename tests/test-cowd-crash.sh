#!/bin/sh
# vss-cowd when a daemon dies (root).
# 1. vssd is killed (-9) inside the flush-and-hold window of a set of three
#    vss-cowd volumes (ext4, xfs, raw): vss-cowd pauses in its commit
#    (VSS_COWD_TEST_COMMIT_DELAY_MS) while vssd's guard holds the
#    filesystems frozen and vss-cowd holds the writes.  Within the bound
#    both filesystems take writes again, the raw volume's writer goes on,
#    vss-cowd discards the half-made snapshots (none listed, no loop
#    device); then a new vssd and a new vss-cowd take a set fine.
# 2. vss-cowd is killed (-9) while a non-persistent snapshot exists (its
#    requester keeps the session open) beside a persistent one; restarted
#    with vssd stopped, it deletes the non-persistent one itself and keeps
#    the persistent one.
# 3. vss-cowd is killed (-9) between CommitSnapshots and PostCommitSnapshots
#    (VSS_COWD_TEST_POSTCOMMIT_DELAY_MS), after writes of the new epoch
#    were acknowledged (their copies logged for a snapshot never made
#    durable): the set fails, and after a restart the snapshot is gone, the
#    older persistent snapshot reads as before, the volume holds every
#    acknowledged write, and a new snapshot works.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires mkfs.xfs -V

nsnaps() { adm list volumes --json | grep -c '"set"' || true; }
snap_loops() { losetup -n -O BACK-FILE -l | grep -c "$export_dir/.*@" || true; }
# writable MNT: a block written with fsync within 5 s (through vss-cowd)
writable() { timeout 5 dd if=/dev/zero of="$1/probe" bs=4k count=1 conv=fsync status=none; }
# frozen MNT: a write to MNT is still blocked after 0.5 s (the probe runs
# in the background and finishes after the thaw)
frozen() {
	sh -c "echo x > $1/held.\$\$" &
	p=$!
	sleep 0.5
	kill -0 "$p" 2>/dev/null
}
seq_of() { timeout 5 test-seqwriter --read "$1"; }

VSS_COWD_TEST_COMMIT_DELAY_MS=2000
export VSS_COWD_TEST_COMMIT_DELAY_MS
start_vssd
start_cowd; cowd_ready 1
e=$(adm add volume --name=e --backing="$tmpdir/e.img" --size=64M --create)
x=$(adm add volume --name=x --backing="$tmpdir/x.img" --size=320M --create)
r=$(adm add volume --name=r --backing="$tmpdir/r.img" --size=32M --create)
mkfs.ext4 -q -F "$e"
mkfs.xfs -q -f "$x"
for m in e x; do
	mkdir -p "$tmpdir/$m"
	cleanup_fn "cowd_umount '$tmpdir/$m'"
done
mount "$e" "$tmpdir/e"
mount "$x" "$tmpdir/x"
start_ready w1 test-writer --name w1 --log "$tmpdir/writer.log"
start_ready seq test-seqwriter "$r"

# 1. kill -9 of vssd inside the hold window
timeout 60 test-requester init context=9 state=volume gather start "volume=$e" "volume=$x" \
	"volume=$r" prepare do > "$tmpdir/req1" 2>&1 &
req=$!
wait_until 10 grep -q 'w1 Freeze' "$tmpdir/writer.log"
wait_until 10 frozen "$tmpdir/e"
frozen "$tmpdir/x" || fail "xfs is not frozen"
# the commit's hold began with the freeze, but a write already in flight
# then still lands (it is waited for, and a read beside it may see the block
# before it): look once that is surely done (the hold lasts seconds here)
sleep 0.2
s1=$(seq_of "$r")
sleep 0.3
[ "$(seq_of "$r")" = "$s1" ] || fail "the raw volume's writes are not held"
kill -9 "$vssd_pid"
wait "$vssd_pid" 2>/dev/null || true
# vss-cowd releases the raw volume's writes at once (its commit still has
# seconds to go)
wait_until 2 sh -c "[ \$(test-seqwriter --read $r) -gt $s1 ]"
writable "$tmpdir/e" || fail "ext4 stayed frozen after vssd was killed"
writable "$tmpdir/x" || fail "xfs stayed frozen after vssd was killed"
wait $req && fail "the set succeeded without vssd"
wait_until 15 grep -q 'vssd went away during a snapshot set: 3 unfinished snapshots discarded' \
	"$tmpdir/cowd.log"
[ "$(nsnaps)" = 0 ] || fail "a half-made snapshot is still listed"
[ "$(snap_loops)" = 0 ] || fail "a half-made snapshot's loop device stayed"
[ -z "$(ls "$state/snapshots")" ] || fail "a half-made snapshot has a record"
kill -0 "$seq_pid" || fail "the raw volume's writer failed: $(cat "$tmpdir/seq.err")"

# a new vssd and vss-cowd pairing takes the set fine
echo "after the crash" > "$tmpdir/e/f"
sync
unset VSS_COWD_TEST_COMMIT_DELAY_MS
kill "$seq_pid"; wait "$seq_pid" || fail "the raw volume's writer failed"
kill "$w1_pid" 2>/dev/null || true; wait "$w1_pid" 2>/dev/null || true
umount "$tmpdir/e"
umount "$tmpdir/x"
stop_cowd
cowd_no_leftovers
start_vssd
start_cowd; cowd_ready 2
e=$(live_dev e) x=$(live_dev x) r=$(live_dev r)
grep -q 'was never completed' "$tmpdir/cowd.log" && fail "the half-made snapshots stayed in the engine"
mount "$e" "$tmpdir/e"
mount "$x" "$tmpdir/x"
start_ready w1 test-writer --name w1 --log "$tmpdir/writer.log"
timeout 60 test-requester init context=9 state=volume gather start "volume=$e" "volume=$x" \
	"volume=$r" prepare do query > "$tmpdir/req2" || fail "the new pairing failed: $(cat "$tmpdir/req2")"
[ "$(nsnaps)" = 3 ] || fail "the new set is not listed"
es=$(awk -v d="$e" '$1 == "snapshot" && $2 == d { sub("device=", "", $3); print $3 }' "$tmpdir/req2")
mkdir -p "$tmpdir/snap"
cleanup_fn "cowd_umount '$tmpdir/snap'"
timeout 30 mount -o ro,noload "$es" "$tmpdir/snap"
[ "$(cat "$tmpdir/snap/f")" = "after the crash" ] || fail "the new snapshot lacks the data"
umount "$tmpdir/snap"
timeout 30 test-requester init context=ffffffff delete-all > /dev/null || fail "delete-all failed"
umount "$tmpdir/e"
umount "$tmpdir/x"
kill "$w1_pid" 2>/dev/null || true; wait "$w1_pid" 2>/dev/null || true

# 2. kill -9 of vss-cowd with a non-persistent snapshot (session open) and a
#    persistent one; restarted without vssd, it deletes the former itself
timeout 30 test-requester init context=19 start "volume=$r" do > /dev/null ||
	fail "the persistent snapshot failed"
test-requester init context=0 state=volume gather start "volume=$r" prepare do sleep=60000 > "$tmpdir/req3" 2>&1 &
req=$!
cleanup_fn "kill $req 2>/dev/null; wait $req 2>/dev/null"
wait_until 15 grep -q '^DoSnapshotSet S_OK' "$tmpdir/req3"
[ "$(nsnaps)" = 2 ] || fail "expected 2 snapshots, $(nsnaps) listed"
[ "$(ls "$state/snapshots" | wc -l)" = 2 ] || fail "expected 2 snapshot records"
kill -9 "$cowd_pid"
wait "$cowd_pid" 2>/dev/null || true
cowd_pid=
stop_vssd
kill "$req"; wait "$req" 2>/dev/null || true
start_cowd
wait_until 15 count_is 'ready: state' "$tmpdir/cowd.log" 3
grep -q 'auto-release snapshot .* outlived its session: deleted' "$tmpdir/cowd.log" ||
	fail "the non-persistent snapshot was not deleted on start"
adm list volumes --json > "$tmpdir/list.json"
[ "$(grep -c '"set"' "$tmpdir/list.json")" = 1 ] || fail "expected only the persistent snapshot: $(cat "$tmpdir/list.json")"
attr=$(awk -F': *' '/"attributes"/ { sub(",", "", $2); print $2 }' "$tmpdir/list.json")
[ $((attr & 8)) = 8 ] || fail "the snapshot kept is not the persistent one (attributes $attr)"
[ "$(ls "$state/snapshots" | wc -l)" = 1 ] || fail "the non-persistent snapshot's record stayed"
[ "$(snap_loops)" = 1 ] || fail "expected one snapshot loop device, $(snap_loops) attached"

# 3. kill -9 of vss-cowd between CommitSnapshots and PostCommitSnapshots
stop_cowd
start_vssd
nreg=$(grep -c 'registered with vssd' "$tmpdir/cowd.log" || true)
VSS_COWD_TEST_POSTCOMMIT_DELAY_MS=3000
export VSS_COWD_TEST_POSTCOMMIT_DELAY_MS
start_cowd; cowd_ready $((nreg + 1))
unset VSS_COWD_TEST_POSTCOMMIT_DELAY_MS
r=$(live_dev r)
# snapshots by id, from vss-cowd (device numbers change across restarts)
snap_ids() { adm list volumes | awk '/Snapshot:/ { print $2 }'; }
dev_of() { adm list volumes | awk -v i="$1" '/Snapshot:/ && $2 == i { print $4 }'; }
pid=$(snap_ids)
pdev=$(dev_of "$pid")
[ -b "$pdev" ] || fail "no device for the persistent snapshot ($pid: $pdev)"
psum=$(md5sum < "$pdev")
# $tmpdir/pat1: what the volume must hold (the diff area, 32 MiB, holds
# the older snapshot's copies of 8 MiB and the new one's of 4 MiB)
dd if="$r" of="$tmpdir/pat1" bs=1M iflag=direct status=none
dd if=/dev/urandom of="$tmpdir/pat0" bs=1M count=8 status=none
dd if="$tmpdir/pat0" of="$r" bs=1M oflag=direct conv=fsync status=none
dd if="$tmpdir/pat0" of="$tmpdir/pat1" bs=1M conv=notrunc status=none
nheld=$(grep -c 'CommitSnapshots: writes held on 1 volume' "$tmpdir/cowd.log" || true)
ndur=$(grep -c 'PostCommitSnapshots: .* made durable' "$tmpdir/cowd.log" || true)
timeout 60 test-requester init context=19 start "volume=$r" do > "$tmpdir/req4" 2>&1 &
req=$!
wait_until 15 count_is 'CommitSnapshots: writes held on 1 volume' "$tmpdir/cowd.log" $((nheld + 1))
# writes of the new epoch, acknowledged before the snapshot is durable
dd if=/dev/urandom of="$tmpdir/pat2" bs=1M count=4 status=none
dd if="$tmpdir/pat2" of="$r" bs=1M seek=2 oflag=direct conv=fsync,notrunc status=none
[ "$(grep -c 'PostCommitSnapshots: .* made durable' "$tmpdir/cowd.log" || true)" = "$ndur" ] ||
	fail "the set was made durable before the kill (no pause?)"
kill -9 "$cowd_pid"
wait "$cowd_pid" 2>/dev/null || true
cowd_pid=
wait $req && fail "the set succeeded though vss-cowd died before PostCommitSnapshots"
dd if="$tmpdir/pat2" of="$tmpdir/pat1" bs=1M seek=2 conv=notrunc status=none
start_cowd; cowd_ready $((nreg + 2))
r=$(live_dev r)
grep -q 'deleted: the diff area is full' "$tmpdir/cowd.log" && fail "the diff area overflowed: the test writes too much"
[ "$(nsnaps)" = 1 ] || fail "the snapshot whose set failed is listed: $(adm list volumes --json)"
pdev=$(dev_of "$pid")
[ -b "$pdev" ] || fail "the persistent snapshot has no device after the restart ($pdev)"
[ "$(md5sum < "$pdev")" = "$psum" ] || fail "the older snapshot changed"
[ "$(md5sum < "$r")" = "$(md5sum < "$tmpdir/pat1")" ] || fail "the volume lost acknowledged writes"
timeout 30 test-requester init context=19 start "volume=$r" do query > "$tmpdir/req5" ||
	fail "a snapshot after the crash failed: $(cat "$tmpdir/req5")"
nid=$(snap_ids | grep -vx -- "$pid" || true)
ns=$(dev_of "$nid")
[ -b "$ns" ] || fail "no device for the new snapshot ($nid: $ns)"
[ "$(md5sum < "$ns")" = "$(md5sum < "$tmpdir/pat1")" ] || fail "the new snapshot does not read as the volume"
# the chunks the lost epoch had copied are copied again for the new one
dd if=/dev/urandom of="$r" bs=1M count=4 seek=2 oflag=direct conv=fsync,notrunc status=none
[ "$(md5sum < "$ns")" = "$(md5sum < "$tmpdir/pat1")" ] || fail "the new snapshot changed with the volume"
stop_cowd
start_cowd; cowd_ready $((nreg + 3))
ns=$(dev_of "$nid")
[ -b "$ns" ] || fail "the new snapshot is gone after a restart ($nid: $ns)"
[ "$(md5sum < "$ns")" = "$(md5sum < "$tmpdir/pat1")" ] || fail "the new snapshot changed across a restart"
adm remove volume --name=r --force
adm remove volume --name=e
adm remove volume --name=x
stop_cowd
cowd_no_leftovers
