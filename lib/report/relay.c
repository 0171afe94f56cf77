#include "report/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/timefmt.h"

#define BATCH (256u << 10)       /* framed bytes per write batch */
#define MAX_MARKS 4096
#define MAX_SETTLE 128
#define TICK_US 100000u          /* sampling of acknowledgements */
#define SAVE_US 1000000u         /* cursor file at most once a second */
#define BACKOFF_MIN_MS 100u

/* The spool position reached when the connection had written `wire`
 * bytes: once the peer acknowledged that many, the messages before the
 * position were received. */
struct mark {
	uint64_t wire;
	struct kr_spool_pos pos;
};

/* A position received at a time; delivered once it has settled. */
struct settle {
	uint64_t t;
	struct kr_spool_pos pos;
};

struct kr_relay {
	struct kr_relay_opts o;
	char *spool_dir;             /* o.spool_dir points here */
	char name[300];
	struct kr_spool spool;
	struct ssl_ctx_st *tls;
	struct kr_conn conn;
	int was_up;                  /* the connection reached UP */
	uint64_t retry_at;           /* monotonic microseconds */
	unsigned failures;
	char last_failure[KS_ERR_MSG_MAX];

	struct ks_buf out;           /* framed bytes to write */
	size_t out_off;
	struct kr_spool_pos out_end; /* the position after what is in out */
	uint64_t out_msgs;           /* messages in out */

	struct mark marks[MAX_MARKS];
	size_t mh, mn;
	struct kr_spool_pos acked;
	struct settle st[MAX_SETTLE];
	size_t sh, sn;
	uint64_t last_tick, last_save;

	int finishing, closing, finished;

	uint8_t *over;               /* a message waiting for room */
	size_t over_n;
	uint64_t reported_dropped, reported_corrupt;

	struct kr_relay_stats stats;
};

static void note(struct kr_relay *r, enum kr_relay_note n, uint64_t v,
		 const char *text)
{
	if (r->o.notice != NULL)
		r->o.notice(r->o.ctx, n, v, text);
}

static uint64_t now_us(void)
{
	return ks_mono_usec();
}

static void report_spool(struct kr_relay *r)
{
	if (r->spool.dropped > r->reported_dropped) {
		note(r, KR_NOTE_DROPPED, r->spool.dropped - r->reported_dropped,
		     r->o.spool_dir);
		r->reported_dropped = r->spool.dropped;
	}
	if (r->spool.corrupt > r->reported_corrupt) {
		note(r, KR_NOTE_DAMAGED, r->spool.corrupt - r->reported_corrupt,
		     r->o.spool_dir);
		r->reported_corrupt = r->spool.corrupt;
	}
}

enum ks_status kr_relay_open(struct kr_relay **rp,
			     const struct kr_relay_opts *o, struct ks_err *err)
{
	struct kr_relay *r = calloc(1, sizeof *r);
	enum ks_status st;

	*rp = NULL;
	if (r == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	r->o = *o;
	r->spool_dir = strdup(o->spool_dir);
	if (r->spool_dir == NULL) {
		free(r);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	r->o.spool_dir = r->spool_dir;
	/* The TLS files are read once, here; the caller keeps the rest. */
	r->o.ca = r->o.cert = r->o.key = NULL;
	if (r->o.backoff_max_ms == 0)
		r->o.backoff_max_ms = 30000;
	if (r->o.settle_ms == 0)
		r->o.settle_ms = 2000;
	kr_dest_name(&o->dest, r->name, sizeof r->name);
	kr_conn_init(&r->conn);
	ks_buf_init(&r->out, KS_BUF_UNLIMITED);
	if (o->dest.proto == KR_PROTO_TLS) {
		r->tls = kr_tls_new(o->ca, o->cert, o->key, err);
		if (r->tls == NULL) {
			ks_buf_free(&r->out);
			free(r->spool_dir);
			free(r);
			return err != NULL ? err->status : KS_ERR_IO;
		}
	}
	st = kr_spool_open(&r->spool, o->spool_dir, o->spool_max, o->policy,
			   err);
	if (st != KS_OK) {
		kr_spool_close(&r->spool, NULL);
		kr_tls_free(r->tls);
		ks_buf_free(&r->out);
		free(r->spool_dir);
		free(r);
		return st;
	}
	r->acked = r->out_end = r->spool.commit;
	if (r->spool.repaired > 0)
		note(r, KR_NOTE_REPAIRED, r->spool.repaired, o->spool_dir);
	if (r->spool.replay > 0)
		note(r, KR_NOTE_REPLAY, r->spool.replay, o->spool_dir);
	report_spool(r);
	r->last_tick = r->last_save = now_us();
	*rp = r;
	return KS_OK;
}

const char *kr_relay_name(const struct kr_relay *r)
{
	return r->name;
}

const char *kr_relay_spool(const struct kr_relay *r)
{
	return r->o.spool_dir;
}

/* ---- submitting ----------------------------------------------------------------- */

enum ks_status kr_relay_submit(struct kr_relay *r, const void *msg, size_t n,
			       struct ks_err *err)
{
	enum ks_status st;

	if (r->over != NULL)
		return ks_err_set(err, KS_ERR_LIMIT, "the spool is full");
	st = kr_spool_append(&r->spool, msg, n, err);
	report_spool(r);
	if (st == KS_OK) {
		r->stats.submitted++;
		return KS_OK;
	}
	if (st != KS_ERR_LIMIT)
		return st;
	if (r->o.policy == KR_SPOOL_DROP_OLDEST) {
		/* Not even an empty spool takes it. */
		r->stats.dropped++;
		note(r, KR_NOTE_UNSENDABLE, n, err != NULL ? err->msg : "");
		return KS_OK;
	}
	r->over = malloc(n ? n : 1);
	if (r->over == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	memcpy(r->over, msg, n);
	r->over_n = n;
	r->stats.submitted++;
	note(r, KR_NOTE_FULL, r->spool.max_bytes, r->o.spool_dir);
	return KS_ERR_LIMIT;
}

int kr_relay_blocked(const struct kr_relay *r)
{
	return r->over != NULL;
}

static void retry_over(struct kr_relay *r)
{
	struct ks_err err;

	if (r->over == NULL || !kr_spool_room(&r->spool, r->over_n))
		return;
	if (kr_spool_append(&r->spool, r->over, r->over_n, &err) != KS_OK)
		return;
	free(r->over);
	r->over = NULL;
	r->over_n = 0;
	note(r, KR_NOTE_ROOM, 0, r->o.spool_dir);
}

void kr_relay_unbound(struct kr_relay *r)
{
	r->spool.max_bytes = UINT64_MAX / 2;
	r->spool.policy = KR_SPOOL_BLOCK;   /* and never drops */
	retry_over(r);
}

void kr_relay_flush(struct kr_relay *r)
{
	struct ks_err err;
	enum ks_status st = kr_spool_flush(&r->spool, &err);

	if (st != KS_OK && st != KS_ERR_LIMIT)
		note(r, KR_NOTE_ERROR, 0, err.msg);
	report_spool(r);
}

/* ---- delivery bookkeeping ------------------------------------------------------- */

static void push_mark(struct kr_relay *r, uint64_t wire,
		      struct kr_spool_pos pos)
{
	if (r->mn == MAX_MARKS) {
		/* Overwrite the newest: acknowledgement lags, nothing is
		 * taken as delivered too early. */
		r->marks[(r->mh + r->mn - 1) % MAX_MARKS] =
			(struct mark){ wire, pos };
		return;
	}
	r->marks[(r->mh + r->mn) % MAX_MARKS] = (struct mark){ wire, pos };
	r->mn++;
}

static void commit_settled(struct kr_relay *r, uint64_t now)
{
	uint64_t before = kr_spool_pending(&r->spool);

	while (r->sn > 0 && r->st[r->sh].t + r->o.settle_ms * 1000 <= now) {
		kr_spool_commit(&r->spool, &r->st[r->sh].pos);
		r->sh = (r->sh + 1) % MAX_SETTLE;
		r->sn--;
	}
	if (kr_spool_pending(&r->spool) < before)
		r->stats.delivered += before - kr_spool_pending(&r->spool);
}

static void save(struct kr_relay *r, uint64_t now, int force)
{
	struct ks_err err;

	if (!force && now - r->last_save < SAVE_US)
		return;
	r->last_save = now;
	if (kr_spool_save(&r->spool, &err) != KS_OK)
		note(r, KR_NOTE_ERROR, 0, err.msg);
}

static void tick(struct kr_relay *r, uint64_t now)
{
	uint64_t ackwire;
	struct kr_spool_pos acked = r->acked;

	if (r->conn.state == KR_CONN_UP) {
		ackwire = r->conn.wire - kr_conn_unacked(&r->conn);
		while (r->mn > 0 && r->marks[r->mh].wire <= ackwire) {
			acked = r->marks[r->mh].pos;
			r->mh = (r->mh + 1) % MAX_MARKS;
			r->mn--;
		}
	}
	if (kr_spool_before(&r->acked, &acked)) {
		r->acked = acked;
		/* The server takes messages again: back off from scratch
		 * next time. */
		r->failures = 0;
		r->last_failure[0] = '\0';
		/* One sample per tick is enough: settling is coarse. */
		if (r->sn > 0 &&
		    now - r->st[(r->sh + r->sn - 1) % MAX_SETTLE].t < TICK_US) {
			r->st[(r->sh + r->sn - 1) % MAX_SETTLE].pos = acked;
		} else {
			if (r->sn == MAX_SETTLE) {
				/* Older samples are folded into the next. */
				r->sh = (r->sh + 1) % MAX_SETTLE;
				r->sn--;
			}
			r->st[(r->sh + r->sn) % MAX_SETTLE] =
				(struct settle){ now, acked };
			r->sn++;
		}
	}
	commit_settled(r, now);
	r->last_tick = now;
	save(r, now, 0);
}

static uint64_t backoff_ms(struct kr_relay *r)
{
	uint64_t ms = BACKOFF_MIN_MS;
	uint32_t rnd = 0;

	for (unsigned i = 1; i < r->failures && ms < r->o.backoff_max_ms; i++)
		ms *= 2;
	if (ms > r->o.backoff_max_ms)
		ms = r->o.backoff_max_ms;
	/* Up to a fifth less, so that many relays do not retry in step. */
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) == sizeof rnd)
		ms -= ms / 5 * (rnd % 1000) / 1000;
	return ms;
}

/* The connection is gone: what was not delivered is sent again. */
static void drop_connection(struct kr_relay *r, const char *why, int lost)
{
	uint64_t now = now_us(), ms;

	if (r->conn.state == KR_CONN_UP)
		tick(r, now);
	commit_settled(r, now);
	r->sn = r->sh = 0;
	r->mn = r->mh = 0;
	kr_conn_close(&r->conn);
	ks_buf_reset(&r->out);
	r->out_off = 0;
	kr_spool_rewind(&r->spool);
	r->acked = r->out_end = r->spool.commit;
	r->closing = 0;
	r->failures++;
	ms = backoff_ms(r);
	r->retry_at = now + ms * 1000;
	/* The first failure of a series is worth telling, and any change
	 * of reason; retries of the same are not. */
	if (lost || r->failures == 1 || strcmp(why, r->last_failure) != 0)
		note(r, lost ? KR_NOTE_LOST : KR_NOTE_FAILED, ms, why);
	snprintf(r->last_failure, sizeof r->last_failure, "%s", why);
	save(r, now, 1);
}

static void connected(struct kr_relay *r)
{
	r->stats.connects++;
	r->was_up = 1;
	r->mn = r->mh = 0;
	note(r, KR_NOTE_CONNECTED, r->failures, r->name);
}

/* Everything written was received and the server closed after reading
 * it: the whole of it is delivered. */
static void closed_cleanly(struct kr_relay *r)
{
	uint64_t before = kr_spool_pending(&r->spool);

	kr_spool_commit(&r->spool, &r->out_end);
	r->stats.delivered += before - kr_spool_pending(&r->spool);
	r->sn = r->sh = 0;
	r->mn = r->mh = 0;
	r->acked = r->out_end;
	kr_conn_close(&r->conn);
	r->closing = 0;
	save(r, now_us(), 1);
	if (r->finishing && kr_spool_unread(&r->spool) == 0 && r->over == NULL)
		r->finished = 1;
}

/* Fill `out` from the spool: one datagram, or a batch of frames. */
static int fill(struct kr_relay *r)
{
	const uint8_t *m;
	size_t n;
	struct kr_spool_pos next;
	struct ks_err err;
	enum ks_status st;

	ks_buf_reset(&r->out);
	r->out_off = 0;
	r->out_msgs = 0;
	while (r->out.len < BATCH) {
		st = kr_spool_peek(&r->spool, &m, &n, &next, &err);
		if (st == KS_EOF)
			break;
		if (st != KS_OK) {
			note(r, KR_NOTE_ERROR, 0, err.msg);
			break;
		}
		/* RFC 6587 3.4.1 and RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG. */
		if (!r->conn.dgram &&
		    ks_buf_printf(&r->out, "%zu ", n) != KS_OK)
			break;
		if (ks_buf_append(&r->out, m, n) != KS_OK)
			break;
		kr_spool_seek(&r->spool, &next);
		r->out_end = next;
		r->out_msgs++;
		if (r->conn.dgram)
			break;
	}
	return r->out.len > 0;
}

static void send_some(struct kr_relay *r)
{
	struct ks_err err;
	size_t done;
	enum ks_status st;

	for (;;) {
		if (r->out_off >= r->out.len && !fill(r))
			return;
		st = kr_conn_write(&r->conn, r->out.data + r->out_off,
				   r->out.len - r->out_off, &done, &err);
		if (st == KS_AGAIN)
			return;
		if (st != KS_OK) {
			if (r->conn.dgram && err.sys_errno == EMSGSIZE) {
				/* Never sendable: dropped, and said so. */
				note(r, KR_NOTE_UNSENDABLE, r->out.len, err.msg);
				r->stats.dropped++;
				push_mark(r, r->conn.wire, r->out_end);
				ks_buf_reset(&r->out);
				r->out_off = 0;
				continue;
			}
			drop_connection(r, err.msg, 1);
			return;
		}
		r->out_off += done;
		if (r->out_off == r->out.len) {
			r->stats.sent += r->out_msgs;
			push_mark(r, r->conn.wire, r->out_end);
			ks_buf_reset(&r->out);
			r->out_off = 0;
		}
	}
}

static void try_connect(struct kr_relay *r)
{
	struct ks_err err;

	if (kr_conn_open(&r->conn, &r->o.dest, r->tls, &err) != KS_OK) {
		drop_connection(r, err.msg, 0);
		return;
	}
	r->was_up = 0;
	if (r->conn.state == KR_CONN_UP)
		connected(r);
}

void kr_relay_step(struct kr_relay *r, short revents)
{
	struct ks_err err;
	uint64_t now = now_us();
	enum ks_status st;

	retry_over(r);
	if (r->finished)
		return;
	switch (r->conn.state) {
	case KR_CONN_CLOSED:
		if (kr_spool_unread(&r->spool) == 0 && r->out_off >= r->out.len) {
			if (r->finishing && r->over == NULL &&
			    kr_spool_pending(&r->spool) == 0)
				r->finished = 1;
			/* Messages sent but not settled when the connection
			 * closed were rewound; nothing else to do. */
			return;
		}
		if (now < r->retry_at)
			return;
		try_connect(r);
		if (r->conn.state != KR_CONN_UP)
			return;
		break;
	case KR_CONN_CONNECTING:
	case KR_CONN_HANDSHAKE:
		st = kr_conn_progress(&r->conn, &err);
		if (st == KS_AGAIN)
			return;
		if (st != KS_OK) {
			drop_connection(r, err.msg, 0);
			return;
		}
		connected(r);
		break;
	case KR_CONN_UP:
		break;
	}
	/* Up. */
	if (!r->conn.dgram && (revents & (POLLIN | POLLHUP | POLLERR))) {
		st = kr_conn_read(&r->conn, &err);
		if (st == KS_EOF) {
			if (r->closing) {
				closed_cleanly(r);
				return;
			}
			drop_connection(r, "the server closed the connection", 1);
			return;
		}
		if (st != KS_OK) {
			drop_connection(r, err.msg, 1);
			return;
		}
	}
	if (!r->closing)
		send_some(r);
	if (r->conn.state != KR_CONN_UP)
		return;
	tick(r, now);
	if (r->finishing && !r->closing && r->over == NULL &&
	    kr_spool_unread(&r->spool) == 0 && r->out_off >= r->out.len &&
	    kr_conn_unacked(&r->conn) == 0) {
		if (r->conn.dgram) {
			closed_cleanly(r);
			return;
		}
		kr_conn_shutdown(&r->conn);
		r->closing = 1;
	}
}

void kr_relay_finish(struct kr_relay *r)
{
	r->finishing = 1;
	kr_relay_flush(r);
}

int kr_relay_done(const struct kr_relay *r)
{
	return r->finished;
}

int kr_relay_pollfd(const struct kr_relay *r, short *events)
{
	if (r->conn.state == KR_CONN_CLOSED || r->conn.fd < 0)
		return -1;
	*events = kr_conn_events(&r->conn, r->out_off < r->out.len ||
						   (!r->closing &&
						    kr_spool_unread(&r->spool) > 0));
	return r->conn.fd;
}

int kr_relay_timeout(const struct kr_relay *r)
{
	uint64_t now = now_us();
	int t = -1;

	if (r->over != NULL)
		t = 100;
	switch (r->conn.state) {
	case KR_CONN_CLOSED:
		if (!r->finished && (kr_spool_unread(&r->spool) > 0 ||
				     r->over != NULL)) {
			uint64_t ms = r->retry_at > now ?
					      (r->retry_at - now + 999) / 1000 : 0;
			int v = ms > 60000 ? 60000 : (int)ms;

			t = t < 0 || v < t ? v : t;
		}
		break;
	case KR_CONN_CONNECTING:
	case KR_CONN_HANDSHAKE:
		t = t < 0 || t > 100 ? 100 : t;
		break;
	case KR_CONN_UP:
		/* Acknowledgements and settling are sampled. */
		if (r->mn > 0 || r->sn > 0 || r->spool.dirty || r->finishing)
			t = t < 0 || t > 100 ? 100 : t;
		break;
	}
	return t;
}

void kr_relay_stats(const struct kr_relay *r, struct kr_relay_stats *s)
{
	*s = r->stats;
	s->pending = kr_spool_pending(&r->spool);
	s->dropped += r->spool.dropped;
}

enum ks_status kr_relay_close(struct kr_relay *r, struct ks_err *err)
{
	enum ks_status st;

	if (r == NULL)
		return KS_OK;
	if (r->conn.state == KR_CONN_UP)
		tick(r, now_us());
	/* Whatever waited for room is not lost: it goes to the spool now,
	 * over its cap if it must (by one message). */
	if (r->over != NULL) {
		uint64_t max = r->spool.max_bytes;

		r->spool.max_bytes = UINT64_MAX / 2;
		if (kr_spool_append(&r->spool, r->over, r->over_n, NULL) == KS_OK) {
			free(r->over);
			r->over = NULL;
		}
		r->spool.max_bytes = max;
	}
	kr_conn_close(&r->conn);
	st = kr_spool_close(&r->spool, err);
	kr_tls_free(r->tls);
	ks_buf_free(&r->out);
	free(r->over);
	free(r->spool_dir);
	free(r);
	return st;
}
