/* test-backup-client.c — the requester library (vss/backup.h) against a
 * fake coordinator: a thread in this process that listens on a socket in a
 * temp dir and answers each request with a canned reply.  Exercises the
 * request/reply path, error messages, the parsing of list replies and the
 * bookkeeping of asynchronous completions (notifications that arrive
 * before the reply naming their operation, while another call waits, after
 * a finite Wait expired), without vssd. */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vss/backup.h>
#include "common/proto.h"
#include "common/wire.h"

static char dir[64], sock[128];
static int lfd = -1;
static pthread_t server;
static volatile uint32_t query_sends_done;	/* op id to complete at Query */
static volatile uint32_t last_context;

static const vss_id_t ID1 = { { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } };
static const vss_id_t ID2 = { { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 } };

static void send_msg(int fd, struct wire_msg *m)
{
	ck_assert_int_eq(wire_send(fd, m), 0);
	wire_msg_free(m);
}

static void reply(int fd, const struct wire_hdr *h, vss_hr_t hr, struct wire_msg *m)
{
	wire_msg_init(m, WIRE_CODE(h->type) | WIRE_REPLY, h->seq);
	wire_put_u32(m, ATTR_HR, (uint32_t)hr);
}

static void done(int fd, uint32_t op, vss_hr_t status, const char *msg)
{
	struct wire_msg m;

	wire_msg_init(&m, MSG_ASYNC_DONE | WIRE_NOTIFY, 0);
	wire_put_u32(&m, ATTR_OP_ID, op);
	wire_put_u32(&m, ATTR_STATUS, (uint32_t)status);
	wire_put_str(&m, ATTR_MESSAGE, msg);
	send_msg(fd, &m);
}

static void put_writer(struct wire_msg *m, const vss_id_t *inst, const char *name,
		       VSS_WRITER_STATE st, vss_hr_t fail)
{
	wire_nest_begin(m, ATTR_WRITER);
	wire_put_id(m, ATTR_INSTANCE_ID, inst);
	wire_put_id(m, ATTR_WRITER_ID, &ID2);
	wire_put_str(m, ATTR_WRITER_NAME, name);
	wire_put_u32(m, ATTR_STATE, st);
	wire_put_u32(m, ATTR_FAILURE_HR, (uint32_t)fail);
	wire_put_u32(m, ATTR_LEVEL, VSS_APP_BACK_END);
	wire_put_u32(m, ATTR_PID, 4242);
	wire_put_str(m, ATTR_WMD_XML, "<WRITER_METADATA/>");
	wire_nest_end(m);
}

/* Returns false to close the connection. */
static bool serve(int fd, const struct wire_hdr *h, const uint8_t *pl)
{
	struct wire_msg m;
	vss_snapshot_prop_t sp = { .snapshots_count = 1, .status = VSS_SS_CREATED };
	uint32_t u;

	switch (WIRE_CODE(h->type)) {
	case MSG_HELLO:
		reply(fd, h, S_OK, &m);
		wire_put_str(&m, ATTR_SERVER_VERSION, "fake");
		break;
	case MSG_SET_CONTEXT:
		last_context = wire_get_u32(pl, h->len, ATTR_CONTEXT, 0xdead);
		if (last_context == 0x1234) {
			reply(fd, h, VSS_E_BAD_STATE, &m);
			wire_put_str(&m, ATTR_MESSAGE, "SetContext: VSS_E_BAD_STATE: called twice");
		} else {
			reply(fd, h, S_OK, &m);
		}
		break;
	case MSG_DO_SNAPSHOT_SET:
		reply(fd, h, S_OK, &m);
		wire_put_u32(&m, ATTR_OP_ID, 7);
		break;
	case MSG_PREPARE_FOR_BACKUP:
		/* the completion overtakes the reply that names it */
		done(fd, 9, VSS_S_ASYNC_FINISHED, NULL);
		reply(fd, h, S_OK, &m);
		wire_put_u32(&m, ATTR_OP_ID, 9);
		break;
	case MSG_BACKUP_COMPLETE:
		reply(fd, h, S_OK, &m);
		wire_put_u32(&m, ATTR_OP_ID, 10);
		send_msg(fd, &m);
		done(fd, 10, VSS_E_UNEXPECTED_WRITER_ERROR, "writer 'db' did not answer");
		return true;
	case MSG_GATHER_WRITER_STATUS:
		reply(fd, h, S_OK, &m);	/* no OP_ID: a broken vssd */
		break;
	case MSG_ASYNC_CANCEL:
		u = wire_get_u32(pl, h->len, ATTR_OP_ID, 0);
		reply(fd, h, u == 7 ? S_OK : VSS_E_OBJECT_NOT_FOUND, &m);
		send_msg(fd, &m);
		if (u == 7)
			done(fd, 7, VSS_S_ASYNC_CANCELLED, NULL);
		return true;
	case MSG_QUERY:
		if (query_sends_done) {
			done(fd, query_sends_done, VSS_S_ASYNC_FINISHED, NULL);
			query_sends_done = 0;
		}
		reply(fd, h, S_OK, &m);
		if (wire_get_u32(pl, h->len, ATTR_OBJECT_TYPE, 0) == VSS_OBJECT_SNAPSHOT) {
			sp.snapshot_id = ID1;
			sp.original_volume_name = (char *)"/dev/loop0";
			proto_put_snapshot(&m, &sp);
			sp.snapshot_id = ID2;
			sp.snapshot_device_object = (char *)"/dev/loop9";
			proto_put_snapshot(&m, &sp);
		}
		break;
	case MSG_GET_SNAPSHOT_PROPERTIES:
		if (!wire_get_id(pl, h->len, ATTR_SNAPSHOT_ID, &sp.snapshot_id) ||
		    !vss_id_equal(&sp.snapshot_id, &ID1)) {
			reply(fd, h, VSS_E_OBJECT_NOT_FOUND, &m);
			wire_put_str(&m, ATTR_MESSAGE, "no such snapshot");
			break;
		}
		reply(fd, h, S_OK, &m);
		sp.snapshot_device_object = (char *)"/dev/loop9";
		sp.creation_timestamp = 133000000000000000;
		proto_put_snapshot(&m, &sp);
		break;
	case MSG_GET_WRITER_METADATA:
	case MSG_GET_WRITER_STATUS:
	case MSG_LIST_WRITERS:
		reply(fd, h, S_OK, &m);
		put_writer(&m, &ID1, "alpha", VSS_WS_STABLE, S_OK);
		put_writer(&m, &ID2, "beta", VSS_WS_FAILED_AT_FREEZE, VSS_E_WRITERERROR_TIMEOUT);
		break;
	case MSG_START_SNAPSHOT_SET:
		reply(fd, h, S_OK, &m);
		wire_put_id(&m, ATTR_SNAPSHOT_SET_ID, &ID2);
		break;
	case MSG_ADD_TO_SNAPSHOT_SET: {
		char *vol = wire_get_str(pl, h->len, ATTR_VOLUME);
		bool ok = vol && strcmp(vol, "/mnt/data") == 0;

		free(vol);
		reply(fd, h, ok ? S_OK : VSS_E_OBJECT_NOT_FOUND, &m);
		if (ok)
			wire_put_id(&m, ATTR_SNAPSHOT_ID, &ID1);
		break;
	}
	case MSG_DELETE_SNAPSHOTS:
		u = wire_get_u32(pl, h->len, ATTR_FORCE, 9);
		reply(fd, h, u ? S_OK : VSS_E_OBJECT_NOT_FOUND, &m);
		wire_put_u32(&m, ATTR_COUNT, u ? 3 : 1);
		if (!u)
			wire_put_id(&m, ATTR_NONDELETED_ID, &ID2);
		break;
	case MSG_SAVE_AS_XML:
		reply(fd, h, S_OK, &m);
		wire_put_str(&m, ATTR_BCD_XML, "<BACKUP_COMPONENTS/>");
		break;
	case MSG_SET_FILE_RESTORE_STATUS:
	case MSG_SET_SELECTED_FOR_RESTORE: {
		vss_id_t inst;
		char *lp = wire_get_str(pl, h->len, ATTR_LOGICAL_PATH);
		bool ok = wire_get_id(pl, h->len, ATTR_INSTANCE_ID, &inst) &&
			  vss_id_equal(&inst, &ID1) && lp && strcmp(lp, "data") == 0 &&
			  wire_get_u32(pl, h->len, ATTR_COMPONENT_TYPE, 0) == VSS_CT_FILEGROUP &&
			  (WIRE_CODE(h->type) == MSG_SET_FILE_RESTORE_STATUS ?
			   wire_get_u32(pl, h->len, ATTR_STATUS, 0) == VSS_RS_FAILED :
			   wire_get_u32(pl, h->len, ATTR_BOOL, 9) == 1);

		free(lp);
		reply(fd, h, ok ? S_OK : E_INVALIDARG, &m);
		break;
	}
	case MSG_PRE_RESTORE:
		reply(fd, h, S_OK, &m);
		wire_put_u32(&m, ATTR_OP_ID, 11);
		send_msg(fd, &m);
		done(fd, 11, VSS_S_ASYNC_FINISHED, NULL);
		return true;
	case MSG_ABORT_BACKUP:
		return false;	/* a coordinator that dies */
	default:
		reply(fd, h, E_NOTIMPL, &m);
		break;
	}
	send_msg(fd, &m);
	return true;
}

static void *server_main(void *arg)
{
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *pl;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (wire_recv(fd, &rx, -1, &h, &pl) == 1 && serve(fd, &h, pl))
		;
	wire_rx_free(&rx);
	close(fd);
	return arg;
}

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof(dir), "/tmp/vss-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s", dir);
	strcpy(sa.sun_path, sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	query_sends_done = 0;
	ck_assert_int_eq(pthread_create(&server, NULL, server_main, NULL), 0);
}

static void teardown(void)
{
	shutdown(lfd, SHUT_RDWR);
	pthread_join(server, NULL);
	close(lfd);
	unlink(sock);
	rmdir(dir);
}

static vss_backup_t *open_b(void)
{
	vss_backup_t *b = NULL;

	ck_assert_int_eq(vss_backup_new(&b, sock), S_OK);
	ck_assert_ptr_nonnull(b);
	return b;
}

START_TEST(no_daemon)
{
	vss_backup_t *b = (vss_backup_t *)1;

	ck_assert_int_eq(vss_backup_new(&b, "/nonexistent/vss.sock"), VSS_E_UNEXPECTED);
	ck_assert_ptr_null(b);
	ck_assert_str_eq(vss_last_error(), "vss_backup_new: VSS_E_UNEXPECTED: cannot connect "
			 "to vssd at /nonexistent/vss.sock: No such file or directory");
	vss_backup_free(NULL);
	vss_async_free(NULL);
}
END_TEST

START_TEST(null_arguments)
{
	vss_backup_t *b = open_b();

	ck_assert_int_eq(vss_backup_set_context(NULL, 0), E_INVALIDARG);
	ck_assert_str_eq(vss_last_error(), "vss_backup_set_context: E_INVALIDARG: NULL object");
	ck_assert_int_eq(vss_backup_do_snapshot_set(b, NULL), E_INVALIDARG);
	ck_assert_int_eq(vss_backup_add_to_snapshot_set(b, "", NULL, NULL), E_INVALIDARG);
	ck_assert_int_eq(vss_backup_add_component(b, &ID1, &ID2, VSS_CT_FILEGROUP, "", ""),
			 E_INVALIDARG);
	ck_assert_int_eq(vss_backup_add_component(b, &ID1, &ID2, 7, "", "x"), E_INVALIDARG);
	ck_assert_int_eq(vss_backup_delete_snapshots(b, &ID1, VSS_OBJECT_PROVIDER, 1, NULL,
						     NULL), E_INVALIDARG);
	ck_assert_int_eq(vss_async_query_status(NULL, NULL), E_INVALIDARG);
	ck_assert_int_eq(vss_async_finish(NULL), E_INVALIDARG);
	vss_backup_free(b);
}
END_TEST

START_TEST(sync_calls_and_errors)
{
	vss_backup_t *b = open_b();
	vss_id_t set, snap;
	char *xml = NULL;

	ck_assert_int_eq(vss_backup_set_context(b, VSS_CTX_APP_ROLLBACK), S_OK);
	ck_assert_uint_eq(last_context, VSS_CTX_APP_ROLLBACK);
	ck_assert_int_eq(vss_backup_set_context(b, 0x1234), VSS_E_BAD_STATE);
	ck_assert_str_eq(vss_last_error(), "vss_backup_set_context: VSS_E_BAD_STATE: "
			 "SetContext: VSS_E_BAD_STATE: called twice");
	ck_assert_int_eq(vss_backup_start_snapshot_set(b, &set), S_OK);
	ck_assert(vss_id_equal(&set, &ID2));
	ck_assert_int_eq(vss_backup_add_to_snapshot_set(b, "/mnt/data", NULL, &snap), S_OK);
	ck_assert(vss_id_equal(&snap, &ID1));
	ck_assert_int_eq(vss_backup_add_to_snapshot_set(b, "/mnt/other", &ID2, &snap),
			 VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_backup_save_as_xml(b, &xml), S_OK);
	ck_assert_str_eq(xml, "<BACKUP_COMPONENTS/>");
	free(xml);
	/* restore calls carry the component key and their value */
	ck_assert_int_eq(vss_backup_set_selected_for_restore(b, &ID1, &ID2, VSS_CT_FILEGROUP,
							     "data", "db", true), S_OK);
	ck_assert_int_eq(vss_backup_set_file_restore_status(b, &ID1, &ID2, VSS_CT_FILEGROUP,
							    "data", "db", VSS_RS_FAILED), S_OK);
	ck_assert_int_eq(vss_backup_set_file_restore_status(b, &ID1, &ID2, VSS_CT_FILEGROUP,
							    "data", "db", 7), E_INVALIDARG);
	ck_assert_int_eq(vss_async_finish(NULL), E_INVALIDARG);
	{
		vss_async_t *a;

		ck_assert_int_eq(vss_backup_pre_restore(b, &a), S_OK);
		ck_assert_int_eq(vss_async_finish(a), S_OK);
	}
	/* refused before anything is sent: an empty expose name, a string
	 * that is not UTF-8; the session goes on */
	ck_assert_int_eq(vss_backup_expose_snapshot(b, &ID1, "", NULL), E_INVALIDARG);
	{
		bool sup = true;

		ck_assert_int_eq(vss_backup_is_volume_supported(b, "/tmp/\xff", NULL, &sup),
				 E_INVALIDARG);
		ck_assert_str_eq(vss_last_error(), "vss_backup_is_volume_supported: "
				 "E_INVALIDARG: a string argument is not valid UTF-8");
	}
	/* a message the fake does not know */
	ck_assert_int_eq(vss_backup_revert_to_snapshot(b, &ID1, false), E_NOTIMPL);
	vss_backup_free(b);
}
END_TEST

START_TEST(lists)
{
	vss_backup_t *b = open_b();
	const vss_writer_metadata_t *md;
	const vss_writer_status_t *st;
	vss_writer_status_t *ws;
	vss_snapshot_prop_t *sp, one;
	vss_provider_prop_t *pp;
	vss_id_t inst;
	unsigned n;
	size_t cnt;
	long del;
	vss_id_t nd;

	ck_assert_int_eq(vss_backup_get_writer_metadata_count(b, &n), S_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(vss_backup_get_writer_metadata(b, 1, &inst, &md), S_OK);
	ck_assert(vss_id_equal(&inst, &ID2));
	ck_assert_str_eq(md->writer_name, "beta");
	ck_assert_str_eq(md->instance_name, "");
	ck_assert_str_eq(md->wmd_xml, "<WRITER_METADATA/>");
	ck_assert_int_eq(md->level, VSS_APP_BACK_END);
	ck_assert_int_eq(vss_backup_get_writer_metadata(b, 2, &inst, &md), VSS_E_OBJECT_NOT_FOUND);

	ck_assert_int_eq(vss_backup_get_writer_status_count(b, &n), S_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(vss_backup_get_writer_status(b, 1, &st), S_OK);
	ck_assert_int_eq(vss_backup_get_writer_status(b, 2, &st), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(vss_backup_get_writer_status(b, 1, &st), S_OK);
	ck_assert_int_eq(st->state, VSS_WS_FAILED_AT_FREEZE);
	ck_assert_int_eq(st->failure_hr, VSS_E_WRITERERROR_TIMEOUT);
	ck_assert_ptr_null(st->message);
	ck_assert_int_eq(vss_backup_free_writer_status(b), S_OK);

	ck_assert_int_eq(vss_backup_list_writers(b, &ws, &cnt), S_OK);
	ck_assert_uint_eq(cnt, 2);
	ck_assert_str_eq(ws[0].writer_name, "alpha");
	ck_assert_uint_eq(ws[0].pid, 4242);
	vss_writer_status_array_free(ws, cnt);

	ck_assert_int_eq(vss_backup_query_snapshots(b, &sp, &cnt), S_OK);
	ck_assert_uint_eq(cnt, 2);
	ck_assert_str_eq(sp[0].original_volume_name, "/dev/loop0");
	ck_assert_ptr_null(sp[0].snapshot_device_object);
	ck_assert_str_eq(sp[1].snapshot_device_object, "/dev/loop9");
	vss_snapshot_prop_array_free(sp, cnt);
	ck_assert_int_eq(vss_backup_query_providers(b, &pp, &cnt), S_FALSE);
	ck_assert_uint_eq(cnt, 0);
	vss_provider_prop_array_free(pp, cnt);

	ck_assert_int_eq(vss_backup_get_snapshot_properties(b, &ID1, &one), S_OK);
	ck_assert_str_eq(one.snapshot_device_object, "/dev/loop9");
	ck_assert_int_eq(one.creation_timestamp, 133000000000000000);
	vss_snapshot_prop_clear(&one);
	ck_assert_int_eq(vss_backup_get_snapshot_properties(b, &ID2, &one),
			 VSS_E_OBJECT_NOT_FOUND);

	ck_assert_int_eq(vss_backup_delete_snapshots(b, &ID1, VSS_OBJECT_SNAPSHOT_SET, true,
						     &del, &nd), S_OK);
	ck_assert_int_eq(del, 3);
	ck_assert(vss_id_is_null(&nd));
	ck_assert_int_eq(vss_backup_delete_snapshots(b, &ID1, VSS_OBJECT_SNAPSHOT, false,
						     &del, &nd), VSS_E_OBJECT_NOT_FOUND);
	ck_assert_int_eq(del, 1);
	ck_assert(vss_id_equal(&nd, &ID2));
	vss_backup_free(b);
}
END_TEST

START_TEST(async_done_before_reply)
{
	vss_backup_t *b = open_b();
	vss_async_t *a;
	vss_hr_t st = 0;

	ck_assert_int_eq(vss_backup_prepare_for_backup(b, &a), S_OK);
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_S_ASYNC_FINISHED);
	ck_assert_int_eq(vss_async_wait(a, VSS_INFINITE), S_OK);
	ck_assert_int_eq(vss_async_cancel(a), VSS_S_ASYNC_FINISHED);
	vss_async_free(a);
	vss_backup_free(b);
}
END_TEST

START_TEST(async_timeout_then_done_during_other_call)
{
	vss_backup_t *b = open_b();
	vss_snapshot_prop_t *sp;
	vss_async_t *a;
	vss_hr_t st = 0;
	size_t n;

	ck_assert_int_eq(vss_backup_do_snapshot_set(b, &a), S_OK);
	ck_assert_int_eq(vss_async_wait(a, 30), S_OK);
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_S_ASYNC_PENDING);
	ck_assert_int_eq(vss_async_wait(a, 0), S_OK);
	/* the completion arrives while Query waits for its reply */
	query_sends_done = 7;
	ck_assert_int_eq(vss_backup_query_snapshots(b, &sp, &n), S_OK);
	vss_snapshot_prop_array_free(sp, n);
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_S_ASYNC_FINISHED);
	ck_assert_int_eq(vss_async_finish(a), S_OK);
	vss_backup_free(b);
}
END_TEST

START_TEST(async_failure_and_cancel)
{
	vss_backup_t *b = open_b();
	vss_async_t *a, *c;
	vss_hr_t st = 0;

	ck_assert_int_eq(vss_backup_backup_complete(b, &a), S_OK);
	ck_assert_int_eq(vss_async_wait(a, VSS_INFINITE), VSS_E_UNEXPECTED_WRITER_ERROR);
	ck_assert_str_eq(vss_last_error(), "vss_async_wait: VSS_E_UNEXPECTED_WRITER_ERROR: "
			 "vss_backup_backup_complete failed: writer 'db' did not answer");
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_E_UNEXPECTED_WRITER_ERROR);
	ck_assert_int_eq(vss_async_cancel(a), VSS_E_UNEXPECTED_WRITER_ERROR);
	vss_async_free(a);

	ck_assert_int_eq(vss_backup_do_snapshot_set(b, &c), S_OK);
	ck_assert_int_eq(vss_async_cancel(c), S_OK);
	ck_assert_int_eq(vss_async_wait(c, 5000), S_OK);
	ck_assert_int_eq(vss_async_query_status(c, &st), S_OK);
	ck_assert_int_eq(st, VSS_S_ASYNC_CANCELLED);
	ck_assert_int_eq(vss_async_cancel(c), VSS_S_ASYNC_CANCELLED);
	ck_assert_int_eq(vss_async_finish(c), VSS_S_ASYNC_CANCELLED);

	/* a reply without an operation id */
	ck_assert_int_eq(vss_backup_gather_writer_status(b, &a), VSS_E_UNEXPECTED);
	ck_assert_ptr_null(a);
	vss_backup_free(b);
}
END_TEST

START_TEST(async_outlives_object)
{
	vss_backup_t *b = open_b();
	vss_async_t *a, *p;
	vss_hr_t st = 0;

	ck_assert_int_eq(vss_backup_prepare_for_backup(b, &p), S_OK);
	ck_assert_int_eq(vss_backup_do_snapshot_set(b, &a), S_OK);
	vss_backup_free(b);
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_S_ASYNC_PENDING);
	ck_assert_int_eq(vss_async_wait(a, 10), VSS_E_BAD_STATE);
	ck_assert_int_eq(vss_async_cancel(a), VSS_E_BAD_STATE);
	vss_async_free(a);
	/* p's completion had been recorded but never claimed */
	ck_assert_int_eq(vss_async_query_status(p, &st), S_OK);
	vss_async_free(p);
}
END_TEST

START_TEST(connection_lost)
{
	vss_backup_t *b = open_b();
	vss_async_t *a;
	vss_hr_t st = 0;

	ck_assert_int_eq(vss_backup_do_snapshot_set(b, &a), S_OK);
	ck_assert_int_eq(vss_backup_abort_backup(b), VSS_E_UNEXPECTED);
	ck_assert_str_eq(vss_last_error(), "vss_backup_abort_backup: VSS_E_UNEXPECTED: "
			 "connection to vssd lost: closed by vssd");
	ck_assert_int_eq(vss_backup_set_context(b, 0), VSS_E_UNEXPECTED);
	ck_assert_int_eq(vss_async_wait(a, VSS_INFINITE), VSS_E_UNEXPECTED);
	ck_assert_int_eq(vss_async_query_status(a, &st), S_OK);
	ck_assert_int_eq(st, VSS_E_UNEXPECTED);
	vss_async_free(a);
	vss_backup_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup-client");
	TCase *tc = tcase_create("fake-vssd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, no_daemon);
	tcase_add_test(tc, null_arguments);
	tcase_add_test(tc, sync_calls_and_errors);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, async_done_before_reply);
	tcase_add_test(tc, async_timeout_then_done_during_other_call);
	tcase_add_test(tc, async_failure_and_cancel);
	tcase_add_test(tc, async_outlives_object);
	tcase_add_test(tc, connection_lost);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
