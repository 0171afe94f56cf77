#include "report/event.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/digest.h"
#include "core/hex.h"
#include "json/writer.h"

/* Decoded strings of one record; the cap bounds a hostile record (the
 * line itself is capped by the reader). */
#define EVENT_ARENA_MAX (4u << 20)

static const char *const type_names[KR_T_COUNT] = {
	[KR_T_FILE] = "file",
	[KR_T_QUARANTINE] = "quarantine",
	[KR_T_STATS] = "stats",
	[KR_T_ERROR] = "error",
	[KR_T_ALERT] = "alert",
	[KR_T_ANOMALY] = "anomaly",
	[KR_T_HTTP] = "http",
	[KR_T_DNS] = "dns",
	[KR_T_TLS] = "tls",
	[KR_T_FLOW] = "flow",
	[KR_T_URL] = "url",
	[KR_T_ACCESS] = "access",
	[KR_T_OTHER] = "other",
};

const char *kr_type_name(enum kr_type t)
{
	return (unsigned)t < KR_T_COUNT ? type_names[t] : "other";
}

void kr_event_init(struct kr_event *e)
{
	memset(e, 0, sizeof *e);
	ks_arena_init(&e->arena, EVENT_ARENA_MAX);
	kr_event_reset(e);
}

void kr_event_free(struct kr_event *e)
{
	ks_arena_free(&e->arena);
}

void kr_event_reset(struct kr_event *e)
{
	struct ks_arena a = e->arena;

	ks_arena_reset(&a);
	memset(e, 0, sizeof *e);
	e->arena = a;
	e->src_port = e->dest_port = -1;
	for (size_t k = 0; k < sizeof e->root / sizeof e->root[0]; k++)
		e->root[k] = KR_JNONE;
}

/* ---- the top-level members ------------------------------------------------ */

enum root_key {
	R_TIMESTAMP, R_EVENT_TYPE, R_PROGRAM, R_VM, R_SRC_IP, R_DEST_IP,
	R_PROTO, R_SRC_PORT, R_DEST_PORT, R_FLOW_ID, R_FILE, R_VERDICT,
	R_MATCHES, R_ACTION, R_ERROR, R_SKIPPED, R_ALERT, R_ANOMALY, R_HTTP,
	R_DNS, R_TLS, R_FLOW, R_URL, R_HOST, R_QUARANTINE, R_PATH, R_DECISION,
	R_REASON, R_THREAT, R_DETECTION, R_INPUT, R_SCAN, R_COUNT
};

_Static_assert(R_COUNT <= sizeof ((struct kr_event *)0)->root /
			 sizeof(uint32_t), "kr_event.root is too small");

static const char *const root_names[R_COUNT] = {
	"timestamp", "event_type", "program", "vm", "src_ip", "dest_ip",
	"proto", "src_port", "dest_port", "flow_id", "file", "verdict",
	"matches", "action", "error", "skipped", "alert", "anomaly", "http",
	"dns", "tls", "flow", "url", "host", "quarantine", "path", "decision",
	"reason", "threat", "detection", "input", "scan",
};

/* A small hash of a member name to find its root_key in one step: the
 * records are read at hundreds of thousands a second, and one pass over
 * the members is cheaper than a lookup per member wanted. */
#define NBUCKETS 64
#define BUCKET_MAX 4
static uint8_t buckets[NBUCKETS][BUCKET_MAX];
static uint8_t bucket_n[NBUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static unsigned name_hash(const char *p, size_t n)
{
	return n == 0 ? 0 : (unsigned)(n * 7 + (unsigned char)p[0] +
				       3u * (unsigned char)p[n - 1]) % NBUCKETS;
}

static void make_buckets(void)
{
	for (unsigned k = 0; k < R_COUNT; k++) {
		unsigned h = name_hash(root_names[k], strlen(root_names[k]));

		/* The table is small and fixed: a full bucket is a bug
		 * the unit tests catch (a name would not be found). */
		if (bucket_n[h] < BUCKET_MAX)
			buckets[h][bucket_n[h]++] = (uint8_t)k;
	}
}

static void index_root(struct kr_event *e)
{
	const struct kr_jdoc *d = e->doc;

	pthread_once(&buckets_once, make_buckets);
	for (unsigned k = 0; k < R_COUNT; k++)
		e->root[k] = KR_JNONE;
	for (uint32_t i = kr_jfirst(d, 0); i != KR_JNONE; i = kr_jnext(d, 0, i)) {
		const struct kr_jtok *t = &d->tok[i];
		const char *p = d->text + t->off;

		if (t->escaped) {
			/* A name written with escapes: the slow way. */
			for (unsigned k = 0; k < R_COUNT; k++)
				if (kr_jkey_is(d, i, root_names[k]))
					e->root[k] = i + 1;
			continue;
		}
		unsigned h = name_hash(p, t->len);

		for (unsigned b = 0; b < bucket_n[h]; b++) {
			unsigned k = buckets[h][b];

			/* The last of repeated names counts, as in json-c. */
			if (strlen(root_names[k]) == t->len &&
			    memcmp(root_names[k], p, t->len) == 0)
				e->root[k] = i + 1;
		}
	}
}

#define ROOT(e, k) ((e)->root[(k)])

/* ---- member access -------------------------------------------------------- */

static struct kr_str str_at(struct kr_event *e, uint32_t i)
{
	struct kr_str s;

	if (kr_jstr(e->doc, i, &e->arena, &s) != 0)
		return KR_STR_NONE;
	return s;
}

static struct kr_str member(struct kr_event *e, uint32_t obj, const char *key)
{
	return str_at(e, kr_jget(e->doc, obj, key));
}

static int int_member(struct kr_event *e, uint32_t obj, const char *key,
		      int64_t *v)
{
	return kr_jint(e->doc, kr_jget(e->doc, obj, key), v);
}

static int port_at(struct kr_event *e, uint32_t i)
{
	int64_t v;

	if (kr_jint(e->doc, i, &v) != 0 || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

/* ---- per type --------------------------------------------------------------- */

static void endpoints(struct kr_event *e)
{
	int64_t v;

	e->src_ip = str_at(e, ROOT(e, R_SRC_IP));
	e->dest_ip = str_at(e, ROOT(e, R_DEST_IP));
	e->proto = str_at(e, ROOT(e, R_PROTO));
	e->src_port = port_at(e, ROOT(e, R_SRC_PORT));
	e->dest_port = port_at(e, ROOT(e, R_DEST_PORT));
	if (kr_jint(e->doc, ROOT(e, R_FLOW_ID), &v) == 0) {
		e->flow_id = v;
		e->have_flow = 1;
	}
}

static void error_object(struct kr_event *e, uint32_t err)
{
	int64_t line;

	if (kr_jtype(e->doc, err) != KR_J_OBJECT)
		return;
	e->err_kind = member(e, err, "kind");
	e->err_msg = member(e, err, "message");
	e->err_input = member(e, err, "input");
	if (int_member(e, err, "line", &line) == 0 && line > 0)
		e->err_line = (uint64_t)line;
}

static void file_matches(struct kr_event *e, uint32_t arr, int url)
{
	uint32_t m;

	for (m = kr_jfirst(e->doc, arr); m != KR_JNONE;
	     m = kr_jnext(e->doc, arr, m)) {
		struct kr_match *k;

		if (kr_jtype(e->doc, m) != KR_J_OBJECT)
			continue;
		e->matches_total++;
		if (e->nmatches == KR_EVENT_MAX_MATCHES)
			continue;
		k = &e->matches[e->nmatches++];
		if (url) {
			k->rule = member(e, m, "feed");
			k->source = member(e, m, "category");
			continue;
		}
		k->rule = member(e, m, "rule");
		k->source = member(e, m, "source");
		k->set = member(e, m, "rule_set");
		if (!kr_str_set(k->set))
			k->set = member(e, m, "list");
		k->member = member(e, m, "member");
		k->description = member(e, kr_jget(e->doc, m, "meta"),
					"description");
	}
}

static void do_file(struct kr_event *e)
{
	uint32_t f = ROOT(e, R_FILE);
	uint32_t act = ROOT(e, R_ACTION);
	uint32_t ms = ROOT(e, R_MATCHES);
	int64_t v;

	e->path = member(e, f, "path");
	e->sha256 = member(e, f, "sha256");
	if (int_member(e, f, "size", &v) == 0 && v >= 0) {
		e->size = (uint64_t)v;
		e->have_size = 1;
	}
	e->verdict = str_at(e, ROOT(e, R_VERDICT));
	file_matches(e, ms, 0);
	if (e->nmatches > 0) {
		e->threat = e->matches[0].rule;
		e->category = member(e, kr_jget(e->doc, kr_jfirst(e->doc, ms),
						"meta"), "category");
	}
	error_object(e, ROOT(e, R_ERROR));
	e->reason = member(e, ROOT(e, R_SKIPPED), "reason");
	if (kr_jtype(e->doc, act) == KR_J_OBJECT) {
		uint32_t taken = kr_jget(e->doc, act, "taken");

		if (kr_jtype(e->doc, taken) == KR_J_STRING)
			e->action = str_at(e, taken);
		else if (kr_jtype(e->doc, taken) == KR_J_NULL)
			e->action = kr_str_c("failed");
	}
	if (kr_str_eq(e->verdict, "infected")) {
		e->detection = 1;
		/* A detection whose every action failed is still there. */
		e->sev = kr_str_eq(e->action, "failed") ? KR_SEV_CRITICAL :
							  KR_SEV_HIGH;
		if (!kr_str_full(e->category))
			e->category = kr_str_c("malware");
		if (!kr_str_full(e->threat))
			e->threat = kr_str_c("(unnamed)");
	} else if (kr_str_eq(e->verdict, "error")) {
		e->sev = KR_SEV_LOW;
	}
}

static void do_quarantine(struct kr_event *e)
{
	uint32_t q = ROOT(e, R_QUARANTINE);
	struct kr_str result = member(e, q, "result");

	e->path = member(e, q, "path");
	e->sha256 = member(e, q, "sha256");
	e->threat = member(e, q, "detection");
	e->action = member(e, q, "operation");
	e->verdict = result;
	if (!kr_str_set(e->vm))
		e->vm = member(e, q, "vm");
	if (kr_str_eq(result, "failed"))
		e->sev = KR_SEV_LOW;
}

static void do_alert(struct kr_event *e)
{
	uint32_t a = ROOT(e, R_ALERT);
	int64_t v;

	e->detection = 1;
	e->signature_id = 0;
	if (int_member(e, a, "signature_id", &v) == 0) {
		e->signature_id = v;
		e->have_sid = 1;
	}
	e->threat = member(e, a, "signature");
	if (!kr_str_full(e->threat))
		e->threat = kr_str_c("(unnamed signature)");
	e->category = member(e, a, "category");
	if (!kr_str_full(e->category))
		e->category = kr_str_c("alert");
	e->action = member(e, a, "action");
	e->sev = int_member(e, a, "severity", &v) == 0 ?
			 kr_sev_from_suricata(v) : KR_SEV_LOW;
}

static void do_anomaly(struct kr_event *e)
{
	uint32_t a = ROOT(e, R_ANOMALY);

	e->threat = member(e, a, "event");
	e->category = member(e, a, "type");
	e->sev = KR_SEV_LOW;
}

static void do_dns(struct kr_event *e)
{
	uint32_t d = ROOT(e, R_DNS);

	e->host = member(e, d, "rrname");
	if (!kr_str_set(e->host)) {
		uint32_t q = kr_jget(e->doc, d, "queries");

		e->host = member(e, kr_jfirst(e->doc, q), "rrname");
	}
}

static int is_threat_verdict(struct kr_str v)
{
	return kr_str_eq(v, "malicious") || kr_str_eq(v, "phishing");
}

static void do_url(struct kr_event *e)
{
	uint32_t u = ROOT(e, R_URL);

	/* kurlcheck's record: the input as given, and url{} with its
	 * canonical form and host (ksvm-events(7)). */
	if (kr_jtype(e->doc, u) == KR_J_OBJECT) {
		e->url = member(e, u, "canonical");
		e->host = member(e, u, "host");
	} else {
		e->url = str_at(e, u);
	}
	if (!kr_str_set(e->url))
		e->url = str_at(e, ROOT(e, R_INPUT));
	if (!kr_str_set(e->host))
		e->host = str_at(e, ROOT(e, R_HOST));
	e->verdict = str_at(e, ROOT(e, R_VERDICT));
	e->action = str_at(e, ROOT(e, R_ACTION));
	file_matches(e, ROOT(e, R_MATCHES), 1);
	if (is_threat_verdict(e->verdict)) {
		e->detection = 1;
		e->sev = KR_SEV_HIGH;
		e->threat = kr_str_full(e->host) ? e->host : e->url;
		if (!kr_str_full(e->threat))
			e->threat = kr_str_c("(unnamed address)");
		e->category = e->nmatches > 0 && kr_str_full(e->matches[0].source) ?
				      e->matches[0].source : e->verdict;
	} else if (kr_str_eq(e->verdict, "error")) {
		e->sev = KR_SEV_LOW;
	}
	error_object(e, ROOT(e, R_ERROR));
}

static void do_access(struct kr_event *e)
{
	uint32_t m;

	e->path = str_at(e, ROOT(e, R_PATH));
	if (!kr_str_set(e->path))
		e->path = member(e, ROOT(e, R_FILE), "path");
	e->verdict = str_at(e, ROOT(e, R_DECISION));
	e->action = e->verdict;
	e->reason = str_at(e, ROOT(e, R_REASON));
	e->threat = str_at(e, ROOT(e, R_THREAT));
	if (!kr_str_set(e->threat))
		e->threat = str_at(e, ROOT(e, R_DETECTION));
	m = ROOT(e, R_MATCHES);
	if (!kr_str_set(e->threat))
		e->threat = member(e, kr_jfirst(e->doc, m), "rule");
	if (!kr_str_set(e->threat)) {
		/* kgi-relay's record: the scan's verdict and rule names. */
		uint32_t rules = kr_jget(e->doc, ROOT(e, R_SCAN), "rules");

		if (kr_jtype(e->doc, rules) == KR_J_ARRAY)
			e->threat = str_at(e, kr_jfirst(e->doc, rules));
	}
	if (kr_str_eq(e->verdict, "deny")) {
		if (kr_str_eq(e->reason, "detected")) {
			e->detection = 1;
			e->sev = KR_SEV_HIGH;
			e->category = kr_str_c("malware");
			if (!kr_str_full(e->threat))
				e->threat = kr_str_c("(unnamed)");
		} else {
			e->sev = KR_SEV_MEDIUM;
		}
	} else if (kr_str_eq(e->reason, "timeout") ||
		   kr_str_eq(e->reason, "scanner-error") ||
		   kr_str_eq(e->reason, "not-scanned") ||
		   kr_str_eq(e->reason, "bad-event")) {
		/* A file let through unscanned is a gap in the protection. */
		e->sev = KR_SEV_LOW;
	}
}

static const struct {
	const char *name;
	enum kr_type type;
} known[] = {
	{ "file", KR_T_FILE }, { "quarantine", KR_T_QUARANTINE },
	{ "stats", KR_T_STATS }, { "error", KR_T_ERROR },
	{ "alert", KR_T_ALERT }, { "anomaly", KR_T_ANOMALY },
	{ "http", KR_T_HTTP }, { "dns", KR_T_DNS }, { "tls", KR_T_TLS },
	{ "flow", KR_T_FLOW }, { "url", KR_T_URL }, { "access", KR_T_ACCESS },
};

static enum kr_type type_of(struct kr_str et)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (kr_str_eq(et, known[i].name))
			return known[i].type;
	return KR_T_OTHER;
}

static void set_id(struct kr_event *e, const void *p, size_t n)
{
	uint8_t sum[KS_SHA256_LEN];

	if (ks_sha256(p, n, sum) == KS_OK)
		memcpy(e->id, sum, KR_ID_LEN);
}

static size_t trimmed(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
			   line[len - 1] == '\t' || line[len - 1] == '\n'))
		len--;
	return len;
}

void kr_event_from_doc(struct kr_event *e, struct kr_jdoc *doc,
		       const char *line, size_t len, const char *input,
		       uint64_t line_no)
{
	struct kr_str ts;
	char tbuf[64];

	kr_event_reset(e);
	e->doc = doc;
	e->line = line;
	e->len = trimmed(line, len);
	e->input = input;
	e->line_no = line_no;
	index_root(e);
	e->event_type = str_at(e, ROOT(e, R_EVENT_TYPE));
	e->program = str_at(e, ROOT(e, R_PROGRAM));
	e->vm = str_at(e, ROOT(e, R_VM));
	ts = str_at(e, ROOT(e, R_TIMESTAMP));
	if (ts.p != NULL && ts.n < sizeof tbuf && memchr(ts.p, 0, ts.n) == NULL) {
		memcpy(tbuf, ts.p, ts.n);
		tbuf[ts.n] = '\0';
		e->have_ts = ks_time_parse(tbuf, &e->ts) == 0;
	}
	e->type = type_of(e->event_type);
	e->sev = KR_SEV_INFO;
	endpoints(e);
	switch (e->type) {
	case KR_T_FILE: do_file(e); break;
	case KR_T_QUARANTINE: do_quarantine(e); break;
	case KR_T_STATS: break;
	case KR_T_ERROR:
		error_object(e, ROOT(e, R_ERROR));
		e->sev = KR_SEV_LOW;
		break;
	case KR_T_ALERT: do_alert(e); break;
	case KR_T_ANOMALY: do_anomaly(e); break;
	case KR_T_HTTP:
		e->host = member(e, ROOT(e, R_HTTP), "hostname");
		e->url = member(e, ROOT(e, R_HTTP), "url");
		break;
	case KR_T_DNS: do_dns(e); break;
	case KR_T_TLS:
		e->host = member(e, ROOT(e, R_TLS), "sni");
		break;
	case KR_T_FLOW:
		e->action = member(e, ROOT(e, R_FLOW), "action");
		break;
	case KR_T_URL: do_url(e); break;
	case KR_T_ACCESS: do_access(e); break;
	case KR_T_OTHER:
		e->path = member(e, ROOT(e, R_FILE), "path");
		break;
	}
	set_id(e, e->line, e->len);
}

void kr_event_malformed(struct kr_event *e, const char *line, size_t len,
			const char *input, uint64_t line_no,
			const char *kind, const char *message,
			struct ks_time now)
{
	struct ks_digest *d;
	uint8_t sum[KS_SHA256_LEN];
	char num[32];

	kr_event_reset(e);
	e->own = 1;
	e->malformed = 1;
	e->line = line;
	e->len = len;
	e->input = input;
	e->line_no = line_no;
	e->type = KR_T_ERROR;
	e->event_type = kr_str_c("error");
	e->program = kr_str_c("kreport");
	e->ts = now;
	e->have_ts = 1;
	e->sev = KR_SEV_LOW;
	e->err_kind = kr_str_c(kind);
	e->err_msg = kr_str_c(ks_arena_strdup(&e->arena, message));
	e->err_input = kr_str_c(input);
	e->err_line = line_no;
	snprintf(num, sizeof num, "%llu", (unsigned long long)line_no);
	d = ks_digest_new(KS_DIGEST_SHA256);
	if (d != NULL) {
		ks_digest_update(d, "malformed", 10);
		ks_digest_update(d, input, strlen(input) + 1);
		ks_digest_update(d, num, strlen(num) + 1);
		ks_digest_update(d, line, len);
		if (ks_digest_final(d, sum, NULL) == KS_OK)
			memcpy(e->id, sum, KR_ID_LEN);
		ks_digest_free(d);
	}
}

struct kr_str kr_event_json(struct kr_event *e)
{
	struct kj_writer w;
	char kind[32], *copy;
	struct kr_str out = KR_STR_NONE;

	if (!e->own)
		return (struct kr_str){ e->line, e->len };
	kj_writer_init(&w, 0);
	snprintf(kind, sizeof kind, "%.*s", (int)e->err_kind.n,
		 e->err_kind.p ? e->err_kind.p : "");
	kj_record_begin(&w, e->ts, "error", "kreport");
	kj_obj_open(&w, "error");
	if (kr_str_set(e->err_input))
		kj_strn(&w, "input", e->err_input.p, e->err_input.n);
	if (e->err_line > 0)
		kj_uint(&w, "line", e->err_line);
	kj_str(&w, "kind", kind);
	kj_strn(&w, "message", e->err_msg.p ? e->err_msg.p : "", e->err_msg.n);
	kj_obj_close(&w);
	if (kj_record_end(&w) == KS_OK && w.buf.len > 0) {
		copy = ks_arena_memdup(&e->arena, w.buf.data, w.buf.len - 1);
		if (copy != NULL)
			out = (struct kr_str){ copy, w.buf.len - 1 };
	}
	kj_writer_free(&w);
	return out;
}

char *kr_event_id_hex(const struct kr_event *e, char out[2 * KR_ID_LEN + 1])
{
	return ks_hex(e->id, KR_ID_LEN, out);
}

static int has_colon(struct kr_str s)
{
	return s.p != NULL && memchr(s.p, ':', s.n) != NULL;
}

struct kr_str kr_event_endpoints(struct kr_event *e)
{
	char *o;
	size_t cap, k = 0;

	if (!kr_str_full(e->src_ip) && !kr_str_full(e->dest_ip))
		return KR_STR_NONE;
	cap = e->src_ip.n + e->dest_ip.n + e->proto.n + 64;
	o = ks_arena_alloc(&e->arena, cap);
	if (o == NULL)
		return KR_STR_NONE;
#define PUT(p, n) do { memcpy(o + k, (p), (n)); k += (n); } while (0)
	if (has_colon(e->src_ip)) {
		PUT("[", 1);
		PUT(e->src_ip.p, e->src_ip.n);
		PUT("]", 1);
	} else if (e->src_ip.p != NULL) {
		PUT(e->src_ip.p, e->src_ip.n);
	}
	if (e->src_port >= 0)
		k += (size_t)snprintf(o + k, cap - k, ":%d", e->src_port);
	PUT(" -> ", 4);
	if (has_colon(e->dest_ip)) {
		PUT("[", 1);
		PUT(e->dest_ip.p, e->dest_ip.n);
		PUT("]", 1);
	} else if (e->dest_ip.p != NULL) {
		PUT(e->dest_ip.p, e->dest_ip.n);
	}
	if (e->dest_port >= 0)
		k += (size_t)snprintf(o + k, cap - k, ":%d", e->dest_port);
	if (kr_str_full(e->proto)) {
		PUT(" ", 1);
		PUT(e->proto.p, e->proto.n);
	}
#undef PUT
	return (struct kr_str){ o, k };
}
