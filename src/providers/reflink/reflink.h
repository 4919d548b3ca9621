/* reflink.h — vss-reflinkd, the reflink provider: shared declarations.
 *
 * A volume is an image file, or a loop device backed by one, on a
 * filesystem that clones files by sharing extents (FICLONE: xfs with
 * reflink, btrfs).  A snapshot is a clone of the image in the store
 * directory, made by one ioctl inside vssd's flush-and-hold window.
 *
 * The store (one directory, on the images' filesystem) holds for each
 * snapshot ID:
 *   ID.img        the clone; mode 0400 once final; the device object
 *   ID.meta       "key=value" lines, written (tmp, fsync, rename) when the
 *                 snapshot is final: only a snapshot with a .meta exists
 *   ID.meta.tmp   a .meta being written
 * At start, .img without .meta (a set that never finished) and .meta.tmp
 * are removed; a .meta without its .img is dropped; a malformed .meta and
 * its .img are kept but not listed.  Files of other names are never
 * touched. */
#ifndef VSS_REFLINK_H
#define VSS_REFLINK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <vss/vss.h>

/* The resolved image behind a volume name. */
struct rl_image {
	char *path;		/* real path of the image file */
	char *loop;		/* the loop device when the volume is one, else NULL */
	dev_t dev;		/* st_dev and st_ino of the image */
	ino_t ino;
	off_t size;
	off_t allocated;	/* st_blocks * 512 */
};

struct rl_store {
	char *dir;		/* real path */
	dev_t dev;
	uint64_t mnt_id;
	bool have_mnt_id;
};

/* volume.c */
/* Resolves volume to its image and checks that it can be cloned into the
 * store; no side effects.  0, or -errno with a reason in why. */
int rl_resolve(const struct rl_store *st, const char *volume, struct rl_image *img,
	       char *why, size_t whylen);
void rl_image_clear(struct rl_image *img);
/* Opens (creating 0700) the store and proves with two unlinked files that
 * its filesystem clones (FICLONE).  0, or -errno with a reason in why. */
int rl_store_open(const char *dir, struct rl_store *st, char *why, size_t whylen);
/* Clones up to one block of the open image src_fd into an unlinked file in
 * the store: the image and the store are on one mount that clones. */
int rl_store_probe_image(const struct rl_store *st, int src_fd, char *why, size_t whylen);

/* meta.c */
struct rl_meta {
	vss_id_t id, set_id;
	int32_t count;
	int32_t attributes;
	vss_timestamp_t created;
	char *volume;
	char *image;
};
/* Writes DIR/ID.meta (tmp, fsync, rename, fsync dir). */
int rl_meta_write(const char *dir, const struct rl_meta *m);
/* Reads the file at path; 0 or -errno (-EINVAL: malformed). */
int rl_meta_read(const char *path, struct rl_meta *m);
/* The same from an open stream (the fuzz target's entry). */
int rl_meta_parse(FILE *f, struct rl_meta *m);
void rl_meta_clear(struct rl_meta *m);
/* "DIR/ID<suffix>", malloc'd. */
char *rl_path(const char *dir, const vss_id_t *id, const char *suffix);
int rl_fsync_dir(const char *dir);

#endif
