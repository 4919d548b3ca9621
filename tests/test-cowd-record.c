/* test-cowd-record.c — Check tests of vss-cowd's state-dir records
 * (src/cow/cowd/record.c): records as every vss-cowd so far wrote them load
 * unchanged and are written again byte for byte; every strictness rule
 * refuses with its reason; the formatter refuses what would not read back. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cow/cowd/record.h"
#include "xml-check.h"

static const char *ID1 = "{d61d61c8-d73a-4eee-8cdd-f6f9786b7124}";
static const char *ID2 = "{0b5c7f2e-1a2b-4c3d-9e8f-a0b1c2d3e4f5}";

/* The texts reg_save_volume, reg_save_snapshot and reg_save_revert wrote
 * before record.c (their asprintf formats, copied): the record format. */
static char *old_volume(const char *name, const char *backing, const char *diff, uint32_t chunk,
			uint64_t maxsize, int expl)
{
	char *s;

	if (expl < 0)	/* before shadow storage associations */
		ck_assert_int_ge(asprintf(&s, "name=%s\nbacking=%s\ndiff=%s\nchunk=%" PRIu32
					  "\nmaxsize=%" PRIu64 "\n", name, backing, diff, chunk,
					  maxsize), 0);
	else
		ck_assert_int_ge(asprintf(&s, "name=%s\nbacking=%s\ndiff=%s\nchunk=%" PRIu32
					  "\nmaxsize=%" PRIu64 "\nexplicit=%d\n", name, backing,
					  diff, chunk, maxsize, expl), 0);
	return s;
}

static char *old_snapshot(const char *volume, const char *id, const char *set, int count,
			  int attributes, int64_t created, const char *exposed)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "volume=%s\nsnapshot=%s\nset=%s\ncount=%d\nattributes=%d\n"
				  "created=%" PRId64 "\n%s%s%s", volume, id, set, count, attributes,
				  created, exposed ? "exposed=" : "", exposed ? exposed : "",
				  exposed ? "\n" : ""), 0);
	return s;
}

static char *old_revert(const char *volume, const char *id)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "volume=%s\nsnapshot=%s\n", volume, id), 0);
	return s;
}

/* text parses as kind into rec, and the formatter writes it back as it was. */
static void loads_and_rewrites(enum rec_kind kind, const char *text, void *rec)
{
	char why[REC_WHY_MAX] = "", *again;
	int n;

	ck_assert_msg(rec_parse(kind, text, strlen(text), rec, why, sizeof(why)) == 0,
		      "refused: %s\n%s", why, text);
	n = rec_format(kind, rec, &again, why, sizeof(why));
	ck_assert_msg(n >= 0, "cannot format: %s", why);
	ck_assert_int_eq(n, (int)strlen(text));
	ck_assert_str_eq(again, text);
	free(again);
}

static void id_is(const vss_id_t *id, const char *s)
{
	char a[VSS_ID_STRLEN];

	ck_assert_str_eq(vss_id_format(id, a), s);
}

START_TEST(old_records_load)
{
	struct rec_volume v;
	struct rec_snapshot s;
	struct rec_revert rv;
	char *t;

	/* a volume record of vss-cowd before "explicit" */
	t = old_volume("db", "/srv/db.img", "/var/lib/vss/cowd/db.diff", 65536, 134217728, -1);
	loads_and_rewrites(REC_VOLUME, t, &v);
	ck_assert_str_eq(v.name, "db");
	ck_assert_str_eq(v.backing, "/srv/db.img");
	ck_assert_str_eq(v.diff, "/var/lib/vss/cowd/db.diff");
	ck_assert_uint_eq(v.chunk, 65536);
	ck_assert_uint_eq(v.maxsize, 134217728);
	ck_assert_int_eq(v.explicit_storage, -1);
	free(t);
	/* today's, both values of explicit; the extremes of chunk and maxsize */
	t = old_volume("A.b_c-9", "/dev/sdb", "/srv/shadow/A.b_c-9.diff", 4096, UINT64_MAX, 1);
	loads_and_rewrites(REC_VOLUME, t, &v);
	ck_assert_uint_eq(v.chunk, 4096);
	ck_assert_uint_eq(v.maxsize, UINT64_MAX);
	ck_assert_int_eq(v.explicit_storage, 1);
	free(t);
	t = old_volume("v", "/a", "/b", 1u << 20, 1048576, 0);
	loads_and_rewrites(REC_VOLUME, t, &v);
	ck_assert_uint_eq(v.chunk, 1u << 20);
	ck_assert_int_eq(v.explicit_storage, 0);
	free(t);

	/* a snapshot record before ExposeSnapshot, and exposed both ways */
	t = old_snapshot("db", ID1, ID2, 1, 0x00420009, 133789012345678901LL, NULL);
	loads_and_rewrites(REC_SNAPSHOT, t, &s);
	ck_assert_str_eq(s.volume, "db");
	id_is(&s.snapshot, ID1);
	id_is(&s.set, ID2);
	ck_assert_int_eq(s.count, 1);
	ck_assert_int_eq(s.attributes, 0x00420009);
	ck_assert_int_eq(s.created, 133789012345678901LL);
	ck_assert_str_eq(s.exposed, "");
	free(t);
	t = old_snapshot("db", ID1, ID2, 64, -2147483647 - 1, INT64_MIN, "device");
	loads_and_rewrites(REC_SNAPSHOT, t, &s);
	ck_assert_int_eq(s.count, 64);
	ck_assert_int_eq(s.attributes, INT32_MIN);
	ck_assert_int_eq(s.created, INT64_MIN);
	ck_assert_str_eq(s.exposed, "device");
	free(t);
	t = old_snapshot("db", ID1, ID2, 3, 2147483647, INT64_MAX, "/mnt/snap one");
	loads_and_rewrites(REC_SNAPSHOT, t, &s);
	ck_assert_int_eq(s.attributes, INT32_MAX);
	ck_assert_str_eq(s.exposed, "/mnt/snap one");
	free(t);
	/* the orphan record tests/test-cowd.sh writes */
	t = old_snapshot("data", ID1, ID1, 1, 0, 0, NULL);
	loads_and_rewrites(REC_SNAPSHOT, t, &s);
	free(t);

	t = old_revert("db", ID2);
	loads_and_rewrites(REC_REVERT, t, &rv);
	ck_assert_str_eq(rv.volume, "db");
	id_is(&rv.snapshot, ID2);
	free(t);
}
END_TEST

/* Unknown keys are ignored (a newer vss-cowd's), wherever they are, and so
 * are their values; an upper-case id reads the same. */
START_TEST(unknown_keys_ignored)
{
	const char *t = "future=1\nname=db\nbacking=/a\nfuture2=\x01\xff anything=\ndiff=/b\n"
			"chunk=65536\nmaxsize=1048576\nexplicit=1\nx=\n";
	struct rec_snapshot s;
	struct rec_volume v;
	char why[REC_WHY_MAX] = "", *u;

	ck_assert_msg(rec_parse_volume(t, strlen(t), &v, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(v.diff, "/b");
	ck_assert_int_eq(v.explicit_storage, 1);
	ck_assert_int_ge(asprintf(&u, "volume=db\nsnapshot=%s\nset=%s\ncount=1\nattributes=0\n"
				  "created=5\n", "{D61D61C8-D73A-4EEE-8CDD-F6F9786B7124}", ID2), 0);
	ck_assert_msg(rec_parse_snapshot(u, strlen(u), &s, why, sizeof(why)) == 0, "%s", why);
	id_is(&s.snapshot, ID1);
	free(u);
}
END_TEST

struct refusal {
	enum rec_kind kind;
	const char *text;
	int r;
	const char *why;
};

#define VOL_HEAD "name=db\nbacking=/srv/db.img\ndiff=/srv/db.diff\n"
#define VOL_TAIL "maxsize=1048576\n"
#define SNAP_HEAD "volume=db\nsnapshot={d61d61c8-d73a-4eee-8cdd-f6f9786b7124}\n" \
	"set={0b5c7f2e-1a2b-4c3d-9e8f-a0b1c2d3e4f5}\n"

static const struct refusal refusals[] = {
	/* lines */
	{ REC_VOLUME, "", -EBADMSG, "missing key 'name'" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\nmaxsize=1048576", -EBADMSG,
	  "line 5: no newline at its end (the record is cut short)" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\n\n" VOL_TAIL, -EBADMSG, "line 5: not key=value" },
	{ REC_VOLUME, VOL_HEAD "chunk 65536\n" VOL_TAIL, -EBADMSG, "line 4: not key=value" },
	{ REC_VOLUME, VOL_HEAD "=65536\n" VOL_TAIL, -EBADMSG, "line 4: not key=value" },
	/* keys */
	{ REC_VOLUME, VOL_HEAD "name=db\nchunk=65536\n" VOL_TAIL, -EBADMSG,
	  "line 4: duplicate key 'name'" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\n" VOL_TAIL "explicit=1\nexplicit=1\n", -EBADMSG,
	  "line 7: duplicate key 'explicit'" },
	{ REC_SNAPSHOT, SNAP_HEAD "count=1\nattributes=0\ncreated=0\nexposed=device\n"
	  "exposed=/mnt\n", -EBADMSG, "line 8: duplicate key 'exposed'" },
	{ REC_REVERT, "volume=db\nvolume=db\n", -EBADMSG, "line 2: duplicate key 'volume'" },
	{ REC_VOLUME, "name=db\ndiff=/b\nchunk=65536\n" VOL_TAIL, -EBADMSG,
	  "missing key 'backing'" },
	{ REC_VOLUME, VOL_HEAD VOL_TAIL, -EBADMSG, "missing key 'chunk'" },
	{ REC_SNAPSHOT, SNAP_HEAD "count=1\ncreated=0\n", -EBADMSG,
	  "missing key 'attributes'" },
	{ REC_REVERT, "volume=db\n", -EBADMSG, "missing key 'snapshot'" },
	/* strings */
	{ REC_VOLUME, "name=\nbacking=/a\n", -EBADMSG, "line 1: name: empty" },
	{ REC_VOLUME, "name=.db\n", -EBADMSG, "line 1: name: not a volume name" },
	{ REC_VOLUME, "name=d b\n", -EBADMSG, "line 1: name: not a volume name" },
	{ REC_VOLUME, "name=db/x\n", -EBADMSG, "line 1: name: not a volume name" },
	{ REC_VOLUME, "name=0123456789012345678901234567890123456789012345678901234567890123"
	  "4\n", -EBADMSG, "line 1: value of 'name' too long" },
	{ REC_SNAPSHOT, "volume=a:b\n", -EBADMSG, "line 1: volume: not a volume name" },
	{ REC_VOLUME, "name=db\nbacking=srv/db.img\n", -EBADMSG,
	  "line 2: backing: not an absolute path" },
	{ REC_VOLUME, "name=db\nbacking=/a\ndiff=\n", -EBADMSG, "line 3: diff: empty" },
	{ REC_VOLUME, "name=db\nbacking=/a\ndiff=db.diff\n", -EBADMSG,
	  "line 3: diff: not an absolute path" },
	{ REC_SNAPSHOT, SNAP_HEAD "exposed=\n", -EBADMSG, "line 4: exposed: empty" },
	/* ids */
	{ REC_SNAPSHOT, "snapshot=d61d61c8-d73a-4eee-8cdd-f6f9786b7124\n", -EBADMSG,
	  "line 1: snapshot: not a braced id ({8-4-4-4-12})" },
	{ REC_SNAPSHOT, "set={d61d61c8-d73a-4eee-8cdd-f6f9786b712g}\n", -EBADMSG,
	  "line 1: set: not a braced id ({8-4-4-4-12})" },
	{ REC_SNAPSHOT, "set={d61d61c8-d73a-4eee-8cdd-f6f9786b7124} \n", -EBADMSG,
	  "line 1: set: not a braced id ({8-4-4-4-12})" },
	{ REC_REVERT, "snapshot= {d61d61c8-d73a-4eee-8cdd-f6f9786b7124}\n", -EBADMSG,
	  "line 1: snapshot: not a braced id ({8-4-4-4-12})" },
	/* numbers: all digits, all of the value, in range */
	{ REC_VOLUME, VOL_HEAD "chunk=abc\n" VOL_TAIL, -EBADMSG, "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk=\n" VOL_TAIL, -EBADMSG, "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536x\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk= 65536\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk=+65536\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk=-65536\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a number" },
	{ REC_VOLUME, VOL_HEAD "chunk=65537\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a power of two from 4096 to 1048576" },
	{ REC_VOLUME, VOL_HEAD "chunk=2048\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a power of two from 4096 to 1048576" },
	{ REC_VOLUME, VOL_HEAD "chunk=4294967296\n" VOL_TAIL, -EBADMSG,
	  "line 4: chunk: not a power of two from 4096 to 1048576" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\nmaxsize=18446744073709551616\n", -EBADMSG,
	  "line 5: maxsize: out of range (0 to 18446744073709551615)" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\nmaxsize=99999999999999999999999\n", -EBADMSG,
	  "line 5: maxsize: out of range (0 to 18446744073709551615)" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\n" VOL_TAIL "explicit=2\n", -EBADMSG,
	  "line 6: explicit: out of range (0 to 1)" },
	{ REC_VOLUME, VOL_HEAD "chunk=65536\n" VOL_TAIL "explicit=-1\n", -EBADMSG,
	  "line 6: explicit: out of range (0 to 1)" },
	{ REC_SNAPSHOT, "count=0\n", -EBADMSG, "line 1: count: out of range (1 to 64)" },
	{ REC_SNAPSHOT, "count=-5\n", -EBADMSG, "line 1: count: out of range (1 to 64)" },
	{ REC_SNAPSHOT, "count=65\n", -EBADMSG, "line 1: count: out of range (1 to 64)" },
	{ REC_SNAPSHOT, "count=-\n", -EBADMSG, "line 1: count: not a number" },
	{ REC_SNAPSHOT, "count=1-\n", -EBADMSG, "line 1: count: not a number" },
	{ REC_SNAPSHOT, "attributes=2147483648\n", -EBADMSG,
	  "line 1: attributes: out of range (-2147483648 to 2147483647)" },
	{ REC_SNAPSHOT, "attributes=-2147483649\n", -EBADMSG,
	  "line 1: attributes: out of range (-2147483648 to 2147483647)" },
	{ REC_SNAPSHOT, "attributes=0x10\n", -EBADMSG, "line 1: attributes: not a number" },
	{ REC_SNAPSHOT, "created=9223372036854775808\n", -EBADMSG,
	  "line 1: created: out of range (-9223372036854775808 to 9223372036854775807)" },
	{ REC_SNAPSHOT, "created=-9223372036854775809\n", -EBADMSG,
	  "line 1: created: out of range (-9223372036854775808 to 9223372036854775807)" },
	{ REC_SNAPSHOT, "created=1.5\n", -EBADMSG, "line 1: created: not a number" },
};

START_TEST(refused_with_reason)
{
	static const union {
		struct rec_volume v;
		struct rec_snapshot s;
		struct rec_revert r;
	} zero;
	union {
		struct rec_volume v;
		struct rec_snapshot s;
		struct rec_revert r;
	} rec;

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *t = &refusals[i];
		char why[REC_WHY_MAX] = "";
		int r;

		memset(&rec, 0x5a, sizeof(rec));
		r = rec_parse(t->kind, t->text, strlen(t->text), &rec, why, sizeof(why));
		ck_assert_msg(r == t->r && !strcmp(why, t->why),
			      "refusal %zu: %d (%s), not %d (%s), for:\n%s", i, r, why, t->r,
			      t->why, t->text);
		/* nothing half read is left in the struct */
		ck_assert_msg(!memcmp(&rec, &zero, t->kind == REC_VOLUME ? sizeof(rec.v) :
				      t->kind == REC_SNAPSHOT ? sizeof(rec.s) : sizeof(rec.r)),
			      "refusal %zu left data in the struct", i);
	}
}
END_TEST

/* A NUL byte anywhere, and a record larger than REC_MAX (whatever it
 * holds); REC_MAX bytes are taken. */
START_TEST(nul_and_size)
{
	static const char t[] = VOL_HEAD "chunk=65\0" "536\n" VOL_TAIL;
	char why[REC_WHY_MAX] = "", *big;
	struct rec_volume v;
	size_t n;

	ck_assert_int_eq(rec_parse_volume(t, sizeof(t) - 1, &v, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "line 4: a NUL byte");
	big = malloc(REC_MAX + 2);
	ck_assert_ptr_nonnull(big);
	n = (size_t)snprintf(big, REC_MAX, VOL_HEAD "chunk=65536\n" VOL_TAIL "pad=");
	memset(big + n, 'x', REC_MAX - n - 1);
	big[REC_MAX - 1] = '\n';
	ck_assert_msg(rec_parse_volume(big, REC_MAX, &v, why, sizeof(why)) == 0, "%s", why);
	big[REC_MAX - 1] = 'x';
	big[REC_MAX] = '\n';
	ck_assert_int_eq(rec_parse_volume(big, REC_MAX + 1, &v, why, sizeof(why)), -EFBIG);
	ck_assert_str_eq(why, "record larger than 16 KiB");
	ck_assert_str_eq(v.name, "");
	free(big);
}
END_TEST

/* A path of PATH_MAX bytes does not fit; one of PATH_MAX - 1 does. */
START_TEST(long_path)
{
	char *t = malloc(3 * PATH_MAX), why[REC_WHY_MAX] = "";
	struct rec_volume v;
	int n;

	ck_assert_ptr_nonnull(t);
	n = sprintf(t, "name=db\nbacking=/");
	memset(t + n, 'p', PATH_MAX - 2);
	n += PATH_MAX - 2;
	sprintf(t + n, "\ndiff=/d\nchunk=4096\nmaxsize=0\n");
	ck_assert_msg(rec_parse_volume(t, strlen(t), &v, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(strlen(v.backing), PATH_MAX - 1);
	n = sprintf(t, "name=db\nbacking=/");
	memset(t + n, 'p', PATH_MAX - 1);
	n += PATH_MAX - 1;
	sprintf(t + n, "\ndiff=/d\nchunk=4096\nmaxsize=0\n");
	ck_assert_int_eq(rec_parse_volume(t, strlen(t), &v, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "line 2: value of 'backing' too long");
	free(t);
}
END_TEST

/* The formatter refuses a struct that would not read back as it is, and
 * writes nothing. */
START_TEST(format_refuses)
{
	struct rec_volume v = { .name = "db", .backing = "/srv/a\nname=x", .diff = "/d",
				.chunk = 65536, .maxsize = 1 << 20, .explicit_storage = 1 };
	struct rec_snapshot s = { .volume = "db", .count = 0, .exposed = "/mnt/a\nb" };
	struct rec_revert rv = { .volume = "not/a/name" };
	char why[REC_WHY_MAX] = "", *t = (char *)"unset";

	ck_assert_int_eq(rec_format(REC_VOLUME, &v, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "backing: holds a newline");
	ck_assert_ptr_null(t);
	strcpy(v.backing, "/srv/a");
	v.chunk = 1000;
	ck_assert_int_eq(rec_format(REC_VOLUME, &v, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "line 4: chunk: not a power of two from 4096 to 1048576");
	v.chunk = 4096;
	v.explicit_storage = 7;
	ck_assert_int_eq(rec_format(REC_VOLUME, &v, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "line 6: explicit: out of range (0 to 1)");
	v.explicit_storage = 0;
	ck_assert_int_eq(rec_format(REC_VOLUME, &v, &t, why, sizeof(why)), 69);
	ck_assert_str_eq(t, "name=db\nbacking=/srv/a\ndiff=/d\nchunk=4096\nmaxsize=1048576\n"
			 "explicit=0\n");
	free(t);
	ck_assert_int_eq(rec_format(REC_SNAPSHOT, &s, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "exposed: holds a newline");
	strcpy(s.exposed, "device");
	ck_assert_int_eq(rec_format(REC_SNAPSHOT, &s, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "line 4: count: out of range (1 to 64)");
	ck_assert_int_eq(rec_format(REC_REVERT, &rv, &t, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "line 1: volume: not a volume name");
	ck_assert_ptr_null(t);
}
END_TEST

int main(void)
{
	RUN_TESTS("cowd-record", old_records_load, unknown_keys_ignored, refused_with_reason,
		  nul_and_size, long_path, format_refuses);
}
