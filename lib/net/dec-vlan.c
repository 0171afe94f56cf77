/*
 * IEEE 802.1Q VLAN tags, and 802.1ad (QinQ) stacked tags: the Ethernet
 * type 0x8100 (a customer tag) or 0x88a8 / 0x9100 (a service tag) is
 * followed by four octets, the last two the Ethernet type of what the tag
 * carries.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | PCP |D|        VLAN ID        |      EtherType (inner)        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     (the 16-bit Tag Control Information: priority, drop eligible,
 *      12-bit VLAN identifier)
 *
 * At most KN_MAX_VLAN tags are followed (an outer service tag and an
 * inner customer tag); a deeper stack is reported as
 * vlan.too_many_layers and not decoded further, so that tag nesting
 * costs a bounded amount of work.
 */
#include "net/dec.h"

#define VLAN_HLEN 4

void kn_dec_vlan(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t tci, type;

	if (p->nvlan >= KN_MAX_VLAN) {
		kn_anomaly(p, "vlan", "vlan.too_many_layers", 0);
		return;
	}
	if (wire < VLAN_HLEN) {
		kn_anomaly(p, "vlan", "vlan.header_too_small", 0);
		return;
	}
	tci = ks_br_u16be(r);
	type = ks_br_u16be(r);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "vlan", "vlan.truncated", 1);
		return;
	}
	p->vlan[p->nvlan++] = tci & 0x0fff;
	kn_dec_ethertype(p, r, wire - VLAN_HLEN, type);
}
