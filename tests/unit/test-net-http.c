/* HTTP/1.x through the application layer, in every split of the bytes. */
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#include "core/buf.h"
#include "net/app-int.h"
#include "unit.h"

struct log {
	struct ks_buf b;
	char headers[512], names[256];
	struct ks_buf data[2];       /* the last request's and response's */
};

static void keep_data(struct ks_buf *to, struct kn_slice s)
{
	ks_buf_reset(to);
	ks_buf_append(to, s.p, s.n);
}

static void put(struct ks_buf *b, const char *k, struct kn_slice s)
{
	ks_buf_printf(b, " %s=[%.*s]", k, (int)s.n, s.p != NULL ? (const char *)s.p : "");
}

static void on_req(void *ctx, struct kn_flow *f, const struct kn_http_req *r,
		   const struct kn_pkt *p)
{
	struct log *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "REQ tx=%llu", (unsigned long long)r->tx_id);
	put(&l->b, "line", r->request_line);
	put(&l->b, "m", r->method);
	put(&l->b, "uri", r->uri);
	put(&l->b, "norm", r->uri_norm);
	put(&l->b, "proto", r->protocol);
	put(&l->b, "host", r->host);
	ks_buf_printf(&l->b, " port=%u", r->host_port);
	put(&l->b, "ua", r->user_agent);
	put(&l->b, "ref", r->referer);
	put(&l->b, "ct", r->content_type);
	put(&l->b, "cookie", r->cookie);
	ks_buf_printf(&l->b, " cl=%llu", (unsigned long long)r->content_length);
	put(&l->b, "body", r->body);
	ks_buf_printf(&l->b, " trunc=%d\n", r->body_truncated);
	keep_data(&l->data[0], r->data);
	snprintf(l->headers, sizeof l->headers, "%.*s", (int)r->headers.n,
		 (const char *)r->headers.p);
	snprintf(l->names, sizeof l->names, "%.*s", (int)r->header_names.n,
		 (const char *)r->header_names.p);
}

static void on_resp(void *ctx, struct kn_flow *f, const struct kn_http_req *q,
		    const struct kn_http_resp *r, const struct kn_pkt *p)
{
	struct log *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "RESP tx=%llu", (unsigned long long)r->tx_id);
	if (q != NULL)
		ks_buf_printf(&l->b, " req=%llu:%.*s",
			      (unsigned long long)q->tx_id, (int)q->uri.n,
			      (const char *)q->uri.p);
	else
		ks_buf_printf(&l->b, " req=-");
	ks_buf_printf(&l->b, " status=%d", r->status);
	put(&l->b, "line", r->status_line);
	put(&l->b, "ct", r->content_type);
	ks_buf_printf(&l->b, " cl=%llu", (unsigned long long)r->content_length);
	put(&l->b, "body", r->body);
	ks_buf_printf(&l->b, " trunc=%d\n", r->body_truncated);
	keep_data(&l->data[1], r->data);
}

static void on_anomaly(void *ctx, struct kn_flow *f, const char *app,
		       const char *event, const struct kn_pkt *p)
{
	struct log *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "ANOM %s %s\n", app, event);
}

struct conv {
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	struct log l;
};

static void conv_init(struct conv *v)
{
	memset(v, 0, sizeof *v);
	kn_app_defaults(&v->c);
	v->cb.ctx = &v->l;
	v->cb.http_request = on_req;
	v->cb.http_response = on_resp;
	v->cb.anomaly = on_anomaly;
	v->f.proto = 6;
	v->f.sport = 80;
	ks_buf_init(&v->l.b, 1 << 20);
	ks_buf_init(&v->l.data[0], KS_BUF_UNLIMITED);
	ks_buf_init(&v->l.data[1], KS_BUF_UNLIMITED);
}

static void conv_free(struct conv *v)
{
	kn_app_free(v->f.app, v->f.app_state);
	ks_buf_free(&v->l.b);
	ks_buf_free(&v->l.data[0]);
	ks_buf_free(&v->l.data[1]);
}

static void feed(struct conv *v, int dir, const char *s, size_t n)
{
	kn_app_stream(&v->c, &v->cb, &v->f, dir, (const uint8_t *)s, n, NULL);
}

static void feeds(struct conv *v, int dir, const char *s)
{
	feed(v, dir, s, strlen(s));
}

static const char *logs(struct conv *v)
{
	return v->l.b.data != NULL ? (const char *)v->l.b.data : "";
}

static const char cli_bytes[] =
	"GET /a/./b/../c?x=%41 HTTP/1.1\r\n"
	"Host: Example.com:8080\r\n"
	"User-Agent:   ua/1.0  \r\n"
	"Cookie: k=v\r\n"
	"\r\n"
	"POST /upload HTTP/1.1\r\n"
	"Host: example.com\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 11\r\n"
	"Referer: http://example.com/\r\n"
	"\r\n"
	"hello world"
	"\r\n"              /* an empty line between messages is ignored */
	"HEAD /h HTTP/1.1\nHost: example.com\n\n"
	"PUT /chunked HTTP/1.1\r\n"
	"Host: example.com\r\n"
	"Transfer-Encoding: chunked\r\n"
	"\r\n"
	"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";

static const char srv_bytes[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/html\r\n"
	"Transfer-Encoding: chunked\r\n"
	"\r\n"
	"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
	"HTTP/1.1 100 Continue\r\n\r\n"
	"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
	"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
	"HTTP/1.1 204 No Content\r\n\r\n";

static const char expect_log[] =
	"REQ tx=0 line=[GET /a/./b/../c?x=%41 HTTP/1.1] m=[GET]"
	" uri=[/a/./b/../c?x=%41] norm=[/a/c?x=A] proto=[HTTP/1.1]"
	" host=[Example.com] port=8080 ua=[ua/1.0] ref=[] ct=[] cookie=[k=v]"
	" cl=0 body=[] trunc=0\n"
	"REQ tx=1 line=[POST /upload HTTP/1.1] m=[POST] uri=[/upload]"
	" norm=[/upload] proto=[HTTP/1.1] host=[example.com] port=0 ua=[]"
	" ref=[http://example.com/] ct=[text/plain] cookie=[] cl=11"
	" body=[hello world] trunc=0\n"
	"REQ tx=2 line=[HEAD /h HTTP/1.1] m=[HEAD] uri=[/h] norm=[/h]"
	" proto=[HTTP/1.1] host=[example.com] port=0 ua=[] ref=[] ct=[]"
	" cookie=[] cl=0 body=[] trunc=0\n"
	"REQ tx=3 line=[PUT /chunked HTTP/1.1] m=[PUT] uri=[/chunked]"
	" norm=[/chunked] proto=[HTTP/1.1] host=[example.com] port=0 ua=[]"
	" ref=[] ct=[] cookie=[] cl=0 body=[hello world] trunc=0\n"
	"RESP tx=0 req=0:/a/./b/../c?x=%41 status=200 line=[HTTP/1.1 200 OK]"
	" ct=[text/html] cl=0 body=[abcdefg] trunc=0\n"
	"RESP tx=1 req=1:/upload status=201 line=[HTTP/1.1 201 Created] ct=[]"
	" cl=2 body=[ok] trunc=0\n"
	"RESP tx=2 req=2:/h status=200 line=[HTTP/1.1 200 OK] ct=[] cl=1000"
	" body=[] trunc=0\n"
	"RESP tx=3 req=3:/chunked status=204 line=[HTTP/1.1 204 No Content]"
	" ct=[] cl=0 body=[] trunc=0\n";

/* Feed the client's bytes cut at a and the server's cut at b (0: whole;
 * SIZE_MAX: byte by byte). */
static void run_split(struct conv *v, size_t a, size_t b)
{
	size_t cn = sizeof cli_bytes - 1, sn = sizeof srv_bytes - 1;

	conv_init(v);
	if (a == SIZE_MAX) {
		for (size_t i = 0; i < cn; i++)
			feed(v, KN_TO_SERVER, cli_bytes + i, 1);
	} else {
		feed(v, KN_TO_SERVER, cli_bytes, a);
		feed(v, KN_TO_SERVER, cli_bytes + a, cn - a);
	}
	if (b == SIZE_MAX) {
		for (size_t i = 0; i < sn; i++)
			feed(v, KN_TO_CLIENT, srv_bytes + i, 1);
	} else {
		feed(v, KN_TO_CLIENT, srv_bytes, b);
		feed(v, KN_TO_CLIENT, srv_bytes + b, sn - b);
	}
}

TEST(net_http_conversation_exact)
{
	struct conv v;

	run_split(&v, 0, 0);
	CHECK_INT(v.f.app, KN_APP_HTTP);
	CHECK_STR(logs(&v), expect_log);
	conv_free(&v);
}

TEST(net_http_every_split_gives_the_same_transactions)
{
	struct conv v;
	int bad = 0;

	run_split(&v, SIZE_MAX, SIZE_MAX);
	CHECK_STR(logs(&v), expect_log);
	conv_free(&v);
	for (size_t a = 1; a < sizeof cli_bytes - 1 && !bad; a++) {
		run_split(&v, a, 0);
		if (strcmp(logs(&v), expect_log) != 0) {
			ut_fail(__FILE__, __LINE__, "client split at %zu:\n%s", a,
				logs(&v));
			bad = 1;
		}
		conv_free(&v);
	}
	for (size_t b = 1; b < sizeof srv_bytes - 1 && !bad; b++) {
		run_split(&v, 0, b);
		if (strcmp(logs(&v), expect_log) != 0) {
			ut_fail(__FILE__, __LINE__, "server split at %zu:\n%s", b,
				logs(&v));
			bad = 1;
		}
		conv_free(&v);
	}
}

TEST(net_http_header_buffers)
{
	struct conv v;

	conv_init(&v);
	feeds(&v, KN_TO_SERVER,
	      "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nAccept:  */*\t\r\n\r\n");
	CHECK_STR(v.l.headers, "Host: a\r\nX-Empty: \r\nAccept: */*\r\n");
	CHECK_STR(v.l.names, "\r\nHost\r\nX-Empty\r\nAccept\r\n\r\n");
	conv_free(&v);
}

TEST(net_http_normalized_uris)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		/* RFC 3986 section 5.2.4's examples, and 5.4.2's. */
		{ "/a/b/c/./../../g", "/a/g" },
		{ "mid/content=5/../6", "mid/content=5/../6" },
		{ "/b/c/./g", "/b/c/g" },
		{ "/b/c/../g", "/b/g" },
		{ "/b/c/../..", "/" },
		{ "/b/c/../../../g", "/g" },
		{ "/b/c/g.", "/b/c/g." },
		{ "/b/c/.g", "/b/c/.g" },
		{ "/b/c/g..", "/b/c/g.." },
		{ "/b/c/..g", "/b/c/..g" },
		{ "/b/c/./../g", "/b/g" },
		{ "/b/c/./g/.", "/b/c/g/" },
		{ "/b/c/g/./h", "/b/c/g/h" },
		{ "/b/c/g/../h", "/b/c/h" },
		{ "/.", "/" },
		{ "/..", "/" },
		{ "/../../x", "/x" },
		{ "/", "/" },
		/* Percent-encodings: unreserved decoded, others upper case. */
		{ "/%7euser/%41%2fb", "/~user/A%2Fb" },
		{ "/%2E%2E/%2e/x", "/x" },
		{ "/a%2", "/a%2" },
		{ "/a%zz", "/a%zz" },
		{ "/%20%25", "/%20%25" },
		/* The query keeps its dots. */
		{ "/a/../b?c=/../d&%61=1", "/b?c=/../d&a=1" },
		/* Absolute form: scheme and authority as they are. */
		{ "http://Example.COM:80/a/./b/../c", "http://Example.COM:80/a/c" },
		{ "http://h?q=/./", "http://h?q=/./" },
		/* Asterisk and authority forms are not paths. */
		{ "*", "*" },
		{ "example.com:443", "example.com:443" },
	};
	struct ks_buf b;

	ks_buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ks_buf_reset(&b);
		REQUIRE(kn_http_normalize_uri((const uint8_t *)t[i].in,
					      strlen(t[i].in), &b) == KS_OK);
		CHECK_STR((const char *)b.data, t[i].out);
	}
	ks_buf_free(&b);
}

TEST(net_http_folding)
{
	struct conv v;

	/* Refused in a request (RFC 9112 section 5.2)... */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n"
				"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.obs_fold\n");
	conv_free(&v);
	/* ... unfolded in a response. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	ks_buf_reset(&v.l.b);
	feeds(&v, KN_TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Type: text/\r\n"
				"\t html\r\nContent-Length: 0\r\n\r\n");
	CHECK_STR(logs(&v), "RESP tx=0 req=0:/ status=200 line=[HTTP/1.1 200 OK]"
			    " ct=[text/ html] cl=0 body=[] trunc=0\n");
	conv_free(&v);
}

TEST(net_http_caps)
{
	struct conv v;

	conv_init(&v);
	v.c.max_header = 64;
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: "
				"0123456789012345678901234567890123456789\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.request_too_long\n");
	conv_free(&v);

	/* Bodies past max_body: kept up to it, the rest skipped, the next
	 * message found. */
	conv_init(&v);
	v.c.max_body = 4;
	feeds(&v, KN_TO_SERVER, "POST /p HTTP/1.1\r\nHost: a\r\n"
				"Content-Length: 11\r\n\r\nhell");
	CHECK_STR(logs(&v), "");
	feeds(&v, KN_TO_SERVER, "o world");
	feeds(&v, KN_TO_SERVER, "GET /g HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_STR(logs(&v),
		  "REQ tx=0 line=[POST /p HTTP/1.1] m=[POST] uri=[/p] norm=[/p]"
		  " proto=[HTTP/1.1] host=[a] port=0 ua=[] ref=[] ct=[] cookie=[]"
		  " cl=11 body=[hell] trunc=1\n"
		  "REQ tx=1 line=[GET /g HTTP/1.1] m=[GET] uri=[/g] norm=[/g]"
		  " proto=[HTTP/1.1] host=[a] port=0 ua=[] ref=[] ct=[] cookie=[]"
		  " cl=0 body=[] trunc=0\n");
	conv_free(&v);
}

TEST(net_http_gap_inside_a_body_is_skipped)
{
	struct conv v;

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST /p HTTP/1.1\r\nHost: a\r\n"
				"Content-Length: 10\r\n\r\nabc");
	kn_app_stream(&v.c, &v.cb, &v.f, KN_TO_SERVER, NULL, 4, NULL);
	feeds(&v, KN_TO_SERVER, "hij"
				"GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK(strstr(logs(&v), "uri=[/p]") != NULL);
	CHECK(strstr(logs(&v), "body=[abc] trunc=1") != NULL);
	CHECK(strstr(logs(&v), "REQ tx=1 line=[GET /after HTTP/1.1]") != NULL);
	conv_free(&v);

	/* A gap in a head: the direction stops, quietly (the flow table
	 * reported the gap). */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET /x HTTP/1.1\r\nHo");
	kn_app_stream(&v.c, &v.cb, &v.f, KN_TO_SERVER, NULL, 4, NULL);
	feeds(&v, KN_TO_SERVER, "GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_STR(logs(&v), "");
	conv_free(&v);
}

TEST(net_http_until_close_response_at_flow_end)
{
	struct conv v;

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.0\r\n\r\n");
	ks_buf_reset(&v.l.b);
	feeds(&v, KN_TO_CLIENT, "HTTP/1.0 200 OK\r\n\r\nbody ");
	feeds(&v, KN_TO_CLIENT, "bytes");
	CHECK_STR(logs(&v), "");
	kn_app_end(&v.c, &v.cb, &v.f, NULL);
	CHECK_STR(logs(&v), "RESP tx=0 req=0:/ status=200 line=[HTTP/1.0 200 OK]"
			    " ct=[] cl=0 body=[body bytes] trunc=0\n");
	conv_free(&v);
}

TEST(net_http_framing_anomalies)
{
	struct conv v;

	/* Both lengths: Transfer-Encoding wins, and it is reported. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
				"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
	CHECK(strstr(logs(&v), "ANOM http http.content_length_and_transfer_encoding\n") != NULL);
	CHECK(strstr(logs(&v), "body=[ab]") != NULL);
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
				"Content-Length: 4\r\n\r\nabcd");
	CHECK_STR(logs(&v), "ANOM http http.invalid_content_length\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST / HTTP/1.1\r\nHost: a\r\n"
				"Transfer-Encoding: chunked, gzip\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.invalid_transfer_encoding\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST / HTTP/1.1\r\nHost: a\r\n"
				"Transfer-Encoding: chunked\r\n\r\nzz\r\n");
	CHECK_STR(logs(&v), "ANOM http http.invalid_chunk\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "POST / HTTP/1.1\r\nHost: a\r\n"
				"Transfer-Encoding: chunked\r\n\r\n;1\r\n");
	CHECK_STR(logs(&v), "ANOM http http.invalid_chunk\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.header_invalid\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.bare_cr\n");
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET /a b HTTP/1.1\r\n\r\n");
	CHECK_STR(logs(&v), "ANOM http http.request_line_invalid\n");
	conv_free(&v);

	/* Reported, parsing goes on. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET / HTTP/1.1\r\n\r\n"
				"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"
				"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n");
	CHECK(strstr(logs(&v), "ANOM http http.missing_host\nREQ tx=0") != NULL);
	CHECK(strstr(logs(&v), "host=[[::1]] port=8080") != NULL);
	CHECK(strstr(logs(&v), "ANOM http http.host_invalid\nREQ tx=2") != NULL);
	conv_free(&v);
}

TEST(net_http_upgrade_and_connect_end_parsing)
{
	struct conv v;

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
	feeds(&v, KN_TO_CLIENT, "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello");
	feeds(&v, KN_TO_SERVER, "\x81\x85garbage that is not HTTP\r\n\r\n");
	CHECK(strstr(logs(&v), "RESP tx=0 req=0:/ws status=101") != NULL);
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	feeds(&v, KN_TO_CLIENT, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01");
	feeds(&v, KN_TO_SERVER, "\x16\x03\x01\x02\x00 tunnelled bytes");
	CHECK(strstr(logs(&v), "norm=[example.com:443]") != NULL);
	CHECK(strstr(logs(&v), "RESP tx=0 req=0:example.com:443 status=200") != NULL);
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);
}

TEST(net_app_recognition)
{
	struct conv v;

	/* The server speaks first: nothing we parse. */
	conv_init(&v);
	v.f.sport = 25;
	feeds(&v, KN_TO_CLIENT, "220 mail ESMTP\r\n");
	CHECK_INT(v.f.app, KN_APP_NONE);
	conv_free(&v);
	/* A method split over deliveries. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "PR");
	CHECK_INT(v.f.app, KN_APP_UNKNOWN);
	feeds(&v, KN_TO_SERVER, "OPFIND / HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_INT(v.f.app, KN_APP_HTTP);
	CHECK(strstr(logs(&v), "m=[PROPFIND]") != NULL);
	conv_free(&v);
	/* Not a method. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "GETX / HTTP/1.1\r\n");
	CHECK_INT(v.f.app, KN_APP_NONE);
	conv_free(&v);
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, "SSH-2.0-OpenSSH\r\n");
	CHECK_INT(v.f.app, KN_APP_NONE);
	conv_free(&v);
	/* TLS, and DNS by its port. */
	conv_init(&v);
	feed(&v, KN_TO_SERVER, "\x16\x03\x01\x00\x05\x01", 6);
	CHECK_INT(v.f.app, KN_APP_TLS);
	conv_free(&v);
	conv_init(&v);
	v.f.sport = 53;
	feed(&v, KN_TO_SERVER, "\x00", 1);
	CHECK_INT(v.f.app, KN_APP_DNS);
	conv_free(&v);
	CHECK_STR(kn_app_name(KN_APP_HTTP), "http");
	CHECK_STR(kn_app_name(KN_APP_TLS), "tls");
	CHECK_STR(kn_app_name(KN_APP_DNS), "dns");
	CHECK_STR(kn_app_name(KN_APP_NONE), "");
}

/* Each response below answers one of these. */
static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

TEST(net_http_lenient_chunk_sizes)
{
	/* The leading hex digits are the size; what follows is ignored. */
	static const char body[] =
		"3x\r\nabc\r\n"
		"2\0junk\r\nde\r\n"
		" 1 ; ext\r\nf\r\n"
		"\v\f1\r\ng\r\n"
		"0g\r\n\r\n";
	static const char head[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct conv v;

	conv_init(&v);
	feeds(&v, KN_TO_SERVER, get);
	feeds(&v, KN_TO_CLIENT, head);
	feed(&v, KN_TO_CLIENT, body, sizeof body - 1);
	CHECK(strstr(logs(&v), "status=200") != NULL);
	CHECK(strstr(logs(&v), "body=[abcdefg] trunc=0\n") != NULL);
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);
}

/* ---- content codings ---- */

enum { GZ = 31, ZL = 15, RAW = -15 };

/* Compress n bytes of p in the given format into out; Z_FULL_FLUSH
 * leaves the stream open, at a byte boundary. */
static void zip_(struct ks_buf *out, int bits, const void *p, size_t n,
		 int flush)
{
	z_stream z;
	uint8_t tmp[4096];
	int rc;

	memset(&z, 0, sizeof z);
	REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, bits, 9,
			     Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof tmp;
		rc = deflate(&z, flush);
		ks_buf_append(out, tmp, sizeof tmp - z.avail_out);
	} while (rc == Z_OK && z.avail_out == 0);
	REQUIRE(rc == (flush == Z_FINISH ? Z_STREAM_END : Z_OK));
	deflateEnd(&z);
}

static void zip(struct ks_buf *out, int bits, const void *p, size_t n)
{
	zip_(out, bits, p, n, Z_FINISH);
}

static const char text[] =
	"<html><body>The quick brown fox jumps over the lazy dog; "
	"the quick brown fox jumps over the lazy dog again.</body></html>";

/* A response with the coded body, fed in pieces of `step` bytes
 * (0: whole), chunked when asked. */
static void coded_resp(struct conv *v, const char *ce, const struct ks_buf *z,
		       size_t step, int chunked)
{
	struct ks_buf m;

	ks_buf_init(&m, KS_BUF_UNLIMITED);
	feeds(v, KN_TO_SERVER, get);
	if (chunked) {
		size_t half = z->len / 2;

		ks_buf_printf(&m, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n", ce);
		ks_buf_printf(&m, "%zx\r\n", half);
		ks_buf_append(&m, z->data, half);
		ks_buf_printf(&m, "\r\n%zx\r\n", z->len - half);
		ks_buf_append(&m, z->data + half, z->len - half);
		ks_buf_printf(&m, "\r\n0\r\n\r\n");
	} else {
		ks_buf_printf(&m, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
			      "Content-Length: %zu\r\n\r\n", ce, z->len);
		ks_buf_append(&m, z->data, z->len);
	}
	if (step == 0)
		step = m.len;
	for (size_t i = 0; i < m.len; i += step)
		feed(v, KN_TO_CLIENT, (const char *)m.data + i,
		     m.len - i < step ? m.len - i : step);
	ks_buf_free(&m);
}

static int data_is(const struct ks_buf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

TEST(net_http_gzip_and_deflate_bodies_are_decoded)
{
	static const struct { int bits; const char *ce; } k[] = {
		{ GZ, "gzip" }, { GZ, "x-gzip" }, { ZL, "deflate" },
		{ RAW, "deflate" }, { GZ, "deflate" }, { RAW, "gzip" },
		{ ZL, "identity, Deflate" },
	};

	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		struct ks_buf z;
		struct conv v;

		ks_buf_init(&z, KS_BUF_UNLIMITED);
		zip(&z, k[i].bits, text, sizeof text - 1);
		conv_init(&v);
		coded_resp(&v, k[i].ce, &z, 0, 0);
		CHECK(strstr(logs(&v), "status=200") != NULL);
		CHECK(strstr(logs(&v), "ANOM") == NULL);
		CHECK(data_is(&v.l.data[1], text, sizeof text - 1));
		/* The body on the wire is kept as it was. */
		CHECK(strstr(logs(&v), "trunc=0") != NULL);
		conv_free(&v);
		ks_buf_free(&z);
	}
}

TEST(net_http_coded_body_split_over_segments)
{
	struct ks_buf z;
	static const size_t steps[] = { 1, 2, 3, 7, 64 };

	ks_buf_init(&z, KS_BUF_UNLIMITED);
	zip(&z, GZ, text, sizeof text - 1);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		for (int chunked = 0; chunked < 2; chunked++) {
			struct conv v;

			conv_init(&v);
			coded_resp(&v, "gzip", &z, steps[i], chunked);
			CHECK(data_is(&v.l.data[1], text, sizeof text - 1));
			CHECK(strstr(logs(&v), "ANOM") == NULL);
			conv_free(&v);
		}
	}
	ks_buf_free(&z);
}

TEST(net_http_coded_request_body)
{
	static const char plain[] =
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok";
	struct ks_buf z, m;
	struct conv v;

	ks_buf_init(&z, KS_BUF_UNLIMITED);
	ks_buf_init(&m, KS_BUF_UNLIMITED);
	zip(&z, ZL, text, sizeof text - 1);
	ks_buf_printf(&m, "POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: "
		      "deflate\r\nContent-Length: %zu\r\n\r\n", z.len);
	ks_buf_append(&m, z.data, z.len);
	/* The next request on the connection is plain. */
	ks_buf_puts(&m, plain);
	conv_init(&v);
	for (size_t i = 0; i < m.len; i += 5)
		feed(&v, KN_TO_SERVER, (const char *)m.data + i,
		     m.len - i < 5 ? m.len - i : 5);
	CHECK(strstr(logs(&v), "REQ tx=1") != NULL);
	CHECK(data_is(&v.l.data[0], "ok", 2));
	conv_free(&v);
	conv_init(&v);
	feed(&v, KN_TO_SERVER, (const char *)m.data, m.len - strlen(plain));
	CHECK(data_is(&v.l.data[0], text, sizeof text - 1));
	conv_free(&v);
	ks_buf_free(&z);
	ks_buf_free(&m);
}

TEST(net_http_corrupt_coded_body_keeps_what_inflated)
{
	static char big[8192];
	struct ks_buf z, m;
	struct conv v;
	uint32_t x = 1;

	/* Letters that do not compress much, so that half the stream is
	 * about half the text. */
	for (size_t i = 0; i < sizeof big; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)('a' + (x >> 16) % 26);
	}
	ks_buf_init(&z, KS_BUF_UNLIMITED);
	ks_buf_init(&m, KS_BUF_UNLIMITED);
	/* Half the text, then a block of the reserved type 3 (RFC 1951
	 * section 3.2.3), then more. */
	zip_(&z, GZ, big, sizeof big / 2, Z_FULL_FLUSH);
	ks_buf_append(&z, "\x07garbage", 8);
	conv_init(&v);
	coded_resp(&v, "gzip", &z, 100, 0);
	CHECK(strstr(logs(&v), "ANOM http http.decompression_failed\n") != NULL);
	/* Inflated up to the damage. */
	CHECK(data_is(&v.l.data[1], big, sizeof big / 2));
	/* The flow goes on. */
	feeds(&v, KN_TO_SERVER, get);
	feeds(&v, KN_TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	CHECK(data_is(&v.l.data[1], "ok", 2));
	conv_free(&v);

	/* A coding too many in the header: that layer passes its bytes on. */
	ks_buf_reset(&z);
	zip(&z, GZ, big, sizeof big);
	conv_init(&v);
	coded_resp(&v, "gzip, gzip", &z, 10, 0);
	CHECK(data_is(&v.l.data[1], big, sizeof big));
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);

	/* Not compressed at all: passed through as it is. */
	conv_init(&v);
	feeds(&v, KN_TO_SERVER, get);
	feeds(&v, KN_TO_CLIENT, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				"Content-Length: 11\r\n\r\nhello world");
	CHECK(data_is(&v.l.data[1], "hello world", 11));
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);
	ks_buf_free(&z);
	ks_buf_free(&m);
}

TEST(net_http_coded_body_caps)
{
	size_t n = 4u << 20;
	char *zeros = calloc(1, n);
	struct ks_buf z1, z2;
	struct conv v;

	REQUIRE(zeros != NULL);
	ks_buf_init(&z1, KS_BUF_UNLIMITED);
	ks_buf_init(&z2, KS_BUF_UNLIMITED);
	zip(&z1, GZ, zeros, n);
	zip(&z2, GZ, z1.data, z1.len);

	/* The decoded bytes kept stop at max_body. */
	conv_init(&v);
	v.c.max_body = 1000;
	coded_resp(&v, "gzip", &z1, 0, 0);
	CHECK(data_is(&v.l.data[1], zeros, 1000));
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);

	/* One layer of zeros (about 1000 to 1) is not a bomb. */
	conv_init(&v);
	v.c.max_body = 8u << 20;
	coded_resp(&v, "gzip", &z1, 0, 0);
	CHECK(data_is(&v.l.data[1], zeros, n));
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);

	/* Two layers: the ratio stops inflating. */
	conv_init(&v);
	v.c.max_body = 8u << 20;
	coded_resp(&v, "gzip, gzip", &z2, 0, 0);
	CHECK(strstr(logs(&v), "ANOM http http.decompression_bomb\n") != NULL);
	CHECK(v.l.data[1].len > 0 && v.l.data[1].len < (1u << 20));
	CHECK(v.l.data[1].len > 0 &&
	      memcmp(v.l.data[1].data, zeros, v.l.data[1].len) == 0);
	conv_free(&v);

	/* The same two layers within the ratio are both undone. */
	conv_init(&v);
	v.c.max_body = 100000;
	coded_resp(&v, "gzip,gzip", &z2, 0, 0);
	CHECK(data_is(&v.l.data[1], zeros, 100000));
	CHECK(strstr(logs(&v), "ANOM") == NULL);
	conv_free(&v);
	free(zeros);
	ks_buf_free(&z1);
	ks_buf_free(&z2);
}

TEST(net_http_at_most_three_codings_are_undone)
{
	struct ks_buf z[4];
	struct conv v;

	for (int i = 0; i < 4; i++)
		ks_buf_init(&z[i], KS_BUF_UNLIMITED);
	zip(&z[0], GZ, text, sizeof text - 1);
	zip(&z[1], RAW, z[0].data, z[0].len);
	zip(&z[2], ZL, z[1].data, z[1].len);
	zip(&z[3], GZ, z[2].data, z[2].len);

	conv_init(&v);
	coded_resp(&v, "gzip, deflate;q=1, x-gzip", &z[2], 3, 0);
	CHECK(data_is(&v.l.data[1], text, sizeof text - 1));
	conv_free(&v);

	/* A fourth layer is left as it is: one gzip stream comes out. */
	conv_init(&v);
	coded_resp(&v, "gzip, gzip, gzip, gzip", &z[3], 0, 0);
	CHECK(data_is(&v.l.data[1], z[0].data, z[0].len));
	conv_free(&v);
	for (int i = 0; i < 4; i++)
		ks_buf_free(&z[i]);
}
