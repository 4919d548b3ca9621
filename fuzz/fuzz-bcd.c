/* fuzz-bcd — libFuzzer target for vss_bcd_load_xml(): load, walk every
 * component, save and reload (same bytes again), and send each writer's
 * part through extract / merge, which must give the document back intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vss/metadata.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const vss_bcd_t *b)
{
	size_t i, j;

	vss_bcd_get_backup_state(b, NULL, NULL, NULL, NULL);
	for (i = 0; i < vss_bcd_writer_count(b); i++) {
		if (vss_bcd_get_writer_info(b, i, NULL, NULL, NULL, NULL))
			abort();
		for (j = 0; j < vss_bcd_component_count(b, i); j++) {
			vss_component_t *c;
			vss_hr_t hr;

			if (vss_bcd_get_component(b, i, j, &c) ||
			    !vss_component_get_name(c))
				abort();
			if (vss_component_partial_file_count(c) &&
			    vss_component_get_partial_file(c, 0, NULL, NULL, NULL, NULL))
				abort();
			if (vss_component_differenced_files_count(c) &&
			    vss_component_get_differenced_files(c, 0, NULL, NULL,
								NULL, NULL, NULL))
				abort();
			if (vss_component_restore_subcomponent_count(c) &&
			    vss_component_get_restore_subcomponent(c, 0, NULL, NULL, NULL))
				abort();
			(void)vss_component_get_roll_forward(c, NULL);
			(void)vss_component_get_backup_metadata(c);
			(void)vss_component_get_backup_stamp(c);
			vss_component_get_failure(c, &hr, NULL, NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vss_bcd_t *b, *r;
	char *a, *s, *part;
	size_t i;

	if (vss_bcd_load_xml(data, size, &b) != S_OK)
		return 0;
	walk(b);
	if (vss_bcd_save_xml(b, &a) != S_OK)
		abort();
	if (vss_bcd_load_xml(a, strlen(a), &r) != S_OK)
		abort();
	walk(r);
	if (vss_bcd_save_xml(r, &s) != S_OK || strcmp(a, s))
		abort();
	free(s);
	for (i = 0; i < vss_bcd_writer_count(r); i++) {
		vss_id_t inst;
		vss_hr_t hr;

		vss_bcd_get_writer_info(r, i, &inst, NULL, NULL, NULL);
		if (vss_bcd_extract_writer(r, &inst, &part) != S_OK)
			abort();
		hr = vss_bcd_merge_writer(r, &inst, part, strlen(part));
		/* two writer parts with one instance id cannot merge back */
		if (hr != S_OK && hr != E_INVALIDARG)
			abort();
		free(part);
	}
	walk(r);
	free(a);
	vss_bcd_free(b);
	vss_bcd_free(r);
	return 0;
}
