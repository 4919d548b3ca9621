/* test-provider — a provider TEST DOUBLE, never installed; nothing outside
 * tests/ may depend on it.  It registers with vssd like a real provider,
 * takes no real snapshot: a "snapshot" is an empty file DIR/<snapshot-id>
 * created at CommitSnapshots, whose path is the snapshot's device object.
 *
 *   test-provider [--id GUID] [--name NAME] [--type software|system|hardware]
 *                 (--volume PATH ... | --all) [--dir DIR] [--log FILE]
 *                 [--socket PATH] [--fail STEP[:HR]] [--sleep STEP:MS]
 *                 [--die STEP] [--reconnect] [--old-abi] [--realtime] [--help]
 *
 * Defaults: id {5e1f7e57-0000-4000-8000-000000000001}, name "openvss test
 * provider", type software, dir a new $TMPDIR/test-provider.XXXXXX (removed
 * at exit; a --dir is created if missing and left in place).  STEP is a
 * provider call as proto_msg_name() spells it: IsVolumeSupported,
 * BeginPrepareSnapshot, EndPrepareSnapshots, PreCommitSnapshots,
 * CommitSnapshots, PostCommitSnapshots, PreFinalCommitSnapshots,
 * PostFinalCommitSnapshots, AbortSnapshots, GetSnapshotProperties,
 * DeleteSnapshots, Query, ExposeSnapshot, UnexposeSnapshot,
 * RevertToSnapshot, QueryRevertStatus (any case).  --fail answers the call with HR
 * (default VSS_E_PROVIDER_VETO) without doing it; --sleep delays the call;
 * --die does _exit(9) inside it.  A volume is supported when it equals a
 * --volume argument (or any volume with --all).
 *
 * Log format (--log FILE, O_APPEND, one write(2) per line), written when
 * the call arrives, before faults:
 *
 *   <Call> [set=<id>] [snapshot=<id>] [volume=<path>] [count=<n>] [rt=1]
 *
 * with only the arguments the call carries, ids "{...}" in lower case;
 * rt=1 when the thread serving the call runs at SCHED_FIFO.  --realtime
 * asks for that for CommitSnapshots (vss_provider_set_realtime).
 * Management: ExposeSnapshot records the name (or, without one, the
 * device) as the exposed name with VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY and
 * reports it in Query; UnexposeSnapshot clears it (VSS_E_OBJECT_NOT_FOUND
 * if not exposed).  RevertToSnapshot starts a pretend revert of
 * REVERT_STEPS steps (VSS_E_REVERT_IN_PROGRESS while one of the volume
 * runs); each QueryRevertStatus of the volume advances it one step, so the
 * progress moves without any clock.  SIGHUP moves every snapshot's device
 * file to a new name and registers again (vssd must take the new device
 * object from the reconcile).
 *
 * --old-abi registers with the struct_size of a provider built before the
 * management calls were appended (they must answer E_NOTIMPL).
 *
 * Prints "ready" on stdout once registered; runs until SIGTERM/SIGINT
 * (exit 0).  Exits 3 when vssd goes away, unless --reconnect. */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vss/provider.h>
#include "common/proto.h"
#include "tools/writer-opts.h"

#define FIRST_CALL MSG_PROV_IS_VOLUME_SUPPORTED
#define LAST_CALL MSG_PROV_QUERY_REVERT_STATUS
#define REVERT_STEPS 5
#define NCALLS (LAST_CALL - FIRST_CALL + 1)

struct snap {
	vss_snapshot_prop_t prop;
	bool committed;
	struct snap *next;
};

/* The pretend reverts, one per volume (the last one). */
struct revert {
	struct revert *next;
	char *volume;
	vss_id_t snapshot_id;
	unsigned done;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap *snaps;
static struct revert *reverts;
static unsigned relocations;
static char **volumes;
static unsigned nvolumes;
static bool all_volumes;
static const char *dir;
static char tmp_dir[256];
static vss_id_t provider_id = {
	{ 0x5e, 0x1f, 0x7e, 0x57, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1 }
};
static int log_fd = -1;
static bool fail[NCALLS], die[NCALLS];
static vss_hr_t fail_hr[NCALLS];
static uint32_t sleep_ms[NCALLS];

static const char usage_text[] =
"Usage: test-provider (--volume PATH ... | --all) [options]   (a test double)\n"
"  --id GUID  --name NAME  --type software|system|hardware  --dir DIR\n"
"  --log FILE  --socket PATH  --fail STEP[:HR]  --sleep STEP:MS  --die STEP\n"
"  --reconnect  --old-abi  --realtime  --help\n";

static int step_index(const char *s, size_t n)
{
	for (int code = FIRST_CALL; code <= LAST_CALL; code++) {
		const char *name = proto_msg_name(code);

		if (strlen(name) == n && strncasecmp(name, s, n) == 0)
			return code - FIRST_CALL;
	}
	errx(2, "unknown provider call '%.*s'", (int)n, s);
}

/* Logs the call, then injects the faults; S_OK means "go on". */
static vss_hr_t enter(int code, const vss_id_t *set, const vss_id_t *snap, const char *volume,
		      int count)
{
	char line[1024], a[VSS_ID_STRLEN];
	int i = code - FIRST_CALL, n;

	n = snprintf(line, sizeof(line), "%s", proto_msg_name(code));
	if (set)
		n += snprintf(line + n, sizeof(line) - n, " set=%s", vss_id_format(set, a));
	if (snap)
		n += snprintf(line + n, sizeof(line) - n, " snapshot=%s", vss_id_format(snap, a));
	if (volume)
		n += snprintf(line + n, sizeof(line) - n, " volume=%s", volume);
	if (count >= 0)
		n += snprintf(line + n, sizeof(line) - n, " count=%d", count);
	if (sched_getscheduler(0) == SCHED_FIFO)
		n += snprintf(line + n, sizeof(line) - n, " rt=1");
	n += snprintf(line + n, sizeof(line) - n, "\n");
	if ((size_t)n < sizeof(line))
		wopts_log_line(log_fd, line, n);
	if (sleep_ms[i]) {
		struct timespec ts = { sleep_ms[i] / 1000, (long)(sleep_ms[i] % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (die[i])
		_exit(9);
	return fail[i] ? fail_hr[i] : S_OK;
}

static void snap_free(struct snap *s)
{
	if (s->committed && s->prop.snapshot_device_object)
		unlink(s->prop.snapshot_device_object);
	vss_snapshot_prop_clear(&s->prop);
	free(s);
}

/* Removes the snapshots matching (set or id); lock held.  Returns how many. */
static int remove_snaps(const vss_id_t *set, const vss_id_t *id, bool uncommitted_only)
{
	int n = 0;

	for (struct snap **pp = &snaps; *pp;) {
		struct snap *s = *pp;

		if ((!set || vss_id_equal(&s->prop.snapshot_set_id, set)) &&
		    (!id || vss_id_equal(&s->prop.snapshot_id, id)) &&
		    (!uncommitted_only || s->prop.status != VSS_SS_CREATED)) {
			*pp = s->next;
			snap_free(s);
			n++;
		} else {
			pp = &s->next;
		}
	}
	return n;
}

static void set_state(const vss_id_t *set, VSS_SNAPSHOT_STATE st)
{
	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s; s = s->next)
		if (vss_id_equal(&s->prop.snapshot_set_id, set))
			s->prop.status = st;
	pthread_mutex_unlock(&lock);
}

static vss_hr_t is_volume_supported(vss_provider_t *p, const char *volume, bool *supported,
				    void *u)
{
	vss_hr_t hr = enter(MSG_PROV_IS_VOLUME_SUPPORTED, NULL, NULL, volume, -1);

	*supported = all_volumes;
	for (unsigned i = 0; i < nvolumes; i++)
		if (strcmp(volumes[i], volume) == 0)
			*supported = true;
	return hr;
}

static vss_hr_t begin_prepare(vss_provider_t *p, const vss_id_t *set, const vss_id_t *snap,
			      const char *volume, int32_t context, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_BEGIN_PREPARE, set, snap, volume, -1);
	bool ok = all_volumes;
	struct snap *s;

	if (hr)
		return hr;
	for (unsigned i = 0; i < nvolumes; i++)
		ok |= strcmp(volumes[i], volume) == 0;
	if (!ok)
		return VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->prop.original_volume_name = strdup(volume))) {
		free(s);
		return E_OUTOFMEMORY;
	}
	s->prop.snapshot_id = *snap;
	s->prop.snapshot_set_id = *set;
	s->prop.provider_id = provider_id;
	s->prop.snapshot_attributes = context;
	s->prop.status = VSS_SS_PREPARING;
	pthread_mutex_lock(&lock);
	/* A new set silently discards any older unfinished one (spec §3.3). */
	for (struct snap *o = snaps; o; o = o->next)
		if (o->prop.status != VSS_SS_CREATED &&
		    !vss_id_equal(&o->prop.snapshot_set_id, set)) {
			vss_id_t old = o->prop.snapshot_set_id;

			remove_snaps(&old, NULL, true);
			break;
		}
	s->next = snaps;
	snaps = s;
	pthread_mutex_unlock(&lock);
	return S_OK;
}

#define SET_STEP(fn, code, state)						\
	static vss_hr_t fn(vss_provider_t *p, const vss_id_t *set, void *u)	\
	{									\
		vss_hr_t hr = enter(code, set, NULL, NULL, -1);			\
		if (hr == S_OK)							\
			set_state(set, state);					\
		return hr;							\
	}
SET_STEP(end_prepare, MSG_PROV_END_PREPARE, VSS_SS_PREPARED)
SET_STEP(pre_commit, MSG_PROV_PRECOMMIT, VSS_SS_PRECOMMITTED)
SET_STEP(pre_final, MSG_PROV_PREFINAL, VSS_SS_PREFINALCOMMITTED)
SET_STEP(post_final, MSG_PROV_POSTFINAL, VSS_SS_CREATED)

static vss_hr_t commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_COMMIT, set, NULL, NULL, -1);
	char a[VSS_ID_STRLEN];

	if (hr)
		return hr;
	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next) {
		int fd;

		if (!vss_id_equal(&s->prop.snapshot_set_id, set))
			continue;
		free(s->prop.snapshot_device_object);
		if (asprintf(&s->prop.snapshot_device_object, "%s/%s", dir,
			     vss_id_format(&s->prop.snapshot_id, a)) < 0) {
			s->prop.snapshot_device_object = NULL;
			hr = E_OUTOFMEMORY;
			break;
		}
		fd = open(s->prop.snapshot_device_object, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			hr = VSS_E_PROVIDER_VETO;
		else
			close(fd);
		s->committed = fd >= 0;
		s->prop.creation_timestamp = vss_timestamp_now();
		s->prop.status = VSS_SS_COMMITTED;
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

static vss_hr_t post_commit(vss_provider_t *p, const vss_id_t *set, int32_t count, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_POSTCOMMIT, set, NULL, NULL, count);

	if (hr == S_OK) {
		pthread_mutex_lock(&lock);
		for (struct snap *s = snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_set_id, set)) {
				s->prop.snapshots_count = count;
				s->prop.status = VSS_SS_POSTCOMMITTED;
			}
		pthread_mutex_unlock(&lock);
	}
	return hr;
}

static vss_hr_t abort_snapshots(vss_provider_t *p, const vss_id_t *set, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_ABORT, set, NULL, NULL, -1);

	pthread_mutex_lock(&lock);
	remove_snaps(set, NULL, true);
	pthread_mutex_unlock(&lock);
	return hr;
}

static vss_hr_t get_properties(vss_provider_t *p, const vss_id_t *id, vss_snapshot_prop_t *out,
			       void *u)
{
	vss_hr_t hr = enter(MSG_PROV_GET_PROPERTIES, NULL, id, NULL, -1);

	if (hr)
		return hr;
	hr = VSS_E_OBJECT_NOT_FOUND;
	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s; s = s->next) {
		if (!vss_id_equal(&s->prop.snapshot_id, id))
			continue;
		*out = s->prop;
		out->snapshot_device_object = s->prop.snapshot_device_object ?
			strdup(s->prop.snapshot_device_object) : NULL;
		out->original_volume_name = strdup(s->prop.original_volume_name);
		out->originating_machine = out->service_machine = NULL;
		out->exposed_name = out->exposed_path = NULL;
		hr = S_OK;
		break;
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

static vss_hr_t delete_snapshots(vss_provider_t *p, const vss_id_t *src, VSS_OBJECT_TYPE type,
				 bool force, int32_t *deleted, vss_id_t *nondeleted, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_DELETE, type == VSS_OBJECT_SNAPSHOT_SET ? src : NULL,
			    type == VSS_OBJECT_SNAPSHOT ? src : NULL, NULL, -1);

	if (hr)
		return hr;
	if (type != VSS_OBJECT_SNAPSHOT && type != VSS_OBJECT_SNAPSHOT_SET)
		return E_INVALIDARG;
	pthread_mutex_lock(&lock);
	*deleted = remove_snaps(type == VSS_OBJECT_SNAPSHOT_SET ? src : NULL,
				type == VSS_OBJECT_SNAPSHOT ? src : NULL, false);
	pthread_mutex_unlock(&lock);
	return *deleted ? S_OK : VSS_E_OBJECT_NOT_FOUND;
}

static vss_hr_t query(vss_provider_t *p, vss_provider_query_t *q, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_QUERY, NULL, NULL, NULL, -1);

	pthread_mutex_lock(&lock);
	for (struct snap *s = snaps; s && hr == S_OK; s = s->next)
		if (s->prop.status == VSS_SS_CREATED)
			hr = vss_provider_query_add(q, &s->prop);
	pthread_mutex_unlock(&lock);
	return hr;
}

static struct snap *snap_find(const vss_id_t *id)
{
	for (struct snap *s = snaps; s; s = s->next)
		if (vss_id_equal(&s->prop.snapshot_id, id) && s->prop.status == VSS_SS_CREATED)
			return s;
	return NULL;
}

static vss_hr_t expose(vss_provider_t *p, const vss_id_t *id, const char *name,
		       char **exposed_name, char **exposed_path, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_EXPOSE, NULL, id, name, -1);
	struct snap *s;

	if (hr)
		return hr;
	pthread_mutex_lock(&lock);
	s = snap_find(id);
	if (!s) {
		hr = VSS_E_OBJECT_NOT_FOUND;
	} else {
		free(s->prop.exposed_name);
		s->prop.exposed_name = strdup(name ? name : s->prop.snapshot_device_object);
		*exposed_name = s->prop.exposed_name ? strdup(s->prop.exposed_name) : NULL;
		if (!*exposed_name)
			hr = E_OUTOFMEMORY;
		else
			s->prop.snapshot_attributes |= VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
	}
	pthread_mutex_unlock(&lock);
	(void)exposed_path;
	return hr;
}

static vss_hr_t unexpose(vss_provider_t *p, const vss_id_t *id, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_UNEXPOSE, NULL, id, NULL, -1);
	struct snap *s;

	if (hr)
		return hr;
	pthread_mutex_lock(&lock);
	s = snap_find(id);
	if (!s || !(s->prop.snapshot_attributes & VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY)) {
		hr = VSS_E_OBJECT_NOT_FOUND;
	} else {
		free(s->prop.exposed_name);
		s->prop.exposed_name = NULL;
		s->prop.snapshot_attributes &= ~VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

static struct revert *revert_find(const char *volume)
{
	for (struct revert *r = reverts; r; r = r->next)
		if (strcmp(r->volume, volume) == 0)
			return r;
	return NULL;
}

static vss_hr_t revert(vss_provider_t *p, const vss_id_t *id, bool force, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_REVERT, NULL, id, NULL, force);
	struct revert *r;
	struct snap *s;

	if (hr)
		return hr;
	pthread_mutex_lock(&lock);
	s = snap_find(id);
	r = s ? revert_find(s->prop.original_volume_name) : NULL;
	if (!s) {
		hr = VSS_E_OBJECT_NOT_FOUND;
	} else if (r && r->done < REVERT_STEPS) {
		hr = VSS_E_REVERT_IN_PROGRESS;
	} else if (!r && !(r = calloc(1, sizeof(*r)))) {
		hr = E_OUTOFMEMORY;
	} else {
		if (!r->volume) {
			r->volume = strdup(s->prop.original_volume_name);
			r->next = reverts;
			reverts = r;
		}
		r->snapshot_id = *id;
		r->done = 0;
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

static vss_hr_t revert_status(vss_provider_t *p, const char *volume, vss_hr_t *status,
			      uint64_t *done, uint64_t *total, vss_id_t *id, void *u)
{
	vss_hr_t hr = enter(MSG_PROV_QUERY_REVERT_STATUS, NULL, NULL, volume, -1);
	struct revert *r;

	if (hr)
		return hr;
	pthread_mutex_lock(&lock);
	r = revert_find(volume);
	if (!r) {
		hr = VSS_E_OBJECT_NOT_FOUND;
	} else {
		if (r->done < REVERT_STEPS)
			r->done++;
		*done = r->done;
		*total = REVERT_STEPS;
		*id = r->snapshot_id;
		*status = r->done < REVERT_STEPS ? VSS_S_ASYNC_PENDING : VSS_S_ASYNC_FINISHED;
	}
	pthread_mutex_unlock(&lock);
	return hr;
}

/* SIGHUP: new device files, then register again. */
static void relocate(vss_provider_t *p, const char *name, VSS_PROVIDER_TYPE type)
{
	char a[VSS_ID_STRLEN];

	pthread_mutex_lock(&lock);
	relocations++;
	for (struct snap *s = snaps; s; s = s->next) {
		char *dev;

		if (!s->committed || !s->prop.snapshot_device_object)
			continue;
		if (asprintf(&dev, "%s/%s.%u", dir, vss_id_format(&s->prop.snapshot_id, a),
			     relocations) < 0)
			continue;
		if (rename(s->prop.snapshot_device_object, dev) < 0) {
			free(dev);
			continue;
		}
		free(s->prop.snapshot_device_object);
		s->prop.snapshot_device_object = dev;
	}
	pthread_mutex_unlock(&lock);
	vss_provider_unregister(p);
	/* vssd may not have seen the old connection close yet */
	for (int i = 0; i < 100; i++) {
		if (VSS_SUCCEEDED(vss_provider_register(p, &provider_id, name, type, "1.0", NULL)))
			return;
		usleep(50000);
	}
	fprintf(stderr, "test-provider: cannot register again: %s\n", vss_last_error());
}

static struct vss_provider_ops ops = {
	.struct_size = sizeof(struct vss_provider_ops),
	.is_volume_supported = is_volume_supported,
	.begin_prepare_snapshot = begin_prepare,
	.end_prepare_snapshots = end_prepare,
	.pre_commit = pre_commit,
	.commit = commit,
	.post_commit = post_commit,
	.pre_final_commit = pre_final,
	.post_final_commit = post_final,
	.abort_snapshots = abort_snapshots,
	.get_snapshot_properties = get_properties,
	.delete_snapshots = delete_snapshots,
	.query = query,
	.expose_snapshot = expose,
	.unexpose_snapshot = unexpose,
	.revert_to_snapshot = revert,
	.query_revert_status = revert_status,
};

static VSS_PROVIDER_TYPE parse_type(const char *s)
{
	if (!strcasecmp(s, "software"))
		return VSS_PROV_SOFTWARE;
	if (!strcasecmp(s, "system"))
		return VSS_PROV_SYSTEM;
	if (!strcasecmp(s, "hardware"))
		return VSS_PROV_HARDWARE;
	errx(2, "bad provider type '%s'", s);
}

int main(int argc, char **argv)
{
	enum { OPT_ID = 256, OPT_NAME, OPT_TYPE, OPT_VOLUME, OPT_ALL, OPT_DIR, OPT_LOG,
	       OPT_SOCKET, OPT_FAIL, OPT_SLEEP, OPT_DIE, OPT_RECONNECT, OPT_OLD_ABI,
	       OPT_REALTIME };
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, OPT_ID },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "volume", required_argument, NULL, OPT_VOLUME },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "fail", required_argument, NULL, OPT_FAIL },
		{ "sleep", required_argument, NULL, OPT_SLEEP },
		{ "die", required_argument, NULL, OPT_DIE },
		{ "reconnect", no_argument, NULL, OPT_RECONNECT },
		{ "old-abi", no_argument, NULL, OPT_OLD_ABI },
		{ "realtime", no_argument, NULL, OPT_REALTIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = "openvss test provider", *socket_path = NULL, *colon;
	VSS_PROVIDER_TYPE type = VSS_PROV_SOFTWARE;
	vss_provider_t *p = NULL;
	bool reconnect = false, realtime = false;
	sigset_t sigs;
	int c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ID:
			if (vss_id_parse(optarg, &provider_id))
				errx(2, "bad GUID '%s'", optarg);
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_TYPE:
			type = parse_type(optarg);
			break;
		case OPT_VOLUME:
			volumes = realloc(volumes, (nvolumes + 1) * sizeof(*volumes));
			if (!volumes)
				errx(2, "%s", "out of memory");
			volumes[nvolumes++] = optarg;
			break;
		case OPT_ALL:
			all_volumes = true;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_LOG:
			log_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (log_fd < 0)
				errx(2, "cannot open log '%s'", optarg);
			break;
		case OPT_SOCKET:
			socket_path = optarg;
			break;
		case OPT_FAIL:
			colon = strchr(optarg, ':');
			i = step_index(optarg, colon ? (size_t)(colon - optarg) : strlen(optarg));
			fail[i] = true;
			fail_hr[i] = VSS_E_PROVIDER_VETO;
			if (colon && vss_hr_parse(colon + 1, &fail_hr[i]))
				errx(2, "bad HR in '%s'", optarg);
			break;
		case OPT_SLEEP:
			colon = strchr(optarg, ':');
			if (!colon)
				errx(2, "bad --sleep '%s' (STEP:MS)", optarg);
			i = step_index(optarg, (size_t)(colon - optarg));
			if (wopts_ms(colon + 1, &sleep_ms[i]))
				errx(2, "bad --sleep '%s' (STEP:MS)", optarg);
			break;
		case OPT_DIE:
			die[step_index(optarg, strlen(optarg))] = true;
			break;
		case OPT_RECONNECT:
			reconnect = true;
			break;
		case OPT_REALTIME:
			realtime = true;
			break;
		case OPT_OLD_ABI:
			/* a provider built before the management calls */
			ops.struct_size = offsetof(struct vss_provider_ops, expose_snapshot);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			exit(2);
		}
	}
	if (optind != argc || (!nvolumes && !all_volumes))
		errx(2, "usage: test-provider (--volume PATH ... | --all) [options] (try --help)");
	if (!dir) {
		const char *t = getenv("TMPDIR");

		snprintf(tmp_dir, sizeof(tmp_dir), "%s/test-provider.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp_dir))
			err(2, "mkdtemp %s", tmp_dir);
		dir = tmp_dir;
	} else if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		errx(2, "cannot create '%s'", dir);
	}

	wopts_block_term(&sigs);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (vss_provider_new(&ops, NULL, &p) || vss_provider_set_socket(p, socket_path) ||
	    (realtime && vss_provider_set_realtime(p, true)) ||
	    vss_provider_register(p, &provider_id, name, type, "1.0", NULL)) {
		fprintf(stderr, "test-provider: %s\n", vss_last_error());
		rc = 1;
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	for (bool up = true;;) {
		struct timespec ts = { 0, 100000000 };
		int sig = sigtimedwait(&sigs, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			relocate(p, name, type);
		if (up && vss_provider_wait(p, 0) != VSS_E_PROVIDER_NOT_REGISTERED)
			continue;
		if (!reconnect) {
			fprintf(stderr, "test-provider: %s\n", vss_last_error());
			rc = 3;
			break;
		}
		/* retried every 100 ms until vssd is back */
		up = VSS_SUCCEEDED(vss_provider_register(p, &provider_id, name, type, "1.0", NULL));
	}
out:
	vss_provider_free(p);
	pthread_mutex_lock(&lock);
	remove_snaps(NULL, NULL, false);
	while (reverts) {
		struct revert *r = reverts;

		reverts = r->next;
		free(r->volume);
		free(r);
	}
	pthread_mutex_unlock(&lock);
	if (tmp_dir[0])
		rmdir(tmp_dir);
	free(volumes);
	if (log_fd >= 0)
		close(log_fd);
	return rc;
}
