/*
 * Fuzz target: the HTTP/1.x parser fed as two byte streams in chunks the
 * input chooses.  The input is a list of [control][bytes]: control bit 7
 * picks the direction (client, server), its low 7 bits the chunk length;
 * a length of 0 is a hole of as many bytes as the next input byte says.
 * Every slice handed on is read (AddressSanitizer checks it) and the
 * buffers' promised forms are checked.
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

static size_t max_body;

static void on_req(void *ctx, struct kn_flow *f, const struct kn_http_req *r,
		   const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	touch(r->request_line);
	touch(r->method);
	touch(r->uri);
	touch(r->uri_norm);
	touch(r->protocol);
	touch(r->host);
	touch(r->user_agent);
	touch(r->referer);
	touch(r->content_type);
	touch(r->cookie);
	touch(r->headers);
	touch(r->header_names);
	touch(r->body);
	touch(r->data);
	if (r->body.n > max_body || r->data.n > max_body || r->method.n == 0 ||
	    r->uri_norm.n > r->uri.n)
		abort();
	if (r->header_names.n < 4 ||
	    memcmp(r->header_names.p, "\r\n", 2) != 0 ||
	    memcmp(r->header_names.p + r->header_names.n - 2, "\r\n", 2) != 0)
		abort();
}

static void on_resp(void *ctx, struct kn_flow *f, const struct kn_http_req *q,
		    const struct kn_http_resp *r, const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	if (q != NULL) {
		touch(q->uri);
		touch(q->headers);
		touch(q->body);
		touch(q->data);
		if (q->data.n > max_body || q->tx_id != r->tx_id)
			abort();
	}
	touch(r->status_line);
	touch(r->protocol);
	touch(r->status_code);
	touch(r->headers);
	touch(r->content_type);
	touch(r->body);
	touch(r->data);
	if (r->body.n > max_body || r->data.n > max_body || r->status < 100 || r->status > 999)
		abort();
}

static void on_anomaly(void *ctx, struct kn_flow *f, const char *app,
		       const char *event, const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	if (strcmp(app, "http") != 0 || strncmp(event, "http.", 5) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	size_t i = 0;

	kn_app_defaults(&c);
	c.max_header = 2048;
	c.max_body = 256;
	max_body = c.max_body;
	memset(&cb, 0, sizeof cb);
	cb.http_request = on_req;
	cb.http_response = on_resp;
	cb.anomaly = on_anomaly;
	memset(&f, 0, sizeof f);
	f.proto = 6;
	f.sport = 80;
	f.app = KN_APP_HTTP;
	f.app_state = kn_http_new();
	if (f.app_state == NULL)
		return 0;
	while (i < size) {
		uint8_t ctl = data[i++];
		int dir = ctl >> 7;
		size_t n = ctl & 0x7f;

		if (n == 0) {
			if (i < size)
				kn_app_stream(&c, &cb, &f, dir, NULL,
					      (size_t)data[i++] + 1, NULL);
			continue;
		}
		if (n > size - i)
			n = size - i;
		kn_app_stream(&c, &cb, &f, dir, data + i, n, NULL);
		i += n;
	}
	kn_app_end(&c, &cb, &f, NULL);
	kn_app_free(f.app, f.app_state);
	return 0;
}
