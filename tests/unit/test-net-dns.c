/* DNS messages: names, compression, answers, TCP framing. */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "net/app-int.h"
#include "unit.h"

/* A response to www.example.com A: the answer names point back at the
 * question (offset 12), the CNAME's target too. */
static const uint8_t resp[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
	/* 12: www.example.com A IN */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0x00, 0x01, 0x00, 0x01,
	/* CNAME -> cdn.(example.com at 16) */
	0xc0, 12, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06,
	3, 'c', 'd', 'n', 0xc0, 16,
	/* cdn.example.com (the CNAME's rdata at 45) A 192.0.2.7 */
	0xc0, 45, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
	192, 0, 2, 7,
	/* AAAA 2001:db8::7 */
	0xc0, 45, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x10,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
	/* MX 10 mail.(example.com) */
	0xc0, 16, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x09,
	0x00, 0x0a, 4, 'm', 'a', 'i', 'l', 0xc0, 16,
	/* TXT: kept without data */
	0xc0, 12, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x03,
	2, 'h', 'i',
};

TEST(net_dns_response_with_compression)
{
	struct kn_dns_msg *m = malloc(sizeof *m);

	REQUIRE(m != NULL);
	REQUIRE(kn_dns_parse(resp, sizeof resp, m) == KN_DNS_OK);
	CHECK_INT(m->id, 0x1234);
	CHECK_INT(m->response, 1);
	CHECK_INT(m->opcode, 0);
	CHECK_INT(m->rcode, 0);
	CHECK_STR(m->qname, "www.example.com");
	CHECK_INT(m->qtype, 1);
	CHECK_INT(m->qclass, 1);
	REQUIRE(m->nanswers == 5);
	CHECK_STR(m->answers[0].rrname, "www.example.com");
	CHECK_INT(m->answers[0].rrtype, 5);
	CHECK_INT(m->answers[0].ttl, 3600);
	CHECK_STR(m->answers[0].rdata, "cdn.example.com");
	CHECK_STR(m->answers[1].rrname, "cdn.example.com");
	CHECK_STR(m->answers[1].rdata, "192.0.2.7");
	CHECK_STR(m->answers[2].rdata, "2001:db8::7");
	CHECK_STR(m->answers[3].rrname, "example.com");
	CHECK_STR(m->answers[3].rdata, "mail.example.com");
	CHECK_INT(m->answers[4].rrtype, 16);
	CHECK_STR(m->answers[4].rdata, "");
	free(m);
}

TEST(net_dns_compression_loops_and_forward_pointers)
{
	struct kn_dns_msg *m = malloc(sizeof *m);
	uint8_t loop[] = {
		0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		/* 12: "a" then a pointer back to 12: a loop */
		1, 'a', 0xc0, 12, 0, 1, 0, 1,
	};
	uint8_t self[] = {
		0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		0xc0, 12, 0, 1, 0, 1,
	};
	uint8_t fwd[] = {
		0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		0xc0, 18, 0, 1, 0, 1, 1, 'b', 0,
	};
	/* A question fine, an answer whose name loops: partial. */
	uint8_t ans[] = {
		0, 1, 0x81, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		1, 'q', 0, 0, 1, 0, 1,
		1, 'x', 0xc0, 19, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4,
	};

	REQUIRE(m != NULL);
	CHECK_INT(kn_dns_parse(loop, sizeof loop, m), KN_DNS_BAD);
	CHECK_INT(kn_dns_parse(self, sizeof self, m), KN_DNS_BAD);
	CHECK_INT(kn_dns_parse(fwd, sizeof fwd, m), KN_DNS_BAD);
	CHECK_INT(kn_dns_parse(ans, sizeof ans, m), KN_DNS_PARTIAL);
	CHECK_STR(m->qname, "q");
	CHECK_INT(m->nanswers, 0);
	CHECK_INT(kn_dns_parse(ans, 11, m), KN_DNS_BAD);
	free(m);
}

TEST(net_dns_name_limits_and_escapes)
{
	struct kn_dns_msg *m = malloc(sizeof *m);
	uint8_t b[600];
	size_t n = 12;

	REQUIRE(m != NULL);
	memset(b, 0, 12);
	b[5] = 1;
	/* Escapes: a dot and a backslash in a label, a space, a control
	 * byte and a high byte. */
	{
		static const uint8_t q[] = { 7, 'a', '.', 'b', '\\', ' ', 1, 0xe9,
					     2, 'c', 'd', 0, 0, 1, 0, 1 };

		memcpy(b + n, q, sizeof q);
		REQUIRE(kn_dns_parse(b, n + sizeof q, m) == KN_DNS_OK);
		CHECK_STR(m->qname, "a\\.b\\\\\\032\\001\\233.cd");
	}
	/* The root. */
	b[12] = 0;
	b[13] = 0; b[14] = 2; b[15] = 0; b[16] = 1;
	REQUIRE(kn_dns_parse(b, 17, m) == KN_DNS_OK);
	CHECK_STR(m->qname, "");
	CHECK_INT(m->qtype, 2);
	/* 255 bytes on the wire at most: 4 labels of 63 (4 * 64 + 1 = 257)
	 * is too long, 3 of 63 and one of 61 (255) is fine. */
	for (int len61 = 0; len61 < 2; len61++) {
		n = 12;
		for (int i = 0; i < 4; i++) {
			int l = (i == 3 && len61) ? 61 : 63;

			b[n++] = (uint8_t)l;
			memset(b + n, 'x', (size_t)l);
			n += (size_t)l;
		}
		b[n++] = 0;
		b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
		CHECK_INT(kn_dns_parse(b, n, m), len61 ? KN_DNS_OK : KN_DNS_BAD);
	}
	CHECK_INT(strlen(m->qname), 63 * 3 + 61 + 3);
	/* 128 labels of one byte: too many. */
	n = 12;
	for (int i = 0; i < 128; i++) {
		b[n++] = 1;
		b[n++] = 'z';
	}
	b[n++] = 0;
	b[n++] = 0; b[n++] = 1; b[n++] = 0; b[n++] = 1;
	CHECK_INT(kn_dns_parse(b, n, m), KN_DNS_BAD);
	/* Extended label types are refused. */
	b[12] = 0x41;
	CHECK_INT(kn_dns_parse(b, n, m), KN_DNS_BAD);
	free(m);
}

TEST(net_dns_names_of_types_and_rcodes)
{
	CHECK_STR(kn_dns_type_name(1), "A");
	CHECK_STR(kn_dns_type_name(28), "AAAA");
	CHECK_STR(kn_dns_type_name(65), "HTTPS");
	CHECK_STR(kn_dns_type_name(255), "ANY");
	CHECK_STR(kn_dns_type_name(257), "CAA");
	CHECK(kn_dns_type_name(54) == NULL);
	CHECK(kn_dns_type_name(4000) == NULL);
	CHECK_STR(kn_dns_rcode_name(0), "NOERROR");
	CHECK_STR(kn_dns_rcode_name(3), "NXDOMAIN");
	CHECK(kn_dns_rcode_name(15) == NULL);
}

struct dlog {
	struct ks_buf b;
};

static void on_dns(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		   const struct kn_pkt *p)
{
	struct dlog *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "%s id=%u tcp=%d %s %s answers=%zu\n",
		      m->response ? "R" : "Q", m->id, m->tcp, m->qname,
		      kn_dns_type_name(m->qtype), m->nanswers);
}

static void on_anom(void *ctx, struct kn_flow *f, const char *app,
		    const char *ev, const struct kn_pkt *p)
{
	struct dlog *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "ANOM %s %s\n", app, ev);
}

TEST(net_dns_over_tcp_framing)
{
	static const uint8_t query[] = {
		0x00, 0x21, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o',
		'r', 'g', 0, 0x00, 0x1c, 0x00, 0x01,
	};
	uint8_t two[2 * sizeof query + 2 + sizeof resp];
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	struct dlog l;
	const char *want = "Q id=43981 tcp=1 www.example.org AAAA answers=0\n"
			   "Q id=43981 tcp=1 www.example.org AAAA answers=0\n";

	kn_app_defaults(&c);
	memset(&cb, 0, sizeof cb);
	cb.ctx = &l;
	cb.dns = on_dns;
	cb.anomaly = on_anom;
	memcpy(two, query, sizeof query);
	memcpy(two + sizeof query, query, sizeof query);
	/* Two messages in one segment, then every split of them. */
	for (size_t cut = 0; cut < 2 * sizeof query; cut++) {
		memset(&f, 0, sizeof f);
		f.proto = 6;
		f.sport = 53;
		ks_buf_init(&l.b, 4096);
		kn_app_stream(&c, &cb, &f, KN_TO_SERVER, two, cut, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_SERVER, two + cut,
			      2 * sizeof query - cut, NULL);
		CHECK_INT(f.app, KN_APP_DNS);
		if (strcmp((const char *)l.b.data, want) != 0)
			ut_fail(__FILE__, __LINE__, "cut %zu: %s", cut,
				(const char *)l.b.data);
		kn_app_free(f.app, f.app_state);
		ks_buf_free(&l.b);
	}
	/* The response, one message over two segments, and a malformed
	 * message after it that does not stop the next one. */
	memset(&f, 0, sizeof f);
	f.proto = 6;
	f.sport = 53;
	ks_buf_init(&l.b, 4096);
	{
		uint8_t hdr[2] = { 0, (uint8_t)sizeof resp };
		static const uint8_t bad[] = { 0x00, 0x03, 1, 2, 3 };

		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, hdr, 1, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, hdr + 1, 1, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, resp, 30, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, resp + 30,
			      sizeof resp - 30, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, bad, sizeof bad, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, hdr, 2, NULL);
		kn_app_stream(&c, &cb, &f, KN_TO_CLIENT, resp, sizeof resp, NULL);
	}
	CHECK_STR((const char *)l.b.data,
		  "R id=4660 tcp=1 www.example.com A answers=5\n"
		  "ANOM dns dns.malformed\n"
		  "R id=4660 tcp=1 www.example.com A answers=5\n");
	kn_app_free(f.app, f.app_state);
	ks_buf_free(&l.b);
}

TEST(net_dns_over_udp)
{
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	struct kn_pkt p;
	struct dlog l;

	kn_app_defaults(&c);
	memset(&cb, 0, sizeof cb);
	cb.ctx = &l;
	cb.dns = on_dns;
	cb.anomaly = on_anom;
	memset(&f, 0, sizeof f);
	f.proto = 17;
	f.cport = 53;                /* the response was seen first */
	f.sport = 40000;
	memset(&p, 0, sizeof p);
	p.payload = resp;
	p.payload_len = sizeof resp;
	ks_buf_init(&l.b, 4096);
	kn_app_udp(&c, &cb, &f, KN_TO_SERVER, &p);
	p.payload_len = 5;
	kn_app_udp(&c, &cb, &f, KN_TO_SERVER, &p);
	CHECK_INT(f.app, KN_APP_DNS);
	CHECK_STR((const char *)l.b.data,
		  "R id=4660 tcp=0 www.example.com A answers=5\n"
		  "ANOM dns dns.malformed\n");
	ks_buf_free(&l.b);
}
