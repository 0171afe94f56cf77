/*
 * Linux cooked capture, version 2 (LINKTYPE_LINUX_SLL2, tcpdump.org's
 * linktypes/LINKTYPE_LINUX_SLL2): version 1 reordered, with the
 * interface index added.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Protocol type          |           Reserved            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Interface index                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         ARPHRD_ type          |  Packet type  | Address length|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +           Link-layer address (8 octets, zero padded)          +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "net/dec.h"

#include <string.h>

#define SLL2_HLEN 20
#define ARPHRD_ETHER 1

void kn_dec_sll2(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t proto, hatype;
	uint8_t halen;
	const uint8_t *addr;

	if (wire < SLL2_HLEN) {
		kn_anomaly(p, "sll2", "sll2.pkt_too_small", 0);
		return;
	}
	proto = ks_br_u16be(r);
	ks_br_skip(r, 2 + 4);          /* reserved, interface index */
	hatype = ks_br_u16be(r);
	ks_br_skip(r, 1);              /* packet type */
	halen = ks_br_u8(r);
	addr = ks_br_ptr(r, 8);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "sll2", "sll2.truncated", 1);
		return;
	}
	if (hatype == ARPHRD_ETHER && halen == 6)
		memcpy(p->src_mac, addr, 6);
	kn_dec_ethertype(p, r, wire - SLL2_HLEN, proto);
}
