/* fuzz-frame — libFuzzer target for the wire frame parser: feeds the input
 * through a socket in random-sized pieces, takes every frame wire_rx_next
 * accepts, and walks every attribute the way vssd's handlers do. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/proto.h"
#include "common/wire.h"
#include "fuzz-feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t len, int depth)
{
	struct wire_iter it;
	struct wire_attr a;

	wire_iter_init(&it, p, len);
	while (wire_next(&it, &a)) {
		char *s;
		vss_snapshot_prop_t sp;
		vss_provider_prop_t pp;
		vss_id_t id;

		/* vssd's handlers pick snapshots and providers by tag, whatever
		 * the kind */
		if (a.tag == ATTR_SNAPSHOT && proto_get_snapshot(&a, &sp) == 0)
			vss_snapshot_prop_clear(&sp);
		if (a.tag == ATTR_PROVIDER && proto_get_provider(&a, &pp) == 0)
			vss_provider_prop_clear(&pp);
		switch (a.kind) {
		case WIRE_STR:
			s = wire_attr_str(&a);
			if (s && strlen(s) != a.len)
				abort();	/* validated strings have no NUL */
			free(s);
			break;
		case WIRE_U32:
			(void)wire_attr_u32(&a);
			break;
		case WIRE_U64:
			(void)wire_attr_u64(&a);
			break;
		case WIRE_ID:
			wire_attr_id(&a, &id);
			break;
		case WIRE_NEST:
			if (depth >= WIRE_MAX_DEPTH)
				abort();	/* validation bounds the depth */
			walk(a.val, a.len, depth + 1);
			break;
		}
	}
}

static void one(const struct wire_hdr *h, const uint8_t *p)
{
	if (wire_validate(p, h->len) != 0)
		abort();	/* next() only returns valid frames */
	walk(p, h->len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed_frames(data, size, one);	/* vssd closes where it stops */
	return 0;
}
