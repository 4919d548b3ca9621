#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"

static const char *log_ident = "vss";
static enum log_target log_to = LOG_TO_STDERR;
static int log_verb;

void log_init(const char *ident, enum log_target to, int verbose)
{
	const char *e = getenv("VSS_DEBUG");

	log_ident = ident;
	log_to = to;
	log_verb = verbose || (e && *e && strcmp(e, "0") != 0);
	if (to == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int log_verbose(void)
{
	return log_verb;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char buf[2048];
	va_list ap;
	struct timespec ts;

	if (log_to == LOG_TO_NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_to == LOG_TO_SYSLOG) {
		syslog(prio[lvl], "%s", buf);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%s[%d] %ld.%03ld %s: %s\n", log_ident, (int)getpid(),
		(long)ts.tv_sec, ts.tv_nsec / 1000000, tag[lvl], buf);
}
