/* fuse.c — the export dir: one FUSE filesystem (libfuse3 low-level API,
 * multi-threaded loop) holding a file per live volume ("NAME", read-write)
 * and per exposed snapshot ("NAME@{ID}", read-only).  Every read, write,
 * fsync and fallocate goes to the engine.  max_write is 1 MiB (128 KiB cost
 * 20 % of sequential throughput here).  I/O is expected aligned to 512
 * bytes, as the loop device's direct I/O sends it; anything else gets
 * EINVAL.  Writes, discards and fsyncs of a live volume pass through the
 * commit's write hold (hold.c); reads never wait for it. */
#define FUSE_USE_VERSION 312
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"

#define READ_BUF (1u << 20)
#define WORKERS		16	/* receiving threads */

static struct fuse_session *se;
static pthread_t fuse_thread;
static bool fuse_running;
static uint64_t next_ino = 2;
static dev_t fuse_dev;		/* st_dev of the mount: names its connection */
static pthread_key_t buf_key;

uint64_t fuse_next_ino(void)
{
	return next_ino++;	/* tbl_lock */
}

static void fill_attr(struct stat *st, const struct cnode *n)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = S_IFREG | (n->ro ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_size = (off_t)n->vol->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)(n->vol->size / 512);
}

static void root_attr(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
}

static void op_init(void *u, struct fuse_conn_info *conn)
{
	conn->max_write = 1u << 20;
	conn->max_readahead = 1u << 20;
	/* the loop device sends its whole queue depth as background
	 * requests; the kernel's default lets only 12 of them through */
	conn->max_background = 2 * WORKERS;
	conn->congestion_threshold = 2 * WORKERS;
	/* payloads land in our aligned buffers, never in a pipe */
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ);
	/* No auto_inval_data: with it, a write marks the attributes stale
	 * and the next read first asks GETATTR, synchronously, from the loop
	 * device's worker, so a workload mixing reads and writes paid a round
	 * trip in front of nearly every read (fio randrw 4 KiB: 11520 GETATTR
	 * for 14239 READ; 66-72 MB/s, 72-107 without).  It never
	 * invalidated anything here anyway: our attributes never change (size
	 * fixed, mtime 0), and the loop device reads direct, past the page
	 * cache (which every open drops: keep_cache = 0). */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct cnode *n;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&tbl_lock);
	n = node_find_name(name);
	if (n) {
		e.ino = n->ino;
		fill_attr(&e.attr, n);
	}
	pthread_mutex_unlock(&tbl_lock);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	struct cnode *n = NULL;

	if (ino == FUSE_ROOT_ID) {
		root_attr(&st);
	} else {
		pthread_mutex_lock(&tbl_lock);
		n = node_find_ino(ino);
		if (n)
			fill_attr(&st, n);
		pthread_mutex_unlock(&tbl_lock);
		if (!n) {
			fuse_reply_err(req, ENOENT);
			return;
		}
	}
	fuse_reply_attr(req, &st, 1.0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char *buf;
	size_t used = 0;
	off_t i = 0;
	struct stat st;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&tbl_lock);
	root_attr(&st);
	if (i++ >= off)
		used += fuse_add_direntry(req, buf + used, size - used, ".", &st, i);
	if (i++ >= off && used < size)
		used += fuse_add_direntry(req, buf + used, size - used, "..", &st, i);
	for (struct cnode *n = nodes; n; n = n->next) {
		size_t need;

		if (n->dead || i++ < off)
			continue;
		fill_attr(&st, n);
		need = fuse_add_direntry(req, NULL, 0, n->name, NULL, 0);
		if (used + need > size)
			break;
		used += fuse_add_direntry(req, buf + used, size - used, n->name, &st, i);
	}
	pthread_mutex_unlock(&tbl_lock);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cnode *n;
	int err = 0;

	pthread_mutex_lock(&tbl_lock);
	n = node_find_ino(ino);
	if (!n)
		err = ENOENT;
	else if (n->ro && (fi->flags & O_ACCMODE) != O_RDONLY)
		err = EROFS;
	else {
		n->refs++;
		n->opens++;
	}
	pthread_mutex_unlock(&tbl_lock);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)n;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		pthread_mutex_lock(&tbl_lock);
		n->opens--;
		node_put(n);
		pthread_mutex_unlock(&tbl_lock);
	}
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cnode *n = (struct cnode *)(uintptr_t)fi->fh;

	pthread_mutex_lock(&tbl_lock);
	n->opens--;
	node_put(n);
	pthread_mutex_unlock(&tbl_lock);
	fuse_reply_err(req, 0);
}

static bool aligned(size_t len, off_t off)
{
	return len % COW_SECTOR == 0 && off >= 0 && (uint64_t)off % COW_SECTOR == 0;
}

static void *read_buf(void)
{
	void *b = pthread_getspecific(buf_key);

	if (!b) {
		if (posix_memalign(&b, 4096, READ_BUF))
			return NULL;
		pthread_setspecific(buf_key, b);
	}
	return b;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct cnode *n = (struct cnode *)(uintptr_t)fi->fh;
	struct cvol *v = n->vol;
	void *buf = read_buf();
	int r;

	if ((uint64_t)off >= v->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > v->size - (uint64_t)off)
		size = v->size - (uint64_t)off;
	if (size > READ_BUF)
		size = READ_BUF;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!aligned(size, off)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_rwlock_rdlock(&v->io_lock);
	if (!v->cow || n->dead)
		r = -EIO;
	else if (n->snap)
		r = cow_snapshot_read(v->cow, n->snap, buf, size, (uint64_t)off);
	else
		r = cow_read(v->cow, buf, size, (uint64_t)off);
	pthread_rwlock_unlock(&v->io_lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	struct cnode *n = (struct cnode *)(uintptr_t)fi->fh;
	struct cvol *v = n->vol;
	int r;

	if (n->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if ((uint64_t)off >= v->size || size > v->size - (uint64_t)off) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	if (!aligned(size, off)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	hold_io_begin(v);
	pthread_rwlock_rdlock(&v->io_lock);
	r = v->cow && !n->dead ? cow_write(v->cow, buf, size, (uint64_t)off) : -EIO;
	pthread_rwlock_unlock(&v->io_lock);
	hold_io_end(v);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, size);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct cnode *n = (struct cnode *)(uintptr_t)fi->fh;
	struct cvol *v = n->vol;
	int r = 0;

	if (!n->ro) {
		hold_io_begin(v);
		pthread_rwlock_rdlock(&v->io_lock);
		r = v->cow ? cow_flush(v->cow) : -EIO;
		pthread_rwlock_unlock(&v->io_lock);
		hold_io_end(v);
	}
	fuse_reply_err(req, -r);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct cnode *n = (struct cnode *)(uintptr_t)fi->fh;
	struct cvol *v = n->vol;
	int r;

	if (n->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE) {
		/* the space is there already */
		fuse_reply_err(req, 0);
		return;
	}
	if (!(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) ||
	    (mode & ~(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE))) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (!aligned((size_t)len, off) || len <= 0 || (uint64_t)off + (uint64_t)len > v->size) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	hold_io_begin(v);
	pthread_rwlock_rdlock(&v->io_lock);
	r = v->cow && !n->dead ? cow_discard(v->cow, (size_t)len, (uint64_t)off) : -EIO;
	pthread_rwlock_unlock(&v->io_lock);
	hold_io_end(v);
	fuse_reply_err(req, r < 0 ? -r : 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.release = op_release,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.fsync = op_fsync,
	.fallocate = op_fallocate,
};

/* The receive loop.  libfuse's own loop reads a request into a malloc'd
 * buffer, which puts a WRITE payload 80 bytes (fuse_in_header +
 * fuse_write_in) past an arbitrary address, and the engine then copies
 * every write into its bounce buffer for O_DIRECT.  Our workers read
 * /dev/fuse into a buffer placed so that the payload starts on a page:
 * the engine writes it to the backing file as it is.  A fixed pool of
 * WORKERS threads, each with its own buffer (and, inside the engine, its
 * own io_uring), each receiving and handling one request at a time.
 *
 * Where the time of a random 4 KiB write goes (perf, fio QD16 on the live
 * device): ~40 us of CPU per request in this daemon, nearly all in the
 * kernel: the backing write's submission down to the virtio kick, two
 * sleeps per request (in the /dev/fuse read, waiting for the I/O: 2.1
 * voluntary switches per request), the FUSE read and reply; user space
 * (libfuse, engine, locks) under 5 %.  Tried, and no better: the backing
 * I/O as plain pwrite/pread instead of the ring (same CPU per request on a
 * written file; on a sparse one 1.5-10x slower, an allocating O_DIRECT
 * write blocking the thread where the ring hands it to a kernel worker), 4
 * or 8 workers (fewer switches, less I/O in flight: no gain), rq_affinity 0
 * on the loop device.  Going further needs a worker with several requests
 * in flight, i.e. an engine write that does not wait for the origin I/O.
 * A prototype of that (session 10: 1-4 workers, each reading a
 * non-blocking /dev/fuse into up to 32 buffers, starting writes with
 * cow_aio_write, submitting them together and polling /dev/fuse and the
 * ring; every other request drains the worker first) took fio random 4 KiB
 * writes QD16 from 0.59-0.65 of the raw loop device to 0.67-0.69 (2
 * workers; 1: 0.64-0.66, 4: 0.63-0.67), context switches from 5.6 to 2.6
 * per request, the time in virtio kicks (iowrite16) per request to a
 * quarter, and left 20 % of the CPU idle; but sequential 1 MiB writes lost
 * about a fifth (2.3-2.4 against 2.9-3.1 GB/s; two runs each, the raw
 * device itself varying 2.6-4.2), perhaps because the 1 MiB payload copies
 * of /dev/fuse then have two threads instead of 16 (not checked).  Not
 * kept: to land, the contexts need a lifetime tied to the volume's (freed
 * under io_lock held exclusive before the engine closes), reads need the
 * same path, and the large-write loss a fix.  A second version (session
 * 11) did all that: 2 workers of 16 buffers, reads and snapshot reads
 * asynchronous too, a large request submitted at once, a context per
 * (worker, volume) freed under io_lock held exclusive, a write that finds
 * its volume held waiting only once the worker has nothing in flight, and
 * a nowait mode in the engine (a start that would wait for a snapshot
 * being made or deleted, or for room, fails with -EBUSY; the worker drains,
 * then starts it blocking), without which two workers holding requests on
 * two volumes could each wait for the other's.  It passed the suite, but
 * against this pool of 16, in alternating vss-cowbench --live runs on a
 * machine not bound by CPU: first writes after a snapshot halved (random
 * 4 KiB 0.09/0.08 against 0.14-0.28 of the raw loop device, sequential
 * 0.26 against 0.28-0.32), random reads fell (0.59/0.69 against 0.72-0.76)
 * and random writes did not gain (0.56/0.83 against 0.71-0.75).  A preserve
 * is synchronous inside cow_aio_write, so a worker doing one stalls all it
 * has in flight, and two workers make two preserves at a time where this
 * pool makes sixteen.  A third version handed such writes (the engine's
 * nowait start also refusing a write that must preserve first), and
 * anything else that would wait, to 8 pool threads that do them
 * synchronously, holding nothing of the worker's, and give the buffer back
 * through an eventfd the worker polls.  First writes after a snapshot came
 * back to this pool's level and the CPU per random 4 KiB request fell by a
 * fifth (writes 27-30 us against 34-38, reads 23-24 against 29-32), but
 * random 4 KiB writes gained nothing clear (0.54-0.58 against 0.48-0.61,
 * three alternating pairs, a fast disk) and random reads lost a little:
 * not kept either, though it is the version to take up again for the CPU.
 *
 * Nor does another transport raise that ceiling here.  The kernel (6.18)
 * has FUSE over io_uring (CONFIG_FUSE_IO_URING, off until
 * /sys/module/fuse/parameters/enable_uring is Y; libfuse 3.14 cannot use
 * it).  A throwaway pass-through server on it (session 11: its own INIT
 * with FUSE_OVER_IO_URING, a thread per CPU queue with 16 entries of 1 MiB,
 * the backing O_DIRECT I/O on the same ring, no engine) against the raw
 * loop device over the same file, fio random 4 KiB writes QD16 through a
 * loop device with direct I/O, three alternating pairs: 0.64, 0.71, 0.63
 * (50-59k against 79-91k IOPS); QD32 0.60.  It spent 16 us of CPU per
 * request (41 % of the CPUs busy, one context switch per request), well
 * under this daemon's 40, yet went no faster: the request held a ring entry
 * only 56 % of its time (8.95 of 16 on average), the rest is spent in the
 * kernel between the loop device and the daemon.  With the guest's halt
 * polling on (guest_halt_poll_ns 200000; this VM has 0) both sides gained a
 * quarter and the ratio stayed (0.63).  So a pass-through FUSE daemon tops
 * out at about two thirds of the raw loop device for random 4 KiB on this
 * machine, whichever transport. */
/* sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in), kernel ABI
 * 7.9 on (fuse_kernel.h is not installed) */
#define PAYLOAD_OFF	80u
/* libfuse up to 3.16 reads requests of up to 256 pages plus a page of
 * header into the buffer it is given; a later one lays out its own */
#define RECV_SIZE	(4096u + (256u << 12) + 4096u)

static void *worker_main(void *arg)
{
	struct fuse_buf fbuf = { .mem = NULL };
	char *base = NULL;

	if (fuse_version() < 317 && posix_memalign((void **)&base, 4096, RECV_SIZE))
		base = NULL;
	while (!fuse_session_exited(se)) {
		int r;

		if (base) {
			fbuf.mem = base + 4096 - PAYLOAD_OFF;
			fbuf.size = RECV_SIZE - (4096 - PAYLOAD_OFF);
		}
		fbuf.flags = 0;
		r = fuse_session_receive_buf(se, &fbuf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r < 0)
			log_err("FUSE: receiving a request: %s", strerror(-r));
		if (r <= 0)
			break;		/* 0: unmounted or aborted (ENODEV) */
		fuse_session_process_buf(se, &fbuf);
	}
	if (!base)
		free(fbuf.mem);		/* libfuse's own */
	free(base);
	return NULL;
}

static void *loop_main(void *arg)
{
	pthread_t th[WORKERS];
	int n = 0;

	for (; n < WORKERS; n++)
		if (pthread_create(&th[n], NULL, worker_main, NULL))
			break;
	if (!n)
		log_err("FUSE: no worker thread could start");
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return NULL;
}

/* Whether a vss-cowd FUSE filesystem is mounted at the export dir. */
static bool our_mount_present(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mp[4096], type[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*u %*u %*u:%*u %*s %4095s", mp) != 1 || !sep ||
		    sscanf(sep + 3, "%255s", type) != 1)
			continue;
		/* mount points with spaces are escaped (\040): compare as is */
		found = strcmp(mp, cfg.export_dir) == 0 && strcmp(type, "fuse.vss-cowd") == 0;
	}
	fclose(f);
	return found;
}

/* A mount left by a killed vss-cowd (its connection is gone, but cached
 * attributes may still answer a stat): detach it before mounting. */
static void clear_stale_mount(void)
{
	for (int i = 0; i < 8 && our_mount_present(); i++) {
		log_info("%s: removing the mount of a previous vss-cowd", cfg.export_dir);
		if (umount2(cfg.export_dir, MNT_DETACH) < 0) {
			log_warn("%s: umount: %s", cfg.export_dir, strerror(errno));
			break;
		}
	}
}

void fuse_forget_name(const char *name)
{
	int r;

	if (!se || !fuse_running)
		return;
	r = fuse_lowlevel_notify_inval_entry(se, FUSE_ROOT_ID, name, strlen(name));
	if (r < 0 && r != -ENOENT)
		log_debug("%s: cannot invalidate its entry: %s", name, strerror(-r));
}

int fuse_start(void)
{
	char *argv[] = { "vss-cowd", "-o", "fsname=vss-cowd,subtype=vss-cowd,default_permissions",
			 NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct stat st;
	int r;

	pthread_key_create(&buf_key, free);
	clear_stale_mount();
	if (mkdir(cfg.export_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);	/* option parsing may have copied them */
	if (!se)
		return -EIO;
	if (fuse_session_mount(se, cfg.export_dir) != 0) {
		fuse_session_destroy(se);
		se = NULL;
		return -EIO;
	}
	r = pthread_create(&fuse_thread, NULL, loop_main, NULL);
	if (r) {
		fuse_session_unmount(se);
		fuse_session_destroy(se);
		se = NULL;
		return -r;
	}
	fuse_running = true;
	/* the daemon never stats its own mount later: the workers may be gone */
	if (stat(cfg.export_dir, &st) == 0)
		fuse_dev = st.st_dev;
	return 0;
}

/* Unmounts the export dir.  When a filesystem still sits on one of our
 * loop devices the mount stays busy: it is detached lazily and the
 * connection aborted (so the threads stop), and that filesystem gets EIO. */
void fuse_stop(void)
{
	char path[128];
	int fd;

	if (!se)
		return;
	/* no fuse_session_exit(): the workers must keep serving until the
	 * unmount ends the session (ENODEV) */
	for (int i = 0; i < 20; i++) {
		if (umount2(cfg.export_dir, 0) == 0 || errno == EINVAL)
			goto unmounted;
		usleep(50000);
	}
	log_warn("%s: still busy (a loop device in use?): detaching lazily", cfg.export_dir);
	umount2(cfg.export_dir, MNT_DETACH);
	if (fuse_dev) {
		snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
			 minor(fuse_dev));
		if (access(path, F_OK) < 0)
			mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				log_warn("%s: %s", path, strerror(errno));
			close(fd);
		}
	}
unmounted:
	if (fuse_running) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_timedjoin_np(fuse_thread, NULL, &ts) != 0) {
			/* the process exit closes /dev/fuse */
			log_warn("%s: FUSE threads did not stop", cfg.export_dir);
			return;
		}
	}
	fuse_running = false;
	fuse_session_destroy(se);
	se = NULL;
	/* no FUSE thread is left to release what the kernel still had open */
	pthread_mutex_lock(&tbl_lock);
	nodes_drop_opens();
	pthread_mutex_unlock(&tbl_lock);
}
