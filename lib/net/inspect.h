/*
 * An inspector: a module the engine hands every packet, every run of TCP
 * stream data and every application transaction, after its own layers
 * have seen them (intrusion signatures, net/../ids/inspect.h).
 *
 * Each call returns the number of alert records the inspector wrote,
 * shifted left by one, with bit 0 set when the packet (and from then on
 * its flow) must be dropped in standard mode.  The engine counts the
 * alerts and applies the drop to the packet being handled; the calls made
 * while other flows end (timeouts) never drop the current packet.  Every
 * member may be NULL.
 */
#ifndef KS_NET_INSPECT_H
#define KS_NET_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "net/app.h"
#include "net/flow.h"
#include "net/pkt.h"

#define KN_INSPECT_DROP 1

struct kn_inspector {
	void *ctx;
	int (*packet)(void *ctx, struct kn_flow *f, int dir,
		      const struct kn_pkt *p);
	int (*stream)(void *ctx, struct kn_flow *f, int dir,
		      const uint8_t *data, size_t len, const struct kn_pkt *p);
	int (*http_request)(void *ctx, struct kn_flow *f,
			    const struct kn_http_req *r, const struct kn_pkt *p);
	int (*http_response)(void *ctx, struct kn_flow *f,
			     const struct kn_http_req *req,
			     const struct kn_http_resp *r, const struct kn_pkt *p);
	int (*dns)(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		   const struct kn_pkt *p);
	int (*tls_hello)(void *ctx, struct kn_flow *f,
			 const struct kn_tls_hello *h, const struct kn_pkt *p);
	int (*tls_cert)(void *ctx, struct kn_flow *f,
			const struct kn_tls_cert *c, const struct kn_pkt *p);
	void (*flow_end)(void *ctx, struct kn_flow *f);
};

#endif
