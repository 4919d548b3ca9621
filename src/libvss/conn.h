/* conn.h — internal: one client connection to vssd that serves requests.
 *
 * Design note.  Writers and providers hold a long-lived connection on which
 * vssd sends requests (events, provider calls) and the client sends a few
 * requests of its own (subscribe, unsubscribe, register).  A conn owns:
 *
 *   - a receive thread that reads frames; a reply (WIRE_REPLY) wakes the one
 *     caller waiting in conn_call() for that seq; a request is copied and
 *     handed to a new worker thread running ops->request, so that a slow
 *     handler (a Freeze of one session) never delays another request (an
 *     Identify of another session);
 *   - a send mutex: every frame goes out whole, replies carry the request's
 *     seq and may leave in any order;
 *   - a count of running workers: conn_close() shuts the socket down, joins
 *     the receive thread and waits for the workers before freeing anything;
 *   - optionally (ops.rt_code) a real-time worker: requests of one code are
 *     served by a thread that waits at SCHED_FIFO, handed them by a receive
 *     thread at SCHED_FIFO too, so that a busy machine does not stretch the
 *     call a provider makes inside the flush-and-hold window
 *     (CommitSnapshots) by scheduling delays; while it is busy the next one
 *     goes to the pool like any request.
 *
 * When the peer goes away (EOF, framing error) the receive thread marks the
 * conn dead, wakes every conn_call() waiter with -ECONNRESET and calls
 * ops->closed once.  Internal code: functions return 0 or -errno. */
#ifndef VSS_LIBVSS_CONN_H
#define VSS_LIBVSS_CONN_H

#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "common/proto.h"
#include "common/wire.h"

struct conn;

/* One request from vssd, owned by the worker; freed by conn_req_free(). */
struct conn_req {
	struct conn *conn;
	uint16_t code;		/* WIRE_CODE of the request */
	uint32_t seq;
	uint8_t *payload;	/* validated attributes */
	size_t len;
	struct conn_req *next;	/* conn.c: waiting for a worker */
};

struct conn_ops {
	/* Worker thread: serve one request and reply (conn_reply_*). */
	void (*request)(void *user, struct conn_req *req);
	/* Receive thread, at most once: the peer closed or broke the stream
	 * (err: -ECONNRESET, -EPROTO, ...).  Not called after conn_close(). */
	void (*closed)(void *user, int err);
	/* Requests of this code go to the real-time worker (0: none; then no
	 * thread of the conn changes its scheduling).  conn_open fails with
	 * -EPERM where SCHED_FIFO is not allowed. */
	uint16_t rt_code;
};

/* A reply received by conn_call(): the payload is malloc'd. */
struct conn_reply {
	uint16_t code;
	uint8_t *payload;
	size_t len;
	vss_hr_t hr;		/* ATTR_HR, E_UNEXPECTED when absent */
	char *message;		/* ATTR_MESSAGE or NULL */
};
void conn_reply_clear(struct conn_reply *r);

/* Connects (proto_connect, MSG_HELLO in role) and starts the receive
 * thread.  On a refused hello returns -EACCES with *hr and msg set. */
int conn_open(struct conn **out, const char *socket, enum vss_role role,
	      const char *client_name, const struct conn_ops *ops, void *user,
	      vss_hr_t *hr, char *msg, size_t msglen);
/* Sends a request built by the caller (its seq is assigned here) and waits
 * up to timeout_ms for its reply.  -ETIMEDOUT, -ECONNRESET, -errno. */
int conn_call(struct conn *c, struct wire_msg *m, int timeout_ms, struct conn_reply *r);
/* 0 if this process may start threads at SCHED_FIFO (it starts one),
 * else -EPERM or another -errno. */
int conn_rt_allowed(void);
/* Sends one frame under the send mutex. */
int conn_send(struct conn *c, struct wire_msg *m);
/* Starts a reply to req: type = code | WIRE_REPLY, seq = req's, ATTR_HR. */
void conn_reply_init(struct wire_msg *m, const struct conn_req *req, vss_hr_t hr);
/* Changes the ATTR_HR that conn_reply_init put first. */
void conn_reply_set_hr(struct wire_msg *m, vss_hr_t hr);
/* Replies with just hr and an optional message; frees nothing. */
int conn_reply_hr(const struct conn_req *req, vss_hr_t hr, const char *msg);
void conn_req_free(struct conn_req *req);
bool conn_alive(struct conn *c);
/* An absolute CLOCK_MONOTONIC time (for pthread_cond_timedwait on conds
 * made with that clock) from a mono_ms() value. */
void conn_mono_ts(struct timespec *ts, uint64_t at_ms);
/* With lock held: waits on cond (a CLOCK_MONOTONIC one) while *state ==
 * live, up to timeout_ms (-1: forever).  0 or -ETIMEDOUT. */
int conn_wait_state(pthread_mutex_t *lock, pthread_cond_t *cond, const int *state, int live,
		    int timeout_ms);
/* What a writer and a provider handle share: the lock that serialises
 * subscribe/register against unsubscribe/free, the lock and condition
 * (CLOCK_MONOTONIC) of the state, the socket path and the connection. */
struct conn_client {
	pthread_mutex_t api_lock;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;
	char *socket;
	struct conn *conn;
};
void conn_client_init(struct conn_client *cl);
void conn_client_destroy(struct conn_client *cl);
/* Sets (a copy of) the socket path, NULL for the default; -ENOMEM. */
int conn_client_set_socket(struct conn_client *cl, const char *path);
/* Shuts down, joins the receive thread, waits for running workers, frees. */
void conn_close(struct conn *c);

#endif
