/* vssd.h — the coordinator's internal interfaces.
 *
 * vssd is one thread around one epoll loop (loop.c).  Everything that waits
 * — a writer's reply to an event, a provider's reply to a commit call, a
 * freeze timer, the flush-and-hold guard — is a registered callback with a
 * deadline, never a blocking call.  Parts:
 *   loop.c      connections, frames in/out, outstanding requests, timers
 *   writers.c   the writer registry (subscriptions)
 *   providers.c the provider registry and provider selection
 *   session.c   one requester session: the state table of vss-protocol §10.1
 *   events.c    fan-out of one writer event to a set of writers
 *   snapset.c   DoSnapshotSet (§3.3) and the abort path
 *   freeze.c    flush-and-hold through a guard process
 *   catalog.c   persistent catalog of snapshots
 *   volume.c    what a volume name means on Linux (device, mounts) */
#ifndef VSSD_H
#define VSSD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <vss/vss.h>
#include "common/list.h"
#include "common/proto.h"
#include "common/wire.h"

/* ------------------------------------------------------------ config */
struct vssd_config {
	const char *socket_path;
	const char *state_dir;
	const char *group;		/* privileged group name (NULL: none) */
	bool foreground;
	int verbose;
	uint32_t event_timeout_ms[EV_COUNT];	/* per writer event */
	uint32_t provider_timeout_ms;	/* provider calls outside the hold */
	uint32_t hold_timeout_ms;	/* flush-and-hold bound (10 s) */
	uint32_t flush_timeout_ms;	/* FIFREEZE bound (10 s) */
};
extern struct vssd_config cfg;

/* ------------------------------------------------------------ timers */
struct timer {
	struct list_head link;
	uint64_t when;			/* CLOCK_MONOTONIC ms */
	bool armed;
	void (*fn)(struct timer *t);
};
void timer_arm(struct timer *t, uint32_t ms);
void timer_cancel(struct timer *t);

/* ------------------------------------------------------------ connections */
struct conn;
/* A reply arrived (hr = S_OK, h/p set) or did not: the peer went away or the
 * deadline passed (hr = VSS_E_WRITER_NOT_RESPONDING, h/p NULL). */
typedef void (*reply_fn)(void *ctx, struct conn *c, vss_hr_t hr,
			 const struct wire_hdr *h, const uint8_t *p);

struct pending {
	struct list_head link;		/* conn->pending */
	struct timer timer;
	struct conn *conn;
	uint32_t seq;
	reply_fn fn;
	void *ctx;
};

struct conn {
	struct list_head link;
	int fd;
	int role;			/* 0 until HELLO */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool privileged;
	char *name;
	struct wire_rx rx;
	uint32_t next_seq;
	struct list_head pending;
	bool deferred;			/* a requester call awaits its reply */
	uint32_t deferred_seq;
	int deferred_code;
	bool dead;
	bool stalled;			/* stopped reading: being closed */
	/* Output the socket has not taken yet (the peer reads slowly): sent
	 * from the loop when the socket is writable, never waited for.  Over
	 * CONN_OUT_HIGH bytes, the connection's input is left unread until it
	 * drains; no progress for CONN_STALL_MS disconnects the peer. */
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	struct timer out_timer;
	uint32_t events;		/* what epoll watches for it now */
	struct timer hello_timer;	/* Hello within CONN_HELLO_MS */
	int refs;
	struct writer *writer;
	struct provider *provider;
	struct session *session;
};

/* Sends a request to a writer/provider and calls fn on reply or deadline. */
int conn_request(struct conn *c, struct wire_msg *m, uint32_t timeout_ms,
		 reply_fn fn, void *ctx);
/* Sends a notification or a reply that was built by the caller: what the
 * socket does not take at once is queued and sent from the loop, so this
 * never blocks.  0, or < 0 when the connection is dead, stalled or could
 * not take the message (the peer is then disconnected). */
int conn_send(struct conn *c, struct wire_msg *m);
#define CONN_OUT_HIGH	(1u << 20)	/* backlog that stops reading input */
#define CONN_STALL_MS	5000u		/* a backlog making no progress */
#define CONN_HELLO_MS	10000u		/* from connect to Hello */
#define CONN_MAX_PER_UID 64u		/* connections of an unprivileged uid */
/* Starts a reply: type = code | WIRE_REPLY, seq, ATTR_HR, ATTR_MESSAGE. */
void reply_init(struct wire_msg *m, int code, uint32_t seq, vss_hr_t hr, const char *msg);
/* Replies hr (+ message from vss_last_error() on failure) and nothing else. */
void conn_reply_hr(struct conn *c, int code, uint32_t seq, vss_hr_t hr);
/* Deferred replies: the requester's call waits for writers/providers. */
void conn_defer(struct conn *c, int code, uint32_t seq);
void conn_complete_deferred(struct conn *c, struct wire_msg *m);
void conn_close(struct conn *c);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

void loop_quit(void);
int loop_add_fd(int fd, void (*fn)(int fd, uint32_t events, void *arg), void *arg);
void loop_del_fd(int fd);

/* ------------------------------------------------------------ writers */
struct writer {
	struct list_head link;		/* registry */
	struct conn *conn;		/* NULL once gone */
	int refs;
	vss_id_t class_id;
	vss_id_t instance_id;
	char *name;
	char *instance_name;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	VSS_APPLICATION_LEVEL level;
	uint32_t freeze_timeout_ms;
	uint32_t mask;
	uint32_t major, minor;
	/* last state reported through any session (vssadmin list writers) */
	VSS_WRITER_STATE last_state;
	vss_hr_t last_hr;
};
extern struct list_head writers;
void writer_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void writer_gone(struct conn *c);
void writer_ref(struct writer *w);
void writer_unref(struct writer *w);
size_t writer_count(void);

/* ------------------------------------------------------------ providers */
struct provider {
	struct list_head link;
	struct conn *conn;
	int refs;
	vss_provider_prop_t prop;
};
extern struct list_head providers;
void provider_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void provider_gone(struct conn *c);
struct provider *provider_find(const vss_id_t *id);
void provider_ref(struct provider *p);
void provider_unref(struct provider *p);

/* ------------------------------------------------------------ sessions */
enum sess_state {
	SS_N, SS_BI, SS_BG, SS_BS, SS_BP, SS_BDR, SS_BD, SS_BC, SS_BA,
	SS_RI, SS_RG, SS_RP, SS_RR, SS_COUNT
};

/* One writer instance as this session sees it. */
struct wstatus {
	struct session *s;
	struct writer *w;
	char *wmd_xml;
	bool participating;
	bool vetoed;			/* fatal failure: out of the set */
	bool frozen;			/* Freeze sent, Thaw/Abort not yet */
	bool aborted;
	bool past_post;			/* PostSnapshot finished */
	bool took_part;			/* got an event after Identify */
	int ncomponents;
	vss_id_t bcd_instance;		/* restore: the writer as the BCD names it */
	VSS_WRITER_STATE state;
	vss_hr_t hr, app_hr;
	char *msg;
	/* the status as the last GatherWriterStatus saw it: what
	 * GetWriterStatus answers (IVssBackupComponents::GatherWriterStatus) */
	struct {
		VSS_WRITER_STATE state;
		vss_hr_t hr, app_hr;
		char *msg;
	} gathered;
	struct timer freeze_timer;
};

struct snap {
	vss_id_t id;
	char *volume;			/* canonical name */
	struct provider *prov;
	VSS_SNAPSHOT_STATE state;
	char **mounts;			/* mount points to freeze */
	size_t nmounts;
};

struct op {
	uint32_t id;
	int code;			/* the message that started it */
	vss_hr_t status;		/* VSS_S_ASYNC_PENDING while running */
	bool cancel_requested;
	bool has_progress;		/* QueryStatus reports progress */
	uint64_t progress_done, progress_total;
};

struct session {
	struct conn *conn;		/* NULL once released */
	int refs;
	vss_id_t id;
	enum sess_state state;
	bool restore;
	int32_t context;
	bool context_set;
	bool backup_state_set;
	bool select_components;
	bool bootable;
	bool partial;
	VSS_BACKUP_TYPE backup_type;
	bool gathered;
	bool status_gathered;		/* a GatherWriterStatus completed */
	bool set_created;		/* DoSnapshotSet succeeded */
	/* writer filters (before GatherWriterMetadata) */
	vss_id_t *enabled_classes, *disabled_classes, *disabled_instances;
	size_t n_enabled, n_disabled, n_disabled_inst;
	struct wstatus *ws;
	size_t nws;
	void *bcd;			/* vss_bcd_t */
	vss_id_t set_id;
	bool holds_lock;
	struct snap snaps[VSS_MAX_VOLUMES_PER_SET];
	size_t nsnaps;
	struct op op;			/* the last asynchronous operation */
	uint32_t next_op_id;
	/* fan-out bookkeeping (events.c, snapset.c) */
	int outstanding;
	void (*step_done)(struct session *s);
	vss_hr_t step_hr;
	int step;			/* snapset.c progress */
	int freeze_level;
	bool end_prepare_called;
	struct freeze *freeze;
	struct timer hold_timer;
	bool releasing;
	/* AbortBackup: its fan-out is under way (abort_running), or waits
	 * for the operation under way to end (abort_pending).  One fan-out
	 * at a time: they share step_done and outstanding. */
	bool abort_running, abort_pending;
	int rel_step;
	int64_t hold_us;		/* last hold window */
	uint64_t commit_sent_us;	/* CommitSnapshots went out (mono_us) */
	uint64_t commit_rtt_us;		/* to its last reply: logged once thawed */
	char op_msg[512];		/* why the last operation failed */
};

void session_new(struct conn *c);
void session_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void session_release(struct session *s);
void session_ref(struct session *s);
void session_unref(struct session *s);
/* Starts an asynchronous operation whose reply (with OP_ID) the caller
 * sends. */
void session_op_begin(struct session *s, int code);
/* Finishes the running asynchronous operation: notifies the requester. */
void session_op_done(struct session *s, vss_hr_t status);
bool session_is_writerless(const struct session *s);
extern struct session *creation_lock_owner;
bool catalog_session_alive(const vss_id_t *id);
void admin_handle(struct conn *c, const struct wire_hdr *h, const uint8_t *p);

/* ------------------------------------------------------------ events */
typedef bool (*ws_pred)(const struct wstatus *w);
/* Sends event ev to every wstatus for which pred() holds, in parallel;
 * applies each reply to the writer's state (§4.4, §4.6); then calls done.
 * Returns the number of writers the event went to; when 0, done is NOT
 * called (the caller goes on).  event_fanout_then() calls done either way. */
int event_fanout(struct session *s, int ev, ws_pred pred, void (*done)(struct session *s));
void event_fanout_then(struct session *s, int ev, ws_pred pred, void (*done)(struct session *s));
/* Fire-and-forget Abort to one writer (state bookkeeping included). */
void event_abort_one(struct wstatus *ws);
/* One answer (or failure) of the step's fan-out is in; the last one runs
 * the step's continuation (s->step_done). */
void step_settle(struct session *s);
void ws_set_state(struct wstatus *ws, VSS_WRITER_STATE st, vss_hr_t hr, vss_hr_t app, const char *msg);

/* ------------------------------------------------------------ snapshot sets */
void snapset_do(struct session *s);
void snapset_abort(struct session *s, vss_hr_t why, void (*done)(struct session *s));
/* Provider round trips used by session calls (AddToSnapshotSet, ...). */
void provider_select(struct session *s, struct conn *c, uint32_t seq,
		     const char *volume, const vss_id_t *want, bool add);
void provider_delete(struct conn *c, uint32_t seq, const vss_id_t *source,
		     int type, bool force, int32_t context);
/* Deletes catalog snapshots through their providers; done gets the count
 * deleted, the first not deleted and its error. */
typedef void (*delete_done_fn)(void *ctx, uint32_t deleted, const vss_id_t *nondeleted,
			       vss_hr_t hr);
void snapshots_delete(const vss_id_t *ids, size_t n, delete_done_fn done, void *ctx);
vss_hr_t provider_filter_hr(vss_hr_t hr);

/* Deletes with the requester's force flag: an exposed snapshot is refused
 * (VSS_E_VOLUME_IN_USE) unless force. */
void snapshots_delete_ex(const vss_id_t *ids, size_t n, bool force, delete_done_fn done,
			 void *ctx);

/* ------------------------------------------------------------ management */
/* manage.c: Expose/Unexpose/Revert/QueryRevertStatus, forwarded to the
 * snapshot's provider (the reply is deferred). */
void manage_expose(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void manage_unexpose(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void manage_revert(struct conn *c, const struct wire_hdr *h, const uint8_t *p);
void manage_query_revert(struct session *s, struct conn *c, const struct wire_hdr *h,
			 const uint8_t *p);

/* ------------------------------------------------------------ freeze */
struct freeze;
/* Freezes every mount point in parallel in a guard process that thaws them
 * when told, when hold_ms has passed, or when vssd dies.  done() is called
 * once all are frozen (hr S_OK) or the flush failed/timed out. */
int freeze_start(char *const *mounts, size_t n, uint32_t flush_ms, uint32_t hold_ms,
		 void (*done)(void *arg, vss_hr_t hr, const char *msg), void *arg,
		 struct freeze **out);
/* Thaws (if frozen) and frees f, without waiting: released() (unless
 * NULL) is called once the guard has said it thawed (or died, or said
 * nothing for 5 s; at once if nothing is frozen) with the hold window in
 * microseconds (-1: not known) and whether the writes were held until this
 * call (the guard thawed when told, not at its own bound, nor by dying).
 * f is not touched by the caller after the call. */
void freeze_release(struct freeze *f, void (*released)(void *arg, int64_t hold_us, bool held),
		    void *arg);

/* ------------------------------------------------------------ catalog */
struct cat_entry {
	struct list_head link;
	vss_snapshot_prop_t prop;
	vss_id_t session_id;		/* auto-release owner (null if persistent) */
};
extern struct list_head catalog;
int catalog_load(void);
int catalog_save(void);
struct cat_entry *catalog_find(const vss_id_t *id);
struct cat_entry *catalog_add(const vss_snapshot_prop_t *p, const vss_id_t *session);
void catalog_remove(struct cat_entry *e);
size_t catalog_count_volume(const char *volume);

/* ------------------------------------------------------------ volumes */
/* Resolves a volume name: a block device, a mount point (directory that is
 * the root of a mount), or an image file.  canon and mounts are malloc'd.
 * -ENOENT (no such volume), -EINVAL (a directory that is not a mount
 * point), -EBUSY (holds vssd's own state). */
int volume_resolve(const char *name, char **canon, char ***mounts, size_t *nmounts);
void volume_free_mounts(char **mounts, size_t n);

#endif
