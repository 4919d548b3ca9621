/* fusefront.c — the FUSE front end's settings and receive loop, shared by
 * vss-cowd (fuse.c) and the pass-through baseline of vss-cowbench --live
 * (tools/cowbench-pass.c), so that the two differ by the engine alone. */
#define FUSE_USE_VERSION 312
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "cow/cowd/fusefront.h"

void fusefront_init_conn(struct fuse_conn_info *conn)
{
	conn->max_write = 1u << 20;
	conn->max_readahead = 1u << 20;
	/* the loop device sends its whole queue depth as background
	 * requests; the kernel's default lets only 12 of them through */
	conn->max_background = 2 * FUSEFRONT_WORKERS;
	conn->congestion_threshold = 2 * FUSEFRONT_WORKERS;
	/* payloads land in our aligned buffers, never in a pipe */
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ);
	/* No auto_inval_data: with it, a write marks the attributes stale
	 * and the next read first asks GETATTR, synchronously, from the loop
	 * device's worker, so a workload mixing reads and writes paid a round
	 * trip in front of nearly every read (fio randrw 4 KiB: 11520 GETATTR
	 * for 14239 READ; 66-72 MB/s, 72-107 without).  It never
	 * invalidated anything here anyway: our attributes never change (size
	 * fixed, mtime 0), and the loop device reads direct, past the page
	 * cache (which every open drops: keep_cache = 0). */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
}

/* The receive loop.  libfuse's own loop reads a request into a malloc'd
 * buffer, which puts a WRITE payload 80 bytes (fuse_in_header +
 * fuse_write_in) past an arbitrary address, and the engine then copies
 * every write into its bounce buffer for O_DIRECT.  Our workers read
 * /dev/fuse into a buffer placed so that the payload starts on a page:
 * the engine writes it to the backing file as it is.  A fixed pool of
 * FUSEFRONT_WORKERS threads, each with its own buffer (and, inside the
 * engine, its own io_uring), each receiving and handling one request at a
 * time.
 *
 * Where the time of a random 4 KiB write goes (perf, fio QD16 on the live
 * device): ~40 us of CPU per request in this daemon, nearly all in the
 * kernel: the backing write's submission down to the virtio kick, two
 * sleeps per request (in the /dev/fuse read, waiting for the I/O: 2.1
 * voluntary switches per request), the FUSE read and reply; user space
 * (libfuse, engine, locks) under 5 %.  Tried, and no better: the backing
 * I/O as plain pwrite/pread instead of the ring (same CPU per request on a
 * written file; on a sparse one 1.5-10x slower, an allocating O_DIRECT
 * write blocking the thread where the ring hands it to a kernel worker), 4
 * or 8 workers (fewer switches, less I/O in flight: no gain), rq_affinity 0
 * on the loop device.  Going further needs a worker with several requests
 * in flight, i.e. an engine write that does not wait for the origin I/O.
 * A prototype of that (session 10: 1-4 workers, each reading a
 * non-blocking /dev/fuse into up to 32 buffers, starting writes with
 * cow_aio_write, submitting them together and polling /dev/fuse and the
 * ring; every other request drains the worker first) took fio random 4 KiB
 * writes QD16 from 0.59-0.65 of the raw loop device to 0.67-0.69 (2
 * workers; 1: 0.64-0.66, 4: 0.63-0.67), context switches from 5.6 to 2.6
 * per request, the time in virtio kicks (iowrite16) per request to a
 * quarter, and left 20 % of the CPU idle; but sequential 1 MiB writes lost
 * about a fifth (2.3-2.4 against 2.9-3.1 GB/s; two runs each, the raw
 * device itself varying 2.6-4.2), perhaps because the 1 MiB payload copies
 * of /dev/fuse then have two threads instead of 16 (not checked).  Not
 * kept: to land, the contexts need a lifetime tied to the volume's (freed
 * under io_lock held exclusive before the engine closes), reads need the
 * same path, and the large-write loss a fix.  A second version (session
 * 11) did all that: 2 workers of 16 buffers, reads and snapshot reads
 * asynchronous too, a large request submitted at once, a context per
 * (worker, volume) freed under io_lock held exclusive, a write that finds
 * its volume held waiting only once the worker has nothing in flight, and
 * a nowait mode in the engine (a start that would wait for a snapshot
 * being made or deleted, or for room, fails with -EBUSY; the worker drains,
 * then starts it blocking), without which two workers holding requests on
 * two volumes could each wait for the other's.  It passed the suite, but
 * against this pool of 16, in alternating vss-cowbench --live runs on a
 * machine not bound by CPU: first writes after a snapshot halved (random
 * 4 KiB 0.09/0.08 against 0.14-0.28 of the raw loop device, sequential
 * 0.26 against 0.28-0.32), random reads fell (0.59/0.69 against 0.72-0.76)
 * and random writes did not gain (0.56/0.83 against 0.71-0.75).  A preserve
 * is synchronous inside cow_aio_write, so a worker doing one stalls all it
 * has in flight, and two workers make two preserves at a time where this
 * pool makes sixteen.  A third version handed such writes (the engine's
 * nowait start also refusing a write that must preserve first), and
 * anything else that would wait, to 8 pool threads that do them
 * synchronously, holding nothing of the worker's, and give the buffer back
 * through an eventfd the worker polls.  First writes after a snapshot came
 * back to this pool's level and the CPU per random 4 KiB request fell by a
 * fifth (writes 27-30 us against 34-38, reads 23-24 against 29-32), but
 * random 4 KiB writes gained nothing clear (0.54-0.58 against 0.48-0.61,
 * three alternating pairs, a fast disk) and random reads lost a little:
 * not kept either, though it is the version to take up again for the CPU.
 * Against the pass-through baseline of vss-cowbench --live (below), in one
 * full run of session 12 on a busy host, it made 0.92 of it on random
 * 4 KiB writes, 0.87 on random reads and 0.88 on sequential writes, and
 * its hold windows reached 7.3 and 10.0 ms at the 99th percentile for the
 * 16 GiB sets (this front end's: 4.1 ms at most in three runs).
 *
 * Nor does another transport raise that ceiling here.  The kernel (6.18)
 * has FUSE over io_uring (CONFIG_FUSE_IO_URING, off until
 * /sys/module/fuse/parameters/enable_uring is Y; libfuse 3.14 cannot use
 * it).  A throwaway pass-through server on it (session 11: its own INIT
 * with FUSE_OVER_IO_URING, a thread per CPU queue with 16 entries of 1 MiB,
 * the backing O_DIRECT I/O on the same ring, no engine) against the raw
 * loop device over the same file, fio random 4 KiB writes QD16 through a
 * loop device with direct I/O, three alternating pairs: 0.64, 0.71, 0.63
 * (50-59k against 79-91k IOPS); QD32 0.60.  It spent 16 us of CPU per
 * request (41 % of the CPUs busy, one context switch per request), well
 * under this daemon's 40, yet went no faster: the request held a ring entry
 * only 56 % of its time (8.95 of 16 on average), the rest is spent in the
 * kernel between the loop device and the daemon.  With the guest's halt
 * polling on (guest_halt_poll_ns 200000; this VM has 0) both sides gained a
 * quarter and the ratio stayed (0.63).  So a pass-through FUSE daemon tops
 * out at about two thirds of the raw loop device for random 4 KiB on this
 * machine, whichever transport.
 *
 * vss-cowbench --live now measures that in every run: its pass-through
 * baseline is this front end with the backing I/O and nothing else.  In
 * two full runs (session 12) it made 0.69 and 0.63 of the raw loop device
 * for random 4 KiB writes, and vss-cowd 1.02 and 0.97 of it, at the same
 * CPU per request (44 against 46 us, 35 against 33); a perf profile of
 * either under fio's sequential 1 MiB writes is the same, a third of it
 * the payload copy of the /dev/fuse read, a fifth a spin lock taken in
 * fuse_copy_fill, no user-space symbol above 0.3 %, and the same CPU per
 * MiB (0.25 and 0.25 ms against 0.23 and 0.27).  What stands between
 * vss-cowd and the raw loop device is this front end, not the engine. */
/* sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in), kernel ABI
 * 7.9 on (fuse_kernel.h is not installed) */
#define PAYLOAD_OFF	80u
/* libfuse up to 3.16 reads requests of up to 256 pages plus a page of
 * header into the buffer it is given; a later one lays out its own */
#define RECV_SIZE	(4096u + (256u << 12) + 4096u)

static void *worker_main(void *arg)
{
	struct fuse_session *se = arg;
	struct fuse_buf fbuf = { .mem = NULL };
	char *base = NULL;

	if (fuse_version() < 317 && posix_memalign((void **)&base, 4096, RECV_SIZE))
		base = NULL;
	while (!fuse_session_exited(se)) {
		int r;

		if (base) {
			fbuf.mem = base + 4096 - PAYLOAD_OFF;
			fbuf.size = RECV_SIZE - (4096 - PAYLOAD_OFF);
		}
		fbuf.flags = 0;
		r = fuse_session_receive_buf(se, &fbuf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r < 0)
			log_err("FUSE: receiving a request: %s", strerror(-r));
		if (r <= 0)
			break;		/* 0: unmounted or aborted (ENODEV) */
		fuse_session_process_buf(se, &fbuf);
	}
	if (!base)
		free(fbuf.mem);		/* libfuse's own */
	free(base);
	return NULL;
}

void fusefront_serve(struct fuse_session *se, unsigned nworkers)
{
	pthread_t th[FUSEFRONT_WORKERS];
	unsigned n = 0;

	if (nworkers > FUSEFRONT_WORKERS)
		nworkers = FUSEFRONT_WORKERS;
	for (; n < nworkers; n++)
		if (pthread_create(&th[n], NULL, worker_main, se))
			break;
	if (!n)
		log_err("FUSE: no worker thread could start");
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}
