/*
 * The buffers of one transaction, as intrusion signatures name them
 * (Suricata's sticky buffers, docs.suricata.io "HTTP keywords", "DNS
 * keywords", "TLS keywords").  Each is made on first use and kept for the
 * rest of the transaction's rules.  Most are slices of what the
 * application layer extracted; a few are made here:
 *
 *   http.host          the Host header's name, lowercased (http.host.raw
 *                      is the header's value as sent);
 *   http.header_names  for responses, "\r\nName\r\n...\r\n\r\n" as the
 *                      parser gives it for requests;
 *   http.start         the request or status line, the headers and the
 *                      blank line;
 *   http.accept, http.accept_enc, http.accept_lang, http.connection,
 *   http.content_len, http.referer, http.server, http.location, and the
 *                      response's http.cookie (Set-Cookie): the value of
 *                      that header;
 *   http.stat_msg      the reason phrase of the status line;
 *   payload            in HTTP rules, the message as it was sent: line,
 *                      headers, blank line, body (kept bytes);
 *   dotprefix          the buffer with a '.' before it.
 *
 * Buffers of both directions (headers, content type, cookie, bodies, ...)
 * come from the response in rules evaluated on responses, else from the
 * request.
 */
#include "ids/bufs.h"

#include <ctype.h>
#include <string.h>

#define MAX_COMPOSED (1u << 20)

void ki_bufs_init(struct ki_bufs *b)
{
	memset(b, 0, sizeof *b);
	for (int i = 0; i < KI_B_MAX; i++)
		ks_buf_init(&b->tmp[i], MAX_COMPOSED);
}

void ki_bufs_free(struct ki_bufs *b)
{
	for (int i = 0; i < KI_B_MAX; i++)
		ks_buf_free(&b->tmp[i]);
}

void ki_bufs_reset(struct ki_bufs *b)
{
	b->req = NULL;
	b->resp = NULL;
	b->dns = NULL;
	b->hello = NULL;
	b->cert = NULL;
	b->sni = NULL;
	b->nsni = 0;
	memset(b->state, 0, sizeof b->state);
}

/* The value of the first header `name` in a "Name: value\r\n" block. */
int ki_header_value(struct kn_slice headers, const char *name,
		    struct kn_slice *out)
{
	const uint8_t *p = headers.p, *end = headers.p + headers.n;
	size_t nl = strlen(name);

	while (p != NULL && p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *le = eol ? eol : end;

		if ((size_t)(le - p) > nl && p[nl] == ':' &&
		    strncasecmp((const char *)p, name, nl) == 0) {
			const uint8_t *v = p + nl + 1;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			while (le > v && (le[-1] == '\r' || le[-1] == ' ' ||
					  le[-1] == '\t'))
				le--;
			out->p = v;
			out->n = (size_t)(le - v);
			return 0;
		}
		p = eol ? eol + 1 : NULL;
	}
	return -1;
}

static int names_of(struct ks_buf *o, struct kn_slice headers)
{
	const uint8_t *p = headers.p, *end = headers.p + headers.n;

	if (ks_buf_append(o, "\r\n", 2) != KS_OK)
		return -1;
	while (p != NULL && p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *le = eol ? eol : end;
		const uint8_t *colon = memchr(p, ':', (size_t)(le - p));

		if (colon != NULL && (ks_buf_append(o, p, (size_t)(colon - p)) != KS_OK ||
				      ks_buf_append(o, "\r\n", 2) != KS_OK))
			return -1;
		p = eol ? eol + 1 : NULL;
	}
	return ks_buf_append(o, "\r\n", 2) == KS_OK ? 0 : -1;
}

static int compose(struct ks_buf *o, struct kn_slice line, struct kn_slice headers,
		   const struct kn_slice *body)
{
	/* Kept bytes only: a message past the cap is cut, not refused. */
	ks_buf_append(o, line.p, line.n);
	ks_buf_append(o, "\r\n", 2);
	ks_buf_append(o, headers.p, headers.n);
	ks_buf_append(o, "\r\n", 2);
	if (body != NULL && body->n > 0)
		ks_buf_append(o, body->p, body->n);
	return 0;
}

/* The base buffer (without transform); -1 when it is not there. */
static int base_buf(struct ki_bufs *b, int id, struct kn_slice *s)
{
	const struct kn_http_req *q = b->req;
	const struct kn_http_resp *r = b->resp;
	struct ks_buf *t = &b->tmp[id];

	s->p = NULL;
	s->n = 0;
	if (ki_buf_is_http(id) && q == NULL && r == NULL)
		return -1;
	switch (id) {
	case KI_B_PAYLOAD:
		if (r != NULL)
			compose(t, r->status_line, r->headers, &r->body);
		else if (q != NULL)
			compose(t, q->request_line, q->headers, &q->body);
		else
			return -1;
		goto tmp;
	case KI_B_HTTP_URI: if (!q) return -1; *s = q->uri_norm; return 0;
	case KI_B_HTTP_URI_RAW: if (!q) return -1; *s = q->uri; return 0;
	case KI_B_HTTP_HOST:
		if (!q || q->host.p == NULL)
			return -1;
		for (size_t i = 0; i < q->host.n; i++)
			ks_buf_putc(t, tolower(q->host.p[i]));
		goto tmp;
	case KI_B_HTTP_HOST_RAW:
		return q ? ki_header_value(q->headers, "Host", s) : -1;
	case KI_B_HTTP_METHOD: if (!q) return -1; *s = q->method; return 0;
	case KI_B_HTTP_UA:
		if (!q || q->user_agent.p == NULL) return -1;
		*s = q->user_agent;
		return 0;
	case KI_B_HTTP_REQUEST_LINE: if (!q) return -1; *s = q->request_line; return 0;
	case KI_B_HTTP_PROTOCOL:
		if (r) *s = r->protocol; else *s = q->protocol;
		return 0;
	case KI_B_HTTP_REFERER:
		if (!q || q->referer.p == NULL) return -1;
		*s = q->referer;
		return 0;
	case KI_B_HTTP_ACCEPT: return q ? ki_header_value(q->headers, "Accept", s) : -1;
	case KI_B_HTTP_ACCEPT_ENC: return q ? ki_header_value(q->headers, "Accept-Encoding", s) : -1;
	case KI_B_HTTP_ACCEPT_LANG: return q ? ki_header_value(q->headers, "Accept-Language", s) : -1;
	case KI_B_HTTP_HEADER:
	case KI_B_HTTP_HEADER_RAW:
		*s = r ? r->headers : q->headers;
		return 0;
	case KI_B_HTTP_HEADER_NAMES:
		if (!r) {
			*s = q->header_names;
			return 0;
		}
		if (names_of(t, r->headers) != 0)
			return -1;
		goto tmp;
	case KI_B_HTTP_COOKIE:
		if (r)
			return ki_header_value(r->headers, "Set-Cookie", s);
		if (q->cookie.p == NULL) return -1;
		*s = q->cookie;
		return 0;
	case KI_B_HTTP_CONTENT_TYPE:
		*s = r ? r->content_type : q->content_type;
		return s->p != NULL ? 0 : -1;
	case KI_B_HTTP_CONTENT_LEN:
		return ki_header_value(r ? r->headers : q->headers, "Content-Length", s);
	case KI_B_HTTP_CONNECTION:
		return ki_header_value(r ? r->headers : q->headers, "Connection", s);
	case KI_B_HTTP_START:
		if (r)
			compose(t, r->status_line, r->headers, NULL);
		else
			compose(t, q->request_line, q->headers, NULL);
		goto tmp;
	case KI_B_FILE_DATA:
		*s = r ? r->data : q->data;
		return s->n > 0 ? 0 : -1;
	case KI_B_HTTP_REQUEST_BODY:
		if (!q || q->data.n == 0) return -1;
		*s = q->data;
		return 0;
	case KI_B_HTTP_STAT_CODE: if (!r) return -1; *s = r->status_code; return 0;
	case KI_B_HTTP_STAT_MSG: {
		const uint8_t *p, *e;

		if (!r || r->status_code.p == NULL)
			return -1;
		p = r->status_code.p + r->status_code.n;
		e = r->status_line.p + r->status_line.n;
		if (p < r->status_line.p || p > e)
			return -1;
		while (p < e && *p == ' ')
			p++;
		s->p = p;
		s->n = (size_t)(e - p);
		return 0;
	}
	case KI_B_HTTP_RESPONSE_LINE: if (!r) return -1; *s = r->status_line; return 0;
	case KI_B_HTTP_RESPONSE_BODY:
		if (!r || r->data.n == 0) return -1;
		*s = r->data;
		return 0;
	case KI_B_HTTP_SERVER: return r ? ki_header_value(r->headers, "Server", s) : -1;
	case KI_B_HTTP_LOCATION: return r ? ki_header_value(r->headers, "Location", s) : -1;
	case KI_B_DNS_QUERY:
		if (!b->dns) return -1;
		s->p = (const uint8_t *)b->dns->qname;
		s->n = strnlen(b->dns->qname, sizeof b->dns->qname);
		return 0;
	case KI_B_TLS_SNI:
		if (b->hello != NULL) {
			if (!b->hello->has_sni) return -1;
			*s = b->hello->sni;
			return 0;
		}
		if (b->sni == NULL) return -1;
		s->p = b->sni;
		s->n = b->nsni;
		return 0;
	case KI_B_TLS_CERT_SUBJECT:
	case KI_B_TLS_CERT_ISSUER:
	case KI_B_TLS_CERT_SERIAL: {
		const char *v;

		if (!b->cert) return -1;
		v = id == KI_B_TLS_CERT_SUBJECT ? b->cert->subject :
		    id == KI_B_TLS_CERT_ISSUER ? b->cert->issuer : b->cert->serial;
		s->p = (const uint8_t *)v;
		s->n = strlen(v);
		return s->n > 0 ? 0 : -1;
	}
	default:
		return -1;
	}
tmp:
	s->p = t->data ? t->data : (const uint8_t *)"";
	s->n = t->len;
	return 0;
}

int ki_bufs_get(struct ki_bufs *b, int id, const uint8_t **p, size_t *n)
{
	struct kn_slice s;

	if (id < 0 || id >= KI_B_MAX)
		return -1;
	if (b->state[id] == 0) {
		b->state[id] = 2;
		if (id & KI_B_DOT) {
			struct ks_buf *t = &b->tmp[id];
			const uint8_t *bp;
			size_t bn;

			if (ki_bufs_get(b, KI_BUF_BASE(id), &bp, &bn) == 0) {
				ks_buf_reset(t);
				ks_buf_putc(t, '.');
				ks_buf_append(t, bp, bn);
				b->slot[id].p = t->data;
				b->slot[id].n = t->len;
				b->state[id] = 1;
			}
		} else {
			ks_buf_reset(&b->tmp[id]);
			if (base_buf(b, id, &s) == 0 && (s.p != NULL || s.n == 0)) {
				b->slot[id] = s;
				b->state[id] = 1;
			}
		}
	}
	if (b->state[id] != 1)
		return -1;
	*p = b->slot[id].p ? b->slot[id].p : (const uint8_t *)"";
	*n = b->slot[id].n;
	return 0;
}
