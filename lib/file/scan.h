/*
 * The scan of one file: open it safely, read it once, and look at those
 * bytes with everything kfscan has (libmagic, SHA-256 and MD5, YARA rules,
 * hash lists, archive members).
 *
 * An engine holds what is shared and read-only during scans (rules, hash
 * lists, settings).  A worker holds what one thread needs (a YARA scanner
 * per rule set, two libmagic handles, a digest context, the file buffer):
 * one worker per thread, never shared.  A result belongs to the caller and
 * owns, through its arena, every string in it; it also keeps the file's
 * descriptor open (r->fd) and points at the bytes scanned (r->data, in the
 * worker's buffer), so that an action (quarantine, disinfection) works on
 * the very file and bytes that were scanned, until kf_result_reset or the
 * worker's next scan.
 *
 * Opening: the path is checked with lstat first and only a regular file is
 * opened (O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY), then fstat'ed again and
 * compared (same device and inode), so FIFOs, sockets and devices are never
 * opened and a file swapped in between is noticed.  A file whose size,
 * mtime or ctime changed while it was read, or that gave fewer bytes than
 * its size, is an error result, not a crash (the bytes are read with
 * pread, never mapped, so a truncation cannot raise SIGBUS).
 */
#ifndef KS_FILE_SCAN_H
#define KS_FILE_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/digest.h"
#include "core/status.h"
#include "file/archive.h"
#include "file/cache.h"
#include "file/hashlist.h"
#include "file/rules.h"

struct kf_engine_opts {
	uint64_t max_size;           /* larger files are skipped ("too-large") */
	int timeout_s;               /* per file, for the rules */
	int archives;                /* look inside archives */
	unsigned archive_depth;      /* nesting levels opened */
	struct kf_archive_limits alim;
	uint64_t max_matches;        /* match records kept per file */
	int describe_all;            /* libmagic's description for every
					file, not only for detections */
	int no_types;                /* no libmagic at all: no MIME type,
					an empty filetype for the rules */
};

struct kf_engine {
	const struct kf_rules *rules;
	const struct kf_hashlist *hashes;   /* may be NULL */
	struct kf_engine_opts o;
};

/* Sensible defaults (documented in kfscan(1)). */
void kf_engine_defaults(struct kf_engine_opts *o);

enum kf_meta_type { KF_META_STRING, KF_META_INT, KF_META_BOOL };

struct kf_meta {
	const char *key;
	enum kf_meta_type type;
	const char *s;
	int64_t i;
};

struct kf_hit {              /* one match of a YARA string */
	const char *id;          /* "$a" */
	uint64_t offset;
	uint32_t length;
};

enum kf_source { KF_SRC_YARA, KF_SRC_HASH };

struct kf_match {
	enum kf_source source;
	const char *rule;
	const char *ns;              /* YARA namespace, or the hash kind */
	const char *set;             /* rule set name, or the hash list */
	const char **tags;
	size_t ntags;
	struct kf_meta *meta;
	size_t nmeta;
	struct kf_hit *hits;
	size_t nhits;                /* kept */
	uint64_t hits_total;         /* found (kept or not) */
	const char *member;          /* NULL for the file itself, else
					"outer!member[!inner...]" */
};

enum kf_verdict { KF_CLEAN, KF_INFECTED, KF_SKIPPED, KF_ERROR };

const char *kf_verdict_name(enum kf_verdict v);

struct kf_archive_info {
	const char *format;          /* of the outermost archive */
	uint64_t archives;           /* archives opened (nested ones too) */
	uint64_t members;            /* members scanned */
	uint64_t bytes;              /* bytes extracted */
	uint64_t encrypted;          /* members that could not be read */
	uint64_t corrupt;            /* archives that ended in an error */
	const char *corrupt_msg;     /* the first such error */
	int capped_depth, capped_members, capped_total, capped_ratio,
	    capped_size;
};

struct kf_result {
	struct ks_arena arena;
	enum kf_verdict verdict;
	const char *path;
	struct stat st;
	int have_st;
	uint8_t sha256[KS_SHA256_LEN];
	uint8_t md5[KS_MD5_LEN];
	int have_sha256, have_md5;
	const char *mime, *desc, *owner;
	struct kf_match *matches;
	size_t nmatches, capmatches;
	uint64_t matches_dropped;    /* over max_matches */
	struct kf_archive_info archive;
	const char *skip_reason;     /* SKIPPED: "too-large", "fifo", ... */
	enum ks_status err_kind;     /* ERROR (or a warning on other verdicts) */
	const char *err_msg;
	int cached;
	int fd;                      /* the scanned file, or -1 */
	const uint8_t *data;         /* its bytes (worker-owned) */
	size_t len;
	uint64_t elapsed_us;
};

void kf_result_init(struct kf_result *r);
void kf_result_reset(struct kf_result *r);   /* closes fd, frees strings */
void kf_result_free(struct kf_result *r);

struct kf_worker;

struct kf_worker *kf_worker_new(const struct kf_engine *e, struct ks_err *err);
void kf_worker_free(struct kf_worker *w);

enum {
	KF_SCAN_FOLLOW = 1,   /* follow a symbolic link at `path` itself */
};

/*
 * Scan the file at `path`.  With a cache, an unchanged file that was clean
 * gives a result from the cache (cached = 1, fd = -1, no data) and a clean
 * scan is stored.  The result's verdict says what happened; the function
 * itself never fails.
 */
void kf_scan_path(struct kf_worker *w, const char *path, int flags,
		  struct kf_cache *cache, struct kf_result *r);

/*
 * Scan the file `rel` beneath the directory `rootfd` (a guest's disk):
 * resolved with ks_open_beneath, so a ".." or a symbolic link leading out
 * of the tree is an error result, never a scan of a host file.  `display`
 * is the path written in the record (the root joined with `rel`).
 */
void kf_scan_beneath(struct kf_worker *w, int rootfd, const char *rel,
		     const char *display, struct kf_cache *cache,
		     struct kf_result *r);

/* Scan bytes (a cured copy) as if they were the file `name`. */
void kf_scan_buffer(struct kf_worker *w, const uint8_t *data, size_t len,
		    const char *name, struct kf_result *r);

/* A match's metadata value by key, or NULL. */
const struct kf_meta *kf_match_meta(const struct kf_match *m, const char *key);

#endif
