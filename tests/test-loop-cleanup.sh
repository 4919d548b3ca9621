#!/bin/sh
# The tests' loop_attach (functions.sh): its cleanup detaches the device
# only while it is still over the test's file.  A test that detached its
# device itself may see the number taken by another test's device before it
# exits (make -j2 runs two tests at once); a cleanup detaching by number
# took that one (test-cowd-expose's did so to test-cowd-storage's, which
# then read a size of 0).  Here the other test is played by hand, with a
# cleanup run in a child shell.
. "${top_builddir:-.}/tests/functions.sh"
set -e
requires_root
requires losetup --version

truncate -s 1M "$tmpdir/a.img" "$tmpdir/b.img"
# the child: attaches a.img, detaches it itself, and exits while b.img
# (attached here, by "the other test") has its number
sh -c '
	. "$top_builddir/tests/functions.sh"
	loop_attach a "$1/a.img"
	echo "$a" > "$1/a.dev"
	losetup -d "$a"
	# the other test takes the number
	if losetup "$a" "$1/b.img"; then echo taken; else echo lost; fi > "$1/b.state"
' child "$tmpdir"
a=$(cat "$tmpdir/a.dev")
cleanup_fn "losetup -n -O BACK-FILE '$a' 2>/dev/null | grep -q '/b.img' && losetup -d '$a'; true"
# a real other test may have taken the number in between: nothing to see
if [ "$(cat "$tmpdir/b.state")" = lost ]; then
	echo "$a was taken by another process meanwhile: skipping"
	exit 77
fi
[ "$(cat "$tmpdir/b.state")" = taken ] || fail "the child did not run through"
assert_eq "b.img's device after the child's cleanup" "$tmpdir/b.img" \
	"$(losetup -n -O BACK-FILE "$a" 2>/dev/null)"
echo "a cleanup leaves a reused loop device alone"
