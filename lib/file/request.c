#include "file/request.h"

#include <string.h>

static int get_string(struct json_object *obj, const char *key,
		      size_t max, const char **out, struct ks_err *err)
{
	struct json_object *v;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		ks_err_set(err, KS_ERR_INVALID, "'%s' must be a string", key);
		return -1;
	}
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max) {
		ks_err_set(err, KS_ERR_INVALID,
			   "'%s' must be 1 to %zu bytes long", key, max);
		return -1;
	}
	*out = json_object_get_string(v);
	if (memchr(*out, '\0', n) != NULL) {
		ks_err_set(err, KS_ERR_INVALID, "'%s' holds a NUL byte", key);
		*out = NULL;
		return -1;
	}
	return 0;
}

enum ks_status kf_request_parse(struct json_object *obj, struct kf_request *r,
				struct ks_err *err)
{
	struct json_object *id;

	memset(r, 0, sizeof *r);
	if (!json_object_object_get_ex(obj, "id", &id) || id == NULL)
		return ks_err_set(err, KS_ERR_INVALID, "the request has no 'id'");
	if (json_object_is_type(id, json_type_string)) {
		size_t n = (size_t)json_object_get_string_len(id);

		if (n == 0 || n > KF_REQ_MAX_ID)
			return ks_err_set(err, KS_ERR_INVALID,
					  "'id' must be 1 to %d bytes long",
					  KF_REQ_MAX_ID);
	} else if (!json_object_is_type(id, json_type_int)) {
		return ks_err_set(err, KS_ERR_INVALID,
				  "'id' must be a string or an integer");
	}
	r->id = id;
	if (get_string(obj, "path", KF_REQ_MAX_PATH, &r->path, err) != 0)
		return KS_ERR_INVALID;
	if (r->path == NULL)
		return ks_err_set(err, KS_ERR_INVALID,
				  "the request has no 'path'");
	if (r->path[0] != '/')
		return ks_err_set(err, KS_ERR_INVALID,
				  "'path' must be absolute");
	if (get_string(obj, "root", KF_REQ_MAX_PATH, &r->root, err) != 0)
		return KS_ERR_INVALID;
	if (r->root != NULL && r->root[0] != '/')
		return ks_err_set(err, KS_ERR_INVALID,
				  "'root' must be absolute");
	if (get_string(obj, "vm", KF_REQ_MAX_VM, &r->vm, err) != 0 ||
	    get_string(obj, "profile", KF_REQ_MAX_PROFILE, &r->profile,
		       err) != 0)
		return KS_ERR_INVALID;
	json_object_object_get_ex(obj, "event", &r->event);
	r->act = 1;
	if (json_object_object_get_ex(obj, "act", &id) && id != NULL) {
		if (!json_object_is_type(id, json_type_boolean))
			return ks_err_set(err, KS_ERR_INVALID,
					  "'act' must be true or false");
		r->act = json_object_get_boolean(id);
	}
	return KS_OK;
}
