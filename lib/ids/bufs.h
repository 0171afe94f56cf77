/*
 * The application buffers of one transaction (private to lib/ids; see
 * bufs.c for what each holds).  The pointers given to ki_bufs_get stay
 * valid until the next ki_bufs_reset.
 */
#ifndef KS_IDS_BUFS_H
#define KS_IDS_BUFS_H

#include "core/buf.h"
#include "ids/rule.h"
#include "net/app.h"

struct ki_bufs {
	const struct kn_http_req *req;
	const struct kn_http_resp *resp;
	const struct kn_dns_msg *dns;
	const struct kn_tls_hello *hello;
	const struct kn_tls_cert *cert;
	const uint8_t *sni;          /* kept from the ClientHello */
	size_t nsni;
	uint8_t state[KI_B_MAX];     /* 0 not made, 1 there, 2 absent */
	struct kn_slice slot[KI_B_MAX];
	struct ks_buf tmp[KI_B_MAX];
};

void ki_bufs_init(struct ki_bufs *b);
void ki_bufs_free(struct ki_bufs *b);
void ki_bufs_reset(struct ki_bufs *b);

/* 0 with the buffer, -1 when the transaction has none. */
int ki_bufs_get(struct ki_bufs *b, int id, const uint8_t **p, size_t *n);

/* The value of the first header `name` in "Name: value\r\n" lines. */
int ki_header_value(struct kn_slice headers, const char *name,
		    struct kn_slice *out);

#endif
