#!/bin/sh
# The requester state machine of vss-protocol §10.1: every call made in a
# state where the table forbids it must fail with VSS_E_BAD_STATE, and the
# session must be unchanged afterwards.  The table below is the spec's,
# written out here independently of vssd's own table; one test per
# illegal cell.  Two cells follow Microsoft's reference pages where the
# spec's table differs: SetContext in a restore session is refused
# (IVssBackupComponents::SetContext), AbortBackup there is ignored
# (IVssBackupComponents::AbortBackup).
. "${top_builddir:-.}/tests/functions.sh"
set -e

start_vssd
# A writer that lingers in PrepareForSnapshot holds sessions in BD*.
start_ready slow test-writer --name slow --sleep PrepareForSnapshot:400

# A saved document for the restore states.
test-requester init state=component gather start "save=$tmpdir/bcd.xml" > /dev/null

R="init-restore=$tmpdir/bcd.xml"
# state -> words that reach it
reach() {
	case $1 in
	N) echo "" ;;
	BI) echo "init" ;;
	BG) echo "init gather" ;;
	BS) echo "init gather start-retry" ;;
	BP) echo "init state=volume gather start-retry prepare" ;;
	BDR) echo "init state=volume gather start-retry prepare do-nowait" ;;
	BD) echo "init state=volume gather start-retry prepare do" ;;
	BC) echo "init state=volume gather start-retry prepare do complete" ;;
	BA) echo "init gather start-retry abort" ;;
	RI) echo "$R" ;;
	RG) echo "$R gather" ;;
	RP) echo "$R gather prerestore" ;;
	RR) echo "$R gather prerestore postrestore" ;;
	esac
}

# call word : states where it is ILLEGAL (vss-protocol §10.1; "ne",
# "ignored" and "op" cells are legal).  Every call is illegal in N except
# the two Initialize calls.
table='
init:BI BG BS BP BDR BD BC BA RI RG RP RR
RESTORE:BI BG BS BP BDR BD BC BA RI RG RP RR
context=0:N BS BP BDR BD BC BA RI RG RP RR
state=volume:N BP BDR BD BC BA RI RG RP RR
disable:N
gather:N BG BS BP BDR BD BC BA RG RP RR
metadata:N BI RI
add-raw:N BI BP BDR BD BC BA RI RG RP RR
options-raw:N BI BP BDR BD BC BA RI RG RP RR
start:N BS BP BDR BD BC BA RI RG RP RR
volume=/nonexistent:N BI BG BDR BD BC BA RI RG RP RR
prepare:N BI BG BP BDR BD BC BA RI RG RP RR
do:N BI BG BDR BD BC BA RI RG RP RR
status:N BI RI
succeeded-raw:N BI BG BS BP BDR BC BA RI RG RP RR
complete:N BI BG BS BP BDR BC BA RI RG RP RR
abort:N
query:N RI RG RP RR
delete-raw:N BDR RI RG RP RR
save=/dev/null:N BDR
select-raw:N BI BG BS BP BDR BD BC BA RP RR
prerestore:N BI BG BS BP BDR BD BC BA RI RP RR
restored-raw:N BI BG BS BP BDR BD BC BA RI RG RR
postrestore:N BI BG BS BP BDR BD BC BA RI RG RR
'

count=0
echo "$table" | while IFS=: read -r word states; do
	[ -n "$word" ] || continue
	[ "$word" = RESTORE ] && word=$R
	for st in $states; do
		# shellcheck disable=SC2046
		if ! out=$(test-requester $(reach "$st") expect=VSS_E_BAD_STATE "$word" 2>&1); then
			echo "$out"
			fail "'$word' in state $st was not refused with VSS_E_BAD_STATE"
		fi
		count=$((count + 1))
		echo "$count $st $word: refused"
	done
done > "$tmpdir/cells"
tail -n 1 "$tmpdir/cells"
n=$(wc -l < "$tmpdir/cells")
[ "$n" -ge 150 ] || fail "only $n illegal cells were tried"

# The session is unchanged by a refused call: after a refused
# PrepareForBackup (no SetBackupState yet, in BS it is legal but needs it)
# and a refused BackupComplete, the backup still runs to the end.
test-requester init gather start-retry expect=VSS_E_BAD_STATE complete \
	expect=VSS_E_BAD_STATE prepare state=volume prepare do complete > "$tmpdir/seq"
grep -q '^BackupComplete S_OK' "$tmpdir/seq" || fail "the session did not go on after refusals"

# Calls that the table marks "once": a second SetContext and a second
# GatherWriterMetadata are refused.
test-requester init context=0 expect=VSS_E_BAD_STATE context=0 gather \
	expect=VSS_E_BAD_STATE gather > /dev/null
# GetWriterStatus(Count) needs a completed GatherWriterStatus first
# (IVssBackupComponents::GetWriterStatusCount), and answers from it.
test-requester init gather expect=VSS_E_BAD_STATE status-count status status-count \
	> "$tmpdir/st"
grep -q '^writers 1$' "$tmpdir/st" || fail "GetWriterStatusCount after GatherWriterStatus: $(cat "$tmpdir/st")"
# AbortBackup in a restore session is ignored and the restore goes on.
test-requester "$R" abort gather abort prerestore abort postrestore > "$tmpdir/rs"
[ "$(grep -c '^AbortBackup S_OK' "$tmpdir/rs")" = 3 ] || fail "AbortBackup in a restore: $(cat "$tmpdir/rs")"
grep -q '^PostRestore S_OK' "$tmpdir/rs" || fail "the restore did not go on after AbortBackup"
# Writer-less contexts refuse the writer calls (vss-protocol §3.2).
test-requester init context=10 gather start-retry expect=VSS_E_BAD_STATE prepare \
	do expect=VSS_E_BAD_STATE complete > /dev/null
vssd_alive
echo "$n illegal transitions refused"
