/* names.c — names and messages of VSS result codes and enumerations. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <vss/vss.h>

struct hr_entry {
	vss_hr_t hr;
	const char *name;
	const char *msg;
};

#define HRE(n, m) { n, #n, m }
static const struct hr_entry hr_table[] = {
	HRE(S_OK, "success"),
	HRE(S_FALSE, "success (false)"),
	HRE(E_NOTIMPL, "not implemented"),
	HRE(E_FAIL, "unspecified failure"),
	HRE(E_ACCESSDENIED, "access denied: the caller lacks the privilege"),
	HRE(E_OUTOFMEMORY, "out of memory"),
	HRE(E_INVALIDARG, "invalid argument"),
	HRE(E_UNEXPECTED, "unexpected failure"),
	HRE(VSS_S_ASYNC_PENDING, "the asynchronous operation is still running"),
	HRE(VSS_S_ASYNC_FINISHED, "the asynchronous operation finished"),
	HRE(VSS_S_ASYNC_CANCELLED, "the asynchronous operation was cancelled"),
	HRE(VSS_E_BAD_STATE, "the call is not valid in the object's current state"),
	HRE(VSS_E_UNEXPECTED, "unexpected internal error"),
	HRE(VSS_E_PROVIDER_ALREADY_REGISTERED, "the provider is already registered"),
	HRE(VSS_E_PROVIDER_NOT_REGISTERED, "no such provider is registered"),
	HRE(VSS_E_PROVIDER_VETO, "the provider refused or failed the operation"),
	HRE(VSS_E_PROVIDER_IN_USE, "the provider is in use"),
	HRE(VSS_E_OBJECT_NOT_FOUND, "the object was not found"),
	HRE(VSS_E_VOLUME_NOT_SUPPORTED, "no provider supports the volume"),
	HRE(VSS_E_OBJECT_ALREADY_EXISTS, "the object already exists"),
	HRE(VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, "the provider does not support the volume"),
	HRE(VSS_E_UNEXPECTED_PROVIDER_ERROR, "the provider returned an unexpected error"),
	HRE(VSS_E_CORRUPT_XML_DOCUMENT, "the XML document is malformed"),
	HRE(VSS_E_INVALID_XML_DOCUMENT, "the XML document is not valid"),
	HRE(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, "too many volumes in the snapshot set"),
	HRE(VSS_E_FLUSH_WRITES_TIMEOUT, "the file systems could not be flushed in time"),
	HRE(VSS_E_HOLD_WRITES_TIMEOUT, "writes could not be held for the commit in time"),
	HRE(VSS_E_UNEXPECTED_WRITER_ERROR, "communication with the writers failed"),
	HRE(VSS_E_SNAPSHOT_SET_IN_PROGRESS, "another snapshot set is being created"),
	HRE(VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED, "the volume has the maximum number of snapshots"),
	HRE(VSS_E_WRITER_INFRASTRUCTURE, "the writer infrastructure is not working"),
	HRE(VSS_E_WRITER_NOT_RESPONDING, "the writer did not respond"),
	HRE(VSS_E_WRITER_ALREADY_SUBSCRIBED, "the writer is already subscribed"),
	HRE(VSS_E_UNSUPPORTED_CONTEXT, "the context is not supported"),
	HRE(VSS_E_VOLUME_IN_USE, "the volume is in use"),
	HRE(VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED, "too many shadow storage associations"),
	HRE(VSS_E_INSUFFICIENT_STORAGE, "not enough shadow storage space"),
	HRE(VSS_E_NO_SNAPSHOTS_IMPORTED, "no snapshots were imported"),
	HRE(VSS_E_SOME_SNAPSHOTS_NOT_IMPORTED, "some snapshots were not imported"),
	HRE(VSS_E_REVERT_IN_PROGRESS, "a revert is already running on the volume"),
	HRE(VSS_E_REVERT_VOLUME_LOST, "the volume was lost during the revert"),
	HRE(VSS_E_REBOOT_REQUIRED, "the provider needs a reboot"),
	HRE(VSS_E_TRANSACTION_FREEZE_TIMEOUT, "transaction managers could not be frozen"),
	HRE(VSS_E_TRANSACTION_THAW_TIMEOUT, "transaction managers could not be thawed"),
	HRE(VSS_E_UNSELECTED_VOLUME, "the volume was not selected"),
	HRE(VSS_E_SNAPSHOT_NOT_IN_SET, "the snapshot is not in the set"),
	HRE(VSS_E_NESTED_VOLUME_LIMIT, "volumes are nested too deeply"),
	HRE(VSS_E_VOLUME_NOT_LOCAL, "the volume is not local"),
	HRE(VSS_E_NOT_SUPPORTED, "the operation is not supported"),
	HRE(VSS_E_WRITERERROR_PARTIAL_FAILURE, "the writer recorded component-level failures"),
	HRE(VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT, "the snapshot set lacks volumes the writer needs"),
	HRE(VSS_E_WRITERERROR_OUTOFRESOURCES, "the writer ran out of resources"),
	HRE(VSS_E_WRITERERROR_TIMEOUT, "the writer's freeze window expired before thaw"),
	HRE(VSS_E_WRITERERROR_RETRYABLE, "transient writer error; retry"),
	HRE(VSS_E_WRITERERROR_NONRETRYABLE, "writer error; do not retry"),
	HRE(VSS_E_WRITERERROR_RECOVERY_FAILED, "the writer could not recover its data on the snapshot"),
	HRE(VSS_E_AUTORECOVERY_FAILED, "auto-recovery of the snapshot failed"),
	HRE(VSS_E_CANNOT_REVERT_DISKID, "the disk identity could not be reverted"),
	HRE(VSS_E_WRITER_STATUS_NOT_AVAILABLE, "writer status is not available"),
};

const char *vss_hr_name(vss_hr_t hr)
{
	for (size_t i = 0; i < sizeof(hr_table) / sizeof(hr_table[0]); i++)
		if (hr_table[i].hr == hr)
			return hr_table[i].name;
	return NULL;
}

const char *vss_hr_message(vss_hr_t hr)
{
	for (size_t i = 0; i < sizeof(hr_table) / sizeof(hr_table[0]); i++)
		if (hr_table[i].hr == hr)
			return hr_table[i].msg;
	return VSS_FAILED(hr) ? "unknown failure" : "unknown success code";
}

int vss_hr_parse(const char *s, vss_hr_t *hr)
{
	char *end;
	unsigned long v;

	if (!s || !*s || !hr)
		return -1;
	for (size_t i = 0; i < sizeof(hr_table) / sizeof(hr_table[0]); i++)
		if (strcasecmp(hr_table[i].name, s) == 0) {
			*hr = hr_table[i].hr;
			return 0;
		}
	/* strtoul would take "-1" as 0xFFFFFFFF on a 32-bit long */
	if (strchr(s, '-'))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (*end || v > 0xFFFFFFFFul)
		return -1;
	*hr = (vss_hr_t)(uint32_t)v;
	return 0;
}

#define NAME_FN(fn, type, arr)						\
	const char *fn(type v)						\
	{								\
		if ((int)v >= 0 && (size_t)v < sizeof(arr) / sizeof(arr[0]) && \
		    arr[v])						\
			return arr[v];					\
		return "UNKNOWN";					\
	}

static const char *const ws_names[] = {
	"VSS_WS_UNKNOWN", "VSS_WS_STABLE", "VSS_WS_WAITING_FOR_FREEZE",
	"VSS_WS_WAITING_FOR_THAW", "VSS_WS_WAITING_FOR_POST_SNAPSHOT",
	"VSS_WS_WAITING_FOR_BACKUP_COMPLETE", "VSS_WS_FAILED_AT_IDENTIFY",
	"VSS_WS_FAILED_AT_PREPARE_BACKUP", "VSS_WS_FAILED_AT_PREPARE_SNAPSHOT",
	"VSS_WS_FAILED_AT_FREEZE", "VSS_WS_FAILED_AT_THAW",
	"VSS_WS_FAILED_AT_POST_SNAPSHOT", "VSS_WS_FAILED_AT_BACKUP_COMPLETE",
	"VSS_WS_FAILED_AT_PRE_RESTORE", "VSS_WS_FAILED_AT_POST_RESTORE",
	"VSS_WS_FAILED_AT_BACKUPSHUTDOWN",
};
NAME_FN(vss_writer_state_name, VSS_WRITER_STATE, ws_names)

static const char *const ss_names[] = {
	"VSS_SS_UNKNOWN", "VSS_SS_PREPARING", "VSS_SS_PROCESSING_PREPARE",
	"VSS_SS_PREPARED", "VSS_SS_PROCESSING_PRECOMMIT", "VSS_SS_PRECOMMITTED",
	"VSS_SS_PROCESSING_COMMIT", "VSS_SS_COMMITTED",
	"VSS_SS_PROCESSING_POSTCOMMIT", "VSS_SS_PROCESSING_PREFINALCOMMIT",
	"VSS_SS_PREFINALCOMMITTED", "VSS_SS_PROCESSING_POSTFINALCOMMIT",
	"VSS_SS_CREATED", "VSS_SS_ABORTED", "VSS_SS_DELETED",
	"VSS_SS_POSTCOMMITTED",
};
NAME_FN(vss_snapshot_state_name, VSS_SNAPSHOT_STATE, ss_names)

static const char *const ut_names[] = {
	"VSS_UT_UNDEFINED", "VSS_UT_BOOTABLESYSTEMSTATE", "VSS_UT_SYSTEMSERVICE",
	"VSS_UT_USERDATA", "VSS_UT_OTHER",
};
NAME_FN(vss_usage_type_name, VSS_USAGE_TYPE, ut_names)

static const char *const st_names[] = {
	"VSS_ST_UNDEFINED", "VSS_ST_TRANSACTEDDB", "VSS_ST_NONTRANSACTEDDB",
	"VSS_ST_OTHER",
};
NAME_FN(vss_source_type_name, VSS_SOURCE_TYPE, st_names)

static const char *const bt_names[] = {
	"VSS_BT_UNDEFINED", "VSS_BT_FULL", "VSS_BT_INCREMENTAL",
	"VSS_BT_DIFFERENTIAL", "VSS_BT_LOG", "VSS_BT_COPY", "VSS_BT_OTHER",
};
NAME_FN(vss_backup_type_name, VSS_BACKUP_TYPE, bt_names)

static const char *const ct_names[] = {
	"VSS_CT_UNDEFINED", "VSS_CT_DATABASE", "VSS_CT_FILEGROUP",
};
NAME_FN(vss_component_type_name, VSS_COMPONENT_TYPE, ct_names)

static const char *const pt_names[] = {
	"VSS_PROV_UNKNOWN", "VSS_PROV_SYSTEM", "VSS_PROV_SOFTWARE",
	"VSS_PROV_HARDWARE", "VSS_PROV_FILESHARE",
};
NAME_FN(vss_provider_type_name, VSS_PROVIDER_TYPE, pt_names)

const char *vss_app_level_name(VSS_APPLICATION_LEVEL l)
{
	switch (l) {
	case VSS_APP_AUTO: return "VSS_APP_AUTO";
	case VSS_APP_UNKNOWN: return "VSS_APP_UNKNOWN";
	case VSS_APP_SYSTEM: return "VSS_APP_SYSTEM";
	case VSS_APP_BACK_END: return "VSS_APP_BACK_END";
	case VSS_APP_FRONT_END: return "VSS_APP_FRONT_END";
	case VSS_APP_SYSTEM_RM: return "VSS_APP_SYSTEM_RM";
	}
	return "UNKNOWN";
}
