/* provider.c — vss-cowd in the provider role (vss-protocol §8).
 *
 *   IsVolumeSupported     a live loop device this daemon serves
 *   BeginPrepareSnapshot  records the snapshot (PREPARING); a new set
 *                         discards an older unfinished one
 *   EndPrepare/PreCommit  check the volume is still served
 *   CommitSnapshots       holds the writes of every volume of the set
 *                         (hold.c), cow_snapshot_begin per volume (the
 *                         epoch opens in memory), tag = snapshot id,
 *                         releases the hold (inside the hold window: no
 *                         logging, no I/O at all)
 *   PostCommitSnapshots   cow_snapshot_persist per volume, in parallel
 *                         (the origin flush and durable metadata write:
 *                         writes are released, writers still frozen); a
 *                         failure fails the set
 *   PostFinalCommit       writes the snapshot's record and exposes it (FUSE
 *                         file + read-only loop device = device object)
 *   AbortSnapshots        breaks a hold under way, deletes what the set
 *                         created; so does a lost connection to vssd
 *   DeleteSnapshots       cow_snapshot_delete + record + exposure (an
 *                         exposed or mounted snapshot: manage.c)
 *   Expose/Unexpose/Revert/QueryRevertStatus   manage.c
 *   GetSnapshotProperties / Query   from the records in memory */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "cow/cowd/cowd.h"

const vss_id_t cowd_provider_id = COWD_PROVIDER_ID;

/* What the commit could not log inside the hold window. */
static char deferred[512];
static bool deferred_err;

/* tbl_lock */
__attribute__((format(printf, 2, 3)))
static void defer_log(bool err, const char *fmt, ...)
{
	va_list ap;

	if (deferred[0] && deferred_err && !err)
		return;		/* an error is worth more than a note */
	va_start(ap, fmt);
	vsnprintf(deferred, sizeof(deferred), fmt, ap);
	va_end(ap);
	deferred_err = err;
}
/* How long the last CommitSnapshots took (µs, tbl_lock), logged after the
 * window. */
static uint64_t commit_us;

void provider_flush_log(void)
{
	pthread_mutex_lock(&tbl_lock);
	if (deferred[0]) {
		char msg[sizeof(deferred)];
		bool err = deferred_err;

		memcpy(msg, deferred, sizeof(msg));
		deferred[0] = '\0';
		pthread_mutex_unlock(&tbl_lock);
		if (err)
			log_err("%s", msg);
		else
			log_info("%s", msg);
		return;
	}
	pthread_mutex_unlock(&tbl_lock);
}

static struct cvol *vol_of(const char *volume)
{
	struct stat st;

	if (!volume || stat(volume, &st) < 0 || !S_ISBLK(st.st_mode))
		return NULL;
	return vol_find_dev(st.st_rdev);
}

static vss_hr_t is_volume_supported(vss_provider_t *p, const char *volume, bool *supported,
				    void *u)
{
	pthread_mutex_lock(&tbl_lock);
	*supported = vol_of(volume) != NULL;
	pthread_mutex_unlock(&tbl_lock);
	return S_OK;
}

/* Takes the snapshots of set (all uncommitted ones when set is NULL and
 * not_set is given: those of any other set) off their volumes; tbl_lock. */
struct taken {
	struct taken *next;
	struct cvol *v;
	struct csnap *s;
};

/* Adds (v, s) to the list, referencing v; false when out of memory.
 * tbl_lock. */
static bool taken_push(struct taken **list, struct cvol *v, struct csnap *s)
{
	struct taken *t = calloc(1, sizeof(*t));

	if (!t)
		return false;
	t->v = v;
	v->refs++;
	t->s = s;
	t->next = *list;
	*list = t;
	return true;
}

static struct taken *take(const vss_id_t *set, const vss_id_t *not_set, const vss_id_t *id,
			  bool created_only, bool uncreated_only)
{
	struct taken *list = NULL;

	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap **pp = &v->snaps; *pp;) {
			struct csnap *s = *pp;
			bool match = (!set || vss_id_equal(&s->prop.snapshot_set_id, set)) &&
				(!not_set || !vss_id_equal(&s->prop.snapshot_set_id, not_set)) &&
				(!id || vss_id_equal(&s->prop.snapshot_id, id)) &&
				(!created_only || s->prop.status == VSS_SS_CREATED) &&
				(!uncreated_only || s->prop.status != VSS_SS_CREATED);

			if (match && taken_push(&list, v, s))
				*pp = s->next;
			else
				pp = &s->next;
		}
	return list;
}

/* Destroys what take() returned (no lock held); returns how many. */
static int destroy(struct taken *list)
{
	int n = 0;

	for (struct taken *next; list; list = next) {
		next = list->next;
		snap_destroy(list->v, list->s);
		pthread_mutex_lock(&tbl_lock);
		vol_put(list->v);
		pthread_mutex_unlock(&tbl_lock);
		free(list);
		n++;
	}
	return n;
}

static vss_hr_t begin_prepare(vss_provider_t *p, const vss_id_t *set, const vss_id_t *snap,
			      const char *volume, int32_t context, void *u)
{
	struct taken *old;
	struct csnap *s;
	struct cvol *v;
	int n = 0;

	pthread_mutex_lock(&tbl_lock);
	/* a new set discards any older unfinished one */
	old = take(NULL, set, NULL, false, true);
	v = vol_of(volume);
	for (s = v ? v->snaps : NULL; s; s = s->next)
		n++;
	if (v && mgmt_reverting(v))
		v = NULL, n = -1;
	pthread_mutex_unlock(&tbl_lock);
	destroy(old);
	if (n < 0)
		return VSSERR(VSS_E_PROVIDER_VETO, "%s is being reverted to a snapshot", volume);
	if (!v)
		return VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER;
	if (n >= (int)COW_MAX_SNAPSHOTS - 1)
		return VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED;
	s = calloc(1, sizeof(*s));
	if (!s)
		return E_OUTOFMEMORY;
	s->prop.snapshot_id = *snap;
	s->prop.snapshot_set_id = *set;
	s->prop.provider_id = cowd_provider_id;
	s->prop.snapshot_attributes = context | VSS_VOLSNAP_ATTR_DIFFERENTIAL;
	s->prop.status = VSS_SS_PREPARING;
	pthread_mutex_lock(&tbl_lock);
	v = vol_of(volume);	/* may have gone meanwhile */
	if (v && v->moving) {
		pthread_mutex_unlock(&tbl_lock);
		free(s);
		log_warn("BeginPrepareSnapshot: volume %s: its shadow storage is being moved",
			 v->name);
		return VSS_E_VOLUME_IN_USE;
	}
	if (v) {
		s->next = v->snaps;
		v->snaps = s;
	}
	pthread_mutex_unlock(&tbl_lock);
	if (!v) {
		free(s);
		return VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER;
	}
	log_debug("BeginPrepareSnapshot: volume %s", v->name);
	return S_OK;
}

/* Moves every snapshot of the set to state st; VSS_E_OBJECT_NOT_FOUND when
 * the set has none (its volume was removed). */
static vss_hr_t set_state(const vss_id_t *set, VSS_SNAPSHOT_STATE st, int32_t count)
{
	int n = 0;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_set_id, set)) {
				s->prop.status = st;
				if (count >= 0)
					s->prop.snapshots_count = count;
				n++;
			}
	pthread_mutex_unlock(&tbl_lock);
	return n ? S_OK : VSS_E_OBJECT_NOT_FOUND;
}

static vss_hr_t end_prepare(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return set_state(set, VSS_SS_PREPARED, -1);
}

static vss_hr_t pre_commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return set_state(set, VSS_SS_PRECOMMITTED, -1);
}

/* The tests' pauses: $name in ms, 0 when unset or outside 0..5000. */
long test_ms(const char *name)
{
	const char *e = getenv(name);
	long ms = e ? strtol(e, NULL, 10) : 0;

	return ms < 0 || ms > 5000 ? 0 : ms;
}

void sleep_ms(long t)
{
	if (t > 0)
		nanosleep(&(struct timespec){ t / 1000, (t % 1000) * 1000000L }, NULL);
}

/* $VSS_COWD_TEST_COMMIT_DELAY_MS (tests only, at most 5000): the k-th
 * volume of a set opens its epoch k times that late (the epochs open one
 * after the other: each waits that long after the one before), so that a
 * test can show that the hold, not luck, makes the set atomic. */
static void test_delay(unsigned k)
{
	static long ms = -1;

	if (ms < 0)
		ms = test_ms("VSS_COWD_TEST_COMMIT_DELAY_MS");
	if (ms > 0 && k > 0)
		sleep_ms(ms);
}

/* One volume's commit: the engine's new epoch, in memory (no I/O; made
 * durable by PostCommitSnapshots). */
/* fn(job) for n jobs of size bytes each, one thread each but the first
 * (in the caller's thread, as is any whose thread cannot start). */
static void run_parallel(void *jobs, size_t n, size_t size, void *(*fn)(void *))
{
	pthread_t *th = n > 1 ? calloc(n, sizeof(*th)) : NULL;
	bool *ok = n > 1 ? calloc(n, sizeof(*ok)) : NULL;

	for (size_t i = 1; th && ok && i < n; i++)
		ok[i] = pthread_create(&th[i], NULL, fn, (char *)jobs + i * size) == 0;
	fn(jobs);
	for (size_t i = 1; i < n; i++) {
		if (ok && ok[i])
			pthread_join(th[i], NULL);
		else
			fn((char *)jobs + i * size);
	}
	free(th);
	free(ok);
}

struct commit_job {
	struct cvol *v;			/* referenced */
	vss_id_t id;
	uint64_t engine_id;
	int r;
	int64_t created;
	unsigned idx;
};

static void *commit_one(void *arg)
{
	struct commit_job *j = arg;
	struct cvol *v = j->v;

	test_delay(j->idx);
	pthread_rwlock_rdlock(&v->io_lock);
	j->r = v->cow ? cow_snapshot_begin(v->cow, j->id.b, &j->engine_id) : -EIO;
	pthread_rwlock_unlock(&v->io_lock);
	j->created = vss_timestamp_now();
	return NULL;
}

/* Inside the flush-and-hold window: the volumes of the set are held
 * (hold.c), their epochs opened one after the other (in memory:
 * microseconds each), the hold released; no logging here.  tbl_lock is not held meanwhile
 * (FUSE lookups and GETATTRs go on): the volumes are referenced, and a
 * snapshot taken off its volume meanwhile (AbortSnapshots, vssd lost) gets
 * its engine epoch deleted here. */
static vss_hr_t commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	struct commit_job *jobs = NULL;
	struct cvol **vols = NULL;
	vss_hr_t hr = S_OK;
	int64_t held_us = 0;
	bool drain_failed, discarded = false;
	uint64_t t0 = mono_us();
	size_t n = 0, i;
	int r;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			n += vss_id_equal(&s->prop.snapshot_set_id, set);
	jobs = n ? calloc(n, sizeof(*jobs)) : NULL;
	vols = n ? calloc(n, sizeof(*vols)) : NULL;
	i = 0;
	for (struct cvol *v = volumes; v && jobs && vols; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_set_id, set)) {
				jobs[i].id = s->prop.snapshot_id;
				jobs[i].v = v;
				jobs[i].idx = (unsigned)i;
				vols[i++] = v;
				v->refs++;
			}
	pthread_mutex_unlock(&tbl_lock);
	if (!n)
		return VSS_E_OBJECT_NOT_FOUND;
	if (!jobs || !vols) {
		/* nothing was referenced: the fill loop did not run */
		free(jobs);
		free(vols);
		return E_OUTOFMEMORY;
	}

	drain_failed = hold_begin(vols, n) < 0;
	if (drain_failed) {
		hr = VSS_E_PROVIDER_VETO;
	} else {
		/* one after the other: each takes microseconds, less than
		 * starting a thread (which a loaded machine may not run for
		 * milliseconds) */
		for (i = 0; i < n; i++)
			commit_one(&jobs[i]);
		for (i = 0; i < n && hr == S_OK; i++)
			if (jobs[i].r)
				hr = jobs[i].r == -ENOSPC ? VSS_E_INSUFFICIENT_STORAGE :
					VSS_E_PROVIDER_VETO;
	}
	r = hold_end(vols, n, &held_us);

	pthread_mutex_lock(&tbl_lock);
	commit_us = mono_us() - t0;
	if (hr == S_OK && r < 0) {
		defer_log(true, "CommitSnapshots: the hold broke (its %u ms bound passed, or the "
			  "set was aborted): writes released, the set fails", hold_bound_ms());
		hr = VSS_E_PROVIDER_VETO;
	} else if (drain_failed) {
		defer_log(true, "CommitSnapshots: the writes in flight did not finish within "
			  "the %u ms hold bound: the set fails", hold_bound_ms());
	} else if (hr == S_OK) {
		defer_log(false, "CommitSnapshots: writes held on %zu volume%s for %lld.%03lld ms",
			  n, n == 1 ? "" : "s", (long long)held_us / 1000,
			  (long long)held_us % 1000);
	}
	for (i = 0; i < n; i++) {
		struct csnap *s = vols[i]->snaps;

		while (s && !vss_id_equal(&s->prop.snapshot_id, &jobs[i].id))
			s = s->next;
		if (jobs[i].r)
			defer_log(true, "CommitSnapshots: volume %s: cannot create the snapshot: %s",
				  vols[i]->name, strerror(-jobs[i].r));
		if (s && jobs[i].engine_id) {
			s->engine_id = jobs[i].engine_id;
			s->prop.creation_timestamp = jobs[i].created;
			s->prop.status = VSS_SS_COMMITTED;
		} else if (jobs[i].engine_id) {
			/* discarded meanwhile: its epoch goes too */
			discarded = true;
			pthread_rwlock_rdlock(&vols[i]->io_lock);
			if (vols[i]->cow)
				cow_snapshot_delete(vols[i]->cow, jobs[i].engine_id);
			pthread_rwlock_unlock(&vols[i]->io_lock);
		}
		vol_put(vols[i]);
	}
	pthread_mutex_unlock(&tbl_lock);
	free(jobs);
	free(vols);
	/* AbortSnapshots came meanwhile (the window is over: vssd thawed
	 * before it aborted) and flushed the log before this was known */
	if (discarded)
		provider_flush_log();
	/* on failure vssd calls AbortSnapshots, which deletes what was made */
	return hr;
}

struct persist_job {
	struct cvol *v;			/* referenced */
	int r;
};

static void *persist_one(void *arg)
{
	struct persist_job *j = arg;

	pthread_rwlock_rdlock(&j->v->io_lock);
	j->r = j->v->cow ? cow_snapshot_persist(j->v->cow) : -EIO;
	pthread_rwlock_unlock(&j->v->io_lock);
	return NULL;
}

/* Writes are released (the filesystems thawed), the writers still frozen:
 * the epochs CommitSnapshots opened become durable, every volume of the set
 * in parallel (each an origin flush and a durable superblock write).  A
 * failure fails the set (vssd then aborts it, which deletes them). */
static vss_hr_t persist_set(const vss_id_t *set)
{
	struct persist_job *jobs = NULL;
	size_t n = 0, i = 0;
	vss_hr_t hr = S_OK;
	uint64_t t0 = mono_us();

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			n += vss_id_equal(&s->prop.snapshot_set_id, set) && s->engine_id;
	jobs = n ? calloc(n, sizeof(*jobs)) : NULL;
	for (struct cvol *v = volumes; v && jobs; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_set_id, set) && s->engine_id) {
				jobs[i++].v = v;
				v->refs++;
			}
	pthread_mutex_unlock(&tbl_lock);
	if (!n)
		return S_OK;
	if (!jobs)
		return E_OUTOFMEMORY;
	run_parallel(jobs, n, sizeof(*jobs), persist_one);
	for (i = 0; i < n; i++)
		if (jobs[i].r) {
			log_err("PostCommitSnapshots: volume %s: cannot make the snapshot "
				"durable: %s", jobs[i].v->name, strerror(-jobs[i].r));
			hr = VSS_E_PROVIDER_VETO;
		}
	log_debug("PostCommitSnapshots: %zu snapshot%s made durable in %llu us", n,
		  n == 1 ? "" : "s", (unsigned long long)(mono_us() - t0));
	pthread_mutex_lock(&tbl_lock);
	for (i = 0; i < n; i++)
		vol_put(jobs[i].v);
	pthread_mutex_unlock(&tbl_lock);
	free(jobs);
	return hr;
}

static vss_hr_t post_commit(vss_provider_t *p, const vss_id_t *set, int32_t count, void *u)
{
	uint64_t us;
	vss_hr_t hr;

	/* the number of snapshots in the set goes into their records */
	if (count < 1 || count > VSS_MAX_VOLUMES_PER_SET)
		return VSSERR(E_INVALIDARG, "PostCommitSnapshots: a set of %d snapshots",
			      count);
	provider_flush_log();
	pthread_mutex_lock(&tbl_lock);
	us = commit_us;
	pthread_mutex_unlock(&tbl_lock);
	log_debug("CommitSnapshots: commit_us=%llu (%d volume%s, in the hold window)",
		  (unsigned long long)us, count, count == 1 ? "" : "s");
	/* $VSS_COWD_TEST_POSTCOMMIT_DELAY_MS (tests only, at most 5000):
	 * a pause before the epochs are made durable, so that a test can
	 * kill vss-cowd between CommitSnapshots and PostCommitSnapshots */
	sleep_ms(test_ms("VSS_COWD_TEST_POSTCOMMIT_DELAY_MS"));
	hr = persist_set(set);
	if (hr != S_OK)
		return hr;
	return set_state(set, VSS_SS_POSTCOMMITTED, count);
}

static vss_hr_t pre_final(vss_provider_t *p, const vss_id_t *set, void *u)
{
	return set_state(set, VSS_SS_PREFINALCOMMITTED, -1);
}

static vss_hr_t post_final(vss_provider_t *p, const vss_id_t *set, void *u)
{
	struct taken *list = NULL;
	char a[VSS_ID_STRLEN];
	vss_hr_t hr = S_OK;
	long ms;

	/* under mgmt_lock, as is everything that takes snapshots off their
	 * volume (remove volume, DeleteSnapshots, overflow_drain): none of
	 * them may free a snapshot between its record and its exposure */
	pthread_mutex_lock(&mgmt_lock);
	/* record first: a snapshot without a record is deleted on restart */
	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next) {
			if (!vss_id_equal(&s->prop.snapshot_set_id, set) || !s->engine_id)
				continue;
			s->prop.status = VSS_SS_CREATED;
			if (!taken_push(&list, v, s))
				hr = E_OUTOFMEMORY;
		}
	pthread_mutex_unlock(&tbl_lock);
	/* $VSS_COWD_TEST_POSTFINAL_DELAY_MS (tests only, at most 5000): a
	 * pause before the records are written, so that a test can remove
	 * the volume meanwhile */
	if ((ms = test_ms("VSS_COWD_TEST_POSTFINAL_DELAY_MS")) > 0) {
		log_info("PostFinalCommitSnapshots: test pause of %ld ms", ms);
		sleep_ms(ms);
	}
	for (struct taken *next; list; list = next) {
		int r;

		next = list->next;
		r = reg_save_snapshot(list->v->name, list->s);
		if (r) {
			log_err("snapshot %s: cannot write its record: %s",
				vss_id_format(&list->s->prop.snapshot_id, a), strerror(-r));
			hr = VSS_E_PROVIDER_VETO;
		} else {
			log_info("snapshot %s of volume %s created",
				 vss_id_format(&list->s->prop.snapshot_id, a), list->v->name);
			snap_expose(list->v, list->s);
		}
		pthread_mutex_lock(&tbl_lock);
		vol_put(list->v);
		pthread_mutex_unlock(&tbl_lock);
		free(list);
	}
	pthread_mutex_unlock(&mgmt_lock);
	return hr;
}

static vss_hr_t abort_snapshots(vss_provider_t *p, const vss_id_t *set, void *u)
{
	struct taken *list;
	int n;

	hold_cancel();		/* a commit still holding gives up */
	provider_flush_log();
	pthread_mutex_lock(&tbl_lock);
	list = take(set, NULL, NULL, false, false);
	pthread_mutex_unlock(&tbl_lock);
	n = destroy(list);
	log_info("AbortSnapshots: %d snapshot%s discarded", n, n == 1 ? "" : "s");
	return S_OK;
}

/* tbl_lock */
static vss_hr_t fill(const struct cvol *v, const struct csnap *s, vss_snapshot_prop_t *out)
{
	char host[256] = "";

	*out = s->prop;
	gethostname(host, sizeof(host) - 1);
	out->snapshot_device_object = strdup(s->node ? s->node->loopdev : "");
	out->original_volume_name = strdup(v->live ? v->live->loopdev : v->name);
	out->originating_machine = strdup(host);
	out->service_machine = strdup(host);
	out->exposed_name = NULL;
	out->exposed_path = NULL;
	out->snapshot_attributes &= ~VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
	if (s->exposed) {
		out->snapshot_attributes |= VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY;
		out->exposed_name = strdup(s->mnt ? s->mnt : out->snapshot_device_object ?
					   out->snapshot_device_object : "");
	}
	if (!out->snapshot_device_object || !out->original_volume_name ||
	    !out->originating_machine || !out->service_machine ||
	    (s->exposed && !out->exposed_name)) {
		vss_snapshot_prop_clear(out);
		return E_OUTOFMEMORY;
	}
	return S_OK;
}

static vss_hr_t get_properties(vss_provider_t *p, const vss_id_t *id, vss_snapshot_prop_t *out,
			       void *u)
{
	vss_hr_t hr = VSS_E_OBJECT_NOT_FOUND;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v && hr == VSS_E_OBJECT_NOT_FOUND; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_id, id) && s->engine_id) {
				hr = fill(v, s, out);
				break;
			}
	pthread_mutex_unlock(&tbl_lock);
	return hr;
}

static vss_hr_t delete_snapshots(vss_provider_t *p, const vss_id_t *src, VSS_OBJECT_TYPE type,
				 bool force, int32_t *deleted, vss_id_t *nondeleted, void *u)
{
	struct taken *list;

	if (type != VSS_OBJECT_SNAPSHOT && type != VSS_OBJECT_SNAPSHOT_SET)
		return E_INVALIDARG;
	struct taken *keep = NULL, **tail = &list;
	vss_hr_t hr = S_OK;
	bool any;

	pthread_mutex_lock(&mgmt_lock);
	pthread_mutex_lock(&tbl_lock);
	list = take(type == VSS_OBJECT_SNAPSHOT_SET ? src : NULL, NULL,
		    type == VSS_OBJECT_SNAPSHOT ? src : NULL, false, false);
	pthread_mutex_unlock(&tbl_lock);
	any = list != NULL;
	/* exposed or in use: unmounted when forced, else kept (and reported) */
	while (*tail) {
		struct taken *t = *tail;
		vss_hr_t r = mgmt_release_for_delete(t->v, t->s, force);

		if (r == S_OK) {
			tail = &t->next;
			continue;
		}
		if (hr == S_OK) {
			hr = r;
			*nondeleted = t->s->prop.snapshot_id;
		}
		*tail = t->next;
		t->next = keep;
		keep = t;
	}
	pthread_mutex_lock(&tbl_lock);
	for (struct taken *t = keep, *next; t; t = next) {
		next = t->next;
		t->s->next = t->v->snaps;
		t->v->snaps = t->s;
		vol_put(t->v);
		free(t);
	}
	pthread_mutex_unlock(&tbl_lock);
	*deleted = destroy(list);
	pthread_mutex_unlock(&mgmt_lock);
	if (*deleted)
		log_info("DeleteSnapshots: %d snapshot%s deleted", *deleted,
			 *deleted == 1 ? "" : "s");
	if (hr != S_OK)
		return hr;
	return any ? S_OK : VSS_E_OBJECT_NOT_FOUND;
}

/* vssd went away: it will neither finish nor abort the set under way (a
 * new vssd starts from its catalog), so a hold is released and what that
 * set made is discarded now. */
static void on_disconnect(vss_provider_t *p, vss_hr_t hr, void *u)
{
	struct taken *list;
	int n;

	hold_cancel();
	pthread_mutex_lock(&tbl_lock);
	list = take(NULL, NULL, NULL, false, true);
	pthread_mutex_unlock(&tbl_lock);
	n = destroy(list);
	if (n)
		log_info("vssd went away during a snapshot set: %d unfinished snapshot%s "
			 "discarded", n, n == 1 ? "" : "s");
}

static vss_hr_t query(vss_provider_t *p, vss_provider_query_t *q, void *u)
{
	vss_hr_t hr = S_OK;

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v && hr == S_OK; v = v->next)
		for (struct csnap *s = v->snaps; s && hr == S_OK; s = s->next) {
			vss_snapshot_prop_t prop;

			if (s->prop.status != VSS_SS_CREATED)
				continue;
			hr = fill(v, s, &prop);
			if (hr == S_OK) {
				hr = vss_provider_query_add(q, &prop);
				vss_snapshot_prop_clear(&prop);
			}
		}
	pthread_mutex_unlock(&tbl_lock);
	return hr;
}

const struct vss_provider_ops cowd_provider_ops = {
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
	.on_disconnect = on_disconnect,
	.expose_snapshot = mgmt_expose,
	.unexpose_snapshot = mgmt_unexpose,
	.revert_to_snapshot = mgmt_revert,
	.query_revert_status = mgmt_revert_status,
};
