/*
 * The JSON Lines reader for the tools that read events.
 *
 * Two layers, so that both a blocking descriptor and many non-blocking
 * sockets can use it:
 *
 *   kj_lines   splits pushed bytes into lines, with a cap on line length;
 *   kj_parse   turns one line into a json-c object, with a cap on nesting,
 *              refusing NUL bytes, invalid UTF-8, trailing data and any
 *              top-level value that is not an object;
 *   kj_reader  both over a file descriptor.
 *
 * A bad line is reported (status, line number, detail in the caller's
 * error buffer) and the next call goes on with the next line: one bad
 * record never costs the rest.  Escapes \udc80..\udcff in strings are
 * turned back into the raw bytes they stand for (json/escape.h), so a file
 * name that was not UTF-8 reaches the tool byte for byte.
 */
#ifndef KS_JSON_READER_H
#define KS_JSON_READER_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/status.h"

#define KJ_DEFAULT_MAX_LINE (1u << 20)
#define KJ_DEFAULT_MAX_DEPTH 32

/* ---- line splitter ---------------------------------------------------- */

struct kj_lines {
	struct ks_buf buf;    /* bytes not yet returned start at `head` */
	size_t head;
	size_t scan;          /* bytes from head known to hold no '\n' */
	size_t max_line;
	uint64_t line_no;     /* number of the last line returned or refused */
	int skipping;         /* dropping the tail of an overlong line */
	int sep;              /* the line separator: '\n' unless set ('\0'
				 for NUL-separated path lists) */
};

void kj_lines_init(struct kj_lines *l, size_t max_line);
void kj_lines_free(struct kj_lines *l);

/* Room the splitter accepts in one push (always at least 4096 bytes once
 * every complete line has been taken with kj_lines_next). */
size_t kj_lines_room(const struct kj_lines *l);

/* Add bytes; n must not exceed kj_lines_room(). */
enum ks_status kj_lines_push(struct kj_lines *l, const void *p, size_t n);

/*
 * Take the next line (without its '\n').  The pointer stays valid, and
 * the line may be modified in place, until the next push or next call.
 *   KS_OK         a line;
 *   KS_AGAIN      no complete line yet (more input needed);
 *   KS_EOF        `eof` is set and nothing is left;
 *   KS_ERR_LIMIT  the line is longer than max_line: it is dropped whole
 *                 (also the part still to come) and counted in line_no.
 * With `eof` set, a last line without '\n' is returned as a line.
 */
enum ks_status kj_lines_next(struct kj_lines *l, char **line, size_t *len,
			     int eof);

/* ---- one line to one object ------------------------------------------- */

struct kj_parser {
	struct json_tokener *tok;
	int max_depth;
};

enum ks_status kj_parser_init(struct kj_parser *p, int max_depth);
void kj_parser_free(struct kj_parser *p);

/*
 * Parse line[0..len) (modified in place).  KS_OK with *obj set (the caller
 * owns it: json_object_put), KS_OK with *obj NULL for a blank line, or
 * KS_ERR_INVALID / KS_ERR_LIMIT (too deep) with the column in the message.
 */
enum ks_status kj_parse(struct kj_parser *p, char *line, size_t len,
			struct json_object **obj, struct ks_err *err);

/* ---- over a file descriptor ------------------------------------------- */

struct kj_reader_opts {
	size_t max_line;   /* 0: KJ_DEFAULT_MAX_LINE */
	int max_depth;     /* 0: KJ_DEFAULT_MAX_DEPTH */
};

struct kj_reader {
	struct kj_lines lines;
	struct kj_parser parser;
	int fd;
	int eof;
	uint64_t records;   /* objects returned */
	uint64_t bad;       /* lines refused */
};

/* The reader does not own fd. */
enum ks_status kj_reader_init(struct kj_reader *r, int fd,
			      const struct kj_reader_opts *opts,
			      struct ks_err *err);
void kj_reader_free(struct kj_reader *r);

/*
 * Next object.  KS_OK (*obj owned by the caller), KS_EOF, KS_INTERRUPTED
 * (a signal arrived while waiting for input: check the flags and call
 * again), KS_ERR_INVALID / KS_ERR_LIMIT for a bad line (call again for the
 * next one; kj_reader_line() tells which line), KS_ERR_IO.
 */
enum ks_status kj_reader_next(struct kj_reader *r, struct json_object **obj,
			      struct ks_err *err);

static inline uint64_t kj_reader_line(const struct kj_reader *r)
{
	return r->lines.line_no;
}

#endif
