/* vshadow — the scriptable requester, modelled on the Windows SDK sample
 * VShadow 3.0 (vss-protocol §11.2).  Manual: vshadow(1).
 *
 * Without a command it creates a shadow copy set of the volumes given and
 * runs the whole backup sequence; the commands (-q, -da, -ws, ...) each
 * run one management task in a session of their own.  Every command is a
 * <verb>_main() in the table at the end. */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vss/metadata.h>
#include "reqprint.h"
#include "vshadow.h"

static struct vs_opts o;
static vss_backup_t *b;
static FILE *out;		/* progress and text output: stdout, stderr with --json */

static void usage(FILE *f)
{
	fprintf(f,
"Usage:\n"
" vshadow [options] VOLUME...   create a shadow copy set of the volumes\n"
" vshadow COMMAND               run one query, delete or writer command\n"
"\n"
"Creates and manages shadow copies through vssd (the Linux VShadow).\n"
"Options and commands take the form -x, /x, -x=VALUE or /x=VALUE.\n"
"\n"
"Options for creation:\n"
" -p                 persistent shadow copies (with -nw: NAS rollback)\n"
" -nw                no writers (file share backup context)\n"
" -nar               no auto-recovery (VSS_VOLSNAP_ATTR_NO_AUTORECOVERY)\n"
" -tr                TxF recovery (VSS_VOLSNAP_ATTR_TXF_RECOVERY)\n"
" -ad                differential shadow copies\n"
" -ap                plex shadow copies\n"
" -scsf              client-accessible shadow copies\n"
" -wi=WRITER         require this writer or component in the backup (repeatable)\n"
" -wx=WRITER         exclude this writer or component (repeatable)\n"
" -bc=FILE           save the backup components document to FILE\n"
" -t=FILE            transportable shadow copies; save the document to FILE\n"
" -script=FILE       write a shell script setting SHADOW_* variables\n"
" -exec=COMMAND      run COMMAND after the creation, before the end\n"
" -wait              wait for Enter before exiting\n"
" -tracing           trace every call to the library\n"
"\n"
"Commands:\n"
" -q                 list all shadow copies\n"
" -qx=SETID          list the shadow copies of a set\n"
" -s=SNAPID          show one shadow copy\n"
" -da                delete all shadow copies (asks for confirmation)\n"
" -do=VOLUME         delete the oldest shadow copy of a volume\n"
" -dx=SETID          delete a shadow copy set\n"
" -ds=SNAPID         delete one shadow copy\n"
" -ws                list writer status\n"
" -wm                list writer metadata (summary)\n"
" -wm2               list writer metadata (components)\n"
" -wm3               list writer metadata (raw XML)\n"
" -el=SNAPID,DIR     expose a shadow copy: mount it read-only at DIR\n"
" -revert=SNAPID     revert a volume to a shadow copy (forced dismount; waits\n"
"                    for the end, showing the progress)\n"
" -isup VOLUME       tell whether a provider supports a volume\n"
" -r=FILE            restore the components of a saved document\n"
" -rs=FILE           simulate that restore (no PreRestore/PostRestore)\n"
"\n"
" --json             machine-readable output (queries, writers, -isup, creation)\n"
" -?, -h, --help     display this help\n"
" --version          display version\n"
"\n"
"Environment: VSS_SOCKET names vssd's socket.\n"
"For more details see vshadow(1).\n");
}

static void banner(void)
{
	fprintf(out, "vshadow %s - Volume Shadow Copy sample client (openvss).\n\n",
		PACKAGE_VERSION);
}

/* Traces a call with -tracing, reports a failure; returns hr. */
static vss_hr_t chk(vss_hr_t hr, const char *what)
{
	char hex[12];

	if (o.tracing)	/* the call's name, without its C arguments */
		fprintf(stderr, "[trace] %.*s -> %s (%s)\n", (int)strcspn(what, "("), what,
			reqp_hex(hr, hex), vss_hr_name(hr) ? vss_hr_name(hr) : "?");
	if (VSS_FAILED(hr))
		warnx("%s (%s)", vss_last_error(), reqp_hex(hr, hex));
	return hr;
}

#define CHK(call) chk((call), #call)

/* Starts an async call and waits for its outcome. */
static vss_hr_t run_async(vss_hr_t (*start)(vss_backup_t *, vss_async_t **),
			  const char *what)
{
	vss_async_t *a;
	vss_hr_t hr = chk(start(b, &a), what);
	char hex[12];

	if (VSS_FAILED(hr))
		return hr;
	fprintf(out, "(Waiting for the asynchronous operation to finish...)\n");
	hr = vss_async_finish(a);
	if (hr == VSS_S_ASYNC_CANCELLED) {
		warnx("%s: the operation was cancelled (%s)", what, reqp_hex(hr, hex));
		return E_FAIL;
	}
	return chk(hr, "vss_async_wait");
}

#define ASYNC(fn) run_async(fn, #fn)

static int finish(vss_hr_t hr)
{
	vss_backup_free(b);
	b = NULL;
	return reqp_exit_code(hr);
}

/* A session for a management command: InitializeForBackup +
 * SetContext(VSS_CTX_ALL), as the sample does. */
static vss_hr_t open_session(int32_t ctx)
{
	vss_hr_t hr = CHK(vss_backup_new(&b, NULL));

	if (VSS_SUCCEEDED(hr))
		hr = CHK(vss_backup_initialize_for_backup(b, NULL));
	if (VSS_SUCCEEDED(hr))
		hr = CHK(vss_backup_set_context(b, ctx));
	return hr;
}

/* ---- queries ---- */

static bool wanted(const vss_snapshot_prop_t *p)
{
	if (o.cmd == VS_QUERY_SET)
		return vss_id_equal(&p->snapshot_set_id, &o.id);
	return true;
}

static int query_main(void)
{
	vss_snapshot_prop_t *sp = NULL;
	size_t n = 0, shown = 0;
	char id[VSS_ID_STRLEN];
	json_object *arr;
	vss_hr_t hr;

	if (VSS_FAILED(hr = open_session(VSS_CTX_ALL)))
		return finish(hr);
	if (o.cmd == VS_QUERY_SNAP) {
		fprintf(out, "- Getting shadow copy properties for %s ...\n\n",
			vss_id_format(&o.id, id));
		sp = calloc(1, sizeof(*sp));
		if (!sp)
			return finish(E_OUTOFMEMORY);
		hr = CHK(vss_backup_get_snapshot_properties(b, &o.id, sp));
		n = VSS_SUCCEEDED(hr);
	} else {
		if (o.cmd == VS_QUERY_SET)
			fprintf(out, "Querying all shadow copies with the SnapshotSetID %s ...\n\n",
				vss_id_format(&o.id, id));
		else
			fprintf(out, "Querying all shadow copies in the system ...\n\n");
		hr = CHK(vss_backup_query_snapshots(b, &sp, &n));
	}
	if (VSS_FAILED(hr)) {
		free(sp);
		return finish(hr);
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		if (!wanted(&sp[i]))
			continue;
		shown++;
		if (o.json)
			json_object_array_add(arr, reqp_json_snapshot(&sp[i]));
		else
			reqp_print_snapshot(out, &sp[i]);
	}
	vss_snapshot_prop_array_free(sp, n);
	if (o.json)
		reqp_json_print(stdout, "snapshots", arr);
	else
		json_object_put(arr);
	if (!shown && !o.json)
		fprintf(out, "There are no shadow copies in the system.\n");
	if (!shown && o.cmd == VS_QUERY_SET) {
		warnx("no shadow copy set %s", vss_id_format(&o.id, id));
		return finish(VSS_E_OBJECT_NOT_FOUND);
	}
	return finish(S_OK);
}

/* ---- deletion ---- */

static bool confirm(const char *question)
{
	char line[16];

	fprintf(stderr, "%s [Y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "\n");
		return false;
	}
	return line[0] == 'y' || line[0] == 'Y';
}

static vss_hr_t delete_one(const vss_id_t *id, VSS_OBJECT_TYPE type, long *total)
{
	char buf[VSS_ID_STRLEN];
	vss_id_t nd;
	long n = 0;
	vss_hr_t hr;

	fprintf(out, "- Deleting shadow copy %s%s ...\n",
		type == VSS_OBJECT_SNAPSHOT_SET ? "set " : "", vss_id_format(id, buf));
	hr = CHK(vss_backup_delete_snapshots(b, id, type, true, &n, &nd));
	*total += n;
	if (VSS_FAILED(hr) && !vss_id_is_null(&nd))
		warnx("shadow copy %s was not deleted", vss_id_format(&nd, buf));
	return hr;
}

static int delete_main(void)
{
	vss_snapshot_prop_t *sp = NULL;
	size_t n = 0, oldest = (size_t)-1;
	long total = 0;
	vss_hr_t hr;

	if (o.cmd == VS_DELETE_ALL && !confirm("This will delete all shadow copies in the "
					       "system. Are you sure?")) {
		fprintf(out, "Nothing deleted.\n");
		return EXIT_VS_OK;
	}
	if (VSS_FAILED(hr = open_session(VSS_CTX_ALL)))
		return finish(hr);
	switch (o.cmd) {
	case VS_DELETE_SET:
		hr = delete_one(&o.id, VSS_OBJECT_SNAPSHOT_SET, &total);
		break;
	case VS_DELETE_SNAP:
		hr = delete_one(&o.id, VSS_OBJECT_SNAPSHOT, &total);
		break;
	default:
		hr = CHK(vss_backup_query_snapshots(b, &sp, &n));
		for (size_t i = 0; VSS_SUCCEEDED(hr) && i < n; i++) {
			if (o.cmd == VS_DELETE_ALL) {
				hr = delete_one(&sp[i].snapshot_id, VSS_OBJECT_SNAPSHOT, &total);
				continue;
			}
			if (sp[i].original_volume_name &&
			    reqp_same_volume(sp[i].original_volume_name, o.cmd_arg) &&
			    (oldest == (size_t)-1 ||
			     sp[i].creation_timestamp < sp[oldest].creation_timestamp))
				oldest = i;
		}
		if (VSS_SUCCEEDED(hr) && o.cmd == VS_DELETE_OLDEST) {
			if (oldest == (size_t)-1) {
				warnx("no shadow copy of %s", o.cmd_arg);
				hr = VSS_E_OBJECT_NOT_FOUND;
			} else {
				hr = delete_one(&sp[oldest].snapshot_id, VSS_OBJECT_SNAPSHOT, &total);
			}
		}
		vss_snapshot_prop_array_free(sp, n);
	}
	fprintf(out, "\nDeleted %ld shadow cop%s.\n", total, total == 1 ? "y" : "ies");
	return finish(hr);
}

/* ---- writers ---- */

static vss_hr_t gather_metadata(void)
{
	fprintf(out, "(Gathering writer metadata...)\n");
	return ASYNC(vss_backup_gather_writer_metadata);
}

static vss_hr_t gather_status(void)
{
	fprintf(out, "(Gathering writer status...)\n");
	return ASYNC(vss_backup_gather_writer_status);
}

static int writer_status_main(void)
{
	const vss_writer_status_t *w;
	json_object *arr;
	unsigned n = 0;
	vss_hr_t hr;

	if (VSS_FAILED(hr = open_session(VSS_CTX_BACKUP)) ||
	    VSS_FAILED(hr = gather_metadata()) || VSS_FAILED(hr = gather_status()) ||
	    VSS_FAILED(hr = CHK(vss_backup_get_writer_status_count(b, &n))))
		return finish(hr);
	fprintf(out, "\nStatus of %u writer%s:\n\n", n, n == 1 ? "" : "s");
	arr = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		if (VSS_FAILED(hr = CHK(vss_backup_get_writer_status(b, i, &w))))
			break;
		if (o.json)
			json_object_array_add(arr, reqp_json_writer_status(w, false));
		else
			reqp_print_writer_status(out, w);
	}
	if (o.json && VSS_SUCCEEDED(hr))
		reqp_json_print(stdout, "writers", arr);
	else
		json_object_put(arr);
	return finish(hr);
}

/* The file descriptions of one component, for -wm2 (text, or a JSON
 * array when arr is not NULL). */
static void component_files(const vss_wm_component_t *wc, const vss_wm_component_info_t *ci,
			    json_object *arr)
{
	static const struct {
		const char *kind;
		vss_hr_t (*get)(const vss_wm_component_t *, size_t, const vss_wm_filedesc_t **);
	} lists[] = {
		{ "files", vss_wm_component_get_file },
		{ "database", vss_wm_component_get_database_file },
		{ "log", vss_wm_component_get_database_log_file },
	};
	size_t counts[] = { ci->file_count, ci->database_count, ci->log_file_count };

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const vss_wm_filedesc_t *fd;
			const char *path, *spec;
			bool rec;

			if (VSS_FAILED(lists[l].get(wc, i, &fd)))
				continue;
			path = vss_wm_filedesc_get_path(fd);
			spec = vss_wm_filedesc_get_filespec(fd);
			rec = vss_wm_filedesc_get_recursive(fd);
			if (arr) {
				json_object *f = json_object_new_object();

				json_object_object_add(f, "kind", json_object_new_string(lists[l].kind));
				json_object_object_add(f, "path", json_object_new_string(path ? path : ""));
				json_object_object_add(f, "filespec",
						       json_object_new_string(spec ? spec : ""));
				json_object_object_add(f, "recursive", json_object_new_boolean(rec));
				json_object_array_add(arr, f);
			} else {
				fprintf(out, "           - %s: path = %s, filespec = %s%s\n",
					lists[l].kind, reqp_text(path), reqp_text(spec),
					rec ? ", recursive" : "");
			}
		}
}

/* One writer of -wm/-wm2/-wm3: identity from vssd, components from its
 * document (doc may be NULL when it does not load). */
static void print_metadata(const vss_writer_metadata_t *md, const vss_wmd_t *doc)
{
	size_t nc = doc ? vss_wmd_component_count(doc) : 0;
	VSS_RESTOREMETHOD_ENUM method;
	VSS_WRITERRESTORE_ENUM wre;
	const char *svc, *proc;
	char id[VSS_ID_STRLEN];
	bool reboot;
	size_t maps;

	fprintf(out, "* WRITER \"%s\"\n", reqp_text(md->writer_name));
	fprintf(out, "   - WriterId   = %s\n", vss_id_format(&md->writer_id, id));
	fprintf(out, "   - InstanceId = %s\n", vss_id_format(&md->instance_id, id));
	if (*md->instance_name)
		fprintf(out, "   - Instance name: %s\n", reqp_text(md->instance_name));
	fprintf(out, "   - Usage type: %s\n", vss_usage_type_name(md->usage));
	fprintf(out, "   - Source type: %s\n", vss_source_type_name(md->source));
	fprintf(out, "   - Application level: %s\n", vss_app_level_name(md->level));
	if (doc && vss_wmd_get_restore_method(doc, &method, &svc, &proc, &wre, &reboot,
					      &maps) == S_OK) {
		fprintf(out, "   - Restore method = %d\n", (int)method);
		fprintf(out, "   - Writer restore conditions = %d\n", (int)wre);
		fprintf(out, "   - Requires reboot after restore = %s\n", reboot ? "TRUE" : "FALSE");
	}
	fprintf(out, "   - Components: %zu\n", nc);
	for (size_t j = 0; j < nc && o.cmd != VS_WRITER_META3; j++) {
		const vss_wm_component_t *wc;
		vss_wm_component_info_t ci;

		if (VSS_FAILED(vss_wmd_get_component(doc, j, &wc)) ||
		    VSS_FAILED(vss_wm_component_get_info(wc, &ci)))
			continue;
		fprintf(out, "       + Component \"%s:\\%s%s%s\" (%s, %sselectable)\n",
			reqp_text(md->writer_name), reqp_text(ci.logical_path),
			ci.logical_path ? "\\" : "", reqp_text(ci.name), vss_component_type_name(ci.type),
			ci.selectable ? "" : "not ");
		if (o.cmd != VS_WRITER_META2)
			continue;
		fprintf(out, "           - Type: %s\n", vss_component_type_name(ci.type));
		fprintf(out, "           - Selectable: %s\n", ci.selectable ? "TRUE" : "FALSE");
		if (ci.caption)
			fprintf(out, "           - Caption: %s\n", reqp_text(ci.caption));
		fprintf(out, "           - Notify on backup complete: %s\n",
			ci.notify_on_backup_complete ? "TRUE" : "FALSE");
		component_files(wc, &ci, NULL);
	}
	if (o.cmd == VS_WRITER_META3)
		fprintf(out, "%s\n", md->wmd_xml);
	fprintf(out, "\n");
}

static json_object *json_metadata(const vss_writer_metadata_t *md, const vss_wmd_t *doc)
{
	json_object *w = json_object_new_object(), *arr = json_object_new_array();
	size_t nc = doc ? vss_wmd_component_count(doc) : 0;

	json_object_object_add(w, "writer_name", json_object_new_string(md->writer_name));
	json_object_object_add(w, "writer_id", reqp_json_id(&md->writer_id));
	json_object_object_add(w, "instance_id", reqp_json_id(&md->instance_id));
	json_object_object_add(w, "instance_name", json_object_new_string(md->instance_name));
	json_object_object_add(w, "usage", json_object_new_string(vss_usage_type_name(md->usage)));
	json_object_object_add(w, "source", json_object_new_string(vss_source_type_name(md->source)));
	json_object_object_add(w, "level", json_object_new_string(vss_app_level_name(md->level)));
	for (size_t j = 0; j < nc; j++) {
		const vss_wm_component_t *wc;
		vss_wm_component_info_t ci;
		json_object *jc, *files;

		if (VSS_FAILED(vss_wmd_get_component(doc, j, &wc)) ||
		    VSS_FAILED(vss_wm_component_get_info(wc, &ci)))
			continue;
		jc = json_object_new_object();
		json_object_object_add(jc, "logical_path", ci.logical_path ?
				       json_object_new_string(ci.logical_path) : NULL);
		json_object_object_add(jc, "name", json_object_new_string(ci.name));
		json_object_object_add(jc, "type", json_object_new_string(
					       vss_component_type_name(ci.type)));
		json_object_object_add(jc, "selectable", json_object_new_boolean(ci.selectable));
		if (o.cmd != VS_WRITER_META) {
			files = json_object_new_array();
			component_files(wc, &ci, files);
			json_object_object_add(jc, "files", files);
		}
		json_object_array_add(arr, jc);
	}
	json_object_object_add(w, "components", arr);
	if (o.cmd == VS_WRITER_META3)
		json_object_object_add(w, "wmd_xml", json_object_new_string(md->wmd_xml));
	return w;
}

static int writer_metadata_main(void)
{
	const vss_writer_metadata_t *md;
	json_object *arr;
	unsigned n = 0;
	vss_hr_t hr;

	if (VSS_FAILED(hr = open_session(VSS_CTX_BACKUP)) ||
	    VSS_FAILED(hr = gather_metadata()) ||
	    VSS_FAILED(hr = CHK(vss_backup_get_writer_metadata_count(b, &n))))
		return finish(hr);
	fprintf(out, "\nMetadata of %u writer%s:\n\n", n, n == 1 ? "" : "s");
	arr = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		vss_wmd_t *doc = NULL;

		if (VSS_FAILED(hr = CHK(vss_backup_get_writer_metadata(b, i, NULL, &md))))
			break;
		if (VSS_FAILED(vss_wmd_load_xml(md->wmd_xml, strlen(md->wmd_xml), &doc)))
			warnx("writer '%s': %s", md->writer_name, vss_last_error());
		if (o.json)
			json_object_array_add(arr, json_metadata(md, doc));
		else
			print_metadata(md, doc);
		vss_wmd_free(doc);
	}
	if (o.json && VSS_SUCCEEDED(hr))
		reqp_json_print(stdout, "writers", arr);
	else
		json_object_put(arr);
	return finish(hr);
}

/* ---- expose, revert, isup ---- */

static int expose_main(void)
{
	char id[VSS_ID_STRLEN], *exposed = NULL;
	vss_hr_t hr;

	if (VSS_FAILED(hr = open_session(VSS_CTX_ALL)))
		return finish(hr);
	fprintf(out, "- Exposing shadow copy %s under the path '%s'\n",
		vss_id_format(&o.id, id), o.expose_dir);
	hr = CHK(vss_backup_expose_snapshot(b, &o.id, o.expose_dir, &exposed));
	if (VSS_SUCCEEDED(hr))
		fprintf(out, "- Shadow copy exposed as '%s'\n", exposed ? exposed : o.expose_dir);
	free(exposed);
	return finish(hr);
}

static int revert_main(void)
{
	char id[VSS_ID_STRLEN];
	vss_snapshot_prop_t prop = { 0 };
	vss_async_t *a = NULL;
	vss_hr_t hr, st = VSS_S_ASYNC_PENDING;
	unsigned last = 101;

	if (VSS_FAILED(hr = open_session(VSS_CTX_ALL)))
		return finish(hr);
	fprintf(out, "- Reverting to shadow copy %s ...\n", vss_id_format(&o.id, id));
	/* the sample's order: the snapshot's volume, RevertToSnapshot(force),
	 * then QueryRevertStatus until the revert ends */
	hr = CHK(vss_backup_get_snapshot_properties(b, &o.id, &prop));
	if (VSS_SUCCEEDED(hr))
		hr = CHK(vss_backup_revert_to_snapshot(b, &o.id, true));
	if (VSS_SUCCEEDED(hr))
		hr = CHK(vss_backup_query_revert_status(b, prop.original_volume_name, &a));
	while (VSS_SUCCEEDED(hr) && st == VSS_S_ASYNC_PENDING) {
		uint64_t done = 0, total = 0;

		if (VSS_SUCCEEDED(vss_async_query_progress(a, &done, &total)) && total &&
		    done * 100 / total != last) {
			last = done * 100 / total;
			fprintf(out, "- Revert of %s: %u%%\n", prop.original_volume_name, last);
			fflush(out);
		}
		hr = CHK(vss_async_wait(a, 500));
		if (VSS_SUCCEEDED(hr))
			vss_async_query_status(a, &st);
	}
	vss_async_free(a);
	if (VSS_SUCCEEDED(hr))
		fprintf(out, "- The volume %s was reverted.\n", prop.original_volume_name);
	vss_snapshot_prop_clear(&prop);
	return finish(hr);
}

static int isup_main(void)
{
	bool sup = false;
	vss_hr_t hr;

	if (VSS_FAILED(hr = open_session(VSS_CTX_BACKUP)) ||
	    VSS_FAILED(hr = CHK(vss_backup_is_volume_supported(b, o.cmd_arg, NULL, &sup))))
		return finish(hr);
	if (o.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "volume", json_object_new_string(o.cmd_arg));
		json_object_object_add(j, "supported", json_object_new_boolean(sup));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		fprintf(out, "Volume %s is %ssupported by a shadow copy provider.\n",
			o.cmd_arg, sup ? "" : "not ");
	}
	finish(S_OK);
	return sup ? EXIT_VS_OK : EXIT_VS_USAGE;
}

/* ---- creation ---- */

static void pause_for_enter(void)
{
	char line[8];

	fprintf(stderr, "Press <ENTER> to continue...\n");
	if (!fgets(line, sizeof(line), stdin))
		clearerr(stdin);
}

struct created {
	vss_id_t set_id;
	vss_id_t snap[VSS_MAX_VOLUMES_PER_SET];
	vss_snapshot_prop_t prop[VSS_MAX_VOLUMES_PER_SET];
	struct vs_writer *w;
	size_t nw;
	bool prepared;		/* PrepareForBackup was called: abort on failure */
	bool created;		/* DoSnapshotSet succeeded: delete on failure */
};

static void created_free(struct created *c)
{
	for (size_t i = 0; i < c->nw; i++)
		vs_components_free(c->w[i].comps, c->w[i].ncomps);
	free(c->w);
	for (size_t i = 0; i < o.nvolumes; i++)
		vss_snapshot_prop_clear(&c->prop[i]);
}

/* GatherWriterMetadata and the component selection (component mode). */
static vss_hr_t select_components(struct created *c)
{
	const vss_writer_metadata_t *md;
	char msg[256];
	unsigned n = 0;
	vss_hr_t hr;

	if (VSS_FAILED(hr = gather_metadata()) ||
	    VSS_FAILED(hr = CHK(vss_backup_get_writer_metadata_count(b, &n))))
		return hr;
	c->w = calloc(n ? n : 1, sizeof(*c->w));
	if (!c->w)
		return E_OUTOFMEMORY;
	fprintf(out, "Initialize writer metadata ...\n");
	for (unsigned i = 0; i < n; i++, c->nw++) {
		struct vs_writer *w = &c->w[i];

		if (VSS_FAILED(hr = CHK(vss_backup_get_writer_metadata(b, i, NULL, &md))))
			return hr;
		w->instance_id = md->instance_id;
		w->writer_id = md->writer_id;
		w->name = md->writer_name;
		if (vs_wmd_components(md->wmd_xml, &w->comps, &w->ncomps))
			warnx("writer '%s': unreadable metadata document; no component "
			      "selected", md->writer_name);
	}
	if (VSS_FAILED(hr = vs_select(c->w, c->nw, &o, out, msg, sizeof(msg)))) {
		warnx("%s", msg);
		return hr;
	}
	fprintf(out, "Select explicitly included components ...\n");
	for (size_t i = 0; i < c->nw; i++) {
		struct vs_writer *w = &c->w[i];
		bool header = false;

		if (w->excluded) {
			fprintf(out, " - Excluding writer '%s'\n", w->name);
			continue;
		}
		for (size_t j = 0; j < w->ncomps; j++) {
			struct vs_component *k = &w->comps[j];

			if (!k->selected)
				continue;
			if (!header)
				fprintf(out, " * Writer '%s':\n", w->name);
			header = true;
			fprintf(out, "   - Add component \\%s\n", k->full_path);
			hr = CHK(vss_backup_add_component(b, &w->instance_id, &w->writer_id,
							  k->type, k->logical_path, k->name));
			if (VSS_FAILED(hr))
				return hr;
		}
	}
	return S_OK;
}

static bool writer_selected(const struct created *c, const vss_id_t *inst)
{
	for (size_t i = 0; i < c->nw; i++) {
		if (!vss_id_equal(&c->w[i].instance_id, inst) || c->w[i].excluded)
			continue;
		for (size_t j = 0; j < c->w[i].ncomps; j++)
			if (c->w[i].comps[j].selected)
				return true;
	}
	return false;
}

/* GatherWriterStatus: prints every writer; fails when a writer with
 * selected components failed (the sample's CheckSelectedWriterStatus). */
static vss_hr_t check_writer_status(const struct created *c)
{
	const vss_writer_status_t *w;
	unsigned n = 0;
	vss_hr_t hr, bad = S_OK;

	if (VSS_FAILED(hr = gather_status()) ||
	    VSS_FAILED(hr = CHK(vss_backup_get_writer_status_count(b, &n))))
		return hr;
	for (unsigned i = 0; i < n; i++) {
		if (VSS_FAILED(hr = CHK(vss_backup_get_writer_status(b, i, &w))))
			return hr;
		if (o.tracing)
			reqp_print_writer_status(out, w);
		if (w->state >= VSS_WS_FAILED_AT_IDENTIFY && w->state < VSS_WS_COUNT &&
		    writer_selected(c, &w->instance_id)) {
			warnx("selected writer '%s' is in failed state %s (%s)", w->writer_name,
			      vss_writer_state_name(w->state),
			      vss_hr_name(w->failure_hr) ? vss_hr_name(w->failure_hr) : "?");
			bad = VSS_E_WRITERERROR_NONRETRYABLE;
		}
	}
	return bad;
}

static vss_hr_t mark_succeeded(const struct created *c, bool ok)
{
	for (size_t i = 0; i < c->nw; i++) {
		const struct vs_writer *w = &c->w[i];

		for (size_t j = 0; j < w->ncomps && !w->excluded; j++) {
			const struct vs_component *k = &w->comps[j];
			vss_hr_t hr;

			if (!k->selected)
				continue;
			hr = CHK(vss_backup_set_backup_succeeded(b, &w->instance_id, &w->writer_id,
								 k->type, k->logical_path,
								 k->name, ok));
			if (VSS_FAILED(hr))
				return hr;
		}
	}
	return S_OK;
}

static vss_hr_t save_bcd(const char *file)
{
	char *xml = NULL, *u16;
	size_t len;
	FILE *f;
	vss_hr_t hr = CHK(vss_backup_save_as_xml(b, &xml));

	if (VSS_FAILED(hr))
		return hr;
	fprintf(out, "Saving the backup components document to %s ...\n", file);
	if (vs_utf16le(xml, &u16, &len)) {
		free(xml);
		warnx("%s: cannot convert the document to UTF-16", file);
		return E_FAIL;
	}
	free(xml);
	f = fopen(file, "wb");
	if (!f || fwrite(u16, 1, len, f) != len || fclose(f)) {
		warn("%s", file);
		if (f)
			fclose(f);
		hr = E_FAIL;
	}
	free(u16);
	return hr;
}

/* s as one word for sh: in single quotes, a quote as '\'' */
static void sh_word(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

static vss_hr_t write_script(const struct created *c)
{
	char id[VSS_ID_STRLEN];
	FILE *f = fopen(o.script_file, "w");

	if (!f) {
		warn("%s", o.script_file);
		return E_FAIL;
	}
	fprintf(out, "Generating the script %s ...\n", o.script_file);
	fprintf(f, "# [This script is generated by vshadow for the shadow set %s]\n",
		vss_id_format(&c->set_id, id));
	fprintf(f, "SHADOW_SET_ID='%s'\n", id);
	for (size_t i = 0; i < o.nvolumes; i++) {
		fprintf(f, "SHADOW_ID_%zu='%s'\n", i + 1, vss_id_format(&c->snap[i], id));
		fprintf(f, "SHADOW_DEVICE_%zu=", i + 1);
		sh_word(f, c->prop[i].snapshot_device_object ? c->prop[i].snapshot_device_object : "");
		fputc('\n', f);
	}
	fprintf(f, "export SHADOW_SET_ID");
	for (size_t i = 0; i < o.nvolumes; i++)
		fprintf(f, " SHADOW_ID_%zu SHADOW_DEVICE_%zu", i + 1, i + 1);
	fprintf(f, "\n");
	if (fclose(f)) {
		warn("%s", o.script_file);
		return E_FAIL;
	}
	return S_OK;
}

/* -exec: runs the program (no arguments) with VSS_SHADOW_SET,
 * VSS_SHADOW_<n> and VSS_SHADOW_DEVICE_<n> in its environment (none for a
 * restore: c NULL). */
static vss_hr_t exec_command(const struct created *c)
{
	char id[VSS_ID_STRLEN], name[48];
	int status;
	pid_t pid;

	fprintf(out, "Executing command '%s' ...\n", o.exec_cmd);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		warn("fork");
		return E_FAIL;
	}
	if (pid == 0) {
		if (c)
			setenv("VSS_SHADOW_SET", vss_id_format(&c->set_id, id), 1);
		for (size_t i = 0; c && i < o.nvolumes; i++) {
			snprintf(name, sizeof(name), "VSS_SHADOW_%zu", i + 1);
			setenv(name, vss_id_format(&c->snap[i], id), 1);
			snprintf(name, sizeof(name), "VSS_SHADOW_DEVICE_%zu", i + 1);
			setenv(name, c->prop[i].snapshot_device_object ?
			       c->prop[i].snapshot_device_object : "", 1);
		}
		execlp(o.exec_cmd, o.exec_cmd, (char *)NULL);
		warn("%s", o.exec_cmd);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			warn("waitpid");
			return E_FAIL;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return S_OK;
	if (WIFEXITED(status))
		warnx("command '%s' failed with exit status %d", o.exec_cmd, WEXITSTATUS(status));
	else
		warnx("command '%s' was killed by signal %d", o.exec_cmd, WTERMSIG(status));
	return E_FAIL;
}

/* Everything up to a created set; hr of the first failure. */
static vss_hr_t create_set(struct created *c, bool writers)
{
	int32_t ctx = vs_context(&o);
	char id[VSS_ID_STRLEN];
	vss_hr_t hr;

	if (VSS_FAILED(hr = CHK(vss_backup_new(&b, NULL))) ||
	    VSS_FAILED(hr = CHK(vss_backup_initialize_for_backup(b, NULL))))
		return hr;
	fprintf(out, "- Setting the VSS context to: 0x%08x\n", (unsigned)ctx);
	if (VSS_FAILED(hr = CHK(vss_backup_set_context(b, ctx))))
		return hr;
	if (writers &&
	    (VSS_FAILED(hr = CHK(vss_backup_set_backup_state(b, true, true, VSS_BT_FULL,
							      false))) ||
	     VSS_FAILED(hr = select_components(c))))
		return hr;
	if (VSS_FAILED(hr = CHK(vss_backup_start_snapshot_set(b, &c->set_id))))
		return hr;
	fprintf(out, "Creating shadow set %s ...\n", vss_id_format(&c->set_id, id));
	for (size_t i = 0; i < o.nvolumes; i++) {
		fprintf(out, "- Adding volume %s to the shadow set...\n", o.volumes[i]);
		hr = CHK(vss_backup_add_to_snapshot_set(b, o.volumes[i], NULL, &c->snap[i]));
		if (VSS_FAILED(hr))
			return hr;
	}
	if (writers) {
		fprintf(out, "Preparing for backup ...\n");
		c->prepared = true;
		if (VSS_FAILED(hr = ASYNC(vss_backup_prepare_for_backup)) ||
		    VSS_FAILED(hr = check_writer_status(c)))
			return hr;
	}
	fprintf(out, "Creating the shadow (DoSnapshotSet) ...\n");
	c->prepared = true;
	if (VSS_FAILED(hr = ASYNC(vss_backup_do_snapshot_set)))
		return hr;
	c->created = true;
	if (writers && VSS_FAILED(hr = check_writer_status(c)))
		return hr;
	fprintf(out, "Shadow copy set successfully created.\n\n");
	return S_OK;
}

static int do_create(void)
{
	bool writers = !(vs_context(&o) & VSS_VOLSNAP_ATTR_NO_WRITERS);
	struct created c = { 0 };
	json_object *arr = json_object_new_array();
	vss_hr_t hr = create_set(&c, writers), step = S_OK;

	if (VSS_SUCCEEDED(hr)) {
		fprintf(out, "List of created shadow copies:\n\n");
		for (size_t i = 0; i < o.nvolumes && VSS_SUCCEEDED(hr); i++) {
			hr = CHK(vss_backup_get_snapshot_properties(b, &c.snap[i], &c.prop[i]));
			if (VSS_SUCCEEDED(hr) && o.json)
				json_object_array_add(arr, reqp_json_snapshot(&c.prop[i]));
			else if (VSS_SUCCEEDED(hr))
				reqp_print_snapshot(out, &c.prop[i]);
		}
	}
	if (VSS_SUCCEEDED(hr) && o.script_file)
		hr = write_script(&c);
	if (VSS_SUCCEEDED(hr) && o.exec_cmd)
		step = exec_command(&c);
	if (VSS_SUCCEEDED(hr) && writers) {
		/* the backup succeeded unless the -exec command failed */
		hr = mark_succeeded(&c, VSS_SUCCEEDED(step));
		if (VSS_SUCCEEDED(hr)) {
			fprintf(out, "Completing the backup (BackupComplete) ...\n");
			hr = ASYNC(vss_backup_backup_complete);
		}
	}
	if (VSS_SUCCEEDED(hr) && (o.bc_file || o.t_file))
		hr = save_bcd(o.bc_file ? o.bc_file : o.t_file);
	if (VSS_FAILED(hr) && c.created && b) {
		/* a failed backup leaves no shadow copy behind, persistent or not */
		char id[VSS_ID_STRLEN];
		long n;

		fprintf(out, "Deleting the shadow copy set %s ...\n",
			vss_id_format(&c.set_id, id));
		CHK(vss_backup_delete_snapshots(b, &c.set_id, VSS_OBJECT_SNAPSHOT_SET, true, &n,
						NULL));
	}
	if (VSS_FAILED(hr) && c.prepared && b) {
		fprintf(out, "Aborting the backup ...\n");
		CHK(vss_backup_abort_backup(b));
	}
	if (VSS_SUCCEEDED(hr) && VSS_FAILED(step))
		hr = step;
	if (VSS_SUCCEEDED(hr) && o.json)
		reqp_json_print(stdout, "snapshots", arr);	/* frees arr */
	else
		json_object_put(arr);
	if (VSS_SUCCEEDED(hr))
		fprintf(out, "Snapshot creation done.\n");
	if (o.wait)
		pause_for_enter();
	created_free(&c);
	return finish(hr);
}

/* ---- restore (-r, -rs) ---- */

/* Calls fn for every component of the saved document; stops at a failure
 * other than VSS_E_OBJECT_NOT_FOUND (a writer that is not running: its
 * components are skipped, as the sample does). */
static vss_hr_t for_each_component(const vss_bcd_t *doc, const char *what,
				   vss_hr_t (*fn)(const vss_id_t *, const vss_id_t *,
						  VSS_COMPONENT_TYPE, const char *, const char *,
						  int), int arg)
{
	for (size_t w = 0; w < vss_bcd_writer_count(doc); w++) {
		for (size_t i = 0; i < vss_bcd_component_count(doc, w); i++) {
			vss_component_t *c;
			vss_id_t inst, wid;
			const char *lp, *name;
			vss_hr_t hr;

			if (VSS_FAILED(vss_bcd_get_component(doc, w, i, &c)))
				continue;
			vss_component_get_instance_id(c, &inst);
			vss_component_get_writer_id(c, &wid);
			lp = vss_component_get_logical_path(c);
			name = vss_component_get_name(c);
			if (what)
				fprintf(out, "- %s component \\%s%s%s\n", what, lp ? lp : "",
					lp ? "\\" : "", name);
			hr = fn(&inst, &wid, vss_component_get_type(c), lp, name, arg);
			if (hr == VSS_E_OBJECT_NOT_FOUND)
				continue;	/* reported by chk() */
			if (VSS_FAILED(hr))
				return hr;
		}
	}
	return S_OK;
}

static vss_hr_t select_one(const vss_id_t *inst, const vss_id_t *wid, VSS_COMPONENT_TYPE t,
			   const char *lp, const char *name, int arg)
{
	return CHK(vss_backup_set_selected_for_restore(b, inst, wid, t, lp, name, arg));
}

static vss_hr_t status_one(const vss_id_t *inst, const vss_id_t *wid, VSS_COMPONENT_TYPE t,
			   const char *lp, const char *name, int arg)
{
	return CHK(vss_backup_set_file_restore_status(b, inst, wid, t, lp, name, arg));
}

static int restore_main(void)
{
	bool simulate = o.cmd == VS_RESTORE_SIM;
	vss_bcd_t *doc = NULL;
	char *xml = NULL;
	vss_hr_t hr, step = S_OK;
	int r = vs_read_document(o.cmd_arg, &xml);

	if (r) {
		warnx("%s: %s", o.cmd_arg, r == -EILSEQ ? "not a UTF-8 or UTF-16 document" :
		      strerror(-r));
		return EXIT_VS_USAGE;
	}
	hr = CHK(vss_bcd_load_xml(xml, strlen(xml), &doc));
	if (VSS_FAILED(hr)) {
		free(xml);
		return reqp_exit_code(hr);
	}
	fprintf(out, "%s the backup components document %s ...\n",
		simulate ? "Simulating a restore from" : "Restoring from", o.cmd_arg);
	if (VSS_SUCCEEDED(hr = CHK(vss_backup_new(&b, NULL))) &&
	    VSS_SUCCEEDED(hr = CHK(vss_backup_initialize_for_restore(b, xml))) &&
	    VSS_SUCCEEDED(hr = gather_metadata()))
		hr = for_each_component(doc, "Selecting for restore", select_one, true);
	if (VSS_SUCCEEDED(hr) && !simulate) {
		fprintf(out, "Preparing for restore (PreRestore) ...\n");
		hr = ASYNC(vss_backup_pre_restore);
	}
	/* the copying back happens here: -exec runs between Pre and PostRestore */
	if (VSS_SUCCEEDED(hr) && o.exec_cmd)
		step = exec_command(NULL);
	if (VSS_SUCCEEDED(hr) && !simulate) {
		hr = for_each_component(doc, NULL, status_one,
					VSS_SUCCEEDED(step) ? VSS_RS_ALL : VSS_RS_FAILED);
		if (VSS_SUCCEEDED(hr)) {
			fprintf(out, "Completing the restore (PostRestore) ...\n");
			hr = ASYNC(vss_backup_post_restore);
		}
	}
	if (VSS_SUCCEEDED(hr) && VSS_FAILED(step))
		hr = step;
	if (VSS_SUCCEEDED(hr))
		fprintf(out, "Restore %s.\n", simulate ? "simulation done" : "done");
	vss_bcd_free(doc);
	free(xml);
	if (o.wait)
		pause_for_enter();
	return finish(hr);
}

static int help_main(void)
{
	usage(stdout);
	return EXIT_VS_OK;
}

static int version_main(void)
{
	printf("vshadow from %s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	return EXIT_VS_OK;
}

static const struct {
	enum vs_cmd cmd;
	int (*fn)(void);
	bool banner;
} commands[] = {
	{ VS_CREATE, do_create, true },
	{ VS_QUERY, query_main, true },
	{ VS_QUERY_SET, query_main, true },
	{ VS_QUERY_SNAP, query_main, true },
	{ VS_DELETE_ALL, delete_main, true },
	{ VS_DELETE_OLDEST, delete_main, true },
	{ VS_DELETE_SET, delete_main, true },
	{ VS_DELETE_SNAP, delete_main, true },
	{ VS_WRITER_STATUS, writer_status_main, true },
	{ VS_WRITER_META, writer_metadata_main, true },
	{ VS_WRITER_META2, writer_metadata_main, true },
	{ VS_WRITER_META3, writer_metadata_main, true },
	{ VS_EXPOSE, expose_main, true },
	{ VS_REVERT, revert_main, true },
	{ VS_IS_SUPPORTED, isup_main, true },
	{ VS_RESTORE, restore_main, true },
	{ VS_RESTORE_SIM, restore_main, true },
	{ VS_HELP, help_main, false },
	{ VS_VERSION, version_main, false },
};

int main(int argc, char **argv)
{
	char msg[256];
	int rc = EXIT_VS_USAGE;

	out = stdout;
	if (vs_parse_args(argc, argv, &o, msg, sizeof(msg))) {
		warnx("%s", msg);
		fprintf(stderr, "Try 'vshadow --help' for more information.\n");
		vs_opts_free(&o);
		return EXIT_VS_USAGE;
	}
	if (o.json)
		out = stderr;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].cmd != o.cmd)
			continue;
		if (commands[i].banner)
			banner();
		rc = commands[i].fn();
		break;
	}
	if (o.wait && o.cmd != VS_HELP && o.cmd != VS_VERSION && o.cmd != VS_CREATE &&
	    o.cmd != VS_RESTORE && o.cmd != VS_RESTORE_SIM)
		pause_for_enter();
	vs_opts_free(&o);
	return rc;
}
