/* cowctl-client.h — the client side of vss-cowd's control socket, shared
 * by vss-cowadm(8) and vssadmin(8): requests, option values, and the
 * listings both print.  Messages in ctl-proto.h and vss-cowd(8).
 *
 * Every call returns the daemon's HRESULT (or one of its own: E_INVALIDARG
 * for a bad value, VSS_E_UNEXPECTED when vss-cowd cannot be reached) and,
 * on failure, leaves a message for cowctl_error(). */
#ifndef VSS_COWCTL_CLIENT_H
#define VSS_COWCTL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <vss/vss.h>

struct cowctl {
	const char *state_dir;	/* NULL: the default */
	const char *socket;	/* NULL: STATE_DIR/cowd.sock */
	const char *json_key;	/* --json wraps the array in {key: [...]}; NULL: bare */
};

struct cowctl_volume_args {
	const char *name, *backing, *diff;
	uint64_t size, maxsize;	/* 0: not given */
	uint32_t chunk;
	bool create, sparse;	/* sparse: with create, allocate nothing */
};

/* The last failure's message. */
const char *cowctl_error(void);

/* SIZE: bytes, or a number with B, K, KB, KiB, M, ... P, E (powers of
 * 1024).  0 on success. */
int cowctl_parse_size(const char *s, uint64_t *out);
/* A maximum: SIZE, N% (1-100) or UNBOUNDED (*max = COWCTL_UNBOUNDED). */
int cowctl_parse_max(const char *s, uint64_t *max, uint32_t *pct);

vss_hr_t cowctl_add_volume(const struct cowctl *c, const struct cowctl_volume_args *a);
vss_hr_t cowctl_remove_volume(const struct cowctl *c, const char *name, bool force);
vss_hr_t cowctl_list_volumes(const struct cowctl *c, bool json);
/* Stops vss-cowd; refused (VSS_E_VOLUME_IN_USE) while a live or snapshot
 * device is in use, unless detach. */
vss_hr_t cowctl_stop(const struct cowctl *c, bool detach);

/* code: COWCTL_ADD_STORAGE, _RESIZE_STORAGE or _DELETE_STORAGE; max and
 * pct 0: not given. */
vss_hr_t cowctl_storage(const struct cowctl *c, int code, const char *for_vol,
			const char *on, uint64_t max, uint32_t pct);
vss_hr_t cowctl_list_storage(const struct cowctl *c, const char *for_vol, const char *on,
			     bool json);

#endif
