/*
 * Fuzz target: the line feed formats (urls, openphish, domains, hosts,
 * adblock, ip, cidr) into a database and back; see url-feed-common.h.
 */
#include "url-feed-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ku_format fmts[] = {
		KU_FMT_URLS, KU_FMT_OPENPHISH, KU_FMT_DOMAINS, KU_FMT_HOSTS,
		KU_FMT_ADBLOCK, KU_FMT_IP, KU_FMT_CIDR
	};
	enum ku_format fmt;
	enum ku_kind kind;

	if (size < 1)
		return 0;
	fmt = fmts[data[0] % 7];
	kind = ku_format_default_kind(fmt);
	/* The other meanings a format can have. */
	if ((data[0] >> 4) & 1 && ku_format_kind_ok(fmt, KU_KIND_HOST))
		kind = KU_KIND_HOST;
	if ((data[0] >> 5) & 1 && ku_format_kind_ok(fmt, KU_KIND_DOMAIN))
		kind = KU_KIND_DOMAIN;
	run_feed(fmt, kind, data + 1, size - 1);
	return 0;
}
