# tests/freeze-functions.sh — probes of the flush-and-hold tests, sourced
# after functions.sh (test-freeze.sh, test-freeze-btrfs.sh).

# writable MNT: a new file can be created within 3 s.
writable() { timeout 3 sh -c "echo x > $1/probe.\$\$ && rm -f $1/probe.\$\$"; }
# held MNT...: creating a file on each blocks for 0.5 s.  (A write to a
# frozen filesystem sleeps uninterruptibly, so the probes run in the
# background and are only looked at; they finish after the thaw.)
held() {
	local pids="" m p
	for m in "$@"; do
		sh -c "echo x > $m/held.\$\$" &
		pids="$pids $!"
	done
	sleep 0.5
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || return 1
	done
}
