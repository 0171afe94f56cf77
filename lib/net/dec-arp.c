/*
 * ARP (RFC 826), for IPv4 over Ethernet: the only kind decoded into the
 * packet's arp_* fields, for the ARP spoofing detector.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Hardware type          |        Protocol type          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HW addr len  | Proto addr len|          Operation            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Sender hardware address (HW addr len octets)                 |
 *   |  Sender protocol address (Proto addr len octets)              |
 *   |  Target hardware address                                      |
 *   |  Target protocol address                                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The address lengths make the packet's length: a packet shorter on the
 * wire than the addresses it announces is arp.pkt_too_small; one that
 * announces addresses other than six-octet hardware and four-octet IPv4
 * ones for the IPv4 protocol type is arp.invalid (an ARP for something
 * else has no business on an IPv4 Ethernet).
 */
#include "net/dec.h"

#include <string.h>

#define ARP_FIXED 8

void kn_dec_arp(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t ptype, op;
	uint8_t hlen, plen;
	size_t need;
	const uint8_t *a;

	if (wire < ARP_FIXED) {
		kn_anomaly(p, "arp", "arp.pkt_too_small", 0);
		return;
	}
	ks_br_skip(r, 2);              /* hardware type */
	ptype = ks_br_u16be(r);
	hlen = ks_br_u8(r);
	plen = ks_br_u8(r);
	op = ks_br_u16be(r);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "arp", "arp.truncated", 1);
		return;
	}
	need = ARP_FIXED + 2 * ((size_t)hlen + plen);
	if (wire < need) {
		kn_anomaly(p, "arp", "arp.pkt_too_small", 0);
		return;
	}
	if (ptype != KN_ETH_IPV4 || hlen != 6 || plen != 4) {
		kn_anomaly(p, "arp", "arp.invalid", 0);
		return;
	}
	a = ks_br_ptr(r, 20);
	if (a == NULL) {
		kn_anomaly(p, "arp", "arp.truncated", 1);
		return;
	}
	memcpy(p->arp_sha, a, 6);
	memcpy(p->arp_spa, a + 6, 4);
	memcpy(p->arp_tha, a + 10, 6);
	memcpy(p->arp_tpa, a + 16, 4);
	p->has_arp = 1;
	p->arp_op = op;
}
