/* sa.c: IKE and Child SA lifecycle: the two state machines (each state
 * changed in exactly one function, which checks the transition against a
 * table and logs it), allocation, the SPI hash, lifetimes (rekey and
 * expiry times), the installation of a Child SA pair (keys derived, told to
 * the host through child_up) and the sweep of dead SAs.
 *
 * IKE SA:   INIT -> AUTH -> ESTABLISHED <-> REKEYING -> REKEYED -> DELETING -> DEAD
 * (any state may die; a rekey-born SA goes INIT -> ESTABLISHED directly)
 * Child SA: CREATING -> INSTALLED <-> REKEYING -> REKEYED -> DELETING -> DEAD */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static const char *const ike_state_names[IKE_STATE_MAX] = {
    [IKE_STATE_INIT] = "INIT",
    [IKE_STATE_AUTH] = "AUTH",
    [IKE_STATE_ESTABLISHED] = "ESTABLISHED",
    [IKE_STATE_REKEYING] = "REKEYING",
    [IKE_STATE_REKEYED] = "REKEYED",
    [IKE_STATE_DELETING] = "DELETING",
    [IKE_STATE_DEAD] = "DEAD",
};

static const char *const child_state_names[CHILD_STATE_MAX] = {
    [CHILD_CREATING] = "CREATING", [CHILD_INSTALLED] = "INSTALLED", [CHILD_REKEYING] = "REKEYING",
    [CHILD_REKEYED] = "REKEYED",   [CHILD_DELETING] = "DELETING",   [CHILD_DEAD] = "DEAD",
};

#define B(s) (1u << (s))
static const unsigned ike_allowed[IKE_STATE_MAX] = {
    [IKE_STATE_INIT] =
	B(IKE_STATE_AUTH) | B(IKE_STATE_ESTABLISHED) | B(IKE_STATE_DELETING) | B(IKE_STATE_DEAD),
    [IKE_STATE_AUTH] = B(IKE_STATE_ESTABLISHED) | B(IKE_STATE_DELETING) | B(IKE_STATE_DEAD),
    [IKE_STATE_ESTABLISHED] =
	B(IKE_STATE_REKEYING) | B(IKE_STATE_REKEYED) | B(IKE_STATE_DELETING) | B(IKE_STATE_DEAD),
    [IKE_STATE_REKEYING] =
	B(IKE_STATE_ESTABLISHED) | B(IKE_STATE_REKEYED) | B(IKE_STATE_DELETING) | B(IKE_STATE_DEAD),
    [IKE_STATE_REKEYED] = B(IKE_STATE_DELETING) | B(IKE_STATE_DEAD),
    [IKE_STATE_DELETING] = B(IKE_STATE_DEAD),
    [IKE_STATE_DEAD] = 0,
};

static const unsigned child_allowed[CHILD_STATE_MAX] = {
    [CHILD_CREATING] = B(CHILD_INSTALLED) | B(CHILD_DEAD),
    [CHILD_INSTALLED] = B(CHILD_REKEYING) | B(CHILD_REKEYED) | B(CHILD_DELETING) | B(CHILD_DEAD),
    [CHILD_REKEYING] = B(CHILD_INSTALLED) | B(CHILD_REKEYED) | B(CHILD_DELETING) | B(CHILD_DEAD),
    [CHILD_REKEYED] = B(CHILD_DELETING) | B(CHILD_DEAD),
    [CHILD_DELETING] = B(CHILD_DEAD),
    [CHILD_DEAD] = 0,
};

const char *ike_state_name(enum ike_state s)
{
	return s < IKE_STATE_MAX ? ike_state_names[s] : "?";
}

const char *ike_child_state_name(enum ike_child_state s)
{
	return s < CHILD_STATE_MAX ? child_state_names[s] : "?";
}

static bool half_open_state(const struct ike_sa *sa)
{
	return !sa->initiator && (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH) &&
	       sa->init_r != NULL;
}

void ike_sa_set_state(struct ike_sa *sa, enum ike_state s, const char *why)
{
	if (sa->state == s)
		return;
	if (!(ike_allowed[sa->state] & B(s))) {
		/* A bug, not a peer's doing: refuse and say so loudly. */
		log_err("ike: tunnel %u: refused IKE SA transition %s -> %s (%s)",
			sa->peer->cfg.tunnel_id, ike_state_name(sa->state), ike_state_name(s), why);
		return;
	}
	bool was_half = half_open_state(sa);
	uint64_t spi;
	memcpy(&spi, ike_sa_our_spi(sa), 8);
	log_dbg(LOG_DBG_IKE, "ike: tunnel %u: IKE SA %016llx %s -> %s (%s)",
		sa->peer->cfg.tunnel_id, (unsigned long long)be64toh(spi),
		ike_state_name(sa->state), ike_state_name(s), why);
	sa->state = s;
	/* The entry point marked its peer already; this covers another's
	 * (timers.c), at the cost of a flag test. */
	ike_touch_sa(sa);
	if (s == IKE_STATE_DEAD)
		sa->eng->dead_pending++;
	if (sa->init_inflight)
		ike_init_landed(sa, s != IKE_STATE_DEAD);
	if (was_half && !half_open_state(sa) && sa->eng->half_open > 0)
		sa->eng->half_open--;
}

void ike_child_set_state(struct ike_child *c, enum ike_child_state s, const char *why)
{
	if (c->state == s)
		return;
	if (!(child_allowed[c->state] & B(s))) {
		log_err("ike: tunnel %u: refused Child SA transition %s -> %s (%s)",
			c->sa->peer->cfg.tunnel_id, ike_child_state_name(c->state),
			ike_child_state_name(s), why);
		return;
	}
	log_dbg(LOG_DBG_IKE, "ike: tunnel %u: Child SA %08x/%08x %s -> %s (%s)",
		c->sa->peer->cfg.tunnel_id, c->spi_in, c->spi_out, ike_child_state_name(c->state),
		ike_child_state_name(s), why);
	c->state = s;
	ike_touch_sa(c->sa);
	if (s == CHILD_DEAD)
		c->sa->eng->dead_pending++;
}

uint64_t ike_now(struct ike_engine *eng)
{
	return eng->host.now_ms(eng->host.ctx);
}

uint32_t ike_rand32(struct ike_engine *eng)
{
	uint32_t v = 0;
	if (ike_random((uint8_t *)&v, sizeof(v)) < 0) {
		/* Only jitter depends on this; a weak fallback is harmless. */
		eng->rng_state = eng->rng_state * 6364136223846793005ull + 1442695040888963407ull;
		v = (uint32_t)(eng->rng_state >> 33);
	}
	return v;
}

uint8_t *ike_memdup(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

const uint8_t *ike_sa_our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static size_t spi_bucket(const uint8_t spi[8])
{
	uint64_t v;
	memcpy(&v, spi, 8);
	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	v ^= v >> 32;
	return (size_t)(v % IKE_HASH_BUCKETS);
}

struct ike_sa *ike_sa_lookup(struct ike_engine *eng, const uint8_t spi[8], bool we_initiated)
{
	for (struct ike_sa *sa = eng->hash[spi_bucket(spi)]; sa; sa = sa->hash_next)
		if (sa->initiator == we_initiated && memcmp(ike_sa_our_spi(sa), spi, 8) == 0 &&
		    sa->state != IKE_STATE_DEAD)
			return sa;
	return NULL;
}

void ike_sa_hash_add(struct ike_sa *sa)
{
	size_t b = spi_bucket(ike_sa_our_spi(sa));
	sa->hash_next = sa->eng->hash[b];
	sa->eng->hash[b] = sa;
	sa->in_hash = true;
}

static void hash_del(struct ike_sa *sa)
{
	if (!sa->in_hash)
		return;
	struct ike_sa **pp = &sa->eng->hash[spi_bucket(ike_sa_our_spi(sa))];
	while (*pp && *pp != sa)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = sa->hash_next;
	sa->in_hash = false;
}

/* A fresh non-zero SPI that no SA of ours uses in the same role. */
static int new_ike_spi(struct ike_engine *eng, uint8_t spi[8], bool initiator)
{
	for (int tries = 0; tries < 8; tries++) {
		int err = ike_random(spi, 8);
		if (err < 0)
			return err;
		static const uint8_t zero[8];
		if (memcmp(spi, zero, 8) != 0 && !ike_sa_lookup(eng, spi, initiator))
			return 0;
	}
	return -EAGAIN;
}

static unsigned child_bucket(uint32_t spi)
{
	return (spi * 2654435761u) >> 16 & (IKE_HASH_BUCKETS - 1);
}

/* Before a Child SA is freed: out of the SPI hash. */
static void child_unhash(struct ike_child *c)
{
	struct ike_child **pp = &c->sa->eng->child_hash[child_bucket(c->spi_in)];
	while (*pp && *pp != c)
		pp = &(*pp)->spi_next;
	if (*pp)
		*pp = c->spi_next;
}

int ike_new_child_spi(struct ike_engine *eng, uint32_t *spi)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t v;
		int err = ike_random((uint8_t *)&v, sizeof(v));
		if (err < 0)
			return err;
		if (v < 256) /* 1-255 are reserved by IANA */
			continue;
		bool used = false;
		for (struct ike_child *c = eng->child_hash[child_bucket(v)]; c && !used;
		     c = c->spi_next)
			used = c->spi_in == v;
		if (!used) {
			*spi = v;
			return 0;
		}
	}
	return -EAGAIN;
}

struct ike_sa *ike_sa_new(struct ike_peer *p, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->eng = p->eng;
	sa->peer = p;
	sa->initiator = initiator;
	sa->state = IKE_STATE_INIT;
	sa->local = p->cfg.local;
	sa->remote = p->cfg.remote;
	sa->seq = ++p->eng->seq;
	sa->init_inflight = initiator;
	p->eng->init_inflight += initiator;
	sa->created_ms = ike_now(p->eng);
	sa->last_rx_ms = sa->created_ms;
	if (new_ike_spi(p->eng, initiator ? sa->spi_i : sa->spi_r, initiator) < 0) {
		p->eng->init_inflight -= initiator;
		free(sa);
		return NULL;
	}
	sa->peer_next = p->sas;
	p->sas = sa;
	ike_sa_hash_add(sa);
	ike_touch_peer(p);
	return sa;
}

struct ike_child *ike_child_new(struct ike_sa *sa)
{
	struct ike_child *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sa = sa;
	c->state = CHILD_CREATING;
	if (ike_new_child_spi(sa->eng, &c->spi_in) < 0) {
		free(c);
		return NULL;
	}
	c->next = sa->children;
	sa->children = c;
	struct ike_child **b = &sa->eng->child_hash[child_bucket(c->spi_in)];
	c->spi_next = *b;
	*b = c;
	return c;
}

struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi_in)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_in == spi_in && c->state != CHILD_DEAD)
			return c;
	return NULL;
}

struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->spi_out == spi_out && c->state != CHILD_DEAD)
			return c;
	return NULL;
}

void ike_sa_frags_clear(struct ike_sa *sa)
{
	for (size_t i = 0; i < 32; i++) {
		free(sa->frag_buf[i]);
		sa->frag_buf[i] = NULL;
		sa->frag_len[i] = 0;
	}
	sa->frag_total = sa->frag_have = 0;
}

void ike_sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	if (sa->init_inflight) {
		sa->init_inflight = false;
		sa->eng->init_inflight--;
	}
	hash_del(sa);
	while (sa->children) {
		struct ike_child *c = sa->children;
		sa->children = c->next;
		child_unhash(c);
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
	}
	ike_dh_free(sa->dh);
	ike_dh_free(sa->task_dh);
	free(sa->init_i);
	free(sa->init_r);
	free(sa->cookie);
	free(sa->req);
	ike_resp_forget(sa);
	ike_sa_frags_clear(sa);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

bool ike_sa_usable(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED || sa->state == IKE_STATE_REKEYING;
}

/* An SA that will carry the tunnel: usable, or an attempt of ours. */
bool ike_sa_ours_or_usable(const struct ike_sa *sa)
{
	return sa->state != IKE_STATE_DEAD && (ike_sa_usable(sa) || sa->initiator);
}

/* A half-open SA the peer began, young enough that it may still complete. */
bool ike_sa_peer_attempt_live(const struct ike_sa *sa, uint64_t now)
{
	return !sa->initiator && (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH) &&
	       now < sa->created_ms + IKE_PEER_ATTEMPT_MS;
}

void ike_child_kill(struct ike_child *c, const char *why)
{
	if (c->state == CHILD_DEAD)
		return;
	struct ike_engine *eng = c->sa->eng;
	ike_child_set_state(c, CHILD_DEAD, why);
	if (c->reported_up) {
		c->reported_up = false;
		eng->st.child_down++;
		eng->host.child_down(eng->host.ctx, c->sa->peer->cfg.tunnel_id, c->spi_in,
				     c->spi_out);
	}
}

/* The SA that carried the tunnel is gone, and an IKE_AUTH of ours that
 * went out before that SA was even begun is still unanswered: the peer
 * completed a whole negotiation since, so it has most likely dropped the
 * SA that IKE_AUTH belongs to (it restarted the tunnel; our SA is the
 * loser of a simultaneous initiation it abandoned).  Waiting out its
 * retransmissions, up to the half-open limit (30 s), would hold the tunnel
 * down with no attempt of ours under way.  It gets one more try now: a peer
 * that did complete it answers from its cache, else it ends (sa_timers)
 * and a new attempt starts.  It still counts as ours until then, so a
 * Delete of a simultaneous initiation's duplicate never takes the tunnel
 * down while our own SA is completing. */
static void probe_stale_auth(const struct ike_sa *gone)
{
	uint64_t now = ike_now(gone->eng);
	for (struct ike_sa *o = gone->peer->sas; o; o = o->peer_next) {
		if (o == gone || o->state != IKE_STATE_AUTH || !o->initiator ||
		    o->task != TASK_AUTH || o->auth_probe || o->req_sent_ms >= gone->created_ms)
			continue;
		o->auth_probe = true;
		o->retx_at = now + 2ull * ike_retx_first_ms(o);
		gone->eng->st.auth_probes++;
		ike_touch_sa(o);
		ike_send_request_again(o);
	}
}

void ike_sa_kill(struct ike_sa *sa, const char *why, bool reinit)
{
	if (sa->state == IKE_STATE_DEAD)
		return;
	struct ike_peer *p = sa->peer;
	struct ike_engine *eng = sa->eng;
	bool was_up = sa->established_ms != 0 && sa->state != IKE_STATE_REKEYED &&
		      !sa->rekeyed_into && !sa->rekey_lost;
	for (struct ike_child *c = sa->children; c; c = c->next)
		ike_child_kill(c, why);
	/* why may be down_reason itself (a Delete we sent for a reason set
	 * earlier): snprintf onto its own source would empty it. */
	if (why != sa->down_reason)
		snprintf(sa->down_reason, sizeof(sa->down_reason), "%s", why);
	why = sa->down_reason;
	ike_sa_set_state(sa, IKE_STATE_DEAD, why);
	if (was_up)
		eng->st.ike_down++;
	/* Another SA that will carry the tunnel (usable, or an attempt of
	 * ours) makes a new attempt needless; a half-open SA the peer began
	 * and abandoned does not: it would hold the tunnel down until it
	 * times out (30 s). */
	bool other_up = false, other_alive = false;
	for (struct ike_sa *o = p->sas; o; o = o->peer_next) {
		if (o == sa || o->state == IKE_STATE_DEAD)
			continue;
		other_up |= ike_sa_usable(o);
		other_alive |= ike_sa_ours_or_usable(o);
	}
	if (was_up && !other_up)
		probe_stale_auth(sa);
	if (p->up_reported && !other_up) {
		p->up_reported = false;
		if (!p->deleting)
			eng->host.ike_event(eng->host.ctx, p->cfg.tunnel_id, IKE_SA_DOWN, why);
	}
	/* At info: the tunnel layer says it at notice when routing loses the
	 * tunnel (ike_event above), and a Child SA a refusing peer deletes at
	 * once on every attempt must not log a notice per attempt. */
	if (was_up)
		log_info("ike: tunnel %u: IKE SA down: %s", p->cfg.tunnel_id, why);
	if (reinit && !other_alive)
		ike_peer_schedule_reinit(p);
}

void ike_gc(struct ike_engine *eng)
{
	/* Called after every message and timer: a walk of every peer only
	 * when something died since the last one (a hub's thousands of
	 * tunnels made it O(N) per packet). */
	if (!eng->dead_pending)
		return;
	eng->dead_pending = 0;
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		struct ike_sa **pp = &p->sas;
		while (*pp) {
			struct ike_sa *sa = *pp;
			if (sa->state == IKE_STATE_DEAD) {
				*pp = sa->peer_next;
				for (struct ike_sa *o = p->sas; o; o = o->peer_next) {
					if (o->task_new_sa == sa)
						o->task_new_sa = NULL;
					if (o->rekeyed_into == sa)
						o->rekeyed_into = NULL;
					if (o->coll_sa == sa)
						o->coll_sa = NULL;
				}
				hash_del(sa);
				ike_sa_free(sa);
				continue;
			}
			struct ike_child **cp = &sa->children;
			while (*cp) {
				struct ike_child *c = *cp;
				if (c->state == CHILD_DEAD) {
					*cp = c->next;
					for (struct ike_sa *os = p->sas; os; os = os->peer_next) {
						for (struct ike_child *o = os->children; o;
						     o = o->next) {
							if (o->replaced_by == c)
								o->replaced_by = NULL;
							if (o->coll_child == c)
								o->coll_child = NULL;
						}
						if (os->task_child == c)
							os->task_child = NULL;
						if (os->task_new_child == c)
							os->task_new_child = NULL;
					}
					child_unhash(c);
					OPENSSL_cleanse(c, sizeof(*c));
					free(c);
					continue;
				}
				cp = &c->next;
			}
			pp = &sa->peer_next;
		}
	}
}

/* ---- lifetimes and Child SA installation ---- */
void ike_sa_schedule(struct ike_sa *sa)
{
	uint64_t now = ike_now(sa->eng), life = sa->peer->cfg.ike_lifetime_s * 1000ull;
	/* Rekey at 90 % less up to 5 % at random, so both ends rarely collide. */
	uint64_t jitter = life / 20 ? ike_rand32(sa->eng) % (life / 20) : 0;
	sa->rekey_at = now + life / 10 * 9 - jitter;
	sa->expire_at = now + life;
}

static void child_schedule(struct ike_sa *sa, struct ike_child *c)
{
	uint64_t now = ike_now(sa->eng), life = sa->peer->cfg.child_lifetime_s * 1000ull;
	uint64_t jitter = life / 20 ? ike_rand32(sa->eng) % (life / 20) : 0;
	c->up_ms = now;
	c->rekey_at = now + life / 10 * 9 - jitter;
	c->expire_at = now + life;
}

static bool peer_child_up(const struct ike_peer *p, const struct ike_child *except)
{
	for (const struct ike_sa *o = p->sas; o; o = o->peer_next)
		for (const struct ike_child *c = o->children; c; c = c->next)
			if (c != except && c->reported_up)
				return true;
	return false;
}

int ike_child_install(struct ike_sa *sa, struct ike_child *c, const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		      bool we_initiated, bool rekey)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	struct ike_child_keys k;
	int err = ike_derive_child_keys(sa->prf, sa->keys.sk_d, gir, gir_len, ni, ni_len, nr,
					nr_len, c->encr, c->integ, &k);
	if (err < 0)
		return err;
	struct ike_child_sa cs;
	memset(&cs, 0, sizeof(cs));
	cs.tunnel_id = p->cfg.tunnel_id;
	cs.spi_in = c->spi_in;
	cs.spi_out = c->spi_out;
	cs.encr = c->encr;
	cs.integ = c->integ;
	memcpy(cs.key_out_encr, we_initiated ? k.encr_i : k.encr_r, k.encr_len);
	memcpy(cs.key_in_encr, we_initiated ? k.encr_r : k.encr_i, k.encr_len);
	memcpy(cs.key_out_integ, we_initiated ? k.integ_i : k.integ_r, k.integ_len);
	memcpy(cs.key_in_integ, we_initiated ? k.integ_r : k.integ_i, k.integ_len);
	cs.encr_key_len = (uint8_t)k.encr_len;
	cs.integ_key_len = (uint8_t)k.integ_len;
	cs.transport = c->transport;
	cs.esn = c->esn;
	cs.pfs = c->pfs;
	/* IKE may float to 4500 without a NAT (strongSwan does); ESP goes in
	 * UDP only when a NAT was seen or encapsulation is forced. */
	if (sa->natt && (sa->nat_local || sa->nat_remote || p->cfg.force_encap)) {
		cs.natt_local_port = ntohs(sa->local.sin_port);
		cs.natt_remote_port = ntohs(sa->remote.sin_port);
	}
	cs.local = sa->local;
	cs.remote = sa->remote;
	cs.local.sin_port = cs.remote.sin_port = 0;
	cs.lifetime_s = p->cfg.child_lifetime_s;
	cs.lifetime_kb = p->cfg.child_lifetime_kb;
	cs.replay_window = p->cfg.replay_window;
	cs.rekey = rekey || peer_child_up(p, c);
	cs.responder = !we_initiated;
	ike_child_set_state(c, CHILD_INSTALLED, rekey ? "rekeyed" : "created");
	/* The tunnel carries: only now is the back-off over (an IKE SA whose
	 * Child SA is refused is no success). */
	p->backoff_ms = 0;
	child_schedule(sa, c);
	c->reported_up = true;
	eng->st.child_up++;
	ike_keylog_child(sa, &cs);
	eng->host.child_up(eng->host.ctx, &cs);
	OPENSSL_cleanse(&cs, sizeof(cs));
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}
