/* engine.c: the ike.h API: peers, message input and output, the request
 * window, retransmissions and every timer.
 *
 * Input path (each step its own function, each refusal counted):
 *   decode (msg.c) -> find the SA by our SPI -> message-ID window ->
 *   reassemble SKF -> open SK (crypto.c) -> decode the inner chain ->
 *   payload rules (rules.c) -> the exchange's process_r/build_r or
 *   process_i (exch_*.c).
 *
 * Timers: nothing is armed in the OS.  Each SA and peer carries deadlines
 * (retransmit, DPD, rekey, expiry, half-open, re-initiation);
 * ike_next_deadline() is their minimum and ike_run_timers() acts on those
 * that passed.  Requests are retransmitted after 0.5 s, doubling, and the
 * SA is given up after IKE_RETX_TRIES; a DPD probe is retried every
 * dpd_retry_s instead.  An active peer whose last SA died is re-initiated
 * after 1 s, doubling up to 30 s, since tunnels are always on. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

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
	free(eng->keylog_path);
	OPENSSL_cleanse(eng, sizeof(*eng));
	free(eng);
}

static struct ike_peer *peer_by_id(struct ike_engine *eng, uint32_t id)
{
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		if (p->cfg.tunnel_id == id)
			return p;
	return NULL;
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
	struct ike_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->eng = eng;
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
	if (p->cfg.dpd_interval_s && !p->cfg.dpd_retry_s)
		p->cfg.dpd_retry_s = 2;
	p->next = eng->peers;
	eng->peers = p;
	if (!p->cfg.passive)
		ike_peer_initiate(p);
	ike_gc(eng);
	return 0;
}

/* A Delete (or, with notify, an error notify that ends the SA) that
 * outlives its SA: the SA is gone as soon as it is sent, the
 * sealed request stays in the farewell table until the peer answers.  It
 * takes the message ID of any request still in flight: a peer that has not
 * seen that request yet takes the Delete instead, one that has answers from
 * its cache and learns of the end through DPD or our next INITIAL_CONTACT. */
void ike_send_final(struct ike_sa *sa, uint16_t notify)
{
	uint8_t buf[256];
	struct ike_wbuf w;
	uint32_t msgid = sa->msgid_out;
	ike_msg_start(sa, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL, false, msgid);
	if (notify)
		ike_w_notify(&w, 0, NULL, 0, notify, NULL, 0);
	else
		ike_w_delete(&w, IKEV2_PROTO_IKE, 0, NULL, 0);
	sa->task = TASK_NONE;
	if (ike_msg_send(sa, &w, false) == 0)
		ike_farewell_add(sa, msgid);
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
}

int ike_peer_del(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return -ENOENT;
	p->deleting = true;
	/* One polite Delete per live SA, not retransmitted: we forget the peer now. */
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (sa->have_keys && sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_INIT &&
		    sa->state != IKE_STATE_AUTH)
			ike_send_final(sa, 0);
		ike_sa_kill(sa, "peer deleted", false);
	}
	struct ike_peer **pp = &eng->peers;
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	peer_free(p);
	ike_gc(eng);
	return 0;
}

/* ---- output ---- */
int ike_send_raw(struct ike_engine *eng, const struct sockaddr_in *from,
		 const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
	eng->st.tx++;
	return eng->host.send(eng->host.ctx, from, to, msg, len);
}

void ike_msg_start(struct ike_sa *sa, struct ike_wbuf *w, uint8_t *buf, size_t cap, uint8_t exch,
		   bool response, uint32_t msgid)
{
	ike_w_init(w, buf, cap);
	uint8_t flags =
	    (sa->initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0);
	ike_w_hdr(w, sa->spi_i, sa->spi_r, exch, flags, msgid);
	if (exch != IKEV2_EXCH_IKE_SA_INIT) {
		ike_w_begin(w, IKEV2_PL_SK);
		ike_w_skip(w, sa->encr->iv_len);
	}
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* RFC 7383 2.5: splits the plaintext of an SK message into SKF messages,
 * each sealed on its own.  Returns the number of fragments or -errno. */
static int fragment(struct ike_sa *sa, const uint8_t *buf, size_t plain_off, size_t plain_len,
		    uint8_t first, uint8_t ***out, size_t **out_len)
{
	size_t overhead = IKEV2_HDR_LEN + 8 + sa->encr->iv_len + sa->encr->block_len +
			  (sa->integ ? sa->integ->icv_len : sa->encr->icv_len) + 1;
	if (sa->eng->frag_size <= overhead + 16)
		return -EMSGSIZE;
	size_t chunk = sa->eng->frag_size - overhead;
	size_t n = (plain_len + chunk - 1) / chunk;
	if (n == 0)
		n = 1;
	if (n > 32)
		return -EMSGSIZE;
	uint8_t **fr = calloc(n, sizeof(*fr));
	size_t *fl = calloc(n, sizeof(*fl));
	if (!fr || !fl) {
		free(fr);
		free(fl);
		return -ENOMEM;
	}
	const uint8_t *ke = sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
	const uint8_t *ka = sa->initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
	for (size_t i = 0; i < n; i++) {
		size_t off = i * chunk, len = plain_len - off < chunk ? plain_len - off : chunk;
		size_t cap = IKEV2_HDR_LEN + 8 + ike_sk_sealed_len(sa->encr, sa->integ, len) + 64;
		uint8_t *f = malloc(cap);
		if (!f)
			goto fail;
		memcpy(f, buf, IKEV2_HDR_LEN);
		f[16] = IKEV2_PL_SKF;
		size_t total = IKEV2_HDR_LEN + 8 + ike_sk_sealed_len(sa->encr, sa->integ, len);
		f[24] = (uint8_t)(total >> 24);
		f[25] = (uint8_t)(total >> 16);
		f[26] = (uint8_t)(total >> 8);
		f[27] = (uint8_t)total;
		uint8_t *g = f + IKEV2_HDR_LEN;
		size_t pl = total - IKEV2_HDR_LEN;
		g[0] = i == 0 ? first : 0;
		g[1] = 0;
		g[2] = (uint8_t)(pl >> 8);
		g[3] = (uint8_t)pl;
		g[4] = (uint8_t)((i + 1) >> 8);
		g[5] = (uint8_t)(i + 1);
		g[6] = (uint8_t)(n >> 8);
		g[7] = (uint8_t)n;
		memcpy(g + 8 + sa->encr->iv_len, buf + plain_off + off, len);
		size_t olen;
		if (ike_sk_seal(sa->encr, sa->integ, ke, ka, f, cap, IKEV2_HDR_LEN + 8, len,
				&olen) < 0) {
			free(f);
			goto fail;
		}
		fr[i] = f;
		fl[i] = olen;
	}
	*out = fr;
	*out_len = fl;
	return (int)n;
fail:
	for (size_t i = 0; i < n; i++)
		free(fr[i]);
	free(fr);
	free(fl);
	return -EIO;
}

static void send_frags(struct ike_sa *sa, uint8_t **fr, size_t *fl, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sa->eng->st.frag_tx++;
		ike_send_raw(sa->eng, &sa->local, &sa->remote, fr[i], fl[i]);
	}
}

int ike_msg_send(struct ike_sa *sa, struct ike_wbuf *w, bool response)
{
	struct ike_engine *eng = sa->eng;
	if (w->err)
		return -EMSGSIZE;
	uint8_t exch = w->buf[18];
	size_t len = w->len;
	if (exch != IKEV2_EXCH_IKE_SA_INIT) {
		size_t aad = IKEV2_HDR_LEN + IKEV2_GEN_HDR_LEN;
		size_t plain_off = aad + sa->encr->iv_len;
		size_t plain_len = w->len - plain_off;
		size_t total = aad + ike_sk_sealed_len(sa->encr, sa->integ, plain_len);
		if (total > w->cap || total > IKEV2_MAX_MSG)
			return -EMSGSIZE;
		if (total > eng->frag_size && sa->frag_ok && exch != IKEV2_EXCH_INFORMATIONAL) {
			uint8_t **fr;
			size_t *fl;
			int n = fragment(sa, w->buf, plain_off, plain_len, w->buf[28], &fr, &fl);
			if (n < 0)
				return n;
			send_frags(sa, fr, fl, (size_t)n);
			if (response) {
				sa->req_in_hashed = true;
				sa->resent = 0;
				for (size_t i = 0; i < sa->n_resp_frags; i++)
					free(sa->resp_frags[i]);
				free(sa->resp_frags);
				free(sa->resp_frag_len);
				sa->resp_frags = fr;
				sa->resp_frag_len = fl;
				sa->n_resp_frags = (size_t)n;
				free(sa->resp);
				sa->resp = NULL;
				sa->resp_len = 0;
				sa->msgid_in++;
			} else {
				/* Retransmit the whole message unfragmented is not
				 * allowed once fragmented (7383 2.6): keep the set
				 * as the request instead. */
				size_t tot = 0;
				for (int i = 0; i < n; i++)
					tot += 4 + fl[i];
				free(sa->req);
				sa->req = malloc(tot);
				sa->req_len = 0;
				if (sa->req) {
					for (int i = 0; i < n; i++) {
						uint32_t l = (uint32_t)fl[i];
						memcpy(sa->req + sa->req_len, &l, 4);
						memcpy(sa->req + sa->req_len + 4, fr[i], fl[i]);
						sa->req_len += 4 + fl[i];
					}
				}
				for (int i = 0; i < n; i++)
					free(fr[i]);
				free(fr);
				free(fl);
				sa->retx_count = 0;
				sa->unreach_hits = 0;
				sa->retx_at = ike_now(eng) + IKE_RETX_BASE_MS;
				sa->req_is_frags = true;
			}
			return 0;
		}
		ike_w_put32(w, 24, (uint32_t)total);
		ike_w_put16(w, IKEV2_HDR_LEN + 2, (uint16_t)(total - IKEV2_HDR_LEN));
		const uint8_t *ke = sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
		const uint8_t *ka = sa->initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
		int err =
		    ike_sk_seal(sa->encr, sa->integ, ke, ka, w->buf, w->cap, aad, plain_len, &len);
		if (err < 0)
			return err;
	} else {
		ike_w_finish(w);
	}
	if (response) {
		/* req_in_hash was taken as the request came in (IKE_SA_INIT
		 * answers keep the whole request in init_i instead). */
		sa->req_in_hashed = exch != IKEV2_EXCH_IKE_SA_INIT;
		sa->resent = 0;
		free(sa->resp);
		sa->resp = dup_bytes(w->buf, len);
		sa->resp_len = sa->resp ? len : 0;
		if (sa->n_resp_frags) {
			for (size_t i = 0; i < sa->n_resp_frags; i++)
				free(sa->resp_frags[i]);
			free(sa->resp_frags);
			free(sa->resp_frag_len);
			sa->resp_frags = NULL;
			sa->resp_frag_len = NULL;
			sa->n_resp_frags = 0;
		}
		sa->msgid_in++;
	} else {
		free(sa->req);
		sa->req = dup_bytes(w->buf, len);
		sa->req_len = sa->req ? len : 0;
		sa->req_is_frags = false;
		sa->retx_count = 0;
		sa->unreach_hits = 0;
		sa->retx_at = ike_now(eng) + IKE_RETX_BASE_MS;
	}
	int sent = ike_send_raw(eng, &sa->local, &sa->remote, w->buf, len);
	if (!response && sent < 0 && !sa->told_unreachable &&
	    (sent == -ENETUNREACH || sent == -EHOSTUNREACH || sent == -EHOSTDOWN ||
	     sent == -EADDRNOTAVAIL)) {
		sa->told_unreachable = true;
		ike_fail(sa->peer, sa, IKE_FAIL_UNREACHABLE, 0, false, "cannot send to %s: %s",
			 inet_ntoa(sa->remote.sin_addr), strerror(-sent));
	}
	return 0;
}

static void send_request_again(struct ike_sa *sa)
{
	if (!sa->req)
		return;
	if (!sa->req_is_frags) {
		ike_send_raw(sa->eng, &sa->local, &sa->remote, sa->req, sa->req_len);
		return;
	}
	size_t off = 0;
	while (off + 4 <= sa->req_len) {
		uint32_t l;
		memcpy(&l, sa->req + off, 4);
		ike_send_raw(sa->eng, &sa->local, &sa->remote, sa->req + off + 4, l);
		off += 4 + l;
	}
}

static void send_response_again(struct ike_sa *sa)
{
	if (sa->n_resp_frags)
		send_frags(sa, sa->resp_frags, sa->resp_frag_len, sa->n_resp_frags);
	else if (sa->resp)
		ike_send_raw(sa->eng, &sa->local, &sa->remote, sa->resp, sa->resp_len);
}

/* ---- tasks and the window ---- */
const struct ike_task_ops *ike_task_ops_of(enum ike_task_kind k)
{
	switch (k) {
	case TASK_INIT:
		return &ike_task_init;
	case TASK_AUTH:
		return &ike_task_auth;
	case TASK_CHILD_REKEY:
		return &ike_task_child_rekey;
	case TASK_IKE_REKEY:
		return &ike_task_ike_rekey;
	case TASK_DELETE_CHILD:
		return &ike_task_delete_child;
	case TASK_DELETE_IKE:
		return &ike_task_delete_ike;
	case TASK_DPD:
		return &ike_task_dpd;
	default:
		return NULL;
	}
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

void ike_sa_kick(struct ike_sa *sa)
{
	if (sa->task != TASK_NONE || sa->state == IKE_STATE_DEAD)
		return;
	int err = 0;
	if (sa->state == IKE_STATE_INIT) {
		if (sa->initiator && !sa->by_rekey && sa->msgid_out == 0 && !sa->init_r)
			err = start_task(sa, TASK_INIT);
	} else if (sa->state == IKE_STATE_AUTH) {
		if (sa->initiator && sa->msgid_out == 1)
			err = start_task(sa, TASK_AUTH);
	} else if (sa->state != IKE_STATE_DELETING) {
		struct ike_child *del = NULL, *rek = NULL;
		for (struct ike_child *c = sa->children; c; c = c->next) {
			if (c->pending_delete && !del && c->state != CHILD_DEAD)
				del = c;
			if (c->pending_rekey && !rek && c->state == CHILD_INSTALLED)
				rek = c;
		}
		if (sa->pending_delete) {
			sa->pending_delete = false;
			err = start_task(sa, TASK_DELETE_IKE);
		} else if (del) {
			del->pending_delete = false;
			sa->task_child = del;
			err = start_task(sa, TASK_DELETE_CHILD);
		} else if (sa->state == IKE_STATE_REKEYED) {
			/* only deletes run on a replaced SA */
		} else if (sa->pending_rekey && sa->state == IKE_STATE_ESTABLISHED) {
			sa->pending_rekey = false;
			err = start_task(sa, TASK_IKE_REKEY);
		} else if (rek) {
			rek->pending_rekey = false;
			sa->task_child = rek;
			err = start_task(sa, TASK_CHILD_REKEY);
		} else if (sa->pending_dpd) {
			sa->pending_dpd = false;
			err = start_task(sa, TASK_DPD);
		}
	}
	if (err < 0)
		ike_sa_kill(sa, "cannot build request", true);
}

/* ---- peers: initiation and back-off ---- */
void ike_peer_initiate(struct ike_peer *p)
{
	p->reinit_at = 0;
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
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : IKE_REINIT_BASE_MS;
	if (p->backoff_ms > IKE_REINIT_MAX_MS)
		p->backoff_ms = IKE_REINIT_MAX_MS;
	uint32_t jitter = ike_rand32(p->eng) % (p->backoff_ms / 4 + 1);
	p->reinit_at = ike_now(p->eng) + p->backoff_ms + jitter;
}

int64_t ike_next_attempt_ms(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p || !p->reinit_at)
		return -1;
	uint64_t now = ike_now(eng);
	return p->reinit_at > now ? (int64_t)(p->reinit_at - now) : 0;
}

/* ---- input ---- */
static void count_decode(struct ike_engine *eng, enum ike_decode_err why)
{
	if (why < IKE_DEC_MAX)
		eng->st.dec_err[why]++;
	log_warn_rl("ike: message refused: %s", ike_decode_err_str(why));
}

/* RFC 7383 2.6.2: collects SKF fragments (each already authenticated and
 * decrypted) until all have come.  Returns true when the message is whole;
 * the plaintext is then the concatenation of sa->frag_buf[]. */
static bool frag_add(struct ike_sa *sa, const struct ike_msg *m, uint16_t num, uint16_t total,
		     const uint8_t *plain, size_t len)
{
	struct ike_engine *eng = sa->eng;
	if (total > 32 || num > total) {
		eng->st.frag_drop++;
		return false;
	}
	if (sa->frag_total && (sa->frag_msgid != m->hdr.msgid || sa->frag_total != total)) {
		if (m->hdr.msgid == sa->frag_msgid && total > sa->frag_total) {
			/* Resent with a smaller MTU: start over (2.6.2). */
		} else if (m->hdr.msgid != sa->frag_msgid) {
			/* A new message: the old one is abandoned. */
		} else {
			eng->st.frag_drop++;
			return false;
		}
		for (size_t i = 0; i < 32; i++) {
			free(sa->frag_buf[i]);
			sa->frag_buf[i] = NULL;
		}
		sa->frag_total = sa->frag_have = 0;
	}
	if (!sa->frag_total) {
		sa->frag_total = total;
		sa->frag_msgid = m->hdr.msgid;
		sa->frag_started = ike_now(eng);
	}
	if (sa->frag_buf[num - 1])
		return false; /* duplicate */
	size_t sum = 0;
	for (size_t i = 0; i < 32; i++)
		sum += sa->frag_len[i];
	if (sum + len > 65535) {
		eng->st.frag_drop++;
		return false;
	}
	sa->frag_buf[num - 1] = dup_bytes(plain, len);
	if (!sa->frag_buf[num - 1])
		return false;
	sa->frag_len[num - 1] = len;
	if (num == 1)
		sa->frag_first = m->sk_first;
	sa->frag_have++;
	eng->st.frag_rx++;
	return sa->frag_have == sa->frag_total;
}

static void respond_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
			  const uint8_t *data, size_t len)
{
	uint8_t buf[512];
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, sizeof(buf), m->hdr.exch, true, m->hdr.msgid);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	ike_msg_send(sa, &w, true);
}

static void handle_request(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_xch x;
	memset(&x, 0, sizeof(x));
	x.req = m;
	int err = 0;
	int (*build)(struct ike_sa *, struct ike_xch *, struct ike_wbuf *) = NULL;
	switch (m->hdr.exch) {
	case IKEV2_EXCH_IKE_AUTH:
		if (sa->initiator || sa->state != IKE_STATE_AUTH) {
			sa->eng->st.bad_msgid++;
			return;
		}
		err = ike_auth_process_r(sa, &x);
		build = ike_auth_build_r;
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		if (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH)
			return;
		err = ike_child_process_r(sa, &x);
		build = ike_child_build_r;
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH)
			return;
		err = ike_info_process_r(sa, &x);
		build = ike_info_build_r;
		break;
	default:
		return;
	}
	(void)err;
	/* The rules let it through, the handler found it malformed: counted
	 * here, once, whichever check it failed. */
	if (x.error == IKEV2_N_INVALID_SYNTAX)
		sa->eng->st.bad_payload++;
	uint8_t *buf = malloc(IKE_MSG_BUF);
	if (!buf) {
		ike_dh_free(x.dh);
		return;
	}
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, IKE_MSG_BUF, m->hdr.exch, true, m->hdr.msgid);
	if (build(sa, &x, &w) == 0)
		ike_msg_send(sa, &w, true);
	OPENSSL_cleanse(buf, w.len < IKE_MSG_BUF ? w.len : IKE_MSG_BUF);
	free(buf);
	ike_dh_free(x.dh);
	OPENSSL_cleanse(&x, sizeof(x));
}

static void handle_response(struct ike_sa *sa, const struct ike_msg *m)
{
	enum ike_task_kind k = sa->task;
	const struct ike_task_ops *ops = ike_task_ops_of(k);
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	sa->task = TASK_NONE;
	sa->msgid_out++;
	int err = ops->process_i(sa, m);
	if (err < 0 && sa->state != IKE_STATE_DEAD)
		log_dbg(LOG_DBG_IKE, "ike: tunnel %u: response refused: %s",
			sa->peer->cfg.tunnel_id, strerror(-err));
	ike_sa_kick(sa);
}

/* Our IKE_SA_INIT is answered without authentication: the request stays
 * in flight until a response completes the exchange (init_process_i says
 * which do), so a forged refusal cannot end a negotiation that a genuine
 * response would complete. */
static void handle_init_response(struct ike_sa *sa, const struct ike_msg *m)
{
	int r = ike_task_init.process_i(sa, m);
	if (r == -EAGAIN || sa->state == IKE_STATE_DEAD)
		return;
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	sa->task = TASK_NONE;
	if (r == 0)
		sa->msgid_out++;
	ike_sa_kick(sa);
}

/* The SHA-256 of a received request, to tell its retransmission from a
 * different message that reuses its message ID. */
static void request_hash(const uint8_t *msg, size_t len, uint8_t out[32])
{
	unsigned int n = 0;
	if (!EVP_Digest(msg, len, out, &n, EVP_sha256(), NULL) || n != 32)
		memset(out, 0, 32);
}

/* A cached response is sent again only for the very request it answered,
 * and not more often than a peer's retransmission timer would ask for it:
 * a message forged with known SPIs must not make us send (possibly large,
 * fragmented) responses at will. */
static bool resend_allowed(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	struct ike_engine *eng = sa->eng;
	uint8_t h[32];
	request_hash(msg, len, h);
	uint64_t now = ike_now(eng);
	if (!sa->req_in_hashed || CRYPTO_memcmp(h, sa->req_in_hash, 32) != 0 ||
	    sa->resent >= IKE_RESEND_MAX ||
	    (sa->resent && now < sa->resent_at + IKE_RESEND_MIN_MS)) {
		eng->st.resend_refused++;
		return false;
	}
	sa->resent++;
	sa->resent_at = now;
	return true;
}

/* Everything after the SA lookup for an encrypted exchange. */
static void input_protected(struct ike_sa *sa, const struct sockaddr_in *local,
			    const struct sockaddr_in *remote, const uint8_t *msg, size_t len)
{
	struct ike_engine *eng = sa->eng;
	bool response = msg[19] & IKEV2_FLAG_RESPONSE;
	uint32_t msgid =
	    (uint32_t)msg[20] << 24 | (uint32_t)msg[21] << 16 | (uint32_t)msg[22] << 8 | msg[23];
	if (!sa->have_keys) {
		eng->st.no_sa++;
		return;
	}
	if (response) {
		if (sa->task == TASK_NONE || msgid != sa->msgid_out) {
			eng->st.bad_msgid++;
			return;
		}
	} else if (msgid + 1 == sa->msgid_in && (sa->resp || sa->n_resp_frags)) {
		/* A retransmitted request: answer from the cache, the work is done.
		 * Only answer once the whole request was seen again if it came in
		 * fragments: the first fragment is enough to tell. */
		eng->st.rx_retransmits++;
		struct ike_msg tmp;
		if (ike_msg_decode(msg, len, &tmp, NULL) == 0 && tmp.sk >= 0 &&
		    tmp.pl[tmp.sk].type == IKEV2_PL_SKF) {
			struct ike_skf_pl f;
			if (ike_skf_pl_decode(tmp.pl[tmp.sk].body, tmp.pl[tmp.sk].len, &f) < 0 ||
			    f.num != 1)
				return;
		}
		if (resend_allowed(sa, msg, len))
			send_response_again(sa);
		return;
	} else if (msgid != sa->msgid_in) {
		eng->st.bad_msgid++;
		return;
	}
	uint8_t *buf = dup_bytes(msg, len);
	if (!buf)
		return;
	struct ike_msg m;
	enum ike_decode_err why;
	uint8_t *whole = NULL;
	if (ike_msg_decode(buf, len, &m, &why) < 0 || m.sk < 0) {
		if (m.sk < 0 && why == IKE_DEC_OK)
			eng->st.rule_err++;
		else
			count_decode(eng, why);
		goto out;
	}
	const struct ike_pl *sk = &m.pl[m.sk];
	size_t aad = sk->off + IKEV2_GEN_HDR_LEN;
	bool skf = sk->type == IKEV2_PL_SKF;
	struct ike_skf_pl f = {0, 0};
	if (skf) {
		if (ike_skf_pl_decode(sk->body, sk->len, &f) < 0) {
			eng->st.frag_drop++;
			goto out;
		}
		aad += 4;
	}
	const uint8_t *ke = sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
	const uint8_t *ka = sa->initiator ? sa->keys.sk_ar : sa->keys.sk_ai;
	size_t poff, plen;
	if (ike_sk_open(sa->encr, sa->integ, ke, ka, buf, m.raw_len, aad, &poff, &plen) < 0) {
		eng->st.sk_fail++;
		log_warn_rl("ike: tunnel %u: integrity check failed", sa->peer->cfg.tunnel_id);
		goto out;
	}
	sa->last_rx_ms = ike_now(eng);
	if (local->sin_port == htons(4500) &&
	    (!sa->natt || sa->remote.sin_port != remote->sin_port ||
	     sa->local.sin_port != local->sin_port)) {
		/* 2.23: once the peer moved to 4500 (NAT or forced encapsulation),
		 * answer where the authenticated message came from. */
		sa->natt = true;
		sa->local = *local;
		sa->remote = *remote;
	}
	uint8_t first = m.sk_first;
	const uint8_t *plain = buf + poff;
	if (!response && (!skf || f.num == 1))
		request_hash(msg, len, skf ? sa->frag1_hash : sa->req_in_hash);
	if (skf) {
		if (!frag_add(sa, &m, f.num, f.total, plain, plen))
			goto out;
		if (!response)
			memcpy(sa->req_in_hash, sa->frag1_hash, 32);
		size_t tot = 0;
		for (size_t i = 0; i < sa->frag_total; i++)
			tot += sa->frag_len[i];
		whole = malloc(tot ? tot : 1);
		if (!whole)
			goto out;
		tot = 0;
		for (size_t i = 0; i < sa->frag_total; i++) {
			memcpy(whole + tot, sa->frag_buf[i], sa->frag_len[i]);
			tot += sa->frag_len[i];
			free(sa->frag_buf[i]);
			sa->frag_buf[i] = NULL;
			sa->frag_len[i] = 0;
		}
		first = sa->frag_first;
		sa->frag_total = sa->frag_have = 0;
		plain = whole;
		plen = tot;
	}
	if (ike_msg_decode_inner(&m, first, plain, plen, &why) < 0) {
		count_decode(eng, why);
		if (!response && why == IKE_DEC_CRITICAL) {
			uint8_t t = m.unsupported_critical;
			respond_error(sa, &m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		} else if (!response) {
			respond_error(sa, &m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		}
		goto out;
	}
	uint8_t bad;
	enum ike_rule_err re = ike_rules_check(&m, &bad);
	if (re != IKE_RULE_OK) {
		eng->st.rule_err++;
		log_warn_rl("ike: tunnel %u: exchange %u refused: %s (payload %u)",
			    sa->peer->cfg.tunnel_id, m.hdr.exch, ike_rule_err_str(re), bad);
		if (!response)
			respond_error(sa, &m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	if (response) {
		if (m.hdr.exch != ike_task_ops_of(sa->task)->exch) {
			eng->st.rule_err++;
			goto out;
		}
		handle_response(sa, &m);
	} else {
		handle_request(sa, &m);
		ike_sa_kick(sa);
	}
out:
	if (whole) {
		OPENSSL_cleanse(whole, plen);
		free(whole);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
}

void ike_input(struct ike_engine *eng, const struct sockaddr_in *local,
	       const struct sockaddr_in *remote, const uint8_t *msg, size_t len)
{
	if (!eng || !msg)
		return;
	eng->st.rx++;
	struct ike_hdr h;
	if (len < IKEV2_HDR_LEN || ike_hdr_decode(msg, len, &h) < 0) {
		count_decode(eng, IKE_DEC_SHORT);
		return;
	}
	bool response = h.flags & IKEV2_FLAG_RESPONSE;
	bool from_initiator = h.flags & IKEV2_FLAG_INITIATOR;
	if (h.exch == IKEV2_EXCH_IKE_SA_INIT) {
		struct ike_msg m;
		enum ike_decode_err why;
		if (ike_msg_decode(msg, len, &m, &why) < 0) {
			count_decode(eng, why);
			return;
		}
		if (!response) {
			if (from_initiator)
				ike_init_request(eng, local, remote, &m);
		} else if (!from_initiator) {
			struct ike_sa *sa = ike_sa_lookup(eng, h.spi_i, true);
			if (!sa || sa->task != TASK_INIT || h.msgid != 0 ||
			    sa->remote.sin_addr.s_addr != remote->sin_addr.s_addr) {
				eng->st.no_sa++;
			} else {
				uint8_t bad;
				enum ike_rule_err re = ike_rules_check(&m, &bad);
				if (re != IKE_RULE_OK) {
					eng->st.rule_err++;
					log_warn_rl("ike: IKE_SA_INIT response refused: %s (%u)",
						    ike_rule_err_str(re), bad);
				} else {
					handle_init_response(sa, &m);
				}
			}
		}
		ike_gc(eng);
		return;
	}
	struct ike_sa *sa =
	    from_initiator ? ike_sa_lookup(eng, h.spi_r, false) : ike_sa_lookup(eng, h.spi_i, true);
	if (!sa || memcmp(from_initiator ? sa->spi_i : sa->spi_r,
			  from_initiator ? h.spi_i : h.spi_r, 8) != 0) {
		if (ike_farewell_input(eng, &h, remote))
			return;
		eng->st.no_sa++;
		log_warn_rl("ike: message for an unknown IKE SA from %s",
			    inet_ntoa(remote->sin_addr));
		return;
	}
	if (remote->sin_addr.s_addr != sa->remote.sin_addr.s_addr) {
		eng->st.no_sa++;
		return;
	}
	input_protected(sa, local, remote, msg, len);
	ike_gc(eng);
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

uint64_t ike_next_deadline(struct ike_engine *eng)
{
	uint64_t d = UINT64_MAX;
	if (!eng)
		return d;
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		if (p->reinit_at)
			d = min64(d, p->reinit_at);
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			d = min64(d, sa_deadline(sa));
	}
	if (eng->peers)
		d = min64(d, eng->cookie_rotated_ms + 120000);
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
				ike_fail(p, sa, ike_fail_class_of(sa->init_error), sa->init_error, true,
					 "peer %s refused IKE_SA_INIT with %s%s", peer,
					 nn ? nn : "an error",
					 sa->init_error == IKEV2_N_NO_PROPOSAL_CHOSEN
					     ? " (no IKE proposal of ours is acceptable there)"
					     : "");
			} else if (sa->task == TASK_DPD) {
				snprintf(why, sizeof(why), "dead peer detected");
				ike_fail(p, sa, IKE_FAIL_DEAD_PEER, 0, false,
					 "peer %s did not answer %u liveness checks (DPD)%s%s", peer,
					 tries, sa->unreach_hits ? "; " : "",
					 sa->unreach_hits ? sa->unreach_what : "");
			} else if (sa->unreach_hits) {
				snprintf(why, sizeof(why), "peer unreachable");
				ike_fail(p, sa, IKE_FAIL_UNREACHABLE, 0, false,
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
		if (sa->unreach_hits) /* the host said so once: no use waiting long */
			sa->retx_at = now + IKE_UNREACH_RETX_MS;
		else if (sa->task == TASK_DPD)
			sa->retx_at = now + p->cfg.dpd_retry_s * 1000ull;
		else
			sa->retx_at = now + ((uint64_t)IKE_RETX_BASE_MS << sa->retx_count);
		send_request_again(sa);
	}
	if (sa->frag_total && now >= sa->frag_started + IKE_HALF_OPEN_MS / 3) {
		sa->eng->st.frag_drop += sa->frag_have;
		for (size_t i = 0; i < 32; i++) {
			free(sa->frag_buf[i]);
			sa->frag_buf[i] = NULL;
			sa->frag_len[i] = 0;
		}
		sa->frag_total = sa->frag_have = 0;
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
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			sa_timers(sa, now);
		if (p->reinit_at && now >= p->reinit_at) {
			bool alive = false;
			for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
				alive |= sa->state != IKE_STATE_DEAD;
			if (alive)
				p->reinit_at = 0;
			else
				ike_peer_initiate(p);
		}
	}
	ike_farewell_timers(eng, now);
	ike_gc(eng);
}

void ike_set_cookie_threshold(struct ike_engine *eng, unsigned half_open)
{
	if (eng)
		eng->cookie_threshold = half_open;
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
	/* RFC 7296 2.4: an ICMP error is never proof that the peer failed;
	 * only unanswered tries are.  It shortens the wait for the next ones
	 * (hosts rate-limit ICMP, so not every try gets its error), so a host
	 * that answers "port unreachable" is given up after the usual number
	 * of tries in about 2 s instead of 15; the peer, if alive, still
	 * answers the first. */
	eng->st.icmp_errors++;
	sa_unreachable(sa, what);
}

void ike_peer_suspect(struct ike_engine *eng, uint32_t tunnel_id, const char *icmp)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p || !p->cfg.dpd_interval_s)
		return;
	/* RFC 3706 5.3's worry: ask now rather than after the idle interval,
	 * at most once per retry interval, on an SA with nothing in flight.
	 * An ICMP error for the tunnel's ESP also hurries a request already
	 * in flight, as one quoting the request itself does. */
	uint64_t now = ike_now(eng);
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (icmp && ike_sa_usable(sa) && sa->task != TASK_NONE) {
			eng->st.icmp_errors++;
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
}

void ike_traffic_seen(struct ike_engine *eng, uint32_t tunnel_id)
{
	struct ike_peer *p = eng ? peer_by_id(eng, tunnel_id) : NULL;
	if (!p)
		return;
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
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (ike_sa_usable(sa) || sa->state == IKE_STATE_REKEYED)
			ike_send_final(sa, 0);
		ike_sa_kill(sa, "cleared by operator", false);
	}
	p->backoff_ms = 0;
	p->reinit_at = 0;
	if (!p->cfg.passive)
		ike_peer_initiate(p);
	ike_gc(eng);
	return 0;
}
