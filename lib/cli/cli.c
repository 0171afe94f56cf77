#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <magic.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yara.h>

#include "core/exitcode.h"

#ifndef KSVM_VERSION
#define KSVM_VERSION "0.0.0"
#endif

static const char *cli_program = "ksvm";

void ks_cli_print_version(FILE *f, const char *program)
{
	int mv = magic_version();

	fprintf(f, "%s (ksvm) %s\n", program, KSVM_VERSION);
	/* libyara has no run-time version call: this is the version of the
	 * headers it was built against, which Debian pins to the library. */
	fprintf(f, "libyara %d.%d.%d\n", YR_MAJOR_VERSION, YR_MINOR_VERSION,
		YR_MICRO_VERSION);
	fprintf(f, "libmagic %d.%02d\n", mv / 100, mv % 100);
	fprintf(f, "%s\n", pcap_lib_version());
	fprintf(f, "json-c %s\n", json_c_version());
}

static void version_hook(FILE *f, struct argp_state *state)
{
	(void)state;
	ks_cli_print_version(f, cli_program);
}

void ks_cli_init(struct ks_cli *cli, const char *program)
{
	memset(cli, 0, sizeof *cli);
	cli->program = program;
	cli_program = program;
	argp_program_version_hook = version_hook;
	argp_err_exit_status = KS_EXIT_FAIL;
}

unsigned ks_cli_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1u : (unsigned)n;
}

int ks_cli_parse_uint(const char *s, unsigned long long min,
		      unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ks_cli_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	default: return -1;
	}
	if (*end == 'i' && mul > 1)
		end++;
	if ((*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0' || (v != 0 && mul > ~0ull / v))
		return -1;
	*out = v * mul;
	return 0;
}

int ks_cli_parse_duration(const char *s, unsigned long long *ms)
{
	char *end;
	unsigned long long v, mul;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	if (v != 0 && mul > ~0ull / v)
		return -1;
	*ms = v * mul;
	return 0;
}

/* ---- the common options ------------------------------------------------ */

enum { GROUP_COMMON = -1 };

static const struct argp_option common_options[] = {
	{ "quiet", 'q', NULL, 0, "No progress and no notices on stderr", GROUP_COMMON },
	{ "verbose", 'v', NULL, 0, "More detail on stderr (repeat for more)", GROUP_COMMON },
	{ "output", 'o', "FILE", 0, "Write records to FILE instead of stdout", GROUP_COMMON },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct ks_cli *cli = state->input;

	switch (key) {
	case 'q':
		cli->verbosity = -1;
		break;
	case 'v':
		if (cli->verbosity < 0)
			cli->verbosity = 0;
		cli->verbosity++;
		break;
	case 'o':
		if (arg[0] == '\0')
			argp_error(state, "-o needs a file name (or - for stdout)");
		cli->output = strcmp(arg, "-") == 0 ? NULL : arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp ks_cli_common_argp = {
	common_options, common_parse, NULL, NULL, NULL, NULL, NULL
};

static const struct argp_option jobs_options[] = {
	{ "jobs", 'j', "N", 0, "Worker threads (default: all cores)", GROUP_COMMON },
	{ 0 }
};

static error_t jobs_parse(int key, char *arg, struct argp_state *state)
{
	struct ks_cli *cli = state->input;
	unsigned long long v;

	switch (key) {
	case 'j':
		if (ks_cli_parse_uint(arg, 0, KS_CLI_MAX_JOBS, &v) != 0)
			argp_error(state, "-j wants a number from 0 to %u, not '%s'",
				   KS_CLI_MAX_JOBS, arg);
		cli->jobs = (unsigned)v;
		break;
	case ARGP_KEY_FINI:
		if (cli->jobs == 0)
			cli->jobs = ks_cli_ncpu();
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp ks_cli_jobs_argp = {
	jobs_options, jobs_parse, NULL, NULL, NULL, NULL, NULL
};
