/* test_ike_net.h: two (or more) IKE engines in one process over a fake
 * network with a virtual clock, for the test_ike_* exchange tests.
 *
 * Packets sent by an engine are queued; tnet_run() delivers them in order
 * once latency_ms has passed (dropping a seeded-random share when loss_pct
 * is set, or all when drop_all), and when nothing can be delivered
 * advances the virtual clock to the next engine deadline or arrival,
 * until nothing is left to do before a time limit. */
#ifndef VTID_TEST_IKE_NET_H
#define VTID_TEST_IKE_NET_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ike/ike.h"
#include "lib/suite.h"

enum { TNET_MAX_CHILD = 32, TNET_MAX_SIDES = 3 };

struct tnet;

struct tside {
	struct tnet *net;
	struct ike_engine *eng;
	struct sockaddr_in addr;
	struct ike_child_sa child[TNET_MAX_CHILD]; /* live pairs, as reported */
	int n_child;
	int child_ups, child_downs, rekey_ups, ike_ups, ike_downs;
	char last_why[128];
	bool up;
	struct ike_failure last_fail; /* the engine's last failure report */
	int fails;
};

struct tpkt {
	struct tpkt *next;
	uint64_t at; /* delivered from this virtual time on */
	struct sockaddr_in from, to;
	size_t len;
	uint8_t data[];
};

struct tnet {
	uint64_t now;
	struct tpkt *head, *tail;
	struct tside side[TNET_MAX_SIDES];
	int n_sides;
	unsigned loss_pct;
	uint64_t latency_ms;  /* every packet takes this long (queue order kept) */
	unsigned reorder_pct; /* share of steps that deliver the second queued packet first */
	bool drop_all;
	uint64_t rng;
	unsigned sent, dropped;
	/* optional tap: called for each delivered packet, may modify it or return false to drop */
	bool (*tap)(struct tnet *n, struct tpkt *p);
	void *tap_ctx;
};

static inline uint32_t tnet_rand(struct tnet *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return (uint32_t)n->rng;
}

static uint64_t tnet_now(void *ctx)
{
	return ((struct tside *)ctx)->net->now;
}

static int tnet_send(void *ctx, const struct sockaddr_in *from, const struct sockaddr_in *to,
		     const uint8_t *msg, size_t len)
{
	struct tnet *n = ((struct tside *)ctx)->net;
	struct tpkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return -1;
	p->next = NULL;
	p->at = n->now + n->latency_ms;
	p->from = *from;
	p->to = *to;
	p->len = len;
	memcpy(p->data, msg, len);
	if (n->tail)
		n->tail->next = p;
	else
		n->head = p;
	n->tail = p;
	n->sent++;
	return 0;
}

static void tnet_child_up(void *ctx, const struct ike_child_sa *c)
{
	struct tside *s = ctx;
	s->child_ups++;
	if (c->rekey)
		s->rekey_ups++;
	if (s->n_child < TNET_MAX_CHILD)
		s->child[s->n_child++] = *c;
}

static void tnet_child_down(void *ctx, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out)
{
	struct tside *s = ctx;
	(void)tunnel_id;
	s->child_downs++;
	for (int i = 0; i < s->n_child; i++) {
		if (s->child[i].spi_in == spi_in && s->child[i].spi_out == spi_out) {
			s->child[i] = s->child[--s->n_child];
			return;
		}
	}
	s->child_downs += 1000; /* a down for a pair never reported up: fails checks */
}

static void tnet_ike_event(void *ctx, uint32_t tunnel_id, enum ike_sa_event ev, const char *why)
{
	struct tside *s = ctx;
	(void)tunnel_id;
	if (ev == IKE_SA_UP) {
		s->ike_ups++;
		s->up = true;
	} else {
		s->ike_downs++;
		s->up = false;
	}
	snprintf(s->last_why, sizeof(s->last_why), "%s", why ? why : "");
}

static void tnet_failed(void *ctx, uint32_t tunnel_id, const struct ike_failure *f)
{
	struct tside *s = ctx;
	(void)tunnel_id;
	s->last_fail = *f;
	s->fails++;
}

static inline void tnet_init(struct tnet *n, int sides, uint64_t seed)
{
	memset(n, 0, sizeof(*n));
	n->now = 1000000;
	n->rng = seed ? seed : 88172645463325252ull;
	n->n_sides = sides;
	for (int i = 0; i < sides; i++) {
		struct tside *s = &n->side[i];
		s->net = n;
		s->addr.sin_family = AF_INET;
		s->addr.sin_addr.s_addr = htonl(0xcb007102u + (uint32_t)i); /* 203.0.113.2.. */
		s->addr.sin_port = htons(500);
		struct ike_host h = {.ctx = s,
				     .now_ms = tnet_now,
				     .send = tnet_send,
				     .child_up = tnet_child_up,
				     .child_down = tnet_child_down,
				     .ike_event = tnet_ike_event,
				     .failed = tnet_failed};
		s->eng = ike_engine_new(&h);
		/* every deadline the heap gives checked against a full walk */
		ike_set_timer_check(s->eng, true);
	}
}

static inline void tnet_flush(struct tnet *n)
{
	while (n->head) {
		struct tpkt *p = n->head;
		n->head = p->next;
		free(p);
	}
	n->tail = NULL;
}

static inline void tnet_fini(struct tnet *n)
{
	for (int i = 0; i < n->n_sides; i++)
		ike_engine_free(n->side[i].eng);
	tnet_flush(n);
}

static inline struct tside *tnet_side_by_addr(struct tnet *n, const struct sockaddr_in *a)
{
	for (int i = 0; i < n->n_sides; i++)
		if (n->side[i].addr.sin_addr.s_addr == a->sin_addr.s_addr)
			return &n->side[i];
	return NULL;
}

/* Delivers one queued packet; false when the queue is empty. */
static inline bool tnet_step(struct tnet *n)
{
	struct tpkt *p = n->head;
	if (!p || p->at > n->now)
		return false;
	if (n->reorder_pct && p->next && tnet_rand(n) % 100 < n->reorder_pct) {
		struct tpkt *q = p->next; /* q overtakes p */
		p->next = q->next;
		q->next = p;
		n->head = q;
		if (n->tail == q)
			n->tail = p;
		p = q;
	}
	n->head = p->next;
	if (!n->head)
		n->tail = NULL;
	bool drop = n->drop_all || (n->loss_pct && tnet_rand(n) % 100 < n->loss_pct);
	if (!drop && n->tap && !n->tap(n, p))
		drop = true;
	struct tside *dst = tnet_side_by_addr(n, &p->to);
	if (drop || !dst) {
		n->dropped++;
	} else {
		ike_input(dst->eng, &p->to, &p->from, p->data, p->len);
	}
	free(p);
	return true;
}

/* Runs until nothing is queued and no engine deadline falls before now+ms. */
static inline void tnet_run(struct tnet *n, uint64_t ms)
{
	uint64_t limit = n->now + ms;
	for (int guard = 0; guard < 200000; guard++) {
		while (tnet_step(n))
			;
		uint64_t d = UINT64_MAX;
		for (int i = 0; i < n->n_sides; i++) {
			uint64_t x = ike_next_deadline(n->side[i].eng);
			if (x < d)
				d = x;
		}
		if (n->head && n->head->at < d)
			d = n->head->at; /* a packet still on the wire */
		if (d > limit) {
			n->now = limit;
			return;
		}
		if (d > n->now)
			n->now = d;
		for (int i = 0; i < n->n_sides; i++)
			ike_run_timers(n->side[i].eng);
	}
}

/* A tunnel config from side a to side b. */
static inline void tnet_cfg(struct ike_peer_cfg *c, const struct tside *a, const struct tside *b,
			    uint32_t id)
{
	memset(c, 0, sizeof(*c));
	c->tunnel_id = id;
	c->local = a->addr;
	c->remote = b->addr;
	c->n_ike = 1;
	c->ike[0].encr[0] = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	c->ike[0].n_encr = 1;
	c->ike[0].prf[0] = suite_by_name(SUITE_PRF, "sha256");
	c->ike[0].n_prf = 1;
	c->ike[0].dh[0] = suite_by_name(SUITE_DH, "group19");
	c->ike[0].n_dh = 1;
	c->n_esp = 1;
	c->esp[0].encr = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	memcpy(c->psk_local, "s3cret", 6);
	c->psk_local_len = 6;
	memcpy(c->psk_remote, "s3cret", 6);
	c->psk_remote_len = 6;
	c->ts = IKE_TS_GRE;
	c->transport = true;
	c->replay_window = 64;
}

/* One counter of `show crypto ikev2 stats`, -1 when there is no such key. */
static inline int64_t tnet_stat(struct ike_engine *e, const char *key)
{
	struct json_object *o = ike_show_stats(e), *v;
	int64_t r = json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
	json_object_put(o);
	return r;
}

/* True when a's and b's live pairs mirror each other (in == out, keys too). */
static inline bool tnet_pairs_match(const struct tside *a, const struct tside *b)
{
	if (a->n_child != b->n_child)
		return false;
	for (int i = 0; i < a->n_child; i++) {
		const struct ike_child_sa *x = &a->child[i], *y = NULL;
		for (int j = 0; j < b->n_child; j++)
			if (b->child[j].spi_in == x->spi_out && b->child[j].spi_out == x->spi_in)
				y = &b->child[j];
		if (!y || x->encr != y->encr || x->integ != y->integ ||
		    x->encr_key_len != y->encr_key_len || x->integ_key_len != y->integ_key_len ||
		    x->transport != y->transport || x->esn != y->esn)
			return false;
		if (memcmp(x->key_in_encr, y->key_out_encr, x->encr_key_len) != 0 ||
		    memcmp(x->key_out_encr, y->key_in_encr, x->encr_key_len) != 0 ||
		    memcmp(x->key_in_integ, y->key_out_integ, x->integ_key_len) != 0 ||
		    memcmp(x->key_out_integ, y->key_in_integ, x->integ_key_len) != 0)
			return false;
		if (memcmp(x->key_in_encr, x->key_out_encr, x->encr_key_len) == 0)
			return false; /* the two directions must differ */
	}
	return true;
}

#endif
