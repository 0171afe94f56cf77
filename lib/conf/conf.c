#include "conf/conf.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ks_conf_init(struct ks_conf *c)
{
	memset(c, 0, sizeof *c);
}

void ks_conf_free(struct ks_conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].section);
		free(c->items[i].key);
		free(c->items[i].value);
	}
	for (size_t i = 0; i < c->nerr; i++)
		free(c->errors[i].msg);
	free(c->items);
	free(c->errors);
	free(c->path);
	ks_conf_init(c);
}

void ks_conf_error(struct ks_conf *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	struct ks_conf_error *e;

	if (c->nerr >= KS_CONF_MAX_ERRORS) {
		c->dropped_errors++;
		return;
	}
	if (c->nerr == c->errcap) {
		size_t ncap = c->errcap ? c->errcap * 2 : 8;

		e = realloc(c->errors, ncap * sizeof *e);
		if (e == NULL) {
			c->dropped_errors++;
			return;
		}
		c->errors = e;
		c->errcap = ncap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		c->dropped_errors++;
		return;
	}
	/* Keep the list in line order: errors come from several passes. */
	size_t i = c->nerr;

	while (i > 0 && c->errors[i - 1].line > line) {
		c->errors[i] = c->errors[i - 1];
		i--;
	}
	c->errors[i].line = line;
	c->errors[i].msg = msg;
	c->nerr++;
}

/* The line source handed to inih: it counts lines (inih's handler does not
 * get them in Debian's build) and catches lines too long for the parser. */
struct src {
	struct ks_conf *c;
	const char *text;     /* the whole file */
	size_t len, off;
	unsigned line;        /* number of the line last handed out */
	unsigned skip_to;     /* hand out nothing before this line */
	int continuation;     /* the last line started with a blank */
	int collect;          /* record items (first pass only) */
};

static char *reader(char *str, int num, void *stream)
{
	struct src *s = stream;
	size_t start, end, n, max = (size_t)num - 1;

	for (;;) {
		if (s->off >= s->len)
			return NULL;
		start = s->off;
		end = start;
		while (end < s->len && s->text[end] != '\n')
			end++;
		s->off = end < s->len ? end + 1 : end;
		s->line++;
		if (s->line < s->skip_to)
			continue;
		n = end - start;
		if (n > max) {
			if (s->collect)
				ks_conf_error(s->c, s->line,
					      "line longer than %zu bytes", max);
			/* Hand inih a comment instead of a cut line. */
			str[0] = ';';
			str[1] = '\0';
			s->continuation = 0;
			return str;
		}
		if (memchr(s->text + start, '\0', n) != NULL) {
			if (s->collect)
				ks_conf_error(s->c, s->line, "NUL byte in line");
			str[0] = ';';
			str[1] = '\0';
			return str;
		}
		memcpy(str, s->text + start, n);
		str[n] = '\0';
		s->continuation = n > 0 && (str[0] == ' ' || str[0] == '\t');
		return str;
	}
}

static int add_item(struct src *s, const char *section, const char *key,
		    const char *value)
{
	struct ks_conf *c = s->c;
	struct ks_conf_item *it;

	/* A continued value joins the previous item. */
	if (s->continuation && c->n > 0 &&
	    strcmp(c->items[c->n - 1].key, key) == 0 &&
	    strcmp(c->items[c->n - 1].section, section) == 0) {
		char *v;

		it = &c->items[c->n - 1];
		if (asprintf(&v, "%s %s", it->value, value) < 0)
			return 0;
		free(it->value);
		it->value = v;
		return 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->items[i].section, section) == 0 &&
		    strcmp(c->items[i].key, key) == 0) {
			ks_conf_error(c, s->line,
				      "'%s' is set again (first on line %u)",
				      key, c->items[i].line);
			return 1;
		}
	}
	if (c->n >= KS_CONF_MAX_ITEMS) {
		ks_conf_error(c, s->line, "more than %d settings",
			      KS_CONF_MAX_ITEMS);
		return 1;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;

		it = realloc(c->items, ncap * sizeof *it);
		if (it == NULL)
			return 0;
		c->items = it;
		c->cap = ncap;
	}
	it = &c->items[c->n];
	it->section = strdup(section);
	it->key = strdup(key);
	it->value = strdup(value);
	it->line = s->line;
	it->used = 0;
	if (it->section == NULL || it->key == NULL || it->value == NULL) {
		free(it->section);
		free(it->key);
		free(it->value);
		return 0;
	}
	c->n++;
	return 1;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct src *s = user;

	if (!s->collect)
		return 1;
	if (!add_item(s, section, key, value)) {
		ks_conf_error(s->c, s->line, "out of memory");
		return 1;
	}
	return 1;
}

static int known_error_line(const struct ks_conf *c, unsigned line)
{
	for (size_t i = 0; i < c->nerr; i++)
		if (c->errors[i].line == line)
			return 1;
	return 0;
}

static enum ks_status parse(struct ks_conf *c, const char *text, size_t len,
			    const char *name, struct ks_err *err)
{
	struct src s;
	int r;
	unsigned from = 0;

	ks_conf_free(c);
	c->path = strdup(name);
	if (c->path == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	/* The first pass records items; inih reports only the first syntax
	 * error, so later passes resume after it to find the next ones. */
	for (int pass = 0; pass < KS_CONF_MAX_ERRORS; pass++) {
		memset(&s, 0, sizeof s);
		s.c = c;
		s.text = text;
		s.len = len;
		s.skip_to = from;
		s.collect = pass == 0;
		r = ini_parse_stream(reader, &s, handler, &s);
		if (r == 0)
			break;
		if (r < 0)
			return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		/* Lines count from where this pass started. */
		unsigned line = (unsigned)r + (from ? from - 1 : 0);

		if (!known_error_line(c, line))
			ks_conf_error(c, line, "not a section, a setting "
				      "(key = value) or a comment");
		from = line + 1;
	}
	return KS_OK;
}

enum ks_status ks_conf_load_string(struct ks_conf *c, const char *text,
				   const char *name, struct ks_err *err)
{
	return parse(c, text, strlen(text), name, err);
}

#define KS_CONF_MAX_FILE (16u << 20)

enum ks_status ks_conf_load(struct ks_conf *c, const char *path,
			    struct ks_err *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	enum ks_status st;

	if (f == NULL)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", path);
	for (;;) {
		if (len == cap) {
			char *t;

			if (cap >= KS_CONF_MAX_FILE) {
				fclose(f);
				free(text);
				return ks_err_set(err, KS_ERR_LIMIT,
						  "%s: larger than %u bytes",
						  path, KS_CONF_MAX_FILE);
			}
			cap = cap ? cap * 2 : 8192;
			t = realloc(text, cap + 1);
			if (t == NULL) {
				fclose(f);
				free(text);
				return ks_err_set(err, KS_ERR_NOMEM,
						  "out of memory");
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(text);
		return ks_err_sys(err, KS_ERR_IO, e, "cannot read %s", path);
	}
	fclose(f);
	if (text == NULL)
		text = strdup("");
	if (text == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	text[len] = '\0';
	st = parse(c, text, len, path, err);
	free(text);
	return st;
}

struct ks_conf_item *ks_conf_get(struct ks_conf *c, const char *section,
				 const char *key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->items[i].section, section) == 0 &&
		    strcmp(c->items[i].key, key) == 0) {
			c->items[i].used = 1;
			return &c->items[i];
		}
	}
	return NULL;
}

void ks_conf_sections(const struct ks_conf *c, const char *prefix,
		      ks_conf_section_cb cb, void *ctx)
{
	size_t pl = strlen(prefix);

	for (size_t i = 0; i < c->n; i++) {
		const char *sec = c->items[i].section;
		int seen = 0;

		if (strncmp(sec, prefix, pl) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(c->items[j].section, sec) == 0;
		if (!seen)
			cb(ctx, sec, c->items[i].line);
	}
}

void ks_conf_check_unused(struct ks_conf *c, const char *prefix)
{
	size_t pl = strlen(prefix);

	for (size_t i = 0; i < c->n; i++) {
		struct ks_conf_item *it = &c->items[i];

		if (it->used || strncmp(it->section, prefix, pl) != 0)
			continue;
		ks_conf_error(c, it->line, "unknown setting '%s' in [%s]",
			      it->key, it->section);
	}
}

char **ks_conf_words(const char *value, size_t *n)
{
	size_t cap = 4, k = 0;
	char **w = malloc(cap * sizeof *w);
	const char *p = value;

	if (w == NULL)
		return NULL;
	while (*p != '\0') {
		const char *start;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		if (k + 1 >= cap) {
			char **nw = realloc(w, cap * 2 * sizeof *w);

			if (nw == NULL)
				goto fail;
			w = nw;
			cap *= 2;
		}
		w[k] = strndup(start, (size_t)(p - start));
		if (w[k] == NULL)
			goto fail;
		k++;
	}
	w[k] = NULL;
	if (n != NULL)
		*n = k;
	return w;
fail:
	w[k] = NULL;
	ks_conf_words_free(w);
	return NULL;
}

void ks_conf_words_free(char **w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; w[i] != NULL; i++)
		free(w[i]);
	free(w);
}

int ks_conf_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

void ks_conf_print_errors(struct ks_conf *c, FILE *f)
{
	ks_conf_sort_errors(c);
	for (size_t i = 0; i < c->nerr; i++) {
		if (c->errors[i].line > 0)
			fprintf(f, "%s:%u: %s\n", c->path, c->errors[i].line,
				c->errors[i].msg);
		else
			fprintf(f, "%s: %s\n", c->path, c->errors[i].msg);
	}
	if (c->dropped_errors > 0)
		fprintf(f, "%s: %lu more errors\n", c->path, c->dropped_errors);
}

void ks_conf_sort_errors(struct ks_conf *c)
{
	/* Insertion sort: stable, and a file has at most
	 * KS_CONF_MAX_ERRORS errors. */
	for (size_t i = 1; i < c->nerr; i++) {
		struct ks_conf_error e = c->errors[i];
		size_t k = i;

		while (k > 0 && c->errors[k - 1].line > e.line) {
			c->errors[k] = c->errors[k - 1];
			k--;
		}
		c->errors[k] = e;
	}
}
