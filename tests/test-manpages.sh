#!/bin/sh
# --help and the man page agree (STYLE habit 12): for every program the
# build installs (bin_PROGRAMS and sbin_PROGRAMS), the options its --help
# lists and the options the OPTIONS and COMMANDS sections of its man page
# (man/PROG.1 or man/PROG.8) list are the same set.  Any option in one and
# not in the other, and any program without a man page, fails the test with
# the program and the option named.
#
# Options are the option-shaped words (-x, --long, -wx, /name, -?) at the
# start of a --help line, up to the description, and in the tag line of a
# man page's .TP / .IP entry; "=VALUE" and "[=VALUE]" are dropped.
. "${top_builddir:-.}/tests/functions.sh"

# the Makefile passes bin_PROGRAMS and sbin_PROGRAMS
progs=${VSS_INSTALLED_PROGRAMS:-}
[ -n "$progs" ] || fail "VSS_INSTALLED_PROGRAMS is not set (run me through make check)"

# help_options: option words at the start of the lines of --help on stdin.
help_options() {
	awk '
	/^[ \t]*[-\/]/ {
		n = split($0, t, /[ \t,]+/)
		prev_opt = 0
		for (i = 1; i <= n; i++) {
			if (t[i] == "") continue
			if (t[i] ~ /^(--?[A-Za-z0-9?][A-Za-z0-9?-]*|\/[a-z][a-z0-9]*)([=[].*)?$/) {
				o = t[i]; sub(/[=[].*/, "", o); print o; prev_opt = 1
			} else if (prev_opt) {
				prev_opt = 0	# the option argument (PATH, WHAT=MS)
			} else {
				break		# the description
			}
		}
	}' | sort -u
}

# man_options FILE: option words of the tag lines in its OPTIONS and
# COMMANDS sections (troff: \- is -, font escapes and quotes dropped).
man_options() {
	sed -e 's/\\-/-/g' -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Za-z][A-Za-z]//g' \
		-e 's/\\f[A-Za-z1-4]//g' -e 's/\\(em/ /g' -e 's/\\&//g' "$1" |
	awk '
	/^\.SH/ { sect = ($0 ~ /OPTIONS|COMMANDS/); tag = 0; next }
	!sect { next }
	/^\.TP/ { tag = 1; next }
	/^\.IP/ { line = $0; sub(/^\.IP[ \t]*/, "", line); gsub(/"/, "", line); if (line != "") { emit(line) } next }
	/^\.PD/ { next }
	tag { tag = 0; emit(join($0)) }
	# the text of a tag line: the alternating-font macros (.BR, .BI ...)
	# join their arguments without spaces, the others with one
	function join(s,   m, sep, out, c, q, arg, i) {
		if (s !~ /^\./) return s
		m = s; sub(/[ \t].*/, "", m); sub(/^\.[A-Z]+[ \t]*/, "", s)
		sep = (m ~ /^\.(BR|BI|IB|IR|RB|RI)$/) ? "" : " "
		out = ""; arg = ""; q = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"") { q = !q; continue }
			if (!q && (c == " " || c == "\t")) {
				if (arg != "") { out = out (out == "" ? "" : sep) arg; arg = "" }
				continue
			}
			arg = arg c
		}
		if (arg != "") out = out (out == "" ? "" : sep) arg
		return out
	}
	function emit(s,   n, t, i, o) {
		n = split(s, t, /[ \t,|]+/)
		for (i = 1; i <= n; i++) {
			if (t[i] ~ /^(--?[A-Za-z0-9?][A-Za-z0-9?-]*|\/[a-z][a-z0-9]*)([=[].*)?$/) {
				o = t[i]; sub(/[=[].*/, "", o); print o
			}
		}
	}' | sort -u
}

errors=0
checked=0
for p in $progs; do
	page=
	for s in 1 8; do
		[ -f "$top_srcdir/man/$p.$s" ] && page=$top_srcdir/man/$p.$s && break
	done
	if [ -z "$page" ]; then
		echo "FAIL: $p: no man page (man/$p.1 or man/$p.8)"
		errors=$((errors + 1))
		continue
	fi
	"$p" --help > "$tmpdir/$p.help" 2>&1 ||
		{ echo "FAIL: $p: --help exits with status $?"; errors=$((errors + 1)); continue; }
	help_options < "$tmpdir/$p.help" > "$tmpdir/$p.h"
	man_options "$page" > "$tmpdir/$p.m"
	[ -s "$tmpdir/$p.h" ] || { echo "FAIL: $p: no option found in --help"; errors=$((errors + 1)); }
	[ -s "$tmpdir/$p.m" ] || { echo "FAIL: $p: no option found in ${page##*/}"; errors=$((errors + 1)); }
	before=$errors
	for o in $(comm -23 "$tmpdir/$p.h" "$tmpdir/$p.m"); do
		echo "FAIL: $p: option $o is in --help but not in ${page##*/}"
		errors=$((errors + 1))
	done
	for o in $(comm -13 "$tmpdir/$p.h" "$tmpdir/$p.m"); do
		echo "FAIL: $p: option $o is in ${page##*/} but not in --help"
		errors=$((errors + 1))
	done
	[ $errors != "$before" ] ||
		echo "$p: $(wc -l < "$tmpdir/$p.h") options, --help and ${page##*/} agree"
	checked=$((checked + 1))
done
[ $errors = 0 ] || fail "$errors disagreement(s) between --help and the man pages"
[ $checked -gt 0 ] || fail "no program checked"
