/* libvss.c — library-wide definitions.  The API lives in the files added by
 * src/libvss/{xml,writer,requester}.am. */
#include "config.h"
#include <vss/vss.h>

const char *vss_version(void)
{
	return PACKAGE_VERSION;
}
