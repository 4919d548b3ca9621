/* ctl-req.c — decoding of vss-cowd's control requests (see ctl-req.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cow/cowd/ctl-proto.h"
#include "cow/cowd/ctl-req.h"

/* The attribute tag's kind, or -1 when absent; -2 when present twice. */
static int kind_of(const uint8_t *pl, size_t len, uint16_t tag)
{
	struct wire_iter it;
	struct wire_attr a;
	int kind = -1;

	wire_iter_init(&it, pl, len);
	while (wire_next(&it, &a))
		if (a.tag == tag)
			kind = kind == -1 ? a.kind : -2;
	return kind;
}

static const struct {
	uint16_t tag;
	int kind;
	const char *name;
} attrs[] = {
	{ CA_NAME, WIRE_STR, "NAME" },
	{ CA_BACKING, WIRE_STR, "BACKING" },
	{ CA_DIFF, WIRE_STR, "DIFF" },
	{ CA_ON, WIRE_STR, "ON" },
	{ CA_SIZE, WIRE_U64, "SIZE" },
	{ CA_MAXSIZE, WIRE_U64, "MAXSIZE" },
	{ CA_CREATE, WIRE_U32, "CREATE" },
	{ CA_CHUNK, WIRE_U32, "CHUNK" },
	{ CA_FORCE, WIRE_U32, "FORCE" },
	{ CA_MAXPCT, WIRE_U32, "MAXPCT" },
};

int ctl_req_parse(const struct wire_hdr *h, const uint8_t *pl, struct ctl_req *q, char *err,
		  size_t errlen)
{
	size_t len = h->len;
	bool need_name = true;
	uint32_t create;

	memset(q, 0, sizeof(*q));
	q->code = WIRE_CODE(h->type);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		int k = kind_of(pl, len, attrs[i].tag);

		if (k == -2 || (k >= 0 && k != attrs[i].kind)) {
			snprintf(err, errlen, "attribute %s %s", attrs[i].name,
				 k == -2 ? "given twice" : "of the wrong kind");
			return -EINVAL;
		}
	}
	q->name = wire_get_str(pl, len, CA_NAME);
	q->backing = wire_get_str(pl, len, CA_BACKING);
	q->diff = wire_get_str(pl, len, CA_DIFF);
	q->on = wire_get_str(pl, len, CA_ON);
	q->size = wire_get_u64(pl, len, CA_SIZE, 0);
	q->has_max = kind_of(pl, len, CA_MAXSIZE) >= 0;
	q->maxsize = wire_get_u64(pl, len, CA_MAXSIZE, 0);
	create = wire_get_u32(pl, len, CA_CREATE, 0);
	q->create = create & CA_CREATE_FILE;
	q->sparse = create & CA_CREATE_SPARSE;
	q->chunk = wire_get_u32(pl, len, CA_CHUNK, 0);
	q->force = wire_get_u32(pl, len, CA_FORCE, 0) != 0;
	q->pct = wire_get_u32(pl, len, CA_MAXPCT, 0);
	switch (q->code) {
	case COWCTL_ADD_VOLUME:
		if (!q->backing) {
			snprintf(err, errlen, "add volume needs BACKING");
			return -EINVAL;
		}
		break;
	case COWCTL_ADD_STORAGE:
		if (!q->on) {
			snprintf(err, errlen, "add shadowstorage needs ON");
			return -EINVAL;
		}
		break;
	case COWCTL_RESIZE_STORAGE:
		if (!q->has_max && !q->pct) {
			snprintf(err, errlen, "resize shadowstorage needs MAXSIZE or MAXPCT");
			return -EINVAL;
		}
		break;
	case COWCTL_REMOVE_VOLUME:
	case COWCTL_DELETE_STORAGE:
		break;
	case COWCTL_LIST_VOLUMES:
	case COWCTL_LIST_STORAGE:
	case COWCTL_STOP:
		need_name = false;
		break;
	default:
		snprintf(err, errlen, "unknown request %u", q->code);
		return -EINVAL;
	}
	if (need_name && !q->name) {
		snprintf(err, errlen, "request %u needs NAME", q->code);
		return -EINVAL;
	}
	if ((q->has_max && !q->maxsize) || q->pct > 100 || (q->has_max && q->pct)) {
		snprintf(err, errlen, "bad maximum: a size (not 0) or a percentage 1-100, "
			 "not both");
		return -EINVAL;
	}
	return 0;
}

void ctl_req_free(struct ctl_req *q)
{
	free(q->name);
	free(q->backing);
	free(q->diff);
	free(q->on);
	memset(q, 0, sizeof(*q));
}
