#!/bin/sh
# test-manpages-api — every public function has a man page (STYLE habit 12)
# and every page a man page points to exists.
#
# 1. Every function libvss.so exports under the vss_ prefix is declared, as
#    "name(", in the SYNOPSIS of some man/*.3 page.  (vsserr_* are exported
#    for vssd and vss-cowd only: src/libvss/libvss.sym says why; no public
#    header declares them, so they are not checked.)
# 2. Every reference to a section 3 or 7 page in a SEE ALSO section, and
#    every reference anywhere to a section 3 or 7 page whose name starts
#    with vss or libvss, names a page in man/ (the others, free(3) and the
#    like, are the system's).
# Each missing function and each dangling reference is named.
. "${top_builddir:-.}/tests/functions.sh"
man="$top_srcdir/man"
lib="$top_builddir/.libs/libvss.so"

requires nm --version
[ -f "$lib" ] || fail "$lib not found (build first)"

errors=0

# 1. exported functions against the SYNOPSIS sections of section 3
nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	grep '^vss_' | sort -u > "$tmpdir/exported"
[ -s "$tmpdir/exported" ] || fail "no vss_ function exported by $lib"
for page in "$man"/*.3; do
	sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$page"
done | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' |
	grep -o 'vss_[A-Za-z0-9_]*(' | tr -d '(' | sort -u > "$tmpdir/documented"
for f in $(comm -23 "$tmpdir/exported" "$tmpdir/documented"); do
	echo "FAIL: $f is exported by libvss.so but in no SYNOPSIS of man/*.3"
	errors=$((errors + 1))
done
echo "$(wc -l < "$tmpdir/exported") exported vss_ functions checked"

# 2. references to section 3 and 7 pages
for page in "$man"/*.[1-8]; do
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" | awk -v page="${page##*/}" '
	/^\.SH/ { see_also = ($0 ~ /SEE ALSO/); next }
	{
		s = $0
		# ".BR name (3)" and "name(3)"
		while (match(s, /[A-Za-z0-9_.-]+"? *\(([37])\)/)) {
			ref = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			name = ref; sub(/"? *\(.*/, "", name)
			sect = ref; sub(/.*\(/, "", sect); sub(/\).*/, "", sect)
			if (see_also || name ~ /^(lib)?vss/)
				print page, name, sect
		}
	}'
done | sort -u > "$tmpdir/refs"
checked=0
while read -r page name sect; do
	checked=$((checked + 1))
	[ -f "$man/$name.$sect" ] && continue
	echo "FAIL: $page refers to $name($sect), which is not in man/"
	errors=$((errors + 1))
done < "$tmpdir/refs"
echo "$checked references to section 3 and 7 pages checked"
[ "$checked" -gt 0 ] || fail "no reference found: is the pattern broken?"

[ $errors = 0 ] || fail "$errors undocumented function(s) or dangling reference(s)"
