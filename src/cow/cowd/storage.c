/* storage.c — shadow storage associations of vss-cowd (vss-protocol §6.6,
 * vss-cowd(8) "SHADOW STORAGE").
 *
 * A volume's shadow storage is its diff area.  Where it lives (the
 * "storage", the --on of the commands) is a directory, which holds it as
 * NAME.diff, or the block device that is the diff area.  Without an
 * association the diff area is STATE_DIR/NAME.diff, with the volume's size
 * as its maximum; add shadowstorage makes one (moving the diff area, which
 * only a volume without snapshots allows: a diff area with snapshots is
 * where they are), resize changes the maximum on the live volume (the
 * engine deletes the oldest snapshots when it shrinks below what is used),
 * delete undoes the association (refused while snapshots are stored:
 * VSS_E_VOLUME_IN_USE, as ChangeDiffAreaMaximumSize(0) does).  Storage on
 * a volume vss-cowd serves is refused: every served volume may be frozen
 * in the same snapshot set as the one whose copies it would receive.
 *
 * The record is written before the engine is told (vol_open finishes a
 * change a crash cut short); a move writes the new diff area whole, then
 * the record, then swaps the engine volume under io_lock. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"

#define STORAGE_MIN	(1u << 20)	/* as vssadmin resize: 1 MB */

char *storage_of(const char *diff)
{
	char dir[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;

	if (stat(diff, &st) == 0 && S_ISBLK(st.st_mode))
		return strdup(diff);
	snprintf(dir, sizeof(dir), "%s", diff);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (!slash || !*dir)
		snprintf(dir, sizeof(dir), "/");
	return strdup(realpath(dir, real) ? real : dir);
}

/* Finds a volume by name or by its live device, and holds it. */
static struct cvol *vol_get(const char *for_vol)
{
	struct cvol *v;

	if (!for_vol)
		return NULL;
	pthread_mutex_lock(&tbl_lock);
	v = vol_find(for_vol);
	for (struct cvol *o = volumes; o && !v; o = o->next)
		if (o->live && o->live->loopdev[0] && strcmp(o->live->loopdev, for_vol) == 0)
			v = o;
	if (v)
		v->refs++;
	pthread_mutex_unlock(&tbl_lock);
	return v;
}

static void vol_unget(struct cvol *v)
{
	pthread_mutex_lock(&tbl_lock);
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
}

/* Whether on names v's storage (same directory or device). */
static bool same_storage(const struct cvol *v, const char *on)
{
	char real[PATH_MAX];

	return strcmp(v->storage, on) == 0 ||
	       (realpath(on, real) && strcmp(v->storage, real) == 0);
}

bool storage_match(const struct cvol *v, const char *for_vol, const char *on)
{
	if (for_vol && strcmp(v->name, for_vol) != 0 &&
	    !(v->live && v->live->loopdev[0] && strcmp(v->live->loopdev, for_vol) == 0))
		return false;
	return !on || same_storage(v, on);
}

uint64_t storage_allocated(const struct cvol *v, const struct cow_stats *st)
{
	struct stat sb;

	if (stat(v->diff, &sb) == 0 && S_ISREG(sb.st_mode))
		return (uint64_t)sb.st_blocks * 512;
	/* a device: all of it that the maximum lets the volume use */
	return st->diff_bytes_max < st->diff_bytes_capacity ? st->diff_bytes_max :
	       st->diff_bytes_capacity;
}

/* The maximum asked for, in bytes: pct of the volume, max, or (neither)
 * unbounded. */
static int resolve_max(const struct cvol *v, bool has_max, uint64_t max, uint32_t pct,
		       uint64_t *out, char *err, size_t errlen)
{
	if (pct) {
		if (pct > 100)
			return fail(err, errlen, -EINVAL, "bad maximum %" PRIu32 "%% (1-100%%)",
				    pct);
		max = (uint64_t)((unsigned __int128)v->size * pct / 100);
	} else if (!has_max) {
		max = COW_DIFF_UNBOUNDED;
	}
	if (max != COW_DIFF_UNBOUNDED) {
		max -= max % COW_SECTOR;
		if (max < STORAGE_MIN)
			return fail(err, errlen, -EINVAL,
				    "bad maximum %" PRIu64 " bytes: at least 1 MB", max);
	}
	*out = max;
	return 0;
}

/* The engine's own minimum: its metadata and one chunk. */
static int check_min(struct cvol *v, uint64_t max, char *err, size_t errlen)
{
	uint64_t min;

	if (max == COW_DIFF_UNBOUNDED)
		return 0;
	pthread_rwlock_rdlock(&v->io_lock);
	min = cow_diff_min(v->cow);
	pthread_rwlock_unlock(&v->io_lock);
	if (max < min)
		return fail(err, errlen, -EINVAL,
			    "bad maximum %" PRIu64 " bytes: volume %s's diff area needs at "
			    "least %" PRIu64 " (its metadata and one chunk)", max, v->name, min);
	return 0;
}

/* A directory that exists, on no volume vss-cowd serves. */
static int check_on(const char *on, char *err, size_t errlen)
{
	struct stat st;

	if (!on || on[0] != '/')
		return fail(err, errlen, -EINVAL, "the storage must be an absolute path");
	if (strchr(on, '\n'))	/* it goes into the volume's record, a line */
		return fail(err, errlen, -EINVAL, "the storage path holds a newline");
	if (stat(on, &st) < 0) {
		int e = errno;

		return fail(err, errlen, -e, "%s: %s", on, strerror(e));
	}
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, -EINVAL, "%s is not a directory", on);
	if (path_on_served_volume(on))
		return fail(err, errlen, -EXDEV,
			    "%s is on a volume vss-cowd serves (or on its export dir): shadow "
			    "storage must be on another filesystem", on);
	return 0;
}

/* Claims v for a move: it must have no snapshot (not even one being
 * made) and no other move running. */
static int claim_move(struct cvol *v, char *err, size_t errlen)
{
	int r = 0;

	pthread_mutex_lock(&tbl_lock);
	if (v->snaps)
		r = fail(err, errlen, -EADDRINUSE,
			 "volume %s has snapshots in its diff area on %s: delete them first",
			 v->name, v->storage);
	else if (v->moving)
		r = fail(err, errlen, -EBUSY, "volume %s's shadow storage is being changed",
			 v->name);
	else
		v->moving = true;
	pthread_mutex_unlock(&tbl_lock);
	return r;
}

static void unclaim_move(struct cvol *v)
{
	pthread_mutex_lock(&tbl_lock);
	v->moving = false;
	pthread_mutex_unlock(&tbl_lock);
}

/* Moves v's diff area (no snapshots: claim_move) to dir/NAME.diff with
 * maximum max. */
static int move_diff(struct cvol *v, const char *dir, uint64_t max, bool expl, char *err,
		     size_t errlen)
{
	char path[PATH_MAX], bpath[32], dpath[32], *ndiff, *nstorage, *odiff, *ostorage;
	struct cow_volume *ncow, *ocow;
	struct fileid *nid = NULL, *oid;
	uint64_t omax = v->maxsize;
	bool oexpl = v->explicit_storage, created;
	struct stat st;
	int fd, ofd, r;

	if (snprintf(path, sizeof(path), "%s/%s.diff", strcmp(dir, "/") ? dir : "", v->name) >=
	    (int)sizeof(path))
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", dir);
	if (lstat(path, &st) == 0)
		return fail(err, errlen, -EEXIST, "%s exists already", path);
	/* a name another volume's record has (its file missing) is not
	 * taken either; made, never through a link, and locked */
	r = vol_files_check(v->name, NULL, path, err, errlen);
	if (!r)
		r = file_lock(path, true, &fd, &created, err, errlen);
	if (r)
		return r;
	r = diff_create(fd_path(v->lock_fd[COW_ORIGIN], bpath, sizeof(bpath)),
			fd_path(fd, dpath, sizeof(dpath)), v->chunk, v->size, max, &ncow);
	if (r) {
		close(fd);
		unlink_diff(path);
		return fail(err, errlen, r, "cannot create the diff area %s: %s", path,
			    strerror(-r));
	}
	ndiff = strdup(path);
	nstorage = storage_of(path);
	nid = fileid_of_fd(fd, path);
	if (!ndiff || !nstorage || !nid) {
		r = -ENOMEM;
		goto undo_new;
	}
	/* the record first: after a crash the new diff area is the one */
	odiff = v->diff;
	ostorage = v->storage;
	v->diff = ndiff;
	v->storage = nstorage;
	v->maxsize = max;
	v->explicit_storage = expl;
	r = reg_save_volume(v);
	if (r) {
		v->diff = odiff;
		v->storage = ostorage;
		v->maxsize = omax;
		v->explicit_storage = oexpl;
		goto undo_new;
	}
	cow_set_overflow_cb(ncow, overflow_cb, v);
	pthread_rwlock_wrlock(&v->io_lock);
	ocow = v->cow;
	v->cow = ncow;
	pthread_rwlock_unlock(&v->io_lock);
	cow_volume_close(ocow);
	pthread_mutex_lock(&tbl_lock);
	ofd = v->lock_fd[COW_DIFF];
	oid = v->id[COW_DIFF];
	v->lock_fd[COW_DIFF] = fd;
	v->id[COW_DIFF] = nid;
	pthread_mutex_unlock(&tbl_lock);
	unlink_diff(odiff);
	close(ofd);
	fileid_free(oid);
	log_info("volume %s: diff area moved from %s to %s", v->name, odiff, ndiff);
	free(odiff);
	free(ostorage);
	return 0;
undo_new:
	cow_volume_close(ncow);
	close(fd);
	fileid_free(nid);
	unlink_diff(path);
	if (v->diff != ndiff) {
		free(ndiff);
		free(nstorage);
	}
	return fail(err, errlen, r, "volume %s: cannot record the new diff area: %s", v->name,
		    strerror(-r));
}

/* Sets v's maximum: the record, then the engine (which may delete the
 * oldest snapshots). */
static int set_max(struct cvol *v, uint64_t max, bool expl, char *err, size_t errlen)
{
	uint64_t omax = v->maxsize;
	bool oexpl = v->explicit_storage;
	int r;

	v->maxsize = max;
	v->explicit_storage = expl;
	r = reg_save_volume(v);
	if (!r) {
		pthread_rwlock_rdlock(&v->io_lock);
		r = v->cow ? cow_set_diff_max(v->cow, max) : -EIO;
		pthread_rwlock_unlock(&v->io_lock);
		if (r) {
			v->maxsize = omax;
			v->explicit_storage = oexpl;
			reg_save_volume(v);
		}
	} else {
		v->maxsize = omax;
		v->explicit_storage = oexpl;
	}
	if (r)
		return fail(err, errlen, r, "volume %s: cannot change the maximum: %s", v->name,
			    strerror(-r));
	if (max == COW_DIFF_UNBOUNDED)
		log_info("volume %s: shadow storage on %s, no maximum", v->name, v->storage);
	else
		log_info("volume %s: shadow storage on %s, maximum %" PRIu64 " bytes", v->name,
			 v->storage, max);
	return 0;
}

int storage_add(const char *name, const char *on, bool has_max, uint64_t max, uint32_t pct,
		char *err, size_t errlen)
{
	struct cvol *v = vol_get(name);
	int r;

	if (!v)
		return fail(err, errlen, -ENOENT, "no volume '%s'", name ? name : "");
	r = check_on(on, err, errlen);
	if (!r && v->explicit_storage)
		r = fail(err, errlen, -EEXIST,
			 "volume %s has shadow storage on %s already (resize or delete it)",
			 v->name, v->storage);
	if (!r)
		r = resolve_max(v, has_max, max, pct, &max, err, errlen);
	if (!r && same_storage(v, on)) {
		r = check_min(v, max, err, errlen);
		if (!r)
			r = set_max(v, max, true, err, errlen);
	} else if (!r) {
		r = claim_move(v, err, errlen);
		if (!r) {
			char real[PATH_MAX];

			r = move_diff(v, realpath(on, real) ? real : on, max, true, err, errlen);
			unclaim_move(v);
		}
	}
	vol_unget(v);
	return r;
}

int storage_resize(const char *name, const char *on, bool has_max, uint64_t max,
		   uint32_t pct, char *err, size_t errlen)
{
	struct cvol *v = vol_get(name);
	int r = 0;

	if (!v)
		return fail(err, errlen, -ENOENT, "no volume '%s'", name ? name : "");
	if (on && !same_storage(v, on))
		r = fail(err, errlen, -ENOENT, "volume %s has no shadow storage on %s (it is on %s)",
			 v->name, on, v->storage);
	if (!r && !has_max && !pct)
		r = fail(err, errlen, -EINVAL, "resize needs a maximum");
	if (!r)
		r = resolve_max(v, has_max, max, pct, &max, err, errlen);
	if (!r)
		r = check_min(v, max, err, errlen);
	if (!r)
		r = set_max(v, max, true, err, errlen);
	vol_unget(v);
	return r;
}

int storage_delete(const char *name, const char *on, char *err, size_t errlen)
{
	struct cvol *v = vol_get(name);
	int r = 0;

	if (!v)
		return fail(err, errlen, -ENOENT, "no volume '%s'", name ? name : "");
	if (!v->explicit_storage || (on && !same_storage(v, on)))
		r = fail(err, errlen, -ENOENT, "volume %s has no shadow storage association%s%s",
			 v->name, on ? " on " : "", on ? on : "");
	if (!r)
		r = claim_move(v, err, errlen);
	if (r) {
		vol_unget(v);
		return r;
	}
	/* back to the default: STATE_DIR/NAME.diff, the volume's size */
	if (same_storage(v, cfg.state_dir))
		r = set_max(v, v->size, false, err, errlen);
	else
		r = move_diff(v, cfg.state_dir, v->size, false, err, errlen);
	unclaim_move(v);
	if (!r)
		log_info("volume %s: shadow storage association deleted", v->name);
	vol_unget(v);
	return r;
}
