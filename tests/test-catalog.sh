#!/bin/sh
# The snapshot catalog survives vssd restarts and kill -9, auto-release
# snapshots do not outlive their session (nor a vssd restart), and a
# damaged catalog is set aside and re-learnt from the providers.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps" --reconnect
start_ready w test-writer --name w --level back --reconnect

# "snapshot VOLUME device=DEVICE" lines (the test provider's device object
# names the snapshot id), sorted.
listing() { test-requester init context=ffffffff query | grep '^snapshot ' | sort; }
has_snapshots() { test "$(listing | grep -c .)" = "$1"; }

# A persistent snapshot (APP_ROLLBACK) ...
test-requester init context=9 state=volume gather start-retry "volume=$vol" prepare do \
	complete > /dev/null
persistent=$(listing)
[ -n "$persistent" ] || fail "no persistent snapshot"
# ... and an auto-release one, held by a live session.
test-requester init state=volume gather start-retry "volume=$vol" prepare do sleep=30000 \
	> /dev/null 2>&1 &
holder=$!
cleanup_fn "kill $holder 2>/dev/null"
wait_until 10 has_snapshots 2

# kill -9 of vssd: the persistent snapshot is still there, the same; the
# auto-release one is deleted once the provider is back (sessions do not
# survive a vssd restart).
kill -9 "$vssd_pid"
wait "$vssd_pid" 2>/dev/null || true
start_vssd
wait_until 10 has_snapshots 1
assert_eq "the persistent snapshot after kill -9" "$persistent" "$(listing)"
grep -q 'deleting auto-release snapshot' "$tmpdir/vssd.log" ||
	fail "the orphaned auto-release snapshot was not deleted"

# A clean restart keeps it too.
stop_vssd
start_vssd
wait_until 10 has_snapshots 1
assert_eq "the persistent snapshot after a restart" "$persistent" "$(listing)"

# A damaged catalog is moved aside, vssd starts, and re-learns the
# persistent snapshot from its provider.
stop_vssd
printf 'VSS1 this is not a catalog' > "$tmpdir/state/catalog"
start_vssd
wait_until 10 has_snapshots 1
assert_eq "the persistent snapshot re-learnt" "$persistent" "$(listing)"
test -f "$tmpdir/state/catalog.damaged" || fail "the damaged catalog was not kept aside"
grep -q 'is damaged' "$tmpdir/vssd.log" || fail "the damage was not reported"

# Deleted is deleted, across a restart as well.
test-requester init context=ffffffff delete-all | grep -q '^deleted 1' || fail "delete failed"
stop_vssd
start_vssd
sleep 0.5
has_snapshots 0 || fail "a deleted snapshot came back"
vssd_alive
