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
#include "common/mountinfo.h"
#include "cow/cowd/cowd.h"
#include "cow/cowd/fusefront.h"

#define READ_BUF (1u << 20)

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
	fusefront_init_conn(conn);
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

static void *loop_main(void *arg)
{
	fusefront_serve(se, FUSEFRONT_WORKERS);
	return NULL;
}

static bool ours(const struct mountinfo *m, void *arg)
{
	bool *found = arg;

	*found = strcmp(m->point, cfg.export_dir) == 0 && strcmp(m->fstype, "fuse.vss-cowd") == 0;
	return !*found;
}

/* Whether a vss-cowd FUSE filesystem is mounted at the export dir (under
 * other mounts or not). */
static bool our_mount_present(void)
{
	bool found = false;

	mountinfo_each(ours, &found);
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
