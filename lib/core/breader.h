/*
 * The bounded reader: the only way to read untrusted bytes.
 *
 * A reader is a cursor over [cur, end) and a sticky fault.  Every read
 * checks the remaining length first; a read past the end reads nothing,
 * returns zero (or NULL) and sets the fault to KS_BR_TRUNCATED.  Once a
 * fault is set every later read fails the same way, so a decoder does all
 * its reads and checks ks_br_fault() once at the end.  A decoder that
 * finds bytes that are present but wrong calls ks_br_invalid(), so that
 * "the packet was cut short" and "the packet lies" stay different
 * (tcpdump's [|proto] vs. "invalid").
 *
 * The reader never owns the bytes: they must outlive it.
 */
#ifndef KS_CORE_BREADER_H
#define KS_CORE_BREADER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum ks_br_fault {
	KS_BR_OK = 0,
	KS_BR_TRUNCATED = 1,  /* a read went past the end */
	KS_BR_INVALID = 2,    /* the decoder rejected the content */
};

struct ks_br {
	const uint8_t *cur;
	const uint8_t *end;
	enum ks_br_fault fault;
};

static inline void ks_br_init(struct ks_br *r, const void *p, size_t n)
{
	r->cur = (const uint8_t *)p;
	r->end = r->cur + (p != NULL ? n : 0);
	r->fault = KS_BR_OK;
}

static inline size_t ks_br_left(const struct ks_br *r)
{
	return r->fault != KS_BR_OK ? 0 : (size_t)(r->end - r->cur);
}

static inline enum ks_br_fault ks_br_fault(const struct ks_br *r)
{
	return r->fault;
}

/* Mark the content invalid; a truncation seen earlier is kept. */
static inline void ks_br_invalid(struct ks_br *r)
{
	if (r->fault == KS_BR_OK)
		r->fault = KS_BR_INVALID;
}

/* Check that n bytes remain; sets the fault when they do not. */
static inline int ks_br_need(struct ks_br *r, size_t n)
{
	if (r->fault != KS_BR_OK)
		return 0;
	if (n > (size_t)(r->end - r->cur)) {
		r->fault = KS_BR_TRUNCATED;
		return 0;
	}
	return 1;
}

static inline uint8_t ks_br_u8(struct ks_br *r)
{
	if (!ks_br_need(r, 1))
		return 0;
	return *r->cur++;
}

static inline uint16_t ks_br_u16be(struct ks_br *r)
{
	uint16_t v;

	if (!ks_br_need(r, 2))
		return 0;
	v = (uint16_t)((uint16_t)r->cur[0] << 8 | r->cur[1]);
	r->cur += 2;
	return v;
}

static inline uint16_t ks_br_u16le(struct ks_br *r)
{
	uint16_t v;

	if (!ks_br_need(r, 2))
		return 0;
	v = (uint16_t)((uint16_t)r->cur[1] << 8 | r->cur[0]);
	r->cur += 2;
	return v;
}

static inline uint32_t ks_br_u24be(struct ks_br *r)
{
	uint32_t v;

	if (!ks_br_need(r, 3))
		return 0;
	v = (uint32_t)r->cur[0] << 16 | (uint32_t)r->cur[1] << 8 | r->cur[2];
	r->cur += 3;
	return v;
}

static inline uint32_t ks_br_u32be(struct ks_br *r)
{
	uint32_t v;

	if (!ks_br_need(r, 4))
		return 0;
	v = (uint32_t)r->cur[0] << 24 | (uint32_t)r->cur[1] << 16 |
	    (uint32_t)r->cur[2] << 8 | r->cur[3];
	r->cur += 4;
	return v;
}

static inline uint32_t ks_br_u32le(struct ks_br *r)
{
	uint32_t v;

	if (!ks_br_need(r, 4))
		return 0;
	v = (uint32_t)r->cur[3] << 24 | (uint32_t)r->cur[2] << 16 |
	    (uint32_t)r->cur[1] << 8 | r->cur[0];
	r->cur += 4;
	return v;
}

static inline uint64_t ks_br_u64be(struct ks_br *r)
{
	uint64_t hi = ks_br_u32be(r);
	uint64_t lo = ks_br_u32be(r);

	return r->fault != KS_BR_OK ? 0 : hi << 32 | lo;
}

static inline uint64_t ks_br_u64le(struct ks_br *r)
{
	uint64_t lo = ks_br_u32le(r);
	uint64_t hi = ks_br_u32le(r);

	return r->fault != KS_BR_OK ? 0 : hi << 32 | lo;
}

/* Skip n bytes. */
static inline void ks_br_skip(struct ks_br *r, size_t n)
{
	if (ks_br_need(r, n))
		r->cur += n;
}

/* Return a pointer to the next n bytes and step over them, or NULL. */
static inline const uint8_t *ks_br_ptr(struct ks_br *r, size_t n)
{
	const uint8_t *p;

	if (!ks_br_need(r, n))
		return NULL;
	p = r->cur;
	r->cur += n;
	return p;
}

/* Copy the next n bytes into dst; on a short read dst is zero-filled. */
static inline void ks_br_copy(struct ks_br *r, void *dst, size_t n)
{
	const uint8_t *p = ks_br_ptr(r, n);

	if (p != NULL)
		memcpy(dst, p, n);
	else if (n > 0)
		memset(dst, 0, n);
}

/* Look at the byte `off` ahead without moving; -1 when not there. */
static inline int ks_br_peek(const struct ks_br *r, size_t off)
{
	if (r->fault != KS_BR_OK || off >= (size_t)(r->end - r->cur))
		return -1;
	return r->cur[off];
}

/*
 * Split off the next n bytes as a reader of their own and step over them
 * in `r`.  When fewer than n bytes remain, `r` faults as truncated and the
 * child holds the bytes that are there: a decoder of a snap-length-cut
 * packet can decode what it has, and its caller reports the cut from `r`.
 * A faulted `r` gives an empty child with the same fault.
 */
static inline struct ks_br ks_br_sub(struct ks_br *r, size_t n)
{
	struct ks_br s;

	s.cur = r->cur;
	s.fault = r->fault;
	if (r->fault != KS_BR_OK) {
		s.end = r->cur;
		return s;
	}
	if (n > (size_t)(r->end - r->cur)) {
		s.end = r->end;
		r->cur = r->end;
		r->fault = KS_BR_TRUNCATED;
		return s;
	}
	s.end = r->cur + n;
	r->cur += n;
	return s;
}

#endif
