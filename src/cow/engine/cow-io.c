/* cow-io.c — the engine's default backing I/O: files or block devices.
 *
 * Each file is opened twice: O_DIRECT (when the filesystem allows it) for
 * aligned I/O, and buffered for the rest.  Every thread that calls in gets
 * its own io_uring, created lazily, with both direct descriptors registered
 * as fixed files and a 1 MiB bounce buffer registered as a fixed buffer; the
 * copy step of copy-on-write is submitted as linked pairs
 * READ_FIXED(origin) -> WRITE_FIXED(diff), a batch of chunks per submit.
 * Rings of threads that exit are adopted by the next new thread; all are
 * torn down by close.  Without io_uring (or with COW_IO_NO_URING) the same
 * calls run on pread/pwrite (so they do with COW_NO_URING=1 in the
 * environment).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cow.h"
#include "cow-int.h"

#define BOUNCE		(1u << 20)
#define RING_DEPTH	64u
#define TL_RINGS	4

struct ring {
	struct io_uring ring;
	void *bounce;
	_Atomic int orphan;
	/* A submission or a wait failed part-way: requests of it may still be
	 * queued or in flight, and their completions unread, so the ring is
	 * never used again (its thread goes on with plain calls); freed with
	 * the files. */
	_Atomic bool broken;
	struct ring *next;
};

struct fdio {
	int dfd[2], bfd[2];
	uint64_t size[2];
	bool blk[2];
	unsigned flags;
	uint64_t uid;
	pthread_mutex_t lock;
	struct ring *rings;
	_Atomic bool no_uring;
	struct fdio *live_next;
};

/* ---- aligned and thread-local buffers ---- */
void *cow_alloc_aligned(size_t size)
{
	void *p = NULL;

	size = (size + COW_ALIGN - 1) & ~(size_t)(COW_ALIGN - 1);
	if (posix_memalign(&p, COW_ALIGN, size ? size : COW_ALIGN))
		return NULL;
	return p;
}

void cow_free_aligned(void *p)
{
	free(p);
}

struct tlbuf {
	void *p;
	size_t size;
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static __thread struct tlbuf tl_buf;

struct tlring {
	uint64_t uid;
	struct ring *r;
};
static __thread struct tlring tl_rings[TL_RINGS];

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fdio *live_list;
static uint64_t next_uid = 1;

/* Hand a cached ring back to its volume, if that is still open, for the
 * next thread that needs one. */
static void ring_orphan(struct tlring *t)
{
	pthread_mutex_lock(&live_lock);
	for (struct fdio *io = live_list; t->r && io; io = io->live_next)
		if (io->uid == t->uid)
			atomic_store(&t->r->orphan, 1);
	pthread_mutex_unlock(&live_lock);
	t->r = NULL;
}

static void tl_exit(void *arg)
{
	struct tlbuf *b = arg;

	free(b->p);
	b->p = NULL;
	b->size = 0;
	for (int i = 0; i < TL_RINGS; i++)
		ring_orphan(&tl_rings[i]);
}

static void tl_init(void)
{
	pthread_key_create(&tl_key, tl_exit);
}

void *cow_tlbuf(size_t size)
{
	if (tl_buf.size < size) {
		void *p = cow_alloc_aligned(size);

		if (!p)
			return NULL;
		free(tl_buf.p);
		tl_buf.p = p;
		tl_buf.size = size;
	}
	pthread_once(&tl_once, tl_init);
	pthread_setspecific(tl_key, &tl_buf);
	return tl_buf.p;
}

/* ---- rings ---- */
static struct ring *ring_new(struct fdio *io)
{
	struct ring *r = calloc(1, sizeof(*r));
	struct io_uring_params p;
	struct iovec iov;
	int fds[2];

	if (!r)
		return NULL;
	r->bounce = cow_alloc_aligned(BOUNCE);
	if (!r->bounce)
		goto fail;
	/* No IORING_SETUP_COOP_TASKRUN: it only helps a task that runs in
	 * user space while completions come in, and ours always wait for
	 * them.  With it, a thread was twice seen waiting forever in
	 * io_uring_submit_and_wait() for a write that had left the device
	 * (6.18: the first write of a fresh ring into a hole of a new diff
	 * file, in vss-cowbench; and once in 9 runs of a test program making
	 * 24,000 such writes, against none in 7 runs without the flag); a
	 * signal to the thread released it.  The cause is not established,
	 * so ring_cqe() also waits in steps (a missed wakeup costs a second,
	 * not the volume). */
	memset(&p, 0, sizeof(p));
	if (io_uring_queue_init_params(RING_DEPTH, &r->ring, &p))
		goto fail;
	for (int f = 0; f < 2; f++)
		fds[f] = io->dfd[f] >= 0 ? io->dfd[f] : io->bfd[f];
	iov.iov_base = r->bounce;
	iov.iov_len = BOUNCE;
	if (io_uring_register_files(&r->ring, fds, 2) ||
	    io_uring_register_buffers(&r->ring, &iov, 1)) {
		io_uring_queue_exit(&r->ring);
		goto fail;
	}
	return r;
fail:
	cow_free_aligned(r->bounce);
	free(r);
	return NULL;
}

static struct ring *get_ring(struct fdio *io)
{
	struct ring *r;
	int i;

	if (atomic_load(&io->no_uring))
		return NULL;
	for (i = 0; i < TL_RINGS; i++)
		if (tl_rings[i].r && tl_rings[i].uid == io->uid)
			return atomic_load(&tl_rings[i].r->broken) ? NULL : tl_rings[i].r;
	pthread_mutex_lock(&io->lock);
	for (r = io->rings; r; r = r->next) {
		int one = 1;

		if (!atomic_load(&r->broken) &&
		    atomic_compare_exchange_strong(&r->orphan, &one, 0))
			break;
	}
	if (!r) {
		r = ring_new(io);
		if (r) {
			r->next = io->rings;
			io->rings = r;
		} else {
			atomic_store(&io->no_uring, true);
		}
	}
	pthread_mutex_unlock(&io->lock);
	if (!r)
		return NULL;
	for (i = 0; i < TL_RINGS && tl_rings[i].r; i++)
		;
	if (i == TL_RINGS) {
		/* evict: the ring goes back to its volume for adoption */
		i = (int)(io->uid % TL_RINGS);
		ring_orphan(&tl_rings[i]);
	}
	tl_rings[i].uid = io->uid;
	tl_rings[i].r = r;
	pthread_once(&tl_once, tl_init);
	pthread_setspecific(tl_key, &tl_buf);
	return r;
}

/* The next completion.  Never gives up while a request is in flight: its
 * buffer is in use until it completes (an -EINTR is no error), and the
 * wait goes in steps of a second, so that a completion whose wakeup was
 * missed is still taken (see ring_new). */
static int ring_cqe_of(struct io_uring *ring, struct io_uring_cqe **cqe)
{
	for (;;) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		int res = io_uring_wait_cqe_timeout(ring, cqe, &ts);

		if (res != -ETIME && res != -EINTR)
			return res;
	}
}

static int ring_cqe(struct ring *r, struct io_uring_cqe **cqe)
{
	return ring_cqe_of(&r->ring, cqe);
}

/* Submit what the ring holds and take the first completion (one system
 * call when it comes within the first step).  liburing returns the number
 * submitted, or 0 (before 2.4), or -ETIME, and when the wait was cut short
 * by a signal after the submission, a count with no completion at all. */
static int ring_go(struct ring *r, struct io_uring_cqe **cqe)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	int res;

	*cqe = NULL;
	res = io_uring_submit_and_wait_timeout(&r->ring, cqe, 1, &ts, NULL);
	if (res >= 0 && *cqe)
		return 0;
	if (res >= 0 || res == -ETIME || res == -EINTR)
		return ring_cqe(r, cqe);	/* submitted: wait on */
	return res;
}

/* One request moves at most this much (its length is an unsigned, and the
 * kernel moves under 2 GiB at a time anyway): the callers go on from where
 * it stopped.  Uncapped, a length of 4 GiB or a multiple of it was cut to
 * 0 and read as "beyond the end" (a compaction of a very large index). */
#define RING_MAX_IO	(1u << 30)

/* One request on the calling thread's ring; the result of the CQE.  A
 * buffer inside the ring's registered bounce goes as READ/WRITE_FIXED. */

static int ring_rw(struct ring *r, int f, bool wr, void *buf, size_t len,
		   uint64_t off, int rwflags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	struct io_uring_cqe *cqe;
	bool fixed = (char *)buf >= (char *)r->bounce &&
		     (char *)buf + len <= (char *)r->bounce + BOUNCE;
	int res;

	if (!sqe)
		return -EBUSY;
	if (len > RING_MAX_IO)
		len = RING_MAX_IO;
	if (fixed && wr)
		io_uring_prep_write_fixed(sqe, f, buf, len, off, 0);
	else if (fixed)
		io_uring_prep_read_fixed(sqe, f, buf, len, off, 0);
	else if (wr)
		io_uring_prep_write(sqe, f, buf, len, off);
	else
		io_uring_prep_read(sqe, f, buf, len, off);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->rw_flags = rwflags;
	res = ring_go(r, &cqe);
	if (res < 0) {
		atomic_store(&r->broken, true);
		return res;
	}
	res = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	return res;
}

/* ---- the ops ---- */
static int rw_sync(int fd, bool wr, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = wr ? pwrite(fd, buf, len, off) :
				 pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return wr ? -ENOSPC : -EIO;	/* beyond the end */
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Direct I/O of an aligned buffer, on the ring when there is one. */
static int rw_direct(struct fdio *io, struct ring *r, enum cow_file f,
		     bool wr, void *buf, size_t len, uint64_t off)
{
	while (r && len) {
		int res = ring_rw(r, f, wr, buf, len, off, 0);

		if (res == 0)
			return wr ? -ENOSPC : -EIO;
		if (res < 0)
			return res;
		buf = (char *)buf + res;
		len -= res;
		off += res;
	}
	return len ? rw_sync(io->dfd[f], wr, buf, len, off) : 0;
}

/* Never mix buffered and direct I/O on one file (the kernel reports a
 * failed page-cache invalidation as EIO on the next fsync): an unaligned
 * buffer goes through the ring's registered bounce buffer instead.  Only
 * sector-aligned requests the device refuses fall back to buffered I/O. */
static int do_rw(struct fdio *io, enum cow_file f, bool wr, void *buf,
		 size_t len, uint64_t off)
{
	struct ring *r;
	char *b;
	int res = 0;

	if (io->dfd[f] < 0)
		return rw_sync(io->bfd[f], wr, buf, len, off);
	r = get_ring(io);
	if (!((uintptr_t)buf & (COW_ALIGN - 1)))
		res = rw_direct(io, r, f, wr, buf, len, off);
	else if (!(b = r ? r->bounce : cow_tlbuf(BOUNCE)))
		res = -ENOMEM;
	else
		while (len && !res) {
			size_t n = len < BOUNCE ? len : BOUNCE;

			if (wr)
				memcpy(b, buf, n);
			res = rw_direct(io, r, f, wr, b, n, off);
			if (res)
				break;
			if (!wr)
				memcpy(buf, b, n);
			buf = (char *)buf + n;
			len -= n;
			off += n;
		}
	if (res == -EINVAL)
		res = rw_sync(io->bfd[f], wr, buf, len, off);
	return res;
}

static int fd_read(void *priv, enum cow_file f, void *buf, size_t len,
		   uint64_t off)
{
	return do_rw(priv, f, false, buf, len, off);
}

static int fd_write(void *priv, enum cow_file f, const void *buf, size_t len,
		    uint64_t off)
{
	return do_rw(priv, f, true, (void *)buf, len, off);
}

static int fd_flush(void *priv, enum cow_file f)
{
	struct fdio *io = priv;

	return fdatasync(io->bfd[f]) ? -errno : 0;
}

/* One O_DIRECT write with RWF_DSYNC (a FUA write: no flush of the whole
 * device cache), else write and fdatasync. */
static int fd_write_durable(void *priv, enum cow_file f, const void *buf,
			    size_t len, uint64_t off)
{
	struct fdio *io = priv;
	struct ring *r;
	int res = -EINVAL;

	if (io->dfd[f] >= 0 && !(((uintptr_t)buf | len | off) &
				 (COW_ALIGN - 1))) {
		r = get_ring(io);
		if (r) {
			res = ring_rw(r, f, true, (void *)buf, len, off,
				      RWF_DSYNC);
		} else {
			struct iovec iov = { (void *)buf, len };

			res = (int)pwritev2(io->dfd[f], &iov, 1, (off_t)off,
					    RWF_DSYNC);
			if (res < 0)
				res = -errno;
		}
		if (res == (int)len)
			return 0;
	}
	res = do_rw(io, f, true, (void *)buf, len, off);
	return res ? res : fd_flush(io, f);
}

static int fd_zero(void *priv, enum cow_file f, size_t len, uint64_t off)
{
	struct fdio *io = priv;
	void *z;
	int r;

	if (io->blk[f]) {
		uint64_t range[2] = { off, len };

		if (!ioctl(io->bfd[f], BLKZEROOUT, range))
			return 0;
	} else if (!fallocate(io->bfd[f], FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len)) {
		return 0;
	}
	z = cow_alloc_aligned(BOUNCE);
	if (!z)
		return -ENOMEM;
	memset(z, 0, BOUNCE);
	for (r = 0; !r && len; ) {
		size_t n = len < BOUNCE ? len : BOUNCE;

		r = do_rw(io, f, true, z, n, off);
		off += n;
		len -= n;
	}
	free(z);
	return r;
}

/* Linked READ_FIXED -> WRITE_FIXED pairs through the bounce buffer, one
 * pair for each run of extents adjacent both in the origin and in the diff
 * area (a sequential write's chunks usually get consecutive slots); the
 * crc32c of each extent is taken from the bounce buffer afterwards. */
static int ring_copy(struct ring *r, unsigned n, const uint64_t *src,
		     const uint64_t *dst, const uint32_t *len, uint32_t *crc)
{
	struct io_uring_cqe *cqe;
	size_t o = 0;
	unsigned npairs = 0;
	int res, bad = 0;

	for (unsigned i = 0, j; i < n; i = j) {
		struct io_uring_sqe *rd = io_uring_get_sqe(&r->ring);
		struct io_uring_sqe *wr = io_uring_get_sqe(&r->ring);
		uint32_t run = len[i];

		if (!rd || !wr) {
			/* what is prepared would go with the next submission */
			atomic_store(&r->broken, true);
			return -EBUSY;
		}
		for (j = i + 1; j < n && src[j] == src[j - 1] + len[j - 1] &&
		     dst[j] == dst[j - 1] + len[j - 1]; j++)
			run += len[j];
		io_uring_prep_read_fixed(rd, COW_ORIGIN, (char *)r->bounce + o,
					 run, src[i], 0);
		rd->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
		rd->user_data = run;
		io_uring_prep_write_fixed(wr, COW_DIFF, (char *)r->bounce + o,
					  run, dst[i], 0);
		wr->flags |= IOSQE_FIXED_FILE;
		wr->user_data = run;
		o += run;
		npairs++;
	}
	for (unsigned i = 0; i < 2 * npairs; i++) {
		res = i ? ring_cqe(r, &cqe) : ring_go(r, &cqe);
		if (res < 0) {
			atomic_store(&r->broken, true);
			return res;
		}
		if (cqe->res != (int)cqe->user_data && !bad)
			bad = cqe->res < 0 ? cqe->res : -EIO;
		io_uring_cqe_seen(&r->ring, cqe);
	}
	o = 0;
	for (unsigned i = 0; !bad && i < n; i++) {
		crc[i] = cow_crc32c(0, (char *)r->bounce + o, len[i]);
		o += len[i];
	}
	return bad;
}

static int fd_copy(void *priv, unsigned n, const uint64_t *src,
		   const uint64_t *dst, const uint32_t *len, uint32_t *crc)
{
	struct fdio *io = priv;
	struct ring *r = get_ring(io);
	unsigned i = 0;

	while (i < n) {
		unsigned k = 0;
		size_t bytes = 0;
		int res = -EINVAL;

		while (i + k < n && k < RING_DEPTH / 2 &&
		       bytes + len[i + k] <= BOUNCE) {
			bytes += len[i + k];
			k++;
		}
		if (!k)
			return -EINVAL;
		if (r && io->dfd[COW_ORIGIN] >= 0 && io->dfd[COW_DIFF] >= 0)
			res = ring_copy(r, k, src + i, dst + i, len + i,
					crc + i);
		if (res) {	/* no ring, or it refused: plain calls */
			void *b = cow_tlbuf(BOUNCE);

			if (!b)
				return -ENOMEM;
			for (unsigned j = i; j < i + k; j++) {
				res = do_rw(io, COW_ORIGIN, false, b, len[j],
					    src[j]);
				if (!res)
					res = do_rw(io, COW_DIFF, true, b,
						    len[j], dst[j]);
				if (res)
					return res;
				crc[j] = cow_crc32c(0, b, len[j]);
			}
		}
		i += k;
	}
	return 0;
}

static uint64_t fd_size(void *priv, enum cow_file f)
{
	return ((struct fdio *)priv)->size[f];
}

/* Make a regular file at least *size bytes long (sparse); a block device
 * cannot grow: *size becomes what there is. */
static int fd_grow(void *priv, enum cow_file f, uint64_t *size)
{
	struct fdio *io = priv;

	if (*size <= io->size[f])
		return 0;
	if (io->blk[f]) {
		*size = io->size[f];
		return 0;
	}
	if (ftruncate(io->bfd[f], (off_t)*size))
		return -errno;
	io->size[f] = *size;
	return 0;
}

static void fd_close(void *priv)
{
	struct fdio *io = priv;

	if (!io)
		return;
	pthread_mutex_lock(&live_lock);
	for (struct fdio **pp = &live_list; *pp; pp = &(*pp)->live_next)
		if (*pp == io) {
			*pp = io->live_next;
			break;
		}
	pthread_mutex_unlock(&live_lock);
	while (io->rings) {
		struct ring *r = io->rings;

		io->rings = r->next;
		/* the files go now, not when the kernel's ring teardown gets
		 * to them: a removed volume's diff area must not keep its
		 * filesystem busy (umount: "target is busy") for a while */
		io_uring_unregister_files(&r->ring);
		io_uring_queue_exit(&r->ring);
		cow_free_aligned(r->bounce);
		free(r);
	}
	/* drop this thread's stale cache entries (others match no live uid) */
	for (int i = 0; i < TL_RINGS; i++)
		if (tl_rings[i].uid == io->uid)
			tl_rings[i].r = NULL;
	for (int f = 0; f < 2; f++) {
		if (io->dfd[f] >= 0)
			close(io->dfd[f]);
		if (io->bfd[f] >= 0)
			close(io->bfd[f]);
	}
	pthread_mutex_destroy(&io->lock);
	free(io);
}

/* Make [off, off+len) of a file allocated and written: zeros into its holes
 * (unwritten extents count as holes; allocated data is left alone), then
 * fdatasync, so that later writes there change no filesystem metadata and
 * a flush after them is a device cache flush, not a journal commit.  A
 * block device has nothing to prepare.  Runs on the engine's preparation
 * thread: plain blocking writes, through the O_DIRECT descriptor when there
 * is one (no page cache). */
static int fd_prepare(void *priv, enum cow_file f, size_t len, uint64_t off)
{
	struct fdio *io = priv;
	int fd = io->dfd[f] >= 0 ? io->dfd[f] : io->bfd[f];
	uint64_t end = off + len;
	void *z = NULL;
	bool wrote = false;
	int r = 0;

	if (io->blk[f])
		return -EOPNOTSUPP;
	while (!r && off < end) {
		off_t h = lseek(io->bfd[f], (off_t)off, SEEK_HOLE), d;
		uint64_t hend;

		if (h < 0) {
			r = errno == ENXIO ? 0 : -errno;	/* past the end */
			break;
		}
		if ((uint64_t)h >= end)
			break;
		d = lseek(io->bfd[f], h, SEEK_DATA);
		if (d < 0 && errno != ENXIO) {
			r = -errno;
			break;
		}
		hend = d < 0 || (uint64_t)d > end ? end : (uint64_t)d;
		if (!z && !(z = cow_alloc_aligned(BOUNCE))) {
			r = -ENOMEM;
			break;
		}
		memset(z, 0, BOUNCE);
		for (off = (uint64_t)h; !r && off < hend; ) {
			size_t n = hend - off < BOUNCE ? hend - off : BOUNCE;
			ssize_t w = pwrite(fd, z, n, (off_t)off);

			if (w < 0 && fd == io->dfd[f] && errno == EINVAL)
				w = pwrite(fd = io->bfd[f], z, n, (off_t)off);
			if (w < 0)
				r = -errno;
			else if (w == 0)
				r = -EIO;
			else
				off += (uint64_t)w;
			wrote = true;
		}
	}
	cow_free_aligned(z);
	if (!r && wrote && fdatasync(io->bfd[f]))
		r = -errno;
	return r;
}

/* ---- asynchronous I/O (cow_aio_*): a ring of the caller's, both direct
 * descriptors registered, a table of the requests in flight (their user
 * data is the index: nothing is allocated per request) ---- */
struct aioslot {
	void *tag;
	char *buf;
	size_t len;
	uint64_t off;
	int f, wr;
};

struct aioq {
	struct fdio *io;
	struct io_uring ring;
	unsigned depth, nfree, unsubmitted;
	struct aioslot *slot;
	unsigned *free;
};

static void fd_aio_free(void *priv)
{
	struct aioq *q = priv;

	if (!q)
		return;
	io_uring_unregister_files(&q->ring);	/* now, as in fd_close */
	io_uring_queue_exit(&q->ring);
	free(q->slot);
	free(q->free);
	free(q);
}

static void *fd_aio_new(void *priv, unsigned depth)
{
	struct fdio *io = priv;
	struct aioq *q;
	int fds[2];

	if (atomic_load(&io->no_uring) || !depth ||
	    (io->dfd[COW_ORIGIN] < 0 && io->dfd[COW_DIFF] < 0))
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->io = io;
	q->depth = depth;
	q->slot = calloc(depth, sizeof(*q->slot));
	q->free = calloc(depth, sizeof(*q->free));
	if (!q->slot || !q->free ||
	    io_uring_queue_init(depth, &q->ring, 0)) {
		free(q->slot);
		free(q->free);
		free(q);
		return NULL;
	}
	for (int f = 0; f < 2; f++)
		fds[f] = io->dfd[f] >= 0 ? io->dfd[f] : io->bfd[f];
	if (io_uring_register_files(&q->ring, fds, 2)) {
		fd_aio_free(q);
		return NULL;
	}
	for (unsigned i = 0; i < depth; i++)
		q->free[i] = depth - 1 - i;
	q->nfree = depth;
	return q;
}

static int fd_aio_queue(void *priv, enum cow_file f, int wr, void *buf,
			size_t len, uint64_t off, void *tag)
{
	struct aioq *q = priv;
	struct io_uring_sqe *sqe;
	unsigned s;

	if (q->io->dfd[f] < 0 || ((uintptr_t)buf & (COW_ALIGN - 1)) ||
	    len > INT32_MAX)
		return -EOPNOTSUPP;
	if (!q->nfree)
		return -EBUSY;
	sqe = io_uring_get_sqe(&q->ring);
	if (!sqe) {
		/* cannot happen: as many entries as slots */
		return -EBUSY;
	}
	s = q->free[--q->nfree];
	q->slot[s] = (struct aioslot){ tag, buf, len, off, f, wr };
	if (wr)
		io_uring_prep_write(sqe, f, buf, len, off);
	else
		io_uring_prep_read(sqe, f, buf, len, off);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, s);
	q->unsubmitted++;
	return 0;
}

/* A completion's result: the rest of a short transfer done here, and what
 * the device refuses direct done buffered, as do_rw does. */
static int aio_result(struct aioq *q, const struct aioslot *sl, int res)
{
	struct fdio *io = q->io;

	if (res < 0 && res != -EINVAL)
		return res;
	if (res == -EINVAL)
		return rw_sync(io->bfd[sl->f], sl->wr, sl->buf, sl->len,
			       sl->off);
	if (res == 0 && sl->len)
		return sl->wr ? -ENOSPC : -EIO;	/* beyond the end */
	if ((size_t)res < sl->len)
		return rw_sync(io->dfd[sl->f], sl->wr, sl->buf + res,
			       sl->len - res, sl->off + res);
	return 0;
}

static int fd_aio_wait(void *priv, unsigned min, void **tags, int *res,
		       unsigned max)
{
	struct aioq *q = priv;
	struct io_uring_cqe *cqe;
	unsigned got = 0;
	int r;

	while (q->unsubmitted) {
		r = io_uring_submit(&q->ring);
		if (r > 0)
			q->unsubmitted -= (unsigned)r > q->unsubmitted ?
					  q->unsubmitted : (unsigned)r;
		else if (r != -EINTR && r != -EAGAIN && r != -EBUSY)
			return r ? r : -EIO;
		else if (q->nfree + q->unsubmitted < q->depth)
			break;	/* out of kernel resources: reap first */
	}
	while (got < max && q->nfree < q->depth) {
		if (io_uring_peek_cqe(&q->ring, &cqe)) {
			if (got >= min || q->nfree + q->unsubmitted >= q->depth)
				break;
			r = ring_cqe_of(&q->ring, &cqe);
			if (r < 0)
				return r;
		}
		unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);
		int cres = cqe->res;

		io_uring_cqe_seen(&q->ring, cqe);
		tags[got] = q->slot[s].tag;
		res[got++] = aio_result(q, &q->slot[s], cres);
		q->free[q->nfree++] = s;
	}
	return (int)got;
}

static const struct cow_io_ops fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.zero = fd_zero,
	.copy = fd_copy,
	.size = fd_size,
	.close = fd_close,
	.write_durable = fd_write_durable,
	.grow = fd_grow,
	.prepare = fd_prepare,
	.aio_new = fd_aio_new,
	.aio_free = fd_aio_free,
	.aio_queue = fd_aio_queue,
	.aio_wait = fd_aio_wait,
};

static int open_one(struct fdio *io, enum cow_file f, const char *path,
		    bool create, uint64_t size, struct stat *st)
{
	int fl = O_RDWR | O_CLOEXEC;

	io->bfd[f] = open(path, fl | (create ? O_CREAT : 0), 0600);
	if (io->bfd[f] < 0 || fstat(io->bfd[f], st))
		return -errno;
	io->blk[f] = S_ISBLK(st->st_mode);
	if (!io->blk[f] && !S_ISREG(st->st_mode))
		return -EINVAL;
	if (io->blk[f]) {
		if (ioctl(io->bfd[f], BLKGETSIZE64, &io->size[f]))
			return -errno;
		if (size && size < io->size[f])
			io->size[f] = size;
	} else {
		if (create && size && (f == COW_DIFF ||
				       (uint64_t)st->st_size < size) &&
		    ftruncate(io->bfd[f], (off_t)size))
			return -errno;
		io->size[f] = create && size &&
			      (f == COW_DIFF || (uint64_t)st->st_size < size) ?
			      size : (uint64_t)st->st_size;
	}
	io->dfd[f] = -1;
	if (!(io->flags & COW_IO_BUFFERED))
		io->dfd[f] = open(path, fl | O_DIRECT);
	return 0;
}

int cow_io_open_files(const char *origin, const char *diff, unsigned flags,
		      uint64_t origin_size, uint64_t diff_size,
		      const struct cow_io_ops **ops, void **priv)
{
	struct fdio *io = calloc(1, sizeof(*io));
	bool create = flags & COW_IO_CREATE;
	struct stat so, sd;
	int r;

	if (!io)
		return -ENOMEM;
	io->dfd[0] = io->dfd[1] = io->bfd[0] = io->bfd[1] = -1;
	io->flags = flags;
	pthread_mutex_init(&io->lock, NULL);
	/* COW_NO_URING=1: for valgrind, which cannot see what the kernel
	 * writes into buffers through a ring */
	if (flags & COW_IO_NO_URING || getenv("COW_NO_URING"))
		atomic_store(&io->no_uring, true);
	r = open_one(io, COW_ORIGIN, origin, create, origin_size, &so);
	if (!r)
		r = open_one(io, COW_DIFF, diff, create, diff_size, &sd);
	/* the diff area may not be, or live on, the origin */
	if (!r && ((so.st_dev == sd.st_dev && so.st_ino == sd.st_ino) ||
		   (io->blk[COW_ORIGIN] && sd.st_dev == so.st_rdev) ||
		   (io->blk[COW_DIFF] && so.st_dev == sd.st_rdev)))
		r = -EXDEV;
	pthread_mutex_lock(&live_lock);
	io->uid = next_uid++;
	io->live_next = live_list;
	live_list = io;
	pthread_mutex_unlock(&live_lock);
	if (r) {
		fd_close(io);
		return r;
	}
	*ops = &fd_ops;
	*priv = io;
	return 0;
}
