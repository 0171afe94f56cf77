/*
 * Fuzz target: the guest event stream of kgi-relay, from raw bytes through
 * the line splitter and JSON parser to the event checks.  An accepted event
 * has an id, a known op, an absolute path of bounded length and no NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file/profile.h"
#include "json/reader.h"
#include "relay/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kj_lines l;
	struct kj_parser p;
	struct json_object *o;
	struct kg_event ev;
	struct ks_err err;
	char *line;
	size_t len;
	enum ks_status st;
	int pushed = 0;

	kj_lines_init(&l, 65536);
	if (kj_parser_init(&p, 32) != KS_OK)
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
		if (kg_event_parse(o, &ev, &err) == KS_OK) {
			if (ev.id == NULL || ev.vm == NULL || ev.path == NULL ||
			    ev.path[0] != '/' || strlen(ev.path) > KG_MAX_PATH ||
			    kf_op_name(ev.op)[0] == 'u')
				abort();
		}
		json_object_put(o);
	}
	kj_parser_free(&p);
	kj_lines_free(&l);
	return 0;
}
