/*
 * Checking one address against a database.
 *
 * The query is canonicalized (canon.h) and looked up as keys:
 *
 *   - every label suffix of the host, from the whole host down to the
 *     top-level domain (when the database has domain entries; otherwise
 *     the whole host only): the whole host finds host,
 *     domain and ip entries, a proper suffix finds domain and subdomain
 *     entries, so a listed a.example.com never hides a listed example.com
 *     for b.example.com, and no listing reaches a parent it did not name;
 *   - for an IP address, the address and each network prefix length
 *     that the database's CIDR entries use;
 *   - the host/path expressions (expr.h) of the hosts that the
 *     database's filter says URL entries may use: URL entries match by
 *     expression, and a host-only query (DNS,
 *     TLS SNI) has the single expression host/, so it matches an entry
 *     for a whole site and never one with a longer path.
 *
 * Then: an exception entry (@@ in an Adblock feed) cancels the matches of
 * its own feed; a match of an allowlist makes the verdict clean whatever
 * else matched (the matches are still reported); otherwise the category
 * of the best-ranked match is the verdict (malicious, then phishing, then
 * other categories in the order of their first feed).
 *
 * A struct ku_check is reused from check to check and allocates nothing;
 * its strings stay valid until the next check with it, and those that
 * point into the database until the database is closed.
 */
#ifndef KU_URL_CHECK_H
#define KU_URL_CHECK_H

#include <stddef.h>

#include "url/canon.h"
#include "url/db.h"
#include "url/expr.h"

#define KU_MAX_MATCHES 32

enum ku_verdict {
	KU_CLEAN = 0,
	KU_LISTED,
	KU_ERROR,
};

struct ku_match {
	unsigned feed;          /* number of the feed in the database */
	enum ku_kind kind;
	unsigned flags;         /* KU_EF_* */
	const char *entry;      /* the entry as the database holds it */
	size_t entry_len;
	const char *expr;       /* the part of the query that matched it */
	size_t expr_len;
	char net[64];           /* the text of a CIDR entry */
};

/* Called for every key looked up, when set (--explain). */
typedef void (*ku_trace_fn)(void *ctx, const char *what, const char *key,
			    size_t n, int found);

struct ku_check {
	struct ku_url url;
	struct ku_exprs ex;
	enum ku_verdict verdict;
	const char *category;   /* the verdict's category when listed */
	int allowed;            /* an allowlist matched */
	size_t n, omitted;      /* matches kept, and past KU_MAX_MATCHES */
	struct ku_match m[KU_MAX_MATCHES];
	struct ks_err err;      /* the reason of KU_ERROR */
	ku_trace_fn trace;
	void *trace_ctx;

	/* Work space. */
	char key[KU_DB_MAX_KEY + 1];
	unsigned char feed_state[KU_DB_MAX_FEEDS];
	unsigned short touched[KU_DB_MAX_FEEDS];
	size_t ntouched;
};

/* A check state on the heap (it is large); NULL when out of memory. */
struct ku_check *ku_check_new(void);
void ku_check_free(struct ku_check *c);

/*
 * Check a URL (host_only 0) or a host name (1).  Returns the verdict;
 * KU_ERROR when the input is not usable (c->err says why).
 */
enum ku_verdict ku_check(struct ku_check *c, const struct ku_db *db,
			 const char *in, size_t n, int host_only);

#endif
