/* client.h — internal: one requester connection to vssd, request/reply
 * and the bookkeeping of asynchronous completions.
 *
 * Design note.  A requester connection carries at most one request at a
 * time (vssd answers requester requests in order), so a call sends its
 * frame and reads frames until the reply with its seq arrives.  While it
 * reads, MSG_ASYNC_DONE notifications for any operation may come in; they
 * are recorded in a small table keyed by OP_ID (client_done_*) so that a
 * later Wait or QueryStatus on that operation finds them without another
 * round trip.  A reply's payload is copied out of the receive buffer, so it
 * stays valid after later reads.  Any I/O or framing error marks the
 * connection broken: every later call fails at once with VSS_E_UNEXPECTED.
 * Not thread-safe: one thread at a time. */
#ifndef VSS_LIBVSS_CLIENT_H
#define VSS_LIBVSS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <vss/vss.h>
#include "common/proto.h"
#include "common/wire.h"

struct client_done {
	uint32_t op_id;
	vss_hr_t status;
	char *message;		/* vssd's text for a failure, or NULL */
};

struct client {
	int fd;
	uint32_t seq;
	bool broken;
	struct wire_rx rx;
	struct client_done *done;	/* completions nobody has claimed */
	size_t ndone, capdone;
};

struct client_reply {
	uint16_t type;
	vss_hr_t hr;
	uint8_t *payload;	/* malloc'd copy, validated */
	size_t len;
};

/* Connects and says hello; returns S_OK or a VSS code and sets the
 * thread's last error in the name of `call`. */
vss_hr_t client_open(struct client *c, const char *call, const char *path,
		     enum vss_role role);
void client_close(struct client *c);

/* Starts a request message with the connection's next seq. */
void client_msg(struct client *c, struct wire_msg *m, uint16_t code);
/* Sends m (started with client_msg; freed here) and waits for its reply.  Returns the
 * reply's ATTR_HR; on failure the last error is "call: NAME: message"
 * with vssd's message.  *r is filled (free it with client_reply_free)
 * whatever the hr, except on a transport failure, where it is empty. */
vss_hr_t client_call(struct client *c, const char *call, struct wire_msg *m,
		     struct client_reply *r);
void client_reply_free(struct client_reply *r);

/* Reads frames until a completion for op_id is recorded or timeout_ms
 * passes (-1 forever).  1 when one is recorded (see client_done_take),
 * 0 on timeout, -errno on a transport failure. */
int client_wait_done(struct client *c, uint32_t op_id, int timeout_ms);
/* Handles whatever frames are already readable, without blocking. */
int client_poll(struct client *c);
/* If a completion for op_id is recorded, removes it into *status and
 * *message (malloc'd or NULL; message may be NULL to drop it): true. */
bool client_done_take(struct client *c, uint32_t op_id, vss_hr_t *status,
		      char **message);

#endif
