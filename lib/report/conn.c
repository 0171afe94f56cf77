#include "report/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A peer that acknowledges nothing for this long is taken as gone
 * (TCP_USER_TIMEOUT), so a dead server cannot hold the relay. */
#define USER_TIMEOUT_MS 30000

/* ---- addresses ---------------------------------------------------------------- */

int kr_dest_parse(const char *url, struct kr_dest *d, struct ks_err *err)
{
	static const struct {
		const char *scheme;
		enum kr_proto proto;
		const char *port;
	} schemes[] = {
		{ "syslog://", KR_PROTO_UDP, "514" },
		{ "udp://", KR_PROTO_UDP, "514" },
		{ "tcp://", KR_PROTO_TCP, "514" },
		{ "tls://", KR_PROTO_TLS, "6514" },
	};
	const char *rest = NULL, *colon, *end;
	size_t hl;
	char *pe;
	long port;

	memset(d, 0, sizeof *d);
	if (strncmp(url, "unix:", 5) == 0) {
		const char *p = url + 5;

		/* unix:/path, unix:///path and unix://path all name /path. */
		while (p[0] == '/' && p[1] == '/')
			p++;
		if (p[0] != '/' && strncmp(url + 5, "//", 2) == 0)
			p = url + 6;
		if (p[0] != '/' || strlen(p) >= sizeof d->path) {
			ks_err_set(err, KS_ERR_USAGE, "'%s': a UNIX socket needs an "
				   "absolute path of at most %zu bytes", url,
				   sizeof d->path - 1);
			return -1;
		}
		d->proto = KR_PROTO_UNIX;
		strcpy(d->path, p);
		return 0;
	}
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].scheme);

		if (strncmp(url, schemes[i].scheme, n) == 0) {
			rest = url + n;
			d->proto = schemes[i].proto;
			strcpy(d->port, schemes[i].port);
			break;
		}
	}
	if (rest == NULL) {
		ks_err_set(err, KS_ERR_USAGE, "'%s': want syslog://, udp://, "
			   "tcp://, tls://HOST[:PORT] or unix:PATH", url);
		return -1;
	}
	if (rest[0] == '[') {
		end = strchr(rest, ']');
		if (end == NULL) {
			ks_err_set(err, KS_ERR_USAGE, "'%s': no ']' after the "
				   "IPv6 address", url);
			return -1;
		}
		hl = (size_t)(end - rest - 1);
		memcpy(d->host, rest + 1, hl < sizeof d->host ? hl : 0);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL) {
			ks_err_set(err, KS_ERR_USAGE, "'%s': unexpected text "
				   "after the address", url);
			return -1;
		}
	} else {
		colon = strchr(rest, ':');
		hl = colon != NULL ? (size_t)(colon - rest) : strlen(rest);
		if (hl < sizeof d->host)
			memcpy(d->host, rest, hl);
	}
	if (hl == 0 || hl >= sizeof d->host || strchr(d->host, '/') != NULL) {
		ks_err_set(err, KS_ERR_USAGE, "'%s': no valid host name", url);
		return -1;
	}
	if (colon != NULL) {
		port = strtol(colon + 1, &pe, 10);
		if (pe == colon + 1 || *pe != '\0' || port < 1 || port > 65535) {
			ks_err_set(err, KS_ERR_USAGE, "'%s': the port must be a "
				   "number from 1 to 65535", url);
			return -1;
		}
		snprintf(d->port, sizeof d->port, "%ld", port);
	}
	return 0;
}

void kr_dest_name(const struct kr_dest *d, char *out, size_t cap)
{
	static const char *const names[] = { "syslog", "tcp", "tls", "unix" };

	if (d->proto == KR_PROTO_UNIX)
		snprintf(out, cap, "unix:%s", d->path);
	else if (strchr(d->host, ':') != NULL)
		snprintf(out, cap, "%s://[%s]:%s", names[d->proto], d->host,
			 d->port);
	else
		snprintf(out, cap, "%s://%s:%s", names[d->proto], d->host,
			 d->port);
}

/* ---- TLS ---------------------------------------------------------------------- */

static void ssl_reason(struct ks_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e == 0) {
		ks_err_set(err, KS_ERR_IO, "%s", what);
		return;
	}
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	ks_err_set(err, KS_ERR_IO, "%s: %s", what, buf);
}

SSL_CTX *kr_tls_new(const char *ca, const char *cert, const char *key,
		    struct ks_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		ssl_reason(err, "cannot make a TLS context");
		return NULL;
	}
	/* RFC 5425 asks for TLS 1.2 at least (RFC 9662 updates it). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca != NULL ? SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 :
			 SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ssl_reason(err, ca != NULL ? "cannot load the CA file" :
					     "cannot load the system's CAs");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if ((cert == NULL) != (key == NULL)) {
		ks_err_set(err, KS_ERR_USAGE, "a client certificate needs both "
			   "--cert and --key");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cert != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		ssl_reason(err, "cannot load the client certificate and key");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

void kr_tls_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

/* ---- connections -------------------------------------------------------------- */

void kr_conn_init(struct kr_conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* Close the socket of the current attempt, keeping the address list. */
static void close_attempt(struct kr_conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->ssl_want_write = 0;
	c->state = KR_CONN_CLOSED;
}

void kr_conn_close(struct kr_conn *c)
{
	close_attempt(c);
	if (c->ai != NULL)
		freeaddrinfo(c->ai);
	kr_conn_init(c);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static enum ks_status open_unix(struct kr_conn *c, const struct kr_dest *d,
				struct ks_err *err)
{
	struct sockaddr_un sa;
	int types[] = { SOCK_DGRAM, SOCK_STREAM };

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, d->path, strlen(d->path));
	for (size_t i = 0; i < 2; i++) {
		c->fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return ks_err_sys(err, KS_ERR_IO, errno, "socket");
		nonblock(c->fd);
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			c->dgram = types[i] == SOCK_DGRAM;
			c->state = KR_CONN_UP;
			return KS_OK;
		}
		if (types[i] == SOCK_STREAM &&
		    errno == EINPROGRESS) {
			c->state = KR_CONN_CONNECTING;
			return KS_OK;
		}
		/* A stream socket refuses a datagram connect. */
		if (errno != EPROTOTYPE || i == 1) {
			int e = errno;

			close(c->fd);
			c->fd = -1;
			return ks_err_sys(err, ks_status_from_errno(e), e,
					  "cannot connect to %s", d->path);
		}
		close(c->fd);
		c->fd = -1;
	}
	return KS_ERR_INTERNAL;
}

/* Start a connection to the next resolved address. */
static enum ks_status attempt(struct kr_conn *c, struct ks_err *err)
{
	const struct kr_dest *d = c->dest;
	struct addrinfo *a;
	int rc, one = 1, e = 0;
	unsigned int uto = USER_TIMEOUT_MS;
	unsigned char ip[16];

	while ((a = c->ai_next) != NULL) {
		c->ai_next = a->ai_next;
		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			       a->ai_protocol);
		if (c->fd < 0) {
			e = errno;
			continue;
		}
		nonblock(c->fd);
		if (d->proto != KR_PROTO_UDP) {
			setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one,
				   sizeof one);
			setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto,
				   sizeof uto);
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof one);
		}
		rc = connect(c->fd, a->ai_addr, a->ai_addrlen);
		if (rc != 0 && errno != EINPROGRESS) {
			/* Refused at once (loopback does that): the next
			 * address, say IPv4 after ::1. */
			e = errno;
			close_attempt(c);
			continue;
		}
		break;
	}
	if (a == NULL)
		return ks_err_sys(err, ks_status_from_errno(e ? e : ENOENT),
				  e ? e : ENOENT, "cannot connect to %s port %s",
				  d->host, d->port);
	if (d->proto == KR_PROTO_UDP) {
		c->dgram = 1;
		c->state = KR_CONN_UP;
		return KS_OK;
	}
	c->state = KR_CONN_CONNECTING;
	if (d->proto == KR_PROTO_TLS) {
		c->ssl = SSL_new(c->tls);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
			ssl_reason(err, "cannot start TLS");
			close_attempt(c);
			return KS_ERR_IO;
		}
		/* The server must prove it is HOST: by IP address when HOST
		 * is one, else by DNS name (also sent as SNI). */
		if (inet_pton(AF_INET, d->host, ip) == 1 ||
		    inet_pton(AF_INET6, d->host, ip) == 1) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						      d->host);
		} else {
			SSL_set_tlsext_host_name(c->ssl, d->host);
			SSL_set1_host(c->ssl, d->host);
		}
	}
	return KS_OK;
}

enum ks_status kr_conn_open(struct kr_conn *c, const struct kr_dest *d,
			    SSL_CTX *tls, struct ks_err *err)
{
	struct addrinfo hints;
	int rc;

	kr_conn_init(c);
	c->dest = d;
	c->tls = tls;
	if (d->proto == KR_PROTO_UNIX)
		return open_unix(c, d, err);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = d->proto == KR_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(d->host, d->port, &hints, &c->ai);
	if (rc != 0) {
		c->ai = NULL;
		return ks_err_set(err, KS_ERR_NOTFOUND, "cannot resolve %s: %s",
				  d->host, gai_strerror(rc));
	}
	c->ai_next = c->ai;
	return attempt(c, err);
}

short kr_conn_events(const struct kr_conn *c, int have_data)
{
	switch (c->state) {
	case KR_CONN_CONNECTING:
		return POLLOUT;
	case KR_CONN_HANDSHAKE:
		return c->ssl_want_write ? POLLOUT : POLLIN;
	case KR_CONN_UP:
		return (short)((c->dgram ? 0 : POLLIN) |
			       (have_data || c->ssl_want_write ? POLLOUT : 0));
	default:
		return 0;
	}
}

static enum ks_status handshake(struct kr_conn *c, struct ks_err *err)
{
	int rc = SSL_connect(c->ssl);
	long vr;

	if (rc == 1) {
		c->state = KR_CONN_UP;
		c->ssl_want_write = 0;
		return KS_OK;
	}
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		c->ssl_want_write = 0;
		return KS_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->ssl_want_write = 1;
		return KS_AGAIN;
	default:
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK) {
			ERR_clear_error();
			return ks_err_set(err, KS_ERR_PERM,
					  "the server's certificate is not "
					  "trusted: %s",
					  X509_verify_cert_error_string(vr));
		}
		ssl_reason(err, "TLS handshake failed");
		return KS_ERR_IO;
	}
}

enum ks_status kr_conn_progress(struct kr_conn *c, struct ks_err *err)
{
	int e = 0;
	socklen_t el = sizeof e;

	if (c->state == KR_CONN_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
			e = errno;
		if (e == EINPROGRESS || e == EALREADY)
			return KS_AGAIN;
		if (e != 0) {
			close_attempt(c);
			if (c->ai_next != NULL && attempt(c, NULL) == KS_OK)
				return c->state == KR_CONN_UP ? KS_OK : KS_AGAIN;
			return ks_err_sys(err, ks_status_from_errno(e), e,
					  "cannot connect");
		}
		/* A connect still in progress reports no error either:
		 * only writability says it is done. */
		{
			struct pollfd p = { c->fd, POLLOUT, 0 };

			if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT))
				return KS_AGAIN;
		}
		c->state = c->ssl != NULL ? KR_CONN_HANDSHAKE : KR_CONN_UP;
	}
	if (c->state == KR_CONN_HANDSHAKE)
		return handshake(c, err);
	return c->state == KR_CONN_UP ? KS_OK : KS_AGAIN;
}

enum ks_status kr_conn_write(struct kr_conn *c, const void *p, size_t n,
			     size_t *done, struct ks_err *err)
{
	ssize_t w;

	*done = 0;
	if (c->ssl != NULL) {
		int rc;

		ERR_clear_error();
		rc = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
		if (rc > 0) {
			c->ssl_want_write = 0;
			*done = (size_t)rc;
			c->wire = BIO_number_written(SSL_get_wbio(c->ssl));
			return KS_OK;
		}
		switch (SSL_get_error(c->ssl, rc)) {
		case SSL_ERROR_WANT_WRITE:
			c->ssl_want_write = 1;
			return KS_AGAIN;
		case SSL_ERROR_WANT_READ:
			return KS_AGAIN;
		case SSL_ERROR_SYSCALL:
			return ks_err_sys(err, KS_ERR_IO, errno ? errno : EPIPE,
					  "TLS write failed");
		default:
			ssl_reason(err, "TLS write failed");
			return KS_ERR_IO;
		}
	}
	w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ENOBUFS)
			return KS_AGAIN;
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot send");
	}
	*done = (size_t)w;
	c->wire += (uint64_t)w;
	return KS_OK;
}

enum ks_status kr_conn_read(struct kr_conn *c, struct ks_err *err)
{
	char buf[4096];

	for (;;) {
		ssize_t r;

		if (c->ssl != NULL) {
			int rc = SSL_read(c->ssl, buf, sizeof buf);

			if (rc > 0)
				continue;
			switch (SSL_get_error(c->ssl, rc)) {
			case SSL_ERROR_WANT_READ:
			case SSL_ERROR_WANT_WRITE:
				return KS_OK;
			case SSL_ERROR_ZERO_RETURN:
				return KS_EOF;
			case SSL_ERROR_SYSCALL:
				if (errno == 0)
					return KS_EOF;
				return ks_err_sys(err, KS_ERR_IO, errno,
						  "connection lost");
			default:
				ssl_reason(err, "TLS read failed");
				return KS_ERR_IO;
			}
		}
		r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0)
			continue;
		if (r == 0)
			return KS_EOF;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return KS_OK;
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "connection lost");
	}
}

uint64_t kr_conn_unacked(const struct kr_conn *c)
{
	int q = 0;

	if (c->fd < 0 || c->dgram)
		return 0;
	if (ioctl(c->fd, SIOCOUTQ, &q) != 0 || q < 0)
		return 0;
	return (uint64_t)q;
}

void kr_conn_shutdown(struct kr_conn *c)
{
	if (c->ssl != NULL)
		SSL_shutdown(c->ssl);
	if (c->fd >= 0 && !c->dgram)
		shutdown(c->fd, SHUT_WR);
}
