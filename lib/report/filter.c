#include "report/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kr_filter_init(struct kr_filter *f)
{
	memset(f, 0, sizeof *f);
	f->min_sev = KR_SEV_INFO;
}

void kr_filter_free(struct kr_filter *f)
{
	for (size_t i = 0; i < f->ntypes; i++)
		free((char *)f->types[i]);
	free(f->types);
	free(f->vms);
	memset(f, 0, sizeof *f);
}

static int add(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

int kr_filter_add_types(struct kr_filter *f, const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char *s;

		if (n > 0) {
			s = strndup(p, n);
			if (s == NULL || add(&f->types, &f->ntypes, s) != 0) {
				free(s);
				return -1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int kr_filter_add_vm(struct kr_filter *f, const char *vm)
{
	return add(&f->vms, &f->nvms, vm);
}

static void sep(struct ks_buf *b)
{
	if (b->len > 0)
		ks_buf_puts(b, "; ");
}

static void when(struct ks_buf *b, const char *what, struct ks_time t)
{
	char ts[KS_TIME_LEN + 1];

	ks_time_format(t, ts);
	ts[10] = ' ';
	ts[19] = '\0';
	sep(b);
	ks_buf_printf(b, "%s %s UTC", what, ts);
}

void kr_filter_describe(const struct kr_filter *f, struct ks_buf *b)
{
	struct ks_buf d;

	ks_buf_init(&d, KS_BUF_UNLIMITED);
	if (f->ntypes > 0) {
		ks_buf_puts(&d, "type ");
		for (size_t i = 0; i < f->ntypes; i++)
			ks_buf_printf(&d, "%s%s", i ? "," : "", f->types[i]);
	}
	if (f->nvms > 0) {
		sep(&d);
		ks_buf_puts(&d, "vm ");
		for (size_t i = 0; i < f->nvms; i++)
			ks_buf_printf(&d, "%s%s", i ? "," : "",
				      f->vms[i][0] ? f->vms[i] : "(none)");
	}
	if (f->min_sev > KR_SEV_INFO) {
		sep(&d);
		ks_buf_printf(&d, "severity %s and above", kr_sev_name(f->min_sev));
	}
	if (f->detections_only) {
		sep(&d);
		ks_buf_puts(&d, "detections only");
	}
	if (f->have_since)
		when(&d, "since", f->since);
	if (f->have_until)
		when(&d, "until", f->until);
	if (d.len > 0)
		ks_buf_append(b, d.data, d.len);
	ks_buf_free(&d);
}

static int before(struct ks_time a, struct ks_time b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.usec < b.usec);
}

int kr_filter_match(const struct kr_filter *f, const struct kr_event *e)
{
	if (e->sev < f->min_sev)
		return 0;
	if (f->detections_only && !e->detection)
		return 0;
	if (f->ntypes > 0) {
		size_t i;

		for (i = 0; i < f->ntypes; i++)
			if (kr_str_eq(e->event_type, f->types[i]))
				break;
		if (i == f->ntypes)
			return 0;
	}
	if (f->nvms > 0) {
		size_t i;

		for (i = 0; i < f->nvms; i++) {
			if (f->vms[i][0] == '\0' ? !kr_str_full(e->vm) :
						   kr_str_eq(e->vm, f->vms[i]))
				break;
		}
		if (i == f->nvms)
			return 0;
	}
	if (f->have_since || f->have_until) {
		if (!e->have_ts)
			return 0;
		if (f->have_since && before(e->ts, f->since))
			return 0;
		if (f->have_until && !before(e->ts, f->until))
			return 0;
	}
	return 1;
}

int kr_time_arg(const char *s, struct ks_time now, struct ks_time *out)
{
	char buf[48];
	size_t n = strlen(s);
	char *end;

	if (s[0] == '@') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0')
			return -1;
		out->sec = v;
		out->usec = 0;
		return 0;
	}
	if (s[0] == '-') {
		unsigned long long v, mul;

		errno = 0;
		if (s[1] < '0' || s[1] > '9')
			return -1;
		v = strtoull(s + 1, &end, 10);
		if (errno != 0)
			return -1;
		if (strcmp(end, "s") == 0)
			mul = 1;
		else if (strcmp(end, "m") == 0)
			mul = 60;
		else if (strcmp(end, "h") == 0)
			mul = 3600;
		else if (strcmp(end, "d") == 0)
			mul = 86400;
		else
			return -1;
		if (v > 400ull * 366 * 86400 / mul)
			return -1;
		*out = now;
		out->sec -= (int64_t)(v * mul);
		return 0;
	}
	if (n >= sizeof buf - 16)
		return -1;
	if (ks_time_parse(s, out) == 0)
		return 0;
	/* Shorter forms, completed to the EVE form in UTC. */
	memcpy(buf, s, n + 1);
	if (n > 0 && (buf[n - 1] == 'Z' || buf[n - 1] == 'z'))
		buf[--n] = '\0';
	if (n == 10)
		memcpy(buf + n, "T00:00:00.000000+0000", 22);
	else if (n == 16)
		memcpy(buf + n, ":00.000000+0000", 16);
	else if (n == 19)
		memcpy(buf + n, ".000000+0000", 13);
	else
		return -1;
	return ks_time_parse(buf, out) == 0 ? 0 : -1;
}
