/*
 * A bump allocator for data that dies together (one scan result, one
 * record).  Allocations are never freed one by one; ks_arena_reset keeps
 * the first chunk for reuse and ks_arena_free releases everything.  The
 * arena has a cap: an allocation past it returns NULL, which callers treat
 * as a limit hit, not as a crash.
 */
#ifndef KS_CORE_ARENA_H
#define KS_CORE_ARENA_H

#include <stddef.h>

struct ks_arena_chunk;

struct ks_arena {
	struct ks_arena_chunk *head;
	size_t used_total;   /* bytes handed out */
	size_t max;          /* cap on used_total */
};

void ks_arena_init(struct ks_arena *a, size_t max);
void ks_arena_reset(struct ks_arena *a);
void ks_arena_free(struct ks_arena *a);

/* n bytes aligned for any type, or NULL when over the cap or out of
 * memory. */
void *ks_arena_alloc(struct ks_arena *a, size_t n);

/* Copies; the result is NUL-terminated.  NULL in gives NULL out. */
char *ks_arena_strdup(struct ks_arena *a, const char *s);
char *ks_arena_memdup(struct ks_arena *a, const void *p, size_t n);
char *ks_arena_printf(struct ks_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
