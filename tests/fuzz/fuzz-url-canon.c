/*
 * Fuzz target: the URL canonicalizer and the expressions, as a URL and as
 * a host.  Beyond "no crash":
 *   - the canonical form is printable ASCII without blanks or '#', every
 *     '%' starts an escape with two uppercase hex digits;
 *   - canonicalization is idempotent (the canonical URL, or host, gives
 *     itself again, or is refused as too long when escaping made it
 *     longer than KU_URL_MAX);
 *   - at most 5 hosts and 6 paths; each host is a suffix of the host at a
 *     label boundary, each path a prefix of the path (and query).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url/canon.h"
#include "url/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			abort();
		if (c == '%') {
			if (i + 2 >= n)
				abort();
			if (!((s[i + 1] >= '0' && s[i + 1] <= '9') ||
			      (s[i + 1] >= 'A' && s[i + 1] <= 'F')) ||
			    !((s[i + 2] >= '0' && s[i + 2] <= '9') ||
			      (s[i + 2] >= 'A' && s[i + 2] <= 'F')))
				abort();
		}
	}
}

static void check_exprs(const struct ku_url *u)
{
	struct ku_exprs e;
	char buf[3 * KU_URL_MAX + 600];

	ku_exprs_make(&e, u);
	if (e.nhosts < 1 || e.nhosts > KU_EXPR_HOSTS || e.npaths < 1 ||
	    e.npaths > KU_EXPR_PATHS)
		abort();
	for (unsigned h = 0; h < e.nhosts; h++) {
		const char *p = e.host[h].p;

		if (p < u->host || p + e.host[h].n != u->host + u->host_len ||
		    (p != u->host && p[-1] != '.'))
			abort();
		for (unsigned k = 0; k < e.npaths; k++) {
			if (e.pathp[0] != '/' || e.path[k] == 0)
				abort();
			if (ku_expr_write(&e, h, k, buf, sizeof buf) !=
			    e.host[h].n + e.path[k])
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ku_url *u, *w;
	enum ks_status st;

	if (u == NULL) {
		u = malloc(sizeof *u);
		w = malloc(sizeof *w);
		if (u == NULL || w == NULL)
			abort();
	}
	if (ku_canon_url(u, (const char *)data, size, NULL) == KS_OK) {
		check_text(u->canonical, u->canonical_len);
		if (u->host_len == 0 || u->host_len > KU_HOST_MAX ||
		    strlen(u->canonical) != u->canonical_len)
			abort();
		check_exprs(u);
		/* Escaping can make the canonical form longer than the input
		 * cap; such a form is refused as too long, never changed. */
		st = ku_canon_url(w, u->canonical, u->canonical_len, NULL);
		if (u->canonical_len > KU_URL_MAX ? st != KS_ERR_LIMIT :
		    st != KS_OK || strcmp(w->canonical, u->canonical) != 0)
			abort();
	}
	if (ku_canon_host(u, (const char *)data, size, NULL) == KS_OK) {
		check_text(u->host, u->host_len);
		check_exprs(u);
		if (ku_canon_host(w, u->host, u->host_len, NULL) != KS_OK ||
		    strcmp(w->host, u->host) != 0)
			abort();
	}
	return 0;
}
