/*
 * Feeds, databases and checks: every feed format with good and broken
 * lines; subdomain boundaries, IP, CIDR, port, userinfo, trailing dot,
 * uppercase, IDN and percent-encoded hosts; allowlist precedence and
 * Adblock exceptions; host-only queries against entries with paths; a
 * truncated database or one with a flipped byte refused; the events.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/reader.h"
#include "unit.h"
#include "url/check.h"
#include "url/events.h"
#include "url/feeds.h"

struct tfeed {
	const char *name, *category, *format, *match, *text;
};

/* A database from feed texts; reports the counts of the last feed. */
static struct ku_db *db_of(const struct tfeed *f, size_t n,
			   struct ku_feed_counts *last,
			   struct ku_feed_report *rep)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_build_opts bo = { 7, 1, 12345 };
	struct ku_feed_report r;
	struct ks_err err;
	struct ku_db *db = NULL;
	uint8_t *img;
	size_t len;

	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		enum ku_format fmt;
		enum ku_kind kind;
		unsigned id;
		struct ku_feed_def d;

		if (ku_format_parse(f[i].format, &fmt) != 0)
			abort();
		kind = ku_format_default_kind(fmt);
		if (f[i].match != NULL && ku_kind_parse(f[i].match, &kind) != 0)
			abort();
		d.name = f[i].name;
		d.category = f[i].category;
		d.format = f[i].format;
		d.source = "test";
		d.kind = kind;
		if (ku_builder_feed(b, &d, &id, &err) != KS_OK ||
		    ku_feed_load_mem(b, id, fmt, kind, f[i].text,
				     strlen(f[i].text), rep ? rep : &r,
				     &err) != KS_OK) {
			ku_builder_free(b);
			return NULL;
		}
		if (last != NULL)
			*last = *ku_builder_counts(b, id);
	}
	if (ku_builder_image(b, &bo, &img, &len, &err) == KS_OK)
		ku_db_open_mem(&db, img, len, 1, 0, &err);
	ku_builder_free(b);
	return db;
}

/* The verdict name of a check, "error", or the category. */
static const char *verdict(struct ku_check *c, struct ku_db *db,
			   const char *in, int host_only)
{
	enum ku_verdict v = ku_check(c, db, in, strlen(in), host_only);

	return v == KU_LISTED ? c->category : v == KU_ERROR ? "error" :
								   "clean";
}

TEST(url_feed_formats_good_and_bad_lines)
{
	static const struct {
		const char *format, *text;
		uint64_t entries, bad, unsupported, skipped;
	} cases[] = {
		{ "urls", "# c\n\nhttp://a.example/x\nhttp://\nb.example/y?z\n"
			  "mailto:x@y\n", 2, 2, 0, 0 },
		{ "openphish", "https://p.example/login\n  \n/nohost\n", 1, 1, 0, 0 },
		{ "domains", "a.example\n*.b.example\n.c.example # note\n"
			     "bad name.example\nx/y\n-\n", 3, 3, 0, 0 },
		{ "hosts", "127.0.0.1 localhost\n0.0.0.0 a.example b.example "
			   "# c\n::1 ip6-localhost\nnot-an-ip a.example\n"
			   "0.0.0.0\n0.0.0.0 ok.example bad!name\n", 3, 3, 0, 2 },
		{ "adblock", "[Adblock Plus 2.0]\n! comment\n||a.example^\n"
			     "||b.example^$important\n@@||c.a.example^\n"
			     "##.banner\n||d.example/path^\n||e.example^$script\n"
			     "/ads/*\n||bad name^\n", 3, 1, 4, 0 },
		{ "urlhaus", "# id,dateadded,url,url_status\n"
			     "\"1\",\"d\",\"http://u.example/a,b\",\"online\"\n"
			     "\"2\",\"d\",\"http://u.example/\"\"q\"\"\",\"x\"\n"
			     "\"3\",\"d\n\"4\"\n", 2, 2, 0, 0 },
		{ "phishtank", "phish_id,url,detail\n1,http://p.example/a,x\n"
			       "2,\"http://p.example/b\",x\n3\n4,,x\n", 2, 2, 0, 0 },
		{ "ip", "# c\n192.0.2.1\n2001:db8::1 ; x\n192.0.2.0/24\n"
			"999.1.1.1\n1.2.3\n", 2, 3, 0, 0 },
		{ "cidr", "; DROP\n198.51.100.0/24 ; SBL1\n2001:db8::/32\n"
			  "192.0.2.7\n10.0.0.0/33\nx/8\n", 3, 2, 0, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tfeed f = { "f", "malicious", cases[i].format, NULL,
				   cases[i].text };
		struct ku_feed_counts fc;
		struct ku_feed_report rep;
		struct ku_db *db = db_of(&f, 1, &fc, &rep);

		REQUIRE(db != NULL);
		if (fc.entries != cases[i].entries || fc.bad != cases[i].bad ||
		    fc.unsupported != cases[i].unsupported ||
		    fc.skipped != cases[i].skipped)
			ut_fail(__FILE__, __LINE__, "%s: %llu entries %llu bad "
				"%llu unsupported %llu skipped", cases[i].format,
				(unsigned long long)fc.entries,
				(unsigned long long)fc.bad,
				(unsigned long long)fc.unsupported,
				(unsigned long long)fc.skipped);
		/* Every bad line is shown with its number and a reason. */
		CHECK_INT(rep.nshown, cases[i].bad + cases[i].unsupported);
		for (size_t k = 0; k < rep.nshown; k++)
			CHECK(rep.shown[k].line > 0 && rep.shown[k].why[0] != '\0');
		ku_db_close(db);
	}
}

TEST(url_check_domains_and_boundaries)
{
	struct tfeed f[] = {
		{ "dom", "malicious", "domains", "domain",
		  "example.com\na.example.com\n*.sub.example.org\n" },
		{ "hosts", "phishing", "hosts", NULL, "0.0.0.0 exact.example.net\n" },
	};
	struct ku_db *db = db_of(f, 2, NULL, NULL);
	struct ku_check *c = ku_check_new();

	REQUIRE(db != NULL && c != NULL);
	/* A listed a.example.com does not hide example.com. */
	CHECK_STR(verdict(c, db, "http://b.example.com/", 0), "malicious");
	CHECK_STR(c->m[0].entry, "example.com");
	CHECK_STR(verdict(c, db, "http://x.a.example.com/", 0), "malicious");
	CHECK_INT(c->n, 2);
	CHECK_STR(verdict(c, db, "http://example.com.evil.test/", 0), "clean");
	CHECK_STR(verdict(c, db, "http://notexample.com/", 0), "clean");
	CHECK_STR(verdict(c, db, "EXAMPLE.COM.", 1), "malicious");
	/* Subdomains only. */
	CHECK_STR(verdict(c, db, "http://sub.example.org/", 0), "clean");
	CHECK_STR(verdict(c, db, "http://x.sub.example.org/", 0), "malicious");
	CHECK_INT(c->m[0].kind, KU_KIND_SUBDOMAIN);
	/* Exact hosts: never a parent, never a child. */
	CHECK_STR(verdict(c, db, "http://exact.example.net/x", 0), "phishing");
	CHECK_STR(verdict(c, db, "http://www.exact.example.net/", 0), "clean");
	CHECK_STR(verdict(c, db, "example.net", 1), "clean");
	/* Case, trailing dots, port, userinfo, percent-encoded host. */
	CHECK_STR(verdict(c, db, "HTTP://User:Pw@EXACT.Example.NET.:8443/", 0),
		  "phishing");
	CHECK_INT(c->url.port, 8443);
	CHECK_STR(c->url.userinfo, "User:Pw");
	CHECK_STR(verdict(c, db, "http://%65xact.example.net/", 0), "phishing");
	CHECK_STR(verdict(c, db, "http://good.test@b.example.com/", 0),
		  "malicious");
	/* Refused input. */
	CHECK_STR(verdict(c, db, "mailto:a@example.com", 0), "error");
	CHECK(c->err.msg[0] != '\0');
	ku_check_free(c);
	ku_db_close(db);
}

TEST(url_check_urls_and_host_only)
{
	struct tfeed f[] = {
		{ "u", "malicious", "urls", NULL,
		  "http://evil.example/dir/\nhttp://site.example/\n"
		  "http://q.example/a.php?id=1\n" },
	};
	struct ku_db *db = db_of(f, 1, NULL, NULL);
	struct ku_check *c = ku_check_new();

	REQUIRE(db != NULL && c != NULL);
	CHECK_STR(verdict(c, db, "http://evil.example/dir/x.html?y", 0),
		  "malicious");
	CHECK_STR(c->m[0].expr, "evil.example/dir/");
	CHECK_STR(verdict(c, db, "http://www.evil.example/dir/", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://evil.example/other/", 0), "clean");
	CHECK_STR(verdict(c, db, "http://evil.example/dir", 0), "clean");
	/* A host-only query never matches an entry with a path... */
	CHECK_STR(verdict(c, db, "evil.example", 1), "clean");
	/* ...and matches an entry for the whole site. */
	CHECK_STR(verdict(c, db, "www.site.example", 1), "malicious");
	CHECK_STR(verdict(c, db, "http://q.example/a.php?id=1", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://q.example/a.php?id=2", 0), "clean");
	CHECK_STR(verdict(c, db, "http://q.example/a.php?id=1#frag", 0),
		  "malicious");
	ku_check_free(c);
	ku_db_close(db);
}

TEST(url_check_ip_cidr_idn)
{
	struct tfeed f[] = {
		{ "ip", "malicious", "ip", NULL, "192.0.2.1\n2001:db8::1\n" },
		{ "net", "c2", "cidr", NULL, "198.51.100.0/24\n2001:db8:bad::/48\n" },
		{ "idn", "phishing", "domains", "host", "xn--mlat-zra.example\n" },
	};
	struct ku_db *db = db_of(f, 3, NULL, NULL);
	struct ku_check *c = ku_check_new();

	REQUIRE(db != NULL && c != NULL);
	CHECK_STR(verdict(c, db, "http://192.0.2.1/", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://3221225985/", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://0xc0.0.2.1/", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://192.0.2.10/", 0), "clean");
	CHECK_STR(verdict(c, db, "http://[2001:DB8:0::1]/", 0), "malicious");
	CHECK_STR(verdict(c, db, "http://198.51.100.77/x", 0), "c2");
	CHECK_STR(c->m[0].entry, "198.51.100.0/24");
	CHECK_STR(verdict(c, db, "http://198.51.101.1/", 0), "clean");
	CHECK_STR(verdict(c, db, "http://[2001:db8:bad:1::5]/", 0), "c2");
	CHECK_STR(verdict(c, db, "http://[::ffff:198.51.100.1]/", 0), "c2");
	CHECK_STR(verdict(c, db, "http://\xc3\xbcmlat.example/", 0), "phishing");
	CHECK_STR(verdict(c, db, "http://%C3%9Cmlat.example/", 0), "phishing");
	CHECK_STR(verdict(c, db, "http://www.\xc3\xbcmlat.example/", 0), "clean");
	ku_check_free(c);
	ku_db_close(db);
}

TEST(url_check_allowlist_and_exceptions)
{
	struct tfeed f[] = {
		{ "ads", "ads", "adblock", NULL,
		  "||ads.example^\n@@||good.ads.example^\n" },
		{ "phish", "phishing", "domains", "domain", "bad.example\n" },
		{ "mal", "malicious", "urls", NULL, "http://x.bad.example/m\n" },
		{ "allow", "allow", "domains", "host", "ok.bad.example\n" },
	};
	struct ku_db *db = db_of(f, 4, NULL, NULL);
	struct ku_check *c = ku_check_new();

	REQUIRE(db != NULL && c != NULL);
	CHECK_STR(verdict(c, db, "http://x.ads.example/", 0), "ads");
	/* An exception cancels its own feed. */
	CHECK_STR(verdict(c, db, "http://good.ads.example/", 0), "clean");
	CHECK_INT(c->n, 0);
	/* Malicious ranks before phishing. */
	CHECK_STR(verdict(c, db, "http://x.bad.example/m", 0), "malicious");
	CHECK_INT(c->n, 2);
	/* The allowlist wins, and the matches are still reported. */
	CHECK_STR(verdict(c, db, "http://ok.bad.example/", 0), "clean");
	CHECK(c->allowed);
	CHECK_INT(c->n, 2);
	CHECK_STR(verdict(c, db, "http://x.ok.bad.example/", 0), "phishing");
	ku_check_free(c);
	ku_db_close(db);
}

TEST(url_db_damage_refused)
{
	struct ku_builder *b = ku_builder_new();
	struct ku_build_opts bo = { 3, 1, 99 };
	struct ku_feed_def d = { "f", "malicious", "domains", "t",
				 KU_KIND_DOMAIN };
	struct ku_db *db;
	struct ks_err err;
	uint8_t *img, *copy;
	size_t len;
	unsigned id;
	int dup;

	REQUIRE(b != NULL);
	REQUIRE(ku_builder_feed(b, &d, &id, NULL) == KS_OK);
	REQUIRE(ku_builder_add(b, id, KU_KIND_DOMAIN, 0, "a.example", 9, &dup) ==
		KS_OK);
	REQUIRE(ku_builder_add(b, id, KU_KIND_DOMAIN, 0, "a.example", 9, &dup) ==
		KS_OK && dup);
	REQUIRE(ku_builder_image(b, &bo, &img, &len, &err) == KS_OK);
	ku_builder_free(b);
	copy = malloc(len);
	REQUIRE(copy != NULL);
	/* Intact. */
	memcpy(copy, img, len);
	REQUIRE(ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK);
	CHECK_INT(ku_db_info(db)->generation, 3);
	CHECK_INT(ku_db_info(db)->nentries, 1);
	ku_db_close(db);
	/* Every truncation is refused. */
	for (size_t cut = 0; cut < len; cut += 1 + cut / 8) {
		memcpy(copy, img, len);
		if (ku_db_open_mem(&db, copy, cut, 0, 0, &err) == KS_OK) {
			ut_fail(__FILE__, __LINE__, "truncated to %zu accepted",
				cut);
			ku_db_close(db);
		}
	}
	CHECK(ku_db_open_mem(&db, copy, len / 2, 0, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "truncated") != NULL);
	/* Every flipped byte is refused. */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, img, len);
		copy[i] ^= 0x20;
		if (ku_db_open_mem(&db, copy, len, 0, 0, &err) == KS_OK) {
			ut_fail(__FILE__, __LINE__, "flip at %zu accepted", i);
			ku_db_close(db);
		}
	}
	memcpy(copy, img, len);
	copy[len - 3] ^= 1;
	CHECK(ku_db_open_mem(&db, copy, len, 0, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "checksum") != NULL);
	memcpy(copy, img, len);
	copy[0] = 'X';
	CHECK(ku_db_open_mem(&db, copy, len, 0, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "not a kurlcheck database") != NULL);
	free(copy);
	free(img);
}

TEST(url_db_file_write_and_reopen)
{
	char dir[] = "/tmp/ku-test-XXXXXX", path[64];
	struct tfeed f = { "f", "malicious", "domains", NULL, "w.example\n" };
	struct ku_db *db = db_of(&f, 1, NULL, NULL), *db2;
	struct ks_err err;
	const struct ku_db_info *in;
	uint8_t *img;
	size_t len;

	REQUIRE(db != NULL && mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/x.kudb", dir);
	in = ku_db_info(db);
	/* Rebuild the same image to write it (the reader keeps its own). */
	{
		struct ku_builder *b = ku_builder_new();
		struct ku_build_opts bo = { in->generation + 1, 0, 0 };
		struct ku_feed_def d = { "f", "malicious", "domains", "t",
					 KU_KIND_DOMAIN };
		unsigned id;
		int dup;

		REQUIRE(b != NULL);
		ku_builder_feed(b, &d, &id, NULL);
		ku_builder_add(b, id, KU_KIND_DOMAIN, 0, "w.example", 9, &dup);
		REQUIRE(ku_builder_image(b, &bo, &img, &len, &err) == KS_OK);
		ku_builder_free(b);
	}
	REQUIRE(ku_db_write_file(path, img, len, &err) == KS_OK);
	CHECK_INT(ku_db_peek_generation(path), 8);
	REQUIRE(ku_db_open(&db2, path, 0, &err) == KS_OK);
	CHECK_INT(ku_db_info(db2)->generation, 8);
	ku_db_close(db2);
	/* A truncated file names the problem. */
	CHECK(truncate(path, (off_t)len - 5) == 0);
	CHECK(ku_db_open(&db2, path, 0, &err) != KS_OK);
	CHECK(strstr(err.msg, "truncated") != NULL);
	unlink(path);
	CHECK(ku_db_open(&db2, path, 0, &err) == KS_ERR_NOTFOUND);
	rmdir(dir);
	free(img);
	ku_db_close(db);
}

TEST(url_events_addresses)
{
	static const struct {
		const char *json;
		size_t n;
		const char *first;
		int host_only;
	} cases[] = {
		{ "{\"event_type\":\"http\",\"dest_port\":8080,\"http\":{\"hostname\":"
		  "\"a.example\",\"url\":\"/x?y\"}}", 1, "http://a.example:8080/x?y", 0 },
		{ "{\"event_type\":\"http\",\"http\":{\"hostname\":\"a.example\","
		  "\"http_port\":80,\"url\":\"http://b.example/z\"}}", 1,
		  "http://b.example/z", 0 },
		{ "{\"event_type\":\"http\",\"dest_ip\":\"2001:db8::1\",\"http\":{"
		  "\"url\":\"/\"}}", 1, "http://[2001:db8::1]/", 0 },
		{ "{\"event_type\":\"tls\",\"tls\":{\"sni\":\"s.example\"}}", 1,
		  "s.example", 1 },
		{ "{\"event_type\":\"dns\",\"dns\":{\"type\":\"query\",\"rrname\":"
		  "\"d.example\"}}", 1, "d.example", 1 },
		{ "{\"event_type\":\"dns\",\"dns\":{\"queries\":[{\"rrname\":\"x\"},"
		  "{\"rrname\":\"y\"},{\"rrname\":\"x\"}]}}", 2, "x", 1 },
		{ "{\"event_type\":\"flow\"}", 0, NULL, 0 },
		{ "{\"event_type\":\"tls\",\"tls\":{\"sni\":7}}", 0, NULL, 0 },
	};
	struct ku_event *e = malloc(sizeof *e);

	REQUIRE(e != NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_object *o = json_tokener_parse(cases[i].json);

		REQUIRE(o != NULL);
		CHECK_INT(ku_event_queries(e, o), cases[i].n);
		if (cases[i].n > 0) {
			char got[256];

			snprintf(got, sizeof got, "%.*s", (int)e->q[0].len,
				 e->q[0].text);
			CHECK_STR(got, cases[i].first);
			CHECK_INT(e->q[0].host_only, cases[i].host_only);
		}
		json_object_put(o);
	}
	free(e);
}
