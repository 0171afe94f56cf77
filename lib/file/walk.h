/*
 * Walking the trees kfscan is asked to scan.
 *
 * kf_walk visits a path (a file or a directory, recursively) and calls the
 * caller back for every entry that is a candidate for scanning, and for
 * every entry it skips or cannot read, so that nothing is dropped without
 * a record.  It never opens anything but directories (O_DIRECTORY |
 * O_NOFOLLOW unless links are followed), and never opens special files.
 *
 * Rules:
 *   - symbolic links are not followed unless follow_symlinks is set; a link
 *     met in the tree is reported as skipped ("symlink").  The root itself
 *     is followed when it is a link (the user named it).
 *   - FIFOs, sockets, character and block devices are reported as skipped
 *     ("fifo", "socket", "device") without being opened.
 *   - with one_filesystem, directories on another device than the root are
 *     reported as skipped ("other-filesystem") and not entered.
 *   - a directory already on the current path (same st_dev and st_ino,
 *     reachable through followed links or bind mounts) is a loop: reported
 *     as skipped ("loop") and not entered.
 *   - max_depth limits recursion (0: unlimited); deeper directories are
 *     reported as skipped ("depth").
 *   - exclude patterns (fnmatch(3) globs) apply to the entry's base name
 *     and, when the pattern holds a '/', to its whole path; exclude
 *     prefixes apply to the whole path at a component boundary ("/a/b"
 *     excludes "/a/b" and "/a/b/c", not "/a/bc").  An excluded directory is
 *     not entered.  Excluded entries are counted (kf_walk_stats) but not
 *     reported one by one: the user asked for them to be left out.
 *   - include patterns, when any are given, apply to files only (by base
 *     name, or whole path when the pattern has a '/'): a file that matches
 *     none is counted as excluded.
 * Directory entries are visited in name order (strcmp), so runs are
 * reproducible.  Paths are built as root + "/" + names and may hold any
 * byte but NUL.  Patterns are matched with fnmatch(3) and no flags, so '*'
 * also matches '/' and a leading '.'.  A root that is a directory is never
 * excluded (--exclude '.*' must not drop "."); a root that is a file is
 * judged like kf_walk_excluded.
 *
 * Resources: the walk is not recursive (one record per level on the heap),
 * keeps at most the root and the 32 deepest directories open (reopening a
 * closed level through ".." or by name, checking its identity), caps depth
 * at 4096 levels whatever max_depth says (reported as "depth") and the
 * names held in memory at 256 MiB (a directory over it is an ERROR entry
 * with ENOMEM, its names read so far still visited).
 */
#ifndef KS_FILE_WALK_H
#define KS_FILE_WALK_H

#include <stdint.h>
#include <sys/stat.h>

#include "core/status.h"

struct kf_walk_opts {
	const char *const *include;         /* NULL-terminated, or NULL */
	const char *const *exclude;         /* NULL-terminated, or NULL */
	const char *const *exclude_prefix;  /* NULL-terminated, or NULL */
	int follow_symlinks;
	int one_filesystem;
	unsigned max_depth;                 /* 0: unlimited */
};

enum kf_walk_kind {
	KF_WALK_FILE,   /* a regular file to scan (st is its lstat, or stat
			   when it was reached through a followed link) */
	KF_WALK_SKIP,   /* not scanned, for `reason` */
	KF_WALK_ERROR,  /* could not be read: `err` holds errno */
};

struct kf_walk_entry {
	enum kf_walk_kind kind;
	const char *path;     /* valid during the callback only */
	struct stat st;       /* valid for FILE and SKIP */
	const char *reason;   /* SKIP: "symlink", "fifo", "socket", "device",
				 "other-filesystem", "loop", "depth" */
	int err;              /* ERROR: the errno */
	unsigned depth;       /* 0 for the root */
};

struct kf_walk_stats {
	uint64_t files, skipped, errors, excluded;
	uint64_t dirs;    /* directories entered, the root included */
};

/* Return 0 to go on, non-zero to stop the walk (kf_walk then returns
 * KS_INTERRUPTED). */
typedef int (*kf_walk_cb)(void *ctx, const struct kf_walk_entry *e);

/*
 * Walk `root`.  Errors on entries go to the callback; the return value is
 * KS_OK, KS_INTERRUPTED when the callback stopped the walk, or a failure
 * of the root itself (then also reported to the callback as an ERROR
 * entry).  `stats` may be NULL; when given it is added to.
 */
enum ks_status kf_walk(const char *root, const struct kf_walk_opts *opts,
		       kf_walk_cb cb, void *ctx, struct kf_walk_stats *stats,
		       struct ks_err *err);

/* The matching rules above, for callers that get paths from elsewhere
 * (a file list): 1 when `path` (a file) is excluded by opts. */
int kf_walk_excluded(const struct kf_walk_opts *opts, const char *path);

#endif
