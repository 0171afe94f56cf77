/*
 * Inside the application layer: what app.c (recognition and dispatch)
 * and the protocol parsers (app-http.c, app-dns.c, app-tls.c) share, and
 * what the unit tests call directly.  Nothing here is for the tool: it
 * uses net/app.h.
 *
 * A parser is fed one direction's bytes in order, in any split; data ==
 * NULL means len bytes were lost (a hole the reassembler gave up on, see
 * net/stream.h).
 */
#ifndef KS_NET_APP_INT_H
#define KS_NET_APP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "net/app.h"

/* What a parser needs to call back. */
struct kn_app_env {
	const struct kn_app_conf *c;
	const struct kn_app_cb *cb;
	struct kn_flow *f;
	const struct kn_pkt *p;
};

void kn_app_report(const struct kn_app_env *e, const char *proto,
		   const char *event);

/* HTTP/1.x (app-http.c). */
struct kn_http;
struct kn_http *kn_http_new(void);
void kn_http_free(struct kn_http *h);
void kn_http_data(struct kn_http *h, const struct kn_app_env *e, int dir,
		  const uint8_t *data, size_t len);
void kn_http_end(struct kn_http *h, const struct kn_app_env *e);
/* The normalized form of a request-target (RFC 3986 sections 6.2.2.2 and
 * 5.2.4) appended to out; KS_ERR_LIMIT when out is full. */
enum ks_status kn_http_normalize_uri(const uint8_t *u, size_t n,
				     struct ks_buf *out);

/* DNS (app-dns.c). */
enum kn_dns_result {
	KN_DNS_OK,
	KN_DNS_PARTIAL,              /* header and question read, then a fault */
	KN_DNS_BAD,                  /* not even the header and question */
};
enum kn_dns_result kn_dns_parse(const uint8_t *msg, size_t n,
				struct kn_dns_msg *m);
void kn_dns_udp(const struct kn_app_env *e, const uint8_t *msg, size_t n);
struct kn_dns_tcp;
struct kn_dns_tcp *kn_dns_tcp_new(void);
void kn_dns_tcp_free(struct kn_dns_tcp *d);
void kn_dns_tcp_data(struct kn_dns_tcp *d, const struct kn_app_env *e,
		     int dir, const uint8_t *data, size_t len);

/* TLS (app-tls.c). */
struct kn_tls;
struct kn_tls *kn_tls_new(void);
void kn_tls_free(struct kn_tls *t);
void kn_tls_data(struct kn_tls *t, const struct kn_app_env *e, int dir,
		 const uint8_t *data, size_t len);

/*
 * The end of a flow (proposed for net/app.h): hand on what was waiting
 * for more bytes that will not come, such as a response read until the
 * connection closes or a request whose body was cut.  Call it from the
 * flow end callback, before the flow's state is freed.  p may be NULL.
 */

#endif
