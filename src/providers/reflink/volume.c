/* volume.c — which volumes vss-reflinkd can snapshot, and its store.
 *
 * A volume name (as vssd canonicalises it: a block device, or the real path
 * of an image file; a mount point is accepted too) resolves to an image
 * file:
 *   - a regular file is the image itself, unless a loop device serves it:
 *     then the loop device must be named, so that vssd freezes the
 *     filesystem on it;
 *   - a loop device (or the mount point of one) names its backing file
 *     through /sys/dev/block/MAJ:MIN/loop/backing_file, checked against
 *     LOOP_GET_STATUS64 (device and inode), whole-file mappings only.
 * The image must live on the store's mount: FICLONE clones only within one
 * mount.  Whether that filesystem clones at all is proved once, when the
 * store is opened. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include "common/util.h"
#include "providers/reflink/reflink.h"

__attribute__((format(printf, 3, 4)))
static int why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return 0;
}

void rl_image_clear(struct rl_image *img)
{
	free(img->path);
	free(img->loop);
	img->path = img->loop = NULL;
}

/* Reads a one-line sysfs attribute without its newline. */
static int read_attr(const char *path, char *buf, size_t len)
{
	CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int stat_mnt_id(const char *path, uint64_t *id)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -ENOTSUP;
	*id = sx.stx_mnt_id;
	return 0;
}

/* The node in /dev of block device rdev (its uevent names it). */
static int dev_node(dev_t rdev, char *out, size_t outlen)
{
	char path[128], buf[1024], *p, *save = NULL;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(rdev), minor(rdev));
	r = read_attr(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strncmp(p, "DEVNAME=", 8) == 0 && !strchr(p + 8, '/') &&
		    strstr(p + 8, "..") == NULL)
			break;
	if (!p)
		return -ENODEV;
	snprintf(out, outlen, "/dev/%s", p + 8);
	if (stat(out, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != rdev)
		return -ENODEV;
	return 0;
}

/* The backing file of loop device rdev; -ENODEV when rdev is no attached
 * loop device. */
static int loop_backing(dev_t rdev, struct rl_image *img, char *why, size_t whylen)
{
	char sys[128], buf[PATH_MAX + 32], dev[64];
	struct loop_info64 li = { 0 };
	struct stat st;
	int fd, r;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/loop/backing_file", major(rdev),
		 minor(rdev));
	r = read_attr(sys, buf, sizeof(buf));
	if (r < 0) {
		why_set(why, whylen, "not a loop device with a backing file");
		return -ENODEV;
	}
	r = dev_node(rdev, dev, sizeof(dev));
	if (r < 0) {
		why_set(why, whylen, "no device node for %u:%u", major(rdev), minor(rdev));
		return r;
	}
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		why_set(why, whylen, "cannot open %s: %s", dev, strerror(errno));
		return -errno;
	}
	r = ioctl(fd, LOOP_GET_STATUS64, &li) < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		why_set(why, whylen, "LOOP_GET_STATUS64: %s", strerror(-r));
		return r;
	}
	if (li.lo_offset || li.lo_sizelimit) {
		why_set(why, whylen, "the loop device maps part of its file (offset %llu, "
			"size limit %llu); only whole-file loop devices are supported",
			(unsigned long long)li.lo_offset, (unsigned long long)li.lo_sizelimit);
		return -EOPNOTSUPP;
	}
	if (stat(buf, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != li.lo_inode ||
	    st.st_dev != (dev_t)li.lo_device) {
		why_set(why, whylen, "backing file '%s' is gone or was replaced", buf);
		return -ESTALE;
	}
	img->path = realpath(buf, NULL);
	if (!img->path)
		return -errno;
	return 0;
}

/* The loop device that serves the image (dev, ino), if any, in out. */
static bool image_is_attached(dev_t dev, ino_t ino, char *out, size_t outlen)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char p[PATH_MAX], buf[PATH_MAX + 32];
		struct stat st;

		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", e->d_name);
		if (read_attr(p, buf, sizeof(buf)) < 0 || stat(buf, &st) < 0)
			continue;
		if (st.st_dev == dev && st.st_ino == ino) {
			snprintf(out, outlen, "/dev/%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

int rl_resolve(const struct rl_store *store, const char *volume, struct rl_image *img,
	       char *why, size_t whylen)
{
	struct stat st;
	uint64_t mnt;
	int r;

	memset(img, 0, sizeof(*img));
	why_set(why, whylen, "unknown reason");
	if (!volume || !*volume || strchr(volume, '\n')) {
		why_set(why, whylen, "bad volume name");
		return -EINVAL;
	}
	if (stat(volume, &st) < 0) {
		why_set(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode)) {
		char loop[300];

		if (image_is_attached(st.st_dev, st.st_ino, loop, sizeof(loop))) {
			why_set(why, whylen, "the image is attached to %s: name that device so "
				"that its filesystem is frozen", loop);
			return -EBUSY;
		}
		img->path = realpath(volume, NULL);
		if (!img->path)
			return -errno;
	} else if (S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode)) {
		r = loop_backing(S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev, img, why, whylen);
		if (r < 0)
			return r;
		if (S_ISBLK(st.st_mode))
			img->loop = realpath(volume, NULL);
	} else {
		why_set(why, whylen, "neither an image file nor a loop device");
		return -ENOTBLK;
	}
	if (strchr(img->path, '\n')) {
		why_set(why, whylen, "the image path holds a newline");
		r = -EINVAL;
		goto fail;
	}
	if (stat(img->path, &st) < 0) {
		r = -errno;
		why_set(why, whylen, "%s: %s", img->path, strerror(errno));
		goto fail;
	}
	img->dev = st.st_dev;
	img->ino = st.st_ino;
	img->size = st.st_size;
	img->allocated = (off_t)st.st_blocks * 512;
	if (st.st_dev != store->dev ||
	    (store->have_mnt_id && stat_mnt_id(img->path, &mnt) == 0 && mnt != store->mnt_id)) {
		why_set(why, whylen, "image %s is not on the mount of the store %s (reflink "
			"clones only within one filesystem mount)", img->path, store->dir);
		r = -EXDEV;
		goto fail;
	}
	return 0;
fail:
	rl_image_clear(img);
	return r;
}

int rl_store_probe_image(const struct rl_store *st, int src_fd, char *why, size_t whylen)
{
	CLEANUP_CLOSE int fd = open(st->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	struct file_clone_range fcr = { .src_fd = src_fd };
	struct stat sb;
	int r;

	if (fd < 0) {
		why_set(why, whylen, "cannot create a file in %s: %s", st->dir, strerror(errno));
		return -errno;
	}
	if (fstat(src_fd, &sb) < 0)
		return -errno;
	/* one block; the whole file when the image is smaller */
	if (sb.st_size >= sb.st_blksize) {
		fcr.src_length = (uint64_t)sb.st_blksize;
		r = ioctl(fd, FICLONERANGE, &fcr);
	} else {
		r = ioctl(fd, FICLONE, src_fd);
	}
	if (r < 0) {
		why_set(why, whylen, "cannot clone the image into %s: %s", st->dir,
			strerror(errno));
		return -errno;
	}
	return 0;
}

int rl_store_open(const char *dir, struct rl_store *st, char *why, size_t whylen)
{
	static const char data[4096];
	CLEANUP_CLOSE int a = -1;
	CLEANUP_CLOSE int b = -1;
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		why_set(why, whylen, "cannot create the store %s: %s", dir, strerror(errno));
		return -errno;
	}
	st->dir = realpath(dir, NULL);
	if (!st->dir || stat(st->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		why_set(why, whylen, "store %s is not a directory", dir);
		free(st->dir);
		st->dir = NULL;
		return -ENOTDIR;
	}
	st->dev = sb.st_dev;
	st->have_mnt_id = stat_mnt_id(st->dir, &st->mnt_id) == 0;
	a = open(st->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	b = open(st->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (a < 0 || b < 0) {
		why_set(why, whylen, "cannot create files in the store %s: %s", st->dir,
			strerror(errno));
		goto fail;
	}
	if (write(a, data, sizeof(data)) != (ssize_t)sizeof(data)) {
		why_set(why, whylen, "cannot write in the store %s: %s", st->dir,
			strerror(errno));
		goto fail;
	}
	if (ioctl(b, FICLONE, a) < 0) {
		why_set(why, whylen, "the filesystem of the store %s cannot clone files "
			"(FICLONE: %s); it must be xfs with reflink=1 or btrfs, the one "
			"holding the images", st->dir, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	free(st->dir);
	st->dir = NULL;
	return -EOPNOTSUPP;
}
