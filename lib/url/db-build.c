/*
 * Building a kurlcheck database (layout in db.h): entries are gathered in
 * an in-memory hash table keyed by their bytes, then laid out as records,
 * an index, a filter, the block checksums and a header, and written so that readers see the old file or
 * the new one, never a part.
 */
#include "url/db.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "url/db-format.h"
#include "url/hash.h"

struct bkey {
	uint64_t hash;        /* with the builder's own seed */
	uint64_t key_off;     /* into keys */
	uint32_t first;       /* first entry + 1, 0 when none */
	uint32_t last;
	uint16_t key_len;
	uint16_t nmatch;
	uint8_t kinds;
};

struct bmatch {
	uint32_t next;        /* next entry of the same key + 1 */
	uint16_t feed;
	uint8_t kind;
	uint8_t flags;
};

struct bfeed {
	char *name, *category, *format, *source;
	enum ku_kind kind;
	struct ku_feed_counts counts;
};

struct ku_builder {
	struct bfeed *feeds;
	unsigned nfeeds;
	struct bkey *keys;
	size_t nkeys, capkeys;
	uint32_t *table;      /* key index + 1 */
	size_t tsize;         /* power of two */
	struct bmatch *m;
	size_t nm, capm;
	uint8_t *bytes;
	size_t nbytes, capbytes;
	uint64_t cidr4, cidr6[3];
	uint64_t labels;      /* label counts of host keys (KH_LABELS) */
	unsigned kinds;
};

#define BUILD_SEED 0x6b75726c63686b31ULL

const char *ku_kind_name(enum ku_kind k)
{
	static const char *const names[KU_KIND_COUNT] = {
		"none", "url", "host", "domain", "subdomain", "ip", "cidr"
	};

	return (unsigned)k < KU_KIND_COUNT ? names[k] : "none";
}

int ku_kind_parse(const char *s, enum ku_kind *k)
{
	for (unsigned i = KU_KIND_URL; i < KU_KIND_COUNT; i++)
		if (strcmp(s, ku_kind_name((enum ku_kind)i)) == 0) {
			*k = (enum ku_kind)i;
			return 0;
		}
	return -1;
}

struct ku_builder *ku_builder_new(void)
{
	struct ku_builder *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->tsize = 1024;
	b->table = calloc(b->tsize, sizeof *b->table);
	if (b->table == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void ku_builder_free(struct ku_builder *b)
{
	if (b == NULL)
		return;
	for (unsigned i = 0; i < b->nfeeds; i++) {
		free(b->feeds[i].name);
		free(b->feeds[i].category);
		free(b->feeds[i].format);
		free(b->feeds[i].source);
	}
	free(b->feeds);
	free(b->keys);
	free(b->table);
	free(b->m);
	free(b->bytes);
	free(b);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

enum ks_status ku_builder_feed(struct ku_builder *b,
			       const struct ku_feed_def *d, unsigned *id,
			       struct ks_err *err)
{
	struct bfeed *f, *nf;

	if (b->nfeeds >= KU_DB_MAX_FEEDS)
		return ks_err_set(err, KS_ERR_LIMIT, "more than %u feeds",
				  KU_DB_MAX_FEEDS);
	nf = realloc(b->feeds, (b->nfeeds + 1) * sizeof *nf);
	if (nf == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	b->feeds = nf;
	f = &b->feeds[b->nfeeds];
	memset(f, 0, sizeof *f);
	f->name = dup_or_empty(d->name);
	f->category = dup_or_empty(d->category);
	f->format = dup_or_empty(d->format);
	f->source = dup_or_empty(d->source);
	f->kind = d->kind;
	if (f->name == NULL || f->category == NULL || f->format == NULL ||
	    f->source == NULL) {
		free(f->name);
		free(f->category);
		free(f->format);
		free(f->source);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	*id = b->nfeeds++;
	return KS_OK;
}

struct ku_feed_counts *ku_builder_counts(struct ku_builder *b, unsigned id)
{
	return id < b->nfeeds ? &b->feeds[id].counts : NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int rehash(struct ku_builder *b)
{
	size_t ns = b->tsize * 2;
	uint32_t *t = calloc(ns, sizeof *t);

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < b->nkeys; i++) {
		size_t pos = b->keys[i].hash & (ns - 1);

		while (t[pos] != 0)
			pos = (pos + 1) & (ns - 1);
		t[pos] = (uint32_t)(i + 1);
	}
	free(b->table);
	b->table = t;
	b->tsize = ns;
	return 0;
}

/* The key's index, added when new; (size_t)-1 when out of memory. */
static size_t key_get(struct ku_builder *b, const void *key, size_t n)
{
	uint64_t h = ku_hash(key, n, BUILD_SEED);
	size_t pos = h & (b->tsize - 1);
	struct bkey *k;

	while (b->table[pos] != 0) {
		k = &b->keys[b->table[pos] - 1];
		if (k->hash == h && k->key_len == n &&
		    memcmp(b->bytes + k->key_off, key, n) == 0)
			return b->table[pos] - 1;
		pos = (pos + 1) & (b->tsize - 1);
	}
	if (grow((void **)&b->keys, &b->capkeys, b->nkeys + 1, sizeof *b->keys) ||
	    grow((void **)&b->bytes, &b->capbytes, b->nbytes + n, 1))
		return (size_t)-1;
	k = &b->keys[b->nkeys];
	memset(k, 0, sizeof *k);
	k->hash = h;
	k->key_off = b->nbytes;
	k->key_len = (uint16_t)n;
	memcpy(b->bytes + b->nbytes, key, n);
	b->nbytes += n;
	b->table[pos] = (uint32_t)(b->nkeys + 1);
	b->nkeys++;
	if (b->nkeys * 10 > b->tsize * 7 && rehash(b) != 0)
		return (size_t)-1;
	return b->nkeys - 1;
}

size_t ku_cidr_key(int family, const uint8_t *addr, unsigned bits,
		   uint8_t out[19])
{
	size_t alen = family == 4 ? 4 : 16;

	out[0] = 0x01;
	out[1] = (uint8_t)family;
	out[2] = (uint8_t)bits;
	for (size_t i = 0; i < alen; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 :
				bits > 8 * i ? bits - 8 * (unsigned)i : 0;

		out[3 + i] = keep == 0 ? 0 :
			     (uint8_t)(addr[i] & (0xff << (8 - keep)));
	}
	return 3 + alen;
}

enum ks_status ku_builder_add(struct ku_builder *b, unsigned feed,
			      enum ku_kind kind, unsigned flags,
			      const void *key, size_t n, int *dup)
{
	size_t ki;
	struct bkey *k;
	struct bmatch *m;

	*dup = 0;
	if (feed >= b->nfeeds || kind <= KU_KIND_NONE || kind >= KU_KIND_COUNT)
		return KS_ERR_USAGE;
	if (n == 0 || n > KU_DB_MAX_KEY)
		return KS_ERR_LIMIT;
	if (b->nm >= KU_DB_MAX_ENTRIES)
		return KS_ERR_LIMIT;
	ki = key_get(b, key, n);
	if (ki == (size_t)-1)
		return KS_ERR_NOMEM;
	k = &b->keys[ki];
	for (uint32_t e = k->first; e != 0; e = b->m[e - 1].next) {
		m = &b->m[e - 1];
		if (m->feed == feed && m->kind == kind && m->flags == flags) {
			*dup = 1;
			return KS_OK;
		}
	}
	if (k->nmatch == UINT16_MAX)
		return KS_ERR_LIMIT;
	if (grow((void **)&b->m, &b->capm, b->nm + 1, sizeof *b->m))
		return KS_ERR_NOMEM;
	m = &b->m[b->nm];
	m->next = 0;
	m->feed = (uint16_t)feed;
	m->kind = (uint8_t)kind;
	m->flags = (uint8_t)flags;
	b->nm++;
	if (k->last != 0)
		b->m[k->last - 1].next = (uint32_t)b->nm;
	else
		k->first = (uint32_t)b->nm;
	k->last = (uint32_t)b->nm;
	k->nmatch++;
	k->kinds |= (uint8_t)(1u << kind);
	b->kinds |= 1u << kind;
	/* The label counts of host keys, so that a check looks up only the
	 * suffixes of a name that some key could be. */
	if (kind != KU_KIND_URL && kind != KU_KIND_CIDR) {
		const char *kp = key;
		uint64_t dots = 0;

		for (size_t i = 0; i < n; i++)
			dots += kp[i] == '.';
		b->labels |= ku_label_bit(dots + 1);
	}
	if (kind == KU_KIND_CIDR && n >= 3) {
		const uint8_t *c = key;

		if (c[1] == 4 && c[2] <= 32)
			b->cidr4 |= UINT64_C(1) << c[2];
		else if (c[1] == 6 && c[2] <= 128)
			b->cidr6[c[2] / 64] |= UINT64_C(1) << (c[2] % 64);
	}
	/* The host of a URL entry is marked (in the filter of the image),
	 * so that a check probes a host's paths only when some entry may
	 * use that host. */
	if (kind == KU_KIND_URL) {
		const char *slash = memchr(key, '/', n);

		if (slash != NULL && slash > (const char *)key) {
			size_t hi = key_get(b, key, (size_t)(slash - (const char *)key));

			if (hi == (size_t)-1)
				return KS_ERR_NOMEM;
			b->keys[hi].kinds |= KU_KB_URLHOST;
		}
	}
	return KS_OK;
}

/* ---- the image ---------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static size_t pad(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Set the bits of `bits_hash` in the filter block of `h`. */
static void filter_add(uint8_t *filter, size_t nblocks, uint64_t h,
		       uint64_t bits_hash)
{
	uint8_t *blk = filter + ku_filter_block(h, nblocks) * 64;
	uint64_t bits = ku_filter_bits(bits_hash);

	for (int j = 0; j < KU_FILTER_BITS; j++) {
		unsigned bit = (unsigned)(bits >> (9 * j)) & 511;

		blk[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
}

/* Verdict ranks: malicious, then phishing, then the other categories in
 * the order their first feed was given. */
static void ranks(const struct ku_builder *b, uint8_t *rank)
{
	unsigned next = 2;

	for (unsigned i = 0; i < b->nfeeds; i++) {
		const char *c = b->feeds[i].category;

		if (strcmp(c, "allow") == 0)
			rank[i] = 255;
		else if (strcmp(c, "malicious") == 0)
			rank[i] = 0;
		else if (strcmp(c, "phishing") == 0)
			rank[i] = 1;
		else {
			unsigned r = 0;

			for (unsigned j = 0; j < i && r == 0; j++)
				if (strcmp(b->feeds[j].category, c) == 0)
					r = rank[j];
			if (r == 0)
				r = next < 254 ? next++ : 254;
			rank[i] = (uint8_t)r;
		}
	}
}

enum ks_status ku_builder_image(struct ku_builder *b,
				const struct ku_build_opts *o, uint8_t **img,
				size_t *len, struct ks_err *err)
{
	size_t pool_len = 1, recs_len = 0, nslots, nfblocks, feeds_off, pool_off,
	       recs_off, index_off, filter_off, data_off, data_len, nsum,
	       total, po, ro, nrec = 0, nmark = 0;
	const size_t bsize = (size_t)1 << KU_BLOCK_SHIFT;
	uint64_t seed = o->seed;
	uint8_t rank[KU_DB_MAX_FEEDS];
	uint8_t *p;
	struct ks_time now = ks_time_now();

	*img = NULL;
	*len = 0;
	while (seed == 0)
		if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
			return ks_err_sys(err, KS_ERR_IO, errno, "getrandom");
	for (unsigned i = 0; i < b->nfeeds; i++)
		pool_len += strlen(b->feeds[i].name) + strlen(b->feeds[i].category) +
			    strlen(b->feeds[i].format) +
			    strlen(b->feeds[i].source) + 4;
	for (size_t i = 0; i < b->nkeys; i++) {
		if (b->keys[i].nmatch > 0) {
			recs_len += pad(6 + b->keys[i].key_len, 4) +
				    4 * b->keys[i].nmatch;
			nrec++;
		}
		if (b->keys[i].kinds & KU_KB_URLHOST)
			nmark++;
	}
	if (recs_len / 4 >= UINT32_MAX)
		return ks_err_set(err, KS_ERR_LIMIT, "database larger than 16 GiB");
	nslots = nrec + nrec * 3 / 7 + 1;
	nfblocks = ((nrec + nmark) * KU_FILTER_BITS_PER_KEY + 511) / 512 + 1;
	/* The sections from the start of the data, which is 64-byte aligned
	 * (ku_data_off), so these alignments hold in the file too. */
	pool_off = (size_t)b->nfeeds * KU_DB_FEED_SIZE;
	recs_off = pad(pool_off + pool_len, 8);
	index_off = pad(recs_off + recs_len, 8);
	filter_off = pad(index_off + nslots * 8, 64);
	data_len = filter_off + nfblocks * 64;
	nsum = (data_len + bsize - 1) / bsize;
	data_off = (size_t)ku_data_off(nsum);
	feeds_off = data_off;
	pool_off += data_off;
	recs_off += data_off;
	index_off += data_off;
	filter_off += data_off;
	total = data_off + data_len;
	p = calloc(1, total);
	if (p == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory for a "
				  "database of %zu bytes", total);
	ranks(b, rank);

	/* Feeds and their strings. */
	po = 1;
	for (unsigned i = 0; i < b->nfeeds; i++) {
		const struct bfeed *f = &b->feeds[i];
		uint8_t *fp = p + feeds_off + (size_t)i * KU_DB_FEED_SIZE;
		const char *s[4] = { f->name, f->category, f->format, f->source };

		for (int k = 0; k < 4; k++) {
			size_t n = strlen(s[k]) + 1;

			put32(fp + 4 * k, (uint32_t)po);
			memcpy(p + pool_off + po, s[k], n);
			po += n;
		}
		fp[16] = (uint8_t)f->kind;
		fp[17] = strcmp(f->category, "allow") == 0 ? KU_FF_ALLOW : 0;
		fp[18] = rank[i];
		put64(fp + 24, f->counts.lines);
		put64(fp + 32, f->counts.entries);
		put64(fp + 40, f->counts.duplicates);
		put64(fp + 48, f->counts.bad);
		put64(fp + 56, f->counts.unsupported);
		put64(fp + 64, f->counts.skipped);
	}

	/* Records and the index. */
	ro = 0;
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct bkey *k = &b->keys[i];
		uint8_t *r = p + recs_off + ro;
		const uint8_t *key = b->bytes + k->key_off;
		uint64_t h = ku_hash(key, k->key_len, seed);
		size_t slot = (size_t)(((h & 0xffffffffu) * (uint64_t)nslots) >> 32);
		size_t mo;

		if (k->kinds & KU_KB_URLHOST)
			filter_add(p + filter_off, nfblocks, h, h ^ KU_MARK_SALT);
		if (k->nmatch == 0)
			continue;

		put16(r, k->key_len);
		put16(r + 2, k->nmatch);
		r[4] = k->kinds & ~KU_KB_URLHOST;
		memcpy(r + 6, key, k->key_len);
		mo = pad(6 + k->key_len, 4);
		for (uint32_t e = k->first; e != 0; e = b->m[e - 1].next) {
			const struct bmatch *m = &b->m[e - 1];

			r[mo] = (uint8_t)m->feed;
			r[mo + 1] = (uint8_t)(m->feed >> 8);
			r[mo + 2] = m->kind;
			r[mo + 3] = m->flags;
			mo += 4;
		}
		while (p[index_off + slot * 8 + 4] | p[index_off + slot * 8 + 5] |
		       p[index_off + slot * 8 + 6] | p[index_off + slot * 8 + 7])
			slot = slot + 1 == nslots ? 0 : slot + 1;
		put32(p + index_off + slot * 8, (uint32_t)(h >> 32));
		put32(p + index_off + slot * 8 + 4, (uint32_t)(ro / 4 + 1));
		filter_add(p + filter_off, nfblocks, h, h);
		ro += mo;
	}

	/* The block table, then the header with its checksums last. */
	for (size_t i = 0; i < nsum; i++) {
		size_t off = i * bsize;

		put64(p + KH_END + 8 * i,
		      ku_hash(p + data_off + off, data_len - off < bsize ?
			      data_len - off : bsize, 0));
	}
	memcpy(p, KU_DB_MAGIC, 8);
	put32(p + KH_VERSION, KU_DB_VERSION);
	put32(p + KH_HEADER_SIZE, KU_DB_HEADER_SIZE);
	put64(p + KH_FILE_SIZE, total);
	put64(p + KH_BUILD_TIME, o->build_time_us ? o->build_time_us :
			(uint64_t)now.sec * 1000000 + now.usec);
	put64(p + KH_GENERATION, o->generation);
	put64(p + KH_SEED, seed);
	put64(p + KH_KINDS, b->kinds);
	put32(p + KH_NFEEDS, b->nfeeds);
	put32(p + KH_NKEYS, (uint32_t)nrec);
	put64(p + KH_NENTRIES, b->nm);
	put64(p + KH_FEEDS_OFF, feeds_off);
	put64(p + KH_POOL_OFF, pool_off);
	put64(p + KH_POOL_LEN, pool_len);
	put64(p + KH_RECS_OFF, recs_off);
	put64(p + KH_RECS_LEN, recs_len);
	put64(p + KH_INDEX_OFF, index_off);
	put64(p + KH_NSLOTS, nslots);
	put64(p + KH_FILTER_OFF, filter_off);
	put64(p + KH_FILTER_BLOCKS, nfblocks);
	put64(p + KH_CIDR4, b->cidr4);
	for (int i = 0; i < 3; i++)
		put64(p + KH_CIDR6 + 8 * i, b->cidr6[i]);
	put64(p + KH_BLOCK_SIZE, bsize);
	put64(p + KH_NBLOCKS, nsum);
	put64(p + KH_DATA_OFF, data_off);
	put64(p + KH_LABELS, b->labels);
	put64(p + KH_TABLE_SUM, ku_hash(p + KH_END, data_off - KH_END, 0));
	put64(p + KH_HEADER_SUM, ku_hash(p, KH_HEADER_SUM, 0));
	*img = p;
	*len = total;
	return KS_OK;
}

static enum ks_status sync_dir(const char *path, struct ks_err *err)
{
	char *copy = strdup(path);
	int fd;
	enum ks_status st = KS_OK;

	if (copy == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		st = ks_err_sys(err, KS_ERR_IO, errno, "cannot sync the "
				"directory of %s", path);
	if (fd >= 0)
		close(fd);
	free(copy);
	return st;
}

enum ks_status ku_db_write_file(const char *path, const uint8_t *img,
				size_t len, struct ks_err *err)
{
	char *tmp = NULL;
	int fd;
	size_t done = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		enum ks_status st = ks_err_sys(err, ks_status_from_errno(errno),
					       errno, "cannot create a temporary "
					       "file beside %s", path);

		free(tmp);
		return st;
	}
	while (done < len) {
		ssize_t k = write(fd, img + done, len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto fail;
		done += (size_t)k;
	}
	/* Readable by the checkers whatever the umask said of mkstemp's
	 * 0600. */
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return sync_dir(path, err);
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot write %s", path);
	}
}
