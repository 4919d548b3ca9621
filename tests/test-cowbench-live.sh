#!/bin/sh
# test-cowbench-live — vss-cowbench --live --quick (root): the live
# benchmark runs every path (private vssd and vss-cowd, raw loop device,
# the pass-through FUSE baseline, snapshots through vssd, ext4 volumes
# with writers, the hold window read from vssd's log), prints every figure
# its JSON promises, and leaves nothing behind, also when interrupted in
# the middle (of the throughput rounds, of the hold windows).  The figures
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
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null |
			grep -q -e "--state-dir $bdir/" -e "--dir $bdir" &&
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
# the pass-through baseline: its figures for the four cases with no
# snapshot, its ratio to the raw loop device and vss-cowd's to it, which
# (one round: the medians are the values) multiply to vss-cowd's own ratio
for k in write_nosnap_seq read_nosnap_seq write_nosnap_rand4k read_nosnap_rand4k; do
	jq -e --arg k "$k" '(.passthrough[$k + "_MBps"] | type == "number" and . > 0) and
		(.passthrough_by_round[$k + "_MBps"] == [.passthrough[$k + "_MBps"]]) and
		(.ratios["passthrough_" + $k] | type == "number" and . > 0) and
		(.ratios[$k + "_vs_passthrough"] | type == "number" and . > 0) and
		(.ratios_by_round["passthrough_" + $k] == [.ratios["passthrough_" + $k]]) and
		(.ratios_by_round[$k + "_vs_passthrough"] == [.ratios[$k + "_vs_passthrough"]]) and
		((.ratios["passthrough_" + $k] * .ratios[$k + "_vs_passthrough"] - .ratios[$k]) |
			fabs < 1e-9) and
		((.passthrough[$k + "_MBps"] / .raw_loop[$k + "_MBps"] - .ratios["passthrough_" + $k]) |
			fabs < 1e-9) and
		(.cpu_us_per_op.passthrough[$k] | type == "number" and . >= 0) and
		(.cpu_busy_pct.passthrough[$k] | type == "number" and . >= 0 and . <= 100)' \
		"$tmpdir/out.json" > /dev/null ||
		fail "pass-through figures of $k missing or inconsistent: $(jq -c '[.passthrough, .ratios]' "$tmpdir/out.json")"
done
jq -e '(.passthrough | length == 4) and (.cpu_us_per_op.passthrough | length == 4)' \
	"$tmpdir/out.json" > /dev/null || fail "pass-through figures for cases it does not run"
jq -e '.ratios_by_round.live_first == [false] and
	.ratios_by_round.order == ["raw_loop,live,passthrough"]' "$tmpdir/out.json" > /dev/null ||
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

# interrupt WHEN COND ARGS...: vss-cowbench ARGS in the background, a
# SIGINT as soon as COND holds; it exits 130 and leaves nothing behind
interrupt() {
	when=$1 cond=$2
	shift 2
	vss-cowbench "$@" > "$tmpdir/out-int" 2>&1 &
	bench_pid=$!
	wait_until 120 "$cond"
	kill -INT "$bench_pid"
	st=0
	wait "$bench_pid" || st=$?
	bench_pid=
	[ "$st" = 130 ] ||
		fail "vss-cowbench interrupted $when exited with $st, not 130: $(cat "$tmpdir/out-int")"
	[ -z "$(leftovers)" ] || fail "left behind after SIGINT $when: $(leftovers)"
}

# (b) interrupted while the hold-window volumes are mounted
mounted() { awk -v e="$bdir/" 'index($2, e) == 1 && $3 == "ext4"' /proc/mounts | grep -q .; }
interrupt "with volumes mounted" mounted --live --quick --dir "$bdir"

# (c) interrupted in the throughput rounds, with the pass-through's FUSE
# mount, its process and its loop device up (rounds long enough to catch)
pass_up() {
	awk -v e="$bdir/" 'index($2, e) == 1 && $3 == "fuse.vss-cowbench-pass"' /proc/mounts |
		grep -q . &&
		losetup -n -O BACK-FILE -l | grep -q -- "/pass/volume"
}
interrupt "in its rounds" pass_up --live --dir "$bdir" --size 256 --seq-mib 64 \
	--rand-ops 4096 --rounds 4 --snapshots 2
exit 0
