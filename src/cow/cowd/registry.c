/* registry.c — vss-cowd's records in the state dir.
 *
 *   STATE/volumes/NAME.vol       one volume: name, backing, diff, chunk,
 *                                maxsize (bytes; 18446744073709551615 =
 *                                unbounded), storage (1: an explicit shadow
 *                                storage association) ("key=value" lines)
 *   STATE/snapshots/{ID}.snap    one created snapshot: volume, set, count,
 *                                attributes, created, exposed (when it is)
 *   STATE/NAME.revert            a revert that started and has not ended
 *
 * Their text is record.c's: parsed strictly, written by its formatter.  A
 * record that cannot be read or parsed (or names another volume or
 * snapshot than its file) is refused with the reason, logged by what reads
 * it, and treated as no record: see reg_load_volumes, reg_load_snapshot and
 * reg_load_revert for what follows.
 *
 * Every record is written to a temporary file, fsynced, renamed over the
 * old one and the directory fsynced, so a crash leaves the old or the new
 * record, never a torn one.  A snapshot exists when the engine has it (its
 * tag is the VSS snapshot id) and its record exists; on start, an engine
 * snapshot without a record (the daemon died before PostFinalCommit) is
 * deleted, and a record without an engine snapshot is removed. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"
#include "cow/cowd/record.h"

_Static_assert(REC_NAME_MAX == COWD_NAME_MAX, "a volume name");

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int write_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len && r == 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno != EINTR)
			r = -errno;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return fsync_dir(slash ? dir : ".");
}

static int remove_durable(const char *path, const char *dir)
{
	if (unlink(path) < 0)
		return -errno;
	return fsync_dir(dir);
}

int reg_init(void)
{
	char p[PATH_MAX];

	if (mkdir(cfg.state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/volumes", cfg.state_dir);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/snapshots", cfg.state_dir);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Copies a string into a record's field: false when it does not fit. */
static bool field_set(char *dst, size_t size, const char *src)
{
	return (size_t)snprintf(dst, size, "%s", src) < size;
}

/* Writes rec (of kind) to path atomically; a record that cannot be
 * written as text is logged with why. */
static int save(const char *path, enum rec_kind kind, const void *rec)
{
	char why[REC_WHY_MAX], *text;
	int n, r;

	n = rec_format(kind, rec, &text, why, sizeof(why));
	if (n < 0) {
		log_err("%s: cannot be written: %s", path, why);
		return n;
	}
	r = write_atomic(path, text, (size_t)n);
	free(text);
	return r;
}

static void vol_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/volumes/%s.vol", cfg.state_dir, name);
}

int reg_save_volume(const struct cvol *v)
{
	struct rec_volume rec = { .chunk = v->chunk, .maxsize = v->maxsize,
				  .explicit_storage = v->explicit_storage };
	char path[PATH_MAX];

	if (!field_set(rec.name, sizeof(rec.name), v->name) ||
	    !field_set(rec.backing, sizeof(rec.backing), v->backing) ||
	    !field_set(rec.diff, sizeof(rec.diff), v->diff))
		return -ENAMETOOLONG;
	vol_path(path, sizeof(path), v->name);
	return save(path, REC_VOLUME, &rec);
}

int reg_remove_volume(const char *name)
{
	char path[PATH_MAX], dir[PATH_MAX];

	vol_path(path, sizeof(path), name);
	snprintf(dir, sizeof(dir), "%s/volumes", cfg.state_dir);
	return remove_durable(path, dir);
}

bool reg_has_volume(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	vol_path(path, sizeof(path), name);
	return lstat(path, &st) == 0 || errno != ENOENT;
}

static void snap_path(char *path, size_t len, const vss_id_t *id)
{
	char a[VSS_ID_STRLEN];

	snprintf(path, len, "%s/snapshots/%s.snap", cfg.state_dir, vss_id_format(id, a));
}

int reg_save_snapshot(const char *volume, const struct csnap *s)
{
	const vss_snapshot_prop_t *p = &s->prop;
	struct rec_snapshot rec = { .snapshot = p->snapshot_id, .set = p->snapshot_set_id,
				    .count = p->snapshots_count,
				    .attributes = p->snapshot_attributes,
				    .created = p->creation_timestamp };
	char path[PATH_MAX];

	if (!field_set(rec.volume, sizeof(rec.volume), volume) ||
	    !field_set(rec.exposed, sizeof(rec.exposed),
		       s->exposed ? (s->mnt ? s->mnt : "device") : ""))
		return -ENAMETOOLONG;
	snap_path(path, sizeof(path), &p->snapshot_id);
	return save(path, REC_SNAPSHOT, &rec);
}

int reg_remove_snapshot(const vss_id_t *id)
{
	char path[PATH_MAX], dir[PATH_MAX];

	snap_path(path, sizeof(path), id);
	snprintf(dir, sizeof(dir), "%s/snapshots", cfg.state_dir);
	return remove_durable(path, dir);
}

/* The text of the record at path (malloc'd; at most REC_MAX + 1 bytes
 * are read, so that a larger record is refused, not cut): 0 or -errno. */
static int read_record(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t n = 0;
	int r = 0;

	*text = NULL;
	if (fd < 0)
		return -errno;
	buf = malloc(REC_MAX + 1);
	if (!buf)
		r = -ENOMEM;
	while (buf && n < REC_MAX + 1) {
		ssize_t got = read(fd, buf + n, REC_MAX + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = -errno;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* Reads the record at path into rec, a struct of kind: 0, -ENOENT (no
 * record), or -EBADMSG with why (it cannot be read or parsed). */
static int load(const char *path, enum rec_kind kind, void *rec, char *why, size_t whylen)
{
	char *text;
	size_t len = 0;
	int r;

	r = read_record(path, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r) {
		snprintf(why, whylen, "%s", strerror(-r));
		return -EBADMSG;
	}
	r = rec_parse(kind, text, len, rec, why, whylen);
	free(text);
	return r ? -EBADMSG : 0;
}

/* A record whose contents name another volume or snapshot than its file
 * (a file renamed or copied): refused as unreadable. */
static int mismatch(char *why, size_t whylen, const char *what, const char *is)
{
	snprintf(why, whylen, "its %s %s is not that of its file name", what, is);
	return -EBADMSG;
}

int reg_load_volumes(int (*fn)(const char *name, const char *backing, const char *diff,
			       uint32_t chunk, uint64_t maxsize, int explicit_storage),
		     void (*bad)(const char *name, const char *why))
{
	char dir[PATH_MAX], path[PATH_MAX + 300], why[REC_WHY_MAX];
	struct rec_volume *rec = malloc(sizeof(*rec));
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!rec)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/volumes", cfg.state_dir);
	d = opendir(dir);
	if (!d) {
		r = -errno;
		free(rec);
		return r;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		int e;

		if (l < 5 || strcmp(de->d_name + l - 4, ".vol") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		e = load(path, REC_VOLUME, rec, why, sizeof(why));
		if (e == 0 && (strlen(rec->name) != l - 4 || strncmp(rec->name, de->d_name, l - 4)))
			e = mismatch(why, sizeof(why), "name", rec->name);
		if (e == -ENOENT)
			continue;	/* gone meanwhile */
		if (e) {
			char name[COWD_NAME_MAX + 1];

			log_err("%s: unreadable volume record (%s), skipped", path, why);
			/* named by its file: listed, and its name kept from
			 * a new volume until it is repaired or removed */
			if (l - 4 < sizeof(name)) {
				memcpy(name, de->d_name, l - 4);
				name[l - 4] = '\0';
				if (rec_name_ok(name))
					bad(name, why);
			}
			continue;
		}
		if (fn(rec->name, rec->backing, rec->diff, rec->chunk, rec->maxsize,
		       rec->explicit_storage) < 0)
			r = -EIO;
	}
	closedir(d);
	free(rec);
	return r;
}

int reg_load_snapshot(const vss_id_t *id, char *volume, size_t vlen, vss_snapshot_prop_t *p)
{
	char path[PATH_MAX], why[REC_WHY_MAX], a[VSS_ID_STRLEN];
	struct rec_snapshot rec;
	int r;

	snap_path(path, sizeof(path), id);
	r = load(path, REC_SNAPSHOT, &rec, why, sizeof(why));
	if (r == 0 && !vss_id_equal(&rec.snapshot, id))
		r = mismatch(why, sizeof(why), "snapshot", vss_id_format(&rec.snapshot, a));
	if (r == 0 && !field_set(volume, vlen, rec.volume))
		r = -ENAMETOOLONG;
	if (r == -EBADMSG)
		log_err("%s: unreadable snapshot record (%s)", path, why);
	if (r)
		return r;
	p->snapshot_id = *id;
	p->snapshot_set_id = rec.set;
	p->snapshots_count = rec.count;
	p->snapshot_attributes = rec.attributes;
	p->creation_timestamp = rec.created;
	return 0;
}

int reg_for_each_snapshot(void (*fn)(const vss_id_t *id, void *arg), void *arg)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/snapshots", cfg.state_dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char name[VSS_ID_STRLEN + 8];
		size_t l = strlen(de->d_name);
		vss_id_t id;

		if (l < 6 || l >= sizeof(name) || strcmp(de->d_name + l - 5, ".snap") != 0)
			continue;
		memcpy(name, de->d_name, l - 5);
		name[l - 5] = '\0';
		if (vss_id_parse(name, &id) == 0)
			fn(&id, arg);
	}
	closedir(d);
	return 0;
}

int reg_load_exposure(const vss_id_t *id, char *mnt, size_t len)
{
	char path[PATH_MAX], why[REC_WHY_MAX];
	struct rec_snapshot rec;
	int r;

	snap_path(path, sizeof(path), id);
	r = load(path, REC_SNAPSHOT, &rec, why, sizeof(why));
	if (r == -EBADMSG)
		log_err("%s: unreadable snapshot record (%s)", path, why);
	if (r)
		return r;
	if (!rec.exposed[0])
		return 0;
	return field_set(mnt, len, rec.exposed) ? 1 : -ENAMETOOLONG;
}

static void revert_path(char *path, size_t len, const char *volume)
{
	snprintf(path, len, "%s/%s.revert", cfg.state_dir, volume);
}

int reg_save_revert(const char *volume, const vss_id_t *id)
{
	struct rec_revert rec = { .snapshot = *id };
	char path[PATH_MAX];

	if (!field_set(rec.volume, sizeof(rec.volume), volume))
		return -ENAMETOOLONG;
	revert_path(path, sizeof(path), volume);
	return save(path, REC_REVERT, &rec);
}

int reg_remove_revert(const char *volume)
{
	char path[PATH_MAX];

	revert_path(path, sizeof(path), volume);
	return remove_durable(path, cfg.state_dir);
}

int reg_load_revert(const char *volume, vss_id_t *id, char *err, size_t errlen)
{
	char path[PATH_MAX], why[REC_WHY_MAX];
	struct rec_revert rec;
	int r;

	revert_path(path, sizeof(path), volume);
	r = load(path, REC_REVERT, &rec, why, sizeof(why));
	if (r == 0 && strcmp(rec.volume, volume))
		r = mismatch(why, sizeof(why), "volume", rec.volume);
	if (r == -EBADMSG) {
		log_err("%s: unreadable revert record (%s), ignored: the revert it names is not "
			"resumed", path, why);
		snprintf(err, errlen, "its revert record %s is unreadable (%s)", path, why);
	}
	if (r)
		return r;
	*id = rec.snapshot;
	return 0;
}
