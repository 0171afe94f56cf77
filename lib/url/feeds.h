/*
 * Feed formats: the public list formats a database is built from.  Each
 * line of a feed is an entry (or several), a comment or blank line, a
 * well-known local name that is skipped (hosts files), a rule of the
 * format that kurlcheck does not implement (counted as unsupported), or a
 * bad line (counted, with the reason, never dropped silently).
 *
 *   urls       one URL per line; '#' starts a comment line
 *   openphish  the same (OpenPhish's feed.txt)
 *   domains    one host name per line, '#' comments; "*.example.com" lists
 *              the hosts below example.com only; ".example.com" lists
 *              example.com and the hosts below it
 *   hosts      hosts(5) lines "ADDRESS NAME..." (0.0.0.0 and 127.0.0.1
 *              blocklists); localhost and its kin are skipped
 *   adblock    "||example.com^" rules (optionally $important, $all,
 *              $document); "@@||example.com^" is an exception of the same
 *              feed; '!' comments and "[Adblock ...]" headers; any other
 *              rule is unsupported
 *   urlhaus    URLhaus CSV (RFC 4180 quoting; '#' comments; the column
 *              named "url" in the "# id,dateadded,url,..." header, else
 *              the third)
 *   phishtank  PhishTank CSV (the column named "url" of the header row,
 *              else the second)
 *   ip         one IPv4 or IPv6 address per line; '#' or ';' comments
 *   cidr       one network per line, ADDRESS/BITS (a bare address is a
 *              network of one); '#' or ';' comments
 *
 * A quoted CSV field that runs over a line end is a bad line: feeds are
 * read line by line, with KU_FEED_MAX_LINE bytes at most per line.
 */
#ifndef KU_URL_FEEDS_H
#define KU_URL_FEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "url/canon.h"
#include "url/db.h"

#define KU_FEED_MAX_LINE 65536
#define KU_FEED_SHOWN 10   /* bad or unsupported lines kept per feed */

enum ku_format {
	KU_FMT_URLS = 0,
	KU_FMT_OPENPHISH,
	KU_FMT_DOMAINS,
	KU_FMT_HOSTS,
	KU_FMT_ADBLOCK,
	KU_FMT_URLHAUS,
	KU_FMT_PHISHTANK,
	KU_FMT_IP,
	KU_FMT_CIDR,
	KU_FMT_COUNT
};

const char *ku_format_name(enum ku_format f);
int ku_format_parse(const char *s, enum ku_format *f);

/* The match meaning and category a format has unless told otherwise. */
enum ku_kind ku_format_default_kind(enum ku_format f);
const char *ku_format_default_category(enum ku_format f);

/* 1 when a format can have this match meaning: URL formats take url,
 * host or domain; name formats host or domain; ip and cidr only their
 * own. */
int ku_format_kind_ok(enum ku_format f, enum ku_kind k);

/* A category name: 1 to 32 of [a-z0-9_-], not "clean" or "error". */
int ku_category_ok(const char *s);

enum ku_line {
	KU_LINE_ENTRY,        /* one or more entries */
	KU_LINE_IGNORED,      /* blank, comment, header */
	KU_LINE_SKIPPED,      /* only well-known local names */
	KU_LINE_UNSUPPORTED,  /* a rule kurlcheck does not implement */
	KU_LINE_BAD,          /* cannot be read */
};

/* Called for every entry of a line; a failure stops the load. */
typedef enum ks_status (*ku_entry_fn)(void *ctx, enum ku_kind kind,
				      unsigned flags, const void *key,
				      size_t n);

struct ku_feed_parser {
	enum ku_format fmt;
	enum ku_kind kind;
	int url_col;          /* CSV: the column of the URL */
	int header_seen;
	struct ku_url *url;   /* owned */
};

enum ks_status ku_feed_parser_init(struct ku_feed_parser *p,
				   enum ku_format fmt, enum ku_kind kind);
void ku_feed_parser_free(struct ku_feed_parser *p);

/*
 * One line (without its newline; may be modified).  Entries go to `fn`;
 * a bad or unsupported line gets its reason in why[0..cap).  *st is the
 * callback's failure, if any (KS_OK otherwise).
 */
enum ku_line ku_feed_line(struct ku_feed_parser *p, char *line, size_t n,
			  ku_entry_fn fn, void *ctx, char *why, size_t cap,
			  enum ks_status *st);

/* What loading a feed found, beside the counts kept in the database. */
struct ku_feed_report {
	uint64_t ignored;
	size_t nshown;
	struct {
		uint64_t line;
		enum ku_line what;      /* BAD or UNSUPPORTED */
		char why[200];
	} shown[KU_FEED_SHOWN];
};

/*
 * Read a feed from a descriptor or from memory into the builder, as feed
 * `id` (ku_builder_feed) with the given format and meaning; the line
 * counts go to the builder, the details to `rep`.  Fails only when the
 * input cannot be read or the builder fails.
 */
enum ks_status ku_feed_load_fd(struct ku_builder *b, unsigned id,
			       enum ku_format fmt, enum ku_kind kind, int fd,
			       struct ku_feed_report *rep, struct ks_err *err);
enum ks_status ku_feed_load_mem(struct ku_builder *b, unsigned id,
				enum ku_format fmt, enum ku_kind kind,
				const char *text, size_t n,
				struct ku_feed_report *rep, struct ks_err *err);

#endif
