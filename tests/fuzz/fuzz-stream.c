/*
 * Fuzz target: TCP reassembly through the flow table.  The input gives an
 * initial sequence number (so that numbers wrap), then commands of four
 * bytes: kind, offset (16 bits, from 16 before the stream's first byte),
 * length.  Kinds: data from the client (bytes made from their offset, or
 * other bytes when bit 2 is set), an acknowledgment from the server, a
 * FIN, a reset.  Checked: every byte handed on is the first byte given at
 * its offset (so never more bytes than given, no retransmission twice,
 * the first of overlapping bytes kept), memory held stays under the cap
 * and returns to zero when the flow ends.
 */
#include <stdlib.h>
#include <string.h>

#include "net/flow.h"
#include "net/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPAN (65536 + 512)

static int16_t first[SPAN];     /* first byte given at each offset, or -1 */
static uint64_t pos;            /* offset of the next byte handed on */
static uint64_t given, handed;

static uint8_t byte_at(uint64_t off, int other)
{
	return (uint8_t)(off * 131 + 7) ^ (other ? 0x5a : 0);
}

static void on_data(void *ctx, struct kn_flow *f, int dir, const uint8_t *d,
		    size_t n)
{
	(void)ctx;
	(void)f;
	if (dir != KN_TO_SERVER)
		abort();        /* the server sends no data here */
	if (d == NULL) {
		pos += n;
		return;
	}
	for (size_t i = 0; i < n; i++, pos++) {
		if (pos >= SPAN || first[pos] < 0 || first[pos] != d[i])
			abort();
	}
	handed += n;
	if (handed > given)
		abort();
}

static void fill(struct kn_pkt *p, int from_client, uint8_t flags, uint32_t seq,
		 uint32_t ack, const uint8_t *payload, size_t len)
{
	memset(p, 0, sizeof *p);
	p->ipv = 4;
	p->src.family = p->dst.family = 4;
	p->src.b[3] = from_client ? 1 : 2;
	p->dst.b[3] = from_client ? 2 : 1;
	p->proto = 6;
	p->has_l4 = 1;
	p->sport = from_client ? 40000 : 80;
	p->dport = from_client ? 80 : 40000;
	p->tcp_flags = flags;
	p->seq = seq;
	p->ack = ack;
	p->payload = payload;
	p->payload_len = len;
	p->payload_wire = len;
	p->ts.sec = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_flow_conf c;
	struct kn_flows *t;
	struct kn_flow *f;
	struct kn_pkt p;
	uint8_t payload[256];
	uint32_t isn;
	int dir;

	if (size < 4)
		return 0;
	isn = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	      (uint32_t)data[2] << 8 | data[3];
	data += 4;
	size -= 4;
	memset(first, 0xff, sizeof first);
	pos = given = handed = 0;
	kn_flow_defaults(&c);
	c.stream_depth_ooo = 4096;
	c.stream_mem = 6000;
	c.stream_depth = 60000;
	c.max_flows = 8;
	t = kn_flows_new(&c, NULL, NULL, NULL);
	if (t == NULL)
		return 0;
	fill(&p, 1, KN_TH_SYN, isn, 0, NULL, 0);
	f = kn_flows_packet(t, &p, &dir);
	kn_flows_tcp(t, f, &p, dir, on_data, NULL);
	fill(&p, 0, KN_TH_SYN | KN_TH_ACK, 5000, isn + 1, NULL, 0);
	f = kn_flows_packet(t, &p, &dir);
	kn_flows_tcp(t, f, &p, dir, on_data, NULL);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t kind = data[i];
		int64_t off = (int64_t)(data[i + 1] << 8 | data[i + 2]) - 16;
		size_t len = data[i + 3];
		uint32_t seq = isn + 1 + (uint32_t)off;

		switch (kind & 3) {
		case 0:
			for (size_t k = 0; k < len; k++) {
				int64_t o = off + (int64_t)k;

				payload[k] = byte_at((uint64_t)o, kind & 4);
				if (o >= 0 && o < SPAN && first[o] < 0) {
					first[o] = payload[k];
					given++;
				}
			}
			fill(&p, 1, KN_TH_ACK, seq, 5001, payload, len);
			break;
		case 1:
			fill(&p, 0, KN_TH_ACK, 5001, seq, NULL, 0);
			break;
		case 2:
			fill(&p, 1, KN_TH_ACK | KN_TH_FIN, seq, 5001, NULL, 0);
			break;
		default:
			if ((kind & 0xf0) != 0xf0)
				continue;   /* resets are rare */
			fill(&p, 1, KN_TH_RST, seq, 0, NULL, 0);
			break;
		}
		f = kn_flows_packet(t, &p, &dir);
		if (f == NULL)
			abort();
		kn_flows_tcp(t, f, &p, dir, on_data, NULL);
		if (kn_flows_stream_mem(t) > c.stream_mem)
			abort();
	}
	kn_flows_end_all(t);
	if (kn_flows_stream_mem(t) != 0)
		abort();
	kn_flows_free(t);
	return 0;
}
