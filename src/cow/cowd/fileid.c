/* fileid.c — what a backing or a diff area is, whatever it is called.
 *
 * A path names a file, and many paths name one file: a symbolic link, a
 * hard link, a bind mount, a loop device over the file, a device node of
 * the same device.  And a block device may be part of another (a
 * partition of its disk, a device-mapper or md device of the devices it is
 * made of).  vss-cowd serves a file as one volume's backing or diff area
 * only (vss-cowd(8), "Files of a volume"), so it compares what files are:
 *
 *   - a regular file is its (st_dev, st_ino); a block device its st_rdev;
 *   - a loop device is also the file it is attached to (sysfs
 *     loop/backing_file), which is itself again when it is a device;
 *   - a partition is part of its disk, a mapped device part of each of its
 *     slaves (sysfs), recursively;
 *   - a path that does not exist yet is its canonical name: symbolic links
 *     resolved as far as they lead (the last, dangling, one too), the
 *     directory by realpath(3).
 *
 * Two files overlap when one of them is, or is part of, something the
 * other is (a partition and its disk overlap, two partitions of one disk
 * do not), or when their canonical names are the same.  Comparing by name
 * only let an add volume whose diff area was a symbolic link to another
 * volume's diff area truncate it, with its snapshots. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"

#define FILEID_DEPTH	8	/* of stacked devices */

/* The canonical name of path (absolute): realpath() when it exists;
 * else the symbolic links it is followed to the name that does not exist,
 * whose directory is realpath()'d.  NULL when even that directory does
 * not exist. */
static char *canon_path(const char *path)
{
	char cur[PATH_MAX], link[PATH_MAX], real[PATH_MAX], *slash, *out;
	ssize_t l;
	int hops = 0;

	out = realpath(path, NULL);
	if (out || path[0] != '/')
		return out;
	snprintf(cur, sizeof(cur), "%s", path);
	while (hops++ < 40 && (l = readlink(cur, link, sizeof(link) - 1)) > 0) {
		link[l] = '\0';
		if (link[0] == '/') {
			snprintf(cur, sizeof(cur), "%s", link);
		} else {
			slash = strrchr(cur, '/');
			if ((size_t)(slash + 1 - cur) + (size_t)l >= sizeof(cur))
				return NULL;
			memcpy(slash + 1, link, (size_t)l + 1);
		}
	}
	slash = strrchr(cur, '/');
	*slash = '\0';
	if (!realpath(cur[0] ? cur : "/", real) ||
	    asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", slash + 1) < 0)
		return NULL;
	return out;
}

static void add_one(struct fileid *f, bool blk, dev_t dev, ino_t ino, bool same)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->id[i].blk == blk && f->id[i].dev == dev && (blk || f->id[i].ino == ino)) {
			f->id[i].same |= same;
			return;
		}
	if (f->n < FILEID_MAX)
		f->id[f->n++] = (struct fileid_one){ .blk = blk, .dev = dev, .ino = ino,
						     .same = same };
}

/* A sysfs attribute of block device d, one line. */
static bool sys_read(dev_t d, const char *attr, char *buf, size_t len)
{
	char p[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/%s", major(d), minor(d), attr);
	if (!(f = fopen(p, "re")))
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool sys_dev(dev_t d, const char *attr, dev_t *out)
{
	char buf[64];
	unsigned ma, mi;

	if (!sys_read(d, attr, buf, sizeof(buf)) || sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return false;
	*out = makedev(ma, mi);
	return true;
}

static void add_stat(struct fileid *f, const struct stat *st, bool same, int depth);

/* Block device d, and what it is (a loop device's file) or is part of. */
static void add_blk(struct fileid *f, dev_t d, bool same, int depth)
{
	char p[PATH_MAX], buf[PATH_MAX];
	struct stat st;
	dev_t up;
	DIR *dir;
	struct dirent *e;

	add_one(f, true, d, 0, same);
	if (depth >= FILEID_DEPTH)
		return;
	if (sys_read(d, "loop/backing_file", buf, sizeof(buf)) && buf[0] == '/' &&
	    stat(buf, &st) == 0)
		add_stat(f, &st, same, depth + 1);
	if (sys_read(d, "partition", buf, sizeof(buf)) && sys_dev(d, "../dev", &up))
		add_blk(f, up, false, depth + 1);
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/slaves", major(d), minor(d));
	if (!(dir = opendir(p)))
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "slaves/%s/dev", e->d_name);
		if (sys_dev(d, buf, &up))
			add_blk(f, up, false, depth + 1);
	}
	closedir(dir);
}

static void add_stat(struct fileid *f, const struct stat *st, bool same, int depth)
{
	if (S_ISBLK(st->st_mode))
		add_blk(f, st->st_rdev, same, depth);
	else
		add_one(f, false, st->st_dev, st->st_ino, same);
}

static struct fileid *fileid_new(const char *path)
{
	struct fileid *f = calloc(1, sizeof(*f));

	if (f && path && !(f->path = canon_path(path)))
		f->path = strdup(path);
	return f;
}

struct fileid *fileid_of_path(const char *path)
{
	struct fileid *f = fileid_new(path);
	struct stat st;

	if (f && stat(path, &st) == 0)
		add_stat(f, &st, true, 0);
	return f;
}

struct fileid *fileid_of_fd(int fd, const char *path)
{
	struct fileid *f = fileid_new(path);
	struct stat st;

	if (f && fstat(fd, &st) == 0)
		add_stat(f, &st, true, 0);
	return f;
}

struct fileid *fileid_of_dev(dev_t d)
{
	struct fileid *f = fileid_new(NULL);

	if (f)
		add_blk(f, d, true, 0);
	return f;
}

void fileid_free(struct fileid *f)
{
	if (f)
		free(f->path);
	free(f);
}

bool fileid_has(const struct fileid *f, bool blk, dev_t dev, ino_t ino)
{
	for (unsigned i = 0; f && i < f->n; i++)
		if (f->id[i].blk == blk && f->id[i].dev == dev && (blk || f->id[i].ino == ino))
			return true;
	return false;
}

/* Whether something a is part of, or is, is something b is. */
static bool part_of(const struct fileid *a, const struct fileid *b, bool *same)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->id[i].same && fileid_has(a, b->id[i].blk, b->id[i].dev, b->id[i].ino)) {
			*same = false;
			for (unsigned j = 0; j < a->n; j++)
				if (a->id[j].same && a->id[j].blk == b->id[i].blk &&
				    a->id[j].dev == b->id[i].dev &&
				    (a->id[j].blk || a->id[j].ino == b->id[i].ino))
					*same = true;
			return true;
		}
	return false;
}

int fileid_overlap(const struct fileid *a, const struct fileid *b)
{
	bool same = false;

	if (!a || !b)
		return FILEID_APART;
	if (a->path && b->path && strcmp(a->path, b->path) == 0)
		return FILEID_SAME;
	if (part_of(a, b, &same) || part_of(b, a, &same))
		return same ? FILEID_SAME : FILEID_PART;
	return FILEID_APART;
}

/* ---- locks ----
 * An OFD lock (fcntl F_OFD_SETLK): it belongs to the open file
 * description, so closing another descriptor of the file (the engine's)
 * does not drop it as it would a POSIX lock; and it is not flock(), which
 * udev takes on block devices (it skips the events of a device whose
 * flock it cannot get). */

int file_lock(const char *path, bool create, int *fdp, bool *created, char *err,
	      size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int fd, e;

	*created = false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		/* never through a symbolic link, never a file made meanwhile */
		fd = open(path, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == EEXIST)
			return fail(err, errlen, -EEXIST, "cannot create %s: it is a symbolic link "
				    "to nothing, or was made meanwhile (name the file itself)",
				    path);
		*created = fd >= 0;
	}
	if (fd < 0) {
		e = errno;
		return fail(err, errlen, -e, "cannot open %s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(fd);
		if (*created)
			unlink(path);
		return fail(err, errlen, -EINVAL, "%s is neither a file nor a block device", path);
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		e = errno;
		if (e == EAGAIN || e == EACCES) {
			close(fd);
			if (*created)
				unlink(path);
			return fail(err, errlen, -EADDRINUSE,
				    "%s is in use: another program holds a lock on it (another "
				    "vss-cowd?)", path);
		}
		/* a filesystem without locks: the checks by identity remain */
		log_warn("%s: cannot lock it: %s (a second vss-cowd could open it too)", path,
			 strerror(e));
	}
	*fdp = fd;
	return 0;
}

const char *fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}
