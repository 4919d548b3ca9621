#!/bin/sh
# test-requester-man — the manuals of the requester side agree with the
# programs and the header: vshadow(1) and vssadmin(8) document exactly the
# options their --help lists; libvss-backup(3) declares exactly the
# functions of <vss/backup.h>, says for each call its states and errors,
# and its example compiles.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
man="$top_srcdir/man"

# options of --help: the first column of lines that start with " -" or " /"
help_opts() {
	"$1" --help | grep -E '^ +[-/]' | sed -E 's/^ +//; s/  .*//' | tr ',' '\n' |
		sed -E 's/^ +//; s/[= ].*//' | grep -E '^[-/]' | sort -u
}
# options of a page: the tags (.TP's next line) of OPTIONS and COMMANDS
man_opts() {
	sed -n '/^\.SH OPTIONS/,/^\.SH EXIT/p' "$1" | sed -n '/^\.TP/{n;p}' |
		sed -E 's/^\.[BIR]+ //; s/\\-/-/g; s/"//g' | tr ' ,' '\n\n' |
		grep -E '^[-/]' | sed -E 's/=.*//' | sort -u
}
for p in vshadow:1 vssadmin:8; do
	prog=${p%:*}
	page="$man/$prog.${p#*:}"
	help_opts "$prog" >"$tmpdir/help"
	man_opts "$page" >"$tmpdir/man"
	[ -s "$tmpdir/help" ] || fail "$prog: no option found in --help"
	diff -u "$tmpdir/help" "$tmpdir/man" || fail "$prog --help and $page disagree"
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
		grep -q "^\.SH $s\$" "$page" || fail "$page lacks $s"
	done
	grep -q VSS_SOCKET "$page" || fail "$page lacks VSS_SOCKET"
done

# vssadmin(8): the SYNOPSIS has the usage lines of --help, word for word
# (troff rendered by hand: .br ends a line, the alternating-font macros join
# their arguments, font escapes go; --help's continuation lines are joined)
sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man/vssadmin.8" | sed -e 's/\\-/-/g' \
	-e 's/\\f[BIRP]//g' -e 's/\\&//g' | awk '
	/^\.SH/ { next }
	/^\.br/ { if (line != "") print line; line = ""; next }
	{
		m = $0; sub(/[ \t].*/, "", m); s = $0; sub(/^\.[A-Z]+[ \t]*/, "", s)
		sep = (m ~ /^\.(BR|BI|IB|IR|RB|RI)$/) ? "" : " "
		out = ""; arg = ""; q = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"") { q = !q; continue }
			if (!q && c == " ") {
				if (arg != "") { out = out (out == "" ? "" : sep) arg; arg = "" }
				continue
			}
			arg = arg c
		}
		if (arg != "") out = out (out == "" ? "" : sep) arg
		line = line (line == "" ? "" : " ") out
	}
	END { if (line != "") print line }' | grep -v -e '--help' >"$tmpdir/syn.man"
vssadmin --help | sed -n '/^Usage:/,/^$/p' | sed '1d;/^$/d' |
	awk '/^      / { sub(/^ +/, " "); prev = prev $0; next }
	{ if (prev != "") print prev; prev = $0 } END { print prev }' |
	sed -E 's/^ +//; s/ +/ /g' >"$tmpdir/syn.help"
diff -u "$tmpdir/syn.help" "$tmpdir/syn.man" ||
	fail "vssadmin --help usage and the SYNOPSIS of vssadmin.8 disagree"

# libvss-backup(3): the SYNOPSIS is the header's function list
page="$man/libvss-backup.3"
hdr="$top_srcdir/include/vss/backup.h"
fnames() { sed -nE 's/^(vss_hr_t|void) +(vss_[a-z0-9_]+)\(.*/\2/p' | sort -u; }
fnames <"$hdr" >"$tmpdir/hdr"
sed -n '/^\.SH SYNOPSIS/,/^\.fi/p' "$page" | fnames >"$tmpdir/syn"
diff -u "$tmpdir/hdr" "$tmpdir/syn" || fail "libvss-backup.3 SYNOPSIS and backup.h disagree"
# every call but the constructors and frees has its states and errors
sed -n '/^\.SH STATES AND ERRORS/,/^\.SH ENVIRONMENT/p' "$page" >"$tmpdir/states"
grep -Ev '_(new|free|array_free)$' "$tmpdir/hdr" | while read -r f; do
	grep -q "$f" "$tmpdir/states" || fail "libvss-backup.3: no states for $f"
done

# the example compiles against the header and links against libvss
if command -v "${CC:-cc}" >/dev/null 2>&1; then
	sed -n '/^#include <stdio.h>/,/^}/p' "$page" | sed 's/\\e/\\/g' >"$tmpdir/ex.c"
	"${CC:-cc}" -std=gnu11 -Wall -Werror -I"$top_srcdir/include" "$tmpdir/ex.c" \
		-o "$tmpdir/ex" -L"$top_builddir/.libs" -lvss || fail "the example does not build"
fi
