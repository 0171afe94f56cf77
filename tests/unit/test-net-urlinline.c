/*
 * knetscan's inline web address checks (net/engine.h with a url/db.h
 * database): frames built byte by byte go through the whole engine, and
 * what passes and what is written are checked.  Also the absolute URL of
 * a request (RFC 9112 section 3.3), which the http record and the check
 * share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/app.h"
#include "net/engine.h"
#include "net/pkt.h"
#include "url/db.h"
#include "unit.h"

#define LINKTYPE_ETHERNET 1

/* A database listing bad.example (domain, phishing), evil.example (host,
 * malicious), ads.example (category ads) and bad.example's good.bad.example
 * in an allowlist. */
static struct ku_db *test_db(void)
{
	static const struct {
		const char *name, *category;
		enum ku_kind kind;
		const char *key;
	} e[] = {
		{ "phish", "phishing", KU_KIND_DOMAIN, "bad.example" },
		{ "mal", "malicious", KU_KIND_HOST, "evil.example" },
		{ "ads", "ads", KU_KIND_DOMAIN, "ads.example" },
		{ "ok", "allow", KU_KIND_HOST, "good.bad.example" },
	};
	struct ku_builder *b = ku_builder_new();
	struct ku_build_opts bo = { 3, 1, 777 };
	struct ks_err err;
	struct ku_db *db = NULL;
	uint8_t *img;
	size_t len;

	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
		struct ku_feed_def d = { e[i].name, e[i].category, "domains",
					 "test", e[i].kind };
		unsigned id;
		int dup;

		if (ku_builder_feed(b, &d, &id, &err) != KS_OK ||
		    ku_builder_add(b, id, e[i].kind, 0, e[i].key,
				   strlen(e[i].key), &dup) != KS_OK) {
			ku_builder_free(b);
			return NULL;
		}
	}
	if (ku_builder_image(b, &bo, &img, &len, &err) == KS_OK)
		ku_db_open_mem(&db, img, len, 1, 0, &err);
	ku_builder_free(b);
	return db;
}

struct out {
	char buf[65536];
	size_t len;
};

static void collect(void *ctx, const char *line, size_t n)
{
	struct out *o = ctx;

	if (o->len + n < sizeof o->buf) {
		memcpy(o->buf + o->len, line, n);
		o->len += n;
		o->buf[o->len] = '\0';
	}
}

static size_t count(const struct out *o, const char *needle)
{
	size_t n = 0;

	for (const char *p = o->buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static uint16_t ip_sum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet, IPv4 10.0.0.S -> 10.0.0.D, UDP sport -> dport, payload. */
static size_t udp_frame(uint8_t *f, int s, int d, uint16_t sport,
			uint16_t dport, const uint8_t *pl, size_t n)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 42);
	f[5] = (uint8_t)d;
	f[11] = (uint8_t)s;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 8 + n) >> 8);
	ip[3] = (uint8_t)(20 + 8 + n);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 10;
	ip[15] = (uint8_t)s;
	ip[16] = 10;
	ip[19] = (uint8_t)d;
	ip[10] = (uint8_t)(ip_sum(ip) >> 8);
	ip[11] = (uint8_t)ip_sum(ip);
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + n) >> 8);
	udp[5] = (uint8_t)(8 + n);
	memcpy(udp + 8, pl, n);
	return 42 + n;
}

/* A DNS query (RFC 1035 section 4.1) for name, type A. */
static size_t dns_query(uint8_t *q, uint16_t id, const char *name)
{
	size_t n = 12;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01;
	q[5] = 1;
	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		q[n++] = (uint8_t)l;
		memcpy(q + n, name, l);
		n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 1;
	q[n++] = 0;
	q[n++] = 1;
	return n;
}

/* One DNS query through the engine; returns what kn_engine_frame says. */
static int query(struct kn_engine *e, uint16_t sport, uint16_t id,
		 const char *name, int sec)
{
	uint8_t q[512], f[600];
	size_t n = dns_query(q, id, name);
	size_t fl = udp_frame(f, 20, 10, sport, 53, q, n);

	return kn_engine_frame(e, LINKTYPE_ETHERNET, f, fl, fl,
			       (struct ks_time){ 1000 + sec, 0 });
}

static struct kn_engine *engine(struct out *o, int monitoring,
				enum kn_action url, const char *exclude)
{
	struct kn_engine_conf c;
	struct ks_err err;

	kn_engine_defaults(&c);
	c.policy.monitoring = monitoring;
	c.policy.action[KN_CLASS_URL] = url;
	if (exclude != NULL &&
	    kn_cidr_parse(exclude, &c.policy.exclude[c.policy.nexclude]) == 0)
		c.policy.nexclude++;
	o->len = 0;
	o->buf[0] = '\0';
	return kn_engine_new(&c, collect, o, &err);
}

TEST(net_urlinline_dns_drop_once_per_flow)
{
	static struct out o;
	struct ku_db *db = test_db();
	struct kn_engine *e;
	struct kn_engine_stats st;
	struct ks_err err;

	REQUIRE(db != NULL);
	e = engine(&o, 0, KN_ACT_DROP, NULL);
	REQUIRE(e != NULL);
	/* Without a database nothing is checked. */
	CHECK_INT(query(e, 40000, 1, "www.bad.example", 0), 1);
	REQUIRE(kn_engine_set_url_db(e, db, &err) == KS_OK);
	/* A listed name (below a listed domain): dropped, with its flow. */
	CHECK_INT(query(e, 40001, 2, "www.bad.example", 1), 0);
	CHECK_INT(query(e, 40001, 3, "www.bad.example", 1), 0);
	CHECK_INT(query(e, 40001, 4, "clean.example", 1), 0);
	/* Clean, allowed, other categories: pass. */
	CHECK_INT(query(e, 40002, 5, "clean.example", 2), 1);
	CHECK_INT(query(e, 40003, 6, "good.bad.example", 2), 1);
	CHECK_INT(query(e, 40004, 7, "x.ads.example", 2), 1);
	/* A host entry matches that host only. */
	CHECK_INT(query(e, 40005, 8, "www.evil.example", 3), 1);
	CHECK_INT(query(e, 40006, 9, "EVIL.example", 3), 0);
	kn_engine_get_stats(e, &st);
	CHECK_INT(st.url_alerts, 2);
	CHECK_INT(st.alerts, 2);
	CHECK_INT(st.url_checked, 8);
	CHECK_INT(st.url_listed, 4);
	CHECK_INT(st.dropped, 4);
	CHECK_INT(count(&o, "\"event_type\":\"alert\""), 2);
	CHECK(strstr(o.buf, "\"signature\":\"KNETSCAN malicious web address "
			    "(phishing): www.bad.example\"") != NULL);
	CHECK(strstr(o.buf, "\"signature\":\"KNETSCAN malicious web address "
			    "(malicious): evil.example\"") != NULL);
	CHECK(strstr(o.buf, "\"entry\":\"bad.example\",\"expression\":"
			    "\"bad.example\"") != NULL);
	CHECK_INT(count(&o, "\"policy\":\"drop\""), 2);
	CHECK_INT(count(&o, "\"db_generation\":3"), 2);
	/* No more checks once the database is taken away. */
	REQUIRE(kn_engine_set_url_db(e, NULL, &err) == KS_OK);
	CHECK_INT(query(e, 40007, 10, "www.bad.example", 4), 1);
	kn_engine_free(e);
	ku_db_close(db);
}

TEST(net_urlinline_monitoring_exclusion_allow)
{
	static struct out o;
	struct ku_db *db = test_db();
	struct kn_engine *e;
	struct ks_err err;

	REQUIRE(db != NULL);
	/* Monitoring: passes, says what standard mode would do. */
	e = engine(&o, 1, KN_ACT_DROP, NULL);
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	CHECK_INT(query(e, 40001, 1, "bad.example", 0), 1);
	CHECK(strstr(o.buf, "\"action\":\"allowed\"") != NULL);
	CHECK(strstr(o.buf, "\"would\":\"blocked\"") != NULL);
	kn_engine_free(e);
	/* An excluded client or server: reported, allowed. */
	e = engine(&o, 0, KN_ACT_DROP, "10.0.0.20");
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	CHECK_INT(query(e, 40001, 1, "bad.example", 0), 1);
	CHECK(strstr(o.buf, "\"policy\":\"allow\"") != NULL);
	kn_engine_free(e);
	e = engine(&o, 0, KN_ACT_DROP, "10.0.0.0/28");
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	CHECK_INT(query(e, 40001, 1, "bad.example", 0), 1);
	kn_engine_free(e);
	/* allow: reported only; block over UDP: dropped, not blocked. */
	e = engine(&o, 0, KN_ACT_ALLOW, NULL);
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	CHECK_INT(query(e, 40001, 1, "bad.example", 0), 1);
	CHECK_INT(count(&o, "\"event_type\":\"alert\""), 1);
	kn_engine_free(e);
	e = engine(&o, 0, KN_ACT_BLOCK, NULL);
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	CHECK_INT(query(e, 40001, 1, "bad.example", 0), 0);
	CHECK_INT(query(e, 40002, 2, "clean.example", 0), 1);
	CHECK(strstr(o.buf, "\"policy\":\"drop\"") != NULL);
	kn_engine_free(e);
	ku_db_close(db);
}

TEST(net_urlinline_flow_remembers_latest_four)
{
	static struct out o;
	static const struct { const char *name; int alert; } seq[] = {
		{ "a1.bad.example", 1 }, { "a2.bad.example", 1 },
		{ "a3.bad.example", 1 }, { "a4.bad.example", 1 },
		{ "a5.bad.example", 1 }, { "a6.bad.example", 1 },
		{ "a6.bad.example", 0 }, { "a1.bad.example", 1 },
		{ "a5.bad.example", 0 }, { "a3.bad.example", 1 },
		{ "a4.bad.example", 1 }, { "a6.bad.example", 0 },
		{ "a1.bad.example", 0 }, { "a3.bad.example", 0 },
	};
	struct ku_db *db = test_db();
	struct kn_engine *e;
	struct kn_engine_stats st;
	struct ks_err err;
	uint64_t want = 0;

	REQUIRE(db != NULL);
	e = engine(&o, 0, KN_ACT_ALLOW, NULL);
	REQUIRE(e != NULL && kn_engine_set_url_db(e, db, &err) == KS_OK);
	/* One flow (the same ports) asks for each name in turn: a name
	 * alerts again only once four others came after it. */
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		CHECK_INT(query(e, 40001, (uint16_t)i, seq[i].name, 0), 1);
		want += (uint64_t)seq[i].alert;
		kn_engine_get_stats(e, &st);
		CHECK_INT(st.url_alerts, want);
	}
	CHECK_INT(st.url_listed, sizeof seq / sizeof seq[0]);
	kn_engine_free(e);
	ku_db_close(db);
}

static const char *abs_url(const char *host, uint16_t port, const char *uri,
			   const char *srv, uint16_t sport)
{
	static char s[1024];
	struct kn_http_req r;
	struct kn_flow f;
	struct ks_buf b;

	memset(&r, 0, sizeof r);
	memset(&f, 0, sizeof f);
	r.host = (struct kn_slice){ (const uint8_t *)host, strlen(host) };
	r.host_port = port;
	r.uri = (struct kn_slice){ (const uint8_t *)uri, strlen(uri) };
	if (srv != NULL) {
		f.srv.family = 4;
		f.srv.b[0] = 192;
		f.srv.b[1] = 0;
		f.srv.b[2] = 2;
		f.srv.b[3] = (uint8_t)atoi(srv);
		f.sport = sport;
	}
	ks_buf_init(&b, 4096);
	if (kn_http_absolute_url(&r, srv != NULL ? &f : NULL, &b) != 0)
		snprintf(s, sizeof s, "(none)");
	else
		snprintf(s, sizeof s, "%.*s", (int)b.len, (const char *)b.data);
	ks_buf_free(&b);
	return s;
}

TEST(net_http_absolute_url)
{
	CHECK_STR(abs_url("WWW.Example.COM", 0, "/A/b?C=D", NULL, 0),
		  "http://www.example.com/A/b?C=D");
	CHECK_STR(abs_url("example.com", 8080, "/x", NULL, 0),
		  "http://example.com:8080/x");
	CHECK_STR(abs_url("example.com", 80, "/x", NULL, 0),
		  "http://example.com/x");
	CHECK_STR(abs_url("", 0, "/x", "7", 8000), "http://192.0.2.7:8000/x");
	CHECK_STR(abs_url("", 0, "/x", NULL, 0), "(none)");
	CHECK_STR(abs_url("proxy.example", 0, "http://Other.example/y", NULL, 0),
		  "http://Other.example/y");
	CHECK_STR(abs_url("example.com", 0, "", NULL, 0), "http://example.com");
}
