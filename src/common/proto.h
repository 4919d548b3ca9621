/* proto.h — openvss protocol messages (framing: wire.h; manual:
 * vss-protocol(7)).  Roles, message codes, attribute tags, and for each
 * message the attributes it carries.  "->" lists a reply's attributes
 * besides ATTR_HR (always present) and ATTR_MESSAGE (present on failure:
 * the error text, "call: NAME: what happened").
 *
 * Session.  A client connects to vssd's socket ($VSS_SOCKET, default
 * /run/vss/vssd.sock) and sends MSG_HELLO with its role.  vssd checks the
 * peer's credentials (SO_PEERCRED): requesters and providers must be root or
 * in the configured group; writers may be anyone.  One requester connection
 * is one IVssBackupComponents object: closing it releases the object
 * (running operations aborted, BackupShutdown sent, auto-release snapshots
 * deleted).  One writer connection is one subscribed writer instance.  One
 * provider connection is one registered provider.
 *
 * Requests and replies.  Every request is answered by exactly one reply with
 * the same seq and WIRE_REPLY set.  Requests are answered in order per
 * connection for requesters; vssd may have several requests outstanding to a
 * writer or provider (Identify can arrive during another session's events),
 * so writers and providers must match replies by seq.
 *
 * Asynchronous calls (IVssAsync).  MSG_GATHER_WRITER_METADATA,
 * MSG_PREPARE_FOR_BACKUP, MSG_DO_SNAPSHOT_SET, MSG_GATHER_WRITER_STATUS and
 * MSG_BACKUP_COMPLETE reply at once with ATTR_HR = S_OK and an ATTR_OP_ID;
 * when the operation ends vssd sends MSG_ASYNC_DONE (WIRE_NOTIFY) with
 * ATTR_OP_ID and ATTR_STATUS = VSS_S_ASYNC_FINISHED, VSS_S_ASYNC_CANCELLED or
 * the failure code.  Only one asynchronous operation runs per session; a
 * second one while one runs gets VSS_E_BAD_STATE.  MSG_ASYNC_CANCEL and
 * MSG_ASYNC_STATUS implement Cancel and QueryStatus.
 *
 * Bad input: a frame with a bad magic, version or length, a payload that does
 * not validate, an unknown message code, a reply to nothing, or a request
 * not allowed for the connection's role gets a reply (when a seq can be
 * known) with E_INVALIDARG / VSS_E_BAD_STATE / E_ACCESSDENIED and a message,
 * and — for framing errors — the connection is closed.  vssd stays up. */
#ifndef VSS_COMMON_PROTO_H
#define VSS_COMMON_PROTO_H

#include <stddef.h>
#include <vss/vss.h>

#define VSS_PROTO_VERSION 1
#define VSS_DEFAULT_SOCKET RUNSTATEDIR "/vss/vssd.sock"
#define VSS_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/vss"

enum vss_role {
	ROLE_REQUESTER = 1,
	ROLE_WRITER = 2,
	ROLE_PROVIDER = 3,
};

/* Writer events (ATTR_EVENT).  Values are part of the protocol. */
enum vss_event {
	EV_IDENTIFY = 1,
	EV_PREPARE_BACKUP = 2,
	EV_PREPARE_SNAPSHOT = 3,
	EV_FREEZE = 4,
	EV_THAW = 5,
	EV_POST_SNAPSHOT = 6,
	EV_ABORT = 7,
	EV_BACKUP_COMPLETE = 8,
	EV_BACKUP_SHUTDOWN = 9,
	EV_PRE_RESTORE = 10,
	EV_POST_RESTORE = 11,
	EV_COUNT
};

enum vss_msg_code {
	/* any role -> vssd: ROLE, PROTO_VERSION, CLIENT_NAME
	 *   -> SERVER_VERSION.  Must be the first message. */
	MSG_HELLO = 0x01,

	/* ---- requester -> vssd (IVssBackupComponents) ---- */
	MSG_INIT_BACKUP = 0x10,		/* [BCD_XML] */
	MSG_INIT_RESTORE = 0x11,	/* BCD_XML */
	MSG_SET_CONTEXT = 0x12,		/* CONTEXT (u32) */
	MSG_SET_BACKUP_STATE = 0x13,	/* SELECT_COMPONENTS, BOOTABLE, BACKUP_TYPE, PARTIAL_FILE */
	MSG_ENABLE_WRITER_CLASSES = 0x14,	/* WRITER_ID... */
	MSG_DISABLE_WRITER_CLASSES = 0x15,	/* WRITER_ID... */
	MSG_DISABLE_WRITER_INSTANCES = 0x16,	/* INSTANCE_ID... */
	MSG_GATHER_WRITER_METADATA = 0x17,	/* async -> OP_ID */
	/* -> WRITER... each a nest: INSTANCE_ID, WRITER_ID, WRITER_NAME,
	 *    INSTANCE_NAME, USAGE, SOURCE, LEVEL, WMD_XML.  Only writers that
	 *    answered Identify in this session. */
	MSG_GET_WRITER_METADATA = 0x18,
	/* INSTANCE_ID, WRITER_ID, COMPONENT_TYPE, LOGICAL_PATH, COMPONENT_NAME */
	MSG_ADD_COMPONENT = 0x19,
	MSG_SET_BACKUP_OPTIONS = 0x1a,		/* component key (as ADD_COMPONENT) + VALUE */
	MSG_SET_PREVIOUS_BACKUP_STAMP = 0x1b,	/* component key + VALUE */
	MSG_START_SNAPSHOT_SET = 0x1c,		/* -> SNAPSHOT_SET_ID */
	MSG_ADD_TO_SNAPSHOT_SET = 0x1d,		/* VOLUME, [PROVIDER_ID] -> SNAPSHOT_ID */
	MSG_IS_VOLUME_SUPPORTED = 0x1e,		/* VOLUME, [PROVIDER_ID] -> BOOL */
	MSG_PREPARE_FOR_BACKUP = 0x1f,		/* async -> OP_ID */
	MSG_DO_SNAPSHOT_SET = 0x20,		/* async -> OP_ID */
	MSG_GATHER_WRITER_STATUS = 0x21,	/* async -> OP_ID */
	/* -> WRITER... each a nest: INSTANCE_ID, WRITER_ID, WRITER_NAME,
	 *    INSTANCE_NAME, STATE, FAILURE_HR, APP_HR, [MESSAGE] */
	MSG_GET_WRITER_STATUS = 0x22,
	MSG_SET_BACKUP_SUCCEEDED = 0x23,	/* component key + BOOL */
	MSG_BACKUP_COMPLETE = 0x24,		/* async -> OP_ID */
	MSG_ABORT_BACKUP = 0x25,
	MSG_GET_SNAPSHOT_PROPERTIES = 0x26,	/* SNAPSHOT_ID -> SNAPSHOT (nest, see below) */
	/* [OBJECT_TYPE = VSS_OBJECT_SNAPSHOT (default) | VSS_OBJECT_PROVIDER]
	 *   -> SNAPSHOT... or PROVIDER... ; filtered by the session context
	 *   unless it is VSS_CTX_ALL */
	MSG_QUERY = 0x27,
	/* SOURCE_ID, OBJECT_TYPE (SNAPSHOT or SNAPSHOT_SET), FORCE
	 *   -> COUNT, [NONDELETED_ID] */
	MSG_DELETE_SNAPSHOTS = 0x28,
	MSG_SAVE_AS_XML = 0x29,			/* -> BCD_XML */
	MSG_ASYNC_CANCEL = 0x2a,		/* OP_ID -> (HR per IVssAsync::Cancel) */
	MSG_ASYNC_STATUS = 0x2b,		/* OP_ID -> STATUS */
	/* Administration (vssadmin list writers): every subscribed writer with
	 * its last state -> WRITER... (nest as GET_WRITER_STATUS + LEVEL, USAGE,
	 * SOURCE, FREEZE_TIMEOUT, PID) */
	MSG_LIST_WRITERS = 0x2c,
	MSG_LIST_PROVIDERS = 0x2d,		/* -> PROVIDER... */
	MSG_EXPOSE_SNAPSHOT = 0x2e,		/* SNAPSHOT_ID, [EXPOSED_NAME] -> EXPOSED_NAME */
	MSG_UNEXPOSE_SNAPSHOT = 0x2f,		/* SNAPSHOT_ID */
	MSG_REVERT_TO_SNAPSHOT = 0x30,		/* SNAPSHOT_ID, FORCE */
	MSG_QUERY_REVERT_STATUS = 0x31,		/* VOLUME -> async OP_ID */
	MSG_PRE_RESTORE = 0x32,			/* async -> OP_ID */
	MSG_POST_RESTORE = 0x33,		/* async -> OP_ID */
	/* restore-session setters; the component key names the writer as the
	 * Backup Components Document does (its instance and class id at backup
	 * time) + COMPONENT_TYPE, LOGICAL_PATH, COMPONENT_NAME */
	MSG_SET_SELECTED_FOR_RESTORE = 0x34,	/* key + BOOL */
	MSG_SET_RESTORE_OPTIONS = 0x35,		/* key + VALUE */
	MSG_SET_ADDITIONAL_RESTORES = 0x36,	/* key + BOOL */
	MSG_SET_FILE_RESTORE_STATUS = 0x37,	/* key + STATUS (VSS_FILE_RESTORE_STATUS) */
	MSG_SET_RESTORE_STATE = 0x38,		/* RESTORE_TYPE */

	/* vssd -> requester, WIRE_NOTIFY: OP_ID, STATUS */
	MSG_ASYNC_DONE = 0x3f,

	/* ---- writer <-> vssd (CVssWriter) ---- */
	/* WRITER_ID, WRITER_NAME, [INSTANCE_NAME], USAGE, SOURCE, LEVEL,
	 * FREEZE_TIMEOUT (ms), SUBSCRIBE_MASK, MAJOR, MINOR -> INSTANCE_ID
	 * (assigned by vssd; a second SUBSCRIBE on the connection gets
	 * VSS_E_WRITER_ALREADY_SUBSCRIBED) */
	MSG_WRITER_SUBSCRIBE = 0x40,
	MSG_WRITER_UNSUBSCRIBE = 0x41,
	/* vssd -> writer request: EVENT, SESSION_ID, [SNAPSHOT_SET_ID], CONTEXT,
	 *   BACKUP_TYPE, RESTORE_TYPE, SELECT_COMPONENTS, BOOTABLE, PARTIAL_FILE,
	 *   LEVEL, TIMEOUT (ms the coordinator waits), VOLUME... (the set's
	 *   volumes, from PREPARE_SNAPSHOT on), [BCD_XML] (a BCD holding only
	 *   this writer's WRITER_COMPONENTS; absent in whole-volume mode)
	 * -> RESULT (the handler's return, 1/0), FAILURE_HR, APP_HR, [MESSAGE],
	 *    [WMD_XML] (IDENTIFY), [BCD_XML] (the components as the writer left
	 *    them, for PREPARE_BACKUP, POST_SNAPSHOT, PRE/POST_RESTORE).
	 *    ATTR_HR is S_OK when the event was delivered and handled. */
	MSG_EVENT = 0x42,

	/* ---- provider <-> vssd (IVssSoftwareSnapshotProvider) ---- */
	/* PROVIDER_ID, PROVIDER_NAME, PROVIDER_TYPE, PROVIDER_VERSION,
	 * PROVIDER_VERSION_ID, [CLASS_ID] */
	MSG_PROVIDER_REGISTER = 0x60,
	/* vssd -> provider requests; the provider replies with HR (+ results) */
	MSG_PROV_IS_VOLUME_SUPPORTED = 0x61,	/* VOLUME -> BOOL */
	MSG_PROV_BEGIN_PREPARE = 0x62,		/* SNAPSHOT_SET_ID, SNAPSHOT_ID, VOLUME, CONTEXT */
	MSG_PROV_END_PREPARE = 0x63,		/* SNAPSHOT_SET_ID */
	MSG_PROV_PRECOMMIT = 0x64,		/* SNAPSHOT_SET_ID */
	MSG_PROV_COMMIT = 0x65,			/* SNAPSHOT_SET_ID */
	MSG_PROV_POSTCOMMIT = 0x66,		/* SNAPSHOT_SET_ID, COUNT */
	MSG_PROV_PREFINAL = 0x67,		/* SNAPSHOT_SET_ID */
	MSG_PROV_POSTFINAL = 0x68,		/* SNAPSHOT_SET_ID */
	MSG_PROV_ABORT = 0x69,			/* SNAPSHOT_SET_ID */
	MSG_PROV_GET_PROPERTIES = 0x6a,		/* SNAPSHOT_ID -> SNAPSHOT */
	MSG_PROV_DELETE = 0x6b,			/* SOURCE_ID, OBJECT_TYPE, FORCE -> COUNT, [NONDELETED_ID] */
	MSG_PROV_QUERY = 0x6c,			/* -> SNAPSHOT... */
	/* provider -> vssd, WIRE_NOTIFY: SNAPSHOT_ID, MESSAGE (deleted for diff
	 * area space, or lost) */
	MSG_PROV_SNAPSHOT_LOST = 0x6d,
	/* vssd -> provider (snapshot management, vss-protocol §5.5, §6.5) */
	MSG_PROV_EXPOSE = 0x6e,			/* SNAPSHOT_ID, [EXPOSED_NAME] -> EXPOSED_NAME,
						 * [EXPOSED_PATH] */
	MSG_PROV_UNEXPOSE = 0x6f,		/* SNAPSHOT_ID */
	MSG_PROV_REVERT = 0x70,			/* SNAPSHOT_ID, FORCE */
	MSG_PROV_QUERY_REVERT_STATUS = 0x71,	/* VOLUME -> STATUS, PROGRESS_DONE,
						 * PROGRESS_TOTAL, [SNAPSHOT_ID] */
};

enum vss_attr_tag {
	ATTR_HR = 0x01,			/* u32 vss_hr_t */
	ATTR_MESSAGE = 0x02,		/* str */
	ATTR_ROLE = 0x03,		/* u32 enum vss_role */
	ATTR_PROTO_VERSION = 0x04,	/* u32 */
	ATTR_CLIENT_NAME = 0x05,	/* str */
	ATTR_SERVER_VERSION = 0x06,	/* str */
	ATTR_OP_ID = 0x07,		/* u32 */
	ATTR_STATUS = 0x08,		/* u32 vss_hr_t */
	ATTR_PID = 0x09,		/* u32 */
	ATTR_TIMEOUT = 0x0a,		/* u32 ms */
	ATTR_PROGRESS_DONE = 0x0b,	/* u64: work done (revert: chunks) */
	ATTR_PROGRESS_TOTAL = 0x0c,	/* u64: work in all (0: unknown) */

	ATTR_CONTEXT = 0x10,		/* u32 (VSS_CTX_* | attribute bits) */
	ATTR_SELECT_COMPONENTS = 0x11,	/* u32 bool */
	ATTR_BOOTABLE = 0x12,		/* u32 bool */
	ATTR_BACKUP_TYPE = 0x13,	/* u32 VSS_BACKUP_TYPE */
	ATTR_PARTIAL_FILE = 0x14,	/* u32 bool */
	ATTR_RESTORE_TYPE = 0x15,	/* u32 VSS_RESTORE_TYPE */

	ATTR_WRITER_ID = 0x20,		/* id: writer class */
	ATTR_INSTANCE_ID = 0x21,	/* id: writer instance */
	ATTR_WRITER_NAME = 0x22,	/* str */
	ATTR_INSTANCE_NAME = 0x23,	/* str */
	ATTR_USAGE = 0x24,		/* u32 VSS_USAGE_TYPE */
	ATTR_SOURCE = 0x25,		/* u32 VSS_SOURCE_TYPE */
	ATTR_LEVEL = 0x26,		/* u32 VSS_APPLICATION_LEVEL */
	ATTR_FREEZE_TIMEOUT = 0x27,	/* u32 ms */
	ATTR_SUBSCRIBE_MASK = 0x28,	/* u32 VSS_SM_* */
	ATTR_MAJOR = 0x29,		/* u32 */
	ATTR_MINOR = 0x2a,		/* u32 */
	ATTR_WRITER = 0x2b,		/* nest */
	ATTR_STATE = 0x2c,		/* u32 VSS_WRITER_STATE */
	ATTR_FAILURE_HR = 0x2d,		/* u32 vss_hr_t */
	ATTR_APP_HR = 0x2e,		/* u32 vss_hr_t */
	ATTR_WMD_XML = 0x2f,		/* str: Writer Metadata Document */
	ATTR_BCD_XML = 0x30,		/* str: Backup Components Document */
	ATTR_EVENT = 0x31,		/* u32 enum vss_event */
	ATTR_SESSION_ID = 0x32,		/* id */
	ATTR_RESULT = 0x33,		/* u32 bool: handler's return value */
	ATTR_VOLUME = 0x34,		/* str: device path or mount point */

	ATTR_COMPONENT_TYPE = 0x40,	/* u32 VSS_COMPONENT_TYPE */
	ATTR_LOGICAL_PATH = 0x41,	/* str */
	ATTR_COMPONENT_NAME = 0x42,	/* str */
	ATTR_VALUE = 0x43,		/* str */
	ATTR_BOOL = 0x44,		/* u32 bool */

	ATTR_SNAPSHOT_SET_ID = 0x50,	/* id */
	ATTR_SNAPSHOT_ID = 0x51,	/* id */
	ATTR_PROVIDER_ID = 0x52,	/* id */
	/* nest VSS_SNAPSHOT_PROP: SNAPSHOT_ID, SNAPSHOT_SET_ID, SNAPSHOTS_COUNT,
	 * DEVICE_OBJECT, ORIGINAL_VOLUME, ORIGINATING_MACHINE, SERVICE_MACHINE,
	 * EXPOSED_NAME, EXPOSED_PATH, PROVIDER_ID, ATTRIBUTES,
	 * CREATION_TIMESTAMP, SNAPSHOT_STATE */
	ATTR_SNAPSHOT = 0x53,
	ATTR_SNAPSHOTS_COUNT = 0x54,	/* u32 */
	ATTR_DEVICE_OBJECT = 0x55,	/* str */
	ATTR_ORIGINAL_VOLUME = 0x56,	/* str */
	ATTR_ORIGINATING_MACHINE = 0x57,	/* str */
	ATTR_SERVICE_MACHINE = 0x58,	/* str */
	ATTR_EXPOSED_NAME = 0x59,	/* str */
	ATTR_EXPOSED_PATH = 0x5a,	/* str */
	ATTR_ATTRIBUTES = 0x5b,		/* u32 */
	ATTR_CREATION_TIMESTAMP = 0x5c,	/* u64 VSS_TIMESTAMP */
	ATTR_SNAPSHOT_STATE = 0x5d,	/* u32 VSS_SNAPSHOT_STATE */
	ATTR_OBJECT_TYPE = 0x5e,	/* u32 VSS_OBJECT_TYPE */
	ATTR_SOURCE_ID = 0x5f,		/* id */
	ATTR_FORCE = 0x60,		/* u32 bool */
	ATTR_COUNT = 0x61,		/* u32 */
	ATTR_NONDELETED_ID = 0x62,	/* id */

	/* nest VSS_PROVIDER_PROP: PROVIDER_ID, PROVIDER_NAME, PROVIDER_TYPE,
	 * PROVIDER_VERSION, PROVIDER_VERSION_ID, CLASS_ID */
	ATTR_PROVIDER = 0x70,
	ATTR_PROVIDER_NAME = 0x71,	/* str */
	ATTR_PROVIDER_TYPE = 0x72,	/* u32 VSS_PROVIDER_TYPE */
	ATTR_PROVIDER_VERSION = 0x73,	/* str */
	ATTR_PROVIDER_VERSION_ID = 0x74,	/* id */
	ATTR_CLASS_ID = 0x75,		/* id */
};

const char *proto_event_name(int ev);	/* "Identify", "Freeze", ... */
const char *proto_msg_name(int code);	/* "DoSnapshotSet", ... */

/* Snapshot properties <-> a SNAPSHOT nest (shared by vssd, libvss,
 * providers).  put: wire_nest_begin(ATTR_SNAPSHOT) ... end.  get: strings
 * malloc'd; -ENOMEM. */
struct wire_msg;
struct wire_attr;
void proto_put_snapshot(struct wire_msg *m, const vss_snapshot_prop_t *p);
int proto_get_snapshot(const struct wire_attr *nest, vss_snapshot_prop_t *p);
void proto_put_provider(struct wire_msg *m, const vss_provider_prop_t *p);
int proto_get_provider(const struct wire_attr *nest, vss_provider_prop_t *p);

/* Client side: connect to the socket (path NULL: $VSS_SOCKET or the
 * default) and say hello in a role.  Returns the fd or -errno; on a refused
 * hello returns -EACCES and *hr holds the code. */
int proto_connect(const char *path, enum vss_role role, const char *client_name,
		  vss_hr_t *hr, char *msg, size_t msglen);
const char *proto_socket_path(const char *path);

#endif
