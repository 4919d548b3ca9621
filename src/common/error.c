/* error.c — thread-local last error (libnbd style). */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include "common/error.h"

static __thread char last_error[1024];
static __thread const char *context;

void vsserr_context(const char *call)
{
	context = call;
}

vss_hr_t vsserr_set(const char *call, vss_hr_t hr, const char *fmt, ...)
{
	va_list ap;
	const char *name = vss_hr_name(hr);
	int n;
	char hex[16];

	if (context)
		call = context;
	if (!name) {
		snprintf(hex, sizeof(hex), "0x%08X", (unsigned)hr);
		name = hex;
	}
	n = snprintf(last_error, sizeof(last_error), "%s: %s: ", call, name);
	if (n < 0 || (size_t)n >= sizeof(last_error))
		return hr;
	va_start(ap, fmt);
	vsnprintf(last_error + n, sizeof(last_error) - n, fmt, ap);
	va_end(ap);
	return hr;
}

void vsserr_clear(void)
{
	last_error[0] = '\0';
}

const char *vss_last_error(void)
{
	return last_error;
}
