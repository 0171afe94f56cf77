/*
 * The exit codes every ksvm program uses (DESIGN.md, "Exit codes").
 *
 *   0  nothing was found and every input was handled;
 *   1  something was found (a detection, an alert, a listed address);
 *   2  an input or the run failed, or the command line was wrong.
 *
 * When both happen in one run, findings win: the exit code is 1 and the
 * failures are in the output as error records.  A scan that found a virus
 * in one file and could not read another must not look clean to a script
 * that only tests for 1; the error records tell the rest.
 */
#ifndef KS_CORE_EXITCODE_H
#define KS_CORE_EXITCODE_H

enum ks_exit {
	KS_EXIT_CLEAN = 0,
	KS_EXIT_FOUND = 1,
	KS_EXIT_FAIL = 2,
};

static inline int ks_exit_code(int found, int failed)
{
	if (found)
		return KS_EXIT_FOUND;
	return failed ? KS_EXIT_FAIL : KS_EXIT_CLEAN;
}

#endif
