/*
 * ArcSight Common Event Format, version 0 ("Implementing ArcSight Common
 * Event Format (CEF)", Micro Focus, revision 25): one line per event,
 *
 *   CEF:0|ksvm|PRODUCT|VERSION|SIGNATURE ID|NAME|SEVERITY|EXTENSION
 *
 * Escaping, as the format requires, through one helper per part:
 *   header fields  \ -> \\   | -> \|
 *   extension      \ -> \\   = -> \=   LF -> \n   CR -> \r
 * What the format cannot carry becomes U+FFFD: other control characters
 * (U+0000-U+001F, U+007F-U+009F; in the header also CR and LF) and each
 * byte that is not part of valid UTF-8.  The exact bytes of such a name
 * are in the JSON record, which the event id (externalId) identifies.
 *
 * Extension keys are those of the CEF dictionary: rt, externalId, cat,
 * act, dvchost, filePath, fname, fsize, fileHash, src, spt, dst, dpt,
 * proto, shost, dhost, request, msg, and the custom strings and numbers
 * cs1 vm, cs2 eventType, cs3 verdict, cs4 reason, cs5 errorKind,
 * cn1 flowId, cn2 signatureId, each with its csNLabel/cnNLabel.
 */
#ifndef KR_CEF_H
#define KR_CEF_H

#include "core/buf.h"
#include "report/event.h"

struct kr_cef_opts {
	const char *version;    /* Device Version: ksvm's */
	const char *hostname;   /* dvchost: the SVM, or NULL */
};

/* Append s[0..n) escaped for a header field / an extension value. */
enum ks_status kr_cef_header_escape(struct ks_buf *b, const void *s, size_t n);
enum ks_status kr_cef_value_escape(struct ks_buf *b, const void *s, size_t n);

/* Append the CEF line of `e`, with its newline. */
enum ks_status kr_cef_format(struct ks_buf *b, struct kr_event *e,
			     const struct kr_cef_opts *o);

#endif
