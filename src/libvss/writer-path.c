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
 *      mount point — for file systems whose files report an anonymous
 *      st_dev (btrfs subvolumes, overlay).
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

static bool is_prefix_dir(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(dir, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Mount point and source of the mount that holds path (mountinfo). */
static int mount_of(const char *path, char mnt[PATH_MAX], char src[PATH_MAX])
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0, best = 0;
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char point[PATH_MAX], source[PATH_MAX];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(sep + 3, "%*s %4095s", source) != 1)
			continue;
		if (is_prefix_dir(point, path) && strlen(point) >= best) {
			best = strlen(point);
			strcpy(mnt, point);
			strcpy(src, source);
			found = 0;
		}
	}
	free(line);
	fclose(f);
	return found;
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
	char real[PATH_MAX], mnt[PATH_MAX], src[PATH_MAX], rv[PATH_MAX];
	struct stat ps, vs;
	bool have_mount = false;
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
	if (mount_of(real, mnt, src) == 0)
		have_mount = true;
	for (unsigned i = 0; have_mount && i < n; i++) {
		if (!vols[i] || !realpath(vols[i], rv))
			continue;
		if (strcmp(rv, src) == 0 || strcmp(rv, mnt) == 0) {
			*affected = true;
			return 0;
		}
	}
	return 0;
}

int path_mount_point(const char *path, char mnt[PATH_MAX])
{
	char real[PATH_MAX], src[PATH_MAX];
	int r = path ? existing_prefix(path, real) : -EINVAL;

	return r ? r : mount_of(real, mnt, src);
}
