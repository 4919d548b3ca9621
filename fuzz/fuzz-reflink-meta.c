/* fuzz-reflink-meta — libFuzzer target for vss-reflinkd's snapshot
 * metadata parser (the ID.meta files of its store): any input is either
 * refused or yields a record whose strings are whole and whose image path
 * is absolute. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "providers/reflink/reflink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rl_meta m;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (rl_meta_parse(f, &m) == 0) {
		if (!m.volume || !m.image || m.image[0] != '/' || strchr(m.image, '\n'))
			abort();
		rl_meta_clear(&m);
	}
	fclose(f);
	return 0;
}
