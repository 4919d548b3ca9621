/* hold.c — the block-level write hold of vss-cowd (vss-protocol §3.3 D5-D7,
 * §12 "COW provider": the equivalent of a device-mapper suspend).
 *
 * Why: vssd freezes the filesystems of a set with FIFREEZE, but a volume
 * used raw (a database on the block device) has nothing to freeze, and the
 * volumes of a set must still be committed at one instant.  Every write of
 * such a volume passes through our FUSE write path, so we hold it there.
 *
 * When: from the start of CommitSnapshots to its end.  Not from PreCommit:
 * vssd's FIFREEZE comes after PreCommit (D5) and flushes through this very
 * write path, so holding earlier would stall the freeze until the bound.
 * Not until PostCommit either: vssd thaws (D7) before it sends PostCommit,
 * and thawing ext4 writes its superblock synchronously, so holding past the
 * commit would stall the thaw.  Commit therefore
 *   1. marks every volume of the set held: new writes, discards and fsyncs
 *      of the live volume wait (queued on a worker thread, never failed);
 *      reads and everything on snapshots go on;
 *   2. waits until the writes already in flight on those volumes are done,
 *      so each write lands wholly before or wholly after the snapshot;
 *   3. opens the engine epoch of every volume;
 *   4. releases the hold.
 * The hold is bounded (HOLD_BOUND_MS, vssd's own 10 s hold window): a
 * waiting write that reaches the bound, or an AbortSnapshots or lost vssd
 * connection meanwhile, breaks the hold; every write is released at once
 * and the commit fails, so vssd aborts the set.  A snapshot is never made
 * from a broken hold.
 *
 * One lock (hold_lock) guards the hold state; each volume's held flag is
 * set and cleared under it, and its inflight count is atomic, so a write
 * to a volume that is not held takes no lock (hold_io_begin).  The lock is
 * never held across I/O.  Commit holds no other
 * lock meanwhile (not tbl_lock: a read whose attributes expired asks
 * GETATTR, which takes it), and a reference on each volume it holds. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "cow/cowd/cowd.h"

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond;
static pthread_once_t hold_once = PTHREAD_ONCE_INIT;
static bool hold_on;		/* a commit holds its volumes */
static bool hold_broken;	/* bound passed or cancelled: commit fails */
static struct timespec hold_deadline;
static struct timespec hold_started;

static void hold_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&hold_cond, &a);
	pthread_condattr_destroy(&a);
}

unsigned hold_bound_ms(void)
{
	static unsigned ms;

	if (!ms) {
		const char *e = getenv("VSS_COWD_HOLD_MS");
		unsigned long v = e ? strtoul(e, NULL, 10) : 0;

		ms = v >= 100 && v <= HOLD_BOUND_MS ? (unsigned)v : HOLD_BOUND_MS;
	}
	return ms;
}

/* hold_lock: the bound passed (or cancelled): release everything. */
static void hold_break(void)
{
	hold_on = false;
	hold_broken = true;
	pthread_cond_broadcast(&hold_cond);
}

/* The fast path takes no lock: the writer counts itself in flight, then
 * looks at held; hold_begin sets held, then looks at inflight (both
 * sequentially consistent).  So either the writer sees the hold and steps
 * back to wait, or hold_begin sees the write and waits for its end. */
void hold_io_begin(struct cvol *v)
{
	atomic_fetch_add(&v->inflight, 1);
	if (!atomic_load(&v->held))
		return;
	hold_io_end(v);
	pthread_once(&hold_once, hold_init);
	pthread_mutex_lock(&hold_lock);
	while (hold_on && atomic_load(&v->held))
		if (pthread_cond_timedwait(&hold_cond, &hold_lock, &hold_deadline) == ETIMEDOUT &&
		    hold_on)
			hold_break();
	/* under hold_lock: a hold starting now sees this write */
	atomic_fetch_add(&v->inflight, 1);
	pthread_mutex_unlock(&hold_lock);
}

void hold_io_end(struct cvol *v)
{
	if (atomic_fetch_sub(&v->inflight, 1) == 1 && atomic_load(&v->held)) {
		/* the commit may wait for the drain: wake it (under the lock,
		 * so that it cannot miss this between its check and its wait) */
		pthread_once(&hold_once, hold_init);
		pthread_mutex_lock(&hold_lock);
		pthread_cond_broadcast(&hold_cond);
		pthread_mutex_unlock(&hold_lock);
	}
}

static bool drained(struct cvol *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (atomic_load(&v[i]->inflight))
			return false;
	return true;
}

int hold_begin(struct cvol *const *v, size_t n)
{
	pthread_once(&hold_once, hold_init);
	pthread_mutex_lock(&hold_lock);
	clock_gettime(CLOCK_MONOTONIC, &hold_started);
	hold_deadline = hold_started;
	hold_deadline.tv_sec += hold_bound_ms() / 1000;
	hold_deadline.tv_nsec += (long)(hold_bound_ms() % 1000) * 1000000L;
	if (hold_deadline.tv_nsec >= 1000000000L) {
		hold_deadline.tv_sec++;
		hold_deadline.tv_nsec -= 1000000000L;
	}
	hold_on = true;
	hold_broken = false;
	for (size_t i = 0; i < n; i++)
		atomic_store(&v[i]->held, true);
	while (hold_on && !drained(v, n))
		if (pthread_cond_timedwait(&hold_cond, &hold_lock, &hold_deadline) == ETIMEDOUT &&
		    hold_on)
			hold_break();
	pthread_mutex_unlock(&hold_lock);
	return hold_broken ? -ETIMEDOUT : 0;
}

int hold_end(struct cvol *const *v, size_t n, int64_t *held_us)
{
	struct timespec now;
	bool broken;

	pthread_mutex_lock(&hold_lock);
	broken = hold_broken;
	hold_on = false;
	hold_broken = false;
	for (size_t i = 0; i < n; i++)
		atomic_store(&v[i]->held, false);
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (held_us)
		*held_us = (now.tv_sec - hold_started.tv_sec) * 1000000LL +
			(now.tv_nsec - hold_started.tv_nsec) / 1000;
	return broken ? -ETIMEDOUT : 0;
}

void hold_cancel(void)
{
	pthread_once(&hold_once, hold_init);
	pthread_mutex_lock(&hold_lock);
	if (hold_on)
		hold_break();
	pthread_mutex_unlock(&hold_lock);
}
