/* cowbench.h — what the two modes of vss-cowbench share: the options, the
 * random offsets, the raw io_uring measurement and the origin fill.  The
 * engine mode is vss-cowbench.c, the live mode (vss-cowd through FUSE and
 * loop devices, against a raw loop device) cowbench-live.c. */
#ifndef VSS_COWBENCH_H
#define VSS_COWBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MIB (1u << 20)

struct opts {
	const char *dir;
	uint64_t size;		/* origin size */
	uint32_t chunk;
	unsigned qd;
	uint64_t seq_bytes;	/* per sequential case */
	unsigned rand_ops;	/* per random case */
	unsigned rounds;
	bool json, keep;
	bool live, quick;	/* --live, --quick */
	unsigned snaps;		/* --live: snapshots per hold-window set */
};

extern struct opts o;
extern uint64_t *rand_offs;	/* one 4 KiB offset in each of distinct chunks */

enum rawkind { RAW_WRITE, RAW_READ, RAW_COW, RAW_COW_DURABLE,
	       RAW_READ_CHUNKS /* whole bs-aligned bs blocks under each offset */ };

/* MB/s of nops requests of bs bytes, o.qd in flight, on fd ofd (O_DIRECT;
 * a file or a block device); RAW_COW chains a copy to dfd first,
 * RAW_COW_DURABLE a copy and an fdatasync of dfd. */
double raw_run(enum rawkind kind, int ofd, int dfd, unsigned nops,
	       uint32_t bs, bool seq);
/* The CPU time (all CPUs, microseconds) not idle during the last
 * raw_run's measured part; NAN where the idle time cannot be read. */
extern double raw_run_busy_us;
extern double raw_run_wall_us;	/* its wall time, microseconds */
/* raw_run once, unmeasured, before a pair: a virtual disk's first pass
 * over a region is much slower than the next, which would otherwise be
 * paid by whichever of the pair came first. */
void warm(enum rawkind kind, int ofd, unsigned nops, uint32_t bs, bool seq);
/* The directory whose filesystem raw_run syncs before each run (NULL:
 * none), so that no run starts with an earlier one's write-back below it. */
extern const char *bench_dir;

/* Whether round r measures the engine (vss-cowd) before the raw figure it
 * is divided by: the order flips every round. */
static inline bool measured_first(unsigned r)
{
	return r & 1;
}

/* Fills path (created) with o.size bytes of a pattern, O_DIRECT. */
void fill_file(const char *path);

/* --live: the whole run; returns the exit status. */
int live_main(void);

/* --live's pass-through baseline (cowbench-pass.c): a child process
 * serving backing as the file "volume" of a FUSE filesystem mounted at
 * mnt, with vss-cowd's front end and no engine.  Its pid once mounted, or
 * -1 (a message on stderr).  It exits when mnt is unmounted. */
pid_t pass_start(const char *mnt, const char *backing);

#endif
