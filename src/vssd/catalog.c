/* catalog.c — the persistent catalog of snapshots (VSS_SNAPSHOT_PROP of
 * every snapshot vssd created and a provider still holds).
 *
 * On disk: <state-dir>/catalog is one wire frame (wire.h) whose payload is,
 * per snapshot, an ATTR_SESSION_ID (the owning session for auto-release
 * snapshots, null for persistent ones) followed by an ATTR_SNAPSHOT nest.
 * It is replaced atomically: written to catalog.tmp, fsync'd, renamed over
 * catalog, and the directory fsync'd — so after a crash or kill -9 at any
 * instant the file is either the old or the new catalog, never a mix.  The
 * same validating parser that guards the socket reads it back, so a damaged
 * file is detected, set aside (catalog.damaged) and reported, never trusted. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "common/util.h"
#include "vssd/vssd.h"

struct list_head catalog = LIST_HEAD_INIT(catalog);

struct cat_entry *catalog_find(const vss_id_t *id)
{
	struct cat_entry *e;

	list_for_each_entry(e, &catalog, link)
		if (vss_id_equal(&e->prop.snapshot_id, id))
			return e;
	return NULL;
}

static char *dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct cat_entry *catalog_add(const vss_snapshot_prop_t *p, const vss_id_t *session)
{
	struct cat_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->prop = *p;
	e->prop.snapshot_device_object = dupnull(p->snapshot_device_object);
	e->prop.original_volume_name = dupnull(p->original_volume_name);
	e->prop.originating_machine = dupnull(p->originating_machine);
	e->prop.service_machine = dupnull(p->service_machine);
	e->prop.exposed_name = dupnull(p->exposed_name);
	e->prop.exposed_path = dupnull(p->exposed_path);
	if (session)
		e->session_id = *session;
	list_add_tail(&e->link, &catalog);
	return e;
}

void catalog_remove(struct cat_entry *e)
{
	list_del(&e->link);
	vss_snapshot_prop_clear(&e->prop);
	free(e);
}

size_t catalog_count_volume(const char *volume)
{
	struct cat_entry *e;
	size_t n = 0;

	list_for_each_entry(e, &catalog, link)
		if (e->prop.original_volume_name && strcmp(e->prop.original_volume_name, volume) == 0)
			n++;
	return n;
}

static int path_in_state(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", cfg.state_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int catalog_save(void)
{
	char tmp[4096], final[4096];
	struct wire_msg m;
	struct cat_entry *e;
	int fd, r, dfd;
	size_t off = 0;

	if (path_in_state(tmp, sizeof(tmp), "catalog.tmp") ||
	    path_in_state(final, sizeof(final), "catalog"))
		return -ENAMETOOLONG;
	wire_msg_init(&m, 0, 0);
	list_for_each_entry(e, &catalog, link) {
		wire_put_id(&m, ATTR_SESSION_ID, &e->session_id);
		proto_put_snapshot(&m, &e->prop);
	}
	r = wire_msg_finish(&m);
	if (r) {
		wire_msg_free(&m);
		log_err("catalog: cannot encode: %s", strerror(-r));
		return r;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		log_err("catalog: cannot write %s: %m", tmp);
		wire_msg_free(&m);
		return r;
	}
	while (off < m.len) {
		ssize_t n = write(fd, m.buf + off, m.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		off += n;
	}
	wire_msg_free(&m);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r) {
		log_err("catalog: cannot save: %s", strerror(-r));
		unlink(tmp);
		return r;
	}
	dfd = open(cfg.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int catalog_load(void)
{
	char path[4096], bad[4096];
	CLEANUP_FREE uint8_t *buf = NULL;
	struct wire_hdr h;
	struct wire_iter it;
	struct wire_attr a;
	vss_id_t session = VSS_ID_NULL;
	struct stat st;
	size_t n = 0;
	int fd, r = 0;

	if (mkdir(cfg.state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("cannot create state directory %s: %m", cfg.state_dir);
		return -errno;
	}
	if (path_in_state(path, sizeof(path), "catalog") ||
	    path_in_state(bad, sizeof(bad), "catalog.damaged"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || st.st_size < WIRE_HDR_SIZE ||
	    st.st_size > WIRE_HDR_SIZE + (off_t)WIRE_MAX_PAYLOAD) {
		r = -EBADMSG;
	} else {
		buf = malloc(st.st_size);
		if (!buf)
			r = -ENOMEM;
		else if (read(fd, buf, st.st_size) != st.st_size)
			r = -EIO;
		else if (wire_parse_hdr(buf, &h) || h.len != st.st_size - WIRE_HDR_SIZE ||
			 wire_validate(buf + WIRE_HDR_SIZE, h.len))
			r = -EBADMSG;
	}
	close(fd);
	if (r == -EBADMSG) {
		log_err("catalog %s is damaged: moved to %s; snapshots will be re-learnt "
			"from the providers", path, bad);
		rename(path, bad);
		return 0;
	}
	if (r)
		return r;
	wire_iter_init(&it, buf + WIRE_HDR_SIZE, h.len);
	while (wire_next(&it, &a)) {
		vss_snapshot_prop_t p;

		if (a.tag == ATTR_SESSION_ID) {
			wire_attr_id(&a, &session);
		} else if (a.tag == ATTR_SNAPSHOT && proto_get_snapshot(&a, &p) == 0) {
			if (!catalog_add(&p, &session))
				r = -ENOMEM;
			vss_snapshot_prop_clear(&p);
			n++;
		}
	}
	log_info("catalog: %zu snapshot(s) loaded from %s", n, path);
	return r;
}
