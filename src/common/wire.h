/* wire.h — the openvss wire protocol: framing and attribute codec.
 *
 * Design note.  Every message is a frame on an AF_UNIX stream socket:
 *
 *   offset  size  field
 *   0       4     magic   0x31535356 ("VSS1" as bytes V S S 1)
 *   4       2     version WIRE_VERSION (1)
 *   6       2     type    message code | WIRE_REPLY (0x8000) | WIRE_NOTIFY (0x4000)
 *   8       4     seq     chosen by the sender of a request; a reply repeats it
 *   12      4     length  payload bytes, at most WIRE_MAX_PAYLOAD
 *   16      ...   payload: a sequence of attributes
 *
 * All integers are little-endian.  An attribute is
 *
 *   u16 tag, u16 kind, u32 len, then len bytes of value
 *
 * where kind says how to read the value and is checked on receipt:
 * WIRE_U32 (len 4), WIRE_U64 (len 8), WIRE_ID (len 16, a GUID), WIRE_STR
 * (valid UTF-8, no NUL byte), WIRE_BLOB (anything) and WIRE_NEST (a nested
 * sequence of attributes, at most WIRE_MAX_DEPTH levels).  A payload is
 * validated in full (wire_validate) before any field is used, so handlers
 * never see a truncated or ill-kinded value.  Unknown tags are ignored, so
 * new attributes can be added without a version bump; a new meaning for an
 * old tag needs one.  Either side may send requests; a reply (WIRE_REPLY)
 * carries the request's seq and always an ATTR_HR; a notification
 * (WIRE_NOTIFY) expects no reply.
 *
 * Internal code: functions return 0 or -errno. */
#ifndef VSS_COMMON_WIRE_H
#define VSS_COMMON_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vss/vss.h>

#define WIRE_MAGIC		0x31535356u
#define WIRE_VERSION		1
#define WIRE_HDR_SIZE		16
#define WIRE_MAX_PAYLOAD	(16u << 20)
#define WIRE_MAX_DEPTH		8
#define WIRE_REPLY		0x8000
#define WIRE_NOTIFY		0x4000
#define WIRE_CODE(type)		((type) & 0x3fff)

enum wire_kind {
	WIRE_U32 = 1,
	WIRE_U64 = 2,
	WIRE_ID = 3,
	WIRE_STR = 4,
	WIRE_BLOB = 5,
	WIRE_NEST = 6,
};

struct wire_hdr {
	uint16_t type;
	uint32_t seq;
	uint32_t len;
};

/* ---- building a message ---- */
struct wire_msg {
	uint8_t *buf;		/* header + payload */
	size_t len, cap;
	int err;		/* first allocation failure, reported at send */
	size_t nest[WIRE_MAX_DEPTH];
	int depth;
};

void wire_msg_init(struct wire_msg *m, uint16_t type, uint32_t seq);
/* The type and seq a message was begun with; -EINVAL if it has no header. */
int wire_msg_header(const struct wire_msg *m, uint16_t *type, uint32_t *seq);
void wire_msg_free(struct wire_msg *m);
void wire_put_u32(struct wire_msg *m, uint16_t tag, uint32_t v);
void wire_put_u64(struct wire_msg *m, uint16_t tag, uint64_t v);
void wire_put_id(struct wire_msg *m, uint16_t tag, const vss_id_t *id);
/* NULL strings are skipped (absent = empty). */
void wire_put_str(struct wire_msg *m, uint16_t tag, const char *s);
void wire_put_blob(struct wire_msg *m, uint16_t tag, const void *p, size_t n);
void wire_nest_begin(struct wire_msg *m, uint16_t tag);
void wire_nest_end(struct wire_msg *m);
/* Finalises the header; -ENOMEM, -EMSGSIZE or 0. */
int wire_msg_finish(struct wire_msg *m);
/* Writes the whole frame (blocking, MSG_NOSIGNAL). */
int wire_send(int fd, struct wire_msg *m);

/* ---- reading ---- */
struct wire_attr {
	uint16_t tag, kind;
	uint32_t len;
	const uint8_t *val;
};

struct wire_iter {
	const uint8_t *p, *end;
};

/* Parses a frame header; -EPROTO (magic/version), -EMSGSIZE (length). */
int wire_parse_hdr(const uint8_t hdr[WIRE_HDR_SIZE], struct wire_hdr *h);
/* Checks a whole payload: lengths, kinds, UTF-8, nesting.  0 or -EBADMSG. */
int wire_validate(const uint8_t *p, size_t len);

void wire_iter_init(struct wire_iter *it, const uint8_t *p, size_t len);
void wire_iter_nest(struct wire_iter *it, const struct wire_attr *nest);
bool wire_next(struct wire_iter *it, struct wire_attr *a);

/* Lookups in a validated sequence (first attribute with the tag). */
bool wire_find(const uint8_t *p, size_t len, uint16_t tag, struct wire_attr *a);
uint32_t wire_get_u32(const uint8_t *p, size_t len, uint16_t tag, uint32_t dflt);
uint64_t wire_get_u64(const uint8_t *p, size_t len, uint16_t tag, uint64_t dflt);
bool wire_get_id(const uint8_t *p, size_t len, uint16_t tag, vss_id_t *id);
/* malloc'd copy of a string attribute, NULL when absent (or on ENOMEM). */
char *wire_get_str(const uint8_t *p, size_t len, uint16_t tag);
uint32_t wire_attr_u32(const struct wire_attr *a);
uint64_t wire_attr_u64(const struct wire_attr *a);
void wire_attr_id(const struct wire_attr *a, vss_id_t *id);
char *wire_attr_str(const struct wire_attr *a);

/* ---- receive buffer for non-blocking and blocking readers ---- */
struct wire_rx {
	uint8_t *buf;
	size_t len, cap;
	size_t consumed;	/* bytes of the frame returned last */
};

void wire_rx_free(struct wire_rx *rx);
/* Reads what is available: >0 bytes read, 0 on EOF, -EAGAIN, -errno. */
ssize_t wire_rx_fill(int fd, struct wire_rx *rx);
/* 1 and a frame (payload points into rx, valid until the next call),
 * 0 when more bytes are needed, or -EPROTO/-EMSGSIZE/-EBADMSG for a bad
 * frame (the connection must be closed). */
int wire_rx_next(struct wire_rx *rx, struct wire_hdr *h, const uint8_t **payload);
/* Blocking: waits up to timeout_ms (-1 = forever) for the next frame.
 * -ETIMEDOUT, -ECONNRESET on EOF, or a wire_rx_next error. */
int wire_recv(int fd, struct wire_rx *rx, int timeout_ms, struct wire_hdr *h,
	      const uint8_t **payload);

#endif
