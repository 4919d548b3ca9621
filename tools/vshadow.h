/* vshadow.h — internal to vshadow: its options, the component selection
 * of the SDK sample, and the Windows container of the BCD file.  Split out
 * of vshadow.c so that the unit tests run the real code. */
#ifndef VSS_TOOLS_VSHADOW_H
#define VSS_TOOLS_VSHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <vss/backup.h>

enum vs_cmd {
	VS_CREATE = 0,		/* VOLUME... */
	VS_QUERY,		/* -q */
	VS_QUERY_SET,		/* -qx=SETID */
	VS_QUERY_SNAP,		/* -s=SNAPID */
	VS_DELETE_ALL,		/* -da */
	VS_DELETE_OLDEST,	/* -do=VOLUME */
	VS_DELETE_SET,		/* -dx=SETID */
	VS_DELETE_SNAP,		/* -ds=SNAPID */
	VS_WRITER_STATUS,	/* -ws */
	VS_WRITER_META,		/* -wm */
	VS_WRITER_META2,	/* -wm2 */
	VS_WRITER_META3,	/* -wm3 */
	VS_EXPOSE,		/* -el=SNAPID,DIR */
	VS_REVERT,		/* -revert=SNAPID */
	VS_IS_SUPPORTED,	/* -isup VOLUME */
	VS_RESTORE,		/* -r=FILE */
	VS_RESTORE_SIM,		/* -rs=FILE */
	VS_HELP,
	VS_VERSION,
};

struct vs_opts {
	enum vs_cmd cmd;
	const char *cmd_arg;		/* the command's value */
	vss_id_t id;			/* parsed SETID / SNAPID */
	char *expose_dir;		/* -el: after the comma (malloc'd) */
	bool persistent, no_writers, no_autorecovery, txf_recovery;
	bool differential, plex, client_accessible;
	bool wait, tracing, json;
	const char *bc_file, *t_file, *script_file, *exec_cmd;
	const char **wi, **wx;		/* -wi= / -wx= values (malloc'd arrays) */
	size_t nwi, nwx;
	const char **volumes;
	size_t nvolumes;
};

/* Parses argv.  0 on success; -1 with a message in err for bad
 * parameters.  Free with vs_opts_free. */
int vs_parse_args(int argc, char **argv, struct vs_opts *o, char *err, size_t errlen);
void vs_opts_free(struct vs_opts *o);
/* The context the creation flags ask for (vss-protocol §11.2). */
int32_t vs_context(const struct vs_opts *o);

/* ---- component selection ---- */
struct vs_component {
	VSS_COMPONENT_TYPE type;
	char *logical_path;		/* "" when none */
	char *name;
	char *full_path;		/* logical_path\name */
	char **paths;			/* of its files, database files and logs */
	size_t npaths;
	bool selectable;
	bool excluded;			/* result: left out of the backup */
	bool selected;			/* result: add explicitly */
};

struct vs_writer {
	vss_id_t instance_id, writer_id;
	const char *name;
	struct vs_component *comps;
	size_t ncomps;
	bool excluded;			/* result */
};

/* Reads the components of a Writer Metadata Document; 0 or -1. */
int vs_wmd_components(const char *xml, struct vs_component **comps, size_t *n);
void vs_components_free(struct vs_component *c, size_t n);
/* Selects the components to add for a backup of o->volumes with o's -wx
 * and -wi (vshadow-select.c tells the rules), printing on out (NULL:
 * nothing) why each component or writer is left out.  S_OK;
 * VSS_E_OBJECT_NOT_FOUND when a -wi/-wx names nothing, E_INVALIDARG when a
 * -wi names a writer or component that is not wholly included, with a
 * message in err. */
vss_hr_t vs_select(struct vs_writer *w, size_t nw, const struct vs_opts *o, FILE *out,
		   char *err, size_t errlen);

/* Formats a message into err; returns -1. */
__attribute__((format(printf, 3, 4)))
int vs_fail(char *err, size_t len, const char *fmt, ...);

/* ---- files ---- */
/* UTF-8 -> UTF-16LE, no BOM, one trailing U+0000 (the Windows vshadow
 * container for -bc/-t files).  0 or -errno. */
int vs_utf16le(const char *s, char **out, size_t *outlen);
/* A saved document as UTF-8 text: UTF-16LE (with or without BOM, trailing
 * U+0000s) is converted, UTF-8 (with or without BOM) kept.  0 or -errno
 * (-EILSEQ for text that is neither). */
int vs_read_document(const char *path, char **utf8);

#endif
