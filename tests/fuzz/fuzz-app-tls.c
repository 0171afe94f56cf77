/*
 * Fuzz target: TLS handshakes fed as two byte streams in chunks the input
 * chooses ([control][bytes]: bit 7 the direction, the low 7 bits the
 * length, 0 a hole).  The hello's slices and the certificate's strings are
 * read and checked.
 */
#include <stdlib.h>
#include <string.h>

#include "net/app-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void touch(struct kn_slice s)
{
	for (size_t i = 0; i < s.n; i++)
		sink ^= s.p[i];
}

static void on_hello(void *ctx, struct kn_flow *f, const struct kn_tls_hello *h,
		     const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	touch(h->sni);
	if (h->has_sni != (h->sni.n > 0) || h->nalpn > 8)
		abort();
	for (size_t i = 0; i < h->nalpn; i++)
		touch(h->alpn[i]);
}

static void on_cert(void *ctx, struct kn_flow *f, const struct kn_tls_cert *c,
		    const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	touch(c->der);
	if (strnlen(c->subject, sizeof c->subject) == sizeof c->subject ||
	    strnlen(c->issuer, sizeof c->issuer) == sizeof c->issuer ||
	    strnlen(c->serial, sizeof c->serial) == sizeof c->serial)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	size_t i = 0;

	kn_app_defaults(&c);
	memset(&cb, 0, sizeof cb);
	cb.tls_hello = on_hello;
	cb.tls_cert = on_cert;
	memset(&f, 0, sizeof f);
	f.proto = 6;
	f.sport = 443;
	f.app = KN_APP_TLS;
	f.app_state = kn_tls_new();
	if (f.app_state == NULL)
		return 0;
	while (i < size) {
		uint8_t ctl = data[i++];
		int dir = ctl >> 7;
		size_t n = ctl & 0x7f;

		if (n == 0) {
			kn_app_stream(&c, &cb, &f, dir, NULL, 1, NULL);
			continue;
		}
		if (n > size - i)
			n = size - i;
		kn_app_stream(&c, &cb, &f, dir, data + i, n, NULL);
		i += n;
	}
	kn_app_free(f.app, f.app_state);
	return 0;
}
