/* writer.c — the writer API (CVssWriter) on top of conn.c.
 *
 * Design note.  A vss_writer_t moves NEW -> INITIALIZED (identity given) ->
 * SUBSCRIBED (connected, MSG_WRITER_SUBSCRIBE answered) and back to
 * INITIALIZED on unsubscribe; LOST when vssd went away (subscribe again to
 * reconnect).  Each MSG_EVENT runs on its own worker thread (conn.c); the
 * event being handled is the thread-local cur_ev, which is what makes the
 * query helpers valid on the handler's thread only.
 *
 * Sessions.  The only per-session state the library keeps is the freeze
 * timer: a struct wsession per session id seen at Freeze, with a deadline
 * (Freeze + freeze_timeout) watched by one timer thread per writer, started
 * at its first Freeze.  When a
 * deadline passes before Thaw, the library calls on_abort itself (on the
 * timer thread, or on the Freeze worker right after on_freeze returns if it
 * was still running), and the Freeze or later Thaw is answered RESULT=0,
 * FAILURE_HR=VSS_E_WRITERERROR_TIMEOUT.  BackupShutdown forgets a session.
 *
 * Replies report exactly what the handler did (RESULT, FAILURE_HR, APP_HR,
 * MESSAGE); combining them into writer states is vssd's job (spec §4.4). */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vss/writer.h>
#include "common/error.h"
#include "common/proto.h"
#include "common/util.h"
#include "common/wire.h"
#include "libvss/conn.h"
#include "libvss/writer-int.h"
#include "libvss/xml-doc.h"

#define CALL_TIMEOUT_MS 30000
#define MAX_SESSIONS 256

enum wstate { W_NEW, W_INITIALIZED, W_SUBSCRIBED, W_LOST };

struct wsession {
	vss_id_t id;
	vss_id_t set_id;
	uint64_t deadline;	/* mono ms; 0 = timer not armed */
	bool freeze_running;
	bool timed_out;		/* the freeze window expired before Thaw */
	bool local_abort_done;
	struct wevent *frozen;	/* the Freeze event, for the timer's Abort */
	struct wsession *next;
};

struct vss_writer {
	struct vss_writer_ops ops;
	void *user;
	struct conn_client cl;	/* cl.state: enum wstate */
	struct writer_identity id;
	char *name, *instance_name;
	VSS_APPLICATION_LEVEL level;
	uint32_t freeze_timeout;
	uint32_t flags;

	/* under cl.lock: */
	struct wsession *sessions;
	unsigned nsessions;
	bool timer_running, timer_quit;
	pthread_t timer;
};

/* The event a handler runs for: cur_ev on the handler's thread. */
struct wevent {
	vss_writer_t *w;
	int event;
	vss_id_t session_id, set_id;
	bool has_set;
	int32_t context;
	uint32_t backup_type, restore_type, level;
	bool select, bootable, partial;
	const char **volumes;
	unsigned nvol;
	char *bcd_xml;
	bool timeout_abort;
	bool failure_set;
	vss_hr_t failure_hr, app_hr;
	char *message;
};

static __thread struct wevent *cur_ev;

/* ------------------------------------------------------------ sessions */

static void event_clear(struct wevent *ev)
{
	for (unsigned i = 0; i < ev->nvol; i++)
		free((char *)ev->volumes[i]);
	free(ev->volumes);
	free(ev->bcd_xml);
	free(ev->message);
}

static void event_free(struct wevent *ev)
{
	if (ev) {
		event_clear(ev);
		free(ev);
	}
}

/* What an event says about the session (no BCD, no failure), for the
 * library's own Abort; NULL when memory runs out. */
static struct wevent *event_dup(const struct wevent *ev)
{
	struct wevent *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	*d = *ev;
	d->bcd_xml = d->message = NULL;
	d->failure_set = false;
	d->nvol = 0;
	d->volumes = calloc(ev->nvol + 1, sizeof(*d->volumes));
	for (unsigned i = 0; d->volumes && i < ev->nvol; i++, d->nvol++)
		if (!(d->volumes[i] = strdup(ev->volumes[i])))
			break;
	if (!d->volumes || d->nvol != ev->nvol) {
		event_free(d);
		return NULL;
	}
	return d;
}

static struct wsession *session_find(vss_writer_t *w, const vss_id_t *id, bool create)
{
	struct wsession *s, **pp;

	for (s = w->sessions; s; s = s->next)
		if (vss_id_equal(&s->id, id))
			return s;
	if (!create)
		return NULL;
	if (w->nsessions >= MAX_SESSIONS) {
		/* Forget the oldest idle session (the list is newest first). */
		for (pp = &w->sessions; *pp && (*pp)->next; pp = &(*pp)->next)
			;
		if (*pp && !(*pp)->deadline && !(*pp)->freeze_running) {
			event_free((*pp)->frozen);
			free(*pp);
			*pp = NULL;
			w->nsessions--;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = *id;
	s->next = w->sessions;
	w->sessions = s;
	w->nsessions++;
	return s;
}

static void session_forget(vss_writer_t *w, const vss_id_t *id)
{
	for (struct wsession **pp = &w->sessions; *pp; pp = &(*pp)->next) {
		struct wsession *s = *pp;

		if (vss_id_equal(&s->id, id) && !s->freeze_running) {
			*pp = s->next;
			event_free(s->frozen);
			free(s);
			w->nsessions--;
			return;
		}
	}
}

static void sessions_clear(vss_writer_t *w)
{
	while (w->sessions) {
		struct wsession *s = w->sessions;

		w->sessions = s->next;
		event_free(s->frozen);
		free(s);
	}
	w->nsessions = 0;
}

/* ------------------------------------------------------------ handlers */

static bool call_abort(vss_writer_t *w, struct wevent *ev)
{
	struct wevent *saved = cur_ev;
	bool r;

	cur_ev = ev;
	r = w->ops.on_abort(w, w->user);
	cur_ev = saved;
	return r;
}

/* The library's own OnAbort when the freeze window expired. */
static void local_abort(vss_writer_t *w, const vss_id_t *session, const vss_id_t *set,
			const struct wevent *like)
{
	struct wevent ev = { .w = w, .event = EV_ABORT, .timeout_abort = true };

	if (like) {
		ev = *like;
		ev.event = EV_ABORT;
		ev.timeout_abort = true;
		ev.failure_set = false;
		ev.message = NULL;
	}
	ev.session_id = *session;
	ev.set_id = *set;
	ev.has_set = !vss_id_is_null(set);
	call_abort(w, &ev);
	free(ev.message);
}

static void *timer_main(void *arg)
{
	vss_writer_t *w = arg;
	struct timespec ts;

	pthread_mutex_lock(&w->cl.lock);
	while (!w->timer_quit) {
		uint64_t now = mono_ms(), next = 0;
		struct wsession *s;

		for (s = w->sessions; s; s = s->next) {
			if (!s->deadline)
				continue;
			if (s->deadline <= now)
				break;
			if (!next || s->deadline < next)
				next = s->deadline;
		}
		if (s) {
			vss_id_t sid = s->id, set = s->set_id;
			bool run = !s->freeze_running;
			struct wevent *like = run && s->frozen ? event_dup(s->frozen) : NULL;

			s->deadline = 0;
			s->timed_out = true;
			s->local_abort_done = run;
			if (run) {
				pthread_mutex_unlock(&w->cl.lock);
				local_abort(w, &sid, &set, like);
				event_free(like);
				pthread_mutex_lock(&w->cl.lock);
			}
			continue;
		}
		if (!next) {
			pthread_cond_wait(&w->cl.cond, &w->cl.lock);
			continue;
		}
		conn_mono_ts(&ts, next);
		pthread_cond_timedwait(&w->cl.cond, &w->cl.lock, &ts);
	}
	pthread_mutex_unlock(&w->cl.lock);
	return NULL;
}

static bool run_freeze(vss_writer_t *w, struct wevent *ev)
{
	struct wsession *s;
	bool r, timed, abort_now;

	pthread_mutex_lock(&w->cl.lock);
	/* The timer thread starts with the writer's first Freeze; it stops
	 * when the connection is dropped (no worker runs then). */
	if (!w->timer_running)
		w->timer_running = pthread_create(&w->timer, NULL, timer_main, w) == 0;
	if (!w->timer_running) {
		pthread_mutex_unlock(&w->cl.lock);
		ev->failure_set = true;
		ev->failure_hr = VSS_E_WRITERERROR_OUTOFRESOURCES;
		ev->message = strdup("writer library: cannot start the freeze timer thread");
		return false;
	}
	s = session_find(w, &ev->session_id, true);
	if (s) {
		event_free(s->frozen);
		s->frozen = event_dup(ev);
		s->set_id = ev->set_id;
		s->deadline = mono_ms() + w->freeze_timeout;
		s->freeze_running = true;
		s->timed_out = false;
		s->local_abort_done = false;
		pthread_cond_broadcast(&w->cl.cond);
	}
	pthread_mutex_unlock(&w->cl.lock);

	r = w->ops.on_freeze(w, w->user);

	pthread_mutex_lock(&w->cl.lock);
	s = session_find(w, &ev->session_id, false);
	timed = s && s->timed_out;
	abort_now = timed && !s->local_abort_done;
	if (s) {
		s->freeze_running = false;
		if (!r)
			s->deadline = 0;	/* a veto: vssd sends Abort */
		if (abort_now)
			s->local_abort_done = true;
	}
	pthread_mutex_unlock(&w->cl.lock);
	if (abort_now)
		local_abort(w, &ev->session_id, &ev->set_id, ev);
	if (timed) {
		ev->failure_set = true;
		ev->failure_hr = VSS_E_WRITERERROR_TIMEOUT;
		free(ev->message);
		ev->message = NULL;
		if (asprintf(&ev->message, "the freeze window of %u ms expired during Freeze",
			     w->freeze_timeout) < 0)
			ev->message = NULL;
		r = false;
	}
	return r;
}

static bool run_thaw(vss_writer_t *w, struct wevent *ev)
{
	struct wsession *s;
	bool timed;

	pthread_mutex_lock(&w->cl.lock);
	s = session_find(w, &ev->session_id, false);
	timed = s && s->timed_out;
	if (s)
		s->deadline = 0;
	pthread_mutex_unlock(&w->cl.lock);
	if (!timed)
		return w->ops.on_thaw(w, w->user);
	ev->failure_set = true;
	ev->failure_hr = VSS_E_WRITERERROR_TIMEOUT;
	if (asprintf(&ev->message, "the freeze window of %u ms expired before Thaw; "
		     "the writer was aborted", w->freeze_timeout) < 0)
		ev->message = NULL;
	return false;
}

static bool run_abort(vss_writer_t *w, struct wevent *ev)
{
	struct wsession *s;

	pthread_mutex_lock(&w->cl.lock);
	s = session_find(w, &ev->session_id, false);
	if (s)
		s->deadline = 0;
	pthread_mutex_unlock(&w->cl.lock);
	return w->ops.on_abort(w, w->user);
}

typedef bool (*bcd_handler_fn)(vss_writer_t *, vss_bcd_t *, void *);

/* Events that hand the writer its components; save: it may edit them. */
static bool run_with_bcd(vss_writer_t *w, struct wevent *ev, bcd_handler_fn fn, bool save,
			 char **xml_out, vss_hr_t *hr, const char **err)
{
	vss_bcd_t *bcd = NULL;
	bool r = true;

	*hr = bcd_begin(ev->bcd_xml, &bcd, err);
	if (VSS_FAILED(*hr))
		return false;
	if (fn)
		r = fn(w, bcd, w->user);
	*hr = bcd_finish(bcd, save, xml_out, err);
	return r;
}

static bool run_identify(vss_writer_t *w, char **xml_out, vss_hr_t *hr, const char **err)
{
	vss_wmd_t *md = NULL;
	struct writer_identity id;
	bool r = true;

	pthread_mutex_lock(&w->cl.lock);
	id = w->id;
	pthread_mutex_unlock(&w->cl.lock);
	*hr = wmd_begin(&id, &md, err);
	if (VSS_FAILED(*hr))
		return false;
	if (w->ops.on_identify)
		r = w->ops.on_identify(w, md, w->user);
	*hr = wmd_finish(md, xml_out, err);
	return r;
}

static bool dispatch(vss_writer_t *w, struct wevent *ev, char **wmd, char **bcd,
		     vss_hr_t *hr, const char **err)
{
	const struct vss_writer_ops *o = &w->ops;
	bool r = true;

	*hr = S_OK;
	switch (ev->event) {
	case EV_IDENTIFY:
		return run_identify(w, wmd, hr, err);
	case EV_PREPARE_BACKUP:
		return run_with_bcd(w, ev, o->on_prepare_backup, true, bcd, hr, err);
	case EV_PREPARE_SNAPSHOT:
		return o->on_prepare_snapshot(w, w->user);
	case EV_FREEZE:
		return run_freeze(w, ev);
	case EV_THAW:
		return run_thaw(w, ev);
	case EV_POST_SNAPSHOT:
		return run_with_bcd(w, ev, o->on_post_snapshot, true, bcd, hr, err);
	case EV_ABORT:
		return run_abort(w, ev);
	case EV_BACKUP_COMPLETE:
		return run_with_bcd(w, ev, o->on_backup_complete, false, bcd, hr, err);
	case EV_BACKUP_SHUTDOWN:
		if (o->on_backup_shutdown)
			r = o->on_backup_shutdown(w, &ev->set_id, w->user);
		pthread_mutex_lock(&w->cl.lock);
		session_forget(w, &ev->session_id);
		pthread_mutex_unlock(&w->cl.lock);
		return r;
	case EV_PRE_RESTORE:
		return run_with_bcd(w, ev, o->on_pre_restore, true, bcd, hr, err);
	case EV_POST_RESTORE:
		return run_with_bcd(w, ev, o->on_post_restore, true, bcd, hr, err);
	}
	*hr = E_INVALIDARG;
	*err = "unknown writer event";
	return false;
}

/* Reads an event's attributes into ev (strings point into the payload's
 * malloc'd copies owned by ev). */
static int parse_event(struct wevent *ev, const uint8_t *p, size_t len)
{
	struct wire_iter it;
	struct wire_attr a;
	unsigned n = 0;

	ev->event = (int)wire_get_u32(p, len, ATTR_EVENT, 0);
	wire_get_id(p, len, ATTR_SESSION_ID, &ev->session_id);
	ev->has_set = wire_get_id(p, len, ATTR_SNAPSHOT_SET_ID, &ev->set_id);
	ev->context = (int32_t)wire_get_u32(p, len, ATTR_CONTEXT, 0);
	ev->backup_type = wire_get_u32(p, len, ATTR_BACKUP_TYPE, VSS_BT_UNDEFINED);
	ev->restore_type = wire_get_u32(p, len, ATTR_RESTORE_TYPE, VSS_RTYPE_UNDEFINED);
	ev->select = wire_get_u32(p, len, ATTR_SELECT_COMPONENTS, 0) != 0;
	ev->bootable = wire_get_u32(p, len, ATTR_BOOTABLE, 0) != 0;
	ev->partial = wire_get_u32(p, len, ATTR_PARTIAL_FILE, 0) != 0;
	ev->level = wire_get_u32(p, len, ATTR_LEVEL, VSS_APP_UNKNOWN);
	wire_iter_init(&it, p, len);
	while (wire_next(&it, &a))
		if (a.tag == ATTR_VOLUME && a.kind == WIRE_STR)
			n++;
	ev->volumes = calloc(n + 1, sizeof(*ev->volumes));
	if (!ev->volumes)
		return -ENOMEM;
	wire_iter_init(&it, p, len);
	while (wire_next(&it, &a)) {
		if (a.tag != ATTR_VOLUME || a.kind != WIRE_STR)
			continue;
		ev->volumes[ev->nvol] = wire_attr_str(&a);
		if (!ev->volumes[ev->nvol])
			return -ENOMEM;
		ev->nvol++;
	}
	if (wire_find(p, len, ATTR_BCD_XML, &a) && a.kind == WIRE_STR) {
		ev->bcd_xml = wire_attr_str(&a);
		if (!ev->bcd_xml)
			return -ENOMEM;
	}
	return 0;
}

static void writer_request(void *user, struct conn_req *req)
{
	vss_writer_t *w = user;
	struct wevent ev = { .w = w };
	struct wire_msg m;
	char *wmd = NULL, *bcd = NULL;
	const char *err = NULL;
	vss_hr_t hr;
	bool r;

	if (req->code != MSG_EVENT) {
		conn_reply_hr(req, E_INVALIDARG, "writer: not a request a writer serves");
		goto out;
	}
	if (parse_event(&ev, req->payload, req->len) < 0) {
		conn_reply_hr(req, E_OUTOFMEMORY, "writer: out of memory reading the event");
		goto out;
	}
	cur_ev = &ev;
	r = dispatch(w, &ev, &wmd, &bcd, &hr, &err);
	cur_ev = NULL;
	if (VSS_FAILED(hr)) {
		conn_reply_hr(req, hr, err ? err : "writer: the event could not be handled");
		goto out;
	}
	conn_reply_init(&m, req, S_OK);
	wire_put_u32(&m, ATTR_RESULT, r);
	wire_put_u32(&m, ATTR_FAILURE_HR, (uint32_t)(ev.failure_set ? ev.failure_hr : S_OK));
	wire_put_u32(&m, ATTR_APP_HR, (uint32_t)(ev.failure_set ? ev.app_hr : S_OK));
	wire_put_str(&m, ATTR_MESSAGE, ev.message);
	wire_put_str(&m, ATTR_WMD_XML, wmd);
	wire_put_str(&m, ATTR_BCD_XML, bcd);
	if (conn_send(req->conn, &m) == -EMSGSIZE)
		conn_reply_hr(req, E_OUTOFMEMORY, "writer: the reply is too large");
	wire_msg_free(&m);
out:
	free(wmd);
	free(bcd);
	event_clear(&ev);
	conn_req_free(req);
}

static void writer_closed(void *user, int err)
{
	vss_writer_t *w = user;
	bool notify;

	pthread_mutex_lock(&w->cl.lock);
	notify = w->cl.state == W_SUBSCRIBED;
	if (notify)
		w->cl.state = W_LOST;
	pthread_cond_broadcast(&w->cl.cond);
	pthread_mutex_unlock(&w->cl.lock);
	if (notify && w->ops.on_disconnect)
		w->ops.on_disconnect(w, VSS_E_WRITER_INFRASTRUCTURE, w->user);
	(void)err;
}

static const struct conn_ops writer_conn_ops = {
	.request = writer_request,
	.closed = writer_closed,
};

/* ------------------------------------------------------------ lifetime */

vss_hr_t vss_writer_new(const struct vss_writer_ops *ops, void *user, vss_writer_t **out)
{
	vss_writer_t *w;
	size_t n;

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	if (!ops || ops->struct_size < offsetof(struct vss_writer_ops, on_abort) +
	    sizeof(ops->on_abort))
		return VSSERR(E_INVALIDARG, "ops is NULL or its struct_size too small");
	if (!ops->on_prepare_snapshot || !ops->on_freeze || !ops->on_thaw || !ops->on_abort)
		return VSSERR(E_INVALIDARG, "on_prepare_snapshot, on_freeze, on_thaw and "
			      "on_abort are mandatory");
	w = calloc(1, sizeof(*w));
	if (!w)
		return VSSERR(E_OUTOFMEMORY, "no memory for the writer");
	n = ops->struct_size < sizeof(w->ops) ? ops->struct_size : sizeof(w->ops);
	memcpy(&w->ops, ops, n);
	w->ops.struct_size = sizeof(w->ops);
	w->user = user;
	conn_client_init(&w->cl);
	*out = w;
	return S_OK;
}

vss_hr_t vss_writer_set_socket(vss_writer_t *w, const char *path)
{
	if (!w)
		return VSSERR(E_INVALIDARG, "w is NULL");
	if (conn_client_set_socket(&w->cl, path) < 0)
		return VSSERR(E_OUTOFMEMORY, "no memory");
	return S_OK;
}

vss_hr_t vss_writer_initialize(vss_writer_t *w, const vss_id_t *class_id, const char *name,
			       VSS_USAGE_TYPE usage, VSS_SOURCE_TYPE source,
			       VSS_APPLICATION_LEVEL level, uint32_t freeze_timeout_ms,
			       const char *instance_name, uint32_t major, uint32_t minor)
{
	vss_hr_t hr = S_OK;

	if (!w || !class_id || !name || !*name)
		return VSSERR(E_INVALIDARG, "writer, class id and name are required");
	if (vss_id_is_null(class_id))
		return VSSERR(E_INVALIDARG, "the writer class id is GUID_NULL");
	if (level != VSS_APP_SYSTEM && level != VSS_APP_BACK_END && level != VSS_APP_FRONT_END)
		return VSSERR(E_INVALIDARG, "level %d is not SYSTEM, BACK_END or FRONT_END",
			      (int)level);
	if (strlen(name) > VSS_MAX_NAME_LEN ||
	    (instance_name && strlen(instance_name) > VSS_MAX_NAME_LEN))
		return VSSERR(E_INVALIDARG, "a writer or instance name is over %u bytes",
			      VSS_MAX_NAME_LEN);
	if (freeze_timeout_ms > VSS_MAX_FREEZE_TIMEOUT_MS)
		return VSSERR(E_INVALIDARG, "freeze timeout %u ms is over the maximum, %u ms",
			      freeze_timeout_ms, VSS_MAX_FREEZE_TIMEOUT_MS);
	if ((unsigned)usage > VSS_UT_OTHER || (unsigned)source > VSS_ST_OTHER)
		return VSSERR(E_INVALIDARG, "bad usage type %d or source type %d",
			      (int)usage, (int)source);
	/* as the Writer Metadata Document will hold them: every Identify
	 * would fail otherwise */
	if (VSS_FAILED(hr = xcheck_str(__func__, "the writer name", name, true)) ||
	    VSS_FAILED(hr = xcheck_str(__func__, "the instance name", instance_name, false)))
		return hr;
	pthread_mutex_lock(&w->cl.lock);
	if (w->cl.state != W_NEW) {
		hr = VSSERR(VSS_E_BAD_STATE, "the writer is already initialized");
		goto out;
	}
	w->name = strdup(name);
	w->instance_name = instance_name ? strdup(instance_name) : NULL;
	if (!w->name || (instance_name && !w->instance_name)) {
		free(w->name);
		free(w->instance_name);
		w->name = w->instance_name = NULL;
		hr = VSSERR(E_OUTOFMEMORY, "no memory");
		goto out;
	}
	w->id.class_id = *class_id;
	w->id.name = w->name;
	w->id.instance_name = w->instance_name;
	w->id.usage = usage;
	w->id.source = source;
	w->id.major = major;
	w->id.minor = minor;
	w->level = level;
	w->freeze_timeout = freeze_timeout_ms ? freeze_timeout_ms : VSS_DEFAULT_FREEZE_TIMEOUT_MS;
	w->cl.state = W_INITIALIZED;
out:
	pthread_mutex_unlock(&w->cl.lock);
	return hr;
}

static void stop_timer(vss_writer_t *w)
{
	bool join;

	pthread_mutex_lock(&w->cl.lock);
	join = w->timer_running;
	w->timer_quit = true;
	pthread_cond_broadcast(&w->cl.cond);
	pthread_mutex_unlock(&w->cl.lock);
	if (join)
		pthread_join(w->timer, NULL);
	pthread_mutex_lock(&w->cl.lock);
	w->timer_running = false;
	w->timer_quit = false;
	pthread_mutex_unlock(&w->cl.lock);
}

/* Drops the connection after unsubscribe or loss; api_lock held. */
static void drop_connection(vss_writer_t *w)
{
	struct conn *c;

	pthread_mutex_lock(&w->cl.lock);
	c = w->cl.conn;
	w->cl.conn = NULL;
	pthread_mutex_unlock(&w->cl.lock);
	conn_close(c);
	stop_timer(w);
	pthread_mutex_lock(&w->cl.lock);
	sessions_clear(w);
	pthread_mutex_unlock(&w->cl.lock);
}

static vss_hr_t send_subscribe(vss_writer_t *w, struct conn *c, uint32_t flags)
{
	vss_id_t instance;
	struct wire_msg m;
	struct conn_reply rep;
	vss_hr_t hr;
	int r;

	wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 0);
	wire_put_id(&m, ATTR_WRITER_ID, &w->id.class_id);
	wire_put_str(&m, ATTR_WRITER_NAME, w->name);
	wire_put_str(&m, ATTR_INSTANCE_NAME, w->instance_name);
	wire_put_u32(&m, ATTR_USAGE, w->id.usage);
	wire_put_u32(&m, ATTR_SOURCE, w->id.source);
	wire_put_u32(&m, ATTR_LEVEL, (uint32_t)w->level);
	wire_put_u32(&m, ATTR_FREEZE_TIMEOUT, w->freeze_timeout);
	wire_put_u32(&m, ATTR_SUBSCRIBE_MASK, flags);
	wire_put_u32(&m, ATTR_MAJOR, w->id.major);
	wire_put_u32(&m, ATTR_MINOR, w->id.minor);
	r = conn_call(c, &m, CALL_TIMEOUT_MS, &rep);
	wire_msg_free(&m);
	if (r < 0)
		return VSSERR(VSS_E_WRITER_INFRASTRUCTURE, "Subscribe to vssd failed: %s",
			      strerror(-r));
	hr = rep.hr;
	if (VSS_FAILED(hr)) {
		VSSERR(hr, "vssd refused the subscription: %s",
		       rep.message ? rep.message : "no reason given");
	} else if (!wire_get_id(rep.payload, rep.len, ATTR_INSTANCE_ID, &instance)) {
		hr = VSSERR(VSS_E_WRITER_INFRASTRUCTURE, "vssd gave no instance id");
	} else {
		/* An Identify may already run on a worker and read it. */
		pthread_mutex_lock(&w->cl.lock);
		w->id.instance_id = instance;
		pthread_mutex_unlock(&w->cl.lock);
	}
	conn_reply_clear(&rep);
	return hr;
}

vss_hr_t vss_writer_subscribe(vss_writer_t *w, uint32_t flags)
{
	struct conn *c;
	char msg[256];
	vss_hr_t hr = S_OK;
	enum wstate st;
	int r;

	if (!w)
		return VSSERR(E_INVALIDARG, "w is NULL");
	if (cur_ev)
		return VSSERR(VSS_E_BAD_STATE, "not allowed inside a handler");
	if (!flags)
		flags = VSS_SM_BACKUP_EVENTS_FLAG | VSS_SM_RESTORE_EVENTS_FLAG;
	pthread_mutex_lock(&w->cl.api_lock);
	pthread_mutex_lock(&w->cl.lock);
	st = w->cl.state;
	pthread_mutex_unlock(&w->cl.lock);
	if (st == W_NEW) {
		hr = VSSERR(VSS_E_BAD_STATE, "vss_writer_initialize was not called");
		goto out;
	}
	if (st == W_SUBSCRIBED) {
		hr = VSSERR(VSS_E_WRITER_ALREADY_SUBSCRIBED, "writer '%s' is already subscribed",
			    w->name);
		goto out;
	}
	if (st == W_LOST)
		drop_connection(w);
	r = conn_open(&c, w->cl.socket, ROLE_WRITER, w->name, &writer_conn_ops, w, &hr,
		      msg, sizeof(msg));
	if (r == -EACCES) {
		hr = VSSERR(VSS_FAILED(hr) ? hr : E_ACCESSDENIED, "vssd refused the writer: %s",
			    msg);
		goto out;
	}
	if (r < 0) {
		hr = VSSERR(VSS_E_WRITER_INFRASTRUCTURE, "cannot reach vssd at %s: %s",
			    proto_socket_path(w->cl.socket), strerror(-r));
		goto out;
	}
	pthread_mutex_lock(&w->cl.lock);
	w->cl.conn = c;
	w->flags = flags;
	w->cl.state = W_SUBSCRIBED;	/* events may come once vssd answers */
	pthread_mutex_unlock(&w->cl.lock);
	hr = send_subscribe(w, c, flags);
	if (VSS_FAILED(hr)) {
		/* After a loss the writer stays LOST until subscribing works,
		 * so vss_writer_wait() keeps saying so between attempts. */
		pthread_mutex_lock(&w->cl.lock);
		w->cl.state = st == W_LOST ? W_LOST : W_INITIALIZED;
		pthread_mutex_unlock(&w->cl.lock);
		drop_connection(w);
	}
out:
	pthread_mutex_unlock(&w->cl.api_lock);
	return hr;
}

vss_hr_t vss_writer_unsubscribe(vss_writer_t *w)
{
	struct wire_msg m;
	struct conn_reply rep;
	vss_hr_t hr = S_OK;
	enum wstate st;

	if (!w)
		return VSSERR(E_INVALIDARG, "w is NULL");
	if (cur_ev)
		return VSSERR(VSS_E_BAD_STATE, "not allowed inside a handler");
	pthread_mutex_lock(&w->cl.api_lock);
	pthread_mutex_lock(&w->cl.lock);
	st = w->cl.state;
	pthread_mutex_unlock(&w->cl.lock);
	if (st != W_SUBSCRIBED && st != W_LOST) {
		hr = VSSERR(VSS_E_BAD_STATE, "the writer is not subscribed");
		goto out;
	}
	if (st == W_SUBSCRIBED) {
		wire_msg_init(&m, MSG_WRITER_UNSUBSCRIBE, 0);
		if (conn_call(w->cl.conn, &m, 5000, &rep) == 0)
			conn_reply_clear(&rep);
		wire_msg_free(&m);
	}
	pthread_mutex_lock(&w->cl.lock);
	w->cl.state = W_INITIALIZED;
	pthread_cond_broadcast(&w->cl.cond);
	pthread_mutex_unlock(&w->cl.lock);
	drop_connection(w);
out:
	pthread_mutex_unlock(&w->cl.api_lock);
	return hr;
}

vss_hr_t vss_writer_wait(vss_writer_t *w, int timeout_ms)
{
	vss_hr_t hr = S_OK;

	if (!w)
		return VSSERR(E_INVALIDARG, "w is NULL");
	pthread_mutex_lock(&w->cl.lock);
	if (conn_wait_state(&w->cl.lock, &w->cl.cond, &w->cl.state, W_SUBSCRIBED, timeout_ms))
		hr = S_FALSE;
	else if (w->cl.state == W_LOST)
		hr = VSSERR(VSS_E_WRITER_INFRASTRUCTURE,
			    "the connection to vssd was lost; subscribe again to reconnect");
	pthread_mutex_unlock(&w->cl.lock);
	return hr;
}

vss_hr_t vss_writer_get_instance_id(vss_writer_t *w, vss_id_t *id)
{
	vss_hr_t hr = S_OK;

	if (!w || !id)
		return VSSERR(E_INVALIDARG, "w or id is NULL");
	pthread_mutex_lock(&w->cl.lock);
	if (w->cl.state == W_SUBSCRIBED || w->cl.state == W_LOST)
		*id = w->id.instance_id;
	else
		hr = VSSERR(VSS_E_BAD_STATE, "the writer is not subscribed");
	pthread_mutex_unlock(&w->cl.lock);
	return hr;
}

void vss_writer_free(vss_writer_t *w)
{
	bool sub;

	if (!w)
		return;
	pthread_mutex_lock(&w->cl.lock);
	sub = w->cl.state == W_SUBSCRIBED || w->cl.state == W_LOST;
	pthread_mutex_unlock(&w->cl.lock);
	if (sub)
		vss_writer_unsubscribe(w);
	conn_client_destroy(&w->cl);
	free(w->name);
	free(w->instance_name);
	free(w);
}

/* ------------------------------------------------------------ in handlers */

/* The current event of w on this thread, or NULL with the error set. */
static struct wevent *current(vss_writer_t *w, const char *call, vss_hr_t *hr)
{
	if (w && cur_ev && cur_ev->w == w)
		return cur_ev;
	*hr = vsserr_set(call, VSS_E_BAD_STATE,
			 "only valid inside one of this writer's handlers, on its thread");
	return NULL;
}

#define CURRENT(w, out)							\
	struct wevent *ev;						\
	vss_hr_t hr_ = S_OK;						\
	if (!(out))							\
		return VSSERR(E_INVALIDARG, "output pointer is NULL");	\
	if (!(ev = current((w), __func__, &hr_)))			\
		return hr_

/* The codes CVssWriterEx2::SetWriterFailureEx "can set" (SetWriterFailure:
 * the same but S_OK and PARTIAL_FAILURE). */
static bool writer_failure_ok(vss_hr_t hr)
{
	return hr == S_OK || hr == VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT ||
	       hr == VSS_E_WRITERERROR_OUTOFRESOURCES || hr == VSS_E_WRITERERROR_TIMEOUT ||
	       hr == VSS_E_WRITERERROR_RETRYABLE || hr == VSS_E_WRITERERROR_NONRETRYABLE ||
	       hr == VSS_E_WRITERERROR_PARTIAL_FAILURE;
}

vss_hr_t vss_writer_set_failure_ex(vss_writer_t *w, vss_hr_t hr, vss_hr_t app_hr,
				   const char *message)
{
	char *copy = NULL;

	if (!writer_failure_ok(hr))
		return VSSERR(E_INVALIDARG, "0x%08x is not a writer failure code "
			      "(VSS_E_WRITERERROR_*, or S_OK)", (unsigned)hr);
	vss_hr_t ok = message ? xcheck_str(__func__, "the failure message", message, false) : S_OK;

	if (VSS_FAILED(ok))
		return ok;
	CURRENT(w, w);
	if (ev->event == EV_IDENTIFY)
		return VSSERR(VSS_E_BAD_STATE, "SetWriterFailure is not allowed in OnIdentify");
	if (message && !(copy = strdup(message)))
		return VSSERR(E_OUTOFMEMORY, "no memory");
	ev->failure_set = true;
	ev->failure_hr = hr;
	ev->app_hr = app_hr;
	free(ev->message);
	ev->message = copy;
	return S_OK;
}

vss_hr_t vss_writer_set_failure(vss_writer_t *w, vss_hr_t hr)
{
	if (hr == S_OK || hr == VSS_E_WRITERERROR_PARTIAL_FAILURE)
		return VSSERR(E_INVALIDARG, "0x%08x is not a code SetWriterFailure sets",
			      (unsigned)hr);
	return vss_writer_set_failure_ex(w, hr, S_OK, NULL);
}

vss_hr_t vss_writer_get_current_snapshot_set_id(vss_writer_t *w, vss_id_t *id)
{
	CURRENT(w, id);
	if (!ev->has_set)
		return VSSERR(VSS_E_BAD_STATE, "the %s event carries no snapshot set",
			      proto_event_name(ev->event));
	*id = ev->set_id;
	return S_OK;
}

vss_hr_t vss_writer_get_current_volume_count(vss_writer_t *w, unsigned *count)
{
	CURRENT(w, count);
	*count = ev->nvol;
	return S_OK;
}

vss_hr_t vss_writer_get_current_volume_array(vss_writer_t *w, const char *const **volumes,
					     unsigned *count)
{
	CURRENT(w, volumes);
	*volumes = ev->volumes;
	if (count)
		*count = ev->nvol;
	return S_OK;
}

vss_hr_t vss_writer_is_path_affected(vss_writer_t *w, const char *path, bool *affected)
{
	int r;

	CURRENT(w, affected);
	r = path_on_volumes(path, ev->volumes, ev->nvol, affected);
	if (r < 0)
		return VSSERR(E_INVALIDARG, "path '%s': %s", path ? path : "(null)",
			      r == -EINVAL ? "not an absolute path" : strerror(-r));
	return S_OK;
}

vss_hr_t vss_writer_get_backup_type(vss_writer_t *w, VSS_BACKUP_TYPE *type)
{
	CURRENT(w, type);
	*type = (VSS_BACKUP_TYPE)ev->backup_type;
	return S_OK;
}

vss_hr_t vss_writer_get_restore_type(vss_writer_t *w, VSS_RESTORE_TYPE *type)
{
	CURRENT(w, type);
	*type = (VSS_RESTORE_TYPE)ev->restore_type;
	return S_OK;
}

vss_hr_t vss_writer_are_components_selected(vss_writer_t *w, bool *selected)
{
	CURRENT(w, selected);
	*selected = ev->select;
	return S_OK;
}

vss_hr_t vss_writer_is_bootable_system_state_backed_up(vss_writer_t *w, bool *backed_up)
{
	CURRENT(w, backed_up);
	*backed_up = ev->bootable;
	return S_OK;
}

vss_hr_t vss_writer_is_partial_file_support_enabled(vss_writer_t *w, bool *enabled)
{
	CURRENT(w, enabled);
	*enabled = ev->partial;
	return S_OK;
}

vss_hr_t vss_writer_get_context(vss_writer_t *w, int32_t *context)
{
	CURRENT(w, context);
	*context = ev->context;
	return S_OK;
}

vss_hr_t vss_writer_get_current_level(vss_writer_t *w, VSS_APPLICATION_LEVEL *level)
{
	CURRENT(w, level);
	*level = ev->level ? (VSS_APPLICATION_LEVEL)ev->level : w->level;
	return S_OK;
}

vss_hr_t vss_writer_get_session_id(vss_writer_t *w, vss_id_t *id)
{
	CURRENT(w, id);
	*id = ev->session_id;
	return S_OK;
}

vss_hr_t vss_writer_is_freeze_timeout_abort(vss_writer_t *w, bool *timeout)
{
	CURRENT(w, timeout);
	*timeout = ev->timeout_abort;
	return S_OK;
}
