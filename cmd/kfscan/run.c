/*
 * kfscan's run: rules, cache and quarantine set up, worker threads fed
 * from paths, path lists or requests, one record per file, stats at the
 * end, and the exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/progress.h"
#include "cli/sig.h"
#include "core/exitcode.h"
#include "core/queue.h"
#include "file/action.h"
#include "file/record.h"
#include "file/request.h"
#include "json/reader.h"
#include "kfscan.h"

/* libyara serves at most this many scanning threads at once. */
#define MAX_WORKERS 32
#define MAX_LISTED_PATH 4096

struct job {
	char *path;
	struct json_object *req;    /* the request (a reference), or NULL */
	struct kf_request rq;       /* borrows from req */
	int flags;
};

struct counters {
	uint64_t files, bytes, clean, infected, errors, skipped, cached,
		 archives, members, actions_failed;
};

struct run {
	struct opts *o;
	struct kf_profiles *ps;
	const struct kf_profile *profile;
	struct kf_rules *rules;
	struct kf_hashlist *hashes;
	struct kf_engine eng;
	struct kf_cache *cache;
	struct kf_quar *quar;
	struct ks_out out;
	struct ks_queue q;
	struct kj_writer mw;          /* the main thread's writer */
	struct ks_progress prog;
	pthread_mutex_t lock;         /* counters and out_dead */
	struct counters c;
	uint64_t excluded;
	int out_dead;
	int input_failed;             /* a path, list or request failed */
	uint64_t t0;
};

/* ---- output --------------------------------------------------------------- */

static void flush_writer(struct run *run, struct kj_writer *w)
{
	struct ks_err err;

	if (kj_flush(w, &run->out, &err) == KS_OK)
		return;
	pthread_mutex_lock(&run->lock);
	if (!run->out_dead) {
		run->out_dead = 1;
		ks_progress_clear(&run->prog);
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
	}
	pthread_mutex_unlock(&run->lock);
}

static void count(struct run *run, const struct kf_result *r,
		  const struct kf_outcome *oc)
{
	pthread_mutex_lock(&run->lock);
	run->c.files++;
	switch (r->verdict) {
	case KF_CLEAN: run->c.clean++; break;
	case KF_INFECTED: run->c.infected++; break;
	case KF_SKIPPED: run->c.skipped++; break;
	case KF_ERROR: run->c.errors++; break;
	}
	if (r->have_st && r->verdict != KF_SKIPPED)
		run->c.bytes += (uint64_t)r->st.st_size;
	run->c.cached += (uint64_t)r->cached;
	run->c.archives += r->archive.archives;
	run->c.members += r->archive.members;
	if (oc != NULL && oc->n > 0 && !oc->done)
		run->c.actions_failed++;
	pthread_mutex_unlock(&run->lock);
}

static void stats_record(struct run *run, struct kj_writer *w)
{
	struct counters c;

	pthread_mutex_lock(&run->lock);
	c = run->c;
	pthread_mutex_unlock(&run->lock);
	kj_record_begin(w, ks_time_now(), "stats", PROGRAM);
	kj_obj_open(w, "stats");
	kj_uint(w, "files", c.files);
	kj_uint(w, "bytes", c.bytes);
	kj_uint(w, "clean", c.clean);
	kj_uint(w, "infected", c.infected);
	kj_uint(w, "errors", c.errors);
	kj_uint(w, "skipped", c.skipped);
	kj_uint(w, "excluded", run->excluded);
	kj_uint(w, "cached", c.cached);
	kj_uint(w, "archives", c.archives);
	kj_uint(w, "members", c.members);
	kj_uint(w, "actions_failed", c.actions_failed);
	kj_uint(w, "rules", run->rules != NULL ? run->rules->nrules : 0);
	kj_uint(w, "hashes", run->hashes != NULL ?
				     kf_hashlist_count(run->hashes) : 0);
	kj_uint(w, "jobs", run->o->cli.jobs);
	kj_uint(w, "elapsed_ms", (ks_mono_usec() - run->t0) / 1000);
	kj_obj_close(w);
	kj_record_end(w);
}

/* SIGUSR1: one stats line on stderr. */
static void poll_signals(struct run *run)
{
	struct kj_writer w;

	if (!ks_sig_take_stats())
		return;
	kj_writer_init(&w, 0);
	stats_record(run, &w);
	ks_progress_clear(&run->prog);
	if (write(STDERR_FILENO, w.buf.data, w.buf.len) < 0)
		run->input_failed = 1;
	kj_writer_free(&w);
}

/* ---- workers -------------------------------------------------------------- */

static void free_job(struct job *j)
{
	if (j == NULL)
		return;
	free(j->path);
	if (j->req != NULL)
		json_object_put(j->req);
	free(j);
}

struct worker_ctx {
	struct run *run;
	struct kf_worker *w;
	pthread_t thread;
	int started;
};

/* A request with a root: the guest's path, resolved beneath the root. */
static void scan_in_root(struct kf_worker *w, struct job *j,
			 struct kf_cache *cache, struct kf_result *res)
{
	int rootfd = open(j->rq.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *display = NULL;
	size_t rl = strlen(j->rq.root);

	/* The record names the file as the host sees it. */
	if (asprintf(&display, "%.*s/%s", (int)(rl > 1 && j->rq.root[rl - 1] == '/' ?
						       rl - 1 : rl),
		     j->rq.root, j->path + strspn(j->path, "/")) < 0)
		display = NULL;
	if (rootfd < 0 || display == NULL) {
		int e = errno;

		res->path = ks_arena_strdup(&res->arena, display ? display : j->path);
		res->verdict = KF_ERROR;
		res->err_kind = ks_status_from_errno(e);
		res->err_msg = ks_arena_printf(&res->arena, "cannot open the "
					       "root %s: %s", j->rq.root,
					       strerror(e));
	} else {
		kf_scan_beneath(w, rootfd, j->path, display, cache, res);
	}
	if (rootfd >= 0)
		close(rootfd);
	free(display);
}

static int want_record(const struct run *run, const struct kf_result *r)
{
	return !run->o->detections_only || r->verdict == KF_INFECTED ||
	       r->verdict == KF_ERROR;
}

static void *worker_main(void *arg)
{
	struct worker_ctx *wc = arg;
	struct run *run = wc->run;
	struct kj_writer wr;
	struct kf_result res;
	struct kf_outcome oc;
	struct job *j;

	kj_writer_init(&wr, 0);
	kf_result_init(&res);
	while ((j = ks_queue_pop(&run->q)) != NULL) {
		const struct kf_profile *p = run->profile;
		struct kf_action_ctx actx = { run->quar, run->o->vm };
		struct kf_record_ctx rc = { PROGRAM, NULL, run->o->vm, NULL, NULL };

		if (j->req != NULL) {
			rc.id = j->rq.id;
			rc.event = j->rq.event;
			if (j->rq.vm != NULL)
				rc.vm = actx.vm = j->rq.vm;
			if (j->rq.profile != NULL) {
				p = kf_profile_find(run->ps, j->rq.profile);
				if (p == NULL) {
					char m[128];

					snprintf(m, sizeof m, "unknown profile '%s'",
						 j->rq.profile);
					kf_record_request_error(&wr, PROGRAM, rc.id,
								j->path,
								KS_ERR_INVALID, m);
					flush_writer(run, &wr);
					pthread_mutex_lock(&run->lock);
					run->c.errors++;
					pthread_mutex_unlock(&run->lock);
					free_job(j);
					continue;
				}
			}
		}
		rc.profile = p->name;
		kf_result_reset(&res);
		if (j->req != NULL && j->rq.root != NULL)
			scan_in_root(wc->w, j, run->cache, &res);
		else
			kf_scan_path(wc->w, j->path, j->flags, run->cache, &res);
		memset(&oc, 0, sizeof oc);
		if (res.verdict == KF_INFECTED && (j->req == NULL || j->rq.act)) {
			kf_act(wc->w, p, &res, &actx, &oc);
			/* An infected file must not stay marked clean. */
			if (run->cache != NULL && res.have_st)
				kf_cache_forget(run->cache, &res.st);
		}
		count(run, &res, &oc);
		if (want_record(run, &res)) {
			if (kf_record_file(&wr, &res, &oc, &rc) != KS_OK)
				kj_error_record(&wr, PROGRAM, j->path, 0,
						KS_ERR_LIMIT,
						"the record of this file was "
						"larger than the record cap");
			flush_writer(run, &wr);
		}
		free_job(j);
	}
	kf_result_free(&res);
	kj_writer_free(&wr);
	return NULL;
}

/* ---- producers ------------------------------------------------------------ */

static int push(struct run *run, char *path, struct json_object *req,
		const struct kf_request *rq, int flags)
{
	struct job *j = calloc(1, sizeof *j);

	if (j == NULL) {
		free(path);
		return -1;
	}
	j->path = path;
	j->req = req;
	if (rq != NULL)
		j->rq = *rq;
	j->flags = flags;
	if (ks_queue_push(&run->q, j) != 0) {
		free_job(j);
		return -1;
	}
	return 0;
}

/* A skipped or unreadable entry found by the walker. */
static void walker_record(struct run *run, const struct kf_walk_entry *e)
{
	struct kf_result r;
	struct kf_record_ctx rc = { PROGRAM, NULL, run->o->vm, NULL, NULL };

	kf_result_init(&r);
	r.path = e->path;
	if (e->kind == KF_WALK_SKIP) {
		r.verdict = KF_SKIPPED;
		r.skip_reason = e->reason;
		r.st = e->st;
		r.have_st = 1;
	} else {
		r.verdict = KF_ERROR;
		r.err_kind = ks_status_from_errno(e->err);
		r.err_msg = ks_arena_printf(&r.arena, "cannot read %s: %s",
					    e->path, strerror(e->err));
	}
	count(run, &r, NULL);
	if (want_record(run, &r)) {
		kf_record_file(&run->mw, &r, NULL, &rc);
		flush_writer(run, &run->mw);
	}
	kf_result_free(&r);
}

struct walk_ctx {
	struct run *run;
};

static int walk_cb(void *ctx, const struct kf_walk_entry *e)
{
	struct walk_ctx *wc = ctx;
	struct run *run = wc->run;
	char *p;

	poll_signals(run);
	if (ks_sig_stop() || run->out_dead)
		return 1;
	ks_progress_update(&run->prog, "%s: %llu files, %llu found", PROGRAM,
			   (unsigned long long)run->c.files,
			   (unsigned long long)run->c.infected);
	if (e->kind != KF_WALK_FILE) {
		walker_record(run, e);
		return 0;
	}
	p = strdup(e->path);
	if (p == NULL)
		return 1;
	/* The root was named by the user: follow it if it is a link. */
	return push(run, p, NULL, NULL,
		    run->o->follow || e->depth == 0 ? KF_SCAN_FOLLOW : 0) != 0;
}

static void walk_path(struct run *run, const char *path,
		      const struct kf_walk_opts *wo)
{
	struct walk_ctx wc = { run };
	struct kf_walk_stats ws;
	struct ks_err err;

	memset(&ws, 0, sizeof ws);
	kf_walk(path, wo, walk_cb, &wc, &ws, &err);
	pthread_mutex_lock(&run->lock);
	run->excluded += ws.excluded;
	pthread_mutex_unlock(&run->lock);
}

/* Paths listed in a file or on stdin, newline- or NUL-separated. */
static void read_list(struct run *run, const char *name,
		      const struct kf_walk_opts *wo)
{
	struct kj_lines l;
	char chunk[65536];
	char *line;
	size_t len;
	ssize_t n;
	int fd, eof = 0, decided = run->o->null_sep;
	enum ks_status st;

	fd = strcmp(name, "-") == 0 ? STDIN_FILENO :
				      open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		struct kf_walk_entry e = { .kind = KF_WALK_ERROR, .path = name,
					   .err = errno };

		walker_record(run, &e);
		run->input_failed = 1;
		return;
	}
	kj_lines_init(&l, MAX_LISTED_PATH);
	if (run->o->null_sep)
		l.sep = '\0';
	while (!ks_sig_stop() && !run->out_dead) {
		poll_signals(run);
		st = kj_lines_next(&l, &line, &len, eof);
		if (st == KS_EOF)
			break;
		if (st == KS_ERR_LIMIT) {
			char m[128];

			snprintf(m, sizeof m, "entry %llu is longer than %d bytes",
				 (unsigned long long)l.line_no, MAX_LISTED_PATH);
			kj_error_record(&run->mw, PROGRAM, name, l.line_no,
					KS_ERR_LIMIT, m);
			flush_writer(run, &run->mw);
			run->input_failed = 1;
			continue;
		}
		if (st == KS_OK) {
			char *p;

			if (len > 0 && l.sep == '\n' && line[len - 1] == '\r')
				len--;
			if (len == 0)
				continue;
			p = strndup(line, len);
			if (p == NULL)
				break;
			if (memchr(line, '\0', len) != NULL ||
			    strlen(p) != len) {
				free(p);
				continue;
			}
			walk_path(run, p, wo);
			free(p);
			continue;
		}
		n = read(fd, chunk, sizeof chunk < kj_lines_room(&l) ?
					   sizeof chunk : kj_lines_room(&l));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			struct kf_walk_entry e = { .kind = KF_WALK_ERROR,
						   .path = name, .err = errno };

			walker_record(run, &e);
			run->input_failed = 1;
			break;
		}
		if (n == 0) {
			eof = 1;
			continue;
		}
		/* Without -0, a list holding NUL bytes is NUL-separated
		 * (find -print0); decide on the first chunk. */
		if (!decided) {
			decided = 1;
			if (memchr(chunk, '\0', (size_t)n) != NULL)
				l.sep = '\0';
		}
		kj_lines_push(&l, chunk, (size_t)n);
	}
	kj_lines_free(&l);
	if (fd != STDIN_FILENO)
		close(fd);
}

static void read_requests(struct run *run)
{
	struct kj_reader rd;
	struct json_object *obj;
	struct kf_request rq;
	struct ks_err err;
	enum ks_status st;

	if (kj_reader_init(&rd, STDIN_FILENO, NULL, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		run->input_failed = 1;
		return;
	}
	while (!ks_sig_stop() && !run->out_dead) {
		poll_signals(run);
		st = kj_reader_next(&rd, &obj, &err);
		if (st == KS_EOF)
			break;
		if (st == KS_INTERRUPTED)
			continue;
		if (st == KS_ERR_IO) {
			kj_error_record(&run->mw, PROGRAM, "-", 0, st, err.msg);
			flush_writer(run, &run->mw);
			run->input_failed = 1;
			break;
		}
		if (st != KS_OK) {
			kj_error_record(&run->mw, PROGRAM, "-",
					kj_reader_line(&rd), st, err.msg);
			flush_writer(run, &run->mw);
			run->input_failed = 1;
			continue;
		}
		if (kf_request_parse(obj, &rq, &err) != KS_OK) {
			/* With an id the requester gets its answer; without
			 * one, an error record with the line says why. */
			if (rq.id != NULL)
				kf_record_request_error(&run->mw, PROGRAM, rq.id,
							NULL, KS_ERR_INVALID,
							err.msg);
			else
				kj_error_record(&run->mw, PROGRAM, "-",
						kj_reader_line(&rd),
						KS_ERR_INVALID, err.msg);
			flush_writer(run, &run->mw);
			run->input_failed = 1;
			json_object_put(obj);
			continue;
		}
		char *p = strdup(rq.path);

		if (p == NULL || push(run, p, obj, &rq, 0) != 0)
			break;
	}
	kj_reader_free(&rd);
}

/* ---- set-up ------------------------------------------------------------- */

static void print_rule_diags(const struct run *run)
{
	const struct kf_rules *r = run->rules;
	size_t warnings = 0;

	for (size_t i = 0; i < r->ndiags; i++) {
		const struct kf_rule_diag *d = &r->diags[i];

		if (d->warning) {
			warnings++;
			if (run->o->cli.verbosity < 1)
				continue;
		} else if (run->o->cli.verbosity < 0 && run->o->skip_bad) {
			continue;
		}
		if (d->file != NULL && d->line > 0)
			fprintf(stderr, "%s:%d: %s: %s\n", d->file, d->line,
				d->warning ? "warning" : "error", d->message);
		else if (d->file != NULL)
			fprintf(stderr, "%s: %s: %s\n", d->file,
				d->warning ? "warning" : "error", d->message);
		else
			fprintf(stderr, "%s: %s: %s\n", PROGRAM,
				d->warning ? "warning" : "error", d->message);
	}
	if (warnings > 0 && run->o->cli.verbosity == 0)
		fprintf(stderr, "%s: the rules have %zu warnings (-v shows them)\n",
			PROGRAM, warnings);
	for (size_t i = 0; i < r->nskipped && run->o->cli.verbosity >= 0; i++)
		fprintf(stderr, "%s: left out %s (it has errors)\n", PROGRAM,
			r->skipped[i]);
}

static int load_hashes(struct run *run, struct ks_digest *fp)
{
	struct ks_err err;

	if (run->o->hashes.n == 0)
		return 0;
	run->hashes = kf_hashlist_new();
	if (run->hashes == NULL)
		return -1;
	for (size_t i = 0; i < run->o->hashes.n; i++) {
		const char *p = run->o->hashes.v[i];
		struct kf_hashlist_load rep;
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		char buf[65536];
		ssize_t n;

		memset(&rep, 0, sizeof rep);
		if (kf_hashlist_add_file(run->hashes, p, &rep, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (rep.bad > 0) {
			fprintf(stderr, "%s: %s: %llu lines are not hash entries "
				"(first at line %llu)\n", PROGRAM, p,
				(unsigned long long)rep.bad,
				(unsigned long long)rep.bad_lines[0]);
		}
		/* The lists' bytes are part of the cache fingerprint. */
		ks_digest_update(fp, p, strlen(p) + 1);
		while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
			ks_digest_update(fp, buf, (size_t)n);
		if (fd >= 0)
			close(fd);
	}
	kf_hashlist_seal(run->hashes);
	return 0;
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static void open_cache(struct run *run, const uint8_t fp[KS_SHA256_LEN])
{
	char *path = NULL;
	struct ks_err err;
	const char *base;

	if (run->o->no_cache)
		return;
	if (run->o->cache != NULL) {
		path = strdup(run->o->cache);
	} else if ((base = getenv("XDG_CACHE_HOME")) != NULL && base[0] == '/') {
		if (asprintf(&path, "%s/ksvm/kfscan.lmdb", base) < 0)
			path = NULL;
	} else if ((base = getenv("HOME")) != NULL && base[0] == '/') {
		if (asprintf(&path, "%s/.cache/ksvm/kfscan.lmdb", base) < 0)
			path = NULL;
	}
	if (path == NULL)
		return;
	mkdir_p(path, 0700);
	if (kf_cache_open(&run->cache, path, fp, 0, &err) != KS_OK) {
		run->cache = NULL;
		if (run->o->cli.verbosity >= 0)
			fprintf(stderr, "%s: scanning without a cache: %s\n",
				PROGRAM, err.msg);
	}
	free(path);
}

static int profile_needs_store(const struct kf_profile *p)
{
	for (size_t i = 0; i < p->nchain; i++)
		if (p->chain[i] == KF_ACT_QUARANTINE ||
		    p->chain[i] == KF_ACT_DISINFECT)
			return 1;
	return 0;
}

static void open_quarantine(struct run *run)
{
	const char *dir = run->o->quarantine ? run->o->quarantine :
					       KFSCAN_QUARANTINE_DIR;
	struct kf_quar_recovery rec;
	struct ks_err err;
	int needed = run->o->requests || profile_needs_store(run->profile);

	if (!needed && run->o->quarantine == NULL)
		return;
	memset(&rec, 0, sizeof rec);
	if (kf_quar_open(&run->quar, dir, &rec, &err) != KS_OK) {
		run->quar = NULL;
		/* Requests may name a profile that needs the store; say so
		 * up front only when the run's own profile needs it. */
		if ((profile_needs_store(run->profile) ||
		     run->o->quarantine != NULL || run->o->cli.verbosity > 0) &&
		    run->o->cli.verbosity >= 0)
			fprintf(stderr, "%s: quarantine is not available: %s\n",
				PROGRAM, err.msg);
		return;
	}
	if ((rec.partial_removed || rec.unlinks_completed) &&
	    run->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: quarantine %s: recovered from an "
			"interrupted move (%llu partial copies removed, %llu "
			"moves completed)\n", PROGRAM, dir,
			(unsigned long long)rec.partial_removed,
			(unsigned long long)rec.unlinks_completed);
}

int kfscan_run(struct opts *o, struct kf_profiles *ps)
{
	struct run run;
	struct kf_rules_opts ro = { o->rules.v, o->skip_bad, o->no_builtin };
	struct ks_err err;
	struct ks_digest *fp;
	uint8_t fingerprint[KS_SHA256_LEN];
	struct worker_ctx *wcs = NULL;
	struct kf_walk_opts wo;
	unsigned nw;
	int rc = KS_EXIT_FAIL, found = 0, failed;

	/* File buffers over 1 MiB are mapped and unmapped each time
	 * (glibc's moving threshold would otherwise keep the largest file's
	 * memory in the heap for the rest of the run). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	memset(&run, 0, sizeof run);
	run.o = o;
	run.ps = ps;
	run.profile = kf_profile_find(ps, o->profile);
	run.t0 = ks_mono_usec();
	pthread_mutex_init(&run.lock, NULL);
	kj_writer_init(&run.mw, 0);
	ks_sig_install();

	if (kf_yara_init(&err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return KS_EXIT_FAIL;
	}
	if (kf_rules_load(&run.rules, &ro, &err) != KS_OK) {
		if (run.rules != NULL)
			print_rule_diags(&run);
		fprintf(stderr, "%s: %s; nothing was scanned%s\n", PROGRAM,
			err.msg, err.status == KS_ERR_INVALID && !o->skip_bad ?
					 " (--skip-bad-rules leaves bad files out)" : "");
		goto out;
	}
	print_rule_diags(&run);
	if (o->save_rules != NULL) {
		if (kf_rules_save(run.rules, o->save_rules, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			goto out;
		}
		if (o->cli.verbosity >= 0)
			fprintf(stderr, "%s: %llu rules compiled into %s\n",
				PROGRAM, (unsigned long long)run.rules->nrules,
				o->save_rules);
		rc = KS_EXIT_CLEAN;
		goto out;
	}
	/* Everything that can change a verdict goes into the cache's
	 * fingerprint, so a change of any of it empties the cache. */
	fp = ks_digest_new(KS_DIGEST_SHA256);
	if (fp == NULL)
		goto out;
	ks_digest_update(fp, run.rules->fingerprint, KS_SHA256_LEN);
	ks_digest_update(fp, &o->eng, sizeof o->eng);
	ks_digest_update(fp, KSVM_VERSION, sizeof KSVM_VERSION);
	if (load_hashes(&run, fp) != 0) {
		ks_digest_free(fp);
		goto out;
	}
	ks_digest_final(fp, fingerprint, NULL);
	ks_digest_free(fp);
	if (o->check_config) {
		if (o->cli.verbosity >= 0)
			fprintf(stderr, "%s: configuration%s%s: %llu rules, %zu "
				"hash lists: valid\n", PROGRAM,
				o->config ? " " : "", o->config ? o->config : "",
				(unsigned long long)run.rules->nrules,
				o->hashes.n);
		rc = KS_EXIT_CLEAN;
		goto out;
	}
	run.eng.rules = run.rules;
	run.eng.hashes = run.hashes;
	run.eng.o = o->eng;
	open_cache(&run, fingerprint);
	open_quarantine(&run);
	if (ks_out_open(&run.out, o->cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out;
	}
	ks_progress_init(&run.prog, stderr, o->cli.verbosity);

	nw = o->cli.jobs;
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if (ks_queue_init(&run.q, 4 * (size_t)nw) != 0)
		goto out_close;
	wcs = calloc(nw, sizeof *wcs);
	if (wcs == NULL)
		goto out_close;
	for (unsigned i = 0; i < nw; i++) {
		wcs[i].run = &run;
		wcs[i].w = kf_worker_new(&run.eng, &err);
		if (wcs[i].w == NULL) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			ks_queue_close(&run.q);
			goto out_join;
		}
		if (pthread_create(&wcs[i].thread, NULL, worker_main, &wcs[i]) != 0) {
			fprintf(stderr, "%s: cannot start a worker thread\n", PROGRAM);
			ks_queue_close(&run.q);
			goto out_join;
		}
		wcs[i].started = 1;
	}

	memset(&wo, 0, sizeof wo);
	wo.include = o->include.n ? o->include.v : NULL;
	wo.exclude = o->exclude.n ? o->exclude.v : NULL;
	wo.exclude_prefix = o->exclude_path.n ? o->exclude_path.v : NULL;
	wo.follow_symlinks = o->follow;
	wo.one_filesystem = o->one_fs;
	if (o->requests) {
		read_requests(&run);
	} else {
		for (int i = 0; i < o->npaths && !ks_sig_stop() && !run.out_dead; i++) {
			if (strcmp(o->paths[i], "-") == 0)
				read_list(&run, "-", &wo);
			else
				walk_path(&run, o->paths[i], &wo);
		}
		for (size_t i = 0; i < o->files_from.n && !ks_sig_stop() &&
				   !run.out_dead; i++)
			read_list(&run, o->files_from.v[i], &wo);
	}
	ks_queue_close(&run.q);
out_join:
	for (unsigned i = 0; i < nw; i++) {
		if (wcs[i].started)
			pthread_join(wcs[i].thread, NULL);
		kf_worker_free(wcs[i].w);
	}
	free(wcs);
	/* Whatever is left was never scanned (a worker failed to start). */
	for (struct job *j; (j = ks_queue_pop(&run.q)) != NULL;)
		free_job(j);
	ks_queue_destroy(&run.q);
	ks_progress_clear(&run.prog);
	if (!o->no_stats && !run.out_dead) {
		stats_record(&run, &run.mw);
		flush_writer(&run, &run.mw);
	}
	if (ks_sig_stop() && o->cli.verbosity >= 0)
		fprintf(stderr, "%s: stopped by signal %d; %llu files scanned\n",
			PROGRAM, ks_sig_stop(), (unsigned long long)run.c.files);
	found = run.c.infected > 0;
	/* A scan of paths cut short by a signal did not look at everything;
	 * a request stream is meant to end that way. */
	failed = run.c.errors > 0 || run.input_failed || run.out_dead ||
		 (ks_sig_stop() != 0 && !o->requests);
	rc = ks_exit_code(found, failed);
out_close:
	if (kf_cache_close(run.cache, &err) != KS_OK && o->cli.verbosity >= 0)
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
	if (ks_out_close(&run.out, &err) != KS_OK && !run.out_dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = ks_exit_code(found, 1);
	}
out:
	kf_quar_close(run.quar);
	kf_hashlist_free(run.hashes);
	kf_rules_free(run.rules);
	kf_yara_fini();
	kj_writer_free(&run.mw);
	pthread_mutex_destroy(&run.lock);
	return rc;
}
