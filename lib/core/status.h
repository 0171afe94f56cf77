/*
 * Status codes and the caller-owned error buffer shared by every module.
 *
 * A library function returns an enum ks_status.  When it fails it may also
 * write a one-line explanation into a struct ks_err that the caller owns;
 * passing NULL for the buffer is always allowed and only loses the text.
 * Nothing in lib/ prints or exits: the tools decide what to show.
 */
#ifndef KS_CORE_STATUS_H
#define KS_CORE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

enum ks_status {
	KS_OK = 0,
	KS_EOF,             /* end of input: not an error */
	KS_AGAIN,           /* no complete unit yet; feed more input */
	KS_INTERRUPTED,     /* a signal interrupted a blocking call */
	KS_ERR_INVALID,     /* the input breaks its format */
	KS_ERR_TRUNCATED,   /* the input ends before its format says it should */
	KS_ERR_LIMIT,       /* a configured cap was hit */
	KS_ERR_NOMEM,       /* an allocation failed */
	KS_ERR_IO,          /* a system call on a file, pipe or socket failed */
	KS_ERR_NOTFOUND,    /* a named object does not exist */
	KS_ERR_PERM,        /* permission denied */
	KS_ERR_UNSUPPORTED, /* valid input that this program does not handle */
	KS_ERR_TIMEOUT,     /* a deadline passed */
	KS_ERR_USAGE,       /* the caller passed a bad argument or setting */
	KS_ERR_INTERNAL     /* a bug: an invariant did not hold */
};

/* Short stable name of a status ("invalid", "limit", ...), never NULL. */
const char *ks_status_name(enum ks_status st);

/* True for the statuses that mean something went wrong. */
static inline int ks_failed(enum ks_status st)
{
	return st >= KS_ERR_INVALID;
}

#define KS_ERR_MSG_MAX 512

/*
 * Caller-owned error detail.  `msg` is always NUL-terminated after any
 * ks_err_* call; `sys_errno` is the errno that caused the failure or 0.
 */
struct ks_err {
	enum ks_status status;
	int sys_errno;
	char msg[KS_ERR_MSG_MAX];
};

void ks_err_clear(struct ks_err *err);

/* Record `st` with a printf-style message; returns `st` so callers can
 * write `return ks_err_set(err, KS_ERR_INVALID, "...")`.  `err` may be NULL. */
enum ks_status ks_err_set(struct ks_err *err, enum ks_status st,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, appending ": strerror(errnum)" and keeping errnum. */
enum ks_status ks_err_sys(struct ks_err *err, enum ks_status st, int errnum,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prefix the existing message with more context ("file.yar: " + msg). */
void ks_err_prefix(struct ks_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Map an errno value to the closest status. */
enum ks_status ks_status_from_errno(int errnum);

#endif
