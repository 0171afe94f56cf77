#include "file/request.h"
#include "json/reader.h"
#include "unit.h"

static enum ks_status parse(const char *text, struct kf_request *rq,
			    struct json_object **keep, struct ks_err *err)
{
	struct kj_parser p;
	char buf[1024];
	size_t n = strlen(text);
	enum ks_status st;

	memcpy(buf, text, n);
	kj_parser_init(&p, 0);
	st = kj_parse(&p, buf, n, keep, err);
	kj_parser_free(&p);
	if (st != KS_OK)
		return st;
	return kf_request_parse(*keep, rq, err);
}

TEST(request_table)
{
	static const struct {
		const char *in;
		enum ks_status want;
		int has_id;
		const char *msg;
	} t[] = {
		{ "{\"id\":\"a\",\"path\":\"/x\"}", KS_OK, 1, NULL },
		{ "{\"id\":5,\"path\":\"/x\",\"vm\":\"v\",\"profile\":\"p\",\"event\":[1]}", KS_OK, 1, NULL },
		{ "{\"id\":\"a\",\"path\":\"/x\",\"vm\":null,\"extra\":{}}", KS_OK, 1, NULL },
		{ "{\"path\":\"/x\"}", KS_ERR_INVALID, 0, "no 'id'" },
		{ "{\"id\":1.5,\"path\":\"/x\"}", KS_ERR_INVALID, 0, "string or an integer" },
		{ "{\"id\":\"\",\"path\":\"/x\"}", KS_ERR_INVALID, 0, "1 to 256" },
		{ "{\"id\":\"a\"}", KS_ERR_INVALID, 1, "no 'path'" },
		{ "{\"id\":\"a\",\"path\":\"x\"}", KS_ERR_INVALID, 1, "absolute" },
		{ "{\"id\":\"a\",\"path\":7}", KS_ERR_INVALID, 1, "must be a string" },
		{ "{\"id\":\"a\",\"path\":\"/x\\u0000y\"}", KS_ERR_INVALID, 1, "NUL byte" },
		{ "{\"id\":\"a\",\"path\":\"/x\",\"vm\":\"\"}", KS_ERR_INVALID, 1, "'vm'" },
		{ "{\"id\":\"a\",\"path\":\"/x\",\"profile\":[1]}", KS_ERR_INVALID, 1, "'profile' must be" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct kf_request rq;
		struct json_object *o = NULL;
		struct ks_err err;
		enum ks_status st = parse(t[i].in, &rq, &o, &err);

		if (st != t[i].want)
			ut_fail(__FILE__, __LINE__, "row %zu: status %s", i,
				ks_status_name(st));
		if ((rq.id != NULL) != t[i].has_id)
			ut_fail(__FILE__, __LINE__, "row %zu: id %s", i,
				rq.id ? "set" : "unset");
		if (t[i].msg != NULL && strstr(err.msg, t[i].msg) == NULL)
			ut_fail(__FILE__, __LINE__, "row %zu: message '%s'", i,
				err.msg);
		json_object_put(o);
	}
}

TEST(request_path_keeps_raw_bytes)
{
	struct kf_request rq;
	struct json_object *o = NULL;
	struct ks_err err;

	REQUIRE(parse("{\"id\":\"a\",\"path\":\"/tmp/caf\\udce9\\n.txt\"}", &rq,
		      &o, &err) == KS_OK);
	CHECK_STR(rq.path, "/tmp/caf\xe9\n.txt");
	json_object_put(o);
}
