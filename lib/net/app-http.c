/*
 * HTTP/1.x messages (RFC 9112), requests and responses, as a state machine
 * per direction fed any split of the byte stream.
 *
 *   head      start line and field lines up to the empty line (section 2.1),
 *             copied into a buffer capped by max_header; empty lines before
 *             a request line are ignored (section 2.2);
 *   body      framed as section 6.3 says: Transfer-Encoding chunked
 *             (section 7.1, chunk extensions and trailers read and left),
 *             Content-Length, nothing (requests), or until the connection
 *             closes (responses); the first max_body bytes are kept and
 *             the rest skipped by count, so the next message of a
 *             keep-alive or pipelined connection is found without copying;
 *   codings   a body whose Content-Encoding (RFC 9110 section 8.4) names
 *             gzip or deflate is also inflated, as it arrives, into the
 *             decoded body (see decode_* below).
 *
 * A line ends with LF, a CR before it ignored (section 2.2); a bare CR,
 * whitespace between a field name and its colon (section 5.1), a request
 * field folded over lines (section 5.2), a bad Content-Length or chunk size
 * or a Transfer-Encoding that is not chunked last in a request (section
 * 6.1) make the framing unknowable: the parser reports an anomaly and stops
 * for the flow.  A folded response field is unfolded with a space, as
 * section 5.2 asks of a user agent.
 *
 * A request is handed on when its message is complete, or as soon as its
 * body passes max_body; a copy is kept (capped per flow) for the response
 * that answers it, which is matched by order (tx_id).  Interim 1xx
 * responses are read and skipped; 101 and a 2xx answer to CONNECT turn the
 * connection into a tunnel that is not parsed.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/hex.h"
#include "net/app-int.h"

#define HTTP_MAX_PENDING 64          /* requests waiting for their response */
#define HTTP_MAX_LINE 4096           /* a chunk-size line */
#define HTTP_KEEP_BUF 4096           /* buffers kept between messages */
#define HTTP_MAX_CODINGS 3           /* content codings undone per body */
#define HTTP_ZCHUNK 16384            /* inflate output per step */
#define HTTP_BOMB_RATIO 2048         /* inflated bytes per wire byte */
#define HTTP_BOMB_FLOOR (256u << 10) /* inflated bytes before it applies */

enum {
	ST_HEAD, ST_BODY_LEN, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_END,
	ST_TRAILER, ST_BODY_CLOSE, ST_STOP,
};

enum {
	F_HOST, F_UA, F_REFERER, F_CTYPE, F_COOKIE, F_CL, F_TE, F_CE, F_OTHER,
	F_KEPT = F_CL,               /* the fields whose value is kept */
};

struct fld {
	size_t off, len;             /* into norm */
	int set;
};

/* One content coding being undone: an inflate stream whose format (gzip,
 * zlib or raw deflate) is told from its first two bytes, or, when it is
 * none of them, its bytes passed on as they are. */
enum { Z_SNIFF, Z_RUN, Z_END, Z_PASS };

#define HTTP_ZFIRST 64               /* a layer's first bytes, kept */

struct zlayer {
	z_stream z;
	int st;
	uint8_t first[HTTP_ZFIRST];
	uint64_t fed, out;           /* bytes in, bytes inflated */
};

/* A request kept for its response (one block: the struct, then bytes). */
struct pend {
	uint64_t tx_id;
	int is_head, is_connect;
	struct kn_http_req *copy;    /* NULL when not kept */
	size_t size;
};

struct hdir {
	int st;
	int resp;                    /* this direction carries responses */
	/* The head being read. */
	struct ks_buf head;
	size_t line_len;             /* bytes of the current line so far */
	size_t nlines;
	/* What parsing the head found. */
	struct ks_buf norm, names, uri;
	size_t rl_len, a_off, a_len, b_off, b_len, c_off, c_len;
	struct fld f[F_KEPT];
	int cur;                     /* the field whose value norm ends with */
	size_t cur_off;
	uint16_t host_port;
	int minor;                   /* HTTP/1.minor */
	int status;
	int cl_set, cl_bad, te_set, te_chunked_last, te_chunked_n;
	uint64_t cl;
	/* Body. */
	struct ks_buf line;          /* a chunk-size, chunk-end or trailer line */
	size_t trailer_len;
	uint64_t left;
	struct ks_buf body;
	int truncated, holed;
	/* The body with its content codings undone (ncod layers). */
	int ncod;
	struct zlayer *zl;           /* ncod layers once the body starts */
	struct ks_buf dec;
	int zstop, zfail;            /* no more decoding; it failed */
	uint64_t zin, zwork;         /* wire bytes in, bytes inflated */
	int reported;
	/* Responses: the request answered. */
	uint64_t tx_id;
	struct pend ans;
	int have_ans;
};

struct kn_http {
	struct hdir d[2];
	uint64_t next_req, next_resp;
	struct pend pend[HTTP_MAX_PENDING];
	size_t npend, first;
	size_t pend_bytes;
	int stopped;
};

/* RFC 9110 section 5.6.2: tchar. */
static int is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const uint8_t *a, size_t n, const char *b)
{
	size_t bl = strlen(b);

	if (n != bl)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower((uint8_t)b[i]))
			return 0;
	return 1;
}

static void dir_init(struct hdir *d, int resp)
{
	memset(d, 0, sizeof *d);
	d->resp = resp;
	/* The caps come from the configuration and are checked where the
	 * bytes are added: head and body directly, the others are made from
	 * the head and cannot outgrow it by much. */
	ks_buf_init(&d->head, KS_BUF_UNLIMITED);
	ks_buf_init(&d->norm, KS_BUF_UNLIMITED);
	ks_buf_init(&d->names, KS_BUF_UNLIMITED);
	ks_buf_init(&d->uri, KS_BUF_UNLIMITED);
	ks_buf_init(&d->line, HTTP_MAX_LINE);
	ks_buf_init(&d->body, KS_BUF_UNLIMITED);
	ks_buf_init(&d->dec, KS_BUF_UNLIMITED);
}

/* ---- content codings ------------------------------------------------- */

static void decode_free(struct hdir *d)
{
	if (d->zl != NULL) {
		for (int i = 0; i < d->ncod; i++)
			if (d->zl[i].st == Z_RUN || d->zl[i].st == Z_END)
				inflateEnd(&d->zl[i].z);
		free(d->zl);
		d->zl = NULL;
	}
	d->ncod = 0;
	d->zstop = d->zfail = 0;
	d->zin = d->zwork = 0;
}

/*
 * Content-Encoding (RFC 9110 section 8.4.1): a list of codings.  Read as
 * HTTP parsers in the field read it, each word (between commas and
 * whitespace) that contains "gzip" or "deflate", in any case, is a layer
 * to inflate ("x-gzip", "gzip;q" too); "identity" and words not known are
 * no layer.  Every header adds to the list; at most HTTP_MAX_CODINGS
 * layers are undone.  Which format a layer has is told from its bytes,
 * not its name (browsers take a zlib or a raw deflate stream for
 * "deflate"), so the order of the layers does not matter.
 */
static int has_word(const uint8_t *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (ieq(p + i, k, w))
			return 1;
	return 0;
}

static void parse_ce(struct hdir *d, const uint8_t *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t s;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && !is_ows(v[i]) && v[i] != ',')
			i++;
		if ((has_word(v + s, i - s, "gzip") ||
		     has_word(v + s, i - s, "deflate")) &&
		    d->ncod < HTTP_MAX_CODINGS)
			d->ncod++;
	}
}

/* Decoding ends for this message: the bytes inflated so far are kept. */
static int decode_end(const struct kn_app_env *e, struct hdir *d,
		      const char *event)
{
	if (event != NULL)
		kn_app_report(e, "http", event);
	d->zstop = 1;
	return -1;
}

static int decode_layer(const struct kn_app_env *e, struct hdir *d, int i,
			const uint8_t *p, size_t n);

/* Bytes out of layer i: into the next layer, or, from the last, into
 * d->dec up to max_body. */
static int emit(const struct kn_app_env *e, struct hdir *d, int i,
		const uint8_t *p, size_t n)
{
	size_t room;

	if (n == 0)
		return 0;
	if (i + 1 < d->ncod)
		return decode_layer(e, d, i + 1, p, n);
	room = e->c->max_body > d->dec.len ? e->c->max_body - d->dec.len : 0;
	if (ks_buf_append(&d->dec, p, n < room ? n : room) != KS_OK ||
	    n >= room)
		return decode_end(e, d, NULL);
	return 0;
}

/* Inflate through layer i.  Returns 0 to go on, -1 when decoding ended
 * for the message, 1 when the stream is not deflate. */
static int decode_run(const struct kn_app_env *e, struct hdir *d, int i,
		      const uint8_t *p, size_t n)
{
	struct zlayer *l = &d->zl[i];
	uint8_t tmp[HTTP_ZCHUNK];

	while (n > 0) {
		/* zlib counts in uInt. */
		size_t take = n < (1u << 30) ? n : (1u << 30);

		l->z.next_in = (Bytef *)(uintptr_t)p;
		l->z.avail_in = (uInt)take;
		p += take;
		n -= take;
		do {
			size_t got;
			int rc;

			l->z.next_out = tmp;
			l->z.avail_out = sizeof tmp;
			rc = inflate(&l->z, Z_NO_FLUSH);
			got = sizeof tmp - l->z.avail_out;
			l->out += got;
			d->zwork += got;
			if (emit(e, d, i, tmp, got) != 0)
				return -1;
			/* One deflate layer inflates at most 1032 to 1; more
			 * per wire byte is layers stacked to exhaust us. */
			if (d->zwork > HTTP_BOMB_FLOOR &&
			    d->zwork / HTTP_BOMB_RATIO > d->zin)
				return decode_end(e, d,
						  "http.decompression_bomb");
			if (rc == Z_STREAM_END) {
				/* Bytes after the end of the stream are not
				 * part of it. */
				l->st = Z_END;
				return 0;
			}
			if (rc != Z_OK && rc != Z_BUF_ERROR)
				return 1;
			if (rc == Z_BUF_ERROR && got == 0)
				break;       /* needs more input */
		} while (l->z.avail_in > 0 || l->z.avail_out == 0);
	}
	return 0;
}

/*
 * Feed bytes to layer i, telling its format from the first two: a gzip
 * member (RFC 1952) or a zlib stream (RFC 1950 section 2.2, its header
 * check) are read as such (zlib's automatic header detection), anything
 * else as raw deflate (RFC 1951).  A layer that is not deflate at all (it
 * fails before a byte came out, within its first HTTP_ZFIRST bytes)
 * passes its bytes on unchanged, as libhtp does: a header that names one
 * coding too many, or a body sent plain, is still seen.
 */
static int decode_layer(const struct kn_app_env *e, struct hdir *d, int i,
			const uint8_t *p, size_t n)
{
	struct zlayer *l = &d->zl[i];
	uint64_t before = l->fed;
	size_t k = 0;
	int rc = 0;

	if (l->st == Z_PASS)
		return emit(e, d, i, p, n);
	if (l->st == Z_END)
		return 0;
	if (before < HTTP_ZFIRST) {
		k = HTTP_ZFIRST - (size_t)before < n ?
		    HTTP_ZFIRST - (size_t)before : n;
		memcpy(l->first + before, p, k);
	}
	l->fed += n;
	if (l->st == Z_SNIFF) {
		const uint8_t *h = l->first;
		int wrapped;

		if (l->fed < 2)
			return 0;
		wrapped = (h[0] == 0x1f && h[1] == 0x8b) ||
			  ((h[0] & 0x0f) == 8 &&
			   ((unsigned)h[0] << 8 | h[1]) % 31 == 0);
		if (inflateInit2(&l->z, wrapped ? 15 + 32 : -15) != Z_OK)
			return decode_end(e, d, NULL);
		l->st = Z_RUN;
		/* The byte held back from before, if any. */
		rc = decode_run(e, d, i, l->first, (size_t)before);
	}
	if (rc == 0)
		rc = decode_run(e, d, i, p, n);
	if (rc != 1)
		return rc;
	if (l->out == 0 && before <= HTTP_ZFIRST) {
		inflateEnd(&l->z);
		l->st = Z_PASS;
		if (emit(e, d, i, l->first, (size_t)before + k) != 0)
			return -1;
		return emit(e, d, i, p + k, n - k);
	}
	d->zfail = 1;
	return decode_end(e, d, "http.decompression_failed");
}

/* Body bytes off the wire (NULL: lost ones) for the decoded body. */
static void decode(const struct kn_app_env *e, struct hdir *d,
		   const uint8_t *data, size_t n)
{
	if (d->ncod == 0 || d->zstop || n == 0)
		return;
	if (data == NULL) {
		/* A hole breaks the stream: what came before it stays. */
		d->zstop = 1;
		return;
	}
	if (d->zl == NULL) {
		d->zl = calloc((size_t)d->ncod, sizeof *d->zl);
		if (d->zl == NULL) {
			decode_end(e, d, NULL);
			return;
		}
	}
	d->zin += n;
	decode_layer(e, d, 0, data, n);
}

struct kn_http *kn_http_new(void)
{
	struct kn_http *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	dir_init(&h->d[KN_TO_SERVER], 0);
	dir_init(&h->d[KN_TO_CLIENT], 1);
	return h;
}

static void dir_free(struct hdir *d)
{
	ks_buf_free(&d->head);
	ks_buf_free(&d->norm);
	ks_buf_free(&d->names);
	ks_buf_free(&d->uri);
	ks_buf_free(&d->line);
	ks_buf_free(&d->body);
	ks_buf_free(&d->dec);
	decode_free(d);
	free(d->ans.copy);
	d->ans.copy = NULL;
}

void kn_http_free(struct kn_http *h)
{
	if (h == NULL)
		return;
	dir_free(&h->d[0]);
	dir_free(&h->d[1]);
	for (size_t i = 0; i < h->npend; i++)
		free(h->pend[(h->first + i) % HTTP_MAX_PENDING].copy);
	free(h);
}

/* Empty a buffer for the next message: small ones keep their memory,
 * large ones give it back, so that an idle connection does not hold a
 * large message's worth. */
static void recycle(struct ks_buf *b)
{
	if (b->cap > HTTP_KEEP_BUF)
		ks_buf_free(b);
	else
		ks_buf_reset(b);
}

/* Forget the message read. */
static void dir_next(struct hdir *d)
{
	recycle(&d->head);
	recycle(&d->norm);
	recycle(&d->names);
	recycle(&d->uri);
	recycle(&d->line);
	recycle(&d->body);
	recycle(&d->dec);
	decode_free(d);
	d->st = ST_HEAD;
	d->line_len = d->nlines = 0;
	d->rl_len = d->a_off = d->a_len = d->b_off = d->b_len = 0;
	d->c_off = d->c_len = 0;
	memset(d->f, 0, sizeof d->f);
	d->cur = F_OTHER;
	d->cur_off = 0;
	d->host_port = 0;
	d->minor = 0;
	d->status = 0;
	d->cl_set = d->cl_bad = d->te_set = 0;
	d->te_chunked_last = d->te_chunked_n = 0;
	d->cl = 0;
	d->trailer_len = 0;
	d->left = 0;
	d->truncated = d->holed = d->reported = 0;
	free(d->ans.copy);
	memset(&d->ans, 0, sizeof d->ans);
	d->have_ans = 0;
}

static void stop(struct kn_http *h, const struct kn_app_env *e,
		 const char *event)
{
	if (event != NULL)
		kn_app_report(e, "http", event);
	h->stopped = 1;
	h->d[0].st = h->d[1].st = ST_STOP;
}

static struct kn_slice sl(const struct ks_buf *b, size_t off, size_t len)
{
	struct kn_slice s = { NULL, 0 };

	if (len > 0 && b->data != NULL) {
		s.p = b->data + off;
		s.n = len;
	}
	return s;
}

static struct kn_slice whole(const struct ks_buf *b)
{
	return sl(b, 0, b->len);
}

static struct kn_slice field(const struct hdir *d, int k)
{
	struct kn_slice s = { NULL, 0 };

	if (d->f[k].set)
		s = sl(&d->norm, d->f[k].off, d->f[k].len);
	return s;
}

/* The body as signatures see it: decoded when it has content codings,
 * unless nothing came out of decoding (a body too short to tell its
 * format, or one that failed past its first bytes): then the bytes on
 * the wire. */
static struct kn_slice data_of(const struct hdir *d)
{
	int none = d->ncod == 0 || d->dec.len == 0;

	return sl(none ? &d->body : &d->dec, 0,
		  none ? d->body.len : d->dec.len);
}

static void build_req(const struct hdir *d, uint64_t tx, struct kn_http_req *r)
{
	memset(r, 0, sizeof *r);
	r->tx_id = tx;
	r->request_line = sl(&d->head, 0, d->rl_len);
	r->method = sl(&d->head, d->a_off, d->a_len);
	r->uri = sl(&d->head, d->b_off, d->b_len);
	r->protocol = sl(&d->head, d->c_off, d->c_len);
	r->uri_norm = whole(&d->uri);
	r->host = field(d, F_HOST);
	r->host_port = d->host_port;
	r->user_agent = field(d, F_UA);
	r->referer = field(d, F_REFERER);
	r->content_type = field(d, F_CTYPE);
	r->cookie = field(d, F_COOKIE);
	r->headers = whole(&d->norm);
	r->header_names = whole(&d->names);
	r->body = whole(&d->body);
	r->data = data_of(d);
	r->content_length = d->cl_set && !d->cl_bad ? d->cl : 0;
	r->body_truncated = d->truncated;
}

/* Point a slice at the same bytes in a copied block. */
static void move_slice(struct kn_slice *s, const struct ks_buf *from,
		       uint8_t *to)
{
	if (s->p != NULL)
		s->p = to + (s->p - from->data);
}

static struct kn_http_req *copy_req(const struct hdir *d,
				    const struct kn_http_req *r, size_t *size)
{
	const struct ks_buf *bufs[6] = {
		&d->head, &d->norm, &d->names, &d->uri, &d->body, &d->dec,
	};
	size_t total = sizeof *r;
	struct kn_http_req *c;
	uint8_t *at[6], *q;

	for (int i = 0; i < 6; i++)
		total += bufs[i]->len;
	c = malloc(total);
	if (c == NULL)
		return NULL;
	*c = *r;
	q = (uint8_t *)(c + 1);
	for (int i = 0; i < 6; i++) {
		at[i] = q;
		if (bufs[i]->len > 0)
			memcpy(q, bufs[i]->data, bufs[i]->len);
		q += bufs[i]->len;
	}
	move_slice(&c->request_line, &d->head, at[0]);
	move_slice(&c->method, &d->head, at[0]);
	move_slice(&c->uri, &d->head, at[0]);
	move_slice(&c->protocol, &d->head, at[0]);
	move_slice(&c->host, &d->norm, at[1]);
	move_slice(&c->user_agent, &d->norm, at[1]);
	move_slice(&c->referer, &d->norm, at[1]);
	move_slice(&c->content_type, &d->norm, at[1]);
	move_slice(&c->cookie, &d->norm, at[1]);
	move_slice(&c->headers, &d->norm, at[1]);
	move_slice(&c->header_names, &d->names, at[2]);
	move_slice(&c->uri_norm, &d->uri, at[3]);
	move_slice(&c->body, &d->body, at[4]);
	if (r->data.p == r->body.p)
		c->data = c->body;
	else
		move_slice(&c->data, &d->dec, at[5]);
	*size = total;
	return c;
}

static void report_req(struct kn_http *h, const struct kn_app_env *e,
		       struct hdir *d)
{
	struct kn_http_req r;
	struct pend *pe;
	size_t budget = 2 * (e->c->max_header + e->c->max_body);

	d->reported = 1;
	build_req(d, h->next_req++, &r);
	if (e->cb->http_request != NULL)
		e->cb->http_request(e->cb->ctx, e->f, &r, e->p);
	/* Keep it for the response. */
	if (h->npend == HTTP_MAX_PENDING) {
		pe = &h->pend[h->first];
		h->pend_bytes -= pe->size;
		free(pe->copy);
		h->first = (h->first + 1) % HTTP_MAX_PENDING;
		h->npend--;
		kn_app_report(e, "http", "http.too_many_pending");
	}
	pe = &h->pend[(h->first + h->npend) % HTTP_MAX_PENDING];
	memset(pe, 0, sizeof *pe);
	pe->tx_id = r.tx_id;
	pe->is_head = ieq(r.method.p, r.method.n, "HEAD");
	pe->is_connect = ieq(r.method.p, r.method.n, "CONNECT");
	h->npend++;
	{
		size_t size = 0;
		struct kn_http_req *c = NULL;

		if (h->pend_bytes + sizeof r + d->head.len + d->norm.len +
		    d->names.len + d->uri.len + d->body.len + d->dec.len <=
		    budget)
			c = copy_req(d, &r, &size);
		else
			kn_app_report(e, "http", "http.too_many_pending");
		pe->copy = c;
		pe->size = size;
		h->pend_bytes += size;
	}
}

/* Take the request that response tx answers out of the queue. */
static void take_request(struct kn_http *h, struct hdir *d, uint64_t tx)
{
	while (h->npend > 0) {
		struct pend *pe = &h->pend[h->first];

		if (pe->tx_id > tx)
			break;
		h->first = (h->first + 1) % HTTP_MAX_PENDING;
		h->npend--;
		h->pend_bytes -= pe->size;
		if (pe->tx_id == tx) {
			d->ans = *pe;
			d->have_ans = 1;
			return;
		}
		free(pe->copy);
	}
}

static void report_resp(const struct kn_app_env *e, struct hdir *d)
{
	struct kn_http_resp r;

	d->reported = 1;
	memset(&r, 0, sizeof r);
	r.tx_id = d->tx_id;
	r.status_line = sl(&d->head, 0, d->rl_len);
	r.protocol = sl(&d->head, d->a_off, d->a_len);
	r.status_code = sl(&d->head, d->b_off, d->b_len);
	r.status = d->status;
	r.headers = whole(&d->norm);
	r.content_type = field(d, F_CTYPE);
	r.body = whole(&d->body);
	r.data = data_of(d);
	r.content_length = d->cl_set && !d->cl_bad ? d->cl : 0;
	r.body_truncated = d->truncated;
	if (e->cb->http_response != NULL)
		e->cb->http_response(e->cb->ctx, e->f,
				     d->have_ans ? d->ans.copy : NULL, &r, e->p);
	free(d->ans.copy);
	d->ans.copy = NULL;
}

static void report(struct kn_http *h, const struct kn_app_env *e,
		   struct hdir *d)
{
	if (d->reported)
		return;
	if (d->resp)
		report_resp(e, d);
	else
		report_req(h, e, d);
}

static void done(struct kn_http *h, const struct kn_app_env *e, struct hdir *d)
{
	report(h, e, d);
	dir_next(d);
}

/* Keep body bytes (NULL: lost ones) up to max_body. */
static void keep(struct kn_http *h, const struct kn_app_env *e, struct hdir *d,
		 const uint8_t *data, size_t n)
{
	size_t room = e->c->max_body > d->body.len ?
		      e->c->max_body - d->body.len : 0;

	if (n == 0 || d->reported)
		return;              /* handed on already: only counted now */
	decode(e, d, data, n);
	if (data == NULL)
		d->holed = 1;
	if (d->holed || n > room) {
		if (!d->holed && room > 0)
			ks_buf_append(&d->body, data, room);
		d->truncated = 1;
		/* Past max_body: hand the message on now, the rest of the
		 * body is only counted. */
		report(h, e, d);
		recycle(&d->body);
		return;
	}
	ks_buf_append(&d->body, data, n);
}

/* ---- the head ------------------------------------------------------- */

/* Parse "HTTP/1.x" (RFC 9112 section 2.3); returns the minor digit or -1. */
static int parse_version(const uint8_t *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
		return -1;
	return p[7] - '0';
}

/* Split a start line into three words (section 3: recipients may split on
 * any whitespace); the third takes the rest of the line. */
static int words3(const uint8_t *l, size_t n, size_t off[3], size_t len[3],
		  int rest)
{
	size_t i = 0;

	for (int w = 0; w < 3; w++) {
		while (i < n && is_ows(l[i]))
			i++;
		if (i == n)
			return w;
		off[w] = i;
		if (w == 2 && rest) {
			size_t e = n;

			while (e > i && is_ows(l[e - 1]))
				e--;
			len[w] = e - i;
			return 3;
		}
		while (i < n && !is_ows(l[i]))
			i++;
		len[w] = i - off[w];
	}
	while (i < n && is_ows(l[i]))
		i++;
	return i == n ? 3 : 4;
}

static int start_request(struct hdir *d, const uint8_t *l, size_t n)
{
	size_t off[3] = { 0 }, len[3] = { 0 };

	if (words3(l, n, off, len, 0) != 3)
		return -1;
	for (size_t i = 0; i < len[0]; i++)
		if (!is_tchar(l[off[0] + i]))
			return -1;
	for (size_t i = 0; i < len[1]; i++) {
		uint8_t c = l[off[1] + i];

		if (c <= 0x20 || c == 0x7f)
			return -1;
	}
	d->minor = parse_version(l + off[2], len[2]);
	if (d->minor < 0)
		return -1;
	d->rl_len = n;
	d->a_off = off[0];
	d->a_len = len[0];
	d->b_off = off[1];
	d->b_len = len[1];
	d->c_off = off[2];
	d->c_len = len[2];
	if (kn_http_normalize_uri(l + off[1], len[1], &d->uri) != KS_OK)
		return -1;
	return 0;
}

static int start_response(struct hdir *d, const uint8_t *l, size_t n)
{
	size_t off[3] = { 0 }, len[3] = { 0 };
	int w = words3(l, n, off, len, 1);
	const uint8_t *c;

	if (w < 2)
		return -1;
	d->minor = parse_version(l + off[0], len[0]);
	if (d->minor < 0 || len[1] != 3)
		return -1;
	c = l + off[1];
	for (int i = 0; i < 3; i++)
		if (c[i] < '0' || c[i] > '9')
			return -1;
	if (c[0] == '0')
		return -1;
	d->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
	d->rl_len = n;
	d->a_off = off[0];
	d->a_len = len[0];
	d->b_off = off[1];
	d->b_len = 3;
	return 0;
}

/* Content-Length (RFC 9110 section 8.6): digits, or a list of the same
 * digits; every header the same. */
static void parse_cl(struct hdir *d, const uint8_t *v, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		uint64_t x = 0;
		size_t s;

		while (i < n && is_ows(v[i]))
			i++;
		s = i;
		while (i < n && v[i] >= '0' && v[i] <= '9') {
			if (x > ((uint64_t)1 << 59)) {
				d->cl_bad = 1;
				return;
			}
			x = x * 10 + (uint64_t)(v[i] - '0');
			i++;
		}
		if (i == s) {
			d->cl_bad = 1;
			return;
		}
		while (i < n && is_ows(v[i]))
			i++;
		if (d->cl_set && d->cl != x) {
			d->cl_bad = 1;
			return;
		}
		d->cl_set = 1;
		d->cl = x;
		if (i == n)
			return;
		if (v[i] != ',') {
			d->cl_bad = 1;
			return;
		}
		i++;
	}
}

/* Transfer-Encoding (RFC 9112 section 6.1): the codings in order; only
 * whether chunked comes last, and how often, matters for framing. */
static void parse_te(struct hdir *d, const uint8_t *v, size_t n)
{
	size_t i = 0;

	d->te_set = 1;
	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',' && v[i] != ';' && !is_ows(v[i]))
			i++;
		e = i;
		while (i < n && v[i] != ',')
			i++;
		if (e == s)
			continue;
		if (ieq(v + s, e - s, "chunked")) {
			d->te_chunked_n++;
			d->te_chunked_last = 1;
		} else {
			d->te_chunked_last = 0;
		}
	}
}

/* Host (RFC 9110 section 7.2): uri-host [ ":" port ], an IPv6 literal in
 * brackets.  Returns -1 when it is not that. */
static int parse_host(struct hdir *d, size_t off, size_t n)
{
	const uint8_t *v = d->norm.data + off;
	size_t hl = n, i;
	uint32_t port = 0;

	if (n > 0 && v[0] == '[') {
		const uint8_t *rb = memchr(v, ']', n);

		if (rb == NULL)
			return -1;
		hl = (size_t)(rb - v) + 1;
		if (hl < n && v[hl] != ':')
			return -1;
	} else {
		const uint8_t *co = memchr(v, ':', n);

		if (co != NULL)
			hl = (size_t)(co - v);
	}
	d->f[F_HOST].len = hl;
	for (i = hl + 1; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		port = port * 10 + (uint32_t)(v[i] - '0');
		if (port > 65535)
			return -1;
	}
	d->host_port = (uint16_t)port;
	for (i = 0; i < hl; i++)
		if (v[i] <= 0x20 || v[i] == 0x7f || v[i] == '/' || v[i] == '@')
			return -1;
	return 0;
}

static int kind_of(const uint8_t *name, size_t n)
{
	static const char *const names[F_OTHER] = {
		"host", "user-agent", "referer", "content-type", "cookie",
		"content-length", "transfer-encoding", "content-encoding",
	};

	for (int k = 0; k < F_OTHER; k++)
		if (ieq(name, n, names[k]))
			return k;
	return F_OTHER;
}

/* The field whose value ends norm is complete: note what it says. */
static int close_field(struct hdir *d)
{
	size_t off = d->cur_off, n = d->norm.len - d->cur_off;
	int k = d->cur, bad = 0;

	/* Trailing whitespace of a value folded over lines. */
	while (n > 0 && is_ows(d->norm.data[off + n - 1]))
		n--;
	d->norm.len = off + n;
	if (k < F_KEPT && !d->f[k].set) {
		d->f[k].set = 1;
		d->f[k].off = off;
		d->f[k].len = n;
		if (k == F_HOST && parse_host(d, off, n) != 0) {
			d->f[k].len = n;
			d->host_port = 0;
			bad = 1;
		}
	} else if (k == F_CL) {
		parse_cl(d, d->norm.data + off, n);
	} else if (k == F_TE) {
		parse_te(d, d->norm.data + off, n);
	} else if (k == F_CE) {
		parse_ce(d, d->norm.data + off, n);
	}
	d->cur = F_OTHER;
	ks_buf_append(&d->norm, "\r\n", 2);
	return bad;
}

/*
 * Parse the complete head in d->head.  Returns NULL when it is well
 * formed, else the anomaly that stops the parser.
 */
static const char *parse_head(struct hdir *d, int *host_bad)
{
	const uint8_t *p = d->head.data, *end = p + d->head.len;
	int first = 1, open = 0;

	*host_bad = 0;
	ks_buf_putc(&d->names, '\r');
	ks_buf_putc(&d->names, '\n');
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\r', n) != NULL)
			return "http.bare_cr";
		if (first) {
			first = 0;
			if (d->resp ? start_response(d, p, n) :
				      start_request(d, p, n))
				return d->resp ? "http.response_line_invalid" :
						 "http.request_line_invalid";
		} else if (n == 0) {
			break;
		} else if (is_ows(p[0])) {
			/* obs-fold (RFC 9112 section 5.2). */
			size_t s = 0;

			if (!d->resp)
				return "http.obs_fold";
			if (!open)
				return "http.header_invalid";
			while (s < n && is_ows(p[s]))
				s++;
			ks_buf_putc(&d->norm, ' ');
			ks_buf_append(&d->norm, p + s, n - s);
		} else {
			const uint8_t *co = memchr(p, ':', n);
			size_t nl_ = co != NULL ? (size_t)(co - p) : 0, s;

			if (co == NULL || nl_ == 0)
				return "http.header_invalid";
			for (size_t i = 0; i < nl_; i++)
				if (!is_tchar(p[i]))
					return "http.header_invalid";
			for (size_t i = nl_ + 1; i < n; i++)
				if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
					return "http.header_invalid";
			if (open && close_field(d))
				*host_bad = 1;
			open = 1;
			ks_buf_append(&d->norm, p, nl_);
			ks_buf_append(&d->norm, ": ", 2);
			ks_buf_append(&d->names, p, nl_);
			ks_buf_append(&d->names, "\r\n", 2);
			s = nl_ + 1;
			while (s < n && is_ows(p[s]))
				s++;
			d->cur = kind_of(p, nl_);
			d->cur_off = d->norm.len;
			ks_buf_append(&d->norm, p + s, n - s);
		}
		p = nl + 1;
	}
	if (open && close_field(d))
		*host_bad = 1;
	ks_buf_putc(&d->names, '\r');
	ks_buf_putc(&d->names, '\n');
	return NULL;
}

/* A body of known length: its buffer is made once, at the size kept. */
static void reserve_body(const struct kn_app_env *e, struct hdir *d)
{
	uint64_t want = d->cl < e->c->max_body ? d->cl : e->c->max_body;

	if (want > 0)
		ks_buf_reserve(&d->body, (size_t)want);
}

/* The head is complete: parse it and choose how the body is framed
 * (RFC 9112 section 6.3). */
static void head_done(struct kn_http *h, const struct kn_app_env *e,
		      struct hdir *d)
{
	int host_bad;
	const char *bad = parse_head(d, &host_bad);

	if (bad != NULL) {
		stop(h, e, bad);
		return;
	}
	if (host_bad)
		kn_app_report(e, "http", "http.host_invalid");
	if (d->te_set && (d->minor == 0 || d->te_chunked_n > 1 ||
			  (!d->resp && !d->te_chunked_last))) {
		stop(h, e, "http.invalid_transfer_encoding");
		return;
	}
	if (d->te_set && d->cl_set)
		kn_app_report(e, "http",
			      "http.content_length_and_transfer_encoding");
	else if (d->cl_bad) {
		stop(h, e, "http.invalid_content_length");
		return;
	}
	if (!d->resp) {
		if (d->minor >= 1 && !d->f[F_HOST].set)
			kn_app_report(e, "http", "http.missing_host");
		if (d->te_set)
			d->st = ST_CHUNK_SIZE;
		else if (d->cl_set && d->cl > 0) {
			d->st = ST_BODY_LEN;
			d->left = d->cl;
			reserve_body(e, d);
		} else {
			done(h, e, d);
		}
		return;
	}
	/* A response. */
	if (d->status < 200) {
		if (d->status == 101) {
			d->tx_id = h->next_resp++;
			take_request(h, d, d->tx_id);
			report(h, e, d);
			stop(h, e, NULL);   /* another protocol from here on */
			return;
		}
		/* Interim: skip it; the final response follows. */
		dir_next(d);
		return;
	}
	d->tx_id = h->next_resp++;
	take_request(h, d, d->tx_id);
	if (d->have_ans && d->ans.is_connect && d->status < 300) {
		report(h, e, d);
		stop(h, e, NULL);           /* a tunnel */
		return;
	}
	if ((d->have_ans && d->ans.is_head) || d->status == 204 ||
	    d->status == 304)
		done(h, e, d);
	else if (d->te_set && d->te_chunked_last)
		d->st = ST_CHUNK_SIZE;
	else if (d->te_set)
		d->st = ST_BODY_CLOSE;
	else if (d->cl_set) {
		if (d->cl == 0) {
			done(h, e, d);
		} else {
			d->st = ST_BODY_LEN;
			d->left = d->cl;
			reserve_body(e, d);
		}
	} else {
		d->st = ST_BODY_CLOSE;
	}
}

/* Read head bytes; returns how many were used (the head ends at the LF
 * of its empty line). */
static size_t head_bytes(struct kn_http *h, const struct kn_app_env *e,
			 struct hdir *d, const uint8_t *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const uint8_t *nl = memchr(data + i, '\n', len - i);
		size_t seg = nl != NULL ? (size_t)(nl - data) + 1 - i : len - i;
		size_t content = d->line_len + seg - (nl != NULL ? 1 : 0);
		int empty = 0;

		if (nl != NULL) {
			/* An empty line: nothing, or a CR, before the LF. */
			if (content == 0)
				empty = 1;
			else if (content == 1)
				empty = seg >= 2 ? data[i + seg - 2] == '\r' :
					d->head.len > 0 &&
					d->head.data[d->head.len - 1] == '\r';
			if (empty && d->nlines == 0) {
				/* Before a start line (RFC 9112 section 2.2). */
				ks_buf_reset(&d->head);
				d->line_len = 0;
				i += seg;
				continue;
			}
		}
		if (d->head.len + seg > e->c->max_header) {
			stop(h, e, d->resp ? "http.response_too_long" :
					     "http.request_too_long");
			return len;
		}
		ks_buf_append(&d->head, data + i, seg);
		i += seg;
		if (nl == NULL) {
			d->line_len = content;
			break;
		}
		d->line_len = 0;
		if (empty) {
			head_done(h, e, d);
			return i;
		}
		d->nlines++;
	}
	return i;
}

/* Read a line into d->line; returns 1 when one is complete (its LF used
 * and dropped, a CR before it too), with *used the bytes taken. */
static int line_bytes(struct kn_http *h, const struct kn_app_env *e,
		      struct hdir *d, const uint8_t *data, size_t len,
		      size_t *used)
{
	const uint8_t *nl = memchr(data, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - data) : len;

	*used = nl != NULL ? n + 1 : n;
	if (ks_buf_append(&d->line, data, n) != KS_OK) {
		stop(h, e, "http.invalid_chunk");
		*used = len;
		return 0;
	}
	if (nl == NULL)
		return 0;
	if (d->line.len > 0 && d->line.data[d->line.len - 1] == '\r')
		d->line.len--;
	return 1;
}

/*
 * chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1), read as
 * HTTP parsers in the field read it: whitespace before the size (SP, HTAB,
 * VT, FF, CR) is skipped, the leading hex digits are the size and
 * whatever follows them
 * (an extension, or junk such as "fx" or "f\0") is ignored.  A line
 * without a hex digit first, or a size past 2^60, is refused.
 */
static int chunk_size(const struct ks_buf *l, uint64_t *size)
{
	size_t i = 0, s;
	uint64_t x = 0;

	while (i < l->len && (is_ows(l->data[i]) || l->data[i] == '\v' ||
			      l->data[i] == '\f' || l->data[i] == '\r'))
		i++;
	s = i;
	while (i < l->len && ks_hexval(l->data[i]) >= 0) {
		if (x >> 56)
			return -1;
		x = x << 4 | (uint64_t)ks_hexval(l->data[i]);
		i++;
	}
	if (i == s)
		return -1;
	*size = x;
	return 0;
}

static void dir_data(struct kn_http *h, const struct kn_app_env *e,
		     struct hdir *d, const uint8_t *data, size_t len)
{
	while (len > 0 && d->st != ST_STOP) {
		size_t used = 0, n;

		switch (d->st) {
		case ST_HEAD:
			used = head_bytes(h, e, d, data, len);
			break;
		case ST_BODY_LEN:
		case ST_CHUNK_DATA:
			n = len < d->left ? len : (size_t)d->left;
			keep(h, e, d, data, n);
			used = n;
			d->left -= n;
			if (d->left == 0) {
				if (d->st == ST_BODY_LEN)
					done(h, e, d);
				else
					d->st = ST_CHUNK_END;
			}
			break;
		case ST_BODY_CLOSE:
			keep(h, e, d, data, len);
			used = len;
			break;
		case ST_CHUNK_SIZE:
		case ST_CHUNK_END:
		case ST_TRAILER:
			if (!line_bytes(h, e, d, data, len, &used))
				break;
			if (d->st == ST_CHUNK_SIZE) {
				uint64_t sz;

				if (chunk_size(&d->line, &sz) != 0) {
					stop(h, e, "http.invalid_chunk");
					break;
				}
				d->st = sz > 0 ? ST_CHUNK_DATA : ST_TRAILER;
				d->left = sz;
			} else if (d->st == ST_CHUNK_END) {
				if (d->line.len != 0) {
					stop(h, e, "http.invalid_chunk");
					break;
				}
				d->st = ST_CHUNK_SIZE;
			} else if (d->line.len == 0) {
				done(h, e, d);
				break;
			} else {
				/* A trailer field: read, not kept. */
				d->trailer_len += d->line.len;
				if (d->trailer_len > e->c->max_header) {
					stop(h, e, d->resp ?
					     "http.response_too_long" :
					     "http.request_too_long");
					break;
				}
			}
			ks_buf_reset(&d->line);
			break;
		default:
			used = len;
			break;
		}
		data += used;
		len -= used;
	}
}

/* Bytes lost: a body of known length can go on past them; anywhere else
 * the next message cannot be found, and this direction stops. */
static void dir_gap(struct kn_http *h, const struct kn_app_env *e,
		    struct hdir *d, size_t len)
{
	switch (d->st) {
	case ST_BODY_LEN:
	case ST_CHUNK_DATA:
		if (len <= d->left) {
			keep(h, e, d, NULL, len);
			d->left -= len;
			if (d->left == 0) {
				if (d->st == ST_BODY_LEN)
					done(h, e, d);
				else
					d->st = ST_CHUNK_END;
			}
			return;
		}
		break;
	case ST_BODY_CLOSE:
		keep(h, e, d, NULL, len);
		return;
	default:
		break;
	}
	if (d->st != ST_STOP && d->st != ST_HEAD) {
		d->truncated = 1;
		report(h, e, d);
	}
	d->st = ST_STOP;
}

void kn_http_data(struct kn_http *h, const struct kn_app_env *e, int dir,
		  const uint8_t *data, size_t len)
{
	struct hdir *d;

	if (h == NULL || h->stopped || dir < 0 || dir > 1)
		return;
	d = &h->d[dir];
	if (data == NULL)
		dir_gap(h, e, d, len);
	else
		dir_data(h, e, d, data, len);
}

void kn_http_end(struct kn_http *h, const struct kn_app_env *e)
{
	if (h == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		struct hdir *d = &h->d[i];

		if (d->st == ST_HEAD || d->st == ST_STOP)
			continue;
		/* A body read until the close is complete; any other was
		 * cut short. */
		if (d->st != ST_BODY_CLOSE)
			d->truncated = 1;
		report(h, e, d);
		d->st = ST_STOP;
	}
}

/* ---- request-target normalization ------------------------------------ */

/* RFC 3986 section 2.3. */
static int unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Decode the percent-encodings of unreserved characters and write the
 * others with upper-case digits (RFC 3986 sections 6.2.2.1-2). */
static void pct_normalize(const uint8_t *s, size_t n, uint8_t *out, size_t *on)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && ks_hexval(s[i + 1]) >= 0 &&
		    ks_hexval(s[i + 2]) >= 0) {
			int v = ks_hexval(s[i + 1]) << 4 | ks_hexval(s[i + 2]);

			if (unreserved(v)) {
				out[o++] = (uint8_t)v;
			} else {
				out[o++] = '%';
				out[o++] = (uint8_t)hex[v >> 4];
				out[o++] = (uint8_t)hex[v & 15];
			}
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	*on = o;
}

static int starts(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	return n >= l && memcmp(p, s, l) == 0;
}

static int equals(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* remove_dot_segments (RFC 3986 section 5.2.4), in place: the output
 * never grows past the input read so far.  Returns the new length. */
static size_t remove_dots(uint8_t *b, size_t n)
{
	size_t r = 0, w = 0;

	while (r < n) {
		uint8_t *in = b + r;
		size_t rem = n - r;

		if (starts(in, rem, "../")) {
			r += 3;
		} else if (starts(in, rem, "./")) {
			r += 2;
		} else if (starts(in, rem, "/./")) {
			r += 2;
		} else if (equals(in, rem, "/.")) {
			r += 1;
			b[r] = '/';
		} else if (starts(in, rem, "/../") || equals(in, rem, "/..")) {
			if (rem == 3) {
				r += 2;
				b[r] = '/';
			} else {
				r += 3;
			}
			while (w > 0 && b[w - 1] != '/')
				w--;
			if (w > 0)
				w--;
		} else if (equals(in, rem, ".") || equals(in, rem, "..")) {
			r = n;
		} else {
			do {
				b[w++] = b[r++];
			} while (r < n && b[r] != '/');
		}
	}
	return w;
}

enum ks_status kn_http_normalize_uri(const uint8_t *u, size_t n,
				     struct ks_buf *out)
{
	size_t i = 0, start, path_end, pn, qn;
	enum ks_status st;

	if (n == 0 || equals(u, n, "*") || (u[0] != '/' && memchr(u, '/', n) == NULL))
		return ks_buf_append(out, u, n);   /* asterisk or authority form */
	if (u[0] != '/') {
		/* absolute-form: scheme "://" authority, kept as it is. */
		const uint8_t *sep = NULL;

		for (i = 0; i < n; i++) {
			uint8_t c = u[i];

			if (c == ':') {
				sep = u + i;
				break;
			}
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
					 c == '-' || c == '.'))))
				break;
		}
		if (sep == NULL || !starts(sep, n - i, "://"))
			return ks_buf_append(out, u, n);
		i += 3;
		while (i < n && u[i] != '/' && u[i] != '?' && u[i] != '#')
			i++;
	}
	st = ks_buf_append(out, u, i);
	if (st != KS_OK)
		return st;
	path_end = i;
	while (path_end < n && u[path_end] != '?' && u[path_end] != '#')
		path_end++;
	st = ks_buf_reserve(out, n - i);
	if (st != KS_OK)
		return st;
	start = out->len;
	pct_normalize(u + i, path_end - i, out->data + start, &pn);
	pn = remove_dots(out->data + start, pn);
	pct_normalize(u + path_end, n - path_end, out->data + start + pn, &qn);
	out->len = start + pn + qn;
	out->data[out->len] = '\0';
	return KS_OK;
}

int kn_http_absolute_url(const struct kn_http_req *r, const struct kn_flow *fl,
			 struct ks_buf *out)
{
	char a[64];
	unsigned port = r->host_port;
	size_t start = out->len, host;
	enum ks_status st;

	if (r->uri.n > 0 && r->uri.p[0] != '/')
		return ks_buf_append(out, r->uri.p, r->uri.n) == KS_OK ? 0 : -1;
	if (r->host.n > 512)
		return -1;
	st = ks_buf_puts(out, "http://");
	host = out->len;
	if (st == KS_OK && r->host.n > 0) {
		st = ks_buf_append(out, r->host.p, r->host.n);
	} else if (st == KS_OK && fl != NULL && fl->srv.family != 0) {
		kn_addr_str(&fl->srv, a);
		st = ks_buf_printf(out, fl->srv.family == 6 ? "[%s]" : "%s", a);
		port = fl->sport;
	} else if (st == KS_OK) {
		out->len = start;
		return -1;
	}
	if (st == KS_OK)
		for (size_t i = host; i < out->len; i++)
			if (out->data[i] >= 'A' && out->data[i] <= 'Z')
				out->data[i] = (uint8_t)(out->data[i] + 32);
	if (st == KS_OK && port != 0 && port != 80)
		st = ks_buf_printf(out, ":%u", port);
	if (st == KS_OK && r->uri.n > 0)
		st = ks_buf_append(out, r->uri.p, r->uri.n);
	if (st != KS_OK) {
		out->len = start;
		return -1;
	}
	return 0;
}
