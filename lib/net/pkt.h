/*
 * A decoded packet: what every part of knetscan reads.
 *
 * kn_decode fills a struct kn_pkt from the bytes of one captured frame,
 * layer by layer (one decoder per protocol, lib/net/dec-*.c), reading only
 * through the bounded reader.  Every field points into the frame's bytes
 * or holds a copy; nothing is allocated, and the struct is valid as long
 * as the frame's bytes are.
 *
 * A decoder that meets a problem records an anomaly and stops at that
 * layer; what was decoded before stays usable.  Two kinds of problems are
 * told apart:
 *   truncated  the frame was cut by the capture's snap length (caplen <
 *              wirelen) before the end of a header or of the data its
 *              header announces: nothing is wrong with the packet itself;
 *   invalid    the bytes are there and break the protocol (a header length
 *              below the minimum, a length field longer than the packet on
 *              the wire, a wrong version).
 * Anomaly names follow Suricata's decoder events where one exists
 * ("ipv4.hlen_too_small", "tcp.pkt_too_small", ...); a snap-length cut is
 * "<layer>.truncated".
 */
#ifndef KS_NET_PKT_H
#define KS_NET_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "core/timefmt.h"

/* Link types (the values of pcap's LINKTYPE_*). */
enum {
	KN_LINK_NULL = 0,        /* BSD loopback: 4-byte host-order family */
	KN_LINK_ETHERNET = 1,
	KN_LINK_RAW = 101,       /* raw IPv4 or IPv6 */
	KN_LINK_LOOP = 108,      /* OpenBSD loopback: network-order family */
	KN_LINK_SLL = 113,       /* Linux cooked capture v1 */
	KN_LINK_IPV4 = 228,
	KN_LINK_IPV6 = 229,
	KN_LINK_SLL2 = 276,      /* Linux cooked capture v2 */
};

#define KN_MAX_VLAN 2            /* 802.1Q and QinQ; a third tag is an anomaly */
#define KN_MAX_ANOMALIES 4
#define KN_MAX_IPV6_EXT 8        /* extension headers followed at most */

struct kn_addr {
	uint8_t family;          /* 4 or 6; 0 when unset */
	uint8_t b[16];           /* IPv4 in b[0..3] */
};

struct kn_anomaly {
	const char *event;       /* static string, e.g. "ipv4.hlen_too_small" */
	const char *layer;       /* "ethernet", "vlan", "ipv4", "tcp", ... */
	int truncated;           /* a snap-length cut, not an invalid packet */
};

/* TCP flag bits as in the header. */
enum {
	KN_TH_FIN = 0x01, KN_TH_SYN = 0x02, KN_TH_RST = 0x04,
	KN_TH_PSH = 0x08, KN_TH_ACK = 0x10, KN_TH_URG = 0x20,
	KN_TH_ECE = 0x40, KN_TH_CWR = 0x80,
};

/* IPv4 options seen (bits). */
enum {
	KN_IPOPT_LSRR = 1 << 0,  /* loose source route */
	KN_IPOPT_SSRR = 1 << 1,  /* strict source route */
	KN_IPOPT_RR = 1 << 2,    /* record route */
	KN_IPOPT_TS = 1 << 3,    /* timestamp */
	KN_IPOPT_SEC = 1 << 4,   /* security */
	KN_IPOPT_OTHER = 1 << 5,
};

struct kn_pkt {
	/* The frame. */
	const uint8_t *frame;
	size_t caplen, wirelen;
	struct ks_time ts;
	int linktype;
	uint64_t pcap_cnt;       /* 1-based position in the capture */

	/* Link layer. */
	int has_eth;
	uint8_t src_mac[6], dst_mac[6];
	uint16_t ether_type;     /* the last one, after VLAN tags */
	uint16_t vlan[KN_MAX_VLAN];
	int nvlan;

	/* ARP (Ethernet/IPv4 only). */
	int has_arp;
	uint16_t arp_op;         /* 1 request, 2 reply */
	uint8_t arp_sha[6], arp_spa[4], arp_tha[6], arp_tpa[4];

	/* Network layer. */
	int ipv;                 /* 0, 4 or 6 */
	struct kn_addr src, dst;
	const uint8_t *l3;       /* the IP header */
	size_t l3_len;           /* bytes of the datagram present (captured) */
	size_t ip_total;         /* the datagram's length as its header says */
	uint8_t proto;           /* the transport protocol */
	uint8_t ttl;
	uint32_t ip_id;          /* IPv4's 16 bits, or IPv6's fragment id */
	unsigned ipopts;         /* KN_IPOPT_* */
	int v6_rh0;              /* an IPv6 type 0 routing header */
	/* Fragments: a fragment carries no transport header of its own until
	 * reassembled (but the first one, whose header is decoded). */
	int is_frag;
	uint32_t frag_off;       /* in bytes */
	int more_frags;
	const uint8_t *frag_data;  /* the fragment's payload */
	size_t frag_len;
	int reassembled;         /* this datagram was put back together */

	/* Transport layer. */
	int has_l4;              /* a complete transport header was decoded */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t window;
	uint8_t icmp_type, icmp_code;
	uint16_t l4_len;         /* UDP length, TCP header length */
	const uint8_t *payload;  /* after the transport header (captured bytes) */
	size_t payload_len;
	size_t payload_wire;     /* the payload's length on the wire */

	/* Problems met. */
	struct kn_anomaly an[KN_MAX_ANOMALIES];
	int nan;
	int truncated;           /* the snap length cut something */
};

/* 1 when kn_decode knows the link type (0, 1, 12 and 14 as raw IP, 101,
 * 108, 113, 228, 229, 276). */
int kn_linktype_supported(int linktype);

/* Decode a frame of the given link type into p (cleared first). */
void kn_decode(struct kn_pkt *p, int linktype, const uint8_t *frame,
	       size_t caplen, size_t wirelen, struct ks_time ts);

/* Decode an IP datagram (v4 or v6 by its first nibble) into p's network
 * and transport fields: used for reassembled datagrams, whose bytes must
 * outlive p's use. */
void kn_decode_ip(struct kn_pkt *p, const uint8_t *ip, size_t len);

/* Record an anomaly (the first KN_MAX_ANOMALIES are kept). */
void kn_anomaly(struct kn_pkt *p, const char *layer, const char *event,
		int truncated);

/* Text forms, for records.  out must hold 46 bytes (INET6_ADDRSTRLEN). */
const char *kn_addr_str(const struct kn_addr *a, char *out);
/* "SYN ACK ..." style is not EVE's: EVE writes flags as hex ("1b"). */
const char *kn_proto_name(uint8_t proto);   /* "TCP", "UDP", "ICMP", ... */

int kn_addr_eq(const struct kn_addr *a, const struct kn_addr *b);

#endif
