/*
 * Fuzz target: kn_decode on
 * IPv6 datagrams (extension header chains, fragments, and the transport
 * they carry), as LINKTYPE_IPV6 and as raw IP, with the properties of
 * fuzz-net.h checked for the whole capture, a snap-length cut, a frame
 * that ends early, and more on the wire than captured.
 */
#include "fuzz-net.h"

static int linktype;

static void dec(struct kn_pkt *p, const uint8_t *b, size_t cap, size_t wire,
		int frag)
{
	(void)frag;
	kn_decode(p, linktype, b, cap, wire, fuzz_t0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	linktype = KN_LINK_IPV6;
	fuzz_decode(data, size, dec, 0);
	linktype = KN_LINK_RAW;
	fuzz_decode(data, size, dec, 0);
	return 0;
}
