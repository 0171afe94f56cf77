#include "report/cef.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

static const char fffd[] = "\xef\xbf\xbd";

/* The escaping loop of both parts; `ext` selects the extension rules. */
static enum ks_status cef_escape(struct ks_buf *b, const void *src, size_t n,
				 int ext)
{
	const uint8_t *s = src;
	size_t i = 0, run;
	enum ks_status st = KS_OK;

	while (i < n && st == KS_OK) {
		uint32_t cp;
		size_t k;

		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x7f &&
			      s[run] != '\\' && s[run] != (ext ? '=' : '|');
		     run++)
			;
		if (run > i) {
			st = ks_buf_append(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '\\':
			st = ks_buf_append(b, "\\\\", 2);
			i++;
			continue;
		case '=':
		case '|':
			/* Only the separator of this part reaches here. */
			st = ks_buf_putc(b, '\\');
			if (st == KS_OK)
				st = ks_buf_putc(b, s[i]);
			i++;
			continue;
		case '\n':
			st = ext ? ks_buf_append(b, "\\n", 2) :
				   ks_buf_append(b, fffd, 3);
			i++;
			continue;
		case '\r':
			st = ext ? ks_buf_append(b, "\\r", 2) :
				   ks_buf_append(b, fffd, 3);
			i++;
			continue;
		default:
			break;
		}
		k = s[i] < 0x80 ? 0 : ks_utf8_decode(s + i, n - i, &cp);
		if (k == 0 || cp < 0xa0) {
			/* A control character, DEL, a C1 control or a byte
			 * that is not UTF-8. */
			st = ks_buf_append(b, fffd, 3);
			i += k ? k : 1;
			continue;
		}
		st = ks_buf_append(b, s + i, k);
		i += k;
	}
	return st;
}

enum ks_status kr_cef_header_escape(struct ks_buf *b, const void *s, size_t n)
{
	return cef_escape(b, s, n, 0);
}

enum ks_status kr_cef_value_escape(struct ks_buf *b, const void *s, size_t n)
{
	return cef_escape(b, s, n, 1);
}

/* ---- the line ------------------------------------------------------------- */

struct line {
	struct ks_buf *b;
	enum ks_status st;
	int first;   /* no extension pair written yet */
};

static void raw(struct line *l, const char *s)
{
	if (l->st == KS_OK)
		l->st = ks_buf_puts(l->b, s);
}

static void header(struct line *l, struct kr_str s, const char *dflt)
{
	if (l->st != KS_OK)
		return;
	if (!kr_str_full(s))
		s = kr_str_c(dflt);
	l->st = kr_cef_header_escape(l->b, s.p, s.n);
	if (l->st == KS_OK)
		l->st = ks_buf_putc(l->b, '|');
}

static void ext(struct line *l, const char *key, struct kr_str v)
{
	if (l->st != KS_OK || !kr_str_full(v))
		return;
	if (!l->first)
		l->st = ks_buf_putc(l->b, ' ');
	if (l->st == KS_OK)
		l->st = ks_buf_puts(l->b, key);
	if (l->st == KS_OK)
		l->st = ks_buf_putc(l->b, '=');
	l->first = 0;
	if (l->st == KS_OK)
		l->st = kr_cef_value_escape(l->b, v.p, v.n);
}

static void ext_num(struct line *l, const char *key, long long v)
{
	if (l->st != KS_OK)
		return;
	if (!l->first)
		l->st = ks_buf_putc(l->b, ' ');
	if (l->st == KS_OK)
		l->st = ks_buf_puts(l->b, key);
	if (l->st == KS_OK)
		l->st = ks_buf_putc(l->b, '=');
	if (l->st == KS_OK)
		l->st = kr_buf_int(l->b, v);
	l->first = 0;
}

/* cs1Label=vm cs1=web1: `lkey` is the label's key. */
static void ext_label(struct line *l, const char *key, const char *lkey,
		      const char *label, struct kr_str v)
{
	if (!kr_str_full(v))
		return;
	ext(l, lkey, kr_str_c(label));
	ext(l, key, v);
}

/* An address for src/dst, which CEF requires to be IPv4 or IPv6. */
static int is_ip(struct kr_str s)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];

	if (!kr_str_full(s) || s.n >= sizeof buf)
		return 0;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return inet_pton(AF_INET, buf, bin) == 1 ||
	       inet_pton(AF_INET6, buf, bin) == 1;
}

static struct kr_str basename_of(struct kr_str p)
{
	const char *slash;

	if (!kr_str_full(p))
		return KR_STR_NONE;
	slash = memrchr(p.p, '/', p.n);
	if (slash == NULL)
		return p;
	return (struct kr_str){ slash + 1, p.n - (size_t)(slash + 1 - p.p) };
}

static void sig_id(struct line *l, const struct kr_event *e)
{
	char buf[600];
	struct kr_str et = kr_str_full(e->event_type) ? e->event_type :
						      kr_str_c("other");
	struct kr_str v = e->verdict;

	if (e->type == KR_T_ALERT && e->have_sid) {
		snprintf(buf, sizeof buf, "%" PRId64, e->signature_id);
		header(l, kr_str_c(buf), "");
		return;
	}
	if (kr_str_full(v) && v.n + et.n < sizeof buf - 2 &&
	    (e->type == KR_T_FILE || e->type == KR_T_URL ||
	     e->type == KR_T_ACCESS || e->type == KR_T_QUARANTINE)) {
		memcpy(buf, et.p, et.n);
		buf[et.n] = ':';
		memcpy(buf + et.n + 1, v.p, v.n);
		header(l, (struct kr_str){ buf, et.n + 1 + v.n }, "");
		return;
	}
	header(l, et, "other");
}

static void name(struct line *l, struct kr_event *e)
{
	char buf[256];
	struct kr_str et = kr_str_full(e->event_type) ? e->event_type :
						      kr_str_c("other");

	if (e->detection && kr_str_full(e->threat)) {
		header(l, e->threat, "");
		return;
	}
	if (e->type == KR_T_ERROR || kr_str_eq(e->verdict, "error")) {
		header(l, kr_str_full(e->err_msg) ? e->err_msg :
			  kr_str_c("error"), "error");
		return;
	}
	if (kr_str_full(e->verdict) && et.n + e->verdict.n + 2 < sizeof buf) {
		memcpy(buf, et.p, et.n);
		buf[et.n] = ' ';
		memcpy(buf + et.n + 1, e->verdict.p, e->verdict.n);
		header(l, (struct kr_str){ buf, et.n + 1 + e->verdict.n }, "");
		return;
	}
	if (kr_str_full(e->threat)) {
		header(l, e->threat, "");
		return;
	}
	/* A network event: its type and the name it is about. */
	if (kr_str_full(e->host) && et.n + e->host.n + 2 < sizeof buf) {
		memcpy(buf, et.p, et.n);
		buf[et.n] = ' ';
		memcpy(buf + et.n + 1, e->host.p, e->host.n);
		header(l, (struct kr_str){ buf, et.n + 1 + e->host.n }, "");
		return;
	}
	header(l, et, "other");
}

enum ks_status kr_cef_format(struct ks_buf *b, struct kr_event *e,
			     const struct kr_cef_opts *o)
{
	struct line l = { b, KS_OK, 1 };
	size_t start = b->len;
	char id[2 * KR_ID_LEN + 1];

	raw(&l, "CEF:0|");
	header(&l, kr_str_c("ksvm"), "ksvm");
	header(&l, e->program, "ksvm");
	header(&l, kr_str_c(o->version), "0");
	sig_id(&l, e);
	name(&l, e);
	if (l.st == KS_OK)
		l.st = kr_buf_int(b, kr_sev_cef(e->sev));
	if (l.st == KS_OK)
		l.st = ks_buf_putc(b, '|');
	if (e->have_ts)
		ext_num(&l, "rt", (long long)e->ts.sec * 1000 +
					  (long long)(e->ts.usec / 1000));
	ext(&l, "externalId", kr_str_c(kr_event_id_hex(e, id)));
	ext(&l, "cat", e->category);
	ext(&l, "act", e->action);
	if (o->hostname != NULL)
		ext(&l, "dvchost", kr_str_c(o->hostname));
	ext_label(&l, "cs1", "cs1Label", "vm", e->vm);
	ext_label(&l, "cs2", "cs2Label", "eventType", e->event_type);
	ext_label(&l, "cs3", "cs3Label", "verdict", e->verdict);
	ext_label(&l, "cs4", "cs4Label", "reason", e->reason);
	ext_label(&l, "cs5", "cs5Label", "errorKind", e->err_kind);
	if (kr_str_full(e->path)) {
		ext(&l, "filePath", e->path);
		ext(&l, "fname", basename_of(e->path));
	}
	if (e->have_size)
		ext_num(&l, "fsize", (long long)(e->size > INT64_MAX ?
							 INT64_MAX : e->size));
	ext(&l, "fileHash", e->sha256);
	ext(&l, is_ip(e->src_ip) ? "src" : "shost", e->src_ip);
	if (e->src_port >= 0)
		ext_num(&l, "spt", e->src_port);
	if (is_ip(e->dest_ip))
		ext(&l, "dst", e->dest_ip);
	else if (!kr_str_full(e->host))
		ext(&l, "dhost", e->dest_ip);
	if (e->dest_port >= 0)
		ext_num(&l, "dpt", e->dest_port);
	ext(&l, "proto", e->proto);
	if (e->have_flow) {
		ext(&l, "cn1Label", kr_str_c("flowId"));
		ext_num(&l, "cn1", e->flow_id);
	}
	if (e->have_sid) {
		ext(&l, "cn2Label", kr_str_c("signatureId"));
		ext_num(&l, "cn2", e->signature_id);
	}
	ext(&l, "dhost", e->host);
	ext(&l, "request", e->url);
	ext(&l, "msg", e->err_msg);
	if (l.st == KS_OK)
		l.st = ks_buf_putc(b, '\n');
	if (l.st != KS_OK && b->data != NULL) {
		b->len = start;   /* no half line */
		b->data[start] = '\0';
	}
	return l.st;
}
