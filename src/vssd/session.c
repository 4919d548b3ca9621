/* session.c — one requester session = one IVssBackupComponents object.
 *
 * The state machine of vss-protocol §10.1 is the table below: for every
 * call (row) and session state (column) it says whether the call is legal
 * and where it leads.  The handlers never test states themselves; they ask
 * the table, so a call in a wrong state always fails the same way:
 * VSS_E_BAD_STATE, "<Call> is not allowed in state <STATE>".  Asynchronous
 * calls move the state when they complete successfully (events.c,
 * snapset.c call session_op_done).  Where the table departs from §10.1's
 * it follows Microsoft's reference pages: SetContext in a restore session
 * is refused (IVssBackupComponents::SetContext: "called during a restore
 * operation"), and AbortBackup there is ignored ("If AbortBackup is called
 * and no shadow copy or backup operations are underway, it is ignored"). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vss/metadata.h>
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "vssd/vssd.h"

struct session *creation_lock_owner;
static struct list_head sessions_list = LIST_HEAD_INIT(sessions_list);

struct sess_link {
	struct list_head link;
	struct session *s;
};

static const char *const state_names[SS_COUNT] = {
	"N (new)", "BI (backup initialised)", "BG (metadata gathered)",
	"BS (snapshot set started)", "BP (prepared for backup)",
	"BD* (DoSnapshotSet running)", "BD (snapshot set created)",
	"BC (backup complete)", "BA (aborted)", "RI (restore initialised)",
	"RG (restore metadata gathered)", "RP (pre-restore done)",
	"RR (post-restore done)",
};

enum call {
	C_INIT_BACKUP, C_INIT_RESTORE, C_SET_CONTEXT, C_SET_BACKUP_STATE, C_FILTER,
	C_GATHER_MD, C_GET_MD, C_ADD_COMPONENT, C_SET_OPTIONS, C_START_SET,
	C_ADD_TO_SET, C_PREPARE_BACKUP, C_DO_SNAPSHOT, C_WRITER_STATUS,
	C_SET_SUCCEEDED, C_BACKUP_COMPLETE, C_ABORT, C_QUERY, C_MANAGE, C_SAVE_XML,
	C_RESTORE_SET, C_PRE_RESTORE, C_FILE_RESTORE_STATUS, C_POST_RESTORE,
	C_COUNT
};

/* Cell values: X illegal, Y legal (state unchanged or moved by the
 * handler/completion), NE accepted without effect, IG ignored (AbortBackup),
 * T(s) legal and the state becomes s at once. */
enum { X = 0, Y = 1, NE = 2, IG = 3 };
#define T(s) (0x10 + (s))

static const uint8_t table[C_COUNT][SS_COUNT] = {
	/*                      N  BI  BG  BS  BP  BD* BD  BC  BA  RI  RG  RP  RR */
	[C_INIT_BACKUP]     = { T(SS_BI), X, X, X, X, X, X, X, X, X, X, X, X },
	[C_INIT_RESTORE]    = { T(SS_RI), X, X, X, X, X, X, X, X, X, X, X, X },
	[C_SET_CONTEXT]     = { X, Y, Y, X, X, X, X, X, X, X, X, X, X },
	[C_SET_BACKUP_STATE]= { X, Y, Y, Y, X, X, X, X, X, X, X, X, X },
	[C_FILTER]          = { X, Y, NE, NE, NE, NE, NE, NE, NE, Y, NE, NE, NE },
	[C_GATHER_MD]       = { X, Y, X, X, X, X, X, X, X, Y, X, X, X },
	[C_GET_MD]          = { X, X, Y, Y, Y, Y, Y, Y, Y, X, Y, Y, Y },
	[C_ADD_COMPONENT]   = { X, X, Y, Y, X, X, X, X, X, X, X, X, X },
	[C_SET_OPTIONS]     = { X, X, Y, Y, X, X, X, X, X, X, X, X, X },
	[C_START_SET]       = { X, T(SS_BS), T(SS_BS), X, X, X, X, X, X, X, X, X, X },
	[C_ADD_TO_SET]      = { X, X, X, Y, Y, X, X, X, X, X, X, X, X },
	[C_PREPARE_BACKUP]  = { X, X, X, Y, X, X, X, X, X, X, X, X, X },
	[C_DO_SNAPSHOT]     = { X, X, X, Y, Y, X, X, X, X, X, X, X, X },
	[C_WRITER_STATUS]   = { X, X, Y, Y, Y, Y, Y, Y, Y, X, Y, Y, Y },
	[C_SET_SUCCEEDED]   = { X, X, X, X, X, X, Y, X, X, X, X, X, X },
	[C_BACKUP_COMPLETE] = { X, X, X, X, X, X, Y, X, X, X, X, X, X },
	[C_ABORT]           = { X, IG, IG, T(SS_BA), T(SS_BA), Y, T(SS_BA), IG, IG, IG, IG, IG, IG },
	[C_QUERY]           = { X, Y, Y, Y, Y, Y, Y, Y, Y, X, X, X, X },
	[C_MANAGE]          = { X, Y, Y, Y, Y, X, Y, Y, Y, X, X, X, X },
	[C_SAVE_XML]        = { X, Y, Y, Y, Y, X, Y, Y, Y, Y, Y, Y, Y },
	[C_RESTORE_SET]     = { X, X, X, X, X, X, X, X, X, Y, Y, X, X },
	[C_PRE_RESTORE]     = { X, X, X, X, X, X, X, X, X, X, Y, X, X },
	[C_FILE_RESTORE_STATUS] = { X, X, X, X, X, X, X, X, X, X, X, Y, X },
	[C_POST_RESTORE]    = { X, X, X, X, X, X, X, X, X, X, X, Y, X },
};

static int call_of(int code)
{
	switch (code) {
	case MSG_INIT_BACKUP: return C_INIT_BACKUP;
	case MSG_INIT_RESTORE: return C_INIT_RESTORE;
	case MSG_SET_CONTEXT: return C_SET_CONTEXT;
	case MSG_SET_BACKUP_STATE: return C_SET_BACKUP_STATE;
	case MSG_ENABLE_WRITER_CLASSES:
	case MSG_DISABLE_WRITER_CLASSES:
	case MSG_DISABLE_WRITER_INSTANCES: return C_FILTER;
	case MSG_GATHER_WRITER_METADATA: return C_GATHER_MD;
	case MSG_GET_WRITER_METADATA: return C_GET_MD;
	case MSG_ADD_COMPONENT: return C_ADD_COMPONENT;
	case MSG_SET_BACKUP_OPTIONS:
	case MSG_SET_PREVIOUS_BACKUP_STAMP: return C_SET_OPTIONS;
	case MSG_START_SNAPSHOT_SET: return C_START_SET;
	case MSG_ADD_TO_SNAPSHOT_SET: return C_ADD_TO_SET;
	case MSG_PREPARE_FOR_BACKUP: return C_PREPARE_BACKUP;
	case MSG_DO_SNAPSHOT_SET: return C_DO_SNAPSHOT;
	case MSG_GATHER_WRITER_STATUS:
	case MSG_GET_WRITER_STATUS: return C_WRITER_STATUS;
	case MSG_SET_BACKUP_SUCCEEDED: return C_SET_SUCCEEDED;
	case MSG_BACKUP_COMPLETE: return C_BACKUP_COMPLETE;
	case MSG_ABORT_BACKUP: return C_ABORT;
	case MSG_GET_SNAPSHOT_PROPERTIES:
	case MSG_QUERY:
	case MSG_IS_VOLUME_SUPPORTED: return C_QUERY;
	case MSG_DELETE_SNAPSHOTS:
	case MSG_EXPOSE_SNAPSHOT:
	case MSG_UNEXPOSE_SNAPSHOT:
	case MSG_REVERT_TO_SNAPSHOT:
	case MSG_QUERY_REVERT_STATUS: return C_MANAGE;
	case MSG_SAVE_AS_XML: return C_SAVE_XML;
	case MSG_SET_SELECTED_FOR_RESTORE:
	case MSG_SET_RESTORE_OPTIONS:
	case MSG_SET_ADDITIONAL_RESTORES:
	case MSG_SET_RESTORE_STATE: return C_RESTORE_SET;
	case MSG_SET_FILE_RESTORE_STATUS: return C_FILE_RESTORE_STATUS;
	case MSG_PRE_RESTORE: return C_PRE_RESTORE;
	case MSG_POST_RESTORE: return C_POST_RESTORE;
	}
	return -1;
}

/* Public for the unit test of the table. */
int session_table_cell(int code, int state);
int session_table_cell(int code, int state)
{
	int c = call_of(code);

	return c < 0 || state < 0 || state >= SS_COUNT ? -1 : table[c][state];
}

/* ------------------------------------------------------------ lifetime */

bool catalog_session_alive(const vss_id_t *id)
{
	struct sess_link *l;

	list_for_each_entry(l, &sessions_list, link)
		if (vss_id_equal(&l->s->id, id))
			return true;
	return false;
}

void session_ref(struct session *s)
{
	s->refs++;
}

static void wstatus_clear(struct wstatus *ws)
{
	timer_cancel(&ws->freeze_timer);
	free(ws->wmd_xml);
	free(ws->msg);
	free(ws->gathered.msg);
	writer_unref(ws->w);
}

void session_unref(struct session *s)
{
	struct sess_link *l, *n;

	if (!s || --s->refs > 0)
		return;
	list_for_each_entry_safe(l, n, &sessions_list, link)
		if (l->s == s) {
			list_del(&l->link);
			free(l);
		}
	for (size_t i = 0; i < s->nws; i++)
		wstatus_clear(&s->ws[i]);
	free(s->ws);
	for (size_t i = 0; i < s->nsnaps; i++) {
		free(s->snaps[i].volume);
		volume_free_mounts(s->snaps[i].mounts, s->snaps[i].nmounts);
		provider_unref(s->snaps[i].prov);
	}
	free(s->enabled_classes);
	free(s->disabled_classes);
	free(s->disabled_instances);
	vss_bcd_free(s->bcd);
	free(s);
}

void session_new(struct conn *c)
{
	struct session *s = calloc(1, sizeof(*s));
	struct sess_link *l = calloc(1, sizeof(*l));

	if (!s || !l) {
		free(s);
		free(l);
		log_err("%s: out of memory for a session", c->name);
		conn_close(c);
		return;
	}
	s->refs = 1;
	s->conn = c;
	vss_id_generate(&s->id);
	s->state = SS_N;
	s->backup_type = VSS_BT_FULL;
	s->hold_timer.fn = NULL;
	l->s = s;
	list_add_tail(&l->link, &sessions_list);
	c->session = s;
}

bool session_is_writerless(const struct session *s)
{
	return s->context != VSS_CTX_ALL && (s->context & VSS_VOLSNAP_ATTR_NO_WRITERS);
}

static void release_lock(struct session *s)
{
	if (creation_lock_owner == s)
		creation_lock_owner = NULL;
	s->holds_lock = false;
}

/* ------------------------------------------------------------ async ops */

void session_op_begin(struct session *s, int code)
{
	s->op.id = ++s->next_op_id;
	s->op.code = code;
	s->op.status = VSS_S_ASYNC_PENDING;
	s->op.cancel_requested = false;
	s->op.has_progress = false;
	s->op.progress_done = s->op.progress_total = 0;
	s->op_msg[0] = '\0';
}

static void op_start(struct session *s, int code, uint32_t seq)
{
	struct wire_msg m;

	session_op_begin(s, code);
	reply_init(&m, code, seq, S_OK, NULL);
	wire_put_u32(&m, ATTR_OP_ID, s->op.id);
	conn_send(s->conn, &m);
	wire_msg_free(&m);
	log_debug("session: %s started (operation %u)", proto_msg_name(code), s->op.id);
}

static void release_continue(struct session *s);
static void abort_start(struct session *s);

void session_op_done(struct session *s, vss_hr_t status)
{
	struct wire_msg m;

	if (status == S_OK)
		status = VSS_S_ASYNC_FINISHED;
	if (VSS_FAILED(status) && !s->op_msg[0])
		snprintf(s->op_msg, sizeof(s->op_msg), "%s", vss_last_error());
	s->op.status = status;
	log_info("%s finished: %s", proto_msg_name(s->op.code),
		 vss_hr_name(status) ? vss_hr_name(status) : "error");
	if (s->conn) {
		wire_msg_init(&m, MSG_ASYNC_DONE | WIRE_NOTIFY, 0);
		wire_put_u32(&m, ATTR_OP_ID, s->op.id);
		wire_put_u32(&m, ATTR_STATUS, (uint32_t)status);
		if (VSS_FAILED(status))
			wire_put_str(&m, ATTR_MESSAGE, s->op_msg[0] ? s->op_msg : vss_last_error());
		conn_send(s->conn, &m);
		wire_msg_free(&m);
	}
	if (s->releasing)
		release_continue(s);
}

/* An event-driven operation has ended: it was cancelled, or the session
 * moves to st and the operation succeeds. */
static void op_finish(struct session *s, enum sess_state st)
{
	if (s->abort_pending) {
		/* AbortBackup came while this ran: it ends cancelled, in BA,
		 * and the Abort goes out now that its fan-out is over */
		s->abort_pending = false;
		s->abort_running = true;
		session_op_done(s, VSS_S_ASYNC_CANCELLED);
		abort_start(s);
		return;
	}
	if (s->op.cancel_requested) {
		session_op_done(s, VSS_S_ASYNC_CANCELLED);
		return;
	}
	s->state = st;
	session_op_done(s, S_OK);
}

static bool op_running(const struct session *s)
{
	return s->op.id && s->op.status == VSS_S_ASYNC_PENDING;
}

/* ------------------------------------------------------------ helpers */

static bool pred_participating_restore(const struct wstatus *ws)
{
	return ws->participating && ws->w->conn;
}

static struct wstatus *ws_find(struct session *s, const vss_id_t *instance)
{
	for (size_t i = 0; i < s->nws; i++)
		if (vss_id_equal(&s->ws[i].w->instance_id, instance))
			return &s->ws[i];
	return NULL;
}

static bool id_in(const vss_id_t *id, const vss_id_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vss_id_equal(id, &list[i]))
			return true;
	return false;
}

static vss_hr_t read_ids(const struct wire_hdr *h, const uint8_t *p, uint16_t tag,
			 vss_id_t **out, size_t *n)
{
	struct wire_iter it;
	struct wire_attr a;
	size_t cnt = 0;

	wire_iter_init(&it, p, h->len);
	while (wire_next(&it, &a))
		if (a.tag == tag && a.kind == WIRE_ID)
			cnt++;
	if (cnt > 4096)
		return VSSERR(E_INVALIDARG, "too many ids (%zu)", cnt);
	free(*out);
	*out = calloc(cnt ? cnt : 1, sizeof(vss_id_t));
	*n = 0;
	if (!*out)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	wire_iter_init(&it, p, h->len);
	while (wire_next(&it, &a))
		if (a.tag == tag && a.kind == WIRE_ID)
			wire_attr_id(&a, &(*out)[(*n)++]);
	return S_OK;
}

struct comp_key {
	vss_id_t instance, writer;
	VSS_COMPONENT_TYPE type;
	char *lp, *name;
};

static vss_hr_t read_key(struct session *s, const struct wire_hdr *h, const uint8_t *p,
			 struct comp_key *k, struct wstatus **wsp)
{
	struct wstatus *ws;

	memset(k, 0, sizeof(*k));
	if (!wire_get_id(p, h->len, ATTR_WRITER_ID, &k->writer))
		return VSSERR(E_INVALIDARG, "a writer class id is required");
	if (!wire_get_id(p, h->len, ATTR_INSTANCE_ID, &k->instance)) {
		/* SetBackupOptions and SetPreviousBackupStamp name the writer
		 * by class, as in VSS: take the session's instance of it */
		for (size_t i = 0; i < s->nws; i++)
			if (s->ws[i].wmd_xml && vss_id_equal(&s->ws[i].w->class_id, &k->writer)) {
				k->instance = s->ws[i].w->instance_id;
				break;
			}
	}
	k->type = wire_get_u32(p, h->len, ATTR_COMPONENT_TYPE, 0);
	if (k->type != VSS_CT_DATABASE && k->type != VSS_CT_FILEGROUP)
		return VSSERR(E_INVALIDARG, "component type %u is neither VSS_CT_DATABASE nor "
			      "VSS_CT_FILEGROUP", k->type);
	k->lp = wire_get_str(p, h->len, ATTR_LOGICAL_PATH);
	k->name = wire_get_str(p, h->len, ATTR_COMPONENT_NAME);
	if (!k->name || !*k->name) {
		free(k->lp);
		free(k->name);
		return VSSERR(E_INVALIDARG, "a component name is required");
	}
	ws = ws_find(s, &k->instance);
	if (!ws || !ws->wmd_xml || !vss_id_equal(&ws->w->class_id, &k->writer)) {
		free(k->lp);
		free(k->name);
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no writer with that instance and class id "
			      "answered GatherWriterMetadata in this session");
	}
	*wsp = ws;
	return S_OK;
}

static void key_free(struct comp_key *k)
{
	free(k->lp);
	free(k->name);
}

/* A restore call names the component as the Backup Components Document
 * does; the writer's instance may have changed since the backup. */
static vss_hr_t read_restore_key(struct session *s, const struct wire_hdr *h, const uint8_t *p,
				 struct comp_key *k)
{
	vss_component_t *c;
	vss_hr_t hr;

	memset(k, 0, sizeof(*k));
	if (!wire_get_id(p, h->len, ATTR_INSTANCE_ID, &k->instance) ||
	    !wire_get_id(p, h->len, ATTR_WRITER_ID, &k->writer))
		return VSSERR(E_INVALIDARG, "a writer instance id and class id are required");
	k->type = wire_get_u32(p, h->len, ATTR_COMPONENT_TYPE, 0);
	k->lp = wire_get_str(p, h->len, ATTR_LOGICAL_PATH);
	k->name = wire_get_str(p, h->len, ATTR_COMPONENT_NAME);
	if (!k->name) {
		free(k->lp);
		return VSSERR(E_INVALIDARG, "a component name is required");
	}
	hr = vss_bcd_find_component(s->bcd, &k->instance, &k->writer, k->type, k->lp, k->name, &c);
	if (VSS_FAILED(hr)) {
		hr = VSSERR(VSS_E_OBJECT_NOT_FOUND, "the Backup Components Document has no "
			    "component %s\\%s of that writer", k->lp ? k->lp : "", k->name);
		free(k->lp);
		free(k->name);
	}
	return hr;
}

static vss_hr_t do_restore_set(struct session *s, int code, const struct wire_hdr *h,
			       const uint8_t *p)
{
	struct comp_key k;
	vss_hr_t hr;
	char *v;

	if (code == MSG_SET_RESTORE_STATE) {
		uint32_t t = wire_get_u32(p, h->len, ATTR_RESTORE_TYPE, VSS_RTYPE_BY_COPY);

		if (t > VSS_RTYPE_OTHER)
			return VSSERR(E_INVALIDARG, "restore type %u is not a VSS_RESTORE_TYPE", t);
		return vss_bcd_set_restore_type(s->bcd, t);
	}
	hr = read_restore_key(s, h, p, &k);
	if (VSS_FAILED(hr))
		return hr;
	switch (code) {
	case MSG_SET_SELECTED_FOR_RESTORE:
		hr = vss_bcd_set_selected_for_restore(s->bcd, &k.instance, &k.writer, k.type, k.lp,
						      k.name, wire_get_u32(p, h->len, ATTR_BOOL, 0));
		break;
	case MSG_SET_RESTORE_OPTIONS:
		v = wire_get_str(p, h->len, ATTR_VALUE);
		hr = vss_bcd_set_restore_options(s->bcd, &k.instance, &k.writer, k.type, k.lp,
						 k.name, v ? v : "");
		free(v);
		break;
	case MSG_SET_ADDITIONAL_RESTORES:
		hr = vss_bcd_set_additional_restores(s->bcd, &k.instance, &k.writer, k.type, k.lp,
						     k.name, wire_get_u32(p, h->len, ATTR_BOOL, 0));
		break;
	case MSG_SET_FILE_RESTORE_STATUS: {
		uint32_t st = wire_get_u32(p, h->len, ATTR_STATUS, VSS_RS_UNDEFINED);

		if (st > VSS_RS_FAILED)
			hr = VSSERR(E_INVALIDARG, "%u is not a VSS_FILE_RESTORE_STATUS", st);
		else
			hr = vss_bcd_set_file_restore_status(s->bcd, &k.instance, &k.writer, k.type,
							     k.lp, k.name, st);
		break;
	}
	}
	key_free(&k);
	return hr;
}

/* Writers taking part in a restore: the running writers of a class the
 * document names with at least one component selected for restore. */
static void restore_participants(struct session *s)
{
	for (size_t i = 0; i < s->nws; i++) {
		struct wstatus *ws = &s->ws[i];

		ws->participating = false;
		ws->ncomponents = 0;
		for (size_t w = 0; w < vss_bcd_writer_count(s->bcd); w++) {
			vss_id_t inst, cls;
			const char *iname;
			uint32_t schema;
			int sel = 0;

			if (VSS_FAILED(vss_bcd_get_writer_info(s->bcd, w, &inst, &cls, &iname, &schema)) ||
			    !vss_id_equal(&cls, &ws->w->class_id))
				continue;
			if (iname && *iname && ws->w->instance_name &&
			    strcmp(iname, ws->w->instance_name) != 0)
				continue;
			for (size_t c = 0; c < vss_bcd_component_count(s->bcd, w); c++) {
				vss_component_t *comp;

				if (VSS_SUCCEEDED(vss_bcd_get_component(s->bcd, w, c, &comp)) &&
				    vss_component_is_selected_for_restore(comp))
					sel++;
			}
			if (sel) {
				ws->participating = true;
				ws->ncomponents = sel;
				ws->bcd_instance = inst;
				break;
			}
		}
	}
}

static void restore_done(struct session *s)
{
	op_finish(s, s->op.code == MSG_PRE_RESTORE ? SS_RP : SS_RR);
}

static vss_hr_t do_restore_event(struct session *s, int code, uint32_t seq)
{
	if (code == MSG_PRE_RESTORE)
		restore_participants(s);
	op_start(s, code, seq);
	event_fanout_then(s, code == MSG_PRE_RESTORE ? EV_PRE_RESTORE : EV_POST_RESTORE,
			  pred_participating_restore, restore_done);
	return S_OK;
}

/* ------------------------------------------------------------ calls */

static vss_hr_t do_init(struct session *s, int code, const struct wire_hdr *h, const uint8_t *p)
{
	struct wire_attr a;
	vss_bcd_t *b = NULL;
	vss_hr_t hr;

	if (wire_find(p, h->len, ATTR_BCD_XML, &a) && a.kind == WIRE_STR) {
		hr = vss_bcd_load_xml(a.val, a.len, &b);
		if (VSS_FAILED(hr))
			return VSSERR(VSS_E_INVALID_XML_DOCUMENT, "the Backup Components Document "
				      "does not load: %s", vss_last_error());
	} else if (code == MSG_INIT_RESTORE) {
		return VSSERR(E_INVALIDARG, "InitializeForRestore needs a Backup Components Document");
	} else {
		hr = vss_bcd_new(&b);
		if (VSS_FAILED(hr))
			return hr;
	}
	s->bcd = b;
	s->restore = code == MSG_INIT_RESTORE;
	if (s->restore) {
		bool sel, boot, part;
		VSS_BACKUP_TYPE bt;

		if (VSS_SUCCEEDED(vss_bcd_get_backup_state(b, &sel, &boot, &bt, &part))) {
			s->select_components = sel;
			s->bootable = boot;
			s->partial = part;
			s->backup_type = bt;
		}
	}
	log_info("session %s: %s", s->conn->name, proto_msg_name(code));
	return S_OK;
}

static vss_hr_t do_set_context(struct session *s, const struct wire_hdr *h, const uint8_t *p)
{
	int32_t ctx = (int32_t)wire_get_u32(p, h->len, ATTR_CONTEXT, 0);
	int32_t base = ctx & ~VSS_CTX_REQUESTER_ATTRS;

	if (s->context_set)
		return VSSERR(VSS_E_BAD_STATE, "SetContext may be called only once");
	if (ctx != VSS_CTX_ALL && base != VSS_CTX_BACKUP && base != VSS_CTX_FILE_SHARE_BACKUP &&
	    base != VSS_CTX_NAS_ROLLBACK && base != VSS_CTX_APP_ROLLBACK &&
	    base != VSS_CTX_CLIENT_ACCESSIBLE && base != VSS_CTX_CLIENT_ACCESSIBLE_WRITERS)
		return VSSERR(E_INVALIDARG, "0x%08x is not a snapshot context (or sets attribute "
			      "bits a requester may not set)", (unsigned)ctx);
	if (ctx != VSS_CTX_ALL && (base & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE) &&
	    (ctx & (VSS_VOLSNAP_ATTR_DIFFERENTIAL | VSS_VOLSNAP_ATTR_PLEX |
		    VSS_VOLSNAP_ATTR_TRANSPORTABLE)))
		return VSSERR(E_INVALIDARG, "DIFFERENTIAL, PLEX and TRANSPORTABLE cannot be combined "
			      "with a client-accessible context");
	if (ctx != VSS_CTX_ALL && (ctx & VSS_VOLSNAP_ATTR_DIFFERENTIAL) &&
	    (ctx & VSS_VOLSNAP_ATTR_PLEX))
		return VSSERR(E_INVALIDARG, "DIFFERENTIAL and PLEX are mutually exclusive");
	s->context = ctx;
	s->context_set = true;
	return S_OK;
}

static vss_hr_t do_set_backup_state(struct session *s, const struct wire_hdr *h, const uint8_t *p)
{
	uint32_t bt = wire_get_u32(p, h->len, ATTR_BACKUP_TYPE, VSS_BT_FULL);

	if (bt < VSS_BT_FULL || bt > VSS_BT_OTHER)
		return VSSERR(E_INVALIDARG, "backup type %u is not a VSS_BACKUP_TYPE", bt);
	s->select_components = wire_get_u32(p, h->len, ATTR_SELECT_COMPONENTS, 0) != 0;
	s->bootable = wire_get_u32(p, h->len, ATTR_BOOTABLE, 0) != 0;
	s->partial = wire_get_u32(p, h->len, ATTR_PARTIAL_FILE, 0) != 0;
	s->backup_type = bt;
	s->backup_state_set = true;
	return vss_bcd_set_backup_state(s->bcd, s->select_components, s->bootable,
					s->backup_type, s->partial);
}

static bool writer_enabled(const struct session *s, const struct writer *w)
{
	if (s->n_enabled && !id_in(&w->class_id, s->enabled_classes, s->n_enabled))
		return false;
	if (id_in(&w->class_id, s->disabled_classes, s->n_disabled))
		return false;
	return !id_in(&w->instance_id, s->disabled_instances, s->n_disabled_inst);
}

static bool pred_all(const struct wstatus *ws)
{
	return true;
}

static void gather_done(struct session *s)
{
	size_t j = 0;

	/* writers that failed Identify are absent from metadata and status */
	for (size_t i = 0; i < s->nws; i++) {
		if (s->ws[i].wmd_xml)
			s->ws[j++] = s->ws[i];
		else
			wstatus_clear(&s->ws[i]);
	}
	s->nws = j;
	for (size_t i = 0; i < s->nws; i++) {
		s->ws[i].s = s;
		s->ws[i].freeze_timer.armed = false;
	}
	s->gathered = true;
	op_finish(s, s->restore ? SS_RG : SS_BG);
}

static vss_hr_t do_gather(struct session *s, uint32_t seq)
{
	struct writer *w;
	size_t n = writer_count(), i = 0;

	s->ws = calloc(n ? n : 1, sizeof(*s->ws));
	if (!s->ws)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	list_for_each_entry(w, &writers, link) {
		if (!writer_enabled(s, w))
			continue;
		s->ws[i].s = s;
		s->ws[i].w = w;
		s->ws[i].state = VSS_WS_STABLE;
		writer_ref(w);
		i++;
	}
	s->nws = i;
	op_start(s, MSG_GATHER_WRITER_METADATA, seq);
	event_fanout_then(s, EV_IDENTIFY, pred_all, gather_done);
	return S_OK;
}

static void put_writer_ident(struct wire_msg *m, const struct writer *w)
{
	wire_put_id(m, ATTR_INSTANCE_ID, &w->instance_id);
	wire_put_id(m, ATTR_WRITER_ID, &w->class_id);
	wire_put_str(m, ATTR_WRITER_NAME, w->name);
	wire_put_str(m, ATTR_INSTANCE_NAME, w->instance_name);
}

static void reply_metadata(struct session *s, uint32_t seq)
{
	struct wire_msg m;

	reply_init(&m, MSG_GET_WRITER_METADATA, seq, S_OK, NULL);
	for (size_t i = 0; i < s->nws; i++) {
		const struct writer *w = s->ws[i].w;

		wire_nest_begin(&m, ATTR_WRITER);
		put_writer_ident(&m, w);
		wire_put_u32(&m, ATTR_USAGE, w->usage);
		wire_put_u32(&m, ATTR_SOURCE, w->source);
		wire_put_u32(&m, ATTR_LEVEL, (uint32_t)w->level);
		wire_put_str(&m, ATTR_WMD_XML, s->ws[i].wmd_xml);
		wire_nest_end(&m);
	}
	conn_send(s->conn, &m);
	wire_msg_free(&m);
}

static vss_hr_t do_add_component(struct session *s, const struct wire_hdr *h, const uint8_t *p)
{
	struct comp_key k;
	struct wstatus *ws;
	vss_wmd_t *wmd = NULL;
	uint32_t schema = 0;
	vss_hr_t hr;

	if (session_is_writerless(s))
		return VSSERR(VSS_E_BAD_STATE, "AddComponent is not allowed in a context without "
			      "writers");
	hr = read_key(s, h, p, &k, &ws);
	if (VSS_FAILED(hr))
		return hr;
	if (VSS_SUCCEEDED(vss_wmd_load_xml(ws->wmd_xml, strlen(ws->wmd_xml), &wmd))) {
		schema = vss_wmd_get_backup_schema(wmd);
		vss_wmd_free(wmd);
	}
	hr = vss_bcd_add_component(s->bcd, &k.instance, &k.writer, ws->w->instance_name, schema,
				   k.type, k.lp, k.name);
	if (VSS_SUCCEEDED(hr))
		ws->ncomponents++;
	else if (hr == VSS_E_OBJECT_ALREADY_EXISTS)
		VSSERR(hr, "component %s\\%s is already added", k.lp ? k.lp : "", k.name);
	key_free(&k);
	return hr;
}

static vss_hr_t do_component_value(struct session *s, int code, const struct wire_hdr *h,
				   const uint8_t *p)
{
	struct comp_key k;
	struct wstatus *ws;
	vss_hr_t hr = read_key(s, h, p, &k, &ws);
	char *v;

	if (VSS_FAILED(hr))
		return hr;
	v = wire_get_str(p, h->len, ATTR_VALUE);
	switch (code) {
	case MSG_SET_BACKUP_OPTIONS:
		hr = vss_bcd_set_backup_options(s->bcd, &k.instance, &k.writer, k.type, k.lp,
						k.name, v ? v : "");
		break;
	case MSG_SET_PREVIOUS_BACKUP_STAMP:
		hr = vss_bcd_set_previous_backup_stamp(s->bcd, &k.instance, &k.writer, k.type,
						       k.lp, k.name, v ? v : "");
		break;
	case MSG_SET_BACKUP_SUCCEEDED:
		hr = vss_bcd_set_backup_succeeded(s->bcd, &k.instance, &k.writer, k.type, k.lp,
						  k.name, wire_get_u32(p, h->len, ATTR_BOOL, 0));
		break;
	}
	if (hr == VSS_E_OBJECT_NOT_FOUND)
		VSSERR(hr, "component %s\\%s was not added to this backup", k.lp ? k.lp : "", k.name);
	free(v);
	key_free(&k);
	return hr;
}

static vss_hr_t do_start_set(struct session *s, const struct wire_hdr *h, vss_id_t *out)
{
	char idbuf[VSS_ID_STRLEN];

	if (s->context == VSS_CTX_ALL)
		return VSSERR(E_INVALIDARG, "snapshots cannot be created in context VSS_CTX_ALL");
	if (creation_lock_owner && creation_lock_owner != s)
		return VSSERR(VSS_E_SNAPSHOT_SET_IN_PROGRESS,
			      "another snapshot set is being created on this host");
	creation_lock_owner = s;
	s->holds_lock = true;
	vss_id_generate(&s->set_id);
	*out = s->set_id;
	log_info("StartSnapshotSet: %s", vss_id_format(&s->set_id, idbuf));
	return vss_bcd_set_snapshot_set_id(s->bcd, &s->set_id);
}

static bool pred_participating(const struct wstatus *ws)
{
	return ws->participating;
}

static void prepare_backup_done(struct session *s)
{
	op_finish(s, SS_BP);
}

static vss_hr_t do_prepare_backup(struct session *s, uint32_t seq)
{
	if (session_is_writerless(s))
		return VSSERR(VSS_E_BAD_STATE, "PrepareForBackup is not allowed in a context "
			      "without writers");
	if (!s->backup_state_set)
		return VSSERR(VSS_E_BAD_STATE, "SetBackupState must precede PrepareForBackup");
	if (!s->gathered)
		return VSSERR(VSS_E_BAD_STATE, "GatherWriterMetadata must precede PrepareForBackup");
	for (size_t i = 0; i < s->nws; i++)
		s->ws[i].participating = !s->select_components || s->ws[i].ncomponents > 0;
	op_start(s, MSG_PREPARE_FOR_BACKUP, seq);
	event_fanout_then(s, EV_PREPARE_BACKUP, pred_participating, prepare_backup_done);
	return S_OK;
}

static vss_hr_t do_snapshot(struct session *s, uint32_t seq)
{
	if (!session_is_writerless(s) && s->state != SS_BP)
		return VSSERR(VSS_E_BAD_STATE, "in a context with writers, GatherWriterMetadata and "
			      "PrepareForBackup must precede DoSnapshotSet");
	s->state = SS_BDR;
	op_start(s, MSG_DO_SNAPSHOT_SET, seq);
	snapset_do(s);
	return S_OK;
}

/* GatherWriterStatus: every writer's status as it is now, kept for
 * GetWriterStatus (Microsoft: a requester "must call ... GatherWriterStatus
 * and wait for it to complete prior to calling ... GetWriterStatusCount"). */
static vss_hr_t gather_status(struct session *s)
{
	for (size_t i = 0; i < s->nws; i++) {
		struct wstatus *ws = &s->ws[i];
		char *msg = ws->msg ? strdup(ws->msg) : NULL;

		if (ws->msg && !msg)
			return VSSERR(E_OUTOFMEMORY, "out of memory");
		free(ws->gathered.msg);
		ws->gathered.msg = msg;
		ws->gathered.state = ws->state;
		ws->gathered.hr = ws->hr;
		ws->gathered.app_hr = ws->app_hr;
	}
	s->status_gathered = true;
	return S_OK;
}

static void reply_status(struct session *s, uint32_t seq)
{
	struct wire_msg m;

	reply_init(&m, MSG_GET_WRITER_STATUS, seq, S_OK, NULL);
	for (size_t i = 0; i < s->nws; i++) {
		const struct wstatus *ws = &s->ws[i];

		wire_nest_begin(&m, ATTR_WRITER);
		put_writer_ident(&m, ws->w);
		wire_put_u32(&m, ATTR_STATE, ws->gathered.state);
		wire_put_u32(&m, ATTR_FAILURE_HR, (uint32_t)ws->gathered.hr);
		wire_put_u32(&m, ATTR_APP_HR, (uint32_t)ws->gathered.app_hr);
		wire_put_str(&m, ATTR_MESSAGE, ws->gathered.msg);
		wire_nest_end(&m);
	}
	conn_send(s->conn, &m);
	wire_msg_free(&m);
}

static void backup_complete_done(struct session *s)
{
	op_finish(s, SS_BC);
}

static bool pred_complete(const struct wstatus *ws)
{
	return ws->participating && ws->w->conn;
}

static vss_hr_t do_backup_complete(struct session *s, uint32_t seq)
{
	if (session_is_writerless(s))
		return VSSERR(VSS_E_BAD_STATE, "BackupComplete is not allowed in a context without "
			      "writers");
	op_start(s, MSG_BACKUP_COMPLETE, seq);
	event_fanout_then(s, EV_BACKUP_COMPLETE, pred_complete, backup_complete_done);
	return S_OK;
}

/* AbortBackup outside DoSnapshotSet: Abort to writers that took part and
 * have not finished PostSnapshot; the reply waits for them. */
static bool pred_abort(const struct wstatus *ws)
{
	return ws->participating && ws->took_part && !ws->past_post && !ws->aborted;
}

static void abort_done(struct session *s)
{
	release_lock(s);
	s->abort_running = false;
	if (s->conn && s->conn->deferred && s->conn->deferred_code == MSG_ABORT_BACKUP) {
		struct wire_msg m;

		reply_init(&m, MSG_ABORT_BACKUP, s->conn->deferred_seq, S_OK, NULL);
		conn_complete_deferred(s->conn, &m);
		wire_msg_free(&m);
	}
	if (s->releasing)
		release_continue(s);	/* it waited for this fan-out */
	session_unref(s);
}

/* The Abort fan-out of AbortBackup (a reference held for abort_done). */
static void abort_start(struct session *s)
{
	s->abort_running = true;
	event_fanout_then(s, EV_ABORT, pred_abort, abort_done);
}

static void put_snapshot_or_props(struct wire_msg *m, const struct cat_entry *e)
{
	proto_put_snapshot(m, &e->prop);
}

bool context_matches(int32_t session_ctx, int32_t attrs);

static void do_query(struct session *s, const struct wire_hdr *h, const uint8_t *p)
{
	uint32_t type = wire_get_u32(p, h->len, ATTR_OBJECT_TYPE, VSS_OBJECT_SNAPSHOT);
	struct wire_msg m;

	if (type != VSS_OBJECT_SNAPSHOT && type != VSS_OBJECT_PROVIDER) {
		conn_reply_hr(s->conn, MSG_QUERY, h->seq,
			      VSSERR(E_INVALIDARG, "Query supports VSS_OBJECT_SNAPSHOT and "
				     "VSS_OBJECT_PROVIDER"));
		return;
	}
	reply_init(&m, MSG_QUERY, h->seq, S_OK, NULL);
	if (type == VSS_OBJECT_SNAPSHOT) {
		struct cat_entry *e;

		list_for_each_entry(e, &catalog, link)
			if (context_matches(s->context, e->prop.snapshot_attributes))
				put_snapshot_or_props(&m, e);
	} else {
		struct provider *pv;

		list_for_each_entry(pv, &providers, link)
			proto_put_provider(&m, &pv->prop);
	}
	conn_send(s->conn, &m);
	wire_msg_free(&m);
}

static void do_get_props(struct session *s, const struct wire_hdr *h, const uint8_t *p)
{
	vss_id_t id;
	struct cat_entry *e;
	struct wire_msg m;

	if (!wire_get_id(p, h->len, ATTR_SNAPSHOT_ID, &id)) {
		conn_reply_hr(s->conn, MSG_GET_SNAPSHOT_PROPERTIES, h->seq,
			      VSSERR(E_INVALIDARG, "a snapshot id is required"));
		return;
	}
	e = catalog_find(&id);
	if (!e) {
		char idbuf[VSS_ID_STRLEN];

		conn_reply_hr(s->conn, MSG_GET_SNAPSHOT_PROPERTIES, h->seq,
			      VSSERR(VSS_E_OBJECT_NOT_FOUND, "no snapshot %s",
				     vss_id_format(&id, idbuf)));
		return;
	}
	reply_init(&m, MSG_GET_SNAPSHOT_PROPERTIES, h->seq, S_OK, NULL);
	proto_put_snapshot(&m, &e->prop);
	conn_send(s->conn, &m);
	wire_msg_free(&m);
}

static void do_save_xml(struct session *s, uint32_t seq)
{
	char *xml = NULL;
	vss_hr_t hr = vss_bcd_save_xml(s->bcd, &xml);
	struct wire_msg m;

	reply_init(&m, MSG_SAVE_AS_XML, seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	wire_put_str(&m, ATTR_BCD_XML, xml);
	conn_send(s->conn, &m);
	wire_msg_free(&m);
	free(xml);
}

static void do_async(struct session *s, int code, const struct wire_hdr *h, const uint8_t *p)
{
	uint32_t id = wire_get_u32(p, h->len, ATTR_OP_ID, 0);
	struct wire_msg m;
	vss_hr_t hr;

	if (!id || id != s->op.id) {
		conn_reply_hr(s->conn, code, h->seq,
			      VSSERR(VSS_E_OBJECT_NOT_FOUND, "no asynchronous operation %u", id));
		return;
	}
	if (code == MSG_ASYNC_STATUS) {
		reply_init(&m, code, h->seq, S_OK, NULL);
		wire_put_u32(&m, ATTR_STATUS, (uint32_t)s->op.status);
		if (s->op.has_progress) {
			wire_put_u64(&m, ATTR_PROGRESS_DONE, s->op.progress_done);
			wire_put_u64(&m, ATTR_PROGRESS_TOTAL, s->op.progress_total);
		}
		conn_send(s->conn, &m);
		wire_msg_free(&m);
		return;
	}
	/* Cancel (IVssAsync::Cancel return values) */
	if (op_running(s)) {
		s->op.cancel_requested = true;
		hr = S_OK;
	} else if (s->op.status == VSS_S_ASYNC_FINISHED || s->op.status == VSS_S_ASYNC_CANCELLED) {
		hr = s->op.status;
	} else {
		hr = s->op.status;
	}
	conn_reply_hr(s->conn, code, h->seq, hr);
}

void admin_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	int code = WIRE_CODE(h->type);
	struct wire_msg m;

	reply_init(&m, code, h->seq, S_OK, NULL);
	if (code == MSG_LIST_WRITERS) {
		struct writer *w;

		list_for_each_entry(w, &writers, link) {
			wire_nest_begin(&m, ATTR_WRITER);
			put_writer_ident(&m, w);
			wire_put_u32(&m, ATTR_STATE, w->last_state);
			wire_put_u32(&m, ATTR_FAILURE_HR, (uint32_t)w->last_hr);
			wire_put_u32(&m, ATTR_LEVEL, (uint32_t)w->level);
			wire_put_u32(&m, ATTR_USAGE, w->usage);
			wire_put_u32(&m, ATTR_SOURCE, w->source);
			wire_put_u32(&m, ATTR_FREEZE_TIMEOUT, w->freeze_timeout_ms);
			if (w->conn)
				wire_put_u32(&m, ATTR_PID, (uint32_t)w->conn->pid);
			wire_nest_end(&m);
		}
	} else {
		struct provider *pv;

		list_for_each_entry(pv, &providers, link)
			proto_put_provider(&m, &pv->prop);
	}
	conn_send(c, &m);
	wire_msg_free(&m);
}

void session_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	struct session *s = c->session;
	int code = WIRE_CODE(h->type);
	int call = call_of(code);
	int cell;
	vss_hr_t hr = S_OK;
	struct wire_msg m;
	vss_id_t id;
	char *vol;

	if (code == MSG_LIST_WRITERS || code == MSG_LIST_PROVIDERS) {
		admin_handle(c, h, p);
		return;
	}
	if (code == MSG_ASYNC_STATUS || code == MSG_ASYNC_CANCEL) {
		do_async(s, code, h, p);
		return;
	}
	if (call < 0) {
		conn_reply_hr(c, code, h->seq,
			      VSSERR(E_INVALIDARG, "message 0x%x (%s) is not a requester call",
				     code, proto_msg_name(code)));
		return;
	}
	cell = table[call][s->state];
	if (cell == X) {
		conn_reply_hr(c, code, h->seq,
			      VSSERR(VSS_E_BAD_STATE, "%s is not allowed in state %s",
				     proto_msg_name(code), state_names[s->state]));
		return;
	}
	/* One asynchronous operation at a time; status queries, Abort and
	 * read-only calls may run beside DoSnapshotSet. */
	if (op_running(s) && call != C_ABORT && call != C_QUERY && call != C_WRITER_STATUS &&
	    call != C_GET_MD) {
		conn_reply_hr(c, code, h->seq,
			      VSSERR(VSS_E_BAD_STATE, "%s is not allowed while %s is running",
				     proto_msg_name(code), proto_msg_name(s->op.code)));
		return;
	}
	if (cell == NE || cell == IG) {
		conn_reply_hr(c, code, h->seq, S_OK);
		return;
	}
	switch (code) {
	case MSG_INIT_BACKUP:
	case MSG_INIT_RESTORE:
		hr = do_init(s, code, h, p);
		break;
	case MSG_SET_CONTEXT:
		hr = do_set_context(s, h, p);
		break;
	case MSG_SET_BACKUP_STATE:
		hr = do_set_backup_state(s, h, p);
		break;
	case MSG_ENABLE_WRITER_CLASSES:
		hr = read_ids(h, p, ATTR_WRITER_ID, &s->enabled_classes, &s->n_enabled);
		break;
	case MSG_DISABLE_WRITER_CLASSES:
		hr = read_ids(h, p, ATTR_WRITER_ID, &s->disabled_classes, &s->n_disabled);
		break;
	case MSG_DISABLE_WRITER_INSTANCES:
		hr = read_ids(h, p, ATTR_INSTANCE_ID, &s->disabled_instances, &s->n_disabled_inst);
		break;
	case MSG_GATHER_WRITER_METADATA:
		if (s->gathered || op_running(s)) {
			hr = VSSERR(VSS_E_BAD_STATE, "GatherWriterMetadata may be called only once");
			break;
		}
		hr = do_gather(s, h->seq);
		if (VSS_SUCCEEDED(hr))
			return;
		break;
	case MSG_GET_WRITER_METADATA:
		reply_metadata(s, h->seq);
		return;
	case MSG_ADD_COMPONENT:
		hr = do_add_component(s, h, p);
		break;
	case MSG_SET_BACKUP_OPTIONS:
	case MSG_SET_PREVIOUS_BACKUP_STAMP:
	case MSG_SET_BACKUP_SUCCEEDED:
		hr = do_component_value(s, code, h, p);
		break;
	case MSG_START_SNAPSHOT_SET:
		hr = do_start_set(s, h, &id);
		if (VSS_SUCCEEDED(hr)) {
			s->state = SS_BS;
			reply_init(&m, code, h->seq, S_OK, NULL);
			wire_put_id(&m, ATTR_SNAPSHOT_SET_ID, &id);
			conn_send(c, &m);
			wire_msg_free(&m);
			return;
		}
		break;
	case MSG_ADD_TO_SNAPSHOT_SET:
	case MSG_IS_VOLUME_SUPPORTED:
		vol = wire_get_str(p, h->len, ATTR_VOLUME);
		if (!vol) {
			hr = VSSERR(E_INVALIDARG, "a volume is required");
			break;
		}
		if (!wire_get_id(p, h->len, ATTR_PROVIDER_ID, &id))
			id = VSS_ID_NULL;
		provider_select(s, c, h->seq, vol, &id, code == MSG_ADD_TO_SNAPSHOT_SET);
		free(vol);
		return;
	case MSG_PREPARE_FOR_BACKUP:
		hr = do_prepare_backup(s, h->seq);
		if (VSS_SUCCEEDED(hr))
			return;
		break;
	case MSG_DO_SNAPSHOT_SET:
		hr = do_snapshot(s, h->seq);
		if (VSS_SUCCEEDED(hr))
			return;
		break;
	case MSG_GATHER_WRITER_STATUS:
		if (op_running(s) && s->op.code != MSG_DO_SNAPSHOT_SET) {
			hr = VSSERR(VSS_E_BAD_STATE, "GatherWriterStatus while %s is running",
				    proto_msg_name(s->op.code));
			break;
		}
		if (VSS_FAILED(hr = gather_status(s)))
			break;
		if (op_running(s)) {
			/* beside DoSnapshotSet: answer with a finished op id 0 */
			reply_init(&m, code, h->seq, S_OK, NULL);
			wire_put_u32(&m, ATTR_OP_ID, 0);
			conn_send(c, &m);
			wire_msg_free(&m);
			return;
		}
		op_start(s, code, h->seq);
		session_op_done(s, S_OK);
		return;
	case MSG_GET_WRITER_STATUS:
		if (!s->status_gathered) {
			hr = VSSERR(VSS_E_BAD_STATE, "GatherWriterStatus must complete before "
				    "GetWriterStatus");
			break;
		}
		reply_status(s, h->seq);
		return;
	case MSG_BACKUP_COMPLETE:
		hr = do_backup_complete(s, h->seq);
		if (VSS_SUCCEEDED(hr))
			return;
		break;
	case MSG_ABORT_BACKUP:
		log_info("AbortBackup in state %s", state_names[s->state]);
		if (s->state == SS_BDR) {
			/* DoSnapshotSet notices and takes the abort path */
			s->op.cancel_requested = true;
			break;
		}
		s->state = SS_BA;
		session_ref(s);
		conn_defer(c, code, h->seq);
		if (op_running(s)) {
			/* PrepareForBackup or BackupComplete: their fan-out
			 * ends first (op_finish starts the Abort) */
			s->op.cancel_requested = true;
			s->abort_pending = true;
			return;
		}
		abort_start(s);
		return;
	case MSG_GET_SNAPSHOT_PROPERTIES:
		do_get_props(s, h, p);
		return;
	case MSG_QUERY:
		do_query(s, h, p);
		return;
	case MSG_DELETE_SNAPSHOTS:
		if (!wire_get_id(p, h->len, ATTR_SOURCE_ID, &id)) {
			hr = VSSERR(E_INVALIDARG, "a source id is required");
			break;
		}
		provider_delete(c, h->seq, &id,
				(int)wire_get_u32(p, h->len, ATTR_OBJECT_TYPE, VSS_OBJECT_SNAPSHOT),
				wire_get_u32(p, h->len, ATTR_FORCE, 0), s->context);
		return;
	case MSG_EXPOSE_SNAPSHOT:
		manage_expose(c, h, p);
		return;
	case MSG_UNEXPOSE_SNAPSHOT:
		manage_unexpose(c, h, p);
		return;
	case MSG_REVERT_TO_SNAPSHOT:
		manage_revert(c, h, p);
		return;
	case MSG_QUERY_REVERT_STATUS:
		manage_query_revert(s, c, h, p);
		return;
	case MSG_SAVE_AS_XML:
		do_save_xml(s, h->seq);
		return;
	case MSG_SET_SELECTED_FOR_RESTORE:
	case MSG_SET_RESTORE_OPTIONS:
	case MSG_SET_ADDITIONAL_RESTORES:
	case MSG_SET_RESTORE_STATE:
	case MSG_SET_FILE_RESTORE_STATUS:
		hr = do_restore_set(s, code, h, p);
		break;
	case MSG_PRE_RESTORE:
	case MSG_POST_RESTORE:
		hr = do_restore_event(s, code, h->seq);
		if (VSS_SUCCEEDED(hr))
			return;
		break;
	default:
		hr = VSSERR(E_NOTIMPL, "%s is not implemented by this vssd yet",
			    proto_msg_name(code));
		break;
	}
	if (VSS_SUCCEEDED(hr) && cell >= T(0))
		s->state = cell - T(0);
	conn_reply_hr(c, code, h->seq, hr);
}

/* ------------------------------------------------------------ release */

/* Releasing the object (disconnect): abort what runs, BackupShutdown to
 * writers that took part, delete the session's auto-release snapshots,
 * release the creation lock (vss-protocol §10.1 notes). */
enum { REL_ABORT = 1, REL_SHUTDOWN, REL_DELETE, REL_DONE };

static bool pred_shutdown(const struct wstatus *ws)
{
	return ws->took_part && ws->w->conn;
}

static void release_deleted(void *ctx, uint32_t deleted, const vss_id_t *nondeleted, vss_hr_t hr)
{
	struct session *s = ctx;

	if (VSS_FAILED(hr))
		log_warn("session release: an auto-release snapshot could not be deleted: %s",
			 vss_hr_name(hr) ? vss_hr_name(hr) : "error");
	else if (deleted)
		log_info("session release: %u auto-release snapshot(s) deleted", deleted);
	release_continue(s);
}

static void release_after_events(struct session *s)
{
	release_continue(s);
}

static void release_continue(struct session *s)
{
	vss_id_t ids[VSS_MAX_VOLUMES_PER_SET * 8];
	size_t n = 0;
	struct cat_entry *e;

	switch (s->rel_step < REL_ABORT ? (s->rel_step = REL_ABORT) : s->rel_step) {
	case REL_ABORT:
		if (op_running(s) || s->abort_running || s->abort_pending)
			return;	/* session_op_done or abort_done comes back here */
		s->rel_step = REL_SHUTDOWN;
		if ((s->state == SS_BS || s->state == SS_BP || s->state == SS_BD) &&
		    event_fanout(s, EV_ABORT, pred_abort, release_after_events))
			return;
		/* fall through */
	case REL_SHUTDOWN:
		s->rel_step = REL_DELETE;
		release_lock(s);
		if (event_fanout(s, EV_BACKUP_SHUTDOWN, pred_shutdown, release_after_events))
			return;
		/* fall through */
	case REL_DELETE:
		s->rel_step = REL_DONE;
		list_for_each_entry(e, &catalog, link)
			if (vss_id_equal(&e->session_id, &s->id) && n < sizeof(ids) / sizeof(ids[0]))
				ids[n++] = e->prop.snapshot_id;
		if (n) {
			snapshots_delete(ids, n, release_deleted, s);
			return;
		}
		/* fall through */
	case REL_DONE:
		s->rel_step = REL_DONE + 1;
		release_lock(s);
		log_debug("session released");
		session_unref(s);
		return;
	default:
		return;
	}
}

void session_release(struct session *s)
{
	if (s->releasing)
		return;
	s->releasing = true;
	s->rel_step = 0;
	if (op_running(s))
		s->op.cancel_requested = true;
	release_continue(s);
}
