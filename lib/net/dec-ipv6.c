/*
 * IPv6 (RFC 8200) and its extension headers: hop-by-hop options and
 * destination options (section 4.3, 4.6), routing (4.4; type 0 is the
 * source route RFC 5095 deprecated), fragment (4.5) and the
 * authentication header (RFC 4302).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                  Source Address (16 octets)                   +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                Destination Address (16 octets)                +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (hop-by-hop, routing, destination options; AH counts
 * its length in 4-octet units less two, the others in 8-octet units less
 * one):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  (routing: Type, Segments Left)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   .               options or routing data ...                     .
 *
 * The fragment header, eight octets:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Identification                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * At most KN_MAX_IPV6_EXT extension headers are followed; one more is
 * ipv6.exthdr_too_many.  An extension header that runs past the payload
 * length is ipv6.trunc_exthdr (past the captured bytes only, a
 * snap-length cut).  A fragment with offset 0 and no more fragments (an
 * atomic fragment, RFC 6946) is not a fragment: its transport header is
 * decoded as usual.  In a first fragment, the headers that follow the
 * fragment header are decoded while they are all there; when they are
 * not, defragmentation reports the fragment (RFC 7112), not the decoder.
 */
#include "net/dec.h"

#include <string.h>

#define IPV6_HLEN 40
#define EXT_MIN 8

/* Hop-by-hop and destination options (RFC 8200 section 4.2): Pad1 is a
 * single octet, every other option is type, length, value. */
static void ipv6_options(struct kn_pkt *p, struct ks_br o)
{
	while (ks_br_left(&o) > 0) {
		uint8_t type = ks_br_u8(&o), len;
		size_t left;

		if (type == 0)
			continue;
		left = ks_br_left(&o);
		len = ks_br_u8(&o);
		if (left < 1 || len > left - 1) {
			kn_anomaly(p, "ipv6", "ipv6.exthdr_invalid_optlen", 0);
			return;
		}
		ks_br_skip(&o, len);
	}
}

size_t kn_ipv6_ext_len(uint8_t nh, const struct ks_br *r)
{
	struct ks_br e = *r;
	uint8_t elen;

	ks_br_skip(&e, 1);
	elen = ks_br_u8(&e);
	if (ks_br_fault(&e) != KS_BR_OK)
		return 0;
	switch (nh) {
	case KN_IPPROTO_HOPOPTS:
	case KN_IPPROTO_ROUTING:
	case KN_IPPROTO_DSTOPTS:
		return ((size_t)elen + 1) * 8;
	case KN_IPPROTO_AH:
		return ((size_t)elen + 2) * 4;
	case KN_IPPROTO_FRAGMENT:
		return EXT_MIN;
	default:
		return 0;
	}
}

void kn_dec_ipv6(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	struct ks_br h = *r, dg;
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh, hlim;
	const uint8_t *addrs;
	size_t left, tot;
	int next = 0, dst_since_rh = 0, ndst = 0;
	unsigned seen = 0;

	if (wire < IPV6_HLEN) {
		kn_anomaly(p, "ipv6", "ipv6.pkt_too_small", 0);
		return;
	}
	vtf = ks_br_u32be(&h);
	plen = ks_br_u16be(&h);
	nh = ks_br_u8(&h);
	hlim = ks_br_u8(&h);
	addrs = ks_br_ptr(&h, 32);
	if (ks_br_fault(&h) != KS_BR_OK) {
		kn_anomaly(p, "ipv6", "ipv6.truncated", 1);
		return;
	}
	if (vtf >> 28 != 6) {
		kn_anomaly(p, "ipv6", "ipv6.wrong_ip_version", 0);
		return;
	}
	tot = IPV6_HLEN + (size_t)plen;
	if (tot > wire) {
		kn_anomaly(p, "ipv6", "ipv6.trunc_pkt", 0);
		return;
	}
	p->ipv = 6;
	p->src.family = p->dst.family = 6;
	memcpy(p->src.b, addrs, 16);
	memcpy(p->dst.b, addrs + 16, 16);
	p->ttl = hlim;
	p->ip_total = tot;
	dg = ks_br_sub(r, tot);
	p->l3 = dg.cur;
	p->l3_len = ks_br_left(&dg);
	ks_br_skip(&dg, IPV6_HLEN);
	left = plen;

	for (;;) {
		struct ks_br x;
		size_t len;
		uint8_t enh;
		unsigned bit;

		switch (nh) {
		case KN_IPPROTO_HOPOPTS:
		case KN_IPPROTO_ROUTING:
		case KN_IPPROTO_FRAGMENT:
		case KN_IPPROTO_DSTOPTS:
		case KN_IPPROTO_AH:
			break;
		default:
			goto transport;
		}
		if (next == KN_MAX_IPV6_EXT) {
			p->proto = nh;
			kn_anomaly(p, "ipv6", "ipv6.exthdr_too_many", 0);
			return;
		}
		/* Every extension header is at least 8 octets: its length
		 * octet is there on the wire before it is read. */
		if (left < EXT_MIN) {
			p->proto = nh;
			if (!p->is_frag)
				kn_anomaly(p, "ipv6", "ipv6.trunc_exthdr", 0);
			return;
		}
		len = kn_ipv6_ext_len(nh, &dg);
		if (len == 0) {
			p->proto = nh;
			if (!p->is_frag)
				kn_anomaly(p, "ipv6", "ipv6.truncated", 1);
			return;
		}
		if (len > left) {
			p->proto = nh;
			if (!p->is_frag)
				kn_anomaly(p, "ipv6", "ipv6.trunc_exthdr", 0);
			return;
		}
		x = ks_br_sub(&dg, len);
		if (ks_br_fault(&dg) != KS_BR_OK) {
			p->proto = nh;
			if (!p->is_frag)
				kn_anomaly(p, "ipv6", "ipv6.truncated", 1);
			return;
		}
		enh = ks_br_u8(&x);
		ks_br_skip(&x, 1);
		left -= len;
		next++;
		bit = 1u << (nh == KN_IPPROTO_HOPOPTS ? 0 :
			     nh == KN_IPPROTO_ROUTING ? 1 :
			     nh == KN_IPPROTO_FRAGMENT ? 2 :
			     nh == KN_IPPROTO_AH ? 3 : 4);

		switch (nh) {
		case KN_IPPROTO_HOPOPTS:
			/* Only right after the IPv6 header (4.1). */
			if (next != 1)
				kn_anomaly(p, "ipv6", "ipv6.exthdr_dupl_hh", 0);
			ipv6_options(p, x);
			break;
		case KN_IPPROTO_DSTOPTS:
			/* Once before a routing header and once before the
			 * upper layer, at most. */
			ndst++;
			if (dst_since_rh > 0 || ndst > 2)
				kn_anomaly(p, "ipv6", "ipv6.exthdr_dupl_dh", 0);
			dst_since_rh++;
			ipv6_options(p, x);
			break;
		case KN_IPPROTO_ROUTING: {
			uint8_t type = ks_br_u8(&x);

			if (seen & bit)
				kn_anomaly(p, "ipv6", "ipv6.exthdr_dupl_rh", 0);
			dst_since_rh = 0;
			if (type == 0) {
				p->v6_rh0 = 1;
				kn_anomaly(p, "ipv6", "ipv6.rh_type_0", 0);
			}
			break;
		}
		case KN_IPPROTO_AH:
			if (seen & bit)
				kn_anomaly(p, "ipv6", "ipv6.exthdr_dupl_ah", 0);
			if (ks_br_u16be(&x) != 0)
				kn_anomaly(p, "ipv6",
					   "ipv6.exthdr_ah_res_not_null", 0);
			break;
		case KN_IPPROTO_FRAGMENT: {
			uint16_t fo;
			uint32_t id;

			fo = ks_br_u16be(&x);
			id = ks_br_u32be(&x);
			if (seen & bit) {
				/* A fragment inside a fragment: not followed. */
				p->proto = enh;
				kn_anomaly(p, "ipv6", "ipv6.exthdr_dupl_fh", 0);
				return;
			}
			p->ip_id = id;
			if ((fo & 0xfff8) == 0 && (fo & 1) == 0)
				break;  /* atomic: the datagram is whole */
			p->is_frag = 1;
			p->frag_off = fo & 0xfff8;
			p->more_frags = fo & 1;
			p->frag_data = dg.cur;
			p->frag_len = ks_br_left(&dg);
			p->proto = enh;
			if (p->frag_len < left)
				kn_anomaly(p, "ipv6", "ipv6.truncated", 1);
			if (p->frag_off != 0)
				return;
			break;
		}
		}
		seen |= bit;
		nh = enh;
	}

transport:
	p->proto = nh;
	if (nh == KN_IPPROTO_NONE) {
		/* RFC 8200 section 4.7: octets after "no next header" are
		 * to be ignored; a sender has no reason to put any there. */
		if (left > 0 && !p->is_frag)
			kn_anomaly(p, "ipv6", "ipv6.data_after_none_header", 0);
		return;
	}
	kn_dec_transport(p, &dg, left);
}
