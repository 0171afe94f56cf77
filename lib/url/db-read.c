/*
 * Opening a kurlcheck database (layout in db.h): the header is checked
 * field by field, so that the message says what is wrong; the sections
 * must lie inside the file in their order; the payload checksum is
 * verified once.  Lookups check every offset they read against its
 * section.
 */
#include "url/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "url/db-format.h"
#include "url/hash.h"

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
	struct ku_db_feed *feeds;
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

/* The checksum pass reads every page; lookups touch few of them, so each
 * block leaves the resident set once summed (it stays in the page
 * cache). */
static void drop_pages(const uint8_t *block, size_t len)
{
	uintptr_t a = (uintptr_t)block & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)block + len) & ~(uintptr_t)4095;

	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

static enum ks_status check(struct ku_db *db, unsigned flags,
			    struct ks_err *err)
{
	const uint8_t *h = db->base;
	uint64_t fsize, feeds_off, pool_off, recs_off, index_off, nslots,
		 filter_off;
	uint32_t version, nfeeds;

	if (db->len < 8 || memcmp(h, KU_DB_MAGIC, 8) != 0)
		return ks_err_set(err, KS_ERR_INVALID,
				  "not a kurlcheck database (no magic number)");
	if (db->len < KU_DB_HEADER_SIZE)
		return ks_err_set(err, KS_ERR_TRUNCATED, "truncated: %zu bytes, "
				  "shorter than the %u-byte header", db->len,
				  KU_DB_HEADER_SIZE);
	version = rd32(h + KH_VERSION);
	if (version != KU_DB_VERSION)
		return ks_err_set(err, KS_ERR_UNSUPPORTED, "database format "
				  "version %u (this kurlcheck reads %u)",
				  version, KU_DB_VERSION);
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
	if (nfeeds > KU_DB_MAX_FEEDS || feeds_off != KU_DB_HEADER_SIZE ||
	    pool_off != feeds_off + (uint64_t)nfeeds * KU_DB_FEED_SIZE ||
	    db->pool_len == 0 || db->pool_len > fsize ||
	    pool_off + db->pool_len > fsize || recs_off < pool_off + db->pool_len ||
	    recs_off % 8 != 0 || db->recs_len > fsize ||
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
	if (db->pool[db->pool_len - 1] != 0 || db->pool[0] != 0)
		return bad(err, "string pool");
	db->seed = rd64(h + KH_SEED);
	db->cidr4 = rd64(h + KH_CIDR4);
	for (int i = 0; i < 3; i++)
		db->cidr6[i] = rd64(h + KH_CIDR6 + 8 * i);
	db->info.version = version;
	db->info.file_size = fsize;
	db->info.build_time_us = rd64(h + KH_BUILD_TIME);
	db->info.generation = rd64(h + KH_GENERATION);
	db->info.checksum = rd64(h + KH_PAYLOAD_SUM);
	db->info.nfeeds = nfeeds;
	db->info.nkeys = rd32(h + KH_NKEYS);
	db->info.nentries = rd64(h + KH_NENTRIES);
	db->info.nslots = nslots;
	db->info.kinds = (unsigned)rd64(h + KH_KINDS);
	if (db->info.nkeys > nslots)
		return bad(err, "more keys than index slots");
	db->feeds = calloc(nfeeds ? nfeeds : 1, sizeof *db->feeds);
	if (db->feeds == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < nfeeds; i++) {
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
	if (!(flags & KU_DB_NO_CHECKSUM)) {
		uint64_t sum;

		if (ku_checksum(h + KU_DB_HEADER_SIZE, fsize - KU_DB_HEADER_SIZE,
				&sum, db->mapped ? drop_pages : NULL) != 0)
			return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		if (sum != db->info.checksum)
			return bad(err, "checksum mismatch (the file was "
				   "changed or damaged after it was written)");
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

	if (fd < 0)
		return 0;
	n = read(fd, h, sizeof h);
	close(fd);
	if (n != (ssize_t)sizeof h || memcmp(h, KU_DB_MAGIC, 8) != 0 ||
	    rd64(h + KH_HEADER_SUM) != ku_hash(h, KH_HEADER_SUM, 0))
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

static int filter_has(const struct ku_db *db, uint64_t h)
{
	const uint8_t *blk = db->filter + ku_filter_block(h, db->nblocks) * 64;
	uint64_t bits = ku_filter_bits(h);

	for (int k = 0; k < KU_FILTER_BITS; k++) {
		unsigned bit = (unsigned)(bits >> (9 * k)) & 511;

		if (!(blk[bit >> 3] >> (bit & 7) & 1))
			return 0;
	}
	return 1;
}

uint64_t ku_db_mark_hash(const struct ku_db *db, const void *host, size_t n)
{
	return ku_hash(host, n, db->seed ^ KU_MARK_SALT);
}

int ku_db_marked(const struct ku_db *db, uint64_t mark_hash)
{
	return filter_has(db, mark_hash);
}

int ku_db_find(const struct ku_db *db, const void *key, size_t n,
	       uint64_t h, struct ku_rec *rec)
{
	uint64_t nslots = db->info.nslots;
	uint64_t pos = ((h & 0xffffffffu) * nslots) >> 32;
	uint32_t tag = (uint32_t)(h >> 32);

	/* Most keys looked up are not there: the filter (a tenth of the
	 * index, so it stays in cache) says so without touching the index. */
	if (!filter_has(db, h))
		return 0;

	for (uint64_t i = 0; i < nslots; i++) {
		const uint8_t *s = db->index + pos * 8;
		uint32_t ref = rd32(s + 4);

		if (ref == 0)
			return 0;
		if (rd32(s) == tag) {
			size_t off = (size_t)(ref - 1) * 4, kl, nm, mo;
			const uint8_t *r;

			if (off > db->recs_len || db->recs_len - off < 6)
				return 0;
			r = db->recs + off;
			kl = rd16(r);
			nm = rd16(r + 2);
			mo = (6 + kl + 3) & ~(size_t)3;
			if (db->recs_len - off < mo ||
			    (db->recs_len - off - mo) / 4 < nm)
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
