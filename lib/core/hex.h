/*
 * Hexadecimal digits, both ways, in one place.
 */
#ifndef KS_CORE_HEX_H
#define KS_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
static inline int ks_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Lowercase hex of n bytes into out[2n + 1]; returns out. */
char *ks_hex(const uint8_t *p, size_t n, char *out);

/* Parse exactly 2n hex digits (either case) into out[n]; 0 or -1. */
int ks_unhex(const char *s, size_t n, uint8_t *out);

#endif
