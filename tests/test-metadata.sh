#!/bin/sh
# End to end (issue 3): a writer built with the libvss writer API
# (test-metadata-writer) is identified through vssd and examined by a
# requester (test-metadata-requester): every field of its Writer Metadata
# Document, and every value the requester and the writer put into the
# Backup Components Document during a backup, arrives intact, non-ASCII
# names and paths with spaces, '&', '<' and '"' included.  The saved
# document passes `vss-xml check`.  Then a writer that adds a component at
# PostSnapshot: vssd refuses its edited document, the BCD keeps the
# original components.
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
vol=$tmpdir/vol1.img
: > "$vol"
start_ready prov test-provider --volume "$vol" --dir "$tmpdir/snaps"

# 1. The faithful writer.
start_ready writer test-metadata-writer
vg test-metadata-requester "$vol" "$tmpdir/bcd.xml" > "$tmpdir/req.out" 2>&1 || {
	cat "$tmpdir/req.out" "$tmpdir/writer.err" >&2
	fail "the documents did not arrive intact"
}
grep -qx 'wmd checked' "$tmpdir/req.out" || fail "the WMD was not checked"
grep -qx 'bcd checked' "$tmpdir/req.out" || fail "the BCD was not checked"
grep -q 'BackupComplete: every value arrived' "$tmpdir/writer.err" ||
	fail "the writer did not see every value at BackupComplete"
vss-xml check "$tmpdir/bcd.xml" > "$tmpdir/check.out" 2>&1 || {
	cat "$tmpdir/check.out" >&2
	fail "vss-xml check refuses the saved Backup Components Document"
}
# the raw document holds the strings escaped, not mangled
grep -q 'Données &amp; Co\\ö' "$tmpdir/bcd.xml" || fail "logical path not in the saved BCD"
kill "$writer_pid"
wait "$writer_pid" || fail "test-metadata-writer exited with status $?"

# 2. The rogue writer adds a component at PostSnapshot.
start_ready rogue test-metadata-writer --rogue
vg test-metadata-requester --rogue "$vol" "$tmpdir/bcd2.xml" > "$tmpdir/req2.out" 2>&1 || {
	cat "$tmpdir/req2.out" "$tmpdir/rogue.err" >&2
	fail "the rogue writer's component or its PostSnapshot values reached the BCD"
}
grep -q 'rogue: added component' "$tmpdir/rogue.err" || fail "the rogue writer added nothing"
grep -q 'cannot be merged' "$tmpdir/vssd.log" || fail "vssd did not log the refused document"
vss-xml check "$tmpdir/bcd2.xml" > /dev/null || fail "vss-xml check refuses the second BCD"
kill "$rogue_pid"
wait "$rogue_pid" || fail "test-metadata-writer --rogue exited with status $?"
vssd_alive
