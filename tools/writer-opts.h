/* writer-opts.h — option parsing shared by the programs that act as
 * writers (vss-writer-exec, tests/test-writer): levels, event names,
 * components and their files, "EVENT:VALUE" fault specs.  Internal: 0 or
 * -EINVAL. */
#ifndef VSS_TOOLS_WRITER_OPTS_H
#define VSS_TOOLS_WRITER_OPTS_H

#include <signal.h>
#include <stdbool.h>
#include <vss/writer.h>

struct wopt_files {
	char *path;		/* directory */
	char *spec;		/* file spec, e.g. "*.db" */
	bool recursive;
};

struct wopt_component {
	char *logical_path;	/* may be "" */
	char *name;
	bool selectable;
	struct wopt_files *files;
	unsigned nfiles;
};

struct writer_opts {
	char *name;
	vss_id_t class_id;	/* null: derived from the name */
	char *instance_name;
	VSS_APPLICATION_LEVEL level;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	uint32_t freeze_timeout;	/* ms, 0 = library default */
	struct wopt_component *comps;
	unsigned ncomps;
};

void wopts_init(struct writer_opts *o);
void wopts_free(struct writer_opts *o);
/* "front" | "back" | "system" (or the VSS_APP_* names). */
int wopts_level(const char *s, VSS_APPLICATION_LEVEL *level);
/* "freeze", "prepare-snapshot", "PrepareForSnapshot", ... -> EV_*. */
int wopts_event(const char *s);
/* The dashed name of an event ("prepare-snapshot"). */
const char *wopts_event_opt_name(int ev);
/* "EVENT:VALUE" -> event and a pointer to VALUE (in s). */
int wopts_event_value(const char *s, int *ev, const char **value);
/* "LOGICALPATH:NAME[:selectable]" appends a component. */
int wopts_add_component(struct writer_opts *o, const char *s);
/* "PATH:SPEC[:recursive]" adds files to the last component. */
int wopts_add_files(struct writer_opts *o, const char *s);
/* Milliseconds: a decimal number < 2^31. */
int wopts_ms(const char *s, uint32_t *ms);
/* Fills in the class id (derived from the name when not given). */
void wopts_finish(struct writer_opts *o);
/* Describes the components and files in the writer's metadata document. */
vss_hr_t wopts_fill_wmd(const struct writer_opts *o, vss_wmd_t *md);

/* One function for every event: the ops table returned calls fn with the
 * event (EV_*) and, for Identify, the metadata document (else NULL).  One
 * fn per process. */
typedef bool (*wopts_event_fn)(vss_writer_t *w, int ev, vss_wmd_t *md, void *user);
const struct vss_writer_ops *wopts_generic_ops(wopts_event_fn fn);

/* Blocks SIGTERM and SIGINT (threads started later inherit the mask) and
 * returns them in *set. */
void wopts_block_term(sigset_t *set);
/* Waits up to ms for SIGTERM/SIGINT; true when one came. */
bool wopts_term_received(const sigset_t *set, int ms);
/* Appends one line with a single write(2) (O_APPEND logs shared by many
 * writers and processes); fd < 0 does nothing. */
void wopts_log_line(int fd, const char *line, int n);

#endif
