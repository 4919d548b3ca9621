#!/bin/sh
# test-writer-exec — vss-writer-exec through vssd: hooks run per event with
# the documented environment, options from a config file, a failing hook
# (exit 1 -> VSS_E_WRITERERROR_NONRETRYABLE), a hook that outlives --timeout
# (killed with its process group -> VSS_E_WRITERERROR_RETRYABLE); and the
# agreement of --help with vss-writer-exec(8), and of the headers with the
# SYNOPSIS of libvss-writer(3) and libvss-provider(3).
. "${top_builddir:-.}/tests/functions.sh"
. "$top_srcdir/tests/writer-functions.sh"
set -e

# --help and the man page name the same options.
man="$top_srcdir/man/vss-writer-exec.8"
help_opts=$(vss-writer-exec --help | grep -Eo -- '--[a-z-]+' | sed 's/-$//' | sort -u)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH EXAMPLES/p' "$man" | grep -Eo -- '\\-\\-[a-z\\-]+' |
	sed 's/\\//g; s/-$//' | sort -u)
assert_eq "options of --help vs vss-writer-exec.8" "$help_opts" "$man_opts"
vss-writer-exec --version | grep -q '^vss-writer-exec ' || fail "--version"
if vss-writer-exec --name x --level middle 2>"$tmpdir/err"; then fail "bad level accepted"; fi
grep -q "bad level 'middle'" "$tmpdir/err" || fail "bad level message: $(cat "$tmpdir/err")"
if vss-writer-exec --name x --freeze-timeout 600001 2>"$tmpdir/err"; then fail "freeze timeout over 600 s accepted"; fi
grep -q "bad freeze timeout '600001' (1 to 600000 ms)" "$tmpdir/err" || fail "freeze timeout message: $(cat "$tmpdir/err")"

# Configuration file errors name the file and line.
printf 'name = x\n\nbogus = 1\n' >"$tmpdir/bad.conf"
vss-writer-exec --config "$tmpdir/bad.conf" 2>"$tmpdir/err" && fail "bad config accepted" || rc=$?
assert_eq "bad config exit status" 2 "$rc"
grep -q "bad.conf:3: unknown option 'bogus'" "$tmpdir/err" || fail "config message: $(cat "$tmpdir/err")"
longname=$(head -c 1100 /dev/zero | tr '\0' n)
timeout 20 vss-writer-exec --name "$longname" 2>"$tmpdir/err" && fail "a name of 1100 bytes accepted" || rc=$?
assert_eq "name over 1024 bytes: exit status" 2 "$rc"
timeout 20 vss-writer-exec --name x -c '{00000000-0000-0000-0000-000000000000}' 2>"$tmpdir/err" &&
	fail "GUID_NULL accepted" || rc=$?
assert_eq "GUID_NULL class id: exit status" 2 "$rc"
grep -q "GUID_NULL" "$tmpdir/err" || fail "$(cat "$tmpdir/err")"
timeout 20 vss-writer-exec --name x -C a:b -C a:b 2>"$tmpdir/err" && fail "a component given twice accepted" || rc=$?
assert_eq "component given twice: exit status" 2 "$rc"
grep -q "component 'a:b' given twice" "$tmpdir/err" || fail "$(cat "$tmpdir/err")"
printf 'verbose = yes\n' >"$tmpdir/bad.conf"
vss-writer-exec --config "$tmpdir/bad.conf" 2>"$tmpdir/err" && fail "flag with a value accepted"
grep -q "bad.conf:1: option 'verbose' takes no value" "$tmpdir/err" || fail "$(cat "$tmpdir/err")"

# Every public function is in its page's SYNOPSIS, and nothing else.
for part in writer provider; do
	hdr=$(grep -Eo '^(vss_hr_t|void) vss_[a-z_]+\(' "$top_srcdir/include/vss/$part.h" | sort -u)
	doc=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$top_srcdir/man/libvss-$part.3" |
		grep -Eo '^(vss_hr_t|void) vss_[a-z_]+\(' | sort -u)
	assert_eq "functions of $part.h vs libvss-$part.3" "$hdr" "$doc"
done

start_vssd
start_ready prov test-provider --all --dir "$tmpdir/snaps"
truncate -s 1M "$tmpdir/vol.img"

log="$tmpdir/hooks.log"
hook="echo \"\$VSS_EVENT|\$VSS_WRITER_NAME|\$VSS_SNAPSHOT_SET_ID|\$VSS_VOLUMES|\$VSS_BACKUP_TYPE|\$VSS_CONTEXT\" >>$log"
cat >"$tmpdir/g.conf" <<CONF
# a good writer, configured from a file; its logs are off the image-file
# volume (which holds no path), so vshadow backs G up through db:main alone
name = G
level = back
component = db:main
component = db:logs:selectable
files = /var/db:*.db
on-freeze = $hook
on-thaw = $hook
CONF
vss-writer-exec --config "$tmpdir/g.conf" --on-prepare-snapshot "$hook" \
	>"$tmpdir/g.err" 2>&1 &
cleanup_fn "kill $! 2>/dev/null; wait $! 2>/dev/null"
# N's failure message, cut at 511 bytes, would end inside an 'é': the
# message loses the partial character instead of being refused
eacute=$(printf '\303\251')
long=$(for i in $(seq 300); do printf '%s' "$eacute"; done)
vss-writer-exec --name N --component a:b --on-freeze "exit 1  #$long" >"$tmpdir/n.err" 2>&1 &
cleanup_fn "kill $! 2>/dev/null; wait $! 2>/dev/null"
vss-writer-exec --name E --component a:b --timeout 1 \
	--on-prepare-snapshot "sleep 29.4711 & wait; touch '$tmpdir/e.ran-out'" >"$tmpdir/e.err" 2>&1 &
cleanup_fn "kill $! 2>/dev/null; wait $! 2>/dev/null"
for w in G N E; do wait_log "$tmpdir/vssd.log" "writer '$w' subscribed"; done

if vshadow "$tmpdir/vol.img" >"$tmpdir/vshadow.out" 2>&1; then
	fail "vshadow succeeded with failed writers"
fi
# E's hook was killed at its 1 s timeout, not waited for: had it run its
# course (29 s), it would have left e.ran-out behind before vshadow ended
[ ! -e "$tmpdir/e.ran-out" ] || fail "the hook timeout did not cut the backup short"
grep -q "writer 'N' is in failed state VSS_WS_FAILED_AT_FREEZE (VSS_E_WRITERERROR_NONRETRYABLE)" \
	"$tmpdir/vshadow.out" || fail "N: $(cat "$tmpdir/vshadow.out")"
grep -q "writer 'E' is in failed state VSS_WS_FAILED_AT_PREPARE_SNAPSHOT (VSS_E_WRITERERROR_RETRYABLE)" \
	"$tmpdir/vshadow.out" || fail "E: $(cat "$tmpdir/vshadow.out")"
grep -q "ran longer than 1 s and was killed" "$tmpdir/e.err" || fail "E: $(cat "$tmpdir/e.err")"
if pgrep -f '^sleep 29.4711' >/dev/null; then fail "the timed-out hook's group survived"; fi

# G's hooks ran in order, with the event's environment.
assert_eq "G hooks" "PrepareForSnapshot Freeze Thaw" "$(cut -d'|' -f1 "$log" | xargs)"
set_id=$(awk -F'|' '$1 == "Freeze" { print $3 }' "$log")
case "$set_id" in {????????-????-????-????-????????????}) ;; *) fail "set id '$set_id'" ;; esac
assert_eq "G hook environment" "Freeze|G|$set_id|$tmpdir/vol.img|VSS_BT_FULL|0x00000000" \
	"$(grep '^Freeze' "$log")"

# N's message reached the requester (cut before the partial 'é')
test-requester init state=volume gather start-retry "volume=$tmpdir/vol.img" prepare do status \
	> "$tmpdir/rs" 2>&1 || fail "requester: $(cat "$tmpdir/rs")"
grep -q "^writer N VSS_WS_FAILED_AT_FREEZE VSS_E_WRITERERROR_NONRETRYABLE message=Freeze hook 'exit 1  #$eacute" \
	"$tmpdir/rs" || fail "N's failure message: $(grep '^writer N' "$tmpdir/rs")"
