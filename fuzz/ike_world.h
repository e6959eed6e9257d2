/* ike_world.h: live IKE engines for the stateful harnesses (fuzz_ike_state,
 * fuzz_ike_auth) and their seed generators: a fake network with a virtual
 * clock in the manner of tests/unit/test_ike_net.h, a deterministic random
 * source, and host callbacks that check what the engine promises its host.
 *
 * Deterministic randomness: each input builds its world from scratch.  With
 * OpenSSL's generator the SPIs, nonces, DH values and IVs would change every
 * time, so an input that crashed once might not crash again, coverage would
 * flicker, and a recorded seed (which names Child SA SPIs and carries
 * ciphertext bound to one SA's keys) would never match the live world.  The
 * RAND_METHOD below replaces OpenSSL's generator for the whole process (DH
 * key generation draws from it too) and fw_rand_reset() rewinds it, so the
 * same seed gives the same world, byte for byte, in every process.  It is
 * xorshift, not a CSPRNG: fuzz binaries only.
 *
 * Host oracles: the engine reports Child SA pairs up and down; a pair
 * reported down that was never reported up, or one reported up twice, is a
 * bug the data plane would act on, so it aborts like a sanitizer would.  So
 * does a virtual instant that never ends (fw_run: the engines keep sending
 * or keep a deadline in the past without moving on), which in vtid's event
 * loop would be a busy loop; FUZZ_IKE_ALLOW_SPIN=1 turns that one off, so a
 * known spin does not hide everything behind it. */
#ifndef VTID_FUZZ_IKE_WORLD_H
#define VTID_FUZZ_IKE_WORLD_H

/* RAND_set_rand_method is deprecated in OpenSSL 3 yet still honoured by
 * RAND_bytes and RAND_priv_bytes, which is all we need. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/priv.h"
#include "lib/log.h"
#include "lib/suite.h"

/* FUZZ_IKE_ALLOW_SPIN=1: no busy-loop oracle (to look past a known one). */
static bool fw_allow_spin;

/* ---- deterministic random source ---- */
static uint64_t fw_rng_state;

static inline int fw_rand_bytes(unsigned char *buf, int num)
{
	for (int i = 0; i < num; i++) {
		fw_rng_state ^= fw_rng_state << 13;
		fw_rng_state ^= fw_rng_state >> 7;
		fw_rng_state ^= fw_rng_state << 17;
		buf[i] = (unsigned char)(fw_rng_state >> 32);
	}
	return 1;
}

static inline int fw_rand_status(void)
{
	return 1;
}

static inline void fw_rand_reset(uint64_t seed)
{
	fw_rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* Process-wide; also quiets the engines' logging (a fuzzer makes every
 * rate-limited warning fire), keeping errors, which mark engine bugs. */
static inline void fw_setup_process(void)
{
	static const RAND_METHOD method = {
	    .bytes = fw_rand_bytes,
	    .pseudorand = fw_rand_bytes,
	    .status = fw_rand_status,
	};
	if (RAND_set_rand_method(&method) != 1) {
		fprintf(stderr, "ike_world: cannot install the deterministic RAND_METHOD\n");
		abort();
	}
	fw_rand_reset(0);
	fw_allow_spin = getenv("FUZZ_IKE_ALLOW_SPIN") != NULL;
	log_set_level(getenv("FUZZ_IKE_LOG") ? LOG_DEBUG : LOG_ERR);
	if (getenv("FUZZ_IKE_LOG"))
		log_set_debug(LOG_DBG_IKE, true);
}

static inline void fw_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void fw_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- fake network ---- */
enum {
	FW_MAX_SIDES = 5,
	FW_MAX_QUEUE = 256, /* more in flight is a storm: the rest is lost */
	FW_MAX_PAIRS = 64,
	FW_STUCK_ROUNDS = 400, /* rounds in one virtual instant before fw_run calls it a spin */
};

struct fw_net;

struct fw_pair {
	uint32_t tunnel_id, spi_in, spi_out;
};

struct fw_side {
	struct fw_net *net;
	struct ike_engine *eng; /* NULL: an address where nobody answers */
	struct sockaddr_in addr;
	struct fw_pair pairs[FW_MAX_PAIRS]; /* pairs reported up and not yet down */
	int n_pairs;
	bool pairs_lost; /* more than FW_MAX_PAIRS: stop judging */
	int ike_ups, ike_downs, child_ups, child_downs;
};

struct fw_pkt {
	struct fw_pkt *next;
	struct sockaddr_in from, to;
	size_t len;
	uint8_t data[];
};

struct fw_net {
	uint64_t now;
	struct fw_side side[FW_MAX_SIDES];
	int n_sides;
	struct fw_pkt *head, *tail;
	unsigned queued, sent, lost;
	/* Sees every packet an engine sends; false drops it (a request the
	 * harness will answer itself, or one a seed generator keeps). */
	bool (*tap)(struct fw_net *n, const struct fw_pkt *p);
	void *tap_ctx;
};

/* Every SA's state and deadlines, relative to now: what an oracle report
 * needs to be read without a debugger. */
static inline void fw_dump_engine(const struct fw_side *s)
{
	if (!s->eng)
		return;
	uint64_t now = s->net->now;
	fprintf(stderr, "  engine %s: next deadline %+lld ms\n", inet_ntoa(s->addr.sin_addr),
		(long long)(ike_next_deadline(s->eng) - now));
	for (const struct ike_peer *p = s->eng->peers; p; p = p->next) {
		for (const struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
			fprintf(stderr,
				"    tunnel %u SA seq %llu %s state %s task %d msgid out %u in %u "
				"retx %+lld rekey %+lld expire %+lld\n",
				p->cfg.tunnel_id, (unsigned long long)sa->seq,
				sa->initiator ? "initiator" : "responder",
				ike_state_name(sa->state), sa->task, sa->msgid_out, sa->msgid_in,
				(long long)(sa->retx_at - now),
				sa->rekey_at ? (long long)(sa->rekey_at - now) : 0,
				sa->expire_at ? (long long)(sa->expire_at - now) : 0);
			for (const struct ike_child *c = sa->children; c; c = c->next)
				fprintf(stderr,
					"      child %08x/%08x %s rekey %+lld expire %+lld\n",
					c->spi_in, c->spi_out, ike_child_state_name(c->state),
					c->rekey_at ? (long long)(c->rekey_at - now) : 0,
					c->expire_at ? (long long)(c->expire_at - now) : 0);
		}
	}
}

static inline void fw_oracle_fail(const struct fw_side *s, const char *what, uint32_t a, uint32_t b)
{
	fprintf(stderr, "ike_world oracle: %s (side %s, %08x/%08x)\n", what,
		inet_ntoa(s->addr.sin_addr), a, b);
	for (int i = 0; i < s->net->n_sides; i++)
		fw_dump_engine(&s->net->side[i]);
	abort();
}

static inline uint64_t fw_now_cb(void *ctx)
{
	return ((struct fw_side *)ctx)->net->now;
}

static inline int fw_send_cb(void *ctx, const struct sockaddr_in *from,
			     const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
	struct fw_net *n = ((struct fw_side *)ctx)->net;
	struct fw_pkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return -1;
	p->next = NULL;
	p->from = *from;
	p->to = *to;
	p->len = len;
	memcpy(p->data, msg, len);
	n->sent++;
	if ((n->tap && !n->tap(n, p)) || n->queued >= FW_MAX_QUEUE) {
		n->lost++;
		free(p);
		return 0;
	}
	if (n->tail)
		n->tail->next = p;
	else
		n->head = p;
	n->tail = p;
	n->queued++;
	return 0;
}

static inline int fw_pair_find(const struct fw_side *s, uint32_t spi_in)
{
	for (int i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].spi_in == spi_in)
			return i;
	return -1;
}

static inline void fw_child_up_cb(void *ctx, const struct ike_child_sa *c)
{
	struct fw_side *s = ctx;
	s->child_ups++;
	if (s->pairs_lost)
		return;
	if (fw_pair_find(s, c->spi_in) >= 0)
		fw_oracle_fail(s, "child_up for a pair already up", c->spi_in, c->spi_out);
	if (s->n_pairs == FW_MAX_PAIRS) {
		s->pairs_lost = true;
		return;
	}
	s->pairs[s->n_pairs++] = (struct fw_pair){c->tunnel_id, c->spi_in, c->spi_out};
}

static inline void fw_child_down_cb(void *ctx, uint32_t tunnel_id, uint32_t spi_in,
				    uint32_t spi_out)
{
	struct fw_side *s = ctx;
	s->child_downs++;
	if (s->pairs_lost)
		return;
	int i = fw_pair_find(s, spi_in);
	if (i < 0 || s->pairs[i].spi_out != spi_out || s->pairs[i].tunnel_id != tunnel_id)
		fw_oracle_fail(s, "child_down for a pair never reported up", spi_in, spi_out);
	s->pairs[i] = s->pairs[--s->n_pairs];
}

static inline void fw_ike_event_cb(void *ctx, uint32_t tunnel_id, enum ike_sa_event ev,
				   const char *why)
{
	struct fw_side *s = ctx;
	(void)tunnel_id;
	(void)why;
	if (ev == IKE_SA_UP)
		s->ike_ups++;
	else
		s->ike_downs++;
}

/* Every failure report must be a known class with a terminated, printable
 * detail: it goes to the log and to show output. */
static inline void fw_failed_cb(void *ctx, uint32_t tunnel_id, const struct ike_failure *f)
{
	struct fw_side *s = ctx;
	(void)tunnel_id;
	size_t n = strnlen(f->detail, sizeof(f->detail));
	if (f->cls <= IKE_FAIL_NONE || f->cls >= IKE_FAIL_MAX || n == sizeof(f->detail))
		fw_oracle_fail(s, "bad failure report", (uint32_t)f->cls, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)f->detail[i] < 0x20)
			fw_oracle_fail(s, "control character in a failure detail", (uint32_t)i,
				       (unsigned char)f->detail[i]);
	(void)ike_fail_reason(f->cls);
}

static inline void fw_init(struct fw_net *n)
{
	memset(n, 0, sizeof(*n));
	n->now = 1000000;
}

/* A side at addr (host order, port 500); with an engine unless mute. */
static inline struct fw_side *fw_add_side(struct fw_net *n, uint32_t addr, bool mute)
{
	if (n->n_sides == FW_MAX_SIDES)
		abort();
	struct fw_side *s = &n->side[n->n_sides++];
	s->net = n;
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(addr);
	s->addr.sin_port = htons(500);
	if (mute)
		return s;
	struct ike_host h = {.ctx = s,
			     .now_ms = fw_now_cb,
			     .send = fw_send_cb,
			     .child_up = fw_child_up_cb,
			     .child_down = fw_child_down_cb,
			     .ike_event = fw_ike_event_cb,
			     .failed = fw_failed_cb};
	s->eng = ike_engine_new(&h);
	if (!s->eng) {
		fprintf(stderr, "ike_world: ike_engine_new failed\n");
		abort();
	}
	/* every deadline checked against a full recomputation: hostile input
	 * must not leave a timer missed or unmarked either */
	ike_set_timer_check(s->eng, true);
	return s;
}

static inline void fw_flush(struct fw_net *n)
{
	while (n->head) {
		struct fw_pkt *p = n->head;
		n->head = p->next;
		free(p);
	}
	n->tail = NULL;
	n->queued = 0;
}

static inline void fw_fini(struct fw_net *n)
{
	for (int i = 0; i < n->n_sides; i++)
		ike_engine_free(n->side[i].eng);
	fw_flush(n);
}

static inline struct fw_side *fw_side_at(struct fw_net *n, const struct sockaddr_in *a)
{
	for (int i = 0; i < n->n_sides; i++)
		if (n->side[i].addr.sin_addr.s_addr == a->sin_addr.s_addr)
			return &n->side[i];
	return NULL;
}

/* Delivers what is queued now (not what that provokes); the count. */
static inline unsigned fw_deliver_round(struct fw_net *n)
{
	unsigned k = n->queued, done = 0;
	while (k-- && n->head) {
		struct fw_pkt *p = n->head;
		n->head = p->next;
		if (!n->head)
			n->tail = NULL;
		n->queued--;
		struct fw_side *dst = fw_side_at(n, &p->to);
		if (dst && dst->eng)
			ike_input(dst->eng, &p->to, &p->from, p->data, p->len);
		free(p);
		done++;
	}
	return done;
}

static inline uint64_t fw_next_deadline(struct fw_net *n)
{
	uint64_t d = UINT64_MAX;
	for (int i = 0; i < n->n_sides; i++) {
		uint64_t x = n->side[i].eng ? ike_next_deadline(n->side[i].eng) : UINT64_MAX;
		if (x < d)
			d = x;
	}
	return d;
}

/* Delivers packets and fires deadlines in virtual time until nothing is
 * queued and no deadline falls before now + ms; the clock ends at now + ms.
 * ms = 0 just lets the current conversation finish. */
static inline void fw_run(struct fw_net *n, uint64_t ms)
{
	uint64_t limit = n->now + ms, stuck_at = n->now;
	unsigned stuck = 0;
	for (;;) {
		bool moved = fw_deliver_round(n) > 0;
		uint64_t d = fw_next_deadline(n);
		if (!moved && d > limit) {
			n->now = limit;
			return;
		}
		if (!moved && d > n->now)
			n->now = d;
		if (d <= n->now)
			for (int i = 0; i < n->n_sides; i++)
				ike_run_timers(n->side[i].eng);
		if (n->now != stuck_at) {
			stuck_at = n->now;
			stuck = 0;
		} else if (++stuck > (fw_allow_spin ? 16 : FW_STUCK_ROUNDS)) {
			if (!fw_allow_spin) {
				/* name the side whose deadline does not move, if any */
				int k = 0;
				for (int i = n->n_sides - 1; i >= 0; i--)
					if (n->side[i].eng &&
					    ike_next_deadline(n->side[i].eng) <= n->now)
						k = i;
				fw_oracle_fail(&n->side[k],
					       "virtual time stands still (busy loop; queued, "
					       "deadline - now)",
					       (uint32_t)n->queued, (uint32_t)(d - n->now));
			}
			/* The daemon would spin until its clock moved on: so be it. */
			if (n->now >= limit)
				return;
			n->now = n->now + 1000 < limit ? n->now + 1000 : limit;
		}
	}
}

/* A GRE-over-IPsec tunnel config from a to b: PSK "s3cret" both ways,
 * one IKE proposal (encr, prf or integ, dh) and one ESP proposal. */
static inline void fw_cfg(struct ike_peer_cfg *c, const struct fw_side *a, const struct fw_side *b,
			  uint32_t id, const char *encr, const char *integ, const char *prf,
			  const char *dh)
{
	memset(c, 0, sizeof(*c));
	c->tunnel_id = id;
	c->local = a->addr;
	c->remote = b->addr;
	c->n_ike = 1;
	c->ike[0].encr[0] = suite_by_name(SUITE_ENCR, encr);
	c->ike[0].n_encr = 1;
	if (integ) {
		c->ike[0].integ[0] = suite_by_name(SUITE_INTEG, integ);
		c->ike[0].n_integ = 1;
	}
	if (prf) {
		c->ike[0].prf[0] = suite_by_name(SUITE_PRF, prf);
		c->ike[0].n_prf = 1;
	}
	c->ike[0].dh[0] = suite_by_name(SUITE_DH, dh);
	c->ike[0].n_dh = 1;
	c->n_esp = 1;
	c->esp[0].encr = c->ike[0].encr[0];
	c->esp[0].integ = c->ike[0].integ[0];
	memcpy(c->psk_local, "s3cret", 6);
	c->psk_local_len = 6;
	memcpy(c->psk_remote, "s3cret", 6);
	c->psk_remote_len = 6;
	c->ts = IKE_TS_GRE;
	c->transport = true;
	c->replay_window = 64;
}

/* An engine's SAs that are not dead (with keys, if keyed), oldest first:
 * an index names the same SA whether or not SAs were created after it,
 * which keeps recorded seeds pointing where they should. */
static inline size_t fw_engine_sas(struct ike_engine *eng, bool keyed, struct ike_sa **out,
				   size_t cap)
{
	size_t n = 0;
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa && n < cap; sa = sa->peer_next)
			if (sa->state != IKE_STATE_DEAD && (sa->have_keys || !keyed))
				out[n++] = sa;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1]->seq > out[j]->seq; j--) {
			struct ike_sa *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static inline void fw_peer_add(struct fw_side *s, const struct ike_peer_cfg *c)
{
	if (ike_peer_add(s->eng, c) != 0) {
		fprintf(stderr, "ike_world: ike_peer_add(%u) refused\n", c->tunnel_id);
		abort();
	}
}

/* Virtual time steps a record may ask for, in ms: retransmit-sized (0.5 s,
 * doubling), DPD-sized (20 s), the half-open timeout (30 s), Child SA
 * rekeys (~70-110 s), IKE SA rekeys (~340-380 s).  Time costs executions
 * (every DPD is an exchange), so an input gets at most FW_MAX_VIRTUAL_MS in
 * all; later steps are cut to zero. */
enum { FW_MAX_VIRTUAL_MS = 1200000 };
static const uint32_t fw_steps[16] = {0,     1,	    200,   600,	  1500,	  3000,	  7000,	  12000,
				      20000, 31000, 45000, 70000, 100000, 130000, 200000, 400000};

static inline uint64_t fw_step_ms(const struct fw_net *n, uint64_t start, unsigned step)
{
	uint64_t want = fw_steps[step & 15], used = n->now - start;
	return used >= FW_MAX_VIRTUAL_MS ? 0 : want < FW_MAX_VIRTUAL_MS - used ? want : 0;
}

/* ---- payload chains as items ----
 * A raw payload chain is fragile under mutation: each payload names the
 * type of the next one and its own length, so removing or repeating one
 * breaks the chain and the decoder refuses it before any handler runs.
 * Items say the same with the links left out, and any byte string is a
 * well-formed list of them, so the fuzzer drops, repeats and reorders
 * payloads freely:
 *   item = [type][flags][len hi][len lo][len bytes of body]
 * i.e. a generic payload header carrying the payload's own type instead of
 * the next one's, and the body length instead of the payload length.  A
 * length past the end takes what is left; fewer than 4 bytes left end it.
 * fw_items_to_chain writes the chain (flags byte kept: critical bit and
 * reserved bits) and returns its length; *first gets the first type (0
 * for no item).  fw_chain_to_items goes the other way (seed generators). */
enum { FW_MAX_ITEMS = 64 };

static inline size_t fw_items_to_chain(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
				       uint8_t *first)
{
	size_t o = 0, prev = SIZE_MAX, n = 0;
	*first = 0;
	for (size_t i = 0; len - i >= 4 && n < FW_MAX_ITEMS; n++) {
		size_t blen = (size_t)in[i + 2] << 8 | in[i + 3];
		if (blen > len - i - 4)
			blen = len - i - 4;
		if (blen + 4 > 0xffff || o + 4 + blen > cap)
			break;
		if (prev == SIZE_MAX)
			*first = in[i];
		else
			out[prev] = in[i];
		prev = o;
		out[o] = 0;
		out[o + 1] = in[i + 1];
		out[o + 2] = (uint8_t)((blen + 4) >> 8);
		out[o + 3] = (uint8_t)(blen + 4);
		memcpy(out + o + 4, in + i + 4, blen);
		o += 4 + blen;
		i += 4 + blen;
	}
	return o;
}

static inline size_t fw_chain_to_items(uint8_t first, const uint8_t *in, size_t len, uint8_t *out,
				       size_t cap)
{
	size_t o = 0;
	uint8_t type = first;
	for (size_t i = 0; type && len - i >= 4;) {
		size_t plen = (size_t)in[i + 2] << 8 | in[i + 3];
		if (plen < 4 || plen > len - i || o + plen > cap)
			break;
		out[o] = type;
		out[o + 1] = in[i + 1];
		out[o + 2] = (uint8_t)((plen - 4) >> 8);
		out[o + 3] = (uint8_t)(plen - 4);
		memcpy(out + o + 4, in + i + 4, plen - 4);
		type = in[i];
		o += plen;
		i += plen;
	}
	return o;
}

/* ---- item-level mutation ----
 * libFuzzer's byte mutations rarely remove or add a whole payload, and a
 * handler bug usually needs exactly that (a request without its SA
 * payload, a response with only an error notify).  A harness's custom
 * mutator hands one mutation in three to fw_mutate_items with the item
 * regions of its input (struct fw_span, found by the harness, which knows
 * its record format); one item of one region is erased, repeated, moved,
 * retyped, cut short, flagged critical, or a new one is put in from a
 * small set (error notifies, Deletes, empty payloads).  The record's
 * 2-byte length follows the change. */
struct fw_span {
	size_t len_at; /* offset of the record's big-endian length field */
	size_t off;    /* where the items start */
	size_t len;    /* their extent */
};

enum { FW_MAX_SPANS = 32 };

static inline uint32_t fw_mut_rand(uint32_t *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 8;
}

/* Replaces data[at, at + old) with rep[0, new) (rep NULL: zeroes); false if
 * it would not fit in max. */
static inline bool fw_splice(uint8_t *data, size_t *size, size_t max, size_t at, size_t old,
			     const uint8_t *rep, size_t new_len)
{
	if (*size - old + new_len > max)
		return false;
	memmove(data + at + new_len, data + at + old, *size - at - old);
	if (rep)
		memcpy(data + at, rep, new_len);
	else
		memset(data + at, 0, new_len);
	*size = *size - old + new_len;
	return true;
}

static inline size_t fw_mutate_items(uint8_t *data, size_t size, size_t max, uint32_t seed,
				     const struct fw_span *spans, size_t n_spans)
{
	static const uint8_t types[] = {
	    IKEV2_PL_SA,     IKEV2_PL_KE,     IKEV2_PL_IDI,
	    IKEV2_PL_IDR,    IKEV2_PL_CERT,   IKEV2_PL_CERTREQ,
	    IKEV2_PL_AUTH,   IKEV2_PL_NONCE,  IKEV2_PL_NOTIFY,
	    IKEV2_PL_DELETE, IKEV2_PL_VENDOR, IKEV2_PL_TSI,
	    IKEV2_PL_TSR,    IKEV2_PL_SK,     IKEV2_PL_CP,
	    IKEV2_PL_EAP,    IKEV2_PL_SKF,    99, /* unknown */
	};
	static const uint16_t errors[] = {
	    IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
	    IKEV2_N_INVALID_IKE_SPI,
	    IKEV2_N_INVALID_SYNTAX,
	    IKEV2_N_INVALID_MESSAGE_ID,
	    IKEV2_N_INVALID_SPI,
	    IKEV2_N_NO_PROPOSAL_CHOSEN,
	    IKEV2_N_INVALID_KE_PAYLOAD,
	    IKEV2_N_AUTHENTICATION_FAILED,
	    IKEV2_N_SINGLE_PAIR_REQUIRED,
	    IKEV2_N_NO_ADDITIONAL_SAS,
	    IKEV2_N_TS_UNACCEPTABLE,
	    IKEV2_N_TEMPORARY_FAILURE,
	    IKEV2_N_CHILD_SA_NOT_FOUND,
	    /* status types a handler looks for */
	    IKEV2_N_INITIAL_CONTACT,
	    IKEV2_N_COOKIE,
	    IKEV2_N_USE_TRANSPORT_MODE,
	    IKEV2_N_REKEY_SA,
	};
	if (!n_spans)
		return 0;
	const struct fw_span *sp = &spans[fw_mut_rand(&seed) % n_spans];
	size_t at[FW_MAX_ITEMS], sz[FW_MAX_ITEMS], n = 0;
	for (size_t i = 0; sp->len - i >= 4 && n < FW_MAX_ITEMS; n++) {
		size_t blen = (size_t)data[sp->off + i + 2] << 8 | data[sp->off + i + 3];
		if (blen > sp->len - i - 4)
			blen = sp->len - i - 4;
		at[n] = sp->off + i;
		sz[n] = 4 + blen;
		i += 4 + blen;
	}
	size_t k = n ? fw_mut_rand(&seed) % n : 0, before = size;
	bool changed = true;
	uint8_t item[16];
	switch (n ? fw_mut_rand(&seed) % 8 : 7) {
	case 0: /* erase */
		changed = fw_splice(data, &size, max, at[k], sz[k], NULL, 0);
		break;
	case 1: { /* repeat */
		uint8_t *copy = malloc(sz[k]);
		if (!copy)
			return 0;
		memcpy(copy, data + at[k], sz[k]);
		changed = fw_splice(data, &size, max, at[k] + sz[k], 0, copy, sz[k]);
		free(copy);
		break;
	}
	case 2: { /* move to the front of the region */
		uint8_t *copy = malloc(sz[k]);
		if (!copy)
			return 0;
		memcpy(copy, data + at[k], sz[k]);
		memmove(data + sp->off + sz[k], data + sp->off, at[k] - sp->off);
		memcpy(data + sp->off, copy, sz[k]);
		free(copy);
		break;
	}
	case 3: /* retype */
		data[at[k]] = types[fw_mut_rand(&seed) % sizeof(types)];
		break;
	case 4: /* cut the body short */
		changed = sz[k] > 4;
		if (changed) {
			size_t keep = fw_mut_rand(&seed) % (sz[k] - 4);
			fw_splice(data, &size, max, at[k] + 4 + keep, sz[k] - 4 - keep, NULL, 0);
			data[at[k] + 2] = (uint8_t)(keep >> 8);
			data[at[k] + 3] = (uint8_t)keep;
		}
		break;
	case 5: /* critical bit */
		data[at[k] + 1] ^= 0x80;
		break;
	default: { /* a new item: a notify, a Delete or an empty payload */
		size_t len = 4, where = n ? at[k] : sp->off;
		uint32_t what = fw_mut_rand(&seed) % 3;
		memset(item, 0, sizeof(item));
		if (what == 0) {
			uint16_t t = errors[fw_mut_rand(&seed) % (sizeof(errors) / 2)];
			item[0] = 41;
			item[3] = 4;
			item[6] = (uint8_t)(t >> 8);
			item[7] = (uint8_t)t;
			len = 8;
		} else if (what == 1) {
			item[0] = 42;
			item[3] = 4;
			item[4] = fw_mut_rand(&seed) & 1 ? 1 : 3; /* IKE or ESP, no SPIs */
			item[5] = item[4] == 3 ? 4 : 0;
			len = 8;
		} else {
			item[0] = types[fw_mut_rand(&seed) % sizeof(types)];
		}
		changed = fw_splice(data, &size, max, where, 0, item, len);
		break;
	}
	}
	if (!changed)
		return 0;
	/* the record's body grew or shrank by as much as its items did */
	size_t rec = (size_t)data[sp->len_at] << 8 | data[sp->len_at + 1];
	if (size >= before)
		rec = rec + (size - before) > 0xffff ? 0xffff : rec + (size - before);
	else
		rec = rec > before - size ? rec - (before - size) : 0;
	data[sp->len_at] = (uint8_t)(rec >> 8);
	data[sp->len_at + 1] = (uint8_t)rec;
	return size;
}

/* ---- seed files ---- */
static inline int fw_write_file(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static inline uint8_t *fw_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *b = realloc(buf, cap * 2);
		if (!b) {
			free(buf);
			buf = NULL;
		}
		buf = b;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

#endif
