/* writers.c — the writer registry.  A writer subscribes on its own
 * connection and stays subscribed while the connection lives; every
 * subscription is a new instance with a coordinator-assigned instance id,
 * even for a class already present (a second instance, not a replacement).
 * Sessions hold references, so a writer that disconnects mid-session keeps
 * its identity in that session's status until the session ends. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/error.h"
#include "common/log.h"
#include "vssd/vssd.h"

struct list_head writers = LIST_HEAD_INIT(writers);

void writer_ref(struct writer *w)
{
	w->refs++;
}

void writer_unref(struct writer *w)
{
	if (!w || --w->refs > 0)
		return;
	free(w->name);
	free(w->instance_name);
	free(w);
}

size_t writer_count(void)
{
	size_t n = 0;
	struct writer *w;

	list_for_each_entry(w, &writers, link)
		n++;
	return n;
}

static vss_hr_t subscribe(struct conn *c, const struct wire_hdr *h, const uint8_t *p,
			  struct writer **out)
{
	struct writer *w;
	uint32_t level;
	char idbuf[VSS_ID_STRLEN];

	if (c->writer)
		return VSSERR(VSS_E_WRITER_ALREADY_SUBSCRIBED,
			      "writer %s is already subscribed on this connection", c->writer->name);
	w = calloc(1, sizeof(*w));
	if (!w)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	w->refs = 1;
	if (!wire_get_id(p, h->len, ATTR_WRITER_ID, &w->class_id) || vss_id_is_null(&w->class_id)) {
		free(w);
		return VSSERR(E_INVALIDARG, "a writer class id is required");
	}
	w->name = wire_get_str(p, h->len, ATTR_WRITER_NAME);
	if (!w->name || !*w->name) {
		writer_unref(w);
		return VSSERR(E_INVALIDARG, "a writer name is required");
	}
	w->instance_name = wire_get_str(p, h->len, ATTR_INSTANCE_NAME);
	if (strlen(w->name) > VSS_MAX_NAME_LEN ||
	    (w->instance_name && strlen(w->instance_name) > VSS_MAX_NAME_LEN)) {
		writer_unref(w);
		return VSSERR(E_INVALIDARG, "a writer or instance name is over %u bytes",
			      VSS_MAX_NAME_LEN);
	}
	w->usage = wire_get_u32(p, h->len, ATTR_USAGE, VSS_UT_USERDATA);
	w->source = wire_get_u32(p, h->len, ATTR_SOURCE, VSS_ST_OTHER);
	level = wire_get_u32(p, h->len, ATTR_LEVEL, VSS_APP_FRONT_END);
	if (level != VSS_APP_SYSTEM && level != VSS_APP_BACK_END && level != VSS_APP_FRONT_END) {
		writer_unref(w);
		return VSSERR(E_INVALIDARG, "application level %u is not SYSTEM, BACK_END or FRONT_END",
			      level);
	}
	w->level = (VSS_APPLICATION_LEVEL)level;
	w->freeze_timeout_ms = wire_get_u32(p, h->len, ATTR_FREEZE_TIMEOUT,
					    VSS_DEFAULT_FREEZE_TIMEOUT_MS);
	if (w->freeze_timeout_ms == 0)
		w->freeze_timeout_ms = VSS_DEFAULT_FREEZE_TIMEOUT_MS;
	if (w->freeze_timeout_ms > VSS_MAX_FREEZE_TIMEOUT_MS) {
		uint32_t ms = w->freeze_timeout_ms;

		writer_unref(w);
		return VSSERR(E_INVALIDARG, "freeze timeout %u ms is over the maximum, %u ms",
			      ms, VSS_MAX_FREEZE_TIMEOUT_MS);
	}
	w->mask = wire_get_u32(p, h->len, ATTR_SUBSCRIBE_MASK,
			       VSS_SM_BACKUP_EVENTS_FLAG | VSS_SM_RESTORE_EVENTS_FLAG);
	w->major = wire_get_u32(p, h->len, ATTR_MAJOR, 0);
	w->minor = wire_get_u32(p, h->len, ATTR_MINOR, 0);
	vss_id_generate(&w->instance_id);
	w->last_state = VSS_WS_STABLE;
	w->conn = c;
	c->writer = w;
	list_add_tail(&w->link, &writers);
	log_info("writer '%s' subscribed: class %s, level %s, freeze timeout %u ms (%s)",
		 w->name, vss_id_format(&w->class_id, idbuf), vss_app_level_name(w->level),
		 w->freeze_timeout_ms, c->name);
	*out = w;
	return S_OK;
}

static void unsubscribe(struct conn *c)
{
	struct writer *w = c->writer;

	if (!w)
		return;
	log_info("writer '%s' unsubscribed", w->name);
	list_del(&w->link);
	w->conn = NULL;
	c->writer = NULL;
	writer_unref(w);
}

void writer_gone(struct conn *c)
{
	unsubscribe(c);
}

void writer_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	int code = WIRE_CODE(h->type);
	struct wire_msg m;
	struct writer *w = NULL;
	vss_hr_t hr;

	switch (code) {
	case MSG_WRITER_SUBSCRIBE:
		hr = subscribe(c, h, p, &w);
		reply_init(&m, code, h->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
		if (w)
			wire_put_id(&m, ATTR_INSTANCE_ID, &w->instance_id);
		conn_send(c, &m);
		wire_msg_free(&m);
		return;
	case MSG_WRITER_UNSUBSCRIBE:
		if (!c->writer) {
			conn_reply_hr(c, code, h->seq,
				      VSSERR(VSS_E_BAD_STATE, "the writer is not subscribed"));
			return;
		}
		unsubscribe(c);
		conn_reply_hr(c, code, h->seq, S_OK);
		return;
	default:
		conn_reply_hr(c, code, h->seq,
			      VSSERR(E_INVALIDARG, "message %s (0x%x) is not for writers",
				     proto_msg_name(code), code));
	}
}
