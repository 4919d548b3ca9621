# tests/cowd-functions.sh — helpers of the vss-cowd tests, sourced after
# functions.sh (whose cleanup_fn, wait_until, fail, VSS_SOCKET... they use).
#
#   cowd_setup            state/export dirs in $tmpdir, the skip checks, and
#                         the cleanup of everything a vss-cowd may leave: its
#                         FUSE mount and loop devices over files in the export
#                         dir (registered before the daemon's own cleanup, so
#                         they run after it).  Mounts a test makes it
#                         registers itself (cleanup_fn "umount ...").
#   start_cowd            vss-cowd in the foreground on $VSS_SOCKET; sets
#                         cowd_pid; log in $tmpdir/cowd.log
#   cowd_ready N          waits for the daemon's N-th registration with vssd
#   stop_cowd             SIGTERM and wait; fails unless it exits 0
#   adm ARGS...           vss-cowadm on this daemon's state dir
#   live_dev [NAME]       the live loop device of volume NAME (default: the first)
#   cowd_no_leftovers     fails if the FUSE mount or a loop device over the
#                         export dir is still there
#   cowd_umount DIR...    for cleanups: thaws and unmounts each DIR if
#                         mounted, retrying for 10 s while it is busy (a
#                         probe still writing), so that no filesystem is
#                         left on a loop device of a stopped vss-cowd

cowd_setup() {
	requires_root
	requires losetup --version
	requires test -c /dev/fuse
	requires test -e /dev/loop-control
	state=$tmpdir/cowd-state
	export_dir=$tmpdir/export
	cleanup_fn "for d in \$(losetup -n -O NAME,BACK-FILE -l 2>/dev/null | awk -v e='$export_dir/' 'index(\$2, e) == 1 { print \$1 }'); do losetup -d \$d; done"
	cleanup_fn "grep -q ' $export_dir fuse' /proc/mounts && umount -l '$export_dir'"
	cowd_pid=
	cleanup_fn 'if [ -n "$cowd_pid" ]; then kill $cowd_pid 2>/dev/null; wait $cowd_pid 2>/dev/null; fi'
}

adm() { vss-cowadm --state-dir "$state" "$@"; }

start_cowd() {
	vss-cowd --foreground -v --state-dir "$state" --export-dir "$export_dir" \
		--coordinator "$VSS_SOCKET" >> "$tmpdir/cowd.log" 2>&1 &
	cowd_pid=$!
}
cowd_ready() { wait_until 15 count_is 'registered with vssd' "$tmpdir/cowd.log" "$1"; }
stop_cowd() {
	kill "$cowd_pid"
	wait "$cowd_pid" || fail "vss-cowd exited with status $?"
	cowd_pid=
}

live_dev() {
	adm list volumes --json | awk -F'"' -v n="${1:-}" '
		/"name"/ && !s { cur = $4 }
		/"snapshots"/ { s = 1 } /^ *\]/ { s = 0 }
		!s && /"device"/ && (n == "" || cur == n) { print $4; exit }'
}

cowd_no_leftovers() {
	grep -q " $export_dir fuse" /proc/mounts && fail "the FUSE mount was left behind"
	losetup -n -O BACK-FILE -l | grep -q "$export_dir/" && fail "a loop device was left behind"
	return 0
}

cowd_umount() {
	local d i
	for d in "$@"; do
		fsfreeze -u "$d" 2>/dev/null
		for i in $(seq 50); do
			grep -q " $d " /proc/mounts || break
			umount "$d" 2>/dev/null && break
			sleep 0.2
		done
	done
	return 0
}
