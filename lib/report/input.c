#include "report/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536u

static void setup(struct kr_input *in, size_t max_line)
{
	struct stat st;

	kj_lines_init(&in->lines, max_line);
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		return;
	in->stream = 1;
	/* The flag belongs to the open file, which stdin shares with the
	 * shell: it is put back at close. */
	in->saved_flags = fcntl(in->fd, F_GETFL);
	if (in->saved_flags >= 0)
		fcntl(in->fd, F_SETFL, in->saved_flags | O_NONBLOCK);
}

enum ks_status kr_inputs_open(struct kr_inputs *in, char **paths, size_t n,
			      size_t max_line, struct ks_err **why)
{
	static char dash[] = "-";
	char *stdin_only[1] = { dash };

	memset(in, 0, sizeof *in);
	*why = NULL;
	if (n == 0) {
		paths = stdin_only;
		n = 1;
	}
	in->v = calloc(n, sizeof *in->v);
	*why = calloc(n, sizeof **why);
	if (in->v == NULL || *why == NULL) {
		free(in->v);
		free(*why);
		*why = NULL;
		in->v = NULL;
		return KS_ERR_NOMEM;
	}
	in->n = n;
	for (size_t i = 0; i < n; i++) {
		struct kr_input *x = &in->v[i];

		x->name = strdup(paths[i]);
		if (x->name == NULL) {
			in->n = i;
			kr_inputs_close(in);
			return KS_ERR_NOMEM;
		}
		ks_err_clear(&(*why)[i]);
		if (strcmp(paths[i], "-") == 0) {
			x->fd = STDIN_FILENO;
		} else {
			/* A FIFO's open waits for its writer, as cat(1)'s
			 * does; reads are made non-blocking after. */
			x->fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (x->fd < 0) {
				ks_err_sys(&(*why)[i],
					   ks_status_from_errno(errno), errno,
					   "cannot open %s", paths[i]);
				x->failed = x->done = x->eof = 1;
				kj_lines_init(&x->lines, max_line);
				continue;
			}
			x->owned = 1;
		}
		setup(x, max_line);
	}
	return KS_OK;
}

void kr_inputs_close(struct kr_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		if (in->v[i].owned)
			close(in->v[i].fd);
		else if (in->v[i].stream && in->v[i].saved_flags >= 0)
			fcntl(in->v[i].fd, F_SETFL, in->v[i].saved_flags);
		kj_lines_free(&in->v[i].lines);
		free(in->v[i].name);
	}
	free(in->v);
	memset(in, 0, sizeof *in);
}

enum ks_status kr_input_fill(struct kr_input *in, struct ks_err *err)
{
	char chunk[CHUNK];
	size_t want;
	ssize_t n;

	if (in->eof)
		return KS_EOF;
	want = kj_lines_room(&in->lines);
	if (want > sizeof chunk)
		want = sizeof chunk;
	n = read(in->fd, chunk, want);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return KS_AGAIN;
		if (errno == EINTR)
			return KS_INTERRUPTED;
		in->failed = 1;
		in->eof = 1;
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot read %s",
				  in->name);
	}
	if (n == 0) {
		in->eof = 1;
		return KS_EOF;
	}
	in->bytes += (uint64_t)n;
	if (kj_lines_push(&in->lines, chunk, (size_t)n) != KS_OK) {
		/* Cannot happen: the push was sized to the room left. */
		in->failed = 1;
		in->eof = 1;
		return ks_err_set(err, KS_ERR_INTERNAL, "%s: line buffer full",
				  in->name);
	}
	return KS_OK;
}

enum ks_status kr_input_line(struct kr_input *in, char **line, size_t *len)
{
	enum ks_status st;

	if (in->done)
		return KS_EOF;
	st = kj_lines_next(&in->lines, line, len, in->eof);
	if (st == KS_EOF)
		in->done = 1;
	return st;
}

int kr_inputs_done(const struct kr_inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (!in->v[i].done)
			return 0;
	return 1;
}
