/*
 * Hash lists (formats in hashlist.h).
 *
 * Storage: one table per digest kind, each an array of fixed-size records
 * (the hash, then a tail with the size, the name's offset in a shared
 * string pool and the order of addition).  Adding appends; sealing sorts
 * by (hash, size, order) and drops exact repeats, so a lookup is two
 * binary searches and allocates nothing.  "Any size" is stored as
 * UINT64_MAX, which sorts after every real size of the same hash (sizes
 * in a list are capped at INT64_MAX, the largest off_t).
 *
 * When one hash is listed with different sizes, every size is kept; a
 * lookup returns the earliest-added entry whose size fits the file, which
 * is what "duplicates keep the first name" means once sizes differ.
 *
 * Limits: a line is at most HL_LINE_MAX bytes (without its '\n'); longer
 * lines are refused as bad lines and never buffered whole.  Everything
 * else grows with the input: about 48 bytes per SHA-256 entry, 32 per MD5
 * entry, plus each distinct name.  Offsets and orders are 32-bit, so a
 * list of more than 4 GiB of names or 4 G entries fails with
 * KS_ERR_LIMIT.
 */
#include "file/hashlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

#define HL_LINE_MAX 4096
#define HL_ANY ((uint64_t)-1)
#define HL_SIZE_MAX ((uint64_t)INT64_MAX)
#define HL_CHUNK 65536
#define HL_POOL_MAX ((size_t)UINT32_MAX)

/* Follows the hash in every record; hash lengths (16, 32) keep it aligned. */
struct hl_tail {
	uint64_t size;   /* HL_ANY: any size */
	uint32_t name;   /* offset of the NUL-terminated name in the pool */
	uint32_t seq;    /* order of addition over the whole list */
};

struct hl_table {
	uint8_t *recs;   /* n records of `stride` bytes */
	size_t n, cap;
	size_t hlen;     /* KS_SHA256_LEN or KS_MD5_LEN */
	size_t stride;   /* hlen + sizeof(struct hl_tail) */
};

struct kf_hashlist {
	struct hl_table sha, md5;
	struct ks_buf pool;
	uint32_t next_seq;
	int sealed;
};

/* One add call: where it comes from and what it has seen. */
struct hl_loader {
	struct kf_hashlist *h;
	struct kf_hashlist_load *rep;
	char defname[HL_LINE_MAX];
	uint32_t defname_off;   /* interned lazily, on the first nameless entry */
	int defname_interned;
	uint64_t line_no;
};

static void table_init(struct hl_table *t, size_t hlen)
{
	t->recs = NULL;
	t->n = t->cap = 0;
	t->hlen = hlen;
	t->stride = hlen + sizeof(struct hl_tail);
}

static inline uint8_t *rec_at(const struct hl_table *t, size_t i)
{
	return t->recs + i * t->stride;
}

static inline const struct hl_tail *rec_tail(const struct hl_table *t,
					     const uint8_t *r)
{
	return (const struct hl_tail *)(const void *)(r + t->hlen);
}

struct kf_hashlist *kf_hashlist_new(void)
{
	struct kf_hashlist *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	table_init(&h->sha, KS_SHA256_LEN);
	table_init(&h->md5, KS_MD5_LEN);
	/* Offsets are 32-bit: the pool can never outgrow them. */
	ks_buf_init(&h->pool, HL_POOL_MAX - 1);
	return h;
}

void kf_hashlist_free(struct kf_hashlist *h)
{
	if (h == NULL)
		return;
	free(h->sha.recs);
	free(h->md5.recs);
	ks_buf_free(&h->pool);
	free(h);
}

uint64_t kf_hashlist_count(const struct kf_hashlist *h)
{
	return h == NULL ? 0 : (uint64_t)h->sha.n + h->md5.n;
}

int kf_hashlist_has_md5(const struct kf_hashlist *h)
{
	return h != NULL && h->md5.n > 0;
}

/* ---- adding ----------------------------------------------------------- */

static enum ks_status pool_add(struct kf_hashlist *h, const char *s,
			       size_t n, uint32_t *off, struct ks_err *err)
{
	size_t at = h->pool.len;
	enum ks_status st;

	st = ks_buf_reserve(&h->pool, n + 1);
	if (st == KS_ERR_LIMIT)
		return ks_err_set(err, st, "hash list names exceed %zu bytes",
				  (size_t)HL_POOL_MAX);
	if (st != KS_OK)
		return ks_err_set(err, st, "out of memory for hash list names");
	ks_buf_append(&h->pool, s, n);
	ks_buf_append(&h->pool, "", 1);
	*off = (uint32_t)at;
	return KS_OK;
}

static enum ks_status table_add(struct kf_hashlist *h, struct hl_table *t,
				const uint8_t *hash, uint64_t size,
				uint32_t name, struct ks_err *err)
{
	struct hl_tail tail;

	if (h->next_seq == UINT32_MAX)
		return ks_err_set(err, KS_ERR_LIMIT,
				  "hash list holds too many entries");
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		uint8_t *p;

		if (ncap > SIZE_MAX / t->stride)
			return ks_err_set(err, KS_ERR_NOMEM,
					  "out of memory for hash list");
		p = realloc(t->recs, ncap * t->stride);
		if (p == NULL)
			return ks_err_set(err, KS_ERR_NOMEM,
					  "out of memory for hash list");
		t->recs = p;
		t->cap = ncap;
	}
	tail.size = size;
	tail.name = name;
	tail.seq = h->next_seq++;
	memcpy(rec_at(t, t->n), hash, t->hlen);
	memcpy(rec_at(t, t->n) + t->hlen, &tail, sizeof tail);
	t->n++;
	/* Lookups go linear until the next seal. */
	h->sealed = 0;
	return KS_OK;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* A decimal file size (no sign, at most INT64_MAX) or "*". */
static int parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 1 && s[0] == '*') {
		*out = HL_ANY;
		return 0;
	}
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (HL_SIZE_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * One line without its '\n'.  KS_OK when it was added or skipped (blank,
 * comment), KS_ERR_INVALID when it fits no format, another failure when
 * the list cannot grow.
 */
static enum ks_status add_line(struct hl_loader *ld, const char *s,
			       size_t len, int *added, struct ks_err *err)
{
	struct kf_hashlist *h = ld->h;
	uint8_t hash[KS_SHA256_LEN];
	uint64_t size = HL_ANY;
	const char *name = NULL;
	size_t hexlen = 0, namelen = 0;
	uint32_t off;
	enum ks_status st;

	*added = 0;
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	while (len > 0 && is_blank(s[0])) {
		s++;
		len--;
	}
	if (len == 0 || s[0] == '#')
		return KS_OK;
	if (memchr(s, '\0', len) != NULL)
		return KS_ERR_INVALID;
	while (hexlen < len && is_hex(s[hexlen]))
		hexlen++;
	if (hexlen != 2 * KS_SHA256_LEN && hexlen != 2 * KS_MD5_LEN)
		return KS_ERR_INVALID;
	if (ks_unhex(s, hexlen / 2, hash) != 0)
		return KS_ERR_INVALID;
	s += hexlen;
	len -= hexlen;
	if (len == 0) {
		/* HEX */
	} else if (s[0] == ':') {
		/* HEX:SIZE:NAME */
		const char *colon = memchr(s + 1, ':', len - 1);

		if (colon == NULL)
			return KS_ERR_INVALID;
		if (parse_size(s + 1, (size_t)(colon - s) - 1, &size) != 0)
			return KS_ERR_INVALID;
		name = colon + 1;
		namelen = len - (size_t)(name - s);
	} else if (s[0] == ' ' || s[0] == '\t') {
		/* HEX  NAME or HEX *NAME; the line was trimmed, so a name
		 * follows the blanks. */
		size_t i = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < len && s[i] == '*')
			i++;
		name = s + i;
		namelen = len - i;
	} else {
		return KS_ERR_INVALID;
	}

	if (namelen > 0) {
		st = pool_add(h, name, namelen, &off, err);
	} else if (ld->defname_interned) {
		off = ld->defname_off;
		st = KS_OK;
	} else {
		st = pool_add(h, ld->defname, strlen(ld->defname), &off, err);
		if (st == KS_OK) {
			ld->defname_off = off;
			ld->defname_interned = 1;
		}
	}
	if (st != KS_OK)
		return st;
	st = table_add(h, hexlen == 2 * KS_SHA256_LEN ? &h->sha : &h->md5,
		       hash, size, off, err);
	if (st == KS_OK)
		*added = 1;
	return st;
}

static void note_bad(struct hl_loader *ld)
{
	struct kf_hashlist_load *rep = ld->rep;

	if (rep->bad < KF_HASHLIST_BAD_KEEP)
		rep->bad_lines[rep->bad] = ld->line_no;
	rep->bad++;
}

/* Count one line (toolong: it went past HL_LINE_MAX) and add it. */
static enum ks_status take_line(struct hl_loader *ld, const char *s,
				size_t len, int toolong, struct ks_err *err)
{
	enum ks_status st;
	int added;

	ld->line_no++;
	if (toolong || len > HL_LINE_MAX) {
		note_bad(ld);
		return KS_OK;
	}
	st = add_line(ld, s, len, &added, err);
	if (st == KS_ERR_INVALID) {
		note_bad(ld);
		return KS_OK;
	}
	if (added)
		ld->rep->entries++;
	return st;
}

static void loader_init(struct hl_loader *ld, struct kf_hashlist *h,
			const char *source, struct kf_hashlist_load *rep,
			struct kf_hashlist_load *scratch)
{
	const char *base = NULL;

	ld->h = h;
	ld->rep = rep != NULL ? rep : scratch;
	memset(ld->rep, 0, sizeof *ld->rep);
	ld->defname_interned = 0;
	ld->defname_off = 0;
	ld->line_no = 0;
	if (source != NULL) {
		base = strrchr(source, '/');
		base = base != NULL ? base + 1 : source;
	}
	if (base == NULL || base[0] == '\0')
		base = "list";
	snprintf(ld->defname, sizeof ld->defname, "Hash.%s", base);
}

enum ks_status kf_hashlist_add_text(struct kf_hashlist *h, const char *text,
				    size_t len, const char *source,
				    struct kf_hashlist_load *rep,
				    struct ks_err *err)
{
	struct kf_hashlist_load scratch;
	struct hl_loader ld;
	size_t off = 0;
	enum ks_status st;

	if (h == NULL || (text == NULL && len > 0))
		return ks_err_set(err, KS_ERR_USAGE, "no hash list or text");
	loader_init(&ld, h, source, rep, &scratch);
	while (off < len) {
		const char *s = text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - off;

		st = take_line(&ld, s, n, 0, err);
		if (st != KS_OK) {
			ks_err_prefix(err, "%s: line %llu: ",
				      source != NULL ? source : "hash list",
				      (unsigned long long)ld.line_no);
			return st;
		}
		off += n + (nl != NULL);
	}
	return KS_OK;
}

enum ks_status kf_hashlist_add_file(struct kf_hashlist *h, const char *path,
				    struct kf_hashlist_load *rep,
				    struct ks_err *err)
{
	struct kf_hashlist_load scratch;
	struct hl_loader ld;
	char *chunk = NULL, *line = NULL;
	size_t have = 0;   /* bytes of the current line kept in `line` */
	int toolong = 0, fd;
	enum ks_status st = KS_OK;

	if (h == NULL || path == NULL)
		return ks_err_set(err, KS_ERR_USAGE, "no hash list or path");
	loader_init(&ld, h, path, rep, &scratch);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open hash list %s", path);
	chunk = malloc(HL_CHUNK);
	line = malloc(HL_LINE_MAX);
	if (chunk == NULL || line == NULL) {
		st = ks_err_set(err, KS_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, chunk, HL_CHUNK);
		size_t off = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			st = ks_err_sys(err, ks_status_from_errno(errno), errno,
					"cannot read hash list %s", path);
			goto out;
		}
		if (got == 0)
			break;
		while (off < (size_t)got) {
			const char *s = chunk + off;
			const char *nl = memchr(s, '\n', (size_t)got - off);
			size_t n = nl != NULL ? (size_t)(nl - s)
					      : (size_t)got - off;

			/* Keep at most HL_LINE_MAX bytes of a line; the
			 * rest only marks it too long. */
			if (!toolong && n > HL_LINE_MAX - have)
				toolong = 1;
			if (!toolong) {
				memcpy(line + have, s, n);
				have += n;
			}
			off += n + (nl != NULL);
			if (nl == NULL)
				break;
			st = take_line(&ld, line, have, toolong, err);
			have = 0;
			toolong = 0;
			if (st != KS_OK)
				goto fail_line;
		}
	}
	/* A last line without '\n'. */
	if (have > 0 || toolong) {
		st = take_line(&ld, line, have, toolong, err);
		if (st != KS_OK)
			goto fail_line;
	}
	goto out;
fail_line:
	ks_err_prefix(err, "%s: line %llu: ", path,
		      (unsigned long long)ld.line_no);
out:
	free(chunk);
	free(line);
	close(fd);
	return st;
}

/* ---- sealing and lookups ---------------------------------------------- */

static int rec_cmp(const void *a, const void *b, void *arg)
{
	const struct hl_table *t = arg;
	const struct hl_tail *ta = rec_tail(t, a), *tb = rec_tail(t, b);
	int c = memcmp(a, b, t->hlen);

	if (c != 0)
		return c;
	if (ta->size != tb->size)
		return ta->size < tb->size ? -1 : 1;
	if (ta->seq != tb->seq)
		return ta->seq < tb->seq ? -1 : 1;
	return 0;
}

static void table_seal(struct hl_table *t)
{
	size_t keep = 0;

	if (t->n < 2)
		return;
	qsort_r(t->recs, t->n, t->stride, rec_cmp, t);
	/* Repeats of (hash, size) are now adjacent, the first-added first. */
	for (size_t i = 0; i < t->n; i++) {
		const uint8_t *r = rec_at(t, i);

		if (keep > 0) {
			const uint8_t *k = rec_at(t, keep - 1);

			if (memcmp(k, r, t->hlen) == 0 &&
			    rec_tail(t, k)->size == rec_tail(t, r)->size)
				continue;
		}
		if (keep != i)
			memcpy(rec_at(t, keep), r, t->stride);
		keep++;
	}
	t->n = keep;
	/* Give back what the repeats held; failing to shrink is harmless. */
	if (keep < t->cap && keep > 0) {
		uint8_t *p = realloc(t->recs, keep * t->stride);

		if (p != NULL) {
			t->recs = p;
			t->cap = keep;
		}
	}
}

void kf_hashlist_seal(struct kf_hashlist *h)
{
	if (h == NULL)
		return;
	table_seal(&h->sha);
	table_seal(&h->md5);
	h->sealed = 1;
}

/* First record in [lo, n) not below (hash, size). */
static size_t lower_bound(const struct hl_table *t, size_t lo,
			  const uint8_t *hash, uint64_t size)
{
	size_t hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *r = rec_at(t, mid);
		int c = memcmp(r, hash, t->hlen);

		if (c < 0 || (c == 0 && rec_tail(t, r)->size < size))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The earliest-added record for hash whose size fits, or NULL. */
static const struct hl_tail *table_find(const struct hl_table *t,
					int sealed, const uint8_t *hash,
					uint64_t size)
{
	const struct hl_tail *best = NULL;
	size_t i;

	if (!sealed) {
		for (i = 0; i < t->n; i++) {
			const uint8_t *r = rec_at(t, i);
			const struct hl_tail *tl = rec_tail(t, r);

			if (memcmp(r, hash, t->hlen) != 0 ||
			    (tl->size != HL_ANY && tl->size != size))
				continue;
			if (best == NULL || tl->seq < best->seq)
				best = tl;
		}
		return best;
	}
	i = lower_bound(t, 0, hash, size);
	if (i == t->n || memcmp(rec_at(t, i), hash, t->hlen) != 0)
		return NULL;
	/* Same hash: an exact size here, then any "*" entry at the end of
	 * the group. */
	if (rec_tail(t, rec_at(t, i))->size == size)
		best = rec_tail(t, rec_at(t, i));
	if (size != HL_ANY) {
		i = lower_bound(t, i, hash, HL_ANY);
		if (i < t->n && memcmp(rec_at(t, i), hash, t->hlen) == 0) {
			const struct hl_tail *any = rec_tail(t, rec_at(t, i));

			if (best == NULL || any->seq < best->seq)
				best = any;
		}
	}
	return best;
}

const char *kf_hashlist_lookup(const struct kf_hashlist *h,
			       const uint8_t sha256[KS_SHA256_LEN],
			       const uint8_t *md5, uint64_t size,
			       const char **kind)
{
	const struct hl_tail *hit = NULL;
	const char *k = NULL;

	if (h != NULL && sha256 != NULL) {
		hit = table_find(&h->sha, h->sealed, sha256, size);
		k = "sha256";
	}
	if (hit == NULL && h != NULL && md5 != NULL) {
		hit = table_find(&h->md5, h->sealed, md5, size);
		k = "md5";
	}
	if (kind != NULL)
		*kind = hit != NULL ? k : NULL;
	return hit != NULL ? (const char *)h->pool.data + hit->name : NULL;
}
