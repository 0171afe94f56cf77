#include "file/scan.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <magic.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/beneath.h"
#include "core/fault.h"
#include "core/timefmt.h"

#define RESULT_ARENA_MAX (16u << 20)
#define MAX_HITS_PER_RULE 16
#define MAGIC_BYTES (1u << 20)   /* libmagic looks at the first MiB */
#define OWNER_CACHE 64
#define BIG_BUFFER (1u << 20)

struct owner_slot {
	uid_t uid;
	int used;
	char name[64];
};

struct kf_worker {
	const struct kf_engine *e;
	YR_SCANNER **scanners;       /* one per rule set */
	magic_t mime, desc;
	struct ks_digest *dg;
	struct ks_buf buf;           /* the top-level file's bytes */
	struct owner_slot owners[OWNER_CACHE];
	/* During one scan: */
	struct kf_result *r;
	const char *cur_set;         /* name of the set being run */
	const char *member;          /* name of what is being scanned */
	uint64_t archive_budget;     /* bytes still allowed to extract */
};

void kf_engine_defaults(struct kf_engine_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_size = 100u << 20;
	o->timeout_s = 60;
	o->archives = 1;
	o->archive_depth = 5;
	o->alim.max_members = 10000;
	o->alim.max_member_size = 100u << 20;
	o->alim.max_total = 256u << 20;
	o->alim.max_ratio = 100;
	o->max_matches = 1000;
}

const char *kf_verdict_name(enum kf_verdict v)
{
	switch (v) {
	case KF_CLEAN: return "clean";
	case KF_INFECTED: return "infected";
	case KF_SKIPPED: return "skipped";
	case KF_ERROR: return "error";
	}
	return "error";
}

void kf_result_init(struct kf_result *r)
{
	memset(r, 0, sizeof *r);
	ks_arena_init(&r->arena, RESULT_ARENA_MAX);
	r->fd = -1;
}

void kf_result_reset(struct kf_result *r)
{
	struct ks_arena a = r->arena;

	if (r->fd >= 0)
		close(r->fd);
	ks_arena_reset(&a);
	memset(r, 0, sizeof *r);
	r->arena = a;
	r->fd = -1;
}

void kf_result_free(struct kf_result *r)
{
	kf_result_reset(r);
	ks_arena_free(&r->arena);
}

void kf_worker_free(struct kf_worker *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; w->scanners != NULL && i < w->e->rules->nsets; i++)
		if (w->scanners[i] != NULL)
			yr_scanner_destroy(w->scanners[i]);
	free(w->scanners);
	if (w->mime != NULL)
		magic_close(w->mime);
	if (w->desc != NULL)
		magic_close(w->desc);
	ks_digest_free(w->dg);
	ks_buf_free(&w->buf);
	free(w);
}

static int yara_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user);

static magic_t open_magic(int flags, struct ks_err *err)
{
	magic_t m = magic_open(flags | MAGIC_ERROR);

	if (m == NULL) {
		ks_err_sys(err, KS_ERR_NOMEM, errno, "libmagic");
		return NULL;
	}
	if (magic_load(m, NULL) != 0) {
		ks_err_set(err, KS_ERR_IO, "libmagic cannot load its database: %s",
			   magic_error(m));
		magic_close(m);
		return NULL;
	}
	return m;
}

struct kf_worker *kf_worker_new(const struct kf_engine *e, struct ks_err *err)
{
	struct kf_worker *w = calloc(1, sizeof *w);
	size_t n = e->rules->nsets;

	if (w == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->e = e;
	ks_buf_init(&w->buf, e->o.max_size + 1);
	w->scanners = calloc(n ? n : 1, sizeof *w->scanners);
	if (w->scanners == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		int rc = yr_scanner_create(e->rules->sets[i], &w->scanners[i]);

		if (rc != ERROR_SUCCESS) {
			ks_err_set(err, KS_ERR_NOMEM,
				   "cannot create a YARA scanner (error %d)", rc);
			goto fail;
		}
		yr_scanner_set_callback(w->scanners[i], yara_cb, w);
		/* The bytes are in our own heap buffer, never a mapping that
		 * a truncation could pull away, so libyara's SIGBUS guard
		 * (signal handlers set and reset around every scan) is not
		 * needed; this also rules out matches only reported after a
		 * fault. */
		yr_scanner_set_flags(w->scanners[i], SCAN_FLAGS_REPORT_RULES_MATCHING |
							     SCAN_FLAGS_NO_TRYCATCH);
		if (e->o.timeout_s > 0)
			yr_scanner_set_timeout(w->scanners[i], e->o.timeout_s);
	}
	w->mime = open_magic(MAGIC_MIME_TYPE, err);
	if (w->mime == NULL)
		goto fail;
	w->desc = open_magic(MAGIC_NONE, err);
	if (w->desc == NULL)
		goto fail;
	w->dg = ks_digest_new(KS_DIGEST_SHA256 |
			      (e->hashes != NULL && kf_hashlist_has_md5(e->hashes) ?
				       KS_DIGEST_MD5 : 0));
	if (w->dg == NULL)
		goto nomem;
	return w;
nomem:
	ks_err_set(err, KS_ERR_NOMEM, "out of memory");
fail:
	kf_worker_free(w);
	return NULL;
}

/* ---- result helpers --------------------------------------------------- */

static void set_error(struct kf_result *r, enum ks_status kind, int errnum,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_error(struct kf_result *r, enum ks_status kind, int errnum,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	/* The first error explains the verdict; keep it. */
	if (r->err_msg != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof msg - n, ": %s", strerror(errnum));
	}
	r->err_kind = kind;
	r->err_msg = ks_arena_strdup(&r->arena, msg);
}

static struct kf_match *new_match(struct kf_worker *w)
{
	struct kf_result *r = w->r;

	if (r->nmatches >= w->e->o.max_matches) {
		r->matches_dropped++;
		return NULL;
	}
	if (r->nmatches == r->capmatches) {
		size_t ncap = r->capmatches ? r->capmatches * 2 : 4;
		struct kf_match *m = ks_arena_alloc(&r->arena, ncap * sizeof *m);

		if (m == NULL) {
			r->matches_dropped++;
			return NULL;
		}
		if (r->nmatches > 0)
			memcpy(m, r->matches, r->nmatches * sizeof *m);
		r->matches = m;
		r->capmatches = ncap;
	}
	struct kf_match *m = &r->matches[r->nmatches++];

	memset(m, 0, sizeof *m);
	m->member = w->member != NULL ? ks_arena_strdup(&r->arena, w->member)
				      : NULL;
	return m;
}

const struct kf_meta *kf_match_meta(const struct kf_match *m, const char *key)
{
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0)
			return &m->meta[i];
	return NULL;
}

/* ---- YARA --------------------------------------------------------------- */

static void record_rule(struct kf_worker *w, YR_SCAN_CONTEXT *ctx,
			YR_RULE *rule, const char *set)
{
	struct ks_arena *a = &w->r->arena;
	struct kf_match *m = new_match(w);
	const char *tag;
	YR_META *meta;
	YR_STRING *s;
	YR_MATCH hit;
	size_t n;

	if (m == NULL)
		return;
	m->source = KF_SRC_YARA;
	m->rule = ks_arena_strdup(a, rule->identifier);
	m->ns = ks_arena_strdup(a, rule->ns != NULL ? rule->ns->name : "");
	m->set = set;
	n = 0;
	yr_rule_tags_foreach(rule, tag)
		n++;
	m->tags = n ? ks_arena_alloc(a, n * sizeof *m->tags) : NULL;
	if (m->tags != NULL) {
		yr_rule_tags_foreach(rule, tag)
			m->tags[m->ntags++] = ks_arena_strdup(a, tag);
	}
	n = 0;
	yr_rule_metas_foreach(rule, meta)
		n++;
	m->meta = n ? ks_arena_alloc(a, n * sizeof *m->meta) : NULL;
	if (m->meta != NULL) {
		yr_rule_metas_foreach(rule, meta) {
			struct kf_meta *km = &m->meta[m->nmeta++];

			km->key = ks_arena_strdup(a, meta->identifier);
			km->i = meta->integer;
			km->s = NULL;
			if (meta->type == META_TYPE_STRING) {
				km->type = KF_META_STRING;
				km->s = ks_arena_strdup(a, meta->string);
			} else if (meta->type == META_TYPE_BOOLEAN) {
				km->type = KF_META_BOOL;
			} else {
				km->type = KF_META_INT;
			}
		}
	}
	m->hits = ks_arena_alloc(a, MAX_HITS_PER_RULE * sizeof *m->hits);
	yr_rule_strings_foreach(rule, s) {
		/* libyara 4.2 allocates YR_MATCH records without aligning
		 * them, so they are copied out before being read (the
		 * yr_string_matches_foreach macro would read them in place,
		 * which is undefined behaviour on a misaligned record). */
		const void *p = ctx->matches[s->idx].head;

		while (p != NULL) {
			memcpy(&hit, p, sizeof hit);
			p = hit.next;
			if (hit.is_private)
				continue;
			m->hits_total++;
			if (m->hits == NULL || m->nhits >= MAX_HITS_PER_RULE)
				continue;
			struct kf_hit *h = &m->hits[m->nhits++];

			h->id = ks_arena_strdup(a, s->identifier);
			h->offset = (uint64_t)(hit.base + hit.offset);
			h->length = (uint32_t)hit.match_length;
		}
	}
}

static int yara_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct kf_worker *w = user;

	if (msg == CALLBACK_MSG_RULE_MATCHING)
		record_rule(w, ctx, data, w->cur_set);
	/* CALLBACK_MSG_TOO_MANY_MATCHES: libyara stops recording that
	 * string's matches; the verdict holds and hits_total says more. */
	return CALLBACK_CONTINUE;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b != NULL ? b + 1 : path;
}

/* Lowercase extension with its dot, from the last component. */
static const char *extension(struct ks_arena *a, const char *name)
{
	const char *dot = strrchr(base_name(name), '.');
	char *e;

	if (dot == NULL || dot == base_name(name))
		return "";
	e = ks_arena_strdup(a, dot);
	for (char *p = e; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return e != NULL ? e : "";
}

/* Run every rule set over data; matches go into w->r. */
static void run_rules(struct kf_worker *w, const uint8_t *data, size_t len,
		      const char *name, const char *mime, const char *owner)
{
	const struct kf_rules *rules = w->e->rules;
	const char *ext = extension(&w->r->arena, name);

	for (size_t i = 0; i < rules->nsets; i++) {
		YR_SCANNER *sc = w->scanners[i];
		int rc;

		/* A set compiled elsewhere may lack a variable: then the
		 * define fails and the set does not use it anyway. */
		yr_scanner_define_string_variable(sc, "filename", base_name(name));
		yr_scanner_define_string_variable(sc, "filepath", name);
		yr_scanner_define_string_variable(sc, "extension", ext);
		yr_scanner_define_string_variable(sc, "filetype", mime ? mime : "");
		yr_scanner_define_string_variable(sc, "owner", owner ? owner : "");
		w->cur_set = rules->set_names[i];
		rc = yr_scanner_scan_mem(sc, data, len);
		if (rc == ERROR_SUCCESS)
			continue;
		if (rc == ERROR_SCAN_TIMEOUT)
			set_error(w->r, KS_ERR_TIMEOUT, 0, "the rules took longer than the timeout on %s", name);
		else if (rc == ERROR_INSUFFICIENT_MEMORY)
			set_error(w->r, KS_ERR_NOMEM, 0, "out of memory scanning %s", name);
		else
			set_error(w->r, KS_ERR_INTERNAL, 0, "libyara failed on %s", name);
	}
}

static void hash_lookup(struct kf_worker *w, const uint8_t *sha,
			const uint8_t *md5, uint64_t size)
{
	const char *kind, *name;
	struct kf_match *m;

	if (w->e->hashes == NULL)
		return;
	name = kf_hashlist_lookup(w->e->hashes, sha, md5, size, &kind);
	if (name == NULL)
		return;
	m = new_match(w);
	if (m == NULL)
		return;
	m->source = KF_SRC_HASH;
	m->rule = ks_arena_strdup(&w->r->arena, name);
	m->ns = kind;
	m->set = "hashes";
}

static const char *owner_name(struct kf_worker *w, uid_t uid)
{
	struct owner_slot *s = &w->owners[uid % OWNER_CACHE];
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (s->used && s->uid == uid)
		return s->name;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		snprintf(s->name, sizeof s->name, "%s", res->pw_name);
	else
		snprintf(s->name, sizeof s->name, "%u", (unsigned)uid);
	s->uid = uid;
	s->used = 1;
	return s->name;
}

static const char *magic_of(struct kf_worker *w, magic_t m,
			    const uint8_t *data, size_t len)
{
	const char *t = magic_buffer(m, data, len < MAGIC_BYTES ? len : MAGIC_BYTES);

	return ks_arena_strdup(&w->r->arena, t != NULL ? t : "");
}

/* ---- archives ----------------------------------------------------------- */

static void scan_archive(struct kf_worker *w, const uint8_t *data, size_t len,
			 const char *name, unsigned depth);

struct member_ctx {
	struct kf_worker *w;
	const char *outer;
	unsigned depth;
};

static int member_cb(void *ctx, const struct kf_archive_member *m)
{
	struct member_ctx *mc = ctx;
	struct kf_worker *w = mc->w;
	struct kf_result *r = w->r;
	struct kf_archive_info *ai = &r->archive;
	const char *saved = w->member;
	char *name = ks_arena_printf(&r->arena, "%s!%s", mc->outer, m->name);
	uint8_t sha[KS_SHA256_LEN], md5[KS_MD5_LEN];
	const char *mime;

	if (name == NULL)
		return 1;  /* the result is full: stop reading */
	ai->members++;
	if (m->encrypted) {
		ai->encrypted++;
		return 0;
	}
	if (m->data == NULL) {
		ai->capped_size = 1;
		return 0;
	}
	/* Nothing can hide in an empty member. */
	if (m->size == 0)
		return 0;
	w->member = name;
	mime = w->e->o.no_types ? "" : magic_of(w, w->mime, m->data, m->size);
	run_rules(w, m->data, m->size, name, mime, NULL);
	if (w->e->hashes != NULL) {
		ks_digest_reset(w->dg);
		ks_digest_update(w->dg, m->data, m->size);
		ks_digest_final(w->dg, sha, md5);
		hash_lookup(w, sha, kf_hashlist_has_md5(w->e->hashes) ? md5 : NULL,
			    m->size);
	}
	scan_archive(w, m->data, m->size, name, mc->depth + 1);
	w->member = saved;
	return 0;
}

static void scan_archive(struct kf_worker *w, const uint8_t *data, size_t len,
			 const char *name, unsigned depth)
{
	struct kf_archive_info *ai = &w->r->archive;
	struct kf_archive_limits lim = w->e->o.alim;
	struct kf_archive_result res;
	struct member_ctx mc = { w, name, depth };
	struct ks_err err;
	enum ks_status st;

	if (depth > w->e->o.archive_depth) {
		ai->capped_depth = 1;
		return;
	}
	if (w->archive_budget == 0) {
		ai->capped_total = 1;
		return;
	}
	/* One budget for the whole file, nested archives included. */
	lim.max_total = w->archive_budget;
	memset(&res, 0, sizeof res);
	st = kf_archive_iterate(data, len, name, &lim, member_cb, &mc, &res, &err);
	if (st == KS_ERR_UNSUPPORTED)
		return;
	ai->archives++;
	if (ai->format == NULL && res.format != NULL)
		ai->format = ks_arena_strdup(&w->r->arena, res.format);
	ai->bytes += res.total;
	w->archive_budget = res.total >= w->archive_budget ?
				    0 : w->archive_budget - res.total;
	ai->capped_members |= res.capped_members;
	ai->capped_total |= res.capped_total;
	ai->capped_ratio |= res.capped_ratio;
	if (res.corrupt) {
		ai->corrupt++;
		if (ai->corrupt_msg == NULL)
			ai->corrupt_msg = ks_arena_printf(&w->r->arena, "%s: %s",
							  name, res.message);
	}
	if (st == KS_ERR_NOMEM)
		set_error(w->r, KS_ERR_NOMEM, 0, "out of memory reading %s", name);
}

/* ---- the whole scan ----------------------------------------------------- */

static void finish(struct kf_result *r, uint64_t t0)
{
	if (r->nmatches > 0)
		r->verdict = KF_INFECTED;
	else if (r->skip_reason != NULL)
		r->verdict = KF_SKIPPED;
	else if (r->err_msg != NULL)
		r->verdict = KF_ERROR;
	else
		r->verdict = KF_CLEAN;
	r->elapsed_us = ks_mono_usec() - t0;
}

static void scan_bytes(struct kf_worker *w, const uint8_t *data, size_t len,
		       const char *name, const char *owner)
{
	struct kf_result *r = w->r;

	ks_digest_reset(w->dg);
	ks_digest_update(w->dg, data, len);
	ks_digest_final(w->dg, r->sha256, r->md5);
	r->have_sha256 = 1;
	r->have_md5 = w->e->hashes != NULL && kf_hashlist_has_md5(w->e->hashes);
	if (!w->e->o.no_types)
		r->mime = magic_of(w, w->mime, data, len);
	w->member = NULL;
	run_rules(w, data, len, name, r->mime, owner);
	hash_lookup(w, r->sha256, r->have_md5 ? r->md5 : NULL, len);
	w->archive_budget = w->e->o.alim.max_total ? w->e->o.alim.max_total
						   : UINT64_MAX;
	/* libarchive recognizes its formats by their signatures (about ten
	 * microseconds for data that is none of them), so every file is
	 * offered to it: a misnamed or untyped archive is opened too. */
	if (w->e->o.archives)
		scan_archive(w, data, len, name, 1);
	/* libmagic's description costs as much again as the MIME type, so
	 * it is worked out for detections (where an analyst reads it) and
	 * only for every file when asked. */
	if (!w->e->o.no_types && (w->e->o.describe_all || r->nmatches > 0))
		r->desc = magic_of(w, w->desc, data, len);
	r->data = data;
	r->len = len;
}

void kf_scan_buffer(struct kf_worker *w, const uint8_t *data, size_t len,
		    const char *name, struct kf_result *r)
{
	uint64_t t0 = ks_mono_usec();

	w->r = r;
	r->path = ks_arena_strdup(&r->arena, name);
	scan_bytes(w, data, len, name, NULL);
	finish(r, t0);
	w->r = NULL;
}

static const char *special_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISLNK(m))
		return "symlink";
	return "not-a-file";
}

static int same_times(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* How a file is reached: by its path, or beneath a root directory. */
struct target {
	const char *path;   /* for the record and messages */
	int rootfd;         /* -1: use `path` */
	const char *rel;    /* beneath rootfd */
	int flags;
	int pfd;            /* O_PATH descriptor found by t_stat, or -1 */
};

/* The file's status without opening its content (a FIFO or a device is
 * never opened for reading). */
static int t_stat(struct target *t, struct stat *st)
{
	if (t->rootfd < 0)
		return t->flags & KF_SCAN_FOLLOW ? stat(t->path, st) :
						   lstat(t->path, st);
	t->pfd = ks_open_beneath(t->rootfd, t->rel, O_PATH | O_CLOEXEC);
	if (t->pfd < 0)
		return -1;
	return fstat(t->pfd, st);
}

/* Open the file found by t_stat for reading. */
static int t_open(struct target *t)
{
	char proc[64];
	int fd;

	if (t->rootfd < 0)
		return open(t->path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
					     O_CLOEXEC |
					     (t->flags & KF_SCAN_FOLLOW ? 0 :
									O_NOFOLLOW));
	/* Reopening the very inode that was resolved beneath the root
	 * leaves no window for the path to be swapped; without /proc the
	 * path is resolved beneath the root again (and compared after). */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", t->pfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = ks_open_beneath(t->rootfd, t->rel, O_RDONLY | O_NONBLOCK |
							    O_NOCTTY | O_CLOEXEC);
	return fd;
}

static void scan_target(struct kf_worker *w, struct target *t,
			struct kf_cache *cache, struct kf_result *r)
{
	uint64_t t0 = ks_mono_usec();
	const char *path = t->path;
	struct stat lst, st2;
	struct kf_cache_entry ce;
	size_t got = 0;
	ssize_t k;
	int fd;

	w->r = r;
	/* A buffer grown for a large file goes back to the system before the
	 * next file, so memory follows the files being scanned now, not the
	 * largest ever seen (the same as mapping each file would). */
	if (w->buf.cap > BIG_BUFFER)
		ks_buf_free(&w->buf);
	r->path = ks_arena_strdup(&r->arena, path);
	if (t_stat(t, &lst) != 0) {
		if (errno == EXDEV)
			set_error(r, KS_ERR_PERM, 0, "%s leads out of its root "
				  "directory (\"..\" or a symbolic link)", path);
		else if (errno == ELOOP)
			set_error(r, KS_ERR_INVALID, 0, "%s: too many symbolic "
				  "links", path);
		else
			set_error(r, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
		goto done;
	}
	r->st = lst;
	r->have_st = 1;
	if (!S_ISREG(lst.st_mode)) {
		r->skip_reason = special_kind(lst.st_mode);
		goto done;
	}
	r->owner = ks_arena_strdup(&r->arena, owner_name(w, lst.st_uid));
	if ((uint64_t)lst.st_size > w->e->o.max_size) {
		r->skip_reason = "too-large";
		goto done;
	}
	if (cache != NULL && kf_cache_get(cache, &lst, &ce)) {
		memcpy(r->sha256, ce.sha256, sizeof r->sha256);
		r->have_sha256 = 1;
		if (ce.mime[0] != '\0')
			r->mime = ks_arena_strdup(&r->arena, ce.mime);
		if (ce.desc[0] != '\0')
			r->desc = ks_arena_strdup(&r->arena, ce.desc);
		r->cached = 1;
		goto done;
	}
	fd = t_open(t);
	if (fd < 0) {
		if (errno == ELOOP)
			r->skip_reason = "symlink";
		else
			set_error(r, ks_status_from_errno(errno), errno, "cannot open %s", path);
		goto done;
	}
	r->fd = fd;
	if (fstat(fd, &r->st) != 0) {
		set_error(r, KS_ERR_IO, errno, "cannot stat %s", path);
		goto done;
	}
	if (r->st.st_dev != lst.st_dev || r->st.st_ino != lst.st_ino ||
	    !S_ISREG(r->st.st_mode)) {
		set_error(r, KS_ERR_INVALID, 0, "%s was replaced while it was opened", path);
		goto done;
	}
	if ((uint64_t)r->st.st_size > w->e->o.max_size) {
		r->skip_reason = "too-large";
		goto done;
	}
	ks_buf_reset(&w->buf);
	if (ks_buf_reserve(&w->buf, (size_t)r->st.st_size) != KS_OK) {
		set_error(r, KS_ERR_NOMEM, 0, "no memory to read %s", path);
		goto done;
	}
	while (got < (size_t)r->st.st_size) {
		k = pread(fd, w->buf.data + got, (size_t)r->st.st_size - got,
			  (off_t)got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			set_error(r, KS_ERR_IO, errno, "cannot read %s", path);
			goto done;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	w->buf.len = got;
	ks_pause_point("scan-after-read");
	if (fstat(fd, &st2) != 0 || got != (size_t)r->st.st_size ||
	    !same_times(&r->st, &st2)) {
		set_error(r, KS_ERR_INVALID, 0, "%s changed while it was read", path);
		goto done;
	}
	scan_bytes(w, w->buf.data, got, path, r->owner);
	if (cache != NULL && r->nmatches == 0 && r->err_msg == NULL) {
		memcpy(ce.sha256, r->sha256, sizeof ce.sha256);
		snprintf(ce.mime, sizeof ce.mime, "%s", r->mime ? r->mime : "");
		snprintf(ce.desc, sizeof ce.desc, "%s", r->desc ? r->desc : "");
		kf_cache_put(cache, &r->st, &ce);
	}
done:
	if (t->pfd >= 0)
		close(t->pfd);
	t->pfd = -1;
	finish(r, t0);
	w->r = NULL;
}

void kf_scan_path(struct kf_worker *w, const char *path, int flags,
		  struct kf_cache *cache, struct kf_result *r)
{
	struct target t = { path, -1, NULL, flags, -1 };

	scan_target(w, &t, cache, r);
}

void kf_scan_beneath(struct kf_worker *w, int rootfd, const char *rel,
		     const char *display, struct kf_cache *cache,
		     struct kf_result *r)
{
	struct target t = { display, rootfd, rel, 0, -1 };

	scan_target(w, &t, cache, r);
}
