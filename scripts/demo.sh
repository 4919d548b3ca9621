#!/bin/sh
# scripts/demo.sh BUILDDIR — the end-to-end demo (run by `make demo`, as root).
#
# A live SQLite database on ext4 keeps taking inserts while a persistent
# snapshot is taken through the whole VSS sequence: vssd coordinates,
# vss-writer-exec quiesces the database at Freeze, and vss-cowd, the
# copy-on-write system provider, serves the volume (an image file, through
# FUSE and a loop device) and opens the snapshot's epoch inside the
# flush-and-hold window.  The snapshot is exposed (its read-only device
# mounted by vss-cowd) and shown to hold the database as of the freeze
# while the live one has moved on; then it is deleted and everything is
# cleaned up.
#
# Everything lives in a private work dir; every process is stopped by pid,
# every mount and loop device this script made is undone, on success, on
# failure and on Ctrl-C.  Run it as often as you like.
set -eu

# ---- configuration (embedded) ----
VOLUME_SIZE=256M	# the ext4 volume (an image file served by vss-cowd)
DIFF_MAX=128MB		# its shadow storage (diff area) maximum
WRITER=sqlite-demo	# the writer's name
FREEZE_TIMEOUT=20000	# ms between Freeze and Thaw the writer allows
RUN_BEFORE=2		# seconds of inserts before the snapshot
RUN_AFTER=2		# seconds of inserts after it

BUILDDIR=${1:-.}
BUILDDIR=$(cd "$BUILDDIR" && pwd)

say() { printf '\n==> %s\n' "$*"; }
# show CMD...: prints CMD (arguments with blanks or shell characters quoted),
# then runs it
show() {
	line='$'
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./=:,{}@%+-]*) line="$line '$a'" ;;
		*) line="$line $a" ;;
		esac
	done
	printf '%s\n' "$line"
	"$@"
}
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# ---- what the demo needs ----
[ "$(id -u)" = 0 ] || die "must run as root (it makes loop devices, filesystems and mounts)"
for p in vssd vss-cowd vss-writer-exec vshadow vssadmin; do
	[ -x "$BUILDDIR/$p" ] || die "$BUILDDIR/$p is missing: build first (scripts/setup.sh)"
done
for t in losetup mkfs.ext4 mount umount sqlite3 fsfreeze; do
	command -v "$t" > /dev/null 2>&1 || die "$t is missing (scripts/setup.sh installs it)"
done
[ -e /dev/loop-control ] || modprobe loop 2> /dev/null || true
[ -e /dev/loop-control ] && losetup -f > /dev/null 2>&1 ||
	die "no free loop device (is the loop module available in this machine or container?)"
[ -c /dev/fuse ] || modprobe fuse 2> /dev/null || true
[ -c /dev/fuse ] || die "no /dev/fuse (vss-cowd serves the volume through FUSE)"
PATH=$BUILDDIR:$PATH
export PATH

# ---- cleanup: only what this run made, in reverse order ----
work="" snap_id="" vol_dev="" vol_mnt="" snap_mnt="" export_dir=""
vssd_pid="" cowd_pid="" writer_pid="" inserter_pid="" step="start" interrupted=""
cleanup() {
	rc=$?
	set +e
	trap - EXIT INT TERM HUP
	if [ -n "$interrupted" ]; then
		printf '\ndemo: interrupted during: %s\n' "$step" >&2
	elif [ $rc != 0 ]; then
		printf '\ndemo: FAILED during: %s (exit %s)\n' "$step" "$rc" >&2
	fi
	if [ -n "$work" ]; then
		: > "$work/stop" 2> /dev/null
		rm -f "$work/hold"
	fi
	for pid in $inserter_pid $writer_pid; do
		kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	done
	[ -n "$snap_mnt" ] && mountpoint -q "$snap_mnt" &&
		{ vssadmin unexpose shadow "/shadow=$snap_id" > /dev/null 2>&1 || umount "$snap_mnt"; }
	if [ -n "$vol_mnt" ] && mountpoint -q "$vol_mnt"; then
		fsfreeze -u "$vol_mnt" 2> /dev/null
		umount "$vol_mnt"
	fi
	# vss-cowd detaches its loop devices and unmounts its FUSE export on
	# SIGTERM; whatever a crashed one left is undone here
	for pid in $cowd_pid $vssd_pid; do
		kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	done
	if [ -n "$export_dir" ]; then
		for d in $(losetup -n -O NAME,BACK-FILE -l 2> /dev/null |
			awk -v e="$export_dir/" 'index($2, e) == 1 { print $1 }'); do
			losetup -d "$d"
		done
		grep -q " $export_dir fuse" /proc/mounts && umount -l "$export_dir"
	fi
	if [ -n "$work" ]; then
		if grep -q " $work" /proc/mounts; then
			echo "demo: something is still mounted under $work; left in place" >&2
		else
			rm -rf "$work"
		fi
	fi
	[ $rc = 0 ] || [ -z "$work" ] || echo "demo: cleaned up" >&2
	exit $rc
}
trap cleanup EXIT
trap 'interrupted=1; exit 130' INT TERM HUP

# wait_for SECONDS WHAT CMD...: polls CMD every 0.1 s.
wait_for() {
	n=$(($1 * 10)) what=$2
	shift 2
	while ! "$@" > /dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || die "timed out waiting for $what"
		sleep 0.1
	done
}

step="making the work dir"
say "Work dir"
work=$(mktemp -d /tmp/openvss-demo.XXXXXX)
echo "everything of this run lives in $work (removed at the end)"

step="starting vssd"
say "vssd, the coordinator, on a private socket and state dir (in the work dir)"
VSS_SOCKET=$work/vssd.sock
export VSS_SOCKET
vssd --foreground --socket "$VSS_SOCKET" --state-dir "$work/state" > "$work/vssd.log" 2>&1 &
vssd_pid=$!
wait_for 10 "vssd's socket" test -S "$VSS_SOCKET"
echo "vssd running (pid $vssd_pid), socket $VSS_SOCKET"

step="starting vss-cowd"
say "vss-cowd, the copy-on-write system provider (FUSE export in the work dir)"
export_dir=$work/export
cowd_state=$work/cowd
vss-cowd --foreground --state-dir "$cowd_state" --export-dir "$export_dir" \
	--coordinator "$VSS_SOCKET" > "$work/cowd.log" 2>&1 &
cowd_pid=$!
wait_for 15 "vss-cowd to register with vssd" grep -q 'registered with vssd' "$work/cowd.log"
echo "vss-cowd running (pid $cowd_pid), state $cowd_state"
show vssadmin list providers

step="adding the volume"
say "The volume: a $VOLUME_SIZE image served by vss-cowd as a loop device, with ext4"
show vssadmin add volume "/state-dir=$cowd_state" /name=demo "/backing=$work/volume.img" \
	"/size=$VOLUME_SIZE" /create > "$work/add.out"
cat "$work/add.out"
vol_dev=$(grep -o '/dev/loop[0-9]*' "$work/add.out" | head -n 1)
[ -b "$vol_dev" ] || die "vssadmin add volume printed no loop device"
echo "live device: $vol_dev"
say "Its shadow storage (diff area): a directory off the volume, at most $DIFF_MAX"
mkdir "$work/shadow"
show vssadmin add shadowstorage "/state-dir=$cowd_state" /for=demo "/on=$work/shadow" \
	"/maxsize=$DIFF_MAX"
show vssadmin list volumes "/state-dir=$cowd_state"
show mkfs.ext4 -q -F "$vol_dev"
vol_mnt=$work/volume
mkdir "$vol_mnt"
show mount "$vol_dev" "$vol_mnt"

step="starting the SQLite workload"
say "A live SQLite database on the volume, with inserts running in the background"
db=$vol_mnt/app.db
show sqlite3 "$db" "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, at TEXT, payload BLOB);"
# the inserting loop: holds still while $work/hold exists (says so with
# $work/held), stops when $work/stop exists
(
	while [ ! -e "$work/stop" ]; do
		if [ -e "$work/hold" ]; then
			: > "$work/held"
			sleep 0.02
			continue
		fi
		rm -f "$work/held"
		sqlite3 -cmd '.timeout 5000' "$db" \
			"INSERT INTO t(at, payload) VALUES (strftime('%H:%M:%f'), randomblob(512));"
	done
) > /dev/null 2>&1 &
inserter_pid=$!

# the writer's hooks: Freeze makes the loop hold still, checkpoints the WAL
# into the database file and notes the row count; Thaw and Abort let go
cat > "$work/hook.sh" << EOF
#!/bin/sh
set -e
case \$1 in
freeze)
	rm -f "$work/held"
	: > "$work/hold"
	n=0
	while [ ! -e "$work/held" ]; do
		n=\$((n + 1)); [ \$n -lt 500 ] || exit 75
		sleep 0.01
	done
	sqlite3 -cmd '.timeout 5000' "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
	sqlite3 "$db" 'SELECT count(*) FROM t;' > "$work/count-at-freeze"
	echo "  [writer] Freeze: inserts paused, WAL checkpointed, \$(cat "$work/count-at-freeze") rows"
	;;
thaw|abort)
	rm -f "$work/hold"
	echo "  [writer] \$VSS_EVENT: inserts resume"
	;;
esac
EOF
chmod +x "$work/hook.sh"

step="starting the writer"
say "vss-writer-exec: the database's writer, with freeze and thaw hooks"
vss-writer-exec --name "$WRITER" --level back --freeze-timeout "$FREEZE_TIMEOUT" \
	--component ":appdb" --files "$vol_mnt:app.db" \
	--on-freeze "$work/hook.sh freeze" --on-thaw "$work/hook.sh thaw" \
	--on-abort "$work/hook.sh abort" --timeout 10 > "$work/writer.log" 2>&1 &
writer_pid=$!
wait_for 10 "the writer to subscribe" sh -c "vssadmin list writers | grep -q \"'$WRITER'\""
show vssadmin list writers
sleep "$RUN_BEFORE"
echo "rows so far: $(sqlite3 "$db" 'SELECT count(*) FROM t;')"

step="taking the snapshot"
say "A persistent snapshot of $vol_dev through the full VSS sequence"
t0=$(date +%s%N)
show vshadow -p "-script=$work/shadow.env" "$vol_dev"
t1=$(date +%s%N)
echo "the writer's hooks said:"
cat "$work/writer.log"
echo "vshadow took $(( (t1 - t0) / 1000000 )) ms; in vssd's log:"
grep -E 'writes held for|flush' "$work/vssd.log" | sed 's/^vssd\[[0-9]*\] [0-9.]* /  /' || true
# shellcheck disable=SC1091
. "$work/shadow.env"
snap_id=$SHADOW_ID_1
snap_dev=$SHADOW_DEVICE_1

step="listing the snapshot"
say "The snapshot as vssd lists it, and the writer's status"
show vssadmin list shadows
show vshadow -ws

sleep "$RUN_AFTER"
step="exposing the snapshot"
say "The snapshot, exposed read-only at a directory, next to the live database"
snap_mnt=$work/snapshot
mkdir "$snap_mnt"
echo "the snapshot's device object is $snap_dev (a read-only loop device)"
# ExposeSnapshot: vss-cowd mounts the device read-only (ext4: noload, no
# journal replay)
show vshadow "-el=$snap_id,$snap_mnt"
grep " $snap_mnt " /proc/mounts
# the live volume where the database runs, and the snapshot where it is
# exposed
show vssadmin list volumes "/state-dir=$cowd_state"
at_freeze=$(cat "$work/count-at-freeze")
snap_rows=$(sqlite3 "file:$snap_mnt/app.db?immutable=1" 'SELECT count(*) FROM t;')
live_rows=$(sqlite3 -cmd '.timeout 5000' "$db" 'SELECT count(*) FROM t;')
echo "rows at freeze time (the writer's hook):  $at_freeze"
echo "rows in the snapshot:                     $snap_rows"
echo "rows in the live database now:            $live_rows"
[ "$snap_rows" = "$at_freeze" ] || die "the snapshot holds $snap_rows rows, not $at_freeze"
[ "$live_rows" -gt "$snap_rows" ] || die "the live database did not move on"
# immutable=1: the snapshot is read-only, so SQLite must not try to lock it
check=$(show sqlite3 "file:$snap_mnt/app.db?immutable=1" 'PRAGMA integrity_check;')
echo "$check"
check=$(echo "$check" | tail -n 1)
[ "$check" = ok ] || die "the snapshot's database is damaged"
echo "last row in the snapshot: $(sqlite3 "file:$snap_mnt/app.db?immutable=1" \
	'SELECT id, at FROM t ORDER BY id DESC LIMIT 1;')"
echo "last row live:            $(sqlite3 -cmd '.timeout 5000' "$db" \
	'SELECT id, at FROM t ORDER BY id DESC LIMIT 1;')"
show vssadmin unexpose shadow "/shadow=$snap_id"

step="deleting the snapshot"
say "Deleting the snapshot"
show vshadow "-ds=$snap_id"
show vssadmin list shadows
[ ! -b "$snap_dev" ] || ! losetup -n -O BACK-FILE "$snap_dev" 2> /dev/null | grep -q "$export_dir/" ||
	die "the snapshot's device $snap_dev is still attached"
echo "the snapshot's device is detached; the volume and its diff area now:"
show vssadmin list shadowstorage "/state-dir=$cowd_state"

step="stopping"
say "Stopping the workload and the writer, unmounting, stopping vss-cowd and vssd"
: > "$work/stop"
wait "$inserter_pid" 2> /dev/null || true
inserter_pid=""
echo "done: $(sqlite3 "$db" 'SELECT count(*) FROM t;') rows were inserted in all"
