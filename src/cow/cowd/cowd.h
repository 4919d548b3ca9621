/* cowd.h — vss-cowd, the copy-on-write provider daemon (internal).
 *
 * Design note.  A volume (struct cvol) is an engine volume (origin + diff
 * area) registered in the state dir.  Every volume and every exposed
 * snapshot is a file (struct cnode) in one FUSE filesystem mounted at the
 * export dir; a loop device (LOOP_CONFIGURE, direct I/O, autoclear) is
 * attached to each file.  Locks:
 *
 *   tbl_lock      the lists of volumes, nodes and snapshots and every field
 *                 but the data path; never held across a call that may wait
 *                 for the FUSE threads (open of an export file, loop ioctls)
 *   vol->io_lock  read-held by every FUSE I/O on the volume and its
 *                 snapshots; write-held only to close the engine volume, so
 *                 a closed volume answers EIO and never a freed pointer
 *   hold_lock     (hold.c) the commit's write hold; a write, discard or
 *                 fsync of a live volume takes it only while its volume is
 *                 held (the fast path is two atomics), before io_lock,
 *                 never across I/O
 *
 * Nodes are reference counted (the table holds one, each open FUSE file
 * one); inode numbers are never reused, so a stale inode finds nothing.
 * The engine's overflow callback runs with engine locks held and only
 * queues the lost snapshot; the main loop handles it (see overflow_drain).
 * Internal functions return 0 or -errno. */
#ifndef VSS_COWD_H
#define VSS_COWD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <vss/provider.h>
#include "cow/engine/cow.h"

#define COWD_NAME_MAX	64
#define COWD_PROVIDER_NAME "openvss copy-on-write provider"
/* {b18294a8-e7c6-42c2-960e-3676125b2860}: the provider id of vss-cowd. */
#define COWD_PROVIDER_ID { { 0xb1, 0x82, 0x94, 0xa8, 0xe7, 0xc6, 0x42, 0xc2, \
			     0x96, 0x0e, 0x36, 0x76, 0x12, 0x5b, 0x28, 0x60 } }

struct cvol;

/* A file of the export dir: a live volume (snap == 0) or a snapshot. */
struct cnode {
	struct cnode *next;
	char name[COWD_NAME_MAX + 48];
	uint64_t ino;
	int refs;			/* tbl_lock */
	int opens;			/* of refs, those of open FUSE files (tbl_lock) */
	bool dead;			/* removed from the export dir: on dead_nodes */
	bool ro;
	struct cvol *vol;		/* holds a reference */
	uint64_t snap;			/* engine snapshot id, 0: live */
	char loopdev[32];		/* "" when not attached */
	dev_t loop_rdev;
	int loop_fd;
};

/* A snapshot as VSS sees it. */
struct csnap {
	struct csnap *next;
	vss_snapshot_prop_t prop;	/* device/volume names filled on demand */
	uint64_t engine_id;		/* 0 until committed */
	struct cnode *node;		/* exposed file, or NULL */
	/* ExposeSnapshot (manage.c): exposed as its device, or mounted
	 * read-only at mnt */
	bool exposed;
	char *mnt;			/* NULL: the device is the exposure */
};

/* The last RevertToSnapshot of a volume (manage.c). */
struct crevert {
	bool running;			/* the revert thread works (tbl_lock) */
	bool known;			/* there is a revert to report */
	vss_id_t snapshot_id;
	uint64_t engine_id;
	vss_hr_t status;		/* VSS_S_ASYNC_PENDING, FINISHED or failure */
	uint64_t done, total;		/* chunks */
	pthread_t thread;		/* detached; holds a reference to the volume */
};

struct cvol {
	struct cvol *next;
	int refs;			/* tbl_lock */
	char name[COWD_NAME_MAX + 1];
	char *backing, *diff;
	char *storage;			/* where the diff area is: its dir, or the device */
	/* the backing and the diff area: their OFD-locked descriptors (-1:
	 * none) and what they were when opened */
	int lock_fd[2];
	struct fileid *id[2];
	bool explicit_storage;		/* an association was made (vss-cowd(8)) */
	bool moving;			/* tbl_lock: the diff area is being moved */
	uint32_t chunk;
	uint64_t maxsize, size;		/* maxsize: COW_DIFF_UNBOUNDED for none */
	pthread_rwlock_t io_lock;
	struct cow_volume *cow;		/* NULL once closed (io_lock) */
	struct cnode *live;
	struct csnap *snaps;		/* tbl_lock */
	atomic_bool held;		/* hold.c: writes wait (set under hold_lock) */
	atomic_uint inflight;		/* writes under way (hold.c) */
	struct crevert revert;		/* tbl_lock */
	/* tbl_lock: an interrupted revert that could not be resumed (the
	 * volume may hold a mix of its old and the snapshot's data), shown by
	 * list volumes until a revert of the volume completes; or NULL */
	char *warning;
};

struct cowd_cfg {
	const char *state_dir;
	const char *export_dir;
	const char *coordinator;	/* NULL: libvss default */
	bool foreground;
	int verbose;
};
extern struct cowd_cfg cfg;
extern pthread_mutex_t tbl_lock;
extern struct cvol *volumes;
extern struct cnode *nodes;
extern struct cnode *dead_nodes;	/* removed, still referenced */

/* volumes.c */
/* Describes a refusal in err and returns r (a -errno). */
__attribute__((format(printf, 4, 5)))
int fail(char *err, size_t len, int r, const char *fmt, ...);
struct cvol *vol_find(const char *name);		/* tbl_lock */
struct cvol *vol_find_dev(dev_t rdev);			/* tbl_lock */
void vol_put(struct cvol *v);				/* tbl_lock */
void node_put(struct cnode *n);				/* tbl_lock */
struct cnode *node_find_ino(uint64_t ino);		/* tbl_lock */
struct cnode *node_find_name(const char *name);		/* tbl_lock */
/* create: 0 (backing exists), VOL_CREATE (a new file of size bytes,
 * allocated) or VOL_CREATE_SPARSE (a new file, nothing allocated). */
enum { VOL_CREATE = 1, VOL_CREATE_SPARSE = 2 };
int vol_add(const char *name, const char *backing, const char *diff, uint64_t size,
	    int create, uint64_t maxsize, uint32_t chunk, char *err, size_t errlen);
/* Refuses (-EEXIST, err naming the other volume) a backing or a diff area
 * (either NULL: not checked) that is, or overlaps, under whatever name, a
 * backing or diff area of a registered volume other than self, as it is
 * open or as its registered name names it now; and (-EXDEV) a diff area
 * that is, or is on, the backing. */
int vol_files_check(const char *self, const char *backing, const char *diff, char *err,
		    size_t errlen);
/* Removes a diff area that is a regular file (a device is left alone). */
void unlink_diff(const char *diff);
/* Creates a diff area for backing at diff and opens it: sized for the
 * origin (or max, when larger) and capped at max (COW_DIFF_UNBOUNDED). */
int diff_create(const char *backing, const char *diff, uint32_t chunk, uint64_t origin_size,
		uint64_t max, struct cow_volume **out);
int vol_remove(const char *name, bool force, char *err, size_t errlen);
int vol_load_all(void);
/* A registered volume that could not be opened at start (its record is
 * kept: it is listed with why, refused as a name for a new volume, and
 * removed from the registry by a forced removal, its files left alone). */
#define COWD_WHY_MAX 256
struct cunavail {
	char *name, *backing, *diff;
	char why[COWD_WHY_MAX];
	struct cunavail *next;
};
extern struct cunavail *unavailable;			/* tbl_lock */
void vol_close_all(void);
/* Exposes a committed snapshot: FUSE file + read-only loop device. */
int snap_expose(struct cvol *v, struct csnap *s);
/* Detaches and forgets the snapshot's file and loop device. */
void snap_unexpose(struct csnap *s);
/* Deletes a snapshot everywhere: engine, record, exposure; frees s.  The
 * caller took s off v->snaps. */
int snap_destroy(struct cvol *v, struct csnap *s);
bool path_on_served_volume(const char *path);
bool dev_in_use(const char *dev);
/* umount2() of a filesystem on one of our own devices, in a child process:
 * the unmount syncs through our FUSE workers, and a tool that serialises
 * the daemon's threads around syscalls (valgrind) would otherwise hold
 * them back while this thread waits.  0, or -1 with errno. */
int umount_own(const char *path, int flags);
/* COWCTL_STOP: 0 when nothing is in use but vss-cowd's own exposures (or
 * force: a warning names what will be detached lazily); else an error with
 * the devices in err (-EADDRINUSE: VSS_E_VOLUME_IN_USE). */
int stop_check(bool force, char *err, size_t errlen);
/* Set by the control socket: the main loop stops (main.c). */
extern _Atomic bool stop_requested;
void overflow_cb(void *arg, uint64_t id, const uint8_t *tag);
int overflow_fd(void);
void overflow_drain(vss_provider_t *p);

/* manage.c: ExposeSnapshot, UnexposeSnapshot, RevertToSnapshot,
 * QueryRevertStatus (provider calls), and what DeleteSnapshots / stop /
 * start need of them. */
/* Serializes the management of snapshots (expose, unexpose, revert start,
 * delete, overflow, volume removal); taken before tbl_lock. */
extern pthread_mutex_t mgmt_lock;
vss_hr_t mgmt_expose(vss_provider_t *p, const vss_id_t *id, const char *name, char **exposed_name,
		     char **exposed_path, void *u);
vss_hr_t mgmt_unexpose(vss_provider_t *p, const vss_id_t *id, void *u);
vss_hr_t mgmt_revert(vss_provider_t *p, const vss_id_t *id, bool force, void *u);
vss_hr_t mgmt_revert_status(vss_provider_t *p, const char *volume, vss_hr_t *status,
			    uint64_t *done, uint64_t *total, vss_id_t *id, void *u);
/* Before a snapshot is deleted: an exposed one is unmounted when force
 * (VSS_E_VOLUME_IN_USE if that fails or without force); a volume being
 * reverted refuses (VSS_E_REVERT_IN_PROGRESS).  mgmt_lock held. */
vss_hr_t mgmt_release_for_delete(struct cvol *v, struct csnap *s, bool force);
vss_hr_t mgmt_reexpose(struct cvol *v, struct csnap *s, const char *mnt);
/* Unmounts every exposure (stop); waits for running reverts. */
void mgmt_stop(void);
/* After a volume opened: remounts its persistent exposures and resumes an
 * interrupted revert. */
void mgmt_volume_opened(struct cvol *v);
bool mgmt_reverting(struct cvol *v);			/* tbl_lock */
/* storage.c: shadow storage associations (vss-cowd(8) "SHADOW STORAGE") */
/* The storage location of a diff area: its directory, or itself when it
 * is a block device (malloc'd). */
char *storage_of(const char *diff);
int storage_add(const char *name, const char *on, bool has_max, uint64_t max, uint32_t pct,
		char *err, size_t errlen);
int storage_resize(const char *name, const char *on, bool has_max, uint64_t max,
		   uint32_t pct, char *err, size_t errlen);
int storage_delete(const char *name, const char *on, char *err, size_t errlen);
/* Whether v matches the list filters (NULL: any). tbl_lock. */
bool storage_match(const struct cvol *v, const char *for_vol, const char *on);
/* Space the diff area takes on its storage now. */
uint64_t storage_allocated(const struct cvol *v, const struct cow_stats *st);

/* fileid.c: what a backing or a diff area is, whatever it is called
 * (design note there) */
#define FILEID_MAX	16
struct fileid_one {
	bool blk;			/* dev: a block device's st_rdev */
	bool same;			/* the file itself, not something it is part of */
	dev_t dev;
	ino_t ino;			/* of a regular file */
};
struct fileid {
	char *path;			/* canonical name, or NULL */
	unsigned n;			/* 0: it does not exist */
	struct fileid_one id[FILEID_MAX];
};
/* NULL only when out of memory (fileid_overlap says APART for NULL). */
struct fileid *fileid_of_path(const char *path);
struct fileid *fileid_of_fd(int fd, const char *path);
struct fileid *fileid_of_dev(dev_t blk);
void fileid_free(struct fileid *f);
bool fileid_has(const struct fileid *f, bool blk, dev_t dev, ino_t ino);
enum { FILEID_APART, FILEID_SAME, FILEID_PART };
int fileid_overlap(const struct fileid *a, const struct fileid *b);
/* Opens path read-write (create: creating it, never through a symbolic
 * link, when it does not exist; *created says so) and takes an exclusive
 * OFD lock on all of it, so that no other vss-cowd opens it while this one
 * has it: -EADDRINUSE when another holds one.  A filesystem that cannot
 * lock is logged and not refused. */
int file_lock(const char *path, bool create, int *fd, bool *created, char *err,
	      size_t errlen);
/* "/proc/self/fd/FD": the file fd is open on, whatever its name now. */
const char *fd_path(int fd, char *buf, size_t len);

/* registry.c */
int reg_init(void);
int reg_save_volume(const struct cvol *v);
int reg_remove_volume(const char *name);
/* A volume record of that name exists (or cannot be said not to). */
bool reg_has_volume(const char *name);
int reg_save_snapshot(const char *volume, const struct csnap *s);
int reg_remove_snapshot(const vss_id_t *id);
/* Calls fn for each registered volume (explicit_storage -1: not recorded,
 * a record of an older vss-cowd); an unreadable record is logged and
 * skipped, and, if its file name is a volume name, given to bad with the
 * reason. */
int reg_load_volumes(int (*fn)(const char *name, const char *backing, const char *diff,
			       uint32_t chunk, uint64_t maxsize, int explicit_storage),
		     void (*bad)(const char *name, const char *why));
/* Reads a snapshot record: 0, -ENOENT, -EBADMSG (unreadable: logged with
 * why). */
int reg_load_snapshot(const vss_id_t *id, char *volume, size_t vlen, vss_snapshot_prop_t *p);
/* Calls fn with the id of every snapshot record. */
int reg_for_each_snapshot(void (*fn)(const vss_id_t *id, void *arg), void *arg);
/* The exposure kept in a snapshot's record: 1 (mnt: the directory or
 * "device"), 0 (not exposed), -ENOENT, -EBADMSG (unreadable: logged). */
int reg_load_exposure(const vss_id_t *id, char *mnt, size_t len);
/* <state-dir>/<volume>.revert: a revert that started and has not ended. */
int reg_save_revert(const char *volume, const vss_id_t *id);
int reg_remove_revert(const char *volume);
/* 0, -ENOENT, -EBADMSG (unreadable: logged, the revert not resumed, and
 * err says so, naming the record) */
int reg_load_revert(const char *volume, vss_id_t *id, char *err, size_t errlen);
/* Writes buf to path atomically (tmp, fsync, rename, fsync dir). */
int write_atomic(const char *path, const char *buf, size_t len);

/* fuse.c */
int fuse_start(void);
void fuse_stop(void);
/* The kernel forgets its cached entry for a file taken out of the export
 * dir, so that a new file of the same name is found at once. */
void fuse_forget_name(const char *name);
/* Once the FUSE threads are gone: the references of files the kernel
 * never released (a loop device detached lazily) are dropped. tbl_lock. */
void nodes_drop_opens(void);
uint64_t fuse_next_ino(void);

/* loopdev.c */
int loop_attach(const char *file, bool ro, char *dev, size_t devlen, dev_t *rdev, int *fd);
void loop_detach(int fd, const char *dev);

/* provider.c */
extern const struct vss_provider_ops cowd_provider_ops;
extern const vss_id_t cowd_provider_id;
void provider_flush_log(void);
/* The tests' pauses: $name in ms, 0 when unset or outside 0..5000. */
long test_ms(const char *name);
void sleep_ms(long ms);

/* hold.c: the block-level write hold of a commit (design note there) */
#define HOLD_BOUND_MS	10000
/* The bound: HOLD_BOUND_MS, or $VSS_COWD_HOLD_MS (100 to HOLD_BOUND_MS). */
unsigned hold_bound_ms(void);
/* Around every write, discard and fsync of a live volume: waits while the
 * volume is held (at most until the bound), then counts the I/O in flight. */
void hold_io_begin(struct cvol *v);
void hold_io_end(struct cvol *v);
/* Holds the n volumes (the caller holds a reference on each, and no
 * tbl_lock) and waits for their writes in flight: 0, or -ETIMEDOUT (the
 * bound passed or hold_cancel; call hold_end all the same). */
int hold_begin(struct cvol *const *v, size_t n);
/* Releases every held write; -ETIMEDOUT when the hold broke meanwhile (the
 * commit must fail), else 0.  held_us: how long it held. */
int hold_end(struct cvol *const *v, size_t n, int64_t *held_us);
/* Breaks a hold under way (AbortSnapshots, vssd lost); no-op otherwise. */
void hold_cancel(void);

/* ctl.c */
int ctl_listen(void);
/* Serves the control socket lfd on threads of its own; ctl_stop_fd is
 * readable once a stop was accepted; ctl_stop ends the serving, waiting
 * for the requests under way. */
int ctl_start(int lfd);
int ctl_stop_fd(void);
void ctl_stop(void);

#endif
