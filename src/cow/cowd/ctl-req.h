/* ctl-req.h — decoding of vss-cowd's control requests (ctl-proto.h): the
 * part of the control socket that reads what a client sent, apart from the
 * daemon's state so that fuzz/fuzz-cowctl can drive it. */
#ifndef VSS_COWD_CTL_REQ_H
#define VSS_COWD_CTL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/wire.h"

struct ctl_req {
	uint16_t code;			/* enum cowctl_msg */
	char *name, *backing, *diff, *on;	/* NULL when absent */
	uint64_t size, maxsize;		/* maxsize: COWCTL_UNBOUNDED for none */
	uint32_t chunk, pct;
	bool create, sparse, force, has_max;
};

/* Decodes the request of frame (h, pl) into q (zeroed first): 0, or
 * -EINVAL with the reason in err (a bad code, an attribute missing or of
 * the wrong kind, a maximum given twice or out of range).  q is to be
 * freed with ctl_req_free() either way. */
int ctl_req_parse(const struct wire_hdr *h, const uint8_t *pl, struct ctl_req *q, char *err,
		  size_t errlen);
void ctl_req_free(struct ctl_req *q);

#endif
