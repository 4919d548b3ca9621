/* test-metadata-writer — a TEST PROGRAM, never installed: a writer built
 * with the libvss writer API whose documents carry every field of
 * tests/metadata-fixture.h, for tests/test-metadata.sh.
 *
 *   test-metadata-writer [--rogue]
 *
 * OnIdentify fills a rich Writer Metadata Document (identity, restore
 * method with alternate location mappings, a FILE_GROUP and a DATABASE
 * component, files, database and log files, excludes, dependencies, backup
 * schema).  OnPrepareBackup checks that the requester's backup options and
 * previous stamps arrived and writes the file group's backup metadata and
 * the database's stamp; OnPostSnapshot writes the file group's stamp and the
 * database's metadata; OnBackupComplete checks that every one of those, and
 * the requester's SetBackupSucceeded, came back.  A check that fails is
 * reported with vss_writer_set_failure_ex (VSS_E_WRITERERROR_NONRETRYABLE
 * and a message naming the field) and a veto.
 *
 * --rogue: OnPostSnapshot also adds a component to its document; vssd must
 * refuse the whole edited document, so that neither the component nor the
 * PostSnapshot values reach the requester, and OnBackupComplete expects
 * them absent.
 *
 * Uses $VSS_SOCKET.  Prints "ready" once subscribed; runs until SIGTERM or
 * SIGINT (exit 0), or until vssd goes away (exit 3).  Every event is logged on stderr as "event NAME". */
#include "config.h"
#include <err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vss/writer.h>
#include "tests/metadata-fixture.h"

static bool rogue;

static bool ok(vss_hr_t hr, const char *what)
{
	if (VSS_FAILED(hr))
		warnx("%s: %s", what, vss_last_error());
	return VSS_SUCCEEDED(hr);
}

static bool on_identify(vss_writer_t *w, vss_wmd_t *md, void *user)
{
	vss_id_t dep;
	bool r = true;
	size_t i;

	(void)w;
	(void)user;
	fprintf(stderr, "event Identify\n");
	r &= ok(vss_wmd_set_restore_method(md, FX_RM_METHOD, FX_RM_SERVICE, FX_RM_USERPROC,
					   FX_RM_WRE, FX_RM_REBOOT), "restore method");
	for (i = 0; i < FX_N(fx_mappings); i++)
		r &= ok(vss_wmd_add_alternate_location_mapping(md, fx_mappings[i].path,
							       fx_mappings[i].spec,
							       fx_mappings[i].recursive,
							       fx_mappings[i].alt), "mapping");
	r &= ok(vss_wmd_add_component(md, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME, FX_FG_CAPTION,
				      fx_fg_icon, sizeof(fx_fg_icon), true, true, true, false,
				      FX_FG_FLAGS), "file group");
	for (i = 0; i < FX_N(fx_fg_files); i++)
		r &= ok(vss_wmd_add_files_to_file_group(md, FX_FG_LP, FX_FG_NAME,
							fx_fg_files[i].path, fx_fg_files[i].spec,
							fx_fg_files[i].recursive,
							fx_fg_files[i].alt, fx_fg_files[i].mask),
			"file");
	r &= ok(vss_wmd_add_component(md, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME, FX_DB_CAPTION,
				      NULL, 0, false, false, false, true, FX_DB_FLAGS),
		"database");
	for (i = 0; i < FX_N(fx_db_files); i++)
		r &= ok(vss_wmd_add_database_files(md, FX_DB_LP, FX_DB_NAME, fx_db_files[i].path,
						   fx_db_files[i].spec, fx_db_files[i].mask),
			"database file");
	for (i = 0; i < FX_N(fx_db_logs); i++)
		r &= ok(vss_wmd_add_database_log_files(md, FX_DB_LP, FX_DB_NAME,
						       fx_db_logs[i].path, fx_db_logs[i].spec,
						       fx_db_logs[i].mask), "log file");
	for (i = 0; i < FX_N(fx_excludes); i++)
		r &= ok(vss_wmd_add_exclude_files(md, fx_excludes[i].path, fx_excludes[i].spec,
						  fx_excludes[i].recursive), "exclude");
	for (i = 0; i < FX_N(fx_snap_excludes); i++)
		r &= ok(vss_wmd_add_exclude_files_from_snapshot(md, fx_snap_excludes[i].path,
								fx_snap_excludes[i].spec,
								fx_snap_excludes[i].recursive),
			"exclude from snapshot");
	vss_id_parse(FX_CLASS_ID, &dep);
	r &= ok(vss_wmd_add_component_dependency(md, FX_DB_LP, FX_DB_NAME, &dep, FX_FG_LP,
						 FX_FG_NAME), "dependency");
	vss_id_parse(FX_DEP2_WRITER, &dep);
	r &= ok(vss_wmd_add_component_dependency(md, FX_DB_LP, FX_DB_NAME, &dep, FX_DEP2_LP,
						 FX_DEP2_NAME), "dependency");
	r &= ok(vss_wmd_set_backup_schema(md, FX_SCHEMA), "backup schema");
	return r;
}

/* Writer-side checks: the first mismatch is reported as the event's failure
 * (its message names the field) and the handler vetoes. */
struct check {
	vss_writer_t *w;
	bool failed;
};

static void __attribute__((format(printf, 2, 3))) mismatch(struct check *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("check failed: %s", msg);
	if (!c->failed)
		vss_writer_set_failure_ex(c->w, VSS_E_WRITERERROR_NONRETRYABLE, E_FAIL, msg);
	c->failed = true;
}

static void expect_str(struct check *c, const char *what, const char *want, const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got) != 0)
		mismatch(c, "%s: expected '%s', got '%s'", what, want ? want : "(none)",
			 got ? got : "(none)");
}

static vss_component_t *component(struct check *c, vss_bcd_t *bcd, VSS_COMPONENT_TYPE type,
				  const char *lp, const char *name)
{
	vss_component_t *comp = NULL;
	size_t i, n;

	if (!bcd) {
		mismatch(c, "no Backup Components Document in a component-mode backup");
		return NULL;
	}
	n = vss_bcd_writer_count(bcd) ? vss_bcd_component_count(bcd, 0) : 0;
	for (i = 0; i < n; i++) {
		if (VSS_FAILED(vss_bcd_get_component(bcd, 0, i, &comp)))
			continue;
		if (vss_component_get_type(comp) == type &&
		    strcmp(vss_component_get_logical_path(comp) ?: "", lp) == 0 &&
		    strcmp(vss_component_get_name(comp), name) == 0)
			return comp;
	}
	mismatch(c, "component '%s' '%s' is not in the document", lp, name);
	return NULL;
}

/* The requester's values, visible from PrepareForBackup on. */
static void check_requester_values(struct check *c, vss_component_t *fg, vss_component_t *db)
{
	if (fg) {
		expect_str(c, "file group backup options", FX_FG_OPTIONS,
			   vss_component_get_backup_options(fg));
		expect_str(c, "file group previous stamp", FX_FG_PREV,
			   vss_component_get_previous_backup_stamp(fg));
	}
	if (db) {
		expect_str(c, "database backup options", FX_DB_OPTIONS,
			   vss_component_get_backup_options(db));
		expect_str(c, "database previous stamp", FX_DB_PREV,
			   vss_component_get_previous_backup_stamp(db));
	}
}

static bool on_prepare_backup(vss_writer_t *w, vss_bcd_t *bcd, void *user)
{
	struct check c = { w, false };
	vss_component_t *fg, *db;
	VSS_BACKUP_TYPE type = VSS_BT_UNDEFINED;
	bool selected = false;

	(void)user;
	fprintf(stderr, "event PrepareForBackup\n");
	if (VSS_FAILED(vss_writer_get_backup_type(w, &type)) || type != VSS_BT_DIFFERENTIAL)
		mismatch(&c, "backup type: expected VSS_BT_DIFFERENTIAL, got %d", (int)type);
	if (VSS_FAILED(vss_writer_are_components_selected(w, &selected)) || !selected)
		mismatch(&c, "components are not selected");
	fg = component(&c, bcd, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME);
	db = component(&c, bcd, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME);
	check_requester_values(&c, fg, db);
	if (fg && VSS_FAILED(vss_component_set_backup_metadata(fg, FX_FG_META)))
		mismatch(&c, "SetBackupMetadata: %s", vss_last_error());
	if (db && VSS_FAILED(vss_component_set_backup_stamp(db, FX_DB_STAMP)))
		mismatch(&c, "SetBackupStamp: %s", vss_last_error());
	return !c.failed;
}

static bool on_post_snapshot(vss_writer_t *w, vss_bcd_t *bcd, void *user)
{
	struct check c = { w, false };
	vss_component_t *fg, *db;
	vss_id_t inst = VSS_ID_NULL, cls;

	(void)user;
	fprintf(stderr, "event PostSnapshot\n");
	fg = component(&c, bcd, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME);
	db = component(&c, bcd, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME);
	/* what this writer wrote at PrepareForBackup came back */
	if (fg)
		expect_str(&c, "file group backup metadata at PostSnapshot", FX_FG_META,
			   vss_component_get_backup_metadata(fg));
	if (db)
		expect_str(&c, "database stamp at PostSnapshot", FX_DB_STAMP,
			   vss_component_get_backup_stamp(db));
	if (fg && VSS_FAILED(vss_component_set_backup_stamp(fg, FX_FG_STAMP)))
		mismatch(&c, "SetBackupStamp: %s", vss_last_error());
	if (db && VSS_FAILED(vss_component_set_backup_metadata(db, FX_DB_META)))
		mismatch(&c, "SetBackupMetadata: %s", vss_last_error());
	if (rogue && bcd) {
		vss_writer_get_instance_id(w, &inst);
		vss_id_parse(FX_CLASS_ID, &cls);
		if (VSS_FAILED(vss_bcd_add_component(bcd, &inst, &cls, FX_INSTANCE, FX_SCHEMA,
						     VSS_CT_FILEGROUP, NULL, FX_ROGUE_NAME)))
			mismatch(&c, "the rogue AddComponent failed locally: %s",
				 vss_last_error());
		else
			fprintf(stderr, "rogue: added component %s\n", FX_ROGUE_NAME);
	}
	return !c.failed;
}

static bool on_backup_complete(vss_writer_t *w, vss_bcd_t *bcd, void *user)
{
	struct check c = { w, false };
	vss_component_t *fg, *db;

	(void)user;
	fprintf(stderr, "event BackupComplete\n");
	fg = component(&c, bcd, VSS_CT_FILEGROUP, FX_FG_LP, FX_FG_NAME);
	db = component(&c, bcd, VSS_CT_DATABASE, FX_DB_LP, FX_DB_NAME);
	check_requester_values(&c, fg, db);
	if (fg) {
		if (!vss_component_get_backup_succeeded(fg))
			mismatch(&c, "file group: SetBackupSucceeded(true) did not arrive");
		expect_str(&c, "file group backup metadata", FX_FG_META,
			   vss_component_get_backup_metadata(fg));
		expect_str(&c, "file group stamp", rogue ? NULL : FX_FG_STAMP,
			   vss_component_get_backup_stamp(fg));
	}
	if (db) {
		if (!vss_component_get_backup_succeeded(db))
			mismatch(&c, "database: SetBackupSucceeded(true) did not arrive");
		expect_str(&c, "database stamp", FX_DB_STAMP, vss_component_get_backup_stamp(db));
		expect_str(&c, "database backup metadata", rogue ? NULL : FX_DB_META,
			   vss_component_get_backup_metadata(db));
	}
	if (bcd && vss_bcd_writer_count(bcd) == 1 && vss_bcd_component_count(bcd, 0) != 2)
		mismatch(&c, "%zu components at BackupComplete, expected 2",
			 vss_bcd_component_count(bcd, 0));
	if (!c.failed)
		fprintf(stderr, "BackupComplete: every value arrived\n");
	return !c.failed;
}

static bool on_true(vss_writer_t *w, void *user)
{
	(void)w;
	(void)user;
	return true;
}

static const struct vss_writer_ops ops = {
	.struct_size = sizeof(struct vss_writer_ops),
	.on_identify = on_identify,
	.on_prepare_backup = on_prepare_backup,
	.on_prepare_snapshot = on_true,
	.on_freeze = on_true,
	.on_thaw = on_true,
	.on_post_snapshot = on_post_snapshot,
	.on_abort = on_true,
	.on_backup_complete = on_backup_complete,
};

int main(int argc, char **argv)
{
	vss_writer_t *w = NULL;
	vss_id_t cls;
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t sigs;

	if (argc == 2 && strcmp(argv[1], "--rogue") == 0)
		rogue = true;
	else if (argc != 1)
		errx(2, "usage: test-metadata-writer [--rogue]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* threads inherit the mask: the signals are taken by sigwait only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	vss_id_parse(FX_CLASS_ID, &cls);
	if (VSS_FAILED(vss_writer_new(&ops, NULL, &w)) ||
	    VSS_FAILED(vss_writer_initialize(w, &cls, FX_NAME, FX_USAGE, FX_SOURCE, FX_LEVEL,
					     0, FX_INSTANCE, FX_MAJOR, FX_MINOR)) ||
	    VSS_FAILED(vss_writer_subscribe(w, 0)))
		errx(1, "%s", vss_last_error());
	printf("ready\n");
	/* until a signal, or exit 3 when vssd goes away */
	while (sigtimedwait(&sigs, NULL, &tick) < 0) {
		if (vss_writer_wait(w, 0) == VSS_E_WRITER_INFRASTRUCTURE) {
			vss_writer_free(w);
			errx(3, "the connection to vssd was lost");
		}
	}
	vss_writer_free(w);
	return 0;
}
