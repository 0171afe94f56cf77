#include "core/beneath.h"

#include <errno.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ks_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how;
	long fd;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
	return (int)fd;
}

int ks_path_has_dotdot(const char *p)
{
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 1;
		while (*p != '\0' && *p != '/')
			p++;
	}
	return 0;
}
