/* ctl-proto.h — the control protocol of vss-cowd (vss-cowadm <-> vss-cowd).
 *
 * Frames and attributes are those of src/common/wire.h on the Unix stream
 * socket STATE_DIR/cowd.sock; one request per connection, one reply
 * (WIRE_REPLY) carrying CA_HR and, on failure, CA_MESSAGE.  Documented in
 * vss-cowd(8). */
#ifndef VSS_COWD_CTL_PROTO_H
#define VSS_COWD_CTL_PROTO_H

#include <stdint.h>

#define COWD_CTL_SOCKET "cowd.sock"

enum cowctl_msg {
	COWCTL_ADD_VOLUME = 1,		/* NAME BACKING [DIFF] [SIZE CREATE] [MAXSIZE] [CHUNK] -> DEVICE */
	COWCTL_REMOVE_VOLUME = 2,	/* NAME [FORCE] */
	COWCTL_LIST_VOLUMES = 3,	/* -> VOLUME* */
	COWCTL_ADD_STORAGE = 4,		/* NAME ON [MAXSIZE | MAXPCT] */
	COWCTL_RESIZE_STORAGE = 5,	/* NAME [ON] MAXSIZE | MAXPCT */
	COWCTL_DELETE_STORAGE = 6,	/* NAME [ON] */
	COWCTL_LIST_STORAGE = 7,	/* [NAME] [ON] -> STORAGE* */
	COWCTL_STOP = 8,		/* [FORCE]: refused while a device is in use, unless FORCE */
};

/* CA_MAXSIZE of a shadow storage request or listing: none. */
#define COWCTL_UNBOUNDED UINT64_MAX

enum cowctl_attr {
	CA_HR = 0x01,		/* u32 vss_hr_t (as ATTR_HR) */
	CA_MESSAGE = 0x02,	/* str (as ATTR_MESSAGE) */
	CA_NAME = 0x100,	/* str */
	CA_BACKING = 0x101,	/* str */
	CA_DIFF = 0x102,	/* str */
	CA_SIZE = 0x103,	/* u64 bytes */
	CA_CREATE = 0x104,	/* u32: bit 0 create the backing file, bit 1 sparse */
	CA_MAXSIZE = 0x105,	/* u64 bytes */
	CA_CHUNK = 0x106,	/* u32 bytes */
	CA_FORCE = 0x107,	/* u32 0/1 */
	CA_DEVICE = 0x108,	/* str: loop device */
	CA_VOLUME = 0x109,	/* nest: one volume */
	CA_SNAPSHOT = 0x10a,	/* nest: one snapshot of a volume */
	CA_ID = 0x10b,		/* id: snapshot id */
	CA_SET = 0x10c,		/* id: snapshot set id */
	CA_CREATED = 0x10d,	/* u64: vss_timestamp_t */
	CA_ATTRIBUTES = 0x10e,	/* u32: VSS_VOLSNAP_ATTR_* */
	CA_DIFF_USED = 0x10f,	/* u64 bytes */
	CA_MOUNTED = 0x110,	/* u32: 1 when the live device is in use */
	CA_EXPORT = 0x111,	/* str: the FUSE file */
	CA_ON = 0x112,		/* str: shadow storage location (dir or device) */
	CA_MAXPCT = 0x113,	/* u32: maximum in percent of the volume, 1-100 */
	CA_ALLOCATED = 0x114,	/* u64 bytes: the diff area's space on its storage */
	CA_STORAGE = 0x115,	/* nest: one shadow storage association */
	CA_EXPLICIT = 0x116,	/* u32: 1 = an association, 0 = the default */
	CA_UNAVAILABLE = 0x117,	/* str: why a registered volume is not open */
	CA_WARNING = 0x118,	/* str: what is wrong with an open volume */
	CA_MOUNT_POINT = 0x119,	/* str, one per mount of the live device */
	CA_EXPOSED = 0x11a,	/* str: an exposed snapshot's directory, or its device */
};

/* CA_CREATE bits (a vss-cowd before CA_CREATE_SPARSE took any non-zero
 * value as "create", sparse) */
#define CA_CREATE_FILE		0x1u
#define CA_CREATE_SPARSE	0x2u

#endif
