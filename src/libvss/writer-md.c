/* writer-md.c — glue between writer events and the metadata documents.
 * Until the WMD/BCD model (vss/metadata.h) is in the tree, handlers get
 * NULL documents and nothing is serialised; this file is the one place
 * that changes when it lands. */
#include "config.h"
#include <stdlib.h>
#include "libvss/writer-int.h"

vss_hr_t wmd_begin(const struct writer_identity *id, vss_wmd_t **md, const char **err)
{
	(void)id;
	*md = NULL;
	*err = NULL;
	return S_OK;
}

vss_hr_t wmd_finish(vss_wmd_t *md, char **xml, const char **err)
{
	(void)md;
	*xml = NULL;
	*err = NULL;
	return S_OK;
}

vss_hr_t bcd_begin(const char *xml, vss_bcd_t **bcd, const char **err)
{
	(void)xml;
	*bcd = NULL;
	*err = NULL;
	return S_OK;
}

vss_hr_t bcd_finish(vss_bcd_t *bcd, bool save, char **xml, const char **err)
{
	(void)bcd;
	(void)save;
	*xml = NULL;
	*err = NULL;
	return S_OK;
}
