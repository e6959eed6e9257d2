/* test_lib_log: the token bucket behind log_*_rl (lib/log.c), on a clock
 * of our own: a burst of 10, then one a second, the rest counted. */
#include "lib/log.h"
#include "tests/unit/tcheck.h"

static void test_ratelimit_counts(void)
{
	struct log_ratelimit rl = {0};
	int out = 0;
	for (int i = 0; i < 100; i++)
		out += log_ratelimit_take(&rl, 1000.0);
	CHECK_EQ_INT(out, 10);
	CHECK_EQ_INT(rl.suppressed, 90);
	/* half a second refills half a token: still nothing */
	CHECK(!log_ratelimit_take(&rl, 1000.5));
	CHECK_EQ_INT(rl.suppressed, 91);
	/* one second after the burst: exactly one more */
	CHECK(log_ratelimit_take(&rl, 1001.0));
	CHECK(!log_ratelimit_take(&rl, 1001.0));
	/* a long pause refills the burst, no more */
	out = 0;
	for (int i = 0; i < 20; i++)
		out += log_ratelimit_take(&rl, 2000.0);
	CHECK_EQ_INT(out, 10);
}

static void test_ratelimited_quiet(void)
{
	struct log_ratelimit rl = {0};
	log_set_level(LOG_ERR); /* the lines themselves are not wanted here */
	for (int i = 0; i < 100; i++)
		log_ratelimited(&rl, LOG_WARNING, "x %d", i);
	/* the loop takes well under a second: at most one refill */
	CHECK(rl.suppressed == 90 || rl.suppressed == 89);
	log_set_level(LOG_INFO);
}

int main(void)
{
	RUN(test_ratelimit_counts);
	RUN(test_ratelimited_quiet);
	return tcheck_done();
}
