/* vss-reflinkd — the reflink provider: snapshots of image files and of the
 * loop devices they back, as reflink clones (FICLONE).  See vss-reflinkd(8).
 *
 * Life of a snapshot (one struct snap, in one list under one lock):
 *   BeginPrepare   resolve the volume to its image (no I/O on the volume);
 *                  PREPARING.  A new set silently drops an unfinished one.
 *   EndPrepare     open the image, prove one block clones into the store,
 *                  check free space, create the empty clone file ID.img;
 *                  PREPARED.  All slow work is here.
 *   Commit         ioctl(FICLONE) per snapshot, nothing else: no logging,
 *                  no allocation; COMMITTED.  vssd holds the filesystem on
 *                  the loop device frozen, so the image holds every flushed
 *                  write (FICLONE writes back the source's dirty pages).
 *   PostCommit     fsync the clone, log what was done; POSTCOMMITTED.
 *   PostFinal      chmod 0400, write ID.meta, close the files; CREATED.
 *   Abort          unlink what a non-CREATED snapshot of the set made.
 *   Delete         unlink ID.meta, then ID.img (a crash in between leaves
 *                  an .img without .meta, removed at the next start).
 *   (vssd lost)    like Abort, for every unfinished snapshot.
 * Only CREATED snapshots are listed by Query; vssd's catalog decides which
 * of them are auto-release and deletes those whose session is gone. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <vss/provider.h>
#include "common/log.h"
#include "common/util.h"
#include "providers/reflink/reflink.h"

#define DEFAULT_STORE LOCALSTATEDIR "/lib/vss/reflink"
#define PROVIDER_NAME "openvss reflink provider"

/* {3bc0b176-e092-4800-a575-ebc6db4b988f}, fixed: vssd's catalog keys
 * persistent snapshots by it across restarts. */
static const vss_id_t provider_id = { { 0x3b, 0xc0, 0xb1, 0x76, 0xe0, 0x92, 0x48, 0x00,
					0xa5, 0x75, 0xeb, 0xc6, 0xdb, 0x4b, 0x98, 0x8f } };

struct snap {
	struct snap *next;
	vss_id_t id, set_id;
	char *volume;
	struct rl_image img;
	char *path;		/* STORE/ID.img */
	int32_t context, count;
	vss_timestamp_t created;
	VSS_SNAPSHOT_STATE status;
	int src_fd, dst_fd;	/* open from EndPrepare to PostFinal */
	int commit_errno;	/* saved in Commit, logged after it */
	uint64_t commit_us;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap *snaps;
static struct rl_store store;

static const char *fmt_id(const vss_id_t *id, char buf[VSS_ID_STRLEN])
{
	return vss_id_format(id, buf);
}

static void snap_close(struct snap *s)
{
	if (s->src_fd >= 0)
		close(s->src_fd);
	if (s->dst_fd >= 0)
		close(s->dst_fd);
	s->src_fd = s->dst_fd = -1;
}

static void snap_free(struct snap *s)
{
	snap_close(s);
	rl_image_clear(&s->img);
	free(s->volume);
	free(s->path);
	free(s);
}

/* Removes every file the snapshot has in the store; lock held.  0 or
 * -errno of the first failure (the .meta goes first). */
static int snap_unlink(struct snap *s)
{
	CLEANUP_FREE char *meta = rl_path(store.dir, &s->id, ".meta");
	CLEANUP_FREE char *tmp = rl_path(store.dir, &s->id, ".meta.tmp");
	int r = 0;

	snap_close(s);
	if (!meta || !tmp)
		return -ENOMEM;
	if (unlink(meta) < 0 && errno != ENOENT)
		r = -errno;
	unlink(tmp);
	if (!r && s->path && unlink(s->path) < 0 && errno != ENOENT)
		r = -errno;
	rl_fsync_dir(store.dir);
	return r;
}

/* Drops the snapshots that are not CREATED, of set (or of every set but
 * keep when set is NULL); lock held. */
static void drop_unfinished(const vss_id_t *set, const vss_id_t *keep)
{
	char a[VSS_ID_STRLEN];

	for (struct snap **pp = &snaps; *pp;) {
		struct snap *s = *pp;

		if (s->status != VSS_SS_CREATED &&
		    (set ? vss_id_equal(&s->set_id, set) : !vss_id_equal(&s->set_id, keep))) {
			log_info("snapshot %s of %s discarded", fmt_id(&s->id, a), s->volume);
			snap_unlink(s);
			*pp = s->next;
			snap_free(s);
		} else {
			pp = &s->next;
		}
	}
}

static struct snap *snap_find(const vss_id_t *id)
{
	for (struct snap *s = snaps; s; s = s->next)
		if (vss_id_equal(&s->id, id))
			return s;
	return NULL;
}

static size_t count_volume(dev_t dev, ino_t ino)
{
	size_t n = 0;

	for (struct snap *s = snaps; s; s = s->next)
		n += s->img.dev == dev && s->img.ino == ino;
	return n;
}

/* ------------------------------------------------------------ calls */

static vss_hr_t is_volume_supported(vss_provider_t *p, const char *volume, bool *supported,
				    void *u)
{
	struct rl_image img;
	char why[512];

	*supported = rl_resolve(&store, volume, &img, why, sizeof(why)) == 0;
	if (*supported)
		log_debug("volume %s is supported (image %s)", volume, img.path);
	else
		log_debug("volume %s is not supported: %s", volume, why);
	rl_image_clear(&img);
	return S_OK;
}

static vss_hr_t begin_prepare(vss_provider_t *p, const vss_id_t *set, const vss_id_t *id,
			      const char *volume, int32_t context, void *u)
{
	char why[512], a[VSS_ID_STRLEN], b[VSS_ID_STRLEN];
	struct snap *s = calloc(1, sizeof(*s));
	vss_hr_t hr = S_OK;

	if (!s)
		return E_OUTOFMEMORY;
	s->src_fd = s->dst_fd = -1;
	if (rl_resolve(&store, volume, &s->img, why, sizeof(why)) < 0) {
		log_warn("BeginPrepareSnapshot: volume %s is not supported: %s", volume, why);
		snap_free(s);
		return VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER;
	}
	s->id = *id;
	s->set_id = *set;
	s->context = context;
	s->status = VSS_SS_PREPARING;
	s->volume = strdup(volume);
	s->path = rl_path(store.dir, id, ".img");
	if (!s->volume || !s->path) {
		snap_free(s);
		return E_OUTOFMEMORY;
	}
	pthread_mutex_lock(&lock);
	drop_unfinished(NULL, set);
	if (snap_find(id)) {
		log_warn("BeginPrepareSnapshot: snapshot %s already exists", fmt_id(id, a));
		hr = E_INVALIDARG;
	} else if (count_volume(s->img.dev, s->img.ino) >= VSS_MAX_SNAPSHOTS_PER_VOLUME) {
		log_warn("BeginPrepareSnapshot: %s already has %d snapshots", volume,
			 VSS_MAX_SNAPSHOTS_PER_VOLUME);
		hr = VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED;
	} else {
		s->next = snaps;
		snaps = s;
		log_info("snapshot %s of set %s: volume %s, image %s", fmt_id(id, a),
			 fmt_id(set, b), volume, s->img.path);
	}
	pthread_mutex_unlock(&lock);
	if (hr)
		snap_free(s);
	return hr;
}

/* The slow checks and preparations of one snapshot; lock held. */
static vss_hr_t prepare_one(struct snap *s)
{
	char why[512], a[VSS_ID_STRLEN];
	struct statvfs vfs;
	struct stat st;
	uint64_t avail;

	s->src_fd = open(s->img.path, O_RDONLY | O_CLOEXEC);
	if (s->src_fd < 0 || fstat(s->src_fd, &st) < 0) {
		log_err("snapshot %s: cannot open image %s: %m", fmt_id(&s->id, a), s->img.path);
		return VSS_E_PROVIDER_VETO;
	}
	if (st.st_dev != s->img.dev || st.st_ino != s->img.ino) {
		log_err("snapshot %s: image %s was replaced since the volume was added",
			fmt_id(&s->id, a), s->img.path);
		return VSS_E_PROVIDER_VETO;
	}
	if (rl_store_probe_image(&store, s->src_fd, why, sizeof(why)) < 0) {
		log_err("snapshot %s of %s: %s", fmt_id(&s->id, a), s->volume, why);
		return VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER;
	}
	/* Room for rewriting once every block the clone will share. */
	if (fstatvfs(s->src_fd, &vfs) < 0) {
		log_err("snapshot %s: statvfs %s: %m", fmt_id(&s->id, a), s->img.path);
		return VSS_E_PROVIDER_VETO;
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < (uint64_t)st.st_blocks * 512) {
		log_err("snapshot %s of %s: %llu MiB free in %s, the image holds %llu MiB: "
			"not enough room for the live volume to diverge from its clone",
			fmt_id(&s->id, a), s->volume, (unsigned long long)(avail >> 20), store.dir,
			(unsigned long long)((uint64_t)st.st_blocks * 512 >> 20));
		return VSS_E_INSUFFICIENT_STORAGE;
	}
	s->dst_fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->dst_fd < 0) {
		log_err("snapshot %s: cannot create %s: %m", fmt_id(&s->id, a), s->path);
		return VSS_E_PROVIDER_VETO;
	}
	s->status = VSS_SS_PREPARED;
	return S_OK;
}

static vss_hr_t end_prepare(vss_provider_t *p, const vss_id_t *set, void *u)
{
	vss_hr_t hr = S_OK;
	bool any = false;

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next) {
		if (!vss_id_equal(&s->set_id, set) || s->status != VSS_SS_PREPARING)
			continue;
		any = true;
		hr = prepare_one(s);
	}
	pthread_mutex_unlock(&lock);
	if (!any && hr == S_OK) {
		char a[VSS_ID_STRLEN];

		log_warn("EndPrepareSnapshots: no snapshot is being prepared in set %s",
			 fmt_id(set, a));
		hr = VSS_E_OBJECT_NOT_FOUND;
	}
	return hr;
}

/* Moves every snapshot of set from state from to state to; lock held.
 * Returns how many moved. */
static int set_state(const vss_id_t *set, VSS_SNAPSHOT_STATE from, VSS_SNAPSHOT_STATE to)
{
	int n = 0;

	for (struct snap *s = snaps; s; s = s->next)
		if (vss_id_equal(&s->set_id, set) && s->status == from) {
			s->status = to;
			n++;
		}
	return n;
}

static vss_hr_t step(const char *call, const vss_id_t *set, VSS_SNAPSHOT_STATE from,
		     VSS_SNAPSHOT_STATE to)
{
	char a[VSS_ID_STRLEN];
	int n;

	pthread_mutex_lock(&lock);
	n = set_state(set, from, to);
	pthread_mutex_unlock(&lock);
	if (n == 0) {
		log_warn("%s: set %s has no snapshot in the state before it", call,
			 fmt_id(set, a));
		return VSS_E_BAD_STATE;
	}
	return S_OK;
}

static vss_hr_t pre_commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return step("PreCommitSnapshots", set, VSS_SS_PREPARED, VSS_SS_PRECOMMITTED);
}

/* Inside the flush-and-hold window: the clones and nothing else. */
static vss_hr_t commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	vss_hr_t hr = S_OK;
	int n = 0;

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s; s = s->next) {
		uint64_t t0;

		if (!vss_id_equal(&s->set_id, set) || s->status != VSS_SS_PRECOMMITTED)
			continue;
		n++;
		t0 = mono_us();
		if (ioctl(s->dst_fd, FICLONE, s->src_fd) < 0) {
			s->commit_errno = errno;
			hr = VSS_E_PROVIDER_VETO;
			break;
		}
		s->commit_us = mono_us() - t0;
		s->created = vss_timestamp_now();
		s->status = VSS_SS_COMMITTED;
	}
	pthread_mutex_unlock(&lock);
	if (hr == S_OK && n == 0)
		hr = VSS_E_BAD_STATE;
	if (hr) {
		char a[VSS_ID_STRLEN];

		/* logged after the window: vssd releases the writes first */
		pthread_mutex_lock(&lock);
		for (struct snap *s = snaps; s; s = s->next)
			if (s->commit_errno && vss_id_equal(&s->set_id, set))
				log_err("snapshot %s of %s: cannot clone %s into %s: %s",
					fmt_id(&s->id, a), s->volume, s->img.path, s->path,
					strerror(s->commit_errno));
		pthread_mutex_unlock(&lock);
		if (n == 0)
			log_warn("CommitSnapshots: set %s has no pre-committed snapshot",
				 fmt_id(set, a));
	}
	return hr;
}

static vss_hr_t post_commit(vss_provider_t *p, const vss_id_t *set, int32_t count, void *u)
{
	char a[VSS_ID_STRLEN];
	vss_hr_t hr = S_OK;
	int n = 0;

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next) {
		if (!vss_id_equal(&s->set_id, set) || s->status != VSS_SS_COMMITTED)
			continue;
		n++;
		log_info("snapshot %s of %s: cloned %s to %s in %llu us", fmt_id(&s->id, a),
			 s->volume, s->img.path, s->path, (unsigned long long)s->commit_us);
		if (fsync(s->dst_fd) < 0) {
			log_err("snapshot %s: fsync %s: %m", fmt_id(&s->id, a), s->path);
			hr = VSS_E_PROVIDER_VETO;
		}
		s->count = count;
		s->status = VSS_SS_POSTCOMMITTED;
	}
	pthread_mutex_unlock(&lock);
	if (hr == S_OK && n == 0) {
		log_warn("PostCommitSnapshots: set %s has no committed snapshot", fmt_id(set, a));
		hr = VSS_E_BAD_STATE;
	}
	return hr;
}

static vss_hr_t pre_final(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return step("PreFinalCommitSnapshots", set, VSS_SS_POSTCOMMITTED,
		    VSS_SS_PREFINALCOMMITTED);
}

static vss_hr_t post_final(vss_provider_t *p, const vss_id_t *set, void *u)
{
	char a[VSS_ID_STRLEN];
	vss_hr_t hr = S_OK;
	int n = 0, r;

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next) {
		struct rl_meta m;

		if (!vss_id_equal(&s->set_id, set) || s->status != VSS_SS_PREFINALCOMMITTED)
			continue;
		n++;
		if (fchmod(s->dst_fd, 0400) < 0) {
			log_err("snapshot %s: chmod %s: %m", fmt_id(&s->id, a), s->path);
			hr = VSS_E_PROVIDER_VETO;
			break;
		}
		m = (struct rl_meta){ .id = s->id, .set_id = s->set_id, .count = s->count,
				      .attributes = s->context, .created = s->created,
				      .volume = s->volume, .image = s->img.path };
		r = rl_meta_write(store.dir, &m);
		if (r < 0) {
			log_err("snapshot %s: cannot write its metadata in %s: %s",
				fmt_id(&s->id, a), store.dir, strerror(-r));
			hr = VSS_E_PROVIDER_VETO;
			break;
		}
		snap_close(s);
		s->status = VSS_SS_CREATED;
		log_info("snapshot %s of %s created: %s", fmt_id(&s->id, a), s->volume, s->path);
	}
	pthread_mutex_unlock(&lock);
	if (hr == S_OK && n == 0) {
		log_warn("PostFinalCommitSnapshots: set %s has no snapshot ready", fmt_id(set, a));
		hr = VSS_E_BAD_STATE;
	}
	return hr;
}

static vss_hr_t abort_snapshots(vss_provider_t *p, const vss_id_t *set, void *u)
{
	pthread_mutex_lock(&lock);
	drop_unfinished(set, NULL);
	pthread_mutex_unlock(&lock);
	return S_OK;
}

static void fill_prop(const struct snap *s, vss_snapshot_prop_t *out)
{
	memset(out, 0, sizeof(*out));
	out->snapshot_id = s->id;
	out->snapshot_set_id = s->set_id;
	out->snapshots_count = s->count;
	out->snapshot_device_object = s->path;
	out->original_volume_name = s->volume;
	out->provider_id = provider_id;
	out->snapshot_attributes = s->context;
	out->creation_timestamp = s->created;
	out->status = s->status;
}

static vss_hr_t get_properties(vss_provider_t *p, const vss_id_t *id, vss_snapshot_prop_t *out,
			       void *u)
{
	vss_hr_t hr = VSS_E_OBJECT_NOT_FOUND;
	struct snap *s;

	pthread_mutex_lock(&lock);
	s = snap_find(id);
	if (s && s->status != VSS_SS_PREPARING) {
		fill_prop(s, out);
		out->snapshot_device_object = strdup(s->path);
		out->original_volume_name = strdup(s->volume);
		if (!out->snapshot_device_object || !out->original_volume_name) {
			vss_snapshot_prop_clear(out);
			hr = E_OUTOFMEMORY;
		} else {
			hr = S_OK;
		}
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

static vss_hr_t delete_snapshots(vss_provider_t *p, const vss_id_t *src, VSS_OBJECT_TYPE type,
				 bool force, int32_t *deleted, vss_id_t *nondeleted, void *u)
{
	char a[VSS_ID_STRLEN];
	vss_hr_t hr = S_OK;

	*deleted = 0;
	if (type != VSS_OBJECT_SNAPSHOT && type != VSS_OBJECT_SNAPSHOT_SET)
		return E_INVALIDARG;
	pthread_mutex_lock(&lock);
	for (struct snap **pp = &snaps; *pp;) {
		struct snap *s = *pp;
		int r;

		if (s->status != VSS_SS_CREATED ||
		    !vss_id_equal(type == VSS_OBJECT_SNAPSHOT ? &s->id : &s->set_id, src)) {
			pp = &s->next;
			continue;
		}
		r = snap_unlink(s);
		if (r < 0) {
			log_err("cannot delete snapshot %s (%s): %s", fmt_id(&s->id, a), s->path,
				strerror(-r));
			*nondeleted = s->id;
			hr = VSS_E_PROVIDER_VETO;
			break;
		}
		log_info("snapshot %s of %s deleted", fmt_id(&s->id, a), s->volume);
		(*deleted)++;
		*pp = s->next;
		snap_free(s);
	}
	pthread_mutex_unlock(&lock);
	if (hr == S_OK && *deleted == 0)
		hr = VSS_E_OBJECT_NOT_FOUND;
	return hr;
}

static vss_hr_t query(vss_provider_t *p, vss_provider_query_t *q, void *u)
{
	vss_hr_t hr = S_OK;

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next) {
		vss_snapshot_prop_t prop;

		if (s->status != VSS_SS_CREATED)
			continue;
		fill_prop(s, &prop);
		hr = vss_provider_query_add(q, &prop);
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

/* vssd went away: it will not finish or abort the set under way (a new
 * vssd starts from its catalog), so what that set made is removed now. */
static void on_disconnect(vss_provider_t *p, vss_hr_t hr, void *u)
{
	pthread_mutex_lock(&lock);
	drop_unfinished(NULL, &VSS_ID_NULL);
	pthread_mutex_unlock(&lock);
}

static const struct vss_provider_ops ops = {
	.struct_size = sizeof(struct vss_provider_ops),
	.is_volume_supported = is_volume_supported,
	.begin_prepare_snapshot = begin_prepare,
	.end_prepare_snapshots = end_prepare,
	.pre_commit = pre_commit,
	.commit = commit,
	.post_commit = post_commit,
	.pre_final_commit = pre_final,
	.post_final_commit = post_final,
	.abort_snapshots = abort_snapshots,
	.get_snapshot_properties = get_properties,
	.delete_snapshots = delete_snapshots,
	.query = query,
	.on_disconnect = on_disconnect,
};

/* ------------------------------------------------------------ store */

static bool id_name(const char *name, const char *suffix, vss_id_t *id)
{
	size_t n = strlen(name), k = strlen(suffix);
	char buf[VSS_ID_STRLEN];

	if (n != VSS_ID_STRLEN - 1 + k || strcmp(name + n - k, suffix) != 0)
		return false;
	memcpy(buf, name, VSS_ID_STRLEN - 1);
	buf[VSS_ID_STRLEN - 1] = '\0';
	return vss_id_parse(buf, id) == 0 && buf[0] == '{';
}

/* Loads the snapshots of the store and removes what unfinished sets left. */
static int load_store(void)
{
	DIR *d = opendir(store.dir);
	struct dirent *e;
	char a[VSS_ID_STRLEN];
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		CLEANUP_FREE char *path = NULL;
		struct rl_meta m;
		struct snap *s;
		struct stat st;
		vss_id_t id;

		if (id_name(e->d_name, ".meta.tmp", &id)) {
			path = rl_path(store.dir, &id, ".meta.tmp");
			if (path && unlink(path) == 0)
				log_info("removed %s, left by an interrupted write", path);
			continue;
		}
		if (!id_name(e->d_name, ".meta", &id))
			continue;
		path = rl_path(store.dir, &id, ".meta");
		if (!path)
			return -ENOMEM;
		if (rl_meta_read(path, &m) < 0 || !vss_id_equal(&m.id, &id)) {
			log_warn("%s is malformed: snapshot not listed, its files are kept", path);
			rl_meta_clear(&m);
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			rl_meta_clear(&m);
			closedir(d);
			return -ENOMEM;
		}
		s->src_fd = s->dst_fd = -1;
		s->id = m.id;
		s->set_id = m.set_id;
		s->count = m.count;
		s->context = m.attributes;
		s->created = m.created;
		s->volume = m.volume;
		s->img.path = m.image;
		s->path = rl_path(store.dir, &id, ".img");
		s->status = VSS_SS_CREATED;
		if (!s->path || stat(s->path, &st) < 0) {
			log_warn("snapshot %s: its clone %s is gone: dropped", fmt_id(&id, a),
				 s->path ? s->path : "?");
			snap_unlink(s);
			snap_free(s);
			continue;
		}
		if (stat(s->img.path, &st) == 0) {	/* for the per-volume limit */
			s->img.dev = st.st_dev;
			s->img.ino = st.st_ino;
		}
		s->next = snaps;
		snaps = s;
		n++;
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		CLEANUP_FREE char *path = NULL;
		vss_id_t id;

		CLEANUP_FREE char *meta = NULL;

		if (!id_name(e->d_name, ".img", &id) || snap_find(&id))
			continue;
		/* a clone whose metadata is damaged is kept for a human to look at */
		meta = rl_path(store.dir, &id, ".meta");
		if (!meta || access(meta, F_OK) == 0)
			continue;
		path = rl_path(store.dir, &id, ".img");
		if (path && unlink(path) == 0)
			log_info("removed %s, left by a snapshot set that did not finish", path);
	}
	closedir(d);
	rl_fsync_dir(store.dir);
	return n;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vss-reflinkd [options]\n"
		"\n"
		"The openvss reflink provider: snapshots of image files, and of the loop\n"
		"devices they back, as reflink clones (xfs with reflink, btrfs).\n"
		"\n"
		"Options:\n"
		"  -S, --store DIR      keep the clones in DIR, on the images' filesystem\n"
		"                       (default %s)\n"
		"  -s, --socket PATH    the socket of vssd (default $VSS_SOCKET or\n"
		"                       /run/vss/vssd.sock)\n"
		"  -f, --foreground     do not detach; log to stderr; print \"ready\" once\n"
		"                       registered\n"
		"  -v, --verbose        log debug messages (also VSS_DEBUG=1)\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n",
		DEFAULT_STORE);
}

/* Detaches.  The parent stays until the child reports on the pipe: a NUL
 * byte once registered (exit 0), else the error message (printed, exit 1).
 * Returns the write end in the child. */
static int detach(void)
{
	int fds[2], devnull;
	char msg[600];
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(fds[1]);
		n = read(fds[0], msg, sizeof(msg) - 1);
		if (n == 1 && msg[0] == '\0')
			_exit(0);
		msg[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "vss-reflinkd: %s\n", n > 0 ? msg : "the daemon died at start");
		_exit(1);
	}
	close(fds[0]);
	setsid();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}
	return fds[1];
}

static bool term_received(const sigset_t *sigs, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	return sigtimedwait(sigs, NULL, &ts) > 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *store_dir = DEFAULT_STORE, *socket_path = NULL;
	bool foreground = false, up = false, said_down = false;
	vss_provider_t *p = NULL;
	int c, verbose = 0, report = -1, rc = 0, r;
	char why[512];
	sigset_t sigs;

	while ((c = getopt_long(argc, argv, "S:s:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': store_dir = optarg; break;
		case 's': socket_path = optarg; break;
		case 'f': foreground = true; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vss-reflinkd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("vss-reflinkd", foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, verbose);
	if (rl_store_open(store_dir, &store, why, sizeof(why)) < 0) {
		log_err("%s", why);
		if (!foreground)
			fprintf(stderr, "vss-reflinkd: %s\n", why);
		return 1;
	}
	r = load_store();
	if (r < 0) {
		log_err("cannot read the store %s: %s", store.dir, strerror(-r));
		return 1;
	}
	log_info("store %s: %d snapshot%s", store.dir, r, r == 1 ? "" : "s");

	if (!foreground) {
		report = detach();
		if (report < 0) {
			log_err("cannot detach: %s", strerror(-report));
			return 1;
		}
	}
	/* before any library thread exists, so that they inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (vss_provider_new(&ops, NULL, &p) || vss_provider_set_socket(p, socket_path) ||
	    vss_provider_register(p, &provider_id, PROVIDER_NAME, VSS_PROV_SOFTWARE,
				  PACKAGE_VERSION, NULL)) {
		snprintf(why, sizeof(why), "cannot register with vssd: %s", vss_last_error());
		log_err("%s", why);
		if (report >= 0 && write(report, why, strlen(why)) < 0)
			log_warn("cannot report to the parent: %m");
		rc = 1;
		goto out;
	}
	up = true;
	log_info("registered as '%s' {3bc0b176-e092-4800-a575-ebc6db4b988f}", PROVIDER_NAME);
	if (report >= 0) {
		c = 0;
		if (write(report, &c, 1) < 0)
			log_warn("cannot report to the parent: %m");
		close(report);
		report = -1;
	}
	if (foreground) {
		printf("ready\n");
		fflush(stdout);
	}
	/* Serve until SIGTERM/SIGINT; after a lost connection, register again
	 * every second (vssd restarts reconcile its catalog with Query). */
	for (;;) {
		if (term_received(&sigs, up ? 200 : 1000))
			break;
		if (up && vss_provider_wait(p, 0) != VSS_E_PROVIDER_NOT_REGISTERED)
			continue;
		if (up || !said_down) {
			log_warn("lost vssd (%s); registering again every second",
				 vss_last_error());
			said_down = true;
		}
		up = VSS_SUCCEEDED(vss_provider_register(p, &provider_id, PROVIDER_NAME,
							 VSS_PROV_SOFTWARE, PACKAGE_VERSION,
							 NULL));
		if (up) {
			log_info("registered with vssd again");
			said_down = false;
		}
	}
	log_info("stopping");
out:
	if (report >= 0)
		close(report);
	vss_provider_free(p);
	pthread_mutex_lock(&lock);
	while (snaps) {
		struct snap *s = snaps;

		snaps = s->next;
		if (s->status != VSS_SS_CREATED)
			snap_unlink(s);
		snap_free(s);
	}
	pthread_mutex_unlock(&lock);
	free(store.dir);
	return rc;
}
