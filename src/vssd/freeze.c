/* freeze.c — flush-and-hold through a guard process.
 *
 * FIFREEZE leaves a filesystem frozen until someone calls FITHAW; if the
 * process that froze it dies, nobody does, and the machine hangs on the
 * next write.  So vssd never freezes anything itself: it forks a small
 * guard per snapshot set that
 *   1. freezes every mount point in parallel (one thread each, which also
 *      thaws it in step 3), reports "F <index>" for each one frozen and
 *      "R" (all frozen) or "E <index> <errno>" (one failed: whatever froze
 *      is thawed at once); it gives up, thawing what froze, when vssd says
 *      "T" or goes away, or the flush bound passes, even while a FIFREEZE
 *      has not returned (one that waits on another filesystem of the set,
 *      say an image file on it, returns once that one is thawed, and its
 *      thread then thaws its own);
 *   2. then holds until the first of: vssd says "T" (thaw), vssd's end of
 *      the socket closes (vssd died, even by kill -9: the kernel closes the
 *      socket), or the hold bound passes (10 s, VSS_E_HOLD_WRITES_TIMEOUT);
 *   3. thaws everything it froze, reports
 *      "D <hold-µs> <timed-out> <flush-µs> <window-µs> <t0> <tt>", exits:
 *      hold is from the last FIFREEZE returning until the last FITHAW
 *      returned, flush how long the FIFREEZE calls took (the flush of
 *      dirty data), window from the last FIFREEZE returning (t0) until the
 *      first FITHAW is issued (tt): what the commit costs; monotonic clock.
 * The guard touches no file and allocates nothing while filesystems are
 * frozen, and locks its memory, so it cannot itself block on a frozen
 * filesystem or on reclaim that writes to one; the OOM killer leaves it
 * alone.  Should it die all the same (kill -9), vssd sees the socket's
 * EOF without a "D" and thaws the filesystems the "F" lines named, and a
 * set whose writes were not held until its commit ended fails.
 *
 * Writes are held while two processes wake each other up ("R", the
 * providers' commit, "T"), on a machine where the writers, the data plane
 * and the flush are busy: so the guard runs SCHED_FIFO (lowest real-time
 * priority) and vssd's loop thread does from freeze_start until the guard
 * has reported its thaw, where the kernel allows it (else they go on as
 * they are).  Both mostly sleep; the hold bound caps how long vssd keeps
 * it.
 *
 * freeze_release never waits: it sends "T" and the loop goes on; the
 * guard's "D" (or its EOF, or 5 s of silence) ends the release and calls
 * the caller back, so a thaw that stalls (FITHAW waiting on the
 * filesystem) stalls nobody else. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "vssd/vssd.h"

struct freeze {
	pid_t pid;
	int sock;
	bool ready, failed, reported, thawed, closed;
	bool self_timed_out;	/* the "D" said the guard's bound ended the hold */
	bool all_thawed;	/* "D", "E" or "X": the guard thawed all it froze */
	bool gfrozen[VSS_MAX_VOLUMES_PER_SET];	/* "F <i>": the guard froze it */
	bool rt;		/* vssd's loop thread runs SCHED_FIFO for it */
	int64_t hold_us, flush_us, window_us;
	/* the window's parts (CLOCK_MONOTONIC µs, 0: unknown): the last
	 * FIFREEZE returned and FITHAW issued (the guard's), "R" taken and
	 * "T" sent (vssd's) */
	uint64_t t0_us, tt_us, r_us, t_us;
	struct timer flush_timer;
	void (*done)(void *arg, vss_hr_t hr, const char *msg);
	void *arg;
	/* freeze_release: "T" sent, waiting for the guard's "D" (or EOF, or
	 * RELEASE_WAIT_MS) without blocking the loop; then released() */
	bool releasing, t_sent, done_after_t;
	struct timer release_timer;
	void (*released)(void *arg, int64_t hold_us, bool held);
	void *rel_arg;
	char *mounts[VSS_MAX_VOLUMES_PER_SET];	/* copies: a release outlives the set */
	size_t n;
	char rbuf[256];
	size_t rlen;
};

/* ------------------------------------------------------------ guard */

struct fz {
	const char *path;
	int idx;
	int fd;
	int err;
	bool frozen;
	uint64_t done_us;	/* when FIFREEZE returned */
};

/* Each mount has a thread that freezes it, reports, waits for the word and
 * thaws it: the thaws run in parallel too (each may write a superblock),
 * and nothing is created or allocated while frozen. */
static pthread_mutex_t fz_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fz_cond = PTHREAD_COND_INITIALIZER;
static size_t fz_done, fz_total;	/* mounts done (or failed), all */
static bool fz_thaw, fz_bad;		/* fz_bad: one failed */
static int fz_sock;
static struct freeze *volatile guard_f;	/* see freeze_start */

static void guard_send(int sock, const char *s);

/* fz_lock held: one more mount is done (failed: bad).  The last one, when
 * all froze, tells vssd at once (the window starts when it returned): no
 * other thread's wakeup stands between its FIFREEZE and the "R". */
static void fz_one_done(bool bad)
{
	fz_bad |= bad;
	if (++fz_done == fz_total && !fz_bad)
		guard_send(fz_sock, "R\n");
	pthread_cond_broadcast(&fz_cond);
}

static void thaw_one(struct fz *z)
{
	if (z->frozen) {
		int unused = 0;

		while (ioctl(z->fd, FITHAW, &unused) < 0 && errno == EINTR)
			;
		z->frozen = false;
	}
}

static void *freeze_thread(void *arg)
{
	struct fz *z = arg;
	int unused = 0;	/* the argument is ignored; valgrind wants memory */

	z->fd = open(z->path, O_RDONLY | O_CLOEXEC);
	if (z->fd < 0)
		z->err = errno;
	else if (ioctl(z->fd, FIFREEZE, &unused) < 0)
		z->err = errno;
	else
		z->frozen = true;
	z->done_us = mono_us();
	pthread_mutex_lock(&fz_lock);
	if (z->frozen) {
		char line[24];

		snprintf(line, sizeof(line), "F %d\n", z->idx);
		guard_send(fz_sock, line);
	}
	fz_one_done(z->err != 0);
	while (!fz_thaw)
		pthread_cond_wait(&fz_cond, &fz_lock);
	pthread_mutex_unlock(&fz_lock);
	thaw_one(z);
	return NULL;
}

/* The calling thread to SCHED_FIFO priority 1 (rt) or back to normal;
 * false when the kernel refuses (no CAP_SYS_NICE, a cgroup without
 * real-time time). */
static bool sched_rt(bool rt)
{
	struct sched_param sp = { .sched_priority = rt ? 1 : 0 };

	return pthread_setschedparam(pthread_self(), rt ? SCHED_FIFO : SCHED_OTHER,
				     &sp) == 0;
}

/* vssd: the freezes its loop thread runs SCHED_FIFO for (loop thread). */
static unsigned rt_holders;

static void guard_send(int sock, const char *s)
{
	ssize_t r;

	do
		r = send(sock, s, strlen(s), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
}

/* Tells the threads to thaw, joins them; thaws what a thread could not. */
static void thaw_all(struct fz *z, const pthread_t *th, size_t n)
{
	pthread_mutex_lock(&fz_lock);
	fz_thaw = true;
	pthread_cond_broadcast(&fz_cond);
	pthread_mutex_unlock(&fz_lock);
	for (size_t i = 0; i < n; i++)
		if (th[i])
			pthread_join(th[i], NULL);
	for (size_t i = 0; i < n; i++)
		thaw_one(&z[i]);
}

static __attribute__((noreturn)) void guard_main(int sock, char *const *mounts, size_t n,
						 uint32_t flush_ms, uint32_t hold_ms)
{
	struct fz z[VSS_MAX_VOLUMES_PER_SET];
	pthread_t th[VSS_MAX_VOLUMES_PER_SET];
	char msg[96];
	uint64_t tf, t0, t1, tt;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	bool timed_out = false, give_up = false, told = false;
	int err_index = -1, adj;
	/* $VSSD_TEST_THAW_REPORT_MS (tests only, at most 4000): the thaw is
	 * reported that much later, as after a FITHAW that stalls */
	const char *e = getenv("VSSD_TEST_THAW_REPORT_MS");
	long report_ms = e ? strtol(e, NULL, 10) : 0;

	adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (adj >= 0) {
		(void)!write(adj, "-1000", 5);
		close(adj);
	}
	mlockall(MCL_CURRENT);
	sched_rt(true);		/* its threads inherit it */
	memset(z, 0, sizeof(z));
	fz_total = n;
	fz_sock = sock;
	tf = mono_us();
	for (size_t i = 0; i < n; i++) {
		z[i].path = mounts[i];
		z[i].idx = (int)i;
		z[i].fd = -1;
		if (pthread_create(&th[i], NULL, freeze_thread, &z[i]) != 0) {
			th[i] = 0;
			pthread_mutex_lock(&fz_lock);
			z[i].err = EAGAIN;
			fz_one_done(true);
			pthread_mutex_unlock(&fz_lock);
		}
	}
	/* all done: "R" is sent (by the last freeze thread), or one failed;
	 * or vssd gave up ("T", or it is gone), or the flush bound passed */
	pthread_mutex_lock(&fz_lock);
	while (fz_done < n && !give_up) {
		uint64_t el = (mono_us() - tf) / 1000;

		pthread_mutex_unlock(&fz_lock);
		if (el >= flush_ms) {
			give_up = true;
		} else {
			int r = poll(&pfd, 1, flush_ms - el < 100 ? (int)(flush_ms - el) : 100);
			char c;

			/* "T" (or EOF): it may come from a release that
			 * followed the last thread's "R" at once */
			if (r > 0 && !(recv(sock, &c, 1, 0) < 0 && errno == EINTR))
				give_up = told = true;
		}
		pthread_mutex_lock(&fz_lock);
	}
	give_up &= fz_done < n;
	pthread_mutex_unlock(&fz_lock);
	if (give_up) {
		/* what froze thaws now; a FIFREEZE still under way is thawed
		 * by its thread when it returns: wait for that */
		thaw_all(z, th, n);
		guard_send(sock, "X\n");
		_exit(3);
	}
	if (!n)
		guard_send(sock, "R\n");	/* nothing to freeze */
	for (size_t i = 0; i < n; i++)
		if (z[i].err && err_index < 0)
			err_index = (int)i;
	if (err_index >= 0) {
		thaw_all(z, th, n);
		snprintf(msg, sizeof(msg), "E %d %d\n", err_index, z[err_index].err);
		guard_send(sock, msg);
		_exit(1);
	}
	t0 = tf;
	for (size_t i = 0; i < n; i++)
		if (z[i].done_us > t0)
			t0 = z[i].done_us;
	for (;;) {
		uint64_t el = (mono_us() - t0) / 1000;
		int r;
		char c;

		if (told)
			break;	/* already told: thaw now */
		if (el >= hold_ms) {
			timed_out = true;
			break;
		}
		r = poll(&pfd, 1, (int)(hold_ms - el));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		/* "T", EOF (vssd gone) or an error: thaw now */
		r = (int)recv(sock, &c, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	tt = mono_us();
	thaw_all(z, th, n);
	t1 = mono_us();
	if (report_ms > 0 && report_ms <= 4000)
		nanosleep(&(struct timespec){ report_ms / 1000, (report_ms % 1000) * 1000000L },
			  NULL);
	snprintf(msg, sizeof(msg), "D %llu %d %llu %llu %llu %llu\n",
		 (unsigned long long)(t1 - t0), timed_out,
		 (unsigned long long)(t0 - tf), (unsigned long long)(tt - t0),
		 (unsigned long long)t0, (unsigned long long)tt);
	guard_send(sock, msg);
	_exit(timed_out ? 2 : 0);
}

/* ------------------------------------------------------------ vssd side */

static void report(struct freeze *f, vss_hr_t hr, const char *msg)
{
	if (f->reported)
		return;
	f->reported = true;
	timer_cancel(&f->flush_timer);
	f->done(f->arg, hr, msg);
}

/* The guard's "D <hold> <timed-out> [<flush> <window> [<t0> <tt>]]" line
 * (t0, tt: when the last FIFREEZE returned and FITHAW was issued). */
static bool parse_done(struct freeze *f, const char *line)
{
	unsigned long long us, fl, win, t0, tt;
	int to = 0;

	switch (sscanf(line, "D %llu %d %llu %llu %llu %llu", &us, &to, &fl, &win,
		       &t0, &tt)) {
	case 6:
		f->t0_us = t0;
		f->tt_us = tt;
		/* fall through */
	case 5:
	case 4:
		f->flush_us = (int64_t)fl;
		f->window_us = (int64_t)win;
		/* fall through */
	case 2:
	case 3:
		f->hold_us = (int64_t)us;
		f->self_timed_out = to != 0;
		return true;
	default:
		return false;
	}
}

static void mounts_free(struct freeze *f)
{
	for (size_t i = 0; i < VSS_MAX_VOLUMES_PER_SET; i++) {
		free(f->mounts[i]);
		f->mounts[i] = NULL;
	}
}

/* The guard died (EOF, no "D"): thaw what it said it froze. */
static void thaw_left(struct freeze *f)
{
	for (size_t i = 0; i < f->n; i++) {
		int fd, unused = 0;

		if (!f->gfrozen[i])
			continue;
		f->gfrozen[i] = false;
		fd = open(f->mounts[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && ioctl(fd, FITHAW, &unused) == 0)
			log_warn("the freeze guard died: %s thawed by vssd", f->mounts[i]);
		else
			log_err("the freeze guard died: cannot thaw %s: %m", f->mounts[i]);
		if (fd >= 0)
			close(fd);
	}
}

static void freeze_finish(struct freeze *f);

static void freeze_io(int fd, uint32_t events, void *arg)
{
	struct freeze *f = arg;
	ssize_t n = recv(fd, f->rbuf + f->rlen, sizeof(f->rbuf) - 1 - f->rlen, MSG_DONTWAIT);
	vss_hr_t outcome = 1;	/* 1: nothing to report */
	char *nl;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		loop_del_fd(fd);
		f->closed = true;
		if (f->releasing) {
			freeze_finish(f);	/* thaws what the dead guard left */
			return;
		}
		if (!f->all_thawed)
			thaw_left(f);
		if (!f->ready)
			report(f, vsserr_set("DoSnapshotSet", VSS_E_FLUSH_WRITES_TIMEOUT,
					     "the freeze guard died before freezing"), vss_last_error());
		return;
	}
	f->rlen += n;
	f->rbuf[f->rlen] = '\0';
	while ((nl = strchr(f->rbuf, '\n'))) {
		int idx, err;

		*nl = '\0';
		if (sscanf(f->rbuf, "F %d", &idx) == 1) {
			if (idx >= 0 && (size_t)idx < f->n)
				f->gfrozen[idx] = true;
		} else if (strcmp(f->rbuf, "X") == 0) {
			f->all_thawed = true;	/* it gave up (after "T") */
		} else if (strcmp(f->rbuf, "R") == 0) {
			f->r_us = mono_us();
			f->ready = true;
			outcome = S_OK;
		} else if (sscanf(f->rbuf, "E %d %d", &idx, &err) == 2 && idx >= 0 &&
			   (size_t)idx < f->n) {
			f->failed = true;
			f->all_thawed = true;
			outcome = vsserr_set("DoSnapshotSet", VSS_E_FLUSH_WRITES_TIMEOUT,
					     "cannot freeze %s: %s", f->mounts[idx], strerror(err));
		} else if (parse_done(f, f->rbuf)) {
			/* thawed: told to (after our "T"), or at its own bound */
			f->thawed = true;
			f->all_thawed = true;
			f->done_after_t = f->t_sent;
			if (f->releasing) {
				freeze_finish(f);
				return;
			}
		}
		memmove(f->rbuf, nl + 1, f->rlen - (nl + 1 - f->rbuf) + 1);
		f->rlen -= nl + 1 - f->rbuf;
	}
	/* Last: the callback may release (free) f. */
	if (outcome != 1)
		report(f, outcome, VSS_FAILED(outcome) ? vss_last_error() : NULL);
}

static void flush_timeout(struct timer *t)
{
	struct freeze *f = container_of(t, struct freeze, flush_timer);

	/* The guard thaws whatever froze as soon as its FIFREEZE calls return. */
	guard_send(f->sock, "T");
	report(f, vsserr_set("DoSnapshotSet", VSS_E_FLUSH_WRITES_TIMEOUT, "flushing the filesystems took longer "
			 "than %u ms", cfg.flush_timeout_ms), vss_last_error());
}

int freeze_start(char *const *mounts, size_t n, uint32_t flush_ms, uint32_t hold_ms,
		 void (*done)(void *arg, vss_hr_t hr, const char *msg), void *arg,
		 struct freeze **out)
{
	struct freeze *f;
	struct rlimit rl;
	int sv[2], fd_top = 1024;

	if (n > VSS_MAX_VOLUMES_PER_SET)
		return -E2BIG;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_top = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(f->mounts[i] = strdup(mounts[i]))) {
			mounts_free(f);
			free(f);
			return -ENOMEM;
		}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = errno;

		mounts_free(f);
		free(f);
		return -e;
	}
	f->pid = fork();
	if (f->pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		mounts_free(f);
		free(f);
		return -e;
	}
	if (f->pid == 0) {
		sigset_t ss;

		guard_f = f;	/* vssd's copy stays reachable in the guard */

		/* Only the guard's end stays open: vssd's death must be seen.
		 * Every descriptor vssd may have, up to its limit or 65536
		 * (10 ms of close calls here, before any freeze; close_range
		 * and a /proc/self/fd walk trip valgrind 3.19's checks) */
		close(sv[0]);
		for (int fd = 3; fd < fd_top; fd++)
			if (fd != sv[1])
				close(fd);
		sigemptyset(&ss);
		sigprocmask(SIG_SETMASK, &ss, NULL);
		signal(SIGTERM, SIG_IGN);	/* only EOF, "T" or the bound end it */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		guard_main(sv[1], mounts, n, flush_ms, hold_ms);
	}
	close(sv[1]);
	f->rt = rt_holders || sched_rt(true);
	rt_holders += f->rt;
	f->sock = sv[0];
	f->done = done;
	f->arg = arg;
	f->n = n;
	f->flush_timer.fn = flush_timeout;
	f->flush_us = f->window_us = -1;
	if (loop_add_fd(f->sock, freeze_io, f) < 0) {
		close(f->sock);
		kill(f->pid, SIGKILL);	/* nothing frozen yet can outlive: EOF thaws */
		waitpid(f->pid, NULL, 0);
		if (f->rt && !--rt_holders)
			sched_rt(false);
		mounts_free(f);
		free(f);
		return -ENOMEM;
	}
	timer_arm(&f->flush_timer, flush_ms);
	*out = f;
	return 0;
}

/* The end of a release: the guard said "D" (or died, or said nothing for
 * RELEASE_WAIT_MS, or had already thawed, or never froze).  Thaws what a
 * dead guard left, logs the figures, closes (EOF: a guard still holding
 * thaws now), frees f, then tells the caller. */
static void freeze_finish(struct freeze *f)
{
	int64_t hold = f->thawed ? f->hold_us : -1;
	/* held until the release: our "T" ended the hold (not the guard's
	 * bound, not its death) */
	bool held = f->done_after_t && !f->self_timed_out;
	void (*fn)(void *arg, int64_t hold_us, bool held) = f->released;
	void *arg = f->rel_arg;

	timer_cancel(&f->release_timer);
	if (!f->all_thawed && f->closed)
		thaw_left(f);
	/* µs figures for whoever measures the window (vss-cowbench --live),
	 * and the window in three parts: the guard's "R" reaching vssd, vssd
	 * (the providers' commit included) until it sends "T", and "T"
	 * reaching the guard (-1: not known) */
	if (hold >= 0 && f->flush_us >= 0) {
		bool parts = f->t0_us && f->tt_us && f->r_us >= f->t0_us &&
			     f->t_us >= f->r_us && f->tt_us >= f->t_us;

		log_info("flush-and-hold: flush_us=%lld window_us=%lld hold_us=%lld "
			 "to_vssd_us=%lld in_vssd_us=%lld to_guard_us=%lld "
			 "(FIFREEZE time; last FIFREEZE returned to FITHAW issued; to thawed; "
			 "the window's parts)",
			 (long long)f->flush_us, (long long)f->window_us, (long long)hold,
			 parts ? (long long)(f->r_us - f->t0_us) : -1LL,
			 parts ? (long long)(f->t_us - f->r_us) : -1LL,
			 parts ? (long long)(f->tt_us - f->t_us) : -1LL);
	}
	if (!f->closed)
		loop_del_fd(f->sock);
	close(f->sock);
	/* vssd ignores SIGCHLD (children are reaped by the kernel); a guard
	 * stuck in FIFREEZE must not block the loop. */
	waitpid(f->pid, NULL, WNOHANG);
	if (f->rt && !--rt_holders)
		sched_rt(false);
	mounts_free(f);
	free(f);
	if (fn)
		fn(arg, hold, held);
}

/* Thawing takes milliseconds; a guard silent this long is left to its EOF. */
#define RELEASE_WAIT_MS 5000u

static void release_timeout(struct timer *t)
{
	struct freeze *f = container_of(t, struct freeze, release_timer);

	log_warn("the freeze guard did not report its thaw within %u ms: closing on it",
		 RELEASE_WAIT_MS);
	freeze_finish(f);
}

void freeze_release(struct freeze *f, void (*released)(void *arg, int64_t hold_us, bool held),
		    void *arg)
{
	if (!f) {
		if (released)
			released(arg, -1, false);
		return;
	}
	timer_cancel(&f->flush_timer);
	f->reported = true;	/* the set's done() is not called any more */
	f->releasing = true;
	f->released = released;
	f->rel_arg = arg;
	if (f->thawed || !f->ready || f->closed) {
		freeze_finish(f);
		return;
	}
	f->t_us = mono_us();
	guard_send(f->sock, "T");
	f->t_sent = true;
	f->release_timer.fn = release_timeout;
	timer_arm(&f->release_timer, RELEASE_WAIT_MS);
}
