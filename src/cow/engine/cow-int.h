/* cow-int.h — helpers shared inside the engine (not part of its API). */
#ifndef OPENVSS_COW_INT_H
#define OPENVSS_COW_INT_H

#include <stddef.h>

#define COW_ALIGN 4096u

/* Page-aligned allocation, for O_DIRECT. */
void *cow_alloc_aligned(size_t size);
void cow_free_aligned(void *p);
/* A page-aligned scratch buffer of at least size bytes owned by the calling
 * thread (kept between calls, freed at thread exit); NULL on ENOMEM. */
void *cow_tlbuf(size_t size);

#endif
