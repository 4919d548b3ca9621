#!/bin/sh
# test-cowd-man — vss-cowd(8) and vss-cowadm(8) document exactly the
# options their --help lists, and have the usual sections.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
man="$top_srcdir/man"

help_opts() {
	"$1" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' | tr ',' '\n' |
		sed -E 's/^ +//; s/[= ].*//' | grep -E '^-' | sort -u
}
man_opts() {
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | sed -n '/^\.TP/{n;p}' |
		sed -E 's/^\.[BIR]+ //; s/\\-/-/g; s/"//g' | tr ' ,' '\n\n' |
		grep -E '^-' | sed -E 's/=.*//' | sort -u
}
for prog in vss-cowd vss-cowadm; do
	page="$man/$prog.8"
	help_opts "$prog" >"$tmpdir/help"
	man_opts "$page" >"$tmpdir/man"
	[ -s "$tmpdir/help" ] || fail "$prog: no option found in --help"
	diff -u "$tmpdir/help" "$tmpdir/man" || fail "$prog --help and $page disagree"
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
		grep -q "^\.SH $s\$" "$page" || fail "$page lacks $s"
	done
	"$prog" --version | grep -q "^$prog " || fail "$prog --version"
done
# every command of vss-cowadm's usage is in its page
vss-cowadm --help | sed -n 's/^  \(add\|remove\|list\) volumes\{0,1\}.*/\1/p' | while read -r verb; do
	grep -q "^\.B $verb volume" "$man/vss-cowadm.8" || fail "vss-cowadm(8) lacks '$verb volume'"
done
