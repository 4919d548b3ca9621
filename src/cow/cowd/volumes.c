/* volumes.c — the volume table of vss-cowd: adding, opening, removing
 * volumes; exposing and destroying snapshots; the diff-area overflow
 * queue.  Locking rules in cowd.h. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/mountinfo.h"
#include "cow/cowd/cowd.h"
#include "cow/cowd/record.h"

pthread_mutex_t tbl_lock = PTHREAD_MUTEX_INITIALIZER;
struct cvol *volumes;
struct cnode *nodes;
struct cnode *dead_nodes;

int fail(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return r;
}

struct cvol *vol_find(const char *name)
{
	for (struct cvol *v = volumes; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

struct cvol *vol_find_dev(dev_t rdev)
{
	for (struct cvol *v = volumes; v; v = v->next)
		if (v->live && v->live->loopdev[0] && v->live->loop_rdev == rdev)
			return v;
	return NULL;
}

void vol_put(struct cvol *v)
{
	if (!v || --v->refs > 0)
		return;
	pthread_rwlock_destroy(&v->io_lock);
	free(v->backing);
	free(v->diff);
	free(v->storage);
	free(v->warning);
	free(v);
}

void node_put(struct cnode *n)
{
	if (!n || --n->refs > 0)
		return;
	for (struct cnode **pp = n->dead ? &dead_nodes : &nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	vol_put(n->vol);
	free(n);
}

void nodes_drop_opens(void)
{
	struct cnode *n;

	for (;;) {
		for (n = dead_nodes; n && !n->opens; n = n->next)
			;
		if (!n)
			for (n = nodes; n && !n->opens; n = n->next)
				;
		if (!n)
			return;
		n->opens--;
		node_put(n);
	}
}

struct cnode *node_find_ino(uint64_t ino)
{
	for (struct cnode *n = nodes; n; n = n->next)
		if (n->ino == ino && !n->dead)
			return n;
	return NULL;
}

struct cnode *node_find_name(const char *name)
{
	for (struct cnode *n = nodes; n; n = n->next)
		if (strcmp(n->name, name) == 0 && !n->dead)
			return n;
	return NULL;
}

/* tbl_lock */
static struct cnode *node_new(struct cvol *v, const char *name, uint64_t snap, bool ro)
{
	struct cnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->ino = fuse_next_ino();
	n->refs = 1;
	n->ro = ro;
	n->vol = v;
	v->refs++;
	n->snap = snap;
	n->loop_fd = -1;
	n->next = nodes;
	nodes = n;
	return n;
}

/* Detaches the loop device and takes the file out of the export dir. */
static void node_remove(struct cnode *n)
{
	int fd;
	char dev[32], name[sizeof(n->name)];

	pthread_mutex_lock(&tbl_lock);
	fd = n->loop_fd;
	snprintf(dev, sizeof(dev), "%s", n->loopdev);
	n->loop_fd = -1;
	n->loopdev[0] = '\0';
	pthread_mutex_unlock(&tbl_lock);
	loop_detach(fd, dev);
	pthread_mutex_lock(&tbl_lock);
	for (struct cnode **pp = &nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	n->dead = true;
	n->next = dead_nodes;
	dead_nodes = n;
	snprintf(name, sizeof(name), "%s", n->name);
	node_put(n);
	pthread_mutex_unlock(&tbl_lock);
	fuse_forget_name(name);
}

/* Attaches a loop device to the node's file (no lock held). */
static int node_attach(struct cnode *n)
{
	char path[PATH_MAX], dev[32];
	dev_t rdev;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", cfg.export_dir, n->name);
	r = loop_attach(path, n->ro, dev, sizeof(dev), &rdev, &fd);
	if (r)
		return r;
	pthread_mutex_lock(&tbl_lock);
	snprintf(n->loopdev, sizeof(n->loopdev), "%s", dev);
	n->loop_rdev = rdev;
	n->loop_fd = fd;
	pthread_mutex_unlock(&tbl_lock);
	return 0;
}

int umount_own(const char *path, int flags)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* only async-signal-safe calls here; the result leaves by an
		 * exec, not by exit: under valgrind an exit would leak-check a
		 * copy of the daemon whose other threads do not exist here */
		int e = umount2(path, flags) == 0 ? 0 : errno & 0xff;
		char cmd[16] = "exit ", *p = cmd + 5;

		if (e >= 100)
			*p++ = (char)('0' + e / 100);
		if (e >= 10)
			*p++ = (char)('0' + e / 10 % 10);
		*p++ = (char)('0' + e % 10);
		*p = '\0';
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(e);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status)) {
		errno = EIO;
		return -1;
	}
	if (WEXITSTATUS(status)) {
		errno = WEXITSTATUS(status);
		return -1;
	}
	return 0;
}

bool dev_in_use(const char *dev)
{
	int fd;

	if (!dev || !*dev)
		return false;
	fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

int stop_check(bool force, char *err, size_t errlen)
{
	char list[512] = "";
	FILE *f = fmemopen(list, sizeof(list), "w");

	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next) {
		if (v->live && dev_in_use(v->live->loopdev))
			fprintf(f, "%s%s (%s)", ftell(f) ? ", " : "", v->live->loopdev, v->name);
		/* an exposure mounted by vss-cowd is unmounted at stop and
		 * mounted again at start; any other user of a snapshot counts */
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (!s->mnt && s->node && dev_in_use(s->node->loopdev))
				fprintf(f, "%s%s (a snapshot of %s)", ftell(f) ? ", " : "",
					s->node->loopdev, v->name);
	}
	pthread_mutex_unlock(&tbl_lock);
	fclose(f);
	err[0] = '\0';
	if (!list[0])
		return 0;
	if (force) {
		log_warn("stopping while in use: %s: detached lazily, their users get I/O errors",
			 list);
		return 0;
	}
	snprintf(err, errlen, "in use: %s; unmount first, or stop --detach", list);
	return -EADDRINUSE;
}

/* The filesystem path is on, from /proc/self/mountinfo: the device
 * number it reports and, when its source is a block device, that device
 * (st_dev alone misses filesystems such as btrfs that report an
 * anonymous one).  0 when unknown. */
static void mount_devs(const char *path, dev_t *mdev, dev_t *src)
{
	char real[PATH_MAX];
	struct mountinfo *m = malloc(sizeof(*m));

	*mdev = *src = 0;
	if (m && realpath(path, real) && mountinfo_holding(real, m) == 0) {
		*mdev = m->dev;
		*src = mountinfo_source_rdev(m);
	}
	free(m);
}

/* What path (or its directory, when it does not exist) is on: its st_dev,
 * itself when it is a block device, mountinfo's device and source of its
 * filesystem (0: none).  -1 when neither exists. */
static int path_devs(const char *path, struct stat *st, dev_t d[4])
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(path, st) < 0) {
		slash = strrchr(dir, '/');
		if (!slash)
			return -1;
		*slash = '\0';
		if (!*dir)
			snprintf(dir, sizeof(dir), "/");
		if (stat(dir, st) < 0)
			return -1;
	}
	d[0] = st->st_dev;
	d[1] = S_ISBLK(st->st_mode) ? st->st_rdev : 0;
	mount_devs(dir, &d[2], &d[3]);
	return 0;
}

/* Whether path (or, when it does not exist yet, its directory) lives on
 * a volume this daemon serves (a live volume, a snapshot, or the backing
 * of a volume), or in the export dir.  The path's filesystem is known by
 * its st_dev and by mountinfo's device and source for it; it is on a
 * served volume when that device is, or is made of (a partition of, a
 * device-mapper device over, a loop device over: fileid.c), one of our
 * loop devices, a file of the export dir, or something a backing is or is
 * part of. */
bool path_on_served_volume(const char *path)
{
	struct stat st, ex;
	struct fileid *f[4] = { NULL };
	dev_t d[4];
	bool on = false, have_ex;

	if (path_devs(path, &st, d) < 0)
		return false;
	have_ex = stat(cfg.export_dir, &ex) == 0;
	if (have_ex && st.st_dev == ex.st_dev)
		return true;
	for (int i = 0; i < 4; i++)
		f[i] = d[i] ? fileid_of_dev(d[i]) : NULL;
	pthread_mutex_lock(&tbl_lock);
	for (int i = 0; i < 4 && !on; i++) {
		if (!f[i])
			continue;
		for (unsigned k = 0; have_ex && k < f[i]->n && !on; k++)
			if (!f[i]->id[k].blk && f[i]->id[k].dev == ex.st_dev)
				on = true;
		for (struct cnode *n = nodes; n && !on; n = n->next)
			if (n->loopdev[0] && fileid_has(f[i], true, n->loop_rdev, 0))
				on = true;
		for (struct cvol *v = volumes; v && !on; v = v->next)
			if (fileid_overlap(f[i], v->id[COW_ORIGIN]) != FILEID_APART)
				on = true;
	}
	pthread_mutex_unlock(&tbl_lock);
	for (int i = 0; i < 4; i++)
		fileid_free(f[i]);
	return on;
}

/* ---- the diff-area overflow queue ---- */
struct lost {
	struct lost *next;
	char volume[COWD_NAME_MAX + 1];
	vss_id_t id;
	const char *why;		/* for vssd and the log */
};
static pthread_mutex_t ovf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lost *lost_queue;
static int ovf_efd = -1;

int overflow_fd(void)
{
	if (ovf_efd < 0)
		ovf_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return ovf_efd;
}

static void lost_push(const char *volume, const vss_id_t *id, const char *why)
{
	struct lost *l = calloc(1, sizeof(*l));
	uint64_t one = 1;

	if (!l)
		return;
	snprintf(l->volume, sizeof(l->volume), "%s", volume);
	l->id = *id;
	l->why = why;
	pthread_mutex_lock(&ovf_lock);
	l->next = lost_queue;
	lost_queue = l;
	pthread_mutex_unlock(&ovf_lock);
	if (write(overflow_fd(), &one, sizeof(one)) < 0)
		(void)0;
}

/* Engine locks held: queue only. */
void overflow_cb(void *arg, uint64_t id, const uint8_t *tag)
{
	struct cvol *v = arg;
	vss_id_t sid;

	memcpy(sid.b, tag, sizeof(sid.b));
	lost_push(v->name, &sid, "the diff area is full");
}

void overflow_drain(vss_provider_t *p)
{
	struct lost *l, *next;
	uint64_t cnt;
	char a[VSS_ID_STRLEN];

	if (read(overflow_fd(), &cnt, sizeof(cnt)) < 0)
		(void)0;
	pthread_mutex_lock(&ovf_lock);
	l = lost_queue;
	lost_queue = NULL;
	pthread_mutex_unlock(&ovf_lock);
	for (; l; l = next) {
		struct csnap *s = NULL;
		struct cvol *v;

		next = l->next;
		pthread_mutex_lock(&mgmt_lock);
		pthread_mutex_lock(&tbl_lock);
		v = vol_find(l->volume);
		for (struct csnap **pp = v ? &v->snaps : NULL; pp && *pp; pp = &(*pp)->next)
			if (vss_id_equal(&(*pp)->prop.snapshot_id, &l->id)) {
				s = *pp;
				*pp = s->next;
				break;
			}
		pthread_mutex_unlock(&tbl_lock);
		if (s) {
			log_warn("volume %s: snapshot %s deleted: %s", l->volume,
				 vss_id_format(&l->id, a), l->why);
			/* its file system is gone from under the mount */
			if (s->mnt && umount_own(s->mnt, 0) < 0 && errno == EBUSY)
				umount_own(s->mnt, MNT_DETACH);
			snap_unexpose(s);
			reg_remove_snapshot(&s->prop.snapshot_id);
			vss_snapshot_prop_clear(&s->prop);
			free(s->mnt);
			free(s);
		}
		pthread_mutex_unlock(&mgmt_lock);
		if (p && vss_provider_notify_snapshot_lost(p, &l->id, l->why))
			log_warn("cannot tell vssd: %s", vss_last_error());
		free(l);
	}
}

/* ---- snapshots ---- */
int snap_expose(struct cvol *v, struct csnap *s)
{
	char name[COWD_NAME_MAX + 48], a[VSS_ID_STRLEN];
	struct cnode *n;
	int r;

	snprintf(name, sizeof(name), "%s@%s", v->name, vss_id_format(&s->prop.snapshot_id, a));
	pthread_mutex_lock(&tbl_lock);
	n = node_new(v, name, s->engine_id, true);
	s->node = n;
	pthread_mutex_unlock(&tbl_lock);
	if (!n)
		return -ENOMEM;
	r = node_attach(n);
	if (r)
		log_err("snapshot %s: cannot attach a loop device: %s", a, strerror(-r));
	else
		log_info("snapshot %s of volume %s exposed as %s", a, v->name, n->loopdev);
	return r;
}

void snap_unexpose(struct csnap *s)
{
	struct cnode *n = s->node;

	s->node = NULL;
	if (n)
		node_remove(n);
}

int snap_destroy(struct cvol *v, struct csnap *s)
{
	int r = 0;

	snap_unexpose(s);
	if (s->engine_id) {
		pthread_rwlock_rdlock(&v->io_lock);
		r = v->cow ? cow_snapshot_delete(v->cow, s->engine_id) : -EIO;
		pthread_rwlock_unlock(&v->io_lock);
	}
	if (s->prop.status == VSS_SS_CREATED) {
		int e = reg_remove_snapshot(&s->prop.snapshot_id);
		char a[VSS_ID_STRLEN];

		if (e && e != -ENOENT)
			log_err("snapshot %s: cannot remove its record: %s (it is dropped at the "
				"next start)", vss_id_format(&s->prop.snapshot_id, a),
				strerror(-e));
	}
	vss_snapshot_prop_clear(&s->prop);
	free(s->mnt);
	free(s);
	return r == -ENOENT ? 0 : r;
}

/* ---- volumes ---- */
/* Reopens the engine's snapshots of a volume that have a record.  A
 * non-persistent (auto-release) snapshot lives only as long as the session
 * that made it, and that session cannot outlive this daemon (its snapshot
 * device went away with us): it is deleted here, before anything is
 * served, whether or not vssd is there to ask for it. */
static void load_snapshots(struct cvol *v)
{
	struct cow_snapshot_info *info = calloc(COW_MAX_SNAPSHOTS, sizeof(*info));
	int n = info ? cow_snapshot_list(v->cow, info, COW_MAX_SNAPSHOTS) : -ENOMEM;
	char a[VSS_ID_STRLEN];

	for (int i = 0; i < n && i < (int)COW_MAX_SNAPSHOTS; i++) {
		char volname[COWD_NAME_MAX + 1];
		struct csnap *s = calloc(1, sizeof(*s));
		vss_id_t id;
		int r;

		memcpy(id.b, info[i].tag, sizeof(id.b));
		if (!s)
			break;
		r = reg_load_snapshot(&id, volname, sizeof(volname), &s->prop);
		if (r == -ENOENT) {
			log_warn("volume %s: snapshot %s was never completed: deleted", v->name,
				 vss_id_format(&id, a));
			cow_snapshot_delete(v->cow, info[i].id);
			free(s);
			continue;
		}
		/* A record there but damaged is not a snapshot never made:
		 * its data stays (a repaired record serves it again) */
		if (r || strcmp(volname, v->name) != 0) {
			log_err("volume %s: snapshot %s is kept in the diff area but not served: "
				"its record is unreadable or names another volume (repair it, "
				"or remove it to have the snapshot deleted at the next start)",
				v->name, vss_id_format(&id, a));
			vss_snapshot_prop_clear(&s->prop);
			free(s);
			continue;
		}
		if (!(s->prop.snapshot_attributes & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE)) {
			r = cow_snapshot_delete(v->cow, info[i].id);
			if (r == 0 || r == -ENOENT) {
				log_info("volume %s: auto-release snapshot %s outlived its session: "
					 "deleted", v->name, vss_id_format(&id, a));
				reg_remove_snapshot(&id);
				vss_snapshot_prop_clear(&s->prop);
				free(s);
				continue;
			}
			/* kept (and served) rather than lost half-deleted */
			log_err("volume %s: auto-release snapshot %s: cannot delete it: %s",
				v->name, vss_id_format(&id, a), strerror(-r));
		}
		s->engine_id = info[i].id;
		s->prop.status = VSS_SS_CREATED;
		s->prop.provider_id = cowd_provider_id;
		pthread_mutex_lock(&tbl_lock);
		s->next = v->snaps;
		v->snaps = s;
		pthread_mutex_unlock(&tbl_lock);
		snap_expose(v, s);
	}
	free(info);
}

/* Opens a volume, serves it and attaches its loop device.  fd: the
 * backing and the diff area, open and locked (file_lock); the engine opens
 * them through these, whatever their names name now, and the volume keeps
 * them (closed here on failure). */
static int vol_open(const char *name, const char *backing, const char *diff, int fd[2],
		    uint32_t chunk, uint64_t maxsize, bool explicit_storage, struct cvol **out)
{
	char bpath[32], dpath[32];
	struct cow_volume *cow;
	struct cow_stats st;
	struct cvol *v;
	struct cnode *n;
	int r;

	r = cow_volume_open(fd_path(fd[COW_ORIGIN], bpath, sizeof(bpath)),
			    fd_path(fd[COW_DIFF], dpath, sizeof(dpath)), 0, &cow);
	if (r) {
		close(fd[COW_ORIGIN]);
		close(fd[COW_DIFF]);
		return r;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->backing = strdup(backing)) || !(v->diff = strdup(diff)) ||
	    !(v->storage = storage_of(diff)) ||
	    !(v->id[COW_ORIGIN] = fileid_of_fd(fd[COW_ORIGIN], backing)) ||
	    !(v->id[COW_DIFF] = fileid_of_fd(fd[COW_DIFF], diff))) {
		if (v) {
			free(v->backing);
			free(v->diff);
			free(v->storage);
			fileid_free(v->id[COW_ORIGIN]);
		}
		free(v);
		cow_volume_close(cow);
		close(fd[COW_ORIGIN]);
		close(fd[COW_DIFF]);
		return -ENOMEM;
	}
	v->lock_fd[COW_ORIGIN] = fd[COW_ORIGIN];
	v->lock_fd[COW_DIFF] = fd[COW_DIFF];
	/* the record holds the maximum last asked for: it is written before
	 * the engine is told, so a crash in between is finished here */
	cow_stats(cow, &st);
	if (maxsize && maxsize != st.diff_bytes_max) {
		r = cow_set_diff_max(cow, maxsize);
		if (r)
			log_warn("volume %s: cannot set the diff area's maximum to %" PRIu64
				 ": %s", name, maxsize, strerror(-r));
		cow_stats(cow, &st);
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->refs = 1;
	v->chunk = st.chunk_size;
	v->size = st.origin_size;
	v->maxsize = st.diff_bytes_max;
	v->explicit_storage = explicit_storage;
	pthread_rwlock_init(&v->io_lock, NULL);
	v->cow = cow;
	cow_set_overflow_cb(cow, overflow_cb, v);
	(void)chunk;
	pthread_mutex_lock(&tbl_lock);
	n = node_new(v, name, 0, false);
	v->live = n;
	v->next = volumes;
	volumes = v;
	pthread_mutex_unlock(&tbl_lock);
	r = n ? node_attach(n) : -ENOMEM;
	if (r) {
		log_err("volume %s: cannot attach a loop device: %s", name, strerror(-r));
		*out = v;
		return r;
	}
	log_info("volume %s (%s, %" PRIu64 " bytes, chunk %" PRIu32 ") served as %s", name,
		 backing, v->size, v->chunk, n->loopdev);
	load_snapshots(v);
	mgmt_volume_opened(v);
	*out = v;
	return 0;
}

/* Takes v out of the table and closes it: loop devices, files, engine. */
static void vol_close(struct cvol *v)
{
	struct csnap *s;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol **pp = &volumes; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	pthread_mutex_unlock(&tbl_lock);
	for (s = v->snaps; s; s = s->next)
		snap_unexpose(s);
	if (v->live)
		node_remove(v->live);
	v->live = NULL;
	pthread_rwlock_wrlock(&v->io_lock);
	cow_volume_close(v->cow);
	v->cow = NULL;
	pthread_rwlock_unlock(&v->io_lock);
	/* the locks go with the engine's descriptors (v is out of the table:
	 * nobody compares with its files any more) */
	for (int i = 0; i < 2; i++) {
		if (v->lock_fd[i] >= 0)
			close(v->lock_fd[i]);
		v->lock_fd[i] = -1;
		fileid_free(v->id[i]);
		v->id[i] = NULL;
	}
	while ((s = v->snaps)) {
		v->snaps = s->next;
		vss_snapshot_prop_clear(&s->prop);
		free(s->mnt);
		free(s);
	}
	pthread_mutex_lock(&tbl_lock);
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
}

struct cunavail *unavailable;

static void unavail_add(const char *name, const char *backing, const char *diff,
			const char *why)
{
	struct cunavail *u = calloc(1, sizeof(*u));

	if (!u || !(u->name = strdup(name)) || !(u->backing = strdup(backing)) ||
	    !(u->diff = strdup(diff))) {
		if (u) {
			free(u->name);
			free(u->backing);
		}
		free(u);
		return;	/* only the listing misses it */
	}
	snprintf(u->why, sizeof(u->why), "%s", why);
	pthread_mutex_lock(&tbl_lock);
	u->next = unavailable;
	unavailable = u;
	pthread_mutex_unlock(&tbl_lock);
}

/* tbl_lock */
static struct cunavail **unavail_find(const char *name)
{
	struct cunavail **pp = &unavailable;

	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

static void unavail_free(struct cunavail *u)
{
	free(u->name);
	free(u->backing);
	free(u->diff);
	free(u);
}

/* The record of snapshot id goes if it is of volume arg. */
static void drop_record_of(const vss_id_t *id, void *arg)
{
	char volname[COWD_NAME_MAX + 1];
	vss_snapshot_prop_t prop = { 0 };

	if (reg_load_snapshot(id, volname, sizeof(volname), &prop) == 0 &&
	    !strcmp(volname, arg))
		reg_remove_snapshot(id);
}

/* The records of a volume, in the order a removal takes them: that of a
 * revert it could not resume, then the volume's (0 when there is none).
 * 0, or -errno of the one that would not go (the rest stays). */
static int remove_records(const char *name)
{
	int r = reg_remove_revert(name);

	if (r == 0 || r == -ENOENT)
		r = reg_remove_volume(name);
	return r == -ENOENT ? 0 : r;
}

/* Removes the record of a volume that could not be opened, and those of
 * its snapshots and of an interrupted revert (forced only: its diff area
 * may hold snapshots that a repair could save); its backing and diff area
 * stay as they are.
 * -ENOENT: no such volume. */
static int unavail_remove(const char *name, bool force, char *err, size_t errlen)
{
	struct cunavail **pp, *u;
	int r = 0;

	pthread_mutex_lock(&tbl_lock);
	pp = unavail_find(name);
	u = *pp;
	if (u && force)
		*pp = u->next;
	else if (u)
		r = fail(err, errlen, -EBUSY,
			 "volume %s could not be opened (%s): --force removes its record, "
			 "leaving its backing and diff area as they are", name, u->why);
	pthread_mutex_unlock(&tbl_lock);
	if (!u)
		return -ENOENT;
	if (r)
		return r;
	/* the revert record (of a revert it can no longer resume) and the
	 * volume's first: one that cannot go refuses, and the volume stays
	 * listed; those of its snapshots, if they stay, go at the next start */
	r = remove_records(name);
	if (r) {
		fail(err, errlen, r, "volume %s not forgotten: cannot remove its record in %s: %s",
		     name, cfg.state_dir, strerror(-r));
		log_err("%s", err);
		pthread_mutex_lock(&tbl_lock);
		u->next = unavailable;
		unavailable = u;
		pthread_mutex_unlock(&tbl_lock);
		return r;
	}
	reg_for_each_snapshot(drop_record_of, (void *)name);
	if (u->backing[0])
		log_info("volume %s: record removed (it could not be opened: %s); %s and %s "
			 "are left as they are", name, u->why, u->backing, u->diff);
	else
		log_info("volume %s: record removed (%s); its backing and diff area are "
			 "left as they are", name, u->why);
	unavail_free(u);
	return 0;
}

/* A file of a registered volume (vol_files_check). */
struct regfile {
	char vol[COWD_NAME_MAX + 1];
	bool unavailable;
	enum cow_file which;
	char *path;			/* as registered */
	struct fileid *opened;		/* what the daemon has open, or NULL */
};

static const char *const file_what[2] = { "backing", "diff area" };

/* The registered files of every volume but self: copied under tbl_lock,
 * so that they are compared (and stat()ed) without it. */
static int regfiles_get(const char *self, struct regfile **out, size_t *n)
{
	struct regfile *rf = NULL, *t;
	size_t cnt = 0, cap = 0;
	int r = 0;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		cap += 2;
	for (struct cunavail *u = unavailable; u; u = u->next)
		cap += 2;
	rf = calloc(cap ? cap : 1, sizeof(*rf));
	if (!rf)
		r = -ENOMEM;
	for (struct cvol *v = volumes; v && !r; v = v->next)
		for (int i = 0; i < 2 && (!self || strcmp(v->name, self)); i++) {
			t = &rf[cnt++];
			snprintf(t->vol, sizeof(t->vol), "%s", v->name);
			t->which = (enum cow_file)i;
			t->path = strdup(i == COW_ORIGIN ? v->backing : v->diff);
			if (v->id[i] && (t->opened = malloc(sizeof(*t->opened)))) {
				*t->opened = *v->id[i];
				t->opened->path = v->id[i]->path ? strdup(v->id[i]->path) : NULL;
			}
			if (!t->path || (v->id[i] && !t->opened))
				r = -ENOMEM;
		}
	for (struct cunavail *u = unavailable; u && !r; u = u->next)
		for (int i = 0; i < 2 && (!self || strcmp(u->name, self)); i++) {
			const char *p = i == COW_ORIGIN ? u->backing : u->diff;

			if (!p[0])	/* its record is unreadable */
				continue;
			t = &rf[cnt++];
			snprintf(t->vol, sizeof(t->vol), "%s", u->name);
			t->unavailable = true;
			t->which = (enum cow_file)i;
			if (!(t->path = strdup(p)))
				r = -ENOMEM;
		}
	pthread_mutex_unlock(&tbl_lock);
	*out = rf;
	*n = cnt;
	return r;
}

static void regfiles_free(struct regfile *rf, size_t n)
{
	for (size_t i = 0; rf && i < n; i++) {
		free(rf[i].path);
		fileid_free(rf[i].opened);
	}
	free(rf);
}

int vol_files_check(const char *self, const char *backing, const char *diff, char *err,
		    size_t errlen)
{
	const char *path[2] = { backing, diff };
	struct fileid *cand[2] = { NULL, NULL };
	struct regfile *rf = NULL;
	size_t n = 0;
	int r, how;

	r = regfiles_get(self, &rf, &n);
	for (int i = 0; i < 2 && !r; i++)
		if (path[i] && !(cand[i] = fileid_of_path(path[i])))
			r = -ENOMEM;
	if (r)
		goto out;
	/* the diff area may not be, or be on, the volume's own backing */
	if (cand[COW_ORIGIN] && cand[COW_DIFF]) {
		struct stat st;
		dev_t d[4] = { 0 };

		if (fileid_overlap(cand[COW_DIFF], cand[COW_ORIGIN]) != FILEID_APART) {
			r = fail(err, errlen, -EXDEV, "the diff area %s is the backing %s itself, "
				 "or overlaps it", diff, backing);
			goto out;
		}
		path_devs(diff, &st, d);
		for (int i = 0; i < 4 && !r; i++) {
			struct fileid *on = d[i] ? fileid_of_dev(d[i]) : NULL;

			if (fileid_overlap(on, cand[COW_ORIGIN]) != FILEID_APART)
				r = fail(err, errlen, -EXDEV, "the diff area %s is on the backing %s",
					 diff, backing);
			fileid_free(on);
		}
		if (r)
			goto out;
	}
	for (size_t k = 0; k < n && !r; k++) {
		struct fileid *now = fileid_of_path(rf[k].path);

		for (int i = 0; i < 2 && !r; i++) {
			char named[PATH_MAX + 8] = "";

			if (!cand[i])
				continue;
			how = fileid_overlap(cand[i], now);
			if (how == FILEID_APART)
				how = fileid_overlap(cand[i], rf[k].opened);
			if (how == FILEID_APART)
				continue;
			if (strcmp(path[i], rf[k].path))
				snprintf(named, sizeof(named), " (%s)", rf[k].path);
			if (rf[k].unavailable)
				r = fail(err, errlen, -EEXIST,
					 "the %s %s %s the %s registered to volume '%s'%s, which "
					 "could not be opened (see list volumes; remove it with "
					 "--force first)", file_what[i], path[i],
					 how == FILEID_SAME ? "is" : "overlaps", file_what[rf[k].which],
					 rf[k].vol, named);
			else
				r = fail(err, errlen, -EEXIST, "the %s %s %s the %s of volume '%s'%s",
					 file_what[i], path[i],
					 how == FILEID_SAME ? "is already" : "overlaps",
					 file_what[rf[k].which], rf[k].vol, named);
		}
		fileid_free(now);
	}
out:
	if (r == -ENOMEM)
		fail(err, errlen, r, "out of memory");
	fileid_free(cand[0]);
	fileid_free(cand[1]);
	regfiles_free(rf, n);
	return r;
}

static int load_one(const char *name, const char *backing, const char *diff, uint32_t chunk,
		    uint64_t maxsize, int expl)
{
	char why[COWD_WHY_MAX];
	struct cvol *v = NULL;
	char *where;
	int fd[2] = { -1, -1 }, r;
	bool created;

	if (!rec_name_ok(name))
		return -EINVAL;
	if (path_on_served_volume(backing) || path_on_served_volume(diff)) {
		snprintf(why, sizeof(why), "its backing or diff area is on a volume vss-cowd "
			 "serves");
		log_err("volume %s: %s: not opened", name, why);
		unavail_add(name, backing, diff, why);
		return -EXDEV;
	}
	/* a file of a volume opened before (a record from before this check,
	 * or a link made since), or one another vss-cowd has open: not
	 * opened, not touched */
	r = vol_files_check(name, backing, diff, why, sizeof(why));
	if (!r)
		r = file_lock(backing, false, &fd[COW_ORIGIN], &created, why, sizeof(why));
	if (!r) {
		r = file_lock(diff, false, &fd[COW_DIFF], &created, why, sizeof(why));
		if (r)
			close(fd[COW_ORIGIN]);
	}
	if (r) {
		log_err("volume %s: %s: not opened; %s is not touched", name, why, backing);
		unavail_add(name, backing, diff, why);
		return r;
	}
	if (expl < 0) {	/* older record: explicit when not in the state dir */
		where = storage_of(diff);
		expl = where && strcmp(where, cfg.state_dir) != 0;
		free(where);
	}
	r = vol_open(name, backing, diff, fd, chunk, maxsize, expl, &v);
	if (r && !v) {
		if (r == -EUCLEAN)
			snprintf(why, sizeof(why), "the diff area %s is damaged (no valid "
				 "superblock, or its index log is broken inside)", diff);
		else
			snprintf(why, sizeof(why), "cannot open %s / %s: %s", backing, diff,
				 strerror(-r));
		log_err("volume %s: %s: not opened; %s is not touched", name, why, backing);
		unavail_add(name, backing, diff, why);
	}
	return r;
}

/* A record whose volume is open but whose engine snapshot is gone (the
 * engine deleted it for space while vss-cowd was not there to hear it), or
 * whose volume has no record at all, is removed; records of volumes that
 * could not be opened stay. */
static void drop_orphan(const vss_id_t *id, void *arg)
{
	char volname[COWD_NAME_MAX + 1], a[VSS_ID_STRLEN];
	vss_snapshot_prop_t prop = { 0 };
	bool orphan = false;
	struct cvol *v;

	(void)arg;
	if (reg_load_snapshot(id, volname, sizeof(volname), &prop) < 0)
		return;
	pthread_mutex_lock(&tbl_lock);
	v = vol_find(volname);
	if (v) {
		orphan = true;
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_id, id))
				orphan = false;
	}
	pthread_mutex_unlock(&tbl_lock);
	if (orphan) {
		log_warn("volume %s: snapshot %s is gone from the diff area: record removed",
			 volname, vss_id_format(id, a));
		reg_remove_snapshot(id);
	} else if (!v && !reg_has_volume(volname)) {
		/* remove volume removes the volume's record first: a crash
		 * (or a failed removal) can leave those of its snapshots */
		log_warn("snapshot %s: its volume %s has no record (removed): record removed",
			 vss_id_format(id, a), volname);
		reg_remove_snapshot(id);
	}
}

/* A volume whose record is unreadable: listed as unavailable (backing and
 * diff area unknown), its name refused to a new volume, forgotten by a
 * forced remove; its diff area, wherever it is, stays as it is. */
static void load_bad(const char *name, const char *why)
{
	char w[COWD_WHY_MAX];

	snprintf(w, sizeof(w), "its record %s/volumes/%s.vol is unreadable: %s",
		 cfg.state_dir, name, why);
	unavail_add(name, "", "", w);
}

int vol_load_all(void)
{
	int r = reg_load_volumes(load_one, load_bad);

	reg_for_each_snapshot(drop_orphan, NULL);
	return r;
}

void vol_close_all(void)
{
	struct cvol *v;

	for (;;) {
		pthread_mutex_lock(&tbl_lock);
		v = volumes;
		pthread_mutex_unlock(&tbl_lock);
		if (!v)
			break;
		log_info("volume %s: closing", v->name);
		vol_close(v);
	}
	pthread_mutex_lock(&tbl_lock);
	while (unavailable) {
		struct cunavail *u = unavailable;

		unavailable = u->next;
		unavail_free(u);
	}
	pthread_mutex_unlock(&tbl_lock);
}

void unlink_diff(const char *diff)
{
	struct stat st;

	if (lstat(diff, &st) == 0 && S_ISREG(st.st_mode))	/* never a device node */
		unlink(diff);
}

static int dev_size(const char *path, uint64_t *size)
{
	struct stat st;
	int fd, r = 0;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISBLK(st.st_mode))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* What a new diff area file has allocated (zeros written) when it is made:
 * what the engine would allocate ahead of use at once, 128 MiB, never past
 * the maximum (vss-cowd(8), SHADOW STORAGE). */
static uint64_t diff_prealloc(uint64_t max)
{
	return max < (128u << 20) ? max : 128u << 20;
}

int diff_create(const char *backing, const char *diff, uint32_t chunk, uint64_t origin_size,
		uint64_t max, struct cow_volume **out)
{
	struct cow_params prm = { .chunk_size = chunk, .origin_size = origin_size };
	struct cow_volume *cow;
	struct cow_stats st;
	uint64_t osize = origin_size;
	int r;

	if (!osize && (r = dev_size(backing, &osize)))
		return r;
	/* room (and a log) for the origin, or for max when larger; the
	 * maximum caps what is used, and can grow about 8 times this */
	prm.diff_max = max != COW_DIFF_UNBOUNDED && max > osize ? max : osize;
	prm.diff_max = (prm.diff_max + COW_SECTOR - 1) / COW_SECTOR * COW_SECTOR;
	prm.diff_prealloc = diff_prealloc(max);
	r = cow_volume_create(backing, diff, &prm);
	if (r)
		return r;
	r = cow_volume_open(backing, diff, 0, &cow);
	if (r)
		return r;
	cow_stats(cow, &st);
	if (max != st.diff_bytes_max)
		r = cow_set_diff_max(cow, max);
	if (r) {
		cow_volume_close(cow);
		return r;
	}
	*out = cow;
	return 0;
}

/* A new backing file of size bytes.  Allocated unless sparse: a block
 * device over a sparse image fails its writes (EIO to the filesystem on
 * it) once the image's filesystem is full, and its first write to every
 * block goes through an allocation (80-98 us per random 4 KiB write
 * through vss-cowd here, 47-49 us on an allocated image).  Where the
 * filesystem cannot allocate (EOPNOTSUPP) the file is left sparse, with
 * a warning; too little space is an error, and no file is left. */
static int make_backing(const char *path, uint64_t size, bool sparse, char *err,
			size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return fail(err, errlen, -errno, "cannot create %s: %s", path, strerror(errno));
	if (!sparse && fallocate(fd, 0, 0, (off_t)size) < 0) {
		r = -errno;
		if (r == -EOPNOTSUPP) {
			log_warn("%s: its filesystem cannot allocate space ahead: the image "
				 "is sparse", path);
			r = 0;
		} else {
			fail(err, errlen, r, "cannot allocate %" PRIu64 " bytes for %s: %s%s",
			     size, path, strerror(-r),
			     r == -ENOSPC ? " (--sparse makes it without allocating)" : "");
		}
	}
	if (!r && ftruncate(fd, (off_t)size) < 0)
		r = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	close(fd);
	if (r)
		unlink(path);
	return r;
}

int vol_add(const char *name, const char *backing, const char *diff, uint64_t size,
	    int create, uint64_t maxsize, uint32_t chunk, char *err, size_t errlen)
{
	char defdiff[PATH_MAX], bpath[32], dpath[32];
	struct cow_params prm = { 0 };
	struct cvol *v = NULL;
	struct stat st;
	uint64_t have;
	bool taken = false, unavail = false, expl = diff != NULL, created, dcreated;
	int fd[2] = { -1, -1 }, r;

	if (!name || !rec_name_ok(name))
		return fail(err, errlen, -EINVAL,
			    "bad volume name '%s' (1-%d of A-Z a-z 0-9 . _ -, not "
			    "starting with .)", name ? name : "", COWD_NAME_MAX);
	if (!backing || backing[0] != '/')
		return fail(err, errlen, -EINVAL, "the backing must be an absolute path");
	if (diff && diff[0] != '/')
		return fail(err, errlen, -EINVAL, "the diff area must be an absolute path");
	/* a record is lines: a path with a newline cannot be recorded */
	if (strchr(backing, '\n') || (diff && strchr(diff, '\n')))
		return fail(err, errlen, -EINVAL, "the backing or diff area path holds a newline");
	if (chunk && (chunk < COW_CHUNK_MIN || chunk > COW_CHUNK_MAX || (chunk & (chunk - 1))))
		return fail(err, errlen, -EINVAL,
			    "bad chunk size %" PRIu32 " (a power of two, %u..%u)",
			    chunk, COW_CHUNK_MIN, COW_CHUNK_MAX);
	if (!diff) {
		snprintf(defdiff, sizeof(defdiff), "%s/%s.diff", cfg.state_dir, name);
		diff = defdiff;
	}
	pthread_mutex_lock(&tbl_lock);
	taken = vol_find(name) != NULL;
	unavail = *unavail_find(name) != NULL;
	pthread_mutex_unlock(&tbl_lock);
	if (unavail)
		return fail(err, errlen, -EEXIST,
			    "volume %s is registered but could not be opened (see list volumes; "
			    "remove it with --force first)", name);
	if (taken)
		return fail(err, errlen, -EEXIST, "volume %s is already registered", name);
	/* no file of another volume, however it is named (fileid.c) */
	r = vol_files_check(name, backing, diff, err, errlen);
	if (r)
		return r;
	if (path_on_served_volume(backing) || path_on_served_volume(diff))
		return fail(err, errlen, -EXDEV, "the backing or diff area is on a volume vss-cowd "
			    "serves");
	if (create) {
		if (!size || size % COW_CHUNK_MAX)
			return fail(err, errlen, -EINVAL,
				    "bad size %" PRIu64 ": a volume to create needs "
				    "a size, a multiple of 1 MiB", size);
		if (stat(backing, &st) == 0)
			return fail(err, errlen, -EEXIST,
				    "%s exists already (leave out --create to use it)",
				    backing);
		have = size;
	} else {
		r = dev_size(backing, &have);
		if (r)
			return fail(err, errlen, r, "%s: %s", backing, strerror(-r));
		if (size && size != have)
			return fail(err, errlen, -EINVAL,
				    "%s has %" PRIu64 " bytes, not %" PRIu64, backing,
				    have, size);
		if (!have || have % COW_SECTOR)
			return fail(err, errlen, -EINVAL,
				    "%s: bad size %" PRIu64 " (a multiple of %u)",
				    backing, have, COW_SECTOR);
	}
	/* the default maximum is the volume's size; room (and a log) for the
	 * volume, or for the maximum when larger (see diff_create) */
	if (!maxsize)
		maxsize = have;
	if (maxsize != COW_DIFF_UNBOUNDED && (maxsize < (1u << 20) || maxsize % COW_SECTOR))
		return fail(err, errlen, -EINVAL,
			    "bad maximum %" PRIu64 ": at least 1 MiB, a multiple of %u", maxsize,
			    COW_SECTOR);
	prm.chunk_size = chunk;
	prm.origin_size = create ? size : 0;
	prm.diff_max = maxsize != COW_DIFF_UNBOUNDED && maxsize > have ? maxsize : have;
	prm.diff_prealloc = diff_prealloc(maxsize);
	if (create) {
		r = make_backing(backing, size, create == VOL_CREATE_SPARSE, err, errlen);
		if (r)
			return r;
	}
	/* locked before anything is written: another vss-cowd may have them */
	r = file_lock(backing, false, &fd[COW_ORIGIN], &created, err, errlen);
	if (!r) {
		r = file_lock(diff, true, &fd[COW_DIFF], &dcreated, err, errlen);
		if (r)
			close(fd[COW_ORIGIN]);
	}
	if (r) {
		if (create)
			unlink(backing);
		return r;
	}
	/* through the descriptors: the files checked and locked, whatever
	 * their names name meanwhile */
	r = cow_volume_create(fd_path(fd[COW_ORIGIN], bpath, sizeof(bpath)),
			      fd_path(fd[COW_DIFF], dpath, sizeof(dpath)), &prm);
	if (r) {
		close(fd[COW_ORIGIN]);
		close(fd[COW_DIFF]);
		if (dcreated)
			unlink(diff);
		if (create)
			unlink(backing);
		return fail(err, errlen, r,
			    "cannot create the volume on %s / %s: %s", backing, diff,
			    strerror(-r));
	}
	r = vol_open(name, backing, diff, fd, chunk, maxsize, expl, &v);
	if (r && !v) {
		unlink_diff(diff);
		if (create)
			unlink(backing);
		return fail(err, errlen, r, "cannot open the new volume: %s", strerror(-r));
	}
	if (!r)
		r = reg_save_volume(v);
	if (r) {
		fail(err, errlen, r, "volume %s: %s", name, strerror(-r));
		vol_close(v);
		unlink_diff(diff);
		if (create)
			unlink(backing);
		return r;
	}
	return 0;
}

/* The exposures a removal undid, to be exposed again if it is refused. */
struct unexposed {
	struct {
		struct csnap *s;
		char *mnt;	/* NULL: exposed as the device alone */
	} *v;
	size_t n;
};

/* 0, or -1 out of memory (nothing taken); on success it owns mnt. */
static int unexposed_push(struct unexposed *u, struct csnap *s, char *mnt)
{
	void *nv = realloc(u->v, (u->n + 1) * sizeof(*u->v));

	if (!nv)
		return -1;
	u->v = nv;
	u->v[u->n].s = s;
	u->v[u->n++].mnt = mnt;
	return 0;
}

static void unexposed_free(struct unexposed *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].mnt);
	free(u->v);
}

int vol_remove(const char *name, bool force, char *err, size_t errlen)
{
	struct cvol *v;
	struct csnap *s, *list;
	char dev[32] = "";
	struct unexposed undo = { 0 };
	int nsnaps = 0, r = 0;
	bool busy = false;

	pthread_mutex_lock(&tbl_lock);
	v = vol_find(name);
	if (v) {
		v->refs++;
		if (v->live)
			snprintf(dev, sizeof(dev), "%s", v->live->loopdev);
		/* committed ones: a snapshot prepared and never committed
		 * (its requester died before DoSnapshotSet, which VSS never
		 * aborts) is no snapshot of the volume, and goes with it */
		for (s = v->snaps; s; s = s->next)
			nsnaps += s->engine_id != 0;
	}
	pthread_mutex_unlock(&tbl_lock);
	if (!v) {
		r = name ? unavail_remove(name, force, err, errlen) : -ENOENT;
		if (r == -ENOENT)
			fail(err, errlen, -ENOENT, "no volume named '%s'", name ? name : "");
		return r;
	}
	busy = dev_in_use(dev);
	pthread_mutex_lock(&tbl_lock);
	if (mgmt_reverting(v)) {
		vol_put(v);
		pthread_mutex_unlock(&tbl_lock);
		return fail(err, errlen, -EBUSY, "volume %s is being reverted to a snapshot", name);
	}
	pthread_mutex_unlock(&tbl_lock);
	if (!force && (busy || nsnaps)) {
		fail(err, errlen, -EBUSY, "volume %s %s (--force to remove it anyway)", name,
		     busy ? "is in use (mounted?)" : "has snapshots");
		pthread_mutex_lock(&tbl_lock);
		vol_put(v);
		pthread_mutex_unlock(&tbl_lock);
		return -EBUSY;
	}
	/* every snapshot released (a forced exposure unmounted) before any
	 * is destroyed, and the volume's record (and that of a revert that
	 * could not be resumed) removed before anything else goes: one that
	 * cannot be refuses the removal, the volume and its snapshots staying
	 * as they are, the exposures this removal had undone exposed again */
	pthread_mutex_lock(&tbl_lock);
	list = v->snaps;
	v->snaps = NULL;
	pthread_mutex_unlock(&tbl_lock);
	for (s = list; s && !r; s = s->next) {
		bool exposed;
		char *mnt = NULL;

		pthread_mutex_lock(&tbl_lock);
		exposed = s->exposed;
		if (exposed && s->mnt && !(mnt = strdup(s->mnt)))
			r = fail(err, errlen, -ENOMEM, "volume %s not removed: out of memory",
				 name);
		pthread_mutex_unlock(&tbl_lock);
		if (r)
			break;
		if (mgmt_release_for_delete(v, s, true) != S_OK)
			r = fail(err, errlen, -EBUSY, "volume %s not removed: %s", name,
				 vss_last_error());
		else if (exposed && unexposed_push(&undo, s, mnt)) {
			r = fail(err, errlen, -ENOMEM, "volume %s not removed: out of memory",
				 name);
			mgmt_reexpose(v, s, mnt);
		} else if (exposed) {
			mnt = NULL;	/* undo owns it */
		}
		free(mnt);
	}
	if (!r && (r = remove_records(name)))
		fail(err, errlen, r, "volume %s not removed: cannot remove its record in %s: %s",
		     name, cfg.state_dir, strerror(-r));
	if (r) {
		struct csnap **pp = &list;

		log_err("%s", err);
		for (size_t i = 0; i < undo.n; i++) {
			char a[VSS_ID_STRLEN];

			vss_id_format(&undo.v[i].s->prop.snapshot_id, a);
			if (mgmt_reexpose(v, undo.v[i].s, undo.v[i].mnt) != S_OK)
				log_err("snapshot %s: cannot expose it again%s%s: %s", a,
					undo.v[i].mnt ? " at " : "",
					undo.v[i].mnt ? undo.v[i].mnt : "", vss_last_error());
		}
		unexposed_free(&undo);
		pthread_mutex_lock(&tbl_lock);
		while (*pp)
			pp = &(*pp)->next;
		*pp = v->snaps;
		v->snaps = list;
		vol_put(v);
		pthread_mutex_unlock(&tbl_lock);
		return r;
	}
	unexposed_free(&undo);
	if (busy)
		log_warn("volume %s: removed while %s is in use: its users get I/O errors", name,
			 dev);
	for (struct csnap *next; list; list = next) {
		next = list->next;
		/* vssd's catalog forgets it too (as a snapshot lost for space) */
		if (list->prop.status == VSS_SS_CREATED)
			lost_push(v->name, &list->prop.snapshot_id, "its volume was removed");
		snap_destroy(v, list);
	}
	/* and any a set prepared meanwhile (never committed, never exposed) */
	for (;;) {
		pthread_mutex_lock(&tbl_lock);
		s = v->snaps;
		if (s)
			v->snaps = s->next;
		pthread_mutex_unlock(&tbl_lock);
		if (!s)
			break;
		snap_destroy(v, s);
	}
	vol_close(v);
	unlink_diff(v->diff);
	log_info("volume %s removed", name);
	pthread_mutex_lock(&tbl_lock);
	vol_put(v);
	pthread_mutex_unlock(&tbl_lock);
	return 0;
}
