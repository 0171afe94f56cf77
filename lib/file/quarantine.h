/*
 * The quarantine store: infected files moved out of the guests' reach and
 * kept, restorable byte for byte.
 *
 * A store is a directory (created 0700; an existing one that others can
 * read or write is tightened to 0700, or refused when that fails).  Each
 * entry is two files named by its id:
 *
 *   ID.data   the file's content, mode 0600
 *   ID.json   its metadata, one JSON object (see kf_quar_meta_parse)
 *
 * Moving a file in never loses it, whenever the process is killed: the
 * content is copied to "tmp-ID.data" and synced, the metadata written to
 * "tmp-ID.json" and synced, both renamed to their final names and the
 * directory synced, and only then is the original unlinked (after checking
 * that the path still names the same file: same st_dev and st_ino) and its
 * directory synced.  Each step is a fault point (core/fault.h):
 *   quarantine-after-copy, quarantine-after-meta, quarantine-after-rename,
 *   quarantine-after-unlink
 * and restore has: restore-after-copy, restore-after-link.
 * A move that is to remove the original first writes "ID.pending", and
 * removes it after the unlink; a restore writes "ID.restore" naming its
 * temporary file beside the target.  kf_quar_open recovers from an
 * interrupted operation: tmp-* files are removed (the original was not yet
 * touched); for an ID.pending entry whose original path still holds the
 * same file (device, inode and SHA-256 as recorded) the unlink is
 * completed; the temporary copy an interrupted restore left beside its
 * target is removed.  Entries without a marker are never touched, so a
 * copy kept on purpose (disinfect-backup, restore --keep) is never taken
 * for an unfinished move.  At every point, the file is in its place, in the
 * store, or both.
 *
 * Every open store holds a shared lock on the directory; recovery runs only
 * when no other process has the store open, so one process never removes
 * another's work in progress.  The store must belong to the effective
 * user.
 *
 * Ids are "YYYYMMDDTHHMMSSZ-" + 16 lowercase hex digits (random); every
 * function that takes an id from outside checks that form first, so an id
 * can never name a path outside the store.
 */
#ifndef KS_FILE_QUARANTINE_H
#define KS_FILE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/digest.h"
#include "core/status.h"
#include "core/timefmt.h"

#define KF_QUAR_ID_LEN 33   /* 16 + 1 + 16 characters */

struct kf_quar;

/* Everything known about an entry.  Strings are owned by the struct
 * (kf_quar_meta_free); `path` may hold any byte but NUL. */
struct kf_quar_meta {
	char id[KF_QUAR_ID_LEN + 1];
	char *path;              /* original path */
	uint64_t size;
	uint8_t sha256[KS_SHA256_LEN];
	uid_t uid;
	gid_t gid;
	mode_t mode;             /* permission bits and file type bits */
	struct timespec atime, mtime;
	uint64_t dev, ino;       /* identity of the original */
	char *detection;         /* what was found (rule or hash name) */
	char *vm;                /* the guest, or NULL */
	char *reason;            /* "quarantine" or "disinfect-backup" */
	struct ks_time when;     /* when it entered the store */
};

void kf_quar_meta_free(struct kf_quar_meta *m);

/* Serialize / parse the metadata file's JSON object (one line; the text
 * from kf_quar_meta_format is the caller's to free()).  The parser takes
 * untrusted text (a store may be tampered with) and checks every field;
 * on failure the struct is left zeroed. */
enum ks_status kf_quar_meta_format(const struct kf_quar_meta *m,
				   char **text, size_t *len);
enum ks_status kf_quar_meta_parse(const char *text, size_t len,
				  struct kf_quar_meta *m, struct ks_err *err);

struct kf_quar_recovery {
	uint64_t partial_removed;   /* tmp-* files removed */
	uint64_t unlinks_completed; /* interrupted moves finished */
};

/* Open (creating) the store at `dir` and recover interrupted moves. */
enum ks_status kf_quar_open(struct kf_quar **q, const char *dir,
			    struct kf_quar_recovery *rec, struct ks_err *err);
void kf_quar_close(struct kf_quar *q);

/* What the caller knows about the file being moved in. */
struct kf_quar_info {
	const char *detection;
	const char *vm;          /* may be NULL */
	const char *reason;      /* "quarantine" or "disinfect-backup" */
	const uint8_t *sha256;   /* the content's SHA-256 as scanned, or NULL:
				    the copy must match it, else the file
				    changed and nothing is moved */
};

/*
 * Copy the file open on `fd` (read with pread from offset 0; `st` is its
 * fstat) into the store, and when remove_original is set unlink `path`
 * afterwards.  id_out receives the new entry's id.  When the copy fails,
 * nothing is left in the store and the original is untouched.  When the
 * copy is made but `path` no longer names the file (it was replaced or
 * removed meanwhile), the entry stays in the store, id_out names it, and
 * the error says so.  `path` should be absolute: restore and recovery use
 * it as it is.
 */
enum ks_status kf_quar_put(struct kf_quar *q, int fd, const struct stat *st,
			   const char *path, const struct kf_quar_info *info,
			   int remove_original,
			   char id_out[KF_QUAR_ID_LEN + 1], struct ks_err *err);

/* 1 when `id` has the form of an id. */
int kf_quar_id_valid(const char *id);

/* Read one entry's metadata. */
enum ks_status kf_quar_get(struct kf_quar *q, const char *id,
			   struct kf_quar_meta *m, struct ks_err *err);

/* Call back for each entry, in id order; an entry whose metadata cannot be
 * read is passed with m == NULL and the reason in `why`.  A non-zero
 * return from the callback stops the listing. */
typedef int (*kf_quar_list_cb)(void *ctx, const char *id,
			       const struct kf_quar_meta *m, const char *why);
enum ks_status kf_quar_list(struct kf_quar *q, kf_quar_list_cb cb, void *ctx,
			    struct ks_err *err);

enum {
	KF_QUAR_OVERWRITE = 1,  /* replace an existing file at the target */
	KF_QUAR_KEEP = 2,       /* leave the entry in the store */
};

/*
 * Restore an entry to `to` (NULL: its original path): the content is
 * checked against the recorded SHA-256, written beside the target, given
 * the recorded mode, owner (when the process may) and times, synced, and
 * moved into place without replacing an existing file unless
 * KF_QUAR_OVERWRITE (an existing target is KS_ERR_USAGE, "target
 * exists").  Then the entry is deleted unless KF_QUAR_KEEP.
 * *owner_restored says whether chown succeeded (it needs privileges).
 */
enum ks_status kf_quar_restore(struct kf_quar *q, const char *id,
			       const char *to, int flags, int *owner_restored,
			       struct ks_err *err);

enum ks_status kf_quar_delete(struct kf_quar *q, const char *id,
			      struct ks_err *err);

#endif
