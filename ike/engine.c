/* engine.c: the ike.h API: the engine and its peers, the task table and
 * the request window, initiation and back-off, every timer, and what the
 * operator and the data plane ask for.  Messages come in through input.c
 * and go out through output.c.
 *
 * Input path (input.c; each step its own function, each refusal counted):
 *   header (msg.c) -> find the SA by our SPI -> message-ID window ->
 *   decode (msg.c) -> open SK, or each SKF fragment on its own as it comes
 *   (crypto.c) -> reassemble the fragments' plaintext (RFC 7383 2.6.2) ->
 *   decode the inner chain -> payload rules (rules.c) -> the exchange's
 *   process_i, or the responder task's process_r then build_r (exch_*.c,
 *   through the task table).
 * IKE_SA_INIT comes in the clear: decode -> the peer (a request) or the SA
 * (a response) it is for -> payload rules -> exch_init.c.
 *
 * Timers: nothing is armed in the OS.  Each SA and peer carries deadlines
 * (retransmit, DPD, rekey, expiry, half-open, re-initiation);
 * ike_next_deadline() is their minimum and ike_run_timers() acts on those
 * that passed, both through a heap of peers by deadline (timers.c): every
 * entry point marks the peers it changes (ike_touch_peer).  Requests are retransmitted after 0.5 s, doubling, and the
 * SA is given up after IKE_RETX_TRIES; a DPD probe is retried every
 * dpd_retry_s instead.  An active peer whose last SA died is re-initiated
 * after 1 s, doubling up to 30 s, since tunnels are always on. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static void wait_remove(struct ike_peer *p);

struct ike_engine *ike_engine_new(const struct ike_host *host)
{
	if (!host || !host->now_ms || !host->send || !host->child_up || !host->child_down ||
	    !host->ike_event)
		return NULL;
	struct ike_engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->host = *host;
	eng->cookie_threshold = 64;
	eng->init_window = IKE_INIT_WINDOW;
	eng->frag_size = IKE_FRAG_MTU;
	eng->rng_state = host->now_ms(host->ctx) | 1;
	if (ike_random(eng->cookie_secret, sizeof(eng->cookie_secret)) < 0) {
		free(eng);
		return NULL;
	}
	eng->cookie_rotated_ms = ike_now(eng);
	return eng;
}

static void peer_free(struct ike_peer *p)
{
	while (p->sas) {
		struct ike_sa *sa = p->sas;
		p->sas = sa->peer_next;
		ike_sa_free(sa);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

void ike_engine_free(struct ike_engine *eng)
{
	if (!eng)
		return;
	while (eng->peers) {
		struct ike_peer *p = eng->peers;
		eng->peers = p->next;
		peer_free(p);
	}
	ike_farewell_fini(eng);
	ike_timers_fini(eng);
	free(eng->keylog_path);
	OPENSSL_cleanse(eng, sizeof(*eng));
	free(eng);
}

/* Peers are found by tunnel id (the host's calls) and by remote address
 * (every IKE_SA_INIT request, a stranger's too) through hashes, never by
 * walking the list: a hub has thousands. */
static unsigned id_bucket(uint32_t id)
{
	return (id * 2654435761u) >> 20 & (IKE_PEER_BUCKETS - 1);
}

static unsigned remote_bucket(uint32_t addr)
{
	return (addr * 2654435761u) >> 20 & (IKE_PEER_BUCKETS - 1);
}

static struct ike_peer *peer_by_id(struct ike_engine *eng, uint32_t id)
{
	for (struct ike_peer *p = eng->peer_id_hash[id_bucket(id)]; p; p = p->id_next)
		if (p->cfg.tunnel_id == id)
			return p;
	return NULL;
}

struct ike_peer *ike_peer_by_remote(struct ike_engine *eng, uint32_t remote)
{
	for (struct ike_peer *p = eng->peer_remote_hash[remote_bucket(remote)]; p;
	     p = p->remote_next)
		if (p->cfg.remote.sin_addr.s_addr == remote)
			return p;
	return NULL;
}

static void peer_hash_add(struct ike_engine *eng, struct ike_peer *p)
{
	struct ike_peer **b = &eng->peer_id_hash[id_bucket(p->cfg.tunnel_id)];
	p->id_next = *b;
	*b = p;
	b = &eng->peer_remote_hash[remote_bucket(p->cfg.remote.sin_addr.s_addr)];
	p->remote_next = *b;
	*b = p;
}

static void peer_hash_del(struct ike_engine *eng, struct ike_peer *p)
{
	struct ike_peer **pp = &eng->peer_id_hash[id_bucket(p->cfg.tunnel_id)];
	while (*pp && *pp != p)
		pp = &(*pp)->id_next;
	if (*pp)
		*pp = p->id_next;
	pp = &eng->peer_remote_hash[remote_bucket(p->cfg.remote.sin_addr.s_addr)];
	while (*pp && *pp != p)
		pp = &(*pp)->remote_next;
	if (*pp)
		*pp = p->remote_next;
}

static bool cfg_valid(const struct ike_peer_cfg *cfg)
{
	if (cfg->n_ike == 0 || cfg->n_ike > IKE_MAX_PROPOSALS || cfg->n_esp == 0 ||
	    cfg->n_esp > IKE_MAX_PROPOSALS || cfg->remote.sin_addr.s_addr == 0)
		return false;
	for (size_t i = 0; i < cfg->n_ike; i++) {
		const struct ike_proposal *p = &cfg->ike[i];
		if (!p->n_encr || !p->n_dh || p->n_encr > IKE_MAX_TRANSFORMS ||
		    p->n_dh > IKE_MAX_TRANSFORMS || p->n_integ > IKE_MAX_TRANSFORMS ||
		    p->n_prf > IKE_MAX_TRANSFORMS)
			return false;
	}
	for (size_t i = 0; i < cfg->n_esp; i++)
		if (!cfg->esp[i].encr || (!cfg->esp[i].encr->aead && !cfg->esp[i].integ))
			return false;
	return cfg->psk_local_len > 0 && cfg->psk_remote_len > 0;
}

int ike_peer_add(struct ike_engine *eng, const struct ike_peer_cfg *cfg)
{
	if (!eng || !cfg)
		return -EINVAL;
	if (peer_by_id(eng, cfg->tunnel_id))
		return -EEXIST;
	if (!cfg_valid(cfg))
		return -EINVAL;
	if (ike_timers_reserve(eng, eng->n_peers + 1) < 0)
		return -ENOMEM;
	struct ike_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->eng = eng;
	p->seq = ++eng->peer_seq;
	ike_timers_init_peer(p);
	p->cfg = *cfg;
	if (!p->cfg.local.sin_port)
		p->cfg.local.sin_port = htons(500);
	if (!p->cfg.remote.sin_port)
		p->cfg.remote.sin_port = htons(500);
	p->cfg.local.sin_family = p->cfg.remote.sin_family = AF_INET;
	if (!p->cfg.ike_lifetime_s)
		p->cfg.ike_lifetime_s = 86400;
	if (!p->cfg.child_lifetime_s)
		p->cfg.child_lifetime_s = 3600;
	if (!p->cfg.child_lifetime_kb)
		p->cfg.child_lifetime_kb = 4608000;
	/* also without periodic DPD: a suspect peer is probed (ike_peer_suspect),
	 * and a retry of 0 s would retransmit the probe in a busy loop (found
	 * by fuzz_ike_auth with the timer check on) */
	if (!p->cfg.dpd_retry_s)
		p->cfg.dpd_retry_s = 2;
	p->next = eng->peers;
	eng->peers = p;
	eng->n_peers++;
	peer_hash_add(eng, p);
	ike_touch_peer(p);
	/* Initiated from the next timer run, not now: a configuration that
	 * adds a thousand tunnels creates every device first, and the event
	 * loop answers the peer's requests while ours go out (paced). */
	if (!p->cfg.passive)
		p->reinit_at = ike_now(eng);
	ike_gc(eng);
	return 0;
}

int ike_peer_del(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return -ENOENT;
	p->deleting = true;
	wait_remove(p);
	/* One polite Delete per live SA, not retransmitted: we forget the peer now. */
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (sa->have_keys && sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_INIT &&
		    sa->state != IKE_STATE_AUTH)
			ike_send_final(sa, 0);
		ike_sa_kill(sa, "tunnel removed", false);
	}
	struct ike_peer **pp = &eng->peers;
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	eng->n_peers--;
	peer_hash_del(eng, p);
	ike_timers_forget(p);
	peer_free(p);
	ike_gc(eng);
	return 0;
}

/* ---- tasks and the window ---- */
/* The task table (priv.h), both roles.  Our requests: one task per kind,
 * started by start_task when the window is free and finished by its
 * process_i when the response comes (input.c).  The peer's requests: one
 * entry per exchange it may start inside an IKE SA, whose process_r and
 * build_r answer it (input.c).  IKE_SA_INIT has no entry there: it comes
 * before there is an SA, and exch_init.c answers it (keeping no state until
 * it accepts). */
static const struct ike_task_ops *const initiator_tasks[TASK_MAX] = {
    [TASK_INIT] = &ike_task_init,
    [TASK_AUTH] = &ike_task_auth,
    [TASK_CHILD_REKEY] = &ike_task_child_rekey,
    [TASK_IKE_REKEY] = &ike_task_ike_rekey,
    [TASK_DELETE_CHILD] = &ike_task_delete_child,
    [TASK_DELETE_IKE] = &ike_task_delete_ike,
    [TASK_DPD] = &ike_task_dpd,
};

static const struct ike_task_ops *const responder_tasks[] = {
    &ike_task_auth,
    &ike_task_create_child_sa,
    &ike_task_informational,
};

const struct ike_task_ops *ike_task_ops_of(enum ike_task_kind k)
{
	return k < TASK_MAX ? initiator_tasks[k] : NULL;
}

const struct ike_task_ops *ike_task_responder(uint8_t exch)
{
	for (size_t i = 0; i < sizeof(responder_tasks) / sizeof(responder_tasks[0]); i++)
		if (responder_tasks[i]->exch == exch)
			return responder_tasks[i];
	return NULL;
}

static int start_task(struct ike_sa *sa, enum ike_task_kind k)
{
	const struct ike_task_ops *ops = ike_task_ops_of(k);
	uint8_t *buf = malloc(IKE_MSG_BUF);
	if (!buf)
		return -ENOMEM;
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, IKE_MSG_BUF, ops->exch, false, sa->msgid_out);
	sa->task = k;
	int err = ops->build_i(sa, &w);
	if (err == 0)
		err = ike_msg_send(sa, &w, false);
	OPENSSL_cleanse(buf, w.len < IKE_MSG_BUF ? w.len : IKE_MSG_BUF);
	free(buf);
	if (err < 0) {
		sa->task = TASK_NONE;
		log_warn("ike: tunnel %u: cannot start exchange: %s", sa->peer->cfg.tunnel_id,
			 strerror(-err));
		return err;
	}
	if (k == TASK_INIT)
		sa->eng->st.init_started++;
	if (k == TASK_INIT && sa->req) {
		free(sa->init_i);
		sa->init_i = malloc(sa->req_len);
		if (!sa->init_i)
			return -ENOMEM;
		memcpy(sa->init_i, sa->req, sa->req_len);
		sa->init_i_len = sa->req_len;
	}
	if (k == TASK_DPD && sa->peer->cfg.dpd_retry_s)
		sa->retx_at = ike_now(sa->eng) + sa->peer->cfg.dpd_retry_s * 1000ull;
	return 0;
}

/* The request ike_sa_kick would start now, TASK_NONE if none; *child is
 * the Child SA it concerns.  Decides only: ike_sa_kick acts, and the timer
 * check (timers.c) asks whether work was left unstarted. */
static enum ike_task_kind kick_choice(const struct ike_sa *sa, struct ike_child **child)
{
	*child = NULL;
	if (sa->task != TASK_NONE || sa->state == IKE_STATE_DEAD)
		return TASK_NONE;
	if (sa->state == IKE_STATE_INIT)
		return sa->initiator && !sa->by_rekey && sa->msgid_out == 0 && !sa->init_r
			   ? TASK_INIT
			   : TASK_NONE;
	if (sa->state == IKE_STATE_AUTH)
		return sa->initiator && sa->msgid_out == 1 ? TASK_AUTH : TASK_NONE;
	if (sa->state == IKE_STATE_DELETING)
		return TASK_NONE;
	struct ike_child *del = NULL, *rek = NULL;
	for (struct ike_child *c = sa->children; c; c = c->next) {
		/* A pair due for both a rekey (soft lifetime) and a delete
		 * (hard lifetime, both came while another exchange ran) is
		 * rekeyed first: deleted first it would leave the IKE SA no
		 * Child SA and the tunnel would start over (seen with the
		 * kernel backend under a flood).  Its delete follows the
		 * rekey, or a failed rekey. */
		bool rekey_first =
		    c->pending_rekey && c->state == CHILD_INSTALLED && !c->replaced_by;
		if (c->pending_delete && !del && c->state != CHILD_DEAD && !rekey_first)
			del = c;
		if (c->pending_rekey && !rek && c->state == CHILD_INSTALLED)
			rek = c;
	}
	if (sa->pending_delete)
		return TASK_DELETE_IKE;
	if (del) {
		*child = del;
		return TASK_DELETE_CHILD;
	}
	if (sa->state == IKE_STATE_REKEYED)
		return TASK_NONE; /* only deletes run on a replaced SA */
	if (sa->pending_rekey && sa->state == IKE_STATE_ESTABLISHED)
		return TASK_IKE_REKEY;
	if (rek) {
		*child = rek;
		return TASK_CHILD_REKEY;
	}
	return sa->pending_dpd ? TASK_DPD : TASK_NONE;
}

bool ike_sa_kick_owed(const struct ike_sa *sa)
{
	struct ike_child *c;
	return kick_choice(sa, &c) != TASK_NONE;
}

void ike_sa_kick(struct ike_sa *sa)
{
	struct ike_child *c;
	enum ike_task_kind k = kick_choice(sa, &c);
	switch (k) {
	case TASK_NONE:
		return;
	case TASK_DELETE_IKE:
		sa->pending_delete = false;
		break;
	case TASK_DELETE_CHILD:
		c->pending_delete = false;
		sa->task_child = c;
		break;
	case TASK_IKE_REKEY:
		sa->pending_rekey = false;
		break;
	case TASK_CHILD_REKEY:
		c->pending_rekey = false;
		sa->task_child = c;
		break;
	case TASK_DPD:
		sa->pending_dpd = false;
		break;
	default:
		break;
	}
	ike_touch_sa(sa);
	if (start_task(sa, k) < 0)
		ike_sa_kill(sa, "cannot build request", true);
}

/* ---- peers: initiation, pacing and back-off ----
 *
 * Pacing: at most init_window IKE_SA_INIT exchanges of ours are in flight
 * at once; a peer due to initiate waits in a queue and starts when a slot
 * is free (ike_run_timers pumps the queues; ike_next_deadline says "now"
 * while a slot is free and a peer waits).  The window grows by one per
 * IKE_SA_INIT answered at the first try and halves per retransmission, so
 * a hub coming back with thousands of tunnels, or thousands of spokes
 * toward one hub, neither floods the peer's half-open and cookie limits
 * nor retransmits into its backlog.
 * Two routers restarting with many tunnels between them would otherwise
 * start them in the same order and cross on each (both IKE SAs made, one
 * deleted: twice the work).  So a tunnel's two ends serve their queues in
 * opposite orders: the end with the lower address oldest first, the other
 * newest first.  They meet in the middle, and each answers the tunnels the
 * other reached first (init_pump skips a peer with an SA under way). */
static int wait_q(const struct ike_peer *p)
{
	return ntohl(p->cfg.local.sin_addr.s_addr) > ntohl(p->cfg.remote.sin_addr.s_addr);
}

static void wait_add(struct ike_peer *p)
{
	struct ike_engine *eng = p->eng;
	int q = wait_q(p);
	if (p->waiting)
		return;
	p->waiting = true;
	p->wait_next = NULL;
	p->wait_prev = eng->wait_tail[q];
	if (eng->wait_tail[q])
		eng->wait_tail[q]->wait_next = p;
	else
		eng->wait_head[q] = p;
	eng->wait_tail[q] = p;
}

static void wait_remove(struct ike_peer *p)
{
	struct ike_engine *eng = p->eng;
	int q = wait_q(p);
	if (!p->waiting)
		return;
	if (p->wait_prev)
		p->wait_prev->wait_next = p->wait_next;
	else
		eng->wait_head[q] = p->wait_next;
	if (p->wait_next)
		p->wait_next->wait_prev = p->wait_prev;
	else
		eng->wait_tail[q] = p->wait_prev;
	p->waiting = false;
	p->wait_next = p->wait_prev = NULL;
}

static bool wait_any(const struct ike_engine *eng)
{
	return eng->wait_head[0] || eng->wait_head[1];
}

/* The next peer to start: the two queues in turn. */
static struct ike_peer *wait_take(struct ike_engine *eng)
{
	int q = eng->wait_head[eng->wait_turn] ? (int)eng->wait_turn : !eng->wait_turn;
	eng->wait_turn = !q;
	struct ike_peer *p = q == 0 ? eng->wait_head[0] : eng->wait_tail[1];
	wait_remove(p);
	return p;
}

void ike_init_landed(struct ike_sa *sa, bool answered)
{
	struct ike_engine *eng = sa->eng;
	sa->init_inflight = false;
	eng->init_inflight--;
	if (answered && sa->retx_count == 0 && eng->init_window < IKE_INIT_WINDOW_MAX)
		eng->init_window++;
}

/* A hub bringing thousands of tunnels up answers IKE_SA_INIT and IKE_AUTH
 * late because it is busy, not because packets were lost: a fixed 0.5 s
 * timeout then retransmits into its backlog and makes it busier.  So the
 * first timeout of those two is the smoothed round trip plus four times
 * its variation (RFC 6298's rule), between IKE_RETX_BASE_MS and
 * IKE_RETX_FIRST_MAX_MS; on an idle path it stays 0.5 s.  Only answers
 * to a first transmission are samples (Karn); the exchanges of an
 * established SA keep the fixed base, so a dead peer is seen as soon. */
uint32_t ike_retx_first_ms(const struct ike_sa *sa)
{
	const struct ike_engine *eng = sa->eng;
	if ((sa->task != TASK_INIT && sa->task != TASK_AUTH) || !eng->rtt_valid)
		return IKE_RETX_BASE_MS;
	uint32_t t = eng->srtt_ms + 4 * eng->rttvar_ms;
	return t < IKE_RETX_BASE_MS ? IKE_RETX_BASE_MS
				    : t > IKE_RETX_FIRST_MAX_MS ? IKE_RETX_FIRST_MAX_MS : t;
}

void ike_rtt_sample(struct ike_engine *eng, uint64_t sent_ms, unsigned tries)
{
	uint64_t now = ike_now(eng);
	if (tries || !sent_ms || now < sent_ms)
		return;
	uint64_t r64 = now - sent_ms;
	uint32_t r = r64 > 60000 ? 60000 : (uint32_t)r64;
	if (!eng->rtt_valid) {
		eng->srtt_ms = r;
		eng->rttvar_ms = r / 2;
		eng->rtt_valid = true;
		return;
	}
	uint32_t d = r > eng->srtt_ms ? r - eng->srtt_ms : eng->srtt_ms - r;
	eng->rttvar_ms = (3 * eng->rttvar_ms + d) / 4;
	eng->srtt_ms = (7 * eng->srtt_ms + r) / 8;
}

/* An IKE_SA_INIT of ours retransmitted: the peer (or the path) is behind. */
static void init_window_shrink(struct ike_engine *eng)
{
	eng->init_window /= 2;
	if (eng->init_window < IKE_INIT_WINDOW_MIN)
		eng->init_window = IKE_INIT_WINDOW_MIN;
}

static void peer_start(struct ike_peer *p);

/* Whether a peer due to initiate starts now.  An SA that will carry the
 * tunnel (usable, or an attempt of ours) makes it needless: no, and
 * nothing is rescheduled (that SA's end schedules the next attempt).  A
 * half-open SA the peer began (it reached this tunnel first) holds it back
 * while that may still complete: the attempt is put off until then, and
 * made if it did not (the peer restarted the tunnel and dropped it).
 * Waiting for such an SA to time out held R3's tunnel down for 30 s in
 * t-why-down. */
static bool peer_may_start(struct ike_peer *p, uint64_t now)
{
	uint64_t until = 0;
	for (const struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (ike_sa_ours_or_usable(sa)) {
			p->reinit_at = 0;
			return false;
		}
		if (ike_sa_peer_attempt_live(sa, now) && sa->created_ms + IKE_PEER_ATTEMPT_MS > until)
			until = sa->created_ms + IKE_PEER_ATTEMPT_MS;
	}
	if (!until)
		return true;
	p->reinit_at = until;
	ike_touch_peer(p);
	return false;
}

static void init_pump(struct ike_engine *eng)
{
	uint64_t now = ike_now(eng);
	while (wait_any(eng) && eng->init_inflight < eng->init_window) {
		struct ike_peer *p = wait_take(eng);
		/* the peer may have begun one with us meanwhile */
		if (!p->deleting && !p->cfg.passive && peer_may_start(p, now))
			peer_start(p);
	}
}

/* Queued for a slot: every initiation waits its turn (the pump runs at the
 * end of ike_run_timers, or at once from an operator's action). */
void ike_peer_initiate(struct ike_peer *p)
{
	ike_touch_peer(p);
	p->reinit_at = 0;
	wait_add(p);
}

static void peer_start(struct ike_peer *p)
{
	ike_touch_peer(p); /* from init_pump: not the entry point's peer */
	struct ike_sa *sa = ike_sa_new(p, true);
	if (!sa) {
		ike_peer_schedule_reinit(p);
		return;
	}
	ike_sa_kick(sa);
}

/* Exponential back-off, 1 s doubling to 30 s, plus up to a quarter more
 * at random, so tunnels that failed together (a hub's peers after an
 * outage) do not all come back in the same millisecond. */
void ike_peer_schedule_reinit(struct ike_peer *p)
{
	if (p->cfg.passive || p->deleting)
		return;
	ike_touch_peer(p);
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : IKE_REINIT_BASE_MS;
	if (p->backoff_ms > IKE_REINIT_MAX_MS)
		p->backoff_ms = IKE_REINIT_MAX_MS;
	uint32_t jitter = ike_rand32(p->eng) % (p->backoff_ms / 4 + 1);
	p->reinit_at = ike_now(p->eng) + p->backoff_ms + jitter;
}

int64_t ike_next_attempt_ms(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (p && p->waiting)
		return 0; /* waiting for an IKE_SA_INIT slot (pacing) */
	if (!p || !p->reinit_at)
		return -1;
	uint64_t now = ike_now(eng);
	return p->reinit_at > now ? (int64_t)(p->reinit_at - now) : 0;
}

/* ---- timers ---- */
static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Periodic DPD probes after dpd_interval without an IKE message from the
 * peer; on-demand DPD also counts inbound ESP as proof of life. */
static uint64_t dpd_idle_since(const struct ike_sa *sa)
{
	if (sa->peer->cfg.dpd_on_demand && sa->last_traffic_ms > sa->last_rx_ms)
		return sa->last_traffic_ms;
	return sa->last_rx_ms;
}

static uint64_t sa_deadline(const struct ike_sa *sa)
{
	uint64_t d = UINT64_MAX;
	if (sa->state == IKE_STATE_DEAD)
		return d;
	if (sa->task != TASK_NONE)
		d = min64(d, sa->retx_at);
	if (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH)
		d = min64(d, sa->created_ms + IKE_HALF_OPEN_MS);
	if (sa->expire_at)
		d = min64(d, sa->expire_at);
	if (sa->frag_total)
		d = min64(d, sa->frag_started + IKE_HALF_OPEN_MS / 3);
	/* Exactly what sa_timers() acts on, or a deadline it ignores stays in
	 * the past and the event loop spins (found by fuzz_ike_auth: a Child
	 * SA's rekey time passing while the IKE SA's Delete is in flight). */
	if (!ike_sa_usable(sa) && sa->state != IKE_STATE_REKEYED)
		return d;
	if (sa->rekey_at && sa->state == IKE_STATE_ESTABLISHED)
		d = min64(d, sa->rekey_at);
	if (sa->peer->cfg.dpd_interval_s && sa->task == TASK_NONE && ike_sa_usable(sa))
		d = min64(d, dpd_idle_since(sa) + sa->peer->cfg.dpd_interval_s * 1000ull);
	for (const struct ike_child *c = sa->children; c; c = c->next) {
		if (c->state == CHILD_INSTALLED && c->rekey_at)
			d = min64(d, c->rekey_at);
		if (c->state != CHILD_DEAD && c->expire_at)
			d = min64(d, c->expire_at);
	}
	return d;
}

uint64_t ike_peer_deadline(const struct ike_peer *p)
{
	uint64_t d = p->reinit_at ? p->reinit_at : UINT64_MAX;
	for (const struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
		d = min64(d, sa_deadline(sa));
	return d;
}

/* The peers' deadlines come from a heap (timers.c), not a walk over every
 * SA: the event loop asks before each wait, and a hub has thousands. */
uint64_t ike_next_deadline(struct ike_engine *eng)
{
	if (!eng)
		return UINT64_MAX;
	uint64_t d = ike_timers_next(eng);
	if (eng->peers)
		d = min64(d, eng->cookie_rotated_ms + 120000);
	if (wait_any(eng) && eng->init_inflight < eng->init_window)
		d = min64(d, ike_now(eng));
	return min64(d, ike_farewell_deadline(eng));
}

static const char *task_exchange_name(enum ike_task_kind k)
{
	switch (k) {
	case TASK_INIT:
		return "IKE_SA_INIT";
	case TASK_AUTH:
		return "IKE_AUTH";
	case TASK_CHILD_REKEY:
	case TASK_IKE_REKEY:
		return "CREATE_CHILD_SA";
	default:
		return "INFORMATIONAL";
	}
}

static void sa_timers(struct ike_sa *sa, uint64_t now)
{
	struct ike_peer *p = sa->peer;
	if (sa->state == IKE_STATE_DEAD)
		return;
	if ((sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH) &&
	    now >= sa->created_ms + IKE_HALF_OPEN_MS) {
		sa->eng->st.timeouts++;
		/* A responder SA its initiator gave up on says nothing of the
		 * tunnel: the peer's own attempt reports its own failure. */
		if (sa->initiator)
			ike_fail(p, sa, IKE_FAIL_NO_ANSWER, 0, false,
				 "negotiation with %s did not complete in %u s",
				 inet_ntoa(sa->remote.sin_addr), IKE_HALF_OPEN_MS / 1000);
		ike_sa_kill(sa, "negotiation timed out", true);
		return;
	}
	if (sa->auth_probe && sa->task == TASK_AUTH && now >= sa->retx_at) {
		/* no failure of the tunnel's: the SA that went says why it is down */
		ike_sa_kill(sa, "IKE_AUTH unanswered: the peer dropped this SA", true);
		return;
	}
	if (sa->task != TASK_NONE && now >= sa->retx_at) {
		unsigned tries = sa->task == TASK_DPD ? IKE_DPD_TRIES : IKE_RETX_TRIES;
		if (sa->retx_count + 1 >= tries) {
			sa->eng->st.timeouts++;
			if (sa->task == TASK_DPD)
				sa->eng->st.dpd_dead++;
			char why[80];
			const char *peer = inet_ntoa(sa->remote.sin_addr);
			const char *nn = ike_notify_name(sa->init_error);
			if (sa->task == TASK_INIT && sa->init_error) {
				snprintf(why, sizeof(why), "peer refused IKE_SA_INIT (%s)",
					 nn ? nn : "error");
				ike_fail(p, sa, ike_fail_class_of(sa->init_error), sa->init_error,
					 true, "peer %s refused IKE_SA_INIT with %s%s", peer,
					 nn ? nn : "an error",
					 sa->init_error == IKEV2_N_NO_PROPOSAL_CHOSEN
					     ? " (no IKE proposal of ours is acceptable there)"
					     : "");
			} else if (sa->task == TASK_DPD) {
				snprintf(why, sizeof(why), "dead peer detected");
				ike_fail(p, sa, IKE_FAIL_DEAD_PEER, 0, false,
					 "peer %s did not answer %u liveness checks (DPD)%s%s",
					 peer, tries, sa->unreach_hits ? "; " : "",
					 sa->unreach_hits ? sa->unreach_what : "");
			} else if (sa->unreach_hits) {
				snprintf(why, sizeof(why), "peer unreachable");
				ike_fail(
				    p, sa, IKE_FAIL_UNREACHABLE, 0, false,
				    "no answer from %s to %s after %u tries, %u answered by %s",
				    peer, task_exchange_name(sa->task), tries,
				    sa->unreach_hits < tries ? sa->unreach_hits : tries,
				    sa->unreach_what);
			} else {
				snprintf(why, sizeof(why), "peer not responding");
				ike_fail(p, sa, IKE_FAIL_NO_ANSWER, 0, false,
					 "no answer from %s to %s after %u tries", peer,
					 task_exchange_name(sa->task), tries);
			}
			ike_sa_kill(sa, why, true);
			return;
		}
		sa->retx_count++;
		sa->eng->st.retransmits++;
		if (sa->init_inflight)
			init_window_shrink(sa->eng);
		if (sa->unreach_hits) /* the host said so once: no use waiting long */
			sa->retx_at = now + IKE_UNREACH_RETX_MS;
		else if (sa->task == TASK_DPD)
			sa->retx_at = now + p->cfg.dpd_retry_s * 1000ull;
		else
			sa->retx_at = now + ((uint64_t)(sa->retx_first_ms ? sa->retx_first_ms
									   : IKE_RETX_BASE_MS)
					     << sa->retx_count);
		ike_send_request_again(sa);
	}
	if (sa->frag_total && now >= sa->frag_started + IKE_HALF_OPEN_MS / 3) {
		sa->eng->st.frag_drop += sa->frag_have;
		ike_sa_frags_clear(sa);
	}
	if (sa->expire_at && now >= sa->expire_at) {
		ike_sa_kill(sa, "IKE SA lifetime expired", true);
		return;
	}
	if (!ike_sa_usable(sa) && sa->state != IKE_STATE_REKEYED)
		return;
	if (sa->rekey_at && now >= sa->rekey_at && sa->state == IKE_STATE_ESTABLISHED) {
		sa->rekey_at = 0;
		sa->pending_rekey = true;
	}
	if (p->cfg.dpd_interval_s && sa->task == TASK_NONE && ike_sa_usable(sa) &&
	    now >= dpd_idle_since(sa) + p->cfg.dpd_interval_s * 1000ull)
		sa->pending_dpd = true;
	for (struct ike_child *c = sa->children; c; c = c->next) {
		if (c->state == CHILD_DEAD)
			continue;
		if (c->expire_at && now >= c->expire_at) {
			c->expire_at = 0;
			if (c->state == CHILD_DELETING) {
				ike_child_kill(c, "hard lifetime expired");
			} else {
				c->expired_hard = true;
				c->pending_delete = true;
			}
		}
		if (c->state == CHILD_INSTALLED && c->rekey_at && now >= c->rekey_at) {
			c->rekey_at = 0;
			c->pending_rekey = true;
		}
	}
	ike_sa_kick(sa);
}

void ike_run_timers(struct ike_engine *eng)
{
	if (!eng)
		return;
	uint64_t now = ike_now(eng);
	if (now >= eng->cookie_rotated_ms + 120000) {
		uint8_t next[32];
		if (ike_random(next, sizeof(next)) == 0) {
			memcpy(eng->cookie_secret_old, eng->cookie_secret, sizeof(next));
			memcpy(eng->cookie_secret, next, sizeof(next));
			eng->cookie_old_valid = true;
			eng->cookie_version++;
			eng->cookie_rotated_ms = now;
		}
		OPENSSL_cleanse(next, sizeof(next));
	}
	/* Only the peers due, taken out of the heap first: a host callback
	 * (child_down, ike_event) may come back into the engine, even delete
	 * a peer (its slot then reads NULL), while we go through them. */
	eng->tm_running = true;
	size_t n = ike_timers_due(eng, now);
	for (size_t i = 0; i < n; i++) {
		struct ike_peer *p = eng->tm_due[i];
		if (!p)
			continue;
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			sa_timers(sa, now);
		if (p->reinit_at && now >= p->reinit_at && peer_may_start(p, now))
			ike_peer_initiate(p);
		ike_timers_done(p);
	}
	eng->tm_n_due = 0;
	eng->tm_running = false;
	ike_farewell_timers(eng, now);
	ike_gc(eng);
	init_pump(eng);
}

void ike_set_cookie_threshold(struct ike_engine *eng, unsigned half_open)
{
	if (eng)
		eng->cookie_threshold = half_open;
}

void ike_set_init_window(struct ike_engine *eng, unsigned n)
{
	/* No peer's deadline depends on it: ike_next_deadline reads the
	 * window each time. */
	if (eng)
		eng->init_window = n ? n : 1;
}

void ike_set_fragment_size(struct ike_engine *eng, unsigned bytes)
{
	if (eng)
		eng->frag_size = bytes < 128 ? 128 : bytes > 65535 ? 65535 : bytes;
}

/* ---- operator and data-plane actions ---- */
static struct ike_sa *peer_live_sa(struct ike_peer *p)
{
	struct ike_sa *best = NULL;
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
		if (ike_sa_usable(sa) && (!best || sa->established_seq > best->established_seq))
			best = sa;
	return best;
}

void ike_child_expired(struct ike_engine *eng, uint32_t tunnel_id, uint32_t spi_in, bool hard)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return;
	ike_touch_peer(p);
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		struct ike_child *c = ike_child_by_spi_in(sa, spi_in);
		if (!c)
			continue;
		if (hard) {
			c->expired_hard = true;
			c->pending_delete = true;
		} else if (c->state == CHILD_INSTALLED) {
			c->pending_rekey = true;
		}
		ike_sa_kick(sa);
	}
	ike_gc(eng);
}

static void sa_unreachable(struct ike_sa *sa, const char *what)
{
	sa->eng->st.icmp_errors++;
	if (sa->unreach_hits < UINT_MAX)
		sa->unreach_hits++;
	snprintf(sa->unreach_what, sizeof(sa->unreach_what), "%s", what);
	uint64_t soon = ike_now(sa->eng) + IKE_UNREACH_RETX_MS;
	if (sa->retx_at > soon)
		sa->retx_at = soon;
}

void ike_icmp_error(struct ike_engine *eng, const struct sockaddr_in *to, const uint8_t *quoted,
		    size_t len, const char *what)
{
	if (!eng || !to || !quoted || !what)
		return;
	/* Only a request of ours in flight, named by SPIs no off-path
	 * stranger knows, at the address and port it went to. */
	struct ike_sa *sa = NULL;
	if (len >= IKEV2_HDR_LEN && !(quoted[19] & IKEV2_FLAG_RESPONSE))
		sa = quoted[19] & IKEV2_FLAG_INITIATOR ? ike_sa_lookup(eng, quoted, true)
						       : ike_sa_lookup(eng, quoted + 8, false);
	uint32_t msgid;
	if (sa)
		memcpy(&msgid, quoted + 20, 4);
	if (!sa || sa->state == IKE_STATE_DEAD || sa->task == TASK_NONE ||
	    ntohl(msgid) != sa->msgid_out || sa->remote.sin_addr.s_addr != to->sin_addr.s_addr ||
	    sa->remote.sin_port != to->sin_port) {
		eng->st.icmp_ignored++;
		return;
	}
	ike_touch_sa(sa);
	/* RFC 7296 2.4: an ICMP error is never proof that the peer failed;
	 * only unanswered tries are.  It shortens the wait for the next ones
	 * (hosts rate-limit ICMP, so not every try gets its error), so a host
	 * that answers "port unreachable" is given up after the usual number
	 * of tries in about 2 s instead of 15; the peer, if alive, still
	 * answers the first. */
	sa_unreachable(sa, what);
}

void ike_peer_suspect(struct ike_engine *eng, uint32_t tunnel_id, const char *icmp)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p || !p->cfg.dpd_interval_s)
		return;
	ike_touch_peer(p);
	/* RFC 3706 5.3's worry: ask now rather than after the idle interval,
	 * at most once per retry interval, on an SA with nothing in flight.
	 * An ICMP error for the tunnel's ESP also hurries a request already
	 * in flight, as one quoting the request itself does. */
	uint64_t now = ike_now(eng);
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (icmp && ike_sa_usable(sa) && sa->task != TASK_NONE) {
			sa_unreachable(sa, icmp);
			continue;
		}
		if (!ike_sa_usable(sa) || sa->task != TASK_NONE || sa->pending_delete ||
		    now < sa->worry_at || now < sa->last_rx_ms + p->cfg.dpd_retry_s * 1000ull)
			continue;
		sa->worry_at = now + p->cfg.dpd_retry_s * 1000ull;
		sa->pending_dpd = true;
		eng->st.worry_probes++;
		ike_sa_kick(sa);
	}
	ike_gc(eng); /* a probe that could not start killed its SA */
}

void ike_traffic_seen(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return;
	ike_touch_peer(p);
	/* For on-demand DPD inbound ESP proves the peer alive (dpd_idle_since). */
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
		if (ike_sa_usable(sa))
			sa->last_traffic_ms = ike_now(eng);
}

int ike_rekey_child(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	struct ike_sa *sa = p ? peer_live_sa(p) : NULL;
	if (!sa)
		return -ENOENT;
	ike_touch_peer(p);
	int n = 0;
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED) {
			c->pending_rekey = true;
			n++;
		}
	ike_sa_kick(sa);
	ike_gc(eng);
	return n ? 0 : -ENOENT;
}

int ike_rekey_ike(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	struct ike_sa *sa = p ? peer_live_sa(p) : NULL;
	if (!sa || sa->state != IKE_STATE_ESTABLISHED)
		return -ENOENT;
	ike_touch_peer(p);
	sa->pending_rekey = true;
	ike_sa_kick(sa);
	ike_gc(eng);
	return 0;
}

int ike_clear(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return -ENOENT;
	ike_touch_peer(p);
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (ike_sa_usable(sa) || sa->state == IKE_STATE_REKEYED)
			ike_send_final(sa, 0);
		ike_sa_kill(sa, "cleared by operator", false);
	}
	p->backoff_ms = 0;
	p->reinit_at = 0;
	if (!p->cfg.passive)
		ike_peer_initiate(p);
	init_pump(eng);
	ike_gc(eng);
	return 0;
}
