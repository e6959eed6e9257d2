/* fuzz_ike_state.c: the whole IKE input path (ike_input) of a live engine,
 * fed unauthenticated messages: IKE_SA_INIT requests and responses, SPI
 * lookup, message-ID window, SKF reassembly, SK opening, and whatever a
 * message can reach without keys; with the engines' timers running between
 * messages so retransmits, DPD, half-open and lifetime timeouts run too.
 *
 * World, built afresh and identically for every input (ike_world.h):
 *   E 203.0.113.2  the engine under test, with three tunnels:
 *     1 -> B 203.0.113.3  E initiated it; IKE SA and Child SA established
 *                         (aes-gcm-256, sha256, group19, DPD 20 s)
 *     2 -> C 203.0.113.4  C initiated it, E is responder; established
 *                         (aes-cbc-256 + sha256, group31, PFS, tunnel mode)
 *     3 -> D 203.0.113.5  E initiated it; D never answers, so E's
 *                         IKE_SA_INIT request stays in flight
 *   B and C are live engines and answer whatever E sends them; D is only
 *   an address.  A stranger sends from 198.51.100.5-7.  E demands a
 *   COOKIE as soon as one responder SA is half-open.  The SPIs and message IDs a record
 *   asks for are read from E's SAs (ike/priv.h) when the record is sent,
 *   so they stay right after rekeys, timeouts and re-initiation.
 *
 * Input: up to 24 records, each a 5-byte header and an IKE message as it
 * follows the UDP header (the non-ESP marker of port 4500 already gone):
 *   [ctl][sel][step][len hi][len lo][len bytes]
 *   ctl  bits 0-2  source address: 0 the chosen SA's peer, 1 B, 2 C, 3 D,
 *                  4 E itself, 5-7 a stranger
 *        bit 3     arrives on E's port 4500 (else 500), from the same port
 *        bit 4     from a NAT-rewritten port (40000 + sel) instead
 *        bits 5-6  SPIs from the chosen SA written into the header: 0 none,
 *                  1 SPIi only (an IKE_SA_INIT response to the pending
 *                  request names our SPIi and its own SPIr), 2 both, 3 SPIr
 *        bit 7     the message is a 28-byte header and items (ike_world.h:
 *                  payloads without their links, so whole payloads come and
 *                  go under mutation); the harness links them and writes
 *                  the header's Next Payload and Length
 *   sel  bits 0-3  the chosen SA: index among E's SAs not dead, modulo
 *        bits 4-5  message ID written into the header: 0 none, 1 the one
 *                  the chosen SA expects (msgid_in for a request, msgid_out
 *                  for a response), 2 one less (a retransmitted request),
 *                  3 one more
 *   step bits 0-3  virtual time to run afterwards (fw_steps[], at most
 *                  20 minutes per input); the conversation the message
 *                  starts is finished in any case
 * A record whose length runs past the input takes what is left.
 *
 * FUZZ_IKE_STATS=1 prints E's counters after each input (to see what a seed
 * reaches); FUZZ_IKE_LOG=1 turns the engines' debug log on.
 * Built with -DFUZZ_SEED_DUMP it is instead the seed generator:
 *   seed_ike_state DIR   writes recorded exchanges as inputs into DIR. */
#include "fuzz/ike_world.h"

#include <json-c/json.h>

#include "ike/priv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);

enum {
	STATE_SEED = 0x5eed0001,
	STATE_MAX_RECORDS = 24,
	STATE_HDR = 5,
	STATE_MAX_SAS = 16,
	TUN_B = 1, /* E's tunnel ids */
	TUN_C = 2,
	TUN_D = 3,
};

struct state_world {
	struct fw_net net;
	struct fw_side *e, *b, *c, *d;
};

static struct ike_peer *state_peer(struct ike_engine *eng, uint32_t tunnel_id)
{
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		if (p->cfg.tunnel_id == tunnel_id)
			return p;
	return NULL;
}

static struct ike_sa *state_usable_sa(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = state_peer(eng, tunnel_id);
	for (struct ike_sa *sa = p ? p->sas : NULL; sa; sa = sa->peer_next)
		if (ike_sa_usable(sa))
			return sa;
	return NULL;
}

static struct ike_sa *state_pending_init(struct ike_engine *eng)
{
	struct ike_peer *p = state_peer(eng, TUN_D);
	for (struct ike_sa *sa = p ? p->sas : NULL; sa; sa = sa->peer_next)
		if (sa->task == TASK_INIT)
			return sa;
	return NULL;
}

/* E's SAs that can still take a message, oldest first. */
static size_t state_sas(struct ike_engine *eng, struct ike_sa **out)
{
	return fw_engine_sas(eng, false, out, STATE_MAX_SAS);
}

/* tap: sees the packets of the setup too (the seed generator records them). */
static void state_world_build(struct state_world *w,
			      bool (*tap)(struct fw_net *, const struct fw_pkt *))
{
	fw_rand_reset(STATE_SEED);
	fw_init(&w->net);
	w->net.tap = tap;
	w->e = fw_add_side(&w->net, 0xcb007102u, false);
	w->b = fw_add_side(&w->net, 0xcb007103u, false);
	w->c = fw_add_side(&w->net, 0xcb007104u, false);
	w->d = fw_add_side(&w->net, 0xcb007105u, true);
	struct ike_peer_cfg c;

	/* E <-> B: E initiates, B answers; short lifetimes so fuzzed time
	 * reaches rekeys, and small fragments so IKE_AUTH travels as SKF. */
	fw_cfg(&c, w->b, w->e, 11, "aes-gcm-256", NULL, "sha256", "group19");
	c.passive = true;
	c.child_lifetime_s = 120;
	c.ike_lifetime_s = 400;
	fw_peer_add(w->b, &c);
	fw_cfg(&c, w->e, w->b, TUN_B, "aes-gcm-256", NULL, "sha256", "group19");
	c.child_lifetime_s = 120;
	c.ike_lifetime_s = 400;
	c.dpd_interval_s = 20;
	c.dpd_retry_s = 3;
	fw_peer_add(w->e, &c);
	ike_set_fragment_size(w->e->eng, 200);
	ike_set_fragment_size(w->b->eng, 200);

	/* E <-> C: C initiates, E is the responder. */
	fw_cfg(&c, w->e, w->c, TUN_C, "aes-cbc-256", "sha256", NULL, "group31");
	c.passive = true;
	c.pfs = suite_by_name(SUITE_DH, "group31");
	c.ts = IKE_TS_ANY;
	c.transport = false;
	c.child_lifetime_s = 90;
	c.dpd_interval_s = 15;
	c.dpd_on_demand = true;
	fw_peer_add(w->e, &c);

	/* E -> D: two proposals, the first one what B chooses (so B's
	 * IKE_SA_INIT response, patched, is an acceptable answer for D), forced
	 * encapsulation; never answered. */
	fw_cfg(&c, w->e, w->d, TUN_D, "aes-gcm-256", NULL, "sha256", "group19");
	c.ike[0].prf[1] = suite_by_name(SUITE_PRF, "sha384");
	c.ike[0].n_prf = 2;
	c.ike[0].dh[1] = suite_by_name(SUITE_DH, "group20");
	c.ike[0].n_dh = 2;
	c.ike[1] = c.ike[0];
	c.ike[1].encr[0] = suite_by_name(SUITE_ENCR, "chacha20-poly1305");
	c.ike[1].encr[1] = suite_by_name(SUITE_ENCR, "aes-cbc-128");
	c.ike[1].n_encr = 2;
	c.ike[1].integ[0] = suite_by_name(SUITE_INTEG, "sha1");
	c.ike[1].n_integ = 1;
	c.ike[1].prf[0] = suite_by_name(SUITE_PRF, "sha512");
	c.ike[1].n_prf = 1;
	c.ike[1].dh[0] = suite_by_name(SUITE_DH, "group31");
	c.ike[1].n_dh = 1;
	c.n_ike = 2;
	c.esp[1].encr = suite_by_name(SUITE_ENCR, "aes-cbc-128");
	c.esp[1].integ = suite_by_name(SUITE_INTEG, "sha1");
	c.n_esp = 2;
	c.force_encap = true;
	fw_peer_add(w->e, &c);

	fw_cfg(&c, w->c, w->e, 12, "aes-cbc-256", "sha256", NULL, "group31");
	c.pfs = suite_by_name(SUITE_DH, "group31");
	c.ts = IKE_TS_ANY;
	c.transport = false;
	c.child_lifetime_s = 90;
	fw_peer_add(w->c, &c);

	fw_run(&w->net, 0);
	ike_set_cookie_threshold(w->e->eng, 1);
	if (!state_usable_sa(w->e->eng, TUN_B) || !state_usable_sa(w->e->eng, TUN_C) ||
	    !state_pending_init(w->e->eng) || w->e->n_pairs != 2) {
		fprintf(stderr,
			"fuzz_ike_state: the world did not come up (B %d, C %d, D %d, "
			"pairs %d): is the engine broken?\n",
			!!state_usable_sa(w->e->eng, TUN_B), !!state_usable_sa(w->e->eng, TUN_C),
			!!state_pending_init(w->e->eng), w->e->n_pairs);
		abort();
	}
}

static void state_deliver(struct state_world *w, const uint8_t *h, const uint8_t *msg, size_t len)
{
	struct ike_sa *sas[STATE_MAX_SAS];
	size_t n = state_sas(w->e->eng, sas);
	struct ike_sa *sa = n ? sas[(h[1] & 15) % n] : NULL;
	uint8_t *tmp = NULL;
	if (h[0] & 0x80 && len >= IKEV2_HDR_LEN) {
		tmp = malloc(len);
		if (!tmp)
			return;
		memcpy(tmp, msg, IKEV2_HDR_LEN);
		len = IKEV2_HDR_LEN + fw_items_to_chain(msg + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN,
							tmp + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN,
							&tmp[16]);
		fw_put32(tmp + 24, (uint32_t)len);
		msg = tmp;
	}
	/* An exact-size copy, so ASan sees any read past the datagram. */
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		free(tmp);
		return;
	}
	memcpy(buf, msg, len);
	free(tmp);
	if (sa && len >= IKEV2_HDR_LEN) {
		unsigned spis = h[0] >> 5 & 3, mid = h[1] >> 4 & 3;
		if (spis == 1 || spis == 2)
			memcpy(buf, sa->spi_i, 8);
		if (spis == 2 || spis == 3)
			memcpy(buf + 8, sa->spi_r, 8);
		if (mid) {
			uint32_t want =
			    buf[19] & IKEV2_FLAG_RESPONSE ? sa->msgid_out : sa->msgid_in;
			fw_put32(buf + 20, mid == 1 ? want : mid == 2 ? want - 1 : want + 1);
		}
	}
	struct sockaddr_in local = w->e->addr, remote;
	local.sin_port = htons(h[0] & 8 ? 4500 : 500);
	switch (h[0] & 7) {
	case 0:
		remote = sa ? sa->remote : w->b->addr;
		break;
	case 1:
		remote = w->b->addr;
		break;
	case 2:
		remote = w->c->addr;
		break;
	case 3:
		remote = w->d->addr;
		break;
	case 4:
		remote = w->e->addr;
		break;
	default:
		remote = w->e->addr;
		remote.sin_addr.s_addr = htonl(0xc6336400u + (h[0] & 7)); /* 198.51.100.x */
		break;
	}
	remote.sin_port = h[0] & 0x10 ? htons((uint16_t)(40000 + h[1])) : local.sin_port;
	ike_input(w->e->eng, &local, &remote, buf, len);
	free(buf);
}

static void state_print_stats(struct ike_engine *eng)
{
	struct json_object *o = ike_show_stats(eng);
	fprintf(stderr, "E stats: %s\n", json_object_to_json_string(o));
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
	struct state_world w;
	state_world_build(&w, NULL);
	uint64_t start = w.net.now;
	size_t off = 0;
	for (int rec = 0; rec < STATE_MAX_RECORDS && size - off >= STATE_HDR; rec++) {
		const uint8_t *h = data + off;
		off += STATE_HDR;
		size_t len = (size_t)h[3] << 8 | h[4];
		if (len > size - off)
			len = size - off;
		state_deliver(&w, h, data + off, len);
		off += len;
		fw_run(&w.net, fw_step_ms(&w.net, start, h[2]));
	}
	if (getenv("FUZZ_IKE_STATS"))
		state_print_stats(w.e->eng);
	fw_fini(&w.net);
	return 0;
}

#ifndef FUZZ_SEED_DUMP
/* The items of records in items mode, for fw_mutate_items. */
static size_t state_spans(const uint8_t *data, size_t size, struct fw_span *out)
{
	size_t off = 0, n = 0;
	for (int rec = 0; rec < STATE_MAX_RECORDS && size - off >= STATE_HDR; rec++) {
		const uint8_t *h = data + off;
		size_t len = (size_t)h[3] << 8 | h[4];
		if (len > size - off - STATE_HDR)
			len = size - off - STATE_HDR;
		if (h[0] & 0x80 && len >= IKEV2_HDR_LEN && n < FW_MAX_SPANS)
			out[n++] = (struct fw_span){off + 3, off + STATE_HDR + IKEV2_HDR_LEN,
						    len - IKEV2_HDR_LEN};
		off += STATE_HDR + len;
	}
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	if (seed % 3 == 0) {
		struct fw_span spans[FW_MAX_SPANS];
		size_t n = state_spans(data, size, spans);
		size_t r = fw_mutate_items(data, size, max, seed / 3, spans, n);
		if (r)
			return r;
	}
	return LLVMFuzzerMutate(data, size, max);
}
#else
/* ---- seed generator: real exchanges, recorded as inputs ---- */
enum { REC_MAX = 64 };

/* Every packet any engine sends while state_recording, in order. */
struct state_recording {
	int n;
	struct fw_pkt *pkt[REC_MAX];
};

static struct state_recording state_rec;

static bool state_record_tap(struct fw_net *n, const struct fw_pkt *p)
{
	(void)n;
	struct fw_pkt *c = state_rec.n < REC_MAX ? malloc(sizeof(*c) + p->len) : NULL;
	if (c) {
		memcpy(c, p, sizeof(*c) + p->len);
		state_rec.pkt[state_rec.n++] = c;
	}
	return true;
}

static void state_rec_clear(void)
{
	for (int i = 0; i < state_rec.n; i++)
		free(state_rec.pkt[i]);
	state_rec.n = 0;
}

/* The k-th recorded packet from one side to another, or NULL. */
static const struct fw_pkt *state_rec_find(const struct fw_side *from, const struct fw_side *to,
					   int k)
{
	for (int i = 0; i < state_rec.n; i++)
		if (state_rec.pkt[i]->from.sin_addr.s_addr == from->addr.sin_addr.s_addr &&
		    state_rec.pkt[i]->to.sin_addr.s_addr == to->addr.sin_addr.s_addr && k-- == 0)
			return state_rec.pkt[i];
	return NULL;
}

struct state_seed {
	uint8_t buf[16384];
	size_t len;
};

static void state_seed_add(struct state_seed *s, uint8_t ctl, uint8_t sel, uint8_t step,
			   const uint8_t *msg, size_t len)
{
	if (s->len + STATE_HDR + len > sizeof(s->buf))
		return;
	uint8_t *h = s->buf + s->len;
	h[0] = ctl;
	h[1] = sel;
	h[2] = step;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
	if (len)
		memcpy(h + STATE_HDR, msg, len);
	s->len += STATE_HDR + len;
}

/* The same as an items record (a message in the clear: IKE_SA_INIT),
 * with one more item at the end if extra is not NULL. */
static void state_seed_add_items(struct state_seed *s, uint8_t ctl, uint8_t sel, uint8_t step,
				 const uint8_t *msg, size_t len, const uint8_t *extra,
				 size_t extra_len)
{
	uint8_t m[8192];
	if (len < IKEV2_HDR_LEN || len + extra_len > sizeof(m))
		return;
	memcpy(m, msg, IKEV2_HDR_LEN);
	size_t n = fw_chain_to_items(msg[16], msg + IKEV2_HDR_LEN, len - IKEV2_HDR_LEN,
				     m + IKEV2_HDR_LEN, sizeof(m) - IKEV2_HDR_LEN - extra_len);
	if (extra)
		memcpy(m + IKEV2_HDR_LEN + n, extra, extra_len);
	state_seed_add(s, ctl | 0x80, sel, step, m, IKEV2_HDR_LEN + n + (extra ? extra_len : 0));
}

/* The ctl source code of a recorded sender, and the port bit. */
static uint8_t state_ctl_of(const struct state_world *w, const struct fw_pkt *p)
{
	uint32_t a = p->from.sin_addr.s_addr;
	uint8_t src = a == w->b->addr.sin_addr.s_addr	? 1
		      : a == w->c->addr.sin_addr.s_addr ? 2
		      : a == w->d->addr.sin_addr.s_addr ? 3
		      : a == w->e->addr.sin_addr.s_addr ? 4
							: 5;
	return (uint8_t)(src | (p->to.sin_port == htons(4500) ? 8 : 0));
}

static uint8_t state_sa_index(struct state_world *w, const struct ike_sa *want)
{
	struct ike_sa *sas[STATE_MAX_SAS];
	size_t n = state_sas(w->e->eng, sas);
	for (size_t i = 0; i < n; i++)
		if (sas[i] == want)
			return (uint8_t)i;
	return 0;
}

static int state_seed_write(const char *dir, const char *name, const struct state_seed *s)
{
	return s->len ? fw_write_file(dir, name, s->buf, s->len) : -1;
}

/* One record per message E received, as sent (no patching). */
static void state_seed_to_e(struct state_seed *s, const struct state_world *w, uint8_t extra_ctl)
{
	for (int i = 0; i < state_rec.n; i++)
		if (state_rec.pkt[i]->to.sin_addr.s_addr == w->e->addr.sin_addr.s_addr)
			state_seed_add(s, state_ctl_of(w, state_rec.pkt[i]) | extra_ctl, 0, 0,
				       state_rec.pkt[i]->data, state_rec.pkt[i]->len);
}

enum state_action { ACT_REKEY_CHILD, ACT_REKEY_IKE, ACT_DPD, ACT_DELETE, ACT_CLEAR };

/* An exchange B or C starts once the world is up, recorded as E receives
 * it.  Unpatched, each message authenticates in the replay, whose world is
 * this one again: the harness reaches E's handlers through such seeds as
 * long as the fuzzer leaves the sealed bytes alone. */
static int state_seed_action(const char *dir, const char *name, bool from_c, enum state_action what,
			     uint8_t extra_ctl)
{
	struct state_world w;
	struct state_seed s = {.len = 0};
	state_world_build(&w, NULL);
	state_rec_clear();
	w.net.tap = state_record_tap;
	struct fw_side *side = from_c ? w.c : w.b;
	uint32_t tun = from_c ? 12 : 11;
	switch (what) {
	case ACT_REKEY_CHILD:
		ike_rekey_child(side->eng, tun);
		break;
	case ACT_REKEY_IKE:
		ike_rekey_ike(side->eng, tun);
		break;
	case ACT_DPD: {
		struct ike_sa *sa = state_usable_sa(side->eng, tun);
		sa->pending_dpd = true;
		ike_sa_kick(sa);
		break;
	}
	case ACT_DELETE:
		ike_peer_del(side->eng, tun);
		break;
	case ACT_CLEAR:
		ike_clear(side->eng, tun);
		break;
	}
	fw_run(&w.net, 0);
	state_seed_to_e(&s, &w, extra_ctl);
	state_rec_clear();
	fw_fini(&w.net);
	return state_seed_write(dir, name, &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int err = 0;
	char name[64];
	fw_setup_process();

	/* The world coming up: what E received, and what E sent B and D. */
	struct state_world w;
	struct state_seed s;
	state_rec_clear();
	state_world_build(&w, state_record_tap);
	int k = 0;
	for (int i = 0; i < state_rec.n; i++) {
		const struct fw_pkt *p = state_rec.pkt[i];
		if (p->to.sin_addr.s_addr != w.e->addr.sin_addr.s_addr)
			continue;
		s.len = 0;
		state_seed_add(&s, state_ctl_of(&w, p), 0, 0, p->data, p->len);
		snprintf(name, sizeof(name), "setup-to-e-%02d", k++);
		err |= state_seed_write(dir, name, &s);
	}
	const struct fw_pkt *init_resp = state_rec_find(w.b, w.e, 0),
			    *init_b = state_rec_find(w.e, w.b, 0),
			    *init_d = state_rec_find(w.e, w.d, 0),
			    *init_c = state_rec_find(w.c, w.e, 0);
	uint8_t pend = state_sa_index(&w, state_pending_init(w.e->eng));
	if (!init_resp || !init_b || !init_d || !init_c) {
		fprintf(stderr, "seed: the setup did not send what was expected\n");
		return 1;
	}
	/* B's IKE_SA_INIT response turned into an answer to the request in
	 * flight to D (SPIi and message ID patched), then retransmit time. */
	s.len = 0;
	state_seed_add(&s, 0 | 1 << 5, (uint8_t)(pend | 1 << 4), 0, init_resp->data,
		       init_resp->len);
	state_seed_add(&s, 0, 0, 4, NULL, 0);
	err |= state_seed_write(dir, "init-resp-to-pending", &s);
	s.len = 0;
	state_seed_add_items(&s, 0 | 1 << 5, (uint8_t)(pend | 1 << 4), 0, init_resp->data,
			     init_resp->len, NULL, 0);
	err |= state_seed_write(dir, "init-resp-to-pending-items", &s);
	/* Refusals of the pending request: a COOKIE demand, INVALID_KE for
	 * group 20 (which D's tunnel offers), NO_PROPOSAL_CHOSEN; each from D
	 * with our SPIi, then retransmit time. */
	static const uint8_t cookie[] = {IKEV2_PL_NOTIFY,
					 0,
					 0,
					 20,
					 0,
					 0,
					 0x40,
					 0x06,
					 1,
					 2,
					 3,
					 4,
					 5,
					 6,
					 7,
					 8,
					 9,
					 10,
					 11,
					 12,
					 13,
					 14,
					 15,
					 16};
	static const uint8_t invalid_ke[] = {IKEV2_PL_NOTIFY, 0, 0, 6, 0, 0, 0, 17, 0, 20};
	static const uint8_t no_prop[] = {IKEV2_PL_NOTIFY, 0, 0, 4, 0, 0, 0, 14};
	static const struct {
		const char *name;
		const uint8_t *item;
		size_t len;
	} refusals[] = {
	    {"init-resp-to-pending-cookie", cookie, sizeof(cookie)},
	    {"init-resp-to-pending-invalid-ke", invalid_ke, sizeof(invalid_ke)},
	    {"init-resp-to-pending-no-proposal", no_prop, sizeof(no_prop)},
	};
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		s.len = 0;
		/* the response's header and no payload of its own, then the notify */
		state_seed_add_items(&s, 0 | 1 << 5, (uint8_t)(pend | 1 << 4), 3, init_resp->data,
				     IKEV2_HDR_LEN, refusals[i].item, refusals[i].len);
		err |= state_seed_write(dir, refusals[i].name, &s);
	}
	/* Two requests: the second meets E's COOKIE demand. */
	s.len = 0;
	state_seed_add_items(&s, 1, 0, 0, init_b->data, init_b->len, NULL, 0);
	state_seed_add_items(&s, 3, 0, 0, init_d->data, init_d->len, NULL, 0);
	err |= state_seed_write(dir, "init-req-cookie-demanded", &s);
	/* The same through a NAT on port 4500. */
	s.len = 0;
	state_seed_add(&s, 0 | 8 | 0x10 | 1 << 5, (uint8_t)(pend | 1 << 4), 3, init_resp->data,
		       init_resp->len);
	err |= state_seed_write(dir, "init-resp-to-pending-nat", &s);
	/* E's own requests reflected: D and B initiating as well (simultaneous
	 * initiation, duplicate IKE SAs), and a stranger. */
	s.len = 0;
	state_seed_add(&s, 3, 0, 0, init_d->data, init_d->len);
	err |= state_seed_write(dir, "init-req-from-d", &s);
	s.len = 0;
	state_seed_add(&s, 1, 0, 2, init_b->data, init_b->len);
	err |= state_seed_write(dir, "init-req-from-b", &s);
	s.len = 0;
	state_seed_add_items(&s, 1, 0, 2, init_b->data, init_b->len, NULL, 0);
	err |= state_seed_write(dir, "init-req-from-b-items", &s);
	s.len = 0;
	state_seed_add_items(&s, 2, 0, 0, init_c->data, init_c->len, NULL, 0);
	state_seed_add_items(&s, 3, 0, 0, init_d->data, init_d->len, NULL, 0);
	err |= state_seed_write(dir, "init-req-from-c-d-items", &s);
	/* A request carrying an error notify, which proves nothing about the
	 * payloads the request still needs (the class of the bug that made
	 * the payload rules bind every request). */
	static const uint8_t n_syntax[] = {IKEV2_PL_NOTIFY,	  0, 0, 4, 0, 0, 0,
					   IKEV2_N_INVALID_SYNTAX};
	s.len = 0;
	state_seed_add_items(&s, 1, 0, 0, init_b->data, init_b->len, n_syntax, sizeof(n_syntax));
	err |= state_seed_write(dir, "init-req-from-b-stray-error-items", &s);
	s.len = 0;
	state_seed_add(&s, 5, 0, 0, init_c->data, init_c->len);
	state_seed_add(&s, 6, 0, 0, init_b->data, init_b->len);
	state_seed_add(&s, 7, 0, 0, init_d->data, init_d->len);
	err |= state_seed_write(dir, "init-req-strangers", &s);
	state_rec_clear();
	fw_fini(&w.net);

	/* Exchanges B and C start later on. */
	err |= state_seed_action(dir, "b-rekey-child", false, ACT_REKEY_CHILD, 0);
	err |= state_seed_action(dir, "b-rekey-ike", false, ACT_REKEY_IKE, 0);
	err |= state_seed_action(dir, "b-dpd", false, ACT_DPD, 0);
	err |= state_seed_action(dir, "b-dpd-nat", false, ACT_DPD, 8 | 0x10);
	err |= state_seed_action(dir, "b-delete", false, ACT_DELETE, 0);
	err |= state_seed_action(dir, "b-clear", false, ACT_CLEAR, 0);
	err |= state_seed_action(dir, "c-rekey-child", true, ACT_REKEY_CHILD, 0);
	err |= state_seed_action(dir, "c-rekey-ike", true, ACT_REKEY_IKE, 0);
	err |= state_seed_action(dir, "c-dpd", true, ACT_DPD, 0);
	err |= state_seed_action(dir, "c-delete", true, ACT_DELETE, 0);

	/* Time alone: DPD and half-open timeouts, Child rekeys, IKE rekeys. */
	static const uint8_t idle[] = {9, 13, 15};
	for (size_t i = 0; i < sizeof(idle); i++) {
		s.len = 0;
		state_seed_add(&s, 0, 0, idle[i], NULL, 0);
		snprintf(name, sizeof(name), "idle-step-%02u", idle[i]);
		err |= state_seed_write(dir, name, &s);
	}
	return err ? 1 : 0;
}
#endif
