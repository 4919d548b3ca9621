#!/bin/sh
# Bad input of every kind gets a clear answer and changes nothing; vssd
# survives all of it and then runs a full backup (DESIGN.md, rules of the
# house).
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --all --dir "$tmpdir/snaps"
start_ready w test-writer --name w --level back --component 'db:main'

test-hostile-frames > "$tmpdir/cases" || { cat "$tmpdir/cases"; fail "a hostile case misbehaved"; }
cat "$tmpdir/cases"

# Hostile call sequences through the real client library.
# 65 volumes in one set: the 65th is refused.
words=""
i=0
while [ $i -lt 65 ]; do
	: > "$tmpdir/v$i.img"
	words="$words volume=$tmpdir/v$i.img"
	i=$((i + 1))
done
# shellcheck disable=SC2086
test-requester init context=10 start $words > "$tmpdir/r" 2>&1 && fail "65 volumes accepted"
grep -q 'AddToSnapshotSet VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED' "$tmpdir/r" ||
	fail "the 65th volume was not refused with VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED"
# the same volume twice
test-requester init context=10 start "volume=$vol" expect=VSS_E_OBJECT_ALREADY_EXISTS \
	"volume=$vol" > /dev/null
# snapshots cannot be created in VSS_CTX_ALL
test-requester init context=ffffffff expect=E_INVALIDARG start > /dev/null
# AddComponent of a component of an unknown writer
test-requester init state=component gather expect=VSS_E_OBJECT_NOT_FOUND add-raw > /dev/null
# a duplicate component
test-requester init state=component gather add=w:db:main \
	expect=VSS_E_OBJECT_ALREADY_EXISTS add=w:db:main > /dev/null
# a requester that vanishes in each state leaves vssd serving
for words in "init" "init gather" "init gather start-retry" \
	"init state=volume gather start-retry prepare" \
	"init state=volume gather start-retry prepare do"; do
	# shellcheck disable=SC2086
	test-requester $words die > /dev/null && fail "die did not die"
done

vssd_alive
# ...and a whole backup still works after all that.
test-requester init state=component gather add-all start-retry "volume=$vol" prepare do \
	succeeded complete > "$tmpdir/r"
grep -q '^BackupComplete S_OK' "$tmpdir/r" || fail "vssd no longer runs a backup"
