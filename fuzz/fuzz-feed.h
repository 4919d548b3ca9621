/* fuzz-feed.h — the input of a wire-level fuzz target as a peer's bytes:
 * written to a socket in pieces (the first byte of each picks its size,
 * 1-97), read back with wire_rx_fill, and each frame wire_rx_next accepts
 * handed to fn; stops where a daemon would close the connection. */
#ifndef VSS_FUZZ_FEED_H
#define VSS_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/wire.h"

static inline void fuzz_feed_frames(const uint8_t *data, size_t size,
				    void (*fn)(const struct wire_hdr *h, const uint8_t *p))
{
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *p;
	size_t off = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return;
	while (off < size) {
		size_t n = 1 + data[off] % 97;
		int r;

		if (n > size - off)
			n = size - off;
		if (write(sv[0], data + off, n) != (ssize_t)n)
			break;
		off += n;
		if (wire_rx_fill(sv[1], &rx) <= 0)
			break;
		while ((r = wire_rx_next(&rx, &h, &p)) == 1)
			fn(&h, p);
		if (r < 0)
			break;
	}
	close(sv[0]);
	close(sv[1]);
	wire_rx_free(&rx);
}

#endif
