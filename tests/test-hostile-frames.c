/* test-hostile-frames — a catalogue of hostile frames and call sequences
 * sent to a running vssd ($VSS_SOCKET); each must get its clear answer (or
 * a closed connection for broken framing) and vssd must keep serving.
 * Prints one line per case; exits 1 at the first case that misbehaves.
 * With --hold N it only opens N idle connections and holds them until its
 * standard input ends. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "common/proto.h"
#include "common/wire.h"

static const char *sock_path;
static int failures;

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void send_raw(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n && errno != EPIPE && errno != ECONNRESET) {
		perror("send");
		exit(1);
	}
}

static void send_msg(int fd, struct wire_msg *m)
{
	if (wire_msg_finish(m) == 0)
		send_raw(fd, m->buf, m->len);
	wire_msg_free(m);
}

/* Next frame's HR (reply), -1 when the connection was closed, -2 on
 * timeout.  Notifications are skipped. */
static long long next_hr(int fd, struct wire_rx *rx, char *msg, size_t msglen)
{
	for (;;) {
		struct wire_hdr h;
		const uint8_t *p;
		int r = wire_recv(fd, rx, 3000, &h, &p);

		if (r == -ETIMEDOUT)
			return -2;
		if (r < 0)
			return -1;
		if (h.type & WIRE_NOTIFY)
			continue;
		if (msg) {
			char *s = wire_get_str(p, h.len, ATTR_MESSAGE);

			snprintf(msg, msglen, "%s", s ? s : "");
			free(s);
		}
		return (uint32_t)wire_get_u32(p, h.len, ATTR_HR, 0xdeadbeef);
	}
}

static bool closed_now(int fd, struct wire_rx *rx)
{
	return next_hr(fd, rx, NULL, 0) == -1;
}

static void result(const char *name, bool ok, const char *detail)
{
	printf("%-58s %s%s%s\n", name, ok ? "ok" : "FAILED", detail && *detail ? ": " : "",
	       detail ? detail : "");
	if (!ok)
		failures++;
}

/* Expect a reply with hr, then (if closes) the connection closed. */
static void expect(const char *name, int fd, struct wire_rx *rx, vss_hr_t hr, bool closes)
{
	char msg[512] = "";
	long long got = next_hr(fd, rx, msg, sizeof(msg));
	bool ok = got == (uint32_t)hr;

	if (ok && closes)
		ok = closed_now(fd, rx);
	if (ok && VSS_FAILED(hr) && !msg[0])
		ok = false;	/* every refusal explains itself */
	result(name, ok, msg[0] ? msg : (got == -1 ? "connection closed" : got == -2 ? "no answer" : ""));
}

static void hello(int fd, struct wire_rx *rx, int role)
{
	struct wire_msg m;

	wire_msg_init(&m, MSG_HELLO, 1);
	wire_put_u32(&m, ATTR_ROLE, role);
	wire_put_u32(&m, ATTR_PROTO_VERSION, VSS_PROTO_VERSION);
	wire_put_str(&m, ATTR_CLIENT_NAME, "hostile");
	send_msg(fd, &m);
	if (next_hr(fd, rx, NULL, 0) != 0) {
		fprintf(stderr, "hello refused\n");
		exit(1);
	}
}

static void simple(int fd, int code, uint32_t seq)
{
	struct wire_msg m;

	wire_msg_init(&m, code, seq);
	send_msg(fd, &m);
}

/* A frame with a hand-made payload. */
static void frame(int fd, int type, const void *payload, uint32_t len)
{
	uint8_t hdr[WIRE_HDR_SIZE];
	uint32_t magic = WIRE_MAGIC, seq = 5;
	uint16_t ver = WIRE_VERSION, t = (uint16_t)type;

	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &ver, 2);
	memcpy(hdr + 6, &t, 2);
	memcpy(hdr + 8, &seq, 4);
	memcpy(hdr + 12, &len, 4);
	send_raw(fd, hdr, sizeof(hdr));
	if (len && payload)
		send_raw(fd, payload, len);
}

/* --hold N: N idle connections, held until stdin ends. */
static int hold(int n)
{
	char c;

	for (int i = 0; i < n; i++)
		(void)dial();
	printf("holding %d connections\n", n);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	struct wire_rx rx = { 0 };
	struct wire_msg m;
	int fd, stall;
	uint8_t buf[256];

	sock_path = proto_socket_path(NULL);
	if (argc == 3 && strcmp(argv[1], "--hold") == 0)
		return hold(atoi(argv[2]));

	/* ---- framing ---- */
	fd = dial();
	memset(buf, 0xff, 64);
	send_raw(fd, buf, 64);
	result("garbage bytes close the connection", closed_now(fd, &rx), NULL);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	wire_msg_init(&m, MSG_HELLO, 1);
	wire_msg_finish(&m);
	m.buf[4] = 9;	/* version 9 */
	send_raw(fd, m.buf, m.len);
	wire_msg_free(&m);
	result("unknown frame version closes the connection", closed_now(fd, &rx), NULL);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	frame(fd, MSG_HELLO, NULL, 0x7fffffff);
	result("a 2 GiB length closes before any payload", closed_now(fd, &rx), NULL);
	close(fd);
	wire_rx_free(&rx);

	/* a client that stalls in the middle of a frame does not block others */
	stall = dial();
	frame(stall, MSG_HELLO, NULL, 40);	/* promises 40 bytes, sends 2 */
	send_raw(stall, "\1\0", 2);

	fd = dial();
	hello(fd, &rx, ROLE_REQUESTER);
	memcpy(buf, "\x01\x00\x63\x00\x04\x00\x00\x00\x01\x00\x00\x00", 12);	/* kind 99 */
	frame(fd, MSG_SET_CONTEXT, buf, 12);
	expect("an attribute of unknown kind: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	hello(fd, &rx, ROLE_REQUESTER);
	memcpy(buf, "\x34\x00\x04\x00\x02\x00\x00\x00\xc0\xaf", 10);	/* overlong UTF-8 */
	frame(fd, MSG_IS_VOLUME_SUPPORTED, buf, 10);
	expect("invalid UTF-8 in a string: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	hello(fd, &rx, ROLE_REQUESTER);
	memcpy(buf, "\x10\x00\x01\x00\x10\x00\x00\x00", 8);	/* u32 of 16 bytes */
	memset(buf + 8, 0, 16);
	frame(fd, MSG_SET_CONTEXT, buf, 24);
	expect("a u32 attribute of 16 bytes: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	hello(fd, &rx, ROLE_REQUESTER);
	for (int i = 0; i < 10; i++) {	/* ten nested levels, the limit is 8 */
		uint16_t tag = ATTR_WRITER, kind = WIRE_NEST;
		uint32_t len = (uint32_t)((9 - i) * 8);

		memcpy(buf + i * 8, &tag, 2);
		memcpy(buf + i * 8 + 2, &kind, 2);
		memcpy(buf + i * 8 + 4, &len, 4);
	}
	frame(fd, MSG_QUERY, buf, 80);
	expect("nesting deeper than 8: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	/* ---- conversation ---- */
	fd = dial();
	simple(fd, MSG_INIT_BACKUP, 3);
	expect("a call before Hello: VSS_E_BAD_STATE, closed", fd, &rx, VSS_E_BAD_STATE, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	wire_msg_init(&m, MSG_HELLO, 1);
	wire_put_u32(&m, ATTR_ROLE, 7);
	wire_put_u32(&m, ATTR_PROTO_VERSION, VSS_PROTO_VERSION);
	send_msg(fd, &m);
	expect("Hello with an unknown role: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	wire_msg_init(&m, MSG_HELLO, 1);
	wire_put_u32(&m, ATTR_ROLE, ROLE_REQUESTER);
	wire_put_u32(&m, ATTR_PROTO_VERSION, 77);
	send_msg(fd, &m);
	expect("Hello with protocol version 77: E_INVALIDARG, closed", fd, &rx, E_INVALIDARG, true);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	hello(fd, &rx, ROLE_REQUESTER);
	wire_msg_init(&m, MSG_HELLO, 2);
	wire_put_u32(&m, ATTR_ROLE, ROLE_WRITER);
	wire_put_u32(&m, ATTR_PROTO_VERSION, VSS_PROTO_VERSION);
	send_msg(fd, &m);
	expect("a second Hello: VSS_E_BAD_STATE", fd, &rx, VSS_E_BAD_STATE, false);
	simple(fd, 0x3ff, 4);
	expect("an unknown message code: E_INVALIDARG", fd, &rx, E_INVALIDARG, false);
	simple(fd, MSG_WRITER_SUBSCRIBE, 5);
	expect("a writer message from a requester: E_INVALIDARG", fd, &rx, E_INVALIDARG, false);
	frame(fd, MSG_EVENT | WIRE_REPLY, NULL, 0);
	simple(fd, MSG_INIT_BACKUP, 6);
	expect("a reply to nothing is ignored; the next call works", fd, &rx, S_OK, false);
	wire_msg_init(&m, MSG_SET_CONTEXT, 7);
	wire_put_u32(&m, ATTR_CONTEXT, 0x40000000);
	send_msg(fd, &m);
	expect("SetContext with bits a requester may not set", fd, &rx, E_INVALIDARG, false);
	wire_msg_init(&m, MSG_SET_BACKUP_STATE, 8);
	wire_put_u32(&m, ATTR_BACKUP_TYPE, 99);
	send_msg(fd, &m);
	expect("SetBackupState with backup type 99", fd, &rx, E_INVALIDARG, false);
	wire_msg_init(&m, MSG_START_SNAPSHOT_SET, 9);
	send_msg(fd, &m);
	expect("StartSnapshotSet (to try volumes)", fd, &rx, S_OK, false);
	wire_msg_init(&m, MSG_ADD_TO_SNAPSHOT_SET, 10);
	wire_put_str(&m, ATTR_VOLUME, "/");
	send_msg(fd, &m);
	expect("AddToSnapshotSet of / (vssd's own filesystem) refused", fd, &rx,
	       VSS_E_VOLUME_NOT_SUPPORTED, false);
	wire_msg_init(&m, MSG_ADD_TO_SNAPSHOT_SET, 11);
	wire_put_str(&m, ATTR_VOLUME, "/usr/share");
	send_msg(fd, &m);
	expect("AddToSnapshotSet of a directory that is not a mount", fd, &rx,
	       VSS_E_OBJECT_NOT_FOUND, false);
	wire_msg_init(&m, MSG_ADD_TO_SNAPSHOT_SET, 12);
	wire_put_str(&m, ATTR_VOLUME, "/dev/null");
	send_msg(fd, &m);
	expect("AddToSnapshotSet of a character device", fd, &rx, VSS_E_OBJECT_NOT_FOUND, false);
	wire_msg_init(&m, MSG_ADD_TO_SNAPSHOT_SET, 13);
	send_msg(fd, &m);
	expect("AddToSnapshotSet without a volume", fd, &rx, E_INVALIDARG, false);
	wire_msg_init(&m, MSG_ADD_COMPONENT, 14);
	wire_put_u32(&m, ATTR_COMPONENT_TYPE, 7);
	send_msg(fd, &m);
	expect("AddComponent without ids and with type 7", fd, &rx, E_INVALIDARG, false);
	wire_msg_init(&m, MSG_DELETE_SNAPSHOTS, 15);
	wire_put_u32(&m, ATTR_OBJECT_TYPE, 42);
	wire_put_id(&m, ATTR_SOURCE_ID, &VSS_ID_NULL);
	send_msg(fd, &m);
	expect("DeleteSnapshots with object type 42", fd, &rx, E_INVALIDARG, false);
	wire_msg_init(&m, MSG_ASYNC_CANCEL, 16);
	wire_put_u32(&m, ATTR_OP_ID, 12345);
	send_msg(fd, &m);
	expect("Cancel of an operation that does not exist", fd, &rx, VSS_E_OBJECT_NOT_FOUND, false);
	wire_msg_init(&m, MSG_QUERY, 17);
	for (int i = 0; i < 50000; i++)
		wire_put_u32(&m, ATTR_COUNT, (uint32_t)i);	/* 600 KB of attributes */
	send_msg(fd, &m);
	expect("a call with 50000 stray attributes still works", fd, &rx, S_OK, false);
	close(fd);
	wire_rx_free(&rx);

	/* ---- writers and providers ---- */
	fd = dial();
	hello(fd, &rx, ROLE_WRITER);
	simple(fd, MSG_WRITER_SUBSCRIBE, 2);
	expect("Subscribe without a class id", fd, &rx, E_INVALIDARG, false);
	{
		vss_id_t id;

		vss_id_generate(&id);
		wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 3);
		wire_put_id(&m, ATTR_WRITER_ID, &id);
		wire_put_str(&m, ATTR_WRITER_NAME, "hostile");
		wire_put_u32(&m, ATTR_LEVEL, 99);
		send_msg(fd, &m);
		expect("Subscribe with application level 99", fd, &rx, E_INVALIDARG, false);
		wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 3);
		wire_put_id(&m, ATTR_WRITER_ID, &id);
		wire_put_str(&m, ATTR_WRITER_NAME, "hostile");
		wire_put_u32(&m, ATTR_FREEZE_TIMEOUT, 0xffff0000u);
		send_msg(fd, &m);
		expect("Subscribe with a freeze timeout of 49 days", fd, &rx, E_INVALIDARG, false);
		{
			char name[VSS_MAX_NAME_LEN + 2];

			memset(name, 'n', sizeof(name) - 1);
			name[sizeof(name) - 1] = '\0';
			wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 3);
			wire_put_id(&m, ATTR_WRITER_ID, &id);
			wire_put_str(&m, ATTR_WRITER_NAME, name);
			send_msg(fd, &m);
			expect("Subscribe with a name over the maximum", fd, &rx, E_INVALIDARG, false);
		}
		wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 4);
		wire_put_id(&m, ATTR_WRITER_ID, &id);
		wire_put_str(&m, ATTR_WRITER_NAME, "hostile");
		send_msg(fd, &m);
		expect("Subscribe", fd, &rx, S_OK, false);
		wire_msg_init(&m, MSG_WRITER_SUBSCRIBE, 5);
		wire_put_id(&m, ATTR_WRITER_ID, &id);
		wire_put_str(&m, ATTR_WRITER_NAME, "hostile");
		send_msg(fd, &m);
		expect("a second Subscribe", fd, &rx, VSS_E_WRITER_ALREADY_SUBSCRIBED, false);
	}
	simple(fd, MSG_DO_SNAPSHOT_SET, 6);
	expect("a requester call from a writer", fd, &rx, E_INVALIDARG, false);
	close(fd);
	wire_rx_free(&rx);

	fd = dial();
	hello(fd, &rx, ROLE_PROVIDER);
	simple(fd, MSG_PROVIDER_REGISTER, 2);
	expect("RegisterProvider without an id", fd, &rx, E_INVALIDARG, false);
	{
		vss_id_t id;

		vss_id_generate(&id);
		wire_msg_init(&m, MSG_PROVIDER_REGISTER, 3);
		wire_put_id(&m, ATTR_PROVIDER_ID, &id);
		wire_put_str(&m, ATTR_PROVIDER_NAME, "hostile");
		wire_put_u32(&m, ATTR_PROVIDER_TYPE, 99);
		send_msg(fd, &m);
		expect("RegisterProvider with provider type 99", fd, &rx, E_INVALIDARG, false);
	}
	close(fd);
	wire_rx_free(&rx);

	/* A requester that floods calls and never reads its replies: vssd
	 * stops reading it once its replies pile up, serves everyone else
	 * meanwhile (a send never waits for a peer), and disconnects it when
	 * its replies have made no progress for CONN_STALL_MS (5 s). */
	{
		int fl = dial(), other;
		bool eof = false, up;
		long sent = 0, idle = 0;
		char drain[65536];
		struct pollfd hup = { .fd = fl, .events = POLLRDHUP };

		hello(fl, &rx, ROLE_REQUESTER);
		wire_rx_free(&rx);
		wire_msg_init(&m, MSG_GET_WRITER_STATUS, 9);
		wire_msg_finish(&m);
		/* until vssd has taken nothing for 200 ms: it reads no more */
		while (idle < 200) {
			ssize_t n = send(fl, m.buf, m.len, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n < 0) {
				usleep(1000);
				idle++;
				continue;
			}
			idle = 0;
			sent++;
		}
		wire_msg_free(&m);
		other = dial();
		hello(other, &rx, ROLE_REQUESTER);
		simple(other, MSG_INIT_BACKUP, 2);
		expect("another requester is served beside a flooding one", other, &rx, S_OK, false);
		close(other);
		wire_rx_free(&rx);
		/* served without waiting for the flooder: it is still there */
		up = poll(&hup, 1, 0) == 0;
		snprintf((char *)buf, sizeof(buf), "%ld calls sent%s", sent,
			 up ? "" : "; it was disconnected before the other was served");
		result("... while the flooding one is still connected", up, (char *)buf);
		/* without reading, it is disconnected */
		hup.revents = 0;
		(void)poll(&hup, 1, 30000);
		eof = hup.revents & (POLLRDHUP | POLLHUP);
		/* what was queued for it before, then EOF */
		for (int i = 0; i < 2000 && eof; i++) {
			struct pollfd pfd = { .fd = fl, .events = POLLIN };
			ssize_t n;

			if (poll(&pfd, 1, 10) <= 0)
				continue;
			n = recv(fl, drain, sizeof(drain), 0);
			if (n <= 0)
				break;
		}
		result("a requester that never reads is disconnected", eof, (char *)buf);
		close(fl);
	}

	close(stall);
	printf("%s\n", failures ? "some cases FAILED" : "every hostile case answered");
	return failures ? 1 : 0;
}
