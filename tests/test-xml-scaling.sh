#!/bin/sh
# test-xml-scaling — loading a Writer Metadata Document or a Backup
# Components Document costs time linear in its size.  Windows' System Writer
# lists ~19000 files in one component (the 2.1 MB sample of ../shared); a
# quadratic step (a duplicate check by scanning, a list appended at its
# tail) would pass on small fixtures and stall on it.
#
# Counted, not timed: callgrind counts the instructions `vss-xml check`
# runs, which for the same binary and input do not depend on the machine's
# load.  For documents of n, 2n and 4n entries the increments
# I(2n) - I(n) and I(4n) - I(2n) (the process's start-up cost cancels)
# are in ratio 2 for a linear load, 4 for a quadratic one; the test fails
# above 2.2 (a sort, n log n, alone would give 2.16; the
# slightest quadratic step, a pointer comparison with every entry loaded
# before, gives 2.43 at these sizes).
set -eu
. "${top_builddir:-.}/tests/functions.sh"
requires valgrind --version
# valgrind cannot run a binary built with ASan
[ -z "${VSS_SANITIZED:-}" ] || { echo "sanitizer build: skipping"; exit 77; }

HDR='<WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2"><IDENTIFICATION writerId="e8132975-6f93-4464-a53e-1050253ae220" instanceId="ce678d65-95d0-4bea-a43d-2a288bc94500" friendlyName="Scaling Writer" usage="USER_DATA" dataSource="OTHER" majorVersion="1" minorVersion="0"/><RESTORE_METHOD method="RESTORE_IF_CAN_BE_REPLACED" writerRestore="never" rebootRequired="no"/><BACKUP_LOCATIONS>'
# gen_wmd KIND N: "files" = one component listing N files (the System
# Writer's shape), "components" = N components of one file each
gen_wmd() {
	awk -v kind="$1" -v n="$2" -v hdr="$HDR" 'BEGIN {
		printf "%s", hdr
		grp = "<FILE_GROUP logicalPath=\"L\" componentName=\"%s\" caption=\"c\" restoreMetadata=\"no\" notifyOnBackupComplete=\"no\" selectable=\"yes\" selectableForRestore=\"no\" componentFlags=\"0\">"
		file = "<FILE_LIST path=\"/srv/data/d%d\" filespec=\"*.db\" recursive=\"yes\" filespecBackupType=\"3855\"/>"
		if (kind == "files") {
			printf grp, "all"
			for (i = 0; i < n; i++) printf file, i
			printf "</FILE_GROUP>"
		} else {
			for (i = 0; i < n; i++) {
				printf grp, "c" i; printf file, i; printf "</FILE_GROUP>"
			}
		}
		printf "</BACKUP_LOCATIONS></WRITER_METADATA>"
	}'
}
# gen_bcd N: one writer, N selected components, each with a stamp and
# backup metadata
gen_bcd() {
	awk -v n="$1" 'BEGIN {
		printf "<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" bootableSystemStateBackup=\"no\" selectComponents=\"yes\" backupType=\"full\" partialFileSupport=\"no\"><WRITER_COMPONENTS instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" backupSchema=\"0\">"
		for (i = 0; i < n; i++)
			printf "<COMPONENT logicalPath=\"Data\" componentName=\"c%d\" componentType=\"filegroup\" backupStamp=\"s%d\"><BACKUP_METADATA metadata=\"abcd\"/></COMPONENT>", i, i
		printf "</WRITER_COMPONENTS></BACKUP_COMPONENTS>"
	}'
}

# instructions FILE: what `vss-xml check FILE` executes, counted by
# callgrind on the real binary (libtool's wrapper script resolved)
instructions() {
	rm -f "$tmpdir/cg.out"
	"$top_builddir/libtool" --mode=execute valgrind -q --tool=callgrind \
		--callgrind-out-file="$tmpdir/cg.out" "$top_builddir/vss-xml" \
		check "$1" >/dev/null 2>"$tmpdir/cg.err" ||
		fail "vss-xml check $1: $(cat "$tmpdir/cg.err")"
	awk '/^summary:/ { print $2 }' "$tmpdir/cg.out"
}

N=1500
for kind in files components bcd; do
	for k in 1 2 4; do
		case $kind in
		bcd) gen_bcd $((N * k)) ;;
		*) gen_wmd $kind $((N * k)) ;;
		esac >"$tmpdir/$kind.$k.xml"
	done
	vss-xml check "$tmpdir/$kind.4.xml" | grep -q "valid" ||
		fail "$kind: the generated document is not valid"
	i1=$(instructions "$tmpdir/$kind.1.xml")
	i2=$(instructions "$tmpdir/$kind.2.xml")
	i4=$(instructions "$tmpdir/$kind.4.xml")
	ratio=$(awk -v a="$i1" -v b="$i2" -v c="$i4" 'BEGIN {
		if (b <= a) { print "inf"; exit } printf "%.2f", (c - b) / (b - a) }')
	echo "$kind: $i1 / $i2 / $i4 instructions for $N / $((2 * N)) / $((4 * N)) entries; increment ratio $ratio"
	awk -v r="$ratio" 'BEGIN { exit !(r != "inf" && r + 0 <= 2.2) }' ||
		fail "$kind: loading is not linear (increment ratio $ratio, linear is 2, quadratic 4)"
done
echo "loading is linear in the document's size"
