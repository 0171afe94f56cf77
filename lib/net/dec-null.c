/*
 * BSD loopback encapsulation (LINKTYPE_NULL and LINKTYPE_LOOP, tcpdump.org's
 * linktypes/LINKTYPE_NULL): a four-octet address family, then the packet.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Address family (AF_*)                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * For NULL the family is in the byte order of the host that captured,
 * which the file does not say: a value with bits in its upper half is
 * read the other way round (families are small numbers).  For LOOP it is
 * in network byte order.  AF_INET is 2 everywhere; AF_INET6 is 24
 * (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux) or 23
 * (Windows), so every one of them means IPv6.
 */
#include "net/dec.h"

#define NULL_HLEN 4

void kn_dec_null(struct kn_pkt *p, struct ks_br *r, size_t wire,
		 int big_endian)
{
	uint32_t family;

	if (wire < NULL_HLEN) {
		kn_anomaly(p, "ltnull", "ltnull.pkt_too_small", 0);
		return;
	}
	family = big_endian ? ks_br_u32be(r) : ks_br_u32le(r);
	if (ks_br_fault(r) != KS_BR_OK) {
		kn_anomaly(p, "ltnull", "ltnull.truncated", 1);
		return;
	}
	if (!big_endian && (family & 0xffff0000u) != 0)
		family = (family >> 24) | ((family >> 8) & 0xff00u) |
			 ((family << 8) & 0xff0000u) | (family << 24);
	switch (family) {
	case 2:
		kn_dec_ipv4(p, r, wire - NULL_HLEN);
		break;
	case 10:
	case 23:
	case 24:
	case 28:
	case 30:
		kn_dec_ipv6(p, r, wire - NULL_HLEN);
		break;
	default:
		kn_anomaly(p, "ltnull", "ltnull.unsupported_type", 0);
		break;
	}
}
