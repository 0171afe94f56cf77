/*
 * A string-keyed table of counters with a cap on its entries, for the
 * names kreport counts (threats, signatures, VMs, categories, verdicts).
 *
 * Keys come from input, so the table is capped (`max` entries; further new
 * keys are refused and counted in `refused`, for the report to say so) and
 * hashed with SipHash-2-4 under a random key, so that crafted names cannot
 * make every key land in one chain.  Entries keep the order in which they
 * were first seen, which makes reports independent of the hash key.
 *
 * Each entry holds a copy of its key and a zeroed value of `vsize` bytes
 * that the caller interprets.  The table owns both; pointers returned stay
 * valid until the next kr_map_get that creates an entry (values) or until
 * kr_map_free (keys).
 */
#ifndef KR_MAP_H
#define KR_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "report/str.h"

struct kr_map_slot {
	uint64_t hash;
	uint32_t idx;      /* entry index + 1; 0 for an empty slot */
};

struct kr_map {
	struct kr_map_slot *slots;
	size_t nslots;                /* power of two */
	struct kr_str *keys;          /* per entry, in the arena */
	unsigned char *vals;          /* n * vsize bytes */
	size_t n, cap, max, vsize;
	uint64_t refused;             /* new keys turned away at the cap */
	uint64_t k0, k1;              /* SipHash key */
	struct ks_arena arena;
};

void kr_map_init(struct kr_map *m, size_t vsize, size_t max);
void kr_map_free(struct kr_map *m);

/* The value of `key`, created zeroed when `create` is set; NULL when the
 * key is absent (or cannot be added: cap reached, no memory). */
void *kr_map_get(struct kr_map *m, const void *key, size_t klen, int create);

static inline void *kr_map_val(const struct kr_map *m, size_t i)
{
	return m->vals + i * m->vsize;
}

/* Entry indexes sorted by a comparison of values (then keys, for a stable
 * order); the caller frees the array.  NULL when out of memory. */
size_t *kr_map_sorted(const struct kr_map *m,
		      int (*cmp)(const void *va, const void *vb));

/* SipHash-2-4 of p[0..n) under (k0, k1). */
uint64_t kr_siphash(uint64_t k0, uint64_t k1, const void *p, size_t n);

#endif
