/*
 * Decoding a captured frame: the dispatch on the link type and on the
 * Ethernet type, the anomaly list, and the text forms of addresses and
 * protocols.  The protocols themselves are in lib/net/dec-<proto>.c (see
 * dec.h for the shape they share).
 */
#include "net/pkt.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "net/dec.h"

/* kn_decode_ip clears everything from `ipv` to the end of the struct: the
 * network and transport fields and the anomalies, which pkt.h keeps after
 * the frame and link-layer fields. */
_Static_assert(offsetof(struct kn_pkt, ipv) >
	       offsetof(struct kn_pkt, arp_tpa) &&
	       offsetof(struct kn_pkt, an) > offsetof(struct kn_pkt, ipv) &&
	       offsetof(struct kn_pkt, truncated) > offsetof(struct kn_pkt, nan),
	       "kn_decode_ip relies on the order of struct kn_pkt's fields");

/* An event is recorded once per packet: a chain of eight duplicate
 * extension headers is one problem, and must not crowd out the next. */
void kn_anomaly(struct kn_pkt *p, const char *layer, const char *event,
		int truncated)
{
	if (truncated)
		p->truncated = 1;
	if (p->nan >= KN_MAX_ANOMALIES)
		return;
	for (int i = 0; i < p->nan; i++)
		if (strcmp(p->an[i].event, event) == 0)
			return;
	p->an[p->nan].event = event;
	p->an[p->nan].layer = layer;
	p->an[p->nan].truncated = truncated != 0;
	p->nan++;
}

void kn_dec_ethertype(struct kn_pkt *p, struct ks_br *r, size_t wire,
		      uint16_t type)
{
	p->ether_type = type;
	switch (type) {
	case KN_ETH_IPV4:
		kn_dec_ipv4(p, r, wire);
		break;
	case KN_ETH_IPV6:
		kn_dec_ipv6(p, r, wire);
		break;
	case KN_ETH_ARP:
		kn_dec_arp(p, r, wire);
		break;
	case KN_ETH_VLAN:
	case KN_ETH_QINQ:
	case KN_ETH_QINQ_OLD:
		kn_dec_vlan(p, r, wire);
		break;
	default:
		/* Other protocols (LLDP, 802.3 lengths, ...) are not ours to
		 * decode; the frame is still passed on whole. */
		break;
	}
}

void kn_dec_transport(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	switch (p->proto) {
	case KN_IPPROTO_TCP:
		kn_dec_tcp(p, r, wire);
		return;
	case KN_IPPROTO_UDP:
		kn_dec_udp(p, r, wire);
		return;
	case KN_IPPROTO_ICMP:
		if (p->ipv == 6) {
			kn_anomaly(p, "ipv6", "ipv6.icmpv4", 0);
			return;
		}
		kn_dec_icmp(p, r, wire);
		return;
	case KN_IPPROTO_ICMPV6:
		if (p->ipv == 4) {
			kn_anomaly(p, "ipv4", "ipv4.icmpv6", 0);
			return;
		}
		kn_dec_icmpv6(p, r, wire);
		return;
	default:
		/* A protocol without a decoder of ours (GRE, ESP, SCTP, ...):
		 * its bytes are the payload, for content matching. */
		kn_dec_payload(p, r, wire, p->ipv == 4 ? "ipv4" : "ipv6",
			       p->ipv == 4 ? "ipv4.truncated" : "ipv6.truncated");
		return;
	}
}

void kn_dec_payload(struct kn_pkt *p, const struct ks_br *r, size_t wire,
		    const char *layer, const char *event)
{
	size_t left = ks_br_left(r);

	if (p->is_frag)
		return;
	p->payload = r->cur;
	p->payload_len = left;
	p->payload_wire = wire;
	if (left < wire)
		kn_anomaly(p, layer, event, 1);
}

/* Raw IP: the version nibble says which. */
static void dec_raw(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	int b = ks_br_peek(r, 0);

	if (b < 0) {
		if (wire == 0)
			kn_anomaly(p, "ipraw", "ipraw.pkt_too_small", 0);
		else
			kn_anomaly(p, "ipraw", "ipraw.truncated", 1);
		return;
	}
	switch (b >> 4) {
	case 4:
		kn_dec_ipv4(p, r, wire);
		break;
	case 6:
		kn_dec_ipv6(p, r, wire);
		break;
	default:
		kn_anomaly(p, "ipraw", "ipraw.invalid_ip_version", 0);
		break;
	}
}

void kn_decode(struct kn_pkt *p, int linktype, const uint8_t *frame,
	       size_t caplen, size_t wirelen, struct ks_time ts)
{
	struct ks_br r;
	/* A length on the wire below the captured one cannot be: trust
	 * the bytes that are there. */
	size_t wire = wirelen < caplen ? caplen : wirelen;

	memset(p, 0, sizeof *p);
	p->frame = frame;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->ts = ts;
	p->linktype = linktype;
	ks_br_init(&r, frame, caplen);

	switch (linktype) {
	case KN_LINK_ETHERNET:
		kn_dec_ethernet(p, &r, wire);
		break;
	case KN_LINK_SLL:
		kn_dec_sll(p, &r, wire);
		break;
	case KN_LINK_SLL2:
		kn_dec_sll2(p, &r, wire);
		break;
	case KN_LINK_RAW:
	case 12:        /* DLT_RAW, as pcap_datalink() gives it on most systems */
	case 14:        /* DLT_RAW on OpenBSD */
		dec_raw(p, &r, wire);
		break;
	case KN_LINK_IPV4:
		kn_dec_ipv4(p, &r, wire);
		break;
	case KN_LINK_IPV6:
		kn_dec_ipv6(p, &r, wire);
		break;
	case KN_LINK_NULL:
		kn_dec_null(p, &r, wire, 0);
		break;
	case KN_LINK_LOOP:
		kn_dec_null(p, &r, wire, 1);
		break;
	default:
		kn_anomaly(p, "link", "link.unsupported_type", 0);
		break;
	}
}

int kn_linktype_supported(int linktype)
{
	switch (linktype) {
	case KN_LINK_ETHERNET: case KN_LINK_SLL: case KN_LINK_SLL2:
	case KN_LINK_RAW: case 12: case 14: case KN_LINK_IPV4:
	case KN_LINK_IPV6: case KN_LINK_NULL: case KN_LINK_LOOP:
		return 1;
	default:
		return 0;
	}
}

void kn_decode_ip(struct kn_pkt *p, const uint8_t *ip, size_t len)
{
	struct ks_br r;

	memset(&p->ipv, 0, sizeof *p - offsetof(struct kn_pkt, ipv));
	ks_br_init(&r, ip, len);
	dec_raw(p, &r, len);
}

const char *kn_addr_str(const struct kn_addr *a, char *out)
{
	out[0] = '\0';
	if (a->family == 4)
		inet_ntop(AF_INET, a->b, out, 46);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, out, 46);
	return out;
}

int kn_addr_eq(const struct kn_addr *a, const struct kn_addr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == 4)
		return memcmp(a->b, b->b, 4) == 0;
	if (a->family == 6)
		return memcmp(a->b, b->b, 16) == 0;
	return 1;
}

/*
 * Protocol names as EVE writes them: the IANA keyword of the protocols
 * Suricata names, the number in decimal for the others.
 */
#define N(x) [x] = #x
static const char *const proto_names[256] = {
	[0] = "HOPOPT", [1] = "ICMP", [2] = "IGMP", [4] = "IPv4",
	[6] = "TCP", [17] = "UDP", [41] = "IPv6", [43] = "IPv6-Route",
	[44] = "IPv6-Frag", [46] = "RSVP", [47] = "GRE", [50] = "ESP",
	[51] = "AH", [58] = "IPv6-ICMP", [59] = "IPv6-NoNxt",
	[60] = "IPv6-Opts", [88] = "EIGRP", [89] = "OSPF", [103] = "PIM",
	[112] = "VRRP", [115] = "L2TP", [132] = "SCTP", [136] = "UDPLite",
	N(3), N(5), N(7), N(8), N(9), N(10), N(11), N(12), N(13), N(14),
	N(15), N(16), N(18), N(19), N(20), N(21), N(22), N(23), N(24),
	N(25), N(26), N(27), N(28), N(29), N(30), N(31), N(32), N(33),
	N(34), N(35), N(36), N(37), N(38), N(39), N(40), N(42), N(45),
	N(48), N(49), N(52), N(53), N(54), N(55), N(56), N(57), N(61),
	N(62), N(63), N(64), N(65), N(66), N(67), N(68), N(69), N(70),
	N(71), N(72), N(73), N(74), N(75), N(76), N(77), N(78), N(79),
	N(80), N(81), N(82), N(83), N(84), N(85), N(86), N(87), N(90),
	N(91), N(92), N(93), N(94), N(95), N(96), N(97), N(98), N(99),
	N(100), N(101), N(102), N(104), N(105), N(106), N(107), N(108),
	N(109), N(110), N(111), N(113), N(114), N(116), N(117), N(118),
	N(119), N(120), N(121), N(122), N(123), N(124), N(125), N(126),
	N(127), N(128), N(129), N(130), N(131), N(133), N(134), N(135),
	N(137), N(138), N(139), N(140), N(141), N(142), N(143), N(144),
	N(145), N(146), N(147), N(148), N(149), N(150), N(151), N(152),
	N(153), N(154), N(155), N(156), N(157), N(158), N(159), N(160),
	N(161), N(162), N(163), N(164), N(165), N(166), N(167), N(168),
	N(169), N(170), N(171), N(172), N(173), N(174), N(175), N(176),
	N(177), N(178), N(179), N(180), N(181), N(182), N(183), N(184),
	N(185), N(186), N(187), N(188), N(189), N(190), N(191), N(192),
	N(193), N(194), N(195), N(196), N(197), N(198), N(199), N(200),
	N(201), N(202), N(203), N(204), N(205), N(206), N(207), N(208),
	N(209), N(210), N(211), N(212), N(213), N(214), N(215), N(216),
	N(217), N(218), N(219), N(220), N(221), N(222), N(223), N(224),
	N(225), N(226), N(227), N(228), N(229), N(230), N(231), N(232),
	N(233), N(234), N(235), N(236), N(237), N(238), N(239), N(240),
	N(241), N(242), N(243), N(244), N(245), N(246), N(247), N(248),
	N(249), N(250), N(251), N(252), N(253), N(254), N(255),
};
#undef N

const char *kn_proto_name(uint8_t proto)
{
	return proto_names[proto];
}
