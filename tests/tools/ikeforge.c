/* ikeforge: an authenticated peer that sends vtid broken requests.
 *
 *   ikeforge --local A --remote B --psk SECRET [--start-file PATH]
 *            [--establish-s N] [--answer-ms N] [--tries N]
 *
 * It runs vtid's own IKE engine (ike/ike.h) over real UDP sockets bound to
 * A:500 and A:4500, as a passive peer of B (vtid, configured with a tunnel
 * whose destination is A and the same PSK; AES-GCM-256, PRF SHA-256, group
 * 19, ESP AES-GCM-256 transport, GRE selectors).  vtid initiates; once the
 * IKE SA and its Child SA are up it prints "established ...", waits for
 * PATH to exist (if given), then sends one forged request per case inside
 * SK, sealed with the SA's keys and numbered with the SA's next message ID:
 *
 *   CREATE_CHILD_SA  every subset of SA / Nonce / KE / TSi / TSr, with and
 *                    without REKEY_SA (naming the live Child SA), with and
 *                    without an error notify; SAs proposing the IKE protocol
 *                    without KE or Nonce, with a KE of another group, with
 *                    no SPI; truncated bodies and lying payload lengths;
 *                    an unknown critical payload
 *   INFORMATIONAL    an error notify only, a malformed Delete, a Delete for
 *                    an SPI vtid does not have, payloads it may not carry
 *   responses        a CREATE_CHILD_SA and an INFORMATIONAL response with an
 *                    error notify that answer nothing (vtid must stay silent)
 *
 * A set holding every payload the exchange needs would really create or
 * rekey something, so there the SA payload proposes transforms vtid refuses
 * (3DES, HMAC-MD5).  Each response is opened with the SA's keys and checked:
 * INVALID_SYNTAX where a payload is missing or broken, some error notify
 * where the request is well formed but refused, an answer of any kind for
 * INFORMATIONAL, none for the unsolicited responses.  A request that gets no
 * answer is sent again (same bytes) up to --tries times; the message ID only
 * advances once vtid answered.  Last, the engine's own liveness check (an
 * empty INFORMATIONAL) must be answered on the same IKE SA.
 *
 * One line per case; then
 *   summary: cases=N ok=N bad=N malformed=N rules=N handler=N silent=N noanswer=N
 * where malformed = cases vtid must refuse and count (rules: refused by the
 * payload rules or the decoder before any handler; handler: by the exchange
 * handler), silent = unsolicited responses (counted as bad_msgid).  Exit 0
 * when every case and the liveness check passed. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/priv.h"
#include "lib/log.h"
#include "lib/suite.h"

enum want {
	W_SYNTAX, /* an INVALID_SYNTAX notify */
	W_ERROR,  /* any error notify */
	W_ANSWER, /* any authenticated response */
	W_SILENT, /* no response at all */
};

enum refusal {
	R_NONE,	   /* may be refused without a counter (NO_ADDITIONAL_SAS, ...) */
	R_RULES,   /* payload rules or decoder: rule_err, decode_errors */
	R_HANDLER, /* the exchange handler's own checks */
};

static const char *const want_name[] = {"INVALID_SYNTAX", "an error", "an answer", "silence"};

struct forge {
	struct ike_engine *eng;
	struct ike_peer_cfg cfg;
	int fd500, fd4500;
	struct sockaddr_in local, remote;
	bool ike_up;
	unsigned child_ups;
	/* the forged message in flight */
	uint8_t w_exch;
	uint32_t w_msgid;
	bool waiting, answered;
	uint8_t resp[IKE_MSG_BUF];
	size_t resp_len;
	/* results */
	unsigned cases, ok, bad, malformed, rules, handler, silent, noanswer, noanswer_run;
	bool gone; /* vtid stopped answering, or the SA went: later cases are not sent */
	unsigned answer_ms, tries;
	/* the IKE SA under test (compared, never read, once it may be gone)
	 * and what the cases need of its Child SA */
	struct ike_sa *sa;
	uint32_t child_spi_in;
	struct ike_ts ts_l, ts_r;
};

static struct forge F;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t host_now(void *ctx)
{
	(void)ctx;
	return mono_ms();
}

static int send_udp(struct forge *f, uint16_t from_port, const struct sockaddr_in *to,
		    const uint8_t *msg, size_t len)
{
	uint8_t buf[IKE_MSG_BUF + 4];
	if (len > IKE_MSG_BUF)
		return -EMSGSIZE;
	int fd = f->fd500;
	const uint8_t *out = msg;
	size_t n = len;
	if (from_port == 4500) { /* RFC 3948: the non-ESP marker */
		memset(buf, 0, 4);
		memcpy(buf + 4, msg, len);
		fd = f->fd4500;
		out = buf;
		n = len + 4;
	}
	if (sendto(fd, out, n, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return -errno;
	return 0;
}

static int host_send(void *ctx, const struct sockaddr_in *from, const struct sockaddr_in *to,
		     const uint8_t *msg, size_t len)
{
	return send_udp(ctx, ntohs(from->sin_port), to, msg, len);
}

static void host_child_up(void *ctx, const struct ike_child_sa *c)
{
	struct forge *f = ctx;
	f->child_ups++;
	printf("ikeforge: Child SA up: spi in %08x out %08x%s\n", c->spi_in, c->spi_out,
	       c->rekey ? " (rekey)" : "");
}

static void host_child_down(void *ctx, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out)
{
	(void)ctx;
	(void)tunnel_id;
	printf("ikeforge: Child SA down: spi in %08x out %08x\n", spi_in, spi_out);
}

static void host_ike_event(void *ctx, uint32_t tunnel_id, enum ike_sa_event ev, const char *why)
{
	struct forge *f = ctx;
	(void)tunnel_id;
	f->ike_up = ev == IKE_SA_UP;
	printf("ikeforge: IKE SA %s (%s)\n", ev == IKE_SA_UP ? "up" : "down", why ? why : "");
}

/* ---- sockets and the wait loop ---- */
static int open_udp(const struct sockaddr_in *addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = *addr;
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static struct ike_sa *live_sa(struct forge *f)
{
	for (struct ike_peer *p = f->eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			if (sa->state == IKE_STATE_ESTABLISHED && sa->have_keys)
				return sa;
	return NULL;
}

static struct ike_child *live_child(struct ike_sa *sa)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED)
			return c;
	return NULL;
}

/* Is this datagram vtid's answer to the message we forged? */
static bool is_forged_answer(struct forge *f, const uint8_t *msg, size_t len)
{
	struct ike_sa *sa = live_sa(f);
	struct ike_hdr h;
	if (!f->waiting || !sa || ike_hdr_decode(msg, len, &h) < 0)
		return false;
	return h.exch == f->w_exch && (h.flags & IKEV2_FLAG_RESPONSE) && h.msgid == f->w_msgid &&
	       memcmp(h.spi_i, sa->spi_i, 8) == 0 && memcmp(h.spi_r, sa->spi_r, 8) == 0;
}

static void read_socket(struct forge *f, int fd, uint16_t port)
{
	static const uint8_t zero[4];
	uint8_t buf[65536];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			return;
		const uint8_t *msg = buf;
		size_t len = (size_t)n;
		if (port == 4500) {
			if (len < 4 + IKEV2_HDR_LEN || memcmp(buf, zero, 4) != 0)
				continue; /* ESP in UDP or a keepalive: not ours to read */
			msg += 4;
			len -= 4;
		}
		if (is_forged_answer(f, msg, len)) {
			if (!f->answered && len <= sizeof(f->resp)) {
				memcpy(f->resp, msg, len);
				f->resp_len = len;
				f->answered = true;
			}
			continue;
		}
		struct sockaddr_in local = f->local;
		local.sin_port = htons(port);
		ike_input(f->eng, &local, &from, msg, len);
	}
}

/* Serves the sockets and the engine's timers until done(f) or `until`. */
static bool pump(struct forge *f, uint64_t until, bool (*done)(struct forge *))
{
	for (;;) {
		if (done && done(f))
			return true;
		uint64_t now = mono_ms();
		if (now >= until)
			return false;
		uint64_t dl = ike_next_deadline(f->eng);
		if (dl <= now) {
			ike_run_timers(f->eng);
			continue;
		}
		uint64_t wake = dl < until ? dl : until;
		if (wake > now + 50)
			wake = now + 50; /* also polls --start-file */
		struct pollfd pfd[2] = {{.fd = f->fd500, .events = POLLIN},
					{.fd = f->fd4500, .events = POLLIN}};
		int r = poll(pfd, 2, (int)(wake - now));
		if (r > 0) {
			if (pfd[0].revents & POLLIN)
				read_socket(f, f->fd500, 500);
			if (pfd[1].revents & POLLIN)
				read_socket(f, f->fd4500, 4500);
		}
	}
}

static bool established(struct forge *f)
{
	struct ike_sa *sa = live_sa(f);
	return sa && live_child(sa) && sa->task == TASK_NONE;
}

static bool answered(struct forge *f)
{
	return f->answered;
}

static const char *start_file;
static bool start_file_exists(struct forge *f)
{
	(void)f;
	return access(start_file, F_OK) == 0;
}

/* ---- forging ---- */
static void seal_and_send(struct forge *f, struct ike_sa *sa, struct ike_wbuf *w, size_t *out_len)
{
	size_t aad = IKEV2_HDR_LEN + IKEV2_GEN_HDR_LEN;
	size_t plain_len = w->len - aad - sa->encr->iv_len;
	size_t total = aad + ike_sk_sealed_len(sa->encr, sa->integ, plain_len);
	*out_len = 0;
	if (w->err || total > w->cap) {
		printf("ikeforge: message too large\n");
		return;
	}
	ike_w_put32(w, 24, (uint32_t)total);
	ike_w_put16(w, IKEV2_HDR_LEN + 2, (uint16_t)(total - IKEV2_HDR_LEN));
	/* As the SA's responder we send with SK_er/SK_ar, as its initiator SK_ei/SK_ai. */
	const uint8_t *ke = sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
	const uint8_t *ka = sa->initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
	size_t len;
	if (ike_sk_seal(sa->encr, sa->integ, ke, ka, w->buf, w->cap, aad, plain_len, &len) < 0) {
		printf("ikeforge: seal failed\n");
		return;
	}
	*out_len = len;
	send_udp(f, ntohs(sa->local.sin_port), &sa->remote, w->buf, len);
}

static const char *notify_name(uint16_t t)
{
	switch (t) {
	case IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKEV2_N_INVALID_SYNTAX:
		return "INVALID_SYNTAX";
	case IKEV2_N_NO_PROPOSAL_CHOSEN:
		return "NO_PROPOSAL_CHOSEN";
	case IKEV2_N_INVALID_KE_PAYLOAD:
		return "INVALID_KE_PAYLOAD";
	case IKEV2_N_AUTHENTICATION_FAILED:
		return "AUTHENTICATION_FAILED";
	case IKEV2_N_NO_ADDITIONAL_SAS:
		return "NO_ADDITIONAL_SAS";
	case IKEV2_N_TS_UNACCEPTABLE:
		return "TS_UNACCEPTABLE";
	case IKEV2_N_TEMPORARY_FAILURE:
		return "TEMPORARY_FAILURE";
	case IKEV2_N_CHILD_SA_NOT_FOUND:
		return "CHILD_SA_NOT_FOUND";
	case IKEV2_N_INVALID_SPI:
		return "INVALID_SPI";
	default:
		return NULL;
	}
}

/* Opens vtid's answer (f->resp) with the SA's keys: 0 and the first error
 * notify (0 if none) in *err, or -1 with *what saying why not. */
static int open_answer(struct forge *f, struct ike_sa *sa, uint16_t *err, const char **what)
{
	struct ike_msg m;
	enum ike_decode_err why;
	*err = 0;
	if (ike_msg_decode(f->resp, f->resp_len, &m, &why) < 0 || m.sk < 0) {
		*what = "undecodable answer";
		return -1;
	}
	if (m.pl[m.sk].type != IKEV2_PL_SK) {
		*what = "fragmented answer";
		return -1;
	}
	const uint8_t *ke = sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
	const uint8_t *ka = sa->initiator ? sa->keys.sk_ar : sa->keys.sk_ai;
	size_t poff, plen;
	if (ike_sk_open(sa->encr, sa->integ, ke, ka, f->resp, m.raw_len,
			m.pl[m.sk].off + IKEV2_GEN_HDR_LEN, &poff, &plen) < 0) {
		*what = "answer fails its integrity check";
		return -1;
	}
	if (ike_msg_decode_inner(&m, m.sk_first, f->resp + poff, plen, &why) < 0) {
		*what = "answer's inner payloads undecodable";
		return -1;
	}
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(&m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) == 0 &&
		    n.type <= IKEV2_N_ERROR_MAX) {
			*err = n.type;
			break;
		}
	}
	return 0;
}

static const char *const refusal_name[] = {"", "[rules]", "[handler]"};

static void result(struct forge *f, bool good, const char *name, const char *got, enum want want,
		   enum refusal refusal)
{
	f->cases++;
	if (good)
		f->ok++;
	else
		f->bad++;
	printf("case %3u %-58s -> %-28s want %-14s %-9s %s\n", f->cases, name, got, want_name[want],
	       refusal_name[refusal], good ? "ok" : "BAD");
}

/* Is the IKE SA under test still there?  (vtid may have deleted it.) */
static bool sa_here(struct forge *f)
{
	if (!f->gone && live_sa(f) != f->sa) {
		f->gone = true;
		printf(
		    "ikeforge: the IKE SA under test is gone; the remaining cases are not sent\n");
	}
	return !f->gone;
}

/* Sends the message built in w (unsealed) and judges vtid's answer. */
static void run_case(struct forge *f, struct ike_wbuf *w, const char *name, enum want want,
		     enum refusal refusal)
{
	if (refusal != R_NONE) {
		f->malformed++;
		if (refusal == R_RULES)
			f->rules++;
		else
			f->handler++;
	}
	if (want == W_SILENT)
		f->silent++;
	if (f->gone || w->err) {
		result(f, false, name, f->gone ? "not sent" : "could not build", want, refusal);
		return;
	}
	struct ike_sa *sa = f->sa;
	f->w_exch = w->buf[18];
	f->w_msgid = (uint32_t)w->buf[20] << 24 | (uint32_t)w->buf[21] << 16 |
		     (uint32_t)w->buf[22] << 8 | w->buf[23];
	bool is_response = w->buf[19] & IKEV2_FLAG_RESPONSE;
	size_t len;
	f->waiting = true;
	f->answered = false;
	seal_and_send(f, sa, w, &len);
	if (!len) {
		f->waiting = false;
		result(f, false, name, "could not build", want, refusal);
		return;
	}
	if (want == W_SILENT) {
		pump(f, mono_ms() + 300, answered);
		f->waiting = false;
		result(f, !f->answered, name, f->answered ? "answered" : "no answer", want,
		       refusal);
		return;
	}
	for (unsigned t = 0; t < f->tries && !f->answered && sa_here(f); t++) {
		if (t)
			send_udp(f, ntohs(sa->local.sin_port), &sa->remote, w->buf, len);
		pump(f, mono_ms() + f->answer_ms, answered);
	}
	f->waiting = false;
	if (!sa_here(f)) { /* vtid deleted it while we waited: sa is no more */
		result(f, false, name, "IKE SA gone", want, refusal);
		return;
	}
	if (!f->answered) {
		f->noanswer++;
		if (++f->noanswer_run >= 2) {
			f->gone = true;
			printf(
			    "ikeforge: vtid stopped answering; the remaining cases are not sent\n");
		}
		result(f, false, name, "no answer", want, refusal);
		return;
	}
	f->noanswer_run = 0;
	if (!is_response)
		sa->msgid_out++; /* vtid answered: it took this message ID */
	uint16_t err;
	const char *what = NULL;
	if (open_answer(f, sa, &err, &what) < 0) {
		result(f, false, name, what, want, refusal);
		return;
	}
	char got[40];
	const char *nn = notify_name(err);
	if (!err)
		snprintf(got, sizeof(got), "answer, no error");
	else if (nn)
		snprintf(got, sizeof(got), "%s", nn);
	else
		snprintf(got, sizeof(got), "error notify %u", err);
	bool good = want == W_ANSWER || (want == W_ERROR && err) ||
		    (want == W_SYNTAX && err == IKEV2_N_INVALID_SYNTAX);
	result(f, good, name, got, want, refusal);
}

/* ---- payloads ---- */
enum { P_SA = 1, P_NONCE = 2, P_KE = 4, P_TSI = 8, P_TSR = 16, P_ALL = 31 };

static uint32_t rand_spi(void)
{
	uint32_t v = 0;
	while (!v)
		ike_random((uint8_t *)&v, sizeof(v));
	return v;
}

static void w_nonce(struct ike_wbuf *w, size_t len)
{
	uint8_t n[64];
	ike_random(n, len);
	ike_w_nonce(w, n, len);
}

static void w_ke(struct ike_wbuf *w, const char *group)
{
	const struct suite *g = suite_by_name(SUITE_DH, group);
	struct ike_dh *dh = NULL;
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t len = 0;
	if (!g || ike_dh_new(g, &dh) < 0 || ike_dh_public(dh, pub, sizeof(pub), &len) < 0) {
		w->err = true;
		ike_dh_free(dh);
		return;
	}
	ike_w_ke(w, g->id, pub, len);
	ike_dh_free(dh);
}

/* Our own ESP proposal with a fresh SPI: acceptable to vtid. */
static void w_sa_esp(struct forge *f, struct ike_wbuf *w)
{
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_esp_props(&f->cfg, rand_spi(), NULL, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
}

/* A well-formed ESP proposal vtid refuses: 3DES with HMAC-MD5-96. */
static void w_sa_esp_refused(struct ike_wbuf *w)
{
	struct ike_prop p;
	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.proto = IKEV2_PROTO_ESP;
	p.spi_size = 4;
	uint32_t spi = rand_spi();
	memcpy(p.spi, &spi, 4);
	p.x[0] = (struct ike_xform){.type = SUITE_ENCR, .id = 3};
	p.x[1] = (struct ike_xform){.type = SUITE_INTEG, .id = 1};
	p.x[2] = (struct ike_xform){.type = SUITE_ESN, .id = 0};
	p.n_x = 3;
	ike_w_sa(w, &p, 1);
}

/* Our IKE proposal, as an IKE SA rekey would offer it. */
static void w_sa_ike(struct forge *f, struct ike_wbuf *w, size_t spi_len)
{
	uint8_t spi[8];
	ike_random(spi, sizeof(spi));
	spi[0] |= 1;
	struct ike_prop props[IKE_MAX_PROPOSALS];
	size_t n = ike_build_ike_props(&f->cfg, spi, spi_len, props, IKE_MAX_PROPOSALS);
	ike_w_sa(w, props, n);
}

static void w_rekey_sa(struct forge *f, struct ike_wbuf *w)
{
	uint32_t spi = htonl(f->child_spi_in); /* the SPI vtid sends to us on */
	ike_w_notify(w, IKEV2_PROTO_ESP, (const uint8_t *)&spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
}

static void w_error(struct ike_wbuf *w, uint16_t type)
{
	ike_w_notify(w, 0, NULL, 0, type, NULL, 0);
}

/* A request on the SA with its next message ID, or a response with the
 * ID vtid's next request will take. */
static void start_msg(struct forge *f, struct ike_wbuf *w, uint8_t *buf, size_t cap, uint8_t exch,
		      bool response)
{
	if (!sa_here(f)) {
		ike_w_init(w, buf, 0);
		w->err = true;
		return;
	}
	ike_msg_start(f->sa, w, buf, cap, exch, response,
		      response ? f->sa->msgid_in : f->sa->msgid_out);
}

static void start(struct forge *f, struct ike_wbuf *w, uint8_t *buf, size_t cap, uint8_t exch)
{
	start_msg(f, w, buf, cap, exch, false);
}

static void set_len(struct ike_wbuf *w, size_t start_off, uint16_t len)
{
	ike_w_put16(w, start_off + 2, len);
}

static size_t mask_name(char *out, size_t cap, unsigned mask)
{
	static const char *const names[] = {"SA", "Nonce", "KE", "TSi", "TSr"};
	size_t n = 0;
	out[0] = 0;
	for (unsigned i = 0; i < 5; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", names[i]);
	if (!n)
		n = (size_t)snprintf(out, cap, "none");
	return n;
}

/* CREATE_CHILD_SA: every subset of the five payloads, +/- REKEY_SA, +/- an error notify. */
static void cases_child_subsets(struct forge *f)
{
	static const uint16_t errs[] = {IKEV2_N_NO_PROPOSAL_CHOSEN, IKEV2_N_INVALID_SYNTAX,
					IKEV2_N_AUTHENTICATION_FAILED};
	uint8_t buf[IKE_MSG_BUF];
	for (int rekey = 0; rekey < 2; rekey++)
		for (int with_err = 0; with_err < 2; with_err++)
			for (unsigned mask = 0; mask <= P_ALL; mask++) {
				struct ike_wbuf w;
				uint16_t err = errs[mask % 3];
				bool complete = (mask & (P_SA | P_NONCE | P_TSI | P_TSR)) ==
						(P_SA | P_NONCE | P_TSI | P_TSR);
				start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
				if (rekey)
					w_rekey_sa(f, &w);
				if (with_err)
					w_error(&w, err);
				if (mask & P_SA) {
					if (complete)
						w_sa_esp_refused(&w);
					else
						w_sa_esp(f, &w);
				}
				if (mask & P_NONCE)
					w_nonce(&w, IKE_NONCE_LEN);
				if (mask & P_KE)
					w_ke(&w, "group19");
				if (mask & P_TSI)
					ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
				if (mask & P_TSR)
					ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
				char pls[40], name[96];
				mask_name(pls, sizeof(pls), mask);
				snprintf(name, sizeof(name), "CREATE_CHILD_SA %s%s%s%s[%s]%s",
					 rekey ? "REKEY_SA" : "", rekey && with_err ? "+" : "",
					 with_err ? notify_name(err) : "",
					 rekey || with_err ? " " : "", pls,
					 complete ? " refused-SA" : "");
				enum want want = W_ERROR;
				enum refusal r = R_NONE;
				if (!(mask & P_SA) || !(mask & P_NONCE)) {
					want = W_SYNTAX; /* SA and Nonce: required by the rules */
					r = R_RULES;
				} else if (rekey && !(mask & P_TSI && mask & P_TSR)) {
					want = W_SYNTAX; /* a Child SA rekey needs TSi and TSr */
					r = R_HANDLER;
				}
				run_case(f, &w, name, want, r);
			}
}

/* CREATE_CHILD_SA proposing the IKE protocol (an IKE SA rekey). */
static void cases_ike_rekey(struct forge *f)
{
	uint8_t buf[IKE_MSG_BUF];
	struct ike_wbuf w;

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_ike(f, &w, 8);
	w_nonce(&w, IKE_NONCE_LEN);
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey [SA(IKE),Nonce] no KE", W_SYNTAX, R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_error(&w, IKEV2_N_NO_PROPOSAL_CHOSEN);
	w_sa_ike(f, &w, 8);
	w_nonce(&w, IKE_NONCE_LEN);
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey NO_PROPOSAL_CHOSEN [SA(IKE),Nonce] no KE",
		 W_SYNTAX, R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_ike(f, &w, 8);
	w_nonce(&w, IKE_NONCE_LEN);
	ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey [SA(IKE),Nonce,TSi,TSr] no KE", W_SYNTAX,
		 R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_ike(f, &w, 8);
	w_ke(&w, "group19");
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey [SA(IKE),KE] no Nonce", W_SYNTAX, R_RULES);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_ike(f, &w, 8);
	w_nonce(&w, IKE_NONCE_LEN);
	w_ke(&w, "group14");
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey [SA(IKE),Nonce,KE(group14)]", W_ERROR, R_NONE);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_ike(f, &w, 0);
	w_nonce(&w, IKE_NONCE_LEN);
	w_ke(&w, "group19");
	run_case(f, &w, "CREATE_CHILD_SA IKE rekey [SA(IKE, no SPI),Nonce,KE]", W_ERROR, R_NONE);
}

/* Broken bodies and lengths inside SK. */
static void cases_truncated(struct forge *f)
{
	uint8_t buf[IKE_MSG_BUF];
	struct ike_wbuf w;
	size_t s;

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_rekey_sa(f, &w);
	w_sa_esp(f, &w);
	w_nonce(&w, 8);
	ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA 8-byte Nonce", W_SYNTAX, R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_rekey_sa(f, &w);
	s = ike_w_begin(&w, IKEV2_PL_SA); /* a proposal claiming 200 bytes, holding 8 */
	ike_w_u8(&w, 0);
	ike_w_u8(&w, 0);
	ike_w_u16(&w, 200);
	ike_w_u8(&w, 1);
	ike_w_u8(&w, IKEV2_PROTO_ESP);
	ike_w_u8(&w, 0);
	ike_w_u8(&w, 3);
	ike_w_end(&w, s);
	w_nonce(&w, IKE_NONCE_LEN);
	ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA SA with proposal past its end", W_SYNTAX,
		 R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_rekey_sa(f, &w);
	w_sa_esp(f, &w);
	w_nonce(&w, IKE_NONCE_LEN);
	s = ike_w_begin(&w, IKEV2_PL_KE); /* group only, no reserved bytes or data */
	ike_w_u16(&w, 19);
	ike_w_end(&w, s);
	ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA KE of 2 bytes", W_SYNTAX, R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_rekey_sa(f, &w);
	w_sa_esp(f, &w);
	w_nonce(&w, IKE_NONCE_LEN);
	s = ike_w_begin(&w, IKEV2_PL_TSI); /* one selector announced, 6 of its 16 bytes */
	ike_w_u8(&w, 1);
	ike_w_skip(&w, 3);
	ike_w_u8(&w, IKEV2_TS_IPV4_ADDR_RANGE);
	ike_w_u8(&w, 47);
	ike_w_u16(&w, 16);
	ike_w_u16(&w, 0);
	ike_w_end(&w, s);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA TSi cut short", W_SYNTAX, R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_rekey_sa(f, &w);
	w_sa_esp(f, &w);
	s = ike_w_begin(&w, IKEV2_PL_NONCE);
	ike_w_skip(&w, IKE_NONCE_LEN);
	ike_w_end(&w, s);
	set_len(&w, s, 400); /* past the end of the plaintext */
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA Nonce length past the end", W_SYNTAX, R_RULES);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_esp(f, &w);
	s = ike_w_begin(&w, IKEV2_PL_NONCE);
	ike_w_skip(&w, IKE_NONCE_LEN);
	ike_w_end(&w, s);
	set_len(&w, s, 2); /* shorter than a generic header */
	run_case(f, &w, "CREATE_CHILD_SA Nonce length 2", W_SYNTAX, R_RULES);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	s = ike_w_begin(&w, IKEV2_PL_NOTIFY); /* REKEY_SA announcing a 4-byte SPI it lacks */
	ike_w_u8(&w, IKEV2_PROTO_ESP);
	ike_w_u8(&w, 4);
	ike_w_u16(&w, IKEV2_N_REKEY_SA);
	ike_w_end(&w, s);
	w_sa_esp(f, &w);
	w_nonce(&w, IKE_NONCE_LEN);
	ike_w_ts(&w, IKEV2_PL_TSI, &f->ts_l, 1);
	ike_w_ts(&w, IKEV2_PL_TSR, &f->ts_r, 1);
	run_case(f, &w, "CREATE_CHILD_SA REKEY_SA without its SPI", W_ERROR, R_NONE);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA);
	w_sa_esp(f, &w);
	w_nonce(&w, IKE_NONCE_LEN);
	s = ike_w_begin(&w, 99); /* unknown, critical */
	if (!w.err)
		w.buf[s + 1] = 0x80;
	ike_w_u32(&w, 0);
	ike_w_end(&w, s);
	run_case(f, &w, "CREATE_CHILD_SA unknown critical payload", W_ERROR, R_RULES);
}

static void cases_informational(struct forge *f)
{
	uint8_t buf[IKE_MSG_BUF];
	struct ike_wbuf w;
	size_t s;
	static const uint16_t errs[] = {IKEV2_N_AUTHENTICATION_FAILED, IKEV2_N_INVALID_SYNTAX,
					IKEV2_N_NO_PROPOSAL_CHOSEN};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char name[96];
		start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
		w_error(&w, errs[i]);
		snprintf(name, sizeof(name), "INFORMATIONAL %s only", notify_name(errs[i]));
		run_case(f, &w, name, W_ANSWER, R_NONE);
	}

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
	s = ike_w_begin(&w, IKEV2_PL_DELETE); /* 3 SPIs announced, one present */
	ike_w_u8(&w, IKEV2_PROTO_ESP);
	ike_w_u8(&w, 4);
	ike_w_u16(&w, 3);
	ike_w_u32(&w, 0x0badf00d);
	ike_w_end(&w, s);
	run_case(f, &w, "INFORMATIONAL Delete(ESP) with 3 SPIs announced, 1 present", W_ANSWER,
		 R_HANDLER);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
	s = ike_w_begin(&w, IKEV2_PL_DELETE); /* protocol and SPI size only */
	ike_w_u8(&w, IKEV2_PROTO_ESP);
	ike_w_u8(&w, 4);
	ike_w_end(&w, s);
	run_case(f, &w, "INFORMATIONAL Delete of 2 bytes", W_ANSWER, R_HANDLER);

	uint32_t spi = htonl(0x0badf00d);
	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
	ike_w_delete(&w, IKEV2_PROTO_ESP, 4, (const uint8_t *)&spi, 1);
	run_case(f, &w, "INFORMATIONAL Delete(ESP) of an SPI vtid does not have", W_ANSWER, R_NONE);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
	w_error(&w, IKEV2_N_NO_PROPOSAL_CHOSEN);
	w_sa_esp(f, &w);
	run_case(f, &w, "INFORMATIONAL NO_PROPOSAL_CHOSEN + SA", W_SYNTAX, R_RULES);

	start(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL);
	w_nonce(&w, IKE_NONCE_LEN);
	w_ke(&w, "group19");
	run_case(f, &w, "INFORMATIONAL Nonce + KE", W_SYNTAX, R_RULES);
}

/* Responses nobody asked for: vtid has no request in flight. */
static void cases_unsolicited(struct forge *f)
{
	uint8_t buf[IKE_MSG_BUF];
	struct ike_wbuf w;
	start_msg(f, &w, buf, sizeof(buf), IKEV2_EXCH_CREATE_CHILD_SA, true);
	w_error(&w, IKEV2_N_NO_PROPOSAL_CHOSEN);
	run_case(f, &w, "CREATE_CHILD_SA response NO_PROPOSAL_CHOSEN, unsolicited", W_SILENT,
		 R_NONE);
	start_msg(f, &w, buf, sizeof(buf), IKEV2_EXCH_INFORMATIONAL, true);
	w_error(&w, IKEV2_N_AUTHENTICATION_FAILED);
	run_case(f, &w, "INFORMATIONAL response AUTHENTICATION_FAILED, unsolicited", W_SILENT,
		 R_NONE);
}

/* The engine's own liveness check (an empty INFORMATIONAL) on the same SA. */
static uint32_t dpd_msgid;
static bool dpd_done(struct forge *f)
{
	struct ike_sa *sa = live_sa(f);
	return sa != f->sa || (sa->task == TASK_NONE && sa->msgid_out == dpd_msgid + 1);
}

static bool run_dpd(struct forge *f)
{
	if (!sa_here(f))
		return false;
	struct ike_sa *sa = f->sa;
	dpd_msgid = sa->msgid_out;
	sa->pending_dpd = true;
	ike_sa_kick(sa);
	if (sa->task != TASK_DPD) {
		printf("ikeforge: DPD not started (task %d)\n", (int)sa->task);
		return false;
	}
	bool ok = pump(f, mono_ms() + 10000, dpd_done) && live_sa(f) == f->sa;
	printf("ikeforge: DPD (empty INFORMATIONAL, message ID %u) %s\n", dpd_msgid,
	       ok ? "answered: the IKE SA is alive" : "NOT answered");
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: ikeforge --local A --remote B --psk SECRET [--start-file PATH]\n"
			"                [--establish-s N] [--answer-ms N] [--tries N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"local", required_argument, NULL, 'l'},
					     {"remote", required_argument, NULL, 'r'},
					     {"psk", required_argument, NULL, 'k'},
					     {"start-file", required_argument, NULL, 's'},
					     {"establish-s", required_argument, NULL, 'e'},
					     {"answer-ms", required_argument, NULL, 'a'},
					     {"tries", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	const char *local = NULL, *remote = NULL, *psk = NULL;
	unsigned establish_s = 30;
	struct forge *f = &F;
	f->answer_ms = 1000;
	f->tries = 3;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			local = optarg;
			break;
		case 'r':
			remote = optarg;
			break;
		case 'k':
			psk = optarg;
			break;
		case 's':
			start_file = optarg;
			break;
		case 'e':
			establish_s = (unsigned)atoi(optarg);
			break;
		case 'a':
			f->answer_ms = (unsigned)atoi(optarg);
			break;
		case 't':
			f->tries = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!local || !remote || !psk || strlen(psk) > IKE_MAX_PSK || !f->tries)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("ikeforge", LOG_TO_STDERR, LOG_WARNING);

	f->local.sin_family = f->remote.sin_family = AF_INET;
	if (inet_pton(AF_INET, local, &f->local.sin_addr) != 1 ||
	    inet_pton(AF_INET, remote, &f->remote.sin_addr) != 1)
		usage();
	f->fd500 = open_udp(&f->local, 500);
	f->fd4500 = open_udp(&f->local, 4500);
	if (f->fd500 < 0 || f->fd4500 < 0) {
		fprintf(stderr, "ikeforge: cannot bind %s:500/4500: %s\n", local,
			strerror(-(f->fd500 < 0 ? f->fd500 : f->fd4500)));
		return 1;
	}

	struct ike_peer_cfg *c = &f->cfg;
	c->tunnel_id = 9;
	c->local = f->local;
	c->remote = f->remote;
	c->n_ike = 1;
	c->ike[0].encr[0] = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	c->ike[0].n_encr = 1;
	c->ike[0].prf[0] = suite_by_name(SUITE_PRF, "sha256");
	c->ike[0].n_prf = 1;
	c->ike[0].dh[0] = suite_by_name(SUITE_DH, "group19");
	c->ike[0].n_dh = 1;
	c->n_esp = 1;
	c->esp[0].encr = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	memcpy(c->psk_local, psk, strlen(psk));
	c->psk_local_len = (uint8_t)strlen(psk);
	memcpy(c->psk_remote, psk, strlen(psk));
	c->psk_remote_len = (uint8_t)strlen(psk);
	c->ts = IKE_TS_GRE;
	c->transport = true;
	c->replay_window = 64;
	c->dpd_retry_s = 1; /* only for the final check: no periodic DPD */
	c->passive = true;  /* vtid initiates: no duplicate IKE SAs to settle */

	struct ike_host h = {.ctx = f,
			     .now_ms = host_now,
			     .send = host_send,
			     .child_up = host_child_up,
			     .child_down = host_child_down,
			     .ike_event = host_ike_event};
	f->eng = ike_engine_new(&h);
	if (!f->eng || ike_peer_add(f->eng, c) < 0) {
		fprintf(stderr, "ikeforge: cannot start the IKE engine\n");
		return 1;
	}
	/* the engine keeps its own copy (with the defaults filled in) */
	f->cfg = f->eng->peers->cfg;
	printf("ikeforge: listening on %s:500 and :4500 for %s\n", local, remote);

	int rc = 1;
	if (!pump(f, mono_ms() + establish_s * 1000ull, established)) {
		printf("ikeforge: no IKE SA with a Child SA within %u s\n", establish_s);
		goto out;
	}
	struct ike_sa *sa = live_sa(f);
	uint64_t si, sr;
	memcpy(&si, sa->spi_i, 8);
	memcpy(&sr, sa->spi_r, 8);
	printf("ikeforge: established IKE SA %016llx/%016llx (%s), Child SA in %08x out %08x\n",
	       (unsigned long long)be64toh(si), (unsigned long long)be64toh(sr),
	       sa->initiator ? "we initiated" : "vtid initiated", live_child(sa)->spi_in,
	       live_child(sa)->spi_out);
	if (start_file) {
		printf("ikeforge: waiting for %s\n", start_file);
		if (!pump(f, mono_ms() + 600000, start_file_exists)) {
			printf("ikeforge: %s never appeared\n", start_file);
			goto out;
		}
	}
	sa = live_sa(f);
	struct ike_child *ch = sa ? live_child(sa) : NULL;
	if (!sa || !ch || sa->task != TASK_NONE) {
		printf("ikeforge: the IKE SA went away before the cases\n");
		goto out;
	}
	f->sa = sa;
	f->child_spi_in = ch->spi_in;
	f->ts_l = ch->ts_l;
	f->ts_r = ch->ts_r;
	uint64_t t0 = mono_ms();
	cases_child_subsets(f);
	cases_ike_rekey(f);
	cases_truncated(f);
	cases_informational(f);
	cases_unsolicited(f);
	printf("summary: cases=%u ok=%u bad=%u malformed=%u rules=%u handler=%u silent=%u "
	       "noanswer=%u ms=%llu\n",
	       f->cases, f->ok, f->bad, f->malformed, f->rules, f->handler, f->silent, f->noanswer,
	       (unsigned long long)(mono_ms() - t0));
	bool alive = !f->gone && run_dpd(f);
	if (!alive && f->gone)
		printf("ikeforge: DPD not tried: vtid stopped answering\n");
	rc = f->bad == 0 && alive ? 0 : 1;
out:
	ike_engine_free(f->eng);
	close(f->fd500);
	close(f->fd4500);
	return rc;
}
