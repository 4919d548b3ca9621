/* providers.c — the provider registry, provider selection for a volume
 * (vss-protocol §8.2) and the management calls that go straight to a
 * provider (DeleteSnapshots).  Providers are separate processes on their own
 * connections; vssd never assumes which kind of provider it talks to. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error.h"
#include "common/log.h"
#include "vssd/vssd.h"

struct list_head providers = LIST_HEAD_INIT(providers);

void provider_ref(struct provider *p)
{
	p->refs++;
}

void provider_unref(struct provider *p)
{
	if (!p || --p->refs > 0)
		return;
	vss_provider_prop_clear(&p->prop);
	free(p);
}

struct provider *provider_find(const vss_id_t *id)
{
	struct provider *p;

	list_for_each_entry(p, &providers, link)
		if (vss_id_equal(&p->prop.provider_id, id))
			return p;
	return NULL;
}

static void reconcile_reply(void *ctx, struct conn *c, vss_hr_t hr,
			    const struct wire_hdr *h, const uint8_t *pl);

static vss_hr_t do_register(struct conn *c, const struct wire_hdr *h, const uint8_t *pl)
{
	struct provider *p;
	char idbuf[VSS_ID_STRLEN];
	struct wire_msg m;

	if (c->provider)
		return VSSERR(VSS_E_PROVIDER_ALREADY_REGISTERED,
			      "this connection already registered a provider");
	p = calloc(1, sizeof(*p));
	if (!p)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	p->refs = 1;
	if (!wire_get_id(pl, h->len, ATTR_PROVIDER_ID, &p->prop.provider_id) ||
	    vss_id_is_null(&p->prop.provider_id)) {
		free(p);
		return VSSERR(E_INVALIDARG, "a provider id is required");
	}
	if (provider_find(&p->prop.provider_id)) {
		free(p);
		return VSSERR(VSS_E_PROVIDER_ALREADY_REGISTERED, "provider %s is already registered",
			      vss_id_format(&p->prop.provider_id, idbuf));
	}
	p->prop.provider_name = wire_get_str(pl, h->len, ATTR_PROVIDER_NAME);
	p->prop.provider_version = wire_get_str(pl, h->len, ATTR_PROVIDER_VERSION);
	p->prop.provider_type = wire_get_u32(pl, h->len, ATTR_PROVIDER_TYPE, VSS_PROV_SOFTWARE);
	wire_get_id(pl, h->len, ATTR_PROVIDER_VERSION_ID, &p->prop.provider_version_id);
	wire_get_id(pl, h->len, ATTR_CLASS_ID, &p->prop.class_id);
	if (!p->prop.provider_name || p->prop.provider_type < VSS_PROV_SYSTEM ||
	    p->prop.provider_type > VSS_PROV_FILESHARE) {
		provider_unref(p);
		return VSSERR(E_INVALIDARG, "a provider name and a valid provider type are required");
	}
	p->conn = c;
	c->provider = p;
	list_add_tail(&p->link, &providers);
	log_info("provider '%s' %s registered (%s)", p->prop.provider_name,
		 vss_id_format(&p->prop.provider_id, idbuf), c->name);
	/* Reconcile the catalog with what the provider really holds. */
	wire_msg_init(&m, MSG_PROV_QUERY, 0);
	if (conn_request(c, &m, cfg.provider_timeout_ms, reconcile_reply, NULL) < 0)
		log_warn("provider '%s': cannot query its snapshots", p->prop.provider_name);
	wire_msg_free(&m);
	return S_OK;
}

static void delete_orphan_reply(void *ctx, struct conn *c, vss_hr_t hr,
				const struct wire_hdr *h, const uint8_t *pl)
{
	vss_hr_t r = h ? (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED) : hr;

	if (VSS_FAILED(r))
		log_warn("auto-release snapshot left over from an earlier run could not be "
			 "deleted: %s", vss_hr_name(r) ? vss_hr_name(r) : "error");
}

static bool str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Takes over from the provider's answer what may change while the
 * snapshot lives: its device object (a restarted provider may get other
 * loop devices), the original volume's device and the exposure.  Returns
 * whether anything changed. */
static bool refresh_entry(struct cat_entry *e, vss_snapshot_prop_t *sp)
{
	const int32_t exp = VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY | VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY;
	char **fields[] = { &e->prop.snapshot_device_object, &e->prop.original_volume_name,
			    &e->prop.exposed_name, &e->prop.exposed_path };
	char **from[] = { &sp->snapshot_device_object, &sp->original_volume_name,
			  &sp->exposed_name, &sp->exposed_path };
	char idbuf[VSS_ID_STRLEN];
	bool changed = false;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* an empty device means "not attached now": keep the old name */
		if (i < 2 && (!*from[i] || !**from[i]))
			continue;
		if (!str_differs(*fields[i], *from[i]))
			continue;
		if (i == 0)
			log_info("snapshot %s: device object now %s (was %s)",
				 vss_id_format(&e->prop.snapshot_id, idbuf), *from[i],
				 *fields[i] ? *fields[i] : "none");
		free(*fields[i]);
		*fields[i] = *from[i];
		*from[i] = NULL;
		changed = true;
	}
	if ((e->prop.snapshot_attributes & exp) != (sp->snapshot_attributes & exp)) {
		e->prop.snapshot_attributes = (e->prop.snapshot_attributes & ~exp) |
					      (sp->snapshot_attributes & exp);
		changed = true;
	}
	return changed;
}

/* After (re)registration: snapshots the catalog knows for this provider
 * but the provider does not are dropped; auto-release snapshots whose
 * session is gone (vssd restarted) are deleted; snapshots the provider has
 * that the catalog lacks are adopted as persistent; the others take the
 * provider's current device object and exposure (refresh_entry). */
static void reconcile_reply(void *ctx, struct conn *c, vss_hr_t hr,
			    const struct wire_hdr *h, const uint8_t *pl)
{
	struct provider *p = c->provider;
	struct cat_entry *e, *n;
	struct wire_iter it;
	struct wire_attr a;
	bool changed = false;
	char idbuf[VSS_ID_STRLEN];

	if (!h || !p)
		return;
	if (VSS_FAILED((vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, 0)))
		return;
	list_for_each_entry_safe(e, n, &catalog, link) {
		bool found = false;

		if (!vss_id_equal(&e->prop.provider_id, &p->prop.provider_id))
			continue;
		wire_iter_init(&it, pl, h->len);
		while (wire_next(&it, &a)) {
			vss_snapshot_prop_t sp;

			if (a.tag != ATTR_SNAPSHOT || proto_get_snapshot(&a, &sp))
				continue;
			if (vss_id_equal(&sp.snapshot_id, &e->prop.snapshot_id))
				found = true;
			vss_snapshot_prop_clear(&sp);
		}
		if (!found) {
			log_warn("snapshot %s is no longer held by provider '%s': dropped",
				 vss_id_format(&e->prop.snapshot_id, idbuf), p->prop.provider_name);
			catalog_remove(e);
			changed = true;
		}
	}
	wire_iter_init(&it, pl, h->len);
	while (wire_next(&it, &a)) {
		vss_snapshot_prop_t sp;

		if (a.tag != ATTR_SNAPSHOT || proto_get_snapshot(&a, &sp))
			continue;
		e = catalog_find(&sp.snapshot_id);
		if (e && vss_id_equal(&e->prop.provider_id, &p->prop.provider_id) &&
		    refresh_entry(e, &sp))
			changed = true;
		if (!e && (sp.snapshot_attributes & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE)) {
			sp.provider_id = p->prop.provider_id;
			catalog_add(&sp, NULL);
			changed = true;
		} else if (!e || !vss_id_is_null(&e->session_id)) {
			/* auto-release snapshot whose session cannot exist any
			 * more (sessions do not survive a vssd restart) */
			if (!e || !catalog_session_alive(&e->session_id)) {
				struct wire_msg m;

				log_info("deleting auto-release snapshot %s left by an ended session",
					 vss_id_format(&sp.snapshot_id, idbuf));
				wire_msg_init(&m, MSG_PROV_DELETE, 0);
				wire_put_id(&m, ATTR_SOURCE_ID, &sp.snapshot_id);
				wire_put_u32(&m, ATTR_OBJECT_TYPE, VSS_OBJECT_SNAPSHOT);
				wire_put_u32(&m, ATTR_FORCE, 1);
				conn_request(c, &m, cfg.provider_timeout_ms, delete_orphan_reply, NULL);
				wire_msg_free(&m);
				if (e) {
					catalog_remove(e);
					changed = true;
				}
			}
		}
		vss_snapshot_prop_clear(&sp);
	}
	if (changed)
		catalog_save();
}

void provider_gone(struct conn *c)
{
	struct provider *p = c->provider;

	if (!p)
		return;
	log_info("provider '%s' disconnected", p->prop.provider_name);
	list_del(&p->link);
	p->conn = NULL;
	c->provider = NULL;
	provider_unref(p);
}

void provider_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *pl)
{
	int code = WIRE_CODE(h->type);

	if (h->type & WIRE_NOTIFY) {
		if (code == MSG_PROV_SNAPSHOT_LOST && c->provider) {
			vss_id_t id;
			struct cat_entry *e;
			char *why = wire_get_str(pl, h->len, ATTR_MESSAGE);
			char idbuf[VSS_ID_STRLEN];

			if (wire_get_id(pl, h->len, ATTR_SNAPSHOT_ID, &id) &&
			    (e = catalog_find(&id)) &&
			    vss_id_equal(&e->prop.provider_id, &c->provider->prop.provider_id)) {
				log_warn("provider '%s' lost snapshot %s: %s",
					 c->provider->prop.provider_name, vss_id_format(&id, idbuf),
					 why ? why : "no reason given");
				catalog_remove(e);
				catalog_save();
			}
			free(why);
		}
		return;
	}
	if (code == MSG_PROVIDER_REGISTER) {
		conn_reply_hr(c, code, h->seq, do_register(c, h, pl));
		return;
	}
	conn_reply_hr(c, code, h->seq,
		      VSSERR(E_INVALIDARG, "message %s (0x%x) is not for providers",
			     proto_msg_name(code), code));
}

/* Providers may answer only the codes of vss-protocol §8.5; anything else
 * becomes VSS_E_UNEXPECTED_PROVIDER_ERROR. */
vss_hr_t provider_filter_hr(vss_hr_t hr);
vss_hr_t provider_filter_hr(vss_hr_t hr)
{
	switch (hr) {
	case S_OK:
	case E_OUTOFMEMORY:
	case E_INVALIDARG:
	case E_ACCESSDENIED:
	case VSS_E_BAD_STATE:
	case VSS_E_OBJECT_NOT_FOUND:
	case VSS_E_INSUFFICIENT_STORAGE:
	case VSS_E_VOLUME_NOT_SUPPORTED:
	case VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER:
	case VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED:
	case VSS_E_PROVIDER_VETO:
	case VSS_E_CANNOT_REVERT_DISKID:
	case VSS_E_UNSUPPORTED_CONTEXT:
	case VSS_E_NOT_SUPPORTED:
	case VSS_E_REVERT_IN_PROGRESS:
		return hr;
	}
	return VSS_E_UNEXPECTED_PROVIDER_ERROR;
}

/* ------------------------------------------------------------ selection */

struct select_ctx {
	struct session *s;
	struct conn *c;
	uint32_t seq;
	bool add;
	bool explicit_provider;
	char *canon;
	char **mounts;
	size_t nmounts;
	int outstanding;
	struct provider *best;
	vss_hr_t err;
	vss_id_t snap_id;
};

static void select_free(struct select_ctx *x)
{
	free(x->canon);
	volume_free_mounts(x->mounts, x->nmounts);
	if (x->best)
		provider_unref(x->best);
	conn_unref(x->c);
	session_unref(x->s);
	free(x);
}

static void select_finish_hr(struct select_ctx *x, vss_hr_t hr)
{
	struct wire_msg m;
	int code = x->add ? MSG_ADD_TO_SNAPSHOT_SET : MSG_IS_VOLUME_SUPPORTED;

	reply_init(&m, code, x->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	if (!x->add && VSS_SUCCEEDED(hr))
		wire_put_u32(&m, ATTR_BOOL, x->best != NULL);
	if (x->add && VSS_SUCCEEDED(hr))
		wire_put_id(&m, ATTR_SNAPSHOT_ID, &x->snap_id);
	conn_complete_deferred(x->c, &m);
	wire_msg_free(&m);
	select_free(x);
}

static void begin_prepare_reply(void *ctx, struct conn *pc, vss_hr_t hr,
				const struct wire_hdr *h, const uint8_t *pl)
{
	struct select_ctx *x = ctx;
	struct session *s = x->s;
	char idbuf[VSS_ID_STRLEN];

	vsserr_context("AddToSnapshotSet");
	if (h)
		hr = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
	else
		hr = VSSERR(VSS_E_UNEXPECTED_PROVIDER_ERROR, "provider '%s' did not answer "
			    "BeginPrepareSnapshot", x->best->prop.provider_name);
	if (h && VSS_FAILED(hr)) {
		char *msg = wire_get_str(pl, h->len, ATTR_MESSAGE);

		hr = VSSERR(provider_filter_hr(hr), "provider '%s' refused %s: %s",
			    x->best->prop.provider_name, x->canon, msg ? msg : "no reason given");
		free(msg);
	}
	if (VSS_SUCCEEDED(hr) && (s->releasing || (s->state != SS_BS && s->state != SS_BP)))
		hr = VSSERR(VSS_E_BAD_STATE, "the session changed state during AddToSnapshotSet");
	if (VSS_SUCCEEDED(hr)) {
		struct snap *sn = &s->snaps[s->nsnaps++];

		memset(sn, 0, sizeof(*sn));
		sn->id = x->snap_id;
		sn->volume = x->canon;
		sn->mounts = x->mounts;
		sn->nmounts = x->nmounts;
		sn->prov = x->best;
		sn->state = VSS_SS_PREPARING;
		x->canon = NULL;
		x->mounts = NULL;
		x->nmounts = 0;
		x->best = NULL;
		log_info("AddToSnapshotSet: %s -> snapshot %s, provider '%s'", sn->volume,
			 vss_id_format(&sn->id, idbuf), sn->prov->prop.provider_name);
	}
	select_finish_hr(x, hr);
	vsserr_context(NULL);
}

static void select_decide(struct select_ctx *x)
{
	struct session *s = x->s;
	struct wire_msg m;
	vss_hr_t hr;

	if (!x->best) {
		if (VSS_FAILED(x->err))
			select_finish_hr(x, x->err);
		else if (x->explicit_provider)
			select_finish_hr(x, VSSERR(VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
					 "the provider does not support %s", x->canon));
		else if (x->add)
			select_finish_hr(x, VSSERR(VSS_E_VOLUME_NOT_SUPPORTED,
					 "no registered provider supports %s", x->canon));
		else
			select_finish_hr(x, S_OK);
		return;
	}
	if (!x->add) {
		select_finish_hr(x, S_OK);
		return;
	}
	vss_id_generate(&x->snap_id);
	wire_msg_init(&m, MSG_PROV_BEGIN_PREPARE, 0);
	wire_put_id(&m, ATTR_SNAPSHOT_SET_ID, &s->set_id);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, &x->snap_id);
	wire_put_str(&m, ATTR_VOLUME, x->canon);
	wire_put_u32(&m, ATTR_CONTEXT, (uint32_t)s->context);
	if (!x->best->conn ||
	    conn_request(x->best->conn, &m, cfg.provider_timeout_ms, begin_prepare_reply, x) < 0) {
		hr = VSSERR(VSS_E_UNEXPECTED_PROVIDER_ERROR, "provider '%s' is gone",
			    x->best->prop.provider_name);
		select_finish_hr(x, hr);
	}
	wire_msg_free(&m);
}

static int type_rank(VSS_PROVIDER_TYPE t)
{
	switch (t) {
	case VSS_PROV_HARDWARE: return 3;
	case VSS_PROV_SOFTWARE: return 2;
	case VSS_PROV_SYSTEM: return 1;
	default: return 0;
	}
}

static void supported_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			    const struct wire_hdr *h, const uint8_t *pl)
{
	struct select_ctx *x = ctx;
	struct provider *p = pc->provider;

	vsserr_context(x->add ? "AddToSnapshotSet" : "IsVolumeSupported");
	if (h && p) {
		hr = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
		if (VSS_SUCCEEDED(hr) && wire_get_u32(pl, h->len, ATTR_BOOL, 0) &&
		    (!x->best || type_rank(p->prop.provider_type) >
				 type_rank(x->best->prop.provider_type))) {
			if (x->best)
				provider_unref(x->best);
			x->best = p;
			provider_ref(p);
		}
	} else if (x->explicit_provider) {
		x->err = VSSERR(VSS_E_UNEXPECTED_PROVIDER_ERROR,
				"the provider did not answer IsVolumeSupported");
	}
	if (--x->outstanding == 0)
		select_decide(x);
	vsserr_context(NULL);
}

void provider_select(struct session *s, struct conn *c, uint32_t seq,
		     const char *volume, const vss_id_t *want, bool add)
{
	int code = add ? MSG_ADD_TO_SNAPSHOT_SET : MSG_IS_VOLUME_SUPPORTED;
	struct select_ctx *x = calloc(1, sizeof(*x));
	struct provider *p;
	vss_hr_t hr = S_OK;
	int r;

	if (!x) {
		conn_reply_hr(c, code, seq, VSSERR(E_OUTOFMEMORY, "out of memory"));
		return;
	}
	r = volume_resolve(volume, &x->canon, &x->mounts, &x->nmounts);
	if (r == -ENOENT || r == -EINVAL || r == -ENOTBLK)
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "%s is not a volume (a block device, a "
			    "mount point or an image file)", volume);
	else if (r == -EBUSY)
		hr = VSSERR(VSS_E_VOLUME_NOT_SUPPORTED, "%s holds vssd's own state or socket and "
			    "cannot be frozen", volume);
	else if (r < 0)
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "%s: %s", volume, strerror(-r));
	if (VSS_SUCCEEDED(hr) && add) {
		if (s->nsnaps >= VSS_MAX_VOLUMES_PER_SET)
			hr = VSSERR(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
				    "a snapshot set holds at most %d volumes", VSS_MAX_VOLUMES_PER_SET);
		for (size_t i = 0; VSS_SUCCEEDED(hr) && i < s->nsnaps; i++)
			if (strcmp(s->snaps[i].volume, x->canon) == 0)
				hr = VSSERR(VSS_E_OBJECT_ALREADY_EXISTS,
					    "%s is already in the snapshot set", x->canon);
	}
	x->s = s;
	session_ref(s);
	x->c = c;
	conn_ref(c);
	x->seq = seq;
	x->add = add;
	if (VSS_SUCCEEDED(hr) && want && !vss_id_is_null(want)) {
		x->explicit_provider = true;
		if (!provider_find(want))
			hr = VSSERR(VSS_E_PROVIDER_NOT_REGISTERED, "no such provider is registered");
	}
	if (VSS_FAILED(hr)) {
		conn_reply_hr(c, code, seq, hr);
		select_free(x);
		return;
	}
	conn_defer(c, code, seq);
	x->outstanding = 1;	/* held until every question is out */
	list_for_each_entry(p, &providers, link) {
		struct wire_msg m;

		if (x->explicit_provider && !vss_id_equal(&p->prop.provider_id, want))
			continue;
		wire_msg_init(&m, MSG_PROV_IS_VOLUME_SUPPORTED, 0);
		wire_put_str(&m, ATTR_VOLUME, x->canon);
		if (conn_request(p->conn, &m, cfg.provider_timeout_ms, supported_reply, x) == 0)
			x->outstanding++;
		wire_msg_free(&m);
	}
	if (--x->outstanding == 0)
		select_decide(x);
}

/* ------------------------------------------------------------ deletion */

struct delete_ctx {
	delete_done_fn done;
	void *ctx;
	int outstanding;
	uint32_t deleted;
	vss_id_t nondeleted;
	vss_hr_t hr;
	bool changed;
};

struct delete_one {
	struct delete_ctx *d;
	vss_id_t id;
};

static void delete_settle(struct delete_ctx *d)
{
	if (--d->outstanding > 0)
		return;
	if (d->changed)
		catalog_save();
	d->done(d->ctx, d->deleted, &d->nondeleted, d->hr);
	free(d);
}

static void delete_fail(struct delete_ctx *d, const vss_id_t *id, vss_hr_t hr)
{
	if (VSS_SUCCEEDED(d->hr)) {
		d->hr = hr;
		d->nondeleted = *id;
	}
}

static void delete_reply(void *ctx, struct conn *pc, vss_hr_t hr,
			 const struct wire_hdr *h, const uint8_t *pl)
{
	struct delete_one *o = ctx;
	struct delete_ctx *d = o->d;
	struct cat_entry *e = catalog_find(&o->id);
	char idbuf[VSS_ID_STRLEN];

	if (h)
		hr = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
	else
		hr = VSS_E_UNEXPECTED_PROVIDER_ERROR;
	/* A provider that no longer has it has deleted it. */
	if (VSS_SUCCEEDED(hr) || hr == VSS_E_OBJECT_NOT_FOUND) {
		if (e) {
			log_info("snapshot %s deleted", vss_id_format(&o->id, idbuf));
			catalog_remove(e);
			d->changed = true;
		}
		d->deleted++;
	} else {
		char *msg = h ? wire_get_str(pl, h->len, ATTR_MESSAGE) : NULL;

		if (hr == VSS_E_VOLUME_IN_USE)	/* an exposed snapshot still in use */
			hr = VSSERR(hr, "snapshot %s: %s", vss_id_format(&o->id, idbuf),
				    msg ? msg : "in use");
		else
			hr = provider_filter_hr(hr);
		delete_fail(d, &o->id, hr);
		free(msg);
	}
	free(o);
	delete_settle(d);
}

void snapshots_delete(const vss_id_t *ids, size_t n, delete_done_fn done, void *ctx)
{
	snapshots_delete_ex(ids, n, true, done, ctx);
}

void snapshots_delete_ex(const vss_id_t *ids, size_t n, bool force, delete_done_fn done,
			 void *ctx)
{
	struct delete_ctx *d = calloc(1, sizeof(*d));
	char idbuf[VSS_ID_STRLEN];

	if (!d) {
		done(ctx, 0, n ? &ids[0] : &VSS_ID_NULL, E_OUTOFMEMORY);
		return;
	}
	d->done = done;
	d->ctx = ctx;
	d->outstanding = 1;
	for (size_t i = 0; i < n; i++) {
		struct cat_entry *e = catalog_find(&ids[i]);
		struct provider *p = e ? provider_find(&e->prop.provider_id) : NULL;
		struct delete_one *o;
		struct wire_msg m;

		if (!e)
			continue;
		if (!force && (e->prop.snapshot_attributes & (VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY |
							      VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY))) {
			delete_fail(d, &ids[i], VSSERR(VSS_E_VOLUME_IN_USE,
				    "snapshot %s is exposed as %s: unexpose it first (or force)",
				    vss_id_format(&ids[i], idbuf),
				    e->prop.exposed_name ? e->prop.exposed_name : "?"));
			continue;
		}
		if (!p || !p->conn) {
			delete_fail(d, &ids[i], VSSERR(VSS_E_PROVIDER_NOT_REGISTERED,
				    "the snapshot's provider is not running"));
			continue;
		}
		o = calloc(1, sizeof(*o));
		if (!o) {
			delete_fail(d, &ids[i], E_OUTOFMEMORY);
			continue;
		}
		o->d = d;
		o->id = ids[i];
		wire_msg_init(&m, MSG_PROV_DELETE, 0);
		wire_put_id(&m, ATTR_SOURCE_ID, &ids[i]);
		wire_put_u32(&m, ATTR_OBJECT_TYPE, VSS_OBJECT_SNAPSHOT);
		wire_put_u32(&m, ATTR_FORCE, force);
		if (conn_request(p->conn, &m, cfg.provider_timeout_ms, delete_reply, o) == 0) {
			d->outstanding++;
		} else {
			delete_fail(d, &ids[i], VSS_E_UNEXPECTED_PROVIDER_ERROR);
			free(o);
		}
		wire_msg_free(&m);
	}
	delete_settle(d);
}

struct user_delete {
	struct conn *c;
	uint32_t seq;
};

static void user_delete_done(void *ctx, uint32_t deleted, const vss_id_t *nondeleted,
			     vss_hr_t hr)
{
	struct user_delete *u = ctx;
	struct wire_msg m;

	reply_init(&m, MSG_DELETE_SNAPSHOTS, u->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	wire_put_u32(&m, ATTR_COUNT, deleted);
	if (VSS_FAILED(hr))
		wire_put_id(&m, ATTR_NONDELETED_ID, nondeleted);
	conn_complete_deferred(u->c, &m);
	wire_msg_free(&m);
	conn_unref(u->c);
	free(u);
}

/* The context a snapshot was created in: its persistence/writer bits. */
#define CTX_MASK (VSS_VOLSNAP_ATTR_PERSISTENT | VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE | \
		  VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE | VSS_VOLSNAP_ATTR_NO_WRITERS)

bool context_matches(int32_t session_ctx, int32_t attrs);
bool context_matches(int32_t session_ctx, int32_t attrs)
{
	return session_ctx == VSS_CTX_ALL || (attrs & CTX_MASK) == (session_ctx & CTX_MASK);
}

void provider_delete(struct conn *c, uint32_t seq, const vss_id_t *source,
		     int type, bool force, int32_t context)
{
	vss_id_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct cat_entry *e;
	struct user_delete *u;
	char idbuf[VSS_ID_STRLEN];

	if (type != VSS_OBJECT_SNAPSHOT && type != VSS_OBJECT_SNAPSHOT_SET) {
		conn_reply_hr(c, MSG_DELETE_SNAPSHOTS, seq,
			      VSSERR(E_INVALIDARG, "the object type must be SNAPSHOT or SNAPSHOT_SET"));
		return;
	}
	list_for_each_entry(e, &catalog, link) {
		const vss_id_t *key = type == VSS_OBJECT_SNAPSHOT ? &e->prop.snapshot_id :
								  &e->prop.snapshot_set_id;

		if (!vss_id_equal(key, source) || !context_matches(context,
								   e->prop.snapshot_attributes))
			continue;
		if (n == cap) {
			vss_id_t *ni = realloc(ids, (cap + 16) * sizeof(*ids));

			if (!ni) {
				free(ids);
				conn_reply_hr(c, MSG_DELETE_SNAPSHOTS, seq,
					      VSSERR(E_OUTOFMEMORY, "out of memory"));
				return;
			}
			ids = ni;
			cap += 16;
		}
		ids[n++] = e->prop.snapshot_id;
	}
	if (n == 0) {
		free(ids);
		conn_reply_hr(c, MSG_DELETE_SNAPSHOTS, seq,
			      VSSERR(VSS_E_OBJECT_NOT_FOUND, "no %s %s in this context",
				     type == VSS_OBJECT_SNAPSHOT ? "snapshot" : "snapshot set",
				     vss_id_format(source, idbuf)));
		return;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		free(ids);
		conn_reply_hr(c, MSG_DELETE_SNAPSHOTS, seq, VSSERR(E_OUTOFMEMORY, "out of memory"));
		return;
	}
	u->c = c;
	conn_ref(c);
	u->seq = seq;
	conn_defer(c, MSG_DELETE_SNAPSHOTS, seq);
	snapshots_delete_ex(ids, n, force, user_delete_done, u);
	free(ids);
}
