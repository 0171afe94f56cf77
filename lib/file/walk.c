/*
 * The file-tree walker behind kfscan; walk.h states the rules.
 *
 * The walk is iterative rather than recursive: one `struct level` per
 * directory on the current path holds that directory's sorted listing and
 * the position reached in it, so a tree thousands of levels deep costs heap
 * memory, not C stack, and the callback can stop the walk at any point with
 * a plain return.
 *
 * A directory's names are read in full and the stream closed before any of
 * them is visited: sorting needs the whole listing anyway, and it means a
 * level keeps one descriptor (for the *at calls) instead of a DIR and its
 * buffer.  Even one descriptor per level would let a deep tree exhaust the
 * process's descriptors, which kfscan's workers need for the files they
 * scan, so only the root and the WALK_OPEN_DIRS deepest levels stay open.
 * Going back up into a level whose descriptor was closed opens ".." of the
 * level being left and keeps it if its (st_dev, st_ino) is the one recorded
 * on the way down: the same directory that a descriptor kept open would
 * have gone on with, at the cost of one open per level.  When ".." leads
 * elsewhere (the level was reached through a followed link, or was moved
 * to another parent) the level is reopened name by name from the nearest
 * open ancestor, each step checked the same way; if the names no longer
 * lead to the directories that were entered, the levels that cannot be
 * found again are reported as errors and left, never walked in a place
 * they were not found in.
 *
 * Patterns go to fnmatch(3) with no flags, the plain reading of walk.h: a
 * '*' also matches '/' and a leading '.', as in tar's exclusion patterns,
 * so one whole-path pattern can name a directory at any depth.
 */
#include "file/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

/* The deepest directory level entered whatever max_depth says: deeper
 * trees are almost always link farms or attacks on the scanner, and the
 * cap keeps the memory for the levels and the path bounded. */
#define WALK_DEPTH_CAP 4096u

/* Directory descriptors kept open below the root (see the top comment). */
#define WALK_OPEN_DIRS 32u

/* Bytes that the listings of all directories on the current path may hold
 * together (names, their NULs and the sorted index).  A directory whose
 * listing would not fit is reported as an ERROR with ENOMEM and only the
 * names read so far are visited. */
#define WALK_LIST_MAX ((size_t)256 << 20)

struct level {
	int fd;             /* -1 while closed to spare descriptors */
	int via_link;       /* reached through a followed link */
	dev_t dev;
	ino_t ino;
	struct ks_buf names; /* the names, each with its NUL */
	char **list;        /* pointers into names, in strcmp order */
	size_t n, next;     /* entries, and the next one to visit */
	size_t path_len;    /* length of this directory's path in w->path */
	size_t charged;     /* bytes counted against WALK_LIST_MAX */
};

struct walker {
	const struct kf_walk_opts *opts;
	kf_walk_cb cb;
	void *ctx;
	struct kf_walk_stats stats;
	struct ks_buf path;
	struct level *lv;
	size_t nlv, cap;
	unsigned max_depth;
	dev_t root_dev;
	size_t charged;
	int stop;
};

static int glob_match(const char *pat, const char *path, const char *base)
{
	return fnmatch(pat, strchr(pat, '/') != NULL ? path : base, 0) == 0;
}

static int any_glob(const char *const *pats, const char *path,
		    const char *base)
{
	if (pats == NULL)
		return 0;
	for (; *pats != NULL; pats++)
		if (glob_match(*pats, path, base))
			return 1;
	return 0;
}

static int prefix_match(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	/* "/a/b/" names the same directory as "/a/b", which it must also
	 * exclude; "/" alone stays "/" and excludes every absolute path. */
	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(path, prefix, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/';
}

/* The exclusions that apply to every kind of entry. */
static int excluded_entry(const struct kf_walk_opts *o, const char *path,
			  const char *base)
{
	if (any_glob(o->exclude, path, base))
		return 1;
	if (o->exclude_prefix != NULL)
		for (const char *const *p = o->exclude_prefix; *p != NULL; p++)
			if (prefix_match(*p, path))
				return 1;
	return 0;
}

static int included_file(const struct kf_walk_opts *o, const char *path,
			 const char *base)
{
	if (o->include == NULL || o->include[0] == NULL)
		return 1;
	return any_glob(o->include, path, base);
}

/* The base name is what follows the last '/'; a path ending in '/' (which
 * cannot name a file) has an empty one. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int kf_walk_excluded(const struct kf_walk_opts *opts, const char *path)
{
	const char *base;

	if (opts == NULL || path == NULL)
		return 0;
	base = base_name(path);
	return excluded_entry(opts, path, base) ||
	       !included_file(opts, path, base);
}

/* Hand the entry at w->path to the callback and count it. */
static void report(struct walker *w, enum kf_walk_kind kind, unsigned depth,
		   const struct stat *st, const char *reason, int errnum)
{
	struct kf_walk_entry e;

	memset(&e, 0, sizeof e);
	e.kind = kind;
	e.path = (const char *)w->path.data;
	if (st != NULL)
		e.st = *st;
	e.reason = kind == KF_WALK_SKIP ? reason : NULL;
	e.err = kind == KF_WALK_ERROR ? errnum : 0;
	e.depth = depth;
	switch (kind) {
	case KF_WALK_FILE:
		w->stats.files++;
		break;
	case KF_WALK_SKIP:
		w->stats.skipped++;
		break;
	case KF_WALK_ERROR:
		w->stats.errors++;
		break;
	}
	if (w->cb(w->ctx, &e) != 0)
		w->stop = 1;
}

static void path_cut(struct walker *w, size_t len)
{
	w->path.len = len;
	w->path.data[len] = '\0';
}

static enum ks_status path_join(struct walker *w, size_t dir_len,
				const char *name)
{
	enum ks_status st;

	path_cut(w, dir_len);
	/* Only a root given as "/" or "dir/" ends in a slash; adding another
	 * would make paths that exclude prefixes no longer match. */
	if (dir_len == 0 || w->path.data[dir_len - 1] != '/') {
		st = ks_buf_putc(&w->path, '/');
		if (st != KS_OK)
			return st;
	}
	return ks_buf_puts(&w->path, name);
}

/*
 * O_NONBLOCK is belt and braces: O_DIRECTORY already makes the kernel
 * refuse anything but a directory before opening it, but should an entry
 * be swapped for a FIFO between fstatat and openat on a system that checks
 * late, the open must still not wait for a writer.
 */
static int open_dir(int dirfd, const char *name, int follow)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;
	int fd;

	if (!follow)
		flags |= O_NOFOLLOW;
	do
		fd = openat(dirfd, name, flags);
	while (fd < 0 && errno == EINTR);
	return fd;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read every name of the directory open at l->fd and sort them.  Returns 0
 * or an errno; on an error the names read so far are kept and sorted, so
 * that what could be listed is still scanned.
 */
static int read_listing(struct walker *w, struct level *l)
{
	struct dirent *de;
	DIR *d;
	int dfd, e = 0;
	char *p;

	/* The stream gets its own descriptor because closedir closes it,
	 * and l->fd must stay for the *at calls on the entries. */
	dfd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return errno;
	d = fdopendir(dfd);
	if (d == NULL) {
		e = errno;
		close(dfd);
		return e;
	}
	for (;;) {
		const char *name;
		size_t len, cost;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			e = errno;
			break;
		}
		name = de->d_name;
		if (name[0] == '.' &&
		    (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
			continue;
		len = strlen(name);
		cost = len + 1 + sizeof(char *);
		if (cost > WALK_LIST_MAX - w->charged ||
		    ks_buf_append(&l->names, name, len + 1) != KS_OK) {
			e = ENOMEM;
			break;
		}
		w->charged += cost;
		l->charged += cost;
		l->n++;
	}
	closedir(d);
	if (l->n == 0)
		return e;
	l->list = malloc(l->n * sizeof *l->list);
	if (l->list == NULL) {
		l->n = 0;
		return ENOMEM;
	}
	p = (char *)l->names.data;
	for (size_t i = 0; i < l->n; i++) {
		l->list[i] = p;
		p += strlen(p) + 1;
	}
	qsort(l->list, l->n, sizeof *l->list, cmp_name);
	return e;
}

/* Add a level for the directory open at fd; NULL when out of memory. */
static struct level *push_level(struct walker *w, int fd,
				const struct stat *st, int via_link)
{
	struct level *l;
	size_t k;

	if (w->nlv == w->cap) {
		size_t ncap = w->cap == 0 ? 16 : w->cap * 2;
		struct level *nlv = realloc(w->lv, ncap * sizeof *nlv);

		if (nlv == NULL)
			return NULL;
		w->lv = nlv;
		w->cap = ncap;
	}
	k = w->nlv++;
	l = &w->lv[k];
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->via_link = via_link;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	ks_buf_init(&l->names, KS_BUF_UNLIMITED);
	l->path_len = w->path.len;
	/* Keep the root and the deepest levels open; the level leaving the
	 * window will be reopened if the walk comes back to it. */
	if (k > WALK_OPEN_DIRS && w->lv[k - WALK_OPEN_DIRS].fd >= 0) {
		close(w->lv[k - WALK_OPEN_DIRS].fd);
		w->lv[k - WALK_OPEN_DIRS].fd = -1;
	}
	return l;
}

static void pop_level(struct walker *w)
{
	struct level *l = &w->lv[--w->nlv];

	if (l->fd >= 0)
		close(l->fd);
	ks_buf_free(&l->names);
	free(l->list);
	w->charged -= l->charged;
}

/* Whether the directory open at fd is still the one recorded as (dev, ino);
 * returns 0 or the errno to report. */
static int same_dir(int fd, dev_t dev, ino_t ino)
{
	struct stat now;

	if (fstat(fd, &now) != 0)
		return errno;
	/* ENOENT as fts reports it: the directory that was there is gone. */
	if (now.st_dev != dev || now.st_ino != ino)
		return ENOENT;
	return 0;
}

/*
 * Reopen level k, whose descriptor was closed on the way down, from its
 * nearest open ancestor (the root at worst), keeping the levels of the
 * window open on the way.  Returns 0 or an errno.
 */
static int reopen(struct walker *w, size_t k)
{
	size_t j = k;

	while (w->lv[j].fd < 0)
		j--;
	for (size_t i = j + 1; i <= k; i++) {
		struct level *up = &w->lv[i - 1], *l = &w->lv[i];
		int fd, e;

		fd = open_dir(up->fd, up->list[up->next - 1], l->via_link);
		if (fd < 0)
			return errno;
		e = same_dir(fd, l->dev, l->ino);
		if (e != 0) {
			close(fd);
			return e;
		}
		l->fd = fd;
		if (i - 1 > 0 && i - 1 + WALK_OPEN_DIRS <= k) {
			close(up->fd);
			up->fd = -1;
		}
	}
	return 0;
}

/*
 * Level k is done and level k - 1, which still has entries to visit, was
 * closed: try ".." of level k, the cheap way back (see the top comment).
 * A failure only leaves the work to reopen().
 */
static void reopen_parent(struct walker *w, size_t k)
{
	struct level *up = &w->lv[k - 1];
	int fd;

	fd = open_dir(w->lv[k].fd, "..", 0);
	if (fd < 0)
		return;
	if (same_dir(fd, up->dev, up->ino) != 0) {
		close(fd);
		return;
	}
	up->fd = fd;
}

/* The directory `name` of the deepest level, at `depth`, found as *st. */
static void enter_dir(struct walker *w, const char *name,
		      const struct stat *st, int via_link, unsigned depth)
{
	struct level *l;
	int fd, e;

	/* Every refusal below comes before the open: opening a directory on
	 * another file system may trigger an automount or hang on a dead
	 * network server, which is what one_filesystem is there to avoid. */
	if (w->opts->one_filesystem && st->st_dev != w->root_dev) {
		report(w, KF_WALK_SKIP, depth, st, "other-filesystem", 0);
		return;
	}
	for (size_t i = 0; i < w->nlv; i++) {
		if (w->lv[i].dev == st->st_dev && w->lv[i].ino == st->st_ino) {
			report(w, KF_WALK_SKIP, depth, st, "loop", 0);
			return;
		}
	}
	if (depth >= w->max_depth) {
		report(w, KF_WALK_SKIP, depth, st, "depth", 0);
		return;
	}
	fd = open_dir(w->lv[w->nlv - 1].fd, name, via_link);
	if (fd < 0) {
		report(w, KF_WALK_ERROR, depth, st, NULL, errno);
		return;
	}
	/* The checks above were made on what fstatat saw; the loop and file
	 * system decisions only hold if that is what was opened. */
	e = same_dir(fd, st->st_dev, st->st_ino);
	if (e != 0) {
		close(fd);
		report(w, KF_WALK_ERROR, depth, st, NULL, e);
		return;
	}
	l = push_level(w, fd, st, via_link);
	if (l == NULL) {
		close(fd);
		report(w, KF_WALK_ERROR, depth, st, NULL, ENOMEM);
		return;
	}
	w->stats.dirs++;
	e = read_listing(w, l);
	if (e != 0)
		report(w, KF_WALK_ERROR, depth, st, NULL, e);
}

/* Anything but a directory, after the exclusions that apply to all. */
static void report_nondir(struct walker *w, const struct stat *st,
			  unsigned depth, const char *base)
{
	const char *path = (const char *)w->path.data;

	if (S_ISREG(st->st_mode)) {
		if (!included_file(w->opts, path, base))
			w->stats.excluded++;
		else
			report(w, KF_WALK_FILE, depth, st, NULL, 0);
	} else if (S_ISLNK(st->st_mode)) {
		report(w, KF_WALK_SKIP, depth, st, "symlink", 0);
	} else if (S_ISFIFO(st->st_mode)) {
		report(w, KF_WALK_SKIP, depth, st, "fifo", 0);
	} else if (S_ISSOCK(st->st_mode)) {
		report(w, KF_WALK_SKIP, depth, st, "socket", 0);
	} else {
		/* Character and block devices, and any type Linux may add:
		 * none of them is a file that can be read safely. */
		report(w, KF_WALK_SKIP, depth, st, "device", 0);
	}
}

/* Visit the entry `name` of level k: exclusions first, since they need no
 * system call, then one lstat, and a stat of the target only for a link
 * that is to be followed. */
static void visit(struct walker *w, size_t k, const char *name)
{
	unsigned depth = (unsigned)k + 1;
	int fd = w->lv[k].fd, via_link = 0;
	struct stat st, lst;

	if (path_join(w, w->lv[k].path_len, name) != KS_OK) {
		/* Without memory for the path no entry of this directory
		 * can be named: report the directory and leave it. */
		path_cut(w, w->lv[k].path_len);
		report(w, KF_WALK_ERROR, (unsigned)k, NULL, NULL, ENOMEM);
		w->lv[k].next = w->lv[k].n;
		return;
	}
	if (excluded_entry(w->opts, (const char *)w->path.data, name)) {
		w->stats.excluded++;
		return;
	}
	/* AT_NO_AUTOMOUNT: looking at a mount point must not mount it. */
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) != 0) {
		report(w, KF_WALK_ERROR, depth, NULL, NULL, errno);
		return;
	}
	if (S_ISLNK(st.st_mode) && w->opts->follow_symlinks) {
		lst = st;
		if (fstatat(fd, name, &st, AT_NO_AUTOMOUNT) != 0) {
			report(w, KF_WALK_ERROR, depth, &lst, NULL, errno);
			return;
		}
		via_link = 1;
	}
	if (S_ISDIR(st.st_mode))
		enter_dir(w, name, &st, via_link, depth);
	else
		report_nondir(w, &st, depth, name);
}

/* The directory loop: visit the deepest level's next entry until every
 * level is done or the callback asks to stop. */
static void walk_levels(struct walker *w)
{
	while (w->nlv > 0 && !w->stop) {
		size_t k = w->nlv - 1;
		struct level *l = &w->lv[k];
		int e;

		if (l->next >= l->n) {
			if (k > 0 && l->fd >= 0 && w->lv[k - 1].fd < 0 &&
			    w->lv[k - 1].next < w->lv[k - 1].n)
				reopen_parent(w, k);
			pop_level(w);
			continue;
		}
		if (l->fd < 0) {
			e = reopen(w, k);
			if (e != 0) {
				path_cut(w, l->path_len);
				report(w, KF_WALK_ERROR, (unsigned)k, NULL, NULL,
				       e);
				pop_level(w);
				continue;
			}
		}
		visit(w, k, l->list[l->next++]);
	}
}

/*
 * Start the walk at the root, which is followed even when it is a link.
 * Returns KS_OK, or the failure of the root after reporting it.
 */
static enum ks_status walk_root(struct walker *w, const char *root,
				struct ks_err *err)
{
	struct level *l;
	struct stat st;
	size_t n;
	int fd, e;

	if (stat(root, &st) != 0) {
		e = errno;
		report(w, KF_WALK_ERROR, 0, NULL, NULL, e);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot walk %s", root);
	}
	if (!S_ISDIR(st.st_mode)) {
		/* A file named as the root is judged like one from a file
		 * list.  A directory named as the root is never excluded:
		 * the user asked for it by name, and a pattern for hidden
		 * names such as ".*" would otherwise drop "." as a whole. */
		if (excluded_entry(w->opts, root, base_name(root)))
			w->stats.excluded++;
		else
			report_nondir(w, &st, 0, base_name(root));
		return KS_OK;
	}
	fd = open_dir(AT_FDCWD, root, 1);
	if (fd < 0) {
		e = errno;
		report(w, KF_WALK_ERROR, 0, &st, NULL, e);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot open %s", root);
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		report(w, KF_WALK_ERROR, 0, &st, NULL, e);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot stat %s", root);
	}
	w->root_dev = st.st_dev;
	l = push_level(w, fd, &st, 1);
	if (l == NULL) {
		close(fd);
		report(w, KF_WALK_ERROR, 0, &st, NULL, ENOMEM);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	/* Children of "dir//" are "dir/x", not "dir///x". */
	n = w->path.len;
	while (n > 1 && w->path.data[n - 1] == '/' && w->path.data[n - 2] == '/')
		n--;
	l->path_len = n;
	w->stats.dirs++;
	e = read_listing(w, l);
	if (e != 0) {
		report(w, KF_WALK_ERROR, 0, &st, NULL, e);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot list %s", root);
	}
	return KS_OK;
}

enum ks_status kf_walk(const char *root, const struct kf_walk_opts *opts,
		       kf_walk_cb cb, void *ctx, struct kf_walk_stats *stats,
		       struct ks_err *err)
{
	static const struct kf_walk_opts no_opts;
	struct walker w;
	enum ks_status st;

	if (root == NULL || cb == NULL)
		return ks_err_set(err, KS_ERR_USAGE,
				  "kf_walk needs a root and a callback");
	memset(&w, 0, sizeof w);
	w.opts = opts != NULL ? opts : &no_opts;
	w.cb = cb;
	w.ctx = ctx;
	w.max_depth = WALK_DEPTH_CAP;
	if (w.opts->max_depth != 0 && w.opts->max_depth < WALK_DEPTH_CAP)
		w.max_depth = w.opts->max_depth;
	ks_buf_init(&w.path, KS_BUF_UNLIMITED);
	if (ks_buf_puts(&w.path, root) != KS_OK)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");

	st = walk_root(&w, root, err);
	/* A root that could be opened but not fully listed is a failure of
	 * the root, but what was listed is still walked. */
	if (w.nlv > 0)
		walk_levels(&w);
	while (w.nlv > 0)
		pop_level(&w);
	free(w.lv);
	ks_buf_free(&w.path);

	if (stats != NULL) {
		stats->files += w.stats.files;
		stats->skipped += w.stats.skipped;
		stats->errors += w.stats.errors;
		stats->excluded += w.stats.excluded;
		stats->dirs += w.stats.dirs;
	}
	if (st != KS_OK)
		return st;
	return w.stop ? KS_INTERRUPTED : KS_OK;
}
