/* cowbench-live.c — vss-cowbench --live: vss-cowd's front end (engine +
 * FUSE + loop device) against a raw loop device over the same backing file,
 * and the flush-and-hold window of snapshots taken through vssd.
 *
 * Everything runs on a private vssd and vss-cowd (state, export dir and
 * sockets in a temporary directory), found next to this program or in
 * PATH.  Throughput: io_uring, O_DIRECT, o.qd requests in flight on the
 * block devices (raw_run of the engine mode); each round measures every
 * case on the raw loop device and next to it on the vss-cowd device (and
 * the cases with no snapshot on a pass-through FUSE baseline with
 * vss-cowd's front end and no engine, cowbench-pass.c), after the raw I/O
 * once unmeasured, in an order that changes every round, each run after a
 * sync of the filesystem, so that disk drift, a first pass and write-back
 * hit all alike; the figures are medians over the rounds, the ratios
 * medians of the per-round ratios.  Hold window: sets of 1 and 3
 * ext4 volumes with a writer dirtying each, o.snaps snapshot sets through
 * vssd each; vssd's freeze guard logs the FIFREEZE time and the window
 * from the last FIFREEZE returning to FITHAW (flush_us=, window_us=), read
 * here from vssd's log.
 *
 * Cleanup (atexit, and on SIGINT/SIGTERM/SIGHUP from a signal thread):
 * vssd first (its guard thaws whatever is frozen), then the writers, the
 * mounts, our own loop device, vss-cowd (which detaches its loop devices
 * and unmounts its export dir), leftovers of either, the directory. */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vss/backup.h>

#include "common/util.h"
#include "cow/cowd/cowd.h"
#include "tools/cowbench.h"

#define MAXVOL		3
#define MAXMNT		8

static struct {
	pthread_mutex_t lock;
	bool done;
	char dir[512];		/* paths in it stay short */
	char sock[600], state[600], export[600];
	char vlog[600], clog[600];
	pid_t vssd, cowd;
	char rawdev[32];
	int rawfd;		/* loop_attach's descriptor, -1 */
	pid_t pass;		/* the pass-through baseline (cowbench-pass.c) */
	char passmnt[600], passdev[32];
	int passfd;		/* its loop device's loop_attach descriptor, -1 */
	char *mnt[MAXMNT];
	unsigned nmnt;
	pthread_t writer[MAXVOL];
	unsigned nwriters;
	_Atomic bool stop;
} L = { .lock = PTHREAD_MUTEX_INITIALIZER, .rawfd = -1, .passfd = -1 };

static char progdir[PATH_MAX - 64];

/* ---- processes ---- */

/* PROG in $VSS_BINDIR, else next to this program (in a libtool build:
 * above .libs), else in PATH. */
static const char *prog(const char *name, char *buf, size_t len)
{
	const char *bindir = getenv("VSS_BINDIR");

	if (bindir && *bindir) {
		snprintf(buf, len, "%.*s/%s", (int)len / 2, bindir, name);
		return buf;
	}
	snprintf(buf, len, "%s/%s", progdir, name);
	if (access(buf, X_OK) == 0)
		return buf;
	snprintf(buf, len, "%s/../%s", progdir, name);
	if (strstr(progdir, "/.libs") && access(buf, X_OK) == 0)
		return buf;
	return name;
}

static pid_t spawn(char *const *argv, const char *log, int outfd)
{
	pid_t pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		sigset_t ss;
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		sigemptyset(&ss);
		sigprocmask(SIG_SETMASK, &ss, NULL);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(outfd >= 0 ? outfd : fd, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop_pid(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 200; i++) {	/* 10 s, then SIGKILL */
		if (waitpid(*pid, NULL, WNOHANG) == *pid)
			goto gone;
		usleep(50000);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
gone:
	*pid = 0;
}

/* Runs vss-cowadm ARGS on our vss-cowd; its first output line in out. */
static int cowadm(char *out, size_t len, ...)
{
	char pbuf[PATH_MAX], *argv[12];
	int pfd[2], n = 0, st;
	ssize_t got = 0;
	va_list ap;
	pid_t pid;

	argv[n++] = (char *)prog("vss-cowadm", pbuf, sizeof(pbuf));
	argv[n++] = "--state-dir";
	argv[n++] = L.state;
	va_start(ap, len);
	while (n < 11 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (pipe(pfd))
		err(1, "pipe");
	pid = spawn(argv, L.clog, pfd[1]);
	close(pfd[1]);
	while (out && (size_t)got < len - 1) {
		ssize_t r = read(pfd[0], out + got, len - 1 - got);

		if (r <= 0)
			break;
		got += r;
	}
	close(pfd[0]);
	if (out) {
		out[got] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

static bool file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void start_daemons(void)
{
	char vb[PATH_MAX], cb[PATH_MAX];
	char *vargv[] = { (char *)prog("vssd", vb, sizeof(vb)), "--foreground",
			  "--socket", L.sock, "--state-dir", L.state, NULL };
	char *cargv[] = { (char *)prog("vss-cowd", cb, sizeof(cb)), "--foreground", "-v",
			  "--state-dir", L.state, "--export-dir", L.export,
			  "--coordinator", L.sock, NULL };
	struct stat st;
	int i;

	L.vssd = spawn(vargv, L.vlog, -1);
	for (i = 0; i < 300 && stat(L.sock, &st); i++)
		usleep(50000);
	if (i == 300)
		errx(1, "vssd did not start (see %s; --keep keeps it)", L.vlog);
	L.cowd = spawn(cargv, L.clog, -1);
	for (i = 0; i < 300 && !file_has(L.clog, "registered with vssd"); i++)
		usleep(50000);
	if (i == 300)
		errx(1, "vss-cowd did not register with vssd (see %s)", L.clog);
}

/* ---- cleanup ---- */

static void umount_one(const char *mnt)
{
	for (int i = 0; i < 20; i++) {
		if (umount2(mnt, 0) == 0 || errno == EINVAL || errno == ENOENT)
			return;
		usleep(100000);
	}
	umount2(mnt, MNT_DETACH);
}

/* Loop devices whose backing file is under dir (a vss-cowd killed hard
 * leaves them until their users go). */
static void detach_loops_under(const char *dir)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	size_t n = strlen(dir);

	while (d && (e = readdir(d))) {
		char p[PATH_MAX], back[PATH_MAX];
		FILE *f;

		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", e->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f) && !strncmp(back, dir, n) &&
		    back[n] == '/') {
			char dev[300];
			int fd;

			snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
			fd = open(dev, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				loop_detach(fd, dev);
			}
		}
		fclose(f);
	}
	if (d)
		closedir(d);
}

/* The pass-through baseline: its loop device, its mount (which ends the
 * child), the child.  L.lock held, or no other thread left. */
static void pass_stop(void)
{
	if (L.passfd >= 0)
		loop_detach(L.passfd, L.passdev);
	L.passfd = -1;
	if (L.passmnt[0] && file_has("/proc/self/mounts", L.passmnt))
		umount_one(L.passmnt);
	stop_pid(&L.pass);
	if (L.passmnt[0])
		rmdir(L.passmnt);
}

static _Atomic bool signalled;
static pthread_t sig_thread;

static void cleanup(void)
{
	/* interrupted: the signal thread cleans up and exits; a failure the
	 * cleanup causes in the main thread must not exit first */
	if (atomic_load(&signalled) && !pthread_equal(pthread_self(), sig_thread))
		for (;;)
			pause();
	pthread_mutex_lock(&L.lock);
	if (L.done || !L.dir[0]) {
		pthread_mutex_unlock(&L.lock);
		return;
	}
	L.done = true;
	atomic_store(&L.stop, true);
	stop_pid(&L.vssd);	/* thaws anything its guard holds frozen */
	for (unsigned i = 0; i < L.nwriters; i++)
		pthread_join(L.writer[i], NULL);
	L.nwriters = 0;
	for (unsigned i = 0; i < L.nmnt; i++) {
		umount_one(L.mnt[i]);
		rmdir(L.mnt[i]);
		free(L.mnt[i]);
	}
	L.nmnt = 0;
	if (L.rawfd >= 0)
		loop_detach(L.rawfd, L.rawdev);
	L.rawfd = -1;
	pass_stop();
	stop_pid(&L.cowd);
	detach_loops_under(L.export);
	if (file_has("/proc/self/mounts", L.export))
		umount2(L.export, MNT_DETACH);
	detach_loops_under(L.dir);
	if (!o.keep) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", L.dir);
		if (system(cmd))
			warnx("could not remove %s", L.dir);
	}
	pthread_mutex_unlock(&L.lock);
}

static void *signal_thread(void *arg)
{
	sigset_t *ss = arg;
	int sig = 0;

	sigwait(ss, &sig);
	atomic_store(&signalled, true);
	warnx("signal %d: cleaning up", sig);
	cleanup();
	_exit(128 + sig);
}

/* ---- snapshots through vssd ---- */

static void check(vss_hr_t hr, const char *what)
{
	if (VSS_FAILED(hr))
		errx(1, "%s: %s", what, vss_last_error());
}

static void wait_async(vss_async_t *a, const char *what)
{
	vss_hr_t st = S_OK;

	check(vss_async_wait(a, -1), what);
	check(vss_async_query_status(a, &st), what);
	if (st != VSS_S_ASYNC_FINISHED)
		errx(1, "%s ended with 0x%08x: %s", what, (unsigned)st, vss_last_error());
	vss_async_free(a);
}

struct snapset {
	vss_backup_t *b;
	vss_id_t set, snap[MAXVOL];
	unsigned n;
};

/* A snapshot set of the n volumes (backup context, no writers). */
static void snap_take(struct snapset *ss, char devs[][32], unsigned n)
{
	vss_async_t *a;

	memset(ss, 0, sizeof(*ss));
	check(vss_backup_new(&ss->b, L.sock), "connect to vssd");
	check(vss_backup_initialize_for_backup(ss->b, NULL), "InitializeForBackup");
	check(vss_backup_set_backup_state(ss->b, false, false, VSS_BT_FULL, false),
	      "SetBackupState");
	check(vss_backup_gather_writer_metadata(ss->b, &a), "GatherWriterMetadata");
	wait_async(a, "GatherWriterMetadata");
	check(vss_backup_start_snapshot_set(ss->b, &ss->set), "StartSnapshotSet");
	for (unsigned i = 0; i < n; i++)
		check(vss_backup_add_to_snapshot_set(ss->b, devs[i], NULL, &ss->snap[i]),
		      "AddToSnapshotSet");
	ss->n = n;
	check(vss_backup_prepare_for_backup(ss->b, &a), "PrepareForBackup");
	wait_async(a, "PrepareForBackup");
	check(vss_backup_do_snapshot_set(ss->b, &a), "DoSnapshotSet");
	wait_async(a, "DoSnapshotSet");
}

/* The snapshot device of volume i of the set, opened O_DIRECT read-only. */
static int snap_open(struct snapset *ss, unsigned i)
{
	vss_snapshot_prop_t p;
	int fd;

	check(vss_backup_get_snapshot_properties(ss->b, &ss->snap[i], &p),
	      "GetSnapshotProperties");
	fd = open(p.snapshot_device_object, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		err(1, "snapshot device %s", p.snapshot_device_object);
	vss_snapshot_prop_clear(&p);
	return fd;
}

static void snap_drop(struct snapset *ss)
{
	long deleted = 0;

	check(vss_backup_delete_snapshots(ss->b, &ss->set, VSS_OBJECT_SNAPSHOT_SET, true,
					  &deleted, NULL), "DeleteSnapshots");
	vss_backup_free(ss->b);
	ss->b = NULL;
}

/* ---- throughput ---- */

enum { F_WSEQ, F_WRAND, F_RSEQ, F_RRAND, F_COW_SEQ, F_REWRITE, F_SNAPREAD,
       F_OREAD, F_COW_RAND, NF };

static const char *const fname[NF] = {
	[F_WSEQ] = "write_nosnap_seq", [F_WRAND] = "write_nosnap_rand4k",
	[F_RSEQ] = "read_nosnap_seq", [F_RRAND] = "read_nosnap_rand4k",
	[F_COW_SEQ] = "cow_first_write_seq", [F_REWRITE] = "rewrite_seq",
	[F_SNAPREAD] = "snap_read_seq", [F_OREAD] = "origin_read_seq",
	[F_COW_RAND] = "cow_first_write_rand4k",
};
/* which raw figure each is a ratio to */
static const int fbase[NF] = {
	[F_WSEQ] = F_WSEQ, [F_WRAND] = F_WRAND, [F_RSEQ] = F_RSEQ,
	[F_RRAND] = F_RRAND, [F_COW_SEQ] = F_WSEQ, [F_REWRITE] = F_WSEQ,
	[F_SNAPREAD] = F_RSEQ, [F_OREAD] = F_RSEQ, [F_COW_RAND] = F_WRAND,
};

/* Before any figure is taken: what is written through the pass-through's
 * device reads back through the raw loop device, and the other way round,
 * at the first and the last 4 KiB block, so that the baseline is known to
 * move the volume's data and not something cheaper. */
static void pass_verify(int rawfd, int passfd)
{
	const uint64_t offs[2] = { 0, o.size - 4096 };
	unsigned char *w, *rd;

	if (posix_memalign((void **)&w, 4096, 4096) || posix_memalign((void **)&rd, 4096, 4096))
		err(1, "memory");
	for (int i = 0; i < 4; i++) {
		int to = i & 1 ? rawfd : passfd, from = i & 1 ? passfd : rawfd;
		uint64_t off = offs[i / 2];

		for (unsigned k = 0; k < 4096; k++)
			w[k] = (unsigned char)(k * 7 + i * 31 + 1);
		memset(rd, 0, 4096);
		if (pwrite(to, w, 4096, (off_t)off) != 4096 ||
		    pread(from, rd, 4096, (off_t)off) != 4096)
			err(1, "pass-through check at %llu", (unsigned long long)off);
		if (memcmp(w, rd, 4096))
			errx(1, "the pass-through baseline does not serve the backing file: "
			     "4 KiB written at %llu through %s read back different through %s",
			     (unsigned long long)off, i & 1 ? "the raw loop device" : "it",
			     i & 1 ? "it" : "the raw loop device");
	}
	free(w);
	free(rd);
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		err(1, "%s", dev);
	return fd;
}

/* The cases the pass-through baseline runs too: those with no snapshot. */
#define NP (F_RRAND + 1)

/* The CPU each case cost, over all rounds: busy microseconds (all CPUs),
 * requests and wall microseconds (raw_run_wall_us), [0] on
 * the raw loop device, [1] on vss-cowd's, [2] on the pass-through's (the
 * first NP cases); busy NAN where the idle time cannot be read.  Every
 * case runs in every round: no count is 0. */
static double cpu_busy[3][NF], cpu_ops[3][NF], cpu_wall[3][NF];

static double run_counted(int side, int f, enum rawkind k, int fd, unsigned n, uint32_t bs,
			  bool sq)
{
	double x = raw_run(k, fd, -1, n, bs, sq);

	cpu_busy[side][f] += raw_run_busy_us;
	cpu_ops[side][f] += n;
	/* the window the busy time was taken over (so the share is at most
	 * 100 %: derived from the MB/s it came out a rounding above it when
	 * every CPU was busy) */
	cpu_wall[side][f] += raw_run_wall_us;
	return x;
}

/* The order of round r's runs of a case: R the raw loop device, L
 * vss-cowd, P the pass-through.  vss-cowd runs before the raw loop device
 * in odd rounds (measured_first), and over six rounds each of the three
 * takes each place twice and each two swap places from one round to the
 * next: a place costs much here (vss-cowd's sequential writes, always
 * second of three, measured 0.75-0.81 of the pass-through's in every
 * round; 0.72-1.10 with the places going round). */
static const char *round_order(unsigned r)
{
	static const char *const even[3] = { "RLP", "RPL", "PRL" };
	static const char *const odd[3] = { "PLR", "LPR", "LRP" };

	return (measured_first(r) ? odd : even)[(r / 2) % 3];
}

/* Case f on the raw loop device and on the vss-cowd device fd, and on the
 * pass-through's passfd unless it is -1, in round r's order, after the raw
 * I/O once unmeasured: the first pass over a region of a virtual disk is
 * much slower than the next, and would otherwise be paid by whichever came
 * first (vss-cowbench(1)). */
static void pair(int f, int rawfd, int fd, int passfd, double *raw, double *live,
		 double *pass, unsigned r)
{
	unsigned seq = (unsigned)(o.seq_bytes / MIB), rnd = o.rand_ops;
	bool sq = fbase[f] == F_WSEQ || fbase[f] == F_RSEQ;
	enum rawkind k = fbase[f] == F_WSEQ || fbase[f] == F_WRAND ? RAW_WRITE : RAW_READ;
	unsigned n = sq ? seq : rnd;
	uint32_t bs = sq ? MIB : 4096;

	warm(k, rawfd, n, bs, sq);
	if (f == F_SNAPREAD)
		warm(k, fd, n, bs, sq);	/* what it reads: the diff area */
	for (const char *c = round_order(r); *c; c++)
		if (*c == 'R')
			raw[f] = run_counted(0, f, k, rawfd, n, bs, sq);
		else if (*c == 'L')
			live[f] = run_counted(1, f, k, fd, n, bs, sq);
		else if (passfd >= 0)
			pass[f] = run_counted(2, f, k, passfd, n, bs, sq);
}

/* Round r: every case next to its raw counterpart (and the pass-through's
 * for the cases with no snapshot), in the round's order (round_order). */
static void live_round(int rawfd, int livefd, int passfd, char livedev[][32],
		       double *raw, double *live, double *pass, unsigned r)
{
	struct snapset ss;
	int sfd;

	for (int f = F_WSEQ; f < NP; f++)
		pair(f, rawfd, livefd, passfd, raw, live, pass, r);
	snap_take(&ss, livedev, 1);
	sfd = snap_open(&ss, 0);
	pair(F_COW_SEQ, rawfd, livefd, -1, raw, live, NULL, r);
	pair(F_REWRITE, rawfd, livefd, -1, raw, live, NULL, r);
	pair(F_SNAPREAD, rawfd, sfd, -1, raw, live, NULL, r);
	pair(F_OREAD, rawfd, livefd, -1, raw, live, NULL, r);
	close(sfd);
	snap_drop(&ss);
	snap_take(&ss, livedev, 1);
	pair(F_COW_RAND, rawfd, livefd, -1, raw, live, NULL, r);
	snap_drop(&ss);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median over the rounds of case f. */
static double median_of_case(double (*v)[NF], int f)
{
	double *t = calloc(o.rounds, sizeof(*t)), m;

	if (!t)
		err(1, "memory");
	for (unsigned r = 0; r < o.rounds; r++)
		t[r] = v[r][f];
	m = median(t, o.rounds);
	free(t);
	return m;
}

/* nearest rank */
static double pct(double *v, unsigned n, unsigned p)
{
	unsigned k = (n * p + 99) / 100;

	qsort(v, n, sizeof(*v), cmp_d);
	return v[k ? k - 1 : 0];
}

/* ---- hold window ---- */

struct writer_arg {
	char path[PATH_MAX];
	uint64_t span;
};

/* Buffered 1 MiB writes going round a file of span bytes: dirty data for
 * every FIFREEZE to flush. */
static void *writer_thread(void *arg)
{
	struct writer_arg *w = arg;
	char *buf = malloc(MIB);
	int fd = open(w->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	uint64_t off = 0;

	if (buf && fd >= 0) {
		memset(buf, 0x3c, MIB);
		while (!atomic_load(&L.stop)) {
			if (pwrite(fd, buf, MIB, (off_t)off) != (ssize_t)MIB)
				break;
			buf[off % MIB]++;
			off = (off + MIB) % w->span;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	free(w);
	return NULL;
}

/* The last line of log path after offset *pos that holds key, from key on,
 * in out; moves *pos to the end. */
static bool log_last(const char *path, long *pos, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	fseek(f, *pos, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, key);

		if (p) {
			snprintf(out, len, "%s", p);
			found = true;
		}
	}
	*pos = ftell(f);
	fclose(f);
	return found;
}

/* The window's parts, in ms (NAN: not logged): the freeze guard's "ready"
 * reaching vssd, vssd until it tells the guard to thaw (the providers'
 * commit inside), that message reaching the guard. */
struct parts {
	double to_vssd, in_vssd, to_guard;
};

/* The figures vssd logged for the last hold window after offset *pos. */
static bool read_hold(long *pos, double *flush_ms, double *window_ms, double *hold_ms,
		      struct parts *pt)
{
	char l[1024];
	long long fl, win, hold, a = -1, b = -1, c = -1;

	if (!log_last(L.vlog, pos, "flush_us=", l, sizeof(l)) ||
	    sscanf(l, "flush_us=%lld window_us=%lld hold_us=%lld to_vssd_us=%lld "
		   "in_vssd_us=%lld to_guard_us=%lld", &fl, &win, &hold, &a, &b, &c) < 3)
		return false;
	*flush_ms = fl / 1e3;
	*window_ms = win / 1e3;
	*hold_ms = hold / 1e3;
	pt->to_vssd = a >= 0 ? a / 1e3 : NAN;
	pt->in_vssd = b >= 0 ? b / 1e3 : NAN;
	pt->to_guard = c >= 0 ? c / 1e3 : NAN;
	return true;
}

/* A "KEY<us>" figure of a log (vss-cowd's commit_us= in its -v log,
 * vssd's commit_rtt_us=), the last after offset *pos, in ms. */
static bool read_us(const char *log, long *pos, const char *key, double *ms)
{
	char l[1024];
	long long us;

	if (!log_last(log, pos, key, l, sizeof(l)) ||
	    sscanf(l + strlen(key), "%lld", &us) != 1)
		return false;
	*ms = us / 1e3;
	return true;
}

struct holdres {
	char key[32];
	unsigned nvol;
	uint64_t size;
	/* p50, p99, max (ms) */
	double flush[3], window[3], hold[3], commit[3], rtt[3];
	/* the set with the longest window: its window, its parts and its
	 * commit round trip (ms) */
	double slow_window, slow_rtt;
	struct parts slow;
};

static void summarize(double *v, unsigned n, double out[3])
{
	out[0] = pct(v, n, 50);
	out[1] = pct(v, n, 99);
	out[2] = v[n - 1];
}

static void hold_config(unsigned nvol, uint64_t size, struct holdres *res)
{
	char devs[MAXVOL][32], name[64], img[700], sz[32];
	double *fl = calloc(o.snaps, sizeof(double)), *win = calloc(o.snaps, sizeof(double));
	double *hd = calloc(o.snaps, sizeof(double)), *cm = calloc(o.snaps, sizeof(double));
	double *rt = calloc(o.snaps, sizeof(double));
	unsigned first_mnt = L.nmnt;
	long pos = 0, cpos = 0, rpos = 0;
	struct parts pt;
	int r;

	if (!fl || !win || !hd || !cm || !rt)
		err(1, "memory");
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	for (unsigned i = 0; i < nvol; i++) {
		char na[80], ba[720], *mnt;
		char mkfs[512];

		/* a name of its own: vss-cowd's export dir may still have the
		 * entry of a removed volume of that name cached (1 s) */
		snprintf(name, sizeof(name), "hold%u-%llu-%u", nvol,
			 (unsigned long long)(size >> 20), i);
		snprintf(img, sizeof(img), "%s/%s.img", L.dir, name);
		snprintf(na, sizeof(na), "--name=%s", name);
		snprintf(ba, sizeof(ba), "--backing=%s", img);
		if (cowadm(devs[i], sizeof(devs[i]), "add", "volume", na, ba,
			   "--size", sz, "--create", "--sparse", (char *)NULL) ||
		    strncmp(devs[i], "/dev/", 5))
			errx(1, "vss-cowadm add volume %s failed (see %s)", name, L.clog);
		snprintf(mkfs, sizeof(mkfs), "mkfs.ext4 -q -F -E "
			 "lazy_itable_init=1,lazy_journal_init=1 %s >/dev/null 2>&1", devs[i]);
		if (system(mkfs))
			errx(1, "mkfs.ext4 %s failed", devs[i]);
		if (asprintf(&mnt, "%s/mnt-%s", L.dir, name) < 0)
			err(1, "memory");
		if (mkdir(mnt, 0755) && errno != EEXIST)
			err(1, "%s", mnt);
		if (mount(devs[i], mnt, "ext4", 0, NULL))
			err(1, "mount %s", devs[i]);
		pthread_mutex_lock(&L.lock);
		L.mnt[L.nmnt++] = mnt;
		pthread_mutex_unlock(&L.lock);
	}
	atomic_store(&L.stop, false);
	for (unsigned i = 0; i < nvol; i++) {
		struct writer_arg *w = calloc(1, sizeof(*w));

		if (!w)
			err(1, "memory");
		snprintf(w->path, sizeof(w->path), "%s/dirty", L.mnt[first_mnt + i]);
		w->span = size / 4 < 1024 * MIB ? size / 4 : 1024 * MIB;
		pthread_mutex_lock(&L.lock);
		r = pthread_create(&L.writer[L.nwriters], NULL, writer_thread, w);
		if (!r)
			L.nwriters++;
		pthread_mutex_unlock(&L.lock);
		if (r)
			errx(1, "pthread_create: %s", strerror(r));
	}
	read_hold(&pos, &fl[0], &win[0], &hd[0], &pt);	/* skip what is there */
	read_us(L.clog, &cpos, "commit_us=", &cm[0]);
	read_us(L.vlog, &rpos, "commit_rtt_us=", &rt[0]);
	for (unsigned k = 0; k < o.snaps; k++) {
		struct snapset ss;

		usleep(o.quick ? 50000 : 200000);	/* let the writers dirty */
		snap_take(&ss, devs, nvol);
		if (!read_hold(&pos, &fl[k], &win[k], &hd[k], &pt))
			errx(1, "vssd logged no hold window (see %s)", L.vlog);
		if (!read_us(L.clog, &cpos, "commit_us=", &cm[k]))
			cm[k] = NAN;	/* a vss-cowd that does not log it */
		if (!read_us(L.vlog, &rpos, "commit_rtt_us=", &rt[k]))
			errx(1, "vssd logged no commit round trip (see %s)", L.vlog);
		if (!k || win[k] > res->slow_window) {
			res->slow_window = win[k];
			res->slow_rtt = rt[k];
			res->slow = pt;
		}
		snap_drop(&ss);
	}
	/* writers and mounts go; the volumes with them */
	pthread_mutex_lock(&L.lock);
	atomic_store(&L.stop, true);
	for (unsigned i = 0; i < L.nwriters; i++)
		pthread_join(L.writer[i], NULL);
	L.nwriters = 0;
	for (unsigned i = first_mnt; i < L.nmnt; i++) {
		umount_one(L.mnt[i]);
		rmdir(L.mnt[i]);
		free(L.mnt[i]);
	}
	L.nmnt = first_mnt;
	pthread_mutex_unlock(&L.lock);
	for (unsigned i = 0; i < nvol; i++) {
		char na[80];

		snprintf(name, sizeof(name), "hold%u-%llu-%u", nvol,
			 (unsigned long long)(size >> 20), i);
		snprintf(na, sizeof(na), "--name=%s", name);
		if (cowadm(NULL, 0, "remove", "volume", na, (char *)NULL))
			errx(1, "vss-cowadm remove volume %s failed", name);
		snprintf(img, sizeof(img), "%s/%s.img", L.dir, name);
		unlink(img);
	}
	res->nvol = nvol;
	res->size = size;
	if (size >= 1024 * MIB)
		snprintf(res->key, sizeof(res->key), "%ux%lluGiB", nvol,
			 (unsigned long long)(size >> 30));
	else
		snprintf(res->key, sizeof(res->key), "%ux%lluMiB", nvol,
			 (unsigned long long)(size >> 20));
	summarize(fl, o.snaps, res->flush);
	summarize(win, o.snaps, res->window);
	summarize(hd, o.snaps, res->hold);
	summarize(cm, o.snaps, res->commit);
	summarize(rt, o.snaps, res->rtt);
	free(rt);
	free(cm);
	free(fl);
	free(win);
	free(hd);
}

/* ---- output ---- */

static json_object *trio(const double v[3])
{
	json_object *x;

	if (isnan(v[0]))
		return NULL;	/* null: not measured */
	x = json_object_new_object();
	json_object_object_add(x, "p50", json_object_new_double(v[0]));
	json_object_object_add(x, "p99", json_object_new_double(v[1]));
	json_object_object_add(x, "max", json_object_new_double(v[2]));
	return x;
}

/* Members prefix + fname[f] + suffix = v[f] of x, for the first n cases. */
static void add_figs(json_object *x, const char *prefix, const char *suffix,
		     const double *v, int n)
{
	for (int f = 0; f < n; f++) {
		char k[96];

		snprintf(k, sizeof(k), "%s%s%s", prefix, fname[f], suffix);
		json_object_object_add(x, k, json_object_new_double(v[f]));
	}
}

/* Member obj of j: the first n cases' figures v[f], named fname[f] +
 * suffix. */
static void json_figs(json_object *j, const char *obj, const char *suffix,
		      const double *v, int n)
{
	json_object *x = json_object_new_object();

	add_figs(x, "", suffix, v, n);
	json_object_object_add(j, obj, x);
}

static json_object *ms_or_null(double v)
{
	return isnan(v) ? NULL : json_object_new_double(v);
}

/* The set with the longest window, in parts (ms). */
static json_object *slowest(const struct holdres *h)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "window_ms", json_object_new_double(h->slow_window));
	json_object_object_add(x, "to_vssd_ms", ms_or_null(h->slow.to_vssd));
	json_object_object_add(x, "in_vssd_ms", ms_or_null(h->slow.in_vssd));
	json_object_object_add(x, "commit_rtt_ms", json_object_new_double(h->slow_rtt));
	json_object_object_add(x, "to_guard_ms", ms_or_null(h->slow.to_guard));
	return x;
}

/* Each of the first n figures' value in every round, as members of x
 * named prefix + fname[f] + suffix. */
static void add_by_round(json_object *x, const double (*v)[NF], const char *prefix,
			 const char *suffix, int n)
{
	for (int f = 0; f < n; f++) {
		json_object *a = json_object_new_array();
		char k[96];

		snprintf(k, sizeof(k), "%s%s%s", prefix, fname[f], suffix);
		for (unsigned r = 0; r < o.rounds; r++)
			json_object_array_add(a, json_object_new_double(v[r][f]));
		json_object_object_add(x, k, a);
	}
}

static json_object *by_round(const double (*v)[NF], const char *suffix, int n)
{
	json_object *x = json_object_new_object();

	add_by_round(x, v, "", suffix, n);
	return x;
}

/* The ratios in every round, and which rounds measured vss-cowd before
 * the raw loop device. */
static json_object *ratios_by_round(const double (*rat)[NF])
{
	json_object *x = by_round(rat, "", NF), *a;

	a = json_object_new_array();
	for (unsigned r = 0; r < o.rounds; r++)
		json_object_array_add(a, json_object_new_boolean(measured_first(r)));
	json_object_object_add(x, "live_first", a);
	a = json_object_new_array();
	for (unsigned r = 0; r < o.rounds; r++) {
		const char *c = round_order(r);
		char s[64] = "";

		for (int i = 0; c[i]; i++)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s", i ? "," : "",
				 c[i] == 'R' ? "raw_loop" : c[i] == 'L' ? "live" : "passthrough");
		json_object_array_add(a, json_object_new_string(s));
	}
	json_object_object_add(x, "order", a);
	return x;
}

static bool cpu_measured(void)
{
	for (int f = 0; f < NF; f++)
		if (isnan(cpu_busy[0][f]) || isnan(cpu_busy[1][f]) ||
		    (f < NP && isnan(cpu_busy[2][f])))
			return false;
	return true;
}

/* CPU microseconds per request and the share of all CPUs busy (%); the
 * pass-through's (side 2) past its NP cases are NAN. */
static void cpu_figures(double per[3][NF], double pct[3][NF])
{
	double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);

	for (int side = 0; side < 3; side++)
		for (int f = 0; f < NF; f++) {
			if (side == 2 && f >= NP) {
				per[side][f] = pct[side][f] = NAN;
				continue;
			}
			per[side][f] = cpu_busy[side][f] / cpu_ops[side][f];
			pct[side][f] = 100 * cpu_busy[side][f] / (ncpu * cpu_wall[side][f]);
		}
}

/* The pass-through baseline's figures for its NP cases: in every round,
 * MB/s, its ratio to the raw loop device, vss-cowd's ratio to it; and
 * their medians. */
struct passres {
	double (*mbps)[NF], (*vs_raw)[NF], (*live_vs)[NF];
	double mbps_m[NF], vs_raw_m[NF], live_vs_m[NF];
};

static void print_json(const double *rawm, const double *livem, const double *ratm,
		       const double (*raw)[NF], const double (*live)[NF],
		       const double (*rat)[NF], const struct passres *p,
		       const struct holdres *h, unsigned nh)
{
	json_object *j = json_object_new_object(), *x, *y;

	x = json_object_new_object();
	json_object_object_add(x, "mode", json_object_new_string("live"));
	json_object_object_add(x, "chunk_size", json_object_new_int64(o.chunk));
	json_object_object_add(x, "origin_size", json_object_new_int64((int64_t)o.size));
	json_object_object_add(x, "qd", json_object_new_int((int)o.qd));
	json_object_object_add(x, "seq_bs", json_object_new_int(MIB));
	json_object_object_add(x, "rand_bs", json_object_new_int(4096));
	json_object_object_add(x, "seq_bytes", json_object_new_int64((int64_t)o.seq_bytes));
	json_object_object_add(x, "rand_ops", json_object_new_int((int)o.rand_ops));
	json_object_object_add(x, "rounds", json_object_new_int((int)o.rounds));
	json_object_object_add(x, "snapshots_per_set", json_object_new_int((int)o.snaps));
	json_object_object_add(j, "config", x);
	json_figs(j, "raw_loop", "_MBps", rawm, NF);
	json_figs(j, "live", "_MBps", livem, NF);
	json_figs(j, "passthrough", "_MBps", p->mbps_m, NP);
	x = json_object_new_object();
	add_figs(x, "", "", ratm, NF);
	add_figs(x, "passthrough_", "", p->vs_raw_m, NP);
	add_figs(x, "", "_vs_passthrough", p->live_vs_m, NP);
	json_object_object_add(j, "ratios", x);
	json_object_object_add(j, "raw_loop_by_round", by_round(raw, "_MBps", NF));
	json_object_object_add(j, "live_by_round", by_round(live, "_MBps", NF));
	json_object_object_add(j, "passthrough_by_round",
			       by_round((const double (*)[NF])p->mbps, "_MBps", NP));
	x = ratios_by_round(rat);
	add_by_round(x, (const double (*)[NF])p->vs_raw, "passthrough_", "", NP);
	add_by_round(x, (const double (*)[NF])p->live_vs, "", "_vs_passthrough", NP);
	json_object_object_add(j, "ratios_by_round", x);
	if (cpu_measured()) {
		double per[3][NF], pct[3][NF];

		cpu_figures(per, pct);
		x = json_object_new_object();
		json_figs(x, "raw_loop", "", per[0], NF);
		json_figs(x, "live", "", per[1], NF);
		json_figs(x, "passthrough", "", per[2], NP);
		json_object_object_add(j, "cpu_us_per_op", x);
		x = json_object_new_object();
		json_figs(x, "raw_loop", "", pct[0], NF);
		json_figs(x, "live", "", pct[1], NF);
		json_figs(x, "passthrough", "", pct[2], NP);
		json_object_object_add(j, "cpu_busy_pct", x);
	}
	x = json_object_new_object();
	y = json_object_new_object();
	for (unsigned i = 0; i < nh; i++) {
		json_object_object_add(x, h[i].key, json_object_new_double(h[i].window[1]));
		json_object_object_add(y, h[i].key, json_object_new_double(h[i].flush[0]));
	}
	json_object_object_add(j, "hold_window_ms", x);
	json_object_object_add(j, "flush_ms", y);
	x = json_object_new_object();
	for (unsigned i = 0; i < nh; i++) {
		y = json_object_new_object();
		json_object_object_add(y, "volumes", json_object_new_int((int)h[i].nvol));
		json_object_object_add(y, "volume_size", json_object_new_int64((int64_t)h[i].size));
		json_object_object_add(y, "flush_ms", trio(h[i].flush));
		json_object_object_add(y, "window_ms", trio(h[i].window));
		json_object_object_add(y, "to_thawed_ms", trio(h[i].hold));
		json_object_object_add(y, "commit_ms", trio(h[i].commit));
		json_object_object_add(y, "commit_rtt_ms", trio(h[i].rtt));
		json_object_object_add(y, "slowest_window", slowest(&h[i]));
		json_object_object_add(x, h[i].key, y);
	}
	json_object_object_add(j, "hold", x);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
	json_object_put(j);
}

static void print_table(const double *rawm, const double *livem, const double *ratm,
			const struct passres *p, const struct holdres *h, unsigned nh)
{
	printf("vss-cowd live volume vs raw loop device (direct I/O) on the same file\n"
	       "origin %llu MiB, chunk %u KiB, io_uring O_DIRECT QD %u, seq 1 MiB x %llu MiB,"
	       " random 4 KiB x %u; median of %u round%s (MB/s)\n",
	       (unsigned long long)(o.size >> 20), o.chunk >> 10, o.qd,
	       (unsigned long long)(o.seq_bytes >> 20), o.rand_ops, o.rounds,
	       o.rounds == 1 ? "" : "s");
	printf("%-24s %10s %10s %8s\n", "case", "raw loop", "vss-cowd", "ratio");
	for (int f = 0; f < NF; f++)
		printf("%-24s %10.1f %10.1f %8.3f\n", fname[f], rawm[f], livem[f], ratm[f]);
	printf("\npass-through FUSE baseline (vss-cowd's front end, no engine) on the same "
	       "file (MB/s)\n%-24s %10s %10s %10s %8s %8s\n", "case", "raw loop",
	       "pass", "vss-cowd", "pass/raw", "cowd/pass");
	for (int f = 0; f < NP; f++)
		printf("%-24s %10.1f %10.1f %10.1f %8.3f %8.3f\n", fname[f], rawm[f],
		       p->mbps_m[f], livem[f], p->vs_raw_m[f], p->live_vs_m[f]);
	if (cpu_measured()) {
		double per[3][NF], pct[3][NF];

		cpu_figures(per, pct);
		printf("\nCPU per request (all CPUs, us, over all rounds) and the share of "
		       "the CPUs busy\n%-24s %10s %10s %10s %8s %8s %8s\n", "case", "raw loop",
		       "vss-cowd", "pass", "raw %", "cowd %", "pass %");
		for (int f = 0; f < NF; f++)
			printf("%-24s %10.1f %10.1f %10.1f %8.1f %8.1f %8.1f\n", fname[f],
			       per[0][f], per[1][f], per[2][f], pct[0][f], pct[1][f], pct[2][f]);
	}
	printf("\nflush and hold, %u snapshot sets each, ext4 with a writer per volume (ms)\n",
	       o.snaps);
	printf("%-10s %8s %8s %8s   %8s %8s %8s   %8s %8s   %8s %8s   %8s\n", "set",
	       "flush50", "flush99", "flushmx", "hold50", "hold99", "holdmx", "commit50",
	       "commit99", "rtt50", "rtt99", "thawed99");
	for (unsigned i = 0; i < nh; i++)
		printf("%-10s %8.2f %8.2f %8.2f   %8.3f %8.3f %8.3f   %8.3f %8.3f   %8.3f %8.3f"
		       "   %8.3f\n",
		       h[i].key, h[i].flush[0], h[i].flush[1], h[i].flush[2], h[i].window[0],
		       h[i].window[1], h[i].window[2], h[i].commit[0], h[i].commit[1],
		       h[i].rtt[0], h[i].rtt[1], h[i].hold[1]);
	printf("slowest window in parts (ms): guard to vssd, in vssd (commit round trip), "
	       "vssd to guard\n");
	for (unsigned i = 0; i < nh; i++)
		printf("%-10s %8.3f = %8.3f + %8.3f (%8.3f) + %8.3f\n", h[i].key,
		       h[i].slow_window, h[i].slow.to_vssd, h[i].slow.in_vssd, h[i].slow_rtt,
		       h[i].slow.to_guard);
	printf("hold = from the last FIFREEZE returning to FITHAW issued; commit = vss-cowd's "
	       "CommitSnapshots inside it;\nrtt = vssd's CommitSnapshots, request out to the "
	       "last reply in (the rest of hold: the\nfreeze guard's and vssd's own wakeups); "
	       "thawed = from the last FIFREEZE returning to the last FITHAW returned\n");
}

int live_main(void)
{
	static const uint64_t sizes[2] = { 1ull << 30, 16ull << 30 };
	static const unsigned nvols[2] = { 1, 3 };
	char exe[PATH_MAX], backing[600], livedev[1][32];
	double (*raw)[NF], (*live)[NF], (*rat)[NF], rawm[NF] = { 0 }, livem[NF], ratm[NF];
	struct passres p = { 0 };
	struct holdres h[4];
	unsigned nh = 0;
	sigset_t ss;
	ssize_t n;
	dev_t rdev;
	int rawfd, livefd, passfd;

	if (geteuid() != 0)
		errx(2, "--live needs root (loop devices, FUSE, mounts)");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		err(1, "/proc/self/exe");
	exe[n] = '\0';
	snprintf(progdir, sizeof(progdir), "%.*s", (int)sizeof(progdir) - 1, dirname(exe));
	if (o.dir && strlen(o.dir) > 400)
		errx(2, "--dir: path too long");
	if (o.dir)
		snprintf(L.dir, sizeof(L.dir), "%s/vss-cowbench.XXXXXX", o.dir);
	else
		snprintf(L.dir, sizeof(L.dir), "/var/tmp/vss-cowbench.XXXXXX");
	if (!mkdtemp(L.dir))
		err(1, "mkdtemp %s", L.dir);
	bench_dir = L.dir;
	snprintf(L.sock, sizeof(L.sock), "%s/vssd.sock", L.dir);
	snprintf(L.state, sizeof(L.state), "%s/state", L.dir);
	snprintf(L.export, sizeof(L.export), "%s/export", L.dir);
	snprintf(L.vlog, sizeof(L.vlog), "%s/vssd.log", L.dir);
	snprintf(L.clog, sizeof(L.clog), "%s/cowd.log", L.dir);
	snprintf(backing, sizeof(backing), "%s/live.img", L.dir);
	snprintf(L.passmnt, sizeof(L.passmnt), "%s/pass", L.dir);
	if (mkdir(L.state, 0700))
		err(1, "%s", L.state);

	/* a background job of a shell starts with SIGINT ignored: an ignored
	 * signal never reaches sigwait */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if (pthread_create(&sig_thread, NULL, signal_thread, &ss))
		errx(1, "pthread_create");
	atexit(cleanup);

	start_daemons();
	fill_file(backing);
	{
		char ba[620];

		snprintf(ba, sizeof(ba), "--backing=%s", backing);
		if (cowadm(livedev[0], sizeof(livedev[0]), "add", "volume", "--name=live", ba,
			   (char *)NULL) || strncmp(livedev[0], "/dev/", 5))
			errx(1, "vss-cowadm add volume failed (see %s)", L.clog);
	}
	if (loop_attach(backing, false, L.rawdev, sizeof(L.rawdev), &rdev, &L.rawfd))
		errx(1, "cannot attach a loop device to %s", backing);
	rawfd = open_dev(L.rawdev);
	livefd = open_dev(livedev[0]);
	/* the pass-through baseline, on the same file */
	if (mkdir(L.passmnt, 0700))
		err(1, "%s", L.passmnt);
	pthread_mutex_lock(&L.lock);
	L.pass = pass_start(L.passmnt, backing);
	pthread_mutex_unlock(&L.lock);
	if (L.pass < 0)
		errx(1, "the pass-through FUSE baseline did not start");
	{
		char pf[620];

		snprintf(pf, sizeof(pf), "%s/volume", L.passmnt);
		pthread_mutex_lock(&L.lock);
		if (loop_attach(pf, false, L.passdev, sizeof(L.passdev), &rdev, &L.passfd))
			L.passfd = -1;
		pthread_mutex_unlock(&L.lock);
		if (L.passfd < 0)
			errx(1, "cannot attach a loop device to %s", pf);
	}
	passfd = open_dev(L.passdev);
	pass_verify(rawfd, passfd);

	raw = calloc(o.rounds, sizeof(*raw));
	live = calloc(o.rounds, sizeof(*live));
	rat = calloc(o.rounds, sizeof(*rat));
	p.mbps = calloc(o.rounds, sizeof(*p.mbps));
	p.vs_raw = calloc(o.rounds, sizeof(*p.vs_raw));
	p.live_vs = calloc(o.rounds, sizeof(*p.live_vs));
	if (!raw || !live || !rat || !p.mbps || !p.vs_raw || !p.live_vs)
		err(1, "memory");
	for (unsigned r = 0; r < o.rounds; r++) {
		if (!o.json)
			fprintf(stderr, "round %u/%u\n", r + 1, o.rounds);
		live_round(rawfd, livefd, passfd, livedev, raw[r], live[r], p.mbps[r], r);
		for (int f = 0; f < NF; f++)
			rat[r][f] = live[r][f] / raw[r][f];
		for (int f = 0; f < NP; f++) {
			p.vs_raw[r][f] = p.mbps[r][f] / raw[r][f];
			p.live_vs[r][f] = live[r][f] / p.mbps[r][f];
		}
	}
	for (int f = 0; f < NF; f++) {
		rawm[f] = median_of_case(raw, f);
		livem[f] = median_of_case(live, f);
		ratm[f] = median_of_case(rat, f);
		if (f < NP) {
			p.mbps_m[f] = median_of_case(p.mbps, f);
			p.vs_raw_m[f] = median_of_case(p.vs_raw, f);
			p.live_vs_m[f] = median_of_case(p.live_vs, f);
		}
	}
	close(rawfd);
	close(livefd);
	close(passfd);
	pthread_mutex_lock(&L.lock);
	loop_detach(L.rawfd, L.rawdev);
	L.rawfd = -1;
	pass_stop();
	pthread_mutex_unlock(&L.lock);
	if (cowadm(NULL, 0, "remove", "volume", "--name=live", (char *)NULL))
		errx(1, "vss-cowadm remove volume live failed");
	unlink(backing);

	for (int si = 0; si < 2; si++)
		for (int vi = 0; vi < 2; vi++) {
			uint64_t size = o.quick ? (64ull << 20) << si : sizes[si];

			if (!o.json)
				fprintf(stderr, "hold window: %u x %llu MiB\n", nvols[vi],
					(unsigned long long)(size >> 20));
			hold_config(nvols[vi], size, &h[nh++]);
		}
	if (o.json)
		print_json(rawm, livem, ratm, (const double (*)[NF])raw,
			   (const double (*)[NF])live, (const double (*)[NF])rat, &p, h, nh);
	else
		print_table(rawm, livem, ratm, &p, h, nh);
	free(raw);
	free(live);
	free(rat);
	free(p.mbps);
	free(p.vs_raw);
	free(p.live_vs);
	cleanup();
	return 0;
}
