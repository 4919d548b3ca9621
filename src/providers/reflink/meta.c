/* meta.c — the per-snapshot metadata file of the reflink store: a few
 * "key=value" lines, written to ID.meta.tmp, fsynced, renamed to ID.meta,
 * and the directory fsynced, so that after a crash a snapshot either has
 * its whole .meta or none.  Unknown keys are ignored (newer versions may
 * append some); a missing required key makes the file malformed. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/util.h"
#include "providers/reflink/reflink.h"

#define META_MAGIC "# vss-reflinkd snapshot v1"

char *rl_path(const char *dir, const vss_id_t *id, const char *suffix)
{
	char buf[VSS_ID_STRLEN];
	char *p;

	if (asprintf(&p, "%s/%s%s", dir, vss_id_format(id, buf), suffix) < 0)
		return NULL;
	return p;
}

int rl_fsync_dir(const char *dir)
{
	CLEANUP_CLOSE int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

void rl_meta_clear(struct rl_meta *m)
{
	free(m->volume);
	free(m->image);
	m->volume = m->image = NULL;
}

int rl_meta_write(const char *dir, const struct rl_meta *m)
{
	CLEANUP_FREE char *tmp = rl_path(dir, &m->id, ".meta.tmp");
	CLEANUP_FREE char *final = rl_path(dir, &m->id, ".meta");
	char a[VSS_ID_STRLEN], b[VSS_ID_STRLEN];
	FILE *f;
	int r = 0;

	if (!tmp || !final)
		return -ENOMEM;
	f = fopen(tmp, "wxe");
	if (!f)
		return -errno;
	fprintf(f, META_MAGIC "\nsnapshot_id=%s\nsnapshot_set_id=%s\nsnapshots_count=%" PRId32
		"\nattributes=0x%08" PRIx32 "\ncreated=%" PRId64 "\nvolume=%s\nimage=%s\n",
		vss_id_format(&m->id, a), vss_id_format(&m->set_id, b), m->count,
		(uint32_t)m->attributes, (int64_t)m->created, m->volume, m->image);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, final) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	return rl_fsync_dir(dir);
}

int rl_meta_parse(FILE *f, struct rl_meta *m)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned seen = 0;
	bool first = true;

	memset(m, 0, sizeof(*m));
	while ((n = getline(&line, &cap, f)) > 0) {
		char *eq, *end;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (first) {
			first = false;
			if (strcmp(line, META_MAGIC) != 0)
				break;
			seen |= 1;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		errno = 0;
		if (!strcmp(line, "snapshot_id") && !vss_id_parse(eq, &m->id)) {
			seen |= 2;
		} else if (!strcmp(line, "snapshot_set_id") && !vss_id_parse(eq, &m->set_id)) {
			seen |= 4;
		} else if (!strcmp(line, "snapshots_count")) {
			m->count = (int32_t)strtol(eq, &end, 10);
			seen |= *eq && !*end && !errno ? 8 : 0;
		} else if (!strcmp(line, "attributes")) {
			m->attributes = (int32_t)strtoul(eq, &end, 16);
			seen |= *eq && !*end && !errno ? 16 : 0;
		} else if (!strcmp(line, "created")) {
			m->created = (vss_timestamp_t)strtoll(eq, &end, 10);
			seen |= *eq && !*end && !errno ? 32 : 0;
		} else if (!strcmp(line, "volume") && !m->volume) {
			m->volume = strdup(eq);
			seen |= m->volume ? 64 : 0;
		} else if (!strcmp(line, "image") && !m->image) {
			m->image = strdup(eq);
			seen |= m->image ? 128 : 0;
		}
	}
	free(line);
	if (seen != 255 || strlen(m->volume) == 0 || m->image[0] != '/') {
		rl_meta_clear(m);
		return -EINVAL;
	}
	return 0;
}

int rl_meta_read(const char *path, struct rl_meta *m)
{
	FILE *f = fopen(path, "re");
	int r;

	memset(m, 0, sizeof(*m));
	if (!f)
		return -errno;
	r = rl_meta_parse(f, m);
	fclose(f);
	return r;
}
