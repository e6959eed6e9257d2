/* timers.c: which peers have a timer due, without a walk over every SA.
 *
 * A peer's deadline is the earliest of its SAs' and of its re-initiation
 * (ike_peer_deadline, engine.c).  Peers that have one sit in a binary
 * min-heap keyed by it; each knows its index there (tm_idx, -1 when out),
 * so it is never in twice and moves or leaves in O(log N).
 *
 * Deadlines are not recomputed where the fields behind them change (some
 * fifty places in ike/): an entry point marks the peers it works on dirty
 * (ike_touch_peer), and before the heap is read (ike_next_deadline,
 * ike_run_timers) the dirty peers' deadlines are recomputed and their
 * places fixed.  So a packet costs O(log N), not a walk of a hub's
 * thousands of SAs.  A change that concerns every peer marks them all
 * (ike_touch): O(N), and rare.  State changes and new SAs mark their peer
 * too (sa.c, engine.c), which covers a change made to another peer than
 * the entry point's (the IKE_SA_INIT queue, a host callback).
 *
 * The check mode (ike_set_timer_check, the unit tests) recomputes every
 * peer each time the heap is read, as the walk did, and aborts when a
 * peer's place is wrong: later than its deadline is a missed timer,
 * earlier a change no entry point marked (harmless once, but the next such
 * change may be the other way).  It also aborts on an SA left with work
 * it could start (ike_sa_kick_owed): ike_run_timers no longer kicks every
 * SA, only those of peers due; and on a peer whose timers ran and left a
 * deadline in the past (the event loop would spin). */
#include "ike/priv.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"

static void heap_set(struct ike_engine *eng, size_t i, struct ike_peer *p)
{
	eng->tm_heap[i] = p;
	p->tm_idx = (long)i;
}

static void heap_up(struct ike_engine *eng, size_t i)
{
	struct ike_peer *p = eng->tm_heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (eng->tm_heap[parent]->tm_key <= p->tm_key)
			break;
		heap_set(eng, i, eng->tm_heap[parent]);
		i = parent;
	}
	heap_set(eng, i, p);
}

static void heap_down(struct ike_engine *eng, size_t i)
{
	struct ike_peer *p = eng->tm_heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= eng->tm_n)
			break;
		if (c + 1 < eng->tm_n && eng->tm_heap[c + 1]->tm_key < eng->tm_heap[c]->tm_key)
			c++;
		if (p->tm_key <= eng->tm_heap[c]->tm_key)
			break;
		heap_set(eng, i, eng->tm_heap[c]);
		i = c;
	}
	heap_set(eng, i, p);
}

static void heap_fix(struct ike_engine *eng, size_t i)
{
	if (i > 0 && eng->tm_heap[(i - 1) / 2]->tm_key > eng->tm_heap[i]->tm_key)
		heap_up(eng, i);
	else
		heap_down(eng, i);
}

static void heap_remove(struct ike_engine *eng, struct ike_peer *p)
{
	if (p->tm_idx < 0)
		return;
	size_t i = (size_t)p->tm_idx;
	struct ike_peer *last = eng->tm_heap[--eng->tm_n];
	p->tm_idx = -1;
	if (last != p) {
		heap_set(eng, i, last);
		heap_fix(eng, i);
	}
}

int ike_timers_reserve(struct ike_engine *eng, size_t n)
{
	if (n <= eng->tm_cap)
		return 0;
	size_t cap = eng->tm_cap ? eng->tm_cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	/* All three hold at most every peer once: sized here, at peer_add,
	 * so marking and settling never allocate (nor fail). */
	struct ike_peer ***arr[] = {&eng->tm_heap, &eng->tm_dirty, &eng->tm_due};
	for (size_t i = 0; i < sizeof(arr) / sizeof(arr[0]); i++) {
		struct ike_peer **q = realloc(*arr[i], cap * sizeof(**arr[i]));
		if (!q)
			return -ENOMEM;
		*arr[i] = q;
	}
	eng->tm_cap = cap;
	return 0;
}

void ike_timers_init_peer(struct ike_peer *p)
{
	p->tm_idx = p->dirty_idx = p->due_idx = -1;
	p->tm_key = UINT64_MAX;
}

void ike_touch_peer(struct ike_peer *p)
{
	struct ike_engine *eng = p->eng;
	if (p->dirty_idx >= 0)
		return;
	p->dirty_idx = (long)eng->tm_n_dirty;
	eng->tm_dirty[eng->tm_n_dirty++] = p;
}

void ike_timers_forget(struct ike_peer *p)
{
	struct ike_engine *eng = p->eng;
	heap_remove(eng, p);
	if (p->dirty_idx >= 0) {
		struct ike_peer *last = eng->tm_dirty[--eng->tm_n_dirty];
		eng->tm_dirty[p->dirty_idx] = last;
		last->dirty_idx = p->dirty_idx;
		p->dirty_idx = -1;
	}
	/* deleted by a host callback while ike_run_timers holds it as due */
	if (p->due_idx >= 0) {
		eng->tm_due[p->due_idx] = NULL;
		p->due_idx = -1;
	}
}

void ike_timers_fini(struct ike_engine *eng)
{
	free(eng->tm_heap);
	free(eng->tm_dirty);
	free(eng->tm_due);
	eng->tm_heap = eng->tm_dirty = eng->tm_due = NULL;
	eng->tm_cap = eng->tm_n = eng->tm_n_dirty = eng->tm_n_due = 0;
}

static void check(struct ike_engine *eng)
{
	bool bad = false;
	for (size_t i = 0; i < eng->tm_n; i++) {
		struct ike_peer *p = eng->tm_heap[i];
		if (p->tm_idx != (long)i || (i && eng->tm_heap[(i - 1) / 2]->tm_key > p->tm_key)) {
			log_msg(LOG_CRIT, "ike: timer check: heap broken at %zu (tunnel %u)", i,
				p->cfg.tunnel_id);
			bad = true;
		}
	}
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		uint64_t want = ike_peer_deadline(p);
		uint64_t have = p->tm_idx >= 0 ? p->tm_key : UINT64_MAX;
		if (have != want) {
			log_msg(LOG_CRIT, "ike: timer check: tunnel %u's deadline is %llu, the heap says "
				"%llu (%s)",
				p->cfg.tunnel_id, (unsigned long long)want,
				(unsigned long long)have,
				have > want ? "a missed timer" : "changed without a mark");
			bad = true;
		}
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			if (ike_sa_kick_owed(sa)) {
				log_msg(LOG_CRIT, "ike: timer check: tunnel %u: an SA has work to start "
					"and nothing will start it",
					p->cfg.tunnel_id);
				bad = true;
			}
	}
	if (bad)
		abort();
}

/* The dirty peers' deadlines recomputed and the heap fixed. */
static void settle(struct ike_engine *eng)
{
	if (eng->tm_all_dirty) {
		eng->tm_all_dirty = false;
		for (struct ike_peer *p = eng->peers; p; p = p->next)
			ike_touch_peer(p);
	}
	while (eng->tm_n_dirty) {
		struct ike_peer *p = eng->tm_dirty[--eng->tm_n_dirty];
		p->dirty_idx = -1;
		p->tm_key = ike_peer_deadline(p);
		if (p->tm_key == UINT64_MAX) {
			heap_remove(eng, p);
		} else if (p->tm_idx < 0) {
			eng->tm_heap[eng->tm_n++] = p;
			heap_up(eng, eng->tm_n - 1);
		} else {
			heap_fix(eng, (size_t)p->tm_idx);
		}
	}
	if (eng->timer_check)
		check(eng);
}

uint64_t ike_timers_next(struct ike_engine *eng)
{
	/* Asked from a host callback inside ike_run_timers: the peers due
	 * are out of the heap until it ends, so say "now" (it runs again). */
	if (eng->tm_running)
		return ike_now(eng);
	settle(eng);
	return eng->tm_n ? eng->tm_heap[0]->tm_key : UINT64_MAX;
}

static int by_age(const void *a, const void *b)
{
	const struct ike_peer *p = *(struct ike_peer *const *)a, *q = *(struct ike_peer *const *)b;
	return p->seq < q->seq ? 1 : p->seq > q->seq ? -1 : 0;
}

size_t ike_timers_due(struct ike_engine *eng, uint64_t now)
{
	settle(eng);
	size_t n = 0;
	while (eng->tm_n && eng->tm_heap[0]->tm_key <= now) {
		struct ike_peer *p = eng->tm_heap[0];
		heap_remove(eng, p);
		eng->tm_due[n++] = p;
	}
	/* In the peer list's order (newest first), as the walk visited them:
	 * which of several due peers initiates first, or queues for a slot,
	 * stays what it was. */
	if (n > 1) /* tm_due is NULL before the first peer */
		qsort(eng->tm_due, n, sizeof(*eng->tm_due), by_age);
	for (size_t i = 0; i < n; i++)
		eng->tm_due[i]->due_idx = (long)i;
	eng->tm_n_due = n;
	eng->tm_now = now;
	return n;
}

void ike_timers_done(struct ike_peer *p)
{
	struct ike_engine *eng = p->eng;
	eng->tm_due[p->due_idx] = NULL;
	p->due_idx = -1;
	ike_touch_peer(p);
	/* A deadline its timers left in the past would be due again at
	 * once, and the event loop would spin. */
	if (eng->timer_check && ike_peer_deadline(p) <= eng->tm_now) {
		log_msg(LOG_CRIT, "ike: timer check: tunnel %u is still due after its timers ran",
			p->cfg.tunnel_id);
		abort();
	}
}

void ike_set_timer_check(struct ike_engine *eng, bool on)
{
	if (eng)
		eng->timer_check = on;
}
