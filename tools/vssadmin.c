/* vssadmin — administration of the shadow copy service, modelled on the
 * Windows command (vss-protocol §11.1).  Manual: vssadmin(8).
 *
 * A table of "verb object" commands, each a <verb>_<object>_main().
 * Options take the Windows form /name=VALUE or the Linux forms
 * --name=VALUE and --name VALUE; --json switches the list commands to
 * JSON.  Commands of later issues keep their slot and say so. */
#include "config.h"
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "common/util.h"
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
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage:\n"
" vssadmin list writers [--json]\n"
" vssadmin list providers [--json]\n"
" vssadmin list shadows [/for=VOLUME] [/shadow=ID] [--json]\n"
" vssadmin delete shadows /for=VOLUME [/oldest | /all | /shadow=ID] [/quiet]\n"
" vssadmin create shadow /for=VOLUME [/autoretry=MINUTES]\n"
" vssadmin revert shadow /shadow=ID [/forcedismount] [/quiet]\n"
" vssadmin query reverts [/for=VOLUME] [--json]\n"
" vssadmin expose shadow /shadow=ID [/mount=DIR]\n"
" vssadmin unexpose shadow /shadow=ID\n"
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
" --json             machine-readable output of the list commands\n"
" -h, --help         display this help\n"
" -V, --version      display version\n"
"\n"
"Not yet supported: list shadowstorage, list volumes,\n"
"add/resize/delete shadowstorage.\n"
"\n"
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
		printf("Writer name: '%s'\n", w[i].writer_name);
		printf("   Writer Id: %s\n", vss_id_format(&w[i].writer_id, id));
		printf("   Writer Instance Id: %s\n", vss_id_format(&w[i].instance_id, id));
		if (*w[i].instance_name)
			printf("   Writer Instance Name: %s\n", w[i].instance_name);
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

static int delete_shadows_main(vss_backup_t *b, const struct args *a)
{
	vss_snapshot_prop_t *sp = NULL;
	size_t n = 0, oldest = 0;
	char id[VSS_ID_STRLEN], line[16];
	long deleted = 0;
	vss_hr_t hr;

	if (!a->for_vol && !a->shadow) {
		warnx("delete shadows needs /for=VOLUME or /shadow=ID");
		return EXIT_VS_USAGE;
	}
	if ((int)a->oldest + (int)a->all + (a->shadow != NULL) != 1) {
		warnx("delete shadows needs exactly one of /oldest, /all and /shadow=ID");
		return EXIT_VS_USAGE;
	}
	hr = query_shadows(b, a, &sp, &n);
	if (VSS_FAILED(hr))
		return failed(hr);
	if (!n) {
		vss_snapshot_prop_array_free(sp, n);
		return no_items();
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

/* create shadow: one client-accessible (previous versions) shadow copy,
 * retried for /autoretry minutes while another set is being created. */
static int create_shadow_main(vss_backup_t *b, const struct args *a)
{
	vss_id_t set, snap;
	vss_snapshot_prop_t p;
	vss_async_t *as;
	char id[VSS_ID_STRLEN], *end;
	unsigned long minutes = 0;
	uint64_t until;
	vss_hr_t hr;

	if (!a->for_vol) {
		warnx("create shadow needs /for=VOLUME");
		return EXIT_VS_USAGE;
	}
	if (a->autoretry) {
		minutes = strtoul(a->autoretry, &end, 10);
		if (*end || end == a->autoretry || minutes > 7 * 24 * 60) {
			warnx("/autoretry needs a number of minutes: '%s'", a->autoretry);
			return EXIT_VS_USAGE;
		}
	}
	until = mono_ms() + minutes * 60000;
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

static int revert_shadow_main(vss_backup_t *b, const struct args *a)
{
	char line[16];
	vss_hr_t hr;

	if (!a->shadow) {
		warnx("revert shadow needs /shadow=ID");
		return EXIT_VS_USAGE;
	}
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

	if (!a->shadow) {
		warnx("expose shadow needs /shadow=ID");
		return EXIT_VS_USAGE;
	}
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

	if (!a->shadow) {
		warnx("unexpose shadow needs /shadow=ID");
		return EXIT_VS_USAGE;
	}
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

static int unsupported_main(vss_backup_t *b, const struct args *a)
{
	return -1;	/* reported by main with the command's words */
}

static const struct command {
	const char *verb, *object;
	int (*fn)(vss_backup_t *b, const struct args *a);
	const char *options;	/* allowed option names, space separated */
} commands[] = {
	{ "list", "writers", list_writers_main, "" },
	{ "list", "providers", list_providers_main, "" },
	{ "list", "shadows", list_shadows_main, "for shadow" },
	{ "delete", "shadows", delete_shadows_main, "for shadow oldest all quiet" },
	/* later issues (volumes, shadow storage) */
	{ "list", "shadowstorage", unsupported_main, "for on" },
	{ "list", "volumes", unsupported_main, "" },
	{ "create", "shadow", create_shadow_main, "for autoretry" },
	{ "revert", "shadow", revert_shadow_main, "shadow forcedismount quiet" },
	{ "add", "shadowstorage", unsupported_main, "for on maxsize" },
	{ "resize", "shadowstorage", unsupported_main, "for on maxsize" },
	{ "delete", "shadowstorage", unsupported_main, "for on quiet" },
	{ "query", "reverts", query_reverts_main, "for" },
	{ "expose", "shadow", expose_shadow_main, "shadow mount" },
	{ "unexpose", "shadow", unexpose_shadow_main, "shadow" },
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
	if (c->fn == unsupported_main) {
		warnx("'%s %s' is not yet supported", c->verb, c->object);
		return EXIT_VS_RUNTIME;
	}
	banner(&a);
	hr = vss_backup_new(&b, NULL);
	if (VSS_FAILED(hr))
		return failed(hr);
	rc = c->fn(b, &a);
	vss_backup_free(b);
	return rc;
}
