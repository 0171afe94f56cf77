#include "cli/sig.h"

#include <string.h>

static volatile sig_atomic_t stop_signo;
static volatile sig_atomic_t stats_req;
static volatile sig_atomic_t reload_req;

static void on_signal(int signo)
{
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		stop_signo = signo;
		break;
	case SIGUSR1:
		stats_req = 1;
		break;
	case SIGHUP:
		reload_req = 1;
		break;
	default:
		break;
	}
}

static void handle(int signo, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	sigaction(signo, &sa, NULL);
}

void ks_sig_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	handle(SIGTERM, SA_RESETHAND);
	handle(SIGINT, SA_RESETHAND);
	handle(SIGUSR1, 0);
	handle(SIGHUP, 0);
}

int ks_sig_stop(void)
{
	return stop_signo;
}

int ks_sig_take_stats(void)
{
	if (!stats_req)
		return 0;
	stats_req = 0;
	return 1;
}

int ks_sig_take_reload(void)
{
	if (!reload_req)
		return 0;
	reload_req = 0;
	return 1;
}

void ks_sig_request_stop(int signo)
{
	stop_signo = signo;
}
