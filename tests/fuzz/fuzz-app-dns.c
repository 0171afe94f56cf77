/*
 * Fuzz target: DNS messages.  The first input byte picks the transport:
 * even, the rest is one UDP datagram (also parsed directly, with the
 * presentation forms checked); odd, the rest is a TCP stream fed in chunks
 * whose lengths come from that byte's other bits and the bytes themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "net/app-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strnlen(s, KN_DNS_NAME_MAX);

	if (n >= KN_DNS_NAME_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] <= 0x20 || (uint8_t)s[i] >= 0x7f)
			abort();   /* presentation form is printable ASCII */
}

static void check(const struct kn_dns_msg *m)
{
	check_name(m->qname);
	if (m->nanswers > KN_DNS_MAX_ANSWERS)
		abort();
	for (size_t i = 0; i < m->nanswers; i++) {
		check_name(m->answers[i].rrname);
		check_name(m->answers[i].rdata);
	}
}

static void on_dns(void *ctx, struct kn_flow *f, const struct kn_dns_msg *m,
		   const struct kn_pkt *p)
{
	(void)ctx;
	(void)f;
	(void)p;
	check(m);
	(void)kn_dns_type_name(m->qtype);
	(void)kn_dns_rcode_name(m->rcode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_app_conf c;
	struct kn_app_cb cb;
	struct kn_flow f;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	kn_app_defaults(&c);
	memset(&cb, 0, sizeof cb);
	cb.dns = on_dns;
	memset(&f, 0, sizeof f);
	f.sport = 53;
	if ((mode & 1) == 0) {
		static struct kn_dns_msg m;
		struct kn_pkt p;

		if (kn_dns_parse(data, size, &m) != KN_DNS_BAD)
			check(&m);
		memset(&p, 0, sizeof p);
		p.payload = data;
		p.payload_len = size;
		f.proto = 17;
		kn_app_udp(&c, &cb, &f, mode >> 7, &p);
		return 0;
	}
	f.proto = 6;
	{
		size_t i = 0, step = (size_t)(mode >> 1) + 1;

		while (i < size) {
			size_t n = step < size - i ? step : size - i;

			kn_app_stream(&c, &cb, &f, (int)(i / step) & 1 ?
				      KN_TO_CLIENT : KN_TO_SERVER,
				      data + i, n, NULL);
			i += n;
			step = (size_t)data[i - 1] % 97 + 1;
		}
	}
	kn_app_free(f.app, f.app_state);
	return 0;
}
