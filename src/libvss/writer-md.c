/* writer-md.c — glue between writer events and the metadata documents
 * (vss/metadata.h): the WMD handed to OnIdentify starts with the writer's
 * identity; an event's BCD_XML (this writer's WRITER_COMPONENTS only) is
 * loaded for the handler and saved back for the events that may edit it.
 * On failure *err is vss_last_error() of this thread. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <vss/metadata.h>
#include "libvss/writer-int.h"

static vss_hr_t failed(vss_hr_t hr, const char **err)
{
	*err = VSS_FAILED(hr) ? vss_last_error() : NULL;
	return hr;
}

vss_hr_t wmd_begin(const struct writer_identity *id, vss_wmd_t **md, const char **err)
{
	vss_hr_t hr = vss_wmd_new(md);

	if (VSS_SUCCEEDED(hr))
		hr = vss_wmd_set_identity(*md, &id->class_id, &id->instance_id, id->name,
					  id->instance_name, id->usage, id->source,
					  id->major, id->minor);
	if (VSS_FAILED(hr)) {
		vss_wmd_free(*md);
		*md = NULL;
	}
	return failed(hr, err);
}

vss_hr_t wmd_finish(vss_wmd_t *md, char **xml, const char **err)
{
	vss_hr_t hr = vss_wmd_save_xml(md, xml);

	vss_wmd_free(md);
	return failed(hr, err);
}

vss_hr_t bcd_begin(const char *xml, vss_bcd_t **bcd, const char **err)
{
	*bcd = NULL;
	if (!xml)
		return failed(S_OK, err);
	return failed(vss_bcd_load_xml(xml, strlen(xml), bcd), err);
}

vss_hr_t bcd_finish(vss_bcd_t *bcd, bool save, char **xml, const char **err)
{
	vss_hr_t hr = S_OK;

	*xml = NULL;
	if (bcd && save)
		hr = vss_bcd_save_xml(bcd, xml);
	vss_bcd_free(bcd);
	return failed(hr, err);
}
