/* vss/metadata.h — the two XML documents of VSS: the Writer Metadata
 * Document (IVssCreateWriterMetadata / IVssExamineWriterMetadata,
 * IVssWMComponent, IVssWMFiledesc, IVssWMDependency) and the Backup
 * Components Document (IVssBackupComponents::SaveAsXML / InitializeForRestore,
 * IVssWriterComponents, IVssComponent).
 *
 * Strings are UTF-8.  Getters return borrowed pointers valid until the next
 * call that modifies the same document or frees it; an absent optional
 * string reads as NULL.  Every call returns a VSS result code and records a
 * message for vss_last_error() when it fails.  See libvss-metadata(3). */
#ifndef VSS_METADATA_H
#define VSS_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vss/vss.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	VSS_RME_UNDEFINED = 0,
	VSS_RME_RESTORE_IF_NOT_THERE = 1,
	VSS_RME_RESTORE_IF_CAN_REPLACE = 2,
	VSS_RME_STOP_RESTORE_START = 3,
	VSS_RME_RESTORE_TO_ALTERNATE_LOCATION = 4,
	VSS_RME_RESTORE_AT_REBOOT = 5,
	VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE = 6,
	VSS_RME_CUSTOM = 7,
	VSS_RME_RESTORE_STOP_START = 8
} VSS_RESTOREMETHOD_ENUM;

typedef enum {
	VSS_WRE_UNDEFINED = 0,
	VSS_WRE_NEVER = 1,
	VSS_WRE_IF_REPLACE_FAILS = 2,
	VSS_WRE_ALWAYS = 3
} VSS_WRITERRESTORE_ENUM;

typedef enum {
	VSS_RT_UNDEFINED = 0,
	VSS_RT_ORIGINAL = 1,
	VSS_RT_ALTERNATE = 2,
	VSS_RT_DIRECTED = 3,
	VSS_RT_ORIGINAL_LOCATION = 4
} VSS_RESTORE_TARGET;

typedef enum {
	VSS_RS_UNDEFINED = 0,
	VSS_RS_NONE = 1,
	VSS_RS_ALL = 2,
	VSS_RS_FAILED = 3
} VSS_FILE_RESTORE_STATUS;

typedef enum {
	VSS_RF_UNDEFINED = 0,
	VSS_RF_NONE = 1,
	VSS_RF_ALL = 2,
	VSS_RF_PARTIAL = 3
} VSS_ROLLFORWARD_TYPE;

/* VSS_BACKUP_SCHEMA */
#define VSS_BS_UNDEFINED				0x00000000
#define VSS_BS_DIFFERENTIAL				0x00000001
#define VSS_BS_INCREMENTAL				0x00000002
#define VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL	0x00000004
#define VSS_BS_LOG					0x00000008
#define VSS_BS_COPY					0x00000010
#define VSS_BS_TIMESTAMPED				0x00000020
#define VSS_BS_LAST_MODIFY				0x00000040
#define VSS_BS_LSN					0x00000080
#define VSS_BS_WRITER_SUPPORTS_NEW_TARGET		0x00000100
#define VSS_BS_WRITER_SUPPORTS_RESTORE_WITH_MOVE	0x00000200
#define VSS_BS_INDEPENDENT_SYSTEM_STATE			0x00000400
#define VSS_BS_ROLLFORWARD_RESTORE			0x00001000
#define VSS_BS_RESTORE_RENAME				0x00002000
#define VSS_BS_AUTHORITATIVE_RESTORE			0x00004000
#define VSS_BS_WRITER_SUPPORTS_PARALLEL_RESTORES	0x00008000

/* Default filespecBackupType: all backup and all snapshot types (3855). */
#define VSS_FSBT_DEFAULT (VSS_FSBT_ALL_BACKUP_REQUIRED | VSS_FSBT_ALL_SNAPSHOT_REQUIRED)

/* Limits applied when loading a document. */
#define VSS_XML_MAX_DOCUMENT	(32u << 20)	/* bytes of input */
#define VSS_XML_MAX_ATTRIBUTE	(4u << 20)	/* bytes of one attribute value */
#define VSS_XML_MAX_DEPTH	32		/* element nesting */

/* Flags of the *_save_xml_ex calls.  VSS_XML_SAVE_WINDOWS refuses (with
 * VSS_E_INVALID_XML_DOCUMENT) a document holding an element, attribute or
 * token whose XML spelling no Windows capture has confirmed, so that a
 * guess is never sent to Windows (spec/vss-xml.md §5, §9). */
#define VSS_XML_SAVE_WINDOWS	0x1u

/* ---- Writer Metadata Document ---- */

typedef struct vss_wmd vss_wmd_t;
typedef struct vss_wm_component vss_wm_component_t;	/* IVssWMComponent */
typedef struct vss_wm_filedesc vss_wm_filedesc_t;	/* IVssWMFiledesc */
typedef struct vss_wm_dependency vss_wm_dependency_t;	/* IVssWMDependency */

/* VSS_COMPONENTINFO; strings and icon borrowed from the document. */
typedef struct vss_wm_component_info {
	VSS_COMPONENT_TYPE type;
	const char *logical_path;	/* NULL when none */
	const char *name;
	const char *caption;		/* NULL when none */
	const uint8_t *icon;		/* NULL when none */
	size_t icon_len;
	bool restore_metadata;
	bool notify_on_backup_complete;
	bool selectable;
	bool selectable_for_restore;
	uint32_t flags;			/* VSS_CF_* */
	size_t file_count;
	size_t database_count;
	size_t log_file_count;
	size_t dependency_count;
} vss_wm_component_info_t;

vss_hr_t vss_wmd_new(vss_wmd_t **out);
void vss_wmd_free(vss_wmd_t *w);
vss_hr_t vss_wmd_load_xml(const void *buf, size_t len, vss_wmd_t **out);
vss_hr_t vss_wmd_save_xml(const vss_wmd_t *w, char **xml);
vss_hr_t vss_wmd_save_xml_ex(const vss_wmd_t *w, unsigned flags, char **xml);

/* Writer side (IVssCreateWriterMetadata). */
vss_hr_t vss_wmd_set_identity(vss_wmd_t *w, const vss_id_t *writer_id,
		const vss_id_t *instance_id, const char *friendly_name,
		const char *instance_name, VSS_USAGE_TYPE usage,
		VSS_SOURCE_TYPE source, unsigned major, unsigned minor);
vss_hr_t vss_wmd_add_component(vss_wmd_t *w, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name, const char *caption,
		const uint8_t *icon, size_t icon_len, bool restore_metadata,
		bool notify_on_backup_complete, bool selectable,
		bool selectable_for_restore, uint32_t flags);
vss_hr_t vss_wmd_add_files_to_file_group(vss_wmd_t *w,
		const char *logical_path, const char *group_name,
		const char *path, const char *filespec, bool recursive,
		const char *alternate_location, uint32_t backup_type_mask);
vss_hr_t vss_wmd_add_database_files(vss_wmd_t *w, const char *logical_path,
		const char *database_name, const char *path,
		const char *filespec, uint32_t backup_type_mask);
vss_hr_t vss_wmd_add_database_log_files(vss_wmd_t *w,
		const char *logical_path, const char *database_name,
		const char *path, const char *filespec,
		uint32_t backup_type_mask);
vss_hr_t vss_wmd_add_exclude_files(vss_wmd_t *w, const char *path,
		const char *filespec, bool recursive);
vss_hr_t vss_wmd_add_exclude_files_from_snapshot(vss_wmd_t *w,
		const char *path, const char *filespec, bool recursive);
vss_hr_t vss_wmd_add_component_dependency(vss_wmd_t *w,
		const char *for_logical_path, const char *for_name,
		const vss_id_t *on_writer_id, const char *on_logical_path,
		const char *on_name);
vss_hr_t vss_wmd_set_restore_method(vss_wmd_t *w,
		VSS_RESTOREMETHOD_ENUM method, const char *service,
		const char *user_procedure, VSS_WRITERRESTORE_ENUM writer_restore,
		bool reboot_required);
vss_hr_t vss_wmd_add_alternate_location_mapping(vss_wmd_t *w,
		const char *path, const char *filespec, bool recursive,
		const char *destination);
vss_hr_t vss_wmd_set_backup_schema(vss_wmd_t *w, uint32_t schema);

/* Requester side (IVssExamineWriterMetadata). */
vss_hr_t vss_wmd_get_identity(const vss_wmd_t *w, vss_id_t *writer_id,
		vss_id_t *instance_id, const char **friendly_name,
		const char **instance_name, VSS_USAGE_TYPE *usage,
		VSS_SOURCE_TYPE *source);
vss_hr_t vss_wmd_get_version(const vss_wmd_t *w, unsigned *major,
		unsigned *minor);
uint32_t vss_wmd_get_backup_schema(const vss_wmd_t *w);
/* S_FALSE (and zeroed outputs) when the writer has no restore method. */
vss_hr_t vss_wmd_get_restore_method(const vss_wmd_t *w,
		VSS_RESTOREMETHOD_ENUM *method, const char **service,
		const char **user_procedure,
		VSS_WRITERRESTORE_ENUM *writer_restore, bool *reboot_required,
		size_t *mappings);
vss_hr_t vss_wmd_get_alternate_location_mapping(const vss_wmd_t *w,
		size_t i, const vss_wm_filedesc_t **fd);
size_t vss_wmd_exclude_count(const vss_wmd_t *w);
vss_hr_t vss_wmd_get_exclude(const vss_wmd_t *w, size_t i,
		const vss_wm_filedesc_t **fd);
size_t vss_wmd_exclude_from_snapshot_count(const vss_wmd_t *w);
vss_hr_t vss_wmd_get_exclude_from_snapshot(const vss_wmd_t *w, size_t i,
		const vss_wm_filedesc_t **fd);
size_t vss_wmd_component_count(const vss_wmd_t *w);
vss_hr_t vss_wmd_get_component(const vss_wmd_t *w, size_t i,
		const vss_wm_component_t **c);

vss_hr_t vss_wm_component_get_info(const vss_wm_component_t *c,
		vss_wm_component_info_t *info);
vss_hr_t vss_wm_component_get_file(const vss_wm_component_t *c, size_t i,
		const vss_wm_filedesc_t **fd);
vss_hr_t vss_wm_component_get_database_file(const vss_wm_component_t *c,
		size_t i, const vss_wm_filedesc_t **fd);
vss_hr_t vss_wm_component_get_database_log_file(const vss_wm_component_t *c,
		size_t i, const vss_wm_filedesc_t **fd);
vss_hr_t vss_wm_component_get_dependency(const vss_wm_component_t *c,
		size_t i, const vss_wm_dependency_t **dep);

const char *vss_wm_filedesc_get_path(const vss_wm_filedesc_t *fd);
const char *vss_wm_filedesc_get_filespec(const vss_wm_filedesc_t *fd);
bool vss_wm_filedesc_get_recursive(const vss_wm_filedesc_t *fd);
/* Alternate location (file sets), destination (mappings); NULL when none. */
const char *vss_wm_filedesc_get_alternate_location(const vss_wm_filedesc_t *fd);
uint32_t vss_wm_filedesc_get_backup_type_mask(const vss_wm_filedesc_t *fd);

vss_hr_t vss_wm_dependency_get_writer_id(const vss_wm_dependency_t *dep,
		vss_id_t *writer_id);
const char *vss_wm_dependency_get_logical_path(const vss_wm_dependency_t *dep);
const char *vss_wm_dependency_get_component_name(const vss_wm_dependency_t *dep);

/* ---- Backup Components Document ---- */

typedef struct vss_bcd vss_bcd_t;
typedef struct vss_component vss_component_t;	/* IVssComponent */

vss_hr_t vss_bcd_new(vss_bcd_t **out);
void vss_bcd_free(vss_bcd_t *b);
vss_hr_t vss_bcd_load_xml(const void *buf, size_t len, vss_bcd_t **out);
vss_hr_t vss_bcd_save_xml(const vss_bcd_t *b, char **xml);
vss_hr_t vss_bcd_save_xml_ex(const vss_bcd_t *b, unsigned flags, char **xml);

vss_hr_t vss_bcd_set_backup_state(vss_bcd_t *b, bool select_components,
		bool bootable_system_state, VSS_BACKUP_TYPE type,
		bool partial_file_support);
vss_hr_t vss_bcd_get_backup_state(const vss_bcd_t *b,
		bool *select_components, bool *bootable_system_state,
		VSS_BACKUP_TYPE *type, bool *partial_file_support);
vss_hr_t vss_bcd_set_snapshot_set_id(vss_bcd_t *b, const vss_id_t *set_id);
/* S_FALSE and VSS_ID_NULL when no snapshot set was started. */
vss_hr_t vss_bcd_get_snapshot_set_id(const vss_bcd_t *b, vss_id_t *set_id);
vss_hr_t vss_bcd_set_restore_type(vss_bcd_t *b, VSS_RESTORE_TYPE type);
VSS_RESTORE_TYPE vss_bcd_get_restore_type(const vss_bcd_t *b);

/* Requester calls addressing one component by its key. */
vss_hr_t vss_bcd_add_component(vss_bcd_t *b, const vss_id_t *instance_id,
		const vss_id_t *writer_id, const char *instance_name,
		uint32_t backup_schema, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name);
vss_hr_t vss_bcd_find_component(const vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, vss_component_t **c);
vss_hr_t vss_bcd_set_backup_succeeded(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, bool succeeded);
vss_hr_t vss_bcd_set_backup_options(vss_bcd_t *b, const vss_id_t *instance_id,
		const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name, const char *options);
vss_hr_t vss_bcd_set_previous_backup_stamp(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, const char *stamp);
vss_hr_t vss_bcd_set_selected_for_restore(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, bool selected);
vss_hr_t vss_bcd_set_restore_options(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, const char *options);
vss_hr_t vss_bcd_set_additional_restores(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, bool additional);
vss_hr_t vss_bcd_set_file_restore_status(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, VSS_FILE_RESTORE_STATUS status);
vss_hr_t vss_bcd_add_new_target(vss_bcd_t *b, const vss_id_t *instance_id,
		const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name, const char *path,
		const char *filespec, bool recursive, const char *alternate_path);

vss_hr_t vss_bcd_add_alternative_location_mapping(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, const char *path, const char *filespec,
		bool recursive, const char *destination);
vss_hr_t vss_bcd_add_restore_subcomponent(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, const char *sub_logical_path,
		const char *sub_name, bool repair);
/* Replaces the ranges of partial file I (a range list or a ranges file). */
vss_hr_t vss_bcd_set_ranges_file_path(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, size_t i, const char *ranges_file);
vss_hr_t vss_bcd_set_authoritative_restore(vss_bcd_t *b,
		const vss_id_t *instance_id, const vss_id_t *writer_id,
		VSS_COMPONENT_TYPE type, const char *logical_path,
		const char *name, bool authoritative);
vss_hr_t vss_bcd_set_roll_forward(vss_bcd_t *b, const vss_id_t *instance_id,
		const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name,
		VSS_ROLLFORWARD_TYPE roll_type, const char *point);
vss_hr_t vss_bcd_set_restore_name(vss_bcd_t *b, const vss_id_t *instance_id,
		const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
		const char *logical_path, const char *name,
		const char *restore_name);

/* Carrying the document through writer events: the coordinator hands each
 * writer a document with only its instance's WRITER_COMPONENTS and merges
 * the edited copy back; a copy that adds, removes or renames components or
 * holds another writer is refused (E_INVALIDARG) and nothing changes. */
vss_hr_t vss_bcd_extract_writer(const vss_bcd_t *b, const vss_id_t *instance_id,
		char **xml);
vss_hr_t vss_bcd_merge_writer(vss_bcd_t *b, const vss_id_t *instance_id,
		const void *xml, size_t len);

/* IVssWriterComponents: writers are the WRITER_COMPONENTS, in order. */
size_t vss_bcd_writer_count(const vss_bcd_t *b);
vss_hr_t vss_bcd_get_writer_info(const vss_bcd_t *b, size_t w,
		vss_id_t *instance_id, vss_id_t *writer_id,
		const char **instance_name, uint32_t *backup_schema);
size_t vss_bcd_component_count(const vss_bcd_t *b, size_t w);
vss_hr_t vss_bcd_get_component(const vss_bcd_t *b, size_t w, size_t i,
		vss_component_t **c);

/* IVssComponent. */
const char *vss_component_get_logical_path(const vss_component_t *c);
const char *vss_component_get_name(const vss_component_t *c);
VSS_COMPONENT_TYPE vss_component_get_type(const vss_component_t *c);
void vss_component_get_writer_id(const vss_component_t *c, vss_id_t *id);
void vss_component_get_instance_id(const vss_component_t *c, vss_id_t *id);
vss_hr_t vss_component_set_backup_stamp(vss_component_t *c, const char *stamp);
const char *vss_component_get_backup_stamp(const vss_component_t *c);
const char *vss_component_get_previous_backup_stamp(const vss_component_t *c);
vss_hr_t vss_component_set_backup_metadata(vss_component_t *c,
		const char *metadata);
const char *vss_component_get_backup_metadata(const vss_component_t *c);
vss_hr_t vss_component_set_restore_metadata(vss_component_t *c,
		const char *metadata);
const char *vss_component_get_restore_metadata(const vss_component_t *c);
bool vss_component_get_backup_succeeded(const vss_component_t *c);
const char *vss_component_get_backup_options(const vss_component_t *c);
const char *vss_component_get_restore_options(const vss_component_t *c);
bool vss_component_is_selected_for_restore(const vss_component_t *c);
bool vss_component_get_additional_restores(const vss_component_t *c);
VSS_FILE_RESTORE_STATUS vss_component_get_file_restore_status(
		const vss_component_t *c);
vss_hr_t vss_component_set_restore_target(vss_component_t *c,
		VSS_RESTORE_TARGET target);
VSS_RESTORE_TARGET vss_component_get_restore_target(const vss_component_t *c);
size_t vss_component_new_target_count(const vss_component_t *c);
vss_hr_t vss_component_get_new_target(const vss_component_t *c, size_t i,
		const vss_wm_filedesc_t **fd);
/* Writer-side file-level records (IVssComponent). */
vss_hr_t vss_component_add_partial_file(vss_component_t *c, const char *path,
		const char *filename, const char *ranges, const char *metadata);
size_t vss_component_partial_file_count(const vss_component_t *c);
vss_hr_t vss_component_get_partial_file(const vss_component_t *c, size_t i,
		const char **path, const char **filename, const char **ranges,
		const char **metadata);
vss_hr_t vss_component_add_differenced_files_by_time(vss_component_t *c,
		const char *path, const char *filespec, bool recursive,
		vss_timestamp_t last_modify);
vss_hr_t vss_component_add_differenced_files_by_lsn(vss_component_t *c,
		const char *path, const char *filespec, bool recursive,
		const char *lsn);
size_t vss_component_differenced_files_count(const vss_component_t *c);
vss_hr_t vss_component_get_differenced_files(const vss_component_t *c,
		size_t i, const char **path, const char **filespec,
		bool *recursive, const char **lsn, vss_timestamp_t *last_modify);
vss_hr_t vss_component_add_directed_target(vss_component_t *c,
		const char *source_path, const char *source_filename,
		const char *source_ranges, const char *destination_path,
		const char *destination_filename, const char *destination_ranges);
size_t vss_component_directed_target_count(const vss_component_t *c);
vss_hr_t vss_component_get_directed_target(const vss_component_t *c,
		size_t i, const char **source_path, const char **source_filename,
		const char **source_ranges, const char **destination_path,
		const char **destination_filename,
		const char **destination_ranges);
/* Requester-side restore records and state. */
size_t vss_component_alternate_location_mapping_count(const vss_component_t *c);
vss_hr_t vss_component_get_alternate_location_mapping(const vss_component_t *c,
		size_t i, const vss_wm_filedesc_t **fd);
size_t vss_component_restore_subcomponent_count(const vss_component_t *c);
vss_hr_t vss_component_get_restore_subcomponent(const vss_component_t *c,
		size_t i, const char **logical_path, const char **name,
		bool *repair);
bool vss_component_get_authoritative_restore(const vss_component_t *c);
VSS_ROLLFORWARD_TYPE vss_component_get_roll_forward(const vss_component_t *c,
		const char **point);
const char *vss_component_get_restore_name(const vss_component_t *c);
/* Failure messages of each phase (IVssComponent / IVssComponentEx). */
vss_hr_t vss_component_set_prepare_for_backup_failure_msg(vss_component_t *c,
		const char *msg);
const char *vss_component_get_prepare_for_backup_failure_msg(
		const vss_component_t *c);
vss_hr_t vss_component_set_post_snapshot_failure_msg(vss_component_t *c,
		const char *msg);
const char *vss_component_get_post_snapshot_failure_msg(
		const vss_component_t *c);
vss_hr_t vss_component_set_pre_restore_failure_msg(vss_component_t *c,
		const char *msg);
const char *vss_component_get_pre_restore_failure_msg(const vss_component_t *c);
vss_hr_t vss_component_set_post_restore_failure_msg(vss_component_t *c,
		const char *msg);
const char *vss_component_get_post_restore_failure_msg(const vss_component_t *c);
/* IVssComponentEx2::SetFailure / GetFailure; msg may be NULL. */
vss_hr_t vss_component_set_failure(vss_component_t *c, vss_hr_t hr,
		vss_hr_t app_hr, const char *msg);
vss_hr_t vss_component_get_failure(const vss_component_t *c, vss_hr_t *hr,
		vss_hr_t *app_hr, const char **msg);

/* ---- Either document ---- */

/* Loads a WMD or a BCD, whichever the root element names; the other
 * output is set to NULL. */
vss_hr_t vss_xml_load_any(const void *buf, size_t len, vss_wmd_t **wmd,
		vss_bcd_t **bcd);
/* UTF-8 document -> UTF-16LE, no byte-order mark, one trailing U+0000: the
 * container vshadow -bc= writes.  *out is malloc'd. */
vss_hr_t vss_xml_to_utf16le(const char *xml, void **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
