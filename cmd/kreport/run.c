/*
 * kreport's run: inputs read through one poll() loop, every record
 * classified, filtered, counted, written in the stream formats and handed
 * to the relay; the summary formats at the end; the exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli/sig.h"
#include "core/exitcode.h"
#include "core/out.h"
#include "kreport.h"
#include "report/agg.h"
#include "report/cef.h"
#include "report/eve.h"
#include "report/input.h"
#include "report/relay.h"
#include "report/report.h"
#include "report/syslog.h"

/* Diagnostics about refused lines on stderr; past this many they are only
 * counted (the summary and the error records still have them all). */
#define MAX_LINE_DIAGS 100
#define OUT_FLUSH (64u << 10)

struct run {
	struct opts *o;
	struct kr_inputs in;
	struct kr_jdoc doc;
	struct kr_event ev;
	struct kr_agg agg;
	struct ks_out out;
	int out_open;
	struct ks_buf obuf;          /* stream formats, written per chunk */
	struct ks_buf msg;           /* one syslog message */
	struct kr_relay *relay;
	struct kr_syslog_opts sopts;
	struct kr_cef_opts copts;
	char hostname[256];
	uint64_t filtered_out;
	uint64_t line_diags;
	uint64_t not_eve, eve_invalid, unformatted;
	struct kr_map stripped;      /* EVE members left out, by name */
	uint64_t drop_notice;        /* dropped messages to announce */
	uint64_t dropped_total;
	uint64_t drop_announced_at;  /* monotonic microseconds */
	int failed;                  /* exit status 2 unless found */
	int fixed_now;               /* SOURCE_DATE_EPOCH: own events' time */
	struct ks_time now;
	int out_dead;
	int quiet;
	int copy_fd;                 /* --copy, or -1 */
};

static void say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", PROGRAM);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- output ------------------------------------------------------------------- */

static void flush_out(struct run *r)
{
	struct ks_err err;

	if (r->obuf.len == 0 || !r->out_open)
		return;
	if (!r->out_dead &&
	    ks_out_write(&r->out, r->obuf.data, r->obuf.len, &err) != KS_OK) {
		/* Errors are written to stderr always: output is lost. */
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->out_dead = 1;
		r->failed = 1;
	}
	ks_buf_reset(&r->obuf);
}

/* ---- relay notices -------------------------------------------------------------- */

static void notice(void *ctx, enum kr_relay_note n, uint64_t v,
		   const char *text)
{
	struct run *r = ctx;
	char num[32];

	switch (n) {
	case KR_NOTE_CONNECTED:
		if (r->o->cli.verbosity > 0 || v > 0)
			say(r, "connected to %s", text);
		break;
	case KR_NOTE_FAILED:
		say(r, "cannot reach %s: %s; retrying in %.1f s (events are "
		    "kept in the spool)", kr_relay_name(r->relay), text,
		    (double)v / 1000);
		break;
	case KR_NOTE_LOST:
		say(r, "connection to %s lost: %s; retrying in %.1f s",
		    kr_relay_name(r->relay), text, (double)v / 1000);
		break;
	case KR_NOTE_FULL:
		/* Loud on purpose: the producers are being held up. */
		fprintf(stderr, "%s: SPOOL FULL: %s holds %s bytes and the "
			"server does not take more; input is held until it "
			"does (--spool-full=drop-oldest drops instead)\n",
			PROGRAM, text, kr_fmt_count(v, num));
		break;
	case KR_NOTE_ROOM:
		say(r, "the spool has room again; input goes on");
		break;
	case KR_NOTE_DROPPED:
		/* Said (and sent to the server) at most every ten seconds,
		 * and at the end: see announce_drops. */
		r->drop_notice += v;
		r->dropped_total += v;
		r->failed = 1;
		break;
	case KR_NOTE_REPLAY:
		say(r, "%s event%s from an earlier run in %s go first",
		    kr_fmt_count(v, num), v == 1 ? "" : "s", text);
		break;
	case KR_NOTE_DAMAGED:
		fprintf(stderr, "%s: %s damaged part%s of the spool %s skipped\n",
			PROGRAM, kr_fmt_count(v, num), v == 1 ? "" : "s", text);
		r->failed = 1;
		break;
	case KR_NOTE_REPAIRED:
		say(r, "cut %s bytes of a record cut short (an earlier run "
		    "was killed while writing it) from the spool %s",
		    kr_fmt_count(v, num), text);
		break;
	case KR_NOTE_UNSENDABLE:
		fprintf(stderr, "%s: a message of %s bytes cannot be sent: %s\n",
			PROGRAM, kr_fmt_count(v, num), text);
		r->failed = 1;
		break;
	case KR_NOTE_ERROR:
		fprintf(stderr, "%s: spool: %s\n", PROGRAM, text);
		r->failed = 1;
		break;
	}
}

/* ---- one event ------------------------------------------------------------------ */

static void eve(struct run *r, struct kr_event *e)
{
	struct kr_eve_info info;
	struct ks_err err;
	enum ks_status st = kr_eve_format(&r->obuf, e, &info, &err);

	if (st == KS_ERR_UNSUPPORTED) {
		r->not_eve++;
		return;
	}
	if (st != KS_OK) {
		r->eve_invalid++;
		r->failed = 1;
		if (r->line_diags++ < MAX_LINE_DIAGS)
			say(r, "%s:%" PRIu64 ": not valid EVE, left out: %s",
			    e->input, e->line_no, err.msg);
		return;
	}
	for (size_t i = 0; i < info.nstripped; i++) {
		uint64_t *c = kr_map_get(&r->stripped, info.stripped[i].p,
					 info.stripped[i].n, 1);

		if (c != NULL)
			(*c)++;
	}
}

static void emit(struct run *r, struct kr_event *e)
{
	struct ks_err err;
	enum ks_status st;

	switch (r->o->format) {
	case FMT_CEF:
		if (kr_cef_format(&r->obuf, e, &r->copts) != KS_OK)
			r->unformatted++;
		break;
	case FMT_SYSLOG:
		st = kr_syslog_format(&r->obuf, e, &r->sopts, NULL);
		if (st == KS_OK)
			st = ks_buf_putc(&r->obuf, '\n');
		if (st != KS_OK)
			r->unformatted++;
		break;
	case FMT_EVE:
		eve(r, e);
		break;
	default:
		break;
	}
	if (r->obuf.len >= OUT_FLUSH)
		flush_out(r);
	if (r->relay == NULL)
		return;
	ks_buf_reset(&r->msg);
	if (kr_syslog_format(&r->msg, e, &r->sopts, NULL) != KS_OK) {
		r->unformatted++;
		return;
	}
	st = kr_relay_submit(r->relay, r->msg.data, r->msg.len, &err);
	if (st != KS_OK && st != KS_ERR_LIMIT) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->failed = 1;
	}
}

static void count_and_emit(struct run *r, struct kr_event *e)
{
	if (!kr_filter_match(&r->o->filter, e)) {
		r->filtered_out++;
		return;
	}
	if (kr_agg_add(&r->agg, e) != 0) {
		fprintf(stderr, "%s: out of memory while counting\n", PROGRAM);
		r->failed = 1;
	}
	emit(r, e);
}

/* kreport's own error event: a refused line (line_no > 0), an input that
 * could not be read, or dropped messages (in == NULL). */
static void own_error(struct run *r, struct kr_input *in, const char *line,
		      size_t len, uint64_t line_no, enum ks_status kind,
		      const char *message)
{
	kr_event_malformed(&r->ev, line, len, in != NULL ? in->name : "-",
			   line_no, ks_status_name(kind), message,
			   r->fixed_now ? r->now : ks_time_now());
	r->ev.malformed = line_no > 0;
	if (in == NULL)
		r->ev.err_input = KR_STR_NONE;
	count_and_emit(r, &r->ev);
}

/* Dropped messages are told loudly on stderr and, as an error event of
 * kreport's, to the server: at most every ten seconds while the spool
 * keeps dropping (each notice takes room too), and at the end. */
#define DROP_NOTICE_US 10000000u

static void announce_drops(struct run *r, int force)
{
	char m[160], num[32];
	uint64_t n = r->drop_notice, now = ks_mono_usec();

	if (n == 0 || r->relay == NULL)
		return;
	if (!force && r->drop_announced_at != 0 &&
	    now - r->drop_announced_at < DROP_NOTICE_US)
		return;
	r->drop_notice = 0;
	r->drop_announced_at = now;
	fprintf(stderr, "%s: SPOOL FULL: dropped the %s oldest undelivered "
		"event%s in %s (--spool-full=drop-oldest)\n", PROGRAM,
		kr_fmt_count(n, num), n == 1 ? "" : "s",
		kr_relay_spool(r->relay));
	snprintf(m, sizeof m, "the spool was full: %" PRIu64 " undelivered "
		 "event%s dropped, oldest first", n, n == 1 ? "" : "s");
	own_error(r, NULL, m, strlen(m), 0, KS_ERR_LIMIT, m);
}

/* The local event log: each record whole, in one write, so that two
 * writers appending to the same file never interleave inside a line. */
static void copy_line(struct run *r, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ (void *)line, len }, { (void *)"\n", 1 }
	};
	ssize_t k = writev(r->copy_fd, iov, 2);

	if (k != (ssize_t)len + 1) {
		say(r, "--copy %s: %s; the local event log stops here",
		    r->o->copy, k < 0 ? strerror(errno) : "short write");
		close(r->copy_fd);
		r->copy_fd = -1;
		r->failed = 1;
	}
}

/* A network record without a vm is the guest's whose address it goes to,
 * else the guest's it comes from (the longest prefix wins). */
static void guest_of(const struct opts *o, struct kr_event *e)
{
	const struct kr_str side[2] = { e->dest_ip, e->src_ip };
	char buf[64];
	struct kn_cidr a;

	if (o->nguests == 0 || kr_str_set(e->vm))
		return;
	for (int s = 0; s < 2; s++) {
		int best = -1;
		size_t bi = 0;

		if (!kr_str_set(side[s]) || side[s].n >= sizeof buf)
			continue;
		memcpy(buf, side[s].p, side[s].n);
		buf[side[s].n] = '\0';
		if (kn_cidr_parse(buf, &a) != 0 || strchr(buf, '/') != NULL)
			continue;
		for (size_t i = 0; i < o->nguests; i++) {
			int m = kn_cidr_list_match(o->guests[i].nets,
						   o->guests[i].nnets, &a.net);

			if (m > best) {
				best = m;
				bi = i;
			}
		}
		if (best >= 0) {
			e->vm = kr_str_c(o->guests[bi].name);
			return;
		}
	}
}

static void handle_line(struct run *r, struct kr_input *in, char *line,
			size_t len)
{
	struct ks_err err;
	enum ks_status st = kr_jdoc_parse(&r->doc, line, len, &err);

	if (st == KS_OK && r->doc.ntok == 0)
		return;   /* blank */
	if (st != KS_OK) {
		in->malformed++;
		r->failed = 1;
		if (r->line_diags++ < MAX_LINE_DIAGS)
			say(r, "%s:%" PRIu64 ": %s", in->name,
			    in->lines.line_no, err.msg);
		else if (r->line_diags == MAX_LINE_DIAGS + 1)
			say(r, "more malformed lines are counted, not shown");
		own_error(r, in, line, len, in->lines.line_no, st, err.msg);
		return;
	}
	in->records++;
	if (r->copy_fd >= 0)
		copy_line(r, line, len);
	kr_event_from_doc(&r->ev, &r->doc, line, len, in->name,
			  in->lines.line_no);
	guest_of(r->o, &r->ev);
	count_and_emit(r, &r->ev);
}

/* Take the complete lines an input holds, unless the relay is full. */
static void drain_lines(struct run *r, struct kr_input *in)
{
	char *line;
	size_t len;
	enum ks_status st;
	char msg[96];

	while (r->relay == NULL || !kr_relay_blocked(r->relay)) {
		st = kr_input_line(in, &line, &len);
		if (st == KS_OK) {
			handle_line(r, in, line, len);
			announce_drops(r, 0);
			continue;
		}
		if (st == KS_ERR_LIMIT) {
			in->malformed++;
			r->failed = 1;
			snprintf(msg, sizeof msg, "line longer than %zu bytes",
				 in->lines.max_line);
			if (r->line_diags++ < MAX_LINE_DIAGS)
				say(r, "%s:%" PRIu64 ": %s", in->name,
				    in->lines.line_no, msg);
			own_error(r, in, "", 0, in->lines.line_no, KS_ERR_LIMIT,
				  msg);
			continue;
		}
		break;
	}
	if (r->relay != NULL)
		kr_relay_flush(r->relay);
	flush_out(r);
}

/* Read one chunk of an input and use its lines. */
static void read_input(struct run *r, struct kr_input *in)
{
	struct ks_err err;
	enum ks_status st;

	if (in->done)
		return;
	/* Lines already buffered come first (after the relay was full). */
	drain_lines(r, in);
	if (r->relay != NULL && kr_relay_blocked(r->relay))
		return;
	st = kr_input_fill(in, &err);
	if (st == KS_ERR_IO || st == KS_ERR_INTERNAL) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->failed = 1;
	}
	if (st == KS_OK || st == KS_EOF || st == KS_ERR_IO)
		drain_lines(r, in);
}

/* ---- the loop ------------------------------------------------------------------- */

static struct kr_input *active_file(struct run *r)
{
	for (size_t i = 0; i < r->in.n; i++)
		if (!r->in.v[i].stream && !r->in.v[i].done)
			return &r->in.v[i];
	return NULL;
}

/* SIGTERM: what the streams already hold is read and spooled (past the
 * spool's size if it is full: it was read, so it must not be lost); then
 * reading stops.  Regular files keep what was not read. */
static void stop_inputs(struct run *r)
{
	if (r->relay != NULL)
		kr_relay_unbound(r->relay);
	for (size_t i = 0; i < r->in.n; i++) {
		struct kr_input *in = &r->in.v[i];
		int guard = 0;

		/* The complete lines already read, then (streams) what the
		 * pipe holds, up to 64 MiB. */
		drain_lines(r, in);
		if (!in->stream && !in->done) {
			/* The rest of a file is not in the report: the run is
			 * not complete (a stream is stopped by design). */
			say(r, "stopped before the end of %s", in->name);
			r->failed = 1;
		}
		while (in->stream && !in->done && guard++ < 1024) {
			struct ks_err err;
			enum ks_status st = kr_input_fill(in, &err);

			drain_lines(r, in);
			if (st != KS_OK)
				break;
		}
		in->done = 1;
	}
}

static void loop(struct run *r)
{
	struct pollfd *pf = calloc(r->in.n + 1, sizeof *pf);
	struct kr_input **who = calloc(r->in.n + 1, sizeof *who);
	uint64_t deadline = 0;
	int finishing = 0, stopping = 0;

	if (pf == NULL || who == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM);
		r->failed = 1;
		free(pf);
		free(who);
		return;
	}
	for (;;) {
		struct kr_input *file;
		int n = 0, relay_slot = -1, timeout = -1, rc, blocked;
		short ev = 0;

		if (ks_sig_stop() && !stopping) {
			stopping = 1;
			say(r, "stopping: the events read so far are %s",
			    r->relay ? "delivered or kept in the spool" :
				       "reported");
			stop_inputs(r);
		}
		if (!finishing && kr_inputs_done(&r->in)) {
			finishing = 1;
			if (r->relay == NULL)
				break;
			/* The last word on drops goes before the end. */
			announce_drops(r, 1);
			kr_relay_finish(r->relay);
			deadline = ks_mono_usec() + r->o->drain_timeout_ms * 1000;
		}
		if (r->relay != NULL) {
			if (finishing && (kr_relay_done(r->relay) ||
					  ks_mono_usec() >= deadline))
				break;
		}
		if (ks_sig_take_stats()) {
			char a[32], b[32];

			fprintf(stderr, "%s: %s records, %s detections\n",
				PROGRAM, kr_fmt_count(r->agg.records, a),
				kr_fmt_count(r->agg.detections, b));
		}
		blocked = r->relay != NULL && kr_relay_blocked(r->relay);
		file = stopping ? NULL : active_file(r);
		for (size_t i = 0; i < r->in.n && !blocked && !stopping; i++) {
			struct kr_input *in = &r->in.v[i];

			if (!in->stream || in->done)
				continue;
			pf[n].fd = in->fd;
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			who[n++] = in;
		}
		if (r->relay != NULL) {
			int fd = kr_relay_pollfd(r->relay, &ev);

			if (fd >= 0) {
				relay_slot = n;
				pf[n].fd = fd;
				pf[n].events = ev;
				pf[n].revents = 0;
				who[n++] = NULL;
			}
			timeout = kr_relay_timeout(r->relay);
		}
		if (file != NULL && !blocked)
			timeout = 0;
		if (finishing && r->relay != NULL) {
			uint64_t now = ks_mono_usec();
			int left = deadline > now ?
					   (int)((deadline - now + 999) / 1000) : 0;

			if (timeout < 0 || timeout > left)
				timeout = left;
		}
		rc = poll(pf, (nfds_t)n, timeout);
		if (rc < 0 && errno != EINTR) {
			fprintf(stderr, "%s: poll: %s\n", PROGRAM,
				strerror(errno));
			r->failed = 1;
			break;
		}
		for (int i = 0; rc > 0 && i < n; i++) {
			if (who[i] == NULL || pf[i].revents == 0)
				continue;
			read_input(r, who[i]);
		}
		if (file != NULL && !blocked)
			read_input(r, file);
		if (r->relay != NULL)
			kr_relay_step(r->relay, relay_slot >= 0 && rc > 0 ?
						      pf[relay_slot].revents : 0);
		/* Lines held back while the spool was full. */
		if (blocked && !kr_relay_blocked(r->relay))
			for (size_t i = 0; i < r->in.n; i++)
				drain_lines(r, &r->in.v[i]);
	}
	free(pf);
	free(who);
}

/* ---- setup and the end -------------------------------------------------------- */

static void default_spool(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		snprintf(out, cap, "%s", KREPORT_SPOOL_DIR);
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(out, cap, "%s/ksvm/kreport-spool", xdg);
	else
		snprintf(out, cap, "%s/.local/state/ksvm/kreport-spool",
			 home != NULL ? home : "/tmp");
}

/* mkdir -p of the spool's parent directories. */
static void make_parents(const char *dir)
{
	char buf[4096];

	snprintf(buf, sizeof buf, "%s", dir);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
}

static int open_relay(struct run *r)
{
	struct kr_relay_opts ro;
	struct ks_err err;
	char spool[4096];

	memset(&ro, 0, sizeof ro);
	ro.dest = r->o->dest;
	if (r->o->spool != NULL)
		snprintf(spool, sizeof spool, "%s", r->o->spool);
	else
		default_spool(spool, sizeof spool);
	make_parents(spool);
	ro.spool_dir = spool;
	ro.spool_max = r->o->spool_size;
	ro.policy = r->o->spool_full;
	ro.ca = r->o->ca;
	ro.cert = r->o->cert;
	ro.key = r->o->key;
	ro.backoff_max_ms = r->o->backoff_max_ms;
	ro.notice = notice;
	ro.ctx = r;
	if (kr_relay_open(&r->relay, &ro, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		return -1;
	}
	return 0;
}

static void report(struct run *r, struct ks_time generated, const char *cwd,
		   const char *base)
{
	struct kr_report_ctx c;
	struct ks_buf b;
	enum ks_status st = KS_OK;
	const char *term = getenv("TERM");

	memset(&c, 0, sizeof c);
	c.agg = &r->agg;
	c.inputs = &r->in;
	c.filter = &r->o->filter;
	c.generated = generated;
	c.hostname = r->hostname;
	c.version = KSVM_VERSION;
	c.filtered_out = r->filtered_out;
	c.top = (size_t)r->o->top;
	c.cwd = cwd;
	c.base = base;
	/* Colour only for a terminal, and never when NO_COLOR is set. */
	c.color = isatty(r->out.fd) && getenv("NO_COLOR") == NULL &&
		  !(term != NULL && strcmp(term, "dumb") == 0);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	switch (r->o->format) {
	case FMT_TEXT: st = kr_text_report(&b, &c); break;
	case FMT_JSON: st = kr_json_report(&b, &c); break;
	case FMT_HTML: st = kr_html_report(&b, &c); break;
	case FMT_SARIF: st = kr_sarif_report(&b, &c); break;
	default: break;
	}
	if (st != KS_OK) {
		fprintf(stderr, "%s: cannot make the report: %s\n", PROGRAM,
			ks_status_name(st));
		r->failed = 1;
	} else if (b.len > 0) {
		ks_buf_append(&r->obuf, b.data, b.len);
		flush_out(r);
	}
	ks_buf_free(&b);
}

static void summary_line(struct run *r)
{
	char a[32], b[32], c[32], d[32];
	struct kr_relay_stats s;
	uint64_t malformed = 0;

	for (size_t i = 0; i < r->in.n; i++)
		malformed += r->in.v[i].malformed;
	if (r->o->format == FMT_EVE && (r->not_eve > 0 || r->stripped.n > 0)) {
		if (r->not_eve > 0)
			say(r, "eve: %s record%s of types that are not EVE "
			    "(file, url, access, stats, error, ...) left out",
			    kr_fmt_count(r->not_eve, a),
			    r->not_eve == 1 ? "" : "s");
		for (size_t i = 0; i < r->stripped.n; i++) {
			struct kr_str k = r->stripped.keys[i];
			const uint64_t *n = kr_map_val(&r->stripped, i);
			int known = kr_str_eq(k, "program") ||
				    kr_str_eq(k, "vm") || kr_str_eq(k, "mode");

			if (!known || r->o->cli.verbosity > 0)
				say(r, "eve: member \"%.*s\" is not EVE's; left "
				    "out of %s record%s", (int)(k.n > 64 ? 64 : k.n),
				    k.p, kr_fmt_count(*n, a), *n == 1 ? "" : "s");
		}
	}
	if (r->unformatted > 0) {
		fprintf(stderr, "%s: %s event%s could not be formatted\n",
			PROGRAM, kr_fmt_count(r->unformatted, a),
			r->unformatted == 1 ? "" : "s");
		r->failed = 1;
	}
	if (r->relay == NULL) {
		if (r->o->format != FMT_TEXT && r->o->cli.verbosity > 0)
			say(r, "%s records, %s malformed lines, %s detections",
			    kr_fmt_count(r->agg.records, a),
			    kr_fmt_count(malformed, b),
			    kr_fmt_count(r->agg.detections, c));
		return;
	}
	kr_relay_stats(r->relay, &s);
	if (s.pending > 0) {
		fprintf(stderr, "%s: %s event%s not yet delivered to %s are "
			"kept in %s and go first on the next start\n", PROGRAM,
			kr_fmt_count(s.pending, a), s.pending == 1 ? "" : "s",
			kr_relay_name(r->relay), kr_relay_spool(r->relay));
		r->failed = 1;
	}
	if (s.dropped > 0)
		r->failed = 1;
	{
		char e[32], f[32];

		say(r, "%s records (%s malformed lines, %s detections); %s "
		    "events to %s: %s delivered, %s pending%s",
		    kr_fmt_count(r->agg.records, a), kr_fmt_count(malformed, b),
		    kr_fmt_count(r->agg.detections, c),
		    kr_fmt_count(s.submitted, d), kr_relay_name(r->relay),
		    kr_fmt_count(s.delivered, e), kr_fmt_count(s.pending, f),
		    r->dropped_total > 0 ? ", some dropped (spool full)" : "");
	}
}

static int resolve_base(const char *base, char *out)
{
	if (realpath(base, out) == NULL)
		return -1;
	return 0;
}

int kreport_run(struct opts *o)
{
	struct run r;
	struct ks_err err, *why = NULL;
	char cwd[PATH_MAX], base[PATH_MAX];
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct ks_time generated = ks_time_now();
	int keep_rows = o->format == FMT_HTML || o->format == FMT_SARIF;
	int rc;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.quiet = o->cli.verbosity < 0;
	r.copy_fd = -1;
	if (o->copy != NULL) {
		r.copy_fd = open(o->copy, O_WRONLY | O_CREAT | O_APPEND |
				 O_CLOEXEC, 0640);
		if (r.copy_fd < 0) {
			fprintf(stderr, "%s: --copy %s: %s\n", PROGRAM, o->copy,
				strerror(errno));
			return KS_EXIT_FAIL;
		}
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		strcpy(cwd, "/");
	if (o->base != NULL && resolve_base(o->base, base) != 0) {
		fprintf(stderr, "%s: --base %s: %s\n", PROGRAM, o->base,
			strerror(errno));
		return KS_EXIT_FAIL;
	}
	/* Reproducible reports (reproducible-builds.org's variable). */
	if (sde != NULL && sde[0] != '\0') {
		char *end;
		long long v = strtoll(sde, &end, 10);

		if (*end == '\0' && v >= 0) {
			generated = (struct ks_time){ v, 0 };
			r.fixed_now = 1;
			r.now = generated;
		}
	}
	if (o->hostname != NULL)
		snprintf(r.hostname, sizeof r.hostname, "%s", o->hostname);
	else if (gethostname(r.hostname, sizeof r.hostname - 1) != 0)
		strcpy(r.hostname, "-");
	r.sopts.facility = o->facility;
	r.sopts.hostname = r.hostname;
	r.sopts.max = o->max_message_set ? (size_t)o->max_message :
		      o->to != NULL && o->dest.proto == KR_PROTO_UDP ? 2048 : 8192;
	r.copts.version = KSVM_VERSION;
	r.copts.hostname = r.hostname;
	kr_jdoc_init(&r.doc);
	kr_event_init(&r.ev);
	kr_agg_init(&r.agg, keep_rows, (size_t)o->max_rows);
	kr_map_init(&r.stripped, sizeof(uint64_t), 256);
	ks_buf_init(&r.obuf, KS_BUF_UNLIMITED);
	ks_buf_init(&r.msg, KS_BUF_UNLIMITED);
	ks_sig_install();
	if (kr_inputs_open(&r.in, o->paths, (size_t)o->npaths,
			   (size_t)o->max_line, &why) != KS_OK) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM);
		rc = KS_EXIT_FAIL;
		goto out;
	}
	if (o->format != FMT_NONE) {
		if (ks_out_open(&r.out, o->cli.output, &err) != KS_OK) {
			fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
			rc = KS_EXIT_FAIL;
			goto out;
		}
		r.out_open = 1;
	}
	if (o->to != NULL && open_relay(&r) != 0) {
		rc = KS_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < r.in.n; i++) {
		if (!r.in.v[i].failed)
			continue;
		fprintf(stderr, "%s: %s\n", PROGRAM, why[i].msg);
		r.failed = 1;
		own_error(&r, &r.in.v[i], why[i].msg, strlen(why[i].msg), 0,
			  why[i].status, why[i].msg);
	}
	loop(&r);
	if (r.relay != NULL) {
		announce_drops(&r, 1);
		kr_relay_flush(r.relay);
	}
	flush_out(&r);
	report(&r, generated, cwd, o->base != NULL ? base : NULL);
	summary_line(&r);
	rc = ks_exit_code(r.agg.detections > 0, r.failed);
out:
	if (r.relay != NULL && kr_relay_close(r.relay, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = ks_exit_code(r.agg.detections > 0, 1);
	}
	if (r.out_open && ks_out_close(&r.out, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = ks_exit_code(r.agg.detections > 0, 1);
	}
	if (r.copy_fd >= 0 && close(r.copy_fd) != 0) {
		fprintf(stderr, "%s: --copy %s: %s\n", PROGRAM, o->copy,
			strerror(errno));
		rc = ks_exit_code(r.agg.detections > 0, 1);
	}
	kr_inputs_close(&r.in);
	free(why);
	kr_jdoc_free(&r.doc);
	kr_event_free(&r.ev);
	kr_agg_free(&r.agg);
	kr_map_free(&r.stripped);
	ks_buf_free(&r.obuf);
	ks_buf_free(&r.msg);
	return rc;
}
