/* dp_tables.c: the lookup tables the workers read -- inbound SAs by SPI,
 * links by id and by address pair, and every link for walks -- and the
 * quiescence wait that lets the control thread free what it unpublished.
 *
 * The tables are open-addressing hashes the control thread changes in
 * place, one slot at a time, while workers read them without a lock; every
 * slot is an atomic pointer, so a reader sees either the old content of a
 * slot or the new one, and either is fine:
 * - insert: the entry is stored (release) into the first free slot of its
 *   probe chain, NULL or a tombstone.  A reader that misses it would have
 *   missed it a moment earlier too; nothing to wait for.
 * - remove: the entry's slot becomes a tombstone, which readers step over
 *   (a NULL would cut the chains running through it).  A reader may still
 *   hold the entry, so it is freed only after dp_synchronize -- the
 *   caller's job, as it alone knows when everything else of the object is
 *   unpublished too (dpu_link_del: a link and its SAs, one wait).
 * - resize: once entries plus tombstones would pass half the slots, a new
 *   table sized for the live entries (at most a third full, so the next
 *   resize is as many inserts away as there are entries: amortized O(1)) is
 *   built, published with one atomic exchange, waited out and the old one
 *   freed.  Tombstones are reclaimed here, so churn cannot grow a table.
 * A table is never written again once replaced, so a reader always finds
 * a NULL slot in it and its probes end.
 *
 * The lookups are safe on any thread that holds its tables "in use" (a
 * worker between its odd and even `rcu` bumps, see dp_user_int.h) or on
 * the control thread; everything else here is control thread only. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

/* ---- quiescence ---- */

void dp_synchronize(struct dp *dp)
{
	atomic_thread_fence(memory_order_seq_cst);
	for (int i = 0; i < dp->nworkers; i++) {
		struct dp_worker *w = &dp->w[i];
		if (!w->started)
			continue;
		uint64_t c = atomic_load(&w->rcu);
		if (!(c & 1))
			continue; /* asleep: it will reload the tables when it wakes */
		while (atomic_load(&w->rcu) == c)
			sched_yield();
	}
}

/* ---- hashes ---- */

uint32_t dp_spi_hash(uint32_t spi)
{
	/* SPIs are random-looking already, but peers may pick sequential ones */
	spi ^= spi >> 16;
	spi *= 0x7feb352d;
	spi ^= spi >> 15;
	return spi;
}

uint32_t dp_addr_hash(uint32_t remote, uint32_t local)
{
	uint64_t x = (uint64_t)remote << 32 | local;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

uint32_t dp_id_hash(uint64_t id)
{
	/* ids are sequential: spread them, or every insert probes the run of
	 * its predecessors */
	id ^= id >> 33;
	id *= 0xc4ceb9fe1a85ec53ull;
	id ^= id >> 33;
	return (uint32_t)id;
}

/* A table sized for `need` entries: a power of two, at least 16, at most a
 * third full. */
static uint32_t dp_table_slots(uint32_t need)
{
	uint32_t slots = 16;
	while (slots < 3 * (uint64_t)need)
		slots <<= 1;
	return slots;
}

/* Tombstones: addresses no entry can have. */
static struct dp_sa dp_sa_tomb;
static struct dp_link dp_link_tomb;

/* ---- inbound SAs by SPI ---- */

struct dp_sa *dp_sa_lookup(struct dp *dp, uint32_t spi)
{
	struct dp_sa_table *t = atomic_load_explicit(&dp->sa_tab, memory_order_acquire);
	if (!t)
		return NULL;
	uint32_t i = dp_spi_hash(spi) & t->mask;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct dp_sa *s = atomic_load_explicit(&t->slot[i], memory_order_acquire);
		if (!s)
			return NULL;
		if (s != &dp_sa_tomb && s->spi == spi)
			return s;
	}
	return NULL;
}

/* The first free slot (NULL or tombstone) of the chain for `spi`. */
static uint32_t dp_sa_free_slot(const struct dp_sa_table *t, uint32_t spi)
{
	uint32_t i = dp_spi_hash(spi) & t->mask;
	for (;;) {
		struct dp_sa *s = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
		if (!s || s == &dp_sa_tomb)
			return i;
		i = (i + 1) & t->mask;
	}
}

/* Publishes a copy of the current table's entries sized for `need`. */
static int dp_sa_table_resize(struct dp *dp, uint32_t need)
{
	struct dp_sa_table *old = atomic_load_explicit(&dp->sa_tab, memory_order_relaxed);
	uint32_t slots = dp_table_slots(need);
	struct dp_sa_table *t = calloc(1, sizeof(*t) + slots * sizeof(t->slot[0]));
	if (!t)
		return -ENOMEM;
	t->mask = slots - 1;
	for (uint32_t k = 0; old && k <= old->mask; k++) {
		struct dp_sa *s = atomic_load_explicit(&old->slot[k], memory_order_relaxed);
		if (!s || s == &dp_sa_tomb)
			continue;
		/* not published yet: plain stores are enough */
		atomic_store_explicit(&t->slot[dp_sa_free_slot(t, s->spi)], s,
				      memory_order_relaxed);
		t->live++;
		t->fill++;
	}
	/* the exchange releases the slots with the table */
	old = atomic_exchange(&dp->sa_tab, t);
	dp_synchronize(dp);
	free(old);
	return 0;
}

int dp_sa_table_insert(struct dp *dp, struct dp_sa *s)
{
	struct dp_sa_table *t = atomic_load_explicit(&dp->sa_tab, memory_order_relaxed);
	uint32_t i = t ? dp_sa_free_slot(t, s->spi) : 0;
	if (!t || (!atomic_load_explicit(&t->slot[i], memory_order_relaxed) &&
		   2 * (t->fill + 1) > t->mask + 1)) {
		int rc = dp_sa_table_resize(dp, t ? t->live + 1 : 1);
		if (rc)
			return rc;
		t = atomic_load_explicit(&dp->sa_tab, memory_order_relaxed);
		i = dp_sa_free_slot(t, s->spi);
	}
	if (!atomic_load_explicit(&t->slot[i], memory_order_relaxed))
		t->fill++;
	t->live++;
	/* s is complete before a worker can find it */
	atomic_store_explicit(&t->slot[i], s, memory_order_release);
	return 0;
}

void dp_sa_table_remove(struct dp *dp, const struct dp_sa *s)
{
	struct dp_sa_table *t = atomic_load_explicit(&dp->sa_tab, memory_order_relaxed);
	if (!t)
		return;
	uint32_t i = dp_spi_hash(s->spi) & t->mask;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct dp_sa *o = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
		if (!o)
			return; /* not in the table: an outbound SA */
		if (o == s) {
			atomic_store_explicit(&t->slot[i], &dp_sa_tomb, memory_order_release);
			t->live--;
			return;
		}
	}
}

/* ---- links by id, by address pair, and all of them ---- */

struct dp_link *dp_link_lookup_id(struct dp *dp, uint64_t id)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_acquire);
	if (!t)
		return NULL;
	uint32_t i = dp_id_hash(id) & t->mask;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct dp_link *l = atomic_load_explicit(&t->id[i], memory_order_acquire);
		if (!l)
			return NULL;
		if (l != &dp_link_tomb && l->id == id)
			return l;
	}
	return NULL;
}

/* The link whose tunnel runs from `src` (its remote end) to `dst` (its
 * local end): a hash probe, as any stranger's GRE packet asks it. */
struct dp_link *dp_link_lookup_addr(struct dp *dp, uint32_t src, uint32_t dst)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_acquire);
	if (!t)
		return NULL;
	uint32_t i = dp_addr_hash(src, dst) & t->mask;
	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct dp_link *l = atomic_load_explicit(&t->addr[i], memory_order_acquire);
		if (!l)
			return NULL;
		if (l != &dp_link_tomb && l->cfg.remote.s_addr == src && l->cfg.local.s_addr == dst)
			return l;
	}
	return NULL;
}

static uint32_t dp_link_free_slot(_Atomic(struct dp_link *) *h, uint32_t mask, uint32_t hash)
{
	uint32_t i = hash & mask;
	for (;;) {
		struct dp_link *l = atomic_load_explicit(&h[i], memory_order_relaxed);
		if (!l || l == &dp_link_tomb)
			return i;
		i = (i + 1) & mask;
	}
}

/* Tombstones the slot of `l` in hash `h`; false when it is not there. */
static bool dp_link_hash_del(_Atomic(struct dp_link *) *h, uint32_t mask, uint32_t hash,
			     const struct dp_link *l)
{
	uint32_t i = hash & mask;
	for (uint32_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
		struct dp_link *o = atomic_load_explicit(&h[i], memory_order_relaxed);
		if (!o)
			return false;
		if (o == l) {
			atomic_store_explicit(&h[i], &dp_link_tomb, memory_order_release);
			return true;
		}
	}
	return false;
}

static uint32_t dp_link_addr_hash(const struct dp_link *l)
{
	return dp_addr_hash(l->cfg.remote.s_addr, l->cfg.local.s_addr);
}

/* Stores `l` into the free slots found for it and appends it to link[];
 * every store releases `l`, complete, to the readers. */
static void dp_link_table_put(struct dp_link_table *t, struct dp_link *l, uint32_t ii, uint32_t ai)
{
	if (!atomic_load_explicit(&t->id[ii], memory_order_relaxed))
		t->id_fill++;
	if (!atomic_load_explicit(&t->addr[ai], memory_order_relaxed))
		t->addr_fill++;
	atomic_store_explicit(&t->id[ii], l, memory_order_release);
	atomic_store_explicit(&t->addr[ai], l, memory_order_release);
	size_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
	l->tab_pos = n;
	atomic_store_explicit(&t->link[n], l, memory_order_release);
	atomic_store_explicit(&t->n, n + 1, memory_order_release);
}

static int dp_link_table_resize(struct dp *dp, uint32_t need)
{
	struct dp_link_table *old = atomic_load_explicit(&dp->link_tab, memory_order_relaxed);
	uint32_t slots = dp_table_slots(need);
	/* link[] never holds more than the hashes' half */
	size_t cap = slots / 2;
	struct dp_link_table *t =
	    calloc(1, sizeof(*t) + (cap + 2 * (size_t)slots) * sizeof(t->link[0]));
	if (!t)
		return -ENOMEM;
	t->mask = slots - 1;
	t->cap = cap;
	t->id = &t->link[cap];
	t->addr = &t->link[cap + slots];
	size_t on = old ? atomic_load_explicit(&old->n, memory_order_relaxed) : 0;
	for (size_t k = 0; k < on; k++) {
		struct dp_link *l = atomic_load_explicit(&old->link[k], memory_order_relaxed);
		dp_link_table_put(t, l, dp_link_free_slot(t->id, t->mask, dp_id_hash(l->id)),
				  dp_link_free_slot(t->addr, t->mask, dp_link_addr_hash(l)));
	}
	old = atomic_exchange(&dp->link_tab, t);
	dp_synchronize(dp);
	free(old);
	return 0;
}

int dp_link_table_insert(struct dp *dp, struct dp_link *l)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_relaxed);
	uint32_t ii = 0, ai = 0;
	if (t) {
		ii = dp_link_free_slot(t->id, t->mask, dp_id_hash(l->id));
		ai = dp_link_free_slot(t->addr, t->mask, dp_link_addr_hash(l));
	}
	if (!t ||
	    (!atomic_load_explicit(&t->id[ii], memory_order_relaxed) &&
	     2 * (t->id_fill + 1) > t->mask + 1) ||
	    (!atomic_load_explicit(&t->addr[ai], memory_order_relaxed) &&
	     2 * (t->addr_fill + 1) > t->mask + 1) ||
	    atomic_load_explicit(&t->n, memory_order_relaxed) == t->cap) {
		size_t n = t ? atomic_load_explicit(&t->n, memory_order_relaxed) : 0;
		int rc = dp_link_table_resize(dp, (uint32_t)n + 1);
		if (rc)
			return rc;
		t = atomic_load_explicit(&dp->link_tab, memory_order_relaxed);
		ii = dp_link_free_slot(t->id, t->mask, dp_id_hash(l->id));
		ai = dp_link_free_slot(t->addr, t->mask, dp_link_addr_hash(l));
	}
	dp_link_table_put(t, l, ii, ai);
	return 0;
}

/* link[] stays dense: the last link moves into the hole.  A walk racing
 * this may miss the moved link once (it read the hole before the move and
 * the shorter count after); the keepalive clock sends its keepalive on its
 * next tick.  What lies past the count is never read by a walk that began
 * after the caller's dp_synchronize. */
void dp_link_table_remove(struct dp *dp, struct dp_link *l)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_relaxed);
	if (!t)
		return;
	dp_link_hash_del(t->id, t->mask, dp_id_hash(l->id), l);
	dp_link_hash_del(t->addr, t->mask, dp_link_addr_hash(l), l);
	size_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
	size_t k = l->tab_pos;
	if (k >= n || atomic_load_explicit(&t->link[k], memory_order_relaxed) != l)
		return; /* never inserted */
	struct dp_link *last = atomic_load_explicit(&t->link[n - 1], memory_order_relaxed);
	atomic_store_explicit(&t->link[k], last, memory_order_release);
	last->tab_pos = k;
	atomic_store_explicit(&t->n, n - 1, memory_order_release);
}
