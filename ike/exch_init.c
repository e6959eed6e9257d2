/* exch_init.c: IKE_SA_INIT (RFC 7296 1.2, 2.6, 2.10, 2.23; RFC 7383 2.3) in
 * both roles: proposals, Diffie-Hellman and the keys derived from it, NAT
 * detection, cookies, and the unauthenticated refusals either side may send.
 *
 * The responder keeps no state for an IKE_SA_INIT it refuses (unknown peer,
 * no proposal, wrong KE group, missing cookie): those answers are built
 * straight from the request.  It has no SA to hold a task yet, so it is no
 * entry in the responder task table: input.c hands the request to
 * ike_init_admit, checks the payload rules, then calls ike_init_request. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
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
	if (ike_msg_notify(m, IKEV2_N_COOKIE, &n)) {
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
	if (ike_msg_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, &n)) {
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
	uint16_t e = ike_msg_error(m);
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
	if (!sp || !kp || !ike_nonce_ok(np) || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ke_pl_decode(kp->body, kp->len, &ke) < 0 || memcmp(m->hdr.spi_r, zero, 8) == 0) {
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
	sa->frag_ok = ike_msg_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
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
		const uint8_t *secret =
		    v == eng->cookie_version ? eng->cookie_secret
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
		ike_send_stateless(eng, local, remote, m, IKEV2_N_COOKIE, want, sizeof(want));
	}
	return false;
}

static struct ike_peer *peer_by_addr(struct ike_engine *eng, const struct sockaddr_in *local,
				     const struct sockaddr_in *remote)
{
	for (struct ike_peer *p = ike_peer_by_remote(eng, remote->sin_addr.s_addr); p;
	     p = p->remote_next) {
		if (p->deleting || p->cfg.remote.sin_addr.s_addr != remote->sin_addr.s_addr)
			continue;
		if (p->cfg.local.sin_addr.s_addr &&
		    p->cfg.local.sin_addr.s_addr != local->sin_addr.s_addr)
			continue;
		return p;
	}
	return NULL;
}

struct ike_peer *ike_init_admit(struct ike_engine *eng, const struct sockaddr_in *local,
				const struct sockaddr_in *remote, const struct ike_msg *m)
{
	static const uint8_t zero[8];
	if (memcmp(m->hdr.spi_r, zero, 8) != 0 || m->hdr.msgid != 0) {
		eng->st.no_sa++;
		return NULL;
	}
	if (memcmp(m->hdr.spi_i, zero, 8) == 0) { /* 3.1: SPIi is never zero */
		eng->st.zero_spi++;
		return NULL;
	}
	struct ike_peer *p = peer_by_addr(eng, local, remote);
	if (!p) {
		eng->st.unknown_peer++;
		log_info_rl("ike: IKE_SA_INIT from unknown peer %s refused",
			    inet_ntoa(remote->sin_addr));
		return NULL;
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
				return NULL;
			}
			sa->resent++;
			sa->resent_at = now;
			ike_send_raw(eng, local, remote, sa->init_r, sa->init_r_len);
		} else {
			eng->st.resend_refused++;
		}
		return NULL;
	}
	return p;
}

void ike_init_request(struct ike_engine *eng, struct ike_peer *p, const struct sockaddr_in *local,
		      const struct sockaddr_in *remote, const struct ike_msg *m)
{
	static const uint8_t zero[8];
	if (!cookie_ok(eng, local, remote, m))
		return;
	struct ike_sa_pl sap;
	struct ike_ke_pl ke;
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *kp = ike_msg_find(m, IKEV2_PL_KE, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	if (!sp || !kp || !ike_nonce_ok(np) || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ke_pl_decode(kp->body, kp->len, &ke) < 0) {
		eng->st.bad_payload++;
		ike_send_stateless(eng, local, remote, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
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
		ike_send_stateless(eng, local, remote, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	const struct suite *encr, *integ, *prf, *dh;
	if (ike_prop_suites(&chosen, &encr, &integ, &prf, &dh, NULL) < 0 || !dh) {
		eng->st.bad_proposal++;
		ike_send_stateless(eng, local, remote, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (dh->id != ke.group) {
		uint8_t g[2] = {(uint8_t)(dh->id >> 8), (uint8_t)dh->id};
		eng->st.invalid_ke_sent++;
		ike_send_stateless(eng, local, remote, m, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
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
	sa->frag_ok = ike_msg_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
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
