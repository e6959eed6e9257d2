/* tcheck.h: the unit-test harness.  Each test binary prints one
 * "PASS name" or "FAIL name: file:line: expression" line per test case and
 * exits non-zero when any failed; tests/run adds them up.
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); CHECK_EQ_INT(x, 3); }
 *   int main(void) { RUN(test_foo); return tcheck_done(); }
 */
#ifndef VTID_TCHECK_H
#define VTID_TCHECK_H

#include <stdio.h>
#include <string.h>

extern int tcheck_case_failed;
extern int tcheck_checks; /* checks made by the running case */
extern int tcheck_failed_cases;
extern int tcheck_passed_cases;
extern const char *tcheck_case;

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		tcheck_checks++;                                                                   \
		if (!(expr)) {                                                                     \
			if (!tcheck_case_failed)                                                   \
				printf("FAIL %s: %s:%d: %s\n", tcheck_case, __FILE__, __LINE__,    \
				       #expr);                                                     \
			else                                                                       \
				printf("  also: %s:%d: %s\n", __FILE__, __LINE__, #expr);          \
			tcheck_case_failed = 1;                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long tc_a_ = (long long)(a), tc_b_ = (long long)(b);                          \
		tcheck_checks++;                                                                   \
		if (tc_a_ != tc_b_) {                                                              \
			printf("%s %s: %s:%d: %s == %s (%lld != %lld)\n",                          \
			       tcheck_case_failed ? "  also:" : "FAIL", tcheck_case, __FILE__,     \
			       __LINE__, #a, #b, tc_a_, tc_b_);                                    \
			tcheck_case_failed = 1;                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *tc_a_ = (a), *tc_b_ = (b);                                             \
		tcheck_checks++;                                                                   \
		if (!tc_a_ || !tc_b_ || strcmp(tc_a_, tc_b_) != 0) {                               \
			printf("%s %s: %s:%d: %s == %s (\"%s\" != \"%s\")\n",                      \
			       tcheck_case_failed ? "  also:" : "FAIL", tcheck_case, __FILE__,     \
			       __LINE__, #a, #b, tc_a_ ? tc_a_ : "(null)",                         \
			       tc_b_ ? tc_b_ : "(null)");                                          \
			tcheck_case_failed = 1;                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Runs one case; a case that made no check at all fails. */
#define RUN(fn) tcheck_run(#fn, fn)
#define RUN_NAMED(name, fn, arg) tcheck_run_arg(name, fn, arg)

void tcheck_run(const char *name, void (*fn)(void));
void tcheck_run_arg(const char *name, void (*fn)(const void *), const void *arg);
int tcheck_done(void);
/* Hex helper for vectors: decodes "a1b2..." (spaces ignored) into out, returns length. */
size_t tcheck_unhex(const char *hex, unsigned char *out, size_t cap);

#endif
