/* notify.h — systemd's readiness protocol (Type=notify), without libsystemd. */
#ifndef VSS_COMMON_NOTIFY_H
#define VSS_COMMON_NOTIFY_H

/* Sends STATE (e.g. "READY=1") to $NOTIFY_SOCKET when there is one;
 * silently does nothing otherwise. */
void notify_systemd(const char *state);

#endif
