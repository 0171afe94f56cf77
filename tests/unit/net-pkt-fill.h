/*
 * Packets filled by hand for the flow, stream and application tests, as a
 * decoder would fill them: addresses, ports, flags, sequence numbers,
 * payload and time.
 */
#ifndef KS_TESTS_NET_PKT_FILL_H
#define KS_TESTS_NET_PKT_FILL_H

#include <arpa/inet.h>
#include <string.h>

#include "net/pkt.h"

static inline void tp_addr(struct kn_addr *a, const char *s)
{
	memset(a, 0, sizeof *a);
	if (strchr(s, ':') != NULL) {
		a->family = 6;
		inet_pton(AF_INET6, s, a->b);
	} else {
		a->family = 4;
		inet_pton(AF_INET, s, a->b);
	}
}

/* A TCP segment at time sec (seconds) from src:sport to dst:dport. */
static inline void tp_tcp(struct kn_pkt *p, double sec, const char *src,
			  uint16_t sport, const char *dst, uint16_t dport,
			  uint8_t flags, uint32_t seq, uint32_t ack,
			  const void *data, size_t len)
{
	memset(p, 0, sizeof *p);
	p->ts.sec = (int64_t)sec;
	p->ts.usec = (uint32_t)((sec - (double)(int64_t)sec) * 1e6 + 0.5);
	p->ipv = strchr(src, ':') != NULL ? 6 : 4;
	tp_addr(&p->src, src);
	tp_addr(&p->dst, dst);
	p->proto = 6;
	p->has_l4 = 1;
	p->sport = sport;
	p->dport = dport;
	p->tcp_flags = flags;
	p->seq = seq;
	p->ack = ack;
	p->window = 65535;
	p->l4_len = 20;
	p->payload = data;
	p->payload_len = len;
	p->payload_wire = len;
	p->caplen = p->wirelen = 54 + len;
}

static inline void tp_udp(struct kn_pkt *p, double sec, const char *src,
			  uint16_t sport, const char *dst, uint16_t dport,
			  const void *data, size_t len)
{
	tp_tcp(p, sec, src, sport, dst, dport, 0, 0, 0, data, len);
	p->proto = 17;
	p->l4_len = (uint16_t)(8 + len);
	p->caplen = p->wirelen = 42 + len;
}

#endif
