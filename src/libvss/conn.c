/* conn.c — a served client connection to vssd (see conn.h). */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common/util.h"
#include "libvss/conn.h"

/* A conn_call() waiting for its reply. */
struct waiter {
	uint32_t seq;
	bool done;
	int err;
	struct conn_reply *reply;
	struct waiter *next;
};

struct conn {
	int fd;
	struct conn_ops ops;
	void *user;
	pthread_mutex_t send_lock;
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t cond;
	uint32_t next_seq;
	struct waiter *waiters;
	/* Workers: one thread per request being served, kept for the next
	 * ones (see dispatch_request). */
	pthread_cond_t work_cond;
	struct conn_req *queue, *queue_tail;
	unsigned workers;		/* threads, busy or idle */
	unsigned idle;			/* waiting and not yet handed a request */
	unsigned wakeups;		/* handed requests, not yet woken */
	bool stopping;			/* conn_close: idle workers exit */
	bool dead;
	bool closing;
	pthread_t rx_thread;
	/* The real-time worker (ops.rt_code != 0): serves the requests of
	 * that code at SCHED_FIFO, one at a time (see dispatch_request). */
	bool rt;
	pthread_t rt_thread;
	pthread_cond_t rt_cond;
	struct conn_req *rt_req;	/* handed to it, not yet taken */
	bool rt_busy;			/* handed or serving */
};

#define POOL_IDLE_MAX	4	/* idle workers kept */
#define POOL_IDLE_MS	10000	/* an idle worker's life */
#define RT_PRIO		1	/* the lowest real-time priority, as vssd's */

void conn_reply_clear(struct conn_reply *r)
{
	free(r->payload);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

void conn_req_free(struct conn_req *req)
{
	if (!req)
		return;
	free(req->payload);
	free(req);
}

bool conn_alive(struct conn *c)
{
	bool alive;

	pthread_mutex_lock(&c->lock);
	alive = !c->dead;
	pthread_mutex_unlock(&c->lock);
	return alive;
}

int conn_send(struct conn *c, struct wire_msg *m)
{
	int r;

	pthread_mutex_lock(&c->send_lock);
	r = wire_send(c->fd, m);
	pthread_mutex_unlock(&c->send_lock);
	return r;
}

void conn_reply_init(struct wire_msg *m, const struct conn_req *req, vss_hr_t hr)
{
	wire_msg_init(m, req->code | WIRE_REPLY, req->seq);
	wire_put_u32(m, ATTR_HR, (uint32_t)hr);
}

static void patch_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void conn_reply_set_hr(struct wire_msg *m, vss_hr_t hr)
{
	/* header, then tag u16, kind u16, len u32, value */
	if (!m->err && m->len >= WIRE_HDR_SIZE + 12)
		patch_le32(m->buf + WIRE_HDR_SIZE + 8, (uint32_t)hr);
}

int conn_reply_hr(const struct conn_req *req, vss_hr_t hr, const char *msg)
{
	struct wire_msg m;
	int r;

	conn_reply_init(&m, req, hr);
	wire_put_str(&m, ATTR_MESSAGE, msg);
	r = conn_send(req->conn, &m);
	wire_msg_free(&m);
	return r;
}

/* A worker serves queued requests; then it waits to be handed one
 * (dispatch_request) for up to POOL_IDLE_MS, or exits. */
static void *worker_main(void *arg)
{
	struct conn *c = arg;

	pthread_setname_np(pthread_self(), "vss-conn-work");
	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct conn_req *req = c->queue;
		struct timespec ts;
		int t = 0;

		if (req) {
			c->queue = req->next;
			if (!c->queue)
				c->queue_tail = NULL;
			pthread_mutex_unlock(&c->lock);
			c->ops.request(c->user, req);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (c->stopping || c->idle >= POOL_IDLE_MAX)
			break;
		c->idle++;
		conn_mono_ts(&ts, mono_ms() + POOL_IDLE_MS);
		while (!c->wakeups && !c->stopping && t != ETIMEDOUT)
			t = pthread_cond_timedwait(&c->work_cond, &c->lock, &ts);
		if (c->wakeups) {
			c->wakeups--;		/* dispatch took us off idle */
			continue;
		}
		c->idle--;
		break;
	}
	c->workers--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Threads of a real-time conn: the receive thread and the real-time
 * worker at SCHED_FIFO priority RT_PRIO; the pool's workers explicitly at
 * SCHED_OTHER (by default a thread inherits its creator's policy, and the
 * receive thread creates them).  Others inherit the caller's. */
static int thread_start(pthread_t *t, void *(*fn)(void *), void *arg, bool detach,
			int policy)
{
	struct sched_param sp = { .sched_priority = policy == SCHED_FIFO ? RT_PRIO : 0 };
	pthread_attr_t attr;
	int r;

	pthread_attr_init(&attr);
	if (detach)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (policy >= 0) {
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, policy);
		pthread_attr_setschedparam(&attr, &sp);
	}
	r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return r;
}

static void *probe_main(void *arg)
{
	return arg;
}

int conn_rt_allowed(void)
{
	pthread_t t;
	int r = thread_start(&t, probe_main, NULL, false, SCHED_FIFO);

	if (!r)
		pthread_join(t, NULL);
	return -r;
}

/* The real-time worker: serves what dispatch_request hands it until
 * conn_close, and what was handed before that. */
static void *rt_main(void *arg)
{
	struct conn *c = arg;

	pthread_setname_np(pthread_self(), "vss-conn-rt");
	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct conn_req *req = c->rt_req;

		if (req) {
			c->rt_req = NULL;
			pthread_mutex_unlock(&c->lock);
			c->ops.request(c->user, req);
			pthread_mutex_lock(&c->lock);
			c->rt_busy = false;
			continue;
		}
		if (c->stopping)
			break;
		pthread_cond_wait(&c->rt_cond, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Stops the real-time worker once it has served what it was handed; the
 * receive thread hands it nothing more (joined, or never started). */
static void rt_stop(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->rt_cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->rt_thread, NULL);
}

/* Every request gets a worker of its own at once, as a thread per request
 * would (a callback may block until a later request, e.g. an abort,
 * comes): an idle one if there is one, else a new thread.  Creating a
 * thread for each request put a clone and, in a daemon that has locked
 * its memory (vss-cowd), a new stack to fault in on the path of every
 * call, CommitSnapshots inside the hold window included. */
static void dispatch_request(struct conn *c, const struct wire_hdr *h, const uint8_t *pl)
{
	struct conn_req *req = calloc(1, sizeof(*req));
	pthread_t t;
	int r = 0;

	if (!req)
		goto nomem;
	req->conn = c;
	req->code = WIRE_CODE(h->type);
	req->seq = h->seq;
	req->len = h->len;
	req->payload = malloc(h->len ? h->len : 1);
	if (!req->payload)
		goto nomem;
	memcpy(req->payload, pl, h->len);
	pthread_mutex_lock(&c->lock);
	/* the real-time worker, if it is free; else, as any request, the
	 * pool (a second one at once is not held up by the first) */
	if (c->rt && req->code == c->ops.rt_code && !c->rt_busy) {
		c->rt_busy = true;
		c->rt_req = req;
		pthread_cond_signal(&c->rt_cond);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	/* a worker first (the lock keeps a new one off the queue until the
	 * request is on it), then the request */
	if (c->idle) {
		c->idle--;
		c->wakeups++;
		pthread_cond_signal(&c->work_cond);
	} else {
		r = thread_start(&t, worker_main, c, true, c->rt ? SCHED_OTHER : -1);
		if (r == 0)
			c->workers++;
	}
	if (r == 0) {
		if (c->queue_tail)
			c->queue_tail->next = req;
		else
			c->queue = req;
		c->queue_tail = req;
	}
	pthread_mutex_unlock(&c->lock);
	if (r == 0)
		return;
nomem:
	{
		struct conn_req tmp = { .conn = c, .code = WIRE_CODE(h->type), .seq = h->seq };

		conn_reply_hr(&tmp, E_OUTOFMEMORY, "no memory or thread to serve the request");
	}
	conn_req_free(req);
}

static void deliver_reply(struct conn *c, const struct wire_hdr *h, const uint8_t *pl)
{
	struct waiter *w;

	pthread_mutex_lock(&c->lock);
	for (w = c->waiters; w; w = w->next)
		if (w->seq == h->seq && !w->done)
			break;
	if (w) {
		struct conn_reply *r = w->reply;

		r->code = WIRE_CODE(h->type);
		r->len = h->len;
		r->payload = malloc(h->len ? h->len : 1);
		if (r->payload) {
			memcpy(r->payload, pl, h->len);
			r->hr = (vss_hr_t)wire_get_u32(pl, h->len, ATTR_HR,
						       (uint32_t)E_UNEXPECTED);
			r->message = wire_get_str(pl, h->len, ATTR_MESSAGE);
		} else {
			w->err = -ENOMEM;
		}
		w->done = true;
		pthread_cond_broadcast(&c->cond);
	}
	/* A reply to nothing (a call that timed out) is dropped. */
	pthread_mutex_unlock(&c->lock);
}

static void *rx_main(void *arg)
{
	struct conn *c = arg;
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *pl;
	bool notify;
	int r;

	pthread_setname_np(pthread_self(), "vss-conn-rx");
	for (;;) {
		r = wire_recv(c->fd, &rx, -1, &h, &pl);
		if (r != 1)
			break;
		if (h.type & WIRE_REPLY)
			deliver_reply(c, &h, pl);
		else if (!(h.type & WIRE_NOTIFY))
			dispatch_request(c, &h, pl);
		/* Notifications from vssd carry nothing a writer or provider
		 * needs yet; they are ignored. */
	}
	wire_rx_free(&rx);
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	notify = !c->closing;
	for (struct waiter *w = c->waiters; w; w = w->next)
		if (!w->done) {
			w->done = true;
			w->err = -ECONNRESET;
		}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (notify && c->ops.closed)
		c->ops.closed(c->user, r < 0 ? r : -ECONNRESET);
	return NULL;
}

static void cond_init_mono(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

void conn_client_init(struct conn_client *cl)
{
	memset(cl, 0, sizeof(*cl));
	pthread_mutex_init(&cl->api_lock, NULL);
	pthread_mutex_init(&cl->lock, NULL);
	cond_init_mono(&cl->cond);
}

void conn_client_destroy(struct conn_client *cl)
{
	pthread_cond_destroy(&cl->cond);
	pthread_mutex_destroy(&cl->lock);
	pthread_mutex_destroy(&cl->api_lock);
	free(cl->socket);
	cl->socket = NULL;
}

int conn_client_set_socket(struct conn_client *cl, const char *path)
{
	char *s = NULL;

	if (path && !(s = strdup(path)))
		return -ENOMEM;
	pthread_mutex_lock(&cl->lock);
	free(cl->socket);
	cl->socket = s;
	pthread_mutex_unlock(&cl->lock);
	return 0;
}

/* The locks a real-time thread shares with the others inherit its
 * priority while they hold them: a worker at SCHED_OTHER sending a long
 * reply must not keep the real-time worker's reply waiting behind every
 * other thread of the process. */
static void mutex_init_pi(pthread_mutex_t *m, bool pi)
{
	pthread_mutexattr_t ma;

	pthread_mutexattr_init(&ma);
	if (pi)
		pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(m, &ma);
	pthread_mutexattr_destroy(&ma);
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	pthread_cond_destroy(&c->rt_cond);
	pthread_cond_destroy(&c->work_cond);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->send_lock);
	free(c);
}

int conn_open(struct conn **out, const char *socket, enum vss_role role,
	      const char *client_name, const struct conn_ops *ops, void *user,
	      vss_hr_t *hr, char *msg, size_t msglen)
{
	struct conn *c;
	int fd, r;

	*out = NULL;
	fd = proto_connect(socket, role, client_name, hr, msg, msglen);
	if (fd < 0)
		return fd;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->ops = *ops;
	c->user = user;
	c->rt = ops->rt_code != 0;
	c->next_seq = 2;	/* 1 was the hello */
	mutex_init_pi(&c->send_lock, c->rt);
	mutex_init_pi(&c->lock, c->rt);
	cond_init_mono(&c->cond);
	cond_init_mono(&c->work_cond);
	pthread_cond_init(&c->rt_cond, NULL);
	if (c->rt) {
		r = thread_start(&c->rt_thread, rt_main, c, false, SCHED_FIFO);
		if (r) {
			conn_free(c);
			return -r;
		}
	}
	r = thread_start(&c->rx_thread, rx_main, c, false, c->rt ? SCHED_FIFO : -1);
	if (r) {
		if (c->rt)
			rt_stop(c);
		conn_free(c);
		return -r;
	}
	*out = c;
	return 0;
}

void conn_mono_ts(struct timespec *ts, uint64_t at_ms)
{
	ts->tv_sec = (time_t)(at_ms / 1000);
	ts->tv_nsec = (long)(at_ms % 1000) * 1000000;
}

int conn_call(struct conn *c, struct wire_msg *m, int timeout_ms, struct conn_reply *reply)
{
	struct waiter w = { .reply = reply };
	struct waiter **pp;
	struct timespec ts;
	int r;

	memset(reply, 0, sizeof(*reply));
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return -ECONNRESET;
	}
	w.seq = c->next_seq++;
	if (c->next_seq == 0)
		c->next_seq = 2;
	w.next = c->waiters;
	c->waiters = &w;
	pthread_mutex_unlock(&c->lock);

	/* The seq lives at offset 8 of the frame header. */
	if (m->buf && m->len >= WIRE_HDR_SIZE)
		patch_le32(m->buf + 8, w.seq);
	r = conn_send(c, m);

	conn_mono_ts(&ts, mono_ms() + (timeout_ms < 0 ? 0 : (uint64_t)timeout_ms));
	pthread_mutex_lock(&c->lock);
	while (r == 0 && !w.done) {
		if (timeout_ms < 0)
			pthread_cond_wait(&c->cond, &c->lock);
		else if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
			r = -ETIMEDOUT;
	}
	if (r == 0 && w.done)
		r = w.err;
	for (pp = &c->waiters; *pp; pp = &(*pp)->next)
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	if (r)
		conn_reply_clear(reply);
	return r;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	pthread_mutex_unlock(&c->lock);
	shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->rx_thread, NULL);
	if (c->rt)
		rt_stop(c);
	pthread_mutex_lock(&c->lock);
	c->stopping = true;	/* requests still queued are served first */
	pthread_cond_broadcast(&c->work_cond);
	while (c->workers)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	conn_free(c);
}

int conn_wait_state(pthread_mutex_t *lock, pthread_cond_t *cond, const int *state, int live,
		    int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms >= 0)
		conn_mono_ts(&ts, mono_ms() + (uint64_t)timeout_ms);
	while (*state == live) {
		if (timeout_ms < 0)
			pthread_cond_wait(cond, lock);
		else if (pthread_cond_timedwait(cond, lock, &ts) == ETIMEDOUT)
			return -ETIMEDOUT;
	}
	return 0;
}
