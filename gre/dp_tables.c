/* dp_tables.c: the lookup tables the workers read -- inbound SAs by SPI
 * (open addressing, at most half full), links by id (sorted) -- and the
 * quiescence wait that lets the control thread free what it unpublished.
 *
 * Every table change is copy-update-publish: the control thread builds a
 * new table from its own lists (dp->links, each link's sas), publishes it
 * with one atomic exchange, waits until every worker passed a quiescent
 * point (dp_synchronize), then frees the old table.  Workers never lock;
 * the lookups are safe on any thread that holds its tables "in use" (a
 * worker between its odd and even `rcu` bumps, see dp_user_int.h) or on
 * the control thread. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- tables ---- */

static uint32_t dp_spi_hash(uint32_t spi)
{
	/* SPIs are random-looking already, but peers may pick sequential ones */
	spi ^= spi >> 16;
	spi *= 0x7feb352d;
	spi ^= spi >> 15;
	return spi;
}

struct dp_sa *dp_sa_lookup(struct dp *dp, uint32_t spi)
{
	struct dp_sa_table *t = atomic_load_explicit(&dp->sa_tab, memory_order_acquire);
	if (!t)
		return NULL;
	for (uint32_t i = dp_spi_hash(spi) & t->mask;; i = (i + 1) & t->mask) {
		struct dp_sa *s = t->slot[i];
		if (!s)
			return NULL;
		if (s->spi == spi)
			return s;
	}
}

/* Rebuilds the inbound table from every link's SA list, leaving out `skip`. */
int dp_sa_table_rebuild(struct dp *dp, const struct dp_sa *skip)
{
	size_t n = 0;
	for (struct dp_link *l = dp->links; l; l = l->next)
		for (struct dp_sa *s = l->sas; s; s = s->next)
			if (s->inbound && s != skip)
				n++;
	uint32_t slots = 16;
	while (slots < 2 * n)
		slots <<= 1;
	struct dp_sa_table *t = calloc(1, sizeof(*t) + slots * sizeof(t->slot[0]));
	if (!t)
		return -ENOMEM;
	t->mask = slots - 1;
	for (struct dp_link *l = dp->links; l; l = l->next)
		for (struct dp_sa *s = l->sas; s; s = s->next) {
			if (!s->inbound || s == skip)
				continue;
			uint32_t i = dp_spi_hash(s->spi) & t->mask;
			while (t->slot[i])
				i = (i + 1) & t->mask;
			t->slot[i] = s;
		}
	struct dp_sa_table *old = atomic_exchange(&dp->sa_tab, t);
	dp_synchronize(dp);
	free(old);
	return 0;
}

struct dp_link *dp_link_lookup_id(struct dp *dp, uint64_t id)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_acquire);
	if (!t)
		return NULL;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->link[mid]->id == id)
			return t->link[mid];
		if (t->link[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint32_t dp_addr_hash(uint32_t remote, uint32_t local)
{
	uint64_t x = (uint64_t)remote << 32 | local;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* The link whose tunnel runs from `src` (its remote end) to `dst` (its
 * local end): a hash probe, as any stranger's GRE packet asks it. */
struct dp_link *dp_link_lookup_addr(struct dp *dp, uint32_t src, uint32_t dst)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_acquire);
	if (!t)
		return NULL;
	for (uint32_t i = dp_addr_hash(src, dst) & t->amask;; i = (i + 1) & t->amask) {
		struct dp_link *l = t->addr[i];
		if (!l)
			return NULL;
		if (l->cfg.remote.s_addr == src && l->cfg.local.s_addr == dst)
			return l;
	}
}

int dp_link_table_rebuild(struct dp *dp, const struct dp_link *skip)
{
	size_t n = 0;
	for (struct dp_link *l = dp->links; l; l = l->next)
		n++;
	uint32_t slots = 16;
	while (slots < 2 * n)
		slots <<= 1;
	struct dp_link_table *t =
	    calloc(1, sizeof(*t) + ((n ? n : 1) + slots) * sizeof(t->link[0]));
	if (!t)
		return -ENOMEM;
	t->amask = slots - 1;
	t->addr = &t->link[n ? n : 1];
	/* dp->links is newest first and ids grow: fill from the back */
	size_t i = n;
	for (struct dp_link *l = dp->links; l; l = l->next)
		if (l != skip)
			t->link[--i] = l;
	/* skipped entry leaves a hole at the front: compact */
	if (i) {
		memmove(t->link, t->link + i, (n - i) * sizeof(t->link[0]));
		n -= i;
	}
	t->n = n;
	for (size_t k = 0; k < n; k++) {
		struct dp_link *l = t->link[k];
		uint32_t h = dp_addr_hash(l->cfg.remote.s_addr, l->cfg.local.s_addr) & t->amask;
		while (t->addr[h])
			h = (h + 1) & t->amask;
		t->addr[h] = l;
	}
	struct dp_link_table *old = atomic_exchange(&dp->link_tab, t);
	dp_synchronize(dp);
	free(old);
	return 0;
}
