/* ctl.c — the control socket of vss-cowd (STATE_DIR/cowd.sock): one
 * request per connection, answered on the socket's own threads (below).
 * Messages in ctl-proto.h and vss-cowd(8), decoded by ctl-req.c.  All but
 * the lists want root (SO_PEERCRED). */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/log.h"
#include "common/mountinfo.h"
#include "common/wire.h"
#include "cow/cowd/cowd.h"
#include "cow/cowd/ctl-proto.h"
#include "cow/cowd/ctl-req.h"

int ctl_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", cfg.state_dir,
		     COWD_CTL_SOCKET) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	chmod(sa.sun_path, 0600);
	return fd;
}

static int stop_efd = -1;	/* readable once a stop was accepted */

static vss_hr_t hr_of(int r)
{
	switch (r) {
	case 0:
		return S_OK;
	case -EINVAL:
		return E_INVALIDARG;
	case -ENOENT:
		return VSS_E_OBJECT_NOT_FOUND;
	case -EEXIST:
		return VSS_E_OBJECT_ALREADY_EXISTS;
	case -EBUSY:
		return VSS_E_BAD_STATE;
	case -EADDRINUSE:
		return VSS_E_VOLUME_IN_USE;
	case -EXDEV:
		return VSS_E_VOLUME_NOT_SUPPORTED;
	case -ENOSPC:
		return VSS_E_INSUFFICIENT_STORAGE;
	case -ENOMEM:
		return E_OUTOFMEMORY;
	case -EACCES:
	case -EPERM:
		return E_ACCESSDENIED;
	default:
		return VSS_E_UNEXPECTED;
	}
}

/* The mounts of the system, read before tbl_lock is taken: a point and
 * the block device it is on (its device number, or its source's for an
 * anonymous one: btrfs). */
struct mounts {
	struct {
		char *point;
		dev_t bdev;	/* mountinfo_bdev */
	} *v;
	size_t n;
};

static bool keep_mount(const struct mountinfo *mi, void *arg)
{
	struct mounts *ms = arg;
	void *nv = realloc(ms->v, (ms->n + 1) * sizeof(*ms->v));

	if (!nv)
		return false;	/* what was read is listed */
	ms->v = nv;
	if (!(ms->v[ms->n].point = strdup(mi->point)))
		return false;
	ms->v[ms->n++].bdev = mountinfo_bdev(mi);
	return true;
}

static void mounts_free(struct mounts *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->v[i].point);
	free(ms->v);
}

static void put_volume(struct wire_msg *m, struct cvol *v, const struct mounts *ms)
{
	struct cow_stats st = { 0 };
	char path[PATH_MAX];

	wire_nest_begin(m, CA_VOLUME);
	wire_put_str(m, CA_NAME, v->name);
	wire_put_str(m, CA_BACKING, v->backing);
	wire_put_str(m, CA_DIFF, v->diff);
	wire_put_str(m, CA_DEVICE, v->live ? v->live->loopdev : "");
	snprintf(path, sizeof(path), "%s/%s", cfg.export_dir, v->name);
	wire_put_str(m, CA_EXPORT, path);
	for (size_t i = 0; v->live && v->live->loop_rdev && i < ms->n; i++)
		if (ms->v[i].bdev == v->live->loop_rdev)
			wire_put_str(m, CA_MOUNT_POINT, ms->v[i].point);
	wire_put_u32(m, CA_CHUNK, v->chunk);
	wire_put_u64(m, CA_SIZE, v->size);
	wire_put_u64(m, CA_MAXSIZE, v->maxsize);
	/* a revert holds the engine: no statistics meanwhile */
	pthread_rwlock_rdlock(&v->io_lock);
	if (v->cow && !mgmt_reverting(v))
		cow_stats(v->cow, &st);
	pthread_rwlock_unlock(&v->io_lock);
	wire_put_u64(m, CA_DIFF_USED, st.diff_bytes_used);
	if (v->warning)
		wire_put_str(m, CA_WARNING, v->warning);
	for (struct csnap *s = v->snaps; s; s = s->next) {
		if (s->prop.status != VSS_SS_CREATED)
			continue;
		wire_nest_begin(m, CA_SNAPSHOT);
		wire_put_id(m, CA_ID, &s->prop.snapshot_id);
		wire_put_id(m, CA_SET, &s->prop.snapshot_set_id);
		wire_put_str(m, CA_DEVICE, s->node ? s->node->loopdev : "");
		wire_put_u64(m, CA_CREATED, (uint64_t)s->prop.creation_timestamp);
		wire_put_u32(m, CA_ATTRIBUTES, (uint32_t)s->prop.snapshot_attributes);
		if (s->exposed)
			wire_put_str(m, CA_EXPOSED, s->mnt ? s->mnt :
				     s->node ? s->node->loopdev : "");
		wire_nest_end(m);
	}
	wire_nest_end(m);
}

static void put_unavailable(struct wire_msg *m, const struct cunavail *u)
{
	wire_nest_begin(m, CA_VOLUME);
	wire_put_str(m, CA_NAME, u->name);
	wire_put_str(m, CA_BACKING, u->backing);
	wire_put_str(m, CA_DIFF, u->diff);
	wire_put_str(m, CA_DEVICE, "");
	wire_put_str(m, CA_UNAVAILABLE, u->why);
	wire_nest_end(m);
}

static void put_storage(struct wire_msg *m, struct cvol *v)
{
	struct cow_stats st = { 0 };

	pthread_rwlock_rdlock(&v->io_lock);
	if (v->cow)
		cow_stats(v->cow, &st);
	pthread_rwlock_unlock(&v->io_lock);
	wire_nest_begin(m, CA_STORAGE);
	wire_put_str(m, CA_NAME, v->name);
	wire_put_str(m, CA_DEVICE, v->live ? v->live->loopdev : "");
	wire_put_str(m, CA_ON, v->storage);
	wire_put_str(m, CA_DIFF, v->diff);
	wire_put_u64(m, CA_SIZE, v->size);
	wire_put_u64(m, CA_MAXSIZE, st.diff_bytes_max ? st.diff_bytes_max : v->maxsize);
	wire_put_u64(m, CA_ALLOCATED, v->cow ? storage_allocated(v, &st) : 0);
	wire_put_u64(m, CA_DIFF_USED, st.diff_bytes_used);
	wire_put_u32(m, CA_EXPLICIT, v->explicit_storage);
	wire_nest_end(m);
}

static void handle(int fd, const struct wire_hdr *h, const uint8_t *pl, uid_t uid)
{
	uint16_t code = WIRE_CODE(h->type);
	struct ctl_req q;
	struct wire_msg m;
	struct mounts ms = { 0 };
	char err[512] = "";
	char dev[32] = "";
	vss_hr_t hr = S_OK;
	int r;

	wire_msg_init(&m, (uint16_t)(code | WIRE_REPLY), h->seq);
	r = ctl_req_parse(h, pl, &q, err, sizeof(err));
	/* once a stop is accepted nothing changes (it checked what is in
	 * use: a volume added now would be closed under its user) */
	if (!r && stop_requested && q.code != COWCTL_LIST_VOLUMES &&
	    q.code != COWCTL_LIST_STORAGE) {
		r = -EBUSY;
		snprintf(err, sizeof(err), "vss-cowd is stopping");
	}
	if (!r && uid != 0 && q.code != COWCTL_LIST_VOLUMES && q.code != COWCTL_LIST_STORAGE) {
		r = -EACCES;
		snprintf(err, sizeof(err), "only root may change volumes or shadow storage");
	}
	switch (r ? 0 : q.code) {
	case COWCTL_REMOVE_VOLUME:
		/* management calls (revert, expose, overflow) must not run under it */
		pthread_mutex_lock(&mgmt_lock);
		r = vol_remove(q.name, q.force, err, sizeof(err));
		pthread_mutex_unlock(&mgmt_lock);
		break;
	case COWCTL_ADD_VOLUME:
		r = vol_add(q.name, q.backing, q.diff, q.size,
			    q.create ? (q.sparse ? VOL_CREATE_SPARSE : VOL_CREATE) : 0,
			    q.maxsize, q.chunk, err, sizeof(err));
		if (r == 0) {
			pthread_mutex_lock(&tbl_lock);
			struct cvol *v = vol_find(q.name);

			if (v && v->live)
				snprintf(dev, sizeof(dev), "%s", v->live->loopdev);
			pthread_mutex_unlock(&tbl_lock);
			wire_put_str(&m, CA_DEVICE, dev);
			log_info("volume %s added (%s) as %s", q.name, q.backing, dev);
		}
		break;
	case COWCTL_ADD_STORAGE:
		pthread_mutex_lock(&mgmt_lock);
		r = storage_add(q.name, q.on, q.has_max, q.maxsize, q.pct, err, sizeof(err));
		pthread_mutex_unlock(&mgmt_lock);
		break;
	case COWCTL_RESIZE_STORAGE:
		pthread_mutex_lock(&mgmt_lock);
		r = storage_resize(q.name, q.on, q.has_max, q.maxsize, q.pct, err, sizeof(err));
		pthread_mutex_unlock(&mgmt_lock);
		break;
	case COWCTL_DELETE_STORAGE:
		pthread_mutex_lock(&mgmt_lock);
		r = storage_delete(q.name, q.on, err, sizeof(err));
		pthread_mutex_unlock(&mgmt_lock);
		break;
	case COWCTL_STOP:
		r = stop_check(q.force, err, sizeof(err));
		if (r == 0) {
			uint64_t one = 1;

			log_info("stop requested by uid %u%s", (unsigned)uid,
				 q.force ? " (detaching what is in use)" : "");
			stop_requested = true;
			/* wakes the main thread */
			if (write(stop_efd, &one, sizeof(one)) < 0)
				log_warn("cannot wake the main thread: %s", strerror(errno));
		}
		break;
	case COWCTL_LIST_STORAGE:
		pthread_mutex_lock(&tbl_lock);
		for (struct cvol *v = volumes; v; v = v->next)
			if (storage_match(v, q.name, q.on))
				put_storage(&m, v);
		pthread_mutex_unlock(&tbl_lock);
		break;
	case COWCTL_LIST_VOLUMES:
		mountinfo_each(keep_mount, &ms);
		pthread_mutex_lock(&tbl_lock);
		for (struct cvol *v = volumes; v; v = v->next)
			put_volume(&m, v, &ms);
		for (struct cunavail *u = unavailable; u; u = u->next)
			put_unavailable(&m, u);
		pthread_mutex_unlock(&tbl_lock);
		break;
	}
	hr = hr_of(r);
	if (r) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		log_warn("request %u refused: %s", code, err);
	}
	wire_put_u32(&m, CA_HR, (uint32_t)hr);
	if (r)
		wire_put_str(&m, CA_MESSAGE, err);
	if (wire_msg_finish(&m) == 0)
		wire_send(fd, &m);
	wire_msg_free(&m);
	ctl_req_free(&q);
	mounts_free(&ms);
}

/* ---- serving: the socket's own threads ----
 * A thread accepts; each connection gets a thread of its own (at most
 * CTL_MAX_CONN at once; more are closed at once) that waits up to 5 s for
 * its request, then handles it under ctl_lock: requests run one at a time,
 * as on the main thread before, but a client that sends nothing, or a long
 * request, no longer holds up the main thread (signals, the overflow
 * reports to vssd, registering again with a restarted vssd). */
#define CTL_MAX_CONN	16
#define CTL_STACK	(512 * 1024)	/* locked by mlockall: kept small */

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;	/* one request at a time */
static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_cond = PTHREAD_COND_INITIALIZER;
static unsigned nconn;		/* connection threads running */
static pthread_t accept_th;
static bool accept_started;
static int ctl_lfd = -1, wake_efd = -1;

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, r;
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *pl;
	struct ucred cr;
	socklen_t cl = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		goto out;
	/* a client gets 5 s to send its request */
	r = wire_recv(fd, &rx, 5000, &h, &pl);
	if (r < 0) {
		log_debug("control connection: bad or no request: %s", strerror(-r));
		goto out;
	}
	if (h.type & (WIRE_REPLY | WIRE_NOTIFY))
		goto out;
	pthread_mutex_lock(&ctl_lock);
	handle(fd, &h, pl, cr.uid);
	pthread_mutex_unlock(&ctl_lock);
out:
	wire_rx_free(&rx);
	close(fd);
	pthread_mutex_lock(&conn_lock);
	nconn--;
	pthread_cond_broadcast(&conn_cond);
	pthread_mutex_unlock(&conn_lock);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct pollfd p[2] = { { .fd = ctl_lfd, .events = POLLIN },
			       { .fd = wake_efd, .events = POLLIN } };
	pthread_attr_t attr;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CTL_STACK);
	for (;;) {
		pthread_t th;
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(ctl_lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* out of descriptors: let the backlog wait a moment */
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS)
				poll(NULL, 0, 100);
			continue;
		}
		pthread_mutex_lock(&conn_lock);
		if (nconn >= CTL_MAX_CONN) {
			pthread_mutex_unlock(&conn_lock);
			log_warn("control socket: %u connections open already: one refused",
				 CTL_MAX_CONN);
			close(fd);
			continue;
		}
		nconn++;
		pthread_mutex_unlock(&conn_lock);
		if (pthread_create(&th, &attr, conn_main, (void *)(intptr_t)fd)) {
			log_warn("control socket: no thread for a connection: refused");
			close(fd);
			pthread_mutex_lock(&conn_lock);
			nconn--;
			pthread_mutex_unlock(&conn_lock);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int ctl_start(int lfd)
{
	ctl_lfd = lfd;
	wake_efd = eventfd(0, EFD_CLOEXEC);
	stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_efd < 0 || stop_efd < 0)
		return -errno;
	if (pthread_create(&accept_th, NULL, accept_main, NULL))
		return -EAGAIN;
	accept_started = true;
	return 0;
}

int ctl_stop_fd(void)
{
	return stop_efd;
}

void ctl_stop(void)
{
	uint64_t one = 1;

	if (accept_started) {
		if (write(wake_efd, &one, sizeof(one)) < 0)
			log_warn("control socket: cannot wake its thread: %s", strerror(errno));
		pthread_join(accept_th, NULL);
		accept_started = false;
	}
	/* the connections still open finish (a silent one within 5 s) */
	pthread_mutex_lock(&conn_lock);
	while (nconn)
		pthread_cond_wait(&conn_cond, &conn_lock);
	pthread_mutex_unlock(&conn_lock);
	if (wake_efd >= 0)
		close(wake_efd);
	if (stop_efd >= 0)
		close(stop_efd);
	wake_efd = stop_efd = -1;
}
