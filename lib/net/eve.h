/*
 * knetscan's records, with Suricata's EVE names and meanings (ksvm-events(7)
 * and Suricata's published schema): alert, anomaly, http, dns, tls, flow,
 * stats.
 *
 * Every record carries the packet's time, flow_id (when there is a flow),
 * src_ip/src_port/dest_ip/dest_port/proto oriented as EVE does (from the
 * client's side for flow-based records, from the packet's for packet
 * records).  Outside strict mode, records also have the ksvm members:
 * "program", "mode", and in alerts "attack" (the episode's counters) and
 * "would" (monitoring mode: what standard mode would have done).  In strict
 * mode (--eve-strict) only members of Suricata's schema are written, the
 * episode's counters going into alert.metadata as EVE keeps extra rule
 * data there.
 */
#ifndef KS_NET_EVE_H
#define KS_NET_EVE_H

#include "json/writer.h"
#include "net/app.h"
#include "net/det.h"
#include "net/flow.h"
#include "net/pkt.h"
#include "net/policy.h"
#include "url/check.h"

struct kn_eve {
	struct kj_writer *w;
	int strict;
	int monitoring;
};

/* A finding's action as EVE words it: "allowed" or "blocked". */
const char *kn_eve_action(enum kn_action a);

void kn_eve_alert_attack(const struct kn_eve *e, const struct kn_attack *a,
			 enum kn_action act, const struct kn_flow *fl);
/* A listed web address seen in the traffic (see knetscan(1), WEB
 * ADDRESSES): the request, query or ClientHello that carried it, and the
 * check that found it (matches point into the database). */
struct kn_url_alert {
	const char *source;              /* "http", "dns", "tls" */
	const char *input;               /* the address checked */
	size_t input_len;
	const struct ku_check *check;
	const struct ku_db *db;
	const struct kn_http_req *http;  /* one of the three */
	const struct kn_dns_msg *dns;
	const struct kn_tls_hello *tls;
	enum kn_action act;              /* what standard mode does */
};

#define KN_URL_SID (KN_ATTACK_SID_BASE + KN_CLASS_URL)

void kn_eve_alert_url(const struct kn_eve *e, const struct kn_flow *fl,
		      const struct kn_pkt *p, const struct kn_url_alert *a);
void kn_eve_anomaly(const struct kn_eve *e, const struct kn_pkt *p,
		    const struct kn_flow *fl, const char *type,
		    const char *event, const char *layer,
		    const char *app_proto);
void kn_eve_http(const struct kn_eve *e, const struct kn_flow *fl,
		 const struct kn_http_req *r, const struct kn_pkt *p);
void kn_eve_dns(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_dns_msg *m, const struct kn_pkt *p);
void kn_eve_tls(const struct kn_eve *e, const struct kn_flow *fl,
		const struct kn_tls_hello *h, const struct kn_tls_cert *cert,
		const struct kn_pkt *p);
void kn_eve_flow(const struct kn_eve *e, const struct kn_flow *fl,
		 const char *reason);

/* The start of a record with the flow's (or packet's) addresses; the
 * caller adds its object and ends the record. */
void kn_eve_begin(const struct kn_eve *e, struct ks_time ts,
		  const char *event_type, const struct kn_flow *fl,
		  const struct kn_pkt *p);

#endif
