/* test-xml-wmd — the Writer Metadata Document: build with the writer API,
 * save exactly, load leniently, keep unknown content, round trip. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xml-check.h"
#include <vss/metadata.h>

static vss_id_t WID, IID, DEP;

static void ids(void)
{
	if (vss_id_parse("d61d61c8-d73a-4eee-8cdd-f6f9786b7124", &WID) ||
	    vss_id_parse("{1BDDD48E-5052-49DB-9B07-B96F96727E6B}", &IID) ||
	    vss_id_parse("75dfb225-e2e4-4d39-9ac9-ffaff65ddf06", &DEP))
		abort();
}

static vss_wmd_t *build(void)
{
	static const uint8_t icon[] = { 0, 1, 2, 0xfe, 0xff };
	vss_wmd_t *w;

	ck_assert_int_eq(vss_wmd_new(&w), S_OK);
	ck_assert_int_eq(vss_wmd_set_identity(w, &WID, &IID, "Écrivain & Co",
			"inst:1", VSS_UT_USERDATA, VSS_ST_TRANSACTEDDB, 2, 7), S_OK);
	ck_assert_int_eq(vss_wmd_set_restore_method(w, VSS_RME_RESTORE_IF_CAN_REPLACE,
			NULL, NULL, VSS_WRE_ALWAYS, false), S_OK);
	ck_assert_int_eq(vss_wmd_set_backup_schema(w, 881), S_OK);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, "Data\\Main",
			"Files <1>", "Line one\r\nline\ttwo", icon, sizeof(icon),
			false, true, true, false, VSS_CF_APP_ROLLBACK_RECOVERY), S_OK);
	ck_assert_int_eq(vss_wmd_add_files_to_file_group(w, "Data\\Main", "files <1>",
			"C:\\Program Files\\A & B", "*.dat", true, NULL,
			VSS_FSBT_DEFAULT), S_OK);
	ck_assert_int_eq(vss_wmd_add_files_to_file_group(w, "data\\main", "Files <1>",
			"%SystemRoot%\\x", "y.ini", false, "D:\\spit",
			VSS_FSBT_FULL_BACKUP_REQUIRED), S_OK);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_DATABASE, NULL, "db",
			NULL, NULL, 0, true, false, true, true, 0), S_OK);
	ck_assert_int_eq(vss_wmd_add_database_files(w, NULL, "db", "/var/db",
			"db.mdf", VSS_FSBT_DEFAULT), S_OK);
	ck_assert_int_eq(vss_wmd_add_database_log_files(w, NULL, "db", "/var/log",
			"db.ldf", VSS_FSBT_DEFAULT), S_OK);
	ck_assert_int_eq(vss_wmd_add_component_dependency(w, NULL, "db", &DEP,
			"Data\\Main", "Files <1>"), S_OK);
	ck_assert_int_eq(vss_wmd_add_exclude_files(w, "/tmp", "*", true), S_OK);
	ck_assert_int_eq(vss_wmd_add_exclude_files_from_snapshot(w,
			"\\System Volume Information\\Heat", "*.*", false), S_OK);
	ck_assert_int_eq(vss_wmd_add_alternate_location_mapping(w, "/var/db",
			"db.mdf", false, "/restore/db"), S_OK);
	return w;
}

/* Windows order and spellings (spec §2); P items as in xml-names.h. */
static const char golden[] =
	"<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\" backupSchema=\"881\">"
	"<IDENTIFICATION writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" instanceName=\"inst:1\" friendlyName=\"Écrivain &amp; Co\" usage=\"USER_DATA\" dataSource=\"TRANSACTION_DB\" majorVersion=\"2\" minorVersion=\"7\"/>"
	"<RESTORE_METHOD method=\"RESTORE_IF_CAN_BE_REPLACED\" writerRestore=\"always\" rebootRequired=\"no\">"
	"<ALTERNATE_LOCATION_MAPPING path=\"/var/db\" filespec=\"db.mdf\" recursive=\"no\" alternatePath=\"/restore/db\"/></RESTORE_METHOD>"
	"<BACKUP_LOCATIONS>"
	"<FILE_GROUP logicalPath=\"Data\\Main\" componentName=\"Files &lt;1&gt;\" caption=\"Line one&#13;&#10;line&#9;two\" icon=\"AAEC/v8=\" restoreMetadata=\"no\" notifyOnBackupComplete=\"yes\" selectable=\"yes\" selectableForRestore=\"no\" componentFlags=\"2\">"
	"<FILE_LIST path=\"C:\\Program Files\\A &amp; B\" filespec=\"*.dat\" recursive=\"yes\" filespecBackupType=\"3855\"/>"
	"<FILE_LIST path=\"%SystemRoot%\\x\" filespec=\"y.ini\" alternatePath=\"D:\\spit\" filespecBackupType=\"1\"/></FILE_GROUP>"
	"<DATABASE componentName=\"db\" restoreMetadata=\"yes\" notifyOnBackupComplete=\"no\" selectable=\"yes\" selectableForRestore=\"yes\" componentFlags=\"0\">"
	"<DATABASE_FILES path=\"/var/db\" filespec=\"db.mdf\" filespecBackupType=\"3855\"/>"
	"<DATABASE_LOGFILES path=\"/var/log\" filespec=\"db.ldf\" filespecBackupType=\"3855\"/>"
	"<DEPENDENCY writerId=\"75dfb225-e2e4-4d39-9ac9-ffaff65ddf06\" logicalPath=\"Data\\Main\" componentName=\"Files &lt;1&gt;\"/></DATABASE>"
	"<EXCLUDE_FILES path=\"/tmp\" filespec=\"*\" recursive=\"yes\"/>"
	"<EXCLUDE_FILES_FROM_SNAPSHOT path=\"\\System Volume Information\\Heat\" filespec=\"*.*\" recursive=\"no\"/>"
	"</BACKUP_LOCATIONS></WRITER_METADATA>";

static void check_model(const vss_wmd_t *w)
{
	const char *fn, *in, *svc, *proc;
	const vss_wm_component_t *c;
	const vss_wm_filedesc_t *fd;
	const vss_wm_dependency_t *d;
	vss_wm_component_info_t ci;
	VSS_RESTOREMETHOD_ENUM m;
	VSS_WRITERRESTORE_ENUM wre;
	VSS_USAGE_TYPE u;
	VSS_SOURCE_TYPE s;
	unsigned major, minor;
	vss_id_t a, b;
	bool reboot;
	size_t maps;

	ck_assert_int_eq(vss_wmd_get_identity(w, &a, &b, &fn, &in, &u, &s), S_OK);
	ck_assert(vss_id_equal(&a, &WID) && vss_id_equal(&b, &IID));
	ck_assert_str_eq(fn, "Écrivain & Co");
	ck_assert_str_eq(in, "inst:1");
	ck_assert_int_eq(u, VSS_UT_USERDATA);
	ck_assert_int_eq(s, VSS_ST_TRANSACTEDDB);
	vss_wmd_get_version(w, &major, &minor);
	ck_assert_uint_eq(major, 2);
	ck_assert_uint_eq(minor, 7);
	ck_assert_uint_eq(vss_wmd_get_backup_schema(w), 881);
	ck_assert_int_eq(vss_wmd_get_restore_method(w, &m, &svc, &proc, &wre,
						    &reboot, &maps), S_OK);
	ck_assert_int_eq(m, VSS_RME_RESTORE_IF_CAN_REPLACE);
	ck_assert_int_eq(wre, VSS_WRE_ALWAYS);
	ck_assert(!reboot && !svc && !proc);
	ck_assert_uint_eq(maps, 1);
	ck_assert_int_eq(vss_wmd_get_alternate_location_mapping(w, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_alternate_location(fd), "/restore/db");

	ck_assert_uint_eq(vss_wmd_component_count(w), 2);
	ck_assert_int_eq(vss_wmd_get_component(w, 0, &c), S_OK);
	ck_assert_int_eq(vss_wm_component_get_info(c, &ci), S_OK);
	ck_assert_int_eq(ci.type, VSS_CT_FILEGROUP);
	ck_assert_str_eq(ci.logical_path, "Data\\Main");
	ck_assert_str_eq(ci.name, "Files <1>");
	ck_assert_str_eq(ci.caption, "Line one\r\nline\ttwo");
	ck_assert_uint_eq(ci.icon_len, 5);
	ck_assert(ci.icon[3] == 0xfe && ci.icon[4] == 0xff);
	ck_assert(!ci.restore_metadata && ci.notify_on_backup_complete);
	ck_assert(ci.selectable && !ci.selectable_for_restore);
	ck_assert_uint_eq(ci.flags, 2);
	ck_assert_uint_eq(ci.file_count, 2);
	ck_assert_int_eq(vss_wm_component_get_file(c, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_path(fd), "C:\\Program Files\\A & B");
	ck_assert_str_eq(vss_wm_filedesc_get_filespec(fd), "*.dat");
	ck_assert(vss_wm_filedesc_get_recursive(fd));
	ck_assert_ptr_null(vss_wm_filedesc_get_alternate_location(fd));
	ck_assert_uint_eq(vss_wm_filedesc_get_backup_type_mask(fd), 3855);
	ck_assert_int_eq(vss_wm_component_get_file(c, 1, &fd), S_OK);
	ck_assert(!vss_wm_filedesc_get_recursive(fd));
	ck_assert_str_eq(vss_wm_filedesc_get_alternate_location(fd), "D:\\spit");
	ck_assert_uint_eq(vss_wm_filedesc_get_backup_type_mask(fd), 1);
	ck_assert_int_eq(vss_wm_component_get_file(c, 2, &fd), E_INVALIDARG);

	ck_assert_int_eq(vss_wmd_get_component(w, 1, &c), S_OK);
	vss_wm_component_get_info(c, &ci);
	ck_assert_int_eq(ci.type, VSS_CT_DATABASE);
	ck_assert_ptr_null(ci.logical_path);
	ck_assert_ptr_null(ci.caption);
	ck_assert_ptr_null(ci.icon);
	ck_assert(ci.database_count == 1 && ci.log_file_count == 1 &&
		  ci.dependency_count == 1 && ci.file_count == 0);
	ck_assert_int_eq(vss_wm_component_get_database_log_file(c, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_filespec(fd), "db.ldf");
	ck_assert_int_eq(vss_wm_component_get_dependency(c, 0, &d), S_OK);
	vss_wm_dependency_get_writer_id(d, &a);
	ck_assert(vss_id_equal(&a, &DEP));
	ck_assert_str_eq(vss_wm_dependency_get_component_name(d), "Files <1>");

	ck_assert_uint_eq(vss_wmd_exclude_count(w), 1);
	ck_assert_int_eq(vss_wmd_get_exclude(w, 0, &fd), S_OK);
	ck_assert(vss_wm_filedesc_get_recursive(fd));
	ck_assert_uint_eq(vss_wmd_exclude_from_snapshot_count(w), 1);
	ck_assert_int_eq(vss_wmd_get_exclude_from_snapshot(w, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_path(fd), "\\System Volume Information\\Heat");
}

START_TEST(build_save_exact)
{
	vss_wmd_t *w = build(), *r;
	char *xml, *again;

	check_model(w);
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_str_eq(xml, golden);
	ck_assert_int_eq(vss_wmd_load_xml(xml, strlen(xml), &r), S_OK);
	check_model(r);
	ck_assert_int_eq(vss_wmd_save_xml(r, &again), S_OK);
	ck_assert_str_eq(again, xml);
	free(xml);
	free(again);
	vss_wmd_free(w);
	vss_wmd_free(r);
}
END_TEST

START_TEST(writer_errors)
{
	vss_wmd_t *w = build();
	char *xml;

	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, "DATA\\MAIN",
			"files <1>", NULL, NULL, 0, 0, 0, 0, 0, 0),
			 VSS_E_OBJECT_ALREADY_EXISTS);
	ck_assert_ptr_nonnull(strstr(vss_last_error(), "vss_wmd_add_component: VSS_E_OBJECT_ALREADY_EXISTS"));
	ck_assert_int_eq(vss_wmd_add_files_to_file_group(w, NULL, "nope", "/", "*",
			false, NULL, 0), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_wmd_add_database_files(w, "Data\\Main", "Files <1>",
			"/", "*", 0), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_UNDEFINED, NULL, "x",
			NULL, NULL, 0, 0, 0, 0, 0, 0), E_INVALIDARG);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, NULL, "",
			NULL, NULL, 0, 0, 0, 0, 0, 0), E_INVALIDARG);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, NULL, "bad\001",
			NULL, NULL, 0, 0, 0, 0, 0, 0), E_INVALIDARG);
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, NULL, "bad\xff",
			NULL, NULL, 0, 0, 0, 0, 0, 0), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(vss_last_error(), "UTF-8"));
	ck_assert_int_eq(vss_wmd_set_restore_method(w, 99, NULL, NULL, 0, 0), E_INVALIDARG);
	/* nothing of that reached the document */
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_str_eq(xml, golden);
	free(xml);
	vss_wmd_free(w);
	vss_wmd_free(NULL);
	ck_assert_int_eq(vss_wmd_new(&w), S_OK);
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), VSS_E_BAD_STATE);
	vss_wmd_free(w);
}
END_TEST

/* Reading is lenient (spec §5): namespace prefix, upper-case braced GUIDs,
 * case-insensitive booleans and tokens, numeric tokens, attributes and
 * elements in any order, pretty-printing, defaults for absent attributes. */
static const char lenient[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	"<w:WRITER_METADATA xmlns:w=\"urn:other\" version=\"9.9\">\r\n"
	"\t<w:BACKUP_LOCATIONS>\r\n"
	"\t\t<w:FILE_GROUP selectable=\"YES\" componentName=\"c\" caption=\"\" logicalPath=\"\" componentFlags=\"010\">\r\n"
	"\t\t\t<w:FILE_LIST path=\"/a\" filespec=\"*\" recursive=\"True\"/>\r\n"
	"\t\t\t<w:FILE_LIST path=\"/b\" filespec=\"*\" filespecBackupType=\"0xF0F\"/>\r\n"
	"\t\t</w:FILE_GROUP>\r\n"
	"\t\t<w:EXCLUDE_FILES path=\"/b\" filespec=\"*\" recursive=\"0\"/>\r\n"
	"\t</w:BACKUP_LOCATIONS>\r\n"
	"\t<w:RESTORE_METHOD method=\"replace_at_reboot\" writerRestore=\"3\" rebootRequired=\"yes\"/>\r\n"
	"\t<w:IDENTIFICATION usage=\"SOMETHING_NEW\" dataSource=\"other\" friendlyName=\"F\""
	" instanceId=\"{1BDDD48E-5052-49DB-9B07-B96F96727E6B}\" writerId=\"D61D61C8-D73A-4eee-8CDD-F6F9786B7124\"/>\r\n"
	"</w:WRITER_METADATA>\r\n";

START_TEST(lenient_reading)
{
	const vss_wm_component_t *c;
	const vss_wm_filedesc_t *fd;
	vss_wm_component_info_t ci;
	VSS_RESTOREMETHOD_ENUM m;
	VSS_WRITERRESTORE_ENUM wre;
	VSS_USAGE_TYPE u;
	VSS_SOURCE_TYPE s;
	const char *fn;
	vss_id_t a, b;
	bool reboot;
	vss_wmd_t *w;
	char *xml;

	ck_assert_int_eq(vss_wmd_load_xml(lenient, sizeof(lenient) - 1, &w), S_OK);
	ck_assert_int_eq(vss_wmd_get_identity(w, &a, &b, &fn, NULL, &u, &s), S_OK);
	ck_assert(vss_id_equal(&a, &WID) && vss_id_equal(&b, &IID));
	ck_assert_int_eq(u, VSS_UT_UNDEFINED);	/* unknown token */
	ck_assert_int_eq(s, VSS_ST_OTHER);
	vss_wmd_get_restore_method(w, &m, NULL, NULL, &wre, &reboot, NULL);
	ck_assert_int_eq(m, VSS_RME_RESTORE_AT_REBOOT);
	ck_assert_int_eq(wre, VSS_WRE_ALWAYS);
	ck_assert(reboot);
	ck_assert_int_eq(vss_wmd_get_component(w, 0, &c), S_OK);
	vss_wm_component_get_info(c, &ci);
	ck_assert(ci.selectable && !ci.selectable_for_restore);
	ck_assert_ptr_null(ci.logical_path);
	ck_assert_ptr_null(ci.caption);
	ck_assert_uint_eq(ci.flags, 10);	/* decimal, not octal */
	vss_wm_component_get_file(c, 0, &fd);
	ck_assert(vss_wm_filedesc_get_recursive(fd));
	ck_assert_uint_eq(vss_wm_filedesc_get_backup_type_mask(fd), 3855);
	vss_wm_component_get_file(c, 1, &fd);
	ck_assert_uint_eq(vss_wm_filedesc_get_backup_type_mask(fd), 3855);	/* 0xF0F */
	vss_wmd_get_exclude(w, 0, &fd);
	ck_assert(!vss_wm_filedesc_get_recursive(fd));
	/* saved in canonical spellings; the unknown token and the order of
	 * the elements are kept; the prefix stays as the document had it */
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_ptr_nonnull(strstr(xml, "usage=\"SOMETHING_NEW\" dataSource=\"OTHER\""));
	ck_assert_ptr_nonnull(strstr(xml, "writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\""));
	ck_assert_ptr_nonnull(strstr(xml, "method=\"REPLACE_AT_REBOOT\" writerRestore=\"always\" rebootRequired=\"yes\""));
	ck_assert_ptr_nonnull(strstr(xml, "<w:FILE_GROUP componentName=\"c\" restoreMetadata=\"no\""));
	ck_assert_ptr_nonnull(strstr(xml, "recursive=\"yes\" filespecBackupType=\"3855\""));
	ck_assert_ptr_null(strstr(xml, "\n"));
	ck_assert(strstr(xml, "BACKUP_LOCATIONS") < strstr(xml, "RESTORE_METHOD"));
	free(xml);
	vss_wmd_free(w);
}
END_TEST

static void *to_utf16(const char *s, size_t *len, bool bom, int nuls)
{
	size_t n = strlen(s), i, o = 0;
	uint8_t *b = malloc(2 * n + 2 + 2 * nuls);

	if (bom) {
		b[o++] = 0xff;
		b[o++] = 0xfe;
	}
	for (i = 0; i < n; i++) {	/* ASCII input only */
		b[o++] = (uint8_t)s[i];
		b[o++] = 0;
	}
	while (nuls--) {
		b[o++] = 0;
		b[o++] = 0;
	}
	*len = o;
	return b;
}

START_TEST(containers)
{
	static const char doc[] =
		"<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\">"
		"<IDENTIFICATION writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" "
		"instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" friendlyName=\"Task Scheduler Writer\" "
		"usage=\"USER_DATA\" dataSource=\"OTHER\" majorVersion=\"0\" minorVersion=\"0\"/></WRITER_METADATA>";
	static const char *const pre[] = { "", "\xef\xbb\xbf", "  \r\n",
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>" };
	void *buf;
	size_t len, i;
	vss_wmd_t *w;
	char *xml;

	for (i = 0; i < 4; i++) {	/* UTF-16LE ±BOM ±NULs */
		buf = to_utf16(doc, &len, i & 1, i & 2 ? 3 : 0);
		ck_assert_int_eq(vss_wmd_load_xml(buf, len, &w), S_OK);
		ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
		ck_assert_str_eq(xml, doc);
		free(xml);
		vss_wmd_free(w);
		free(buf);
	}
	for (i = 0; i < 4; i++) {	/* UTF-8 ±BOM ±declaration ±space, NUL */
		char tmp[1024];

		snprintf(tmp, sizeof(tmp), "%s%s", pre[i], doc);
		ck_assert_int_eq(vss_wmd_load_xml(tmp, strlen(tmp) + 1, &w), S_OK);
		ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
		ck_assert_str_eq(xml, doc);
		free(xml);
		vss_wmd_free(w);
	}
	/* our own UTF-16 container (vshadow -bc=) reads back */
	ck_assert_int_eq(vss_xml_to_utf16le("<WRITER_METADATA><IDENTIFICATION "
		"writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" "
		"instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" friendlyName=\"\xc3\xa9\xf0\x9f\x98\x80\"/>"
		"</WRITER_METADATA>", &buf, &len), S_OK);
	ck_assert(((uint8_t *)buf)[len - 1] == 0 && ((uint8_t *)buf)[len - 2] == 0);
	ck_assert_int_eq(vss_wmd_load_xml(buf, len, &w), S_OK);
	{
		const char *fn;

		vss_wmd_get_identity(w, NULL, NULL, &fn, NULL, NULL, NULL);
		ck_assert_str_eq(fn, "\xc3\xa9\xf0\x9f\x98\x80");
	}
	vss_wmd_free(w);
	free(buf);
}
END_TEST

/* Unknown attributes and elements survive load and save in place (§1.5). */
START_TEST(unknown_kept)
{
	static const char doc[] =
		"<WRITER_METADATA xmlns=\"x-schema:#VssWriterMetadataInfo\" version=\"1.2\" future=\"1\">"
		"<IDENTIFICATION writerId=\"d61d61c8-d73a-4eee-8cdd-f6f9786b7124\" "
		"instanceId=\"1bddd48e-5052-49db-9b07-b96f96727e6b\" friendlyName=\"F\" "
		"usage=\"USER_DATA\" dataSource=\"OTHER\" majorVersion=\"0\" minorVersion=\"0\" extra=\"x\"/>"
		"<FUTURE a=\"b\"><NESTED>text &amp; more</NESTED></FUTURE>"
		"<BACKUP_LOCATIONS><INCLUDE_FILES path=\"/i\" filespec=\"*\"/>"
		"<FILE_GROUP componentName=\"c\" restoreMetadata=\"no\" notifyOnBackupComplete=\"no\" "
		"selectable=\"no\" selectableForRestore=\"no\" componentFlags=\"0\" newThing=\"1\">"
		"<FILE_LIST path=\"/a\" filespec=\"*\" filespecBackupType=\"3855\"/><!--note--></FILE_GROUP>"
		"</BACKUP_LOCATIONS></WRITER_METADATA>";
	vss_wmd_t *w;
	char *xml;

	ck_assert_int_eq(vss_wmd_load_xml(doc, strlen(doc), &w), S_OK);
	ck_assert_uint_eq(vss_wmd_component_count(w), 1);
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_str_eq(xml, doc);
	free(xml);
	/* adding a component keeps the unknown content where it was */
	ck_assert_int_eq(vss_wmd_add_component(w, VSS_CT_FILEGROUP, NULL, "d",
			NULL, NULL, 0, 0, 0, 0, 0, 0), S_OK);
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<FUTURE a=\"b\"><NESTED>text &amp; more</NESTED></FUTURE>"));
	ck_assert_ptr_nonnull(strstr(xml, "<!--note--></FILE_GROUP><FILE_GROUP componentName=\"d\""));
	free(xml);
	vss_wmd_free(w);
}
END_TEST

/* Round-trip law on generated documents of many shapes. */
START_TEST(generated_round_trip)
{
	unsigned seed = 12345;
	int k;

	for (k = 0; k < 50; k++) {
		vss_wmd_t *w, *r;
		char *a, *b, name[32], path[64];
		int i, j, nc;

		ck_assert_int_eq(vss_wmd_new(&w), S_OK);
		vss_wmd_set_identity(w, &WID, &IID, "gen", k & 1 ? "i" : NULL,
				     k % 5, k % 4, k, k * 2);
		if (k % 3)
			vss_wmd_set_restore_method(w, k % 9, k & 4 ? "svc" : NULL,
						   NULL, k % 4, k & 1);
		vss_wmd_set_backup_schema(w, (uint32_t)k * 37);
		nc = (int)(rand_r(&seed) % 5);
		for (i = 0; i < nc; i++) {
			VSS_COMPONENT_TYPE t = rand_r(&seed) & 1 ? VSS_CT_DATABASE :
								 VSS_CT_FILEGROUP;

			snprintf(name, sizeof(name), "c%d & <%d>", i, k);
			ck_assert_int_eq(vss_wmd_add_component(w, t, i & 1 ? "lp\\x" : NULL,
					name, i & 2 ? "cap\"q\"" : NULL, NULL, 0,
					i & 1, i & 2, i & 4, 1, (uint32_t)i), S_OK);
			for (j = 0; j < (int)(rand_r(&seed) % 4); j++) {
				snprintf(path, sizeof(path), "/p %d/\xc3\xbc%d", i, j);
				if (t == VSS_CT_FILEGROUP)
					vss_wmd_add_files_to_file_group(w, i & 1 ? "lp\\x" : NULL,
						name, path, "*", j & 1, j & 2 ? "/alt" : NULL,
						(uint32_t)j);
				else if (j & 1)
					vss_wmd_add_database_files(w, i & 1 ? "lp\\x" : NULL,
						name, path, "*.mdf", 3855);
				else
					vss_wmd_add_database_log_files(w, i & 1 ? "lp\\x" : NULL,
						name, path, "*.ldf", 3855);
			}
		}
		for (j = 0; j < k % 3; j++)
			vss_wmd_add_exclude_files(w, "/x", "*.tmp", j & 1);
		ck_assert_int_eq(vss_wmd_save_xml(w, &a), S_OK);
		ck_assert_int_eq(vss_wmd_load_xml(a, strlen(a), &r), S_OK);
		ck_assert_int_eq(vss_wmd_save_xml(r, &b), S_OK);
		ck_assert_str_eq(a, b);
		ck_assert_uint_eq(vss_wmd_component_count(r), (size_t)nc);
		free(a);
		free(b);
		vss_wmd_free(w);
		vss_wmd_free(r);
	}
}
END_TEST

/* A writer with one file group "c" (with ICON if given). */
static vss_wmd_t *small(const uint8_t *icon, size_t icon_len)
{
	vss_wmd_t *w;

	ck_assert_int_eq(vss_wmd_new(&w), S_OK);
	vss_wmd_set_identity(w, &WID, &IID, "F", NULL, VSS_UT_USERDATA,
			     VSS_ST_OTHER, 0, 0);
	vss_wmd_add_component(w, VSS_CT_FILEGROUP, NULL, "c", NULL, icon,
			      icon_len, 0, 0, 0, 0, 0);
	return w;
}

static void refused_for_windows(vss_wmd_t *w, const char *why)
{
	char *xml;

	ck_assert_int_eq(vss_wmd_save_xml_ex(w, VSS_XML_SAVE_WINDOWS, &xml),
			 VSS_E_INVALID_XML_DOCUMENT);
	ck_assert_ptr_null(xml);
	ck_assert_msg(strstr(vss_last_error(), why), "%s", vss_last_error());
	vss_wmd_free(w);
}

/* Provisional spellings never go to Windows (spec §5 writing rule 2). */
START_TEST(windows_mode)
{
	vss_wmd_t *w;
	char *xml;

	refused_for_windows(build(), "<ALTERNATE_LOCATION_MAPPING> has a provisional spelling");
	refused_for_windows(small((const uint8_t *)"x", 1),
			    "attribute 'icon' of <FILE_GROUP> has a provisional spelling");
	w = small(NULL, 0);
	vss_wmd_add_files_to_file_group(w, NULL, "c", "/", "*", 0, "/alt", 3855);
	refused_for_windows(w, "attribute 'alternatePath' of <FILE_LIST> has a provisional spelling");
	w = small(NULL, 0);
	vss_wmd_add_component_dependency(w, NULL, "c", &DEP, NULL, "d");
	refused_for_windows(w, "<DEPENDENCY> has a provisional spelling");
	/* R spellings only: accepted; a P token is not */
	w = small(NULL, 0);
	vss_wmd_set_restore_method(w, VSS_RME_RESTORE_AT_REBOOT, NULL, NULL,
				   VSS_WRE_NEVER, true);
	ck_assert_int_eq(vss_wmd_save_xml_ex(w, VSS_XML_SAVE_WINDOWS, &xml), S_OK);
	free(xml);
	vss_wmd_set_restore_method(w, VSS_RME_CUSTOM, NULL, NULL, VSS_WRE_NEVER, true);
	refused_for_windows(w, "method=\"CUSTOM\" of <RESTORE_METHOD> has a provisional spelling");
}
END_TEST

int main(void)
{
	ids();
	RUN_TESTS("wmd", build_save_exact, writer_errors, lenient_reading, containers, unknown_kept, generated_round_trip,
		  windows_mode);
}
