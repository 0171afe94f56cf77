/*
 * TCP (RFC 9293 section 3.1), with its options: MSS (RFC 9293), window
 * scale and timestamps (RFC 7323), SACK (RFC 2018).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                             data                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Data Offset counts 32-bit words (5 to 15).  A segment shorter than 20
 * octets, or than its Data Offset says, is tcp.pkt_too_small; a Data
 * Offset below 5 is tcp.hlen_too_small.  Options are kind, length, data
 * but for End of Option List (0) and No-Operation (1); an option length
 * below two, past the header, or not the one its kind has, is
 * tcp.opt_invalid_len, and a second MSS, window scale, SACK-permitted or
 * timestamp option is tcp.opt_duplicate.  A bad option does not hide the
 * ports, flags and data: they are decoded all the same.
 */
#include "net/dec.h"

#define TCP_HLEN 20

enum {
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WS = 3, OPT_SACKOK = 4,
	OPT_SACK = 5, OPT_TS = 8,
};

static void tcp_options(struct kn_pkt *p, struct ks_br o)
{
	unsigned seen = 0;

	/* Each turn consumes at least the kind octet. */
	while (ks_br_left(&o) > 0) {
		uint8_t kind = ks_br_u8(&o), len;
		size_t left;
		int ok;

		if (kind == OPT_EOL)
			return;
		if (kind == OPT_NOP)
			continue;
		left = ks_br_left(&o);
		len = ks_br_u8(&o);
		if (left < 1 || len < 2 || (size_t)len - 2 > left - 1) {
			kn_anomaly(p, "tcp", "tcp.opt_invalid_len", 0);
			return;
		}
		switch (kind) {
		case OPT_MSS:
			ok = len == 4;
			break;
		case OPT_WS:
			ok = len == 3;
			break;
		case OPT_SACKOK:
			ok = len == 2;
			break;
		case OPT_SACK:
			ok = len >= 10 && (len - 2) % 8 == 0;
			break;
		case OPT_TS:
			ok = len == 10;
			break;
		default:
			ok = 1;
			break;
		}
		if (!ok) {
			kn_anomaly(p, "tcp", "tcp.opt_invalid_len", 0);
			return;
		}
		if (kind == OPT_MSS || kind == OPT_WS || kind == OPT_SACKOK ||
		    kind == OPT_TS) {
			if (seen & (1u << kind)) {
				kn_anomaly(p, "tcp", "tcp.opt_duplicate", 0);
				return;
			}
			seen |= 1u << kind;
		}
		ks_br_skip(&o, (size_t)len - 2);
	}
}

void kn_dec_tcp(struct kn_pkt *p, struct ks_br *r, size_t wire)
{
	uint16_t sport, dport, win;
	uint32_t seq, ack;
	uint8_t off, flags;
	size_t hlen;
	struct ks_br opts;

	/* In a first fragment a short header is a tiny fragment, which
	 * defragmentation reports; the decoder only says nothing. */
	if (wire < TCP_HLEN) {
		if (!p->is_frag)
			kn_anomaly(p, "tcp", "tcp.pkt_too_small", 0);
		return;
	}
	sport = ks_br_u16be(r);
	dport = ks_br_u16be(r);
	seq = ks_br_u32be(r);
	ack = ks_br_u32be(r);
	off = ks_br_u8(r);
	flags = ks_br_u8(r);
	win = ks_br_u16be(r);
	ks_br_skip(r, 4);              /* checksum, urgent pointer */
	if (ks_br_fault(r) != KS_BR_OK) {
		if (!p->is_frag)
			kn_anomaly(p, "tcp", "tcp.truncated", 1);
		return;
	}
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < TCP_HLEN) {
		kn_anomaly(p, "tcp", "tcp.hlen_too_small", 0);
		return;
	}
	if (hlen > wire) {
		if (!p->is_frag)
			kn_anomaly(p, "tcp", "tcp.pkt_too_small", 0);
		return;
	}
	opts = ks_br_sub(r, hlen - TCP_HLEN);
	if (ks_br_fault(r) != KS_BR_OK) {
		if (!p->is_frag)
			kn_anomaly(p, "tcp", "tcp.truncated", 1);
		return;
	}
	p->has_l4 = 1;
	p->sport = sport;
	p->dport = dport;
	p->seq = seq;
	p->ack = ack;
	p->tcp_flags = flags;
	p->window = win;
	p->l4_len = (uint16_t)hlen;
	if (hlen > TCP_HLEN)
		tcp_options(p, opts);
	kn_dec_payload(p, r, wire - hlen, "tcp", "tcp.truncated");
}
