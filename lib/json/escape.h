/*
 * The one JSON string escaper of the project, and its inverse.
 *
 * Output strings keep valid UTF-8 as it is and encode everything else in
 * one reversible way (documented in ksvm-events(7), "Strings"):
 *
 *   "  \  ->  \"  \\
 *   U+0008 U+000C U+000A U+000D U+0009  ->  \b \f \n \r \t
 *   other U+0000..U+001F, U+007F, U+0080..U+009F, U+2028, U+2029
 *       ->  \u00XX / \u2028 / \u2029   (the same characters, made visible)
 *   a byte 0xXY that is not part of valid UTF-8  ->  \udcXY
 *
 * The last rule is PEP 383's "surrogateescape": the lone low surrogates
 * U+DC80..U+DCFF cannot come from valid UTF-8, so they are free to stand
 * for raw bytes.  Python reads them back with json.loads() and
 * os.fsencode(); ksvm's own readers turn them back into the bytes (see
 * kj_surrogates_to_bytes).  Every record stays plain ASCII-safe JSON.
 */
#ifndef KS_JSON_ESCAPE_H
#define KS_JSON_ESCAPE_H

#include <stddef.h>

#include "core/buf.h"

/* Append s[0..n) to b as a quoted JSON string. */
enum ks_status kj_escape(struct ks_buf *b, const void *s, size_t n);

/* Same, for a NUL-terminated string. */
enum ks_status kj_escape_cstr(struct ks_buf *b, const char *s);

/*
 * Rewrite, in place, each escape \udc80..\udcff inside the JSON strings of
 * text[0..*len) into the raw byte it stands for, unless it is the second
 * half of a surrogate pair.  Text outside strings, other escapes and
 * malformed escapes are left for the JSON parser to judge.  *len shrinks by
 * five for each escape rewritten; the text is not NUL-terminated again.
 * Returns the number of escapes rewritten.
 */
size_t kj_surrogates_to_bytes(char *text, size_t *len);

#endif
