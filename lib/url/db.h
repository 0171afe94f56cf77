/*
 * The kurlcheck database: one immutable file, memory-mapped to check.
 *
 * Layout (format version 2; every integer little-endian):
 *
 *   header    256 bytes: magic "\x89KURLDB\n", version, header size,
 *             file size, build time (microseconds since the epoch),
 *             generation, hash seed, kinds present, feed/key/entry
 *             counts, section offsets, the prefix lengths used by CIDR
 *             entries, the checksum block size, block count and data
 *             offset, the XXH64 of the block table, and last the XXH64
 *             of the header bytes before it
 *   blocks    the block table: the XXH64 (seed 0) of each block of the
 *             data, 8 bytes a block, then zeros up to the data offset
 *             (a multiple of 64); the data is cut into blocks of the
 *             block size (64 KiB), the last one shorter
 *   feeds     (the data starts here) 80 bytes per feed: name, category,
 *             format, source (string pool offsets), match kind, flags,
 *             verdict rank, line counts
 *   pool      NUL-terminated strings
 *   records   one per key, 4-byte aligned: u16 key length, u16 number of
 *             entries, u8 kinds present, u8 0, the key, padding, then per
 *             entry a u32: feed (16 bits), kind (8), flags (8)
 *   index     open addressing with linear probing: slots of u32 tag (the
 *             high half of the key's XXH64 with the seed) and u32 record
 *             reference (offset / 4 + 1; 0 is an empty slot); the home
 *             slot is the low half of the hash scaled to the table size
 *   filter    a blocked Bloom filter in front of the index: 64-byte
 *             blocks, 6 bits per key in one block, 10 bits per key
 *             (about 1% false positives), so that a key that is not
 *             there costs one cache line of a table a tenth the size;
 *             it also holds the hosts that URL entries use (hashed with
 *             a salted seed), so that a check looks up the expressions
 *             of a host only when some URL entry may use it
 *
 * Keys: a canonical host ("example.com", "192.0.2.1", "[2001:db8::1]")
 * holds the host, domain, subdomain and ip entries of that host; a
 * host/path expression
 * ("example.com/a/b.html?x=1") holds url entries; a CIDR network is a
 * binary key (0x01, family 4 or 6, prefix length, masked address).
 *
 * Verification.  Opening takes the same time whatever the size of the
 * file: it checks the header against its checksum, that the file is as
 * long as the header says (so a truncated file is refused at once), the
 * block table against the header's checksum of it (8 bytes per 64 KiB of
 * data), and the blocks that hold the feed table and the strings.  Every
 * other block is summed the first time a lookup reads it (a bit per
 * block remembers it); a block that does not match its sum makes that
 * lookup, and every later one, find nothing, and ku_db_damaged() says so
 * (ku_check turns it into an error verdict): a damaged byte can never
 * give an answer.  ku_db_verify() (or KU_DB_VERIFY at open) sums every
 * block at once, for `kurlcheck info` and for a reload, which does it
 * beside the database in use.  Lookups also check every offset they read
 * against its section, so a damaged file opened without any checksum
 * (KU_DB_NO_CHECKSUM: tests and fuzzing of the structure) cannot make a
 * lookup read outside the mapping either.  Lazy verification is safe
 * with lookups in several threads at once (its state changes only with
 * atomic operations).
 */
#ifndef KU_URL_DB_H
#define KU_URL_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Where the appliance keeps its database (kurlcheck, the supervisor). */
#define KU_DB_DEFAULT_PATH "/var/lib/ksvm/kurlcheck.kudb"

#define KU_DB_MAGIC "\x89KURLDB\n"
#define KU_DB_VERSION 2u
#define KU_DB_HEADER_SIZE 256u
#define KU_DB_FEED_SIZE 80u
#define KU_DB_MAX_FEEDS 1024u
#define KU_DB_MAX_KEY 4096u           /* longest key, in bytes */
#define KU_DB_MAX_ENTRIES 100000000u  /* entries in one database */

/* Match meanings. */
enum ku_kind {
	KU_KIND_NONE = 0,
	KU_KIND_URL,        /* URL prefix by host/path expressions */
	KU_KIND_HOST,       /* this host exactly */
	KU_KIND_DOMAIN,     /* this host and every host below it */
	KU_KIND_SUBDOMAIN,  /* every host below it, not itself ("*.x") */
	KU_KIND_IP,         /* one address */
	KU_KIND_CIDR,       /* a network */
	KU_KIND_COUNT
};

/* Bits of a record's kinds byte: 1 << kind.  Builders also use this
 * bit for a host that URL entries use (it goes into the filter). */
#define KU_KB_URLHOST 0x80u

/* Entry flags. */
#define KU_EF_EXCEPTION 0x01u  /* an exception rule of its feed (@@) */

/* Feed flags. */
#define KU_FF_ALLOW 0x01u      /* an allowlist */

const char *ku_kind_name(enum ku_kind k);
int ku_kind_parse(const char *s, enum ku_kind *k);

/* ---- building ---------------------------------------------------------- */

struct ku_feed_def {
	const char *name;
	const char *category;   /* "allow" makes the feed an allowlist */
	const char *format;
	const char *source;     /* where it was read from, for the record */
	enum ku_kind kind;      /* the feed's match meaning */
};

/* Line counts of a feed, kept in the database. */
struct ku_feed_counts {
	uint64_t lines, entries, duplicates, bad, unsupported, skipped;
};

struct ku_builder;

struct ku_builder *ku_builder_new(void);
void ku_builder_free(struct ku_builder *b);

/* Add a feed (names are copied); *id is its number. */
enum ks_status ku_builder_feed(struct ku_builder *b,
			       const struct ku_feed_def *d, unsigned *id,
			       struct ks_err *err);

/* The counts of feed `id`, for the feed reader to fill in. */
struct ku_feed_counts *ku_builder_counts(struct ku_builder *b, unsigned id);

/*
 * Add one entry: a key in the form described above (canonical host,
 * expression or CIDR key).  *dup is set when the feed already had the
 * same entry.  KS_ERR_LIMIT past KU_DB_MAX_ENTRIES or KU_DB_MAX_KEY.
 */
enum ks_status ku_builder_add(struct ku_builder *b, unsigned feed,
			      enum ku_kind kind, unsigned flags,
			      const void *key, size_t n, int *dup);

struct ku_build_opts {
	uint64_t generation;
	uint64_t build_time_us;   /* 0: now */
	uint64_t seed;            /* 0: random */
};

/* The database image, in memory the caller frees (free()). */
enum ks_status ku_builder_image(struct ku_builder *b,
				const struct ku_build_opts *o, uint8_t **img,
				size_t *len, struct ks_err *err);

/*
 * Write an image to `path` so that readers never see half of it: a
 * temporary file beside it, written, fsync'ed, renamed over `path`, and
 * the directory fsync'ed.
 */
enum ks_status ku_db_write_file(const char *path, const uint8_t *img,
				size_t len, struct ks_err *err);

/* The binary key of a CIDR network (family 4 or 6); returns its length
 * (7 or 19).  The address is masked to `bits`. */
size_t ku_cidr_key(int family, const uint8_t *addr, unsigned bits,
		   uint8_t out[19]);

/* ---- reading ----------------------------------------------------------- */

struct ku_db;

struct ku_db_info {
	uint32_t version;
	uint64_t file_size;
	uint64_t build_time_us;
	uint64_t generation;
	uint64_t checksum;
	uint32_t nfeeds;
	uint32_t nkeys;
	uint64_t nentries;
	uint64_t nslots;
	unsigned kinds;           /* 1 << kind for each kind present */
	uint32_t block_size;      /* bytes per checksum block */
	uint64_t nblocks;         /* checksum blocks */
};

struct ku_db_feed {
	const char *name, *category, *format, *source;
	enum ku_kind kind;
	unsigned flags;           /* KU_FF_* */
	unsigned rank;            /* verdict precedence: lower wins */
	struct ku_feed_counts counts;
};

#define KU_DB_NO_CHECKSUM 0x01u  /* verify no block (structure tests) */
#define KU_DB_VERIFY 0x02u       /* verify every block at open */

/*
 * Open a database file (mapped, read-only), in a time that does not grow
 * with its size (see "Verification" above).  Errors name what is wrong:
 * "not a kurlcheck database", "truncated: ...", "damaged database: ...",
 * "database format version N (this kurlcheck reads version 2: ...)".
 */
enum ks_status ku_db_open(struct ku_db **db, const char *path,
			  unsigned flags, struct ks_err *err);

/* The same over an image in memory; with `owned` the database frees it
 * (free()) when closed, also when opening fails. */
enum ks_status ku_db_open_mem(struct ku_db **db, uint8_t *img, size_t len,
			      int owned, unsigned flags, struct ks_err *err);

void ku_db_close(struct ku_db *db);

/* Verify every block not verified yet: KS_OK, or KS_ERR_INVALID and what
 * is damaged.  Safe while other threads look up in the same database. */
enum ks_status ku_db_verify(struct ku_db *db, struct ks_err *err);

/* 1 (and the message, with the file's name) when a lookup found a damaged
 * block: the database must not be used any more, as every lookup in it
 * now finds nothing. */
int ku_db_damaged(const struct ku_db *db, struct ks_err *err);

/* Read the generation from a header alone (for the next build); 0 when
 * the file is absent or not a database. */
uint64_t ku_db_peek_generation(const char *path);

const struct ku_db_info *ku_db_info(const struct ku_db *db);
const struct ku_db_feed *ku_db_feed(const struct ku_db *db, unsigned i);
const char *ku_db_path(const struct ku_db *db);

/* One record found by key. */
struct ku_rec {
	const uint8_t *key;
	size_t key_len;
	unsigned kinds;
	size_t nmatch;
	const uint8_t *matches;   /* nmatch little-endian u32 */
};

uint64_t ku_db_hash(const struct ku_db *db, const void *key, size_t n);

/* 1 and *rec when the key is there, else 0 (also when the block it would
 * read is damaged: see ku_db_damaged). */
int ku_db_find(const struct ku_db *db, const void *key, size_t n,
	       uint64_t hash, struct ku_rec *rec);

/* Start loading the filter block of a hash, so that several lookups wait
 * for memory together. */
void ku_db_prefetch(const struct ku_db *db, uint64_t hash);

/* Entry i of a record. */
static inline void ku_rec_entry(const struct ku_rec *r, size_t i,
				unsigned *feed, unsigned *kind,
				unsigned *flags)
{
	const uint8_t *p = r->matches + 4 * i;

	*feed = (unsigned)p[0] | (unsigned)p[1] << 8;
	*kind = p[2];
	*flags = p[3];
}

/* 1 when URL entries may use the canonical host whose ku_db_mark_hash
 * this is (the filter can say yes wrongly, never no wrongly); the
 * filter block can be fetched early with ku_db_prefetch(mark hash).  The
 * mark hash of a host is its ku_db_hash: a check that looks the host up
 * as a key too hashes it once, and both read the same filter block. */
uint64_t ku_db_mark_hash(const struct ku_db *db, const void *host, size_t n);
int ku_db_marked(const struct ku_db *db, uint64_t mark_hash);

/* 0 when no host key (host, domain, subdomain or ip entry) of the
 * database has `nlabels` labels, so that no name suffix of that many
 * labels needs a lookup. */
int ku_db_has_labels(const struct ku_db *db, size_t nlabels);

/* Prefix lengths used by CIDR entries: bit L of the mask for /L. */
int ku_db_cidr_has(const struct ku_db *db, int family, unsigned bits);

#endif
