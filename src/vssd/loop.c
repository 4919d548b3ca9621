/* loop.c — vssd's one event loop: the listening socket, connections,
 * frames in and out, requests vssd sends (with deadlines), and timers on a
 * single timerfd.  Nothing here blocks: a frame the peer's socket does not
 * take at once waits in the connection's output queue and goes when the
 * socket is writable (a peer that does not read is disconnected after
 * CONN_STALL_MS without progress, and its input is left unread while its
 * queue is over CONN_OUT_HIGH); and nothing a peer sends can crash the
 * loop: frames are validated before they are dispatched, and a peer that
 * breaks the framing is disconnected. */
#include "config.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "vssd/vssd.h"

static int epfd = -1, tfd = -1, sigfd = -1, lfd = -1;
static bool quit;
static struct list_head timers = LIST_HEAD_INIT(timers);
static struct list_head conns = LIST_HEAD_INIT(conns);
static gid_t priv_gid = (gid_t)-1;

struct fdreg {
	int fd;
	void (*fn)(int fd, uint32_t events, void *arg);
	void *arg;
};

/* ------------------------------------------------------------ timers */

static void timers_rearm(void)
{
	struct itimerspec its = { 0 };

	if (!list_empty(&timers)) {
		struct timer *t = list_entry(timers.next, struct timer, link);
		uint64_t now = mono_ms();
		uint64_t d = t->when > now ? t->when - now : 0;

		/* 0 would disarm: fire in 1 µs instead. */
		its.it_value.tv_sec = d / 1000;
		its.it_value.tv_nsec = (d % 1000) * 1000000 + (d ? 0 : 1000);
	}
	timerfd_settime(tfd, 0, &its, NULL);
}

void timer_arm(struct timer *t, uint32_t ms)
{
	struct timer *pos;

	if (t->armed)
		list_del(&t->link);
	t->when = mono_ms() + ms;
	t->armed = true;
	list_for_each_entry(pos, &timers, link)
		if (pos->when > t->when)
			break;
	list_add_between(&t->link, pos->link.prev, &pos->link);
	timers_rearm();
}

void timer_cancel(struct timer *t)
{
	if (!t->armed)
		return;
	list_del(&t->link);
	t->armed = false;
	timers_rearm();
}

static void timers_run(int fd, uint32_t events, void *arg)
{
	uint64_t exp;
	uint64_t now = mono_ms();

	if (read(fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		log_err("timerfd: %m");
	while (!list_empty(&timers)) {
		struct timer *t = list_entry(timers.next, struct timer, link);

		if (t->when > now)
			break;
		list_del(&t->link);
		t->armed = false;
		t->fn(t);
	}
	timers_rearm();
}

/* ------------------------------------------------------------ fds */

/* The registration struct is found through a lookup table of live fds so
 * that it can be freed when the fd goes. */
static struct fdreg **regs;
static size_t nregs;

static struct fdreg **reg_find(int fd)
{
	for (size_t i = 0; i < nregs; i++)
		if (regs[i] && regs[i]->fd == fd)
			return &regs[i];
	return NULL;
}

static struct fdreg *reg_take(int fd)
{
	struct fdreg **slot = reg_find(fd), *r = slot ? *slot : NULL;

	if (slot)
		*slot = NULL;
	return r;
}

static int loop_add(int fd, void (*fn)(int, uint32_t, void *), void *arg)
{
	struct fdreg *r = calloc(1, sizeof(*r)), **nr;
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	if (!r)
		return -ENOMEM;
	for (i = 0; i < nregs && regs[i]; i++)
		;
	if (i == nregs) {
		nr = realloc(regs, (nregs + 16) * sizeof(*regs));
		if (!nr) {
			free(r);
			return -ENOMEM;
		}
		regs = nr;
		memset(regs + nregs, 0, 16 * sizeof(*regs));
		nregs += 16;
	}
	r->fd = fd;
	r->fn = fn;
	r->arg = arg;
	ev.data.ptr = r;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(r);
		return -errno;
	}
	regs[i] = r;
	return 0;
}

int loop_add_fd(int fd, void (*fn)(int fd, uint32_t events, void *arg), void *arg)
{
	return loop_add(fd, fn, arg);
}

/* Watch fd for events instead (EPOLLIN, EPOLLOUT); hang-ups and errors
 * are always reported. */
static int loop_mod(int fd, uint32_t events)
{
	struct fdreg **slot = reg_find(fd);
	struct epoll_event ev = { .events = events };

	if (!slot)
		return -ENOENT;
	ev.data.ptr = *slot;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* Registrations removed while an epoll batch is being handled are freed
 * after the batch, so a stale event never touches freed memory. */
static struct fdreg **grave;
static size_t ngrave, capgrave;

static void grave_flush(void)
{
	while (ngrave)
		free(grave[--ngrave]);
}

void loop_del_fd(int fd)
{
	struct fdreg *r = reg_take(fd);

	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	if (!r)
		return;
	r->fn = NULL;
	if (ngrave == capgrave) {
		struct fdreg **ng = realloc(grave, (capgrave + 16) * sizeof(*grave));

		if (!ng) {
			/* leak one small struct rather than risk a stale use */
			return;
		}
		grave = ng;
		capgrave += 16;
	}
	grave[ngrave++] = r;
}

/* ------------------------------------------------------------ conns */

void conn_ref(struct conn *c)
{
	c->refs++;
}

void conn_unref(struct conn *c)
{
	if (!c || --c->refs > 0)
		return;
	wire_rx_free(&c->rx);
	free(c->name);
	free(c);
}

static void pending_free_fail(struct pending *pd, vss_hr_t hr)
{
	reply_fn fn = pd->fn;
	void *ctx = pd->ctx;
	struct conn *c = pd->conn;

	list_del(&pd->link);
	timer_cancel(&pd->timer);
	free(pd);
	fn(ctx, c, hr, NULL, NULL);
}

static void pending_timeout(struct timer *t)
{
	struct pending *pd = container_of(t, struct pending, timer);

	log_debug("%s: request seq %u timed out", pd->conn->name, pd->seq);
	pending_free_fail(pd, VSS_E_WRITER_NOT_RESPONDING);
}

/* The peer does not take what it is sent (no progress for CONN_STALL_MS,
 * or its queue cannot grow): it must not hold vssd's memory or its
 * replies for ever.  The socket is shut down; the loop sees the hang-up
 * and closes the connection (not here: a caller may be walking a list
 * the close would change). */
static void conn_stall(struct conn *c, const char *why)
{
	if (c->stalled || c->dead)
		return;
	log_warn("%s: %s: disconnecting", c->name, why);
	shutdown(c->fd, SHUT_RDWR);
	c->stalled = true;
	timer_cancel(&c->out_timer);
}

static void out_timeout(struct timer *t)
{
	conn_stall(container_of(t, struct conn, out_timer),
		   "does not read its messages");
}

static void hello_timeout(struct timer *t)
{
	conn_stall(container_of(t, struct conn, hello_timer), "no Hello within 10 s");
}

/* What epoll watches: input unless the output queue is over its high
 * mark, output while anything is queued. */
static void conn_watch(struct conn *c)
{
	uint32_t ev = (c->out_len > CONN_OUT_HIGH ? 0 : EPOLLIN) |
		      (c->out_len ? EPOLLOUT : 0);

	if (c->dead || ev == c->events)
		return;
	if (loop_mod(c->fd, ev) < 0) {
		conn_stall(c, "cannot watch its socket");
		return;
	}
	c->events = ev;
}

/* Send what the socket takes now, from the queue first.  0 or -errno
 * (the connection is then stalled). */
static int conn_push(struct conn *c, const uint8_t *buf, size_t len)
{
	bool moved = false;

	while (c->out_len || len) {
		const uint8_t *p = c->out_len ? c->out + c->out_off : buf;
		size_t n = c->out_len ? c->out_len : len;
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			k = -errno;
			if (k == -EPIPE || k == -ECONNRESET) {
				/* the peer went: the loop sees its hang-up */
				log_debug("%s: gone before reading all it was sent", c->name);
				c->stalled = true;
				timer_cancel(&c->out_timer);
			} else {
				log_warn("%s: send failed: %s", c->name, strerror((int)-k));
				conn_stall(c, "its socket failed");
			}
			return (int)k;
		}
		moved = true;
		if (c->out_len) {
			c->out_off += (size_t)k;
			c->out_len -= (size_t)k;
			if (!c->out_len)
				c->out_off = 0;
		} else {
			buf += k;
			len -= (size_t)k;
		}
	}
	if (len) {
		/* queue the rest, after what is queued */
		if (c->out_off + c->out_len + len > c->out_cap) {
			if (c->out_off) {
				memmove(c->out, c->out + c->out_off, c->out_len);
				c->out_off = 0;
			}
			if (c->out_len + len > c->out_cap) {
				size_t cap = (c->out_len + len) * 2;
				uint8_t *o = realloc(c->out, cap);

				if (!o) {
					conn_stall(c, "out of memory for its messages");
					return -ENOMEM;
				}
				c->out = o;
				c->out_cap = cap;
			}
		}
		memcpy(c->out + c->out_off + c->out_len, buf, len);
		c->out_len += len;
	}
	if (!c->out_len) {
		timer_cancel(&c->out_timer);
		if (c->out_cap > CONN_OUT_HIGH) {	/* a big reply went */
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	} else if (moved || !c->out_timer.armed) {
		c->out_timer.fn = out_timeout;
		timer_arm(&c->out_timer, CONN_STALL_MS);
	}
	conn_watch(c);
	return 0;
}

int conn_send(struct conn *c, struct wire_msg *m)
{
	uint16_t type;
	uint32_t seq;
	int r;

	if (c->dead || c->stalled)
		return -EPIPE;
	r = wire_msg_finish(m);
	if (r < 0 && wire_msg_header(m, &type, &seq) == 0 && (type & WIRE_REPLY)) {
		/* A reply that cannot go as built (over the frame limit: say
		 * writers' names and documents add up past 16 MiB) goes as an
		 * error, or the caller would wait for it for ever. */
		struct wire_msg e;

		log_warn("%s: reply to %s not sent (%s): answering with an error", c->name,
			 proto_msg_name(type & ~WIRE_REPLY), strerror(-r));
		reply_init(&e, type & ~WIRE_REPLY, seq, r == -ENOMEM ? E_OUTOFMEMORY : VSS_E_UNEXPECTED,
			   r == -EMSGSIZE ? "the reply would be over the protocol's frame limit "
			   "(16 MiB)" : r == -ENOMEM ? "out of memory" :
			   r == -EILSEQ ? "a string of the reply is not valid UTF-8" :
			   "the reply cannot be built");
		r = wire_msg_finish(&e);
		if (!r)
			r = conn_push(c, e.buf, e.len);
		wire_msg_free(&e);
		return r;
	}
	if (r < 0) {
		log_warn("%s: message not sent: %s", c->name, strerror(-r));
		return r;
	}
	return conn_push(c, m->buf, m->len);
}

int conn_request(struct conn *c, struct wire_msg *m, uint32_t timeout_ms,
		 reply_fn fn, void *ctx)
{
	struct pending *pd;
	int r;

	if (c->dead || c->stalled)
		return -EPIPE;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pd->seq = ++c->next_seq;
	/* patch the seq into the frame header built with seq 0 */
	m->buf[8] = pd->seq;
	m->buf[9] = pd->seq >> 8;
	m->buf[10] = pd->seq >> 16;
	m->buf[11] = pd->seq >> 24;
	r = conn_send(c, m);
	if (r < 0) {
		free(pd);
		return r;
	}
	pd->conn = c;
	pd->fn = fn;
	pd->ctx = ctx;
	pd->timer.fn = pending_timeout;
	list_add_tail(&pd->link, &c->pending);
	timer_arm(&pd->timer, timeout_ms);
	return 0;
}

void reply_init(struct wire_msg *m, int code, uint32_t seq, vss_hr_t hr, const char *msg)
{
	wire_msg_init(m, code | WIRE_REPLY, seq);
	wire_put_u32(m, ATTR_HR, (uint32_t)hr);
	if (msg && *msg)
		wire_put_str(m, ATTR_MESSAGE, msg);
}

void conn_reply_hr(struct conn *c, int code, uint32_t seq, vss_hr_t hr)
{
	struct wire_msg m;

	reply_init(&m, code, seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	conn_send(c, &m);
	wire_msg_free(&m);
}

static void conn_process(struct conn *c);

void conn_defer(struct conn *c, int code, uint32_t seq)
{
	c->deferred = true;
	c->deferred_code = code;
	c->deferred_seq = seq;
}

void conn_complete_deferred(struct conn *c, struct wire_msg *m)
{
	if (!c->deferred)
		return;
	c->deferred = false;
	conn_send(c, m);
	if (!c->dead)
		conn_process(c);
}

void conn_close(struct conn *c)
{
	struct pending *pd, *n;

	if (c->dead)
		return;
	c->dead = true;
	timer_cancel(&c->out_timer);
	timer_cancel(&c->hello_timer);
	loop_del_fd(c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->out_len)
		log_debug("%s: %zu bytes of output not taken", c->name, c->out_len);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	list_del(&c->link);
	log_debug("%s: disconnected", c->name);
	list_for_each_entry_safe(pd, n, &c->pending, link)
		pending_free_fail(pd, VSS_E_WRITER_NOT_RESPONDING);
	if (c->writer)
		writer_gone(c);
	if (c->provider)
		provider_gone(c);
	if (c->session) {
		struct session *s = c->session;

		c->session = NULL;
		s->conn = NULL;
		session_release(s);
	}
	conn_unref(c);		/* the loop's reference */
}

static bool uid_in_group(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (want == (gid_t)-1)
		return false;
	if (gid == want)
		return true;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

static void hello(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	struct wire_msg m;
	uint32_t role = wire_get_u32(p, h->len, ATTR_ROLE, 0);
	uint32_t ver = wire_get_u32(p, h->len, ATTR_PROTO_VERSION, 0);
	char *name = wire_get_str(p, h->len, ATTR_CLIENT_NAME);
	vss_hr_t hr = S_OK;

	vsserr_context("Hello");

	if (ver != VSS_PROTO_VERSION)
		hr = VSSERR(E_INVALIDARG, "protocol version %u not supported (this is %u)",
			    ver, VSS_PROTO_VERSION);
	else if (role != ROLE_REQUESTER && role != ROLE_WRITER && role != ROLE_PROVIDER)
		hr = VSSERR(E_INVALIDARG, "unknown role %u", role);
	else if (role != ROLE_WRITER && !c->privileged)
		hr = VSSERR(E_ACCESSDENIED,
			    "uid %u may not act as %s: root or group %s required",
			    (unsigned)c->uid, role == ROLE_REQUESTER ? "requester" : "provider",
			    cfg.group ? cfg.group : "(none)");
	if (VSS_SUCCEEDED(hr)) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s[%d]", name ? name : "client", (int)c->pid);
		free(c->name);
		c->name = strdup(buf);
		if (!c->name)
			hr = VSSERR(E_OUTOFMEMORY, "out of memory");
	}
	free(name);
	reply_init(&m, MSG_HELLO, h->seq, hr, VSS_FAILED(hr) ? vss_last_error() : NULL);
	wire_put_str(&m, ATTR_SERVER_VERSION, "vssd " PACKAGE_VERSION);
	conn_send(c, &m);
	wire_msg_free(&m);
	vsserr_context(NULL);
	if (VSS_FAILED(hr)) {
		log_warn("%s: hello refused: %s", c->name, vss_last_error());
		conn_close(c);
		return;
	}
	c->role = (int)role;
	timer_cancel(&c->hello_timer);
	log_debug("%s: hello as %s", c->name,
		  role == ROLE_REQUESTER ? "requester" : role == ROLE_WRITER ? "writer" : "provider");
	if (role == ROLE_REQUESTER)
		session_new(c);
}

static void dispatch(struct conn *c, const struct wire_hdr *h, const uint8_t *p)
{
	int code = WIRE_CODE(h->type);

	if (h->type & WIRE_REPLY) {
		struct pending *pd;

		list_for_each_entry(pd, &c->pending, link) {
			if (pd->seq == h->seq) {
				reply_fn fn = pd->fn;
				void *ctx = pd->ctx;

				list_del(&pd->link);
				timer_cancel(&pd->timer);
				free(pd);
				fn(ctx, c, S_OK, h, p);
				return;
			}
		}
		log_debug("%s: late or stray reply seq %u ignored", c->name, h->seq);
		return;
	}
	if (h->type & WIRE_NOTIFY) {
		if (c->role == ROLE_PROVIDER)
			provider_handle(c, h, p);
		return;
	}
	if (c->role == 0) {
		if (code == MSG_HELLO) {
			hello(c, h, p);
			return;
		}
		vsserr_set(proto_msg_name(code), VSS_E_BAD_STATE, "the first message must be Hello");
		conn_reply_hr(c, code, h->seq, VSS_E_BAD_STATE);
		conn_close(c);
		return;
	}
	if (code == MSG_HELLO) {
		vsserr_set("Hello", VSS_E_BAD_STATE, "second Hello on a connection");
		conn_reply_hr(c, code, h->seq, VSS_E_BAD_STATE);
		return;
	}
	vsserr_context(proto_msg_name(code));
	switch (c->role) {
	case ROLE_REQUESTER:
		session_handle(c, h, p);
		break;
	case ROLE_WRITER:
		writer_handle(c, h, p);
		break;
	case ROLE_PROVIDER:
		provider_handle(c, h, p);
		break;
	}
	vsserr_context(NULL);
}

static void conn_process(struct conn *c)
{
	conn_ref(c);
	while (!c->dead && !c->deferred && !c->stalled && c->out_len <= CONN_OUT_HIGH) {
		struct wire_hdr h;
		const uint8_t *p;
		int r = wire_rx_next(&c->rx, &h, &p);

		if (r == 0)
			break;
		if (r < 0) {
			/* Framing is broken: say why if a seq is known, then
			 * close (the stream cannot be resynchronised). */
			log_warn("%s: bad frame (%s): disconnecting", c->name,
				 r == -EPROTO ? "bad magic or version" :
				 r == -EMSGSIZE ? "oversized" : "malformed payload");
			if (r == -EBADMSG) {
				vsserr_set("Frame", E_INVALIDARG, "malformed message payload");
				conn_reply_hr(c, WIRE_CODE(h.type), h.seq, E_INVALIDARG);
			}
			conn_close(c);
			break;
		}
		dispatch(c, &h, p);
	}
	conn_unref(c);
}

static void conn_io(int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	if (c->stalled) {
		conn_close(c);
		return;
	}
	if (events & EPOLLOUT) {
		bool held = c->out_len > CONN_OUT_HIGH;

		if (conn_push(c, NULL, 0) < 0 || c->stalled) {
			conn_close(c);
			return;
		}
		/* the queue fell under its mark: frames already received
		 * go on being handled */
		if (held && c->out_len <= CONN_OUT_HIGH)
			conn_process(c);
		if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			return;
	}
	if (c->out_len > CONN_OUT_HIGH && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	n = wire_rx_fill(fd, &c->rx);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	conn_process(c);
}

static void do_accept(int fd, uint32_t events, void *arg);

/* An unprivileged uid (any user may be a writer) has CONN_MAX_PER_UID
 * connections already: one user must not take every descriptor vssd has.
 * Said at most once a second. */
static bool too_many(uid_t uid)
{
	static uint64_t said;
	struct conn *c;
	unsigned n = 0;

	list_for_each_entry(c, &conns, link)
		if (c->uid == uid && !c->privileged)
			n++;
	if (n < CONN_MAX_PER_UID)
		return false;
	if (mono_ms() - said >= 1000) {
		said = mono_ms();
		log_warn("uid %u already has %u connections: refusing more",
			 (unsigned)uid, n);
	}
	return true;
}

/* Out of descriptors (or memory) to accept with: the listening socket,
 * which stays readable, is left alone for a while instead of waking the
 * loop at once again and again (a spin that starved everyone else). */
static struct timer accept_pause;

static void accept_resume(struct timer *t)
{
	(void)t;
	if (loop_add(lfd, do_accept, NULL) < 0)
		timer_arm(&accept_pause, 200);
}

static void do_accept(int fd, uint32_t events, void *arg)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct conn *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	char buf[64];

	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_warn("cannot accept a connection: %m; not accepting for 200 ms");
			loop_del_fd(fd);
			accept_pause.fn = accept_resume;
			timer_arm(&accept_pause, 200);
		}
		return;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	snprintf(buf, sizeof(buf), "pid %d", (int)cr.pid);
	if (!c || !(c->name = strdup(buf))) {
		free(c);
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	c->privileged = cr.uid == 0 || cr.uid == geteuid() ||
			uid_in_group(cr.uid, cr.gid, priv_gid);
	c->refs = 1;
	c->events = EPOLLIN;
	list_init(&c->pending);
	if (!c->privileged && too_many(cr.uid)) {
		conn_unref(c);
		close(cfd);
		return;
	}
	if (loop_add(cfd, conn_io, c) < 0) {
		conn_unref(c);
		close(cfd);
		return;
	}
	list_add_tail(&c->link, &conns);
	/* a connection that never says Hello must not hold a descriptor
	 * (idle connections would otherwise use up vssd's, and nobody
	 * could connect) */
	c->hello_timer.fn = hello_timeout;
	timer_arm(&c->hello_timer, CONN_HELLO_MS);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %d: shutting down", (int)si.ssi_signo);
		quit = true;
	}
}

void loop_quit(void)
{
	quit = true;
}

int loop_listen(void);
int loop_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = cfg.socket_path;
	char *dir, *slash;
	sigset_t ss;

	if (cfg.group) {
		struct group *gr = getgrnam(cfg.group);

		if (gr)
			priv_gid = gr->gr_gid;
		else
			log_warn("group %s does not exist: only root may request", cfg.group);
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("cannot create %s: %m", dir);
	}
	free(dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	/* A stale socket from a dead vssd is replaced; a live one is not. */
	if (connect(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		log_err("another vssd is listening on %s", path);
		close(lfd);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(lfd, 128) < 0) {
		int e = errno;

		log_err("cannot listen on %s: %s", path, strerror(e));
		close(lfd);
		return -e;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || tfd < 0 || sigfd < 0)
		return -errno;
	if (loop_add(lfd, do_accept, NULL) || loop_add(tfd, timers_run, NULL) ||
	    loop_add(sigfd, on_signal, NULL))
		return -ENOMEM;
	return 0;
}

int loop_run(void);
int loop_run(void)
{
	struct epoll_event evs[64];

	while (!quit) {
		int n = epoll_wait(epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %m");
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct fdreg *r = evs[i].data.ptr;

			if (r->fn)
				r->fn(r->fd, evs[i].events, r->arg);
		}
		grave_flush();
	}
	return 0;
}

void loop_shutdown(void);
void loop_shutdown(void)
{
	struct conn *c, *n;

	list_for_each_entry_safe(c, n, &conns, link)
		conn_close(c);
	if (lfd >= 0) {
		unlink(cfg.socket_path);
		close(lfd);
	}
}
