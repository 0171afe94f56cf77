/*
 * A hash map from 64-bit keys to pointers (open addressing, linear probing,
 * backward-shift deletion).  It grows up to a cap on the number of entries
 * and refuses inserts past it, so a table that grows from input stays
 * bounded.  Keys should be well mixed already (ks_u64map_mix helps); the
 * map does not own the values.
 */
#ifndef KS_CORE_U64MAP_H
#define KS_CORE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct ks_u64map_slot {
	uint64_t key;
	void *val;      /* NULL: empty slot */
};

struct ks_u64map {
	struct ks_u64map_slot *slots;
	size_t cap;     /* a power of two */
	size_t n;
	size_t max;     /* largest n accepted */
};

void ks_u64map_init(struct ks_u64map *m, size_t max);
void ks_u64map_free(struct ks_u64map *m);

/* The value for key, or NULL. */
void *ks_u64map_get(const struct ks_u64map *m, uint64_t key);

/* Insert or replace (val must not be NULL).  0, or -1 when the map is at
 * its cap or out of memory. */
int ks_u64map_put(struct ks_u64map *m, uint64_t key, void *val);

/* Remove key; returns its value or NULL. */
void *ks_u64map_del(struct ks_u64map *m, uint64_t key);

/* Empty the map, keeping its memory. */
void ks_u64map_clear(struct ks_u64map *m);

/* A 64-bit mix (splitmix64's finalizer). */
static inline uint64_t ks_u64map_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

#endif
