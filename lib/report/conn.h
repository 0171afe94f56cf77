/*
 * The transports of the relay to a syslog server:
 *
 *   syslog://HOST[:PORT], udp://   UDP, one message per datagram
 *                                  (RFC 5426; port 514)
 *   tcp://HOST[:PORT]              TCP with octet counting (RFC 6587
 *                                  3.4.1: "LENGTH SP MESSAGE"; port 514)
 *   tls://HOST[:PORT]              TLS (RFC 5425; port 6514), the same
 *                                  framing; the server's certificate is
 *                                  verified against the CA (--ca, else
 *                                  the system's) and HOST (its DNS name
 *                                  or IP address); a client certificate
 *                                  when --cert and --key are given
 *   unix:PATH                      a UNIX socket: datagrams when the
 *                                  socket takes them (as /dev/log does),
 *                                  else a stream with octet counting
 *
 * Connections are non-blocking, for the relay's poll() loop.  A
 * connection owns its socket and TLS session; the TLS context is shared
 * and owned by whoever made it (kr_tls_new / kr_tls_free).
 */
#ifndef KR_CONN_H
#define KR_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum kr_proto { KR_PROTO_UDP, KR_PROTO_TCP, KR_PROTO_TLS, KR_PROTO_UNIX };

struct kr_dest {
	enum kr_proto proto;
	char host[256];
	char port[8];
	char path[108];    /* unix: the socket's path */
};

/* Parse a --to address; 0 or -1 with the reason in err. */
int kr_dest_parse(const char *url, struct kr_dest *d, struct ks_err *err);

/* "tcp://127.0.0.1:514" into out. */
void kr_dest_name(const struct kr_dest *d, char *out, size_t cap);

struct ssl_ctx_st;
struct ssl_st;

/* A TLS client context: ca may be NULL (the system's store); cert and key
 * together or not at all. */
struct ssl_ctx_st *kr_tls_new(const char *ca, const char *cert,
			      const char *key, struct ks_err *err);
void kr_tls_free(struct ssl_ctx_st *ctx);

enum kr_conn_state {
	KR_CONN_CLOSED,
	KR_CONN_CONNECTING,   /* TCP or UNIX connect in progress */
	KR_CONN_HANDSHAKE,    /* TLS handshake */
	KR_CONN_UP,
};

struct addrinfo;

struct kr_conn {
	enum kr_conn_state state;
	int fd;
	struct addrinfo *ai;  /* the resolved addresses */
	struct addrinfo *ai_next;   /* the one to try after this one */
	const struct kr_dest *dest;
	struct ssl_ctx_st *tls;
	int dgram;            /* a message per datagram, no framing */
	struct ssl_st *ssl;
	int ssl_want_write;   /* the TLS layer waits to write */
	uint64_t wire;        /* bytes handed to the kernel (TLS: records) */
};

void kr_conn_init(struct kr_conn *c);

/* Begin connecting.  KS_OK (c->state says how far it got) or a failure
 * (resolution, socket, refused) with the reason. */
enum ks_status kr_conn_open(struct kr_conn *c, const struct kr_dest *d,
			    struct ssl_ctx_st *tls, struct ks_err *err);

/* The poll() events the connection waits for. */
short kr_conn_events(const struct kr_conn *c, int have_data);

/* Go on connecting or handshaking: KS_OK when up, KS_AGAIN, or a
 * failure. */
enum ks_status kr_conn_progress(struct kr_conn *c, struct ks_err *err);

/*
 * Write: KS_OK with *done bytes taken (possibly fewer than n), KS_AGAIN
 * (nothing now), or a failure (the connection is lost).  A datagram
 * connection takes one whole message per call.
 */
enum ks_status kr_conn_write(struct kr_conn *c, const void *p, size_t n,
			     size_t *done, struct ks_err *err);

/* Read and discard what the server sent: KS_OK, KS_EOF (it closed), or a
 * failure. */
enum ks_status kr_conn_read(struct kr_conn *c, struct ks_err *err);

/* Bytes written but not yet acknowledged by the peer (stream sockets). */
uint64_t kr_conn_unacked(const struct kr_conn *c);

/* Close the write side (TLS close_notify first); the server then closes
 * after reading everything. */
void kr_conn_shutdown(struct kr_conn *c);

void kr_conn_close(struct kr_conn *c);

#endif
