#!/bin/sh
# Registered volumes that vss-cowd cannot open when it starts (root): one
# whose diff area is damaged (both superblocks overwritten), one whose
# backing file is gone.  Neither is served nor changed; list volumes shows
# each as unavailable with why (text and JSON) beside a volume served as
# before; add volume refuses their names, backings and diff areas; remove
# volume refuses without --force, and with it forgets the record (and
# those of its snapshots) and leaves both files; the damaged one can then be added again with the data
# of its backing intact, and the other comes back by itself once its
# backing is back.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup

st() { adm list volumes --json | awk -F'"' -v n="$1" '
	/"name"/ { cur = $4 } /"state"/ && cur == n { print $4; exit }'; }
must_fail() {	# PATTERN CMD...: CMD fails, its error matches PATTERN
	local pat=$1 out
	shift
	if out=$("$@" 2>&1); then fail "'$*' worked: $out"; fi
	echo "$out" | grep -q -- "$pat" || fail "'$*': expected '$pat' in: $out"
}

start_vssd
start_cowd; cowd_ready 1
for v in bad gone good; do
	adm add volume --name=$v --backing="$tmpdir/$v.img" --size=16M --create >/dev/null
done
head -c 4194304 /dev/urandom > "$tmpdir/pattern"
dd if="$tmpdir/pattern" of="$(live_dev bad)" bs=1M oflag=direct conv=fsync status=none
dd if="$tmpdir/pattern" of="$(live_dev good)" bs=1M oflag=direct conv=fsync status=none
vshadow -nw -p "$(live_dev bad)" > "$tmpdir/vs.out" 2>&1 || fail "vshadow -p failed: $(cat "$tmpdir/vs.out")"
stop_cowd
nrec() { ls "$state/snapshots" | grep -c '\.snap$' || true; }
assert_eq "snapshot records" 1 "$(nrec)"

dd if=/dev/urandom of="$state/bad.diff" bs=64k count=1 conv=notrunc status=none
mv "$tmpdir/gone.img" "$tmpdir/gone.away"
sums() { cat "$state/bad.diff" "$tmpdir/bad.img" "$state/gone.diff" | cksum; }
before=$(sums)

start_cowd; cowd_ready 2
grep -q "volume bad: the diff area $state/bad.diff is damaged" "$tmpdir/cowd.log" ||
	fail "no damaged diff area in the log"
assert_eq "bad, JSON" unavailable "$(st bad)"
assert_eq "gone, JSON" unavailable "$(st gone)"
assert_eq "good, JSON" online "$(st good)"
adm list volumes --json | grep -q '"error":"cannot open .*gone.img.*No such file' ||
	fail "no reason for gone in the JSON"
adm list volumes | grep -q "^   State: unavailable: the diff area $state/bad.diff is damaged" ||
	fail "no reason for bad in the text listing"
cmp -n 4194304 "$tmpdir/pattern" "$(live_dev good)" || fail "good does not read as written"
[ -z "$(live_dev bad)" ] || fail "bad has a live device"

must_fail "could not be opened" adm add volume --name=bad --backing="$tmpdir/new.img" --size=16M --create
must_fail "registered to volume bad" adm add volume --name=new --backing="$tmpdir/bad.img"
must_fail "registered to volume gone" adm add volume --name=new --backing="$tmpdir/x.img" --size=16M --create --diff="$state/gone.diff"
must_fail "--force" adm remove volume --name=bad
must_fail "no volume named" adm remove volume --name=nosuch --force
assert_eq "files after the refusals" "$before" "$(sums)"

assert_eq "snapshot records kept while unavailable" 1 "$(nrec)"
adm remove volume --name=bad --force
[ "$(st bad)" = "" ] || fail "bad is still listed"
[ ! -e "$state/volumes/bad.vol" ] || fail "bad's record is still there"
assert_eq "snapshot records after the removal" 0 "$(nrec)"
assert_eq "files after the removal" "$before" "$(sums)"
dev=$(adm add volume --name=bad --backing="$tmpdir/bad.img")
cmp -n 4194304 "$tmpdir/pattern" "$dev" || fail "bad, added again, lost its data"
assert_eq "bad, added again" online "$(st bad)"

# the backing back: the record kept, the volume served after a restart
stop_cowd
mv "$tmpdir/gone.away" "$tmpdir/gone.img"
start_cowd; cowd_ready 3
assert_eq "gone, its backing back" online "$(st gone)"
stop_cowd
cowd_no_leftovers
echo "unavailable volumes: listed, refused, removed, added again"
