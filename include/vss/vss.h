/* vss/vss.h — the VSS vocabulary: identifiers, enumerations and structures of
 * the Windows SDK's vss.h / vswriter.h, reproduced by name and value for
 * Linux.  Strings are UTF-8.  This header is self-contained. */
#ifndef VSS_VSS_H
#define VSS_VSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vss/vsserror.h>

#ifdef __cplusplus
extern "C" {
#endif

/* VSS_ID: a GUID, stored in RFC 4122 byte order (as libuuid). */
typedef struct vss_id {
	uint8_t b[16];
} vss_id_t;

#define VSS_ID_STRLEN 39	/* "{8-4-4-4-12}" + NUL */
extern const vss_id_t VSS_ID_NULL;
bool vss_id_is_null(const vss_id_t *id);
bool vss_id_equal(const vss_id_t *a, const vss_id_t *b);
void vss_id_generate(vss_id_t *id);
/* Lower case with braces: "{d61d61c8-d73a-4eee-8cdd-f6f9786b7124}". */
char *vss_id_format(const vss_id_t *id, char buf[VSS_ID_STRLEN]);
/* Accepts either case, with or without braces; 0 on success, -1 otherwise. */
int vss_id_parse(const char *s, vss_id_t *id);

/* VSS_TIMESTAMP: 100 ns ticks since 1601-01-01 UTC. */
typedef int64_t vss_timestamp_t;
vss_timestamp_t vss_timestamp_now(void);

typedef enum {
	VSS_WS_UNKNOWN = 0,
	VSS_WS_STABLE = 1,
	VSS_WS_WAITING_FOR_FREEZE = 2,
	VSS_WS_WAITING_FOR_THAW = 3,
	VSS_WS_WAITING_FOR_POST_SNAPSHOT = 4,
	VSS_WS_WAITING_FOR_BACKUP_COMPLETE = 5,
	VSS_WS_FAILED_AT_IDENTIFY = 6,
	VSS_WS_FAILED_AT_PREPARE_BACKUP = 7,
	VSS_WS_FAILED_AT_PREPARE_SNAPSHOT = 8,
	VSS_WS_FAILED_AT_FREEZE = 9,
	VSS_WS_FAILED_AT_THAW = 10,
	VSS_WS_FAILED_AT_POST_SNAPSHOT = 11,
	VSS_WS_FAILED_AT_BACKUP_COMPLETE = 12,
	VSS_WS_FAILED_AT_PRE_RESTORE = 13,
	VSS_WS_FAILED_AT_POST_RESTORE = 14,
	VSS_WS_FAILED_AT_BACKUPSHUTDOWN = 15,
	VSS_WS_COUNT = 16
} VSS_WRITER_STATE;

typedef enum {
	VSS_UT_UNDEFINED = 0,
	VSS_UT_BOOTABLESYSTEMSTATE = 1,
	VSS_UT_SYSTEMSERVICE = 2,
	VSS_UT_USERDATA = 3,
	VSS_UT_OTHER = 4
} VSS_USAGE_TYPE;

typedef enum {
	VSS_ST_UNDEFINED = 0,
	VSS_ST_TRANSACTEDDB = 1,
	VSS_ST_NONTRANSACTEDDB = 2,
	VSS_ST_OTHER = 3
} VSS_SOURCE_TYPE;

typedef enum {
	VSS_APP_AUTO = -1,
	VSS_APP_UNKNOWN = 0,
	VSS_APP_SYSTEM = 1,
	VSS_APP_BACK_END = 2,
	VSS_APP_FRONT_END = 3,
	VSS_APP_SYSTEM_RM = 4
} VSS_APPLICATION_LEVEL;

typedef enum {
	VSS_CT_UNDEFINED = 0,
	VSS_CT_DATABASE = 1,
	VSS_CT_FILEGROUP = 2
} VSS_COMPONENT_TYPE;

typedef enum {
	VSS_BT_UNDEFINED = 0,
	VSS_BT_FULL = 1,
	VSS_BT_INCREMENTAL = 2,
	VSS_BT_DIFFERENTIAL = 3,
	VSS_BT_LOG = 4,
	VSS_BT_COPY = 5,
	VSS_BT_OTHER = 6
} VSS_BACKUP_TYPE;

typedef enum {
	VSS_RTYPE_UNDEFINED = 0,
	VSS_RTYPE_BY_COPY = 1,
	VSS_RTYPE_IMPORT = 2,
	VSS_RTYPE_OTHER = 3
} VSS_RESTORE_TYPE;

typedef enum {
	VSS_SS_UNKNOWN = 0,
	VSS_SS_PREPARING = 1,
	VSS_SS_PROCESSING_PREPARE = 2,
	VSS_SS_PREPARED = 3,
	VSS_SS_PROCESSING_PRECOMMIT = 4,
	VSS_SS_PRECOMMITTED = 5,
	VSS_SS_PROCESSING_COMMIT = 6,
	VSS_SS_COMMITTED = 7,
	VSS_SS_PROCESSING_POSTCOMMIT = 8,
	VSS_SS_PROCESSING_PREFINALCOMMIT = 9,
	VSS_SS_PREFINALCOMMITTED = 10,
	VSS_SS_PROCESSING_POSTFINALCOMMIT = 11,
	VSS_SS_CREATED = 12,
	VSS_SS_ABORTED = 13,
	VSS_SS_DELETED = 14,
	VSS_SS_POSTCOMMITTED = 15,
	VSS_SS_COUNT = 16
} VSS_SNAPSHOT_STATE;

typedef enum {
	VSS_OBJECT_UNKNOWN = 0,
	VSS_OBJECT_NONE = 1,
	VSS_OBJECT_SNAPSHOT_SET = 2,
	VSS_OBJECT_SNAPSHOT = 3,
	VSS_OBJECT_PROVIDER = 4,
	VSS_OBJECT_TYPE_COUNT = 5
} VSS_OBJECT_TYPE;

typedef enum {
	VSS_PROV_UNKNOWN = 0,
	VSS_PROV_SYSTEM = 1,
	VSS_PROV_SOFTWARE = 2,
	VSS_PROV_HARDWARE = 3,
	VSS_PROV_FILESHARE = 4
} VSS_PROVIDER_TYPE;

/* VSS_VOLUME_SNAPSHOT_ATTRIBUTES */
#define VSS_VOLSNAP_ATTR_PERSISTENT		0x00000001
#define VSS_VOLSNAP_ATTR_NO_AUTORECOVERY	0x00000002
#define VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE	0x00000004
#define VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE	0x00000008
#define VSS_VOLSNAP_ATTR_NO_WRITERS		0x00000010
#define VSS_VOLSNAP_ATTR_TRANSPORTABLE		0x00000020
#define VSS_VOLSNAP_ATTR_NOT_SURFACED		0x00000040
#define VSS_VOLSNAP_ATTR_NOT_TRANSACTED		0x00000080
#define VSS_VOLSNAP_ATTR_HARDWARE_ASSISTED	0x00010000
#define VSS_VOLSNAP_ATTR_DIFFERENTIAL		0x00020000
#define VSS_VOLSNAP_ATTR_PLEX			0x00040000
#define VSS_VOLSNAP_ATTR_IMPORTED		0x00080000
#define VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY	0x00100000
#define VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY	0x00200000
#define VSS_VOLSNAP_ATTR_AUTORECOVER		0x00400000
#define VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY	0x00800000
#define VSS_VOLSNAP_ATTR_DELAYED_POSTSNAPSHOT	0x01000000
#define VSS_VOLSNAP_ATTR_TXF_RECOVERY		0x02000000
#define VSS_VOLSNAP_ATTR_FILE_SHARE		0x04000000

/* VSS_SNAPSHOT_CONTEXT */
#define VSS_CTX_BACKUP				0x00000000
#define VSS_CTX_FILE_SHARE_BACKUP		0x00000010
#define VSS_CTX_NAS_ROLLBACK			0x00000019
#define VSS_CTX_APP_ROLLBACK			0x00000009
#define VSS_CTX_CLIENT_ACCESSIBLE		0x0000001D
#define VSS_CTX_CLIENT_ACCESSIBLE_WRITERS	0x0000000D
#define VSS_CTX_ALL				((int32_t)0xFFFFFFFF)

/* Attribute bits a requester may OR into SetContext (vss-protocol §6.1). */
#define VSS_CTX_REQUESTER_ATTRS (VSS_VOLSNAP_ATTR_DIFFERENTIAL | \
	VSS_VOLSNAP_ATTR_PLEX | VSS_VOLSNAP_ATTR_TRANSPORTABLE | \
	VSS_VOLSNAP_ATTR_NO_AUTORECOVERY | VSS_VOLSNAP_ATTR_NOT_TRANSACTED | \
	VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY | VSS_VOLSNAP_ATTR_TXF_RECOVERY)

/* VSS_SUBSCRIBE_MASK */
#define VSS_SM_POST_SNAPSHOT_FLAG	0x00000001
#define VSS_SM_BACKUP_EVENTS_FLAG	0x00000002
#define VSS_SM_RESTORE_EVENTS_FLAG	0x00000004
#define VSS_SM_IO_THROTTLING_FLAG	0x00000008
#define VSS_SM_ALL_FLAGS		0xFFFFFFFF

/* VSS_COMPONENT_FLAGS */
#define VSS_CF_BACKUP_RECOVERY		0x00000001
#define VSS_CF_APP_ROLLBACK_RECOVERY	0x00000002
#define VSS_CF_NOT_SYSTEM_STATE		0x00000004

/* VSS_FILE_SPEC_BACKUP_TYPE */
#define VSS_FSBT_FULL_BACKUP_REQUIRED		0x00000001
#define VSS_FSBT_DIFFERENTIAL_BACKUP_REQUIRED	0x00000002
#define VSS_FSBT_INCREMENTAL_BACKUP_REQUIRED	0x00000004
#define VSS_FSBT_LOG_BACKUP_REQUIRED		0x00000008
#define VSS_FSBT_FULL_SNAPSHOT_REQUIRED		0x00000100
#define VSS_FSBT_DIFFERENTIAL_SNAPSHOT_REQUIRED	0x00000200
#define VSS_FSBT_INCREMENTAL_SNAPSHOT_REQUIRED	0x00000400
#define VSS_FSBT_LOG_SNAPSHOT_REQUIRED		0x00000800
#define VSS_FSBT_CREATED_DURING_BACKUP		0x00010000
#define VSS_FSBT_ALL_BACKUP_REQUIRED		0x0000000F
#define VSS_FSBT_ALL_SNAPSHOT_REQUIRED		0x00000F00

/* Limits (vss-protocol §6.5). */
#define VSS_MAX_VOLUMES_PER_SET		64
#define VSS_MAX_SNAPSHOTS_PER_VOLUME	512
#define VSS_DEFAULT_FREEZE_TIMEOUT_MS	60000
/* The longest freeze timeout a writer may ask for (Windows names only the
 * default): vssd waits that long for a Freeze reply while the snapshot-set
 * lock is held, so an unbounded one would let any writer stop every
 * snapshot on the host. */
#define VSS_MAX_FREEZE_TIMEOUT_MS	600000
/* The longest writer name or instance name, in bytes of UTF-8. */
#define VSS_MAX_NAME_LEN		1024
#define VSS_HOLD_WRITES_TIMEOUT_MS	10000

/* VSS_SNAPSHOT_PROP.  Strings are owned by whoever filled the struct; free
 * with vss_snapshot_prop_clear(). */
typedef struct vss_snapshot_prop {
	vss_id_t snapshot_id;
	vss_id_t snapshot_set_id;
	int32_t snapshots_count;
	char *snapshot_device_object;
	char *original_volume_name;
	char *originating_machine;
	char *service_machine;
	char *exposed_name;
	char *exposed_path;
	vss_id_t provider_id;
	int32_t snapshot_attributes;
	vss_timestamp_t creation_timestamp;
	VSS_SNAPSHOT_STATE status;
} vss_snapshot_prop_t;
void vss_snapshot_prop_clear(vss_snapshot_prop_t *p);

/* VSS_PROVIDER_PROP */
typedef struct vss_provider_prop {
	vss_id_t provider_id;
	char *provider_name;
	VSS_PROVIDER_TYPE provider_type;
	char *provider_version;
	vss_id_t provider_version_id;
	vss_id_t class_id;
} vss_provider_prop_t;
void vss_provider_prop_clear(vss_provider_prop_t *p);

/* Names of enumeration values, exactly as in the SDK ("VSS_WS_STABLE"). */
const char *vss_writer_state_name(VSS_WRITER_STATE s);
const char *vss_snapshot_state_name(VSS_SNAPSHOT_STATE s);
const char *vss_usage_type_name(VSS_USAGE_TYPE t);
const char *vss_source_type_name(VSS_SOURCE_TYPE t);
const char *vss_app_level_name(VSS_APPLICATION_LEVEL l);
const char *vss_backup_type_name(VSS_BACKUP_TYPE t);
const char *vss_component_type_name(VSS_COMPONENT_TYPE t);
const char *vss_provider_type_name(VSS_PROVIDER_TYPE t);

/* The thread-local message describing the last failure of a libvss call on
 * this thread ("vss_backup_do_snapshot_set: VSS_E_BAD_STATE: ...").  Never
 * NULL; "" when there is none. */
const char *vss_last_error(void);

/* The library's version, "0.1.0" (PACKAGE_VERSION); a static string. */
const char *vss_version(void);

#ifdef __cplusplus
}
#endif
#endif
