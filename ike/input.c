/* input.c: every IKE message on its way in, from ike_input to the handler
 * of its exchange, as a pipeline of steps, each its own function, each
 * refusal counted (engine.c's top comment has the same order, briefly):
 *
 *   IKE_SA_INIT, in the clear: decode -> init_locate: the peer a request
 *   comes from (exch_init.c's ike_init_admit, which also answers its
 *   retransmissions) or the SA whose request a response answers.
 *
 *   Any other exchange: the SA by our SPI -> window: message ID, and a
 *   retransmitted request answered from the response cache -> open_sk:
 *   decode, then open the SK payload, or one SKF fragment, in our copy
 *   (every fragment is authenticated and decrypted on its own, as it comes)
 *   -> reassemble: once all fragments of the message are in, their
 *   plaintext in order -> decode_inner: the payloads inside.
 *
 *   Then both: rules_pass, the one place the payload rules (rules.c) are
 *   checked -> dispatch: ike_init_request (exch_init.c), the process_i of
 *   the task whose request is answered, or the responder task of the
 *   exchange (process_r, then build_r writes the answer; engine.c's task
 *   table).
 *
 * Of the refusals here, only two kinds are answered: a request that was
 * authenticated but is malformed inside (INVALID_SYNTAX, or
 * UNSUPPORTED_CRITICAL_PAYLOAD) and an IKE_SA_INIT request that breaks the
 * rules (INVALID_SYNTAX, statelessly).  Every other refusal here goes
 * unanswered, and so is every response. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* One message on its way in. */
struct rx {
	struct ike_engine *eng;
	const struct sockaddr_in *local, *remote;
	const uint8_t *msg; /* as received */
	size_t len;
	bool clear; /* IKE_SA_INIT: no SK, no SA yet for a request */
	bool response;
	struct ike_msg m;
	struct ike_sa *sa;     /* the SA it is for; NULL for an IKE_SA_INIT request */
	struct ike_peer *peer; /* an IKE_SA_INIT request: the peer it comes from */
	/* SK messages: our copy of msg, opened in place; the SK or SKF payload */
	uint8_t *buf;
	bool skf;
	struct ike_skf_pl frag;
	/* the plaintext behind SK, and its first payload's type */
	const uint8_t *plain;
	size_t plain_len;
	uint8_t first;
	uint8_t *whole; /* reassembled fragments (plain points here) */
	size_t whole_len;
};

static void count_decode(struct ike_engine *eng, enum ike_decode_err why)
{
	if (why < IKE_DEC_MAX)
		eng->st.dec_err[why]++;
	log_warn_rl("ike: message refused: %s", ike_decode_err_str(why));
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

/* ---- IKE_SA_INIT ---- */
/* A request is for the peer it comes from, a response for the SA whose
 * request it answers; false: neither (counted), or dealt with. */
static bool init_locate(struct rx *rx, const struct ike_hdr *h)
{
	bool from_initiator = h->flags & IKEV2_FLAG_INITIATOR;
	if (!rx->response) {
		if (from_initiator)
			rx->peer = ike_init_admit(rx->eng, rx->local, rx->remote, &rx->m);
		return rx->peer != NULL;
	}
	if (from_initiator)
		return false;
	struct ike_sa *sa = ike_sa_lookup(rx->eng, h->spi_i, true);
	if (!sa || sa->task != TASK_INIT || h->msgid != 0 ||
	    sa->remote.sin_addr.s_addr != rx->remote->sin_addr.s_addr) {
		rx->eng->st.no_sa++;
		return false;
	}
	rx->sa = sa;
	return true;
}

/* ---- SK messages ---- */
/* The message-ID window (RFC 7296 2.3): a response answers our request in
 * flight, a request is the next one expected, and the one before it again
 * is answered from the response cache.  false: nothing more to do. */
static bool window(struct rx *rx)
{
	struct ike_engine *eng = rx->eng;
	struct ike_sa *sa = rx->sa;
	const uint8_t *msg = rx->msg;
	uint32_t msgid =
	    (uint32_t)msg[20] << 24 | (uint32_t)msg[21] << 16 | (uint32_t)msg[22] << 8 | msg[23];
	if (!sa->have_keys) {
		eng->st.no_sa++;
		return false;
	}
	if (rx->response) {
		if (sa->task == TASK_NONE || msgid != sa->msgid_out) {
			eng->st.bad_msgid++;
			return false;
		}
	} else if (msgid + 1 == sa->msgid_in && (sa->resp || sa->n_resp_frags)) {
		/* A retransmitted request: answer from the cache, the work is done.
		 * Only answer once the whole request was seen again if it came in
		 * fragments: the first fragment is enough to tell. */
		eng->st.rx_retransmits++;
		struct ike_msg tmp;
		if (ike_msg_decode(msg, rx->len, &tmp, NULL) == 0 && tmp.sk >= 0 &&
		    tmp.pl[tmp.sk].type == IKEV2_PL_SKF) {
			struct ike_skf_pl f;
			if (ike_skf_pl_decode(tmp.pl[tmp.sk].body, tmp.pl[tmp.sk].len, &f) < 0 ||
			    f.num != 1)
				return false;
		}
		if (resend_allowed(sa, msg, rx->len))
			ike_send_response_again(sa);
		return false;
	} else if (msgid != sa->msgid_in) {
		eng->st.bad_msgid++;
		return false;
	}
	return true;
}

/* Decodes our copy of the message and opens its SK payload, or its one SKF
 * fragment, in place: authenticated before anything is decrypted. */
static bool open_sk(struct rx *rx)
{
	struct ike_engine *eng = rx->eng;
	struct ike_sa *sa = rx->sa;
	struct ike_msg *m = &rx->m;
	rx->buf = ike_memdup(rx->msg, rx->len);
	if (!rx->buf)
		return false;
	enum ike_decode_err why;
	if (ike_msg_decode(rx->buf, rx->len, m, &why) < 0 || m->sk < 0) {
		if (m->sk < 0 && why == IKE_DEC_OK)
			eng->st.rule_err++;
		else
			count_decode(eng, why);
		return false;
	}
	const struct ike_pl *sk = &m->pl[m->sk];
	size_t aad = sk->off + IKEV2_GEN_HDR_LEN;
	rx->skf = sk->type == IKEV2_PL_SKF;
	if (rx->skf) {
		if (ike_skf_pl_decode(sk->body, sk->len, &rx->frag) < 0) {
			eng->st.frag_drop++;
			return false;
		}
		aad += 4;
	}
	const uint8_t *ke = sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
	const uint8_t *ka = sa->initiator ? sa->keys.sk_ar : sa->keys.sk_ai;
	size_t poff, plen;
	if (ike_sk_open(sa->encr, sa->integ, ke, ka, rx->buf, m->raw_len, aad, &poff, &plen) < 0) {
		eng->st.sk_fail++;
		log_warn_rl("ike: tunnel %u: integrity check failed", sa->peer->cfg.tunnel_id);
		return false;
	}
	sa->last_rx_ms = ike_now(eng);
	if (rx->local->sin_port == htons(4500) &&
	    (!sa->natt || sa->remote.sin_port != rx->remote->sin_port ||
	     sa->local.sin_port != rx->local->sin_port)) {
		/* 2.23: once the peer moved to 4500 (NAT or forced encapsulation),
		 * answer where the authenticated message came from. */
		sa->natt = true;
		sa->local = *rx->local;
		sa->remote = *rx->remote;
	}
	rx->first = m->sk_first;
	rx->plain = rx->buf + poff;
	rx->plain_len = plen;
	if (!rx->response && (!rx->skf || rx->frag.num == 1))
		request_hash(rx->msg, rx->len, rx->skf ? sa->frag1_hash : sa->req_in_hash);
	return true;
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
		/* lengths too: stale ones would count against the 64 KiB cap */
		ike_sa_frags_clear(sa);
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
	sa->frag_buf[num - 1] = ike_memdup(plain, len);
	if (!sa->frag_buf[num - 1])
		return false;
	sa->frag_len[num - 1] = len;
	if (num == 1)
		sa->frag_first = m->sk_first;
	sa->frag_have++;
	eng->st.frag_rx++;
	return sa->frag_have == sa->frag_total;
}

/* An SKF fragment joins the others of its message; false until all are in.
 * Then plain is their plaintext, in order. */
static bool reassemble(struct rx *rx)
{
	struct ike_sa *sa = rx->sa;
	if (!rx->skf)
		return true;
	if (!frag_add(sa, &rx->m, rx->frag.num, rx->frag.total, rx->plain, rx->plain_len))
		return false;
	if (!rx->response)
		memcpy(sa->req_in_hash, sa->frag1_hash, 32);
	size_t tot = 0;
	for (size_t i = 0; i < sa->frag_total; i++)
		tot += sa->frag_len[i];
	rx->whole = malloc(tot ? tot : 1);
	if (!rx->whole)
		return false;
	tot = 0;
	for (size_t i = 0; i < sa->frag_total; i++) {
		memcpy(rx->whole + tot, sa->frag_buf[i], sa->frag_len[i]);
		tot += sa->frag_len[i];
		free(sa->frag_buf[i]);
		sa->frag_buf[i] = NULL;
		sa->frag_len[i] = 0;
	}
	rx->whole_len = tot;
	rx->first = sa->frag_first;
	sa->frag_total = sa->frag_have = 0;
	rx->plain = rx->whole;
	rx->plain_len = tot;
	return true;
}

/* The payloads inside SK.  A request they make malformed is answered: it
 * was authenticated. */
static bool decode_inner(struct rx *rx)
{
	enum ike_decode_err why;
	if (ike_msg_decode_inner(&rx->m, rx->first, rx->plain, rx->plain_len, &why) == 0)
		return true;
	count_decode(rx->eng, why);
	if (!rx->response && why == IKE_DEC_CRITICAL) {
		uint8_t t = rx->m.unsupported_critical;
		ike_respond_error(rx->sa, &rx->m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
	} else if (!rx->response) {
		ike_respond_error(rx->sa, &rx->m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
	}
	return false;
}

/* ---- both ---- */
/* The payload rules (rules.c), checked here for every message and nowhere
 * else: once it is whole and authenticated (IKE_SA_INIT: once its peer or
 * SA is known), before any handler, which may then rely on them.  A refused
 * request is answered INVALID_SYNTAX; IKE_SA_INIT's statelessly. */
static bool rules_pass(struct rx *rx)
{
	uint8_t bad;
	enum ike_rule_err re = ike_rules_check(&rx->m, &bad);
	if (re == IKE_RULE_OK)
		return true;
	rx->eng->st.rule_err++;
	if (rx->clear && !rx->response) {
		log_warn_rl("ike: IKE_SA_INIT from %s refused: %s (payload %u)",
			    inet_ntoa(rx->remote->sin_addr), ike_rule_err_str(re), bad);
		ike_send_stateless(rx->eng, rx->local, rx->remote, &rx->m, IKEV2_N_INVALID_SYNTAX,
				   NULL, 0);
	} else if (rx->clear) {
		log_warn_rl("ike: IKE_SA_INIT response refused: %s (%u)", ike_rule_err_str(re),
			    bad);
	} else {
		log_warn_rl("ike: tunnel %u: exchange %u refused: %s (payload %u)",
			    rx->sa->peer->cfg.tunnel_id, rx->m.hdr.exch, ike_rule_err_str(re), bad);
		if (!rx->response)
			ike_respond_error(rx->sa, &rx->m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
	}
	return false;
}

/* The peer's request goes to the responder task of its exchange.
 * process_r decides: 0 accepted, < 0 refused with x.error, IKE_REQ_IGNORED
 * not in this state (no answer, the message ID stays unused); build_r
 * writes the answer, which ike_msg_send seals, sends and caches. */
static void handle_request(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_task_ops *ops = ike_task_responder(m->hdr.exch);
	if (!ops)
		return;
	struct ike_xch x;
	memset(&x, 0, sizeof(x));
	x.req = m;
	int err = ops->process_r(sa, &x);
	if (err == IKE_REQ_IGNORED)
		goto out;
	/* A refusal is never answered as an acceptance. */
	if (err < 0 && !x.error)
		x.error = IKEV2_N_TEMPORARY_FAILURE;
	/* The rules let it through, the handler found it malformed: counted
	 * here, once, whichever check it failed. */
	if (x.error == IKEV2_N_INVALID_SYNTAX)
		sa->eng->st.bad_payload++;
	uint8_t *buf = malloc(IKE_MSG_BUF);
	if (!buf)
		goto out;
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, IKE_MSG_BUF, m->hdr.exch, true, m->hdr.msgid);
	if (ops->build_r(sa, &x, &w) == 0)
		ike_msg_send(sa, &w, true);
	OPENSSL_cleanse(buf, w.len < IKE_MSG_BUF ? w.len : IKE_MSG_BUF);
	free(buf);
out:
	ike_dh_free(x.dh);
	OPENSSL_cleanse(&x, sizeof(x));
}

static void handle_response(struct ike_sa *sa, const struct ike_msg *m)
{
	enum ike_task_kind k = sa->task;
	const struct ike_task_ops *ops = ike_task_ops_of(k);
	if (k == TASK_AUTH)
		ike_rtt_sample(sa->eng, sa->req_sent_ms, sa->retx_count);
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
	uint64_t sent = sa->req_sent_ms; /* process_i may send the next request */
	unsigned tries = sa->retx_count;
	int r = ike_task_init.process_i(sa, m);
	if (r == -EAGAIN || sa->state == IKE_STATE_DEAD)
		return;
	ike_rtt_sample(sa->eng, sent, tries);
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	sa->task = TASK_NONE;
	if (r == 0)
		sa->msgid_out++;
	ike_sa_kick(sa);
}

/* To the handler: exch_init.c for an IKE_SA_INIT request, the task in
 * flight for a response (of its exchange only), the responder task for a
 * request. */
static void dispatch(struct rx *rx)
{
	struct ike_sa *sa = rx->sa;
	if (rx->clear && !rx->response) {
		ike_init_request(rx->eng, rx->peer, rx->local, rx->remote, &rx->m);
	} else if (rx->clear) {
		handle_init_response(sa, &rx->m);
	} else if (!rx->response) {
		handle_request(sa, &rx->m);
		ike_sa_kick(sa);
	} else if (rx->m.hdr.exch != ike_task_ops_of(sa->task)->exch) {
		rx->eng->st.rule_err++;
	} else {
		handle_response(sa, &rx->m);
	}
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
	struct rx rx;
	memset(&rx, 0, sizeof(rx));
	rx.eng = eng;
	rx.local = local;
	rx.remote = remote;
	rx.msg = msg;
	rx.len = len;
	rx.response = h.flags & IKEV2_FLAG_RESPONSE;
	if (h.exch == IKEV2_EXCH_IKE_SA_INIT) {
		rx.clear = true;
		enum ike_decode_err why;
		if (ike_msg_decode(msg, len, &rx.m, &why) < 0) {
			count_decode(eng, why);
			return;
		}
		if (init_locate(&rx, &h) && rules_pass(&rx)) {
			/* only the peer (a request) or the SA (a response) it is
			 * for changes; ike_init_admit changes no deadline */
			ike_touch_peer(rx.sa ? rx.sa->peer : rx.peer);
			dispatch(&rx);
		}
		ike_gc(eng);
		return;
	}
	bool from_initiator = h.flags & IKEV2_FLAG_INITIATOR;
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
	rx.sa = sa;
	ike_touch_sa(sa); /* from here on its SAs' deadlines may change */
	if (window(&rx) && open_sk(&rx) && reassemble(&rx) && decode_inner(&rx) && rules_pass(&rx))
		dispatch(&rx);
	if (rx.whole) {
		OPENSSL_cleanse(rx.whole, rx.whole_len);
		free(rx.whole);
	}
	if (rx.buf) {
		OPENSSL_cleanse(rx.buf, len);
		free(rx.buf);
	}
	ike_gc(eng);
}
