/* test-xml-bcd — the Backup Components Document: requester and writer
 * calls, exact saving, and the writer round trip (extract / merge). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xml-check.h"
#include <vss/metadata.h>

static vss_id_t W1, I1, W2, I2, SET;

static void ids(void)
{
	if (vss_id_parse("e8132975-6f93-4464-a53e-1050253ae220", &W1) ||
	    vss_id_parse("ce678d65-95d0-4bea-a43d-2a288bc94500", &I1) ||
	    vss_id_parse("a65faa63-5ea8-4ebc-9dbd-a0c4db26912a", &W2) ||
	    vss_id_parse("dd8d6255-b3bb-4ec1-8249-73cd75c0ee21", &I2) ||
	    vss_id_parse("E109943B-232E-4B52-8DC4-62B7DE94761B", &SET))
		abort();
}

static vss_bcd_t *build(void)
{
	vss_bcd_t *b;

	ck_assert_int_eq(vss_bcd_new(&b), S_OK);
	ck_assert_int_eq(vss_bcd_set_backup_state(b, true, true, VSS_BT_FULL, false), S_OK);
	ck_assert_int_eq(vss_bcd_set_snapshot_set_id(b, &SET), S_OK);
	ck_assert_int_eq(vss_bcd_add_component(b, &I1, &W1, NULL, 0,
			VSS_CT_FILEGROUP, NULL, "System Files"), S_OK);
	ck_assert_int_eq(vss_bcd_add_component(b, &I1, &W1, NULL, 0,
			VSS_CT_FILEGROUP, NULL, "Win32 Services Files"), S_OK);
	ck_assert_int_eq(vss_bcd_add_component(b, &I2, &W2,
			"Microsoft SQL Server 2017:SQLWriter", 881,
			VSS_CT_FILEGROUP, "HOST", "master"), S_OK);
	return b;
}

/* The shape of the real no_sql/BCDocument.xml (spec §3). */
static const char golden[] =
	"<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" "
	"bootableSystemStateBackup=\"yes\" selectComponents=\"yes\" backupType=\"full\" "
	"partialFileSupport=\"no\" snapshotSetId=\"e109943b-232e-4b52-8dc4-62b7de94761b\">"
	"<WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
	"writerId=\"e8132975-6f93-4464-a53e-1050253ae220\" backupSchema=\"0\">"
	"<COMPONENT componentName=\"System Files\" componentType=\"filegroup\"/>"
	"<COMPONENT componentName=\"Win32 Services Files\" componentType=\"filegroup\"/>"
	"</WRITER_COMPONENTS>"
	"<WRITER_COMPONENTS instanceId=\"dd8d6255-b3bb-4ec1-8249-73cd75c0ee21\" "
	"writerId=\"a65faa63-5ea8-4ebc-9dbd-a0c4db26912a\" "
	"instanceName=\"Microsoft SQL Server 2017:SQLWriter\" backupSchema=\"881\">"
	"<COMPONENT logicalPath=\"HOST\" componentName=\"master\" componentType=\"filegroup\"/>"
	"</WRITER_COMPONENTS></BACKUP_COMPONENTS>";

static char *save(const vss_bcd_t *b)
{
	char *xml;

	ck_assert_int_eq(vss_bcd_save_xml(b, &xml), S_OK);
	return xml;
}

START_TEST(build_exact)
{
	vss_bcd_t *b = build();
	char *xml = save(b);
	bool sel, boot, partial;
	VSS_BACKUP_TYPE t;
	const char *iname;
	uint32_t schema;
	vss_id_t a, c;

	ck_assert_str_eq(xml, golden);
	ck_assert_int_eq(vss_bcd_add_component(b, &I1, &W1, NULL, 0,
			VSS_CT_FILEGROUP, "", "system files"), VSS_E_OBJECT_ALREADY_EXISTS);
	ck_assert_int_eq(vss_bcd_add_component(b, &I1, &W2, NULL, 0,
			VSS_CT_FILEGROUP, NULL, "x"), E_INVALIDARG);
	free(xml);
	xml = save(b);
	ck_assert_str_eq(xml, golden);
	vss_bcd_free(b);
	ck_assert_int_eq(vss_bcd_load_xml(xml, strlen(xml), &b), S_OK);
	vss_bcd_get_backup_state(b, &sel, &boot, &t, &partial);
	ck_assert(sel && boot && !partial);
	ck_assert_int_eq(t, VSS_BT_FULL);
	ck_assert_int_eq(vss_bcd_get_snapshot_set_id(b, &a), S_OK);
	ck_assert(vss_id_equal(&a, &SET));
	ck_assert_uint_eq(vss_bcd_writer_count(b), 2);
	ck_assert_uint_eq(vss_bcd_component_count(b, 0), 2);
	ck_assert_uint_eq(vss_bcd_component_count(b, 1), 1);
	ck_assert_int_eq(vss_bcd_get_writer_info(b, 1, &a, &c, &iname, &schema), S_OK);
	ck_assert(vss_id_equal(&a, &I2) && vss_id_equal(&c, &W2));
	ck_assert_str_eq(iname, "Microsoft SQL Server 2017:SQLWriter");
	ck_assert_uint_eq(schema, 881);
	ck_assert_int_eq(vss_bcd_get_writer_info(b, 2, &a, &c, &iname, &schema), E_INVALIDARG);
	free(xml);
	vss_bcd_free(b);
	vss_bcd_free(NULL);
}
END_TEST

START_TEST(component_state)
{
	vss_bcd_t *b = build(), *r;
	vss_component_t *c;
	const vss_wm_filedesc_t *fd;
	vss_hr_t hr, app;
	const char *msg;
	char *xml, *again;
	vss_id_t id;

	ck_assert_int_eq(vss_bcd_set_backup_succeeded(b, &I2, &W2, VSS_CT_FILEGROUP,
			"host", "MASTER", true), S_OK);
	ck_assert_int_eq(vss_bcd_set_backup_options(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", "opt=1 & \"q\""), S_OK);
	ck_assert_int_eq(vss_bcd_set_previous_backup_stamp(b, &I2, NULL,
			VSS_CT_FILEGROUP, "HOST", "master", "CAAAAA=="), S_OK);
	ck_assert_int_eq(vss_bcd_set_backup_succeeded(b, &I2, &W2, VSS_CT_DATABASE,
			"HOST", "master", true), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(vss_last_error(), "no component 'master' at 'HOST'"));
	ck_assert_int_eq(vss_bcd_set_backup_succeeded(b, &I2, &W1, VSS_CT_FILEGROUP,
			"HOST", "master", true), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_bcd_set_backup_succeeded(b, &SET, &W1, VSS_CT_FILEGROUP,
			"HOST", "master", true), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_bcd_set_selected_for_restore(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", true), S_OK);
	ck_assert_int_eq(vss_bcd_set_restore_options(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", "\"New Component Name\"=\"m2\""), S_OK);
	ck_assert_int_eq(vss_bcd_set_additional_restores(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", true), S_OK);
	ck_assert_int_eq(vss_bcd_set_file_restore_status(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", VSS_RS_ALL), S_OK);
	ck_assert_int_eq(vss_bcd_add_new_target(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", "E:\\DATA", "master.mdf", false, "F:\\NEW"), S_OK);
	ck_assert_int_eq(vss_bcd_set_restore_type(b, VSS_RTYPE_BY_COPY), S_OK);
	ck_assert_int_eq(vss_bcd_find_component(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", &c), S_OK);
	ck_assert_int_eq(vss_component_set_backup_stamp(c, "stamp\t1"), S_OK);
	ck_assert_int_eq(vss_component_set_backup_metadata(c, "bWV0YQ=="), S_OK);
	ck_assert_int_eq(vss_component_set_restore_metadata(c, "r\xc3\xa9"), S_OK);
	ck_assert_int_eq(vss_component_set_restore_target(c, VSS_RT_ALTERNATE), S_OK);
	ck_assert_int_eq(vss_component_set_failure(c, VSS_E_INVALID_XML_DOCUMENT,
			E_FAIL, "it broke"), S_OK);
	ck_assert_int_eq(vss_component_set_pre_restore_failure_msg(c, "pre"), S_OK);
	ck_assert_int_eq(vss_component_set_post_snapshot_failure_msg(c, "post snap"), S_OK);
	ck_assert_int_eq(vss_component_set_restore_target(c, 42), E_INVALIDARG);

	xml = save(b);
	ck_assert_ptr_nonnull(strstr(xml, "<COMPONENT logicalPath=\"HOST\" componentName=\"master\" "
		"componentType=\"filegroup\" backupStamp=\"stamp&#9;1\" previousBackupStamp=\"CAAAAA==\" "
		"backupSucceeded=\"yes\" backupOptions=\"opt=1 &amp; &quot;q&quot;\""));
	ck_assert_ptr_nonnull(strstr(xml, "<BACKUP_METADATA metadata=\"bWV0YQ==\"/><RESTORE_METADATA"));
	ck_assert_int_eq(vss_bcd_load_xml(xml, strlen(xml), &r), S_OK);
	again = save(r);
	ck_assert_str_eq(again, xml);
	ck_assert_int_eq(vss_bcd_get_component(r, 1, 0, &c), S_OK);
	ck_assert_str_eq(vss_component_get_logical_path(c), "HOST");
	ck_assert_str_eq(vss_component_get_name(c), "master");
	ck_assert_int_eq(vss_component_get_type(c), VSS_CT_FILEGROUP);
	vss_component_get_writer_id(c, &id);
	ck_assert(vss_id_equal(&id, &W2));
	vss_component_get_instance_id(c, &id);
	ck_assert(vss_id_equal(&id, &I2));
	ck_assert_str_eq(vss_component_get_backup_stamp(c), "stamp\t1");
	ck_assert_str_eq(vss_component_get_previous_backup_stamp(c), "CAAAAA==");
	ck_assert(vss_component_get_backup_succeeded(c));
	ck_assert_str_eq(vss_component_get_backup_options(c), "opt=1 & \"q\"");
	ck_assert_str_eq(vss_component_get_restore_options(c), "\"New Component Name\"=\"m2\"");
	ck_assert(vss_component_is_selected_for_restore(c));
	ck_assert(vss_component_get_additional_restores(c));
	ck_assert_int_eq(vss_component_get_file_restore_status(c), VSS_RS_ALL);
	ck_assert_int_eq(vss_component_get_restore_target(c), VSS_RT_ALTERNATE);
	ck_assert_str_eq(vss_component_get_backup_metadata(c), "bWV0YQ==");
	ck_assert_str_eq(vss_component_get_restore_metadata(c), "r\xc3\xa9");
	ck_assert_int_eq(vss_component_get_failure(c, &hr, &app, &msg), S_OK);
	ck_assert_int_eq(hr, VSS_E_INVALID_XML_DOCUMENT);
	ck_assert_int_eq(app, E_FAIL);
	ck_assert_str_eq(msg, "it broke");
	ck_assert_str_eq(vss_component_get_pre_restore_failure_msg(c), "pre");
	ck_assert_str_eq(vss_component_get_post_snapshot_failure_msg(c), "post snap");
	ck_assert_ptr_null(vss_component_get_post_restore_failure_msg(c));
	ck_assert_ptr_null(vss_component_get_prepare_for_backup_failure_msg(c));
	ck_assert_uint_eq(vss_component_new_target_count(c), 1);
	ck_assert_int_eq(vss_component_get_new_target(c, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_alternate_location(fd), "F:\\NEW");
	ck_assert_int_eq(vss_bcd_get_restore_type(r), VSS_RTYPE_BY_COPY);
	/* an untouched component reads as defaults */
	ck_assert_int_eq(vss_bcd_get_component(r, 0, 1, &c), S_OK);
	ck_assert_ptr_null(vss_component_get_backup_stamp(c));
	ck_assert_ptr_null(vss_component_get_backup_metadata(c));
	ck_assert(!vss_component_get_backup_succeeded(c));
	ck_assert_int_eq(vss_component_get_failure(c, &hr, &app, &msg), S_OK);
	ck_assert_int_eq(hr, S_OK);
	ck_assert_ptr_null(msg);
	/* metadata removed again */
	ck_assert_int_eq(vss_bcd_get_component(r, 1, 0, &c), S_OK);
	ck_assert_int_eq(vss_component_set_backup_metadata(c, NULL), S_OK);
	ck_assert_ptr_null(vss_component_get_backup_metadata(c));
	free(again);
	again = save(r);
	ck_assert_ptr_null(strstr(again, "BACKUP_METADATA"));
	free(xml);
	free(again);
	vss_bcd_free(b);
	vss_bcd_free(r);
}
END_TEST

/* File-level records (spec §3.6) and restore state, through save/load. */
START_TEST(records)
{
	const char *a, *b2, *c2, *d, *e, *f;
	const vss_wm_filedesc_t *fd;
	vss_timestamp_t t;
	vss_component_t *c;
	vss_bcd_t *b = build(), *r;
	char *xml, *again;
	bool rec;

	ck_assert_int_eq(vss_bcd_find_component(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", &c), S_OK);
	ck_assert_int_eq(vss_component_add_partial_file(c, "E:\\DATA", "m.mdf",
			"64:448,0x1239E8577A:65536", "pm"), S_OK);
	ck_assert_int_eq(vss_component_add_partial_file(c, "E:\\DATA", NULL, NULL, NULL),
			 E_INVALIDARG);
	ck_assert_int_eq(vss_component_add_differenced_files_by_time(c, "/d", "*.x",
			true, 133000000000000000LL), S_OK);
	ck_assert_int_eq(vss_component_add_differenced_files_by_lsn(c, "/d", "*.y",
			false, "lsn:42"), S_OK);
	ck_assert_int_eq(vss_component_add_directed_target(c, "/s", "a", "0:10",
			"/t", "b", NULL), S_OK);
	ck_assert_int_eq(vss_bcd_add_alternative_location_mapping(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", "E:\\DATA", "*.mdf",
			false, "F:\\ALT"), S_OK);
	ck_assert_int_eq(vss_bcd_add_restore_subcomponent(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", "HOST\\master", "file1",
			true), S_OK);
	ck_assert_int_eq(vss_bcd_set_ranges_file_path(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", 0, "/ranges.bin"), S_OK);
	ck_assert_int_eq(vss_bcd_set_ranges_file_path(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", 1, "/r"), E_INVALIDARG);
	ck_assert_int_eq(vss_bcd_set_authoritative_restore(b, &I2, &W2,
			VSS_CT_FILEGROUP, "HOST", "master", true), S_OK);
	ck_assert_int_eq(vss_bcd_set_roll_forward(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", VSS_RF_PARTIAL, "point 7"), S_OK);
	ck_assert_int_eq(vss_bcd_set_restore_name(b, &I2, &W2, VSS_CT_FILEGROUP,
			"HOST", "master", "master_copy"), S_OK);
	xml = save(b);
	ck_assert_int_eq(vss_bcd_load_xml(xml, strlen(xml), &r), S_OK);
	again = save(r);
	ck_assert_str_eq(again, xml);
	ck_assert_int_eq(vss_bcd_get_component(r, 1, 0, &c), S_OK);
	ck_assert_uint_eq(vss_component_partial_file_count(c), 1);
	ck_assert_int_eq(vss_component_get_partial_file(c, 0, &a, &b2, &c2, &d), S_OK);
	ck_assert_str_eq(a, "E:\\DATA");
	ck_assert_str_eq(b2, "m.mdf");
	ck_assert_str_eq(c2, "/ranges.bin");
	ck_assert_str_eq(d, "pm");
	ck_assert_uint_eq(vss_component_differenced_files_count(c), 2);
	ck_assert_int_eq(vss_component_get_differenced_files(c, 0, &a, &b2, &rec, &c2, &t), S_OK);
	ck_assert(rec && !c2 && t == 133000000000000000LL);
	ck_assert_int_eq(vss_component_get_differenced_files(c, 1, &a, &b2, &rec, &c2, &t), S_OK);
	ck_assert(!rec && t == 0);
	ck_assert_str_eq(c2, "lsn:42");
	ck_assert_uint_eq(vss_component_directed_target_count(c), 1);
	ck_assert_int_eq(vss_component_get_directed_target(c, 0, &a, &b2, &c2, &d, &e, &f), S_OK);
	ck_assert_str_eq(a, "/s");
	ck_assert_str_eq(c2, "0:10");
	ck_assert_str_eq(e, "b");
	ck_assert_ptr_null(f);
	ck_assert_int_eq(vss_component_get_directed_target(c, 1, &a, &b2, &c2, &d, &e, &f),
			 E_INVALIDARG);
	ck_assert_uint_eq(vss_component_alternate_location_mapping_count(c), 1);
	ck_assert_int_eq(vss_component_get_alternate_location_mapping(c, 0, &fd), S_OK);
	ck_assert_str_eq(vss_wm_filedesc_get_alternate_location(fd), "F:\\ALT");
	ck_assert_uint_eq(vss_component_restore_subcomponent_count(c), 1);
	ck_assert_int_eq(vss_component_get_restore_subcomponent(c, 0, &a, &b2, &rec), S_OK);
	ck_assert_str_eq(a, "HOST\\master");
	ck_assert_str_eq(b2, "file1");
	ck_assert(rec);
	ck_assert(vss_component_get_authoritative_restore(c));
	ck_assert_int_eq(vss_component_get_roll_forward(c, &a), VSS_RF_PARTIAL);
	ck_assert_str_eq(a, "point 7");
	ck_assert_str_eq(vss_component_get_restore_name(c), "master_copy");
	/* none of it may go to Windows */
	free(again);
	ck_assert_int_eq(vss_bcd_save_xml_ex(r, VSS_XML_SAVE_WINDOWS, &again),
			 VSS_E_INVALID_XML_DOCUMENT);
	free(xml);
	vss_bcd_free(b);
	vss_bcd_free(r);
}
END_TEST

/* What a writer does with the copy it gets in PrepareForBackup. */
static char *writer_edits(const char *doc, const char *stamp)
{
	vss_component_t *c;
	vss_bcd_t *w;
	char *out;

	ck_assert_int_eq(vss_bcd_load_xml(doc, strlen(doc), &w), S_OK);
	ck_assert_uint_eq(vss_bcd_writer_count(w), 1);
	ck_assert_int_eq(vss_bcd_get_component(w, 0, 0, &c), S_OK);
	ck_assert_int_eq(vss_component_set_backup_stamp(c, stamp), S_OK);
	ck_assert_int_eq(vss_component_set_backup_metadata(c, "private & <meta>"), S_OK);
	out = save(w);
	vss_bcd_free(w);
	return out;
}

START_TEST(extract_merge)
{
	vss_bcd_t *b = build();
	vss_component_t *c;
	char *part, *edited, *before, *after;

	ck_assert_int_eq(vss_bcd_extract_writer(b, &I1, &part), S_OK);
	ck_assert_ptr_nonnull(strstr(part, "snapshotSetId=\"e109943b-232e-4b52-8dc4-62b7de94761b\""));
	ck_assert_ptr_nonnull(strstr(part, "System Files"));
	ck_assert_ptr_null(strstr(part, "master"));
	ck_assert_int_eq(vss_bcd_extract_writer(b, &SET, &edited), VSS_E_OBJECT_NOT_FOUND);
	edited = writer_edits(part, "s1");
	ck_assert_int_eq(vss_bcd_merge_writer(b, &I1, edited, strlen(edited)), S_OK);
	ck_assert_int_eq(vss_bcd_get_component(b, 0, 0, &c), S_OK);
	ck_assert_str_eq(vss_component_get_backup_stamp(c), "s1");
	ck_assert_str_eq(vss_component_get_backup_metadata(c), "private & <meta>");
	ck_assert_int_eq(vss_bcd_get_component(b, 1, 0, &c), S_OK);
	ck_assert_ptr_null(vss_component_get_backup_stamp(c));
	/* the requester can still address the merged components */
	ck_assert_int_eq(vss_bcd_set_backup_succeeded(b, &I1, &W1, VSS_CT_FILEGROUP,
			NULL, "System Files", true), S_OK);
	free(edited);
	before = save(b);

	/* refused: nothing changes */
	{
		static const char *const bad[] = {
			/* adds a component */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
			"writerId=\"e8132975-6f93-4464-a53e-1050253ae220\"><COMPONENT componentName=\"System Files\"/>"
			"<COMPONENT componentName=\"Win32 Services Files\"/><COMPONENT componentName=\"New\"/>"
			"</WRITER_COMPONENTS></BACKUP_COMPONENTS>",
			/* removes one */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
			"writerId=\"e8132975-6f93-4464-a53e-1050253ae220\"><COMPONENT componentName=\"System Files\"/>"
			"</WRITER_COMPONENTS></BACKUP_COMPONENTS>",
			/* renames one (same count) */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
			"writerId=\"e8132975-6f93-4464-a53e-1050253ae220\"><COMPONENT componentName=\"System Files\"/>"
			"<COMPONENT componentName=\"System Files\"/></WRITER_COMPONENTS></BACKUP_COMPONENTS>",
			/* another writer's instance */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"dd8d6255-b3bb-4ec1-8249-73cd75c0ee21\" "
			"writerId=\"a65faa63-5ea8-4ebc-9dbd-a0c4db26912a\"><COMPONENT logicalPath=\"HOST\" componentName=\"master\"/>"
			"</WRITER_COMPONENTS></BACKUP_COMPONENTS>",
			/* right instance, wrong writer class */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
			"writerId=\"a65faa63-5ea8-4ebc-9dbd-a0c4db26912a\"><COMPONENT componentName=\"System Files\"/>"
			"<COMPONENT componentName=\"Win32 Services Files\"/></WRITER_COMPONENTS></BACKUP_COMPONENTS>",
			/* two writers */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS instanceId=\"ce678d65-95d0-4bea-a43d-2a288bc94500\" "
			"writerId=\"e8132975-6f93-4464-a53e-1050253ae220\"><COMPONENT componentName=\"System Files\"/>"
			"<COMPONENT componentName=\"Win32 Services Files\"/></WRITER_COMPONENTS>"
			"<WRITER_COMPONENTS instanceId=\"dd8d6255-b3bb-4ec1-8249-73cd75c0ee21\" "
			"writerId=\"a65faa63-5ea8-4ebc-9dbd-a0c4db26912a\"/></BACKUP_COMPONENTS>",
			/* malformed */
			"<BACKUP_COMPONENTS><WRITER_COMPONENTS",
			/* not a BCD */
			"<WRITER_METADATA/>",
		};
		static const vss_hr_t want[] = { E_INVALIDARG, E_INVALIDARG,
			E_INVALIDARG, E_INVALIDARG, E_INVALIDARG, E_INVALIDARG,
			VSS_E_INVALID_XML_DOCUMENT, VSS_E_INVALID_XML_DOCUMENT };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ck_assert_int_eq(vss_bcd_merge_writer(b, &I1, bad[i], strlen(bad[i])),
					 want[i]);
			ck_assert_ptr_nonnull(strstr(vss_last_error(), "vss_bcd_merge_writer: "));
			after = save(b);
			ck_assert_str_eq(after, before);
			free(after);
		}
	}
	ck_assert_int_eq(vss_bcd_merge_writer(b, &SET, part, strlen(part)),
			 VSS_E_OBJECT_NOT_FOUND);
	free(part);
	free(before);
	vss_bcd_free(b);
}
END_TEST

/* The namespace forms of the real with_sql BCD: a WRITER_COMPONENTS that
 * redeclares the default namespace and BACKUP_METADATA in no namespace. */
START_TEST(namespace_forms)
{
	static const char doc[] =
		"<BACKUP_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" version=\"1.2\" "
		"bootableSystemStateBackup=\"yes\" selectComponents=\"yes\" backupType=\"full\" "
		"partialFileSupport=\"no\" snapshotSetId=\"4ad2e8b1-faf2-4aca-a010-2c3f939cef62\">"
		"<WRITER_COMPONENTS xmlns=\"x-schema:#VssComponentMetadata\" "
		"instanceId=\"dd8d6255-b3bb-4ec1-8249-73cd75c0ee21\" "
		"writerId=\"a65faa63-5ea8-4ebc-9dbd-a0c4db26912a\" backupSchema=\"881\">"
		"<COMPONENT logicalPath=\"HOST\" componentName=\"master\" componentType=\"filegroup\" "
		"backupStamp=\"CAAAAA==\"><BACKUP_METADATA xmlns=\"\" metadata=\"QUJD\"/></COMPONENT>"
		"</WRITER_COMPONENTS><SNAPSHOT_SET_DESCRIPTION snapshotSetId=\"x\"/></BACKUP_COMPONENTS>";
	vss_component_t *c;
	vss_bcd_t *b;
	char *xml;

	ck_assert_int_eq(vss_bcd_load_xml(doc, strlen(doc), &b), S_OK);
	ck_assert_int_eq(vss_bcd_get_component(b, 0, 0, &c), S_OK);
	ck_assert_str_eq(vss_component_get_backup_metadata(c), "QUJD");
	ck_assert_str_eq(vss_component_get_backup_stamp(c), "CAAAAA==");
	xml = save(b);
	ck_assert_str_eq(xml, doc);
	free(xml);
	vss_bcd_free(b);
}
END_TEST

int main(void)
{
	ids();
	RUN_TESTS("bcd", build_exact, component_state, records, extract_merge,
		  namespace_forms);
}
