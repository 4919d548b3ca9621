/* vshadow-select.c — which components vshadow adds to the BCD.
 *
 * The rules are the SDK sample's (vss-protocol §7.4): within a writer, a
 * component whose logical path lies under a selectable component belongs
 * to that component's set and is never added explicitly; every other
 * component (non-selectable ones with no selectable ancestor, and the
 * selectable heads of sets) is added, unless -wx excludes it or an
 * ancestor.  -wx=WRITER drops a writer; -wi restricts the backup to the
 * writers and components it names.  A writer or component is named by
 * writer name, writer id or instance id, and a component by
 * "WRITER:\logical\path\name" (the leading '\' optional).
 *
 * The component list comes from the Writer Metadata Document, read with
 * the document model of vss/metadata.h. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <vss/metadata.h>
#include "vshadow.h"

void vs_components_free(struct vs_component *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].logical_path);
		free(c[i].name);
		free(c[i].full_path);
	}
	free(c);
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
	return 0;
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

static bool has_selectable_ancestor(const struct vs_writer *w, const struct vs_component *c)
{
	for (size_t i = 0; i < w->ncomps; i++) {
		const struct vs_component *a = &w->comps[i];

		if (a != c && a->selectable && path_within(a->full_path, c->full_path) &&
		    strcasecmp(skip_sep(a->full_path), skip_sep(c->full_path)) != 0)
			return true;
	}
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

static void select_writer(struct vs_writer *w, const char *const *wi, size_t nwi,
			  const char *const *wx, size_t nwx)
{
	bool whole_wi = nwi == 0, any_wi = nwi == 0, whole;

	for (size_t k = 0; k < nwi; k++)
		if (names_writer(w, wi[k], &whole)) {
			any_wi = true;
			whole_wi |= whole;
		}
	w->excluded = !any_wi;
	for (size_t k = 0; k < nwx && !w->excluded; k++)
		if (writer_named(w, wx[k], strlen(wx[k])))
			w->excluded = true;
	for (size_t j = 0; j < w->ncomps; j++) {
		struct vs_component *c = &w->comps[j];
		bool sel = !w->excluded && !has_selectable_ancestor(w, c);

		for (size_t k = 0; k < nwx && sel; k++)
			if (comp_named(w, c, wx[k]))
				sel = false;
		if (sel && !whole_wi && c->selectable) {
			sel = false;
			for (size_t k = 0; k < nwi && !sel; k++)
				sel = comp_named(w, c, wi[k]);
		}
		c->selected = sel;
	}
}

int vs_select(struct vs_writer *w, size_t nw, const char *const *wi, size_t nwi,
	      const char *const *wx, size_t nwx, char *err, size_t errlen)
{
	/* every -wi and -wx must name something that exists */
	for (size_t pass = 0; pass < 2; pass++) {
		const char *const *list = pass ? wx : wi;
		size_t n = pass ? nwx : nwi;

		for (size_t k = 0; k < n; k++) {
			bool found = false, whole;

			for (size_t i = 0; i < nw && !found; i++)
				found = names_writer(&w[i], list[k], &whole);
			if (!found)
				return vs_fail(err, errlen, "writer or component '%s' not found "
					    "(-%s)", list[k], pass ? "wx" : "wi");
		}
	}
	for (size_t i = 0; i < nw; i++)
		select_writer(&w[i], wi, nwi, wx, nwx);
	return 0;
}
