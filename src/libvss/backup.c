/* backup.c — the requester API (IVssBackupComponents), vss/backup.h.
 *
 * Design note.  Each call is one request message to vssd (proto.h), which
 * owns the session's state table (vss-protocol §10.1) and answers
 * VSS_E_BAD_STATE itself; the library checks only its arguments.  The
 * object caches what the Get* calls read (writer metadata and writer
 * status lists) so that GetCount + Get(i) cost one round trip.  Async
 * handles are kept on a list in the object; freeing the object detaches
 * them, so a handle may outlive it (backup-async.c). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vss/backup.h>
#include "common/error.h"
#include "libvss/backup-int.h"

vss_hr_t vss_backup_new(vss_backup_t **out, const char *socket_path)
{
	vss_backup_t *b;
	vss_hr_t hr;

	if (!out)
		return VSSERR(E_INVALIDARG, "NULL result pointer");
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	hr = client_open(&b->c, __func__, socket_path, ROLE_REQUESTER);
	if (VSS_FAILED(hr)) {
		free(b);
		return hr;
	}
	*out = b;
	return S_OK;
}

static void metadata_clear(vss_backup_t *b)
{
	for (size_t i = 0; i < b->nwmd; i++) {
		free(b->wmd[i].writer_name);
		free(b->wmd[i].instance_name);
		free(b->wmd[i].wmd_xml);
	}
	free(b->wmd);
	b->wmd = NULL;
	b->nwmd = 0;
	b->have_wmd = false;
}

static void status_clear(vss_backup_t *b)
{
	vss_writer_status_array_free(b->ws, b->nws);
	b->ws = NULL;
	b->nws = 0;
	b->have_ws = false;
}

void vss_backup_free(vss_backup_t *b)
{
	if (!b)
		return;
	async_detach_all(b);
	metadata_clear(b);
	status_clear(b);
	client_close(&b->c);
	free(b);
}

/* ---- helpers ---- */

/* Sends m, drops the reply, returns its hr. */
static vss_hr_t call_simple(vss_backup_t *b, const char *call, struct wire_msg *m)
{
	struct client_reply r;
	vss_hr_t hr = client_call(&b->c, call, m, &r);

	client_reply_free(&r);
	return hr;
}

static vss_hr_t call_code(vss_backup_t *b, const char *call, uint16_t code)
{
	struct wire_msg m;

	client_msg(&b->c, &m, code);
	return call_simple(b, call, &m);
}

static int get_str_or_empty(const uint8_t *p, size_t len, uint16_t tag, char **dst)
{
	struct wire_attr a;

	*dst = wire_find(p, len, tag, &a) && a.kind == WIRE_STR ? wire_attr_str(&a) : strdup("");
	return *dst ? 0 : -ENOMEM;
}

/* Counts the top-level attributes with tag in a reply. */
static size_t count_tag(const struct client_reply *r, uint16_t tag)
{
	struct wire_iter it;
	struct wire_attr a;
	size_t n = 0;

	wire_iter_init(&it, r->payload, r->len);
	while (wire_next(&it, &a))
		if (a.tag == tag && a.kind == WIRE_NEST)
			n++;
	return n;
}

/* ---- initialisation and settings ---- */

static vss_hr_t init_call(vss_backup_t *b, const char *call, uint16_t code,
			  const char *xml)
{
	struct wire_msg m;

	client_msg(&b->c, &m, code);
	wire_put_str(&m, ATTR_BCD_XML, xml);
	return call_simple(b, call, &m);
}

vss_hr_t vss_backup_initialize_for_backup(vss_backup_t *b, const char *bcd_xml)
{
	CHECK_OBJ(b);
	return init_call(b, __func__, MSG_INIT_BACKUP, bcd_xml);
}

vss_hr_t vss_backup_initialize_for_restore(vss_backup_t *b, const char *bcd_xml)
{
	CHECK_OBJ(b);
	if (!bcd_xml)
		return VSSERR(E_INVALIDARG, "a restore needs the saved Backup Components Document");
	return init_call(b, __func__, MSG_INIT_RESTORE, bcd_xml);
}

vss_hr_t vss_backup_set_context(vss_backup_t *b, int32_t context)
{
	struct wire_msg m;

	CHECK_OBJ(b);
	client_msg(&b->c, &m, MSG_SET_CONTEXT);
	wire_put_u32(&m, ATTR_CONTEXT, (uint32_t)context);
	return call_simple(b, __func__, &m);
}

vss_hr_t vss_backup_set_backup_state(vss_backup_t *b, bool select_components,
				     bool bootable_system_state,
				     VSS_BACKUP_TYPE type, bool partial_file_support)
{
	struct wire_msg m;

	CHECK_OBJ(b);
	if ((unsigned)type > VSS_BT_OTHER)
		return VSSERR(E_INVALIDARG, "unknown backup type %d", (int)type);
	client_msg(&b->c, &m, MSG_SET_BACKUP_STATE);
	wire_put_u32(&m, ATTR_SELECT_COMPONENTS, select_components);
	wire_put_u32(&m, ATTR_BOOTABLE, bootable_system_state);
	wire_put_u32(&m, ATTR_BACKUP_TYPE, type);
	wire_put_u32(&m, ATTR_PARTIAL_FILE, partial_file_support);
	return call_simple(b, __func__, &m);
}

static vss_hr_t id_list_call(vss_backup_t *b, const char *call, uint16_t code,
			     uint16_t tag, const vss_id_t *ids, size_t n)
{
	struct wire_msg m;

	if (n && !ids)
		return vsserr_set(call, E_INVALIDARG, "NULL id array");
	client_msg(&b->c, &m, code);
	for (size_t i = 0; i < n; i++)
		wire_put_id(&m, tag, &ids[i]);
	return call_simple(b, call, &m);
}

vss_hr_t vss_backup_enable_writer_classes(vss_backup_t *b, const vss_id_t *ids,
					  size_t n)
{
	CHECK_OBJ(b);
	return id_list_call(b, __func__, MSG_ENABLE_WRITER_CLASSES, ATTR_WRITER_ID, ids, n);
}

vss_hr_t vss_backup_disable_writer_classes(vss_backup_t *b, const vss_id_t *ids,
					   size_t n)
{
	CHECK_OBJ(b);
	return id_list_call(b, __func__, MSG_DISABLE_WRITER_CLASSES, ATTR_WRITER_ID, ids, n);
}

vss_hr_t vss_backup_disable_writer_instances(vss_backup_t *b, const vss_id_t *ids,
					     size_t n)
{
	CHECK_OBJ(b);
	return id_list_call(b, __func__, MSG_DISABLE_WRITER_INSTANCES, ATTR_INSTANCE_ID,
			    ids, n);
}

/* ---- asynchronous calls ---- */

static vss_hr_t async_call(vss_backup_t *b, const char *call, uint16_t code,
			   vss_async_t **out)
{
	struct client_reply r;
	struct wire_msg m;
	struct wire_attr a;
	vss_hr_t hr;

	if (!out)
		return vsserr_set(call, E_INVALIDARG, "NULL async pointer");
	*out = NULL;
	client_msg(&b->c, &m, code);
	hr = client_call(&b->c, call, &m, &r);
	if (VSS_SUCCEEDED(hr) && !wire_find(r.payload, r.len, ATTR_OP_ID, &a))
		hr = vsserr_set(call, VSS_E_UNEXPECTED, "vssd sent no operation id");
	if (VSS_SUCCEEDED(hr))
		hr = async_new(b, call, wire_attr_u32(&a), out);
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_gather_writer_metadata(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_GATHER_WRITER_METADATA, async);
}

vss_hr_t vss_backup_prepare_for_backup(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_PREPARE_FOR_BACKUP, async);
}

vss_hr_t vss_backup_do_snapshot_set(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_DO_SNAPSHOT_SET, async);
}

vss_hr_t vss_backup_gather_writer_status(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	status_clear(b);
	return async_call(b, __func__, MSG_GATHER_WRITER_STATUS, async);
}

vss_hr_t vss_backup_backup_complete(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_BACKUP_COMPLETE, async);
}

/* ---- writer metadata ---- */

static int parse_metadata(const struct wire_attr *nest, vss_writer_metadata_t *w)
{
	const uint8_t *p = nest->val;
	size_t len = nest->len;

	memset(w, 0, sizeof(*w));
	wire_get_id(p, len, ATTR_INSTANCE_ID, &w->instance_id);
	wire_get_id(p, len, ATTR_WRITER_ID, &w->writer_id);
	w->usage = wire_get_u32(p, len, ATTR_USAGE, VSS_UT_UNDEFINED);
	w->source = wire_get_u32(p, len, ATTR_SOURCE, VSS_ST_UNDEFINED);
	w->level = (int32_t)wire_get_u32(p, len, ATTR_LEVEL, VSS_APP_UNKNOWN);
	if (get_str_or_empty(p, len, ATTR_WRITER_NAME, &w->writer_name) ||
	    get_str_or_empty(p, len, ATTR_INSTANCE_NAME, &w->instance_name) ||
	    get_str_or_empty(p, len, ATTR_WMD_XML, &w->wmd_xml))
		return -ENOMEM;
	return 0;
}

static vss_hr_t fetch_metadata(vss_backup_t *b, const char *call)
{
	struct client_reply r;
	struct wire_msg m;
	struct wire_iter it;
	struct wire_attr a;
	vss_hr_t hr;
	size_t n;

	if (b->have_wmd)
		return S_OK;
	client_msg(&b->c, &m, MSG_GET_WRITER_METADATA);
	hr = client_call(&b->c, call, &m, &r);
	if (VSS_FAILED(hr))
		goto out;
	n = count_tag(&r, ATTR_WRITER);
	b->wmd = calloc(n ? n : 1, sizeof(*b->wmd));
	if (!b->wmd) {
		hr = vsserr_set(call, E_OUTOFMEMORY, "out of memory");
		goto out;
	}
	wire_iter_init(&it, r.payload, r.len);
	while (wire_next(&it, &a)) {
		if (a.tag != ATTR_WRITER || a.kind != WIRE_NEST)
			continue;
		/* count first so that a partial entry is freed with the rest */
		b->nwmd++;
		if (parse_metadata(&a, &b->wmd[b->nwmd - 1])) {
			metadata_clear(b);
			hr = vsserr_set(call, E_OUTOFMEMORY, "out of memory");
			goto out;
		}
	}
	b->have_wmd = true;
	hr = S_OK;
out:
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_get_writer_metadata_count(vss_backup_t *b, unsigned *count)
{
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!count)
		return VSSERR(E_INVALIDARG, "NULL count pointer");
	*count = 0;
	hr = fetch_metadata(b, __func__);
	if (VSS_SUCCEEDED(hr))
		*count = (unsigned)b->nwmd;
	return hr;
}

vss_hr_t vss_backup_get_writer_metadata(vss_backup_t *b, unsigned i,
					vss_id_t *instance_id,
					const vss_writer_metadata_t **md)
{
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!md)
		return VSSERR(E_INVALIDARG, "NULL metadata pointer");
	*md = NULL;
	hr = fetch_metadata(b, __func__);
	if (VSS_FAILED(hr))
		return hr;
	if (i >= b->nwmd)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no writer at index %u (%zu writers)", i, b->nwmd);
	if (instance_id)
		*instance_id = b->wmd[i].instance_id;
	*md = &b->wmd[i];
	return S_OK;
}

vss_hr_t vss_backup_free_writer_metadata(vss_backup_t *b)
{
	CHECK_OBJ(b);
	metadata_clear(b);
	return S_OK;
}

/* ---- components ---- */

static void put_component_key(struct wire_msg *m, const vss_id_t *instance_id,
			      const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
			      const char *logical_path, const char *name)
{
	if (instance_id)
		wire_put_id(m, ATTR_INSTANCE_ID, instance_id);
	wire_put_id(m, ATTR_WRITER_ID, writer_id);
	wire_put_u32(m, ATTR_COMPONENT_TYPE, type);
	wire_put_str(m, ATTR_LOGICAL_PATH, logical_path);
	wire_put_str(m, ATTR_COMPONENT_NAME, name);
}

/* A request addressing one component: its key, an optional string value
 * and an optional u32 attribute (utag 0: none). */
static vss_hr_t component_call(vss_backup_t *b, const char *call, uint16_t code,
			       const vss_id_t *instance_id, const vss_id_t *writer_id,
			       VSS_COMPONENT_TYPE type, const char *logical_path,
			       const char *name, const char *value, uint16_t utag,
			       uint32_t uval)
{
	struct wire_msg m;

	if (!writer_id || !name || !*name)
		return vsserr_set(call, E_INVALIDARG, "a component needs a writer id and a name");
	if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
		return vsserr_set(call, E_INVALIDARG, "unknown component type %d", (int)type);
	client_msg(&b->c, &m, code);
	put_component_key(&m, instance_id, writer_id, type, logical_path, name);
	wire_put_str(&m, ATTR_VALUE, value);
	if (utag)
		wire_put_u32(&m, utag, uval);
	return call_simple(b, call, &m);
}

vss_hr_t vss_backup_add_component(vss_backup_t *b, const vss_id_t *instance_id,
				  const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
				  const char *logical_path, const char *name)
{
	CHECK_OBJ(b);
	if (!instance_id)
		return VSSERR(E_INVALIDARG, "NULL instance id");
	return component_call(b, __func__, MSG_ADD_COMPONENT, instance_id, writer_id,
			      type, logical_path, name, NULL, 0, 0);
}

vss_hr_t vss_backup_set_backup_options(vss_backup_t *b, const vss_id_t *writer_id,
				       VSS_COMPONENT_TYPE type,
				       const char *logical_path, const char *name,
				       const char *options)
{
	CHECK_OBJ(b);
	if (!options)
		return VSSERR(E_INVALIDARG, "NULL options");
	return component_call(b, __func__, MSG_SET_BACKUP_OPTIONS, NULL, writer_id,
			      type, logical_path, name, options, 0, 0);
}

vss_hr_t vss_backup_set_previous_backup_stamp(vss_backup_t *b,
					      const vss_id_t *writer_id,
					      VSS_COMPONENT_TYPE type,
					      const char *logical_path,
					      const char *name, const char *stamp)
{
	CHECK_OBJ(b);
	if (!stamp)
		return VSSERR(E_INVALIDARG, "NULL stamp");
	return component_call(b, __func__, MSG_SET_PREVIOUS_BACKUP_STAMP, NULL, writer_id,
			      type, logical_path, name, stamp, 0, 0);
}

vss_hr_t vss_backup_set_backup_succeeded(vss_backup_t *b,
					 const vss_id_t *instance_id,
					 const vss_id_t *writer_id,
					 VSS_COMPONENT_TYPE type,
					 const char *logical_path,
					 const char *name, bool succeeded)
{
	CHECK_OBJ(b);
	if (!instance_id)
		return VSSERR(E_INVALIDARG, "NULL instance id");
	return component_call(b, __func__, MSG_SET_BACKUP_SUCCEEDED, instance_id,
			      writer_id, type, logical_path, name, NULL, ATTR_BOOL,
			      succeeded);
}

/* ---- the snapshot set ---- */

vss_hr_t vss_backup_start_snapshot_set(vss_backup_t *b, vss_id_t *set_id)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!set_id)
		return VSSERR(E_INVALIDARG, "NULL set id pointer");
	client_msg(&b->c, &m, MSG_START_SNAPSHOT_SET);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr) && !wire_get_id(r.payload, r.len, ATTR_SNAPSHOT_SET_ID, set_id))
		hr = VSSERR(VSS_E_UNEXPECTED, "vssd sent no snapshot set id");
	client_reply_free(&r);
	return hr;
}

static void put_volume(struct wire_msg *m, const char *volume, const vss_id_t *provider_id)
{
	wire_put_str(m, ATTR_VOLUME, volume);
	if (provider_id && !vss_id_is_null(provider_id))
		wire_put_id(m, ATTR_PROVIDER_ID, provider_id);
}

vss_hr_t vss_backup_add_to_snapshot_set(vss_backup_t *b, const char *volume,
					const vss_id_t *provider_id,
					vss_id_t *snapshot_id)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!volume || !*volume || !snapshot_id)
		return VSSERR(E_INVALIDARG, "a volume name and a result pointer are needed");
	client_msg(&b->c, &m, MSG_ADD_TO_SNAPSHOT_SET);
	put_volume(&m, volume, provider_id);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr) && !wire_get_id(r.payload, r.len, ATTR_SNAPSHOT_ID, snapshot_id))
		hr = VSSERR(VSS_E_UNEXPECTED, "vssd sent no snapshot id");
	client_reply_free(&r);
	return hr;
}

vss_hr_t vss_backup_is_volume_supported(vss_backup_t *b, const char *volume,
					const vss_id_t *provider_id,
					bool *supported)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!volume || !*volume || !supported)
		return VSSERR(E_INVALIDARG, "a volume name and a result pointer are needed");
	*supported = false;
	client_msg(&b->c, &m, MSG_IS_VOLUME_SUPPORTED);
	put_volume(&m, volume, provider_id);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr))
		*supported = wire_get_u32(r.payload, r.len, ATTR_BOOL, 0) != 0;
	client_reply_free(&r);
	return hr;
}

/* ---- writer status ---- */

static int parse_status(const struct wire_attr *nest, vss_writer_status_t *w)
{
	const uint8_t *p = nest->val;
	size_t len = nest->len;

	memset(w, 0, sizeof(*w));
	wire_get_id(p, len, ATTR_INSTANCE_ID, &w->instance_id);
	wire_get_id(p, len, ATTR_WRITER_ID, &w->writer_id);
	w->state = wire_get_u32(p, len, ATTR_STATE, VSS_WS_UNKNOWN);
	w->failure_hr = (vss_hr_t)wire_get_u32(p, len, ATTR_FAILURE_HR, 0);
	w->app_hr = (vss_hr_t)wire_get_u32(p, len, ATTR_APP_HR, 0);
	w->level = (int32_t)wire_get_u32(p, len, ATTR_LEVEL, VSS_APP_UNKNOWN);
	w->usage = wire_get_u32(p, len, ATTR_USAGE, VSS_UT_UNDEFINED);
	w->source = wire_get_u32(p, len, ATTR_SOURCE, VSS_ST_UNDEFINED);
	w->freeze_timeout_ms = wire_get_u32(p, len, ATTR_FREEZE_TIMEOUT, 0);
	w->pid = wire_get_u32(p, len, ATTR_PID, 0);
	if (get_str_or_empty(p, len, ATTR_WRITER_NAME, &w->writer_name) ||
	    get_str_or_empty(p, len, ATTR_INSTANCE_NAME, &w->instance_name))
		return -ENOMEM;
	w->message = wire_get_str(p, len, ATTR_MESSAGE);
	return 0;
}

/* Sends code and parses the WRITER nests of the reply into a new array. */
static vss_hr_t fetch_status(vss_backup_t *b, const char *call, uint16_t code,
			     vss_writer_status_t **out, size_t *nout)
{
	struct client_reply r;
	struct wire_msg m;
	struct wire_iter it;
	struct wire_attr a;
	vss_writer_status_t *ws = NULL;
	size_t n = 0;
	vss_hr_t hr;

	*out = NULL;
	*nout = 0;
	client_msg(&b->c, &m, code);
	hr = client_call(&b->c, call, &m, &r);
	if (VSS_FAILED(hr))
		goto out;
	ws = calloc(count_tag(&r, ATTR_WRITER) + 1, sizeof(*ws));
	if (!ws)
		goto nomem;
	wire_iter_init(&it, r.payload, r.len);
	while (wire_next(&it, &a)) {
		if (a.tag != ATTR_WRITER || a.kind != WIRE_NEST)
			continue;
		if (parse_status(&a, &ws[n++]))
			goto nomem;
	}
	*out = ws;
	*nout = n;
	goto out;
nomem:
	vss_writer_status_array_free(ws, n);
	hr = vsserr_set(call, E_OUTOFMEMORY, "out of memory");
out:
	client_reply_free(&r);
	return hr;
}

void vss_writer_status_array_free(vss_writer_status_t *st, size_t n)
{
	if (!st)
		return;
	for (size_t i = 0; i < n; i++) {
		free(st[i].writer_name);
		free(st[i].instance_name);
		free(st[i].message);
	}
	free(st);
}

static vss_hr_t cached_status(vss_backup_t *b, const char *call)
{
	vss_hr_t hr;

	if (b->have_ws)
		return S_OK;
	hr = fetch_status(b, call, MSG_GET_WRITER_STATUS, &b->ws, &b->nws);
	b->have_ws = VSS_SUCCEEDED(hr);
	return hr;
}

vss_hr_t vss_backup_get_writer_status_count(vss_backup_t *b, unsigned *count)
{
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!count)
		return VSSERR(E_INVALIDARG, "NULL count pointer");
	*count = 0;
	hr = cached_status(b, __func__);
	if (VSS_SUCCEEDED(hr))
		*count = (unsigned)b->nws;
	return hr;
}

vss_hr_t vss_backup_get_writer_status(vss_backup_t *b, unsigned i,
				      const vss_writer_status_t **st)
{
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!st)
		return VSSERR(E_INVALIDARG, "NULL status pointer");
	*st = NULL;
	hr = cached_status(b, __func__);
	if (VSS_FAILED(hr))
		return hr;
	if (i >= b->nws)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no writer at index %u (%zu writers)", i, b->nws);
	*st = &b->ws[i];
	return S_OK;
}

vss_hr_t vss_backup_free_writer_status(vss_backup_t *b)
{
	CHECK_OBJ(b);
	status_clear(b);
	return S_OK;
}

vss_hr_t vss_backup_list_writers(vss_backup_t *b, vss_writer_status_t **writers,
				 size_t *n)
{
	CHECK_OBJ(b);
	if (!writers || !n)
		return VSSERR(E_INVALIDARG, "NULL result pointer");
	return fetch_status(b, __func__, MSG_LIST_WRITERS, writers, n);
}

/* ---- end of the backup ---- */

vss_hr_t vss_backup_abort_backup(vss_backup_t *b)
{
	CHECK_OBJ(b);
	return call_code(b, __func__, MSG_ABORT_BACKUP);
}

vss_hr_t vss_backup_save_as_xml(vss_backup_t *b, char **xml)
{
	struct client_reply r;
	struct wire_msg m;
	vss_hr_t hr;

	CHECK_OBJ(b);
	if (!xml)
		return VSSERR(E_INVALIDARG, "NULL result pointer");
	*xml = NULL;
	client_msg(&b->c, &m, MSG_SAVE_AS_XML);
	hr = client_call(&b->c, __func__, &m, &r);
	if (VSS_SUCCEEDED(hr)) {
		struct wire_attr a;

		if (!wire_find(r.payload, r.len, ATTR_BCD_XML, &a) || a.kind != WIRE_STR)
			hr = VSSERR(VSS_E_UNEXPECTED, "vssd sent no document");
		else if (!(*xml = wire_attr_str(&a)))
			hr = VSSERR(E_OUTOFMEMORY, "out of memory");
	}
	client_reply_free(&r);
	return hr;
}

/* ---- restore ---- */

vss_hr_t vss_backup_set_restore_state(vss_backup_t *b, VSS_RESTORE_TYPE type)
{
	struct wire_msg m;

	CHECK_OBJ(b);
	if ((unsigned)type > VSS_RTYPE_OTHER)
		return VSSERR(E_INVALIDARG, "unknown restore type %d", (int)type);
	client_msg(&b->c, &m, MSG_SET_RESTORE_STATE);
	wire_put_u32(&m, ATTR_RESTORE_TYPE, type);
	return call_simple(b, __func__, &m);
}

vss_hr_t vss_backup_set_selected_for_restore(vss_backup_t *b, const vss_id_t *instance_id,
					     const vss_id_t *writer_id,
					     VSS_COMPONENT_TYPE type,
					     const char *logical_path, const char *name,
					     bool selected)
{
	CHECK_OBJ(b);
	if (!instance_id)
		return VSSERR(E_INVALIDARG, "NULL instance id");
	return component_call(b, __func__, MSG_SET_SELECTED_FOR_RESTORE, instance_id,
			      writer_id, type, logical_path, name, NULL, ATTR_BOOL, selected);
}

vss_hr_t vss_backup_set_restore_options(vss_backup_t *b, const vss_id_t *instance_id,
					const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
					const char *logical_path, const char *name,
					const char *options)
{
	CHECK_OBJ(b);
	if (!instance_id || !options)
		return VSSERR(E_INVALIDARG, "NULL instance id or options");
	return component_call(b, __func__, MSG_SET_RESTORE_OPTIONS, instance_id, writer_id,
			      type, logical_path, name, options, 0, 0);
}

vss_hr_t vss_backup_set_additional_restores(vss_backup_t *b, const vss_id_t *instance_id,
					    const vss_id_t *writer_id,
					    VSS_COMPONENT_TYPE type,
					    const char *logical_path, const char *name,
					    bool additional)
{
	CHECK_OBJ(b);
	if (!instance_id)
		return VSSERR(E_INVALIDARG, "NULL instance id");
	return component_call(b, __func__, MSG_SET_ADDITIONAL_RESTORES, instance_id,
			      writer_id, type, logical_path, name, NULL, ATTR_BOOL, additional);
}

vss_hr_t vss_backup_set_file_restore_status(vss_backup_t *b, const vss_id_t *instance_id,
					    const vss_id_t *writer_id,
					    VSS_COMPONENT_TYPE type,
					    const char *logical_path, const char *name,
					    VSS_FILE_RESTORE_STATUS status)
{
	CHECK_OBJ(b);
	if (!instance_id)
		return VSSERR(E_INVALIDARG, "NULL instance id");
	if ((unsigned)status > VSS_RS_FAILED)
		return VSSERR(E_INVALIDARG, "unknown file restore status %d", (int)status);
	return component_call(b, __func__, MSG_SET_FILE_RESTORE_STATUS, instance_id,
			      writer_id, type, logical_path, name, NULL, ATTR_STATUS, status);
}

vss_hr_t vss_backup_pre_restore(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_PRE_RESTORE, async);
}

vss_hr_t vss_backup_post_restore(vss_backup_t *b, vss_async_t **async)
{
	CHECK_OBJ(b);
	return async_call(b, __func__, MSG_POST_RESTORE, async);
}
