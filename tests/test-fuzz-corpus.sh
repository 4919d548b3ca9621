#!/bin/sh
# Every fuzz target, built with the compiler of this build (no libFuzzer),
# replays its seeds and the crashes kept in fuzz/corpus: the targets keep
# building, and what a fuzzer once found stays fixed.  Under
# `make check-sanitizers` this runs with ASan and UBSan.
. "${top_builddir:-.}/tests/functions.sh"
set -e
for t in frame wmd bcd cowctl cowdiff reflink-meta registry; do
	[ -d "$top_srcdir/fuzz/corpus/$t" ] || fail "no corpus for $t"
	rc=0
	"$top_builddir/fuzz/replay-$t" "$top_srcdir/fuzz/corpus/$t" > "$tmpdir/$t.out" 2>&1 || rc=$?
	[ $rc = 0 ] || fail "fuzz target $t: exit status $rc on its corpus: $(tail -5 "$tmpdir/$t.out")"
	grep -q ' [1-9][0-9]* inputs\? replayed' "$tmpdir/$t.out" || fail "$t replayed nothing"
	cat "$tmpdir/$t.out"
done
