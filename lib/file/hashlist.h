/*
 * Hash lists: a second detection source beside the YARA rules, like
 * ClamAV's hash signatures.  A list maps a file's SHA-256 or MD5 to a
 * detection name.
 *
 * Accepted line formats (one entry per line; '#' starts a comment line;
 * blank lines are skipped; hex digits in either case):
 *
 *   HEX                       a bare SHA-256 (64 digits) or MD5 (32)
 *   HEX  NAME                 sha256sum/md5sum output ("*" before NAME is
 *                             allowed); NAME, the rest of the line, is the
 *                             detection name
 *   HEX:SIZE:NAME             ClamAV .hsb (SHA-256) / .hdb (MD5); SIZE is
 *                             a decimal file size or "*" for any size; an
 *                             entry whose SIZE differs from the file does
 *                             not match
 *
 * An entry without a name is named "Hash.<list file base name>".  A line
 * that fits none of the formats is counted as bad, with its line number
 * kept for the report (the first KF_HASHLIST_BAD_KEEP of them), and loading
 * goes on.  Duplicate hashes keep the first name.
 *
 * The list owns all its memory; lookups are read-only and safe from many
 * threads at once.
 */
#ifndef KS_FILE_HASHLIST_H
#define KS_FILE_HASHLIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/status.h"

#define KF_HASHLIST_BAD_KEEP 16

struct kf_hashlist;

struct kf_hashlist_load {
	uint64_t entries;       /* entries added from this file */
	uint64_t bad;           /* lines refused */
	uint64_t bad_lines[KF_HASHLIST_BAD_KEEP];  /* their numbers (first ones) */
};

struct kf_hashlist *kf_hashlist_new(void);
void kf_hashlist_free(struct kf_hashlist *h);

/* Add every entry of one file.  KS_OK even when some lines were bad (see
 * `rep`); a failure to read the file is an error with the message in err.
 * Lines longer than 4096 bytes are bad lines. */
enum ks_status kf_hashlist_add_file(struct kf_hashlist *h, const char *path,
				    struct kf_hashlist_load *rep,
				    struct ks_err *err);

/* Add from memory (same format; `source` names it in default names). */
enum ks_status kf_hashlist_add_text(struct kf_hashlist *h, const char *text,
				    size_t len, const char *source,
				    struct kf_hashlist_load *rep,
				    struct ks_err *err);

/* Make the list ready for lookups (sorts); call after the last add. */
void kf_hashlist_seal(struct kf_hashlist *h);

uint64_t kf_hashlist_count(const struct kf_hashlist *h);

/*
 * Look a file up by its sums and size.  Returns the detection name (owned
 * by the list) or NULL; *kind is set to "sha256" or "md5".  `md5` may be
 * NULL when the caller did not compute it (then MD5 entries are not
 * consulted); kf_hashlist_has_md5 says whether computing it is worth it.
 */
const char *kf_hashlist_lookup(const struct kf_hashlist *h,
			       const uint8_t sha256[KS_SHA256_LEN],
			       const uint8_t *md5, uint64_t size,
			       const char **kind);

int kf_hashlist_has_md5(const struct kf_hashlist *h);

#endif
