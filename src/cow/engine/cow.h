/* cow.h — the openvss copy-on-write engine.
 *
 * A volume is an origin (file or block device) cut into fixed chunks and a
 * diff area (file or block device, bounded) that holds preserved chunks and
 * the engine's metadata.  Snapshots are epochs: creating one is O(1).  The
 * on-disk format, the index and the ordering rules are described at the top
 * of cow.c.
 *
 * Every call returns 0 (or a count) on success and -errno on failure.
 * Offsets and lengths of I/O calls are multiples of COW_SECTOR.  All calls
 * may be made from many threads at once, except cow_volume_close() and
 * cow_revert() (which wants the volume offline: no concurrent I/O).
 */
#ifndef OPENVSS_COW_H
#define OPENVSS_COW_H

#include <stddef.h>
#include <stdint.h>

#define COW_SECTOR		512u
#define COW_MAX_SNAPSHOTS	512u
#define COW_CHUNK_MIN		4096u
#define COW_CHUNK_MAX		(1u << 20)
/* 64 KiB, from vss-cowbench's chunk sweep (1 GiB origin on a file, QD16,
 * 4 rounds per run, the project's 2-vCPU machine; issue #4, session 8).
 * Random 4 KiB first writes after a snapshot (each copies a whole chunk):
 * about 3800-4700/s from 4 to 64 KiB chunks (3200-3800 at 64 KiB), where
 * a commit's flush, not the copy, bounds them; 2300-2500 at 128 KiB,
 * 1600-1800 at 256 KiB, 400-470 at 1 MiB.  Sequential 1 MiB first writes:
 * 213 MB/s at 4 KiB (0.59 of the ideal copy-on-write chain there), 370 at
 * 16-32 KiB, 350-470 from 64 KiB up.  So 64 KiB is the largest chunk before
 * random first writes fall, and sequential ones are at their best there;
 * it also keeps the index small (24 bytes per chunk of the origin: 384 MiB
 * for 1 TiB; 768 MiB at 32 KiB, 6 GiB at 4 KiB).  Measured against the
 * ideal chain of their own size, random first writes make 0.48-0.64 of it
 * below 64 KiB, 0.58-0.78 at 64 KiB and 0.79-1.23 from 128 KiB up: a
 * larger chunk lengthens the ideal's copy, not the engine's flush, so the
 * ratio rises while the engine gets slower in absolute terms. */
#define COW_CHUNK_DEFAULT	(64u << 10)
/* A diff file is allocated (zeros written, made durable) by a thread of
 * the volume up to this far past the slots in use, ahead of use. */
#define COW_PREP_AHEAD		(128u << 20)
#define COW_TAG_LEN		16

struct cow_volume;

/* ---- backing I/O: every byte the engine moves goes through this vector,
 * so tests can swap in a layer that simulates power cuts. ---- */
enum cow_file { COW_ORIGIN = 0, COW_DIFF = 1 };

struct cow_io_ops {
	/* Whole-length positional I/O; -errno on failure (short I/O is the
	 * backend's business to finish or fail). */
	int (*read)(void *io, enum cow_file f, void *buf, size_t len,
		    uint64_t off);
	int (*write)(void *io, enum cow_file f, const void *buf, size_t len,
		     uint64_t off);
	/* Make every completed write to f durable. */
	int (*flush)(void *io, enum cow_file f);
	/* Make [off, off+len) of f read back as zeros (discard). */
	int (*zero)(void *io, enum cow_file f, size_t len, uint64_t off);
	/* Copy n extents from the origin to the diff area (the first half of
	 * a copy-on-write step) and set crc[i] to cow_crc32c(0, data, len[i])
	 * of the data copied.  NULL: the engine reads and writes itself. */
	int (*copy)(void *io, unsigned n, const uint64_t *src,
		    const uint64_t *dst, const uint32_t *len, uint32_t *crc);
	uint64_t (*size)(void *io, enum cow_file f);
	void (*close)(void *io);
	/* Write and make just that write durable (a FUA write where the
	 * device has one).  NULL: the engine calls write, then flush. */
	int (*write_durable)(void *io, enum cow_file f, const void *buf,
			     size_t len, uint64_t off);
	/* Make f at least *size bytes long, or set *size to the most it can
	 * be when it cannot grow that far (a block device).  NULL: f keeps
	 * its size. */
	int (*grow)(void *io, enum cow_file f, uint64_t *size);
	/* Make [off, off+len) of f allocated and written (zeros where it is
	 * a hole; what is allocated is left as it is) and that allocation
	 * durable, so that later writes there change no metadata of the
	 * filesystem holding f.  -EOPNOTSUPP (also for len 0): nothing of f
	 * needs it (a block device).  NULL: the same. */
	int (*prepare)(void *io, enum cow_file f, size_t len, uint64_t off);
	/* Asynchronous I/O for cow_aio_* (all four, or none: then the
	 * engine does those requests synchronously with read and write).
	 * aio_new: a queue for up to depth requests in flight, used by one
	 * thread at a time; NULL when it cannot have one.  aio_queue: take
	 * one request for the next aio_wait to submit (tag is the caller's);
	 * -EBUSY: depth requests are in flight, wait first; -EOPNOTSUPP:
	 * this one cannot go asynchronously (unaligned buffer, no direct
	 * descriptor), do it with read or write.  aio_wait: submit what is
	 * queued, wait until at least min requests have completed (fewer
	 * when fewer are in flight) and give up to max of them: tags[i],
	 * res[i] = 0 or -errno (short I/O is finished or failed by the
	 * backend).  Returns the number given, or -errno; after an error the
	 * queue is good for aio_free only. */
	void *(*aio_new)(void *io, unsigned depth);
	void (*aio_free)(void *q);
	int (*aio_queue)(void *q, enum cow_file f, int write, void *buf,
			 size_t len, uint64_t off, void *tag);
	int (*aio_wait)(void *q, unsigned min, void **tags, int *res,
			unsigned max);
};

/* The default backend: files or block devices, O_DIRECT where the backing
 * allows, an io_uring per calling thread (created lazily) with the files
 * and a bounce buffer registered.  flags: COW_IO_NO_URING forces pread/
 * pwrite, COW_IO_BUFFERED forbids O_DIRECT. */
#define COW_IO_NO_URING		0x1u
#define COW_IO_BUFFERED		0x2u
#define COW_IO_CREATE		0x4u	/* create missing files (sparse) */
int cow_io_open_files(const char *origin, const char *diff, unsigned flags,
		      uint64_t origin_size, uint64_t diff_size,
		      const struct cow_io_ops **ops, void **io);

/* ---- volumes ---- */
struct cow_params {
	uint32_t chunk_size;	/* power of two, COW_CHUNK_MIN..MAX; 0 = default */
	uint64_t origin_size;	/* for a new origin file; 0 = use its size */
	uint64_t diff_max;	/* size of the diff area (shadow storage); also
				 * its maximum until cow_set_diff_max() */
	unsigned io_flags;	/* COW_IO_* */
	uint64_t diff_prealloc;	/* bytes of the diff file, metadata included,
				 * to have allocated (zeros written) at
				 * creation; later the engine allocates
				 * ahead of use by itself */
};

/* Write a fresh diff area (any previous content is forgotten). */
int cow_volume_create(const char *origin, const char *diff,
		      const struct cow_params *p);
/* -EUCLEAN: no valid superblock, or an index log damaged inside (not just
 * in its last block, as a crash leaves it); -EPROTONOSUPPORT: a diff area
 * of another format version.  Both leave the diff area untouched: make it
 * again. */
int cow_volume_open(const char *origin, const char *diff, unsigned io_flags,
		    struct cow_volume **out);
/* Same over any backend.  create_io leaves io to the caller; open_io takes
 * it over (the volume closes it, also when the open fails). */
int cow_volume_create_io(const struct cow_io_ops *ops, void *io,
			 uint32_t chunk_size);
int cow_volume_open_io(const struct cow_io_ops *ops, void *io,
		       struct cow_volume **out);
/* Clean close: flushes both files.  NULL is a no-op. */
int cow_volume_close(struct cow_volume *v);

/* ---- the origin (the live volume) ---- */
int cow_read(struct cow_volume *v, void *buf, size_t len, uint64_t off);
int cow_write(struct cow_volume *v, const void *buf, size_t len, uint64_t off);
int cow_flush(struct cow_volume *v);
/* The range reads back as zeros; snapshots keep the old data. */
int cow_discard(struct cow_volume *v, size_t len, uint64_t off);

/* ---- asynchronous origin and snapshot I/O ----
 * A context (cow_aio_new) lets one thread keep up to depth requests in
 * flight on the volume, on an io_uring of its own (with the default
 * backend; other backends, or an unaligned buffer, do them synchronously,
 * with the same results).  cow_aio_write, cow_aio_read and
 * cow_aio_snapshot_read start a request and return 0, or fail at once
 * with nothing started: -EAGAIN when depth requests are not yet reaped,
 * -EINVAL, -ENOENT (no such snapshot), or the volume's error.  Requests go
 * to the kernel, together, on the next cow_aio_reap, which waits until at
 * least min are done and gives up to max: each one's user pointer and
 * result (0 or -errno).  The buffer of a request is in use until it is
 * reaped.  A write is acknowledged when reaped, with cow_write's
 * guarantees; when it must first preserve chunks for a snapshot, its start
 * does that, synchronously.  A context is used by one thread at a time.
 * Writes and snapshot reads hold off snapshot creation and deletion (and
 * every other context's and thread's wait for them) until they are
 * reaped: a thread with requests in flight keeps reaping, and does not
 * call cow_write, cow_discard, cow_snapshot_* or cow_set_diff_max (which
 * may wait for the same thing) until it has reaped them all.  Free every
 * context of a volume before closing it. */
#define COW_AIO_MAX_DEPTH	4096u
struct cow_aio;
struct cow_aio_done {
	void *user;
	int res;
};
int cow_aio_new(struct cow_volume *v, unsigned depth, struct cow_aio **out);
/* Waits for the requests in flight; what is not reaped is dropped.
 * NULL is a no-op. */
void cow_aio_free(struct cow_aio *a);
int cow_aio_write(struct cow_aio *a, const void *buf, size_t len,
		  uint64_t off, void *user);
int cow_aio_read(struct cow_aio *a, void *buf, size_t len, uint64_t off,
		 void *user);
int cow_aio_snapshot_read(struct cow_aio *a, uint64_t id, void *buf,
			  size_t len, uint64_t off, void *user);
/* The number of requests reaped, or -errno (the volume broke). */
int cow_aio_reap(struct cow_aio *a, unsigned min, struct cow_aio_done *out,
		 unsigned max);
/* Requests started and not yet reaped. */
unsigned cow_aio_pending(const struct cow_aio *a);

/* ---- snapshots ---- */
struct cow_snapshot_info {
	uint64_t id;
	uint32_t epoch;
	uint64_t ctime_ns;	/* CLOCK_REALTIME at creation */
	uint8_t tag[COW_TAG_LEN];	/* opaque, e.g. the VSS snapshot GUID */
	uint64_t chunks_owned;	/* preserved chunks this snapshot reads */
};

/* O(1), nothing copied; durable when it returns (the origin is flushed
 * first so every acknowledged write is in the snapshot): a snapshot whose
 * creation returned 0 survives a crash, so creation costs one durable
 * superblock write (one device flush where the disk has no FUA), whatever
 * the origin's size.  At COW_MAX_SNAPSHOTS live snapshots it fails with
 * -ENOSPC and changes nothing: the caller deletes one (e.g. the oldest,
 * the first of cow_snapshot_list(), as VSS does) and creates again. */
int cow_snapshot_create(struct cow_volume *v, const uint8_t *tag,
			uint64_t *id);
/* The same in two steps, for a caller that holds writes while it creates
 * (vss-cowd inside the flush-and-hold window): cow_snapshot_begin opens
 * the new epoch in memory only (no I/O: microseconds, whatever the disk)
 * and the snapshot reads as taken from then on, while writes go on; it
 * becomes durable when cow_snapshot_persist (which makes every snapshot
 * begun so far durable: an origin flush and a durable superblock write)
 * returns 0, or with any later metadata write (a delete, a clean close).
 * A crash before that loses it, and only it: every other snapshot still
 * reads as taken.  Same errors as create. */
int cow_snapshot_begin(struct cow_volume *v, const uint8_t *tag, uint64_t *id);
int cow_snapshot_persist(struct cow_volume *v);
int cow_snapshot_delete(struct cow_volume *v, uint64_t id);
int cow_snapshot_read(struct cow_volume *v, uint64_t id, void *buf,
		      size_t len, uint64_t off);
/* Fills up to max entries, oldest first; returns the number of snapshots. */
int cow_snapshot_list(struct cow_volume *v, struct cow_snapshot_info *out,
		      unsigned max);
int cow_snapshot_info(struct cow_volume *v, uint64_t id,
		      struct cow_snapshot_info *out);

typedef void (*cow_progress_fn)(void *arg, uint64_t done, uint64_t total);
/* Make the origin read as snapshot id.  Wants the volume offline.  The
 * other snapshots (and id itself) stay intact. */
int cow_revert(struct cow_volume *v, uint64_t id, cow_progress_fn fn,
	       void *arg);

/* Called (from the writing thread, engine locks held: do not call back into
 * the engine) for each snapshot deleted because the diff area was full. */
typedef void (*cow_overflow_fn)(void *arg, uint64_t id,
				const uint8_t *tag);
void cow_set_overflow_cb(struct cow_volume *v, cow_overflow_fn fn, void *arg);

/* The diff area's maximum (bytes, metadata included), on a live volume.
 * Growing lets later preserves use more (a diff file grows, sparse, as far
 * as the index log can address: about 8 times the size it was created
 * with; a block device as far as its size).  Shrinking below what is used
 * deletes the oldest snapshots until the rest fits, each reported to the
 * overflow callback; the newer ones keep their data.  The maximum is
 * durable when it returns.  COW_DIFF_UNBOUNDED: no maximum but the space
 * there is (a write that finds the diff file's filesystem full deletes the
 * oldest snapshot, as a full diff area does).  -EINVAL below
 * cow_diff_min(). */
#define COW_DIFF_UNBOUNDED	UINT64_MAX
int cow_set_diff_max(struct cow_volume *v, uint64_t max);
/* The smallest maximum v takes: its metadata and one chunk. */
uint64_t cow_diff_min(struct cow_volume *v);

struct cow_stats {
	uint64_t origin_size;
	uint32_t chunk_size;
	uint64_t nchunks;
	uint32_t nsnapshots;
	uint32_t cur_epoch;
	uint64_t slots_total;		/* diff area capacity in chunks */
	uint64_t slots_used;		/* preserved chunks held */
	uint64_t diff_bytes_used;	/* slots_used * chunk_size + metadata */
	uint64_t diff_bytes_max;	/* the maximum, or COW_DIFF_UNBOUNDED */
	uint64_t preserves;		/* chunks copied since open */
	uint64_t commits;		/* group commits since open */
	uint64_t overflow_deleted;	/* snapshots deleted for space, ever */
	uint64_t log_compactions;	/* since open */
	uint64_t diff_bytes_capacity;	/* the diff area's address space now */
	uint64_t slots_limit;		/* slots the maximum allows */
	uint64_t diff_bytes_prepared;	/* allocated ahead of use (a diff
					 * file: zeros written by the
					 * engine's preparation thread) */
};
int cow_stats(struct cow_volume *v, struct cow_stats *st);

/* crc32c (Castagnoli), the checksum of all metadata. */
uint32_t cow_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
