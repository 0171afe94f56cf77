/*
 * Signals, the same in every tool.
 *
 *   SIGPIPE          ignored: a closed output is a write error (EPIPE) that
 *                    the tool reports and turns into exit status 2;
 *   SIGTERM, SIGINT  ask the tool to stop taking input, finish what is in
 *                    flight, write its last records and exit; a second one
 *                    ends the process at once (the handler is one-shot);
 *   SIGHUP           ask to reload rules and databases (tools that have them);
 *   SIGUSR1          ask for one JSON stats line on stderr.
 *
 * The handlers only set flags.  They are installed without SA_RESTART, so a
 * blocking read returns EINTR and the tool's loop sees the flag.
 */
#ifndef KS_CLI_SIG_H
#define KS_CLI_SIG_H

#include <signal.h>

void ks_sig_install(void);

/* The stop signal received (SIGTERM or SIGINT), or 0. */
int ks_sig_stop(void);

/* Return 1 once for each SIGUSR1 / SIGHUP received since the last call. */
int ks_sig_take_stats(void);
int ks_sig_take_reload(void);

/* Request a stop as if a signal had come (used by tests and tools). */
void ks_sig_request_stop(int signo);

#endif
