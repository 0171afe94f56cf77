/*
 * Fault injection for crash-safety tests.
 *
 * ks_fault_point("name") kills the process with SIGKILL when the
 * environment variable KSVM_FAULT equals "name", so that a test can stop a
 * multi-step operation (a quarantine move, a database update) between any
 * two steps and check that nothing was lost.  Builds made with
 * -DKSVM_NO_FAULT_INJECTION compile every point away.
 */
#ifndef KS_CORE_FAULT_H
#define KS_CORE_FAULT_H

#ifdef KSVM_NO_FAULT_INJECTION
static inline void ks_fault_point(const char *name)
{
	(void)name;
}
static inline void ks_pause_point(const char *name)
{
	(void)name;
}
#else
void ks_fault_point(const char *name);
void ks_pause_point(const char *name);
#endif

#endif
