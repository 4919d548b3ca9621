/* id.c — VSS_ID helpers on top of libuuid, timestamps, property structs. */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>
#include <vss/vss.h>

const vss_id_t VSS_ID_NULL;

/* A NULL id stands for VSS_ID_NULL in every call that reads one; a NULL
 * output pointer makes the call do nothing (libvss(3)). */
bool vss_id_is_null(const vss_id_t *id)
{
	return !id || uuid_is_null(id->b);
}

bool vss_id_equal(const vss_id_t *a, const vss_id_t *b)
{
	if (!a)
		a = &VSS_ID_NULL;
	if (!b)
		b = &VSS_ID_NULL;
	return memcmp(a->b, b->b, 16) == 0;
}

void vss_id_generate(vss_id_t *id)
{
	if (id)
		uuid_generate_random(id->b);
}

char *vss_id_format(const vss_id_t *id, char buf[VSS_ID_STRLEN])
{
	if (!buf)
		return NULL;
	if (!id)
		id = &VSS_ID_NULL;
	buf[0] = '{';
	uuid_unparse_lower(id->b, buf + 1);
	buf[37] = '}';
	buf[38] = '\0';
	return buf;
}

int vss_id_parse(const char *s, vss_id_t *id)
{
	char tmp[37];
	size_t n;

	if (!s || !id)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n = 36;
	}
	if (n != 36)
		return -1;
	memcpy(tmp, s, 36);
	tmp[36] = '\0';
	return uuid_parse(tmp, id->b) == 0 ? 0 : -1;
}

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000LL

vss_timestamp_t vss_timestamp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return FILETIME_UNIX_EPOCH + (int64_t)ts.tv_sec * 10000000LL +
	       ts.tv_nsec / 100;
}

void vss_snapshot_prop_clear(vss_snapshot_prop_t *p)
{
	if (!p)
		return;
	free(p->snapshot_device_object);
	free(p->original_volume_name);
	free(p->originating_machine);
	free(p->service_machine);
	free(p->exposed_name);
	free(p->exposed_path);
	memset(p, 0, sizeof(*p));
}

void vss_provider_prop_clear(vss_provider_prop_t *p)
{
	if (!p)
		return;
	free(p->provider_name);
	free(p->provider_version);
	memset(p, 0, sizeof(*p));
}
