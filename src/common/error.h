/* error.h — the thread-local last-error message behind vss_last_error().
 * Internal; public calls use VSSERR() to record "call: NAME: message" and
 * return the code in one statement. */
#ifndef VSS_COMMON_ERROR_H
#define VSS_COMMON_ERROR_H

#include <vss/vss.h>

__attribute__((format(printf, 3, 4)))
vss_hr_t vsserr_set(const char *call, vss_hr_t hr, const char *fmt, ...);
void vsserr_clear(void);

#define VSSERR(hr, ...) vsserr_set(__func__, (hr), __VA_ARGS__)

#endif
