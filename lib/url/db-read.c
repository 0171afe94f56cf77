/*
 * Opening a kurlcheck database (layout in db.h): the header is checked
 * field by field, so that the message says what is wrong; the block table
 * against the header's checksum of it; the sections must lie inside the
 * file in their order; the blocks that hold the feed table and the string
 * pool are verified at once, every other block the first time a lookup
 * reads it.  Lookups also check every offset they read against its
 * section, so a damaged file that was not verified (KU_DB_NO_CHECKSUM)
 * cannot make a lookup read outside the mapping either.
 */
#include "url/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "url/db-format.h"
#include "url/hash.h"

/* The verification state of a database (struct ku_db.state). */
enum {
	ST_LAZY = 0,       /* some blocks are not verified yet */
	ST_VERIFIED,       /* every block verified (or none asked for) */
	ST_DAMAGING,       /* a damaged block found; the message is written */
	ST_DAMAGED,        /* a damaged block found; the message is ready */
};

struct ku_db {
	uint8_t *base;
	size_t len;
	int mapped;          /* munmap, else free when owned */
	int owned;
	char *path;
	struct ku_db_info info;
	uint64_t seed;
	const uint8_t *pool;
	size_t pool_len;
	const uint8_t *recs;
	size_t recs_len;
	const uint8_t *index;
	const uint8_t *filter;
	uint64_t nblocks;
	uint64_t cidr4, cidr6[3];
	uint64_t labels;
	struct ku_db_feed *feeds;

	/*
	 * Lazy verification.  Lookups take the database const and may run
	 * in several threads: these fields are a cache of what is known of
	 * the immutable file, changed only with atomic operations.  A bit is
	 * set after its block was summed and found right; verifying a block
	 * twice (two threads at once) is harmless.
	 */
	const uint8_t *data;         /* first byte of the first block */
	const uint8_t *table;        /* the block sums */
	uint64_t data_len, nsum;     /* bytes and blocks of the data */
	unsigned shift;              /* log2 of the block size */
	uint64_t *verified;          /* a bit per block */
	uint64_t nverified;
	int state;                   /* ST_* */
	char damage[160];            /* what was found, once ST_DAMAGED */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void ku_db_close(struct ku_db *db)
{
	if (db == NULL)
		return;
	if (db->mapped)
		munmap(db->base, db->len);
	else if (db->owned)
		free(db->base);
	free(db->feeds);
	free(db->verified);
	free(db->path);
	free(db);
}

/* A pool string at `off`, or NULL when it is not a string of the pool. */
static const char *pool_str(const struct ku_db *db, uint32_t off)
{
	if (off >= db->pool_len)
		return NULL;
	return (const char *)db->pool + off;
}

static enum ks_status bad(struct ks_err *err, const char *what)
{
	return ks_err_set(err, KS_ERR_INVALID, "damaged database: %s", what);
}

/* ---- blocks ------------------------------------------------------------ */

/* Record the first damage found; later ones keep its message. */
static void set_damaged(struct ku_db *db, uint64_t b)
{
	int expect = ST_LAZY;

	if (!__atomic_compare_exchange_n(&db->state, &expect, ST_DAMAGING, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		expect = ST_VERIFIED;
		if (!__atomic_compare_exchange_n(&db->state, &expect,
						 ST_DAMAGING, 0,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			return;   /* already damaged */
	}
	snprintf(db->damage, sizeof db->damage, "damaged database: checksum "
		 "mismatch in block %llu of %llu (file bytes %llu to %llu); "
		 "the file was changed or damaged after it was written",
		 (unsigned long long)b, (unsigned long long)db->nsum,
		 (unsigned long long)((uint64_t)(db->data - db->base) +
				      (b << db->shift)),
		 (unsigned long long)((uint64_t)(db->data - db->base) +
				      ((b + 1) << db->shift < db->data_len ?
				       (b + 1) << db->shift : db->data_len) - 1));
	__atomic_store_n(&db->state, ST_DAMAGED, __ATOMIC_RELEASE);
}

/* Sum block b against the table; 0 when it is right. */
static __attribute__((noinline)) int verify_block(struct ku_db *db,
						  uint64_t b)
{
	uint64_t off = b << db->shift, n = (uint64_t)1 << db->shift, old;
	uint64_t bit = UINT64_C(1) << (b & 63);

	if (n > db->data_len - off)
		n = db->data_len - off;
	/* The mapping reads at random (MADV_RANDOM, for lookups): a block
	 * about to be summed whole is asked for in one read instead. */
	if (db->mapped) {
		uintptr_t a = (uintptr_t)(db->data + off) & ~(uintptr_t)4095;

		madvise((void *)a, (uintptr_t)(db->data + off + n) - a,
			MADV_WILLNEED);
	}
	if (ku_hash(db->data + off, (size_t)n, 0) != rd64(db->table + 8 * b)) {
		set_damaged(db, b);
		return -1;
	}
	old = __atomic_fetch_or(&db->verified[b >> 6], bit, __ATOMIC_RELEASE);
	if (!(old & bit) &&
	    __atomic_add_fetch(&db->nverified, 1, __ATOMIC_ACQ_REL) == db->nsum) {
		int expect = ST_LAZY;

		__atomic_compare_exchange_n(&db->state, &expect, ST_VERIFIED, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* The slow path of span_ok: verify the blocks of data[off, off + n). */
static __attribute__((noinline)) int span_verify(const struct ku_db *cdb,
						 const uint8_t *p, size_t n)
{
	struct ku_db *db = (struct ku_db *)cdb;   /* the cache, see above */
	uint64_t off = (uint64_t)(p - db->data), first, last;

	if (__atomic_load_n(&db->state, __ATOMIC_ACQUIRE) >= ST_DAMAGING)
		return 0;
	if (n == 0 || off >= db->data_len)
		return 1;   /* nothing of the data is read */
	if (n > db->data_len - off)
		n = (size_t)(db->data_len - off);
	first = off >> db->shift;
	last = (off + n - 1) >> db->shift;
	for (uint64_t b = first; b <= last; b++) {
		uint64_t w = __atomic_load_n(&db->verified[b >> 6],
					     __ATOMIC_ACQUIRE);

		if (!(w >> (b & 63) & 1) && verify_block(db, b) != 0)
			return 0;
	}
	return 1;
}

/* 1 when the bytes p[0..n) of the data may be read: their blocks are
 * verified (now, if they were not yet); 0 once the database is known to
 * be damaged. */
static inline int span_ok(const struct ku_db *db, const void *p, size_t n)
{
	if (__builtin_expect(__atomic_load_n(&db->state, __ATOMIC_RELAXED) ==
			     ST_VERIFIED, 1))
		return 1;
	return span_verify(db, p, n);
}

/* The damage found, with the file's name when `named`. */
static int damage_msg(const struct ku_db *db, struct ks_err *err, int named)
{
	int st = __atomic_load_n(&db->state, __ATOMIC_ACQUIRE);
	const char *p = named && db->path != NULL ? db->path : NULL;

	if (st < ST_DAMAGING)
		return 0;
	ks_err_set(err, KS_ERR_INVALID, "%s%s%s", p ? p : "", p ? ": " : "",
		   st == ST_DAMAGED ? db->damage : "damaged database");
	return 1;
}

int ku_db_damaged(const struct ku_db *db, struct ks_err *err)
{
	return damage_msg(db, err, 1);
}

enum ks_status ku_db_verify(struct ku_db *db, struct ks_err *err)
{
	for (uint64_t b = 0; b < db->nsum; b++) {
		if (damage_msg(db, NULL, 0))
			break;
		if (!(__atomic_load_n(&db->verified[b >> 6], __ATOMIC_ACQUIRE) >>
		      (b & 63) & 1) && verify_block(db, b) != 0)
			break;
		/* Summed pages leave the resident set (they stay in the
		 * page cache): lookups touch few of them. */
		if (db->mapped) {
			uint64_t end = (b + 1) << db->shift;
			uintptr_t a, e;

			/* Only whole pages of this block: the last block
			 * ends with the file, and what the mapping holds
			 * beyond it is not ours to drop. */
			if (end > db->data_len)
				end = db->data_len;
			a = ((uintptr_t)db->data + (b << db->shift) + 4095) &
			    ~(uintptr_t)4095;
			e = ((uintptr_t)db->data + end) & ~(uintptr_t)4095;
			if (e > a)
				madvise((void *)a, e - a, MADV_DONTNEED);
		}
	}
	if (ku_db_damaged(db, err))
		return KS_ERR_INVALID;
	{
		int expect = ST_LAZY;

		__atomic_compare_exchange_n(&db->state, &expect, ST_VERIFIED, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	return KS_OK;
}

/* ---- opening ----------------------------------------------------------- */

/* The header, the block table and the section table; sets the sections. */
static enum ks_status check_layout(struct ku_db *db, struct ks_err *err)
{
	const uint8_t *h = db->base;
	uint64_t fsize, feeds_off, pool_off, recs_off, index_off, nslots,
		 filter_off, bsize, data_off;
	uint32_t version, nfeeds;

	if (db->len < 8 || memcmp(h, KU_DB_MAGIC, 8) != 0)
		return ks_err_set(err, KS_ERR_INVALID,
				  "not a kurlcheck database (no magic number)");
	if (db->len < KH_HEADER_SIZE)
		return ks_err_set(err, KS_ERR_TRUNCATED, "truncated: %zu bytes, "
				  "shorter than the header", db->len);
	version = rd32(h + KH_VERSION);
	if (version != KU_DB_VERSION)
		return ks_err_set(err, KS_ERR_UNSUPPORTED, "database format "
				  "version %u (this kurlcheck reads version %u: "
				  "compile the database again)", version,
				  KU_DB_VERSION);
	if (db->len < KU_DB_HEADER_SIZE)
		return ks_err_set(err, KS_ERR_TRUNCATED, "truncated: %zu bytes, "
				  "shorter than the %u-byte header", db->len,
				  KU_DB_HEADER_SIZE);
	if (rd64(h + KH_HEADER_SUM) != ku_hash(h, KH_HEADER_SUM, 0))
		return bad(err, "header checksum mismatch");
	if (rd32(h + KH_HEADER_SIZE) != KU_DB_HEADER_SIZE)
		return bad(err, "header size");
	fsize = rd64(h + KH_FILE_SIZE);
	if (fsize != db->len)
		return ks_err_set(err, fsize > db->len ? KS_ERR_TRUNCATED :
				  KS_ERR_INVALID, "%s: the header says %llu "
				  "bytes, the file has %zu",
				  fsize > db->len ? "truncated" :
				  "damaged database", (unsigned long long)fsize,
				  db->len);

	/* The block table, right after the header. */
	bsize = rd64(h + KH_BLOCK_SIZE);
	db->nsum = rd64(h + KH_NBLOCKS);
	data_off = rd64(h + KH_DATA_OFF);
	for (db->shift = KU_BLOCK_MIN_SHIFT; db->shift <= KU_BLOCK_MAX_SHIFT;
	     db->shift++)
		if (bsize == UINT64_C(1) << db->shift)
			break;
	if (db->shift > KU_BLOCK_MAX_SHIFT || db->nsum == 0 ||
	    db->nsum > fsize / 8 || data_off != ku_data_off(db->nsum) ||
	    data_off >= fsize ||
	    ((fsize - data_off + bsize - 1) >> db->shift) != db->nsum)
		return bad(err, "block table");
	if (ku_hash(h + KH_END, data_off - KH_END, 0) != rd64(h + KH_TABLE_SUM))
		return bad(err, "block table checksum mismatch");
	db->table = h + KH_END;
	db->data = h + data_off;
	db->data_len = fsize - data_off;

	nfeeds = rd32(h + KH_NFEEDS);
	feeds_off = rd64(h + KH_FEEDS_OFF);
	pool_off = rd64(h + KH_POOL_OFF);
	db->pool_len = rd64(h + KH_POOL_LEN);
	recs_off = rd64(h + KH_RECS_OFF);
	db->recs_len = rd64(h + KH_RECS_LEN);
	index_off = rd64(h + KH_INDEX_OFF);
	nslots = rd64(h + KH_NSLOTS);
	filter_off = rd64(h + KH_FILTER_OFF);
	db->nblocks = rd64(h + KH_FILTER_BLOCKS);
	/* Sections in order, each inside the file.  Every offset and size is
	 * first held below the file size, so that no sum can wrap. */
	if (recs_off > fsize || index_off > fsize || db->pool_len > fsize ||
	    db->recs_len > fsize || nslots > fsize || filter_off > fsize ||
	    db->nblocks > fsize)
		return bad(err, "section table");
	if (nfeeds > KU_DB_MAX_FEEDS || feeds_off != data_off ||
	    pool_off != feeds_off + (uint64_t)nfeeds * KU_DB_FEED_SIZE ||
	    db->pool_len == 0 || pool_off + db->pool_len > fsize ||
	    recs_off < pool_off + db->pool_len || recs_off % 8 != 0 ||
	    recs_off + db->recs_len > fsize || index_off % 8 != 0 ||
	    index_off < recs_off + db->recs_len || nslots == 0 ||
	    nslots > fsize / 8 || filter_off % 64 != 0 ||
	    filter_off < index_off + nslots * 8 || db->nblocks == 0 ||
	    db->nblocks > fsize / 64 || filter_off + db->nblocks * 64 != fsize)
		return bad(err, "section table");
	db->pool = h + pool_off;
	db->recs = h + recs_off;
	db->index = h + index_off;
	db->filter = h + filter_off;
	db->info.version = version;
	db->info.file_size = fsize;
	db->info.nfeeds = nfeeds;
	db->info.nslots = nslots;
	db->info.block_size = (uint32_t)bsize;
	db->info.nblocks = db->nsum;
	return KS_OK;
}

static enum ks_status check(struct ku_db *db, unsigned flags,
			    struct ks_err *err)
{
	const uint8_t *h = db->base;
	enum ks_status st = check_layout(db, err);
	uint64_t feeds_off;

	if (st != KS_OK)
		return st;
	db->verified = calloc((db->nsum + 63) / 64, sizeof *db->verified);
	if (db->verified == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	db->state = (flags & KU_DB_NO_CHECKSUM) ? ST_VERIFIED : ST_LAZY;
	/* What open itself reads (the feed table and the strings) is
	 * verified now; the rest when a lookup first reads it, or all of it
	 * now when asked. */
	feeds_off = (uint64_t)(db->data - h);
	if (!(flags & KU_DB_NO_CHECKSUM) &&
	    (!span_ok(db, db->data, (size_t)(db->pool + db->pool_len -
					     db->data)) ||
	     ((flags & KU_DB_VERIFY) && ku_db_verify(db, NULL) != KS_OK))) {
		damage_msg(db, err, 0);
		return KS_ERR_INVALID;
	}
	if (db->pool[db->pool_len - 1] != 0 || db->pool[0] != 0)
		return bad(err, "string pool");
	db->seed = rd64(h + KH_SEED);
	db->cidr4 = rd64(h + KH_CIDR4);
	db->labels = rd64(h + KH_LABELS);
	for (int i = 0; i < 3; i++)
		db->cidr6[i] = rd64(h + KH_CIDR6 + 8 * i);
	db->info.build_time_us = rd64(h + KH_BUILD_TIME);
	db->info.generation = rd64(h + KH_GENERATION);
	db->info.checksum = rd64(h + KH_TABLE_SUM);
	db->info.nkeys = rd32(h + KH_NKEYS);
	db->info.nentries = rd64(h + KH_NENTRIES);
	db->info.kinds = (unsigned)rd64(h + KH_KINDS);
	if (db->info.nkeys > db->info.nslots)
		return bad(err, "more keys than index slots");
	db->feeds = calloc(db->info.nfeeds ? db->info.nfeeds : 1,
			   sizeof *db->feeds);
	if (db->feeds == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < db->info.nfeeds; i++) {
		const uint8_t *f = h + feeds_off + (size_t)i * KU_DB_FEED_SIZE;
		struct ku_db_feed *d = &db->feeds[i];

		d->name = pool_str(db, rd32(f));
		d->category = pool_str(db, rd32(f + 4));
		d->format = pool_str(db, rd32(f + 8));
		d->source = pool_str(db, rd32(f + 12));
		d->kind = (enum ku_kind)f[16];
		d->flags = f[17];
		d->rank = f[18];
		d->counts.lines = rd64(f + 24);
		d->counts.entries = rd64(f + 32);
		d->counts.duplicates = rd64(f + 40);
		d->counts.bad = rd64(f + 48);
		d->counts.unsupported = rd64(f + 56);
		d->counts.skipped = rd64(f + 64);
		if (d->name == NULL || d->category == NULL || d->format == NULL ||
		    d->source == NULL || d->category[0] == '\0' ||
		    d->kind <= KU_KIND_NONE || d->kind >= KU_KIND_COUNT)
			return bad(err, "feed table");
	}
	return KS_OK;
}

enum ks_status ku_db_open_mem(struct ku_db **out, uint8_t *img, size_t len,
			      int owned, unsigned flags, struct ks_err *err)
{
	struct ku_db *db = calloc(1, sizeof *db);
	enum ks_status st;

	*out = NULL;
	if (db == NULL) {
		if (owned)
			free(img);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	db->base = img;
	db->len = len;
	db->owned = owned;
	st = check(db, flags, err);
	if (st != KS_OK) {
		ku_db_close(db);
		return st;
	}
	*out = db;
	return KS_OK;
}

enum ks_status ku_db_open(struct ku_db **out, const char *path,
			  unsigned flags, struct ks_err *err)
{
	struct ku_db *db;
	struct stat sb;
	enum ks_status st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ks_err_set(err, KS_ERR_INVALID, "%s: not a regular file",
				  path);
	}
	db = calloc(1, sizeof *db);
	if (db == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		close(fd);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	db->len = (size_t)sb.st_size;
	if (db->len == 0) {
		close(fd);
		ku_db_close(db);
		return ks_err_set(err, KS_ERR_TRUNCATED, "%s: empty file", path);
	}
	db->base = mmap(NULL, db->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (db->base == MAP_FAILED) {
		int e = errno;

		db->base = NULL;
		ku_db_close(db);
		return ks_err_sys(err, KS_ERR_IO, e, "cannot map %s", path);
	}
	db->mapped = 1;
	st = check(db, flags, err);
	if (st != KS_OK) {
		ks_err_prefix(err, "%s: ", path);
		ku_db_close(db);
		return st;
	}
	madvise(db->base, db->len, MADV_RANDOM);
	*out = db;
	return KS_OK;
}

uint64_t ku_db_peek_generation(const char *path)
{
	uint8_t h[KU_DB_HEADER_SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t sum_at;

	if (fd < 0)
		return 0;
	n = read(fd, h, sizeof h);
	close(fd);
	if (n < KH_V1_HEADER_SUM + 8 || memcmp(h, KU_DB_MAGIC, 8) != 0)
		return 0;
	/* A version 1 database counts too: the generation goes on when the
	 * format changes. */
	sum_at = rd32(h + KH_VERSION) == 1 ? KH_V1_HEADER_SUM : KH_HEADER_SUM;
	if ((size_t)n < sum_at + 8 || rd64(h + sum_at) != ku_hash(h, sum_at, 0))
		return 0;
	return rd64(h + KH_GENERATION);
}

const struct ku_db_info *ku_db_info(const struct ku_db *db)
{
	return &db->info;
}

const struct ku_db_feed *ku_db_feed(const struct ku_db *db, unsigned i)
{
	return i < db->info.nfeeds ? &db->feeds[i] : NULL;
}

const char *ku_db_path(const struct ku_db *db)
{
	return db->path;
}

uint64_t ku_db_hash(const struct ku_db *db, const void *key, size_t n)
{
	return ku_hash(key, n, db->seed);
}

/* The bits of `bits_hash` in the filter block of `h`. */
static int filter_has(const struct ku_db *db, uint64_t h, uint64_t bits_hash)
{
	const uint8_t *blk = db->filter + ku_filter_block(h, db->nblocks) * 64;
	uint64_t bits = ku_filter_bits(bits_hash);

	if (!span_ok(db, blk, 64))
		return 0;
	for (int k = 0; k < KU_FILTER_BITS; k++) {
		unsigned bit = (unsigned)(bits >> (9 * k)) & 511;

		if (!(blk[bit >> 3] >> (bit & 7) & 1))
			return 0;
	}
	return 1;
}

uint64_t ku_db_mark_hash(const struct ku_db *db, const void *host, size_t n)
{
	return ku_hash(host, n, db->seed);
}

int ku_db_marked(const struct ku_db *db, uint64_t mark_hash)
{
	return filter_has(db, mark_hash, mark_hash ^ KU_MARK_SALT);
}

int ku_db_has_labels(const struct ku_db *db, size_t nlabels)
{
	return (db->labels & ku_label_bit(nlabels)) != 0;
}

int ku_db_find(const struct ku_db *db, const void *key, size_t n,
	       uint64_t h, struct ku_rec *rec)
{
	uint64_t nslots = db->info.nslots;
	uint64_t pos = ((h & 0xffffffffu) * nslots) >> 32;
	uint32_t tag = (uint32_t)(h >> 32);

	/* Most keys looked up are not there: the filter (a tenth of the
	 * index, so it stays in cache) says so without touching the index. */
	if (!filter_has(db, h, h))
		return 0;

	for (uint64_t i = 0; i < nslots; i++) {
		const uint8_t *s = db->index + pos * 8;
		uint32_t ref;

		if (!span_ok(db, s, 8))
			return 0;
		ref = rd32(s + 4);
		if (ref == 0)
			return 0;
		if (rd32(s) == tag) {
			size_t off = (size_t)(ref - 1) * 4, kl, nm, mo;
			const uint8_t *r;

			if (off > db->recs_len || db->recs_len - off < 6)
				return 0;
			r = db->recs + off;
			if (!span_ok(db, r, 6))
				return 0;
			kl = rd16(r);
			nm = rd16(r + 2);
			mo = (6 + kl + 3) & ~(size_t)3;
			if (db->recs_len - off < mo ||
			    (db->recs_len - off - mo) / 4 < nm ||
			    !span_ok(db, r, mo + 4 * nm))
				return 0;
			if (kl == n && memcmp(r + 6, key, n) == 0) {
				rec->key = r + 6;
				rec->key_len = kl;
				rec->kinds = r[4];
				rec->nmatch = nm;
				rec->matches = r + mo;
				return 1;
			}
		}
		if (++pos == nslots)
			pos = 0;
	}
	return 0;
}

void ku_db_prefetch(const struct ku_db *db, uint64_t h)
{
	__builtin_prefetch(db->filter + ku_filter_block(h, db->nblocks) * 64);
}

int ku_db_cidr_has(const struct ku_db *db, int family, unsigned bits)
{
	if (family == 4)
		return bits <= 32 && (db->cidr4 >> bits & 1);
	return bits <= 128 && (db->cidr6[bits / 64] >> (bits % 64) & 1);
}
