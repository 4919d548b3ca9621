/* test-vshadow-unit.c — vshadow's argument parsing, context choice,
 * component selection, BCD file encoding, and the labels and records the
 * requester tools print (tools/vshadow-*.c, tools/reqprint.c). */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vss/metadata.h>
#include "tools/reqprint.h"
#include "tools/vshadow.h"

static int parse(struct vs_opts *o, char *err, size_t len, ...)
{
	char *argv[32] = { (char *)"vshadow" };
	int argc = 1;
	va_list ap;
	const char *a;

	va_start(ap, len);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	return vs_parse_args(argc, argv, o, err, len);
}

#define PARSE(o, ...) parse(o, err, sizeof(err), __VA_ARGS__, (const char *)NULL)

START_TEST(creation_flags)
{
	struct vs_opts o;
	char err[256];

	ck_assert_int_eq(PARSE(&o, "-p", "/NW", "-nar", "-wait", "/mnt/data", "/dev/loop0"), 0);
	ck_assert_int_eq(o.cmd, VS_CREATE);
	ck_assert(o.persistent && o.no_writers && o.no_autorecovery && o.wait);
	ck_assert_uint_eq(o.nvolumes, 2);
	ck_assert_str_eq(o.volumes[0], "/mnt/data");
	ck_assert_int_eq(vs_context(&o), VSS_CTX_NAS_ROLLBACK | VSS_VOLSNAP_ATTR_NO_AUTORECOVERY);
	vs_opts_free(&o);

	ck_assert_int_eq(PARSE(&o, "-wi=db", "/wx=Files:\\logs", "-wx={0102}", "-bc=out.xml",
			       "-script=s.sh", "-exec=/bin/true", "--json", "/mnt"), 0);
	ck_assert_uint_eq(o.nwi, 1);
	ck_assert_uint_eq(o.nwx, 2);
	ck_assert_str_eq(o.wx[0], "Files:\\logs");
	ck_assert_str_eq(o.bc_file, "out.xml");
	ck_assert_str_eq(o.exec_cmd, "/bin/true");
	ck_assert(o.json);
	ck_assert_int_eq(vs_context(&o), VSS_CTX_BACKUP);
	vs_opts_free(&o);

	ck_assert_int_eq(PARSE(&o, "-p", "-t=t.xml", "-ad", "--", "-odd-volume"), 0);
	ck_assert_int_eq(vs_context(&o), VSS_CTX_APP_ROLLBACK | VSS_VOLSNAP_ATTR_TRANSPORTABLE |
			 VSS_VOLSNAP_ATTR_DIFFERENTIAL);
	ck_assert_str_eq(o.volumes[0], "-odd-volume");
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-scsf", "/x"), 0);
	ck_assert_int_eq(vs_context(&o), VSS_CTX_CLIENT_ACCESSIBLE);
	vs_opts_free(&o);
}
END_TEST

START_TEST(commands)
{
	struct vs_opts o;
	char err[256];

	ck_assert_int_eq(PARSE(&o, "-q"), 0);
	ck_assert_int_eq(o.cmd, VS_QUERY);
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "/qx={12345678-1234-1234-1234-123456789abc}"), 0);
	ck_assert_int_eq(o.cmd, VS_QUERY_SET);
	ck_assert_int_eq(o.id.b[0], 0x12);
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-isup", "/mnt/data"), 0);
	ck_assert_int_eq(o.cmd, VS_IS_SUPPORTED);
	ck_assert_str_eq(o.cmd_arg, "/mnt/data");
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-el=12345678-1234-1234-1234-123456789abc,/mnt/snap"), 0);
	ck_assert_int_eq(o.cmd, VS_EXPOSE);
	ck_assert_str_eq(o.expose_dir, "/mnt/snap");
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-do=/mnt/data"), 0);
	ck_assert_int_eq(o.cmd, VS_DELETE_OLDEST);
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "-ws", "--help"), 0);
	ck_assert_int_eq(o.cmd, VS_HELP);
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "--version"), 0);
	ck_assert_int_eq(o.cmd, VS_VERSION);
	vs_opts_free(&o);
	ck_assert_int_eq(PARSE(&o, "/WM3"), 0);
	ck_assert_int_eq(o.cmd, VS_WRITER_META3);
	vs_opts_free(&o);
}
END_TEST

static void bad(const char *expect, ...)
{
	char *argv[8] = { (char *)"vshadow" };
	int argc = 1;
	struct vs_opts o;
	char err[256];
	va_list ap;
	const char *a;

	va_start(ap, expect);
	while ((a = va_arg(ap, const char *)))
		argv[argc++] = (char *)a;
	va_end(ap);
	ck_assert_int_eq(vs_parse_args(argc, argv, &o, err, sizeof(err)), -1);
	ck_assert_str_eq(err, expect);
	vs_opts_free(&o);
}

START_TEST(bad_parameters)
{
	bad("no volume and no command given", NULL);
	bad("unknown option '-zz'", "-zz", NULL);
	bad("option '-p' takes no value", "-p=1", "/mnt", NULL);
	bad("option '-bc' needs a value (-bc=VALUE)", "-bc", "/mnt", NULL);
	bad("option '/qx' needs a value (/qx=VALUE)", "/qx", NULL);
	bad("option '-isup' needs a volume", "-isup", NULL);
	bad("only one command may be given ('-ws')", "-q", "-ws", NULL);
	bad("volumes cannot be given with a query, delete or writer command", "-q", "/mnt",
	    NULL);
	bad("-nw excludes -wi and -wx", "-nw", "-wx=a", "/mnt", NULL);
	bad("-t and -bc exclude each other", "-t=a", "-bc=b", "/mnt", NULL);
	bad("-ad and -ap exclude each other", "-ad", "-ap", "/mnt", NULL);
	bad("not an id: 'xyz'", "-ds=xyz", NULL);
	bad("-el needs SNAPID,DIRECTORY", "-el=12345678-1234-1234-1234-123456789abc", NULL);
}
END_TEST

static const vss_id_t WID = { { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 } };

/* A component of a test WMD; file: a file group's files or a database's
 * file, log: a database's log files (NULL: none). */
struct tcomp {
	VSS_COMPONENT_TYPE t;
	const char *lp, *name;
	bool sel;
	const char *file, *log;
};

/* config (not selectable), main (selectable database), main\logs
 * (selectable, in main's set), cache. */
static const struct tcomp FOUR[] = {
	{ VSS_CT_FILEGROUP, NULL, "config", false },
	{ VSS_CT_DATABASE, NULL, "main", true },
	{ VSS_CT_FILEGROUP, "main", "logs", true },
	{ VSS_CT_FILEGROUP, NULL, "cache", true },
};

/* After "Logical pathing of components": Executables and ConfigFiles form
 * no set, writerData heads one holding Set1, Set2 and the set of Usage. */
static const struct tcomp DOCS[] = {
	{ VSS_CT_FILEGROUP, NULL, "Executables", false },
	{ VSS_CT_FILEGROUP, "Executables", "ConfigFiles", false },
	{ VSS_CT_FILEGROUP, NULL, "writerData", true },
	{ VSS_CT_FILEGROUP, "writerData", "Set1", false },
	{ VSS_CT_FILEGROUP, "writerData", "Set2", false },
	{ VSS_CT_FILEGROUP, "writerData", "Usage", true },
	{ VSS_CT_FILEGROUP, "writerData\\Usage", "Jan", false },
};

/* A WMD built with the document model. */
static char *make_wmd(const struct tcomp *c, size_t n)
{
	vss_wmd_t *w;
	char *xml;

	ck_assert_int_eq(vss_wmd_new(&w), S_OK);
	ck_assert_int_eq(vss_wmd_set_identity(w, &WID, &WID, "db", NULL, VSS_UT_USERDATA,
					      VSS_ST_OTHER, 1, 0), S_OK);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(vss_wmd_add_component(w, c[i].t, c[i].lp, c[i].name, NULL, NULL,
						       0, false, false, c[i].sel, false, 0),
				 S_OK);
		if (c[i].file && c[i].t == VSS_CT_DATABASE)
			ck_assert_int_eq(vss_wmd_add_database_files(w, c[i].lp, c[i].name,
								    c[i].file, "*.db", 0), S_OK);
		else if (c[i].file)
			ck_assert_int_eq(vss_wmd_add_files_to_file_group(w, c[i].lp, c[i].name,
									 c[i].file, "*", false,
									 NULL, 0), S_OK);
		if (c[i].log)
			ck_assert_int_eq(vss_wmd_add_database_log_files(w, c[i].lp, c[i].name,
									c[i].log, "*.log", 0),
					 S_OK);
	}
	ck_assert_int_eq(vss_wmd_save_xml(w, &xml), S_OK);
	vss_wmd_free(w);
	return xml;
}

static void load(struct vs_writer *w, const char *name, const struct tcomp *c, size_t n)
{
	char *wmd = make_wmd(c, n);

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->writer_id = WID;
	ck_assert_int_eq(vs_wmd_components(wmd, &w->comps, &w->ncomps), 0);
	ck_assert_uint_eq(w->ncomps, n);
	free(wmd);
}

static void expect(const struct vs_writer *w, bool excluded, const char *sel)
{
	char got[16] = "";

	for (size_t i = 0; i < w->ncomps; i++)
		got[i] = w->comps[i].selected ? '1' : '0';
	ck_assert_int_eq(w->excluded, excluded);
	ck_assert_str_eq(got, sel);
}

static size_t count(const char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

static char *said;	/* what the last vs_select printed */

/* vs_select with NULL-terminated lists of volumes, -wi and -wx. */
static vss_hr_t run_select(struct vs_writer *w, size_t nw, const char **vols, const char **wi,
			   const char **wx, char *err, size_t errlen)
{
	struct vs_opts o = {
		.volumes = vols, .nvolumes = count(vols), .wi = wi, .nwi = count(wi),
		.wx = wx, .nwx = count(wx),
	};
	size_t len;
	FILE *f;
	vss_hr_t hr;

	free(said);
	f = open_memstream(&said, &len);
	ck_assert_ptr_nonnull(f);
	hr = vs_select(w, nw, &o, f, err, errlen);
	fclose(f);
	return hr;
}

#define L(...) ((const char *[]){ __VA_ARGS__, NULL })
#define SELECT(w, nw, vols, wi, wx) run_select(w, nw, vols, wi, wx, err, sizeof(err))
/* A -wi refused (E_INVALIDARG), err saying why. */
#define REFUSED(w, nw, vols, wi, wx, why)						\
	do {										\
		ck_assert_int_eq(SELECT(w, nw, vols, L(wi), wx), E_INVALIDARG);	\
		ck_assert_str_eq(err, "'" wi "' (-wi) is not included in the backup: " why); \
	} while (0)
#define SAID(line) ck_assert_msg(strstr(said, line "\n"), "no '%s' in:\n%s", line, said)

START_TEST(selection)
{
	struct vs_writer w[2];
	char err[256];

	load(&w[0], "db", FOUR, 4);
	load(&w[1], "files", FOUR, 4);
	ck_assert_str_eq(w[0].comps[2].full_path, "main\\logs");
	ck_assert_int_eq(w[0].comps[1].type, VSS_CT_DATABASE);
	ck_assert(!w[0].comps[0].selectable && w[0].comps[1].selectable);

	/* default: all heads, never the member of a selectable set */
	ck_assert_int_eq(SELECT(w, 2, NULL, NULL, NULL), S_OK);
	expect(&w[0], false, "1101");
	expect(&w[1], false, "1101");

	/* -wx of a writer (by name, case-insensitive) and of a component */
	ck_assert_int_eq(SELECT(w, 2, NULL, NULL, L("FILES", "db:\\cache")), S_OK);
	expect(&w[0], false, "1100");
	expect(&w[1], true, "0000");
	SAID("- Component '\\cache' from writer 'db' is explicitly excluded from backup");

	/* -wx of a member of a set excludes the set's head with it */
	ck_assert_int_eq(SELECT(w, 2, NULL, NULL, L("db:main\\logs")), S_OK);
	expect(&w[0], false, "1001");
	SAID("- Component '\\main' from writer 'db' is excluded from backup (it has an "
	     "excluded descendant: '\\main\\logs')");

	/* -wx of a component that must be added excludes its writer */
	ck_assert_int_eq(SELECT(w, 2, NULL, NULL, L("db:config")), S_OK);
	expect(&w[0], true, "0000");
	expect(&w[1], false, "1101");
	SAID("- The writer 'db' is now entirely excluded from the backup (its non-selectable "
	     "component '\\config' is excluded)");

	/* -wi verifies and restricts nothing: the other writer takes part */
	ck_assert_int_eq(SELECT(w, 2, NULL, L("db:main"), NULL), S_OK);
	expect(&w[0], false, "1101");
	expect(&w[1], false, "1101");
	SAID("- The component 'db:main' is included");
	ck_assert_int_eq(SELECT(w, 2, NULL, L("db:\\main\\logs", "files"), NULL), S_OK);
	SAID("- All components of writer 'files' are included");
	expect(&w[0], false, "1101");
	expect(&w[1], false, "1101");

	/* -wi by writer id */
	ck_assert_int_eq(SELECT(w, 1, NULL, L("{aa010203-0405-0607-0809-0a0b0c0d0e0f}"), NULL),
			 S_OK);
	expect(&w[0], false, "1101");

	/* -wi of what is left out fails */
	REFUSED(w, 2, NULL, "db:\\cache", L("db:cache"),
		"component '\\cache' of writer 'db' is excluded");
	REFUSED(w, 2, NULL, "db", L("db:cache"), "component '\\cache' of writer 'db' is excluded");
	REFUSED(w, 2, NULL, "files", L("files"), "writer 'files' is excluded");
	REFUSED(w, 2, NULL, "files:main", L("files"), "writer 'files' is excluded");

	/* a writer without components takes no part */
	{
		struct vs_writer empty = { .name = "empty" };

		ck_assert_int_eq(SELECT(&empty, 1, NULL, NULL, NULL), S_OK);
		ck_assert(empty.excluded);
		SAID("- The writer 'empty' is now entirely excluded from the backup (it has no "
		     "component that can be included)");
		ck_assert_int_eq(SELECT(&empty, 1, NULL, L("empty"), NULL), E_INVALIDARG);
	}

	/* names that match nothing */
	ck_assert_int_eq(SELECT(w, 2, NULL, L("nosuch"), NULL), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_str_eq(err, "writer or component 'nosuch' not found (-wi)");
	ck_assert_int_eq(SELECT(w, 2, NULL, NULL, L("db:\\nosuch")), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_str_eq(err, "writer or component 'db:\\nosuch' not found (-wx)");

	vs_components_free(w[0].comps, w[0].ncomps);
	vs_components_free(w[1].comps, w[1].ncomps);
	free(said);
	said = NULL;
}
END_TEST

/* Non-selectable components with no selectable ancestor are each added;
 * with writerData out, Usage heads a set of its own. */
START_TEST(component_sets)
{
	struct vs_writer w;
	char err[256];

	load(&w, "docs", DOCS, 7);
	ck_assert_int_eq(SELECT(&w, 1, NULL, L("docs"), NULL), S_OK);
	expect(&w, false, "1110000");
	ck_assert_int_eq(SELECT(&w, 1, NULL, NULL, L("docs:writerData\\Set1")), S_OK);
	expect(&w, false, "1100010");
	SAID("- Component '\\writerData' from writer 'docs' is excluded from backup (it has an "
	     "excluded descendant: '\\writerData\\Set1')");
	ck_assert_int_eq(SELECT(&w, 1, NULL, L("docs:writerData\\Usage\\Jan", "docs:Executables"),
				L("docs:writerData\\Set1")), S_OK);
	REFUSED(&w, 1, NULL, "docs:\\writerData\\Set2", L("docs:writerData\\Set1"),
		"component '\\writerData\\Set2' of writer 'docs' belongs to an excluded "
		"component set");
	vs_components_free(w.comps, w.ncomps);
	free(said);
	said = NULL;
}
END_TEST

/* Components with files off the volumes of the set: a directory volume
 * (/tmp) holds what shares its st_dev, paths that do not exist yet by their
 * longest existing prefix; /proc is never on it. */
START_TEST(files_off_the_set)
{
	const char *dir = "/tmp", *on = "/tmp/vshadow-unit/db/not/yet";
	const char *off = "/proc/vshadow-unit/no/such";
	struct vs_writer w[2];
	char err[256];

	{
		/* main's database is on the set, its log is not */
		const struct tcomp db[] = {
			{ VSS_CT_FILEGROUP, NULL, "config", false, on, NULL },
			{ VSS_CT_DATABASE, NULL, "main", true, on, off },
			{ VSS_CT_FILEGROUP, "main", "logs", true, NULL, NULL },
			{ VSS_CT_FILEGROUP, NULL, "cache", true, dir, NULL },
		};
		struct tcomp docs[7];

		/* the documentation's example, Set1's files off the set */
		memcpy(docs, DOCS, sizeof(docs));
		docs[3].file = off;
		load(&w[0], "db", db, 4);
		load(&w[1], "docs", docs, 7);
	}
	ck_assert_uint_eq(w[0].comps[1].npaths, 2);
	ck_assert_str_eq(w[0].comps[1].paths[0], on);
	ck_assert_str_eq(w[0].comps[1].paths[1], off);

	/* main is left out, its set's selectable logs is added instead; the
	 * writer's other components are added */
	ck_assert_int_eq(SELECT(w, 2, L(dir), NULL, NULL), S_OK);
	expect(&w[0], false, "1011");
	SAID("- Component '\\main' from writer 'db' is excluded from backup (it requires /proc "
	     "in the shadow set)");
	ck_assert_int_eq(SELECT(w, 2, L(dir), L("db:main\\logs", "db:cache"), NULL), S_OK);
	REFUSED(w, 2, L(dir), "db:main", NULL, "component '\\main' of writer 'db' is excluded");
	REFUSED(w, 2, L(dir), "db", NULL, "component '\\main' of writer 'db' is excluded");

	/* Set1 off the set: writerData goes with it, Usage heads its own set,
	 * Set2 (in writerData's set) is not backed up */
	expect(&w[1], false, "1100010");
	SAID("- Component '\\writerData\\Set1' from writer 'docs' is excluded from backup (it "
	     "requires /proc in the shadow set)");
	REFUSED(w, 2, L(dir), "docs:\\writerData\\Set2", NULL,
		"component '\\writerData\\Set2' of writer 'docs' belongs to an excluded "
		"component set");

	/* everything on the set: the usual heads */
	ck_assert_int_eq(SELECT(w, 2, L(dir, "/proc"), L("db", "docs"), NULL), S_OK);
	expect(&w[0], false, "1101");
	expect(&w[1], false, "1110000");

	/* no volume holds config, which must be added: db is left out whole;
	 * docs has no file there, so it takes part */
	ck_assert_int_eq(SELECT(w, 2, L("/proc"), NULL, NULL), S_OK);
	expect(&w[0], true, "0000");
	expect(&w[1], false, "1110000");
	SAID("- The writer 'db' is now entirely excluded from the backup (its non-selectable "
	     "component '\\config' is excluded)");
	vs_components_free(w[0].comps, w[0].ncomps);
	vs_components_free(w[1].comps, w[1].ncomps);

	/* a path that is not absolute lies on no volume */
	{
		const struct tcomp rel[] = {
			{ VSS_CT_FILEGROUP, NULL, "a", true, "relative/dir", NULL },
			{ VSS_CT_FILEGROUP, NULL, "b", true, NULL, NULL },
		};

		load(&w[0], "rel", rel, 2);
	}
	ck_assert_int_eq(SELECT(w, 1, L(dir), NULL, NULL), S_OK);
	expect(&w[0], false, "01");
	SAID("- Component '\\a' from writer 'rel' is excluded from backup (its file path "
	     "'relative/dir' lies on no volume)");
	vs_components_free(w[0].comps, w[0].ncomps);
	free(said);
	said = NULL;
}
END_TEST

START_TEST(wmd_bad_and_empty)
{
	struct vs_component *c;
	size_t n;

	ck_assert_int_eq(vs_wmd_components("<not xml", &c, &n), -1);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(vs_wmd_components("", &c, &n), 0);
	ck_assert_uint_eq(n, 0);
	vs_components_free(c, n);
}
END_TEST

START_TEST(utf16_container)
{
	char *buf;
	size_t len;

	ck_assert_int_eq(vs_utf16le("<a>\xc3\xa9</a>", &buf, &len), 0);
	ck_assert_uint_eq(len, 18);	/* 8 UTF-16 units + U+0000 */
	ck_assert_int_eq(memcmp(buf, "<\0a\0>\0\xe9\0<\0/\0a\0>\0\0\0", 18), 0);
	free(buf);
	ck_assert_int_lt(vs_utf16le("\xff", &buf, &len), 0);
}
END_TEST

START_TEST(read_document)
{
	char path[] = "/tmp/vshadow-doc.XXXXXX", *text;
	static const char u16[] = "\xff\xfe<\0a\0/\0>\0\0\0";
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	close(fd);
	f = fopen(path, "wb");	/* UTF-16LE with BOM and trailing U+0000 */
	fwrite(u16, 1, sizeof(u16) - 1, f);
	fclose(f);
	ck_assert_int_eq(vs_read_document(path, &text), 0);
	ck_assert_str_eq(text, "<a/>");
	free(text);
	f = fopen(path, "wb");	/* as vs_utf16le writes it */
	fwrite(u16 + 2, 1, sizeof(u16) - 3, f);
	fclose(f);
	ck_assert_int_eq(vs_read_document(path, &text), 0);
	ck_assert_str_eq(text, "<a/>");
	free(text);
	f = fopen(path, "wb");	/* UTF-8 with BOM */
	fputs("\xef\xbb\xbf<b/>", f);
	fclose(f);
	ck_assert_int_eq(vs_read_document(path, &text), 0);
	ck_assert_str_eq(text, "<b/>");
	free(text);
	f = fopen(path, "wb");	/* a NUL inside UTF-8 text */
	fwrite("<b>\0</b>", 1, 8, f);
	fclose(f);
	ck_assert_int_eq(vs_read_document(path, &text), -EILSEQ);
	unlink(path);
	ck_assert_int_eq(vs_read_document(path, &text), -ENOENT);
}
END_TEST

START_TEST(labels)
{
	char buf[256], hex[12];

	ck_assert_str_eq(reqp_writer_state_label(VSS_WS_STABLE), "Stable");
	ck_assert_str_eq(reqp_writer_state_label(VSS_WS_WAITING_FOR_BACKUP_COMPLETE),
			 "Waiting for completion");
	ck_assert_str_eq(reqp_writer_state_label(VSS_WS_FAILED_AT_FREEZE), "Failed");
	ck_assert_str_eq(reqp_writer_state_label(99), "Failed");
	ck_assert_str_eq(reqp_last_error_label(S_OK), "No error");
	ck_assert_str_eq(reqp_last_error_label(VSS_E_WRITERERROR_TIMEOUT), "Timed out");
	ck_assert_str_eq(reqp_last_error_label(E_FAIL), "Unexpected error");
	reqp_attributes(VSS_CTX_APP_ROLLBACK | VSS_VOLSNAP_ATTR_DIFFERENTIAL, " ", buf,
			sizeof(buf));
	ck_assert_str_eq(buf, "Persistent No_Auto_Release Differential");
	reqp_attributes(VSS_CTX_NAS_ROLLBACK, ", ", buf, 20);
	ck_assert_str_eq(buf, "Persistent, No_Auto");
	ck_assert_str_eq(reqp_context_label(VSS_CTX_CLIENT_ACCESSIBLE), "ClientAccessible");
	ck_assert_str_eq(reqp_context_label(VSS_CTX_BACKUP | VSS_VOLSNAP_ATTR_PLEX), "Backup");
	ck_assert_str_eq(reqp_hex(VSS_E_BAD_STATE, hex), "0x80042301");
	ck_assert_str_eq(reqp_time(0, buf, sizeof(buf)), "-");
	ck_assert_int_eq(reqp_exit_code(S_FALSE), 0);
	ck_assert_int_eq(reqp_exit_code(VSS_E_OBJECT_NOT_FOUND), 1);
	ck_assert_int_eq(reqp_exit_code(VSS_E_BAD_STATE), 2);
	ck_assert_int_eq(reqp_exit_code(E_OUTOFMEMORY), 3);
}
END_TEST

START_TEST(records)
{
	vss_snapshot_prop_t p = {
		.snapshots_count = 1, .snapshot_device_object = (char *)"/dev/loop7",
		.original_volume_name = (char *)"/mnt/data",
		.snapshot_attributes = VSS_CTX_APP_ROLLBACK, .status = VSS_SS_CREATED,
		.creation_timestamp = 116444736000000000LL + 10000000LL * 86400,
	};
	vss_writer_status_t w = {
		.writer_name = (char *)"db", .instance_name = (char *)"",
		.state = VSS_WS_FAILED_AT_FREEZE, .failure_hr = VSS_E_WRITERERROR_TIMEOUT,
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_object *j;

	reqp_print_writer_status(f, &w);
	fclose(f);
	ck_assert_str_eq(text,
		"* WRITER \"db\"\n"
		"   - Status: 9 (VSS_WS_FAILED_AT_FREEZE)\n"
		"   - Writer Failure code: 0x800423F2 (VSS_E_WRITERERROR_TIMEOUT)\n"
		"   - Writer ID: {00000000-0000-0000-0000-000000000000}\n"
		"   - Instance ID: {00000000-0000-0000-0000-000000000000}\n\n");
	free(text);
	j = reqp_json_snapshot(&p);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(j, "creation_time")),
			 "1970-01-02T00:00:00Z");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(j, "context")),
			 "ApplicationRollback");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(j, "state_name")),
			 "VSS_SS_CREATED");
	ck_assert_int_eq(json_object_array_length(json_object_object_get(j, "attribute_names")),
			 2);
	ck_assert(json_object_object_get(j, "exposed_name") == NULL);
	json_object_put(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vshadow-unit");
	TCase *tc = tcase_create("unit");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, creation_flags);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, bad_parameters);
	tcase_add_test(tc, selection);
	tcase_add_test(tc, component_sets);
	tcase_add_test(tc, files_off_the_set);
	tcase_add_test(tc, wmd_bad_and_empty);
	tcase_add_test(tc, utf16_container);
	tcase_add_test(tc, read_document);
	tcase_add_test(tc, labels);
	tcase_add_test(tc, records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
