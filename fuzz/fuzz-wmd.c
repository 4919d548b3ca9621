/* fuzz-wmd — libFuzzer target for vss_wmd_load_xml(): load, walk every
 * getter, save, reload; a saved document must load again and save to the
 * same bytes (the round-trip law). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vss/metadata.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const vss_wmd_t *w)
{
	const vss_wm_filedesc_t *fd;
	size_t i, j, n;

	vss_wmd_get_identity(w, NULL, NULL, NULL, NULL, NULL, NULL);
	vss_wmd_get_restore_method(w, NULL, NULL, NULL, NULL, NULL, &n);
	for (i = 0; i < n; i++)
		if (vss_wmd_get_alternate_location_mapping(w, i, &fd) == S_OK)
			(void)vss_wm_filedesc_get_path(fd);
	for (i = 0; i < vss_wmd_component_count(w); i++) {
		const vss_wm_component_t *c;
		const vss_wm_dependency_t *d;
		vss_wm_component_info_t ci;
		vss_id_t id;

		if (vss_wmd_get_component(w, i, &c) || vss_wm_component_get_info(c, &ci))
			abort();
		for (j = 0; j < ci.file_count; j++)
			if (vss_wm_component_get_file(c, j, &fd) ||
			    !vss_wm_filedesc_get_path(fd))
				abort();
		for (j = 0; j < ci.database_count; j++)
			if (vss_wm_component_get_database_file(c, j, &fd))
				abort();
		for (j = 0; j < ci.log_file_count; j++)
			if (vss_wm_component_get_database_log_file(c, j, &fd))
				abort();
		for (j = 0; j < ci.dependency_count; j++)
			if (vss_wm_component_get_dependency(c, j, &d) ||
			    vss_wm_dependency_get_writer_id(d, &id))
				abort();
	}
	for (i = 0; i < vss_wmd_exclude_count(w); i++)
		if (vss_wmd_get_exclude(w, i, &fd))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vss_wmd_t *w, *r;
	char *a, *b;

	if (vss_wmd_load_xml(data, size, &w) != S_OK)
		return 0;
	walk(w);
	if (vss_wmd_save_xml(w, &a) != S_OK)
		abort();
	if (vss_wmd_load_xml(a, strlen(a), &r) != S_OK)
		abort();
	walk(r);
	if (vss_wmd_save_xml(r, &b) != S_OK || strcmp(a, b))
		abort();
	free(a);
	free(b);
	vss_wmd_free(w);
	vss_wmd_free(r);
	return 0;
}
