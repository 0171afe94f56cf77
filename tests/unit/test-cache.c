#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file/cache.h"
#include "unit.h"

/* A cache path in a fresh temporary directory. */
struct tmpcache {
	char dir[64];
	char path[128];
	char lock[160];
};

static int tc_init(struct tmpcache *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/ut-cache-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/scan.cache", t->dir);
	snprintf(t->lock, sizeof t->lock, "%s-lock", t->path);
	return 0;
}

static void tc_done(struct tmpcache *t)
{
	unlink(t->path);
	unlink(t->lock);
	rmdir(t->path);   /* some tests put a directory there */
	rmdir(t->dir);
}

static void fp_of(int n, uint8_t fp[KS_SHA256_LEN])
{
	memset(fp, n, KS_SHA256_LEN);
}

/* A file's identity and times as lstat would give them. */
static struct stat fake_st(uint64_t ino, int64_t size)
{
	struct stat st;

	memset(&st, 0, sizeof st);
	st.st_dev = 0x801;
	st.st_ino = (ino_t)ino;
	st.st_size = (off_t)size;
	st.st_mtim.tv_sec = 1700000000;
	st.st_mtim.tv_nsec = 123456789;
	st.st_ctim.tv_sec = 1700000100;
	st.st_ctim.tv_nsec = 987654321;
	st.st_mode = S_IFREG | 0644;
	return st;
}

static struct kf_cache_entry entry_of(unsigned n)
{
	struct kf_cache_entry e;

	memset(&e, 0, sizeof e);
	for (size_t i = 0; i < KS_SHA256_LEN; i++)
		e.sha256[i] = (uint8_t)(n + i);
	snprintf(e.mime, sizeof e.mime, "text/x-test-%u", n);
	snprintf(e.desc, sizeof e.desc, "test file number %u", n);
	return e;
}

static int same_entry(const struct kf_cache_entry *a,
		      const struct kf_cache_entry *b)
{
	return memcmp(a->sha256, b->sha256, KS_SHA256_LEN) == 0 &&
	       strcmp(a->mime, b->mime) == 0 && strcmp(a->desc, b->desc) == 0;
}

TEST(cache_put_flush_get_exact_fields)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(7), out;
	struct stat st = fake_st(42, 1000);
	uint8_t fp[KS_SHA256_LEN];
	struct ks_err err;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, &err) == KS_OK);
	CHECK(access(t.lock, F_OK) == 0);
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	/* Queued only: not visible before the commit. */
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_flush(c, &err), KS_OK);
	memset(&out, 0xee, sizeof out);
	CHECK(kf_cache_get(c, &st, &out));
	CHECK_MEM(out.sha256, KS_SHA256_LEN, in.sha256, KS_SHA256_LEN);
	CHECK_STR(out.mime, "text/x-test-7");
	CHECK_STR(out.desc, "test file number 7");
	/* out may be NULL. */
	CHECK(kf_cache_get(c, &st, NULL));
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.hits, 2);
	CHECK_INT(s.misses, 2);
	CHECK_INT(s.stores, 1);
	CHECK_INT(s.entries, 1);
	CHECK_INT(s.reset, 0);
	CHECK_INT(kf_cache_close(c, &err), KS_OK);
	tc_done(&t);
}

TEST(cache_long_strings_truncated)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_entry in, out;
	struct stat st = fake_st(1, 1);
	uint8_t fp[KS_SHA256_LEN];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	/* Strings that fill their arrays without a NUL are cut to fit. */
	memset(&in, 'm', sizeof in);
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	REQUIRE(kf_cache_get(c, &st, &out));
	CHECK_INT(strlen(out.mime), KF_CACHE_MIME_MAX - 1);
	CHECK_INT(strlen(out.desc), KF_CACHE_DESC_MAX - 1);
	CHECK_MEM(out.sha256, KS_SHA256_LEN, in.sha256, KS_SHA256_LEN);
	/* Empty strings survive as empty strings. */
	memset(&in, 0, sizeof in);
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	REQUIRE(kf_cache_get(c, &st, &out));
	CHECK_STR(out.mime, "");
	CHECK_STR(out.desc, "");
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

TEST(cache_changed_file_misses)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_entry in = entry_of(1), out;
	struct stat st = fake_st(5, 4096), ch;
	uint8_t fp[KS_SHA256_LEN];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(kf_cache_get(c, &st, &out));

	ch = st;
	ch.st_size++;
	CHECK(!kf_cache_get(c, &ch, &out));
	ch = st;
	ch.st_mtim.tv_sec--;
	CHECK(!kf_cache_get(c, &ch, &out));
	ch = st;
	ch.st_mtim.tv_nsec++;
	CHECK(!kf_cache_get(c, &ch, &out));
	/* Same mtime, new ctime: the file was rewritten and touched back. */
	ch = st;
	ch.st_ctim.tv_sec++;
	CHECK(!kf_cache_get(c, &ch, &out));
	ch = st;
	ch.st_ctim.tv_nsec--;
	CHECK(!kf_cache_get(c, &ch, &out));
	ch = st;
	ch.st_ino++;
	CHECK(!kf_cache_get(c, &ch, &out));
	ch = st;
	ch.st_dev++;
	CHECK(!kf_cache_get(c, &ch, &out));
	CHECK(kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

TEST(cache_reopen_same_and_other_fingerprint)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(3), out;
	struct stat st = fake_st(9, 10);
	uint8_t fp1[KS_SHA256_LEN], fp2[KS_SHA256_LEN];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp1);
	fp_of(2, fp2);
	REQUIRE(kf_cache_open(&c, t.path, fp1, 0, NULL) == KS_OK);
	/* Close commits what is queued. */
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	REQUIRE(kf_cache_open(&c, t.path, fp1, 0, NULL) == KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.reset, 0);
	CHECK_INT(s.entries, 1);
	CHECK(kf_cache_get(c, &st, &out));
	CHECK(same_entry(&out, &in));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	/* Other rules: everything goes. */
	REQUIRE(kf_cache_open(&c, t.path, fp2, 0, NULL) == KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.reset, 1);
	CHECK_INT(s.entries, 0);
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	/* The new fingerprint is now the stored one. */
	REQUIRE(kf_cache_open(&c, t.path, fp2, 0, NULL) == KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.reset, 0);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	/* Back to the first: reset again, still empty. */
	REQUIRE(kf_cache_open(&c, t.path, fp1, 0, NULL) == KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.reset, 1);
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

TEST(cache_forget)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(4), out;
	struct stat a = fake_st(1, 1), b = fake_st(2, 2), n = fake_st(3, 3);
	uint8_t fp[KS_SHA256_LEN];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	CHECK_INT(kf_cache_put(c, &a, &in), KS_OK);
	CHECK_INT(kf_cache_put(c, &b, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(kf_cache_get(c, &a, &out));
	/* A committed entry goes at once. */
	CHECK_INT(kf_cache_forget(c, &a), KS_OK);
	CHECK(!kf_cache_get(c, &a, &out));
	CHECK(kf_cache_get(c, &b, &out));
	/* A queued one never reaches the file; the rest of the queue
	 * does. */
	CHECK_INT(kf_cache_put(c, &a, &in), KS_OK);
	CHECK_INT(kf_cache_put(c, &n, &in), KS_OK);
	CHECK_INT(kf_cache_put(c, &a, &in), KS_OK);
	CHECK_INT(kf_cache_forget(c, &a), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(!kf_cache_get(c, &a, &out));
	CHECK(kf_cache_get(c, &n, &out));
	CHECK_INT(kf_cache_forget(c, &n), KS_OK);
	/* Forgetting an unknown file is fine. */
	CHECK_INT(kf_cache_forget(c, &n), KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.entries, 1);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

TEST(cache_batches_commit_when_full)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(5), out;
	struct stat st;
	uint8_t fp[KS_SHA256_LEN];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	/* The 1024th put commits the batch without a flush. */
	for (unsigned i = 0; i < 1024 + 10; i++) {
		st = fake_st(1000 + i, i);
		REQUIRE(kf_cache_put(c, &st, &in) == KS_OK);
	}
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.stores, 1024);
	CHECK_INT(s.entries, 1024);
	st = fake_st(1000, 0);
	CHECK(kf_cache_get(c, &st, &out));
	st = fake_st(1000 + 1024, 1024);
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(kf_cache_get(c, &st, &out));
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.stores, 1034);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

struct worker {
	struct kf_cache *c;
	unsigned base;
	int errors;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct kf_cache_entry e, out;
	struct stat st;

	for (unsigned i = 0; i < 3000; i++) {
		st = fake_st(w->base + i, i);
		e = entry_of(w->base + i);
		if (kf_cache_put(w->c, &st, &e) != KS_OK)
			w->errors++;
		/* Read back an older entry: a hit must hold its own data. */
		if (i >= 2000) {
			st = fake_st(w->base + i - 2000, i - 2000);
			if (kf_cache_get(w->c, &st, &out)) {
				e = entry_of(w->base + i - 2000);
				if (!same_entry(&e, &out))
					w->errors++;
			}
		}
		if (i % 700 == 0 && kf_cache_flush(w->c, NULL) != KS_OK)
			w->errors++;
	}
	return NULL;
}

TEST(cache_two_threads)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry out, e;
	struct worker w[2];
	pthread_t th[2];
	struct stat st;
	uint8_t fp[KS_SHA256_LEN];
	int missing = 0, wrong = 0;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	for (int i = 0; i < 2; i++) {
		w[i].c = c;
		w[i].base = 100000u * (unsigned)(i + 1);
		w[i].errors = 0;
		REQUIRE(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(w[0].errors, 0);
	CHECK_INT(w[1].errors, 0);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	for (int i = 0; i < 2; i++)
		for (unsigned k = 0; k < 3000; k++) {
			st = fake_st(w[i].base + k, k);
			e = entry_of(w[i].base + k);
			if (!kf_cache_get(c, &st, &out))
				missing++;
			else if (!same_entry(&e, &out))
				wrong++;
		}
	CHECK_INT(missing, 0);
	CHECK_INT(wrong, 0);
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.stores, 6000);
	CHECK_INT(s.entries, 6000);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int file_is(const char *path, const void *p, size_t n)
{
	static uint8_t got[65536];
	FILE *f = fopen(path, "rb");
	size_t k;

	if (f == NULL)
		return 0;
	k = fread(got, 1, sizeof got, f);
	fclose(f);
	return k == n && memcmp(got, p, n) == 0;
}

TEST(cache_corrupt_file_refused)
{
	struct tmpcache t;
	struct kf_cache *c = (struct kf_cache *)1;
	uint8_t fp[KS_SHA256_LEN], junk[16384];
	struct ks_err err;
	uint32_t x = 12345;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (uint8_t)(x >> 16);
	}
	/* Several pages of garbage, then less than a page. */
	REQUIRE(write_file(t.path, junk, sizeof junk) == 0);
	ks_err_clear(&err);
	CHECK_INT(kf_cache_open(&c, t.path, fp, 0, &err), KS_ERR_INVALID);
	CHECK(c == NULL);
	CHECK(strstr(err.msg, t.path) != NULL);
	CHECK(strstr(err.msg, "corrupt") != NULL);
	/* The file was not touched. */
	CHECK(file_is(t.path, junk, sizeof junk));

	REQUIRE(write_file(t.path, junk, 100) == 0);
	ks_err_clear(&err);
	CHECK(ks_failed(kf_cache_open(&c, t.path, fp, 0, &err)));
	CHECK(c == NULL);
	CHECK(strstr(err.msg, t.path) != NULL);
	CHECK(file_is(t.path, junk, 100));
	tc_done(&t);
}

TEST(cache_open_errors)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	uint8_t fp[KS_SHA256_LEN];
	struct ks_err err;
	char bad[200];

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	/* A directory where the file should be: no lock file is left. */
	REQUIRE(mkdir(t.path, 0700) == 0);
	ks_err_clear(&err);
	CHECK(ks_failed(kf_cache_open(&c, t.path, fp, 0, &err)));
	CHECK(c == NULL);
	CHECK(strstr(err.msg, "directory") != NULL);
	CHECK(access(t.lock, F_OK) != 0);
	rmdir(t.path);
	/* A missing parent directory. */
	snprintf(bad, sizeof bad, "%s/no/such/cache", t.dir);
	ks_err_clear(&err);
	CHECK_INT(kf_cache_open(&c, bad, fp, 0, &err), KS_ERR_NOTFOUND);
	CHECK(strstr(err.msg, bad) != NULL);
	CHECK(c == NULL);
	/* Permissions only hold for an unprivileged user. */
	if (geteuid() != 0) {
		REQUIRE(chmod(t.dir, 0500) == 0);
		ks_err_clear(&err);
		CHECK_INT(kf_cache_open(&c, t.path, fp, 0, &err), KS_ERR_PERM);
		CHECK(c == NULL);
		chmod(t.dir, 0700);
	}
	/* A cache that others could have written decides nothing. */
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, &err) == KS_OK);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	REQUIRE(chmod(t.path, 0666) == 0);
	ks_err_clear(&err);
	CHECK_INT(kf_cache_open(&c, t.path, fp, 0, &err), KS_ERR_PERM);
	CHECK(c == NULL);
	CHECK(strstr(err.msg, "writable by everyone") != NULL);
	REQUIRE(chmod(t.path, 0620) == 0);
	CHECK_INT(kf_cache_open(&c, t.path, fp, 0, &err), KS_ERR_PERM);
	CHECK(strstr(err.msg, "writable by its group") != NULL);
	REQUIRE(chmod(t.path, 0640) == 0);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, &err) == KS_OK);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	if (geteuid() == 0) {
		REQUIRE(chown(t.path, 12345, 12345) == 0);
		CHECK_INT(kf_cache_open(&c, t.path, fp, 0, &err),
			  KS_ERR_PERM);
		CHECK(strstr(err.msg, "uid 12345") != NULL);
	}
	CHECK_INT(kf_cache_open(&c, NULL, fp, 0, &err), KS_ERR_USAGE);
	CHECK_INT(kf_cache_close(NULL, NULL), KS_OK);
	CHECK_INT(kf_cache_flush(NULL, NULL), KS_OK);
	CHECK(!kf_cache_get(NULL, NULL, NULL));
	tc_done(&t);
}

/* Store raw values with LMDB itself, as a damaged or hostile file would
 * hold them. */
static int plant(const char *path, uint64_t ino, const void *val, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t key[16];
	MDB_val k = { sizeof key, key }, v = { n, (void *)val };
	uint64_t dev = 0x801;
	int rc;

	for (int i = 0; i < 8; i++) {
		key[i] = (uint8_t)(dev >> (56 - 8 * i));
		key[8 + i] = (uint8_t)(ino >> (56 - 8 * i));
	}
	if (mdb_env_create(&env) != 0)
		return -1;
	mdb_env_set_maxdbs(env, 4);
	rc = mdb_env_open(env, path, MDB_NOSUBDIR, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, "files", 0, &dbi);
		if (rc == 0)
			rc = mdb_put(txn, dbi, &k, &v, 0);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return rc == 0 ? 0 : -1;
}

TEST(cache_bad_values_miss)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_entry in = entry_of(8), out;
	struct stat st = fake_st(77, 10);
	uint8_t fp[KS_SHA256_LEN], val[600];
	struct ks_err err;
	/* Length of a value with empty strings; see cache.c. */
	const size_t fixed = 1 + 8 + 8 + 4 + 8 + 4 + 32 + 1 + 2;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	/* A good value for ino 77 was stored; make sure it is there, then
	 * plant values of every kind of wrong for it. */
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, NULL) == KS_OK);
	CHECK(kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	memset(val, 0, sizeof val);
	REQUIRE(plant(t.path, 77, "xyz", 3) == 0);
	REQUIRE(kf_cache_open(&c, t.path, fp, 0, &err) == KS_OK);
	CHECK(!kf_cache_get(c, &st, &out));
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);

	{
		/* Right layout for st, but a flaw each time. */
		struct {
			uint8_t version;
			size_t len;
			uint8_t mime_len;
			uint16_t desc_len;
		} cases[] = {
			{ 1, fixed, 0, 0 },         /* control: a valid value */
			{ 2, fixed, 0, 0 },         /* unknown format */
			{ 1, fixed + 1, 0, 0 },     /* one byte too many */
			{ 1, fixed - 1, 0, 0 },     /* one byte short */
			{ 1, fixed + 3, 4, 0 },     /* mime runs past the end */
			{ 1, fixed + 300, 0, 300 }, /* desc longer than allowed */
			{ 1, fixed + 200, 200, 0 }, /* mime longer than allowed */
			{ 1, 0, 0, 0 },             /* empty */
			{ 1, sizeof val, 0, 0 },    /* too long */
			{ 1, fixed + 4, 2, 2 },     /* NUL inside mime */
			{ 1, fixed + 4, 0, 4 },     /* NUL inside desc */
		};

		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			uint8_t *p = val;
			uint64_t v;

			memset(val, 'a', sizeof val);
			*p++ = cases[i].version;
			v = (uint64_t)st.st_size;
			for (int b = 0; b < 8; b++)
				*p++ = (uint8_t)(v >> (8 * b));
			v = (uint64_t)st.st_mtim.tv_sec;
			for (int b = 0; b < 8; b++)
				*p++ = (uint8_t)(v >> (8 * b));
			v = (uint64_t)st.st_mtim.tv_nsec;
			for (int b = 0; b < 4; b++)
				*p++ = (uint8_t)(v >> (8 * b));
			v = (uint64_t)st.st_ctim.tv_sec;
			for (int b = 0; b < 8; b++)
				*p++ = (uint8_t)(v >> (8 * b));
			v = (uint64_t)st.st_ctim.tv_nsec;
			for (int b = 0; b < 4; b++)
				*p++ = (uint8_t)(v >> (8 * b));
			p += 32;
			*p++ = cases[i].mime_len;
			*p++ = (uint8_t)cases[i].desc_len;
			*p++ = (uint8_t)(cases[i].desc_len >> 8);
			if (cases[i].len == fixed + 4)
				p[1] = '\0';
			REQUIRE(plant(t.path, 77, val, cases[i].len) == 0);
			REQUIRE(kf_cache_open(&c, t.path, fp, 0, &err) ==
				KS_OK);
			if (i == 0) {
				CHECK(kf_cache_get(c, &st, &out));
				CHECK_STR(out.mime, "");
			} else if (kf_cache_get(c, &st, &out)) {
				ut_fail(__FILE__, __LINE__,
					"bad value case %zu gave a hit", i);
			}
			CHECK_INT(kf_cache_close(c, NULL), KS_OK);
		}
	}
	tc_done(&t);
}

TEST(cache_map_full_stops_storing)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(9), out;
	struct stat st;
	uint8_t fp[KS_SHA256_LEN];
	struct ks_err err;
	const unsigned n = 30000;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp);
	REQUIRE(kf_cache_open(&c, t.path, fp, 1u << 20, &err) == KS_OK);
	for (unsigned i = 0; i < n; i++) {
		st = fake_st(i + 1, i);
		REQUIRE(kf_cache_put(c, &st, &in) == KS_OK);
	}
	/* The cap is reported once, at the flush, with a count. */
	ks_err_clear(&err);
	CHECK_INT(kf_cache_flush(c, &err), KS_ERR_LIMIT);
	CHECK(strstr(err.msg, "full") != NULL);
	CHECK(strstr(err.msg, "not stored") != NULL);
	CHECK_INT(kf_cache_flush(c, &err), KS_OK);
	kf_cache_get_stats(c, &s);
	CHECK(s.stores > 0);
	CHECK(s.stores < n);
	CHECK_INT(s.stores % 1024, 0);
	CHECK_INT(s.entries, s.stores);
	/* What was stored is still served; the rest misses. */
	st = fake_st(1, 0);
	CHECK(kf_cache_get(c, &st, &out));
	CHECK(same_entry(&out, &in));
	st = fake_st(n, n - 1);
	CHECK(!kf_cache_get(c, &st, &out));
	/* Later puts succeed but are dropped, and close says so. */
	st = fake_st(n + 1, 1);
	CHECK_INT(kf_cache_put(c, &st, &in), KS_OK);
	ks_err_clear(&err);
	CHECK_INT(kf_cache_close(c, &err), KS_ERR_LIMIT);
	CHECK(strstr(err.msg, "1 entries not stored") != NULL);
	/* The file is sound: it reopens with the stored entries. */
	REQUIRE(kf_cache_open(&c, t.path, fp, 1u << 20, &err) == KS_OK);
	st = fake_st(1, 0);
	CHECK(kf_cache_get(c, &st, &out));
	kf_cache_get_stats(c, &s);
	CHECK(s.entries > 0);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}

TEST(cache_other_process_changes_fingerprint)
{
	struct tmpcache t;
	struct kf_cache *c = NULL;
	struct kf_cache_stats s;
	struct kf_cache_entry in = entry_of(6), out;
	struct stat a = fake_st(1, 1), b = fake_st(2, 2);
	uint8_t fp1[KS_SHA256_LEN], fp2[KS_SHA256_LEN];
	pid_t pid;
	int status;

	REQUIRE(tc_init(&t) == 0);
	fp_of(1, fp1);
	fp_of(2, fp2);
	REQUIRE(kf_cache_open(&c, t.path, fp1, 0, NULL) == KS_OK);
	CHECK_INT(kf_cache_put(c, &a, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(kf_cache_get(c, &a, &out));
	/* Another scanner with other rules opens the same cache. */
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct kf_cache *o = NULL;

		if (kf_cache_open(&o, t.path, fp2, 0, NULL) != KS_OK)
			_exit(1);
		_exit(kf_cache_close(o, NULL) == KS_OK ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Our entries were for other rules: no hits, and nothing of ours
	 * is written into the other rules' cache. */
	CHECK(!kf_cache_get(c, &a, &out));
	CHECK_INT(kf_cache_put(c, &b, &in), KS_OK);
	CHECK_INT(kf_cache_flush(c, NULL), KS_OK);
	CHECK(!kf_cache_get(c, &b, &out));
	kf_cache_get_stats(c, &s);
	CHECK_INT(s.entries, 0);
	CHECK_INT(kf_cache_close(c, NULL), KS_OK);
	tc_done(&t);
}
