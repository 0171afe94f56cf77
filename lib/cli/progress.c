#include "cli/progress.h"

#include <stdarg.h>
#include <unistd.h>

#include "core/timefmt.h"

#define PROGRESS_PERIOD_USEC 200000u

void ks_progress_init(struct ks_progress *p, FILE *f, int verbosity)
{
	p->f = f;
	p->enabled = verbosity >= 0 && f != NULL && isatty(fileno(f));
	p->shown = 0;
	p->last_usec = 0;
}

void ks_progress_update(struct ks_progress *p, const char *fmt, ...)
{
	va_list ap;
	uint64_t now;

	if (!p->enabled)
		return;
	now = ks_mono_usec();
	if (p->shown && now - p->last_usec < PROGRESS_PERIOD_USEC)
		return;
	p->last_usec = now;
	fputs("\r", p->f);
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
	fputs("\033[K", p->f);
	fflush(p->f);
	p->shown = 1;
}

void ks_progress_clear(struct ks_progress *p)
{
	if (!p->enabled || !p->shown)
		return;
	fputs("\r\033[K", p->f);
	fflush(p->f);
	p->shown = 0;
}
