/*
 * Fuzz target: the CSV feed formats (urlhaus, phishtank) into a database
 * and back; see url-feed-common.h.
 */
#include "url-feed-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ku_format fmt;
	enum ku_kind kind = KU_KIND_URL;

	if (size < 1)
		return 0;
	fmt = data[0] & 1 ? KU_FMT_PHISHTANK : KU_FMT_URLHAUS;
	if ((data[0] >> 4) & 1)
		kind = KU_KIND_HOST;
	if ((data[0] >> 5) & 1)
		kind = KU_KIND_DOMAIN;
	run_feed(fmt, kind, data + 1, size - 1);
	return 0;
}
