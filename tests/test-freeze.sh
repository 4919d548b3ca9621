#!/bin/sh
# Flush-and-hold on real filesystems (root): ext4 and xfs on loop devices.
# Writes are held while the providers commit, released right after; a
# kill -9 of vssd inside the hold window, the hold bound expiring, and a
# filesystem that cannot be frozen, and a kill -9 of the freeze guard all
# leave every filesystem writable; a thaw reported late does not stop vssd
# serving others (case 8).
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/freeze-functions.sh"
set -e
requires_root
requires losetup --version
requires mkfs.ext4 -V
requires fsfreeze --version

# fsvol IMG FSTYPE SIZE MNT: image IMG of SIZE, a loop device over it (in
# $dev), a filesystem, mounted at MNT; the cleanup thaws it first (a failure
# may have left it frozen) and unmounts it if still mounted, once more a
# little later if busy (a freeze guard that failed may hold it a moment).
fsvol() {
	truncate -s "$3" "$1"
	loop_attach dev "$1"
	case $2 in
	ext4) mkfs.ext4 -q -F "$dev" ;;
	xfs) mkfs.xfs -q -f "$dev" ;;
	esac
	mkdir -p "$4"
	mount "$dev" "$4"
	cleanup_fn "fsfreeze -u $4 2>/dev/null; ! mountpoint -q $4 || umount $4 || { sleep 2; umount $4; }"
}

loops=""
mkvol() {	# mkvol NAME FSTYPE SIZE: fsvol in $tmpdir, named NAME
	fsvol "$tmpdir/$1.img" "$2" "$3" "$tmpdir/$1"
	eval "${1}_dev=$dev ${1}_mnt=$tmpdir/$1"
	loops="$loops $dev"
}


mkvol e ext4 64M
if mkfs.xfs -V >/dev/null 2>&1; then
	mkvol x xfs 320M
fi
log=$tmpdir/events.log

provider() {	# provider NAME [faults]: a test provider for both volumes
	local name=$1
	shift
	start_ready "$name" test-provider --dir "$tmpdir/snaps" --log "$log" \
		$(for d in $loops; do echo "--volume $d"; done) "$@"
}

# 1. A two-volume set: both filesystems are held during the commit and
#    writable again right after it.
start_vssd
provider p1 --sleep CommitSnapshots:1500
words="volume=$e_mnt"
[ -n "${x_dev:-}" ] && words="$words volume=$x_dev"
# 1100 idle connections first, so that vssd has descriptors past 1024: the
# guard must close those too (it keeps only its socket and what it opens)
nfd() { find /proc/"$1"/fd -mindepth 1 | wc -l; }
mkfifo "$tmpdir/holdin"
test-hostile-frames --hold 1100 < "$tmpdir/holdin" > "$tmpdir/hold" &
holder=$!
exec 7> "$tmpdir/holdin"
many_fds() { [ "$(nfd "$vssd_pid")" -gt 1100 ]; }
wait_until 20 many_fds
# shellcheck disable=SC2086
test-requester init context=10 start $words do > "$tmpdir/r1" &
req=$!
wait_until 10 grep -q '^CommitSnapshots' "$log"
held "$e_mnt" ${x_mnt:-} || fail "a filesystem was not held during the commit"
# its own socket only (valgrind, if any, keeps descriptors of its own)
nsock() { find /proc/"$1"/fd -mindepth 1 -lname 'socket:*' | wc -l; }
for g in $(cat /proc/"$vssd_pid"/task/*/children); do
	[ "$(nsock "$g")" -le 1 ] || fail "the freeze guard kept $(nsock "$g") sockets of vssd's"
done
# while writes are held, vssd's loop thread and the guard run SCHED_FIFO
# (where the kernel lets us: then they must)
policy() { chrt -p "$1" | sed -n '1s/.*: //p'; }
if chrt -f 1 true 2>/dev/null; then
	rt=1
	[ "$(policy "$vssd_pid")" = SCHED_FIFO ] ||
		fail "vssd is not SCHED_FIFO during the hold: $(policy "$vssd_pid")"
	guard=$(cat /proc/"$vssd_pid"/task/*/children)
	[ -n "$guard" ] || fail "no freeze guard during the hold"
	for g in $guard; do
		[ "$(policy "$g")" = SCHED_FIFO ] ||
			fail "the freeze guard $g is not SCHED_FIFO: $(policy "$g")"
	done
fi
wait $req || fail "DoSnapshotSet failed: $(cat "$tmpdir/r1")"
exec 7>&-
wait "$holder" || fail "the holder failed: $(cat "$tmpdir/hold")"
[ -z "${rt:-}" ] || [ "$(policy "$vssd_pid")" = SCHED_OTHER ] ||
	fail "vssd stayed $(policy "$vssd_pid") after the set"
writable "$e_mnt" || fail "ext4 stayed frozen"
[ -z "${x_mnt:-}" ] || writable "$x_mnt" || fail "xfs stayed frozen"
grep -q 'writes held for' "$tmpdir/vssd.log" || fail "the hold window was not reported"
kill "$p1_pid"; wait "$p1_pid" 2>/dev/null || true

# 2. kill -9 of vssd while the filesystems are held: the guard thaws them.
provider p2 --sleep CommitSnapshots:20000
test-requester init context=10 start "volume=$e_mnt" do > /dev/null 2>&1 &
req=$!
wait_until 10 sh -c "grep -c '^CommitSnapshots' $log | grep -qx 2"
held "$e_mnt" || fail "ext4 was not held"
kill -9 "$vssd_pid"
wait "$vssd_pid" 2>/dev/null || true
writable "$e_mnt" || fail "ext4 stayed frozen after vssd was killed inside the hold window"
wait $req 2>/dev/null || true
kill "$p2_pid"; wait "$p2_pid" 2>/dev/null || true

# 3. The hold bound expires (here 1 s): VSS_E_HOLD_WRITES_TIMEOUT, the
#    provider aborts, the filesystem is writable.
start_vssd --timeout hold=1000
provider p3 --sleep CommitSnapshots:3000
test-requester init context=10 start "volume=$e_mnt" expect=VSS_E_HOLD_WRITES_TIMEOUT do \
	> /dev/null
writable "$e_mnt" || fail "ext4 stayed frozen after the hold bound"
wait_until 10 grep -q '^AbortSnapshots' "$log"
kill "$p3_pid"; wait "$p3_pid" 2>/dev/null || true

# 4. A filesystem that cannot be frozen (someone else froze it): the set
#    fails with VSS_E_FLUSH_WRITES_TIMEOUT and the other volume is not left
#    frozen; the foreign freeze is not ours to undo.
provider p4
if [ -n "${x_mnt:-}" ]; then
	fsfreeze -f "$x_mnt"
	test-requester init context=10 start "volume=$e_mnt" "volume=$x_mnt" \
		expect=VSS_E_FLUSH_WRITES_TIMEOUT do > /dev/null
	writable "$e_mnt" || fail "ext4 stayed frozen after the other volume failed to freeze"
	held "$x_mnt" || fail "vssd thawed a freeze that was not its own"
	fsfreeze -u "$x_mnt"
	writable "$x_mnt" || fail "xfs did not thaw"
fi
vssd_alive
kill "$p4_pid"; wait "$p4_pid" 2>/dev/null || true

# 5. kill -9 of the freeze guard while it holds (the OOM killer, say): vssd
#    thaws what the guard said it froze, and the set fails, since its
#    commit was not inside the window.  (The set used to be "created" and
#    the filesystem stayed frozen.)
stop_vssd
start_vssd
provider p5 --sleep CommitSnapshots:3000
: > "$log"
test-requester init context=10 start "volume=$e_mnt" expect=VSS_E_HOLD_WRITES_TIMEOUT do \
	> "$tmpdir/r5" 2>&1 &
req=$!
wait_until 10 grep -q '^CommitSnapshots' "$log"
guard=$(cat /proc/"$vssd_pid"/task/*/children)
[ -n "$guard" ] || fail "no freeze guard during the hold"
kill -9 $guard
wait $req || fail "the set of a killed guard: $(cat "$tmpdir/r5")"
writable "$e_mnt" || fail "ext4 stayed frozen after the freeze guard was killed"
grep -q "the freeze guard died: $e_mnt thawed by vssd" "$tmpdir/vssd.log" ||
	fail "vssd did not say it thawed $e_mnt"
kill "$p5_pid"; wait "$p5_pid" 2>/dev/null || true

# 6. A set whose second filesystem lives in an image file on the first:
#    once the first is frozen, flushing the second waits for it for ever.
#    The flush bound passes (VSS_E_FLUSH_WRITES_TIMEOUT) and the guard,
#    told to give up, thaws the first at once, which lets the second's
#    FIFREEZE return, and thaws that too.  (The guard used to wait for
#    every FIFREEZE first: the first filesystem stayed frozen for good.)
#    A write to each must end (one to a frozen filesystem blocks until the
#    cleanup thaws it).
stop_vssd
start_vssd --timeout flush=3000
fsvol "$tmpdir/outer.img" ext4 600M "$tmpdir/outer"
odev=$dev
fsvol "$tmpdir/outer/inner.img" ext4 400M "$tmpdir/inner"
idev=$dev
# (runs first: the inner filesystem cannot be written back, nor unmounted,
# while the outer one is frozen)
cleanup_fn "fsfreeze -u $tmpdir/outer 2>/dev/null; fsfreeze -u $tmpdir/inner 2>/dev/null"
start_ready p6 test-provider --dir "$tmpdir/snaps" --log "$log" --volume "$odev" --volume "$idev"
# dirty data in the inner filesystem, not yet written back
dd if=/dev/urandom of="$tmpdir/inner/dirty" bs=1M count=300 status=none
test-requester init context=10 start "volume=$tmpdir/outer" "volume=$tmpdir/inner" \
	expect=any do > "$tmpdir/r6" 2>&1 || fail "the nested set: $(cat "$tmpdir/r6")"
for m in outer inner; do
	sh -c "echo x > $tmpdir/$m/probe" &
	w=$!
	# (a writer blocked on a frozen filesystem ends once it is thawed, and
	# must have ended before the unmount)
	cleanup_fn "fsfreeze -u $tmpdir/outer 2>/dev/null; fsfreeze -u $tmpdir/inner 2>/dev/null; wait $w"
	wait_until 20 sh -c "! kill -0 $w" # else frozen: the test fails, the cleanup thaws
	wait "$w" || fail "cannot write to $m after the nested set"
done
grep -q 'VSS_E_FLUSH_WRITES_TIMEOUT' "$tmpdir/r6" ||
	echo "note: the nested set did not reach the flush bound here: $(cat "$tmpdir/r6")"
kill "$p6_pid"; wait "$p6_pid" 2>/dev/null || true

# 7. The volume is remounted elsewhere between AddToSnapshotSet and the
#    freeze: it is frozen where it is mounted now, and the filesystem that
#    held its old mount point is not.  (The old path was frozen by name:
#    the parent filesystem froze and the volume stayed writable.)
fsvol "$tmpdir/q.img" ext4 64M "$e_mnt/q"
qdev=$dev
mkdir -p "$tmpdir/q2"
cleanup_fn "fsfreeze -u $tmpdir/q2 2>/dev/null; ! mountpoint -q $tmpdir/q2 || umount $tmpdir/q2"
start_ready p7 test-provider --dir "$tmpdir/snaps" --log "$log" --volume "$qdev" \
	--sleep CommitSnapshots:1500
: > "$log"
test-requester init context=10 start "volume=$e_mnt/q" sleep=1500 do > "$tmpdir/r7" 2>&1 &
req=$!
# ($qdev is a device no earlier case used: it is still attached)
wait_until 20 grep -q "AddToSnapshotSet: $qdev " "$tmpdir/vssd.log"
umount "$e_mnt/q"
mount "$qdev" "$tmpdir/q2"
wait_until 20 grep -q '^CommitSnapshots' "$log"
held "$tmpdir/q2" || fail "the remounted volume was not held during the commit"
sh -c "echo x > $e_mnt/p7" &
w=$!
cleanup_fn "fsfreeze -u $e_mnt 2>/dev/null; wait $w"
wait_until 5 sh -c "! kill -0 $w" # else e's filesystem was frozen instead
wait $req || fail "the set of the remounted volume: $(cat "$tmpdir/r7")"
kill "$p7_pid"; wait "$p7_pid" 2>/dev/null || true
umount "$tmpdir/q2"
vssd_alive

# 8. The guard reports its thaw late (3 s, as after a FITHAW that stalls):
#    vssd serves others meanwhile (it used to wait for the report, and
#    everyone with it), and the set then completes.
kill "$vssd_pid"; wait "$vssd_pid" 2>/dev/null || true
VSSD_TEST_THAW_REPORT_MS=3000
export VSSD_TEST_THAW_REPORT_MS
start_vssd
unset VSSD_TEST_THAW_REPORT_MS
provider p8
n0=$(wc -l < "$tmpdir/vssd.log")
: > "$log"
test-requester init context=10 start "volume=$e_mnt" do > "$tmpdir/r8" 2>&1 &
req=$!
wait_until 20 grep -q '^CommitSnapshots' "$log"
test-requester init > "$tmpdir/r8b" 2>&1 || fail "another requester: $(cat "$tmpdir/r8b")"
wait $req || fail "the set whose thaw was reported late: $(cat "$tmpdir/r8")"
writable "$e_mnt" || fail "ext4 stayed frozen"
tail -n +$((n0 + 1)) "$tmpdir/vssd.log" > "$tmpdir/v8"
other=$(grep -n 'InitializeForBackup' "$tmpdir/v8" | sed -n 2p | cut -d: -f1)
thawed=$(grep -n 'flush-and-hold:' "$tmpdir/v8" | head -n 1 | cut -d: -f1)
[ -n "$other" ] && [ -n "$thawed" ] && [ "$other" -lt "$thawed" ] ||
	fail "the other requester was served only after the thaw was reported: $(cat "$tmpdir/v8")"
kill "$p8_pid"; wait "$p8_pid" 2>/dev/null || true
vssd_alive
