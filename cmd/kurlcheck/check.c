/*
 * kurlcheck's check run: the database, the inputs (arguments, lines on
 * stdin, or events), one url record per address, stats at the end, SIGHUP
 * reloads, and the exit code.
 *
 * Output: records are written whole.  A record waits in the writer only
 * while more input is already at hand: before every read of input that
 * could wait, everything pending is written, so a consumer on a pipe
 * never waits for the verdict of an address kurlcheck has finished;
 * under load, records go out in batches of up to 64 KiB.  Events read
 * from a pipe or socket (a live pipeline) have their verdicts written
 * with each event.  --line-buffered writes each record at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/sig.h"
#include "core/exitcode.h"
#include "json/reader.h"
#include "json/writer.h"
#include "kurlcheck.h"
#include "url/check.h"
#include "url/events.h"
#include "url/record.h"

#define FLUSH_AT 65536
#define MAX_URL_LINE 65536

struct counters {
	uint64_t inputs, clean, listed, errors, events, no_address, dropped,
		 bad_lines, reloads, reload_failures;
};

struct run {
	struct opts *o;
	struct ku_db *db;
	const char *db_path;      /* NULL: the built-in sample */
	struct ku_check *c;
	struct kj_writer w;
	struct ks_out out;
	struct ku_psl_cache *psl;
	struct ku_explain ex;
	struct ku_event *ev;
	struct counters n;
	int out_dead, failed;
	int damage_told;          /* the damage of r->db was reported */
	uint64_t t0;
};

static void flush(struct run *r)
{
	struct ks_err err;

	if (r->w.buf.len == 0 || r->out_dead)
		return;
	if (kj_flush(&r->w, &r->out, &err) != KS_OK) {
		r->out_dead = 1;
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
	}
}

static void maybe_flush(struct run *r)
{
	if (r->o->line_buffered || r->w.buf.len >= FLUSH_AT)
		flush(r);
}

static void stats_record(struct run *r, struct kj_writer *w)
{
	const struct ku_db_info *in = ku_db_info(r->db);

	kj_record_begin(w, ks_time_now(), "stats", PROGRAM);
	kj_obj_open(w, "stats");
	kj_uint(w, "inputs", r->n.inputs);
	kj_uint(w, "clean", r->n.clean);
	kj_uint(w, "listed", r->n.listed);
	kj_uint(w, "errors", r->n.errors);
	if (r->o->events) {
		kj_uint(w, "events", r->n.events);
		kj_uint(w, "events_without_address", r->n.no_address);
		kj_uint(w, "addresses_dropped", r->n.dropped);
		kj_uint(w, "bad_lines", r->n.bad_lines);
	}
	kj_uint(w, "reloads", r->n.reloads);
	kj_uint(w, "reload_failures", r->n.reload_failures);
	kj_uint(w, "db_generation", in->generation);
	kj_uint(w, "db_entries", in->nentries);
	kj_uint(w, "elapsed_ms", (ks_mono_usec() - r->t0) / 1000);
	kj_obj_close(w);
	kj_record_end(w);
}

/* SIGHUP: the database file again, every block of it summed before it
 * is used (a damaged file is found now, not by the checks after the
 * swap).  The old one stays when the new one is refused; a check never
 * sees either half-way, because the swap happens between two checks. */
static void reload(struct run *r)
{
	const char *path = r->db_path;
	struct ku_db *ndb;
	struct ks_err err;
	enum ks_status st;

	if (path == NULL) {
		if (access(KURLCHECK_DB, F_OK) != 0) {
			if (r->o->cli.verbosity >= 0)
				fprintf(stderr, "%s: SIGHUP: no database at %s; "
					"the built-in sample stays\n", PROGRAM,
					KURLCHECK_DB);
			return;
		}
		path = KURLCHECK_DB;
	}
	st = ku_db_open(&ndb, path, KU_DB_VERIFY, &err);
	if (st != KS_OK) {
		char msg[KS_ERR_MSG_MAX + 128];

		snprintf(msg, sizeof msg, "reload refused, generation %llu stays "
			 "in use: %s", (unsigned long long)
			 ku_db_info(r->db)->generation, err.msg);
		fprintf(stderr, "%s: %s\n", PROGRAM, msg);
		kj_error_record(&r->w, PROGRAM, path, 0, st, msg);
		flush(r);
		r->n.reload_failures++;
		r->failed = 1;
		return;
	}
	ku_db_close(r->db);
	r->db = ndb;
	r->db_path = path;
	r->damage_told = 0;
	r->n.reloads++;
	if (r->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: loaded %s: generation %llu, %llu entries\n",
			PROGRAM, path,
			(unsigned long long)ku_db_info(ndb)->generation,
			(unsigned long long)ku_db_info(ndb)->nentries);
}

static void poll_signals(struct run *r)
{
	if (ks_sig_take_reload())
		reload(r);
	if (ks_sig_take_stats()) {
		struct kj_writer w;

		kj_writer_init(&w, 0);
		stats_record(r, &w);
		if (write(STDERR_FILENO, w.buf.data, w.buf.len) < 0)
			r->failed = 1;
		kj_writer_free(&w);
	}
}

struct input {
	const char *text;
	size_t len;
	int host_only;
	const char *source;
	uint64_t line;
	struct json_object *event;
	int port;
	struct ks_time ts;
};

static void check_one(struct run *r, const struct input *in)
{
	struct ku_record_ctx rc;
	enum ku_verdict v;

	poll_signals(r);
	if (r->o->explain)
		ku_explain_reset(&r->ex);
	v = ku_check(r->c, r->db, in->text, in->len, in->host_only);
	if (v == KU_ERROR && !r->damage_told) {
		struct ks_err err;

		/* A check read a block that does not match its sum: this
		 * and every later check is an error (the records say why),
		 * until SIGHUP loads a good database. */
		if (ku_db_damaged(r->db, &err)) {
			r->damage_told = 1;
			if (r->o->cli.verbosity >= 0)
				fprintf(stderr, "%s: %s; every check is an error "
					"until a good database is loaded "
					"(SIGHUP)\n", PROGRAM, err.msg);
		}
	}
	r->n.inputs++;
	if (v == KU_LISTED)
		r->n.listed++;
	else if (v == KU_ERROR)
		r->n.errors++;
	else
		r->n.clean++;
	if (r->o->listed_only && v == KU_CLEAN)
		return;
	memset(&rc, 0, sizeof rc);
	rc.program = PROGRAM;
	rc.ts = in->ts;
	rc.source = in->source;
	rc.line = in->line;
	rc.input = in->text;
	rc.input_len = in->len;
	rc.port = in->port;
	rc.event = in->event;
	rc.explain = r->o->explain ? &r->ex : NULL;
	rc.psl = r->psl;
	ku_record_url(&r->w, r->c, r->db, &rc);
	if (kj_record_end(&r->w) != KS_OK)
		kj_error_record(&r->w, PROGRAM, in->source, in->line,
				KS_ERR_LIMIT, "the record of this address was "
				"larger than the record cap");
	maybe_flush(r);
}

static void check_text(struct run *r, const char *text, size_t n,
		       const char *source, uint64_t line)
{
	struct input in = { text, n, r->o->hosts, source, line, NULL, -1,
			    ks_time_now() };

	check_one(r, &in);
}

static void event_line(struct run *r, struct kj_parser *p, char *line,
		       size_t len, uint64_t no)
{
	struct json_object *obj = NULL;
	struct ks_err err;
	size_t nq;

	if (kj_parse(p, line, len, &obj, &err) != KS_OK) {
		kj_error_record(&r->w, PROGRAM, "-", no, err.status, err.msg);
		r->n.bad_lines++;
		r->failed = 1;
		maybe_flush(r);
		return;
	}
	if (obj == NULL)
		return;
	r->n.events++;
	nq = ku_event_queries(r->ev, obj);
	if (nq == 0)
		r->n.no_address++;
	for (size_t i = 0; i < nq; i++) {
		struct input in = { r->ev->q[i].text, r->ev->q[i].len,
				    r->ev->q[i].host_only, r->ev->q[i].source,
				    no, obj, r->ev->q[i].port,
				    r->ev->have_ts ? r->ev->ts : ks_time_now() };

		check_one(r, &in);
	}
	if (r->ev->dropped > 0) {
		char m[160];

		snprintf(m, sizeof m, "%zu more addresses than the %d checked "
			 "per event were not checked", r->ev->dropped,
			 KU_EVENT_MAX);
		kj_error_record(&r->w, PROGRAM, "-", no, KS_ERR_LIMIT, m);
		r->n.dropped += r->ev->dropped;
		r->failed = 1;
	}
	json_object_put(obj);
}

static void read_stdin(struct run *r)
{
	struct kj_lines l;
	struct kj_parser p;
	struct ks_err err;
	char chunk[65536];
	struct stat sb;
	int eof = 0, live;

	live = fstat(STDIN_FILENO, &sb) == 0 && !S_ISREG(sb.st_mode);
	kj_lines_init(&l, r->o->events ? KJ_DEFAULT_MAX_LINE : MAX_URL_LINE);
	if (r->o->events && kj_parser_init(&p, 0) != KS_OK) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM);
		r->failed = 1;
		kj_lines_free(&l);
		return;
	}
	while (!r->out_dead) {
		char *line;
		size_t len;
		enum ks_status st = kj_lines_next(&l, &line, &len, eof);
		ssize_t k;

		if (st == KS_EOF)
			break;
		if (st == KS_OK) {
			if (r->o->events) {
				event_line(r, &p, line, len, l.line_no);
				/* Events from a pipe or socket come from a
				 * live pipeline: each one's verdicts go out
				 * with it. */
				if (live)
					flush(r);
			} else {
				char *s = line;
				size_t n = len;

				while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' ||
						 s[n - 1] == '\t'))
					n--;
				while (n > 0 && (*s == ' ' || *s == '\t')) {
					s++;
					n--;
				}
				if (n > 0)
					check_text(r, s, n, "stdin", l.line_no);
			}
			if (ks_sig_stop())
				break;
			continue;
		}
		if (st == KS_ERR_LIMIT) {
			char m[96];

			snprintf(m, sizeof m, "line longer than %zu bytes",
				 l.max_line);
			kj_error_record(&r->w, PROGRAM, "-", l.line_no,
					KS_ERR_LIMIT, m);
			r->n.bad_lines++;
			r->failed = 1;
			continue;
		}
		/* No complete line at hand: what is done goes out before
		 * waiting for more. */
		flush(r);
		if (ks_sig_stop())
			break;
		k = read(STDIN_FILENO, chunk, kj_lines_room(&l) < sizeof chunk ?
					       kj_lines_room(&l) : sizeof chunk);
		if (k < 0 && errno == EINTR) {
			poll_signals(r);
			continue;
		}
		if (k < 0) {
			ks_err_sys(&err, KS_ERR_IO, errno, "cannot read stdin");
			kj_error_record(&r->w, PROGRAM, "-", 0, KS_ERR_IO, err.msg);
			r->failed = 1;
			break;
		}
		if (k == 0)
			eof = 1;
		else
			kj_lines_push(&l, chunk, (size_t)k);
	}
	if (r->o->events)
		kj_parser_free(&p);
	kj_lines_free(&l);
}

int kurlcheck_run(struct opts *o)
{
	struct run r;
	struct ks_err err;
	int rc = KS_EXIT_FAIL, found, failed;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.t0 = ks_mono_usec();
	kj_writer_init(&r.w, 0);
	ku_explain_init(&r.ex);
	ks_sig_install();
	r.c = ku_check_new();
	r.psl = calloc(1, sizeof *r.psl);
	r.ev = malloc(sizeof *r.ev);
	if (r.c == NULL || r.psl == NULL || r.ev == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM);
		goto out;
	}
	if (o->explain) {
		r.c->trace = ku_explain_trace;
		r.c->trace_ctx = &r.ex;
	}
	/* Opening sums the header, the block table and the feed table;
	 * every other block is summed the first time a check reads it. */
	if (open_db(o->db, 0, o->cli.verbosity, &r.db, &r.db_path,
		    &err) != KS_OK) {
		fprintf(stderr, "%s: %s; nothing was checked\n", PROGRAM,
			err.msg);
		goto out;
	}
	if (ks_out_open(&r.out, o->cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out;
	}
	if (o->nargs == 0) {
		read_stdin(&r);
	} else {
		for (int i = 0; i < o->nargs && !ks_sig_stop() && !r.out_dead;
		     i++) {
			if (strcmp(o->args[i], "-") == 0)
				read_stdin(&r);
			else
				check_text(&r, o->args[i], strlen(o->args[i]),
					   "argument", 0);
		}
	}
	if (!o->no_stats && !r.out_dead)
		stats_record(&r, &r.w);
	flush(&r);
	if (ks_sig_stop() && o->cli.verbosity >= 0)
		fprintf(stderr, "%s: stopped by signal %d; %llu addresses "
			"checked\n", PROGRAM, ks_sig_stop(),
			(unsigned long long)r.n.inputs);
	found = r.n.listed > 0;
	failed = r.n.errors > 0 || r.failed || r.out_dead;
	rc = ks_exit_code(found, failed);
	if (ks_out_close(&r.out, &err) != KS_OK && !r.out_dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = ks_exit_code(found, 1);
	}
out:
	ku_db_close(r.db);
	ku_check_free(r.c);
	free(r.psl);
	free(r.ev);
	ku_explain_free(&r.ex);
	kj_writer_free(&r.w);
	return rc;
}
