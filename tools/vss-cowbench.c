/* vss-cowbench — the copy-on-write engine against raw io_uring, on the
 * same files, in one run.
 *
 * Raw: one io_uring with QD requests in flight, O_DIRECT, on the origin
 * file.  Ideal COW: the same writes done as linked io_uring chains
 * read-old-chunk -> write-to-diff -> write-new, no metadata, no flushes.
 * Engine: QD threads each calling the engine synchronously (as FUSE
 * workers would), each with its own ring inside the engine.  Every engine
 * figure is printed as a ratio to its raw counterpart. */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "cow/engine/cow.h"
#include "tools/cowbench.h"

struct opts o = {
	.size = 1ull << 30,
	.chunk = COW_CHUNK_DEFAULT,
	.qd = 16,
	.seq_bytes = 256ull << 20,
	.rand_ops = 8192,
	.rounds = 3,
	.snaps = 20,
};

static char *origin_path, *diff_path, *dir_made;
uint64_t *rand_offs;

static void usage(FILE *f, int status)
{
	fprintf(f,
"Usage: vss-cowbench [options]\n"
"       vss-cowbench --live [options]\n"
"Measure the copy-on-write engine against raw io_uring on the same files;\n"
"with --live (root), vss-cowd's volumes against a raw loop device on the\n"
"same backing file, and the flush-and-hold window of vssd.\n"
"\n"
"Options:\n"
"  -d, --dir DIR        where to put the files (default: a new directory\n"
"                       under /var/tmp; O_DIRECT needs a real filesystem)\n"
"  -s, --size MIB       origin size in MiB (default 1024)\n"
"  -c, --chunk KIB      engine chunk size in KiB (default %u)\n"
"  -q, --qd N           raw queue depth = engine worker threads (default 16)\n"
"  -b, --seq-mib MIB    data moved by each sequential case (default 256)\n"
"  -n, --rand-ops N     requests in each random 4 KiB case (default 8192)\n"
"  -r, --rounds N       measure everything N times, keep the best (default 3;\n"
"                       --live: the median, default 5)\n"
"  -j, --json           print one JSON object instead of a table\n"
"  -k, --keep           keep the files\n"
"  -L, --live           measure vss-cowd (FUSE + loop) and the hold window\n"
"                       through a private vssd and vss-cowd (root)\n"
"  -Q, --quick          with --live: tiny sizes, one round (a smoke test)\n"
"  -S, --snapshots N    with --live: snapshots per hold-window set (default 20)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n",
		COW_CHUNK_DEFAULT >> 10);
	exit(status);
}

/* ---- raw io_uring ---- */
/* Run nops requests of bs bytes at offs(i), QD in flight.  RAW_COW does
 * each as a linked chain: read the chunk(s) under the write into a
 * buffer, write them to the diff file, write the new data. */
double raw_run(enum rawkind kind, int ofd, int dfd, unsigned nops,
		      uint32_t bs, bool seq)
{
	struct io_uring ring;
	uint32_t span = kind == RAW_COW ? (bs > o.chunk ? bs : o.chunk) : 0;
	char *bufs, *old;
	unsigned sub = 0, done = 0, inflight = 0;
	uint64_t t0;
	int fds[2] = { ofd, dfd };

	if (io_uring_queue_init(4 * o.qd, &ring, 0))
		errx(1, "io_uring_queue_init failed");
	if (io_uring_register_files(&ring, fds, dfd >= 0 ? 2 : 1))
		errx(1, "io_uring_register_files failed");
	if (posix_memalign((void **)&bufs, 4096, (size_t)o.qd * bs) ||
	    posix_memalign((void **)&old, 4096,
			   (size_t)o.qd * (span ? span : 4096)))
		err(1, "memory");
	memset(bufs, 0x5a, (size_t)o.qd * bs);
	t0 = mono_us();
	while (done < nops) {
		while (sub < nops && inflight < o.qd) {
			unsigned slot = sub % o.qd;
			uint64_t off = seq ? (uint64_t)sub * bs : rand_offs[sub];
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (kind == RAW_COW) {
				uint64_t base = off - off % span;
				char *ob = old + (size_t)slot * span;

				io_uring_prep_read(sqe, 0, ob, span, base);
				sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
				sqe->user_data = UINT64_MAX;
				sqe = io_uring_get_sqe(&ring);
				io_uring_prep_write(sqe, 1, ob, span,
						    (uint64_t)sub * span);
				sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
				sqe->user_data = UINT64_MAX;
				sqe = io_uring_get_sqe(&ring);
			}
			if (kind == RAW_READ)
				io_uring_prep_read(sqe, 0, bufs + (size_t)slot * bs,
						   bs, off);
			else
				io_uring_prep_write(sqe, 0,
						    bufs + (size_t)slot * bs, bs,
						    off);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->user_data = sub;
			sub++;
			inflight++;
		}
		io_uring_submit_and_wait(&ring, 1);
		for (;;) {
			struct io_uring_cqe *cqe;

			if (io_uring_peek_cqe(&ring, &cqe))
				break;
			if (cqe->res < 0)
				errx(1, "raw I/O: %s", strerror(-cqe->res));
			if (cqe->user_data != UINT64_MAX) {
				done++;
				inflight--;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	t0 = mono_us() - t0;
	io_uring_queue_exit(&ring);
	free(bufs);
	free(old);
	return (double)nops * bs / (t0 ? t0 : 1);	/* MB/s (10^6) */
}

/* ---- the engine, from qd threads ---- */
enum engkind { ENG_WRITE, ENG_READ, ENG_SNAPREAD };

struct engrun {
	struct cow_volume *v;
	enum engkind kind;
	uint64_t snap;
	unsigned nops;
	uint32_t bs;
	bool seq;
	_Atomic unsigned next;
	_Atomic int err;
};

static void *eng_thread(void *arg)
{
	struct engrun *e = arg;
	char *buf;
	unsigned i;

	if (posix_memalign((void **)&buf, 4096, e->bs))
		return NULL;
	memset(buf, 0xa5, e->bs);
	while ((i = atomic_fetch_add(&e->next, 1)) < e->nops) {
		uint64_t off = e->seq ? (uint64_t)i * e->bs : rand_offs[i];
		int r;

		if (e->kind == ENG_WRITE)
			r = cow_write(e->v, buf, e->bs, off);
		else if (e->kind == ENG_READ)
			r = cow_read(e->v, buf, e->bs, off);
		else
			r = cow_snapshot_read(e->v, e->snap, buf, e->bs, off);
		if (r)
			atomic_store(&e->err, r);
	}
	free(buf);
	return NULL;
}

static double eng_run(struct cow_volume *v, enum engkind kind, uint64_t snap,
		      unsigned nops, uint32_t bs, bool seq)
{
	struct engrun e = { .v = v, .kind = kind, .snap = snap, .nops = nops,
			    .bs = bs, .seq = seq };
	pthread_t *th = calloc(o.qd, sizeof(*th));
	uint64_t t0 = mono_us();

	for (unsigned i = 0; i < o.qd; i++)
		pthread_create(&th[i], NULL, eng_thread, &e);
	for (unsigned i = 0; i < o.qd; i++)
		pthread_join(th[i], NULL);
	t0 = mono_us() - t0;
	free(th);
	if (e.err)
		errx(1, "engine I/O: %s", strerror(-e.err));
	return (double)nops * bs / (t0 ? t0 : 1);
}

/* ---- files ---- */
static void fresh_diff(void)
{
	int fd = open(diff_path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, 0))
		err(1, "%s", diff_path);
	close(fd);
}

static struct cow_volume *fresh_volume(unsigned nsnaps, uint64_t *snap)
{
	struct cow_params p = { .chunk_size = o.chunk,
				.diff_max = o.size + o.size / 8 + 64 * MIB };
	struct cow_volume *v;
	int r;

	fresh_diff();
	r = cow_volume_create(origin_path, diff_path, &p);
	if (!r)
		r = cow_volume_open(origin_path, diff_path, 0, &v);
	if (r)
		errx(1, "volume: %s", strerror(-r));
	for (unsigned i = 0; i < nsnaps; i++)
		if ((r = cow_snapshot_create(v, NULL, snap)))
			errx(1, "snapshot: %s", strerror(-r));
	return v;
}

void fill_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0600);
	char *b;

	if (fd < 0)
		err(1, "%s", path);
	if (posix_memalign((void **)&b, 4096, 4 * MIB))
		err(1, "memory");
	for (size_t i = 0; i < 4 * MIB; i++)
		b[i] = (char)(i * 131 + 7);
	for (uint64_t off = 0; off < o.size; off += 4 * MIB)
		if (pwrite(fd, b, 4 * MIB, off) != 4 * MIB)
			err(1, "filling %s", path);
	fsync(fd);
	close(fd);
	free(b);
}

static int open_direct(const char *path)
{
	int fd = open(path, O_RDWR | O_DIRECT);

	if (fd < 0)
		err(1, "%s (O_DIRECT)", path);
	return fd;
}

/* Median time (of 21) of snapshot creation on a sparse origin of gib GiB. */
static double create_us(uint64_t gib)
{
	char *op, *dp;
	struct cow_params p = { .chunk_size = o.chunk, .origin_size = gib << 30,
				.diff_max = 256 * MIB };
	struct cow_volume *v;
	double t[21];
	int r;

	if (asprintf(&op, "%s/sparse-%llu", o.dir, (unsigned long long)gib) < 0 ||
	    asprintf(&dp, "%s/sparse-%llu.diff", o.dir,
		     (unsigned long long)gib) < 0)
		err(1, "memory");
	r = cow_volume_create(op, dp, &p);
	if (!r)
		r = cow_volume_open(op, dp, 0, &v);
	if (r)
		errx(1, "sparse volume: %s", strerror(-r));
	for (int i = 0; i < 21; i++) {
		uint64_t t0 = mono_us(), id;

		if ((r = cow_snapshot_create(v, NULL, &id)))
			errx(1, "snapshot: %s", strerror(-r));
		t[i] = (double)(mono_us() - t0);
	}
	cow_volume_close(v);
	unlink(op);
	unlink(dp);
	free(op);
	free(dp);
	for (int i = 1; i < 21; i++)	/* sort for the median */
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[10];
}

static void cleanup(void)
{
	if (!o.keep) {
		if (origin_path)
			unlink(origin_path);
		if (diff_path)
			unlink(diff_path);
		if (dir_made)
			rmdir(dir_made);
	}
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "qd", required_argument, NULL, 'q' },
		{ "seq-mib", required_argument, NULL, 'b' },
		{ "rand-ops", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "live", no_argument, NULL, 'L' },
		{ "quick", no_argument, NULL, 'Q' },
		{ "snapshots", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool rounds_set = false;
	int c;

	while ((c = getopt_long(argc, argv, "d:s:c:q:b:n:r:jkLQS:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 's': o.size = strtoull(optarg, NULL, 0) << 20; break;
		case 'c': o.chunk = (uint32_t)strtoul(optarg, NULL, 0) << 10; break;
		case 'q': o.qd = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o.seq_bytes = strtoull(optarg, NULL, 0) << 20; break;
		case 'n': o.rand_ops = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'r':
			o.rounds = (unsigned)strtoul(optarg, NULL, 0);
			rounds_set = true;
			break;
		case 'j': o.json = true; break;
		case 'k': o.keep = true; break;
		case 'L': o.live = true; break;
		case 'Q': o.quick = true; break;
		case 'S': o.snaps = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("vss-cowbench %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr, 2);
		}
	}
	if (optind < argc)
		usage(stderr, 2);
	if (o.quick && !o.live)
		errx(2, "--quick goes with --live");
	if (o.live && !rounds_set)
		o.rounds = 5;	/* medians */
	if (o.quick) {
		o.size = 64 * MIB;
		o.seq_bytes = 16 * MIB;
		o.rand_ops = 256;
		o.rounds = 1;
		o.snaps = 2;
	}
	if (!o.snaps || o.snaps > 10000)
		errx(2, "bad option value (see --help)");
	if (!o.qd || o.qd > 256 || !o.rounds || o.chunk < COW_CHUNK_MIN ||
	    o.chunk > COW_CHUNK_MAX || (o.chunk & (o.chunk - 1)) ||
	    o.size < 64 * MIB || o.size % MIB)
		errx(2, "bad option value (see --help)");
	if (o.seq_bytes > o.size / 2)
		o.seq_bytes = o.size / 2;
	if (o.rand_ops > o.size / o.chunk / 2)
		o.rand_ops = (unsigned)(o.size / o.chunk / 2);
}

struct fig {
	const char *name;
	double val;
};

/* Record figure number *n (counting up each round), keeping the best. */
static void fig_best(struct fig *f, unsigned *n, const char *name, double x)
{
	f[*n].name = name;
	if (x > f[*n].val)
		f[*n].val = x;
	(*n)++;
}

/* One round: raw, ideal and engine figures, in this order each time. */
static void measure_round(struct fig *raw, struct fig *eng, unsigned seq_ops)
{
	unsigned nraw = 0, neng = 0;
	struct cow_volume *v;
	uint64_t snap = 0;
	int ofd, dfd;

#define RAW(n, x) fig_best(raw, &nraw, (n), (x))
#define ENG(n, x) fig_best(eng, &neng, (n), (x))
	ofd = open_direct(origin_path);
	dfd = open_direct(diff_path);
	RAW("write_seq_MBps", raw_run(RAW_WRITE, ofd, -1, seq_ops, MIB, true));
	RAW("write_rand4k_MBps",
	    raw_run(RAW_WRITE, ofd, -1, o.rand_ops, 4096, false));
	RAW("read_seq_MBps", raw_run(RAW_READ, ofd, -1, seq_ops, MIB, true));
	RAW("ideal_cow_seq_MBps", raw_run(RAW_COW, ofd, dfd, seq_ops, MIB,
					   true));
	close(dfd);
	fresh_diff();
	dfd = open_direct(diff_path);
	RAW("ideal_cow_rand4k_MBps",
	    raw_run(RAW_COW, ofd, dfd, o.rand_ops, 4096, false));
	close(dfd);
	close(ofd);

	v = fresh_volume(0, NULL);
	ENG("write_nosnap_seq_MBps", eng_run(v, ENG_WRITE, 0, seq_ops, MIB, true));
	ENG("write_nosnap_rand4k_MBps",
	    eng_run(v, ENG_WRITE, 0, o.rand_ops, 4096, false));
	ENG("origin_read_seq_MBps", eng_run(v, ENG_READ, 0, seq_ops, MIB, true));
	cow_volume_close(v);

	v = fresh_volume(1, &snap);
	ENG("cow_first_write_seq_MBps",
	    eng_run(v, ENG_WRITE, 0, seq_ops, MIB, true));
	ENG("rewrite_seq_MBps", eng_run(v, ENG_WRITE, 0, seq_ops, MIB, true));
	ENG("snap_read_seq_MBps",
	    eng_run(v, ENG_SNAPREAD, snap, seq_ops, MIB, true));
	cow_volume_close(v);

	v = fresh_volume(1, &snap);
	ENG("cow_first_write_rand4k_MBps",
	    eng_run(v, ENG_WRITE, 0, o.rand_ops, 4096, false));
	cow_volume_close(v);

	v = fresh_volume(64, &snap);
	ENG("cow_first_write_seq_64snaps_MBps",
	    eng_run(v, ENG_WRITE, 0, seq_ops, MIB, true));
	cow_volume_close(v);
	fresh_diff();
#undef RAW
#undef ENG
}

/* Random 4 KiB offsets, each in a chunk of its own, in a fixed order. */
static void make_rand_offs(void)
{
	uint64_t rng = 88172645463325252ull;
	unsigned nchunks = (unsigned)(o.size / o.chunk);

	rand_offs = calloc(nchunks, sizeof(*rand_offs));
	if (!rand_offs)
		err(1, "memory");
	for (unsigned i = 0; i < nchunks; i++)
		rand_offs[i] = i;
	for (unsigned i = nchunks - 1; i > 0; i--) {
		unsigned j;
		uint64_t t;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		j = (unsigned)(rng % (i + 1));
		t = rand_offs[i];
		rand_offs[i] = rand_offs[j];
		rand_offs[j] = t;
	}
	for (unsigned i = 0; i < nchunks; i++)
		rand_offs[i] = rand_offs[i] * o.chunk +
			       ((i * 2654435761u) % (o.chunk / 4096)) * 4096;
}

int main(int argc, char **argv)
{
	struct fig raw[5] = { { 0 } }, eng[8] = { { 0 } }, rat[16];
	unsigned nraw, neng, nrat = 0;
	unsigned seq_ops;
	double c1g, c64g;
	static char tmpl[] = "/var/tmp/vss-cowbench.XXXXXX";	/* atexit */

	parse(argc, argv);
	if (o.live) {
		make_rand_offs();
		return live_main();
	}
	if (!o.dir) {
		if (!mkdtemp(tmpl))
			err(1, "mkdtemp");
		o.dir = dir_made = tmpl;
	}
	if (asprintf(&origin_path, "%s/origin", o.dir) < 0 ||
	    asprintf(&diff_path, "%s/diff", o.dir) < 0)
		err(1, "memory");
	atexit(cleanup);
	fill_file(origin_path);
	fresh_diff();
	seq_ops = (unsigned)(o.seq_bytes / MIB);
	make_rand_offs();

	/* every figure is the best of --rounds rounds, raw and engine
	 * alternating, so that a noisy spell of the disk hurts both alike */
#define RAT(n, x) (rat[nrat].name = (n), rat[nrat++].val = (x))
	for (unsigned round = 0; round < o.rounds; round++)
		measure_round(raw, eng, seq_ops);
	nraw = (unsigned)(sizeof(raw) / sizeof(raw[0]));
	neng = (unsigned)(sizeof(eng) / sizeof(eng[0]));

	c1g = create_us(1);
	c64g = create_us(64);

	RAT("write_nosnap_seq", eng[0].val / raw[0].val);
	RAT("write_nosnap_rand4k", eng[1].val / raw[1].val);
	RAT("origin_read_seq", eng[2].val / raw[2].val);
	RAT("cow_first_write_seq", eng[3].val / raw[0].val);
	RAT("cow_first_write_seq_vs_ideal", eng[3].val / raw[3].val);
	RAT("rewrite_seq", eng[4].val / raw[0].val);
	RAT("snap_read_seq", eng[5].val / raw[2].val);
	RAT("cow_first_write_rand4k", eng[6].val / raw[1].val);
	RAT("cow_first_write_rand4k_vs_ideal", eng[6].val / raw[4].val);
	RAT("cow_first_write_seq_64snaps_vs_1", eng[7].val / eng[3].val);
	RAT("ideal_cow_seq", raw[3].val / raw[0].val);
	RAT("ideal_cow_rand4k", raw[4].val / raw[1].val);

	if (o.json) {
		json_object *j = json_object_new_object(), *x;

		x = json_object_new_object();
		json_object_object_add(x, "chunk_size",
				       json_object_new_int64(o.chunk));
		json_object_object_add(x, "origin_size",
				       json_object_new_int64((int64_t)o.size));
		json_object_object_add(x, "qd", json_object_new_int(o.qd));
		json_object_object_add(x, "seq_bs", json_object_new_int(MIB));
		json_object_object_add(x, "rand_bs", json_object_new_int(4096));
		json_object_object_add(j, "config", x);
		x = json_object_new_object();
		for (unsigned i = 0; i < nraw; i++)
			json_object_object_add(x, raw[i].name,
					       json_object_new_double(raw[i].val));
		json_object_object_add(j, "raw", x);
		x = json_object_new_object();
		for (unsigned i = 0; i < neng; i++)
			json_object_object_add(x, eng[i].name,
					       json_object_new_double(eng[i].val));
		json_object_object_add(j, "engine", x);
		x = json_object_new_object();
		for (unsigned i = 0; i < nrat; i++)
			json_object_object_add(x, rat[i].name,
					       json_object_new_double(rat[i].val));
		json_object_object_add(j, "ratios", x);
		x = json_object_new_object();
		json_object_object_add(x, "1GiB", json_object_new_double(c1g));
		json_object_object_add(x, "64GiB", json_object_new_double(c64g));
		json_object_object_add(j, "snapshot_create_us", x);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else {
		printf("chunk %u KiB, origin %llu MiB, QD %u, seq 1 MiB, "
		       "random 4 KiB\n", o.chunk >> 10,
		       (unsigned long long)(o.size >> 20), o.qd);
		for (unsigned i = 0; i < nraw; i++)
			printf("raw     %-34s %10.1f\n", raw[i].name, raw[i].val);
		for (unsigned i = 0; i < neng; i++)
			printf("engine  %-34s %10.1f\n", eng[i].name, eng[i].val);
		for (unsigned i = 0; i < nrat; i++)
			printf("ratio   %-34s %10.3f\n", rat[i].name, rat[i].val);
		printf("snapshot create (median of 21): 1 GiB %.0f us, "
		       "64 GiB %.0f us\n", c1g, c64g);
	}
	free(rand_offs);
	return 0;
}
