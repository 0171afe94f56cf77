/*
 * ICMP for IPv4 (RFC 792; types and codes as IANA's registry lists them).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     (per type: identifier and sequence, gateway, unused ...)  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     data (echo data, or the IP header and 8 octets of the     |
 *   |     datagram an error is about)                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Every message has the eight octets above; fewer is
 * icmpv4.pkt_too_small.  A type no registry assigns is
 * icmpv4.unknown_type, a code its type does not have
 * icmpv4.unknown_code; both are still decoded.
 */
#include "net/dec.h"

#define ICMP_HLEN 8

/* The types IANA's "ICMP Type Numbers" assigns, deprecated ones included
 * (they are still sent by old stacks and scanners). */
static int type_known(uint8_t type)
{
	return type == 0 || (type >= 3 && type <= 6) ||
	       (type >= 8 && type <= 18) || (type >= 30 && type <= 43) ||
	       type == 253 || type == 254;
}

/* The codes each type has (types without a list take any code). */
static int code_known(uint8_t type, uint8_t code)
{
	switch (type) {
	case 3:
		return code <= 15;
	case 5:
		return code <= 3;
	case 9:
		return code == 0 || code == 16;
	case 11:
		return code <= 1;
	case 12:
		return code <= 2;
	case 40:
		return code <= 5;
	case 43:
		return code <= 4;
	case 0:
	case 8:
	case 10:
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
	case 18:
	case 42:
		return code == 0;
	default:
		return 1;
	}
}

void kn_dec_icmp(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint8_t type, code;

	if (wire < ICMP_HLEN) {
		if (!p->is_frag)
			kn_anomaly(p, "icmpv4", "icmpv4.pkt_too_small", 0);
		return;
	}
	type = ks_br_u8(r);
	code = ks_br_u8(r);
	ks_br_skip(r, 6);              /* checksum, rest of header */
	if (ks_br_fault(r) != KS_BR_OK) {
		if (!p->is_frag)
			kn_anomaly(p, "icmpv4", "icmpv4.truncated", 1);
		return;
	}
	p->has_l4 = 1;
	p->icmp_type = type;
	p->icmp_code = code;
	p->l4_len = ICMP_HLEN;
	if (!type_known(type))
		kn_anomaly(p, "icmpv4", "icmpv4.unknown_type", 0);
	else if (!code_known(type, code))
		kn_anomaly(p, "icmpv4", "icmpv4.unknown_code", 0);
	kn_dec_payload(p, r, wire - ICMP_HLEN, "icmpv4", "icmpv4.truncated");
}
