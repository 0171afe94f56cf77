/*
 * Intrusion signatures as an inspector of knetscan's engine
 * (net/inspect.h): each alert is decided with the network policy (class
 * "signature") and written as an EVE alert record.
 *
 * The decision: a source on the policy's exclusion list is never dropped;
 * otherwise the policy's action for signatures applies (allow, drop, or
 * block the source), and a drop or reject rule drops at least the packet
 * and its flow whatever the policy says.  In monitoring mode nothing is
 * dropped: the record's action is "allowed" and "would" says what
 * standard mode would have done.  knetscan does not send resets: a reject
 * rule drops like a drop rule.
 *
 * The record: Suricata's alert{action, gid, signature_id, rev, signature,
 * category, severity, metadata}, with the matched data's addresses (the
 * sender as src_ip), flow_id, pcap_cnt, app_proto and, for HTTP, tx_id.
 *
 * The inspector owns its runtime (ki_ids) and the current rule set; the
 * policy and the output callback belong to the caller and must outlive
 * it.
 */
#ifndef KS_IDS_INSPECT_H
#define KS_IDS_INSPECT_H

#include "ids/detect.h"
#include "net/engine.h"
#include "net/inspect.h"
#include "net/policy.h"

struct ki_inspect_conf {
	struct ki_ids_conf ids;
	int strict;                  /* only members of Suricata's schema */
	int monitoring;
};

struct ki_inspect;

struct ki_inspect *ki_inspect_new(const struct ki_inspect_conf *c,
				  struct kn_policy *pol, kn_record_cb out,
				  void *ctx);
void ki_inspect_free(struct ki_inspect *in);

/* Make a compiled set current (ki_ids_swap). */
int ki_inspect_swap(struct ki_inspect *in, struct ki_set *s,
		    struct ki_set **old);

/* The engine's side of it. */
void ki_inspect_inspector(struct ki_inspect *in, struct kn_inspector *out);

void ki_inspect_get_stats(const struct ki_inspect *in, struct ki_ids_stats *s);

#endif
