/* exch_child.c: CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.17, 2.18): Child SA
 * rekey and IKE SA rekey, and their collisions.  We start either as its own
 * task (ike_task_child_rekey, ike_task_ike_rekey); the peer's request goes
 * to one responder task (ike_task_create_child_sa), which tells the two
 * apart by what the request carries.
 *
 * Child rekey, make-before-break: the new pair is reported with
 * child_up(rekey=true) as soon as the exchange completes (the responder:
 * when it answers); the old pair stays installed until the Delete for it
 * has completed, then child_down.  The rekey's initiator deletes the old SA.
 *
 * Collisions (2.8.1): if both ends rekey the same SA at once, each end
 * answers the other's request as well, so two successors exist.  Once an
 * end has seen both exchanges it compares the lowest nonce of each: the
 * successor made by the exchange with the lowest nonce is surplus and is
 * deleted by the end that initiated that exchange; the other end's
 * initiator deletes the old SA as usual.  The same rule serves IKE SAs.
 *
 * IKE rekey: the children move to the new IKE SA, whose keys come from
 * SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr); the old IKE SA becomes
 * REKEYED and is deleted by the rekey's initiator. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

enum { RETRY_REKEY_MS = 10000 };

static const struct suite *ike_group_for_rekey(const struct ike_sa *sa)
{
	const struct ike_peer_cfg *cfg = &sa->peer->cfg;
	for (size_t i = 0; i < cfg->n_ike; i++)
		for (size_t j = 0; j < cfg->ike[i].n_dh; j++)
			if (cfg->ike[i].dh[j] == sa->dh_group)
				return sa->dh_group;
	return cfg->ike[0].dh[0];
}

static int w_ke(struct ike_wbuf *w, struct ike_dh *dh)
{
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t len;
	int err = ike_dh_public(dh, pub, sizeof(pub), &len);
	if (err == 0)
		ike_w_ke(w, ike_dh_group(dh)->id, pub, len);
	return err;
}

static int shared(struct ike_dh *dh, const struct ike_msg *m, uint8_t *gir, size_t *gir_len)
{
	const struct ike_pl *kp = ike_msg_find(m, IKEV2_PL_KE, 0);
	struct ike_ke_pl ke;
	if (!kp || ike_ke_pl_decode(kp->body, kp->len, &ke) < 0 || ke.group != ike_dh_group(dh)->id)
		return -EBADMSG;
	return ike_dh_shared(dh, ke.data, ke.len, gir, IKE_MAX_DH_SECRET, gir_len);
}

/* ================= Child SA rekey ================= */
static int child_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	struct ike_peer *p = sa->peer;
	struct ike_child *c = sa->task_child;
	int err;
	if (!c || c->state != CHILD_INSTALLED)
		return -ENOENT;
	struct ike_child *nc = ike_child_new(sa);
	if (!nc)
		return -ENOMEM;
	sa->task_new_child = nc;
	ike_child_set_state(c, CHILD_REKEYING, "rekey started");
	c->coll_child = NULL;
	if ((err = ike_random(sa->task_nonce, IKE_NONCE_LEN)) < 0)
		return err;
	ike_dh_free(sa->task_dh);
	sa->task_dh = NULL;
	if (p->cfg.pfs && (err = ike_dh_new(p->cfg.pfs, &sa->task_dh)) < 0)
		return err;
	uint32_t spi = htonl(c->spi_in);
	ike_w_notify(w, IKEV2_PROTO_ESP, (const uint8_t *)&spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	if (c->transport)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_notify(w, 0, NULL, 0, IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL, 0);
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_esp_props(&p->cfg, nc->spi_in, p->cfg.pfs, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
	ike_w_nonce(w, sa->task_nonce, IKE_NONCE_LEN);
	if (sa->task_dh && (err = w_ke(w, sa->task_dh)) < 0)
		return err;
	ike_w_ts(w, IKEV2_PL_TSI, &c->ts_l, 1);
	ike_w_ts(w, IKEV2_PL_TSR, &c->ts_r, 1);
	return w->err ? -EMSGSIZE : 0;
}

/* Both successors of c exist: apply the lowest-nonce rule. */
static void child_collision(struct ike_sa *sa, struct ike_child *c, struct ike_child *ours,
			    const uint8_t *our_min, size_t our_min_len)
{
	struct ike_child *theirs = c->coll_child;
	sa->eng->st.collisions++;
	bool we_lose = ike_nonce_cmp(our_min, our_min_len, c->coll_nonce, c->coll_nonce_len) < 0;
	log_info("ike: tunnel %u: Child SA rekey collision, %s successor is surplus",
		 sa->peer->cfg.tunnel_id, we_lose ? "our" : "the peer's");
	ike_child_set_state(c, CHILD_REKEYED, "rekey collision");
	c->coll_child = NULL;
	if (we_lose) {
		/* We delete our surplus successor; the peer deletes the old SA. */
		c->replaced_by = theirs;
		ours->rekey_lost = true;
		ours->pending_delete = true;
	} else {
		c->replaced_by = ours;
		c->pending_delete = true;
	}
}

static int child_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	struct ike_child *c = sa->task_child, *nc = sa->task_new_child;
	sa->task_child = NULL;
	sa->task_new_child = NULL;
	int err = -EINVAL;
	uint8_t gir[IKE_MAX_DH_SECRET];
	size_t gir_len = 0;
	if (!nc)
		goto out;
	uint16_t e = ike_msg_error(m);
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0),
			    *ti = ike_msg_find(m, IKEV2_PL_TSI, 0),
			    *tr = ike_msg_find(m, IKEV2_PL_TSR, 0);
	struct ike_sa_pl sap;
	struct ike_ts_pl tsi, tsr;
	struct ike_prop offered[IKE_MAX_PROPOSALS], chosen;
	size_t n_off =
	    ike_build_esp_props(&p->cfg, nc->spi_in, p->cfg.pfs, offered, IKE_MAX_PROPOSALS);
	if (e || !sp || !ike_nonce_ok(np) || !ti || !tr ||
	    ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ts_pl_decode(ti->body, ti->len, &tsi) < 0 ||
	    ike_ts_pl_decode(tr->body, tr->len, &tsr) < 0 ||
	    ike_check_chosen(offered, n_off, &sap, &chosen) < 0 ||
	    ike_prop_suites(&chosen, &nc->encr, &nc->integ, NULL, NULL, &nc->esn) < 0 || !c ||
	    c->state == CHILD_DEAD || !ike_ts_subset(&tsi.ts[0], &c->ts_l) ||
	    !ike_ts_subset(&tsr.ts[0], &c->ts_r)) {
		log_info("ike: tunnel %u: Child SA rekey refused (notify %u)", p->cfg.tunnel_id, e);
		goto out;
	}
	if (sa->task_dh && (err = shared(sa->task_dh, m, gir, &gir_len)) < 0)
		goto out;
	uint32_t spi;
	memcpy(&spi, chosen.spi, 4);
	if (chosen.spi_size != 4 || spi == 0) {
		eng->st.zero_spi++;
		err = -EINVAL;
		goto out;
	}
	nc->spi_out = ntohl(spi);
	nc->transport = c->transport && ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	nc->ts_l = tsi.ts[0];
	nc->ts_r = tsr.ts[0];
	nc->pfs = sa->task_dh ? p->cfg.pfs : NULL;
	err = ike_child_install(sa, nc, sa->task_nonce, IKE_NONCE_LEN, np->body, np->len,
				sa->task_dh ? gir : NULL, gir_len, true, true);
	if (err < 0)
		goto out;
	eng->st.child_rekeys++;
	uint8_t mn[IKE_MAX_NONCE];
	size_t mnl;
	ike_nonce_min(sa->task_nonce, IKE_NONCE_LEN, np->body, np->len, mn, &mnl);
	if (c->coll_child && c->coll_child->state != CHILD_DEAD) {
		child_collision(sa, c, nc, mn, mnl);
	} else {
		ike_child_set_state(c, CHILD_REKEYED, "rekeyed");
		c->replaced_by = nc;
		c->pending_delete = true;
	}
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(sa->task_dh);
	sa->task_dh = NULL;
	if (err < 0) {
		if (nc)
			ike_child_kill(nc, "rekey failed");
		if (c && c->state == CHILD_REKEYING) {
			ike_child_set_state(c, CHILD_INSTALLED, "rekey failed");
			c->rekey_at = ike_now(eng) + RETRY_REKEY_MS;
		}
	}
	return err;
}

const struct ike_task_ops ike_task_child_rekey = {
    .exch = IKEV2_EXCH_CREATE_CHILD_SA,
    .build_i = child_build_i,
    .process_i = child_process_i,
};

static int child_rekey_r(struct ike_sa *sa, struct ike_xch *x, const struct ike_notify_pl *rn)
{
	struct ike_peer *p = sa->peer;
	const struct ike_msg *m = x->req;
	uint32_t spi;
	if (rn->proto != IKEV2_PROTO_ESP || rn->spi_size != 4) {
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EINVAL;
	}
	memcpy(&spi, rn->spi, 4);
	struct ike_child *c = ike_child_by_spi_out(sa, ntohl(spi));
	if (!c || (c->state != CHILD_INSTALLED && c->state != CHILD_REKEYING)) {
		x->error = IKEV2_N_CHILD_SA_NOT_FOUND;
		return -ENOENT;
	}
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0),
			    *ti = ike_msg_find(m, IKEV2_PL_TSI, 0),
			    *tr = ike_msg_find(m, IKEV2_PL_TSR, 0),
			    *kp = ike_msg_find(m, IKEV2_PL_KE, 0);
	struct ike_sa_pl sap;
	struct ike_ts_pl tsi, tsr;
	struct ike_ke_pl ke = {0, NULL, 0};
	if (!sp || !ike_nonce_ok(np) || !ti || !tr ||
	    ike_sa_pl_decode(sp->body, sp->len, &sap) < 0 ||
	    ike_ts_pl_decode(ti->body, ti->len, &tsi) < 0 ||
	    ike_ts_pl_decode(tr->body, tr->len, &tsr) < 0 ||
	    (kp && ike_ke_pl_decode(kp->body, kp->len, &ke) < 0)) {
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EBADMSG;
	}
	/* PFS: ours if configured, else whatever group the peer brought. */
	const struct suite *pfs = p->cfg.pfs;
	if (!pfs && kp)
		pfs = suite_by_id(SUITE_DH, ke.group, 0);
	if (ike_select_esp(&p->cfg, &sap, pfs, &x->chosen) < 0) {
		sa->eng->st.bad_proposal++;
		x->error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		return -EINVAL;
	}
	if (x->chosen.spi_size != 4 ||
	    !(x->chosen.spi[0] | x->chosen.spi[1] | x->chosen.spi[2] | x->chosen.spi[3])) {
		sa->eng->st.zero_spi++;
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EINVAL;
	}
	const struct suite *dh = NULL;
	struct ike_child tmp;
	memset(&tmp, 0, sizeof(tmp));
	if (ike_prop_suites(&x->chosen, &tmp.encr, &tmp.integ, NULL, &dh, &tmp.esn) < 0) {
		x->error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		return -EINVAL;
	}
	if (dh && (!kp || ke.group != dh->id)) {
		x->error = IKEV2_N_INVALID_KE_PAYLOAD;
		x->error_data[0] = (uint8_t)(dh->id >> 8);
		x->error_data[1] = (uint8_t)dh->id;
		x->error_data_len = 2;
		return -EINVAL;
	}
	struct ike_ts l, r;
	ike_cfg_ts(&p->cfg, &l, &r);
	if (!ike_ts_narrow(&tsi, &r, &x->ts_i) || !ike_ts_narrow(&tsr, &l, &x->ts_r)) {
		sa->eng->st.ts_unacceptable++;
		x->error = IKEV2_N_TS_UNACCEPTABLE;
		return -EINVAL;
	}
	uint8_t gir[IKE_MAX_DH_SECRET];
	size_t gir_len = 0;
	int err = ike_random(x->nonce, IKE_NONCE_LEN);
	if (err == 0 && dh) {
		err = ike_dh_new(dh, &x->dh);
		if (err == 0)
			err = ike_dh_shared(x->dh, ke.data, ke.len, gir, sizeof(gir), &gir_len);
	}
	struct ike_child *nc = err == 0 ? ike_child_new(sa) : NULL;
	if (!nc) {
		OPENSSL_cleanse(gir, sizeof(gir));
		x->error = err == -EINVAL ? IKEV2_N_INVALID_SYNTAX : IKEV2_N_TEMPORARY_FAILURE;
		return err ? err : -ENOMEM;
	}
	memcpy(&spi, x->chosen.spi, 4);
	nc->spi_out = ntohl(spi);
	spi = htonl(nc->spi_in);
	memcpy(x->chosen.spi, &spi, 4);
	nc->encr = tmp.encr;
	nc->integ = tmp.integ;
	nc->esn = tmp.esn;
	nc->pfs = dh;
	nc->transport = c->transport && ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	x->transport = nc->transport;
	nc->ts_l = x->ts_r;
	nc->ts_r = x->ts_i;
	err = ike_child_install(sa, nc, np->body, np->len, x->nonce, IKE_NONCE_LEN, dh ? gir : NULL,
				gir_len, false, true);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err < 0) {
		ike_child_kill(nc, "key derivation failed");
		x->error = IKEV2_N_TEMPORARY_FAILURE;
		return err;
	}
	x->child = nc;
	sa->eng->st.child_rekeys++;
	if (c->state == CHILD_REKEYING) {
		/* Our own rekey of c is in flight: decide when it completes. */
		c->coll_child = nc;
		ike_nonce_min(np->body, np->len, x->nonce, IKE_NONCE_LEN, c->coll_nonce,
			      &c->coll_nonce_len);
	} else {
		ike_child_set_state(c, CHILD_REKEYED, "rekeyed by peer");
		c->replaced_by = nc; /* the peer deletes the old pair */
	}
	return 0;
}

/* ================= IKE SA rekey ================= */
static int ike_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	struct ike_peer *p = sa->peer;
	int err;
	struct ike_sa *ns = ike_sa_new(p, true);
	if (!ns)
		return -ENOMEM;
	ns->by_rekey = true;
	sa->task_new_sa = ns;
	sa->coll_sa = NULL;
	ike_sa_set_state(sa, IKE_STATE_REKEYING, "IKE rekey started");
	if ((err = ike_random(sa->task_nonce, IKE_NONCE_LEN)) < 0)
		return err;
	ike_dh_free(sa->task_dh);
	sa->task_dh = NULL;
	if ((err = ike_dh_new(ike_group_for_rekey(sa), &sa->task_dh)) < 0)
		return err;
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_ike_props(&p->cfg, ns->spi_i, 8, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
	ike_w_nonce(w, sa->task_nonce, IKE_NONCE_LEN);
	if ((err = w_ke(w, sa->task_dh)) < 0)
		return err;
	return w->err ? -EMSGSIZE : 0;
}

/* The new IKE SA takes over: established, scheduled, children moved. */
static void ike_take_over(struct ike_sa *old, struct ike_sa *ns)
{
	struct ike_engine *eng = old->eng;
	ns->local = old->local;
	ns->remote = old->remote;
	ns->natt = old->natt;
	ns->nat_local = old->nat_local;
	ns->nat_remote = old->nat_remote;
	ns->frag_ok = old->frag_ok;
	/* Children move; those in the middle of an exchange on the old SA stay. */
	struct ike_child **cp = &old->children;
	while (*cp) {
		struct ike_child *c = *cp;
		if (c->state == CHILD_DEAD || c == old->task_child || c == old->task_new_child) {
			cp = &c->next;
			continue;
		}
		*cp = c->next;
		c->sa = ns;
		c->next = ns->children;
		ns->children = c;
	}
	ike_sa_set_state(old, IKE_STATE_REKEYED, "IKE SA rekeyed");
	old->rekeyed_into = ns;
	eng->st.ike_rekeys++;
	ike_sa_kick(ns); /* moved children may carry pending work */
}

static void ike_new_up(struct ike_sa *ns)
{
	struct ike_engine *eng = ns->eng;
	ike_sa_set_state(ns, IKE_STATE_ESTABLISHED, "created by rekey");
	ns->established_ms = ike_now(eng);
	ns->established_seq = ++eng->seq;
	ns->last_rx_ms = ns->established_ms;
	ike_sa_schedule(ns);
}

static int new_sa_keys(struct ike_sa *old, struct ike_sa *ns, const struct ike_prop *chosen,
		       const uint8_t *gir, size_t gir_len)
{
	const struct suite *dh;
	if (ike_prop_suites(chosen, &ns->encr, &ns->integ, &ns->prf, &dh, NULL) < 0 || !dh)
		return -EINVAL;
	ns->dh_group = dh;
	int err = ike_derive_rekey_keys(old->prf, old->keys.sk_d, ns->prf, ns->encr, ns->integ,
					ns->ni, ns->ni_len, ns->nr, ns->nr_len, gir, gir_len,
					ns->spi_i, ns->spi_r, &ns->keys);
	if (err == 0) {
		ns->have_keys = true;
		ike_keylog_ike(ns);
	}
	return err;
}

static int ike_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_engine *eng = sa->eng;
	struct ike_peer *p = sa->peer;
	struct ike_sa *ns = sa->task_new_sa;
	sa->task_new_sa = NULL;
	uint8_t gir[IKE_MAX_DH_SECRET];
	size_t gir_len = 0;
	int err = -EINVAL;
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	struct ike_sa_pl sap;
	struct ike_prop offered[IKE_MAX_PROPOSALS], chosen;
	if (!ns || ns->state == IKE_STATE_DEAD || ike_msg_error(m) || !sp || !ike_nonce_ok(np) ||
	    ike_sa_pl_decode(sp->body, sp->len, &sap) < 0)
		goto out;
	size_t n_off = ike_build_ike_props(&p->cfg, ns->spi_i, 8, offered, IKE_MAX_PROPOSALS);
	if (ike_check_chosen(offered, n_off, &sap, &chosen) < 0 || chosen.spi_size != 8)
		goto out;
	static const uint8_t zero[8];
	if (memcmp(chosen.spi, zero, 8) == 0) { /* 3.3.1: the new SPIr is never zero */
		eng->st.zero_spi++;
		goto out;
	}
	if ((err = shared(sa->task_dh, m, gir, &gir_len)) < 0)
		goto out;
	memcpy(ns->spi_r, chosen.spi, 8);
	memcpy(ns->ni, sa->task_nonce, IKE_NONCE_LEN);
	ns->ni_len = IKE_NONCE_LEN;
	memcpy(ns->nr, np->body, np->len);
	ns->nr_len = np->len;
	if ((err = new_sa_keys(sa, ns, &chosen, gir, gir_len)) < 0)
		goto out;
	ike_new_up(ns);
	uint8_t mn[IKE_MAX_NONCE];
	size_t mnl;
	ike_nonce_min(ns->ni, ns->ni_len, ns->nr, ns->nr_len, mn, &mnl);
	struct ike_sa *theirs = sa->coll_sa;
	sa->coll_sa = NULL;
	if (theirs && theirs->state != IKE_STATE_DEAD) {
		eng->st.collisions++;
		bool we_lose = ike_nonce_cmp(mn, mnl, sa->coll_nonce, sa->coll_nonce_len) < 0;
		log_info("ike: tunnel %u: IKE SA rekey collision, %s new SA is surplus",
			 p->cfg.tunnel_id, we_lose ? "our" : "the peer's");
		if (we_lose) {
			ike_take_over(sa, theirs);
			ns->pending_delete = true; /* ours is surplus: we delete it */
			ns->rekey_lost = true;
			ike_sa_kick(ns);
		} else {
			ike_take_over(sa, ns);
			sa->pending_delete = true;
		}
	} else {
		ike_take_over(sa, ns);
		sa->pending_delete = true; /* 2.18: the rekey's initiator deletes the old SA */
	}
	err = 0;
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(sa->task_dh);
	sa->task_dh = NULL;
	if (err < 0) {
		if (ns)
			ike_sa_kill(ns, "IKE rekey failed", false);
		if (sa->state == IKE_STATE_REKEYING) {
			ike_sa_set_state(sa, IKE_STATE_ESTABLISHED, "IKE rekey failed");
			sa->rekey_at = ike_now(eng) + RETRY_REKEY_MS;
		}
		log_info("ike: tunnel %u: IKE SA rekey refused", p->cfg.tunnel_id);
	}
	return err;
}

const struct ike_task_ops ike_task_ike_rekey = {
    .exch = IKEV2_EXCH_CREATE_CHILD_SA,
    .build_i = ike_build_i,
    .process_i = ike_process_i,
};

static int ike_rekey_r(struct ike_sa *sa, struct ike_xch *x, const struct ike_sa_pl *sap)
{
	struct ike_peer *p = sa->peer;
	const struct ike_msg *m = x->req;
	if (!ike_sa_usable(sa) || sa->task == TASK_CHILD_REKEY) {
		/* 2.25: busy with something that conflicts; the peer retries. */
		x->error = IKEV2_N_TEMPORARY_FAILURE;
		return -EBUSY;
	}
	const struct ike_pl *kp = ike_msg_find(m, IKEV2_PL_KE, 0),
			    *np = ike_msg_find(m, IKEV2_PL_NONCE, 0);
	struct ike_ke_pl ke;
	if (!kp || !ike_nonce_ok(np) || ike_ke_pl_decode(kp->body, kp->len, &ke) < 0) {
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EBADMSG;
	}
	if (ike_select_ike(&p->cfg, sap, ke.group, &x->chosen) < 0 || x->chosen.spi_size != 8) {
		sa->eng->st.bad_proposal++;
		x->error = IKEV2_N_NO_PROPOSAL_CHOSEN;
		return -EINVAL;
	}
	static const uint8_t zero[8];
	if (memcmp(x->chosen.spi, zero, 8) == 0) { /* 3.3.1: the new SPIi is never zero */
		sa->eng->st.zero_spi++;
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EINVAL;
	}
	const struct suite *dh = NULL;
	ike_prop_suites(&x->chosen, NULL, NULL, NULL, &dh, NULL);
	if (!dh || dh->id != ke.group) {
		x->error = IKEV2_N_INVALID_KE_PAYLOAD;
		if (dh) {
			x->error_data[0] = (uint8_t)(dh->id >> 8);
			x->error_data[1] = (uint8_t)dh->id;
			x->error_data_len = 2;
		}
		return -EINVAL;
	}
	struct ike_sa *ns = ike_sa_new(p, false);
	if (!ns) {
		x->error = IKEV2_N_TEMPORARY_FAILURE;
		return -ENOMEM;
	}
	ns->by_rekey = true;
	memcpy(ns->spi_i, x->chosen.spi, 8);
	memcpy(x->chosen.spi, ns->spi_r, 8);
	memcpy(ns->ni, np->body, np->len);
	ns->ni_len = np->len;
	uint8_t gir[IKE_MAX_DH_SECRET];
	size_t gir_len = 0;
	int err = ike_random(ns->nr, IKE_NONCE_LEN);
	ns->nr_len = IKE_NONCE_LEN;
	memcpy(x->nonce, ns->nr, IKE_NONCE_LEN);
	if (err == 0)
		err = ike_dh_new(dh, &x->dh);
	if (err == 0)
		err = ike_dh_shared(x->dh, ke.data, ke.len, gir, sizeof(gir), &gir_len);
	if (err == 0)
		err = new_sa_keys(sa, ns, &x->chosen, gir, gir_len);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (err < 0) {
		ike_sa_kill(ns, "IKE rekey failed", false);
		x->error = err == -EINVAL ? IKEV2_N_INVALID_SYNTAX : IKEV2_N_TEMPORARY_FAILURE;
		return err;
	}
	ike_new_up(ns);
	x->new_sa = ns;
	if (sa->state == IKE_STATE_REKEYING) {
		/* Our own IKE rekey is in flight: decide when it completes. */
		sa->coll_sa = ns;
		ike_nonce_min(ns->ni, ns->ni_len, ns->nr, ns->nr_len, sa->coll_nonce,
			      &sa->coll_nonce_len);
	} else {
		ike_take_over(sa, ns); /* the peer deletes the old SA */
	}
	return 0;
}

/* ================= responder: the request says which ================= */
static int create_child_process_r(struct ike_sa *sa, struct ike_xch *x)
{
	const struct ike_msg *m = x->req;
	struct ike_notify_pl rn;
	if (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH) {
		sa->eng->st.early_request++;
		return IKE_REQ_IGNORED; /* not before IKE_AUTH is done */
	}
	if (sa->state == IKE_STATE_REKEYED || sa->state == IKE_STATE_DELETING) {
		x->error = IKEV2_N_TEMPORARY_FAILURE;
		return -EBUSY;
	}
	if (ike_msg_notify(m, IKEV2_N_REKEY_SA, &rn))
		return child_rekey_r(sa, x, &rn);
	const struct ike_pl *sp = ike_msg_find(m, IKEV2_PL_SA, 0);
	struct ike_sa_pl sap;
	if (!sp || ike_sa_pl_decode(sp->body, sp->len, &sap) < 0) {
		x->error = IKEV2_N_INVALID_SYNTAX;
		return -EBADMSG;
	}
	if (sap.prop[0].proto == IKEV2_PROTO_IKE)
		return ike_rekey_r(sa, x, &sap);
	/* One Child SA per tunnel: additional ones are not what a GRE tunnel needs. */
	x->error = IKEV2_N_NO_ADDITIONAL_SAS;
	return -ENOTSUP;
}

static int create_child_build_r(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w)
{
	(void)sa;
	if (x->error) {
		ike_w_notify(w, 0, NULL, 0, x->error, x->error_data, x->error_data_len);
		return w->err ? -EMSGSIZE : 0;
	}
	if (x->new_sa) {
		ike_w_sa(w, &x->chosen, 1);
		ike_w_nonce(w, x->nonce, IKE_NONCE_LEN);
		int err = w_ke(w, x->dh);
		if (err < 0)
			return err;
		return w->err ? -EMSGSIZE : 0;
	}
	if (x->transport)
		ike_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_notify(w, 0, NULL, 0, IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, NULL, 0);
	ike_w_sa(w, &x->chosen, 1);
	ike_w_nonce(w, x->nonce, IKE_NONCE_LEN);
	if (x->dh) {
		int err = w_ke(w, x->dh);
		if (err < 0)
			return err;
	}
	ike_w_ts(w, IKEV2_PL_TSI, &x->ts_i, 1);
	ike_w_ts(w, IKEV2_PL_TSR, &x->ts_r, 1);
	return w->err ? -EMSGSIZE : 0;
}

/* The peer's CREATE_CHILD_SA: a Child SA rekey (REKEY_SA) or an IKE SA
 * rekey (an IKE proposal); new Child SAs are refused. */
const struct ike_task_ops ike_task_create_child_sa = {
    .exch = IKEV2_EXCH_CREATE_CHILD_SA,
    .process_r = create_child_process_r,
    .build_r = create_child_build_r,
};
