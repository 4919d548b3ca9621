/* manage.c — vss-cowd's snapshot management calls (vss-protocol §5.5, §6.5).
 *
 * Design note.  A committed snapshot already has its read-only loop device
 * (its device object).  ExposeSnapshot without a name makes that device the
 * exposure; with a directory it also mounts the device read-only there
 * (ext4: ro,noload; xfs: ro,nouuid,norecovery — the snapshot is crash
 * consistent and must not be written, so no journal replay), trying ext4
 * then xfs.  The exposure is kept in the snapshot's record, so it comes back
 * when vss-cowd starts again (Windows keeps a persistent snapshot exposed
 * across boots); stop unmounts it, and a start after a kill first removes
 * the previous instance's mount there (clear_stale_exposure).  The record
 * is written before an exposure change is acknowledged.  DeleteSnapshots refuses an exposed
 * snapshot unless forced, and a forced delete unmounts cleanly or refuses
 * (VSS_E_VOLUME_IN_USE): never a lazy detach that leaves users with I/O
 * errors.
 *
 * RevertToSnapshot runs cow_revert() on a thread of its own.  The engine
 * wants the volume offline: the live device must not be mounted or open
 * (VSS_E_VOLUME_IN_USE), unless forced, when every mount of the live device
 * is unmounted first (a busy mount still refuses: a lazily detached file
 * system would write into the reverted volume later).  While it runs, I/O
 * to the volume waits in the engine, new snapshots of the volume are vetoed
 * and deletes of its snapshots answer VSS_E_REVERT_IN_PROGRESS.  Crash
 * safety: <state-dir>/<volume>.revert is written before the revert starts
 * and removed when it has finished; cow_revert() is idempotent (it copies
 * the snapshot's preserved chunks over the origin, the snapshot itself
 * stays intact), so a vss-cowd that starts and finds the file runs the
 * revert again from the start and logs that it resumes it.  A stop during a
 * revert waits for it to finish. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/mountinfo.h"
#include "cow/cowd/cowd.h"

pthread_mutex_t mgmt_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------ mounts */

struct dev_mounts {
	dev_t rdev;
	char *mps[64];
	unsigned n;
};

static bool collect_dev(const struct mountinfo *m, void *arg)
{
	struct dev_mounts *d = arg;

	/* by device number, or (btrfs: an anonymous one) by source */
	if (mountinfo_on_bdev(m, d->rdev) && (d->mps[d->n] = strdup(m->point)))
		d->n++;
	return d->n < 64;
}

/* Unmounts every mount of block device rdev, last mounted first.  Returns
 * 0, or -errno of the first mount that would not go (its path in busy). */
static int unmount_dev(dev_t rdev, char *busy, size_t len)
{
	struct dev_mounts d = { .rdev = rdev };
	int r = mountinfo_each(collect_dev, &d);

	while (d.n--) {
		if (!r && umount_own(d.mps[d.n], 0) < 0) {
			r = -errno;
			snprintf(busy, len, "%s", d.mps[d.n]);
		} else if (!r) {
			log_info("unmounted %s", d.mps[d.n]);
		}
		free(d.mps[d.n]);
	}
	return r;
}

/* A mount point must be an empty directory (as on Windows). */
static bool empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	errno = 0;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (empty && errno)	/* unreadable (a dead mount: EIO) is not empty */
		empty = false;
	closedir(d);
	return empty;
}

/* Mounts the snapshot's device read-only at dir: ext4, then xfs. */
static int mount_ro(const char *dev, const char *dir, const char **fstype)
{
	/* read-only, and never writing: no journal or log replay; xfs and
	 * btrfs take a copy beside its mounted origin (same uuid; btrfs
	 * since its temp-fsid, kernel 6.7) */
	static const struct { const char *type, *opts; } fs[] = {
		{ "ext4", "noload" },
		{ "xfs", "nouuid,norecovery" },
		{ "btrfs", "rescue=nologreplay" },
	};
	int r = -EINVAL;

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		if (mount(dev, dir, fs[i].type, MS_RDONLY | MS_NODEV | MS_NOSUID, fs[i].opts) == 0) {
			*fstype = fs[i].type;
			return 0;
		}
		/* EINVAL: not this file system; anything else is final */
		r = -errno;
		if (r != -EINVAL)
			break;
	}
	return r;
}

/* ------------------------------------------------------------ lookups */

/* tbl_lock held: the committed snapshot id and its volume. */
static struct csnap *find_snap(const vss_id_t *id, struct cvol **vout)
{
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_id, id) && s->engine_id &&
			    s->prop.status == VSS_SS_CREATED) {
				*vout = v;
				return s;
			}
	return NULL;
}

bool mgmt_reverting(struct cvol *v)
{
	return v->revert.running;
}

/* Writes the snapshot's record as if its exposure were (exposed, mnt),
 * durably, without changing s: 0 or -errno.  No lock held. */
static int save_exposure(struct cvol *v, struct csnap *s, bool exposed, char *mnt)
{
	struct csnap rec;

	pthread_mutex_lock(&tbl_lock);
	rec = *s;		/* the record is made of its scalar fields */
	pthread_mutex_unlock(&tbl_lock);
	rec.exposed = exposed;
	rec.mnt = mnt;
	return reg_save_snapshot(v->name, &rec);
}

/* ------------------------------------------------------------ expose */

/* Mounts (if dir) and records the exposure; no lock held, v referenced. */
static vss_hr_t do_expose(struct cvol *v, struct csnap *s, const char *dir, bool save)
{
	char dev[32], a[VSS_ID_STRLEN];
	const char *fstype = NULL;
	char *mnt = NULL;
	struct stat st;
	int r;

	vss_id_format(&s->prop.snapshot_id, a);
	pthread_mutex_lock(&tbl_lock);
	snprintf(dev, sizeof(dev), "%s", s->node ? s->node->loopdev : "");
	pthread_mutex_unlock(&tbl_lock);
	if (!dev[0])
		return VSSERR(VSS_E_PROVIDER_VETO, "snapshot %s has no device to expose", a);
	if (dir) {
		/* it goes into the snapshot's record, a line */
		if (strchr(dir, '\n'))
			return VSSERR(E_INVALIDARG, "the directory's path holds a newline");
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return VSSERR(E_INVALIDARG, "%s is not a directory", dir);
		if (!empty_dir(dir))
			return VSSERR(E_INVALIDARG, "%s is not an empty directory", dir);
		if (!(mnt = strdup(dir)))
			return VSSERR(E_OUTOFMEMORY, "out of memory");
		r = mount_ro(dev, dir, &fstype);
		if (r) {
			free(mnt);
			return VSSERR(r == -EBUSY ? VSS_E_VOLUME_IN_USE : VSS_E_PROVIDER_VETO,
				      "cannot mount snapshot %s (%s) read-only at %s: %s%s", a, dev,
				      dir, strerror(-r), r == -EINVAL ?
				      " (not an ext4, xfs or btrfs file system?)" : "");
		}
	}
	/* the exposure is acknowledged only once its record is durable */
	if (save && (r = save_exposure(v, s, true, mnt))) {
		vss_hr_t hr = VSSERR(VSS_E_PROVIDER_VETO, "snapshot %s: cannot record its "
				     "exposure in %s: %s: not exposed", a, cfg.state_dir,
				     strerror(-r));

		if (mnt && umount_own(mnt, 0) < 0) {
			log_err("snapshot %s: cannot unmount %s again: %s: detaching it lazily",
				a, mnt, strerror(errno));
			umount_own(mnt, MNT_DETACH);
		}
		free(mnt);
		return hr;
	}
	pthread_mutex_lock(&tbl_lock);
	s->exposed = true;
	free(s->mnt);
	s->mnt = mnt;
	pthread_mutex_unlock(&tbl_lock);
	if (mnt)
		log_info("snapshot %s exposed: %s mounted read-only (%s) at %s", a, dev, fstype,
			 mnt);
	else
		log_info("snapshot %s exposed as %s", a, dev);
	return S_OK;
}

static vss_hr_t expose_locked(const vss_id_t *id, const char *name, char **exposed_name)
{
	struct cvol *v = NULL;
	struct csnap *s;
	char a[VSS_ID_STRLEN];
	vss_hr_t hr;

	pthread_mutex_lock(&tbl_lock);
	s = find_snap(id, &v);
	if (s && s->exposed) {
		pthread_mutex_unlock(&tbl_lock);
		return VSSERR(VSS_E_OBJECT_ALREADY_EXISTS, "snapshot %s is already exposed",
			      vss_id_format(id, a));
	}
	if (s)
		v->refs++;
	pthread_mutex_unlock(&tbl_lock);
	if (!s)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no snapshot %s", vss_id_format(id, a));
	hr = do_expose(v, s, name, true);
	pthread_mutex_lock(&tbl_lock);
	if (hr == S_OK) {
		*exposed_name = strdup(s->mnt ? s->mnt : s->node ? s->node->loopdev : "");
		if (!*exposed_name)
			hr = E_OUTOFMEMORY;
	}
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
	return hr;
}

vss_hr_t mgmt_expose(vss_provider_t *p, const vss_id_t *id, const char *name, char **exposed_name,
		     char **exposed_path, void *u)
{
	vss_hr_t hr;

	pthread_mutex_lock(&mgmt_lock);
	hr = expose_locked(id, name, exposed_name);
	pthread_mutex_unlock(&mgmt_lock);
	(void)exposed_path;
	return hr;
}

/* Unmounts and forgets the exposure; no lock held.  keep_record: the
 * exposure stays in the record (stop: it comes back at the next start).
 * Else the record says "not exposed" durably before the unmount, and says
 * "exposed" again if the unmount fails: the exposure is never gone without
 * its record saying so, nor back after a restart once unexpose succeeded. */
static vss_hr_t do_unexpose(struct cvol *v, struct csnap *s, bool keep_record)
{
	char a[VSS_ID_STRLEN], *mnt;
	int r;

	vss_id_format(&s->prop.snapshot_id, a);
	pthread_mutex_lock(&tbl_lock);
	mnt = s->mnt ? strdup(s->mnt) : NULL;
	pthread_mutex_unlock(&tbl_lock);
	if (!keep_record && (r = save_exposure(v, s, false, NULL))) {
		free(mnt);
		return VSSERR(VSS_E_PROVIDER_VETO, "snapshot %s: cannot record that it is no "
			      "longer exposed in %s: %s: it stays exposed", a, cfg.state_dir,
			      strerror(-r));
	}
	if (mnt && umount_own(mnt, 0) < 0 && errno != EINVAL) {
		int e = errno;
		vss_hr_t hr = VSSERR(e == EBUSY ? VSS_E_VOLUME_IN_USE : VSS_E_PROVIDER_VETO,
				     "cannot unmount snapshot %s from %s: %s", a, mnt,
				     strerror(e));

		if (!keep_record && (r = save_exposure(v, s, true, mnt)))
			log_err("snapshot %s: still mounted at %s, but its record says it is "
				"not exposed and could not be restored: %s", a, mnt,
				strerror(-r));
		free(mnt);
		return hr;
	}
	if (!keep_record) {
		pthread_mutex_lock(&tbl_lock);
		s->exposed = false;
		free(s->mnt);
		s->mnt = NULL;
		pthread_mutex_unlock(&tbl_lock);
	}
	log_info("snapshot %s unexposed%s%s", a, mnt ? ": unmounted " : "", mnt ? mnt : "");
	free(mnt);
	return S_OK;
}

vss_hr_t mgmt_unexpose(vss_provider_t *p, const vss_id_t *id, void *u)
{
	struct cvol *v = NULL;
	struct csnap *s;
	char a[VSS_ID_STRLEN];
	vss_hr_t hr;

	pthread_mutex_lock(&mgmt_lock);
	pthread_mutex_lock(&tbl_lock);
	s = find_snap(id, &v);
	if (s && s->exposed)
		v->refs++;
	pthread_mutex_unlock(&tbl_lock);
	if (!s || !s->exposed) {
		pthread_mutex_unlock(&mgmt_lock);
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "snapshot %s is not %s", vss_id_format(id, a),
			      s ? "exposed" : "known");
	}
	hr = do_unexpose(v, s, false);
	pthread_mutex_lock(&tbl_lock);
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
	pthread_mutex_unlock(&mgmt_lock);
	return hr;
}

/* Exposes again, at mnt (NULL: the device alone), a snapshot that
 * mgmt_release_for_delete unexposed for a deletion that was then refused;
 * no lock held, v referenced. */
vss_hr_t mgmt_reexpose(struct cvol *v, struct csnap *s, const char *mnt)
{
	return do_expose(v, s, mnt, true);
}

vss_hr_t mgmt_release_for_delete(struct cvol *v, struct csnap *s, bool force)
{
	char a[VSS_ID_STRLEN], dev[32], busy[PATH_MAX] = "";
	bool exposed, reverting;
	dev_t rdev;

	vss_id_format(&s->prop.snapshot_id, a);
	pthread_mutex_lock(&tbl_lock);
	exposed = s->exposed;
	reverting = v->revert.running;
	snprintf(dev, sizeof(dev), "%s", s->node ? s->node->loopdev : "");
	rdev = s->node ? s->node->loop_rdev : 0;
	pthread_mutex_unlock(&tbl_lock);
	if (reverting)
		return VSSERR(VSS_E_REVERT_IN_PROGRESS, "volume %s is being reverted: snapshot %s "
			      "cannot be deleted now", v->name, a);
	if (exposed && !force)
		return VSSERR(VSS_E_VOLUME_IN_USE, "snapshot %s is exposed: unexpose it first "
			      "(or force)", a);
	if (exposed && do_unexpose(v, s, false) != S_OK)
		return VSS_E_VOLUME_IN_USE;
	if (!dev_in_use(dev))
		return S_OK;
	if (!force)
		return VSSERR(VSS_E_VOLUME_IN_USE, "snapshot %s: its device %s is in use "
			      "(mounted?)", a, dev);
	if (rdev && unmount_dev(rdev, busy, sizeof(busy)) < 0)
		return VSSERR(VSS_E_VOLUME_IN_USE, "snapshot %s: cannot unmount %s from %s: busy",
			      a, dev, busy);
	if (dev_in_use(dev))
		return VSSERR(VSS_E_VOLUME_IN_USE, "snapshot %s: its device %s is held open", a,
			      dev);
	return S_OK;
}

/* ------------------------------------------------------------ revert */

/* Signalled (tbl_lock) when a revert thread ends. */
static pthread_cond_t revert_cond = PTHREAD_COND_INITIALIZER;

static void revert_progress(void *arg, uint64_t done, uint64_t total)
{
	struct cvol *v = arg;

	pthread_mutex_lock(&tbl_lock);
	v->revert.done = done;
	v->revert.total = total;
	pthread_mutex_unlock(&tbl_lock);
}

static void *revert_thread(void *arg)
{
	struct cvol *v = arg;
	char a[VSS_ID_STRLEN];
	uint64_t eid;
	int r;

	pthread_mutex_lock(&tbl_lock);
	eid = v->revert.engine_id;
	vss_id_format(&v->revert.snapshot_id, a);
	pthread_mutex_unlock(&tbl_lock);
	pthread_rwlock_rdlock(&v->io_lock);
	r = v->cow ? cow_revert(v->cow, eid, revert_progress, v) : -EIO;
	pthread_rwlock_unlock(&v->io_lock);
	if (r == 0)
		reg_remove_revert(v->name);
	if (r)
		log_err("volume %s: the revert to snapshot %s failed: %s (it is retried when "
			"vss-cowd starts again)", v->name, a, strerror(-r));
	else
		log_info("volume %s: reverted to snapshot %s", v->name, a);
	pthread_mutex_lock(&tbl_lock);
	v->revert.running = false;
	v->revert.status = r ? VSS_E_PROVIDER_VETO : VSS_S_ASYNC_FINISHED;
	if (!r) {
		v->revert.done = v->revert.total;
		free(v->warning);	/* the volume is now the snapshot, whole */
		v->warning = NULL;
	}
	vol_put(v);		/* the thread's reference */
	pthread_cond_broadcast(&revert_cond);
	pthread_mutex_unlock(&tbl_lock);
	return NULL;
}

/* tbl_lock held, revert not running: starts the (detached) thread, which
 * holds a reference to v until it ends. */
static int revert_start(struct cvol *v, const vss_id_t *id, uint64_t engine_id)
{
	pthread_attr_t attr;
	int r;

	v->revert.running = true;
	v->revert.known = true;
	v->revert.snapshot_id = *id;
	v->revert.engine_id = engine_id;
	v->revert.status = VSS_S_ASYNC_PENDING;
	v->revert.done = 0;
	v->revert.total = 0;
	v->refs++;		/* the thread's */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&v->revert.thread, &attr, revert_thread, v);
	pthread_attr_destroy(&attr);
	if (r) {
		v->revert.running = false;
		v->revert.status = VSS_E_PROVIDER_VETO;
		v->refs--;
	}
	return r;
}

static vss_hr_t revert_locked(const vss_id_t *id, bool force)
{
	char a[VSS_ID_STRLEN], dev[32], busy[PATH_MAX] = "";
	struct cvol *v = NULL;
	struct csnap *s;
	dev_t rdev = 0;
	uint64_t eid = 0;
	vss_hr_t hr = S_OK;
	int r;

	vss_id_format(id, a);
	pthread_mutex_lock(&tbl_lock);
	s = find_snap(id, &v);
	if (!s)
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "no snapshot %s", a);
	else if (!(s->prop.snapshot_attributes & VSS_VOLSNAP_ATTR_PERSISTENT))
		hr = VSSERR(VSS_E_UNSUPPORTED_CONTEXT, "snapshot %s is not persistent", a);
	else if (v->revert.running)
		hr = VSSERR(VSS_E_REVERT_IN_PROGRESS, "volume %s is being reverted already",
			    v->name);
	else if (!v->live || !v->live->loopdev[0])
		hr = VSSERR(VSS_E_VOLUME_NOT_SUPPORTED, "volume %s is not served", v->name);
	if (hr == S_OK) {
		v->refs++;
		snprintf(dev, sizeof(dev), "%s", v->live->loopdev);
		rdev = v->live->loop_rdev;
		eid = s->engine_id;
	}
	pthread_mutex_unlock(&tbl_lock);
	if (hr != S_OK)
		return hr;
	if (dev_in_use(dev)) {
		if (!force) {
			hr = VSSERR(VSS_E_VOLUME_IN_USE, "volume %s (%s) is in use (mounted or "
				    "open): unmount it, or force the dismount", v->name, dev);
			goto out;
		}
		r = unmount_dev(rdev, busy, sizeof(busy));
		if (r) {
			hr = VSSERR(VSS_E_VOLUME_IN_USE, "volume %s: cannot unmount %s from %s: %s",
				    v->name, dev, busy, strerror(-r));
			goto out;
		}
		if (dev_in_use(dev))
			log_warn("volume %s: %s is still held open: reverting anyway (forced); "
				 "its users see the reverted data", v->name, dev);
	}
	r = reg_save_revert(v->name, id);
	if (r) {
		hr = VSSERR(VSS_E_PROVIDER_VETO, "volume %s: cannot record the revert: %s",
			    v->name, strerror(-r));
		goto out;
	}
	pthread_mutex_lock(&tbl_lock);
	if (v->revert.running) {
		hr = VSSERR(VSS_E_REVERT_IN_PROGRESS, "volume %s is being reverted already",
			    v->name);
	} else if ((r = revert_start(v, id, eid))) {
		hr = VSSERR(VSS_E_PROVIDER_VETO, "volume %s: cannot start the revert: %s", v->name,
			    strerror(-r));
	}
	pthread_mutex_unlock(&tbl_lock);
	if (hr == S_OK)
		log_info("volume %s: reverting to snapshot %s%s", v->name, a,
			 force ? " (forced)" : "");
	else
		reg_remove_revert(v->name);
out:
	pthread_mutex_lock(&tbl_lock);
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
	return hr;
}

vss_hr_t mgmt_revert(vss_provider_t *p, const vss_id_t *id, bool force, void *u)
{
	vss_hr_t hr;

	pthread_mutex_lock(&mgmt_lock);
	hr = revert_locked(id, force);
	pthread_mutex_unlock(&mgmt_lock);
	return hr;
}

vss_hr_t mgmt_revert_status(vss_provider_t *p, const char *volume, vss_hr_t *status,
			    uint64_t *done, uint64_t *total, vss_id_t *id, void *u)
{
	struct stat st;
	struct cvol *v = NULL;
	vss_hr_t hr;

	pthread_mutex_lock(&tbl_lock);
	if (stat(volume, &st) == 0 && S_ISBLK(st.st_mode))
		v = vol_find_dev(st.st_rdev);
	if (!v)
		v = vol_find(volume);
	if (!v || !v->revert.known) {
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "no revert of %s is known", volume);
	} else {
		*status = v->revert.status;
		*done = v->revert.done;
		*total = v->revert.total;
		*id = v->revert.snapshot_id;
		hr = S_OK;
	}
	pthread_mutex_unlock(&tbl_lock);
	return hr;
}

/* ------------------------------------------------------------ start / stop */

/* The loop device rdev (its /dev name in dev) is one of a previous
 * vss-cowd's for the export file name: its backing file is
 * <export-dir>/name, or /name once that instance's FUSE mount was detached. */
static bool old_loop_of(dev_t rdev, const char *name, char *dev, size_t len)
{
	char p[PATH_MAX], back[PATH_MAX], line[256];
	size_t n, l = strlen(name);
	bool named = false;
	FILE *f;

	/* its name from uevent (DEVNAME=loopN), not the sysfs link: readlink
	 * trips valgrind 3.19 under the FUSE sim-hints the tests use */
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/uevent", major(rdev), minor(rdev));
	f = fopen(p, "re");
	if (!f)
		return false;
	while (!named && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(dev, len, "/dev/%s", line + 8);
			named = true;
		}
	fclose(f);
	if (!named)
		return false;
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/loop/backing_file", major(rdev),
		 minor(rdev));
	f = fopen(p, "re");
	if (!f)
		return false;
	if (!fgets(back, sizeof(back), f))
		back[0] = '\0';
	fclose(f);
	n = strcspn(back, "\n");
	back[n] = '\0';
	if (n > 10 && !strcmp(back + n - 10, " (deleted)"))
		back[n -= 10] = '\0';
	return n > l && back[n - l - 1] == '/' && !strcmp(back + n - l, name);
}

/* The block device of the topmost mount at dir, if any (a btrfs names it
 * as its source). */
static bool mounted_at(const char *dir, dev_t *rdev)
{
	struct mountinfo *m = malloc(sizeof(*m));
	bool found = m && mountinfo_at(dir, m) == 0;

	if (found)
		*rdev = mountinfo_bdev(m);
	free(m);
	return found;
}

/* Start, before the exposure at dir is mounted again: a vss-cowd killed
 * without its stop left the snapshot mounted there, from a loop device over
 * its own (now dead) FUSE mount, whose reads fail with EIO.  That mount goes
 * (lazily if it is busy: its users keep their I/O errors), and its loop
 * device too (it clears itself once unused; a busy one is marked so). */
static void clear_stale_exposure(struct csnap *s, const char *dir)
{
	char name[COWD_NAME_MAX + 48], dev[PATH_MAX + 8], a[VSS_ID_STRLEN];
	dev_t ours, rdev = 0;

	vss_id_format(&s->prop.snapshot_id, a);
	pthread_mutex_lock(&tbl_lock);
	snprintf(name, sizeof(name), "%s", s->node ? s->node->name : "");
	ours = s->node ? s->node->loop_rdev : 0;
	pthread_mutex_unlock(&tbl_lock);
	for (int i = 0; name[0] && i < 8 && mounted_at(dir, &rdev) && rdev != ours &&
	     old_loop_of(rdev, name, dev, sizeof(dev)); i++) {
		int fd;

		log_warn("snapshot %s: removing the stale exposure at %s (%s, of a previous "
			 "vss-cowd)", a, dir, dev);
		if (umount2(dir, 0) < 0) {
			if (errno != EBUSY) {
				log_warn("snapshot %s: cannot unmount %s: %s", a, dir,
					 strerror(errno));
				return;
			}
			log_warn("snapshot %s: %s is busy: detaching it lazily (its users get "
				 "I/O errors)", a, dir);
			if (umount2(dir, MNT_DETACH) < 0) {
				log_warn("snapshot %s: cannot detach %s: %s", a, dir,
					 strerror(errno));
				return;
			}
		}
		/* autoclear: normally gone with its last user */
		if (old_loop_of(rdev, name, dev, sizeof(dev)) &&
		    (fd = open(dev, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO)
				log_warn("%s: detach: %s", dev, strerror(errno));
			close(fd);
		}
	}
}

void mgmt_volume_opened(struct cvol *v)
{
	char mnt[PATH_MAX], a[VSS_ID_STRLEN], why[PATH_MAX + 256];
	struct csnap *s;
	vss_id_t id;
	int r;

	/* exposures kept in the records */
	for (s = v->snaps; s; s = s->next) {
		if (reg_load_exposure(&s->prop.snapshot_id, mnt, sizeof(mnt)) != 1)
			continue;
		if (strcmp(mnt, "device"))
			clear_stale_exposure(s, mnt);
		if (do_expose(v, s, strcmp(mnt, "device") ? mnt : NULL, false) != S_OK)
			log_warn("volume %s: snapshot %s cannot be exposed again: %s", v->name,
				 vss_id_format(&s->prop.snapshot_id, a), vss_last_error());
	}
	r = reg_load_revert(v->name, &id, why, sizeof(why));
	if (r == -ENOENT)
		return;
	pthread_mutex_lock(&tbl_lock);
	s = NULL;
	for (struct csnap *t = v->snaps; t && !r; t = t->next)
		if (vss_id_equal(&t->prop.snapshot_id, &id) && t->engine_id)
			s = t;
	if (s && revert_start(v, &id, s->engine_id) == 0) {
		pthread_mutex_unlock(&tbl_lock);
		log_warn("volume %s: the revert to snapshot %s was interrupted: resuming it",
			 v->name, vss_id_format(&id, a));
		return;
	}
	/* Served, since its data is all there is, but flagged: the record
	 * stays, so the warning comes back at every start until a revert of
	 * the volume completes or the volume is removed. */
	if (!r) {		/* else why names the unreadable record */
		snprintf(why, sizeof(why), "an interrupted revert to snapshot %s could not be "
			 "resumed (%s)", vss_id_format(&id, a),
			 s ? "no thread could start" : "the snapshot is gone");
		v->revert.known = true;		/* QueryRevertStatus: it failed */
		v->revert.snapshot_id = id;
		v->revert.status = VSS_E_PROVIDER_VETO;
	}
	free(v->warning);
	if (asprintf(&v->warning, "%s: the volume may hold a mix of its old data and the "
		     "snapshot's", why) < 0)
		v->warning = NULL;
	pthread_mutex_unlock(&tbl_lock);
	log_err("volume %s: %s", v->name, v->warning ? v->warning : why);
}

static bool any_revert_running(void)
{
	for (struct cvol *v = volumes; v; v = v->next)
		if (v->revert.running)
			return true;
	return false;
}

void mgmt_stop(void)
{
	pthread_mutex_lock(&tbl_lock);
	if (any_revert_running())
		log_info("waiting for the running revert(s) to finish");
	while (any_revert_running())
		pthread_cond_wait(&revert_cond, &tbl_lock);
	pthread_mutex_unlock(&tbl_lock);
	for (;;) {
		struct cvol *w = NULL;
		struct csnap *s = NULL;

		pthread_mutex_lock(&tbl_lock);
		for (struct cvol *v = volumes; v && !w; v = v->next)
			for (struct csnap *t = v->snaps; t && !w; t = t->next)
				if (t->mnt) {
					w = v;
					s = t;
				}
		pthread_mutex_unlock(&tbl_lock);
		if (!w)
			return;
		/* the exposure stays in the record: it is mounted again at the
		 * next start */
		if (do_unexpose(w, s, true) != S_OK) {
			log_err("%s", vss_last_error());
			log_err("snapshot exposure at %s is busy: detaching it lazily (its users "
				"get I/O errors once vss-cowd is gone)", s->mnt);
			umount_own(s->mnt, MNT_DETACH);
		}
		pthread_mutex_lock(&tbl_lock);
		free(s->mnt);
		s->mnt = NULL;
		pthread_mutex_unlock(&tbl_lock);
	}
}
