/*
 * The relay to the administration server: messages go into the spool
 * (spool.h), a sender takes them out in order over one connection
 * (conn.h), and a message leaves the spool only when it is known to be
 * delivered.  Single-threaded, driven by the caller's poll() loop.
 *
 * Delivery, at least once: on a stream (TCP, TLS, UNIX stream) a message
 * counts as received when the server's TCP has acknowledged its bytes
 * (what is still unacknowledged is the socket's SIOCOUTQ), and as
 * delivered once it has stayed acknowledged for `settle_ms` (2 s) without
 * the connection failing: a server stopped while it still held
 * acknowledged bytes unread resets the connection, and everything not yet
 * delivered is sent again on the next connection.  At the end of the
 * input the relay half-closes and waits for the server to close in turn,
 * which proves it read everything.  Datagrams (UDP, /dev/log) count as
 * received when sent, with the same settling, so that a refusal reported
 * for a datagram sent just before also resends it.  Each message carries
 * its event id, so a receiver can drop the duplicates this allows.
 *
 * Reconnection backs off exponentially (100 ms doubling up to
 * backoff_max_ms, with jitter).  Notices for people (connected, lost,
 * spool full, dropped, replayed from a previous run) go through the
 * caller's callback; the relay itself never prints.
 */
#ifndef KR_RELAY_H
#define KR_RELAY_H

#include <stdint.h>

#include "report/conn.h"
#include "report/spool.h"

enum kr_relay_note {
	KR_NOTE_CONNECTED,   /* text: destination */
	KR_NOTE_FAILED,      /* cannot connect; text: why, n: retry in ms */
	KR_NOTE_LOST,        /* connection lost; text: why, n: retry in ms */
	KR_NOTE_FULL,        /* the spool is full: input waits */
	KR_NOTE_ROOM,        /* room again: input goes on */
	KR_NOTE_DROPPED,     /* n messages dropped, oldest first */
	KR_NOTE_REPLAY,      /* n messages from an earlier run to send */
	KR_NOTE_DAMAGED,     /* n damaged spool segments or records skipped */
	KR_NOTE_REPAIRED,    /* n bytes of a torn record cut off */
	KR_NOTE_UNSENDABLE,  /* a datagram too large for the socket */
	KR_NOTE_ERROR,       /* spool I/O; text: why */
};

typedef void (*kr_relay_notice_fn)(void *ctx, enum kr_relay_note note,
				   uint64_t n, const char *text);

struct kr_relay_opts {
	struct kr_dest dest;
	const char *spool_dir;
	uint64_t spool_max;
	enum kr_spool_policy policy;
	const char *ca, *cert, *key;     /* TLS */
	uint64_t backoff_max_ms;         /* 0: 30 s */
	uint64_t settle_ms;              /* 0: 2 s */
	kr_relay_notice_fn notice;
	void *ctx;
};

struct kr_relay_stats {
	uint64_t submitted;     /* messages given to the relay */
	uint64_t sent;          /* written to a connection (resends too) */
	uint64_t delivered;     /* left the spool as delivered */
	uint64_t pending;       /* still in the spool */
	uint64_t dropped;       /* lost to drop-oldest or unsendable */
	uint64_t connects;      /* connections made */
};

struct kr_relay;

enum ks_status kr_relay_open(struct kr_relay **r,
			     const struct kr_relay_opts *o, struct ks_err *err);

/*
 * Give a message to the relay.  KS_OK; KS_ERR_LIMIT when the spool is
 * full under the block policy: the message is kept aside and the input
 * must wait until kr_relay_blocked() is false; KS_ERR_IO.
 */
enum ks_status kr_relay_submit(struct kr_relay *r, const void *msg, size_t n,
			       struct ks_err *err);
int kr_relay_blocked(const struct kr_relay *r);

/* Stopping (SIGTERM): from now on the spool takes every message, past its
 * size if it must, so that nothing already read is lost. */
void kr_relay_unbound(struct kr_relay *r);

/* Write buffered messages to the spool (after each chunk of input). */
void kr_relay_flush(struct kr_relay *r);

/* The descriptor and events to poll (-1: none), and the time in ms until
 * the relay wants to run again (-1: only on events). */
int kr_relay_pollfd(const struct kr_relay *r, short *events);
int kr_relay_timeout(const struct kr_relay *r);

/* Do what can be done now; revents from poll() (0 after a timeout). */
void kr_relay_step(struct kr_relay *r, short revents);

/* No more messages will come: deliver and close. */
void kr_relay_finish(struct kr_relay *r);

/* Everything was delivered and the connection is closed. */
int kr_relay_done(const struct kr_relay *r);

void kr_relay_stats(const struct kr_relay *r, struct kr_relay_stats *s);

/* The destination, for messages. */
const char *kr_relay_name(const struct kr_relay *r);

/* The spool directory. */
const char *kr_relay_spool(const struct kr_relay *r);

/* Save the delivery state, close the connection and the spool, free. */
enum ks_status kr_relay_close(struct kr_relay *r, struct ks_err *err);

#endif
