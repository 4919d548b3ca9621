/* vss/provider.h — the provider API of libvss (IVssSoftwareSnapshotProvider
 * and IVssProviderCreateSnapshotSet).
 *
 * A provider fills a struct vss_provider_ops, creates a vss_provider_t and
 * registers with vssd; vssd then calls it during AddToSnapshotSet,
 * DoSnapshotSet and snapshot management.  Each call runs on a worker thread
 * of the library: calls of different snapshot sets or sessions may run at
 * the same time (an IsVolumeSupported during another set's EndPrepare);
 * vssd sends the calls of one set one after the other.  A callback returns
 * S_OK or one of the codes of vss-protocol §8.5; vssd converts anything
 * else to VSS_E_UNEXPECTED_PROVIDER_ERROR.  The lifecycle is drawn in
 * libvss-provider(3). */
#ifndef VSS_PROVIDER_H
#define VSS_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>
#include <vss/vss.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vss_provider vss_provider_t;
/* The result list of a Query call, filled with vss_provider_query_add(). */
typedef struct vss_provider_query vss_provider_query_t;

/* New members are only ever appended; set struct_size to
 * sizeof(struct vss_provider_ops).  A NULL member answers S_OK (the
 * trivial provider), except is_volume_supported (answers "not supported"),
 * get_snapshot_properties (VSS_E_OBJECT_NOT_FOUND), delete_snapshots
 * (VSS_E_OBJECT_NOT_FOUND), query (an empty list) and the management calls
 * after on_disconnect (E_NOTIMPL). */
struct vss_provider_ops {
	uint32_t struct_size;
	vss_hr_t (*is_volume_supported)(vss_provider_t *p, const char *volume,
					bool *supported, void *user);
	vss_hr_t (*begin_prepare_snapshot)(vss_provider_t *p, const vss_id_t *set_id,
					   const vss_id_t *snapshot_id, const char *volume,
					   int32_t context, void *user);
	vss_hr_t (*end_prepare_snapshots)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	vss_hr_t (*pre_commit)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	/* Inside the flush-and-hold window: no I/O to the held volumes, no
	 * synchronous logging. */
	vss_hr_t (*commit)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	vss_hr_t (*post_commit)(vss_provider_t *p, const vss_id_t *set_id, int32_t count,
				void *user);
	vss_hr_t (*pre_final_commit)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	vss_hr_t (*post_final_commit)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	/* Result ignored by vssd. */
	vss_hr_t (*abort_snapshots)(vss_provider_t *p, const vss_id_t *set_id, void *user);
	/* Fill prop with malloc'd strings; the library frees them. */
	vss_hr_t (*get_snapshot_properties)(vss_provider_t *p, const vss_id_t *snapshot_id,
					    vss_snapshot_prop_t *prop, void *user);
	/* type: VSS_OBJECT_SNAPSHOT or VSS_OBJECT_SNAPSHOT_SET. */
	vss_hr_t (*delete_snapshots)(vss_provider_t *p, const vss_id_t *source_id,
				     VSS_OBJECT_TYPE type, bool force, int32_t *deleted,
				     vss_id_t *nondeleted, void *user);
	vss_hr_t (*query)(vss_provider_t *p, vss_provider_query_t *q, void *user);
	/* Optional: the connection to vssd was lost (receive thread). */
	void (*on_disconnect)(vss_provider_t *p, vss_hr_t hr, void *user);
	/* ---- snapshot management (appended; NULL answers E_NOTIMPL) ---- */
	/* ExposeSnapshot, locally: name is a directory to mount the snapshot
	 * at, or NULL (the snapshot's device is the exposure).  Set
	 * *exposed_name (malloc'd: the directory or the device) and, if any,
	 * *exposed_path.  vssd has checked the snapshot is persistent and not
	 * exposed yet. */
	vss_hr_t (*expose_snapshot)(vss_provider_t *p, const vss_id_t *snapshot_id,
				    const char *name, char **exposed_name,
				    char **exposed_path, void *user);
	/* UnexposeSnapshot: unmount what expose_snapshot mounted. */
	vss_hr_t (*unexpose_snapshot)(vss_provider_t *p, const vss_id_t *snapshot_id,
				      void *user);
	/* RevertToSnapshot: start rewinding the snapshot's original volume
	 * and return; the revert runs on in the provider.  force: detach what
	 * uses the volume instead of failing with VSS_E_VOLUME_IN_USE. */
	vss_hr_t (*revert_to_snapshot)(vss_provider_t *p, const vss_id_t *snapshot_id,
				       bool force, void *user);
	/* QueryRevertStatus: the last revert of volume.  *status is
	 * VSS_S_ASYNC_PENDING while it runs, then VSS_S_ASYNC_FINISHED or its
	 * failure; *done / *total its progress (total 0: unknown);
	 * *snapshot_id the snapshot reverted to.  VSS_E_OBJECT_NOT_FOUND
	 * when no revert of the volume is known. */
	vss_hr_t (*query_revert_status)(vss_provider_t *p, const char *volume,
					vss_hr_t *status, uint64_t *done, uint64_t *total,
					vss_id_t *snapshot_id, void *user);
};

vss_hr_t vss_provider_new(const struct vss_provider_ops *ops, void *user,
			  vss_provider_t **out);
/* Unregisters if needed, waits for running calls.  NULL is a no-op. */
void vss_provider_free(vss_provider_t *p);
/* Socket of vssd (default: $VSS_SOCKET, else /run/vss/vssd.sock). */
vss_hr_t vss_provider_set_socket(vss_provider_t *p, const char *path);
/* on: the connections made by later registrations serve CommitSnapshots
 * (the call inside the flush-and-hold window) on a thread at real-time
 * priority (SCHED_FIFO 1), handed it by a receive thread at that priority,
 * so that a busy machine does not lengthen the window; every other call
 * runs at normal priority.  E_ACCESSDENIED when the process may not use
 * SCHED_FIFO (CAP_SYS_NICE or RLIMIT_RTPRIO >= 1 is needed).  Default
 * off. */
vss_hr_t vss_provider_set_realtime(vss_provider_t *p, bool on);
/* Connects (role provider; root or the vss group) and registers.  vssd
 * answers VSS_E_PROVIDER_ALREADY_REGISTERED for a provider id already
 * present.  version_id may be NULL.  After a lost connection, registering
 * again reconnects. */
vss_hr_t vss_provider_register(vss_provider_t *p, const vss_id_t *provider_id,
			       const char *name, VSS_PROVIDER_TYPE type, const char *version,
			       const vss_id_t *version_id);
/* Closes the connection (vssd forgets the provider); waits for calls. */
vss_hr_t vss_provider_unregister(vss_provider_t *p);
/* Blocks until the provider stops being registered or timeout_ms passes
 * (-1: forever).  S_OK: unregistered; S_FALSE: timed out, still
 * registered; VSS_E_PROVIDER_NOT_REGISTERED: the connection was lost (and
 * no register since has worked). */
vss_hr_t vss_provider_wait(vss_provider_t *p, int timeout_ms);
/* Tells vssd a snapshot is gone (diff area full, backing lost); message
 * says why. */
vss_hr_t vss_provider_notify_snapshot_lost(vss_provider_t *p, const vss_id_t *snapshot_id,
					   const char *message);
/* In the query callback: appends one snapshot (copied). */
vss_hr_t vss_provider_query_add(vss_provider_query_t *q, const vss_snapshot_prop_t *prop);

#ifdef __cplusplus
}
#endif
#endif
