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
grep -q 'hostile\[[0-9]*\]: does not read its messages: disconnecting' "$tmpdir/vssd.log" ||
	fail "vssd did not say why it disconnected the requester that does not read"

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
# a string that is not UTF-8 is refused by the library, and the session goes
# on (it used to go out, and vssd dropped the connection for the bad frame)
test-requester init context=10 expect=E_INVALIDARG "supported=$(printf '/tmp/\377')" \
	start "volume=$vol" > "$tmpdir/r" 2>&1 || fail "after a string that is not UTF-8: $(cat "$tmpdir/r")"
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
# Two writers whose documents add up past the 16 MiB frame limit: the
# requester gets an error for GetWriterMetadata, not a wait for ever.
start_ready big1 test-writer --name big1 --caption-bytes 3000000
start_ready big2 test-writer --name big2 --caption-bytes 3000000
timeout 300 test-requester init gather expect=VSS_E_UNEXPECTED metadata > "$tmpdir/big" 2>&1 ||
	fail "GetWriterMetadata of 17 MB of documents: $(cat "$tmpdir/big")"
grep -q 'reply to GetWriterMetadata not sent (Message too long)' "$tmpdir/vssd.log" ||
	fail "vssd did not say why GetWriterMetadata failed: $(cat "$tmpdir/big"; tail -n 8 "$tmpdir/vssd.log")"
# shellcheck disable=SC2154
kill "$big1_pid" "$big2_pid"
wait "$big1_pid" "$big2_pid" 2>/dev/null || true
# A writer whose document does not load is left out, and vssd says why
# (the reason comes from libvss: one error slot in the process).
start_ready huge test-writer --name huge --caption-bytes 5000000
test-requester init gather status > "$tmpdir/huge"
grep -q '^writer huge ' "$tmpdir/huge" && fail "a writer whose document does not load took part"
grep -q "writer 'huge': its Writer Metadata Document does not load: vss_wmd_load_xml: VSS_E_INVALID_XML_DOCUMENT: " \
	"$tmpdir/vssd.log" || fail "vssd did not say why the document does not load"
# shellcheck disable=SC2154
kill "$huge_pid"
wait "$huge_pid" 2>/dev/null || true

# Out of descriptors: vssd stops accepting for a while instead of spinning
# on its listening socket, and accepts again once connections close.
# (Not under valgrind, which keeps descriptors of its own near the limit.)
if [ -z "${VSS_VALGRIND:-}" ]; then
	soft=$(prlimit --pid "$vssd_pid" --nofile --output=SOFT --noheadings | tr -d ' ')
	prlimit --pid "$vssd_pid" --nofile=48:
	mkfifo "$tmpdir/holdin"
	test-hostile-frames --hold 80 < "$tmpdir/holdin" > "$tmpdir/hold" &
	holder=$!
	exec 7> "$tmpdir/holdin"
	wait_until 20 grep -q 'cannot accept a connection: Too many open files; not accepting for 200 ms' \
		"$tmpdir/vssd.log"
	exec 7>&-
	wait "$holder" || fail "the holder failed: $(cat "$tmpdir/hold")"
	wait_until 20 test-requester init
	prlimit --pid "$vssd_pid" --nofile="$soft":
fi

# One unprivileged user (any user may connect, as a writer) gets at most 64
# connections, and a connection that never says Hello is closed after 10 s:
# idle connections of one user cannot use up vssd's descriptors and lock
# everyone else out.  The holder runs as nobody from a copy in $tmpdir.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	fds_before=$(find /proc/"$vssd_pid"/fd -mindepth 1 | wc -l)
	cp "${top_builddir:-.}/test-hostile-frames" "$tmpdir/hostile-frames"
	chmod 755 "$tmpdir/hostile-frames"
	chmod o+x "$tmpdir"
	mkfifo "$tmpdir/holdin2"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$tmpdir/hostile-frames" --hold 70 \
		< "$tmpdir/holdin2" > "$tmpdir/hold2" 2>&1 &
	holder=$!
	exec 7> "$tmpdir/holdin2"
	wait_until 20 grep -q '^holding 70' "$tmpdir/hold2"
	wait_until 20 grep -q 'uid 65534 already has 64 connections: refusing more' \
		"$tmpdir/vssd.log"
	test-requester init > /dev/null || fail "root was refused while nobody held 64 connections"
	wait_until 30 grep -q 'pid [0-9]*: no Hello within 10 s: disconnecting' "$tmpdir/vssd.log"
	fds_back() { [ "$(find /proc/"$vssd_pid"/fd -mindepth 1 | wc -l)" -le "$fds_before" ]; }
	wait_until 30 fds_back
	exec 7>&-
	wait "$holder" || fail "the holder failed: $(cat "$tmpdir/hold2")"
	chmod o-x "$tmpdir"
else
	echo "not root or no setpriv: the per-user connection limit is not tried"
fi

vssd_alive
# ...and a whole backup still works after all that.
test-requester init state=component gather add-all start-retry "volume=$vol" prepare do \
	succeeded complete > "$tmpdir/r"
grep -q '^BackupComplete S_OK' "$tmpdir/r" || fail "vssd no longer runs a backup"
