#include "file/action.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fault.h"

#define msg(r, ...) ks_arena_printf(&(r)->arena, __VA_ARGS__)

/* The path still names the file that was scanned. */
static int same_file(const struct kf_result *r)
{
	struct stat st;

	return lstat(r->path, &st) == 0 && st.st_dev == r->st.st_dev &&
	       st.st_ino == r->st.st_ino;
}

static const char *first_detection(const struct kf_result *r)
{
	return r->nmatches > 0 ? r->matches[0].rule : "unknown";
}

static int do_quarantine(struct kf_result *r, const struct kf_action_ctx *ctx,
			 int remove, const char *reason, struct kf_attempt *at)
{
	struct kf_quar_info info;
	struct ks_err err;
	const char *path;

	if (ctx->quar == NULL) {
		at->detail = "no quarantine directory is configured";
		return 0;
	}
	if (r->fd < 0) {
		at->detail = "the file is not open";
		return 0;
	}
	info.detection = first_detection(r);
	info.vm = ctx->vm;
	info.reason = reason;
	info.sha256 = r->sha256;
	/* The entry records an absolute path, so that a restore from
	 * another directory puts the file back where it was. */
	path = r->path;
	if (path[0] != '/') {
		char cwd[4096];

		if (getcwd(cwd, sizeof cwd) == NULL) {
			at->detail = "cannot tell the current directory";
			return 0;
		}
		path = ks_arena_printf(&r->arena, "%s/%s", cwd, r->path);
		if (path == NULL) {
			at->detail = "out of memory";
			return 0;
		}
	}
	if (kf_quar_put(ctx->quar, r->fd, &r->st, path, &info, remove,
			at->quarantine_id, &err) != KS_OK) {
		at->detail = ks_arena_strdup(&r->arena, err.msg);
		at->quarantine_id[0] = '\0';
		return 0;
	}
	return 1;
}

static int do_delete(struct kf_result *r, struct kf_attempt *at)
{
	if (!same_file(r)) {
		at->detail = "the path no longer names the scanned file";
		return 0;
	}
	if (unlink(r->path) != 0) {
		at->detail = ks_arena_printf(&r->arena, "cannot delete: %s",
					     strerror(errno));
		return 0;
	}
	at->detail = "deleted";
	return 1;
}

/* ---- disinfection ------------------------------------------------------- */

struct cure {
	uint64_t cut;            /* new length */
	struct range { uint64_t off, len; uint8_t fill; } *wipes;
	size_t nwipes;
};

static int hit_selected(const struct kf_hit *h, const struct kf_meta *which)
{
	return which == NULL || (which->s != NULL && strcmp(which->s, h->id) == 0);
}

/* Work out the cure from the matches; NULL reason means it is possible. */
static const char *plan(struct kf_result *r, struct cure *c)
{
	c->cut = r->len;
	c->nwipes = 0;
	c->wipes = NULL;
	for (size_t i = 0; i < r->nmatches; i++) {
		const struct kf_match *m = &r->matches[i];
		const struct kf_meta *how, *which, *fill;
		int any = 0;

		if (m->source == KF_SRC_HASH)
			return msg(r, "%s is a hash-list detection, which has "
				   "no cure", m->rule);
		if (m->member != NULL)
			return msg(r, "%s was found inside an archive member, "
				   "which cannot be cured in place", m->rule);
		how = kf_match_meta(m, "ksvm_cure");
		if (how == NULL || how->type != KF_META_STRING)
			return msg(r, "rule %s declares no cure (ksvm_cure)",
				   m->rule);
		which = kf_match_meta(m, "ksvm_cure_string");
		if (which != NULL && which->type != KF_META_STRING)
			return msg(r, "rule %s: ksvm_cure_string must be a "
				   "string such as \"$payload\"", m->rule);
		if (m->hits_total > m->nhits)
			return msg(r, "rule %s matched too often to cure "
				   "safely", m->rule);
		if (strcmp(how->s, "truncate") == 0) {
			for (size_t k = 0; k < m->nhits; k++) {
				if (!hit_selected(&m->hits[k], which))
					continue;
				any = 1;
				if (m->hits[k].offset < c->cut)
					c->cut = m->hits[k].offset;
			}
		} else if (strcmp(how->s, "wipe") == 0) {
			int64_t f = 0;

			fill = kf_match_meta(m, "ksvm_cure_fill");
			if (fill != NULL) {
				if (fill->type != KF_META_INT || fill->i < 0 ||
				    fill->i > 255)
					return msg(r, "rule %s: ksvm_cure_fill "
						   "must be a number 0..255",
						   m->rule);
				f = fill->i;
			}
			for (size_t k = 0; k < m->nhits; k++) {
				struct range *nw;

				if (!hit_selected(&m->hits[k], which))
					continue;
				any = 1;
				nw = ks_arena_alloc(&r->arena, (c->nwipes + 1) *
								       sizeof *nw);
				if (nw == NULL)
					return "out of memory";
				if (c->nwipes > 0)
					memcpy(nw, c->wipes,
					       c->nwipes * sizeof *nw);
				nw[c->nwipes].off = m->hits[k].offset;
				nw[c->nwipes].len = m->hits[k].length;
				nw[c->nwipes].fill = (uint8_t)f;
				c->wipes = nw;
				c->nwipes++;
			}
		} else {
			return ks_arena_printf(&r->arena, "rule %s: unknown cure "
					       "'%s' (truncate, wipe)", m->rule,
					       how->s);
		}
		if (!any)
			return msg(r, "rule %s: the cure string did not match",
				   m->rule);
	}
	if (c->cut == 0)
		return "the cure would leave nothing of the file";
	return NULL;
}

/* Write `data` to a new file beside the original and rename it over it. */
static const char *replace(struct kf_result *r, const uint8_t *data,
			   size_t len)
{
	char *dir, *tmp;
	int fd, dfd;
	size_t off = 0;
	struct stat now;

	dir = ks_arena_strdup(&r->arena, r->path);
	tmp = ks_arena_printf(&r->arena, "%s.ksvm-cure-XXXXXX", r->path);
	if (dir == NULL || tmp == NULL)
		return "out of memory";
	dir = dirname(dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ks_arena_printf(&r->arena, "cannot create the cured "
				       "file: %s", strerror(errno));
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto fail;
		off += (size_t)k;
	}
	if (fchmod(fd, r->st.st_mode & 07777) != 0)
		goto fail;
	/* Only root can give a file away; elsewhere the owner stays. */
	if (fchown(fd, r->st.st_uid, r->st.st_gid) != 0 && errno != EPERM)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	close(fd);
	fd = -1;
	/* The original must not have changed since it was scanned. */
	if (fstat(r->fd, &now) != 0 || now.st_size != r->st.st_size ||
	    now.st_mtim.tv_nsec != r->st.st_mtim.tv_nsec ||
	    now.st_mtim.tv_sec != r->st.st_mtim.tv_sec || !same_file(r)) {
		unlink(tmp);
		return "the file changed while it was being cured";
	}
	ks_fault_point("disinfect-before-rename");
	if (rename(tmp, r->path) != 0) {
		int e = errno;

		unlink(tmp);
		return ks_arena_printf(&r->arena, "cannot replace the file: %s",
				       strerror(e));
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return NULL;
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return ks_arena_printf(&r->arena, "cannot write the cured file: "
				       "%s", strerror(e));
	}
}

static int do_disinfect(struct kf_worker *w, struct kf_result *r,
			const struct kf_action_ctx *ctx, struct kf_attempt *at)
{
	struct cure c;
	const char *why;
	uint8_t *cured;
	struct kf_result again;
	size_t len;

	if (r->fd < 0 || r->data == NULL) {
		at->detail = "the file is not open";
		return 0;
	}
	why = plan(r, &c);
	if (why != NULL) {
		at->detail = why;
		return 0;
	}
	len = (size_t)c.cut;
	cured = malloc(len ? len : 1);
	if (cured == NULL) {
		at->detail = "out of memory";
		return 0;
	}
	memcpy(cured, r->data, len);
	for (size_t i = 0; i < c.nwipes; i++) {
		uint64_t o = c.wipes[i].off, n = c.wipes[i].len;

		if (o >= len)
			continue;
		if (n > len - o)
			n = len - o;
		memset(cured + o, c.wipes[i].fill, (size_t)n);
	}
	/* Save the original first, so the cure can always be undone. */
	if (!do_quarantine(r, ctx, 0, "disinfect-backup", at)) {
		at->detail = msg(r, "cannot save the original: %s", at->detail);
		free(cured);
		return 0;
	}
	kf_result_init(&again);
	kf_scan_buffer(w, cured, len, r->path, &again);
	if (again.verdict != KF_CLEAN) {
		at->detail = again.verdict == KF_INFECTED ?
				     msg(r, "still detected after the cure (%s)",
					 again.matches[0].rule) :
				     "the cured file could not be scanned";
		kf_result_free(&again);
		free(cured);
		return 0;
	}
	kf_result_free(&again);
	why = replace(r, cured, len);
	free(cured);
	if (why != NULL) {
		at->detail = why;
		return 0;
	}
	at->detail = ks_arena_printf(&r->arena, "cured: %zu of %zu bytes kept, "
				     "%zu ranges wiped", len, r->len, c.nwipes);
	return 1;
}

void kf_act(struct kf_worker *w, const struct kf_profile *p,
	    struct kf_result *r, const struct kf_action_ctx *ctx,
	    struct kf_outcome *out)
{
	memset(out, 0, sizeof *out);
	if (r->verdict != KF_INFECTED)
		return;
	for (size_t i = 0; i < p->nchain && !out->done; i++) {
		struct kf_attempt *at = &out->attempts[out->n++];
		int ok = 0;

		at->action = p->chain[i];
		switch (p->chain[i]) {
		case KF_ACT_REPORT:
			ok = 1;
			break;
		case KF_ACT_BLOCK:
			ok = 1;
			out->deny = 1;
			break;
		case KF_ACT_DISINFECT:
			ok = do_disinfect(w, r, ctx, at);
			break;
		case KF_ACT_QUARANTINE:
			ok = do_quarantine(r, ctx, 1, "quarantine", at);
			out->deny = 1;
			break;
		case KF_ACT_DELETE:
			ok = do_delete(r, at);
			out->deny = 1;
			break;
		}
		at->ok = ok;
		if (ok) {
			out->done = 1;
			out->taken = p->chain[i];
		}
	}
	/* Nothing worked: the file stays where it is, so keep it away from
	 * the guest. */
	if (!out->done)
		out->deny = 1;
}
