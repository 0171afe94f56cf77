#include "net/eve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "url/record.h"

const char *kn_eve_action(enum kn_action a)
{
	return a == KN_ACT_ALLOW ? "allowed" : "blocked";
}

static void addr(struct kj_writer *w, const char *key, const struct kn_addr *a)
{
	char s[64];

	if (a->family != 0)
		kj_str(w, key, kn_addr_str(a, s));
}

static void proto(struct kj_writer *w, uint8_t pr)
{
	char num[8];
	const char *n = kn_proto_name(pr);

	if (n == NULL) {
		snprintf(num, sizeof num, "%u", pr);
		n = num;
	}
	kj_str(w, "proto", n);
}

void kn_eve_begin(const struct kn_eve *e, struct ks_time ts,
		  const char *event_type, const struct kn_flow *fl,
		  const struct kn_pkt *p)
{
	struct kj_writer *w = e->w;

	kj_record_begin(w, ts, event_type, e->strict ? NULL : "knetscan");
	if (!e->strict)
		kj_str(w, "mode", e->monitoring ? "monitoring" : "standard");
	if (fl != NULL) {
		kj_uint(w, "flow_id", fl->id);
		addr(w, "src_ip", &fl->cli);
		if (fl->proto == 6 || fl->proto == 17)
			kj_uint(w, "src_port", fl->cport);
		addr(w, "dest_ip", &fl->srv);
		if (fl->proto == 6 || fl->proto == 17)
			kj_uint(w, "dest_port", fl->sport);
		proto(w, fl->proto);
		if (fl->vlan != 0) {
			kj_arr_open(w, "vlan");
			kj_uint(w, NULL, fl->vlan);
			kj_arr_close(w);
		}
	} else if (p != NULL && p->ipv != 0) {
		addr(w, "src_ip", &p->src);
		if (p->has_l4 && (p->proto == 6 || p->proto == 17))
			kj_uint(w, "src_port", p->sport);
		addr(w, "dest_ip", &p->dst);
		if (p->has_l4 && (p->proto == 6 || p->proto == 17))
			kj_uint(w, "dest_port", p->dport);
		proto(w, p->proto);
	}
	if (p != NULL && p->pcap_cnt > 0)
		kj_uint(w, "pcap_cnt", p->pcap_cnt);
}

/* ---- alerts ------------------------------------------------------------------- */

static const char *category(enum kn_attack_class c)
{
	switch (c) {
	case KN_AT_TCP_PORTSCAN:
	case KN_AT_UDP_PORTSCAN:
	case KN_AT_STEALTH_SCAN:
	case KN_AT_HOST_SWEEP:
		return "Detection of a Network Scan";
	case KN_AT_SYN_FLOOD:
	case KN_AT_UDP_FLOOD:
	case KN_AT_ICMP_FLOOD:
	case KN_AT_LAND:
	case KN_AT_PING_OF_DEATH:
	case KN_AT_TEARDROP:
		return "Attempted Denial of Service";
	case KN_AT_ARP_SPOOF:
		return "Potentially Bad Traffic";
	default:
		return "Misc Attack";
	}
}

static void meta_str(struct kj_writer *w, const char *k, const char *v)
{
	kj_arr_open(w, k);
	kj_str(w, NULL, v);
	kj_arr_close(w);
}

static void meta_uint(struct kj_writer *w, const char *k, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof s, "%llu", (unsigned long long)v);
	meta_str(w, k, s);
}

static void mac(struct kj_writer *w, const char *k, const uint8_t m[6])
{
	char s[18];

	snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	kj_str(w, k, s);
}

void kn_eve_alert_attack(const struct kn_eve *e, const struct kn_attack *a,
			 enum kn_action act, const struct kn_flow *fl)
{
	struct kj_writer *w = e->w;
	char tf[KS_TIME_LEN + 1], tl[KS_TIME_LEN + 1];

	(void)fl;
	/* The record is the episode's: stamped with its last packet. */
	kj_record_begin(w, a->last, "alert", e->strict ? NULL : "knetscan");
	if (!e->strict)
		kj_str(w, "mode", e->monitoring ? "monitoring" : "standard");
	addr(w, "src_ip", &a->src);
	addr(w, "dest_ip", &a->dst);
	if (a->dport != 0 && (a->proto == 6 || a->proto == 17))
		kj_uint(w, "dest_port", a->dport);
	if (a->proto != 0)
		proto(w, a->proto);
	kj_obj_open(w, "alert");
	/* Nothing is dropped in monitoring mode: the record says what was
	 * done, and "would" what standard mode would have done. */
	kj_str(w, "action", kn_eve_action(e->monitoring ? KN_ACT_ALLOW : act));
	kj_uint(w, "gid", 1);
	kj_uint(w, "signature_id", KN_ATTACK_SID_BASE + (unsigned)a->cls);
	kj_uint(w, "rev", 1);
	kj_str(w, "signature", kn_attack_signature(a->cls));
	kj_str(w, "category", category(a->cls));
	kj_int(w, "severity", a->severity);
	if (e->strict) {
		kj_obj_open(w, "metadata");
		meta_str(w, "ksvm_attack", kn_attack_name(a->cls));
		meta_uint(w, "ksvm_episode", a->episode);
		meta_uint(w, "ksvm_packets", a->packets);
		meta_str(w, "ksvm_first_seen", ks_time_format(a->first, tf));
		meta_str(w, "ksvm_last_seen", ks_time_format(a->last, tl));
		if (a->ports)
			meta_uint(w, "ksvm_ports", a->ports);
		if (a->hosts)
			meta_uint(w, "ksvm_hosts", a->hosts);
		if (a->sources)
			meta_uint(w, "ksvm_sources", a->sources);
		kj_obj_close(w);
	}
	kj_obj_close(w);
	if (!e->strict) {
		if (e->monitoring)
			kj_str(w, "would", kn_eve_action(act));
		kj_obj_open(w, "attack");
		kj_str(w, "class", kn_attack_name(a->cls));
		kj_uint(w, "episode", a->episode);
		kj_time(w, "first_seen", a->first);
		kj_time(w, "last_seen", a->last);
		kj_uint(w, "packets", a->packets);
		kj_uint(w, "bytes", a->bytes);
		if (a->ports)
			kj_uint(w, "ports", a->ports);
		if (a->hosts)
			kj_uint(w, "hosts", a->hosts);
		if (a->sources)
			kj_uint(w, "sources", a->sources);
		kj_bool(w, "spoofed", a->spoofed);
		if (a->cls == KN_AT_ARP_SPOOF) {
			mac(w, "mac_before", a->arp_mac_old);
			mac(w, "mac_after", a->arp_mac_new);
		}
		kj_obj_close(w);
	}
	kj_record_end(w);
}

/* ---- anomalies ------------------------------------------------------------------ */

void kn_eve_anomaly(const struct kn_eve *e, const struct kn_pkt *p,
		    const struct kn_flow *fl, const char *type,
		    const char *event, const char *layer,
		    const char *app_proto)
{
	struct kj_writer *w = e->w;

	kn_eve_begin(e, p->ts, "anomaly", fl, p);
	kj_obj_open(w, "anomaly");
	kj_str(w, "type", type);
	kj_str(w, "event", event);
	if (layer != NULL)
		kj_str(w, "layer", layer);
	if (app_proto != NULL)
		kj_str(w, "app_proto", app_proto);
	kj_obj_close(w);
	kj_record_end(w);
}

/* ---- HTTP ------------------------------------------------------------------------ */

static void slice(struct kj_writer *w, const char *k, struct kn_slice s)
{
	if (s.p != NULL && s.n > 0)
		kj_strn(w, k, s.p, s.n);
}

/* Host names are case-insensitive; EVE writes them in lower case. */
static void lower_slice(struct kj_writer *w, const char *k, struct kn_slice s)
{
	char buf[512];

	if (s.p == NULL || s.n == 0)
		return;
	if (s.n > sizeof buf) {
		kj_strn(w, k, s.p, s.n);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		buf[i] = (char)(s.p[i] >= 'A' && s.p[i] <= 'Z' ? s.p[i] + 32 : s.p[i]);
	kj_strn(w, k, buf, s.n);
}

/* The absolute URL as kn_http_absolute_url builds it; a URL the
 * buffer's cap refuses is left out. */
static void absolute_url(struct kj_writer *w, const struct kn_http_req *r,
			 const struct kn_flow *fl)
{
	struct ks_buf b;

	ks_buf_init(&b, KN_HTTP_URL_MAX);
	if (kn_http_absolute_url(r, fl, &b) == 0)
		kj_strn(w, "absolute_url", (const char *)b.data, b.len);
	ks_buf_free(&b);
}

static void http_obj(const struct kn_eve *e, const struct kn_flow *fl,
		     const struct kn_http_req *r)
{
	struct kj_writer *w = e->w;

	kj_obj_open(w, "http");
	lower_slice(w, "hostname", r->host);
	if (r->host_port != 0)
		kj_uint(w, "http_port", r->host_port);
	slice(w, "url", r->uri);
	slice(w, "http_user_agent", r->user_agent);
	slice(w, "http_content_type", r->content_type);
	slice(w, "http_refer", r->referer);
	slice(w, "http_method", r->method);
	slice(w, "protocol", r->protocol);
	if (!e->strict)
		absolute_url(w, r, fl);
	kj_obj_close(w);
}

void kn_eve_http(const struct kn_eve *e, const struct kn_flow *fl,
		 const struct kn_http_req *r, const struct kn_pkt *p)
{
	kn_eve_begin(e, p->ts, "http", fl, p);
	kj_uint(e->w, "tx_id", r->tx_id);
	http_obj(e, fl, r);
	kj_record_end(e->w);
}

/* ---- DNS --------------------------------------------------------------------------- */

static void rrtype(struct kj_writer *w, const char *k, uint16_t t)
{
	const char *n = kn_dns_type_name(t);
	char num[16];

	if (n == NULL) {
		snprintf(num, sizeof num, "TYPE%u", t);
		n = num;
	}
	kj_str(w, k, n);
}

static void dns_obj(struct kj_writer *w, const struct kn_dns_msg *m)
{
	kj_obj_open(w, "dns");
	kj_uint(w, "version", 3);
	kj_str(w, "type", m->response ? "response" : "request");
	kj_uint(w, "id", m->id);
	if (m->response) {
		const char *rc = kn_dns_rcode_name(m->rcode);
		char num[16];

		if (rc == NULL) {
			snprintf(num, sizeof num, "%d", m->rcode);
			rc = num;
		}
		kj_str(w, "rcode", rc);
	}
	if (m->qname[0] != '\0' || m->qtype != 0) {
		/* The root is written as Suricata does. */
		const char *qn = m->qname[0] != '\0' ? m->qname : "<root>";

		kj_str(w, "rrname", qn);
		rrtype(w, "rrtype", m->qtype);
		kj_arr_open(w, "queries");
		kj_obj_open(w, NULL);
		kj_str(w, "rrname", qn);
		rrtype(w, "rrtype", m->qtype);
		kj_obj_close(w);
		kj_arr_close(w);
	}
	if (m->response && m->nanswers > 0) {
		kj_arr_open(w, "answers");
		for (size_t i = 0; i < m->nanswers; i++) {
			kj_obj_open(w, NULL);
			kj_str(w, "rrname", m->answers[i].rrname[0] != '\0' ?
						    m->answers[i].rrname : "<root>");
			rrtype(w, "rrtype", m->answers[i].rrtype);
			kj_uint(w, "ttl", m->answers[i].ttl);
			if (m->answers[i].rdata[0] != '\0')
				kj_str(w, "rdata", m->answers[i].rdata);
			kj_obj_close(w);
		}
		kj_arr_close(w);
	}
	kj_obj_close(w);
}

void kn_eve_dns(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_dns_msg *m, const struct kn_pkt *p)
{
	kn_eve_begin(e, p->ts, "dns", fl, p);
	dns_obj(e->w, m);
	kj_record_end(e->w);
}

/* ---- TLS ----------------------------------------------------------------------------- */

static const char *tls_version(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "UNDETERMINED";
	}
}

static void tls_obj(struct kj_writer *w, const struct kn_tls_hello *h,
		    const struct kn_tls_cert *cert)
{
	char t[KS_TIME_LEN + 1];

	kj_obj_open(w, "tls");
	if (h != NULL) {
		if (h->has_sni)
			slice(w, "sni", h->sni);
		kj_str(w, "version", tls_version(h->supported_max ? h->supported_max :
							       h->hello_version));
		if (h->nalpn > 0) {
			kj_arr_open(w, "client_alpns");
			for (size_t i = 0; i < h->nalpn; i++)
				kj_strn(w, NULL, h->alpn[i].p, h->alpn[i].n);
			kj_arr_close(w);
		}
	}
	if (cert != NULL) {
		kj_str(w, "subject", cert->subject);
		kj_str(w, "issuerdn", cert->issuer);
		kj_str(w, "serial", cert->serial);
		/* EVE writes certificate dates without the fraction. */
		ks_time_format(cert->not_before, t);
		t[19] = '\0';
		kj_str(w, "notbefore", t);
		ks_time_format(cert->not_after, t);
		t[19] = '\0';
		kj_str(w, "notafter", t);
	}
	kj_obj_close(w);
}

void kn_eve_tls(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_tls_hello *h, const struct kn_tls_cert *cert,
		const struct kn_pkt *p)
{
	kn_eve_begin(e, p->ts, "tls", fl, p);
	tls_obj(e->w, h, cert);
	kj_record_end(e->w);
}

/* ---- web addresses ------------------------------------------------------------- */

static const char *url_category(const char *verdict)
{
	return strcmp(verdict, "phishing") == 0 ?
		       "Possible Social Engineering Attempted" :
		       "Potentially Bad Traffic";
}

static void url_meta(struct kj_writer *w, const struct kn_url_alert *a)
{
	const struct ku_check *c = a->check;

	kj_obj_open(w, "metadata");
	meta_str(w, "ksvm_url_source", a->source);
	kj_arr_open(w, "ksvm_url_input");
	kj_strn(w, NULL, a->input, a->input_len);
	kj_arr_close(w);
	meta_str(w, "ksvm_url_verdict", ku_verdict_name(c));
	meta_str(w, "ksvm_url_policy", kn_action_name(a->act));
	if (c->n > 0) {
		static const char *const keys[] = { "ksvm_url_feed",
			"ksvm_url_category", "ksvm_url_entry",
			"ksvm_url_expression" };

		for (size_t k = 0; k < 4; k++) {
			kj_arr_open(w, keys[k]);
			for (size_t i = 0; i < c->n; i++) {
				const struct ku_match *m = &c->m[i];
				const struct ku_db_feed *f = ku_db_feed(a->db, m->feed);

				if (k == 0)
					kj_str(w, NULL, f->name);
				else if (k == 1)
					kj_str(w, NULL, f->category);
				else if (k == 2)
					kj_strn(w, NULL, m->entry, m->entry_len);
				else
					kj_strn(w, NULL, m->expr, m->expr_len);
			}
			kj_arr_close(w);
		}
	}
	kj_obj_close(w);
}

static void url_member(struct kj_writer *w, const struct kn_url_alert *a)
{
	const struct ku_check *c = a->check;

	kj_obj_open(w, "url");
	kj_str(w, "source", a->source);
	kj_strn(w, "input", a->input, a->input_len);
	kj_str(w, "query", c->url.host_only ? "host" : "url");
	kj_str(w, "verdict", ku_verdict_name(c));
	kj_strn(w, "host", c->url.host, c->url.host_len);
	if (!c->url.host_only)
		kj_strn(w, "canonical", c->url.canonical, c->url.canonical_len);
	kj_arr_open(w, "matches");
	for (size_t i = 0; i < c->n; i++) {
		const struct ku_match *m = &c->m[i];
		const struct ku_db_feed *f = ku_db_feed(a->db, m->feed);

		kj_obj_open(w, NULL);
		kj_str(w, "feed", f->name);
		kj_str(w, "category", f->category);
		kj_str(w, "kind", ku_kind_name(m->kind));
		kj_strn(w, "entry", m->entry, m->entry_len);
		kj_strn(w, "expression", m->expr, m->expr_len);
		kj_obj_close(w);
	}
	kj_arr_close(w);
	if (c->omitted > 0)
		kj_uint(w, "matches_omitted", c->omitted);
	kj_uint(w, "db_generation", ku_db_info(a->db)->generation);
	kj_str(w, "policy", kn_action_name(a->act));
	kj_obj_close(w);
}

void kn_eve_alert_url(const struct kn_eve *e, const struct kn_flow *fl,
		      const struct kn_pkt *p, const struct kn_url_alert *a)
{
	struct kj_writer *w = e->w;
	const struct ku_check *c = a->check;
	const char *verdict = ku_verdict_name(c);
	char sig[KU_HOST_MAX + 64];

	kn_eve_begin(e, p->ts, "alert", fl, p);
	kj_str(w, "app_proto", a->source);
	kj_obj_open(w, "alert");
	kj_str(w, "action", kn_eve_action(e->monitoring ? KN_ACT_ALLOW : a->act));
	kj_uint(w, "gid", 1);
	kj_uint(w, "signature_id", KN_URL_SID);
	kj_uint(w, "rev", 1);
	snprintf(sig, sizeof sig, "KNETSCAN malicious web address (%s): %.*s",
		 verdict, (int)c->url.host_len, c->url.host);
	kj_str(w, "signature", sig);
	kj_str(w, "category", url_category(verdict));
	kj_int(w, "severity", 1);
	if (e->strict)
		url_meta(w, a);
	kj_obj_close(w);
	if (a->http != NULL)
		http_obj(e, fl, a->http);
	else if (a->dns != NULL)
		dns_obj(w, a->dns);
	else if (a->tls != NULL)
		tls_obj(w, a->tls, NULL);
	if (!e->strict) {
		if (e->monitoring)
			kj_str(w, "would", kn_eve_action(a->act));
		url_member(w, a);
	}
	kj_record_end(w);
}

/* ---- flows ------------------------------------------------------------------------ */

void kn_eve_flow(const struct kn_eve *e, const struct kn_flow *fl,
		 const char *reason)
{
	struct kj_writer *w = e->w;
	int64_t age = fl->last.sec - fl->first.sec;

	kn_eve_begin(e, fl->last, "flow", fl, NULL);
	if (fl->app > KN_APP_NONE)
		kj_str(w, "app_proto", kn_app_name(fl->app));
	kj_obj_open(w, "flow");
	kj_uint(w, "pkts_toserver", fl->pkts[KN_TO_SERVER]);
	kj_uint(w, "pkts_toclient", fl->pkts[KN_TO_CLIENT]);
	kj_uint(w, "bytes_toserver", fl->bytes[KN_TO_SERVER]);
	kj_uint(w, "bytes_toclient", fl->bytes[KN_TO_CLIENT]);
	kj_time(w, "start", fl->first);
	kj_time(w, "end", fl->last);
	kj_int(w, "age", age < 0 ? 0 : age);
	if (fl->proto == 6)
		kj_str(w, "state", kn_tcp_state_name(fl->state));
	/* EVE knows timeout, forced and shutdown. */
	if (e->strict)
		reason = strcmp(reason, "evicted") == 0 ? "forced" :
			 strcmp(reason, "end") == 0 ? "shutdown" : "timeout";
	kj_str(w, "reason", reason);
	kj_bool(w, "alerted", (fl->marks & 1) != 0);
	kj_obj_close(w);
	kj_record_end(w);
}
