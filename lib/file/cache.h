/*
 * The scan cache: files that were scanned clean and have not changed since
 * are not scanned again (cron rescans of the same tree).
 *
 * Kept on disk in an LMDB environment (one file, memory-mapped, safe for
 * several processes at once).  The key is the file's identity (st_dev,
 * st_ino); an entry holds the size, the modification and status-change
 * times in nanoseconds, and what the scan found out (SHA-256, MIME type and
 * description), so that a cache hit still gives a complete record.  An
 * entry matches only when size, mtime and ctime are all unchanged (ctime
 * cannot be set back by a user, so a file rewritten with its old mtime is
 * still rescanned).
 *
 * The whole cache belongs to one rules fingerprint (a SHA-256 over
 * everything that can change a verdict: rules, hash lists, settings); it
 * is stored in the environment, and opening with another fingerprint
 * empties the cache.
 *
 * Writes are buffered and committed in batches (kf_cache_put queues;
 * kf_cache_flush commits); a crash loses at most the last batch, never the
 * consistency of the file.  A cache that cannot be opened (corrupt, no
 * space, read-only) is reported and the caller scans without it.
 *
 * Because a cache entry makes a file skip the scan, the cache file must
 * belong to the caller (or root) and must not be writable by others:
 * kf_cache_open refuses it otherwise (KS_ERR_PERM).  Another process that
 * reopens the cache with another fingerprint makes this one's gets miss
 * and its puts be dropped.
 *
 * Threads: kf_cache_get and kf_cache_put may be called from several
 * threads at once; the cache serializes what needs it.  One process must
 * not open the same cache twice (an LMDB rule).
 *
 * When the file reaches max_bytes, puts are no longer stored; the next
 * flush or close returns KS_ERR_LIMIT once, saying how many were dropped,
 * which callers treat as a notice, not a failure of the scan.
 */
#ifndef KS_FILE_CACHE_H
#define KS_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/digest.h"
#include "core/status.h"

#define KF_CACHE_MIME_MAX 128
#define KF_CACHE_DESC_MAX 256

struct kf_cache;

struct kf_cache_entry {
	uint8_t sha256[KS_SHA256_LEN];
	char mime[KF_CACHE_MIME_MAX];   /* NUL-terminated, truncated to fit */
	char desc[KF_CACHE_DESC_MAX];   /* NUL-terminated, truncated to fit */
};

struct kf_cache_stats {
	uint64_t hits, misses, stores, entries;
	int reset;   /* the fingerprint changed at open: the cache was emptied */
};

/*
 * Open (creating) the cache at `path` (a file; its lock file is
 * path + "-lock").  max_bytes caps the file size (0: 1 GiB); when the cap
 * is reached new entries are not stored and stats say so.
 */
enum ks_status kf_cache_open(struct kf_cache **c, const char *path,
			     const uint8_t fingerprint[KS_SHA256_LEN],
			     uint64_t max_bytes, struct ks_err *err);

/* Commit pending entries and close; NULL is accepted. */
enum ks_status kf_cache_close(struct kf_cache *c, struct ks_err *err);

/* 1 and *out filled when st's file is cached unchanged, else 0. */
int kf_cache_get(struct kf_cache *c, const struct stat *st,
		 struct kf_cache_entry *out);

/* Queue an entry for st's file (committed by flush, close, or when the
 * queue is full). */
enum ks_status kf_cache_put(struct kf_cache *c, const struct stat *st,
			    const struct kf_cache_entry *e);

/* Remove st's file from the cache (it was found infected or changed). */
enum ks_status kf_cache_forget(struct kf_cache *c, const struct stat *st);

enum ks_status kf_cache_flush(struct kf_cache *c, struct ks_err *err);

void kf_cache_get_stats(struct kf_cache *c, struct kf_cache_stats *s);

#endif
