/*
 * The CSV feeds: URLhaus ("csv" and "csv_online" downloads: '#' comment
 * lines, one of which is the header "# id,dateadded,url,url_status,...")
 * and PhishTank ("online-valid.csv": a header row "phish_id,url,
 * phish_detail_url,..."), both quoted as RFC 4180 says: a field in double
 * quotes may hold commas, and "" stands for one quote.  Lines are read one
 * at a time, so a quoted field must end on its line.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "url/feeds-int.h"

#define CSV_MAX_FIELDS 64

struct field {
	char *p;
	size_t n;
};

/* Split s[0..n) into fields, unquoting in place; -1 on an unterminated
 * quote or too many fields. */
static int split(char *s, size_t n, struct field *f, size_t *nf)
{
	size_t i = 0;

	*nf = 0;
	for (;;) {
		struct field *cur;

		if (*nf == CSV_MAX_FIELDS)
			return -1;
		cur = &f[(*nf)++];
		if (i < n && s[i] == '"') {
			size_t o = i + 1, r = i + 1;

			cur->p = s + o;
			for (;;) {
				if (r >= n)
					return -1;
				if (s[r] == '"') {
					if (r + 1 < n && s[r + 1] == '"') {
						s[o++] = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				s[o++] = s[r++];
			}
			cur->n = o - (size_t)(cur->p - s);
			/* Anything between the closing quote and the comma
			 * breaks the format. */
			if (r < n && s[r] != ',')
				return -1;
			i = r;
		} else {
			size_t j = i;

			while (j < n && s[j] != ',')
				j++;
			cur->p = s + i;
			cur->n = j - i;
			i = j;
		}
		if (i >= n)
			return 0;
		i++;   /* the comma */
		if (i == n) {
			if (*nf == CSV_MAX_FIELDS)
				return -1;
			f[*nf].p = s + i;
			f[*nf].n = 0;
			(*nf)++;
			return 0;
		}
	}
}

/* A header row names its columns; take the one called "url". */
static int header_url_col(struct field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		char *p = f[i].p;
		size_t n = f[i].n;

		kuf_trim(&p, &n);
		if (n == 3 && strncasecmp(p, "url", 3) == 0)
			return (int)i;
	}
	return -1;
}

enum ku_line kuf_csv_line(struct ku_feed_parser *p, char *s, size_t n,
			  ku_entry_fn fn, void *ctx, char *why, size_t cap,
			  enum ks_status *st)
{
	struct field f[CSV_MAX_FIELDS];
	size_t nf;
	char *u;
	size_t un;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	kuf_trim(&s, &n);
	if (n == 0)
		return KU_LINE_IGNORED;
	if (s[0] == '#') {
		/* URLhaus: the header is a comment line. */
		char *h = s + 1;
		size_t hn = n - 1;
		int col;

		kuf_trim(&h, &hn);
		if (p->fmt == KU_FMT_URLHAUS && !p->header_seen &&
		    split(h, hn, f, &nf) == 0 && nf > 1 &&
		    (col = header_url_col(f, nf)) >= 0) {
			p->url_col = col;
			p->header_seen = 1;
		}
		return KU_LINE_IGNORED;
	}
	if (split(s, n, f, &nf) != 0) {
		kuf_why(why, cap, "not a CSV row (an unterminated quote, or "
			"too many fields)", s, n);
		return KU_LINE_BAD;
	}
	if (!p->header_seen && p->fmt == KU_FMT_PHISHTANK) {
		int col = header_url_col(f, nf);

		p->header_seen = 1;
		if (col >= 0) {
			p->url_col = col;
			return KU_LINE_IGNORED;
		}
	}
	if ((size_t)p->url_col >= nf) {
		snprintf(why, cap, "%zu fields, the URL is field %d", nf,
			 p->url_col + 1);
		return KU_LINE_BAD;
	}
	u = f[p->url_col].p;
	un = f[p->url_col].n;
	kuf_trim(&u, &un);
	if (un == 0) {
		snprintf(why, cap, "the URL field is empty");
		return KU_LINE_BAD;
	}
	return kuf_url_entry(p, u, un, fn, ctx, why, cap, st);
}
