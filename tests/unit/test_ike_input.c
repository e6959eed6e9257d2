/* test_ike_input.c: hostile input against live engines.  Two engines hold
 * an established IKE SA over the fake network while requests with missing
 * payloads arrive, unauthenticated (IKE_SA_INIT, from the peer's address and
 * a stranger's) and authenticated (sealed with the SA's real keys); forged
 * IKE_SA_INIT refusals race the genuine response; forged retransmissions
 * meet the response cache; cookies cross a secret rotation.  Nothing may
 * crash (the suite runs again under ASan), every refusal is counted, and
 * the established SA must survive all of it. */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike/priv.h"
#include "lib/log.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_ike_net.h"

static struct ike_sa *live_sa(struct tside *s)
{
	for (struct ike_peer *p = s->eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next)
			if (ike_sa_usable(sa))
				return sa;
	return NULL;
}

static void up_pair(struct tnet *n, uint64_t seed)
{
	struct ike_peer_cfg ca, cb;
	tnet_init(n, 3, seed); /* side 2: a stranger, configured nowhere */
	tnet_cfg(&ca, &n->side[0], &n->side[1], 1);
	tnet_cfg(&cb, &n->side[1], &n->side[0], 2);
	cb.passive = true;
	CHECK_EQ_INT(ike_peer_add(n->side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n->side[0].eng, &ca), 0);
	tnet_run(n, 2000);
	CHECK(n->side[0].up && n->side[1].up);
}

/* The first notify type of a message (inside SK when keys are given), 0
 * if none, -1 if it can't be read. */
static int first_notify(const struct tpkt *p, const struct ike_sa *sa)
{
	uint8_t buf[IKE_MSG_BUF];
	if (p->len > sizeof(buf))
		return -1;
	memcpy(buf, p->data, p->len);
	struct ike_msg m;
	if (ike_msg_decode(buf, p->len, &m, NULL) < 0)
		return -1;
	if (m.sk >= 0) {
		if (!sa)
			return -1;
		/* the sender of p is the peer of sa */
		const uint8_t *ke = sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
		const uint8_t *ka = sa->initiator ? sa->keys.sk_ar : sa->keys.sk_ai;
		size_t off, len, aad = m.pl[m.sk].off + IKEV2_GEN_HDR_LEN;
		if (ike_sk_open(sa->encr, sa->integ, ke, ka, buf, m.raw_len, aad, &off, &len) < 0 ||
		    ike_msg_decode_inner(&m, m.sk_first, buf + off, len, NULL) < 0)
			return -1;
	}
	const struct ike_pl *pl = ike_msg_find(&m, IKEV2_PL_NOTIFY, 0);
	struct ike_notify_pl nt;
	if (!pl)
		return 0;
	if (ike_notify_pl_decode(pl->body, pl->len, &nt) < 0)
		return -1;
	return nt.type;
}

/* Takes the queued packets off the network; returns how many there were and
 * the first notify of the last one sent to `to` (read with sa's keys). */
static int drain(struct tnet *n, const struct tside *to, const struct ike_sa *sa, int *notify)
{
	int count = 0;
	*notify = -2;
	while (n->head) {
		struct tpkt *p = n->head;
		n->head = p->next;
		if (p->to.sin_addr.s_addr == to->addr.sin_addr.s_addr) {
			count++;
			*notify = first_notify(p, sa);
		}
		free(p);
	}
	n->tail = NULL;
	return count;
}

enum { P_SA = 1, P_KE = 2, P_NI = 4, P_TSI = 8, P_TSR = 16, P_REKEY = 32, P_ERR = 64 };

/* ---- unauthenticated: IKE_SA_INIT requests with an error notify or a
 * COOKIE and any subset of SA, KE, Nonce ---- */
static size_t init_request(uint8_t *buf, size_t cap, const uint8_t spi[8], uint16_t notify,
			   unsigned set, const struct ike_peer_cfg *cfg)
{
	static const uint8_t zero[8];
	struct ike_wbuf w;
	ike_w_init(&w, buf, cap);
	ike_w_hdr(&w, spi, zero, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	uint8_t data[33] = {1};
	ike_w_notify(&w, 0, NULL, 0, notify, data, notify == IKEV2_N_COOKIE ? 33 : 0);
	if (set & P_SA) {
		struct ike_prop props[IKE_MAX_PROPOSALS];
		size_t np = ike_build_ike_props(cfg, NULL, 0, props, IKE_MAX_PROPOSALS);
		ike_w_sa(&w, props, np);
	}
	if (set & P_KE) {
		uint8_t pub[64];
		memset(pub, 0x5a, sizeof(pub)); /* not a point: the exchange must fail cleanly */
		ike_w_ke(&w, 19, pub, sizeof(pub));
	}
	if (set & P_NI) {
		uint8_t ni[32] = {7};
		ike_w_nonce(&w, ni, sizeof(ni));
	}
	ike_w_finish(&w);
	return w.err ? 0 : w.len;
}

static void test_init_request_subsets(void)
{
	struct tnet n;
	up_pair(&n, 11);
	struct tside *b = &n.side[1];
	uint32_t child = b->child[0].spi_in;
	int64_t rule0 = tnet_stat(b->eng, "rule_err"), unk0 = tnet_stat(b->eng, "unknown_peer");
	static const uint16_t notes[] = {IKEV2_N_NO_PROPOSAL_CHOSEN, IKEV2_N_INVALID_SYNTAX,
					 IKEV2_N_AUTHENTICATION_FAILED, IKEV2_N_COOKIE};
	int sent = 0, refused_answers = 0, incomplete = 0;
	for (int from = 0; from < 3; from += 2) { /* the peer's address, a stranger's */
		for (size_t k = 0; k < sizeof(notes) / sizeof(notes[0]); k++) {
			for (unsigned set = 0; set < 8; set++) {
				for (int port = 0; port < 2; port++) {
					uint8_t buf[1024], spi[8] = {0xee, (uint8_t)k,
								     (uint8_t)set, 1, 2, 3, 4,
								     (uint8_t)(from + port)};
					size_t len = init_request(buf, sizeof(buf), spi, notes[k],
								  set, &b->eng->peers->cfg);
					CHECK(len > 0);
					struct sockaddr_in local = b->addr, remote = n.side[from].addr;
					local.sin_port = remote.sin_port = htons(port ? 4500 : 500);
					ike_input(b->eng, &local, &remote, buf, len);
					sent++;
					if (from == 0 && set != 7)
						incomplete++;
					int note;
					drain(&n, &n.side[from], NULL, &note);
					if (note == IKEV2_N_INVALID_SYNTAX)
						refused_answers++;
				}
			}
		}
	}
	CHECK(sent == 2 * 4 * 8 * 2);
	/* From the peer's address: every incomplete request refused, counted and
	 * answered with INVALID_SYNTAX; from a stranger: nothing answered. */
	CHECK_EQ_INT(tnet_stat(b->eng, "rule_err") - rule0, incomplete);
	CHECK_EQ_INT(refused_answers, incomplete);
	CHECK_EQ_INT(tnet_stat(b->eng, "unknown_peer") - unk0, sent / 2);
	/* a zero SPIi is refused before anything else */
	uint8_t buf[1024];
	static const uint8_t zero[8];
	size_t len = init_request(buf, sizeof(buf), zero, IKEV2_N_NO_PROPOSAL_CHOSEN, 7,
				  &b->eng->peers->cfg);
	ike_input(b->eng, &b->addr, &n.side[0].addr, buf, len);
	CHECK_EQ_INT(tnet_stat(b->eng, "zero_spi"), 1);
	tnet_flush(&n);
	/* The established SA lived through it and still answers. */
	CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
	tnet_run(&n, 3000);
	CHECK(n.side[0].up && n.side[1].up);
	CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
	CHECK(b->n_child == 1 && b->child[0].spi_in != child);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	tnet_fini(&n);
}

/* ---- authenticated: CREATE_CHILD_SA and INFORMATIONAL requests sealed
 * with the live SA's keys, payloads missing ---- */
static int sealed_request(struct tnet *n, struct ike_sa *sa, uint8_t exch, unsigned set,
			  uint8_t sa_proto)
{
	uint8_t *buf = malloc(IKE_MSG_BUF);
	struct ike_wbuf w;
	ike_msg_start(sa, &w, buf, IKE_MSG_BUF, exch, false, sa->msgid_out);
	if (set & P_ERR)
		ike_w_notify(&w, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	if (set & P_REKEY) {
		uint8_t spi[4] = {0xde, 0xad, 0xbe, 0xef}; /* a Child SA nobody has */
		ike_w_notify(&w, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	}
	if (set & P_SA) {
		struct ike_prop props[IKE_MAX_PROPOSALS];
		size_t np = sa_proto == IKEV2_PROTO_IKE
				? ike_build_ike_props(&sa->peer->cfg, (const uint8_t *)"newspi!!",
						      8, props, IKE_MAX_PROPOSALS)
				: ike_build_esp_props(&sa->peer->cfg, 0x1234, NULL, props,
						      IKE_MAX_PROPOSALS);
		ike_w_sa(&w, props, np);
	}
	if (set & P_NI) {
		uint8_t ni[32] = {9};
		ike_w_nonce(&w, ni, sizeof(ni));
	}
	if (set & P_KE) {
		uint8_t pub[64];
		memset(pub, 0x33, sizeof(pub));
		ike_w_ke(&w, 19, pub, sizeof(pub));
	}
	struct ike_ts l, r;
	ike_cfg_ts(&sa->peer->cfg, &l, &r);
	if (set & P_TSI)
		ike_w_ts(&w, IKEV2_PL_TSI, &l, 1);
	if (set & P_TSR)
		ike_w_ts(&w, IKEV2_PL_TSR, &r, 1);
	int err = ike_msg_send(sa, &w, false);
	free(buf);
	free(sa->req); /* not an exchange of ours to retransmit */
	sa->req = NULL;
	sa->req_len = 0;
	sa->msgid_out++;
	CHECK_EQ_INT(err, 0);
	tnet_step(n); /* to the responder */
	int note;
	drain(n, &n->side[0], sa, &note);
	return note;
}

static void test_sealed_requests(void)
{
	struct tnet n;
	up_pair(&n, 12);
	struct ike_sa *sa = live_sa(&n.side[0]);
	CHECK(sa != NULL);
	if (!sa)
		return;
	struct tside *b = &n.side[1];
	uint32_t child = b->child[0].spi_in;
	int64_t rule0 = tnet_stat(b->eng, "rule_err");
	int cases = 0, syntax = 0, missing = 0, answered_error = 0;
	for (unsigned set = 0; set < 128; set++) {
		for (uint8_t proto = IKEV2_PROTO_IKE; proto <= IKEV2_PROTO_ESP; proto += 2) {
			if (proto == IKEV2_PROTO_IKE && !(set & P_SA))
				continue;
			int note = sealed_request(&n, sa, IKEV2_EXCH_CREATE_CHILD_SA, set, proto);
			cases++;
			bool lacks = !(set & P_SA) || !(set & P_NI);
			missing += lacks;
			syntax += note == IKEV2_N_INVALID_SYNTAX;
			answered_error += note > 0 && note <= IKEV2_N_ERROR_MAX;
			if (lacks)
				CHECK_EQ_INT(note, IKEV2_N_INVALID_SYNTAX);
		}
	}
	/* Every request was refused with an error notify: none carried a usable
	 * key exchange or a Child SA the responder has. */
	CHECK_EQ_INT(answered_error, cases);
	CHECK(syntax >= missing);
	CHECK_EQ_INT(tnet_stat(b->eng, "rule_err") - rule0, missing);
	/* INFORMATIONAL: an error notify alone, a Delete of an unknown SPI */
	int note = sealed_request(&n, sa, IKEV2_EXCH_INFORMATIONAL, P_ERR, 0);
	CHECK_EQ_INT(note, 0); /* an empty answer */
	/* The SA survived, with its Child SA: a DPD and a rekey go through. */
	CHECK(n.side[0].up && n.side[1].up);
	CHECK_EQ_INT(b->n_child, 1);
	CHECK_EQ_INT(b->child[0].spi_in, child);
	CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
	tnet_run(&n, 3000);
	CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	CHECK(b->child[0].spi_in != child);
	tnet_fini(&n);
}

/* ---- forged IKE_SA_INIT refusals race the genuine response ---- */
static uint16_t forge_type;
static const uint8_t *forge_data;
static size_t forge_len;
static int forged;

/* When A's IKE_SA_INIT request reaches B, a forger answers A first. */
static bool forge_init_reply(struct tnet *n, struct tpkt *p)
{
	if (p->len < IKEV2_HDR_LEN || p->data[18] != IKEV2_EXCH_IKE_SA_INIT ||
	    (p->data[19] & IKEV2_FLAG_RESPONSE) || forged >= 3)
		return true;
	uint8_t buf[256];
	static const uint8_t spir[8] = {6, 6, 6};
	struct ike_wbuf w;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, p->data, spir, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_w_notify(&w, 0, NULL, 0, forge_type, forge_data, forge_len);
	ike_w_finish(&w);
	ike_input(n->side[0].eng, &p->from, &p->to, buf, w.len);
	forged++;
	return true;
}

static void forged_init_case(uint16_t type, const uint8_t *data, size_t len, const char *ca_dh,
			     const char *ca_dh2, int expect_retx)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	tnet_init(&n, 2, 13);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	tnet_cfg(&cb, &n.side[1], &n.side[0], 2);
	cb.passive = true;
	ca.ike[0].dh[0] = suite_by_name(SUITE_DH, ca_dh);
	if (ca_dh2) {
		ca.ike[0].dh[1] = suite_by_name(SUITE_DH, ca_dh2);
		ca.ike[0].n_dh = 2;
	}
	cb.ike[0].dh[0] = ca.ike[0].dh[0];
	forge_type = type;
	forge_data = data;
	forge_len = len;
	forged = 0;
	n.tap = forge_init_reply;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 2000);
	CHECK(forged >= 1);
	CHECK(n.side[0].up && n.side[1].up);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	if (expect_retx >= 0)
		CHECK_EQ_INT(tnet_stat(n.side[0].eng, "retransmits"), expect_retx);
	/* the genuine group was kept */
	struct ike_sa *sa = live_sa(&n.side[0]);
	CHECK(sa && sa->dh_group == suite_by_name(SUITE_DH, ca_dh));
	n.tap = NULL;
	tnet_fini(&n);
}

static void test_forged_init_refusals(void)
{
	/* A refusal: ignored, the genuine response completes at once. */
	forged_init_case(IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, "group19", NULL, 0);
	forged_init_case(IKEV2_N_AUTHENTICATION_FAILED, NULL, 0, "group19", NULL, 0);
	/* INVALID_KE for a group not configured, or a weaker configured one:
	 * no retry, no downgrade. */
	static const uint8_t g14[2] = {0, 14}, g31[2] = {0, 31};
	forged_init_case(IKEV2_N_INVALID_KE_PAYLOAD, g31, 2, "group19", NULL, 0);
	forged_init_case(IKEV2_N_INVALID_KE_PAYLOAD, g14, 2, "group20", "group14", 0);
	/* A malformed COOKIE is no demand. */
	forged_init_case(IKEV2_N_COOKIE, NULL, 0, "group19", NULL, 0);
}

/* A genuine refusal still ends the attempt once the retransmissions run out,
 * and says why. */
static void test_genuine_refusal_named(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	tnet_init(&n, 2, 14);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	tnet_cfg(&cb, &n.side[1], &n.side[0], 2);
	cb.passive = true;
	cb.ike[0].encr[0] = suite_by_name(SUITE_ENCR, "aes-cbc-128");
	cb.ike[0].integ[0] = suite_by_name(SUITE_INTEG, "sha256");
	cb.ike[0].n_integ = 1;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 1000);
	/* refused, but still waiting for a response that would complete it */
	CHECK(tnet_stat(n.side[0].eng, "bad_proposal") >= 1);
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "timeouts"), 0);
	struct ike_sa *sa = n.side[0].eng->peers->sas;
	CHECK(sa && sa->state == IKE_STATE_INIT && sa->init_error == IKEV2_N_NO_PROPOSAL_CHOSEN);
	tnet_run(&n, 20000);
	CHECK(!n.side[0].up);
	CHECK(tnet_stat(n.side[0].eng, "timeouts") >= 1);
	tnet_fini(&n);
}

/* ---- the response cache answers only the same request, rate-limited ---- */
static uint8_t auth_req[IKE_MSG_BUF];
static size_t auth_req_len;

static bool keep_auth_request(struct tnet *n, struct tpkt *p)
{
	(void)n;
	if (p->len >= IKEV2_HDR_LEN && p->data[18] == IKEV2_EXCH_IKE_AUTH &&
	    !(p->data[19] & IKEV2_FLAG_RESPONSE) && p->len <= sizeof(auth_req)) {
		memcpy(auth_req, p->data, p->len);
		auth_req_len = p->len;
	}
	return true;
}

static void test_forged_retransmission(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	tnet_init(&n, 2, 15);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	tnet_cfg(&cb, &n.side[1], &n.side[0], 2);
	cb.passive = true;
	auth_req_len = 0;
	n.tap = keep_auth_request;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 2000);
	n.tap = NULL;
	CHECK(n.side[0].up && auth_req_len > 0);
	struct tside *a = &n.side[0], *b = &n.side[1];
	int note;
	/* Same SPIs and message ID, other bytes: no response. */
	uint8_t forged_req[IKE_MSG_BUF];
	memcpy(forged_req, auth_req, auth_req_len);
	forged_req[auth_req_len - 1] ^= 1;
	int64_t tx0 = tnet_stat(b->eng, "tx");
	ike_input(b->eng, &b->addr, &a->addr, forged_req, auth_req_len);
	CHECK_EQ_INT(drain(&n, a, NULL, &note), 0);
	CHECK_EQ_INT(tnet_stat(b->eng, "tx"), tx0);
	CHECK_EQ_INT(tnet_stat(b->eng, "resend_refused"), 1);
	/* The genuine retransmission is answered, once per 200 ms at most. */
	ike_input(b->eng, &b->addr, &a->addr, auth_req, auth_req_len);
	CHECK_EQ_INT(drain(&n, a, NULL, &note), 1);
	ike_input(b->eng, &b->addr, &a->addr, auth_req, auth_req_len);
	CHECK_EQ_INT(drain(&n, a, NULL, &note), 0);
	int answered = 0;
	for (int i = 0; i < 40; i++) {
		n.now += IKE_RESEND_MIN_MS;
		ike_input(b->eng, &b->addr, &a->addr, auth_req, auth_req_len);
		answered += drain(&n, a, NULL, &note);
	}
	CHECK_EQ_INT(answered, IKE_RESEND_MAX - 1); /* and IKE_RESEND_MAX in all */
	CHECK(n.side[0].up && n.side[1].up);
	tnet_fini(&n);
}

/* ---- cookies across a secret rotation, and a second COOKIE ---- */
static int rotations_wanted, rotations_done;


/* Between B's COOKIE and A's retry, B rotates its secret. */
static bool rotate_after_cookie(struct tnet *n, struct tpkt *p)
{
	if (p->len < IKEV2_HDR_LEN || p->data[18] != IKEV2_EXCH_IKE_SA_INIT ||
	    !(p->data[19] & IKEV2_FLAG_RESPONSE) || rotations_done)
		return true;
	if (first_notify(p, NULL) != IKEV2_N_COOKIE)
		return true;
	for (int i = 0; i < rotations_wanted; i++) {
		n->now += 120001;
		ike_run_timers(n->side[1].eng);
	}
	rotations_done = 1; /* only around the first COOKIE */
	return true;
}

static void cookie_case(int wanted, int64_t cookies, int64_t bad)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	tnet_init(&n, 2, 16);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	tnet_cfg(&cb, &n.side[1], &n.side[0], 2);
	cb.passive = true;
	ike_set_cookie_threshold(n.side[1].eng, 0); /* every IKE_SA_INIT needs a cookie */
	rotations_wanted = wanted;
	rotations_done = 0;
	n.tap = rotate_after_cookie;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 2000);
	n.tap = NULL;
	CHECK(n.side[0].up && n.side[1].up);
	CHECK_EQ_INT(tnet_stat(n.side[1].eng, "cookies_sent"), cookies);
	CHECK_EQ_INT(tnet_stat(n.side[1].eng, "cookie_bad"), bad);
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "timeouts"), 0);
	tnet_fini(&n);
}

static void test_cookie_rotation(void)
{
	cookie_case(0, 1, 0); /* plain cookie round */
	cookie_case(1, 1, 0); /* one rotation in between: the old secret still checks it */
	cookie_case(2, 2, 1); /* two: refused, a second COOKIE, and the initiator retries */
}

/* ---- the key log: 0600, never through a symbolic link ---- */
static void test_keylog_file(void)
{
	char dir[] = "/tmp/vtid-keylog-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256], link[256], target[256];
	snprintf(path, sizeof(path), "%s/keys", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	struct tnet n;
	tnet_init(&n, 2, 17);
	mode_t old = umask(0);
	CHECK_EQ_INT(ike_set_keylog(n.side[0].eng, path), 0);
	umask(old);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(symlink(target, link) == 0);
	CHECK(ike_set_keylog(n.side[0].eng, link) < 0);
	CHECK(lstat(target, &st) < 0); /* nothing created through the link */
	CHECK_EQ_INT(ike_set_keylog(n.side[0].eng, NULL), 0);
	unlink(link);
	unlink(path);
	rmdir(dir);
	tnet_fini(&n);
}

/* ---- ICMP errors: a hint that shortens the wait, never proof ---- */
static const char *const PORT_UNREACH = "ICMP port unreachable from 203.0.113.3";

/* the host of side 1 answers each request for it with port unreachable
 * (quoting it whole, as Linux does), and side 1 itself is gone or not */
static bool icmp_tap(struct tnet *n, struct tpkt *p)
{
	bool *gone = n->tap_ctx;
	if (p->len >= IKEV2_HDR_LEN && !(p->data[19] & IKEV2_FLAG_RESPONSE) &&
	    p->to.sin_addr.s_addr == n->side[1].addr.sin_addr.s_addr)
		ike_icmp_error(n->side[0].eng, &p->to, p->data, p->len, PORT_UNREACH);
	return !*gone;
}

static void test_icmp_errors(void)
{
	/* peer not running: the tries are given up in about 2 s, not 15.5 */
	struct tnet n;
	struct ike_peer_cfg ca;
	bool gone = true;
	tnet_init(&n, 2, 21);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	n.tap = icmp_tap;
	n.tap_ctx = &gone;
	uint64_t t0 = n.now;
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	while (n.side[0].fails == 0 && n.now < t0 + 20000)
		tnet_run(&n, 100);
	CHECK(n.now - t0 <= 3000);
	CHECK_EQ_INT(n.side[0].last_fail.cls, IKE_FAIL_UNREACHABLE);
	CHECK(strstr(n.side[0].last_fail.detail, "after 5 tries, 5 answered by ICMP port unreachable"));
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "icmp_errors"), 5);
	tnet_fini(&n);

	/* errors that do not quote a request of ours in flight change nothing */
	up_pair(&n, 22);
	struct ike_sa *sa = live_sa(&n.side[0]);
	CHECK(sa != NULL);
	if (!sa) {
		tnet_fini(&n);
		return;
	}
	uint8_t q[IKEV2_HDR_LEN] = {0};
	memcpy(q, sa->spi_i, 8);
	memcpy(q + 8, sa->spi_r, 8);
	q[17] = 0x20;
	q[18] = IKEV2_EXCH_INFORMATIONAL;
	q[19] = sa->initiator ? IKEV2_FLAG_INITIATOR : 0;
	ike_icmp_error(n.side[0].eng, &n.side[1].addr, q, sizeof(q), PORT_UNREACH); /* none in flight */
	q[0] ^= 1;
	ike_icmp_error(n.side[0].eng, &n.side[1].addr, q, sizeof(q), PORT_UNREACH); /* not our SPI */
	ike_icmp_error(n.side[0].eng, &n.side[1].addr, q, 12, PORT_UNREACH);	     /* too short */
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "icmp_ignored"), 3);
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "icmp_errors"), 0);

	/* a live peer's answer wins over a forged error quoting the very
	 * request; a probe on suspicion needs DPD and comes at most once per
	 * retry interval */
	sa->peer->cfg.dpd_interval_s = 10;
	sa->peer->cfg.dpd_retry_s = 2;
	ike_touch_peer(sa->peer); /* its deadline changed behind the engine's back */
	gone = false;
	n.tap = icmp_tap;
	n.tap_ctx = &gone;
	tnet_run(&n, 3000);
	ike_peer_suspect(n.side[0].eng, 1, NULL);
	ike_peer_suspect(n.side[0].eng, 1, NULL);
	tnet_run(&n, 3000);
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "worry_probes"), 1);
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "icmp_errors"), 1);
	CHECK(n.side[0].up && live_sa(&n.side[0]) == sa);
	CHECK_EQ_INT(n.side[0].fails, 0);

	/* the peer dies: the probe on suspicion, answered by port unreachable
	 * only, declares it dead in about 2 s */
	gone = true;
	uint64_t t1 = n.now;
	ike_peer_suspect(n.side[0].eng, 1, NULL);
	while (n.side[0].fails == 0 && n.now < t1 + 20000)
		tnet_run(&n, 100);
	CHECK(n.now - t1 <= 3000);
	CHECK_EQ_INT(n.side[0].last_fail.cls, IKE_FAIL_DEAD_PEER);
	CHECK(strstr(n.side[0].last_fail.detail, "(DPD); ICMP port unreachable from 203.0.113.3"));
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "dpd_dead"), 1);
	tnet_fini(&n);
}

int main(void)
{
	log_init("test_ike_input", LOG_TO_STDERR, getenv("IKE_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	if (getenv("IKE_DEBUG"))
		log_set_debug(LOG_DBG_IKE, true);
	RUN(test_init_request_subsets);
	RUN(test_sealed_requests);
	RUN(test_forged_init_refusals);
	RUN(test_genuine_refusal_named);
	RUN(test_forged_retransmission);
	RUN(test_cookie_rotation);
	RUN(test_keylog_file);
	RUN(test_icmp_errors);
	return tcheck_done();
}
