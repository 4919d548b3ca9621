/* registry.c — vss-cowd's records in the state dir.
 *
 *   STATE/volumes/NAME.vol       one volume: name, backing, diff, chunk,
 *                                maxsize (bytes; 18446744073709551615 =
 *                                unbounded), storage (1: an explicit shadow
 *                                storage association) ("key=value" lines)
 *   STATE/snapshots/{ID}.snap    one created snapshot: volume, set, count,
 *                                attributes, created
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
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"

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

int reg_save_volume(const struct cvol *v)
{
	char path[PATH_MAX], *buf;
	int n, r;

	snprintf(path, sizeof(path), "%s/volumes/%s.vol", cfg.state_dir, v->name);
	n = asprintf(&buf, "name=%s\nbacking=%s\ndiff=%s\nchunk=%" PRIu32 "\nmaxsize=%" PRIu64
		     "\nexplicit=%d\n", v->name, v->backing, v->diff, v->chunk, v->maxsize,
		     v->explicit_storage);
	if (n < 0)
		return -ENOMEM;
	r = write_atomic(path, buf, (size_t)n);
	free(buf);
	return r;
}

int reg_remove_volume(const char *name)
{
	char path[PATH_MAX], dir[PATH_MAX];

	snprintf(path, sizeof(path), "%s/volumes/%s.vol", cfg.state_dir, name);
	snprintf(dir, sizeof(dir), "%s/volumes", cfg.state_dir);
	return remove_durable(path, dir);
}

static void snap_path(char *path, size_t len, const vss_id_t *id)
{
	char a[VSS_ID_STRLEN];

	snprintf(path, len, "%s/snapshots/%s.snap", cfg.state_dir, vss_id_format(id, a));
}

int reg_save_snapshot(const char *volume, const struct csnap *s)
{
	char path[PATH_MAX], a[VSS_ID_STRLEN], b[VSS_ID_STRLEN], *buf;
	const vss_snapshot_prop_t *p = &s->prop;
	int n, r;

	snap_path(path, sizeof(path), &p->snapshot_id);
	n = asprintf(&buf, "volume=%s\nsnapshot=%s\nset=%s\ncount=%d\nattributes=%d\n"
		     "created=%" PRId64 "\n%s%s%s", volume, vss_id_format(&p->snapshot_id, a),
		     vss_id_format(&p->snapshot_set_id, b), p->snapshots_count,
		     p->snapshot_attributes, (int64_t)p->creation_timestamp,
		     s->exposed ? "exposed=" : "", s->exposed ? (s->mnt ? s->mnt : "device") : "",
		     s->exposed ? "\n" : "");
	if (n < 0)
		return -ENOMEM;
	r = write_atomic(path, buf, (size_t)n);
	free(buf);
	return r;
}

int reg_remove_snapshot(const vss_id_t *id)
{
	char path[PATH_MAX], dir[PATH_MAX];

	snap_path(path, sizeof(path), id);
	snprintf(dir, sizeof(dir), "%s/snapshots", cfg.state_dir);
	return remove_durable(path, dir);
}

/* key=value lines; returns the value of key (in buf) or NULL. */
static const char *get_key(char *text, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > kl && strncmp(line, key, kl) == 0 && line[kl] == '=') {
			len -= kl + 1;
			if (len >= outlen)
				return NULL;
			memcpy(out, line + kl + 1, len);
			out[len] = '\0';
			return out;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 16384);
	if (buf) {
		n = fread(buf, 1, 16383, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

int reg_load_volumes(int (*fn)(const char *name, const char *backing, const char *diff,
			       uint32_t chunk, uint64_t maxsize, int explicit_storage))
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/volumes", cfg.state_dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char name[COWD_NAME_MAX + 1], backing[PATH_MAX], diff[PATH_MAX], num[32];
		size_t l = strlen(de->d_name);
		char *text;

		if (l < 5 || strcmp(de->d_name + l - 4, ".vol") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = slurp(path);
		if (!text || !get_key(text, "name", name, sizeof(name)) ||
		    !get_key(text, "backing", backing, sizeof(backing)) ||
		    !get_key(text, "diff", diff, sizeof(diff))) {
			log_err("%s: unreadable volume record, skipped", path);
			free(text);
			continue;
		}
		uint32_t chunk = get_key(text, "chunk", num, sizeof(num)) ?
			(uint32_t)strtoul(num, NULL, 10) : 0;
		uint64_t maxsize = get_key(text, "maxsize", num, sizeof(num)) ?
			strtoull(num, NULL, 10) : 0;

		/* -1: not recorded (a record of an older vss-cowd) */
		int expl = get_key(text, "explicit", num, sizeof(num)) ? atoi(num) != 0 : -1;

		free(text);
		if (fn(name, backing, diff, chunk, maxsize, expl) < 0)
			r = -EIO;
	}
	closedir(d);
	return r;
}

int reg_load_snapshot(const vss_id_t *id, char *volume, size_t vlen, vss_snapshot_prop_t *p)
{
	char path[PATH_MAX], num[64];
	char *text;

	snap_path(path, sizeof(path), id);
	text = slurp(path);
	if (!text)
		return -ENOENT;
	if (!get_key(text, "volume", volume, vlen) || !get_key(text, "set", num, sizeof(num)) ||
	    vss_id_parse(num, &p->snapshot_set_id)) {
		free(text);
		return -EBADMSG;
	}
	p->snapshot_id = *id;
	p->snapshots_count = get_key(text, "count", num, sizeof(num)) ? atoi(num) : 1;
	p->snapshot_attributes = get_key(text, "attributes", num, sizeof(num)) ?
		(int32_t)strtol(num, NULL, 10) : 0;
	p->creation_timestamp = get_key(text, "created", num, sizeof(num)) ?
		strtoll(num, NULL, 10) : 0;
	free(text);
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
	char path[PATH_MAX];
	char *text;
	int r;

	snap_path(path, sizeof(path), id);
	text = slurp(path);
	if (!text)
		return -ENOENT;
	r = get_key(text, "exposed", mnt, len) ? 1 : 0;
	free(text);
	return r;
}

static void revert_path(char *path, size_t len, const char *volume)
{
	snprintf(path, len, "%s/%s.revert", cfg.state_dir, volume);
}

int reg_save_revert(const char *volume, const vss_id_t *id)
{
	char path[PATH_MAX], a[VSS_ID_STRLEN], *buf;
	int n, r;

	revert_path(path, sizeof(path), volume);
	n = asprintf(&buf, "volume=%s\nsnapshot=%s\n", volume, vss_id_format(id, a));
	if (n < 0)
		return -ENOMEM;
	r = write_atomic(path, buf, (size_t)n);
	free(buf);
	return r;
}

int reg_remove_revert(const char *volume)
{
	char path[PATH_MAX];

	revert_path(path, sizeof(path), volume);
	return remove_durable(path, cfg.state_dir);
}

int reg_load_revert(const char *volume, vss_id_t *id)
{
	char path[PATH_MAX], num[64];
	char *text;
	int r = -EBADMSG;

	revert_path(path, sizeof(path), volume);
	text = slurp(path);
	if (!text)
		return -ENOENT;
	if (get_key(text, "snapshot", num, sizeof(num)) && !vss_id_parse(num, id))
		r = 0;
	free(text);
	return r;
}
