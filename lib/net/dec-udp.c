/*
 * UDP (RFC 768).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Length             |           Checksum            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          data octets ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
 *
 * Length counts the header and the data.  Below 8 it is
 * udp.hlen_too_small; longer than what the IP layer carries,
 * udp.hlen_invalid (the datagram is not decoded further); shorter,
 * udp.len_invalid, and the data is what Length says (the octets after it
 * are not UDP's).  In a first fragment Length describes the whole
 * datagram, so only the header is decoded there.
 */
#include "net/dec.h"

#define UDP_HLEN 8

void kn_dec_udp(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t sport, dport, len;
	struct ks_br data;

	if (wire < UDP_HLEN) {
		if (!p->is_frag)
			kn_anomaly(p, "udp", "udp.pkt_too_small", 0);
		return;
	}
	sport = ks_br_u16be(r);
	dport = ks_br_u16be(r);
	len = ks_br_u16be(r);
	ks_br_skip(r, 2);              /* checksum */
	if (ks_br_fault(r) != KS_BR_OK) {
		if (!p->is_frag)
			kn_anomaly(p, "udp", "udp.truncated", 1);
		return;
	}
	if (len < UDP_HLEN) {
		kn_anomaly(p, "udp", "udp.hlen_too_small", 0);
		return;
	}
	if (!p->is_frag && len > wire) {
		kn_anomaly(p, "udp", "udp.hlen_invalid", 0);
		return;
	}
	p->has_l4 = 1;
	p->sport = sport;
	p->dport = dport;
	p->l4_len = len;
	if (p->is_frag)
		return;
	if (len < wire)
		kn_anomaly(p, "udp", "udp.len_invalid", 0);
	data = ks_br_sub(r, (size_t)len - UDP_HLEN);
	kn_dec_payload(p, &data, (size_t)len - UDP_HLEN, "udp", "udp.truncated");
}
