#include "core/out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void ks_out_fd(struct ks_out *o, int fd, const char *name)
{
	o->fd = fd;
	o->owned = 0;
	o->failed = 0;
	o->bytes = 0;
	snprintf(o->name, sizeof o->name, "%s", name);
	pthread_mutex_init(&o->lock, NULL);
}

enum ks_status ks_out_open(struct ks_out *o, const char *path,
			   struct ks_err *err)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		ks_out_fd(o, STDOUT_FILENO, "stdout");
		return KS_OK;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s for writing", path);
	ks_out_fd(o, fd, path);
	o->owned = 1;
	return KS_OK;
}

enum ks_status ks_out_write(struct ks_out *o, const void *p, size_t n,
			    struct ks_err *err)
{
	const char *c = p;
	enum ks_status st = KS_OK;
	ssize_t k;

	pthread_mutex_lock(&o->lock);
	if (o->failed) {
		st = ks_err_set(err, KS_ERR_IO, "%s: an earlier write failed",
				o->name);
		goto out;
	}
	while (n > 0) {
		k = write(o->fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			o->failed = 1;
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot write to %s", o->name);
			goto out;
		}
		c += k;
		n -= (size_t)k;
		o->bytes += (unsigned long long)k;
	}
out:
	pthread_mutex_unlock(&o->lock);
	return st;
}

enum ks_status ks_out_close(struct ks_out *o, struct ks_err *err)
{
	enum ks_status st = o->failed ? KS_ERR_IO : KS_OK;

	if (o->owned) {
		o->owned = 0;
		if (close(o->fd) != 0 && st == KS_OK)
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot close %s", o->name);
	}
	if (st == KS_ERR_IO && o->failed && err != NULL && err->msg[0] == '\0')
		ks_err_set(err, KS_ERR_IO, "writing to %s failed", o->name);
	o->fd = -1;
	pthread_mutex_destroy(&o->lock);
	return st;
}
