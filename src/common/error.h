/* error.h — the thread-local last-error message behind vss_last_error().
 * Internal; public calls use VSSERR() to record "call: NAME: message" and
 * return the code in one statement. */
#ifndef VSS_COMMON_ERROR_H
#define VSS_COMMON_ERROR_H

#include <vss/vss.h>

__attribute__((format(printf, 3, 4)))
vss_hr_t vsserr_set(const char *call, vss_hr_t hr, const char *fmt, ...);
void vsserr_clear(void);
/* While set, messages name this call instead of the C function (vssd sets
 * the VSS call being served, e.g. "DoSnapshotSet"). NULL clears it. */
void vsserr_context(const char *call);

#define VSSERR(hr, ...) vsserr_set(__func__, (hr), __VA_ARGS__)

#endif
