/*
 * IPv4 (RFC 791), with its options (RFC 791 section 3.1; security,
 * RFC 1108) and fragments.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IHL counts 32-bit words (5 to 15); Total Length counts octets, header
 * included, and is what bounds the datagram inside a padded frame.  The
 * flags are reserved, Don't Fragment, More Fragments; the offset counts
 * 8-octet units.
 *
 * Options are type-length-value, but for End of Option List (0) and No
 * Operation (1), which are one octet.  The ones that steer routing are
 * recorded in kn_pkt.ipopts for the detectors: Loose and Strict Source
 * and Record Route (131, 137), Record Route (7), Timestamp (68) and
 * Security (130).  A length below two or past the header's end is
 * ipv4.opt_invalid_len; a route or timestamp option whose pointer or
 * length cannot be is ipv4.opt_malformed.  A bad option ends the option
 * walk but not the decoding: the transport header is still there.
 *
 * The checksum is not verified: capture on the sending host often sees
 * it before the NIC fills it in.
 */
#include "net/dec.h"

#include <string.h>

#define IPV4_HLEN 20

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_RR = 7,
	OPT_TS = 68,
	OPT_SEC = 130,
	OPT_LSRR = 131,
	OPT_SSRR = 137,
};

static void ipv4_options(struct kn_pkt *p, struct ks_br o)
{
	/* Each turn consumes at least the type octet. */
	while (ks_br_left(&o) > 0) {
		uint8_t type = ks_br_u8(&o), len, ptr;
		size_t left;
		unsigned bit;
		int malformed = 0;
		struct ks_br body;

		if (type == OPT_EOL)
			return;
		if (type == OPT_NOP)
			continue;
		left = ks_br_left(&o);
		len = ks_br_u8(&o);
		if (left < 1 || len < 2 || (size_t)len - 2 > left - 1) {
			kn_anomaly(p, "ipv4", "ipv4.opt_invalid_len", 0);
			return;
		}
		body = ks_br_sub(&o, (size_t)len - 2);
		switch (type) {
		case OPT_RR:
		case OPT_LSRR:
		case OPT_SSRR:
			bit = type == OPT_RR ? KN_IPOPT_RR :
			      type == OPT_LSRR ? KN_IPOPT_LSRR : KN_IPOPT_SSRR;
			ptr = ks_br_u8(&body);
			malformed = len < 3 || (len - 3) % 4 != 0 || ptr < 4 ||
				    ptr > len + 1;
			break;
		case OPT_TS:
			bit = KN_IPOPT_TS;
			ptr = ks_br_u8(&body);
			malformed = len < 4 || ptr < 5;
			break;
		case OPT_SEC:
			bit = KN_IPOPT_SEC;
			malformed = len < 3;
			break;
		default:
			bit = KN_IPOPT_OTHER;
			break;
		}
		if (bit != KN_IPOPT_OTHER && (p->ipopts & bit) != 0) {
			p->ipopts |= bit;
			kn_anomaly(p, "ipv4", "ipv4.opt_duplicate", 0);
			return;
		}
		p->ipopts |= bit;
		if (malformed) {
			kn_anomaly(p, "ipv4", "ipv4.opt_malformed", 0);
			return;
		}
	}
}

void kn_dec_ipv4(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	struct ks_br h = *r, dg, opts;
	uint8_t vhl, ttl, proto;
	uint16_t tot, id, frag;
	const uint8_t *addrs;
	size_t hlen, off;

	if (wire < IPV4_HLEN) {
		kn_anomaly(p, "ipv4", "ipv4.pkt_too_small", 0);
		return;
	}
	vhl = ks_br_u8(&h);
	ks_br_skip(&h, 1);              /* type of service */
	tot = ks_br_u16be(&h);
	id = ks_br_u16be(&h);
	frag = ks_br_u16be(&h);
	ttl = ks_br_u8(&h);
	proto = ks_br_u8(&h);
	ks_br_skip(&h, 2);              /* checksum */
	addrs = ks_br_ptr(&h, 8);
	if (ks_br_fault(&h) != KS_BR_OK) {
		kn_anomaly(p, "ipv4", "ipv4.truncated", 1);
		return;
	}
	hlen = (size_t)(vhl & 0x0f) * 4;
	if (vhl >> 4 != 4) {
		kn_anomaly(p, "ipv4", "ipv4.wrong_ip_version", 0);
		return;
	}
	if (hlen < IPV4_HLEN) {
		kn_anomaly(p, "ipv4", "ipv4.hlen_too_small", 0);
		return;
	}
	if (tot < hlen) {
		kn_anomaly(p, "ipv4", "ipv4.iplen_smaller_than_hlen", 0);
		return;
	}
	if (tot > wire) {
		kn_anomaly(p, "ipv4", "ipv4.trunc_pkt", 0);
		return;
	}

	p->ipv = 4;
	p->src.family = p->dst.family = 4;
	memcpy(p->src.b, addrs, 4);
	memcpy(p->dst.b, addrs + 4, 4);
	p->proto = proto;
	p->ttl = ttl;
	p->ip_id = id;
	p->ip_total = tot;

	/* The datagram ends where Total Length says, whatever follows in
	 * the frame (padding, a frame check sequence). */
	dg = ks_br_sub(r, tot);
	p->l3 = dg.cur;
	p->l3_len = ks_br_left(&dg);
	ks_br_skip(&dg, IPV4_HLEN);
	opts = ks_br_sub(&dg, hlen - IPV4_HLEN);
	if (ks_br_fault(&dg) != KS_BR_OK) {
		kn_anomaly(p, "ipv4", "ipv4.truncated", 1);
		return;
	}
	if (hlen > IPV4_HLEN)
		ipv4_options(p, opts);

	off = (size_t)(frag & 0x1fff) * 8;
	if ((frag & 0x2000) != 0 || off != 0) {
		p->is_frag = 1;
		p->frag_off = (uint32_t)off;
		p->more_frags = (frag & 0x2000) != 0;
		p->frag_data = dg.cur;
		p->frag_len = ks_br_left(&dg);
		if (p->frag_len < tot - hlen)
			kn_anomaly(p, "ipv4", "ipv4.truncated", 1);
		/* Only the first fragment holds a transport header. */
		if (off != 0)
			return;
	}
	kn_dec_transport(p, &dg, tot - hlen);
}
