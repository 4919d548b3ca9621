/* backup-int.h — internal: the requester object shared by backup*.c. */
#ifndef VSS_LIBVSS_BACKUP_INT_H
#define VSS_LIBVSS_BACKUP_INT_H

#include <stdbool.h>
#include <vss/backup.h>
#include "libvss/client.h"

struct vss_async {
	vss_backup_t *b;		/* NULL once the object was freed */
	struct vss_async *next;		/* on b->asyncs */
	const char *call;		/* the call that started it */
	uint32_t op_id;
	vss_hr_t status;		/* VSS_S_ASYNC_PENDING until done */
	char *message;			/* vssd's text for a failure */
};

struct vss_backup {
	struct client c;
	struct vss_async *asyncs;
	vss_writer_metadata_t *wmd;	/* GetWriterMetadata cache */
	size_t nwmd;
	bool have_wmd;
	vss_writer_status_t *ws;	/* GetWriterStatus cache */
	size_t nws;
	bool have_ws;
};

/* Every public call starts with this. */
#define CHECK_OBJ(b)							\
	do {								\
		if (!(b))						\
			return VSSERR(E_INVALIDARG, "NULL object");	\
	} while (0)

/* backup-async.c */
vss_hr_t async_new(vss_backup_t *b, const char *call, uint32_t op_id,
		   vss_async_t **out);
void async_detach_all(vss_backup_t *b);

#endif
