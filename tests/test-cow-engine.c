/* test-cow-engine.c — unit tests of every engine operation and edge, on the
 * in-memory backend and on real files (io_uring and pread/pwrite). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cow-testlib.h"

#define CHUNK	4096u
#define OSIZE	(64u * CHUNK + 3 * COW_SECTOR)	/* last chunk partial */

struct env {
	struct sim *sim;
	struct cow_volume *v;
	struct model m;
	uint64_t deleted[COW_MAX_SNAPSHOTS * 4];
	unsigned ndeleted;
};

static void on_overflow(void *arg, uint64_t id, const uint8_t *tag)
{
	struct env *e = arg;

	(void)tag;
	e->deleted[e->ndeleted++] = id;
	model_drop(&e->m, id);
}

static void env_open(struct env *e)
{
	ck_assert_int_eq(cow_volume_open_io(sim_ops(), e->sim, &e->v), 0);
	cow_set_overflow_cb(e->v, on_overflow, e);
}

static void env_init(struct env *e, uint64_t osize, uint64_t dsize,
		     uint32_t chunk)
{
	memset(e, 0, sizeof(*e));
	e->sim = sim_new(osize, dsize);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), e->sim, chunk), 0);
	model_init(&e->m, osize);
	env_open(e);
}

static void env_reopen(struct env *e)
{
	ck_assert_int_eq(cow_volume_close(e->v), 0);
	env_open(e);
}

static void env_fini(struct env *e)
{
	cow_volume_close(e->v);
	sim_free(e->sim);
	model_free(&e->m);
}

/* Write n sectors at sec with a fresh tag, to the engine and the model. */
static void do_write(struct env *e, uint64_t sec, uint64_t n)
{
	void *buf;
	uint64_t tag = e->m.next_tag++;

	ck_assert_int_eq(posix_memalign(&buf, 4096, n * COW_SECTOR), 0);
	fill_sectors(buf, sec, n, tag);
	ck_assert_int_eq(cow_write(e->v, buf, n * COW_SECTOR,
				   sec * COW_SECTOR), 0);
	model_write(&e->m, sec, n, tag);
	free(buf);
}

static void do_discard(struct env *e, uint64_t sec, uint64_t n)
{
	ck_assert_int_eq(cow_discard(e->v, n * COW_SECTOR, sec * COW_SECTOR),
			 0);
	model_write(&e->m, sec, n, 0);
}

static uint64_t do_snap(struct env *e)
{
	uint8_t tag[COW_TAG_LEN] = { 0 };
	uint64_t id = 0;

	tag[0] = (uint8_t)e->m.nsnaps;
	ck_assert_int_eq(cow_snapshot_create(e->v, tag, &id), 0);
	model_snap(&e->m, id);
	return id;
}

static void do_delete(struct env *e, uint64_t id)
{
	ck_assert_int_eq(cow_snapshot_delete(e->v, id), 0);
	model_drop(&e->m, id);
}

static void verify(struct env *e)
{
	ck_assert_int_eq(model_verify(&e->m, e->v, true), 0);
}

START_TEST(test_crc32c)
{
	ck_assert_uint_eq(cow_crc32c(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(cow_crc32c(0, "", 0), 0);
	/* incremental == one shot */
	ck_assert_uint_eq(cow_crc32c(cow_crc32c(0, "1234", 4), "56789", 5),
			  0xE3069283u);
	/* against a bitwise reference: every length and alignment (the
	 * hardware path where the CPU has one; COW_CRC_SOFT=1: the table) */
	{
		unsigned char buf[300];
		uint32_t x = 12345;

		for (unsigned i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		for (unsigned off = 0; off < 8; off++)
			for (unsigned len = 0; len + off <= sizeof(buf); len++) {
				uint32_t c = ~0u;

				for (unsigned i = 0; i < len; i++) {
					c ^= buf[off + i];
					for (int k = 0; k < 8; k++)
						c = (c >> 1) ^
						    (0x82F63B78u & -(c & 1));
				}
				ck_assert_uint_eq(cow_crc32c(0, buf + off, len),
						  ~c);
			}
	}
}
END_TEST

START_TEST(test_bad_args)
{
	struct env e;
	struct sim *s = sim_new(OSIZE, 65536);
	char buf[COW_SECTOR] = { 0 };
	uint64_t id;

	/* diff area too small, bad chunk sizes, origin not sector-sized */
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, CHUNK), -ENOSPC);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, 3000), -EINVAL);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, 2048), -EINVAL);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, 2u << 20),
			 -EINVAL);
	sim_free(s);
	s = sim_new(1000, 1 << 20);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), s, CHUNK), -EINVAL);
	sim_free(s);
	/* an empty diff area is not a volume */
	s = sim_new(OSIZE, 1 << 20);
	ck_assert_int_eq(cow_volume_open_io(sim_ops(), s, &e.v), -EUCLEAN);
	sim_free(s);

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	ck_assert_int_eq(cow_write(e.v, buf, 100, 0), -EINVAL);
	ck_assert_int_eq(cow_write(e.v, buf, COW_SECTOR, 7), -EINVAL);
	ck_assert_int_eq(cow_write(e.v, buf, COW_SECTOR, OSIZE), -EINVAL);
	ck_assert_int_eq(cow_read(e.v, buf, 2 * COW_SECTOR,
				  OSIZE - COW_SECTOR), -EINVAL);
	ck_assert_int_eq(cow_write(e.v, NULL, COW_SECTOR, 0), -EINVAL);
	ck_assert_int_eq(cow_write(e.v, buf, 0, 0), 0);
	ck_assert_int_eq(cow_snapshot_read(e.v, 42, buf, COW_SECTOR, 0),
			 -ENOENT);
	ck_assert_int_eq(cow_snapshot_delete(e.v, 42), -ENOENT);
	ck_assert_int_eq(cow_revert(e.v, 42, NULL, NULL), -ENOENT);
	ck_assert_int_eq(cow_snapshot_create(e.v, NULL, &id), 0);
	ck_assert_int_eq(cow_snapshot_read(e.v, id, buf, COW_SECTOR, 1),
			 -EINVAL);
	ck_assert_int_eq(cow_volume_close(NULL), 0);
	env_fini(&e);
}
END_TEST

START_TEST(test_partial_and_spanning)
{
	struct env e;
	struct cow_stats st;

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_write(&e, 0, e.m.nsec);		/* whole origin, no snapshot */
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.preserves, 0);
	do_snap(&e);
	do_write(&e, 3, 1);			/* one sector inside chunk 0 */
	do_write(&e, 7, 2);			/* straddles chunks 0 and 1 */
	do_write(&e, 8 * 5 + 1, 8 * 3);		/* spans chunks 5..8 */
	do_write(&e, e.m.nsec - 2, 2);		/* the partial last chunk */
	verify(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.preserves, 1 + 1 + 4 + 1);
	ck_assert_uint_eq(st.slots_used, 7);
	do_write(&e, 0, 16);			/* already preserved: no copy */
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.preserves, 7);
	verify(&e);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

START_TEST(test_discard_preserves)
{
	struct env e;

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_write(&e, 0, e.m.nsec);
	do_snap(&e);
	do_discard(&e, 5, 20);
	do_discard(&e, 64, 64);
	verify(&e);
	do_snap(&e);
	do_discard(&e, 0, e.m.nsec);
	verify(&e);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

START_TEST(test_one_copy_serves_many)
{
	struct env e;
	struct cow_stats st;
	struct cow_snapshot_info info[3];

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_write(&e, 0, 8);
	do_snap(&e);
	do_snap(&e);
	do_snap(&e);
	do_write(&e, 0, 8);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.preserves, 1);	/* one copy, three readers */
	ck_assert_int_eq(cow_snapshot_list(e.v, info, 3), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(info[i].chunks_owned, 1);
	ck_assert_uint_eq(info[1].tag[0], 1);
	ck_assert(info[0].epoch < info[1].epoch && info[1].id > info[0].id);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* After a delete the slots it freed are taken again in ascending order:
 * a write's chunks get consecutive slots once more, and a snapshot reads
 * them back with one request, not one per chunk. */
START_TEST(test_slots_reused_in_order)
{
	struct env e;
	uint64_t id;
	uint8_t *b = malloc(16 * CHUNK);

	env_init(&e, OSIZE, 65536 + 16 * 4096 + 40 * CHUNK, CHUNK);
	do_write(&e, 0, 16 * CHUNK / 512);
	id = do_snap(&e);
	do_write(&e, 0, 16 * CHUNK / 512);	/* 16 preserves, one batch */
	do_delete(&e, id);
	id = do_snap(&e);
	do_write(&e, 0, 16 * CHUNK / 512);	/* into the slots freed */
	sim_fail_after(e.sim, 1000000);		/* count the I/O calls */
	ck_assert_int_eq(cow_snapshot_read(e.v, id, b, 16 * CHUNK, 0), 0);
	ck_assert_int_eq(sim_io_count(e.sim), 1);
	sim_fail_after(e.sim, -1);
	verify(&e);
	free(b);
	env_fini(&e);
}
END_TEST

START_TEST(test_512_snapshots)
{
	struct env e;
	struct cow_snapshot_info one;
	uint64_t id;

	/* 64 chunks, each snapshot followed by a write to 2 chunks */
	env_init(&e, OSIZE, 8 << 20, CHUNK);
	for (unsigned i = 0; i < COW_MAX_SNAPSHOTS; i++) {
		do_snap(&e);
		do_write(&e, (i * 8 * 7) % (e.m.nsec - 16), 9);
	}
	ck_assert_int_eq(cow_snapshot_create(e.v, NULL, &id), -ENOSPC);
	verify(&e);
	ck_assert_int_eq(cow_snapshot_info(e.v, e.m.snaps[511].id, &one), 0);
	ck_assert_uint_eq(one.chunks_owned, 2);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* Delete N snapshots in every order (N! orders), verifying after each. */
static void permute(unsigned *a, unsigned n, unsigned k, unsigned *count)
{
	if (k == n) {
		struct env e;
		uint64_t ids[8];
		struct cow_stats st;

		env_init(&e, 8 * CHUNK, 1 << 20, CHUNK);
		for (unsigned i = 0; i < n; i++) {
			do_write(&e, 0, 8 * 8);
			ids[i] = do_snap(&e);
			do_write(&e, i * 8, 8);	/* chunk i differs */
		}
		do_write(&e, 0, 8 * 8);
		for (unsigned i = 0; i < n; i++) {
			do_delete(&e, ids[a[i]]);
			verify(&e);
			if (i == n / 2) {
				env_reopen(&e);
				verify(&e);
			}
		}
		ck_assert_int_eq(cow_stats(e.v, &st), 0);
		ck_assert_uint_eq(st.slots_used, 0);
		ck_assert_uint_eq(st.nsnapshots, 0);
		env_fini(&e);
		(*count)++;
		return;
	}
	for (unsigned i = k; i < n; i++) {
		unsigned t = a[k];

		a[k] = a[i];
		a[i] = t;
		permute(a, n, k + 1, count);
		a[i] = a[k];
		a[k] = t;
	}
}

START_TEST(test_delete_every_order)
{
	unsigned a[5] = { 0, 1, 2, 3, 4 }, count = 0;

	for (unsigned n = 1; n <= 5; n++)
		permute(a, n, 0, &count);
	ck_assert_uint_eq(count, 1 + 2 + 6 + 24 + 120);
}
END_TEST

static void progress(void *arg, uint64_t done, uint64_t total)
{
	uint64_t *last = arg;

	ck_assert_uint_ge(done, last[0]);
	last[0] = done;
	last[1] = total;
}

START_TEST(test_revert)
{
	struct env e;
	uint64_t a, b, prog[2] = { 0, 0 };

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_write(&e, 0, e.m.nsec);
	a = do_snap(&e);
	do_write(&e, 10, 30);
	do_discard(&e, 100, 50);
	b = do_snap(&e);
	do_write(&e, 0, 200);
	ck_assert_int_eq(cow_revert(e.v, a, progress, prog), 0);
	ck_assert_uint_eq(prog[0], prog[1]);
	ck_assert_uint_eq(prog[1], 65);
	/* the origin now reads as a; a and b are intact */
	memcpy(e.m.origin, e.m.snaps[model_find(&e.m, a)].sec,
	       e.m.nsec * sizeof(uint64_t));
	verify(&e);
	ck_assert_int_eq(cow_revert(e.v, b, NULL, NULL), 0);
	memcpy(e.m.origin, e.m.snaps[model_find(&e.m, b)].sec,
	       e.m.nsec * sizeof(uint64_t));
	verify(&e);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

START_TEST(test_diff_full)
{
	struct env e;
	struct cow_stats st;
	uint64_t first;

	/* 16 chunks of 4 KiB; a diff area with room for 20 preserved chunks */
	env_init(&e, 16 * CHUNK, 65536 + (2 * 19 + 20) * CHUNK, CHUNK);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_total, 20);
	first = do_snap(&e);
	do_write(&e, 0, 16 * 8);	/* 16 slots */
	do_snap(&e);
	do_write(&e, 0, 4 * 8);		/* 20 slots: full */
	ck_assert_uint_eq(e.ndeleted, 0);
	verify(&e);
	do_snap(&e);
	do_write(&e, 0, 8);		/* no room: the oldest goes */
	ck_assert_uint_eq(e.ndeleted, 1);
	ck_assert_uint_eq(e.deleted[0], first);
	verify(&e);
	/* a live write never fails: keep writing until one snapshot is left */
	for (int i = 0; i < 6; i++) {
		do_snap(&e);
		do_write(&e, 0, 16 * 8);
		verify(&e);
	}
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.overflow_deleted, e.ndeleted);
	ck_assert_uint_ge(e.ndeleted, 3);
	for (unsigned i = 1; i < e.ndeleted; i++)
		ck_assert_uint_gt(e.deleted[i], e.deleted[i - 1]);
	env_reopen(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.overflow_deleted, e.ndeleted);
	verify(&e);
	env_fini(&e);
}
END_TEST

START_TEST(test_log_compaction)
{
	struct env e;
	struct cow_stats st;
	uint64_t keep;

	env_init(&e, 16 * CHUNK, 1 << 20, CHUNK);
	do_write(&e, 0, 16 * 8);
	keep = do_snap(&e);
	do_write(&e, 0, 8);
	/* every round logs one block per chunk; the half holds ~30 */
	for (int i = 0; i < 20; i++) {
		uint64_t id = do_snap(&e);

		for (unsigned c = 1; c < 16; c++)
			do_write(&e, c * 8, 1);
		do_delete(&e, id);
	}
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_gt(st.log_compactions, 2);
	verify(&e);
	env_reopen(&e);
	verify(&e);
	do_delete(&e, keep);
	env_reopen(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_used, 0);
	verify(&e);
	env_fini(&e);
}
END_TEST

START_TEST(test_superblock_copies)
{
	struct env e;
	struct cow_volume *v;
	uint8_t junk[64] = { 0xff };

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_write(&e, 0, 64);
	do_snap(&e);
	do_write(&e, 0, 64);
	ck_assert_int_eq(cow_volume_close(e.v), 0);
	/* corrupt the newest copy: the previous one is still a volume */
	ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, junk, sizeof(junk),
					  0), 0);
	ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, junk, sizeof(junk),
					  32768), 0);
	ck_assert_int_eq(cow_volume_open_io(sim_ops(), e.sim, &v), -EUCLEAN);
	e.v = NULL;
	env_fini(&e);

	env_init(&e, OSIZE, 1 << 20, CHUNK);
	do_snap(&e);	/* gen 2 (copy 0) holds the snapshot */
	ck_assert_int_eq(cow_volume_close(e.v), 0);
	ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, junk, sizeof(junk),
					  0), 0);
	env_open(&e);	/* copy 1: gen 1, no snapshot */
	model_drop(&e.m, e.m.snaps[0].id);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* A damaged block in the middle of the index log (not the torn last block
 * a crash can leave) is refused, and the refusal writes nothing: the valid
 * blocks after it must not come back beside newer entries. */
START_TEST(test_log_damaged_middle)
{
	struct env e;
	uint8_t junk[64], good[64], *d, *copy;
	const uint64_t blk1 = 65536 + 4096;	/* log half 0, block 1 */

	memset(junk, 0x5a, sizeof(junk));
	env_init(&e, 16 * CHUNK, 1 << 20, CHUNK);
	do_snap(&e);
	for (unsigned c = 0; c < 6; c++)
		do_write(&e, c * 8, 1);	/* one commit, one block each */
	ck_assert_int_eq(cow_volume_close(e.v), 0);
	e.v = NULL;
	d = sim_bytes(e.sim, COW_DIFF);
	memcpy(good, d + blk1, sizeof(good));
	ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, junk, sizeof(junk),
					  blk1), 0);
	copy = malloc(1 << 20);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, d, 1 << 20);
	ck_assert_int_eq(cow_volume_open_io(sim_ops(), e.sim, &e.v), -EUCLEAN);
	e.v = NULL;
	ck_assert_int_eq(memcmp(copy, d, 1 << 20), 0);
	free(copy);
	/* the block mended, the volume reads as it was */
	ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, good, sizeof(good),
					  blk1), 0);
	env_open(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* The newest superblock damaged after it was durable, with commits made
 * after it: recovery must not fall back to the older copy (its view of
 * the log and of the snapshots is out of date: a deleted snapshot would
 * come back on slots used again since).  A superblock torn by a crash is
 * never followed by a commit, so the fallback still works there
 * (test_superblock_copies). */
START_TEST(test_superblock_lost_after_commits)
{
	struct env e;
	struct cow_stats st;
	uint8_t junk[64], *saved;

	memset(junk, 0xa5, sizeof(junk));
	for (int compact = 0; compact < 2; compact++) {
		const uint8_t *d;
		uint64_t g0 = 0, g1 = 0;
		unsigned after = 0;

		env_init(&e, 16 * CHUNK, 1 << 20, CHUNK);
		if (!compact) {
			uint64_t a = do_snap(&e);

			for (unsigned c = 0; c < 4; c++)
				do_write(&e, c * 8, 1);
			do_delete(&e, a);
			do_snap(&e);	/* the superblock to lose */
			for (unsigned c = 0; c < 4; c++)
				do_write(&e, c * 8, 1);	/* commits after it */
		} else {
			/* rounds of 10 one-block commits fill the half (31
			 * blocks): the compaction's superblock is the one to
			 * lose, the round's next commits go to the new half */
			while (after < 2) {
				do_snap(&e);
				for (unsigned c = 0; c < 10 && after < 2; c++) {
					do_write(&e, c * 8, 1);
					ck_assert_int_eq(cow_stats(e.v, &st), 0);
					if (st.log_compactions)
						after++;
				}
			}
			ck_assert_uint_eq(st.log_compactions, 1);
		}
		/* the diff area as a crash here would leave it (a clean
		 * close writes one more superblock, with nothing after it) */
		saved = malloc(1 << 20);
		ck_assert_ptr_nonnull(saved);
		d = sim_bytes(e.sim, COW_DIFF);
		memcpy(saved, d, 1 << 20);
		ck_assert_int_eq(cow_volume_close(e.v), 0);
		/* positive control: undamaged, it opens and reads right */
		memcpy(sim_bytes(e.sim, COW_DIFF), saved, 1 << 20);
		sim_record(e.sim, false);
		env_open(&e);
		verify(&e);
		ck_assert_int_eq(cow_volume_close(e.v), 0);
		e.v = NULL;
		memcpy(sim_bytes(e.sim, COW_DIFF), saved, 1 << 20);
		sim_record(e.sim, false);
		free(saved);
		/* damage the copy with the higher generation */
		for (int i = 7; i >= 0; i--) {
			g0 = g0 << 8 | d[16 + i];
			g1 = g1 << 8 | d[32768 + 16 + i];
		}
		ck_assert_int_eq(sim_ops()->write(e.sim, COW_DIFF, junk,
						  sizeof(junk),
						  g0 > g1 ? 0 : 32768), 0);
		ck_assert_int_eq(cow_volume_open_io(sim_ops(), e.sim, &e.v),
				 -EUCLEAN);
		e.v = NULL;
		env_fini(&e);
	}
}
END_TEST

/* A new volume on an old diff area never reads the old volume's log. */
START_TEST(test_recreate_over_old_log)
{
	struct env e;
	struct cow_stats st;

	env_init(&e, 16 * CHUNK, 1 << 20, CHUNK);
	for (int i = 0; i < 3; i++) {
		do_snap(&e);
		for (unsigned c = 0; c < 16; c++)
			do_write(&e, c * 8, 1);
	}
	ck_assert_int_eq(cow_volume_close(e.v), 0);
	model_free(&e.m);
	model_init(&e.m, 16 * CHUNK);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), e.sim, CHUNK), 0);
	env_open(&e);
	/* the origin keeps its data: the model learns it as written */
	{
		uint8_t *buf = malloc(16 * CHUNK);

		ck_assert_int_eq(cow_read(e.v, buf, 16 * CHUNK, 0), 0);
		for (uint64_t sct = 0; sct < e.m.nsec; sct++)
			e.m.origin[sct] = sector_tag(buf + sct * 512, sct);
		free(buf);
	}
	do_snap(&e);
	do_write(&e, 0, 1);
	env_reopen(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_used, 1);
	ck_assert_uint_eq(st.nsnapshots, 1);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* ---- real files ---- */
/* A new volume on files origin and diff in dir, open, with its model. */
static void files_env_open(struct env *e, const char *dir, const struct cow_params *p,
			   char **o, char **d)
{
	*o = path_join(dir, "origin");
	*d = path_join(dir, "diff");
	ck_assert_int_eq(cow_volume_create(*o, *d, p), 0);
	memset(e, 0, sizeof(*e));
	model_init(&e->m, p->origin_size);
	ck_assert_int_eq(cow_volume_open(*o, *d, p->io_flags, &e->v), 0);
}

/* Close, reopen and verify once more, then clean everything up. */
static void files_reopen_fini(struct env *e, char *dir, char *o, char *d,
			      unsigned flags)
{
	ck_assert_int_eq(cow_volume_close(e->v), 0);
	ck_assert_int_eq(cow_volume_open(o, d, flags, &e->v), 0);
	verify(e);
	ck_assert_int_eq(cow_volume_close(e->v), 0);
	model_free(&e->m);
	free(o);
	free(d);
	tmpdir_remove(dir);
}

static void files_roundtrip(unsigned flags)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 65536, .origin_size = 4 << 20,
				.diff_max = 8 << 20, .io_flags = flags };
	struct env e;
	struct stat st;

	ck_assert_ptr_nonnull(dir);
	o = path_join(dir, "origin");
	d = path_join(dir, "diff");
	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	ck_assert_int_eq(stat(o, &st), 0);
	ck_assert_int_eq(st.st_size, 4 << 20);
	ck_assert_int_eq(cow_volume_create(o, o, &p), -EXDEV);
	memset(&e, 0, sizeof(e));
	model_init(&e.m, 4 << 20);
	ck_assert_int_eq(cow_volume_open(o, d, flags, &e.v), 0);
	do_write(&e, 0, 2048);
	do_snap(&e);
	do_write(&e, 1, 1);		/* unaligned buffer path */
	do_write(&e, 128, 4096);
	do_discard(&e, 5000, 300);
	do_snap(&e);
	do_write(&e, 100, 3000);
	verify(&e);
	ck_assert_int_eq(cow_flush(e.v), 0);
	files_reopen_fini(&e, dir, o, d, flags);
}

START_TEST(test_files_uring)
{
	files_roundtrip(0);
}
END_TEST

START_TEST(test_files_sync)
{
	files_roundtrip(COW_IO_NO_URING | COW_IO_BUFFERED);
}
END_TEST

/* ---- threads: concurrent writers to the same chunks after a snapshot ---- */
struct thr {
	struct cow_volume *v;
	unsigned idx;
};

static void *writer(void *arg)
{
	struct thr *t = arg;
	void *buf;

	if (posix_memalign(&buf, 4096, 8192))
		return NULL;
	for (unsigned i = 0; i < 200; i++) {
		uint64_t sec = ((i * 7 + t->idx * 3) % 120) * 2;

		fill_sectors(buf, sec, 16, 1000 + t->idx);
		ck_assert_int_eq(cow_write(t->v, buf, 8192, sec * COW_SECTOR),
				 0);
	}
	free(buf);
	return NULL;
}

START_TEST(test_threads)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 4096, .origin_size = 256 << 10,
				.diff_max = 8 << 20 };
	struct env e;
	pthread_t th[4];
	struct thr t[4];
	struct cow_stats st;

	files_env_open(&e, dir, &p, &o, &d);
	do_write(&e, 0, 512);
	for (int round = 0; round < 3; round++) {
		do_snap(&e);
		for (unsigned i = 0; i < 4; i++) {
			t[i].v = e.v;
			t[i].idx = i + round * 4;
			pthread_create(&th[i], NULL, writer, &t[i]);
		}
		for (unsigned i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		/* the origin is whatever won; snapshots must be exact */
		for (uint64_t s = 0; s < e.m.nsec; s++)
			e.m.origin[s] = 0;
		{
			uint8_t *buf = malloc(256 << 10);

			ck_assert_int_eq(cow_read(e.v, buf, 256 << 10, 0), 0);
			for (uint64_t s = 0; s < e.m.nsec; s++) {
				e.m.origin[s] = sector_tag(buf + s * 512, s);
				ck_assert_uint_ne(e.m.origin[s], UINT64_MAX);
			}
			free(buf);
		}
		verify(&e);
	}
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_le(st.commits, st.preserves);
	files_reopen_fini(&e, dir, o, d, 0);
}
END_TEST

/* ---- signals: a thread interrupted by signals while its I/O is in
 * flight (a library user's handlers, without SA_RESTART) ---- */
static void on_usr1(int sig)
{
	(void)sig;
}

struct pester {
	pthread_t target;
	_Atomic bool stop;
	unsigned sent;
};

static void *pester_main(void *arg)
{
	struct pester *p = arg;

	while (!atomic_load(&p->stop)) {
		pthread_kill(p->target, SIGUSR1);
		p->sent++;
		usleep(30);
	}
	return NULL;
}

START_TEST(test_signals)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 65536, .origin_size = 4 << 20,
				.diff_max = 64 << 20 };	/* no overflow */
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct pester pe = { .target = pthread_self() };
	pthread_t th;
	struct env e;
	uint64_t rng = 42;

	files_env_open(&e, dir, &p, &o, &d);
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, pester_main, &pe), 0);
	/* every write and read waits for its completion in the kernel,
	 * where the signals land: none may fail or take another's result */
	for (unsigned i = 0; i < 400; i++) {
		uint64_t n = 1 + rnd_below(&rng, 256);

		do_write(&e, rnd_below(&rng, e.m.nsec - n), n);
		if (i % 50 == 0)
			do_snap(&e);
		if (i % 100 == 99)
			verify(&e);
	}
	atomic_store(&pe.stop, true);
	pthread_join(th, NULL);
	ck_assert_uint_gt(pe.sent, 100);
	verify(&e);
	files_reopen_fini(&e, dir, o, d, 0);
	signal(SIGUSR1, SIG_DFL);
}
END_TEST

/* One thread, more volumes than it caches rings for, then some closed. */
START_TEST(test_many_volumes)
{
	char *dir = tmpdir_make(), name[32];
	struct cow_params p = { .chunk_size = 4096, .origin_size = 64 << 10,
				.diff_max = 1 << 20 };
	struct cow_volume *v[7];
	void *buf;

	ck_assert_int_eq(posix_memalign(&buf, 4096, 8192), 0);
	for (int i = 0; i < 7; i++) {
		char *o, *d;

		snprintf(name, sizeof(name), "o%d", i);
		o = path_join(dir, name);
		snprintf(name, sizeof(name), "d%d", i);
		d = path_join(dir, name);
		ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
		ck_assert_int_eq(cow_volume_open(o, d, 0, &v[i]), 0);
		ck_assert_int_eq(cow_snapshot_create(v[i], NULL, NULL), 0);
		free(o);
		free(d);
	}
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 7; i++) {
			if (round == 10 && i % 2) {
				ck_assert_int_eq(cow_volume_close(v[i]), 0);
				v[i] = NULL;
			}
			if (!v[i])
				continue;
			fill_sectors(buf, round, 16, round + 1);
			ck_assert_int_eq(cow_write(v[i], buf, 8192, round * 512),
					 0);
			ck_assert_int_eq(cow_read(v[i], buf, 8192, 0), 0);
		}
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(cow_volume_close(v[i]), 0);
	free(buf);
	tmpdir_remove(dir);
}
END_TEST

/* ---- snapshots taken while writers run ---- */
#define CW_THREADS	4
#define CW_SECS		24	/* 12 KiB at an odd offset: 4 chunks each */

struct cwriter {
	struct cow_volume *v;
	unsigned idx;
	_Atomic bool *stop;
};

static uint64_t cw_first(unsigned idx)
{
	return idx * 64 + 3;
}

static void *cwriter_run(void *arg)
{
	struct cwriter *w = arg;
	void *buf;

	ck_assert_int_eq(posix_memalign(&buf, 4096, CW_SECS * 512), 0);
	for (uint64_t k = 1; !atomic_load(w->stop); k++) {
		fill_sectors(buf, cw_first(w->idx), CW_SECS,
			     (uint64_t)(w->idx + 1) << 32 | k);
		ck_assert_int_eq(cow_write(w->v, buf, CW_SECS * 512,
					   cw_first(w->idx) * 512), 0);
	}
	free(buf);
	return NULL;
}

/* The tag of the CW_SECS sectors from first in buf, all of one write. */
static uint64_t whole_tag(const uint8_t *buf, uint64_t first)
{
	uint64_t tag = sector_tag(buf, first);

	for (unsigned k = 1; k < CW_SECS; k++)
		ck_assert_uint_eq(sector_tag(buf + k * 512, first + k), tag);
	return tag;
}

/* The same, read from snapshot id. */
static uint64_t snap_whole_tag(struct cow_volume *v, uint64_t id,
			       uint8_t *buf, uint64_t first)
{
	ck_assert_int_eq(cow_snapshot_read(v, id, buf, CW_SECS * 512,
					   first * 512), 0);
	return whole_tag(buf, first);
}

/* Each writer's region in a snapshot holds one write whole (creation
 * waits for writes in flight), and never an older one than before. */
static void cw_check(struct cow_volume *v, const uint64_t *ids, unsigned n)
{
	uint64_t seen[CW_THREADS] = { 0 };
	uint8_t *buf = malloc(CW_SECS * 512);

	for (unsigned s = 0; s < n; s++)
		for (unsigned t = 0; t < CW_THREADS; t++) {
			uint64_t tag = snap_whole_tag(v, ids[s], buf,
						      cw_first(t));

			ck_assert_uint_ge(tag, seen[t]);
			seen[t] = tag;
		}
	free(buf);
}

/* cow_snapshot_begin: reads as taken at once, durable only once persisted;
 * a crash in between loses it and nothing else, and the epochs its writes
 * logged are not used again (a second entry for one chunk and epoch would
 * make the next recovery fail). */
START_TEST(test_snapshot_begin_persist)
{
	struct env e;
	struct cow_stats st;
	uint64_t rng = 7, s0, s1, s2, s3;
	struct cow_snapshot_info info[4];

	env_init(&e, OSIZE, 65536 + 16 * 4096 + 64 * CHUNK, CHUNK);
	do_write(&e, 0, 8);
	s0 = do_snap(&e);
	do_write(&e, 0, 8);
	ck_assert_int_eq(cow_snapshot_begin(e.v, NULL, &s1), 0);
	model_snap_begun(&e.m, s1);
	do_write(&e, 0, 8);		/* preserves for s1, in its epoch */
	do_write(&e, 64, 8);
	verify(&e);
	ck_assert_int_eq(cow_snapshot_persist(e.v), 0);
	ck_assert_int_eq(cow_snapshot_persist(e.v), 0);	/* nothing to do */
	env_reopen(&e);
	verify(&e);

	ck_assert_int_eq(cow_snapshot_begin(e.v, NULL, &s2), 0);
	model_snap_begun(&e.m, s2);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	do_write(&e, 0, 8);
	do_write(&e, 128, 8);
	verify(&e);
	/* a power cut before s2 is persisted: everything not flushed goes */
	sim_record(e.sim, true);
	sim_fail_after(e.sim, 0);
	cow_volume_close(e.v);
	sim_cut(e.sim, &rng);
	env_open(&e);
	ck_assert_int_eq(cow_snapshot_list(e.v, info, 4), 2);
	ck_assert_uint_eq(info[0].id, s0);
	ck_assert_uint_eq(info[1].id, s1);
	ck_assert_int_eq(model_find(&e.m, s2), 2);
	model_drop(&e.m, s2);
	/* s0 and s1 read as taken; the origin kept what it kept */
	ck_assert_int_eq(model_verify(&e.m, e.v, false), 0);
	{
		uint8_t *b = malloc(OSIZE);

		ck_assert_int_eq(cow_read(e.v, b, OSIZE, 0), 0);
		for (uint64_t q = 0; q < e.m.nsec; q++)
			e.m.origin[q] = sector_tag(b + q * COW_SECTOR, q);
		free(b);
		model_flushed(&e.m);
	}
	/* the epoch moved past what the lost epoch logged */
	{
		struct cow_stats st2;

		ck_assert_int_eq(cow_stats(e.v, &st2), 0);
		ck_assert_uint_ge(st2.cur_epoch, st.cur_epoch);
	}
	s3 = do_snap(&e);
	do_write(&e, 0, 8);		/* a new entry for chunk 0 */
	verify(&e);
	env_reopen(&e);
	verify(&e);
	ck_assert_int_eq(cow_snapshot_info(e.v, s3, &info[0]), 0);
	env_fini(&e);
}
END_TEST

START_TEST(test_snapshots_while_writing)
{
	char *dir = tmpdir_make(), *o = path_join(dir, "origin"),
	     *d = path_join(dir, "diff");
	struct cow_params p = { .chunk_size = 4096, .origin_size = 256 << 10,
				.diff_max = 32 << 20 };	/* no overflow */
	struct cwriter w[CW_THREADS];
	pthread_t th[CW_THREADS];
	_Atomic bool stop = false;
	uint64_t ids[40];
	struct cow_volume *v;

	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &v), 0);
	for (unsigned t = 0; t < CW_THREADS; t++) {
		w[t] = (struct cwriter){ .v = v, .idx = t, .stop = &stop };
		pthread_create(&th[t], NULL, cwriter_run, &w[t]);
	}
	for (unsigned s = 0; s < 40; s++) {
		usleep(2000);
		if (s % 2) {
			ck_assert_int_eq(cow_snapshot_create(v, NULL, &ids[s]),
					 0);
			continue;
		}
		/* in two steps, writers going on in between (and persist
		 * racing their group commits and log compactions) */
		ck_assert_int_eq(cow_snapshot_begin(v, NULL, &ids[s]), 0);
		usleep(1000);
		ck_assert_int_eq(cow_snapshot_persist(v), 0);
	}
	atomic_store(&stop, true);
	for (unsigned t = 0; t < CW_THREADS; t++)
		pthread_join(th[t], NULL);
	cw_check(v, ids, 40);
	ck_assert_int_eq(cow_volume_close(v), 0);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &v), 0);
	cw_check(v, ids, 40);
	ck_assert_int_eq(cow_volume_close(v), 0);
	free(o);
	free(d);
	tmpdir_remove(dir);
}
END_TEST

/* ---- asynchronous I/O ---- */
START_TEST(test_aio_args)
{
	struct env e;
	struct cow_aio *a;
	struct cow_aio_done d[4];
	uint8_t *buf, *keep;
	uint64_t id;

	env_init(&e, OSIZE, 65536 + 16 * 4096 + 32 * CHUNK, CHUNK);
	ck_assert_int_eq(posix_memalign((void **)&buf, 4096, 4 * CHUNK), 0);
	keep = malloc(OSIZE);
	do_write(&e, 0, 64);
	id = do_snap(&e);
	ck_assert_int_eq(cow_aio_new(NULL, 2, &a), -EINVAL);
	ck_assert_int_eq(cow_aio_new(e.v, 0, &a), -EINVAL);
	ck_assert_int_eq(cow_aio_new(e.v, COW_AIO_MAX_DEPTH + 1, &a), -EINVAL);
	ck_assert_int_eq(cow_aio_new(e.v, 2, &a), 0);
	ck_assert_int_eq(cow_read(e.v, keep, OSIZE, 0), 0);
	/* refused at once, nothing started, nothing changed */
	ck_assert_int_eq(cow_aio_write(NULL, buf, 512, 0, NULL), -EINVAL);
	ck_assert_int_eq(cow_aio_write(a, NULL, 512, 0, NULL), -EINVAL);
	ck_assert_int_eq(cow_aio_write(a, buf, 100, 0, NULL), -EINVAL);
	ck_assert_int_eq(cow_aio_write(a, buf, 512, 7, NULL), -EINVAL);
	ck_assert_int_eq(cow_aio_write(a, buf, 1024, OSIZE - 512, NULL),
			 -EINVAL);
	ck_assert_int_eq(cow_aio_read(a, buf, 512, OSIZE, NULL), -EINVAL);
	ck_assert_int_eq(cow_aio_snapshot_read(a, id + 100, buf, 512, 0, NULL),
			 -ENOENT);
	ck_assert_uint_eq(cow_aio_pending(a), 0);
	ck_assert_int_eq(cow_aio_reap(a, 1, d, 4), 0);	/* nothing to wait for */
	ck_assert_int_eq(cow_aio_reap(a, 1, NULL, 4), -EINVAL);
	ck_assert_int_eq(model_verify(&e.m, e.v, true), 0);
	/* depth 2: a third request waits for a reap */
	fill_sectors(buf, 8, 8, 777);
	ck_assert_int_eq(cow_aio_write(a, buf, 4096, 8 * 512, (void *)1), 0);
	ck_assert_int_eq(cow_aio_snapshot_read(a, id, buf + 4096, 4096, 8 * 512,
					       (void *)2), 0);
	ck_assert_int_eq(cow_aio_read(a, buf + 8192, 512, 0, (void *)3),
			 -EAGAIN);
	ck_assert_uint_eq(cow_aio_pending(a), 2);
	{
		int got = 0, n;
		bool seen[3] = { false };

		while (got < 2) {
			n = cow_aio_reap(a, 1, d, 1);	/* one at a time */
			ck_assert_int_eq(n, 1);
			ck_assert_int_eq(d[0].res, 0);
			seen[(uintptr_t)d[0].user] = true;
			got++;
		}
		ck_assert(seen[1] && seen[2]);
	}
	model_write(&e.m, 8, 8, 777);
	/* the snapshot read gave the snapshot's data, the write is in */
	for (unsigned q = 0; q < 8; q++)
		ck_assert_uint_eq(sector_tag(buf + 4096 + q * 512, 8 + q),
				  e.m.snaps[0].sec[8 + q]);
	ck_assert_uint_eq(cow_aio_pending(a), 0);
	ck_assert_int_eq(model_verify(&e.m, e.v, true), 0);
	/* a zero-length request completes, with nothing done */
	ck_assert_int_eq(cow_aio_write(a, buf, 0, 0, (void *)5), 0);
	ck_assert_int_eq(cow_aio_reap(a, 1, d, 4), 1);
	ck_assert_ptr_eq(d[0].user, (void *)5);
	ck_assert_int_eq(d[0].res, 0);
	cow_aio_free(a);
	cow_aio_free(NULL);
	free(buf);
	free(keep);
	env_fini(&e);
}
END_TEST

#define AW_THREADS	3
#define AW_DEPTH	4

struct aworker {
	struct cow_volume *v;
	unsigned t;
	_Atomic bool *stop;
	/* the reader: snapshots made so far, and what it read of them */
	const uint64_t *ids;
	_Atomic unsigned *nids;
	unsigned nrec;
	uint64_t rec[4096][3];	/* snapshot index, region, tag */
};

static uint64_t aw_first(unsigned region)
{
	return region * 64 + 3;
}

/* AW_DEPTH writes in flight on one context, each on a region of its own,
 * each region rewritten whole with a higher tag every time. */
static void *awriter_run(void *arg)
{
	struct aworker *w = arg;
	struct cow_aio *a;
	struct cow_aio_done d[AW_DEPTH];
	uint8_t *buf;
	uint64_t k = 0;
	bool busy[AW_DEPTH] = { false };

	ck_assert_int_eq(cow_aio_new(w->v, AW_DEPTH, &a), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, 4096,
					AW_DEPTH * CW_SECS * 512), 0);
	while (!atomic_load(w->stop) || cow_aio_pending(a)) {
		int n;

		for (unsigned j = 0; j < AW_DEPTH && !atomic_load(w->stop);
		     j++) {
			unsigned region = w->t * AW_DEPTH + j;
			uint8_t *b = buf + j * CW_SECS * 512;

			if (busy[j])
				continue;
			fill_sectors(b, aw_first(region), CW_SECS,
				     (uint64_t)(region + 1) << 32 | ++k);
			ck_assert_int_eq(cow_aio_write(a, b, CW_SECS * 512,
						       aw_first(region) * 512,
						       (void *)(uintptr_t)j),
					 0);
			busy[j] = true;
		}
		n = cow_aio_reap(a, 1, d, AW_DEPTH);
		ck_assert_int_ge(n, 0);
		for (int i = 0; i < n; i++) {
			ck_assert_int_eq(d[i].res, 0);
			busy[(uintptr_t)d[i].user] = false;
		}
	}
	cow_aio_free(a);
	free(buf);
	return NULL;
}

/* Snapshot reads in flight while the writers overwrite what they read:
 * each region read whole from one write; recorded for the final check. */
static void *areader_run(void *arg)
{
	struct aworker *w = arg;
	struct cow_aio *a;
	struct cow_aio_done d[AW_DEPTH];
	uint8_t *buf;
	uint64_t rng = 99, job[AW_DEPTH][2];

	ck_assert_int_eq(cow_aio_new(w->v, AW_DEPTH, &a), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, 4096,
					AW_DEPTH * CW_SECS * 512), 0);
	while (!atomic_load(w->stop) && w->nrec + AW_DEPTH <= 4096) {
		unsigned ns = atomic_load(w->nids);
		int n;

		if (!ns) {
			usleep(100);
			continue;
		}
		for (unsigned j = 0; j < AW_DEPTH; j++) {
			job[j][0] = rnd_below(&rng, ns);
			job[j][1] = rnd_below(&rng, AW_THREADS * AW_DEPTH);
			ck_assert_int_eq(cow_aio_snapshot_read(a,
					 w->ids[job[j][0]],
					 buf + j * CW_SECS * 512,
					 CW_SECS * 512,
					 aw_first((unsigned)job[j][1]) * 512,
					 (void *)(uintptr_t)j), 0);
		}
		for (unsigned left = AW_DEPTH; left; left -= (unsigned)n) {
			n = cow_aio_reap(a, 1, d, AW_DEPTH);
			ck_assert_int_gt(n, 0);
			for (int i = 0; i < n; i++) {
				unsigned j = (unsigned)(uintptr_t)d[i].user;
				uint8_t *b = buf + j * CW_SECS * 512;
				uint64_t tag;

				ck_assert_int_eq(d[i].res, 0);
				tag = whole_tag(b, aw_first((unsigned)job[j][1]));
				w->rec[w->nrec][0] = job[j][0];
				w->rec[w->nrec][1] = job[j][1];
				w->rec[w->nrec++][2] = tag;
			}
		}
	}
	cow_aio_free(a);
	free(buf);
	return NULL;
}

/* Writes and snapshot reads in flight on contexts of their own while
 * snapshots are made (whole and in two steps): creation waits for the
 * writes in flight to be reaped, so each region of each snapshot holds
 * one write whole, never older than in the snapshot before; a snapshot
 * read racing the writes that preserve what it reads gives what the
 * snapshot holds. */
START_TEST(test_aio_while_snapshots)
{
	char *dir = tmpdir_make(), *o = path_join(dir, "origin"),
	     *d = path_join(dir, "diff");
	struct cow_params p = { .chunk_size = 4096, .origin_size = 1 << 20,
				.diff_max = 64 << 20 };	/* no overflow */
	struct aworker *w = calloc(AW_THREADS + 1, sizeof(*w));
	pthread_t th[AW_THREADS + 1];
	_Atomic bool stop = false;
	_Atomic unsigned nids = 0;
	uint64_t ids[40];
	uint8_t *buf = malloc(CW_SECS * 512);
	struct cow_volume *v;

	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &v), 0);
	for (unsigned t = 0; t <= AW_THREADS; t++) {
		w[t] = (struct aworker){ .v = v, .t = t, .stop = &stop,
					 .ids = ids, .nids = &nids };
		pthread_create(&th[t], NULL, t < AW_THREADS ? awriter_run :
					     areader_run, &w[t]);
	}
	for (unsigned s = 0; s < 40; s++) {
		usleep(2000);
		if (s % 2) {
			ck_assert_int_eq(cow_snapshot_create(v, NULL, &ids[s]),
					 0);
		} else {
			ck_assert_int_eq(cow_snapshot_begin(v, NULL, &ids[s]),
					 0);
			usleep(1000);
			ck_assert_int_eq(cow_snapshot_persist(v), 0);
		}
		atomic_store(&nids, s + 1);
	}
	usleep(20000);
	atomic_store(&stop, true);
	for (unsigned t = 0; t <= AW_THREADS; t++)
		pthread_join(th[t], NULL);
	/* each region of each snapshot: one write whole, never going back */
	for (unsigned r = 0; r < AW_THREADS * AW_DEPTH; r++) {
		uint64_t seen = 0, first = aw_first(r);

		for (unsigned s = 0; s < 40; s++) {
			uint64_t tag = snap_whole_tag(v, ids[s], buf, first);

			ck_assert_uint_ge(tag, seen);
			seen = tag;
		}
	}
	/* what the racing reader read is what the snapshots hold */
	ck_assert_uint_gt(w[AW_THREADS].nrec, 0);
	for (unsigned i = 0; i < w[AW_THREADS].nrec; i++) {
		const uint64_t *rc = w[AW_THREADS].rec[i];

		ck_assert_uint_eq(snap_whole_tag(v, ids[rc[0]], buf,
						 aw_first((unsigned)rc[1])),
				  rc[2]);
	}
	fprintf(stderr, "aio_while_snapshots: %u snapshot reads checked\n",
		w[AW_THREADS].nrec);
	ck_assert_int_eq(cow_volume_close(v), 0);
	free(buf);
	free(w);
	free(o);
	free(d);
	tmpdir_remove(dir);
}
END_TEST

/* ---- the maximum (shadow storage size) on a live volume ---- */
START_TEST(test_diff_max_change)
{
	struct env e;
	struct cow_stats st;
	uint64_t first, slot0, ids[8], rng = 7;
	unsigned n, before;
	int k;

	/* 16 chunks; a diff area of 40 slots (log half 21 blocks) */
	env_init(&e, 16 * CHUNK, 65536 + (2 * 21 + 40) * CHUNK, CHUNK);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_total, 40);
	ck_assert_uint_eq(st.slots_limit, 40);
	ck_assert_uint_eq(st.diff_bytes_max, st.diff_bytes_capacity);
	slot0 = 65536 + 2 * 21 * CHUNK;
	ck_assert_uint_eq(cow_diff_min(e.v), slot0 + CHUNK);
	/* bad maxima change nothing */
	ck_assert_int_eq(cow_set_diff_max(NULL, slot0 + CHUNK), -EINVAL);
	ck_assert_int_eq(cow_set_diff_max(e.v, slot0), -EINVAL);
	ck_assert_int_eq(cow_set_diff_max(e.v, slot0 + CHUNK + 1), -EINVAL);
	/* a maximum of 20 slots behaves as a diff area of 20 */
	ck_assert_int_eq(cow_set_diff_max(e.v, slot0 + 20 * CHUNK), 0);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_limit, 20);
	ck_assert_uint_eq(st.diff_bytes_max, slot0 + 20 * CHUNK);
	first = do_snap(&e);
	do_write(&e, 0, 16 * 8);
	do_snap(&e);
	do_write(&e, 0, 4 * 8);		/* 20 used: full, nothing deleted */
	ck_assert_uint_eq(e.ndeleted, 0);
	do_snap(&e);
	do_write(&e, 0, 8);		/* the oldest goes */
	ck_assert_uint_eq(e.ndeleted, 1);
	ck_assert_uint_eq(e.deleted[0], first);
	verify(&e);
	/* grow: 16 more preserves fit without deleting anything */
	ck_assert_int_eq(cow_set_diff_max(e.v, slot0 + 40 * CHUNK), 0);
	do_snap(&e);
	do_write(&e, 0, 16 * 8);
	ck_assert_uint_eq(e.ndeleted, 1);
	verify(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_gt(st.slots_used, 20);
	/* shrink under snapshots: the oldest go, in order, until it fits;
	 * the newer keep their data */
	n = e.m.nsnaps;
	for (unsigned i = 0; i < n; i++)
		ids[i] = e.m.snaps[i].id;
	before = e.ndeleted;
	ck_assert_int_eq(cow_set_diff_max(e.v, slot0 + 18 * CHUNK), 0);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_le(st.slots_used, 18);
	ck_assert_uint_gt(e.ndeleted, before);
	ck_assert_uint_lt(e.ndeleted - before, n);	/* the newest stays */
	for (unsigned i = before; i < e.ndeleted; i++)
		ck_assert_uint_eq(e.deleted[i], ids[i - before]);
	ck_assert_uint_eq(st.overflow_deleted, e.ndeleted);
	verify(&e);
	/* durable: a reopen, and a power cut right after the change */
	env_reopen(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.diff_bytes_max, slot0 + 18 * CHUNK);
	ck_assert_uint_eq(st.slots_limit, 18);
	verify(&e);
	for (k = 0; k < 4; k++) {
		uint64_t want = slot0 + (20 + k) * CHUNK;

		sim_record(e.sim, true);
		ck_assert_int_eq(cow_set_diff_max(e.v, want), 0);
		cow_volume_close(e.v);
		sim_cut(e.sim, &rng);
		sim_record(e.sim, false);
		env_open(&e);
		ck_assert_int_eq(cow_stats(e.v, &st), 0);
		ck_assert_uint_eq(st.diff_bytes_max, want);
		verify(&e);
	}
	/* unbounded: every slot there is (this backend cannot grow) */
	ck_assert_int_eq(cow_set_diff_max(e.v, COW_DIFF_UNBOUNDED), 0);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.diff_bytes_max, COW_DIFF_UNBOUNDED);
	ck_assert_uint_eq(st.slots_limit, 40);
	env_reopen(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.diff_bytes_max, COW_DIFF_UNBOUNDED);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* A filesystem that holds only the first `room` bytes of the diff area:
 * writes past it fail with ENOSPC, as a full filesystem's do. */
struct fullfs {
	struct sim *sim;
	uint64_t room;
};

static int full_read(void *io, enum cow_file f, void *buf, size_t len, uint64_t off)
{
	return sim_ops()->read(((struct fullfs *)io)->sim, f, buf, len, off);
}

static int full_write(void *io, enum cow_file f, const void *buf, size_t len,
		      uint64_t off)
{
	struct fullfs *x = io;

	if (f == COW_DIFF && off + len > x->room)
		return -ENOSPC;
	return sim_ops()->write(x->sim, f, buf, len, off);
}

static int full_write_durable(void *io, enum cow_file f, const void *buf, size_t len,
			      uint64_t off)
{
	struct fullfs *x = io;

	if (f == COW_DIFF && off + len > x->room)
		return -ENOSPC;
	return sim_ops()->write_durable(x->sim, f, buf, len, off);
}

static int full_flush(void *io, enum cow_file f)
{
	return sim_ops()->flush(((struct fullfs *)io)->sim, f);
}

static int full_zero(void *io, enum cow_file f, size_t len, uint64_t off)
{
	return sim_ops()->zero(((struct fullfs *)io)->sim, f, len, off);
}

static uint64_t full_size(void *io, enum cow_file f)
{
	return sim_ops()->size(((struct fullfs *)io)->sim, f);
}

static void full_close(void *io)
{
	(void)io;
}

static const struct cow_io_ops full_ops = {
	.read = full_read, .write = full_write, .flush = full_flush, .zero = full_zero,
	.size = full_size, .close = full_close, .write_durable = full_write_durable,
};

/* Unbounded: a preserve that finds the filesystem full deletes the oldest
 * snapshot instead of failing the write or breaking the volume, and the
 * space that frees is used for the newer. */
START_TEST(test_diff_fs_full)
{
	uint64_t slot0 = 65536 + 2 * 21 * CHUNK, s1;
	struct cow_stats st;
	struct fullfs x;
	struct env e;

	memset(&e, 0, sizeof(e));
	e.sim = sim_new(16 * CHUNK, 65536 + (2 * 21 + 40) * CHUNK);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), e.sim, CHUNK), 0);
	model_init(&e.m, 16 * CHUNK);
	x = (struct fullfs){ .sim = e.sim, .room = slot0 + 10 * CHUNK };
	ck_assert_int_eq(cow_volume_open_io(&full_ops, &x, &e.v), 0);
	cow_set_overflow_cb(e.v, on_overflow, &e);
	ck_assert_int_eq(cow_set_diff_max(e.v, COW_DIFF_UNBOUNDED), 0);
	s1 = do_snap(&e);
	do_write(&e, 0, 8 * 8);		/* 8 preserves: room for them */
	do_snap(&e);
	do_write(&e, 8 * 8, 8 * 8);	/* 8 more: the filesystem fills */
	ck_assert_uint_eq(e.ndeleted, 1);
	ck_assert_uint_eq(e.deleted[0], s1);
	ck_assert_int_eq(e.m.nsnaps, 1);
	ck_assert_int_eq(cow_flush(e.v), 0);	/* not broken */
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_used, 8);	/* in s1's old slots */
	verify(&e);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* A diff area of another format version (1: the first, 2: an interim
 * one) is refused with -EPROTONOSUPPORT and left as it was. */
START_TEST(test_superblock_old_version)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 65536, .origin_size = 1 << 20,
				.diff_max = 2 << 20 };
	struct cow_volume *v = NULL;
	uint8_t *before = malloc(65536), *after = malloc(65536);
	int fd;

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(before);
	ck_assert_ptr_nonnull(after);
	o = path_join(dir, "origin");
	d = path_join(dir, "diff");
	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	for (uint8_t ver = 1; ver <= 2; ver++) {
		fd = open(d, O_RDWR);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pread(fd, before, 65536, 0), 65536);
		for (unsigned k = 0; k < 2; k++) {
			uint8_t *sb = before + k * 32768;
			uint32_t crc;

			if (memcmp(sb, "OVSSCOW1", 8))
				continue;
			ck_assert_uint_eq(sb[8], ver == 1 ? 3 : 1);
			sb[8] = ver;
			memset(sb + 12, 0, 4);
			crc = cow_crc32c(0, sb, 32768);
			for (int b = 0; b < 4; b++)
				sb[12 + b] = (uint8_t)(crc >> (8 * b));
		}
		ck_assert_int_eq(pwrite(fd, before, 65536, 0), 65536);
		close(fd);
		ck_assert_int_eq(cow_volume_open(o, d, 0, &v), -EPROTONOSUPPORT);
		ck_assert_ptr_null(v);
		fd = open(d, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pread(fd, after, 65536, 0), 65536);
		close(fd);
		ck_assert_mem_eq(before, after, 65536);
	}
	free(before);
	free(after);
	free(o);
	free(d);
	tmpdir_remove(dir);
}
END_TEST

/* On files: growing extends the diff file (sparse), shrinking punches
 * what the deleted snapshots held. */
/* Allocated bytes of a file. */
static uint64_t file_alloc(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (uint64_t)sb.st_blocks * 512;
}

/* Wait (5 s at most) until the preparation thread has allocated at least
 * want bytes ahead of the slots in use. */
static uint64_t wait_prepared(struct cow_volume *v, uint64_t want)
{
	struct cow_stats st;

	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(cow_stats(v, &st), 0);
		if (st.diff_bytes_prepared >= want)
			break;
		usleep(10000);
	}
	return st.diff_bytes_prepared;
}

/* A diff file is allocated ahead of use: at creation (diff_prealloc) and
 * by the engine's thread, never past the maximum; a shrink gives the
 * space back; what it prepared never disturbs a preserve. */
START_TEST(test_prepare_files)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 65536, .origin_size = 8 << 20,
				.diff_max = 64 << 20,
				.diff_prealloc = 4 << 20 };
	struct cow_stats st;
	struct env e;
	uint64_t s1, base;

	ck_assert_ptr_nonnull(dir);
	o = path_join(dir, "origin");
	d = path_join(dir, "diff");
	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	base = file_alloc(d);
	/* the preallocation (metadata included; the padding between the
	 * log and the first slot may stay a hole) */
	ck_assert_uint_ge(base, (4 << 20) - 65536);
	memset(&e, 0, sizeof(e));
	model_init(&e.m, 8 << 20);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &e.v), 0);
	cow_set_overflow_cb(e.v, on_overflow, &e);
	/* the thread keeps 128 MiB ahead, here the whole 64 MiB maximum */
	ck_assert_uint_ge(wait_prepared(e.v, 60 << 20), 60 << 20);
	ck_assert_uint_ge(file_alloc(d), 60 << 20);
	ck_assert_uint_le(file_alloc(d), 64 << 20);
	/* preserves into prepared slots */
	s1 = do_snap(&e);
	do_write(&e, 0, 16384);		/* all 128 chunks */
	verify(&e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_used, 128);
	/* shrink: what was prepared past the slots in use is given back */
	ck_assert_int_eq(cow_set_diff_max(e.v, st.diff_bytes_used +
					  (1 << 20)), 0);
	ck_assert_uint_eq(e.ndeleted, 0);
	usleep(100000);		/* the thread may prepare the 1 MiB left */
	ck_assert_uint_le(file_alloc(d), st.diff_bytes_used + (1 << 20));
	verify(&e);
	/* grow again: it prepares again */
	ck_assert_int_eq(cow_set_diff_max(e.v, 64 << 20), 0);
	ck_assert_uint_ge(wait_prepared(e.v, 16 << 20), 16 << 20);
	do_write(&e, 0, 16384);		/* rewrites: nothing preserved */
	ck_assert_int_eq(cow_snapshot_delete(e.v, s1), 0);
	model_drop(&e.m, s1);
	do_snap(&e);
	do_write(&e, 0, 16384);		/* freed slots reused */
	verify(&e);
	files_reopen_fini(&e, dir, o, d, 0);
}
END_TEST

START_TEST(test_diff_max_files)
{
	char *dir = tmpdir_make(), *o, *d;
	struct cow_params p = { .chunk_size = 65536, .origin_size = 4 << 20,
				.diff_max = 2 << 20 };
	struct cow_stats st;
	struct stat sb;
	struct env e;
	uint64_t s1, s2, max;

	ck_assert_ptr_nonnull(dir);
	o = path_join(dir, "origin");
	d = path_join(dir, "diff");
	ck_assert_int_eq(cow_volume_create(o, d, &p), 0);
	memset(&e, 0, sizeof(e));
	model_init(&e.m, 4 << 20);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &e.v), 0);
	cow_set_overflow_cb(e.v, on_overflow, &e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_lt(st.slots_total, 64);	/* the origin does not fit */
	ck_assert_uint_eq(st.diff_bytes_capacity, 2 << 20);
	ck_assert_int_eq(cow_set_diff_max(e.v, 8 << 20), 0);
	ck_assert_int_eq(stat(d, &sb), 0);
	ck_assert_int_ge(sb.st_size, 8 << 20);
	s1 = do_snap(&e);
	do_write(&e, 0, 8192);		/* every chunk: 64 preserves */
	ck_assert_uint_eq(e.ndeleted, 0);
	verify(&e);
	ck_assert_int_eq(cow_volume_close(e.v), 0);
	ck_assert_int_eq(cow_volume_open(o, d, 0, &e.v), 0);
	cow_set_overflow_cb(e.v, on_overflow, &e);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.diff_bytes_max, 8 << 20);
	ck_assert_uint_ge(st.diff_bytes_capacity, 8 << 20);
	verify(&e);
	/* unbounded: the file grows as far as the log indexes */
	ck_assert_int_eq(cow_set_diff_max(e.v, COW_DIFF_UNBOUNDED), 0);
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_gt(st.slots_total, 128);
	s2 = do_snap(&e);
	do_write(&e, 0, 8192);
	ck_assert_uint_eq(e.ndeleted, 0);
	verify(&e);
	/* shrink to one snapshot's worth: s1 goes, s2 stays whole, and the
	 * file gives back s1's space */
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	max = st.diff_bytes_used - 60 * 65536;
	ck_assert_int_eq(cow_set_diff_max(e.v, max), 0);
	ck_assert_uint_eq(e.ndeleted, 1);
	ck_assert_uint_eq(e.deleted[0], s1);
	ck_assert_int_eq(e.m.nsnaps, 1);
	ck_assert_uint_eq(e.m.snaps[0].id, s2);
	verify(&e);
	ck_assert_int_eq(stat(d, &sb), 0);
	ck_assert_uint_le((uint64_t)sb.st_blocks * 512, max);
	files_reopen_fini(&e, dir, o, d, 0);
}
END_TEST

/* ---- a backend whose flush of the origin, or first prepare, waits until
 * the test lets it go ---- */
static const struct cow_io_ops *held_base;
static struct cow_io_ops held_ops;
static pthread_mutex_t held_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held_cv = PTHREAD_COND_INITIALIZER;
static bool held_flush, held_prepare;
static unsigned flush_started, flush_done, prepare_started;

static void held_wait(bool *hold, unsigned *started)
{
	pthread_mutex_lock(&held_mx);
	(*started)++;
	pthread_cond_broadcast(&held_cv);
	while (*hold)
		pthread_cond_wait(&held_cv, &held_mx);
	pthread_mutex_unlock(&held_mx);
}

static int held_flush_fn(void *io, enum cow_file f)
{
	int r;

	if (f != COW_ORIGIN)
		return held_base->flush(io, f);
	held_wait(&held_flush, &flush_started);
	r = held_base->flush(io, f);
	pthread_mutex_lock(&held_mx);
	flush_done++;
	pthread_cond_broadcast(&held_cv);
	pthread_mutex_unlock(&held_mx);
	return r;
}

/* The in-memory backend has nothing to allocate: only the first piece the
 * preparation thread asks for is held. */
static int held_prepare_fn(void *io, enum cow_file f, size_t len, uint64_t off)
{
	(void)io, (void)f, (void)off;
	if (len) {
		held_wait(&held_prepare, &prepare_started);
		pthread_mutex_lock(&held_mx);
		held_prepare = false;
		pthread_mutex_unlock(&held_mx);
	}
	return 0;
}

static void held_open(struct env *e, uint64_t osize, uint64_t dsize, uint32_t chunk,
		      bool prepare)
{
	memset(e, 0, sizeof(*e));
	e->sim = sim_new(osize, dsize);
	ck_assert_int_eq(cow_volume_create_io(sim_ops(), e->sim, chunk), 0);
	model_init(&e->m, osize);
	held_base = sim_ops();
	held_ops = *held_base;
	held_ops.flush = held_flush_fn;
	held_ops.prepare = prepare ? held_prepare_fn : NULL;
	ck_assert_int_eq(cow_volume_open_io(&held_ops, e->sim, &e->v), 0);
}

/* Wait (without a bound on anything the engine does) until *n reaches want
 * or until ms have passed; returns *n. */
static unsigned held_until(unsigned *n, unsigned want, unsigned ms)
{
	struct timespec until;
	unsigned got;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&held_mx);
	while (*n < want && pthread_cond_timedwait(&held_cv, &held_mx, &until) == 0)
		;
	got = *n;
	pthread_mutex_unlock(&held_mx);
	return got;
}

struct flusher {
	struct cow_volume *v;
	int r;
	unsigned returned, done_seen;
};

static void *flusher_run(void *arg)
{
	struct flusher *f = arg;
	int r = cow_flush(f->v);

	pthread_mutex_lock(&held_mx);
	f->r = r;
	f->done_seen = flush_done;
	f->returned = 1;
	pthread_cond_broadcast(&held_cv);
	pthread_mutex_unlock(&held_mx);
	return NULL;
}

/* Two cow_flush calls at once: the second must not return before a flush
 * that covers the write before it has completed (it found the dirty flag
 * already cleared by the first, whose flush was still under way). */
START_TEST(test_flush_concurrent)
{
	struct env e;
	struct flusher a = { 0 }, b = { 0 };
	pthread_t ta, tb;

	held_open(&e, OSIZE, 1 << 20, CHUNK, false);
	do_write(&e, 0, 8);
	pthread_mutex_lock(&held_mx);
	held_flush = true;
	flush_started = flush_done = 0;
	pthread_mutex_unlock(&held_mx);
	a.v = b.v = e.v;
	ck_assert_int_eq(pthread_create(&ta, NULL, flusher_run, &a), 0);
	ck_assert_uint_eq(held_until(&flush_started, 1, 10000), 1);
	ck_assert_int_eq(pthread_create(&tb, NULL, flusher_run, &b), 0);
	/* room for b to return early, if it would */
	held_until(&b.returned, 1, 300);
	pthread_mutex_lock(&held_mx);
	held_flush = false;
	pthread_cond_broadcast(&held_cv);
	pthread_mutex_unlock(&held_mx);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.r, 0);
	ck_assert_int_eq(b.r, 0);
	ck_assert_uint_ge(b.done_seen, 1);
	verify(&e);
	env_fini(&e);
}
END_TEST

/* ---- slot_hi never moves back: a preserve that waited for the piece of
 * the diff area being prepared must not lower it under a slot a later
 * preserve took and filled meanwhile (a shrink would punch that slot) ---- */
#define PCHUNK	(1u << 20)
#define PWAIT	8	/* preserves in the first 8 MiB piece */

struct pwriter {
	struct cow_volume *v;
	uint64_t chunk;
	int r;
};

static void *pwriter_run(void *arg)
{
	struct pwriter *w = arg;
	uint64_t sec = w->chunk * (PCHUNK / COW_SECTOR);
	void *buf;

	if (posix_memalign(&buf, 4096, 4096)) {
		w->r = -ENOMEM;
		return NULL;
	}
	fill_sectors(buf, sec, 8, 7000 + w->chunk);
	w->r = cow_write(w->v, buf, 4096, sec * COW_SECTOR);
	free(buf);
	return NULL;
}

START_TEST(test_prepare_slot_hi)
{
	struct env e;
	struct pwriter w[PWAIT];
	pthread_t th[PWAIT];
	struct cow_stats st;
	unsigned used = 0;

	pthread_mutex_lock(&held_mx);
	held_prepare = true;
	prepare_started = 0;
	pthread_mutex_unlock(&held_mx);
	held_open(&e, (PWAIT + 8) * (uint64_t)PCHUNK, 40u << 20, PCHUNK, true);
	ck_assert_uint_eq(held_until(&prepare_started, 1, 10000), 1);
	for (uint64_t c = 0; c <= PWAIT; c++)
		do_write(&e, c * (PCHUNK / COW_SECTOR), 8);
	do_snap(&e);
	/* PWAIT preserves take slots 0..PWAIT-1, in the piece being prepared,
	 * and wait for it */
	for (unsigned i = 0; i < PWAIT; i++) {
		w[i].v = e.v;
		w[i].chunk = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, pwriter_run, &w[i]), 0);
	}
	for (unsigned t = 0; t < 1000 && used < PWAIT; t++) {
		ck_assert_int_eq(cow_stats(e.v, &st), 0);
		used = (unsigned)st.slots_used;
		if (used < PWAIT)
			usleep(10000);
	}
	ck_assert_uint_eq(used, PWAIT);
	/* one more takes slot PWAIT, past the piece: it does not wait */
	do_write(&e, PWAIT * (uint64_t)(PCHUNK / COW_SECTOR), 8);
	pthread_mutex_lock(&held_mx);
	held_prepare = false;
	pthread_cond_broadcast(&held_cv);
	pthread_mutex_unlock(&held_mx);
	for (unsigned i = 0; i < PWAIT; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].r, 0);
		model_write(&e.m, w[i].chunk * (PCHUNK / COW_SECTOR), 8, 7000 + w[i].chunk);
	}
	verify(&e);
	/* a shrink that deletes nothing punches what is free or prepared */
	ck_assert_int_eq(cow_stats(e.v, &st), 0);
	ck_assert_uint_eq(st.slots_used, PWAIT + 1);
	ck_assert_int_eq(cow_set_diff_max(e.v, st.diff_bytes_used + 2 * (uint64_t)PCHUNK), 0);
	verify(&e);
	env_reopen(&e);
	verify(&e);
	env_fini(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cow-engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crc32c);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_partial_and_spanning);
	tcase_add_test(tc, test_discard_preserves);
	tcase_add_test(tc, test_one_copy_serves_many);
	tcase_add_test(tc, test_slots_reused_in_order);
	tcase_add_test(tc, test_512_snapshots);
	tcase_add_test(tc, test_delete_every_order);
	tcase_add_test(tc, test_revert);
	tcase_add_test(tc, test_diff_full);
	tcase_add_test(tc, test_diff_max_change);
	tcase_add_test(tc, test_diff_max_files);
	tcase_add_test(tc, test_prepare_files);
	tcase_add_test(tc, test_superblock_old_version);
	tcase_add_test(tc, test_snapshot_begin_persist);
	tcase_add_test(tc, test_diff_fs_full);
	tcase_add_test(tc, test_log_compaction);
	tcase_add_test(tc, test_superblock_copies);
	tcase_add_test(tc, test_log_damaged_middle);
	tcase_add_test(tc, test_superblock_lost_after_commits);
	tcase_add_test(tc, test_recreate_over_old_log);
	tcase_add_test(tc, test_files_uring);
	tcase_add_test(tc, test_files_sync);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_many_volumes);
	tcase_add_test(tc, test_snapshots_while_writing);
	tcase_add_test(tc, test_aio_args);
	tcase_add_test(tc, test_aio_while_snapshots);
	tcase_add_test(tc, test_flush_concurrent);
	tcase_add_test(tc, test_prepare_slot_hi);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
