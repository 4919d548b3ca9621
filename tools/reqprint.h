/* reqprint.h — what vshadow and vssadmin print: labels of VSS values in
 * the words of the Windows tools, snapshot and writer records as text and
 * as JSON (json-c), and the exit code for a failed call.  Internal. */
#ifndef VSS_TOOLS_REQPRINT_H
#define VSS_TOOLS_REQPRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include <vss/backup.h>

/* Exit codes of the vshadow sample (vss-protocol §11.2). */
enum {
	EXIT_VS_OK = 0,
	EXIT_VS_USAGE = 1,	/* bad parameters, object not found */
	EXIT_VS_RUNTIME = 2,
	EXIT_VS_MEMORY = 3,
};

/* The exit code for a failed call's hr. */
int reqp_exit_code(vss_hr_t hr);
/* "Stable", "Waiting for completion", "Failed", ... (vssadmin). */
const char *reqp_writer_state_label(VSS_WRITER_STATE s);
/* "No error", "Timed out", "Retryable error", ... (vssadmin). */
const char *reqp_last_error_label(vss_hr_t hr);
/* "System", "Software", "Hardware", "File share", "Unknown". */
const char *reqp_provider_type_label(VSS_PROVIDER_TYPE t);
/* Names of the set bits of a snapshot's attributes, separated by sep, in
 * the vshadow spelling ("Persistent No_Auto_Release ..."). */
void reqp_attributes(int32_t attrs, const char *sep, char *buf, size_t len);
/* The context part of attributes as vssadmin's "Type:" says it. */
const char *reqp_context_label(int32_t attrs);
/* Local time "YYYY-MM-DD HH:MM:SS"; "-" for 0. */
char *reqp_time(vss_timestamp_t ts, char *buf, size_t len);
/* Same volume name, trailing slashes aside. */
bool reqp_same_volume(const char *a, const char *b);
/* "0x80042301" */
char *reqp_hex(vss_hr_t hr, char buf[12]);
/* s for a line of text output: control characters as \n, \t, \r or \xNN
 * (backslashes, as in logical paths, as they are), so that a writer's name
 * cannot start a line of its own; NULL as "".  The result lives until the
 * 8th call after. */
const char *reqp_text(const char *s);

/* vshadow's block for one snapshot ("* SNAPSHOT ID = {...} ..."). */
void reqp_print_snapshot(FILE *f, const vss_snapshot_prop_t *p);
/* vshadow's block for one writer's status ("* WRITER \"name\"" ...). */
void reqp_print_writer_status(FILE *f, const vss_writer_status_t *w);

json_object *reqp_json_id(const vss_id_t *id);
json_object *reqp_json_hr(vss_hr_t hr);
json_object *reqp_json_snapshot(const vss_snapshot_prop_t *p);
json_object *reqp_json_writer_status(const vss_writer_status_t *w, bool admin);
json_object *reqp_json_provider(const vss_provider_prop_t *p);
/* Prints {"key": arr} (pretty, one trailing newline) and frees it. */
void reqp_json_print(FILE *f, const char *key, json_object *arr);

#endif
