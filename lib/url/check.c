/*
 * The lookups of one check (see check.h for what is looked up and why).
 * Nothing here allocates: keys are built in the check's own buffer and
 * matches point into the query or the mapped database.
 */
#include "url/check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS_MATCHED 0x01
#define FS_EXCEPT 0x02

/* Host labels looked up; a canonical host has at most 256 (its length
 * is capped), and all fit. */
#define SUFFIXES 260

struct ku_check *ku_check_new(void)
{
	return calloc(1, sizeof(struct ku_check));
}

void ku_check_free(struct ku_check *c)
{
	free(c);
}

static void touch(struct ku_check *c, unsigned feed, unsigned char bit)
{
	if (c->feed_state[feed] == 0)
		c->touched[c->ntouched++] = (unsigned short)feed;
	c->feed_state[feed] |= bit;
}

static void add(struct ku_check *c, const struct ku_db *db, unsigned feed,
		enum ku_kind kind, unsigned flags, const char *entry,
		size_t elen, const char *expr, size_t xlen, const char *net)
{
	struct ku_match *m;

	if (feed >= ku_db_info(db)->nfeeds)
		return;   /* a damaged record: not an entry */
	touch(c, feed, flags & KU_EF_EXCEPTION ? FS_EXCEPT : FS_MATCHED);
	if (c->n >= KU_MAX_MATCHES) {
		c->omitted++;
		return;
	}
	m = &c->m[c->n++];
	m->feed = feed;
	m->kind = kind;
	m->flags = flags;
	if (net != NULL) {
		snprintf(m->net, sizeof m->net, "%s", net);
		entry = expr = m->net;
		elen = xlen = strlen(m->net);
	}
	m->entry = entry;
	m->entry_len = elen;
	m->expr = expr;
	m->expr_len = xlen;
}

static int probe_h(struct ku_check *c, const struct ku_db *db,
		   const char *what, const void *key, size_t n, uint64_t h,
		   struct ku_rec *rec)
{
	int found = ku_db_find(db, key, n, h, rec);

	if (c->trace != NULL)
		c->trace(c->trace_ctx, what, key, n, found);
	return found;
}

static int probe(struct ku_check *c, const struct ku_db *db, const char *what,
		 const void *key, size_t n, struct ku_rec *rec)
{
	int found = ku_db_find(db, key, n, ku_db_hash(db, key, n), rec);

	if (c->trace != NULL)
		c->trace(c->trace_ctx, what, key, n, found);
	return found;
}

/* Take the entries of a host record whose kinds `ok` allows. */
static void host_entries(struct ku_check *c, const struct ku_db *db,
			 const struct ku_rec *r, unsigned ok, const char *expr,
			 size_t xlen)
{
	for (size_t i = 0; i < r->nmatch; i++) {
		unsigned feed, kind, flags;

		ku_rec_entry(r, i, &feed, &kind, &flags);
		if (kind < KU_KIND_COUNT && (ok >> kind & 1))
			add(c, db, feed, (enum ku_kind)kind, flags,
			    (const char *)r->key, r->key_len, expr, xlen, NULL);
	}
}

static void net_text(int family, const uint8_t *key, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, key + 3, a,
		      sizeof a) == NULL)
		snprintf(a, sizeof a, "?");
	snprintf(out, cap, "%s/%u", a, key[2]);
}

static void check_networks(struct ku_check *c, const struct ku_db *db)
{
	int family = c->url.host_type == KU_HOST_IPV4 ? 4 : 6;
	unsigned maxbits = family == 4 ? 32 : 128;
	uint8_t key[19];
	char text[64];
	struct ku_rec r;

	for (unsigned bits = 0; bits <= maxbits; bits++) {
		size_t n;

		if (!ku_db_cidr_has(db, family, bits))
			continue;
		n = ku_cidr_key(family, c->url.ip, bits, key);
		if (c->trace != NULL)
			net_text(family, key, text, sizeof text);
		if (ku_db_find(db, key, n, ku_db_hash(db, key, n), &r)) {
			net_text(family, key, text, sizeof text);
			if (c->trace != NULL)
				c->trace(c->trace_ctx, "network", text,
					 strlen(text), 1);
			for (size_t i = 0; i < r.nmatch; i++) {
				unsigned feed, kind, flags;

				ku_rec_entry(&r, i, &feed, &kind, &flags);
				if (kind == KU_KIND_CIDR)
					add(c, db, feed, KU_KIND_CIDR, flags,
					    NULL, 0, NULL, 0, text);
			}
		} else if (c->trace != NULL) {
			c->trace(c->trace_ctx, "network", text, strlen(text), 0);
		}
	}
}

static void resolve(struct ku_check *c, const struct ku_db *db)
{
	unsigned best = 256;
	size_t k = 0;

	for (size_t i = 0; i < c->ntouched; i++) {
		unsigned f = c->touched[i];
		const struct ku_db_feed *fd = ku_db_feed(db, f);

		if (!(c->feed_state[f] & FS_MATCHED) ||
		    (c->feed_state[f] & FS_EXCEPT))
			continue;
		if (fd->flags & KU_FF_ALLOW)
			c->allowed = 1;
		else if (fd->rank < best) {
			best = fd->rank;
			c->category = fd->category;
		}
	}
	/* Matches of a feed whose exception applies are not matches. */
	for (size_t i = 0; i < c->n; i++)
		if (!(c->feed_state[c->m[i].feed] & FS_EXCEPT))
			c->m[k++] = c->m[i];
	c->n = k;
	for (size_t i = 0; i < c->ntouched; i++)
		c->feed_state[c->touched[i]] = 0;
	c->ntouched = 0;
	if (c->allowed || c->category == NULL) {
		c->category = NULL;
		c->verdict = KU_CLEAN;
	} else {
		c->verdict = KU_LISTED;
	}
}

/* The error verdict of a damaged database: whatever was found before the
 * damage showed is dropped with it. */
static enum ku_verdict damaged(struct ku_check *c, const struct ku_db *db)
{
	ku_db_damaged(db, &c->err);
	for (size_t i = 0; i < c->ntouched; i++)
		c->feed_state[c->touched[i]] = 0;
	c->ntouched = 0;
	c->n = 0;
	c->omitted = 0;
	c->allowed = 0;
	c->category = NULL;
	c->verdict = KU_ERROR;
	return KU_ERROR;
}

/* What a suffix of the host is looked up for. */
#define W_KEY 0x01    /* as a host key (host, domain, subdomain entries) */
#define W_MARK 0x02   /* as the host of URL entries (an expression host) */

/* The suffixes of a host name to look up, and their hashes. */
struct suffixes {
	size_t n;
	const char *s[SUFFIXES];
	uint64_t h[SUFFIXES];
	unsigned char want[SUFFIXES];
};

/*
 * Every suffix of the name, from the whole host down: the whole host is
 * a key when there are host, domain or ip entries, a shorter suffix when
 * there are domain or subdomain entries, either only when some host key
 * has as many labels; and the expression hosts (suffixes too) are looked
 * up as marks, with the same hash, in the same filter block.  The hashes
 * are made and their filter blocks asked for before the lookups, so that
 * the lookups wait for memory together, not one by one.
 */
static void name_suffixes(struct ku_check *c, const struct ku_db *db,
			  unsigned kinds, struct suffixes *x)
{
	const char *h = c->url.host, *end = h + c->url.host_len;
	const char *start[SUFFIXES];
	size_t nlabels = 1;
	unsigned e = 0;
	int whole = (kinds & (1u << KU_KIND_HOST | 1u << KU_KIND_DOMAIN |
			      1u << KU_KIND_IP)) != 0;
	int parent = (kinds & (1u << KU_KIND_DOMAIN |
			       1u << KU_KIND_SUBDOMAIN)) != 0;
	int urls = (kinds & (1u << KU_KIND_URL)) != 0;

	/* The start of every label, in one pass (names are short). */
	start[0] = h;
	for (const char *s = h; s < end; s++)
		if (*s == '.' && nlabels < SUFFIXES)
			start[nlabels++] = s + 1;
	x->n = 0;
	for (size_t l = 0; l < nlabels; l++) {
		const char *s = start[l];
		unsigned w = 0;

		if ((x->n == 0 ? whole : parent) &&
		    ku_db_has_labels(db, nlabels - x->n))
			w |= W_KEY;
		if (urls && e < c->ex.nhosts && c->ex.host[e].p == s) {
			w |= W_MARK;
			e++;
		}
		x->s[x->n] = s;
		x->want[x->n] = (unsigned char)w;
		if (w != 0) {
			x->h[x->n] = ku_db_hash(db, s, (size_t)(end - s));
			ku_db_prefetch(db, x->h[x->n]);
		}
		x->n++;
	}
}

/* The lookups of the suffixes; the mark hash of each expression host
 * into mark[]. */
static void name_lookups(struct ku_check *c, const struct ku_db *db,
			 const struct suffixes *x, uint64_t *mark)
{
	const char *h = c->url.host, *end = h + c->url.host_len;
	unsigned e = 0;
	struct ku_rec r;

	for (size_t i = 0; i < x->n; i++) {
		const char *s = x->s[i];

		if (x->want[i] & W_MARK)
			mark[e++] = x->h[i];
		if ((x->want[i] & W_KEY) &&
		    probe_h(c, db, "host", s, (size_t)(end - s), x->h[i], &r)) {
			unsigned ok = s == h ?
				1u << KU_KIND_HOST | 1u << KU_KIND_DOMAIN |
				1u << KU_KIND_IP :
				1u << KU_KIND_DOMAIN | 1u << KU_KIND_SUBDOMAIN;

			host_entries(c, db, &r, ok, s, (size_t)(end - s));
		}
	}
	/* Every expression host is a suffix, so each has its hash now;
	 * should one not be, it is hashed here. */
	for (; e < c->ex.nhosts; e++)
		mark[e] = ku_db_mark_hash(db, c->ex.host[e].p, c->ex.host[e].n);
}

/* The expressions of the hosts that the filter says URL entries may
 * use. */
static void url_lookups(struct ku_check *c, const struct ku_db *db,
			const uint64_t *mark)
{
	int urlhost[KU_EXPR_HOSTS];
	struct ku_rec r;

	for (unsigned h = 0; h < c->ex.nhosts; h++) {
		urlhost[h] = ku_db_marked(db, mark[h]);
		if (c->trace != NULL)
			c->trace(c->trace_ctx, "urlhost", c->ex.host[h].p,
				 c->ex.host[h].n, urlhost[h]);
	}
	for (unsigned h = 0; h < c->ex.nhosts; h++) {
		if (!urlhost[h])
			continue;
		if (c->ex.npaths == 0)
			ku_exprs_paths(&c->ex, &c->url);
		for (unsigned p = 0; p < c->ex.npaths; p++) {
			size_t kl = ku_expr_write(&c->ex, h, p, c->key,
						  sizeof c->key);

			if (kl == 0 || !probe(c, db, "expression", c->key, kl, &r))
				continue;
			for (size_t i = 0; i < r.nmatch; i++) {
				unsigned feed, kind, flags;

				ku_rec_entry(&r, i, &feed, &kind, &flags);
				if (kind == KU_KIND_URL)
					add(c, db, feed, KU_KIND_URL, flags,
					    (const char *)r.key, r.key_len,
					    (const char *)r.key, r.key_len,
					    NULL);
			}
		}
	}
}

enum ku_verdict ku_check(struct ku_check *c, const struct ku_db *db,
			 const char *in, size_t n, int host_only)
{
	unsigned kinds = ku_db_info(db)->kinds;
	uint64_t mark[KU_EXPR_HOSTS], hh = 0;
	struct suffixes x;
	struct ku_rec r;
	enum ks_status st;

	x.n = 0;
	if (ku_db_damaged(db, NULL))
		return damaged(c, db);
	c->n = 0;
	c->omitted = 0;
	c->allowed = 0;
	c->category = NULL;
	c->verdict = KU_CLEAN;
	c->err.msg[0] = '\0';
	st = host_only ? ku_canon_host(&c->url, in, n, &c->err) :
			 ku_canon_url_host(&c->url, in, n, &c->err);
	if (st != KS_OK) {
		c->err.status = st;
		c->verdict = KU_ERROR;
		return KU_ERROR;
	}
	/* The host's lookups are started (hashes made, filter blocks asked
	 * for) before the path is canonicalized, which hides part of the
	 * time the memory takes to answer. */
	ku_exprs_hosts(&c->ex, &c->url);
	if (c->url.host_type == KU_HOST_NAME) {
		name_suffixes(c, db, kinds, &x);
	} else {
		hh = ku_db_hash(db, c->url.host, c->url.host_len);
		ku_db_prefetch(db, hh);
	}
	if (!host_only)
		ku_canon_url_rest(&c->url);
	if (c->trace != NULL)
		ku_exprs_paths(&c->ex, &c->url);

	if (c->url.host_type == KU_HOST_NAME) {
		name_lookups(c, db, &x, mark);
	} else {
		mark[0] = hh;   /* an address is its only expression host */
		if (probe_h(c, db, "host", c->url.host, c->url.host_len, hh, &r))
			host_entries(c, db, &r, 1u << KU_KIND_HOST |
				     1u << KU_KIND_DOMAIN | 1u << KU_KIND_IP,
				     c->url.host, c->url.host_len);
		if (kinds & (1u << KU_KIND_CIDR))
			check_networks(c, db);
	}
	if (kinds & (1u << KU_KIND_URL))
		url_lookups(c, db, mark);
	/* A lookup that read a damaged block found nothing there: the
	 * answer cannot be trusted, and the database is refused. */
	if (ku_db_damaged(db, NULL))
		return damaged(c, db);
	resolve(c, db);
	return c->verdict;
}
