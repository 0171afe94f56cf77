/*
 * Host-suffix / path-prefix expressions (Safe Browsing v4, "URLs and
 * Hashing", "Suffix/Prefix Expressions").
 *
 * Hosts: the exact host, then (for names, never for IP addresses) up to
 * four more formed from the last five components by removing the leading
 * one each time, leaving out the top-level domain alone.  Paths: the
 * exact path with the query (when the query is not empty), the exact path
 * without it, then "/" and the directory prefixes "/a/", "/a/b/", ...:
 * four prefixes at most.  Every host is combined with every path: 30
 * expressions at most.  A host-only query (DNS, TLS SNI) has the single
 * path "/", so an entry with a longer path never matches it.
 *
 * The expressions point into the struct ku_url they were made from and
 * stay valid as long as it does.
 */
#ifndef KU_URL_EXPR_H
#define KU_URL_EXPR_H

#include <stddef.h>

#include "url/canon.h"

#define KU_EXPR_HOSTS 5
#define KU_EXPR_PATHS 6
#define KU_EXPR_MAX (KU_EXPR_HOSTS * KU_EXPR_PATHS)

struct ku_exprs {
	unsigned nhosts, npaths;
	struct {
		const char *p;   /* a suffix of url->host */
		size_t n;
	} host[KU_EXPR_HOSTS];
	size_t path[KU_EXPR_PATHS];  /* lengths of prefixes of url->path
					(which runs on into ?query) */
	const char *pathp;           /* url->path */
};

void ku_exprs_make(struct ku_exprs *e, const struct ku_url *u);

/* The two halves of ku_exprs_make: a check needs the paths only when a
 * host has URL entries. */
void ku_exprs_hosts(struct ku_exprs *e, const struct ku_url *u);
void ku_exprs_paths(struct ku_exprs *e, const struct ku_url *u);

/* Write host h + path p into out (room for cap bytes, NUL added);
 * returns the length, or 0 when it does not fit. */
size_t ku_expr_write(const struct ku_exprs *e, unsigned h, unsigned p,
		     char *out, size_t cap);

#endif
