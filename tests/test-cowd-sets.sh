#!/bin/sh
# Snapshot sets of three vss-cowd volumes with filesystems (root): ext4, xfs
# and ext4, with a writer (vss-writer-exec) whose Freeze hook pauses the
# application (fio, --verify=crc32c, O_DIRECT, on each live filesystem) and
# takes the md5sums of its files, and whose Thaw hook resumes it.  After
# each of several sets, the files on the three snapshots (mounted ro:
# ext4 noload, xfs nouuid,norecovery) have exactly those checksums; an
# appender (test-seqwriter --append) that is never paused writes "N" to a
# file on vol1, vol2, vol3 in turn with fsync, and on every set
# N(vol1) >= N(vol2) >= N(vol3) and N(vol1) - N(vol3) <= 1.  At the end
# every fio run passed its own verify and a verify-only pass over the live
# volumes passes.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup
requires mkfs.ext4 -V
requires mkfs.xfs -V
requires fio --version

start_vssd
start_cowd; cowd_ready 1

# three volumes, their filesystems and mount points
fstype() { case $1 in 2) echo xfs ;; *) echo ext4 ;; esac; }
for i in 1 2 3; do
	size=64M
	[ "$(fstype $i)" = xfs ] && size=320M
	d=$(adm add volume --name="v$i" --backing="$tmpdir/v$i.img" --size=$size --create)
	[ -b "$d" ] || fail "add volume v$i printed '$d'"
	case $(fstype $i) in
	xfs) mkfs.xfs -q -f "$d" ;;
	*) mkfs.ext4 -q -F "$d" ;;
	esac
	mkdir -p "$tmpdir/m$i" "$tmpdir/s$i"
	mount "$d" "$tmpdir/m$i"
	cleanup_fn "cowd_umount '$tmpdir/s$i' '$tmpdir/m$i'"
	eval "dev$i=$d"
done
m1=$tmpdir/m1 m2=$tmpdir/m2 m3=$tmpdir/m3
cleanup_fn "timeout 30 test-requester init context=ffffffff delete-all > /dev/null 2>&1"

# fio_jobs [GLOBAL-OPTION...]: one fio process (threads), a job per filesystem
fio_jobs() {
	set -- "$@" --thread --ioengine=psync --direct=1 --rw=randwrite --bs=4k --size=4M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--name=job1 "--directory=$m1" --name=job2 "--directory=$m2" \
		--name=job3 "--directory=$m3"
	(cd "$tmpdir" && timeout 120 fio "$@")
}
# the application: fio runs one after the other until $tmpdir/stop exists
(
	n=0
	while [ ! -e "$tmpdir/stop" ]; do
		n=$((n + 1))
		fio_jobs > "$tmpdir/fio.$n.log" 2>&1 || echo "fio run $n failed" >> "$tmpdir/fio.failed"
	done
	echo "$n" > "$tmpdir/fio.runs"
) &
app=$!
# app.sh STOP|CONT: signals the application's loop and all its descendants
# (timeout, fio), parents first; STOP waits until every one is stopped (or
# a zombie: one that exited just then waits for its stopped parent).
cat > "$tmpdir/app.sh" <<EOF
desc() { for c in \$(ps -o pid= --ppid \$1); do echo \$c; desc \$c; done; }
pids=$app
kill -\$1 $app 2>/dev/null || exit 0
for p in \$(desc $app); do kill -\$1 \$p 2>/dev/null && pids="\$pids \$p"; done
[ \$1 = STOP ] || exit 0
for p in \$pids; do
	while [ -e /proc/\$p ] && ! grep -q '^State:.*[TZ]' /proc/\$p/status 2>/dev/null; do sleep 0.01; done
done
EOF
cleanup_fn "touch '$tmpdir/stop'; sh '$tmpdir/app.sh' CONT; wait $app 2>/dev/null"

# sums ROOT1 ROOT2 ROOT3: md5sums of the fio files of the three filesystems
sums() {
	for r in "$@"; do
		(cd "$r" && find . -name 'job*' -type f | sort | xargs -r md5sum)
	done
}
# The writer's hooks: Freeze stops the application (the loop, then its fio)
# and waits until every one of them is stopped, then records the sums;
# Thaw resumes them.
cat > "$tmpdir/freeze.sh" <<EOF
set -e
timeout 20 sh "$tmpdir/app.sh" STOP
for r in "$m1" "$m2" "$m3"; do
	(cd "\$r" && find . -name 'job*' -type f | sort | xargs -r md5sum)
done > "$tmpdir/frozen.sums"
echo frozen >> "$tmpdir/hooks.log"
EOF
cat > "$tmpdir/thaw.sh" <<EOF
sh "$tmpdir/app.sh" CONT
echo thawed >> "$tmpdir/hooks.log"
EOF
vss-writer-exec --name app --on-freeze "sh $tmpdir/freeze.sh" --on-thaw "sh $tmpdir/thaw.sh" \
	--on-abort "sh $tmpdir/thaw.sh" > "$tmpdir/writer.log" 2>&1 &
writer=$!
cleanup_fn "kill $writer 2>/dev/null; wait $writer 2>/dev/null"
wait_until 10 grep -q "writer 'app' subscribed" "$tmpdir/vssd.log"

# the never-paused appender
start_ready seq test-seqwriter --append "$m1/seq" "$m2/seq" "$m3/seq"
wait_until 30 test -s "$m1/job1.0.0"

rounds=${VSS_SETS_ROUNDS:-4}
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	sleep 0.5	# let fio and the appender run
	rm -f "$tmpdir/frozen.sums"
	timeout 60 test-requester init context=9 state=volume gather start \
		"volume=$dev1" "volume=$dev2" "volume=$dev3" prepare do query > "$tmpdir/req.$i" ||
		fail "set $i failed: $(cat "$tmpdir/req.$i")"
	[ -s "$tmpdir/frozen.sums" ] || fail "set $i: the Freeze hook did not run"
	[ "$(grep -c '^thawed' "$tmpdir/hooks.log")" = $i ] || fail "set $i: the Thaw hook did not run"
	for k in 1 2 3; do
		eval "d=\$dev$k"
		s=$(awk -v d="$d" '$1 == "snapshot" && $2 == d { sub("device=", "", $3); print $3 }' \
			"$tmpdir/req.$i")
		[ -b "$s" ] || fail "set $i: no snapshot device for $d: $(cat "$tmpdir/req.$i")"
		case $(fstype $k) in
		xfs) timeout 30 mount -o ro,nouuid,norecovery "$s" "$tmpdir/s$k" ;;
		*) timeout 30 mount -o ro,noload "$s" "$tmpdir/s$k" ;;
		esac
	done
	sums "$tmpdir/s1" "$tmpdir/s2" "$tmpdir/s3" > "$tmpdir/snap.sums"
	[ "$(wc -l < "$tmpdir/snap.sums")" -ge 3 ] || fail "set $i: no fio files on the snapshots"
	cmp "$tmpdir/frozen.sums" "$tmpdir/snap.sums" ||
		fail "set $i: the snapshots do not hold the files as at the freeze: $(diff "$tmpdir/frozen.sums" "$tmpdir/snap.sums")"
	seqs=$(timeout 10 test-seqwriter --last "$tmpdir/s1/seq" "$tmpdir/s2/seq" "$tmpdir/s3/seq" |
		tr '\n' ' ')
	echo "set $i: appender $seqs"
	# shellcheck disable=SC2086
	set -- $seqs
	[ "$1" -gt 0 ] && [ "$1" -ge "$2" ] && [ "$2" -ge "$3" ] && [ $(($1 - $3)) -le 1 ] ||
		fail "set $i is not atomic: N(vol1) N(vol2) N(vol3) = $seqs"
	for k in 1 2 3; do
		umount "$tmpdir/s$k"
	done
	timeout 30 test-requester init context=ffffffff delete-all > /dev/null || fail "delete-all failed"
done

# the application stops after its current run; every run verified its data
touch "$tmpdir/stop"
timeout 120 sh -c "while kill -0 $app 2>/dev/null; do sleep 0.1; done" || fail "fio does not end"
wait $app || true
[ ! -e "$tmpdir/fio.failed" ] || fail "$(cat "$tmpdir/fio.failed"): $(tail -n 20 "$tmpdir/fio.1.log")"
echo "fio runs: $(cat "$tmpdir/fio.runs")"
fio_jobs --verify_only > "$tmpdir/fio.verify.log" 2>&1 ||
	fail "fio's verify of the live volumes failed: $(tail -n 20 "$tmpdir/fio.verify.log")"
kill "$seq_pid"
wait "$seq_pid" || fail "the appender failed: $(cat "$tmpdir/seq.err")"
grep '^rounds' "$tmpdir/seq.out"

for k in 1 2 3; do
	umount "$tmpdir/m$k"
	adm remove volume --name="v$k"
done
stop_cowd
cowd_no_leftovers
vssd_alive
