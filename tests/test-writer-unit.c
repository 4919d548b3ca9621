/* test-writer-unit.c — Check tests of the writer and provider libraries
 * against a fake coordinator that lives in this file (a listening socket in a temp dir;
 * the test thread plays vssd: it answers Hello and Subscribe, sends
 * MSG_EVENT requests and reads the replies), plus the pieces that need no
 * coordinator: IsPathAffected and the writer programs' option parsing. */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vss/metadata.h>
#include <vss/provider.h>
#include <vss/writer.h>
#include "common/proto.h"
#include "common/wire.h"
#include "libvss/writer-int.h"
#include "tools/writer-opts.h"

/* ------------------------------------------------------------ fake vssd */

struct fake {
	char dir[64], path[128];
	int lfd, fd;
	struct wire_rx rx;
	pthread_t thread;
	uint32_t role;		/* the role expected */
	vss_hr_t register_hr;	/* the answer to Subscribe / RegisterProvider */
	/* what the writer subscribed / the provider registered with */
	char *name;
	uint32_t level, freeze_timeout;
	vss_id_t instance;
};

static int recv_frame(struct fake *f, struct wire_hdr *h, const uint8_t **pl)
{
	return wire_recv(f->fd, &f->rx, 5000, h, pl);
}

static void reply_hr(struct fake *f, const struct wire_hdr *h, vss_hr_t hr,
		     const vss_id_t *instance)
{
	struct wire_msg m;

	wire_msg_init(&m, WIRE_CODE(h->type) | WIRE_REPLY, h->seq);
	wire_put_u32(&m, ATTR_HR, (uint32_t)hr);
	if (instance)
		wire_put_id(&m, ATTR_INSTANCE_ID, instance);
	ck_assert_int_eq(wire_send(f->fd, &m), 0);
	wire_msg_free(&m);
}

/* Accepts one client and answers its Hello and its Subscribe (writer) or
 * RegisterProvider (provider). */
static void *fake_accept(void *arg)
{
	struct fake *f = arg;
	struct wire_hdr h;
	const uint8_t *pl;
	bool writer = f->role == ROLE_WRITER;

	f->fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (f->fd < 0)
		return NULL;
	wire_rx_free(&f->rx);
	if (recv_frame(f, &h, &pl) != 1 || WIRE_CODE(h.type) != MSG_HELLO ||
	    wire_get_u32(pl, h.len, ATTR_ROLE, 0) != f->role)
		return NULL;
	reply_hr(f, &h, S_OK, NULL);
	if (recv_frame(f, &h, &pl) != 1 ||
	    WIRE_CODE(h.type) != (writer ? MSG_WRITER_SUBSCRIBE : MSG_PROVIDER_REGISTER))
		return NULL;
	free(f->name);
	f->name = wire_get_str(pl, h.len, writer ? ATTR_WRITER_NAME : ATTR_PROVIDER_NAME);
	f->level = wire_get_u32(pl, h.len, ATTR_LEVEL, 0);
	f->freeze_timeout = wire_get_u32(pl, h.len, ATTR_FREEZE_TIMEOUT, 0);
	vss_id_generate(&f->instance);
	reply_hr(f, &h, f->register_hr, writer ? &f->instance : NULL);
	return NULL;
}

static void fake_start(struct fake *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->role = ROLE_WRITER;
	strcpy(f->dir, "/tmp/test-writer-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vssd.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->lfd, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 4), 0);
}

static void fake_expect_writer(struct fake *f)
{
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_accept, f), 0);
}

static void fake_joined(struct fake *f)
{
	pthread_join(f->thread, NULL);
	ck_assert_int_ge(f->fd, 0);
}

static void fake_stop(struct fake *f)
{
	if (f->fd >= 0)
		close(f->fd);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	wire_rx_free(&f->rx);
	free(f->name);
}

struct evspec {
	int event;
	vss_id_t session, set;
	const char *volumes[3];
	uint32_t backup_type;
	int32_t context;
	const char *bcd_xml;
};

static void send_event(struct fake *f, uint32_t seq, const struct evspec *e)
{
	struct wire_msg m;

	wire_msg_init(&m, MSG_EVENT, seq);
	wire_put_u32(&m, ATTR_EVENT, (uint32_t)e->event);
	wire_put_id(&m, ATTR_SESSION_ID, &e->session);
	if (!vss_id_is_null(&e->set))
		wire_put_id(&m, ATTR_SNAPSHOT_SET_ID, &e->set);
	wire_put_u32(&m, ATTR_CONTEXT, (uint32_t)e->context);
	wire_put_u32(&m, ATTR_BACKUP_TYPE, e->backup_type);
	wire_put_u32(&m, ATTR_LEVEL, VSS_APP_BACK_END);
	for (int i = 0; i < 3 && e->volumes[i]; i++)
		wire_put_str(&m, ATTR_VOLUME, e->volumes[i]);
	wire_put_str(&m, ATTR_BCD_XML, e->bcd_xml);
	ck_assert_int_eq(wire_send(f->fd, &m), 0);
	wire_msg_free(&m);
}

struct evreply {
	uint32_t seq;
	vss_hr_t hr;
	uint32_t result;
	vss_hr_t failure, app;
	char message[256];
	char *wmd_xml, *bcd_xml;	/* malloc'd or NULL */
};

static void read_reply(struct fake *f, struct evreply *r)
{
	struct wire_hdr h;
	const uint8_t *pl;
	char *msg;

	ck_assert_int_eq(recv_frame(f, &h, &pl), 1);
	ck_assert_uint_eq(h.type, MSG_EVENT | WIRE_REPLY);
	memset(r, 0, sizeof(*r));
	r->seq = h.seq;
	r->hr = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_HR, 0xdead);
	r->result = wire_get_u32(pl, h.len, ATTR_RESULT, 99);
	r->failure = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_FAILURE_HR, 0xdead);
	r->app = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_APP_HR, 0xdead);
	msg = wire_get_str(pl, h.len, ATTR_MESSAGE);
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
	free(msg);
	r->wmd_xml = wire_get_str(pl, h.len, ATTR_WMD_XML);
	r->bcd_xml = wire_get_str(pl, h.len, ATTR_BCD_XML);
}

static void reply_clear(struct evreply *r)
{
	free(r->wmd_xml);
	free(r->bcd_xml);
	r->wmd_xml = r->bcd_xml = NULL;
}

/* ------------------------------------------------------------ a writer */

static struct {
	pthread_mutex_t lock;
	int calls[EV_COUNT];
	bool timeout_abort;
	unsigned abort_nvol;
	sem_t freeze_entered, freeze_release;
	bool block_freeze;
	bool veto_thaw;
	bool fail_prepare;
	vss_hr_t identify_failure_hr;
	vss_hr_t bad_failure_hr, bad_failure_ex_hr;	/* not writer failure codes */
	vss_hr_t bad_failure_msg_hr;	/* a message that is not UTF-8 */
	/* what the PrepareForSnapshot handler saw */
	vss_id_t session, set;
	unsigned nvol;
	char vol0[64];
	VSS_BACKUP_TYPE btype;
	int32_t ctx;
	VSS_APPLICATION_LEVEL level;
	bool path_on_proc, path_on_root;
	int disconnects;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void count(int ev)
{
	pthread_mutex_lock(&st.lock);
	st.calls[ev]++;
	pthread_mutex_unlock(&st.lock);
}

static int calls(int ev)
{
	int n;

	pthread_mutex_lock(&st.lock);
	n = st.calls[ev];
	pthread_mutex_unlock(&st.lock);
	return n;
}

static bool h_identify(vss_writer_t *w, vss_wmd_t *md, void *u)
{
	st.identify_failure_hr = vss_writer_set_failure(w, VSS_E_WRITERERROR_RETRYABLE);
	count(EV_IDENTIFY);
	return true;
}

static bool h_prepare_snapshot(vss_writer_t *w, void *u)
{
	const char *const *vols;

	vss_writer_get_session_id(w, &st.session);
	vss_writer_get_current_snapshot_set_id(w, &st.set);
	vss_writer_get_current_volume_array(w, &vols, &st.nvol);
	if (st.nvol)
		snprintf(st.vol0, sizeof(st.vol0), "%s", vols[0]);
	vss_writer_get_backup_type(w, &st.btype);
	vss_writer_get_context(w, &st.ctx);
	vss_writer_get_current_level(w, &st.level);
	vss_writer_is_path_affected(w, "/proc/self/status", &st.path_on_proc);
	vss_writer_is_path_affected(w, "/no/such/dir/file", &st.path_on_root);
	st.bad_failure_hr = vss_writer_set_failure(w, E_FAIL);
	st.bad_failure_ex_hr = vss_writer_set_failure_ex(w, VSS_E_BAD_STATE, S_OK, "x");
	st.bad_failure_msg_hr = vss_writer_set_failure_ex(w, VSS_E_WRITERERROR_RETRYABLE, S_OK,
							  "cut \xc3");
	if (st.fail_prepare)
		vss_writer_set_failure_ex(w, VSS_E_WRITERERROR_OUTOFRESOURCES, E_OUTOFMEMORY,
					  "no room");
	count(EV_PREPARE_SNAPSHOT);
	return true;
}

static bool h_freeze(vss_writer_t *w, void *u)
{
	count(EV_FREEZE);
	if (st.block_freeze) {
		sem_post(&st.freeze_entered);
		sem_wait(&st.freeze_release);
	}
	return true;
}

static bool h_thaw(vss_writer_t *w, void *u)
{
	count(EV_THAW);
	return !st.veto_thaw;
}

static bool h_abort(vss_writer_t *w, void *u)
{
	bool t = false;

	vss_writer_is_freeze_timeout_abort(w, &t);
	pthread_mutex_lock(&st.lock);
	vss_writer_get_current_volume_count(w, &st.abort_nvol);
	st.timeout_abort = t;
	pthread_mutex_unlock(&st.lock);
	count(EV_ABORT);
	return true;
}

static void h_disconnect(vss_writer_t *w, vss_hr_t hr, void *u)
{
	pthread_mutex_lock(&st.lock);
	st.disconnects++;
	pthread_mutex_unlock(&st.lock);
}

static const struct vss_writer_ops test_ops = {
	.struct_size = sizeof(struct vss_writer_ops),
	.on_identify = h_identify,
	.on_prepare_snapshot = h_prepare_snapshot,
	.on_freeze = h_freeze,
	.on_thaw = h_thaw,
	.on_abort = h_abort,
	.on_disconnect = h_disconnect,
};

static const vss_id_t class_a = {
	{ 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }
};

static vss_writer_t *subscribed_writer(struct fake *f, uint32_t freeze_ms)
{
	vss_writer_t *w;

	memset(st.calls, 0, sizeof(st.calls));
	sem_init(&st.freeze_entered, 0, 0);
	sem_init(&st.freeze_release, 0, 0);
	fake_start(f);
	ck_assert_int_eq(vss_writer_new(&test_ops, NULL, &w), S_OK);
	ck_assert_int_eq(vss_writer_set_socket(w, f->path), S_OK);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "unit", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_BACK_END, freeze_ms,
					       NULL, 1, 0), S_OK);
	fake_expect_writer(f);
	ck_assert_msg(vss_writer_subscribe(w, 0) == S_OK, "%s", vss_last_error());
	fake_joined(f);
	return w;
}

/* ------------------------------------------------------------ tests */

START_TEST(subscribe_identity)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 0);
	vss_id_t id;

	ck_assert_str_eq(f.name, "unit");
	ck_assert_uint_eq(f.level, VSS_APP_BACK_END);
	ck_assert_uint_eq(f.freeze_timeout, VSS_DEFAULT_FREEZE_TIMEOUT_MS);
	ck_assert_int_eq(vss_writer_get_instance_id(w, &id), S_OK);
	ck_assert(vss_id_equal(&id, &f.instance));
	ck_assert_int_eq(vss_writer_subscribe(w, 0), VSS_E_WRITER_ALREADY_SUBSCRIBED);
	ck_assert_ptr_nonnull(strstr(vss_last_error(), "vss_writer_subscribe: "
				     "VSS_E_WRITER_ALREADY_SUBSCRIBED"));
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(api_misuse)
{
	vss_writer_t *w;
	struct vss_writer_ops bad = test_ops;
	bool b;

	bad.on_freeze = NULL;
	ck_assert_int_eq(vss_writer_new(&bad, NULL, &w), E_INVALIDARG);
	ck_assert_int_eq(vss_writer_new(&test_ops, NULL, &w), S_OK);
	ck_assert_int_eq(vss_writer_subscribe(w, 0), VSS_E_BAD_STATE);
	ck_assert_int_eq(vss_writer_initialize(w, &VSS_ID_NULL, "x", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, NULL, 0, 0),
			 E_INVALIDARG);
	/* names the Writer Metadata Document could not hold (every
	 * Identify would fail), or the wire could not carry */
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "a\x01" "b", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, NULL, 0, 0),
			 E_INVALIDARG);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "a\xff" "b", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, NULL, 0, 0),
			 E_INVALIDARG);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "x", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, "i\xc3", 0, 0),
			 E_INVALIDARG);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "x", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, NULL, 0, 0),
			 S_OK);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "x", VSS_UT_USERDATA,
					       VSS_ST_OTHER, VSS_APP_FRONT_END, 0, NULL, 0, 0),
			 VSS_E_BAD_STATE);
	/* Query helpers outside a handler. */
	ck_assert_int_eq(vss_writer_are_components_selected(w, &b), VSS_E_BAD_STATE);
	ck_assert_int_eq(vss_writer_set_failure(w, VSS_E_WRITERERROR_RETRYABLE),
			 VSS_E_BAD_STATE);
	ck_assert_int_eq(vss_writer_unsubscribe(w), VSS_E_BAD_STATE);
	/* No vssd at this socket. */
	vss_writer_set_socket(w, "/nonexistent/vssd.sock");
	ck_assert_int_eq(vss_writer_subscribe(w, 0), VSS_E_WRITER_INFRASTRUCTURE);
	vss_writer_free(w);
	vss_writer_free(NULL);
}
END_TEST

START_TEST(event_round_trip)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 0);
	struct evspec e = { .event = EV_PREPARE_SNAPSHOT, .volumes = { "/proc" },
			    .backup_type = VSS_BT_FULL, .context = VSS_CTX_BACKUP };
	struct evreply r;

	vss_id_generate(&e.session);
	vss_id_generate(&e.set);
	send_event(&f, 77, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.seq, 77);
	ck_assert_int_eq(r.hr, S_OK);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_int_eq(r.failure, S_OK);
	ck_assert(vss_id_equal(&st.session, &e.session));
	ck_assert(vss_id_equal(&st.set, &e.set));
	ck_assert_uint_eq(st.nvol, 1);
	ck_assert_str_eq(st.vol0, "/proc");
	ck_assert_int_eq(st.btype, VSS_BT_FULL);
	ck_assert_int_eq(st.level, VSS_APP_BACK_END);
	ck_assert(st.path_on_proc);
	ck_assert(!st.path_on_root);

	/* A non-fatal failure is reported as given, with the message. */
	st.fail_prepare = true;
	send_event(&f, 78, &e);
	read_reply(&f, &r);
	st.fail_prepare = false;
	ck_assert_uint_eq(r.seq, 78);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_int_eq(r.failure, VSS_E_WRITERERROR_OUTOFRESOURCES);
	ck_assert_int_eq(r.app, E_OUTOFMEMORY);
	ck_assert_str_eq(r.message, "no room");

	/* Identify: SetWriterFailure is refused there. */
	e.event = EV_IDENTIFY;
	send_event(&f, 79, &e);
	read_reply(&f, &r);
	reply_clear(&r);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_int_eq(r.failure, S_OK);
	ck_assert_int_eq(st.identify_failure_hr, VSS_E_BAD_STATE);
	/* SetWriterFailure takes only the VSS_E_WRITERERROR_* codes */
	ck_assert_int_eq(st.bad_failure_hr, E_INVALIDARG);
	ck_assert_int_eq(st.bad_failure_ex_hr, E_INVALIDARG);
	ck_assert_int_eq(st.bad_failure_msg_hr, E_INVALIDARG);

	/* A veto without SetWriterFailure: RESULT 0, FAILURE_HR S_OK. */
	st.veto_thaw = true;
	e.event = EV_THAW;
	send_event(&f, 80, &e);
	read_reply(&f, &r);
	st.veto_thaw = false;
	ck_assert_uint_eq(r.result, 0);
	ck_assert_int_eq(r.failure, S_OK);
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(identify_during_freeze)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 0);
	struct evspec fr = { .event = EV_FREEZE }, id = { .event = EV_IDENTIFY };
	struct evreply r;

	st.block_freeze = true;
	vss_id_generate(&fr.session);
	vss_id_generate(&id.session);
	send_event(&f, 10, &fr);
	sem_wait(&st.freeze_entered);
	send_event(&f, 11, &id);
	read_reply(&f, &r);
	reply_clear(&r);
	ck_assert_uint_eq(r.seq, 11);	/* Identify answered, Freeze still runs */
	ck_assert_int_eq(calls(EV_IDENTIFY), 1);
	sem_post(&st.freeze_release);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.seq, 10);
	ck_assert_uint_eq(r.result, 1);
	st.block_freeze = false;
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(freeze_timeout)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 100);
	struct evspec e = { .event = EV_FREEZE, .volumes = { "/proc", "/" } };
	struct evreply r;

	vss_id_generate(&e.session);
	vss_id_generate(&e.set);
	send_event(&f, 20, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 1);
	for (int i = 0; i < 100 && calls(EV_ABORT) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(calls(EV_ABORT), 1);
	ck_assert(st.timeout_abort);
	ck_assert_uint_eq(st.abort_nvol, 2);	/* the Freeze event's volumes */
	e.event = EV_THAW;
	send_event(&f, 21, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.seq, 21);
	ck_assert_uint_eq(r.result, 0);
	ck_assert_int_eq(r.failure, VSS_E_WRITERERROR_TIMEOUT);
	ck_assert_int_eq(calls(EV_THAW), 0);

	/* A Thaw in time disarms the timer: no abort. */
	vss_id_generate(&e.session);
	e.event = EV_FREEZE;
	send_event(&f, 22, &e);
	read_reply(&f, &r);
	e.event = EV_THAW;
	send_event(&f, 23, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 1);
	usleep(200000);
	ck_assert_int_eq(calls(EV_ABORT), 1);
	ck_assert_int_eq(calls(EV_THAW), 1);
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(freeze_outlives_timeout)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 50);
	struct evspec e = { .event = EV_FREEZE };
	struct evreply r;

	st.block_freeze = true;
	vss_id_generate(&e.session);
	send_event(&f, 30, &e);
	sem_wait(&st.freeze_entered);
	usleep(150000);
	ck_assert_int_eq(calls(EV_ABORT), 0);	/* not while OnFreeze runs */
	sem_post(&st.freeze_release);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 0);
	ck_assert_int_eq(r.failure, VSS_E_WRITERERROR_TIMEOUT);
	ck_assert_int_eq(calls(EV_ABORT), 1);
	st.block_freeze = false;
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(disconnect_and_reconnect)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 0);
	vss_id_t first = f.instance, again;

	ck_assert_int_eq(vss_writer_wait(w, 10), S_FALSE);
	close(f.fd);
	f.fd = -1;
	ck_assert_int_eq(vss_writer_wait(w, 5000), VSS_E_WRITER_INFRASTRUCTURE);
	for (int i = 0; i < 100 && st.disconnects == 0; i++)
		usleep(10000);
	ck_assert_int_eq(st.disconnects, 1);
	/* A failed attempt leaves the writer lost, not merely unsubscribed. */
	vss_writer_set_socket(w, "/nonexistent/vssd.sock");
	ck_assert_int_eq(vss_writer_subscribe(w, 0), VSS_E_WRITER_INFRASTRUCTURE);
	ck_assert_int_eq(vss_writer_wait(w, 0), VSS_E_WRITER_INFRASTRUCTURE);
	vss_writer_set_socket(w, f.path);
	fake_expect_writer(&f);
	ck_assert_msg(vss_writer_subscribe(w, 0) == S_OK, "%s", vss_last_error());
	fake_joined(&f);
	ck_assert_int_eq(vss_writer_get_instance_id(w, &again), S_OK);
	ck_assert(!vss_id_equal(&first, &again));
	ck_assert_int_eq(vss_writer_wait(w, 0), S_FALSE);
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

/* Metadata: the WMD handed to OnIdentify carries the identity and comes
 * back with what the handler added; the BCD of PrepareForBackup comes back
 * edited, the one of BackupComplete (read-only) does not come back. */
static bool md_identify(vss_writer_t *w, vss_wmd_t *md, void *u)
{
	return vss_wmd_add_component(md, VSS_CT_FILEGROUP, "db", "main", NULL, NULL, 0, false,
				     false, true, true, 0) == S_OK &&
	       vss_wmd_add_files_to_file_group(md, "db", "main", "/srv/db", "*.db", false, NULL,
					       VSS_FSBT_DEFAULT) == S_OK;
}

static bool md_stamp(vss_writer_t *w, vss_bcd_t *bcd, void *u)
{
	vss_component_t *c;

	return bcd && vss_bcd_get_component(bcd, 0, 0, &c) == S_OK &&
	       vss_component_set_backup_stamp(c, "stamp-1") == S_OK;
}

static bool md_noop(vss_writer_t *w, void *u)
{
	return true;
}

static const struct vss_writer_ops md_ops = {
	.struct_size = sizeof(struct vss_writer_ops),
	.on_identify = md_identify,
	.on_prepare_backup = md_stamp,
	.on_prepare_snapshot = md_noop,
	.on_freeze = md_noop,
	.on_thaw = md_noop,
	.on_abort = md_noop,
	.on_backup_complete = md_stamp,
};

START_TEST(metadata_round_trip)
{
	struct fake f;
	vss_writer_t *w;
	struct evspec e = { .event = EV_IDENTIFY };
	struct evreply r;
	vss_wmd_t *wmd;
	vss_bcd_t *bcd;
	vss_component_t *c;
	vss_id_t cls, inst;
	const char *name, *iname;
	VSS_USAGE_TYPE usage;
	VSS_SOURCE_TYPE source;
	char *xml;

	fake_start(&f);
	ck_assert_int_eq(vss_writer_new(&md_ops, NULL, &w), S_OK);
	vss_writer_set_socket(w, f.path);
	ck_assert_int_eq(vss_writer_initialize(w, &class_a, "md", VSS_UT_SYSTEMSERVICE,
					       VSS_ST_TRANSACTEDDB, VSS_APP_FRONT_END, 0, "md-1",
					       2, 3), S_OK);
	fake_expect_writer(&f);
	ck_assert_int_eq(vss_writer_subscribe(w, 0), S_OK);
	fake_joined(&f);

	vss_id_generate(&e.session);
	send_event(&f, 1, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_ptr_nonnull(r.wmd_xml);
	ck_assert_int_eq(vss_wmd_load_xml(r.wmd_xml, strlen(r.wmd_xml), &wmd), S_OK);
	ck_assert_int_eq(vss_wmd_get_identity(wmd, &cls, &inst, &name, &iname, &usage, &source),
			 S_OK);
	ck_assert(vss_id_equal(&cls, &class_a));
	ck_assert(vss_id_equal(&inst, &f.instance));
	ck_assert_str_eq(name, "md");
	ck_assert_str_eq(iname, "md-1");
	ck_assert_int_eq(usage, VSS_UT_SYSTEMSERVICE);
	ck_assert_int_eq(source, VSS_ST_TRANSACTEDDB);
	ck_assert_uint_eq(vss_wmd_component_count(wmd), 1);
	vss_wmd_free(wmd);
	reply_clear(&r);

	ck_assert_int_eq(vss_bcd_new(&bcd), S_OK);
	ck_assert_int_eq(vss_bcd_set_backup_state(bcd, true, false, VSS_BT_FULL, false), S_OK);
	ck_assert_int_eq(vss_bcd_add_component(bcd, &f.instance, &class_a, "md-1", 0,
					       VSS_CT_FILEGROUP, "db", "main"), S_OK);
	ck_assert_int_eq(vss_bcd_save_xml(bcd, &xml), S_OK);
	vss_bcd_free(bcd);
	e.event = EV_PREPARE_BACKUP;
	e.bcd_xml = xml;
	send_event(&f, 2, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_ptr_nonnull(r.bcd_xml);
	ck_assert_int_eq(vss_bcd_load_xml(r.bcd_xml, strlen(r.bcd_xml), &bcd), S_OK);
	ck_assert_int_eq(vss_bcd_get_component(bcd, 0, 0, &c), S_OK);
	ck_assert_str_eq(vss_component_get_backup_stamp(c), "stamp-1");
	vss_bcd_free(bcd);
	reply_clear(&r);

	e.event = EV_BACKUP_COMPLETE;
	send_event(&f, 3, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.result, 1);
	ck_assert_ptr_null(r.bcd_xml);
	reply_clear(&r);

	/* A corrupt document: the event is answered with the parser's code. */
	e.event = EV_POST_SNAPSHOT;
	e.bcd_xml = "<BACKUP_COMPONENTS";
	send_event(&f, 4, &e);
	read_reply(&f, &r);
	ck_assert(VSS_FAILED(r.hr));
	ck_assert_ptr_nonnull(strstr(r.message, "vss_bcd_load_xml"));
	reply_clear(&r);
	free(xml);
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

/* Bad input from the coordinator: an unknown event or a request a writer
 * does not serve gets E_INVALIDARG; a broken frame ends the connection,
 * which the writer reports as lost. */
START_TEST(hostile_coordinator)
{
	struct fake f;
	vss_writer_t *w = subscribed_writer(&f, 0);
	struct evspec e = { .event = 99 };
	struct wire_msg m;
	struct wire_hdr h;
	const uint8_t *pl;
	struct evreply r;
	static const uint8_t garbage[32] = "this is not a frame at all....";

	send_event(&f, 5, &e);
	read_reply(&f, &r);
	ck_assert_uint_eq(r.seq, 5);
	ck_assert_int_eq(r.hr, E_INVALIDARG);
	ck_assert_uint_eq(r.result, 99);	/* no RESULT attribute */

	wire_msg_init(&m, MSG_PROV_COMMIT, 6);
	ck_assert_int_eq(wire_send(f.fd, &m), 0);
	wire_msg_free(&m);
	ck_assert_int_eq(recv_frame(&f, &h, &pl), 1);
	ck_assert_uint_eq(h.type, MSG_PROV_COMMIT | WIRE_REPLY);
	ck_assert_uint_eq(wire_get_u32(pl, h.len, ATTR_HR, 0), (uint32_t)E_INVALIDARG);

	ck_assert_int_eq(write(f.fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
	ck_assert_int_eq(vss_writer_wait(w, 5000), VSS_E_WRITER_INFRASTRUCTURE);
	vss_writer_free(w);
	fake_stop(&f);
}
END_TEST

START_TEST(path_affected)
{
	const char *proc[] = { "/proc" }, *root[] = { "/" };
	bool a;

	ck_assert_int_eq(path_on_volumes("/proc/self/status", proc, 1, &a), 0);
	ck_assert(a);
	ck_assert_int_eq(path_on_volumes("/proc/no/such/file", proc, 1, &a), 0);
	ck_assert(a);
	ck_assert_int_eq(path_on_volumes("/etc/passwd", proc, 1, &a), 0);
	ck_assert(!a);
	ck_assert_int_eq(path_on_volumes("/etc/*.conf", root, 1, &a), 0);
	ck_assert(a);
	ck_assert_int_eq(path_on_volumes("/etc/passwd", proc, 0, &a), 0);
	ck_assert(!a);
	ck_assert_int_eq(path_on_volumes("relative/path", root, 1, &a), -EINVAL);
}
END_TEST

START_TEST(writer_options)
{
	struct writer_opts o;
	VSS_APPLICATION_LEVEL l;
	const char *val;
	uint32_t ms;
	int ev;

	ck_assert_int_eq(wopts_level("back", &l), 0);
	ck_assert_int_eq(l, VSS_APP_BACK_END);
	ck_assert_int_eq(wopts_level("VSS_APP_SYSTEM", &l), 0);
	ck_assert_int_eq(l, VSS_APP_SYSTEM);
	ck_assert_int_eq(wopts_level("middle", &l), -EINVAL);
	ck_assert_int_eq(wopts_event("freeze"), EV_FREEZE);
	ck_assert_int_eq(wopts_event("PrepareForSnapshot"), EV_PREPARE_SNAPSHOT);
	ck_assert_int_eq(wopts_event("prepare-snapshot"), EV_PREPARE_SNAPSHOT);
	ck_assert_int_eq(wopts_event("backup-shutdown"), EV_BACKUP_SHUTDOWN);
	ck_assert_int_eq(wopts_event("nope"), -EINVAL);
	ck_assert_int_eq(wopts_event_value("Thaw:250", &ev, &val), 0);
	ck_assert_int_eq(ev, EV_THAW);
	ck_assert_str_eq(val, "250");
	ck_assert_int_eq(wopts_event_value("Thaw", &ev, &val), -EINVAL);
	ck_assert_int_eq(wopts_event_value("Thaw:", &ev, &val), -EINVAL);
	ck_assert_int_eq(wopts_ms("1500", &ms), 0);
	ck_assert_uint_eq(ms, 1500);
	ck_assert_int_eq(wopts_ms("-1", &ms), -EINVAL);
	ck_assert_int_eq(wopts_ms("12x", &ms), -EINVAL);

	wopts_init(&o);
	ck_assert_int_eq(wopts_add_files(&o, "/data:*.db"), -EINVAL);	/* no component */
	ck_assert_int_eq(wopts_add_component(&o, "db:main:selectable"), 0);
	ck_assert_int_eq(wopts_add_component(&o, ":logs"), 0);
	ck_assert_int_eq(wopts_add_component(&o, "x"), -EINVAL);
	ck_assert_int_eq(wopts_add_component(&o, "a:b:c"), -EINVAL);
	ck_assert_int_eq(wopts_add_files(&o, "/var/log:*.log:recursive"), 0);
	ck_assert_int_eq(wopts_add_files(&o, "relative:*.log"), -EINVAL);
	ck_assert_uint_eq(o.ncomps, 2);
	ck_assert_str_eq(o.comps[0].logical_path, "db");
	ck_assert_str_eq(o.comps[0].name, "main");
	ck_assert(o.comps[0].selectable);
	ck_assert_str_eq(o.comps[1].logical_path, "");
	ck_assert(!o.comps[1].selectable);
	ck_assert_uint_eq(o.comps[1].nfiles, 1);
	ck_assert_str_eq(o.comps[1].files[0].spec, "*.log");
	ck_assert(o.comps[1].files[0].recursive);
	o.name = strdup("same");
	wopts_finish(&o);
	{
		struct writer_opts o2;
		vss_id_t a = o.class_id;

		wopts_init(&o2);
		o2.name = strdup("same");
		wopts_finish(&o2);
		ck_assert(vss_id_equal(&a, &o2.class_id));
		ck_assert(!vss_id_is_null(&a));
		wopts_free(&o2);
	}
	wopts_free(&o);
}
END_TEST


/* ------------------------------------------------------------ provider */

static struct {
	bool supported;
	vss_id_t set, snap;
	char volume[64];
	int32_t context, count;
} pv;

static vss_hr_t p_supported(vss_provider_t *p, const char *volume, bool *supported, void *u)
{
	*supported = strcmp(volume, "/dev/loop7") == 0;
	return S_OK;
}

static vss_hr_t p_begin(vss_provider_t *p, const vss_id_t *set, const vss_id_t *snap,
			const char *volume, int32_t context, void *u)
{
	pv.set = *set;
	pv.snap = *snap;
	snprintf(pv.volume, sizeof(pv.volume), "%s", volume);
	pv.context = context;
	return S_OK;
}

static vss_hr_t p_commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return VSS_E_PROVIDER_VETO;
}

static vss_hr_t p_post_commit(vss_provider_t *p, const vss_id_t *set, int32_t count, void *u)
{
	pv.count = count;
	return S_OK;
}

static vss_hr_t p_props(vss_provider_t *p, const vss_id_t *id, vss_snapshot_prop_t *prop,
			void *u)
{
	prop->snapshot_id = *id;
	prop->snapshot_device_object = strdup("/dev/fake0");
	prop->status = VSS_SS_CREATED;
	return S_OK;
}

static vss_hr_t p_query(vss_provider_t *p, vss_provider_query_t *q, void *u)
{
	vss_snapshot_prop_t a = { .snapshot_device_object = "/dev/a" };
	vss_snapshot_prop_t b = { .snapshot_device_object = "/dev/b" };

	vss_provider_query_add(q, &a);
	return vss_provider_query_add(q, &b);
}

static const struct vss_provider_ops prov_ops = {
	.struct_size = sizeof(struct vss_provider_ops),
	.is_volume_supported = p_supported,
	.begin_prepare_snapshot = p_begin,
	.commit = p_commit,
	.post_commit = p_post_commit,
	.get_snapshot_properties = p_props,
	.query = p_query,
};

/* Sends a provider call built in m (freed here) and returns the reply's
 * payload (malloc'd). */
static uint8_t *prov_send(struct fake *f, struct wire_msg *m, size_t *len, vss_hr_t *hr)
{
	struct wire_hdr h;
	const uint8_t *pl;
	uint8_t *copy;
	uint16_t code = m->buf[6] | m->buf[7] << 8;
	uint32_t seq = m->buf[8] | (uint32_t)m->buf[9] << 8;

	ck_assert_int_eq(wire_send(f->fd, m), 0);
	wire_msg_free(m);
	ck_assert_int_eq(recv_frame(f, &h, &pl), 1);
	ck_assert_uint_eq(h.type, code | WIRE_REPLY);
	ck_assert_uint_eq(h.seq, seq);
	*hr = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_HR, 0xdead);
	copy = malloc(h.len + 1);
	memcpy(copy, pl, h.len);
	*len = h.len;
	return copy;
}

/* A call without arguments. */
static vss_hr_t prov_call(struct fake *f, uint16_t code)
{
	struct wire_msg m;
	size_t len;
	vss_hr_t hr;

	wire_msg_init(&m, code, 500 + code);
	free(prov_send(f, &m, &len, &hr));
	return hr;
}

START_TEST(provider_calls)
{
	struct fake f;
	vss_provider_t *p;
	const vss_id_t pid = { { 0x5e, 0x1f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 } };
	vss_id_t set, snap;
	struct wire_msg args;
	struct wire_attr a;
	struct wire_iter it;
	vss_snapshot_prop_t prop;
	uint8_t *pl;
	size_t len;
	vss_hr_t hr;
	int n;

	fake_start(&f);
	f.role = ROLE_PROVIDER;
	ck_assert_int_eq(vss_provider_new(&prov_ops, NULL, &p), S_OK);
	vss_provider_set_socket(p, f.path);
	fake_expect_writer(&f);
	ck_assert_msg(vss_provider_register(p, &pid, "unit provider", VSS_PROV_SOFTWARE, "1.0",
					    NULL) == S_OK, "%s", vss_last_error());
	fake_joined(&f);
	ck_assert_str_eq(f.name, "unit provider");

	wire_msg_init(&args, MSG_PROV_IS_VOLUME_SUPPORTED, 1);
	wire_put_str(&args, ATTR_VOLUME, "/dev/loop7");
	pl = prov_send(&f, &args, &len, &hr);
	ck_assert_int_eq(hr, S_OK);
	ck_assert_uint_eq(wire_get_u32(pl, len, ATTR_BOOL, 9), 1);
	free(pl);

	vss_id_generate(&set);
	vss_id_generate(&snap);
	wire_msg_init(&args, MSG_PROV_BEGIN_PREPARE, 2);
	wire_put_id(&args, ATTR_SNAPSHOT_SET_ID, &set);
	wire_put_id(&args, ATTR_SNAPSHOT_ID, &snap);
	wire_put_str(&args, ATTR_VOLUME, "/dev/loop7");
	wire_put_u32(&args, ATTR_CONTEXT, VSS_CTX_NAS_ROLLBACK);
	free(prov_send(&f, &args, &len, &hr));
	ck_assert_int_eq(hr, S_OK);
	ck_assert(vss_id_equal(&pv.set, &set));
	ck_assert(vss_id_equal(&pv.snap, &snap));
	ck_assert_str_eq(pv.volume, "/dev/loop7");
	ck_assert_int_eq(pv.context, VSS_CTX_NAS_ROLLBACK);

	/* Results as the callbacks gave them; NULL members answer S_OK;
	 * missing arguments and non-provider calls E_INVALIDARG. */
	ck_assert_int_eq(prov_call(&f, MSG_PROV_COMMIT), VSS_E_PROVIDER_VETO);
	ck_assert_int_eq(prov_call(&f, MSG_PROV_PRECOMMIT), S_OK);
	ck_assert_int_eq(prov_call(&f, MSG_PROV_GET_PROPERTIES), E_INVALIDARG);
	ck_assert_int_eq(prov_call(&f, MSG_PROV_DELETE), E_INVALIDARG);
	ck_assert_int_eq(prov_call(&f, MSG_ADD_COMPONENT), E_INVALIDARG);

	wire_msg_init(&args, MSG_PROV_QUERY, 3);
	pl = prov_send(&f, &args, &len, &hr);
	ck_assert_int_eq(hr, S_OK);
	n = 0;
	wire_iter_init(&it, pl, len);
	while (wire_next(&it, &a)) {
		if (a.tag != ATTR_SNAPSHOT)
			continue;
		ck_assert_int_eq(proto_get_snapshot(&a, &prop), 0);
		ck_assert_str_eq(prop.snapshot_device_object, n ? "/dev/b" : "/dev/a");
		vss_snapshot_prop_clear(&prop);
		n++;
	}
	ck_assert_int_eq(n, 2);
	free(pl);

	wire_msg_init(&args, MSG_PROV_GET_PROPERTIES, 4);
	wire_put_id(&args, ATTR_SNAPSHOT_ID, &snap);
	pl = prov_send(&f, &args, &len, &hr);
	ck_assert_int_eq(hr, S_OK);
	ck_assert(wire_find(pl, len, ATTR_SNAPSHOT, &a));
	ck_assert_int_eq(proto_get_snapshot(&a, &prop), 0);
	ck_assert(vss_id_equal(&prop.snapshot_id, &snap));
	ck_assert_str_eq(prop.snapshot_device_object, "/dev/fake0");
	ck_assert_int_eq(prop.status, VSS_SS_CREATED);
	vss_snapshot_prop_clear(&prop);
	free(pl);

	wire_msg_init(&args, MSG_PROV_POSTCOMMIT, 5);
	wire_put_id(&args, ATTR_SNAPSHOT_SET_ID, &set);
	wire_put_u32(&args, ATTR_COUNT, 3);
	free(prov_send(&f, &args, &len, &hr));
	ck_assert_int_eq(pv.count, 3);

	/* SnapshotLost goes out as a notification. */
	ck_assert_int_eq(vss_provider_notify_snapshot_lost(p, &snap, "diff area full"), S_OK);
	{
		struct wire_hdr h;
		const uint8_t *rp;
		vss_id_t got;
		char *msg;

		ck_assert_int_eq(recv_frame(&f, &h, &rp), 1);
		ck_assert_uint_eq(h.type, MSG_PROV_SNAPSHOT_LOST | WIRE_NOTIFY);
		ck_assert(wire_get_id(rp, h.len, ATTR_SNAPSHOT_ID, &got));
		ck_assert(vss_id_equal(&got, &snap));
		msg = wire_get_str(rp, h.len, ATTR_MESSAGE);
		ck_assert_str_eq(msg, "diff area full");
		free(msg);
	}

	/* vssd goes away. */
	close(f.fd);
	f.fd = -1;
	ck_assert_int_eq(vss_provider_wait(p, 5000), VSS_E_PROVIDER_NOT_REGISTERED);
	ck_assert_int_eq(vss_provider_notify_snapshot_lost(p, &snap, "x"),
			 VSS_E_PROVIDER_NOT_REGISTERED);

	/* Registering again reconnects; a refusal comes back as given. */
	f.register_hr = VSS_E_PROVIDER_ALREADY_REGISTERED;
	fake_expect_writer(&f);
	ck_assert_int_eq(vss_provider_register(p, &pid, "unit provider", VSS_PROV_SOFTWARE,
					       "1.0", NULL), VSS_E_PROVIDER_ALREADY_REGISTERED);
	fake_joined(&f);
	/* still lost */
	ck_assert_int_eq(vss_provider_wait(p, 0), VSS_E_PROVIDER_NOT_REGISTERED);
	ck_assert_int_eq(vss_provider_unregister(p), S_OK);
	ck_assert_int_eq(vss_provider_wait(p, 0), S_OK);
	ck_assert_int_eq(vss_provider_unregister(p), VSS_E_PROVIDER_NOT_REGISTERED);
	vss_provider_free(p);
	vss_provider_free(NULL);
	fake_stop(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("writer");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, subscribe_identity);
	tcase_add_test(tc, api_misuse);
	tcase_add_test(tc, event_round_trip);
	tcase_add_test(tc, identify_during_freeze);
	tcase_add_test(tc, freeze_timeout);
	tcase_add_test(tc, freeze_outlives_timeout);
	tcase_add_test(tc, disconnect_and_reconnect);
	tcase_add_test(tc, metadata_round_trip);
	tcase_add_test(tc, hostile_coordinator);
	tcase_add_test(tc, path_affected);
	tcase_add_test(tc, writer_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("provider");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, provider_calls);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
