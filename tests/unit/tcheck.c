#include "tests/unit/tcheck.h"

#include <ctype.h>
#include <stdio.h>

int tcheck_case_failed;
int tcheck_checks;
int tcheck_failed_cases;
int tcheck_passed_cases;
const char *tcheck_case = "?";

static void finish(const char *name)
{
	if (!tcheck_case_failed && tcheck_checks == 0) {
		printf("FAIL %s: checked nothing\n", name);
		tcheck_case_failed = 1;
	}
	if (tcheck_case_failed) {
		tcheck_failed_cases++;
	} else {
		tcheck_passed_cases++;
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

void tcheck_run(const char *name, void (*fn)(void))
{
	tcheck_case = name;
	tcheck_case_failed = 0;
	tcheck_checks = 0;
	fn();
	finish(name);
}

void tcheck_run_arg(const char *name, void (*fn)(const void *), const void *arg)
{
	tcheck_case = name;
	tcheck_case_failed = 0;
	tcheck_checks = 0;
	fn(arg);
	finish(name);
}

int tcheck_done(void)
{
	printf("# %d passed, %d failed\n", tcheck_passed_cases, tcheck_failed_cases);
	return tcheck_failed_cases ? 1 : 0;
}

size_t tcheck_unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;
		if (isspace((unsigned char)*hex))
			continue;
		if (!isxdigit((unsigned char)*hex))
			break;
		v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower((unsigned char)*hex) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = (unsigned char)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}
