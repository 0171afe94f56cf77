#include "file/profile.h"

#include <stdio.h>
#include <string.h>

static const char *const action_names[] = {
	[KF_ACT_REPORT] = "report",
	[KF_ACT_BLOCK] = "block",
	[KF_ACT_DISINFECT] = "disinfect",
	[KF_ACT_QUARANTINE] = "quarantine",
	[KF_ACT_DELETE] = "delete",
};

const char *kf_action_name(enum kf_action a)
{
	if ((size_t)a < sizeof action_names / sizeof action_names[0])
		return action_names[a];
	return "unknown";
}

int kf_action_parse(const char *name, enum kf_action *a)
{
	for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*a = (enum kf_action)i;
			return 0;
		}
	}
	return -1;
}

int kf_profile_chain(struct kf_profile *p, const char *value,
		     struct ks_err *err)
{
	size_t n = 0;
	char **w = ks_conf_words(value, &n);
	int rc = 0;

	if (w == NULL) {
		ks_err_set(err, KS_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (n == 0) {
		ks_err_set(err, KS_ERR_INVALID, "no action given");
		rc = -1;
	} else if (n > KF_MAX_CHAIN) {
		ks_err_set(err, KS_ERR_INVALID, "more than %d actions",
			   KF_MAX_CHAIN);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		enum kf_action a;

		if (kf_action_parse(w[i], &a) != 0) {
			ks_err_set(err, KS_ERR_INVALID,
				   "unknown action '%s' (report, block, "
				   "disinfect, quarantine, delete)", w[i]);
			rc = -1;
			break;
		}
		for (size_t k = 0; k < i; k++) {
			if (p->chain[k] == a) {
				ks_err_set(err, KS_ERR_INVALID,
					   "action '%s' is listed twice", w[i]);
				rc = -1;
			}
		}
		/* report and block always succeed: anything after them
		 * would never run, which is surely not what was meant. */
		if (rc == 0 && i + 1 < n &&
		    (a == KF_ACT_REPORT || a == KF_ACT_BLOCK)) {
			ks_err_set(err, KS_ERR_INVALID,
				   "'%s' always succeeds, so the actions after "
				   "it would never run", w[i]);
			rc = -1;
		}
		p->chain[i] = a;
	}
	if (rc == 0)
		p->nchain = n;
	ks_conf_words_free(w);
	return rc;
}

static const char *const op_names[] = {
	"open", "create", "write", "close", "execute", "rename",
	"close-after-write",
};

unsigned kf_op_parse(const char *name)
{
	for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
		if (strcmp(name, op_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *kf_op_name(unsigned op)
{
	for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
		if (op == 1u << i)
			return op_names[i];
	return "unknown";
}

static void set(struct kf_profiles *ps, const char *name, const char *chain)
{
	struct kf_profile *p = &ps->v[ps->n++];

	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	kf_profile_chain(p, chain, NULL);
	p->scan_ops = KF_OPS_DEFAULT;
	p->fail_open = strcmp(name, "report") == 0;
}

void kf_profiles_builtin(struct kf_profiles *ps)
{
	ps->n = 0;
	set(ps, "report", "report");
	set(ps, "block", "block");
	set(ps, "quarantine", "quarantine block");
	set(ps, "disinfect", "disinfect quarantine block");
	set(ps, "delete", "delete block");
}

const struct kf_profile *kf_profile_find(const struct kf_profiles *ps,
					 const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	return NULL;
}

struct conf_ctx {
	struct kf_profiles *ps;
	struct ks_conf *c;
};

static int valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) >= sizeof ((struct kf_profile *)0)->name)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return 0;
	return 1;
}

static void one_section(void *ctx, const char *section, unsigned line)
{
	struct conf_ctx *cc = ctx;
	const char *name = section + strlen("profile ");
	struct ks_conf_item *it = ks_conf_get(cc->c, section, "action");
	struct kf_profile p, *dst;
	struct ks_err err;

	if (!valid_name(name)) {
		ks_conf_error(cc->c, line, "[%s]: a profile name is letters, "
			      "digits, '-', '_' and '.', at most 63", section);
		return;
	}
	if (it == NULL) {
		ks_conf_error(cc->c, line, "[%s] has no 'action'", section);
		return;
	}
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	p.line = it->line;
	if (kf_profile_chain(&p, it->value, &err) != 0) {
		ks_conf_error(cc->c, it->line, "[%s] action: %s", section,
			      err.msg);
		return;
	}
	p.scan_ops = KF_OPS_DEFAULT;
	/* Only "report" lets files through when no verdict comes. */
	p.fail_open = p.nchain == 1 && p.chain[0] == KF_ACT_REPORT;
	it = ks_conf_get(cc->c, section, "scan_on");
	if (it != NULL) {
		size_t n = 0;
		char **w = ks_conf_words(it->value, &n);

		p.scan_ops = 0;
		for (size_t i = 0; w != NULL && i < n; i++) {
			unsigned op = kf_op_parse(w[i]);

			if (op == 0) {
				ks_conf_error(cc->c, it->line, "[%s] scan_on: "
					      "unknown operation '%s' (open, "
					      "create, write, close, execute, "
					      "rename, close-after-write)",
					      section, w[i]);
				ks_conf_words_free(w);
				return;
			}
			p.scan_ops |= op;
		}
		ks_conf_words_free(w);
	}
	it = ks_conf_get(cc->c, section, "fail");
	if (it != NULL) {
		if (strcmp(it->value, "open") == 0) {
			p.fail_open = 1;
		} else if (strcmp(it->value, "closed") == 0) {
			p.fail_open = 0;
		} else {
			ks_conf_error(cc->c, it->line, "[%s] fail: 'open' "
				      "(allow) or 'closed' (deny)", section);
			return;
		}
	}
	dst = (struct kf_profile *)kf_profile_find(cc->ps, name);
	if (dst == NULL) {
		if (cc->ps->n >= KF_MAX_PROFILES) {
			ks_conf_error(cc->c, line, "more than %d profiles",
				      KF_MAX_PROFILES);
			return;
		}
		dst = &cc->ps->v[cc->ps->n++];
	}
	*dst = p;
}

void kf_profiles_from_conf(struct kf_profiles *ps, struct ks_conf *c)
{
	struct conf_ctx cc = { ps, c };

	ks_conf_sections(c, "profile ", one_section, &cc);
}
