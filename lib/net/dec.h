/*
 * The per-protocol decoders (lib/net/dec-<proto>.c), internal to lib/net.
 *
 * Every decoder has the same shape:
 *
 *   void kn_dec_<proto>(struct kn_pkt *p, struct ks_br *r, size_t wire);
 *
 * r is a bounded reader over the captured bytes of the decoder's layer
 * (its header and everything after it that belongs to it), without a
 * fault; the decoder consumes it (the caller does not read it again).  It
 * is passed by address because a 24-byte struct passed by value goes
 * through the stack at every layer, which cost a third of the decoding
 * time.  wire is that layer's length on the wire, never less than what r
 * holds.  The two lengths are what tells a snap-length cut from a lie:
 *
 *   a header longer than `wire`          the packet is invalid
 *                                        ("<layer>.pkt_too_small", ...);
 *   a header within `wire`, but past r   the capture cut it
 *                                        ("<layer>.truncated").
 *
 * A decoder checks its fixed lengths against `wire` before reading, does
 * its reads, checks the reader's fault once, then validates the values
 * read; it hands the next layer a reader split off with ks_br_sub (so the
 * next layer never sees the bytes past the end its parent announced) and
 * that layer's wire length.  On a problem it records one anomaly and
 * returns; what it filled before stays.
 *
 * Fragments: the IP decoders set p->is_frag and the frag_* fields; only a
 * first fragment (offset 0) goes on to the transport decoders, with
 * p->is_frag set, so that they decode the header when it is all there and
 * leave payload, payload_len and payload_wire unset: a fragment's bytes
 * are frag_data, and the transport payload exists only once reassembled.
 */
#ifndef KS_NET_DEC_H
#define KS_NET_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/breader.h"
#include "net/pkt.h"

/* Ethernet types (IEEE 802 numbers). */
enum {
	KN_ETH_IPV4 = 0x0800,
	KN_ETH_ARP = 0x0806,
	KN_ETH_VLAN = 0x8100,        /* 802.1Q customer tag */
	KN_ETH_QINQ = 0x88a8,        /* 802.1ad service tag */
	KN_ETH_QINQ_OLD = 0x9100,    /* pre-standard service tag */
	KN_ETH_IPV6 = 0x86dd,
};

/* IP protocol numbers met while decoding (IANA). */
enum {
	KN_IPPROTO_HOPOPTS = 0,
	KN_IPPROTO_ICMP = 1,
	KN_IPPROTO_TCP = 6,
	KN_IPPROTO_UDP = 17,
	KN_IPPROTO_ROUTING = 43,
	KN_IPPROTO_FRAGMENT = 44,
	KN_IPPROTO_ESP = 50,
	KN_IPPROTO_AH = 51,
	KN_IPPROTO_ICMPV6 = 58,
	KN_IPPROTO_NONE = 59,
	KN_IPPROTO_DSTOPTS = 60,
};

/* Link layers. */
void kn_dec_ethernet(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_sll(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_sll2(struct kn_pkt *p, struct ks_br *r, size_t wire);
/* BSD loopback: the family in the capturing host's byte order (NULL), or
 * in network byte order (LOOP: big_endian set). */
void kn_dec_null(struct kn_pkt *p, struct ks_br *r, size_t wire,
		 int big_endian);

/* What follows an Ethernet type (after Ethernet, a VLAN tag, SLL or
 * SLL2): IPv4, IPv6, ARP or another tag; other types end the decoding. */
void kn_dec_ethertype(struct kn_pkt *p, struct ks_br *r, size_t wire,
		      uint16_t type);
/* An 802.1Q or 802.1ad tag (the Ethernet type that announced it has been
 * read); the decoder follows tags up to KN_MAX_VLAN deep. */
void kn_dec_vlan(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_arp(struct kn_pkt *p, struct ks_br *r, size_t wire);

/* Network layer. */
void kn_dec_ipv4(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_ipv6(struct kn_pkt *p, struct ks_br *r, size_t wire);

/* Transport layer, chosen by p->proto (set by the IP decoder). */
void kn_dec_transport(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_tcp(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_udp(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_icmp(struct kn_pkt *p, struct ks_br *r, size_t wire);
void kn_dec_icmpv6(struct kn_pkt *p, struct ks_br *r, size_t wire);

/*
 * A transport header is decoded and `r` is positioned after it; `wire` is
 * what is left of the segment on the wire.  Sets the payload fields (not
 * for a fragment: see above) and reports a snap-length cut of the payload
 * as `event` of `layer`.
 */
void kn_dec_payload(struct kn_pkt *p, const struct ks_br *r, size_t wire,
		    const char *layer, const char *event);

/*
 * The length in octets of the IPv6 extension header of type `nh` at the
 * reader (which does not move): hop-by-hop, routing and destination
 * options count 8-octet units after the first 8, AH 4-octet units after
 * the first 8, a fragment header is 8.  0 when `nh` is none of them or its
 * first two octets are not there; the header itself may still be cut.
 * Shared by the IPv6 decoder and defragmentation.
 */
size_t kn_ipv6_ext_len(uint8_t nh, const struct ks_br *r);

#endif
