/*
 * Ethernet II framing (IEEE 802.3 clause 3.2.6, RFC 894 for IP over it).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Destination MAC address (6 octets)            |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                   Source MAC address (6 octets)               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    EtherType (or length)      |  Payload ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The frame may end with padding (to 60 octets) and, in some captures,
 * the frame check sequence: neither belongs to the payload, which is why
 * the IP decoders bound the datagram by its own length field.
 */
#include "net/dec.h"

#define ETH_HLEN 14

void kn_dec_ethernet(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t type;

	if (wire < ETH_HLEN) {
		kn_anomaly(p, "ethernet", "ethernet.pkt_too_small", 0);
		return;
	}
	ks_br_copy(r, p->dst_mac, 6);
	ks_br_copy(r, p->src_mac, 6);
	type = ks_br_u16be(r);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "ethernet", "ethernet.truncated", 1);
		return;
	}
	p->has_eth = 1;
	kn_dec_ethertype(p, r, wire - ETH_HLEN, type);
}
