/* events.c — sending one writer event to many writers at once.
 *
 * event_fanout() sends the event to every writer of the session selected by
 * a predicate, in parallel, each with its own deadline (the writer's freeze
 * timeout for Freeze, the configured per-event timeout otherwise), and
 * calls the continuation when the last one has answered or timed out.
 * Replies are applied with the rules of vss-protocol §4.4 and §4.6:
 *
 *   handler true,  no failure set -> success, state advances
 *   handler true,  failure set    -> non-fatal: FAILED_AT_<event>, sticky,
 *                                    the writer keeps getting events
 *   handler false                 -> veto: FAILED_AT_<event> (hr defaults to
 *                                    VSS_E_WRITERERROR_NONRETRYABLE); the
 *                                    writer leaves the snapshot sequence;
 *                                    a Freeze/Thaw veto sends it Abort
 *   no answer / disconnected      -> VSS_E_WRITER_NOT_RESPONDING, as a veto
 *
 * The freeze timer: armed when Freeze is sent; if Thaw has not been sent
 * when it fires, the writer is FAILED_AT_FREEZE with
 * VSS_E_WRITERERROR_TIMEOUT and gets Abort (KB 915331). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vss/metadata.h>
#include "common/error.h"
#include "common/log.h"
#include "vssd/vssd.h"

struct evreq {
	struct wstatus *ws;
	struct session *s;
	int ev;
	bool counted;
};

static VSS_WRITER_STATE failed_state(int ev)
{
	switch (ev) {
	case EV_IDENTIFY: return VSS_WS_FAILED_AT_IDENTIFY;
	case EV_PREPARE_BACKUP: return VSS_WS_FAILED_AT_PREPARE_BACKUP;
	case EV_PREPARE_SNAPSHOT: return VSS_WS_FAILED_AT_PREPARE_SNAPSHOT;
	case EV_FREEZE: return VSS_WS_FAILED_AT_FREEZE;
	case EV_THAW: return VSS_WS_FAILED_AT_THAW;
	case EV_POST_SNAPSHOT: return VSS_WS_FAILED_AT_POST_SNAPSHOT;
	case EV_BACKUP_COMPLETE: return VSS_WS_FAILED_AT_BACKUP_COMPLETE;
	case EV_BACKUP_SHUTDOWN: return VSS_WS_FAILED_AT_BACKUPSHUTDOWN;
	case EV_PRE_RESTORE: return VSS_WS_FAILED_AT_PRE_RESTORE;
	case EV_POST_RESTORE: return VSS_WS_FAILED_AT_POST_RESTORE;
	}
	return VSS_WS_UNKNOWN;
}

static VSS_WRITER_STATE success_state(int ev, VSS_WRITER_STATE cur)
{
	switch (ev) {
	case EV_PREPARE_SNAPSHOT: return VSS_WS_WAITING_FOR_FREEZE;
	case EV_FREEZE: return VSS_WS_WAITING_FOR_THAW;
	case EV_THAW: return VSS_WS_WAITING_FOR_POST_SNAPSHOT;
	case EV_POST_SNAPSHOT: return VSS_WS_WAITING_FOR_BACKUP_COMPLETE;
	case EV_BACKUP_COMPLETE:
	case EV_ABORT:
	case EV_PREPARE_BACKUP:
	case EV_PRE_RESTORE:
	case EV_POST_RESTORE: return VSS_WS_STABLE;
	}
	return cur;
}

static bool is_failed(VSS_WRITER_STATE st)
{
	return st == VSS_WS_UNKNOWN || st >= VSS_WS_FAILED_AT_IDENTIFY;
}

void ws_set_state(struct wstatus *ws, VSS_WRITER_STATE st, vss_hr_t hr, vss_hr_t app,
		  const char *msg)
{
	ws->state = st;
	ws->hr = hr;
	ws->app_hr = app;
	free(ws->msg);
	ws->msg = msg && *msg ? strdup(msg) : NULL;
	ws->w->last_state = st;
	ws->w->last_hr = hr;
}

static bool carries_bcd(int ev)
{
	return ev == EV_PREPARE_BACKUP || ev == EV_PREPARE_SNAPSHOT || ev == EV_POST_SNAPSHOT ||
	       ev == EV_BACKUP_COMPLETE || ev == EV_PRE_RESTORE || ev == EV_POST_RESTORE;
}

static bool returns_bcd(int ev)
{
	return ev == EV_PREPARE_BACKUP || ev == EV_POST_SNAPSHOT || ev == EV_PRE_RESTORE ||
	       ev == EV_POST_RESTORE;
}

static void build_event(struct wire_msg *m, struct wstatus *ws, int ev, uint32_t timeout)
{
	struct session *s = ws->s;

	wire_msg_init(m, MSG_EVENT, 0);
	wire_put_u32(m, ATTR_EVENT, (uint32_t)ev);
	wire_put_id(m, ATTR_SESSION_ID, &s->id);
	/* BackupShutdown names the set only if it was created: "If the
	 * shadow copy was not successfully performed, the value of ...
	 * SnapshotSetId will be NULL" (CVssWriter::OnBackupShutdown). */
	if (!vss_id_is_null(&s->set_id) && ev != EV_IDENTIFY &&
	    (ev != EV_BACKUP_SHUTDOWN || s->set_created))
		wire_put_id(m, ATTR_SNAPSHOT_SET_ID, &s->set_id);
	wire_put_u32(m, ATTR_CONTEXT, (uint32_t)s->context);
	wire_put_u32(m, ATTR_BACKUP_TYPE, s->backup_type);
	wire_put_u32(m, ATTR_RESTORE_TYPE, s->restore ? VSS_RTYPE_BY_COPY : VSS_RTYPE_UNDEFINED);
	wire_put_u32(m, ATTR_SELECT_COMPONENTS, s->select_components);
	wire_put_u32(m, ATTR_BOOTABLE, s->bootable);
	wire_put_u32(m, ATTR_PARTIAL_FILE, s->partial);
	wire_put_u32(m, ATTR_LEVEL, (uint32_t)ws->w->level);
	wire_put_u32(m, ATTR_TIMEOUT, timeout);
	if (ev >= EV_PREPARE_SNAPSHOT && ev <= EV_BACKUP_SHUTDOWN)
		for (size_t i = 0; i < s->nsnaps; i++)
			wire_put_str(m, ATTR_VOLUME, s->snaps[i].volume);
	if (carries_bcd(ev) && s->select_components && ws->ncomponents > 0) {
		char *xml = NULL;

		if (VSS_SUCCEEDED(vss_bcd_extract_writer(s->bcd, s->restore ? &ws->bcd_instance :
							 &ws->w->instance_id, &xml)))
			wire_put_str(m, ATTR_BCD_XML, xml);
		free(xml);
	}
}

static void apply_failure(struct wstatus *ws, int ev, vss_hr_t hr, vss_hr_t app, const char *msg,
			  bool fatal)
{
	ws_set_state(ws, failed_state(ev), hr, app, msg);
	log_warn("writer '%s' failed %s: %s%s%s%s", ws->w->name, proto_event_name(ev),
		 vss_hr_name(hr) ? vss_hr_name(hr) : "error", fatal ? " (veto)" : " (non-fatal)",
		 msg ? ": " : "", msg ? msg : "");
	if (!fatal)
		return;
	ws->vetoed = true;
	if ((ev == EV_FREEZE || ev == EV_THAW) && !ws->aborted)
		event_abort_one(ws);
}

void step_settle(struct session *s)
{
	if (--s->outstanding > 0)
		return;
	if (s->step_done) {
		void (*done)(struct session *) = s->step_done;

		s->step_done = NULL;
		done(s);
	}
}

static void event_reply(void *ctx, struct conn *c, vss_hr_t thr, const struct wire_hdr *h,
			const uint8_t *p)
{
	struct evreq *r = ctx;
	struct wstatus *ws = r->ws;
	struct session *s = r->s;
	int ev = r->ev;

	if (!h) {
		if (!ws->vetoed && ev != EV_ABORT && ev != EV_BACKUP_SHUTDOWN) {
			apply_failure(ws, ev, VSS_E_WRITER_NOT_RESPONDING, S_OK,
				      c->dead ? "the writer disconnected" :
					      "the writer did not answer in time", true);
		} else if (ev == EV_BACKUP_SHUTDOWN) {
			ws_set_state(ws, VSS_WS_FAILED_AT_BACKUPSHUTDOWN,
				     VSS_E_WRITER_NOT_RESPONDING, S_OK, "no answer");
		}
	} else {
		vss_hr_t hr = (vss_hr_t)wire_get_u32(p, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
		bool result = wire_get_u32(p, h->len, ATTR_RESULT, 0) != 0;
		vss_hr_t fhr = (vss_hr_t)wire_get_u32(p, h->len, ATTR_FAILURE_HR, 0);
		vss_hr_t ahr = (vss_hr_t)wire_get_u32(p, h->len, ATTR_APP_HR, 0);
		char *msg = wire_get_str(p, h->len, ATTR_MESSAGE);
		struct wire_attr a;

		if (VSS_FAILED(hr)) {
			/* the writer library could not run the handler */
			result = false;
			if (!fhr)
				fhr = hr;
		}
		if (ev == EV_IDENTIFY) {
			char *wmd = result && !fhr ? wire_get_str(p, h->len, ATTR_WMD_XML) : NULL;
			vss_wmd_t *doc = NULL;

			if (wmd && VSS_FAILED(vss_wmd_load_xml(wmd, strlen(wmd), &doc))) {
				log_warn("writer '%s': its Writer Metadata Document does not load: %s",
					 ws->w->name, vss_last_error());
				free(wmd);
				wmd = NULL;
			}
			vss_wmd_free(doc);
			if (wmd) {
				free(ws->wmd_xml);
				ws->wmd_xml = wmd;
			} else {
				ws_set_state(ws, VSS_WS_FAILED_AT_IDENTIFY,
					     fhr ? fhr : VSS_E_WRITERERROR_NONRETRYABLE, ahr, msg);
				log_warn("writer '%s' failed Identify: left out of this session",
					 ws->w->name);
			}
		} else if (ws->vetoed && ev != EV_ABORT && ev != EV_BACKUP_SHUTDOWN) {
			/* a late answer from a writer already out of the set */
		} else if (ev == EV_ABORT || ev == EV_BACKUP_SHUTDOWN) {
			if (!result && ev == EV_BACKUP_SHUTDOWN)
				ws_set_state(ws, VSS_WS_FAILED_AT_BACKUPSHUTDOWN,
					     fhr ? fhr : VSS_E_WRITERERROR_NONRETRYABLE, ahr, msg);
			else if (ev == EV_ABORT && !is_failed(ws->state))
				ws_set_state(ws, VSS_WS_STABLE, S_OK, S_OK, NULL);
		} else if (result && !fhr) {
			if (!is_failed(ws->state))
				ws_set_state(ws, success_state(ev, ws->state), S_OK, S_OK, NULL);
		} else {
			apply_failure(ws, ev, fhr ? fhr : VSS_E_WRITERERROR_NONRETRYABLE, ahr, msg,
				      !result);
		}
		if (ev == EV_POST_SNAPSHOT)
			ws->past_post = true;
		if (returns_bcd(ev) && s->select_components && ws->ncomponents > 0 &&
		    wire_find(p, h->len, ATTR_BCD_XML, &a) && a.kind == WIRE_STR &&
		    VSS_FAILED(vss_bcd_merge_writer(s->bcd, s->restore ? &ws->bcd_instance :
						     &ws->w->instance_id, a.val, a.len)))
			log_warn("writer '%s' returned a Backup Components Document that cannot be "
				 "merged (%s): its changes are ignored", ws->w->name,
				 vss_last_error());
		free(msg);
	}
	if (r->counted)
		step_settle(s);
	free(r);
	session_unref(s);
}

static void freeze_expired(struct timer *t)
{
	struct wstatus *ws = container_of(t, struct wstatus, freeze_timer);

	if (!ws->frozen || ws->vetoed)
		return;
	apply_failure(ws, EV_FREEZE, VSS_E_WRITERERROR_TIMEOUT, S_OK,
		      "the freeze window expired before Thaw", true);
}

static int send_event(struct wstatus *ws, int ev, bool counted)
{
	struct session *s = ws->s;
	struct evreq *r;
	struct wire_msg m;
	uint32_t timeout = ev == EV_FREEZE ? ws->w->freeze_timeout_ms : cfg.event_timeout_ms[ev];
	int rc;

	if (!ws->w->conn)
		return -EPIPE;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ws = ws;
	r->s = s;
	r->ev = ev;
	r->counted = counted;
	build_event(&m, ws, ev, timeout);
	/* the Freeze request outlives the freeze timer so that an expired
	 * window is reported as VSS_E_WRITERERROR_TIMEOUT */
	rc = conn_request(ws->w->conn, &m, ev == EV_FREEZE ? timeout + 1000 : timeout,
			  event_reply, r);
	wire_msg_free(&m);
	if (rc < 0) {
		free(r);
		return rc;
	}
	session_ref(s);
	log_debug("event %s -> writer '%s'", proto_event_name(ev), ws->w->name);
	if (ev != EV_IDENTIFY)
		ws->took_part = true;
	if (ev == EV_FREEZE) {
		ws->frozen = true;
		ws->freeze_timer.fn = freeze_expired;
		timer_arm(&ws->freeze_timer, timeout);
	} else if (ev == EV_THAW || ev == EV_ABORT) {
		ws->frozen = false;
		timer_cancel(&ws->freeze_timer);
	}
	if (ev == EV_ABORT)
		ws->aborted = true;
	return 0;
}

void event_abort_one(struct wstatus *ws)
{
	if (send_event(ws, EV_ABORT, false) < 0) {
		ws->frozen = false;
		ws->aborted = true;
		timer_cancel(&ws->freeze_timer);
	}
}

int event_fanout(struct session *s, int ev, ws_pred pred, void (*done)(struct session *s))
{
	int sent = 0;

	s->step_done = done;
	s->outstanding = 1;
	for (size_t i = 0; i < s->nws; i++) {
		struct wstatus *ws = &s->ws[i];

		if (!pred(ws))
			continue;
		if (send_event(ws, ev, true) == 0) {
			s->outstanding++;
			sent++;
		} else if (ev != EV_ABORT && ev != EV_BACKUP_SHUTDOWN && ev != EV_IDENTIFY &&
			   !ws->vetoed) {
			apply_failure(ws, ev, VSS_E_WRITER_NOT_RESPONDING, S_OK,
				      "the writer is gone", true);
		}
	}
	if (sent)
		log_info("event %s sent to %d writer(s)", proto_event_name(ev), sent);
	if (!sent) {
		/* nothing to wait for: the caller goes on by itself */
		s->outstanding = 0;
		s->step_done = NULL;
		return 0;
	}
	session_ref(s);
	step_settle(s);
	session_unref(s);
	return sent;
}

void event_fanout_then(struct session *s, int ev, ws_pred pred, void (*done)(struct session *s))
{
	if (!event_fanout(s, ev, pred, done))
		done(s);
}
