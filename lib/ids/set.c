/*
 * Rule sets: reading rule files (one rule a line, a '\' at the end of a
 * line continues it, '#' comments), keeping the rules that parse and
 * counting the others by keyword.
 */
#include "ids/set.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ids/parse.h"

#define MAX_KW_KINDS 1000
#define MAX_FILE (256u << 20)

struct ki_set *ki_set_new(const struct ki_vars *v, const struct ki_classes *c,
			  struct ki_names *names)
{
	struct ki_set *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->env.vars = v;
	s->env.classes = c;
	s->env.names = names;
	ks_u64map_init(&s->sids, KI_MAX_RULES);
	return s;
}

void ki_set_free(struct ki_set *s)
{
	if (s == NULL)
		return;
	ki_set_uncompile(s);
	for (size_t i = 0; i < s->n; i++)
		ki_rule_free(s->rules[i]);
	free(s->rules);
	for (size_t i = 0; i < s->nkw; i++)
		free(s->kw[i].name);
	free(s->kw);
	for (size_t i = 0; i < s->nfail; i++)
		free(s->fail[i]);
	free(s->fail);
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	ks_u64map_free(&s->sids);
	ki_classes_free(s->own_classes);
	free(s);
}

void ki_set_own_classes(struct ki_set *s, struct ki_classes *c)
{
	s->own_classes = c;
}

static void count_refusal(struct ki_set *s, const char *kw, const char *file,
			  unsigned line, const char *why)
{
	size_t i;

	s->refused++;
	for (i = 0; i < s->nkw; i++)
		if (strcmp(s->kw[i].name, kw) == 0)
			break;
	if (i == s->nkw) {
		if (s->nkw >= MAX_KW_KINDS)
			kw = "(other)";
		for (i = 0; i < s->nkw; i++)
			if (strcmp(s->kw[i].name, kw) == 0)
				break;
	}
	if (i == s->nkw) {
		struct ki_kwcount *n = realloc(s->kw, (s->nkw + 1) * sizeof *n);

		if (n == NULL)
			return;
		s->kw = n;
		n[i].name = strdup(kw);
		n[i].count = 0;
		if (n[i].name == NULL)
			return;
		s->nkw++;
	}
	s->kw[i].count++;
	if (s->nfail < KI_MAX_FAILURES) {
		char **f = realloc(s->fail, (s->nfail + 1) * sizeof *f);

		if (f == NULL)
			return;
		s->fail = f;
		if (asprintf(&f[s->nfail], "%s:%u: %s", file, line, why) >= 0)
			s->nfail++;
	}
}

/* The file name is kept once per file and shared by its rules. */
static char *file_name(struct ki_set *s, const char *file)
{
	char **f;

	if (s->nfiles > 0 && strcmp(s->files[s->nfiles - 1], file) == 0)
		return s->files[s->nfiles - 1];
	f = realloc(s->files, (s->nfiles + 1) * sizeof *f);
	if (f == NULL)
		return NULL;
	s->files = f;
	f[s->nfiles] = strdup(file);
	return f[s->nfiles] ? f[s->nfiles++] : NULL;
}

enum ks_status ki_set_add_rule(struct ki_set *s, const char *text,
			       const char *file, unsigned line,
			       const char **kw, struct ks_err *err)
{
	struct ki_rule *r;
	char kwbuf[KI_KW_MAX];
	enum ks_status st;
	const char *p = text;
	const char *dummy;
	uint64_t key;

	if (kw == NULL)
		kw = &dummy;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '\0' || *p == '#')
		return KS_EOF;
	if (s->n >= KI_MAX_RULES) {
		*kw = "(limit)";
		count_refusal(s, *kw, file, line, "too many rules");
		return ks_err_set(err, KS_ERR_LIMIT, "more than %d rules",
				  KI_MAX_RULES);
	}
	st = ki_rule_parse(p, strlen(p), &s->env, &r, kw, kwbuf, err);
	if (st != KS_OK) {
		if (*kw == kwbuf) {
			/* The keyword lives in kwbuf: count it by value. */
			count_refusal(s, kwbuf, file, line, err ? err->msg : "");
			*kw = "(see the report)";
		} else {
			count_refusal(s, *kw, file, line, err ? err->msg : "");
		}
		return st;
	}
	key = ks_u64map_mix((uint64_t)r->gid << 32 | r->sid) | 1;
	if (ks_u64map_get(&s->sids, key) != NULL) {
		ks_err_set(err, KS_ERR_INVALID, "duplicate sid %u (gid %u)",
			   r->sid, r->gid);
		*kw = "(duplicate sid)";
		count_refusal(s, *kw, file, line, err ? err->msg : "duplicate sid");
		ki_rule_free(r);
		return KS_ERR_INVALID;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 256;
		struct ki_rule **nr = realloc(s->rules, nc * sizeof *nr);

		if (nr == NULL) {
			ki_rule_free(r);
			*kw = "(limit)";
			return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		}
		s->rules = nr;
		s->cap = nc;
	}
	if (ks_u64map_put(&s->sids, key, (void *)1) != 0) {
		ki_rule_free(r);
		*kw = "(limit)";
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	r->file = file_name(s, file);
	r->line = line;
	r->index = (uint32_t)s->n;
	s->rules[s->n++] = r;
	return KS_OK;
}

enum ks_status ki_set_load_string(struct ki_set *s, const char *text,
				  size_t len, const char *name,
				  struct ks_err *err)
{
	const char *p = text, *end = text + len;
	char *rule = NULL;
	size_t rlen = 0, rcap = 0;
	unsigned line = 0, first = 0;
	enum ks_status st = KS_OK;
	struct ks_err e2;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n;
		int cont;

		line++;
		while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		cont = le > p && le[-1] == '\\';
		if (cont)
			le--;
		n = (size_t)(le - p);
		if (rlen == 0)
			first = line;
		if (rlen + n + 2 > KI_MAX_RULE_LEN + 2) {
			/* A rule past the cap is refused whole: skip to the
			 * end of its continuation. */
			if (rlen != SIZE_MAX)
				count_refusal(s, "(limit)", name, first,
					      "rule longer than the cap");
			rlen = SIZE_MAX;
		} else if (rlen != SIZE_MAX) {
			if (rlen + n + 2 > rcap) {
				size_t nc = (rlen + n + 2) * 2;
				char *nr = realloc(rule, nc);

				if (nr == NULL) {
					free(rule);
					return ks_err_set(err, KS_ERR_NOMEM,
							  "out of memory");
				}
				rule = nr;
				rcap = nc;
			}
			memcpy(rule + rlen, p, n);
			rlen += n;
			rule[rlen] = '\0';
		}
		if (!cont) {
			if (rlen != SIZE_MAX && rlen > 0) {
				/* A NUL inside the line is a refusal of the
				 * rule, not a silent cut. */
				if (memchr(rule, '\0', rlen) != NULL)
					count_refusal(s, "(syntax)", name, first,
						      "NUL byte in the rule");
				else if (ki_set_add_rule(s, rule, name, first, NULL,
							 &e2) == KS_ERR_LIMIT &&
					 s->n >= KI_MAX_RULES) {
					st = ks_err_set(err, KS_ERR_LIMIT, "%s",
							e2.msg);
					break;
				}
			}
			rlen = 0;
		}
		p = nl ? nl + 1 : end;
	}
	if (rlen > 0 && rlen != SIZE_MAX && st == KS_OK &&
	    memchr(rule, '\0', rlen) == NULL)
		ki_set_add_rule(s, rule, name, first, NULL, &e2);
	free(rule);
	return st;
}

enum ks_status ki_set_load_file(struct ki_set *s, const char *path,
				struct ks_err *err)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0;
	enum ks_status st;

	if (f == NULL)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	for (;;) {
		size_t got;

		if (n == cap) {
			size_t nc = cap ? cap * 2 : 1u << 16;
			char *nt;

			if (nc > MAX_FILE) {
				free(text);
				fclose(f);
				return ks_err_set(err, KS_ERR_LIMIT, "%s: larger "
						  "than %u MiB", path,
						  MAX_FILE >> 20);
			}
			nt = realloc(text, nc);
			if (nt == NULL) {
				free(text);
				fclose(f);
				return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			}
			text = nt;
			cap = nc;
		}
		got = fread(text + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		free(text);
		fclose(f);
		return ks_err_sys(err, KS_ERR_IO, e, "cannot read %s", path);
	}
	fclose(f);
	st = ki_set_load_string(s, text ? text : "", n, path, err);
	free(text);
	return st;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ks_status ki_set_load_path(struct ki_set *s, const char *path,
				struct ks_err *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	enum ks_status st = KS_OK;

	if (stat(path, &sb) != 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot read %s", path);
	if (!S_ISDIR(sb.st_mode))
		return ki_set_load_file(s, path, err);
	d = opendir(path);
	if (d == NULL)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **nn;

		if (de->d_name[0] == '.' || l < 7 ||
		    strcmp(de->d_name + l - 6, ".rules") != 0)
			continue;
		if (n >= 100000)
			break;
		nn = realloc(names, (n + 1) * sizeof *nn);
		if (nn == NULL)
			break;
		names = nn;
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (st == KS_OK) {
			enum ks_status r = ki_set_load_file(s, names[i], err);

			if (r != KS_OK)
				st = r;
		}
		free(names[i]);
	}
	free(names);
	return st;
}

size_t ki_set_count(const struct ki_set *s)
{
	return s->n;
}

const struct ki_rule *ki_set_rule(const struct ki_set *s, size_t i)
{
	return i < s->n ? s->rules[i] : NULL;
}

size_t ki_set_refused(const struct ki_set *s)
{
	return s->refused;
}

static int cmp_kw(const void *a, const void *b)
{
	const struct ki_kwcount *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

const char *ki_set_refusal(const struct ki_set *s, size_t i, size_t *count)
{
	if (i >= s->nkw)
		return NULL;
	if (i == 0)
		qsort(s->kw, s->nkw, sizeof *s->kw, cmp_kw);
	if (count != NULL)
		*count = s->kw[i].count;
	return s->kw[i].name;
}

size_t ki_set_failure_count(const struct ki_set *s)
{
	return s->nfail;
}

const char *ki_set_failure(const struct ki_set *s, size_t i)
{
	return i < s->nfail ? s->fail[i] : NULL;
}

uint32_t ki_rule_sid(const struct ki_rule *r)
{
	return r->sid;
}

const char *ki_rule_msg(const struct ki_rule *r)
{
	return r->msg;
}

