/*
 * Shared by the decoder fuzz targets (fuzz-dec-*.c, fuzz-defrag.c): the
 * properties every decoded packet has, whatever the bytes were, and a
 * driver that decodes one input in several captures of it.
 *
 * Properties checked beyond "no crash" (each is an abort):
 *   - every anomaly has an event and a layer, the event named
 *     "<layer>.<something>", "<layer>.truncated" exactly when it is marked
 *     truncated, and p->truncated says whether any was;
 *   - a frame captured whole (caplen == wirelen) is never "truncated";
 *   - a frame that decodes without any anomaly, cut by a snap length at
 *     any byte, gives at most one anomaly and it is a truncation, never
 *     an invalid event;
 *   - every pointer the decoders set (l3, frag_data, payload) lies, with
 *     its length, inside the captured bytes; a payload is never longer
 *     than on the wire, and a fragment has none;
 *   - at most KN_MAX_VLAN tags, IP versions 0, 4 or 6 only, and the text
 *     forms of the addresses and the protocol exist.
 */
#ifndef KS_FUZZ_NET_H
#define KS_FUZZ_NET_H

#include <stdlib.h>
#include <string.h>

#include "net/dec.h"
#include "net/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ks_time fuzz_t0 = { 1700000000, 0 };
static size_t fuzz_size;         /* the whole input's length */

static inline void fuzz_within(const uint8_t *p, size_t n,
			       const uint8_t *base, size_t cap)
{
	if (p == NULL) {
		if (n != 0)
			abort();
		return;
	}
	if (p < base || p > base + cap || n > (size_t)(base + cap - p))
		abort();
}

static inline void fuzz_check(const struct kn_pkt *p, const uint8_t *base,
			      size_t cap, size_t wire)
{
	int trunc = 0;
	char s[46];

	if (p->nan < 0 || p->nan > KN_MAX_ANOMALIES)
		abort();
	for (int i = 0; i < p->nan; i++) {
		const char *ev = p->an[i].event, *ly = p->an[i].layer;
		size_t ln, en;

		if (ev == NULL || ly == NULL)
			abort();
		ln = strlen(ly);
		en = strlen(ev);
		if (ln == 0 || en <= ln + 1 || strncmp(ev, ly, ln) != 0 ||
		    ev[ln] != '.')
			abort();
		if ((strcmp(ev + ln, ".truncated") == 0) != !!p->an[i].truncated)
			abort();
		trunc |= p->an[i].truncated;
	}
	if (trunc && !p->truncated)
		abort();
	if (p->truncated && !trunc && p->nan < KN_MAX_ANOMALIES)
		abort();
	if (cap >= wire && p->truncated)
		abort();
	fuzz_within(p->l3, p->l3_len, base, cap);
	fuzz_within(p->frag_data, p->frag_len, base, cap);
	fuzz_within(p->payload, p->payload_len, base, cap);
	if (p->payload != NULL && p->payload_len > p->payload_wire)
		abort();
	if (p->is_frag && p->payload != NULL)
		abort();
	if (p->nvlan < 0 || p->nvlan > KN_MAX_VLAN)
		abort();
	if (p->ipv != 0 && p->ipv != 4 && p->ipv != 6)
		abort();
	if (p->ipv != 0 && (p->src.family != p->ipv ||
			    kn_addr_str(&p->src, s)[0] == '\0' ||
			    kn_addr_str(&p->dst, s)[0] == '\0'))
		abort();
	if (kn_proto_name(p->proto) == NULL)
		abort();
}

/* One way of decoding a capture of `cap` of the input's bytes, `wire`
 * long on the wire. */
typedef void (*fuzz_dec_fn)(struct kn_pkt *p, const uint8_t *b, size_t cap,
			    size_t wire, int frag);

static inline void fuzz_once(fuzz_dec_fn fn, const uint8_t *data,
			     size_t cap, size_t wire, int frag,
			     struct kn_pkt *p)
{
	fn(p, data, cap, wire, frag);
	fuzz_check(p, data, cap, wire);
}

/*
 * Decode the input whole, then as a capture cut at a point the input's
 * last byte chooses, and at every point for short inputs, then with more
 * on the wire than captured, then (for the transport decoders) as the
 * first fragment of a datagram.
 */
static inline void fuzz_decode(const uint8_t *data, size_t size,
			       fuzz_dec_fn fn, int with_frag)
{
	struct kn_pkt p;
	int clean;

	fuzz_size = size;
	fuzz_once(fn, data, size, size, 0, &p);
	clean = p.nan == 0;
	if (size > 0) {
		size_t cut = data[size - 1] % size;

		for (size_t k = size <= 128 ? 0 : cut; k < size;
		     k = size <= 128 ? k + 1 : size) {
			fuzz_once(fn, data, k, size, 0, &p);
			if (clean && (p.nan > 1 ||
				      (p.nan == 1 && !p.an[0].truncated)))
				abort();
			/* The same bytes, as all there was. */
			fuzz_once(fn, data, k, k, 0, &p);
		}
	}
	fuzz_once(fn, data, size, size + 1500, 0, &p);
	if (with_frag)
		fuzz_once(fn, data, size, size, 1, &p);
}

/* Calling one decoder of dec.h directly, on a packet that has been
 * through IPv4 (or IPv6 when the input's length is odd, so that both
 * are met), as a first fragment when asked.  What the packet looks like
 * depends on the whole input only, so that its cuts decode alike. */
static inline void fuzz_layer_setup(struct kn_pkt *p, int frag,
				    uint8_t proto)
{
	memset(p, 0, sizeof *p);
	p->ipv = fuzz_size % 2 ? 6 : 4;
	p->src.family = p->dst.family = (uint8_t)p->ipv;
	p->ttl = (uint8_t)(fuzz_size % 3 == 0 ? 1 : 64);
	p->proto = proto;
	p->is_frag = frag;
}

#endif
