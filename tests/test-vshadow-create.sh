#!/bin/sh
# test-vshadow-create — vshadow's creation sequence and the snapshot
# management commands end to end: vssd on a private socket, the provider
# test double (test-provider) serving an image file, no writers (-nw).
# Checks the printed sequence and properties, -script, -exec (environment,
# failure), -bc (UTF-16LE container), auto-release of non-persistent
# copies, -q/-qx/-s/--json, vssadmin list shadows, the deletes, a provider
# veto at CommitSnapshots, and that expose/revert report E_NOTIMPL cleanly.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
requires_root
requires iconv --version

. "$top_srcdir/tests/requester-lib.sh"
start_vssd

vol="$tmpdir/vol.img"
bad="$tmpdir/veto.img"
truncate -s 4M "$vol" "$bad"

start_ready good test-provider --log "$tmpdir/provider.log" --volume "$vol" \
	--dir "$tmpdir/sn'aps"
start_ready veto test-provider --id "{5e1f7e57-0000-4000-8000-000000000002}" --name veto \
	--volume "$bad" --dir "$tmpdir/snaps2" --fail CommitSnapshots

count_snapshots() { vshadow -q --json 2>/dev/null | grep -c '"snapshot_id"' || :; }

cat >"$tmpdir/isup.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

Volume TMP/vol.img is supported by a shadow copy provider.
EOF
check isup 0 vshadow -isup "$vol"

# ---- a persistent, writer-less set with -script and -exec ----
cat >"$tmpdir/exec.sh" <<EOF
#!/bin/sh
env | grep '^VSS_SHADOW' | sort >"$tmpdir/exec.env"
test -e "\$VSS_SHADOW_DEVICE_1"
EOF
chmod +x "$tmpdir/exec.sh"
cat >"$tmpdir/create.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

- Setting the VSS context to: 0x00000019
Creating shadow set {ID} ...
- Adding volume TMP/vol.img to the shadow set...
Creating the shadow (DoSnapshotSet) ...
(Waiting for the asynchronous operation to finish...)
Shadow copy set successfully created.

List of created shadow copies:

* SNAPSHOT ID = {ID} ...
   - Shadow copy Set: {ID}
   - Original count of shadow copies = 1
   - Original Volume name: TMP/vol.img
   - Creation Time: TIME
   - Shadow copy device name: TMP/sn'aps/{ID}
   - Originating machine: HOST
   - Service machine: HOST
   - Not Exposed
   - Provider id: {ID}
   - Attributes:  Persistent No_Auto_Release No_Writers
   - Status: 12 (VSS_SS_CREATED)

Generating the script TMP/script.sh ...
Executing command 'TMP/exec.sh' ...
Snapshot creation done.
EOF
check create 0 vshadow -p /nw "-script=$tmpdir/script.sh" "-exec=$tmpdir/exec.sh" "$vol"

# the script and the command's environment name the same set and snapshot
. "$tmpdir/script.sh"
# (the device's directory holds a quote: the script quotes for the shell)
[ -e "$SHADOW_DEVICE_1" ] || fail "script: no device $SHADOW_DEVICE_1"
assert_eq "exec env" "VSS_SHADOW_1=$SHADOW_ID_1
VSS_SHADOW_DEVICE_1=$SHADOW_DEVICE_1
VSS_SHADOW_SET=$SHADOW_SET_ID" "$(cat "$tmpdir/exec.env")"

# ---- queries ----
assert_eq "persistent copies" 1 "$(count_snapshots)"
vshadow -qx="$SHADOW_SET_ID" --json 2>/dev/null | grep -q "\"snapshot_id\": \"$SHADOW_ID_1\"" ||
	fail "-qx does not list the set's snapshot"
vshadow "/s=$SHADOW_ID_1" | grep -q "^\* SNAPSHOT ID = $SHADOW_ID_1" || fail "-s"
cat >"$tmpdir/qx-none.exp" <<'EOF'
vshadow VERSION - Volume Shadow Copy sample client (openvss).

Querying all shadow copies with the SnapshotSetID {ID} ...

There are no shadow copies in the system.
vshadow: no shadow copy set {ID}
EOF
check qx-none 1 vshadow "-qx={12345678-1234-1234-1234-123456789abc}"

cat >"$tmpdir/list.exp" <<'EOF'
vssadmin VERSION - Volume Shadow Copy Service administrative command-line tool (openvss)

Contents of shadow copy set ID: {ID}
   Contained 1 shadow copies at creation time: TIME
      Shadow Copy ID: {ID}
         Original Volume: TMP/vol.img
         Shadow Copy Volume: TMP/sn'aps/{ID}
         Originating Machine: HOST
         Service Machine: HOST
         Provider: 'openvss test provider'
         Type: DataVolumeRollback
         Attributes: Persistent, No_Auto_Release, No_Writers

EOF
check list 0 vssadmin list shadows --for="$vol/"

# ---- a non-persistent set lives until vshadow exits; -bc container ----
vshadow -nw "-bc=$tmpdir/bc.xml" "-exec=$tmpdir/exec.sh" "$vol" >"$tmpdir/np.out"
assert_eq "auto-release" 1 "$(count_snapshots)"
head -c 4 "$tmpdir/bc.xml" | od -An -tx1 | tr -d ' \n' >"$tmpdir/head"
assert_eq "-bc starts UTF-16LE, no BOM" "3c004200" "$(cat "$tmpdir/head")"
tail -c 4 "$tmpdir/bc.xml" | od -An -tx1 | tr -d ' \n' >"$tmpdir/tail"
assert_eq "-bc ends with '>' and one U+0000" "3e000000" "$(cat "$tmpdir/tail")"
iconv -f UTF-16LE -t UTF-8 "$tmpdir/bc.xml" | tr -d '\000' | grep -q '^<BACKUP_COMPONENTS' ||
	fail "-bc does not hold a backup components document"

# ---- failures: -exec, provider veto ----
cat >"$tmpdir/execfail.exp" <<'EOF'
vshadow: command '/bin/false' failed with exit status 1
EOF
rc=0
vshadow -nw -exec=/bin/false "$vol" >/dev/null 2>"$tmpdir/execfail.err" || rc=$?
assert_eq "-exec failure exit" 2 "$rc"
diff -u "$tmpdir/execfail.exp" "$tmpdir/execfail.err" || fail "-exec failure message"
assert_eq "failed backup released" 1 "$(count_snapshots)"

rc=0
vshadow -p -nw "$bad" >"$tmpdir/veto.out" 2>"$tmpdir/veto.err" || rc=$?
assert_eq "veto exit" 2 "$rc"
grep -q "^Aborting the backup ...$" "$tmpdir/veto.out" || fail "veto: no abort"
grep -q "vss_async_wait: VSS_E_PROVIDER_VETO: vss_backup_do_snapshot_set failed" \
	"$tmpdir/veto.err" || { cat "$tmpdir/veto.err"; fail "veto: message"; }
assert_eq "vetoed set left nothing" 1 "$(count_snapshots)"

# ---- expose goes to the provider (the test double records the name) ----
vshadow "-el=$SHADOW_ID_1,$tmpdir/mnt" >"$tmpdir/el.out" 2>"$tmpdir/el.err" ||
	fail "-el: $(cat "$tmpdir/el.err")"
grep -q "Shadow copy exposed as '$tmpdir/mnt'" "$tmpdir/el.out" || fail "-el output"
vssadmin unexpose shadow "/shadow=$SHADOW_ID_1" >/dev/null || fail "unexpose after -el"

# ---- vssadmin create shadow: a client-accessible copy ----
vssadmin create shadow --for "$vol" >"$tmpdir/cs.out"
grep -q "^Successfully created shadow copy for '$vol'\$" "$tmpdir/cs.out" || fail "create shadow"
cs_id=$(sed -n 's/^    Shadow Copy ID: //p' "$tmpdir/cs.out")
vssadmin list shadows /shadow="$cs_id" | grep -q '^         Type: ClientAccessible$' ||
	fail "create shadow: not client-accessible"
vssadmin delete shadows /shadow="$cs_id" /quiet | grep -q "^Deleted shadow copy $cs_id\$" ||
	fail "delete shadows /shadow"
rc=0
vssadmin create shadow /for="$vol" /autoretry=soon >/dev/null 2>&1 || rc=$?
assert_eq "create shadow /autoretry=soon" 1 "$rc"

# ---- deletes ----
vshadow -p -nw "$vol" >/dev/null
vshadow -p -nw "$vol" >/dev/null
assert_eq "three persistent copies" 3 "$(count_snapshots)"
vshadow -dx="$SHADOW_SET_ID" | grep -q "^Deleted 1 shadow copy.$" || fail "-dx"
vshadow -do="$vol" | grep -q "^Deleted 1 shadow copy.$" || fail "-do"
assert_eq "one left" 1 "$(count_snapshots)"
echo n | vshadow -da >/dev/null 2>&1
assert_eq "-da answered no" 1 "$(count_snapshots)"
echo y | vshadow -da >/dev/null 2>&1
assert_eq "-da answered yes" 0 "$(count_snapshots)"
rc=0
vshadow -do="$vol" >/dev/null 2>&1 || rc=$?
assert_eq "-do with nothing left" 1 "$rc"
kill -0 "$vssd_pid" || fail "vssd died"
