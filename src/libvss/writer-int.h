/* writer-int.h — internal pieces of the writer library that are tested on
 * their own (tests/unit-writer.c) or swapped as the metadata model grows. */
#ifndef VSS_LIBVSS_WRITER_INT_H
#define VSS_LIBVSS_WRITER_INT_H

#include <limits.h>
#include <stdbool.h>
#include <vss/writer.h>

/* IsPathAffected (writer-path.c): 0 and *affected, or -errno when path is
 * not absolute or no prefix of it exists. */
int path_on_volumes(const char *path, const char *const *vols, unsigned n, bool *affected);
/* The mount point of the file system holding path (its longest existing
 * prefix), into mnt (PATH_MAX bytes); 0 or -errno. */
int path_mount_point(const char *path, char mnt[PATH_MAX]);

/* Identity given to vss_writer_initialize, as written into the WMD. */
struct writer_identity {
	vss_id_t class_id;
	vss_id_t instance_id;
	const char *name;
	const char *instance_name;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	uint32_t major, minor;
};

/* Metadata glue (writer-md.c).  wmd_begin makes the document handed to
 * OnIdentify; wmd_finish serialises it (*xml malloc'd) and frees it.
 * bcd_begin parses the event's BCD_XML (NULL xml: *bcd NULL); bcd_finish
 * serialises it back when save is set, then frees it.  All return S_OK or
 * a VSS error code, with *err the thread's vss_last_error(). */
vss_hr_t wmd_begin(const struct writer_identity *id, vss_wmd_t **md, const char **err);
vss_hr_t wmd_finish(vss_wmd_t *md, char **xml, const char **err);
vss_hr_t bcd_begin(const char *xml, vss_bcd_t **bcd, const char **err);
vss_hr_t bcd_finish(vss_bcd_t *bcd, bool save, char **xml, const char **err);

#endif
