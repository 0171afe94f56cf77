#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "report/conn.h"
#include "report/eve.h"
#include "report/relay.h"
#include "unit.h"

TEST(report_relay_destinations_parse)
{
	static const struct {
		const char *url;
		int ok;
		enum kr_proto proto;
		const char *host, *port, *path;
	} t[] = {
		{ "syslog://10.0.0.1", 1, KR_PROTO_UDP, "10.0.0.1", "514", "" },
		{ "udp://h:99", 1, KR_PROTO_UDP, "h", "99", "" },
		{ "tcp://logs.example:601", 1, KR_PROTO_TCP, "logs.example", "601",
		  "" },
		{ "tls://logs.example", 1, KR_PROTO_TLS, "logs.example", "6514", "" },
		{ "tls://[2001:db8::1]:6515", 1, KR_PROTO_TLS, "2001:db8::1", "6515",
		  "" },
		{ "unix:/dev/log", 1, KR_PROTO_UNIX, "", "", "/dev/log" },
		{ "unix:///run/s.sock", 1, KR_PROTO_UNIX, "", "", "/run/s.sock" },
		{ "unix://run/s.sock", 1, KR_PROTO_UNIX, "", "", "/run/s.sock" },
		{ "unix:rel", 0, 0, NULL, NULL, NULL },
		{ "http://x", 0, 0, NULL, NULL, NULL },
		{ "tcp://", 0, 0, NULL, NULL, NULL },
		{ "tcp://h:0", 0, 0, NULL, NULL, NULL },
		{ "tcp://h:65536", 0, 0, NULL, NULL, NULL },
		{ "tcp://h:12x", 0, 0, NULL, NULL, NULL },
		{ "tcp://[::1", 0, 0, NULL, NULL, NULL },
		{ "tcp://h/path", 0, 0, NULL, NULL, NULL },
	};
	struct kr_dest d;
	struct ks_err err;
	char name[300];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = kr_dest_parse(t[i].url, &d, &err);

		if ((rc == 0) != t[i].ok) {
			ut_fail(__FILE__, __LINE__, "%s: %s", t[i].url,
				rc ? err.msg : "accepted");
			continue;
		}
		if (!t[i].ok)
			continue;
		CHECK_INT(d.proto, t[i].proto);
		CHECK_STR(d.host, t[i].host);
		CHECK_STR(d.port, t[i].port);
		CHECK_STR(d.path, t[i].path);
	}
	kr_dest_parse("tls://[2001:db8::1]:6515", &d, &err);
	kr_dest_name(&d, name, sizeof name);
	CHECK_STR(name, "tls://[2001:db8::1]:6515");
}

TEST(report_eve_passes_network_records_and_checks_their_types)
{
	static const struct {
		const char *line;
		enum ks_status st;
		const char *out;   /* with st == KS_OK */
	} t[] = {
		{ "{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
		  "\"alert\",\"program\":\"knetscan\",\"vm\":\"w\",\"src_ip\":\"1.2.3.4\","
		  "\"src_port\":1,\"alert\":{\"signature_id\":5,\"signature\":\"s\"}}",
		  KS_OK,
		  "{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
		  "\"alert\",\"src_ip\":\"1.2.3.4\",\"src_port\":1,\"alert\":"
		  "{\"signature_id\":5,\"signature\":\"s\"}}\n" },
		/* Bytes pass through as they were written, escapes included. */
		{ "{\"timestamp\":\"2026-11-26T09:00:00.1+0100\",\"event_type\":"
		  "\"http\",\"http\":{\"url\":\"/\\u00e9\\udce9\"}}", KS_OK,
		  "{\"timestamp\":\"2026-11-26T09:00:00.1+0100\",\"event_type\":"
		  "\"http\",\"http\":{\"url\":\"/\\u00e9\\udce9\"}}\n" },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
		  "\"file\",\"file\":{\"path\":\"/x\"}}", KS_ERR_UNSUPPORTED, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.000000+0000\",\"event_type\":"
		  "\"stats\",\"stats\":{}}", KS_ERR_UNSUPPORTED, NULL },
		{ "{\"timestamp\":\"2026-11-26 09:00:00\",\"event_type\":\"alert\"}",
		  KS_ERR_INVALID, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"alert\",\"src_port\":\"80\"}", KS_ERR_INVALID, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"alert\",\"dest_port\":70000}", KS_ERR_INVALID, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"alert\",\"alert\":{\"severity\":\"high\"}}", KS_ERR_INVALID,
		  NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"alert\",\"alert\":{\"mood\":1}}", KS_ERR_INVALID, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"dns\",\"dns\":{\"rrname\":\"x\"}}", KS_ERR_INVALID, NULL },
		{ "{\"timestamp\":\"2026-11-26T09:00:00.0+0000\",\"event_type\":"
		  "\"flow\",\"flow\":[]}", KS_ERR_INVALID, NULL },
	};
	struct kr_jdoc d;
	struct kr_event e;
	struct kr_eve_info info;
	struct ks_buf b;
	struct ks_err err;

	kr_jdoc_init(&d);
	kr_event_init(&e);
	ks_buf_init(&b, KS_BUF_UNLIMITED);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		enum ks_status st;

		REQUIRE(kr_jdoc_parse(&d, t[i].line, strlen(t[i].line), &err) ==
			KS_OK);
		kr_event_from_doc(&e, &d, t[i].line, strlen(t[i].line), "-", 1);
		ks_buf_reset(&b);
		st = kr_eve_format(&b, &e, &info, &err);
		if (st != t[i].st)
			ut_fail(__FILE__, __LINE__, "case %zu: %s (%s)", i,
				ks_status_name(st), st ? err.msg : "");
		else if (st == KS_OK)
			CHECK_STR((char *)b.data, t[i].out);
		else
			CHECK_INT(b.len, 0);
	}
	/* What was left out is said. */
	REQUIRE(kr_jdoc_parse(&d, t[0].line, strlen(t[0].line), &err) == KS_OK);
	kr_event_from_doc(&e, &d, t[0].line, strlen(t[0].line), "-", 1);
	ks_buf_reset(&b);
	REQUIRE(kr_eve_format(&b, &e, &info, &err) == KS_OK);
	CHECK_INT(info.nstripped, 2);
	CHECK_MEM(info.stripped[0].p, info.stripped[0].n, "program", 7);
	CHECK_MEM(info.stripped[1].p, info.stripped[1].n, "vm", 2);
	kr_event_free(&e);
	kr_jdoc_free(&d);
	ks_buf_free(&b);
}

/* ---- the relay against a server in this process ----------------------------- */

struct server {
	int lfd, cfd;
	int port;
	char buf[1 << 20];
	size_t len;
	int seen[1000];      /* how often each message number arrived */
	size_t frames;
	int bad;             /* a frame that was not "LEN SP MSG" */
	int conns;
};

static void srv_listen(struct server *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)s->port);
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(s->lfd, 4) != 0)
		ut_fail(__FILE__, __LINE__, "listen: %s", strerror(errno));
	getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
	s->port = ntohs(sa.sin_port);
}

/* Take the complete frames out of the buffer. */
static void srv_frames(struct server *s)
{
	size_t off = 0;

	for (;;) {
		size_t n = 0, k = off;
		int num;

		while (k < s->len && s->buf[k] >= '0' && s->buf[k] <= '9')
			n = n * 10 + (size_t)(s->buf[k++] - '0');
		if (k >= s->len)
			break;
		if (k == off || s->buf[k] != ' ') {
			s->bad++;
			s->len = 0;
			return;
		}
		if (k + 1 + n > s->len)
			break;
		if (sscanf(s->buf + k + 1, "msg-%d", &num) == 1 && num >= 0 &&
		    num < 1000)
			s->seen[num]++;
		else
			s->bad++;
		s->frames++;
		off = k + 1 + n;
	}
	memmove(s->buf, s->buf + off, s->len - off);
	s->len -= off;
}

/* Run the relay and the server until `until` says stop or max_ms pass.
 * close_after: drop the server's connection after that many frames. */
static void run(struct kr_relay *r, struct server *s,
		int (*until)(struct kr_relay *, struct server *),
		size_t close_after, unsigned max_ms)
{
	uint64_t end = ks_mono_usec() + max_ms * 1000ull;

	while (!until(r, s) && ks_mono_usec() < end) {
		struct pollfd p[3];
		short ev = 0;
		int n = 0, rfd = kr_relay_pollfd(r, &ev), t = kr_relay_timeout(r);
		int ri = -1;

		if (rfd >= 0) {
			p[n] = (struct pollfd){ rfd, ev, 0 };
			ri = n++;
		}
		if (s->lfd >= 0)
			p[n++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		if (s->cfd >= 0)
			p[n++] = (struct pollfd){ s->cfd, POLLIN, 0 };
		poll(p, (nfds_t)n, t < 0 || t > 20 ? 20 : t);
		if (s->lfd >= 0) {
			int c = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK);

			if (c >= 0) {
				if (s->cfd >= 0)
					close(s->cfd);
				s->cfd = c;
				s->len = 0;
				s->conns++;
			}
		}
		if (s->cfd >= 0) {
			/* A slow reader: data waits in the socket. */
			ssize_t k = read(s->cfd, s->buf + s->len, 997);

			if (k > 0) {
				s->len += (size_t)k;
				srv_frames(s);
			} else if (k == 0) {
				close(s->cfd);
				s->cfd = -1;
			}
			if (close_after && s->frames >= close_after &&
			    s->cfd >= 0) {
				close(s->cfd);
				s->cfd = -1;
				close_after = 0;
			}
		}
		kr_relay_step(r, ri >= 0 ? p[ri].revents : 0);
	}
}

static int relay_done(struct kr_relay *r, struct server *s)
{
	(void)s;
	return kr_relay_done(r);
}

static struct kr_relay *open_relay(const char *dir, int port)
{
	struct kr_relay_opts o;
	struct kr_relay *r;
	struct ks_err err;
	char url[64];

	memset(&o, 0, sizeof o);
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
	if (kr_dest_parse(url, &o.dest, &err) != 0)
		return NULL;
	o.spool_dir = dir;
	o.spool_max = 1 << 20;
	o.policy = KR_SPOOL_BLOCK;
	o.backoff_max_ms = 200;
	o.settle_ms = 100;
	if (kr_relay_open(&r, &o, &err) != KS_OK) {
		ut_fail(__FILE__, __LINE__, "%s", err.msg);
		return NULL;
	}
	return r;
}

static void submit(struct kr_relay *r, int from, int to)
{
	char m[64];
	struct ks_err err;

	for (int i = from; i < to; i++) {
		int n = snprintf(m, sizeof m, "msg-%d with some text", i);

		if (kr_relay_submit(r, m, (size_t)n, &err) != KS_OK)
			ut_fail(__FILE__, __LINE__, "%s", err.msg);
	}
	kr_relay_flush(r);
}

TEST(report_relay_delivers_in_order_with_octet_counting_and_resends_after_a_drop)
{
	char tmpl[] = "/tmp/kr-relay-XXXXXX", *dir = mkdtemp(tmpl);
	struct server *s = calloc(1, sizeof *s);
	struct kr_relay *r;
	struct kr_relay_stats st;
	struct ks_err err;
	char cmd[128];

	REQUIRE(dir != NULL && s != NULL);
	s->cfd = -1;
	srv_listen(s);
	r = open_relay(dir, s->port);
	REQUIRE(r != NULL);
	submit(r, 0, 200);
	/* The server drops the connection after 50 frames: the relay comes
	 * back and sends what was not delivered again. */
	kr_relay_finish(r);
	run(r, s, relay_done, 50, 5000);
	CHECK(kr_relay_done(r));
	CHECK_INT(s->bad, 0);
	CHECK(s->conns >= 2);
	for (int i = 0; i < 200; i++)
		if (s->seen[i] == 0)
			ut_fail(__FILE__, __LINE__, "message %d never arrived", i);
	kr_relay_stats(r, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.submitted, 200);
	CHECK_INT(st.delivered, 200);
	CHECK_INT(kr_relay_close(r, &err), KS_OK);
	close(s->lfd);
	if (s->cfd >= 0)
		close(s->cfd);
	free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

static int all_arrived(struct kr_relay *r, struct server *s)
{
	(void)r;
	for (int i = 0; i < 100; i++)
		if (s->seen[i] == 0)
			return 0;
	return 1;
}

TEST(report_relay_waits_for_a_server_that_is_down_and_keeps_everything)
{
	char tmpl[] = "/tmp/kr-relay-XXXXXX", *dir = mkdtemp(tmpl);
	struct server *s = calloc(1, sizeof *s);
	struct kr_relay *r;
	struct kr_relay_stats st;
	struct ks_err err;
	char cmd[128];
	int port;

	REQUIRE(dir != NULL && s != NULL);
	s->cfd = -1;
	/* A port with nobody listening on it. */
	srv_listen(s);
	port = s->port;
	close(s->lfd);
	s->lfd = -1;
	r = open_relay(dir, port);
	REQUIRE(r != NULL);
	submit(r, 0, 60);
	run(r, s, all_arrived, 0, 700);   /* refused connections... */
	CHECK_INT(s->frames, 0);
	kr_relay_stats(r, &st);
	CHECK_INT(st.pending, 60);
	/* ...then the process ends: the spool keeps them. */
	CHECK_INT(kr_relay_close(r, &err), KS_OK);
	/* The next run, with the server up, sends them first. */
	srv_listen(s);
	REQUIRE(s->port == port);
	r = open_relay(dir, port);
	REQUIRE(r != NULL);
	submit(r, 60, 100);
	kr_relay_finish(r);
	run(r, s, relay_done, 0, 5000);
	CHECK(all_arrived(r, s));
	for (int i = 1; i < 100; i++)
		CHECK(s->seen[i] == 1);
	kr_relay_stats(r, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(kr_relay_close(r, &err), KS_OK);
	close(s->lfd);
	if (s->cfd >= 0)
		close(s->cfd);
	free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}
