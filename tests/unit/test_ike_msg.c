/* test_ike_msg.c: the IKEv2 codec and payload rules on their own, and an
 * engine fed hostile bytes: every malformed message refused, counted, and
 * the engine still working afterwards. */
#include <arpa/inet.h>
#include <json-c/json.h>

#include "ike/ike.h"
#include "ike/msg.h"
#include "lib/log.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_ike_net.h"

static const uint8_t SPI_I[8] = {1, 2, 3, 4, 5, 6, 7, 8}, SPI_R[8] = {0};

/* A plausible IKE_SA_INIT request built with the encoder. */
static size_t build_init(uint8_t *buf, size_t cap)
{
	struct ike_wbuf w;
	ike_w_init(&w, buf, cap);
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	struct ike_prop p = {.num = 1, .proto = IKEV2_PROTO_IKE};
	p.x[p.n_x++] = (struct ike_xform){.type = SUITE_ENCR, .id = 20, .key_bits = 256};
	p.x[p.n_x++] = (struct ike_xform){.type = SUITE_PRF, .id = 5};
	p.x[p.n_x++] = (struct ike_xform){.type = SUITE_DH, .id = 19};
	struct ike_prop q = p;
	q.num = 2;
	q.x[0].key_bits = 128;
	struct ike_prop props[2] = {p, q};
	ike_w_sa(&w, props, 2);
	uint8_t ke[64] = {0};
	ike_w_ke(&w, 19, ke, sizeof(ke));
	uint8_t nonce[32] = {9};
	ike_w_nonce(&w, nonce, sizeof(nonce));
	ike_w_notify(&w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_w_finish(&w);
	return w.err ? 0 : w.len;
}

static void test_roundtrip(void)
{
	uint8_t buf[1024];
	size_t len = build_init(buf, sizeof(buf));
	CHECK(len > 100);
	struct ike_msg m;
	enum ike_decode_err why;
	CHECK_EQ_INT(ike_msg_decode(buf, len, &m, &why), 0);
	CHECK_EQ_INT(m.n, 4);
	CHECK_EQ_INT(m.hdr.exch, IKEV2_EXCH_IKE_SA_INIT);
	CHECK_EQ_INT(m.hdr.len, len);
	CHECK_EQ_INT(ike_rules_check(&m, NULL), IKE_RULE_OK);
	const struct ike_pl *sp = ike_msg_find(&m, IKEV2_PL_SA, 0);
	struct ike_sa_pl sa;
	CHECK(sp && ike_sa_pl_decode(sp->body, sp->len, &sa) == 0);
	CHECK_EQ_INT(sa.n_prop, 2);
	CHECK_EQ_INT(sa.prop[0].n_x, 3);
	CHECK_EQ_INT(sa.prop[0].x[0].key_bits, 256);
	CHECK_EQ_INT(sa.prop[1].x[0].key_bits, 128);
	CHECK_EQ_INT(sa.prop[1].num, 2);
	struct ike_ke_pl ke;
	const struct ike_pl *kp = ike_msg_find(&m, IKEV2_PL_KE, 0);
	CHECK(kp && ike_ke_pl_decode(kp->body, kp->len, &ke) == 0);
	CHECK_EQ_INT(ke.group, 19);
	CHECK_EQ_INT(ke.len, 64);
	const struct ike_pl *np = ike_msg_find(&m, IKEV2_PL_NOTIFY, 0);
	struct ike_notify_pl n;
	CHECK(np && ike_notify_pl_decode(np->body, np->len, &n) == 0);
	CHECK_EQ_INT(n.type, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
	/* UDP padding after the header's length is ignored */
	CHECK_EQ_INT(ike_msg_decode(buf, len + 7, &m, &why), 0);
}

/* A peer offering more than we keep (20 proposals, 70 transforms in one)
 * is parsed, not refused: the extras are dropped. */
static void test_big_proposal(void)
{
	static uint8_t buf[16384];
	static struct ike_prop props[20];
	struct ike_wbuf w;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	for (int i = 0; i < 20; i++) {
		props[i] = (struct ike_prop){.num = (uint8_t)(i + 1), .proto = IKEV2_PROTO_IKE};
		for (int k = 0; k < 40; k++)
			props[i].x[props[i].n_x++] =
			    (struct ike_xform){.type = 4, .id = (uint16_t)k};
	}
	for (int k = 40; k < 64; k++)
		props[0].x[props[0].n_x++] = (struct ike_xform){.type = 3, .id = (uint16_t)k};
	ike_w_sa(&w, props, 20);
	ike_w_finish(&w);
	CHECK(!w.err);
	struct ike_msg m;
	struct ike_sa_pl sa;
	CHECK_EQ_INT(ike_msg_decode(buf, w.len, &m, NULL), 0);
	CHECK_EQ_INT(ike_sa_pl_decode(m.pl[0].body, m.pl[0].len, &sa), 0);
	CHECK_EQ_INT(sa.n_prop, 16);
	CHECK_EQ_INT(sa.prop[0].n_x, 64);
	CHECK_EQ_INT(sa.prop[15].num, 16);
}

static void test_truncated(void)
{
	uint8_t buf[1024];
	size_t len = build_init(buf, sizeof(buf));
	struct ike_msg m;
	enum ike_decode_err why;
	int refused = 0;
	for (size_t l = 0; l < len; l++)
		refused += ike_msg_decode(buf, l, &m, &why) < 0;
	CHECK_EQ_INT(refused, len);
	/* header length shortened: the chain no longer fits */
	for (size_t l = IKEV2_HDR_LEN + 1; l < len; l++) {
		uint8_t c[1024];
		memcpy(c, buf, len);
		c[24] = (uint8_t)(l >> 24);
		c[25] = (uint8_t)(l >> 16);
		c[26] = (uint8_t)(l >> 8);
		c[27] = (uint8_t)l;
		if (ike_msg_decode(c, len, &m, &why) == 0)
			refused = -1;
	}
	CHECK(refused >= 0);
}

static void test_bad_lengths(void)
{
	uint8_t buf[1024], c[1024];
	size_t len = build_init(buf, sizeof(buf));
	struct ike_msg m;
	enum ike_decode_err why;
	/* first payload (SA) at 28: length below 4, and past the end */
	memcpy(c, buf, len);
	c[30] = 0;
	c[31] = 3;
	CHECK(ike_msg_decode(c, len, &m, &why) < 0);
	CHECK_EQ_INT(why, IKE_DEC_BAD_LENGTH);
	memcpy(c, buf, len);
	c[30] = 0xff;
	c[31] = 0xff;
	CHECK(ike_msg_decode(c, len, &m, &why) < 0);
	CHECK_EQ_INT(why, IKE_DEC_BAD_LENGTH);
	/* version 3 */
	memcpy(c, buf, len);
	c[17] = 0x30;
	CHECK(ike_msg_decode(c, len, &m, &why) < 0);
	CHECK_EQ_INT(why, IKE_DEC_VERSION);
	/* SA body corruptions: proposal length, transform count, last-substructure */
	CHECK_EQ_INT(ike_msg_decode(buf, len, &m, &why), 0);
	const struct ike_pl *sp = ike_msg_find(&m, IKEV2_PL_SA, 0);
	size_t off = sp->off + 4;
	struct ike_sa_pl sa;
	for (size_t i = 0; i < sp->len; i++) {
		for (int v = 0; v < 256; v += 51) {
			memcpy(c, buf, len);
			c[off + i] = (uint8_t)v;
			/* must never read out of bounds (ASan checks); result either way */
			(void)ike_sa_pl_decode(c + off, sp->len, &sa);
		}
	}
	memcpy(c, buf, len);
	c[off + 2] = 0; /* proposal length 0 */
	c[off + 3] = 0;
	CHECK(ike_sa_pl_decode(c + off, sp->len, &sa) < 0);
	memcpy(c, buf, len);
	c[off + 7] = 9; /* 9 transforms claimed, 3 present */
	CHECK(ike_sa_pl_decode(c + off, sp->len, &sa) < 0);
	memcpy(c, buf, len);
	c[off] = 0; /* "last proposal" but another follows */
	CHECK(ike_sa_pl_decode(c + off, sp->len, &sa) < 0);
	/* TS, Delete, Notify, ID bodies */
	struct ike_ts_pl ts;
	const uint8_t ts_ok[] = {1,   0,   0,  0, 7, 47, 0,  16, 0, 0,
				 255, 255, 10, 0, 0, 1,	 10, 0,	 0, 1};
	CHECK_EQ_INT(ike_ts_pl_decode(ts_ok, sizeof(ts_ok), &ts), 0);
	CHECK_EQ_INT(ts.ts[0].proto, 47);
	CHECK_EQ_INT(ts.ts[0].addr_lo, 0x0a000001);
	CHECK(ike_ts_pl_decode(ts_ok, sizeof(ts_ok) - 1, &ts) < 0);
	uint8_t ts_bad[sizeof(ts_ok)];
	memcpy(ts_bad, ts_ok, sizeof(ts_ok));
	ts_bad[7] = 200;
	CHECK(ike_ts_pl_decode(ts_bad, sizeof(ts_bad), &ts) < 0);
	ts_bad[7] = 16;
	ts_bad[0] = 2; /* two selectors claimed */
	CHECK(ike_ts_pl_decode(ts_bad, sizeof(ts_bad), &ts) < 0);
	struct ike_delete_pl d;
	const uint8_t del[] = {3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
	CHECK_EQ_INT(ike_delete_pl_decode(del, sizeof(del), &d), 0);
	CHECK_EQ_INT(d.n_spi, 2);
	CHECK(ike_delete_pl_decode(del, sizeof(del) - 1, &d) < 0);
	const uint8_t del_ike_bad[] = {1, 8, 0, 1};
	CHECK(ike_delete_pl_decode(del_ike_bad, sizeof(del_ike_bad), &d) < 0);
	struct ike_notify_pl n;
	const uint8_t nt[] = {3, 9, 0x40, 0x09};
	CHECK(ike_notify_pl_decode(nt, sizeof(nt), &n) < 0); /* SPI size 9 */
	const uint8_t nt2[] = {3, 4, 0x40, 0x09, 1, 2};
	CHECK(ike_notify_pl_decode(nt2, sizeof(nt2), &n) < 0); /* SPI cut short */
	struct ike_id_pl id;
	const uint8_t idb[] = {1, 0, 0};
	CHECK(ike_id_pl_decode(idb, sizeof(idb), &id) < 0);
}

static void test_critical(void)
{
	uint8_t buf[1024];
	struct ike_wbuf w;
	struct ike_msg m;
	enum ike_decode_err why;
	for (int crit = 0; crit < 2; crit++) {
		ike_w_init(&w, buf, sizeof(buf));
		ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
		size_t s = ike_w_begin(&w, 99); /* unknown payload type */
		ike_w_u32(&w, 0xdeadbeef);
		ike_w_end(&w, s);
		if (crit)
			buf[s + 1] = 0x80;
		uint8_t nonce[16] = {0};
		ike_w_nonce(&w, nonce, sizeof(nonce));
		ike_w_finish(&w);
		int r = ike_msg_decode(buf, w.len, &m, &why);
		if (crit) {
			CHECK(r < 0);
			CHECK_EQ_INT(why, IKE_DEC_CRITICAL);
			CHECK_EQ_INT(m.unsupported_critical, 99);
		} else {
			CHECK_EQ_INT(r, 0);
			CHECK_EQ_INT(m.n, 1); /* the unknown one skipped */
			CHECK_EQ_INT(m.pl[0].type, IKEV2_PL_NONCE);
		}
	}
}

static void test_rules(void)
{
	uint8_t buf[1024];
	struct ike_wbuf w;
	struct ike_msg m;
	uint8_t bad;
	/* IKE_AUTH payloads in the clear: refused */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, SPI_I, SPI_I, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ike_w_id(&w, IKEV2_PL_IDI, 1, (const uint8_t *)"\x0a\0\0\1", 4);
	ike_w_auth(&w, 2, (const uint8_t *)"x", 1);
	ike_w_finish(&w);
	CHECK_EQ_INT(ike_msg_decode(buf, w.len, &m, NULL), 0);
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_SK_MISSING);
	/* the same inside SK (faked: marked encrypted) passes; an extra clear one does not */
	m.sk = 0;
	for (size_t i = 0; i < m.n; i++)
		m.pl[i].encrypted = true;
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_OK);
	m.pl[1].encrypted = false;
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_NOT_ENCRYPTED);
	CHECK_EQ_INT(bad, IKEV2_PL_AUTH);
	/* IKE_SA_INIT without KE; two SAs; a Delete in it */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	struct ike_prop p = {.num = 1, .proto = 1, .n_x = 1};
	p.x[0] = (struct ike_xform){.type = 1, .id = 20, .key_bits = 128};
	ike_w_sa(&w, &p, 1);
	uint8_t nonce[16] = {0};
	ike_w_nonce(&w, nonce, sizeof(nonce));
	ike_w_finish(&w);
	CHECK_EQ_INT(ike_msg_decode(buf, w.len, &m, NULL), 0);
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_COUNT);
	CHECK_EQ_INT(bad, IKEV2_PL_KE);
	/* an error notify alone in a response is fine */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_w_notify(&w, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	ike_w_finish(&w);
	CHECK_EQ_INT(ike_msg_decode(buf, w.len, &m, NULL), 0);
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_OK);
	/* a Delete is not an IKE_SA_INIT payload */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_w_delete(&w, 1, 0, NULL, 0);
	ike_w_finish(&w);
	CHECK_EQ_INT(ike_msg_decode(buf, w.len, &m, NULL), 0);
	CHECK_EQ_INT(ike_rules_check(&m, &bad), IKE_RULE_UNEXPECTED);
	/* the encoder refuses to overflow its buffer */
	ike_w_init(&w, buf, 40);
	ike_w_hdr(&w, SPI_I, SPI_R, IKEV2_EXCH_IKE_SA_INIT, 0, 0);
	ike_w_nonce(&w, nonce, sizeof(nonce));
	CHECK(w.err);
}

/* ---- the engine under hostile input ---- */
static int corrupt_mode;
static bool corrupt_tap(struct tnet *n, struct tpkt *p)
{
	(void)n;
	if (corrupt_mode == 1 && p->len > 60 && p->data[18] != IKEV2_EXCH_IKE_SA_INIT) {
		p->data[p->len - 1] ^= 1; /* ICV broken */
		corrupt_mode = 0;
	} else if (corrupt_mode == 2 && p->data[18] == IKEV2_EXCH_CREATE_CHILD_SA &&
		   !(p->data[19] & IKEV2_FLAG_RESPONSE)) {
		tnet_send(&n->side[0], &p->from, &p->to, p->data, p->len); /* duplicated */
		corrupt_mode = 0;
	}
	return true;
}

static int64_t dec_stat(struct ike_engine *e, const char *k)
{
	struct json_object *o = ike_show_stats(e), *d, *v;
	int64_t r = -1;
	if (json_object_object_get_ex(o, "decode_errors", &d) &&
	    json_object_object_get_ex(d, k, &v))
		r = json_object_get_int64(v);
	json_object_put(o);
	return r;
}

static void test_engine_hostile(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	tnet_init(&n, 2, 5);
	tnet_cfg(&ca, &n.side[0], &n.side[1], 1);
	tnet_cfg(&cb, &n.side[1], &n.side[0], 2);
	cb.passive = true;
	n.tap = corrupt_tap;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	struct ike_engine *b = n.side[1].eng;
	const struct sockaddr_in *la = &n.side[1].addr, *ra = &n.side[0].addr;
	uint8_t buf[1024];
	size_t len = build_init(buf, sizeof(buf));
	/* truncated, bad lengths, unknown critical, garbage: counted, no answer */
	for (size_t l = 0; l < len; l += 7)
		ike_input(b, la, ra, buf, l);
	uint8_t c[1024];
	memcpy(c, buf, len);
	c[31] = 2;
	ike_input(b, la, ra, c, len);
	memcpy(c, buf, len);
	c[16] = 99;
	c[29] = 0x80; /* first payload now "99", critical */
	ike_input(b, la, ra, c, len);
	for (int i = 0; i < 100; i++) {
		for (size_t k = 0; k < 200; k++)
			c[k] = (uint8_t)tnet_rand(&n);
		ike_input(b, la, ra, c, 200);
	}
	CHECK(dec_stat(b, "truncated message") >= 20);
	CHECK(dec_stat(b, "bad payload length") >= 1);
	CHECK_EQ_INT(dec_stat(b, "unsupported critical payload"), 1);
	CHECK(tnet_stat(b, "rx") >= 120);
	CHECK_EQ_INT(n.sent, 0);
	/* then a real tunnel still comes up, and a broken ICV is survived */
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 2000);
	CHECK(n.side[0].up && n.side[1].up);
	corrupt_mode = 1;
	CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
	tnet_run(&n, 5000);
	CHECK_EQ_INT(tnet_stat(b, "sk_fail"), 1);
	CHECK(tnet_stat(n.side[0].eng, "retransmits") >= 1);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "child_rekeys"), 1);
	/* a duplicated request is answered from the cache, not processed twice */
	corrupt_mode = 2;
	CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
	tnet_run(&n, 5000);
	CHECK_EQ_INT(tnet_stat(b, "rx_retransmits"), 1);
	CHECK_EQ_INT(tnet_stat(b, "child_rekeys"), 2);
	CHECK_EQ_INT(n.side[1].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	tnet_fini(&n);
}

int main(void)
{
	log_init("test_ike_msg", LOG_TO_STDERR, LOG_CRIT);
	RUN(test_roundtrip);
	RUN(test_big_proposal);
	RUN(test_truncated);
	RUN(test_bad_lengths);
	RUN(test_critical);
	RUN(test_rules);
	RUN(test_engine_hostile);
	return tcheck_done();
}
