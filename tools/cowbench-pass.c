/* cowbench-pass.c — the pass-through baseline of vss-cowbench --live.
 *
 * A FUSE filesystem with vss-cowd's own front end (fusefront.c: its
 * connection settings, its 16 receiving threads reading /dev/fuse so that
 * a write's payload lands on a page) serving one file, "volume", whose
 * reads and writes go straight to the backing file: O_DIRECT, on an
 * io_uring per thread with the file registered, one request at a time, the
 * payload written where it was received, as vss-cowd's engine does with a
 * volume that has no snapshot.  No engine, no write hold, no locks.  The
 * benchmark attaches a loop device (direct I/O) to that file as vss-cowd
 * does to its own, so that the raw loop device, this, and vss-cowd differ
 * in one thing each: what FUSE costs, and what vss-cowd adds to it.
 *
 * It runs in a child process (the parent measures), which dies with its
 * parent (PR_SET_PDEATHSIG) and otherwise ends when its mount is
 * unmounted; it ignores the terminal's SIGINT so that the parent's cleanup
 * detaches the loop device before the connection goes. */
#define FUSE_USE_VERSION 312
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cow/cowd/fusefront.h"
#include "tools/cowbench.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

#define PASS_INO	2
#define PASS_NAME	"volume"
#define PASS_BUF	(1u << 20)

static int bfd = -1;		/* the backing file, O_DIRECT */
static uint64_t bsize;
static pthread_key_t tl_key;

/* per thread: a ring with the backing file registered, an aligned buffer */
struct tl {
	struct io_uring ring;
	void *buf;
};

static void tl_free(void *p)
{
	struct tl *t = p;

	io_uring_queue_exit(&t->ring);
	free(t->buf);
	free(t);
}

static struct tl *tl_get(void)
{
	struct tl *t = pthread_getspecific(tl_key);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (posix_memalign(&t->buf, 4096, PASS_BUF)) {
		free(t);
		return NULL;
	}
	if (io_uring_queue_init(4, &t->ring, 0)) {
		free(t->buf);
		free(t);
		return NULL;
	}
	if (io_uring_register_files(&t->ring, &bfd, 1)) {
		tl_free(t);
		return NULL;
	}
	pthread_setspecific(tl_key, t);
	return t;
}

/* One read or write of the backing file on the thread's ring: bytes
 * done, or -errno. */
static int ring_io(struct tl *t, bool wr, void *buf, size_t len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	struct io_uring_cqe *cqe;
	int r;

	if (!sqe)
		return -EBUSY;
	if (wr)
		io_uring_prep_write(sqe, 0, buf, (unsigned)len, off);
	else
		io_uring_prep_read(sqe, 0, buf, (unsigned)len, off);
	sqe->flags |= IOSQE_FIXED_FILE;
	r = io_uring_submit_and_wait(&t->ring, 1);
	if (r < 0)
		return r;
	r = io_uring_wait_cqe(&t->ring, &cqe);
	if (r < 0)
		return r;
	r = cqe->res;
	io_uring_cqe_seen(&t->ring, cqe);
	return r;
}

static void vol_attr(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = PASS_INO;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = (off_t)bsize;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)(bsize / 512);
}

static void op_init(void *u, struct fuse_conn_info *conn)
{
	fusefront_init_conn(conn);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, PASS_NAME)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = PASS_INO;
	vol_attr(&e.attr);
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino == FUSE_ROOT_ID) {
		memset(&st, 0, sizeof(st));
		st.st_ino = FUSE_ROOT_ID;
		st.st_mode = S_IFDIR | 0755;
		st.st_nlink = 2;
	} else if (ino == PASS_INO) {
		vol_attr(&st);
	} else {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, 1.0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != PASS_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static bool in_range(size_t size, off_t off)
{
	return off >= 0 && (uint64_t)off <= bsize && size <= bsize - (uint64_t)off &&
	       size % 512 == 0 && off % 512 == 0;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct tl *t = tl_get();
	int r;

	if ((uint64_t)off >= bsize) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > bsize - (uint64_t)off)
		size = bsize - (uint64_t)off;
	if (size > PASS_BUF)
		size = PASS_BUF;
	if (!t) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!in_range(size, off)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = ring_io(t, false, t->buf, size, (uint64_t)off);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, t->buf, (size_t)r);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	struct tl *t = tl_get();
	void *src = (void *)buf;
	int r;

	if (!t) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!in_range(size, off) || size > PASS_BUF) {
		fuse_reply_err(req, (uint64_t)off >= bsize ? ENOSPC : EINVAL);
		return;
	}
	if ((uintptr_t)buf % 4096) {	/* a libfuse that lays out its own */
		memcpy(t->buf, buf, size);
		src = t->buf;
	}
	r = ring_io(t, true, src, size, (uint64_t)off);
	if (r >= 0 && (size_t)r != size)
		r = -EIO;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, size);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, fdatasync(bfd) ? errno : 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.fsync = op_fsync,
	.release = op_release,
};

static void pass_child(const char *mnt, const char *backing, int ready, pid_t parent)
{
	char *argv[] = { "vss-cowbench", "-o",
			 "fsname=vss-cowbench,subtype=vss-cowbench-pass", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;
	struct stat st;
	sigset_t ss;
	char ok = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* none of the parent's devices stays open here (a loop device held
	 * open would not detach when the parent lets it go) */
	if (ready > 3)
		close_range(3, (unsigned)ready - 1, 0);
	close_range((unsigned)ready + 1, ~0u, 0);
	sigemptyset(&ss);
	sigprocmask(SIG_SETMASK, &ss, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* as vss-cowd runs (main.c) */
	prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	bfd = open(backing, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (bfd < 0 || fstat(bfd, &st) < 0) {
		warn("pass-through: %s", backing);
		_exit(1);
	}
	bsize = (uint64_t)st.st_size;
	pthread_key_create(&tl_key, tl_free);
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);
	if (!se || fuse_session_mount(se, mnt) != 0) {
		warnx("pass-through: cannot mount %s", mnt);
		_exit(1);
	}
	if (write(ready, &ok, 1) != 1)
		_exit(1);
	close(ready);
	fusefront_serve(se, FUSEFRONT_WORKERS);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	_exit(0);
}

pid_t pass_start(const char *mnt, const char *backing)
{
	pid_t parent = getpid(), pid;
	int p[2];
	char ok = 0;

	if (pipe2(p, O_CLOEXEC))
		err(1, "pipe");
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		close(p[0]);
		pass_child(mnt, backing, p[1], parent);
	}
	close(p[1]);
	if (read(p[0], &ok, 1) != 1 || ok != 1) {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}
