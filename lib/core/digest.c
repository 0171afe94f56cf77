#include "core/digest.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct ks_digest {
	int which;
	EVP_MD_CTX *sha;
	EVP_MD_CTX *md5;
};

void ks_digest_free(struct ks_digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->sha);
	EVP_MD_CTX_free(d->md5);
	free(d);
}

enum ks_status ks_digest_reset(struct ks_digest *d)
{
	if ((d->which & KS_DIGEST_SHA256) &&
	    EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) != 1)
		return KS_ERR_INTERNAL;
	if ((d->which & KS_DIGEST_MD5) &&
	    EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) != 1)
		return KS_ERR_INTERNAL;
	return KS_OK;
}

struct ks_digest *ks_digest_new(int which)
{
	struct ks_digest *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->which = which;
	if ((which & KS_DIGEST_SHA256) && (d->sha = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if ((which & KS_DIGEST_MD5) && (d->md5 = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (ks_digest_reset(d) != KS_OK)
		goto fail;
	return d;
fail:
	ks_digest_free(d);
	return NULL;
}

enum ks_status ks_digest_update(struct ks_digest *d, const void *p, size_t n)
{
	if (n == 0)
		return KS_OK;
	if (d->sha != NULL && EVP_DigestUpdate(d->sha, p, n) != 1)
		return KS_ERR_INTERNAL;
	if (d->md5 != NULL && EVP_DigestUpdate(d->md5, p, n) != 1)
		return KS_ERR_INTERNAL;
	return KS_OK;
}

enum ks_status ks_digest_final(struct ks_digest *d,
			       uint8_t sha256[KS_SHA256_LEN],
			       uint8_t md5[KS_MD5_LEN])
{
	unsigned int n;

	if (d->sha != NULL && sha256 != NULL &&
	    EVP_DigestFinal_ex(d->sha, sha256, &n) != 1)
		return KS_ERR_INTERNAL;
	if (d->md5 != NULL && md5 != NULL &&
	    EVP_DigestFinal_ex(d->md5, md5, &n) != 1)
		return KS_ERR_INTERNAL;
	return KS_OK;
}

enum ks_status ks_sha256(const void *p, size_t n, uint8_t out[KS_SHA256_LEN])
{
	unsigned int len;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		return KS_ERR_INTERNAL;
	return KS_OK;
}
