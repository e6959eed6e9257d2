/* exch_auth.c: IKE_AUTH (RFC 7296 1.2, 2.15, 2.21.2) in both roles, and
 * what follows an IKE SA's establishment: INITIAL_CONTACT and duplicate IKE
 * SAs.  The Child SA it creates is installed by sa.c (ike_child_install).
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
#include <string.h>

#include "lib/log.h"

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

/* The peer's ID against our configuration (ike.h: any of the names or
 * address ranges; the peer's own address when nothing else is named). */
static bool id_matches(const struct ike_sa *sa, const struct ike_id_pl *id)
{
	const struct ike_peer_cfg *cfg = &sa->peer->cfg;
	for (int i = 0; i < cfg->n_remote_ids; i++) {
		const struct ike_id *w = &cfg->remote_ids[i];
		if (id->type == w->type && id->len == w->len && memcmp(id->data, w->data, w->len) == 0)
			return true;
	}
	uint32_t a;
	if (id->type != IKE_ID_IPV4_ADDR || id->len != 4)
		return false;
	memcpy(&a, id->data, 4);
	for (int i = 0; i < cfg->n_remote_addrs; i++)
		if ((a & cfg->remote_addrs[i].mask) ==
		    (cfg->remote_addrs[i].addr & cfg->remote_addrs[i].mask))
			return true;
	if (!cfg->remote_own_addr && (cfg->n_remote_ids || cfg->n_remote_addrs))
		return false;
	/* Behind a NAT the peer names its private address. */
	return sa->nat_remote || a == cfg->remote.sin_addr.s_addr;
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
		/* the lower nonce of each; the lowest of the four loses */
		uint8_t na[IKE_MAX_NONCE], nb[IKE_MAX_NONCE];
		size_t la, lb;
		ike_nonce_min(sa->ni, sa->ni_len, sa->nr, sa->nr_len, na, &la);
		ike_nonce_min(o->ni, o->ni_len, o->nr, o->nr_len, nb, &lb);
		struct ike_sa *loser = ike_nonce_cmp(na, la, nb, lb) < 0 ? sa : o;
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
	c->transport =
	    sa->peer->cfg.transport && ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	return 0;
}

static int auth_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	struct ike_child *c = sa->task_child;
	sa->task_child = NULL;
	uint16_t e = ike_msg_error(m);
	if (e == IKEV2_N_AUTHENTICATION_FAILED || !ike_msg_find(m, IKEV2_PL_AUTH, 0)) {
		eng->st.auth_fail++;
		const char *nn = ike_notify_name(e);
		if (e == IKEV2_N_AUTHENTICATION_FAILED)
			ike_fail(
			    p, sa, IKE_FAIL_AUTH, e, true,
			    "peer %s sent AUTHENTICATION_FAILED (our pre-shared key or identity "
			    "did not verify there)",
			    inet_ntoa(sa->remote.sin_addr));
		else
			ike_fail(p, sa, e ? ike_fail_class_of(e) : IKE_FAIL_PROTOCOL, e, e != 0,
				 "peer %s answered IKE_AUTH with %s",
				 inet_ntoa(sa->remote.sin_addr), nn ? nn : "no AUTH payload");
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
		ike_fail(
		    p, sa, ike_fail_class_of(e), e, true, "peer %s refused the Child SA with %s%s",
		    inet_ntoa(sa->remote.sin_addr), nn ? nn : "an error",
		    e == IKEV2_N_NO_PROPOSAL_CHOSEN ? " (no ESP transform set in common)"
		    : e == IKEV2_N_TS_UNACCEPTABLE  ? " (its selectors or tunnel endpoints differ)"
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

static int auth_process_r(struct ike_sa *sa, struct ike_xch *x)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	const struct ike_msg *m = x->req;
	/* Only the original responder answers IKE_AUTH, and only once. */
	if (sa->initiator || sa->state != IKE_STATE_AUTH) {
		eng->st.bad_msgid++;
		return IKE_REQ_IGNORED;
	}
	int verdict =
	    ike_msg_find(m, IKEV2_PL_AUTH, 0) ? auth_verify(sa, m, IKEV2_PL_IDI) : -EBADMSG;
	if (verdict == -EBADMSG)
		ike_fail(p, sa, IKE_FAIL_PROTOCOL, 0, false,
			 "peer %s sent IKE_AUTH without a valid AUTH",
			 inet_ntoa(sa->remote.sin_addr));
	if (verdict < 0) {
		eng->st.auth_fail++;
		x->error = IKEV2_N_AUTHENTICATION_FAILED;
		return -EPERM;
	}
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED, "IKE_AUTH answered");
	bool ic = ike_msg_notify(m, IKEV2_N_INITIAL_CONTACT, NULL);
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
	} else if (x->chosen.spi_size != 4 ||
		   !(x->chosen.spi[0] | x->chosen.spi[1] | x->chosen.spi[2] | x->chosen.spi[3])) {
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
	c->transport = p->cfg.transport && ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
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

static int auth_build_r(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w)
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

const struct ike_task_ops ike_task_auth = {
    .exch = IKEV2_EXCH_IKE_AUTH,
    .build_i = auth_build_i,
    .process_r = auth_process_r,
    .build_r = auth_build_r,
    .process_i = auth_process_i,
};
