/*
 * Offsets of the database header fields (format version 2, db.h), shared
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
	KH_TABLE_SUM = 160,    /* XXH64 of bytes KH_END .. data offset */
	KH_FILTER_OFF = 168,
	KH_FILTER_BLOCKS = 176,
	KH_BLOCK_SIZE = 184,   /* bytes per checksum block */
	KH_NBLOCKS = 192,      /* checksum blocks of the data */
	KH_DATA_OFF = 200,     /* where the data (and the first block) start */
	KH_LABELS = 208,       /* bit L: a host key of L labels (63: more) */
	/* 216 .. 247: zero, covered by the header checksum. */
	KH_HEADER_SUM = 248,   /* XXH64 of bytes 0..247 */
	KH_END = 256,          /* the block table follows */
};

/* Format version 1 kept its header checksum here, over the bytes before
 * it; only ku_db_peek_generation still reads such a header (so that the
 * generation goes on across the change of format). */
#define KH_V1_HEADER_SUM 184

/* Checksum blocks: the builder's size, and the sizes a reader accepts. */
#define KU_BLOCK_SHIFT 16
#define KU_BLOCK_MIN_SHIFT 12
#define KU_BLOCK_MAX_SHIFT 24

/* The filter in front of the index: 64-byte blocks, KU_FILTER_BITS bits
 * set per key in one block, about KU_FILTER_BITS_PER_KEY bits per key. */
#define KU_FILTER_BITS 6
#define KU_FILTER_BITS_PER_KEY 10

/* The hosts that URL entries use are in the filter too, with no record
 * of their own: in the filter block of the host's own key hash (so that
 * a check that looks up a host as a domain reads the mark in the same
 * cache line), at the bit positions of that hash changed by this salt. */
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

/* The data offset of a file of `nblocks` checksum blocks: after the
 * header and the table, on a 64-byte boundary (the largest alignment a
 * section needs), so that a section's alignment in the file is its
 * alignment from the start of the data. */
static inline uint64_t ku_data_off(uint64_t nblocks)
{
	return (KH_END + nblocks * 8 + 63) & ~(uint64_t)63;
}

/* The label bit of a host key of n labels. */
static inline uint64_t ku_label_bit(uint64_t nlabels)
{
	return UINT64_C(1) << (nlabels < 63 ? nlabels : 63);
}

#endif
