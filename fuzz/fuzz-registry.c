/* fuzz-registry — libFuzzer target for vss-cowd's state-dir records
 * (src/cow/cowd/record.c, read by registry.c): the first byte, modulo 3,
 * picks the kind (0 volume, 1 snapshot, 2 revert: the seeds begin with
 * '0', '1' or '2'), the rest is the record's text.  A refusal says why;
 * a record that parses holds whole strings of its rules, and the text the
 * formatter writes for it (registry.c's writer) parses to the same
 * struct. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cow/cowd/record.h"
#include "cow/engine/cow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union rec {
	struct rec_volume v;
	struct rec_snapshot s;
	struct rec_revert r;
};

/* A string field of a record read: terminated in its array, no newline. */
static void whole(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size || memchr(s, '\n', n))
		abort();
}

static size_t check(enum rec_kind kind, const union rec *a)
{
	switch (kind) {
	case REC_VOLUME:
		whole(a->v.backing, sizeof(a->v.backing));
		whole(a->v.diff, sizeof(a->v.diff));
		if (!rec_name_ok(a->v.name) || a->v.backing[0] != '/' || a->v.diff[0] != '/' ||
		    a->v.chunk < COW_CHUNK_MIN || a->v.chunk > COW_CHUNK_MAX ||
		    (a->v.chunk & (a->v.chunk - 1)) ||
		    a->v.explicit_storage < -1 || a->v.explicit_storage > 1)
			abort();
		return sizeof(a->v);
	case REC_SNAPSHOT:
		whole(a->s.exposed, sizeof(a->s.exposed));
		if (!rec_name_ok(a->s.volume) || a->s.count < 1 ||
		    a->s.count > VSS_MAX_VOLUMES_PER_SET)
			abort();
		return sizeof(a->s);
	default:
		if (!rec_name_ok(a->r.volume))
			abort();
		return sizeof(a->r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[REC_WHY_MAX] = "", *text;
	enum rec_kind kind;
	union rec a, b;
	size_t len;
	int r, n;

	if (size == 0)
		return 0;
	kind = (enum rec_kind)(data[0] % REC_KINDS);
	r = rec_parse(kind, (const char *)data + 1, size - 1, &a, why, sizeof(why));
	if (r) {
		/* a refusal is -EBADMSG or -EFBIG, and says why */
		if ((r != -EBADMSG && r != -EFBIG) || !why[0] || !memchr(why, '\0', sizeof(why)))
			abort();
		return 0;
	}
	len = check(kind, &a);
	n = rec_format(kind, &a, &text, why, sizeof(why));
	if (n < 0 || n > REC_MAX || strlen(text) != (size_t)n)
		abort();	/* what was read can be written */
	if (rec_parse(kind, text, (size_t)n, &b, why, sizeof(why)) != 0 ||
	    memcmp(&a, &b, len) != 0 || !rec_equal(kind, &a, &b))
		abort();	/* and reads back the same */
	free(text);
	return 0;
}
