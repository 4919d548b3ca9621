/* fusefront.h — the FUSE front end shared by vss-cowd and the pass-through
 * baseline of vss-cowbench --live: connection settings and the receive
 * loop (fusefront.c). */
#ifndef OPENVSS_COWD_FUSEFRONT_H
#define OPENVSS_COWD_FUSEFRONT_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse3/fuse_lowlevel.h>

#define FUSEFRONT_WORKERS 16	/* receiving threads */

/* The settings a volume served to a loop device needs (init callback):
 * 1 MiB max_write and readahead, max_background for the loop device's
 * queue depth, no writeback cache, no splice reads, no auto_inval_data. */
void fusefront_init_conn(struct fuse_conn_info *conn);

/* Serves se with nworkers (at most FUSEFRONT_WORKERS) threads, each
 * receiving into a buffer that puts a WRITE's payload on a page boundary,
 * one request at a time; returns when the session ends (unmounted,
 * aborted or exited). */
void fusefront_serve(struct fuse_session *se, unsigned nworkers);

#endif
