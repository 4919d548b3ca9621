/* provider.c — the provider API (IVssSoftwareSnapshotProvider +
 * IVssProviderCreateSnapshotSet) on top of conn.c.
 *
 * Design note.  A vss_provider_t is NEW until vss_provider_register
 * connects in ROLE_PROVIDER and vssd accepts MSG_PROVIDER_REGISTER; it is
 * then REGISTERED until unregistered (back to NEW) or until the connection
 * drops (LOST; registering again reconnects).  Every MSG_PROV_* request
 * runs on its own worker thread (conn.c) and is answered with the
 * callback's result; the table below maps each request to its callback.
 * The library keeps no snapshot state of its own: that is the provider's. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vss/provider.h>
#include "common/error.h"
#include "common/proto.h"
#include "common/util.h"
#include "common/wire.h"
#include "libvss/conn.h"

enum pstate { P_NEW, P_REGISTERED, P_LOST };

struct vss_provider {
	struct vss_provider_ops ops;
	void *user;
	struct conn_client cl;	/* cl.state: enum pstate */
	bool realtime;		/* api_lock: CommitSnapshots at SCHED_FIFO */
};

struct vss_provider_query {
	vss_snapshot_prop_t *v;
	size_t n, cap;
};

static char *dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

vss_hr_t vss_provider_query_add(vss_provider_query_t *q, const vss_snapshot_prop_t *prop)
{
	vss_snapshot_prop_t *c;
	bool fail = false;

	if (!q || !prop)
		return VSSERR(E_INVALIDARG, "q or prop is NULL");
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;
		vss_snapshot_prop_t *nv = realloc(q->v, cap * sizeof(*nv));

		if (!nv)
			return VSSERR(E_OUTOFMEMORY, "no memory");
		q->v = nv;
		q->cap = cap;
	}
	c = &q->v[q->n];
	*c = *prop;
	c->snapshot_device_object = dup_or_null(prop->snapshot_device_object, &fail);
	c->original_volume_name = dup_or_null(prop->original_volume_name, &fail);
	c->originating_machine = dup_or_null(prop->originating_machine, &fail);
	c->service_machine = dup_or_null(prop->service_machine, &fail);
	c->exposed_name = dup_or_null(prop->exposed_name, &fail);
	c->exposed_path = dup_or_null(prop->exposed_path, &fail);
	if (fail) {
		vss_snapshot_prop_clear(c);
		return VSSERR(E_OUTOFMEMORY, "no memory");
	}
	q->n++;
	return S_OK;
}

static void query_clear(vss_provider_query_t *q)
{
	for (size_t i = 0; i < q->n; i++)
		vss_snapshot_prop_clear(&q->v[i]);
	free(q->v);
}

/* ------------------------------------------------------------ serving */

typedef vss_hr_t (*set_call_fn)(vss_provider_t *, const vss_id_t *, void *);

/* The calls that take just a snapshot set id. */
static set_call_fn set_call(const struct vss_provider_ops *o, uint16_t code)
{
	switch (code) {
	case MSG_PROV_END_PREPARE: return o->end_prepare_snapshots;
	case MSG_PROV_PRECOMMIT: return o->pre_commit;
	case MSG_PROV_COMMIT: return o->commit;
	case MSG_PROV_PREFINAL: return o->pre_final_commit;
	case MSG_PROV_POSTFINAL: return o->post_final_commit;
	case MSG_PROV_ABORT: return o->abort_snapshots;
	}
	return NULL;
}

static vss_hr_t serve(vss_provider_t *p, const struct conn_req *req, struct wire_msg *m)
{
	const struct vss_provider_ops *o = &p->ops;
	const uint8_t *pl = req->payload;
	size_t len = req->len;
	vss_id_t set = VSS_ID_NULL, id = VSS_ID_NULL;
	vss_hr_t hr = S_OK;
	char *volume;

	wire_get_id(pl, len, ATTR_SNAPSHOT_SET_ID, &set);
	switch (req->code) {
	case MSG_PROV_IS_VOLUME_SUPPORTED: {
		bool supported = false;

		volume = wire_get_str(pl, len, ATTR_VOLUME);
		if (!volume)
			return E_INVALIDARG;
		if (o->is_volume_supported)
			hr = o->is_volume_supported(p, volume, &supported, p->user);
		free(volume);
		wire_put_u32(m, ATTR_BOOL, supported);
		return hr;
	}
	case MSG_PROV_BEGIN_PREPARE:
		volume = wire_get_str(pl, len, ATTR_VOLUME);
		if (!volume || !wire_get_id(pl, len, ATTR_SNAPSHOT_ID, &id)) {
			free(volume);
			return E_INVALIDARG;
		}
		if (o->begin_prepare_snapshot)
			hr = o->begin_prepare_snapshot(p, &set, &id, volume,
						       (int32_t)wire_get_u32(pl, len,
									     ATTR_CONTEXT, 0),
						       p->user);
		free(volume);
		return hr;
	case MSG_PROV_END_PREPARE:
	case MSG_PROV_PRECOMMIT:
	case MSG_PROV_COMMIT:
	case MSG_PROV_PREFINAL:
	case MSG_PROV_POSTFINAL:
	case MSG_PROV_ABORT: {
		set_call_fn fn = set_call(o, req->code);

		return fn ? fn(p, &set, p->user) : S_OK;
	}
	case MSG_PROV_POSTCOMMIT:
		if (!o->post_commit)
			return S_OK;
		return o->post_commit(p, &set, (int32_t)wire_get_u32(pl, len, ATTR_COUNT, 0),
				      p->user);
	case MSG_PROV_GET_PROPERTIES: {
		vss_snapshot_prop_t prop = { 0 };

		if (!wire_get_id(pl, len, ATTR_SNAPSHOT_ID, &id))
			return E_INVALIDARG;
		hr = o->get_snapshot_properties ?
			o->get_snapshot_properties(p, &id, &prop, p->user) :
			VSS_E_OBJECT_NOT_FOUND;
		if (hr == S_OK)
			proto_put_snapshot(m, &prop);
		vss_snapshot_prop_clear(&prop);
		return hr;
	}
	case MSG_PROV_DELETE: {
		int32_t deleted = 0;
		vss_id_t nondeleted = VSS_ID_NULL;

		if (!wire_get_id(pl, len, ATTR_SOURCE_ID, &id))
			return E_INVALIDARG;
		hr = o->delete_snapshots ?
			o->delete_snapshots(p, &id, (VSS_OBJECT_TYPE)wire_get_u32(
						    pl, len, ATTR_OBJECT_TYPE, VSS_OBJECT_SNAPSHOT),
					    wire_get_u32(pl, len, ATTR_FORCE, 0) != 0,
					    &deleted, &nondeleted, p->user) :
			VSS_E_OBJECT_NOT_FOUND;
		wire_put_u32(m, ATTR_COUNT, (uint32_t)deleted);
		if (!vss_id_is_null(&nondeleted))
			wire_put_id(m, ATTR_NONDELETED_ID, &nondeleted);
		return hr;
	}
	case MSG_PROV_EXPOSE: {
		char *name, *exposed = NULL, *path = NULL;

		if (!wire_get_id(pl, len, ATTR_SNAPSHOT_ID, &id))
			return E_INVALIDARG;
		if (!o->expose_snapshot)
			return E_NOTIMPL;
		name = wire_get_str(pl, len, ATTR_EXPOSED_NAME);
		hr = o->expose_snapshot(p, &id, name && *name ? name : NULL, &exposed, &path,
					p->user);
		if (hr == S_OK) {
			wire_put_str(m, ATTR_EXPOSED_NAME, exposed ? exposed : "");
			if (path)
				wire_put_str(m, ATTR_EXPOSED_PATH, path);
		}
		free(name);
		free(exposed);
		free(path);
		return hr;
	}
	case MSG_PROV_UNEXPOSE:
		if (!wire_get_id(pl, len, ATTR_SNAPSHOT_ID, &id))
			return E_INVALIDARG;
		return o->unexpose_snapshot ? o->unexpose_snapshot(p, &id, p->user) : E_NOTIMPL;
	case MSG_PROV_REVERT:
		if (!wire_get_id(pl, len, ATTR_SNAPSHOT_ID, &id))
			return E_INVALIDARG;
		return o->revert_to_snapshot ?
			o->revert_to_snapshot(p, &id, wire_get_u32(pl, len, ATTR_FORCE, 0) != 0,
					      p->user) :
			E_NOTIMPL;
	case MSG_PROV_QUERY_REVERT_STATUS: {
		vss_hr_t status = VSS_S_ASYNC_PENDING;
		uint64_t done = 0, total = 0;

		volume = wire_get_str(pl, len, ATTR_VOLUME);
		if (!volume)
			return E_INVALIDARG;
		hr = o->query_revert_status ?
			o->query_revert_status(p, volume, &status, &done, &total, &id, p->user) :
			E_NOTIMPL;
		free(volume);
		if (hr == S_OK) {
			wire_put_u32(m, ATTR_STATUS, (uint32_t)status);
			wire_put_u64(m, ATTR_PROGRESS_DONE, done);
			wire_put_u64(m, ATTR_PROGRESS_TOTAL, total);
			if (!vss_id_is_null(&id))
				wire_put_id(m, ATTR_SNAPSHOT_ID, &id);
		}
		return hr;
	}
	case MSG_PROV_QUERY: {
		vss_provider_query_t q = { 0 };

		if (o->query)
			hr = o->query(p, &q, p->user);
		for (size_t i = 0; hr == S_OK && i < q.n; i++)
			proto_put_snapshot(m, &q.v[i]);
		query_clear(&q);
		return hr;
	}
	}
	return E_INVALIDARG;
}

static void provider_request(void *user, struct conn_req *req)
{
	vss_provider_t *p = user;
	struct wire_msg m;
	vss_hr_t hr;

	conn_reply_init(&m, req, S_OK);
	vsserr_clear();
	hr = serve(p, req, &m);
	conn_reply_set_hr(&m, hr);
	if (VSS_FAILED(hr) && vss_last_error()[0])	/* what the callback said */
		wire_put_str(&m, ATTR_MESSAGE, vss_last_error());
	else if (hr == E_INVALIDARG)
		wire_put_str(&m, ATTR_MESSAGE, "provider: malformed or unknown request");
	if (conn_send(req->conn, &m) == -EMSGSIZE)
		conn_reply_hr(req, E_OUTOFMEMORY, "provider: the reply is too large");
	wire_msg_free(&m);
	conn_req_free(req);
}

static void provider_closed(void *user, int err)
{
	vss_provider_t *p = user;
	bool notify;

	(void)err;
	pthread_mutex_lock(&p->cl.lock);
	notify = p->cl.state == P_REGISTERED;
	if (notify)
		p->cl.state = P_LOST;
	pthread_cond_broadcast(&p->cl.cond);
	pthread_mutex_unlock(&p->cl.lock);
	if (notify && p->ops.on_disconnect)
		p->ops.on_disconnect(p, VSS_E_PROVIDER_NOT_REGISTERED, p->user);
}

static const struct conn_ops provider_conn_ops = {
	.request = provider_request,
	.closed = provider_closed,
};

/* ------------------------------------------------------------ lifetime */

vss_hr_t vss_provider_new(const struct vss_provider_ops *ops, void *user,
			  vss_provider_t **out)
{
	vss_provider_t *p;

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	if (!ops || ops->struct_size < sizeof(uint32_t))
		return VSSERR(E_INVALIDARG, "ops is NULL or its struct_size too small");
	p = calloc(1, sizeof(*p));
	if (!p)
		return VSSERR(E_OUTOFMEMORY, "no memory for the provider");
	memcpy(&p->ops, ops, ops->struct_size < sizeof(p->ops) ? ops->struct_size
							       : sizeof(p->ops));
	p->ops.struct_size = sizeof(p->ops);
	p->user = user;
	conn_client_init(&p->cl);
	*out = p;
	return S_OK;
}

vss_hr_t vss_provider_set_socket(vss_provider_t *p, const char *path)
{
	if (!p)
		return VSSERR(E_INVALIDARG, "p is NULL");
	if (conn_client_set_socket(&p->cl, path) < 0)
		return VSSERR(E_OUTOFMEMORY, "no memory");
	return S_OK;
}

vss_hr_t vss_provider_set_realtime(vss_provider_t *p, bool on)
{
	int r;

	if (!p)
		return VSSERR(E_INVALIDARG, "p is NULL");
	if (on && (r = conn_rt_allowed()) < 0)
		return VSSERR(r == -EPERM ? E_ACCESSDENIED : E_UNEXPECTED,
			      "cannot run threads at real-time priority (SCHED_FIFO): %s%s",
			      strerror(-r), r == -EPERM ? " (it needs CAP_SYS_NICE or "
			      "an RLIMIT_RTPRIO of 1 or more)" : "");
	pthread_mutex_lock(&p->cl.api_lock);
	p->realtime = on;
	pthread_mutex_unlock(&p->cl.api_lock);
	return S_OK;
}

/* Closes the connection; api_lock held. */
static void drop_connection(vss_provider_t *p, int state)
{
	struct conn *c;

	pthread_mutex_lock(&p->cl.lock);
	c = p->cl.conn;
	p->cl.conn = NULL;
	p->cl.state = state;
	pthread_cond_broadcast(&p->cl.cond);
	pthread_mutex_unlock(&p->cl.lock);
	conn_close(c);
}

static vss_hr_t send_register(struct conn *c, const vss_id_t *id, const char *name,
			      VSS_PROVIDER_TYPE type, const char *version,
			      const vss_id_t *version_id)
{
	struct wire_msg m;
	struct conn_reply rep;
	vss_hr_t hr;
	int r;

	wire_msg_init(&m, MSG_PROVIDER_REGISTER, 0);
	wire_put_id(&m, ATTR_PROVIDER_ID, id);
	wire_put_str(&m, ATTR_PROVIDER_NAME, name);
	wire_put_u32(&m, ATTR_PROVIDER_TYPE, type);
	wire_put_str(&m, ATTR_PROVIDER_VERSION, version);
	wire_put_id(&m, ATTR_PROVIDER_VERSION_ID, version_id ? version_id : &VSS_ID_NULL);
	r = conn_call(c, &m, 30000, &rep);
	wire_msg_free(&m);
	if (r < 0)
		return VSSERR(VSS_E_UNEXPECTED, "RegisterProvider to vssd failed: %s",
			      strerror(-r));
	hr = rep.hr;
	if (VSS_FAILED(hr))
		VSSERR(hr, "vssd refused provider '%s': %s", name,
		       rep.message ? rep.message : "no reason given");
	conn_reply_clear(&rep);
	return hr;
}

vss_hr_t vss_provider_register(vss_provider_t *p, const vss_id_t *provider_id,
			       const char *name, VSS_PROVIDER_TYPE type, const char *version,
			       const vss_id_t *version_id)
{
	struct conn_ops ops = provider_conn_ops;
	struct conn *c;
	char msg[256];
	vss_hr_t hr = S_OK;
	int r, st;

	if (!p || !provider_id || vss_id_is_null(provider_id) || !name || !*name)
		return VSSERR(E_INVALIDARG, "provider, provider id and name are required");
	if ((unsigned)type > VSS_PROV_FILESHARE)
		return VSSERR(E_INVALIDARG, "bad provider type %d", (int)type);
	pthread_mutex_lock(&p->cl.api_lock);
	pthread_mutex_lock(&p->cl.lock);
	st = p->cl.state;
	pthread_mutex_unlock(&p->cl.lock);
	if (st == P_REGISTERED) {
		hr = VSSERR(VSS_E_PROVIDER_ALREADY_REGISTERED, "provider '%s' is already "
			    "registered on this handle", name);
		goto out;
	}
	/* After a loss the handle stays LOST until registering works, so
	 * vss_provider_wait() keeps saying so between attempts. */
	if (st == P_LOST)
		drop_connection(p, P_LOST);
	if (p->realtime)
		ops.rt_code = MSG_PROV_COMMIT;
	r = conn_open(&c, p->cl.socket, ROLE_PROVIDER, name, &ops, p, &hr, msg, sizeof(msg));
	if (r == -EACCES) {
		hr = VSSERR(VSS_FAILED(hr) ? hr : E_ACCESSDENIED, "vssd refused the provider: %s",
			    msg);
		goto out;
	}
	if (r == -EPERM && p->realtime) {
		hr = VSSERR(E_ACCESSDENIED, "cannot start the provider's threads at real-time "
			    "priority (SCHED_FIFO): %s", strerror(-r));
		goto out;
	}
	if (r < 0) {
		hr = VSSERR(VSS_E_UNEXPECTED, "cannot reach vssd at %s: %s",
			    proto_socket_path(p->cl.socket), strerror(-r));
		goto out;
	}
	pthread_mutex_lock(&p->cl.lock);
	p->cl.conn = c;
	p->cl.state = P_REGISTERED;
	pthread_mutex_unlock(&p->cl.lock);
	hr = send_register(c, provider_id, name, type, version, version_id);
	if (VSS_FAILED(hr))
		drop_connection(p, st == P_LOST ? P_LOST : P_NEW);
out:
	pthread_mutex_unlock(&p->cl.api_lock);
	return hr;
}

vss_hr_t vss_provider_unregister(vss_provider_t *p)
{
	vss_hr_t hr = S_OK;

	if (!p)
		return VSSERR(E_INVALIDARG, "p is NULL");
	pthread_mutex_lock(&p->cl.api_lock);
	pthread_mutex_lock(&p->cl.lock);
	if (p->cl.state == P_NEW)
		hr = VSSERR(VSS_E_PROVIDER_NOT_REGISTERED, "the provider is not registered");
	pthread_mutex_unlock(&p->cl.lock);
	if (hr == S_OK)
		drop_connection(p, P_NEW);
	pthread_mutex_unlock(&p->cl.api_lock);
	return hr;
}

vss_hr_t vss_provider_wait(vss_provider_t *p, int timeout_ms)
{
	vss_hr_t hr = S_OK;

	if (!p)
		return VSSERR(E_INVALIDARG, "p is NULL");
	pthread_mutex_lock(&p->cl.lock);
	if (conn_wait_state(&p->cl.lock, &p->cl.cond, &p->cl.state, P_REGISTERED, timeout_ms))
		hr = S_FALSE;
	else if (p->cl.state == P_LOST)
		hr = VSSERR(VSS_E_PROVIDER_NOT_REGISTERED,
			    "the connection to vssd was lost; register again to reconnect");
	pthread_mutex_unlock(&p->cl.lock);
	return hr;
}

vss_hr_t vss_provider_notify_snapshot_lost(vss_provider_t *p, const vss_id_t *snapshot_id,
					   const char *message)
{
	struct wire_msg m;
	vss_hr_t hr = S_OK;
	int r = -ENOTCONN;

	if (!p || !snapshot_id)
		return VSSERR(E_INVALIDARG, "p or snapshot_id is NULL");
	wire_msg_init(&m, MSG_PROV_SNAPSHOT_LOST | WIRE_NOTIFY, 0);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, snapshot_id);
	wire_put_str(&m, ATTR_MESSAGE, message);
	pthread_mutex_lock(&p->cl.api_lock);
	if (p->cl.state == P_REGISTERED)
		r = conn_send(p->cl.conn, &m);
	pthread_mutex_unlock(&p->cl.api_lock);
	wire_msg_free(&m);
	if (r == -ENOTCONN)
		hr = VSSERR(VSS_E_PROVIDER_NOT_REGISTERED, "the provider is not registered");
	else if (r < 0)
		hr = VSSERR(VSS_E_UNEXPECTED, "sending SnapshotLost failed: %s", strerror(-r));
	return hr;
}

void vss_provider_free(vss_provider_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->cl.api_lock);
	if (p->cl.conn)
		drop_connection(p, P_NEW);
	pthread_mutex_unlock(&p->cl.api_lock);
	conn_client_destroy(&p->cl);
	free(p);
}
