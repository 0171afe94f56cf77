#include "json/reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/utf8.h"
#include "json/escape.h"

#define KJ_CHUNK 65536u

void kj_lines_init(struct kj_lines *l, size_t max_line)
{
	memset(l, 0, sizeof *l);
	l->max_line = max_line ? max_line : KJ_DEFAULT_MAX_LINE;
	l->sep = '\n';
	/* Room for a partial line at the cap and one more chunk. */
	ks_buf_init(&l->buf, l->max_line + 1 + KJ_CHUNK);
}

void kj_lines_free(struct kj_lines *l)
{
	ks_buf_free(&l->buf);
}

size_t kj_lines_room(const struct kj_lines *l)
{
	return l->buf.max - (l->buf.len - l->head);
}

enum ks_status kj_lines_push(struct kj_lines *l, const void *p, size_t n)
{
	if (l->head > 0) {
		ks_buf_consume(&l->buf, l->head);
		l->head = 0;
	}
	return ks_buf_append(&l->buf, p, n);
}

enum ks_status kj_lines_next(struct kj_lines *l, char **line, size_t *len,
			     int eof)
{
	char *base, *nl;
	size_t avail;

	for (;;) {
		/* Nothing was ever pushed: no buffer, and NULL + 0 is not a
		 * pointer C allows. */
		base = l->buf.data != NULL ? (char *)l->buf.data + l->head :
					     (char *)"";
		avail = l->buf.len - l->head;
		if (l->skipping) {
			nl = avail ? memchr(base, l->sep, avail) : NULL;
			if (nl == NULL) {
				ks_buf_reset(&l->buf);
				l->head = l->scan = 0;
				if (eof)
					l->skipping = 0;
				return eof ? KS_EOF : KS_AGAIN;
			}
			l->head += (size_t)(nl - base) + 1;
			l->skipping = 0;
			l->scan = 0;
			continue;
		}
		nl = avail > l->scan ? memchr(base + l->scan, l->sep,
					      avail - l->scan) : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - base);

			l->line_no++;
			l->head += n + 1;
			l->scan = 0;
			if (n > l->max_line)
				return KS_ERR_LIMIT;
			*line = base;
			*len = n;
			return KS_OK;
		}
		l->scan = avail;
		if (avail > l->max_line) {
			l->line_no++;
			l->skipping = 1;
			ks_buf_reset(&l->buf);
			l->head = l->scan = 0;
			return KS_ERR_LIMIT;
		}
		if (!eof)
			return KS_AGAIN;
		if (avail == 0)
			return KS_EOF;
		l->line_no++;
		l->head += avail;
		l->scan = 0;
		*line = base;
		*len = avail;
		return KS_OK;
	}
}

enum ks_status kj_parser_init(struct kj_parser *p, int max_depth)
{
	p->max_depth = max_depth > 0 ? max_depth : KJ_DEFAULT_MAX_DEPTH;
	p->tok = json_tokener_new_ex(p->max_depth);
	if (p->tok == NULL)
		return KS_ERR_NOMEM;
	json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT);
	return KS_OK;
}

void kj_parser_free(struct kj_parser *p)
{
	if (p->tok != NULL)
		json_tokener_free(p->tok);
	p->tok = NULL;
}

/*
 * json-c 0.16 keeps a pending high surrogate across json_tokener_reset():
 * after a line that fails inside "\ud83d\u..", the next line's first
 * \u escape is merged with it.  A failed parse therefore gets a new
 * tokener, so one hostile line cannot change how the next one reads.
 */
static enum ks_status renew(struct kj_parser *p, enum ks_status st)
{
	struct json_tokener *t = json_tokener_new_ex(p->max_depth);

	if (t != NULL) {
		json_tokener_set_flags(t, JSON_TOKENER_STRICT);
		json_tokener_free(p->tok);
		p->tok = t;
	}
	return st;
}

static int blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum ks_status kj_parse(struct kj_parser *p, char *line, size_t len,
			struct json_object **obj, struct ks_err *err)
{
	struct json_object *o;
	enum json_tokener_error je;
	size_t i, ok, end;
	const char *nul;

	*obj = NULL;
	for (i = 0; i < len && blank((unsigned char)line[i]); i++)
		;
	if (i == len)
		return KS_OK;
	nul = memchr(line, '\0', len);
	if (nul != NULL)
		return ks_err_set(err, KS_ERR_INVALID, "NUL byte at column %zu",
				  (size_t)(nul - line) + 1);
	ok = ks_utf8_valid_prefix((const uint8_t *)line, len);
	if (ok != len)
		return ks_err_set(err, KS_ERR_INVALID,
				  "invalid UTF-8 at column %zu", ok + 1);
	kj_surrogates_to_bytes(line, &len);
	if (len > (size_t)INT32_MAX)
		return ks_err_set(err, KS_ERR_LIMIT, "line too long to parse");
	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, line, (int)len);
	je = json_tokener_get_error(p->tok);
	if (je == json_tokener_continue) {
		/* Give the tokener the end of input it is waiting for. */
		o = json_tokener_parse_ex(p->tok, "", 1);
		je = json_tokener_get_error(p->tok);
		if (o == NULL || je != json_tokener_success) {
			json_object_put(o);
			return renew(p, ks_err_set(err, KS_ERR_INVALID,
						   "incomplete JSON value"));
		}
		end = len;
	} else if (je != json_tokener_success) {
		end = json_tokener_get_parse_end(p->tok);
		return renew(p, ks_err_set(err, je == json_tokener_error_depth ?
						   KS_ERR_LIMIT : KS_ERR_INVALID,
					   "%s at column %zu",
					   json_tokener_error_desc(je), end + 1));
	} else {
		end = json_tokener_get_parse_end(p->tok);
	}
	for (i = end; i < len && blank((unsigned char)line[i]); i++)
		;
	if (i < len) {
		json_object_put(o);
		return ks_err_set(err, KS_ERR_INVALID,
				  "unexpected data after the JSON value at "
				  "column %zu", i + 1);
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return ks_err_set(err, KS_ERR_INVALID,
				  "the line is not a JSON object");
	}
	*obj = o;
	return KS_OK;
}

enum ks_status kj_reader_init(struct kj_reader *r, int fd,
			      const struct kj_reader_opts *opts,
			      struct ks_err *err)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	kj_lines_init(&r->lines, opts != NULL ? opts->max_line : 0);
	if (kj_parser_init(&r->parser, opts != NULL ? opts->max_depth : 0) !=
	    KS_OK) {
		kj_lines_free(&r->lines);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	return KS_OK;
}

void kj_reader_free(struct kj_reader *r)
{
	kj_lines_free(&r->lines);
	kj_parser_free(&r->parser);
}

enum ks_status kj_reader_next(struct kj_reader *r, struct json_object **obj,
			      struct ks_err *err)
{
	char chunk[KJ_CHUNK];
	char *line;
	size_t len, want;
	ssize_t n;
	enum ks_status st;

	*obj = NULL;
	for (;;) {
		st = kj_lines_next(&r->lines, &line, &len, r->eof);
		if (st == KS_OK) {
			st = kj_parse(&r->parser, line, len, obj, err);
			if (st != KS_OK) {
				r->bad++;
				return st;
			}
			if (*obj == NULL)
				continue;  /* blank line */
			r->records++;
			return KS_OK;
		}
		if (st == KS_ERR_LIMIT) {
			r->bad++;
			return ks_err_set(err, KS_ERR_LIMIT,
					  "line longer than %zu bytes",
					  r->lines.max_line);
		}
		if (st == KS_EOF)
			return KS_EOF;
		want = kj_lines_room(&r->lines);
		if (want > sizeof chunk)
			want = sizeof chunk;
		n = read(r->fd, chunk, want);
		if (n < 0) {
			if (errno == EINTR)
				return KS_INTERRUPTED;
			return ks_err_sys(err, KS_ERR_IO, errno, "read failed");
		}
		if (n == 0) {
			r->eof = 1;
			continue;
		}
		st = kj_lines_push(&r->lines, chunk, (size_t)n);
		if (st != KS_OK)
			return ks_err_set(err, st, "cannot buffer input");
	}
}
