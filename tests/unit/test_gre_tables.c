/* test_gre_tables: the data plane's lookup tables (gre/dp_tables.c), which
 * the control thread changes in place while workers read them.  Thousands
 * of SAs and links inserted and removed in random order -- SPIs
 * sequential, random and all in one hash bucket; link ids sequential,
 * address pairs sequential, mirrored and colliding -- with every lookup
 * checked against a plain array after each step; churn that must not grow
 * a table; and a reader thread that keeps looking up, as a worker does,
 * while the control thread changes the tables and frees what it removed
 * after dp_synchronize. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "gre/dp_user_int.h"
#include "tests/unit/tcheck.h"

/* ---- helpers ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* No workers unless asked for: dp_synchronize returns at once. */
static struct dp *fake_dp(int nworkers)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	dp->nworkers = nworkers;
	dp->w = calloc(nworkers ? (size_t)nworkers : 1, sizeof(*dp->w));
	return dp;
}

static void fake_dp_free(struct dp *dp)
{
	free(atomic_load(&dp->sa_tab));
	free(atomic_load(&dp->link_tab));
	free(dp->w);
	free(dp);
}

static bool has_spi(const uint32_t *k, size_t n, uint32_t spi)
{
	for (size_t i = 0; i < n; i++)
		if (k[i] == spi)
			return true;
	return false;
}

/* n SPIs, none repeated: sequential ones, random ones and `coll` that share
 * the low 16 bits of their hash (one probe chain in any table of up to
 * 65,536 slots). */
static uint32_t *make_spis(size_t nseq, size_t nrand, size_t coll)
{
	size_t n = nseq + nrand + coll, k = 0;
	uint32_t *spi = calloc(n, sizeof(*spi));
	for (size_t i = 0; i < nseq; i++)
		spi[k++] = 0x1000 + (uint32_t)i;
	uint32_t bucket = dp_spi_hash(0x77777777) & 0xffff;
	for (uint32_t c = 0x10000000; k < nseq + coll; c++)
		if ((dp_spi_hash(c) & 0xffff) == bucket && !has_spi(spi, k, c))
			spi[k++] = c;
	while (k < n) {
		uint32_t c = rnd() | 0x100;
		if (!has_spi(spi, k, c))
			spi[k++] = c;
	}
	return spi;
}

static struct dp_sa *sa_new(uint32_t spi)
{
	struct dp_sa *s = calloc(1, sizeof(*s));
	s->spi = spi;
	s->inbound = true;
	return s;
}

/* The SA table agrees with ref (SA per key, NULL when absent) and keeps
 * its invariants. */
static void check_sas(struct dp *dp, const uint32_t *spi, struct dp_sa **ref, size_t n)
{
	if (tcheck_case_failed)
		return; /* one report, not thousands */
	size_t live = 0;
	for (size_t i = 0; i < n; i++) {
		if (dp_sa_lookup(dp, spi[i]) != ref[i]) {
			CHECK(dp_sa_lookup(dp, spi[i]) == ref[i]);
			return;
		}
		live += ref[i] != NULL;
	}
	struct dp_sa_table *t = atomic_load(&dp->sa_tab);
	if (t) {
		CHECK_EQ_INT(t->live, live);
		CHECK(t->live <= t->fill && 2 * t->fill <= t->mask + 1);
	}
}

/* ---- SAs ---- */

static void test_sa_random(void)
{
	enum { NSEQ = 1500, NRAND = 1500, NCOLL = 100, N = NSEQ + NRAND + NCOLL };
	uint32_t *spi = make_spis(NSEQ, NRAND, NCOLL);
	struct dp_sa **ref = calloc(N, sizeof(*ref));
	struct dp *dp = fake_dp(0);
	CHECK(dp_sa_lookup(dp, 0x1000) == NULL); /* no table yet */
	size_t steps = 0, grows = 0;
	uint32_t slots = 0;
	/* fill to about two thirds, then as many removes as inserts */
	for (int i = 0; i < 6000; i++) {
		size_t k = rnd() % N;
		bool filling = i < 3000;
		if (!ref[k] && (filling || rnd() % 2)) {
			ref[k] = sa_new(spi[k]);
			CHECK_EQ_INT(dp_sa_table_insert(dp, ref[k]), 0);
		} else if (ref[k] && (!filling || rnd() % 4 == 0)) {
			dp_sa_table_remove(dp, ref[k]);
			free(ref[k]); /* no workers: no wait */
			ref[k] = NULL;
		} else {
			continue;
		}
		steps++;
		check_sas(dp, spi, ref, N);
		struct dp_sa_table *t = atomic_load(&dp->sa_tab);
		if (t->mask + 1 != slots)
			grows++, slots = t->mask + 1;
	}
	CHECK(steps > 4000);
	CHECK(grows >= 8); /* 16 slots to thousands, step by step */
	/* an outbound SA with an inbound one's SPI is not in the table:
	 * removing it leaves the inbound one alone */
	size_t k;
	for (k = 0; !ref[k]; k++)
		;
	struct dp_sa out = {.spi = spi[k]};
	dp_sa_table_remove(dp, &out);
	CHECK(dp_sa_lookup(dp, spi[k]) == ref[k]);
	/* empty it: every lookup misses, and inserting again works */
	for (size_t i = 0; i < N; i++) {
		dp_sa_table_remove(dp, ref[i] ? ref[i] : &out);
		free(ref[i]);
		ref[i] = NULL;
	}
	check_sas(dp, spi, ref, N);
	ref[0] = sa_new(spi[0]);
	CHECK_EQ_INT(dp_sa_table_insert(dp, ref[0]), 0);
	check_sas(dp, spi, ref, N);
	free(ref[0]);
	free(ref);
	free(spi);
	fake_dp_free(dp);
}

/* Insert/remove churn with at most LIVE SAs at once: tombstones are
 * reclaimed when a table is rebuilt, so it stays at the size LIVE needs. */
static void test_sa_churn(void)
{
	enum { LIVE = 256, N = 4096, NCOLL = 64 };
	uint32_t *spi = make_spis(N - NCOLL - 1000, 1000, NCOLL);
	struct dp_sa **ref = calloc(N, sizeof(*ref));
	size_t *on = calloc(LIVE, sizeof(*on)), non = 0;
	struct dp *dp = fake_dp(0);
	uint32_t max_slots = 0;
	for (int i = 0; i < 200000; i++) {
		if (non == LIVE || (non && rnd() % 2)) {
			size_t j = rnd() % non, k = on[j];
			on[j] = on[--non];
			dp_sa_table_remove(dp, ref[k]);
			CHECK(dp_sa_lookup(dp, spi[k]) == NULL);
			free(ref[k]);
			ref[k] = NULL;
		} else {
			size_t k = rnd() % N;
			if (ref[k])
				continue;
			ref[k] = sa_new(spi[k]);
			CHECK_EQ_INT(dp_sa_table_insert(dp, ref[k]), 0);
			CHECK(dp_sa_lookup(dp, spi[k]) == ref[k]);
			on[non++] = k;
		}
		struct dp_sa_table *t = atomic_load(&dp->sa_tab);
		if (t->mask + 1 > max_slots)
			max_slots = t->mask + 1;
		if (i % 10000 == 0)
			check_sas(dp, spi, ref, N);
	}
	check_sas(dp, spi, ref, N);
	/* at most a third full after a rebuild: 3 * 257 -> 1,024 slots */
	CHECK(max_slots <= 1024);
	for (size_t i = 0; i < N; i++)
		free(ref[i]);
	free(ref);
	free(on);
	free(spi);
	fake_dp_free(dp);
}

/* ---- links ---- */

struct addr_key {
	uint32_t remote, local;
};

/* Address pairs, none repeated: sequential remotes to one local address,
 * every tenth pair also mirrored (remote and local swapped: a different
 * tunnel), and `coll` pairs in one hash bucket. */
static struct addr_key *make_addrs(size_t nseq, size_t coll)
{
	struct addr_key *a = calloc(nseq + (nseq + 9) / 10 + coll, sizeof(*a));
	size_t k = 0;
	for (size_t i = 0; i < nseq; i++)
		a[k++] = (struct addr_key){htonl(0x0a000001 + (uint32_t)i), htonl(0xc0000201)};
	for (size_t i = 0; i < nseq; i += 10)
		a[k++] = (struct addr_key){a[i].local, a[i].remote};
	uint32_t local = htonl(0xc6336401);
	uint32_t bucket = dp_addr_hash(htonl(0xac100001), local) & 0xfff;
	for (uint32_t r = 0xac100001; coll; r++)
		if ((dp_addr_hash(htonl(r), local) & 0xfff) == bucket) {
			a[k++] = (struct addr_key){htonl(r), local};
			coll--;
		}
	return a;
}

static struct dp_link *link_new(uint64_t id, struct addr_key a)
{
	struct dp_link *l = calloc(1, sizeof(*l));
	l->id = id;
	l->cfg.remote.s_addr = a.remote;
	l->cfg.local.s_addr = a.local;
	return l;
}

/* Lookups by address (every key) and by id (every live link and the ids
 * gone before) agree with ref; link[] holds each live link once. */
static void check_links(struct dp *dp, const struct addr_key *a, struct dp_link **ref, size_t n,
			const uint64_t *gone, size_t ngone)
{
	if (tcheck_case_failed)
		return; /* one report, not thousands */
	size_t live = 0;
	for (size_t i = 0; i < n; i++) {
		struct dp_link *l = dp_link_lookup_addr(dp, a[i].remote, a[i].local);
		if (l != ref[i] || (ref[i] && dp_link_lookup_id(dp, ref[i]->id) != ref[i])) {
			CHECK(l == ref[i]);
			CHECK(!ref[i] || dp_link_lookup_id(dp, ref[i]->id) == ref[i]);
			return;
		}
		live += ref[i] != NULL;
	}
	for (size_t i = 0; i < ngone; i++)
		if (dp_link_lookup_id(dp, gone[i])) {
			CHECK(dp_link_lookup_id(dp, gone[i]) == NULL);
			return;
		}
	struct dp_link_table *t = atomic_load(&dp->link_tab);
	if (!t)
		return;
	size_t tn = atomic_load(&t->n);
	CHECK_EQ_INT(tn, live);
	CHECK(tn <= t->cap && 2 * t->id_fill <= t->mask + 1 && 2 * t->addr_fill <= t->mask + 1);
	for (size_t i = 0; i < tn; i++) {
		struct dp_link *l = atomic_load(&t->link[i]);
		/* tab_pos == i: no link twice */
		if (l->tab_pos != i || dp_link_lookup_id(dp, l->id) != l) {
			CHECK(l->tab_pos == i);
			CHECK(dp_link_lookup_id(dp, l->id) == l);
			return;
		}
	}
}

static void test_link_random(void)
{
	enum { NSEQ = 2000, NCOLL = 50, N = NSEQ + NSEQ / 10 + NCOLL, NGONE = 64 };
	struct addr_key *a = make_addrs(NSEQ, NCOLL);
	struct dp_link **ref = calloc(N, sizeof(*ref));
	uint64_t gone[NGONE], next_id = 1;
	size_t ngone = 0, steps = 0;
	struct dp *dp = fake_dp(0);
	CHECK(dp_link_lookup_id(dp, 1) == NULL);
	for (int i = 0; i < 6000; i++) {
		size_t k = rnd() % N;
		bool filling = i < 3000;
		if (!ref[k] && (filling || rnd() % 2)) {
			/* ids grow, as dpu_link_add hands them out */
			ref[k] = link_new(next_id++, a[k]);
			CHECK_EQ_INT(dp_link_table_insert(dp, ref[k]), 0);
		} else if (ref[k] && (!filling || rnd() % 4 == 0)) {
			dp_link_table_remove(dp, ref[k]);
			gone[ngone++ % NGONE] = ref[k]->id;
			free(ref[k]);
			ref[k] = NULL;
		} else {
			continue;
		}
		steps++;
		check_links(dp, a, ref, N, gone, ngone < NGONE ? ngone : NGONE);
	}
	CHECK(steps > 4000);
	for (size_t i = 0; i < N; i++) {
		if (ref[i])
			dp_link_table_remove(dp, ref[i]);
		free(ref[i]);
		ref[i] = NULL;
	}
	check_links(dp, a, ref, N, gone, NGONE);
	free(ref);
	free(a);
	fake_dp_free(dp);
}

static void test_link_churn(void)
{
	enum { LIVE = 200, NSEQ = 2000, NCOLL = 20, N = NSEQ + NSEQ / 10 + NCOLL };
	struct addr_key *a = make_addrs(NSEQ, NCOLL);
	struct dp_link **ref = calloc(N, sizeof(*ref));
	size_t *on = calloc(LIVE, sizeof(*on)), non = 0;
	uint64_t next_id = 1;
	struct dp *dp = fake_dp(0);
	uint32_t max_slots = 0;
	for (int i = 0; i < 200000; i++) {
		if (non == LIVE || (non && rnd() % 2)) {
			size_t j = rnd() % non, k = on[j];
			on[j] = on[--non];
			uint64_t id = ref[k]->id;
			dp_link_table_remove(dp, ref[k]);
			CHECK(dp_link_lookup_id(dp, id) == NULL);
			CHECK(dp_link_lookup_addr(dp, a[k].remote, a[k].local) == NULL);
			free(ref[k]);
			ref[k] = NULL;
		} else {
			size_t k = rnd() % N;
			if (ref[k])
				continue;
			ref[k] = link_new(next_id++, a[k]);
			CHECK_EQ_INT(dp_link_table_insert(dp, ref[k]), 0);
			CHECK(dp_link_lookup_id(dp, ref[k]->id) == ref[k]);
			on[non++] = k;
		}
		struct dp_link_table *t = atomic_load(&dp->link_tab);
		if (t->mask + 1 > max_slots)
			max_slots = t->mask + 1;
		if (i % 10000 == 0)
			check_links(dp, a, ref, N, NULL, 0);
	}
	check_links(dp, a, ref, N, NULL, 0);
	CHECK(max_slots <= 1024); /* 3 * 201 -> 1,024 */
	for (size_t i = 0; i < N; i++)
		free(ref[i]);
	free(ref);
	free(on);
	free(a);
	fake_dp_free(dp);
}

/* ---- one reader thread against the control thread ---- */

enum { T_LIVE = 0x600d, T_DEAD = 0xdead };

struct tsa {
	struct dp_sa sa; /* first: a found dp_sa is its tsa */
	_Atomic int magic;
	struct tsa *grave;
};

struct tlink {
	struct dp_link link;
	_Atomic int magic;
	struct tlink *grave;
};

enum { T_STABLE = 64, T_N = 1024, T_NCOLL = 64 };

struct treader {
	struct dp *dp;
	const uint32_t *spi; /* [0, T_STABLE) always in, the rest churned */
	const struct addr_key *addr;
	_Atomic bool stop;
	_Atomic uint64_t rounds, missed, bad;
};

/* A worker's discipline: odd while it uses what it found, even between. */
static void *reader_main(void *arg)
{
	struct treader *r = arg;
	struct dp_worker *w = &r->dp->w[0];
	uint64_t x = 0x2545f4914f6cdd1dull;
	while (!atomic_load(&r->stop)) {
		atomic_fetch_add(&w->rcu, 1);
		atomic_thread_fence(memory_order_seq_cst);
		for (int i = 0; i < T_STABLE; i++) {
			struct dp_sa *s = dp_sa_lookup(r->dp, r->spi[i]);
			struct dp_link *l = dp_link_lookup_id(r->dp, (uint64_t)i + 1);
			struct dp_link *la =
			    dp_link_lookup_addr(r->dp, r->addr[i].remote, r->addr[i].local);
			if (!s || !l || la != l)
				atomic_fetch_add(&r->missed, 1);
		}
		/* what it finds must stay valid until it goes even: held to
		 * the end of the round, so a free that came too early shows */
		struct tsa *hs[64];
		struct tlink *hl[64];
		for (int i = 0; i < 64; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t k = T_STABLE + (size_t)(x >> 8) % (T_N - T_STABLE);
			struct dp_sa *s = dp_sa_lookup(r->dp, r->spi[k]);
			if (s && s->spi != r->spi[k])
				atomic_fetch_add(&r->bad, 1);
			hs[i] = (struct tsa *)s;
			hl[i] = (struct tlink *)dp_link_lookup_addr(r->dp, r->addr[k].remote,
								    r->addr[k].local);
		}
		/* the keepalives' walk */
		struct dp_link_table *t =
		    atomic_load_explicit(&r->dp->link_tab, memory_order_acquire);
		for (size_t i = 0; t && i < t->n; i++) {
			struct dp_link *l = t->link[i];
			if (atomic_load(&((struct tlink *)l)->magic) != T_LIVE)
				atomic_fetch_add(&r->bad, 1);
		}
		sched_yield(); /* as a preempted worker would */
		for (int i = 0; i < 64; i++)
			if ((hs[i] && atomic_load(&hs[i]->magic) != T_LIVE) ||
			    (hl[i] && atomic_load(&hl[i]->magic) != T_LIVE))
				atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add(&w->rcu, 1);
		atomic_fetch_add(&r->rounds, 1);
	}
	return NULL;
}

static void test_threaded(void)
{
	uint32_t *spi = make_spis(T_N - T_NCOLL - 200, 200, T_NCOLL);
	struct addr_key *addr = make_addrs(T_N, 0);
	struct tsa **sa = calloc(T_N, sizeof(*sa));
	struct tlink **lk = calloc(T_N, sizeof(*lk));
	struct tsa *sa_grave = NULL;
	struct tlink *link_grave = NULL;
	struct dp *dp = fake_dp(1);
	uint64_t next_id = 1;
	/* stable entries first: link i has id i + 1 */
	for (size_t k = 0; k < T_N; k++) {
		if (k >= T_STABLE && rnd() % 2)
			continue;
		sa[k] = calloc(1, sizeof(**sa));
		sa[k]->sa.spi = spi[k];
		atomic_store(&sa[k]->magic, T_LIVE);
		CHECK_EQ_INT(dp_sa_table_insert(dp, &sa[k]->sa), 0);
		lk[k] = calloc(1, sizeof(**lk));
		lk[k]->link.id = next_id++;
		lk[k]->link.cfg.remote.s_addr = addr[k].remote;
		lk[k]->link.cfg.local.s_addr = addr[k].local;
		atomic_store(&lk[k]->magic, T_LIVE);
		CHECK_EQ_INT(dp_link_table_insert(dp, &lk[k]->link), 0);
	}
	struct treader r = {.dp = dp, .spi = spi, .addr = addr};
	dp->w[0].started = true;
	pthread_t th;
	CHECK_EQ_INT(pthread_create(&th, NULL, reader_main, &r), 0);
	while (atomic_load(&r.rounds) < 10)
		sched_yield();
	for (int i = 0; i < 20000; i++) {
		size_t k = T_STABLE + rnd() % (T_N - T_STABLE);
		if (rnd() % 2) {
			if (sa[k]) {
				dp_sa_table_remove(dp, &sa[k]->sa);
				dp_synchronize(dp);
				/* a reader finding it from now on is the bug */
				atomic_store(&sa[k]->magic, T_DEAD);
				sa[k]->grave = sa_grave;
				sa_grave = sa[k];
				sa[k] = NULL;
			} else {
				sa[k] = calloc(1, sizeof(**sa));
				sa[k]->sa.spi = spi[k];
				atomic_store(&sa[k]->magic, T_LIVE);
				CHECK_EQ_INT(dp_sa_table_insert(dp, &sa[k]->sa), 0);
			}
		} else {
			if (lk[k]) {
				dp_link_table_remove(dp, &lk[k]->link);
				dp_synchronize(dp);
				atomic_store(&lk[k]->magic, T_DEAD);
				lk[k]->grave = link_grave;
				link_grave = lk[k];
				lk[k] = NULL;
			} else {
				lk[k] = calloc(1, sizeof(**lk));
				lk[k]->link.id = next_id++;
				lk[k]->link.cfg.remote.s_addr = addr[k].remote;
				lk[k]->link.cfg.local.s_addr = addr[k].local;
				atomic_store(&lk[k]->magic, T_LIVE);
				CHECK_EQ_INT(dp_link_table_insert(dp, &lk[k]->link), 0);
			}
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	dp->w[0].started = false;
	CHECK(atomic_load(&r.rounds) > 10);
	CHECK_EQ_INT(atomic_load(&r.missed), 0);
	CHECK_EQ_INT(atomic_load(&r.bad), 0);
	for (size_t k = 0; k < T_N; k++) {
		free(sa[k]);
		free(lk[k]);
	}
	while (sa_grave) {
		struct tsa *g = sa_grave;
		sa_grave = g->grave;
		free(g);
	}
	while (link_grave) {
		struct tlink *g = link_grave;
		link_grave = g->grave;
		free(g);
	}
	free(sa);
	free(lk);
	free(addr);
	free(spi);
	fake_dp_free(dp);
}

int main(void)
{
	RUN(test_sa_random);
	RUN(test_sa_churn);
	RUN(test_link_random);
	RUN(test_link_churn);
	RUN(test_threaded);
	return tcheck_done();
}
