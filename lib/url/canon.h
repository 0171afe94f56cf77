/*
 * The canonical form of web addresses, one for building databases and for
 * checking them: Safe Browsing's URL canonicalization (Safe Browsing v4,
 * "URLs and Hashing", section "Canonicalization"), with international
 * names turned into ASCII by libidn2 (UTS #46 non-transitional processing,
 * the one mode used everywhere).
 *
 * The steps, in order:
 *   - tab, CR and LF are removed; leading and trailing blanks are trimmed;
 *   - the fragment (from the first '#') is dropped;
 *   - percent-escapes are decoded until none is left (the fixed point of
 *     repeated unescaping, computed in one pass);
 *   - the address is split into scheme, userinfo, host, port, path and
 *     query; without a scheme it is http; backslashes before the query are
 *     read as slashes, as browsers do;
 *   - the host loses leading, trailing and repeated dots; an IPv4 address
 *     in any form inet_aton knows (octal, hex, one to four parts) becomes a
 *     dotted quad; an IPv6 literal is normalized (RFC 5952), IPv4-mapped
 *     and NAT64 (64:ff9b::/96) addresses become the IPv4 address; a name
 *     is lowercased and, when it holds non-ASCII bytes that are valid
 *     UTF-8, turned into its A-label form (labels libidn2 refuses keep
 *     their bytes, and so do names whose mapping gives a character a host
 *     cannot hold, as browsers refuse them);
 *   - the path has "/./" and "/../" resolved and runs of slashes
 *     collapsed; the query is kept as it is;
 *   - everything is escaped again: bytes <= 0x20, >= 0x7f, '#' and '%'
 *     become %XX with uppercase hex.
 *
 * Userinfo and port are kept beside the canonical URL (for the record) but
 * are not part of it, so they never change a match.
 *
 * A struct ku_url holds all of its strings in its own buffers: nothing is
 * allocated per address (libidn2 allocates for the rare non-ASCII host).
 * Its strings stay valid until the next canonicalization into it.
 */
#ifndef KU_URL_CANON_H
#define KU_URL_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define KU_URL_MAX 8192     /* longest input accepted, in bytes */
#define KU_HOST_MAX 512     /* longest canonical host, in bytes */

enum ku_host_type {
	KU_HOST_NAME = 0,
	KU_HOST_IPV4,
	KU_HOST_IPV6,
};

struct ku_url {
	/* Canonical strings, NUL-terminated, escaped as described above. */
	const char *canonical;   /* scheme://host/path[?query] */
	size_t canonical_len;
	const char *scheme;      /* lowercase, "http" when none was given */
	const char *host;
	size_t host_len;
	const char *path;        /* starts with '/'; followed by ?query in
				    the same buffer when there is a query */
	size_t path_len;
	const char *query;       /* after '?', NULL when there is no '?' */
	size_t query_len;
	const char *userinfo;    /* escaped, NULL when none */
	int port;                /* the port given, or -1 (none, or not a
				    number from 0 to 65535) */
	int host_only;           /* made by ku_canon_host: no path to match */
	enum ku_host_type host_type;
	uint8_t ip[16];          /* the address: 4 bytes for IPv4 */

	/* Storage. */
	char work[KU_URL_MAX + 1];
	char out[3 * KU_URL_MAX + 64];
	char scheme_buf[32];
	char user_buf[3 * 256 + 1];
	char host_buf[KU_HOST_MAX + 1];

	/* Between ku_canon_url_host and ku_canon_url_rest. */
	size_t rest_auth_end, rest_qpos, rest_len;
	int rest_query;
};

/*
 * Canonicalize a URL (or a bare "host/path" as lists write them).
 * KS_ERR_INVALID when it has no host or is not a web address, KS_ERR_LIMIT
 * when it is longer than KU_URL_MAX or its host longer than KU_HOST_MAX;
 * the reason goes to `err`.
 */
enum ks_status ku_canon_url(struct ku_url *u, const char *in, size_t n,
			    struct ks_err *err);

/*
 * The same in two steps: ku_canon_url_host sets everything but the path,
 * the query and the canonical form (scheme, host, host type, address,
 * port, userinfo), ku_canon_url_rest (only after it succeeded) the rest.
 * A check starts the memory reads of its host lookups between the two,
 * so that they overlap with the work on the path.
 */
enum ks_status ku_canon_url_host(struct ku_url *u, const char *in, size_t n,
				 struct ks_err *err);
void ku_canon_url_rest(struct ku_url *u);

/*
 * Canonicalize a host name alone (a DNS name, a TLS SNI): the host steps
 * above, with path "/" and host_only set.
 */
enum ks_status ku_canon_host(struct ku_url *u, const char *in, size_t n,
			     struct ks_err *err);

/*
 * The IPv4 reading of Safe Browsing (and of the Go reference library):
 * one to four parts, each decimal, octal (leading 0) or hex (0x); parts
 * before the last keep their low 8 bits, the last fills the remaining
 * bytes.  A 4-part dotted decimal followed by a blank and anything, in at
 * most 15 bytes, is read up to the blank (the Windows resolver's rule).
 * Returns 1 and the address, or 0.
 */
int ku_parse_ipv4(const char *s, size_t n, uint8_t out[4]);

/* Percent-decode s[0..n) until no escape is left, into out (at most n
 * bytes); returns the length. */
size_t ku_unescape_all(const char *s, size_t n, char *out);

/* Escape for the canonical form into out (room for 3n bytes); returns
 * the length. */
size_t ku_escape(const char *s, size_t n, char *out);

#endif
