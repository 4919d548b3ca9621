/* xml-bcd.c — the Backup Components Document.
 *
 * Like the WMD (xml-wmd.c) the document is the libxml2 tree; struct vss_bcd
 * indexes the WRITER_COMPONENTS elements in document order, each with its
 * COMPONENT elements and their BACKUP_METADATA / RESTORE_METADATA /
 * NEW_TARGET children.  Everything else (the snapshot set description,
 * unknown elements and attributes) stays in the tree untouched.
 *
 * Writer round trip: vss_bcd_extract_writer() copies the root attributes and
 * one WRITER_COMPONENTS into a new document; vss_bcd_merge_writer() parses
 * the copy a writer sends back, checks that it holds that writer only and
 * exactly the same components, and only then swaps the subtree in.  Handles
 * to that writer's components are invalid after a merge. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error.h"
#include "libvss/xml-names.h"

struct bcd_writer {
	xmlNodePtr node;
	struct nvec comps;		/* struct vss_component * */
};

/* Record elements below COMPONENT, each kept in document order. */
enum rec_kind {
	R_NEW_TARGET, R_PARTIAL, R_DIFFERENCED, R_DIRECTED, R_MAPPING,
	R_SUBCOMPONENT, R_COUNT
};

static const struct elem_def *const rec_defs[R_COUNT] = {
	&ED_NEW_TARGET, &ED_PARTIAL_FILE, &ED_DIFFERENCED_FILES,
	&ED_DIRECTED_TARGET, &ED_ALT_MAPPING, &ED_RESTORE_SUBCOMPONENT,
};

struct vss_component {
	xmlNodePtr node;
	struct bcd_writer *w;
	xmlNodePtr bmeta, rmeta;
	struct nvec recs[R_COUNT];
};

struct vss_bcd {
	xmlDocPtr doc;
	xmlNodePtr root;
	struct nvec writers;		/* struct bcd_writer * */
};

#define ERRLEN 256
#define OOM() VSSERR(E_OUTOFMEMORY, "out of memory")
#define CHECK(what, s, req) do { \
		vss_hr_t _hr = xcheck_str(__func__, what, s, req); \
		if (_hr) \
			return _hr; \
	} while (0)

static void comps_free(struct nvec *comps)
{
	size_t i;

	for (i = 0; i < comps->n; i++) {
		struct vss_component *c = comps->v[i];

		int k;

		for (k = 0; k < R_COUNT; k++)
			nvec_free(&c->recs[k]);
		free(c);
	}
	nvec_free(comps);
}

void vss_bcd_free(vss_bcd_t *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->writers.n; i++) {
		struct bcd_writer *w = b->writers.v[i];

		comps_free(&w->comps);
		free(w);
	}
	nvec_free(&b->writers);
	xmlFreeDoc(b->doc);
	free(b);
}

vss_hr_t vss_bcd_new(vss_bcd_t **out)
{
	char err[ERRLEN];
	vss_bcd_t *b;

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return OOM();
	b->doc = xdoc_new(E_BACKUP_COMPONENTS, NS_BCD);
	if (!b->doc)
		goto oom;
	b->root = xmlDocGetRootElement(b->doc);
	if (xdoc_norm(b->root, &ED_BACKUP_COMPONENTS, err, sizeof(err)) < 0)
		goto oom;
	*out = b;
	return S_OK;
oom:
	vss_bcd_free(b);
	return OOM();
}

/* ---- loading ---- */

static int comp_index(struct bcd_writer *w, xmlNodePtr n, char *err)
{
	struct vss_component *c = calloc(1, sizeof(*c));
	xmlNodePtr ch;

	if (!c || nvec_push(&w->comps, c) < 0) {
		free(c);
		goto oom;
	}
	c->node = n;
	c->w = w;
	if (xdoc_norm(n, &ED_COMPONENT, err, ERRLEN) < 0)
		return -1;
	for (ch = xfirst(n); ch; ch = xnext(ch)) {
		if (xis(ch, E_BACKUP_METADATA) || xis(ch, E_RESTORE_METADATA)) {
			xmlNodePtr *slot = xis(ch, E_BACKUP_METADATA) ?
					   &c->bmeta : &c->rmeta;

			if (*slot) {
				snprintf(err, ERRLEN, "more than one <%s> in a component",
					 (const char *)ch->name);
				return -1;
			}
			*slot = ch;
			if (xdoc_norm(ch, slot == &c->bmeta ? &ED_METADATA :
				      &ED_RESTORE_METADATA, err, ERRLEN) < 0)
				return -1;
		} else {
			int k;

			for (k = 0; k < R_COUNT; k++)
				if (xis(ch, rec_defs[k]->name))
					break;
			if (k == R_COUNT)
				continue;	/* unknown: kept as it is */
			if (xdoc_norm(ch, rec_defs[k], err, ERRLEN) < 0)
				return -1;
			if (nvec_push(&c->recs[k], ch) < 0)
				goto oom;
		}
	}
	return 0;
oom:
	snprintf(err, ERRLEN, "out of memory");
	return -1;
}

static int writer_index(struct bcd_writer *w, char *err)
{
	xmlNodePtr ch;

	if (xdoc_norm(w->node, &ED_WRITER_COMPONENTS, err, ERRLEN) < 0)
		return -1;
	for (ch = xfirst(w->node); ch; ch = xnext(ch))
		if (xis(ch, E_COMPONENT) && comp_index(w, ch, err) < 0)
			return -1;
	return 0;
}

static struct bcd_writer *writer_new(xmlNodePtr n)
{
	struct bcd_writer *w = calloc(1, sizeof(*w));

	if (w)
		w->node = n;
	return w;
}

int bcd_from_doc(xmlDocPtr doc, vss_bcd_t **out, char *err)
{
	vss_bcd_t *b = calloc(1, sizeof(*b));
	xmlNodePtr n;

	*out = NULL;
	if (!b) {
		xmlFreeDoc(doc);
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	b->doc = doc;
	b->root = xmlDocGetRootElement(doc);
	if (!xis(b->root, E_BACKUP_COMPONENTS)) {
		snprintf(err, ERRLEN, "root element is <%s>, not <%s>",
			 (const char *)b->root->name, E_BACKUP_COMPONENTS);
		goto fail;
	}
	if (xdoc_norm(b->root, &ED_BACKUP_COMPONENTS, err, ERRLEN) < 0)
		goto fail;
	for (n = xfirst(b->root); n; n = xnext(n)) {
		struct bcd_writer *w;

		if (!xis(n, E_WRITER_COMPONENTS))
			continue;
		w = writer_new(n);
		if (!w || nvec_push(&b->writers, w) < 0) {
			free(w);
			snprintf(err, ERRLEN, "out of memory");
			goto fail;
		}
		if (writer_index(w, err) < 0)
			goto fail;
	}
	*out = b;
	return 0;
fail:
	vss_bcd_free(b);
	return -1;
}

static vss_hr_t load_err(const char *call, const char *err)
{
	return vsserr_set(call, strcmp(err, "out of memory") ?
			  VSS_E_INVALID_XML_DOCUMENT : E_OUTOFMEMORY, "%s", err);
}

vss_hr_t vss_bcd_load_xml(const void *buf, size_t len, vss_bcd_t **out)
{
	char err[ERRLEN];
	xmlDocPtr doc;

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	if (xdoc_parse(buf, len, &doc, err, sizeof(err)) < 0 ||
	    bcd_from_doc(doc, out, err) < 0)
		return load_err(__func__, err);
	return S_OK;
}

vss_hr_t vss_bcd_save_xml_ex(const vss_bcd_t *b, unsigned flags, char **xml)
{
	if (!b || !xml)
		return VSSERR(E_INVALIDARG, "NULL argument");
	return xdoc_save(b->doc, flags, xml, __func__);
}

vss_hr_t vss_bcd_save_xml(const vss_bcd_t *b, char **xml)
{
	if (!b || !xml)
		return VSSERR(E_INVALIDARG, "NULL argument");
	return xdoc_save(b->doc, 0, xml, __func__);
}

vss_hr_t vss_xml_load_any(const void *buf, size_t len, vss_wmd_t **wmd,
			  vss_bcd_t **bcd)
{
	char err[ERRLEN];
	xmlDocPtr doc;
	xmlNodePtr root;

	if (!wmd || !bcd)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*wmd = NULL;
	*bcd = NULL;
	if (xdoc_parse(buf, len, &doc, err, sizeof(err)) < 0)
		return load_err(__func__, err);
	root = xmlDocGetRootElement(doc);
	if (xis(root, E_WRITER_METADATA)) {
		if (wmd_from_doc(doc, wmd, err) < 0)
			return load_err(__func__, err);
	} else if (xis(root, E_BACKUP_COMPONENTS)) {
		if (bcd_from_doc(doc, bcd, err) < 0)
			return load_err(__func__, err);
	} else {
		snprintf(err, sizeof(err), "root element is <%s>, not <%s> or <%s>",
			 (const char *)root->name, E_WRITER_METADATA,
			 E_BACKUP_COMPONENTS);
		xmlFreeDoc(doc);
		return load_err(__func__, err);
	}
	return S_OK;
}

/* ---- root state ---- */

vss_hr_t vss_bcd_set_backup_state(vss_bcd_t *b, bool select_components,
				  bool bootable_system_state,
				  VSS_BACKUP_TYPE type, bool partial_file_support)
{
	const struct elem_def *d = &ED_BACKUP_COMPONENTS;
	int rc = 0;

	if (!b)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if ((unsigned)type > VSS_BT_OTHER)
		return VSSERR(E_INVALIDARG, "backup type %d out of range", type);
	rc |= xset_bool(b->root, d, A_BOOTABLE, bootable_system_state);
	rc |= xset_bool(b->root, d, A_SELECT_COMPONENTS, select_components);
	rc |= xset_token(b->root, d, A_BACKUP_TYPE, TOK_BACKUP_TYPE, type);
	rc |= xset_bool(b->root, d, A_PARTIAL_FILE, partial_file_support);
	return rc ? OOM() : S_OK;
}

vss_hr_t vss_bcd_get_backup_state(const vss_bcd_t *b, bool *select_components,
				  bool *bootable_system_state,
				  VSS_BACKUP_TYPE *type, bool *partial_file_support)
{
	if (!b)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (select_components)
		*select_components = xattr_bool(b->root, A_SELECT_COMPONENTS);
	if (bootable_system_state)
		*bootable_system_state = xattr_bool(b->root, A_BOOTABLE);
	if (type)
		*type = xattr_token(b->root, A_BACKUP_TYPE, TOK_BACKUP_TYPE);
	if (partial_file_support)
		*partial_file_support = xattr_bool(b->root, A_PARTIAL_FILE);
	return S_OK;
}

vss_hr_t vss_bcd_set_snapshot_set_id(vss_bcd_t *b, const vss_id_t *set_id)
{
	int rc;

	if (!b)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (!set_id || vss_id_is_null(set_id))
		rc = xset_str(b->root, &ED_BACKUP_COMPONENTS, A_SNAPSHOT_SET_ID, NULL);
	else
		rc = xset_guid(b->root, &ED_BACKUP_COMPONENTS, A_SNAPSHOT_SET_ID,
			       set_id);
	return rc ? OOM() : S_OK;
}

vss_hr_t vss_bcd_get_snapshot_set_id(const vss_bcd_t *b, vss_id_t *set_id)
{
	if (!b || !set_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	return xattr_guid(b->root, A_SNAPSHOT_SET_ID, set_id) ? S_OK : S_FALSE;
}

vss_hr_t vss_bcd_set_restore_type(vss_bcd_t *b, VSS_RESTORE_TYPE type)
{
	if (!b)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if ((unsigned)type > VSS_RTYPE_OTHER)
		return VSSERR(E_INVALIDARG, "restore type %d out of range", type);
	return xset_token(b->root, &ED_BACKUP_COMPONENTS, A_RESTORE_TYPE,
			  TOK_RESTORE_TYPE, type) ? OOM() : S_OK;
}

VSS_RESTORE_TYPE vss_bcd_get_restore_type(const vss_bcd_t *b)
{
	return b ? xattr_token(b->root, A_RESTORE_TYPE, TOK_RESTORE_TYPE) : 0;
}

/* ---- components ---- */

static struct bcd_writer *find_writer(const vss_bcd_t *b, const vss_id_t *inst)
{
	size_t i;

	for (i = 0; i < b->writers.n; i++) {
		struct bcd_writer *w = b->writers.v[i];
		vss_id_t id;

		if (xattr_guid(w->node, A_INSTANCE_ID, &id) && vss_id_equal(&id, inst))
			return w;
	}
	return NULL;
}

static struct vss_component *find_in_writer(const struct bcd_writer *w,
					    VSS_COMPONENT_TYPE type,
					    const char *lp, const char *name)
{
	size_t i;

	for (i = 0; i < w->comps.n; i++) {
		struct vss_component *c = w->comps.v[i];

		if ((int)type == xattr_token(c->node, A_COMPONENT_TYPE,
					     TOK_COMPONENT_TYPE) &&
		    name_eq(xattr(c->node, A_LOGICAL_PATH), lp) &&
		    name_eq(xattr(c->node, A_COMPONENT_NAME), name))
			return c;
	}
	return NULL;
}

static vss_hr_t find_key(const char *call, const vss_bcd_t *b,
			 const vss_id_t *inst, const vss_id_t *wid,
			 VSS_COMPONENT_TYPE type, const char *lp,
			 const char *name, struct vss_component **out)
{
	struct bcd_writer *w;
	char buf[37];
	vss_id_t id;

	*out = NULL;
	if (!b || !inst)
		return vsserr_set(call, E_INVALIDARG, "NULL argument");
	w = find_writer(b, inst);
	if (!w)
		return vsserr_set(call, VSS_E_OBJECT_NOT_FOUND,
				  "no components of writer instance %s",
				  guid_str(inst, buf));
	if (wid && !vss_id_is_null(wid) &&
	    (!xattr_guid(w->node, A_WRITER_ID, &id) || !vss_id_equal(&id, wid)))
		return vsserr_set(call, VSS_E_OBJECT_NOT_FOUND,
				  "writer instance %s belongs to another writer",
				  guid_str(inst, buf));
	*out = find_in_writer(w, type, lp, name);
	if (!*out)
		return vsserr_set(call, VSS_E_OBJECT_NOT_FOUND,
				  "no component '%s' at '%s' of type %s",
				  name ? name : "", lp ? lp : "",
				  vss_component_type_name(type));
	return S_OK;
}

vss_hr_t vss_bcd_find_component(const vss_bcd_t *b, const vss_id_t *instance_id,
				const vss_id_t *writer_id, VSS_COMPONENT_TYPE type,
				const char *logical_path, const char *name,
				vss_component_t **c)
{
	if (!c)
		return VSSERR(E_INVALIDARG, "NULL argument");
	return find_key(__func__, b, instance_id, writer_id, type, logical_path,
			name, c);
}

vss_hr_t vss_bcd_add_component(vss_bcd_t *b, const vss_id_t *instance_id,
			       const vss_id_t *writer_id,
			       const char *instance_name, uint32_t backup_schema,
			       VSS_COMPONENT_TYPE type, const char *logical_path,
			       const char *name)
{
	struct bcd_writer *w;
	struct vss_component *c;
	xmlNodePtr n, before;
	char buf[37];
	vss_id_t id;
	int rc = 0;

	if (!b || !instance_id || !writer_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
		return VSSERR(E_INVALIDARG, "component type %d is neither database nor file group",
			      type);
	CHECK("instance name", instance_name, false);
	CHECK("logical path", logical_path, false);
	CHECK("component name", name, true);
	w = find_writer(b, instance_id);
	if (w) {
		if (!xattr_guid(w->node, A_WRITER_ID, &id) ||
		    !vss_id_equal(&id, writer_id))
			return VSSERR(E_INVALIDARG,
				      "writer instance %s belongs to another writer",
				      guid_str(instance_id, buf));
		if (find_in_writer(w, type, logical_path, name))
			return VSSERR(VSS_E_OBJECT_ALREADY_EXISTS,
				      "component '%s' at '%s' was already added",
				      name, logical_path ? logical_path : "");
	} else {
		const struct elem_def *d = &ED_WRITER_COMPONENTS;

		before = b->writers.n ?
			 xnext(((struct bcd_writer *)b->writers.v[b->writers.n - 1])->node) :
			 xfirst(b->root);
		n = xnew_child(b->root, E_WRITER_COMPONENTS, before);
		w = n ? writer_new(n) : NULL;
		if (!w || nvec_push(&b->writers, w) < 0) {
			free(w);
			if (n) {
				xmlUnlinkNode(n);
				xmlFreeNode(n);
			}
			return OOM();
		}
		rc |= xset_guid(n, d, A_INSTANCE_ID, instance_id);
		rc |= xset_guid(n, d, A_WRITER_ID, writer_id);
		rc |= xset_str(n, d, A_INSTANCE_NAME, instance_name);
		rc |= xset_uint(n, d, A_BACKUP_SCHEMA, backup_schema);
	}
	c = calloc(1, sizeof(*c));
	n = c ? xnew_child(w->node, E_COMPONENT, NULL) : NULL;
	if (!n || nvec_push(&w->comps, c) < 0) {
		free(c);
		if (n) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		return OOM();
	}
	c->node = n;
	c->w = w;
	rc |= xset_str(n, &ED_COMPONENT, A_LOGICAL_PATH, logical_path);
	rc |= xset_str(n, &ED_COMPONENT, A_COMPONENT_NAME, name);
	rc |= xset_token(n, &ED_COMPONENT, A_COMPONENT_TYPE, TOK_COMPONENT_TYPE, type);
	return rc ? OOM() : S_OK;
}

/* Sets attribute NAME of the component addressed by key to VALUE. */
static vss_hr_t key_set(const char *call, vss_bcd_t *b, const vss_id_t *inst,
			const vss_id_t *wid, VSS_COMPONENT_TYPE type,
			const char *lp, const char *cname, const char *attr,
			const char *value)
{
	struct vss_component *c;
	vss_hr_t hr;

	if ((hr = xcheck_str(call, attr, value, false)))
		return hr;
	hr = find_key(call, b, inst, wid, type, lp, cname, &c);
	if (hr)
		return hr;
	if (xset_str(c->node, &ED_COMPONENT, attr, value) < 0)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

#define YESNO(v) ((v) ? "yes" : "no")

vss_hr_t vss_bcd_set_backup_succeeded(vss_bcd_t *b, const vss_id_t *instance_id,
				      const vss_id_t *writer_id,
				      VSS_COMPONENT_TYPE type,
				      const char *logical_path, const char *name,
				      bool succeeded)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_BACKUP_SUCCEEDED, YESNO(succeeded));
}

vss_hr_t vss_bcd_set_backup_options(vss_bcd_t *b, const vss_id_t *instance_id,
				    const vss_id_t *writer_id,
				    VSS_COMPONENT_TYPE type,
				    const char *logical_path, const char *name,
				    const char *options)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_BACKUP_OPTIONS, options);
}

vss_hr_t vss_bcd_set_previous_backup_stamp(vss_bcd_t *b,
					   const vss_id_t *instance_id,
					   const vss_id_t *writer_id,
					   VSS_COMPONENT_TYPE type,
					   const char *logical_path,
					   const char *name, const char *stamp)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_PREVIOUS_STAMP, stamp);
}

vss_hr_t vss_bcd_set_selected_for_restore(vss_bcd_t *b,
					  const vss_id_t *instance_id,
					  const vss_id_t *writer_id,
					  VSS_COMPONENT_TYPE type,
					  const char *logical_path,
					  const char *name, bool selected)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_SELECTED_RESTORE, YESNO(selected));
}

vss_hr_t vss_bcd_set_restore_options(vss_bcd_t *b, const vss_id_t *instance_id,
				     const vss_id_t *writer_id,
				     VSS_COMPONENT_TYPE type,
				     const char *logical_path, const char *name,
				     const char *options)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_RESTORE_OPTIONS, options);
}

vss_hr_t vss_bcd_set_additional_restores(vss_bcd_t *b,
					 const vss_id_t *instance_id,
					 const vss_id_t *writer_id,
					 VSS_COMPONENT_TYPE type,
					 const char *logical_path,
					 const char *name, bool additional)
{
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_ADDITIONAL_RESTORES, YESNO(additional));
}

vss_hr_t vss_bcd_set_file_restore_status(vss_bcd_t *b,
					 const vss_id_t *instance_id,
					 const vss_id_t *writer_id,
					 VSS_COMPONENT_TYPE type,
					 const char *logical_path,
					 const char *name,
					 VSS_FILE_RESTORE_STATUS status)
{
	const char *s = token_name(TOK_FILE_RESTORE_STATUS, status);

	if (!s)
		return VSSERR(E_INVALIDARG, "file restore status %d out of range",
			      status);
	return key_set(__func__, b, instance_id, writer_id, type, logical_path,
		       name, A_FILE_RESTORE_STATUS, s);
}

/* Appends record KIND to C with VALS in the order of its attribute table
 * (NULL = absent); REQ has bit i set when value i is required. */
static vss_hr_t add_rec(const char *call, vss_component_t *c, enum rec_kind kind,
			const char *const *vals, unsigned req)
{
	const struct elem_def *d = rec_defs[kind];
	const struct attr_def *ad;
	xmlNodePtr n;
	vss_hr_t hr;
	int rc = 0, i;

	if (!c)
		return vsserr_set(call, E_INVALIDARG, "NULL handle");
	for (i = 0, ad = d->attrs; ad->name; ad++, i++)
		if ((hr = xcheck_str(call, ad->name, vals[i], req & (1u << i))))
			return hr;
	n = xnew_child(c->node, d->name, NULL);
	if (!n || nvec_push(&c->recs[kind], n) < 0) {
		if (n) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	}
	for (i = 0, ad = d->attrs; ad->name; ad++, i++)
		if (vals[i] || (ad->flags & AF_ALWAYS))
			rc |= xset_str(n, d, ad->name, vals[i] ? vals[i] : ad->dflt);
	return rc ? vsserr_set(call, E_OUTOFMEMORY, "out of memory") : S_OK;
}

/* Record I of KIND of C, or NULL with the error recorded in *HR. */
static xmlNodePtr get_rec(const char *call, const vss_component_t *c,
			  enum rec_kind kind, size_t i, vss_hr_t *hr)
{
	*hr = S_OK;
	if (!c) {
		*hr = vsserr_set(call, E_INVALIDARG, "NULL handle");
		return NULL;
	}
	if (i >= c->recs[kind].n) {
		*hr = vsserr_set(call, E_INVALIDARG, "index %zu out of range (count %zu)",
				 i, c->recs[kind].n);
		return NULL;
	}
	return c->recs[kind].v[i];
}

#define KEY_ARGS vss_bcd_t *b, const vss_id_t *instance_id, \
	const vss_id_t *writer_id, VSS_COMPONENT_TYPE type, \
	const char *logical_path, const char *name
#define KEY b, instance_id, writer_id, type, logical_path, name
#define FIND(c) do { \
		vss_hr_t _hr = find_key(__func__, KEY, &(c)); \
		if (_hr) \
			return _hr; \
	} while (0)

vss_hr_t vss_bcd_add_new_target(KEY_ARGS, const char *path, const char *filespec,
				bool recursive, const char *alternate_path)
{
	const char *v[] = { path, filespec, YESNO(recursive), alternate_path };
	vss_component_t *c;

	FIND(c);
	return add_rec(__func__, c, R_NEW_TARGET, v, 0xb);
}

vss_hr_t vss_bcd_add_alternative_location_mapping(KEY_ARGS, const char *path,
						  const char *filespec,
						  bool recursive,
						  const char *destination)
{
	const char *v[] = { path, filespec, YESNO(recursive), destination };
	vss_component_t *c;

	FIND(c);
	return add_rec(__func__, c, R_MAPPING, v, 0xb);
}

vss_hr_t vss_bcd_add_restore_subcomponent(KEY_ARGS, const char *sub_logical_path,
					  const char *sub_name, bool repair)
{
	const char *v[] = { sub_logical_path, sub_name, YESNO(repair) };
	vss_component_t *c;

	FIND(c);
	return add_rec(__func__, c, R_SUBCOMPONENT, v, 0x2);
}

vss_hr_t vss_bcd_set_ranges_file_path(KEY_ARGS, size_t i, const char *ranges_file)
{
	vss_component_t *c;
	xmlNodePtr n;
	vss_hr_t hr;

	if ((hr = xcheck_str(__func__, "ranges file", ranges_file, true)))
		return hr;
	FIND(c);
	n = get_rec(__func__, c, R_PARTIAL, i, &hr);
	if (!n)
		return hr;
	return xset_str(n, &ED_PARTIAL_FILE, A_RANGES, ranges_file) ? OOM() : S_OK;
}

vss_hr_t vss_bcd_set_authoritative_restore(KEY_ARGS, bool authoritative)
{
	return key_set(__func__, KEY, A_AUTHORITATIVE, YESNO(authoritative));
}

vss_hr_t vss_bcd_set_roll_forward(KEY_ARGS, VSS_ROLLFORWARD_TYPE roll_type,
				  const char *point)
{
	const char *t = token_name(TOK_ROLL_FORWARD, roll_type);
	vss_hr_t hr;

	if (!t)
		return VSSERR(E_INVALIDARG, "roll-forward type %d out of range", roll_type);
	hr = key_set(__func__, KEY, A_ROLL_FORWARD_POINT, point);
	return hr ? hr : key_set(__func__, KEY, A_ROLL_FORWARD_TYPE, t);
}

vss_hr_t vss_bcd_set_restore_name(KEY_ARGS, const char *restore_name)
{
	return key_set(__func__, KEY, A_RESTORE_NAME, restore_name);
}

/* ---- writer round trip ---- */

static xmlNodePtr copy_root_attrs(xmlNodePtr dst, const xmlNode *src)
{
	xmlAttrPtr a;

	for (a = src->properties; a; a = a->next) {
		xmlChar *v = xmlNodeListGetString(src->doc, a->children, 1);

		if (a->ns || !xmlSetProp(dst, a->name, v ? v : (const xmlChar *)"")) {
			xmlFree(v);
			if (a->ns)
				continue;
			return NULL;
		}
		xmlFree(v);
	}
	return dst;
}

vss_hr_t vss_bcd_extract_writer(const vss_bcd_t *b, const vss_id_t *instance_id,
				char **xml)
{
	struct bcd_writer *w;
	xmlDocPtr doc;
	xmlNodePtr root, copy;
	char buf[37];
	vss_hr_t hr;

	if (!b || !instance_id || !xml)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*xml = NULL;
	w = find_writer(b, instance_id);
	if (!w)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND,
			      "no components of writer instance %s",
			      guid_str(instance_id, buf));
	doc = xdoc_new(E_BACKUP_COMPONENTS, NS_BCD);
	if (!doc)
		return OOM();
	root = xmlDocGetRootElement(doc);
	copy = xmlDocCopyNode(w->node, doc, 1);
	if (!copy || !copy_root_attrs(root, b->root)) {
		xmlFreeNode(copy);
		xmlFreeDoc(doc);
		return OOM();
	}
	xmlAddChild(root, copy);
	hr = xdoc_save(doc, 0, xml, __func__);
	xmlFreeDoc(doc);
	return hr;
}

vss_hr_t vss_bcd_merge_writer(vss_bcd_t *b, const vss_id_t *instance_id,
			      const void *xml, size_t len)
{
	struct bcd_writer *w, *tw, fresh = { NULL, { NULL, 0, 0 } };
	vss_bcd_t *tmp = NULL;
	char err[ERRLEN], buf[37];
	xmlDocPtr doc;
	xmlNodePtr copy;
	vss_id_t a, c;
	size_t i;

	if (!b || !instance_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	w = find_writer(b, instance_id);
	if (!w)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND,
			      "no components of writer instance %s",
			      guid_str(instance_id, buf));
	if (xdoc_parse(xml, len, &doc, err, sizeof(err)) < 0 ||
	    bcd_from_doc(doc, &tmp, err) < 0)
		return load_err(__func__, err);
	if (tmp->writers.n != 1) {
		i = tmp->writers.n;
		vss_bcd_free(tmp);
		return VSSERR(E_INVALIDARG,
			      "the returned document holds %zu writers, not 1", i);
	}
	tw = tmp->writers.v[0];
	xattr_guid(tw->node, A_INSTANCE_ID, &a);
	xattr_guid(w->node, A_WRITER_ID, &c);
	if (!vss_id_equal(&a, instance_id) ||
	    !xattr_guid(tw->node, A_WRITER_ID, &a) || !vss_id_equal(&a, &c)) {
		vss_bcd_free(tmp);
		return VSSERR(E_INVALIDARG,
			      "the returned document touches another writer than instance %s",
			      guid_str(instance_id, buf));
	}
	if (tw->comps.n != w->comps.n)
		goto changed;
	for (i = 0; i < tw->comps.n; i++) {
		xmlNodePtr n = ((struct vss_component *)tw->comps.v[i])->node;

		if (!find_in_writer(w, xattr_token(n, A_COMPONENT_TYPE, TOK_COMPONENT_TYPE),
				    xattr(n, A_LOGICAL_PATH),
				    xattr(n, A_COMPONENT_NAME)) ||
		    find_in_writer(tw, xattr_token(n, A_COMPONENT_TYPE, TOK_COMPONENT_TYPE),
				   xattr(n, A_LOGICAL_PATH),
				   xattr(n, A_COMPONENT_NAME)) !=
		    tw->comps.v[i])
			goto changed;
	}
	copy = xmlDocCopyNode(tw->node, b->doc, 1);
	vss_bcd_free(tmp);
	fresh.node = copy;
	if (!copy || writer_index(&fresh, err) < 0) {
		comps_free(&fresh.comps);
		xmlFreeNode(copy);
		return OOM();
	}
	xmlReplaceNode(w->node, copy);
	xmlFreeNode(w->node);
	comps_free(&w->comps);
	w->node = copy;
	w->comps = fresh.comps;
	for (i = 0; i < w->comps.n; i++)
		((struct vss_component *)w->comps.v[i])->w = w;
	return S_OK;
changed:
	vss_bcd_free(tmp);
	return VSSERR(E_INVALIDARG,
		      "the returned document adds, removes or renames components of writer instance %s",
		      guid_str(instance_id, buf));
}

/* ---- IVssWriterComponents ---- */

size_t vss_bcd_writer_count(const vss_bcd_t *b)
{
	return b ? b->writers.n : 0;
}

vss_hr_t vss_bcd_get_writer_info(const vss_bcd_t *b, size_t wi,
				 vss_id_t *instance_id, vss_id_t *writer_id,
				 const char **instance_name,
				 uint32_t *backup_schema)
{
	struct bcd_writer *w;
	vss_id_t tmp;

	if (!b)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (wi >= b->writers.n)
		return VSSERR(E_INVALIDARG, "writer index %zu out of range (count %zu)",
			      wi, b->writers.n);
	w = b->writers.v[wi];
	xattr_guid(w->node, A_INSTANCE_ID, instance_id ? instance_id : &tmp);
	xattr_guid(w->node, A_WRITER_ID, writer_id ? writer_id : &tmp);
	if (instance_name)
		*instance_name = xattr(w->node, A_INSTANCE_NAME);
	if (backup_schema)
		*backup_schema = xattr_uint(w->node, A_BACKUP_SCHEMA, 0);
	return S_OK;
}

size_t vss_bcd_component_count(const vss_bcd_t *b, size_t wi)
{
	if (!b || wi >= b->writers.n)
		return 0;
	return ((struct bcd_writer *)b->writers.v[wi])->comps.n;
}

vss_hr_t vss_bcd_get_component(const vss_bcd_t *b, size_t wi, size_t i,
			       vss_component_t **c)
{
	struct bcd_writer *w;

	if (!b || !c)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*c = NULL;
	if (wi >= b->writers.n)
		return VSSERR(E_INVALIDARG, "writer index %zu out of range (count %zu)",
			      wi, b->writers.n);
	w = b->writers.v[wi];
	if (i >= w->comps.n)
		return VSSERR(E_INVALIDARG, "component index %zu out of range (count %zu)",
			      i, w->comps.n);
	*c = w->comps.v[i];
	return S_OK;
}

/* ---- IVssComponent ---- */

#define CNODE(c) ((c) ? (c)->node : NULL)

const char *vss_component_get_logical_path(const vss_component_t *c)
{
	return xattr(CNODE(c), A_LOGICAL_PATH);
}

const char *vss_component_get_name(const vss_component_t *c)
{
	return xattr(CNODE(c), A_COMPONENT_NAME);
}

VSS_COMPONENT_TYPE vss_component_get_type(const vss_component_t *c)
{
	return c ? xattr_token(c->node, A_COMPONENT_TYPE, TOK_COMPONENT_TYPE) : 0;
}

void vss_component_get_writer_id(const vss_component_t *c, vss_id_t *id)
{
	if (!c)
		*id = VSS_ID_NULL;
	else
		xattr_guid(c->w->node, A_WRITER_ID, id);
}

void vss_component_get_instance_id(const vss_component_t *c, vss_id_t *id)
{
	if (!c)
		*id = VSS_ID_NULL;
	else
		xattr_guid(c->w->node, A_INSTANCE_ID, id);
}

static vss_hr_t comp_set(const char *call, vss_component_t *c,
			 const char *attr, const char *value)
{
	vss_hr_t hr;

	if (!c)
		return vsserr_set(call, E_INVALIDARG, "NULL handle");
	if ((hr = xcheck_str(call, attr, value, false)))
		return hr;
	if (xset_str(c->node, &ED_COMPONENT, attr, value) < 0)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

#define COMP_STR(setter, getter, attr) \
vss_hr_t setter(vss_component_t *c, const char *v) \
{ \
	return comp_set(__func__, c, attr, v); \
} \
const char *getter(const vss_component_t *c) \
{ \
	return xattr(CNODE(c), attr); \
}

COMP_STR(vss_component_set_backup_stamp, vss_component_get_backup_stamp,
	 A_BACKUP_STAMP)
COMP_STR(vss_component_set_prepare_for_backup_failure_msg,
	 vss_component_get_prepare_for_backup_failure_msg, A_PREPARE_FAILURE)
COMP_STR(vss_component_set_post_snapshot_failure_msg,
	 vss_component_get_post_snapshot_failure_msg, A_POSTSNAP_FAILURE)
COMP_STR(vss_component_set_pre_restore_failure_msg,
	 vss_component_get_pre_restore_failure_msg, A_PRERESTORE_FAILURE)
COMP_STR(vss_component_set_post_restore_failure_msg,
	 vss_component_get_post_restore_failure_msg, A_POSTRESTORE_FAILURE)

const char *vss_component_get_previous_backup_stamp(const vss_component_t *c)
{
	return xattr(CNODE(c), A_PREVIOUS_STAMP);
}

const char *vss_component_get_backup_options(const vss_component_t *c)
{
	return xattr(CNODE(c), A_BACKUP_OPTIONS);
}

const char *vss_component_get_restore_options(const vss_component_t *c)
{
	return xattr(CNODE(c), A_RESTORE_OPTIONS);
}

bool vss_component_get_backup_succeeded(const vss_component_t *c)
{
	return c && xattr_bool(c->node, A_BACKUP_SUCCEEDED);
}

bool vss_component_is_selected_for_restore(const vss_component_t *c)
{
	return c && xattr_bool(c->node, A_SELECTED_RESTORE);
}

bool vss_component_get_additional_restores(const vss_component_t *c)
{
	return c && xattr_bool(c->node, A_ADDITIONAL_RESTORES);
}

VSS_FILE_RESTORE_STATUS vss_component_get_file_restore_status(const vss_component_t *c)
{
	return c ? xattr_token(c->node, A_FILE_RESTORE_STATUS,
			       TOK_FILE_RESTORE_STATUS) : 0;
}

vss_hr_t vss_component_set_restore_target(vss_component_t *c,
					  VSS_RESTORE_TARGET target)
{
	const char *s = token_name(TOK_RESTORE_TARGET, target);

	if (!s)
		return VSSERR(E_INVALIDARG, "restore target %d out of range", target);
	return comp_set(__func__, c, A_RESTORE_TARGET, s);
}

VSS_RESTORE_TARGET vss_component_get_restore_target(const vss_component_t *c)
{
	return c ? xattr_token(c->node, A_RESTORE_TARGET, TOK_RESTORE_TARGET) : 0;
}

size_t vss_component_new_target_count(const vss_component_t *c)
{
	return c ? c->recs[R_NEW_TARGET].n : 0;
}

vss_hr_t vss_component_get_new_target(const vss_component_t *c, size_t i,
				      const vss_wm_filedesc_t **fd)
{
	vss_hr_t hr;

	if (!fd)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*fd = (const vss_wm_filedesc_t *)get_rec(__func__, c, R_NEW_TARGET, i, &hr);
	return hr;
}

size_t vss_component_alternate_location_mapping_count(const vss_component_t *c)
{
	return c ? c->recs[R_MAPPING].n : 0;
}

vss_hr_t vss_component_get_alternate_location_mapping(const vss_component_t *c,
						      size_t i,
						      const vss_wm_filedesc_t **fd)
{
	vss_hr_t hr;

	if (!fd)
		return VSSERR(E_INVALIDARG, "NULL argument");
	*fd = (const vss_wm_filedesc_t *)get_rec(__func__, c, R_MAPPING, i, &hr);
	return hr;
}

vss_hr_t vss_component_add_partial_file(vss_component_t *c, const char *path,
					const char *filename, const char *ranges,
					const char *metadata)
{
	const char *v[] = { path, filename, ranges, metadata };

	return add_rec(__func__, c, R_PARTIAL, v, 0x3);
}

size_t vss_component_partial_file_count(const vss_component_t *c)
{
	return c ? c->recs[R_PARTIAL].n : 0;
}

/* Copies attribute K of the record definition into *OUT when OUT is set. */
static void rec_out(xmlNodePtr n, enum rec_kind kind, int k, const char **out)
{
	if (out)
		*out = xattr(n, rec_defs[kind]->attrs[k].name);
}

vss_hr_t vss_component_get_partial_file(const vss_component_t *c, size_t i,
					const char **path, const char **filename,
					const char **ranges, const char **metadata)
{
	xmlNodePtr n;
	vss_hr_t hr;

	n = get_rec(__func__, c, R_PARTIAL, i, &hr);
	if (!n)
		return hr;
	rec_out(n, R_PARTIAL, 0, path);
	rec_out(n, R_PARTIAL, 1, filename);
	rec_out(n, R_PARTIAL, 2, ranges);
	rec_out(n, R_PARTIAL, 3, metadata);
	return S_OK;
}

vss_hr_t vss_component_add_differenced_files_by_time(vss_component_t *c,
						     const char *path,
						     const char *filespec,
						     bool recursive,
						     vss_timestamp_t last_modify)
{
	char t[24];
	const char *v[] = { path, filespec, YESNO(recursive), NULL, t };

	snprintf(t, sizeof(t), "%lld", (long long)last_modify);
	return add_rec(__func__, c, R_DIFFERENCED, v, 0x3);
}

vss_hr_t vss_component_add_differenced_files_by_lsn(vss_component_t *c,
						    const char *path,
						    const char *filespec,
						    bool recursive, const char *lsn)
{
	const char *v[] = { path, filespec, YESNO(recursive), lsn, NULL };

	return add_rec(__func__, c, R_DIFFERENCED, v, 0xb);
}

size_t vss_component_differenced_files_count(const vss_component_t *c)
{
	return c ? c->recs[R_DIFFERENCED].n : 0;
}

vss_hr_t vss_component_get_differenced_files(const vss_component_t *c, size_t i,
					     const char **path,
					     const char **filespec,
					     bool *recursive, const char **lsn,
					     vss_timestamp_t *last_modify)
{
	const char *t;
	xmlNodePtr n;
	vss_hr_t hr;

	n = get_rec(__func__, c, R_DIFFERENCED, i, &hr);
	if (!n)
		return hr;
	rec_out(n, R_DIFFERENCED, 0, path);
	rec_out(n, R_DIFFERENCED, 1, filespec);
	if (recursive)
		*recursive = xattr_bool(n, A_RECURSIVE);
	rec_out(n, R_DIFFERENCED, 3, lsn);
	t = xattr(n, A_LAST_MODIFY_TIME);
	if (last_modify)
		*last_modify = t ? strtoll(t, NULL, 10) : 0;
	return S_OK;
}

vss_hr_t vss_component_add_directed_target(vss_component_t *c,
					   const char *source_path,
					   const char *source_filename,
					   const char *source_ranges,
					   const char *destination_path,
					   const char *destination_filename,
					   const char *destination_ranges)
{
	const char *v[] = { source_path, source_filename, source_ranges,
			    destination_path, destination_filename,
			    destination_ranges };

	return add_rec(__func__, c, R_DIRECTED, v, 0x1b);
}

size_t vss_component_directed_target_count(const vss_component_t *c)
{
	return c ? c->recs[R_DIRECTED].n : 0;
}

vss_hr_t vss_component_get_directed_target(const vss_component_t *c, size_t i,
					   const char **source_path,
					   const char **source_filename,
					   const char **source_ranges,
					   const char **destination_path,
					   const char **destination_filename,
					   const char **destination_ranges)
{
	const char **out[] = { source_path, source_filename, source_ranges,
			       destination_path, destination_filename,
			       destination_ranges };
	xmlNodePtr n;
	vss_hr_t hr;
	int k;

	n = get_rec(__func__, c, R_DIRECTED, i, &hr);
	if (!n)
		return hr;
	for (k = 0; k < 6; k++)
		rec_out(n, R_DIRECTED, k, out[k]);
	return S_OK;
}

size_t vss_component_restore_subcomponent_count(const vss_component_t *c)
{
	return c ? c->recs[R_SUBCOMPONENT].n : 0;
}

vss_hr_t vss_component_get_restore_subcomponent(const vss_component_t *c,
						size_t i, const char **logical_path,
						const char **name, bool *repair)
{
	xmlNodePtr n;
	vss_hr_t hr;

	n = get_rec(__func__, c, R_SUBCOMPONENT, i, &hr);
	if (!n)
		return hr;
	rec_out(n, R_SUBCOMPONENT, 0, logical_path);
	rec_out(n, R_SUBCOMPONENT, 1, name);
	if (repair)
		*repair = xattr_bool(n, A_REPAIR);
	return S_OK;
}

bool vss_component_get_authoritative_restore(const vss_component_t *c)
{
	return c && xattr_bool(c->node, A_AUTHORITATIVE);
}

VSS_ROLLFORWARD_TYPE vss_component_get_roll_forward(const vss_component_t *c,
						    const char **point)
{
	if (point)
		*point = xattr(CNODE(c), A_ROLL_FORWARD_POINT);
	return c ? xattr_token(c->node, A_ROLL_FORWARD_TYPE, TOK_ROLL_FORWARD) : 0;
}

const char *vss_component_get_restore_name(const vss_component_t *c)
{
	return xattr(CNODE(c), A_RESTORE_NAME);
}

/* BACKUP_METADATA / RESTORE_METADATA: NULL or "" removes the element. */
static vss_hr_t set_meta(const char *call, vss_component_t *c, bool restore,
			 const char *v)
{
	xmlNodePtr *slot;
	vss_hr_t hr;

	if (!c)
		return vsserr_set(call, E_INVALIDARG, "NULL handle");
	if ((hr = xcheck_str(call, "metadata", v, false)))
		return hr;
	slot = restore ? &c->rmeta : &c->bmeta;
	if (!v || !*v) {
		if (*slot) {
			xmlUnlinkNode(*slot);
			xmlFreeNode(*slot);
			*slot = NULL;
		}
		return S_OK;
	}
	if (!*slot) {
		xmlNodePtr before = restore && c->bmeta ? xnext(c->bmeta) :
							  xfirst(c->node);

		*slot = xnew_child(c->node, restore ? E_RESTORE_METADATA :
					E_BACKUP_METADATA, before);
		if (!*slot)
			return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	}
	if (xset_str(*slot, restore ? &ED_RESTORE_METADATA : &ED_METADATA,
		     A_METADATA, v) < 0)
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}

vss_hr_t vss_component_set_backup_metadata(vss_component_t *c, const char *m)
{
	return set_meta(__func__, c, false, m);
}

const char *vss_component_get_backup_metadata(const vss_component_t *c)
{
	return c ? xattr(c->bmeta, A_METADATA) : NULL;
}

vss_hr_t vss_component_set_restore_metadata(vss_component_t *c, const char *m)
{
	return set_meta(__func__, c, true, m);
}

const char *vss_component_get_restore_metadata(const vss_component_t *c)
{
	return c ? xattr(c->rmeta, A_METADATA) : NULL;
}

vss_hr_t vss_component_set_failure(vss_component_t *c, vss_hr_t hr,
				   vss_hr_t app_hr, const char *msg)
{
	vss_hr_t rc;
	int e = 0;

	if (!c)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if ((rc = xcheck_str(__func__, "message", msg, false)))
		return rc;
	e |= xset_uint(c->node, &ED_COMPONENT, A_FAILURE_HR, (uint32_t)hr);
	e |= xset_uint(c->node, &ED_COMPONENT, A_FAILURE_APP_HR, (uint32_t)app_hr);
	e |= xset_str(c->node, &ED_COMPONENT, A_FAILURE_MSG, msg);
	return e ? OOM() : S_OK;
}

vss_hr_t vss_component_get_failure(const vss_component_t *c, vss_hr_t *hr,
				   vss_hr_t *app_hr, const char **msg)
{
	if (!c)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (hr)
		*hr = (vss_hr_t)xattr_uint(c->node, A_FAILURE_HR, 0);
	if (app_hr)
		*app_hr = (vss_hr_t)xattr_uint(c->node, A_FAILURE_APP_HR, 0);
	if (msg)
		*msg = xattr(c->node, A_FAILURE_MSG);
	return S_OK;
}
