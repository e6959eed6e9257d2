/* replay.h: the ESP anti-replay window (RFC 4303 3.4.3, Appendix A).
 *
 * A bitmap of 64-bit words used as a ring (RFC 6479): sliding the window
 * forward clears whole words instead of shifting the bitmap, so an update
 * costs O(1) however large the jump.  One extra word beyond the window size
 * lets the top word be partly filled while the window stays exact.
 *
 * Sequence numbers are 64-bit.  Without ESN the high half is always 0; with
 * ESN the receiver infers the high half of a packet's number from the low 32
 * bits on the wire (replay_infer_hi, RFC 4303 A2.2) BEFORE the ICV check,
 * because the high bits are part of the ICV input.
 *
 * Protocol: replay_check() first (cheap, refuses duplicates and too-old
 * packets), then verify the ICV, then replay_update() -- the window only
 * moves for authenticated packets, so forged numbers cannot push it.
 * Not thread-safe: the caller serialises check/update per SA. */
#ifndef VTID_GRE_REPLAY_H
#define VTID_GRE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX     4096u
#define REPLAY_WINDOW_DEFAULT 1024u
#define REPLAY_WORDS	      128 /* power of two > REPLAY_WINDOW_MAX / 64 */

struct replay {
	uint64_t top;	 /* highest authenticated sequence number, 0 = none yet */
	uint32_t window; /* packets; 0 = checks off (top still tracked for ESN) */
	uint32_t nwords; /* bitmap words in use: a power of two > window/64 */
	uint64_t bits[REPLAY_WORDS];
};

enum replay_verdict { REPLAY_OK = 0, REPLAY_DUP = 1, REPLAY_OLD = 2, REPLAY_ZERO = 3 };

/* window: 0 (off) or 1..4096, rounded up to a multiple of 64. */
void replay_init(struct replay *r, uint32_t window);
/* High 32 bits for a received low half under ESN (RFC 4303 A2.2). */
uint32_t replay_infer_hi(const struct replay *r, uint32_t seq_lo);
enum replay_verdict replay_check(const struct replay *r, uint64_t seq);
void replay_update(struct replay *r, uint64_t seq);
/* The newest 128 positions: out[0] bit 0 = top, out[0] bit 1 = top-1, ... */
void replay_bitmap128(const struct replay *r, uint32_t out[4]);

#endif
