/*
 * Fuzz target: kn_decode on
 * Linux cooked capture v2 frames, with the properties of fuzz-net.h
 * checked for the whole capture, a snap-length cut, a frame that ends
 * early, and more on the wire than captured.
 */
#include "fuzz-net.h"

static void dec(struct kn_pkt *p, const uint8_t *b, size_t cap, size_t wire,
		int frag)
{
	(void)frag;
	kn_decode(p, KN_LINK_SLL2, b, cap, wire, fuzz_t0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode(data, size, dec, 0);
	return 0;
}
