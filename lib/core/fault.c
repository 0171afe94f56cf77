#include "core/fault.h"

#ifndef KSVM_NO_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void ks_fault_point(const char *name)
{
	const char *want = getenv("KSVM_FAULT");

	if (want != NULL && strcmp(want, name) == 0)
		raise(SIGKILL);
}
#endif
