/*
 * kreport's reader of one JSON Lines record: RFC 8259 JSON scanned into a
 * flat array of tokens over the caller's bytes, without allocating a tree.
 *
 * Why not json-c, which the rest of the project reads with: kreport must
 * summarize and format at least 200,000 records a second on one core, and
 * json-c needs about 7 microseconds to build the tree of a typical 700-byte
 * `file` record, more than the whole budget.  Scanning is a fraction of
 * that, and kreport needs a dozen members of each record, not the tree.
 *
 * The acceptance rules are those of every ksvm reader (ksvm-events(7),
 * READING RECORDS; json/reader.h): one JSON object per line, strict JSON
 * (no comments, single quotes, trailing commas, leading zeros, NaN), no
 * NUL byte, valid UTF-8 only, nesting capped, nothing after the object.
 * The token count is capped too (KR_JDOC_MAX_TOKENS), so a line of a
 * million tiny values costs bounded memory.
 *
 * Layout: token 0 is the top-level object.  An object's members follow it
 * as (key, value) token pairs; an array's elements follow it.  Every token
 * records `next`, the index just past its value and everything inside it,
 * so a lookup skips a whole subtree in one step.
 *
 * Strings keep their escapes in the line; kr_jstr decodes them on demand,
 * turning \udc80..\udcff (the project's escape for bytes that are not
 * UTF-8, json/escape.h) back into the raw bytes, as kj_parse does.
 *
 * Ownership: the document points into the caller's line, which must stay
 * unchanged while the document is used; the token array is the document's
 * own and is reused from line to line (kr_jdoc_free releases it).
 */
#ifndef KR_JDOC_H
#define KR_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "report/str.h"

#define KR_JDOC_MAX_DEPTH 32
#define KR_JDOC_MAX_TOKENS (1u << 19)

enum kr_jtype {
	KR_J_NONE = 0,
	KR_J_OBJECT,
	KR_J_ARRAY,
	KR_J_STRING,
	KR_J_NUMBER,
	KR_J_TRUE,
	KR_J_FALSE,
	KR_J_NULL,
};

struct kr_jtok {
	uint8_t type;       /* enum kr_jtype */
	uint8_t escaped;    /* a string with backslash escapes */
	uint16_t pad;
	uint32_t off, len;  /* the bytes of the value (strings: inside the quotes) */
	uint32_t next;      /* the index after this value and its contents */
};

struct kr_jdoc {
	const char *text;
	size_t len;
	struct kr_jtok *tok;
	uint32_t ntok, cap;
	uint32_t max_tokens;   /* 0: KR_JDOC_MAX_TOKENS */
	int max_depth;         /* 0: KR_JDOC_MAX_DEPTH */
};

void kr_jdoc_init(struct kr_jdoc *d);
void kr_jdoc_free(struct kr_jdoc *d);

/*
 * Scan line[0..len).  KS_OK with ntok > 0 for an object, KS_OK with ntok
 * == 0 for a blank line, KS_ERR_INVALID or KS_ERR_LIMIT (too deep, too
 * many values) with the column in the message.
 */
enum ks_status kr_jdoc_parse(struct kr_jdoc *d, const char *line, size_t len,
			     struct ks_err *err);

/* Token 0 is the top-level object; KR_JNONE stands for "no such value",
 * and every function below takes it as an absent value. */
#define KR_JNONE UINT32_MAX

/* The value of member `key` of the object at token `obj`, or KR_JNONE.
 * When a key repeats, the last one counts, as in json-c. */
uint32_t kr_jget(const struct kr_jdoc *d, uint32_t obj, const char *key);

/* Follow a path of member names ("alert", "signature", NULL). */
uint32_t kr_jpath(const struct kr_jdoc *d, uint32_t obj, ...)
	__attribute__((sentinel));

static inline enum kr_jtype kr_jtype(const struct kr_jdoc *d, uint32_t i)
{
	return i < d->ntok ? (enum kr_jtype)d->tok[i].type : KR_J_NONE;
}

/* Index of the first element (array) or first key (object) and the next
 * one; both return KR_JNONE at the end. */
uint32_t kr_jfirst(const struct kr_jdoc *d, uint32_t container);
uint32_t kr_jnext(const struct kr_jdoc *d, uint32_t container, uint32_t i);

/* Number of members or elements. */
uint32_t kr_jcount(const struct kr_jdoc *d, uint32_t container);

/*
 * The decoded string at token i.  Without escapes the result points into
 * the line; with escapes the bytes are decoded into `a` (NULL result on a
 * full arena).  Returns 0, or -1 when the token is not a string.
 */
int kr_jstr(const struct kr_jdoc *d, uint32_t i, struct ks_arena *a,
	    struct kr_str *out);

/* An integer value (no fraction or exponent) within int64_t: 0 or -1. */
int kr_jint(const struct kr_jdoc *d, uint32_t i, int64_t *v);

/* The raw JSON text of the value at token i (strings with their quotes). */
struct kr_str kr_jraw(const struct kr_jdoc *d, uint32_t i);

/* Does the key token at i equal `key` (decoding escapes when it has any)? */
int kr_jkey_is(const struct kr_jdoc *d, uint32_t i, const char *key);

#endif
