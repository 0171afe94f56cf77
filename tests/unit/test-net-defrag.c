/*
 * Defragmentation (lib/net/defrag.c): fragments built here as raw IP
 * frames, decoded with kn_decode, added, and the reassembled datagram
 * decoded and compared byte for byte with what was cut up; then the
 * attacks (overlaps, Ping of Death, tiny fragments, impossible offsets)
 * and the caps (time, memory, fragments, datagrams).
 */
#include <string.h>

#include "net/defrag.h"
#include "net/pkt.h"
#include "unit.h"

static const uint8_t ip4_a[4] = { 10, 1, 0, 1 };
static const uint8_t ip4_b[4] = { 10, 1, 0, 2 };
static const uint8_t ip6_a[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t ip6_b[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
				   0, 0, 0, 0, 0, 0, 0, 2 };

/* The datagram payload the tests cut up: a UDP header and data. */
#define DATA_LEN 3000
static uint8_t data[8 + DATA_LEN];

static void make_data(void)
{
	data[0] = 0x30;
	data[1] = 0x39;                  /* 12345 */
	data[2] = 0x00;
	data[3] = 0x35;                  /* 53 */
	data[4] = (uint8_t)((8 + DATA_LEN) >> 8);
	data[5] = (uint8_t)(8 + DATA_LEN);
	data[6] = data[7] = 0;
	for (size_t i = 0; i < DATA_LEN; i++)
		data[8 + i] = (uint8_t)(i * 7 + i / 251);
}

struct frame {
	uint8_t b[70000];
	size_t n;
};

/* An IPv4 fragment of `len` bytes of `bytes` at offset `off`. */
static void v4frag(struct frame *f, uint16_t id, uint8_t proto, uint32_t off,
		   int mf, const uint8_t *bytes, size_t len)
{
	size_t tot = 20 + len;
	uint16_t fr = (uint16_t)((mf ? 0x2000 : 0) | (off / 8));

	memset(f->b, 0, 20);
	f->b[0] = 0x45;
	f->b[2] = (uint8_t)(tot >> 8);
	f->b[3] = (uint8_t)tot;
	f->b[4] = (uint8_t)(id >> 8);
	f->b[5] = (uint8_t)id;
	f->b[6] = (uint8_t)(fr >> 8);
	f->b[7] = (uint8_t)fr;
	f->b[8] = 64;
	f->b[9] = proto;
	memcpy(f->b + 12, ip4_a, 4);
	memcpy(f->b + 16, ip4_b, 4);
	memcpy(f->b + 20, bytes, len);
	f->n = tot;
}

/* An IPv6 fragment, with a hop-by-hop header before the fragment header
 * when hbh is set. */
static void v6frag(struct frame *f, uint32_t id, uint8_t nh, uint32_t off,
		   int mf, int hbh, const uint8_t *bytes, size_t len)
{
	size_t at = 40;

	memset(f->b, 0, 48);
	f->b[0] = 0x60;
	f->b[6] = hbh ? 0 : 44;
	f->b[7] = 64;
	memcpy(f->b + 8, ip6_a, 16);
	memcpy(f->b + 24, ip6_b, 16);
	if (hbh) {
		memset(f->b + 40, 0, 8);
		f->b[40] = 44;
		f->b[42] = 1;            /* PadN */
		f->b[43] = 4;
		at = 48;
	}
	f->b[at] = nh;
	f->b[at + 1] = 0;
	f->b[at + 2] = (uint8_t)(off >> 8);
	f->b[at + 3] = (uint8_t)((off & 0xf8) | (mf ? 1 : 0));
	f->b[at + 4] = (uint8_t)(id >> 24);
	f->b[at + 5] = (uint8_t)(id >> 16);
	f->b[at + 6] = (uint8_t)(id >> 8);
	f->b[at + 7] = (uint8_t)id;
	memcpy(f->b + at + 8, bytes, len);
	f->n = at + 8 + len;
	f->b[4] = (uint8_t)((f->n - 40) >> 8);
	f->b[5] = (uint8_t)(f->n - 40);
}

static void decode(struct kn_pkt *p, const struct frame *f, uint64_t us)
{
	struct ks_time t = { (int64_t)(us / 1000000u), (uint32_t)(us % 1000000u) };

	kn_decode(p, KN_LINK_RAW, f->b, f->n, f->n, t);
}

/* Add one fragment at time `us`. */
static enum kn_defrag_result add(struct kn_defrag *d, const struct frame *f,
				 uint64_t us, const uint8_t **ip, size_t *len,
				 struct kn_defrag_events *ev)
{
	struct kn_pkt p;

	decode(&p, f, us);
	return kn_defrag_add(d, &p, ip, len, ev);
}

static int no_events(const struct kn_defrag_events *ev)
{
	return !ev->overlap && !ev->overlap_differs && !ev->too_large &&
	       !ev->tiny && !ev->bad_offset && !ev->dropped_for_memory;
}

static struct kn_defrag *new_defrag(void)
{
	struct kn_defrag_conf c;

	kn_defrag_defaults(&c);
	return kn_defrag_new(&c);
}

/* The reassembled IPv4 datagram: header fixed, the UDP datagram whole. */
static void check_v4_whole(const uint8_t *ip, size_t len, uint16_t id)
{
	struct kn_pkt p;
	uint32_t sum = 0;

	REQUIRE(ip != NULL);
	CHECK_INT(len, 20 + 8 + DATA_LEN);
	CHECK_INT(ip[2] << 8 | ip[3], 20 + 8 + DATA_LEN);
	CHECK_INT(ip[6] & 0x3f, 0);
	CHECK_INT(ip[7], 0);
	for (size_t i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_INT(sum, 0xffff);
	memset(&p, 0, sizeof p);
	kn_decode_ip(&p, ip, len);
	CHECK_INT(p.nan, 0);
	CHECK_INT(p.ipv, 4);
	CHECK_INT(p.is_frag, 0);
	CHECK_INT(p.proto, 17);
	CHECK_INT(p.has_l4, 1);
	CHECK_INT(p.sport, 12345);
	CHECK_INT(p.dport, 53);
	CHECK_INT(p.ip_id, id);
	CHECK_INT(p.payload_len, DATA_LEN);
	CHECK_MEM(p.payload, p.payload_len, data + 8, DATA_LEN);
}

/* The three fragments of the test datagram: 1480 + 1480 + 48 octets. */
static void v4_three(struct frame fr[3], uint16_t id)
{
	v4frag(&fr[0], id, 17, 0, 1, data, 1480);
	v4frag(&fr[1], id, 17, 1480, 1, data + 1480, 1480);
	v4frag(&fr[2], id, 17, 2960, 0, data + 2960, sizeof data - 2960);
}

static struct frame fr[8];

TEST(net_defrag_in_order)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	make_data();
	v4_three(fr, 0x4242);
	CHECK_INT(add(d, &fr[0], 1000, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK(no_events(&ev));
	CHECK(ip == NULL);
	kn_defrag_get_stats(d, &st);
	CHECK(st.mem > 1480);
	CHECK_INT(add(d, &fr[1], 1001, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[2], 1002, &ip, &len, &ev), KN_DEFRAG_DONE);
	CHECK(no_events(&ev));
	check_v4_whole(ip, len, 0x4242);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.fragments, 3);
	CHECK_INT(st.datagrams, 1);
	CHECK_INT(st.reassembled, 1);
	CHECK_INT(st.refused, 0);
	CHECK_INT(st.mem, 0);
	kn_defrag_free(d);
}

TEST(net_defrag_out_of_order_and_duplicates)
{
	static const int orders[][4] = {
		{ 2, 1, 0, -1 }, { 1, 2, 0, -1 }, { 2, 0, 1, -1 },
		{ 0, 0, 1, 2 }, { 2, 2, 0, 1 }, { 1, 0, 1, 2 },
	};

	make_data();
	v4_three(fr, 0x4242);
	for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
		struct kn_defrag *d = new_defrag();
		struct kn_defrag_events ev, all;
		const uint8_t *ip = NULL;
		size_t len = 0;
		int dup = orders[o][3] >= 0, last;

		REQUIRE(d != NULL);
		memset(&all, 0, sizeof all);
		last = dup ? 3 : 2;
		for (int i = 0; i <= last; i++) {
			enum kn_defrag_result r;

			r = add(d, &fr[orders[o][i]], 5000 + (uint64_t)i, &ip,
				&len, &ev);
			all.overlap |= ev.overlap;
			all.overlap_differs |= ev.overlap_differs;
			CHECK_INT(r, i == last ? KN_DEFRAG_DONE : KN_DEFRAG_HELD);
		}
		/* A repeated fragment is an overlap with the same bytes. */
		CHECK_INT(all.overlap, dup);
		CHECK_INT(all.overlap_differs, 0);
		check_v4_whole(ip, len, 0x4242);
		kn_defrag_free(d);
		if (ut_failed_now())
			return;
	}
}

/* Overlapping fragments: the bytes held first win; the same bytes are an
 * overlap, others a Teardrop-style overlap. */
TEST(net_defrag_overlaps)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct frame f;
	uint8_t evil[24];
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	make_data();
	v4_three(fr, 0x4242);

	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	/* Same bytes, overlapping the end of the first by 8. */
	v4frag(&f, 0x4242, 17, 1472, 1, data + 1472, 16);
	CHECK_INT(add(d, &f, 2, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.overlap, 1);
	CHECK_INT(ev.overlap_differs, 0);
	/* Other bytes over the UDP header and data (RFC 1858's rewrite). */
	memset(evil, 0xee, sizeof evil);
	v4frag(&f, 0x4242, 17, 0, 1, evil, 16);
	CHECK_INT(add(d, &f, 3, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.overlap_differs, 1);
	/* Straddling held and new bytes: only the new part is taken. */
	memcpy(evil, data + 1480, 24);
	evil[0] ^= 0xff;                    /* over a held byte */
	evil[16] ^= 0xff;                   /* a new one */
	v4frag(&f, 0x4242, 17, 1480, 1, evil, 24);  /* bytes 1480..1504 */
	CHECK_INT(add(d, &f, 4, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.overlap_differs, 1);
	/* The rest, which differs from the byte held at 1496. */
	CHECK_INT(add(d, &fr[1], 5, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.overlap_differs, 1);
	CHECK_INT(add(d, &fr[2], 6, &ip, &len, &ev), KN_DEFRAG_DONE);
	CHECK_INT(ev.overlap_differs, 0);
	REQUIRE(ip != NULL);
	CHECK_INT(len, 20 + sizeof data);
	/* First wins everywhere: the original bytes but for the one that
	 * arrived first from the straddling fragment. */
	CHECK_MEM(ip + 20, 1496, data, 1496);
	CHECK_INT(ip[20 + 1496], data[1496] ^ 0xff);
	CHECK_MEM(ip + 20 + 1497, sizeof data - 1497, data + 1497,
		  sizeof data - 1497);
	kn_defrag_free(d);
}

/* Teardrop proper: a second fragment lying wholly inside the first, with
 * other bytes. */
TEST(net_defrag_teardrop)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	struct frame f;
	uint8_t junk[16];
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	make_data();
	v4frag(&f, 7, 17, 0, 1, data, 36 + 4);       /* 40 octets */
	CHECK_INT(add(d, &f, 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	memset(junk, 0, sizeof junk);
	v4frag(&f, 7, 17, 24, 0, junk, 3);           /* ends at 27 */
	/* A last fragment that ends before bytes already held. */
	CHECK_INT(add(d, &f, 2, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.bad_offset, 1);
	v4frag(&f, 7, 17, 24, 1, junk, 16);
	CHECK_INT(add(d, &f, 3, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.overlap_differs, 1);
	CHECK_INT(ev.bad_offset, 0);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.refused, 1);
	kn_defrag_free(d);
}

TEST(net_defrag_ping_of_death)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	static uint8_t big[1480];
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	/* 65,528 + 20 octets of data + 20 of header: past 65,535. */
	v4frag(&fr[0], 9, 1, 65528, 0, big, 20);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.too_large, 1);
	/* Exactly 65,535 is allowed. */
	v4frag(&fr[0], 10, 1, 65512, 0, big, 3);
	CHECK_INT(add(d, &fr[0], 2, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.too_large, 0);
	/* IPv6: the payload past 65,535. */
	v6frag(&fr[1], 11, 58, 65528, 0, 0, big, 16);
	CHECK_INT(add(d, &fr[1], 3, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.too_large, 1);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.refused, 2);
	kn_defrag_free(d);
}

TEST(net_defrag_tiny_first_fragment)
{
	struct kn_defrag_conf c;
	struct kn_defrag *d;
	struct kn_defrag_events ev;
	static uint8_t z[64];
	const uint8_t *ip;
	size_t len;

	kn_defrag_defaults(&c);
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	/* TCP: 8 or 16 octets of header in the first fragment. */
	v4frag(&fr[0], 1, 6, 0, 1, z, 8);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.tiny, 1);
	v4frag(&fr[0], 2, 6, 0, 1, z, 16);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 1);
	v4frag(&fr[0], 3, 6, 0, 1, z, 24);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 0);
	/* UDP's header is 8 octets. */
	v4frag(&fr[0], 4, 17, 0, 1, z, 8);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 0);
	/* A later fragment is never tiny; nor is a protocol without a
	 * header of ours. */
	v4frag(&fr[0], 5, 6, 8, 1, z, 8);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 0);
	v4frag(&fr[0], 6, 47, 0, 1, z, 8);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 0);
	/* IPv6: a destination options header fills the first fragment, so
	 * the UDP header is not in it (RFC 7112). */
	{
		uint8_t dst[16] = { 17, 1, 1, 12 };

		v6frag(&fr[1], 7, 60, 0, 1, 0, dst, 16);
		add(d, &fr[1], 1, &ip, &len, &ev);
		CHECK_INT(ev.tiny, 1);
		dst[1] = 0;              /* 8 octets, then 8 of UDP */
		dst[3] = 4;
		v6frag(&fr[1], 8, 60, 0, 1, 0, dst, 16);
		add(d, &fr[1], 1, &ip, &len, &ev);
		CHECK_INT(ev.tiny, 0);
	}
	kn_defrag_free(d);

	/* The configured size applies to every protocol. */
	c.tiny_first = 24;
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	v4frag(&fr[0], 1, 17, 0, 1, z, 16);
	add(d, &fr[0], 1, &ip, &len, &ev);
	CHECK_INT(ev.tiny, 1);
	kn_defrag_free(d);
}

TEST(net_defrag_bad_offsets)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	static uint8_t z[64];
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	/* Not the last, and not a multiple of 8. */
	v4frag(&fr[0], 1, 17, 0, 1, z, 13);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.bad_offset, 1);
	/* Empty. */
	v4frag(&fr[0], 1, 17, 8, 1, z, 0);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.bad_offset, 1);
	/* Past the end the last fragment fixed. */
	v4frag(&fr[0], 2, 17, 16, 0, z, 8);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	v4frag(&fr[0], 2, 17, 24, 1, z, 8);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.bad_offset, 1);
	/* A second last fragment with another end. */
	v4frag(&fr[0], 2, 17, 16, 0, z, 16);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.bad_offset, 1);
	/* The same last fragment again is a duplicate. */
	v4frag(&fr[0], 2, 17, 16, 0, z, 8);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.bad_offset, 0);
	CHECK_INT(ev.overlap, 1);
	/* Then the rest completes it. */
	v4frag(&fr[0], 2, 17, 0, 1, z, 16);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_DONE);
	CHECK_INT(len, 20 + 24);
	kn_defrag_free(d);
}

TEST(net_defrag_ipv6)
{
	make_data();
	for (int hbh = 0; hbh <= 1; hbh++) {
		struct kn_defrag *d = new_defrag();
		struct kn_defrag_events ev;
		const uint8_t *ip;
		size_t len, h = hbh ? 48 : 40;
		struct kn_pkt p;

		REQUIRE(d != NULL);
		v6frag(&fr[0], 0xabcdef01, 17, 0, 1, hbh, data, 1448);
		v6frag(&fr[1], 0xabcdef01, 17, 1448, 1, hbh, data + 1448, 1448);
		v6frag(&fr[2], 0xabcdef01, 17, 2896, 0, hbh, data + 2896,
		       sizeof data - 2896);
		decode(&p, &fr[1], 0);
		CHECK_INT(p.is_frag, 1);
		CHECK(p.ip_id == 0xabcdef01u);
		CHECK_INT(add(d, &fr[1], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
		CHECK_INT(add(d, &fr[0], 2, &ip, &len, &ev), KN_DEFRAG_HELD);
		CHECK(no_events(&ev));
		CHECK_INT(add(d, &fr[2], 3, &ip, &len, &ev), KN_DEFRAG_DONE);
		REQUIRE(ip != NULL);
		/* The fragment header is gone, the chain points past it. */
		CHECK_INT(len, h + sizeof data);
		CHECK_INT(ip[4] << 8 | ip[5], h - 40 + sizeof data);
		CHECK_INT(hbh ? ip[40] : ip[6], 17);
		CHECK_MEM(ip + h, sizeof data, data, sizeof data);
		kn_decode_ip(&p, ip, len);
		CHECK_INT(p.nan, 0);
		CHECK_INT(p.ipv, 6);
		CHECK_INT(p.is_frag, 0);
		CHECK_INT(p.proto, 17);
		CHECK_INT(p.has_l4, 1);
		CHECK_INT(p.dport, 53);
		CHECK_INT(p.payload_len, DATA_LEN);
		CHECK_MEM(p.payload, DATA_LEN, data + 8, DATA_LEN);
		kn_defrag_free(d);
	}
}

/* Datagrams are kept apart by every part of their key. */
TEST(net_defrag_keys)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	static uint8_t z[16];
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	v4frag(&fr[0], 5, 17, 0, 1, z, 8);
	add(d, &fr[0], 1, &ip, &len, &ev);
	v4frag(&fr[0], 6, 17, 8, 0, z, 8);    /* another id */
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	v4frag(&fr[0], 5, 6, 8, 0, z, 8);     /* another protocol */
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	v4frag(&fr[0], 5, 17, 8, 0, z, 8);
	fr[0].b[15] = 9;                      /* another source */
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	v4frag(&fr[0], 5, 17, 8, 0, z, 8);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_DONE);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.datagrams, 4);

	/* Another VLAN. */
	{
		struct kn_pkt p;

		v4frag(&fr[0], 5, 17, 0, 1, z, 8);
		decode(&p, &fr[0], 1);
		p.nvlan = 1;
		p.vlan[0] = 100;
		CHECK_INT(kn_defrag_add(d, &p, &ip, &len, &ev), KN_DEFRAG_HELD);
		v4frag(&fr[0], 5, 17, 8, 0, z, 8);
		decode(&p, &fr[0], 1);
		CHECK_INT(kn_defrag_add(d, &p, &ip, &len, &ev), KN_DEFRAG_HELD);
		p.nvlan = 1;
		p.vlan[0] = 100;
		CHECK_INT(kn_defrag_add(d, &p, &ip, &len, &ev), KN_DEFRAG_DONE);
	}
	kn_defrag_free(d);
}

TEST(net_defrag_timeout)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;
	uint64_t t = 1700000000ull * 1000000u;

	REQUIRE(d != NULL);
	make_data();
	v4_three(fr, 0x4242);
	CHECK_INT(add(d, &fr[0], t, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[1], t + 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(kn_defrag_expire(d, t + 60000000u), 0);
	CHECK_INT(kn_defrag_expire(d, t + 60000001u), 1);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.timeouts, 1);
	CHECK_INT(st.mem, 0);
	/* The last fragment alone now makes no datagram. */
	CHECK_INT(add(d, &fr[2], t + 60000002u, &ip, &len, &ev), KN_DEFRAG_HELD);

	/* Without a call to expire, a late fragment finds its datagram
	 * timed out and starts anew. */
	v4_three(fr, 0x4343);
	CHECK_INT(add(d, &fr[0], t + 70000000u, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[1], t + 70000000u, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[2], t + 140000000u, &ip, &len, &ev), KN_DEFRAG_HELD);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.timeouts, 3);
	CHECK_INT(st.reassembled, 0);
	kn_defrag_free(d);
}

/* Past max_mem the oldest datagrams go, and what is held stays under the
 * cap. */
TEST(net_defrag_memory_cap)
{
	struct kn_defrag_conf c;
	struct kn_defrag *d;
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;

	make_data();
	kn_defrag_defaults(&c);
	c.max_mem = 4000;                /* two first fragments, not three */
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	for (uint16_t id = 1; id <= 3; id++) {
		v4_three(fr, id);
		CHECK_INT(add(d, &fr[0], id, &ip, &len, &ev), KN_DEFRAG_HELD);
		CHECK_INT(ev.dropped_for_memory, id == 3);
		kn_defrag_get_stats(d, &st);
		CHECK(st.mem <= c.max_mem);
	}
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.mem_drops, 1);
	CHECK_INT(st.datagrams, 3);
	/* Datagram 1 is gone: its other fragments start a new one, which
	 * pushes out datagram 2, then 3. */
	v4_three(fr, 1);
	CHECK_INT(add(d, &fr[2], 10, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.dropped_for_memory, 0);
	CHECK_INT(add(d, &fr[1], 11, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(ev.dropped_for_memory, 1);
	kn_defrag_get_stats(d, &st);
	CHECK(st.mem <= c.max_mem);
	CHECK_INT(add(d, &fr[0], 12, &ip, &len, &ev), KN_DEFRAG_DONE);
	CHECK_INT(ev.dropped_for_memory, 1);
	check_v4_whole(ip, len, 1);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.mem_drops, 3);
	CHECK_INT(st.mem, 0);
	kn_defrag_free(d);

	/* A datagram larger than the cap cannot be held at all. */
	c.max_mem = 2000;
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[1], 2, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK_INT(ev.dropped_for_memory, 0);
	kn_defrag_get_stats(d, &st);
	CHECK(st.mem <= c.max_mem);
	CHECK_INT(st.refused, 1);
	kn_defrag_free(d);
}

TEST(net_defrag_max_frags)
{
	struct kn_defrag_conf c;
	struct kn_defrag *d;
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;

	make_data();
	kn_defrag_defaults(&c);
	c.max_frags = 2;
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	v4_three(fr, 1);
	CHECK_INT(add(d, &fr[0], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[1], 1, &ip, &len, &ev), KN_DEFRAG_HELD);
	CHECK_INT(add(d, &fr[2], 1, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK(no_events(&ev));
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.refused, 1);
	kn_defrag_free(d);
}

TEST(net_defrag_max_datagrams)
{
	struct kn_defrag_conf c;
	struct kn_defrag *d;
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;

	make_data();
	kn_defrag_defaults(&c);
	c.max_datagrams = 2;
	d = kn_defrag_new(&c);
	REQUIRE(d != NULL);
	for (uint16_t id = 1; id <= 3; id++) {
		v4_three(fr, id);
		CHECK_INT(add(d, &fr[0], id, &ip, &len, &ev), KN_DEFRAG_HELD);
		CHECK_INT(ev.dropped_for_memory, id == 3);
	}
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.mem_drops, 1);
	/* 2 and 3 complete; 1 was dropped. */
	v4_three(fr, 2);
	add(d, &fr[1], 5, &ip, &len, &ev);
	CHECK_INT(add(d, &fr[2], 5, &ip, &len, &ev), KN_DEFRAG_DONE);
	v4_three(fr, 3);
	add(d, &fr[1], 5, &ip, &len, &ev);
	CHECK_INT(add(d, &fr[2], 5, &ip, &len, &ev), KN_DEFRAG_DONE);
	v4_three(fr, 1);
	add(d, &fr[1], 5, &ip, &len, &ev);
	CHECK_INT(add(d, &fr[2], 5, &ip, &len, &ev), KN_DEFRAG_HELD);
	kn_defrag_free(d);
}

/* A fragment the capture cut, and a packet that is no fragment, are not
 * taken. */
TEST(net_defrag_refuses_cut_and_whole)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_pkt p;
	const uint8_t *ip;
	size_t len;

	REQUIRE(d != NULL);
	make_data();
	v4frag(&fr[0], 1, 17, 0, 1, data, 1480);
	kn_decode(&p, KN_LINK_RAW, fr[0].b, 200, fr[0].n,
		  (struct ks_time){ 1, 0 });
	CHECK_INT(p.is_frag, 1);
	CHECK(p.truncated);
	CHECK_INT(kn_defrag_add(d, &p, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	CHECK(no_events(&ev));
	v4frag(&fr[0], 1, 17, 0, 0, data, 100);
	decode(&p, &fr[0], 1);
	CHECK_INT(p.is_frag, 0);
	CHECK_INT(kn_defrag_add(d, &p, &ip, &len, &ev), KN_DEFRAG_REFUSED);
	kn_defrag_free(d);
}

/* Many datagrams interleaved, each put back whole. */
TEST(net_defrag_many_interleaved)
{
	struct kn_defrag *d = new_defrag();
	struct kn_defrag_events ev;
	struct kn_defrag_stats st;
	const uint8_t *ip;
	size_t len;
	int done = 0;

	REQUIRE(d != NULL);
	make_data();
	for (int part = 0; part < 3; part++) {
		for (uint16_t id = 0; id < 500; id++) {
			enum kn_defrag_result r;

			v4_three(fr, (uint16_t)(id + 0x4000));
			fr[part].b[4] = 0x42;    /* the id check_v4_whole wants */
			fr[part].b[5] = 0x42;
			/* ids stay distinct through the source address. */
			fr[part].b[14] = (uint8_t)(id >> 8);
			fr[part].b[15] = (uint8_t)id;
			r = add(d, &fr[part], 1, &ip, &len, &ev);
			if (r == KN_DEFRAG_DONE) {
				done++;
				if (id % 97 == 0)
					check_v4_whole(ip, len, 0x4242);
			}
		}
	}
	CHECK_INT(done, 500);
	kn_defrag_get_stats(d, &st);
	CHECK_INT(st.datagrams, 500);
	CHECK_INT(st.mem, 0);
	kn_defrag_free(d);
}
