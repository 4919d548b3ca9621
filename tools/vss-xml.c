/* vss-xml — check, show and convert VSS Writer Metadata and Backup
 * Components Documents.  A table of subcommands (wireguard-tools style);
 * `show` builds one json-c tree and prints it either as JSON or as an
 * indented listing, so the two outputs never disagree. */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <vss/metadata.h>
#include "reqprint.h"

static const char *const rme_names[] = {
	"VSS_RME_UNDEFINED", "VSS_RME_RESTORE_IF_NOT_THERE",
	"VSS_RME_RESTORE_IF_CAN_REPLACE", "VSS_RME_STOP_RESTORE_START",
	"VSS_RME_RESTORE_TO_ALTERNATE_LOCATION", "VSS_RME_RESTORE_AT_REBOOT",
	"VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE", "VSS_RME_CUSTOM",
	"VSS_RME_RESTORE_STOP_START",
};
static const char *const wre_names[] = {
	"VSS_WRE_UNDEFINED", "VSS_WRE_NEVER", "VSS_WRE_IF_REPLACE_FAILS",
	"VSS_WRE_ALWAYS",
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vss-xml check [--windows] FILE\n"
"       vss-xml show [--json] FILE\n"
"       vss-xml convert --to=utf8|utf16 FILE\n"
"       vss-xml --help | --version\n"
"\n"
"Check, show or convert a VSS Writer Metadata Document or Backup\n"
"Components Document.  FILE may be - for standard input.\n"
"\n"
"Commands:\n"
"  check         exit 0 if FILE is a valid WMD or BCD, else explain and exit 1\n"
"  show          print the writer identity, restore method, components,\n"
"                files and excludes (WMD) or the selected components (BCD)\n"
"  convert       write the document again to standard output\n"
"\n"
"Options:\n"
"  -w, --windows check: also refuse XML spellings no Windows document has\n"
"                confirmed (what libvss must not send to Windows)\n"
"  -j, --json    show: print JSON\n"
"  -t, --to=ENC  convert: utf8 (no declaration) or utf16 (UTF-16LE without\n"
"                byte-order mark, one trailing U+0000: the vshadow -bc= file)\n"
"  -h, --help    print this help and exit\n"
"  -V, --version print the version and exit\n");
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;

	if (!f)
		err(1, "%s", path);
	for (;;) {
		size_t r;

		if (n == cap || !buf) {
			char *nb;

			if (buf)
				cap *= 2;
			if (cap > (size_t)VSS_XML_MAX_DOCUMENT * 2)
				errx(1, "%s: larger than %u bytes", path,
				     VSS_XML_MAX_DOCUMENT);
			nb = realloc(buf, cap);
			if (!nb)
				err(1, "%s", path);
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				err(1, "%s", path);
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static void load(const char *path, vss_wmd_t **w, vss_bcd_t **b)
{
	size_t len;
	void *buf = read_file(path, &len);
	vss_hr_t hr = vss_xml_load_any(buf, len, w, b);

	free(buf);
	if (hr)
		errx(1, "%s: %s", path, vss_last_error());
}

/* ---- JSON building ---- */

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void add_id(json_object *o, const char *k, const vss_id_t *id)
{
	char buf[VSS_ID_STRLEN];

	buf[0] = '\0';
	vss_id_format(id, buf);
	add_str(o, k, buf);
}

static json_object *filedesc(const vss_wm_filedesc_t *fd, bool mask)
{
	json_object *o = json_object_new_object();

	add_str(o, "path", vss_wm_filedesc_get_path(fd));
	add_str(o, "filespec", vss_wm_filedesc_get_filespec(fd));
	add_bool(o, "recursive", vss_wm_filedesc_get_recursive(fd));
	if (vss_wm_filedesc_get_alternate_location(fd))
		add_str(o, "alternate_location",
			vss_wm_filedesc_get_alternate_location(fd));
	if (mask)
		add_int(o, "backup_type_mask",
			vss_wm_filedesc_get_backup_type_mask(fd));
	return o;
}

typedef vss_hr_t (*get_fd_fn)(const vss_wm_component_t *, size_t,
			      const vss_wm_filedesc_t **);

static json_object *file_list(const vss_wm_component_t *c, size_t n,
			      get_fd_fn get, size_t *total)
{
	json_object *a = json_object_new_array();
	const vss_wm_filedesc_t *fd;
	size_t i;

	for (i = 0; i < n; i++)
		if (get(c, i, &fd) == S_OK)
			json_object_array_add(a, filedesc(fd, true));
	*total += n;
	return a;
}

static json_object *wmd_json(const vss_wmd_t *w)
{
	json_object *o = json_object_new_object(), *a, *counts;
	const char *friendly, *inst_name, *svc, *proc;
	VSS_RESTOREMETHOD_ENUM method;
	VSS_WRITERRESTORE_ENUM wre;
	const vss_wm_filedesc_t *fd;
	size_t i, j, nmap, files = 0;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	unsigned major, minor;
	vss_id_t wid, iid;
	bool reboot;
	char ver[32];

	vss_wmd_get_identity(w, &wid, &iid, &friendly, &inst_name, &usage, &source);
	vss_wmd_get_version(w, &major, &minor);
	add_str(o, "document", "writer metadata");
	add_id(o, "writer_id", &wid);
	add_id(o, "instance_id", &iid);
	add_str(o, "friendly_name", friendly);
	add_str(o, "instance_name", inst_name);
	add_str(o, "usage", vss_usage_type_name(usage));
	add_str(o, "data_source", vss_source_type_name(source));
	snprintf(ver, sizeof(ver), "%u.%u", major, minor);
	add_str(o, "version", ver);
	add_int(o, "backup_schema", vss_wmd_get_backup_schema(w));
	if (vss_wmd_get_restore_method(w, &method, &svc, &proc, &wre, &reboot,
				       &nmap) == S_OK) {
		json_object *r = json_object_new_object();

		add_str(r, "method", (unsigned)method < 9 ? rme_names[method] : NULL);
		add_str(r, "writer_restore", (unsigned)wre < 4 ? wre_names[wre] : NULL);
		add_bool(r, "reboot_required", reboot);
		if (svc)
			add_str(r, "service", svc);
		if (proc)
			add_str(r, "user_procedure", proc);
		a = json_object_new_array();
		for (i = 0; i < nmap; i++)
			if (vss_wmd_get_alternate_location_mapping(w, i, &fd) == S_OK)
				json_object_array_add(a, filedesc(fd, false));
		json_object_object_add(r, "alternate_location_mappings", a);
		json_object_object_add(o, "restore_method", r);
	} else {
		json_object_object_add(o, "restore_method", NULL);
	}
	a = json_object_new_array();
	for (i = 0; i < vss_wmd_component_count(w); i++) {
		const vss_wm_component_t *c;
		vss_wm_component_info_t ci;
		json_object *co = json_object_new_object(), *deps;

		vss_wmd_get_component(w, i, &c);
		vss_wm_component_get_info(c, &ci);
		add_str(co, "type", vss_component_type_name(ci.type));
		add_str(co, "logical_path", ci.logical_path);
		add_str(co, "name", ci.name);
		add_str(co, "caption", ci.caption);
		add_bool(co, "restore_metadata", ci.restore_metadata);
		add_bool(co, "notify_on_backup_complete", ci.notify_on_backup_complete);
		add_bool(co, "selectable", ci.selectable);
		add_bool(co, "selectable_for_restore", ci.selectable_for_restore);
		add_int(co, "flags", ci.flags);
		if (ci.icon_len)
			add_int(co, "icon_size", (int64_t)ci.icon_len);
		json_object_object_add(co, "files",
			file_list(c, ci.file_count, vss_wm_component_get_file, &files));
		if (ci.type == VSS_CT_DATABASE) {
			json_object_object_add(co, "database_files",
				file_list(c, ci.database_count,
					  vss_wm_component_get_database_file, &files));
			json_object_object_add(co, "database_log_files",
				file_list(c, ci.log_file_count,
					  vss_wm_component_get_database_log_file, &files));
		}
		deps = json_object_new_array();
		for (j = 0; j < ci.dependency_count; j++) {
			const vss_wm_dependency_t *d;
			json_object *dj = json_object_new_object();
			vss_id_t did;

			vss_wm_component_get_dependency(c, j, &d);
			vss_wm_dependency_get_writer_id(d, &did);
			add_id(dj, "writer_id", &did);
			add_str(dj, "logical_path", vss_wm_dependency_get_logical_path(d));
			add_str(dj, "name", vss_wm_dependency_get_component_name(d));
			json_object_array_add(deps, dj);
		}
		json_object_object_add(co, "dependencies", deps);
		json_object_array_add(a, co);
	}
	json_object_object_add(o, "components", a);
	a = json_object_new_array();
	for (i = 0; i < vss_wmd_exclude_count(w); i++)
		if (vss_wmd_get_exclude(w, i, &fd) == S_OK)
			json_object_array_add(a, filedesc(fd, false));
	json_object_object_add(o, "excludes", a);
	a = json_object_new_array();
	for (i = 0; i < vss_wmd_exclude_from_snapshot_count(w); i++)
		if (vss_wmd_get_exclude_from_snapshot(w, i, &fd) == S_OK)
			json_object_array_add(a, filedesc(fd, false));
	json_object_object_add(o, "excludes_from_snapshot", a);
	counts = json_object_new_object();
	add_int(counts, "components", (int64_t)vss_wmd_component_count(w));
	add_int(counts, "files", (int64_t)files);
	add_int(counts, "excludes", (int64_t)vss_wmd_exclude_count(w));
	add_int(counts, "excludes_from_snapshot",
		(int64_t)vss_wmd_exclude_from_snapshot_count(w));
	json_object_object_add(o, "counts", counts);
	return o;
}

static void add_len(json_object *o, const char *k, const char *s)
{
	if (s)
		add_int(o, k, (int64_t)strlen(s));
}

static json_object *bcd_json(const vss_bcd_t *b)
{
	json_object *o = json_object_new_object(), *ws, *counts;
	bool sel, boot, partial;
	VSS_BACKUP_TYPE bt;
	size_t i, j, ncomp = 0;
	vss_id_t set;

	vss_bcd_get_backup_state(b, &sel, &boot, &bt, &partial);
	add_str(o, "document", "backup components");
	add_bool(o, "select_components", sel);
	add_bool(o, "bootable_system_state", boot);
	add_str(o, "backup_type", vss_backup_type_name(bt));
	add_bool(o, "partial_file_support", partial);
	if (vss_bcd_get_snapshot_set_id(b, &set) == S_OK)
		add_id(o, "snapshot_set_id", &set);
	else
		json_object_object_add(o, "snapshot_set_id", NULL);
	ws = json_object_new_array();
	for (i = 0; i < vss_bcd_writer_count(b); i++) {
		json_object *wo = json_object_new_object(), *cs;
		const char *iname;
		vss_id_t iid, wid;
		uint32_t schema;

		vss_bcd_get_writer_info(b, i, &iid, &wid, &iname, &schema);
		add_id(wo, "instance_id", &iid);
		add_id(wo, "writer_id", &wid);
		add_str(wo, "instance_name", iname);
		add_int(wo, "backup_schema", schema);
		cs = json_object_new_array();
		for (j = 0; j < vss_bcd_component_count(b, i); j++) {
			json_object *co = json_object_new_object();
			vss_component_t *c;

			vss_bcd_get_component(b, i, j, &c);
			add_str(co, "type", vss_component_type_name(vss_component_get_type(c)));
			add_str(co, "logical_path", vss_component_get_logical_path(c));
			add_str(co, "name", vss_component_get_name(c));
			add_bool(co, "backup_succeeded", vss_component_get_backup_succeeded(c));
			add_str(co, "backup_stamp", vss_component_get_backup_stamp(c));
			add_str(co, "previous_backup_stamp",
				vss_component_get_previous_backup_stamp(c));
			add_str(co, "backup_options", vss_component_get_backup_options(c));
			add_int(co, "backup_metadata_size",
				vss_component_get_backup_metadata(c) ?
				(int64_t)strlen(vss_component_get_backup_metadata(c)) : 0);
			add_len(co, "restore_metadata_size",
				vss_component_get_restore_metadata(c));
			json_object_array_add(cs, co);
			ncomp++;
		}
		json_object_object_add(wo, "components", cs);
		json_object_array_add(ws, wo);
	}
	json_object_object_add(o, "writers", ws);
	counts = json_object_new_object();
	add_int(counts, "writers", (int64_t)vss_bcd_writer_count(b));
	add_int(counts, "components", (int64_t)ncomp);
	json_object_object_add(o, "counts", counts);
	return o;
}

/* The listing: "key: value", nested objects and arrays indented. */
static void print_text(json_object *o, int indent, bool item)
{
	struct json_object_iterator it, end;
	bool first = true;

	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		json_object *v = json_object_iter_peek_value(&it);
		int pad = indent + (item && !first ? 2 : 0);
		const char *mark = item && first ? "- " : "";
		size_t i;

		first = false;
		if (json_object_is_type(v, json_type_array)) {
			printf("%*s%s%s:%s\n", pad, "", mark, k,
			       json_object_array_length(v) ? "" : " none");
			for (i = 0; i < json_object_array_length(v); i++)
				print_text(json_object_array_get_idx(v, i),
					   (item ? indent + 2 : indent) + 2, true);
		} else if (json_object_is_type(v, json_type_object)) {
			printf("%*s%s%s:\n", pad, "", mark, k);
			print_text(v, (item ? indent + 2 : indent) + 2, false);
		} else if (v) {
			/* a document's text as it is, but for its control
			 * characters (a newline must not start a line) */
			printf("%*s%s%s: %s\n", pad, "", mark, k,
			       reqp_text(json_object_get_string(v)));
		}
	}
}

/* ---- subcommands ---- */

static int check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "windows", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	bool windows = false;
	vss_wmd_t *w;
	vss_bcd_t *b;
	vss_hr_t hr = S_OK;
	char *xml = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "w", opts, NULL)) != -1) {
		if (c != 'w')
			errx(1, "check: unknown option (try --help)");
		windows = true;
	}
	if (argc - optind != 1)
		errx(1, "check: expected one FILE (try --help)");
	load(argv[optind], &w, &b);
	if (windows)
		hr = w ? vss_wmd_save_xml_ex(w, VSS_XML_SAVE_WINDOWS, &xml) :
			 vss_bcd_save_xml_ex(b, VSS_XML_SAVE_WINDOWS, &xml);
	free(xml);
	vss_wmd_free(w);
	vss_bcd_free(b);
	if (hr)
		errx(1, "%s: %s", argv[optind], vss_last_error());
	printf("%s: valid %s\n", argv[optind],
	       w ? "Writer Metadata Document" : "Backup Components Document");
	return 0;
}

static int show_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false;
	json_object *o;
	vss_wmd_t *w;
	vss_bcd_t *b;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			errx(1, "show: unknown option (try --help)");
		json = true;
	}
	if (argc - optind != 1)
		errx(1, "show: expected one FILE (try --help)");
	load(argv[optind], &w, &b);
	o = w ? wmd_json(w) : bcd_json(b);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(o, 0, false);
	json_object_put(o);
	vss_wmd_free(w);
	vss_bcd_free(b);
	return 0;
}

static int convert_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *to = NULL;
	void *out = NULL;
	vss_wmd_t *w;
	vss_bcd_t *b;
	vss_hr_t hr;
	size_t len;
	char *xml;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c != 't')
			errx(1, "convert: unknown option (try --help)");
		to = optarg;
	}
	if (!to || (strcmp(to, "utf8") && strcmp(to, "utf16")))
		errx(1, "convert: --to=utf8 or --to=utf16 is required");
	if (argc - optind != 1)
		errx(1, "convert: expected one FILE (try --help)");
	load(argv[optind], &w, &b);
	hr = w ? vss_wmd_save_xml(w, &xml) : vss_bcd_save_xml(b, &xml);
	vss_wmd_free(w);
	vss_bcd_free(b);
	if (hr)
		errx(1, "%s", vss_last_error());
	if (!strcmp(to, "utf16")) {
		hr = vss_xml_to_utf16le(xml, &out, &len);
		if (hr)
			errx(1, "%s", vss_last_error());
	} else {
		out = xml;
		xml = NULL;
		len = strlen(out);
	}
	if (fwrite(out, 1, len, stdout) != len || fflush(stdout))
		err(1, "standard output");
	free(out);
	free(xml);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "check", check_main },
	{ "show", show_main },
	{ "convert", convert_main },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("vss-xml %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	warnx("unknown command '%s'", argv[1]);
	usage(stderr);
	return 1;
}
