/*
 * knetscan's engine: one packet at a time through decoding,
 * defragmentation, flows and TCP reassembly, the application layer, the
 * attack detectors and the policy, writing EVE records as it goes and
 * saying whether the packet may pass.
 *
 * The engine is single-threaded and owns every module; records go to the
 * caller through a callback, one whole line at a time.  Time is the
 * packets' time; a live capture that sees no packets moves the clock with
 * kn_engine_idle.
 *
 * Anomaly records are capped per event name (anomaly_per_minute), so that a
 * stream of broken packets cannot flood the output; the rest are counted
 * in the stats ("anomalies_suppressed").
 *
 * With a web address database (kn_engine_set_url_db), every address the
 * application layer extracts is checked as it is extracted: an HTTP
 * request's absolute URL (its Host alone when the URL is not usable, so
 * that padding a URL past the checker's length cap does not hide its
 * host), a TLS ClientHello's SNI and a DNS question's name.  A verdict
 * of malicious or phishing (an allowlist match is no verdict) is a
 * finding of class "url": one alert per flow and address, and the
 * policy's action for the class from the flow's client: drop marks the
 * flow, so that this packet and every later one of the flow are
 * dropped; block does that and blocks the client.  When either end of
 * the flow is excluded, the finding is only reported.
 */
#ifndef KS_NET_ENGINE_H
#define KS_NET_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "net/app.h"
#include "net/defrag.h"
#include "net/det.h"
#include "net/flow.h"
#include "net/policy.h"
#include "url/db.h"

enum {
	KN_EV_ALERT = 1 << 0,
	KN_EV_ANOMALY = 1 << 1,
	KN_EV_HTTP = 1 << 2,
	KN_EV_DNS = 1 << 3,
	KN_EV_TLS = 1 << 4,
	KN_EV_FLOW = 1 << 5,
	KN_EV_STATS = 1 << 6,
};

#define KN_EV_DEFAULT (KN_EV_ALERT | KN_EV_ANOMALY | KN_EV_HTTP | KN_EV_DNS | \
		       KN_EV_TLS | KN_EV_STATS)

/* Parse "alert,http,..." into KN_EV_* bits; -1 with the bad word in err. */
int kn_events_parse(const char *list, unsigned *out, struct ks_err *err);

struct kn_engine_conf {
	struct kn_flow_conf flow;
	struct kn_defrag_conf defrag;
	struct kn_app_conf app;
	struct kn_det_conf det;
	struct kn_policy_conf policy;
	unsigned events;
	int strict;
	uint64_t anomaly_per_minute;   /* 0: no cap */
};

void kn_engine_defaults(struct kn_engine_conf *c);

struct kn_engine_stats {
	uint64_t packets, bytes, passed, dropped, dropped_blocked,
		 decode_errors, truncated, anomalies, anomalies_suppressed,
		 alerts, http, dns, tls, flows, fragments, reassembled,
		 url_checked, url_listed, url_unusable, url_alerts;
};

typedef void (*kn_record_cb)(void *ctx, const char *line, size_t n);

struct kn_engine;

struct kn_engine *kn_engine_new(const struct kn_engine_conf *c,
				kn_record_cb out, void *ctx,
				struct ks_err *err);
void kn_engine_free(struct kn_engine *e);

/*
 * Check web addresses against db from now on (NULL: no more checks).  The
 * caller keeps db open while the engine has it and may replace it between
 * two frames (a reload); the engine never closes it.  KS_ERR_NOMEM when
 * the check state cannot be made (the engine then checks nothing).
 */
enum ks_status kn_engine_set_url_db(struct kn_engine *e,
				    const struct ku_db *db,
				    struct ks_err *err);

/* One captured frame.  Returns 1 when it may pass, 0 when the policy drops
 * it (in monitoring mode always 1). */
int kn_engine_frame(struct kn_engine *e, int linktype, const uint8_t *frame,
		    size_t caplen, size_t wirelen, struct ks_time ts);

struct kn_inspector;

/* Hand packets, stream data and transactions to an inspector too (see
 * net/inspect.h; copied, its ctx must outlive the engine). */
void kn_engine_set_inspector(struct kn_engine *e, const struct kn_inspector *in);

/* The engine's policy, for an inspector's decisions. */
struct kn_policy *kn_engine_policy(struct kn_engine *e);

/* No packet for a while on a live interface: move the clock. */
void kn_engine_idle(struct kn_engine *e, struct ks_time now);

/* The end of the input: every flow and episode ends and is reported. */
void kn_engine_finish(struct kn_engine *e);

/* A stats record (for the end of the run or SIGUSR1) through `out`. */
void kn_engine_stats_record(struct kn_engine *e, kn_record_cb out, void *ctx);

void kn_engine_get_stats(const struct kn_engine *e, struct kn_engine_stats *s);

struct kj_writer;

/* Counters of the caller's own (a bridge's) in the stats record: fn writes
 * its members into the open "stats" object (not with strict, whose
 * members are Suricata's); ctx must outlive the engine.  NULL: none. */
typedef void (*kn_stats_extra_cb)(void *ctx, struct kj_writer *w);
void kn_engine_set_stats_extra(struct kn_engine *e, kn_stats_extra_cb fn,
			       void *ctx);

#endif
