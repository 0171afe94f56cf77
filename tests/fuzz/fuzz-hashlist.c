/*
 * Fuzz target: the hash list parser (all three line formats) on arbitrary
 * bytes, then lookups.
 *
 * Properties checked beyond "no crash":
 *   - an entry added before the fuzzed text keeps its name whatever the
 *     text repeats (duplicates keep the first name);
 *   - the load report is consistent with the number of lines;
 *   - every name found is non-empty, at most one line long, without '\n'
 *     or trailing blanks;
 *   - lookups before sealing (linear) and after (binary search) agree,
 *     for the hash at the start of each line and a few sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "file/hashlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROBES 64

struct probe {
	uint8_t sum[KS_SHA256_LEN];
	int md5;
	uint64_t size;
	const char *name;
};

/* The sum a line starts with (after blanks), read loosely: any hex run of
 * 32 or more digits gives an MD5 or SHA-256 to look up. */
static int line_sum(const uint8_t *s, size_t n, struct probe *p)
{
	size_t i = 0, k = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i + k < n && ks_hexval(s[i + k]) >= 0)
		k++;
	if (k < 2 * KS_MD5_LEN)
		return -1;
	p->md5 = k < 2 * KS_SHA256_LEN;
	k = p->md5 ? KS_MD5_LEN : KS_SHA256_LEN;
	memset(p->sum, 0, sizeof p->sum);
	for (size_t j = 0; j < k; j++)
		p->sum[j] = (uint8_t)(ks_hexval(s[i + 2 * j]) << 4 |
				      ks_hexval(s[i + 2 * j + 1]));
	return 0;
}

static const char *look(const struct kf_hashlist *h, const struct probe *p)
{
	static const uint8_t none[KS_SHA256_LEN];
	const char *kind = NULL, *name;

	if (p->md5)
		name = kf_hashlist_lookup(h, none, p->sum, p->size, &kind);
	else
		name = kf_hashlist_lookup(h, p->sum, NULL, p->size, &kind);
	if ((name == NULL) != (kind == NULL))
		abort();
	if (name != NULL) {
		size_t n = strlen(name);

		if (n == 0 || n > 4096 || strchr(name, '\n') != NULL ||
		    name[n - 1] == ' ' || name[n - 1] == '\t' ||
		    name[n - 1] == '\r')
			abort();
		/* An MD5 probe passes an all-zero SHA-256, which the list
		 * may hold too (it then wins). */
		if (strcmp(kind, "sha256") != 0 &&
		    (!p->md5 || strcmp(kind, "md5") != 0))
			abort();
	}
	return name;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_hashlist *h = kf_hashlist_new();
	struct kf_hashlist_load rep;
	struct ks_err err;
	struct probe probes[PROBES], first;
	size_t np = 0, lines = 0, off = 0;
	char line[2 * KS_SHA256_LEN + 32];
	char hex[2 * KS_SHA256_LEN + 1];

	if (h == NULL)
		abort();
	/* The first 32 bytes, as a SHA-256 listed before the input. */
	memset(&first, 0, sizeof first);
	if (size > 0)
		memcpy(first.sum, data,
		       size < KS_SHA256_LEN ? size : KS_SHA256_LEN);
	first.size = size;
	snprintf(line, sizeof line, "%s:*:Fuzz.First\n",
		 ks_hex(first.sum, KS_SHA256_LEN, hex));
	if (kf_hashlist_add_text(h, line, strlen(line), "first", &rep,
				 &err) != KS_OK || rep.entries != 1)
		abort();

	if (kf_hashlist_add_text(h, (const char *)data, size, "fuzz/in.hsb",
				 &rep, &err) != KS_OK)
		abort();

	/* Lines, and a probe for the sum at the start of each. */
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl != NULL ? (size_t)(nl - (data + off))
				      : size - off;

		lines++;
		if (np < PROBES && line_sum(data + off, n, &probes[np]) == 0) {
			/* Sizes: 0, the line's length, any ("*" entries). */
			probes[np].size = np % 3 == 0 ? 0 :
					  np % 3 == 1 ? n : UINT64_MAX;
			np++;
		}
		off += n + 1;
	}
	if (rep.entries + rep.bad > lines)
		abort();
	for (uint64_t i = 0; i < rep.bad && i < KF_HASHLIST_BAD_KEEP; i++)
		if (rep.bad_lines[i] < 1 || rep.bad_lines[i] > lines ||
		    (i > 0 && rep.bad_lines[i] <= rep.bad_lines[i - 1]))
			abort();
	if (kf_hashlist_count(h) != rep.entries + 1)
		abort();

	for (size_t i = 0; i < np; i++)
		probes[i].name = look(h, &probes[i]);
	kf_hashlist_seal(h);
	if (kf_hashlist_count(h) < 1 || kf_hashlist_count(h) > rep.entries + 1)
		abort();
	for (size_t i = 0; i < np; i++)
		if (look(h, &probes[i]) != probes[i].name)
			abort();
	{
		const char *name = look(h, &first);

		if (name == NULL || strcmp(name, "Fuzz.First") != 0)
			abort();
	}
	/* Sums taken from the raw bytes, with and without an MD5. */
	if (size >= KS_SHA256_LEN) {
		const uint8_t *tail = data + size - KS_SHA256_LEN;

		kf_hashlist_lookup(h, tail, tail, size, NULL);
		kf_hashlist_lookup(h, tail, NULL, 0, NULL);
	}
	kf_hashlist_free(h);
	return 0;
}
