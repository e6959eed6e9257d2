/* output.c: every IKE message on its way out.
 *
 * A message is started with ike_msg_start (header; SK header and IV room
 * unless it is IKE_SA_INIT) and finished by ike_msg_send, which seals it,
 * or, when it is larger than the fragment size and the peer supports RFC
 * 7383, splits its plaintext into SKF fragments sealed one by one; sends
 * it; and keeps it: a request until it is answered, for the retransmissions
 * engine.c's timers ask for (ike_send_request_again; a fragmented request
 * stays fragments, 7383 2.6), a response for the peer's retransmission of
 * its request (ike_send_response_again, when input.c allows it).
 *
 * Also here, the messages outside that cycle: error answers built straight
 * from a request, inside an SA (ike_respond_error) or before there is one
 * (ike_send_stateless), and an SA's last request (ike_send_final). */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

void ike_resp_forget(struct ike_sa *sa)
{
	free(sa->resp);
	sa->resp = NULL;
	sa->resp_len = 0;
	for (size_t i = 0; i < sa->n_resp_frags; i++)
		free(sa->resp_frags[i]);
	free(sa->resp_frags);
	free(sa->resp_frag_len);
	sa->resp_frags = NULL;
	sa->resp_frag_len = NULL;
	sa->n_resp_frags = 0;
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
				ike_resp_forget(sa);
				sa->resp_frags = fr;
				sa->resp_frag_len = fl;
				sa->n_resp_frags = (size_t)n;
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
				sa->req_sent_ms = ike_now(eng);
				sa->retx_first_ms = ike_retx_first_ms(sa);
				sa->retx_at = sa->req_sent_ms + sa->retx_first_ms;
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
		ike_resp_forget(sa);
		sa->resp = ike_memdup(w->buf, len);
		sa->resp_len = sa->resp ? len : 0;
		sa->msgid_in++;
	} else {
		free(sa->req);
		sa->req = ike_memdup(w->buf, len);
		sa->req_len = sa->req ? len : 0;
		sa->req_is_frags = false;
		sa->retx_count = 0;
		sa->unreach_hits = 0;
		sa->req_sent_ms = ike_now(eng);
		sa->retx_first_ms = ike_retx_first_ms(sa);
		sa->retx_at = sa->req_sent_ms + sa->retx_first_ms;
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

void ike_send_request_again(struct ike_sa *sa)
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

void ike_send_response_again(struct ike_sa *sa)
{
	if (sa->n_resp_frags)
		send_frags(sa, sa->resp_frags, sa->resp_frag_len, sa->n_resp_frags);
	else if (sa->resp)
		ike_send_raw(sa->eng, &sa->local, &sa->remote, sa->resp, sa->resp_len);
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

void ike_respond_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		       const uint8_t *data, size_t len)
{
	uint8_t buf[512];
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, sizeof(buf), m->hdr.exch, true, m->hdr.msgid);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	ike_msg_send(sa, &w, true);
}

void ike_send_stateless(struct ike_engine *eng, const struct sockaddr_in *local,
			const struct sockaddr_in *remote, const struct ike_msg *req, uint16_t type,
			const void *data, size_t len)
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
