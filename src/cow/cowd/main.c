/* vss-cowd — the openvss copy-on-write provider daemon.  See vss-cowd(8).
 *
 * The main thread runs one poll loop: signals (signalfd), a stop accepted
 * on the control socket (an eventfd), the overflow queue's eventfd, and a
 * 500 ms tick that registers with vssd again whenever the connection is
 * lost.  FUSE requests run on the front end's worker threads, provider
 * calls on libvss's, control requests on the control socket's (ctl.c). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "common/notify.h"
#include "common/proto.h"
#include "cow/cowd/cowd.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

_Atomic bool stop_requested;
struct cowd_cfg cfg = {
	.state_dir = LOCALSTATEDIR "/lib/vss/cowd",
	.export_dir = RUNSTATEDIR "/vss/cowd",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vss-cowd [options]\n"
		"The openvss copy-on-write provider: serves volumes through FUSE and loop\n"
		"devices and snapshots them for vssd.\n"
		"\n"
		"Options:\n"
		"  -s, --state-dir DIR      volume and snapshot records, control socket\n"
		"                           (default " LOCALSTATEDIR "/lib/vss/cowd)\n"
		"  -e, --export-dir DIR     where the FUSE filesystem is mounted\n"
		"                           (default " RUNSTATEDIR "/vss/cowd)\n"
		"  -c, --coordinator SOCKET vssd's socket (default $VSS_SOCKET, else\n"
		"                           " RUNSTATEDIR "/vss/vssd.sock)\n"
		"  -f, --foreground         stay in the foreground, log to stderr\n"
		"  -v, --verbose            debug logging\n"
		"  -h, --help               show this help and exit\n"
		"  -V, --version            show the version and exit\n");
}

static void best_effort_setup(void)
{
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0)
		log_warn("PR_SET_IO_FLUSHER: %s (memory reclaim may wait on our own "
			 "devices)", strerror(errno));
	else
		log_debug("PR_SET_IO_FLUSHER set");
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %s (pages of the daemon may be swapped)", strerror(errno));
	else
		log_debug("memory locked (mlockall)");
}

/* A path given relative is made absolute (the daemon may chdir /). */
static const char *absolute(const char *p)
{
	char cwd[PATH_MAX], *s;

	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)) || asprintf(&s, "%s/%s", cwd, p) < 0)
		return p;
	return s;
}

static bool try_register(vss_provider_t *p, bool *warned)
{
	if (VSS_SUCCEEDED(vss_provider_register(p, &cowd_provider_id, COWD_PROVIDER_NAME,
						VSS_PROV_SYSTEM, PACKAGE_VERSION, NULL))) {
		log_info("registered with vssd as provider \"%s\"", COWD_PROVIDER_NAME);
		*warned = false;
		return true;
	}
	if (!*warned)
		log_warn("cannot register with vssd (retrying): %s", vss_last_error());
	*warned = true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "export-dir", required_argument, NULL, 'e' },
		{ "coordinator", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	vss_provider_t *prov = NULL;
	bool registered = false, warned = false;
	struct pollfd pfd[3];
	sigset_t sigs;
	int c, sfd, lfd, r, rc = 0;
	long pause_ms;

	while ((c = getopt_long(argc, argv, "s:e:c:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.state_dir = absolute(optarg);
			break;
		case 'e':
			cfg.export_dir = absolute(optarg);
			break;
		case 'c':
			cfg.coordinator = absolute(optarg);
			break;
		case 'f':
			cfg.foreground = true;
			break;
		case 'v':
			cfg.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vss-cowd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (getenv("VSS_DEBUG"))
		cfg.verbose++;
	log_init("vss-cowd", cfg.foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, cfg.verbose);
	if (geteuid() != 0) {
		log_err("vss-cowd needs root (FUSE mounts and loop devices)");
		return 1;
	}
	r = reg_init();
	if (r) {
		log_err("%s: %s", cfg.state_dir, strerror(-r));
		return 1;
	}
	if (!cfg.foreground && daemon(0, 0) < 0) {
		log_err("daemon: %s", strerror(errno));
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* inherited by every thread */
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	best_effort_setup();

	r = fuse_start();
	if (r) {
		log_err("%s: cannot mount the export filesystem: %s", cfg.export_dir,
			strerror(-r));
		return 1;
	}
	if (path_on_served_volume(cfg.state_dir)) {
		log_err("%s: the state dir may not be on a volume vss-cowd serves",
			cfg.state_dir);
		fuse_stop();
		return 1;
	}
	vol_load_all();
	lfd = ctl_listen();
	if (lfd < 0) {
		log_err("%s: cannot listen: %s", cfg.state_dir, strerror(-lfd));
		rc = 1;
		goto out;
	}
	r = ctl_start(lfd);
	if (r < 0) {
		log_err("%s: cannot serve the control socket: %s", cfg.state_dir, strerror(-r));
		rc = 1;
		goto out;
	}
	if (vss_provider_new(&cowd_provider_ops, NULL, &prov) ||
	    vss_provider_set_socket(prov, cfg.coordinator)) {
		log_err("provider: %s", vss_last_error());
		rc = 1;
		goto out;
	}
	/* CommitSnapshots runs inside the hold window, where vssd's own
	 * thread is real-time: a provider thread waiting behind the rest of
	 * a busy machine would stretch the window (vss-cowd(8), PRIORITY) */
	if (VSS_FAILED(vss_provider_set_realtime(prov, true)))
		log_warn("%s: CommitSnapshots will run at normal priority", vss_last_error());
	else
		log_debug("CommitSnapshots will run at real-time priority (SCHED_FIFO 1)");
	registered = try_register(prov, &warned);
	log_info("ready: state %s, export %s", cfg.state_dir, cfg.export_dir);
	notify_systemd("READY=1");

	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = ctl_stop_fd(), .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = overflow_fd(), .events = POLLIN };
	for (;;) {
		if (poll(pfd, 3, 500) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGPIPE && si.ssi_signo != SIGHUP) {
				char busy[1024];

				/* a signal cannot be refused an answer: it stops,
				 * detaching lazily what is in use (vss-cowadm stop
				 * refuses instead) */
				log_info("signal %u: stopping", si.ssi_signo);
				stop_requested = true;	/* control requests change nothing now */
				stop_check(true, busy, sizeof(busy));
				break;
			}
		}
		if (stop_requested)
			break;
		if (pfd[2].revents)
			overflow_drain(registered ? prov : NULL);
		if (registered && vss_provider_wait(prov, 0) == VSS_E_PROVIDER_NOT_REGISTERED) {
			log_warn("lost the connection to vssd: registering again");
			registered = false;
		}
		if (!registered)
			registered = try_register(prov, &warned);
	}
out:
	/* no provider call nor control request may run while the volumes
	 * close */
	vss_provider_free(prov);
	/* $VSS_COWD_TEST_STOP_DELAY_MS (tests only, at most 5000): the
	 * control socket is still served this long after a stop, so that a
	 * test can show what it answers then */
	if (stop_requested && (pause_ms = test_ms("VSS_COWD_TEST_STOP_DELAY_MS")) > 0) {
		log_info("stopping: test pause of %ld ms", pause_ms);
		sleep_ms(pause_ms);
	}
	ctl_stop();
	if (lfd >= 0) {
		char path[PATH_MAX];

		close(lfd);
		snprintf(path, sizeof(path), "%s/cowd.sock", cfg.state_dir);
		unlink(path);
	}
	mgmt_stop();
	vol_close_all();
	fuse_stop();
	log_info("stopped");
	return rc;
}
