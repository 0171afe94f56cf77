/* Intrusion signatures: payload keywords at their boundaries, and the
 * runtime over packets, streams and application buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids/detect.h"
#include "ids/match.h"
#include "ids/parse.h"
#include "ids/set.h"
#include "unit.h"

/* One rule's payload list against one payload. */
static int match1(const char *opts, const char *payload, size_t n)
{
	struct ki_vars *v = ki_vars_new();
	struct ki_classes *c = ki_classes_new();
	struct ki_names *nm = ki_names_new();
	struct ki_parse_env pe = { v, c, nm };
	struct ki_rule *r;
	struct ki_mctx m;
	char text[1024], kwbuf[KI_KW_MAX];
	const char *kw;
	struct ks_err err;
	int rc = -1;

	snprintf(text, sizeof text, "alert udp any any -> any any (%s sid:1;)", opts);
	if (ki_rule_parse(text, strlen(text), &pe, &r, &kw, kwbuf, &err) != KS_OK) {
		ut_fail(__FILE__, __LINE__, "%s: %s", opts, err.msg);
	} else {
		ki_mctx_init(&m);
		rc = ki_match_buffer(r, KI_B_PAYLOAD, (const uint8_t *)payload, n,
				     0, 0, &m);
		ki_mctx_free(&m);
		ki_rule_free(r);
	}
	ki_names_free(nm);
	ki_classes_free(c);
	ki_vars_free(v);
	return rc;
}

TEST(ids_match_keywords)
{
	static const struct { const char *opts, *payload; int want; } t[] = {
		{ "content:\"abc\";", "xxabcxx", 1 },
		{ "content:\"ABC\";", "xxabcxx", 0 },
		{ "content:\"ABC\"; nocase;", "xxabcxx", 1 },
		{ "content:!\"abc\";", "xxabcxx", 0 },
		{ "content:!\"abd\";", "xxabcxx", 1 },
		/* depth counts from offset; the match must end within it. */
		{ "content:\"abc\"; depth:5;", "xxabcxx", 1 },
		{ "content:\"abc\"; depth:4;", "xxabcxx", 0 },
		{ "content:\"abc\"; offset:2; depth:3;", "xxabcxx", 1 },
		{ "content:\"abc\"; offset:3;", "xxabcxx", 0 },
		{ "content:\"abc\"; offset:3;", "xxabcabc", 1 },
		/* distance from the end of the previous match; within from there. */
		{ "content:\"ab\"; content:\"ef\"; distance:2;", "abcdef", 1 },
		{ "content:\"ab\"; content:\"ef\"; distance:3;", "abcdef", 0 },
		{ "content:\"ab\"; content:\"ef\"; distance:2; within:2;", "abcdef", 1 },
		{ "content:\"ab\"; content:\"ef\"; within:3;", "abcdef", 0 },
		{ "content:\"ab\"; content:\"ef\"; within:4;", "abcdef", 1 },
		{ "content:\"cd\"; content:\"ab\"; distance:-4; within:2;", "abcdef", 1 },
		/* Backtracking: the first "a" fails the relative check, the
		 * second passes. */
		{ "content:\"a\"; content:\"b\"; within:1;", "a-ab", 1 },
		{ "content:\"a\"; content:!\"b\"; within:1;", "ab", 0 },
		{ "content:\"a\"; content:!\"b\"; within:2;", "axb", 0 },
		{ "content:\"a\"; content:!\"b\"; distance:1; within:1;", "axb", 0 },
		{ "content:\"a\"; content:!\"b\"; distance:2; within:1;", "axb", 1 },
		{ "content:\"a\"; content:!\"b\"; distance:0; within:1;", "axb", 1 },
		{ "content:\"abc\"; startswith;", "abcdef", 1 },
		{ "content:\"bcd\"; startswith;", "abcdef", 0 },
		{ "content:\"def\"; endswith;", "abcdef", 1 },
		{ "content:\"cde\"; endswith;", "abcdef", 0 },
		{ "content:\"abcdef\"; startswith; endswith;", "abcdef", 1 },
		{ "content:\"a\"; isdataat:5,relative;", "abcdef", 1 },
		{ "content:\"a\"; isdataat:6,relative;", "abcdef", 0 },
		{ "content:\"b\"; isdataat:4,relative;", "abcdef", 1 },
		{ "content:\"a\"; isdataat:!6,relative;", "abcdef", 1 },
		{ "isdataat:5;", "abcdef", 1 },
		{ "isdataat:6;", "abcdef", 0 },
		{ "pcre:\"/b.d/\";", "abcdef", 1 },
		{ "pcre:\"/B.D/i\";", "abcdef", 1 },
		{ "pcre:!\"/b.d/\";", "abcdef", 0 },
		{ "pcre:!\"/b.e/\";", "abcdef", 1 },
		/* A relative regex starts at the end of the previous match, so
		 * ^ anchors there. */
		{ "content:\"ab\"; pcre:\"/^cd/R\";", "abcdef", 1 },
		{ "content:\"ab\"; pcre:\"/^de/R\";", "abcdef", 0 },
		{ "content:\"ab\"; pcre:\"/cd/R\"; content:\"ef\"; within:2;", "abcdef", 1 },
		{ "content:\"ab\"; pcre:\"/^ab/R\";", "abcdef", 0 },
		{ "byte_test:2,=,0x0102,0;", "\x01\x02\x03", 1 },
		{ "byte_test:2,=,0x0201,0,little;", "\x01\x02\x03", 1 },
		{ "byte_test:1,>,2,2;", "\x01\x02\x03", 1 },
		{ "byte_test:1,!>,2,2;", "\x01\x02\x03", 0 },
		{ "byte_test:1,&,2,1;", "\x01\x02\x03", 1 },
		{ "byte_test:4,=,1,0;", "\x01\x02\x03", 0 },
		{ "byte_test:3,=,123,1,string,dec;", "x123y", 1 },
		{ "byte_test:0,=,42,0,string,dec;", "42", 1 },
		{ "content:\"x\"; byte_test:2,<,20,0,relative,string,hex;", "x0fz", 1 },
		/* byte_jump: skip the length, then the next content must follow. */
		{ "byte_jump:1,0; content:\"Z\"; within:1;", "\x03" "abcZ", 1 },
		{ "byte_jump:1,0; content:\"Z\"; within:1;", "\x02" "abcZ", 0 },
		{ "byte_jump:1,0,multiplier 2; content:\"Z\"; within:1;", "\x02" "abcdZ", 1 },
		{ "content:\"hello\"; dsize:5;", "hello", 1 },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int got = match1(t[i].opts, t[i].payload, strlen(t[i].payload) ?
				 strlen(t[i].payload) : 1);

		if (got != t[i].want)
			ut_fail(__FILE__, __LINE__, "%s on \"%s\": %d, want %d",
				t[i].opts, t[i].payload, got, t[i].want);
	}
}

/* ---- the runtime ------------------------------------------------------------------- */

struct rec {
	uint32_t sid[64];
	int hook[64];
	int n;
	int drop_for;                /* sid whose alert asks for a drop */
};

static int on_alert(void *ctx, const struct ki_alert *a)
{
	struct rec *r = ctx;

	if (r->n < 64) {
		r->sid[r->n] = a->r->sid;
		r->hook[r->n++] = a->hook;
	}
	return a->r->sid == (uint32_t)r->drop_for;
}

struct rt {
	struct ki_vars *v;
	struct ki_classes *c;
	struct ki_names *nm;
	struct ki_set *s;
	struct ki_ids *ids;
	struct rec rec;
};

static int rt_init(struct rt *t, const char *rules)
{
	struct ks_err err;
	struct ki_ids_conf conf;

	memset(t, 0, sizeof *t);
	t->v = ki_vars_new();
	t->c = ki_classes_new();
	t->nm = ki_names_new();
	t->s = ki_set_new(t->v, t->c, t->nm);
	if (ki_set_load_string(t->s, rules, strlen(rules), "t", &err) != KS_OK ||
	    ki_set_refused(t->s) != 0) {
		ut_fail(__FILE__, __LINE__, "rules refused: %s",
			ki_set_failure_count(t->s) ? ki_set_failure(t->s, 0) : err.msg);
		return -1;
	}
	if (ki_set_compile(t->s, &err) != KS_OK) {
		ut_fail(__FILE__, __LINE__, "compile: %s", err.msg);
		return -1;
	}
	ki_ids_defaults(&conf);
	conf.max_hosts = 4;
	t->ids = ki_ids_new(&conf, on_alert, &t->rec);
	{
		struct ki_set *old = NULL;

		if (t->ids == NULL || ki_ids_swap(t->ids, t->s, &old) != 0 ||
		    old != NULL)
			return -1;
	}
	return 0;
}

static void rt_free(struct rt *t)
{
	ki_ids_free(t->ids);         /* the set is the test's */
	ki_set_free(t->s);
	ki_names_free(t->nm);
	ki_classes_free(t->c);
	ki_vars_free(t->v);
}

static void addr4(struct kn_addr *a, unsigned last)
{
	memset(a, 0, sizeof *a);
	a->family = 4;
	a->b[0] = 10;
	a->b[3] = (uint8_t)last;
}

static void flow_init(struct kn_flow *f, uint8_t proto, uint64_t id)
{
	memset(f, 0, sizeof *f);
	f->id = id;
	addr4(&f->cli, 1);
	addr4(&f->srv, 2);
	f->cport = 40000;
	f->sport = proto == 17 ? 53 : 80;
	f->proto = proto;
	f->state = KN_TCP_ESTABLISHED;
	f->pkts[0] = f->pkts[1] = 1;
}

static void pkt_init(struct kn_pkt *p, const struct kn_flow *f, const char *pl)
{
	memset(p, 0, sizeof *p);
	p->ipv = 4;
	p->src = f->cli;
	p->dst = f->srv;
	p->proto = f->proto;
	p->has_l4 = 1;
	p->sport = f->cport;
	p->dport = f->sport;
	p->payload = (const uint8_t *)pl;
	p->payload_len = strlen(pl);
	p->ts.sec = 1000;
}

static struct kn_slice sl(const char *s)
{
	struct kn_slice x = { (const uint8_t *)s, strlen(s) };

	return x;
}

/* An HTTP flow with an empty packet, and blank messages to fill. */
static void http_init(struct kn_flow *f, struct kn_pkt *p, uint64_t id,
		      struct kn_http_req *q, struct kn_http_resp *r)
{
	flow_init(f, 6, id);
	f->app = KN_APP_HTTP;
	pkt_init(p, f, "");
	memset(q, 0, sizeof *q);
	memset(r, 0, sizeof *r);
}

TEST(ids_runtime_packet_and_stream)
{
	struct rt t;
	struct kn_flow f;
	struct kn_pkt p;

	REQUIRE(rt_init(&t, "alert udp any any -> any 53 (msg:\"udp\"; content:\"evil\"; sid:10;)\n"
		"alert udp any any -> any 54 (content:\"evil\"; sid:11;)\n"
		"alert tcp any any -> any any (flow:established,to_server; content:\"SPLITMARK\"; sid:12;)\n"
		"alert tcp any any -> any any (flow:to_client; content:\"SPLITMARK\"; sid:13;)\n"
		"alert tcp any any -> any any (content:\"GET\"; depth:3; sid:14;)\n"
		"alert ip [10.0.0.1,192.0.2.0/24] any -> any any (msg:\"reputation\"; sid:15;)\n") == 0);
	flow_init(&f, 17, 1);
	pkt_init(&p, &f, "an evil payload");
	CHECK_INT(ki_ids_packet(t.ids, &f, KN_TO_SERVER, &p), 0);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 10);
	CHECK_INT(t.rec.sid[1], 15);
	/* A content over two segments is found once, in the segment that
	 * completes it; the GET anchored at the stream's start only there. */
	t.rec.n = 0;
	flow_init(&f, 6, 2);
	pkt_init(&p, &f, "");
	p.proto = 6;
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"GET /SPLIT", 10, &p);
	CHECK_INT(t.rec.n, 1);
	CHECK_INT(t.rec.sid[0], 14);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"MARK GET", 8, &p);
	CHECK_INT(t.rec.n, 2);
	CHECK_INT(t.rec.sid[1], 12);
	CHECK_INT(t.rec.hook[1], KI_H_STREAM);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"more data", 9, &p);
	CHECK_INT(t.rec.n, 2);
	/* The other direction has its own window. */
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"SPLITMAR", 8, &p);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"K", 1, &p);
	CHECK_INT(t.rec.n, 3);
	CHECK_INT(t.rec.sid[2], 13);
	/* After a gap the window starts again. */
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"SPLITMA", 7, &p);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, NULL, 100, &p);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"RK", 2, &p);
	CHECK_INT(t.rec.n, 3);
	ki_ids_flow_end(t.ids, &f);
	rt_free(&t);
}

TEST(ids_runtime_app_buffers)
{
	struct rt t;
	struct kn_flow f;
	struct kn_pkt p;
	struct kn_http_req q;
	struct kn_http_resp r;
	struct kn_dns_msg m;
	struct kn_tls_hello h;
	struct kn_tls_cert c;

	REQUIRE(rt_init(&t,
		"alert http any any -> any any (http.uri; content:\"/a b\"; http.uri.raw; content:\"/a%20b\"; sid:20;)\n"
		"alert http any any -> any any (http.host; content:\"example.org\"; bsize:11; sid:21;)\n"
		"alert http any any -> any any (http.method; content:\"POST\"; http.user_agent; content:\"curl\"; startswith; sid:22;)\n"
		"alert http any any -> any any (http.header_names; content:\"|0d 0a|Host|0d 0a|\"; sid:23;)\n"
		"alert http any any -> any any (content:\"HTTP/1.1|0d 0a|Host: Example\"; http.method; content:\"POST\"; sid:24;)\n"
		"alert http any any -> any any (content:\"x=1\"; http.request_body; content:\"x=1\"; sid:25;)\n"
		"alert http any any -> any any (flow:to_client; http.stat_code; content:\"404\"; file.data; content:\"gone\"; sid:26;)\n"
		"alert http any any -> any any (http.stat_code; content:\"404\"; http.uri; content:\"/a\"; sid:27;)\n"
		"alert dns any any -> any any (dns.query; dotprefix; content:\".evil.example\"; endswith; sid:28;)\n"
		"alert dns any any -> any any (dns_query; content:\"evil\"; sid:29;)\n"
		"alert tls any any -> any any (tls.sni; content:\"bad.example\"; sid:30;)\n"
		"alert tls any any -> any any (tls.cert_subject; content:\"CN=bad\"; tls.sni; content:\"bad\"; sid:31;)\n"
		"alert http any any -> any any (http.host; content:\"EXAMPLE\"; sid:32;)\n") == 0);
	http_init(&f, &p, 3, &q, &r);
	q.request_line = sl("POST /a%20b HTTP/1.1");
	q.method = sl("POST");
	q.uri = sl("/a%20b");
	q.uri_norm = sl("/a b");
	q.protocol = sl("HTTP/1.1");
	q.host = sl("Example.ORG");
	q.user_agent = sl("curl/8.0");
	q.headers = sl("Host: Example.ORG:8080\r\nUser-Agent: curl/8.0\r\n");
	q.header_names = sl("\r\nHost\r\nUser-Agent\r\n\r\n");
	q.body = q.data = sl("x=1");
	ki_ids_http_request(t.ids, &f, &q, &p);
	REQUIRE(t.rec.n == 6);
	CHECK_INT(t.rec.sid[0], 20);
	CHECK_INT(t.rec.sid[1], 21);
	CHECK_INT(t.rec.sid[2], 22);
	CHECK_INT(t.rec.sid[3], 23);
	CHECK_INT(t.rec.sid[4], 24);
	CHECK_INT(t.rec.sid[5], 25);
	CHECK_INT(t.rec.hook[0], KI_H_HTTP_REQ);
	t.rec.n = 0;
	r.status_line = sl("HTTP/1.1 404 Not Found");
	r.status_code = sl("404");
	r.headers = sl("Server: x\r\n");
	r.body = r.data = sl("it is gone");
	ki_ids_http_response(t.ids, &f, &q, &r, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 26);
	CHECK_INT(t.rec.sid[1], 27);
	CHECK_INT(t.rec.hook[0], KI_H_HTTP_RESP);
	/* DNS: queries only. */
	t.rec.n = 0;
	flow_init(&f, 17, 4);
	memset(&m, 0, sizeof m);
	strcpy(m.qname, "www.evil.example");
	ki_ids_dns(t.ids, &f, &m, &p);
	CHECK_INT(t.rec.n, 2);
	strcpy(m.qname, "evil.example");      /* dotprefix: ".evil.example" */
	ki_ids_dns(t.ids, &f, &m, &p);
	CHECK_INT(t.rec.n, 4);
	strcpy(m.qname, "notevil.example");
	ki_ids_dns(t.ids, &f, &m, &p);
	CHECK_INT(t.rec.n, 5);                /* 29 only */
	m.response = 1;
	ki_ids_dns(t.ids, &f, &m, &p);
	CHECK_INT(t.rec.n, 5);
	/* TLS: the name, then the certificate with the kept name. */
	t.rec.n = 0;
	flow_init(&f, 6, 5);
	f.app = KN_APP_TLS;
	memset(&h, 0, sizeof h);
	h.sni = sl("bad.example");
	h.has_sni = 1;
	ki_ids_tls_hello(t.ids, &f, &h, &p);
	CHECK_INT(t.rec.n, 1);
	memset(&c, 0, sizeof c);
	strcpy(c.subject, "C=US, CN=bad.example");
	ki_ids_tls_cert(t.ids, &f, &c, &p);
	CHECK_INT(t.rec.n, 2);
	CHECK_INT(t.rec.sid[1], 31);
	ki_ids_flow_end(t.ids, &f);
	rt_free(&t);
}

/* The sids alerted since the last reset, as "1 2 3", and a reset. */
static const char *sids_take(struct rec *r)
{
	static char out[256];
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < r->n && o < sizeof out - 12; i++)
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%u",
				      i ? " " : "", r->sid[i]);
	r->n = 0;
	return out;
}

/* file.data (and file_data) without a direction: the request body on
 * requests and the response body on responses, one alert per
 * transaction and direction; flow:to_server or to_client keeps one. */
TEST(ids_runtime_file_data_directions)
{
	struct rt t;
	struct kn_flow f;
	struct kn_pkt p;
	struct kn_http_req q;
	struct kn_http_resp r;
	static const struct {
		int resp;
		const char *req_body, *resp_body, *want;
	} step[] = {
		/* A request without a body: nothing; the response body then
		 * matches the rules without a direction and those to the
		 * client. */
		{ 0, "", "", "" },
		{ 1, "", "Hello World", "40 42 45" },
		/* The headers of the response too: both-side buffers. */
		{ 1, "", "Hello there", "43" },
		/* A request body: the rules without a direction, those to
		 * the server, and the request-only buffers (http.uri ties
		 * sid 46 to requests), each once. */
		{ 0, "World", "", "40 41 44 46" },
		/* Its response without a body: http.request_body is a
		 * request buffer, not inspected again on the response. */
		{ 1, "World", "", "" },
		/* A rule without a fast pattern is found on both sides. */
		{ 1, "", "no fast pattern here", "47" },
	};

	REQUIRE(rt_init(&t,
		"alert http any any -> any any (file_data; content:\"World\"; sid:40;)\n"
		"alert http any any -> any any (flow:to_server; file.data; content:\"World\"; sid:41;)\n"
		"alert http any any -> any any (flow:established,to_client; file.data; content:\"World\"; sid:42;)\n"
		"alert http any any -> any any (file.data; content:\"there\"; http.header; content:\"Type|3a| text\"; sid:43;)\n"
		"alert http any any -> any any (http.request_body; content:\"World\"; sid:44;)\n"
		"alert http any any -> any any (http.response_body; content:\"World\"; sid:45;)\n"
		"alert http any any -> any any (file.data; content:\"World\"; http.uri; content:\"/u\"; sid:46;)\n"
		"alert http any any -> any any (file_data; pcre:\"/^no fast pattern/\"; sid:47;)\n") == 0);
	http_init(&f, &p, 6, &q, &r);
	q.request_line = sl("GET /u HTTP/1.1");
	q.method = sl("GET");
	q.uri = q.uri_norm = sl("/u");
	q.protocol = sl("HTTP/1.1");
	q.headers = sl("Host: a\r\n");
	r.status_line = sl("HTTP/1.1 200 OK");
	r.status_code = sl("200");
	r.protocol = sl("HTTP/1.1");
	r.headers = sl("Content-Type: text/plain\r\n");
	for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
		q.body = q.data = sl(step[i].req_body);
		r.body = r.data = sl(step[i].resp_body);
		if (step[i].resp)
			ki_ids_http_response(t.ids, &f, &q, &r, &p);
		else
			ki_ids_http_request(t.ids, &f, &q, &p);
		if (t.rec.n > 0 && t.rec.hook[0] != (step[i].resp ? KI_H_HTTP_RESP :
						       KI_H_HTTP_REQ))
			ut_fail(__FILE__, __LINE__, "step %zu: hook %d", i, t.rec.hook[0]);
		CHECK_STR(sids_take(&t.rec), step[i].want);
	}
	ki_ids_flow_end(t.ids, &f);
	rt_free(&t);
}

TEST(ids_runtime_flowbits_threshold_pass)
{
	struct rt t;
	struct kn_flow f, g;
	struct kn_pkt p;

	REQUIRE(rt_init(&t,
		"alert tcp any any -> any any (content:\"login\"; flowbits:set,seen; flowbits:noalert; sid:40;)\n"
		"alert tcp any any -> any any (content:\"secret\"; flowbits:isset,seen; sid:41;)\n"
		"alert tcp any any -> any any (content:\"logout\"; flowbits:unset,seen; flowbits:noalert; sid:42;)\n"
		"alert tcp any any -> any any (content:\"ping\"; threshold:type limit, track by_src, count 2, seconds 60; sid:43;)\n"
		"alert tcp any any -> any any (content:\"knock\"; detection_filter:track by_src, count 2, seconds 60; sid:44;)\n"
		"alert tcp any any -> any any (content:\"tick\"; threshold:type threshold, track by_rule, count 3, seconds 60; sid:45;)\n"
		"pass tcp any any -> any any (content:\"trusted\"; sid:46;)\n"
		"drop tcp any any -> any any (content:\"bomb\"; sid:47;)\n") == 0);
	t.rec.drop_for = 47;
	flow_init(&f, 6, 6);
	flow_init(&g, 6, 7);
	pkt_init(&p, &f, "");
	ki_ids_stream(t.ids, &g, 0, (const uint8_t *)"secret", 6, &p);
	CHECK_INT(t.rec.n, 0);               /* bit not set in this flow */
	ki_ids_stream(t.ids, &f, 0, (const uint8_t *)"login", 5, &p);
	CHECK_INT(t.rec.n, 0);               /* noalert */
	ki_ids_stream(t.ids, &g, 0, (const uint8_t *)"secret", 6, &p);
	CHECK_INT(t.rec.n, 0);               /* per flow */
	ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" secret", 7, &p);
	CHECK_INT(t.rec.n, 1);
	ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" logout", 7, &p);
	ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" secret", 7, &p);
	CHECK_INT(t.rec.n, 1);
	/* limit 2: the first two of each window. */
	t.rec.n = 0;
	for (int i = 0; i < 5; i++)
		ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" ping", 5, &p);
	CHECK_INT(t.rec.n, 2);
	p.ts.sec += 61;
	ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" ping", 5, &p);
	CHECK_INT(t.rec.n, 3);
	/* detection_filter 2: from the third on. */
	t.rec.n = 0;
	for (int i = 0; i < 5; i++)
		ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" knock", 6, &p);
	CHECK_INT(t.rec.n, 3);
	/* threshold 3: every third. */
	t.rec.n = 0;
	for (int i = 0; i < 7; i++)
		ki_ids_stream(t.ids, &f, 0, (const uint8_t *)" tick", 5, &p);
	CHECK_INT(t.rec.n, 2);
	/* drop: the callback's answer comes back. */
	t.rec.n = 0;
	CHECK_INT(ki_ids_stream(t.ids, &g, 0, (const uint8_t *)" bomb", 5, &p), 1);
	CHECK_INT(t.rec.n, 1);
	/* pass ends the inspection of the flow, even of a drop rule. */
	CHECK_INT(ki_ids_stream(t.ids, &g, 0, (const uint8_t *)" trusted bomb", 13, &p), 0);
	CHECK_INT(ki_ids_stream(t.ids, &g, 0, (const uint8_t *)" bomb", 5, &p), 0);
	CHECK_INT(t.rec.n, 1);
	{
		struct ki_ids_stats st;

		ki_ids_get_stats(t.ids, &st);
		CHECK_INT(st.passed, 1);
		CHECK(st.suppressed >= 3);
	}
	ki_ids_flow_end(t.ids, &f);
	ki_ids_flow_end(t.ids, &g);
	rt_free(&t);
}

TEST(ids_runtime_packet_keywords)
{
	struct rt t;
	struct kn_flow f;
	struct kn_pkt p;

	REQUIRE(rt_init(&t,
		"alert tcp any any -> any any (flags:S; sid:50;)\n"
		"alert tcp any any -> any any (flags:S+; dsize:0; sid:51;)\n"
		"alert icmp any any -> any any (itype:8; icode:0; sid:52;)\n"
		"alert ip any any -> any any (sameip; sid:53;)\n"
		"alert tcp any any -> any 81 (flags:S; sid:54;)\n") == 0);
	flow_init(&f, 6, 8);
	pkt_init(&p, &f, "");
	p.tcp_flags = KN_TH_SYN;
	ki_ids_packet(t.ids, &f, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 50);
	CHECK_INT(t.rec.sid[1], 51);
	p.tcp_flags = KN_TH_SYN | KN_TH_ACK;
	ki_ids_packet(t.ids, &f, KN_TO_CLIENT, &p);
	CHECK_INT(t.rec.n, 3);
	t.rec.n = 0;
	pkt_init(&p, &f, "x");
	p.proto = 1;
	p.icmp_type = 8;
	p.dst = p.src;
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 52);
	CHECK_INT(t.rec.sid[1], 53);
	rt_free(&t);
}

/* The stream prefilter looks only at the new bytes (and the longest
 * pattern's length before them): a rule whose fast pattern came in an
 * earlier segment must still be confirmed when the rest of it arrives,
 * once; a hole, many pending rules and a reload must not lose it. */
TEST(ids_runtime_stream_pending)
{
	struct rt t;
	struct kn_flow f;
	struct kn_pkt p;
	char rules[64 * 200], big[10000];
	size_t o = 0;
	struct ki_ids_stats st0, st1;

	o += (size_t)snprintf(rules + o, sizeof rules - o,
		"alert tcp any any -> any any (content:\"LONGMARKER\"; content:\"END\"; distance:0; sid:60;)\n"
		"alert tcp any any -> any any (content:\"SPANNING-PATTERN\"; sid:61;)\n");
	/* More rules hit by one segment than the pending list keeps. */
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(rules + o, sizeof rules - o,
			"alert tcp any any -> any any (content:\"K%03d\"; content:\"FIN\"; distance:0; sid:%d;)\n",
			i, 1000 + i);
	REQUIRE(rt_init(&t, rules) == 0);
	flow_init(&f, 6, 9);
	pkt_init(&p, &f, "");
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"xx LONGMARKER yy", 16, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"filler bytes", 12, &p);
	CHECK_INT(t.rec.n, 0);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"the END", 7, &p);
	REQUIRE(t.rec.n == 1);
	CHECK_INT(t.rec.sid[0], 60);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"no more", 7, &p);
	CHECK_INT(t.rec.n, 1);
	/* A pattern over three segments, the middle one shorter than it. */
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"SPANN", 5, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"ING-", 4, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"PATTERN", 7, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[1], 61);
	/* Over the window's length, the marker falls out of it. */
	memset(big, 'z', sizeof big);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"LONGMARKER", 10, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)big, 5000, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"END", 3, &p);
	CHECK_INT(t.rec.n, 2);
	/* A run longer than the window's room, with the pattern across its
	 * end and the next bytes. */
	memcpy(big + sizeof big - 8, "SPANNING", 8);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)big, sizeof big, &p);
	ki_ids_stream(t.ids, &f, KN_TO_SERVER, (const uint8_t *)"-PATTERN", 8, &p);
	REQUIRE(t.rec.n == 3);
	CHECK_INT(t.rec.sid[2], 61);
	/* 150 markers in one segment, the end in the next: all found (32
	 * alerts, the cap per packet, and the rest counted). */
	t.rec.n = 0;
	ki_ids_get_stats(t.ids, &st0);
	o = 0;
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "K%03d ", i);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)big, o, &p);
	CHECK_INT(t.rec.n, 0);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"FIN", 3, &p);
	CHECK_INT(t.rec.n, 32);
	ki_ids_get_stats(t.ids, &st1);
	CHECK_INT(st1.alerts - st0.alerts, 32);
	CHECK_INT(st1.alerts_capped - st0.alerts_capped, 118);
	/* After a hole the earlier marker does not count. */
	t.rec.n = 0;
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"LONGMARKER", 10, &p);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, NULL, 10, &p);
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"END", 3, &p);
	CHECK_INT(t.rec.n, 0);
	/* A reload between the marker and the end: the new set's rule (in
	 * another place of the order) is found. */
	ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"LONGMARKER", 10, &p);
	{
		struct ki_set *s2 = ki_set_new(t.v, t.c, t.nm), *old = NULL;
		struct ks_err err;
		const char *r2 = "alert tcp any any -> any any (content:\"ZZZZZZ\"; sid:70;)\n"
			"alert tcp any any -> any any (content:\"LONGMARKER\"; content:\"END\"; distance:0; sid:71;)\n";

		REQUIRE(ki_set_load_string(s2, r2, strlen(r2), "t2", &err) == KS_OK);
		REQUIRE(ki_set_compile(s2, &err) == KS_OK);
		REQUIRE(ki_ids_swap(t.ids, s2, &old) == 0);
		CHECK(old == t.s);
		ki_ids_stream(t.ids, &f, KN_TO_CLIENT, (const uint8_t *)"END", 3, &p);
		REQUIRE(t.rec.n == 1);
		CHECK_INT(t.rec.sid[0], 71);
		REQUIRE(ki_ids_swap(t.ids, t.s, &old) == 0);
		ki_set_free(s2);
	}
	ki_ids_flow_end(t.ids, &f);
	rt_free(&t);
}

/* Rules without a fast pattern are grouped by protocol and address
 * family, and those naming addresses are found through the address
 * table: each must still fire exactly where its header matches. */
TEST(ids_runtime_groups)
{
	struct rt t;
	struct kn_pkt p;
	struct kn_flow f;

	REQUIRE(rt_init(&t,
		"alert udp any any -> any any (dsize:>0; sid:80;)\n"
		"alert icmp any any -> any any (itype:8; sid:81;)\n"
		"alert tcp [10.0.0.1,2001:db8::1] any -> any any (sid:83;)\n"
		"alert tcp [2001:db8::2] any -> any any (sid:84;)\n"
		"alert udp any any -> any any (content:\"udponly\"; sid:85;)\n"
		"alert ip any any -> any any (content:\"anyproto\"; sid:86;)\n"
		"alert tcp any any <> [10.0.0.9] any (sid:87;)\n") == 0);
	flow_init(&f, 6, 10);
	pkt_init(&p, &f, "udponly anyproto");
	/* TCP from 10.0.0.1: the reputation rule and the any-protocol
	 * content, not the UDP ones. */
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 83);
	CHECK_INT(t.rec.sid[1], 86);
	/* The same as UDP. */
	t.rec.n = 0;
	p.proto = 17;
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 3);
	CHECK_INT(t.rec.sid[0], 80);
	CHECK_INT(t.rec.sid[1], 85);
	CHECK_INT(t.rec.sid[2], 86);
	/* TCP over IPv6 from the listed address; the IPv6-only rule does
	 * not fire for the other one. */
	t.rec.n = 0;
	p.proto = 6;
	p.ipv = 6;
	memset(&p.src, 0, sizeof p.src);
	p.src.family = 6;
	p.src.b[0] = 0x20;
	p.src.b[1] = 0x01;
	p.src.b[2] = 0x0d;
	p.src.b[3] = 0xb8;
	p.src.b[15] = 1;
	p.dst = p.src;
	p.dst.b[15] = 3;
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 83);
	CHECK_INT(t.rec.sid[1], 86);
	t.rec.n = 0;
	p.src.b[15] = 2;
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 84);
	CHECK_INT(t.rec.sid[1], 86);
	/* Both directions of a bidirectional rule, through the table. */
	t.rec.n = 0;
	pkt_init(&p, &f, "");
	addr4(&p.src, 9);
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	addr4(&p.src, 7);
	addr4(&p.dst, 9);
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	addr4(&p.dst, 8);
	ki_ids_packet(t.ids, NULL, KN_TO_SERVER, &p);
	REQUIRE(t.rec.n == 2);
	CHECK_INT(t.rec.sid[0], 87);
	CHECK_INT(t.rec.sid[1], 87);
	rt_free(&t);
}
