/* cow-testlib.c — see cow-testlib.h. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cow-testlib.h"

/* ---- in-memory backend ---- */
struct pend {
	uint64_t off;
	size_t len;
	uint8_t *data;		/* NULL: zeros */
};

struct simfile {
	uint8_t *cur, *dur;
	uint64_t size;
	struct pend *p;
	size_t np, cap;
};

struct sim {
	struct simfile f[2];
	bool record;
	long fail_after, count;
	pthread_mutex_t lock;
};

struct sim *sim_new(uint64_t origin_size, uint64_t diff_size)
{
	struct sim *s = calloc(1, sizeof(*s));

	s->f[0].size = origin_size;
	s->f[1].size = diff_size;
	for (int i = 0; i < 2; i++) {
		s->f[i].cur = calloc(1, s->f[i].size);
		s->f[i].dur = calloc(1, s->f[i].size);
	}
	s->fail_after = -1;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void pend_clear(struct simfile *f)
{
	for (size_t i = 0; i < f->np; i++)
		free(f->p[i].data);
	f->np = 0;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++) {
		pend_clear(&s->f[i]);
		free(s->f[i].p);
		free(s->f[i].cur);
		free(s->f[i].dur);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sim_record(struct sim *s, bool on)
{
	s->record = on;
	for (int i = 0; i < 2; i++) {
		pend_clear(&s->f[i]);
		memcpy(s->f[i].dur, s->f[i].cur, s->f[i].size);
	}
}

void sim_fail_after(struct sim *s, long n)
{
	pthread_mutex_lock(&s->lock);	/* I/O may be running */
	s->fail_after = n;
	s->count = 0;
	pthread_mutex_unlock(&s->lock);
}

long sim_io_count(const struct sim *s)
{
	return s->count;
}

uint8_t *sim_bytes(struct sim *s, enum cow_file f)
{
	return s->f[f].cur;
}

/* Called with the lock held: -EIO once the cut point is passed. */
static int sim_tick(struct sim *s)
{
	if (s->fail_after < 0)
		return 0;
	return s->count++ >= s->fail_after ? -EIO : 0;
}

static int sim_read(void *io, enum cow_file f, void *buf, size_t len,
		    uint64_t off)
{
	struct sim *s = io;
	int r;

	pthread_mutex_lock(&s->lock);
	r = sim_tick(s);
	if (!r && (off > s->f[f].size || len > s->f[f].size - off))
		r = -EIO;
	if (!r)
		memcpy(buf, s->f[f].cur + off, len);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sim_put(struct sim *s, enum cow_file f, const void *buf,
		   size_t len, uint64_t off)
{
	struct simfile *sf = &s->f[f];
	int r = sim_tick(s);

	if (!r && (off > sf->size || len > sf->size - off))
		r = -EIO;
	if (r)
		return r;
	if (buf)
		memcpy(sf->cur + off, buf, len);
	else
		memset(sf->cur + off, 0, len);
	if (!s->record)
		return 0;
	if (sf->np == sf->cap) {
		sf->cap = sf->cap ? 2 * sf->cap : 64;
		sf->p = realloc(sf->p, sf->cap * sizeof(*sf->p));
	}
	sf->p[sf->np].off = off;
	sf->p[sf->np].len = len;
	sf->p[sf->np].data = NULL;
	if (buf) {
		sf->p[sf->np].data = malloc(len);
		memcpy(sf->p[sf->np].data, buf, len);
	}
	sf->np++;
	return 0;
}

static int sim_write(void *io, enum cow_file f, const void *buf, size_t len,
		     uint64_t off)
{
	struct sim *s = io;
	int r;

	pthread_mutex_lock(&s->lock);
	r = sim_put(s, f, buf, len, off);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sim_zero(void *io, enum cow_file f, size_t len, uint64_t off)
{
	struct sim *s = io;
	int r;

	pthread_mutex_lock(&s->lock);
	r = sim_put(s, f, NULL, len, off);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sim_flush(void *io, enum cow_file f)
{
	struct sim *s = io;
	struct simfile *sf = &s->f[f];
	int r;

	pthread_mutex_lock(&s->lock);
	r = sim_tick(s);
	if (!r) {
		for (size_t i = 0; i < sf->np; i++) {
			if (sf->p[i].data)
				memcpy(sf->dur + sf->p[i].off, sf->p[i].data,
				       sf->p[i].len);
			else
				memset(sf->dur + sf->p[i].off, 0,
				       sf->p[i].len);
		}
		pend_clear(sf);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Like a FUA write: this write is durable, earlier unflushed ones not. */
static int sim_write_durable(void *io, enum cow_file f, const void *buf,
			     size_t len, uint64_t off)
{
	struct sim *s = io;
	int r;

	pthread_mutex_lock(&s->lock);
	r = sim_put(s, f, buf, len, off);
	if (!r && s->record) {
		s->f[f].np--;
		free(s->f[f].p[s->f[f].np].data);
		memcpy(s->f[f].dur + off, buf, len);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static uint64_t sim_size(void *io, enum cow_file f)
{
	return ((struct sim *)io)->f[f].size;
}

static void sim_close(void *io)
{
	(void)io;	/* the test owns the sim: it outlives the volume */
}

static const struct cow_io_ops sim_ops_v = {
	.read = sim_read,
	.write = sim_write,
	.flush = sim_flush,
	.zero = sim_zero,
	.size = sim_size,
	.close = sim_close,
	.write_durable = sim_write_durable,
};

const struct cow_io_ops *sim_ops(void)
{
	return &sim_ops_v;
}

void sim_cut(struct sim *s, uint64_t *rng)
{
	for (int i = 0; i < 2; i++) {
		struct simfile *sf = &s->f[i];

		/* shuffle, then keep all / none / some sectors of each */
		for (size_t k = sf->np; k > 1; k--) {
			size_t j = rnd_below(rng, k);
			struct pend t = sf->p[k - 1];

			sf->p[k - 1] = sf->p[j];
			sf->p[j] = t;
		}
		for (size_t k = 0; k < sf->np; k++) {
			struct pend *p = &sf->p[k];
			uint64_t mode = rnd_below(rng, 3);

			for (size_t o = 0; o < p->len; o += COW_SECTOR) {
				size_t n = p->len - o < COW_SECTOR ?
					   p->len - o : COW_SECTOR;

				if (mode == 0 ||
				    (mode == 2 && rnd_below(rng, 2)))
					continue;
				if (p->data)
					memcpy(sf->dur + p->off + o,
					       p->data + o, n);
				else
					memset(sf->dur + p->off + o, 0, n);
			}
		}
		pend_clear(sf);
		memcpy(sf->cur, sf->dur, sf->size);
	}
	s->fail_after = -1;
	s->count = 0;
}

/* ---- random ---- */
uint64_t rnd(uint64_t *st)
{
	uint64_t x = *st ? *st : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1Dull;
}

uint64_t rnd_below(uint64_t *st, uint64_t n)
{
	return n ? rnd(st) % n : 0;
}

/* ---- model ---- */
void model_init(struct model *m, uint64_t origin_size)
{
	memset(m, 0, sizeof(*m));
	m->nsec = origin_size / COW_SECTOR;
	m->origin = calloc(m->nsec, sizeof(uint64_t));
	m->durable = calloc(m->nsec, sizeof(uint64_t));
	m->next_tag = 1;
}

void model_free(struct model *m)
{
	for (unsigned i = 0; i < m->nsnaps; i++)
		free(m->snaps[i].sec);
	free(m->origin);
	free(m->durable);
	free(m->wlog);
	memset(m, 0, sizeof(*m));
}

void model_write(struct model *m, uint64_t sec, uint64_t n, uint64_t tag)
{
	for (uint64_t i = 0; i < n; i++)
		m->origin[sec + i] = tag;
	if (m->nwlog + 3 > m->capwlog) {
		m->capwlog = m->capwlog ? 2 * m->capwlog : 96;
		m->wlog = realloc(m->wlog, m->capwlog * sizeof(uint64_t));
	}
	m->wlog[m->nwlog++] = sec;
	m->wlog[m->nwlog++] = n;
	m->wlog[m->nwlog++] = tag;
}

void model_flushed(struct model *m)
{
	memcpy(m->durable, m->origin, m->nsec * sizeof(uint64_t));
	m->nwlog = 0;
}

void model_snap_begun(struct model *m, uint64_t id)
{
	struct msnap *s = &m->snaps[m->nsnaps++];

	s->id = id;
	s->sec = malloc(m->nsec * sizeof(uint64_t));
	memcpy(s->sec, m->origin, m->nsec * sizeof(uint64_t));
}

void model_snap(struct model *m, uint64_t id)
{
	model_snap_begun(m, id);
	model_flushed(m);	/* creating a snapshot flushes the origin */
}

int model_find(const struct model *m, uint64_t id)
{
	for (unsigned i = 0; i < m->nsnaps; i++)
		if (m->snaps[i].id == id)
			return (int)i;
	return -1;
}

void model_drop(struct model *m, uint64_t id)
{
	int i = model_find(m, id);

	if (i < 0)
		return;
	free(m->snaps[i].sec);
	memmove(&m->snaps[i], &m->snaps[i + 1],
		(m->nsnaps - i - 1) * sizeof(m->snaps[0]));
	m->nsnaps--;
}

void fill_sectors(void *buf, uint64_t first_sec, uint64_t n, uint64_t tag)
{
	uint64_t *w = buf;

	for (uint64_t s = 0; s < n; s++)
		for (unsigned k = 0; k < COW_SECTOR / 8; k++)
			*w++ = tag ? tag * 0x100000001b3ull ^
				     ((first_sec + s) << 9 | k) : 0;
}

uint64_t sector_tag(const void *buf, uint64_t sec)
{
	const uint64_t *w = buf;
	uint64_t tag = 0;

	if (w[0] || w[1]) {
		/* tag * P ^ (sec << 9) = w[0]: invert the multiplication */
		uint64_t x = w[0] ^ (sec << 9), inv = 0x100000001b3ull;

		for (int i = 0; i < 5; i++)
			inv *= 2 - 0x100000001b3ull * inv;
		tag = x * inv;
	}
	for (unsigned k = 0; k < COW_SECTOR / 8; k++)
		if (w[k] != (tag ? tag * 0x100000001b3ull ^ (sec << 9 | k) : 0))
			return UINT64_MAX;
	return tag;
}

static bool origin_ok(const struct model *m, uint64_t sec, uint64_t tag)
{
	if (tag == m->durable[sec])
		return true;
	for (size_t i = 0; i < m->nwlog; i += 3)
		if (sec >= m->wlog[i] && sec < m->wlog[i] + m->wlog[i + 1] &&
		    m->wlog[i + 2] == tag)
			return true;
	return false;
}

int model_verify(struct model *m, struct cow_volume *v, bool origin_exact)
{
	size_t bytes = m->nsec * COW_SECTOR;
	uint8_t *buf = NULL;
	int bad = 0, r;

	if (posix_memalign((void **)&buf, 4096, bytes))
		return -1;

	for (int k = -1; k < (int)m->nsnaps && bad < 8; k++) {
		const uint64_t *want = k < 0 ? m->origin : m->snaps[k].sec;

		r = k < 0 ? cow_read(v, buf, bytes, 0) :
			    cow_snapshot_read(v, m->snaps[k].id, buf, bytes, 0);
		if (r) {
			fprintf(stderr, "verify: read %s %d: %s\n",
				k < 0 ? "origin" : "snapshot", k, strerror(-r));
			bad++;
			continue;
		}
		for (uint64_t s = 0; s < m->nsec && bad < 8; s++) {
			uint64_t t = sector_tag(buf + s * COW_SECTOR, s);

			if (t == want[s] ||
			    (k < 0 && !origin_exact && origin_ok(m, s, t)))
				continue;
			fprintf(stderr, "verify: %s%s%llu sector %llu: tag %llx,"
				" want %llx\n", k < 0 ? "origin" : "snapshot",
				k < 0 ? "" : " id ",
				k < 0 ? 0ull : (unsigned long long)m->snaps[k].id,
				(unsigned long long)s, (unsigned long long)t,
				(unsigned long long)want[s]);
			bad++;
		}
	}
	free(buf);
	return bad ? -1 : 0;
}

/* ---- temp dirs ----
 * run_suite() makes one base directory and removes it, whatever it holds,
 * once every test has run: a test that fails half way (its forked process
 * exits at the failed assertion) leaves nothing behind. */
static char base_dir[64];

char *tmpdir_make(void)
{
	char *d;

	if (asprintf(&d, "%s/t.XXXXXX", base_dir[0] ? base_dir : "/var/tmp")
	    < 0)
		return NULL;
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

char *path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

void tmpdir_remove(char *dir)
{
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = path_join(dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

/* make check-valgrind sets VSS_VALGRIND: run again under valgrind, with
 * the file backend on pread/pwrite (valgrind cannot see ring I/O). */
static void maybe_valgrind(void)
{
	char self[4096];
	ssize_t n;

	if (!getenv("VSS_VALGRIND") || getenv("COW_UNDER_VALGRIND"))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = 0;
	setenv("COW_UNDER_VALGRIND", "1", 1);
	setenv("COW_NO_URING", "1", 1);
	setenv("CK_FORK", "no", 1);
	execlp("valgrind", "valgrind", "-q", "--error-exitcode=99",
	       "--leak-check=full", self, (char *)NULL);
	fprintf(stderr, "valgrind: %s\n", strerror(errno));
	exit(99);
}

int run_suite(Suite *s)
{
	SRunner *sr;
	int failed;

	maybe_valgrind();
	sr = srunner_create(s);

	strcpy(base_dir, "/var/tmp/test-cow.XXXXXX");
	if (!mkdtemp(base_dir)) {
		strcpy(base_dir, "/tmp/test-cow.XXXXXX");
		if (!mkdtemp(base_dir))
			base_dir[0] = 0;
	}
	srunner_run_all(sr, CK_NORMAL);
	if (base_dir[0])
		nftw(base_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
