/* vss/backup.h — the requester API of libvss: IVssBackupComponents and
 * IVssAsync for C.  Manual: libvss-backup(3).
 *
 * One vss_backup_t is one connection to vssd and one backup (or restore)
 * session, exactly one IVssBackupComponents object: create it, drive it
 * through the sequence of vss-protocol(7), free it.  Freeing it releases
 * the session (vssd aborts what runs, sends BackupShutdown and deletes
 * auto-release snapshots).  Never reuse an object after BackupComplete or
 * AbortBackup.
 *
 * Every call returns a vss_hr_t: S_OK (or another success code) or a VSS
 * error code; on failure vss_last_error() names the call and says what
 * happened.  Calls made in a state the session does not allow fail with
 * VSS_E_BAD_STATE (the table is in libvss-backup(3)).  A lost connection to
 * vssd gives VSS_E_UNEXPECTED and the object is then dead.
 *
 * Threads: an object and its async handles belong to one thread at a time;
 * the library takes no locks.  Use one object per thread, or serialise.
 *
 * Strings are UTF-8.  Pointers returned as "const" stay owned by the object
 * and remain valid as documented per call; arrays returned through "**"
 * arguments belong to the caller and are freed with the matching
 * *_array_free. */
#ifndef VSS_BACKUP_H
#define VSS_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vss/metadata.h>
#include <vss/vss.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vss_backup vss_backup_t;
typedef struct vss_async vss_async_t;

/* Wait forever (vss_async_wait). */
#define VSS_INFINITE (-1)

/* One writer instance as returned by GetWriterMetadata. */
typedef struct vss_writer_metadata {
	vss_id_t instance_id;
	vss_id_t writer_id;		/* writer class */
	char *writer_name;
	char *instance_name;		/* may be "" */
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	VSS_APPLICATION_LEVEL level;
	char *wmd_xml;			/* the Writer Metadata Document */
} vss_writer_metadata_t;

/* One writer's status (GetWriterStatus; also vss_backup_list_writers,
 * which fills the fields after "message" too). */
typedef struct vss_writer_status {
	vss_id_t instance_id;
	vss_id_t writer_id;
	char *writer_name;
	char *instance_name;
	VSS_WRITER_STATE state;
	vss_hr_t failure_hr;		/* VSS_E_WRITERERROR_* or S_OK */
	vss_hr_t app_hr;		/* application's own code */
	char *message;			/* may be NULL */
	/* vss_backup_list_writers only */
	VSS_APPLICATION_LEVEL level;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	uint32_t freeze_timeout_ms;
	uint32_t pid;
} vss_writer_status_t;

/* ---- the object ---- */

/* CreateVssBackupComponents: connects to vssd (socket_path NULL: the
 * environment variable VSS_SOCKET, else the default) as a requester.
 * E_ACCESSDENIED when vssd refuses the caller, VSS_E_UNEXPECTED when it
 * cannot be reached, E_OUTOFMEMORY, E_INVALIDARG. */
vss_hr_t vss_backup_new(vss_backup_t **b, const char *socket_path);
/* Releases the object and closes the connection; NULL is a no-op.  Async
 * handles of the object stay valid to free (and report what they knew). */
void vss_backup_free(vss_backup_t *b);

/* ---- IVssBackupComponents ---- */
vss_hr_t vss_backup_initialize_for_backup(vss_backup_t *b, const char *bcd_xml);
vss_hr_t vss_backup_initialize_for_restore(vss_backup_t *b, const char *bcd_xml);
/* VSS_CTX_* possibly OR-ed with VSS_CTX_REQUESTER_ATTRS bits. */
vss_hr_t vss_backup_set_context(vss_backup_t *b, int32_t context);
vss_hr_t vss_backup_set_backup_state(vss_backup_t *b, bool select_components,
				     bool bootable_system_state,
				     VSS_BACKUP_TYPE type, bool partial_file_support);
vss_hr_t vss_backup_enable_writer_classes(vss_backup_t *b, const vss_id_t *ids,
					  size_t n);
vss_hr_t vss_backup_disable_writer_classes(vss_backup_t *b, const vss_id_t *ids,
					   size_t n);
vss_hr_t vss_backup_disable_writer_instances(vss_backup_t *b, const vss_id_t *ids,
					     size_t n);

vss_hr_t vss_backup_gather_writer_metadata(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_get_writer_metadata_count(vss_backup_t *b, unsigned *count);
/* *md stays owned by b and valid until b is freed. */
vss_hr_t vss_backup_get_writer_metadata(vss_backup_t *b, unsigned i,
					vss_id_t *instance_id,
					const vss_writer_metadata_t **md);
vss_hr_t vss_backup_free_writer_metadata(vss_backup_t *b);

vss_hr_t vss_backup_add_component(vss_backup_t *b, const vss_id_t *instance_id,
				  const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
				  const char *logical_path, const char *name);
vss_hr_t vss_backup_set_backup_options(vss_backup_t *b, const vss_id_t *writer_id,
				       VSS_COMPONENT_TYPE type,
				       const char *logical_path, const char *name,
				       const char *options);
vss_hr_t vss_backup_set_previous_backup_stamp(vss_backup_t *b,
					      const vss_id_t *writer_id,
					      VSS_COMPONENT_TYPE type,
					      const char *logical_path,
					      const char *name, const char *stamp);

vss_hr_t vss_backup_start_snapshot_set(vss_backup_t *b, vss_id_t *set_id);
/* provider_id NULL or VSS_ID_NULL: vssd chooses. */
vss_hr_t vss_backup_add_to_snapshot_set(vss_backup_t *b, const char *volume,
					const vss_id_t *provider_id,
					vss_id_t *snapshot_id);
vss_hr_t vss_backup_is_volume_supported(vss_backup_t *b, const char *volume,
					const vss_id_t *provider_id,
					bool *supported);

vss_hr_t vss_backup_prepare_for_backup(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_do_snapshot_set(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_gather_writer_status(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_get_writer_status_count(vss_backup_t *b, unsigned *count);
/* *st stays owned by b, valid until vss_backup_free_writer_status, the
 * next vss_backup_gather_writer_status or vss_backup_free. */
vss_hr_t vss_backup_get_writer_status(vss_backup_t *b, unsigned i,
				      const vss_writer_status_t **st);
vss_hr_t vss_backup_free_writer_status(vss_backup_t *b);

vss_hr_t vss_backup_set_backup_succeeded(vss_backup_t *b,
					 const vss_id_t *instance_id,
					 const vss_id_t *writer_id,
					 VSS_COMPONENT_TYPE type,
					 const char *logical_path,
					 const char *name, bool succeeded);

vss_hr_t vss_backup_backup_complete(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_abort_backup(vss_backup_t *b);

/* The caller clears *prop with vss_snapshot_prop_clear(). */
vss_hr_t vss_backup_get_snapshot_properties(vss_backup_t *b,
					    const vss_id_t *snapshot_id,
					    vss_snapshot_prop_t *prop);
/* Query(GUID_NULL, VSS_OBJECT_NONE, VSS_OBJECT_SNAPSHOT | PROVIDER): every
 * object visible in the session's context (VSS_CTX_ALL: all).  S_FALSE and
 * *n = 0 when there is none. */
vss_hr_t vss_backup_query_snapshots(vss_backup_t *b, vss_snapshot_prop_t **props,
				    size_t *n);
vss_hr_t vss_backup_query_providers(vss_backup_t *b, vss_provider_prop_t **props,
				    size_t *n);
void vss_snapshot_prop_array_free(vss_snapshot_prop_t *props, size_t n);
void vss_provider_prop_array_free(vss_provider_prop_t *props, size_t n);

/* source_type VSS_OBJECT_SNAPSHOT or VSS_OBJECT_SNAPSHOT_SET.  deleted and
 * nondeleted may be NULL; *nondeleted is the snapshot that failed (or
 * VSS_ID_NULL). */
vss_hr_t vss_backup_delete_snapshots(vss_backup_t *b, const vss_id_t *source_id,
				     VSS_OBJECT_TYPE source_type, bool force_delete,
				     long *deleted, vss_id_t *nondeleted);
/* *xml is malloc'd; the caller frees it. */
vss_hr_t vss_backup_save_as_xml(vss_backup_t *b, char **xml);

/* expose_name may be NULL; *exposed (may be NULL) is malloc'd. */
vss_hr_t vss_backup_expose_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id,
				    const char *expose_name, char **exposed);
vss_hr_t vss_backup_unexpose_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id);
/* Starts rewinding the snapshot's original volume (persistent snapshots
 * only); returns once the provider has started.  force_dismount: the
 * provider unmounts / detaches what uses the volume instead of failing
 * with VSS_E_VOLUME_IN_USE. */
vss_hr_t vss_backup_revert_to_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id,
				       bool force_dismount);
/* An async operation that ends when the revert of volume ends (with its
 * result); vss_async_query_progress() tells how far it got.
 * VSS_E_OBJECT_NOT_FOUND when no revert of the volume is known. */
vss_hr_t vss_backup_query_revert_status(vss_backup_t *b, const char *volume,
					vss_async_t **async);

/* ---- restore (after vss_backup_initialize_for_restore) ---- */
/* The component key is the one of the saved document: the writer's
 * instance and class id at backup time. */
vss_hr_t vss_backup_set_restore_state(vss_backup_t *b, VSS_RESTORE_TYPE type);
vss_hr_t vss_backup_set_selected_for_restore(vss_backup_t *b, const vss_id_t *instance_id,
					     const vss_id_t *writer_id,
					     VSS_COMPONENT_TYPE type,
					     const char *logical_path, const char *name,
					     bool selected);
vss_hr_t vss_backup_set_restore_options(vss_backup_t *b, const vss_id_t *instance_id,
					const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
					const char *logical_path, const char *name,
					const char *options);
vss_hr_t vss_backup_set_additional_restores(vss_backup_t *b, const vss_id_t *instance_id,
					    const vss_id_t *writer_id,
					    VSS_COMPONENT_TYPE type,
					    const char *logical_path, const char *name,
					    bool additional);
vss_hr_t vss_backup_pre_restore(vss_backup_t *b, vss_async_t **async);
vss_hr_t vss_backup_set_file_restore_status(vss_backup_t *b, const vss_id_t *instance_id,
					    const vss_id_t *writer_id,
					    VSS_COMPONENT_TYPE type,
					    const char *logical_path, const char *name,
					    VSS_FILE_RESTORE_STATUS status);
vss_hr_t vss_backup_post_restore(vss_backup_t *b, vss_async_t **async);

/* ---- administration (vssadmin) ---- */
/* Every subscribed writer with its last state. */
vss_hr_t vss_backup_list_writers(vss_backup_t *b, vss_writer_status_t **writers,
				 size_t *n);
vss_hr_t vss_backup_list_providers(vss_backup_t *b, vss_provider_prop_t **props,
				   size_t *n);
void vss_writer_status_array_free(vss_writer_status_t *st, size_t n);

/* ---- IVssAsync ---- */
/* Waits until the operation ends or timeout_ms passes (VSS_INFINITE).  S_OK
 * when the wait ended (also when a finite timeout expired: then
 * vss_async_query_status still reports VSS_S_ASYNC_PENDING); the
 * operation's failure code if it failed; VSS_E_UNEXPECTED if the
 * connection is lost. */
vss_hr_t vss_async_wait(vss_async_t *a, int timeout_ms);
/* *status: VSS_S_ASYNC_PENDING, VSS_S_ASYNC_FINISHED, VSS_S_ASYNC_CANCELLED
 * or the failure code.  Returns S_OK, or E_INVALIDARG for a NULL status. */
vss_hr_t vss_async_query_status(vss_async_t *a, vss_hr_t *status);
/* S_OK if a running operation was cancelled; VSS_S_ASYNC_CANCELLED or
 * VSS_S_ASYNC_FINISHED if it had already ended so; its error if it had
 * failed. */
vss_hr_t vss_async_cancel(vss_async_t *a);
/* Asks vssd how far the operation got (IVssAsync::QueryStatus's progress
 * word): *done of *total units (a revert: chunks); both 0 when the
 * operation reports no progress. */
vss_hr_t vss_async_query_progress(vss_async_t *a, uint64_t *done, uint64_t *total);
void vss_async_free(vss_async_t *a);

/* Convenience: wait forever, free the handle, and return the operation's
 * outcome (S_OK for VSS_S_ASYNC_FINISHED, else the failure or
 * VSS_S_ASYNC_CANCELLED).  a may be NULL (then returns E_INVALIDARG). */
vss_hr_t vss_async_finish(vss_async_t *a);

#ifdef __cplusplus
}
#endif
#endif
