#!/bin/sh
# test-cowbench-live — vss-cowbench --live --quick (root): the live
# benchmark runs every path (private vssd and vss-cowd, raw loop device,
# snapshots through vssd, ext4 volumes with writers, the hold window read
# from vssd's log), prints every figure its JSON promises, and leaves
# nothing behind, also when interrupted in the middle.  The figures
# themselves are not judged (tiny sizes, shared disks).
. "${top_builddir:-.}/tests/functions.sh"
set -e
# Not under valgrind: the benchmark's own raw I/O goes through io_uring,
# whose kernel-side writes valgrind cannot see, and it starts vssd and
# vss-cowd by path (test-cowd*.sh run those two under valgrind).
if [ -n "${VSS_VALGRIND:-}" ]; then
	echo "$0: a benchmark on io_uring, not run under valgrind: skipping"
	exit 77
fi
requires_root
requires jq --version
requires losetup --version
requires mkfs.ext4 -V
requires test -c /dev/fuse
requires test -e /dev/loop-control

# O_DIRECT wants a real filesystem: /var/tmp, as the bench's default
bdir=$(mktemp -d /var/tmp/vss-test-cowbench.XXXXXX)
bench_pid=
cleanup_fn "rm -rf '$bdir'"
cleanup_fn "for d in \$(losetup -n -O NAME,BACK-FILE -l 2>/dev/null | awk -v e='$bdir/' 'index(\$2, e) == 1 { print \$1 }'); do losetup -d \$d; done"
cleanup_fn "awk -v e='$bdir/' 'index(\$2, e) == 1 { print \$2 }' /proc/mounts | sort -r | while read -r m; do umount -l \"\$m\"; done"
cleanup_fn 'if [ -n "$bench_pid" ]; then kill $bench_pid 2>/dev/null; wait $bench_pid 2>/dev/null; fi'

leftovers() {
	awk -v e="$bdir/" 'index($2, e) == 1 { print "mount " $2 }' /proc/mounts
	losetup -n -O NAME,BACK-FILE -l | awk -v e="$bdir/" 'index($2, e) == 1 { print "loop " $1 }'
	for p in /proc/[0-9]*; do
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -- "--state-dir $bdir/" &&
			echo "process ${p#/proc/}"
	done
	ls "$bdir"
}

# (a) a whole quick run
vss-cowbench --live --quick --json --dir "$bdir" > "$tmpdir/out.json" 2> "$tmpdir/err" ||
	fail "vss-cowbench --live --quick failed: $(cat "$tmpdir/err")"
for k in write_nosnap_seq read_nosnap_seq write_nosnap_rand4k read_nosnap_rand4k \
	 cow_first_write_seq rewrite_seq snap_read_seq origin_read_seq cow_first_write_rand4k; do
	jq -e --arg k "$k" '.ratios[$k] | type == "number" and . > 0' "$tmpdir/out.json" \
		> /dev/null || fail "ratio $k missing or not positive"
	jq -e --arg k "$k" '(.ratios_by_round[$k] | length == 1) and
		.ratios_by_round[$k][0] == .ratios[$k]' "$tmpdir/out.json" \
		> /dev/null || fail "ratio $k: no value per round"
	# the CPU it cost (cpuidle or /proc/stat is readable here), on both
	# devices, a share of at most all the CPUs; a 16 MiB case may round
	# to 0, the whole run cannot (below)
	for s in raw_loop live; do
		jq -e --arg k "$k" --arg s "$s" '(.cpu_us_per_op[$s][$k] | type == "number" and . >= 0) and
			(.cpu_busy_pct[$s][$k] | type == "number" and . >= 0 and . <= 100)' \
			"$tmpdir/out.json" > /dev/null || fail "CPU figures of $k on $s missing or out of range"
	done
done
jq -e '([.cpu_us_per_op.raw_loop[]] | add > 0) and ([.cpu_us_per_op.live[]] | add > 0)' \
	"$tmpdir/out.json" > /dev/null || fail "no CPU time counted in the whole run"
jq -e '.ratios_by_round.live_first == [false]' "$tmpdir/out.json" > /dev/null ||
	fail "the order of the rounds missing"
jq -e '(.raw_loop_by_round.write_nosnap_rand4k_MBps[0] == .raw_loop.write_nosnap_rand4k_MBps) and
	(.live_by_round.snap_read_seq_MBps[0] == .live.snap_read_seq_MBps)' "$tmpdir/out.json" \
	> /dev/null || fail "the figures of each round missing"
for k in 1x64MiB 3x64MiB 1x128MiB 3x128MiB; do
	jq -e --arg k "$k" '(.hold_window_ms[$k] | type == "number" and . >= 0) and
		(.flush_ms[$k] | type == "number" and . > 0) and
		(.hold[$k].volumes == ($k | .[0:1] | tonumber)) and
		(.hold[$k].commit_rtt_ms.p99 | type == "number" and . >= 0)' "$tmpdir/out.json" > /dev/null ||
		fail "hold window of $k missing"
	# the slowest window in parts: they add up to it, and vssd's part
	# holds the providers' round trip
	jq -e --arg k "$k" '.hold[$k].slowest_window |
		(.to_vssd_ms >= 0 and .in_vssd_ms >= 0 and .to_guard_ms >= 0) and
		((.to_vssd_ms + .in_vssd_ms + .to_guard_ms - .window_ms) | fabs < 0.002) and
		(.in_vssd_ms >= .commit_rtt_ms) and
		(.window_ms == $w)' --argjson w "$(jq ".hold[\"$k\"].window_ms.max" "$tmpdir/out.json")" \
		"$tmpdir/out.json" > /dev/null ||
		fail "the slowest window of $k in parts: $(jq -c ".hold[\"$k\"].slowest_window" "$tmpdir/out.json")"
done
jq -e '.config.mode == "live" and .config.rounds == 1 and .raw_loop.write_nosnap_seq_MBps > 0' \
	"$tmpdir/out.json" > /dev/null || fail "config or raw figures missing"
[ -z "$(leftovers)" ] || fail "left behind: $(leftovers)"

# (b) interrupted while the hold-window volumes are mounted: cleans up too
vss-cowbench --live --quick --dir "$bdir" > "$tmpdir/out2" 2>&1 &
bench_pid=$!
mounted() { awk -v e="$bdir/" 'index($2, e) == 1 && $3 == "ext4"' /proc/mounts | grep -q .; }
wait_until 120 mounted
kill -INT "$bench_pid"
st=0
wait "$bench_pid" || st=$?
bench_pid=
[ "$st" = 130 ] || fail "interrupted vss-cowbench exited with $st, not 130: $(cat "$tmpdir/out2")"
[ -z "$(leftovers)" ] || fail "left behind after SIGINT: $(leftovers)"
exit 0
