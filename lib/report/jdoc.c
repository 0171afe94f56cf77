/*
 * The JSON scanner of jdoc.h, after RFC 8259 ("The JavaScript Object
 * Notation (JSON) Data Interchange Format"), sections 2 to 8, with the
 * stricter rules of the ksvm readers.
 */
#include "report/jdoc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>

#include "core/hex.h"
#include "core/utf8.h"

void kr_jdoc_init(struct kr_jdoc *d)
{
	memset(d, 0, sizeof *d);
}

void kr_jdoc_free(struct kr_jdoc *d)
{
	free(d->tok);
	d->tok = NULL;
	d->ntok = d->cap = 0;
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum ks_status bad(struct ks_err *err, size_t col, const char *what)
{
	return ks_err_set(err, KS_ERR_INVALID, "%s at column %zu", what,
			  col + 1);
}

/* A new token at the end of the array, or NULL past the cap. */
static struct kr_jtok *push(struct kr_jdoc *d, enum kr_jtype type,
			    size_t off)
{
	struct kr_jtok *t;
	uint32_t max = d->max_tokens ? d->max_tokens : KR_JDOC_MAX_TOKENS;

	if (d->ntok >= max)
		return NULL;
	if (d->ntok == d->cap) {
		uint32_t ncap = d->cap ? d->cap * 2 : 256;
		struct kr_jtok *nt;

		if (ncap > max)
			ncap = max;
		nt = realloc(d->tok, (size_t)ncap * sizeof *nt);
		if (nt == NULL)
			return NULL;
		d->tok = nt;
		d->cap = ncap;
	}
	t = &d->tok[d->ntok++];
	t->type = (uint8_t)type;
	t->escaped = 0;
	t->pad = 0;
	t->off = (uint32_t)off;
	t->len = 0;
	t->next = d->ntok;
	return t;
}

/* The string starting after the quote at s[*i - 1]; leaves *i after the
 * closing quote. */
static enum ks_status scan_string(const char *s, size_t n, size_t *i,
				  struct kr_jtok *t, struct ks_err *err)
{
	size_t p = *i;
	uint32_t cp;

	for (;;) {
		unsigned char c;

		/* The common case: plain ASCII runs. */
		while (p < n) {
			c = (unsigned char)s[p];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p++;
		}
		if (p >= n)
			return ks_err_set(err, KS_ERR_INVALID,
					  "unterminated string at column %zu",
					  *i);
		c = (unsigned char)s[p];
		if (c == '"')
			break;
		if (c == '\\') {
			t->escaped = 1;
			if (p + 1 >= n)
				return ks_err_set(err, KS_ERR_INVALID,
						  "unterminated string at "
						  "column %zu", *i);
			switch (s[p + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				if (p + 6 > n || ks_hexval(s[p + 2]) < 0 ||
				    ks_hexval(s[p + 3]) < 0 ||
				    ks_hexval(s[p + 4]) < 0 ||
				    ks_hexval(s[p + 5]) < 0)
					return bad(err, p, "invalid \\u escape");
				p += 6;
				break;
			default:
				return bad(err, p, "invalid escape");
			}
			continue;
		}
		if (c == 0)
			return bad(err, p, "NUL byte");
		if (c < 0x20)
			return bad(err, p, "control character in a string");
		{
			size_t k = ks_utf8_decode((const uint8_t *)s + p, n - p,
						  &cp);

			if (k == 0)
				return bad(err, p, "invalid UTF-8");
			p += k;
		}
	}
	t->len = (uint32_t)(p - *i);
	*i = p + 1;
	return KS_OK;
}

static enum ks_status scan_number(const char *s, size_t n, size_t *i,
				  struct kr_jtok *t, struct ks_err *err)
{
	size_t p = *i, start = *i;

	if (p < n && s[p] == '-')
		p++;
	if (p >= n || s[p] < '0' || s[p] > '9')
		return bad(err, p, "invalid number");
	if (s[p] == '0') {
		p++;
		if (p < n && s[p] >= '0' && s[p] <= '9')
			return bad(err, p, "leading zero in a number");
	} else {
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && s[p] == '.') {
		p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return bad(err, p, "invalid number");
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			return bad(err, p, "invalid number");
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	t->len = (uint32_t)(p - start);
	*i = p;
	return KS_OK;
}

static int literal(const char *s, size_t n, size_t i, const char *word)
{
	size_t k = strlen(word);

	return i + k <= n && memcmp(s + i, word, k) == 0;
}

/* What the scanner expects next. */
enum want { W_VALUE, W_KEY_OR_END, W_KEY, W_COLON, W_COMMA_OR_END };

enum ks_status kr_jdoc_parse(struct kr_jdoc *d, const char *s, size_t n,
			     struct ks_err *err)
{
	uint32_t stack[KR_JDOC_MAX_DEPTH + 1];
	int depth = 0, max_depth = d->max_depth > 0 &&
				   d->max_depth <= KR_JDOC_MAX_DEPTH ?
				   d->max_depth : KR_JDOC_MAX_DEPTH;
	enum want want = W_VALUE;
	size_t i = 0;
	enum ks_status st;
	struct kr_jtok *t;

	d->text = s;
	d->len = n;
	d->ntok = 0;
	if (n > UINT32_MAX - 8)
		return ks_err_set(err, KS_ERR_LIMIT, "line too long to parse");
	while (i < n && blank((unsigned char)s[i]))
		i++;
	if (i == n)
		return KS_OK;
	if (s[i] != '{')
		return ks_err_set(err, KS_ERR_INVALID,
				  "the line is not a JSON object");
	for (;;) {
		unsigned char c;

		while (i < n && blank((unsigned char)s[i]))
			i++;
		if (i >= n) {
			d->ntok = 0;
			return ks_err_set(err, KS_ERR_INVALID,
					  "incomplete JSON value");
		}
		c = (unsigned char)s[i];
		if (c == 0)
			goto nul;
		switch (want) {
		case W_KEY_OR_END:
			if (c == '}')
				goto close;
			/* A key, as after a comma. */
			__attribute__((fallthrough));
		case W_KEY:
			if (c != '"')
				goto unexpected;
			t = push(d, KR_J_STRING, i + 1);
			if (t == NULL)
				goto limit;
			i++;
			st = scan_string(s, n, &i, t, err);
			if (st != KS_OK)
				goto fail;
			want = W_COLON;
			continue;
		case W_COLON:
			if (c != ':')
				goto unexpected;
			i++;
			want = W_VALUE;
			continue;
		case W_COMMA_OR_END:
			if (c == ',') {
				i++;
				want = d->tok[stack[depth - 1]].type ==
					       KR_J_OBJECT ? W_KEY : W_VALUE;
				continue;
			}
			if (c == '}' || c == ']')
				goto close;
			goto unexpected;
		case W_VALUE:
			break;
		}
		/* A value. */
		switch (c) {
		case '{':
		case '[':
			if (depth >= max_depth) {
				d->ntok = 0;
				return ks_err_set(err, KS_ERR_LIMIT,
						  "nesting deeper than %d at "
						  "column %zu", max_depth,
						  i + 1);
			}
			t = push(d, c == '{' ? KR_J_OBJECT : KR_J_ARRAY, i);
			if (t == NULL)
				goto limit;
			stack[depth++] = d->ntok - 1;
			i++;
			want = c == '{' ? W_KEY_OR_END : W_VALUE;
			/* An empty array closes at once. */
			if (c == '[') {
				size_t j = i;

				while (j < n && blank((unsigned char)s[j]))
					j++;
				if (j < n && s[j] == ']') {
					i = j;
					c = ']';
					goto close;
				}
			}
			continue;
		case '"':
			t = push(d, KR_J_STRING, i + 1);
			if (t == NULL)
				goto limit;
			i++;
			st = scan_string(s, n, &i, t, err);
			if (st != KS_OK)
				goto fail;
			break;
		case 't':
		case 'f':
		case 'n': {
			const char *w = c == 't' ? "true" : c == 'f' ? "false" :
						   "null";

			if (!literal(s, n, i, w))
				goto unexpected;
			t = push(d, c == 't' ? KR_J_TRUE : c == 'f' ?
					     KR_J_FALSE : KR_J_NULL, i);
			if (t == NULL)
				goto limit;
			t->len = (uint32_t)strlen(w);
			i += t->len;
			break;
		}
		default:
			if (c != '-' && (c < '0' || c > '9'))
				goto unexpected;
			t = push(d, KR_J_NUMBER, i);
			if (t == NULL)
				goto limit;
			st = scan_number(s, n, &i, t, err);
			if (st != KS_OK)
				goto fail;
			break;
		}
		want = W_COMMA_OR_END;
		continue;
close:
		{
			uint32_t open = stack[depth - 1];
			struct kr_jtok *o = &d->tok[open];

			if ((c == '}') != (o->type == KR_J_OBJECT))
				goto unexpected;
			o->next = d->ntok;
			o->len = (uint32_t)(i + 1 - o->off);
			depth--;
			i++;
			want = W_COMMA_OR_END;
			if (depth == 0)
				break;
		}
	}
	while (i < n && blank((unsigned char)s[i]))
		i++;
	if (i < n) {
		d->ntok = 0;
		return ks_err_set(err, KS_ERR_INVALID,
				  "unexpected data after the JSON value at "
				  "column %zu", i + 1);
	}
	return KS_OK;

nul:
	d->ntok = 0;
	return bad(err, i, "NUL byte");
unexpected:
	d->ntok = 0;
	if (s[i] >= 0x21 && s[i] <= 0x7e)
		return ks_err_set(err, KS_ERR_INVALID,
				  "unexpected character '%c' at column %zu",
				  s[i], i + 1);
	if ((unsigned char)s[i] >= 0x80 &&
	    ks_utf8_decode((const uint8_t *)s + i, n - i, &(uint32_t){ 0 }) ==
		    0)
		return bad(err, i, "invalid UTF-8");
	return bad(err, i, "unexpected character");
limit:
	d->ntok = 0;
	return ks_err_set(err, KS_ERR_LIMIT,
			  "more than %u values in one record at column %zu",
			  d->max_tokens ? d->max_tokens : KR_JDOC_MAX_TOKENS,
			  i + 1);
fail:
	d->ntok = 0;
	return st;
}

static int key_eq(const struct kr_jdoc *d, const struct kr_jtok *k,
		  const char *key, size_t klen)
{
	struct ks_arena a;
	struct kr_str s;
	int eq;

	if (!k->escaped)
		return k->len == klen &&
		       memcmp(d->text + k->off, key, klen) == 0;
	/* A key written with escapes ("\u0070ath") names the same member. */
	ks_arena_init(&a, (size_t)k->len + 64);
	eq = kr_jstr(d, (uint32_t)(k - d->tok), &a, &s) == 0 && s.p != NULL &&
	     s.n == klen && memcmp(s.p, key, klen) == 0;
	ks_arena_free(&a);
	return eq;
}

int kr_jkey_is(const struct kr_jdoc *d, uint32_t i, const char *key)
{
	if (i == 0 || i >= d->ntok || d->tok[i].type != KR_J_STRING)
		return 0;
	return key_eq(d, &d->tok[i], key, strlen(key));
}

uint32_t kr_jget(const struct kr_jdoc *d, uint32_t obj, const char *key)
{
	uint32_t i, end, found = KR_JNONE;
	size_t klen = strlen(key);

	if (obj >= d->ntok || d->tok[obj].type != KR_J_OBJECT)
		return KR_JNONE;
	end = d->tok[obj].next;
	for (i = obj + 1; i < end; i = d->tok[i + 1].next) {
		if (key_eq(d, &d->tok[i], key, klen))
			found = i + 1;
	}
	return found;
}

uint32_t kr_jpath(const struct kr_jdoc *d, uint32_t obj, ...)
{
	va_list ap;
	const char *k;
	uint32_t i = obj;

	va_start(ap, obj);
	while ((k = va_arg(ap, const char *)) != NULL) {
		i = kr_jget(d, i, k);
		if (i == KR_JNONE)
			break;
	}
	va_end(ap);
	return i;
}

uint32_t kr_jfirst(const struct kr_jdoc *d, uint32_t c)
{
	if (c >= d->ntok || (d->tok[c].type != KR_J_OBJECT &&
			     d->tok[c].type != KR_J_ARRAY))
		return KR_JNONE;
	return d->tok[c].next > c + 1 ? c + 1 : KR_JNONE;
}

uint32_t kr_jnext(const struct kr_jdoc *d, uint32_t c, uint32_t i)
{
	uint32_t n;

	if (i >= d->ntok || c >= d->ntok)
		return KR_JNONE;
	/* In an object, i is a key: step over it and its value. */
	n = d->tok[c].type == KR_J_OBJECT ? d->tok[i + 1].next : d->tok[i].next;
	return n < d->tok[c].next ? n : KR_JNONE;
}

uint32_t kr_jcount(const struct kr_jdoc *d, uint32_t c)
{
	uint32_t n = 0;

	for (uint32_t i = kr_jfirst(d, c); i != KR_JNONE; i = kr_jnext(d, c, i))
		n++;
	return n;
}

static int hex4(const char *p)
{
	return ks_hexval(p[0]) << 12 | ks_hexval(p[1]) << 8 |
	       ks_hexval(p[2]) << 4 | ks_hexval(p[3]);
}

int kr_jstr(const struct kr_jdoc *d, uint32_t i, struct ks_arena *a,
	    struct kr_str *out)
{
	const struct kr_jtok *t;
	const char *s;
	char *o;
	size_t p = 0, k = 0;

	*out = KR_STR_NONE;
	if (i >= d->ntok || d->tok[i].type != KR_J_STRING)
		return -1;
	t = &d->tok[i];
	s = d->text + t->off;
	if (!t->escaped) {
		*out = (struct kr_str){ s, t->len };
		return 0;
	}
	/* Escapes only shrink the text. */
	o = ks_arena_alloc(a, (size_t)t->len + 1);
	if (o == NULL)
		return 0;
	while (p < t->len) {
		uint32_t cp;

		if (s[p] != '\\') {
			o[k++] = s[p++];
			continue;
		}
		switch (s[p + 1]) {
		case 'b': o[k++] = '\b'; p += 2; continue;
		case 'f': o[k++] = '\f'; p += 2; continue;
		case 'n': o[k++] = '\n'; p += 2; continue;
		case 'r': o[k++] = '\r'; p += 2; continue;
		case 't': o[k++] = '\t'; p += 2; continue;
		case 'u': break;
		default: o[k++] = s[p + 1]; p += 2; continue;
		}
		cp = (uint32_t)hex4(s + p + 2);
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff && p + 6 <= t->len &&
		    s[p] == '\\' && s[p + 1] == 'u') {
			uint32_t lo = (uint32_t)hex4(s + p + 2);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				p += 6;
			}
		}
		if (cp >= 0xdc80 && cp <= 0xdcff) {
			/* A byte that was not UTF-8, given back as it was. */
			o[k++] = (char)(cp - 0xdc00);
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;   /* a lone surrogate stands for nothing */
		k += ks_utf8_encode(cp, (uint8_t *)o + k);
	}
	o[k] = '\0';
	*out = (struct kr_str){ o, k };
	return 0;
}

int kr_jint(const struct kr_jdoc *d, uint32_t i, int64_t *v)
{
	const struct kr_jtok *t;
	const char *s;
	size_t p = 0;
	int neg = 0;
	uint64_t acc = 0, lim;

	if (i >= d->ntok || d->tok[i].type != KR_J_NUMBER)
		return -1;
	t = &d->tok[i];
	s = d->text + t->off;
	if (s[0] == '-') {
		neg = 1;
		p = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < t->len; p++) {
		unsigned dg;

		if (s[p] < '0' || s[p] > '9')
			return -1;
		dg = (unsigned)(s[p] - '0');
		if (acc > (lim - dg) / 10)
			return -1;
		acc = acc * 10 + dg;
	}
	*v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc)
		 : (int64_t)acc;
	return 0;
}

struct kr_str kr_jraw(const struct kr_jdoc *d, uint32_t i)
{
	const struct kr_jtok *t;

	if (i >= d->ntok)
		return KR_STR_NONE;
	t = &d->tok[i];
	if (t->type == KR_J_STRING)
		return (struct kr_str){ d->text + t->off - 1, (size_t)t->len + 2 };
	return (struct kr_str){ d->text + t->off, t->len };
}
