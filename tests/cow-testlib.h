/* cow-testlib.h — what the engine tests share: an in-memory backend that
 * can simulate a power cut, a per-sector model of the origin and of every
 * snapshot, and temp-dir helpers. */
#ifndef OPENVSS_COW_TESTLIB_H
#define OPENVSS_COW_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

#include "cow/engine/cow.h"

/* ---- in-memory backend ---- */
struct sim;
struct sim *sim_new(uint64_t origin_size, uint64_t diff_size);
void sim_free(struct sim *s);
const struct cow_io_ops *sim_ops(void);
/* Record writes since the last flush so that sim_cut() can drop them. */
void sim_record(struct sim *s, bool on);
/* After n more I/O calls every call fails with -EIO (n < 0: never). */
void sim_fail_after(struct sim *s, long n);
long sim_io_count(const struct sim *s);
/* The current bytes of f, to corrupt on purpose (call sim_record(s, false)
 * after: it makes them the durable bytes too). */
uint8_t *sim_bytes(struct sim *s, enum cow_file f);
/* Power cut: keep what flushes made durable, plus a random subset of the
 * unflushed writes (in a random order, some torn at sector granularity). */
void sim_cut(struct sim *s, uint64_t *rng);

/* ---- random numbers (xorshift64*) ---- */
uint64_t rnd(uint64_t *st);
uint64_t rnd_below(uint64_t *st, uint64_t n);

/* ---- model ---- */
#define MODEL_MAX_SNAPS 520

struct msnap {
	uint64_t id;
	uint64_t *sec;		/* tag per sector at creation */
};

struct model {
	uint64_t nsec;
	uint64_t *origin;	/* tag per sector; 0 = zeros */
	uint64_t *durable;	/* tag per sector at the last durability point */
	uint64_t *wlog;		/* since then: (first, count, tag) triples */
	size_t nwlog, capwlog;
	struct msnap snaps[MODEL_MAX_SNAPS];
	unsigned nsnaps;
	uint64_t next_tag;
};

void model_init(struct model *m, uint64_t origin_size);
void model_free(struct model *m);
void model_write(struct model *m, uint64_t sec, uint64_t n, uint64_t tag);
void model_flushed(struct model *m);
void model_snap(struct model *m, uint64_t id);
/* cow_snapshot_begin: no flush of the origin (yet) */
void model_snap_begun(struct model *m, uint64_t id);
int model_find(const struct model *m, uint64_t id);
void model_drop(struct model *m, uint64_t id);
/* Fill buf with the content of n sectors tagged tag. */
void fill_sectors(void *buf, uint64_t first_sec, uint64_t n, uint64_t tag);
/* Tag of one sector of buf, or UINT64_MAX if it is not a valid pattern. */
uint64_t sector_tag(const void *buf, uint64_t sec);
/* Compare every snapshot and (if origin_exact) the origin with the model;
 * else each origin sector must hold its durable tag or one written since.
 * Returns 0 or prints what differs and returns -1. */
int model_verify(struct model *m, struct cow_volume *v, bool origin_exact);

/* Run a Check suite; the exit status for main(). */
struct Suite;
int run_suite(struct Suite *s);

/* ---- temp dirs (under /var/tmp: O_DIRECT needs a real filesystem) ---- */
char *tmpdir_make(void);
void tmpdir_remove(char *dir);
char *path_join(const char *dir, const char *name);

#endif
