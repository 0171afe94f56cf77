/*
 * Safe Browsing URL canonicalization (Safe Browsing v4 "URLs and Hashing",
 * "Canonicalization"); see canon.h for the steps and the choices made
 * where the specification is silent.
 *
 * The input is decoded first and split afterwards, as the reference
 * implementation does: "http%3A%2F%2Fhost/" is http://host/.  The
 * fragment is cut before decoding, so an escaped '#' (%23) stays data.
 */
#include "url/canon.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

static const char HEXU[] = "0123456789ABCDEF";

static inline int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static inline char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/*
 * Eight bytes at a time: whether any byte of a word is in a set, without
 * looking at each (the words are read with memcpy, so alignment does not
 * matter).  ONES * v has v in every byte; has_zero(x) is nonzero when a
 * byte of x is 0 and has_below(x, v) when a byte is below v (v <= 128):
 * exact as tests of "any byte", which is all they are used for.
 */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t word_at(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static inline uint64_t has_below(uint64_t x, unsigned v)
{
	return (x - ONES * v) & ~x & HIGHS;
}

static inline uint64_t has_zero(uint64_t x)
{
	return has_below(x, 1);
}

/* A byte that the canonical form escapes (ESC below) is in x. */
static inline uint64_t has_escaped(uint64_t x)
{
	return has_below(x, 0x21) | (x & HIGHS) | has_zero(x ^ ONES * 0x7f) |
	       has_zero(x ^ ONES * '#') | has_zero(x ^ ONES * '%');
}

size_t ku_unescape_all(const char *s, size_t n, char *out)
{
	const char *pc = memchr(s, '%', n);
	size_t o, start;

	/* Up to the first '%' there is nothing to decode. */
	if (pc == NULL) {
		if (out != s)
			memmove(out, s, n);
		return n;
	}
	start = (size_t)(pc - s);
	if (out != s)
		memmove(out, s, start);
	o = start;
	s += start;
	n -= start;
	/* A stack machine: after each byte, decode while the last three
	 * output bytes are an escape.  Escapes never overlap, so this is the
	 * same fixed point that repeated whole-string passes reach, in
	 * linear time ("%252525..." would otherwise take a pass per level). */
	for (size_t i = 0; i < n; i++) {
		out[o++] = s[i];
		while (o >= 3 && out[o - 3] == '%') {
			int hi = ks_hexval((unsigned char)out[o - 2]);
			int lo = ks_hexval((unsigned char)out[o - 1]);

			if (hi < 0 || lo < 0)
				break;
			out[o - 3] = (char)(hi << 4 | lo);
			o -= 2;
		}
	}
	return o;
}

/* Bytes the canonical form escapes: <= 0x20, >= 0x7f, '#' and '%'. */
static const unsigned char ESC[256] = {
	[0 ... 0x20] = 1, ['#'] = 1, ['%'] = 1, [0x7f ... 0xff] = 1,
};

size_t ku_escape(const char *s, size_t n, char *out)
{
	size_t o = 0, i = 0;

	/* Runs of bytes that stay as they are go whole. */
	for (;;) {
		size_t j = i;
		unsigned char c;

		while (j + 8 <= n && !has_escaped(word_at(s + j)))
			j += 8;
		while (j < n && !ESC[(unsigned char)s[j]])
			j++;
		memcpy(out + o, s + i, j - i);
		o += j - i;
		if (j >= n)
			return o;
		c = (unsigned char)s[j];
		out[o++] = '%';
		out[o++] = HEXU[c >> 4];
		out[o++] = HEXU[c & 15];
		i = j + 1;
	}
}

/* ---- IPv4 ------------------------------------------------------------- */

/* One part: 0x hex, 0 octal, else decimal; 0 on success. */
static int ipv4_part(const char *s, size_t n, uint64_t *v)
{
	unsigned base = 10;
	uint64_t x = 0;

	if (n == 0)
		return -1;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
		if (n == 0)
			return -1;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		int d = ks_hexval((unsigned char)s[i]);

		if (d < 0 || (unsigned)d >= base)
			return -1;
		if (x > (UINT64_C(0x7fffffffffffffff) - (uint64_t)d) / base)
			return -1;   /* past a signed 64-bit value */
		x = x * base + (uint64_t)d;
	}
	*v = x;
	return 0;
}

/* "^(\d{1,3}\.){3}\d{1,3}\s": the length before the blank, or 0. */
static size_t windows_prefix(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = 0;

		while (i < n && is_digit(s[i]) && d < 3) {
			i++;
			d++;
		}
		if (d == 0)
			return 0;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		      s[i] == '\f' || s[i] == '\r'))
		return i;
	return 0;
}

int ku_parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
	size_t start[5], len[5], np = 0, i = 0;
	uint8_t ip[4] = { 0, 0, 0, 0 };

	/* Every part starts with a digit, the first one too; and a name
	 * with a letter past 'f' (other than x) is never an address, which
	 * settles most names without parsing them (unless the Windows rule
	 * below may cut the name at a blank first). */
	if (n == 0 || !is_digit(s[0]))
		return 0;
	for (size_t k = 0; k < n; k++) {
		char c = s[k];

		if (is_digit(c) || c == '.' || c == 'x' || c == 'X' ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			continue;
		if (n > 15)
			return 0;
		break;
	}
	if (n <= 15) {
		size_t k = windows_prefix(s, n);

		if (k > 0)
			n = k;
	}
	if (n == 0)
		return 0;
	for (;;) {
		size_t j = i;

		while (j < n && s[j] != '.')
			j++;
		if (np == 4)
			return 0;
		start[np] = i;
		len[np] = j - i;
		np++;
		if (j >= n)
			break;
		i = j + 1;
		if (i == n) {
			/* A trailing dot is an empty last part. */
			if (np == 4)
				return 0;
			start[np] = i;
			len[np] = 0;
			np++;
			break;
		}
	}
	for (size_t p = 0; p < np; p++) {
		uint64_t v;

		if (ipv4_part(s + start[p], len[p], &v) != 0)
			return 0;
		if (p + 1 < np) {
			ip[p] = (uint8_t)(v & 0xff);
		} else {
			size_t bytes = 5 - np;

			for (size_t b = 0; b < bytes; b++) {
				ip[3 - b] = (uint8_t)(v & 0xff);
				v >>= 8;
			}
		}
	}
	memcpy(out, ip, 4);
	return 1;
}

/* ---- host ------------------------------------------------------------- */

#define HOST_IN_MAX (4 * KU_HOST_MAX)

/* What a byte of a host name asks for (HC_UPPER must be 1: it becomes the
 * 0x20 that lowercases). */
#define HC_UPPER 0x01u
#define HC_ESCAPED 0x02u     /* escaped in the canonical form (ESC) */
#define HC_NONASCII 0x04u
#define HC_DOT 0x08u

static const unsigned char HOST_CLASS[256] = {
	[0 ... 0x20] = HC_ESCAPED, ['#'] = HC_ESCAPED, ['%'] = HC_ESCAPED,
	['.'] = HC_DOT, ['A' ... 'Z'] = HC_UPPER, [0x7f] = HC_ESCAPED,
	[0x80 ... 0xff] = HC_ESCAPED | HC_NONASCII,
};

/* Leading, trailing and repeated dots away; returns the new length. */
static size_t squeeze_dots(char *h, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.' && (m == 0 || h[m - 1] == '.'))
			continue;
		h[m++] = h[i];
	}
	while (m > 0 && h[m - 1] == '.')
		m--;
	return m;
}

static void set_ipv4(struct ku_url *u, const uint8_t ip[4])
{
	int k;

	memset(u->ip, 0, sizeof u->ip);
	memcpy(u->ip, ip, 4);
	u->host_type = KU_HOST_IPV4;
	k = snprintf(u->host_buf, sizeof u->host_buf, "%u.%u.%u.%u", ip[0],
		     ip[1], ip[2], ip[3]);
	u->host_len = (size_t)k;
}

/* An IPv6 literal without brackets; 1 when it is one. */
static int set_ipv6(struct ku_url *u, const char *s, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	char a[64], txt[INET6_ADDRSTRLEN];
	struct in6_addr x;

	if (n == 0 || n >= sizeof a || memchr(s, '\0', n) != NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		a[i] = lower(s[i]);
	a[n] = '\0';
	if (inet_pton(AF_INET6, a, &x) != 1)
		return 0;
	if (memcmp(x.s6_addr, mapped, 12) == 0 ||
	    memcmp(x.s6_addr, nat64, 12) == 0) {
		set_ipv4(u, x.s6_addr + 12);
		return 1;
	}
	if (inet_ntop(AF_INET6, &x, txt, sizeof txt) == NULL)
		return 0;
	memcpy(u->ip, x.s6_addr, 16);
	u->host_type = KU_HOST_IPV6;
	u->host_len = (size_t)snprintf(u->host_buf, sizeof u->host_buf, "[%s]",
				       txt);
	return 1;
}

/*
 * A-labels for a name with non-ASCII bytes, in place in h (room for
 * HOST_IN_MAX bytes and a NUL); (size_t)-1 when they do not fit.  The whole name first, so that mappings
 * that make dots (U+3002, U+FF0E) apply; when libidn2 refuses the whole,
 * label by label, keeping the bytes of the labels it refuses.
 */
/*
 * UTS #46 maps some characters to ASCII that a host cannot hold
 * (U+FF0F to '/', U+FE55 to ':', U+00B9 after "%4" makes "%41"):
 * browsers refuse such names (WHATWG URL, forbidden host code points),
 * and here the name or label keeps its own bytes instead.
 */
static int idn_result_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || strchr("%/?#@:[]\\<>^|", *s) != NULL)
			return 0;
	return 1;
}

static size_t idn_host(char *h, size_t n)
{
	char tmp[HOST_IN_MAX + 1];
	char *o = NULL;
	size_t m = 0, i = 0;

	memcpy(tmp, h, n);
	tmp[n] = '\0';
	/* libidn2 reads C strings: a NUL byte would cut the name short, so
	 * a name or label holding one keeps its bytes. */
	if (memchr(tmp, '\0', n) == NULL &&
	    idn2_to_ascii_8z(tmp, &o, IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    strlen(o) <= HOST_IN_MAX && idn_result_ok(o)) {
		m = strlen(o);
		memcpy(h, o, m);
		free(o);
		return m;
	}
	free(o);
	while (i < n) {
		size_t j = i, k;
		int ascii = 1;

		while (j < n && tmp[j] != '.') {
			if ((unsigned char)tmp[j] >= 0x80)
				ascii = 0;
			j++;
		}
		k = j - i;
		o = NULL;
		if (!ascii && memchr(tmp + i, '\0', k) == NULL) {
			char lab[HOST_IN_MAX + 1];

			memcpy(lab, tmp + i, k);
			lab[k] = '\0';
			if (idn2_to_ascii_8z(lab, &o, IDN2_NONTRANSITIONAL) !=
			    IDN2_OK || !idn_result_ok(o) ||
			    strchr(o, '.') != NULL) {
				free(o);
				o = NULL;
			}
		}
		/* A-labels can be longer than the bytes they stand for. */
		{
			const char *src = o != NULL ? o : tmp + i;
			size_t len = o != NULL ? strlen(o) : k;

			if (len + (j < n) > HOST_IN_MAX - m) {
				free(o);
				return (size_t)-1;
			}
			memcpy(h + m, src, len);
			m += len;
		}
		free(o);
		if (j < n)
			h[m++] = '.';
		i = j + 1;
	}
	return m;
}

/* An address in any form a host may take; 1 when h[0..m) is one. */
static int address(struct ku_url *u, const char *h, size_t m)
{
	uint8_t ip[4];

	if (m >= 2 && h[0] == '[' && h[m - 1] == ']' &&
	    set_ipv6(u, h + 1, m - 2))
		return 1;
	/* A host alone may be an IPv6 address without brackets. */
	if (u->host_only && memchr(h, ':', m) != NULL && set_ipv6(u, h, m))
		return 1;
	if (ku_parse_ipv4(h, m, ip)) {
		set_ipv4(u, ip);
		return 1;
	}
	return 0;
}

/* Canonical host of h[0..n) (decoded bytes) into u->host_buf. */
static enum ks_status canon_host(struct ku_url *u, const char *in, size_t n,
				 struct ks_err *err)
{
	char h[HOST_IN_MAX + 1];
	size_t m;
	unsigned seen = 0, prev = 0, twice = 0;
	int nonascii, escaped;

	u->host_type = KU_HOST_NAME;
	memset(u->ip, 0, sizeof u->ip);
	if (n > HOST_IN_MAX)
		return ks_err_set(err, KS_ERR_LIMIT, "host longer than %d bytes",
				  HOST_IN_MAX);
	/* ASCII lowercased (lowercase hex digits read the same as an IPv4
	 * address), and what else the name needs noticed, in one pass; dots
	 * are squeezed only when there is a leading, trailing or repeated
	 * one. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned k = HOST_CLASS[c];

		seen |= k;
		twice |= k & prev;   /* a dot right after a dot */
		prev = k & HC_DOT;
		h[i] = (char)(c + ((k & HC_UPPER) << 5));
	}
	m = n;
	if ((seen & HC_DOT) && (twice || h[0] == '.' || h[n - 1] == '.'))
		m = squeeze_dots(h, n);
	nonascii = (seen & HC_NONASCII) != 0;
	escaped = (seen & HC_ESCAPED) != 0;
	if (m == 0)
		return ks_err_set(err, KS_ERR_INVALID, "no host name");
	if (address(u, h, m))
		return KS_OK;
	if (nonascii) {
		m = idn_host(h, m);
		if (m == (size_t)-1)
			return ks_err_set(err, KS_ERR_LIMIT, "host longer than "
					  "%d bytes in A-labels", HOST_IN_MAX);
		m = squeeze_dots(h, m);
		if (m == 0)
			return ks_err_set(err, KS_ERR_INVALID, "no host name");
		if (address(u, h, m))
			return KS_OK;
		escaped = 1;   /* what IDNA left is escaped as it is */
	}
	/* Most names have nothing to escape: they go as they are. */
	if (!escaped && m <= KU_HOST_MAX) {
		memcpy(u->host_buf, h, m);
		u->host_buf[m] = '\0';
		u->host_len = m;
		return KS_OK;
	}
	/* Escaping at most triples the length. */
	if (m > KU_HOST_MAX) {
		return ks_err_set(err, KS_ERR_LIMIT, "host longer than %d bytes",
				  KU_HOST_MAX);
	} else {
		char esc[3 * KU_HOST_MAX];
		size_t e = ku_escape(h, m, esc);

		if (e > KU_HOST_MAX)
			return ks_err_set(err, KS_ERR_LIMIT,
					  "host longer than %d bytes",
					  KU_HOST_MAX);
		memcpy(u->host_buf, esc, e);
		u->host_buf[e] = '\0';
		u->host_len = e;
	}
	return KS_OK;
}

/* ---- path ------------------------------------------------------------- */

/*
 * Runs of slashes collapsed and dot segments resolved (RFC 3986 5.2.4),
 * in place; p starts with '/'.  Returns the new length.
 */
static size_t canon_path(char *p, size_t n)
{
	size_t o = 1, i = 1;
	const char *sl = p;

	/* Nothing to do without "//", "/." or a "." segment at the end. */
	while ((sl = memchr(sl, '/', n - (size_t)(sl - p))) != NULL) {
		if ((size_t)(sl - p) + 1 >= n || sl[1] == '/' || sl[1] == '.')
			break;
		sl++;
	}
	if (sl == NULL)
		return n;

	while (i < n) {
		size_t s, k;
		int slash;

		while (i < n && p[i] == '/')
			i++;
		if (i >= n)
			break;
		s = i;
		while (i < n && p[i] != '/')
			i++;
		k = i - s;
		slash = i < n;
		if (k == 1 && p[s] == '.')
			continue;
		if (k == 2 && p[s] == '.' && p[s + 1] == '.') {
			if (o > 1) {
				o--;
				while (o > 0 && p[o - 1] != '/')
					o--;
			}
			continue;
		}
		memmove(p + o, p + s, k);
		o += k;
		if (slash)
			p[o++] = '/';
	}
	return o;
}

/* ---- the whole address ------------------------------------------------ */

static void reset(struct ku_url *u, int host_only)
{
	u->canonical = u->out;
	u->canonical_len = 0;
	u->scheme = u->scheme_buf;
	u->host = u->host_buf;
	u->host_len = 0;
	u->path = "/";
	u->path_len = 1;
	u->query = NULL;
	u->query_len = 0;
	u->userinfo = NULL;
	u->port = -1;
	u->host_only = host_only;
	u->host_type = KU_HOST_NAME;
	u->out[0] = '\0';
	u->host_buf[0] = '\0';
	strcpy(u->scheme_buf, "http");
}

/* Tabs, CR and LF out, blanks trimmed: into u->work; returns the length. */
static size_t clean_input(struct ku_url *u, const char *in, size_t n)
{
	size_t m = 0, a = 0, i = 0;

	/* Most addresses have no control byte: copy those whole. */
	while (i + 8 <= n && !has_below(word_at(in + i), '\r' + 1))
		i += 8;
	while (i < n && (unsigned char)in[i] > '\r')
		i++;
	memcpy(u->work, in, i);
	m = i;
	for (; i < n; i++) {
		char c = in[i];

		u->work[m] = c;
		m += c != '\t' && c != '\r' && c != '\n';
	}
	while (a < m && is_blank(u->work[a]))
		a++;
	while (m > a && is_blank(u->work[m - 1]))
		m--;
	memmove(u->work, u->work + a, m - a);
	return m - a;
}

static int parse_port(const char *s, size_t n)
{
	int v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -1;
}

enum ks_status ku_canon_url_host(struct ku_url *u, const char *in, size_t n,
				 struct ks_err *err)
{
	char *s = u->work, *q, *hash;
	size_t m, i, rest, auth_end, qpos, hp, hl;
	const char *at;
	int have_scheme = 0;
	enum ks_status st;

	reset(u, 0);
	if (n > KU_URL_MAX)
		return ks_err_set(err, KS_ERR_LIMIT, "longer than %d bytes",
				  KU_URL_MAX);
	m = clean_input(u, in, n);
	hash = memchr(s, '#', m);
	if (hash != NULL)
		m = (size_t)(hash - s);
	m = ku_unescape_all(s, m, s);
	if (m == 0)
		return ks_err_set(err, KS_ERR_INVALID, "empty address");
	q = memchr(s, '?', m);
	qpos = q != NULL ? (size_t)(q - s) : m;
	for (char *bs = memchr(s, '\\', qpos); bs != NULL && bs < s + qpos;
	     bs++)
		if (*bs == '\\')
			*bs = '/';

	/* The scheme: letters, digits, + - . up to ':' and "//" (as the
	 * reference library reads it: "http:///x" has no host).  "host:port"
	 * is not a scheme. */
	rest = 0;
	if (is_alpha(s[0])) {
		i = 1;
		while (i < qpos && (is_alpha(s[i]) || is_digit(s[i]) ||
				    s[i] == '+' || s[i] == '-' || s[i] == '.'))
			i++;
		if (i < qpos && s[i] == ':') {
			size_t d = i + 1;

			while (d < qpos && is_digit(s[d]))
				d++;
			if (d > i + 1 && (d == qpos || s[d] == '/')) {
				/* host:port */
			} else if (i >= sizeof u->scheme_buf) {
				return ks_err_set(err, KS_ERR_INVALID,
						  "not a web address");
			} else {
				for (size_t k = 0; k < i; k++)
					u->scheme_buf[k] = lower(s[k]);
				u->scheme_buf[i] = '\0';
				have_scheme = 1;
				if (i + 2 < qpos && s[i + 1] == '/' &&
				    s[i + 2] == '/') {
					rest = i + 3;
				} else {
					return ks_err_set(err, KS_ERR_INVALID,
							  "not a web address "
							  "(scheme %s without //)",
							  u->scheme_buf);
				}
			}
		}
	}
	if (!have_scheme && m >= 2 && s[0] == '/' && s[1] == '/')
		rest = 2;
	if (!have_scheme)
		strcpy(u->scheme_buf, "http");

	/* Authority up to the first '/' or '?'. */
	{
		const char *sl = memchr(s + rest, '/', qpos - rest);

		auth_end = sl != NULL ? (size_t)(sl - s) : qpos;
	}
	at = memrchr(s + rest, '@', auth_end - rest);
	hp = rest;
	if (at != NULL) {
		size_t ul = (size_t)(at - (s + rest));

		if (ul > 256)
			ul = 256;
		ul = ku_escape(s + rest, ul, u->user_buf);
		u->user_buf[ul] = '\0';
		u->userinfo = u->user_buf;
		hp = (size_t)(at - s) + 1;
	}
	hl = auth_end - hp;
	if (hl > 0 && s[hp] == '[') {
		const char *rb = memchr(s + hp, ']', hl);

		if (rb != NULL) {
			size_t k = (size_t)(rb - (s + hp)) + 1;

			if (k < hl && s[hp + k] == ':') {
				u->port = parse_port(s + hp + k + 1, hl - k - 1);
				hl = k;
			}
		}
	} else {
		/* The host ends at the first ':', as browsers read it. */
		const char *colon = memchr(s + hp, ':', hl);

		if (colon != NULL) {
			size_t k = (size_t)(colon - (s + hp));

			u->port = parse_port(colon + 1, hl - k - 1);
			hl = k;
		}
	}
	st = canon_host(u, s + hp, hl, err);
	if (st != KS_OK)
		return st;
	u->rest_auth_end = auth_end;
	u->rest_qpos = qpos;
	u->rest_len = m;
	u->rest_query = q != NULL;
	return KS_OK;
}

void ku_canon_url_rest(struct ku_url *u)
{
	char *s = u->work, *q = s + u->rest_qpos;
	size_t auth_end = u->rest_auth_end, qpos = u->rest_qpos,
	       m = u->rest_len, pl, o;
	int have_query = u->rest_query;

	/* Path (in place in the work buffer), then the output. */
	if (auth_end < qpos) {
		pl = canon_path(s + auth_end, qpos - auth_end);
	} else {
		/* No path: "/" goes where the authority ended (the byte
		 * there is '?' or nothing, both already taken into qpos). */
		pl = 0;
	}
	o = strlen(u->scheme_buf);
	memcpy(u->out, u->scheme_buf, o);
	memcpy(u->out + o, "://", 3);
	o += 3;
	memcpy(u->out + o, u->host_buf, u->host_len);
	o += u->host_len;
	u->path = u->out + o;
	if (pl == 0)
		u->out[o++] = '/';
	else
		o += ku_escape(s + auth_end, pl, u->out + o);
	u->path_len = (size_t)(u->out + o - u->path);
	if (have_query) {
		u->out[o++] = '?';
		u->query = u->out + o;
		o += ku_escape(q + 1, m - qpos - 1, u->out + o);
		u->query_len = (size_t)(u->out + o - u->query);
	}
	u->out[o] = '\0';
	u->canonical_len = o;
}

enum ks_status ku_canon_url(struct ku_url *u, const char *in, size_t n,
			    struct ks_err *err)
{
	enum ks_status st = ku_canon_url_host(u, in, n, err);

	if (st == KS_OK)
		ku_canon_url_rest(u);
	return st;
}

enum ks_status ku_canon_host(struct ku_url *u, const char *in, size_t n,
			     struct ks_err *err)
{
	enum ks_status st;
	size_t m;

	reset(u, 1);
	u->scheme_buf[0] = '\0';
	if (n > KU_URL_MAX)
		return ks_err_set(err, KS_ERR_LIMIT, "longer than %d bytes",
				  KU_URL_MAX);
	m = clean_input(u, in, n);
	m = ku_unescape_all(u->work, m, u->work);
	if (m == 0)
		return ks_err_set(err, KS_ERR_INVALID, "empty host name");
	st = canon_host(u, u->work, m, err);
	if (st != KS_OK)
		return st;
	/* The canonical form of a host alone is the host. */
	u->canonical = u->host_buf;
	u->canonical_len = u->host_len;
	u->path = "/";
	u->path_len = 1;
	return KS_OK;
}
