/* record.c — the text of vss-cowd's state-dir records: "key=value" lines,
 * each ended by a newline, in the order of the tables below (registry.c
 * names the files; vss-cowd(8) FILES).  The formats are those vss-cowd has
 * always written: a record of any earlier version reads the same.
 *
 * Parsing is strict, so that a damaged record is refused with a reason
 * instead of half read:
 *   - at most REC_MAX bytes, no NUL byte, every line "key=value" and ended
 *     by a newline (the last one too: without it the record was cut short);
 *   - a key the record knows appears once, and the required ones all do;
 *   - a number is decimal digits (after a '-' where it is signed), all of
 *     the value, and in the range of its field (see the tables: what
 *     vss-cowd itself can write);
 *   - a name is a volume name, a path is absolute, an id is a braced GUID,
 *     and no string is empty or longer than its field.
 * A key the record does not know is ignored: a newer vss-cowd may add
 * keys, and an older one must still read the rest of its record.
 *
 * The formatter writes the same lines, and reads its text back with the
 * parser before handing it out: a record that would not read back as the
 * struct it came from (a newline in a path, a number out of range) is
 * refused, never written. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cow/cowd/record.h"
#include "cow/engine/cow.h"

enum ftype {
	F_NAME,			/* a volume name */
	F_PATH,			/* an absolute path */
	F_EXPOSURE,		/* "device", or the directory it is mounted at */
	F_ID,			/* a braced GUID */
	F_UINT,			/* uint32_t or uint64_t: decimal digits */
	F_INT,			/* int32_t (int) or int64_t: digits after an optional '-' */
};

struct field {
	const char *key;
	enum ftype type;
	size_t off, size;	/* the member of the record's struct */
	bool optional;		/* when absent: "" (a string) or absent (a number) */
	int64_t absent;
	int64_t min;		/* a number's range */
	uint64_t max;
	bool pow2;		/* a number that is a power of two */
};

#define FIELD(st, k, t, m) \
	.key = (k), .type = (t), .off = offsetof(st, m), .size = sizeof(((st *)0)->m)

static const struct field volume_fields[] = {
	{ FIELD(struct rec_volume, "name", F_NAME, name) },
	{ FIELD(struct rec_volume, "backing", F_PATH, backing) },
	{ FIELD(struct rec_volume, "diff", F_PATH, diff) },
	/* the engine's chunk size (cow_stats) */
	{ FIELD(struct rec_volume, "chunk", F_UINT, chunk),
	  .min = COW_CHUNK_MIN, .max = COW_CHUNK_MAX, .pow2 = true },
	/* the engine's maximum: bytes, or COW_DIFF_UNBOUNDED */
	{ FIELD(struct rec_volume, "maxsize", F_UINT, maxsize), .max = UINT64_MAX },
	/* written since shadow storage associations (older: absent) */
	{ FIELD(struct rec_volume, "explicit", F_INT, explicit_storage),
	  .optional = true, .absent = -1, .min = 0, .max = 1 },
};

static const struct field snapshot_fields[] = {
	{ FIELD(struct rec_snapshot, "volume", F_NAME, volume) },
	{ FIELD(struct rec_snapshot, "snapshot", F_ID, snapshot) },
	{ FIELD(struct rec_snapshot, "set", F_ID, set) },
	/* PostCommitSnapshots' count: a set holds 1..VSS_MAX_VOLUMES_PER_SET */
	{ FIELD(struct rec_snapshot, "count", F_INT, count),
	  .min = 1, .max = VSS_MAX_VOLUMES_PER_SET },
	/* VSS_VOLSNAP_ATTR_* bits, written as a signed int */
	{ FIELD(struct rec_snapshot, "attributes", F_INT, attributes),
	  .min = INT32_MIN, .max = INT32_MAX },
	{ FIELD(struct rec_snapshot, "created", F_INT, created),
	  .min = INT64_MIN, .max = INT64_MAX },
	/* written since ExposeSnapshot, only for an exposed snapshot */
	{ FIELD(struct rec_snapshot, "exposed", F_EXPOSURE, exposed), .optional = true },
};

static const struct field revert_fields[] = {
	{ FIELD(struct rec_revert, "volume", F_NAME, volume) },
	{ FIELD(struct rec_revert, "snapshot", F_ID, snapshot) },
};

#define MAX_FIELDS 8

static const struct kind {
	const struct field *fields;
	size_t nfields, size;
} kinds[REC_KINDS] = {
	[REC_VOLUME] = { volume_fields, sizeof(volume_fields) / sizeof(volume_fields[0]),
			 sizeof(struct rec_volume) },
	[REC_SNAPSHOT] = { snapshot_fields, sizeof(snapshot_fields) / sizeof(snapshot_fields[0]),
			   sizeof(struct rec_snapshot) },
	[REC_REVERT] = { revert_fields, sizeof(revert_fields) / sizeof(revert_fields[0]),
			 sizeof(struct rec_revert) },
};

_Static_assert(sizeof(int) == sizeof(int32_t), "explicit_storage is an int32_t field");
/* the largest record the structs can make fits */
_Static_assert(sizeof(struct rec_volume) + 128 < REC_MAX, "a volume record fits REC_MAX");
_Static_assert(sizeof(struct rec_snapshot) + 256 < REC_MAX, "a snapshot record fits REC_MAX");

__attribute__((format(printf, 4, 5)))
static int refuse(char *why, size_t whylen, int r, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return r;
}

bool rec_name_ok(const char *name)
{
	size_t l = strlen(name);

	if (l == 0 || l > REC_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("._-", name[i])))
			return false;
	return true;
}

/* ---- the members of a record, by their field */

static uint64_t get_num(const void *rec, const struct field *f)
{
	const char *p = (const char *)rec + f->off;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	int64_t i64;

	if (f->type == F_UINT && f->size == 4) {
		memcpy(&u32, p, 4);
		return u32;
	}
	if (f->type == F_UINT) {
		memcpy(&u64, p, 8);
		return u64;
	}
	if (f->size == 4) {
		memcpy(&i32, p, 4);
		return (uint64_t)(int64_t)i32;
	}
	memcpy(&i64, p, 8);
	return (uint64_t)i64;
}

/* v: the value (an F_INT's as its int64_t, cast), in range for the member */
static void put_num(void *rec, const struct field *f, uint64_t v)
{
	char *p = (char *)rec + f->off;
	uint32_t u32 = (uint32_t)v;
	int32_t i32 = (int32_t)(int64_t)v;

	if (f->size == 8)
		memcpy(p, &v, 8);
	else if (f->type == F_UINT)
		memcpy(p, &u32, 4);
	else
		memcpy(p, &i32, 4);
}

static bool num_ok(const struct field *f, uint64_t v)
{
	if (f->type == F_INT)
		return (int64_t)v >= f->min && ((int64_t)v < 0 || v <= f->max);
	return v >= (uint64_t)f->min && v <= f->max && (!f->pow2 || (v & (v - 1)) == 0);
}

/* ---- parsing */

/* The n bytes at s as a number of f: 0, -1 (not a number), -2 (too large
 * for 64 bits). */
static int parse_num(const struct field *f, const char *s, size_t n, uint64_t *out)
{
	bool neg = f->type == F_INT && n && s[0] == '-';
	uint64_t v = 0, lim;
	bool big = false;

	if (neg) {
		s++;
		n--;
	}
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	/* a signed number's magnitude: up to 2^63 (negative), 2^63 - 1 */
	lim = f->type == F_UINT ? UINT64_MAX : (uint64_t)INT64_MAX + neg;
	if (big || v > lim)
		return -2;
	*out = neg ? (uint64_t)0 - v : v;
	return 0;
}

static int parse_value(const struct field *f, const char *s, size_t n, void *rec, unsigned line,
		       char *why, size_t whylen)
{
	char *p = (char *)rec + f->off;
	uint64_t v;
	int r;

	if (f->type == F_UINT || f->type == F_INT) {
		r = parse_num(f, s, n, &v);
		if (r == -1)
			return refuse(why, whylen, -EBADMSG, "line %u: %s: not a number", line,
				      f->key);
		if (r == 0 && num_ok(f, v)) {
			put_num(rec, f, v);
			return 0;
		}
		if (f->pow2)
			return refuse(why, whylen, -EBADMSG, "line %u: %s: not a power of two "
				      "from %" PRId64 " to %" PRIu64, line, f->key, f->min, f->max);
		return refuse(why, whylen, -EBADMSG, "line %u: %s: out of range (%" PRId64
			      " to %" PRIu64 ")", line, f->key, f->min, f->max);
	}
	if (f->type == F_ID) {
		char id[VSS_ID_STRLEN];

		if (n != VSS_ID_STRLEN - 1 || s[0] != '{' || s[n - 1] != '}')
			return refuse(why, whylen, -EBADMSG, "line %u: %s: not a braced id "
				      "({8-4-4-4-12})", line, f->key);
		memcpy(id, s, n);
		id[n] = '\0';
		if (vss_id_parse(id, (vss_id_t *)(void *)p) < 0)
			return refuse(why, whylen, -EBADMSG, "line %u: %s: not a braced id "
				      "({8-4-4-4-12})", line, f->key);
		return 0;
	}
	if (n >= f->size)
		return refuse(why, whylen, -EBADMSG, "line %u: value of '%s' too long", line,
			      f->key);
	if (n == 0)
		return refuse(why, whylen, -EBADMSG, "line %u: %s: empty", line, f->key);
	memcpy(p, s, n);
	p[n] = '\0';
	if (f->type == F_NAME && !rec_name_ok(p))
		return refuse(why, whylen, -EBADMSG, "line %u: %s: not a volume name", line,
			      f->key);
	if (f->type == F_PATH && p[0] != '/')
		return refuse(why, whylen, -EBADMSG, "line %u: %s: not an absolute path", line,
			      f->key);
	return 0;
}

static const struct field *find_field(const struct kind *k, const char *key, size_t n)
{
	for (size_t i = 0; i < k->nfields; i++)
		if (strlen(k->fields[i].key) == n && !memcmp(k->fields[i].key, key, n))
			return &k->fields[i];
	return NULL;
}

static int parse(const struct kind *k, const char *text, size_t len, void *rec, char *why,
		 size_t whylen)
{
	bool seen[MAX_FIELDS] = { false };
	const char *p = text, *end = text + len;
	unsigned line = 0;
	int r;

	if (len > REC_MAX)
		return refuse(why, whylen, -EFBIG, "record larger than %d KiB", REC_MAX / 1024);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
		const struct field *f;

		line++;
		if (!nl)
			return refuse(why, whylen, -EBADMSG, "line %u: no newline at its end (the "
				      "record is cut short)", line);
		if (memchr(p, '\0', (size_t)(nl - p)))
			return refuse(why, whylen, -EBADMSG, "line %u: a NUL byte", line);
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq || eq == p)
			return refuse(why, whylen, -EBADMSG, "line %u: not key=value", line);
		/* a key this vss-cowd does not know: ignored (a newer one's) */
		f = find_field(k, p, (size_t)(eq - p));
		if (f) {
			size_t i = (size_t)(f - k->fields);

			if (seen[i])
				return refuse(why, whylen, -EBADMSG, "line %u: duplicate key '%s'",
					      line, f->key);
			seen[i] = true;
			r = parse_value(f, eq + 1, (size_t)(nl - eq - 1), rec, line, why, whylen);
			if (r)
				return r;
		}
		p = nl + 1;
	}
	for (size_t i = 0; i < k->nfields; i++) {
		const struct field *f = &k->fields[i];

		if (seen[i])
			continue;
		if (!f->optional)
			return refuse(why, whylen, -EBADMSG, "missing key '%s'", f->key);
		if (f->type == F_UINT || f->type == F_INT)
			put_num(rec, f, (uint64_t)f->absent);
	}
	return 0;
}

int rec_parse(enum rec_kind kind, const char *text, size_t len, void *out, char *why,
	      size_t whylen)
{
	int r;

	if ((unsigned)kind >= REC_KINDS)
		return refuse(why, whylen, -EINVAL, "no such kind of record");
	_Static_assert(sizeof(volume_fields) / sizeof(volume_fields[0]) <= MAX_FIELDS &&
		       sizeof(snapshot_fields) / sizeof(snapshot_fields[0]) <= MAX_FIELDS,
		       "MAX_FIELDS");
	memset(out, 0, kinds[kind].size);
	r = parse(&kinds[kind], text, len, out, why, whylen);
	if (r)
		memset(out, 0, kinds[kind].size);
	return r;
}

/* ---- formatting */

static bool absent(const struct field *f, const void *rec)
{
	const char *p = (const char *)rec + f->off;

	if (f->type == F_UINT || f->type == F_INT)
		return get_num(rec, f) == (uint64_t)f->absent;
	return f->type != F_ID && p[0] == '\0';
}

__attribute__((format(printf, 3, 4)))
static void add(char *buf, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n > REC_MAX)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, REC_MAX + 1 - *n, fmt, ap);
	va_end(ap);
	*n = r < 0 ? REC_MAX + 1 : *n + (size_t)r;
}

int rec_format(enum rec_kind kind, const void *rec, char **text, char *why, size_t whylen)
{
	const struct kind *k;
	char *buf, id[VSS_ID_STRLEN];
	void *back;
	size_t n = 0;
	int r;

	*text = NULL;
	if ((unsigned)kind >= REC_KINDS)
		return refuse(why, whylen, -EINVAL, "no such kind of record");
	k = &kinds[kind];
	buf = malloc(REC_MAX + 1);
	back = malloc(k->size);
	if (!buf || !back) {
		free(buf);
		free(back);
		return refuse(why, whylen, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < k->nfields; i++) {
		const struct field *f = &k->fields[i];
		const char *p = (const char *)rec + f->off;
		uint64_t v;

		if (f->optional && absent(f, rec))
			continue;
		switch (f->type) {
		case F_UINT:
			add(buf, &n, "%s=%" PRIu64 "\n", f->key, get_num(rec, f));
			break;
		case F_INT:
			v = get_num(rec, f);
			add(buf, &n, "%s=%" PRId64 "\n", f->key, (int64_t)v);
			break;
		case F_ID:
			add(buf, &n, "%s=%s\n", f->key, vss_id_format((const vss_id_t *)(const void *)p,
								     id));
			break;
		default:
			if (memchr(p, '\n', strnlen(p, f->size))) {
				r = refuse(why, whylen, -EINVAL, "%s: holds a newline", f->key);
				goto out;
			}
			add(buf, &n, "%s=%.*s\n", f->key, (int)strnlen(p, f->size), p);
			break;
		}
	}
	/* what is written must read back as rec */
	r = rec_parse(kind, buf, n, back, why, whylen);
	if (r == 0 && !rec_equal(kind, rec, back))
		r = refuse(why, whylen, -EINVAL, "the record does not read back as written");
	else if (r)
		r = -EINVAL;
out:
	free(back);
	if (r) {
		free(buf);
		return r;
	}
	*text = buf;
	return (int)n;
}

bool rec_equal(enum rec_kind kind, const void *a, const void *b)
{
	const struct kind *k = &kinds[kind];

	for (size_t i = 0; i < k->nfields; i++) {
		const struct field *f = &k->fields[i];
		const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;

		if (f->type == F_UINT || f->type == F_INT) {
			if (get_num(a, f) != get_num(b, f))
				return false;
		} else if (f->type == F_ID) {
			if (memcmp(pa, pb, f->size))
				return false;
		} else if (strncmp(pa, pb, f->size)) {
			return false;
		}
	}
	return true;
}
