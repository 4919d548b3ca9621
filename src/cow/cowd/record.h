/* record.h — the text of vss-cowd's state-dir records (record.c): parsed
 * into and formatted from the structs below, with no file I/O, no
 * configuration and no logging; registry.c reads and writes the files.
 * Every call returns 0 (the formatter: the text's length) or a -errno, and
 * a refusal says why in why[] (REC_WHY_MAX is room enough). */
#ifndef VSS_COWD_RECORD_H
#define VSS_COWD_RECORD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vss/vss.h>

#define REC_MAX		16384	/* the largest record, in bytes */
#define REC_WHY_MAX	160
#define REC_NAME_MAX	64	/* a volume name (COWD_NAME_MAX) */

/* STATE/volumes/NAME.vol */
struct rec_volume {
	char name[REC_NAME_MAX + 1];
	char backing[PATH_MAX];		/* absolute */
	char diff[PATH_MAX];		/* absolute */
	uint32_t chunk;			/* a power of two, COW_CHUNK_MIN..MAX */
	uint64_t maxsize;		/* COW_DIFF_UNBOUNDED: none */
	int explicit_storage;		/* 0, 1; -1: not recorded (older vss-cowd) */
};

/* STATE/snapshots/{ID}.snap */
struct rec_snapshot {
	char volume[REC_NAME_MAX + 1];
	vss_id_t snapshot, set;
	int32_t count;			/* snapshots in the set, 1..VSS_MAX_VOLUMES_PER_SET */
	int32_t attributes;
	int64_t created;		/* vss_timestamp_t */
	char exposed[PATH_MAX];		/* "": not exposed; "device", or the directory */
};

/* STATE/NAME.revert */
struct rec_revert {
	char volume[REC_NAME_MAX + 1];
	vss_id_t snapshot;
};

enum rec_kind { REC_VOLUME, REC_SNAPSHOT, REC_REVERT, REC_KINDS };

/* Parses len bytes of text (not NUL-terminated) into out, the struct of
 * kind: 0, -EFBIG (larger than REC_MAX) or -EBADMSG. */
int rec_parse(enum rec_kind kind, const char *text, size_t len, void *out, char *why,
	      size_t whylen);
/* The text of rec (malloc'd, NUL-terminated, in *text): its length, or
 * -EINVAL when rec holds what the record cannot carry (the text would not
 * parse back to rec: a newline in a path, a number out of range...), or
 * -ENOMEM. */
int rec_format(enum rec_kind kind, const void *rec, char **text, char *why, size_t whylen);
/* Whether a and b, structs of kind, hold the same record. */
bool rec_equal(enum rec_kind kind, const void *a, const void *b);
/* A volume name: 1-REC_NAME_MAX of A-Z a-z 0-9 . _ -, not starting with '.'. */
bool rec_name_ok(const char *name);

static inline int rec_parse_volume(const char *text, size_t len, struct rec_volume *out,
				   char *why, size_t whylen)
{
	return rec_parse(REC_VOLUME, text, len, out, why, whylen);
}

static inline int rec_parse_snapshot(const char *text, size_t len, struct rec_snapshot *out,
				     char *why, size_t whylen)
{
	return rec_parse(REC_SNAPSHOT, text, len, out, why, whylen);
}

static inline int rec_parse_revert(const char *text, size_t len, struct rec_revert *out,
				   char *why, size_t whylen)
{
	return rec_parse(REC_REVERT, text, len, out, why, whylen);
}

#endif
