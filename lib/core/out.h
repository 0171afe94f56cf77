/*
 * An output sink over a file descriptor: the one place where records leave
 * the process.
 *
 * ks_out_write writes everything or fails; a closed pipe (EPIPE, with
 * SIGPIPE ignored) or a full disk is a KS_ERR_IO that the tool turns into
 * exit status 2.  A sink may be shared by worker threads: each write of a
 * whole record is done under the sink's lock, so records never interleave.
 * The sink owns its descriptor when it opened it (ks_out_open with a path)
 * and closes it in ks_out_close, whose result must be checked: NFS and
 * some file systems report write errors only at close.
 */
#ifndef KS_CORE_OUT_H
#define KS_CORE_OUT_H

#include <pthread.h>
#include <stddef.h>

#include "core/status.h"

struct ks_out {
	int fd;
	int owned;          /* close fd in ks_out_close */
	int failed;         /* a write failed: later writes fail at once */
	char name[256];     /* for messages: the path or "stdout" */
	pthread_mutex_t lock;
	unsigned long long bytes;
};

/* Open `path` for writing (created 0644, truncated); NULL or "-" is stdout. */
enum ks_status ks_out_open(struct ks_out *o, const char *path,
			   struct ks_err *err);

/* Wrap a descriptor the caller keeps owning. */
void ks_out_fd(struct ks_out *o, int fd, const char *name);

/* Write all of p[0..n) as one unit. */
enum ks_status ks_out_write(struct ks_out *o, const void *p, size_t n,
			    struct ks_err *err);

/* Close (when owned) and report any error; safe on a zeroed sink. */
enum ks_status ks_out_close(struct ks_out *o, struct ks_err *err);

#endif
