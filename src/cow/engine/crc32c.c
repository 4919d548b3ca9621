/* crc32c.c — CRC-32C (Castagnoli, reflected 0x82F63B78): the SSE4.2
 * crc32 instruction where the CPU has it (every preserved chunk is
 * checksummed, so this is on the copy-on-write path), else table-driven,
 * slicing by 8.  cow_crc32c(0, "123456789", 9) == 0xE3069283. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cow.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int have_hw;

static void table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & -(c & 1));
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^
				      table[0][table[t - 1][i] & 0xff];
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = (uint32_t)~crc;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}

static void hw_init(void)
{
	__builtin_cpu_init();
	have_hw = __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	return crc;
}

static void hw_init(void)
{
}
#endif

/* COW_CRC_SOFT=1 in the environment: the table path (to test it). */
static void crc_init(void)
{
	hw_init();
	if (getenv("COW_CRC_SOFT"))
		have_hw = 0;
	if (!have_hw)
		table_init();
}

uint32_t cow_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	pthread_once(&table_once, crc_init);
	if (have_hw)
		return crc32c_hw(crc, p, len);
	crc = ~crc;
	while (len >= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}
