/*
 * Intrusion signatures: matching a compiled rule set over traffic.
 *
 * ki_set_compile builds, for each place where rules are evaluated (the
 * packet, the TCP stream per direction, each HTTP request, each HTTP
 * response, each DNS query, each TLS ClientHello and server certificate)
 * and each buffer there, one Hyperscan block-mode database of the rules'
 * fast patterns (one literal per rule, caseless when the content is).
 * Scanning a buffer gives the candidate rules; each candidate is then
 * confirmed whole (header, flow, packet keywords, flowbits and every
 * buffer's matches).  Rules without a content are always candidates,
 * except rules evaluated per packet whose addresses name a list (IP
 * reputation rules): those are found through a table of address ranges.
 *
 * A runtime (struct ki_ids) holds the current set and the state that
 * outlives a packet: per flow (flowbits, the tail of each stream
 * direction so that a content split over two segments is seen, a passed
 * flow) and per host (threshold and detection_filter counters).  Every
 * table is capped; what a cap turns away is counted in the stats.
 *
 * Stream data is inspected in order and per direction: each run of bytes
 * that reassembly hands on is matched together with up to stream_window
 * bytes before it, and a match counts only when it ends in the new bytes,
 * so every occurrence is reported once.  Each application buffer is
 * inspected once per transaction, when the application layer hands it on.
 *
 * Rules are evaluated pass first, then drop and reject, then alert (as
 * Suricata orders actions); a pass rule that matches ends the inspection
 * of the packet or transaction, and of the rest of its flow.
 *
 * Each alert goes to the callback, which returns 1 when the packet (and
 * its flow) must be dropped; the ki_ids_* calls return 1 when one did.
 */
#ifndef KS_IDS_DETECT_H
#define KS_IDS_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "ids/ids.h"
#include "ids/rule.h"
#include "net/app.h"
#include "net/flow.h"
#include "net/pkt.h"

/* Build the prefilter databases; KS_OK or an error with the reason.  A
 * set is compiled once; ki_set_free frees what this made. */
enum ks_status ki_set_compile(struct ki_set *s, struct ks_err *err);

struct ki_ids_conf {
	size_t max_flows;            /* flow states (65536) */
	size_t stream_window;        /* bytes kept per stream direction (4096) */
	size_t stream_mem;           /* all windows together (64 MiB) */
	size_t max_hosts;            /* threshold entries (65536) */
	unsigned max_alerts;         /* alerts per packet or transaction (32) */
};

void ki_ids_defaults(struct ki_ids_conf *c);

struct ki_alert {
	const struct ki_rule *r;     /* valid during the callback */
	struct kn_flow *f;           /* may be NULL */
	const struct kn_pkt *p;      /* may be NULL (a flow's end) */
	int hook;                    /* KI_H_* */
	int dir;                     /* KN_TO_SERVER or KN_TO_CLIENT */
	/* The matched data's addresses, as it went. */
	struct kn_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint64_t tx_id;              /* HTTP transactions */
};

typedef int (*ki_alert_cb)(void *ctx, const struct ki_alert *a);

struct ki_ids_stats {
	uint64_t alerts, suppressed, passed, flows_untracked, window_drops,
		 hosts_full, alerts_capped, budget_out;
};

struct ki_ids;

struct ki_ids *ki_ids_new(const struct ki_ids_conf *c, ki_alert_cb cb,
			  void *ctx);
void ki_ids_free(struct ki_ids *ids);

/* Make the compiled set s (or none) current: 0 with the previous one in
 * *old (NULL at first) for the caller to free, or -1 (out of memory) with
 * nothing changed.  Flow and host state are kept: flowbit names are
 * shared by every set of the runtime. */
int ki_ids_swap(struct ki_ids *ids, struct ki_set *s, struct ki_set **old);

int ki_ids_packet(struct ki_ids *ids, struct kn_flow *f, int dir,
		  const struct kn_pkt *p);
int ki_ids_stream(struct ki_ids *ids, struct kn_flow *f, int dir,
		  const uint8_t *data, size_t len, const struct kn_pkt *p);
int ki_ids_http_request(struct ki_ids *ids, struct kn_flow *f,
			const struct kn_http_req *r, const struct kn_pkt *p);
int ki_ids_http_response(struct ki_ids *ids, struct kn_flow *f,
			 const struct kn_http_req *req,
			 const struct kn_http_resp *r, const struct kn_pkt *p);
int ki_ids_dns(struct ki_ids *ids, struct kn_flow *f,
	       const struct kn_dns_msg *m, const struct kn_pkt *p);
int ki_ids_tls_hello(struct ki_ids *ids, struct kn_flow *f,
		     const struct kn_tls_hello *h, const struct kn_pkt *p);
int ki_ids_tls_cert(struct ki_ids *ids, struct kn_flow *f,
		    const struct kn_tls_cert *c, const struct kn_pkt *p);
/* The flow ends: its state goes. */
void ki_ids_flow_end(struct ki_ids *ids, struct kn_flow *f);

void ki_ids_get_stats(const struct ki_ids *ids, struct ki_ids_stats *s);

#endif
