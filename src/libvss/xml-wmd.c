/* xml-wmd.c — the Writer Metadata Document.
 *
 * The document is the libxml2 tree (xml-doc.h); struct vss_wmd indexes the
 * elements we understand: IDENTIFICATION, RESTORE_METHOD (+ alternate
 * location mappings), and under BACKUP_LOCATIONS the components
 * (FILE_GROUP / DATABASE with their file sets and dependencies) and the
 * exclusions, each in document order.  A file descriptor handle
 * (vss_wm_filedesc_t) and a dependency handle are the element node itself.
 * Invariant: every indexed element has been normalised (xdoc_norm), so its
 * known attributes hold canonical values in a single text node. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/error.h"
#include "libvss/xml-names.h"

struct vss_wm_component {
	xmlNodePtr node;
	VSS_COMPONENT_TYPE type;
	struct nvec files, dbfiles, logs, deps;
	uint8_t *icon;
	size_t icon_len;
};

struct vss_wmd {
	xmlDocPtr doc;
	xmlNodePtr root, ident, restore, locations;
	struct nvec comps;		/* struct vss_wm_component * */
	struct nvec excludes, excl_snap, mappings;
};

#define NODE(fd) ((const xmlNode *)(fd))
#define ERRLEN 256

static void comp_free(struct vss_wm_component *c)
{
	if (!c)
		return;
	nvec_free(&c->files);
	nvec_free(&c->dbfiles);
	nvec_free(&c->logs);
	nvec_free(&c->deps);
	free(c->icon);
	free(c);
}

void vss_wmd_free(vss_wmd_t *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->comps.n; i++)
		comp_free(w->comps.v[i]);
	nvec_free(&w->comps);
	nvec_free(&w->excludes);
	nvec_free(&w->excl_snap);
	nvec_free(&w->mappings);
	xmlFreeDoc(w->doc);
	free(w);
}

vss_hr_t vss_wmd_new(vss_wmd_t **out)
{
	vss_wmd_t *w;
	char err[ERRLEN];

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return VSSERR(E_OUTOFMEMORY, "out of memory");
	w->doc = xdoc_new(E_WRITER_METADATA, NS_WMD);
	if (!w->doc)
		goto oom;
	w->root = xmlDocGetRootElement(w->doc);
	if (xdoc_norm(w->root, &ED_WRITER_METADATA, err, sizeof(err)) < 0)
		goto oom;
	*out = w;
	return S_OK;
oom:
	vss_wmd_free(w);
	return VSSERR(E_OUTOFMEMORY, "out of memory");
}

/* ---- loading ---- */

static int comp_index(vss_wmd_t *w, xmlNodePtr n, char *err)
{
	struct vss_wm_component *c = calloc(1, sizeof(*c));
	const char *icon;
	xmlNodePtr ch;

	if (!c || nvec_push(&w->comps, c) < 0) {
		free(c);
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	c->node = n;
	c->type = xis(n, E_DATABASE) ? VSS_CT_DATABASE : VSS_CT_FILEGROUP;
	if (xdoc_norm(n, &ED_COMPONENT_WM, err, ERRLEN) < 0)
		return -1;
	icon = xattr(n, A_ICON);
	if (icon && b64_decode(icon, &c->icon, &c->icon_len) < 0)
		c->icon = NULL;
	for (ch = xfirst(n); ch; ch = xnext(ch)) {
		struct nvec *v = NULL;
		const struct elem_def *d = &ED_DATABASE_FILES;

		if (xis(ch, E_FILE_LIST)) {
			v = &c->files;
			d = &ED_FILE_LIST;
		} else if (xis(ch, E_DATABASE_FILES)) {
			v = &c->dbfiles;
		} else if (xis(ch, E_DATABASE_LOGFILES)) {
			v = &c->logs;
		} else if (xis(ch, E_DEPENDENCY)) {
			v = &c->deps;
			d = &ED_DEPENDENCY;
		}
		if (!v)
			continue;	/* unknown: kept as it is */
		if (xdoc_norm(ch, d, err, ERRLEN) < 0)
			return -1;
		if (nvec_push(v, ch) < 0) {
			snprintf(err, ERRLEN, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int push_norm(struct nvec *v, xmlNodePtr n, const struct elem_def *d,
		     char *err)
{
	if (xdoc_norm(n, d, err, ERRLEN) < 0)
		return -1;
	if (nvec_push(v, n) < 0) {
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	return 0;
}

static int once(xmlNodePtr *slot, xmlNodePtr n, char *err)
{
	if (*slot) {
		snprintf(err, ERRLEN, "more than one <%s>", (const char *)n->name);
		return -1;
	}
	*slot = n;
	return 0;
}

static int wmd_index(vss_wmd_t *w, char *err)
{
	xmlNodePtr n, ch;

	w->root = xmlDocGetRootElement(w->doc);
	if (!xis(w->root, E_WRITER_METADATA)) {
		snprintf(err, ERRLEN, "root element is <%s>, not <%s>",
			 (const char *)w->root->name, E_WRITER_METADATA);
		return -1;
	}
	if (xdoc_norm(w->root, &ED_WRITER_METADATA, err, ERRLEN) < 0)
		return -1;
	for (n = xfirst(w->root); n; n = xnext(n)) {
		if (xis(n, E_IDENTIFICATION)) {
			if (once(&w->ident, n, err) < 0 ||
			    xdoc_norm(n, &ED_IDENTIFICATION, err, ERRLEN) < 0)
				return -1;
		} else if (xis(n, E_RESTORE_METHOD)) {
			if (once(&w->restore, n, err) < 0 ||
			    xdoc_norm(n, &ED_RESTORE_METHOD, err, ERRLEN) < 0)
				return -1;
			for (ch = xfirst(n); ch; ch = xnext(ch))
				if (xis(ch, E_ALT_MAPPING) &&
				    push_norm(&w->mappings, ch, &ED_ALT_MAPPING, err) < 0)
					return -1;
		} else if (xis(n, E_BACKUP_LOCATIONS)) {
			if (once(&w->locations, n, err) < 0)
				return -1;
			for (ch = xfirst(n); ch; ch = xnext(ch)) {
				int rc = 0;

				if (xis(ch, E_FILE_GROUP) || xis(ch, E_DATABASE))
					rc = comp_index(w, ch, err);
				else if (xis(ch, E_EXCLUDE_FILES))
					rc = push_norm(&w->excludes, ch, &ED_EXCLUDE, err);
				else if (xis(ch, E_EXCLUDE_SNAPSHOT))
					rc = push_norm(&w->excl_snap, ch, &ED_EXCLUDE, err);
				if (rc < 0)
					return -1;
			}
		}
	}
	if (!w->ident) {
		snprintf(err, ERRLEN, "no <%s> element", E_IDENTIFICATION);
		return -1;
	}
	return 0;
}

/* Shared by vss_wmd_load_xml and vss_xml_load_any: takes DOC. */
int wmd_from_doc(xmlDocPtr doc, vss_wmd_t **out, char *err)
{
	vss_wmd_t *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w) {
		xmlFreeDoc(doc);
		snprintf(err, ERRLEN, "out of memory");
		return -1;
	}
	w->doc = doc;
	if (wmd_index(w, err) < 0) {
		vss_wmd_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

vss_hr_t vss_wmd_load_xml(const void *buf, size_t len, vss_wmd_t **out)
{
	char err[ERRLEN];
	xmlDocPtr doc;

	if (!out)
		return VSSERR(E_INVALIDARG, "out is NULL");
	*out = NULL;
	if (xdoc_parse(buf, len, &doc, err, sizeof(err)) < 0 ||
	    wmd_from_doc(doc, out, err) < 0)
		return VSSERR(strcmp(err, "out of memory") ? VSS_E_INVALID_XML_DOCUMENT :
			      E_OUTOFMEMORY, "%s", err);
	return S_OK;
}

static vss_hr_t wmd_save(const char *call, const vss_wmd_t *w, unsigned flags,
			 char **xml)
{
	if (!w || !xml)
		return vsserr_set(call, E_INVALIDARG, "NULL argument");
	*xml = NULL;
	if (!w->ident)
		return vsserr_set(call, VSS_E_BAD_STATE, "the writer identity is not set");
	return xdoc_save(w->doc, flags, xml, call);
}

vss_hr_t vss_wmd_save_xml(const vss_wmd_t *w, char **xml)
{
	return wmd_save(__func__, w, 0, xml);
}

vss_hr_t vss_wmd_save_xml_ex(const vss_wmd_t *w, unsigned flags, char **xml)
{
	return wmd_save(__func__, w, flags, xml);
}

/* ---- writer side ---- */

#define OOM() VSSERR(E_OUTOFMEMORY, "out of memory")
#define CHECK(what, s, req) do { \
		vss_hr_t _hr = xcheck_str(__func__, what, s, req); \
		if (_hr) \
			return _hr; \
	} while (0)

vss_hr_t vss_wmd_set_identity(vss_wmd_t *w, const vss_id_t *writer_id,
			      const vss_id_t *instance_id,
			      const char *friendly_name,
			      const char *instance_name, VSS_USAGE_TYPE usage,
			      VSS_SOURCE_TYPE source, unsigned major,
			      unsigned minor)
{
	xmlNodePtr n;
	int rc = 0;

	if (!w || !writer_id || !instance_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	CHECK("friendly name", friendly_name, true);
	CHECK("instance name", instance_name, false);
	if ((unsigned)usage > VSS_UT_OTHER || (unsigned)source > VSS_ST_OTHER)
		return VSSERR(E_INVALIDARG, "usage %d or source %d out of range",
			      usage, source);
	n = w->ident;
	if (!n) {
		n = xnew_child(w->root, E_IDENTIFICATION, xfirst(w->root));
		if (!n)
			return OOM();
		w->ident = n;
	}
	rc |= xset_guid(n, &ED_IDENTIFICATION, A_WRITER_ID, writer_id);
	rc |= xset_guid(n, &ED_IDENTIFICATION, A_INSTANCE_ID, instance_id);
	rc |= xset_str(n, &ED_IDENTIFICATION, A_INSTANCE_NAME, instance_name);
	rc |= xset_str(n, &ED_IDENTIFICATION, A_FRIENDLY_NAME, friendly_name);
	rc |= xset_token(n, &ED_IDENTIFICATION, A_USAGE, TOK_USAGE, usage);
	rc |= xset_token(n, &ED_IDENTIFICATION, A_DATA_SOURCE, TOK_SOURCE, source);
	rc |= xset_uint(n, &ED_IDENTIFICATION, A_MAJOR_VERSION, major);
	rc |= xset_uint(n, &ED_IDENTIFICATION, A_MINOR_VERSION, minor);
	return rc ? OOM() : S_OK;
}

static xmlNodePtr ensure_locations(vss_wmd_t *w)
{
	if (!w->locations)
		w->locations = xnew_child(w->root, E_BACKUP_LOCATIONS, NULL);
	return w->locations;
}

static struct vss_wm_component *find_comp(const vss_wmd_t *w, const char *lp,
					  const char *name)
{
	size_t i;

	for (i = 0; i < w->comps.n; i++) {
		struct vss_wm_component *c = w->comps.v[i];

		if (name_eq(xattr(c->node, A_LOGICAL_PATH), lp) &&
		    name_eq(xattr(c->node, A_COMPONENT_NAME), name))
			return c;
	}
	return NULL;
}

vss_hr_t vss_wmd_add_component(vss_wmd_t *w, VSS_COMPONENT_TYPE type,
			       const char *logical_path, const char *name,
			       const char *caption, const uint8_t *icon,
			       size_t icon_len, bool restore_metadata,
			       bool notify_on_backup_complete, bool selectable,
			       bool selectable_for_restore, uint32_t flags)
{
	const struct elem_def *d = &ED_COMPONENT_WM;
	struct vss_wm_component *c;
	xmlNodePtr loc, before, n;
	char *b64 = NULL;
	int rc = 0;

	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (type != VSS_CT_DATABASE && type != VSS_CT_FILEGROUP)
		return VSSERR(E_INVALIDARG, "component type %d is neither database nor file group",
			      type);
	CHECK("logical path", logical_path, false);
	CHECK("component name", name, true);
	CHECK("caption", caption, false);
	if (icon_len && !icon)
		return VSSERR(E_INVALIDARG, "icon is NULL but icon_len is %zu", icon_len);
	if (find_comp(w, logical_path, name))
		return VSSERR(VSS_E_OBJECT_ALREADY_EXISTS,
			      "component '%s' at '%s' already exists", name,
			      logical_path ? logical_path : "");
	loc = ensure_locations(w);
	c = calloc(1, sizeof(*c));
	if (!loc || !c || nvec_push(&w->comps, c) < 0) {
		free(c);
		return OOM();
	}
	/* components before the exclusions (spec §2.1) */
	for (before = xfirst(loc); before; before = xnext(before))
		if (xis(before, E_EXCLUDE_FILES) || xis(before, E_EXCLUDE_SNAPSHOT))
			break;
	n = xnew_child(loc, type == VSS_CT_DATABASE ? E_DATABASE : E_FILE_GROUP,
		       before);
	if (!n) {
		w->comps.n--;
		free(c);
		return OOM();
	}
	c->node = n;
	c->type = type;
	if (icon_len) {
		b64 = b64_encode(icon, icon_len);
		c->icon = malloc(icon_len);
		if (!b64 || !c->icon)
			rc = -1;
		else
			memcpy(c->icon, icon, icon_len);
		c->icon_len = icon_len;
	}
	rc |= xset_str(n, d, A_LOGICAL_PATH, logical_path);
	rc |= xset_str(n, d, A_COMPONENT_NAME, name);
	rc |= xset_str(n, d, A_CAPTION, caption);
	rc |= xset_str(n, d, A_ICON, b64);
	rc |= xset_bool(n, d, A_RESTORE_METADATA, restore_metadata);
	rc |= xset_bool(n, d, A_NOTIFY, notify_on_backup_complete);
	rc |= xset_bool(n, d, A_SELECTABLE, selectable);
	rc |= xset_bool(n, d, A_SELECTABLE_RESTORE, selectable_for_restore);
	rc |= xset_uint(n, d, A_COMPONENT_FLAGS, flags);
	free(b64);
	return rc ? OOM() : S_OK;
}

/* Adds a file set element NAME to the component (LP, COMP) of type TYPE. */
static vss_hr_t add_fileset(vss_wmd_t *w, const char *call, VSS_COMPONENT_TYPE type,
			    const char *lp, const char *comp, const char *name,
			    const char *path, const char *filespec,
			    bool recursive, const char *alt, uint32_t mask)
{
	const struct elem_def *d = strcmp(name, E_FILE_LIST) == 0 ? &ED_FILE_LIST :
							      &ED_DATABASE_FILES;
	struct vss_wm_component *c;
	struct nvec *v;
	xmlNodePtr n;
	vss_hr_t hr;
	int rc = 0;

	if (!w)
		return vsserr_set(call, E_INVALIDARG, "NULL handle");
	if ((hr = xcheck_str(call, "logical path", lp, false)) ||
	    (hr = xcheck_str(call, "component name", comp, true)) ||
	    (hr = xcheck_str(call, "path", path, true)) ||
	    (hr = xcheck_str(call, "filespec", filespec, true)) ||
	    (hr = xcheck_str(call, "alternate location", alt, false)))
		return hr;
	c = find_comp(w, lp, comp);
	if (!c || c->type != type)
		return vsserr_set(call, VSS_E_OBJECT_NOT_FOUND,
				  "no %s '%s' at '%s'",
				  type == VSS_CT_DATABASE ? "database" : "file group",
				  comp, lp ? lp : "");
	v = d == &ED_FILE_LIST ? &c->files :
	    strcmp(name, E_DATABASE_FILES) == 0 ? &c->dbfiles : &c->logs;
	n = xnew_child(c->node, name, NULL);
	if (!n || nvec_push(v, n) < 0) {
		if (n) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	}
	rc |= xset_str(n, d, A_PATH, path);
	rc |= xset_str(n, d, A_FILESPEC, filespec);
	if (d == &ED_FILE_LIST) {
		if (recursive)
			rc |= xset_bool(n, d, A_RECURSIVE, true);
		rc |= xset_str(n, d, A_ALTERNATE_PATH, alt);
	}
	rc |= xset_uint(n, d, A_FILESPEC_BACKUP_TYPE, mask);
	return rc ? vsserr_set(call, E_OUTOFMEMORY, "out of memory") : S_OK;
}

vss_hr_t vss_wmd_add_files_to_file_group(vss_wmd_t *w, const char *logical_path,
					 const char *group_name, const char *path,
					 const char *filespec, bool recursive,
					 const char *alternate_location,
					 uint32_t backup_type_mask)
{
	return add_fileset(w, __func__, VSS_CT_FILEGROUP, logical_path,
			   group_name, E_FILE_LIST, path, filespec, recursive,
			   alternate_location, backup_type_mask);
}

vss_hr_t vss_wmd_add_database_files(vss_wmd_t *w, const char *logical_path,
				    const char *database_name, const char *path,
				    const char *filespec, uint32_t backup_type_mask)
{
	return add_fileset(w, __func__, VSS_CT_DATABASE, logical_path,
			   database_name, E_DATABASE_FILES, path, filespec,
			   false, NULL, backup_type_mask);
}

vss_hr_t vss_wmd_add_database_log_files(vss_wmd_t *w, const char *logical_path,
					const char *database_name,
					const char *path, const char *filespec,
					uint32_t backup_type_mask)
{
	return add_fileset(w, __func__, VSS_CT_DATABASE, logical_path,
			   database_name, E_DATABASE_LOGFILES, path, filespec,
			   false, NULL, backup_type_mask);
}

/* A path/filespec/recursive(/alternatePath) element appended to PARENT. */
static vss_hr_t add_pfr(const char *call, struct nvec *v, xmlNodePtr parent,
			const char *name, const struct elem_def *d,
			const char *path, const char *filespec, bool recursive,
			const char *alt)
{
	xmlNodePtr n;
	vss_hr_t hr;
	int rc = 0;

	if ((hr = xcheck_str(call, "path", path, true)) ||
	    (hr = xcheck_str(call, "filespec", filespec, true)) ||
	    (hr = xcheck_str(call, "alternate location", alt, false)))
		return hr;
	n = parent ? xnew_child(parent, name, NULL) : NULL;
	if (!n || nvec_push(v, n) < 0) {
		if (n) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		return vsserr_set(call, E_OUTOFMEMORY, "out of memory");
	}
	rc |= xset_str(n, d, A_PATH, path);
	rc |= xset_str(n, d, A_FILESPEC, filespec);
	rc |= xset_bool(n, d, A_RECURSIVE, recursive);
	if (alt)
		rc |= xset_str(n, d, A_ALTERNATE_PATH, alt);
	return rc ? vsserr_set(call, E_OUTOFMEMORY, "out of memory") : S_OK;
}

vss_hr_t vss_wmd_add_exclude_files(vss_wmd_t *w, const char *path,
				   const char *filespec, bool recursive)
{
	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	return add_pfr(__func__, &w->excludes, ensure_locations(w),
		       E_EXCLUDE_FILES, &ED_EXCLUDE, path, filespec, recursive,
		       NULL);
}

vss_hr_t vss_wmd_add_exclude_files_from_snapshot(vss_wmd_t *w, const char *path,
						 const char *filespec,
						 bool recursive)
{
	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	return add_pfr(__func__, &w->excl_snap, ensure_locations(w),
		       E_EXCLUDE_SNAPSHOT, &ED_EXCLUDE, path, filespec,
		       recursive, NULL);
}

vss_hr_t vss_wmd_add_component_dependency(vss_wmd_t *w,
					  const char *for_logical_path,
					  const char *for_name,
					  const vss_id_t *on_writer_id,
					  const char *on_logical_path,
					  const char *on_name)
{
	const struct elem_def *d = &ED_DEPENDENCY;
	struct vss_wm_component *c;
	xmlNodePtr n;
	int rc = 0;

	if (!w || !on_writer_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	CHECK("logical path", for_logical_path, false);
	CHECK("component name", for_name, true);
	CHECK("logical path of the dependency", on_logical_path, false);
	CHECK("component name of the dependency", on_name, true);
	c = find_comp(w, for_logical_path, for_name);
	if (!c)
		return VSSERR(VSS_E_OBJECT_NOT_FOUND, "no component '%s' at '%s'",
			      for_name, for_logical_path ? for_logical_path : "");
	n = xnew_child(c->node, E_DEPENDENCY, NULL);
	if (!n || nvec_push(&c->deps, n) < 0)
		return OOM();
	rc |= xset_guid(n, d, A_WRITER_ID, on_writer_id);
	rc |= xset_str(n, d, A_LOGICAL_PATH, on_logical_path);
	rc |= xset_str(n, d, A_COMPONENT_NAME, on_name);
	return rc ? OOM() : S_OK;
}

static xmlNodePtr ensure_restore(vss_wmd_t *w)
{
	char err[ERRLEN];
	xmlNodePtr before;

	if (w->restore)
		return w->restore;
	before = w->ident ? xnext(w->ident) : xfirst(w->root);
	w->restore = xnew_child(w->root, E_RESTORE_METHOD, before);
	if (w->restore && xdoc_norm(w->restore, &ED_RESTORE_METHOD, err,
				    sizeof(err)) < 0)
		return NULL;
	return w->restore;
}

vss_hr_t vss_wmd_set_restore_method(vss_wmd_t *w, VSS_RESTOREMETHOD_ENUM method,
				    const char *service,
				    const char *user_procedure,
				    VSS_WRITERRESTORE_ENUM writer_restore,
				    bool reboot_required)
{
	const struct elem_def *d = &ED_RESTORE_METHOD;
	xmlNodePtr n;
	int rc = 0;

	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if ((unsigned)method > VSS_RME_RESTORE_STOP_START ||
	    (unsigned)writer_restore > VSS_WRE_ALWAYS)
		return VSSERR(E_INVALIDARG, "method %d or writer restore %d out of range",
			      method, writer_restore);
	CHECK("service", service, false);
	CHECK("user procedure", user_procedure, false);
	n = ensure_restore(w);
	if (!n)
		return OOM();
	rc |= xset_token(n, d, A_METHOD, TOK_METHOD, method);
	rc |= xset_str(n, d, A_SERVICE, service);
	rc |= xset_str(n, d, A_USER_PROCEDURE, user_procedure);
	rc |= xset_token(n, d, A_WRITER_RESTORE, TOK_WRITER_RESTORE, writer_restore);
	rc |= xset_bool(n, d, A_REBOOT_REQUIRED, reboot_required);
	return rc ? OOM() : S_OK;
}

vss_hr_t vss_wmd_add_alternate_location_mapping(vss_wmd_t *w, const char *path,
						const char *filespec,
						bool recursive,
						const char *destination)
{
	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	CHECK("destination", destination, true);
	return add_pfr(__func__, &w->mappings, ensure_restore(w), E_ALT_MAPPING,
		       &ED_ALT_MAPPING, path, filespec, recursive, destination);
}

vss_hr_t vss_wmd_set_backup_schema(vss_wmd_t *w, uint32_t schema)
{
	int rc;

	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (schema)
		rc = xset_uint(w->root, &ED_WRITER_METADATA, A_BACKUP_SCHEMA, schema);
	else
		rc = xset_str(w->root, &ED_WRITER_METADATA, A_BACKUP_SCHEMA, NULL);
	return rc ? OOM() : S_OK;
}

/* ---- requester side ---- */

vss_hr_t vss_wmd_get_identity(const vss_wmd_t *w, vss_id_t *writer_id,
			      vss_id_t *instance_id, const char **friendly_name,
			      const char **instance_name, VSS_USAGE_TYPE *usage,
			      VSS_SOURCE_TYPE *source)
{
	vss_id_t tmp;

	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (!w->ident)
		return VSSERR(VSS_E_BAD_STATE, "the writer identity is not set");
	xattr_guid(w->ident, A_WRITER_ID, writer_id ? writer_id : &tmp);
	xattr_guid(w->ident, A_INSTANCE_ID, instance_id ? instance_id : &tmp);
	if (friendly_name)
		*friendly_name = xattr(w->ident, A_FRIENDLY_NAME);
	if (instance_name)
		*instance_name = xattr(w->ident, A_INSTANCE_NAME);
	if (usage)
		*usage = xattr_token(w->ident, A_USAGE, TOK_USAGE);
	if (source)
		*source = xattr_token(w->ident, A_DATA_SOURCE, TOK_SOURCE);
	return S_OK;
}

vss_hr_t vss_wmd_get_version(const vss_wmd_t *w, unsigned *major, unsigned *minor)
{
	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	if (major)
		*major = xattr_uint(w->ident, A_MAJOR_VERSION, 0);
	if (minor)
		*minor = xattr_uint(w->ident, A_MINOR_VERSION, 0);
	return S_OK;
}

uint32_t vss_wmd_get_backup_schema(const vss_wmd_t *w)
{
	return w ? xattr_uint(w->root, A_BACKUP_SCHEMA, 0) : 0;
}

vss_hr_t vss_wmd_get_restore_method(const vss_wmd_t *w,
				    VSS_RESTOREMETHOD_ENUM *method,
				    const char **service,
				    const char **user_procedure,
				    VSS_WRITERRESTORE_ENUM *writer_restore,
				    bool *reboot_required, size_t *mappings)
{
	const xmlNode *n;

	if (!w)
		return VSSERR(E_INVALIDARG, "NULL handle");
	n = w->restore;
	if (method)
		*method = n ? xattr_token(n, A_METHOD, TOK_METHOD) : 0;
	if (service)
		*service = n ? xattr(n, A_SERVICE) : NULL;
	if (user_procedure)
		*user_procedure = n ? xattr(n, A_USER_PROCEDURE) : NULL;
	if (writer_restore)
		*writer_restore = n ? xattr_token(n, A_WRITER_RESTORE,
						  TOK_WRITER_RESTORE) : 0;
	if (reboot_required)
		*reboot_required = n && xattr_bool(n, A_REBOOT_REQUIRED);
	if (mappings)
		*mappings = w->mappings.n;
	return n ? S_OK : S_FALSE;
}

static vss_hr_t get_nth(const char *call, const struct nvec *v, size_t i,
			const void **out)
{
	if (!out)
		return vsserr_set(call, E_INVALIDARG, "NULL argument");
	*out = NULL;
	if (i >= v->n)
		return vsserr_set(call, E_INVALIDARG, "index %zu out of range (count %zu)",
				  i, v->n);
	*out = v->v[i];
	return S_OK;
}

#define GET_NTH(obj, vec, i, out) \
	((obj) ? get_nth(__func__, &(obj)->vec, i, (const void **)(out)) : \
		 VSSERR(E_INVALIDARG, "NULL handle"))

vss_hr_t vss_wmd_get_alternate_location_mapping(const vss_wmd_t *w, size_t i,
						const vss_wm_filedesc_t **fd)
{
	return GET_NTH(w, mappings, i, fd);
}

size_t vss_wmd_exclude_count(const vss_wmd_t *w)
{
	return w ? w->excludes.n : 0;
}

vss_hr_t vss_wmd_get_exclude(const vss_wmd_t *w, size_t i,
			     const vss_wm_filedesc_t **fd)
{
	return GET_NTH(w, excludes, i, fd);
}

size_t vss_wmd_exclude_from_snapshot_count(const vss_wmd_t *w)
{
	return w ? w->excl_snap.n : 0;
}

vss_hr_t vss_wmd_get_exclude_from_snapshot(const vss_wmd_t *w, size_t i,
					   const vss_wm_filedesc_t **fd)
{
	return GET_NTH(w, excl_snap, i, fd);
}

size_t vss_wmd_component_count(const vss_wmd_t *w)
{
	return w ? w->comps.n : 0;
}

vss_hr_t vss_wmd_get_component(const vss_wmd_t *w, size_t i,
			       const vss_wm_component_t **c)
{
	return GET_NTH(w, comps, i, c);
}

vss_hr_t vss_wm_component_get_info(const vss_wm_component_t *c,
				   vss_wm_component_info_t *info)
{
	if (!c || !info)
		return VSSERR(E_INVALIDARG, "NULL argument");
	info->type = c->type;
	info->logical_path = xattr(c->node, A_LOGICAL_PATH);
	info->name = xattr(c->node, A_COMPONENT_NAME);
	info->caption = xattr(c->node, A_CAPTION);
	info->icon = c->icon_len ? c->icon : NULL;
	info->icon_len = c->icon_len;
	info->restore_metadata = xattr_bool(c->node, A_RESTORE_METADATA);
	info->notify_on_backup_complete = xattr_bool(c->node, A_NOTIFY);
	info->selectable = xattr_bool(c->node, A_SELECTABLE);
	info->selectable_for_restore = xattr_bool(c->node, A_SELECTABLE_RESTORE);
	info->flags = xattr_uint(c->node, A_COMPONENT_FLAGS, 0);
	info->file_count = c->files.n;
	info->database_count = c->dbfiles.n;
	info->log_file_count = c->logs.n;
	info->dependency_count = c->deps.n;
	return S_OK;
}

vss_hr_t vss_wm_component_get_file(const vss_wm_component_t *c, size_t i,
				   const vss_wm_filedesc_t **fd)
{
	return GET_NTH(c, files, i, fd);
}

vss_hr_t vss_wm_component_get_database_file(const vss_wm_component_t *c,
					    size_t i, const vss_wm_filedesc_t **fd)
{
	return GET_NTH(c, dbfiles, i, fd);
}

vss_hr_t vss_wm_component_get_database_log_file(const vss_wm_component_t *c,
						size_t i,
						const vss_wm_filedesc_t **fd)
{
	return GET_NTH(c, logs, i, fd);
}

vss_hr_t vss_wm_component_get_dependency(const vss_wm_component_t *c, size_t i,
					 const vss_wm_dependency_t **dep)
{
	return GET_NTH(c, deps, i, dep);
}

const char *vss_wm_filedesc_get_path(const vss_wm_filedesc_t *fd)
{
	return xattr(NODE(fd), A_PATH);
}

const char *vss_wm_filedesc_get_filespec(const vss_wm_filedesc_t *fd)
{
	return xattr(NODE(fd), A_FILESPEC);
}

bool vss_wm_filedesc_get_recursive(const vss_wm_filedesc_t *fd)
{
	return fd && xattr_bool(NODE(fd), A_RECURSIVE);
}

const char *vss_wm_filedesc_get_alternate_location(const vss_wm_filedesc_t *fd)
{
	return xattr(NODE(fd), A_ALTERNATE_PATH);
}

uint32_t vss_wm_filedesc_get_backup_type_mask(const vss_wm_filedesc_t *fd)
{
	return fd ? xattr_uint(NODE(fd), A_FILESPEC_BACKUP_TYPE, VSS_FSBT_DEFAULT) : 0;
}

vss_hr_t vss_wm_dependency_get_writer_id(const vss_wm_dependency_t *dep,
					 vss_id_t *writer_id)
{
	if (!dep || !writer_id)
		return VSSERR(E_INVALIDARG, "NULL argument");
	xattr_guid(NODE(dep), A_WRITER_ID, writer_id);
	return S_OK;
}

const char *vss_wm_dependency_get_logical_path(const vss_wm_dependency_t *dep)
{
	return xattr(NODE(dep), A_LOGICAL_PATH);
}

const char *vss_wm_dependency_get_component_name(const vss_wm_dependency_t *dep)
{
	return xattr(NODE(dep), A_COMPONENT_NAME);
}
