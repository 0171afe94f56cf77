#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file/hashlist.h"
#include "unit.h"

/* SHA-256 and MD5 of "" and of "abc". */
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MD5_EMPTY "d41d8cd98f00b204e9800998ecf8427e"
#define MD5_ABC   "900150983cd24fb0d6963f7d28e17f72"

static void sha(const char *hex, uint8_t out[KS_SHA256_LEN])
{
	if (ks_unhex(hex, KS_SHA256_LEN, out) != 0)
		abort();
}

static void md5(const char *hex, uint8_t out[KS_MD5_LEN])
{
	if (ks_unhex(hex, KS_MD5_LEN, out) != 0)
		abort();
}

static enum ks_status add(struct kf_hashlist *h, const char *text,
			  const char *source, struct kf_hashlist_load *rep)
{
	return kf_hashlist_add_text(h, text, strlen(text), source, rep, NULL);
}

/* A list from one text, sealed; NULL when adding failed. */
static struct kf_hashlist *list_of(const char *text, const char *source,
				   struct kf_hashlist_load *rep)
{
	struct kf_hashlist *h = kf_hashlist_new();
	struct ks_err err;

	if (h == NULL)
		return NULL;
	if (kf_hashlist_add_text(h, text, strlen(text), source, rep, &err) !=
	    KS_OK) {
		kf_hashlist_free(h);
		return NULL;
	}
	kf_hashlist_seal(h);
	return h;
}

/* Name found for a SHA-256 given in hex (no MD5), or NULL. */
static const char *by_sha(const struct kf_hashlist *h, const char *hex,
			  uint64_t size)
{
	uint8_t s[KS_SHA256_LEN];
	const char *kind;
	const char *name;

	sha(hex, s);
	name = kf_hashlist_lookup(h, s, NULL, size, &kind);
	if (name != NULL && strcmp(kind, "sha256") != 0)
		return "(wrong kind)";
	return name;
}

/* Name found for an MD5 given in hex (SHA-256 of "abc" never listed). */
static const char *by_md5(const struct kf_hashlist *h, const char *hex,
			  uint64_t size)
{
	uint8_t s[KS_SHA256_LEN], m[KS_MD5_LEN];
	const char *kind;
	const char *name;

	memset(s, 0x5a, sizeof s);
	md5(hex, m);
	name = kf_hashlist_lookup(h, s, m, size, &kind);
	if (name != NULL && strcmp(kind, "md5") != 0)
		return "(wrong kind)";
	return name;
}

TEST(hashlist_bare_hashes)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(SHA_EMPTY "\n" MD5_EMPTY "\n",
					"lists/main.hsb", &rep);
	uint8_t s[KS_SHA256_LEN], m[KS_MD5_LEN];
	const char *kind = "unset";

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 2);
	CHECK_INT(rep.bad, 0);
	CHECK_INT(kf_hashlist_count(h), 2);
	CHECK(kf_hashlist_has_md5(h));
	/* A bare hash matches any size, under the default name. */
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "Hash.main.hsb");
	CHECK_STR(by_sha(h, SHA_EMPTY, 123456), "Hash.main.hsb");
	CHECK_STR(by_md5(h, MD5_EMPTY, 7), "Hash.main.hsb");
	CHECK(by_sha(h, SHA_ABC, 0) == NULL);
	CHECK(by_md5(h, MD5_ABC, 0) == NULL);
	/* Without an MD5 the MD5 entries are not consulted. */
	memset(s, 0x5a, sizeof s);
	md5(MD5_EMPTY, m);
	CHECK(kf_hashlist_lookup(h, s, NULL, 0, &kind) == NULL);
	CHECK(kind == NULL);
	CHECK_STR(kf_hashlist_lookup(h, s, m, 0, &kind), "Hash.main.hsb");
	CHECK_STR(kind, "md5");
	/* SHA-256 wins when both match. */
	sha(SHA_EMPTY, s);
	CHECK_STR(kf_hashlist_lookup(h, s, m, 0, &kind), "Hash.main.hsb");
	CHECK_STR(kind, "sha256");
	/* kind may be NULL. */
	CHECK_STR(kf_hashlist_lookup(h, s, NULL, 0, NULL), "Hash.main.hsb");
	kf_hashlist_free(h);
}

TEST(hashlist_sha256sum_forms)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(
		SHA_EMPTY "  empty.txt\n"
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
		" *dir/abc file.bin  \n"
		MD5_EMPTY "\tmd5 name\n"
		MD5_ABC " *\n",
		"sums", &rep);

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 4);
	CHECK_INT(rep.bad, 0);
	CHECK_STR(by_sha(h, SHA_EMPTY, 99), "empty.txt");
	/* Upper-case hex; the '*' of binary mode is not part of the name;
	 * inner blanks stay, trailing ones go. */
	CHECK_STR(by_sha(h, SHA_ABC, 3), "dir/abc file.bin");
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "md5 name");
	/* "*" and nothing after it: the default name. */
	CHECK_STR(by_md5(h, MD5_ABC, 3), "Hash.sums");
	kf_hashlist_free(h);
}

TEST(hashlist_clamav_forms)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(
		SHA_EMPTY ":0:Empty.File-1\n"
		SHA_ABC ":*:Any.Size\n"
		MD5_EMPTY ":68:Eicar.Md5\n"
		MD5_ABC ":3:\n"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		":0010: Has:colons:2 \n",
		"db/main.hdb", &rep);
	const char *a64 =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 5);
	CHECK_INT(rep.bad, 0);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "Empty.File-1");
	/* The size must match exactly. */
	CHECK(by_sha(h, SHA_EMPTY, 1) == NULL);
	CHECK_STR(by_sha(h, SHA_ABC, 0), "Any.Size");
	CHECK_STR(by_sha(h, SHA_ABC, 1u << 30), "Any.Size");
	CHECK_STR(by_md5(h, MD5_EMPTY, 68), "Eicar.Md5");
	CHECK(by_md5(h, MD5_EMPTY, 67) == NULL);
	CHECK(by_md5(h, MD5_EMPTY, 69) == NULL);
	CHECK_STR(by_md5(h, MD5_ABC, 3), "Hash.main.hdb");
	/* Leading zeros in the size; the name is everything after the
	 * second ':' (a leading blank included), trailing blanks trimmed. */
	CHECK_STR(by_sha(h, a64, 10), " Has:colons:2");
	CHECK(by_sha(h, a64, 100) == NULL);
	kf_hashlist_free(h);
}

TEST(hashlist_bad_lines_counted_with_numbers)
{
	static const char text[] =
		"# a comment\n"                                          /* 1 */
		SHA_EMPTY "0\n"                          /* 65 digits */ /* 2 */
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n"
		MD5_EMPTY "g\n"                        /* non-hex tail */ /* 4 */
		"zz" MD5_EMPTY "\n"                                      /* 5 */
		SHA_EMPTY ":-1:Neg\n"                                    /* 6 */
		SHA_EMPTY ":12a:Alpha\n"                                 /* 7 */
		SHA_EMPTY "::NoSize\n"                                   /* 8 */
		SHA_EMPTY ":12\n"                                        /* 9 */
		SHA_EMPTY ":9223372036854775808:TooBig\n"                /* 10 */
		SHA_EMPTY ":+5:Plus\n"                                   /* 11 */
		"da39a3ee5e6b4b0d3255bfef95601890afd80709\n" /* SHA-1 */ /* 12 */
		SHA_EMPTY ";x\n"                                         /* 13 */
		"\n"                                                     /* 14 */
		SHA_ABC ":9223372036854775807:MaxSize\n"                 /* 15 */
		"not a hash at all\n";                                   /* 16 */
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(text, "t", &rep);

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 1);
	CHECK_INT(rep.bad, 13);
	{
		static const uint64_t want[] = { 2, 3, 4, 5, 6, 7, 8, 9, 10,
						 11, 12, 13, 16 };

		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			CHECK_INT(rep.bad_lines[i], want[i]);
	}
	CHECK_INT(kf_hashlist_count(h), 1);
	CHECK_STR(by_sha(h, SHA_ABC, 9223372036854775807ull), "MaxSize");
	CHECK(by_sha(h, SHA_EMPTY, 12) == NULL);
	kf_hashlist_free(h);
}

TEST(hashlist_bad_lines_keep_first_16)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h;
	char text[4096];
	size_t len = 0;

	/* 20 bad lines, then a good one at line 21. */
	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "bad\n");
	snprintf(text + len, sizeof text - len, "%s\n", SHA_EMPTY);
	h = list_of(text, "t", &rep);
	REQUIRE(h != NULL);
	CHECK_INT(rep.bad, 20);
	CHECK_INT(rep.entries, 1);
	for (int i = 0; i < KF_HASHLIST_BAD_KEEP; i++)
		CHECK_INT(rep.bad_lines[i], i + 1);
	kf_hashlist_free(h);
}

TEST(hashlist_nul_byte_is_bad)
{
	static const char text[] = SHA_EMPTY "  a\0b\n" SHA_ABC "\n";
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = kf_hashlist_new();

	REQUIRE(h != NULL);
	CHECK_INT(kf_hashlist_add_text(h, text, sizeof text - 1, "t", &rep,
				       NULL), KS_OK);
	kf_hashlist_seal(h);
	CHECK_INT(rep.entries, 1);
	CHECK_INT(rep.bad, 1);
	CHECK_INT(rep.bad_lines[0], 1);
	CHECK(by_sha(h, SHA_EMPTY, 0) == NULL);
	CHECK_STR(by_sha(h, SHA_ABC, 0), "Hash.t");
	kf_hashlist_free(h);
}

TEST(hashlist_comments_blank_crlf)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(
		"# header\r\n"
		"\r\n"
		"   \t \n"
		"  # indented comment " SHA_ABC "\n"
		SHA_EMPTY "  name one\r\n"
		MD5_EMPTY ":0:Crlf.Name\r\n"
		"\t" MD5_ABC "\r\n"
		"# last line has no newline\r",
		"t", &rep);

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 3);
	CHECK_INT(rep.bad, 0);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "name one");
	CHECK(by_sha(h, SHA_ABC, 0) == NULL);
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "Crlf.Name");
	CHECK_STR(by_md5(h, MD5_ABC, 0), "Hash.t");
	kf_hashlist_free(h);
}

TEST(hashlist_last_line_without_newline)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = list_of(MD5_EMPTY "\n" SHA_EMPTY "  tail",
					"t", &rep);

	REQUIRE(h != NULL);
	CHECK_INT(rep.entries, 2);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "tail");
	kf_hashlist_free(h);
}

/* "HEX  NAME" padded with a name to exactly `len` bytes. */
static char *long_line(size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, SHA_ABC "  ", 66);
	memset(s + 66, 'n', len - 66);
	s[len] = '\0';
	return s;
}

TEST(hashlist_line_cap_in_text)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = kf_hashlist_new();
	char *at_cap = long_line(4096), *over = long_line(5000);
	char *text = NULL;
	int len;
	const char *name;

	REQUIRE(h != NULL);
	len = asprintf(&text, "%s\n%s\n" MD5_EMPTY "\n", over, at_cap);
	REQUIRE(len > 0);
	/* The over-long line carries SHA_ABC too: it must not count. */
	CHECK_INT(kf_hashlist_add_text(h, text, (size_t)len, "t", &rep, NULL),
		  KS_OK);
	kf_hashlist_seal(h);
	CHECK_INT(rep.entries, 2);
	CHECK_INT(rep.bad, 1);
	CHECK_INT(rep.bad_lines[0], 1);
	name = by_sha(h, SHA_ABC, 0);
	REQUIRE(name != NULL);
	CHECK_INT(strlen(name), 4096 - 66);
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "Hash.t");
	free(text);
	free(at_cap);
	free(over);
	kf_hashlist_free(h);
}

/* A temporary directory and a file in it with the given bytes. */
static char *write_tmp(char *dir, const char *base, const void *p, size_t n)
{
	char *path = NULL;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return NULL;
	if (asprintf(&path, "%s/%s", dir, base) < 0)
		return NULL;
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
	return path;
}

static void remove_tmp(const char *dir, char *path)
{
	if (path != NULL)
		unlink(path);
	rmdir(dir);
	free(path);
}

TEST(hashlist_add_file_line_cap_across_reads)
{
	char dir[] = "/tmp/ut-hashlist-XXXXXX";
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = kf_hashlist_new();
	struct ks_err err;
	/* Lines: a 5000-byte one, a 200000-byte one (longer than one read),
	 * one of exactly 4096 bytes, then two entries, CRLF, no final '\n'. */
	char *l5000 = long_line(5000), *l200k = long_line(200000);
	char *l4096 = long_line(4096);
	char *text = NULL, *path;
	const char *name;
	int len;

	REQUIRE(h != NULL);
	len = asprintf(&text, "%s\r\n%s\n%s\n" SHA_EMPTY ":0:Zero\r\n"
			      MD5_EMPTY " *md5.bin", l5000, l200k, l4096);
	REQUIRE(len > 0);
	path = write_tmp(dir, "feed.hsb", text, (size_t)len);
	REQUIRE(path != NULL);
	CHECK_INT(kf_hashlist_add_file(h, path, &rep, &err), KS_OK);
	kf_hashlist_seal(h);
	CHECK_INT(rep.entries, 3);
	CHECK_INT(rep.bad, 2);
	CHECK_INT(rep.bad_lines[0], 1);
	CHECK_INT(rep.bad_lines[1], 2);
	name = by_sha(h, SHA_ABC, 0);
	REQUIRE(name != NULL);
	CHECK_INT(strlen(name), 4096 - 66);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "Zero");
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "md5.bin");
	remove_tmp(dir, path);
	free(text);
	free(l5000);
	free(l200k);
	free(l4096);
	kf_hashlist_free(h);
}

TEST(hashlist_add_file_default_name_and_errors)
{
	char dir[] = "/tmp/ut-hashlist-XXXXXX";
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = kf_hashlist_new();
	struct ks_err err;
	char *path, *missing = NULL;
	static const char text[] = SHA_EMPTY "\n";

	REQUIRE(h != NULL);
	path = write_tmp(dir, "local.hsb", text, sizeof text - 1);
	REQUIRE(path != NULL);
	CHECK_INT(kf_hashlist_add_file(h, path, &rep, &err), KS_OK);
	CHECK_INT(rep.entries, 1);
	kf_hashlist_seal(h);
	CHECK_STR(by_sha(h, SHA_EMPTY, 5), "Hash.local.hsb");

	REQUIRE(asprintf(&missing, "%s/none.hsb", dir) > 0);
	ks_err_clear(&err);
	CHECK_INT(kf_hashlist_add_file(h, missing, &rep, &err),
		  KS_ERR_NOTFOUND);
	CHECK(strstr(err.msg, "none.hsb") != NULL);
	CHECK_INT(rep.entries, 0);
	/* A directory cannot be read as a list. */
	ks_err_clear(&err);
	CHECK(ks_failed(kf_hashlist_add_file(h, dir, &rep, &err)));
	CHECK(strstr(err.msg, dir) != NULL);
	/* The list is untouched by the failures. */
	CHECK_INT(kf_hashlist_count(h), 1);
	free(missing);
	remove_tmp(dir, path);
	kf_hashlist_free(h);
}

TEST(hashlist_default_names_from_source)
{
	struct kf_hashlist *h = kf_hashlist_new();
	struct kf_hashlist_load rep;

	REQUIRE(h != NULL);
	CHECK_INT(kf_hashlist_add_text(h, SHA_EMPTY, 64, "/etc/ksvm/a.hsb",
				       &rep, NULL), KS_OK);
	CHECK_INT(kf_hashlist_add_text(h, SHA_ABC, 64, NULL, &rep, NULL),
		  KS_OK);
	CHECK_INT(kf_hashlist_add_text(h, MD5_EMPTY, 32, "plain", NULL, NULL),
		  KS_OK);
	kf_hashlist_seal(h);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "Hash.a.hsb");
	CHECK_STR(by_sha(h, SHA_ABC, 0), "Hash.list");
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "Hash.plain");
	CHECK_INT(kf_hashlist_count(h), 3);
	kf_hashlist_free(h);
}

TEST(hashlist_duplicates_keep_first_name)
{
	struct kf_hashlist_load rep;
	struct kf_hashlist *h = kf_hashlist_new();

	REQUIRE(h != NULL);
	CHECK_INT(add(h, SHA_EMPTY "  first\n" SHA_EMPTY "  second\n"
		      MD5_EMPTY ":0:M.First\n", "one", &rep), KS_OK);
	CHECK_INT(rep.entries, 3);
	/* A second list repeats them: still the first names. */
	CHECK_INT(add(h, SHA_EMPTY ":*:third\n" MD5_EMPTY ":0:M.Second\n",
		      "two", &rep), KS_OK);
	CHECK_INT(rep.entries, 2);
	/* Before sealing lookups already give the first name. */
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "first");
	CHECK_INT(kf_hashlist_count(h), 5);
	kf_hashlist_seal(h);
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "first");
	CHECK_STR(by_md5(h, MD5_EMPTY, 0), "M.First");
	/* Exact repeats are gone after sealing. */
	CHECK_INT(kf_hashlist_count(h), 2);
	kf_hashlist_free(h);
}

TEST(hashlist_same_hash_different_sizes)
{
	struct kf_hashlist *h = list_of(
		SHA_ABC ":100:A.Hundred\n"
		SHA_ABC ":*:B.Any\n"
		SHA_ABC ":100:C.Hundred\n"
		SHA_ABC ":7:D.Seven\n"
		SHA_EMPTY ":*:E.Any\n"
		SHA_EMPTY ":5:F.Five\n", "t", NULL);

	REQUIRE(h != NULL);
	CHECK_INT(kf_hashlist_count(h), 5);
	/* The earliest entry that fits the size wins. */
	CHECK_STR(by_sha(h, SHA_ABC, 100), "A.Hundred");
	CHECK_STR(by_sha(h, SHA_ABC, 7), "B.Any");
	CHECK_STR(by_sha(h, SHA_ABC, 1), "B.Any");
	CHECK_STR(by_sha(h, SHA_EMPTY, 5), "E.Any");
	CHECK_STR(by_sha(h, SHA_EMPTY, 6), "E.Any");
	kf_hashlist_free(h);
}

TEST(hashlist_md5_only_when_listed)
{
	struct kf_hashlist *h = list_of(SHA_EMPTY "\n", "t", NULL);
	struct kf_hashlist *e = kf_hashlist_new();
	uint8_t s[KS_SHA256_LEN];

	REQUIRE(h != NULL && e != NULL);
	CHECK(!kf_hashlist_has_md5(h));
	CHECK_INT(kf_hashlist_count(h), 1);
	/* An empty list, sealed or not, finds nothing. */
	CHECK(!kf_hashlist_has_md5(e));
	CHECK_INT(kf_hashlist_count(e), 0);
	sha(SHA_EMPTY, s);
	CHECK(kf_hashlist_lookup(e, s, NULL, 0, NULL) == NULL);
	kf_hashlist_seal(e);
	CHECK(kf_hashlist_lookup(e, s, s, 0, NULL) == NULL);
	kf_hashlist_free(h);
	kf_hashlist_free(e);
	kf_hashlist_free(NULL);
}

TEST(hashlist_many_entries_bsearch)
{
	struct kf_hashlist *h = kf_hashlist_new();
	struct kf_hashlist_load rep;
	const size_t cap = 20000 * 100;
	char *text = malloc(cap);
	size_t len = 0;
	uint8_t s[KS_SHA256_LEN], m[KS_MD5_LEN];
	char hex[2 * KS_SHA256_LEN + 1], want[32];
	int bad = 0;

	REQUIRE(h != NULL && text != NULL);
	/* Entries in an order unrelated to their hashes: SHA-256 of i for
	 * even i, sized i; an MD5 made of i's bytes for odd i. */
	for (unsigned i = 0; i < 20000; i++) {
		if (i % 2 == 0) {
			ks_sha256(&i, sizeof i, s);
			len += (size_t)snprintf(text + len, cap - len,
						"%s:%u:S.%u\n",
						ks_hex(s, sizeof s, hex), i, i);
		} else {
			memset(m, 0, sizeof m);
			memcpy(m, &i, sizeof i);
			len += (size_t)snprintf(text + len, cap - len,
						"%s  M.%u\n",
						ks_hex(m, sizeof m, hex), i);
		}
	}
	CHECK_INT(kf_hashlist_add_text(h, text, len, "big", &rep, NULL),
		  KS_OK);
	CHECK_INT(rep.entries, 20000);
	kf_hashlist_seal(h);
	CHECK_INT(kf_hashlist_count(h), 20000);
	for (unsigned i = 0; i < 20000; i++) {
		const char *got;

		if (i % 2 == 0) {
			ks_sha256(&i, sizeof i, s);
			got = kf_hashlist_lookup(h, s, NULL, i, NULL);
			snprintf(want, sizeof want, "S.%u", i);
			if (got == NULL || strcmp(got, want) != 0)
				bad++;
			/* Wrong size: no match. */
			if (kf_hashlist_lookup(h, s, NULL, i + 1, NULL))
				bad++;
		} else {
			memset(s, 0, sizeof s);
			memset(m, 0, sizeof m);
			memcpy(m, &i, sizeof i);
			got = kf_hashlist_lookup(h, s, m, 12345, NULL);
			snprintf(want, sizeof want, "M.%u", i);
			if (got == NULL || strcmp(got, want) != 0)
				bad++;
			/* An unlisted MD5 next to it. */
			m[15] = 1;
			if (kf_hashlist_lookup(h, s, m, 0, NULL) != NULL)
				bad++;
		}
	}
	CHECK_INT(bad, 0);
	free(text);
	kf_hashlist_free(h);
}

TEST(hashlist_add_after_seal)
{
	struct kf_hashlist *h = list_of(SHA_EMPTY "  one\n", "t", NULL);

	REQUIRE(h != NULL);
	CHECK_INT(add(h, SHA_ABC "  two\n", "t", NULL), KS_OK);
	/* Found before and after the list is sealed again. */
	CHECK_STR(by_sha(h, SHA_ABC, 0), "two");
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "one");
	kf_hashlist_seal(h);
	CHECK_STR(by_sha(h, SHA_ABC, 0), "two");
	CHECK_STR(by_sha(h, SHA_EMPTY, 0), "one");
	kf_hashlist_free(h);
}

/* Found by fuzzing (a property of the fuzz target, kept as a seed): a
 * caller that passes a SHA-256 that is also listed gets the SHA-256 entry
 * even when its MD5 is listed too. */
TEST(hashlist_sha256_entry_wins_over_md5)
{
	struct kf_hashlist *h = list_of(MD5_EMPTY "  by.md5\n", "t", NULL);
	uint8_t s[KS_SHA256_LEN], m[KS_MD5_LEN];
	const char *kind = NULL;

	REQUIRE(h != NULL);
	memset(s, 0, sizeof s);
	md5(MD5_EMPTY, m);
	CHECK_STR(kf_hashlist_lookup(h, s, m, 0, &kind), "by.md5");
	CHECK_STR(kind, "md5");
	CHECK_INT(add(h, "0000000000000000000000000000000000000000000000000000000000000000"
		      "  by.sha\n", "t", NULL), KS_OK);
	kf_hashlist_seal(h);
	CHECK_STR(kf_hashlist_lookup(h, s, m, 0, &kind), "by.sha");
	CHECK_STR(kind, "sha256");
	kf_hashlist_free(h);
}
