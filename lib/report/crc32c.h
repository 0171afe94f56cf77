/*
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected), the checksum of
 * the records in kreport's spool, as used by iSCSI (RFC 3720, B.4).
 */
#ifndef KR_CRC32C_H
#define KR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC (start with 0). */
uint32_t kr_crc32c(uint32_t crc, const void *p, size_t n);

#endif
