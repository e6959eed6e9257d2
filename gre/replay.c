/* replay.c: anti-replay bitmap window; see replay.h for the contract. */
#include "gre/replay.h"

#include <string.h>

void replay_init(struct replay *r, uint32_t window)
{
	memset(r, 0, sizeof(*r));
	if (window > REPLAY_WINDOW_MAX)
		window = REPLAY_WINDOW_MAX;
	window = (window + 63) & ~63u;
	r->window = window;
	/* ring of a power-of-two words, strictly more than the window needs,
	 * so the word holding `top` never aliases one still inside the window */
	uint32_t need = window / 64 + 1, n = 1;
	while (n < need)
		n <<= 1;
	r->nwords = n;
	_Static_assert(REPLAY_WORDS >= 2 * (REPLAY_WINDOW_MAX / 64), "ring too small");
}

uint32_t replay_infer_hi(const struct replay *r, uint32_t seq_lo)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	/* with checks off, still assume packets arrive within a wide window
	 * so the high half follows the sender across 2^32 */
	uint32_t w = r->window ? r->window : 1u << 30;

	if (tl >= w - 1) {
		/* window lies within one 2^32 block */
		return seq_lo >= tl - w + 1 ? th : th + 1;
	}
	/* window spans the boundary below: [tl - w + 1 + 2^32, 2^32) is the old block */
	if (seq_lo >= tl - w + 1 /* wraps, i.e. 2^32 + tl - w + 1 */ && th > 0)
		return th - 1;
	return th;
}

enum replay_verdict replay_check(const struct replay *r, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_ZERO; /* never sent: numbering starts at 1 */
	if (r->window == 0 || seq > r->top)
		return REPLAY_OK;
	if (r->top - seq >= r->window)
		return REPLAY_OLD;
	uint64_t word = (seq >> 6) & (r->nwords - 1);
	if (r->bits[word] & (1ull << (seq & 63)))
		return REPLAY_DUP;
	return REPLAY_OK;
}

void replay_update(struct replay *r, uint64_t seq)
{
	if (r->window == 0) {
		if (seq > r->top)
			r->top = seq;
		return;
	}
	if (seq > r->top) {
		uint64_t cur = r->top >> 6, nxt = seq >> 6, diff = nxt - cur;
		if (diff > r->nwords)
			diff = r->nwords;
		for (uint64_t i = 1; i <= diff; i++)
			r->bits[(cur + i) & (r->nwords - 1)] = 0;
		r->top = seq;
	}
	r->bits[(seq >> 6) & (r->nwords - 1)] |= 1ull << (seq & 63);
}

void replay_bitmap128(const struct replay *r, uint32_t out[4])
{
	memset(out, 0, 4 * sizeof(uint32_t));
	for (uint32_t i = 0; i < 128 && i < r->top; i++) {
		uint64_t s = r->top - i;
		bool set;
		if (r->window == 0)
			set = (i == 0);
		else if (i >= r->window)
			set = false;
		else
			set = r->bits[(s >> 6) & (r->nwords - 1)] & (1ull << (s & 63));
		if (set)
			out[i / 32] |= 1u << (i % 32);
	}
}
