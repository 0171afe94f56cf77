#define _GNU_SOURCE 1
#include "net/cap.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kn_cap {
	pcap_t *p;
	FILE *fp;            /* the cookie stream libpcap reads, or NULL */
	int fd;              /* the input descriptor, for the copy */
	int copy_fd;
	int own_fd;
	int copy_failed;
	int live_fd;         /* live capture: the descriptor to wait on, or -1 */
	int no_wait;         /* a bridge port: the caller waits (kn_cap_wait) */
	char name[256];
};

/* ---- the copying stream ---------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
	struct kn_cap *c = cookie;
	ssize_t k;

	do
		k = read(c->fd, buf, size);
	while (k < 0 && errno == EINTR);
	if (k > 0 && c->copy_fd >= 0 && !c->copy_failed &&
	    write_all(c->copy_fd, buf, (size_t)k) != 0)
		c->copy_failed = 1;
	return k;
}

static int cookie_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* ---- opening ---------------------------------------------------------------- */

static struct kn_cap *new_cap(const char *name)
{
	struct kn_cap *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->fd = -1;
	c->copy_fd = -1;
	c->live_fd = -1;
	snprintf(c->name, sizeof c->name, "%s", name);
	return c;
}

static void free_cap(struct kn_cap *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);   /* closes fp too */
	else if (c->fp != NULL)
		fclose(c->fp);
	if (c->own_fd && c->fd >= 0)
		close(c->fd);
	free(c);
}

enum ks_status kn_cap_open_file(struct kn_cap **out, const char *path,
				int copy_fd, struct ks_err *err)
{
	struct kn_cap *c = new_cap(strcmp(path, "-") == 0 ? "stdin" : path);
	cookie_io_functions_t io = { cookie_read, NULL, NULL, cookie_close };
	char ebuf[PCAP_ERRBUF_SIZE];

	*out = NULL;
	if (c == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	if (strcmp(path, "-") == 0) {
		c->fd = STDIN_FILENO;
	} else {
		c->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (c->fd < 0) {
			int e = errno;

			free_cap(c);
			return ks_err_sys(err, ks_status_from_errno(e), e,
					  "cannot open %s", path);
		}
		c->own_fd = 1;
	}
	c->copy_fd = copy_fd;
	/* libpcap reads through our stream: the copy sees every byte. */
	c->fp = fopencookie(c, "r", io);
	if (c->fp == NULL) {
		free_cap(c);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	ebuf[0] = '\0';
	c->p = pcap_fopen_offline_with_tstamp_precision(
		c->fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (c->p == NULL) {
		enum ks_status st;

		st = ks_err_set(err, strstr(ebuf, "truncated") ? KS_ERR_TRUNCATED :
						KS_ERR_INVALID,
				"%s: not a capture file libpcap can read: %s",
				c->name, ebuf);
		/* libpcap closed nothing on failure; the copy must still be
		 * whole in monitoring mode. */
		kn_cap_close(c, NULL);
		return st;
	}
	*out = c;
	return KS_OK;
}

/* A live capture: immediate, non-blocking, promiscuous or not; with
 * in_only, only the frames that arrive on the interface. */
static enum ks_status open_live(struct kn_cap **out, const char *ifname,
				int snaplen, int promisc, int in_only,
				const char *filter, struct ks_err *err)
{
	struct kn_cap *c = new_cap(ifname);
	char ebuf[PCAP_ERRBUF_SIZE];
	int rc;

	*out = NULL;
	if (c == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	c->p = pcap_create(ifname, ebuf);
	if (c->p == NULL) {
		free_cap(c);
		return ks_err_set(err, KS_ERR_IO, "%s: %s", ifname, ebuf);
	}
	pcap_set_snaplen(c->p, snaplen > 0 ? snaplen : 262144);
	pcap_set_promisc(c->p, promisc);
	pcap_set_timeout(c->p, 100);
	pcap_set_immediate_mode(c->p, 1);
	rc = pcap_activate(c->p);
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
		free_cap(c);
		return ks_err_set(err, KS_ERR_NOTFOUND, "%s: no such interface",
				  ifname);
	}
	if (rc < 0) {
		ks_err_set(err, rc == PCAP_ERROR_PERM_DENIED ? KS_ERR_PERM :
							      KS_ERR_IO,
			   "%s: %s", ifname, pcap_geterr(c->p));
		free_cap(c);
		return err != NULL ? err->status : KS_ERR_IO;
	}
	/* A bridge port must not read back the frames sent out of it. */
	if (in_only && pcap_setdirection(c->p, PCAP_D_IN) != 0) {
		ks_err_set(err, KS_ERR_UNSUPPORTED, "%s: cannot capture only "
			   "the frames that arrive: %s", ifname,
			   pcap_geterr(c->p));
		free_cap(c);
		return err != NULL ? err->status : KS_ERR_UNSUPPORTED;
	}
	/* In immediate mode libpcap's own wait has no timeout and resumes
	 * after a signal: read without blocking and wait here, waking up at
	 * least every 100 ms to see signals and timers. */
	c->live_fd = pcap_get_selectable_fd(c->p);
	if (c->live_fd < 0 || pcap_setnonblock(c->p, 1, ebuf) != 0) {
		ks_err_set(err, KS_ERR_IO, "%s: cannot read without blocking",
			   ifname);
		free_cap(c);
		return err != NULL ? err->status : KS_ERR_IO;
	}
	if (filter != NULL && kn_cap_filter(c, filter, err) != KS_OK) {
		free_cap(c);
		return err != NULL ? err->status : KS_ERR_USAGE;
	}
	*out = c;
	return KS_OK;
}

enum ks_status kn_cap_open_live(struct kn_cap **out, const char *ifname,
				int snaplen, int promisc, const char *filter,
				struct ks_err *err)
{
	return open_live(out, ifname, snaplen, promisc, 0, filter, err);
}

enum ks_status kn_cap_open_port(struct kn_cap **out, const char *ifname,
				struct ks_err *err)
{
	enum ks_status st = open_live(out, ifname, 262144, 1, 1, NULL, err);

	if (st != KS_OK)
		return st;
	/* The frame goes out of the other port as it came in: an Ethernet
	 * frame, link-layer header included. */
	if (pcap_datalink((*out)->p) != DLT_EN10MB) {
		ks_err_set(err, KS_ERR_UNSUPPORTED, "%s: not an Ethernet "
			   "interface (link type %s): cannot bridge it", ifname,
			   pcap_datalink_val_to_name(pcap_datalink((*out)->p)) ?
			   pcap_datalink_val_to_name(pcap_datalink((*out)->p)) :
			   "unknown");
		free_cap(*out);
		*out = NULL;
		return KS_ERR_UNSUPPORTED;
	}
	(*out)->no_wait = 1;
	return KS_OK;
}

void kn_cap_wait(struct kn_cap *const *c, size_t n, int timeout_ms)
{
	struct pollfd pf[KN_CAP_WAIT_MAX];
	size_t k = 0;

	for (size_t i = 0; i < n && k < KN_CAP_WAIT_MAX; i++)
		if (c[i] != NULL && c[i]->live_fd >= 0)
			pf[k++] = (struct pollfd){ .fd = c[i]->live_fd,
						   .events = POLLIN };
	/* EINTR too: the caller looks at the signals. */
	(void)poll(pf, k, timeout_ms);
}

enum ks_status kn_cap_inject(struct kn_cap *c, const uint8_t *frame,
			     size_t len, struct ks_err *err)
{
	int k;

	do
		k = pcap_inject(c->p, frame, len);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return ks_err_set(err, KS_ERR_IO, "%s: cannot send a frame of "
				  "%zu bytes: %s", c->name, len,
				  pcap_geterr(c->p));
	if ((size_t)k != len)
		return ks_err_set(err, KS_ERR_IO, "%s: sent %d bytes of a "
				  "frame of %zu", c->name, k, len);
	return KS_OK;
}

uint64_t kn_cap_kernel_drops(struct kn_cap *c)
{
	struct pcap_stat ps;

	if (c == NULL || c->live_fd < 0 || pcap_stats(c->p, &ps) != 0)
		return 0;
	return (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

enum ks_status kn_cap_filter(struct kn_cap *c, const char *filter,
			     struct ks_err *err)
{
	struct bpf_program prog;

	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return ks_err_set(err, KS_ERR_USAGE, "filter '%s': %s", filter,
				  pcap_geterr(c->p));
	if (pcap_setfilter(c->p, &prog) != 0) {
		pcap_freecode(&prog);
		return ks_err_set(err, KS_ERR_IO, "filter '%s': %s", filter,
				  pcap_geterr(c->p));
	}
	pcap_freecode(&prog);
	return KS_OK;
}

int kn_cap_linktype(const struct kn_cap *c)
{
	return pcap_datalink(c->p);
}

int kn_cap_snaplen(const struct kn_cap *c)
{
	return pcap_snapshot(c->p);
}

const char *kn_cap_name(const struct kn_cap *c)
{
	return c->name;
}

enum ks_status kn_cap_next(struct kn_cap *c, struct pcap_pkthdr **h,
			   const uint8_t **data, struct ks_err *err)
{
	int rc = pcap_next_ex(c->p, h, data);
	const char *msg;

	switch (rc) {
	case 1:
		return KS_OK;
	case 0:
		if (c->live_fd >= 0 && !c->no_wait) {
			struct pollfd pf = { .fd = c->live_fd, .events = POLLIN };

			/* EINTR too: the caller looks at the signals. */
			(void)poll(&pf, 1, 100);
		}
		return KS_AGAIN;
	case PCAP_ERROR_BREAK:
		return KS_EOF;
	default:
		msg = pcap_geterr(c->p);
		/* libpcap reports a file cut inside a record as "truncated
		 * dump file" and a record whose length it refuses as
		 * "invalid"/"bogus"/"larger than". */
		if (strstr(msg, "truncated") != NULL)
			return ks_err_set(err, KS_ERR_TRUNCATED, "%s: %s",
					  c->name, msg);
		if (strstr(msg, "invalid") != NULL || strstr(msg, "bogus") != NULL ||
		    strstr(msg, "larger than") != NULL ||
		    strstr(msg, "too big") != NULL)
			return ks_err_set(err, KS_ERR_INVALID, "%s: %s", c->name,
					  msg);
		return ks_err_set(err, KS_ERR_IO, "%s: %s", c->name, msg);
	}
}

enum ks_status kn_cap_close(struct kn_cap *c, struct ks_err *err)
{
	enum ks_status st = KS_OK;

	if (c == NULL)
		return KS_OK;
	/* The rest of the input, after what libpcap read, goes into the
	 * copy as well. */
	if (c->copy_fd >= 0 && c->fd >= 0) {
		char buf[65536];
		ssize_t k;

		if (c->fp != NULL && c->p == NULL) {
			/* Opening failed: libpcap read through fp, whose
			 * buffer may hold bytes already copied; nothing to
			 * add from it. */
		}
		while ((k = read(c->fd, buf, sizeof buf)) != 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				break;
			if (!c->copy_failed && write_all(c->copy_fd, buf, (size_t)k) != 0)
				c->copy_failed = 1;
		}
		if (c->copy_failed)
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot write the copy of %s", c->name);
	}
	free_cap(c);
	return st;
}

enum ks_status kn_drop_privileges(const char *user, struct ks_err *err)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return ks_err_set(err, KS_ERR_NOTFOUND, "no user '%s'", user);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return ks_err_sys(err, KS_ERR_PERM, errno,
				  "cannot become user %s", user);
	/* Make sure it stuck: root must not come back. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		return ks_err_set(err, KS_ERR_PERM, "still root after "
				  "switching to %s", user);
	return KS_OK;
}

/* ---- the output -------------------------------------------------------------- */

struct kn_dump {
	pcap_t *dead;
	pcap_dumper_t *d;
	char name[256];
};

enum ks_status kn_dump_open(struct kn_dump **out, const char *path,
			    int linktype, int snaplen, struct ks_err *err)
{
	struct kn_dump *d = calloc(1, sizeof *d);

	*out = NULL;
	if (d == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	snprintf(d->name, sizeof d->name, "%s", strcmp(path, "-") ? path : "stdout");
	d->dead = pcap_open_dead_with_tstamp_precision(
		linktype, snaplen > 0 ? snaplen : 262144,
		PCAP_TSTAMP_PRECISION_MICRO);
	if (d->dead == NULL) {
		free(d);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	d->d = pcap_dump_open(d->dead, path);
	if (d->d == NULL) {
		ks_err_set(err, KS_ERR_IO, "cannot write %s: %s", d->name,
			   pcap_geterr(d->dead));
		pcap_close(d->dead);
		free(d);
		return KS_ERR_IO;
	}
	*out = d;
	return KS_OK;
}

enum ks_status kn_dump_packet(struct kn_dump *d, const struct pcap_pkthdr *h,
			      const uint8_t *data, struct ks_err *err)
{
	pcap_dump((u_char *)d->d, h, data);
	if (ferror(pcap_dump_file(d->d)))
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot write %s",
				  d->name);
	return KS_OK;
}

enum ks_status kn_dump_close(struct kn_dump *d, struct ks_err *err)
{
	enum ks_status st = KS_OK;

	if (d == NULL)
		return KS_OK;
	if (pcap_dump_flush(d->d) != 0 || ferror(pcap_dump_file(d->d)))
		st = ks_err_sys(err, KS_ERR_IO, errno, "cannot write %s", d->name);
	pcap_dump_close(d->d);
	pcap_close(d->dead);
	free(d);
	return st;
}
