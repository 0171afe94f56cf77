/*
 * kjecho: a test driver for the shared core.  It reads JSON Lines from
 * files or stdin with the project's reader and writes every object back
 * with the project's writer; a line it cannot use becomes an error record.
 * It follows every shared command-line convention, so the CLI tests can
 * check them (options, exit codes, signals, write errors) on the core
 * alone.  It is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/sig.h"
#include "core/exitcode.h"
#include "json/reader.h"
#include "json/writer.h"

#define PROGRAM "kjecho"

struct opts {
	struct ks_cli cli;
	size_t max_line;
	int max_depth;
	unsigned long long delay_ms;
	char **inputs;
	int ninputs;
};

enum { OPT_MAX_LINE = 256, OPT_MAX_DEPTH, OPT_DELAY };

static const struct argp_option options[] = {
	{ "max-line", OPT_MAX_LINE, "BYTES", 0, "Longest accepted line (default 1M)", 0 },
	{ "max-depth", OPT_MAX_DEPTH, "N", 0, "Deepest accepted nesting (default 32)", 0 },
	{ "delay", OPT_DELAY, "MS", 0, "Wait MS milliseconds after each record (tests)", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	unsigned long long v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->cli;
		break;
	case OPT_MAX_LINE:
		if (ks_cli_parse_size(arg, &v) != 0 || v == 0 || v > (1u << 30))
			argp_error(state, "--max-line wants a size from 1 to 1G");
		o->max_line = (size_t)v;
		break;
	case OPT_MAX_DEPTH:
		if (ks_cli_parse_uint(arg, 1, 1000, &v) != 0)
			argp_error(state, "--max-depth wants a number from 1 to 1000");
		o->max_depth = (int)v;
		break;
	case OPT_DELAY:
		if (ks_cli_parse_uint(arg, 0, 60000, &v) != 0)
			argp_error(state, "--delay wants milliseconds up to 60000");
		o->delay_ms = v;
		break;
	case ARGP_KEY_ARGS:
		o->inputs = state->argv + state->next;
		o->ninputs = state->argc - state->next;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &ks_cli_common_argp, 0, NULL, 0 },
	{ 0 }
};

static const struct argp argp = {
	options, parse_opt, "[FILE...]",
	"Read JSON Lines and write each object back (a test driver of the "
	"ksvm core).\vWith no FILE, or when FILE is -, read stdin.",
	children, NULL, NULL
};

struct run {
	struct opts *o;
	struct ks_out out;
	struct kj_writer w;
	struct ks_progress prog;
	unsigned long long records, errors;
	int failed;    /* an input or the output failed */
	int out_dead;  /* the output is gone: stop */
};

static void stats_line(struct run *r)
{
	struct kj_writer w;

	kj_writer_init(&w, 0);
	kj_record_begin(&w, ks_time_now(), "stats", PROGRAM);
	kj_obj_open(&w, "stats");
	kj_uint(&w, "records", r->records);
	kj_uint(&w, "errors", r->errors);
	kj_obj_close(&w);
	if (kj_record_end(&w) == KS_OK) {
		ks_progress_clear(&r->prog);
		if (write(STDERR_FILENO, w.buf.data, w.buf.len) < 0)
			r->failed = 1;
	}
	kj_writer_free(&w);
}

static void flush(struct run *r)
{
	struct ks_err err;

	if (r->out_dead)
		return;
	if (kj_flush(&r->w, &r->out, &err) != KS_OK) {
		ks_progress_clear(&r->prog);
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->failed = 1;
		r->out_dead = 1;
	}
}

static void error_record(struct run *r, const char *input, uint64_t line,
			 enum ks_status st, const char *msg)
{
	r->errors++;
	r->failed = 1;
	kj_error_record(&r->w, PROGRAM, input, line, st, msg);
	flush(r);
}

static void echo_fd(struct run *r, int fd, const char *name)
{
	struct kj_reader rd;
	struct kj_reader_opts ro = { r->o->max_line, r->o->max_depth };
	struct json_object *obj;
	struct ks_err err;
	enum ks_status st;

	if (kj_reader_init(&rd, fd, &ro, &err) != KS_OK) {
		error_record(r, name, 0, err.status, err.msg);
		return;
	}
	while (!r->out_dead && !ks_sig_stop()) {
		if (ks_sig_take_stats())
			stats_line(r);
		st = kj_reader_next(&rd, &obj, &err);
		if (st == KS_EOF)
			break;
		if (st == KS_INTERRUPTED)
			continue;
		if (st == KS_ERR_IO) {
			error_record(r, name, 0, st, err.msg);
			break;
		}
		if (st != KS_OK) {
			error_record(r, name, kj_reader_line(&rd), st, err.msg);
			continue;
		}
		if (kj_record_json(&r->w, obj) != KS_OK)
			error_record(r, name, kj_reader_line(&rd), KS_ERR_LIMIT,
				     "record too large to write");
		json_object_put(obj);
		r->records++;
		flush(r);
		ks_progress_update(&r->prog, "%s: %llu records", PROGRAM,
				   r->records);
		if (r->o->delay_ms)
			usleep((useconds_t)(r->o->delay_ms * 1000));
	}
	kj_reader_free(&rd);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct ks_err err;
	int fd;

	memset(&o, 0, sizeof o);
	ks_cli_init(&o.cli, PROGRAM);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	ks_sig_install();

	memset(&r, 0, sizeof r);
	r.o = &o;
	if (ks_out_open(&r.out, o.cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return KS_EXIT_FAIL;
	}
	kj_writer_init(&r.w, 0);
	ks_progress_init(&r.prog, stderr, o.cli.verbosity);

	if (o.ninputs == 0)
		echo_fd(&r, STDIN_FILENO, "-");
	for (int i = 0; i < o.ninputs && !r.out_dead && !ks_sig_stop(); i++) {
		const char *in = o.inputs[i];

		if (strcmp(in, "-") == 0) {
			echo_fd(&r, STDIN_FILENO, "-");
			continue;
		}
		fd = open(in, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ks_err_sys(&err, ks_status_from_errno(errno), errno,
				   "cannot open %s", in);
			error_record(&r, in, 0, err.status, err.msg);
			if (o.cli.verbosity >= 0)
				fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			continue;
		}
		echo_fd(&r, fd, in);
		close(fd);
	}
	ks_progress_clear(&r.prog);
	if (ks_sig_stop() && o.cli.verbosity >= 0)
		fprintf(stderr, "%s: stopped by signal %d after %llu records\n",
			PROGRAM, ks_sig_stop(), r.records);
	if (ks_out_close(&r.out, &err) != KS_OK && !r.out_dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r.failed = 1;
	}
	kj_writer_free(&r.w);
	return ks_exit_code(0, r.failed);
}
