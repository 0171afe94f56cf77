/*
 * Offsets of the database header fields (format version 1, db.h), shared
 * by the builder and the reader and nothing else.
 */
#ifndef KU_URL_DB_FORMAT_H
#define KU_URL_DB_FORMAT_H

enum {
	KH_MAGIC = 0,          /* 8 bytes */
	KH_VERSION = 8,        /* u32 */
	KH_HEADER_SIZE = 12,   /* u32 */
	KH_FILE_SIZE = 16,
	KH_BUILD_TIME = 24,
	KH_GENERATION = 32,
	KH_SEED = 40,
	KH_KINDS = 48,
	KH_NFEEDS = 56,        /* u32 */
	KH_NKEYS = 60,         /* u32 */
	KH_NENTRIES = 64,
	KH_FEEDS_OFF = 72,
	KH_POOL_OFF = 80,
	KH_POOL_LEN = 88,
	KH_RECS_OFF = 96,
	KH_RECS_LEN = 104,
	KH_INDEX_OFF = 112,
	KH_NSLOTS = 120,
	KH_CIDR4 = 128,
	KH_CIDR6 = 136,        /* 3 x u64 */
	KH_PAYLOAD_SUM = 160,
	KH_FILTER_OFF = 168,
	KH_FILTER_BLOCKS = 176,
	KH_HEADER_SUM = 184,   /* XXH64 of bytes 0..183 */
};

/* The filter in front of the index: 64-byte blocks, KU_FILTER_BITS bits
 * set per key in one block, about KU_FILTER_BITS_PER_KEY bits per key. */
#define KU_FILTER_BITS 6
#define KU_FILTER_BITS_PER_KEY 10

/* The hosts that URL entries use are in the filter too, hashed with the
 * seed changed by this salt, and have no record of their own. */
#define KU_MARK_SALT 0x75726c686f737431ULL

#include <stdint.h>

/* Block and bit positions of a key's hash (the index uses the hash's own
 * halves; the filter mixes it first, so the two stay independent). */
static inline uint64_t ku_filter_block(uint64_t h, uint64_t nblocks)
{
	uint64_t g = h * 0x9E3779B97F4A7C15ULL;

	return ((g >> 32) * nblocks) >> 32;
}

static inline uint64_t ku_filter_bits(uint64_t h)
{
	uint64_t g = h * 0x9E3779B97F4A7C15ULL;

	g ^= g >> 31;
	return g * 0xBF58476D1CE4E5B9ULL;
}

#endif
