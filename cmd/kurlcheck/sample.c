/*
 * The built-in database: the sample feeds of samples/feeds, carried in
 * the program (assembled in with .incbin from the source tree, so that
 * the files stay the one copy), compiled in memory at start when no
 * database is given and the appliance's database does not exist.  A few
 * dozen entries compile in well under a millisecond.
 */
#include <stdint.h>
#include <string.h>

#include "kurlcheck.h"

#define EMBED(sym, file)                                               \
	__asm__(".section .rodata\n"                                   \
		".balign 8\n" #sym ":\n"                               \
		".incbin \"samples/feeds/" file "\"\n" #sym "_end:\n"  \
		".byte 0\n"                                            \
		".previous\n");                                        \
	extern const char sym[], sym##_end[]

EMBED(kus_conf, "feeds.conf");
EMBED(kus_urls, "malware-urls.txt");
EMBED(kus_urlhaus, "urlhaus.csv");
EMBED(kus_phishtank, "phishtank.csv");
EMBED(kus_openphish, "openphish.txt");
EMBED(kus_domains, "domains.txt");
EMBED(kus_hosts, "hosts.txt");
EMBED(kus_adblock, "adblock.txt");
EMBED(kus_ip, "ip.txt");
EMBED(kus_cidr, "cidr.txt");
EMBED(kus_allow, "allow.txt");

#define FILE_OF(name, sym) { name, sym, (size_t)(sym##_end - sym) }

static const struct mem_file *files(void)
{
	static struct mem_file f[11];
	const struct mem_file now[] = {
		FILE_OF("malware-urls.txt", kus_urls),
		FILE_OF("urlhaus.csv", kus_urlhaus),
		FILE_OF("phishtank.csv", kus_phishtank),
		FILE_OF("openphish.txt", kus_openphish),
		FILE_OF("domains.txt", kus_domains),
		FILE_OF("hosts.txt", kus_hosts),
		FILE_OF("adblock.txt", kus_adblock),
		FILE_OF("ip.txt", kus_ip),
		FILE_OF("cidr.txt", kus_cidr),
		FILE_OF("allow.txt", kus_allow),
		{ NULL, NULL, 0 }
	};

	memcpy(f, now, sizeof f);
	return f;
}

int sample_specs(struct feed_spec **v, size_t *n)
{
	struct ks_conf conf;
	int rc;

	ks_conf_init(&conf);
	if (ks_conf_load_string(&conf, kus_conf, "samples/feeds/feeds.conf",
				NULL) != KS_OK) {
		ks_conf_free(&conf);
		return -1;
	}
	rc = feeds_from_conf(&conf, "", files(), v, n);
	if (conf.nerr > 0)
		rc = -1;
	ks_conf_free(&conf);
	return rc;
}

enum ks_status sample_image(uint8_t **img, size_t *len, struct ks_err *err)
{
	struct feed_spec *specs = NULL;
	size_t n = 0;
	uint64_t bad = 0;
	int rc = sample_specs(&specs, &n);

	if (rc == 0)
		rc = build_feeds(specs, n, 0, -1, NULL, NULL, img, len, &bad);
	feed_specs_free(specs, n);
	if (rc != 0 || bad > 0)
		return ks_err_set(err, KS_ERR_INTERNAL, "the built-in sample "
				  "feeds do not compile");
	return KS_OK;
}
