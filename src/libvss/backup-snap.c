/* backup-snap.c — snapshot management calls of the requester API:
 * GetSnapshotProperties, Query, DeleteSnapshots, Expose/Unexpose, Revert,
 * and the provider list (vss/backup.h). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vss/backup.h>
#include "common/error.h"
#include "libvss/backup-int.h"

void vss_snapshot_prop_array_free(vss_snapshot_prop_t *props, size_t n)
{
	if (!props)
		return;
	for (size_t i = 0; i < n; i++)
		vss_snapshot_prop_clear(&props[i]);
	free(props);
}

void vss_provider_prop_array_free(vss_provider_prop_t *props, size_t n)
{
	if (!props)
		return;
	for (size_t i = 0; i < n; i++)
		vss_provider_prop_clear(&props[i]);
	free(props);
}

/* A request naming one snapshot (and a FORCE flag unless force < 0). */
static vss_hr_t call_with_id(vss_backup_t *b, const char *call, uint16_t code,
			     const vss_id_t *id, int force, struct client_reply *r)
{
	struct wire_msg m;

	client_msg(&b->c, &m, code);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, id);
	if (force >= 0)
		wire_put_u32(&m, ATTR_FORCE, (uint32_t)force);
	return client_call(&b->c, call, &m, r);
}

vss_hr_t vss_backup_get_snapshot_properties(vss_backup_t *b,
					    const vss_id_t *snapshot_id,
					    vss_snapshot_prop_t *prop)
{
	struct client_reply r;
	struct wire_attr a;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!snapshot_id || !prop)
		return VSSERR(E_INVALIDARG, "NULL argument");
	memset(prop, 0, sizeof(*prop));
	hr = call_with_id(b, __func__, MSG_GET_SNAPSHOT_PROPERTIES, snapshot_id, -1,
			  &r);
	if (VSS_SUCCEEDED(hr)) {
		if (!wire_find(r.payload, r.len, ATTR_SNAPSHOT, &a) || a.kind != WIRE_NEST)
			hr = VSSERR(VSS_E_UNEXPECTED, "vssd sent no snapshot properties");
		else if (proto_get_snapshot(&a, prop))
			hr = VSSERR(E_OUTOFMEMORY, "out of memory");
	}
	client_reply_free(&r);
	return hr;
}

/* Collects the nests with `tag` of a reply into an array of `size`-byte
 * elements with `get`; S_FALSE when there is none. */
static vss_hr_t collect(const char *call, const struct client_reply *r, uint16_t tag,
			size_t size, int (*get)(const struct wire_attr *, void *),
			void (*clear)(void *), void **out, size_t *nout)
{
	struct wire_iter it;
	struct wire_attr a;
	size_t n = 0, cap = 0;
	uint8_t *arr = NULL;

	wire_iter_init(&it, r->payload, r->len);
	while (wire_next(&it, &a))
		if (a.tag == tag && a.kind == WIRE_NEST)
			cap++;
	arr = calloc(cap ? cap : 1, size);
	if (!arr)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	wire_iter_init(&it, r->payload, r->len);
	while (wire_next(&it, &a)) {
		if (a.tag != tag || a.kind != WIRE_NEST)
			continue;
		if (get(&a, arr + n * size)) {
			for (size_t i = 0; i < n; i++)
				clear(arr + i * size);
			free(arr);
			return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
		}
		n++;
	}
	*out = arr;
	*nout = n;
	return n ? S_OK : S_FALSE;
}

static int get_snap(const struct wire_attr *a, void *p) { return proto_get_snapshot(a, p); }
static int get_prov(const struct wire_attr *a, void *p) { return proto_get_provider(a, p); }
static void clear_snap(void *p) { vss_snapshot_prop_clear(p); }
static void clear_prov(void *p) { vss_provider_prop_clear(p); }

static vss_hr_t query(vss_backup_t *b, const char *call, uint16_t code,
		      VSS_OBJECT_TYPE type, void **out, size_t *n)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;
	bool snap = type == VSS_OBJECT_SNAPSHOT;

	if (!out || !n)
		return vsserr_set(call, E_INVALIDARG, "NULL result pointer");
	*out = NULL;
	*n = 0;
	client_msg(&b->c, &m, code);
	if (code == MSG_QUERY)
		wire_put_u32(&m, ATTR_OBJECT_TYPE, type);
	hr = client_call(&b->c, call, &m, &r);
	if (VSS_SUCCEEDED(hr))
		hr = collect(call, &r, snap ? ATTR_SNAPSHOT : ATTR_PROVIDER,
			     snap ? sizeof(vss_snapshot_prop_t) : sizeof(vss_provider_prop_t),
			     snap ? get_snap : get_prov, snap ? clear_snap : clear_prov,
			     out, n);
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_query_snapshots(vss_backup_t *b, vss_snapshot_prop_t **props,
				    size_t *n)
{
	CHECK_OBJ(b);
	return query(b, __func__, MSG_QUERY, VSS_OBJECT_SNAPSHOT, (void **)props, n);
}

vss_hr_t vss_backup_query_providers(vss_backup_t *b, vss_provider_prop_t **props,
				    size_t *n)
{
	CHECK_OBJ(b);
	return query(b, __func__, MSG_QUERY, VSS_OBJECT_PROVIDER, (void **)props, n);
}

vss_hr_t vss_backup_list_providers(vss_backup_t *b, vss_provider_prop_t **props,
				   size_t *n)
{
	CHECK_OBJ(b);
	return query(b, __func__, MSG_LIST_PROVIDERS, VSS_OBJECT_PROVIDER, (void **)props, n);
}

vss_hr_t vss_backup_delete_snapshots(vss_backup_t *b, const vss_id_t *source_id,
				     VSS_OBJECT_TYPE source_type, bool force_delete,
				     long *deleted, vss_id_t *nondeleted)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (deleted)
		*deleted = 0;
	if (nondeleted)
		*nondeleted = VSS_ID_NULL;
	if (!source_id)
		return VSSERR(E_INVALIDARG, "NULL source id");
	if (source_type != VSS_OBJECT_SNAPSHOT && source_type != VSS_OBJECT_SNAPSHOT_SET)
		return VSSERR(E_INVALIDARG, "source type must be VSS_OBJECT_SNAPSHOT or "
			      "VSS_OBJECT_SNAPSHOT_SET");
	client_msg(&b->c, &m, MSG_DELETE_SNAPSHOTS);
	wire_put_id(&m, ATTR_SOURCE_ID, source_id);
	wire_put_u32(&m, ATTR_OBJECT_TYPE, source_type);
	wire_put_u32(&m, ATTR_FORCE, force_delete);
	hr = client_call(&b->c, __func__, &m, &r);
	if (r.payload) {	/* counts are meaningful on failure too */
		if (deleted)
			*deleted = (long)wire_get_u32(r.payload, r.len, ATTR_COUNT, 0);
		if (nondeleted)
			wire_get_id(r.payload, r.len, ATTR_NONDELETED_ID, nondeleted);
	}
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_expose_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id,
				    const char *expose_name, char **exposed)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (exposed)
		*exposed = NULL;
	if (!snapshot_id)
		return VSSERR(E_INVALIDARG, "NULL snapshot id");
	if (expose_name && !*expose_name)
		return VSSERR(E_INVALIDARG, "an empty expose name (NULL exposes the device)");
	client_msg(&b->c, &m, MSG_EXPOSE_SNAPSHOT);
	wire_put_id(&m, ATTR_SNAPSHOT_ID, snapshot_id);
	wire_put_str(&m, ATTR_EXPOSED_NAME, expose_name);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr) && exposed) {
		struct wire_attr a;

		if (wire_find(r.payload, r.len, ATTR_EXPOSED_NAME, &a) && a.kind == WIRE_STR &&
		    !(*exposed = wire_attr_str(&a)))
			hr = VSSERR(E_OUTOFMEMORY, "out of memory");
	}
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_unexpose_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id)
{
	struct client_reply r;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!snapshot_id)
		return VSSERR(E_INVALIDARG, "NULL snapshot id");
	hr = call_with_id(b, __func__, MSG_UNEXPOSE_SNAPSHOT, snapshot_id, -1, &r);
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_revert_to_snapshot(vss_backup_t *b, const vss_id_t *snapshot_id,
				       bool force_dismount)
{
	struct client_reply r;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!snapshot_id)
		return VSSERR(E_INVALIDARG, "NULL snapshot id");
	hr = call_with_id(b, __func__, MSG_REVERT_TO_SNAPSHOT, snapshot_id, force_dismount,
			  &r);
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_query_revert_status(vss_backup_t *b, const char *volume,
					vss_async_t **async)
{
	struct client_reply r;
	struct wire_msg m;
	struct wire_attr a;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!async)
		return VSSERR(E_INVALIDARG, "NULL async pointer");
	*async = NULL;
	if (!volume || !*volume)
		return VSSERR(E_INVALIDARG, "a volume is required");
	client_msg(&b->c, &m, MSG_QUERY_REVERT_STATUS);
	wire_put_str(&m, ATTR_VOLUME, volume);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr) && !wire_find(r.payload, r.len, ATTR_OP_ID, &a))
		hr = VSSERR(VSS_E_UNEXPECTED, "vssd sent no operation id");
	if (VSS_SUCCEEDED(hr))
		hr = async_new(b, __func__, wire_attr_u32(&a), async);
	client_reply_free(&r);
	return hr;
}
