/* provider.c — vss-cowd in the provider role (vss-protocol §8).
 *
 *   IsVolumeSupported     a live loop device this daemon serves
 *   BeginPrepareSnapshot  records the snapshot (PREPARING); a new set
 *                         discards an older unfinished one
 *   EndPrepare/PreCommit  check the volume is still served
 *   CommitSnapshots       cow_snapshot_create per volume, tag = snapshot id
 *                         (inside the hold window: no logging, no I/O but
 *                         the engine's flush and its metadata write)
 *   PostFinalCommit       writes the snapshot's record and exposes it (FUSE
 *                         file + read-only loop device = device object)
 *   AbortSnapshots        deletes what the set created
 *   DeleteSnapshots       cow_snapshot_delete + record + exposure
 *   GetSnapshotProperties / Query   from the records in memory */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "common/util.h"
#include "cow/cowd/cowd.h"

const vss_id_t cowd_provider_id = COWD_PROVIDER_ID;

/* What the commit could not log inside the hold window. */
static char deferred[512];
/* How long the last CommitSnapshots took (µs), logged after the window. */
static uint64_t commit_us;

void provider_flush_log(void)
{
	pthread_mutex_lock(&tbl_lock);
	if (deferred[0]) {
		char msg[sizeof(deferred)];

		memcpy(msg, deferred, sizeof(msg));
		deferred[0] = '\0';
		pthread_mutex_unlock(&tbl_lock);
		log_err("%s", msg);
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
			struct taken *t = match ? calloc(1, sizeof(*t)) : NULL;

			if (!t) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			t->v = v;
			v->refs++;
			t->s = s;
			t->next = list;
			list = t;
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
	pthread_mutex_unlock(&tbl_lock);
	destroy(old);
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

/* One volume's commit: the engine's snapshot (its cost is one durable
 * metadata write, i.e. a device flush where there is no FUA). */
struct commit_job {
	struct cvol *v;
	struct csnap *s;
	int r;
	pthread_t th;
	bool thread;
};

static void *commit_one(void *arg)
{
	struct commit_job *j = arg;
	struct cvol *v = j->v;

	pthread_rwlock_rdlock(&v->io_lock);
	j->r = v->cow ? cow_snapshot_create(v->cow, j->s->prop.snapshot_id.b,
					    &j->s->engine_id) : -EIO;
	pthread_rwlock_unlock(&v->io_lock);
	return NULL;
}

/* Inside the hold window.  The volumes of the set commit in parallel (one
 * thread each but the first), so that the set costs one durable write and
 * not one per volume. */
static vss_hr_t commit(vss_provider_t *p, const vss_id_t *set, void *u)
{
	struct commit_job *jobs = NULL;
	vss_hr_t hr = S_OK;
	int n = 0, cap = 0;
	uint64_t t0 = mono_us();

	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next)
			cap += vss_id_equal(&s->prop.snapshot_set_id, set);
	if (cap && !(jobs = calloc((size_t)cap, sizeof(*jobs)))) {
		pthread_mutex_unlock(&tbl_lock);
		snprintf(deferred, sizeof(deferred), "CommitSnapshots: out of memory");
		return E_OUTOFMEMORY;
	}
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s && n < cap; s = s->next)
			if (vss_id_equal(&s->prop.snapshot_set_id, set)) {
				jobs[n].v = v;
				jobs[n++].s = s;
			}
	for (int i = 1; i < n; i++)
		jobs[i].thread = pthread_create(&jobs[i].th, NULL, commit_one, &jobs[i]) == 0;
	if (n)
		commit_one(&jobs[0]);
	for (int i = 1; i < n; i++) {
		if (jobs[i].thread)
			pthread_join(jobs[i].th, NULL);
		else
			commit_one(&jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		struct csnap *s = jobs[i].s;
		int r = jobs[i].r;

		if (r) {
			s->engine_id = 0;
			if (hr == S_OK) {
				snprintf(deferred, sizeof(deferred), "CommitSnapshots: volume %s: "
					 "cannot create the snapshot: %s", jobs[i].v->name,
					 strerror(-r));
				hr = r == -ENOSPC ? VSS_E_INSUFFICIENT_STORAGE :
					VSS_E_PROVIDER_VETO;
			}
			continue;
		}
		s->prop.creation_timestamp = vss_timestamp_now();
		s->prop.status = VSS_SS_COMMITTED;
	}
	commit_us = mono_us() - t0;
	pthread_mutex_unlock(&tbl_lock);
	free(jobs);
	if (hr == S_OK && n == 0)
		hr = VSS_E_OBJECT_NOT_FOUND;
	/* on failure vssd calls AbortSnapshots, which deletes what was made */
	return hr;
}

static vss_hr_t post_commit(vss_provider_t *p, const vss_id_t *set, int32_t count, void *u)
{
	uint64_t us;

	provider_flush_log();
	pthread_mutex_lock(&tbl_lock);
	us = commit_us;
	pthread_mutex_unlock(&tbl_lock);
	log_debug("CommitSnapshots: commit_us=%llu (%d volume%s, in the hold window)",
		  (unsigned long long)us, count, count == 1 ? "" : "s");
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

	/* record first: a snapshot without a record is deleted on restart */
	pthread_mutex_lock(&tbl_lock);
	for (struct cvol *v = volumes; v; v = v->next)
		for (struct csnap *s = v->snaps; s; s = s->next) {
			struct taken *t;

			if (!vss_id_equal(&s->prop.snapshot_set_id, set) || !s->engine_id)
				continue;
			s->prop.status = VSS_SS_CREATED;
			t = calloc(1, sizeof(*t));
			if (!t) {
				hr = E_OUTOFMEMORY;
				continue;
			}
			t->v = v;
			v->refs++;
			t->s = s;
			t->next = list;
			list = t;
		}
	pthread_mutex_unlock(&tbl_lock);
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
	return hr;
}

static vss_hr_t abort_snapshots(vss_provider_t *p, const vss_id_t *set, void *u)
{
	struct taken *list;
	int n;

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
	if (!out->snapshot_device_object || !out->original_volume_name ||
	    !out->originating_machine || !out->service_machine) {
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
	pthread_mutex_lock(&tbl_lock);
	list = take(type == VSS_OBJECT_SNAPSHOT_SET ? src : NULL, NULL,
		    type == VSS_OBJECT_SNAPSHOT ? src : NULL, false, false);
	pthread_mutex_unlock(&tbl_lock);
	*deleted = destroy(list);
	if (*deleted)
		log_info("DeleteSnapshots: %d snapshot%s deleted", *deleted,
			 *deleted == 1 ? "" : "s");
	return *deleted ? S_OK : VSS_E_OBJECT_NOT_FOUND;
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
};
