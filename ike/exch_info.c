/* exch_info.c: INFORMATIONAL exchanges (RFC 7296 1.4, 2.4): Delete of IKE
 * and Child SAs in both directions, and the empty request used as a
 * liveness check (DPD).  Ours are three tasks (Delete IKE SA, Delete Child
 * SA, DPD); every INFORMATIONAL of the peer's goes to one responder task
 * (ike_task_informational).
 *
 * A Child SA deleted by either side is reported down (child_down) only
 * once the exchange completes, so the data plane keeps the old pair while a
 * rekey's Delete is in flight (make-before-break). */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static bool has_live_child(const struct ike_sa *sa)
{
	for (const struct ike_child *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED || c->state == CHILD_REKEYING ||
		    c->state == CHILD_CREATING)
			return true;
	return false;
}

/* ---- Delete IKE SA ---- */
static int del_ike_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	ike_sa_set_state(sa, IKE_STATE_DELETING, "deleting");
	/* Why, when it is a refusal of what the peer answered: the peer then
	 * names the same reason instead of "deleted by peer". */
	if (sa->delete_notify)
		ike_w_notify(w, 0, NULL, 0, sa->delete_notify, NULL, 0);
	ike_w_delete(w, IKEV2_PROTO_IKE, 0, NULL, 0);
	return w->err ? -EMSGSIZE : 0;
}

static int del_ike_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	(void)m;
	ike_sa_kill(sa, sa->down_reason[0] ? sa->down_reason : "deleted", true);
	return 0;
}

const struct ike_task_ops ike_task_delete_ike = {
    .exch = IKEV2_EXCH_INFORMATIONAL,
    .build_i = del_ike_build_i,
    .process_i = del_ike_process_i,
};

/* ---- Delete Child SA ---- */
static int del_child_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	struct ike_child *c = sa->task_child;
	if (!c)
		return -ENOENT;
	ike_child_set_state(c, CHILD_DELETING, c->expired_hard ? "hard lifetime" : "deleting");
	uint32_t spi = htonl(c->spi_in);
	ike_w_delete(w, IKEV2_PROTO_ESP, 4, (const uint8_t *)&spi, 1);
	return w->err ? -EMSGSIZE : 0;
}

static int del_child_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	(void)m;
	struct ike_child *c = sa->task_child;
	sa->task_child = NULL;
	if (!c)
		return 0;
	bool replaced = c->replaced_by != NULL || c->rekey_lost;
	ike_child_kill(c, replaced ? "rekeyed" : "deleted");
	if (!replaced && !has_live_child(sa) && ike_sa_usable(sa)) {
		/* An always-on tunnel must not sit without a Child SA: start over. */
		snprintf(sa->down_reason, sizeof(sa->down_reason), "Child SA expired");
		sa->pending_delete = true;
	}
	return 0;
}

const struct ike_task_ops ike_task_delete_child = {
    .exch = IKEV2_EXCH_INFORMATIONAL,
    .build_i = del_child_build_i,
    .process_i = del_child_process_i,
};

/* ---- liveness check ---- */
static int dpd_build_i(struct ike_sa *sa, struct ike_wbuf *w)
{
	(void)sa;
	return w->err ? -EMSGSIZE : 0;
}

static int dpd_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	(void)sa;
	(void)m;
	return 0;
}

const struct ike_task_ops ike_task_dpd = {
    .exch = IKEV2_EXCH_INFORMATIONAL,
    .build_i = dpd_build_i,
    .process_i = dpd_process_i,
};

/* ---- responder ---- */
static int info_process_r(struct ike_sa *sa, struct ike_xch *x)
{
	const struct ike_msg *m = x->req;
	const struct ike_pl *pl;
	if (sa->state == IKE_STATE_INIT || sa->state == IKE_STATE_AUTH) {
		sa->eng->st.early_request++;
		return IKE_REQ_IGNORED; /* not before IKE_AUTH is done */
	}
	/* The initiator of this SA could not verify our AUTH (2.21.2): it
	 * says so inside the SA it is dropping.  Only the first exchange
	 * after IKE_AUTH can carry that. */
	if (!sa->initiator && !sa->by_rekey && m->hdr.msgid == 2 &&
	    ike_msg_notify(m, IKEV2_N_AUTHENTICATION_FAILED, NULL)) {
		sa->eng->st.auth_fail++;
		ike_fail(sa->peer, sa, IKE_FAIL_AUTH, IKEV2_N_AUTHENTICATION_FAILED, true,
			 "peer %s sent AUTHENTICATION_FAILED (our pre-shared key or "
			 "identity did not verify there)",
			 inet_ntoa(sa->remote.sin_addr));
		x->del_ike = true;
		x->auth_refused = true;
		return 0;
	}
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_DELETE, i)); i++) {
		struct ike_delete_pl d;
		if (ike_delete_pl_decode(pl->body, pl->len, &d) < 0) {
			sa->eng->st.bad_payload++;
			continue;
		}
		if (d.proto == IKEV2_PROTO_IKE) {
			x->del_ike = true;
			continue;
		}
		if (d.proto != IKEV2_PROTO_ESP)
			continue;
		for (uint16_t k = 0; k < d.n_spi; k++) {
			uint32_t spi;
			memcpy(&spi, d.spis + 4u * k, 4);
			struct ike_child *c = ike_child_by_spi_out(sa, ntohl(spi));
			if (!c)
				continue; /* 3.11: unknown SPIs are ignored */
			if (x->n_del < sizeof(x->del_spis) / 4) {
				uint32_t ours = htonl(c->spi_in);
				memcpy(x->del_spis + 4u * x->n_del, &ours, 4);
				x->n_del++;
			}
			bool replaced = c->replaced_by != NULL || c->state == CHILD_REKEYED;
			if (sa->task_child == c && sa->task == TASK_DELETE_CHILD)
				sa->task_child = NULL; /* simultaneous delete: done here */
			ike_child_kill(c, replaced ? "rekeyed (peer's delete)" : "deleted by peer");
			if (!replaced && !has_live_child(sa) && ike_sa_usable(sa) &&
			    !sa->peer->cfg.passive) {
				snprintf(sa->down_reason, sizeof(sa->down_reason),
					 "Child SA deleted by peer");
				sa->pending_delete = true;
				ike_fail(sa->peer, sa, IKE_FAIL_DELETED, 0, true,
					 "peer %s deleted the Child SA",
					 inet_ntoa(sa->remote.sin_addr));
			}
		}
	}
	return 0;
}

static int info_build_r(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w)
{
	if (x->del_ike) {
		/* 1.4.1: answer with an empty INFORMATIONAL, then the SA is gone.
		 * Only the tunnel's last live SA takes it down: a rekeyed or
		 * duplicate one going is no failure. */
		/* An SA without a Child SA was already a failure, reported when
		 * its Child SA was refused: its Delete is no news. */
		bool last = ike_sa_usable(sa) && !x->auth_refused && has_live_child(sa);
		for (struct ike_sa *o = sa->peer->sas; o; o = o->peer_next)
			if (o != sa && ike_sa_usable(o))
				last = false;
		uint16_t why = ike_msg_error(x->req);
		const char *nn = ike_notify_name(why);
		if (last && why)
			ike_fail(
			    sa->peer, sa, ike_fail_class_of(why), why, true,
			    "peer %s refused the Child SA we gave it (%s) and deleted the IKE SA",
			    inet_ntoa(sa->remote.sin_addr), nn ? nn : "an error");
		else if (last)
			ike_fail(sa->peer, sa, IKE_FAIL_DELETED, 0, true,
				 "peer %s deleted the IKE SA", inet_ntoa(sa->remote.sin_addr));
		ike_sa_kill(sa,
			    x->auth_refused ? "peer refused our authentication" : "deleted by peer",
			    true);
		return w->err ? -EMSGSIZE : 0;
	}
	if (x->n_del)
		ike_w_delete(w, IKEV2_PROTO_ESP, 4, x->del_spis, x->n_del);
	return w->err ? -EMSGSIZE : 0;
}

/* The peer's INFORMATIONAL: Deletes, a liveness check, or AUTHENTICATION_FAILED. */
const struct ike_task_ops ike_task_informational = {
    .exch = IKEV2_EXCH_INFORMATIONAL,
    .process_r = info_process_r,
    .build_r = info_build_r,
};
