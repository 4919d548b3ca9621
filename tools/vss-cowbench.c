/* vss-cowbench — the copy-on-write engine against raw io_uring, on the
 * same files, in one run.
 *
 * Raw: one io_uring with QD requests in flight, O_DIRECT, on the origin
 * file.  Ideal COW: the same writes done as linked io_uring chains
 * read-old-chunk -> write-to-diff -> write-new, QD chains in flight, no
 * metadata, no flushes, the copies going to a diff file prepared as the
 * engine's (sparse, same size).  Engine: one thread with QD requests in
 * flight on its asynchronous context (cow_aio_*), as raw; first writes
 * after a snapshot, whose preserve is synchronous, from QD threads each
 * calling the engine synchronously (as FUSE workers do), each with its
 * own ring inside the engine: QD requests in flight, as raw, at the same
 * block sizes.  Every round measures each engine figure back to back with the
 * raw figure it is divided by (the order flipping every round), after the
 * same I/O once unmeasured (a virtual disk's first pass over a region is
 * slow) and with the filesystem synced before each (no write-back of an
 * earlier case running below it); the ratios are taken within each round
 * and reported as median, min and max over the rounds, so that the disk's
 * drift cancels out. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <math.h>
#include <unistd.h>

#include "common/util.h"
#include "cow/engine/cow.h"
#include "tools/cowbench.h"

#define MAXROUNDS 99

struct opts o = {
	.size = 1ull << 30,
	.chunk = COW_CHUNK_DEFAULT,
	.qd = 16,
	.seq_bytes = 256ull << 20,
	.rand_ops = 8192,
	.rounds = 8,	/* each order 4 times */
	.snaps = 100,	/* a p99 that is not just the maximum */
};

static char *origin_path, *diff_path, *dir_made;
uint64_t *rand_offs;

static void usage(FILE *f, int status)
{
	fprintf(f,
"Usage: vss-cowbench [options]\n"
"       vss-cowbench --live [options]\n"
"Measure the copy-on-write engine against raw io_uring on the same files;\n"
"with --live (root), vss-cowd's volumes against a raw loop device and a\n"
"pass-through FUSE baseline on the same backing file, and the\n"
"flush-and-hold window of vssd.\n"
"\n"
"Options:\n"
"  -d, --dir DIR        where to put the files (default: a new directory\n"
"                       under /var/tmp; O_DIRECT needs a real filesystem)\n"
"  -s, --size MIB       origin size in MiB (default 1024)\n"
"  -c, --chunk KIB      engine chunk size in KiB (default %u)\n"
"  -q, --qd N           raw queue depth = engine worker threads (default 16)\n"
"  -b, --seq-mib MIB    data moved by each sequential case (default 256)\n"
"  -n, --rand-ops N     requests in each random 4 KiB case (default 8192)\n"
"  -r, --rounds N       measure everything N times; report the median, min\n"
"                       and max of the per-round ratios (default 8)\n"
"  -j, --json           print one JSON object instead of a table\n"
"  -k, --keep           keep the files\n"
"  -L, --live           measure vss-cowd (FUSE + loop) against a raw loop\n"
"                       device and a pass-through FUSE baseline, and the\n"
"                       hold window, through a private vssd and vss-cowd\n"
"                       (root)\n"
"  -Q, --quick          with --live: tiny sizes, one round, 2 snapshots per\n"
"                       set unless -S says otherwise (a smoke test)\n"
"  -S, --snapshots N    with --live: snapshots per hold-window set (default 100)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n",
		COW_CHUNK_DEFAULT >> 10);
	exit(status);
}

/* ---- raw io_uring ---- */
#define IDEAL_BASE (16ull * MIB)	/* past where the engine's metadata is */


/* Before each measurement: make what earlier ones
 * wrote durable, so that none starts with the write-back of another's data
 * still running below it (on a virtual disk the host's page cache can
 * hold hundreds of MiB, flushed by the next guest flush: that landed on
 * whichever case came next, raw or engine). */
const char *bench_dir;

static void settle(void)
{
	int fd;

	if (!bench_dir || (fd = open(bench_dir, O_RDONLY | O_DIRECTORY)) < 0)
		return;
	if (syncfs(fd))
		warn("syncfs %s", bench_dir);
	close(fd);
}

double raw_run_busy_us = NAN;
double raw_run_wall_us;

/* cpuidle's residencies are exact (microseconds, counted when a CPU
 * leaves an idle state); /proc/stat counts ticks (10 ms here). */
static double cpuidle_sum_us(void)
{
	char path[128];
	double sum = 0;
	bool any = false;

	for (unsigned c = 0; c < 4096; c++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", c);
		if (access(path, F_OK))
			break;
		for (unsigned st = 0; st < 64; st++) {
			unsigned long long t;
			FILE *f;

			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/time", c, st);
			f = fopen(path, "re");
			if (!f)
				break;
			if (fscanf(f, "%llu", &t) == 1) {
				sum += (double)t;
				any = true;
			}
			fclose(f);
		}
	}
	return any ? sum : NAN;
}

/* Idle time of every online CPU since boot, summed, in microseconds:
 * cpuidle's residencies where the kernel has them, else the idle and
 * iowait ticks of /proc/stat; NAN when neither can be read. */
static double cpu_idle_us(void)
{
	unsigned long long us, ni, sy, id, io;
	double x = cpuidle_sum_us();
	FILE *f;
	long hz;

	if (!isnan(x))
		return x;
	f = fopen("/proc/stat", "re");
	hz = sysconf(_SC_CLK_TCK);
	if (!f)
		return NAN;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &us, &ni, &sy, &id, &io) != 5 || hz <= 0)
		x = NAN;
	else
		x = (double)(id + io) * 1e6 / (double)hz;
	fclose(f);
	return x;
}

/* Run nops requests of bs bytes at offs(i), QD in flight.  RAW_COW does
 * each as a linked chain: read the chunk(s) under the write into a
 * buffer, write them to the diff file, write the new data;
 * RAW_COW_DURABLE makes the copy durable (fdatasync of the diff file) in
 * the chain before the new data is written: the order a crash-safe
 * copy-on-write must keep, with a flush per write instead of the
 * engine's group commit, and no metadata. */
double raw_run(enum rawkind kind, int ofd, int dfd, unsigned nops,
		      uint32_t bs, bool seq)
{
	struct io_uring ring;
	bool cow = kind == RAW_COW || kind == RAW_COW_DURABLE;
	uint32_t span = cow ? (bs > o.chunk ? bs : o.chunk) : 0;
	char *bufs, *old;
	unsigned sub = 0, done = 0, inflight = 0;
	uint64_t t0;
	double idle0, busy;
	int fds[2] = { ofd, dfd };

	if (io_uring_queue_init(4 * o.qd, &ring, 0))
		errx(1, "io_uring_queue_init failed");
	if (io_uring_register_files(&ring, fds, dfd >= 0 ? 2 : 1))
		errx(1, "io_uring_register_files failed");
	if (posix_memalign((void **)&bufs, 4096, (size_t)o.qd * bs) ||
	    posix_memalign((void **)&old, 4096,
			   (size_t)o.qd * (span ? span : 4096)))
		err(1, "memory");
	memset(bufs, 0x5a, (size_t)o.qd * bs);
	settle();
	idle0 = cpu_idle_us();
	t0 = mono_us();
	while (done < nops) {
		while (sub < nops && inflight < o.qd) {
			unsigned slot = sub % o.qd;
			uint64_t off = seq ? (uint64_t)sub * bs : rand_offs[sub];
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (kind == RAW_READ_CHUNKS)
				off -= off % bs;

			if (cow) {
				uint64_t base = off - off % span;
				char *ob = old + (size_t)slot * span;

				io_uring_prep_read(sqe, 0, ob, span, base);
				sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
				sqe->user_data = UINT64_MAX;
				sqe = io_uring_get_sqe(&ring);
				io_uring_prep_write(sqe, 1, ob, span,
						    IDEAL_BASE +
						    (uint64_t)sub * span);
				sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
				sqe->user_data = UINT64_MAX;
				sqe = io_uring_get_sqe(&ring);
			}
			if (kind == RAW_COW_DURABLE) {
				io_uring_prep_fsync(sqe, 1, IORING_FSYNC_DATASYNC);
				sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
				sqe->user_data = UINT64_MAX;
				sqe = io_uring_get_sqe(&ring);
			}
			if (kind == RAW_READ || kind == RAW_READ_CHUNKS)
				io_uring_prep_read(sqe, 0, bufs + (size_t)slot * bs,
						   bs, off);
			else
				io_uring_prep_write(sqe, 0,
						    bufs + (size_t)slot * bs, bs,
						    off);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = sub;
			sub++;
			inflight++;
		}
		io_uring_submit_and_wait(&ring, 1);
		for (;;) {
			struct io_uring_cqe *cqe;

			if (io_uring_peek_cqe(&ring, &cqe))
				break;
			if (cqe->res < 0)
				errx(1, "raw I/O: %s", strerror(-cqe->res));
			if (cqe->user_data != UINT64_MAX) {
				done++;
				inflight--;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	t0 = mono_us() - t0;
	busy = (double)sysconf(_SC_NPROCESSORS_ONLN) * (double)t0 - (cpu_idle_us() - idle0);
	raw_run_busy_us = busy < 0 ? 0 : busy;	/* NAN stays NAN */
	raw_run_wall_us = (double)t0;
	io_uring_queue_exit(&ring);
	free(bufs);
	free(old);
	return (double)nops * bs / (t0 ? t0 : 1);	/* MB/s (10^6) */
}

/* ---- the engine, from qd threads; and ENG_PWRITE: the same calling
 * model without the engine, each thread writing with pwrite (O_DIRECT)
 * one request at a time ---- */
enum engkind { ENG_WRITE, ENG_READ, ENG_SNAPREAD, ENG_PWRITE };

struct engrun {
	struct cow_volume *v;
	int fd;			/* ENG_PWRITE */
	enum engkind kind;
	uint64_t snap;
	unsigned nops;
	uint32_t bs;
	bool seq;
	_Atomic unsigned next;
	_Atomic int err;
};

static void *eng_thread(void *arg)
{
	struct engrun *e = arg;
	char *buf;
	unsigned i;

	if (posix_memalign((void **)&buf, 4096, e->bs))
		return NULL;
	memset(buf, 0xa5, e->bs);
	while ((i = atomic_fetch_add(&e->next, 1)) < e->nops) {
		uint64_t off = e->seq ? (uint64_t)i * e->bs : rand_offs[i];
		int r;

		if (e->kind == ENG_WRITE)
			r = cow_write(e->v, buf, e->bs, off);
		else if (e->kind == ENG_READ)
			r = cow_read(e->v, buf, e->bs, off);
		else if (e->kind == ENG_PWRITE) {
			ssize_t w = pwrite(e->fd, buf, e->bs, (off_t)off);

			r = w == (ssize_t)e->bs ? 0 : w < 0 ? -errno : -EIO;
		}
		else
			r = cow_snapshot_read(e->v, e->snap, buf, e->bs, off);
		if (r)
			atomic_store(&e->err, r);
	}
	free(buf);
	return NULL;
}

static double threads_run(struct engrun *e)
{
	pthread_t *th = calloc(o.qd, sizeof(*th));
	uint64_t t0;

	if (!th)
		err(1, "memory");
	settle();
	t0 = mono_us();
	for (unsigned i = 0; i < o.qd; i++)
		pthread_create(&th[i], NULL, eng_thread, e);
	for (unsigned i = 0; i < o.qd; i++)
		pthread_join(th[i], NULL);
	t0 = mono_us() - t0;
	free(th);
	if (e->err)
		errx(1, "%s: %s", e->kind == ENG_PWRITE ? "pwrite" : "engine I/O",
		     strerror(-e->err));
	return (double)e->nops * e->bs / (t0 ? t0 : 1);
}

static double eng_run(struct cow_volume *v, enum engkind kind, uint64_t snap,
		      unsigned nops, uint32_t bs, bool seq)
{
	struct engrun e = { .v = v, .kind = kind, .snap = snap, .nops = nops,
			    .bs = bs, .seq = seq };

	return threads_run(&e);
}

/* The engine from one thread with o.qd requests in flight on its context
 * (cow_aio_*), as raw keeps o.qd in flight on one ring. */
static double aio_run(struct cow_volume *v, enum engkind kind, uint64_t snap,
		      unsigned nops, uint32_t bs, bool seq)
{
	struct cow_aio *a;
	struct cow_aio_done *done = calloc(o.qd, sizeof(*done));
	char *bufs;
	unsigned *freeb = calloc(o.qd, sizeof(*freeb)), nfree = o.qd;
	unsigned next = 0, finished = 0;
	uint64_t t0;
	int r;

	if (!done || !freeb || posix_memalign((void **)&bufs, 4096,
					      (size_t)o.qd * bs))
		err(1, "memory");
	memset(bufs, 0xa5, (size_t)o.qd * bs);
	for (unsigned i = 0; i < o.qd; i++)
		freeb[i] = i;
	r = cow_aio_new(v, o.qd, &a);
	if (r)
		errx(1, "cow_aio_new: %s", strerror(-r));
	settle();
	t0 = mono_us();
	while (finished < nops) {
		while (next < nops && nfree) {
			unsigned b = freeb[--nfree];
			uint64_t off = seq ? (uint64_t)next * bs : rand_offs[next];
			char *buf = bufs + (size_t)b * bs;
			void *user = (void *)(uintptr_t)b;

			if (kind == ENG_WRITE)
				r = cow_aio_write(a, buf, bs, off, user);
			else if (kind == ENG_READ)
				r = cow_aio_read(a, buf, bs, off, user);
			else
				r = cow_aio_snapshot_read(a, snap, buf, bs, off,
							  user);
			if (r)
				errx(1, "engine I/O: %s", strerror(-r));
			next++;
		}
		r = cow_aio_reap(a, 1, done, o.qd);
		if (r < 0)
			errx(1, "engine I/O: %s", strerror(-r));
		for (int i = 0; i < r; i++) {
			if (done[i].res)
				errx(1, "engine I/O: %s",
				     strerror(-done[i].res));
			freeb[nfree++] = (unsigned)(uintptr_t)done[i].user;
			finished++;
		}
	}
	t0 = mono_us() - t0;
	cow_aio_free(a);
	free(bufs);
	free(freeb);
	free(done);
	return (double)nops * bs / (t0 ? t0 : 1);
}

static double sync_threads_run(int fd, unsigned nops, uint32_t bs, bool seq)
{
	struct engrun e = { .fd = fd, .kind = ENG_PWRITE, .nops = nops,
			    .bs = bs, .seq = seq };

	return threads_run(&e);
}

/* ---- files ---- */
static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void fresh_diff(void)
{
	int fd = open(diff_path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, 0))
		err(1, "%s", diff_path);
	close(fd);
}

static uint64_t diff_max(void)
{
	return o.size + o.size / 8 + 64 * MIB;
}

/* A new volume over the origin; prealloc: bytes of its diff file's slots
 * allocated at creation, as much as the ideal ceiling gets for the same
 * writes, and COW_PREP_AHEAD past them, as far as the engine's preparation
 * thread keeps ahead of use: a diff area as it is once in use, where that
 * thread has nothing left to do while the clock runs (on a new one it
 * writes 128 MiB of zeros at once, under whatever is being measured, and
 * then ahead of the copies: one-time work of a new diff area, which the
 * ideal, whose region is allocated before the clock, never pays either).
 * The engine counts its metadata in; the ideal's copies start past
 * IDEAL_BASE. */
static struct cow_volume *fresh_volume(unsigned nsnaps, uint64_t *snap,
				       uint64_t prealloc)
{
	struct cow_params p = { .chunk_size = o.chunk,
				.diff_max = diff_max(),
				.diff_prealloc = IDEAL_BASE + prealloc +
						 COW_PREP_AHEAD };
	struct cow_volume *v;
	int r;

	fresh_diff();
	r = cow_volume_create(origin_path, diff_path, &p);
	if (!r)
		r = cow_volume_open(origin_path, diff_path, 0, &v);
	if (r)
		errx(1, "volume: %s", strerror(-r));
	for (unsigned i = 0; i < nsnaps; i++)
		if ((r = cow_snapshot_create(v, NULL, snap)))
			errx(1, "snapshot: %s", strerror(-r));
	return v;
}

void fill_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0600);
	char *b;

	if (fd < 0)
		err(1, "%s", path);
	if (posix_memalign((void **)&b, 4096, 4 * MIB))
		err(1, "memory");
	for (size_t i = 0; i < 4 * MIB; i++)
		b[i] = (char)(i * 131 + 7);
	for (uint64_t off = 0; off < o.size; off += 4 * MIB)
		if (pwrite(fd, b, 4 * MIB, off) != 4 * MIB)
			err(1, "filling %s", path);
	fsync(fd);
	close(fd);
	free(b);
}

static int open_direct(const char *path)
{
	int fd = open(path, O_RDWR | O_DIRECT);

	if (fd < 0)
		err(1, "%s (O_DIRECT)", path);
	return fd;
}

static double median21(double *t)
{
	qsort(t, 21, sizeof(*t), dbl_cmp);
	return t[10];
}

/* Median times (of 21), on a sparse origin of gib GiB: snapshot creation,
 * snapshot deletion, and a bare durable 32 KiB write (RWF_DSYNC, what
 * creation must do once) on the same diff file, the floor creation is
 * measured against. */
struct meta_times {
	double create_us, delete_us, durable_us;
};

static struct meta_times meta_times(uint64_t gib)
{
	char *op, *dp, *b;
	/* the diff area made as vss-cowd makes one: its first 128 MiB
	 * allocated at creation (else the engine's thread allocates it right
	 * after the open, and the durable writes measured here wait behind
	 * its flushes) */
	struct cow_params p = { .chunk_size = o.chunk, .origin_size = gib << 30,
				.diff_max = 256 * MIB,
				.diff_prealloc = 128 * MIB };
	struct cow_volume *v;
	struct meta_times m;
	uint64_t id[21];
	double t[21];
	int r, fd;

	if (asprintf(&op, "%s/sparse-%llu", o.dir, (unsigned long long)gib) < 0 ||
	    asprintf(&dp, "%s/sparse-%llu.diff", o.dir,
		     (unsigned long long)gib) < 0)
		err(1, "memory");
	r = cow_volume_create(op, dp, &p);
	if (!r)
		r = cow_volume_open(op, dp, 0, &v);
	if (r)
		errx(1, "sparse volume: %s", strerror(-r));
	for (int i = 0; i < 21; i++) {
		uint64_t t0 = mono_us();

		if ((r = cow_snapshot_create(v, NULL, &id[i])))
			errx(1, "snapshot: %s", strerror(-r));
		t[i] = (double)(mono_us() - t0);
	}
	m.create_us = median21(t);
	for (int i = 0; i < 21; i++) {
		uint64_t t0 = mono_us();

		if ((r = cow_snapshot_delete(v, id[i])))
			errx(1, "snapshot delete: %s", strerror(-r));
		t[i] = (double)(mono_us() - t0);
	}
	m.delete_us = median21(t);
	cow_volume_close(v);
	fd = open_direct(dp);
	if (posix_memalign((void **)&b, 4096, 32768))
		err(1, "memory");
	memset(b, 0, 32768);
	for (int i = 0; i < 21; i++) {
		struct iovec iov = { b, 32768 };
		uint64_t t0 = mono_us();

		if (pwritev2(fd, &iov, 1, 0, RWF_DSYNC) != 32768)
			err(1, "%s", dp);
		t[i] = (double)(mono_us() - t0);
	}
	m.durable_us = median21(t);
	free(b);
	close(fd);
	unlink(op);
	unlink(dp);
	free(op);
	free(dp);
	return m;
}

static void cleanup(void)
{
	if (!o.keep) {
		if (origin_path)
			unlink(origin_path);
		if (diff_path)
			unlink(diff_path);
		if (dir_made)
			rmdir(dir_made);
	}
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "qd", required_argument, NULL, 'q' },
		{ "seq-mib", required_argument, NULL, 'b' },
		{ "rand-ops", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "live", no_argument, NULL, 'L' },
		{ "quick", no_argument, NULL, 'Q' },
		{ "snapshots", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool snaps_given = false;
	int c;

	while ((c = getopt_long(argc, argv, "d:s:c:q:b:n:r:jkLQS:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 's': o.size = strtoull(optarg, NULL, 0) << 20; break;
		case 'c': o.chunk = (uint32_t)strtoul(optarg, NULL, 0) << 10; break;
		case 'q': o.qd = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o.seq_bytes = strtoull(optarg, NULL, 0) << 20; break;
		case 'n': o.rand_ops = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'r': o.rounds = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'L': o.live = true; break;
		case 'Q': o.quick = true; break;
		case 'S':
			o.snaps = (unsigned)strtoul(optarg, NULL, 0);
			snaps_given = true;
			break;
		case 'j': o.json = true; break;
		case 'k': o.keep = true; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("vss-cowbench %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr, 2);
		}
	}
	if (optind < argc)
		usage(stderr, 2);
	if (o.quick && !o.live)
		errx(2, "--quick goes with --live");
	if (o.quick) {
		o.size = 64 * MIB;
		o.seq_bytes = 16 * MIB;
		o.rand_ops = 256;
		o.rounds = 1;
		if (!snaps_given)
			o.snaps = 2;
	}
	if (!o.snaps || o.snaps > 10000)
		errx(2, "bad option value (see --help)");
	if (!o.qd || o.qd > 256 || !o.rounds || o.rounds > MAXROUNDS ||
	    o.chunk < COW_CHUNK_MIN || o.chunk > COW_CHUNK_MAX ||
	    (o.chunk & (o.chunk - 1)) ||
	    o.size < 64 * MIB || o.size % MIB)
		errx(2, "bad option value (see --help)");
	if (o.seq_bytes > o.size / 2)
		o.seq_bytes = o.size / 2;
	if (o.rand_ops > o.size / o.chunk / 2)
		o.rand_ops = (unsigned)(o.size / o.chunk / 2);
}

/* ---- figures: one value per round, reported as median, min and max ---- */
enum { R_WSEQ, R_WRAND, R_RSEQ, R_ICOWSEQ, R_ICOWRAND, R_DCOWRAND, R_DCOWSEQ,
       R_TWRAND, R_GCOWRAND, R_RSEQ_SNAP, NRAW };
enum { E_WSEQ, E_WRAND, E_RSEQ, E_COWSEQ, E_REWRITE, E_SNAPREAD, E_COWRAND,
       E_COW64, E_TWRAND, NENG };

static const char *const raw_name[NRAW] = {
	"write_seq_MBps", "write_rand4k_MBps", "read_seq_MBps",
	"ideal_cow_seq_MBps", "ideal_cow_rand4k_MBps",
	"ideal_durable_cow_rand4k_MBps", "ideal_durable_cow_seq_MBps",
	"sync_threads_write_rand4k_MBps", "ideal_group_cow_rand4k_MBps",
	"read_seq_beside_snap_read_MBps",
};
static const char *const eng_name[NENG] = {
	"write_nosnap_seq_MBps", "write_nosnap_rand4k_MBps",
	"origin_read_seq_MBps", "cow_first_write_seq_MBps",
	"rewrite_seq_MBps", "snap_read_seq_MBps",
	"cow_first_write_rand4k_MBps", "cow_first_write_seq_64snaps_MBps",
	"sync_write_nosnap_rand4k_MBps",
};
static double rawv[NRAW][MAXROUNDS], engv[NENG][MAXROUNDS];
/* random first writes: copies per commit of the group-commit ideal and
 * preserves per commit of the engine */
static double group_pc[MAXROUNDS], eng_pc[MAXROUNDS];

/* A ratio: engine figure num over raw figure den (or engine figure den
 * when eng_den), taken within each round. */
struct ratio {
	const char *name;
	bool num_raw, eng_den;
	int num, den;
};

static const struct ratio ratios[] = {
	{ "write_nosnap_seq", false, false, E_WSEQ, R_WSEQ },
	{ "write_nosnap_rand4k", false, false, E_WRAND, R_WRAND },
	{ "sync_write_nosnap_rand4k", false, false, E_TWRAND, R_WRAND },
	{ "sync_write_nosnap_rand4k_vs_sync_threads", false, false, E_TWRAND,
	  R_TWRAND },
	{ "sync_threads_write_rand4k", true, false, R_TWRAND, R_WRAND },
	{ "origin_read_seq", false, false, E_RSEQ, R_RSEQ },
	{ "cow_first_write_seq", false, false, E_COWSEQ, R_WSEQ },
	{ "cow_first_write_seq_vs_ideal", false, false, E_COWSEQ, R_ICOWSEQ },
	{ "cow_first_write_seq_vs_durable_ideal", false, false, E_COWSEQ,
	  R_DCOWSEQ },
	{ "rewrite_seq", false, false, E_REWRITE, R_WSEQ },
	{ "snap_read_seq", false, false, E_SNAPREAD, R_RSEQ_SNAP },
	{ "snap_read_seq_vs_round_read", false, false, E_SNAPREAD, R_RSEQ },
	{ "cow_first_write_rand4k", false, false, E_COWRAND, R_WRAND },
	{ "cow_first_write_rand4k_vs_ideal", false, false, E_COWRAND,
	  R_ICOWRAND },
	{ "cow_first_write_rand4k_vs_durable_ideal", false, false, E_COWRAND,
	  R_DCOWRAND },
	{ "cow_first_write_rand4k_vs_group_ideal", false, false, E_COWRAND,
	  R_GCOWRAND },
	{ "cow_first_write_seq_64snaps_vs_1", false, true, E_COW64, E_COWSEQ },
	{ "ideal_cow_seq", true, false, R_ICOWSEQ, R_WSEQ },
	{ "ideal_cow_rand4k", true, false, R_ICOWRAND, R_WRAND },
	{ "ideal_durable_cow_rand4k", true, false, R_DCOWRAND, R_WRAND },
	{ "ideal_durable_cow_seq", true, false, R_DCOWSEQ, R_WSEQ },
	{ "ideal_group_cow_rand4k", true, false, R_GCOWRAND, R_WRAND },
};
#define NRAT (sizeof(ratios) / sizeof(ratios[0]))

struct stat3 {
	double med, min, max;
};

static struct stat3 stat_of(const double *v, unsigned n)
{
	double s[MAXROUNDS];
	struct stat3 r;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), dbl_cmp);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static double ratio_in(const struct ratio *q, unsigned i)
{
	double num = q->num_raw ? rawv[q->num][i] : engv[q->num][i];
	double den = q->eng_den ? engv[q->den][i] : rawv[q->den][i];

	return num / (den > 0 ? den : 1);
}

static struct stat3 ratio_stat(const struct ratio *q)
{
	double x[MAXROUNDS];

	for (unsigned i = 0; i < o.rounds; i++)
		x[i] = ratio_in(q, i);
	return stat_of(x, o.rounds);
}

/* Every ratio's value in each round, and the order of each round (true:
 * the engine's figures were measured before the raw ones they are divided
 * by), for whoever wants to look past the median. */
static json_object *ratio_rounds(void)
{
	json_object *x = json_object_new_object(), *a;

	for (unsigned i = 0; i < NRAT; i++) {
		a = json_object_new_array();
		for (unsigned r = 0; r < o.rounds; r++)
			json_object_array_add(a, json_object_new_double(
						 ratio_in(&ratios[i], r)));
		json_object_object_add(x, ratios[i].name, a);
	}
	a = json_object_new_array();
	for (unsigned r = 0; r < o.rounds; r++)
		json_object_array_add(a, json_object_new_boolean(measured_first(r)));
	json_object_object_add(x, "engine_first", a);
	return x;
}

/* The ideal ceiling writes its copies into a diff file of the engine's
 * size, past where its metadata would be, allocated before the clock
 * starts (zeros written and made durable) where its copies will go: the
 * engine prepares its diff file so (ahead of use, by its preparation
 * thread, while the clock runs), and the ideal has none of that cost. */
static int ideal_diff(uint64_t bytes)
{
	char *z;
	int fd;

	fresh_diff();
	fd = open_direct(diff_path);
	if (ftruncate(fd, (off_t)diff_max()))
		err(1, "%s", diff_path);
	if (posix_memalign((void **)&z, 4096, 4 * MIB))
		err(1, "memory");
	memset(z, 0, 4 * MIB);
	for (uint64_t off = 0; off < bytes; off += 4 * MIB)
		if (pwrite(fd, z, 4 * MIB, (off_t)(IDEAL_BASE + off)) != 4 * MIB)
			err(1, "%s", diff_path);
	/* the group-commit ideal's log blocks, allocated as the engine's
	 * log region is at creation */
	if (pwrite(fd, z, MIB, (off_t)MIB) != MIB)
		err(1, "%s", diff_path);
	if (fdatasync(fd))
		err(1, "%s", diff_path);
	free(z);
	return fd;
}

static double ideal_run(enum rawkind kind, int ofd, unsigned nops, uint32_t bs,
			bool seq)
{
	uint64_t span = bs > o.chunk ? bs : o.chunk;
	int dfd = ideal_diff((uint64_t)nops * span);
	double x = raw_run(kind, ofd, dfd, nops, bs, seq);

	close(dfd);
	return x;
}

/* The durable ceiling of this design: random first writes done as raw
 * io_uring chains that keep rule 1 of the engine the way it does, with
 * one group commit in flight at a time: copies (read old -> write to the
 * diff file) complete; a 4 KiB log write linked to an fdatasync covers
 * every copy completed before it was issued; then their new data is
 * written.  No metadata but the log write, no locks, one thread.  The
 * engine's ratio to it is what its own code costs; its ratio to the plain
 * ideal also holds the flushes that durability needs (on a disk with a
 * volatile write cache and no FUA, as here, every commit is a flush).
 * *per_commit: the copies each commit covered, on average. */
static double group_run(int ofd, int dfd, unsigned nops, uint32_t bs,
			double *per_commit)
{
	struct io_uring ring;
	uint32_t span = bs > o.chunk ? bs : o.chunk;
	char *bufs, *old, *logb;
	unsigned *copied, *group, *freeq, ncopied = 0, ngroup = 0;
	unsigned sub = 0, done = 0, nfree = o.qd, commits = 0;
	uint64_t *where, t0;
	bool committing = false;
	int fds[2] = { ofd, dfd };
	struct io_uring_sqe *sqe;
	enum { U_COPY = 1, U_COMMIT, U_WRITE };

	copied = calloc(o.qd, sizeof(*copied));
	group = calloc(o.qd, sizeof(*group));
	freeq = calloc(o.qd, sizeof(*freeq));
	where = calloc(o.qd, sizeof(*where));
	if (!copied || !group || !freeq || !where ||
	    posix_memalign((void **)&bufs, 4096, (size_t)o.qd * bs) ||
	    posix_memalign((void **)&old, 4096, (size_t)o.qd * span) ||
	    posix_memalign((void **)&logb, 4096, 4096))
		err(1, "memory");
	if (io_uring_queue_init(4 * o.qd, &ring, 0))
		errx(1, "io_uring_queue_init failed");
	if (io_uring_register_files(&ring, fds, 2))
		errx(1, "io_uring_register_files failed");
	memset(bufs, 0x5a, (size_t)o.qd * bs);
	memset(logb, 0, 4096);
	for (unsigned i = 0; i < o.qd; i++)
		freeq[i] = i;
	settle();
	t0 = mono_us();
	while (done < nops) {
		while (sub < nops && nfree) {
			unsigned slot = freeq[--nfree];
			uint64_t off = rand_offs[sub];
			char *ob = old + (size_t)slot * span;

			where[slot] = off;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, 0, ob, span, off - off % span);
			sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
			sqe->user_data = UINT64_MAX;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, 1, ob, span,
					    IDEAL_BASE + (uint64_t)sub * span);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = (uint64_t)U_COPY << 32 | slot;
			sub++;
		}
		if (!committing && ncopied) {
			memcpy(group, copied, ncopied * sizeof(*group));
			ngroup = ncopied;
			ncopied = 0;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, 1, logb, 4096,
					    MIB + (uint64_t)(commits % 256) * 4096);
			sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
			sqe->user_data = UINT64_MAX;
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_fsync(sqe, 1, IORING_FSYNC_DATASYNC);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = (uint64_t)U_COMMIT << 32;
			committing = true;
			commits++;
		}
		io_uring_submit_and_wait(&ring, 1);
		for (;;) {
			struct io_uring_cqe *cqe;
			uint64_t u;

			if (io_uring_peek_cqe(&ring, &cqe))
				break;
			if (cqe->res < 0)
				errx(1, "raw I/O: %s", strerror(-cqe->res));
			u = cqe->user_data;
			io_uring_cqe_seen(&ring, cqe);
			if (u == UINT64_MAX)
				continue;
			switch (u >> 32) {
			case U_COPY:
				copied[ncopied++] = (unsigned)u;
				break;
			case U_COMMIT:
				for (unsigned i = 0; i < ngroup; i++) {
					unsigned slot = group[i];

					sqe = io_uring_get_sqe(&ring);
					io_uring_prep_write(sqe, 0,
						bufs + (size_t)slot * bs, bs,
						where[slot]);
					sqe->flags |= IOSQE_FIXED_FILE;
					sqe->user_data =
						(uint64_t)U_WRITE << 32 | slot;
				}
				committing = false;
				break;
			default:
				freeq[nfree++] = (unsigned)u;
				done++;
			}
		}
	}
	t0 = mono_us() - t0;
	io_uring_queue_exit(&ring);
	*per_commit = commits ? (double)nops / commits : 0;
	free(bufs);
	free(old);
	free(logb);
	free(copied);
	free(group);
	free(freeq);
	free(where);
	return (double)nops * bs / (t0 ? t0 : 1);
}

/* Before a pair: the same I/O on the origin once, unmeasured.  On this
 * kind of virtual disk the first pass over a region after a while is much
 * slower than the next (fio, random 4 KiB writes over the same offsets
 * twice: 125 then 203, 151 then 204, 116 then 203 MiB/s), so whichever of
 * the pair came first paid for both; now neither comes first.  Copy-on-
 * write pairs read the chunks they will copy. */
void warm(enum rawkind kind, int ofd, unsigned nops, uint32_t bs, bool seq)
{
	raw_run(kind, ofd, -1, nops, bs, seq);
}

/* Run a then b, or b then a: the pairs whose ratio is taken run back to
 * back, in an order that flips every round, so that disk drift and any
 * advantage of going first or second cancel out in the median. */
#define PAIR(flip, a, b) do {		\
	if (flip) { b; a; } else { a; b; }	\
} while (0)

/* One round: every engine figure next to the raw figure it is divided
 * by, on the same files, at the same block size and queue depth. */
static void measure_round(unsigned r, unsigned seq_ops)
{
	bool flip = measured_first(r);
	struct cow_volume *v;
	struct cow_stats st;
	uint64_t snap = 0;
	int ofd = open_direct(origin_path), dfd;

	v = fresh_volume(0, NULL, 0);
	warm(RAW_WRITE, ofd, seq_ops, MIB, true);
	PAIR(flip,
	     rawv[R_WSEQ][r] = raw_run(RAW_WRITE, ofd, -1, seq_ops, MIB, true),
	     engv[E_WSEQ][r] = aio_run(v, ENG_WRITE, 0, seq_ops, MIB, true));
	warm(RAW_WRITE, ofd, o.rand_ops, 4096, false);
	PAIR(flip, {
		rawv[R_WRAND][r] = raw_run(RAW_WRITE, ofd, -1, o.rand_ops,
					   4096, false);
		rawv[R_TWRAND][r] = sync_threads_run(ofd, o.rand_ops, 4096,
						     false);
	     }, {
		engv[E_WRAND][r] = aio_run(v, ENG_WRITE, 0, o.rand_ops, 4096,
					   false);
		engv[E_TWRAND][r] = eng_run(v, ENG_WRITE, 0, o.rand_ops, 4096,
					    false);
	     });
	warm(RAW_READ, ofd, seq_ops, MIB, true);
	PAIR(flip,
	     rawv[R_RSEQ][r] = raw_run(RAW_READ, ofd, -1, seq_ops, MIB, true),
	     engv[E_RSEQ][r] = aio_run(v, ENG_READ, 0, seq_ops, MIB, true));
	cow_volume_close(v);

	/* first writes after a snapshot: ideal, 1 snapshot, 64 snapshots */
	warm(RAW_READ, ofd, seq_ops, MIB, true);
	PAIR(flip, {
		rawv[R_ICOWSEQ][r] = ideal_run(RAW_COW, ofd, seq_ops, MIB,
					       true);
		rawv[R_DCOWSEQ][r] = ideal_run(RAW_COW_DURABLE, ofd, seq_ops,
					       MIB, true);
	     },
	     PAIR(flip, {
			v = fresh_volume(1, &snap, (uint64_t)seq_ops * MIB);
			engv[E_COWSEQ][r] = eng_run(v, ENG_WRITE, 0, seq_ops,
						    MIB, true);
			engv[E_REWRITE][r] = aio_run(v, ENG_WRITE, 0, seq_ops,
						     MIB, true);
			/* beside its own raw read, as --live pairs
			 * every case: the round's raw read (R_RSEQ) is
			 * minutes away, and the disk drifts */
			PAIR(flip,
			     rawv[R_RSEQ_SNAP][r] = raw_run(RAW_READ, ofd, -1,
							    seq_ops, MIB, true),
			     engv[E_SNAPREAD][r] = aio_run(v, ENG_SNAPREAD,
							   snap, seq_ops, MIB,
							   true));
			cow_volume_close(v);
		  }, {
			v = fresh_volume(64, &snap, (uint64_t)seq_ops * MIB);
			engv[E_COW64][r] = eng_run(v, ENG_WRITE, 0, seq_ops,
						   MIB, true);
			cow_volume_close(v);
		  }));
	warm(RAW_READ_CHUNKS, ofd, o.rand_ops, o.chunk, false);
	PAIR(flip, {
		rawv[R_ICOWRAND][r] = ideal_run(RAW_COW, ofd, o.rand_ops, 4096,
						false);
		rawv[R_DCOWRAND][r] = ideal_run(RAW_COW_DURABLE, ofd,
						o.rand_ops, 4096, false);
		dfd = ideal_diff((uint64_t)o.rand_ops * o.chunk);
		rawv[R_GCOWRAND][r] = group_run(ofd, dfd, o.rand_ops, 4096,
						&group_pc[r]);
		close(dfd);
	     }, {
		v = fresh_volume(1, &snap, (uint64_t)o.rand_ops * o.chunk);
		engv[E_COWRAND][r] = eng_run(v, ENG_WRITE, 0, o.rand_ops,
					     4096, false);
		if (!cow_stats(v, &st) && st.commits)
			eng_pc[r] = (double)st.preserves / st.commits;
		cow_volume_close(v);
	     });
	close(ofd);
	fresh_diff();
}

static double loadavg1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static json_object *json_stat(struct stat3 s)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "median", json_object_new_double(s.med));
	json_object_object_add(x, "min", json_object_new_double(s.min));
	json_object_object_add(x, "max", json_object_new_double(s.max));
	return x;
}

/* Members holding medians (name -> median), and the same with min/max. */
static void json_fig(json_object *j, const char *obj, const char *objr,
		     const char *name, struct stat3 s)
{
	json_object *a, *b;

	if (!json_object_object_get_ex(j, obj, &a)) {
		a = json_object_new_object();
		json_object_object_add(j, obj, a);
	}
	if (!json_object_object_get_ex(j, objr, &b)) {
		b = json_object_new_object();
		json_object_object_add(j, objr, b);
	}
	json_object_object_add(a, name, json_object_new_double(s.med));
	json_object_object_add(b, name, json_stat(s));
}

/* Random 4 KiB offsets, each in a chunk of its own, in a fixed order. */
static void make_rand_offs(void)
{
	uint64_t rng = 88172645463325252ull;
	unsigned nchunks = (unsigned)(o.size / o.chunk);

	rand_offs = calloc(nchunks, sizeof(*rand_offs));
	if (!rand_offs)
		err(1, "memory");
	for (unsigned i = 0; i < nchunks; i++)
		rand_offs[i] = i;
	for (unsigned i = nchunks - 1; i > 0; i--) {
		unsigned j;
		uint64_t t;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		j = (unsigned)(rng % (i + 1));
		t = rand_offs[i];
		rand_offs[i] = rand_offs[j];
		rand_offs[j] = t;
	}
	for (unsigned i = 0; i < nchunks; i++)
		rand_offs[i] = rand_offs[i] * o.chunk +
			       ((i * 2654435761u) % (o.chunk / 4096)) * 4096;
}

int main(int argc, char **argv)
{
	unsigned seq_ops;
	struct meta_times m1, m64;
	double load0, load1;
	static char tmpl[] = "/var/tmp/vss-cowbench.XXXXXX";	/* atexit */

	parse(argc, argv);
	if (o.live) {
		make_rand_offs();
		return live_main();
	}
	if (!o.dir) {
		if (!mkdtemp(tmpl))
			err(1, "mkdtemp");
		o.dir = dir_made = tmpl;
	}
	bench_dir = o.dir;
	if (asprintf(&origin_path, "%s/origin", o.dir) < 0 ||
	    asprintf(&diff_path, "%s/diff", o.dir) < 0)
		err(1, "memory");
	atexit(cleanup);
	load0 = loadavg1();
	fill_file(origin_path);
	fresh_diff();
	seq_ops = (unsigned)(o.seq_bytes / MIB);
	make_rand_offs();

	for (unsigned round = 0; round < o.rounds; round++)
		measure_round(round, seq_ops);
	m1 = meta_times(1);
	m64 = meta_times(64);
	load1 = loadavg1();

	if (o.json) {
		json_object *j = json_object_new_object(), *x;

		x = json_object_new_object();
		json_object_object_add(x, "chunk_size",
				       json_object_new_int64(o.chunk));
		json_object_object_add(x, "origin_size",
				       json_object_new_int64((int64_t)o.size));
		json_object_object_add(x, "qd", json_object_new_int(o.qd));
		json_object_object_add(x, "seq_bs", json_object_new_int(MIB));
		json_object_object_add(x, "rand_bs", json_object_new_int(4096));
		json_object_object_add(x, "rounds",
				       json_object_new_int((int)o.rounds));
		json_object_object_add(x, "loadavg_before",
				       json_object_new_double(load0));
		json_object_object_add(x, "loadavg_after",
				       json_object_new_double(load1));
		json_object_object_add(j, "config", x);
		for (unsigned i = 0; i < NRAW; i++)
			json_fig(j, "raw", "raw_range", raw_name[i],
				 stat_of(rawv[i], o.rounds));
		for (unsigned i = 0; i < NENG; i++)
			json_fig(j, "engine", "engine_range", eng_name[i],
				 stat_of(engv[i], o.rounds));
		for (unsigned i = 0; i < NRAT; i++)
			json_fig(j, "ratios", "ratios_range", ratios[i].name,
				 ratio_stat(&ratios[i]));
		json_object_object_add(j, "ratios_by_round", ratio_rounds());
		x = json_object_new_object();
		json_object_object_add(x, "1GiB",
				       json_object_new_double(m1.create_us));
		json_object_object_add(x, "64GiB",
				       json_object_new_double(m64.create_us));
		json_object_object_add(j, "snapshot_create_us", x);
		x = json_object_new_object();
		json_object_object_add(x, "1GiB",
				       json_object_new_double(m1.delete_us));
		json_object_object_add(x, "64GiB",
				       json_object_new_double(m64.delete_us));
		json_object_object_add(j, "snapshot_delete_us", x);
		x = json_object_new_object();
		json_object_object_add(x, "1GiB",
				       json_object_new_double(m1.durable_us));
		json_object_object_add(x, "64GiB",
				       json_object_new_double(m64.durable_us));
		json_object_object_add(j, "durable_write_32k_us", x);
		x = json_object_new_object();
		json_object_object_add(x, "ideal_group_cow_rand4k",
			json_object_new_double(stat_of(group_pc, o.rounds).med));
		json_object_object_add(x, "engine_cow_first_write_rand4k",
			json_object_new_double(stat_of(eng_pc, o.rounds).med));
		json_object_object_add(j, "copies_per_commit", x);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else {
		printf("chunk %u KiB, origin %llu MiB, QD %u, seq 1 MiB, "
		       "random 4 KiB, %u rounds, load %.2f -> %.2f\n",
		       o.chunk >> 10, (unsigned long long)(o.size >> 20), o.qd,
		       o.rounds, load0, load1);
		printf("%-42s %10s %10s %10s\n", "", "median", "min", "max");
		for (unsigned i = 0; i < NRAW; i++) {
			struct stat3 s = stat_of(rawv[i], o.rounds);

			printf("raw     %-34s %10.1f %10.1f %10.1f\n",
			       raw_name[i], s.med, s.min, s.max);
		}
		for (unsigned i = 0; i < NENG; i++) {
			struct stat3 s = stat_of(engv[i], o.rounds);

			printf("engine  %-34s %10.1f %10.1f %10.1f\n",
			       eng_name[i], s.med, s.min, s.max);
		}
		for (unsigned i = 0; i < NRAT; i++) {
			struct stat3 s = ratio_stat(&ratios[i]);

			printf("ratio   %-34s %10.3f %10.3f %10.3f\n",
			       ratios[i].name, s.med, s.min, s.max);
		}
		printf("snapshot create (median of 21): 1 GiB %.0f us, "
		       "64 GiB %.0f us\n", m1.create_us, m64.create_us);
		printf("snapshot delete (median of 21): 1 GiB %.0f us, "
		       "64 GiB %.0f us\n", m1.delete_us, m64.delete_us);
		printf("durable 32 KiB write (median of 21): %.0f us, %.0f us\n",
		       m1.durable_us, m64.durable_us);
		printf("random first writes, copies per commit (median): "
		       "group ideal %.1f, engine %.1f\n",
		       stat_of(group_pc, o.rounds).med,
		       stat_of(eng_pc, o.rounds).med);
	}
	free(rand_offs);
	return 0;
}
