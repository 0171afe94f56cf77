/*
 * The Suricata rule dialect (docs.suricata.io, "Rules": "Rules format",
 * "Meta keywords", "Payload keywords", "HTTP keywords", "Flow keywords",
 * "Flowbits", "Thresholding", "Transformations"), versions 5 to 7.
 *
 *   action proto src_addr src_port direction dst_addr dst_port (options)
 *
 * Options are "name;" or "name:value;".  A value runs to the first ';'
 * that is not escaped by a backslash (quotes do not protect a ';', as in
 * Suricata); inside quoted values (msg, content) the escapes are \" \;
 * \\ and \:, and any other backslash is an error.  Content strings hold
 * "|41 42|" hex runs.
 *
 * Payload keywords (content, pcre, byte_test, byte_jump, isdataat, bsize)
 * become sigmatches tagged with the buffer in force: the sticky buffer
 * named last ("http.uri; content:..."), or the payload.  The older
 * modifiers ("content:...; http_uri;") move the content before them.
 */
#include "ids/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids/vars.h"
#include "net/pkt.h"

struct pctx {
	struct ki_rule *r;
	const struct ki_parse_env *env;
	int buf;                     /* sticky buffer in force, -1: payload */
	int last;                    /* last content or pcre, -1: none */
	size_t capsm;
	const char *kw;
	char *kwbuf;
	struct ks_err *err;
	int has_sid, has_class, has_prio;
};

/* ---- buffers ---------------------------------------------------------------------- */

static const struct {
	const char *sticky;          /* "http.uri" */
	const char *legacy;          /* a content modifier, or NULL */
	const char *legacy_sticky;   /* an old sticky name, or NULL */
	int buf;
} bufs[] = {
	{ "http.uri", "http_uri", NULL, KI_B_HTTP_URI },
	{ "http.uri.raw", "http_raw_uri", NULL, KI_B_HTTP_URI_RAW },
	{ "http.host", "http_host", NULL, KI_B_HTTP_HOST },
	{ "http.host.raw", "http_raw_host", NULL, KI_B_HTTP_HOST_RAW },
	{ "http.method", "http_method", NULL, KI_B_HTTP_METHOD },
	{ "http.user_agent", "http_user_agent", NULL, KI_B_HTTP_UA },
	{ "http.request_line", NULL, "http_request_line", KI_B_HTTP_REQUEST_LINE },
	{ "http.protocol", NULL, "http_protocol", KI_B_HTTP_PROTOCOL },
	{ "http.referer", NULL, "http_referer", KI_B_HTTP_REFERER },
	{ "http.accept", NULL, "http_accept", KI_B_HTTP_ACCEPT },
	{ "http.accept_enc", NULL, "http_accept_enc", KI_B_HTTP_ACCEPT_ENC },
	{ "http.accept_lang", NULL, "http_accept_lang", KI_B_HTTP_ACCEPT_LANG },
	{ "http.header", "http_header", NULL, KI_B_HTTP_HEADER },
	{ "http.header.raw", "http_raw_header", NULL, KI_B_HTTP_HEADER_RAW },
	{ "http.header_names", NULL, "http_header_names", KI_B_HTTP_HEADER_NAMES },
	{ "http.cookie", "http_cookie", NULL, KI_B_HTTP_COOKIE },
	{ "http.content_type", "http_content_type", NULL, KI_B_HTTP_CONTENT_TYPE },
	{ "http.content_len", "http_content_len", NULL, KI_B_HTTP_CONTENT_LEN },
	{ "http.connection", NULL, "http_connection", KI_B_HTTP_CONNECTION },
	{ "http.start", NULL, "http_start", KI_B_HTTP_START },
	{ "file.data", NULL, "file_data", KI_B_FILE_DATA },
	{ "http.request_body", "http_client_body", NULL, KI_B_HTTP_REQUEST_BODY },
	{ "http.stat_code", "http_stat_code", NULL, KI_B_HTTP_STAT_CODE },
	{ "http.stat_msg", "http_stat_msg", NULL, KI_B_HTTP_STAT_MSG },
	{ "http.response_line", NULL, "http_response_line", KI_B_HTTP_RESPONSE_LINE },
	{ "http.response_body", "http_server_body", NULL, KI_B_HTTP_RESPONSE_BODY },
	{ "http.server", NULL, "http_server", KI_B_HTTP_SERVER },
	{ "http.location", NULL, "http_location", KI_B_HTTP_LOCATION },
	{ "dns.query", NULL, "dns_query", KI_B_DNS_QUERY },
	{ "tls.sni", NULL, "tls_sni", KI_B_TLS_SNI },
	{ "tls.cert_subject", NULL, "tls_cert_subject", KI_B_TLS_CERT_SUBJECT },
	{ "tls.cert_issuer", NULL, "tls_cert_issuer", KI_B_TLS_CERT_ISSUER },
	{ "tls.cert_serial", NULL, "tls_cert_serial", KI_B_TLS_CERT_SERIAL },
};

const char *ki_buf_name(int b)
{
	if (KI_BUF_BASE(b) == KI_B_PAYLOAD)
		return "payload";
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		if (bufs[i].buf == KI_BUF_BASE(b))
			return bufs[i].sticky;
	return "?";
}

int ki_buf_is_http(int b)
{
	b = KI_BUF_BASE(b);
	return b >= KI_B_HTTP_URI && b <= KI_B_HTTP_LOCATION;
}

int ki_buf_is_http_either(int b)
{
	b = KI_BUF_BASE(b);
	return b >= KI_B_HTTP_HEADER && b <= KI_B_HTTP_REQUEST_BODY;
}

int ki_buf_is_http_resp_only(int b)
{
	b = KI_BUF_BASE(b);
	return b >= KI_B_HTTP_STAT_CODE && b <= KI_B_HTTP_LOCATION;
}

/* ---- helpers ---------------------------------------------------------------------- */

static enum ks_status refuse(struct pctx *c, const char *kw, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum ks_status refuse(struct pctx *c, const char *kw, const char *fmt, ...)
{
	va_list ap;
	char m[KS_ERR_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	c->kw = kw;
	return ks_err_set(c->err, KS_ERR_UNSUPPORTED, "%s", m);
}

static enum ks_status syntax(struct pctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum ks_status syntax(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	char m[KS_ERR_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	c->kw = "(syntax)";
	return ks_err_set(c->err, KS_ERR_INVALID, "%s", m);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A decimal integer in [lo, hi]; 0 or -1. */
static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static enum ks_status unquote_x(struct pctx *c, char *v, const char *what,
				char **out, int keep_escapes, int lenient);

/* Take a quoted value: strip the quotes and undo the escapes.  The result
 * is written over the value; *len its length (it may hold NULs only from
 * hex in content, which is decoded later). */
static enum ks_status unquote(struct pctx *c, char *v, const char *what,
			      char **out, int keep_escapes)
{
	return unquote_x(c, v, what, out, keep_escapes, 0);
}

static enum ks_status unquote_x(struct pctx *c, char *v, const char *what,
				char **out, int keep_escapes, int lenient)
{
	size_t n = strlen(v);
	char *o, *p;

	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return syntax(c, "%s wants a quoted string", what);
	v[n - 1] = '\0';
	v++;
	if (keep_escapes) {
		*out = v;
		return KS_OK;
	}
	for (p = o = v; *p != '\0'; p++) {
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != ';' && *p != '\\' && *p != ':' &&
			    *p != '|') {
				/* A message is text for people: an unknown
				 * escape stays as written. */
				if (!lenient || *p == '\0')
					return syntax(c, "%s: bad escape '\\%c'",
						      what, *p ? *p : ' ');
				*o++ = '\\';
			}
			*o++ = *p;
		} else if (*p == '"') {
			return syntax(c, "%s: unescaped '\"' inside the string",
				      what);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	*out = v;
	return KS_OK;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static struct ki_sm *new_sm(struct pctx *c, int kind)
{
	struct ki_rule *r = c->r;
	struct ki_sm *sm;

	if (r->nsm >= KI_MAX_OPTIONS)
		return NULL;
	if (r->nsm == c->capsm) {
		size_t nc = c->capsm ? c->capsm * 2 : 8;
		struct ki_sm *n = realloc(r->sm, nc * sizeof *n);

		if (n == NULL)
			return NULL;
		r->sm = n;
		c->capsm = nc;
	}
	sm = &r->sm[r->nsm++];
	memset(sm, 0, sizeof *sm);
	sm->kind = (uint8_t)kind;
	sm->buf = (uint8_t)(c->buf < 0 ? KI_B_PAYLOAD : c->buf);
	return sm;
}

static struct ki_sm *last_content(struct pctx *c, const char *kw)
{
	if (c->last < 0 || c->r->sm[c->last].kind != KI_SM_CONTENT) {
		syntax(c, "%s must follow a content", kw);
		return NULL;
	}
	return &c->r->sm[c->last];
}

/* ---- options: meta ------------------------------------------------------------------ */

static enum ks_status o_msg(struct pctx *c, char *v)
{
	char *s = NULL;
	enum ks_status st = unquote_x(c, v, "msg", &s, 0, 1);

	if (st != KS_OK)
		return st;
	free(c->r->msg);
	c->r->msg = strdup(s);
	return c->r->msg ? KS_OK : refuse(c, "(limit)", "out of memory");
}

static enum ks_status o_u32(struct pctx *c, const char *kw, char *v,
			    uint32_t *out, long long lo)
{
	long long n;

	if (parse_int(v, lo, UINT32_MAX, &n) != 0)
		return syntax(c, "%s wants a number, not '%s'", kw, v);
	*out = (uint32_t)n;
	return KS_OK;
}

static enum ks_status o_sid(struct pctx *c, char *v)
{
	return o_u32(c, "sid", v, &c->r->sid, 1);
}

static enum ks_status o_rev(struct pctx *c, char *v)
{
	return o_u32(c, "rev", v, &c->r->rev, 0);
}

static enum ks_status o_gid(struct pctx *c, char *v)
{
	return o_u32(c, "gid", v, &c->r->gid, 0);
}

static enum ks_status o_classtype(struct pctx *c, char *v)
{
	int prio;
	const char *name;

	v = trim(v);
	if (ki_classes_get(c->env->classes, v, &prio, &name) == NULL)
		return refuse(c, "classtype", "unknown classtype '%s' (not in "
			      "the classification table)", v);
	c->r->class_name = name;
	c->r->class_desc = ki_classes_get(c->env->classes, v, NULL, NULL);
	if (!c->has_prio)
		c->r->priority = prio;
	c->has_class = 1;
	return KS_OK;
}

static enum ks_status o_priority(struct pctx *c, char *v)
{
	long long n;

	if (parse_int(v, 1, 255, &n) != 0)
		return syntax(c, "priority wants 1 to 255, not '%s'", v);
	c->r->priority = (int)n;
	c->has_prio = 1;
	return KS_OK;
}

/* "key value, key value": the value keeps its inner spaces. */
static enum ks_status o_metadata(struct pctx *c, char *v)
{
	char *save = NULL, *item;

	for (item = strtok_r(v, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		char *k = trim(item), *sp;
		struct ki_meta *m;

		if (*k == '\0')
			continue;
		if (c->r->nmeta >= 64)
			break;
		sp = k + strcspn(k, " \t");
		m = realloc(c->r->meta, (c->r->nmeta + 1) * sizeof *m);
		if (m == NULL)
			return refuse(c, "(limit)", "out of memory");
		c->r->meta = m;
		m = &m[c->r->nmeta];
		if (*sp != '\0') {
			*sp++ = '\0';
			m->value = strdup(trim(sp));
		} else {
			m->value = strdup("");
		}
		m->key = strdup(k);
		c->r->nmeta++;
		if (m->key == NULL || m->value == NULL)
			return refuse(c, "(limit)", "out of memory");
	}
	return KS_OK;
}

static enum ks_status o_target(struct pctx *c, char *v)
{
	v = trim(v);
	if (strcmp(v, "src_ip") == 0)
		c->r->target = 1;
	else if (strcmp(v, "dest_ip") == 0)
		c->r->target = 2;
	else
		return syntax(c, "target is src_ip or dest_ip, not '%s'", v);
	return KS_OK;
}

/* ---- options: content and its modifiers ----------------------------------------------- */

/* content:[!]"text|hex|text": escapes and hex runs are read in one
 * pass, so that an escaped '|' is a byte and not a hex delimiter. */
static enum ks_status o_content(struct pctx *c, char *v)
{
	struct ki_sm *sm;
	int neg = 0, in_hex = 0, hi = -1;
	uint8_t *pat;
	size_t n = 0, vl;
	const char *s;

	v = trim(v);
	if (*v == '!') {
		neg = 1;
		v = trim(v + 1);
	}
	vl = strlen(v);
	if (vl < 2 || v[0] != '"' || v[vl - 1] != '"')
		return syntax(c, "content wants a quoted string");
	v[vl - 1] = '\0';
	pat = malloc(vl);
	if (pat == NULL)
		return refuse(c, "(limit)", "out of memory");
	for (s = v + 1; *s != '\0'; s++) {
		const char *why = NULL;

		if (*s == '|') {
			if (in_hex && hi >= 0)
				why = "odd number of hex digits";
			in_hex = !in_hex;
		} else if (in_hex) {
			if (isspace((unsigned char)*s))
				continue;
			if (hexval(*s) < 0)
				why = "a character that is not hex in a |hex| run";
			else if (hi < 0)
				hi = hexval(*s);
			else {
				pat[n++] = (uint8_t)(hi << 4 | hexval(*s));
				hi = -1;
			}
		} else if (*s == '\\') {
			s++;
			if (*s != '"' && *s != ';' && *s != '\\' && *s != ':' &&
			    *s != '|')
				why = "bad escape";
			else
				pat[n++] = (uint8_t)*s;
		} else if (*s == '"') {
			why = "unescaped '\"' inside the string";
		} else {
			pat[n++] = (uint8_t)*s;
		}
		if (why != NULL) {
			free(pat);
			return syntax(c, "content: %s", why);
		}
	}
	if (in_hex) {
		free(pat);
		return syntax(c, "content: '|' not closed");
	}
	if (n == 0 || n > KI_MAX_CONTENT) {
		free(pat);
		return syntax(c, "content: %s pattern", n ? "too long a" : "empty");
	}
	sm = new_sm(c, KI_SM_CONTENT);
	if (sm == NULL) {
		free(pat);
		return refuse(c, "(limit)", "too many options");
	}
	sm->u.c.pat = pat;
	sm->u.c.len = (uint32_t)n;
	if (neg)
		sm->flags |= KI_F_NEGATED;
	c->last = (int)(c->r->nsm - 1);
	return KS_OK;
}

static enum ks_status o_nocase(struct pctx *c, char *v)
{
	struct ki_sm *sm = last_content(c, "nocase");

	(void)v;
	if (sm == NULL)
		return KS_ERR_INVALID;
	sm->flags |= KI_F_NOCASE;
	return KS_OK;
}

static enum ks_status o_rawbytes(struct pctx *c, char *v)
{
	(void)v;
	/* rawbytes has no effect in Suricata either: payloads are not
	 * normalized. */
	return last_content(c, "rawbytes") ? KS_OK : KS_ERR_INVALID;
}

static enum ks_status o_position(struct pctx *c, const char *kw, char *v,
				 int flag)
{
	struct ki_sm *sm = last_content(c, kw);
	long long n;
	long long lo = flag == KI_F_DISTANCE ? -KI_MAX_CONTENT * 16LL : 0;

	if (sm == NULL)
		return KS_ERR_INVALID;
	v = trim(v);
	if (isalpha((unsigned char)*v) || *v == '_')
		return refuse(c, "byte_extract", "%s: byte_extract variables "
			      "are not supported", kw);
	if (parse_int(v, lo, 1 << 24, &n) != 0)
		return syntax(c, "%s wants a number, not '%s'", kw, v);
	if (sm->flags & flag)
		return syntax(c, "%s given twice for one content", kw);
	sm->flags |= (uint16_t)flag;
	switch (flag) {
	case KI_F_OFFSET: sm->u.c.offset = (int32_t)n; break;
	case KI_F_DEPTH: sm->u.c.depth = (int32_t)n; break;
	case KI_F_DISTANCE: sm->u.c.distance = (int32_t)n;
		sm->flags |= KI_F_RELATIVE; break;
	case KI_F_WITHIN: sm->u.c.within = (int32_t)n;
		sm->flags |= KI_F_RELATIVE; break;
	}
	if ((sm->flags & (KI_F_OFFSET | KI_F_DEPTH)) &&
	    (sm->flags & (KI_F_DISTANCE | KI_F_WITHIN)))
		return syntax(c, "%s: offset/depth and distance/within mixed "
			      "on one content", kw);
	if (flag == KI_F_DEPTH && n < (long long)sm->u.c.len)
		return syntax(c, "depth %lld shorter than its content", n);
	if (flag == KI_F_WITHIN && n < (long long)sm->u.c.len)
		return syntax(c, "within %lld shorter than its content", n);
	return KS_OK;
}

static enum ks_status o_offset(struct pctx *c, char *v) { return o_position(c, "offset", v, KI_F_OFFSET); }
static enum ks_status o_depth(struct pctx *c, char *v) { return o_position(c, "depth", v, KI_F_DEPTH); }
static enum ks_status o_distance(struct pctx *c, char *v) { return o_position(c, "distance", v, KI_F_DISTANCE); }
static enum ks_status o_within(struct pctx *c, char *v) { return o_position(c, "within", v, KI_F_WITHIN); }

static enum ks_status o_startswith(struct pctx *c, char *v)
{
	struct ki_sm *sm = last_content(c, "startswith");

	(void)v;
	if (sm == NULL)
		return KS_ERR_INVALID;
	if (sm->flags & (KI_F_OFFSET | KI_F_DEPTH | KI_F_DISTANCE | KI_F_WITHIN))
		return syntax(c, "startswith with offset, depth, distance or "
			      "within");
	sm->flags |= KI_F_STARTSWITH;
	return KS_OK;
}

static enum ks_status o_endswith(struct pctx *c, char *v)
{
	struct ki_sm *sm = last_content(c, "endswith");

	(void)v;
	if (sm == NULL)
		return KS_ERR_INVALID;
	sm->flags |= KI_F_ENDSWITH;
	return KS_OK;
}

static enum ks_status o_fast_pattern(struct pctx *c, char *v)
{
	struct ki_sm *sm = last_content(c, "fast_pattern");

	if (sm == NULL)
		return KS_ERR_INVALID;
	if (sm->flags & KI_F_NEGATED)
		return syntax(c, "fast_pattern on a negated content");
	sm->flags |= KI_F_FAST;
	if (v == NULL)
		return KS_OK;
	v = trim(v);
	if (strcmp(v, "only") == 0) {
		sm->flags |= KI_F_FAST_ONLY;
	} else {
		char *comma = strchr(v, ',');
		long long off, len;

		if (comma == NULL)
			return syntax(c, "fast_pattern wants 'only' or "
				      "offset,length");
		*comma = '\0';
		if (parse_int(v, 0, 65535, &off) != 0 ||
		    parse_int(comma + 1, 1, 65535, &len) != 0 ||
		    off + len > (long long)sm->u.c.len)
			return syntax(c, "fast_pattern: %s,%s is outside the "
				      "content", v, comma + 1);
		sm->flags |= KI_F_FAST_CHOP;
		sm->u.c.fp_off = (uint16_t)off;
		sm->u.c.fp_len = (uint16_t)len;
	}
	return KS_OK;
}

/* ---- options: buffers ---------------------------------------------------------------- */

static enum ks_status set_sticky(struct pctx *c, int buf)
{
	c->buf = buf;
	return KS_OK;
}

static enum ks_status modifier(struct pctx *c, const char *kw, int buf)
{
	struct ki_sm *sm = last_content(c, kw);

	if (sm == NULL)
		return KS_ERR_INVALID;
	if (c->buf >= 0)
		return syntax(c, "%s after a sticky buffer (%s)", kw,
			      ki_buf_name(c->buf));
	if (sm->buf != KI_B_PAYLOAD)
		return syntax(c, "%s: the content is already in %s", kw,
			      ki_buf_name(sm->buf));
	sm->buf = (uint8_t)buf;
	return KS_OK;
}

static enum ks_status o_dotprefix(struct pctx *c, char *v)
{
	(void)v;
	if (c->buf < 0)
		return syntax(c, "dotprefix must follow a sticky buffer");
	if (c->buf & KI_B_DOT)
		return syntax(c, "dotprefix given twice");
	for (size_t i = 0; i < c->r->nsm; i++)
		if (c->r->sm[i].buf == c->buf)
			return syntax(c, "dotprefix after the buffer's "
				      "first match");
	c->buf |= KI_B_DOT;
	return KS_OK;
}

/* ---- options: pcre ------------------------------------------------------------------- */

static enum ks_status o_pcre(struct pctx *c, char *v)
{
	struct ki_sm *sm;
	char *s = NULL, *first, *last, *f;
	int neg = 0, buf = -1, err = 0;
	uint32_t opts = 0;
	uint16_t flags = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *re;
	enum ks_status st;

	v = trim(v);
	if (*v == '!') {
		neg = 1;
		v = trim(v + 1);
	}
	st = unquote(c, v, "pcre", &s, 1);
	if (st != KS_OK)
		return st;
	first = strchr(s, '/');
	last = strrchr(s, '/');
	if (first != s || last == first)
		return syntax(c, "pcre wants \"/regex/flags\"");
	*last = '\0';
	for (f = last + 1; *f != '\0'; f++) {
		int b = -1;

		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': flags |= KI_F_RELATIVE; break;
		case 'O': break;     /* match limits: ours always apply */
		case 'U': b = KI_B_HTTP_URI; break;
		case 'I': b = KI_B_HTTP_URI_RAW; break;
		case 'H': b = KI_B_HTTP_HEADER; break;
		case 'D': b = KI_B_HTTP_HEADER_RAW; break;
		case 'M': b = KI_B_HTTP_METHOD; break;
		case 'C': b = KI_B_HTTP_COOKIE; break;
		case 'P': b = KI_B_HTTP_REQUEST_BODY; break;
		case 'Q': b = KI_B_FILE_DATA; break;
		case 'S': b = KI_B_HTTP_STAT_CODE; break;
		case 'Y': b = KI_B_HTTP_STAT_MSG; break;
		case 'V': b = KI_B_HTTP_UA; break;
		case 'W': b = KI_B_HTTP_HOST; break;
		case 'Z': b = KI_B_HTTP_HOST_RAW; break;
		default:
			snprintf(c->kwbuf, KI_KW_MAX, "pcre /%c", *f);
			return refuse(c, c->kwbuf, "pcre modifier '%c' is not "
				      "supported", *f);
		}
		if (b >= 0) {
			if (buf >= 0 && buf != b)
				return syntax(c, "pcre with two buffer modifiers");
			buf = b;
		}
	}
	if (buf >= 0 && c->buf >= 0 && KI_BUF_BASE(c->buf) != buf)
		return syntax(c, "pcre /%s modifier inside sticky buffer %s",
			      ki_buf_name(buf), ki_buf_name(c->buf));
	re = pcre2_compile((PCRE2_SPTR)(s + 1), PCRE2_ZERO_TERMINATED, opts,
			   &err, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR m[160];

		pcre2_get_error_message(err, m, sizeof m);
		return refuse(c, "pcre", "pcre does not compile at %zu: %s",
			      (size_t)off, (char *)m);
	}
	sm = new_sm(c, KI_SM_PCRE);
	if (sm == NULL) {
		pcre2_code_free(re);
		return refuse(c, "(limit)", "too many options");
	}
	if (buf >= 0 && c->buf < 0)
		sm->buf = (uint8_t)buf;
	sm->flags = flags | (neg ? KI_F_NEGATED : 0);
	sm->u.re.re = re;
	sm->u.re.src = strdup(s + 1);
	c->last = (int)(c->r->nsm - 1);
	return KS_OK;
}

/* ---- options: byte_test, byte_jump, isdataat, sizes -------------------------------- */

static int split(char *v, char **parts, int max)
{
	int n = 0;
	char *save = NULL, *p;

	for (p = strtok_r(v, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		parts[n++] = trim(p);
	}
	return n;
}

/* Flags shared by byte_test and byte_jump; 1 when the word was one. */
static int byte_flag(struct pctx *c, struct ki_sm *sm, const char *w,
		     enum ks_status *st, const char *kw)
{
	static const struct { const char *n; uint16_t f; } fl[] = {
		{ "relative", KI_BF_RELATIVE }, { "little", KI_BF_LITTLE },
		{ "big", 0 }, { "string", KI_BF_STRING }, { "hex", KI_BF_HEX },
		{ "dec", KI_BF_DEC }, { "oct", KI_BF_OCT },
	};

	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
		if (strcmp(w, fl[i].n) == 0) {
			sm->u.bt.bflags |= fl[i].f;
			return 1;
		}
	if (strncmp(w, "bitmask", 7) == 0) {
		long long m;

		if (parse_int(w + 7, 1, UINT32_MAX, &m) != 0) {
			*st = syntax(c, "%s: bad bitmask", kw);
			return 1;
		}
		sm->u.bt.bflags |= KI_BF_BITMASK;
		sm->u.bt.bitmask = (uint64_t)m;
		return 1;
	}
	if (strcmp(w, "dce") == 0) {
		*st = refuse(c, kw, "%s: dce is not supported", kw);
		return 1;
	}
	return 0;
}

static enum ks_status byte_check(struct pctx *c, struct ki_sm *sm,
				 const char *kw)
{
	unsigned max = (sm->u.bt.bflags & KI_BF_STRING) ? 20 : 8;
	unsigned min = (sm->u.bt.bflags & KI_BF_STRING) ? 0 : 1;

	/* With string, 0 bytes means the rest of the buffer. */
	if (sm->u.bt.nbytes < min || sm->u.bt.nbytes > max)
		return syntax(c, "%s: %u bytes (%u to %u)", kw, sm->u.bt.nbytes,
			      min, max);
	if ((sm->u.bt.bflags & (KI_BF_HEX | KI_BF_DEC | KI_BF_OCT)) &&
	    !(sm->u.bt.bflags & KI_BF_STRING))
		return syntax(c, "%s: hex, dec or oct without string", kw);
	if (sm->u.bt.bflags & KI_BF_RELATIVE)
		sm->flags |= KI_F_RELATIVE;
	return KS_OK;
}

static enum ks_status o_byte_test(struct pctx *c, char *v)
{
	char *p[16], *op;
	int n = split(v, p, 16), neg = 0;
	long long nb, val, off;
	struct ki_sm *sm;
	enum ks_status st = KS_OK;

	if (n < 4)
		return syntax(c, "byte_test wants bytes,op,value,offset[,...]");
	if (parse_int(p[0], 0, 64, &nb) != 0)
		return syntax(c, "byte_test: bad byte count '%s'", p[0]);
	if (isalpha((unsigned char)*p[2]) || isalpha((unsigned char)*p[3]))
		return refuse(c, "byte_extract", "byte_test: byte_extract "
			      "variables are not supported");
	if (parse_int(p[2], 0, INT64_MAX, &val) != 0)
		return syntax(c, "byte_test: bad value '%s'", p[2]);
	if (parse_int(p[3], -65535, 65535, &off) != 0)
		return syntax(c, "byte_test: bad offset '%s'", p[3]);
	sm = new_sm(c, KI_SM_BYTE_TEST);
	if (sm == NULL)
		return refuse(c, "(limit)", "too many options");
	op = p[1];
	if (*op == '!') {
		neg = 1;
		op++;
	}
	if (strcmp(op, "<") == 0 || strcmp(op, ">") == 0 || strcmp(op, "=") == 0 ||
	    strcmp(op, "&") == 0 || strcmp(op, "^") == 0)
		sm->u.bt.op = (uint8_t)*op;
	else if (strcmp(op, "<=") == 0)
		sm->u.bt.op = 'L';
	else if (strcmp(op, ">=") == 0)
		sm->u.bt.op = 'G';
	else if (*op == '\0' && neg) {
		sm->u.bt.op = '=';
	} else
		return syntax(c, "byte_test: unknown operator '%s'", p[1]);
	if (neg)
		sm->u.bt.bflags |= KI_BF_NOT;
	sm->u.bt.nbytes = (uint8_t)nb;
	sm->u.bt.value = (uint64_t)val;
	sm->u.bt.offset = (int32_t)off;
	for (int i = 4; i < n && st == KS_OK; i++)
		if (!byte_flag(c, sm, p[i], &st, "byte_test"))
			st = syntax(c, "byte_test: unknown option '%s'", p[i]);
	return st != KS_OK ? st : byte_check(c, sm, "byte_test");
}

static enum ks_status o_byte_jump(struct pctx *c, char *v)
{
	char *p[16];
	int n = split(v, p, 16);
	long long nb, off, m;
	struct ki_sm *sm;
	enum ks_status st = KS_OK;

	if (n < 2)
		return syntax(c, "byte_jump wants bytes,offset[,...]");
	if (parse_int(p[0], 1, 64, &nb) != 0)
		return syntax(c, "byte_jump: bad byte count '%s'", p[0]);
	if (isalpha((unsigned char)*p[1]))
		return refuse(c, "byte_extract", "byte_jump: byte_extract "
			      "variables are not supported");
	if (parse_int(p[1], -65535, 65535, &off) != 0)
		return syntax(c, "byte_jump: bad offset '%s'", p[1]);
	sm = new_sm(c, KI_SM_BYTE_JUMP);
	if (sm == NULL)
		return refuse(c, "(limit)", "too many options");
	sm->u.bt.nbytes = (uint8_t)nb;
	sm->u.bt.offset = (int32_t)off;
	sm->u.bt.multiplier = 1;
	for (int i = 2; i < n && st == KS_OK; i++) {
		if (byte_flag(c, sm, p[i], &st, "byte_jump"))
			continue;
		if (strcmp(p[i], "align") == 0)
			sm->u.bt.bflags |= KI_BF_ALIGN;
		else if (strcmp(p[i], "from_beginning") == 0)
			sm->u.bt.bflags |= KI_BF_FROM_BEGIN;
		else if (strcmp(p[i], "from_end") == 0)
			sm->u.bt.bflags |= KI_BF_FROM_END;
		else if (strncmp(p[i], "multiplier", 10) == 0 &&
			 parse_int(p[i] + 10, 1, 65535, &m) == 0)
			sm->u.bt.multiplier = (uint32_t)m;
		else if (strncmp(p[i], "post_offset", 11) == 0 &&
			 parse_int(p[i] + 11, -65535, 65535, &m) == 0)
			sm->u.bt.post_offset = (int32_t)m;
		else
			st = syntax(c, "byte_jump: unknown option '%s'", p[i]);
	}
	if (st == KS_OK)
		st = byte_check(c, sm, "byte_jump");
	/* byte_jump moves the cursor: later relative matches start there. */
	if (st == KS_OK)
		c->last = (int)(c->r->nsm - 1);
	return st;
}

static enum ks_status o_isdataat(struct pctx *c, char *v)
{
	char *p[3];
	int n = split(v, p, 3), neg = 0;
	long long x;
	struct ki_sm *sm;
	char *num;

	if (n < 1)
		return syntax(c, "isdataat wants a number");
	num = p[0];
	if (*num == '!') {
		neg = 1;
		num = trim(num + 1);
	}
	if (isalpha((unsigned char)*num))
		return refuse(c, "byte_extract", "isdataat: byte_extract "
			      "variables are not supported");
	if (parse_int(num, 0, 1 << 24, &x) != 0)
		return syntax(c, "isdataat: bad number '%s'", num);
	sm = new_sm(c, KI_SM_ISDATAAT);
	if (sm == NULL)
		return refuse(c, "(limit)", "too many options");
	sm->u.isdataat.n = (int32_t)x;
	if (neg)
		sm->flags |= KI_F_NEGATED;
	for (int i = 1; i < n; i++) {
		if (strcmp(p[i], "relative") == 0)
			sm->flags |= KI_F_RELATIVE;
		else if (strcmp(p[i], "rawbytes") != 0)
			return syntax(c, "isdataat: unknown option '%s'", p[i]);
	}
	return KS_OK;
}

/* "N", "<N", ">N", "<=N", ">=N", "!N", "A<>B", "A-B". */
static int parse_num(char *v, struct ki_num *out, long long max)
{
	long long a, b;
	char *sep;

	v = trim(v);
	memset(out, 0, sizeof *out);
	if ((sep = strstr(v, "<>")) != NULL || ((sep = strchr(v + 1, '-')) != NULL)) {
		int two = sep[0] == '<';

		*sep = '\0';
		if (parse_int(v, 0, max, &a) != 0 ||
		    parse_int(sep + (two ? 2 : 1), 0, max, &b) != 0 || a >= b)
			return -1;
		out->op = KI_CMP_RANGE;
		out->a = (uint64_t)a;
		out->b = (uint64_t)b;
		return 0;
	}
	if (v[0] == '<' && v[1] == '=') { out->op = KI_CMP_LE; v += 2; }
	else if (v[0] == '>' && v[1] == '=') { out->op = KI_CMP_GE; v += 2; }
	else if (v[0] == '<') { out->op = KI_CMP_LT; v++; }
	else if (v[0] == '>') { out->op = KI_CMP_GT; v++; }
	else if (v[0] == '!') { out->op = KI_CMP_NE; v++; }
	else if (v[0] == '=') { out->op = KI_CMP_EQ; v++; }
	if (parse_int(v, 0, max, &a) != 0)
		return -1;
	out->a = (uint64_t)a;
	return 0;
}

int ki_num_match(const struct ki_num *n, uint64_t v)
{
	switch (n->op) {
	case KI_CMP_EQ: return v == n->a;
	case KI_CMP_LT: return v < n->a;
	case KI_CMP_GT: return v > n->a;
	case KI_CMP_LE: return v <= n->a;
	case KI_CMP_GE: return v >= n->a;
	case KI_CMP_NE: return v != n->a;
	default: return v > n->a && v < n->b;
	}
}

static enum ks_status o_bsize(struct pctx *c, char *v)
{
	struct ki_sm *sm;
	struct ki_num num;

	if (c->buf < 0)
		return syntax(c, "bsize must follow a sticky buffer");
	if (parse_num(v, &num, 1LL << 32) != 0)
		return syntax(c, "bsize: bad size '%s'", v);
	sm = new_sm(c, KI_SM_BSIZE);
	if (sm == NULL)
		return refuse(c, "(limit)", "too many options");
	sm->u.bsize = num;
	return KS_OK;
}

static enum ks_status o_urilen(struct pctx *c, char *v)
{
	char *comma = strchr(v, ',');
	int buf = KI_B_HTTP_URI, save = c->buf;
	struct ki_sm *sm;
	struct ki_num num;

	if (comma != NULL) {
		char *w = trim(comma + 1);

		*comma = '\0';
		if (strcmp(w, "raw") == 0)
			buf = KI_B_HTTP_URI_RAW;
		else if (strcmp(w, "norm") != 0)
			return syntax(c, "urilen: norm or raw, not '%s'", w);
	}
	if (parse_num(v, &num, 1LL << 32) != 0)
		return syntax(c, "urilen: bad length '%s'", v);
	c->buf = buf;
	sm = new_sm(c, KI_SM_BSIZE);
	c->buf = save;
	if (sm == NULL)
		return refuse(c, "(limit)", "too many options");
	sm->u.bsize = num;
	return KS_OK;
}

static enum ks_status o_dsize(struct pctx *c, char *v)
{
	if (parse_num(v, &c->r->dsize, 65535) != 0)
		return syntax(c, "dsize: bad size '%s'", v);
	c->r->has_dsize = 1;
	return KS_OK;
}

static enum ks_status o_itype(struct pctx *c, char *v)
{
	if (parse_num(v, &c->r->itype, 255) != 0)
		return syntax(c, "itype: bad type '%s'", v);
	c->r->has_itype = 1;
	return KS_OK;
}

static enum ks_status o_icode(struct pctx *c, char *v)
{
	if (parse_num(v, &c->r->icode, 255) != 0)
		return syntax(c, "icode: bad code '%s'", v);
	c->r->has_icode = 1;
	return KS_OK;
}

/* ---- options: packet and flow -------------------------------------------------------- */

static enum ks_status o_flow(struct pctx *c, char *v)
{
	static const struct { const char *n; uint16_t f; } fl[] = {
		{ "established", KI_FL_ESTABLISHED },
		{ "not_established", KI_FL_NOT_ESTABLISHED },
		{ "stateless", KI_FL_STATELESS },
		{ "to_server", KI_FL_TO_SERVER }, { "from_client", KI_FL_TO_SERVER },
		{ "to_client", KI_FL_TO_CLIENT }, { "from_server", KI_FL_TO_CLIENT },
		{ "only_stream", KI_FL_ONLY_STREAM }, { "no_stream", KI_FL_NO_STREAM },
		{ "only_frag", KI_FL_ONLY_FRAG }, { "no_frag", KI_FL_NO_FRAG },
	};
	char *p[8];
	int n = split(v, p, 8);

	if (n < 1)
		return syntax(c, "flow wants options");
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
			if (strcmp(p[i], fl[k].n) == 0)
				break;
		if (k == sizeof fl / sizeof fl[0]) {
			snprintf(c->kwbuf, KI_KW_MAX, "flow:%.30s", p[i]);
			return refuse(c, c->kwbuf, "flow option '%s' is not "
				      "supported", p[i]);
		}
		c->r->flow |= fl[k].f;
	}
	if ((c->r->flow & KI_FL_TO_SERVER) && (c->r->flow & KI_FL_TO_CLIENT))
		return syntax(c, "flow: to_server and to_client together");
	if ((c->r->flow & KI_FL_ESTABLISHED) &&
	    (c->r->flow & (KI_FL_NOT_ESTABLISHED | KI_FL_STATELESS)))
		return syntax(c, "flow: established with not_established or "
			      "stateless");
	return KS_OK;
}

static int flag_bits(const char *s, uint8_t *out)
{
	uint8_t bits = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'F': bits |= KN_TH_FIN; break;
		case 'S': bits |= KN_TH_SYN; break;
		case 'R': bits |= KN_TH_RST; break;
		case 'P': bits |= KN_TH_PSH; break;
		case 'A': bits |= KN_TH_ACK; break;
		case 'U': bits |= KN_TH_URG; break;
		case 'C': case '1': bits |= KN_TH_CWR; break;
		case 'E': case '2': bits |= KN_TH_ECE; break;
		case '0': break;
		default: return *s;
		}
	}
	*out = bits;
	return 0;
}

/* flags:[+*!]FLAGS[,IGNORED]: exact by default, '+' these and any
 * others, '*' any of these, '!' none of these. */
static enum ks_status o_flags(struct pctx *c, char *v)
{
	char *comma = strchr(v, ',');
	uint8_t set = 0, ign = 0;
	int mode = 0, bad;
	char *s = NULL;

	if (comma != NULL)
		*comma = '\0';
	s = trim(v);
	if (*s == '+' || *s == '*' || *s == '!')
		mode = *s++;
	else if (*s != '\0' && (s[strlen(s) - 1] == '+' ||
				 s[strlen(s) - 1] == '*' ||
				 s[strlen(s) - 1] == '!')) {
		mode = s[strlen(s) - 1];
		s[strlen(s) - 1] = '\0';
	}
	if (*s == '\0')
		return syntax(c, "flags wants flags");
	if ((bad = flag_bits(s, &set)) != 0 ||
	    (comma != NULL && (bad = flag_bits(trim(comma + 1), &ign)) != 0))
		return syntax(c, "flags: unknown flag '%c'", bad);
	c->r->has_flags = 1;
	c->r->flags_set = set;
	c->r->flags_mask = (uint8_t)~ign;
	c->r->flags_mode = (uint8_t)mode;
	return KS_OK;
}

static enum ks_status o_sameip(struct pctx *c, char *v)
{
	(void)v;
	c->r->sameip = 1;
	return KS_OK;
}

static enum ks_status o_ipopts(struct pctx *c, char *v)
{
	static const struct { const char *n; unsigned bit; } op[] = {
		{ "rr", KN_IPOPT_RR }, { "ts", KN_IPOPT_TS },
		{ "sec", KN_IPOPT_SEC }, { "lsrr", KN_IPOPT_LSRR },
		{ "lsrre", KN_IPOPT_LSRR }, { "ssrr", KN_IPOPT_SSRR },
	};

	v = trim(v);
	if (strcmp(v, "any") == 0) {
		c->r->ipopts_any = 1;
		return KS_OK;
	}
	for (size_t i = 0; i < sizeof op / sizeof op[0]; i++)
		if (strcmp(v, op[i].n) == 0) {
			c->r->ipopts = op[i].bit;
			return KS_OK;
		}
	return refuse(c, "ipopts", "ipopts '%s': the decoder does not tell "
		      "that option apart (rr, ts, sec, lsrr, ssrr, any)", v);
}

static enum ks_status o_flowbits(struct pctx *c, char *v)
{
	static const char *const ops[] = { "set", "unset", "toggle", "isset",
					   "isnotset", "noalert" };
	char *comma = strchr(v, ','), *name, *s;
	struct ki_flowbit *fb;
	int op = -1, any = 0;

	if (comma != NULL)
		*comma = '\0';
	s = trim(v);
	for (int i = 0; i < 6; i++)
		if (strcmp(s, ops[i]) == 0)
			op = i;
	if (op < 0)
		return syntax(c, "flowbits: unknown command '%s'", s);
	if (op == KI_FB_NOALERT) {
		if (comma != NULL)
			return syntax(c, "flowbits:noalert takes no name");
		c->r->noalert = 1;
		return KS_OK;
	}
	if (comma == NULL || *(name = trim(comma + 1)) == '\0')
		return syntax(c, "flowbits:%s wants a name", s);
	if (c->r->nfb >= 32)
		return refuse(c, "(limit)", "more than 32 flowbits in a rule");
	fb = realloc(c->r->fb, (c->r->nfb + 1) * sizeof *fb);
	if (fb == NULL)
		return refuse(c, "(limit)", "out of memory");
	c->r->fb = fb;
	fb = &fb[c->r->nfb++];
	memset(fb, 0, sizeof *fb);
	fb->op = (uint8_t)op;
	if (strchr(name, '|') != NULL) {
		if (op != KI_FB_ISSET && op != KI_FB_ISNOTSET)
			return syntax(c, "flowbits: '|' goes with isset or "
				      "isnotset");
		any = 1;
	}
	fb->any = (uint8_t)any;
	for (char *save = NULL, *t = strtok_r(name, any ? "|" : "&", &save);
	     t != NULL; t = strtok_r(NULL, any ? "|" : "&", &save)) {
		int64_t id;
		uint32_t *ids;

		t = trim(t);
		if (*t == '\0' || strpbrk(t, " \t,") != NULL)
			return syntax(c, "flowbits: bad name '%s'", t);
		if (fb->n >= 16)
			return refuse(c, "(limit)", "more than 16 names in a "
				      "flowbits");
		id = ki_names_id(c->env->names, t, strlen(t));
		if (id < 0)
			return refuse(c, "(limit)", "too many flowbit names");
		ids = realloc(fb->ids, (fb->n + 1) * sizeof *ids);
		if (ids == NULL)
			return refuse(c, "(limit)", "out of memory");
		fb->ids = ids;
		ids[fb->n++] = (uint32_t)id;
	}
	if (fb->n == 0)
		return syntax(c, "flowbits:%s wants a name", s);
	return KS_OK;
}

static enum ks_status threshold_like(struct pctx *c, char *v,
				     struct ki_threshold *t, int is_df)
{
	char *p[8];
	int n = split(v, p, 8), have = 0;
	long long x;

	if (n < 0)
		return syntax(c, "%s: too many parts", is_df ? "detection_filter" :
			      "threshold");
	if (is_df)
		t->type = KI_TH_DETECTION_FILTER;
	for (int i = 0; i < n; i++) {
		char *w = p[i], *val = w + strcspn(w, " \t");

		if (*val != '\0')
			*val++ = '\0';
		val = trim(val);
		if (strcmp(w, "type") == 0 && !is_df) {
			if (strcmp(val, "limit") == 0) t->type = KI_TH_LIMIT;
			else if (strcmp(val, "threshold") == 0) t->type = KI_TH_THRESHOLD;
			else if (strcmp(val, "both") == 0) t->type = KI_TH_BOTH;
			else
				return syntax(c, "threshold: unknown type '%s'", val);
			have |= 1;
		} else if (strcmp(w, "track") == 0) {
			if (strcmp(val, "by_src") == 0) t->track = KI_TRACK_SRC;
			else if (strcmp(val, "by_dst") == 0) t->track = KI_TRACK_DST;
			else if (strcmp(val, "by_rule") == 0) t->track = KI_TRACK_RULE;
			else if (strcmp(val, "by_both") == 0) t->track = KI_TRACK_BOTH;
			else {
				snprintf(c->kwbuf, KI_KW_MAX, "%s track %.20s",
					 is_df ? "detection_filter" : "threshold", val);
				return refuse(c, c->kwbuf, "track '%s' is not "
					      "supported", val);
			}
			have |= 2;
		} else if (strcmp(w, "count") == 0) {
			if (parse_int(val, 1, UINT32_MAX, &x) != 0)
				return syntax(c, "threshold: bad count '%s'", val);
			t->count = (uint32_t)x;
			have |= 4;
		} else if (strcmp(w, "seconds") == 0) {
			if (parse_int(val, 1, 86400 * 366, &x) != 0)
				return syntax(c, "threshold: bad seconds '%s'", val);
			t->seconds = (uint32_t)x;
			have |= 8;
		} else {
			return syntax(c, "threshold: unknown part '%s'", w);
		}
	}
	if (have != (is_df ? 14 : 15))
		return syntax(c, "%s wants %strack, count and seconds",
			      is_df ? "detection_filter" : "threshold",
			      is_df ? "" : "type, ");
	return KS_OK;
}

static enum ks_status o_threshold(struct pctx *c, char *v)
{
	if (c->r->th.type != KI_TH_NONE)
		return syntax(c, "threshold given twice");
	return threshold_like(c, v, &c->r->th, 0);
}

static enum ks_status o_detection_filter(struct pctx *c, char *v)
{
	if (c->r->df.type != KI_TH_NONE)
		return syntax(c, "detection_filter given twice");
	return threshold_like(c, v, &c->r->df, 1);
}

static enum ks_status o_noalert(struct pctx *c, char *v)
{
	(void)v;
	c->r->noalert = 1;
	return KS_OK;
}

static enum ks_status o_ignore(struct pctx *c, char *v)
{
	(void)c;
	(void)v;
	return KS_OK;
}

/* ---- the keyword table ----------------------------------------------------------------- */

enum { V_NONE, V_REQ, V_OPT };

static const struct {
	const char *name;
	enum ks_status (*fn)(struct pctx *, char *);
	int val;
} kws[] = {
	{ "msg", o_msg, V_REQ }, { "classtype", o_classtype, V_REQ },
	{ "sid", o_sid, V_REQ }, { "rev", o_rev, V_REQ }, { "gid", o_gid, V_REQ },
	{ "reference", o_ignore, V_REQ }, { "metadata", o_metadata, V_REQ },
	{ "priority", o_priority, V_REQ }, { "target", o_target, V_REQ },
	{ "content", o_content, V_REQ }, { "nocase", o_nocase, V_NONE },
	{ "rawbytes", o_rawbytes, V_NONE },
	{ "depth", o_depth, V_REQ }, { "offset", o_offset, V_REQ },
	{ "distance", o_distance, V_REQ }, { "within", o_within, V_REQ },
	{ "startswith", o_startswith, V_NONE }, { "endswith", o_endswith, V_NONE },
	{ "fast_pattern", o_fast_pattern, V_OPT },
	{ "pcre", o_pcre, V_REQ }, { "byte_test", o_byte_test, V_REQ },
	{ "byte_jump", o_byte_jump, V_REQ }, { "isdataat", o_isdataat, V_REQ },
	{ "bsize", o_bsize, V_REQ }, { "urilen", o_urilen, V_REQ },
	{ "dsize", o_dsize, V_REQ }, { "flow", o_flow, V_REQ },
	{ "flowbits", o_flowbits, V_REQ }, { "threshold", o_threshold, V_REQ },
	{ "detection_filter", o_detection_filter, V_REQ },
	{ "flags", o_flags, V_REQ }, { "itype", o_itype, V_REQ },
	{ "icode", o_icode, V_REQ }, { "sameip", o_sameip, V_NONE },
	{ "ipopts", o_ipopts, V_REQ }, { "dotprefix", o_dotprefix, V_NONE },
	{ "noalert", o_noalert, V_NONE },
};

/* Keywords of the rule language that knetscan refuses: a rule using one
 * is not loaded (never half-applied), and the reason given here is what
 * --rules-report counts and knetscan-rules(5) lists. */
static const struct { const char *name, *why; } unsupported[] = {
	{ "tls.certs", "only the server's first certificate is parsed, and "
	  "tls.certs inspects the whole chain" },
	{ "byte_extract", "byte_extract variables are not supported" },
	{ "byte_math", "byte_math is not supported" },
	{ "xbits", "xbits (state shared beyond a flow) is not supported" },
	{ "flowint", "flowint is not supported" },
	{ "stream_size", "stream_size is not supported" },
	{ "base64_decode", "base64 decoding is not supported" },
	{ "base64_data", "base64 decoding is not supported" },
	{ "tag", "tagging later packets is not supported" },
	{ "ja3_hash", "JA3 fingerprints are not computed" },
	{ "ja3.hash", "JA3 fingerprints are not computed" },
	{ "ja3.string", "JA3 fingerprints are not computed" },
	{ "ja3s.hash", "JA3 fingerprints are not computed" },
	{ "tls.version", "the TLS version keyword is not supported" },
	{ "asn1", "asn1 is not supported" },
	{ "ip_proto", "ip_proto is not supported" },
	{ "ttl", "ttl is not supported" },
};

static enum ks_status option(struct pctx *c, char *name, char *val)
{
	size_t i;

	for (i = 0; i < sizeof kws / sizeof kws[0]; i++) {
		if (strcmp(kws[i].name, name) != 0)
			continue;
		if (kws[i].val == V_REQ && val == NULL)
			return syntax(c, "%s wants a value", name);
		if (kws[i].val == V_NONE && val != NULL)
			return syntax(c, "%s takes no value", name);
		return kws[i].fn(c, val);
	}
	for (i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
		int sticky = strcmp(bufs[i].sticky, name) == 0 ||
			     (bufs[i].legacy_sticky &&
			      strcmp(bufs[i].legacy_sticky, name) == 0);
		int legacy = bufs[i].legacy && strcmp(bufs[i].legacy, name) == 0;

		if (!sticky && !legacy)
			continue;
		if (val != NULL)
			return syntax(c, "%s takes no value", name);
		return sticky ? set_sticky(c, bufs[i].buf) :
				modifier(c, name, bufs[i].buf);
	}
	snprintf(c->kwbuf, KI_KW_MAX, "%s", name);
	for (i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
		if (strcmp(unsupported[i].name, name) == 0)
			return refuse(c, c->kwbuf, "%s", unsupported[i].why);
	return refuse(c, c->kwbuf, "keyword '%s' is not supported", name);
}

/* ---- the header ------------------------------------------------------------------------ */

/* The next header word: brackets may hold spaces. */
static int word(const char **p, const char *end, const char **ws, size_t *wn)
{
	const char *s = *p;
	int d = 0;

	while (s < end && isspace((unsigned char)*s))
		s++;
	*ws = s;
	while (s < end && (d > 0 || !isspace((unsigned char)*s)) && *s != '(') {
		if (*s == '[')
			d++;
		else if (*s == ']')
			d--;
		s++;
	}
	*wn = (size_t)(s - *ws);
	*p = s;
	return *wn > 0;
}

static int wordeq(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

static enum ks_status header(struct pctx *c, const char **pp, const char *end)
{
	static const struct { const char *n; int p; } protos[] = {
		{ "ip", KI_PR_IP }, { "pkthdr", KI_PR_IP }, { "tcp", KI_PR_TCP },
		{ "udp", KI_PR_UDP }, { "icmp", KI_PR_ICMP },
		{ "tcp-pkt", KI_PR_TCP_PKT }, { "tcp-stream", KI_PR_TCP_STREAM },
		{ "http", KI_PR_HTTP }, { "http1", KI_PR_HTTP },
		{ "dns", KI_PR_DNS }, { "tls", KI_PR_TLS },
	};
	const char *w[7];
	size_t n[7];
	struct ki_rule *r = c->r;
	size_t i;

	for (i = 0; i < 7; i++)
		if (!word(pp, end, &w[i], &n[i]))
			return syntax(c, "the header wants 7 parts: action "
				      "protocol source port direction "
				      "destination port");
	if (wordeq(w[0], n[0], "alert")) r->action = KI_ACT_ALERT;
	else if (wordeq(w[0], n[0], "drop")) r->action = KI_ACT_DROP;
	else if (wordeq(w[0], n[0], "reject") || wordeq(w[0], n[0], "rejectsrc") ||
		 wordeq(w[0], n[0], "rejectdst") || wordeq(w[0], n[0], "rejectboth"))
		r->action = KI_ACT_REJECT;
	else if (wordeq(w[0], n[0], "pass")) r->action = KI_ACT_PASS;
	else {
		snprintf(c->kwbuf, KI_KW_MAX, "action %.*s",
			 (int)(n[0] > 30 ? 30 : n[0]), w[0]);
		return refuse(c, c->kwbuf, "action '%.*s' is not supported "
			      "(alert, drop, reject, pass)",
			      (int)(n[0] > 30 ? 30 : n[0]), w[0]);
	}
	for (i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (wordeq(w[1], n[1], protos[i].n))
			break;
	if (i == sizeof protos / sizeof protos[0]) {
		snprintf(c->kwbuf, KI_KW_MAX, "protocol %.*s",
			 (int)(n[1] > 30 ? 30 : n[1]), w[1]);
		return refuse(c, c->kwbuf, "protocol '%.*s' is not supported",
			      (int)(n[1] > 30 ? 30 : n[1]), w[1]);
	}
	r->proto = (uint8_t)protos[i].p;
	if (wordeq(w[4], n[4], "->"))
		r->bidir = 0;
	else if (wordeq(w[4], n[4], "<>"))
		r->bidir = 1;
	else if (wordeq(w[4], n[4], "=>"))
		return refuse(c, "direction =>", "the transactional direction "
			      "'=>' is not supported");
	else
		return syntax(c, "direction is -> or <>, not '%.*s'",
			      (int)(n[4] > 30 ? 30 : n[4]), w[4]);
	if (ki_addrs_parse(c->env->vars, w[2], n[2], &r->src, c->err, &c->kw) ||
	    ki_ports_parse(c->env->vars, w[3], n[3], &r->sp, c->err, &c->kw) ||
	    ki_addrs_parse(c->env->vars, w[5], n[5], &r->dst, c->err, &c->kw) ||
	    ki_ports_parse(c->env->vars, w[6], n[6], &r->dp, c->err, &c->kw))
		return c->err ? c->err->status : KS_ERR_INVALID;
	return KS_OK;
}

/* ---- the whole rule -------------------------------------------------------------------- */

static enum ks_status options(struct pctx *c, char *s)
{
	while (*s != '\0') {
		char *name, *val = NULL, *p;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		name = s;
		while (isalnum((unsigned char)*s) || *s == '_' || *s == '.' ||
		       *s == '-')
			s++;
		if (s == name)
			return syntax(c, "an option name was expected at '%.20s'",
				      s);
		p = s;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == ':') {
			s++;
			val = s;
			while (*s != '\0' && *s != ';') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				s++;
			}
		}
		if (*s != ';')
			return syntax(c, "option '%.*s' does not end with ';'",
				      (int)(p - name > 30 ? 30 : p - name), name);
		*p = '\0';
		*s++ = '\0';
		{
			enum ks_status st = option(c, name, val);

			if (st != KS_OK)
				return st;
		}
	}
	return KS_OK;
}

/* Decide where the rule is evaluated, and check that its buffers can be
 * inspected together. */
static enum ks_status place(struct pctx *c)
{
	struct ki_rule *r = c->r;
	int payload = 0, http = 0, resp = 0, either = 0, req = 0, dns = 0,
	    sni = 0, cert = 0, pkt_only;

	for (size_t i = 0; i < r->nsm; i++) {
		int b = KI_BUF_BASE(r->sm[i].buf);

		if (b == KI_B_PAYLOAD)
			payload = 1;
		else if (ki_buf_is_http(b)) {
			http = 1;
			resp |= ki_buf_is_http_resp_only(b);
			either |= ki_buf_is_http_either(b);
			/* The request body is read from the request on
			 * either side, so it ties the rule to requests
			 * when no direction is given. */
			req |= (!ki_buf_is_http_resp_only(b) &&
				!ki_buf_is_http_either(b)) ||
			       b == KI_B_HTTP_REQUEST_BODY;
		} else if (b == KI_B_DNS_QUERY)
			dns = 1;
		else if (b == KI_B_TLS_SNI)
			sni = 1;
		else
			cert = 1;
	}
	if (http + dns + (sni | cert) > 1)
		return refuse(c, "(buffers of two protocols)", "the rule "
			      "inspects buffers of two application protocols");
	/* In an HTTP rule, payload matches are made on the message as it
	 * was sent (line, headers, blank line, body). */
	if (payload && (dns || sni || cert))
		return refuse(c, "(payload with app buffer)", "the rule mixes "
			      "payload matches with application buffers");
	if ((http && r->proto != KI_PR_HTTP && r->proto != KI_PR_TCP &&
	     r->proto != KI_PR_IP) ||
	    (dns && r->proto != KI_PR_DNS && r->proto != KI_PR_UDP &&
	     r->proto != KI_PR_TCP && r->proto != KI_PR_IP) ||
	    ((sni || cert) && r->proto != KI_PR_TLS && r->proto != KI_PR_TCP &&
	     r->proto != KI_PR_IP))
		return syntax(c, "a buffer of another protocol than the "
			      "rule's");
	pkt_only = r->has_dsize || r->has_flags || r->proto == KI_PR_TCP_PKT ||
		   (r->flow & (KI_FL_NO_STREAM | KI_FL_STATELESS)) ||
		   r->has_itype || r->has_icode || r->sameip || r->ipopts ||
		   r->ipopts_any;
	if (pkt_only && (http || dns || sni || cert))
		return refuse(c, "(packet keyword with app buffer)", "the rule "
			      "mixes packet keywords (dsize, flags, ...) with "
			      "application buffers");
	if (http)
		r->hook = (resp || (either && (r->flow & KI_FL_TO_CLIENT))) ?
			KI_H_HTTP_RESP : KI_H_HTTP_REQ;
	else if (dns)
		r->hook = KI_H_DNS;
	else if (cert)
		r->hook = KI_H_TLS_CERT;
	else if (sni)
		r->hook = KI_H_TLS_HELLO;
	else if (payload && !pkt_only &&
		 (r->proto == KI_PR_TCP || r->proto == KI_PR_TCP_STREAM ||
		  r->proto == KI_PR_HTTP || r->proto == KI_PR_TLS))
		r->hook = KI_H_STREAM;
	else if (r->proto == KI_PR_TCP_STREAM)
		return syntax(c, "tcp-stream with packet keywords");
	else
		r->hook = KI_H_PACKET;
	if (r->hook == KI_H_HTTP_REQ && (r->flow & KI_FL_TO_CLIENT))
		return syntax(c, "request buffers with flow:to_client");
	r->hooks = (uint8_t)(1u << r->hook);
	/* Buffers of both sides (file.data, http.header, ...) without a
	 * flow direction: Suricata inspects them in each direction, the
	 * request's to the server and the response's to the client (HTTP
	 * keywords, "file.data": the response body, and the request body
	 * as well).  The rule is evaluated on both, once per transaction
	 * and direction. */
	if (http && !resp && !req &&
	    !(r->flow & (KI_FL_TO_SERVER | KI_FL_TO_CLIENT)))
		r->hooks |= 1u << KI_H_HTTP_RESP;
	if ((r->hook == KI_H_DNS || r->hook == KI_H_TLS_HELLO) &&
	    (r->flow & KI_FL_TO_CLIENT))
		return syntax(c, "%s with flow:to_client", r->hook == KI_H_DNS ?
			      "dns.query" : "tls.sni");
	return KS_OK;
}

/* The fast pattern: the content marked fast_pattern, else the longest
 * positive content (Suricata also weighs the buffer; length is what
 * makes a prefilter selective). */
static void pick_fast(struct ki_rule *r)
{
	int best = -1;

	r->fast = -1;
	for (size_t i = 0; i < r->nsm; i++) {
		const struct ki_sm *sm = &r->sm[i];

		if (sm->kind != KI_SM_CONTENT || (sm->flags & KI_F_NEGATED))
			continue;
		if (sm->flags & KI_F_FAST) {
			best = (int)i;
			break;
		}
		if (best < 0 || sm->u.c.len > r->sm[best].u.c.len)
			best = (int)i;
	}
	r->fast = best;
}

enum ks_status ki_rule_parse(const char *text, size_t len,
			     const struct ki_parse_env *env,
			     struct ki_rule **out, const char **kw,
			     char kwbuf[KI_KW_MAX], struct ks_err *err)
{
	struct pctx c;
	const char *p = text, *end = text + len, *open, *close;
	char *opts;
	enum ks_status st;

	memset(&c, 0, sizeof c);
	c.env = env;
	c.buf = -1;
	c.last = -1;
	c.err = err;
	c.kwbuf = kwbuf;
	c.kw = "(syntax)";
	*out = NULL;
	if (len > KI_MAX_RULE_LEN || memchr(text, '\0', len) != NULL) {
		*kw = len > KI_MAX_RULE_LEN ? "(limit)" : "(syntax)";
		return ks_err_set(err, KS_ERR_INVALID, "%s",
				  len > KI_MAX_RULE_LEN ? "rule too long" :
				  "NUL byte in the rule");
	}
	c.r = calloc(1, sizeof *c.r);
	if (c.r == NULL) {
		*kw = "(limit)";
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	c.r->gid = 1;
	c.r->priority = 3;
	c.r->fast = -1;
	st = header(&c, &p, end);
	if (st != KS_OK)
		goto fail;
	while (p < end && isspace((unsigned char)*p))
		p++;
	close = end;
	while (close > p && isspace((unsigned char)close[-1]))
		close--;
	open = p;
	if (open == end || *open != '(' || close == open + 0 || close[-1] != ')' ||
	    close - 1 == open) {
		st = syntax(&c, "the options must be in parentheses after the "
			    "header");
		if (open < end && *open == '(' && close - 1 == open)
			st = syntax(&c, "no options");
		goto fail;
	}
	opts = strndup(open + 1, (size_t)(close - 1 - (open + 1)));
	if (opts == NULL) {
		st = refuse(&c, "(limit)", "out of memory");
		goto fail;
	}
	st = options(&c, opts);
	free(opts);
	if (st != KS_OK)
		goto fail;
	for (size_t i = 0; i < c.r->nsm; i++)
		if (c.r->sm[i].kind == KI_SM_CONTENT &&
		    (c.r->sm[i].flags & KI_F_STARTSWITH) &&
		    (c.r->sm[i].flags & (KI_F_OFFSET | KI_F_DEPTH |
					 KI_F_DISTANCE | KI_F_WITHIN))) {
			st = syntax(&c, "startswith with offset, depth, "
				    "distance or within");
			goto fail;
		}
	if (c.r->sid == 0) {
		st = syntax(&c, "no sid");
		goto fail;
	}
	if (c.r->msg == NULL)
		c.r->msg = strdup("");
	st = place(&c);
	if (st != KS_OK)
		goto fail;
	pick_fast(c.r);
	*out = c.r;
	return KS_OK;
fail:
	*kw = c.kw;
	ki_rule_free(c.r);
	return st == KS_OK ? KS_ERR_INVALID : st;
}

void ki_rule_free(struct ki_rule *r)
{
	if (r == NULL)
		return;
	free(r->msg);
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->meta[i].key);
		free(r->meta[i].value);
	}
	free(r->meta);
	ki_addrs_free(&r->src);
	ki_addrs_free(&r->dst);
	ki_ports_free(&r->sp);
	ki_ports_free(&r->dp);
	for (size_t i = 0; i < r->nsm; i++) {
		if (r->sm[i].kind == KI_SM_CONTENT)
			free(r->sm[i].u.c.pat);
		else if (r->sm[i].kind == KI_SM_PCRE) {
			pcre2_code_free(r->sm[i].u.re.re);
			free(r->sm[i].u.re.src);
		}
	}
	free(r->sm);
	for (size_t i = 0; i < r->nfb; i++)
		free(r->fb[i].ids);
	free(r->fb);
	free(r);
}
