/* vss-writer-exec — a generic VSS writer that runs a command per event.
 *
 * Design note.  The writer library runs each event's handler on a worker
 * thread; the handler runs the event's hook as `/bin/sh -c CMD` in a new
 * process group with an environment built before fork (only async-signal-
 * safe calls between fork and exec), stdin from /dev/null, and waits for
 * it with a pidfd (polling waitpid where pidfds are missing) up to the hook
 * timeout.  A hook that outlives it gets SIGKILL on its whole process group.
 * Failure mapping (documented in vss-writer-exec(8)):
 *   exit 0                          -> success
 *   exit 75 (EX_TEMPFAIL), timeout,
 *   killed by a signal              -> VSS_E_WRITERERROR_RETRYABLE, veto
 *   any other exit status           -> VSS_E_WRITERERROR_NONRETRYABLE, veto
 * (Identify cannot carry a failure code: a failing identify hook only
 * leaves the writer out of that session's metadata.) */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vss/writer.h>
#include "common/proto.h"
#include "common/util.h"
#include "tools/writer-opts.h"

#define EX_TEMPFAIL_CODE 75

extern char **environ;

static struct writer_opts opts;
static char *hooks[EV_COUNT];
static uint32_t hook_timeout_s = 60;
static bool verbose;

enum {
	OPT_INSTANCE = 256, OPT_CONFIG, OPT_NO_RECONNECT,
	OPT_ON = 0x1000,	/* OPT_ON + event: --on-EVENT */
};

static const char usage_text[] =
"Usage: vss-writer-exec [options]\n"
"\n"
"A VSS writer that runs a shell command for each event it receives\n"
"(fsfreeze-style hooks under the VSS event protocol).\n"
"\n"
"Options:\n"
"  -n, --name NAME             writer name (required)\n"
"  -c, --class-id GUID         writer class id (default: derived from the name)\n"
"  -l, --level LEVEL           front, back or system (default front)\n"
"  -f, --freeze-timeout MS     Freeze-to-Thaw limit in ms (default 60000, at most 600000)\n"
"      --instance-name NAME    persistent instance name\n"
"  -C, --component LP:NAME[:selectable]\n"
"                              declare a file-group component\n"
"  -F, --files PATH:SPEC[:recursive]\n"
"                              add files to the last component\n"
"      --on-EVENT CMD          run CMD on EVENT: identify, prepare-backup,\n"
"                              prepare-snapshot, freeze, thaw, post-snapshot,\n"
"                              abort, backup-complete, backup-shutdown,\n"
"                              pre-restore, post-restore\n"
"  -t, --timeout SECONDS       time limit of each hook (default 60)\n"
"      --config FILE           read options from FILE (one \"option = value\" a line)\n"
"  -s, --socket PATH           vssd socket (default $VSS_SOCKET or " VSS_DEFAULT_SOCKET ")\n"
"      --no-reconnect          exit 3 when vssd goes away instead of reconnecting\n"
"  -v, --verbose               log every event and hook to stderr\n"
"  -h, --help                  show this help and exit\n"
"  -V, --version               show the version and exit\n";

/* ------------------------------------------------------------ hooks */

struct hook_env {
	char **envp;
	size_t n, cap;
};

static int env_add(struct hook_env *e, const char *key, const char *val)
{
	char *s;

	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **nv = realloc(e->envp, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		e->envp = nv;
		e->cap = cap;
	}
	if (asprintf(&s, "%s=%s", key, val ? val : "") < 0)
		return -ENOMEM;
	e->envp[e->n++] = s;
	e->envp[e->n] = NULL;
	return 0;
}

static void env_free(struct hook_env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->envp[i]);
	free(e->envp);
}

/* The process environment minus VSS_*, plus the event's VSS_* variables. */
static int build_env(vss_writer_t *w, int ev, struct hook_env *e)
{
	char sid[VSS_ID_STRLEN], set[VSS_ID_STRLEN], ctxs[16];
	const char *const *vols = NULL;
	vss_id_t id, setid;
	VSS_BACKUP_TYPE bt = VSS_BT_UNDEFINED;
	int32_t ctx = 0;
	unsigned nvol = 0;
	size_t len = 1;
	bool timer = false;
	char *volumes;
	int r = 0;

	memset(e, 0, sizeof(*e));
	for (char **p = environ; *p && r == 0; p++) {
		char *eq = strchr(*p, '=');

		if (strncmp(*p, "VSS_", 4) == 0 && strncmp(*p, "VSS_SOCKET=", 11) != 0)
			continue;
		if (eq) {
			*eq = '\0';
			r = env_add(e, *p, eq + 1);
			*eq = '=';
		}
	}
	vss_writer_get_session_id(w, &id);
	if (vss_writer_get_current_snapshot_set_id(w, &setid) != S_OK)
		setid = VSS_ID_NULL;
	vss_writer_get_backup_type(w, &bt);
	vss_writer_get_context(w, &ctx);
	vss_writer_get_current_volume_array(w, &vols, &nvol);
	if (ev == EV_ABORT)
		vss_writer_is_freeze_timeout_abort(w, &timer);
	for (unsigned i = 0; i < nvol; i++)
		len += strlen(vols[i]) + 1;
	volumes = calloc(1, len);
	if (!volumes)
		return -ENOMEM;
	for (unsigned i = 0; i < nvol; i++) {
		if (i)
			strcat(volumes, " ");
		strcat(volumes, vols[i]);
	}
	snprintf(ctxs, sizeof(ctxs), "0x%08x", (unsigned)ctx);
	if (r == 0)
		r = env_add(e, "VSS_EVENT", proto_event_name(ev));
	if (r == 0)
		r = env_add(e, "VSS_WRITER_NAME", opts.name);
	if (r == 0)
		r = env_add(e, "VSS_SESSION_ID", vss_id_format(&id, sid));
	if (r == 0)
		r = env_add(e, "VSS_SNAPSHOT_SET_ID",
			    vss_id_is_null(&setid) ? "" : vss_id_format(&setid, set));
	if (r == 0)
		r = env_add(e, "VSS_VOLUMES", volumes);
	if (r == 0)
		r = env_add(e, "VSS_BACKUP_TYPE", vss_backup_type_name(bt));
	if (r == 0)
		r = env_add(e, "VSS_CONTEXT", ctxs);
	if (r == 0 && timer)
		r = env_add(e, "VSS_ABORT_REASON", "freeze-timeout");
	free(volumes);
	if (r)
		env_free(e);
	return r;
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Waits for pid up to deadline (mono ms): 0 and *status, or -ETIMEDOUT. */
static int wait_until(pid_t pid, uint64_t deadline, int *status)
{
	int pfd = pidfd_of(pid);

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		uint64_t now = mono_ms();

		if (r == pid || (r < 0 && errno != EINTR)) {
			if (pfd >= 0)
				close(pfd);
			return r == pid ? 0 : -errno;
		}
		if (now >= deadline) {
			if (pfd >= 0)
				close(pfd);
			return -ETIMEDOUT;
		}
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			poll(&p, 1, (int)(deadline - now));
		} else {
			usleep(5000);
		}
	}
}

/* Runs the hook of ev; true when it succeeded. */
/* A message cut by snprintf may end inside a UTF-8 sequence (a hook's
 * command line can hold any text): drop the partial character, or the
 * library refuses the whole message. */
static void utf8_cut(char *s)
{
	size_t n = strlen(s), i = n, need;

	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return;		/* ends in ASCII (or only continuation bytes) */
	need = ((unsigned char)s[i - 1] & 0xe0) == 0xc0 ? 2 :
	       ((unsigned char)s[i - 1] & 0xf0) == 0xe0 ? 3 :
	       ((unsigned char)s[i - 1] & 0xf8) == 0xf0 ? 4 : 0;
	if (need != n - i + 1)
		s[i - 1] = '\0';
}

static bool run_hook(vss_writer_t *w, int ev)
{
	struct hook_env env;
	char msg[512];
	const char *cmd = hooks[ev];
	vss_hr_t fail = S_OK;
	uint64_t t0 = mono_ms();
	sigset_t none;
	pid_t pid;
	int status = 0, r;

	if (!cmd)
		return true;
	if (build_env(w, ev, &env) < 0) {
		vss_writer_set_failure_ex(w, VSS_E_WRITERERROR_OUTOFRESOURCES, E_OUTOFMEMORY,
					  "no memory for the hook's environment");
		return false;
	}
	sigemptyset(&none);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (fd >= 0)
			dup2(fd, 0);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve("/bin/sh", (char *const[]){ "sh", "-c", (char *)cmd, NULL }, env.envp);
		_exit(127);
	}
	env_free(&env);
	if (pid < 0) {
		snprintf(msg, sizeof(msg), "%s hook: fork: %s", proto_event_name(ev),
			 strerror(errno));
		fail = VSS_E_WRITERERROR_OUTOFRESOURCES;
		goto failed;
	}
	setpgid(pid, pid);
	r = wait_until(pid, t0 + (uint64_t)hook_timeout_s * 1000, &status);
	if (r == -ETIMEDOUT) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(msg, sizeof(msg), "%s hook '%s' ran longer than %u s and was killed",
			 proto_event_name(ev), cmd, hook_timeout_s);
		fail = VSS_E_WRITERERROR_RETRYABLE;
	} else if (r < 0) {
		snprintf(msg, sizeof(msg), "%s hook: waitpid: %s", proto_event_name(ev),
			 strerror(-r));
		fail = VSS_E_WRITERERROR_RETRYABLE;
	} else if (WIFSIGNALED(status)) {
		snprintf(msg, sizeof(msg), "%s hook '%s' was killed by signal %d",
			 proto_event_name(ev), cmd, WTERMSIG(status));
		fail = VSS_E_WRITERERROR_RETRYABLE;
	} else if (WEXITSTATUS(status) != 0) {
		snprintf(msg, sizeof(msg), "%s hook '%s' exited with status %d",
			 proto_event_name(ev), cmd, WEXITSTATUS(status));
		fail = WEXITSTATUS(status) == EX_TEMPFAIL_CODE ? VSS_E_WRITERERROR_RETRYABLE
							       : VSS_E_WRITERERROR_NONRETRYABLE;
	}
	if (verbose)
		warnx("%s: %s hook done in %llu ms%s", opts.name, proto_event_name(ev),
		      (unsigned long long)(mono_ms() - t0), fail ? " (failed)" : "");
	if (fail == S_OK)
		return true;
failed:
	utf8_cut(msg);
	warnx("%s: %s", opts.name, msg);
	if (ev != EV_IDENTIFY)
		vss_writer_set_failure_ex(w, fail, S_OK, msg);
	return false;
}

static bool handle(vss_writer_t *w, int ev, vss_wmd_t *md, void *u)
{
	if (md && VSS_FAILED(wopts_fill_wmd(&opts, md))) {
		warnx("%s", vss_last_error());
		return false;
	}
	if (verbose)
		warnx("%s: event %s", opts.name, proto_event_name(ev));
	return run_hook(w, ev);
}

/* ------------------------------------------------------------ options */

static const char *socket_path;
static bool reconnect = true;
static const char short_opts[] = "n:c:l:f:C:F:t:s:vhV";
static struct option longopts[14 + EV_COUNT] = {
	{ "name", required_argument, NULL, 'n' },
	{ "class-id", required_argument, NULL, 'c' },
	{ "level", required_argument, NULL, 'l' },
	{ "freeze-timeout", required_argument, NULL, 'f' },
	{ "instance-name", required_argument, NULL, OPT_INSTANCE },
	{ "component", required_argument, NULL, 'C' },
	{ "files", required_argument, NULL, 'F' },
	{ "timeout", required_argument, NULL, 't' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "socket", required_argument, NULL, 's' },
	{ "no-reconnect", no_argument, NULL, OPT_NO_RECONNECT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	/* --on-EVENT entries are filled in by add_hook_options() */
};

static void add_hook_options(void)
{
	static char names[EV_COUNT][32];
	size_t n = 14;

	for (int ev = 1; ev < EV_COUNT; ev++, n++) {
		snprintf(names[ev], sizeof(names[ev]), "on-%s", wopts_event_opt_name(ev));
		longopts[n] = (struct option){ names[ev], required_argument, NULL, OPT_ON + ev };
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
}

static void read_config(const char *path);

static void set_option(int c, const char *arg)
{
	uint32_t v;
	int r;

	switch (c) {
	case 'n':
		if (!*arg || strlen(arg) > VSS_MAX_NAME_LEN)
			errx(2, "bad name (1 to %u bytes)", VSS_MAX_NAME_LEN);
		free(opts.name);
		opts.name = strdup(arg);
		break;
	case 'c':
		if (vss_id_parse(arg, &opts.class_id))
			errx(2, "bad class id '%s'", arg);
		if (vss_id_is_null(&opts.class_id))
			errx(2, "the class id may not be GUID_NULL");
		break;
	case 'l':
		if (wopts_level(arg, &opts.level))
			errx(2, "bad level '%s' (front, back or system)", arg);
		break;
	case 'f':
		if (wopts_ms(arg, &opts.freeze_timeout) || !opts.freeze_timeout ||
		    opts.freeze_timeout > VSS_MAX_FREEZE_TIMEOUT_MS)
			errx(2, "bad freeze timeout '%s' (1 to %u ms)", arg,
			     VSS_MAX_FREEZE_TIMEOUT_MS);
		break;
	case OPT_INSTANCE:
		if (strlen(arg) > VSS_MAX_NAME_LEN)
			errx(2, "bad instance name (at most %u bytes)", VSS_MAX_NAME_LEN);
		free(opts.instance_name);
		opts.instance_name = strdup(arg);
		break;
	case 'C':
		r = wopts_add_component(&opts, arg);
		if (r == -EEXIST)
			errx(2, "component '%s' given twice", arg);
		if (r)
			errx(2, "bad component '%s' (LOGICALPATH:NAME[:selectable])", arg);
		break;
	case 'F':
		if (wopts_add_files(&opts, arg))
			errx(2, "bad files '%s' (PATH:SPEC[:recursive] after --component)", arg);
		break;
	case 't':
		if (wopts_ms(arg, &v) || v == 0 || v > 86400)
			errx(2, "bad hook timeout '%s' (1 to 86400 seconds)", arg);
		hook_timeout_s = v;
		break;
	case OPT_CONFIG:
		read_config(arg);
		break;
	case 's':
		socket_path = strdup(arg);
		break;
	case OPT_NO_RECONNECT:
		reconnect = false;
		break;
	case 'v':
		verbose = true;
		break;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case 'V':
		printf("vss-writer-exec %s\n", PACKAGE_VERSION);
		exit(0);
	default:
		if (c > OPT_ON && c < OPT_ON + EV_COUNT) {
			free(hooks[c - OPT_ON]);
			hooks[c - OPT_ON] = strdup(arg);
			break;
		}
		fprintf(stderr, "Try 'vss-writer-exec --help' for more information.\n");
		exit(2);
	}
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "option = value" lines; '#' starts a comment line; flags take no value. */
static void read_config(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *key, *val, *eq;
	size_t cap = 0;
	unsigned lineno = 0;

	if (!f)
		err(2, "%s", path);
	while (getline(&line, &cap, f) > 0) {
		const struct option *o;

		lineno++;
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		val = eq ? trim(eq + 1) : NULL;
		if (eq)
			*eq = '\0';
		key = trim(key);
		for (o = longopts; o->name; o++)
			if (strcmp(o->name, key) == 0)
				break;
		if (!o->name || o->val == OPT_CONFIG || o->val == 'h' || o->val == 'V')
			errx(2, "%s:%u: unknown option '%s'", path, lineno, key);
		if ((o->has_arg == required_argument) != (val != NULL))
			errx(2, "%s:%u: option '%s' %s", path, lineno, key,
			     val ? "takes no value" : "needs a value");
		set_option(o->val, val);
	}
	free(line);
	fclose(f);
}

int main(int argc, char **argv)
{
	vss_writer_t *w = NULL;
	sigset_t sigs;
	int c, rc = 0;

	wopts_init(&opts);
	add_hook_options();
	while ((c = getopt_long(argc, argv, short_opts, longopts, NULL)) != -1)
		set_option(c, optarg);
	if (optind != argc)
		errx(2, "unexpected argument '%s'", argv[optind]);
	if (!opts.name || !*opts.name)
		errx(2, "--name is required (try --help)");
	wopts_finish(&opts);
	wopts_block_term(&sigs);

	if (vss_writer_new(wopts_generic_ops(handle), NULL, &w) ||
	    vss_writer_set_socket(w, socket_path) ||
	    vss_writer_initialize(w, &opts.class_id, opts.name, opts.usage, opts.source,
				  opts.level, opts.freeze_timeout, opts.instance_name, 1, 0)) {
		warnx("%s", vss_last_error());
		rc = 1;
		goto out;
	}
	while (vss_writer_subscribe(w, 0) != S_OK) {
		if (!reconnect) {
			warnx("%s", vss_last_error());
			rc = 1;
			goto out;
		}
		if (verbose)
			warnx("%s (retrying)", vss_last_error());
		if (wopts_term_received(&sigs, 1000))
			goto out;
	}
	if (verbose)
		warnx("writer '%s' subscribed", opts.name);
	while (!wopts_term_received(&sigs, 200)) {
		if (vss_writer_wait(w, 0) != VSS_E_WRITER_INFRASTRUCTURE)
			continue;
		if (!reconnect) {
			warnx("%s", vss_last_error());
			rc = 3;
			break;
		}
		if (vss_writer_subscribe(w, 0) == S_OK)
			warnx("writer '%s' subscribed again", opts.name);
		else if (wopts_term_received(&sigs, 1000))
			break;
	}
out:
	vss_writer_free(w);
	for (int ev = 0; ev < EV_COUNT; ev++)
		free(hooks[ev]);
	wopts_free(&opts);
	return rc;
}
