/* wire.c — framing and attribute codec of the openvss protocol (see
 * wire.h for the format).  The receive side trusts nothing: a header is
 * checked before its payload is buffered, and a payload is validated in
 * full before anyone reads a field. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/util.h"
#include "common/wire.h"

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* ---------------------------------------------------------------- build */

static int reserve(struct wire_msg *m, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (m->err)
		return m->err;
	if (m->len + n > WIRE_HDR_SIZE + (size_t)WIRE_MAX_PAYLOAD)
		return m->err = -EMSGSIZE;
	if (m->len + n <= m->cap)
		return 0;
	cap = m->cap ? m->cap : 256;
	while (cap < m->len + n)
		cap *= 2;
	nb = realloc(m->buf, cap);
	if (!nb)
		return m->err = -ENOMEM;
	m->buf = nb;
	m->cap = cap;
	return 0;
}

void wire_msg_init(struct wire_msg *m, uint16_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	if (reserve(m, WIRE_HDR_SIZE) == 0) {
		put_le32(m->buf, WIRE_MAGIC);
		put_le16(m->buf + 4, WIRE_VERSION);
		put_le16(m->buf + 6, type);
		put_le32(m->buf + 8, seq);
		put_le32(m->buf + 12, 0);
		m->len = WIRE_HDR_SIZE;
	}
}

void wire_msg_free(struct wire_msg *m)
{
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

static uint8_t *put_attr(struct wire_msg *m, uint16_t tag, uint16_t kind, size_t n)
{
	uint8_t *p;

	if (n > WIRE_MAX_PAYLOAD) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	if (reserve(m, 8 + n))
		return NULL;
	p = m->buf + m->len;
	put_le16(p, tag);
	put_le16(p + 2, kind);
	put_le32(p + 4, (uint32_t)n);
	m->len += 8 + n;
	return p + 8;
}

void wire_put_u32(struct wire_msg *m, uint16_t tag, uint32_t v)
{
	uint8_t *p = put_attr(m, tag, WIRE_U32, 4);

	if (p)
		put_le32(p, v);
}

void wire_put_u64(struct wire_msg *m, uint16_t tag, uint64_t v)
{
	uint8_t *p = put_attr(m, tag, WIRE_U64, 8);

	if (p) {
		put_le32(p, (uint32_t)v);
		put_le32(p + 4, (uint32_t)(v >> 32));
	}
}

void wire_put_id(struct wire_msg *m, uint16_t tag, const vss_id_t *id)
{
	uint8_t *p = put_attr(m, tag, WIRE_ID, 16);

	if (p)
		memcpy(p, id->b, 16);
}

static bool utf8_ok(const uint8_t *s, size_t n);

/* A string that is not strict UTF-8 (wire_validate's rule) makes the
 * message fail with -EILSEQ: it would otherwise go out and the peer drop
 * the whole connection for it. */
void wire_put_str(struct wire_msg *m, uint16_t tag, const char *s)
{
	size_t n;
	uint8_t *p;

	if (!s || m->err)
		return;
	n = strlen(s);
	if (!utf8_ok((const uint8_t *)s, n)) {
		m->err = -EILSEQ;
		return;
	}
	p = put_attr(m, tag, WIRE_STR, n);
	if (p)
		memcpy(p, s, n);
}

void wire_put_blob(struct wire_msg *m, uint16_t tag, const void *data, size_t n)
{
	uint8_t *p = put_attr(m, tag, WIRE_BLOB, n);

	if (p && n)
		memcpy(p, data, n);
}

void wire_nest_begin(struct wire_msg *m, uint16_t tag)
{
	if (m->depth >= WIRE_MAX_DEPTH) {
		m->err = -EINVAL;
		return;
	}
	if (!put_attr(m, tag, WIRE_NEST, 0))
		return;
	m->nest[m->depth++] = m->len - 8;
}

void wire_nest_end(struct wire_msg *m)
{
	size_t start;

	if (m->err || m->depth <= 0)
		return;
	start = m->nest[--m->depth];
	put_le32(m->buf + start + 4, (uint32_t)(m->len - start - 8));
}

int wire_msg_header(const struct wire_msg *m, uint16_t *type, uint32_t *seq)
{
	if (!m->buf || m->len < WIRE_HDR_SIZE)
		return -EINVAL;
	*type = get_le16(m->buf + 6);
	*seq = get_le32(m->buf + 8);
	return 0;
}

int wire_msg_finish(struct wire_msg *m)
{
	if (m->err)
		return m->err;
	if (m->depth)
		return -EINVAL;
	put_le32(m->buf + 12, (uint32_t)(m->len - WIRE_HDR_SIZE));
	return 0;
}

int wire_send(int fd, struct wire_msg *m)
{
	size_t off = 0;
	int r = wire_msg_finish(m);

	if (r)
		return r;
	while (off < m->len) {
		ssize_t n = send(fd, m->buf + off, m->len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				if (poll(&pfd, 1, 5000) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			return -errno;
		}
		off += n;
	}
	return 0;
}

/* ---------------------------------------------------------------- parse */

int wire_parse_hdr(const uint8_t b[WIRE_HDR_SIZE], struct wire_hdr *h)
{
	if (get_le32(b) != WIRE_MAGIC || get_le16(b + 4) != WIRE_VERSION)
		return -EPROTO;
	h->type = get_le16(b + 6);
	h->seq = get_le32(b + 8);
	h->len = get_le32(b + 12);
	if (h->len > WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF, no NUL. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

static int validate(const uint8_t *p, size_t len, int depth)
{
	size_t off = 0;

	if (depth > WIRE_MAX_DEPTH)
		return -EBADMSG;
	while (off < len) {
		uint16_t kind;
		uint32_t n;

		if (len - off < 8)
			return -EBADMSG;
		kind = get_le16(p + off + 2);
		n = get_le32(p + off + 4);
		off += 8;
		if (n > len - off)
			return -EBADMSG;
		switch (kind) {
		case WIRE_U32:
			if (n != 4)
				return -EBADMSG;
			break;
		case WIRE_U64:
			if (n != 8)
				return -EBADMSG;
			break;
		case WIRE_ID:
			if (n != 16)
				return -EBADMSG;
			break;
		case WIRE_STR:
			if (!utf8_ok(p + off, n))
				return -EBADMSG;
			break;
		case WIRE_BLOB:
			break;
		case WIRE_NEST:
			if (validate(p + off, n, depth + 1))
				return -EBADMSG;
			break;
		default:
			return -EBADMSG;
		}
		off += n;
	}
	return 0;
}

int wire_validate(const uint8_t *p, size_t len)
{
	return validate(p, len, 0);
}

void wire_iter_init(struct wire_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->end = p + len;
}

/* Only a nest's inside was validated with the frame: anything else
 * iterates as empty. */
void wire_iter_nest(struct wire_iter *it, const struct wire_attr *nest)
{
	if (nest->kind == WIRE_NEST)
		wire_iter_init(it, nest->val, nest->len);
	else
		wire_iter_init(it, NULL, 0);
}

bool wire_next(struct wire_iter *it, struct wire_attr *a)
{
	if (!it->p || it->end - it->p < 8)
		return false;
	a->tag = get_le16(it->p);
	a->kind = get_le16(it->p + 2);
	a->len = get_le32(it->p + 4);
	a->val = it->p + 8;
	if ((size_t)(it->end - a->val) < a->len)
		return false;
	it->p = a->val + a->len;
	return true;
}

bool wire_find(const uint8_t *p, size_t len, uint16_t tag, struct wire_attr *a)
{
	struct wire_iter it;

	wire_iter_init(&it, p, len);
	while (wire_next(&it, a))
		if (a->tag == tag)
			return true;
	return false;
}

uint32_t wire_attr_u32(const struct wire_attr *a)
{
	return a->kind == WIRE_U32 ? get_le32(a->val) : 0;
}

uint64_t wire_attr_u64(const struct wire_attr *a)
{
	if (a->kind == WIRE_U64)
		return get_le64(a->val);
	return a->kind == WIRE_U32 ? get_le32(a->val) : 0;
}

void wire_attr_id(const struct wire_attr *a, vss_id_t *id)
{
	if (a->kind == WIRE_ID)
		memcpy(id->b, a->val, 16);
	else
		memset(id->b, 0, 16);
}

char *wire_attr_str(const struct wire_attr *a)
{
	char *s;

	if (a->kind != WIRE_STR)	/* only strings were checked as UTF-8 */
		return NULL;
	s = malloc(a->len + 1);
	if (!s)
		return NULL;
	memcpy(s, a->val, a->len);
	s[a->len] = '\0';
	return s;
}

uint32_t wire_get_u32(const uint8_t *p, size_t len, uint16_t tag, uint32_t dflt)
{
	struct wire_attr a;

	return wire_find(p, len, tag, &a) && a.kind == WIRE_U32 ? wire_attr_u32(&a) : dflt;
}

uint64_t wire_get_u64(const uint8_t *p, size_t len, uint16_t tag, uint64_t dflt)
{
	struct wire_attr a;

	return wire_find(p, len, tag, &a) && a.kind == WIRE_U64 ? wire_attr_u64(&a) : dflt;
}

bool wire_get_id(const uint8_t *p, size_t len, uint16_t tag, vss_id_t *id)
{
	struct wire_attr a;

	if (!wire_find(p, len, tag, &a) || a.kind != WIRE_ID)
		return false;
	wire_attr_id(&a, id);
	return true;
}

char *wire_get_str(const uint8_t *p, size_t len, uint16_t tag)
{
	struct wire_attr a;

	if (!wire_find(p, len, tag, &a) || a.kind != WIRE_STR)
		return NULL;
	return wire_attr_str(&a);
}

/* ---------------------------------------------------------------- receive */

void wire_rx_free(struct wire_rx *rx)
{
	free(rx->buf);
	memset(rx, 0, sizeof(*rx));
}

static void rx_compact(struct wire_rx *rx)
{
	if (rx->consumed) {
		memmove(rx->buf, rx->buf + rx->consumed, rx->len - rx->consumed);
		rx->len -= rx->consumed;
		rx->consumed = 0;
	}
}

ssize_t wire_rx_fill(int fd, struct wire_rx *rx)
{
	ssize_t n;

	rx_compact(rx);
	if (rx->cap - rx->len < 4096) {
		size_t cap = rx->cap ? rx->cap * 2 : 8192;
		uint8_t *nb;

		if (cap > WIRE_HDR_SIZE + (size_t)WIRE_MAX_PAYLOAD + 65536)
			cap = WIRE_HDR_SIZE + (size_t)WIRE_MAX_PAYLOAD + 65536;
		if (cap <= rx->len)
			return -EMSGSIZE;
		nb = realloc(rx->buf, cap);
		if (!nb)
			return -ENOMEM;
		rx->buf = nb;
		rx->cap = cap;
	}
	do
		n = recv(fd, rx->buf + rx->len, rx->cap - rx->len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	rx->len += n;
	return n;
}

int wire_rx_next(struct wire_rx *rx, struct wire_hdr *h, const uint8_t **payload)
{
	int r;

	rx_compact(rx);
	if (rx->len < WIRE_HDR_SIZE)
		return 0;
	r = wire_parse_hdr(rx->buf, h);
	if (r)
		return r;
	if (rx->len - WIRE_HDR_SIZE < h->len)
		return 0;
	if (wire_validate(rx->buf + WIRE_HDR_SIZE, h->len))
		return -EBADMSG;
	*payload = rx->buf + WIRE_HDR_SIZE;
	rx->consumed = WIRE_HDR_SIZE + h->len;
	return 1;
}

int wire_recv(int fd, struct wire_rx *rx, int timeout_ms, struct wire_hdr *h,
	      const uint8_t **payload)
{
	uint64_t deadline = timeout_ms >= 0 ? mono_ms() + timeout_ms : 0;

	for (;;) {
		int r = wire_rx_next(rx, h, payload);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = -1;
		ssize_t n;

		if (r)
			return r;
		if (timeout_ms >= 0) {
			uint64_t now = mono_ms();

			if (now >= deadline)
				return -ETIMEDOUT;
			wait = (int)(deadline - now);
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		n = wire_rx_fill(fd, rx);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && n != -EAGAIN)
			return (int)n;
	}
}
