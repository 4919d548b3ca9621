/* fuzz-cowctl — libFuzzer target for vss-cowd's control requests: the
 * input goes through a socket in random-sized pieces as a client's bytes
 * would, and every frame the wire layer accepts is decoded by
 * ctl_req_parse() as vss-cowd's control socket does; what it accepts must
 * hold what each request needs. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/wire.h"
#include "cow/cowd/ctl-proto.h"
#include "cow/cowd/ctl-req.h"
#include "fuzz-feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ctl_req *q)
{
	switch (q->code) {
	case COWCTL_ADD_VOLUME:
		if (!q->name || !q->backing)
			abort();
		break;
	case COWCTL_ADD_STORAGE:
		if (!q->name || !q->on)
			abort();
		break;
	case COWCTL_RESIZE_STORAGE:
		if (!q->name || (!q->has_max && !q->pct))
			abort();
		break;
	case COWCTL_REMOVE_VOLUME:
	case COWCTL_DELETE_STORAGE:
		if (!q->name)
			abort();
		break;
	case COWCTL_LIST_VOLUMES:
	case COWCTL_LIST_STORAGE:
	case COWCTL_STOP:
		break;
	default:
		abort();	/* an unknown request is refused */
	}
	if (q->pct > 100 || (q->has_max && (q->pct || !q->maxsize)))
		abort();
	/* the strings are whole C strings (wire_validate: no NUL inside) */
	for (const char *s = q->name; s && *s; s++)
		;
	if (q->on)
		(void)strlen(q->on);
}

static void one(const struct wire_hdr *h, const uint8_t *p)
{
	struct ctl_req q;
	char err[512] = "";

	if (ctl_req_parse(h, p, &q, err, sizeof(err)) == 0)
		check(&q);
	else if (!err[0])
		abort();	/* a refusal says why */
	ctl_req_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed_frames(data, size, one);
	return 0;
}
