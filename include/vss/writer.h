/* vss/writer.h — the writer API of libvss (CVssWriter).
 *
 * A writer is an application that owns data and can quiesce it.  It fills a
 * struct vss_writer_ops with its handlers, creates a vss_writer_t, gives it
 * an identity (vss_writer_initialize) and subscribes: from then on vssd
 * sends it events and the library runs the matching handler on a worker
 * thread, one thread per event, so that an Identify is answered while
 * another session's Freeze handler still runs.  A handler returns true for
 * success or false for a veto; it may record a failure code first with
 * vss_writer_set_failure().  The lifecycle is drawn in libvss-writer(3).
 *
 * Every call returns a vss_hr_t; on failure vss_last_error() holds
 * "vss_writer_xxx: CODE: what happened". */
#ifndef VSS_WRITER_H
#define VSS_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <vss/metadata.h>
#include <vss/vss.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vss_writer vss_writer_t;

/* Handlers.  New members are only ever appended; set struct_size to
 * sizeof(struct vss_writer_ops) so the library knows which ones exist.
 * on_prepare_snapshot, on_freeze, on_thaw and on_abort are mandatory; a
 * missing optional handler counts as "return true".  The bcd arguments are
 * NULL in whole-volume (non-component) backups. */
struct vss_writer_ops {
	uint32_t struct_size;
	/* md already carries the identity given to vss_writer_initialize. */
	bool (*on_identify)(vss_writer_t *w, vss_wmd_t *md, void *user);
	bool (*on_prepare_backup)(vss_writer_t *w, vss_bcd_t *components, void *user);
	bool (*on_prepare_snapshot)(vss_writer_t *w, void *user);
	bool (*on_freeze)(vss_writer_t *w, void *user);
	bool (*on_thaw)(vss_writer_t *w, void *user);
	bool (*on_post_snapshot)(vss_writer_t *w, vss_bcd_t *components, void *user);
	bool (*on_abort)(vss_writer_t *w, void *user);
	bool (*on_backup_complete)(vss_writer_t *w, vss_bcd_t *components, void *user);
	bool (*on_backup_shutdown)(vss_writer_t *w, const vss_id_t *snapshot_set_id,
				   void *user);
	bool (*on_pre_restore)(vss_writer_t *w, vss_bcd_t *components, void *user);
	bool (*on_post_restore)(vss_writer_t *w, vss_bcd_t *components, void *user);
	/* Optional: the connection to vssd was lost (vssd stopped or broke
	 * the protocol).  Runs on the library's receive thread; must not call
	 * vss_writer_unsubscribe/free.  vss_writer_wait() reports it too. */
	void (*on_disconnect)(vss_writer_t *w, vss_hr_t hr, void *user);
};

/* ---- lifetime ---- */
vss_hr_t vss_writer_new(const struct vss_writer_ops *ops, void *user, vss_writer_t **out);
/* Unsubscribes if needed, waits for running handlers.  NULL is a no-op. */
void vss_writer_free(vss_writer_t *w);
/* Socket of vssd (default: $VSS_SOCKET, else /run/vss/vssd.sock). */
vss_hr_t vss_writer_set_socket(vss_writer_t *w, const char *path);

/* CVssWriter::InitializeEx.  freeze_timeout_ms 0 means the default 60000;
 * instance_name may be NULL.  Once, before subscribing. */
vss_hr_t vss_writer_initialize(vss_writer_t *w, const vss_id_t *class_id, const char *name,
			       VSS_USAGE_TYPE usage, VSS_SOURCE_TYPE source,
			       VSS_APPLICATION_LEVEL level, uint32_t freeze_timeout_ms,
			       const char *instance_name, uint32_t major, uint32_t minor);
/* Connects to vssd and subscribes (flags: VSS_SM_*, 0 = backup and restore
 * events).  A second call while subscribed: VSS_E_WRITER_ALREADY_SUBSCRIBED.
 * After the connection was lost, calling it again reconnects (the writer
 * gets a new instance id).  vssd not reachable: VSS_E_WRITER_INFRASTRUCTURE. */
vss_hr_t vss_writer_subscribe(vss_writer_t *w, uint32_t flags);
/* Stops receiving events; waits for running handlers.  Not from a handler. */
vss_hr_t vss_writer_unsubscribe(vss_writer_t *w);
/* Blocks until the writer stops being subscribed or timeout_ms passes (-1:
 * forever).  S_OK: unsubscribed; S_FALSE: timed out, still subscribed;
 * VSS_E_WRITER_INFRASTRUCTURE: the connection to vssd was lost (and no
 * subscribe since has worked). */
vss_hr_t vss_writer_wait(vss_writer_t *w, int timeout_ms);
/* The instance id vssd assigned at subscription. */
vss_hr_t vss_writer_get_instance_id(vss_writer_t *w, vss_id_t *id);

/* ---- inside a handler (its own thread only; elsewhere VSS_E_BAD_STATE) ---- */
/* Failure for the current event (VSS_E_WRITERERROR_*); not in on_identify. */
vss_hr_t vss_writer_set_failure(vss_writer_t *w, vss_hr_t hr);
vss_hr_t vss_writer_set_failure_ex(vss_writer_t *w, vss_hr_t hr, vss_hr_t app_hr,
				   const char *message);
vss_hr_t vss_writer_get_current_snapshot_set_id(vss_writer_t *w, vss_id_t *id);
vss_hr_t vss_writer_get_current_volume_count(vss_writer_t *w, unsigned *count);
/* The set's volumes (device paths or mount points); valid until the
 * handler returns. */
vss_hr_t vss_writer_get_current_volume_array(vss_writer_t *w, const char *const **volumes,
					     unsigned *count);
/* Whether path lies on a volume of the current set (same device as a
 * volume, or below one of its mount points). */
vss_hr_t vss_writer_is_path_affected(vss_writer_t *w, const char *path, bool *affected);
vss_hr_t vss_writer_get_backup_type(vss_writer_t *w, VSS_BACKUP_TYPE *type);
vss_hr_t vss_writer_get_restore_type(vss_writer_t *w, VSS_RESTORE_TYPE *type);
vss_hr_t vss_writer_are_components_selected(vss_writer_t *w, bool *selected);
vss_hr_t vss_writer_is_bootable_system_state_backed_up(vss_writer_t *w, bool *backed_up);
vss_hr_t vss_writer_is_partial_file_support_enabled(vss_writer_t *w, bool *enabled);
vss_hr_t vss_writer_get_context(vss_writer_t *w, int32_t *context);
vss_hr_t vss_writer_get_current_level(vss_writer_t *w, VSS_APPLICATION_LEVEL *level);
vss_hr_t vss_writer_get_session_id(vss_writer_t *w, vss_id_t *id);
/* True inside the on_abort the library itself raised because the freeze
 * timer (freeze_timeout_ms) expired before Thaw. */
vss_hr_t vss_writer_is_freeze_timeout_abort(vss_writer_t *w, bool *timeout);

#ifdef __cplusplus
}
#endif
#endif
