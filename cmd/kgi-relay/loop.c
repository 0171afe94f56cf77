/*
 * kgi-relay's event loop: the socket and its clients, stdin, the scanner
 * coprocess (restarted with backoff when it dies), deadlines, signals.
 * One thread; every descriptor is non-blocking but the log output, which
 * is written whole, record by record (kreport must get everything).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/sig.h"
#include "core/exitcode.h"
#include "core/out.h"
#include "core/spawn.h"
#include "core/timefmt.h"
#include "core/u64map.h"
#include "json/reader.h"
#include "json/writer.h"
#include "relay.h"

#define MAX_EVENT_LINE (64u << 10)
#define MAX_CLIENT_OUT (4u << 20)
#define MAX_SCANNER_OUT (64u << 20)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000

struct client {
	int fd;                 /* -1 for stdin's pseudo-client */
	int id;
	struct kj_lines in;
	struct ks_buf out;
	int eof;                /* no more input */
	int dead;               /* close as soon as possible */
};

struct relay {
	struct ropts *o;
	struct kg_engine *e;
	struct ks_out log;
	int log_dead;
	int listen_fd;
	struct client **clients;   /* connected clients, and stdin */
	size_t nclients;
	struct ks_u64map by_id;    /* client id -> client */
	int next_client_id;
	struct kj_parser parser;
	/* The scanner: */
	struct ks_child child;
	struct kj_lines from_scanner;
	struct ks_buf to_scanner;
	uint64_t restart_at;       /* 0: running or not needed */
	unsigned backoff_ms;
	uint64_t started_at;
	uint64_t restarts;
	uint64_t lost_requests;
	int draining;
	int finishing;             /* the scanner is being let go */
	/* SIGHUP: the new rules are checked by a run of the scanner with
	 * --check-config before the running scanner is replaced, so that a
	 * broken rule file leaves the old scanner (and its rules) at work. */
	pid_t check_pid;
	int reload_again;          /* another SIGHUP came during a check */
};

/* ---- output --------------------------------------------------------------- */

static void log_line(struct relay *r, const char *line, size_t n)
{
	struct ks_err err;

	if (r->log_dead)
		return;
	if (ks_out_write(&r->log, line, n, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->log_dead = 1;
	}
}

static void client_flush(struct client *c)
{
	ssize_t k;

	while (c->fd >= 0 && c->out.len > 0 && !c->dead) {
		k = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = 1;
			return;
		}
		ks_buf_consume(&c->out, (size_t)k);
	}
}

static void on_decision(void *ctx, int client, const char *line, size_t n)
{
	struct relay *r = ctx;
	struct client *c = ks_u64map_get(&r->by_id, (uint64_t)client);

	log_line(r, line, n);
	/* stdin's decisions are the log; a client that left gets none. */
	if (c == NULL || c->fd < 0 || c->dead)
		return;
	if (ks_buf_append(&c->out, line, n) != KS_OK) {
		/* A client that does not read its decisions is dropped
		 * rather than let it hold memory or slow the others. */
		if (r->o->cli.verbosity >= 0)
			fprintf(stderr, "%s: client %d reads too slowly; "
				"dropped\n", PROGRAM, c->id);
		c->dead = 1;
		return;
	}
	client_flush(c);
}

static void on_request(void *ctx, const char *line, size_t n)
{
	struct relay *r = ctx;

	if (ks_buf_append(&r->to_scanner, line, n) != KS_OK) {
		/* The events waiting for it time out by their profile. */
		r->lost_requests++;
		fprintf(stderr, "%s: the scanner's input is full; a scan "
			"request was not sent\n", PROGRAM);
	}
}

static void on_log(void *ctx, const char *line, size_t n)
{
	log_line(ctx, line, n);
}

/* ---- the scanner ---------------------------------------------------------- */

static void start_scanner(struct relay *r, uint64_t now)
{
	struct ks_err err;

	if (ks_spawn(&r->child, r->o->scanner, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		r->restart_at = now + (uint64_t)r->backoff_ms * 1000;
		r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ?
					BACKOFF_MAX_MS : r->backoff_ms * 2;
		return;
	}
	r->restart_at = 0;
	r->started_at = now;
	if (r->o->cli.verbosity > 0)
		fprintf(stderr, "%s: scanner started (pid %ld): %s\n", PROGRAM,
			(long)r->child.pid, r->o->scanner[0]);
	kj_lines_free(&r->from_scanner);
	kj_lines_init(&r->from_scanner, 16u << 20);
	ks_buf_reset(&r->to_scanner);
	kg_engine_scanner_ready(r->e);
}

static void scanner_died(struct relay *r, uint64_t now, const char *why);

/* The scanner's command with --requests replaced by --check-config, or
 * NULL when it has no --requests (a scanner of another kind: it is then
 * replaced without a check). */
static char **check_argv(char *const *argv)
{
	size_t n = 0, i;
	int found = 0;
	char **v;

	while (argv[n] != NULL)
		n++;
	v = calloc(n + 1, sizeof *v);
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(argv[i], "--requests") == 0) {
			v[i] = (char *)"--check-config";
			found = 1;
		} else {
			v[i] = argv[i];
		}
	}
	if (!found) {
		free(v);
		return NULL;
	}
	return v;
}

static void reload_now(struct relay *r, uint64_t now)
{
	/* New rules: forget the verdicts and start a scanner that loads
	 * them; waiting scans are sent to it. */
	kg_engine_clear_cache(r->e);
	if (r->child.pid > 0)
		scanner_died(r, now, "reload");
	r->restart_at = now;
}

static void reload_refused(struct relay *r, const char *why)
{
	struct kj_writer w;
	char msg[256];

	snprintf(msg, sizeof msg, "reload refused: the scanner's new rules "
		 "or settings do not load (%s); the running scanner keeps the "
		 "old ones", why);
	if (r->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: %s\n", PROGRAM, msg);
	kj_writer_init(&w, 0);
	kj_error_record(&w, PROGRAM, "reload", 0, KS_ERR_INVALID, msg);
	log_line(r, (const char *)w.buf.data, w.buf.len);
	kj_writer_free(&w);
}

static void start_reload(struct relay *r, uint64_t now)
{
	char **argv = check_argv(r->o->scanner);
	int devnull;
	pid_t pid;

	if (argv == NULL) {
		reload_now(r, now);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Its records are not ours; its diagnostics go to our
		 * stderr, with file and line. */
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0) {
		reload_refused(r, strerror(errno));
		return;
	}
	r->check_pid = pid;
}

/* The check of a reload ended: replace the scanner, or keep it. */
static void reload_checked(struct relay *r, uint64_t now)
{
	int status;
	char why[64];
	pid_t p;

	if (r->check_pid <= 0)
		return;
	p = waitpid(r->check_pid, &status, WNOHANG);
	if (p == 0 || (p < 0 && errno == EINTR))
		return;
	r->check_pid = 0;
	if (p > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		reload_now(r, now);
	} else {
		if (p > 0 && WIFEXITED(status))
			snprintf(why, sizeof why, "exit status %d",
				 WEXITSTATUS(status));
		else if (p > 0 && WIFSIGNALED(status))
			snprintf(why, sizeof why, "killed by signal %d",
				 WTERMSIG(status));
		else
			snprintf(why, sizeof why, "%s", strerror(errno));
		reload_refused(r, why);
	}
	if (r->reload_again) {
		r->reload_again = 0;
		start_reload(r, now);
	}
}

static void scanner_died(struct relay *r, uint64_t now, const char *why)
{
	int status = 0;

	if (r->finishing) {
		ks_child_close(&r->child);
		return;
	}
	ks_child_close(&r->child);
	if (r->child.pid > 0) {
		kill(r->child.pid, SIGTERM);
		waitpid(r->child.pid, &status, 0);
		r->child.pid = -1;
	}
	r->restarts++;
	if (r->o->cli.verbosity >= 0)
		fprintf(stderr, "%s: the scanner stopped (%s); restarting it in "
			"%u ms\n", PROGRAM, why, r->backoff_ms);
	kg_engine_scanner_lost(r->e);
	/* A scanner that lived a while gets a quick restart; one that dies
	 * at once waits longer each time. */
	if (now - r->started_at > 10000000ull)
		r->backoff_ms = BACKOFF_MIN_MS;
	r->restart_at = now + (uint64_t)r->backoff_ms * 1000;
	r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
							     r->backoff_ms * 2;
}

static void scanner_write(struct relay *r, uint64_t now)
{
	ssize_t k;

	while (r->child.to_child >= 0 && r->to_scanner.len > 0) {
		k = write(r->child.to_child, r->to_scanner.data,
			  r->to_scanner.len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				scanner_died(r, now, strerror(errno));
			return;
		}
		ks_buf_consume(&r->to_scanner, (size_t)k);
	}
}

static void scanner_read(struct relay *r, uint64_t now)
{
	char chunk[65536];
	char *line;
	size_t len;
	ssize_t k;
	enum ks_status st;

	for (;;) {
		while ((st = kj_lines_next(&r->from_scanner, &line, &len, 0)) !=
		       KS_AGAIN) {
			if (st == KS_OK)
				kg_engine_scanner_line(r->e, line, len, now);
			else if (st == KS_ERR_LIMIT)
				kg_engine_scanner_line(r->e, (char *)"x", 1, now);
			else
				break;
		}
		k = read(r->child.from_child, chunk,
			 sizeof chunk < kj_lines_room(&r->from_scanner) ?
				 sizeof chunk : kj_lines_room(&r->from_scanner));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			scanner_died(r, now, strerror(errno));
			return;
		}
		if (k == 0) {
			scanner_died(r, now, "end of its output");
			return;
		}
		kj_lines_push(&r->from_scanner, chunk, (size_t)k);
	}
}

/* At the end: the scanner sees the end of its input, writes its last
 * records (they go to the log) and exits. */
static void drain_scanner(struct relay *r)
{
	uint64_t until = ks_mono_usec() + 5000000;
	struct pollfd p;

	if (r->child.pid <= 0)
		return;
	r->finishing = 1;
	if (r->child.to_child >= 0) {
		scanner_write(r, ks_mono_usec());
		close(r->child.to_child);
		r->child.to_child = -1;
	}
	while (r->child.from_child >= 0 && ks_mono_usec() < until) {
		p.fd = r->child.from_child;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		if (p.revents == 0)
			continue;
		scanner_read(r, ks_mono_usec());
	}
	ks_child_close(&r->child);
	if (r->child.pid > 0) {
		waitpid(r->child.pid, NULL, 0);
		r->child.pid = -1;
	}
}

/* ---- clients -------------------------------------------------------------- */

static struct client *add_client(struct relay *r, int fd)
{
	struct client *c = calloc(1, sizeof *c), **nc;

	if (c == NULL)
		return NULL;
	nc = realloc(r->clients, (r->nclients + 1) * sizeof *nc);
	if (nc == NULL) {
		free(c);
		return NULL;
	}
	r->clients = nc;
	c->fd = fd;
	c->id = ++r->next_client_id;
	kj_lines_init(&c->in, MAX_EVENT_LINE);
	ks_buf_init(&c->out, MAX_CLIENT_OUT);
	if (ks_u64map_put(&r->by_id, (uint64_t)c->id, c) != 0) {
		kj_lines_free(&c->in);
		free(c);
		return NULL;
	}
	r->clients[r->nclients++] = c;
	return c;
}

static void drop_client(struct relay *r, size_t i)
{
	struct client *c = r->clients[i];

	if (c->fd >= 0 && r->o->cli.verbosity > 0)
		fprintf(stderr, "%s: client %d %s\n", PROGRAM, c->id,
			c->dead ? "dropped" : "disconnected");
	ks_u64map_del(&r->by_id, (uint64_t)c->id);
	if (c->fd >= 0)
		close(c->fd);
	kj_lines_free(&c->in);
	ks_buf_free(&c->out);
	free(c);
	r->clients[i] = r->clients[--r->nclients];
}

/* Hand every complete line of a client to the engine. */
static void client_lines(struct relay *r, struct client *c, uint64_t now)
{
	char *line;
	size_t len;
	enum ks_status st;
	struct json_object *obj;
	struct ks_err err;

	for (;;) {
		st = kj_lines_next(&c->in, &line, &len, c->eof && c->fd >= 0 ? 0 : c->eof);
		if (st == KS_AGAIN || st == KS_EOF)
			return;
		if (st == KS_ERR_LIMIT) {
			kg_engine_bad_line(r->e, c->id, c->in.line_no,
					   "the line is too long", now);
			continue;
		}
		if (kj_parse(&r->parser, line, len, &obj, &err) != KS_OK) {
			kg_engine_bad_line(r->e, c->id, c->in.line_no, err.msg, now);
			continue;
		}
		if (obj != NULL)
			kg_engine_event(r->e, c->id, obj, now);
	}
}

static void client_read(struct relay *r, struct client *c, uint64_t now)
{
	char chunk[65536];
	ssize_t k;
	int fd = c->fd >= 0 ? c->fd : STDIN_FILENO;

	for (;;) {
		size_t room = kj_lines_room(&c->in);

		k = read(fd, chunk, sizeof chunk < room ? sizeof chunk : room);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->eof = 1;
			break;
		}
		if (k == 0) {
			/* A line cut off by a disconnect is not an event. */
			c->eof = 1;
			break;
		}
		kj_lines_push(&c->in, chunk, (size_t)k);
		client_lines(r, c, now);
	}
	client_lines(r, c, now);
}

static int open_listener(struct relay *r)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;
	gid_t gid = (gid_t)-1;

	if (strlen(r->o->listen) >= sizeof sa.sun_path) {
		fprintf(stderr, "%s: the socket path is too long\n", PROGRAM);
		return -1;
	}
	if (r->o->group != NULL) {
		struct group *g = getgrnam(r->o->group);

		if (g == NULL) {
			fprintf(stderr, "%s: no group '%s'\n", PROGRAM, r->o->group);
			return -1;
		}
		gid = g->gr_gid;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, r->o->listen, strlen(r->o->listen));
	/* A socket left by an earlier run is replaced, but only a socket. */
	{
		struct stat st;

		if (lstat(r->o->listen, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(r->o->listen);
	}
	/* Created with no access for others from the first moment. */
	old = umask(r->o->group != NULL ? 0117 : 0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;

		umask(old);
		close(fd);
		fprintf(stderr, "%s: cannot listen on %s: %s\n", PROGRAM,
			r->o->listen, strerror(e));
		return -1;
	}
	umask(old);
	if (gid != (gid_t)-1 && (chown(r->o->listen, (uid_t)-1, gid) != 0 ||
				 chmod(r->o->listen, 0660) != 0)) {
		fprintf(stderr, "%s: cannot give %s to group %s: %s\n", PROGRAM,
			r->o->listen, r->o->group, strerror(errno));
		close(fd);
		unlink(r->o->listen);
		return -1;
	}
	if (listen(fd, 128) != 0) {
		close(fd);
		return -1;
	}
	r->listen_fd = fd;
	return 0;
}

static void accept_clients(struct relay *r)
{
	for (;;) {
		int fd = accept4(r->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (r->nclients >= r->o->max_clients + 1 || add_client(r, fd) == NULL) {
			close(fd);
			if (r->o->cli.verbosity >= 0)
				fprintf(stderr, "%s: too many clients; a "
					"connection was refused\n", PROGRAM);
		} else if (r->o->cli.verbosity > 0) {
			fprintf(stderr, "%s: client %d connected\n", PROGRAM,
				r->next_client_id);
		}
	}
}

/* ---- stats ---------------------------------------------------------------- */

static void stats_record(struct relay *r, struct kj_writer *w)
{
	struct kg_stats s;

	kg_engine_stats(r->e, &s);
	kj_record_begin(w, ks_time_now(), "stats", PROGRAM);
	kj_obj_open(w, "stats");
	kj_uint(w, "events", s.events);
	kj_uint(w, "allowed", s.allowed);
	kj_uint(w, "denied", s.denied);
	kj_uint(w, "clean", s.clean);
	kj_uint(w, "detected", s.detected);
	kj_uint(w, "timeouts", s.timeouts);
	kj_uint(w, "scanner_errors", s.scanner_errors);
	kj_uint(w, "not_scanned", s.not_scanned);
	kj_uint(w, "bad_events", s.bad_events);
	kj_uint(w, "scans", s.scans);
	kj_uint(w, "merged", s.merged);
	kj_uint(w, "cache_hits", s.cache_hits);
	kj_uint(w, "resent", s.resent);
	kj_uint(w, "scanner_garbage", s.scanner_garbage);
	kj_uint(w, "scanner_restarts", r->restarts);
	kj_uint(w, "waiting", s.waiting);
	kj_uint(w, "clients", r->nclients);
	kj_uint(w, "latency_max_us", s.latency_max_us);
	kj_obj_close(w);
	kj_record_end(w);
}

/* ---- the loop ------------------------------------------------------------- */

int relay_run(struct ropts *o)
{
	struct relay r;
	struct kg_io io;
	struct ks_err err;
	struct pollfd *pfd = NULL;
	struct client *stdin_client = NULL;
	struct kj_writer w;
	size_t npfd = 0;
	int rc = KS_EXIT_FAIL;
	struct kg_stats s;

	memset(&r, 0, sizeof r);
	r.o = o;
	r.listen_fd = -1;
	r.child.pid = -1;
	r.child.to_child = r.child.from_child = -1;
	r.backoff_ms = BACKOFF_MIN_MS;
	ks_u64map_init(&r.by_id, 1u << 20);
	kj_lines_init(&r.from_scanner, 16u << 20);
	ks_buf_init(&r.to_scanner, MAX_SCANNER_OUT);
	kj_writer_init(&w, 0);
	if (kj_parser_init(&r.parser, 0) != KS_OK)
		return KS_EXIT_FAIL;
	ks_sig_install();
	io.ctx = &r;
	io.decision = on_decision;
	io.request = on_request;
	io.log = on_log;
	r.e = kg_engine_new(&o->kc, &io, &err);
	if (r.e == NULL) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out;
	}
	if (ks_out_open(&r.log, o->cli.output, &err) != KS_OK) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		goto out;
	}
	if (o->listen != NULL && open_listener(&r) != 0)
		goto out_log;
	if (o->read_stdin) {
		stdin_client = add_client(&r, -1);
		if (stdin_client == NULL)
			goto out_log;
		fcntl(STDIN_FILENO, F_SETFL,
		      fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	}
	start_scanner(&r, ks_mono_usec());

	for (;;) {
		uint64_t now = ks_mono_usec(), next;
		int timeout;
		size_t n = 0, base;

		if (ks_sig_take_stats()) {
			kj_writer_init(&w, 0);
			stats_record(&r, &w);
			if (write(STDERR_FILENO, w.buf.data, w.buf.len) < 0)
				r.log_dead = r.log_dead;
			kj_writer_free(&w);
		}
		if (ks_sig_take_reload()) {
			if (r.check_pid > 0)
				r.reload_again = 1;
			else
				start_reload(&r, now);
		}
		reload_checked(&r, now);
		if (ks_sig_stop() && !r.draining) {
			/* Stop taking events; answer everything in flight. */
			r.draining = 1;
			if (r.listen_fd >= 0) {
				close(r.listen_fd);
				r.listen_fd = -1;
				unlink(o->listen);
			}
			for (size_t i = 0; i < r.nclients; i++)
				r.clients[i]->eof = 1;
		}
		if (r.restart_at != 0 && now >= r.restart_at && r.child.pid <= 0)
			start_scanner(&r, now);
		kg_engine_tick(r.e, now);

		/* Drop clients that are done: no more input and nothing to
		 * send (stdin is done at its end of input). */
		for (size_t i = 0; i < r.nclients;) {
			struct client *c = r.clients[i];

			if (c->dead || (c->eof && c->out.len == 0 && c->fd >= 0)) {
				if (c == stdin_client)
					stdin_client = NULL;
				drop_client(&r, i);
				continue;
			}
			i++;
		}
		if (stdin_client != NULL && stdin_client->eof &&
		    !r.draining && r.listen_fd < 0)
			r.draining = 1;
		/* Finished when draining and no event waits. */
		kg_engine_stats(r.e, &s);
		if (r.draining && s.waiting == 0) {
			int pending_out = 0;

			for (size_t i = 0; i < r.nclients; i++)
				pending_out |= r.clients[i]->fd >= 0 &&
					       r.clients[i]->out.len > 0;
			if (!pending_out)
				break;
		}
		if (r.log_dead)
			break;

		free(pfd);
		npfd = r.nclients + 4;
		pfd = calloc(npfd, sizeof *pfd);
		if (pfd == NULL)
			break;
		if (r.listen_fd >= 0) {
			pfd[n].fd = r.listen_fd;
			pfd[n++].events = POLLIN;
		}
		if (r.child.from_child >= 0) {
			pfd[n].fd = r.child.from_child;
			pfd[n++].events = POLLIN;
		}
		if (r.child.to_child >= 0 && r.to_scanner.len > 0) {
			pfd[n].fd = r.child.to_child;
			pfd[n++].events = POLLOUT;
		}
		base = n;
		for (size_t i = 0; i < r.nclients; i++) {
			struct client *c = r.clients[i];

			pfd[n].fd = c->fd >= 0 ? c->fd : STDIN_FILENO;
			pfd[n].events = (c->eof ? 0 : POLLIN) |
					(c->out.len > 0 ? POLLOUT : 0);
			if (c->eof && c->out.len == 0)
				pfd[n].fd = -1;
			n++;
		}
		next = kg_engine_next_deadline(r.e);
		if (r.restart_at != 0 && r.restart_at < next)
			next = r.restart_at;
		timeout = next == UINT64_MAX ? 1000 :
			  next <= now ? 0 :
			  (int)((next - now + 999) / 1000 > 1000 ? 1000 :
				(next - now + 999) / 1000);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		now = ks_mono_usec();
		for (size_t i = 0; i < base; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == r.listen_fd)
				accept_clients(&r);
			else if (pfd[i].fd == r.child.from_child)
				scanner_read(&r, now);
			else if (pfd[i].fd == r.child.to_child)
				scanner_write(&r, now);
		}
		for (size_t i = base; i < n; i++) {
			struct client *c = r.clients[i - base];

			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(&r, c, now);
			if (pfd[i].revents & POLLOUT)
				client_flush(c);
		}
		scanner_write(&r, now);
		/* Reap a scanner that died between reads. */
		{
			int status;

			if (ks_child_reap(&r.child, &status))
				scanner_died(&r, now, "it exited");
		}
	}

	drain_scanner(&r);
	kg_engine_stats(r.e, &s);
	if (ks_sig_stop() && o->cli.verbosity >= 0)
		fprintf(stderr, "%s: stopped by signal %d; %llu events decided\n",
			PROGRAM, ks_sig_stop(), (unsigned long long)s.events);
	kj_writer_init(&w, 0);
	stats_record(&r, &w);
	log_line(&r, (char *)w.buf.data, w.buf.len);
	kj_writer_free(&w);
	rc = ks_exit_code(s.detected > 0,
			  s.bad_events > 0 || s.scanner_errors > 0 || r.log_dead);
out_log:
	if (ks_out_close(&r.log, &err) != KS_OK && !r.log_dead) {
		fprintf(stderr, "%s: %s\n", PROGRAM, err.msg);
		rc = KS_EXIT_FAIL;
	}
out:
	if (r.child.pid > 0) {
		ks_child_close(&r.child);
		waitpid(r.child.pid, NULL, 0);
	}
	for (size_t i = r.nclients; i > 0; i--)
		drop_client(&r, i - 1);
	free(r.clients);
	free(pfd);
	if (r.listen_fd >= 0) {
		close(r.listen_fd);
		unlink(o->listen);
	}
	kg_engine_free(r.e);
	kj_lines_free(&r.from_scanner);
	ks_buf_free(&r.to_scanner);
	kj_parser_free(&r.parser);
	ks_u64map_free(&r.by_id);
	return rc;
}
