/*
 * kreport's inputs: any number of files and streams read as JSON Lines.
 *
 * Regular files are read one after another, in the order given, so that a
 * report over files is the same on every run.  Anything else (stdin from a
 * pipe, FIFOs, sockets, terminals) is a stream: streams are read as their
 * data arrives, all at once, through poll(), so that one quiet producer
 * never holds up another.  Reads never block: stream descriptors are made
 * non-blocking.
 *
 * Each input splits its bytes into lines (json/reader.h's kj_lines, with
 * its line cap); kr_input_line hands out one line at a time and says when
 * more bytes are needed.  The input owns its descriptor when it opened it.
 */
#ifndef KR_INPUT_H
#define KR_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "json/reader.h"

struct kr_input {
	char *name;            /* for messages and records; "-" is stdin */
	int fd;
	int owned;
	int stream;            /* not a regular file: read through poll() */
	int eof;               /* the descriptor said end of file */
	int done;              /* every line has been handed out */
	int failed;            /* could not be opened or read */
	int saved_flags;       /* stdin's file status flags, put back */
	struct kj_lines lines;
	uint64_t records, malformed, bytes;
};

struct kr_inputs {
	struct kr_input *v;
	size_t n;
};

/*
 * Open every path ("-" or no path at all: stdin).  An input that cannot be
 * opened is kept with `failed` set and the reason in `why` (its own
 * struct ks_err, indexed like the inputs; the caller reports each).
 * Returns KS_ERR_NOMEM only.
 */
enum ks_status kr_inputs_open(struct kr_inputs *in, char **paths, size_t n,
			      size_t max_line, struct ks_err **why);
void kr_inputs_close(struct kr_inputs *in);

/* Read what is there (one chunk) into the input's line buffer.
 * KS_OK (bytes added), KS_AGAIN (nothing now), KS_EOF, KS_INTERRUPTED,
 * KS_ERR_IO (the input is marked failed and done). */
enum ks_status kr_input_fill(struct kr_input *in, struct ks_err *err);

/* The next line: KS_OK, KS_AGAIN (fill first), KS_EOF (input finished;
 * `done` is set), KS_ERR_LIMIT (an overlong line, dropped whole). */
enum ks_status kr_input_line(struct kr_input *in, char **line, size_t *len);

/* Is every input done? */
int kr_inputs_done(const struct kr_inputs *in);

#endif
