/* test-cow-model.c — the engine against a simple in-memory model.
 *
 *  random:   thousands of random writes, discards, snapshot creations and
 *            deletions, flushes and reads; the origin and every snapshot are
 *            compared sector for sector with the model after each batch
 *            (in-memory backend, then real files with io_uring); a
 *            quarter of the writes go as batches of asynchronous requests
 *            (cow_aio_*: writes, origin and snapshot reads in flight
 *            together, snapshot reads often over what a write of the
 *            batch overwrites).
 *  powercut: the in-memory backend fails every I/O after a random point,
 *            then keeps only what flushes made durable plus a random,
 *            reordered, partly torn subset of the rest; the volume is
 *            reopened and every snapshot must read exactly as the model;
 *            the origin may only have lost writes never flushed.
 *  Snapshots are taken both whole (cow_snapshot_create) and in two steps
 *  (cow_snapshot_begin, writes, cow_snapshot_persist, as vss-cowd does
 *  across CommitSnapshots and PostCommitSnapshots): a crash may lose the
 *  ones begun and not yet persisted, never others.
 *  powercut_threads: the same cut with writers on several threads (so
 *            group commits hold preserves of several writers, and
 *            persists and log compactions race them) while snapshots are
 *            made, persisted and deleted; every snapshot acknowledged must
 *            read after the cut as it read right after it was made.
 *  kill9:    a child runs the workload on real files and reports each
 *            operation before and after it to a pipe; the parent kills it
 *            with SIGKILL at a random instant, reopens, verifies.
 * Every run prints its seed; COW_SEED=n replays one, COW_STRESS=1 runs
 * ten times longer. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cow-testlib.h"

#define CHUNK	4096u
#define OSIZE	(64u * CHUNK)
#define DSIZE	(65536u + 82u * 4096u)	/* about 40 slots: overflow happens */
#define MAXSNAP	24u

enum op { OP_WRITE, OP_DISCARD, OP_SNAP, OP_DELETE, OP_FLUSH, OP_READ,
	  OP_OVERFLOW, OP_BEGIN, OP_PERSIST, OP_NONE };

struct rec {
	uint32_t op;
	uint32_t done;
	uint64_t a, b, c;
};

struct wl {
	struct model m;
	struct cow_volume *v;
	uint64_t rng;
	int report_fd;		/* kill9: the child's end of the pipe */
	unsigned nops, noverflow;
	/* snapshots begun (cow_snapshot_begin) and not known durable yet
	 * have ids >= pend_lo (0: none); a crash may lose them, all of
	 * them or none */
	uint64_t pend_lo;
	struct rec last;	/* the last operation begun or done */
	/* for chunks_owned: op number of each chunk's last write, and of
	 * each snapshot's creation (indexed by id) */
	uint64_t wseq[OSIZE / CHUNK];
	uint64_t *sseq;
	size_t nsseq;
	struct cow_aio *aio;	/* random: some writes go in batches */
	unsigned naio;
};

/* Op number w->nops touched sectors [sec, sec+n). */
static void owned_write(struct wl *w, uint64_t sec, uint64_t n)
{
	for (uint64_t c = sec * 512 / CHUNK; c <= (sec + n - 1) * 512 / CHUNK;
	     c++)
		w->wseq[c] = w->nops;
}

static void owned_snap(struct wl *w, uint64_t id)
{
	if (id >= w->nsseq) {
		size_t n = (id + 1) * 2;

		w->sseq = realloc(w->sseq, n * sizeof(*w->sseq));
		ck_assert_ptr_nonnull(w->sseq);
		memset(w->sseq + w->nsseq, 0, (n - w->nsseq) * sizeof(*w->sseq));
		w->nsseq = n;
	}
	w->sseq[id] = w->nops;
}

/* Every snapshot owns (reads from the diff area) exactly the chunks
 * written after it was created: one copy is shared by all the snapshots
 * it serves. */
static int owned_verify(struct wl *w)
{
	struct cow_snapshot_info info[MODEL_MAX_SNAPS];
	int n = cow_snapshot_list(w->v, info, MODEL_MAX_SNAPS);

	for (int k = 0; k < n; k++) {
		uint64_t want = 0;

		for (unsigned c = 0; c < OSIZE / CHUNK; c++)
			want += w->wseq[c] > w->sseq[info[k].id];
		if (info[k].chunks_owned != want) {
			fprintf(stderr, "snapshot %llu owns %llu chunks, "
				"not %llu\n", (unsigned long long)info[k].id,
				(unsigned long long)info[k].chunks_owned,
				(unsigned long long)want);
			return -1;
		}
	}
	return n < 0 ? n : 0;
}

static unsigned scale(void)
{
	return getenv("COW_STRESS") ? 10 : 1;
}

static uint64_t seed_for(const char *what)
{
	const char *s = getenv("COW_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) :
			(uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);

	fprintf(stderr, "%s: seed %llu (COW_SEED=%llu replays it)\n", what,
		(unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

static void report(struct wl *w, uint32_t op, uint32_t done, uint64_t a,
		   uint64_t b, uint64_t c)
{
	struct rec r = { op, done, a, b, c };

	if (op != OP_OVERFLOW)
		w->last = r;
	if (w->report_fd >= 0 &&
	    write(w->report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
}

static void on_overflow(void *arg, uint64_t id, const uint8_t *tag)
{
	struct wl *w = arg;

	(void)tag;
	model_drop(&w->m, id);
	w->pend_lo = 0;		/* its superblock write */
	w->noverflow++;
	report(w, OP_OVERFLOW, 1, id, 0, 0);
}

/* One random operation; the model follows only when the engine said yes. */
#define AIO_BATCH	8u

struct aio_slot {
	int kind;		/* 0 write, 1 origin read, 2 snapshot read */
	uint64_t sec, n, tag;
	uint64_t *want;		/* a read: the model's sectors at its start
				 * (an overflow may drop its snapshot from the
				 * model after the read, before the check) */
	char *mem, *buf;	/* buf: mem, or mem + 8 (unaligned for
				 * O_DIRECT: done synchronously) */
	bool started;
};

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* A batch of requests in flight at once on the volume's aio context:
 * writes (never two over the same sectors), origin reads of sectors no
 * write of the batch touches, and snapshot reads of any sectors (those
 * written meanwhile too: a snapshot never moves); each checked against
 * the model when reaped, a write entering the model then. */
static int aio_batch(struct wl *w)
{
	struct model *m = &w->m;
	struct aio_slot sl[AIO_BATCH];
	struct cow_aio_done done[AIO_BATCH];
	unsigned k = 1 + (unsigned)rnd_below(&w->rng, AIO_BATCH), left = 0;
	int r = 0;

	memset(sl, 0, sizeof(sl));
	for (unsigned i = 0; i < k; i++) {
		struct aio_slot *a = &sl[i];
		uint64_t x = rnd_below(&w->rng, 100);
		bool clash;

		a->kind = x < 60 ? 0 : x < 75 || !m->nsnaps ? 1 : 2;
		do {
			unsigned p = i ? (unsigned)rnd_below(&w->rng, i) : 0;

			a->sec = rnd_below(&w->rng, m->nsec);
			a->n = 1 + rnd_below(&w->rng, rnd_below(&w->rng, 3) ?
						      16 : 3 * CHUNK / 512);
			if (a->n > m->nsec - a->sec)
				a->n = m->nsec - a->sec;
			/* often over what a snapshot read started before
			 * reads: its origin part may then complete after
			 * this write, and it must read the copy instead */
			if (a->kind == 0 && i && sl[p].kind == 2 &&
			    rnd_below(&w->rng, 2)) {
				a->sec = sl[p].sec;
				a->n = sl[p].n;
			}
			clash = false;
			for (unsigned j = 0; j < i && a->kind != 2; j++)
				if ((sl[j].kind == 0 || a->kind == 0) &&
				    sl[j].kind != 2 &&
				    overlaps(a->sec, a->n, sl[j].sec, sl[j].n))
					clash = true;
		} while (clash);
		if (posix_memalign((void **)&a->mem, 4096,
				   (a->n + 1) * COW_SECTOR))
			return -ENOMEM;
		a->buf = a->mem + (rnd_below(&w->rng, 8) ? 0 : 8);
		if (a->kind == 0) {
			a->tag = m->next_tag++;
			fill_sectors(a->buf, a->sec, a->n, a->tag);
			r = cow_aio_write(w->aio, a->buf, a->n * COW_SECTOR,
					  a->sec * COW_SECTOR, a);
		} else if (a->kind == 1) {
			a->want = malloc(a->n * sizeof(*a->want));
			if (!a->want)
				return -ENOMEM;
			memcpy(a->want, m->origin + a->sec,
			       a->n * sizeof(*a->want));
			r = cow_aio_read(w->aio, a->buf, a->n * COW_SECTOR,
					 a->sec * COW_SECTOR, a);
		} else {
			int snap = (int)rnd_below(&w->rng, m->nsnaps);

			a->want = malloc(a->n * sizeof(*a->want));
			if (!a->want)
				return -ENOMEM;
			memcpy(a->want, m->snaps[snap].sec + a->sec,
			       a->n * sizeof(*a->want));
			r = cow_aio_snapshot_read(w->aio, m->snaps[snap].id,
						  a->buf, a->n * COW_SECTOR,
						  a->sec * COW_SECTOR, a);
		}
		if (r)
			break;
		a->started = true;
		left++;
		/* sometimes take what is done already, without waiting */
		if (!rnd_below(&w->rng, 4)) {
			int got = cow_aio_reap(w->aio, 0, done, 0);

			if (got)
				return got < 0 ? got : -EPROTO;
		}
	}
	while (left) {
		int got = cow_aio_reap(w->aio, 1, done, AIO_BATCH);

		if (got <= 0)
			return got ? got : -EPROTO;
		for (int g = 0; g < got; g++) {
			struct aio_slot *a = done[g].user;

			left--;
			if (done[g].res && !r)
				r = done[g].res;
			if (done[g].res)
				continue;
			if (a->kind == 0) {
				model_write(m, a->sec, a->n, a->tag);
				owned_write(w, a->sec, a->n);
				continue;
			}
			for (uint64_t q = 0; q < a->n && !r; q++)
				if (sector_tag(a->buf + q * 512, a->sec + q) !=
				    a->want[q]) {
					fprintf(stderr, "aio read check: %s "
						"sector %llu\n", a->kind == 1 ?
						"origin" : "snapshot",
						(unsigned long long)(a->sec + q));
					r = -EBADMSG;
				}
		}
	}
	if (!r && cow_aio_pending(w->aio))
		r = -EPROTO;
	for (unsigned i = 0; i < k; i++) {
		free(sl[i].mem);
		free(sl[i].want);
	}
	w->naio++;
	return r;
}

static int wl_step(struct wl *w)
{
	struct model *m = &w->m;
	uint64_t x = rnd_below(&w->rng, 100), sec, n, tag, id;
	void *buf = NULL;
	int r = 0;

	sec = rnd_below(&w->rng, m->nsec);
	n = rnd_below(&w->rng, 4) ? 1 + rnd_below(&w->rng, 16) :
				    1 + rnd_below(&w->rng, 3 * CHUNK / 512);
	if (n > m->nsec - sec)
		n = m->nsec - sec;
	w->nops++;
	if (x < 55 && w->aio && !rnd_below(&w->rng, 4))
		return aio_batch(w);
	if (x < 55) {
		tag = m->next_tag++;
		if (posix_memalign(&buf, 4096, n * COW_SECTOR))
			return -ENOMEM;
		fill_sectors(buf, sec, n, tag);
		report(w, OP_WRITE, 0, sec, n, tag);
		r = cow_write(w->v, buf, n * COW_SECTOR, sec * COW_SECTOR);
		if (!r) {
			model_write(m, sec, n, tag);
			owned_write(w, sec, n);
			report(w, OP_WRITE, 1, sec, n, tag);
		}
	} else if (x < 63) {
		report(w, OP_DISCARD, 0, sec, n, 0);
		r = cow_discard(w->v, n * COW_SECTOR, sec * COW_SECTOR);
		if (!r) {
			model_write(m, sec, n, 0);
			owned_write(w, sec, n);
			report(w, OP_DISCARD, 1, sec, n, 0);
		}
	} else if (x < 73) {
		/* whole (create), or in two steps (begin; persist later) */
		bool whole = x < 68;
		uint32_t op = whole ? OP_SNAP : OP_BEGIN;

		if (m->nsnaps >= MAXSNAP)
			return 0;
		report(w, op, 0, 0, 0, 0);
		r = whole ? cow_snapshot_create(w->v, NULL, &id) :
			    cow_snapshot_begin(w->v, NULL, &id);
		if (!r) {
			if (whole) {
				model_snap(m, id);
				w->pend_lo = 0;	/* its write covers them */
			} else {
				model_snap_begun(m, id);
				if (!w->pend_lo)
					w->pend_lo = id;
			}
			owned_snap(w, id);
			report(w, op, 1, id, 0, 0);
		}
	} else if (x < 80) {
		if (!m->nsnaps)
			return 0;
		id = m->snaps[rnd_below(&w->rng, m->nsnaps)].id;
		report(w, OP_DELETE, 0, id, 0, 0);
		r = cow_snapshot_delete(w->v, id);
		if (!r) {
			model_drop(m, id);
			w->pend_lo = 0;		/* its superblock write */
			report(w, OP_DELETE, 1, id, 0, 0);
		}
	} else if (x < 85 && w->pend_lo && rnd_below(&w->rng, 2)) {
		report(w, OP_PERSIST, 0, 0, 0, 0);
		r = cow_snapshot_persist(w->v);
		if (!r) {
			/* the origin as of each begin is durable, not what
			 * was written since (no model_flushed) */
			w->pend_lo = 0;
			report(w, OP_PERSIST, 1, 0, 0, 0);
		}
	} else if (x < 85) {
		report(w, OP_FLUSH, 0, 0, 0, 0);
		r = cow_flush(w->v);
		if (!r) {
			model_flushed(m);
			report(w, OP_FLUSH, 1, 0, 0, 0);
		}
	} else {
		/* read a range of the origin or a snapshot and check it */
		int k = m->nsnaps ? (int)rnd_below(&w->rng, m->nsnaps + 1) - 1
				  : -1;
		const uint64_t *want = k < 0 ? m->origin : m->snaps[k].sec;

		buf = malloc(n * COW_SECTOR);	/* unaligned on purpose */
		r = k < 0 ? cow_read(w->v, buf, n * COW_SECTOR, sec * 512) :
			    cow_snapshot_read(w->v, m->snaps[k].id, buf,
					      n * COW_SECTOR, sec * 512);
		for (uint64_t i = 0; !r && i < n; i++)
			if (sector_tag((char *)buf + i * 512, sec + i) !=
			    want[sec + i]) {
				fprintf(stderr, "read check: %s sector %llu\n",
					k < 0 ? "origin" : "snapshot",
					(unsigned long long)(sec + i));
				r = -EBADMSG;
			}
	}
	free(buf);
	return r;
}

static void wl_init(struct wl *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	model_init(&w->m, OSIZE);
	w->rng = seed;
	w->report_fd = -1;
}

/* ---- random ---- */
static void run_random(struct cow_volume *v, uint64_t seed, unsigned nops,
		       unsigned *checked)
{
	struct wl w;
	struct cow_stats st;

	wl_init(&w, seed);
	w.v = v;
	cow_set_overflow_cb(v, on_overflow, &w);
	ck_assert_int_eq(cow_aio_new(v, AIO_BATCH, &w.aio), 0);
	for (unsigned i = 0; i < nops; i++) {
		int r = wl_step(&w);

		if (r)
			ck_abort_msg("seed %llu op %u: %s",
				     (unsigned long long)seed, i, strerror(-r));
		if (i % 50 == 49) {
			if (model_verify(&w.m, v, true))
				ck_abort_msg("seed %llu: mismatch after op %u",
					     (unsigned long long)seed, i);
			if (owned_verify(&w))
				ck_abort_msg("seed %llu: chunks_owned wrong "
					     "after op %u",
					     (unsigned long long)seed, i);
			(*checked)++;
		}
	}
	ck_assert_int_eq(cow_stats(v, &st), 0);
	fprintf(stderr, "random: %u ops (%u aio batches), %u checks, %llu "
		"preserves, %u overflow deletions, %llu compactions\n", nops,
		w.naio, *checked, (unsigned long long)st.preserves,
		w.noverflow, (unsigned long long)st.log_compactions);
	ck_assert_uint_gt(w.noverflow, 0);
	ck_assert_uint_gt(w.naio, 0);
	cow_aio_free(w.aio);
	model_free(&w.m);
	free(w.sseq);
}

START_TEST(test_random_sim)
{
	struct sim *s = sim_new(OSIZE, DSIZE);
	struct cow_volume *v;
	unsigned checked = 0;

	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, CHUNK), 0);
	ck_assert_int_eq(cow_volume_open_io(sim_ops(), s, &v), 0);
	run_random(v, seed_for("random/sim"), 10000 * scale(), &checked);
	ck_assert_int_eq(cow_volume_close(v), 0);
	sim_free(s);
}
END_TEST

START_TEST(test_random_files)
{
	char *dir = tmpdir_make(), *o = path_join(dir, "origin"),
	     *d = path_join(dir, "diff");
	struct cow_params p = { .chunk_size = CHUNK, .origin_size = OSIZE,
				.diff_max = DSIZE };
	struct cow_volume *v;
	unsigned checked = 0;

	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &v), 0);
	run_random(v, seed_for("random/files"), 3000 * scale(), &checked);
	ck_assert_int_eq(cow_volume_close(v), 0);
	free(o);
	free(d);
	tmpdir_remove(dir);
}
END_TEST

/* ---- after a crash: square the model with what the volume says ---- */

/* The op in flight (begun, never acknowledged) decides what may differ. */
static void reconcile(struct wl *w, const struct rec *inflight,
		      uint64_t seed, unsigned trial)
{
	struct model *m = &w->m;
	struct cow_snapshot_info info[MODEL_MAX_SNAPS];
	int n = cow_snapshot_list(w->v, info, MODEL_MAX_SNAPS);
	bool may_overflow = inflight->op == OP_WRITE ||
			    inflight->op == OP_DISCARD;
	bool overflow_seen = may_overflow;
	uint64_t lost_begun = UINT64_MAX;
	uint8_t *buf;

	ck_assert_int_ge(n, 0);
	/* snapshots the model has but the volume lost: the one being
	 * deleted, or the oldest if a write was making room */
	for (unsigned i = 0; i < m->nsnaps; ) {
		bool found = false;

		for (int k = 0; k < n; k++)
			found |= info[k].id == m->snaps[i].id;
		if (found) {
			i++;
			continue;
		}
		if (inflight->op == OP_DELETE && inflight->a == m->snaps[i].id)
			;
		else if (w->pend_lo && m->snaps[i].id >= w->pend_lo)
		{
			/* begun, not persisted: lost in the crash */
			if (m->snaps[i].id < lost_begun)
				lost_begun = m->snaps[i].id;
		}
		else if (may_overflow && i == 0)
			may_overflow = false;
		else
			ck_abort_msg("seed %llu trial %u: snapshot %llu lost",
				     (unsigned long long)seed, trial,
				     (unsigned long long)m->snaps[i].id);
		model_drop(m, m->snaps[i].id);
	}
	/* a superblock write makes every snapshot begun so far durable: of
	 * those begun and not persisted, the ones kept are the oldest (unless
	 * an overflow in flight took the oldest) */
	for (int k = 0; k < n && !overflow_seen; k++)
		if (info[k].id > lost_begun)
			ck_abort_msg("seed %llu trial %u: begun snapshot %llu "
				     "kept, an older one lost",
				     (unsigned long long)seed, trial,
				     (unsigned long long)info[k].id);
	w->pend_lo = 0;		/* the reopen wrote the superblock */
	/* a snapshot the model does not know: the one being created */
	for (int k = 0; k < n; k++) {
		if (model_find(m, info[k].id) >= 0)
			continue;
		if (inflight->op != OP_SNAP || k != n - 1)
			ck_abort_msg("seed %llu trial %u: unknown snapshot %llu",
				     (unsigned long long)seed, trial,
				     (unsigned long long)info[k].id);
		model_snap(m, info[k].id);
	}
	/* the write in flight may have landed, in whole or in part: log it
	 * as allowed without changing the model's origin */
	if (inflight->op == OP_WRITE || inflight->op == OP_DISCARD) {
		uint64_t *old = malloc(inflight->b * sizeof(uint64_t));

		memcpy(old, m->origin + inflight->a,
		       inflight->b * sizeof(uint64_t));
		model_write(m, inflight->a, inflight->b, inflight->c);
		memcpy(m->origin + inflight->a, old,
		       inflight->b * sizeof(uint64_t));
		free(old);
	}
	if (model_verify(m, w->v, false))
		ck_abort_msg("seed %llu trial %u: mismatch after recovery "
			     "(in flight: op %u)", (unsigned long long)seed,
			     trial, inflight->op);
	/* from here on the origin is what it reads */
	buf = malloc(OSIZE);
	ck_assert_int_eq(cow_read(w->v, buf, OSIZE, 0), 0);
	for (uint64_t s = 0; s < m->nsec; s++)
		m->origin[s] = sector_tag(buf + s * COW_SECTOR, s);
	free(buf);
	model_flushed(m);
}

/* ---- power cut ---- */
START_TEST(test_powercut)
{
	uint64_t seed = seed_for("powercut"), rng = seed;
	unsigned trials = 1000 * scale(), cuts = 0;

	for (unsigned t = 0; t < trials; t++) {
		struct sim *s = sim_new(OSIZE, DSIZE);
		struct wl w;
		struct rec inflight = { .op = OP_NONE };
		int r = 0;

		wl_init(&w, rnd(&rng));
		ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, CHUNK), 0);
		ck_assert_int_eq(cow_volume_open_io(sim_ops(), s, &w.v), 0);
		cow_set_overflow_cb(w.v, on_overflow, &w);
		/* some history first, then cut at a random I/O */
		for (unsigned i = 0; i < 60 && !r; i++)
			r = wl_step(&w);
		ck_assert_int_eq(r, 0);
		sim_record(s, true);
		sim_fail_after(s, (long)rnd_below(&rng, 400));
		for (unsigned i = 0; i < 200 && !r; i++)
			r = wl_step(&w);
		if (r && !w.last.done)
			inflight = w.last;
		cow_volume_close(w.v);
		sim_cut(s, &rng);
		r = cow_volume_open_io(sim_ops(), s, &w.v);
		if (r)
			ck_abort_msg("seed %llu trial %u: reopen: %s",
				     (unsigned long long)seed, t, strerror(-r));
		cow_set_overflow_cb(w.v, on_overflow, &w);
		if (inflight.op != OP_NONE)
			cuts++;
		reconcile(&w, &inflight, seed, t);
		/* the recovered volume keeps working */
		for (unsigned i = 0; i < 40 && !r; i++)
			r = wl_step(&w);
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(model_verify(&w.m, w.v, true), 0);
		ck_assert_int_eq(cow_volume_close(w.v), 0);
		ck_assert_int_eq(cow_volume_open_io(sim_ops(), s, &w.v), 0);
		ck_assert_int_eq(model_verify(&w.m, w.v, true), 0);
		cow_volume_close(w.v);
		model_free(&w.m);
		free(w.sseq);
		sim_free(s);
	}
	fprintf(stderr, "powercut: %u trials, %u cut mid-operation\n",
		trials, cuts);
	ck_assert_uint_gt(cuts, trials / 2);
}
END_TEST

/* ---- power cut with concurrent writers ---- */
#define PT_WRITERS	4u
#define PT_SNAPS	24u

struct ptw {
	struct cow_volume *v;
	uint64_t rng, sec0, nsec;	/* its own sectors */
	_Atomic bool *stop;
	unsigned writes;
};

static void *pt_writer(void *arg)
{
	struct ptw *w = arg;
	void *buf;

	if (posix_memalign(&buf, 4096, 16 * COW_SECTOR))
		return NULL;
	while (!atomic_load(w->stop)) {
		uint64_t n = 1 + rnd_below(&w->rng, 16), sec;

		if (n > w->nsec)
			n = w->nsec;
		sec = w->sec0 + rnd_below(&w->rng, w->nsec - n + 1);
		fill_sectors(buf, sec, n, 1 + rnd_below(&w->rng, 1u << 30));
		if (cow_write(w->v, buf, n * COW_SECTOR, sec * COW_SECTOR))
			break;		/* the cut */
		w->writes++;
	}
	free(buf);
	return NULL;
}

struct ptsnap {
	uint64_t id;
	bool acked;		/* its creation (or persist) returned 0 */
	bool begun;		/* cow_snapshot_begin, not yet persisted */
	bool deleted;		/* deleted, or maybe (overflow, delete cut) */
	uint64_t *tags;		/* as read right after creation, or NULL */
};

static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER;

static void pt_overflow(void *arg, uint64_t id, const uint8_t *tag)
{
	struct ptsnap *sn = arg;

	(void)tag;
	pthread_mutex_lock(&pt_lock);
	for (unsigned i = 0; i < PT_SNAPS; i++)
		if (sn[i].id == id)
			sn[i].deleted = true;
	pthread_mutex_unlock(&pt_lock);
}

/* The tags of snapshot id, or NULL if a read failed (the cut). */
static uint64_t *pt_read(struct cow_volume *v, uint64_t id, uint64_t nsec)
{
	uint8_t *b = malloc(nsec * COW_SECTOR);
	uint64_t *t = malloc(nsec * sizeof(*t));

	if (cow_snapshot_read(v, id, b, nsec * COW_SECTOR, 0)) {
		free(t);
		t = NULL;
	}
	for (uint64_t i = 0; t && i < nsec; i++)
		t[i] = sector_tag(b + i * COW_SECTOR, i);
	free(b);
	return t;
}

START_TEST(test_powercut_threads)
{
	uint64_t seed = seed_for("powercut_threads"), rng = seed;
	unsigned trials = 150 * scale(), lost_begun = 0, checked = 0;
	const uint64_t nsec = OSIZE / COW_SECTOR;

	for (unsigned t = 0; t < trials; t++) {
		/* room for every snapshot's copies: overflow is the other
		 * tests' business; the log still compacts often */
		struct sim *s = sim_new(OSIZE, 65536 + 700u * CHUNK);
		struct ptsnap sn[PT_SNAPS];
		struct ptw w[PT_WRITERS];
		pthread_t th[PT_WRITERS];
		struct cow_volume *v;
		_Atomic bool stop = false;
		struct cow_snapshot_info info[PT_SNAPS];
		unsigned ns = 0;
		int r = 0, n;

		memset(sn, 0, sizeof(sn));
		ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, CHUNK), 0);
		ck_assert_int_eq(cow_volume_open_io(sim_ops(), s, &v), 0);
		cow_set_overflow_cb(v, pt_overflow, sn);
		sim_record(s, true);
		for (unsigned i = 0; i < PT_WRITERS; i++) {
			w[i] = (struct ptw){ .v = v, .rng = rnd(&rng),
					     .sec0 = i * nsec / PT_WRITERS,
					     .nsec = nsec / PT_WRITERS,
					     .stop = &stop };
			ck_assert_int_eq(pthread_create(&th[i], NULL, pt_writer,
							&w[i]), 0);
		}
		/* snapshots (whole or in two steps) and deletions until the
		 * cut makes something fail */
		while (!r && ns < PT_SNAPS) {
			uint64_t x = ns ? rnd_below(&rng, 10) : 0, id;

			usleep(200 + rnd_below(&rng, 800));
			if (x < 3) {
				r = cow_snapshot_create(v, NULL, &id);
				if (r)
					break;
				pthread_mutex_lock(&pt_lock);
				for (unsigned i = 0; i < ns; i++)
					sn[i].begun = false;
				sn[ns] = (struct ptsnap){ .id = id, .acked = true };
				pthread_mutex_unlock(&pt_lock);
				sn[ns].tags = pt_read(v, id, nsec);
				/* the cut comes after the first snapshot, at a
				 * random I/O from there */
				if (!ns++)
					sim_fail_after(s, 100 + (long)rnd_below(&rng,
								       3000));
			} else if (x < 6) {
				r = cow_snapshot_begin(v, NULL, &id);
				if (r)
					break;
				pthread_mutex_lock(&pt_lock);
				sn[ns] = (struct ptsnap){ .id = id, .acked = true,
							  .begun = true };
				pthread_mutex_unlock(&pt_lock);
				sn[ns].tags = pt_read(v, id, nsec);
				ns++;
			} else if (x < 8) {
				r = cow_snapshot_persist(v);
				pthread_mutex_lock(&pt_lock);
				for (unsigned i = 0; !r && i < ns; i++)
					sn[i].begun = false;
				pthread_mutex_unlock(&pt_lock);
			} else if (ns) {
				unsigned k = (unsigned)rnd_below(&rng, ns);
				bool gone;

				pthread_mutex_lock(&pt_lock);
				gone = sn[k].deleted;
				sn[k].deleted = true;	/* maybe, if it fails */
				pthread_mutex_unlock(&pt_lock);
				if (gone)
					continue;
				r = cow_snapshot_delete(v, sn[k].id);
				pthread_mutex_lock(&pt_lock);
				for (unsigned i = 0; !r && i < ns; i++)
					sn[i].begun = false;
				pthread_mutex_unlock(&pt_lock);
			}
		}
		atomic_store(&stop, true);
		for (unsigned i = 0; i < PT_WRITERS; i++)
			pthread_join(th[i], NULL);
		cow_volume_close(v);
		sim_cut(s, &rng);
		r = cow_volume_open_io(sim_ops(), s, &v);
		if (r)
			ck_abort_msg("seed %llu trial %u: reopen: %s",
				     (unsigned long long)seed, t, strerror(-r));
		n = cow_snapshot_list(v, info, PT_SNAPS);
		ck_assert_int_ge(n, 0);
		for (unsigned i = 0; i < ns; i++) {
			bool found = false;
			uint64_t *now;

			for (int k = 0; k < n; k++)
				found |= info[k].id == sn[i].id;
			if (!found) {
				if (sn[i].deleted)
					continue;
				if (sn[i].begun) {	/* lost in the cut */
					lost_begun++;
					continue;
				}
				ck_abort_msg("seed %llu trial %u: snapshot %llu "
					     "lost", (unsigned long long)seed, t,
					     (unsigned long long)sn[i].id);
			}
			if (!sn[i].tags)
				continue;
			now = pt_read(v, sn[i].id, nsec);
			ck_assert_ptr_nonnull(now);
			for (uint64_t q = 0; q < nsec; q++)
				if (now[q] != sn[i].tags[q])
					ck_abort_msg("seed %llu trial %u: snapshot "
						     "%llu sector %llu reads %llx, "
						     "was %llx",
						     (unsigned long long)seed, t,
						     (unsigned long long)sn[i].id,
						     (unsigned long long)q,
						     (unsigned long long)now[q],
						     (unsigned long long)sn[i].tags[q]);
			checked++;
			free(now);
		}
		/* the origin: whole sectors, each of some write (or zero) */
		{
			uint8_t *b = malloc(OSIZE);

			ck_assert_int_eq(cow_read(v, b, OSIZE, 0), 0);
			for (uint64_t q = 0; q < nsec; q++)
				ck_assert_uint_ne(sector_tag(b + q * COW_SECTOR,
							     q), UINT64_MAX);
			free(b);
		}
		ck_assert_int_eq(cow_volume_close(v), 0);
		for (unsigned i = 0; i < ns; i++)
			free(sn[i].tags);
		sim_free(s);
	}
	fprintf(stderr, "powercut_threads: %u trials, %u snapshots checked, "
		"%u begun ones lost in a cut\n", trials, checked, lost_begun);
	ck_assert_uint_gt(checked, trials / 3);	/* it did check some */
}
END_TEST

/* ---- kill -9 ---- */
static void child_run(const char *o, const char *d, struct wl *w, int fd)
{
	struct cow_volume *v;

	if (cow_volume_open(o, d, 0, &v))
		_exit(2);
	w->v = v;
	w->report_fd = fd;
	cow_set_overflow_cb(v, on_overflow, w);
	for (;;)
		if (wl_step(w))
			_exit(4);
}

START_TEST(test_kill9)
{
	uint64_t seed = seed_for("kill9"), rng = seed;
	unsigned trials = 400 * scale(), midop = 0;
	char *dir = tmpdir_make(), *o = path_join(dir, "origin"),
	     *d = path_join(dir, "diff");
	struct cow_params p = { .chunk_size = CHUNK, .origin_size = OSIZE,
				.diff_max = DSIZE };
	struct wl w;

	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	wl_init(&w, seed);
	for (unsigned t = 0; t < trials; t++) {
		struct rec r, inflight = { .op = OP_NONE };
		int pfd[2], st;
		pid_t pid;
		FILE *in;

		ck_assert_int_eq(pipe(pfd), 0);
		w.rng = rnd(&rng);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			child_run(o, d, &w, pfd[1]);
		}
		close(pfd[1]);
		usleep(500 + rnd_below(&rng, 15000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFSIGNALED(st));
		/* replay what the child acknowledged */
		in = fdopen(pfd[0], "r");
		while (fread(&r, sizeof(r), 1, in) == 1) {
			if (!r.done) {
				inflight = r;
				continue;
			}
			if (r.op != OP_OVERFLOW)	/* else: still in it */
				inflight.op = OP_NONE;
			switch (r.op) {
			case OP_WRITE:
			case OP_DISCARD:
				model_write(&w.m, r.a, r.b, r.c);
				break;
			case OP_SNAP:
				model_snap(&w.m, r.a);
				w.pend_lo = 0;
				break;
			case OP_BEGIN:
				model_snap_begun(&w.m, r.a);
				if (!w.pend_lo)
					w.pend_lo = r.a;
				break;
			case OP_DELETE:
			case OP_OVERFLOW:	/* superblock writes */
				w.pend_lo = 0;
				model_drop(&w.m, r.a);
				break;
			case OP_PERSIST:
				w.pend_lo = 0;
				break;
			case OP_FLUSH:
				model_flushed(&w.m);
				break;
			}
		}
		fclose(in);
		if (inflight.op != OP_NONE)
			midop++;
		/* a killed process loses nothing the kernel had: exact,
		 * except the sectors of a write in flight */
		model_flushed(&w.m);
		ck_assert_int_eq(cow_volume_open(o, d, 0, &w.v), 0);
		reconcile(&w, &inflight, seed, t);
		ck_assert_int_eq(cow_volume_close(w.v), 0);
	}
	fprintf(stderr, "kill9: %u kills, %u mid-operation, %u snapshots "
		"live at the end\n", trials, midop, w.m.nsnaps);
	model_free(&w.m);
	free(o);
	free(d);
	tmpdir_remove(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cow-model");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_random_sim);
	tcase_add_test(tc, test_random_files);
	tcase_add_test(tc, test_powercut);
	tcase_add_test(tc, test_powercut_threads);
	tcase_add_test(tc, test_kill9);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
