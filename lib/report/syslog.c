#include "report/syslog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"

static const char fffd[] = "\xef\xbf\xbd";
static const char bom[] = "\xef\xbb\xbf";

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

int kr_syslog_facility(const char *name, int *out)
{
	char *end;
	long v;

	for (int i = 0; i < 24; i++) {
		if (strcasecmp(name, facilities[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	v = strtol(name, &end, 10);
	if (end == name || *end != '\0' || v < 0 || v > 23)
		return -1;
	*out = (int)v;
	return 0;
}

enum ks_status kr_sd_escape(struct ks_buf *b, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i = 0, run;
	enum ks_status st = KS_OK;

	while (i < n && st == KS_OK) {
		uint32_t cp;
		size_t k;

		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x7f &&
			      s[run] != '"' && s[run] != '\\' && s[run] != ']';
		     run++)
			;
		if (run > i) {
			st = ks_buf_append(b, s + i, run - i);
			i = run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\' || s[i] == ']') {
			st = ks_buf_putc(b, '\\');
			if (st == KS_OK)
				st = ks_buf_putc(b, s[i]);
			i++;
			continue;
		}
		k = s[i] < 0x80 ? 0 : ks_utf8_decode(s + i, n - i, &cp);
		if (k == 0 || cp < 0xa0) {
			st = ks_buf_append(b, fffd, 3);
			i += k ? k : 1;
			continue;
		}
		st = ks_buf_append(b, s + i, k);
		i += k;
	}
	return st;
}

enum ks_status kr_syslog_field(struct ks_buf *b, const void *src, size_t n,
			       size_t max)
{
	const uint8_t *s = src;
	enum ks_status st = KS_OK;

	if (s == NULL || n == 0)
		return ks_buf_putc(b, '-');
	if (n > max)
		n = max;
	st = ks_buf_reserve(b, n);
	if (st != KS_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		b->data[b->len + i] = s[i] >= 33 && s[i] <= 126 ? s[i] : '_';
	b->len += n;
	b->data[b->len] = '\0';
	return KS_OK;
}

/* ---- parameters ------------------------------------------------------------- */

#define MAX_PARAMS 24

struct param {
	const char *name;
	struct kr_str v;
	int cut;    /* set when the value was cut in the last build */
};

struct params {
	struct param p[MAX_PARAMS];
	size_t n;
	char nums[6][24];
	size_t nnums;
};

static void add(struct params *ps, const char *name, struct kr_str v)
{
	if (!kr_str_full(v) || ps->n == MAX_PARAMS)
		return;
	ps->p[ps->n++] = (struct param){ name, v, 0 };
}

static void add_num(struct params *ps, const char *name, long long v)
{
	char *s, tmp[24];
	size_t k = sizeof tmp;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v :
				       (unsigned long long)v;

	if (ps->nnums == 6)
		return;
	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		tmp[--k] = '-';
	s = ps->nums[ps->nnums++];
	memcpy(s, tmp + k, sizeof tmp - k);
	add(ps, name, (struct kr_str){ s, sizeof tmp - k });
}

static void collect(struct params *ps, struct kr_event *e, const char *id)
{
	memset(ps, 0, sizeof *ps);
	/* The order matters: when space runs out, the last go first. */
	add(ps, "id", kr_str_c(id));
	add(ps, "type", kr_str_full(e->event_type) ? e->event_type :
						  kr_str_c("(none)"));
	add(ps, "severity", kr_str_c(kr_sev_name(e->sev)));
	add(ps, "vm", e->vm);
	if (e->type == KR_T_ALERT) {
		add(ps, "signature", e->threat);
		if (e->have_sid)
			add_num(ps, "signature_id", (long long)e->signature_id);
	} else {
		add(ps, "threat", e->threat);
	}
	add(ps, "action", e->action);
	add(ps, "verdict", e->verdict);
	add(ps, "path", e->path);
	add(ps, "src", e->src_ip);
	if (e->src_port >= 0)
		add_num(ps, "sport", e->src_port);
	add(ps, "dst", e->dest_ip);
	if (e->dest_port >= 0)
		add_num(ps, "dport", e->dest_port);
	add(ps, "proto", e->proto);
	add(ps, "url", e->url);
	add(ps, "host", e->host);
	add(ps, "category", e->category);
	add(ps, "reason", e->reason);
	add(ps, "sha256", e->sha256);
	if (e->own || e->type == KR_T_ERROR) {
		add(ps, "input", e->err_input);
		if (e->err_line > 0)
			add_num(ps, "line", (long long)e->err_line);
	}
}

/* A value cut to `max` bytes on a UTF-8 boundary. */
static struct kr_str cut_value(struct kr_str v, size_t max, int *cut)
{
	*cut = 0;
	if (v.n <= max)
		return v;
	*cut = 1;
	while (max > 0 && ((unsigned char)v.p[max] & 0xc0) == 0x80)
		max--;
	return (struct kr_str){ v.p, max };
}

/* The SD element with the first `count` parameters, each value cut at
 * `pmax` bytes, and truncated= naming what was cut (`msg_cut` adds msg). */
static enum ks_status build_sd(struct ks_buf *b, struct params *ps,
			       size_t count, size_t pmax, int msg_cut)
{
	enum ks_status st = ks_buf_puts(b, "[" KR_SYSLOG_SD_ID);
	char cutlist[256];
	size_t cl = 0;

	for (size_t i = 0; i < ps->n && st == KS_OK; i++) {
		struct param *p = &ps->p[i];
		struct kr_str v;

		if (i >= count) {
			p->cut = 1;
			continue;
		}
		/* id, type and severity are never cut (type is an
		 * event_type, cut like MSGID). */
		v = cut_value(p->v, i == 1 ? 32 : i < 3 ? (size_t)-1 : pmax,
			      &p->cut);
		st = ks_buf_putc(b, ' ');
		if (st == KS_OK)
			st = ks_buf_puts(b, p->name);
		if (st == KS_OK)
			st = ks_buf_append(b, "=\"", 2);
		if (st == KS_OK)
			st = kr_sd_escape(b, v.p, v.n);
		if (st == KS_OK)
			st = ks_buf_putc(b, '"');
	}
	if (msg_cut)
		cl += (size_t)snprintf(cutlist + cl, sizeof cutlist - cl, "msg");
	for (size_t i = 0; i < ps->n; i++) {
		size_t need = strlen(ps->p[i].name) + 1;

		if (!ps->p[i].cut || cl + need + 1 >= sizeof cutlist)
			continue;
		cl += (size_t)snprintf(cutlist + cl, sizeof cutlist - cl,
				       "%s%s", cl ? "," : "", ps->p[i].name);
	}
	if (cl > 0 && st == KS_OK)
		st = ks_buf_printf(b, " truncated=\"%s\"", cutlist);
	if (st == KS_OK)
		st = ks_buf_putc(b, ']');
	return st;
}

/* Where to cut JSON text to at most `max` bytes without splitting a UTF-8
 * character or an escape sequence. */
static size_t json_cut(const char *s, size_t n, size_t max)
{
	size_t i = 0, last = 0;

	if (n <= max)
		return n;
	while (i < n) {
		size_t step;

		if (s[i] == '\\')
			step = i + 1 < n && s[i + 1] == 'u' ? 6 : 2;
		else if ((unsigned char)s[i] < 0x80)
			step = 1;
		else if (((unsigned char)s[i] & 0xe0) == 0xc0)
			step = 2;
		else if (((unsigned char)s[i] & 0xf0) == 0xe0)
			step = 3;
		else
			step = 4;
		if (i + step > max)
			break;
		i += step;
		last = i;
	}
	return last;
}

static enum ks_status put_msg(struct ks_buf *b, const char *s, size_t n)
{
	enum ks_status st = ks_buf_reserve(b, n);
	size_t i, run;

	if (st != KS_OK)
		return st;
	for (i = 0; i < n; i = run + 1) {
		for (run = i; run < n && (unsigned char)s[run] >= 0x20; run++)
			;
		if (run > i)
			st = ks_buf_append(b, s + i, run - i);
		if (run < n && st == KS_OK)
			st = ks_buf_putc(b, ' ');
		if (st != KS_OK)
			return st;
	}
	return KS_OK;
}

static enum ks_status header(struct ks_buf *b, const struct kr_event *e,
			     const struct kr_syslog_opts *o)
{
	char ts[KS_TIME_LEN + 1];
	enum ks_status st;
	int pri = (o->facility & 31) * 8 + kr_sev_syslog(e->sev);

	st = ks_buf_putc(b, '<');
	if (st == KS_OK)
		st = kr_buf_int(b, pri);
	if (st == KS_OK)
		st = ks_buf_append(b, ">1 ", 3);
	if (st != KS_OK)
		return st;
	if (e->have_ts) {
		/* The EVE form with "Z" for "+0000" is RFC 3339's. */
		ks_time_format(e->ts, ts);
		memcpy(ts + 26, "Z", 2);
		st = ks_buf_puts(b, ts);
	} else {
		st = ks_buf_putc(b, '-');
	}
	if (st == KS_OK)
		st = ks_buf_putc(b, ' ');
	if (st == KS_OK)
		st = kr_syslog_field(b, o->hostname,
				     o->hostname ? strlen(o->hostname) : 0, 255);
	if (st == KS_OK)
		st = ks_buf_putc(b, ' ');
	if (st == KS_OK)
		st = kr_syslog_field(b, e->program.p, e->program.n, 48);
	if (st == KS_OK)
		st = ks_buf_puts(b, " - ");
	if (st == KS_OK)
		st = kr_syslog_field(b, e->event_type.p, e->event_type.n, 32);
	if (st == KS_OK)
		st = ks_buf_putc(b, ' ');
	return st;
}

enum ks_status kr_syslog_format(struct ks_buf *b, struct kr_event *e,
				const struct kr_syslog_opts *o,
				const struct kr_str *msg)
{
	struct params ps;
	char id[2 * KR_ID_LEN + 1];
	struct kr_str m = msg != NULL ? *msg : kr_event_json(e);
	size_t start = b->len, hdr_end, sd_end, max = o->max, pmax, count,
	       room;
	enum ks_status st;

	if (max < KR_SYSLOG_MIN_MAX)
		max = KR_SYSLOG_MIN_MAX;
	collect(&ps, e, kr_event_id_hex(e, id));
	st = header(b, e, o);
	if (st != KS_OK)
		goto fail;
	hdr_end = b->len;
	st = build_sd(b, &ps, ps.n, (size_t)-1, 0);
	if (st != KS_OK)
		goto fail;
	sd_end = b->len;
	/* The whole message fits: the common case. */
	if (sd_end - start + 1 + 3 + m.n <= max) {
		st = ks_buf_putc(b, ' ');
		if (st == KS_OK)
			st = ks_buf_append(b, bom, 3);
		if (st == KS_OK)
			st = put_msg(b, m.p, m.n);
		if (st != KS_OK)
			goto fail;
		return KS_OK;
	}
	/* MSG is cut; room for the parameter that says so is kept. */
	b->len = hdr_end;
	st = build_sd(b, &ps, ps.n, (size_t)-1, 1);
	if (st != KS_OK)
		goto fail;
	if (b->len - start + 4 + 64 <= max) {
		room = max - (b->len - start) - 4;
		st = ks_buf_putc(b, ' ');
		if (st == KS_OK)
			st = ks_buf_append(b, bom, 3);
		if (st == KS_OK)
			st = put_msg(b, m.p, json_cut(m.p, m.n, room));
		if (st != KS_OK)
			goto fail;
		return KS_OK;
	}
	/* The structured data alone is too large: MSG goes, then long values
	 * are cut ever shorter, then the last parameters go. */
	for (count = ps.n; count >= 3; count--) {
		for (pmax = 1024; pmax >= 8; pmax /= 2) {
			b->len = hdr_end;
			st = build_sd(b, &ps, count, pmax, 1);
			if (st != KS_OK)
				goto fail;
			if (b->len - start <= max)
				return KS_OK;
		}
	}
	/* Only a configured host name of hundreds of bytes gets here. */
	st = KS_ERR_LIMIT;
fail:
	b->len = start;
	if (b->data != NULL)
		b->data[start] = '\0';
	return st;
}
