#include "relay/event.h"

#include <string.h>

#include "file/profile.h"

static int str_member(struct json_object *o, const char *key, size_t max,
		      int required, const char **out, struct ks_err *err)
{
	struct json_object *v;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (required) {
			ks_err_set(err, KS_ERR_INVALID, "the event has no '%s'",
				   key);
			return -1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		ks_err_set(err, KS_ERR_INVALID, "'%s' must be a string", key);
		return -1;
	}
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max) {
		ks_err_set(err, KS_ERR_INVALID, "'%s' must be 1 to %zu bytes",
			   key, max);
		return -1;
	}
	if (memchr(json_object_get_string(v), '\0', n) != NULL) {
		ks_err_set(err, KS_ERR_INVALID, "'%s' holds a NUL byte", key);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

enum ks_status kg_event_parse(struct json_object *obj, struct kg_event *ev,
			      struct ks_err *err)
{
	struct json_object *v;
	const char *op;

	memset(ev, 0, sizeof *ev);
	ev->obj = obj;
	ev->pid = -1;
	if (!json_object_object_get_ex(obj, "id", &v) || v == NULL)
		return ks_err_set(err, KS_ERR_INVALID, "the event has no 'id'");
	if (json_object_is_type(v, json_type_string)) {
		size_t n = (size_t)json_object_get_string_len(v);

		if (n == 0 || n > KG_MAX_ID)
			return ks_err_set(err, KS_ERR_INVALID,
					  "'id' must be 1 to %d bytes", KG_MAX_ID);
	} else if (!json_object_is_type(v, json_type_int)) {
		return ks_err_set(err, KS_ERR_INVALID,
				  "'id' must be a string or an integer");
	}
	ev->id = v;
	/* The guest: by name, or by its address (an agent that does not
	 * know the name it has on the appliance). */
	if (str_member(obj, "vm", KG_MAX_VM, 0, &ev->vm, err) != 0 ||
	    str_member(obj, "address", 64, 0, &ev->address, err) != 0)
		return KS_ERR_INVALID;
	if (ev->vm == NULL && ev->address == NULL)
		return ks_err_set(err, KS_ERR_INVALID, "the event has no 'vm' "
				  "and no 'address'");
	if (str_member(obj, "op", 32, 1, &op, err) != 0 ||
	    str_member(obj, "path", KG_MAX_PATH, 1, &ev->path, err) != 0 ||
	    str_member(obj, "process", KG_MAX_TEXT, 0, &ev->process, err) != 0 ||
	    str_member(obj, "user", KG_MAX_ID, 0, &ev->user, err) != 0 ||
	    str_member(obj, "time", 64, 0, &ev->time, err) != 0)
		return KS_ERR_INVALID;
	ev->op = kf_op_parse(op);
	if (ev->op == 0 || ev->op == KF_OP_CLOSE_AFTER_WRITE)
		return ks_err_set(err, KS_ERR_INVALID, "unknown op '%s' (open, "
				  "create, write, close, execute, rename)", op);
	if (ev->path[0] != '/')
		return ks_err_set(err, KS_ERR_INVALID, "'path' must be absolute");
	if (json_object_object_get_ex(obj, "pid", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0)
			return ks_err_set(err, KS_ERR_INVALID,
					  "'pid' must be a non-negative integer");
		ev->pid = json_object_get_int64(v);
	}
	return KS_OK;
}
