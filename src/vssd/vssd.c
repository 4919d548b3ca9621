/* vssd — the openvss coordinator daemon.  See vssd(8). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/log.h"
#include "common/notify.h"
#include "vssd/vssd.h"

#define VSS_DEFAULT_CONFIG SYSCONFDIR "/vssd.conf"

struct vssd_config cfg;

int loop_listen(void);
int loop_run(void);
void loop_shutdown(void);

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vssd [options]\n"
		"\n"
		"The openvss coordinator: writers, providers and requesters attach to its\n"
		"socket; it runs the VSS backup sequence between them.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH        listen on PATH (default $VSS_SOCKET or %s)\n"
		"  -d, --state-dir DIR      keep the snapshot catalog in DIR (default %s)\n"
		"  -g, --group NAME         members of NAME may act as requester or provider\n"
		"                           (default vss; root always may)\n"
		"  -c, --config FILE        read settings from FILE (default %s)\n"
		"  -t, --timeout WHAT=MS    set a deadline: an event name (Identify,\n"
		"                           PrepareForBackup, PrepareForSnapshot, Thaw,\n"
		"                           PostSnapshot, Abort, BackupComplete, BackupShutdown,\n"
		"                           PreRestore, PostRestore), provider, hold or flush\n"
		"  -f, --foreground         do not detach; log to stderr\n"
		"  -p, --pidfile FILE       write the daemon's pid to FILE\n"
		"  -v, --verbose            log debug messages (also VSS_DEBUG=1)\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n",
		VSS_DEFAULT_SOCKET, VSS_DEFAULT_STATE_DIR, VSS_DEFAULT_CONFIG);
}

static int set_timeout(const char *arg);

/* The strings read from the configuration file, owned here for the life of
 * the process: an option may point cfg elsewhere, a key may come twice. */
static char *conf_socket, *conf_state_dir, *conf_group;

/* /etc/vssd.conf: "key = value" lines, # comments.  Keys: socket,
 * state-dir, group, timeout (WHAT=MS, as --timeout; may repeat).  Command
 * line options given after the file is read win.  Strings are kept for the
 * life of the process. */
static int read_config(const char *path, bool must_exist)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int n = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "vssd: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;

		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "vssd: %s:%d: line too long\n", path, n);
			fclose(f);
			return -1;
		}
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '#' || *k == '\n' || *k == '\0')
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "vssd: %s:%d: expected key = value\n", path, n);
			fclose(f);
			return -1;
		}
		for (e = v; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = v + strlen(v); e > v && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (strcmp(k, "socket") == 0 && *v) {
			free(conf_socket);
			cfg.socket_path = conf_socket = strdup(v);
		} else if (strcmp(k, "state-dir") == 0 && *v) {
			free(conf_state_dir);
			cfg.state_dir = conf_state_dir = strdup(v);
		} else if (strcmp(k, "group") == 0) {
			free(conf_group);
			conf_group = *v ? strdup(v) : NULL;
			cfg.group = conf_group;
		} else if (strcmp(k, "timeout") == 0 && set_timeout(v) == 0) {
			continue;
		} else {
			fprintf(stderr, "vssd: %s:%d: unknown key or bad value '%s = %s'\n",
				path, n, k, v);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int set_timeout(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long ms;
	size_t n;

	if (!eq)
		return -1;
	n = (size_t)(eq - arg);
	errno = 0;
	ms = strtoul(eq + 1, &end, 10);
	if (*end || errno || ms == 0 || ms > 86400000ul)
		return -1;
	if (n == 8 && strncasecmp(arg, "provider", n) == 0) {
		cfg.provider_timeout_ms = ms;
		return 0;
	}
	if (n == 4 && strncasecmp(arg, "hold", n) == 0) {
		cfg.hold_timeout_ms = ms;
		return 0;
	}
	if (n == 5 && strncasecmp(arg, "flush", n) == 0) {
		cfg.flush_timeout_ms = ms;
		return 0;
	}
	for (int ev = 1; ev < EV_COUNT; ev++) {
		const char *name = proto_event_name(ev);

		if (ev != EV_FREEZE && strlen(name) == n && strncasecmp(arg, name, n) == 0) {
			cfg.event_timeout_ms[ev] = ms;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "group", required_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *pidfile = NULL;
	int c, r;

	cfg.socket_path = NULL;
	cfg.state_dir = VSS_DEFAULT_STATE_DIR;
	cfg.group = "vss";
	/* per-event deadlines (vss-protocol §4.2, port defaults) */
	cfg.event_timeout_ms[EV_IDENTIFY] = 30000;
	cfg.event_timeout_ms[EV_PREPARE_BACKUP] = 600000;
	cfg.event_timeout_ms[EV_PREPARE_SNAPSHOT] = 600000;
	cfg.event_timeout_ms[EV_POST_SNAPSHOT] = 600000;
	cfg.event_timeout_ms[EV_BACKUP_COMPLETE] = 600000;
	cfg.event_timeout_ms[EV_ABORT] = 60000;
	cfg.event_timeout_ms[EV_THAW] = 60000;
	cfg.event_timeout_ms[EV_BACKUP_SHUTDOWN] = 60000;
	cfg.event_timeout_ms[EV_PRE_RESTORE] = 1800000;
	cfg.event_timeout_ms[EV_POST_RESTORE] = 1800000;
	cfg.provider_timeout_ms = 60000;
	cfg.hold_timeout_ms = VSS_HOLD_WRITES_TIMEOUT_MS;
	cfg.flush_timeout_ms = VSS_HOLD_WRITES_TIMEOUT_MS;

	/* The configuration file first, so that options override it. */
	{
		const char *conf = VSS_DEFAULT_CONFIG;
		bool given = false;

		for (int i = 1; i < argc; i++) {
			if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
			    i + 1 < argc) {
				conf = argv[i + 1];
				given = true;
			} else if (strncmp(argv[i], "--config=", 9) == 0) {
				conf = argv[i] + 9;
				given = true;
			}
		}
		if (read_config(conf, given) < 0)
			return 1;
	}
	while ((c = getopt_long(argc, argv, "c:s:d:g:t:fp:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': break;	/* read above */
		case 's': cfg.socket_path = optarg; break;
		case 'd': cfg.state_dir = optarg; break;
		case 'g': cfg.group = *optarg ? optarg : NULL; break;
		case 't':
			if (set_timeout(optarg) < 0) {
				fprintf(stderr, "vssd: bad --timeout '%s' (WHAT=MILLISECONDS)\n", optarg);
				return 1;
			}
			break;
		case 'f': cfg.foreground = true; break;
		case 'p': pidfile = optarg; break;
		case 'v': cfg.verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vssd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vssd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	cfg.socket_path = proto_socket_path(cfg.socket_path);
	log_init("vssd", cfg.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, cfg.verbose);
	signal(SIGCHLD, SIG_IGN);	/* freeze guards are reaped by the kernel */
	r = catalog_load();
	if (r < 0) {
		log_err("cannot load the catalog from %s: %s", cfg.state_dir, strerror(-r));
		return 1;
	}
	r = loop_listen();
	if (r < 0)
		return 1;
	if (!cfg.foreground && daemon(0, 0) < 0) {
		log_err("cannot detach: %m");
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "we");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
			log_err("cannot write %s: %m", pidfile);
			return 1;
		}
	}
	log_info("vssd %s listening on %s, state in %s", PACKAGE_VERSION, cfg.socket_path,
		 cfg.state_dir);
	notify_systemd("READY=1");
	r = loop_run();
	loop_shutdown();
	if (pidfile)
		unlink(pidfile);
	log_info("vssd stopped");
	return r < 0 ? 1 : 0;
}
