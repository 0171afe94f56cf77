/*
 * Linux cooked capture, version 1 (LINKTYPE_LINUX_SLL, tcpdump.org's
 * linktypes/LINKTYPE_LINUX_SLL): what the "any" device and interfaces
 * without a link-layer header give.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Packet type          |        ARPHRD_ type           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Link-layer address length     |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |           Link-layer address (8 octets, zero padded)          |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |        Protocol type          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The protocol type is an Ethernet type for the protocols decoded here.
 * An Ethernet (ARPHRD_ETHER) sender address of six octets is kept as the
 * source MAC; there is no destination MAC in this header.
 */
#include "net/dec.h"

#include <string.h>

#define SLL_HLEN 16
#define ARPHRD_ETHER 1

void kn_dec_sll(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t hatype, halen, proto;
	const uint8_t *addr;

	if (wire < SLL_HLEN) {
		kn_anomaly(p, "sll", "sll.pkt_too_small", 0);
		return;
	}
	ks_br_skip(r, 2);              /* packet type */
	hatype = ks_br_u16be(r);
	halen = ks_br_u16be(r);
	addr = ks_br_ptr(r, 8);
	proto = ks_br_u16be(r);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "sll", "sll.truncated", 1);
		return;
	}
	if (hatype == ARPHRD_ETHER && halen == 6)
		memcpy(p->src_mac, addr, 6);
	kn_dec_ethertype(p, r, wire - SLL_HLEN, proto);
}
