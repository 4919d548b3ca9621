/* test-metadata-requester — a TEST PROGRAM, never installed: the requester
 * half of tests/test-metadata.sh.
 *
 *   test-metadata-requester [--rogue] VOLUME BCDFILE
 *
 * Gathers writer metadata through vssd, finds test-metadata-writer's
 * instance (class FX_CLASS_ID), loads its Writer Metadata Document and
 * checks every field against tests/metadata-fixture.h.  Then runs a
 * component-mode differential backup of VOLUME: adds both components, sets
 * their backup options and previous stamps, snapshots, sets
 * SetBackupSucceeded, BackupComplete; the writer must be stable with no
 * failure after each step (its handlers veto when a requester value did not
 * arrive).  Finally SaveAsXML goes to BCDFILE and is loaded back with
 * vss_bcd_load_xml: the requester's values and the writer's stamps and
 * backup metadata must all be in it.  --rogue: the writer tried to add a
 * component at PostSnapshot; the document must still hold exactly the two
 * original components and none of the PostSnapshot values.
 *
 * Every mismatch is printed as "FAIL: ..."; exit 1 if there was any. */
#include "config.h"
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vss/backup.h>
#include <vss/metadata.h>
#include "tests/metadata-fixture.h"

static int failures;
static bool rogue;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures++;
}

static void call(vss_hr_t hr, const char *what)
{
	if (VSS_FAILED(hr))
		errx(1, "%s failed: %s", what, vss_last_error());
}

static void eq_str(const char *what, const char *want, const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got) != 0)
		fail("%s: expected '%s', got '%s'", what, want ? want : "(none)",
		     got ? got : "(none)");
}

static void eq_u(const char *what, unsigned long want, unsigned long got)
{
	if (want != got)
		fail("%s: expected %lu (0x%lx), got %lu (0x%lx)", what, want, want, got, got);
}

static void eq_id(const char *what, const vss_id_t *want, const vss_id_t *got)
{
	char a[VSS_ID_STRLEN], b[VSS_ID_STRLEN];

	if (!vss_id_equal(want, got))
		fail("%s: expected %s, got %s", what, vss_id_format(want, a),
		     vss_id_format(got, b));
}

static void check_filedesc(const char *what, size_t i, const vss_wm_filedesc_t *fd,
			   const struct fx_file *want, bool has_mask)
{
	char w[128];

	snprintf(w, sizeof(w), "%s %zu", what, i);
	if (!fd) {
		fail("%s: missing", w);
		return;
	}
	eq_str(w, want->path, vss_wm_filedesc_get_path(fd));
	eq_str(w, want->spec, vss_wm_filedesc_get_filespec(fd));
	eq_u(w, want->recursive, vss_wm_filedesc_get_recursive(fd));
	eq_str(w, want->alt, vss_wm_filedesc_get_alternate_location(fd));
	if (has_mask)
		eq_u(w, want->mask, vss_wm_filedesc_get_backup_type_mask(fd));
}

static void check_wmd_files(const vss_wmd_t *md)
{
	const vss_wm_filedesc_t *fd;
	size_t i, n;

	n = vss_wmd_exclude_count(md);
	eq_u("exclude count", FX_N(fx_excludes), n);
	for (i = 0; i < n && i < FX_N(fx_excludes); i++) {
		fd = NULL;
		vss_wmd_get_exclude(md, i, &fd);
		check_filedesc("exclude", i, fd, &fx_excludes[i], false);
	}
	n = vss_wmd_exclude_from_snapshot_count(md);
	eq_u("exclude-from-snapshot count", FX_N(fx_snap_excludes), n);
	for (i = 0; i < n && i < FX_N(fx_snap_excludes); i++) {
		fd = NULL;
		vss_wmd_get_exclude_from_snapshot(md, i, &fd);
		check_filedesc("exclude from snapshot", i, fd, &fx_snap_excludes[i], false);
	}
}

static void check_restore_method(const vss_wmd_t *md)
{
	VSS_RESTOREMETHOD_ENUM method = VSS_RME_UNDEFINED;
	VSS_WRITERRESTORE_ENUM wre = VSS_WRE_UNDEFINED;
	const char *service = NULL, *userproc = NULL;
	const vss_wm_filedesc_t *fd;
	bool reboot = false;
	size_t i, n = 0;

	if (vss_wmd_get_restore_method(md, &method, &service, &userproc, &wre, &reboot,
				       &n) != S_OK) {
		fail("restore method: none (%s)", vss_last_error());
		return;
	}
	eq_u("restore method", FX_RM_METHOD, method);
	eq_str("restore service", FX_RM_SERVICE, service);
	eq_str("restore user procedure", FX_RM_USERPROC, userproc);
	eq_u("writer restore", FX_RM_WRE, wre);
	eq_u("reboot required", FX_RM_REBOOT, reboot);
	eq_u("alternate location mappings", FX_N(fx_mappings), n);
	for (i = 0; i < n && i < FX_N(fx_mappings); i++) {
		fd = NULL;
		vss_wmd_get_alternate_location_mapping(md, i, &fd);
		check_filedesc("alternate location mapping", i, fd, &fx_mappings[i], false);
	}
}

static void check_component(const vss_wmd_t *md, size_t idx, VSS_COMPONENT_TYPE type,
			    const char *lp, const char *name, const char *caption,
			    const uint8_t *icon, size_t icon_len, bool rmd, bool notify,
			    bool sel, bool selr, uint32_t flags)
{
	const vss_wm_component_t *c = NULL;
	const vss_wm_filedesc_t *fd;
	vss_wm_component_info_t info;
	const struct fx_file *files = NULL, *dbs = NULL, *logs = NULL;
	size_t nfiles = 0, ndbs = 0, nlogs = 0, i;
	const vss_wm_dependency_t *dep;
	vss_id_t want_id, got_id;

	if (VSS_FAILED(vss_wmd_get_component(md, idx, &c)) ||
	    VSS_FAILED(vss_wm_component_get_info(c, &info))) {
		fail("component %zu: %s", idx, vss_last_error());
		return;
	}
	eq_u("component type", type, info.type);
	eq_str("component logical path", lp, info.logical_path);
	eq_str("component name", name, info.name);
	eq_str("component caption", caption, info.caption);
	eq_u("component icon length", icon_len, info.icon_len);
	if (icon_len && (!info.icon || info.icon_len != icon_len ||
			 memcmp(icon, info.icon, icon_len) != 0))
		fail("component %zu: the icon bytes differ", idx);
	eq_u("restore metadata", rmd, info.restore_metadata);
	eq_u("notify on backup complete", notify, info.notify_on_backup_complete);
	eq_u("selectable", sel, info.selectable);
	eq_u("selectable for restore", selr, info.selectable_for_restore);
	eq_u("component flags", flags, info.flags);
	if (type == VSS_CT_FILEGROUP) {
		files = fx_fg_files;
		nfiles = FX_N(fx_fg_files);
	} else {
		dbs = fx_db_files;
		ndbs = FX_N(fx_db_files);
		logs = fx_db_logs;
		nlogs = FX_N(fx_db_logs);
	}
	eq_u("file count", nfiles, info.file_count);
	eq_u("database file count", ndbs, info.database_count);
	eq_u("log file count", nlogs, info.log_file_count);
	for (i = 0; i < info.file_count && i < nfiles; i++) {
		fd = NULL;
		vss_wm_component_get_file(c, i, &fd);
		check_filedesc("file", i, fd, &files[i], true);
	}
	for (i = 0; i < info.database_count && i < ndbs; i++) {
		fd = NULL;
		vss_wm_component_get_database_file(c, i, &fd);
		check_filedesc("database file", i, fd, &dbs[i], true);
	}
	for (i = 0; i < info.log_file_count && i < nlogs; i++) {
		fd = NULL;
		vss_wm_component_get_database_log_file(c, i, &fd);
		check_filedesc("log file", i, fd, &logs[i], true);
	}
	eq_u("dependency count", type == VSS_CT_DATABASE ? 2 : 0, info.dependency_count);
	for (i = 0; i < info.dependency_count && i < 2; i++) {
		dep = NULL;
		if (VSS_FAILED(vss_wm_component_get_dependency(c, i, &dep)) || !dep) {
			fail("dependency %zu: %s", i, vss_last_error());
			continue;
		}
		vss_id_parse(i == 0 ? FX_CLASS_ID : FX_DEP2_WRITER, &want_id);
		got_id = VSS_ID_NULL;
		vss_wm_dependency_get_writer_id(dep, &got_id);
		eq_id("dependency writer", &want_id, &got_id);
		eq_str("dependency logical path", i == 0 ? FX_FG_LP : FX_DEP2_LP,
		       vss_wm_dependency_get_logical_path(dep));
		eq_str("dependency component", i == 0 ? FX_FG_NAME : FX_DEP2_NAME,
		       vss_wm_dependency_get_component_name(dep));
	}
}

/* Checks what vssd reports of the writer and its document. */
static void check_wmd(const vss_writer_metadata_t *m, const vss_id_t *cls)
{
	const char *fname = NULL, *iname = NULL;
	VSS_USAGE_TYPE usage = VSS_UT_UNDEFINED;
	VSS_SOURCE_TYPE source = VSS_ST_UNDEFINED;
	vss_id_t wid = VSS_ID_NULL, iid = VSS_ID_NULL;
	unsigned major = 0, minor = 0;
	vss_wmd_t *md = NULL;

	/* what vssd reports about the writer beside the document */
	eq_id("metadata writer id", cls, &m->writer_id);
	eq_str("metadata writer name", FX_NAME, m->writer_name);
	eq_str("metadata instance name", FX_INSTANCE, m->instance_name);
	eq_u("metadata usage", FX_USAGE, m->usage);
	eq_u("metadata source", FX_SOURCE, m->source);
	eq_u("metadata level", (unsigned long)FX_LEVEL, (unsigned long)m->level);

	if (!m->wmd_xml)
		errx(1, "the writer sent no Writer Metadata Document");
	call(vss_wmd_load_xml(m->wmd_xml, strlen(m->wmd_xml), &md), "vss_wmd_load_xml");
	call(vss_wmd_get_identity(md, &wid, &iid, &fname, &iname, &usage, &source),
	     "vss_wmd_get_identity");
	eq_id("WMD writer id", cls, &wid);
	eq_id("WMD instance id", &m->instance_id, &iid);
	eq_str("WMD friendly name", FX_NAME, fname);
	eq_str("WMD instance name", FX_INSTANCE, iname);
	eq_u("WMD usage", FX_USAGE, usage);
	eq_u("WMD source", FX_SOURCE, source);
	call(vss_wmd_get_version(md, &major, &minor), "vss_wmd_get_version");
	eq_u("WMD major version", FX_MAJOR, major);
	eq_u("WMD minor version", FX_MINOR, minor);
	eq_u("WMD backup schema", FX_SCHEMA, vss_wmd_get_backup_schema(md));
	check_restore_method(md);
	check_wmd_files(md);
	eq_u("component count", 2, vss_wmd_component_count(md));
	if (vss_wmd_component_count(md) == 2) {
		check_component(md, 0, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME, FX_FG_CAPTION,
				fx_fg_icon, sizeof(fx_fg_icon), true, true, true, false,
				FX_FG_FLAGS);
		check_component(md, 1, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME, FX_DB_CAPTION,
				NULL, 0, false, false, false, true, FX_DB_FLAGS);
	}
	vss_wmd_free(md);
}

/* The writer's state after the last step: stable or waiting, no failure. */
static void check_status(vss_backup_t *b, const vss_id_t *inst, VSS_WRITER_STATE want,
			 const char *step)
{
	const vss_writer_status_t *st;
	vss_async_t *a = NULL;
	unsigned i, n = 0;
	bool seen = false;

	call(vss_backup_gather_writer_status(b, &a), "GatherWriterStatus");
	call(vss_async_finish(a), "GatherWriterStatus (wait)");
	call(vss_backup_get_writer_status_count(b, &n), "GetWriterStatusCount");
	for (i = 0; i < n; i++) {
		call(vss_backup_get_writer_status(b, i, &st), "GetWriterStatus");
		if (!vss_id_equal(&st->instance_id, inst))
			continue;
		seen = true;
		if (st->state != want || st->failure_hr != S_OK)
			fail("after %s the writer is %s, failure %s: %s", step,
			     vss_writer_state_name(st->state),
			     vss_hr_name(st->failure_hr) ?: "?",
			     st->message ? st->message : "(no message)");
	}
	if (!seen)
		fail("after %s the writer is not in the status list", step);
	vss_backup_free_writer_status(b);
}

static void check_bcd(const char *xml, const vss_id_t *inst, const vss_id_t *cls,
		      const vss_id_t *set_id)
{
	vss_bcd_t *bcd = NULL;
	vss_component_t *c;
	vss_id_t id, wid;
	const char *iname = NULL;
	uint32_t schema = 0;
	bool sel = false, boot = true, partial = true;
	VSS_BACKUP_TYPE type = VSS_BT_UNDEFINED;
	size_t i, n;

	call(vss_bcd_load_xml(xml, strlen(xml), &bcd), "vss_bcd_load_xml");
	call(vss_bcd_get_backup_state(bcd, &sel, &boot, &type, &partial),
	     "vss_bcd_get_backup_state");
	eq_u("BCD select components", true, sel);
	eq_u("BCD bootable system state", false, boot);
	eq_u("BCD backup type", VSS_BT_DIFFERENTIAL, type);
	eq_u("BCD partial file support", false, partial);
	id = VSS_ID_NULL;
	vss_bcd_get_snapshot_set_id(bcd, &id);
	eq_id("BCD snapshot set id", set_id, &id);
	eq_u("BCD writer count", 1, vss_bcd_writer_count(bcd));
	if (vss_bcd_writer_count(bcd) != 1)
		goto out;
	call(vss_bcd_get_writer_info(bcd, 0, &id, &wid, &iname, &schema),
	     "vss_bcd_get_writer_info");
	eq_id("BCD writer instance", inst, &id);
	eq_id("BCD writer class", cls, &wid);
	eq_str("BCD instance name", FX_INSTANCE, iname);
	eq_u("BCD backup schema", FX_SCHEMA, schema);
	n = vss_bcd_component_count(bcd, 0);
	eq_u(rogue ? "BCD components after a rogue AddComponent" : "BCD components", 2, n);
	for (i = 0; i < n; i++) {
		bool fg;

		call(vss_bcd_get_component(bcd, 0, i, &c), "vss_bcd_get_component");
		if (strcmp(vss_component_get_name(c), FX_ROGUE_NAME) == 0) {
			fail("the component the writer added at PostSnapshot is in the BCD");
			continue;
		}
		fg = vss_component_get_type(c) == VSS_CT_FILEGROUP;
		eq_str("BCD logical path", fg ? FX_FG_LP : FX_DB_LP,
		       vss_component_get_logical_path(c));
		eq_str("BCD component name", fg ? FX_FG_NAME : FX_DB_NAME,
		       vss_component_get_name(c));
		eq_u("BCD backup succeeded", true, vss_component_get_backup_succeeded(c));
		eq_str("BCD backup options", fg ? FX_FG_OPTIONS : FX_DB_OPTIONS,
		       vss_component_get_backup_options(c));
		eq_str("BCD previous stamp", fg ? FX_FG_PREV : FX_DB_PREV,
		       vss_component_get_previous_backup_stamp(c));
		/* PrepareForBackup wrote the file group's metadata and the
		 * database's stamp, PostSnapshot the others (refused whole
		 * when the writer was rogue) */
		eq_str("BCD backup stamp", fg ? (rogue ? NULL : FX_FG_STAMP) : FX_DB_STAMP,
		       vss_component_get_backup_stamp(c));
		eq_str("BCD backup metadata", fg ? FX_FG_META : (rogue ? NULL : FX_DB_META),
		       vss_component_get_backup_metadata(c));
		wid = VSS_ID_NULL;
		vss_component_get_writer_id(c, &wid);
		eq_id("BCD component writer", cls, &wid);
	}
out:
	vss_bcd_free(bcd);
}

int main(int argc, char **argv)
{
	const vss_writer_metadata_t *m = NULL;
	vss_backup_t *b = NULL;
	vss_async_t *a = NULL;
	vss_id_t cls, inst = VSS_ID_NULL, set_id, snap_id;
	char *xml = NULL;
	unsigned i, n = 0;
	FILE *f;
	int argi = 1;

	if (argc > 1 && strcmp(argv[1], "--rogue") == 0) {
		rogue = true;
		argi++;
	}
	if (argc - argi != 2)
		errx(2, "usage: test-metadata-requester [--rogue] VOLUME BCDFILE");
	setvbuf(stdout, NULL, _IOLBF, 0);
	vss_id_parse(FX_CLASS_ID, &cls);

	call(vss_backup_new(&b, NULL), "vss_backup_new");
	call(vss_backup_initialize_for_backup(b, NULL), "InitializeForBackup");
	call(vss_backup_set_backup_state(b, true, false, VSS_BT_DIFFERENTIAL, false),
	     "SetBackupState");
	call(vss_backup_gather_writer_metadata(b, &a), "GatherWriterMetadata");
	call(vss_async_finish(a), "GatherWriterMetadata (wait)");
	call(vss_backup_get_writer_metadata_count(b, &n), "GetWriterMetadataCount");
	for (i = 0; i < n; i++) {
		const vss_writer_metadata_t *x;
		vss_id_t id;

		call(vss_backup_get_writer_metadata(b, i, &id, &x), "GetWriterMetadata");
		if (vss_id_equal(&x->writer_id, &cls)) {
			if (m)
				errx(1, "two instances of the test writer class");
			m = x;
			inst = id;
			eq_id("GetWriterMetadata instance id", &id, &x->instance_id);
		}
	}
	if (!m)
		errx(1, "the test writer is not among the %u writers", n);
	check_wmd(m, &cls);
	printf("wmd checked\n");

	call(vss_backup_add_component(b, &inst, &cls, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME),
	     "AddComponent (file group)");
	call(vss_backup_add_component(b, &inst, &cls, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME),
	     "AddComponent (database)");
	call(vss_backup_set_backup_options(b, &cls, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME,
					   FX_FG_OPTIONS), "SetBackupOptions");
	call(vss_backup_set_backup_options(b, &cls, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME,
					   FX_DB_OPTIONS), "SetBackupOptions");
	call(vss_backup_set_previous_backup_stamp(b, &cls, VSS_CT_FILEGROUP, FX_FG_LP,
						  FX_FG_NAME, FX_FG_PREV),
	     "SetPreviousBackupStamp");
	call(vss_backup_set_previous_backup_stamp(b, &cls, VSS_CT_DATABASE, FX_DB_LP,
						  FX_DB_NAME, FX_DB_PREV),
	     "SetPreviousBackupStamp");
	call(vss_backup_start_snapshot_set(b, &set_id), "StartSnapshotSet");
	call(vss_backup_add_to_snapshot_set(b, argv[argi], NULL, &snap_id), "AddToSnapshotSet");
	call(vss_backup_prepare_for_backup(b, &a), "PrepareForBackup");
	call(vss_async_finish(a), "PrepareForBackup (wait)");
	check_status(b, &inst, VSS_WS_STABLE, "PrepareForBackup");
	call(vss_backup_do_snapshot_set(b, &a), "DoSnapshotSet");
	call(vss_async_finish(a), "DoSnapshotSet (wait)");
	check_status(b, &inst, VSS_WS_WAITING_FOR_BACKUP_COMPLETE, "DoSnapshotSet");
	call(vss_backup_set_backup_succeeded(b, &inst, &cls, VSS_CT_FILEGROUP, FX_FG_LP,
					     FX_FG_NAME, true), "SetBackupSucceeded");
	call(vss_backup_set_backup_succeeded(b, &inst, &cls, VSS_CT_DATABASE, FX_DB_LP,
					     FX_DB_NAME, true), "SetBackupSucceeded");
	call(vss_backup_backup_complete(b, &a), "BackupComplete");
	call(vss_async_finish(a), "BackupComplete (wait)");
	/* the writer vetoes BackupComplete when a value did not reach it */
	check_status(b, &inst, VSS_WS_STABLE, "BackupComplete");

	call(vss_backup_save_as_xml(b, &xml), "SaveAsXML");
	f = fopen(argv[argi + 1], "w");
	if (!f || fputs(xml, f) < 0 || fclose(f) != 0)
		err(1, "%s", argv[argi + 1]);
	check_bcd(xml, &inst, &cls, &set_id);
	free(xml);
	vss_backup_free(b);
	if (failures) {
		printf("%d field(s) did not arrive intact\n", failures);
		return 1;
	}
	printf("bcd checked\n");
	return 0;
}
