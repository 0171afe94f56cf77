#include "net/eve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

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

/* The absolute URL, for the web address checks: the request target when
 * it is absolute already, else http:// and the host, its port unless 80,
 * and the target.  Without a Host header (HTTP/1.0) the only name of the
 * site is the server's address and port. */
static void absolute_url(struct kj_writer *w, const struct kn_http_req *r,
			 const struct kn_flow *fl)
{
	char head[600], a[64];
	char *joined;
	unsigned port = r->host_port;
	int n;

	if (r->uri.n > 0 && r->uri.p[0] != '/') {
		slice(w, "absolute_url", r->uri);
		return;
	}
	if (r->host.n > 512)
		return;
	if (r->host.n > 0) {
		n = snprintf(head, sizeof head, "http://%.*s", (int)r->host.n,
			     (const char *)r->host.p);
	} else if (fl != NULL && fl->srv.family != 0) {
		kn_addr_str(&fl->srv, a);
		n = snprintf(head, sizeof head, fl->srv.family == 6 ?
			     "http://[%s]" : "http://%s", a);
		port = fl->sport;
	} else {
		return;
	}
	for (int i = 7; i < n; i++)
		if (head[i] >= 'A' && head[i] <= 'Z')
			head[i] = (char)(head[i] + 32);
	if (port != 0 && port != 80)
		n += snprintf(head + n, sizeof head - (size_t)n, ":%u", port);
	joined = malloc((size_t)n + r->uri.n + 1);
	if (joined == NULL)
		return;
	memcpy(joined, head, (size_t)n);
	if (r->uri.n > 0)
		memcpy(joined + n, r->uri.p, r->uri.n);
	kj_strn(w, "absolute_url", joined, (size_t)n + r->uri.n);
	free(joined);
}

void kn_eve_http(const struct kn_eve *e, const struct kn_flow *fl,
		 const struct kn_http_req *r, const struct kn_pkt *p)
{
	struct kj_writer *w = e->w;

	kn_eve_begin(e, p->ts, "http", fl, p);
	kj_uint(w, "tx_id", r->tx_id);
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
	kj_record_end(w);
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

void kn_eve_dns(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_dns_msg *m, const struct kn_pkt *p)
{
	struct kj_writer *w = e->w;

	kn_eve_begin(e, p->ts, "dns", fl, p);
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
	kj_record_end(w);
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

void kn_eve_tls(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_tls_hello *h, const struct kn_tls_cert *cert,
		const struct kn_pkt *p)
{
	struct kj_writer *w = e->w;
	char t[KS_TIME_LEN + 1];

	kn_eve_begin(e, p->ts, "tls", fl, p);
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
