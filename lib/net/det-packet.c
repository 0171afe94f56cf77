/*
 * Single-packet attacks: one packet is enough.  Each is an episode per
 * (source, target, class), so that a repeated one is one episode whose
 * packets are counted.
 *
 *   land           a TCP SYN or UDP datagram whose source address and port
 *                  are its destination's (the 1997 "land" crash); the
 *                  source is forged by construction, so spoofed=1;
 *   ping-of-death  a fragment that would make a datagram longer than
 *                  65,535 bytes (RFC 791 section 3.2);
 *   teardrop       fragments that overlap with other bytes, or whose
 *                  offsets cannot be (a last fragment ending before data
 *                  already held, a non-final fragment that is not a
 *                  multiple of 8 bytes): what teardrop, bonk and newtear
 *                  send; the same bytes again (a duplicate) is no attack;
 *   tiny-fragment  a first fragment too short to hold the transport header
 *                  (RFC 1858 section 3.1, RFC 7112);
 *   bad-tcp-flags  SYN with FIN or RST (all flags set included); no SYN,
 *                  ACK or RST inside a session, where every segment
 *                  acknowledges (RFC 9293 section 3.10.7.4); no SYN, ACK
 *                  or RST with data outside one.  These are Snort's
 *                  decoder events "TCP SYN with FIN", "TCP SYN with RST",
 *                  "TCP PDU missing ack for established session" and
 *                  "TCP has no SYN, ACK, or RST" on data; such segments
 *                  without data outside a session are scan probes
 *                  (det-scan.c);
 *   source-route   IPv4 loose or strict source route options (RFC 791,
 *                  RFC 7126 section 4.3 and 4.4) or an IPv6 type 0 routing
 *                  header (deprecated by RFC 5095).
 *
 * The fragment attacks come from what defragmentation found
 * (net/defrag.h); a fragment's transport header is looked at only once
 * reassembled.
 */
#include "net/det-int.h"

static uint32_t hit(struct kn_det *d, enum kn_attack_class cls,
		    const struct kn_pkt *p, uint64_t now, int spoofed)
{
	struct kn_dkey k;
	struct kn_trk *t;

	kn_key(&k, cls, &p->src, &p->dst);
	t = kn_trk_get(d, KN_TAB_SRC, &k, now);
	if (!t->active) {
		t->proto = p->proto;
		t->spoofed = (uint8_t)spoofed;
	}
	if (kn_trk_add(d, t, now, p->wirelen != 0 ? p->wirelen : p->caplen, 1,
		       1))
		return kn_det_bit(cls);
	return 0;
}

static int land(const struct kn_pkt *p)
{
	if (p->proto == 6) {
		if ((p->tcp_flags & (KN_TH_SYN | KN_TH_ACK)) != KN_TH_SYN)
			return 0;
	} else if (p->proto != 17) {
		return 0;
	}
	return p->sport == p->dport && kn_same_addr(&p->src, &p->dst);
}

static int bad_flags(const struct kn_pkt *p, const struct kn_flow *fl)
{
	uint8_t f = p->tcp_flags;

	if ((f & KN_TH_SYN) && (f & (KN_TH_FIN | KN_TH_RST)))
		return 1;
	if (f & (KN_TH_SYN | KN_TH_ACK | KN_TH_RST))
		return 0;
	return kn_det_in_session(fl) || p->payload_len > 0 ||
	       p->payload_wire > 0;
}

uint32_t kn_det_single(struct kn_det *d, const struct kn_pkt *p,
		       const struct kn_flow *fl,
		       const struct kn_defrag_events *ev, uint64_t now)
{
	uint32_t m = 0;

	if (ev != NULL) {
		if (ev->too_large)
			m |= hit(d, KN_AT_PING_OF_DEATH, p, now, 0);
		if (ev->overlap_differs || ev->bad_offset)
			m |= hit(d, KN_AT_TEARDROP, p, now, 0);
		if (ev->tiny)
			m |= hit(d, KN_AT_TINY_FRAGMENT, p, now, 0);
	}
	if ((p->ipv == 4 && (p->ipopts & (KN_IPOPT_LSRR | KN_IPOPT_SSRR))) ||
	    (p->ipv == 6 && p->v6_rh0))
		m |= hit(d, KN_AT_SOURCE_ROUTE, p, now, 0);
	if (!p->has_l4 || (p->is_frag && !p->reassembled))
		return m;
	if (land(p))
		m |= hit(d, KN_AT_LAND, p, now, 1);
	if (p->proto == 6 && bad_flags(p, fl))
		m |= hit(d, KN_AT_BAD_TCP_FLAGS, p, now, 0);
	return m;
}
