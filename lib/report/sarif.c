/*
 * SARIF 2.1.0 (OASIS "Static Analysis Results Interchange Format Version
 * 2.1.0", with errata 01) for CI: one run, whose results are the file
 * detections (one result per matching rule), with what GitHub code
 * scanning requires of an upload: tool.driver.name and rules with ids,
 * short and full descriptions, help, a default level and the
 * security-severity property; per result ruleId, ruleIndex, level,
 * message.text, one location with an artifactLocation.uri and a region
 * whose startLine is 1 (a detection concerns the whole file), and
 * partialFingerprints so that the same detection in the same file is one
 * alert across runs.
 *
 * Locations: a path under the base directory (--base) becomes a relative
 * URI with uriBaseId SRCROOT, whose absolute URI is in
 * originalUriBaseIds; any other path becomes a file:// URI.  Paths are
 * percent-encoded byte for byte (RFC 3986 2.1), so a file name that is
 * not UTF-8 keeps its exact bytes.  Message texts show such bytes as
 * U+FFFD.
 *
 * Refused input lines and error records are toolExecutionNotifications of
 * the invocation, which is executionSuccessful when no input failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/hex.h"
#include "core/utf8.h"
#include "json/escape.h"
#include "report/report.h"

struct doc {
	struct ks_buf *b;
	enum ks_status st;
	struct ks_buf tmp;
};

static void raw(struct doc *d, const char *s)
{
	if (d->st == KS_OK)
		d->st = ks_buf_puts(d->b, s);
}

/* A JSON string whose bytes that are not UTF-8 become U+FFFD (SARIF
 * viewers take text, not the project's byte escapes). */
static void text(struct doc *d, const void *src, size_t n)
{
	const uint8_t *s = src;
	uint32_t cp;

	if (d->st != KS_OK)
		return;
	ks_buf_reset(&d->tmp);
	for (size_t i = 0; i < n && d->st == KS_OK;) {
		size_t k = ks_utf8_decode(s + i, n - i, &cp);

		if (k == 0) {
			d->st = ks_buf_append(&d->tmp, "\xef\xbf\xbd", 3);
			i++;
		} else {
			d->st = ks_buf_append(&d->tmp, s + i, k);
			i += k;
		}
	}
	if (d->st == KS_OK)
		d->st = kj_escape(d->b, d->tmp.data ? (char *)d->tmp.data : "",
				  d->tmp.len);
}

static void texts(struct doc *d, struct kr_str s)
{
	text(d, s.p ? s.p : "", s.n);
}

static void textc(struct doc *d, const char *s)
{
	text(d, s, strlen(s));
}

/* "key": (with a leading comma unless `first`). */
static void key(struct doc *d, const char *k, int first)
{
	if (!first)
		raw(d, ",");
	raw(d, "\"");
	raw(d, k);
	raw(d, "\":");
}

/* ---- URIs ------------------------------------------------------------------- */

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '/';
}

static void pct(struct ks_buf *o, const void *src, size_t n)
{
	const unsigned char *s = src;
	static const char hx[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		if (unreserved(s[i])) {
			ks_buf_putc(o, s[i]);
		} else {
			ks_buf_putc(o, '%');
			ks_buf_putc(o, hx[s[i] >> 4]);
			ks_buf_putc(o, hx[s[i] & 15]);
		}
	}
}

/*
 * Lexically normalized absolute form of `path` (relative paths are taken
 * from `cwd`): "." and empty components dropped, ".." removing the one
 * before.  Written into `o`.
 */
static void normalize(struct ks_buf *o, const char *cwd, struct kr_str path)
{
	struct ks_buf in;
	size_t i = 0;

	ks_buf_init(&in, KS_BUF_UNLIMITED);
	if (path.n == 0 || path.p[0] != '/') {
		ks_buf_puts(&in, cwd != NULL ? cwd : "/");
		ks_buf_putc(&in, '/');
	}
	ks_buf_append(&in, path.p, path.n);
	ks_buf_reset(o);
	while (i < in.len) {
		size_t j = i;

		while (j < in.len && in.data[j] != '/')
			j++;
		if (j == i || (j - i == 1 && in.data[i] == '.')) {
			/* nothing */
		} else if (j - i == 2 && in.data[i] == '.' &&
			   in.data[i + 1] == '.') {
			while (o->len > 0 && o->data[o->len - 1] != '/')
				o->len--;
			if (o->len > 0)
				o->len--;
		} else {
			ks_buf_putc(o, '/');
			ks_buf_append(o, in.data + i, j - i);
		}
		i = j + 1;
	}
	if (o->len == 0)
		ks_buf_putc(o, '/');
	ks_buf_free(&in);
}

/* The uri (and whether it is relative to SRCROOT) of a file path. */
static int location_uri(struct ks_buf *uri, const struct kr_report_ctx *c,
			struct kr_str path)
{
	struct ks_buf abs;
	size_t bl;
	int rel = 0;

	ks_buf_init(&abs, KS_BUF_UNLIMITED);
	ks_buf_reset(uri);
	normalize(&abs, c->cwd, path);
	bl = c->base != NULL ? strlen(c->base) : 0;
	if (bl > 0 && strcmp(c->base, "/") == 0) {
		pct(uri, abs.data + 1, abs.len - 1);
		rel = 1;
	} else if (bl > 0 && abs.len > bl + 1 &&
		   memcmp(abs.data, c->base, bl) == 0 && abs.data[bl] == '/') {
		pct(uri, abs.data + bl + 1, abs.len - bl - 1);
		rel = 1;
	} else {
		ks_buf_puts(uri, "file://");
		pct(uri, abs.data, abs.len);
	}
	if (uri->data == NULL)
		ks_buf_puts(uri, "");
	ks_buf_free(&abs);
	return rel;
}

/* ---- rules ------------------------------------------------------------------ */

struct rule {
	struct kr_str id, set, description;
	enum kr_sev sev;
	size_t results;
};

struct rules {
	struct kr_map ids;     /* rule id -> index + 1 (size_t) */
	struct rule *v;
	size_t n, cap;
};

static struct kr_str rule_id(const struct kr_agg_row *r, size_t m)
{
	if (m < r->nmatches && kr_str_full(r->matches[m].rule))
		return r->matches[m].rule;
	return kr_str_full(r->threat) ? r->threat : kr_str_c("(unnamed)");
}

static size_t rule_of(struct rules *rs, const struct kr_agg_row *r, size_t m)
{
	struct kr_str id = rule_id(r, m);
	size_t *slot = kr_map_get(&rs->ids, id.p, id.n, 1);

	if (slot == NULL)
		return (size_t)-1;
	if (*slot == 0) {
		if (rs->n == rs->cap) {
			size_t nc = rs->cap ? rs->cap * 2 : 32;
			struct rule *nv = realloc(rs->v, nc * sizeof *nv);

			if (nv == NULL)
				return (size_t)-1;
			rs->v = nv;
			rs->cap = nc;
		}
		rs->v[rs->n] = (struct rule){
			id, m < r->nmatches ? r->matches[m].set : KR_STR_NONE,
			m < r->nmatches ? r->matches[m].description : KR_STR_NONE,
			r->sev, 0 };
		*slot = ++rs->n;
	}
	if (r->sev > rs->v[*slot - 1].sev)
		rs->v[*slot - 1].sev = r->sev;
	rs->v[*slot - 1].results++;
	return *slot - 1;
}

static void write_rules(struct doc *d, struct rules *rs)
{
	char buf[256];

	raw(d, "[");
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		raw(d, i ? ",{" : "{");
		key(d, "id", 1);
		texts(d, r->id);
		key(d, "name", 0);
		texts(d, r->id);
		key(d, "shortDescription", 0);
		raw(d, "{\"text\":");
		texts(d, r->id);
		raw(d, "}");
		key(d, "fullDescription", 0);
		raw(d, "{\"text\":");
		if (kr_str_full(r->description)) {
			texts(d, r->description);
		} else {
			struct ks_buf t;

			ks_buf_init(&t, KS_BUF_UNLIMITED);
			ks_buf_puts(&t, "A file matched the detection ");
			ks_buf_append(&t, r->id.p, r->id.n);
			if (kr_str_full(r->set)) {
				ks_buf_puts(&t, " of ");
				ks_buf_append(&t, r->set.p, r->set.n);
			}
			ks_buf_puts(&t, ".");
			text(d, t.data, t.len);
			ks_buf_free(&t);
		}
		raw(d, "}");
		key(d, "help", 0);
		raw(d, "{\"text\":");
		textc(d, "The file holds known malware or a test file made to "
			 "look like it. Remove it, or restore it only after "
			 "checking it; see kfscan(1) for the quarantine.");
		raw(d, "}");
		key(d, "defaultConfiguration", 0);
		snprintf(buf, sizeof buf, "{\"level\":\"%s\"}",
			 kr_sev_sarif(r->sev));
		raw(d, buf);
		key(d, "properties", 0);
		snprintf(buf, sizeof buf, "{\"tags\":[\"security\",\"malware\"],"
			 "\"precision\":\"high\",\"security-severity\":\"%s\"}",
			 kr_sev_security_severity(r->sev));
		raw(d, buf);
		raw(d, "}");
	}
	raw(d, "]");
}

/* The fingerprint of a detection: rule, location and content, so that the
 * same file with the same detection is one alert from run to run. */
static void fingerprint(const struct kr_agg_row *r, struct kr_str rule,
			const struct ks_buf *uri, char out[65])
{
	struct ks_digest *dg = ks_digest_new(KS_DIGEST_SHA256);
	uint8_t sum[KS_SHA256_LEN];

	memset(sum, 0, sizeof sum);
	if (dg != NULL) {
		ks_digest_update(dg, rule.p, rule.n);
		ks_digest_update(dg, "", 1);
		ks_digest_update(dg, uri->data, uri->len);
		ks_digest_update(dg, "", 1);
		ks_digest_update(dg, r->sha256.p, r->sha256.n);
		ks_digest_final(dg, sum, NULL);
		ks_digest_free(dg);
	}
	ks_hex(sum, KS_SHA256_LEN, out);
}

static void result(struct doc *d, const struct kr_report_ctx *c,
		   const struct kr_agg_row *r, size_t m, size_t ridx,
		   struct kr_str rid, int *first)
{
	struct ks_buf uri, msg;
	char buf[160], fp[65], id[2 * KR_ID_LEN + 1];
	int rel;

	ks_buf_init(&uri, KS_BUF_UNLIMITED);
	ks_buf_init(&msg, KS_BUF_UNLIMITED);
	rel = location_uri(&uri, c, r->path);
	raw(d, *first ? "{" : ",{");
	*first = 0;
	key(d, "ruleId", 1);
	texts(d, rid);
	snprintf(buf, sizeof buf, ",\"ruleIndex\":%zu,\"level\":\"%s\"", ridx,
		 kr_sev_sarif(r->sev));
	raw(d, buf);
	ks_buf_append(&msg, rid.p, rid.n);
	ks_buf_puts(&msg, " found in ");
	ks_buf_append(&msg, r->path.p, r->path.n);
	if (m < r->nmatches && kr_str_full(r->matches[m].member)) {
		ks_buf_puts(&msg, " (archive member ");
		ks_buf_append(&msg, r->matches[m].member.p,
			      r->matches[m].member.n);
		ks_buf_puts(&msg, ")");
	}
	if (kr_str_full(r->vm)) {
		ks_buf_puts(&msg, " on ");
		ks_buf_append(&msg, r->vm.p, r->vm.n);
	}
	if (kr_str_full(r->action)) {
		ks_buf_puts(&msg, "; action: ");
		ks_buf_append(&msg, r->action.p, r->action.n);
	}
	ks_buf_puts(&msg, ".");
	key(d, "message", 0);
	raw(d, "{\"text\":");
	text(d, msg.data, msg.len);
	raw(d, "}");
	key(d, "locations", 0);
	raw(d, "[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
	text(d, uri.data, uri.len);
	if (rel)
		raw(d, ",\"uriBaseId\":\"SRCROOT\"");
	raw(d, "},\"region\":{\"startLine\":1}}}]");
	fingerprint(r, rid, &uri, fp);
	snprintf(buf, sizeof buf, ",\"partialFingerprints\":{"
		 "\"ksvmDetection/v1\":\"%s\"}", fp);
	raw(d, buf);
	key(d, "properties", 0);
	raw(d, "{\"ksvmEventId\":\"");
	raw(d, ks_hex(r->id, KR_ID_LEN, id));
	raw(d, "\",\"severity\":\"");
	raw(d, kr_sev_name(r->sev));
	raw(d, "\"");
	if (kr_str_full(r->vm)) {
		key(d, "vm", 0);
		texts(d, r->vm);
	}
	if (kr_str_full(r->sha256)) {
		key(d, "sha256", 0);
		texts(d, r->sha256);
	}
	if (kr_str_full(r->action)) {
		key(d, "action", 0);
		texts(d, r->action);
	}
	if (m < r->nmatches && kr_str_full(r->matches[m].member)) {
		key(d, "archiveMember", 0);
		texts(d, r->matches[m].member);
	}
	raw(d, "}}");
	ks_buf_free(&uri);
	ks_buf_free(&msg);
}

static void notifications(struct doc *d, const struct kr_report_ctx *c)
{
	const struct kr_agg *a = c->agg;
	int first = 1;
	char buf[64];

	raw(d, "[");
	for (size_t i = 0; i < c->inputs->n; i++) {
		const struct kr_input *in = &c->inputs->v[i];

		if (!in->failed)
			continue;
		raw(d, first ? "{" : ",{");
		first = 0;
		raw(d, "\"level\":\"error\",\"message\":{\"text\":");
		ks_buf_reset(&d->tmp);
		{
			struct ks_buf t;

			ks_buf_init(&t, KS_BUF_UNLIMITED);
			ks_buf_puts(&t, "input could not be read: ");
			ks_buf_puts(&t, in->name);
			text(d, t.data, t.len);
			ks_buf_free(&t);
		}
		raw(d, "}}");
	}
	for (size_t i = 0; i < a->nsamples; i++) {
		const struct kr_agg_error *e = &a->samples[i];
		struct ks_buf t;

		ks_buf_init(&t, KS_BUF_UNLIMITED);
		if (kr_str_full(e->program)) {
			ks_buf_append(&t, e->program.p, e->program.n);
			ks_buf_puts(&t, ": ");
		}
		if (kr_str_full(e->input)) {
			ks_buf_append(&t, e->input.p, e->input.n);
			if (e->line > 0)
				ks_buf_printf(&t, ":%" PRIu64, e->line);
			ks_buf_puts(&t, ": ");
		} else if (kr_str_full(e->path)) {
			ks_buf_append(&t, e->path.p, e->path.n);
			ks_buf_puts(&t, ": ");
		}
		if (kr_str_full(e->message))
			ks_buf_append(&t, e->message.p, e->message.n);
		else
			ks_buf_puts(&t, "error");
		raw(d, first ? "{" : ",{");
		first = 0;
		snprintf(buf, sizeof buf, "\"level\":\"%s\",\"message\":{"
			 "\"text\":", e->malformed ? "error" : "warning");
		raw(d, buf);
		text(d, t.data ? (char *)t.data : "", t.len);
		raw(d, "}}");
		ks_buf_free(&t);
	}
	raw(d, "]");
}

enum ks_status kr_sarif_report(struct ks_buf *b, const struct kr_report_ctx *c)
{
	struct doc d = { b, KS_OK, { 0 } };
	const struct kr_agg *a = c->agg;
	struct rules rs;
	struct ks_buf uri;
	int first = 1, ok = 1;

	ks_buf_init(&d.tmp, KS_BUF_UNLIMITED);
	ks_buf_init(&uri, KS_BUF_UNLIMITED);
	memset(&rs, 0, sizeof rs);
	kr_map_init(&rs.ids, sizeof(size_t), 0);
	/* Rules first: the results refer to them by index. */
	for (size_t i = 0; i < a->nrows; i++) {
		const struct kr_agg_row *r = &a->rows[i];

		if (r->type != KR_T_FILE || !kr_str_full(r->path))
			continue;
		for (size_t m = 0; m < (r->nmatches ? r->nmatches : 1); m++)
			rule_of(&rs, r, m);
	}
	for (size_t i = 0; i < c->inputs->n; i++)
		if (c->inputs->v[i].failed || c->inputs->v[i].malformed)
			ok = 0;
	raw(&d, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
		"\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
		"\"name\":\"ksvm\",\"fullName\":\"ksvm (kfscan detections, "
		"reported by kreport)\",\"version\":");
	textc(&d, c->version);
	raw(&d, ",\"rules\":");
	write_rules(&d, &rs);
	raw(&d, "}}");
	if (c->base != NULL) {
		raw(&d, ",\"originalUriBaseIds\":{\"SRCROOT\":{\"uri\":");
		ks_buf_puts(&uri, "file://");
		pct(&uri, c->base, strlen(c->base));
		if (uri.data[uri.len - 1] != '/')
			ks_buf_putc(&uri, '/');
		text(&d, uri.data, uri.len);
		raw(&d, "}}");
	}
	raw(&d, ",\"invocations\":[{\"executionSuccessful\":");
	raw(&d, ok ? "true" : "false");
	raw(&d, ",\"toolExecutionNotifications\":");
	notifications(&d, c);
	raw(&d, "}],\"results\":[");
	/* Rule indexes again, in the same order as above. */
	for (size_t i = 0; i < a->nrows; i++) {
		const struct kr_agg_row *r = &a->rows[i];

		if (r->type != KR_T_FILE || !kr_str_full(r->path))
			continue;
		for (size_t m = 0; m < (r->nmatches ? r->nmatches : 1); m++) {
			struct kr_str rid = rule_id(r, m);
			size_t *slot = kr_map_get(&rs.ids, rid.p, rid.n, 0);

			if (slot != NULL)
				result(&d, c, r, m, *slot - 1, rid, &first);
		}
	}
	raw(&d, "],\"columnKind\":\"unicodeCodePoints\"}]}\n");
	kr_map_free(&rs.ids);
	free(rs.v);
	ks_buf_free(&d.tmp);
	ks_buf_free(&uri);
	return d.st;
}
