/*
 * The line formats of feeds (see feeds.h): URL lists, OpenPhish, domain
 * lists, hosts(5) files, Adblock Plus "||host^" rules (the "Address
 * parts" of the Adblock Plus filter syntax), IP and CIDR lists.  The CSV
 * formats are in feeds-csv.c.  Every entry goes through the canonicalizer
 * the checks use, so that an entry and a query meet in the same form.
 */
#include "url/feeds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/reader.h"
#include "url/feeds-int.h"

static const char *const FORMATS[KU_FMT_COUNT] = {
	"urls", "openphish", "domains", "hosts", "adblock", "urlhaus",
	"phishtank", "ip", "cidr"
};

const char *ku_format_name(enum ku_format f)
{
	return (unsigned)f < KU_FMT_COUNT ? FORMATS[f] : "?";
}

int ku_format_parse(const char *s, enum ku_format *f)
{
	for (unsigned i = 0; i < KU_FMT_COUNT; i++)
		if (strcmp(s, FORMATS[i]) == 0) {
			*f = (enum ku_format)i;
			return 0;
		}
	return -1;
}

static int url_format(enum ku_format f)
{
	return f == KU_FMT_URLS || f == KU_FMT_OPENPHISH ||
	       f == KU_FMT_URLHAUS || f == KU_FMT_PHISHTANK;
}

enum ku_kind ku_format_default_kind(enum ku_format f)
{
	switch (f) {
	case KU_FMT_DOMAINS:
	case KU_FMT_ADBLOCK:
		return KU_KIND_DOMAIN;
	case KU_FMT_HOSTS:
		return KU_KIND_HOST;
	case KU_FMT_IP:
		return KU_KIND_IP;
	case KU_FMT_CIDR:
		return KU_KIND_CIDR;
	default:
		return KU_KIND_URL;
	}
}

const char *ku_format_default_category(enum ku_format f)
{
	return f == KU_FMT_OPENPHISH || f == KU_FMT_PHISHTANK ? "phishing" :
								"malicious";
}

int ku_format_kind_ok(enum ku_format f, enum ku_kind k)
{
	if (url_format(f))
		return k == KU_KIND_URL || k == KU_KIND_HOST ||
		       k == KU_KIND_DOMAIN;
	if (f == KU_FMT_DOMAINS || f == KU_FMT_HOSTS || f == KU_FMT_ADBLOCK)
		return k == KU_KIND_HOST || k == KU_KIND_DOMAIN;
	return k == ku_format_default_kind(f);
}

int ku_category_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || strcmp(s, "clean") == 0 ||
	    strcmp(s, "error") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

enum ks_status ku_feed_parser_init(struct ku_feed_parser *p,
				   enum ku_format fmt, enum ku_kind kind)
{
	memset(p, 0, sizeof *p);
	p->fmt = fmt;
	p->kind = kind;
	p->url_col = fmt == KU_FMT_URLHAUS ? 2 : 1;
	p->url = malloc(sizeof *p->url);
	return p->url != NULL ? KS_OK : KS_ERR_NOMEM;
}

void ku_feed_parser_free(struct ku_feed_parser *p)
{
	free(p->url);
	p->url = NULL;
}

/* ---- helpers ----------------------------------------------------------- */

static int blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

void kuf_trim(char **s, size_t *n)
{
	while (*n > 0 && blank((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && blank((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Cut a comment that starts at `c` at the line start or after a blank. */
static void cut_comment(char *s, size_t *n, char c)
{
	for (size_t i = 0; i < *n; i++)
		if (s[i] == c && (i == 0 || blank((unsigned char)s[i - 1]))) {
			*n = i;
			break;
		}
	kuf_trim(&s, n);
}

void kuf_why(char *why, size_t cap, const char *what, const char *s,
	     size_t n)
{
	/* The text shown is cut at 80 bytes; the writer escapes it. */
	snprintf(why, cap, "%s: %.*s", what, (int)(n > 80 ? 80 : n), s);
}

/* A canonical host is a DNS-style name: letters, digits, '-', '_' and
 * dots, labels of 1 to 63 bytes, 253 bytes in all, and some letter or
 * digit. */
static int dns_name(const char *h, size_t n)
{
	size_t lab = 0;
	int alnum = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			alnum = 1;
		else if (c != '-' && c != '_')
			return 0;
		if (++lab > 63)
			return 0;
	}
	return alnum;
}

/*
 * A host entry from the name s[0..n): canonical, and a DNS-style name or
 * an address.  Returns KU_LINE_ENTRY after calling fn, else KU_LINE_BAD.
 */
static enum ku_line host_entry(struct ku_feed_parser *p, const char *s,
			       size_t n, enum ku_kind kind, unsigned flags,
			       ku_entry_fn fn, void *ctx, char *why,
			       size_t cap, enum ks_status *st)
{
	struct ku_url *u = p->url;

	if (ku_canon_host(u, s, n, NULL) != KS_OK ||
	    (u->host_type == KU_HOST_NAME && !dns_name(u->host, u->host_len))) {
		kuf_why(why, cap, "not a host name", s, n);
		return KU_LINE_BAD;
	}
	/* An address named as a host is that address. */
	if (u->host_type != KU_HOST_NAME && kind != KU_KIND_HOST)
		kind = KU_KIND_IP;
	*st = fn(ctx, kind, flags, u->host, u->host_len);
	return KU_LINE_ENTRY;
}

/* A URL entry: the expression host/path[?query], or the host alone for
 * the host and domain meanings. */
enum ku_line kuf_url_entry(struct ku_feed_parser *p, const char *s,
			   size_t n, ku_entry_fn fn, void *ctx, char *why,
			   size_t cap, enum ks_status *st)
{
	struct ku_url *u = p->url;
	struct ks_err err;
	char key[KU_DB_MAX_KEY];
	size_t kl;

	if (ku_canon_url(u, s, n, &err) != KS_OK) {
		snprintf(why, cap, "not a URL (%s): %.*s", err.msg,
			 (int)(n > 80 ? 80 : n), s);
		return KU_LINE_BAD;
	}
	/* A check takes any host; a feed that lists one with blanks or
	 * punctuation has a broken line. */
	if (u->host_type == KU_HOST_NAME && !dns_name(u->host, u->host_len)) {
		kuf_why(why, cap, "not a URL (the host is not a name)", s, n);
		return KU_LINE_BAD;
	}
	if (p->kind == KU_KIND_HOST || p->kind == KU_KIND_DOMAIN) {
		enum ku_kind k = u->host_type == KU_HOST_NAME ||
				 p->kind == KU_KIND_HOST ? p->kind : KU_KIND_IP;

		*st = fn(ctx, k, 0, u->host, u->host_len);
		return KU_LINE_ENTRY;
	}
	kl = u->host_len + u->path_len;
	if (u->query != NULL && u->query_len > 0)
		kl += 1 + u->query_len;
	if (kl > sizeof key) {
		kuf_why(why, cap, "URL longer than the longest entry", s,
			n);
		return KU_LINE_BAD;
	}
	memcpy(key, u->host, u->host_len);
	memcpy(key + u->host_len, u->path, kl - u->host_len);
	*st = fn(ctx, KU_KIND_URL, 0, key, kl);
	return KU_LINE_ENTRY;
}

/* ---- the line formats --------------------------------------------------- */

static enum ku_line urls_line(struct ku_feed_parser *p, char *s, size_t n,
			      ku_entry_fn fn, void *ctx, char *why,
			      size_t cap, enum ks_status *st)
{
	kuf_trim(&s, &n);
	if (n == 0 || s[0] == '#')
		return KU_LINE_IGNORED;
	return kuf_url_entry(p, s, n, fn, ctx, why, cap, st);
}

static enum ku_line domains_line(struct ku_feed_parser *p, char *s, size_t n,
				 ku_entry_fn fn, void *ctx, char *why,
				 size_t cap, enum ks_status *st)
{
	enum ku_kind kind = p->kind;

	cut_comment(s, &n, '#');
	kuf_trim(&s, &n);
	if (n == 0)
		return KU_LINE_IGNORED;
	for (size_t i = 0; i < n; i++)
		if (blank((unsigned char)s[i])) {
			kuf_why(why, cap, "more than one word", s, n);
			return KU_LINE_BAD;
		}
	/* The line's own syntax says how far it reaches. */
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		kind = KU_KIND_SUBDOMAIN;
		s += 2;
		n -= 2;
	} else if (n > 1 && s[0] == '.') {
		kind = KU_KIND_DOMAIN;
		s++;
		n--;
	}
	return host_entry(p, s, n, kind, 0, fn, ctx, why, cap, st);
}

static int local_name(const char *s, size_t n)
{
	static const char *const names[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "ip6-localnet",
		"ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
		"ip6-allhosts", "0.0.0.0", NULL
	};

	for (size_t i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return 1;
	return 0;
}

static enum ku_line hosts_line(struct ku_feed_parser *p, char *s, size_t n,
			       ku_entry_fn fn, void *ctx, char *why,
			       size_t cap, enum ks_status *st)
{
	char addr[64];
	uint8_t buf[16];
	size_t i = 0, k, names = 0, skipped = 0, bad = 0;

	cut_comment(s, &n, '#');
	kuf_trim(&s, &n);
	if (n == 0)
		return KU_LINE_IGNORED;
	while (i < n && !blank((unsigned char)s[i]))
		i++;
	if (i >= sizeof addr) {
		kuf_why(why, cap, "not a hosts line (no address first)",
			s, n);
		return KU_LINE_BAD;
	}
	memcpy(addr, s, i);
	addr[i] = '\0';
	if (inet_pton(AF_INET, addr, buf) != 1 &&
	    inet_pton(AF_INET6, addr, buf) != 1) {
		kuf_why(why, cap, "not a hosts line (no address first)",
			s, n);
		return KU_LINE_BAD;
	}
	for (;;) {
		while (i < n && blank((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		k = i;
		while (i < n && !blank((unsigned char)s[i]))
			i++;
		names++;
		if (local_name(s + k, i - k)) {
			skipped++;
			continue;
		}
		if (host_entry(p, s + k, i - k, p->kind, 0, fn, ctx, why, cap,
			       st) == KU_LINE_BAD)
			bad++;
		if (*st != KS_OK)
			return KU_LINE_ENTRY;
	}
	if (names == 0) {
		kuf_why(why, cap, "an address without a name", s, n);
		return KU_LINE_BAD;
	}
	if (bad > 0)
		return KU_LINE_BAD;
	return skipped == names ? KU_LINE_SKIPPED : KU_LINE_ENTRY;
}

static enum ku_line adblock_line(struct ku_feed_parser *p, char *s, size_t n,
				 ku_entry_fn fn, void *ctx, char *why,
				 size_t cap, enum ks_status *st)
{
	unsigned flags = 0;
	size_t hs, he;

	kuf_trim(&s, &n);
	if (n == 0 || s[0] == '!' || s[0] == '[')
		return KU_LINE_IGNORED;
	if (n > 2 && s[0] == '@' && s[1] == '@') {
		flags = KU_EF_EXCEPTION;
		s += 2;
		n -= 2;
	}
	if (n < 4 || s[0] != '|' || s[1] != '|')
		goto unsupported;
	hs = 2;
	he = hs;
	while (he < n && s[he] != '^')
		he++;
	if (he >= n || he == hs)
		goto unsupported;
	/* Only the whole-host rule: no path, no wildcard. */
	for (size_t i = hs; i < he; i++)
		if (s[i] == '/' || s[i] == '*' || s[i] == ':' || s[i] == '|')
			goto unsupported;
	if (he + 1 < n) {
		const char *o = s + he + 1;
		size_t on = n - he - 1;

		if (on == 1 && o[0] == '|') {
			/* "^|": the same address part. */
		} else if (!(o[0] == '$' &&
			     ((on == 10 && memcmp(o, "$important", 10) == 0) ||
			      (on == 4 && memcmp(o, "$all", 4) == 0) ||
			      (on == 9 && memcmp(o, "$document", 9) == 0) ||
			      (on == 4 && memcmp(o, "$doc", 4) == 0)))) {
			goto unsupported;
		}
	}
	return host_entry(p, s + hs, he - hs, p->kind, flags, fn, ctx, why,
			  cap, st);
unsupported:
	kuf_why(why, cap, "not a ||host^ rule", s, n);
	return KU_LINE_UNSUPPORTED;
}

/* An address or network token; bits is -1 without a "/". */
static int parse_net(const char *s, size_t n, int *family, uint8_t addr[16],
		     int *bits)
{
	char a[64];
	const char *slash = memchr(s, '/', n);
	size_t al = slash != NULL ? (size_t)(slash - s) : n;

	*bits = -1;
	if (al == 0 || al >= sizeof a)
		return -1;
	memcpy(a, s, al);
	a[al] = '\0';
	if (inet_pton(AF_INET, a, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*family = 6;
	else
		return -1;
	if (slash != NULL) {
		size_t bl = n - al - 1;
		int v = 0;

		if (bl == 0 || bl > 3)
			return -1;
		for (size_t i = 0; i < bl; i++) {
			if (slash[1 + i] < '0' || slash[1 + i] > '9')
				return -1;
			v = v * 10 + (slash[1 + i] - '0');
		}
		if (v > (*family == 4 ? 32 : 128))
			return -1;
		*bits = v;
	}
	return 0;
}

static enum ku_line net_line(struct ku_feed_parser *p, char *s, size_t n,
			     ku_entry_fn fn, void *ctx, char *why, size_t cap,
			     enum ks_status *st)
{
	uint8_t addr[16], key[19];
	int family, bits;
	size_t i = 0;

	cut_comment(s, &n, '#');
	cut_comment(s, &n, ';');
	kuf_trim(&s, &n);
	if (n == 0)
		return KU_LINE_IGNORED;
	while (i < n && !blank((unsigned char)s[i]))
		i++;
	if (i < n) {
		kuf_why(why, cap, "more than one word", s, n);
		return KU_LINE_BAD;
	}
	if (parse_net(s, n, &family, addr, &bits) != 0) {
		kuf_why(why, cap, p->fmt == KU_FMT_IP ? "not an IP address"
			: "not a network (ADDRESS/BITS)", s, n);
		return KU_LINE_BAD;
	}
	if (p->fmt == KU_FMT_IP) {
		if (bits >= 0) {
			kuf_why(why, cap, "a network in an ip list (use the cidr "
				"format)", s, n);
			return KU_LINE_BAD;
		}
		return host_entry(p, s, n, KU_KIND_IP, 0, fn, ctx, why, cap, st);
	}
	if (bits < 0)
		bits = family == 4 ? 32 : 128;
	*st = fn(ctx, KU_KIND_CIDR, 0, key,
		 ku_cidr_key(family, addr, (unsigned)bits, key));
	return KU_LINE_ENTRY;
}

enum ku_line ku_feed_line(struct ku_feed_parser *p, char *line, size_t n,
			  ku_entry_fn fn, void *ctx, char *why, size_t cap,
			  enum ks_status *st)
{
	*st = KS_OK;
	why[0] = '\0';
	switch (p->fmt) {
	case KU_FMT_URLS:
	case KU_FMT_OPENPHISH:
		return urls_line(p, line, n, fn, ctx, why, cap, st);
	case KU_FMT_DOMAINS:
		return domains_line(p, line, n, fn, ctx, why, cap, st);
	case KU_FMT_HOSTS:
		return hosts_line(p, line, n, fn, ctx, why, cap, st);
	case KU_FMT_ADBLOCK:
		return adblock_line(p, line, n, fn, ctx, why, cap, st);
	case KU_FMT_URLHAUS:
	case KU_FMT_PHISHTANK:
		return kuf_csv_line(p, line, n, fn, ctx, why, cap, st);
	case KU_FMT_IP:
	case KU_FMT_CIDR:
		return net_line(p, line, n, fn, ctx, why, cap, st);
	default:
		snprintf(why, cap, "unknown feed format");
		return KU_LINE_BAD;
	}
}

/* ---- loading into a builder -------------------------------------------- */

struct load {
	struct ku_builder *b;
	unsigned id;
	struct ku_feed_counts *c;
};

static enum ks_status add_entry(void *ctx, enum ku_kind kind, unsigned flags,
				const void *key, size_t n)
{
	struct load *l = ctx;
	int dup;
	enum ks_status st = ku_builder_add(l->b, l->id, kind, flags, key, n,
					   &dup);

	if (st == KS_OK) {
		if (dup)
			l->c->duplicates++;
		else
			l->c->entries++;
	}
	return st;
}

struct loader {
	struct load l;
	struct ku_feed_parser p;
	struct ku_feed_report *rep;
	uint64_t line_no;
};

static void show(struct loader *ld, enum ku_line what, const char *why)
{
	struct ku_feed_report *r = ld->rep;

	if (r == NULL || r->nshown >= KU_FEED_SHOWN)
		return;
	r->shown[r->nshown].line = ld->line_no;
	r->shown[r->nshown].what = what;
	snprintf(r->shown[r->nshown].why, sizeof r->shown[0].why, "%s", why);
	r->nshown++;
}

static enum ks_status one_line(struct loader *ld, char *line, size_t n,
			       struct ks_err *err)
{
	char why[200];
	enum ks_status st;
	enum ku_line r;

	ld->line_no++;
	ld->l.c->lines++;
	r = ku_feed_line(&ld->p, line, n, add_entry, &ld->l, why, sizeof why,
			 &st);
	if (st != KS_OK)
		return ks_err_set(err, st, "line %llu: %s",
				  (unsigned long long)ld->line_no,
				  st == KS_ERR_LIMIT ? "too many entries, or "
				  "an entry too long" : "cannot add the entry");
	switch (r) {
	case KU_LINE_IGNORED:
		if (ld->rep != NULL)
			ld->rep->ignored++;
		break;
	case KU_LINE_SKIPPED:
		ld->l.c->skipped++;
		break;
	case KU_LINE_UNSUPPORTED:
		ld->l.c->unsupported++;
		show(ld, r, why);
		break;
	case KU_LINE_BAD:
		ld->l.c->bad++;
		show(ld, r, why);
		break;
	case KU_LINE_ENTRY:
		break;
	}
	return KS_OK;
}

static enum ks_status loader_init(struct loader *ld, struct ku_builder *b,
				  unsigned id, enum ku_format fmt,
				  enum ku_kind kind, struct ku_feed_report *rep,
				  struct ks_err *err)
{
	memset(ld, 0, sizeof *ld);
	ld->l.b = b;
	ld->l.id = id;
	ld->l.c = ku_builder_counts(b, id);
	ld->rep = rep;
	if (rep != NULL)
		memset(rep, 0, sizeof *rep);
	if (ld->l.c == NULL)
		return ks_err_set(err, KS_ERR_USAGE, "no feed %u", id);
	if (ku_feed_parser_init(&ld->p, fmt, kind) != KS_OK)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	return KS_OK;
}

static void too_long(struct loader *ld)
{
	char why[64];

	ld->line_no++;
	ld->l.c->lines++;
	ld->l.c->bad++;
	snprintf(why, sizeof why, "line longer than %d bytes", KU_FEED_MAX_LINE);
	show(ld, KU_LINE_BAD, why);
}

enum ks_status ku_feed_load_mem(struct ku_builder *b, unsigned id,
				enum ku_format fmt, enum ku_kind kind,
				const char *text, size_t n,
				struct ku_feed_report *rep, struct ks_err *err)
{
	struct loader ld;
	enum ks_status st = loader_init(&ld, b, id, fmt, kind, rep, err);
	char *copy = NULL;
	size_t i = 0;

	if (st != KS_OK)
		return st;
	while (st == KS_OK && i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl != NULL ? (size_t)(nl - (text + i)) : n - i;

		if (len > KU_FEED_MAX_LINE) {
			too_long(&ld);
		} else {
			char *nc = realloc(copy, len + 1);

			if (nc == NULL) {
				st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
				break;
			}
			copy = nc;
			memcpy(copy, text + i, len);
			copy[len] = '\0';
			st = one_line(&ld, copy, len, err);
		}
		i += len + 1;
	}
	free(copy);
	ku_feed_parser_free(&ld.p);
	return st;
}

enum ks_status ku_feed_load_fd(struct ku_builder *b, unsigned id,
			       enum ku_format fmt, enum ku_kind kind, int fd,
			       struct ku_feed_report *rep, struct ks_err *err)
{
	struct loader ld;
	struct kj_lines lines;
	char chunk[65536];
	int eof = 0;
	enum ks_status st = loader_init(&ld, b, id, fmt, kind, rep, err);

	if (st != KS_OK)
		return st;
	kj_lines_init(&lines, KU_FEED_MAX_LINE);
	for (;;) {
		char *line;
		size_t len;
		enum ks_status r = kj_lines_next(&lines, &line, &len, eof);

		if (r == KS_EOF)
			break;
		if (r == KS_OK) {
			st = one_line(&ld, line, len, err);
			if (st != KS_OK)
				break;
			continue;
		}
		if (r == KS_ERR_LIMIT) {
			too_long(&ld);
			continue;
		}
		{
			size_t room = kj_lines_room(&lines);
			ssize_t k = read(fd, chunk, room < sizeof chunk ? room :
							       sizeof chunk);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				st = ks_err_sys(err, KS_ERR_IO, errno, "read");
				break;
			}
			if (k == 0)
				eof = 1;
			else
				kj_lines_push(&lines, chunk, (size_t)k);
		}
	}
	kj_lines_free(&lines);
	ku_feed_parser_free(&ld.p);
	return st;
}
