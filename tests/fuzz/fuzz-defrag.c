/*
 * Fuzz target: defragmentation on a sequence of fragments built from the
 * input, decoded with kn_decode and added with kn_defrag_add under small
 * caps (so that the memory, datagram and fragment caps are met often).
 *
 * The input is a series of records:
 *
 *   octet 0   bit 0 IPv6, bits 1-2 identification (four datagrams),
 *             bit 3 more fragments, bit 4 an IPv6 hop-by-hop header
 *             before the fragment header, bit 5 TCP (else UDP),
 *             bits 6-7 time step (none, 1 s, 30 s, 61 s)
 *   octets 1-2  fragment offset in 8-octet units (13 bits)
 *   octet 3   data length
 *   then      the data (as much of it as the input still has; zeros for
 *             the rest)
 *
 * Properties checked beyond "no crash":
 *   - the memory held never exceeds max_mem;
 *   - a reassembled datagram is at most 65,535 octets of IP payload and
 *     header, its own length fields agree with its length (and IPv4's
 *     checksum with its header), and it decodes with the properties of
 *     fuzz-net.h;
 *   - KN_DEFRAG_DONE counts match the reassembled statistic, and refusals
 *     the refused one;
 *   - after every datagram has timed out, nothing is held.
 */
#include "fuzz-net.h"

#include "net/defrag.h"

static uint8_t frame[40 + 8 + 8 + 8192 + 255];

static size_t build(const uint8_t *rec, const uint8_t *d, size_t dn,
		    int v6, int hbh, uint32_t off, int mf, uint8_t proto,
		    uint16_t id)
{
	size_t len = rec[3], at;

	memset(frame, 0, sizeof frame);
	if (!v6) {
		uint16_t fr = (uint16_t)((mf ? 0x2000 : 0) | (off / 8));
		size_t tot = 20 + len;

		frame[0] = 0x45;
		frame[2] = (uint8_t)(tot >> 8);
		frame[3] = (uint8_t)tot;
		frame[4] = (uint8_t)(id >> 8);
		frame[5] = (uint8_t)id;
		frame[6] = (uint8_t)(fr >> 8);
		frame[7] = (uint8_t)fr;
		frame[8] = 64;
		frame[9] = proto;
		frame[12] = 10;
		frame[16] = 10;
		frame[19] = 1;
		at = 20;
	} else {
		frame[0] = 0x60;
		frame[6] = hbh ? 0 : 44;
		frame[7] = 64;
		frame[8] = 0xfd;
		frame[24] = 0xfd;
		frame[39] = 1;
		at = 40;
		if (hbh) {
			frame[40] = 44;
			frame[42] = 1;
			frame[43] = 4;
			at = 48;
		}
		frame[at] = proto;
		frame[at + 2] = (uint8_t)(off >> 8);
		frame[at + 3] = (uint8_t)((off & 0xf8) | (mf ? 1 : 0));
		frame[at + 7] = (uint8_t)id;
		at += 8;
		frame[4] = (uint8_t)((at + len - 40) >> 8);
		frame[5] = (uint8_t)(at + len - 40);
	}
	memcpy(frame + at, d, dn < len ? dn : len);
	return at + len;
}

static void check_whole(const uint8_t *ip, size_t len)
{
	struct kn_pkt p;

	if (ip == NULL || len < 20)
		abort();
	if ((ip[0] >> 4) == 4) {
		uint32_t sum = 0;
		size_t hl = (size_t)(ip[0] & 15) * 4;

		if (len > 65535 || (size_t)(ip[2] << 8 | ip[3]) != len ||
		    (ip[6] & 0x3f) != 0 || ip[7] != 0 || hl > len)
			abort();
		for (size_t i = 0; i + 1 < hl; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		if (sum != 0xffff)
			abort();
	} else {
		if (len < 40 || len - 40 > 65535 ||
		    (size_t)(ip[4] << 8 | ip[5]) != len - 40)
			abort();
	}
	memset(&p, 0, sizeof p);
	kn_decode_ip(&p, ip, len);
	fuzz_check(&p, ip, len, len);
	if (p.ipv == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = { 0, 1000000, 30000000, 61000000 };
	struct kn_defrag_conf c;
	struct kn_defrag *d;
	struct kn_defrag_stats st;
	uint64_t now = 1700000000ull * 1000000u, done = 0, refused = 0;
	size_t at = 0;

	kn_defrag_defaults(&c);
	c.max_mem = 16384;
	c.max_datagrams = 3;
	c.max_frags = 12;
	d = kn_defrag_new(&c);
	if (d == NULL)
		abort();
	while (size - at >= 4) {
		const uint8_t *rec = data + at;
		uint8_t ctl = rec[0];
		uint32_t off = (uint32_t)((rec[1] << 8 | rec[2]) & 0x1fff) * 8;
		size_t dn = size - at - 4, n;
		struct kn_pkt p;
		struct kn_defrag_events ev;
		const uint8_t *ip;
		size_t len;
		enum kn_defrag_result r;
		struct ks_time t;

		if (dn > rec[3])
			dn = rec[3];
		n = build(rec, rec + 4, dn, ctl & 1, (ctl >> 4) & 1, off,
			  (ctl >> 3) & 1, (ctl & 0x20) ? 6 : 17,
			  (uint16_t)((ctl >> 1) & 3));
		at += 4 + dn;
		now += steps[ctl >> 6];
		t.sec = (int64_t)(now / 1000000u);
		t.usec = (uint32_t)(now % 1000000u);
		kn_decode(&p, KN_LINK_RAW, frame, n, n, t);
		fuzz_check(&p, frame, n, n);
		if (!p.is_frag)
			continue;
		r = kn_defrag_add(d, &p, &ip, &len, &ev);
		kn_defrag_get_stats(d, &st);
		if (st.mem > c.max_mem)
			abort();
		if (r == KN_DEFRAG_DONE) {
			done++;
			check_whole(ip, len);
		} else if (r == KN_DEFRAG_REFUSED) {
			refused++;
		} else if (r != KN_DEFRAG_HELD || ip != NULL) {
			abort();
		}
		if (st.reassembled != done || st.refused != refused)
			abort();
	}
	kn_defrag_expire(d, UINT64_MAX);
	kn_defrag_get_stats(d, &st);
	if (st.mem != 0)
		abort();
	kn_defrag_free(d);
	return 0;
}
