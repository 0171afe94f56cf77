#include "core/fault.h"

#ifndef KSVM_NO_FAULT_INJECTION
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ks_fault_point(const char *name)
{
	const char *want = getenv("KSVM_FAULT");

	if (want != NULL && strcmp(want, name) == 0)
		raise(SIGKILL);
}

void ks_pause_point(const char *name)
{
	const char *want = getenv("KSVM_PAUSE");
	const char *file = getenv("KSVM_PAUSE_FILE");
	int fd;

	if (want == NULL || file == NULL || strcmp(want, name) != 0)
		return;
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	for (int i = 0; i < 3000 && access(file, F_OK) == 0; i++)
		usleep(10000);
}
#endif
