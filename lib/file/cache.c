/*
 * The scan cache in LMDB (contract in cache.h).
 *
 * Layout: two named databases in one environment file (MDB_NOSUBDIR; the
 * lock file is path + "-lock").
 *
 *   meta   "fingerprint" -> format byte, then the 32-byte rules fingerprint
 *   files  key (16 bytes): st_dev, st_ino, each u64 big-endian
 *          value (KC_FIXED + mime + desc bytes, little-endian):
 *            u8  format (KC_FORMAT)
 *            u64 size
 *            i64 mtime seconds   u32 mtime nanoseconds
 *            i64 ctime seconds   u32 ctime nanoseconds
 *            u8[32] sha256
 *            u8  mime length (< KF_CACHE_MIME_MAX)
 *            u16 desc length (< KF_CACHE_DESC_MAX)
 *            mime bytes, desc bytes (no NULs)
 *
 * The file is input like any other: every value read back is checked for
 * its format byte and exact length through the bounded reader, and a
 * value that fails is a miss.  LMDB itself trusts its page structure: a
 * file whose meta pages are damaged is refused at open, but damaged
 * B-tree pages can crash the process inside LMDB, and nothing short of
 * reading every page could tell.  What the cache holds also decides which
 * files are skipped, so a file that anyone but its owner could have
 * written is refused at open: the owner must be the caller or root, and
 * the mode must not let the group or others write.
 *
 * The key is big-endian so that LMDB's byte order is numeric order: the
 * files of one directory tend to have neighbouring inode numbers, so a
 * batch from a tree walk lands on few B-tree pages.  (With little-endian
 * keys a batch of 1024 sequential inodes touches pages all over the tree:
 * 200000 puts took 6 times as long and made a file twice the size.)
 *
 * Times are kept as seconds and nanoseconds rather than one nanosecond
 * count, so that no time can overflow and no two times can collide.
 *
 * Durability: MDB_NOMETASYNC, not MDB_NOSYNC.  With NOSYNC, LMDB keeps the
 * file consistent after a system crash only on file systems that preserve
 * write order; NOMETASYNC keeps it consistent everywhere at the cost of one
 * fdatasync per committed batch (one per KC_BATCH files), and a crash undoes
 * at most the last batch, which is what cache.h promises.  Flush and close
 * also call mdb_env_sync(env, 1) to write the last meta page.
 *
 * Concurrency: every get has its own read-only transaction (MDB_NOTLS, so
 * threads share the environment freely) and takes no lock of ours.  Puts
 * fill a queue under `lock`; the put that fills it, flush and close commit
 * the whole queue in one write transaction, still under `lock`.  Forget
 * drops the file from the queue and deletes it at once, so that a get
 * after it never sees the entry.  Each get and each commit re-reads the
 * stored fingerprint: if another process reopened the cache with other
 * rules, gets miss and our entries are no longer written.
 *
 * Cap policy: when the map is full (max_bytes) or a commit fails, the
 * batch is dropped and storing stops for the life of this handle; puts
 * still return KS_OK (a cache that cannot grow costs rescans, never
 * verdicts), and the next flush or close returns KS_ERR_LIMIT (or the
 * commit's error) with a message that says how many entries were not
 * stored.  Gets go on working.
 */
#include "file/cache.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/breader.h"

#define KC_FORMAT 1
#define KC_KEY_LEN 16
#define KC_FIXED (1 + 8 + 8 + 4 + 8 + 4 + KS_SHA256_LEN + 1 + 2)
#define KC_VAL_MAX (KC_FIXED + (KF_CACHE_MIME_MAX - 1) + \
		    (KF_CACHE_DESC_MAX - 1))
#define KC_BATCH 1024
#define KC_DEFAULT_MAX ((uint64_t)1 << 30)
#define KC_META_FP "fingerprint"
#define KC_FP_LEN (1 + KS_SHA256_LEN)

struct kc_op {
	uint8_t key[KC_KEY_LEN];
	uint16_t vlen;
	uint8_t val[KC_VAL_MAX];
};

struct kf_cache {
	MDB_env *env;
	MDB_dbi meta, files;
	uint8_t fp[KC_FP_LEN];        /* format byte + fingerprint */
	char *path;

	pthread_mutex_t lock;         /* everything from here to the atomics */
	struct kc_op *queue;          /* KC_BATCH slots */
	size_t queued;
	int stopped;                  /* storing has stopped; see stop_status */
	enum ks_status stop_status;   /* KS_OK: stopped without a failure */
	char stop_msg[200];
	uint64_t stores;
	uint64_t dropped;             /* entries not stored since stopping */
	uint64_t dropped_reported;
	int reset;

	atomic_uint_fast64_t hits, misses;
};

/* ---- encoding --------------------------------------------------------- */

static void put_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64be(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void make_key(const struct stat *st, uint8_t key[KC_KEY_LEN])
{
	put_u64be(key, (uint64_t)st->st_dev);
	put_u64be(key + 8, (uint64_t)st->st_ino);
}

/* What identifies a version of a file besides its key. */
struct kc_stamp {
	uint64_t size;
	int64_t msec, csec;
	uint32_t mnsec, cnsec;
};

static void stamp_of(const struct stat *st, struct kc_stamp *s)
{
	s->size = (uint64_t)st->st_size;
	s->msec = (int64_t)st->st_mtim.tv_sec;
	s->mnsec = (uint32_t)st->st_mtim.tv_nsec;
	s->csec = (int64_t)st->st_ctim.tv_sec;
	s->cnsec = (uint32_t)st->st_ctim.tv_nsec;
}

static size_t encode(const struct stat *st, const struct kf_cache_entry *e,
		     uint8_t *v)
{
	struct kc_stamp s;
	size_t ml = strnlen(e->mime, KF_CACHE_MIME_MAX - 1);
	size_t dl = strnlen(e->desc, KF_CACHE_DESC_MAX - 1);
	uint8_t *p = v;

	stamp_of(st, &s);
	*p++ = KC_FORMAT;
	put_u64le(p, s.size);
	p += 8;
	put_u64le(p, (uint64_t)s.msec);
	p += 8;
	put_u32le(p, s.mnsec);
	p += 4;
	put_u64le(p, (uint64_t)s.csec);
	p += 8;
	put_u32le(p, s.cnsec);
	p += 4;
	memcpy(p, e->sha256, KS_SHA256_LEN);
	p += KS_SHA256_LEN;
	*p++ = (uint8_t)ml;
	put_u16le(p, (uint16_t)dl);
	p += 2;
	memcpy(p, e->mime, ml);
	p += ml;
	memcpy(p, e->desc, dl);
	p += dl;
	return (size_t)(p - v);
}

/* 0 and *s, *e filled when the value is well-formed, else -1. */
static int decode(const void *val, size_t len, struct kc_stamp *s,
		  struct kf_cache_entry *e)
{
	struct ks_br r;
	size_t ml, dl;

	if (len < KC_FIXED || len > KC_VAL_MAX)
		return -1;
	ks_br_init(&r, val, len);
	if (ks_br_u8(&r) != KC_FORMAT)
		return -1;
	s->size = ks_br_u64le(&r);
	s->msec = (int64_t)ks_br_u64le(&r);
	s->mnsec = ks_br_u32le(&r);
	s->csec = (int64_t)ks_br_u64le(&r);
	s->cnsec = ks_br_u32le(&r);
	ks_br_copy(&r, e->sha256, KS_SHA256_LEN);
	ml = ks_br_u8(&r);
	dl = ks_br_u16le(&r);
	if (ks_br_fault(&r) != KS_BR_OK || ml >= KF_CACHE_MIME_MAX ||
	    dl >= KF_CACHE_DESC_MAX || ks_br_left(&r) != ml + dl)
		return -1;
	ks_br_copy(&r, e->mime, ml);
	ks_br_copy(&r, e->desc, dl);
	if (ks_br_fault(&r) != KS_BR_OK || memchr(e->mime, '\0', ml) != NULL ||
	    memchr(e->desc, '\0', dl) != NULL)
		return -1;
	e->mime[ml] = '\0';
	e->desc[dl] = '\0';
	return 0;
}

/* ---- errors ----------------------------------------------------------- */

static enum ks_status status_of(int rc)
{
	if (rc > 0)
		return ks_status_from_errno(rc);
	switch (rc) {
	case MDB_INVALID:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
		return KS_ERR_INVALID;
	case MDB_VERSION_MISMATCH:
		return KS_ERR_UNSUPPORTED;
	case MDB_MAP_FULL:
	case MDB_READERS_FULL:
	case MDB_DBS_FULL:
	case MDB_TXN_FULL:
		return KS_ERR_LIMIT;
	default:
		return KS_ERR_IO;
	}
}

static const char *explain(int rc)
{
	switch (rc) {
	case MDB_INVALID:
		return "not a cache file, or its header is corrupt";
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return "the cache file is corrupt";
	case MDB_VERSION_MISMATCH:
		return "the cache was written by another LMDB version";
	case MDB_MAP_FULL:
		return "the cache is full";
	default:
		return mdb_strerror(rc);
	}
}

static enum ks_status mdb_fail(struct ks_err *err, int rc, const char *what,
			       const char *path)
{
	if (rc > 0)
		return ks_err_sys(err, status_of(rc), rc, "%s %s", what, path);
	return ks_err_set(err, status_of(rc), "%s %s: %s", what, path,
			  explain(rc));
}

/* ---- opening ---------------------------------------------------------- */

/* 1 when the transaction sees our fingerprint in meta. */
static int fp_matches(const struct kf_cache *c, MDB_txn *txn)
{
	MDB_val k = { sizeof KC_META_FP - 1, (void *)KC_META_FP }, v;

	if (mdb_get(txn, c->meta, &k, &v) != 0)
		return 0;
	return v.mv_size == KC_FP_LEN && memcmp(v.mv_data, c->fp,
						KC_FP_LEN) == 0;
}

/* Open the databases; empty `files` when the fingerprint is not ours. */
static int setup(struct kf_cache *c)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_val k = { sizeof KC_META_FP - 1, (void *)KC_META_FP }, v;
	int rc, had;

	rc = mdb_txn_begin(c->env, NULL, 0, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &c->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "files", MDB_CREATE, &c->files);
	if (rc != 0)
		goto fail;
	if (fp_matches(c, txn))
		return mdb_txn_commit(txn);
	rc = mdb_get(txn, c->meta, &k, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	had = rc == 0;
	rc = mdb_stat(txn, c->files, &ms);
	if (rc != 0)
		goto fail;
	c->reset = had || ms.ms_entries > 0;
	rc = mdb_drop(txn, c->files, 0);
	if (rc != 0)
		goto fail;
	v.mv_size = KC_FP_LEN;
	v.mv_data = c->fp;
	rc = mdb_put(txn, c->meta, &k, &v, 0);
	if (rc != 0)
		goto fail;
	return mdb_txn_commit(txn);
fail:
	mdb_txn_abort(txn);
	return rc;
}

/* The open file is the caller's or root's and nobody else may write it. */
static int trusted(MDB_env *env, struct ks_err *err, const char *path)
{
	struct stat st;
	mdb_filehandle_t fd;

	if (mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &st) != 0) {
		ks_err_set(err, KS_ERR_PERM, "cannot check the owner of cache %s",
			   path);
		return 0;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ks_err_set(err, KS_ERR_PERM,
			   "refusing cache %s: owned by uid %lu, not by this "
			   "user or root", path, (unsigned long)st.st_uid);
		return 0;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ks_err_set(err, KS_ERR_PERM,
			   "refusing cache %s: writable by %s (mode %04o); its "
			   "entries decide which files are not scanned", path,
			   st.st_mode & S_IWOTH ? "everyone" : "its group",
			   (unsigned)(st.st_mode & 07777));
		return 0;
	}
	return 1;
}

static void cache_free(struct kf_cache *c)
{
	if (c->env != NULL)
		mdb_env_close(c->env);
	pthread_mutex_destroy(&c->lock);
	free(c->queue);
	free(c->path);
	free(c);
}

enum ks_status kf_cache_open(struct kf_cache **cp,
			     const char *path,
			     const uint8_t fingerprint[KS_SHA256_LEN],
			     uint64_t max_bytes, struct ks_err *err)
{
	struct kf_cache *c;
	struct stat st;
	uint64_t map;
	int rc;

	if (cp == NULL)
		return ks_err_set(err, KS_ERR_USAGE, "no cache handle");
	*cp = NULL;
	if (path == NULL || path[0] == '\0' || fingerprint == NULL)
		return ks_err_set(err, KS_ERR_USAGE,
				  "cache: no path or fingerprint");
	/* LMDB would open a directory or a FIFO and fail late or block;
	 * refuse anything but a regular file before any lock file exists. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return ks_err_set(err, S_ISDIR(st.st_mode) ? KS_ERR_USAGE
							   : KS_ERR_INVALID,
				  "cannot open cache %s: %s", path,
				  S_ISDIR(st.st_mode) ? "is a directory"
						      : "not a regular file");
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "cache: out of memory");
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->hits, 0);
	atomic_init(&c->misses, 0);
	c->fp[0] = KC_FORMAT;
	memcpy(c->fp + 1, fingerprint, KS_SHA256_LEN);
	c->queue = malloc(KC_BATCH * sizeof *c->queue);
	c->path = strdup(path);
	if (c->queue == NULL || c->path == NULL) {
		cache_free(c);
		return ks_err_set(err, KS_ERR_NOMEM, "cache: out of memory");
	}
	map = max_bytes != 0 ? max_bytes : KC_DEFAULT_MAX;
	if (map > SIZE_MAX)
		map = SIZE_MAX;
	rc = mdb_env_create(&c->env);
	if (rc != 0) {
		c->env = NULL;
		goto fail;
	}
	rc = mdb_env_set_maxdbs(c->env, 2);
	if (rc == 0)
		rc = mdb_env_set_mapsize(c->env, (size_t)map);
	if (rc == 0)
		rc = mdb_env_open(c->env, path,
				  MDB_NOSUBDIR | MDB_NOMETASYNC | MDB_NOTLS,
				  0600);
	if (rc == 0 && !trusted(c->env, err, path)) {
		cache_free(c);
		return KS_ERR_PERM;
	}
	if (rc == 0)
		rc = setup(c);
	if (rc == 0)
		rc = mdb_env_sync(c->env, 1);
	if (rc != 0)
		goto fail;
	*cp = c;
	return KS_OK;
fail:
	cache_free(c);
	return mdb_fail(err, rc, "cannot open cache", path);
}

/* ---- writing ---------------------------------------------------------- */

/* Stop storing (lock held). */
static void stop_storing(struct kf_cache *c, int rc, const char *what)
{
	if (c->stopped)
		return;
	c->stopped = 1;
	if (rc == 0) {
		c->stop_status = KS_OK;
		snprintf(c->stop_msg, sizeof c->stop_msg, "%s", what);
		return;
	}
	c->stop_status = status_of(rc);
	snprintf(c->stop_msg, sizeof c->stop_msg, "%s: %s", what,
		 explain(rc));
}

/* Commit the queue in one transaction (lock held). */
static void commit_locked(struct kf_cache *c)
{
	size_t n = c->queued;
	MDB_txn *txn;
	int rc;

	c->queued = 0;
	if (n == 0)
		return;
	if (c->stopped) {
		c->dropped += n;
		return;
	}
	rc = mdb_txn_begin(c->env, NULL, 0, &txn);
	if (rc != 0) {
		stop_storing(c, rc, "cannot start a cache write");
		c->dropped += n;
		return;
	}
	if (!fp_matches(c, txn)) {
		mdb_txn_abort(txn);
		stop_storing(c, 0, "the cache was reopened with other rules");
		c->dropped += n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		MDB_val k = { KC_KEY_LEN, c->queue[i].key };
		MDB_val v = { c->queue[i].vlen, c->queue[i].val };

		rc = mdb_put(txn, c->files, &k, &v, 0);
		if (rc != 0) {
			mdb_txn_abort(txn);
			stop_storing(c, rc, "cannot store in the cache");
			c->dropped += n;
			return;
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		stop_storing(c, rc, "cannot commit to the cache");
		c->dropped += n;
		return;
	}
	c->stores += n;
}

enum ks_status kf_cache_put(struct kf_cache *c, const struct stat *st,
			    const struct kf_cache_entry *e)
{
	struct kc_op *op;

	if (c == NULL || st == NULL || e == NULL)
		return KS_ERR_USAGE;
	pthread_mutex_lock(&c->lock);
	if (c->stopped) {
		c->dropped++;
		pthread_mutex_unlock(&c->lock);
		return KS_OK;
	}
	op = &c->queue[c->queued++];
	make_key(st, op->key);
	op->vlen = (uint16_t)encode(st, e, op->val);
	if (c->queued == KC_BATCH)
		commit_locked(c);
	pthread_mutex_unlock(&c->lock);
	return KS_OK;
}

enum ks_status kf_cache_forget(struct kf_cache *c, const struct stat *st)
{
	uint8_t key[KC_KEY_LEN];
	MDB_val k = { KC_KEY_LEN, key };
	MDB_txn *txn;
	size_t keep = 0;
	int rc;

	if (c == NULL || st == NULL)
		return KS_ERR_USAGE;
	make_key(st, key);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->queued; i++) {
		if (memcmp(c->queue[i].key, key, KC_KEY_LEN) == 0)
			continue;
		if (keep != i)
			c->queue[keep] = c->queue[i];
		keep++;
	}
	c->queued = keep;
	/* Even when storing has stopped, a stale entry must go. */
	rc = mdb_txn_begin(c->env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_del(txn, c->files, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	pthread_mutex_unlock(&c->lock);
	return rc == 0 ? KS_OK : status_of(rc);
}

enum ks_status kf_cache_flush(struct kf_cache *c, struct ks_err *err)
{
	enum ks_status st = KS_OK;
	int rc;

	if (c == NULL)
		return KS_OK;
	pthread_mutex_lock(&c->lock);
	commit_locked(c);
	if (c->stopped && c->stop_status != KS_OK &&
	    c->dropped > c->dropped_reported) {
		st = ks_err_set(err, c->stop_status,
				"cache %s: %s; %llu entries not stored",
				c->path, c->stop_msg,
				(unsigned long long)(c->dropped -
						     c->dropped_reported));
		c->dropped_reported = c->dropped;
	}
	rc = mdb_env_sync(c->env, 1);
	pthread_mutex_unlock(&c->lock);
	if (rc != 0 && st == KS_OK)
		st = mdb_fail(err, rc, "cannot sync cache", c->path);
	return st;
}

enum ks_status kf_cache_close(struct kf_cache *c, struct ks_err *err)
{
	enum ks_status st;

	if (c == NULL)
		return KS_OK;
	st = kf_cache_flush(c, err);
	cache_free(c);
	return st;
}

/* ---- reading ---------------------------------------------------------- */

int kf_cache_get(struct kf_cache *c, const struct stat *st,
		 struct kf_cache_entry *out)
{
	uint8_t key[KC_KEY_LEN];
	MDB_val k = { KC_KEY_LEN, key }, v;
	MDB_txn *txn;
	struct kc_stamp want, got;
	struct kf_cache_entry e;
	int hit = 0;

	if (c == NULL || st == NULL)
		return 0;
	memset(&e, 0, sizeof e);
	make_key(st, key);
	stamp_of(st, &want);
	if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) == 0) {
		if (fp_matches(c, txn) &&
		    mdb_get(txn, c->files, &k, &v) == 0 &&
		    decode(v.mv_data, v.mv_size, &got, &e) == 0 &&
		    got.size == want.size && got.msec == want.msec &&
		    got.mnsec == want.mnsec && got.csec == want.csec &&
		    got.cnsec == want.cnsec)
			hit = 1;
		mdb_txn_abort(txn);
	}
	if (hit) {
		atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
		if (out != NULL)
			*out = e;
	} else {
		atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
	}
	return hit;
}

void kf_cache_get_stats(struct kf_cache *c, struct kf_cache_stats *s)
{
	MDB_txn *txn;
	MDB_stat ms;

	if (s == NULL)
		return;
	memset(s, 0, sizeof *s);
	if (c == NULL)
		return;
	s->hits = atomic_load_explicit(&c->hits, memory_order_relaxed);
	s->misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
	pthread_mutex_lock(&c->lock);
	s->stores = c->stores;
	s->reset = c->reset;
	pthread_mutex_unlock(&c->lock);
	if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) == 0) {
		if (mdb_stat(txn, c->files, &ms) == 0)
			s->entries = ms.ms_entries;
		mdb_txn_abort(txn);
	}
}
