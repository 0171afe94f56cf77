/*
 * Intrusion signatures inside knetscan's engine: the policy decision and
 * the EVE alert record of each match (see inspect.h).
 */
#include "ids/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/writer.h"
#include "net/eve.h"

struct ki_inspect {
	struct ki_inspect_conf c;
	struct ki_ids *ids;
	struct kn_policy *pol;
	kn_record_cb out;
	void *ctx;
	struct kj_writer w;
	unsigned n;                  /* alerts written by the current call */
};

static void put_addr(struct kj_writer *w, const char *k, const struct kn_addr *a)
{
	char s[64];

	if (a->family == 4 || a->family == 6)
		kj_str(w, k, kn_addr_str(a, s));
}

static const char *app_of(const struct ki_alert *a)
{
	switch (a->hook) {
	case KI_H_HTTP_REQ: case KI_H_HTTP_RESP: return "http";
	case KI_H_DNS: return "dns";
	case KI_H_TLS_HELLO: case KI_H_TLS_CERT: return "tls";
	default:
		return a->f != NULL && a->f->app >= KN_APP_HTTP ?
			kn_app_name(a->f->app) : NULL;
	}
}

/* metadata: each key once, with every value given for it. */
static void metadata(struct kj_writer *w, const struct ki_rule *r)
{
	kj_obj_open(w, "metadata");
	for (size_t i = 0; i < r->nmeta; i++) {
		size_t k;

		for (k = 0; k < i; k++)
			if (strcmp(r->meta[k].key, r->meta[i].key) == 0)
				break;
		if (k < i)
			continue;
		kj_arr_open(w, r->meta[i].key);
		for (k = i; k < r->nmeta; k++)
			if (strcmp(r->meta[k].key, r->meta[i].key) == 0)
				kj_str(w, NULL, r->meta[k].value);
		kj_arr_close(w);
	}
	kj_obj_close(w);
}

static void record(struct ki_inspect *in, const struct ki_alert *a,
		   enum kn_action act)
{
	struct kj_writer *w = &in->w;
	const struct ki_rule *r = a->r;
	struct ks_time ts = a->p != NULL ? a->p->ts :
			    a->f != NULL ? a->f->last : ks_time_now();
	const char *app = app_of(a), *pr = kn_proto_name(a->proto);
	char num[8];

	kj_record_begin(w, ts, "alert", in->c.strict ? NULL : "knetscan");
	if (!in->c.strict)
		kj_str(w, "mode", in->c.monitoring ? "monitoring" : "standard");
	if (a->f != NULL)
		kj_uint(w, "flow_id", a->f->id);
	put_addr(w, "src_ip", &a->src);
	if (a->proto == 6 || a->proto == 17)
		kj_uint(w, "src_port", a->sport);
	put_addr(w, "dest_ip", &a->dst);
	if (a->proto == 6 || a->proto == 17)
		kj_uint(w, "dest_port", a->dport);
	if (pr == NULL) {
		snprintf(num, sizeof num, "%u", a->proto);
		pr = num;
	}
	kj_str(w, "proto", pr);
	if (a->p != NULL && a->p->pcap_cnt > 0)
		kj_uint(w, "pcap_cnt", a->p->pcap_cnt);
	if (a->hook == KI_H_HTTP_REQ || a->hook == KI_H_HTTP_RESP)
		kj_uint(w, "tx_id", a->tx_id);
	if (app != NULL)
		kj_str(w, "app_proto", app);
	kj_obj_open(w, "alert");
	kj_str(w, "action", kn_eve_action(in->c.monitoring ? KN_ACT_ALLOW : act));
	kj_uint(w, "gid", r->gid);
	kj_uint(w, "signature_id", r->sid);
	kj_uint(w, "rev", r->rev);
	kj_str(w, "signature", r->msg);
	kj_str(w, "category", r->class_desc ? r->class_desc : "");
	kj_int(w, "severity", r->priority);
	if (r->nmeta > 0)
		metadata(w, r);
	kj_obj_close(w);
	if (!in->c.strict && in->c.monitoring)
		kj_str(w, "would", kn_eve_action(act));
	if (kj_record_end(w) == KS_OK)
		in->out(in->ctx, (const char *)w->buf.data, w->buf.len);
	ks_buf_reset(&w->buf);
}

static int on_alert(void *ctx, const struct ki_alert *a)
{
	struct ki_inspect *in = ctx;
	const struct ki_rule *r = a->r;
	enum kn_action act = KN_ACT_ALLOW;
	uint64_t now = a->p != NULL ? (uint64_t)a->p->ts.sec * 1000000u + a->p->ts.usec :
		       a->f != NULL ? (uint64_t)a->f->last.sec * 1000000u + a->f->last.usec : 0;

	if (in->pol != NULL && !((a->src.family == 4 || a->src.family == 6) &&
				 kn_policy_excluded(in->pol, &a->src))) {
		act = kn_policy_finding(in->pol, KN_CLASS_SIGNATURE, &a->src,
					a->proto, 0, now);
		if ((r->action == KI_ACT_DROP || r->action == KI_ACT_REJECT) &&
		    act == KN_ACT_ALLOW)
			act = KN_ACT_DROP;
	}
	record(in, a, act);
	in->n++;
	return act != KN_ACT_ALLOW;
}

struct ki_inspect *ki_inspect_new(const struct ki_inspect_conf *c,
				  struct kn_policy *pol, kn_record_cb out,
				  void *ctx)
{
	struct ki_inspect *in = calloc(1, sizeof *in);

	if (in == NULL)
		return NULL;
	in->c = *c;
	in->pol = pol;
	in->out = out;
	in->ctx = ctx;
	kj_writer_init(&in->w, 0);
	in->ids = ki_ids_new(&c->ids, on_alert, in);
	if (in->ids == NULL) {
		ki_inspect_free(in);
		return NULL;
	}
	return in;
}

void ki_inspect_free(struct ki_inspect *in)
{
	if (in == NULL)
		return;
	if (in->ids != NULL) {
		struct ki_set *old = NULL;

		ki_ids_swap(in->ids, NULL, &old);
		ki_set_free(old);
	}
	ki_ids_free(in->ids);
	kj_writer_free(&in->w);
	free(in);
}

int ki_inspect_swap(struct ki_inspect *in, struct ki_set *s,
		    struct ki_set **old)
{
	return ki_ids_swap(in->ids, s, old);
}

void ki_inspect_get_stats(const struct ki_inspect *in, struct ki_ids_stats *s)
{
	ki_ids_get_stats(in->ids, s);
}

#define RESULT(in, call) \
	do { \
		int d_; \
		(in)->n = 0; \
		d_ = (call); \
		return (int)((in)->n << 1) | (d_ ? KN_INSPECT_DROP : 0); \
	} while (0)

static int i_packet(void *ctx, struct kn_flow *f, int dir, const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_packet(in->ids, f, dir, p));
}

static int i_stream(void *ctx, struct kn_flow *f, int dir, const uint8_t *d,
		    size_t n, const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_stream(in->ids, f, dir, d, n, p));
}

static int i_http_req(void *ctx, struct kn_flow *f, const struct kn_http_req *r,
		      const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_http_request(in->ids, f, r, p));
}

static int i_http_resp(void *ctx, struct kn_flow *f, const struct kn_http_req *q,
		       const struct kn_http_resp *r, const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_http_response(in->ids, f, q, r, p));
}

static int i_dns(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		 const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_dns(in->ids, f, m, p));
}

static int i_hello(void *ctx, struct kn_flow *f, const struct kn_tls_hello *h,
		   const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_tls_hello(in->ids, f, h, p));
}

static int i_cert(void *ctx, struct kn_flow *f, const struct kn_tls_cert *c,
		  const struct kn_pkt *p)
{
	struct ki_inspect *in = ctx;

	RESULT(in, ki_ids_tls_cert(in->ids, f, c, p));
}

static void i_end(void *ctx, struct kn_flow *f)
{
	struct ki_inspect *in = ctx;

	ki_ids_flow_end(in->ids, f);
}

void ki_inspect_inspector(struct ki_inspect *in, struct kn_inspector *o)
{
	o->ctx = in;
	o->packet = i_packet;
	o->stream = i_stream;
	o->http_request = i_http_req;
	o->http_response = i_http_resp;
	o->dns = i_dns;
	o->tls_hello = i_hello;
	o->tls_cert = i_cert;
	o->flow_end = i_end;
}
