/*
 * The application layer: which protocol a flow speaks, and dispatch to its
 * parser (net/app.h).
 *
 * TCP flows are recognized from the client's first bytes: an HTTP/1.x
 * request starts with a method and a space (RFC 9112 section 3); a TLS
 * connection with a handshake record holding a ClientHello (RFC 8446
 * section 5.1: content type 22, legacy version 3.x, then handshake type
 * 1).  DNS is recognized by its port, 53, on TCP and UDP.  A flow whose
 * server speaks first, or whose first bytes are anything else, is marked
 * KN_APP_NONE and costs nothing more.  The first bytes are held (at most
 * RECOG_MAX) only when a delivery is too short to decide, which TCP
 * allows but rarely does.
 */
#include <stdlib.h>
#include <string.h>

#include "net/app-int.h"

#define RECOG_MAX 24                 /* longer than any method and a space */

struct recog {
	size_t n;
	uint8_t b[RECOG_MAX];
};

void kn_app_defaults(struct kn_app_conf *c)
{
	c->max_header = 64u << 10;
	c->max_body = 64u << 10;
}

const char *kn_app_name(int app)
{
	switch (app) {
	case KN_APP_HTTP: return "http";
	case KN_APP_TLS: return "tls";
	case KN_APP_DNS: return "dns";
	default: return "";
	}
}

void kn_app_report(const struct kn_app_env *e, const char *proto,
		   const char *event)
{
	if (e->cb->anomaly != NULL)
		e->cb->anomaly(e->cb->ctx, e->f, proto, event, e->p);
}

/* The methods of the IANA HTTP method registry in use on the wire. */
static const char *const methods[] = {
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT",
	"TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",
	"LOCK", "UNLOCK", "SEARCH", "REPORT", "MKACTIVITY", "MKCALENDAR",
	"CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
	"UNSUBSCRIBE", "ACL", "BIND", "UNBIND", "REBIND", "UPDATE", "LABEL",
	"PURGE", "VERSION-CONTROL", "BASELINE-CONTROL",
};

/* 1: it is; 0: it is not; -1: too few bytes to tell. */
static int looks_http(const uint8_t *b, size_t n)
{
	int maybe = 0;

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		size_t l = strlen(methods[i]);

		if (n > l) {
			if (memcmp(b, methods[i], l) == 0 && b[l] == ' ')
				return 1;
		} else if (memcmp(b, methods[i], n) == 0) {
			maybe = 1;
		}
	}
	return maybe ? -1 : 0;
}

static int looks_tls(const uint8_t *b, size_t n)
{
	static const uint8_t lo[6] = { 0x16, 0x03, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t hi[6] = { 0x16, 0x03, 0x04, 0xff, 0xff, 0x01 };

	for (size_t i = 0; i < n && i < 6; i++)
		if (b[i] < lo[i] || b[i] > hi[i])
			return 0;
	return n >= 6 ? 1 : -1;
}

static void start(struct kn_flow *f, int app)
{
	void *st = NULL;

	switch (app) {
	case KN_APP_HTTP: st = kn_http_new(); break;
	case KN_APP_TLS: st = kn_tls_new(); break;
	case KN_APP_DNS: st = kn_dns_tcp_new(); break;
	default: break;
	}
	if (app != KN_APP_NONE && st == NULL)
		app = KN_APP_NONE;   /* out of memory: the flow goes unparsed */
	f->app = app;
	f->app_state = st;
}

static void feed(const struct kn_app_env *e, int dir, const uint8_t *data,
		 size_t len)
{
	struct kn_flow *f = e->f;

	switch (f->app) {
	case KN_APP_HTTP:
		kn_http_data(f->app_state, e, dir, data, len);
		break;
	case KN_APP_TLS:
		kn_tls_data(f->app_state, e, dir, data, len);
		break;
	case KN_APP_DNS:
		kn_dns_tcp_data(f->app_state, e, dir, data, len);
		break;
	default:
		break;
	}
}

/* Decide from the client's first bytes (held ones, then data). */
static void recognize(const struct kn_app_env *e, int dir, const uint8_t *data,
		      size_t len)
{
	struct kn_flow *f = e->f;
	struct recog *r = f->app_state;
	uint8_t look[RECOG_MAX];
	size_t held = r != NULL ? r->n : 0, n;
	int http, tls;

	if (f->sport == 53) {
		free(r);
		f->app_state = NULL;
		start(f, KN_APP_DNS);
		feed(e, dir, data, len);
		return;
	}
	if (dir != KN_TO_SERVER || data == NULL) {
		/* The server spoke first, or the first bytes were lost. */
		free(r);
		f->app_state = NULL;
		f->app = KN_APP_NONE;
		return;
	}
	n = held + len < RECOG_MAX ? held + len : RECOG_MAX;
	if (held > 0)
		memcpy(look, r->b, held);
	memcpy(look + held, data, n - held);
	http = looks_http(look, n);
	tls = looks_tls(look, n);
	if (http < 0 || tls < 0) {
		/* Undecided, so n < RECOG_MAX and everything fits. */
		if (r == NULL) {
			r = calloc(1, sizeof *r);
			if (r == NULL) {
				f->app = KN_APP_NONE;
				return;
			}
			f->app_state = r;
		}
		memcpy(r->b, look, n);
		r->n = n;
		return;
	}
	free(r);
	f->app_state = NULL;
	start(f, http > 0 ? KN_APP_HTTP : tls > 0 ? KN_APP_TLS : KN_APP_NONE);
	if (held > 0)
		feed(e, dir, look, held);
	feed(e, dir, data, len);
}

void kn_app_stream(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		   struct kn_flow *f, int dir, const uint8_t *data, size_t len,
		   const struct kn_pkt *p)
{
	struct kn_app_env e = { c, cb, f, p };

	if (len == 0 || f->proto != 6)
		return;
	if (f->app == KN_APP_UNKNOWN)
		recognize(&e, dir, data, len);
	else
		feed(&e, dir, data, len);
}

void kn_app_udp(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		struct kn_flow *f, int dir, const struct kn_pkt *p)
{
	struct kn_app_env e = { c, cb, f, p };

	(void)dir;
	if (f->proto != 17)
		return;
	if (f->app == KN_APP_UNKNOWN)
		f->app = f->sport == 53 || f->cport == 53 ? KN_APP_DNS :
							   KN_APP_NONE;
	if (f->app == KN_APP_DNS && p->payload != NULL)
		kn_dns_udp(&e, p->payload, p->payload_len);
}

void kn_app_end(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		struct kn_flow *f, const struct kn_pkt *p)
{
	struct kn_app_env e = { c, cb, f, p };

	if (f->app == KN_APP_HTTP && f->app_state != NULL)
		kn_http_end(f->app_state, &e);
}

void kn_app_free(int app, void *state)
{
	switch (app) {
	case KN_APP_HTTP: kn_http_free(state); break;
	case KN_APP_TLS: kn_tls_free(state); break;
	case KN_APP_DNS: kn_dns_tcp_free(state); break;
	default: free(state); break;
	}
}
