/* client.c — one requester connection to vssd (design note in client.h). */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/error.h"
#include "common/util.h"
#include "libvss/client.h"

static const char *client_name(void)
{
	extern char *program_invocation_short_name;

	return program_invocation_short_name ? program_invocation_short_name : "libvss";
}

vss_hr_t client_open(struct client *c, const char *call, const char *path,
		     enum vss_role role)
{
	char msg[512];
	vss_hr_t hr;
	int fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	fd = proto_connect(path, role, client_name(), &hr, msg, sizeof(msg));
	if (fd == -EACCES && VSS_FAILED(hr))
		return vsserr_set(call, hr, "%s", msg[0] ? msg : "refused by vssd");
	if (fd == -ENOMEM)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	if (fd == -ENAMETOOLONG)
		return vsserr_set(call, E_INVALIDARG, "socket path too long");
	if (fd < 0)
		return vsserr_set(call, VSS_E_UNEXPECTED, "cannot connect to vssd at %s: %s",
				  proto_socket_path(path), strerror(-fd));
	c->fd = fd;
	return S_OK;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	wire_rx_free(&c->rx);
	for (size_t i = 0; i < c->ndone; i++)
		free(c->done[i].message);
	free(c->done);
	c->done = NULL;
	c->ndone = c->capdone = 0;
}

void client_msg(struct client *c, struct wire_msg *m, uint16_t code)
{
	if (++c->seq == 0)
		c->seq = 1;
	wire_msg_init(m, code, c->seq);
}

void client_reply_free(struct client_reply *r)
{
	free(r->payload);
	memset(r, 0, sizeof(*r));
}

/* Records a completion; takes message (may be NULL). */
static int done_record(struct client *c, uint32_t op_id, vss_hr_t status,
		       char *message)
{
	struct client_done *d = NULL;

	for (size_t i = 0; i < c->ndone; i++)
		if (c->done[i].op_id == op_id) {
			d = &c->done[i];
			free(d->message);
			break;
		}
	if (!d) {
		if (c->ndone == c->capdone) {
			size_t cap = c->capdone ? c->capdone * 2 : 8;
			struct client_done *nd = realloc(c->done, cap * sizeof(*nd));

			if (!nd) {
				free(message);
				return -ENOMEM;
			}
			c->done = nd;
			c->capdone = cap;
		}
		d = &c->done[c->ndone++];
		d->op_id = op_id;
	}
	d->status = status;
	d->message = message;
	return 0;
}

bool client_done_take(struct client *c, uint32_t op_id, vss_hr_t *status,
		      char **message)
{
	for (size_t i = 0; i < c->ndone; i++)
		if (c->done[i].op_id == op_id) {
			*status = c->done[i].status;
			if (message)
				*message = c->done[i].message;
			else
				free(c->done[i].message);
			c->done[i] = c->done[--c->ndone];
			return true;
		}
	return false;
}

/* A frame that is not the reply being waited for: record completions,
 * ignore other notifications (unknown ones are allowed by the protocol). */
static int handle_other(struct client *c, const struct wire_hdr *h,
			const uint8_t *pl)
{
	if (h->type == (MSG_ASYNC_DONE | WIRE_NOTIFY)) {
		struct wire_attr a;

		if (!wire_find(pl, h->len, ATTR_OP_ID, &a))
			return -EBADMSG;
		return done_record(c, wire_attr_u32(&a),
				   (vss_hr_t)wire_get_u32(pl, h->len, ATTR_STATUS,
							  (uint32_t)VSS_E_UNEXPECTED),
				   wire_get_str(pl, h->len, ATTR_MESSAGE));
	}
	if (h->type & WIRE_NOTIFY)
		return 0;
	/* a request to a requester or a stray reply: protocol error */
	return -EPROTO;
}

/* Next frame within timeout_ms: 1, 0 (timeout) or -errno. */
static int next_frame(struct client *c, int timeout_ms, struct wire_hdr *h,
		      const uint8_t **pl)
{
	int r;

	if (c->broken)
		return -ECONNRESET;
	r = wire_recv(c->fd, &c->rx, timeout_ms, h, pl);
	if (r == -ETIMEDOUT)
		return 0;
	if (r < 0)
		c->broken = true;
	return r;
}

static vss_hr_t transport_error(struct client *c, const char *call, int err)
{
	c->broken = true;
	if (err == -ENOMEM)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	return vsserr_set(call, VSS_E_UNEXPECTED, "connection to vssd lost: %s",
			  err == -ECONNRESET ? "closed by vssd" : strerror(-err));
}

vss_hr_t client_call(struct client *c, const char *call, struct wire_msg *m,
		     struct client_reply *r)
{
	uint32_t seq = c->seq;
	uint16_t code = m->buf ? (uint16_t)(m->buf[6] | m->buf[7] << 8) : 0;
	struct wire_hdr h;
	const uint8_t *pl;
	int e;

	memset(r, 0, sizeof(*r));
	if (c->broken) {
		wire_msg_free(m);
		return vsserr_set(call, VSS_E_UNEXPECTED, "connection to vssd lost earlier");
	}
	e = wire_send(c->fd, m);
	wire_msg_free(m);
	if (e == -ENOMEM)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	if (e == -EMSGSIZE)
		return vsserr_set(call, E_INVALIDARG, "request too large");
	if (e == -EILSEQ)	/* nothing was sent: the session goes on */
		return vsserr_set(call, E_INVALIDARG, "a string argument is not valid UTF-8");
	if (e < 0)
		return transport_error(c, call, e);
	for (;;) {
		e = next_frame(c, -1, &h, &pl);
		if (e < 0)
			return transport_error(c, call, e);
		if (h.type == ((code & 0x3fff) | WIRE_REPLY) && h.seq == seq)
			break;
		e = handle_other(c, &h, pl);
		if (e < 0)
			return transport_error(c, call, e);
	}
	r->type = h.type;
	r->len = h.len;
	r->payload = malloc(h.len ? h.len : 1);
	if (!r->payload)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	memcpy(r->payload, pl, h.len);
	r->hr = (vss_hr_t)wire_get_u32(pl, h.len, ATTR_HR, (uint32_t)VSS_E_UNEXPECTED);
	if (VSS_FAILED(r->hr)) {
		char *s = wire_get_str(pl, h.len, ATTR_MESSAGE);

		vsserr_set(call, r->hr, "%s", s ? s : vss_hr_message(r->hr));
		free(s);
	}
	return r->hr;
}

static bool done_has(const struct client *c, uint32_t op_id)
{
	for (size_t i = 0; i < c->ndone; i++)
		if (c->done[i].op_id == op_id)
			return true;
	return false;
}

int client_wait_done(struct client *c, uint32_t op_id, int timeout_ms)
{
	uint64_t deadline = timeout_ms >= 0 ? mono_ms() + (uint64_t)timeout_ms : 0;

	while (!done_has(c, op_id)) {
		struct wire_hdr h;
		const uint8_t *pl;
		int wait = -1, r;

		if (timeout_ms >= 0) {
			uint64_t now = mono_ms();

			if (now >= deadline) {
				/* a last look at what is already readable */
				r = client_poll(c);
				return r < 0 ? r : done_has(c, op_id);
			}
			wait = (int)(deadline - now);
		}
		r = next_frame(c, wait, &h, &pl);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		r = handle_other(c, &h, pl);
		if (r < 0) {
			c->broken = true;
			return r;
		}
	}
	return 1;
}

int client_poll(struct client *c)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct wire_hdr h;
		const uint8_t *pl;
		ssize_t n;
		int r;

		if (c->broken)
			return -ECONNRESET;
		r = wire_rx_next(&c->rx, &h, &pl);
		if (r < 0) {
			c->broken = true;
			return r;
		}
		if (r == 1) {
			r = handle_other(c, &h, pl);
			if (r < 0) {
				c->broken = true;
				return r;
			}
			continue;
		}
		r = poll(&pfd, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : 0;
		n = wire_rx_fill(c->fd, &c->rx);
		if (n == 0 || (n < 0 && n != -EAGAIN)) {
			c->broken = true;
			return n == 0 ? -ECONNRESET : (int)n;
		}
	}
}
