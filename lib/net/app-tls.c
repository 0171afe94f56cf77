/*
 * TLS handshakes in the clear: the client's ClientHello (RFC 8446 section
 * 4.1.2; RFC 5246 section 7.4.1.2 for older versions) and, up to TLS 1.2,
 * the server's first certificate (RFC 5246 section 7.4.2).
 *
 * Each direction is read as TLS records (RFC 8446 section 5.1: type,
 * version, 16-bit length, at most 2^14 + 2048 bytes); the fragments of
 * handshake records are joined into one buffer, capped at TLS_MAX_HS, so
 * that a handshake message split over records, segments or both is read
 * whole.  Extensions read from the ClientHello: server_name (RFC 6066
 * section 3, the first host_name), application_layer_protocol_negotiation
 * (RFC 7301) and supported_versions (RFC 8446 section 4.2.1; GREASE values,
 * RFC 8701, are left out of the maximum).  On the server's side the
 * ServerHello says whether TLS 1.3 was chosen (then the certificate is
 * encrypted and nothing more is read); otherwise the Certificate message's
 * first certificate is decoded with OpenSSL once its bytes are there,
 * without waiting for the rest of the chain.  After that, and after any
 * record that ends the clear part of the handshake, a direction is done
 * and its bytes are skipped.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "core/breader.h"
#include "net/app-int.h"

#define TLS_MAX_RECORD (16384 + 2048)
#define TLS_MAX_HS 65536

enum { T_HEADER, T_BODY, T_DONE };

struct tls_dir {
	int st;
	uint8_t hdr[5];
	size_t nhdr;
	uint8_t type;
	size_t left;                 /* bytes of the record's body to come */
	uint16_t first_version;      /* of the first record */
	int nrecords;
	struct ks_buf hs;
};

struct kn_tls {
	struct tls_dir d[2];
	int stopped;
};

struct kn_tls *kn_tls_new(void)
{
	struct kn_tls *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	ks_buf_init(&t->d[0].hs, TLS_MAX_HS);
	ks_buf_init(&t->d[1].hs, TLS_MAX_HS);
	return t;
}

void kn_tls_free(struct kn_tls *t)
{
	if (t == NULL)
		return;
	ks_buf_free(&t->d[0].hs);
	ks_buf_free(&t->d[1].hs);
	free(t);
}

static void stop(struct kn_tls *t, const struct kn_app_env *e,
		 const char *event)
{
	kn_app_report(e, "tls", event);
	t->stopped = 1;
}

static void dir_done(struct tls_dir *d)
{
	d->st = T_DONE;
	ks_buf_free(&d->hs);
}

static int grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The body of a ClientHello; -1 when it breaks the grammar. */
static int parse_client_hello(const uint8_t *b, size_t n, struct kn_tls_hello *h)
{
	struct ks_br r, ex;
	size_t l;

	ks_br_init(&r, b, n);
	h->hello_version = ks_br_u16be(&r);
	ks_br_skip(&r, 32);                  /* random */
	l = ks_br_u8(&r);                    /* legacy_session_id <0..32> */
	if (l > 32)
		return -1;
	ks_br_skip(&r, l);
	l = ks_br_u16be(&r);                 /* cipher_suites <2..2^16-2> */
	if (l < 2 || l % 2 != 0)
		ks_br_invalid(&r);
	ks_br_skip(&r, l);
	l = ks_br_u8(&r);                    /* compression <1..2^8-1> */
	if (l < 1)
		ks_br_invalid(&r);
	ks_br_skip(&r, l);
	if (ks_br_fault(&r) != KS_BR_OK)
		return -1;
	if (ks_br_left(&r) == 0)
		return 0;                    /* no extensions (before TLS 1.3) */
	l = ks_br_u16be(&r);
	ex = ks_br_sub(&r, l);
	if (ks_br_fault(&r) != KS_BR_OK || ks_br_left(&r) != 0)
		return -1;
	while (ks_br_left(&ex) > 0) {
		uint16_t type = ks_br_u16be(&ex);
		struct ks_br e = ks_br_sub(&ex, ks_br_u16be(&ex));

		if (ks_br_fault(&ex) != KS_BR_OK)
			return -1;
		if (type == 0 && !h->has_sni) {
			/* server_name: ServerNameList <1..2^16-1>. */
			struct ks_br list = ks_br_sub(&e, ks_br_u16be(&e));

			while (ks_br_left(&list) > 0) {
				uint8_t nt = ks_br_u8(&list);
				size_t nl = ks_br_u16be(&list);
				const uint8_t *name = ks_br_ptr(&list, nl);

				if (name == NULL || nl == 0)
					return -1;
				if (nt == 0 && !h->has_sni) {
					h->sni.p = name;
					h->sni.n = nl;
					h->has_sni = 1;
				}
			}
			if (ks_br_fault(&list) != KS_BR_OK)
				return -1;
		} else if (type == 16 && h->nalpn == 0) {
			/* ALPN: ProtocolNameList <2..2^16-1>. */
			struct ks_br list = ks_br_sub(&e, ks_br_u16be(&e));

			while (ks_br_left(&list) > 0) {
				size_t pl = ks_br_u8(&list);
				const uint8_t *pn = ks_br_ptr(&list, pl);

				if (pn == NULL || pl == 0)
					return -1;
				if (h->nalpn < sizeof h->alpn / sizeof h->alpn[0]) {
					h->alpn[h->nalpn].p = pn;
					h->alpn[h->nalpn].n = pl;
					h->nalpn++;
				}
			}
			if (ks_br_fault(&list) != KS_BR_OK)
				return -1;
		} else if (type == 43) {
			/* supported_versions: ProtocolVersion <2..254>. */
			size_t vl = ks_br_u8(&e);

			if (vl < 2 || vl % 2 != 0)
				return -1;
			for (size_t i = 0; i < vl / 2; i++) {
				uint16_t v = ks_br_u16be(&e);

				if (!grease(v) && v > h->supported_max)
					h->supported_max = v;
			}
			if (ks_br_fault(&e) != KS_BR_OK)
				return -1;
		}
	}
	return ks_br_fault(&ex) == KS_BR_OK ? 0 : -1;
}

/* 1 when a ServerHello chose TLS 1.3 (its supported_versions extension,
 * RFC 8446 section 4.2.1), 0 when not, -1 when it is malformed. */
static int server_hello_13(const uint8_t *b, size_t n)
{
	struct ks_br r, ex;
	size_t l;

	ks_br_init(&r, b, n);
	ks_br_skip(&r, 2 + 32);
	l = ks_br_u8(&r);
	ks_br_skip(&r, l);
	ks_br_skip(&r, 2 + 1);               /* cipher suite, compression */
	if (ks_br_fault(&r) != KS_BR_OK)
		return -1;
	if (ks_br_left(&r) == 0)
		return 0;
	ex = ks_br_sub(&r, ks_br_u16be(&r));
	while (ks_br_left(&ex) > 0) {
		uint16_t type = ks_br_u16be(&ex);
		struct ks_br e = ks_br_sub(&ex, ks_br_u16be(&ex));

		if (type == 43)
			return ks_br_u16be(&e) == 0x0304;
	}
	return ks_br_fault(&ex) == KS_BR_OK && ks_br_fault(&r) == KS_BR_OK ?
	       0 : -1;
}

static void time_of(const ASN1_TIME *a, struct ks_time *t)
{
	struct tm tm;

	t->sec = 0;
	t->usec = 0;
	if (a != NULL && ASN1_TIME_to_tm(a, &tm) == 1)
		t->sec = (int64_t)timegm(&tm);
}

/* The name in the order it has in the certificate, "C=US, O=..., CN=...",
 * with RFC 2253's escaping of special characters but UTF-8 kept as is. */
static void name_str(const X509_NAME *name, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	unsigned long fl = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) |
			   XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
			   XN_FLAG_DUMP_UNKNOWN_FIELDS;
	char *p;
	long n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, fl) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0) {
			size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;

			/* Cut on a character boundary of UTF-8. */
			while (k > 0 && k < (size_t)n &&
			       ((uint8_t)p[k] & 0xc0) == 0x80)
				k--;
			memcpy(out, p, k);
			out[k] = '\0';
		}
	}
	BIO_free(b);
}

/* "0A:1B:..." as Suricata writes tls.serial. */
static void serial_str(const ASN1_INTEGER *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < n && o + 3 < cap; i++) {
		if (i > 0)
			out[o++] = ':';
		out[o++] = hex[d[i] >> 4];
		out[o++] = hex[d[i] & 15];
	}
	out[o] = '\0';
}

static int parse_cert(const uint8_t *der, size_t n, struct kn_tls_cert *c)
{
	const unsigned char *p = der;
	X509 *x;

	if (n > LONG_MAX)
		return -1;
	x = d2i_X509(NULL, &p, (long)n);
	if (x == NULL)
		return -1;
	memset(c, 0, sizeof *c);
	c->der.p = der;
	c->der.n = n;
	name_str(X509_get_subject_name(x), c->subject, sizeof c->subject);
	name_str(X509_get_issuer_name(x), c->issuer, sizeof c->issuer);
	serial_str(X509_get0_serialNumber(x), c->serial, sizeof c->serial);
	time_of(X509_get0_notBefore(x), &c->not_before);
	time_of(X509_get0_notAfter(x), &c->not_after);
	X509_free(x);
	return 0;
}

/* Read the client's handshake bytes gathered so far. */
static void client_hs(struct kn_tls *t, const struct kn_app_env *e,
		      struct tls_dir *d)
{
	const uint8_t *b = d->hs.data;
	size_t len;
	struct kn_tls_hello h;

	if (d->hs.len < 4)
		return;
	if (b[0] != 1) {
		stop(t, e, "tls.invalid_handshake");
		return;
	}
	len = (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
	if (len + 4 > TLS_MAX_HS) {
		stop(t, e, "tls.handshake_too_long");
		return;
	}
	if (d->hs.len < len + 4)
		return;
	memset(&h, 0, sizeof h);
	h.record_version = d->first_version;
	if (parse_client_hello(b + 4, len, &h) != 0) {
		stop(t, e, "tls.invalid_handshake");
		return;
	}
	if (e->cb->tls_hello != NULL)
		e->cb->tls_hello(e->cb->ctx, e->f, &h, e->p);
	dir_done(d);
}

/* Read the server's handshake messages gathered so far. */
static void server_hs(struct kn_tls *t, const struct kn_app_env *e,
		      struct tls_dir *d)
{
	while (d->st != T_DONE && d->hs.len >= 4) {
		const uint8_t *b = d->hs.data;
		size_t len = (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];

		if (b[0] == 11) {
			/* Certificate: certificate_list <0..2^24-1> of
			 * ASN.1Cert <1..2^24-1>; only the first is read. */
			struct kn_tls_cert c;
			size_t cl;

			if (len < 3) {
				stop(t, e, "tls.invalid_certificate");
				return;
			}
			if (d->hs.len < 10) {
				if (d->hs.len >= len + 4) {
					dir_done(d);   /* an empty list */
					return;
				}
				return;
			}
			cl = (size_t)b[7] << 16 | (size_t)b[8] << 8 | b[9];
			if (cl == 0 || cl + 3 > len) {
				stop(t, e, "tls.invalid_certificate");
				return;
			}
			if (10 + cl > TLS_MAX_HS) {
				stop(t, e, "tls.handshake_too_long");
				return;
			}
			if (d->hs.len < 10 + cl)
				return;
			if (parse_cert(b + 10, cl, &c) != 0) {
				stop(t, e, "tls.invalid_certificate");
				return;
			}
			if (e->cb->tls_cert != NULL)
				e->cb->tls_cert(e->cb->ctx, e->f, &c, e->p);
			dir_done(d);
			return;
		}
		if (len + 4 > TLS_MAX_HS) {
			stop(t, e, "tls.handshake_too_long");
			return;
		}
		if (d->hs.len < len + 4)
			return;
		if (b[0] == 2) {
			int v13 = server_hello_13(b + 4, len);

			if (v13 < 0) {
				stop(t, e, "tls.invalid_handshake");
				return;
			}
			if (v13) {
				/* The certificate will be encrypted. */
				dir_done(d);
				return;
			}
		} else {
			/* Anything else before a Certificate: the server
			 * sends none in the clear. */
			dir_done(d);
			return;
		}
		ks_buf_consume(&d->hs, len + 4);
	}
}

static void record_body(struct kn_tls *t, const struct kn_app_env *e, int dir,
			struct tls_dir *d, const uint8_t *data, size_t n)
{
	if (d->type != 22) {
		/* A change_cipher_spec, alert or application_data record
		 * ends the part in the clear; from a client before its
		 * ClientHello it is not TLS as recognized. */
		if (dir == KN_TO_SERVER)
			stop(t, e, "tls.invalid_record");
		else
			dir_done(d);
		return;
	}
	if (ks_buf_append(&d->hs, data, n) != KS_OK) {
		if (dir == KN_TO_CLIENT && d->hs.len >= 4 && d->hs.data[0] == 11) {
			/* The rest of a long chain: the first certificate is
			 * read from what fits. */
			ks_buf_append(&d->hs, data, TLS_MAX_HS - d->hs.len);
		} else {
			stop(t, e, "tls.handshake_too_long");
			return;
		}
	}
	if (dir == KN_TO_SERVER)
		client_hs(t, e, d);
	else
		server_hs(t, e, d);
}

void kn_tls_data(struct kn_tls *t, const struct kn_app_env *e, int dir,
		 const uint8_t *data, size_t len)
{
	struct tls_dir *d;

	if (t == NULL || t->stopped || dir < 0 || dir > 1)
		return;
	d = &t->d[dir];
	if (data == NULL) {
		/* Lost bytes: the records cannot be found again. */
		dir_done(d);
		return;
	}
	while (len > 0 && d->st != T_DONE && !t->stopped) {
		if (d->st == T_HEADER) {
			size_t take = 5 - d->nhdr < len ? 5 - d->nhdr : len;
			uint16_t ver;

			memcpy(d->hdr + d->nhdr, data, take);
			d->nhdr += take;
			data += take;
			len -= take;
			if (d->nhdr < 5)
				break;
			d->nhdr = 0;
			d->type = d->hdr[0];
			ver = (uint16_t)(d->hdr[1] << 8 | d->hdr[2]);
			d->left = (size_t)d->hdr[3] << 8 | d->hdr[4];
			if (d->type < 20 || d->type > 24 || (ver >> 8) != 3 ||
			    d->left == 0 || d->left > TLS_MAX_RECORD) {
				if (dir == KN_TO_SERVER || d->nrecords == 0)
					stop(t, e, "tls.invalid_record");
				else
					dir_done(d);
				break;
			}
			if (d->nrecords++ == 0)
				d->first_version = ver;
			d->st = T_BODY;
		} else {
			size_t take = d->left < len ? d->left : len;

			d->left -= take;
			if (d->left == 0)
				d->st = T_HEADER;
			record_body(t, e, dir, d, data, take);
			data += take;
			len -= take;
		}
	}
}
