/* vssadmin — administration of the shadow copy service, modelled on the
 * Windows command (vss-protocol §11.1).  Manual: vssadmin(8).
 *
 * A table of "verb object" commands, each a <verb>_<object>_main().
 * Options take the Windows form /name=VALUE or the Linux forms
 * --name=VALUE and --name VALUE; --json switches the list commands to
 * JSON.  Commands of later issues keep their slot and say so. */
#include "config.h"
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "common/util.h"
#include "cow/cowd/ctl-proto.h"
#include "cowctl-client.h"
#include "reqprint.h"

struct args {
	const char *for_vol;	/* /for= */
	const char *shadow;	/* /shadow= */
	const char *on;		/* /on= */
	const char *maxsize;	/* /maxsize= */
	const char *autoretry;	/* /autoretry= minutes */
	const char *mount;	/* /mount= (expose shadow) */
	bool oldest, all, quiet, json, forcedismount;
	vss_id_t shadow_id;
	unsigned long autoretry_min;	/* /autoretry, parsed */
	/* the vss-cowd commands (volumes, shadow storage) */
	struct cowctl ctl;		/* /state-dir=, /socket= */
	struct cowctl_volume_args vol;	/* /name= /backing= /size= /diff= /chunk= /create */
	const char *size, *chunk;
	bool force;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage:\n"
" vssadmin list writers [--json]\n"
" vssadmin list providers [--json]\n"
" vssadmin list shadows [/for=VOLUME] [/shadow=ID] [--json]\n"
" vssadmin delete shadows /for=VOLUME (/oldest | /all | /shadow=ID) [/quiet]\n"
" vssadmin delete shadows /shadow=ID [/quiet]\n"
" vssadmin create shadow /for=VOLUME [/autoretry=MINUTES]\n"
" vssadmin revert shadow /shadow=ID [/forcedismount] [/quiet]\n"
" vssadmin query reverts [/for=VOLUME] [--json]\n"
" vssadmin expose shadow /shadow=ID [/mount=DIR]\n"
" vssadmin unexpose shadow /shadow=ID\n"
" vssadmin list shadowstorage [/for=VOLUME | /on=DIR] [--json]\n"
" vssadmin add shadowstorage /for=VOLUME /on=DIR [/maxsize=MAX]\n"
" vssadmin resize shadowstorage /for=VOLUME [/on=DIR] [/maxsize=MAX]\n"
" vssadmin delete shadowstorage /for=VOLUME [/on=DIR] [/quiet]\n"
" vssadmin list volumes [--json]\n"
" vssadmin add volume /name=NAME /backing=FILE|DEVICE [/size=SIZE /create [/sparse]]\n"
"          [/diff=FILE] [/maxsize=SIZE] [/chunk=SIZE]\n"
" vssadmin remove volume /name=NAME [/force]\n"
"\n"
"Administers the Volume Shadow Copy Service (vssd).\n"
"Options take the form /name=VALUE, --name=VALUE or --name VALUE.\n"
"\n"
"Options:\n"
" /for=VOLUME        the volume whose shadow copies are listed or deleted\n"
" /shadow=ID         one shadow copy\n"
" /oldest            delete the oldest shadow copy of the volume\n"
" /all               delete every shadow copy of the volume\n"
" /quiet             do not ask for confirmation\n"
" /autoretry=MINUTES keep trying while another shadow copy is being created\n"
" /forcedismount     revert even when the volume is in use (unmount it)\n"
" /mount=DIR         mount the exposed shadow copy read-only at DIR\n"
" /on=DIR            the shadow storage: a directory (vss-cowd(8))\n"
" /maxsize=MAX       a size (B, KB, MB, GB, TB, PB, EB), N%% or UNBOUNDED\n"
" /name=NAME, /backing=FILE|DEVICE, /size=SIZE, /create, /sparse, /diff=FILE,\n"
" /chunk=SIZE, /force\n"
"                    add volume and remove volume, as vss-cowadm(8)\n"
" /state-dir=DIR     vss-cowd's state dir (default " LOCALSTATEDIR "/lib/vss/cowd)\n"
" /socket=PATH       vss-cowd's control socket (default STATE_DIR/cowd.sock)\n"
" --json             machine-readable output of the list commands\n"
" -h, --help         display this help\n"
" -V, --version      display version\n"
"\n"
"Volumes and shadow storage are those of vss-cowd, the copy-on-write\n"
"provider, whose control socket these commands use (not vssd).\n"
"\n"
"Exit status: 0 success (also a query that finds nothing), 1 a bad command or\n"
"option or a /shadow=ID not found, 2 a failed call to vssd or vss-cowd, 3 out\n"
"of memory.\n"
"Environment: VSS_SOCKET names vssd's socket.\n"
"For more details see vssadmin(8).\n");
}

static void banner(const struct args *a)
{
	if (!a->json)
		printf("vssadmin %s - Volume Shadow Copy Service administrative command-line "
		       "tool (openvss)\n\n", PACKAGE_VERSION);
}

static int failed(vss_hr_t hr)
{
	char hex[12];

	warnx("%s (%s)", vss_last_error(), reqp_hex(hr, hex));
	return reqp_exit_code(hr);
}

static int no_items(void)
{
	printf("No items found that satisfy the query.\n");
	return EXIT_VS_OK;
}

/* ---- list writers ---- */
static int list_writers_main(vss_backup_t *b, const struct args *a)
{
	vss_writer_status_t *w;
	char id[VSS_ID_STRLEN];
	json_object *arr;
	size_t n;
	vss_hr_t hr = vss_backup_list_writers(b, &w, &n);

	if (VSS_FAILED(hr))
		return failed(hr);
	if (a->json) {
		arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, reqp_json_writer_status(&w[i], true));
		reqp_json_print(stdout, "writers", arr);
	}
	for (size_t i = 0; i < n && !a->json; i++) {
		printf("Writer name: '%s'\n", reqp_text(w[i].writer_name));
		printf("   Writer Id: %s\n", vss_id_format(&w[i].writer_id, id));
		printf("   Writer Instance Id: %s\n", vss_id_format(&w[i].instance_id, id));
		if (*w[i].instance_name)
			printf("   Writer Instance Name: %s\n", reqp_text(w[i].instance_name));
		printf("   State: [%d] %s\n", (int)w[i].state,
		       reqp_writer_state_label(w[i].state));
		printf("   Last error: %s\n", reqp_last_error_label(w[i].failure_hr));
		printf("   Level: %s\n", vss_app_level_name(w[i].level));
		if (w[i].pid)
			printf("   Process Id: %u\n", w[i].pid);
		printf("\n");
	}
	vss_writer_status_array_free(w, n);
	return EXIT_VS_OK;
}

/* ---- list providers ---- */
static int list_providers_main(vss_backup_t *b, const struct args *a)
{
	vss_provider_prop_t *p;
	char id[VSS_ID_STRLEN];
	json_object *arr;
	size_t n;
	vss_hr_t hr = vss_backup_list_providers(b, &p, &n);

	if (VSS_FAILED(hr))
		return failed(hr);
	if (a->json) {
		arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, reqp_json_provider(&p[i]));
		reqp_json_print(stdout, "providers", arr);
	} else if (!n) {
		no_items();
	}
	for (size_t i = 0; i < n && !a->json; i++) {
		printf("Provider name: '%s'\n", p[i].provider_name ? p[i].provider_name : "");
		printf("   Provider type: %s\n", reqp_provider_type_label(p[i].provider_type));
		printf("   Provider Id: %s\n", vss_id_format(&p[i].provider_id, id));
		printf("   Version: %s\n\n", p[i].provider_version ? p[i].provider_version : "");
	}
	vss_provider_prop_array_free(p, n);
	return EXIT_VS_OK;
}

/* ---- shadows ---- */

static bool shadow_wanted(const vss_snapshot_prop_t *p, const struct args *a)
{
	if (a->for_vol && !(p->original_volume_name &&
			    reqp_same_volume(p->original_volume_name, a->for_vol)))
		return false;
	if (a->shadow && !vss_id_equal(&p->snapshot_id, &a->shadow_id))
		return false;
	return true;
}

/* Snapshots visible with VSS_CTX_ALL, filtered by /for and /shadow. */
static vss_hr_t query_shadows(vss_backup_t *b, const struct args *a,
			      vss_snapshot_prop_t **sp, size_t *n)
{
	vss_hr_t hr = vss_backup_initialize_for_backup(b, NULL);
	size_t k = 0;

	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_set_context(b, VSS_CTX_ALL);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_query_snapshots(b, sp, n);
	if (VSS_FAILED(hr))
		return hr;
	for (size_t i = 0; i < *n; i++) {
		if (!shadow_wanted(&(*sp)[i], a)) {
			vss_snapshot_prop_clear(&(*sp)[i]);
			continue;
		}
		(*sp)[k++] = (*sp)[i];
	}
	*n = k;
	return S_OK;
}

static const char *provider_name(const vss_provider_prop_t *pp, size_t np,
				 const vss_id_t *id, char buf[VSS_ID_STRLEN])
{
	for (size_t i = 0; i < np; i++)
		if (vss_id_equal(&pp[i].provider_id, id) && pp[i].provider_name)
			return pp[i].provider_name;
	return vss_id_format(id, buf);
}

static void print_shadow(const vss_snapshot_prop_t *p, const vss_provider_prop_t *pp,
			 size_t np)
{
	char id[VSS_ID_STRLEN], attrs[512];

	printf("      Shadow Copy ID: %s\n", vss_id_format(&p->snapshot_id, id));
	printf("         Original Volume: %s\n",
	       p->original_volume_name ? p->original_volume_name : "");
	printf("         Shadow Copy Volume: %s\n",
	       p->snapshot_device_object ? p->snapshot_device_object : "");
	printf("         Originating Machine: %s\n",
	       p->originating_machine ? p->originating_machine : "");
	printf("         Service Machine: %s\n", p->service_machine ? p->service_machine : "");
	if (p->exposed_name && *p->exposed_name)
		printf("         Exposed Name: %s\n", p->exposed_name);
	printf("         Provider: '%s'\n", provider_name(pp, np, &p->provider_id, id));
	printf("         Type: %s\n", reqp_context_label(p->snapshot_attributes));
	reqp_attributes(p->snapshot_attributes, ", ", attrs, sizeof(attrs));
	printf("         Attributes: %s\n\n", attrs);
}

static int list_shadows_main(vss_backup_t *b, const struct args *a)
{
	vss_snapshot_prop_t *sp = NULL;
	vss_provider_prop_t *pp = NULL;
	size_t n = 0, np = 0;
	char id[VSS_ID_STRLEN], t[64];
	vss_hr_t hr = query_shadows(b, a, &sp, &n);

	if (VSS_FAILED(hr))
		return failed(hr);
	if (a->json) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, reqp_json_snapshot(&sp[i]));
		reqp_json_print(stdout, "snapshots", arr);
	} else if (!n) {
		no_items();
	} else if (VSS_FAILED(vss_backup_list_providers(b, &pp, &np))) {
		np = 0;		/* names unknown: print provider ids */
	}
	/* grouped by set, in the order the sets first appear */
	for (size_t i = 0; i < n && !a->json; i++) {
		size_t first = 0;

		while (!vss_id_equal(&sp[first].snapshot_set_id, &sp[i].snapshot_set_id))
			first++;
		if (first != i)
			continue;
		printf("Contents of shadow copy set ID: %s\n",
		       vss_id_format(&sp[i].snapshot_set_id, id));
		printf("   Contained %d shadow copies at creation time: %s\n",
		       (int)sp[i].snapshots_count, reqp_time(sp[i].creation_timestamp, t, sizeof(t)));
		for (size_t j = i; j < n; j++)
			if (vss_id_equal(&sp[j].snapshot_set_id, &sp[i].snapshot_set_id))
				print_shadow(&sp[j], pp, np);
	}
	vss_provider_prop_array_free(pp, np);
	vss_snapshot_prop_array_free(sp, n);
	return EXIT_VS_OK;
}

static int delete_shadows_check(struct args *a, const char *cmd)
{
	if (!a->for_vol && !a->shadow) {
		warnx("%s needs /for=VOLUME or /shadow=ID", cmd);
		return EXIT_VS_USAGE;
	}
	if ((int)a->oldest + (int)a->all + (a->shadow != NULL) != 1) {
		warnx("%s needs exactly one of /oldest, /all and /shadow=ID", cmd);
		return EXIT_VS_USAGE;
	}
	return 0;
}

static int delete_shadows_main(vss_backup_t *b, const struct args *a)
{
	vss_snapshot_prop_t *sp = NULL;
	size_t n = 0, oldest = 0;
	char id[VSS_ID_STRLEN], line[16];
	long deleted = 0;
	vss_hr_t hr = query_shadows(b, a, &sp, &n);

	if (VSS_FAILED(hr))
		return failed(hr);
	/* "You can only delete shadow copies with the client-accessible
	 * type" (vssadmin delete shadows): the others belong to the program
	 * that made them (vshadow -ds) */
	if (a->shadow && n && !(sp[0].snapshot_attributes & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE)) {
		warnx("shadow copy %s is not of the client-accessible type: vssadmin deletes only "
		      "those; delete it with vshadow -ds=%s", vss_id_format(&sp[0].snapshot_id, id),
		      id);
		vss_snapshot_prop_array_free(sp, n);
		return reqp_exit_code(VSS_E_BAD_STATE);
	}
	{
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			if (sp[i].snapshot_attributes & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE)
				sp[k++] = sp[i];
			else
				vss_snapshot_prop_clear(&sp[i]);
		}
		n = k;
	}
	if (!n) {
		vss_snapshot_prop_array_free(sp, n);
		if (!a->shadow)
			return no_items();
		/* a named object that is not there is a failure, not an
		 * empty query (exit status 1, as DeleteSnapshots'
		 * VSS_E_OBJECT_NOT_FOUND) */
		warnx("shadow copy %s not found%s%s", a->shadow, a->for_vol ? " on " : "",
		      a->for_vol ? a->for_vol : "");
		return reqp_exit_code(VSS_E_OBJECT_NOT_FOUND);
	}
	for (size_t i = 1; i < n; i++)
		if (sp[i].creation_timestamp < sp[oldest].creation_timestamp)
			oldest = i;
	if (!a->quiet) {
		printf("Do you really want to delete %zu shadow cop%s (Y/N): [N]? ",
		       a->oldest ? 1 : n, (a->oldest || n == 1) ? "y" : "ies");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
			printf("\n");
			vss_snapshot_prop_array_free(sp, n);
			return EXIT_VS_OK;
		}
	}
	for (size_t i = 0; i < n && VSS_SUCCEEDED(hr); i++) {
		long one = 0;

		if (a->oldest && i != oldest)
			continue;
		hr = vss_backup_delete_snapshots(b, &sp[i].snapshot_id, VSS_OBJECT_SNAPSHOT, true,
						 &one, NULL);
		deleted += one;
		if (VSS_SUCCEEDED(hr))
			printf("Deleted shadow copy %s\n", vss_id_format(&sp[i].snapshot_id, id));
	}
	vss_snapshot_prop_array_free(sp, n);
	printf("\nSuccessfully deleted %ld shadow cop%s.\n", deleted, deleted == 1 ? "y" : "ies");
	return VSS_FAILED(hr) ? failed(hr) : EXIT_VS_OK;
}

static int create_shadow_check(struct args *a, const char *cmd)
{
	char *end;

	if (!a->for_vol) {
		warnx("%s needs /for=VOLUME", cmd);
		return EXIT_VS_USAGE;
	}
	if (a->autoretry) {
		a->autoretry_min = strtoul(a->autoretry, &end, 10);
		if (*end || end == a->autoretry || !isdigit((unsigned char)a->autoretry[0]) ||
		    a->autoretry_min > 7 * 24 * 60) {
			warnx("/autoretry needs a number of minutes: '%s'", a->autoretry);
			return EXIT_VS_USAGE;
		}
	}
	return 0;
}

/* create shadow: one client-accessible (previous versions) shadow copy,
 * retried for /autoretry minutes while another set is being created. */
static int create_shadow_main(vss_backup_t *b, const struct args *a)
{
	vss_id_t set, snap;
	vss_snapshot_prop_t p;
	vss_async_t *as;
	char id[VSS_ID_STRLEN];
	uint64_t until = mono_ms() + a->autoretry_min * 60000;
	vss_hr_t hr;

	hr = vss_backup_initialize_for_backup(b, NULL);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_set_context(b, VSS_CTX_CLIENT_ACCESSIBLE);
	while (VSS_SUCCEEDED(hr)) {
		hr = vss_backup_start_snapshot_set(b, &set);
		if (hr != VSS_E_SNAPSHOT_SET_IN_PROGRESS || mono_ms() >= until)
			break;
		sleep(1);
		hr = S_OK;
	}
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_add_to_snapshot_set(b, a->for_vol, NULL, &snap);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_do_snapshot_set(b, &as);
	if (VSS_SUCCEEDED(hr))
		hr = vss_async_finish(as);
	if (hr == VSS_S_ASYNC_CANCELLED)
		hr = E_FAIL;
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_get_snapshot_properties(b, &snap, &p);
	if (VSS_FAILED(hr))
		return failed(hr);
	printf("Successfully created shadow copy for '%s'\n", a->for_vol);
	printf("    Shadow Copy ID: %s\n", vss_id_format(&snap, id));
	printf("    Shadow Copy Volume Name: %s\n",
	       p.snapshot_device_object ? p.snapshot_device_object : "");
	vss_snapshot_prop_clear(&p);
	return EXIT_VS_OK;
}

/* revert, expose and unexpose shadow name one shadow copy */
static int one_shadow_check(struct args *a, const char *cmd)
{
	if (!a->shadow) {
		warnx("%s needs /shadow=ID", cmd);
		return EXIT_VS_USAGE;
	}
	return 0;
}

static int revert_shadow_main(vss_backup_t *b, const struct args *a)
{
	char line[16];
	vss_hr_t hr;

	if (!a->quiet) {
		printf("Do you really want to revert the volume to shadow copy %s (Y/N): [N]? ",
		       a->shadow);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
			printf("\n");
			return EXIT_VS_OK;
		}
	}
	hr = vss_backup_initialize_for_backup(b, NULL);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_set_context(b, VSS_CTX_ALL);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_revert_to_snapshot(b, &a->shadow_id, a->forcedismount);
	if (VSS_FAILED(hr))
		return failed(hr);
	printf("The revert of the volume to shadow copy %s has started.\n"
	       "'vssadmin query reverts' shows its progress.\n", a->shadow);
	return EXIT_VS_OK;
}

/* ---- expose / unexpose shadow (ExposeSnapshot, UnexposeSnapshot) ---- */
static vss_hr_t manage_session(vss_backup_t *b)
{
	vss_hr_t hr = vss_backup_initialize_for_backup(b, NULL);

	return VSS_SUCCEEDED(hr) ? vss_backup_set_context(b, VSS_CTX_ALL) : hr;
}

static int expose_shadow_main(vss_backup_t *b, const struct args *a)
{
	char *exposed = NULL;
	vss_hr_t hr;

	hr = manage_session(b);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_expose_snapshot(b, &a->shadow_id, a->mount, &exposed);
	if (VSS_FAILED(hr))
		return failed(hr);
	printf("Shadow copy %s exposed as %s\n", a->shadow, exposed ? exposed : "");
	free(exposed);
	return EXIT_VS_OK;
}

static int unexpose_shadow_main(vss_backup_t *b, const struct args *a)
{
	vss_hr_t hr;

	hr = manage_session(b);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_unexpose_snapshot(b, &a->shadow_id);
	if (VSS_FAILED(hr))
		return failed(hr);
	printf("Shadow copy %s is no longer exposed\n", a->shadow);
	return EXIT_VS_OK;
}

/* ---- query reverts (QueryRevertStatus) ---- */

/* The revert of one volume, in a session of its own (one asynchronous
 * operation per session).  S_FALSE: no revert known. */
static vss_hr_t revert_of(const char *volume, vss_hr_t *st, uint64_t *done, uint64_t *total)
{
	vss_backup_t *b;
	vss_async_t *as = NULL;
	vss_hr_t hr = vss_backup_new(&b, NULL);

	if (VSS_SUCCEEDED(hr))
		hr = manage_session(b);
	if (VSS_SUCCEEDED(hr))
		hr = vss_backup_query_revert_status(b, volume, &as);
	/* the progress first: its reply comes after a finished operation's
	 * notification, so the status read next is up to date */
	if (VSS_SUCCEEDED(hr))
		hr = vss_async_query_progress(as, done, total);
	if (VSS_SUCCEEDED(hr))
		hr = vss_async_query_status(as, st);
	vss_async_free(as);
	vss_backup_free(b);
	return hr == VSS_E_OBJECT_NOT_FOUND ? S_FALSE : hr;
}

static int query_reverts_main(vss_backup_t *b, const struct args *a)
{
	vss_snapshot_prop_t *sp = NULL;
	json_object *arr = a->json ? json_object_new_array() : NULL;
	size_t n = 0, found = 0;
	char hex[12];
	vss_hr_t hr = query_shadows(b, a, &sp, &n);

	for (size_t i = 0; VSS_SUCCEEDED(hr) && i < n; i++) {
		const char *vol = sp[i].original_volume_name;
		vss_hr_t st = VSS_S_ASYNC_PENDING;
		uint64_t done = 0, total = 0;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= vol && sp[j].original_volume_name &&
				!strcmp(vol, sp[j].original_volume_name);
		if (!vol || !*vol || seen)
			continue;
		hr = revert_of(vol, &st, &done, &total);
		if (hr == S_FALSE) {
			hr = S_OK;
			continue;
		}
		if (VSS_FAILED(hr))
			break;
		found++;
		if (arr) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "volume", json_object_new_string(vol));
			json_object_object_add(j, "status", reqp_json_hr(st));
			json_object_object_add(j, "done", json_object_new_int64((int64_t)done));
			json_object_object_add(j, "total", json_object_new_int64((int64_t)total));
			json_object_array_add(arr, j);
			continue;
		}
		printf("Revert of volume %s\n", vol);
		printf("   Status: %s\n", st == VSS_S_ASYNC_PENDING ? "In progress" :
		       st == VSS_S_ASYNC_FINISHED ? "Completed" :
		       vss_hr_name(st) ? vss_hr_name(st) : reqp_hex(st, hex));
		if (total)
			printf("   Progress: %u%% (%llu of %llu chunks)\n",
			       (unsigned)(done * 100 / total), (unsigned long long)done,
			       (unsigned long long)total);
		printf("\n");
	}
	vss_snapshot_prop_array_free(sp, n);
	if (VSS_FAILED(hr)) {
		json_object_put(arr);
		return failed(hr);
	}
	if (arr)
		reqp_json_print(stdout, "reverts", arr);
	else if (!found)
		no_items();
	return EXIT_VS_OK;
}

/* ---- vss-cowd: volumes and shadow storage (cowctl-client.c) ---- */
static int cowd_done(vss_hr_t hr)
{
	char hex[12];

	if (VSS_SUCCEEDED(hr))
		return EXIT_VS_OK;
	warnx("%s (%s)", cowctl_error(), reqp_hex(hr, hex));
	return reqp_exit_code(hr);
}

/* /maxsize= of the shadow storage commands: 0 when not given or bad. */
static int storage_max(const struct args *a, uint64_t *max, uint32_t *pct)
{
	*max = 0;
	*pct = 0;
	if (a->maxsize && cowctl_parse_max(a->maxsize, max, pct)) {
		warnx("bad /maxsize '%s' (a size, N%% or UNBOUNDED)", a->maxsize);
		return -1;
	}
	return 0;
}

static int list_shadowstorage_main(vss_backup_t *b, const struct args *a)
{
	if (a->for_vol && a->on) {
		warnx("list shadowstorage takes /for=VOLUME or /on=DIR, not both");
		return EXIT_VS_USAGE;
	}
	return cowd_done(cowctl_list_storage(&a->ctl, a->for_vol, a->on, a->json));
}

static int change_shadowstorage(const struct args *a, int code)
{
	uint64_t max;
	uint32_t pct;

	if (storage_max(a, &max, &pct))
		return EXIT_VS_USAGE;
	/* "If no value is specified for /maxsize, there's no limit" */
	if (code == COWCTL_RESIZE_STORAGE && !a->maxsize)
		cowctl_parse_max("UNBOUNDED", &max, &pct);
	if (!a->for_vol || (code == COWCTL_ADD_STORAGE && !a->on)) {
		warnx("%s", code == COWCTL_ADD_STORAGE ? "add shadowstorage needs /for= and /on=" :
		      code == COWCTL_RESIZE_STORAGE ? "resize shadowstorage needs /for=" :
		      "delete shadowstorage needs /for=");
		return EXIT_VS_USAGE;
	}
	return cowd_done(cowctl_storage(&a->ctl, code, a->for_vol, a->on, max, pct));
}

static int add_shadowstorage_main(vss_backup_t *b, const struct args *a)
{
	int rc = change_shadowstorage(a, COWCTL_ADD_STORAGE);

	if (!rc)
		printf("Successfully added the shadow copy storage association\n");
	return rc;
}

static int resize_shadowstorage_main(vss_backup_t *b, const struct args *a)
{
	int rc = change_shadowstorage(a, COWCTL_RESIZE_STORAGE);

	if (!rc)
		printf("Successfully resized the shadow copy storage association\n");
	return rc;
}

static int delete_shadowstorage_main(vss_backup_t *b, const struct args *a)
{
	int rc = change_shadowstorage(a, COWCTL_DELETE_STORAGE);

	if (!rc && !a->quiet)
		printf("Successfully deleted the shadow copy storage association\n");
	return rc;
}

static int list_volumes_main(vss_backup_t *b, const struct args *a)
{
	return cowd_done(cowctl_list_volumes(&a->ctl, a->json));
}

static int add_volume_main(vss_backup_t *b, const struct args *a)
{
	struct cowctl_volume_args v = a->vol;
	uint64_t chunk = 0;
	uint32_t pct = 0;

	if ((a->size && cowctl_parse_size(a->size, &v.size)) ||
	    (a->chunk && (cowctl_parse_size(a->chunk, &chunk) || chunk > UINT32_MAX)) ||
	    (a->maxsize && (cowctl_parse_max(a->maxsize, &v.maxsize, &pct) || pct))) {
		warnx("bad /size, /chunk or /maxsize");
		return EXIT_VS_USAGE;
	}
	v.chunk = (uint32_t)chunk;
	if (!v.name || !v.backing || (v.create && !v.size)) {
		warnx("add volume needs /name= and /backing= (and /size= with /create)");
		return EXIT_VS_USAGE;
	}
	if (v.sparse && !v.create) {
		warnx("/sparse goes with /create");
		return EXIT_VS_USAGE;
	}
	return cowd_done(cowctl_add_volume(&a->ctl, &v));
}

static int remove_volume_main(vss_backup_t *b, const struct args *a)
{
	if (!a->vol.name) {
		warnx("remove volume needs /name=");
		return EXIT_VS_USAGE;
	}
	return cowd_done(cowctl_remove_volume(&a->ctl, a->vol.name, a->force));
}

static bool cowd_command(int (*fn)(vss_backup_t *, const struct args *))
{
	return fn == list_shadowstorage_main || fn == add_shadowstorage_main ||
	       fn == resize_shadowstorage_main || fn == delete_shadowstorage_main ||
	       fn == list_volumes_main || fn == add_volume_main || fn == remove_volume_main;
}

static const struct command {
	const char *verb, *object;
	int (*fn)(vss_backup_t *b, const struct args *a);
	const char *options;	/* allowed option names, space separated */
	/* what can be checked before connecting (so that a usage error
	 * is reported as one whether the daemon runs or not) */
	int (*check)(struct args *a, const char *cmd);
} commands[] = {
	{ "list", "writers", list_writers_main, "" },
	{ "list", "providers", list_providers_main, "" },
	{ "list", "shadows", list_shadows_main, "for shadow" },
	{ "delete", "shadows", delete_shadows_main, "for shadow oldest all quiet",
	  delete_shadows_check },
	/* vss-cowd's volumes and shadow storage */
	{ "list", "shadowstorage", list_shadowstorage_main, "for on state-dir socket" },
	{ "list", "volumes", list_volumes_main, "state-dir socket" },
	{ "add", "volume", add_volume_main,
	  "name backing size create sparse diff maxsize chunk state-dir socket" },
	{ "remove", "volume", remove_volume_main, "name force state-dir socket" },
	{ "create", "shadow", create_shadow_main, "for autoretry", create_shadow_check },
	{ "revert", "shadow", revert_shadow_main, "shadow forcedismount quiet",
	  one_shadow_check },
	{ "add", "shadowstorage", add_shadowstorage_main, "for on maxsize state-dir socket" },
	{ "resize", "shadowstorage", resize_shadowstorage_main,
	  "for on maxsize state-dir socket" },
	{ "delete", "shadowstorage", delete_shadowstorage_main, "for on quiet state-dir socket" },
	{ "query", "reverts", query_reverts_main, "for" },
	{ "expose", "shadow", expose_shadow_main, "shadow mount", one_shadow_check },
	{ "unexpose", "shadow", unexpose_shadow_main, "shadow", one_shadow_check },
};

static bool allowed(const char *list, const char *name, size_t n)
{
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && strncasecmp(p, name, n) == 0)
			return true;
		p += k;
		p += strspn(p, " ");
	}
	return false;
}

static bool is(const char *name, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(name, word, n) == 0;
}

/* The valued options of the vss-cowd commands; false: not one of them. */
static bool parse_cowd_option(struct args *a, const char *name, size_t n, const char *val)
{
	if (is(name, n, "name"))
		a->vol.name = val;
	else if (is(name, n, "backing"))
		a->vol.backing = val;
	else if (is(name, n, "diff"))
		a->vol.diff = val;
	else if (is(name, n, "size"))
		a->size = val;
	else if (is(name, n, "chunk"))
		a->chunk = val;
	else if (is(name, n, "state-dir"))
		a->ctl.state_dir = val;
	else if (is(name, n, "socket"))
		a->ctl.socket = val;
	else
		return false;
	return true;
}

/* Parses the options after "verb object"; 0 or -1 (reported). */
static int parse_options(int argc, char **argv, const struct command *c, struct args *a)
{
	for (int i = 3; i < argc; i++) {
		const char *arg = argv[i], *name, *val, *eq;
		size_t n;

		if (strcmp(arg, "--json") == 0) {
			a->json = true;
			continue;
		}
		if (arg[0] == '/')
			name = arg + 1;
		else if (arg[0] == '-' && arg[1] == '-')
			name = arg + 2;
		else {
			warnx("unexpected argument '%s'", arg);
			return -1;
		}
		eq = strchr(name, '=');
		n = eq ? (size_t)(eq - name) : strlen(name);
		val = eq ? eq + 1 : NULL;
		if (!allowed(c->options, name, n)) {
			warnx("option '%s' is not valid for '%s %s'", arg, c->verb, c->object);
			return -1;
		}
		if (is(name, n, "create") || is(name, n, "sparse") || is(name, n, "force")) {
			if (val) {
				warnx("option '%s' takes no value", arg);
				return -1;
			}
			a->vol.create |= is(name, n, "create");
			a->vol.sparse |= is(name, n, "sparse");
			a->force |= is(name, n, "force");
			continue;
		}
		if (is(name, n, "oldest") || is(name, n, "all") ||
		    is(name, n, "quiet") || is(name, n, "forcedismount")) {
			if (val) {
				warnx("option '%s' takes no value", arg);
				return -1;
			}
			a->oldest |= is(name, n, "oldest");
			a->all |= is(name, n, "all");
			a->quiet |= is(name, n, "quiet");
			a->forcedismount |= is(name, n, "forcedismount");
			continue;
		}
		if (!val && arg[0] == '-' && i + 1 < argc)
			val = argv[++i];
		if (!val || !*val) {
			warnx("option '%s' needs a value", arg);
			return -1;
		}
		if (is(name, n, "for"))
			a->for_vol = val;
		else if (is(name, n, "shadow"))
			a->shadow = val;
		else if (is(name, n, "on"))
			a->on = val;
		else if (is(name, n, "autoretry"))
			a->autoretry = val;
		else if (is(name, n, "mount"))
			a->mount = val;
		else if (parse_cowd_option(a, name, n, val))
			;
		else
			a->maxsize = val;
	}
	if (a->shadow && vss_id_parse(a->shadow, &a->shadow_id)) {
		warnx("not a shadow copy id: '%s'", a->shadow);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c = NULL;
	struct args a = { 0 };
	vss_backup_t *b;
	vss_hr_t hr;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "/?"))) {
		usage(stdout);
		return EXIT_VS_OK;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("vssadmin from %s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EXIT_VS_OK;
	}
	for (size_t i = 0; argc >= 3 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcasecmp(argv[1], commands[i].verb) &&
		    !strcasecmp(argv[2], commands[i].object))
			c = &commands[i];
	if (!c) {
		if (argc < 3)
			warnx("a command needs a verb and an object");
		else
			warnx("unknown command '%s %s'", argv[1], argv[2]);
		fprintf(stderr, "Try 'vssadmin --help' for more information.\n");
		return EXIT_VS_USAGE;
	}
	if (parse_options(argc, argv, c, &a))
		return EXIT_VS_USAGE;
	banner(&a);
	if (c->check) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "%s %s", c->verb, c->object);
		if ((rc = c->check(&a, cmd)))
			return rc;
	}
	if (cowd_command(c->fn)) {	/* vss-cowd's control socket, not vssd */
		a.ctl.json_key = c->object;
		return c->fn(NULL, &a);
	}
	hr = vss_backup_new(&b, NULL);
	if (VSS_FAILED(hr))
		return failed(hr);
	rc = c->fn(b, &a);
	vss_backup_free(b);
	return rc;
}
