/*
 * The one hash of the URL databases: XXH64 (Yann Collet's xxHash, 64-bit
 * variant, as published in its specification).  It hashes index keys
 * (with the database's seed) and checksums database files (seed 0).  It
 * is part of the database format: changing it is a new format version.
 */
#ifndef KU_URL_HASH_H
#define KU_URL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t ku_hash(const void *p, size_t n, uint64_t seed);

/*
 * The checksum of a database payload: XXH64 (seed 0) of the XXH64 (seed
 * 0) of each 1 MiB block, in order, as 8-byte little-endian values.  In
 * blocks, so that a reader can let go of each block once it is summed.
 * `done` (may be NULL) is called after each block.  Returns 0 and the sum,
 * or -1 when out of memory.
 */
#define KU_SUM_BLOCK (1u << 20)
int ku_checksum(const uint8_t *p, size_t n, uint64_t *sum,
		void (*done)(const uint8_t *block, size_t len));

#endif
