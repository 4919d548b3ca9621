/* snapset.c — DoSnapshotSet (vss-protocol §3.3) and its abort path.
 *
 * One step per function, each ending by starting the next step's fan-out:
 *
 *   D1  PrepareForSnapshot -> participating writers (parallel)
 *   D2  EndPrepareSnapshots -> providers           PREPARED
 *   D3  Freeze by level: FRONT_END, BACK_END, SYSTEM (each level completes
 *       before the next)
 *   D4  PreCommitSnapshots -> providers            PRECOMMITTED
 *   D5  flush and hold: FIFREEZE every filesystem of the set (guard process)
 *   D6  CommitSnapshots -> providers, bounded by the hold window
 *   D7  FITHAW at once after the last commit
 *   D8  PostCommitSnapshots -> providers           POSTCOMMITTED
 *   D9  Thaw by level, in reverse: SYSTEM, BACK_END, FRONT_END
 *   D10 PreFinalCommitSnapshots -> providers       PREFINALCOMMITTED
 *   D11 PostSnapshot -> writers
 *   D12 PostFinalCommitSnapshots -> providers      CREATED, catalogued
 *   D13 creation lock released, operation finished
 *
 * Writer failures never fail the set (§4.5); provider failures, a flush or
 * hold timeout, Cancel/AbortBackup or the requester going away take the
 * abort path: AbortSnapshots to providers (once EndPrepare was called),
 * Abort to writers not past PostSnapshot, filesystems thawed, snapshots
 * ABORTED, lock released, the operation fails with the cause. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "vssd/vssd.h"

static void d2_end_prepare(struct session *s);
static void d3_freeze(struct session *s);
static void d4_precommit(struct session *s);
static void d5_hold(struct session *s);
static void d8_postcommit(struct session *s);
static void d9_thaw(struct session *s);
static void d10_prefinal(struct session *s);
static void d11_post_snapshot(struct session *s);
static void d12_postfinal(struct session *s);
static void d13_finish(struct session *s);
static void abort_path(struct session *s, vss_hr_t why);

static void snaps_state(struct session *s, VSS_SNAPSHOT_STATE st)
{
	for (size_t i = 0; i < s->nsnaps; i++)
		s->snaps[i].state = st;
}

/* The step after the one that just ended, unless the set must stop. */
static bool stop_here(struct session *s)
{
	if (VSS_FAILED(s->step_hr)) {
		abort_path(s, s->step_hr);
		return true;
	}
	if (s->op.cancel_requested || s->releasing) {
		vsserr_set("DoSnapshotSet", VSS_S_ASYNC_CANCELLED,
			   s->releasing ? "the requester went away" : "cancelled");
		abort_path(s, VSS_S_ASYNC_CANCELLED);
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ providers */

struct provreq {
	struct session *s;
	struct provider *p;
	int code;
};

static void prov_reply(void *ctx, struct conn *c, vss_hr_t thr, const struct wire_hdr *h,
		       const uint8_t *p)
{
	struct provreq *r = ctx;
	struct session *s = r->s;
	vss_hr_t hr;

	if (!h) {
		hr = VSS_E_UNEXPECTED_PROVIDER_ERROR;
		if (r->code != MSG_PROV_ABORT && VSS_SUCCEEDED(s->step_hr))
			s->step_hr = vsserr_set("DoSnapshotSet", hr, "provider '%s' did not answer %s%s",
						r->p->prop.provider_name, proto_msg_name(r->code),
						c->dead ? " (it disconnected)" : " in time");
	} else {
		hr = (vss_hr_t)wire_get_u32(p, h->len, ATTR_HR, (uint32_t)E_UNEXPECTED);
		if (VSS_FAILED(hr) && r->code != MSG_PROV_ABORT && VSS_SUCCEEDED(s->step_hr)) {
			char *msg = wire_get_str(p, h->len, ATTR_MESSAGE);

			s->step_hr = vsserr_set("DoSnapshotSet", provider_filter_hr(hr),
						"provider '%s' failed %s: %s",
						r->p->prop.provider_name, proto_msg_name(r->code),
						msg ? msg : "no reason given");
			free(msg);
		}
	}
	provider_unref(r->p);
	free(r);
	step_settle(s);
	session_unref(s);
}

/* Sends code to every distinct provider of the set. */
static void prov_fanout(struct session *s, int code, uint32_t timeout,
			void (*done)(struct session *s))
{
	s->step_done = done;
	s->outstanding = 1;
	log_debug("%s -> providers", proto_msg_name(code));
	for (size_t i = 0; i < s->nsnaps; i++) {
		struct provider *p = s->snaps[i].prov;
		struct provreq *r;
		struct wire_msg m;
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			if (s->snaps[j].prov == p)
				dup = true;
		if (dup)
			continue;
		if (!p->conn) {
			if (code != MSG_PROV_ABORT && VSS_SUCCEEDED(s->step_hr))
				s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_UNEXPECTED_PROVIDER_ERROR,
							"provider '%s' is gone", p->prop.provider_name);
			continue;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			s->step_hr = vsserr_set("DoSnapshotSet", E_OUTOFMEMORY, "out of memory");
			continue;
		}
		r->s = s;
		r->p = p;
		r->code = code;
		wire_msg_init(&m, code, 0);
		wire_put_id(&m, ATTR_SNAPSHOT_SET_ID, &s->set_id);
		if (code == MSG_PROV_POSTCOMMIT)
			wire_put_u32(&m, ATTR_COUNT, (uint32_t)s->nsnaps);
		if (conn_request(p->conn, &m, timeout, prov_reply, r) == 0) {
			provider_ref(p);
			session_ref(s);
			s->outstanding++;
		} else {
			free(r);
			if (code != MSG_PROV_ABORT && VSS_SUCCEEDED(s->step_hr))
				s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_UNEXPECTED_PROVIDER_ERROR,
							"cannot reach provider '%s'",
							p->prop.provider_name);
		}
		wire_msg_free(&m);
	}
	session_ref(s);
	step_settle(s);
	session_unref(s);
}

/* ------------------------------------------------------------ writers */

static bool pred_prepare(const struct wstatus *ws)
{
	return ws->participating && !ws->vetoed;
}

static bool pred_freeze_level(const struct wstatus *ws)
{
	return ws->participating && !ws->vetoed && (int)ws->w->level == ws->s->freeze_level;
}

static bool pred_thaw_level(const struct wstatus *ws)
{
	return ws->frozen && !ws->vetoed && (int)ws->w->level == ws->s->freeze_level;
}

static bool pred_post(const struct wstatus *ws)
{
	return ws->participating && !ws->vetoed;
}

static bool pred_abort(const struct wstatus *ws)
{
	return ws->participating && !ws->past_post && !ws->aborted && ws->took_part;
}

/* ------------------------------------------------------------ steps */

void snapset_do(struct session *s)
{
	char idbuf[VSS_ID_STRLEN];

	s->step_hr = S_OK;
	s->end_prepare_called = false;
	s->hold_us = -1;
	session_ref(s);		/* held until the operation completes */
	log_info("DoSnapshotSet %s: %zu volume(s), %s", vss_id_format(&s->set_id, idbuf),
		 s->nsnaps, session_is_writerless(s) ? "no writers" : "with writers");
	snaps_state(s, VSS_SS_PREPARING);
	if (session_is_writerless(s))
		d2_end_prepare(s);
	else
		event_fanout_then(s, EV_PREPARE_SNAPSHOT, pred_prepare, d2_end_prepare);
}

static void d2_end_prepare(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PROCESSING_PREPARE);
	s->end_prepare_called = true;
	prov_fanout(s, MSG_PROV_END_PREPARE, cfg.provider_timeout_ms, d3_freeze);
}

/* D3: Freeze one level at a time, FRONT_END first. */
static void d3_freeze_next(struct session *s)
{
	if (stop_here(s))
		return;
	while (s->freeze_level > VSS_APP_SYSTEM) {
		s->freeze_level--;
		if (event_fanout(s, EV_FREEZE, pred_freeze_level, d3_freeze_next))
			return;
	}
	d4_precommit(s);
}

static void d3_freeze(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PREPARED);
	if (session_is_writerless(s)) {
		d4_precommit(s);
		return;
	}
	s->freeze_level = VSS_APP_FRONT_END + 1;
	d3_freeze_next(s);
}

static void d4_precommit(struct session *s)
{
	snaps_state(s, VSS_SS_PROCESSING_PRECOMMIT);
	prov_fanout(s, MSG_PROV_PRECOMMIT, cfg.provider_timeout_ms, d5_hold);
}

static void d6_commit(struct session *s);

static void hold_expired(struct timer *t)
{
	struct session *s = container_of(t, struct session, hold_timer);

	if (VSS_SUCCEEDED(s->step_hr))
		s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_HOLD_WRITES_TIMEOUT,
				    "the commit did not finish within the %u ms hold window",
				    cfg.hold_timeout_ms);
	/* Thaw now; the pending commit replies will find step_hr set. */
	if (s->freeze) {
		freeze_release(s->freeze, NULL, NULL);
		s->freeze = NULL;
	}
}

static void frozen(void *arg, vss_hr_t hr, const char *msg)
{
	struct session *s = arg;

	if (VSS_FAILED(hr)) {
		s->step_hr = hr;
		if (s->freeze) {
			freeze_release(s->freeze, NULL, NULL);
			s->freeze = NULL;
		}
		abort_path(s, hr);
		return;
	}
	d6_commit(s);
}

static void d5_hold(struct session *s)
{
	char *mounts[VSS_MAX_VOLUMES_PER_SET];
	size_t n = 0;
	int r;

	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PRECOMMITTED);
	/* The mount points are looked up again now: those found at
	 * AddToSnapshotSet may since have been unmounted, and a path frozen by
	 * name would then freeze whatever is mounted there now (the parent
	 * filesystem, even vssd's own) while the volume stayed writable. */
	for (size_t i = 0; i < s->nsnaps; i++) {
		char *canon = NULL, **now = NULL;
		size_t nnow = 0;

		r = volume_resolve(s->snaps[i].volume, &canon, &now, &nnow);
		if (r == 0 && strcmp(canon, s->snaps[i].volume) == 0) {
			volume_free_mounts(s->snaps[i].mounts, s->snaps[i].nmounts);
			s->snaps[i].mounts = now;
			s->snaps[i].nmounts = nnow;
			now = NULL;
			nnow = 0;
		} else if (r == 0) {
			r = -EXDEV;
		}
		volume_free_mounts(now, nnow);
		free(canon);
		if (r < 0) {
			s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_FLUSH_WRITES_TIMEOUT,
						"the volume %s changed since AddToSnapshotSet: %s",
						s->snaps[i].volume, strerror(-r));
			abort_path(s, s->step_hr);
			return;
		}
	}
	for (size_t i = 0; i < s->nsnaps; i++)
		for (size_t j = 0; j < s->snaps[i].nmounts && n < VSS_MAX_VOLUMES_PER_SET; j++)
			mounts[n++] = s->snaps[i].mounts[j];
	if (n == 0) {
		/* nothing mounted: providers hold unmounted volumes themselves */
		d6_commit(s);
		return;
	}
	r = freeze_start(mounts, n, cfg.flush_timeout_ms, cfg.hold_timeout_ms, frozen, s,
			 &s->freeze);
	if (r < 0) {
		s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_FLUSH_WRITES_TIMEOUT, "cannot start the freeze guard: %s",
				    strerror(-r));
		abort_path(s, s->step_hr);
	}
}

static void d7_thawed(struct session *s);

/* The guard has thawed (freeze_release's callback): on to PostCommit. */
static void d7_released(void *arg, int64_t hold_us, bool held)
{
	struct session *s = arg;

	s->hold_us = hold_us;
	/* the guard's own bound passed first (vssd's loop late, or the two
	 * clocks' skew), or the guard died: the commit was not inside the
	 * window, whatever the providers answered */
	if (!held && VSS_SUCCEEDED(s->step_hr))
		s->step_hr = vsserr_set("DoSnapshotSet", VSS_E_HOLD_WRITES_TIMEOUT,
					"writes were not held until the commit ended (the "
					"freeze guard thawed at its own bound, or died)");
	d7_thawed(s);
	session_unref(s);
}

static void d7_release(struct session *s)
{
	/* the providers' part of the hold window, round trips included (the
	 * rest is the guard's and vssd's own wakeups); logged once thawed:
	 * nothing is written while the filesystems are frozen, vssd's log
	 * may be on one of them */
	s->commit_rtt_us = mono_us() - s->commit_sent_us;
	timer_cancel(&s->hold_timer);
	if (s->freeze) {
		struct freeze *f = s->freeze;

		/* the loop goes on while the guard thaws */
		s->freeze = NULL;
		session_ref(s);
		freeze_release(f, d7_released, s);
		return;
	}
	d7_thawed(s);
}

static void d7_thawed(struct session *s)
{
	log_info("CommitSnapshots: commit_rtt_us=%llu (request out to the last reply in)",
		 (unsigned long long)s->commit_rtt_us);
	if (s->hold_us >= 0)
		log_info("flush-and-hold released: writes held for %lld.%03lld ms",
			 (long long)s->hold_us / 1000, (long long)s->hold_us % 1000);
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_COMMITTED);
	d8_postcommit(s);
}

static void d6_commit(struct session *s)
{
	snaps_state(s, VSS_SS_PROCESSING_COMMIT);
	s->hold_timer.fn = hold_expired;
	timer_arm(&s->hold_timer, cfg.hold_timeout_ms);
	s->commit_sent_us = mono_us();
	prov_fanout(s, MSG_PROV_COMMIT, cfg.hold_timeout_ms, d7_release);
}

static void d8_postcommit(struct session *s)
{
	snaps_state(s, VSS_SS_PROCESSING_POSTCOMMIT);
	prov_fanout(s, MSG_PROV_POSTCOMMIT, cfg.provider_timeout_ms, d9_thaw);
}

static void d9_thaw_next(struct session *s)
{
	while (s->freeze_level < VSS_APP_FRONT_END) {
		s->freeze_level++;
		if (event_fanout(s, EV_THAW, pred_thaw_level, d9_thaw_next))
			return;
	}
	d10_prefinal(s);
}

static void d9_thaw(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_POSTCOMMITTED);
	if (session_is_writerless(s)) {
		d10_prefinal(s);
		return;
	}
	s->freeze_level = VSS_APP_SYSTEM - 1;
	d9_thaw_next(s);
}

static void d10_prefinal(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PROCESSING_PREFINALCOMMIT);
	prov_fanout(s, MSG_PROV_PREFINAL, cfg.provider_timeout_ms, d11_post_snapshot);
}

static void d11_post_snapshot(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PREFINALCOMMITTED);
	if (session_is_writerless(s))
		d12_postfinal(s);
	else
		event_fanout_then(s, EV_POST_SNAPSHOT, pred_post, d12_postfinal);
}

static void d12_postfinal(struct session *s)
{
	if (stop_here(s))
		return;
	snaps_state(s, VSS_SS_PROCESSING_POSTFINALCOMMIT);
	prov_fanout(s, MSG_PROV_POSTFINAL, cfg.provider_timeout_ms, d13_finish);
}

/* Catalogue the created snapshots with the properties their providers
 * report (device object above all). */
struct propsreq {
	struct session *s;
	size_t index;
};

static char hostname_buf[256];

static void catalogue(struct session *s, size_t i, const vss_snapshot_prop_t *from)
{
	struct snap *sn = &s->snaps[i];
	vss_snapshot_prop_t p = { 0 };
	bool auto_release = !(s->context & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE);

	if (!hostname_buf[0] && gethostname(hostname_buf, sizeof(hostname_buf) - 1) < 0)
		strcpy(hostname_buf, "localhost");
	if (from)
		p = *from;
	p.snapshot_id = sn->id;
	p.snapshot_set_id = s->set_id;
	p.snapshots_count = (int32_t)s->nsnaps;
	p.original_volume_name = sn->volume;
	p.provider_id = sn->prov->prop.provider_id;
	p.snapshot_attributes = (from ? from->snapshot_attributes : 0) |
				(s->context & ~VSS_VOLSNAP_ATTR_NO_AUTORECOVERY) |
				(s->context & VSS_VOLSNAP_ATTR_NO_AUTORECOVERY);
	if (!p.originating_machine)
		p.originating_machine = hostname_buf;
	if (!p.service_machine)
		p.service_machine = hostname_buf;
	if (!p.creation_timestamp)
		p.creation_timestamp = vss_timestamp_now();
	p.status = VSS_SS_CREATED;
	catalog_add(&p, auto_release ? &s->id : NULL);
}

static void props_reply(void *ctx, struct conn *c, vss_hr_t thr, const struct wire_hdr *h,
			const uint8_t *pl)
{
	struct propsreq *r = ctx;
	struct session *s = r->s;
	struct wire_attr a;
	vss_snapshot_prop_t p;

	if (h && VSS_SUCCEEDED((vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR, (uint32_t)E_FAIL)) &&
	    wire_find(pl, h->len, ATTR_SNAPSHOT, &a) && proto_get_snapshot(&a, &p) == 0) {
		catalogue(s, r->index, &p);
		vss_snapshot_prop_clear(&p);
	} else {
		log_warn("provider '%s' gave no properties for a created snapshot",
			 s->snaps[r->index].prov->prop.provider_name);
		catalogue(s, r->index, NULL);
	}
	free(r);
	step_settle(s);
	session_unref(s);
}

static void d13_done(struct session *s)
{
	char idbuf[VSS_ID_STRLEN];

	snaps_state(s, VSS_SS_CREATED);
	if (s->nsnaps)
		catalog_save();	/* durable before the requester hears of it */
	if (creation_lock_owner == s)
		creation_lock_owner = NULL;
	s->holds_lock = false;
	s->state = SS_BD;
	s->set_created = true;
	log_info("snapshot set %s created", vss_id_format(&s->set_id, idbuf));
	session_op_done(s, S_OK);
	session_unref(s);
}

static void d13_finish(struct session *s)
{
	if (stop_here(s))
		return;
	s->step_done = d13_done;
	s->outstanding = 1;
	for (size_t i = 0; i < s->nsnaps; i++) {
		struct propsreq *r = calloc(1, sizeof(*r));
		struct wire_msg m;

		if (!r) {
			catalogue(s, i, NULL);
			continue;
		}
		r->s = s;
		r->index = i;
		wire_msg_init(&m, MSG_PROV_GET_PROPERTIES, 0);
		wire_put_id(&m, ATTR_SNAPSHOT_ID, &s->snaps[i].id);
		if (s->snaps[i].prov->conn &&
		    conn_request(s->snaps[i].prov->conn, &m, cfg.provider_timeout_ms,
				 props_reply, r) == 0) {
			session_ref(s);
			s->outstanding++;
		} else {
			free(r);
			catalogue(s, i, NULL);
		}
		wire_msg_free(&m);
	}
	step_settle(s);
}

/* ------------------------------------------------------------ abort */

static void abort_writers_done(struct session *s);

static void abort_providers_done(struct session *s)
{
	if (session_is_writerless(s))
		abort_writers_done(s);
	else
		event_fanout_then(s, EV_ABORT, pred_abort, abort_writers_done);
}

static void abort_writers_done(struct session *s)
{
	vss_hr_t why = s->step_hr;

	snaps_state(s, VSS_SS_ABORTED);
	if (creation_lock_owner == s)
		creation_lock_owner = NULL;
	s->holds_lock = false;
	s->state = SS_BA;
	if (why == S_OK)
		why = VSS_E_UNEXPECTED;
	log_warn("DoSnapshotSet aborted: %s", vss_hr_name(why) ? vss_hr_name(why) : "error");
	session_op_done(s, why);
	session_unref(s);
}

static void abort_path(struct session *s, vss_hr_t why)
{
	/* keep the cause's message for the requester */
	snprintf(s->op_msg, sizeof(s->op_msg), "%s", vss_last_error());
	timer_cancel(&s->hold_timer);
	if (s->freeze) {
		freeze_release(s->freeze, NULL, NULL);
		s->freeze = NULL;
	}
	s->step_hr = why;
	if (s->end_prepare_called) {
		prov_fanout(s, MSG_PROV_ABORT, cfg.provider_timeout_ms, abort_providers_done);
		s->step_hr = why;
	} else {
		abort_providers_done(s);
	}
}

void snapset_abort(struct session *s, vss_hr_t why, void (*done)(struct session *s))
{
	abort_path(s, why);
}
