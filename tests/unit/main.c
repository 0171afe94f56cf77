/* The unit test runner: runs every registered test (or those whose name
 * contains one of the arguments) and ends with "N passed, N failed". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static struct ut_test *head;
static int cur_failed;
static const char *cur_name;

void ut_register(struct ut_test *t)
{
	struct ut_test **p = &head;

	/* Keep the tests in name order so runs are reproducible. */
	while (*p != NULL && strcmp((*p)->name, t->name) < 0)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!cur_failed)
		printf("not ok - %s\n", cur_name);
	cur_failed = 1;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int ut_failed_now(void)
{
	return cur_failed;
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]) != NULL)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (struct ut_test *t = head; t != NULL; t = t->next) {
		if (!selected(t->name, argc, argv))
			continue;
		cur_name = t->name;
		cur_failed = 0;
		t->fn();
		if (cur_failed) {
			failed++;
		} else {
			passed++;
			printf("ok - %s\n", t->name);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
