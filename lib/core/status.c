#include "core/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[KS_OK] = "ok",
	[KS_EOF] = "eof",
	[KS_AGAIN] = "again",
	[KS_INTERRUPTED] = "interrupted",
	[KS_ERR_INVALID] = "invalid",
	[KS_ERR_TRUNCATED] = "truncated",
	[KS_ERR_LIMIT] = "limit",
	[KS_ERR_NOMEM] = "nomem",
	[KS_ERR_IO] = "io",
	[KS_ERR_NOTFOUND] = "notfound",
	[KS_ERR_PERM] = "perm",
	[KS_ERR_UNSUPPORTED] = "unsupported",
	[KS_ERR_TIMEOUT] = "timeout",
	[KS_ERR_USAGE] = "usage",
	[KS_ERR_INTERNAL] = "internal",
};

const char *ks_status_name(enum ks_status st)
{
	if ((size_t)st < sizeof names / sizeof names[0] && names[st] != NULL)
		return names[st];
	return "unknown";
}

void ks_err_clear(struct ks_err *err)
{
	if (err == NULL)
		return;
	err->status = KS_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

enum ks_status ks_err_set(struct ks_err *err, enum ks_status st,
			  const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return st;
	err->status = st;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return st;
}

enum ks_status ks_err_sys(struct ks_err *err, enum ks_status st, int errnum,
			  const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL)
		return st;
	err->status = st;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - n, ": %s",
			 strerror(errnum));
	return st;
}

void ks_err_prefix(struct ks_err *err, const char *fmt, ...)
{
	char head[KS_ERR_MSG_MAX];
	size_t hn, mn;
	va_list ap;
	int n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	hn = strlen(head);
	if (hn >= sizeof err->msg - 1)
		hn = sizeof err->msg - 1;
	mn = strnlen(err->msg, sizeof err->msg - 1);
	if (hn + mn > sizeof err->msg - 1)
		mn = sizeof err->msg - 1 - hn;
	memmove(err->msg + hn, err->msg, mn);
	memcpy(err->msg, head, hn);
	err->msg[hn + mn] = '\0';
}

enum ks_status ks_status_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return KS_ERR_NOTFOUND;
	case EACCES:
	case EPERM:
		return KS_ERR_PERM;
	case ENOMEM:
		return KS_ERR_NOMEM;
	case EINTR:
		return KS_INTERRUPTED;
	case EAGAIN:
		return KS_AGAIN;
	case ETIMEDOUT:
		return KS_ERR_TIMEOUT;
	case EINVAL:
		return KS_ERR_USAGE;
	default:
		return KS_ERR_IO;
	}
}
