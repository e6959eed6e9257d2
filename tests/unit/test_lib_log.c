#include "lib/log.h"
#include "tests/unit/tcheck.h"

static void test_ratelimit_suppresses(void)
{
	struct log_ratelimit rl = {0};
	log_set_level(LOG_ERR); /* keep the output quiet: we only count */
	for (int i = 0; i < 100; i++)
		log_ratelimited(&rl, LOG_WARNING, "x %d", i);
	CHECK(rl.suppressed >= 80);
	log_set_level(LOG_INFO);
}

int main(void)
{
	RUN(test_ratelimit_suppresses);
	return tcheck_done();
}
