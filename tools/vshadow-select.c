/* vshadow-select.c — which components vshadow adds to the BCD.
 *
 * The steps are those of the SDK sample's SelectComponentsForBackup
 * (VShadow 3.0, select.cpp), over each writer's components as its Writer
 * Metadata Document lists them (read with vss/metadata.h):
 *  1. -wx=WRITER excludes a writer; -wx=WRITER:\PATH the components at or
 *     under that logical path (the sample: the one component of that path).
 *  2. A component with a file, database or log file whose path lies on no
 *     volume of the set is excluded.  The path, or its longest existing
 *     prefix, is matched with the volumes as given on the command line: a
 *     block device by its st_rdev, a mount point by its st_dev (or by its
 *     filesystem's device number in mountinfo: btrfs subvolumes), an image
 *     file by the loop device it backs (path_on_volumes, the writer
 *     library's IsPathAffected).  A path that is not absolute lies on none.
 *  3. A component with an excluded descendant is excluded.
 *  4. A writer is excluded when none of its components can be included, or
 *     when one that must be added (below) is excluded.
 *  5. Added with AddComponent: every component that can be included (not
 *     excluded; selectable, or with no selectable ancestor) and has no
 *     selectable ancestor that can.
 *  6. Each -wi=X is verified, not applied: a writer X must not be excluded,
 *     nor any of its components; a component X (or each component under
 *     the logical path X) must be added or lie under one added.  Otherwise
 *     vshadow fails (E_INVALIDARG) before anything is created.
 * Where the sample and Microsoft's documentation differ we follow the
 * documentation ("Logical pathing of components"; vss-protocol §7.4): only
 * a selectable component defines a component set, and a non-selectable
 * component with no selectable ancestor forms none, so it "must be
 * explicitly included".  Step 5 therefore adds each such component, and
 * each selectable component under one, where the sample adds only the
 * top-level component and leaves the ones under it implicit; and step 4
 * excludes the writer when any such component is excluded, where the
 * sample says "a top-level non-selectable component" (the same writers:
 * step 3 excludes every ancestor of an excluded component).
 *
 * A writer is named by writer name, writer id or instance id, a component
 * by "WRITER:\logical\path\name" (the leading '\' optional), in any
 * case.  A -wi or -wx that names nothing is an error (the sample ignores
 * such a -wx); a -wi naming several writers (instances of one writer id)
 * requires each. */
#include "config.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <vss/metadata.h>
#include "libvss/writer-int.h"
#include "vshadow.h"

void vs_components_free(struct vs_component *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].logical_path);
		free(c[i].name);
		free(c[i].full_path);
		for (size_t j = 0; j < c[i].npaths; j++)
			free(c[i].paths[j]);
		free(c[i].paths);
	}
	free(c);
}

/* The paths of the component's files, database files and log files. */
static int add_paths(const vss_wm_component_t *wc, const vss_wm_component_info_t *info,
		     struct vs_component *c)
{
	static vss_hr_t (*const get[])(const vss_wm_component_t *, size_t,
				       const vss_wm_filedesc_t **) = {
		vss_wm_component_get_file, vss_wm_component_get_database_file,
		vss_wm_component_get_database_log_file,
	};
	size_t counts[] = { info->file_count, info->database_count, info->log_file_count };

	c->paths = calloc(counts[0] + counts[1] + counts[2] + 1, sizeof(*c->paths));
	if (!c->paths)
		return -1;
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const vss_wm_filedesc_t *fd;
			const char *path;

			if (VSS_FAILED(get[l](wc, i, &fd)))
				return -1;
			path = vss_wm_filedesc_get_path(fd);
			c->paths[c->npaths] = strdup(path ? path : "");
			if (!c->paths[c->npaths++])
				return -1;
		}
	return 0;
}

static int add_component(const vss_wm_component_t *wc, struct vs_component *c)
{
	vss_wm_component_info_t info;
	const char *lp;
	size_t len;

	if (VSS_FAILED(vss_wm_component_get_info(wc, &info)))
		return -1;
	lp = info.logical_path ? info.logical_path : "";
	c->type = info.type;
	c->selectable = info.selectable;
	c->logical_path = strdup(lp);
	c->name = strdup(info.name ? info.name : "");
	len = strlen(lp) + strlen(info.name ? info.name : "") + 2;
	c->full_path = malloc(len);
	if (!c->logical_path || !c->name || !c->full_path)
		return -1;
	if (*lp)
		snprintf(c->full_path, len, "%s\\%s", lp, c->name);
	else
		snprintf(c->full_path, len, "%s", c->name);
	return add_paths(wc, &info, c);
}

int vs_wmd_components(const char *xml, struct vs_component **comps, size_t *n)
{
	vss_wmd_t *doc;
	size_t cnt;

	*comps = NULL;
	*n = 0;
	if (!xml || !*xml)
		return 0;
	if (VSS_FAILED(vss_wmd_load_xml(xml, strlen(xml), &doc)))
		return -1;
	cnt = vss_wmd_component_count(doc);
	*comps = calloc(cnt ? cnt : 1, sizeof(**comps));
	if (!*comps) {
		vss_wmd_free(doc);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		const vss_wm_component_t *wc;

		(*n)++;
		if (VSS_FAILED(vss_wmd_get_component(doc, i, &wc)) ||
		    add_component(wc, &(*comps)[i])) {
			vss_wmd_free(doc);
			vs_components_free(*comps, *n);
			*comps = NULL;
			*n = 0;
			return -1;
		}
	}
	vss_wmd_free(doc);
	return 0;
}

/* ---- matching ---- */

static bool writer_named(const struct vs_writer *w, const char *s, size_t len)
{
	char buf[64];
	vss_id_t id;

	if (strlen(w->name) == len && strncasecmp(w->name, s, len) == 0)
		return true;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return vss_id_parse(buf, &id) == 0 &&
	       (vss_id_equal(&id, &w->writer_id) || vss_id_equal(&id, &w->instance_id));
}

static const char *skip_sep(const char *p)
{
	return *p == '\\' ? p + 1 : p;
}

/* a == b, or b lies under a ("a\..."). */
static bool path_within(const char *a, const char *b)
{
	size_t n;

	a = skip_sep(a);
	b = skip_sep(b);
	n = strlen(a);
	return strncasecmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '\\');
}

/* Does spec name component c of w, or an ancestor of it? */
static bool comp_named(const struct vs_writer *w, const struct vs_component *c,
		       const char *spec)
{
	const char *colon = strstr(spec, ":\\");

	if (!colon)
		colon = strchr(spec, ':');
	if (!colon || !writer_named(w, spec, (size_t)(colon - spec)))
		return false;
	return path_within(colon + 1, c->full_path);
}

/* Is a an ancestor of c (c's logical path lies under a's full path)? */
static bool is_ancestor(const struct vs_component *a, const struct vs_component *c)
{
	return a != c && path_within(a->full_path, c->full_path) &&
	       strcasecmp(skip_sep(a->full_path), skip_sep(c->full_path)) != 0;
}

static bool has_selectable_ancestor(const struct vs_writer *w, const struct vs_component *c)
{
	for (size_t i = 0; i < w->ncomps; i++)
		if (w->comps[i].selectable && is_ancestor(&w->comps[i], c))
			return true;
	return false;
}

/* Does spec name w itself, or one of its components? */
static bool names_writer(const struct vs_writer *w, const char *spec, bool *whole)
{
	*whole = writer_named(w, spec, strlen(spec));
	if (*whole)
		return true;
	for (size_t j = 0; j < w->ncomps; j++)
		if (comp_named(w, &w->comps[j], spec))
			return true;
	return false;
}

/* ---- selection ---- */

__attribute__((format(printf, 2, 3)))
static void say(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

/* A non-selectable component with no selectable ancestor: in no component
 * set, it must be added whenever its writer takes part. */
static bool must_add(const struct vs_writer *w, const struct vs_component *c)
{
	return !c->selectable && !has_selectable_ancestor(w, c);
}

static bool can_include(const struct vs_writer *w, const struct vs_component *c)
{
	return !c->excluded && (c->selectable || must_add(w, c));
}

/* Step 2: a file of c off the set's volumes excludes it. */
static void exclude_off_set(const struct vs_writer *w, struct vs_component *c,
			    const struct vs_opts *o, FILE *out)
{
	for (size_t i = 0; i < c->npaths; i++) {
		char mnt[PATH_MAX];
		bool on = false;

		if (path_on_volumes(c->paths[i], (const char *const *)o->volumes,
				    (unsigned)o->nvolumes, &on) == 0 && on)
			continue;
		c->excluded = true;
		if (path_mount_point(c->paths[i], mnt) == 0)
			say(out, "- Component '\\%s' from writer '%s' is excluded from backup "
			    "(it requires %s in the shadow set)\n", c->full_path, w->name, mnt);
		else
			say(out, "- Component '\\%s' from writer '%s' is excluded from backup "
			    "(its file path '%s' lies on no volume)\n", c->full_path, w->name,
			    c->paths[i]);
		return;
	}
}

/* Steps 1 to 5 for one writer. */
static void select_writer(struct vs_writer *w, const struct vs_opts *o, FILE *out)
{
	bool any = false;

	for (size_t j = 0; j < w->ncomps; j++)
		w->comps[j].excluded = w->comps[j].selected = false;
	w->excluded = false;
	for (size_t k = 0; k < o->nwx && !w->excluded; k++)
		w->excluded = writer_named(w, o->wx[k], strlen(o->wx[k]));
	if (w->excluded)
		return;
	for (size_t j = 0; j < w->ncomps; j++) {
		struct vs_component *c = &w->comps[j];

		for (size_t k = 0; k < o->nwx && !c->excluded; k++)
			c->excluded = comp_named(w, c, o->wx[k]);
		if (c->excluded)
			say(out, "- Component '\\%s' from writer '%s' is explicitly excluded "
			    "from backup\n", c->full_path, w->name);
		else
			exclude_off_set(w, c, o, out);
	}
	for (size_t j = 0; j < w->ncomps; j++) {
		struct vs_component *c = &w->comps[j];

		for (size_t d = 0; d < w->ncomps && !c->excluded; d++)
			if (w->comps[d].excluded && is_ancestor(c, &w->comps[d])) {
				c->excluded = true;
				say(out, "- Component '\\%s' from writer '%s' is excluded from "
				    "backup (it has an excluded descendant: '\\%s')\n",
				    c->full_path, w->name, w->comps[d].full_path);
			}
	}
	for (size_t j = 0; j < w->ncomps && !w->excluded; j++) {
		const struct vs_component *c = &w->comps[j];

		any |= can_include(w, c);
		if (c->excluded && must_add(w, c)) {
			w->excluded = true;
			say(out, "- The writer '%s' is now entirely excluded from the backup "
			    "(its non-selectable component '\\%s' is excluded)\n", w->name,
			    c->full_path);
		}
	}
	if (!w->excluded && !any) {
		w->excluded = true;
		say(out, "- The writer '%s' is now entirely excluded from the backup "
		    "(it has no component that can be included)\n", w->name);
	}
	for (size_t j = 0; j < w->ncomps && !w->excluded; j++) {
		struct vs_component *c = &w->comps[j];

		c->selected = can_include(w, c);
		for (size_t a = 0; a < w->ncomps && c->selected; a++)
			if (w->comps[a].selectable && can_include(w, &w->comps[a]) &&
			    is_ancestor(&w->comps[a], c))
				c->selected = false;
	}
}

/* Is c added, or under a component added? */
static bool included(const struct vs_writer *w, const struct vs_component *c)
{
	if (w->excluded)
		return false;
	for (size_t a = 0; a < w->ncomps; a++)
		if (w->comps[a].selected && (&w->comps[a] == c || is_ancestor(&w->comps[a], c)))
			return true;
	return false;
}

/* Step 6 for one -wi. */
static vss_hr_t verify(const struct vs_writer *w, size_t nw, const char *spec, FILE *out,
		       char *err, size_t errlen)
{
	bool whole = false;

	for (size_t i = 0; i < nw; i++) {
		if (!writer_named(&w[i], spec, strlen(spec)))
			continue;
		whole = true;
		if (w[i].excluded) {
			vs_fail(err, errlen, "'%s' (-wi) is not included in the backup: writer "
				"'%s' is excluded", spec, w[i].name);
			return E_INVALIDARG;
		}
		for (size_t j = 0; j < w[i].ncomps; j++)
			if (w[i].comps[j].excluded) {
				vs_fail(err, errlen, "'%s' (-wi) is not included in the backup: "
					"component '\\%s' of writer '%s' is excluded", spec,
					w[i].comps[j].full_path, w[i].name);
				return E_INVALIDARG;
			}
	}
	if (whole) {
		say(out, "- All components of writer '%s' are included\n", spec);
		return S_OK;
	}
	for (size_t i = 0; i < nw; i++)
		for (size_t j = 0; j < w[i].ncomps; j++) {
			const struct vs_component *c = &w[i].comps[j];

			if (!comp_named(&w[i], c, spec) || included(&w[i], c))
				continue;
			if (w[i].excluded)
				vs_fail(err, errlen, "'%s' (-wi) is not included in the backup: "
					"writer '%s' is excluded", spec, w[i].name);
			else
				vs_fail(err, errlen, "'%s' (-wi) is not included in the backup: "
					"component '\\%s' of writer '%s' %s", spec, c->full_path,
					w[i].name, c->excluded ? "is excluded" :
					"belongs to an excluded component set");
			return E_INVALIDARG;
		}
	say(out, "- The component '%s' is included\n", spec);
	return S_OK;
}

vss_hr_t vs_select(struct vs_writer *w, size_t nw, const struct vs_opts *o, FILE *out,
		   char *err, size_t errlen)
{
	vss_hr_t hr;

	/* every -wi and -wx must name something that exists */
	for (size_t pass = 0; pass < 2; pass++) {
		const char *const *list = pass ? o->wx : o->wi;
		size_t n = pass ? o->nwx : o->nwi;

		for (size_t k = 0; k < n; k++) {
			bool found = false, whole;

			for (size_t i = 0; i < nw && !found; i++)
				found = names_writer(&w[i], list[k], &whole);
			if (!found) {
				vs_fail(err, errlen, "writer or component '%s' not found (-%s)",
					list[k], pass ? "wx" : "wi");
				return VSS_E_OBJECT_NOT_FOUND;
			}
		}
	}
	say(out, "Discover excluded components ...\n");
	for (size_t i = 0; i < nw; i++)
		select_writer(&w[i], o, out);
	if (o->nwi)
		say(out, "Verifying explicitly specified writers/components ...\n");
	for (size_t k = 0; k < o->nwi; k++)
		if (VSS_FAILED(hr = verify(w, nw, o->wi[k], out, err, errlen)))
			return hr;
	return S_OK;
}
