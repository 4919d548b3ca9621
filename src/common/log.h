/* log.h — layered logging for daemons and tools: errors always, info by
 * default, debug with -v or VSS_DEBUG=1.  Lines name handles (writer names,
 * ids), never pointers.  Never log synchronously inside a hold window. */
#ifndef VSS_COMMON_LOG_H
#define VSS_COMMON_LOG_H

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_NULL };
enum log_level { LOGL_ERR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

void log_init(const char *ident, enum log_target to, int verbose);
__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level lvl, const char *fmt, ...);
int log_verbose(void);

#define log_err(...)   log_msg(LOGL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOGL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_verbose()) log_msg(LOGL_DEBUG, __VA_ARGS__); } while (0)

#endif
