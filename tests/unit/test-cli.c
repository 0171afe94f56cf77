#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sig.h"
#include "core/exitcode.h"
#include "unit.h"

/* A tool-shaped argp: one option of its own plus the shared children. */
struct demo {
	struct ks_cli cli;
	int flag;
};

static const struct argp_option demo_options[] = {
	{ "flag", 'f', NULL, 0, "A tool option", 0 },
	{ 0 }
};

static error_t demo_parse(int key, char *arg, struct argp_state *state)
{
	struct demo *d = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &d->cli;
		state->child_inputs[1] = &d->cli;
		break;
	case 'f':
		d->flag = 1;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child demo_children[] = {
	{ &ks_cli_common_argp, 0, NULL, 0 },
	{ &ks_cli_jobs_argp, 0, NULL, 0 },
	{ 0 }
};

static const struct argp demo_argp = {
	demo_options, demo_parse, "[FILE...]", "A demo tool.", demo_children,
	NULL, NULL
};

/* Run argp_parse in a child with stdout and stderr captured; returns the
 * exit status (or 100 + signal). */
static int run_cli(const char **argv, char *out, size_t outsz, char *errb,
		   size_t errsz)
{
	int po[2], pe[2], status;
	pid_t pid;
	int argc = 0;
	ssize_t n;

	while (argv[argc] != NULL)
		argc++;
	if (pipe(po) != 0 || pipe(pe) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct demo d;

		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		memset(&d, 0, sizeof d);
		ks_cli_init(&d.cli, "demo");
		argp_parse(&demo_argp, argc, (char **)argv, 0, NULL, &d);
		printf("parsed flag=%d verbosity=%d jobs=%u output=%s\n",
		       d.flag, d.cli.verbosity, d.cli.jobs,
		       d.cli.output ? d.cli.output : "-");
		fflush(stdout);
		_exit(0);
	}
	close(po[1]);
	close(pe[1]);
	n = read(po[0], out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	n = read(pe[0], errb, errsz - 1);
	errb[n > 0 ? n : 0] = '\0';
	close(po[0]);
	close(pe[0]);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#define ARGV(...) ((const char *[]){ "demo", __VA_ARGS__, NULL })

TEST(cli_help_lists_shared_options)
{
	char out[8192], err[4096];

	CHECK_INT(run_cli(ARGV("--help"), out, sizeof out, err, sizeof err), 0);
	CHECK(strstr(out, "-q, --quiet") != NULL);
	CHECK(strstr(out, "-v, --verbose") != NULL);
	CHECK(strstr(out, "-o, --output=FILE") != NULL);
	CHECK(strstr(out, "-j, --jobs=N") != NULL);
	CHECK(strstr(out, "-f, --flag") != NULL);
	CHECK(strstr(out, "--version") != NULL);
	CHECK(strstr(out, "--usage") != NULL);
	CHECK_STR(err, "");

	CHECK_INT(run_cli(ARGV("--usage"), out, sizeof out, err, sizeof err), 0);
	CHECK(strstr(out, "Usage: demo") != NULL);
	CHECK(strstr(out, "[--quiet]") != NULL);
	CHECK(strstr(out, "[--output=FILE]") != NULL);
}

TEST(cli_version_names_libraries)
{
	char out[4096], err[4096];

	CHECK_INT(run_cli(ARGV("--version"), out, sizeof out, err, sizeof err), 0);
	CHECK(strncmp(out, "demo (ksvm) ", 12) == 0);
	CHECK(strstr(out, "\nlibyara 4.") != NULL);
	CHECK(strstr(out, "\nlibmagic 5.") != NULL);
	CHECK(strstr(out, "\nlibpcap version 1.") != NULL);
	CHECK(strstr(out, "\njson-c 0.") != NULL);
}

TEST(cli_bad_option_exits_2)
{
	char out[4096], err[4096];

	CHECK_INT(run_cli(ARGV("--no-such-option"), out, sizeof out, err,
			  sizeof err), KS_EXIT_FAIL);
	CHECK(strstr(err, "unrecognized option") != NULL);
	CHECK(strstr(err, "Try `demo --help'") != NULL);
	CHECK_STR(out, "");
	CHECK_INT(run_cli(ARGV("-j", "many"), out, sizeof out, err, sizeof err),
		  KS_EXIT_FAIL);
	CHECK(strstr(err, "-j wants a number") != NULL);
	CHECK_INT(run_cli(ARGV("-j", "2000"), out, sizeof out, err, sizeof err),
		  KS_EXIT_FAIL);
	CHECK_INT(run_cli(ARGV("-o", ""), out, sizeof out, err, sizeof err),
		  KS_EXIT_FAIL);
}

TEST(cli_shared_options_parse)
{
	char out[4096], err[4096];
	char want[128];

	CHECK_INT(run_cli(ARGV("-f", "-vv", "-o", "x.jsonl", "-j", "3"), out,
			  sizeof out, err, sizeof err), 0);
	CHECK_STR(out, "parsed flag=1 verbosity=2 jobs=3 output=x.jsonl\n");
	CHECK_INT(run_cli(ARGV("-q", "-o", "-"), out, sizeof out, err,
			  sizeof err), 0);
	snprintf(want, sizeof want,
		 "parsed flag=0 verbosity=-1 jobs=%u output=-\n", ks_cli_ncpu());
	CHECK_STR(out, want);
}

TEST(cli_number_parsers)
{
	unsigned long long v;

	CHECK(ks_cli_parse_size("10", &v) == 0 && v == 10);
	CHECK(ks_cli_parse_size("4K", &v) == 0 && v == 4096);
	CHECK(ks_cli_parse_size("2MiB", &v) == 0 && v == 2u << 20);
	CHECK(ks_cli_parse_size("1g", &v) == 0 && v == 1u << 30);
	CHECK(ks_cli_parse_size("-1", &v) == -1);
	CHECK(ks_cli_parse_size("1T", &v) == -1);
	CHECK(ks_cli_parse_size("99999999999999999999", &v) == -1);
	CHECK(ks_cli_parse_size("17179869184G", &v) == -1);
	CHECK(ks_cli_parse_size("", &v) == -1);
	CHECK(ks_cli_parse_uint("7", 1, 10, &v) == 0 && v == 7);
	CHECK(ks_cli_parse_uint("0", 1, 10, &v) == -1);
	CHECK(ks_cli_parse_uint("11", 1, 10, &v) == -1);
	CHECK(ks_cli_parse_uint(" 7", 1, 10, &v) == -1);
	CHECK(ks_cli_parse_duration("30", &v) == 0 && v == 30000);
	CHECK(ks_cli_parse_duration("250ms", &v) == 0 && v == 250);
	CHECK(ks_cli_parse_duration("60m", &v) == 0 && v == 3600000);
	CHECK(ks_cli_parse_duration("2h", &v) == 0 && v == 7200000);
	CHECK(ks_cli_parse_duration("5x", &v) == -1);
}

TEST(sig_flags)
{
	ks_sig_install();
	CHECK_INT(ks_sig_take_stats(), 0);
	raise(SIGUSR1);
	CHECK_INT(ks_sig_take_stats(), 1);
	CHECK_INT(ks_sig_take_stats(), 0);
	raise(SIGHUP);
	CHECK_INT(ks_sig_take_reload(), 1);
	CHECK_INT(ks_sig_stop(), 0);
	raise(SIGTERM);
	CHECK_INT(ks_sig_stop(), SIGTERM);
	/* The stop handler is one-shot: restore a default for later tests. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	ks_sig_request_stop(0);
	signal(SIGPIPE, SIG_DFL);
}
