#!/bin/sh
# test-xml-tool — vss-xml: subcommands, golden output, exit codes, the
# UTF-16 container, and agreement between --help and man/vss-xml.1.
set -eu
. "${top_builddir:-.}/tests/functions.sh"
requires jq --version

cat >"$tmpdir/w.xml" <<'XML'
<WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2"><IDENTIFICATION writerId="D61D61C8-D73A-4eee-8cdd-f6f9786b7124" instanceId="{1bddd48e-5052-49db-9b07-b96f96727e6b}" friendlyName="Demo &amp; Writer" usage="USER_DATA" dataSource="OTHER" majorVersion="1" minorVersion="2"/><RESTORE_METHOD method="RESTORE_IF_CAN_BE_REPLACED" writerRestore="never" rebootRequired="no"/><BACKUP_LOCATIONS><FILE_GROUP logicalPath="Data" componentName="Files" caption="My files" restoreMetadata="no" notifyOnBackupComplete="yes" selectable="yes" selectableForRestore="no" componentFlags="4"><FILE_LIST path="/srv/data dir" filespec="*.db" recursive="yes" filespecBackupType="3855"/></FILE_GROUP><EXCLUDE_FILES path="/srv/data dir" filespec="*.tmp" recursive="no"/></BACKUP_LOCATIONS></WRITER_METADATA>
XML
cat >"$tmpdir/b.xml" <<'XML'
<BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" version="1.2" bootableSystemStateBackup="no" selectComponents="yes" backupType="full" partialFileSupport="no"><WRITER_COMPONENTS instanceId="1bddd48e-5052-49db-9b07-b96f96727e6b" writerId="d61d61c8-d73a-4eee-8cdd-f6f9786b7124" backupSchema="0"><COMPONENT logicalPath="Data" componentName="Files" componentType="filegroup" backupStamp="s1"><BACKUP_METADATA metadata="abcd"/></COMPONENT></WRITER_COMPONENTS></BACKUP_COMPONENTS>
XML

# help, version, usage errors
vss-xml --help | grep -q '^Usage: vss-xml check \[--windows\] FILE$' || fail "--help"
vss-xml --version | grep -Eq '^vss-xml [0-9]+\.[0-9]+' || fail "--version"
if vss-xml 2>/dev/null; then fail "no arguments accepted"; fi
if vss-xml frobnicate "$tmpdir/w.xml" 2>"$tmpdir/err"; then fail "unknown command accepted"; fi
grep -q "unknown command 'frobnicate'" "$tmpdir/err" || fail "unknown command message"
if vss-xml convert "$tmpdir/w.xml" 2>"$tmpdir/err"; then fail "convert without --to"; fi
grep -q -- "--to=utf8 or --to=utf16 is required" "$tmpdir/err" || fail "convert message"
if vss-xml check "$tmpdir/missing.xml" 2>"$tmpdir/err"; then fail "missing file"; fi
grep -q "missing.xml: No such file or directory" "$tmpdir/err" || fail "missing file message"

# check
assert_eq check "$tmpdir/w.xml: valid Writer Metadata Document" "$(vg vss-xml check "$tmpdir/w.xml")"
assert_eq check "-: valid Backup Components Document" "$(vg vss-xml check - <"$tmpdir/b.xml")"
printf '<!DOCTYPE x [<!ENTITY a "b">]><WRITER_METADATA/>' >"$tmpdir/bad.xml"
if vss-xml check "$tmpdir/bad.xml" 2>"$tmpdir/err"; then fail "DOCTYPE accepted"; fi
assert_eq "check message" \
	"vss-xml: $tmpdir/bad.xml: vss_xml_load_any: VSS_E_INVALID_XML_DOCUMENT: document type declarations (DOCTYPE) are not accepted" \
	"$(cat "$tmpdir/err")"

# --windows: R spellings pass, provisional ones are refused
vss-xml check --windows "$tmpdir/w.xml" >/dev/null || fail "check --windows refused R spellings"
sed 's/<EXCLUDE_FILES /<FILE_LIST alternatePath="x" path="a" filespec="b"\/><EXCLUDE_FILES /' "$tmpdir/w.xml" >"$tmpdir/p.xml"
vss-xml check "$tmpdir/p.xml" >/dev/null || fail "check refused P spellings"
if vss-xml check -w "$tmpdir/p.xml" 2>"$tmpdir/err"; then fail "check --windows accepted P"; fi
grep -q "not for Windows: attribute 'alternatePath' of <FILE_LIST> has a provisional spelling" "$tmpdir/err" ||
	fail "--windows message: $(cat "$tmpdir/err")"

# show: the listing is golden
vg vss-xml show "$tmpdir/w.xml" >"$tmpdir/out"
cat >"$tmpdir/want" <<'OUT'
document: writer metadata
writer_id: {d61d61c8-d73a-4eee-8cdd-f6f9786b7124}
instance_id: {1bddd48e-5052-49db-9b07-b96f96727e6b}
friendly_name: Demo & Writer
usage: VSS_UT_USERDATA
data_source: VSS_ST_OTHER
version: 1.2
backup_schema: 0
restore_method:
  method: VSS_RME_RESTORE_IF_CAN_REPLACE
  writer_restore: VSS_WRE_NEVER
  reboot_required: false
  alternate_location_mappings: none
components:
  - type: VSS_CT_FILEGROUP
    logical_path: Data
    name: Files
    caption: My files
    restore_metadata: false
    notify_on_backup_complete: true
    selectable: true
    selectable_for_restore: false
    flags: 4
    files:
      - path: /srv/data dir
        filespec: *.db
        recursive: true
        backup_type_mask: 3855
    dependencies: none
excludes:
  - path: /srv/data dir
    filespec: *.tmp
    recursive: false
excludes_from_snapshot: none
counts:
  components: 1
  files: 1
  excludes: 1
  excludes_from_snapshot: 0
OUT
diff -u "$tmpdir/want" "$tmpdir/out" || fail "show listing differs"

# show --json: same data, compared as JSON values
vg vss-xml show --json "$tmpdir/b.xml" | jq -cS . >"$tmpdir/out"
cat <<'JSON' | jq -cS . >"$tmpdir/want"
{"document":"backup components","select_components":true,"bootable_system_state":false,
 "backup_type":"VSS_BT_FULL","partial_file_support":false,"snapshot_set_id":null,
 "writers":[{"instance_id":"{1bddd48e-5052-49db-9b07-b96f96727e6b}",
   "writer_id":"{d61d61c8-d73a-4eee-8cdd-f6f9786b7124}","instance_name":null,"backup_schema":0,
   "components":[{"type":"VSS_CT_FILEGROUP","logical_path":"Data","name":"Files",
     "backup_succeeded":false,"backup_stamp":"s1","previous_backup_stamp":null,
     "backup_options":null,"backup_metadata_size":4}]}],
 "counts":{"writers":1,"components":1}}
JSON
diff -u "$tmpdir/want" "$tmpdir/out" || fail "show --json differs"

# a document's text is shown as it is, but a newline in it (&#10;) cannot
# start a line of the listing of its own
sed 's/friendlyName="Demo &amp; Writer"/friendlyName="Demo\&#10;usage: forged"/' "$tmpdir/w.xml" \
	>"$tmpdir/nl.xml"
vss-xml show "$tmpdir/nl.xml" >"$tmpdir/out" || fail "show of a name with a newline: $(cat "$tmpdir/out")"
grep -q '^ *usage: forged' "$tmpdir/out" && fail "a name forged a line of the listing: $(cat "$tmpdir/out")"
grep -qF 'Demo\nusage: forged' "$tmpdir/out" || fail "the newline was not shown escaped: $(cat "$tmpdir/out")"
assert_eq "json listing" "$(vss-xml show --json "$tmpdir/w.xml" | jq -r .components[0].files[0].path)" "/srv/data dir"

# convert: exact UTF-8, and the vshadow UTF-16 container
vg vss-xml convert --to=utf8 "$tmpdir/w.xml" >"$tmpdir/u8"
grep -q '^<WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2"><IDENTIFICATION writerId="d61d61c8-d73a-4eee-8cdd-f6f9786b7124" instanceId="1bddd48e-5052-49db-9b07-b96f96727e6b" ' \
	"$tmpdir/u8" || fail "convert utf8: $(cat "$tmpdir/u8")"
vg vss-xml convert -t utf16 "$tmpdir/w.xml" >"$tmpdir/u16"
assert_eq "utf16 size" $(( 2 * $(wc -c <"$tmpdir/u8") + 2 )) "$(wc -c <"$tmpdir/u16")"
assert_eq "utf16 head" "3c00570052" "$(head -c 5 "$tmpdir/u16" | od -An -tx1 | tr -d ' \n')"
assert_eq "utf16 tail" "3e000000" "$(tail -c 4 "$tmpdir/u16" | od -An -tx1 | tr -d ' \n')"
vss-xml convert --to=utf8 "$tmpdir/u16" | cmp -s - "$tmpdir/u8" || fail "utf16 does not read back"

# --help and the man page name the same options
man="$top_srcdir/man/vss-xml.1"
help_opts=$(vss-xml --help | grep -Eo -- '--[a-z]+' | sort -u)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH EXIT/p' "$man" | grep -Eo -- '\\-\\-[a-z]+' | sed 's/\\//g' | sort -u)
assert_eq "options of --help vs vss-xml.1" "$help_opts" "$man_opts"
for cmd in check show convert; do
	grep -q "^\\.B $cmd" "$man" || fail "vss-xml.1 lacks command $cmd"
done
# every call of vss/metadata.h is in the synopsis of libvss-metadata(3)
hdr=$(grep -o 'vss_[a-z0-9_]*(' "$top_srcdir/include/vss/metadata.h" | grep -v vss_last_error | sort -u)
doc=$(sed -n '/^\.SH SYNOPSIS/,/^\.fi/p' "$top_srcdir/man/libvss-metadata.3" | grep -o 'vss_[a-z0-9_]*(' | sort -u)
assert_eq "calls of metadata.h vs libvss-metadata.3" "$hdr" "$doc"
echo "vss-xml ok"
