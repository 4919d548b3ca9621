#!/bin/sh
# test-requester-tools — golden output of vssadmin and vshadow against a
# real vssd on a private socket, with test-writer instances subscribed:
# text and --json listings, the empty cases, exit codes for bad parameters,
# unknown objects.  Ids, pids and the
# version are masked before comparing.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
requires_root	# vssd lets only root (or its group) act as requester

. "$top_srcdir/tests/requester-lib.sh"
start_vssd

start_ready alpha test-writer --name alpha --level back --freeze-timeout 5000
start_ready beta test-writer --name beta --component "data:main:selectable"

cat >"$tmpdir/writers.exp" <<'EOF'
vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)

Writer name: 'alpha'
   Writer Id: {ID}
   Writer Instance Id: {ID}
   State: [1] Stable
   Last error: No error
   Level: VSS_APP_BACK_END
   Process Id: PID

Writer name: 'beta'
   Writer Id: {ID}
   Writer Instance Id: {ID}
   State: [1] Stable
   Last error: No error
   Level: VSS_APP_FRONT_END
   Process Id: PID

EOF
check writers 0 vssadmin list writers

cat >"$tmpdir/writers-json.exp" <<'EOF'
{
  "writers": [
    {
      "writer_name": "alpha",
      "writer_id": "{ID}",
      "instance_id": "{ID}",
      "instance_name": "",
      "state": 1,
      "state_name": "VSS_WS_STABLE",
      "failure_hr": "0x00000000",
      "failure_name": "S_OK",
      "app_hr": "0x00000000",
      "message": null,
      "level": "VSS_APP_BACK_END",
      "usage": "VSS_UT_USERDATA",
      "source": "VSS_ST_OTHER",
      "freeze_timeout_ms": 5000,
      "pid": PID
    },
    {
      "writer_name": "beta",
      "writer_id": "{ID}",
      "instance_id": "{ID}",
      "instance_name": "",
      "state": 1,
      "state_name": "VSS_WS_STABLE",
      "failure_hr": "0x00000000",
      "failure_name": "S_OK",
      "app_hr": "0x00000000",
      "message": null,
      "level": "VSS_APP_FRONT_END",
      "usage": "VSS_UT_USERDATA",
      "source": "VSS_ST_OTHER",
      "freeze_timeout_ms": 60000,
      "pid": PID
    }
  ]
}
EOF
check writers-json 0 vssadmin list writers --json

cat >"$tmpdir/empty.exp" <<'EOF'
vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)

No items found that satisfy the query.
EOF
check empty 0 vssadmin list shadows
cp "$tmpdir/empty.exp" "$tmpdir/empty-for.exp"
check empty-for 0 vssadmin LIST Shadows /for=/mnt/data --shadow "{12345678-1234-1234-1234-123456789abc}"
cp "$tmpdir/empty.exp" "$tmpdir/del-empty.exp"
check del-empty 0 vssadmin delete shadows --for=/mnt/data /all /quiet

cat >"$tmpdir/shadows-json.exp" <<'EOF'
{
  "snapshots": [
  ]
}
EOF
check shadows-json 0 vssadmin list shadows --json

# a shadow copy named by /shadow that is not there: an error, not an
# empty query
cat >"$tmpdir/del-unknown.exp" <<'EOF'
vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)

vssadmin: shadow copy {ID} not found
EOF
check del-unknown 1 vssadmin delete shadows /shadow="{12345678-1234-1234-1234-123456789abc}" /quiet

# usage errors are found before connecting: the same message and status
# whether vssd runs or not (none listens on none.sock)
for case in "create shadow|needs /for=VOLUME" \
	"create shadow /for=/mnt/data /autoretry=-1|/autoretry needs a number of minutes: '-1'" \
	"delete shadows|needs /for=VOLUME or /shadow=ID" \
	"delete shadows /for=/mnt/data /all /oldest|needs exactly one of /oldest, /all and /shadow=ID" \
	"revert shadow /quiet|needs /shadow=ID" "expose shadow|needs /shadow=ID" \
	"unexpose shadow|needs /shadow=ID"; do
	args=${case%%|*} msg=${case#*|}
	cmd=$(echo "$args" | cut -d' ' -f1-2)
	case $msg in needs*) msg="$cmd $msg" ;; esac
	printf '%s\n\nvssadmin: %s\n' \
		"vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)" \
		"$msg" >"$tmpdir/usage.exp"
	# shellcheck disable=SC2086 # the arguments split on purpose
	check usage 1 vssadmin $args
	cp "$tmpdir/usage.exp" "$tmpdir/usage-novssd.exp"
	# shellcheck disable=SC2086
	check usage-novssd 1 env VSS_SOCKET="$tmpdir/none.sock" vssadmin $args
done

# the volume and shadow storage commands go to vss-cowd (not running here)
cat >"$tmpdir/nocowd.exp" <<'EOF'
vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)

vssadmin: cannot reach vss-cowd at TMP/nocowd.sock: No such file or directory (0x80042302)
EOF
check nocowd 2 vssadmin list shadowstorage /for=data --socket="$tmpdir/nocowd.sock"

cat >"$tmpdir/badopt.exp" <<'EOF'
vssadmin: option '/oldest' is not valid for 'list shadows'
EOF
check badopt 1 vssadmin list shadows /oldest

cat >"$tmpdir/badcmd.exp" <<'EOF'
vssadmin: unknown command 'list nothing'
Try 'vssadmin --help' for more information.
EOF
check badcmd 1 vssadmin list nothing

# ---- vshadow ----
cat >"$tmpdir/q.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

Querying all shadow copies in the system ...

There are no shadow copies in the system.
EOF
check q 0 vshadow -q

cat >"$tmpdir/q-json.exp" <<'EOF'
{
  "snapshots": [
  ]
}
vshadow VERSION - Volume Shadow Copy sample client (openvss).

Querying all shadow copies in the system ...

EOF
check q-json 0 vshadow /q --json

cat >"$tmpdir/ds.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

- Deleting shadow copy {ID} ...

Deleted 0 shadow copies.
vshadow: vss_backup_delete_snapshots: VSS_E_OBJECT_NOT_FOUND: DeleteSnapshots: VSS_E_OBJECT_NOT_FOUND: no snapshot {ID} in this context (0x80042308)
EOF
check ds 1 vshadow "-ds={12345678-1234-1234-1234-123456789abc}"

cat >"$tmpdir/isup.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

vshadow: vss_backup_is_volume_supported: VSS_E_OBJECT_NOT_FOUND: IsVolumeSupported: VSS_E_OBJECT_NOT_FOUND: TMP is not a volume (a block device, a mount point or an image file) (0x80042308)
EOF
check isup 1 vshadow -isup "$tmpdir"

cat >"$tmpdir/nocmd.exp" <<'EOF'
vshadow: no volume and no command given
Try 'vshadow --help' for more information.
EOF
check nocmd 1 vshadow

cat >"$tmpdir/nowi.exp" <<'EOF'
vshadow: -nw excludes -wi and -wx
Try 'vshadow --help' for more information.
EOF
check nowi 1 vshadow -nw /wi=alpha /mnt/data

# -da asks; "n" (or end of input) deletes nothing and touches no session
cat >"$tmpdir/da.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

Nothing deleted.
This will delete all shadow copies in the system. Are you sure? [Y/N] 
EOF
check da 0 vshadow -da </dev/null

# writers are still there and stable after all of this
vssadmin list writers --json | grep -c '"state": 1,' >"$tmpdir/n"
assert_eq "writers stable" 2 "$(cat "$tmpdir/n")"
kill -0 "$vssd_pid" || fail "vssd died"

# A writer's name is the writer's to choose (any user may be one): a
# newline in it is shown escaped and cannot forge a line of vssadmin's or
# vshadow's text output (JSON escapes it by itself).
evil=$(printf "evil\nWriter name: 'forged'")
start_ready evil test-writer --name "$evil"
vssadmin list writers > "$tmpdir/evil.out"
grep -q "^Writer name: 'forged" "$tmpdir/evil.out" &&
	fail "a writer's name forged a line: $(cat "$tmpdir/evil.out")"
grep -qF "Writer name: 'evil\\nWriter name: 'forged''" "$tmpdir/evil.out" ||
	fail "the name was not shown escaped: $(cat "$tmpdir/evil.out")"
vshadow -ws > "$tmpdir/evil-ws.out" 2>&1 || fail "vshadow -ws: $(cat "$tmpdir/evil-ws.out")"
grep -q "^Writer name: 'forged" "$tmpdir/evil-ws.out" &&
	fail "a writer's name forged a line of vshadow -ws: $(cat "$tmpdir/evil-ws.out")"
grep -qF "* WRITER \"evil\\nWriter name: 'forged'\"" "$tmpdir/evil-ws.out" ||
	fail "vshadow -ws did not show the name escaped: $(cat "$tmpdir/evil-ws.out")"
