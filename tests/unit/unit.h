/*
 * A small unit test harness.  A test is a function declared with TEST();
 * checks record a failure with file and line and let the test go on
 * (CHECK) or stop it (REQUIRE).  The runner ends with "N passed, N failed".
 */
#ifndef KS_TESTS_UNIT_H
#define KS_TESTS_UNIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ut_test {
	const char *name;
	void (*fn)(void);
	struct ut_test *next;
};

void ut_register(struct ut_test *t);
void ut_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ut_failed_now(void);

#define TEST(name)                                                        \
	static void ut_fn_##name(void);                                   \
	static struct ut_test ut_t_##name = { #name, ut_fn_##name, NULL }; \
	__attribute__((constructor)) static void ut_reg_##name(void)      \
	{                                                                 \
		ut_register(&ut_t_##name);                                \
	}                                                                 \
	static void ut_fn_##name(void)

#define CHECK(c)                                                          \
	do {                                                              \
		if (!(c))                                                 \
			ut_fail(__FILE__, __LINE__, "%s", #c);            \
	} while (0)

#define REQUIRE(c)                                                        \
	do {                                                              \
		if (!(c)) {                                               \
			ut_fail(__FILE__, __LINE__, "%s", #c);            \
			return;                                           \
		}                                                         \
	} while (0)

#define CHECK_INT(a, b)                                                   \
	do {                                                              \
		long long ut_a = (long long)(a), ut_b = (long long)(b);   \
		if (ut_a != ut_b)                                         \
			ut_fail(__FILE__, __LINE__, "%s == %lld, want %lld", \
				#a, ut_a, ut_b);                          \
	} while (0)

#define CHECK_STR(a, b)                                                   \
	do {                                                              \
		const char *ut_a = (a), *ut_b = (b);                      \
		if (ut_a == NULL || ut_b == NULL || strcmp(ut_a, ut_b) != 0) \
			ut_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", \
				#a, ut_a ? ut_a : "(null)",               \
				ut_b ? ut_b : "(null)");                  \
	} while (0)

#define CHECK_MEM(a, an, b, bn)                                           \
	do {                                                              \
		size_t ut_an = (an), ut_bn = (bn);                        \
		if (ut_an != ut_bn || memcmp((a), (b), ut_an) != 0)       \
			ut_fail(__FILE__, __LINE__,                       \
				"%s (%zu bytes) differs from %s (%zu bytes)", \
				#a, ut_an, #b, ut_bn);                    \
	} while (0)

#endif
