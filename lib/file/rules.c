#include "file/rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file/builtin-rules.h"

const char *const kf_rule_externals[] = {
	"filename", "filepath", "extension", "filetype", "owner", NULL
};

#define MAX_RULE_FILE (64u << 20)
#define MAX_RULE_FILES 100000u
#define MAX_DIAGS 1000u
#define MAX_DIR_DEPTH 64

enum ks_status kf_yara_init(struct ks_err *err)
{
	int r = yr_initialize();

	if (r != ERROR_SUCCESS)
		return ks_err_set(err, KS_ERR_INTERNAL,
				  "libyara failed to start (error %d)", r);
	return KS_OK;
}

void kf_yara_fini(void)
{
	yr_finalize();
}

void kf_rules_free(struct kf_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nsets; i++) {
		if (r->sets[i] != NULL)
			yr_rules_destroy(r->sets[i]);
		free(r->set_names[i]);
	}
	for (size_t i = 0; i < r->ndiags; i++) {
		free(r->diags[i].file);
		free(r->diags[i].message);
	}
	for (size_t i = 0; i < r->nskipped; i++)
		free(r->skipped[i]);
	free(r->sets);
	free(r->set_names);
	free(r->diags);
	free(r->skipped);
	free(r);
}

/* ---- the list of input files ------------------------------------------ */

struct file {
	char *path;
	char *text;      /* content, NUL-terminated */
	size_t len;
	int compiled;
	int bad;         /* had errors: left out in skip mode */
};

struct files {
	struct file *v;
	size_t n, cap;
};

static void files_free(struct files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].text);
	}
	free(f->v);
}

static enum ks_status read_all(const char *path, char **text, size_t *len,
			       struct ks_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t k;

	if (fd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open rules %s", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ks_err_set(err, KS_ERR_INVALID,
				  "rules %s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > MAX_RULE_FILE) {
		close(fd);
		return ks_err_set(err, KS_ERR_LIMIT,
				  "rules %s: larger than %u MiB", path,
				  MAX_RULE_FILE >> 20);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return ks_err_sys(err, KS_ERR_IO, e,
					  "cannot read rules %s", path);
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return KS_OK;
}

static enum ks_status add_file(struct files *f, const char *path,
			       struct ks_err *err)
{
	struct file *nf;
	enum ks_status st;

	if (f->n >= MAX_RULE_FILES)
		return ks_err_set(err, KS_ERR_LIMIT,
				  "more than %u rule files", MAX_RULE_FILES);
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;

		nf = realloc(f->v, ncap * sizeof *nf);
		if (nf == NULL)
			return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		f->v = nf;
		f->cap = ncap;
	}
	nf = &f->v[f->n];
	memset(nf, 0, sizeof *nf);
	nf->path = strdup(path);
	if (nf->path == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	st = read_all(path, &nf->text, &nf->len, err);
	if (st != KS_OK) {
		free(nf->path);
		return st;
	}
	/* libyara's compiled files start with the bytes "YARA". */
	nf->compiled = nf->len >= 4 && memcmp(nf->text, "YARA", 4) == 0;
	f->n++;
	return KS_OK;
}

static int rule_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && strcmp(name + n - 4, ".yar") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".yara") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum ks_status add_dir(struct files *f, const char *dir, int depth,
			      struct ks_err *err)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	enum ks_status st = KS_OK;

	if (depth > MAX_DIR_DEPTH)
		return ks_err_set(err, KS_ERR_LIMIT,
				  "rules directory %s nested too deep", dir);
	d = opendir(dir);
	if (d == NULL)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open rules directory %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 32) *
						   sizeof *nn);

			if (nn == NULL) {
				st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
				goto out;
			}
			names = nn;
			cap = cap ? cap * 2 : 32;
		}
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0) {
			st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && st == KS_OK; i++) {
		struct stat sb;

		if (lstat(names[i], &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			st = add_dir(f, names[i], depth + 1, err);
		else if (S_ISREG(sb.st_mode) && rule_name(names[i]))
			st = add_file(f, names[i], err);
	}
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return st;
}

/* ---- compiling ---------------------------------------------------------- */

struct compile_ctx {
	struct kf_rules *r;
	struct files *files;
	int record;          /* keep diagnostics (the final pass only) */
	int errors;
};

static void add_diag(struct kf_rules *r, const char *file, int line,
		     int warning, const char *msg)
{
	struct kf_rule_diag *d;

	if (r->ndiags >= MAX_DIAGS)
		return;
	d = realloc(r->diags, (r->ndiags + 1) * sizeof *d);
	if (d == NULL)
		return;
	r->diags = d;
	d = &r->diags[r->ndiags];
	d->file = file != NULL ? strdup(file) : NULL;
	d->line = line;
	d->warning = warning;
	d->message = strdup(msg != NULL ? msg : "");
	r->ndiags++;
}

static void compile_cb(int level, const char *file, int line,
		       const YR_RULE *rule, const char *msg, void *user)
{
	struct compile_ctx *c = user;

	(void)rule;
	if (level == YARA_ERROR_LEVEL_ERROR) {
		c->errors++;
		/* Mark the file so that skip mode can leave it out. */
		for (size_t i = 0; file != NULL && i < c->files->n; i++)
			if (strcmp(c->files->v[i].path, file) == 0)
				c->files->v[i].bad = 1;
	}
	if (c->record || level == YARA_ERROR_LEVEL_ERROR)
		add_diag(c->r, file, line, level == YARA_ERROR_LEVEL_WARNING,
			 msg);
}

/* Forget the warnings recorded since index `from`, keeping errors. */
static void drop_warnings(struct kf_rules *r, size_t from)
{
	size_t w = from;

	for (size_t i = from; i < r->ndiags; i++) {
		if (r->diags[i].warning) {
			free(r->diags[i].file);
			free(r->diags[i].message);
			continue;
		}
		r->diags[w++] = r->diags[i];
	}
	r->ndiags = w;
}

static int define_externals(YR_COMPILER *comp)
{
	for (size_t i = 0; kf_rule_externals[i] != NULL; i++)
		if (yr_compiler_define_string_variable(
			    comp, kf_rule_externals[i], "") != ERROR_SUCCESS)
			return -1;
	return 0;
}

static enum ks_status push_set(struct kf_rules *r, YR_RULES *set,
			       const char *name, struct ks_err *err)
{
	YR_RULES **s = realloc(r->sets, (r->nsets + 1) * sizeof *s);
	char **n;
	YR_RULES_STATS stats;

	if (s == NULL) {
		yr_rules_destroy(set);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	r->sets = s;
	n = realloc(r->set_names, (r->nsets + 1) * sizeof *n);
	if (n == NULL) {
		yr_rules_destroy(set);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	r->set_names = n;
	r->sets[r->nsets] = set;
	r->set_names[r->nsets] = strdup(name);
	r->nsets++;
	if (yr_rules_get_stats(set, &stats) == ERROR_SUCCESS)
		r->nrules += stats.num_rules;
	return KS_OK;
}

/* Compile the sources not marked bad; YARA's compiler cannot go on after
 * an error, so each attempt uses a new one. */
static enum ks_status compile_sources(struct kf_rules *r, struct files *f,
				      int record, int *errors,
				      YR_RULES **out, struct ks_err *err)
{
	YR_COMPILER *comp = NULL;
	struct compile_ctx c = { r, f, record, 0 };
	int any = 0;

	*out = NULL;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS)
		return ks_err_set(err, KS_ERR_NOMEM, "cannot create a YARA compiler");
	yr_compiler_set_callback(comp, compile_cb, &c);
	if (define_externals(comp) != 0) {
		yr_compiler_destroy(comp);
		return ks_err_set(err, KS_ERR_INTERNAL,
				  "cannot define external variables");
	}
	for (size_t i = 0; i < f->n; i++) {
		struct file *fl = &f->v[i];

		if (fl->compiled || fl->bad)
			continue;
		any = 1;
		/* A file with a NUL byte is not rule text: libyara would
		 * stop reading at it and report a misleading error. */
		if (memchr(fl->text, '\0', fl->len) != NULL) {
			compile_cb(YARA_ERROR_LEVEL_ERROR, fl->path, 0, NULL,
				   "NUL byte in rule source", &c);
			break;
		}
		/* The text was read once (for the fingerprint); the
		 * compiler gets it as a stream named by its path, so that
		 * diagnostics have file and line and includes resolve
		 * relative to the file. */
		FILE *mf = fmemopen(fl->text, fl->len ? fl->len : 1, "r");

		if (mf == NULL) {
			yr_compiler_destroy(comp);
			return ks_err_sys(err, KS_ERR_NOMEM, errno,
					  "cannot read rules %s", fl->path);
		}
		yr_compiler_add_file(comp, mf, NULL, fl->path);
		fclose(mf);
		if (c.errors > 0)
			break;
	}
	*errors = c.errors;
	if (c.errors == 0 && any) {
		if (yr_compiler_get_rules(comp, out) != ERROR_SUCCESS) {
			yr_compiler_destroy(comp);
			return ks_err_set(err, KS_ERR_NOMEM,
					  "cannot build the compiled rules");
		}
	}
	yr_compiler_destroy(comp);
	return KS_OK;
}

static enum ks_status fingerprint(struct kf_rules *r, const struct files *f,
				  const struct kf_rules_opts *o)
{
	struct ks_digest *d = ks_digest_new(KS_DIGEST_SHA256);
	uint64_t n;

	if (d == NULL)
		return KS_ERR_NOMEM;
	ks_digest_update(d, "kfscan-rules-1", 14);
	ks_digest_update(d, o->no_builtin ? "-" : "+", 1);
	ks_digest_update(d, o->skip_bad ? "s" : "-", 1);
	for (size_t i = 0; i < f->n; i++) {
		/* Length-prefixed fields: no two inputs hash alike. */
		n = strlen(f->v[i].path);
		ks_digest_update(d, &n, sizeof n);
		ks_digest_update(d, f->v[i].path, n);
		n = f->v[i].len;
		ks_digest_update(d, &n, sizeof n);
		ks_digest_update(d, f->v[i].text, n);
	}
	ks_digest_final(d, r->fingerprint, NULL);
	ks_digest_free(d);
	return KS_OK;
}

static enum ks_status load_compiled(struct kf_rules *r, struct file *fl,
				    struct ks_err *err)
{
	YR_RULES *set = NULL;
	FILE *mf;
	YR_STREAM stream;
	int rc;

	mf = fmemopen(fl->text, fl->len, "r");
	if (mf == NULL)
		return ks_err_sys(err, KS_ERR_NOMEM, errno,
				  "cannot read rules %s", fl->path);
	stream.user_data = mf;
	stream.read = (YR_STREAM_READ_FUNC)fread;
	stream.write = NULL;
	rc = yr_rules_load_stream(&stream, &set);
	fclose(mf);
	if (rc != ERROR_SUCCESS) {
		add_diag(r, fl->path, 0, 0,
			 rc == ERROR_UNSUPPORTED_FILE_VERSION ?
				 "compiled by another libyara version" :
				 "not valid compiled rules");
		return KS_ERR_INVALID;
	}
	return push_set(r, set, fl->path, err);
}

enum ks_status kf_rules_load(struct kf_rules **out,
			     const struct kf_rules_opts *o,
			     struct ks_err *err)
{
	struct kf_rules *r = calloc(1, sizeof *r);
	struct files f = { 0 };
	enum ks_status st = KS_OK;
	YR_RULES *set;
	int errors, bad_compiled = 0;
	struct stat sb;

	*out = r;
	if (r == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	for (size_t i = 0; o->paths != NULL && o->paths[i] != NULL; i++) {
		const char *p = o->paths[i];

		if (stat(p, &sb) != 0) {
			st = ks_err_sys(err, ks_status_from_errno(errno), errno,
					"cannot use rules %s", p);
			goto out;
		}
		st = S_ISDIR(sb.st_mode) ? add_dir(&f, p, 0, err) :
					   add_file(&f, p, err);
		if (st != KS_OK)
			goto out;
	}
	r->nfiles = f.n;
	st = fingerprint(r, &f, o);
	if (st != KS_OK) {
		ks_err_set(err, st, "out of memory");
		goto out;
	}

	/* Sources: in skip mode, leave out each file that fails and try
	 * again.  A failed pass keeps its errors (they explain what was
	 * left out) but not its warnings: the next pass says them again. */
	for (;;) {
		size_t before = r->ndiags;

		st = compile_sources(r, &f, 1, &errors, &set, err);
		if (st != KS_OK)
			goto out;
		if (errors == 0)
			break;
		drop_warnings(r, before);
		if (set != NULL)
			yr_rules_destroy(set);
		set = NULL;
		if (!o->skip_bad) {
			st = ks_err_set(err, KS_ERR_INVALID,
					"the rules have errors");
			goto out;
		}
		size_t marked = 0;

		for (size_t i = 0; i < f.n; i++)
			marked += f.v[i].bad;
		if (marked == r->nskipped) {
			/* An error no file can be blamed for. */
			st = ks_err_set(err, KS_ERR_INVALID,
					"the rules have errors");
			goto out;
		}
		for (size_t i = 0; i < f.n; i++) {
			int listed = 0;

			if (!f.v[i].bad)
				continue;
			for (size_t k = 0; k < r->nskipped; k++)
				listed |= strcmp(r->skipped[k], f.v[i].path) == 0;
			if (listed)
				continue;
			char **ns = realloc(r->skipped,
					    (r->nskipped + 1) * sizeof *ns);

			if (ns == NULL) {
				st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
				goto out;
			}
			r->skipped = ns;
			r->skipped[r->nskipped++] = strdup(f.v[i].path);
		}
	}
	if (set != NULL) {
		st = push_set(r, set, "sources", err);
		if (st != KS_OK)
			goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		if (!f.v[i].compiled)
			continue;
		if (load_compiled(r, &f.v[i], err) != KS_OK) {
			if (!o->skip_bad) {
				bad_compiled = 1;
				continue;
			}
			char **ns = realloc(r->skipped,
					    (r->nskipped + 1) * sizeof *ns);

			if (ns != NULL) {
				r->skipped = ns;
				r->skipped[r->nskipped++] = strdup(f.v[i].path);
			}
		}
	}
	if (bad_compiled) {
		st = ks_err_set(err, KS_ERR_INVALID,
				"a compiled rules file cannot be loaded");
		goto out;
	}
	if (!o->no_builtin) {
		YR_COMPILER *comp;
		struct compile_ctx c = { r, &f, 1, 0 };

		if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
			st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			goto out;
		}
		yr_compiler_set_callback(comp, compile_cb, &c);
		define_externals(comp);
		if (yr_compiler_add_string(comp, kf_builtin_rules, "builtin") != 0 ||
		    yr_compiler_get_rules(comp, &set) != ERROR_SUCCESS) {
			yr_compiler_destroy(comp);
			st = ks_err_set(err, KS_ERR_INTERNAL,
					"the built-in rules do not compile");
			goto out;
		}
		yr_compiler_destroy(comp);
		st = push_set(r, set, "builtin", err);
		if (st != KS_OK)
			goto out;
	}
	if (r->nsets == 0)
		st = ks_err_set(err, KS_ERR_USAGE,
				"no rules to scan with (all were left out)");
out:
	files_free(&f);
	return st;
}

enum ks_status kf_rules_save(struct kf_rules *r, const char *path,
			     struct ks_err *err)
{
	for (size_t i = 0; i < r->nsets; i++) {
		if (strcmp(r->set_names[i], "sources") != 0)
			continue;
		if (yr_rules_save(r->sets[i], path) != ERROR_SUCCESS)
			return ks_err_set(err, KS_ERR_IO,
					  "cannot write compiled rules to %s",
					  path);
		return KS_OK;
	}
	return ks_err_set(err, KS_ERR_USAGE,
			  "no rule sources were given to compile");
}
