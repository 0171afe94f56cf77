/* Tests of the quarantine store (file/quarantine.h): metadata format and
 * parser, moves in and out, listing, and what survives a kill at every
 * fault point. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file/quarantine.h"
#include "unit.h"

static const char content[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR\n\0\xff"
			      "tail of the quarantined file";
#define CONTENT_LEN (sizeof content - 1)

/* A scratch directory with a store and a directory of files inside. */
struct scratch {
	char base[64];
	char store[96];
	char files[96];
};

static int scratch_init(struct scratch *s)
{
	strcpy(s->base, "/tmp/ksvm-quar-XXXXXX");
	if (mkdtemp(s->base) == NULL)
		return -1;
	snprintf(s->store, sizeof s->store, "%s/store", s->base);
	snprintf(s->files, sizeof s->files, "%s/files", s->base);
	return mkdir(s->files, 0755);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void scratch_free(struct scratch *s)
{
	nftw(s->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, p, n) == (ssize_t)n;
	if (fchmod(fd, mode) != 0)
		ok = 0;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* The whole file, or NULL; *n its length. */
static char *read_file(const char *path, size_t *n)
{
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY);

	*n = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 ||
	    (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	buf[sb.st_size] = '\0';
	*n = (size_t)sb.st_size;
	return buf;
}

/* 1 when the file at `path` holds exactly the test content. */
static int has_content(const char *path)
{
	size_t n;
	char *p = read_file(path, &n);
	int same = p != NULL && n == CONTENT_LEN &&
		   memcmp(p, content, n) == 0;

	free(p);
	return same;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Names in `dir` that start with `prefix` and end with `suffix`. */
static int count_names(const char *dir, const char *prefix,
		       const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), sl = strlen(suffix);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    l >= sl && strcmp(e->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void entry_path(char *out, size_t n, const struct scratch *s,
		       const char *id, const char *suffix)
{
	snprintf(out, n, "%s/%s%s", s->store, id, suffix);
}

static const struct timespec t_atime = { 1600000000, 987654321 };
static const struct timespec t_mtime = { 1700000000, 123456789 };

/* Create the test file at `path`: mode 0640, known times, and (as root)
 * owner 1234:1234. */
static int make_victim(const char *path)
{
	struct timespec ts[2] = { t_atime, t_mtime };

	if (write_file(path, content, CONTENT_LEN, 0640) != 0)
		return -1;
	if (geteuid() == 0 && chown(path, 1234, 1234) != 0)
		return -1;
	return utimensat(AT_FDCWD, path, ts, 0);
}

/* Quarantine `path` as kfscan would: open, fstat, and its SHA-256. */
static enum ks_status put_path(struct kf_quar *q, const char *path,
			       int remove, const uint8_t *sha,
			       char id[KF_QUAR_ID_LEN + 1], struct ks_err *err)
{
	struct kf_quar_info info = { "EICAR-Test-File", "vm-42", "quarantine",
				     sha };
	struct stat st;
	enum ks_status rc;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return KS_ERR_IO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return KS_ERR_IO;
	}
	rc = kf_quar_put(q, fd, &st, path, &info, remove, id, err);
	close(fd);
	return rc;
}

static uint8_t content_sha[KS_SHA256_LEN];

static const uint8_t *sha_of_content(void)
{
	ks_sha256(content, CONTENT_LEN, content_sha);
	return content_sha;
}

/* ---- ids ---------------------------------------------------------------- */

TEST(quar_id_valid)
{
	static const char *const bad[] = {
		"", "../x", "20261126T090324Z-zzzz",
		"20261126T090324Z-0123456789ABCDEF",
		"20261126T090324Z-0123456789abcdeg",
		"20261126T090324Z-0123456789abcdef0",
		"20261126T090324Z-0123456789abcde",
		"20261126X090324Z-0123456789abcdef",
		"2026112aT090324Z-0123456789abcdef",
		"20261126T090324Z_0123456789abcdef",
		"20261126T090324Z-0123456789abcd/f",
		"20261126T090324z-0123456789abcdef",
	};
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;

	CHECK_INT(kf_quar_id_valid("20261126T090324Z-0123456789abcdef"), 1);
	CHECK_INT(kf_quar_id_valid(NULL), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (kf_quar_id_valid(bad[i]))
			ut_fail(__FILE__, __LINE__, "accepted id \"%s\"",
				bad[i]);

	REQUIRE(scratch_init(&s) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(kf_quar_get(q, bad[i], &m, &err), KS_ERR_USAGE);
		CHECK_INT(kf_quar_delete(q, bad[i], &err), KS_ERR_USAGE);
		CHECK_INT(kf_quar_restore(q, bad[i], NULL, 0, NULL, &err),
			  KS_ERR_USAGE);
		CHECK(strstr(err.msg, "invalid quarantine id") != NULL);
	}
	CHECK_INT(kf_quar_get(q, "20261126T090324Z-0123456789abcdef", &m,
			      &err), KS_ERR_NOTFOUND);
	kf_quar_close(q);
	scratch_free(&s);
}

/* ---- metadata ----------------------------------------------------------- */

static void sample_meta(struct kf_quar_meta *m)
{
	memset(m, 0, sizeof *m);
	strcpy(m->id, "20261126T090324Z-0123456789abcdef");
	m->path = strdup("/srv/a\nb\xe9\"c");
	m->size = 5;
	for (int i = 0; i < KS_SHA256_LEN; i++)
		m->sha256[i] = (uint8_t)(i * 7 + 1);
	m->uid = 1234;
	m->gid = 5678;
	m->mode = S_IFREG | 0640;
	m->atime = t_atime;
	m->mtime.tv_sec = -5;
	m->dev = UINT64_MAX;
	m->ino = 42;
	m->detection = strdup("EICAR-Test");
	m->vm = NULL;
	m->reason = strdup("quarantine");
	m->when.sec = 1795683804;
	m->when.usec = 123456;
}

static int meta_equal(const struct kf_quar_meta *a,
		      const struct kf_quar_meta *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->path, b->path) == 0 &&
	       a->size == b->size &&
	       memcmp(a->sha256, b->sha256, KS_SHA256_LEN) == 0 &&
	       a->uid == b->uid && a->gid == b->gid && a->mode == b->mode &&
	       a->atime.tv_sec == b->atime.tv_sec &&
	       a->atime.tv_nsec == b->atime.tv_nsec &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->dev == b->dev &&
	       a->ino == b->ino && strcmp(a->detection, b->detection) == 0 &&
	       ((a->vm == NULL && b->vm == NULL) ||
		(a->vm != NULL && b->vm != NULL &&
		 strcmp(a->vm, b->vm) == 0)) &&
	       strcmp(a->reason, b->reason) == 0 &&
	       a->when.sec == b->when.sec && a->when.usec == b->when.usec;
}

TEST(quar_meta_format_exact_and_roundtrip)
{
	static const char want[] =
		"{\"id\":\"20261126T090324Z-0123456789abcdef\","
		"\"path\":\"/srv/a\\nb\\udce9\\\"c\",\"size\":5,"
		"\"sha256\":\"01080f161d242b323940474e555c636a71787f868d949ba2"
		"a9b0b7bec5ccd3da\",\"uid\":1234,\"gid\":5678,\"mode\":33184,"
		"\"atime\":{\"sec\":1600000000,\"nsec\":987654321},"
		"\"mtime\":{\"sec\":-5,\"nsec\":0},"
		"\"dev\":18446744073709551615,\"ino\":42,"
		"\"detection\":\"EICAR-Test\",\"vm\":null,"
		"\"reason\":\"quarantine\","
		"\"when\":\"2026-11-26T09:03:24.123456+0000\"}\n";
	struct kf_quar_meta m, back;
	struct ks_err err;
	char *text;
	size_t len;

	sample_meta(&m);
	REQUIRE(kf_quar_meta_format(&m, &text, &len) == KS_OK);
	CHECK_STR(text, want);
	CHECK_INT(len, strlen(want));
	CHECK_INT(kf_quar_meta_parse(text, len, &back, &err), KS_OK);
	CHECK(meta_equal(&m, &back));
	CHECK_STR(back.path, "/srv/a\nb\xe9\"c");
	CHECK(back.vm == NULL);
	kf_quar_meta_free(&back);
	/* Without the final newline it reads the same. */
	CHECK_INT(kf_quar_meta_parse(text, len - 1, &back, &err), KS_OK);
	CHECK(meta_equal(&m, &back));
	kf_quar_meta_free(&back);
	free(text);

	free(m.vm);
	m.vm = strdup("guest \xff");
	REQUIRE(kf_quar_meta_format(&m, &text, &len) == KS_OK);
	CHECK(strstr(text, "\"vm\":\"guest \\udcff\"") != NULL);
	CHECK_INT(kf_quar_meta_parse(text, len, &back, &err), KS_OK);
	CHECK(meta_equal(&m, &back));
	kf_quar_meta_free(&back);
	free(text);

	/* A struct the parser would refuse is not written. */
	m.mode = S_IFDIR | 0755;
	CHECK_INT(kf_quar_meta_format(&m, &text, &len), KS_ERR_USAGE);
	CHECK(text == NULL);
	m.mode = S_IFREG | 0600;
	m.mtime.tv_nsec = 1000000000;
	CHECK_INT(kf_quar_meta_format(&m, &text, &len), KS_ERR_USAGE);
	m.mtime.tv_nsec = 0;
	m.id[0] = 'x';
	CHECK_INT(kf_quar_meta_format(&m, &text, &len), KS_ERR_USAGE);
	kf_quar_meta_free(&m);
	kf_quar_meta_free(&m);  /* twice is harmless */
}

/* The members of a good metadata object; a case replaces one value (or
 * removes the member with NULL). */
static const char *const good_keys[] = {
	"id", "path", "size", "sha256", "uid", "gid", "mode", "atime",
	"mtime", "dev", "ino", "detection", "vm", "reason", "when",
};
static const char *const good_vals[] = {
	"\"20261126T090324Z-0123456789abcdef\"",
	"\"/srv/x\"",
	"5",
	"\"01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da\"",
	"1234",
	"5678",
	"33184",
	"{\"sec\":1600000000,\"nsec\":987654321}",
	"{\"sec\":-5,\"nsec\":0}",
	"18446744073709551615",
	"42",
	"\"EICAR-Test\"",
	"null",
	"\"quarantine\"",
	"\"2026-11-26T09:03:24.123456+0000\"",
};
#define NKEYS (sizeof good_keys / sizeof good_keys[0])

static void build_meta(char *out, size_t n, const char *key, const char *val)
{
	size_t len = 0;

	len += (size_t)snprintf(out + len, n - len, "{");
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = good_vals[i];

		if (key != NULL && strcmp(key, good_keys[i]) == 0) {
			if (val == NULL)
				continue;
			v = val;
		}
		len += (size_t)snprintf(out + len, n - len, "%s\"%s\":%s",
					len > 1 ? "," : "", good_keys[i], v);
	}
	snprintf(out + len, n - len, "}\n");
}

TEST(quar_meta_parse_refuses_bad_fields)
{
	static const struct {
		const char *key, *val, *want;
	} cases[] = {
		{ "id", NULL, "missing field \"id\"" },
		{ "id", "\"../x\"", "\"id\" is not a quarantine id" },
		{ "id", "5", "\"id\" must be a string" },
		{ "path", "\"\"", "\"path\" is empty" },
		{ "path", "\"a\\u0000b\"", "\"path\" holds a NUL" },
		{ "path", "null", "\"path\" must be a string" },
		{ "size", "-1", "\"size\" must be an integer from 0 to "
				"9223372036854775807" },
		{ "size", "9223372036854775808", "\"size\" must be" },
		{ "size", "1.5", "\"size\" must be" },
		{ "size", "\"5\"", "\"size\" must be" },
		{ "size", "true", "\"size\" must be" },
		{ "sha256", "\"0108\"", "\"sha256\" must be 64 hex digits" },
		{ "sha256", "\"g1080f161d242b323940474e555c636a71787f868d949ba2"
			    "a9b0b7bec5ccd3da\"", "\"sha256\" must be 64" },
		{ "sha256", "\"01080f161d242b323940474e555c636a71787f868d949ba2"
			    "a9b0b7bec5ccd3da00\"", "\"sha256\" must be 64" },
		{ "uid", "-1", "\"uid\" must be an integer from 0 to "
			       "4294967295" },
		{ "uid", "4294967296", "\"uid\" must be" },
		{ "gid", "4294967296", "\"gid\" must be" },
		{ "gid", NULL, "missing field \"gid\"" },
		{ "mode", "16877", "\"mode\" is not a regular file's mode" },
		{ "mode", "65536", "\"mode\" must be an integer from 0 to "
				   "65535" },
		{ "atime", "5", "\"atime\" must be an object" },
		{ "atime", "{\"sec\":1,\"nsec\":1000000000}",
		  "\"atime.nsec\" must be an integer from 0 to 999999999" },
		{ "atime", "{\"sec\":1,\"nsec\":-1}", "\"atime.nsec\"" },
		{ "mtime", "{\"sec\":1.5,\"nsec\":0}", "\"mtime.sec\" must be" },
		{ "mtime", "{\"nsec\":0}", "missing field \"mtime.sec\"" },
		{ "mtime", "{\"sec\":0}", "missing field \"nsec\"" },
		{ "mtime", "{\"sec\":9223372036854775808,\"nsec\":0}",
		  "\"mtime.sec\" must be" },
		{ "dev", "18446744073709551616", "integer beyond 64 bits" },
		{ "ino", "100000000000000000000", "integer beyond 64 bits" },
		{ "mtime", "{\"sec\":-9223372036854775809,\"nsec\":0}",
		  "integer beyond 64 bits" },
		{ "ino", "-3", "\"ino\" must be an integer from 0 to "
			       "18446744073709551615" },
		{ "detection", "null", "\"detection\" must be a string" },
		{ "vm", "3", "\"vm\" must be a string or null" },
		{ "reason", "\"other\"", "\"reason\" must be \"quarantine\" or" },
		{ "when", "\"yesterday\"", "\"when\" must be an EVE timestamp" },
		{ "when", "\"9999-12-31T23:59:60.000000+0000\"", "\"when\"" },
		{ "when", "1795683804", "\"when\" must be a string" },
	};
	char text[1024];
	struct kf_quar_meta m;
	struct ks_err err;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum ks_status st;

		build_meta(text, sizeof text, cases[i].key, cases[i].val);
		ks_err_clear(&err);
		st = kf_quar_meta_parse(text, strlen(text), &m, &err);
		if (st != KS_ERR_INVALID ||
		    strstr(err.msg, cases[i].want) == NULL)
			ut_fail(__FILE__, __LINE__,
				"case %zu (%s=%s): status %s, message \"%s\"",
				i, cases[i].key,
				cases[i].val ? cases[i].val : "(none)",
				ks_status_name(st), err.msg);
		CHECK(m.path == NULL && m.detection == NULL &&
		      m.reason == NULL && m.vm == NULL);
	}
}

TEST(quar_meta_parse_framing)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "metadata: empty" },
		{ "  \n", "metadata: empty" },
		{ "[1]\n", "not a JSON object" },
		{ "{\"id\":1}\n{}\n", "more than one line" },
		{ "{\"id\":\n1}\n", "more than one line" },
		{ "{\"id\":\"\xff\"}\n", "invalid UTF-8" },
		{ "{\"id\":1} x\n", "column 10" },
		{ "{\"id\":", "metadata: " },
	};
	struct kf_quar_meta m;
	struct ks_err err;
	char text[1024];
	char *big;
	size_t n;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ks_err_clear(&err);
		if (kf_quar_meta_parse(cases[i].text, strlen(cases[i].text), &m,
				       &err) == KS_OK ||
		    strstr(err.msg, cases[i].want) == NULL)
			ut_fail(__FILE__, __LINE__, "case %zu: \"%s\"", i,
				err.msg);
	}
	/* A NUL byte inside the text. */
	build_meta(text, sizeof text, NULL, NULL);
	n = strlen(text);
	text[10] = '\0';
	CHECK_INT(kf_quar_meta_parse(text, n, &m, &err), KS_ERR_INVALID);
	CHECK(strstr(err.msg, "NUL") != NULL);

	/* Unknown members are ignored; hex in upper case is read. */
	build_meta(text, sizeof text, "ino",
		   "42,\"future\":{\"a\":[1,2]},\"x\":null");
	CHECK_INT(kf_quar_meta_parse(text, strlen(text), &m, &err), KS_OK);
	CHECK_INT(m.ino, 42);
	CHECK_INT(m.dev == UINT64_MAX, 1);
	CHECK_INT(m.mtime.tv_sec, -5);
	CHECK(m.vm == NULL);
	kf_quar_meta_free(&m);
	build_meta(text, sizeof text, "sha256",
		   "\"01080F161D242B323940474E555C636A71787F868D949BA2A9B0B7BE"
		   "C5CCD3DA\"");
	CHECK_INT(kf_quar_meta_parse(text, strlen(text), &m, &err), KS_OK);
	CHECK_INT(m.sha256[31], 0xda);
	kf_quar_meta_free(&m);

	/* The bounds of 64 bits are read exactly; digits inside strings and
	 * doubles in unknown members are no integers. */
	build_meta(text, sizeof text, "mtime",
		   "{\"sec\":-9223372036854775808,\"nsec\":999999999},"
		   "\"n\":1e400,\"s\":\"99999999999999999999999\","
		   "\"f\":[1.99999999999999999999999,2E+99999999999999999999]");
	CHECK_INT(kf_quar_meta_parse(text, strlen(text), &m, &err), KS_OK);
	CHECK(m.mtime.tv_sec == INT64_MIN);
	CHECK_INT(m.mtime.tv_nsec, 999999999);
	kf_quar_meta_free(&m);
	build_meta(text, sizeof text, "atime",
		   "{\"sec\":9223372036854775807,\"nsec\":0}");
	CHECK_INT(kf_quar_meta_parse(text, strlen(text), &m, &err), KS_OK);
	CHECK(m.atime.tv_sec == INT64_MAX);
	kf_quar_meta_free(&m);
	build_meta(text, sizeof text, "path", "\"18446744073709551616\"");
	CHECK_INT(kf_quar_meta_parse(text, strlen(text), &m, &err), KS_OK);
	CHECK_STR(m.path, "18446744073709551616");
	kf_quar_meta_free(&m);

	/* Larger than the cap. */
	big = malloc((2u << 20) + 1);
	REQUIRE(big != NULL);
	memset(big, ' ', 2u << 20);
	CHECK_INT(kf_quar_meta_parse(big, 2u << 20, &m, &err), KS_ERR_LIMIT);
	free(big);
}

/* ---- the store directory ------------------------------------------------ */

TEST(quar_open_store_directory)
{
	struct scratch s;
	struct kf_quar *q;
	struct ks_err err;
	struct stat sb;
	char path[160];

	REQUIRE(scratch_init(&s) == 0);
	/* Created 0700. */
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	kf_quar_close(q);
	REQUIRE(stat(s.store, &sb) == 0);
	CHECK_INT(sb.st_mode & 07777, 0700);
	/* An existing one open to others is tightened. */
	REQUIRE(chmod(s.store, 0755) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	kf_quar_close(q);
	REQUIRE(stat(s.store, &sb) == 0);
	CHECK_INT(sb.st_mode & 07777, 0700);
	/* A symbolic link is refused. */
	snprintf(path, sizeof path, "%s/link", s.base);
	REQUIRE(symlink(s.store, path) == 0);
	CHECK_INT(kf_quar_open(&q, path, NULL, &err), KS_ERR_PERM);
	CHECK(strstr(err.msg, "symbolic link") != NULL);
	CHECK(q == NULL);
	/* Parents are not created. */
	snprintf(path, sizeof path, "%s/no/store", s.base);
	CHECK_INT(kf_quar_open(&q, path, NULL, &err), KS_ERR_NOTFOUND);
	/* A file is not a store. */
	snprintf(path, sizeof path, "%s/file", s.base);
	REQUIRE(write_file(path, "x", 1, 0600) == 0);
	CHECK(kf_quar_open(&q, path, NULL, &err) != KS_OK);
	scratch_free(&s);
}

/* ---- moving in ---------------------------------------------------------- */

TEST(quar_put_removes_original)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;
	struct stat before, sb;
	struct ks_time t0 = ks_time_now();
	char path[160], p2[200], id[KF_QUAR_ID_LEN + 1];
	char *json;
	size_t n;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/a\nb\xe9.bin", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(lstat(path, &before) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	CHECK_INT(put_path(q, path, 1, sha_of_content(), id, &err), KS_OK);
	CHECK(kf_quar_id_valid(id));
	CHECK(!exists(path));

	/* The content, byte for byte, mode 0600. */
	entry_path(p2, sizeof p2, &s, id, ".data");
	CHECK(has_content(p2));
	REQUIRE(stat(p2, &sb) == 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	/* The metadata: one line, the odd bytes escaped. */
	entry_path(p2, sizeof p2, &s, id, ".json");
	json = read_file(p2, &n);
	REQUIRE(json != NULL);
	CHECK(n > 0 && json[n - 1] == '\n');
	CHECK(memchr(json, '\n', n) == json + n - 1);
	CHECK(strstr(json, "/a\\nb\\udce9.bin\"") != NULL);
	free(json);

	REQUIRE(kf_quar_get(q, id, &m, &err) == KS_OK);
	CHECK_STR(m.id, id);
	CHECK_STR(m.path, path);
	CHECK_INT(m.size, CONTENT_LEN);
	CHECK_MEM(m.sha256, KS_SHA256_LEN, content_sha, KS_SHA256_LEN);
	CHECK_INT(m.uid, before.st_uid);
	CHECK_INT(m.gid, before.st_gid);
	CHECK_INT(m.mode, S_IFREG | 0640);
	CHECK_INT(m.atime.tv_sec, t_atime.tv_sec);
	CHECK_INT(m.atime.tv_nsec, t_atime.tv_nsec);
	CHECK_INT(m.mtime.tv_sec, t_mtime.tv_sec);
	CHECK_INT(m.mtime.tv_nsec, t_mtime.tv_nsec);
	CHECK_INT(m.dev, before.st_dev);
	CHECK_INT(m.ino, before.st_ino);
	CHECK_STR(m.detection, "EICAR-Test-File");
	CHECK_STR(m.vm, "vm-42");
	CHECK_STR(m.reason, "quarantine");
	CHECK(m.when.sec >= t0.sec && m.when.sec <= t0.sec + 60);
	/* The id starts with the same time, in UTC. */
	{
		time_t t = (time_t)m.when.sec;
		struct tm tm;
		char want[17];

		gmtime_r(&t, &tm);
		strftime(want, sizeof want, "%Y%m%dT%H%M%SZ", &tm);
		CHECK(strncmp(id, want, 16) == 0);
	}
	kf_quar_meta_free(&m);
	CHECK_INT(count_names(s.store, "tmp-", ""), 0);
	CHECK_INT(count_names(s.store, "", ".pending"), 0);
	CHECK_INT(count_names(s.store, "", ""), 2);
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_put_keeps_original_when_asked)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_recovery rec;
	struct kf_quar_meta m;
	struct ks_err err;
	char path[160], p2[200], id[KF_QUAR_ID_LEN + 1];
	struct kf_quar_info info = { "Backup", NULL, "disinfect-backup", NULL };
	struct stat st;
	int fd;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/keep.bin", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK_INT(kf_quar_put(q, fd, &st, path, &info, 0, id, &err), KS_OK);
	close(fd);
	CHECK(has_content(path));
	entry_path(p2, sizeof p2, &s, id, ".data");
	CHECK(has_content(p2));
	REQUIRE(kf_quar_get(q, id, &m, &err) == KS_OK);
	CHECK(m.vm == NULL);
	CHECK_STR(m.reason, "disinfect-backup");
	CHECK_MEM(m.sha256, KS_SHA256_LEN, sha_of_content(), KS_SHA256_LEN);
	kf_quar_meta_free(&m);
	kf_quar_close(q);
	/* Recovery must not take the entry for an interrupted move. */
	REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.unlinks_completed, 0);
	CHECK_INT(rec.partial_removed, 0);
	CHECK(has_content(path));
	kf_quar_close(q);

	/* Bad arguments. */
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(fstat(fd, &st) == 0);
	info.reason = "because";
	CHECK_INT(kf_quar_put(q, fd, &st, path, &info, 0, id, &err),
		  KS_ERR_USAGE);
	info.reason = "quarantine";
	CHECK_INT(kf_quar_put(q, fd, &st, "", &info, 0, id, &err),
		  KS_ERR_USAGE);
	close(fd);
	fd = open(s.files, O_RDONLY | O_DIRECTORY);
	REQUIRE(fd >= 0);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK_INT(kf_quar_put(q, fd, &st, s.files, &info, 1, id, &err),
		  KS_ERR_UNSUPPORTED);
	close(fd);
	CHECK(exists(s.files));
	CHECK_INT(count_names(s.store, "", ".json"), 1);
	CHECK_INT(count_names(s.store, "", ""), 2);
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_put_refuses_changed_file)
{
	struct scratch s;
	struct kf_quar *q;
	struct ks_err err;
	uint8_t wrong[KS_SHA256_LEN];
	char path[160], id[KF_QUAR_ID_LEN + 1];
	struct kf_quar_info info = { "EICAR", NULL, "quarantine", NULL };
	struct stat st;
	int fd;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);

	/* The content no longer has the SHA-256 it was scanned with. */
	memcpy(wrong, sha_of_content(), sizeof wrong);
	wrong[0] ^= 1;
	strcpy(id, "junk");
	CHECK_INT(put_path(q, path, 1, wrong, id, &err), KS_ERR_INVALID);
	CHECK(strstr(err.msg, "file changed during quarantine") != NULL);
	CHECK_STR(id, "");
	CHECK_INT(count_names(s.store, "", ""), 0);
	CHECK(has_content(path));

	/* Shorter than its fstat said. */
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(fstat(fd, &st) == 0);
	REQUIRE(truncate(path, 10) == 0);
	CHECK_INT(kf_quar_put(q, fd, &st, path, &info, 1, id, &err),
		  KS_ERR_INVALID);
	CHECK(strstr(err.msg, "file changed during quarantine") != NULL);
	close(fd);
	CHECK_INT(count_names(s.store, "", ""), 0);
	CHECK(exists(path));
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_put_path_replaced_is_not_unlinked)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;
	char path[160], other[160], p2[200], id[KF_QUAR_ID_LEN + 1];
	struct kf_quar_info info = { "EICAR", NULL, "quarantine", NULL };
	struct stat st;
	size_t n;
	char *got;
	int fd;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	snprintf(other, sizeof other, "%s/other", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(fstat(fd, &st) == 0);
	/* Between the scan and the move, the name is given to another
	 * file. */
	REQUIRE(write_file(other, "innocent", 8, 0644) == 0);
	REQUIRE(rename(other, path) == 0);
	CHECK_INT(kf_quar_put(q, fd, &st, path, &info, 1, id, &err),
		  KS_ERR_INVALID);
	close(fd);
	CHECK(strstr(err.msg, "now names another file") != NULL);
	got = read_file(path, &n);
	CHECK(got != NULL && n == 8 && memcmp(got, "innocent", 8) == 0);
	free(got);
	/* The copy of the first file stays, complete. */
	REQUIRE(kf_quar_id_valid(id));
	entry_path(p2, sizeof p2, &s, id, ".data");
	CHECK(has_content(p2));
	REQUIRE(kf_quar_get(q, id, &m, &err) == KS_OK);
	CHECK_INT(m.ino, st.st_ino);
	kf_quar_meta_free(&m);
	CHECK_INT(count_names(s.store, "", ".pending"), 0);
	kf_quar_close(q);
	scratch_free(&s);
}

/* ---- restoring ---------------------------------------------------------- */

TEST(quar_restore_to_original_path)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;
	struct stat sb;
	char path[160], id[KF_QUAR_ID_LEN + 1];
	int owned = -1;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/r\xe9stored", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	REQUIRE(put_path(q, path, 1, sha_of_content(), id, &err) == KS_OK);
	REQUIRE(!exists(path));

	CHECK_INT(kf_quar_restore(q, id, NULL, 0, &owned, &err), KS_OK);
	REQUIRE(lstat(path, &sb) == 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0640);
	CHECK_INT(sb.st_mtim.tv_sec, t_mtime.tv_sec);
	CHECK_INT(sb.st_mtim.tv_nsec, t_mtime.tv_nsec);
	CHECK_INT(sb.st_atim.tv_sec, t_atime.tv_sec);
	CHECK_INT(sb.st_atim.tv_nsec, t_atime.tv_nsec);
	if (geteuid() == 0) {
		CHECK_INT(owned, 1);
		CHECK_INT(sb.st_uid, 1234);
		CHECK_INT(sb.st_gid, 1234);
	}
	CHECK(has_content(path));
	/* The entry is gone, and nothing is left behind. */
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_ERR_NOTFOUND);
	CHECK_INT(count_names(s.store, "", ""), 0);
	CHECK_INT(count_names(s.files, ".kfquar-", ""), 0);
	CHECK_INT(kf_quar_restore(q, id, NULL, 0, &owned, &err),
		  KS_ERR_NOTFOUND);
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_restore_does_not_overwrite_unless_asked)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;
	char path[160], id[KF_QUAR_ID_LEN + 1];
	size_t n;
	char *got;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	REQUIRE(put_path(q, path, 1, sha_of_content(), id, &err) == KS_OK);
	REQUIRE(write_file(path, "new file", 8, 0644) == 0);

	CHECK_INT(kf_quar_restore(q, id, NULL, 0, NULL, &err), KS_ERR_USAGE);
	CHECK(strstr(err.msg, "target exists") != NULL);
	got = read_file(path, &n);
	CHECK(got != NULL && n == 8 && memcmp(got, "new file", 8) == 0);
	free(got);
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_OK);
	kf_quar_meta_free(&m);
	CHECK_INT(count_names(s.files, ".kfquar-", ""), 0);
	CHECK_INT(count_names(s.store, "", ".restore"), 0);

	CHECK_INT(kf_quar_restore(q, id, NULL, KF_QUAR_OVERWRITE, NULL, &err),
		  KS_OK);
	CHECK(has_content(path));
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_ERR_NOTFOUND);
	CHECK_INT(count_names(s.files, "", ""), 1);
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_restore_elsewhere_keep_and_delete)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_recovery rec;
	struct kf_quar_meta m;
	struct ks_err err;
	struct stat sb;
	char path[160], other[160], p2[200], id[KF_QUAR_ID_LEN + 1];

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	snprintf(other, sizeof other, "%s/copy", s.base);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	REQUIRE(put_path(q, path, 1, sha_of_content(), id, &err) == KS_OK);

	CHECK_INT(kf_quar_restore(q, id, other, KF_QUAR_KEEP, NULL, &err),
		  KS_OK);
	CHECK(has_content(other));
	REQUIRE(stat(other, &sb) == 0);
	CHECK_INT(sb.st_mode & 07777, 0640);
	CHECK(!exists(path));
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_OK);
	CHECK_STR(m.path, path);
	kf_quar_meta_free(&m);
	kf_quar_close(q);

	/* The restored copy may share the recorded inode number, but it was
	 * not an interrupted move: recovery leaves it. */
	REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.unlinks_completed, 0);
	CHECK(has_content(other));
	CHECK_INT(kf_quar_restore(q, id, other, 0, NULL, &err), KS_ERR_USAGE);

	CHECK_INT(kf_quar_restore(q, id, s.files, 0, NULL, &err),
		  KS_ERR_USAGE);
	snprintf(p2, sizeof p2, "%s/", s.files);
	CHECK_INT(kf_quar_restore(q, id, p2, 0, NULL, &err), KS_ERR_USAGE);
	CHECK(strstr(err.msg, "does not name a file") != NULL);
	snprintf(p2, sizeof p2, "%s/missing/x", s.base);
	CHECK_INT(kf_quar_restore(q, id, p2, 0, NULL, &err),
		  KS_ERR_NOTFOUND);

	CHECK_INT(kf_quar_delete(q, id, &err), KS_OK);
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_ERR_NOTFOUND);
	CHECK_INT(count_names(s.store, "", ""), 0);
	CHECK_INT(kf_quar_delete(q, id, &err), KS_ERR_NOTFOUND);
	CHECK(has_content(other));
	kf_quar_close(q);
	scratch_free(&s);
}

TEST(quar_restore_refuses_tampered_content)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_meta m;
	struct ks_err err;
	char path[160], p2[200], id[KF_QUAR_ID_LEN + 1];
	char bad[sizeof content];
	int fd;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	REQUIRE(put_path(q, path, 1, sha_of_content(), id, &err) == KS_OK);
	entry_path(p2, sizeof p2, &s, id, ".data");
	memcpy(bad, content, CONTENT_LEN);
	bad[3] ^= 0x20;
	fd = open(p2, O_WRONLY);
	REQUIRE(fd >= 0);
	CHECK_INT(pwrite(fd, bad, CONTENT_LEN, 0), CONTENT_LEN);
	close(fd);

	CHECK_INT(kf_quar_restore(q, id, NULL, 0, NULL, &err), KS_ERR_INVALID);
	CHECK(strstr(err.msg, "tampered") != NULL);
	CHECK(!exists(path));
	CHECK_INT(count_names(s.files, "", ""), 0);
	CHECK_INT(count_names(s.store, "", ".restore"), 0);
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_OK);
	kf_quar_meta_free(&m);

	/* A content file of the wrong size is reported by get. */
	REQUIRE(truncate(p2, 3) == 0);
	CHECK_INT(kf_quar_get(q, id, &m, &err), KS_ERR_INVALID);
	CHECK(strstr(err.msg, "content is 3 bytes") != NULL);
	kf_quar_close(q);
	scratch_free(&s);
}

/* ---- listing ------------------------------------------------------------ */

struct seen {
	int n;
	char ids[8][KF_QUAR_ID_LEN + 1];
	int has_meta[8];
	char why[8][KS_ERR_MSG_MAX];
	char path[8][160];
	int stop_after;
};

static int collect(void *ctx, const char *id, const struct kf_quar_meta *m,
		   const char *why)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		strcpy(s->ids[s->n], id);
		s->has_meta[s->n] = m != NULL;
		snprintf(s->why[s->n], sizeof s->why[0], "%s",
			 why != NULL ? why : "");
		snprintf(s->path[s->n], sizeof s->path[0], "%s",
			 m != NULL ? m->path : "");
	}
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

TEST(quar_list_in_id_order_with_a_corrupt_entry)
{
	static const char corrupt[] = "20000101T000000Z-0000000000000000";
	struct scratch s;
	struct kf_quar *q;
	struct ks_err err;
	struct seen seen;
	char path[3][160], p2[200], ids[3][KF_QUAR_ID_LEN + 1];

	REQUIRE(scratch_init(&s) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	for (int i = 0; i < 3; i++) {
		snprintf(path[i], sizeof path[i], "%s/f%d", s.files, i);
		REQUIRE(make_victim(path[i]) == 0);
		REQUIRE(put_path(q, path[i], 0, NULL, ids[i], &err) == KS_OK);
	}
	entry_path(p2, sizeof p2, &s, corrupt, ".json");
	REQUIRE(write_file(p2, "not json\n", 9, 0600) == 0);
	entry_path(p2, sizeof p2, &s, corrupt, ".data");
	REQUIRE(write_file(p2, "x", 1, 0600) == 0);
	snprintf(p2, sizeof p2, "%s/README.json", s.store);
	REQUIRE(write_file(p2, "{}\n", 3, 0600) == 0);

	memset(&seen, 0, sizeof seen);
	CHECK_INT(kf_quar_list(q, collect, &seen, &err), KS_OK);
	REQUIRE(seen.n == 4);
	CHECK_STR(seen.ids[0], corrupt);
	CHECK_INT(seen.has_meta[0], 0);
	CHECK(strstr(seen.why[0], "metadata") != NULL);
	for (int i = 1; i < 4; i++) {
		CHECK_INT(seen.has_meta[i], 1);
		CHECK_STR(seen.why[i], "");
		CHECK(strcmp(seen.ids[i - 1], seen.ids[i]) < 0);
		/* Each listed entry is one of ours, with its path. */
		for (int k = 0; k < 3; k++)
			if (strcmp(seen.ids[i], ids[k]) == 0)
				CHECK_STR(seen.path[i], path[k]);
	}

	/* A non-zero return stops the walk. */
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	CHECK_INT(kf_quar_list(q, collect, &seen, &err), KS_OK);
	CHECK_INT(seen.n, 2);
	kf_quar_close(q);
	scratch_free(&s);
}

/* ---- crash safety ------------------------------------------------------- */

/* Run `fn` in a child with KSVM_FAULT=point; 1 when it died of SIGKILL. */
static int killed_at(const char *point, void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		setenv("KSVM_FAULT", point, 1);
		fn(arg);
		_exit(3);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

struct crash_job {
	struct scratch *s;
	const char *path;
	char id[KF_QUAR_ID_LEN + 1];
};

static void child_put(void *arg)
{
	struct crash_job *j = arg;
	struct kf_quar *q;
	char id[KF_QUAR_ID_LEN + 1];

	if (kf_quar_open(&q, j->s->store, NULL, NULL) != KS_OK)
		_exit(4);
	put_path(q, j->path, 1, sha_of_content(), id, NULL);
	_exit(5);
}

static void child_restore(void *arg)
{
	struct crash_job *j = arg;
	struct kf_quar *q;

	if (kf_quar_open(&q, j->s->store, NULL, NULL) != KS_OK)
		_exit(4);
	kf_quar_restore(q, j->id, NULL, 0, NULL, NULL);
	_exit(5);
}

/* Complete entries whose content is the test file. */
static int good_entries(struct kf_quar *q, const struct scratch *s)
{
	struct seen seen;
	char p2[200];
	int good = 0;

	memset(&seen, 0, sizeof seen);
	if (kf_quar_list(q, collect, &seen, NULL) != KS_OK)
		return -1;
	for (int i = 0; i < seen.n && i < 8; i++) {
		entry_path(p2, sizeof p2, s, seen.ids[i], ".data");
		if (seen.has_meta[i] && has_content(p2))
			good++;
	}
	return good;
}

TEST(quar_crash_during_put)
{
	static const struct {
		const char *point;
		int original_after;   /* the original is still there */
		uint64_t partial, completed;
	} cases[] = {
		{ "quarantine-after-copy", 1, 1, 0 },
		{ "quarantine-after-meta", 1, 2, 0 },
		{ "quarantine-after-rename", 0, 0, 1 },
		{ "quarantine-after-unlink", 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct scratch s;
		struct crash_job job;
		struct kf_quar *q;
		struct kf_quar_recovery rec;
		struct ks_err err;
		char path[160];
		int entries;

		REQUIRE(scratch_init(&s) == 0);
		snprintf(path, sizeof path, "%s/victim\n%zu", s.files, i);
		REQUIRE(make_victim(path) == 0);
		job.s = &s;
		job.path = path;
		if (!killed_at(cases[i].point, child_put, &job))
			ut_fail(__FILE__, __LINE__, "%s: not killed",
				cases[i].point);

		ks_err_clear(&err);
		if (kf_quar_open(&q, s.store, &rec, &err) != KS_OK) {
			ut_fail(__FILE__, __LINE__, "%s: %s", cases[i].point,
				err.msg);
			scratch_free(&s);
			continue;
		}
		entries = good_entries(q, &s);
		/* The file is in its place, in the store, or both. */
		if (!has_content(path) && entries != 1)
			ut_fail(__FILE__, __LINE__, "%s: the file is lost",
				cases[i].point);
		if (has_content(path) != cases[i].original_after ||
		    entries != !cases[i].original_after ||
		    rec.partial_removed != cases[i].partial ||
		    rec.unlinks_completed != cases[i].completed)
			ut_fail(__FILE__, __LINE__,
				"%s: original %d, entries %d, partial %llu, "
				"completed %llu", cases[i].point,
				has_content(path), entries,
				(unsigned long long)rec.partial_removed,
				(unsigned long long)rec.unlinks_completed);
		CHECK_INT(count_names(s.store, "tmp-", ""), 0);
		CHECK_INT(count_names(s.store, "", ".pending"), 0);
		CHECK_INT(count_names(s.store, "", ""), 2 * entries);
		kf_quar_close(q);
		/* A second recovery has nothing to do. */
		REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
		CHECK_INT(rec.partial_removed + rec.unlinks_completed, 0);
		kf_quar_close(q);
		scratch_free(&s);
	}
}

TEST(quar_crash_during_restore)
{
	static const char *const points[] = {
		"restore-after-copy", "restore-after-link",
	};

	for (size_t i = 0; i < 2; i++) {
		struct scratch s;
		struct crash_job job;
		struct kf_quar *q;
		struct kf_quar_recovery rec;
		struct ks_err err;
		char path[160];
		int entries;

		REQUIRE(scratch_init(&s) == 0);
		snprintf(path, sizeof path, "%s/victim", s.files);
		REQUIRE(make_victim(path) == 0);
		REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
		REQUIRE(put_path(q, path, 1, sha_of_content(), job.id,
				 &err) == KS_OK);
		kf_quar_close(q);
		job.s = &s;
		job.path = path;
		if (!killed_at(points[i], child_restore, &job))
			ut_fail(__FILE__, __LINE__, "%s: not killed",
				points[i]);

		REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
		entries = good_entries(q, &s);
		CHECK_INT(entries, 1);
		if (i == 0) {
			/* The copy beside the target is removed. */
			CHECK(!exists(path));
			CHECK_INT(rec.partial_removed, 1);
		} else {
			CHECK(has_content(path));
			CHECK_INT(rec.partial_removed, 0);
		}
		CHECK_INT(rec.unlinks_completed, 0);
		CHECK_INT(count_names(s.files, ".kfquar-", ""), 0);
		CHECK_INT(count_names(s.store, "", ".restore"), 0);
		CHECK_INT(count_names(s.store, "tmp-", ""), 0);
		/* The entry still restores. */
		if (i == 0) {
			CHECK_INT(kf_quar_restore(q, job.id, NULL, 0, NULL,
						  &err), KS_OK);
			CHECK(has_content(path));
			CHECK_INT(count_names(s.store, "", ""), 0);
		}
		kf_quar_close(q);
		scratch_free(&s);
	}
}

/* Recovery unlinks an original only when it is still the very file:
 * same inode and same SHA-256. */
TEST(quar_recovery_checks_the_original)
{
	struct scratch s;
	struct kf_quar *q;
	struct kf_quar_recovery rec;
	struct ks_err err;
	char path[160], p2[200], id[KF_QUAR_ID_LEN + 1];
	int fd;

	REQUIRE(scratch_init(&s) == 0);
	snprintf(path, sizeof path, "%s/victim", s.files);
	REQUIRE(make_victim(path) == 0);
	REQUIRE(kf_quar_open(&q, s.store, NULL, &err) == KS_OK);
	REQUIRE(put_path(q, path, 0, NULL, id, &err) == KS_OK);
	kf_quar_close(q);
	/* As if a move had stopped before the unlink, but the file was
	 * rewritten in place since (same inode, same size). */
	entry_path(p2, sizeof p2, &s, id, ".pending");
	REQUIRE(write_file(p2, "", 0, 0600) == 0);
	fd = open(path, O_WRONLY);
	REQUIRE(fd >= 0);
	CHECK_INT(pwrite(fd, "Y", 1, 0), 1);
	close(fd);
	REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.unlinks_completed, 0);
	CHECK(exists(path));
	CHECK_INT(count_names(s.store, "", ".pending"), 0);
	kf_quar_close(q);

	/* With the content as recorded, the move is completed. */
	fd = open(path, O_WRONLY);
	REQUIRE(fd >= 0);
	CHECK_INT(pwrite(fd, content, 1, 0), 1);
	close(fd);
	REQUIRE(write_file(p2, "", 0, 0600) == 0);
	REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.unlinks_completed, 1);
	CHECK(!exists(path));
	CHECK_INT(good_entries(q, &s), 1);
	CHECK_INT(count_names(s.store, "", ".pending"), 0);
	kf_quar_close(q);

	/* A lone content file (the metadata never renamed) is removed. */
	snprintf(p2, sizeof p2, "%s/20000101T000000Z-0000000000000001.data",
		 s.store);
	REQUIRE(write_file(p2, "x", 1, 0600) == 0);
	REQUIRE(kf_quar_open(&q, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.partial_removed, 1);
	CHECK(!exists(p2));
	CHECK_INT(good_entries(q, &s), 1);
	kf_quar_close(q);
	scratch_free(&s);
}

/* While another process has the store open, a new opener does not
 * recover: the temporary files may be that process's move in progress. */
TEST(quar_no_recovery_while_store_is_in_use)
{
	struct scratch s;
	struct kf_quar *q1, *q2;
	struct kf_quar_recovery rec;
	struct ks_err err;
	char p2[200];
	int fds[2], status;
	char c;
	pid_t pid;

	REQUIRE(scratch_init(&s) == 0);
	REQUIRE(kf_quar_open(&q1, s.store, NULL, &err) == KS_OK);
	kf_quar_close(q1);
	snprintf(p2, sizeof p2, "%s/tmp-20000101T000000Z-0000000000000001.data",
		 s.store);
	REQUIRE(write_file(p2, "x", 1, 0600) == 0);
	REQUIRE(pipe(fds) == 0);
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (kf_quar_open(&q1, s.store, &rec, NULL) != KS_OK)
			_exit(4);
		/* Opening recovered, so the file is gone: create it again
		 * as a move in progress would. */
		if (write_file(p2, "x", 1, 0600) != 0 ||
		    write(fds[1], "r", 1) != 1)
			_exit(5);
		pause();
		_exit(0);
	}
	close(fds[1]);
	CHECK_INT(read(fds[0], &c, 1), 1);
	REQUIRE(kf_quar_open(&q2, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.partial_removed, 0);
	CHECK(exists(p2));
	kf_quar_close(q2);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fds[0]);
	REQUIRE(kf_quar_open(&q2, s.store, &rec, &err) == KS_OK);
	CHECK_INT(rec.partial_removed, 1);
	CHECK(!exists(p2));
	kf_quar_close(q2);
	scratch_free(&s);
}
