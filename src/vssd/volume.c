/* volume.c — what a volume is on Linux.  A requester may name a volume by
 * its block device (/dev/loop3), by a mount point (/mnt/data, the root of a
 * mount) or by an image file a provider serves.  The canonical name is the
 * block device for mounted and block volumes, else the real path.  The
 * mount points returned are every mount of the volume's filesystem (one per
 * superblock is enough to freeze it; bind mounts share the superblock, so
 * one per device is kept).  A volume whose filesystem holds vssd's state
 * directory or socket is refused: freezing it would freeze vssd. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "vssd/vssd.h"

void volume_free_mounts(char **mounts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(mounts[i]);
	free(mounts);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* First mount point of device dev and its mount source, or NULL; also says
 * whether path is the root of a mount. */
static int mounts_of(dev_t dev, const char *path, char **first, char **source, bool *is_root)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];

	*first = NULL;
	if (source)
		*source = NULL;
	if (is_root)
		*is_root = false;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char root[4096], mp[4096], src[4096];
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mp) != 4)
			continue;
		if (makedev(maj, min) != dev)
			continue;
		unescape(mp);
		if (!*first) {
			*first = strdup(mp);
			/* " - fstype source options" */
			if (source && sep && sscanf(sep + 3, "%*s %4095s", src) == 1) {
				unescape(src);
				*source = strdup(src);
			}
		}
		if (path && is_root && strcmp(mp, path) == 0)
			*is_root = true;
	}
	fclose(f);
	return 0;
}

/* The block device a mounted filesystem lives on, when it has one. */
static char *device_of(dev_t fsdev, const char *source)
{
	char dev[64];
	struct stat st;

	if (source && stat(source, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == fsdev)
		return realpath(source, NULL);
	snprintf(dev, sizeof(dev), "/dev/block/%u:%u", major(fsdev), minor(fsdev));
	return realpath(dev, NULL);
}

static bool same_fs(const char *path, dev_t dev)
{
	struct stat st;

	return path && stat(path, &st) == 0 && st.st_dev == dev;
}

int volume_resolve(const char *name, char **canon, char ***mounts, size_t *nmounts)
{
	char real[PATH_MAX];
	struct stat st;
	dev_t fsdev;
	char *mp = NULL, *source = NULL;
	bool is_root = false;
	int r;

	*canon = NULL;
	*mounts = NULL;
	*nmounts = 0;
	if (!name || !*name || !realpath(name, real))
		return -ENOENT;
	if (stat(real, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		fsdev = st.st_rdev;
		r = mounts_of(fsdev, NULL, &mp, NULL, NULL);
	} else if (S_ISDIR(st.st_mode)) {
		fsdev = st.st_dev;
		r = mounts_of(fsdev, real, &mp, &source, &is_root);
		if (r == 0 && !is_root) {
			free(mp);
			free(source);
			return -EINVAL;
		}
	} else if (S_ISREG(st.st_mode)) {
		/* an image file served by a provider: nothing to freeze here */
		*canon = strdup(real);
		return *canon ? 0 : -ENOMEM;
	} else {
		return -ENOTBLK;
	}
	if (r < 0)
		return r;
	if (same_fs(cfg.state_dir, fsdev) || same_fs(cfg.socket_path, fsdev) ||
	    (mp && strcmp(mp, "/") == 0)) {
		free(mp);
		free(source);
		return -EBUSY;
	}
	if (S_ISBLK(st.st_mode)) {
		*canon = strdup(real);
	} else {
		/* a mount point: name the volume by its device when it has one */
		*canon = device_of(fsdev, source);
		if (!*canon)
			*canon = strdup(real);
	}
	free(source);
	if (!*canon) {
		free(mp);
		return -ENOMEM;
	}
	if (mp) {
		*mounts = calloc(1, sizeof(char *));
		if (!*mounts) {
			free(mp);
			free(*canon);
			*canon = NULL;
			return -ENOMEM;
		}
		(*mounts)[0] = mp;
		*nmounts = 1;
	}
	return 0;
}
