/*
 * Table tests of the canonicalizer and the expressions, on the Safe
 * Browsing conformance vectors: the specification's own examples (source
 * gsb-v4-spec), the Go reference library's tests (golib) and Chromium's
 * (chromium).  Rows where golib disagrees with the specification carry
 * our expected value and the reason (also in kurlcheck(1), CONFORMANCE);
 * every other row must give exactly the listed value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "url/canon.h"
#include "url/expr.h"

struct canon_vec {
	const char *in;
	size_t len;
	const char *want;    /* NULL: must be refused */
	const char *source;
	const char *ours;    /* our expected value */
	const char *why;     /* why ours differs, or "" */
};

struct expr_vec {
	const char *source;
	const char *in;
	const char *want;    /* space-separated set, or <ERROR> */
	const char *ours;
	const char *why;
};

struct hpi_vec {
	const char *kind;    /* ip, host, path, host6 */
	const char *in;
	const char *want;    /* "" = not an IPv4 literal, <ERROR> = refused */
};

/* Safe Browsing canonicalization vectors: input, expected, source,
 * our expected value (differs only where golib disagrees with the
 * specification), and why. */
static const struct canon_vec CANON_VECS[] = {
	{ "http://host/%25%32%35", 21, "http://host/%25", "gsb-v4-spec", "http://host/%25", "" },
	{ "http://host/%25%32%35%25%32%35", 30, "http://host/%25%25", "gsb-v4-spec", "http://host/%25%25", "" },
	{ "http://host/%2525252525252525", 29, "http://host/%25", "gsb-v4-spec", "http://host/%25", "" },
	{ "http://host/asdf%25%32%35asd", 28, "http://host/asdf%25asd", "gsb-v4-spec", "http://host/asdf%25asd", "" },
	{ "http://host/%%%25%32%35asd%%", 28, "http://host/%25%25%25asd%25%25", "gsb-v4-spec", "http://host/%25%25%25asd%25%25", "" },
	{ "http://www.google.com/", 22, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/", 106, "http://168.188.99.26/.secure/www.ebay.com/", "gsb-v4-spec", "http://168.188.99.26/.secure/www.ebay.com/", "" },
	{ "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", 119, "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "gsb-v4-spec", "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "" },
	{ "http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B", 96, "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+", "gsb-v4-spec", "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+", "" },
	{ "http://3279880203/blah", 22, "http://195.127.0.11/blah", "gsb-v4-spec", "http://195.127.0.11/blah", "" },
	{ "http://www.google.com/blah/..", 29, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "www.google.com/", 15, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "www.google.com", 14, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "http://www.evil.com/blah#frag", 29, "http://www.evil.com/blah", "gsb-v4-spec", "http://www.evil.com/blah", "" },
	{ "http://www.GOOgle.com/", 22, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "http://www.google.com.../", 25, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "http://www.google.com/foo\tbar\rbaz\n2", 35, "http://www.google.com/foobarbaz2", "gsb-v4-spec", "http://www.google.com/foobarbaz2", "" },
	{ "http://www.google.com/q?", 24, "http://www.google.com/q?", "gsb-v4-spec", "http://www.google.com/q?", "" },
	{ "http://www.google.com/q?r?", 26, "http://www.google.com/q?r?", "gsb-v4-spec", "http://www.google.com/q?r?", "" },
	{ "http://www.google.com/q?r?s", 27, "http://www.google.com/q?r?s", "gsb-v4-spec", "http://www.google.com/q?r?s", "" },
	{ "http://evil.com/foo#bar#baz", 27, "http://evil.com/foo", "gsb-v4-spec", "http://evil.com/foo", "" },
	{ "http://evil.com/foo;", 20, "http://evil.com/foo;", "gsb-v4-spec", "http://evil.com/foo;", "" },
	{ "http://evil.com/foo?bar;", 24, "http://evil.com/foo?bar;", "gsb-v4-spec", "http://evil.com/foo?bar;", "" },
	{ "http://\001\200.com/", 14, "http://%01%80.com/", "gsb-v4-spec", "http://%01%80.com/", "" },
	{ "http://notrailingslash.com", 26, "http://notrailingslash.com/", "gsb-v4-spec", "http://notrailingslash.com/", "" },
	{ "http://www.gotaport.com:1234/", 29, "http://www.gotaport.com/", "gsb-v4-spec", "http://www.gotaport.com/", "" },
	{ "  http://www.google.com/  ", 26, "http://www.google.com/", "gsb-v4-spec", "http://www.google.com/", "" },
	{ "http:// leadingspace.com/", 25, "http://%20leadingspace.com/", "gsb-v4-spec", "http://%20leadingspace.com/", "" },
	{ "http://%20leadingspace.com/", 27, "http://%20leadingspace.com/", "gsb-v4-spec", "http://%20leadingspace.com/", "" },
	{ "%20leadingspace.com/", 20, "http://%20leadingspace.com/", "gsb-v4-spec", "http://%20leadingspace.com/", "" },
	{ "https://www.securesite.com/", 27, "https://www.securesite.com/", "gsb-v4-spec", "https://www.securesite.com/", "" },
	{ "http://host.com/ab%23cd", 23, "http://host.com/ab%23cd", "gsb-v4-spec", "http://host.com/ab%23cd", "" },
	{ "http://host.com//twoslashes?more//slashes", 41, "http://host.com/twoslashes?more//slashes", "gsb-v4-spec", "http://host.com/twoslashes?more//slashes", "" },
	{ "http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/", 106, "http://168.188.99.26/.secure/www.ebay.com/", "golib", "http://168.188.99.26/.secure/www.ebay.com/", "" },
	{ "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", 119, "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "golib", "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "" },
	{ "http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B", 96, "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+", "golib", "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+", "" },
	{ "http://host/%25%32%35", 21, "http://host/%25", "golib", "http://host/%25", "" },
	{ "http://host/%25%32%35%25%32%35", 30, "http://host/%25%25", "golib", "http://host/%25%25", "" },
	{ "http://host/%2525252525252525", 29, "http://host/%25", "golib", "http://host/%25", "" },
	{ "http://host/asdf%25%32%35asd", 28, "http://host/asdf%25asd", "golib", "http://host/asdf%25asd", "" },
	{ "http://host/%%%25%32%35asd%%", 28, "http://host/%25%25%25asd%25%25", "golib", "http://host/%25%25%25asd%25%25", "" },
	{ "http://www.google.com/", 22, "http://www.google.com/", "golib", "http://www.google.com/", "" },
	{ "http://3279880203/blah", 22, "http://195.127.0.11/blah", "golib", "http://195.127.0.11/blah", "" },
	{ "http://www.evil.com/blah#frag", 29, "http://www.evil.com/blah", "golib", "http://www.evil.com/blah", "" },
	{ "http://www.GOOgle.com/", 22, "http://www.google.com/", "golib", "http://www.google.com/", "" },
	{ "http://www.google.com.../", 25, "http://www.google.com/", "golib", "http://www.google.com/", "" },
	{ "http://www.google.com/foo\tbar\rbaz\n2", 35, "http://www.google.com/foobarbaz2", "golib", "http://www.google.com/foobarbaz2", "" },
	{ "http://www.google.com/q?", 24, "http://www.google.com/q", "golib", "http://www.google.com/q?", "query kept (spec); golib drops the query" },
	{ "http://www.google.com/q?r?", 26, "http://www.google.com/q", "golib", "http://www.google.com/q?r?", "query kept (spec); golib drops the query" },
	{ "http://www.google.com/q?r?s", 27, "http://www.google.com/q", "golib", "http://www.google.com/q?r?s", "query kept (spec); golib drops the query" },
	{ "http://evil.com/foo#bar#baz", 27, "http://evil.com/foo", "golib", "http://evil.com/foo", "" },
	{ "http://evil.com/foo;", 20, "http://evil.com/foo;", "golib", "http://evil.com/foo;", "" },
	{ "http://evil.com/foo?bar;", 24, "http://evil.com/foo", "golib", "http://evil.com/foo?bar;", "query kept (spec); golib drops the query" },
	{ "http://\001\200.com/", 14, "http://%01%80.com/", "golib", "http://%01%80.com/", "" },
	{ "http://notrailingslash.com", 26, "http://notrailingslash.com/", "golib", "http://notrailingslash.com/", "" },
	{ "http://www.gotaport.com:1234/", 29, "http://www.gotaport.com/", "golib", "http://www.gotaport.com/", "" },
	{ "  http://www.google.com/  ", 26, "http://www.google.com/", "golib", "http://www.google.com/", "" },
	{ "http:// leadingspace.com/", 25, "http://%20leadingspace.com/", "golib", "http://%20leadingspace.com/", "" },
	{ "http://%20leadingspace.com/", 27, "http://%20leadingspace.com/", "golib", "http://%20leadingspace.com/", "" },
	{ "%20leadingspace.com/", 20, "http://%20leadingspace.com/", "golib", "http://%20leadingspace.com/", "" },
	{ "https://www.securesite.com/", 27, "https://www.securesite.com/", "golib", "https://www.securesite.com/", "" },
	{ "ftp://ftp.myfiles.com/", 22, "ftp://ftp.myfiles.com/", "golib", "ftp://ftp.myfiles.com/", "" },
	{ "http://some%1bhost.com/%1b", 26, "http://some%1bhost.com/%1b", "golib", "http://some%1Bhost.com/%1B", "uppercase hex (spec); golib writes %1b" },
	{ "http://www.google.com/q?r?s%3F", 30, "http://www.google.com/q", "golib", "http://www.google.com/q?r?s?", "query kept (spec); golib drops the query" },
	{ "http://www.\303\274mlat.com/", 22, "http://www.xn--mlat-zra.com/", "golib", "http://www.xn--mlat-zra.com/", "" },
	{ "http://[2001:470:1:18::114]/", 28, "http://[2001:470:1:18::114]/", "golib", "http://[2001:470:1:18::114]/", "" },
	{ "http%3A%2F%2Fwackyurl.com:80/", 29, "http://wackyurl.com/", "golib", "http://wackyurl.com/", "" },
	{ "http://W!eird<>Ho$^.com/", 24, "http://w!eird<>ho$^.com/", "golib", "http://w!eird<>ho$^.com/", "" },
	{ "http://i.have.way.too.many.dots.com/", 36, "http://i.have.way.too.many.dots.com/", "golib", "http://i.have.way.too.many.dots.com/", "" },
	{ "", 0, NULL, "golib", NULL, "" },
	{ ":", 1, NULL, "golib", NULL, "" },
	{ "/blah", 5, NULL, "golib", NULL, "" },
	{ "#ref", 4, NULL, "golib", NULL, "" },
	{ "/blah#ref", 9, NULL, "golib", NULL, "" },
	{ "?query#ref", 10, NULL, "golib", NULL, "" },
	{ "/blah?query#ref", 15, NULL, "golib", NULL, "" },
	{ "/blah;param", 11, NULL, "golib", NULL, "" },
	{ "http://#ref", 11, NULL, "golib", NULL, "" },
	{ "http:///blah#ref", 16, NULL, "golib", NULL, "" },
	{ "http://?query#ref", 17, NULL, "golib", NULL, "" },
	{ "http:///blah?query#ref", 22, NULL, "golib", NULL, "" },
	{ "http:///blah;param", 18, NULL, "golib", NULL, "" },
	{ "http:///blah;param?query#ref", 28, NULL, "golib", NULL, "" },
	{ "mailto:bryner@google.com", 24, NULL, "golib", NULL, "" },
};
static const struct expr_vec EXPR_VECS[] = {
	{ "gsb-v4-spec", "http://a.b.c/1/2.html?param=1", "a.b.c/1/2.html?param=1 a.b.c/1/2.html a.b.c/ a.b.c/1/ b.c/1/2.html?param=1 b.c/1/2.html b.c/ b.c/1/", "a.b.c/1/2.html?param=1 a.b.c/1/2.html a.b.c/ a.b.c/1/ b.c/1/2.html?param=1 b.c/1/2.html b.c/ b.c/1/", "" },
	{ "gsb-v4-spec", "http://a.b.c.d.e.f.g/1.html", "a.b.c.d.e.f.g/1.html a.b.c.d.e.f.g/ c.d.e.f.g/1.html c.d.e.f.g/ d.e.f.g/1.html d.e.f.g/ e.f.g/1.html e.f.g/ f.g/1.html f.g/", "a.b.c.d.e.f.g/1.html a.b.c.d.e.f.g/ c.d.e.f.g/1.html c.d.e.f.g/ d.e.f.g/1.html d.e.f.g/ e.f.g/1.html e.f.g/ f.g/1.html f.g/", "" },
	{ "gsb-v4-spec", "http://1.2.3.4/1/", "1.2.3.4/1/ 1.2.3.4/", "1.2.3.4/1/ 1.2.3.4/", "" },
	{ "golib", "http://a.b.c/1/2.html?param=1/2", "a.b.c/1/2.html?param=1/2 a.b.c/1/2.html a.b.c/1/ a.b.c/ b.c/1/2.html?param=1/2 b.c/1/2.html b.c/1/ b.c/", "a.b.c/1/2.html?param=1/2 a.b.c/1/2.html a.b.c/1/ a.b.c/ b.c/1/2.html?param=1/2 b.c/1/2.html b.c/1/ b.c/", "" },
	{ "golib", "http://a.b.c/1/2/3/4/5/", "a.b.c/1/2/3/4/5/ a.b.c/1/2/3/ a.b.c/1/2/ a.b.c/1/ a.b.c/ b.c/1/2/3/4/5/ b.c/1/2/3/ b.c/1/2/ b.c/1/ b.c/", "a.b.c/1/2/3/4/5/ a.b.c/1/2/3/ a.b.c/1/2/ a.b.c/1/ a.b.c/ b.c/1/2/3/4/5/ b.c/1/2/3/ b.c/1/2/ b.c/1/ b.c/", "" },
	{ "golib", "http://a.b.c.d.e.f.g.h.i/", "a.b.c.d.e.f.g.h.i/ c.d.e.f.g.h.i/ d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "a.b.c.d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "five host components (spec); golib allows seven" },
	{ "golib", "http://a.b.c.d.e/1.html", "a.b.c.d.e/1.html a.b.c.d.e/ b.c.d.e/1.html b.c.d.e/ c.d.e/1.html c.d.e/ d.e/1.html d.e/", "a.b.c.d.e/1.html a.b.c.d.e/ b.c.d.e/1.html b.c.d.e/ c.d.e/1.html c.d.e/ d.e/1.html d.e/", "" },
	{ "golib", "http://b.c/1/2/3.html?param=1/2", "b.c/1/2/3.html?param=1/2 b.c/1/2/3.html b.c/1/2/ b.c/1/ b.c/", "b.c/1/2/3.html?param=1/2 b.c/1/2/3.html b.c/1/2/ b.c/1/ b.c/", "" },
	{ "golib", "http://a.b/?", "a.b/", "a.b/", "" },
	{ "golib", "http://[2001:470:1:18::114]/a/b", "[2001:470:1:18::114]/a/b [2001:470:1:18::114]/a/ [2001:470:1:18::114]/", "[2001:470:1:18::114]/a/b [2001:470:1:18::114]/a/ [2001:470:1:18::114]/", "" },
	{ "golib", "http://1.2.3.4/a/b", "1.2.3.4/a/b 1.2.3.4/a/ 1.2.3.4/", "1.2.3.4/a/b 1.2.3.4/a/ 1.2.3.4/", "" },
	{ "golib", "http://a.b/", "a.b/", "a.b/", "" },
	{ "golib", "http://b/", "b/", "b/", "" },
	{ "golib", "https://a.b.c.d.e.f.g.h.i/", "a.b.c.d.e.f.g.h.i/ c.d.e.f.g.h.i/ d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "a.b.c.d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "five host components (spec); golib allows seven" },
	{ "golib", "a.b.c.d.e.f.g.h.i/", "a.b.c.d.e.f.g.h.i/ c.d.e.f.g.h.i/ d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "a.b.c.d.e.f.g.h.i/ e.f.g.h.i/ f.g.h.i/ g.h.i/ h.i/", "five host components (spec); golib allows seven" },
	{ "golib", "[2001:470:1:18::114]/a/b", "[2001:470:1:18::114]/a/b [2001:470:1:18::114]/a/ [2001:470:1:18::114]/", "[2001:470:1:18::114]/a/b [2001:470:1:18::114]/a/ [2001:470:1:18::114]/", "" },
	{ "golib", "/asdf", "<ERROR>", "<ERROR>", "" },
	{ "golib-paths", "http://a.com/a/b/c/d/e.html?123", "/ /a/ /a/b/ /a/b/c/ /a/b/c/d/e.html /a/b/c/d/e.html?123", "/ /a/ /a/b/ /a/b/c/ /a/b/c/d/e.html /a/b/c/d/e.html?123", "" },
	{ "golib-paths", "http://a.com/a/b/c.html", "/ /a/ /a/b/ /a/b/c.html", "/ /a/ /a/b/ /a/b/c.html", "" },
	{ "golib-hosts", "http://a.b.c.d.e.f.kita.tokyo.jp", "a.b.c.d.e.f.kita.tokyo.jp c.d.e.f.kita.tokyo.jp d.e.f.kita.tokyo.jp e.f.kita.tokyo.jp f.kita.tokyo.jp kita.tokyo.jp tokyo.jp", "a.b.c.d.e.f.kita.tokyo.jp e.f.kita.tokyo.jp f.kita.tokyo.jp kita.tokyo.jp tokyo.jp", "five host components (spec); golib allows seven" },
	{ "chromium-hosts", "http://a.b.c.d.e.f.g/1.html", "f.g e.f.g d.e.f.g c.d.e.f.g a.b.c.d.e.f.g", "f.g e.f.g d.e.f.g c.d.e.f.g a.b.c.d.e.f.g", "" },
	{ "chromium-paths", "http://a.b/saw-cgi/eBayISAPI.dll/", "/saw-cgi/eBayISAPI.dll/ /saw-cgi/ /", "/saw-cgi/eBayISAPI.dll/ /saw-cgi/ /", "" },
};
static const struct hpi_vec HPI_VECS[] = {
	{ "ip", "123.123.0.0.1", "" },
	{ "ip", "255.0.0.1", "255.0.0.1" },
	{ "ip", "12.0x12.01234", "12.18.2.156" },
	{ "ip", "276.2.3", "20.2.0.3" },
	{ "ip", "012.034.01.055", "10.28.1.45" },
	{ "ip", "0x12.0x43.0x44.0x01", "18.67.68.1" },
	{ "ip", "167838211", "10.1.2.3" },
	{ "ip", "3279880203", "195.127.0.11" },
	{ "ip", "4294967295", "255.255.255.255" },
	{ "ip", "10.192.95.89 xy", "10.192.95.89" },
	{ "ip", "1.2.3.00x0", "" },
	{ "host", "http://www.google.com/foo.html", "www.google.com" },
	{ "host", "http://google.com./foo.html", "google.com" },
	{ "host", "http://google.com.:8080/foo.html", "google.com" },
	{ "host", "http://google...com/foo.html", "google.com" },
	{ "host", "http://..google.com/foo.html", "google.com" },
	{ "host", "http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html", "[fedc:ba98:7654:3210:fedc:ba98:7654:3210]" },
	{ "host", "http://[::192.9.5.5]/ipng", "[::192.9.5.5]" },
	{ "host", "http://0x12.0x43.0x44.0x01", "18.67.68.1" },
	{ "host", "http://192.168.0.1:80/index.html", "192.168.0.1" },
	{ "host", "/asdf", "<ERROR>" },
	{ "path", "http://a.com", "/" },
	{ "path", "http://a.com/foo.html", "/foo.html" },
	{ "path", "http://a.com/foo/.././bar/./../foo.html", "/foo.html" },
	{ "path", "http://a.com/a/b/", "/a/b/" },
	{ "path", "http://a.com/a/b/c", "/a/b/c" },
	{ "path", "http://a.com//a//b///c////", "/a/b/c/" },
	{ "path", "http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/?query#fragment", "/.secure/www.ebay.com/" },
	{ "path", "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/" },
	{ "path", "http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B", "/~a!b@c%23d$e%25f^00&11*22(33)44_55+" },
	{ "path", "/asdf", "<ERROR>" },
	{ "host6", "[2001:0db8:0000::1]", "[2001:db8::1]" },
	{ "host6", "[::ffff:1.2.3.4]", "1.2.3.4" },
	{ "host6", "[64:ff9b::1.2.3.4]", "1.2.3.4" },
};

static struct ku_url *url_new(void)
{
	struct ku_url *u = malloc(sizeof *u);

	if (u == NULL)
		abort();
	return u;
}

TEST(url_canon_spec_vectors)
{
	struct ku_url *u = url_new();
	size_t spec = 0, golib = 0, differ = 0;

	for (size_t i = 0; i < sizeof CANON_VECS / sizeof CANON_VECS[0]; i++) {
		const struct canon_vec *v = &CANON_VECS[i];
		struct ks_err err;
		enum ks_status st = ku_canon_url(u, v->in, v->len, &err);

		if (strcmp(v->source, "gsb-v4-spec") == 0) {
			spec++;
			/* The specification's rows: exactly as listed. */
			CHECK(v->ours == v->want || strcmp(v->ours, v->want) == 0);
		} else {
			golib++;
			differ += v->why[0] != '\0';
		}
		if (v->ours == NULL) {
			if (st == KS_OK)
				ut_fail(__FILE__, __LINE__, "row %zu (%s): '%s' "
					"accepted as %s", i, v->source, v->in,
					u->canonical);
			continue;
		}
		if (st != KS_OK) {
			ut_fail(__FILE__, __LINE__, "row %zu (%s): '%s' refused: "
				"%s", i, v->source, v->in, err.msg);
			continue;
		}
		if (strcmp(u->canonical, v->ours) != 0)
			ut_fail(__FILE__, __LINE__, "row %zu (%s): '%s' -> '%s', "
				"want '%s'", i, v->source, v->in, u->canonical,
				v->ours);
	}
	CHECK_INT(spec, 33);
	CHECK(golib > 50);
	CHECK_INT(differ, 6);
	free(u);
}

/* Canonicalization is idempotent: the canonical form is its own. */
TEST(url_canon_idempotent)
{
	struct ku_url *u = url_new(), *w = url_new();

	for (size_t i = 0; i < sizeof CANON_VECS / sizeof CANON_VECS[0]; i++) {
		const struct canon_vec *v = &CANON_VECS[i];

		if (ku_canon_url(u, v->in, v->len, NULL) != KS_OK)
			continue;
		REQUIRE(ku_canon_url(w, u->canonical, u->canonical_len, NULL) ==
			KS_OK);
		CHECK_STR(w->canonical, u->canonical);
	}
	free(u);
	free(w);
}

/* Split a space-separated set into sorted lines for comparison. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sorted_set(const char *s, char *out, size_t cap)
{
	char buf[2048], *words[64], *save = NULL;
	size_t n = 0, o = 0;

	snprintf(buf, sizeof buf, "%s", s);
	for (char *w = strtok_r(buf, " ", &save); w != NULL && n < 64;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof words[0], cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "",
				      words[i]);
}

TEST(url_expression_vectors)
{
	struct ku_url *u = url_new();
	struct ku_exprs e;
	size_t rows = 0;

	for (size_t i = 0; i < sizeof EXPR_VECS / sizeof EXPR_VECS[0]; i++) {
		const struct expr_vec *v = &EXPR_VECS[i];
		char got[2048], want[2048], one[1024];
		size_t o = 0;
		enum ks_status st = ku_canon_url(u, v->in, strlen(v->in), NULL);

		rows++;
		if (strcmp(v->ours, "<ERROR>") == 0) {
			CHECK(st != KS_OK);
			continue;
		}
		if (st != KS_OK) {
			ut_fail(__FILE__, __LINE__, "'%s' refused", v->in);
			continue;
		}
		ku_exprs_make(&e, u);
		got[0] = '\0';
		if (strstr(v->source, "-hosts") != NULL) {
			for (unsigned h = 0; h < e.nhosts; h++)
				o += (size_t)snprintf(got + o, sizeof got - o,
						      "%s%.*s", h ? " " : "",
						      (int)e.host[h].n,
						      e.host[h].p);
		} else if (strstr(v->source, "-paths") != NULL) {
			for (unsigned p = 0; p < e.npaths; p++)
				o += (size_t)snprintf(got + o, sizeof got - o,
						      "%s%.*s", p ? " " : "",
						      (int)e.path[p], e.pathp);
		} else {
			for (unsigned h = 0; h < e.nhosts; h++)
				for (unsigned p = 0; p < e.npaths; p++) {
					CHECK(ku_expr_write(&e, h, p, one,
							    sizeof one) > 0);
					o += (size_t)snprintf(got + o,
							      sizeof got - o,
							      "%s%s", o ? " " : "",
							      one);
				}
		}
		sorted_set(got, one, sizeof one);
		sorted_set(v->ours, want, sizeof want);
		if (strcmp(one, want) != 0)
			ut_fail(__FILE__, __LINE__, "%s '%s':\n#     got  %s\n"
				"#     want %s", v->source, v->in, one, want);
	}
	CHECK_INT(rows, 22);
	free(u);
}

/* The order of the specification's example: paths inner, hosts outer. */
TEST(url_expression_order)
{
	struct ku_url *u = url_new();
	struct ku_exprs e;
	char one[256];
	const char *want[] = { "a.b.c/1/2.html?param=1", "a.b.c/1/2.html",
			       "a.b.c/", "a.b.c/1/", "b.c/1/2.html?param=1",
			       "b.c/1/2.html", "b.c/", "b.c/1/" };
	size_t k = 0;

	REQUIRE(ku_canon_url(u, "http://a.b.c/1/2.html?param=1", 29, NULL) ==
		KS_OK);
	ku_exprs_make(&e, u);
	CHECK_INT(e.nhosts * e.npaths, 8);
	for (unsigned h = 0; h < e.nhosts; h++)
		for (unsigned p = 0; p < e.npaths && k < 8; p++, k++) {
			ku_expr_write(&e, h, p, one, sizeof one);
			CHECK_STR(one, want[k]);
		}
	/* A host-only query has the single path "/". */
	REQUIRE(ku_canon_host(u, "A.B.c.", 6, NULL) == KS_OK);
	ku_exprs_make(&e, u);
	CHECK_INT(e.npaths, 1);
	CHECK_INT(e.nhosts, 2);
	ku_expr_write(&e, 1, 0, one, sizeof one);
	CHECK_STR(one, "b.c/");
	CHECK_STR(u->host, "a.b.c");
	free(u);
}

TEST(url_host_path_ip_vectors)
{
	struct ku_url *u = url_new();
	size_t rows = 0;

	for (size_t i = 0; i < sizeof HPI_VECS / sizeof HPI_VECS[0]; i++) {
		const struct hpi_vec *v = &HPI_VECS[i];
		size_t n = strlen(v->in);
		enum ks_status st;

		rows++;
		if (strcmp(v->kind, "ip") == 0) {
			uint8_t ip[4];
			char txt[32] = "";

			if (ku_parse_ipv4(v->in, n, ip))
				snprintf(txt, sizeof txt, "%u.%u.%u.%u", ip[0],
					 ip[1], ip[2], ip[3]);
			if (strcmp(txt, v->want) != 0)
				ut_fail(__FILE__, __LINE__, "ip '%s' -> '%s', "
					"want '%s'", v->in, txt, v->want);
			continue;
		}
		if (strcmp(v->kind, "host6") == 0)
			st = ku_canon_host(u, v->in, n, NULL);
		else
			st = ku_canon_url(u, v->in, n, NULL);
		if (strcmp(v->want, "<ERROR>") == 0) {
			CHECK(st != KS_OK);
			continue;
		}
		if (st != KS_OK) {
			ut_fail(__FILE__, __LINE__, "%s '%s' refused", v->kind,
				v->in);
			continue;
		}
		if (strcmp(v->kind, "path") == 0) {
			char p[1024];

			snprintf(p, sizeof p, "%.*s", (int)u->path_len, u->path);
			if (strcmp(p, v->want) != 0)
				ut_fail(__FILE__, __LINE__, "path '%s' -> '%s', "
					"want '%s'", v->in, p, v->want);
		} else if (strcmp(u->host, v->want) != 0) {
			ut_fail(__FILE__, __LINE__, "%s '%s' -> '%s', want "
				"'%s'", v->kind, v->in, u->host, v->want);
		}
	}
	CHECK_INT(rows, 34);
	free(u);
}

/* Our own cases beyond the vectors: the choices canon.h documents. */
TEST(url_canon_own_cases)
{
	static const struct {
		const char *in;
		const char *canonical;   /* NULL: refused */
		const char *host;
		int port;
		const char *userinfo;
	} cases[] = {
		{ "http://a.example:8080/x", "http://a.example/x", "a.example", 8080, NULL },
		{ "http://u:p@a.example/", "http://a.example/", "a.example", -1, "u:p" },
		{ "http://good.example@evil.example/", "http://evil.example/", "evil.example", -1, "good.example" },
		{ "http://a.example:99999/", "http://a.example/", "a.example", -1, NULL },
		{ "http://a:b:c/", "http://a/", "a", -1, NULL },
		{ "http:\\\\evil.example\\a\\b?c\\d", "http://evil.example/a/b?c\\d", "evil.example", -1, NULL },
		{ "//evil.example/x", "http://evil.example/x", "evil.example", -1, NULL },
		{ "evil.example:443/login", "http://evil.example/login", "evil.example", 443, NULL },
		{ "HTTPS://EVIL.Example/A", "https://evil.example/A", "evil.example", -1, NULL },
		{ "http://%45vil.example/%2e%2e/%2E/a", "http://evil.example/a", "evil.example", -1, NULL },
		{ "http://[::ffff:c000:201]/", "http://192.0.2.1/", "192.0.2.1", -1, NULL },
		{ "http://\xef\xbd\x85vil.example/", "http://evil.example/", "evil.example", -1, NULL },
		{ "http://\xef\xbc\x91\xef\xbc\x8e\xef\xbc\x92\xef\xbc\x8e\xef\xbc\x93\xef\xbc\x8e\xef\xbc\x94/", "http://1.2.3.4/", "1.2.3.4", -1, NULL },
		{ "http://fa\xc3\x9f.example/", "http://xn--fa-hia.example/", "xn--fa-hia.example", -1, NULL },
		{ "javascript:alert(1)", NULL, NULL, -1, NULL },
		{ "http://", NULL, NULL, -1, NULL },
		{ "   ", NULL, NULL, -1, NULL },
	};
	struct ku_url *u = url_new();

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ks_status st = ku_canon_url(u, cases[i].in,
						 strlen(cases[i].in), NULL);

		if (cases[i].canonical == NULL) {
			CHECK(st != KS_OK);
			continue;
		}
		if (st != KS_OK) {
			ut_fail(__FILE__, __LINE__, "'%s' refused", cases[i].in);
			continue;
		}
		CHECK_STR(u->canonical, cases[i].canonical);
		CHECK_STR(u->host, cases[i].host);
		CHECK_INT(u->port, cases[i].port);
		if (cases[i].userinfo != NULL)
			CHECK_STR(u->userinfo, cases[i].userinfo);
		else
			CHECK(u->userinfo == NULL);
	}
	/* Hosts alone: IPv6 without brackets, dots, a NUL byte kept. */
	REQUIRE(ku_canon_host(u, "2001:DB8::1", 11, NULL) == KS_OK);
	CHECK_STR(u->host, "[2001:db8::1]");
	CHECK_INT(u->host_type, KU_HOST_IPV6);
	REQUIRE(ku_canon_host(u, "..[::1]..", 9, NULL) == KS_OK);
	CHECK_STR(u->host, "[::1]");
	REQUIRE(ku_canon_host(u, "a\0\xc3\xbc.example", 12, NULL) == KS_OK);
	CHECK_STR(u->host, "a%00%C3%BC.example");
	CHECK(ku_canon_host(u, "...", 3, NULL) != KS_OK);
	/* Caps. */
	{
		char *big = malloc(KU_URL_MAX + 2);

		REQUIRE(big != NULL);
		memset(big, 'a', KU_URL_MAX + 1);
		memcpy(big, "http://x/", 9);
		CHECK(ku_canon_url(u, big, KU_URL_MAX + 1, NULL) == KS_ERR_LIMIT);
		CHECK(ku_canon_url(u, big, KU_URL_MAX, NULL) == KS_OK);
		memset(big, 'a', KU_URL_MAX);
		memcpy(big, "http://", 7);
		CHECK(ku_canon_url(u, big, 7 + KU_HOST_MAX + 1, NULL) == KS_ERR_LIMIT);
		free(big);
	}
	free(u);
}
