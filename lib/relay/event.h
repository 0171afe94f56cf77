/*
 * Guest file events: what the agent in each guest sends to kgi-relay, one
 * JSON object per line (ksvm-events(7), "guest events"):
 *
 *   {"id": "e-1", "vm": "web1", "op": "open", "path": "/tmp/x.exe",
 *    "pid": 4242, "process": "/usr/bin/bash", "user": "alice",
 *    "time": "2026-11-26T09:41:37.201000+0000"}
 *
 * id      string (1..256 bytes) or integer: copied into the decision;
 * vm      the guest's name (1..256 bytes);
 * op      open, create, write, close, execute or rename;
 * path    the file as the guest sees it: absolute, 1..4096 bytes, no NUL;
 * pid, process, user, time   optional, copied into the access record.
 * Unknown members are ignored.  The line reaches the parser through the
 * shared reader (line and nesting caps, NUL bytes and bad UTF-8 refused).
 */
#ifndef KS_RELAY_EVENT_H
#define KS_RELAY_EVENT_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/status.h"

#define KG_MAX_ID 256
#define KG_MAX_VM 256
#define KG_MAX_PATH 4096
#define KG_MAX_TEXT 4096

struct kg_event {
	struct json_object *obj;     /* the whole event (borrowed) */
	struct json_object *id;      /* borrowed, or NULL */
	const char *vm;              /* NULL when the guest is named by address */
	const char *address;         /* the guest's address, or NULL */
	unsigned op;                 /* KF_OP_* */
	const char *path;
	int64_t pid;                 /* -1 when absent */
	const char *process, *user, *time;   /* NULL when absent */
};

/*
 * Check a parsed event.  On KS_ERR_INVALID the message says which member
 * is wrong, and ev->id is still set when the event had a valid id (so the
 * decision can name it).  Pointers borrow from `obj`.
 */
enum ks_status kg_event_parse(struct json_object *obj, struct kg_event *ev,
			      struct ks_err *err);

#endif
