/*
 * The quarantine store (file/quarantine.h).
 *
 * The metadata file ID.json is one line: a JSON object ending in "\n",
 * written through the project's JSON writer so that a path which is not
 * UTF-8 or holds a newline survives byte for byte (\udcXX escapes, see
 * json/escape.h).  Its members, in the order written:
 *
 *   "id"        the entry's id (kf_quar_id_valid)
 *   "path"      the original path, a non-empty string without NUL
 *   "size"      bytes, an integer 0..2^63-1
 *   "sha256"    64 hex digits (written lowercase, read in either case)
 *   "uid","gid" integers that fit uid_t and gid_t
 *   "mode"      st_mode as a decimal integer; it must be a regular file's
 *               (S_IFREG plus permission bits, nothing else)
 *   "atime","mtime"  objects {"sec":integer,"nsec":0..999999999}
 *   "dev","ino" integers 0..2^64-1
 *   "detection" string; "vm" string or null
 *   "reason"    "quarantine" or "disinfect-backup"
 *   "when"      EVE timestamp (core/timefmt.h), years 0000..9999
 *
 * A reader refuses a missing member and any member of the wrong type or out
 * of range, and ignores members it does not know.  kf_quar_meta_format
 * returns a malloc'ed, NUL-terminated line (free() it); it refuses, with
 * KS_ERR_USAGE, a struct that the parser would not read back the same.
 * On failure kf_quar_meta_parse leaves *m zeroed.
 *
 * Two kinds of marker file sit beside the entries, so that recovery knows
 * what an interrupted operation meant to do:
 *
 *   ID.pending   created by kf_quar_put before the renames when the
 *                original is to be removed, and removed after the unlink.
 *                Only an entry with this marker has its original unlinked
 *                by recovery: an entry made without remove_original, or
 *                restored with KF_QUAR_KEEP, shares its content (and maybe
 *                its inode number, which file systems reuse) with a file
 *                the user keeps, and recovery must never touch that.
 *   ID.restore   holds the path of the temporary file kf_quar_restore
 *                creates beside the target (".kfquar-ID-" + 16 hex
 *                digits); written and synced before that file is created,
 *                removed when the restore ends.  Recovery removes the
 *                temporary file it names (only a name of that form), so no
 *                copy of a quarantined file is left in a user's directory.
 *
 * A lone ID.data (no ID.json) is an entry whose second rename never
 * happened (put renames the data first) or whose deletion stopped half way
 * (delete removes the metadata first); in both cases the file is
 * elsewhere, and recovery removes it.
 *
 * Several processes may open one store.  Each holds a shared flock() on
 * the directory while it has the store open; kf_quar_open recovers only
 * when it can take the lock exclusively, that is when no other process is
 * in the middle of a move whose temporary files recovery would remove.
 * Within a process, the functions may be called from several threads at
 * once: they share only the directory descriptor.
 *
 * Besides the SHA-256 the caller scanned, kf_quar_put compares the size and
 * mtime of a fstat made after the copy with `st`: a file written to while
 * it was copied is refused as changed, like one whose content differs.
 *
 * An original path is recorded as given; a relative one is resolved against
 * the working directory of whoever restores or recovers it.
 *
 * kf_quar_list stops early, returning KS_OK, when the callback returns
 * non-zero.
 */
#include "file/quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fault.h"
#include "json/reader.h"
#include "json/writer.h"

#define META_MAX (1u << 20)        /* largest metadata file, in bytes */
#define COPY_CHUNK (128u << 10)
#define NAMES_MAX (1u << 24)       /* files in the store we will look at */
#define MARK_MAX 65536             /* largest ID.restore content */
#define NAME_LEN 64                /* room for "tmp-" ID ".restore" */
#define RESTORE_PREFIX ".kfquar-"
#define RESTORE_TMP_LEN (sizeof RESTORE_PREFIX - 1 + KF_QUAR_ID_LEN + 1 + 16)

/* The range of years 0000..9999 that ks_time_format writes unclamped. */
#define WHEN_MIN (-62167219200LL)
#define WHEN_MAX (253402300799LL)

struct kf_quar {
	int dirfd;
};

/* ---- small helpers ---------------------------------------------------- */

static void entry_name(char out[NAME_LEN], const char *pre, const char *id,
		       const char *suf)
{
	snprintf(out, NAME_LEN, "%s%s%s", pre, id, suf);
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int random_bytes(uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static int reason_valid(const char *r)
{
	return r != NULL && (strcmp(r, "quarantine") == 0 ||
			     strcmp(r, "disinfect-backup") == 0);
}

/* A last path component we can create or remove. */
static int base_valid(const char *base)
{
	return base[0] != '\0' && strcmp(base, ".") != 0 &&
	       strcmp(base, "..") != 0;
}

/*
 * Open the directory that holds `path` and point *base at the last
 * component, so that the checks and the unlink or rename that follow all
 * act in the same directory even if a parent is renamed meanwhile.
 */
static int open_parent(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, e;

	if (slash == NULL) {
		*base = path;
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	*base = slash + 1;
	if (slash == path)
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	free(dir);
	errno = e;
	return fd;
}

/* Rename without replacing: EEXIST when `to` exists.  File systems without
 * RENAME_NOREPLACE get link() and unlink(), which refuse the same way. */
static int move_noreplace(int dfd, const char *from, int tdfd, const char *to)
{
	if (renameat2(dfd, from, tdfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	if (linkat(dfd, from, tdfd, to, 0) != 0)
		return -1;
	(void)unlinkat(dfd, from, 0);
	return 0;
}

/*
 * Copy bytes of `in`, from offset 0 with pread, to `out` (or only hash them
 * when out < 0), at most `limit` of them; stop early at end of file.
 * *copied is how many there were, sha their SHA-256.
 */
static enum ks_status copy_hashed(int in, int out, uint64_t limit,
				  uint8_t sha[KS_SHA256_LEN], uint64_t *copied,
				  const char *in_name, const char *out_name,
				  struct ks_err *err)
{
	struct ks_digest *d = ks_digest_new(KS_DIGEST_SHA256);
	uint8_t *buf = malloc(COPY_CHUNK);
	uint64_t off = 0;
	enum ks_status st = KS_OK;

	if (d == NULL || buf == NULL) {
		st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (off < limit) {
		size_t want = limit - off < COPY_CHUNK ? (size_t)(limit - off)
						       : COPY_CHUNK;
		ssize_t n = pread(in, buf, want, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot read %s", in_name);
			goto out;
		}
		if (n == 0)
			break;
		if (ks_digest_update(d, buf, (size_t)n) != KS_OK) {
			st = ks_err_set(err, KS_ERR_INTERNAL, "SHA-256 failed");
			goto out;
		}
		if (out >= 0 && write_all(out, buf, (size_t)n) != 0) {
			st = ks_err_sys(err, ks_status_from_errno(errno), errno,
					"cannot write %s", out_name);
			goto out;
		}
		off += (uint64_t)n;
	}
	if (ks_digest_final(d, sha, NULL) != KS_OK)
		st = ks_err_set(err, KS_ERR_INTERNAL, "SHA-256 failed");
	*copied = off;
out:
	ks_digest_free(d);
	free(buf);
	return st;
}

/* Read a small file of the store whole (NUL-terminated). */
static enum ks_status read_small(int dirfd, const char *name, size_t max,
				 char **text, size_t *len, struct ks_err *err)
{
	struct ks_buf b;
	struct stat sb;
	char chunk[4096];
	int fd;
	enum ks_status st = KS_OK;

	*text = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return ks_err_set(err, KS_ERR_INVALID,
					  "%s is a symbolic link", name);
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot open %s", name);
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ks_err_set(err, KS_ERR_INVALID,
				  "%s is not a regular file", name);
	}
	ks_buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot read %s", name);
			break;
		}
		if (n == 0)
			break;
		st = ks_buf_append(&b, chunk, (size_t)n);
		if (st != KS_OK) {
			st = ks_err_set(err, st, "%s is larger than %zu bytes",
					name, max);
			break;
		}
	}
	close(fd);
	if (st != KS_OK) {
		ks_buf_free(&b);
		return st;
	}
	if (b.data == NULL && ks_buf_reserve(&b, 1) != KS_OK)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	b.data[b.len] = '\0';
	*text = (char *)ks_buf_steal(&b, len);
	return KS_OK;
}

/* Write a new file of the store (O_EXCL) and sync it. */
static enum ks_status write_new(int dirfd, const char *name, const void *p,
				size_t n, int *errnum, struct ks_err *err)
{
	int fd = openat(dirfd, name,
			O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			0600);

	*errnum = 0;
	if (fd < 0) {
		*errnum = errno;
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot create %s in the store", name);
	}
	if (write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		(void)unlinkat(dirfd, name, 0);
		*errnum = e;
		return ks_err_sys(err, KS_ERR_IO, e, "cannot write %s", name);
	}
	if (close(fd) != 0) {
		int e = errno;

		(void)unlinkat(dirfd, name, 0);
		*errnum = e;
		return ks_err_sys(err, KS_ERR_IO, e, "cannot write %s", name);
	}
	return KS_OK;
}

/* 1 when `name` is a valid id followed by exactly `suffix`; the id is
 * copied to id. */
static int id_of(const char *name, const char *suffix,
		 char id[KF_QUAR_ID_LEN + 1])
{
	size_t sl = strlen(suffix);

	if (strlen(name) != KF_QUAR_ID_LEN + sl ||
	    strcmp(name + KF_QUAR_ID_LEN, suffix) != 0)
		return 0;
	memcpy(id, name, KF_QUAR_ID_LEN);
	id[KF_QUAR_ID_LEN] = '\0';
	return kf_quar_id_valid(id);
}

/* ---- ids ---------------------------------------------------------------- */

int kf_quar_id_valid(const char *id)
{
	static const char form[] = "DDDDDDDDTDDDDDDZ-";

	if (id == NULL || strlen(id) != KF_QUAR_ID_LEN)
		return 0;
	for (size_t i = 0; i < sizeof form - 1; i++) {
		if (form[i] == 'D') {
			if (id[i] < '0' || id[i] > '9')
				return 0;
		} else if (id[i] != form[i]) {
			return 0;
		}
	}
	for (size_t i = sizeof form - 1; i < KF_QUAR_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static enum ks_status make_id(struct ks_time now, char id[KF_QUAR_ID_LEN + 1],
			      struct ks_err *err)
{
	time_t t = (time_t)now.sec;
	struct tm tm;
	uint8_t rnd[8];
	char hex[2 * sizeof rnd + 1];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(id, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return ks_err_set(err, KS_ERR_INTERNAL,
				  "the clock is outside years 0..9999");
	if (random_bytes(rnd, sizeof rnd) != 0)
		return ks_err_sys(err, KS_ERR_IO, errno, "getrandom failed");
	id[16] = '-';
	memcpy(id + 17, ks_hex(rnd, sizeof rnd, hex), 16);
	id[KF_QUAR_ID_LEN] = '\0';
	return KS_OK;
}

/* ---- metadata ----------------------------------------------------------- */

void kf_quar_meta_free(struct kf_quar_meta *m)
{
	if (m == NULL)
		return;
	free(m->path);
	free(m->detection);
	free(m->vm);
	free(m->reason);
	m->path = m->detection = m->vm = m->reason = NULL;
}

static int mode_valid(uint64_t mode)
{
	return mode <= (uint64_t)(S_IFMT | 07777) &&
	       (mode & S_IFMT) == S_IFREG;
}

static int ts_valid(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* Why the parser would not read `m` back as it is, or NULL. */
static const char *meta_problem(const struct kf_quar_meta *m)
{
	if (!kf_quar_id_valid(m->id))
		return "invalid id";
	if (m->path == NULL || m->path[0] == '\0')
		return "empty path";
	if (m->size > (uint64_t)INT64_MAX)
		return "size out of range";
	if (!mode_valid(m->mode))
		return "mode is not a regular file's";
	if (!ts_valid(&m->atime) || !ts_valid(&m->mtime))
		return "nanoseconds out of range";
	if (m->detection == NULL)
		return "no detection";
	if (!reason_valid(m->reason))
		return "invalid reason";
	if (m->when.sec < WHEN_MIN || m->when.sec > WHEN_MAX ||
	    m->when.usec > 999999)
		return "time out of range";
	return NULL;
}

static void put_ts(struct kj_writer *w, const char *key,
		   const struct timespec *ts)
{
	kj_obj_open(w, key);
	kj_int(w, "sec", (int64_t)ts->tv_sec);
	kj_uint(w, "nsec", (uint64_t)ts->tv_nsec);
	kj_obj_close(w);
}

enum ks_status kf_quar_meta_format(const struct kf_quar_meta *m,
				   char **text, size_t *len)
{
	struct kj_writer w;
	char hex[2 * KS_SHA256_LEN + 1];
	enum ks_status st;
	size_t n;

	*text = NULL;
	if (len != NULL)
		*len = 0;
	if (meta_problem(m) != NULL)
		return KS_ERR_USAGE;
	kj_writer_init(&w, META_MAX);
	/* A bare object, not an event record: no timestamp or event_type. */
	kj_obj_open(&w, NULL);
	kj_str(&w, "id", m->id);
	kj_str(&w, "path", m->path);
	kj_uint(&w, "size", m->size);
	kj_str(&w, "sha256", ks_hex(m->sha256, KS_SHA256_LEN, hex));
	kj_uint(&w, "uid", (uint64_t)m->uid);
	kj_uint(&w, "gid", (uint64_t)m->gid);
	kj_uint(&w, "mode", (uint64_t)m->mode);
	put_ts(&w, "atime", &m->atime);
	put_ts(&w, "mtime", &m->mtime);
	kj_uint(&w, "dev", m->dev);
	kj_uint(&w, "ino", m->ino);
	kj_str(&w, "detection", m->detection);
	kj_str(&w, "vm", m->vm);
	kj_str(&w, "reason", m->reason);
	kj_time(&w, "when", m->when);
	kj_obj_close(&w);
	st = w.st;
	if (st == KS_OK && w.depth != 0)
		st = KS_ERR_INTERNAL;
	if (st == KS_OK)
		st = ks_buf_putc(&w.buf, '\n');
	if (st != KS_OK) {
		kj_writer_free(&w);
		return st;
	}
	*text = (char *)ks_buf_steal(&w.buf, &n);
	if (len != NULL)
		*len = n;
	kj_writer_free(&w);
	return KS_OK;
}

static enum ks_status bad_field(struct ks_err *err, const char *key,
				const char *what)
{
	return ks_err_set(err, KS_ERR_INVALID, "metadata: \"%s\" %s", key,
			  what);
}

static enum ks_status get_member(struct json_object *o, const char *key,
				 struct json_object **v, struct ks_err *err)
{
	if (!json_object_object_get_ex(o, key, v))
		return ks_err_set(err, KS_ERR_INVALID,
				  "metadata: missing field \"%s\"", key);
	return KS_OK;
}

/* An integer 0..max.  json-c keeps integers above INT64_MAX as uint64, and
 * its strict parser refuses anything beyond 64 bits. */
static enum ks_status get_uint(struct json_object *o, const char *key,
			       const char *label, uint64_t max, uint64_t *out,
			       struct ks_err *err)
{
	struct json_object *v;
	int64_t i;
	uint64_t u;
	char what[80];

	if (get_member(o, key, &v, err) != KS_OK)
		return KS_ERR_INVALID;
	if (json_object_is_type(v, json_type_int)) {
		i = json_object_get_int64(v);
		if (i >= 0) {
			u = i == INT64_MAX ? json_object_get_uint64(v)
					   : (uint64_t)i;
			if (u <= max) {
				*out = u;
				return KS_OK;
			}
		}
	}
	snprintf(what, sizeof what, "must be an integer from 0 to %" PRIu64,
		 max);
	return bad_field(err, label, what);
}

/* A signed integer that fits time_t. */
static enum ks_status get_sec(struct json_object *o, const char *label,
			      time_t *out, struct ks_err *err)
{
	struct json_object *v;
	int64_t i;

	if (get_member(o, "sec", &v, err) != KS_OK)
		return ks_err_set(err, KS_ERR_INVALID,
				  "metadata: missing field \"%s\"", label);
	if (json_object_is_type(v, json_type_int)) {
		i = json_object_get_int64(v);
		if ((i != INT64_MAX || json_object_get_uint64(v) ==
		     (uint64_t)INT64_MAX) && (int64_t)(time_t)i == i) {
			*out = (time_t)i;
			return KS_OK;
		}
	}
	return bad_field(err, label, "must be an integer of seconds in range");
}

static enum ks_status get_ts(struct json_object *o, const char *key,
			     struct timespec *ts, struct ks_err *err)
{
	struct json_object *v;
	char label[16];
	uint64_t ns;

	if (get_member(o, key, &v, err) != KS_OK)
		return KS_ERR_INVALID;
	if (!json_object_is_type(v, json_type_object))
		return bad_field(err, key, "must be an object {\"sec\",\"nsec\"}");
	snprintf(label, sizeof label, "%s.sec", key);
	if (get_sec(v, label, &ts->tv_sec, err) != KS_OK)
		return KS_ERR_INVALID;
	snprintf(label, sizeof label, "%s.nsec", key);
	if (get_uint(v, "nsec", label, 999999999u, &ns, err) != KS_OK)
		return KS_ERR_INVALID;
	ts->tv_nsec = (long)ns;
	return KS_OK;
}

/* A string without NUL (nullable: JSON null gives NULL), copied. */
static enum ks_status get_str(struct json_object *o, const char *key,
			      int nullable, char **out, struct ks_err *err)
{
	struct json_object *v;
	const char *s;
	size_t n;

	*out = NULL;
	if (get_member(o, key, &v, err) != KS_OK)
		return KS_ERR_INVALID;
	if (v == NULL && nullable)
		return KS_OK;
	if (!json_object_is_type(v, json_type_string))
		return bad_field(err, key, nullable ? "must be a string or null"
						    : "must be a string");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL)
		return bad_field(err, key, "holds a NUL character");
	*out = strndup(s, n);
	if (*out == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	return KS_OK;
}

static enum ks_status meta_from_json(struct json_object *o,
				     struct kf_quar_meta *m, struct ks_err *err)
{
	char *s = NULL;
	uint64_t u;
	enum ks_status st;

	/* id */
	if ((st = get_str(o, "id", 0, &s, err)) != KS_OK)
		return st;
	if (!kf_quar_id_valid(s)) {
		free(s);
		return bad_field(err, "id", "is not a quarantine id");
	}
	memcpy(m->id, s, KF_QUAR_ID_LEN + 1);
	free(s);

	if ((st = get_str(o, "path", 0, &m->path, err)) != KS_OK)
		return st;
	if (m->path[0] == '\0')
		return bad_field(err, "path", "is empty");

	if (get_uint(o, "size", "size", (uint64_t)INT64_MAX, &m->size, err))
		return KS_ERR_INVALID;

	if ((st = get_str(o, "sha256", 0, &s, err)) != KS_OK)
		return st;
	if (strlen(s) != 2 * KS_SHA256_LEN ||
	    ks_unhex(s, KS_SHA256_LEN, m->sha256) != 0) {
		free(s);
		return bad_field(err, "sha256", "must be 64 hex digits");
	}
	free(s);

	if (get_uint(o, "uid", "uid", (uint64_t)(uid_t)-1, &u, err))
		return KS_ERR_INVALID;
	m->uid = (uid_t)u;
	if (get_uint(o, "gid", "gid", (uint64_t)(gid_t)-1, &u, err))
		return KS_ERR_INVALID;
	m->gid = (gid_t)u;
	if (get_uint(o, "mode", "mode", (uint64_t)(S_IFMT | 07777), &u, err))
		return KS_ERR_INVALID;
	if (!mode_valid(u))
		return bad_field(err, "mode", "is not a regular file's mode");
	m->mode = (mode_t)u;

	if (get_ts(o, "atime", &m->atime, err) != KS_OK ||
	    get_ts(o, "mtime", &m->mtime, err) != KS_OK)
		return KS_ERR_INVALID;
	if (get_uint(o, "dev", "dev", UINT64_MAX, &m->dev, err) ||
	    get_uint(o, "ino", "ino", UINT64_MAX, &m->ino, err))
		return KS_ERR_INVALID;

	if ((st = get_str(o, "detection", 0, &m->detection, err)) != KS_OK ||
	    (st = get_str(o, "vm", 1, &m->vm, err)) != KS_OK ||
	    (st = get_str(o, "reason", 0, &m->reason, err)) != KS_OK)
		return st;
	if (!reason_valid(m->reason))
		return bad_field(err, "reason",
				 "must be \"quarantine\" or "
				 "\"disinfect-backup\"");

	if ((st = get_str(o, "when", 0, &s, err)) != KS_OK)
		return st;
	if (ks_time_parse(s, &m->when) != 0 || m->when.sec < WHEN_MIN ||
	    m->when.sec > WHEN_MAX) {
		free(s);
		return bad_field(err, "when", "must be an EVE timestamp "
					      "of years 0000..9999");
	}
	free(s);
	return KS_OK;
}

/*
 * json-c 0.16 clamps an integer beyond 64 bits to the nearest bound instead
 * of refusing it, which would turn a wrong value into a plausible one (an
 * inode of 2^64 - 1).  So the integer literals of the text are checked
 * before parsing: at most 18446744073709551615, at least
 * -9223372036854775808.  Strings are skipped; anything malformed is left
 * for the parser to judge.  Returns the offset of the first literal out of
 * range, or len.
 */
static size_t integer_out_of_range(const char *t, size_t len)
{
	static const char umax[] = "18446744073709551615";
	static const char nmax[] = "9223372036854775808";
	size_t i = 0;

	while (i < len) {
		size_t start = i, d0, nd;
		int neg = 0;

		if (t[i] == '"') {
			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (t[i] != '-' && (t[i] < '0' || t[i] > '9')) {
			i++;
			continue;
		}
		if (t[i] == '-') {
			neg = 1;
			i++;
		}
		while (i < len && t[i] == '0')
			i++;
		d0 = i;
		while (i < len && t[i] >= '0' && t[i] <= '9')
			i++;
		nd = i - d0;
		if (i < len && (t[i] == '.' || t[i] == 'e' || t[i] == 'E')) {
			/* A double (json-c keeps it as one): skip its
			 * fraction and exponent. */
			while (i < len && ((t[i] >= '0' && t[i] <= '9') ||
					   t[i] == '.' || t[i] == 'e' ||
					   t[i] == 'E' || t[i] == '+' ||
					   t[i] == '-'))
				i++;
			continue;
		}
		if (neg ? nd > sizeof nmax - 1 ||
			  (nd == sizeof nmax - 1 &&
			   memcmp(t + d0, nmax, nd) > 0)
			: nd > sizeof umax - 1 ||
			  (nd == sizeof umax - 1 &&
			   memcmp(t + d0, umax, nd) > 0))
			return start;
	}
	return len;
}

enum ks_status kf_quar_meta_parse(const char *text, size_t len,
				  struct kf_quar_meta *m, struct ks_err *err)
{
	struct kj_parser p;
	struct json_object *o = NULL;
	const char *nl;
	char *copy;
	size_t bad;
	enum ks_status st;

	memset(m, 0, sizeof *m);
	if (len > META_MAX)
		return ks_err_set(err, KS_ERR_LIMIT,
				  "metadata larger than %u bytes", META_MAX);
	nl = len > 0 ? memchr(text, '\n', len) : NULL;
	if (nl != NULL && nl != text + len - 1)
		return ks_err_set(err, KS_ERR_INVALID,
				  "metadata: more than one line");
	bad = integer_out_of_range(text, len);
	if (bad < len)
		return ks_err_set(err, KS_ERR_INVALID,
				  "metadata: integer beyond 64 bits at column "
				  "%zu", bad + 1);
	copy = malloc(len + 1);
	if (copy == NULL)
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	if (len > 0)
		memcpy(copy, text, len);
	copy[len] = '\0';
	if (kj_parser_init(&p, 16) != KS_OK) {
		free(copy);
		return ks_err_set(err, KS_ERR_NOMEM, "out of memory");
	}
	st = kj_parse(&p, copy, len, &o, err);
	kj_parser_free(&p);
	free(copy);
	if (st != KS_OK) {
		ks_err_prefix(err, "metadata: ");
		return st;
	}
	if (o == NULL)
		return ks_err_set(err, KS_ERR_INVALID, "metadata: empty");
	st = meta_from_json(o, m, err);
	json_object_put(o);
	if (st != KS_OK) {
		kf_quar_meta_free(m);
		memset(m, 0, sizeof *m);
	}
	return st;
}

/* ---- entries ------------------------------------------------------------ */

/* Read and check an entry: its metadata parses, names this id, and its
 * content file is a regular file of the recorded size. */
static enum ks_status load_entry(struct kf_quar *q, const char *id,
				 struct kf_quar_meta *m, struct ks_err *err)
{
	char name[NAME_LEN];
	struct stat sb;
	char *text;
	size_t len;
	enum ks_status st;

	memset(m, 0, sizeof *m);
	entry_name(name, "", id, ".json");
	st = read_small(q->dirfd, name, META_MAX, &text, &len, err);
	if (st == KS_ERR_NOTFOUND)
		return ks_err_set(err, KS_ERR_NOTFOUND,
				  "no quarantine entry %s", id);
	if (st != KS_OK)
		return st;
	st = kf_quar_meta_parse(text, len, m, err);
	free(text);
	if (st != KS_OK) {
		ks_err_prefix(err, "entry %s: ", id);
		return st;
	}
	if (strcmp(m->id, id) != 0) {
		st = ks_err_set(err, KS_ERR_INVALID,
				"entry %s: its metadata names entry %s", id,
				m->id);
		goto fail;
	}
	entry_name(name, "", id, ".data");
	if (fstatat(q->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		st = ks_err_sys(err, KS_ERR_INVALID, errno,
				"entry %s: content file", id);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ks_err_set(err, KS_ERR_INVALID,
				"entry %s: content is not a regular file", id);
		goto fail;
	}
	if ((uint64_t)sb.st_size != m->size) {
		st = ks_err_set(err, KS_ERR_INVALID,
				"entry %s: content is %jd bytes, metadata "
				"says %" PRIu64, id, (intmax_t)sb.st_size,
				m->size);
		goto fail;
	}
	return KS_OK;
fail:
	kf_quar_meta_free(m);
	return st;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Every name in the store but "." and "..", sorted. */
static enum ks_status read_names(struct kf_quar *q, char ***out, size_t *count,
				 struct ks_err *err)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int fd;
	enum ks_status st = KS_OK;

	*out = NULL;
	*count = 0;
	/* A descriptor of our own: readdir's offset is not shared with other
	 * threads listing the same store. */
	fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot read the store");
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return ks_err_sys(err, KS_ERR_IO, errno, "cannot read the store");
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			if (errno != 0)
				st = ks_err_sys(err, KS_ERR_IO, errno,
						"cannot read the store");
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == NAMES_MAX) {
			st = ks_err_set(err, KS_ERR_LIMIT,
					"the store holds more than %u files",
					NAMES_MAX);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof *names);
			if (nn == NULL) {
				st = ks_err_set(err, KS_ERR_NOMEM,
						"out of memory");
				break;
			}
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL) {
			st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (st != KS_OK) {
		free_names(names, n);
		return st;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, names_cmp);
	*out = names;
	*count = n;
	return KS_OK;
}

static int store_has(struct kf_quar *q, const char *id, const char *suffix)
{
	char name[NAME_LEN];
	struct stat sb;

	entry_name(name, "", id, suffix);
	return fstatat(q->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	       errno != ENOENT;
}

/* Remove an entry's files: the metadata first, so that a crash leaves at
 * most a lone ID.data, which recovery removes. */
static enum ks_status remove_entry(struct kf_quar *q, const char *id,
				   struct ks_err *err)
{
	char name[NAME_LEN];

	entry_name(name, "", id, ".json");
	if (unlinkat(q->dirfd, name, 0) != 0) {
		if (errno == ENOENT)
			return ks_err_set(err, KS_ERR_NOTFOUND,
					  "no quarantine entry %s", id);
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot remove %s", name);
	}
	entry_name(name, "", id, ".data");
	if (unlinkat(q->dirfd, name, 0) != 0 && errno != ENOENT)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot remove %s", name);
	entry_name(name, "", id, ".pending");
	(void)unlinkat(q->dirfd, name, 0);
	if (fsync(q->dirfd) != 0)
		return ks_err_sys(err, KS_ERR_IO, errno,
				  "cannot sync the store");
	return KS_OK;
}

/* ---- recovery ----------------------------------------------------------- */

/*
 * Finish a move that stopped after the entry was complete and before the
 * marker ID.pending was removed: unlink the original when the path still
 * holds the very file (same device, inode, size and SHA-256).  Returns 1
 * when it unlinked it.  The marker is removed once the question is settled
 * either way; it stays when the original could not be examined (a
 * permission or I/O error), so that the next open tries again.
 */
static int complete_move(struct kf_quar *q, const char *id)
{
	struct kf_quar_meta m;
	char mark[NAME_LEN];
	uint8_t sha[KS_SHA256_LEN];
	struct stat sb, sb2;
	const char *base;
	uint64_t n;
	int pfd = -1, ofd = -1, done = 0, settled = 1;

	entry_name(mark, "", id, ".pending");
	if (load_entry(q, id, &m, NULL) != KS_OK)
		goto out;   /* the move never completed: the original stays */
	pfd = open_parent(m.path, &base);
	if (pfd < 0) {
		settled = errno == ENOENT || errno == ENOTDIR;
		goto out;
	}
	if (!base_valid(base))
		goto out;
	if (fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		settled = errno == ENOENT || errno == ENOTDIR;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_dev != m.dev ||
	    (uint64_t)sb.st_ino != m.ino || (uint64_t)sb.st_size != m.size)
		goto out;   /* the path names another file now */
	ofd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (ofd < 0) {
		settled = 0;
		goto out;
	}
	if (fstat(ofd, &sb2) != 0 || sb2.st_dev != sb.st_dev ||
	    sb2.st_ino != sb.st_ino)
		goto out;
	if (copy_hashed(ofd, -1, m.size + 1, sha, &n, m.path, NULL, NULL) !=
	    KS_OK) {
		settled = 0;
		goto out;
	}
	if (n != m.size || memcmp(sha, m.sha256, sizeof sha) != 0)
		goto out;   /* changed since it was copied: keep both */
	if (fstatat(pfd, base, &sb2, AT_SYMLINK_NOFOLLOW) != 0 ||
	    sb2.st_dev != sb.st_dev || sb2.st_ino != sb.st_ino)
		goto out;
	if (unlinkat(pfd, base, 0) != 0) {
		settled = 0;
		goto out;
	}
	done = 1;
	if (fsync(pfd) != 0)
		settled = 0;
out:
	if (ofd >= 0)
		close(ofd);
	if (pfd >= 0)
		close(pfd);
	kf_quar_meta_free(&m);
	if (settled)
		(void)unlinkat(q->dirfd, mark, 0);
	return done;
}

/* 1 when `base` is a temporary name that a restore of `id` creates. */
static int restore_tmp_name(const char *base, const char *id)
{
	const size_t pl = sizeof RESTORE_PREFIX - 1;

	if (strlen(base) != RESTORE_TMP_LEN ||
	    memcmp(base, RESTORE_PREFIX, pl) != 0 ||
	    memcmp(base + pl, id, KF_QUAR_ID_LEN) != 0 ||
	    base[pl + KF_QUAR_ID_LEN] != '-')
		return 0;
	for (size_t i = pl + KF_QUAR_ID_LEN + 1; i < RESTORE_TMP_LEN; i++)
		if (!((base[i] >= '0' && base[i] <= '9') ||
		      (base[i] >= 'a' && base[i] <= 'f')))
			return 0;
	return 1;
}

/* Remove what an interrupted restore left beside its target: the file the
 * marker ID.restore names, if it has the form of such a file.  Returns 1
 * when a file was removed. */
static int clean_restore(struct kf_quar *q, const char *id)
{
	char mark[NAME_LEN];
	const char *base;
	struct stat sb;
	size_t len;
	char *path;
	int pfd, removed = 0;

	entry_name(mark, "", id, ".restore");
	if (read_small(q->dirfd, mark, MARK_MAX, &path, &len, NULL) != KS_OK)
		goto out;
	if (len == 0 || memchr(path, '\0', len) != NULL) {
		free(path);
		goto out;
	}
	pfd = open_parent(path, &base);
	if (pfd >= 0) {
		if (restore_tmp_name(base, id) &&
		    fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && unlinkat(pfd, base, 0) == 0) {
			removed = 1;
			(void)fsync(pfd);
		}
		close(pfd);
	}
	free(path);
out:
	(void)unlinkat(q->dirfd, mark, 0);
	return removed;
}

static enum ks_status recover(struct kf_quar *q, struct kf_quar_recovery *rec,
			      struct ks_err *err)
{
	char id[KF_QUAR_ID_LEN + 1];
	char **names;
	size_t n;
	enum ks_status st;

	st = read_names(q, &names, &n, err);
	if (st != KS_OK)
		return st;
	/* Temporary files first: the original of each is untouched. */
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], "tmp-", 4) != 0)
			continue;
		if (unlinkat(q->dirfd, names[i], 0) != 0 && errno != ENOENT) {
			st = ks_err_sys(err, KS_ERR_IO, errno,
					"cannot remove %s", names[i]);
			goto out;
		}
		rec->partial_removed++;
	}
	for (size_t i = 0; i < n; i++) {
		if (id_of(names[i], ".restore", id)) {
			rec->partial_removed += (uint64_t)clean_restore(q, id);
		} else if (id_of(names[i], ".data", id) &&
			   !store_has(q, id, ".json")) {
			if (unlinkat(q->dirfd, names[i], 0) != 0 &&
			    errno != ENOENT) {
				st = ks_err_sys(err, KS_ERR_IO, errno,
						"cannot remove %s", names[i]);
				goto out;
			}
			rec->partial_removed++;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (id_of(names[i], ".pending", id))
			rec->unlinks_completed += (uint64_t)complete_move(q, id);
	if (fsync(q->dirfd) != 0)
		st = ks_err_sys(err, KS_ERR_IO, errno, "cannot sync the store");
out:
	free_names(names, n);
	return st;
}

/* ---- open and close ----------------------------------------------------- */

enum ks_status kf_quar_open(struct kf_quar **qp, const char *dir,
			    struct kf_quar_recovery *rec, struct ks_err *err)
{
	struct kf_quar_recovery dummy;
	struct kf_quar *q;
	struct stat sb;
	enum ks_status st;
	int fd, r;

	*qp = NULL;
	if (rec == NULL)
		rec = &dummy;
	memset(rec, 0, sizeof *rec);
	if (dir == NULL || dir[0] == '\0')
		return ks_err_set(err, KS_ERR_USAGE, "no quarantine directory");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot create the quarantine directory %s",
				  dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		/* Linux says ENOTDIR for a link when O_DIRECTORY is given. */
		if (e == ELOOP || (e == ENOTDIR && lstat(dir, &sb) == 0 &&
				   S_ISLNK(sb.st_mode)))
			return ks_err_set(err, KS_ERR_PERM,
					  "quarantine directory %s is a "
					  "symbolic link", dir);
		return ks_err_sys(err, ks_status_from_errno(e), e,
				  "cannot open the quarantine directory %s",
				  dir);
	}
	if (fstat(fd, &sb) != 0) {
		st = ks_err_sys(err, KS_ERR_IO, errno, "cannot stat %s", dir);
		goto fail;
	}
	/* Whoever owns the directory can swap its entries under us. */
	if (sb.st_uid != geteuid()) {
		st = ks_err_set(err, KS_ERR_PERM,
				"quarantine directory %s belongs to uid %ju, "
				"not to this process", dir,
				(uintmax_t)sb.st_uid);
		goto fail;
	}
	if ((sb.st_mode & 077) != 0 && fchmod(fd, 0700) != 0) {
		st = ks_err_sys(err, KS_ERR_PERM, errno,
				"quarantine directory %s is open to others "
				"and cannot be made 0700", dir);
		goto fail;
	}
	q = calloc(1, sizeof *q);
	if (q == NULL) {
		st = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	q->dirfd = fd;
	while ((r = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
		;
	if (r == 0 || errno != EWOULDBLOCK) {
		/* Nobody else has the store open (or the file system has no
		 * locks, and we assume so). */
		st = recover(q, rec, err);
		if (st != KS_OK) {
			ks_err_prefix(err, "%s: recovery: ", dir);
			kf_quar_close(q);
			return st;
		}
	}
	/* Hold a shared lock as long as the store is open. */
	while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
		;
	*qp = q;
	return KS_OK;
fail:
	close(fd);
	return st;
}

void kf_quar_close(struct kf_quar *q)
{
	if (q == NULL)
		return;
	close(q->dirfd);
	free(q);
}

/* ---- moving a file in --------------------------------------------------- */

/* Remove the original after the entry is complete, if the path still
 * names the file that was copied. */
static enum ks_status unlink_original(const char *path, const struct stat *st,
				      const char *id, int *keep_mark,
				      struct ks_err *err)
{
	struct stat now;
	const char *base;
	int pfd;
	enum ks_status rc = KS_OK;

	*keep_mark = 0;
	pfd = open_parent(path, &base);
	if (pfd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "%s: cannot open its directory to remove "
				  "it; the copy stays in the store as %s",
				  path, id);
	if (fstatat(pfd, base, &now, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = ks_err_sys(err, ks_status_from_errno(errno), errno,
				"%s: not removed, the copy stays in the store "
				"as %s", path, id);
		goto out;
	}
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		rc = ks_err_set(err, KS_ERR_INVALID,
				"%s: the path now names another file: not "
				"removed; the copy stays in the store as %s",
				path, id);
		goto out;
	}
	if (unlinkat(pfd, base, 0) != 0) {
		rc = ks_err_sys(err, ks_status_from_errno(errno), errno,
				"cannot remove %s; the copy stays in the store "
				"as %s", path, id);
		goto out;
	}
	if (fsync(pfd) != 0) {
		/* If the unlink is lost in a crash, recovery redoes it. */
		*keep_mark = 1;
		rc = ks_err_sys(err, KS_ERR_IO, errno,
				"%s: removed, but its directory cannot be "
				"synced", path);
	}
out:
	close(pfd);
	return rc;
}

static enum ks_status changed(struct ks_err *err, const char *path)
{
	return ks_err_set(err, KS_ERR_INVALID,
			  "%s: file changed during quarantine", path);
}

enum ks_status kf_quar_put(struct kf_quar *q, int fd, const struct stat *st,
			   const char *path, const struct kf_quar_info *info,
			   int remove_original,
			   char id_out[KF_QUAR_ID_LEN + 1], struct ks_err *err)
{
	char id[KF_QUAR_ID_LEN + 1];
	char tdata[NAME_LEN], tjson[NAME_LEN], fdata[NAME_LEN];
	char fjson[NAME_LEN], pend[NAME_LEN];
	struct kf_quar_meta m;
	struct stat after;
	uint8_t sha[KS_SHA256_LEN];
	uint64_t copied;
	char *text = NULL;
	size_t tlen;
	int dfd = -1, have_tdata = 0, have_tjson = 0, have_pend = 0;
	int have_fdata = 0, have_fjson = 0, keep_mark, e;
	enum ks_status rc;

	if (id_out != NULL)
		id_out[0] = '\0';
	if (q == NULL || fd < 0 || st == NULL || path == NULL ||
	    path[0] == '\0' || info == NULL || info->detection == NULL)
		return ks_err_set(err, KS_ERR_USAGE,
				  "quarantine: missing argument");
	if (!reason_valid(info->reason))
		return ks_err_set(err, KS_ERR_USAGE,
				  "quarantine: the reason must be "
				  "\"quarantine\" or \"disinfect-backup\"");
	if (!S_ISREG(st->st_mode) || st->st_size < 0)
		return ks_err_set(err, KS_ERR_UNSUPPORTED,
				  "%s: not a regular file", path);

	memset(&m, 0, sizeof m);
	m.when = ks_time_now();
	rc = make_id(m.when, id, err);
	if (rc != KS_OK)
		return rc;
	entry_name(tdata, "tmp-", id, ".data");
	entry_name(tjson, "tmp-", id, ".json");
	entry_name(fdata, "", id, ".data");
	entry_name(fjson, "", id, ".json");
	entry_name(pend, "", id, ".pending");

	dfd = openat(q->dirfd, tdata,
		     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (dfd < 0)
		return ks_err_sys(err, ks_status_from_errno(errno), errno,
				  "cannot create %s in the store", tdata);
	have_tdata = 1;
	rc = copy_hashed(fd, dfd, (uint64_t)st->st_size, sha, &copied, path,
			 tdata, err);
	if (rc != KS_OK)
		goto fail;
	if (fstat(fd, &after) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot stat %s", path);
		goto fail;
	}
	/* Shorter than it was, another content than was scanned, or written
	 * to while we copied. */
	if (copied != (uint64_t)st->st_size ||
	    (info->sha256 != NULL && memcmp(sha, info->sha256, sizeof sha)) ||
	    after.st_size != st->st_size ||
	    after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != st->st_mtim.tv_nsec) {
		rc = changed(err, path);
		goto fail;
	}
	if (fsync(dfd) != 0 || close(dfd) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot write %s",
				tdata);
		dfd = -1;
		goto fail;
	}
	dfd = -1;
	ks_fault_point("quarantine-after-copy");

	memcpy(m.id, id, sizeof m.id);
	/* The struct only lends the caller's strings to the formatter. */
	m.path = (char *)path;
	m.size = (uint64_t)st->st_size;
	memcpy(m.sha256, sha, sizeof sha);
	m.uid = st->st_uid;
	m.gid = st->st_gid;
	m.mode = st->st_mode;
	m.atime = st->st_atim;
	m.mtime = st->st_mtim;
	m.dev = (uint64_t)st->st_dev;
	m.ino = (uint64_t)st->st_ino;
	m.detection = (char *)info->detection;
	m.vm = (char *)info->vm;
	m.reason = (char *)info->reason;
	rc = kf_quar_meta_format(&m, &text, &tlen);
	if (rc != KS_OK) {
		rc = ks_err_set(err, rc, "%s: cannot format the metadata "
				"(%s)", path, rc == KS_ERR_USAGE ?
				meta_problem(&m) : ks_status_name(rc));
		goto fail;
	}
	rc = write_new(q->dirfd, tjson, text, tlen, &e, err);
	free(text);
	if (rc != KS_OK)
		goto fail;
	have_tjson = 1;
	ks_fault_point("quarantine-after-meta");

	if (remove_original) {
		rc = write_new(q->dirfd, pend, "", 0, &e, err);
		if (rc != KS_OK)
			goto fail;
		have_pend = 1;
	}
	/* The data first: ID.json is what makes an entry. */
	if (move_noreplace(q->dirfd, tdata, q->dirfd, fdata) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot rename %s",
				tdata);
		goto fail;
	}
	have_tdata = 0;
	have_fdata = 1;
	if (move_noreplace(q->dirfd, tjson, q->dirfd, fjson) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot rename %s",
				tjson);
		goto fail;
	}
	have_tjson = 0;
	have_fjson = 1;
	if (fsync(q->dirfd) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot sync the store");
		goto fail;
	}
	ks_fault_point("quarantine-after-rename");
	/* From here on the entry is complete and stays, whatever happens to
	 * the original. */
	if (id_out != NULL)
		memcpy(id_out, id, KF_QUAR_ID_LEN + 1);
	if (!remove_original)
		return KS_OK;
	rc = unlink_original(path, st, id, &keep_mark, err);
	ks_fault_point("quarantine-after-unlink");
	if (!keep_mark)
		(void)unlinkat(q->dirfd, pend, 0);
	return rc;

fail:
	if (dfd >= 0)
		close(dfd);
	if (have_fjson)
		(void)unlinkat(q->dirfd, fjson, 0);
	if (have_fdata)
		(void)unlinkat(q->dirfd, fdata, 0);
	if (have_tjson)
		(void)unlinkat(q->dirfd, tjson, 0);
	if (have_tdata)
		(void)unlinkat(q->dirfd, tdata, 0);
	if (have_pend)
		(void)unlinkat(q->dirfd, pend, 0);
	return rc;
}

/* ---- reading, restoring, deleting -------------------------------------- */

enum ks_status kf_quar_get(struct kf_quar *q, const char *id,
			   struct kf_quar_meta *m, struct ks_err *err)
{
	memset(m, 0, sizeof *m);
	if (!kf_quar_id_valid(id))
		return ks_err_set(err, KS_ERR_USAGE, "invalid quarantine id");
	return load_entry(q, id, m, err);
}

enum ks_status kf_quar_list(struct kf_quar *q, kf_quar_list_cb cb, void *ctx,
			    struct ks_err *err)
{
	char id[KF_QUAR_ID_LEN + 1];
	struct kf_quar_meta m;
	struct ks_err e;
	char **names;
	size_t n;
	enum ks_status st;
	int stop = 0;

	st = read_names(q, &names, &n, err);
	if (st != KS_OK)
		return st;
	/* The names are sorted, so the ids come in order. */
	for (size_t i = 0; i < n && !stop; i++) {
		if (!id_of(names[i], ".json", id))
			continue;
		ks_err_clear(&e);
		if (load_entry(q, id, &m, &e) == KS_OK) {
			stop = cb(ctx, id, &m, NULL);
			kf_quar_meta_free(&m);
		} else {
			stop = cb(ctx, id, NULL, e.msg);
		}
	}
	free_names(names, n);
	return KS_OK;
}

enum ks_status kf_quar_delete(struct kf_quar *q, const char *id,
			      struct ks_err *err)
{
	if (!kf_quar_id_valid(id))
		return ks_err_set(err, KS_ERR_USAGE, "invalid quarantine id");
	return remove_entry(q, id, err);
}

static enum ks_status target_exists(struct ks_err *err, const char *target)
{
	return ks_err_set(err, KS_ERR_USAGE, "%s: target exists", target);
}

enum ks_status kf_quar_restore(struct kf_quar *q, const char *id,
			       const char *to, int flags, int *owner_restored,
			       struct ks_err *err)
{
	struct kf_quar_meta m;
	char mark[NAME_LEN], data[NAME_LEN];
	char tmpname[RESTORE_TMP_LEN + 1], hex[17];
	uint8_t rnd[8], sha[KS_SHA256_LEN];
	struct timespec times[2];
	struct stat sb;
	const char *target, *base;
	char *tmppath = NULL;
	uint64_t copied;
	int pfd = -1, sfd = -1, tfd = -1, marked = 0, created = 0, owned = 0;
	int e;
	enum ks_status rc;

	if (owner_restored != NULL)
		*owner_restored = 0;
	if (!kf_quar_id_valid(id))
		return ks_err_set(err, KS_ERR_USAGE, "invalid quarantine id");
	if ((flags & ~(KF_QUAR_OVERWRITE | KF_QUAR_KEEP)) != 0)
		return ks_err_set(err, KS_ERR_USAGE, "restore: unknown flags");
	if (to != NULL && to[0] == '\0')
		return ks_err_set(err, KS_ERR_USAGE, "restore: empty target");
	rc = load_entry(q, id, &m, err);
	if (rc != KS_OK)
		return rc;
	target = to != NULL ? to : m.path;

	pfd = open_parent(target, &base);
	if (pfd < 0) {
		rc = ks_err_sys(err, ks_status_from_errno(errno), errno,
				"%s: cannot open its directory", target);
		goto out;
	}
	if (!base_valid(base)) {
		rc = ks_err_set(err, KS_ERR_USAGE, "%s: does not name a file",
				target);
		goto out;
	}
	if (!(flags & KF_QUAR_OVERWRITE) &&
	    fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = target_exists(err, target);
		goto out;
	}

	/* Say where the temporary copy goes before making it. */
	if (random_bytes(rnd, sizeof rnd) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "getrandom failed");
		goto out;
	}
	snprintf(tmpname, sizeof tmpname, "%s%s-%s", RESTORE_PREFIX, id,
		 ks_hex(rnd, sizeof rnd, hex));
	if (asprintf(&tmppath, "%.*s%s", (int)(base - target), target,
		     tmpname) < 0) {
		tmppath = NULL;
		rc = ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		goto out;
	}
	entry_name(mark, "", id, ".restore");
	rc = write_new(q->dirfd, mark, tmppath, strlen(tmppath), &e, err);
	if (rc != KS_OK) {
		if (e == EEXIST)
			rc = ks_err_set(err, KS_ERR_USAGE,
					"entry %s: another restore is running "
					"or was interrupted (opening the "
					"store again recovers)", id);
		goto out;
	}
	marked = 1;
	if (fsync(q->dirfd) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot sync the store");
		goto out;
	}

	entry_name(data, "", id, ".data");
	sfd = openat(q->dirfd, data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (sfd < 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot open %s", data);
		goto out;
	}
	tfd = openat(pfd, tmpname,
		     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (tfd < 0) {
		rc = ks_err_sys(err, ks_status_from_errno(errno), errno,
				"cannot create a file beside %s", target);
		goto out;
	}
	created = 1;
	/* One byte more than recorded, to notice a content that grew. */
	rc = copy_hashed(sfd, tfd, m.size + 1, sha, &copied, data, tmppath,
			 err);
	if (rc != KS_OK)
		goto out;
	if (copied != m.size || memcmp(sha, m.sha256, sizeof sha) != 0) {
		rc = ks_err_set(err, KS_ERR_INVALID,
				"entry %s: the content does not match its "
				"recorded SHA-256 (the store was tampered "
				"with): not restored", id);
		goto out;
	}
	/* The owner before the mode: a change of owner may clear the
	 * set-user-ID and set-group-ID bits. */
	if (fchown(tfd, m.uid, m.gid) == 0) {
		owned = 1;
	} else if (errno != EPERM && errno != EINVAL) {
		rc = ks_err_sys(err, KS_ERR_IO, errno,
				"%s: cannot set the owner", tmppath);
		goto out;
	}
	if (fchmod(tfd, m.mode & 07777) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno,
				"%s: cannot set the mode", tmppath);
		goto out;
	}
	times[0] = m.atime;
	times[1] = m.mtime;
	if (futimens(tfd, times) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno,
				"%s: cannot set the times", tmppath);
		goto out;
	}
	if (fsync(tfd) != 0 || close(tfd) != 0) {
		tfd = -1;
		rc = ks_err_sys(err, KS_ERR_IO, errno, "cannot write %s",
				tmppath);
		goto out;
	}
	tfd = -1;
	ks_fault_point("restore-after-copy");

	if (flags & KF_QUAR_OVERWRITE) {
		if (renameat(pfd, tmpname, pfd, base) != 0) {
			rc = ks_err_sys(err, ks_status_from_errno(errno),
					errno, "cannot move %s into place",
					target);
			goto out;
		}
	} else if (move_noreplace(pfd, tmpname, pfd, base) != 0) {
		if (errno == EEXIST)
			rc = target_exists(err, target);
		else
			rc = ks_err_sys(err, ks_status_from_errno(errno),
					errno, "cannot move %s into place",
					target);
		goto out;
	}
	created = 0;
	if (owner_restored != NULL)
		*owner_restored = owned;
	if (fsync(pfd) != 0) {
		rc = ks_err_sys(err, KS_ERR_IO, errno,
				"%s: restored, but its directory cannot be "
				"synced; the entry stays", target);
		goto out;
	}
	ks_fault_point("restore-after-link");
	if (!(flags & KF_QUAR_KEEP))
		rc = remove_entry(q, id, err);

out:
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (created)
		(void)unlinkat(pfd, tmpname, 0);
	if (pfd >= 0)
		close(pfd);
	if (marked)
		(void)unlinkat(q->dirfd, mark, 0);
	free(tmppath);
	kf_quar_meta_free(&m);
	return rc;
}
