/* test_gre_replay: the anti-replay window (gre/replay.c), by named cases
 * and against a brute-force model over random sequences for every window
 * size class. */
#include <stdlib.h>
#include <string.h>

#include "gre/replay.h"
#include "tests/unit/tcheck.h"

/* accept = check then update, as esp.c does after the ICV verified */
static int accept(struct replay *r, uint64_t seq)
{
	enum replay_verdict v = replay_check(r, seq);
	if (v == REPLAY_OK)
		replay_update(r, seq);
	return v;
}

static void test_first_packet(void)
{
	struct replay r;
	replay_init(&r, 64);
	CHECK_EQ_INT(replay_check(&r, 0), REPLAY_ZERO);
	CHECK_EQ_INT(accept(&r, 1), REPLAY_OK);
	CHECK_EQ_INT(r.top, 1);
	CHECK_EQ_INT(accept(&r, 1), REPLAY_DUP);
	/* a first packet far from 1 is fine too (packets lost before it) */
	replay_init(&r, 64);
	CHECK_EQ_INT(accept(&r, 1000), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 999), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 1000 - 64), REPLAY_OLD);
}

static void test_window_slide(void)
{
	struct replay r;
	replay_init(&r, 128);
	for (uint64_t s = 1; s <= 500; s++)
		CHECK_EQ_INT(accept(&r, s), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 500), REPLAY_DUP);
	CHECK_EQ_INT(accept(&r, 373), REPLAY_DUP); /* 500-127: inside, seen */
	CHECK_EQ_INT(accept(&r, 372), REPLAY_OLD); /* 500-128: just outside */
	/* out of order inside the window */
	CHECK_EQ_INT(accept(&r, 510), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 505), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 505), REPLAY_DUP);
	CHECK_EQ_INT(accept(&r, 503), REPLAY_OK);
}

static void test_far_jump(void)
{
	struct replay r;
	replay_init(&r, 1024);
	CHECK_EQ_INT(accept(&r, 5), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 1000000), REPLAY_OK);
	/* all old bits must be gone: numbers just below the new top are fresh */
	CHECK_EQ_INT(accept(&r, 1000000 - 1), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 1000000 - 1023), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 1000000 - 1024), REPLAY_OLD);
	CHECK_EQ_INT(accept(&r, 5), REPLAY_OLD);
	/* a jump of exactly one ring's worth of words must not alias */
	replay_init(&r, 64);
	CHECK_EQ_INT(accept(&r, 64), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 64 + 128), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 64 + 128 - 1), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 64 + 128 - 63), REPLAY_OK);
}

static void test_window_sizes(void)
{
	struct replay r;
	replay_init(&r, 0);
	CHECK_EQ_INT(r.window, 0);
	CHECK_EQ_INT(accept(&r, 7), REPLAY_OK);
	CHECK_EQ_INT(accept(&r, 7), REPLAY_OK); /* checks off */
	CHECK_EQ_INT(r.top, 7);
	replay_init(&r, 1);
	CHECK_EQ_INT(r.window, 64);
	replay_init(&r, 100000);
	CHECK_EQ_INT(r.window, REPLAY_WINDOW_MAX);
	for (uint64_t s = 1; s <= 10000; s += 2)
		accept(&r, s);
	CHECK_EQ_INT(accept(&r, 9999 - 4095 + 1), REPLAY_DUP); /* odd, seen */
	CHECK_EQ_INT(accept(&r, 9999 - 4095 + 2), REPLAY_OK);  /* even, fresh */
	CHECK_EQ_INT(accept(&r, 9999 - 4096), REPLAY_OLD);
}

/* brute force: a packet is fresh iff not seen and top - seq < window */
static void model_run(uint32_t window, unsigned seed)
{
	struct replay r;
	replay_init(&r, window);
	uint32_t w = r.window;
	const uint64_t span = 20000;
	unsigned char *seen = calloc(span + 1, 1);
	uint64_t top = 0;
	srand(seed);
	int bad = 0;
	for (int i = 0; i < 20000 && !bad; i++) {
		/* mostly near the top, sometimes far behind, sometimes jumps */
		uint64_t s;
		int k = rand() % 10;
		if (k < 6)
			s = top + 1 + (uint64_t)(rand() % 8);
		else if (k < 9)
			s = top > 3 ? top - (uint64_t)(rand() % (2 * w + 2)) : 1;
		else
			s = top + (uint64_t)(rand() % (3 * w));
		if (s == 0 || s > span)
			continue;
		int want = seen[s] ? (top - s < w ? REPLAY_DUP : REPLAY_OLD)
				   : (s > top || top - s < w ? REPLAY_OK : REPLAY_OLD);
		if (!seen[s] && s <= top && top - s >= w)
			want = REPLAY_OLD;
		int got = accept(&r, s);
		if (got != want) {
			printf("  window %u seq %llu top %llu: got %d want %d\n", w,
			       (unsigned long long)s, (unsigned long long)top, got, want);
			bad = 1;
		}
		if (want == REPLAY_OK) {
			seen[s] = 1;
			if (s > top)
				top = s;
		}
	}
	CHECK(!bad);
	CHECK_EQ_INT(r.top, top);
	free(seen);
}

static void test_model(void)
{
	static const uint32_t ws[] = {64, 128, 192, 1024, 4096};
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
		for (unsigned seed = 1; seed <= 3; seed++)
			model_run(ws[i], seed);
}

static void test_esn_infer(void)
{
	struct replay r;
	replay_init(&r, 64);
	/* no packet yet: high half 0 */
	CHECK_EQ_INT(replay_infer_hi(&r, 5), 0);
	/* top just below 2^32: low numbers past the wrap belong to the next block */
	accept(&r, 0xfffffff0ull);
	CHECK_EQ_INT(replay_infer_hi(&r, 0xfffffff8u), 0);
	CHECK_EQ_INT(replay_infer_hi(&r, 0xfffffff0u - 63), 0);
	CHECK_EQ_INT(replay_infer_hi(&r, 3), 1);
	uint64_t next = (1ull << 32) | 3;
	CHECK_EQ_INT(accept(&r, next), REPLAY_OK);
	/* now top = 2^32+3, Tl < W-1: late packets from before the wrap map to
	 * the old block, fresh low numbers to the current one */
	CHECK_EQ_INT(replay_infer_hi(&r, 0xfffffff8u), 0);
	CHECK_EQ_INT(accept(&r, 0xfffffff8ull), REPLAY_OK); /* within 64 of top */
	CHECK_EQ_INT(accept(&r, 0xfffffff8ull), REPLAY_DUP);
	CHECK_EQ_INT(replay_infer_hi(&r, 4), 1);
	CHECK_EQ_INT(replay_infer_hi(&r, 0x80000000u), 1);
	/* far in the same block after a big jump */
	CHECK_EQ_INT(accept(&r, (1ull << 32) | 0x90000000u), REPLAY_OK);
	CHECK_EQ_INT(replay_infer_hi(&r, 0x90000001u), 1);
	CHECK_EQ_INT(replay_infer_hi(&r, 0x10u), 2);
	/* window off still tracks the high half */
	replay_init(&r, 0);
	accept(&r, 0xffffff00ull);
	CHECK_EQ_INT(replay_infer_hi(&r, 0x10), 1);
	CHECK_EQ_INT(replay_infer_hi(&r, 0xffffff01u), 0);
}

static void test_bitmap128(void)
{
	struct replay r;
	uint32_t bm[4];
	replay_init(&r, 1024);
	accept(&r, 200);
	accept(&r, 199);
	accept(&r, 100);
	accept(&r, 72); /* 128 behind: outside the reported 128 */
	replay_bitmap128(&r, bm);
	CHECK_EQ_INT(bm[0], 3u);
	CHECK_EQ_INT(bm[1], 0u);
	CHECK_EQ_INT(bm[3], 1u << 4); /* 200-100 = 100 -> word 3 bit 4 */
}

int main(void)
{
	RUN(test_first_packet);
	RUN(test_window_slide);
	RUN(test_far_jump);
	RUN(test_window_sizes);
	RUN(test_model);
	RUN(test_esn_infer);
	RUN(test_bitmap128);
	return tcheck_done();
}
