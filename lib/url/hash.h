/*
 * The one hash of the URL databases: XXH64 (Yann Collet's xxHash, 64-bit
 * variant, as published in its specification).  It hashes index keys
 * (with the database's seed) and sums the blocks of database files and
 * their headers (seed 0).  It is part of the database format: changing it
 * is a new format version.
 */
#ifndef KU_URL_HASH_H
#define KU_URL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t ku_hash(const void *p, size_t n, uint64_t seed);

#endif
