/*
 * Fuzz target: the request stream of `kfscan --requests`, from raw bytes
 * through the line splitter, the JSON parser and the request checks.
 * Beyond "no crash": an accepted request has an id, an absolute path
 * without NUL bytes, and fields within their caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file/request.h"
#include "json/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kj_lines l;
	struct kj_parser p;
	struct json_object *o;
	struct kf_request rq;
	struct ks_err err;
	char *line;
	size_t len;
	enum ks_status st;
	int pushed = 0;

	kj_lines_init(&l, 8192);
	if (kj_parser_init(&p, 16) != KS_OK)
		abort();
	for (;;) {
		st = kj_lines_next(&l, &line, &len, pushed);
		if (st == KS_EOF)
			break;
		if (st == KS_AGAIN) {
			if (size > kj_lines_room(&l))
				size = kj_lines_room(&l);
			if (kj_lines_push(&l, data, size) != KS_OK)
				abort();
			pushed = 1;
			continue;
		}
		if (st != KS_OK)
			continue;
		if (kj_parse(&p, line, len, &o, &err) != KS_OK || o == NULL)
			continue;
		if (kf_request_parse(o, &rq, &err) == KS_OK) {
			if (rq.id == NULL || rq.path == NULL || rq.path[0] != '/' ||
			    strlen(rq.path) > KF_REQ_MAX_PATH)
				abort();
			if (rq.vm != NULL && strlen(rq.vm) > KF_REQ_MAX_VM)
				abort();
			if (rq.profile != NULL &&
			    strlen(rq.profile) > KF_REQ_MAX_PROFILE)
				abort();
		}
		json_object_put(o);
	}
	kj_parser_free(&p);
	kj_lines_free(&l);
	return 0;
}
