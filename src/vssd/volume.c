/* volume.c — what a volume is on Linux.  A requester may name a volume by
 * its block device (/dev/loop3), by a mount point (/mnt/data, the root of a
 * mount) or by an image file a provider serves.  The canonical name is the
 * block device for mounted and block volumes, else the real path.  The
 * mount point returned is the first mount of the volume's filesystem (one
 * per superblock is enough to freeze it: bind mounts and btrfs subvolumes
 * share it).  Filesystems are known by their superblock's device number
 * (common/mountinfo.h), so that a btrfs, whose files' st_dev names a
 * subvolume, is found from its device and from any of its mount points.  A
 * volume whose filesystem holds vssd's state directory or socket is
 * refused: freezing it would freeze vssd. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "common/mountinfo.h"
#include "vssd/vssd.h"

void volume_free_mounts(char **mounts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(mounts[i]);
	free(mounts);
}

struct mounts_of {
	dev_t dev;		/* the superblock's device number */
	dev_t rdev;		/* or a block device it is on (0: none) */
	char *first;		/* the first mount point found */
	dev_t first_dev;	/* that mount's device number */
};

static bool first_mount(const struct mountinfo *m, void *arg)
{
	struct mounts_of *k = arg;

	if (!(k->dev && m->dev == k->dev) && !(k->rdev && mountinfo_on_bdev(m, k->rdev)))
		return true;
	k->first = strdup(m->point);
	k->first_dev = m->dev;
	return false;
}

/* The filesystem path is on, by its superblock's device number (st_dev
 * would name a btrfs subvolume, not the filesystem frozen with it). */
static bool same_fs(const char *path, dev_t dev)
{
	char real[PATH_MAX];
	struct mountinfo *m;
	bool same;

	if (!path || !realpath(path, real) || !(m = malloc(sizeof(*m))))
		return false;
	same = mountinfo_holding(real, m) == 0 && m->dev == dev;
	free(m);
	return same;
}

/* The path of block device bdev (mountinfo_bdev of a mount): the mount's
 * source when it names that device, else /dev/block's link; NULL when
 * neither is found (no device: bdev 0). */
static char *device_of(dev_t bdev, const char *source)
{
	char dev[64];
	struct stat st;

	if (!bdev)
		return NULL;
	if (source && strncmp(source, "/dev/", 5) == 0 && stat(source, &st) == 0 &&
	    S_ISBLK(st.st_mode) && st.st_rdev == bdev)
		return realpath(source, NULL);
	snprintf(dev, sizeof(dev), "/dev/block/%u:%u", major(bdev), minor(bdev));
	return realpath(dev, NULL);
}

int volume_resolve(const char *name, char **canon, char ***mounts, size_t *nmounts)
{
	char real[PATH_MAX];
	struct stat st;
	struct mounts_of k = { 0 };
	char *source = NULL;
	dev_t fsdev, bdev = 0;
	int r = 0;

	*canon = NULL;
	*mounts = NULL;
	*nmounts = 0;
	if (!name || !*name || !realpath(name, real))
		return -ENOENT;
	if (stat(real, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		/* mounted from it: by device number, or (btrfs) by source */
		k.rdev = st.st_rdev;
		r = mountinfo_each(first_mount, &k);
		fsdev = k.first ? k.first_dev : st.st_rdev;
	} else if (S_ISDIR(st.st_mode)) {
		struct mountinfo *m = malloc(sizeof(*m));

		if (!m)
			return -ENOMEM;
		/* the root of a mount: the topmost one there */
		r = mountinfo_at(real, m);
		if (r == 0) {
			fsdev = m->dev;
			bdev = mountinfo_bdev(m);
			source = strdup(m->source);
			k.dev = fsdev;
			r = source ? mountinfo_each(first_mount, &k) : -ENOMEM;
		}
		free(m);
		if (r == -ENOENT)
			return -EINVAL;
	} else if (S_ISREG(st.st_mode)) {
		/* an image file served by a provider: nothing to freeze here */
		*canon = strdup(real);
		return *canon ? 0 : -ENOMEM;
	} else {
		return -ENOTBLK;
	}
	if (r == 0 && (same_fs(cfg.state_dir, fsdev) || same_fs(cfg.socket_path, fsdev) ||
		       (k.first && strcmp(k.first, "/") == 0)))
		r = -EBUSY;
	if (r == 0 && S_ISBLK(st.st_mode))
		*canon = strdup(real);
	else if (r == 0 && !(*canon = device_of(bdev, source)))
		/* a mount point: named by its device when it has one */
		*canon = strdup(real);
	free(source);
	if (r == 0 && !*canon)
		r = -ENOMEM;
	if (r == 0 && k.first && !(*mounts = calloc(1, sizeof(char *))))
		r = -ENOMEM;
	if (r < 0) {
		free(k.first);
		free(*canon);
		*canon = NULL;
		return r;
	}
	if (k.first) {
		(*mounts)[0] = k.first;
		*nmounts = 1;
	}
	return 0;
}
