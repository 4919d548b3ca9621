/* proto.c — helpers shared by every speaker of the protocol (proto.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/proto.h"
#include "common/util.h"
#include "common/wire.h"

const char *proto_event_name(int ev)
{
	static const char *const names[EV_COUNT] = {
		[EV_IDENTIFY] = "Identify",
		[EV_PREPARE_BACKUP] = "PrepareForBackup",
		[EV_PREPARE_SNAPSHOT] = "PrepareForSnapshot",
		[EV_FREEZE] = "Freeze",
		[EV_THAW] = "Thaw",
		[EV_POST_SNAPSHOT] = "PostSnapshot",
		[EV_ABORT] = "Abort",
		[EV_BACKUP_COMPLETE] = "BackupComplete",
		[EV_BACKUP_SHUTDOWN] = "BackupShutdown",
		[EV_PRE_RESTORE] = "PreRestore",
		[EV_POST_RESTORE] = "PostRestore",
	};

	if (ev > 0 && ev < EV_COUNT && names[ev])
		return names[ev];
	return "Unknown";
}

const char *proto_msg_name(int code)
{
	switch (code) {
	case MSG_HELLO: return "Hello";
	case MSG_INIT_BACKUP: return "InitializeForBackup";
	case MSG_INIT_RESTORE: return "InitializeForRestore";
	case MSG_SET_CONTEXT: return "SetContext";
	case MSG_SET_BACKUP_STATE: return "SetBackupState";
	case MSG_ENABLE_WRITER_CLASSES: return "EnableWriterClasses";
	case MSG_DISABLE_WRITER_CLASSES: return "DisableWriterClasses";
	case MSG_DISABLE_WRITER_INSTANCES: return "DisableWriterInstances";
	case MSG_GATHER_WRITER_METADATA: return "GatherWriterMetadata";
	case MSG_GET_WRITER_METADATA: return "GetWriterMetadata";
	case MSG_ADD_COMPONENT: return "AddComponent";
	case MSG_SET_BACKUP_OPTIONS: return "SetBackupOptions";
	case MSG_SET_PREVIOUS_BACKUP_STAMP: return "SetPreviousBackupStamp";
	case MSG_START_SNAPSHOT_SET: return "StartSnapshotSet";
	case MSG_ADD_TO_SNAPSHOT_SET: return "AddToSnapshotSet";
	case MSG_IS_VOLUME_SUPPORTED: return "IsVolumeSupported";
	case MSG_PREPARE_FOR_BACKUP: return "PrepareForBackup";
	case MSG_DO_SNAPSHOT_SET: return "DoSnapshotSet";
	case MSG_GATHER_WRITER_STATUS: return "GatherWriterStatus";
	case MSG_GET_WRITER_STATUS: return "GetWriterStatus";
	case MSG_SET_BACKUP_SUCCEEDED: return "SetBackupSucceeded";
	case MSG_BACKUP_COMPLETE: return "BackupComplete";
	case MSG_ABORT_BACKUP: return "AbortBackup";
	case MSG_GET_SNAPSHOT_PROPERTIES: return "GetSnapshotProperties";
	case MSG_QUERY: return "Query";
	case MSG_DELETE_SNAPSHOTS: return "DeleteSnapshots";
	case MSG_SAVE_AS_XML: return "SaveAsXML";
	case MSG_ASYNC_CANCEL: return "Cancel";
	case MSG_ASYNC_STATUS: return "QueryStatus";
	case MSG_LIST_WRITERS: return "ListWriters";
	case MSG_LIST_PROVIDERS: return "ListProviders";
	case MSG_EXPOSE_SNAPSHOT: return "ExposeSnapshot";
	case MSG_UNEXPOSE_SNAPSHOT: return "UnexposeSnapshot";
	case MSG_REVERT_TO_SNAPSHOT: return "RevertToSnapshot";
	case MSG_QUERY_REVERT_STATUS: return "QueryRevertStatus";
	case MSG_PRE_RESTORE: return "PreRestore";
	case MSG_POST_RESTORE: return "PostRestore";
	case MSG_SET_SELECTED_FOR_RESTORE: return "SetSelectedForRestore";
	case MSG_SET_RESTORE_OPTIONS: return "SetRestoreOptions";
	case MSG_SET_ADDITIONAL_RESTORES: return "SetAdditionalRestores";
	case MSG_SET_FILE_RESTORE_STATUS: return "SetFileRestoreStatus";
	case MSG_SET_RESTORE_STATE: return "SetRestoreState";
	case MSG_ASYNC_DONE: return "AsyncDone";
	case MSG_WRITER_SUBSCRIBE: return "Subscribe";
	case MSG_WRITER_UNSUBSCRIBE: return "Unsubscribe";
	case MSG_EVENT: return "Event";
	case MSG_PROVIDER_REGISTER: return "RegisterProvider";
	case MSG_PROV_IS_VOLUME_SUPPORTED: return "IsVolumeSupported";
	case MSG_PROV_BEGIN_PREPARE: return "BeginPrepareSnapshot";
	case MSG_PROV_END_PREPARE: return "EndPrepareSnapshots";
	case MSG_PROV_PRECOMMIT: return "PreCommitSnapshots";
	case MSG_PROV_COMMIT: return "CommitSnapshots";
	case MSG_PROV_POSTCOMMIT: return "PostCommitSnapshots";
	case MSG_PROV_PREFINAL: return "PreFinalCommitSnapshots";
	case MSG_PROV_POSTFINAL: return "PostFinalCommitSnapshots";
	case MSG_PROV_ABORT: return "AbortSnapshots";
	case MSG_PROV_GET_PROPERTIES: return "GetSnapshotProperties";
	case MSG_PROV_DELETE: return "DeleteSnapshots";
	case MSG_PROV_QUERY: return "Query";
	case MSG_PROV_SNAPSHOT_LOST: return "SnapshotLost";
	case MSG_PROV_EXPOSE: return "ExposeSnapshot";
	case MSG_PROV_UNEXPOSE: return "UnexposeSnapshot";
	case MSG_PROV_REVERT: return "RevertToSnapshot";
	case MSG_PROV_QUERY_REVERT_STATUS: return "QueryRevertStatus";
	}
	return "Unknown";
}

void proto_put_snapshot(struct wire_msg *m, const vss_snapshot_prop_t *p)
{
	wire_nest_begin(m, ATTR_SNAPSHOT);
	wire_put_id(m, ATTR_SNAPSHOT_ID, &p->snapshot_id);
	wire_put_id(m, ATTR_SNAPSHOT_SET_ID, &p->snapshot_set_id);
	wire_put_u32(m, ATTR_SNAPSHOTS_COUNT, (uint32_t)p->snapshots_count);
	wire_put_str(m, ATTR_DEVICE_OBJECT, p->snapshot_device_object);
	wire_put_str(m, ATTR_ORIGINAL_VOLUME, p->original_volume_name);
	wire_put_str(m, ATTR_ORIGINATING_MACHINE, p->originating_machine);
	wire_put_str(m, ATTR_SERVICE_MACHINE, p->service_machine);
	wire_put_str(m, ATTR_EXPOSED_NAME, p->exposed_name);
	wire_put_str(m, ATTR_EXPOSED_PATH, p->exposed_path);
	wire_put_id(m, ATTR_PROVIDER_ID, &p->provider_id);
	wire_put_u32(m, ATTR_ATTRIBUTES, (uint32_t)p->snapshot_attributes);
	wire_put_u64(m, ATTR_CREATION_TIMESTAMP, (uint64_t)p->creation_timestamp);
	wire_put_u32(m, ATTR_SNAPSHOT_STATE, p->status);
	wire_nest_end(m);
}

static int dup_str(const struct wire_attr *a, char **dst)
{
	if (a->kind != WIRE_STR)
		return -EBADMSG;
	free(*dst);
	*dst = wire_attr_str(a);
	return *dst ? 0 : -ENOMEM;
}

int proto_get_snapshot(const struct wire_attr *nest, vss_snapshot_prop_t *p)
{
	struct wire_iter it;
	struct wire_attr a;
	int r = 0;

	memset(p, 0, sizeof(*p));
	if (nest->kind != WIRE_NEST)
		return -EBADMSG;
	wire_iter_nest(&it, nest);
	while (r == 0 && wire_next(&it, &a)) {
		switch (a.tag) {
		case ATTR_SNAPSHOT_ID: wire_attr_id(&a, &p->snapshot_id); break;
		case ATTR_SNAPSHOT_SET_ID: wire_attr_id(&a, &p->snapshot_set_id); break;
		case ATTR_SNAPSHOTS_COUNT: p->snapshots_count = (int32_t)wire_attr_u32(&a); break;
		case ATTR_DEVICE_OBJECT: r = dup_str(&a, &p->snapshot_device_object); break;
		case ATTR_ORIGINAL_VOLUME: r = dup_str(&a, &p->original_volume_name); break;
		case ATTR_ORIGINATING_MACHINE: r = dup_str(&a, &p->originating_machine); break;
		case ATTR_SERVICE_MACHINE: r = dup_str(&a, &p->service_machine); break;
		case ATTR_EXPOSED_NAME: r = dup_str(&a, &p->exposed_name); break;
		case ATTR_EXPOSED_PATH: r = dup_str(&a, &p->exposed_path); break;
		case ATTR_PROVIDER_ID: wire_attr_id(&a, &p->provider_id); break;
		case ATTR_ATTRIBUTES: p->snapshot_attributes = (int32_t)wire_attr_u32(&a); break;
		case ATTR_CREATION_TIMESTAMP: p->creation_timestamp = (int64_t)wire_attr_u64(&a); break;
		case ATTR_SNAPSHOT_STATE: p->status = wire_attr_u32(&a); break;
		}
	}
	if (r)
		vss_snapshot_prop_clear(p);
	return r;
}

void proto_put_provider(struct wire_msg *m, const vss_provider_prop_t *p)
{
	wire_nest_begin(m, ATTR_PROVIDER);
	wire_put_id(m, ATTR_PROVIDER_ID, &p->provider_id);
	wire_put_str(m, ATTR_PROVIDER_NAME, p->provider_name);
	wire_put_u32(m, ATTR_PROVIDER_TYPE, p->provider_type);
	wire_put_str(m, ATTR_PROVIDER_VERSION, p->provider_version);
	wire_put_id(m, ATTR_PROVIDER_VERSION_ID, &p->provider_version_id);
	wire_put_id(m, ATTR_CLASS_ID, &p->class_id);
	wire_nest_end(m);
}

int proto_get_provider(const struct wire_attr *nest, vss_provider_prop_t *p)
{
	struct wire_iter it;
	struct wire_attr a;
	int r = 0;

	memset(p, 0, sizeof(*p));
	if (nest->kind != WIRE_NEST)
		return -EBADMSG;
	wire_iter_nest(&it, nest);
	while (r == 0 && wire_next(&it, &a)) {
		switch (a.tag) {
		case ATTR_PROVIDER_ID: wire_attr_id(&a, &p->provider_id); break;
		case ATTR_PROVIDER_NAME: r = dup_str(&a, &p->provider_name); break;
		case ATTR_PROVIDER_TYPE: p->provider_type = wire_attr_u32(&a); break;
		case ATTR_PROVIDER_VERSION: r = dup_str(&a, &p->provider_version); break;
		case ATTR_PROVIDER_VERSION_ID: wire_attr_id(&a, &p->provider_version_id); break;
		case ATTR_CLASS_ID: wire_attr_id(&a, &p->class_id); break;
		}
	}
	if (r)
		vss_provider_prop_clear(p);
	return r;
}

const char *proto_socket_path(const char *path)
{
	const char *e;

	if (path && *path)
		return path;
	e = getenv("VSS_SOCKET");
	return e && *e ? e : VSS_DEFAULT_SOCKET;
}

int proto_connect(const char *path, enum vss_role role, const char *client_name,
		  vss_hr_t *hr, char *msg, size_t msglen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wire_msg m;
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *pl;
	int fd, r;

	*hr = S_OK;
	if (msglen)
		msg[0] = '\0';
	path = proto_socket_path(path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	wire_msg_init(&m, MSG_HELLO, 1);
	wire_put_u32(&m, ATTR_ROLE, role);
	wire_put_u32(&m, ATTR_PROTO_VERSION, VSS_PROTO_VERSION);
	wire_put_str(&m, ATTR_CLIENT_NAME, client_name);
	wire_put_u32(&m, ATTR_PID, (uint32_t)getpid());
	r = wire_send(fd, &m);
	wire_msg_free(&m);
	if (r == 0)
		r = wire_recv(fd, &rx, 30000, &h, &pl);
	if (r == 1) {
		r = 0;
		if (h.type != (MSG_HELLO | WIRE_REPLY) || h.seq != 1) {
			r = -EPROTO;
		} else {
			*hr = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_HR, (uint32_t)E_UNEXPECTED);
			if (VSS_FAILED(*hr)) {
				char *s = wire_get_str(pl, h.len, ATTR_MESSAGE);

				if (s && msglen)
					snprintf(msg, msglen, "%s", s);
				free(s);
				r = -EACCES;
			}
		}
	}
	wire_rx_free(&rx);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}
