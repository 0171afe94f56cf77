/*
 * Fuzz target: the quarantine metadata parser (file/quarantine.h) on
 * arbitrary bytes, as a tampered store could hold them.
 *
 * Property checked beyond "no crash": whatever the parser accepts is
 * written back by kf_quar_meta_format, and parsing that text gives the
 * same metadata, field for field.
 */
#include <stdlib.h>
#include <string.h>

#include "file/quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int meta_eq(const struct kf_quar_meta *a, const struct kf_quar_meta *b)
{
	return strcmp(a->id, b->id) == 0 && str_eq(a->path, b->path) &&
	       a->size == b->size &&
	       memcmp(a->sha256, b->sha256, KS_SHA256_LEN) == 0 &&
	       a->uid == b->uid && a->gid == b->gid && a->mode == b->mode &&
	       ts_eq(&a->atime, &b->atime) && ts_eq(&a->mtime, &b->mtime) &&
	       a->dev == b->dev && a->ino == b->ino &&
	       str_eq(a->detection, b->detection) && str_eq(a->vm, b->vm) &&
	       str_eq(a->reason, b->reason) && a->when.sec == b->when.sec &&
	       a->when.usec == b->when.usec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_quar_meta m1, m2;
	struct ks_err err;
	char *text;
	size_t len;

	if (kf_quar_meta_parse((const char *)data, size, &m1, &err) != KS_OK)
		return 0;
	if (kf_quar_meta_format(&m1, &text, &len) != KS_OK)
		abort();
	if (len == 0 || text[len - 1] != '\n' ||
	    memchr(text, '\n', len) != text + len - 1)
		abort();
	if (kf_quar_meta_parse(text, len, &m2, &err) != KS_OK)
		abort();
	if (!meta_eq(&m1, &m2))
		abort();
	kf_quar_meta_free(&m1);
	kf_quar_meta_free(&m2);
	free(text);
	return 0;
}
