/* exch_init.c: IKE_SA_INIT and IKE_AUTH (RFC 7296 1.2, 2.6, 2.10, 2.15,
 * 2.23; RFC 7383 2.3), and what follows establishment: Child SA
 * installation, lifetimes, INITIAL_CONTACT and duplicate IKE SAs.
 *
 * The responder keeps no state for an IKE_SA_INIT it refuses (unknown peer,
 * no proposal, wrong KE group, missing cookie): those answers are built
 * straight from the request.
 *
 * Duplicate IKE SAs (both ends initiated the same always-on tunnel at once):
 * once a peer has two established IKE SAs, the one whose exchanges carried
 * the lowest of the four nonces (RFC 7296 2.8.1's rule for rekey
 * collisions, reused) is surplus, and the end that initiated it deletes it.
 * Both ends see both SAs established sooner or later, so exactly one Delete
 * is sent, and one IKE SA with one Child SA pair remains. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* ---- NAT detection (2.23): SHA1(SPIi | SPIr | IP | port) ---- */
static int natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct sockaddr_in *a,
		     uint8_t out[20])
{
	uint8_t in[8 + 8 + 4 + 2];
	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	memcpy(in + 16, &a->sin_addr.s_addr, 4);
	memcpy(in + 20, &a->sin_port, 2);
	unsigned int len = 0;
	if (!EVP_Digest(in, sizeof(in), out, &len, EVP_sha1(), NULL) || len != 20)
		return -EIO;
	return 0;
}

/* force_encap fakes our source hash, as RFC 7296 2.23 permits, so the peer
 * sees a NAT and encapsulates ESP in UDP too. */
static void w_natd(struct ike_wbuf *w, const uint8_t spi_i[8], const uint8_t spi_r[8],
		   const struct sockaddr_in *local, const struct sockaddr_in *remote, bool fake)
{
	uint8_t h[20];
	if (fake ? ike_random(h, sizeof(h)) == 0 : natd_hash(spi_i, spi_r, local, h) == 0)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20);
	if (natd_hash(spi_i, spi_r, remote, h) == 0)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

/* Sets nat_local / nat_remote from the peer's NAT-D notifies; false if the
 * peer sent none (then NAT-T is not supported by it). */
static bool natd_check(struct ike_sa *sa, const struct ike_msg *m, const uint8_t spi_i[8],
		       const uint8_t spi_r[8], const struct sockaddr_in *local,
		       const struct sockaddr_in *remote)
{
	uint8_t hl[20], hr[20];
	bool any_src = false, src_match = false, dst_seen = false, dst_match = false;
	if (natd_hash(spi_i, spi_r, local, hl) < 0 || natd_hash(spi_i, spi_r, remote, hr) < 0)
		return false;
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) < 0 || n.len != 20)
			continue;
		if (n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			src_match |= memcmp(n.data, hr, 20) == 0;
		} else if (n.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
			dst_seen = true;
			dst_match |= memcmp(n.data, hl, 20) == 0;
		}
	}
	if (!any_src || !dst_seen)
		return false;
	sa->nat_remote = !src_match;
	sa->nat_local = !dst_match;
	return true;
}

static bool has_notify(const struct ike_msg *m, uint16_t type, struct ike_notify_pl *out)
{
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) == 0 && n.type == type) {
			if (out)
				*out = n;
			return true;
		}
	}
	return false;
}

/* The first error notify of a message, 0 if none. */
static uint16_t error_notify(const struct ike_msg *m)
{
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) == 0 && n.type <= IKEV2_N_ERROR_MAX)
			return n.type;
	}
	return 0;
}

static void use_natt(struct ike_sa *sa)
{
	if (sa->natt)
		return;
	sa->natt = true;
	sa->local.sin_port = htons(4500);
	sa->remote.sin_port = htons(4500);
}

static int derive(struct ike_sa *sa, const uint8_t *peer_ke, size_t peer_len)
{
	uint8_t gir[IKE_MAX_DH_SECRET];
	size_t gir_len = 0;
	int err = ike_dh_shared(sa->dh, peer_ke, peer_len, gir, sizeof(gir), &gir_len);
	if (err == 0)
		err = ike_derive_keys(sa->prf, sa->encr, sa->integ, sa->ni, sa->ni_len, sa->nr,
				      sa->nr_len, gir, gir_len, sa->spi_i, sa->spi_r, &sa->keys);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err == 0) {
		/* Kept on failure: the initiator still waits for the genuine
		 * response to the same request. */
		ike_dh_free(sa->dh);
		sa->dh = NULL;
		sa->have_keys = true;
		ike_keylog_ike(sa);
	}
	return err;
}

/* ---- IKE_SA_INIT, initiator ---- */
static int init_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	struct ike_peer *p = sa->peer;
	const struct suite *group = p->dh_hint ? p->dh_hint : p->cfg.ike[0].dh[0];
	int err;
	if (!sa->dh || ike_dh_group(sa->dh) != group) {
		ike_dh_free(sa->dh);
		sa->dh = NULL;
		if ((err = ike_dh_new(group, &sa->dh)) < 0)
			return err;
	}
	if (!sa->ni_len) {
		if ((err = ike_random(sa->ni, IKE_NONCE_LEN)) < 0)
			return err;
		sa->ni_len = IKE_NONCE_LEN;
	}
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t pub_len;
	if ((err = ike_dh_public(sa->dh, pub, sizeof(pub), &pub_len)) < 0)
		return err;
	if (sa->cookie) /* 2.6: the cookie goes first */
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_ike_props(&p->cfg, NULL, 0, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
	ike_w_ke(w, group->id, pub, pub_len);
	ike_w_nonce(w, sa->ni, sa->ni_len);
	static const uint8_t zero[8];
	w_natd(w, sa->spi_i, zero, &sa->local, &sa->remote, p->cfg.force_encap);
	ike_w_notify(w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	return w->err ? -EMSGSIZE : 0;
}

static bool group_configured(const struct ike_peer_cfg *cfg, const struct suite *g)
{
	for (size_t i = 0; i < cfg->n_ike; i++)
		for (size_t j = 0; j < cfg->ike[i].n_dh; j++)
			if (cfg->ike[i].dh[j] == g)
				return true;
	return false;
}

/* INVALID_KE_PAYLOAD is unauthenticated, so it may move us only to a group
 * of the tunnel's own proposal; to a weaker one only after our request went
 * unanswered through IKE_WEAK_KE_RETX retransmissions while the demand
 * kept coming (a responder that accepts our group answers long before, so
 * a forged demand alone never buys a downgrade), and never silently. */
static bool ke_demand_acceptable(struct ike_sa *sa, const struct suite *g)
{
	const struct ike_peer_cfg *cfg = &sa->peer->cfg;
	const struct suite *now = sa->dh ? ike_dh_group(sa->dh) : NULL;
	if (!g || g == now || !group_configured(cfg, g))
		return false;
	if (!now || g->strength >= now->strength)
		return true;
	if (sa->retx_count < IKE_WEAK_KE_RETX)
		return false;
	log_warn("ike: tunnel %u: peer insists on DH %s, weaker than the %s offered; using it",
		 cfg->tunnel_id, g->name, now->name);
	return true;
}

/* Everything an IKE_SA_INIT response says is unauthenticated (RFC 7296
 * 2.21.1).  Only COOKIE and INVALID_KE_PAYLOAD have a defined corrective
 * action, taken at once (IKE_INIT_RETRY); any other error, and anything
 * malformed or not matching our offer, is noted and otherwise ignored
 * (-EAGAIN): the request stays in flight and a genuine response that
 * follows still completes the exchange.  If none comes, the retransmission
 * timer gives up with the last refusal as the reason. */
static int init_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_peer *p = sa->peer;
	struct ike_engine *eng = sa->eng;
	struct ike_notify_pl n;
	if (has_notify(m, IKEV2_N_COOKIE, &n)) {
		if (n.len < 1 || n.len > 64 || sa->cookie_tries >= IKE_COOKIE_TRIES) {
			eng->st.cookie_bad++;
			return -EAGAIN;
		}
		if (sa->cookie && sa->cookie_len == n.len && memcmp(sa->cookie, n.data, n.len) == 0)
			return -EAGAIN; /* the answer to a request we already retried */
		uint8_t *c = malloc(n.len);
		if (!c)
			return -EAGAIN;
		memcpy(c, n.data, n.len);
		free(sa->cookie);
		sa->cookie = c;
		sa->cookie_len = n.len;
		sa->cookie_tries++;
		return IKE_INIT_RETRY; /* 2.6: the retry is message 0 again */
	}
	if (has_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, &n)) {
		eng->st.invalid_ke_rcvd++;
		uint16_t g = n.len == 2 ? (uint16_t)(n.data[0] << 8 | n.data[1]) : 0;
		const struct suite *s = suite_by_id(SUITE_DH, g, 0);
		if (!ke_demand_acceptable(sa, s)) {
			sa->init_error = IKEV2_N_INVALID_KE_PAYLOAD;
			log_warn_rl("ike: tunnel %u: INVALID_KE_PAYLOAD for group %u ignored for "
				    "now: not one of ours, or weaker than the one offered",
				    p->cfg.tunnel_id, g);
			return -EAGAIN;
		}
		log_info("ike: tunnel %u: peer wants DH %s, retrying", p->cfg.tunnel_id, s->name);
		p->dh_hint = s;
		return IKE_INIT_RETRY;
	}
	uint16_t e = error_notify(m);
	if (e) {
		if (e == IKEV2_N_NO_PROPOSAL_CHOSEN)
			eng->st.bad_proposal++;
		sa->init_error = e;
		log_dbg(LOG_DBG_IKE, "ike: tunnel %u: IKE_SA_INIT refused (notify %u), waiting",
			p->cfg.tunnel_id, e);
		return -EAGAIN;
	}
	static const uint8_t zero[8];
	struct ike_sa_pl sap;
	struct ike_ke_pl ke;
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *kp = ike_msg_find(m, IKEV2_PL_KE, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	struct ike_prop offered[IKE_MAX_PROPOSALS], chosen;
	size_t n_off = ike_build_ike_props(&p->cfg, NULL, 0, offered, IKE_MAX_PROPOSALS);
	const struct suite *dh = NULL, *encr, *integ, *prf;
	if (!sp || !kp || !np || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ke_pl_decode(kp->body, kp->len, &ke) < 0 || np->len < 16 ||
	    np->len > IKE_MAX_NONCE || memcmp(m->hdr.spi_r, zero, 8) == 0) {
		eng->st.bad_payload++;
		sa->init_error = IKEV2_N_INVALID_SYNTAX;
		return -EAGAIN;
	}
	if (!sa->dh || ike_check_chosen(offered, n_off, &sap, &chosen) < 0 ||
	    ike_prop_suites(&chosen, &encr, &integ, &prf, &dh, NULL) < 0 || !dh ||
	    dh != ike_dh_group(sa->dh) || ke.group != dh->id) {
		eng->st.bad_proposal++;
		sa->init_error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		log_warn_rl("ike: tunnel %u: IKE_SA_INIT response chose a proposal we did not "
			    "offer, ignored",
			    p->cfg.tunnel_id);
		return -EAGAIN;
	}
	uint8_t *init_r = malloc(m->raw_len);
	if (!init_r)
		return -EAGAIN;
	sa->encr = encr;
	sa->integ = integ;
	sa->prf = prf;
	sa->dh_group = dh;
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	memcpy(sa->nr, np->body, np->len);
	sa->nr_len = np->len;
	int err = derive(sa, ke.data, ke.len);
	if (err < 0) {
		/* A bad public value: not the genuine responder, or a broken one. */
		free(init_r);
		memset(sa->spi_r, 0, 8);
		sa->nr_len = 0;
		eng->st.bad_payload++;
		sa->init_error = IKEV2_N_INVALID_SYNTAX;
		return -EAGAIN;
	}
	memcpy(init_r, m->raw, m->raw_len);
	free(sa->init_r);
	sa->init_r = init_r;
	sa->init_r_len = m->raw_len;
	sa->init_error = 0;
	sa->frag_ok = has_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
	bool natd = natd_check(sa, m, sa->spi_i, sa->spi_r, &sa->local, &sa->remote);
	if ((natd && (sa->nat_local || sa->nat_remote)) || p->cfg.force_encap)
		use_natt(sa);
	p->dh_hint = NULL;
	ike_sa_set_state(sa, IKE_STATE_AUTH, "IKE_SA_INIT done");
	return 0;
}

const struct ike_task_ops ike_task_init = {
    .exch = IKEV2_EXCH_IKE_SA_INIT,
    .build_i = init_build_i,
    .process_i = init_process_i,
};

/* ---- IKE_SA_INIT, responder (stateless until accepted) ---- */
static void send_stateless(struct ike_engine *eng, const struct sockaddr_in *local,
			   const struct sockaddr_in *remote, const struct ike_msg *req,
			   uint16_t type, const void *data, size_t len)
{
	uint8_t buf[256];
	struct ike_wbuf w;
	static const uint8_t zero[8];
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, req->hdr.spi_i, zero, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	ike_w_finish(&w);
	if (!w.err)
		ike_send_raw(eng, local, remote, buf, w.len);
}

/* 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>).
 * The version names the secret, so a cookie handed out just before a
 * rotation is still checked against the secret that made it. */
static int cookie_make(const uint8_t *secret, uint8_t version, const struct ike_msg *m,
		       const struct sockaddr_in *remote, const uint8_t *ni, size_t ni_len,
		       uint8_t out[33])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, ni, ni_len) &&
		 EVP_DigestUpdate(ctx, &remote->sin_addr.s_addr, 4) &&
		 EVP_DigestUpdate(ctx, m->hdr.spi_i, 8) && EVP_DigestUpdate(ctx, secret, 32) &&
		 EVP_DigestFinal_ex(ctx, out + 1, &len);
	EVP_MD_CTX_free(ctx);
	out[0] = version;
	return ok && len == 32 ? 0 : -EIO;
}

/* True when the request may proceed; otherwise a COOKIE was demanded. */
static bool cookie_ok(struct ike_engine *eng, const struct sockaddr_in *local,
		      const struct sockaddr_in *remote, const struct ike_msg *m)
{
	if (eng->half_open < eng->cookie_threshold)
		return true;
	const struct ike_pl *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	if (!np)
		return false;
	uint8_t want[33];
	struct ike_notify_pl n;
	const struct ike_pl *first = m->n ? &m->pl[0] : NULL;
	if (first && first->type == IKEV2_PL_NOTIFY &&
	    ike_notify_pl_decode(first->body, first->len, &n) == 0 && n.type == IKEV2_N_COOKIE &&
	    n.len == 33) {
		uint8_t v = n.data[0];
		const uint8_t *secret = v == eng->cookie_version ? eng->cookie_secret
					: eng->cookie_old_valid && v == (uint8_t)(eng->cookie_version - 1)
					    ? eng->cookie_secret_old
					    : NULL;
		if (secret && cookie_make(secret, v, m, remote, np->body, np->len, want) == 0 &&
		    ike_memeq_ct(want + 1, n.data + 1, 32) == 0)
			return true;
		eng->st.cookie_bad++;
	}
	if (cookie_make(eng->cookie_secret, eng->cookie_version, m, remote, np->body, np->len,
			want) == 0) {
		eng->st.cookies_sent++;
		send_stateless(eng, local, remote, m, IKEV2_N_COOKIE, want, sizeof(want));
	}
	return false;
}

static struct ike_peer *peer_by_addr(struct ike_engine *eng, const struct sockaddr_in *local,
				     const struct sockaddr_in *remote)
{
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		if (p->deleting || p->cfg.remote.sin_addr.s_addr != remote->sin_addr.s_addr)
			continue;
		if (p->cfg.local.sin_addr.s_addr &&
		    p->cfg.local.sin_addr.s_addr != local->sin_addr.s_addr)
			continue;
		return p;
	}
	return NULL;
}

void ike_init_request(struct ike_engine *eng, const struct sockaddr_in *local,
		      const struct sockaddr_in *remote, const struct ike_msg *m)
{
	static const uint8_t zero[8];
	if (memcmp(m->hdr.spi_r, zero, 8) != 0 || m->hdr.msgid != 0) {
		eng->st.no_sa++;
		return;
	}
	if (memcmp(m->hdr.spi_i, zero, 8) == 0) { /* 3.1: SPIi is never zero */
		eng->st.zero_spi++;
		return;
	}
	struct ike_peer *p = peer_by_addr(eng, local, remote);
	if (!p) {
		eng->st.unknown_peer++;
		log_info_rl("ike: IKE_SA_INIT from unknown peer %s refused",
			    inet_ntoa(remote->sin_addr));
		return;
	}
	/* A retransmitted request: answer with the response we kept. */
	for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
		if (sa->initiator || sa->state == IKE_STATE_DEAD ||
		    memcmp(sa->spi_i, m->hdr.spi_i, 8) != 0 ||
		    sa->remote.sin_addr.s_addr != remote->sin_addr.s_addr)
			continue;
		if (sa->init_i && sa->init_i_len == m->raw_len &&
		    memcmp(sa->init_i, m->raw, m->raw_len) == 0 && sa->init_r) {
			eng->st.rx_retransmits++;
			uint64_t now = ike_now(eng);
			if (sa->resent >= IKE_RESEND_MAX ||
			    (sa->resent && now < sa->resent_at + IKE_RESEND_MIN_MS)) {
				eng->st.resend_refused++;
				return;
			}
			sa->resent++;
			sa->resent_at = now;
			ike_send_raw(eng, local, remote, sa->init_r, sa->init_r_len);
		} else {
			eng->st.resend_refused++;
		}
		return;
	}
	uint8_t bad;
	enum ike_rule_err re = ike_rules_check(m, &bad);
	if (re != IKE_RULE_OK) {
		eng->st.rule_err++;
		log_warn_rl("ike: IKE_SA_INIT from %s refused: %s (payload %u)",
			    inet_ntoa(remote->sin_addr), ike_rule_err_str(re), bad);
		send_stateless(eng, local, remote, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (!cookie_ok(eng, local, remote, m))
		return;
	struct ike_sa_pl sap;
	struct ike_ke_pl ke;
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *kp = ike_msg_find(m, IKEV2_PL_KE, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	if (!sp || !kp || !np || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ke_pl_decode(kp->body, kp->len, &ke) < 0 || np->len < 16 ||
	    np->len > IKE_MAX_NONCE) {
		eng->st.bad_payload++;
		send_stateless(eng, local, remote, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	struct ike_prop chosen;
	if (ike_select_ike(&p->cfg, &sap, ke.group, &chosen) < 0) {
		eng->st.bad_proposal++;
		/* Once per attempt: its retransmissions are refused again,
		 * statelessly, but they are the same attempt. */
		if (memcmp(p->refused_spi, m->hdr.spi_i, 8) != 0) {
			memcpy(p->refused_spi, m->hdr.spi_i, 8);
			char offered[160];
			ike_describe_ike_offer(&sap, offered, sizeof(offered));
			ike_fail(p, NULL, IKE_FAIL_PROPOSAL, IKEV2_N_NO_PROPOSAL_CHOSEN, false,
				 "no IKE proposal from %s is acceptable: it offered %s",
				 inet_ntoa(remote->sin_addr), offered);
		}
		send_stateless(eng, local, remote, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	const struct suite *encr, *integ, *prf, *dh;
	if (ike_prop_suites(&chosen, &encr, &integ, &prf, &dh, NULL) < 0 || !dh) {
		eng->st.bad_proposal++;
		send_stateless(eng, local, remote, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (dh->id != ke.group) {
		uint8_t g[2] = {(uint8_t)(dh->id >> 8), (uint8_t)dh->id};
		eng->st.invalid_ke_sent++;
		send_stateless(eng, local, remote, m, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	if (eng->half_open >= IKE_MAX_HALF_OPEN) {
		eng->st.half_open_refused++;
		return;
	}
	struct ike_sa *sa = ike_sa_new(p, false);
	if (!sa)
		return;
	memcpy(sa->spi_i, m->hdr.spi_i, 8);
	sa->local = *local;
	sa->remote = *remote;
	sa->encr = encr;
	sa->integ = integ;
	sa->prf = prf;
	sa->dh_group = dh;
	memcpy(sa->ni, np->body, np->len);
	sa->ni_len = np->len;
	sa->frag_ok = has_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
	bool natd = natd_check(sa, m, m->hdr.spi_i, zero, local, remote);
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t pub_len = 0;
	int err = ike_dh_new(dh, &sa->dh);
	if (err == 0)
		err = ike_dh_public(sa->dh, pub, sizeof(pub), &pub_len);
	if (err == 0)
		err = ike_random(sa->nr, IKE_NONCE_LEN);
	sa->nr_len = IKE_NONCE_LEN;
	if (err == 0)
		err = derive(sa, ke.data, ke.len);
	sa->init_i = malloc(m->raw_len);
	if (err < 0 || !sa->init_i) {
		eng->st.bad_payload++;
		ike_sa_kill(sa, "key exchange failed", false);
		return;
	}
	memcpy(sa->init_i, m->raw, m->raw_len);
	sa->init_i_len = m->raw_len;

	uint8_t buf[2048];
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, sizeof(buf), IKEV2_EXCH_IKE_SA_INIT, true, 0);
	ike_w_sa(&w, &chosen, 1);
	ike_w_ke(&w, dh->id, pub, pub_len);
	ike_w_nonce(&w, sa->nr, sa->nr_len);
	if (natd)
		w_natd(&w, sa->spi_i, sa->spi_r, local, remote, p->cfg.force_encap);
	if (sa->frag_ok)
		ike_w_notify(&w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (ike_msg_send(sa, &w, true) < 0 || !sa->resp) {
		ike_sa_kill(sa, "cannot build IKE_SA_INIT response", false);
		return;
	}
	sa->init_r = malloc(sa->resp_len);
	if (!sa->init_r) {
		ike_sa_kill(sa, "out of memory", false);
		return;
	}
	memcpy(sa->init_r, sa->resp, sa->resp_len);
	sa->init_r_len = sa->resp_len;
	ike_sa_set_state(sa, IKE_STATE_AUTH, "IKE_SA_INIT answered");
	eng->half_open++;
	if (natd && (sa->nat_local || sa->nat_remote))
		sa->natt = true; /* ports follow the peer's IKE_AUTH (2.23) */
}

/* ---- IKE_AUTH ---- */
/* ID payload body (type, 3 reserved, data) for our side. */
static size_t id_body(const struct ike_sa *sa, const struct ike_id *id, uint8_t *out)
{
	memset(out, 0, 4);
	if (id->type == IKE_ID_NONE) {
		out[0] = IKE_ID_IPV4_ADDR;
		memcpy(out + 4, &sa->peer->cfg.local.sin_addr.s_addr, 4);
		if (!sa->peer->cfg.local.sin_addr.s_addr)
			memcpy(out + 4, &sa->local.sin_addr.s_addr, 4);
		return 8;
	}
	out[0] = (uint8_t)id->type;
	memcpy(out + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

/* The peer's ID against our configuration. */
static bool id_matches(const struct ike_sa *sa, const struct ike_id_pl *id)
{
	const struct ike_id *want = &sa->peer->cfg.remote_id;
	const struct ike_peer_cfg *cfg = &sa->peer->cfg;
	if (want->type == IKE_ID_NONE && cfg->remote_addr_mask) {
		/* `match identity remote address A M`: an IPv4 ID inside A/M */
		uint32_t a;
		if (id->type != IKE_ID_IPV4_ADDR || id->len != 4)
			return false;
		memcpy(&a, id->data, 4);
		return (a & cfg->remote_addr_mask) == (cfg->remote_addr_id & cfg->remote_addr_mask);
	}
	if (want->type == IKE_ID_NONE) {
		if (id->type != IKE_ID_IPV4_ADDR || id->len != 4)
			return false;
		/* Behind a NAT the peer names its private address. */
		return sa->nat_remote ||
		       memcmp(id->data, &sa->peer->cfg.remote.sin_addr.s_addr, 4) == 0;
	}
	return id->type == want->type && id->len == want->len &&
	       memcmp(id->data, want->data, want->len) == 0;
}

static int auth_compute(struct ike_sa *sa, bool initiator_side, bool ours, const uint8_t *idb,
			size_t idb_len, uint8_t *out)
{
	const struct ike_peer_cfg *cfg = &sa->peer->cfg;
	const uint8_t *psk = ours ? cfg->psk_local : cfg->psk_remote;
	size_t psk_len = ours ? cfg->psk_local_len : cfg->psk_remote_len;
	if (initiator_side)
		return ike_psk_auth(sa->prf, psk, psk_len, sa->init_i, sa->init_i_len, sa->nr,
				    sa->nr_len, sa->keys.sk_pi, idb, idb_len, out);
	return ike_psk_auth(sa->prf, psk, psk_len, sa->init_r, sa->init_r_len, sa->ni, sa->ni_len,
			    sa->keys.sk_pr, idb, idb_len, out);
}

/* Verifies the peer's ID and AUTH payloads (already present by the rules). */
static int auth_verify(struct ike_sa *sa, const struct ike_msg *m, uint8_t id_type)
{
	const struct ike_pl *ip = ike_msg_find(m, id_type, 0),
			    *ap = ike_msg_find(m, IKEV2_PL_AUTH, 0);
	struct ike_id_pl id;
	struct ike_auth_pl a;
	if (!ip || !ap || ike_id_pl_decode(ip->body, ip->len, &id) < 0 ||
	    ike_auth_pl_decode(ap->body, ap->len, &a) < 0)
		return -EBADMSG;
	if (!id_matches(sa, &id)) {
		char got[80];
		ike_describe_id(&id, got, sizeof(got));
		ike_fail(sa->peer, sa, IKE_FAIL_IDENTITY, 0, false,
			 "peer %s identified itself as %s, not as configured",
			 inet_ntoa(sa->remote.sin_addr), got);
		return -EACCES;
	}
	if (a.method != IKEV2_AUTH_PSK || a.len != sa->prf->out_len) {
		ike_fail(sa->peer, sa, IKE_FAIL_AUTH, 0, false,
			 "peer %s authenticates with method %u, not a pre-shared key",
			 inet_ntoa(sa->remote.sin_addr), a.method);
		return -EPERM;
	}
	uint8_t want[IKE_MAX_PRF];
	int err = auth_compute(sa, !sa->initiator, false, ip->body, ip->len, want);
	if (err == 0 && ike_memeq_ct(want, a.data, a.len) != 0)
		err = -EPERM;
	OPENSSL_cleanse(want, sizeof(want));
	if (err == -EPERM)
		ike_fail(sa->peer, sa, IKE_FAIL_AUTH, 0, false,
			 "peer %s's AUTH did not verify with our pre-shared key for it",
			 inet_ntoa(sa->remote.sin_addr));
	return err;
}

static int w_our_auth(struct ike_sa *sa, struct ike_wbuf *w, uint8_t id_pl)
{
	uint8_t idb[4 + IKE_MAX_ID], auth[IKE_MAX_PRF];
	size_t idb_len = id_body(sa, &sa->peer->cfg.local_id, idb);
	int err = auth_compute(sa, sa->initiator, true, idb, idb_len, auth);
	if (err < 0)
		return err;
	ike_w_id(w, id_pl, idb[0], idb + 4, idb_len - 4);
	ike_w_auth(w, IKEV2_AUTH_PSK, auth, sa->prf->out_len);
	OPENSSL_cleanse(auth, sizeof(auth));
	return 0;
}

static bool peer_has_up_sa(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->peer->sas; o; o = o->peer_next)
		if (o != sa && (ike_sa_usable(o) || o->state == IKE_STATE_REKEYED))
			return true;
	return false;
}

static int auth_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	struct ike_peer *p = sa->peer;
	int err = w_our_auth(sa, w, IKEV2_PL_IDI);
	if (err < 0)
		return err;
	if (!peer_has_up_sa(sa))
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	struct ike_child *c = sa->task_child;
	if (!c) {
		c = ike_child_new(sa);
		if (!c)
			return -ENOMEM;
		sa->task_child = c;
	}
	if (p->cfg.transport)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_notify(w, 0, NULL, 0, IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL, 0);
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_esp_props(&p->cfg, c->spi_in, NULL, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
	struct ike_ts l, r;
	ike_cfg_ts(&p->cfg, &l, &r);
	ike_w_ts(w, IKEV2_PL_TSI, &l, 1);
	ike_w_ts(w, IKEV2_PL_TSR, &r, 1);
	return w->err ? -EMSGSIZE : 0;
}

void ike_sa_schedule(struct ike_sa *sa)
{
	uint64_t now = ike_now(sa->eng), life = sa->peer->cfg.ike_lifetime_s * 1000ull;
	/* Rekey at 90 % less up to 5 % at random, so both ends rarely collide. */
	uint64_t jitter = life / 20 ? ike_rand32(sa->eng) % (life / 20) : 0;
	sa->rekey_at = now + life / 10 * 9 - jitter;
	sa->expire_at = now + life;
}

void ike_child_schedule(struct ike_sa *sa, struct ike_child *c)
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
	sa->carried = true;
	ike_child_schedule(sa, c);
	c->reported_up = true;
	eng->st.child_up++;
	ike_keylog_child(sa, &cs);
	eng->host.child_up(eng->host.ctx, &cs);
	OPENSSL_cleanse(&cs, sizeof(cs));
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

/* Lowest of the four nonces of an SA (for the duplicate rule). */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	return c ? c : (al < bl ? -1 : al > bl);
}

static void sa_min_nonce(const struct ike_sa *sa, const uint8_t **p, size_t *l)
{
	if (nonce_cmp(sa->ni, sa->ni_len, sa->nr, sa->nr_len) <= 0) {
		*p = sa->ni;
		*l = sa->ni_len;
	} else {
		*p = sa->nr;
		*l = sa->nr_len;
	}
}

void ike_sa_established(struct ike_sa *sa, bool initial_contact)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	sa->established_ms = ike_now(eng);
	sa->established_seq = ++eng->seq;
	sa->last_rx_ms = sa->established_ms;
	eng->st.ike_up++;
	p->reinit_at = 0;
	ike_sa_schedule(sa);
	if (initial_contact) {
		for (struct ike_sa *o = p->sas; o; o = o->peer_next) {
			if (o == sa || o->state == IKE_STATE_DEAD || !o->established_seq ||
			    o->established_seq > sa->seq)
				continue;
			eng->st.initial_contact++;
			ike_sa_kill(o, "peer restarted (INITIAL_CONTACT)", false);
		}
	}
	if (!p->up_reported) {
		p->up_reported = true;
		log_info("ike: tunnel %u: IKE SA established with %s", p->cfg.tunnel_id,
			 inet_ntoa(p->cfg.remote.sin_addr));
		eng->host.ike_event(eng->host.ctx, p->cfg.tunnel_id, IKE_SA_UP, "established");
	}
	/* Duplicates from a simultaneous initiation. */
	for (struct ike_sa *o = p->sas; o; o = o->peer_next) {
		if (o == sa || !ike_sa_usable(o) || o->pending_delete)
			continue;
		const uint8_t *na, *nb;
		size_t la, lb;
		sa_min_nonce(sa, &na, &la);
		sa_min_nonce(o, &nb, &lb);
		struct ike_sa *loser = nonce_cmp(na, la, nb, lb) < 0 ? sa : o;
		if (loser->initiator && !loser->pending_delete) {
			eng->st.dup_sa_deleted++;
			log_info("ike: tunnel %u: duplicate IKE SA from simultaneous initiation, "
				 "deleting ours",
				 p->cfg.tunnel_id);
			loser->pending_delete = true;
			ike_sa_kick(loser);
		}
	}
}

static int child_from_response(struct ike_sa *sa, struct ike_child *c, const struct ike_msg *m,
			       const struct ike_prop *offered, size_t n_off)
{
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *ti = ike_msg_find(m, IKEV2_PL_TSI, 0),
			    *tr = ike_msg_find(m, IKEV2_PL_TSR, 0);
	struct ike_sa_pl sap;
	struct ike_ts_pl tsi, tsr;
	struct ike_prop chosen;
	if (!sp || !ti || !tr || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ts_pl_decode(ti->body, ti->len, &tsi) < 0 ||
	    ike_ts_pl_decode(tr->body, tr->len, &tsr) < 0 || tsi.n == 0 || tsr.n == 0)
		return -EBADMSG;
	if (ike_check_chosen(offered, n_off, &sap, &chosen) < 0 ||
	    ike_prop_suites(&chosen, &c->encr, &c->integ, NULL, NULL, &c->esn) < 0 ||
	    chosen.spi_size != 4)
		return -EINVAL;
	struct ike_ts l, r;
	ike_cfg_ts(&sa->peer->cfg, &l, &r);
	/* 2.9: the responder may narrow; we take a subset of what we asked.
	 * A VTI carries everything: a narrower pair (a GRE peer's protocol 47
	 * between the endpoints) would leave it a tunnel that passes nothing. */
	if (!ike_ts_subset(&tsi.ts[0], &l) || !ike_ts_subset(&tsr.ts[0], &r) ||
	    (sa->peer->cfg.ts == IKE_TS_ANY &&
	     (!ike_ts_is_any(&tsi.ts[0]) || !ike_ts_is_any(&tsr.ts[0])))) {
		sa->eng->st.ts_unacceptable++;
		return -ERANGE;
	}
	c->ts_l = tsi.ts[0];
	c->ts_r = tsr.ts[0];
	uint32_t spi;
	memcpy(&spi, chosen.spi, 4);
	if (spi == 0) { /* RFC 4303 2.1: SPI 0 never goes on the wire */
		sa->eng->st.zero_spi++;
		return -EINVAL;
	}
	c->spi_out = ntohl(spi);
	c->transport = sa->peer->cfg.transport && has_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	return 0;
}

static int auth_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	struct ike_child *c = sa->task_child;
	sa->task_child = NULL;
	uint16_t e = error_notify(m);
	if (e == IKEV2_N_AUTHENTICATION_FAILED || !ike_msg_find(m, IKEV2_PL_AUTH, 0)) {
		eng->st.auth_fail++;
		const char *nn = ike_notify_name(e);
		if (e == IKEV2_N_AUTHENTICATION_FAILED)
			ike_fail(p, sa, IKE_FAIL_AUTH, e, true,
				 "peer %s sent AUTHENTICATION_FAILED (our pre-shared key or identity "
				 "did not verify there)",
				 inet_ntoa(sa->remote.sin_addr));
		else
			ike_fail(p, sa, e ? ike_fail_class_of(e) : IKE_FAIL_PROTOCOL, e, e != 0,
				 "peer %s answered IKE_AUTH with %s", inet_ntoa(sa->remote.sin_addr),
				 nn ? nn : "no AUTH payload");
		ike_sa_kill(sa, e ? "peer refused our authentication" : "no AUTH in response",
			    true);
		return -EPERM;
	}
	int err = auth_verify(sa, m, IKEV2_PL_IDR);
	if (err == -EBADMSG)
		ike_fail(p, sa, IKE_FAIL_PROTOCOL, 0, false, "peer %s sent a malformed ID or AUTH",
			 inet_ntoa(sa->remote.sin_addr));
	if (err < 0) {
		eng->st.auth_fail++;
		/* 2.21.2: the responder thinks the SA is up; tell it, inside
		 * the SA, so it drops it now and knows why. */
		ike_send_final(sa, IKEV2_N_AUTHENTICATION_FAILED);
		ike_sa_kill(sa, "peer authentication failed", true);
		return err;
	}
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED, "IKE_AUTH done");
	if (!c) {
		ike_sa_kill(sa, "internal: no child", true);
		return -EINVAL;
	}
	if (e) {
		char why[80];
		const char *nn = ike_notify_name(e);
		snprintf(why, sizeof(why), "peer refused the Child SA (%s)", nn ? nn : "error");
		if (e == IKEV2_N_TS_UNACCEPTABLE)
			eng->st.ts_unacceptable++;
		else if (e == IKEV2_N_NO_PROPOSAL_CHOSEN)
			eng->st.bad_proposal++;
		ike_fail(p, sa, ike_fail_class_of(e), e, true, "peer %s refused the Child SA with %s%s",
			 inet_ntoa(sa->remote.sin_addr), nn ? nn : "an error",
			 e == IKEV2_N_NO_PROPOSAL_CHOSEN ? " (no ESP transform set in common)"
			 : e == IKEV2_N_TS_UNACCEPTABLE	 ? " (its selectors or tunnel endpoints differ)"
							 : "");
		ike_child_kill(c, why);
		/* An always-on tunnel without its Child SA is useless: start over. */
		sa->pending_delete = true;
		snprintf(sa->down_reason, sizeof(sa->down_reason), "%s", why);
		ike_sa_established(sa, false);
		return -EPERM;
	}
	struct ike_prop offered[IKE_MAX_PROPOSALS];
	size_t n_off = ike_build_esp_props(&p->cfg, c->spi_in, NULL, offered, IKE_MAX_PROPOSALS);
	err = child_from_response(sa, c, m, offered, n_off);
	if (err == -ERANGE) {
		ike_fail(p, sa, IKE_FAIL_SELECTORS, IKEV2_N_TS_UNACCEPTABLE, false,
			 "peer %s narrowed the selectors to what this tunnel does not carry (%s)",
			 inet_ntoa(sa->remote.sin_addr),
			 p->cfg.ts == IKE_TS_ANY ? "a VTI needs 0.0.0.0/0, the peer runs GRE?"
						 : "not GRE between the tunnel endpoints");
		sa->delete_notify = IKEV2_N_TS_UNACCEPTABLE;
	} else if (err == -EINVAL) {
		ike_fail(p, sa, IKE_FAIL_PROPOSAL, IKEV2_N_NO_PROPOSAL_CHOSEN, false,
			 "peer %s chose an ESP proposal we did not offer",
			 inet_ntoa(sa->remote.sin_addr));
		sa->delete_notify = IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	if (err == 0)
		err = ike_child_install(sa, c, sa->ni, sa->ni_len, sa->nr, sa->nr_len, NULL, 0,
					true, false);
	if (err < 0) {
		ike_child_kill(c, "Child SA refused");
		sa->pending_delete = true;
	}
	ike_sa_established(sa, false);
	return err;
}

const struct ike_task_ops ike_task_auth = {
    .exch = IKEV2_EXCH_IKE_AUTH,
    .build_i = auth_build_i,
    .process_i = auth_process_i,
};

int ike_auth_process_r(struct ike_sa *sa, struct ike_xch *x)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	const struct ike_msg *m = x->req;
	int verdict = ike_msg_find(m, IKEV2_PL_AUTH, 0) ? auth_verify(sa, m, IKEV2_PL_IDI) : -EBADMSG;
	if (verdict == -EBADMSG)
		ike_fail(p, sa, IKE_FAIL_PROTOCOL, 0, false, "peer %s sent IKE_AUTH without a valid AUTH",
			 inet_ntoa(sa->remote.sin_addr));
	if (verdict < 0) {
		eng->st.auth_fail++;
		x->error = IKEV2_N_AUTHENTICATION_FAILED;
		return -EPERM;
	}
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED, "IKE_AUTH answered");
	bool ic = has_notify(m, IKEV2_N_INITIAL_CONTACT, NULL);
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *ti = ike_msg_find(m, IKEV2_PL_TSI, 0),
			    *tr = ike_msg_find(m, IKEV2_PL_TSR, 0);
	struct ike_sa_pl sap;
	struct ike_ts_pl tsi, tsr;
	struct ike_ts l, r;
	ike_cfg_ts(&p->cfg, &l, &r);
	if (!sp || !ti || !tr || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ts_pl_decode(ti->body, ti->len, &tsi) < 0 ||
	    ike_ts_pl_decode(tr->body, tr->len, &tsr) < 0) {
		x->error = IKEV2_N_INVALID_SYNTAX;
	} else if (ike_select_esp(&p->cfg, &sap, NULL, &x->chosen) < 0) {
		eng->st.bad_proposal++;
		x->error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		char offered[160];
		ike_describe_esp_offer(&sap, offered, sizeof(offered));
		ike_fail(p, sa, IKE_FAIL_PROPOSAL, x->error, false,
			 "no ESP proposal from %s is acceptable: it offered %s",
			 inet_ntoa(sa->remote.sin_addr), offered);
	} else if (x->chosen.spi_size != 4 || !(x->chosen.spi[0] | x->chosen.spi[1] |
						 x->chosen.spi[2] | x->chosen.spi[3])) {
		eng->st.zero_spi++;
		x->error = IKEV2_N_INVALID_SYNTAX;
	} else if (!ike_ts_narrow(&tsi, &r, &x->ts_i) || !ike_ts_narrow(&tsr, &l, &x->ts_r) ||
		   (p->cfg.ts == IKE_TS_ANY &&
		    (!ike_ts_is_any(&x->ts_i) || !ike_ts_is_any(&x->ts_r)))) {
		eng->st.ts_unacceptable++;
		x->error = IKEV2_N_TS_UNACCEPTABLE;
		ike_fail(p, sa, IKE_FAIL_SELECTORS, x->error, false,
			 "peer %s's traffic selectors are not this tunnel's (%s)",
			 inet_ntoa(sa->remote.sin_addr),
			 p->cfg.ts == IKE_TS_ANY ? "a VTI needs 0.0.0.0/0, the peer runs GRE?"
						 : "not GRE between the tunnel endpoints");
	}
	ike_sa_established(sa, ic);
	if (x->error)
		return -EINVAL;
	struct ike_child *c = ike_child_new(sa);
	if (!c) {
		x->error = IKEV2_N_TEMPORARY_FAILURE;
		return -ENOMEM;
	}
	uint32_t spi;
	memcpy(&spi, x->chosen.spi, 4);
	c->spi_out = ntohl(spi);
	if (ike_prop_suites(&x->chosen, &c->encr, &c->integ, NULL, NULL, &c->esn) < 0) {
		ike_child_kill(c, "bad proposal");
		x->error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		return -EINVAL;
	}
	spi = htonl(c->spi_in);
	memcpy(x->chosen.spi, &spi, 4);
	c->transport = p->cfg.transport && has_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	x->transport = c->transport;
	c->ts_l = x->ts_r;
	c->ts_r = x->ts_i;
	x->child = c;
	int err =
	    ike_child_install(sa, c, sa->ni, sa->ni_len, sa->nr, sa->nr_len, NULL, 0, false, false);
	if (err < 0) {
		ike_child_kill(c, "key derivation failed");
		x->child = NULL;
		x->error = IKEV2_N_TEMPORARY_FAILURE;
	}
	return err;
}

int ike_auth_build_r(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w)
{
	if (x->error == IKEV2_N_AUTHENTICATION_FAILED) {
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
		/* 2.21.2: after this answer the half-made SA is gone. */
		ike_sa_kill(sa, "peer authentication failed", false);
		return w->err ? -EMSGSIZE : 0;
	}
	int err = w_our_auth(sa, w, IKEV2_PL_IDR);
	if (err < 0)
		return err;
	if (x->error) {
		ike_w_notify(w, 0, NULL, 0, x->error, NULL, 0);
		return w->err ? -EMSGSIZE : 0;
	}
	if (x->transport)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_notify(w, 0, NULL, 0, IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL, 0);
	ike_w_sa(w, &x->chosen, 1);
	ike_w_ts(w, IKEV2_PL_TSI, &x->ts_i, 1);
	ike_w_ts(w, IKEV2_PL_TSR, &x->ts_r, 1);
	return w->err ? -EMSGSIZE : 0;
}
