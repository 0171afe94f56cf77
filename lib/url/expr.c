/*
 * Expression generation (Safe Browsing v4 "URLs and Hashing", "Suffix/
 * Prefix Expressions"); the limits of five hosts and six paths are the
 * specification's (the Go reference library allows seven host
 * components; see kurlcheck(1), CONFORMANCE).
 */
#include "url/expr.h"

#include <string.h>

void ku_exprs_hosts(struct ku_exprs *e, const struct ku_url *u)
{
	const char *h = u->host;
	size_t n = u->host_len, comps = 1;

	e->nhosts = 0;
	e->npaths = 0;
	e->host[e->nhosts].p = h;
	e->host[e->nhosts].n = n;
	e->nhosts++;
	if (u->host_type == KU_HOST_NAME) {
		size_t start[6], k = 0;

		/* The starts of the last five components, from the end:
		 * start[c - 1] begins the suffix of c components. */
		for (size_t i = n; i > 0 && k < 5; i--)
			if (h[i - 1] == '.')
				start[k++] = i;
		comps = k + 1;
		if (k == 5 && memchr(h, '.', start[4] - 1) == NULL)
			comps = 6;   /* exactly six: the whole is not a suffix */
		else if (k == 5)
			comps = 7;   /* more than six */
		/* Suffixes of min(5, comps - 1) down to 2 components. */
		for (size_t want = comps - 1 < 5 ? comps - 1 : 5; want >= 2;
		     want--) {
			size_t i = start[want - 1];

			e->host[e->nhosts].p = h + i;
			e->host[e->nhosts].n = n - i;
			e->nhosts++;
		}
	}
}

void ku_exprs_paths(struct ku_exprs *e, const struct ku_url *u)
{
	size_t pl = u->path_len, k = 0;

	e->npaths = 0;
	e->pathp = u->path;
	if (u->host_only) {
		e->path[e->npaths++] = 1;
		return;
	}
	if (u->query != NULL && u->query_len > 0)
		e->path[e->npaths++] = pl + 1 + u->query_len;
	e->path[e->npaths++] = pl;
	/* "/" and up to three directory prefixes. */
	for (const char *s = u->path, *end = u->path + pl; s != NULL && k < 4;
	     k++) {
		size_t i = (size_t)(s - u->path);

		if (i + 1 != pl)
			e->path[e->npaths++] = i + 1;
		if (++s >= end)
			break;
		s = memchr(s, '/', (size_t)(end - s));
	}
}

void ku_exprs_make(struct ku_exprs *e, const struct ku_url *u)
{
	ku_exprs_hosts(e, u);
	ku_exprs_paths(e, u);
}

size_t ku_expr_write(const struct ku_exprs *e, unsigned h, unsigned p,
		     char *out, size_t cap)
{
	size_t hn, pn;

	if (h >= e->nhosts || p >= e->npaths)
		return 0;
	hn = e->host[h].n;
	pn = e->path[p];
	if (hn + pn + 1 > cap)
		return 0;
	memcpy(out, e->host[h].p, hn);
	memcpy(out + hn, e->pathp, pn);
	out[hn + pn] = '\0';
	return hn + pn;
}
