#include "net/engine.h"

#include <stdlib.h>
#include <string.h>

#include "core/u64map.h"
#include "json/writer.h"
#include "net/eve.h"
#include "url/check.h"
#include "url/hash.h"
#include "net/inspect.h"

/* Flow marks. */
enum { MARK_ALERTED = 1, MARK_DROP = 2 };

struct rate {                /* anomaly records of one event name */
	const char *event;
	uint64_t minute;
	uint64_t count;
};

#define MAX_RATES 256

struct kn_engine {
	struct kn_engine_conf c;
	kn_record_cb out;
	void *ctx;
	struct kj_writer w;
	struct kn_eve eve;
	struct kn_flows *flows;
	struct kn_defrag *defrag;
	struct kn_det *det;
	struct kn_policy *pol;
	struct kn_app_cb app;
	struct kn_inspector insp;    /* intrusion signatures (net/inspect.h) */
	struct kn_flow *insp_flow;   /* the flow of the packet being handled */
	int insp_drop;
	struct ks_u64map episodes;   /* (class, episode) -> action + 1 */
	struct rate rates[MAX_RATES];
	size_t nrates;
	uint64_t now_us;             /* the packet clock */
	uint64_t last_tick_us;
	uint64_t pcap_cnt;
	struct kn_pkt pkt;           /* the packet being handled */
	struct kn_pkt inner;         /* a reassembled datagram */
	struct kn_engine_stats st;
	const struct ku_db *url_db;  /* the caller's, or NULL */
	struct ku_check *url_check;
	struct ks_buf url_buf;       /* an HTTP request's absolute URL */
	kn_stats_extra_cb extra;     /* the caller's counters, or NULL */
	void *extra_ctx;
};

static uint64_t usec(struct ks_time t)
{
	return (uint64_t)t.sec * 1000000u + t.usec;
}

static void emit(struct kn_engine *e)
{
	if (e->w.buf.len > 0)
		e->out(e->ctx, (const char *)e->w.buf.data, e->w.buf.len);
	ks_buf_reset(&e->w.buf);
}

int kn_events_parse(const char *list, unsigned *out, struct ks_err *err)
{
	static const struct { const char *n; unsigned bit; } names[] = {
		{ "alert", KN_EV_ALERT }, { "anomaly", KN_EV_ANOMALY },
		{ "http", KN_EV_HTTP }, { "dns", KN_EV_DNS },
		{ "tls", KN_EV_TLS }, { "flow", KN_EV_FLOW },
		{ "stats", KN_EV_STATS },
	};
	const char *p = list;
	unsigned bits = 0;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		size_t i;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			bits = ~0u;
		} else {
			for (i = 0; i < sizeof names / sizeof names[0]; i++)
				if (strlen(names[i].n) == n &&
				    strncmp(p, names[i].n, n) == 0)
					break;
			if (i == sizeof names / sizeof names[0]) {
				ks_err_set(err, KS_ERR_USAGE, "unknown event type "
					   "'%.*s' (alert, anomaly, http, dns, "
					   "tls, flow, stats, all)", (int)n, p);
				return -1;
			}
			bits |= names[i].bit;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*out = bits;
	return 0;
}

void kn_engine_defaults(struct kn_engine_conf *c)
{
	memset(c, 0, sizeof *c);
	kn_flow_defaults(&c->flow);
	kn_defrag_defaults(&c->defrag);
	kn_app_defaults(&c->app);
	kn_det_defaults(&c->det);
	kn_policy_defaults(&c->policy);
	c->events = KN_EV_DEFAULT;
	c->anomaly_per_minute = 100;
}

/* ---- anomalies ---------------------------------------------------------------- */

static int rate_ok(struct kn_engine *e, const char *event)
{
	uint64_t minute = e->now_us / 60000000u;
	struct rate *r = NULL;

	if (e->c.anomaly_per_minute == 0)
		return 1;
	for (size_t i = 0; i < e->nrates; i++) {
		/* Event names are static strings: the pointer is the name. */
		if (e->rates[i].event == event || strcmp(e->rates[i].event, event) == 0) {
			r = &e->rates[i];
			break;
		}
	}
	if (r == NULL) {
		if (e->nrates == MAX_RATES)
			return 0;
		r = &e->rates[e->nrates++];
		r->event = event;
		r->minute = minute;
		r->count = 0;
	}
	if (r->minute != minute) {
		r->minute = minute;
		r->count = 0;
	}
	return r->count++ < e->c.anomaly_per_minute;
}

static void anomaly(struct kn_engine *e, const struct kn_pkt *p,
		    const struct kn_flow *fl, const char *type,
		    const char *event, const char *layer, const char *app)
{
	e->st.anomalies++;
	if (!(e->c.events & KN_EV_ANOMALY))
		return;
	if (!rate_ok(e, event)) {
		e->st.anomalies_suppressed++;
		return;
	}
	kn_eve_anomaly(&e->eve, p, fl, type, event, layer, app);
	emit(e);
}

static void packet_anomalies(struct kn_engine *e, const struct kn_pkt *p,
			     const struct kn_flow *fl, int from)
{
	for (int i = from; i < p->nan; i++) {
		const char *type = strncmp(p->an[i].event, "stream.", 7) == 0 ?
					   "stream" : "decode";

		anomaly(e, p, fl, type, p->an[i].event, p->an[i].layer, NULL);
		if (p->an[i].truncated)
			e->st.truncated++;
		else if (strcmp(type, "decode") == 0)
			e->st.decode_errors++;
	}
}

/* ---- web addresses ------------------------------------------------------------- */

/* 1 when this flow has alerted on the address (and remembers it when
 * not): a keep-alive connection's requests, or a resolver's query and
 * answer, make one alert.  The latest KN_FLOW_URLS addresses are kept. */
static int url_seen(struct kn_flow *f, const struct ku_check *c)
{
	uint32_t h = (uint32_t)ku_hash(c->url.canonical, c->url.canonical_len,
				       c->url.host_only);
	size_t n = f->url_nseen < KN_FLOW_URLS ? f->url_nseen : KN_FLOW_URLS;

	for (size_t i = 0; i < n; i++)
		if (f->url_seen[i] == h)
			return 1;
	/* url_nseen counts up to 2 * KN_FLOW_URLS and goes back to
	 * KN_FLOW_URLS, so that it says "all slots used" and its remainder
	 * keeps naming the oldest slot. */
	f->url_seen[f->url_nseen % KN_FLOW_URLS] = h;
	f->url_nseen = (uint8_t)(f->url_nseen + 1 == 2 * KN_FLOW_URLS ?
				 KN_FLOW_URLS : f->url_nseen + 1);
	return 0;
}

static int url_alertable(const struct ku_check *c)
{
	return c->verdict == KU_LISTED && c->category != NULL &&
	       (strcmp(c->category, "malicious") == 0 ||
		strcmp(c->category, "phishing") == 0);
}

/* Check one address of a flow; a listed one is a finding of class url. */
static void url_check(struct kn_engine *e, struct kn_flow *f,
		      const struct kn_pkt *p, struct kn_url_alert *a,
		      const char *host, size_t host_len)
{
	struct ku_check *c = e->url_check;
	enum ku_verdict v;

	e->st.url_checked++;
	v = ku_check(c, e->url_db, a->input, a->input_len, a->http == NULL);
	if (v == KU_ERROR && host != NULL && host_len > 0) {
		/* An HTTP URL the checker cannot take (too long, a bad
		 * escape): its host still names the site. */
		a->input = host;
		a->input_len = host_len;
		v = ku_check(c, e->url_db, host, host_len, 1);
	}
	if (v == KU_ERROR) {
		e->st.url_unusable++;
		return;
	}
	if (v != KU_LISTED)
		return;
	e->st.url_listed++;
	if (!url_alertable(c) || url_seen(f, c))
		return;
	a->check = c;
	a->db = e->url_db;
	/* The client is the finding's source (what block blocks); an
	 * excluded server is as trusted as an excluded client. */
	if (kn_policy_excluded(e->pol, &f->srv))
		a->act = KN_ACT_ALLOW;
	else
		a->act = kn_policy_finding(e->pol, KN_CLASS_URL, &f->cli,
					   f->proto, 0, e->now_us);
	f->marks |= MARK_ALERTED;
	if (a->act != KN_ACT_ALLOW)
		f->marks |= MARK_DROP;
	e->st.alerts++;
	e->st.url_alerts++;
	if (e->c.events & KN_EV_ALERT) {
		kn_eve_alert_url(&e->eve, f, p, a);
		emit(e);
	}
}

/* ---- application layer callbacks ---------------------------------------------- */

/* An inspector's answer: its alerts are counted; a drop applies only to
 * the flow of the packet being handled. */
static void insp_result(struct kn_engine *e, const struct kn_flow *f, int rv)
{
	e->st.alerts += (unsigned)rv >> 1;
	if ((rv & KN_INSPECT_DROP) && f == e->insp_flow)
		e->insp_drop = 1;
}

void kn_engine_set_inspector(struct kn_engine *e, const struct kn_inspector *in)
{
	e->insp = *in;
}

struct kn_policy *kn_engine_policy(struct kn_engine *e)
{
	return e->pol;
}

static void on_http(void *ctx, struct kn_flow *f, const struct kn_http_req *r,
		    const struct kn_pkt *p)
{
	struct kn_engine *e = ctx;

	e->st.http++;
	if (e->c.events & KN_EV_HTTP) {
		kn_eve_http(&e->eve, f, r, p);
		emit(e);
	}
	if (e->url_db != NULL) {
		struct kn_url_alert a = { .source = "http", .http = r };

		ks_buf_reset(&e->url_buf);
		if (kn_http_absolute_url(r, f, &e->url_buf) != 0)
			return;
		a.input = (const char *)e->url_buf.data;
		a.input_len = e->url_buf.len;
		url_check(e, f, p, &a, (const char *)r->host.p, r->host.n);
	}
	if (e->insp.http_request != NULL)
		insp_result(e, f, e->insp.http_request(e->insp.ctx, f, r, p));
}

static void on_http_resp(void *ctx, struct kn_flow *f,
			 const struct kn_http_req *req,
			 const struct kn_http_resp *r, const struct kn_pkt *p)
{
	struct kn_engine *e = ctx;

	if (e->insp.http_response != NULL)
		insp_result(e, f, e->insp.http_response(e->insp.ctx, f, req, r, p));
}

static void on_dns(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		   const struct kn_pkt *p)
{
	struct kn_engine *e = ctx;

	e->st.dns++;
	if (e->c.events & KN_EV_DNS) {
		kn_eve_dns(&e->eve, f, m, p);
		emit(e);
	}
	if (e->url_db != NULL && m->qname[0] != '\0') {
		struct kn_url_alert a = { .source = "dns", .dns = m,
					  .input = m->qname,
					  .input_len = strlen(m->qname) };

		url_check(e, f, p, &a, NULL, 0);
	}
	if (e->insp.dns != NULL)
		insp_result(e, f, e->insp.dns(e->insp.ctx, f, m, p));
}

static void on_tls(void *ctx, struct kn_flow *f, const struct kn_tls_hello *h,
		   const struct kn_pkt *p)
{
	struct kn_engine *e = ctx;

	e->st.tls++;
	if (e->c.events & KN_EV_TLS) {
		kn_eve_tls(&e->eve, f, h, NULL, p);
		emit(e);
	}
	if (e->url_db != NULL && h->has_sni && h->sni.n > 0) {
		struct kn_url_alert a = { .source = "tls", .tls = h,
					  .input = (const char *)h->sni.p,
					  .input_len = h->sni.n };

		url_check(e, f, p, &a, NULL, 0);
	}
	if (e->insp.tls_hello != NULL)
		insp_result(e, f, e->insp.tls_hello(e->insp.ctx, f, h, p));
}

static void on_cert(void *ctx, struct kn_flow *f, const struct kn_tls_cert *c,
		    const struct kn_pkt *p)
{
	struct kn_engine *e = ctx;

	if (e->c.events & KN_EV_TLS) {
		kn_eve_tls(&e->eve, f, NULL, c, p);
		emit(e);
	}
	if (e->insp.tls_cert != NULL)
		insp_result(e, f, e->insp.tls_cert(e->insp.ctx, f, c, p));
}

static void on_app_anomaly(void *ctx, struct kn_flow *f, const char *app,
			   const char *event, const struct kn_pkt *p)
{
	anomaly(ctx, p, f, "applayer", event, NULL, app);
}

static void on_stream(void *ctx, struct kn_flow *f, int dir,
		      const uint8_t *data, size_t len)
{
	struct kn_engine *e = ctx;

	kn_app_stream(&e->c.app, &e->app, f, dir, data, len, &e->pkt);
	if (e->insp.stream != NULL)
		insp_result(e, f, e->insp.stream(e->insp.ctx, f, dir, data, len,
						 &e->pkt));
}

static void on_flow_end(void *ctx, struct kn_flow *f, const char *reason)
{
	struct kn_engine *e = ctx;

	/* What the application layer still held (a response read until the
	 * close) is reported before the flow's state goes. */
	kn_app_end(&e->c.app, &e->app, f, &e->pkt);
	if (e->insp.flow_end != NULL)
		e->insp.flow_end(e->insp.ctx, f);
	e->st.flows++;
	if (e->c.events & KN_EV_FLOW) {
		kn_eve_flow(&e->eve, f, reason);
		emit(e);
	}
}

/* ---- attacks ------------------------------------------------------------------ */

static uint64_t episode_key(const struct kn_attack *a)
{
	return (uint64_t)a->cls << 48 | a->episode;
}

static void on_attack(void *ctx, const struct kn_attack *a,
		      enum kn_episode_phase phase)
{
	struct kn_engine *e = ctx;
	uint64_t k = episode_key(a);
	enum kn_action act;
	void *v;

	if (phase == KN_EPISODE_START) {
		/* The policy acts at once; the one record comes at the end,
		 * with the final counters. */
		act = kn_policy_finding(e->pol, (int)a->cls, &a->src, a->proto,
					a->spoofed, e->now_us);
		ks_u64map_put(&e->episodes, k, (void *)(uintptr_t)(act + 1));
		return;
	}
	v = ks_u64map_del(&e->episodes, k);
	act = v != NULL ? (enum kn_action)((uintptr_t)v - 1) : KN_ACT_ALLOW;
	e->st.alerts++;
	if (e->c.events & KN_EV_ALERT) {
		kn_eve_alert_attack(&e->eve, a, act, NULL);
		emit(e);
	}
}

/* ---- set-up ------------------------------------------------------------------- */

struct kn_engine *kn_engine_new(const struct kn_engine_conf *c,
				kn_record_cb out, void *ctx,
				struct ks_err *err)
{
	struct kn_engine *e = calloc(1, sizeof *e);

	if (e == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	e->c = *c;
	e->out = out;
	e->ctx = ctx;
	kj_writer_init(&e->w, 0);
	ks_buf_init(&e->url_buf, KN_HTTP_URL_MAX);
	e->eve.w = &e->w;
	e->eve.strict = c->strict;
	e->eve.monitoring = c->policy.monitoring;
	ks_u64map_init(&e->episodes, 1u << 20);
	e->app.ctx = e;
	e->app.http_request = on_http;
	e->app.http_response = on_http_resp;
	e->app.dns = on_dns;
	e->app.tls_hello = on_tls;
	e->app.tls_cert = on_cert;
	e->app.anomaly = on_app_anomaly;
	e->flows = kn_flows_new(&c->flow, on_flow_end, kn_app_free, e);
	e->defrag = kn_defrag_new(&c->defrag);
	e->det = kn_det_new(&c->det, on_attack, e);
	e->pol = kn_policy_new(&c->policy);
	if (e->flows == NULL || e->defrag == NULL || e->det == NULL ||
	    e->pol == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		kn_engine_free(e);
		return NULL;
	}
	return e;
}

void kn_engine_free(struct kn_engine *e)
{
	if (e == NULL)
		return;
	kn_flows_free(e->flows);
	kn_defrag_free(e->defrag);
	kn_det_free(e->det);
	kn_policy_free(e->pol);
	ks_u64map_free(&e->episodes);
	kj_writer_free(&e->w);
	ku_check_free(e->url_check);
	ks_buf_free(&e->url_buf);
	free(e);
}

enum ks_status kn_engine_set_url_db(struct kn_engine *e,
				    const struct ku_db *db,
				    struct ks_err *err)
{
	if (db != NULL && e->url_check == NULL &&
	    (e->url_check = ku_check_new()) == NULL) {
		e->url_db = NULL;
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	e->url_db = db;
	return KS_OK;
}

/* ---- the packet path ------------------------------------------------------------- */

static void tick(struct kn_engine *e)
{
	/* Timers run once per second of packet time: cheap enough for
	 * every packet rate, precise enough for timeouts in seconds. */
	if (e->now_us - e->last_tick_us < 1000000u)
		return;
	e->last_tick_us = e->now_us;
	kn_flows_expire(e->flows, e->now_us);
	kn_defrag_expire(e->defrag, e->now_us);
	kn_det_tick(e->det, e->now_us);
	kn_policy_expire(e->pol, e->now_us);
}

/* Flows, the application layer and the detectors for a packet with its
 * network layer decoded (the frame's own, or a reassembled datagram).
 * Returns the detectors' episode mask. */
static uint32_t inspect(struct kn_engine *e, struct kn_pkt *p,
			const struct kn_defrag_events *ev, int *flow_drop)
{
	struct kn_flow *fl = NULL;
	int dir = KN_TO_SERVER;
	int before = p->nan;

	/* A fragment's bytes reach flows and streams only through the
	 * reassembled datagram, never twice. */
	if (p->ipv != 0 && (p->has_l4 || p->proto == 1 || p->proto == 58) &&
	    !(p->is_frag && !p->reassembled)) {
		fl = kn_flows_packet(e->flows, p, &dir);
		e->insp_flow = fl;
		if (fl != NULL) {
			if (p->proto == 6 && p->has_l4)
				kn_flows_tcp(e->flows, fl, p, dir, on_stream, e);
			else if (p->proto == 17 && p->has_l4)
				kn_app_udp(&e->c.app, &e->app, fl, dir, p);
		}
	}
	if (e->insp.packet != NULL && !(p->is_frag && !p->reassembled)) {
		e->insp_flow = fl;
		insp_result(e, fl, e->insp.packet(e->insp.ctx, fl, dir, p));
	}
	e->insp_flow = NULL;
	/* A drop rule's verdict holds for the rest of the flow. */
	if (fl != NULL && e->insp_drop)
		fl->marks |= MARK_DROP;
	if (fl != NULL && (fl->marks & MARK_DROP))
		*flow_drop = 1;
	/* Stream anomalies recorded while reassembling. */
	packet_anomalies(e, p, fl, before);
	return kn_det_packet(e->det, p, fl, dir, ev);
}

int kn_engine_frame(struct kn_engine *e, int linktype, const uint8_t *frame,
		    size_t caplen, size_t wirelen, struct ks_time ts)
{
	struct kn_pkt *p = &e->pkt;
	struct kn_defrag_events ev;
	uint32_t mask = 0;
	int flow_drop = 0, would = 0, drop = 0;
	const uint8_t *ip;
	size_t iplen;

	e->st.packets++;
	e->st.bytes += wirelen;
	e->insp_drop = 0;
	kn_decode(p, linktype, frame, caplen, wirelen, ts);
	p->pcap_cnt = ++e->pcap_cnt;
	if (usec(ts) > e->now_us)
		e->now_us = usec(ts);
	tick(e);
	packet_anomalies(e, p, NULL, 0);

	/* A blocked source's packets go no further. */
	if (p->ipv != 0 && kn_policy_blocked(e->pol, p, e->now_us, &would)) {
		e->st.dropped++;
		e->st.dropped_blocked++;
		return 0;
	}
	memset(&ev, 0, sizeof ev);
	if (p->is_frag) {
		enum kn_defrag_result r;

		e->st.fragments++;
		r = kn_defrag_add(e->defrag, p, &ip, &iplen, &ev);
		if (ev.overlap_differs)
			anomaly(e, p, NULL, "decode", "defrag.overlap_differs",
				p->ipv == 6 ? "ipv6" : "ipv4", NULL);
		if (ev.too_large)
			anomaly(e, p, NULL, "decode", "defrag.too_large",
				p->ipv == 6 ? "ipv6" : "ipv4", NULL);
		/* The fragment itself: detectors see it with what
		 * defragmentation found. */
		mask |= inspect(e, p, &ev, &flow_drop);
		if (r == KN_DEFRAG_DONE) {
			struct kn_pkt *q = &e->inner;

			e->st.reassembled++;
			*q = *p;
			kn_decode_ip(q, ip, iplen);
			q->reassembled = 1;
			memset(&ev, 0, sizeof ev);
			mask |= inspect(e, q, &ev, &flow_drop);
			packet_anomalies(e, q, NULL, 0);
		}
	} else {
		mask |= inspect(e, p, &ev, &flow_drop);
	}
	/* Drop the packet when an episode it belongs to, or its flow, calls
	 * for it and the source is not excluded. */
	for (int cls = 0; cls < KN_AT_COUNT && !drop; cls++) {
		if (!(mask & (1u << cls)))
			continue;
		if (e->c.policy.action[cls] != KN_ACT_ALLOW &&
		    !(p->ipv != 0 && kn_policy_excluded(e->pol, &p->src)))
			drop = 1;
	}
	drop |= flow_drop | e->insp_drop;
	if (drop && !e->c.policy.monitoring) {
		e->st.dropped++;
		return 0;
	}
	e->st.passed++;
	return 1;
}

void kn_engine_idle(struct kn_engine *e, struct ks_time now)
{
	if (usec(now) > e->now_us)
		e->now_us = usec(now);
	tick(e);
}

void kn_engine_finish(struct kn_engine *e)
{
	kn_flows_end_all(e->flows);
	kn_det_flush(e->det);
}

void kn_engine_get_stats(const struct kn_engine *e, struct kn_engine_stats *s)
{
	*s = e->st;
}

void kn_engine_set_stats_extra(struct kn_engine *e, kn_stats_extra_cb fn,
			       void *ctx)
{
	e->extra = fn;
	e->extra_ctx = ctx;
}

void kn_engine_stats_record(struct kn_engine *e, kn_record_cb out, void *ctx)
{
	struct kj_writer w;
	struct kn_flow_stats fs;
	struct kn_defrag_stats ds;
	const struct kn_engine_stats *s = &e->st;
	struct ks_time now = { (int64_t)(e->now_us / 1000000u),
			       (uint32_t)(e->now_us % 1000000u) };

	kn_flows_get_stats(e->flows, &fs);
	kn_defrag_get_stats(e->defrag, &ds);
	kj_writer_init(&w, 0);
	kj_record_begin(&w, e->now_us ? now : ks_time_now(), "stats",
			e->c.strict ? NULL : "knetscan");
	kj_obj_open(&w, "stats");
	if (e->c.strict) {
		/* Suricata's names for what both count. */
		kj_obj_open(&w, "decoder");
		kj_uint(&w, "pkts", s->packets);
		kj_uint(&w, "bytes", s->bytes);
		kj_obj_close(&w);
		kj_obj_open(&w, "flow");
		kj_uint(&w, "active", fs.active);
		kj_obj_close(&w);
		kj_obj_open(&w, "defrag");
		kj_obj_open(&w, "ipv4");
		kj_uint(&w, "fragments", ds.fragments);
		kj_uint(&w, "reassembled", ds.reassembled);
		kj_uint(&w, "timeouts", ds.timeouts);
		kj_obj_close(&w);
		kj_obj_close(&w);
		kj_obj_open(&w, "tcp");
		kj_uint(&w, "reassembly_gap", fs.stream_gaps);
		kj_uint(&w, "overlap_diff_data", fs.stream_overlaps_differ);
		kj_obj_close(&w);
	} else {
		kj_uint(&w, "packets", s->packets);
		kj_uint(&w, "bytes", s->bytes);
		kj_uint(&w, "passed", s->passed);
		kj_uint(&w, "dropped", s->dropped);
		kj_uint(&w, "dropped_blocked", s->dropped_blocked);
		kj_uint(&w, "blocked_sources", kn_policy_blocked_count(e->pol));
		kj_uint(&w, "truncated", s->truncated);
		kj_uint(&w, "decode_errors", s->decode_errors);
		kj_uint(&w, "anomalies", s->anomalies);
		kj_uint(&w, "anomalies_suppressed", s->anomalies_suppressed);
		kj_uint(&w, "alerts", s->alerts);
		kj_uint(&w, "http", s->http);
		kj_uint(&w, "dns", s->dns);
		kj_uint(&w, "tls", s->tls);
		kj_uint(&w, "flows", fs.flows);
		kj_uint(&w, "flows_active", fs.active);
		kj_uint(&w, "flows_evicted", fs.evicted);
		kj_uint(&w, "stream_gaps", fs.stream_gaps);
		kj_uint(&w, "stream_mem_drops", fs.stream_mem_drops);
		kj_uint(&w, "fragments", ds.fragments);
		kj_uint(&w, "reassembled", ds.reassembled);
		kj_uint(&w, "defrag_timeouts", ds.timeouts);
		kj_uint(&w, "defrag_mem_drops", ds.mem_drops);
		{
			struct kn_policy_stats ps;
			struct kn_det_stats dst;

			kn_policy_get_stats(e->pol, &ps);
			kn_det_get_stats(e->det, &dst);
			kj_obj_open(&w, "policy");
			kj_uint(&w, "blocks", ps.blocks);
			kj_uint(&w, "renewed", ps.renewed);
			kj_uint(&w, "expired", ps.expired);
			kj_uint(&w, "evicted", ps.evicted);
			kj_uint(&w, "not_blocked", ps.not_blocked);
			kj_uint(&w, "excluded", ps.excluded);
			kj_obj_close(&w);
			if (e->url_db != NULL) {
				kj_obj_open(&w, "url");
				kj_uint(&w, "checked", s->url_checked);
				kj_uint(&w, "listed", s->url_listed);
				kj_uint(&w, "unusable", s->url_unusable);
				kj_uint(&w, "alerts", s->url_alerts);
				kj_uint(&w, "db_generation",
					ku_db_info(e->url_db)->generation);
				kj_obj_close(&w);
			}
			kj_obj_open(&w, "detect");
			kj_uint(&w, "sources_forgotten", dst.sources_forgotten);
			kj_uint(&w, "targets_forgotten", dst.targets_forgotten);
			kj_uint(&w, "arp_forgotten", dst.arp_forgotten);
			kj_obj_close(&w);
		}
		if (e->extra != NULL)
			e->extra(e->extra_ctx, &w);
	}
	kj_obj_close(&w);
	if (kj_record_end(&w) == KS_OK)
		out(ctx, (const char *)w.buf.data, w.buf.len);
	kj_writer_free(&w);
}
