#!/bin/sh
# vss-cowd's state-dir records as it reads them at start (root): a volume
# record of an older vss-cowd (no "explicit") loads and its volume is
# served; records that are damaged (a number that is not one, a name that
# is not their file's, larger than 16 KiB, a count out of range, a revert
# record with a bad id) are each logged with their path and why, change
# nothing (every record is left as it was) and the daemon serves the rest.
# A volume whose record is unreadable is listed as unavailable under its
# file's name, with why; that name is refused to a new volume; a forced
# remove forgets it (its record goes, and that of an interrupted revert).
# A path that a record cannot carry (one holding a newline) is refused
# before anything is done: a backing, a shadow storage, an exposure.  A
# persistent snapshot whose record is damaged is kept, not served, and
# served again once the record is repaired.  An interrupted revert that
# cannot be resumed (its record unreadable, its snapshot gone) leaves the
# volume served with a warning in list volumes, reported failed by query
# reverts, at every start, until a revert of it completes; removing the
# volume takes that record.
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/cowd-functions.sh"
set -e
cowd_setup

start_vssd
start_cowd; cowd_ready 1
adm add volume --name=old --backing="$tmpdir/old.img" --size=16M --create >/dev/null
stop_cowd

# the volume's record as a vss-cowd before shadow storage associations wrote it
grep -q '^explicit=0$' "$state/volumes/old.vol" || fail "no explicit=0 in $(cat "$state/volumes/old.vol")"
grep -v '^explicit=' "$state/volumes/old.vol" > "$tmpdir/old.vol"
mv "$tmpdir/old.vol" "$state/volumes/old.vol"
id="{00000000-0000-4000-8000-0000000000aa}"
printf 'name=badnum\nbacking=/srv/b.img\ndiff=/srv/b.diff\nchunk=abc\nmaxsize=1048576\n' \
	> "$state/volumes/badnum.vol"
printf 'name=other\nbacking=/srv/o.img\ndiff=/srv/o.diff\nchunk=65536\nmaxsize=1048576\n' \
	> "$state/volumes/renamed.vol"
{ printf 'name=big\nbacking=/srv/g.img\ndiff=/srv/g.diff\nchunk=65536\nmaxsize=1048576\n'
  head -c 17000 /dev/zero | tr '\0' x; echo; } > "$state/volumes/big.vol"
printf 'volume=old\nsnapshot=%s\nset=%s\ncount=0\nattributes=0\ncreated=0\n' "$id" "$id" \
	> "$state/snapshots/$id.snap"
printf 'volume=old\nsnapshot=not-an-id\n' > "$state/old.revert"
# an interrupted revert of a volume that will not open: goes with it
printf 'volume=big\nsnapshot=%s\n' "$id" > "$state/big.revert"
(cd "$state" && find . -name '*.vol' -o -name '*.snap' -o -name '*.revert' | sort |
	xargs cat | cksum) > "$tmpdir/records.before"

start_cowd; cowd_ready 2
logged() {	# PATH WHY: the log names the record and why it is refused
	grep -qF "$1: unreadable $2" "$tmpdir/cowd.log" || fail "no '$1: unreadable $2' in the log"
}
logged "$state/volumes/badnum.vol" "volume record (line 4: chunk: not a number), skipped"
logged "$state/volumes/renamed.vol" "volume record (its name other is not that of its file name), skipped"
logged "$state/volumes/big.vol" "volume record (record larger than 16 KiB), skipped"
logged "$state/snapshots/$id.snap" "snapshot record (line 4: count: out of range (1 to 64))"
logged "$state/old.revert" "revert record (line 2: snapshot: not a braced id ({8-4-4-4-12})), ignored"

# the old record's volume is served; nothing of the others is
[ -b "$(live_dev old)" ] || fail "volume old is not served"
adm list volumes --json > "$tmpdir/vols.json"
jq -e '.[] | select(.name == "old") | .state == "online"' "$tmpdir/vols.json" > /dev/null ||
	fail "old is not listed online: $(cat "$tmpdir/vols.json")"
# ... flagged, since a revert of it started and did not end
mix="the volume may hold a mix of its old data and the snapshot's"
jq -e --arg w "its revert record $state/old.revert is unreadable (line 2: snapshot: not a braced id ({8-4-4-4-12})): $mix" \
	'.[] | select(.name == "old") | .warning == $w' "$tmpdir/vols.json" > /dev/null ||
	fail "old carries no warning of its unreadable revert record: $(cat "$tmpdir/vols.json")"
adm list volumes | grep -A8 '^Volume: old$' | grep -qF "Warning: its revert record $state/old.revert" ||
	fail "the text listing shows no warning: $(adm list volumes)"
for n in badnum renamed big; do
	jq -e --arg n "$n" --arg s "$state" '[.[] | select(.name == $n)] | length == 1 and
		(.[0] | .state == "unavailable" and .backing == null and .diff == null and
		 (.error | startswith("its record " + $s + "/volumes/" + $n + ".vol is unreadable: ")))' \
		"$tmpdir/vols.json" > /dev/null ||
		fail "volume $n (unreadable record) not listed unavailable: $(cat "$tmpdir/vols.json")"
done
jq -e '[.[] | select(.name == "other")] | length == 0' "$tmpdir/vols.json" > /dev/null ||
	fail "a renamed record's inner name is listed"
adm list volumes | grep -A3 '^Volume: big$' | grep -q 'Backing: (unknown)' ||
	fail "the text listing does not say the backing is unknown: $(adm list volumes)"
# no "explicit": an association when the diff area is not in the state dir
adm list shadowstorage --json > "$tmpdir/storage.json"
grep -q '"explicit": *false' "$tmpdir/storage.json" ||
	fail "old's default storage is taken for an association: $(cat "$tmpdir/storage.json")"
must_fail() {	# PATTERN CMD...: CMD fails, its error matches PATTERN
	local pat=$1 out
	shift
	if out=$("$@" 2>&1); then fail "'$*' worked: $out"; fi
	echo "$out" | grep -q -- "$pat" || fail "'$*': expected '$pat' in: $out"
}
# the name of a volume whose record is unreadable is not given away
must_fail "is registered but could not be opened" adm add volume --name=badnum \
	--backing="$tmpdir/badnum.img" --size=16M --create
[ ! -e "$tmpdir/badnum.img" ] || fail "a refused add left a file"
must_fail "could not be opened" adm remove volume --name=big
(cd "$state" && find . -name '*.vol' -o -name '*.snap' -o -name '*.revert' | sort |
	xargs cat | cksum) | cmp -s - "$tmpdir/records.before" || fail "the records changed"
# a forced remove forgets it: its record goes, nothing else
adm remove volume --name=big --force > /dev/null || fail "remove --force of big failed"
[ ! -e "$state/volumes/big.vol" ] || fail "big's record is still there"
[ ! -e "$state/big.revert" ] || fail "big's revert record is still there"
adm list volumes --json | jq -e '[.[] | select(.name == "big")] | length == 0' > /dev/null ||
	fail "big is still listed"
[ -e "$state/volumes/badnum.vol" ] && [ -e "$state/volumes/renamed.vol" ] ||
	fail "a forced remove took another record"

# Under valgrind the clients run through "libtool --mode=execute", which
# cuts an argument at a newline: these run as built (the daemon that
# refuses stays under valgrind).
asbuilt() {
	local p=$1
	shift
	if [ -n "${VSS_VALGRIND:-}" ]; then
		LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
			"$top_builddir/.libs/$p" "$@"
	else
		"$p" "$@"
	fi
}
nladm() { asbuilt vss-cowadm --state-dir "$state" "$@"; }
nl=$(printf 'a\nb')
mkdir "$tmpdir/$nl"
must_fail "holds a newline" nladm add volume --name=nl --backing="$tmpdir/$nl.img" --size=16M --create
[ ! -e "$tmpdir/$nl.img" ] && [ ! -e "$state/volumes/nl.vol" ] || fail "a refused add left a file"
must_fail "holds a newline" nladm add volume --name=nl --backing="$tmpdir/n.img" --size=16M --create \
	--diff="$tmpdir/$nl/n.diff"
[ ! -e "$tmpdir/n.img" ] && [ ! -e "$state/volumes/nl.vol" ] || fail "a refused add left a file"
cp "$state/volumes/old.vol" "$tmpdir/vol.before"
must_fail "holds a newline" nladm add shadowstorage --for=old --on="$tmpdir/$nl"
cmp -s "$state/volumes/old.vol" "$tmpdir/vol.before" || fail "old's record changed"
[ -z "$(ls "$tmpdir/$nl")" ] || fail "a refused shadow storage left a file: $(ls "$tmpdir/$nl")"
vshadow -nw -p "$(live_dev old)" > "$tmpdir/vs.out" 2>&1 || fail "vshadow -p failed: $(cat "$tmpdir/vs.out")"
sid=$(test-requester init context=ffffffff props | awk '$1 == "props" { print $2; exit }')
cp "$state/snapshots/$sid.snap" "$tmpdir/snap.before"
must_fail "holds a newline" asbuilt vssadmin expose shadow "/shadow=$sid" "/mount=$tmpdir/$nl"
cmp -s "$state/snapshots/$sid.snap" "$tmpdir/snap.before" || fail "the snapshot's record changed"
grep -q " $tmpdir/a" /proc/mounts && fail "the snapshot was mounted"
stop_cowd

# A persistent snapshot whose record is damaged is not one never made: its
# data stays in the diff area, unserved, until the record is repaired (it
# is served again) or removed (then it is deleted as never completed).
listed() { adm list volumes --json | grep -qF "\"$sid\""; }
snap=$state/snapshots/$sid.snap
sed 's/^count=.*/count=0/' "$tmpdir/snap.before" > "$snap"
cp "$snap" "$tmpdir/snap.damaged"
start_cowd; cowd_ready 3
grep -qF "snapshot $sid is kept in the diff area but not served" "$tmpdir/cowd.log" ||
	fail "the damaged record's snapshot is not reported kept"
grep -qF "snapshot $sid was never completed" "$tmpdir/cowd.log" &&
	fail "the damaged record's snapshot was deleted"
listed && fail "the snapshot of a damaged record is served"
cmp -s "$snap" "$tmpdir/snap.damaged" || fail "the damaged record changed"
stop_cowd
cp "$tmpdir/snap.before" "$snap"
# and an interrupted revert whose snapshot is gone: not resumed, flagged
# (and reported failed) at every start, until a revert of the volume ends
gone="{00000000-0000-4000-8000-0000000000bb}"
printf 'volume=old\nsnapshot=%s\n' "$gone" > "$state/old.revert"
warned() {
	adm list volumes --json | jq -e --arg w "an interrupted revert to snapshot $gone could not be resumed (the snapshot is gone): $mix" \
		'.[] | select(.name == "old") | .warning == $w' > /dev/null
}
start_cowd; cowd_ready 4
listed || fail "the snapshot is not served again once its record is repaired"
warned || fail "no warning of the revert that cannot resume: $(adm list volumes --json)"
vssadmin query reverts "/for=$(live_dev old)" > "$tmpdir/qr.out" 2>&1
grep -q "Status: VSS_E_PROVIDER_VETO" "$tmpdir/qr.out" ||
	fail "the revert that cannot resume is not reported failed: $(cat "$tmpdir/qr.out")"
[ -e "$state/old.revert" ] || fail "the record of the revert that cannot resume is gone"
stop_cowd
start_cowd; cowd_ready 5
warned || fail "the warning is gone after a restart: $(adm list volumes --json)"
vssadmin revert shadow "/shadow=$sid" /quiet > "$tmpdir/rv.out" 2>&1 ||
	fail "revert failed: $(cat "$tmpdir/rv.out")"
wait_until 60 sh -c "! test -e '$state/old.revert'" || fail "the revert did not end"
adm list volumes --json | jq -e '.[] | select(.name == "old") | .warning == null' > /dev/null ||
	fail "a completed revert left the warning: $(adm list volumes --json)"
stop_cowd
rm "$snap"
start_cowd; cowd_ready 6
grep -qF "snapshot $sid was never completed: deleted" "$tmpdir/cowd.log" ||
	fail "the snapshot of a removed record was not deleted"
listed && fail "the snapshot of a removed record is still served"
stop_cowd
# removing the volume takes the record of a revert it could not resume
printf 'volume=old\nsnapshot=%s\n' "$gone" > "$state/old.revert"
start_cowd; cowd_ready 7
warned || fail "no warning of the revert that cannot resume: $(adm list volumes --json)"
adm remove volume --name=old --force > /dev/null || fail "remove of old failed"
[ ! -e "$state/old.revert" ] || fail "the revert record outlived its volume"
stop_cowd
cowd_no_leftovers
