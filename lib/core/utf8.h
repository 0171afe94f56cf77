/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
#ifndef KS_CORE_UTF8_H
#define KS_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s[0..n).  Returns its length (1..4) and stores
 * the code point in *cp, or returns 0 when s does not start with a valid
 * sequence (n == 0 included).
 */
size_t ks_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Length of the longest prefix of s[0..n) that is valid UTF-8. */
size_t ks_utf8_valid_prefix(const uint8_t *s, size_t n);

static inline int ks_utf8_valid(const uint8_t *s, size_t n)
{
	return ks_utf8_valid_prefix(s, n) == n;
}

/* Encode cp (which must be a scalar value) into out[4]; returns length. */
size_t ks_utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
