/* reqprint.c — labels, text records and JSON for the requester tools. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "reqprint.h"

int reqp_exit_code(vss_hr_t hr)
{
	if (VSS_SUCCEEDED(hr))
		return EXIT_VS_OK;
	if (hr == E_OUTOFMEMORY)
		return EXIT_VS_MEMORY;
	if (hr == VSS_E_OBJECT_NOT_FOUND || hr == E_INVALIDARG)
		return EXIT_VS_USAGE;
	return EXIT_VS_RUNTIME;
}

const char *reqp_writer_state_label(VSS_WRITER_STATE s)
{
	switch (s) {
	case VSS_WS_UNKNOWN: return "Unknown";
	case VSS_WS_STABLE: return "Stable";
	case VSS_WS_WAITING_FOR_FREEZE: return "Waiting for freeze";
	case VSS_WS_WAITING_FOR_THAW: return "Frozen";
	case VSS_WS_WAITING_FOR_POST_SNAPSHOT: return "Waiting for post-snapshot";
	case VSS_WS_WAITING_FOR_BACKUP_COMPLETE: return "Waiting for completion";
	case VSS_WS_COUNT: break;
	default: return "Failed";
	}
	return "Unknown";
}

const char *reqp_last_error_label(vss_hr_t hr)
{
	switch ((uint32_t)hr) {
	case (uint32_t)S_OK: return "No error";
	case (uint32_t)VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT: return "Inconsistent shadow copy";
	case (uint32_t)VSS_E_WRITERERROR_OUTOFRESOURCES: return "Out of resources";
	case (uint32_t)VSS_E_WRITERERROR_TIMEOUT: return "Timed out";
	case (uint32_t)VSS_E_WRITERERROR_RETRYABLE: return "Retryable error";
	case (uint32_t)VSS_E_WRITERERROR_NONRETRYABLE: return "Non-retryable error";
	case (uint32_t)VSS_E_WRITERERROR_RECOVERY_FAILED: return "Recovery failed";
	case (uint32_t)VSS_E_WRITERERROR_PARTIAL_FAILURE: return "Partial failure";
	case (uint32_t)VSS_E_WRITER_NOT_RESPONDING: return "Not responding";
	case (uint32_t)VSS_E_WRITER_STATUS_NOT_AVAILABLE: return "Status not available";
	}
	return "Unexpected error";
}

const char *reqp_provider_type_label(VSS_PROVIDER_TYPE t)
{
	switch (t) {
	case VSS_PROV_SYSTEM: return "System";
	case VSS_PROV_SOFTWARE: return "Software";
	case VSS_PROV_HARDWARE: return "Hardware";
	case VSS_PROV_FILESHARE: return "File share";
	case VSS_PROV_UNKNOWN: break;
	}
	return "Unknown";
}

static const struct {
	int32_t bit;
	const char *name;
} attr_names[] = {
	{ VSS_VOLSNAP_ATTR_PERSISTENT, "Persistent" },
	{ VSS_VOLSNAP_ATTR_NO_AUTORECOVERY, "No_Auto_Recovery" },
	{ VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE, "Client_accessible" },
	{ VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE, "No_Auto_Release" },
	{ VSS_VOLSNAP_ATTR_NO_WRITERS, "No_Writers" },
	{ VSS_VOLSNAP_ATTR_TRANSPORTABLE, "Transportable" },
	{ VSS_VOLSNAP_ATTR_NOT_SURFACED, "Not_Surfaced" },
	{ VSS_VOLSNAP_ATTR_NOT_TRANSACTED, "Not_Transacted" },
	{ VSS_VOLSNAP_ATTR_HARDWARE_ASSISTED, "Hardware_Assisted" },
	{ VSS_VOLSNAP_ATTR_DIFFERENTIAL, "Differential" },
	{ VSS_VOLSNAP_ATTR_PLEX, "Plex" },
	{ VSS_VOLSNAP_ATTR_IMPORTED, "Imported" },
	{ VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY, "Exposed_Locally" },
	{ VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY, "Exposed_Remotely" },
	{ VSS_VOLSNAP_ATTR_AUTORECOVER, "Auto_Recover" },
	{ VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY, "Rollback_Recovery" },
	{ VSS_VOLSNAP_ATTR_DELAYED_POSTSNAPSHOT, "Delayed_PostSnapshot" },
	{ VSS_VOLSNAP_ATTR_TXF_RECOVERY, "TxF_Recovery" },
	{ VSS_VOLSNAP_ATTR_FILE_SHARE, "File_Share" },
};

void reqp_attributes(int32_t attrs, const char *sep, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
		if (!(attrs & attr_names[i].bit))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? sep : "",
			      attr_names[i].name);
		if (n >= len)
			return;
	}
}

const char *reqp_context_label(int32_t attrs)
{
	switch (attrs & 0x1f) {
	case VSS_CTX_BACKUP: return "Backup";
	case VSS_CTX_FILE_SHARE_BACKUP: return "FileShareBackup";
	case VSS_CTX_NAS_ROLLBACK: return "DataVolumeRollback";
	case VSS_CTX_APP_ROLLBACK: return "ApplicationRollback";
	case VSS_CTX_CLIENT_ACCESSIBLE: return "ClientAccessible";
	case VSS_CTX_CLIENT_ACCESSIBLE_WRITERS: return "ClientAccessibleWriters";
	}
	return "Unknown";
}

/* 100 ns ticks between 1601-01-01 and 1970-01-01 */
#define EPOCH_DIFF 116444736000000000LL

char *reqp_time(vss_timestamp_t ts, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (ts <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = (time_t)((ts - EPOCH_DIFF) / 10000000);
	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

static char *utc_time(vss_timestamp_t ts, char *buf, size_t len)
{
	time_t t = (time_t)((ts - EPOCH_DIFF) / 10000000);
	struct tm tm;

	if (ts <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return buf;
}

bool reqp_same_volume(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

const char *reqp_text(const char *s)
{
	static char ring[8][4 * 1024 + 16];
	static unsigned next;
	char *out = ring[next++ % 8], *o = out;
	const size_t room = sizeof(ring[0]) - 8;

	for (; s && *s && (size_t)(o - out) < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			o += sprintf(o, "\\n");
		else if (c == '\t')
			o += sprintf(o, "\\t");
		else if (c == '\r')
			o += sprintf(o, "\\r");
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	if (s && *s)
		o += sprintf(o, "...");
	*o = '\0';
	return out;
}

char *reqp_hex(vss_hr_t hr, char buf[12])
{
	snprintf(buf, 12, "0x%08X", (unsigned)hr);
	return buf;
}

static const char *hr_text(vss_hr_t hr)
{
	const char *n = vss_hr_name(hr);

	return n ? n : "unknown";
}

void reqp_print_snapshot(FILE *f, const vss_snapshot_prop_t *p)
{
	char id[VSS_ID_STRLEN], t[64], attrs[512];

	fprintf(f, "* SNAPSHOT ID = %s ...\n", vss_id_format(&p->snapshot_id, id));
	fprintf(f, "   - Shadow copy Set: %s\n", vss_id_format(&p->snapshot_set_id, id));
	fprintf(f, "   - Original count of shadow copies = %d\n", (int)p->snapshots_count);
	fprintf(f, "   - Original Volume name: %s\n",
		p->original_volume_name ? p->original_volume_name : "");
	fprintf(f, "   - Creation Time: %s\n", reqp_time(p->creation_timestamp, t, sizeof(t)));
	fprintf(f, "   - Shadow copy device name: %s\n",
		p->snapshot_device_object ? p->snapshot_device_object : "");
	fprintf(f, "   - Originating machine: %s\n",
		p->originating_machine ? p->originating_machine : "");
	fprintf(f, "   - Service machine: %s\n", p->service_machine ? p->service_machine : "");
	if (p->exposed_name && *p->exposed_name) {
		fprintf(f, "   - Exposed name: %s\n", p->exposed_name);
		if (p->exposed_path && *p->exposed_path)
			fprintf(f, "   - Exposed path: %s\n", p->exposed_path);
	} else {
		fprintf(f, "   - Not Exposed\n");
	}
	fprintf(f, "   - Provider id: %s\n", vss_id_format(&p->provider_id, id));
	reqp_attributes(p->snapshot_attributes, " ", attrs, sizeof(attrs));
	fprintf(f, "   - Attributes:  %s\n", attrs);
	fprintf(f, "   - Status: %d (%s)\n", (int)p->status, vss_snapshot_state_name(p->status));
	fprintf(f, "\n");
}

void reqp_print_writer_status(FILE *f, const vss_writer_status_t *w)
{
	char id[VSS_ID_STRLEN], hex[12];

	fprintf(f, "* WRITER \"%s\"\n", reqp_text(w->writer_name));
	fprintf(f, "   - Status: %d (%s)\n", (int)w->state, vss_writer_state_name(w->state));
	fprintf(f, "   - Writer Failure code: %s (%s)\n", reqp_hex(w->failure_hr, hex),
		hr_text(w->failure_hr));
	fprintf(f, "   - Writer ID: %s\n", vss_id_format(&w->writer_id, id));
	fprintf(f, "   - Instance ID: %s\n", vss_id_format(&w->instance_id, id));
	if (w->instance_name && *w->instance_name)
		fprintf(f, "   - Instance name: %s\n", reqp_text(w->instance_name));
	if (w->app_hr)
		fprintf(f, "   - Application error code: %s\n", reqp_hex(w->app_hr, hex));
	if (w->message && *w->message)
		fprintf(f, "   - Application error message: %s\n", reqp_text(w->message));
	fprintf(f, "\n");
}

/* ---- JSON ---- */

json_object *reqp_json_id(const vss_id_t *id)
{
	char buf[VSS_ID_STRLEN];

	return json_object_new_string(vss_id_format(id, buf));
}

json_object *reqp_json_hr(vss_hr_t hr)
{
	char hex[12];

	return json_object_new_string(reqp_hex(hr, hex));
}

static json_object *json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *reqp_json_snapshot(const vss_snapshot_prop_t *p)
{
	json_object *o = json_object_new_object(), *names = json_object_new_array();
	char t[64];

	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (p->snapshot_attributes & attr_names[i].bit)
			json_object_array_add(names, json_object_new_string(attr_names[i].name));
	json_object_object_add(o, "snapshot_id", reqp_json_id(&p->snapshot_id));
	json_object_object_add(o, "snapshot_set_id", reqp_json_id(&p->snapshot_set_id));
	json_object_object_add(o, "snapshots_count", json_object_new_int(p->snapshots_count));
	json_object_object_add(o, "device_object", json_str(p->snapshot_device_object));
	json_object_object_add(o, "original_volume", json_str(p->original_volume_name));
	json_object_object_add(o, "originating_machine", json_str(p->originating_machine));
	json_object_object_add(o, "service_machine", json_str(p->service_machine));
	json_object_object_add(o, "exposed_name", json_str(p->exposed_name));
	json_object_object_add(o, "exposed_path", json_str(p->exposed_path));
	json_object_object_add(o, "provider_id", reqp_json_id(&p->provider_id));
	json_object_object_add(o, "attributes", json_object_new_int64((uint32_t)p->snapshot_attributes));
	json_object_object_add(o, "attribute_names", names);
	json_object_object_add(o, "context", json_object_new_string(
				       reqp_context_label(p->snapshot_attributes)));
	json_object_object_add(o, "creation_timestamp", json_object_new_int64(p->creation_timestamp));
	json_object_object_add(o, "creation_time",
			       json_str(utc_time(p->creation_timestamp, t, sizeof(t))));
	json_object_object_add(o, "state", json_object_new_int(p->status));
	json_object_object_add(o, "state_name",
			       json_object_new_string(vss_snapshot_state_name(p->status)));
	return o;
}

json_object *reqp_json_writer_status(const vss_writer_status_t *w, bool admin)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "writer_name", json_str(w->writer_name));
	json_object_object_add(o, "writer_id", reqp_json_id(&w->writer_id));
	json_object_object_add(o, "instance_id", reqp_json_id(&w->instance_id));
	json_object_object_add(o, "instance_name", json_str(w->instance_name));
	json_object_object_add(o, "state", json_object_new_int(w->state));
	json_object_object_add(o, "state_name",
			       json_object_new_string(vss_writer_state_name(w->state)));
	json_object_object_add(o, "failure_hr", reqp_json_hr(w->failure_hr));
	json_object_object_add(o, "failure_name", json_object_new_string(hr_text(w->failure_hr)));
	json_object_object_add(o, "app_hr", reqp_json_hr(w->app_hr));
	json_object_object_add(o, "message", json_str(w->message));
	if (admin) {
		json_object_object_add(o, "level", json_object_new_string(
					       vss_app_level_name(w->level)));
		json_object_object_add(o, "usage", json_object_new_string(
					       vss_usage_type_name(w->usage)));
		json_object_object_add(o, "source", json_object_new_string(
					       vss_source_type_name(w->source)));
		json_object_object_add(o, "freeze_timeout_ms",
				       json_object_new_int64(w->freeze_timeout_ms));
		json_object_object_add(o, "pid", json_object_new_int64(w->pid));
	}
	return o;
}

json_object *reqp_json_provider(const vss_provider_prop_t *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "provider_id", reqp_json_id(&p->provider_id));
	json_object_object_add(o, "provider_name", json_str(p->provider_name));
	json_object_object_add(o, "provider_type", json_object_new_string(
				       vss_provider_type_name(p->provider_type)));
	json_object_object_add(o, "provider_version", json_str(p->provider_version));
	json_object_object_add(o, "provider_version_id", reqp_json_id(&p->provider_version_id));
	json_object_object_add(o, "class_id", reqp_json_id(&p->class_id));
	return o;
}

void reqp_json_print(FILE *f, const char *key, json_object *arr)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, arr);
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
