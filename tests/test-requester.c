/* test-requester — a TEST PROGRAM, never installed: a requester driven by
 * its arguments, one VSS call per word, for the coordinator's conformance
 * and state-table tests (vshadow runs the whole sequence; this one can stop
 * anywhere, call anything in any state, and die on purpose).
 *
 *   test-requester [--socket PATH] WORD...
 *
 * Each WORD is a call; its result is printed as "<Call> <RESULT_NAME>".
 * By default a call that fails ends the program with exit 1; a preceding
 * "expect=NAME" (e.g. expect=VSS_E_BAD_STATE, expect=fail, expect=any)
 * says what the next call must return instead.  Asynchronous calls are
 * waited for, and their final status is what is checked.
 *
 * Words:
 *   init | init-restore=FILE | context=HEX | state=component|volume[:TYPE]
 *   gather | add-all | add=WRITERNAME:LOGICALPATH:NAME | start
 *   volume=PATH | supported=PATH | prepare | do | status | succeeded
 *   complete | abort | save=FILE | query | delete-set | sleep=MS
 *   do-nowait (start DoSnapshotSet, do not wait) | prepare-nowait (the same
 *   for PrepareForBackup) | wait (wait for that one; its final status) | die (_exit(7), the
 *   object is never released) | select-all (restore: select every
 *   component) | prerestore | restored (SetFileRestoreStatus ALL) |
 *   postrestore | cancel (start DoSnapshotSet and cancel it at once) |
 *   start-retry (StartSnapshotSet, retried for 10 s while another set is
 *   being created) | metadata (GetWriterMetadataCount) | disable
 *   (DisableWriterClasses of a random class) | delete-all (Query, then
 *   DeleteSnapshots of every snapshot listed)
 * Management of the first snapshot that Query lists: props (one line per
 *   snapshot: "props ID device=DEV exposed=NAME|- attrs=0xHEX") |
 *   expose[=DIR] (prints "exposed NAME") | unexpose | delete-noforce
 *   (DeleteSnapshots with force off) | revert | revert-force |
 *   revert-status=VOLUME (QueryRevertStatus; prints "progress D/T" each
 *   time the progress moves, then waits for the end)
 * Raw words send a call about a random writer and component, so that the
 * state check is what answers: add-raw options-raw succeeded-raw
 * delete-raw select-raw restored-raw
 *
 * "status" prints one line per writer: "writer <name> <STATE> <HR>". */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <vss/backup.h>
#include <vss/metadata.h>

static vss_backup_t *b;
static const char *expect;
static vss_id_t set_id;
static vss_async_t *nowait;	/* do-nowait's handle, freed at the end */

struct added {
	vss_id_t instance, writer;
	VSS_COMPONENT_TYPE type;
	char *lp, *name;
};
static struct added added[256];
static size_t nadded;

static const char *hrname(vss_hr_t hr, char buf[16])
{
	const char *n = vss_hr_name(hr);

	if (n)
		return n;
	snprintf(buf, 16, "0x%08X", (unsigned)hr);
	return buf;
}

static void check(const char *call, vss_hr_t hr)
{
	char buf[16];
	const char *want = expect;
	vss_hr_t w;

	expect = NULL;
	printf("%s %s\n", call, hrname(hr, buf));
	fflush(stdout);
	if (!want) {
		if (VSS_FAILED(hr)) {
			fprintf(stderr, "test-requester: %s failed: %s\n", call, vss_last_error());
			exit(1);
		}
		return;
	}
	if (strcmp(want, "any") == 0)
		return;
	if (strcmp(want, "fail") == 0) {
		if (VSS_SUCCEEDED(hr)) {
			fprintf(stderr, "test-requester: %s succeeded, expected a failure\n", call);
			exit(1);
		}
		return;
	}
	if (vss_hr_parse(want, &w) != 0) {
		fprintf(stderr, "test-requester: bad expect=%s\n", want);
		exit(2);
	}
	if (hr != w) {
		fprintf(stderr, "test-requester: %s returned %s, expected %s (%s)\n", call,
			hrname(hr, buf), want, vss_last_error());
		exit(1);
	}
}

/* Waits for an asynchronous call and returns its final status. */
/* Called as finish(call(&a), &a): the call has set a by the time the
 * pointer is read here (argument evaluation order is unspecified). */
static vss_hr_t finish(vss_hr_t hr, vss_async_t **ap)
{
	vss_async_t *a = *ap;
	vss_hr_t st = hr;

	if (VSS_FAILED(hr) || !a)
		return hr;
	hr = vss_async_wait(a, -1);
	if (VSS_SUCCEEDED(hr))
		hr = vss_async_query_status(a, &st);
	vss_async_free(a);
	if (VSS_FAILED(hr))
		return hr;
	return st == VSS_S_ASYNC_FINISHED ? S_OK : st;
}

/* The first snapshot Query lists. */
static vss_hr_t first_snapshot(vss_id_t *id)
{
	vss_snapshot_prop_t *p = NULL;
	size_t n = 0;
	vss_hr_t hr = vss_backup_query_snapshots(b, &p, &n);

	if (VSS_SUCCEEDED(hr) && n == 0)
		hr = VSS_E_OBJECT_NOT_FOUND;
	if (VSS_SUCCEEDED(hr))
		*id = p[0].snapshot_id;
	vss_snapshot_prop_array_free(p, n);
	return hr;
}

static vss_hr_t props(void)
{
	vss_snapshot_prop_t *p = NULL;
	size_t n = 0;
	char a[VSS_ID_STRLEN];
	vss_hr_t hr = vss_backup_query_snapshots(b, &p, &n);

	for (size_t k = 0; VSS_SUCCEEDED(hr) && k < n; k++)
		printf("props %s device=%s exposed=%s attrs=0x%08x\n",
		       vss_id_format(&p[k].snapshot_id, a),
		       p[k].snapshot_device_object ? p[k].snapshot_device_object : "",
		       p[k].exposed_name && *p[k].exposed_name ? p[k].exposed_name : "-",
		       (unsigned)p[k].snapshot_attributes);
	vss_snapshot_prop_array_free(p, n);
	return hr;
}

/* QueryRevertStatus, following the progress to the end. */
static vss_hr_t revert_status(const char *volume)
{
	uint64_t done, total, last = UINT64_MAX;
	vss_async_t *a = NULL;
	vss_hr_t hr = vss_backup_query_revert_status(b, volume, &a), st = VSS_S_ASYNC_PENDING;

	/* the last round reads the progress after the end */
	for (bool end = false; VSS_SUCCEEDED(hr) && !end;) {
		end = st != VSS_S_ASYNC_PENDING;
		hr = vss_async_query_progress(a, &done, &total);
		if (VSS_SUCCEEDED(hr) && done != last) {
			printf("progress %llu/%llu\n", (unsigned long long)done,
			       (unsigned long long)total);
			fflush(stdout);
			last = done;
		}
		if (VSS_SUCCEEDED(hr) && st == VSS_S_ASYNC_PENDING) {
			vss_async_wait(a, 20);
			hr = vss_async_query_status(a, &st);
		}
	}
	vss_async_free(a);
	if (VSS_FAILED(hr))
		return hr;
	return st == VSS_S_ASYNC_FINISHED ? S_OK : st;
}

static vss_hr_t add_all(void)
{
	unsigned n;
	vss_hr_t hr = vss_backup_get_writer_metadata_count(b, &n);

	for (unsigned i = 0; VSS_SUCCEEDED(hr) && i < n; i++) {
		const vss_writer_metadata_t *md;
		vss_id_t inst;
		vss_wmd_t *w;

		hr = vss_backup_get_writer_metadata(b, i, &inst, &md);
		if (VSS_FAILED(hr))
			break;
		hr = vss_wmd_load_xml(md->wmd_xml, strlen(md->wmd_xml), &w);
		if (VSS_FAILED(hr))
			break;
		for (size_t c = 0; VSS_SUCCEEDED(hr) && c < vss_wmd_component_count(w); c++) {
			const vss_wm_component_t *comp;
			vss_wm_component_info_t info;

			hr = vss_wmd_get_component(w, c, &comp);
			if (VSS_SUCCEEDED(hr))
				hr = vss_wm_component_get_info(comp, &info);
			if (VSS_FAILED(hr) || nadded >= 256)
				break;
			hr = vss_backup_add_component(b, &inst, &md->writer_id, info.type,
						      info.logical_path, info.name);
			if (VSS_SUCCEEDED(hr)) {
				struct added *a = &added[nadded++];

				a->instance = inst;
				a->writer = md->writer_id;
				a->type = info.type;
				a->lp = info.logical_path ? strdup(info.logical_path) : NULL;
				a->name = strdup(info.name);
			}
		}
		vss_wmd_free(w);
	}
	return hr;
}

static vss_hr_t add_one(const char *spec)
{
	char *s = strdup(spec), *lp, *name;
	unsigned n;
	vss_hr_t hr = E_INVALIDARG;

	lp = strchr(s, ':');
	name = lp ? strchr(lp + 1, ':') : NULL;
	if (!name) {
		free(s);
		return E_INVALIDARG;
	}
	*lp++ = '\0';
	*name++ = '\0';
	if (VSS_FAILED(vss_backup_get_writer_metadata_count(b, &n)))
		n = 0;
	for (unsigned i = 0; i < n; i++) {
		const vss_writer_metadata_t *md;
		vss_id_t inst;

		if (VSS_SUCCEEDED(vss_backup_get_writer_metadata(b, i, &inst, &md)) &&
		    strcmp(md->writer_name, s) == 0) {
			hr = vss_backup_add_component(b, &inst, &md->writer_id, VSS_CT_FILEGROUP,
						      *lp ? lp : NULL, name);
			if (VSS_SUCCEEDED(hr) && nadded < 256) {
				struct added *a = &added[nadded++];

				a->instance = inst;
				a->writer = md->writer_id;
				a->type = VSS_CT_FILEGROUP;
				a->lp = *lp ? strdup(lp) : NULL;
				a->name = strdup(name);
			}
			break;
		}
	}
	free(s);
	return hr;
}

static vss_hr_t status(void)
{
	vss_async_t *a = NULL;
	unsigned n;
	vss_hr_t hr = finish(vss_backup_gather_writer_status(b, &a), &a);

	if (VSS_FAILED(hr))
		return hr;
	hr = vss_backup_get_writer_status_count(b, &n);
	for (unsigned i = 0; VSS_SUCCEEDED(hr) && i < n; i++) {
		const vss_writer_status_t *st;
		char buf[16];

		hr = vss_backup_get_writer_status(b, i, &st);
		if (VSS_SUCCEEDED(hr))
			printf("writer %s %s %s%s%s\n", st->writer_name,
			       vss_writer_state_name(st->state), hrname(st->failure_hr, buf),
			       st->message ? " message=" : "", st->message ? st->message : "");
	}
	return hr;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Restore: select every component the document holds. */
static vss_hr_t restore_all(int what)
{
	char *xml = NULL;
	vss_bcd_t *d = NULL;
	vss_hr_t hr = vss_backup_save_as_xml(b, &xml);

	if (VSS_SUCCEEDED(hr))
		hr = vss_bcd_load_xml(xml, strlen(xml), &d);
	for (size_t w = 0; VSS_SUCCEEDED(hr) && w < vss_bcd_writer_count(d); w++) {
		vss_id_t inst, cls;
		const char *iname;
		uint32_t schema;

		hr = vss_bcd_get_writer_info(d, w, &inst, &cls, &iname, &schema);
		for (size_t c = 0; VSS_SUCCEEDED(hr) && c < vss_bcd_component_count(d, w); c++) {
			vss_component_t *comp;

			hr = vss_bcd_get_component(d, w, c, &comp);
			if (VSS_FAILED(hr))
				break;
			if (what == 0)
				hr = vss_backup_set_selected_for_restore(b, &inst, &cls,
					vss_component_get_type(comp),
					vss_component_get_logical_path(comp),
					vss_component_get_name(comp), true);
			else
				hr = vss_backup_set_file_restore_status(b, &inst, &cls,
					vss_component_get_type(comp),
					vss_component_get_logical_path(comp),
					vss_component_get_name(comp), VSS_RS_ALL);
		}
	}
	vss_bcd_free(d);
	free(xml);
	return hr;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int i = 1;
	vss_hr_t hr;

	if (argc > 2 && strcmp(argv[1], "--socket") == 0) {
		sock = argv[2];
		i = 3;
	}
	hr = vss_backup_new(&b, sock);
	if (VSS_FAILED(hr)) {
		fprintf(stderr, "test-requester: cannot connect: %s\n", vss_last_error());
		return 1;
	}
	for (; i < argc; i++) {
		const char *w = argv[i];
		const char *arg = strchr(w, '=') ? strchr(w, '=') + 1 : "";
		vss_async_t *a = NULL;
		vss_id_t snap;

		if (strncmp(w, "expect=", 7) == 0) {
			expect = arg;
		} else if (strcmp(w, "init") == 0) {
			check("InitializeForBackup", vss_backup_initialize_for_backup(b, NULL));
		} else if (strncmp(w, "init-restore=", 13) == 0) {
			size_t len;
			char *x = slurp(arg, &len);

			check("InitializeForRestore", x ? vss_backup_initialize_for_restore(b, x) :
				E_INVALIDARG);
			free(x);
		} else if (strncmp(w, "context=", 8) == 0) {
			check("SetContext", vss_backup_set_context(b, (int32_t)strtoul(arg, NULL, 16)));
		} else if (strncmp(w, "state=", 6) == 0) {
			bool comp = strncmp(arg, "component", 9) == 0;
			const char *t = strchr(arg, ':');

			check("SetBackupState", vss_backup_set_backup_state(b, comp, false,
				t ? (VSS_BACKUP_TYPE)atoi(t + 1) : VSS_BT_FULL, false));
		} else if (strcmp(w, "gather") == 0) {
			check("GatherWriterMetadata",
			      finish(vss_backup_gather_writer_metadata(b, &a), &a));
		} else if (strcmp(w, "add-all") == 0) {
			check("AddComponent", add_all());
		} else if (strncmp(w, "add=", 4) == 0) {
			check("AddComponent", add_one(arg));
		} else if (strcmp(w, "start") == 0) {
			check("StartSnapshotSet", vss_backup_start_snapshot_set(b, &set_id));
		} else if (strncmp(w, "volume=", 7) == 0) {
			check("AddToSnapshotSet", vss_backup_add_to_snapshot_set(b, arg, NULL, &snap));
		} else if (strncmp(w, "supported=", 10) == 0) {
			bool sup = false;

			hr = vss_backup_is_volume_supported(b, arg, NULL, &sup);
			check("IsVolumeSupported", VSS_SUCCEEDED(hr) && !sup ? S_FALSE : hr);
		} else if (strcmp(w, "prepare") == 0) {
			check("PrepareForBackup", finish(vss_backup_prepare_for_backup(b, &a), &a));
		} else if (strcmp(w, "do") == 0) {
			check("DoSnapshotSet", finish(vss_backup_do_snapshot_set(b, &a), &a));
		} else if (strcmp(w, "do-nowait") == 0) {
			a = NULL;
			check("DoSnapshotSet", vss_backup_do_snapshot_set(b, &a));
			vss_async_free(nowait);
			nowait = a;
		} else if (strcmp(w, "prepare-nowait") == 0) {
			a = NULL;
			check("PrepareForBackup", vss_backup_prepare_for_backup(b, &a));
			vss_async_free(nowait);
			nowait = a;
		} else if (strcmp(w, "wait") == 0) {
			check("Wait", finish(nowait ? S_OK : E_INVALIDARG, &nowait));
			nowait = NULL;
		} else if (strcmp(w, "cancel") == 0) {
			const char *want = expect;

			expect = NULL;
			hr = vss_backup_do_snapshot_set(b, &a);
			if (VSS_SUCCEEDED(hr))
				check("Cancel", vss_async_cancel(a));
			expect = want;
			check("DoSnapshotSet", finish(hr, &a));
		} else if (strcmp(w, "status") == 0) {
			check("GatherWriterStatus", status());
		} else if (strcmp(w, "status-count") == 0) {
			unsigned n = 0;

			check("GetWriterStatusCount", vss_backup_get_writer_status_count(b, &n));
			printf("writers %u\n", n);
		} else if (strcmp(w, "succeeded") == 0) {
			hr = S_OK;
			for (size_t k = 0; k < nadded && VSS_SUCCEEDED(hr); k++)
				hr = vss_backup_set_backup_succeeded(b, &added[k].instance,
					&added[k].writer, added[k].type, added[k].lp,
					added[k].name, true);
			check("SetBackupSucceeded", hr);
		} else if (strcmp(w, "complete") == 0) {
			check("BackupComplete", finish(vss_backup_backup_complete(b, &a), &a));
		} else if (strcmp(w, "abort") == 0) {
			check("AbortBackup", vss_backup_abort_backup(b));
		} else if (strncmp(w, "save=", 5) == 0) {
			char *xml = NULL;
			FILE *f;

			hr = vss_backup_save_as_xml(b, &xml);
			if (VSS_SUCCEEDED(hr) && ((f = fopen(arg, "w")) == NULL ||
						  fputs(xml, f) < 0 || fclose(f) != 0))
				hr = E_FAIL;
			free(xml);
			check("SaveAsXML", hr);
		} else if (strcmp(w, "query") == 0) {
			vss_snapshot_prop_t *p = NULL;
			size_t n = 0;

			hr = vss_backup_query_snapshots(b, &p, &n);
			if (VSS_SUCCEEDED(hr)) {
				for (size_t k = 0; k < n; k++)
					printf("snapshot %s device=%s\n",
					       p[k].original_volume_name ? p[k].original_volume_name : "",
					       p[k].snapshot_device_object ?
						       p[k].snapshot_device_object : "");
				printf("snapshots %zu\n", n);
			}
			vss_snapshot_prop_array_free(p, n);
			check("Query", hr);
		} else if (strcmp(w, "delete-all") == 0) {
			vss_snapshot_prop_t *p = NULL;
			size_t n = 0;
			long del = 0, total = 0;
			vss_id_t nd;

			hr = vss_backup_query_snapshots(b, &p, &n);
			for (size_t k = 0; VSS_SUCCEEDED(hr) && k < n; k++) {
				hr = vss_backup_delete_snapshots(b, &p[k].snapshot_id,
								 VSS_OBJECT_SNAPSHOT, true, &del, &nd);
				total += del;
			}
			vss_snapshot_prop_array_free(p, n);
			printf("deleted %ld\n", total);
			check("DeleteSnapshots", hr);
		} else if (strcmp(w, "delete-set") == 0) {
			long del = 0;
			vss_id_t nd;

			hr = vss_backup_delete_snapshots(b, &set_id, VSS_OBJECT_SNAPSHOT_SET, true,
							 &del, &nd);
			printf("deleted %ld\n", del);
			check("DeleteSnapshots", hr);
		} else if (strcmp(w, "start-retry") == 0) {
			for (int k = 0; k < 200; k++) {
				hr = vss_backup_start_snapshot_set(b, &set_id);
				if (hr != VSS_E_SNAPSHOT_SET_IN_PROGRESS)
					break;
				usleep(50000);
			}
			check("StartSnapshotSet", hr);
		} else if (strcmp(w, "metadata") == 0) {
			unsigned n;

			check("GetWriterMetadataCount", vss_backup_get_writer_metadata_count(b, &n));
		} else if (strcmp(w, "disable") == 0) {
			vss_id_t id;

			vss_id_generate(&id);
			check("DisableWriterClasses", vss_backup_disable_writer_classes(b, &id, 1));
		} else if (strcmp(w, "add-raw") == 0 || strcmp(w, "options-raw") == 0 ||
			   strcmp(w, "succeeded-raw") == 0 || strcmp(w, "select-raw") == 0 ||
			   strcmp(w, "restored-raw") == 0) {
			vss_id_t inst, cls;

			vss_id_generate(&inst);
			vss_id_generate(&cls);
			if (w[0] == 'a')
				check("AddComponent", vss_backup_add_component(b, &inst, &cls,
					VSS_CT_FILEGROUP, "lp", "c"));
			else if (w[0] == 'o')
				check("SetBackupOptions", vss_backup_set_backup_options(b, &cls,
					VSS_CT_FILEGROUP, "lp", "c", "opt"));
			else if (w[1] == 'u')
				check("SetBackupSucceeded", vss_backup_set_backup_succeeded(b, &inst,
					&cls, VSS_CT_FILEGROUP, "lp", "c", true));
			else if (w[2] == 'l')
				check("SetSelectedForRestore", vss_backup_set_selected_for_restore(b,
					&inst, &cls, VSS_CT_FILEGROUP, "lp", "c", true));
			else
				check("SetFileRestoreStatus", vss_backup_set_file_restore_status(b,
					&inst, &cls, VSS_CT_FILEGROUP, "lp", "c", VSS_RS_ALL));
		} else if (strcmp(w, "delete-raw") == 0) {
			vss_id_t id, nd;
			long del;

			vss_id_generate(&id);
			check("DeleteSnapshots", vss_backup_delete_snapshots(b, &id,
				VSS_OBJECT_SNAPSHOT, true, &del, &nd));
		} else if (strcmp(w, "props") == 0) {
			check("Query", props());
		} else if (strcmp(w, "expose") == 0 || strncmp(w, "expose=", 7) == 0) {
			char *name = NULL;

			hr = first_snapshot(&snap);
			if (VSS_SUCCEEDED(hr))
				hr = vss_backup_expose_snapshot(b, &snap, *arg ? arg : NULL, &name);
			if (VSS_SUCCEEDED(hr))
				printf("exposed %s\n", name ? name : "");
			free(name);
			check("ExposeSnapshot", hr);
		} else if (strcmp(w, "unexpose") == 0) {
			hr = first_snapshot(&snap);
			check("UnexposeSnapshot", VSS_SUCCEEDED(hr) ?
			      vss_backup_unexpose_snapshot(b, &snap) : hr);
		} else if (strcmp(w, "delete-noforce") == 0) {
			long del = 0;
			vss_id_t nd;

			hr = first_snapshot(&snap);
			if (VSS_SUCCEEDED(hr))
				hr = vss_backup_delete_snapshots(b, &snap, VSS_OBJECT_SNAPSHOT, false,
								 &del, &nd);
			printf("deleted %ld\n", del);
			check("DeleteSnapshots", hr);
		} else if (strcmp(w, "revert") == 0 || strcmp(w, "revert-force") == 0) {
			hr = first_snapshot(&snap);
			check("RevertToSnapshot", VSS_SUCCEEDED(hr) ?
			      vss_backup_revert_to_snapshot(b, &snap, w[6] == '-') : hr);
		} else if (strncmp(w, "revert-status=", 14) == 0) {
			check("QueryRevertStatus", revert_status(arg));
		} else if (strncmp(w, "sleep=", 6) == 0) {
			usleep((useconds_t)atoi(arg) * 1000);
		} else if (strcmp(w, "die") == 0) {
			fflush(stdout);
			_exit(7);
		} else if (strcmp(w, "select-all") == 0) {
			check("SetSelectedForRestore", restore_all(0));
		} else if (strcmp(w, "restored") == 0) {
			check("SetFileRestoreStatus", restore_all(1));
		} else if (strcmp(w, "prerestore") == 0) {
			check("PreRestore", finish(vss_backup_pre_restore(b, &a), &a));
		} else if (strcmp(w, "postrestore") == 0) {
			check("PostRestore", finish(vss_backup_post_restore(b, &a), &a));
		} else {
			fprintf(stderr, "test-requester: unknown word '%s'\n", w);
			return 2;
		}
	}
	vss_backup_free(b);
	vss_async_free(nowait);
	for (size_t k = 0; k < nadded; k++) {
		free(added[k].lp);
		free(added[k].name);
	}
	return 0;
}
