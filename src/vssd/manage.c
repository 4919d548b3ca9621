/* manage.c — snapshot management that goes to the provider holding the
 * snapshot: ExposeSnapshot, UnexposeSnapshot, RevertToSnapshot and
 * QueryRevertStatus (vss-protocol §5.5, §6.5, §8.3).
 *
 * vssd checks what the coordinator knows (the snapshot exists, is
 * persistent, is or is not exposed), forwards the call with the provider
 * deadline and keeps the catalog in step: ExposeSnapshot records the exposed
 * name/path and VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY, UnexposeSnapshot clears
 * them.  The revert itself runs in the provider; QueryRevertStatus is an
 * asynchronous operation of the session whose QueryStatus reports the
 * provider's progress: vssd asks the provider every REVERT_POLL_MS until the
 * revert has ended (or the operation is cancelled / the session released:
 * that stops the watching, never the revert). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error.h"
#include "common/log.h"
#include "vssd/vssd.h"

#define REVERT_POLL_MS 200
#define EXPOSED (VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY | VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY)

/* What a provider may answer to a management call: §8.5 plus the codes
 * §5.5 and §6.5 name for these calls. */
static vss_hr_t manage_filter_hr(vss_hr_t hr)
{
	switch (hr) {
	case E_NOTIMPL:
	case VSS_E_VOLUME_IN_USE:
	case VSS_E_OBJECT_ALREADY_EXISTS:
	case VSS_E_REVERT_IN_PROGRESS:
	case VSS_E_UNSUPPORTED_CONTEXT:
	case VSS_E_VOLUME_NOT_SUPPORTED:
		return hr;
	}
	return provider_filter_hr(hr);
}

struct mctx {
	struct conn *c;			/* the requester (referenced) */
	uint32_t seq;
	int code;
	vss_id_t id;
	struct provider *prov;		/* referenced */
};

static struct mctx *mctx_new(struct conn *c, uint32_t seq, int code, const vss_id_t *id,
			     struct provider *p)
{
	struct mctx *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->c = c;
	conn_ref(c);
	x->seq = seq;
	x->code = code;
	if (id)
		x->id = *id;
	x->prov = p;
	provider_ref(p);
	return x;
}

static void mctx_free(struct mctx *x)
{
	provider_unref(x->prov);
	conn_unref(x->c);
	free(x);
}

/* The provider's answer as the requester's result, with a message. */
static vss_hr_t provider_result(struct mctx *x, vss_hr_t hr, const struct wire_hdr *h,
				const uint8_t *pl)
{
	char *msg;

	if (!h)
		return VSSERR(VSS_E_UNEXPECTED_PROVIDER_ERROR, "provider '%s' did not answer %s",
			      x->prov->prop.provider_name, proto_msg_name(x->code));
	hr = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
	if (VSS_SUCCEEDED(hr))
		return hr;
	msg = wire_get_str(pl, h->len, ATTR_MESSAGE);
	hr = VSSERR(manage_filter_hr(hr), "provider '%s' refused %s: %s",
		    x->prov->prop.provider_name, proto_msg_name(x->code),
		    msg ? msg : vss_hr_message(hr));
	free(msg);
	return hr;
}

/* Looks the snapshot up and finds its running provider. */
static vss_hr_t find_snapshot(const struct wire_hdr *h, const uint8_t *p, vss_id_t *id,
			      struct cat_entry **e, struct provider **prov)
{
	char idbuf[VSS_ID_STRLEN];

	if (!wire_get_id(p, h->len, ATTR_SNAPSHOT_ID, id) || vss_id_is_null(id))
		return VSSERR(E_INVALIDARG, "a snapshot id is required");
	*e = catalog_find(id);
	if (!*e || (*e)->prop.status != VSS_SS_CREATED)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no snapshot %s", vss_id_format(id, idbuf));
	*prov = provider_find(&(*e)->prop.provider_id);
	if (!*prov || !(*prov)->conn)
		return VSSERR(VSS_E_PROVIDER_NOT_REGISTERED, "the provider of snapshot %s is not "
			      "running", vss_id_format(id, idbuf));
	return S_OK;
}

static void set_str(char **dst, char *src)
{
	free(*dst);
	*dst = src;
}

/* Sends m to the provider; on failure answers the requester at once. */
static void forward(struct conn *c, uint32_t seq, int code, struct mctx *x,
		    struct wire_msg *m, reply_fn fn)
{
	if (!x) {
		conn_reply_hr(c, code, seq, VSSERR(E_OUTOFMEMORY, "out of memory"));
		return;
	}
	if (conn_request(x->prov->conn, m, cfg.provider_timeout_ms, fn, x) < 0) {
		conn_reply_hr(c, code, seq, VSSERR(VSS_E_UNEXPECTED_PROVIDER_ERROR,
				 "provider '%s' is gone", x->prov->prop.provider_name));
		mctx_free(x);
		return;
	}
	conn_defer(c, code, seq);
}

/* Answers the requester's call (code) with hr alone, ends the call. */
static void finish_call(struct mctx *x, int code, vss_hr_t hr)
{
	struct wire_msg m;

	reply_init(&m, code, x->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	conn_complete_deferred(x->c, &m);
	wire_msg_free(&m);
	mctx_free(x);
	vsserr_context(NULL);
}

/* Forwards a call that carries the snapshot id (and FORCE when force >= 0). */
static void forward_id(struct conn *c, uint32_t seq, int code, int prov_code,
		       const vss_id_t *id, struct provider *prov, int force, reply_fn fn)
{
	struct wire_msg m;

	wire_msg_init(&m, prov_code, 0);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, id);
	if (force >= 0)
		wire_put_u32(&m, ATTR_FORCE, (uint32_t)force);
	forward(c, seq, code, mctx_new(c, seq, prov_code, id, prov), &m, fn);
	wire_msg_free(&m);
}

/* ------------------------------------------------------------ expose */

static void expose_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			 const struct wire_hdr *h, const uint8_t *pl)
{
	struct mctx *x = ctx;
	struct cat_entry *e;
	char *name = NULL, *path = NULL;
	char idbuf[VSS_ID_STRLEN];
	struct wire_msg m;

	vsserr_context("ExposeSnapshot");
	hr = provider_result(x, hr, h, pl);
	if (VSS_SUCCEEDED(hr)) {
		name = wire_get_str(pl, h->len, ATTR_EXPOSED_NAME);
		path = wire_get_str(pl, h->len, ATTR_EXPOSED_PATH);
		e = catalog_find(&x->id);
		if (e) {
			set_str(&e->prop.exposed_name, name ? strdup(name) : NULL);
			set_str(&e->prop.exposed_path, path);
			path = NULL;
			e->prop.snapshot_attributes |= VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
			e->prop.snapshot_attributes &= ~VSS_VOLSNAP_ATTR_NOT_SURFACED;
			catalog_save();
		}
		log_info("snapshot %s exposed as %s", vss_id_format(&x->id, idbuf),
			 name ? name : "(unnamed)");
	}
	reply_init(&m, MSG_EXPOSE_SNAPSHOT, x->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	if (VSS_SUCCEEDED(hr))
		wire_put_str(&m, ATTR_EXPOSED_NAME, name ? name : "");
	conn_complete_deferred(x->c, &m);
	wire_msg_free(&m);
	free(name);
	free(path);
	mctx_free(x);
	vsserr_context(NULL);
}

void manage_expose(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	struct cat_entry *e;
	struct provider *prov;
	struct wire_msg m;
	char idbuf[VSS_ID_STRLEN];
	char *name;
	vss_id_t id;
	vss_hr_t hr;
	int32_t attrs;

	hr = find_snapshot(h, p, &id, &e, &prov);
	if (VSS_FAILED(hr)) {
		conn_reply_hr(c, MSG_EXPOSE_SNAPSHOT, h->seq, hr);
		return;
	}
	attrs = e->prop.snapshot_attributes;
	if (!(attrs & VSS_VOLSNAP_ATTR_PERSISTENT) ||
	    (attrs & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE)) {
		conn_reply_hr(c, MSG_EXPOSE_SNAPSHOT, h->seq,
			      VSSERR(VSS_E_BAD_STATE, "snapshot %s cannot be exposed: only "
				     "persistent snapshots that are not client-accessible can",
				     vss_id_format(&id, idbuf)));
		return;
	}
	if (attrs & EXPOSED) {
		conn_reply_hr(c, MSG_EXPOSE_SNAPSHOT, h->seq,
			      VSSERR(VSS_E_OBJECT_ALREADY_EXISTS, "snapshot %s is already exposed "
				     "as %s", vss_id_format(&id, idbuf),
				     e->prop.exposed_name ? e->prop.exposed_name : "?"));
		return;
	}
	name = wire_get_str(p, h->len, ATTR_EXPOSED_NAME);
	if (name && *name && name[0] != '/') {
		conn_reply_hr(c, MSG_EXPOSE_SNAPSHOT, h->seq,
			      VSSERR(E_INVALIDARG, "the exposed name must be an absolute directory "
				     "path: %s", name));
		free(name);
		return;
	}
	wire_msg_init(&m, MSG_PROV_EXPOSE, 0);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, &id);
	if (name && *name)
		wire_put_str(&m, ATTR_EXPOSED_NAME, name);
	forward(c, h->seq, MSG_EXPOSE_SNAPSHOT, mctx_new(c, h->seq, MSG_PROV_EXPOSE, &id, prov),
		&m, expose_reply);
	wire_msg_free(&m);
	free(name);
}

/* ------------------------------------------------------------ unexpose */

static void unexpose_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			   const struct wire_hdr *h, const uint8_t *pl)
{
	struct mctx *x = ctx;
	struct cat_entry *e;
	char idbuf[VSS_ID_STRLEN];

	vsserr_context("UnexposeSnapshot");
	hr = provider_result(x, hr, h, pl);
	if (VSS_SUCCEEDED(hr) && (e = catalog_find(&x->id))) {
		set_str(&e->prop.exposed_name, NULL);
		set_str(&e->prop.exposed_path, NULL);
		e->prop.snapshot_attributes &= ~EXPOSED;
		catalog_save();
		log_info("snapshot %s unexposed", vss_id_format(&x->id, idbuf));
	}
	finish_call(x, MSG_UNEXPOSE_SNAPSHOT, hr);
}

void manage_unexpose(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	struct cat_entry *e;
	struct provider *prov;
	char idbuf[VSS_ID_STRLEN];
	vss_id_t id;
	vss_hr_t hr;

	hr = find_snapshot(h, p, &id, &e, &prov);
	if (VSS_SUCCEEDED(hr) && !(e->prop.snapshot_attributes & EXPOSED))
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "snapshot %s is not exposed",
			    vss_id_format(&id, idbuf));
	if (VSS_FAILED(hr))
		conn_reply_hr(c, MSG_UNEXPOSE_SNAPSHOT, h->seq, hr);
	else
		forward_id(c, h->seq, MSG_UNEXPOSE_SNAPSHOT, MSG_PROV_UNEXPOSE, &id, prov, -1,
			   unexpose_reply);
}

/* ------------------------------------------------------------ revert */

static void revert_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			 const struct wire_hdr *h, const uint8_t *pl)
{
	struct mctx *x = ctx;
	char idbuf[VSS_ID_STRLEN];

	vsserr_context("RevertToSnapshot");
	hr = provider_result(x, hr, h, pl);
	if (VSS_SUCCEEDED(hr))
		log_info("RevertToSnapshot %s started", vss_id_format(&x->id, idbuf));
	finish_call(x, MSG_REVERT_TO_SNAPSHOT, hr);
}

void manage_revert(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	struct cat_entry *e;
	struct provider *prov;
	char idbuf[VSS_ID_STRLEN];
	vss_id_t id;
	vss_hr_t hr;

	hr = find_snapshot(h, p, &id, &e, &prov);
	if (VSS_SUCCEEDED(hr) && !(e->prop.snapshot_attributes & VSS_VOLSNAP_ATTR_PERSISTENT))
		hr = VSSERR(VSS_E_UNSUPPORTED_CONTEXT, "snapshot %s is not persistent: only "
			    "persistent snapshots can be reverted to", vss_id_format(&id, idbuf));
	if (VSS_FAILED(hr))
		conn_reply_hr(c, MSG_REVERT_TO_SNAPSHOT, h->seq, hr);
	else
		forward_id(c, h->seq, MSG_REVERT_TO_SNAPSHOT, MSG_PROV_REVERT, &id, prov,
			   wire_get_u32(p, h->len, ATTR_FORCE, 0) != 0, revert_reply);
}

/* ------------------------------------------------------------ revert status */

struct watch {
	struct mctx *x;
	struct session *s;		/* referenced */
	char *volume;
	struct timer timer;
	bool started;			/* the session's operation exists */
};

static void watch_free(struct watch *w)
{
	timer_cancel(&w->timer);
	session_unref(w->s);
	mctx_free(w->x);
	free(w->volume);
	free(w);
}

static void watch_ask(struct watch *w);

static void watch_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			const struct wire_hdr *h, const uint8_t *pl)
{
	struct watch *w = ctx;
	struct session *s = w->s;
	vss_hr_t status;

	vsserr_context("QueryRevertStatus");
	hr = provider_result(w->x, hr, h, pl);
	if (!w->started) {
		struct wire_msg m;

		reply_init(&m, MSG_QUERY_REVERT_STATUS, w->x->seq, hr,
			   VSS_FAILED(hr) ? vss_last_error() : NULL);
		if (VSS_SUCCEEDED(hr) && !s->releasing) {
			session_op_begin(s, MSG_QUERY_REVERT_STATUS);
			wire_put_u32(&m, ATTR_OP_ID, s->op.id);
			w->started = true;
		}
		conn_complete_deferred(w->x->c, &m);
		wire_msg_free(&m);
		if (!w->started) {
			watch_free(w);
			vsserr_context(NULL);
			return;
		}
	}
	if (VSS_SUCCEEDED(hr)) {
		status = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_STATUS,
						(uint32_t)VSS_S_ASYNC_PENDING);
		s->op.has_progress = true;
		s->op.progress_done = wire_get_u64(pl, h->len, ATTR_PROGRESS_DONE, 0);
		s->op.progress_total = wire_get_u64(pl, h->len, ATTR_PROGRESS_TOTAL, 0);
	} else {
		status = hr;
	}
	if (s->op.cancel_requested || s->releasing) {
		session_op_done(s, VSS_S_ASYNC_CANCELLED);
		watch_free(w);
	} else if (status != VSS_S_ASYNC_PENDING) {
		if (VSS_FAILED(status) && VSS_SUCCEEDED(hr)) {
			char *msg = wire_get_str(pl, h->len, ATTR_MESSAGE);

			VSSERR(status, "the revert of %s failed%s%s", w->volume,
			       msg ? ": " : "", msg ? msg : "");
			free(msg);
		}
		session_op_done(s, status == VSS_S_ASYNC_FINISHED ? S_OK : status);
		watch_free(w);
	} else {
		timer_arm(&w->timer, REVERT_POLL_MS);
	}
	vsserr_context(NULL);
}

static void watch_ask(struct watch *w)
{
	struct wire_msg m;
	int r = -1;

	wire_msg_init(&m, MSG_PROV_QUERY_REVERT_STATUS, 0);
	wire_put_str(&m, ATTR_VOLUME, w->volume);
	if (w->x->prov->conn)
		r = conn_request(w->x->prov->conn, &m, cfg.provider_timeout_ms, watch_reply, w);
	wire_msg_free(&m);
	if (r < 0)
		watch_reply(w, NULL, VSS_E_UNEXPECTED_PROVIDER_ERROR, NULL, NULL);
}

static void watch_timer(struct timer *t)
{
	struct watch *w = container_of(t, struct watch, timer);

	if (w->s->op.cancel_requested || w->s->releasing) {
		session_op_done(w->s, VSS_S_ASYNC_CANCELLED);
		watch_free(w);
		return;
	}
	watch_ask(w);
}

void manage_query_revert(struct session *s, struct conn *c, const struct wire_hdr *h,
			 const uint8_t *p)
{
	char *vol = wire_get_str(p, h->len, ATTR_VOLUME), *canon = NULL, **mounts = NULL;
	struct provider *prov = NULL;
	struct cat_entry *e;
	struct watch *w;
	size_t nmounts = 0;

	if (!vol || !*vol) {
		free(vol);
		conn_reply_hr(c, MSG_QUERY_REVERT_STATUS, h->seq,
			      VSSERR(E_INVALIDARG, "a volume is required"));
		return;
	}
	/* the provider holding the volume's snapshots: the snapshot reverted
	 * to stays, so the catalog names the provider */
	if (volume_resolve(vol, &canon, &mounts, &nmounts) == 0)
		volume_free_mounts(mounts, nmounts);
	list_for_each_entry(e, &catalog, link) {
		const char *o = e->prop.original_volume_name;

		if (o && (strcmp(o, vol) == 0 || (canon && strcmp(o, canon) == 0)) &&
		    (prov = provider_find(&e->prop.provider_id)) && prov->conn)
			break;
		prov = NULL;
	}
	if (!prov) {
		conn_reply_hr(c, MSG_QUERY_REVERT_STATUS, h->seq,
			      VSSERR(VSS_E_OBJECT_NOT_FOUND, "no revert of %s is known: no running "
				     "provider holds snapshots of it", vol));
		free(vol);
		free(canon);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w)
		w->x = mctx_new(c, h->seq, MSG_PROV_QUERY_REVERT_STATUS, NULL, prov);
	if (!w || !w->x) {
		free(w);
		free(vol);
		free(canon);
		conn_reply_hr(c, MSG_QUERY_REVERT_STATUS, h->seq,
			      VSSERR(E_OUTOFMEMORY, "out of memory"));
		return;
	}
	w->s = s;
	session_ref(s);
	w->volume = canon ? canon : strdup(vol);
	free(vol);
	w->timer.fn = watch_timer;
	conn_defer(c, MSG_QUERY_REVERT_STATUS, h->seq);
	if (!w->volume) {
		watch_reply(w, NULL, E_OUTOFMEMORY, NULL, NULL);
		return;
	}
	watch_ask(w);
}
