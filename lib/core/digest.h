/*
 * SHA-256 and MD5 through OpenSSL's EVP interface (libcrypto), which uses
 * the CPU's SHA extensions where there are any.  A digest context is owned
 * by its creator; ks_digest_free accepts NULL.
 */
#ifndef KS_CORE_DIGEST_H
#define KS_CORE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/hex.h"
#include "core/status.h"

#define KS_SHA256_LEN 32
#define KS_MD5_LEN 16

struct ks_digest;

/* Which sums to compute in one pass. */
enum { KS_DIGEST_SHA256 = 1, KS_DIGEST_MD5 = 2 };

struct ks_digest *ks_digest_new(int which);
void ks_digest_free(struct ks_digest *d);
/* Start over (keeps the allocation). */
enum ks_status ks_digest_reset(struct ks_digest *d);
enum ks_status ks_digest_update(struct ks_digest *d, const void *p, size_t n);
/* Finish; sums not asked for are left untouched. */
enum ks_status ks_digest_final(struct ks_digest *d,
			       uint8_t sha256[KS_SHA256_LEN],
			       uint8_t md5[KS_MD5_LEN]);

/* One-shot SHA-256 of a buffer. */
enum ks_status ks_sha256(const void *p, size_t n, uint8_t out[KS_SHA256_LEN]);

#endif
