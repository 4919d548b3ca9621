#!/bin/sh
# vssd's configuration file: settings apply, options override them, and a
# bad file stops vssd with a message naming the line.
. "${top_builddir:-.}/tests/functions.sh"
set -e

conf=$tmpdir/vssd.conf
cat > "$conf" <<C
# test configuration
socket = $tmpdir/from-conf.sock
state-dir = $tmpdir/conf-state
timeout = Identify=1500
C
vssd --config "$conf" --foreground > "$tmpdir/v1.log" 2>&1 &
pid=$!
cleanup_fn "kill $pid 2>/dev/null"
wait_until 10 test -S "$tmpdir/from-conf.sock"
test -d "$tmpdir/conf-state" || fail "state-dir from the file not used"
# the Identify deadline from the file: a writer that takes 3 s is left out
start_ready slow test-writer --socket "$tmpdir/from-conf.sock" --name slow --sleep Identify:3000
test-requester --socket "$tmpdir/from-conf.sock" init gather status > "$tmpdir/r"
grep -q '^writer slow' "$tmpdir/r" && fail "the Identify timeout of the file was not applied"
kill "$pid"; wait "$pid" || fail "vssd did not stop cleanly"

# an option overrides the file
vssd --config "$conf" --socket "$tmpdir/from-opt.sock" --foreground > "$tmpdir/v2.log" 2>&1 &
pid=$!
cleanup_fn "kill $pid 2>/dev/null"
wait_until 10 test -S "$tmpdir/from-opt.sock"
kill "$pid"; wait "$pid" || fail "vssd did not stop cleanly"

# bad files
printf 'socket = /x\nbogus line\n' > "$tmpdir/bad1.conf"
vssd --config "$tmpdir/bad1.conf" --foreground 2> "$tmpdir/e1" && fail "a bad file was accepted"
grep -q 'bad1.conf:2: expected key = value' "$tmpdir/e1" || fail "no line number: $(cat "$tmpdir/e1")"
printf 'timeout = Freeze=100\n' > "$tmpdir/bad2.conf"
vssd --config "$tmpdir/bad2.conf" --foreground 2> "$tmpdir/e2" && fail "a Freeze timeout was accepted"
grep -q "bad2.conf:1: unknown key or bad value 'timeout = Freeze=100'" "$tmpdir/e2" ||
	fail "unexpected message: $(cat "$tmpdir/e2")"
vssd --config "$tmpdir/missing.conf" --foreground 2> "$tmpdir/e3" && fail "a missing --config was accepted"
grep -q 'cannot read' "$tmpdir/e3" || fail "unexpected message: $(cat "$tmpdir/e3")"
exit 0
