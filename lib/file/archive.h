/*
 * Reading the members of archives (zip, tar, gzip, bzip2, xz, 7z, rar, cab,
 * cpio, iso9660, ar, ...) through libarchive, with caps, so that a scanner
 * can look inside them.
 *
 * kf_archive_iterate reads an archive held in memory and calls back with
 * each regular member's name and content, fully extracted into a buffer the
 * iterator owns (valid during the callback only).  It does not recurse: a
 * member that is itself an archive is the caller's to open with another
 * call, at depth + 1, so the caller owns the depth cap.
 *
 * Caps (every one that is hit is reported in the result, never silently):
 *   max_members      members visited; the rest are not read;
 *   max_member_size  a member larger than this is not extracted (reported
 *                    through the callback with data NULL and `too_large`);
 *   max_total        bytes extracted over the whole call;
 *   max_ratio        total extracted / archive size; checked as data is
 *                    extracted, once at least 1 MiB was extracted, so a
 *                    small bomb stops early instead of filling memory.
 * An encrypted member is reported through the callback with `encrypted`
 * set and no data.  A corrupt or truncated archive ends the iteration with
 * what was read so far and `corrupt` set with libarchive's message.
 *
 * A single compressed stream that is not an archive (a .gz of one file)
 * is presented as one member whose name is the outer name with its
 * compression suffix removed (libarchive's "raw" format), or "(data)".
 */
#ifndef KS_FILE_ARCHIVE_H
#define KS_FILE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

struct kf_archive_limits {
	uint64_t max_members;      /* 0: no cap */
	uint64_t max_member_size;  /* 0: no cap */
	uint64_t max_total;        /* 0: no cap */
	uint64_t max_ratio;        /* 0: no cap */
};

struct kf_archive_member {
	const char *name;      /* path inside the archive (may be any bytes) */
	const uint8_t *data;   /* NULL when not extracted */
	size_t size;           /* extracted size (declared size if too large) */
	int too_large;         /* larger than max_member_size */
	int encrypted;
	uint64_t index;        /* 0-based position in the archive */
};

struct kf_archive_result {
	const char *format;    /* libarchive's format name of the archive */
	uint64_t members;      /* members visited */
	uint64_t total;        /* bytes extracted */
	/* Caps that were hit: */
	int capped_members, capped_total, capped_ratio;
	int corrupt;           /* libarchive reported an error */
	char message[256];     /* libarchive's message when corrupt */
};

/* Return 0 to go on, non-zero to stop (the call then returns KS_INTERRUPTED). */
typedef int (*kf_archive_cb)(void *ctx, const struct kf_archive_member *m);

/*
 * 1 when the MIME type names a format this module opens (used to avoid
 * asking libarchive about every file).
 */
int kf_archive_mime(const char *mime);

/*
 * Iterate over the members of data[0..len).  `outer_name` is the archive's
 * own name (for the raw single-stream case).  Returns KS_OK (also when a
 * cap was hit or the archive was corrupt after some members: see `res`),
 * KS_ERR_UNSUPPORTED when libarchive does not recognize the data,
 * KS_INTERRUPTED when the callback stopped, KS_ERR_NOMEM.
 */
enum ks_status kf_archive_iterate(const uint8_t *data, size_t len,
				  const char *outer_name,
				  const struct kf_archive_limits *lim,
				  kf_archive_cb cb, void *ctx,
				  struct kf_archive_result *res,
				  struct ks_err *err);

#endif
