/*
 * The application layer: HTTP/1.x (RFC 9112), DNS over UDP and TCP
 * (RFC 1035, RFC 7766) and the TLS ClientHello (RFC 8446 section 4.1.2,
 * RFC 6066 section 3 for server_name).
 *
 * The protocol of a flow is recognized from its first bytes to the server
 * (an HTTP method and a space; a TLS handshake record) and, for DNS, from
 * port 53; each flow keeps its parser's state (kn_flow.app_state).  The
 * parsers read TCP data already put in order by the flow table, so a
 * request line, a header block or a ClientHello split over several
 * segments is parsed whole.  Every buffer that grows from input is capped
 * (header block, body bytes kept, DNS name); a cap or a violation is an
 * application-layer anomaly ("http.request_too_long", "dns.malformed",
 * "tls.invalid_record", ...), and the parser stops for that flow rather
 * than guess.
 *
 * The buffers handed to the callbacks are what intrusion signatures match
 * on (Suricata's sticky buffers http.uri, http.host, http.method,
 * http.user_agent, http.header, http.header_names, http.cookie,
 * http.content_type, http.request_line, http.request_body, http.stat_code,
 * http.response_body, dns.query, tls.sni, tls.cert_subject), so they keep
 * the bytes as they were on the wire, except `data`: the body with its
 * gzip or deflate content codings undone (what http.request_body,
 * http.response_body and file.data match); slices are valid during the
 * callback only.
 */
#ifndef KS_NET_APP_H
#define KS_NET_APP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "net/flow.h"
#include "net/pkt.h"

enum kn_app_proto {
	KN_APP_UNKNOWN = 0,          /* not recognized (yet) */
	KN_APP_NONE,                 /* recognized as nothing we parse */
	KN_APP_HTTP,
	KN_APP_TLS,
	KN_APP_DNS,
};

const char *kn_app_name(int app);    /* "http", "tls", "dns", "" */

struct kn_slice {
	const uint8_t *p;
	size_t n;
};

struct kn_http_req {
	uint64_t tx_id;              /* 0, 1, ... per flow */
	struct kn_slice request_line;
	struct kn_slice method, uri, protocol;
	struct kn_slice uri_norm;    /* uri with %XX decoded and ./.. resolved
					(http.uri; uri is http.uri.raw) */
	struct kn_slice host;        /* the Host header, port removed */
	uint16_t host_port;          /* its port, or 0 */
	struct kn_slice user_agent, referer, content_type, cookie;
	struct kn_slice headers;     /* every header line, "Name: value\r\n" */
	struct kn_slice header_names;/* "\r\nName1\r\nName2\r\n\r\n" */
	struct kn_slice body;        /* the first max_body bytes */
	struct kn_slice data;        /* body decoded, the first max_body bytes
					of it (body itself when not encoded) */
	uint64_t content_length;     /* declared, or 0 */
	int body_truncated;
};

struct kn_http_resp {
	uint64_t tx_id;              /* the request it answers */
	struct kn_slice status_line, protocol, status_code;
	int status;                  /* 100..999, or 0 when unparsable */
	struct kn_slice headers, content_type;
	struct kn_slice body;        /* the first max_body bytes */
	struct kn_slice data;        /* body decoded (see kn_http_req) */
	uint64_t content_length;
	int body_truncated;
};

#define KN_DNS_NAME_MAX 1024         /* presentation form, escaped */
#define KN_DNS_MAX_ANSWERS 16

struct kn_dns_answer {
	char rrname[KN_DNS_NAME_MAX];
	uint16_t rrtype;
	uint32_t ttl;
	char rdata[KN_DNS_NAME_MAX];  /* A, AAAA, CNAME, PTR, NS, MX targets */
};

struct kn_dns_msg {
	uint16_t id;
	int response;                /* QR */
	int opcode, rcode;
	int tcp;
	/* The first question (EVE's rrname/rrtype). */
	char qname[KN_DNS_NAME_MAX]; /* dotted, without the root dot; bytes
					outside printable ASCII as \DDD
					(RFC 1035 section 5.1) */
	uint16_t qtype, qclass;
	size_t nanswers;             /* kept, up to KN_DNS_MAX_ANSWERS */
	struct kn_dns_answer answers[KN_DNS_MAX_ANSWERS];
};

const char *kn_dns_type_name(uint16_t type);   /* "A", "AAAA", ... or NULL */
const char *kn_dns_rcode_name(int rcode);      /* "NOERROR", ... */

struct kn_tls_hello {
	uint16_t record_version, hello_version;
	struct kn_slice sni;         /* server_name (host_name), raw bytes */
	int has_sni;
	uint16_t supported_max;      /* the highest supported_versions entry */
	struct kn_slice alpn[8];
	size_t nalpn;
};

struct kn_tls_cert {                 /* the server's first certificate */
	struct kn_slice der;
	char subject[1024];          /* RFC 4514 string, as OpenSSL writes it */
	char issuer[1024];
	char serial[128];
	struct ks_time not_before, not_after;
};

struct kn_app_conf {
	size_t max_header;           /* request/response head (64 KiB) */
	size_t max_body;             /* body bytes kept per message (64 KiB) */
};

void kn_app_defaults(struct kn_app_conf *c);

struct kn_app_cb {
	void *ctx;
	void (*http_request)(void *ctx, struct kn_flow *f,
			     const struct kn_http_req *r, const struct kn_pkt *p);
	/* req: the request answered, or NULL when it was not seen. */
	void (*http_response)(void *ctx, struct kn_flow *f,
			      const struct kn_http_req *req,
			      const struct kn_http_resp *r, const struct kn_pkt *p);
	void (*dns)(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		    const struct kn_pkt *p);
	void (*tls_hello)(void *ctx, struct kn_flow *f,
			  const struct kn_tls_hello *h, const struct kn_pkt *p);
	void (*tls_cert)(void *ctx, struct kn_flow *f,
			 const struct kn_tls_cert *c, const struct kn_pkt *p);
	void (*anomaly)(void *ctx, struct kn_flow *f, const char *app_proto,
			const char *event, const struct kn_pkt *p);
};

/*
 * The absolute URL of a request, as RFC 9112 section 3.3 reconstructs the
 * target URI: the request target when it is absolute already, else
 * "http://" and the Host (lower case), its port unless 80, and the
 * target.  Without a Host (HTTP/1.0) the server's address and port from
 * the flow name the site.  Appended to out; 0, or -1 when the request
 * gives no host (nor flow), its Host is longer than 512 bytes, or out's
 * cap refuses the URL.  Used by the http record (absolute_url) and the
 * web address checks, so that both see the same address.
 */
#define KN_HTTP_URL_MAX (1u << 20)
int kn_http_absolute_url(const struct kn_http_req *r, const struct kn_flow *fl,
			 struct ks_buf *out);

/* TCP bytes of one direction, in order (from kn_flows_tcp's callback). */
void kn_app_stream(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		   struct kn_flow *f, int dir, const uint8_t *data, size_t len,
		   const struct kn_pkt *p);

/* A UDP datagram of the flow (p->payload). */
void kn_app_udp(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		struct kn_flow *f, int dir, const struct kn_pkt *p);

/*
 * The flow ends: hand on what was waiting for bytes that will not come (a
 * response read until the connection closes, a message whose body was
 * cut, marked body_truncated).  Call it from the flow end callback, before
 * the flow table frees the flow's state.  p: the packet to give the
 * callbacks (the one whose time ended the flow), may be NULL.
 */
void kn_app_end(const struct kn_app_conf *c, const struct kn_app_cb *cb,
		struct kn_flow *f, const struct kn_pkt *p);

/* Free a flow's parser state (given to kn_flows_new). */
void kn_app_free(int app, void *state);

#endif
