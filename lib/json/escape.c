#include "json/escape.h"

#include <string.h>

#include "core/hex.h"
#include "core/utf8.h"

static const char hexdig[] = "0123456789abcdef";

/* Bytes that can be copied as they are: printable ASCII but " and \. */
static const uint8_t plain[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
	['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
	['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
	['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1,
};

static void put_u(uint8_t *o, uint32_t cp)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = (uint8_t)hexdig[cp >> 12 & 0xf];
	o[3] = (uint8_t)hexdig[cp >> 8 & 0xf];
	o[4] = (uint8_t)hexdig[cp >> 4 & 0xf];
	o[5] = (uint8_t)hexdig[cp & 0xf];
}

enum ks_status kj_escape(struct ks_buf *b, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i = 0, run, k;
	uint32_t cp;
	uint8_t *o;
	enum ks_status st;

	/* Worst case: six output bytes per input byte, plus the quotes. */
	if (n > (KS_BUF_UNLIMITED - 2) / 6)
		return KS_ERR_LIMIT;
	st = ks_buf_reserve(b, n * 6 + 2);
	if (st != KS_OK)
		return st;
	o = b->data + b->len;
	*o++ = '"';
	while (i < n) {
		for (run = i; run < n && plain[s[run]]; run++)
			;
		if (run > i) {
			memcpy(o, s + i, run - i);
			o += run - i;
			i = run;
			if (i == n)
				break;
		}
		if (s[i] < 0x80) {
			switch (s[i]) {
			case '"': *o++ = '\\'; *o++ = '"'; break;
			case '\\': *o++ = '\\'; *o++ = '\\'; break;
			case '\b': *o++ = '\\'; *o++ = 'b'; break;
			case '\f': *o++ = '\\'; *o++ = 'f'; break;
			case '\n': *o++ = '\\'; *o++ = 'n'; break;
			case '\r': *o++ = '\\'; *o++ = 'r'; break;
			case '\t': *o++ = '\\'; *o++ = 't'; break;
			default: put_u(o, s[i]); o += 6; break;
			}
			i++;
			continue;
		}
		k = ks_utf8_decode(s + i, n - i, &cp);
		if (k == 0) {
			put_u(o, 0xdc00u | s[i]);
			o += 6;
			i++;
		} else if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029) {
			put_u(o, cp);
			o += 6;
			i += k;
		} else {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	return KS_OK;
}

enum ks_status kj_escape_cstr(struct ks_buf *b, const char *s)
{
	return kj_escape(b, s, s != NULL ? strlen(s) : 0);
}

/* Value of the \uXXXX escape at t[i] (t[i] == '\\'), or -1. */
static long uescape(const char *t, size_t i, size_t n)
{
	long v = 0;
	int d, k;

	if (n - i < 6 || t[i + 1] != 'u')
		return -1;
	for (k = 2; k < 6; k++) {
		d = ks_hexval((unsigned char)t[i + (size_t)k]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

size_t kj_surrogates_to_bytes(char *t, size_t *len)
{
	size_t n = *len, r = 0, w = 0, done = 0;
	int in_str = 0;
	long v, prev_high = 0;

	while (r < n) {
		char c = t[r];

		if (!in_str) {
			if (c == '"')
				in_str = 1;
			t[w++] = t[r++];
			continue;
		}
		if (c == '"') {
			in_str = 0;
			prev_high = 0;
			t[w++] = t[r++];
			continue;
		}
		if (c != '\\') {
			prev_high = 0;
			t[w++] = t[r++];
			continue;
		}
		v = uescape(t, r, n);
		if (v >= 0xdc80 && v <= 0xdcff && !prev_high) {
			t[w++] = (char)(v & 0xff);
			r += 6;
			done++;
			continue;
		}
		if (v >= 0) {
			prev_high = v >= 0xd800 && v <= 0xdbff;
			memmove(t + w, t + r, 6);
			w += 6;
			r += 6;
			continue;
		}
		/* Any other escape is two characters: keep both. */
		prev_high = 0;
		t[w++] = t[r++];
		if (r < n)
			t[w++] = t[r++];
	}
	*len = w;
	return done;
}
