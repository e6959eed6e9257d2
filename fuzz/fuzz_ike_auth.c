/* fuzz_ike_auth.c: the exchange handlers behind the integrity check.  Two
 * live engines A and B share an IKE SA; the harness seals fuzzed plaintext
 * payload chains with the real keys of that SA (as ike_msg_send would) and
 * hands them to the other engine, as requests or as answers to a request
 * the receiver has in flight.  This reaches IKE_AUTH (initiator and
 * responder), CREATE_CHILD_SA (Child rekey, IKE rekey, collisions) and
 * INFORMATIONAL (Delete, DPD) with payload sets no honest peer sends.
 *
 * World, built afresh and identically for every input (ike_world.h):
 *   A 203.0.113.2 (tunnel 1, initiates)  <->  B 203.0.113.3 (tunnel 2, answers)
 * PSK, one IKE and one ESP proposal, chosen by the first input byte:
 *   bit 0  aes-cbc-256 + hmac-sha256 (else aes-gcm-256 + prf sha256), group19
 *   bit 1  stop after IKE_SA_INIT: B's SA waits in state AUTH for IKE_AUTH,
 *          A's IKE_AUTH request was lost (A retransmits it if time runs)
 *   bit 2  PFS (group19) for Child rekeys
 *   bit 3  tunnel mode with 0.0.0.0/0 selectors (else transport, GRE/32)
 *   bit 4  fragments (RFC 7383) above 200 bytes on both ends
 *   bit 5  DPD every 20 s on A
 * Lifetimes are a few minutes, so time steps reach the rekey timers.
 *
 * Then up to 16 records, each an 8-byte header and a plaintext chain:
 *   [flags][exch][first][msgid][action][frag|step][len hi][len lo][len bytes]
 *   flags   bit 0     direction: 0 A -> B, 1 B -> A
 *           bit 1     Response flag
 *           bit 2     Initiator flag inverted (a lie about the sender's role)
 *           bit 3     the plaintext is items (ike_world.h: payloads without
 *                     their links, so whole payloads come and go under
 *                     mutation); else a raw payload chain
 *           bits 4-7  the sender's SA: index among its SAs with keys, oldest
 *                     first, modulo
 *   exch    0 IKE_AUTH, 1 CREATE_CHILD_SA, 2 INFORMATIONAL, 3 IKE_SA_INIT,
 *           anything else is the exchange type itself
 *   first   the SK payload's Next Payload: type of the first inner payload
 *           (raw chains; items name their own types)
 *   msgid   signed offset from the message ID the receiver's SA expects
 *           (msgid_in for a request, msgid_out for a response); 0 = expected
 *   action  done before sealing, on A or B, so that the receiver has a
 *           request of its own in flight (or the sender's state moves):
 *           bits 0-2  0 none, 1 Child rekey, 2 IKE rekey, 3 DPD, 4 Child SA
 *                     hard expiry (Delete), 5 IKE SA Delete, 6 clear (delete
 *                     and initiate again), 7 Child SA soft expiry
 *           bit 3     on B (else on A)
 *           bit 4     the action's own packets go out (else they are lost,
 *                     and the fuzzed message may stand in for the answer)
 *   frag    bits 4-7  0: one SK payload; n: SKF, split into n fragments
 *   step    bits 0-3  virtual time to run afterwards (fw_steps[]); what the
 *                     message provokes is delivered in any case
 * A record whose length runs past the input takes what is left; a
 * plaintext is cut at 4096 bytes.  Records whose sender has no SA with keys
 * are skipped (the action and the step still happen).
 *
 * FUZZ_IKE_STATS=1 prints both engines' counters after each input;
 * FUZZ_IKE_LOG=1 turns the engines' debug log on.  Built with
 * -DFUZZ_SEED_DUMP it is instead the seed generator:
 *   seed_ike_auth DIR   writes recorded exchanges as inputs into DIR. */
#include "fuzz/ike_world.h"

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "ike/priv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);

enum {
	AUTH_SEED = 0x5eed0002,
	AUTH_MAX_RECORDS = 16,
	AUTH_HDR = 8,
	AUTH_MAX_PLAIN = 4096,
	AUTH_MAX_SAS = 16,
	TUN_A = 1,
	TUN_B = 2,
};

enum auth_world_bits {
	W_CBC = 1,
	W_STOP_AT_AUTH = 2,
	W_PFS = 4,
	W_TUNNEL = 8,
	W_FRAG = 16,
	W_DPD = 32,
};

enum auth_action {
	ACT_NONE,
	ACT_REKEY_CHILD,
	ACT_REKEY_IKE,
	ACT_DPD,
	ACT_CHILD_HARD,
	ACT_DELETE_IKE,
	ACT_CLEAR,
	ACT_CHILD_SOFT,
};

struct auth_world {
	struct fw_net net;
	struct fw_side *a, *b;
	bool lose_all;	/* the tap drops everything (an action's packets) */
	bool lose_auth; /* the tap drops IKE_AUTH requests (stopping at AUTH) */
};

static uint32_t auth_tun(const struct auth_world *w, const struct fw_side *s)
{
	return s == w->a ? TUN_A : TUN_B;
}

static size_t auth_keyed_sas(struct ike_engine *eng, struct ike_sa **out)
{
	return fw_engine_sas(eng, true, out, AUTH_MAX_SAS);
}

/* The SA the engine would use for new work (engine.c's peer_live_sa). */
static struct ike_sa *auth_live_sa(struct ike_engine *eng)
{
	struct ike_sa *best = NULL;
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			if (ike_sa_usable(sa) &&
			    (!best || sa->established_seq > best->established_seq))
				best = sa;
	return best;
}

static bool auth_tap(struct fw_net *n, const struct fw_pkt *p);

static void auth_world_build(struct auth_world *w, uint8_t bits)
{
	fw_rand_reset(AUTH_SEED);
	fw_init(&w->net);
	w->net.tap = auth_tap;
	w->net.tap_ctx = w;
	w->lose_all = false;
	w->lose_auth = bits & W_STOP_AT_AUTH;
	w->a = fw_add_side(&w->net, 0xcb007102u, false);
	w->b = fw_add_side(&w->net, 0xcb007103u, false);
	struct ike_peer_cfg ca, cb;
	struct ike_peer_cfg *cfgs[2] = {&ca, &cb};
	for (int i = 0; i < 2; i++) {
		struct ike_peer_cfg *c = cfgs[i];
		struct fw_side *me = i ? w->b : w->a, *other = i ? w->a : w->b;
		if (bits & W_CBC)
			fw_cfg(c, me, other, i ? TUN_B : TUN_A, "aes-cbc-256", "sha256", NULL,
			       "group19");
		else
			fw_cfg(c, me, other, i ? TUN_B : TUN_A, "aes-gcm-256", NULL, "sha256",
			       "group19");
		if (bits & W_PFS)
			c->pfs = suite_by_name(SUITE_DH, "group19");
		if (bits & W_TUNNEL) {
			c->ts = IKE_TS_ANY;
			c->transport = false;
		}
		c->child_lifetime_s = 120;
		c->ike_lifetime_s = 400;
	}
	cb.passive = true;
	if (bits & W_DPD) {
		ca.dpd_interval_s = 20;
		ca.dpd_retry_s = 3;
	}
	fw_peer_add(w->b, &cb);
	if (bits & W_FRAG) {
		ike_set_fragment_size(w->a->eng, 200);
		ike_set_fragment_size(w->b->eng, 200);
	}
	fw_peer_add(w->a, &ca);
	fw_run(&w->net, 0);
	w->lose_auth = false;
	bool ok;
	if (bits & W_STOP_AT_AUTH) {
		struct ike_sa *sa = w->a->eng->peers->sas, *sb = w->b->eng->peers->sas;
		ok = sa && sb && sa->state == IKE_STATE_AUTH && sa->task == TASK_AUTH &&
		     sb->state == IKE_STATE_AUTH && sb->have_keys;
	} else {
		ok = auth_live_sa(w->a->eng) && auth_live_sa(w->b->eng) && w->a->n_pairs == 1 &&
		     w->b->n_pairs == 1;
	}
	if (!ok) {
		fprintf(stderr, "fuzz_ike_auth: world %#x did not come up: is the engine broken?\n",
			bits);
		abort();
	}
}

static void auth_act(struct auth_world *w, uint8_t a)
{
	struct fw_side *s = a & 8 ? w->b : w->a;
	struct ike_engine *eng = s->eng;
	uint32_t tun = auth_tun(w, s);
	struct ike_sa *sa = auth_live_sa(eng);
	w->lose_all = !(a & 16);
	switch ((enum auth_action)(a & 7)) {
	case ACT_NONE:
		break;
	case ACT_REKEY_CHILD:
		ike_rekey_child(eng, tun);
		break;
	case ACT_REKEY_IKE:
		ike_rekey_ike(eng, tun);
		break;
	case ACT_DPD:
		if (sa) {
			sa->pending_dpd = true;
			ike_sa_kick(sa);
			ike_gc(eng);
		}
		break;
	case ACT_CHILD_HARD:
	case ACT_CHILD_SOFT:
		for (struct ike_child *c = sa ? sa->children : NULL; c; c = c->next)
			if (c->state == CHILD_INSTALLED) {
				ike_child_expired(eng, tun, c->spi_in, (a & 7) == ACT_CHILD_HARD);
				break;
			}
		break;
	case ACT_DELETE_IKE:
		if (sa) {
			sa->pending_delete = true;
			ike_sa_kick(sa);
			ike_gc(eng);
		}
		break;
	case ACT_CLEAR:
		ike_clear(eng, tun);
		break;
	}
	w->lose_all = false;
}

/* Seals plain (as one SK payload, or as nfrag SKF fragments) with the
 * sender SA's outbound keys, the way ike_msg_send and its fragmenter do,
 * and hands each datagram to the receiving engine. */
static void auth_seal_and_deliver(struct ike_engine *to, const struct ike_sa *s,
				  const uint8_t hdr[28], uint8_t first, const uint8_t *plain,
				  size_t plen, unsigned nfrag)
{
	bool skf = nfrag > 0;
	size_t n = skf ? nfrag : 1;
	if (n > plen)
		n = plen ? plen : 1;
	size_t chunk = (plen + n - 1) / n, aad = IKEV2_HDR_LEN + (skf ? 8 : 4);
	if (chunk)
		n = (plen + chunk - 1) / chunk; /* rounding up may leave fewer pieces */
	const uint8_t *ke = s->initiator ? s->keys.sk_ei : s->keys.sk_er;
	const uint8_t *ka = s->initiator ? s->keys.sk_ai : s->keys.sk_ar;
	for (size_t i = 0; i < n; i++) {
		size_t off = i * chunk, len = plen - off < chunk ? plen - off : chunk;
		size_t total = aad + ike_sk_sealed_len(s->encr, s->integ, len), out;
		size_t cap = total + 64;
		uint8_t *buf = calloc(1, cap);
		if (!buf)
			return;
		memcpy(buf, hdr, IKEV2_HDR_LEN);
		buf[16] = skf ? IKEV2_PL_SKF : IKEV2_PL_SK;
		fw_put32(buf + 24, (uint32_t)total);
		buf[28] = i == 0 ? first : 0;
		fw_put16(buf + 30, total - IKEV2_HDR_LEN);
		if (skf) {
			fw_put16(buf + 32, i + 1);
			fw_put16(buf + 34, n);
		}
		if (len)
			memcpy(buf + aad + s->encr->iv_len, plain + off, len);
		if (ike_sk_seal(s->encr, s->integ, ke, ka, buf, cap, aad, len, &out) == 0) {
			/* an exact-size copy, so ASan sees any read past the datagram */
			uint8_t *msg = malloc(out);
			if (msg) {
				memcpy(msg, buf, out);
				ike_input(to, &s->remote, &s->local, msg, out);
				free(msg);
			}
		}
		OPENSSL_cleanse(buf, cap);
		free(buf);
	}
}

static void auth_record(struct auth_world *w, const uint8_t *h, const uint8_t *plain, size_t plen)
{
	auth_act(w, h[4]);
	struct fw_side *from = h[0] & 1 ? w->b : w->a, *to = h[0] & 1 ? w->a : w->b;
	struct ike_sa *sas[AUTH_MAX_SAS];
	size_t n = auth_keyed_sas(from->eng, sas);
	if (!n)
		return;
	struct ike_sa *s = sas[(h[0] >> 4) % n];
	bool response = h[0] & 2;
	/* The receiver's side of the same SA says which message ID it expects. */
	struct ike_sa *r =
	    ike_sa_lookup(to->eng, s->initiator ? s->spi_r : s->spi_i, !s->initiator);
	uint32_t want = r ? (response ? r->msgid_out : r->msgid_in)
			  : (response ? s->msgid_in - 1 : s->msgid_out);
	static const uint8_t exch_of[4] = {IKEV2_EXCH_IKE_AUTH, IKEV2_EXCH_CREATE_CHILD_SA,
					   IKEV2_EXCH_INFORMATIONAL, IKEV2_EXCH_IKE_SA_INIT};
	uint8_t hdr[IKEV2_HDR_LEN] = {0};
	memcpy(hdr, s->spi_i, 8);
	memcpy(hdr + 8, s->spi_r, 8);
	hdr[17] = IKEV2_VERSION;
	hdr[18] = h[1] < 4 ? exch_of[h[1]] : h[1];
	hdr[19] = (uint8_t)(((s->initiator ? IKEV2_FLAG_INITIATOR : 0) ^
			     (h[0] & 4 ? IKEV2_FLAG_INITIATOR : 0)) |
			    (response ? IKEV2_FLAG_RESPONSE : 0));
	fw_put32(hdr + 20, want + (uint32_t)(int32_t)(int8_t)h[3]);
	if (!(h[0] & 8)) {
		auth_seal_and_deliver(to->eng, s, hdr, h[2], plain, plen, h[5] >> 4);
		return;
	}
	uint8_t *chain = malloc(plen ? plen : 1), first;
	if (!chain)
		return;
	size_t clen = fw_items_to_chain(plain, plen, chain, plen, &first);
	auth_seal_and_deliver(to->eng, s, hdr, first, chain, clen, h[5] >> 4);
	free(chain);
}

static void auth_print_stats(const char *name, struct ike_engine *eng)
{
	struct json_object *o = ike_show_stats(eng);
	fprintf(stderr, "%s stats: %s\n", name, json_object_to_json_string(o));
	json_object_put(o);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fw_setup_process();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct auth_world w;
	auth_world_build(&w, data[0]);
	uint64_t start = w.net.now;
	size_t off = 1;
	for (int rec = 0; rec < AUTH_MAX_RECORDS && size - off >= AUTH_HDR; rec++) {
		const uint8_t *h = data + off;
		off += AUTH_HDR;
		size_t len = (size_t)h[6] << 8 | h[7];
		if (len > size - off)
			len = size - off;
		auth_record(&w, h, data + off, len < AUTH_MAX_PLAIN ? len : AUTH_MAX_PLAIN);
		off += len;
		fw_run(&w.net, fw_step_ms(&w.net, start, h[5]));
	}
	if (getenv("FUZZ_IKE_STATS")) {
		auth_print_stats("A", w.a->eng);
		auth_print_stats("B", w.b->eng);
	}
	fw_fini(&w.net);
	return 0;
}

#ifndef FUZZ_SEED_DUMP
static bool auth_tap(struct fw_net *n, const struct fw_pkt *p)
{
	const struct auth_world *w = n->tap_ctx;
	if (w->lose_all)
		return false;
	return !(w->lose_auth && p->len > 19 && p->data[18] == IKEV2_EXCH_IKE_AUTH &&
		 !(p->data[19] & IKEV2_FLAG_RESPONSE));
}

/* The items of records in items mode, for fw_mutate_items. */
static size_t auth_spans(const uint8_t *data, size_t size, struct fw_span *out)
{
	size_t off = 1, n = 0;
	for (int rec = 0; rec < AUTH_MAX_RECORDS && size >= off && size - off >= AUTH_HDR; rec++) {
		const uint8_t *h = data + off;
		size_t len = (size_t)h[6] << 8 | h[7];
		if (len > size - off - AUTH_HDR)
			len = size - off - AUTH_HDR;
		if (h[0] & 8 && n < FW_MAX_SPANS)
			out[n++] = (struct fw_span){off + 6, off + AUTH_HDR,
						    len < AUTH_MAX_PLAIN ? len : AUTH_MAX_PLAIN};
		off += AUTH_HDR + len;
	}
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	if (seed % 3 == 0) {
		struct fw_span spans[FW_MAX_SPANS];
		size_t n = auth_spans(data, size, spans);
		size_t r = fw_mutate_items(data, size, max, seed / 3, spans, n);
		if (r)
			return r;
	}
	return LLVMFuzzerMutate(data, size, max);
}
#else
/* ---- seed generator: the plaintext of real exchanges, as records ---- */
enum { CAP_MAX = 32 };

/* One message an engine sent, opened with the sender's keys. */
struct auth_captured {
	bool from_b, response;
	uint8_t exch, first, sa_index, nfrag;
	uint8_t plain[AUTH_MAX_PLAIN];
	size_t len;
};

static struct {
	bool on;
	int n;
	struct auth_captured c[CAP_MAX];
	struct auth_captured partial; /* SKF fragments being joined */
	uint16_t have;
} auth_cap;

/* The sender's SA by its SPIs, dead or not: a Delete's answer is sealed
 * after its SA was marked dead. */
static struct ike_sa *auth_sa_by_spis(struct ike_engine *eng, const uint8_t *spi_i,
				      const uint8_t *spi_r)
{
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			if (memcmp(sa->spi_i, spi_i, 8) == 0 && memcmp(sa->spi_r, spi_r, 8) == 0)
				return sa;
	return NULL;
}

static uint8_t auth_index_of(struct ike_engine *eng, const struct ike_sa *s)
{
	struct ike_sa *sas[AUTH_MAX_SAS];
	size_t n = auth_keyed_sas(eng, sas);
	for (size_t i = 0; i < n; i++)
		if (sas[i] == s)
			return (uint8_t)i;
	return 0;
}

static void auth_capture(struct auth_world *w, const struct fw_pkt *p)
{
	struct ike_msg m;
	bool from_b = p->from.sin_addr.s_addr == w->b->addr.sin_addr.s_addr;
	struct ike_engine *eng = from_b ? w->b->eng : w->a->eng;
	if (!auth_cap.on || auth_cap.n == CAP_MAX ||
	    ike_msg_decode(p->data, p->len, &m, NULL) < 0 || m.sk < 0)
		return;
	struct ike_sa *s = auth_sa_by_spis(eng, m.hdr.spi_i, m.hdr.spi_r);
	if (!s || !s->have_keys)
		return;
	uint8_t *buf = malloc(p->len);
	if (!buf)
		return;
	memcpy(buf, p->data, p->len);
	bool skf = m.pl[m.sk].type == IKEV2_PL_SKF;
	size_t aad = m.pl[m.sk].off + IKEV2_GEN_HDR_LEN + (skf ? 4 : 0), off, len;
	const uint8_t *ke = s->initiator ? s->keys.sk_ei : s->keys.sk_er;
	const uint8_t *ka = s->initiator ? s->keys.sk_ai : s->keys.sk_ar;
	struct ike_skf_pl f = {1, 1};
	if ((!skf || ike_skf_pl_decode(m.pl[m.sk].body, m.pl[m.sk].len, &f) == 0) &&
	    ike_sk_open(s->encr, s->integ, ke, ka, buf, p->len, aad, &off, &len) == 0) {
		struct auth_captured *c = &auth_cap.partial;
		if (f.num == 1) {
			memset(c, 0, sizeof(*c));
			auth_cap.have = 0;
			c->from_b = from_b;
			c->response = m.hdr.flags & IKEV2_FLAG_RESPONSE;
			c->exch = m.hdr.exch;
			c->first = m.sk_first;
			c->sa_index = auth_index_of(eng, s);
			c->nfrag = skf ? (uint8_t)f.total : 0;
		}
		if (c->len + len <= sizeof(c->plain)) {
			memcpy(c->plain + c->len, buf + off, len);
			c->len += len;
		}
		/* fragments arrive in order here: the sender emits them so */
		if (++auth_cap.have == f.total)
			auth_cap.c[auth_cap.n++] = *c;
	}
	free(buf);
}

static bool auth_tap(struct fw_net *n, const struct fw_pkt *p)
{
	struct auth_world *w = n->tap_ctx;
	auth_capture(w, p);
	if (w->lose_all)
		return false;
	return !(w->lose_auth && p->len > 19 && p->data[18] == IKEV2_EXCH_IKE_AUTH &&
		 !(p->data[19] & IKEV2_FLAG_RESPONSE));
}

struct auth_seed {
	uint8_t buf[16384];
	size_t len;
};

static void auth_seed_start(struct auth_seed *s, uint8_t bits)
{
	s->buf[0] = bits;
	s->len = 1;
}

/* An error notify put in a request, which proves nothing about the
 * payloads the request still needs (the class of the bug that made the
 * payload rules bind every request). */
static const uint8_t auth_stray_error[] = {IKEV2_PL_NOTIFY,	     0, 0, 4, 0, 0, 0,
					   IKEV2_N_TEMPORARY_FAILURE};
static bool auth_add_stray_error;

/* A record for a captured message; its chain as items, or raw. */
static void auth_seed_add(struct auth_seed *s, const struct auth_captured *c, uint8_t action,
			  uint8_t step, bool raw)
{
	uint8_t items[AUTH_MAX_PLAIN + sizeof(auth_stray_error)];
	size_t len =
	    raw ? c->len : fw_chain_to_items(c->first, c->plain, c->len, items, AUTH_MAX_PLAIN);
	if (!raw && auth_add_stray_error) {
		memcpy(items + len, auth_stray_error, sizeof(auth_stray_error));
		len += sizeof(auth_stray_error);
	}
	if (s->len + AUTH_HDR + len > sizeof(s->buf))
		return;
	uint8_t *h = s->buf + s->len;
	h[0] = (uint8_t)((c->from_b ? 1 : 0) | (c->response ? 2 : 0) | (raw ? 0 : 8) |
			 c->sa_index << 4);
	h[1] = c->exch == IKEV2_EXCH_IKE_AUTH	       ? 0
	       : c->exch == IKEV2_EXCH_CREATE_CHILD_SA ? 1
	       : c->exch == IKEV2_EXCH_INFORMATIONAL   ? 2
						       : c->exch;
	h[2] = c->first;
	h[3] = 0;
	h[4] = action;
	h[5] = (uint8_t)(c->nfrag << 4 | (step & 15));
	h[6] = (uint8_t)(len >> 8);
	h[7] = (uint8_t)len;
	if (len)
		memcpy(h + AUTH_HDR, raw ? c->plain : items, len);
	s->len += AUTH_HDR + len;
}

static int auth_seed_write(const char *dir, const char *name, const struct auth_seed *s,
			   int records)
{
	if (records == 0) {
		fprintf(stderr, "seed %s: nothing recorded\n", name);
		return -1;
	}
	return fw_write_file(dir, name, s->buf, s->len);
}

/* The world stopped at AUTH: A's IKE_AUTH request (for B to process) and
 * B's answer to it (for A, whose request is still in flight). */
static int auth_seeds_ike_auth(const char *dir, const char *tag, uint8_t bits, bool raw)
{
	struct auth_world w;
	struct auth_seed s;
	char name[64];
	int err = 0;
	bits |= W_STOP_AT_AUTH;
	auth_cap.on = true;
	auth_cap.n = 0;
	auth_world_build(&w, bits);
	/* The lost request, captured by the tap; now let it reach B. */
	int req = -1;
	for (int i = 0; i < auth_cap.n; i++)
		if (auth_cap.c[i].exch == IKEV2_EXCH_IKE_AUTH && !auth_cap.c[i].response)
			req = i;
	if (req >= 0) {
		auth_seed_start(&s, bits);
		auth_seed_add(&s, &auth_cap.c[req], 0, 0, raw);
		snprintf(name, sizeof(name), "%s-auth-request%s", tag, raw ? "-raw" : "");
		err |= auth_seed_write(dir, name, &s, 1);
		auth_cap.n = 0;
		fw_run(&w.net, 1000); /* A retransmits; B answers */
		for (int i = 0; i < auth_cap.n; i++)
			if (auth_cap.c[i].exch == IKEV2_EXCH_IKE_AUTH && auth_cap.c[i].response) {
				auth_seed_start(&s, bits);
				auth_seed_add(&s, &auth_cap.c[i], 0, 0, raw);
				snprintf(name, sizeof(name), "%s-auth-response%s", tag,
					 raw ? "-raw" : "");
				err |= auth_seed_write(dir, name, &s, 1);
				break;
			}
	} else {
		err = -1;
	}
	auth_cap.on = false;
	fw_fini(&w.net);
	return err;
}

/* An exchange started by an action in the established world, recorded
 * twice: the requests the actor sent (for the other side to process, no
 * action in the replay), and the other side's first answer (replayed with
 * the action, its packets lost, so the answer meets the request in flight). */
static int auth_seeds_exchange(const char *dir, const char *tag, uint8_t bits, uint8_t action,
			       bool raw)
{
	struct auth_world w;
	struct auth_seed req, resp;
	char name[64];
	int n_req = 0, n_resp = 0;
	bool actor_b = action & 8;
	auth_world_build(&w, bits);
	auth_cap.on = true;
	auth_cap.n = 0;
	auth_act(&w, (uint8_t)(action | 16));
	fw_run(&w.net, 0);
	auth_cap.on = false;
	auth_seed_start(&req, bits);
	auth_seed_start(&resp, bits);
	for (int i = 0; i < auth_cap.n; i++) {
		const struct auth_captured *c = &auth_cap.c[i];
		if (c->from_b == actor_b && !c->response) {
			auth_seed_add(&req, c, 0, 0, raw);
			n_req++;
		} else if (c->from_b != actor_b && c->response && !n_resp) {
			auth_seed_add(&resp, c, action, 0, raw);
			n_resp++;
		}
	}
	fw_fini(&w.net);
	snprintf(name, sizeof(name), "%s-requests%s", tag, raw ? "-raw" : "");
	int err = auth_seed_write(dir, name, &req, n_req);
	snprintf(name, sizeof(name), "%s-response%s", tag, raw ? "-raw" : "");
	return err | auth_seed_write(dir, name, &resp, n_resp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int err = 0;
	fw_setup_process();
	/* Items for all (they mutate into other payload sets), raw chains for
	 * a few (they mutate into malformed chains). */
	for (int raw = 0; raw < 2; raw++) {
		err |= auth_seeds_ike_auth(dir, "gcm", 0, raw);
		err |= auth_seeds_exchange(dir, "gcm-child-rekey", 0, ACT_REKEY_CHILD, raw);
		err |= auth_seeds_exchange(dir, "gcm-ike-rekey", 0, ACT_REKEY_IKE, raw);
		err |= auth_seeds_exchange(dir, "cbc-pfs-frag-child-rekey-by-b",
					   W_CBC | W_PFS | W_FRAG, ACT_REKEY_CHILD | 8, raw);
	}
	err |= auth_seeds_ike_auth(dir, "cbc-tunnel", W_CBC | W_TUNNEL, false);
	err |= auth_seeds_ike_auth(dir, "gcm-frag", W_FRAG, false);
	err |= auth_seeds_exchange(dir, "gcm-pfs-child-rekey", W_PFS, ACT_REKEY_CHILD, false);
	err |= auth_seeds_exchange(dir, "cbc-ike-rekey-by-b", W_CBC, ACT_REKEY_IKE | 8, false);
	err |= auth_seeds_exchange(dir, "gcm-dpd", W_DPD, ACT_DPD, false);
	err |= auth_seeds_exchange(dir, "gcm-child-delete", 0, ACT_CHILD_HARD, false);
	err |= auth_seeds_exchange(dir, "cbc-tunnel-child-delete-by-b", W_CBC | W_TUNNEL,
				   ACT_CHILD_HARD | 8, false);
	err |= auth_seeds_exchange(dir, "gcm-ike-delete", 0, ACT_DELETE_IKE, false);
	err |= auth_seeds_exchange(dir, "gcm-clear-by-b", 0, ACT_CLEAR | 8, false);
	err |= auth_seeds_exchange(dir, "gcm-child-soft-expiry", W_PFS | W_TUNNEL, ACT_CHILD_SOFT,
				   false);
	auth_add_stray_error = true;
	err |= auth_seeds_exchange(dir, "gcm-stray-error-child-rekey", 0, ACT_REKEY_CHILD, false);
	auth_add_stray_error = false;
	return err ? 1 : 0;
}
#endif
