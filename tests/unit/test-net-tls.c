/* TLS: the ClientHello over segments and records, the server certificate. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "net/app-int.h"
#include "unit.h"

struct tlog {
	struct ks_buf b;
};

static void on_hello(void *ctx, struct kn_flow *f, const struct kn_tls_hello *h,
		     const struct kn_pkt *p)
{
	struct tlog *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "HELLO rec=%04x hello=%04x sni=%d:%.*s max=%04x alpn=",
		      h->record_version, h->hello_version, h->has_sni,
		      (int)h->sni.n, (const char *)h->sni.p, h->supported_max);
	for (size_t i = 0; i < h->nalpn; i++)
		ks_buf_printf(&l->b, "%s%.*s", i ? "," : "", (int)h->alpn[i].n,
			      (const char *)h->alpn[i].p);
	ks_buf_putc(&l->b, '\n');
}

static void on_cert(void *ctx, struct kn_flow *f, const struct kn_tls_cert *c,
		    const struct kn_pkt *p)
{
	struct tlog *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "CERT subject=%s|issuer=%s|serial=%s|%lld|%lld|%zu\n",
		      c->subject, c->issuer, c->serial,
		      (long long)c->not_before.sec, (long long)c->not_after.sec,
		      c->der.n);
}

static void on_anom(void *ctx, struct kn_flow *f, const char *app,
		    const char *ev, const struct kn_pkt *p)
{
	struct tlog *l = ctx;

	(void)f;
	(void)p;
	ks_buf_printf(&l->b, "ANOM %s %s\n", app, ev);
}

struct tconv {
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	struct tlog l;
};

static void tc_init(struct tconv *t)
{
	memset(t, 0, sizeof *t);
	kn_app_defaults(&t->c);
	t->cb.ctx = &t->l;
	t->cb.tls_hello = on_hello;
	t->cb.tls_cert = on_cert;
	t->cb.anomaly = on_anom;
	t->f.proto = 6;
	t->f.sport = 443;
	ks_buf_init(&t->l.b, 1 << 16);
}

static const char *tc_log(struct tconv *t)
{
	return t->l.b.data != NULL ? (const char *)t->l.b.data : "";
}

static void tc_free(struct tconv *t)
{
	kn_app_free(t->f.app, t->f.app_state);
	ks_buf_free(&t->l.b);
}

static void tc_feed(struct tconv *t, int dir, const uint8_t *b, size_t n)
{
	kn_app_stream(&t->c, &t->cb, &t->f, dir, b, n, NULL);
}

static void put16(struct ks_buf *b, unsigned v)
{
	ks_buf_putc(b, (int)(v >> 8 & 0xff));
	ks_buf_putc(b, (int)(v & 0xff));
}

static void put24(struct ks_buf *b, size_t v)
{
	ks_buf_putc(b, (int)(v >> 16 & 0xff));
	put16(b, (unsigned)(v & 0xffff));
}

/* A ClientHello handshake message (type, length, body). */
static void client_hello(struct ks_buf *hs)
{
	struct ks_buf body, ext;
	static const char sni[] = "example.com";

	ks_buf_init(&body, 4096);
	ks_buf_init(&ext, 4096);
	put16(&body, 0x0303);
	for (int i = 0; i < 32; i++)
		ks_buf_putc(&body, i);                   /* random */
	ks_buf_putc(&body, 32);
	for (int i = 0; i < 32; i++)
		ks_buf_putc(&body, 0xa0 + i);            /* session id */
	put16(&body, 4);
	put16(&body, 0x1301);
	put16(&body, 0x1302);
	ks_buf_putc(&body, 1);
	ks_buf_putc(&body, 0);
	/* GREASE, server_name, ALPN, supported_versions. */
	put16(&ext, 0x2a2a);
	put16(&ext, 0);
	put16(&ext, 0);
	put16(&ext, (unsigned)(2 + 3 + strlen(sni)));
	put16(&ext, (unsigned)(3 + strlen(sni)));
	ks_buf_putc(&ext, 0);
	put16(&ext, (unsigned)strlen(sni));
	ks_buf_puts(&ext, sni);
	put16(&ext, 16);
	put16(&ext, 14);
	put16(&ext, 12);
	ks_buf_putc(&ext, 2);
	ks_buf_puts(&ext, "h2");
	ks_buf_putc(&ext, 8);
	ks_buf_puts(&ext, "http/1.1");
	put16(&ext, 43);
	put16(&ext, 7);
	ks_buf_putc(&ext, 6);
	put16(&ext, 0x0a0a);
	put16(&ext, 0x0304);
	put16(&ext, 0x0303);
	put16(&body, (unsigned)ext.len);
	ks_buf_append(&body, ext.data, ext.len);
	ks_buf_putc(hs, 1);
	put24(hs, body.len);
	ks_buf_append(hs, body.data, body.len);
	ks_buf_free(&body);
	ks_buf_free(&ext);
}

/* Wrap handshake bytes into records of at most `max` bytes each. */
static void records(struct ks_buf *out, const uint8_t *hs, size_t n,
		    size_t max, unsigned version)
{
	while (n > 0) {
		size_t l = n < max ? n : max;

		ks_buf_putc(out, 22);
		put16(out, version);
		put16(out, (unsigned)l);
		ks_buf_append(out, hs, l);
		hs += l;
		n -= l;
	}
}

static const char want_hello[] =
	"HELLO rec=0301 hello=0303 sni=1:example.com max=0304 alpn=h2,http/1.1\n";

TEST(net_tls_client_hello_in_two_segments)
{
	struct ks_buf hs, rec;
	struct tconv t;

	ks_buf_init(&hs, 8192);
	ks_buf_init(&rec, 8192);
	client_hello(&hs);
	records(&rec, hs.data, hs.len, 16384, 0x0301);
	for (size_t cut = 1; cut < rec.len; cut++) {
		tc_init(&t);
		tc_feed(&t, KN_TO_SERVER, rec.data, cut);
		tc_feed(&t, KN_TO_SERVER, rec.data + cut, rec.len - cut);
		CHECK_INT(t.f.app, KN_APP_TLS);
		if (strcmp(tc_log(&t), want_hello) != 0)
			ut_fail(__FILE__, __LINE__, "cut %zu: %s", cut, tc_log(&t));
		tc_free(&t);
	}
	ks_buf_free(&hs);
	ks_buf_free(&rec);
}

TEST(net_tls_client_hello_across_records)
{
	struct ks_buf hs, rec;
	struct tconv t;

	ks_buf_init(&hs, 8192);
	ks_buf_init(&rec, 8192);
	client_hello(&hs);
	/* Two records split the handshake message at every place. */
	for (size_t cut = 1; cut < hs.len; cut++) {
		ks_buf_reset(&rec);
		records(&rec, hs.data, cut, 16384, 0x0301);
		records(&rec, hs.data + cut, hs.len - cut, 16384, 0x0301);
		tc_init(&t);
		tc_feed(&t, KN_TO_SERVER, rec.data, rec.len);
		if (strcmp(tc_log(&t), want_hello) != 0)
			ut_fail(__FILE__, __LINE__, "cut %zu: %s", cut, tc_log(&t));
		tc_free(&t);
	}
	/* Records of 7 bytes fed one byte at a time. */
	ks_buf_reset(&rec);
	records(&rec, hs.data, hs.len, 7, 0x0301);
	tc_init(&t);
	for (size_t i = 0; i < rec.len; i++)
		tc_feed(&t, KN_TO_SERVER, rec.data + i, 1);
	CHECK_STR(tc_log(&t), want_hello);
	tc_free(&t);
	ks_buf_free(&hs);
	ks_buf_free(&rec);
}

TEST(net_tls_client_hello_errors)
{
	struct ks_buf hs, rec;
	struct tconv t;

	ks_buf_init(&hs, 8192);
	ks_buf_init(&rec, 8192);
	client_hello(&hs);
	/* A cipher suite list of odd length. */
	hs.data[4 + 2 + 32 + 1 + 32 + 1] = 3;
	records(&rec, hs.data, hs.len, 16384, 0x0301);
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, rec.data, rec.len);
	CHECK_STR(tc_log(&t), "ANOM tls tls.invalid_handshake\n");
	tc_free(&t);
	/* An application data record before the hello. */
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, (const uint8_t *)"\x16\x03\x01\x00\x04\x01\x00\x00\x10"
			      "\x17\x03\x03\x00\x01x", 15);
	CHECK_STR(tc_log(&t), "ANOM tls tls.invalid_record\n");
	tc_free(&t);
	/* A record longer than TLS allows. */
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, (const uint8_t *)"\x16\x03\x01\x48\x01\x01", 6);
	CHECK_STR(tc_log(&t), "ANOM tls tls.invalid_record\n");
	tc_free(&t);
	ks_buf_free(&hs);
	ks_buf_free(&rec);
}

/* A self-signed certificate made here, its DER in *der. */
static size_t make_cert(uint8_t **der)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	int len;

	if (k == NULL || x == NULL)
		return 0;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234ab);
	ASN1_TIME_set(X509_getm_notBefore(x), 1700000000);
	ASN1_TIME_set(X509_getm_notAfter(x), 1800000000);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
				   (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"Example, Inc.", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"test.example", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	*der = NULL;
	len = i2d_X509(x, der);
	X509_free(x);
	EVP_PKEY_free(k);
	return len > 0 ? (size_t)len : 0;
}

/* ServerHello (TLS 1.2, or 1.3 through supported_versions), Certificate,
 * ServerHelloDone. */
static void server_flight(struct ks_buf *hs, const uint8_t *der, size_t n,
			  int v13)
{
	ks_buf_putc(hs, 2);
	put24(hs, 2 + 32 + 1 + 2 + 1 + (v13 ? 2 + 6 : 0));
	put16(hs, 0x0303);
	for (int i = 0; i < 32; i++)
		ks_buf_putc(hs, 0x55);
	ks_buf_putc(hs, 0);
	put16(hs, 0xc02f);
	ks_buf_putc(hs, 0);
	if (v13) {
		put16(hs, 6);
		put16(hs, 43);
		put16(hs, 2);
		put16(hs, 0x0304);
	}
	ks_buf_putc(hs, 11);
	put24(hs, 3 + 3 + n);
	put24(hs, 3 + n);
	put24(hs, n);
	ks_buf_append(hs, der, n);
	ks_buf_putc(hs, 14);
	put24(hs, 0);
}

TEST(net_tls_server_certificate)
{
	uint8_t *der = NULL;
	size_t n = make_cert(&der);
	struct ks_buf hs, rec, ch, chrec;
	struct tconv t;
	char want[512];

	REQUIRE(n > 0);
	ks_buf_init(&hs, 1 << 16);
	ks_buf_init(&rec, 1 << 16);
	ks_buf_init(&ch, 8192);
	ks_buf_init(&chrec, 8192);
	client_hello(&ch);
	records(&chrec, ch.data, ch.len, 16384, 0x0301);
	server_flight(&hs, der, n, 0);
	/* Records of 100 bytes, fed in pieces of 37. */
	records(&rec, hs.data, hs.len, 100, 0x0303);
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, chrec.data, chrec.len);
	for (size_t i = 0; i < rec.len; i += 37)
		tc_feed(&t, KN_TO_CLIENT, rec.data + i,
			rec.len - i < 37 ? rec.len - i : 37);
	snprintf(want, sizeof want, "%sCERT subject=C=US, O=Example\\, Inc., "
		 "CN=test.example|issuer=C=US, O=Example\\, Inc., CN=test.example"
		 "|serial=12:34:AB|1700000000|1800000000|%zu\n", want_hello, n);
	CHECK_STR(tc_log(&t), want);
	tc_free(&t);

	/* TLS 1.3: the certificate would be encrypted; nothing is read. */
	ks_buf_reset(&hs);
	ks_buf_reset(&rec);
	server_flight(&hs, der, n, 1);
	records(&rec, hs.data, hs.len, 16384, 0x0303);
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, chrec.data, chrec.len);
	tc_feed(&t, KN_TO_CLIENT, rec.data, rec.len);
	CHECK_STR(tc_log(&t), want_hello);
	tc_free(&t);

	/* A certificate that is not DER. */
	ks_buf_reset(&hs);
	ks_buf_reset(&rec);
	der[0] ^= 0xff;
	server_flight(&hs, der, n, 0);
	records(&rec, hs.data, hs.len, 16384, 0x0303);
	tc_init(&t);
	tc_feed(&t, KN_TO_SERVER, chrec.data, chrec.len);
	tc_feed(&t, KN_TO_CLIENT, rec.data, rec.len);
	CHECK(strstr(tc_log(&t), "ANOM tls tls.invalid_certificate\n") != NULL);
	tc_free(&t);

	OPENSSL_free(der);
	ks_buf_free(&hs);
	ks_buf_free(&rec);
	ks_buf_free(&ch);
	ks_buf_free(&chrec);
}
