/*
 * ICMP for IPv6 (RFC 4443; neighbour discovery RFC 4861, MLD RFC 2710
 * and RFC 3810; types and codes as IANA's registry lists them).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  (per type: identifier and sequence, MTU, pointer, unused ...)|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         message body ...                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Every message type has at least the eight octets above; fewer is
 * icmpv6.pkt_too_small.  A type in an unassigned range is
 * icmpv6.unassigned_type, a code its type does not have
 * icmpv6.unknown_code.  Multicast listener messages must be sent with a
 * hop limit of 1 (RFC 2710 section 3, RFC 3810 section 5): another is
 * icmpv6.mld_message_with_invalid_hl.
 */
#include "net/dec.h"

#define ICMPV6_HLEN 8

static int type_assigned(uint8_t type)
{
	return (type >= 1 && type <= 4) || type == 100 || type == 101 ||
	       (type >= 127 && type <= 161) || type == 200 || type == 201 ||
	       type == 255;
}

static int code_known(uint8_t type, uint8_t code)
{
	switch (type) {
	case 1:
		return code <= 8;
	case 3:
		return code <= 1;
	case 2:
	case 128:
	case 129:
	case 130:
	case 131:
	case 132:
	case 133:
	case 134:
	case 135:
	case 136:
	case 137:
	case 143:
		return code == 0;
	default:
		return 1;
	}
}

void kn_dec_icmpv6(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint8_t type, code;

	if (wire < ICMPV6_HLEN) {
		if (!p->is_frag)
			kn_anomaly(p, "icmpv6", "icmpv6.pkt_too_small", 0);
		return;
	}
	type = ks_br_u8(r);
	code = ks_br_u8(r);
	ks_br_skip(r, 6);              /* checksum, rest of header */
	if (ks_br_fault(r) != KS_BR_OK) {
		if (!p->is_frag)
			kn_anomaly(p, "icmpv6", "icmpv6.truncated", 1);
		return;
	}
	p->has_l4 = 1;
	p->icmp_type = type;
	p->icmp_code = code;
	p->l4_len = ICMPV6_HLEN;
	if (!type_assigned(type))
		kn_anomaly(p, "icmpv6", "icmpv6.unassigned_type", 0);
	else if (!code_known(type, code))
		kn_anomaly(p, "icmpv6", "icmpv6.unknown_code", 0);
	if ((type == 130 || type == 131 || type == 132 || type == 143) &&
	    p->ttl != 1)
		kn_anomaly(p, "icmpv6", "icmpv6.mld_message_with_invalid_hl", 0);
	kn_dec_payload(p, r, wire - ICMPV6_HLEN, "icmpv6", "icmpv6.truncated");
}
