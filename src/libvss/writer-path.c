/* writer-path.c — IsPathAffected: does a path lie on one of a set's volumes?
 *
 * A volume arrives as a device path (/dev/loop0) or a mount point (/data).
 * The path is reduced to its longest existing prefix (a file pattern or a
 * file not created yet counts by its directory) and matched three ways,
 * first hit wins:
 *   1. a block-device volume whose st_rdev is the path's st_dev;
 *   2. a directory volume on the same st_dev as the path (a mount point);
 *   3. an image-file volume backing a loop device (/sys/block/loop*) whose
 *      device is the path's st_dev;
 *   4. the mount holding the path (longest mount point prefix in
 *      /proc/self/mountinfo) has the volume as its source device or its
 *      mount point, or the volume is a mount point of the same filesystem
 *      (mountinfo's device number: another btrfs subvolume, a bind mount)
 *      — for file systems whose files report an anonymous st_dev (btrfs
 *      subvolumes, overlay).
 * path_mount_point names the mount holding a path, for messages (vshadow
 * builds this file in as well, to tell which components lie off its set). */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "common/mountinfo.h"
#include "libvss/writer-int.h"

/* realpath() of the longest existing prefix of path, into out. */
static int existing_prefix(const char *path, char out[PATH_MAX])
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (path[0] != '/' || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (;;) {
		char *slash;

		if (realpath(buf, out))
			return 0;
		slash = strrchr(buf, '/');
		if (!slash)
			return -ENOENT;
		if (slash == buf) {
			if (buf[1] == '\0')
				return -ENOENT;
			buf[1] = '\0';
		} else {
			*slash = '\0';
		}
	}
}

/* Reads the first line of a small sysfs file into buf (newline cut). */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Whether the image file img backs a loop device numbered dev. */
static bool image_backs(const char *img, dev_t dev)
{
	char real[PATH_MAX], p[PATH_MAX], buf[PATH_MAX];
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	if (!realpath(img, real)) {
		closedir(d);
		return false;
	}
	while (!found && (e = readdir(d))) {
		unsigned ma, mi;

		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", e->d_name);
		if (read_line(p, buf, sizeof(buf)) || strcmp(buf, real) != 0)
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/dev", e->d_name);
		if (read_line(p, buf, sizeof(buf)) == 0 && sscanf(buf, "%u:%u", &ma, &mi) == 2)
			found = makedev(ma, mi) == dev;
	}
	closedir(d);
	return found;
}

int path_on_volumes(const char *path, const char *const *vols, unsigned n, bool *affected)
{
	char real[PATH_MAX], rv[PATH_MAX];
	struct mountinfo *pm = NULL, *vm = NULL;
	struct stat ps, vs;
	int r;

	*affected = false;
	if (!path)
		return -EINVAL;
	r = existing_prefix(path, real);
	if (r)
		return r;
	if (stat(real, &ps) < 0)
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		if (!vols[i] || stat(vols[i], &vs) < 0)
			continue;
		if ((S_ISBLK(vs.st_mode) && vs.st_rdev == ps.st_dev) ||
		    (S_ISDIR(vs.st_mode) && vs.st_dev == ps.st_dev) ||
		    (S_ISREG(vs.st_mode) && image_backs(vols[i], ps.st_dev))) {
			*affected = true;
			return 0;
		}
	}
	pm = malloc(sizeof(*pm));
	vm = malloc(sizeof(*vm));
	if (!pm || !vm) {
		r = -ENOMEM;
		goto out;
	}
	if (mountinfo_holding(real, pm) < 0)
		goto out;
	for (unsigned i = 0; i < n && !*affected; i++) {
		if (!vols[i] || !realpath(vols[i], rv))
			continue;
		/* the volume is the mount's source device or its mount point,
		 * or a mount point of the same filesystem (another btrfs
		 * subvolume, a bind mount) */
		*affected = strcmp(rv, pm->source) == 0 || strcmp(rv, pm->point) == 0 ||
			    (mountinfo_at(rv, vm) == 0 && vm->dev == pm->dev);
	}
out:
	free(pm);
	free(vm);
	return r;
}

int path_mount_point(const char *path, char mnt[PATH_MAX])
{
	char real[PATH_MAX];
	struct mountinfo *m;
	int r = path ? existing_prefix(path, real) : -EINVAL;

	if (r)
		return r;
	if (!(m = malloc(sizeof(*m))))
		return -ENOMEM;
	r = mountinfo_holding(real, m);
	if (r == 0)
		memcpy(mnt, m->point, PATH_MAX);
	free(m);
	return r;
}
