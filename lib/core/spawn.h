/*
 * A child process with its stdin and stdout as pipes (a coprocess).  The
 * pipes are close-on-exec and non-blocking on our side; the child's stderr
 * is ours.
 */
#ifndef KS_CORE_SPAWN_H
#define KS_CORE_SPAWN_H

#include <sys/types.h>

#include "core/status.h"

struct ks_child {
	pid_t pid;
	int to_child;     /* write end of its stdin, or -1 */
	int from_child;   /* read end of its stdout, or -1 */
};

/* Start argv[0] (searched in PATH) with argv. */
enum ks_status ks_spawn(struct ks_child *c, char *const argv[],
			struct ks_err *err);

/* Close our ends of the pipes (the child sees end of input). */
void ks_child_close(struct ks_child *c);

/* Reap the child if it exited: 1 and *status (as waitpid), else 0. */
int ks_child_reap(struct ks_child *c, int *status);

#endif
