/*
 * Tests of the file-tree walker: each test builds a small tree under a
 * mkdtemp directory, walks it, and compares the entries that come out
 * (kind, path relative to the temporary directory, reason or errno, depth,
 * in order) and the counters with what walk.h promises.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "file/walk.h"
#include "unit.h"

/* One entry as the callback saw it, copied out of the callback. */
struct rec {
	enum kf_walk_kind kind;
	char *path;        /* relative to the log's base when under it */
	char *reason;
	int err;
	unsigned depth;
	struct stat st;
};

struct log {
	const char *base;
	struct rec *r;
	size_t n, cap;
	size_t stop_after;  /* stop the walk after this many entries; 0: never */
	int fds_at_depth;   /* open descriptors when the "depth" SKIP came */
};

struct exp {
	enum kf_walk_kind kind;
	const char *path;
	const char *reason;  /* SKIP */
	int err;             /* ERROR */
	unsigned depth;
};

#define FILE_(p, d) { KF_WALK_FILE, (p), NULL, 0, (d) }
#define SKIP_(p, why, d) { KF_WALK_SKIP, (p), (why), 0, (d) }
#define ERROR_(p, e, d) { KF_WALK_ERROR, (p), NULL, (e), (d) }

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the descriptor of d itself */
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static int record(void *ctx, const struct kf_walk_entry *e)
{
	struct log *lg = ctx;
	size_t bl = strlen(lg->base);
	struct rec *r;

	if (lg->n == lg->cap) {
		size_t ncap = lg->cap == 0 ? 64 : lg->cap * 2;
		struct rec *nr = realloc(lg->r, ncap * sizeof *nr);

		if (nr == NULL)
			abort();
		lg->r = nr;
		lg->cap = ncap;
	}
	r = &lg->r[lg->n++];
	r->kind = e->kind;
	if (strncmp(e->path, lg->base, bl) == 0 && e->path[bl] == '/')
		r->path = xstrdup(e->path + bl + 1);
	else
		r->path = xstrdup(e->path);
	r->reason = e->reason != NULL ? xstrdup(e->reason) : NULL;
	r->err = e->err;
	r->depth = e->depth;
	r->st = e->st;
	if (e->kind == KF_WALK_SKIP && e->reason != NULL &&
	    strcmp(e->reason, "depth") == 0 && lg->fds_at_depth < 0)
		lg->fds_at_depth = count_fds();
	return lg->stop_after != 0 && lg->n >= lg->stop_after;
}

static void log_init(struct log *lg, const char *base)
{
	memset(lg, 0, sizeof *lg);
	lg->base = base;
	lg->fds_at_depth = -1;
}

static void log_free(struct log *lg)
{
	for (size_t i = 0; i < lg->n; i++) {
		free(lg->r[i].path);
		free(lg->r[i].reason);
	}
	free(lg->r);
	lg->r = NULL;
	lg->n = lg->cap = 0;
}

static const char *kind_name(enum kf_walk_kind k)
{
	return k == KF_WALK_FILE ? "FILE" : k == KF_WALK_SKIP ? "SKIP" : "ERROR";
}

/* Printable form of a path for failure messages (names hold any byte). */
static const char *vis(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static void check_log(const char *file, int line, const struct log *lg,
		      const struct exp *want, size_t nwant)
{
	char a[256], b[256];

	if (lg->n != nwant)
		ut_fail(file, line, "%zu entries, want %zu", lg->n, nwant);
	for (size_t i = 0; i < lg->n && i < nwant; i++) {
		const struct rec *r = &lg->r[i];
		const struct exp *w = &want[i];
		int ok = r->kind == w->kind && strcmp(r->path, w->path) == 0 &&
			 r->depth == w->depth;

		if (w->kind == KF_WALK_SKIP)
			ok = ok && r->reason != NULL &&
			     strcmp(r->reason, w->reason) == 0;
		else
			ok = ok && r->reason == NULL;
		ok = ok && r->err == (w->kind == KF_WALK_ERROR ? w->err : 0);
		if (!ok)
			ut_fail(file, line,
				"entry %zu: %s \"%s\" %s err %d depth %u, "
				"want %s \"%s\" %s err %d depth %u", i,
				kind_name(r->kind), vis(r->path, a, sizeof a),
				r->reason ? r->reason : "-", r->err, r->depth,
				kind_name(w->kind), vis(w->path, b, sizeof b),
				w->reason ? w->reason : "-", w->err, w->depth);
	}
	if (lg->n > nwant)
		ut_fail(file, line, "first extra entry: %s \"%s\"",
			kind_name(lg->r[nwant].kind),
			vis(lg->r[nwant].path, a, sizeof a));
}

#define CHECK_LOG(lg, want) \
	check_log(__FILE__, __LINE__, (lg), (want), sizeof(want) / sizeof((want)[0]))

#define CHECK_STATS(s, f, sk, er, ex, d)                                  \
	do {                                                              \
		CHECK_INT((s).files, (f));                                \
		CHECK_INT((s).skipped, (sk));                             \
		CHECK_INT((s).errors, (er));                              \
		CHECK_INT((s).excluded, (ex));                            \
		CHECK_INT((s).dirs, (d));                                 \
	} while (0)

/* Tree building, with paths relative to a base directory. */

static char *join(const char *base, const char *rel)
{
	size_t n = strlen(base) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", base, rel);
	return p;
}

static int mk_dir(const char *base, const char *rel)
{
	char *p = join(base, rel);
	int rc = mkdir(p, 0755);

	free(p);
	return rc;
}

static int mk_file(const char *base, const char *rel, const char *text)
{
	char *p = join(base, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t n = strlen(text);
	int rc = -1;

	free(p);
	if (fd < 0)
		return -1;
	if (write(fd, text, n) == (ssize_t)n)
		rc = 0;
	close(fd);
	return rc;
}

static int mk_link(const char *base, const char *rel, const char *target)
{
	char *p = join(base, rel);
	int rc = symlink(target, p);

	free(p);
	return rc;
}

static int mk_fifo(const char *base, const char *rel)
{
	char *p = join(base, rel);
	int rc = mkfifo(p, 0644);

	free(p);
	return rc;
}

static int mk_sock(const char *base, const char *rel)
{
	struct sockaddr_un sa;
	char *p = join(base, rel);
	int fd, rc = -1;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(p) < sizeof sa.sun_path) {
		memcpy(sa.sun_path, p, strlen(p));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
			close(fd);
		}
	}
	free(p);
	return rc;
}

static ino_t ino_of(const char *base, const char *rel)
{
	char *p = join(base, rel);
	struct stat st;
	ino_t ino = 0;

	if (lstat(p, &st) == 0)
		ino = st.st_ino;
	free(p);
	return ino;
}

/* Remove `name` in dfd and everything below it, whatever its modes. */
static void rm_at(int dfd, const char *name)
{
	struct stat st;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 0));
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				names = realloc(names, cap * sizeof *names);
				if (names == NULL)
					abort();
			}
			names[n++] = xstrdup(de->d_name);
		}
		if (d != NULL)
			closedir(d);
		for (size_t i = 0; i < n; i++) {
			rm_at(fd, names[i]);
			free(names[i]);
		}
		free(names);
		close(fd);
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static void rm_tree(const char *path)
{
	rm_at(AT_FDCWD, path);
}

/*
 * Turn the capabilities that bypass file permissions on or off in the
 * effective set, so that a test running as root can meet EACCES.  Returns
 * 0 on success.
 */
static int dac_caps(int on)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	uint32_t mask = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

	memset(&h, 0, sizeof h);
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	if (on)
		d[0].effective |= mask & d[0].permitted;
	else
		d[0].effective &= ~mask;
	return (int)syscall(SYS_capset, &h, d);
}

/* Walk base/rel into lg. */
static enum ks_status walk(const char *base, const char *rel,
			   const struct kf_walk_opts *o, struct log *lg,
			   struct kf_walk_stats *s)
{
	char *root = join(base, rel);
	enum ks_status st;
	struct ks_err err;

	ks_err_clear(&err);
	st = kf_walk(root, o, record, lg, s, &err);
	free(root);
	return st;
}

TEST(walk_order_names_and_stats)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { .files = 100, .dirs = 7 };
	struct log lg;
	static const struct exp want[] = {
		FILE_("t/B", 1),
		FILE_("t/a/w/f", 3),
		FILE_("t/a/x", 2),
		FILE_("t/a-b", 1),
		FILE_("t/a.txt", 1),
		FILE_("t/nl\nx", 1),
		FILE_("t/sub/z", 2),
		FILE_("t/\xfe\xff", 1),
		FILE_("t/\xfe\xff dir/in\nside", 2),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "t") == 0);
	REQUIRE(mk_file(base, "t/B", "") == 0);
	REQUIRE(mk_dir(base, "t/a") == 0);
	REQUIRE(mk_dir(base, "t/a/w") == 0);
	REQUIRE(mk_file(base, "t/a/w/f", "f") == 0);
	REQUIRE(mk_file(base, "t/a/x", "x") == 0);
	REQUIRE(mk_dir(base, "t/a/y") == 0);
	REQUIRE(mk_file(base, "t/a-b", "") == 0);
	REQUIRE(mk_file(base, "t/a.txt", "hello") == 0);
	REQUIRE(mk_file(base, "t/nl\nx", "") == 0);
	REQUIRE(mk_dir(base, "t/sub") == 0);
	REQUIRE(mk_file(base, "t/sub/z", "") == 0);
	REQUIRE(mk_file(base, "t/\xfe\xff", "") == 0);
	REQUIRE(mk_dir(base, "t/\xfe\xff dir") == 0);
	REQUIRE(mk_file(base, "t/\xfe\xff dir/in\nside", "") == 0);

	log_init(&lg, base);
	CHECK_INT(walk(base, "t", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want);
	/* The counters are added to what the caller had. */
	CHECK_STATS(s, 100 + 9, 0, 0, 0, 7 + 6);
	if (lg.n == 9) {
		CHECK(S_ISREG(lg.r[4].st.st_mode));
		CHECK_INT(lg.r[4].st.st_size, 5);
		CHECK_INT(lg.r[4].st.st_ino, ino_of(base, "t/a.txt"));
	}
	log_free(&lg);

	/* NULL stats and NULL opts are allowed and change nothing else. */
	log_init(&lg, base);
	CHECK_INT(walk(base, "t", NULL, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, want);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_special_entries)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	static const struct exp nofollow[] = {
		SKIP_("s/dangling", "symlink", 1),
		SKIP_("s/devnull", "symlink", 1),
		SKIP_("s/dir/a", "symlink", 2),
		SKIP_("s/fifo", "fifo", 1),
		SKIP_("s/link-file", "symlink", 1),
		FILE_("s/real", 1),
		SKIP_("s/sock", "socket", 1),
	};
	static const struct exp follow[] = {
		ERROR_("s/dangling", ENOENT, 1),
		SKIP_("s/devnull", "device", 1),
		SKIP_("s/dir/a", "loop", 2),
		SKIP_("s/fifo", "fifo", 1),
		FILE_("s/link-file", 1),
		FILE_("s/real", 1),
		SKIP_("s/sock", "socket", 1),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "s") == 0);
	REQUIRE(mk_link(base, "s/dangling", "nowhere") == 0);
	REQUIRE(mk_link(base, "s/devnull", "/dev/null") == 0);
	REQUIRE(mk_dir(base, "s/dir") == 0);
	REQUIRE(mk_link(base, "s/dir/a", "..") == 0);
	REQUIRE(mk_fifo(base, "s/fifo") == 0);
	REQUIRE(mk_link(base, "s/link-file", "real") == 0);
	REQUIRE(mk_file(base, "s/real", "0123456789") == 0);
	REQUIRE(mk_sock(base, "s/sock") == 0);

	/* Opening the FIFO would block for ever: let a hang fail loudly. */
	alarm(60);
	log_init(&lg, base);
	CHECK_INT(walk(base, "s", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, nofollow);
	CHECK_STATS(s, 1, 6, 0, 0, 2);
	if (lg.n == 7) {
		/* A link that is not followed is described by its lstat. */
		CHECK(S_ISLNK(lg.r[4].st.st_mode));
		CHECK_INT(lg.r[4].st.st_ino, ino_of(base, "s/link-file"));
		CHECK(S_ISFIFO(lg.r[3].st.st_mode));
		CHECK(S_ISSOCK(lg.r[6].st.st_mode));
	}
	log_free(&lg);

	o.follow_symlinks = 1;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "s", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, follow);
	CHECK_STATS(s, 2, 4, 1, 0, 2);
	if (lg.n == 7) {
		/* A followed link is described by its target's stat. */
		CHECK(S_ISREG(lg.r[4].st.st_mode));
		CHECK_INT(lg.r[4].st.st_ino, ino_of(base, "s/real"));
		CHECK_INT(lg.r[4].st.st_size, 10);
		CHECK(S_ISCHR(lg.r[1].st.st_mode));
		CHECK(S_ISDIR(lg.r[2].st.st_mode));
	}
	log_free(&lg);
	alarm(0);
	rm_tree(base);
}

TEST(walk_followed_directory_links)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	static const struct exp nofollow[] = {
		FILE_("f/d/x", 2),
		SKIP_("f/l", "symlink", 1),
		SKIP_("f/ll", "symlink", 1),
		SKIP_("f/up", "symlink", 1),
	};
	/* A directory reached twice through links is walked twice; only a
	 * directory already on the current path is a loop. */
	static const struct exp follow[] = {
		FILE_("f/d/x", 2),
		FILE_("f/l/x", 2),
		FILE_("f/ll/x", 2),
		SKIP_("f/up", "loop", 1),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "f") == 0);
	REQUIRE(mk_dir(base, "f/d") == 0);
	REQUIRE(mk_file(base, "f/d/x", "") == 0);
	REQUIRE(mk_link(base, "f/l", "d") == 0);
	REQUIRE(mk_link(base, "f/ll", "l") == 0);
	REQUIRE(mk_link(base, "f/up", ".") == 0);

	log_init(&lg, base);
	CHECK_INT(walk(base, "f", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, nofollow);
	CHECK_STATS(s, 1, 3, 0, 0, 2);
	log_free(&lg);

	o.follow_symlinks = 1;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "f", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, follow);
	CHECK_STATS(s, 3, 1, 0, 0, 4);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_excludes)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	const char *const excl[] = { "*.log", "*/e/cache", "tmp", NULL };
	const char *pfx[] = { NULL, NULL };
	struct kf_walk_opts o = { .exclude = excl, .exclude_prefix = pfx };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	char *prefix, *prefix_slash;
	static const struct exp want[] = {
		FILE_("e/a/bc/inner.c", 3),
		FILE_("e/deep/w.c", 2),
		FILE_("e/keep.c", 1),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "e") == 0);
	REQUIRE(mk_file(base, "e/keep.c", "") == 0);
	REQUIRE(mk_file(base, "e/drop.log", "") == 0);
	REQUIRE(mk_dir(base, "e/a") == 0);
	REQUIRE(mk_dir(base, "e/a/b") == 0);
	REQUIRE(mk_file(base, "e/a/b/inner.c", "") == 0);
	REQUIRE(mk_dir(base, "e/a/bc") == 0);
	REQUIRE(mk_file(base, "e/a/bc/inner.c", "") == 0);
	REQUIRE(mk_file(base, "e/a/x.log", "") == 0);
	REQUIRE(mk_dir(base, "e/cache") == 0);
	REQUIRE(mk_file(base, "e/cache/y.c", "") == 0);
	REQUIRE(mk_dir(base, "e/deep") == 0);
	REQUIRE(mk_dir(base, "e/deep/tmp") == 0);
	REQUIRE(mk_file(base, "e/deep/tmp/z.c", "") == 0);
	REQUIRE(mk_fifo(base, "e/deep/tmp/fifo") == 0);
	REQUIRE(mk_file(base, "e/deep/w.c", "") == 0);
	prefix = join(base, "e/a/b");
	prefix_slash = join(base, "e/a/b/");

	/* Excluded directories are counted once and not entered: a/b,
	 * cache and deep/tmp, plus the files a/x.log and drop.log. */
	pfx[0] = prefix;
	log_init(&lg, base);
	CHECK_INT(walk(base, "e", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want);
	CHECK_STATS(s, 3, 0, 0, 5, 4);
	log_free(&lg);

	/* A trailing slash on a prefix names the same directory. */
	pfx[0] = prefix_slash;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "e", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want);
	CHECK_STATS(s, 3, 0, 0, 5, 4);
	log_free(&lg);

	/* The prefix is matched at a component boundary only: "a/b" must
	 * not take "a/bc" with it, and without it a/b/inner.c comes back. */
	{
		static const struct exp nopfx[] = {
			FILE_("e/a/b/inner.c", 3),
			FILE_("e/a/bc/inner.c", 3),
			FILE_("e/deep/w.c", 2),
			FILE_("e/keep.c", 1),
		};

		pfx[0] = NULL;
		memset(&s, 0, sizeof s);
		log_init(&lg, base);
		CHECK_INT(walk(base, "e", &o, &lg, &s), KS_OK);
		CHECK_LOG(&lg, nopfx);
		CHECK_STATS(s, 4, 0, 0, 4, 5);
		log_free(&lg);
	}
	free(prefix);
	free(prefix_slash);
	rm_tree(base);
}

TEST(walk_includes)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	const char *const incl[] = { "*.c", "*/src/*", NULL };
	const char *const excl[] = { "b*.c", NULL };
	struct kf_walk_opts o = { .include = incl };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	/* Include patterns apply to files only: directories are entered and
	 * special files are still reported. */
	static const struct exp want[] = {
		FILE_("i/a.c", 1),
		FILE_("i/b.c", 1),
		SKIP_("i/fifo", "fifo", 1),
		FILE_("i/src/f.txt", 2),
		FILE_("i/sub/d.c", 2),
	};
	static const struct exp want_excl[] = {
		FILE_("i/a.c", 1),
		SKIP_("i/fifo", "fifo", 1),
		FILE_("i/src/f.txt", 2),
		FILE_("i/sub/d.c", 2),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "i") == 0);
	REQUIRE(mk_file(base, "i/a.c", "") == 0);
	REQUIRE(mk_file(base, "i/b.c", "") == 0);
	REQUIRE(mk_file(base, "i/b.h", "") == 0);
	REQUIRE(mk_file(base, "i/c.txt", "") == 0);
	REQUIRE(mk_fifo(base, "i/fifo") == 0);
	REQUIRE(mk_dir(base, "i/src") == 0);
	REQUIRE(mk_file(base, "i/src/f.txt", "") == 0);
	REQUIRE(mk_dir(base, "i/sub") == 0);
	REQUIRE(mk_file(base, "i/sub/d.c", "") == 0);
	REQUIRE(mk_file(base, "i/sub/e.txt", "") == 0);

	log_init(&lg, base);
	CHECK_INT(walk(base, "i", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want);
	CHECK_STATS(s, 4, 1, 0, 3, 3);
	log_free(&lg);

	/* An exclude pattern wins over an include pattern. */
	o.exclude = excl;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "i", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want_excl);
	CHECK_STATS(s, 3, 1, 0, 4, 3);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_max_depth)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	static const struct exp d1[] = {
		SKIP_("m/a", "depth", 1),
		FILE_("m/f0", 1),
	};
	static const struct exp d2[] = {
		SKIP_("m/a/b", "depth", 2),
		FILE_("m/a/f1", 2),
		FILE_("m/f0", 1),
	};
	static const struct exp d3[] = {
		SKIP_("m/a/b/c", "depth", 3),
		FILE_("m/a/b/f2", 3),
		FILE_("m/a/f1", 2),
		FILE_("m/f0", 1),
	};
	static const struct exp all[] = {
		FILE_("m/a/b/c/f3", 4),
		FILE_("m/a/b/f2", 3),
		FILE_("m/a/f1", 2),
		FILE_("m/f0", 1),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "m") == 0);
	REQUIRE(mk_file(base, "m/f0", "") == 0);
	REQUIRE(mk_dir(base, "m/a") == 0);
	REQUIRE(mk_file(base, "m/a/f1", "") == 0);
	REQUIRE(mk_dir(base, "m/a/b") == 0);
	REQUIRE(mk_file(base, "m/a/b/f2", "") == 0);
	REQUIRE(mk_dir(base, "m/a/b/c") == 0);
	REQUIRE(mk_file(base, "m/a/b/c/f3", "") == 0);

	o.max_depth = 1;
	log_init(&lg, base);
	CHECK_INT(walk(base, "m", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, d1);
	CHECK_STATS(s, 1, 1, 0, 0, 1);
	log_free(&lg);

	o.max_depth = 2;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "m", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, d2);
	CHECK_STATS(s, 2, 1, 0, 0, 2);
	if (lg.n == 3)
		CHECK(S_ISDIR(lg.r[0].st.st_mode));
	log_free(&lg);

	o.max_depth = 3;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "m", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, d3);
	CHECK_STATS(s, 3, 1, 0, 0, 3);
	log_free(&lg);

	o.max_depth = 0;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "m", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, all);
	CHECK_STATS(s, 4, 0, 0, 0, 4);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_root_forms)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	const char *const excl_txt[] = { "*.txt", NULL };
	const char *const excl_r[] = { "r", "*/r", NULL };
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct ks_err err;
	struct log lg;
	char *root;
	static const struct exp file[] = { FILE_("r/file.txt", 0) };
	static const struct exp fifo[] = { SKIP_("r/fifo", "fifo", 0) };
	static const struct exp dir[] = {
		SKIP_("r/fifo", "fifo", 1),
		FILE_("r/file.txt", 1),
	};
	static const struct exp via_link[] = {
		SKIP_("rl/fifo", "fifo", 1),
		FILE_("rl/file.txt", 1),
	};
	static const struct exp file_link[] = { FILE_("fl", 0) };
	static const struct exp missing[] = { ERROR_("missing", ENOENT, 0) };

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "r") == 0);
	REQUIRE(mk_file(base, "r/file.txt", "abc") == 0);
	REQUIRE(mk_fifo(base, "r/fifo") == 0);
	REQUIRE(mk_link(base, "rl", "r") == 0);
	REQUIRE(mk_link(base, "fl", "r/file.txt") == 0);

	/* A file as the root is depth 0 and judged by the patterns. */
	log_init(&lg, base);
	CHECK_INT(walk(base, "r/file.txt", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, file);
	CHECK_STATS(s, 1, 0, 0, 0, 0);
	log_free(&lg);
	o.exclude = excl_txt;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "r/file.txt", &o, &lg, &s), KS_OK);
	CHECK_INT(lg.n, 0);
	CHECK_STATS(s, 0, 0, 0, 1, 0);
	log_free(&lg);
	o.exclude = NULL;

	log_init(&lg, base);
	CHECK_INT(walk(base, "r/fifo", &o, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, fifo);
	log_free(&lg);

	/* The root is followed when it is a link, even without
	 * follow_symlinks, and keeps the name it was given. */
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	CHECK_INT(walk(base, "rl", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, via_link);
	CHECK_STATS(s, 1, 1, 0, 0, 1);
	log_free(&lg);
	log_init(&lg, base);
	CHECK_INT(walk(base, "fl", &o, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, file_link);
	if (lg.n == 1) {
		CHECK(S_ISREG(lg.r[0].st.st_mode));
		CHECK_INT(lg.r[0].st.st_size, 3);
	}
	log_free(&lg);

	/* Trailing slashes on the root do not double the separator. */
	log_init(&lg, base);
	CHECK_INT(walk(base, "r/", &o, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, dir);
	log_free(&lg);
	log_init(&lg, base);
	CHECK_INT(walk(base, "r//", &o, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, dir);
	log_free(&lg);

	/* A directory named as the root is walked even when a pattern
	 * matches its own name. */
	o.exclude = excl_r;
	log_init(&lg, base);
	CHECK_INT(walk(base, "r", &o, &lg, NULL), KS_OK);
	CHECK_LOG(&lg, dir);
	log_free(&lg);
	o.exclude = NULL;

	/* A missing root is reported to the callback and returned. */
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	root = join(base, "missing");
	ks_err_clear(&err);
	CHECK_INT(kf_walk(root, &o, record, &lg, &s, &err), KS_ERR_NOTFOUND);
	CHECK_INT(err.status, KS_ERR_NOTFOUND);
	CHECK_INT(err.sys_errno, ENOENT);
	CHECK(strstr(err.msg, "missing") != NULL);
	CHECK_LOG(&lg, missing);
	CHECK_STATS(s, 0, 0, 1, 0, 0);
	free(root);
	log_free(&lg);

	/* Bad arguments are usage errors, not crashes. */
	CHECK_INT(kf_walk(NULL, &o, record, &lg, NULL, NULL), KS_ERR_USAGE);
	CHECK_INT(kf_walk(base, &o, NULL, &lg, NULL, NULL), KS_ERR_USAGE);
	rm_tree(base);
}

TEST(walk_unreadable_directory)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	char *locked;
	enum ks_status st;
	int denied;
	static const struct exp want[] = {
		FILE_("u/a", 1),
		ERROR_("u/locked", EACCES, 1),
		FILE_("u/z/after", 2),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "u") == 0);
	REQUIRE(mk_file(base, "u/a", "") == 0);
	REQUIRE(mk_dir(base, "u/locked") == 0);
	REQUIRE(mk_file(base, "u/locked/secret", "") == 0);
	REQUIRE(mk_dir(base, "u/z") == 0);
	REQUIRE(mk_file(base, "u/z/after", "") == 0);
	locked = join(base, "u/locked");
	REQUIRE(chmod(locked, 0) == 0);

	/* Root reads a mode 000 directory anyway; drop the capabilities
	 * that allow it for the walk, or give up on the check. */
	denied = geteuid() != 0 || dac_caps(0) == 0;
	log_init(&lg, base);
	st = walk(base, "u", &o, &lg, &s);
	if (geteuid() == 0)
		dac_caps(1);
	if (!denied) {
		printf("# skipped: cannot drop CAP_DAC_OVERRIDE\n");
	} else {
		CHECK_INT(st, KS_OK);
		CHECK_LOG(&lg, want);
		CHECK_STATS(s, 2, 0, 1, 0, 2);
		if (lg.n == 3)
			CHECK(S_ISDIR(lg.r[1].st.st_mode));
	}
	log_free(&lg);

	/* An unreadable root is the walk's own failure. */
	if (denied) {
		static const struct exp root_want[] = {
			ERROR_("u/locked", EACCES, 0),
		};

		memset(&s, 0, sizeof s);
		log_init(&lg, base);
		if (geteuid() == 0)
			dac_caps(0);
		st = walk(base, "u/locked", &o, &lg, &s);
		if (geteuid() == 0)
			dac_caps(1);
		CHECK_INT(st, KS_ERR_PERM);
		CHECK_LOG(&lg, root_want);
		CHECK_STATS(s, 0, 0, 1, 0, 0);
		log_free(&lg);
	}
	CHECK_INT(chmod(locked, 0755), 0);
	free(locked);
	rm_tree(base);
}

TEST(walk_one_filesystem)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { .follow_symlinks = 1, .one_filesystem = 1 };
	struct kf_walk_stats s = { 0 };
	struct stat a, b;
	struct log lg;
	static const struct exp want[] = {
		SKIP_("o/proc", "other-filesystem", 1),
		FILE_("o/x", 1),
	};

	REQUIRE(mkdtemp(base) != NULL);
	if (stat(base, &a) != 0 || stat("/proc", &b) != 0 ||
	    a.st_dev == b.st_dev) {
		printf("# skipped: no second file system at /proc\n");
		rm_tree(base);
		return;
	}
	REQUIRE(mk_dir(base, "o") == 0);
	REQUIRE(mk_link(base, "o/proc", "/proc") == 0);
	REQUIRE(mk_file(base, "o/x", "") == 0);
	log_init(&lg, base);
	CHECK_INT(walk(base, "o", &o, &lg, &s), KS_OK);
	CHECK_LOG(&lg, want);
	CHECK_STATS(s, 1, 1, 0, 0, 1);
	if (lg.n == 2)
		CHECK_INT(lg.r[0].st.st_dev, b.st_dev);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_stop_from_callback)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_stats s = { 0 };
	struct log lg;
	static const struct exp want[] = {
		FILE_("c/a/1", 2),
		FILE_("c/a/2", 2),
	};

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "c") == 0);
	REQUIRE(mk_dir(base, "c/a") == 0);
	REQUIRE(mk_file(base, "c/a/1", "") == 0);
	REQUIRE(mk_file(base, "c/a/2", "") == 0);
	REQUIRE(mk_file(base, "c/a/3", "") == 0);
	REQUIRE(mk_file(base, "c/b", "") == 0);

	log_init(&lg, base);
	lg.stop_after = 2;
	CHECK_INT(walk(base, "c", NULL, &lg, &s), KS_INTERRUPTED);
	CHECK_LOG(&lg, want);
	CHECK_STATS(s, 2, 0, 0, 0, 2);
	log_free(&lg);
	rm_tree(base);
}

/*
 * A chain base/<top>/d/d/.../d of `levels` directories below top, with a
 * file "e" in top and in each of them but the last.  The files are hard
 * links to one inode, which halves the time to build the deepest chain.
 */
static int mk_chain(const char *base, const char *top, unsigned levels)
{
	char *p = join(base, top);
	int tfd, fd, nfd, rc = -1;

	tfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	if (tfd < 0)
		return -1;
	nfd = openat(tfd, "e", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	fd = fcntl(tfd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0 || fd < 0)
		goto out;
	close(nfd);
	for (unsigned i = 0; i < levels; i++) {
		if (i > 0 && linkat(tfd, "e", fd, "e", 0) != 0)
			goto out;
		if (mkdirat(fd, "d", 0755) != 0)
			goto out;
		nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0)
			goto out;
		close(fd);
		fd = nfd;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(tfd);
	return rc;
}

/* Remove such a chain level by level, moving each next level up, so that
 * neither deep recursion nor paths longer than PATH_MAX are needed. */
static void rm_chain(const char *base, const char *top)
{
	char *p = join(base, top);
	int tfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd, more;

	free(p);
	if (tfd < 0)
		return;
	for (;;) {
		fd = openat(tfd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
		if (fd < 0)
			break;
		unlinkat(fd, "e", 0);
		more = renameat(fd, "d", tfd, "t") == 0;
		close(fd);
		unlinkat(tfd, "d", AT_REMOVEDIR);
		if (!more || renameat(tfd, "t", tfd, "d") != 0)
			break;
	}
	close(tfd);
}

/* The expected path of the file "e" at `depth` in a chain under `top`. */
static int chain_path_ok(const char *got, const char *top, unsigned depth)
{
	size_t tl = strlen(top);

	if (strncmp(got, top, tl) != 0)
		return 0;
	got += tl;
	for (unsigned i = 1; i < depth; i++, got += 2)
		if (got[0] != '/' || got[1] != 'd')
			return 0;
	return strcmp(got, "/e") == 0;
}

TEST(walk_depth_cap_and_descriptors)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { 0 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	int fds_before, bad = 0;

	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "deep") == 0);
	REQUIRE(mk_chain(base, "deep", 4100) == 0);

	/*
	 * Levels 0..4095 are entered; the directory at depth 4096 is
	 * skipped, then the walk climbs back up, reporting each level's
	 * "e" (which sorts after "d") from the deepest one up.
	 */
	fds_before = count_fds();
	log_init(&lg, base);
	CHECK_INT(walk(base, "deep", &o, &lg, &s), KS_OK);
	CHECK_STATS(s, 4096, 1, 0, 0, 4096);
	REQUIRE(lg.n == 4097);
	CHECK_INT(lg.r[0].kind, KF_WALK_SKIP);
	CHECK_STR(lg.r[0].reason, "depth");
	CHECK_INT(lg.r[0].depth, 4096);
	CHECK_INT(strlen(lg.r[0].path), strlen("deep") + 2 * 4096);
	for (unsigned i = 1; i < lg.n; i++) {
		unsigned depth = 4097 - i;

		if (lg.r[i].kind != KF_WALK_FILE || lg.r[i].depth != depth ||
		    !chain_path_ok(lg.r[i].path, "deep", depth))
			bad++;
	}
	CHECK_INT(bad, 0);
	/* Not one descriptor per level: a few dozen at the bottom. */
	CHECK(lg.fds_at_depth > fds_before);
	CHECK(lg.fds_at_depth - fds_before <= 40);
	CHECK_INT(count_fds(), fds_before);
	log_free(&lg);

	/* A larger max_depth does not lift the cap.  Stopping at the first
	 * entry also checks that a stop deep down releases every level. */
	o.max_depth = 100000;
	memset(&s, 0, sizeof s);
	log_init(&lg, base);
	lg.stop_after = 1;
	CHECK_INT(walk(base, "deep", &o, &lg, &s), KS_INTERRUPTED);
	CHECK_STATS(s, 0, 1, 0, 0, 4096);
	REQUIRE(lg.n == 1);
	CHECK_STR(lg.r[0].reason, "depth");
	CHECK_INT(lg.r[0].depth, 4096);
	CHECK_INT(count_fds(), fds_before);
	log_free(&lg);

	rm_chain(base, "deep");
	rm_tree(base);
}

/* The path of directory level `level` of a chain under `top`. */
static char *chain_dir(const char *base, const char *top, unsigned level)
{
	size_t bl = strlen(base), tl = strlen(top);
	char *p = malloc(bl + 1 + tl + 2 * (size_t)level + 1), *o;

	if (p == NULL)
		abort();
	o = p + sprintf(p, "%s/%s", base, top);
	for (unsigned i = 0; i < level; i++, o += 2)
		memcpy(o, "/d", 2);
	*o = '\0';
	return p;
}

/* Moves done by the callback while the walk is deep in a chain. */
struct move_ctx {
	struct log lg;
	const char *base;
	int replace_level2;  /* also put a new directory in place of v/d/d */
	int done;
};

static int move_cb(void *ctx, const struct kf_walk_entry *e)
{
	struct move_ctx *c = ctx;

	if (!c->done) {
		char *l61 = chain_dir(c->base, "v", 61);
		char *away = join(c->base, "away");
		char *l2 = chain_dir(c->base, "v", 2);
		char *moved = join(c->base, "v/d/moved");

		c->done = 1;
		if (rename(l61, away) != 0)
			c->done = -1;
		if (c->replace_level2 &&
		    (rename(l2, moved) != 0 || mkdir(l2, 0755) != 0))
			c->done = -1;
		free(l61);
		free(away);
		free(l2);
		free(moved);
	}
	return record(&c->lg, e);
}

/*
 * Walk base/v, a chain of 100 levels, and at the first entry (the "e" of
 * level 99) move level 61 to base/away and, when asked, replace level 2 by
 * a new directory.  Levels 99..61 go on where they now are (they are the
 * directories that were entered, reached again through ".."), but ".." of
 * level 61 is no longer level 60, which is then reopened by name from the
 * root.  Returns the lowest level whose "e" came out in sequence before the
 * first ERROR, and counts the ERRORs in *errs.
 */
static unsigned walk_moved(const char *base, int replace_level2,
			   unsigned *errs, int *ok)
{
	struct move_ctx c;
	unsigned level = 99, first_err = 0;
	size_t i = 0;
	char *root = join(base, "v");
	enum ks_status st;

	memset(&c, 0, sizeof c);
	log_init(&c.lg, base);
	c.base = base;
	c.replace_level2 = replace_level2;
	st = kf_walk(root, NULL, move_cb, &c, NULL, NULL);
	*ok = st == KS_OK && c.done == 1;
	*errs = 0;
	/* Each FILE is the "e" of the next level up... */
	while (i < c.lg.n && c.lg.r[i].kind == KF_WALK_FILE &&
	       c.lg.r[i].depth == level + 1 &&
	       chain_path_ok(c.lg.r[i].path, "v", level + 1)) {
		i++;
		level--;
	}
	first_err = level + 1;
	/* ...each ERROR a level that could not be found again, at the
	 * directory's own depth and path... */
	while (i < c.lg.n && c.lg.r[i].kind == KF_WALK_ERROR &&
	       c.lg.r[i].err == ENOENT && c.lg.r[i].depth == level &&
	       strlen(c.lg.r[i].path) == 1 + 2 * (size_t)level) {
		i++;
		level--;
		(*errs)++;
	}
	/* ...and after them the walk goes on with the levels above. */
	while (i < c.lg.n && c.lg.r[i].kind == KF_WALK_FILE &&
	       c.lg.r[i].depth == level + 1 &&
	       chain_path_ok(c.lg.r[i].path, "v", level + 1)) {
		i++;
		level--;
	}
	if (i != c.lg.n || level != (unsigned)-1)
		*ok = 0;
	log_free(&c.lg);
	free(root);
	return first_err;
}

TEST(walk_tree_moved_during_walk)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	unsigned errs, low;
	int ok;

	/* Only level 61 moved: the walk comes back to level 60 by name and
	 * misses nothing. */
	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "v") == 0);
	REQUIRE(mk_chain(base, "v", 100) == 0);
	low = walk_moved(base, 0, &errs, &ok);
	CHECK(ok);
	CHECK_INT(errs, 0);
	CHECK_INT(low, 0);
	rm_tree(base);

	/* Level 2 replaced as well: levels 60..2 cannot be found again and
	 * are reported; level 1 and the root finish the walk. */
	REQUIRE(mkdtemp(strcpy(base, "/tmp/ut-walk-XXXXXX")) != NULL);
	REQUIRE(mk_dir(base, "v") == 0);
	REQUIRE(mk_chain(base, "v", 100) == 0);
	low = walk_moved(base, 1, &errs, &ok);
	CHECK(ok);
	CHECK_INT(low, 61);
	CHECK_INT(errs, 59);
	rm_tree(base);
}

TEST(walk_deep_through_followed_link)
{
	char base[] = "/tmp/ut-walk-XXXXXX";
	struct kf_walk_opts o = { .follow_symlinks = 1 };
	struct kf_walk_stats s = { 0 };
	struct log lg;
	char *mid, *want;
	size_t i = 0;
	int bad = 0;

	/*
	 * L/d/d/d/d/d/a -> T, and T a chain of 40 levels: the walk goes 46
	 * levels down through the link.  ".." of T is not L/d/d/d/d/d, so
	 * the way back to L/d/d/d/d/d (which still has "z") is by name.
	 */
	REQUIRE(mkdtemp(base) != NULL);
	REQUIRE(mk_dir(base, "L") == 0);
	REQUIRE(mk_chain(base, "L", 5) == 0);
	REQUIRE(mk_dir(base, "T") == 0);
	REQUIRE(mk_chain(base, "T", 40) == 0);
	mid = chain_dir(base, "L", 5);
	want = join(base, "T");
	REQUIRE(mk_link(mid, "a", want) == 0);
	REQUIRE(mk_file(mid, "z", "") == 0);
	free(want);
	free(mid);

	log_init(&lg, base);
	CHECK_INT(walk(base, "L", &o, &lg, &s), KS_OK);
	CHECK_STATS(s, 46, 0, 0, 0, 47);
	REQUIRE(lg.n == 46);
	want = malloc(256);
	REQUIRE(want != NULL);
	for (unsigned lv = 40; lv-- > 0; i++) {
		int n = sprintf(want, "L/d/d/d/d/d/a");

		for (unsigned j = 0; j < lv; j++)
			n += sprintf(want + n, "/d");
		sprintf(want + n, "/e");
		if (lg.r[i].kind != KF_WALK_FILE || lg.r[i].depth != lv + 7 ||
		    strcmp(lg.r[i].path, want) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_STR(lg.r[i].path, "L/d/d/d/d/d/z");
	CHECK_INT(lg.r[i].depth, 6);
	for (i++; i < lg.n; i++)
		CHECK(chain_path_ok(lg.r[i].path, "L", 46 - (unsigned)i));
	free(want);
	log_free(&lg);
	rm_tree(base);
}

TEST(walk_excluded_function)
{
	const char *const excl[] = { "*.log", "/var/*/cache", NULL };
	const char *const pfx[] = { "/a/b", "/x/y/", "rel/dir", "", NULL };
	const char *const incl[] = { "*.exe", "*/bin/*", NULL };
	struct kf_walk_opts o = { .exclude = excl, .exclude_prefix = pfx };
	static const struct {
		const char *path;
		int excluded, with_include;
	} cases[] = {
		{ "/a/b", 1, 1 },
		{ "/a/b/c.exe", 1, 1 },
		{ "/a/bc", 0, 1 },
		{ "/a", 0, 1 },
		{ "/x/y", 1, 1 },
		{ "/x/y/z", 1, 1 },
		{ "/x/yz", 0, 1 },
		{ "rel/dir/f", 1, 1 },
		{ "rel/dirt", 0, 1 },
		{ "/rel/dir/f", 0, 1 },
		{ "/q/app.log", 1, 1 },
		{ "app.log", 1, 1 },
		{ "/q/app.log.1", 0, 1 },
		{ "/var/lib/cache", 1, 1 },
		{ "/var/cache", 0, 1 },
		{ "/var/a/b/cache", 1, 1 },   /* '*' matches '/' too */
		{ "/q/a.exe", 0, 0 },
		{ "/usr/bin/ls", 0, 0 },
		{ "/q/a.txt", 0, 1 },
		{ "/q/bin", 0, 1 },
		{ "/q/exe.log/a.exe", 0, 0 },  /* patterns see the base name */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o.include = NULL;
		if (kf_walk_excluded(&o, cases[i].path) != cases[i].excluded)
			ut_fail(__FILE__, __LINE__, "excluded(\"%s\") != %d",
				cases[i].path, cases[i].excluded);
		o.include = incl;
		if (kf_walk_excluded(&o, cases[i].path) !=
		    cases[i].with_include)
			ut_fail(__FILE__, __LINE__,
				"excluded(\"%s\") with includes != %d",
				cases[i].path, cases[i].with_include);
	}
	CHECK_INT(kf_walk_excluded(NULL, "/a/b"), 0);
	{
		const char *const slash[] = { "/", NULL };
		struct kf_walk_opts all = { .exclude_prefix = slash };

		CHECK_INT(kf_walk_excluded(&all, "/etc/passwd"), 1);
		CHECK_INT(kf_walk_excluded(&all, "etc/passwd"), 0);
	}
}
