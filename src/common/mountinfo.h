/* mountinfo.h — the mounts of this process's namespace, from
 * /proc/self/mountinfo: one parser for vssd (which volume a path is, what
 * to freeze), vss-cowd (what is mounted from its devices) and libvss
 * (which volume a writer's path lies on).
 *
 * A mount's device number (the third field) is its superblock's.  For most
 * filesystems that is the block device they sit on; btrfs (and overlay,
 * tmpfs, ...) report an anonymous one (major 0), and btrfs files report yet
 * another per subvolume in st_dev.  So a filesystem "on" block device D is
 * one whose device number is D or whose source names D, and the filesystem
 * a path is on is known by the device number of the mount holding it, not
 * by the path's st_dev. */
#ifndef VSS_COMMON_MOUNTINFO_H
#define VSS_COMMON_MOUNTINFO_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct mountinfo {
	int id;			/* the mount's id */
	dev_t dev;		/* its superblock's device number */
	/* unescaped (\040 is a space): the directory of the filesystem
	 * mounted, where, its type and its source */
	char root[PATH_MAX], point[PATH_MAX], fstype[64], source[PATH_MAX];
};

/* Calls fn with every mount, in mount order (a later mount at a point is
 * over the earlier ones), while it returns true.  0, or -errno when
 * /proc/self/mountinfo cannot be read.  mountinfo_each_file reads f (for
 * tests); lines it cannot parse are skipped. */
int mountinfo_each(bool (*fn)(const struct mountinfo *m, void *arg), void *arg);
void mountinfo_each_file(FILE *f, bool (*fn)(const struct mountinfo *m, void *arg), void *arg);

/* The block device m's source names (an absolute path to a block device
 * node), or 0. */
dev_t mountinfo_source_rdev(const struct mountinfo *m);

/* The block device m's filesystem is on: its device number, or for an
 * anonymous one (major 0: btrfs) the device its source names; 0 when it
 * has none. */
dev_t mountinfo_bdev(const struct mountinfo *m);

/* Whether m is a filesystem on block device rdev (mountinfo_bdev). */
bool mountinfo_on_bdev(const struct mountinfo *m, dev_t rdev);

/* The mount holding the absolute, resolved path real: the longest mount
 * point that is real or a directory above it, the last mounted of equals.
 * 0, -ENOENT (none) or -errno. */
int mountinfo_holding(const char *real, struct mountinfo *out);

/* The topmost mount whose mount point is exactly real.  0, -ENOENT or
 * -errno. */
int mountinfo_at(const char *real, struct mountinfo *out);

#endif
