#!/bin/sh
# test-cowbench — vss-cowbench on the engine, tiny sizes: it runs every
# case (raw, both ideal ceilings, the engine, snapshot creation and
# deletion times), prints every figure its JSON promises (the names
# vss-cowbench(1) lists) and leaves nothing in its directory; a bad option
# is a usage error.  The figures themselves are not judged (tiny sizes,
# shared disks).  No root needed.
. "${top_builddir:-.}/tests/functions.sh"
set -e
# Not under valgrind: the raw figures go through io_uring, whose
# kernel-side writes valgrind cannot see (test-cow-* run the engine under
# valgrind with COW_NO_URING).
if [ -n "${VSS_VALGRIND:-}" ]; then
	echo "$0: a benchmark on io_uring, not run under valgrind: skipping"
	exit 77
fi
requires jq --version

# O_DIRECT wants a real filesystem: /var/tmp, as the bench's default
bdir=$(mktemp -d /var/tmp/vss-test-cowbench.XXXXXX)
cleanup_fn "rm -rf '$bdir'"

vss-cowbench --size 64 --seq-mib 8 --rand-ops 256 --rounds 1 --json --dir "$bdir" \
	> "$tmpdir/out.json" 2> "$tmpdir/err" || fail "vss-cowbench failed: $(cat "$tmpdir/err")"
for k in write_nosnap_seq write_nosnap_rand4k sync_write_nosnap_rand4k \
	 sync_write_nosnap_rand4k_vs_sync_threads \
	 sync_threads_write_rand4k origin_read_seq cow_first_write_seq \
	 cow_first_write_seq_vs_ideal rewrite_seq snap_read_seq snap_read_seq_vs_round_read \
	 cow_first_write_rand4k \
	 cow_first_write_rand4k_vs_ideal cow_first_write_rand4k_vs_durable_ideal \
	 cow_first_write_seq_vs_durable_ideal cow_first_write_rand4k_vs_group_ideal \
	 cow_first_write_seq_64snaps_vs_1 \
	 ideal_cow_seq ideal_cow_rand4k ideal_durable_cow_rand4k \
	 ideal_durable_cow_seq ideal_group_cow_rand4k; do
	jq -e --arg k "$k" '(.ratios[$k] | type == "number" and . > 0) and
		(.ratios_range[$k].min <= .ratios_range[$k].max)' "$tmpdir/out.json" \
		> /dev/null || fail "ratio $k missing or not positive"
	jq -e --arg k "$k" '(.ratios_by_round[$k] | length == 1) and
		.ratios_by_round[$k][0] == .ratios[$k]' "$tmpdir/out.json" \
		> /dev/null || fail "ratio $k: no value per round"
done
jq -e '.ratios_by_round.engine_first == [false]' "$tmpdir/out.json" \
	> /dev/null || fail "the order of the rounds missing"
# snapshot reads are divided by the raw read measured beside them (one
# round: the medians are the values)
jq -e '((.engine.snap_read_seq_MBps / .raw.read_seq_beside_snap_read_MBps - .ratios.snap_read_seq) |
	fabs < 1e-9) and
	((.engine.snap_read_seq_MBps / .raw.read_seq_MBps - .ratios.snap_read_seq_vs_round_read) |
	fabs < 1e-9)' "$tmpdir/out.json" > /dev/null ||
	fail "snapshot reads not divided by the raw read beside them"
for k in write_seq_MBps write_rand4k_MBps read_seq_MBps ideal_cow_seq_MBps \
	 ideal_cow_rand4k_MBps ideal_durable_cow_rand4k_MBps \
	 ideal_durable_cow_seq_MBps sync_threads_write_rand4k_MBps \
	 ideal_group_cow_rand4k_MBps read_seq_beside_snap_read_MBps; do
	jq -e --arg k "$k" '.raw[$k] > 0' "$tmpdir/out.json" > /dev/null ||
		fail "raw figure $k missing"
done
for k in write_nosnap_seq_MBps write_nosnap_rand4k_MBps origin_read_seq_MBps \
	 cow_first_write_seq_MBps rewrite_seq_MBps snap_read_seq_MBps \
	 cow_first_write_rand4k_MBps cow_first_write_seq_64snaps_MBps \
	 sync_write_nosnap_rand4k_MBps; do
	jq -e --arg k "$k" '.engine[$k] > 0' "$tmpdir/out.json" > /dev/null ||
		fail "engine figure $k missing"
done
jq -e '(.snapshot_create_us["1GiB"] > 0) and (.snapshot_create_us["64GiB"] > 0)' \
	"$tmpdir/out.json" > /dev/null || fail "snapshot creation times missing"
# every commit covers at least one copy; 256 first writes need several
jq -e '.copies_per_commit | (.ideal_group_cow_rand4k >= 1) and
	(.engine_cow_first_write_rand4k >= 1) and
	(.ideal_group_cow_rand4k <= 256) and (.engine_cow_first_write_rand4k <= 256)' \
	"$tmpdir/out.json" > /dev/null || fail "copies per commit missing or out of range"
[ -z "$(ls -A "$bdir")" ] || fail "vss-cowbench left files: $(ls -A "$bdir")"

st=0; vss-cowbench --rounds 0 > /dev/null 2>&1 || st=$?
[ "$st" = 2 ] || fail "a bad option value: exit status $st, not 2"
