/* writer-opts.c — see writer-opts.h. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <vss/metadata.h>
#include "common/proto.h"
#include "tools/writer-opts.h"

static const char *const ev_opt[EV_COUNT] = {
	[EV_IDENTIFY] = "identify",
	[EV_PREPARE_BACKUP] = "prepare-backup",
	[EV_PREPARE_SNAPSHOT] = "prepare-snapshot",
	[EV_FREEZE] = "freeze",
	[EV_THAW] = "thaw",
	[EV_POST_SNAPSHOT] = "post-snapshot",
	[EV_ABORT] = "abort",
	[EV_BACKUP_COMPLETE] = "backup-complete",
	[EV_BACKUP_SHUTDOWN] = "backup-shutdown",
	[EV_PRE_RESTORE] = "pre-restore",
	[EV_POST_RESTORE] = "post-restore",
};

void wopts_init(struct writer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->level = VSS_APP_FRONT_END;
	o->usage = VSS_UT_USERDATA;
	o->source = VSS_ST_OTHER;
}

void wopts_free(struct writer_opts *o)
{
	for (unsigned i = 0; i < o->ncomps; i++) {
		struct wopt_component *c = &o->comps[i];

		for (unsigned j = 0; j < c->nfiles; j++) {
			free(c->files[j].path);
			free(c->files[j].spec);
		}
		free(c->files);
		free(c->logical_path);
		free(c->name);
	}
	free(o->comps);
	free(o->name);
	free(o->instance_name);
	memset(o, 0, sizeof(*o));
}

int wopts_level(const char *s, VSS_APPLICATION_LEVEL *level)
{
	if (!strcasecmp(s, "front") || !strcasecmp(s, "VSS_APP_FRONT_END"))
		*level = VSS_APP_FRONT_END;
	else if (!strcasecmp(s, "back") || !strcasecmp(s, "VSS_APP_BACK_END"))
		*level = VSS_APP_BACK_END;
	else if (!strcasecmp(s, "system") || !strcasecmp(s, "VSS_APP_SYSTEM"))
		*level = VSS_APP_SYSTEM;
	else
		return -EINVAL;
	return 0;
}

int wopts_event(const char *s)
{
	for (int ev = 1; ev < EV_COUNT; ev++)
		if (!strcasecmp(s, ev_opt[ev]) || !strcasecmp(s, proto_event_name(ev)))
			return ev;
	return -EINVAL;
}

const char *wopts_event_opt_name(int ev)
{
	return ev > 0 && ev < EV_COUNT ? ev_opt[ev] : "unknown";
}

int wopts_event_value(const char *s, int *ev, const char **value)
{
	const char *colon = strchr(s, ':');
	char name[64];

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(name) || !colon[1])
		return -EINVAL;
	memcpy(name, s, colon - s);
	name[colon - s] = '\0';
	*ev = wopts_event(name);
	if (*ev < 0)
		return -EINVAL;
	*value = colon + 1;
	return 0;
}

int wopts_ms(const char *s, uint32_t *ms)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0x7fffffffUL)
		return -EINVAL;
	*ms = (uint32_t)v;
	return 0;
}

/* Splits s at ':' into at most n fields (malloc'd copy in *buf). */
static int split(const char *s, char **f, int n, char **buf)
{
	int k = 0;
	char *p;

	*buf = strdup(s);
	if (!*buf)
		return -ENOMEM;
	p = *buf;
	while (k < n) {
		f[k++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (p) {		/* more fields than allowed */
		free(*buf);
		*buf = NULL;
		return -EINVAL;
	}
	return k;
}

int wopts_add_component(struct writer_opts *o, const char *s)
{
	struct wopt_component *c, *nc;
	char *f[3], *buf;
	int n = split(s, f, 3, &buf);

	if (n < 2 || !*f[1] || (n == 3 && strcmp(f[2], "selectable"))) {
		free(buf);
		return -EINVAL;
	}
	/* the same one twice would fail every Identify (AddComponent:
	 * VSS_E_OBJECT_ALREADY_EXISTS) */
	for (size_t i = 0; i < o->ncomps; i++)
		if (!strcmp(o->comps[i].logical_path, f[0]) && !strcmp(o->comps[i].name, f[1])) {
			free(buf);
			return -EEXIST;
		}
	nc = realloc(o->comps, (o->ncomps + 1) * sizeof(*nc));
	if (!nc) {
		free(buf);
		return -ENOMEM;
	}
	o->comps = nc;
	c = &o->comps[o->ncomps];
	memset(c, 0, sizeof(*c));
	c->logical_path = strdup(f[0]);
	c->name = strdup(f[1]);
	c->selectable = n == 3;
	free(buf);
	if (!c->logical_path || !c->name) {
		free(c->logical_path);
		free(c->name);
		return -ENOMEM;
	}
	o->ncomps++;
	return 0;
}

int wopts_add_files(struct writer_opts *o, const char *s)
{
	struct wopt_component *c;
	struct wopt_files *nf, *fl;
	char *f[3], *buf;
	int n;

	if (!o->ncomps)
		return -EINVAL;
	n = split(s, f, 3, &buf);
	if (n < 2 || f[0][0] != '/' || !*f[1] || (n == 3 && strcmp(f[2], "recursive"))) {
		free(buf);
		return -EINVAL;
	}
	c = &o->comps[o->ncomps - 1];
	nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf));
	if (!nf) {
		free(buf);
		return -ENOMEM;
	}
	c->files = nf;
	fl = &c->files[c->nfiles];
	fl->path = strdup(f[0]);
	fl->spec = strdup(f[1]);
	fl->recursive = n == 3;
	free(buf);
	if (!fl->path || !fl->spec) {
		free(fl->path);
		free(fl->spec);
		return -ENOMEM;
	}
	c->nfiles++;
	return 0;
}

void wopts_finish(struct writer_opts *o)
{
	/* A fixed namespace so the same name always gives the same class. */
	static const uuid_t ns = {
		0x6f, 0x70, 0x65, 0x6e, 0x76, 0x73, 0x73, 0x2d,
		0x77, 0x72, 0x69, 0x74, 0x65, 0x72, 0x00, 0x01,
	};

	if (vss_id_is_null(&o->class_id) && o->name)
		uuid_generate_md5(o->class_id.b, ns, o->name, strlen(o->name));
}

vss_hr_t wopts_fill_wmd(const struct writer_opts *o, vss_wmd_t *md)
{
	vss_hr_t hr = S_OK;

	for (unsigned i = 0; VSS_SUCCEEDED(hr) && i < o->ncomps; i++) {
		const struct wopt_component *c = &o->comps[i];
		const char *lp = *c->logical_path ? c->logical_path : NULL;

		hr = vss_wmd_add_component(md, VSS_CT_FILEGROUP, lp, c->name, NULL, NULL, 0,
					   false, false, c->selectable, c->selectable, 0);
		for (unsigned j = 0; VSS_SUCCEEDED(hr) && j < c->nfiles; j++)
			hr = vss_wmd_add_files_to_file_group(md, lp, c->name, c->files[j].path,
							     c->files[j].spec,
							     c->files[j].recursive, NULL,
							     VSS_FSBT_DEFAULT);
	}
	return hr;
}

void wopts_block_term(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

bool wopts_term_received(const sigset_t *set, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	int sig = sigtimedwait(set, NULL, &ts);

	return sig == SIGTERM || sig == SIGINT;
}

void wopts_log_line(int fd, const char *line, int n)
{
	if (fd >= 0 && n > 0 && write(fd, line, (size_t)n) != n)
		fprintf(stderr, "log write: %s\n", strerror(errno));
}

static wopts_event_fn generic_fn;

static bool g_identify(vss_writer_t *w, vss_wmd_t *md, void *u)
{
	return generic_fn(w, EV_IDENTIFY, md, u);
}

#define G_BCD(fn, ev) \
	static bool fn(vss_writer_t *w, vss_bcd_t *c, void *u)			\
	{ return generic_fn(w, ev, NULL, u); }
#define G_PLAIN(fn, ev) \
	static bool fn(vss_writer_t *w, void *u) { return generic_fn(w, ev, NULL, u); }
G_BCD(g_prepare_backup, EV_PREPARE_BACKUP)
G_PLAIN(g_prepare_snapshot, EV_PREPARE_SNAPSHOT)
G_PLAIN(g_freeze, EV_FREEZE)
G_PLAIN(g_thaw, EV_THAW)
G_BCD(g_post_snapshot, EV_POST_SNAPSHOT)
G_PLAIN(g_abort, EV_ABORT)
G_BCD(g_backup_complete, EV_BACKUP_COMPLETE)
G_BCD(g_pre_restore, EV_PRE_RESTORE)
G_BCD(g_post_restore, EV_POST_RESTORE)

static bool g_backup_shutdown(vss_writer_t *w, const vss_id_t *set, void *u)
{
	return generic_fn(w, EV_BACKUP_SHUTDOWN, NULL, u);
}

const struct vss_writer_ops *wopts_generic_ops(wopts_event_fn fn)
{
	static const struct vss_writer_ops ops = {
		.struct_size = sizeof(struct vss_writer_ops),
		.on_identify = g_identify,
		.on_prepare_backup = g_prepare_backup,
		.on_prepare_snapshot = g_prepare_snapshot,
		.on_freeze = g_freeze,
		.on_thaw = g_thaw,
		.on_post_snapshot = g_post_snapshot,
		.on_abort = g_abort,
		.on_backup_complete = g_backup_complete,
		.on_backup_shutdown = g_backup_shutdown,
		.on_pre_restore = g_pre_restore,
		.on_post_restore = g_post_restore,
	};

	generic_fn = fn;
	return &ops;
}
