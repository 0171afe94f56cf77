/*
 * Fuzz target: kn_dec_udp on
 * UDP datagrams, also as the start of a first fragment, with the
 * properties of fuzz-net.h checked for the whole bytes, a snap-length
 * cut, bytes that end early, and more on the wire than captured.
 */
#include "fuzz-net.h"

static void dec(struct kn_pkt *p, const uint8_t *b, size_t cap, size_t wire,
		int frag)
{
	struct ks_br r;

	fuzz_layer_setup(p, frag, 17);
	ks_br_init(&r, b, cap);
	kn_dec_udp(p, &r, wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(data, size, dec, 1);
	return 0;
}
