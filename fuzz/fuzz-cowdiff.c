/* fuzz-cowdiff — libFuzzer target for what the copy-on-write engine reads
 * back from a diff area: its two superblocks and its index log (the format
 * at the top of src/cow/engine/cow.c), as cow_volume_open_io() recovers
 * them.
 *
 * A diff area is bad input like any other: a disk returns garbage, a user
 * points --on at the wrong device.  Opening it must fail with an error or
 * give a volume every call works on; never a crash, a hang, an overflow or
 * an allocation the size of a corrupted number.
 *
 * The input:
 *   byte 0     seed of a small workload run first on a fresh volume in
 *              memory (writes, snapshots made whole or begun only, deletes),
 *              so that the log holds real blocks, a compaction sometimes;
 *   byte 1     its length in steps (0-63);
 *   byte 2     flags: 1 recompute the crc of both superblocks after the
 *              patches, 2 recompute the crc of every log block that has the
 *              log magic (so patches get past the checksums and reach the
 *              checks behind them);
 *   then       patches, each 3 bytes of offset (little-endian; the top bit
 *              of the third byte: anywhere in the diff area, else inside
 *              the metadata: superblocks and log), 1 byte length-1 (mod 8),
 *              then that many bytes written there.
 * Then the volume is opened; if that works, every snapshot and the origin
 * are read whole, a few writes, a snapshot and a delete are made, and the
 * volume is closed, opened again (recovery of what this run wrote) and
 * closed; that second open must succeed, and so must the first when there
 * was no patch.
 *
 * The on-disk constants below are cow.c's (not exported: only this target
 * and the engine know the format). */
#include "config.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cow/engine/cow.h"
#include "../tests/cow-testlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SB_SIZE		32768u
#define SB_CRC_OFF	12u
#define META_START	65536u
#define LOG_BLOCK	4096u
#define LOG_MAGIC	0x474f4c43u
#define LOG_CRC_OFF	4u

#define CHUNK		4096u
#define ORIGIN_SIZE	(64u * CHUNK)
#define DIFF_SIZE	(1u << 20)
/* the superblocks and both log halves of that diff area (31 blocks each) */
#define META_AREA	(320u << 10)

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static void fix_crc(uint8_t *b, size_t len, unsigned off)
{
	put32(b + off, 0);
	put32(b + off, cow_crc32c(0, b, len));
}

static void workload(struct cow_volume *v, uint64_t seed, unsigned steps)
{
	uint8_t *buf = aligned_alloc(4096, 2 * CHUNK);
	uint64_t ids[COW_MAX_SNAPSHOTS], id;
	unsigned n = 0;

	if (!buf)
		return;
	for (unsigned i = 0; i < steps; i++) {
		uint64_t r = rnd(&seed) % 100;

		if (r < 60) {
			uint64_t c = rnd_below(&seed, 63);
			size_t len = rnd_below(&seed, 2) ? 2 * CHUNK : COW_SECTOR;

			memset(buf, (int)r, 2 * CHUNK);
			(void)cow_write(v, buf, len, c * CHUNK);
		} else if (r < 80) {
			if (!cow_snapshot_create(v, NULL, &id))
				ids[n++] = id;
		} else if (r < 90) {
			if (!cow_snapshot_begin(v, NULL, &id))
				ids[n++] = id;
		} else if (n) {
			unsigned k = (unsigned)rnd_below(&seed, n);

			(void)cow_snapshot_delete(v, ids[k]);
			ids[k] = ids[--n];
		}
	}
	free(buf);
}

/* Everything a caller of an opened volume may do, results ignored: only
 * what crashes or what the sanitizers see counts. */
static void exercise(struct cow_volume *v)
{
	struct cow_snapshot_info info[COW_MAX_SNAPSHOTS];
	struct cow_stats st;
	uint8_t *buf;
	int n;

	if (cow_stats(v, &st) || st.nsnapshots > COW_MAX_SNAPSHOTS ||
	    st.slots_used > st.slots_total || st.origin_size > ORIGIN_SIZE)
		abort();
	buf = aligned_alloc(4096, ORIGIN_SIZE);
	if (!buf)
		return;
	n = cow_snapshot_list(v, info, COW_MAX_SNAPSHOTS);
	for (int i = 0; i < n; i++)
		(void)cow_snapshot_read(v, info[i].id, buf, st.origin_size, 0);
	(void)cow_read(v, buf, st.origin_size, 0);
	for (uint64_t off = 0; off + CHUNK <= st.origin_size;
	     off += 5 * CHUNK)
		(void)cow_write(v, buf, CHUNK, off);
	(void)cow_snapshot_create(v, NULL, NULL);
	if (n > 0) {
		(void)cow_snapshot_delete(v, info[0].id);
		(void)cow_snapshot_info(v, info[n - 1].id, &info[0]);
	}
	(void)cow_discard(v, CHUNK, 0);
	(void)cow_flush(v);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim *s;
	struct cow_volume *v;
	uint8_t *d;
	bool patched = false;
	size_t i;

	if (size < 3)
		return 0;
	s = sim_new(ORIGIN_SIZE, DIFF_SIZE);
	if (cow_volume_create_io(sim_ops(), s, CHUNK) ||
	    cow_volume_open_io(sim_ops(), s, &v))
		abort();
	workload(v, 0x9e3779b97f4a7c15ull * (data[0] + 1u), data[1] % 64u);
	(void)cow_volume_close(v);

	d = sim_bytes(s, COW_DIFF);
	for (i = 3; i + 4 <= size; ) {
		uint32_t off = data[i] | (uint32_t)data[i + 1] << 8 |
			       (uint32_t)(data[i + 2] & 0x7f) << 16;
		uint32_t area = data[i + 2] & 0x80 ? DIFF_SIZE : META_AREA;
		size_t len = 1 + data[i + 3] % 8u;

		i += 4;
		off %= area;
		if (len > size - i)
			len = size - i;
		if (len > DIFF_SIZE - off)
			len = DIFF_SIZE - off;
		memcpy(d + off, data + i, len);
		i += len;
		patched = true;
	}
	if (data[2] & 1)
		for (unsigned k = 0; k < 2; k++)
			fix_crc(d + k * SB_SIZE, SB_SIZE, SB_CRC_OFF);
	if (data[2] & 2)
		for (uint32_t off = META_START; off + LOG_BLOCK <= META_AREA;
		     off += LOG_BLOCK)
			if (get32(d + off) == LOG_MAGIC)
				fix_crc(d + off, LOG_BLOCK, LOG_CRC_OFF);
	sim_record(s, false);	/* the patched bytes are the durable ones */

	if (cow_volume_open_io(sim_ops(), s, &v)) {
		if (!patched)
			abort();	/* a clean close must reopen */
	} else {
		exercise(v);
		(void)cow_volume_close(v);
		/* what an open accepted, a clean close must leave openable */
		if (cow_volume_open_io(sim_ops(), s, &v))
			abort();
		(void)cow_volume_close(v);
	}
	sim_free(s);
	return 0;
}
