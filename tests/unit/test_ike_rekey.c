/* test_ike_rekey.c: CREATE_CHILD_SA over the fake network: Child SA rekey
 * (with and without PFS, make-before-break), IKE SA rekey (children move),
 * simultaneous-rekey collisions, lifetimes, delete during rekey, peer
 * restart with INITIAL_CONTACT, cookies and fragmentation. */
#include <json-c/json.h>
#include <stdlib.h>
#include <unistd.h>

#include "ike/ike.h"
#include "ike/ikev2.h"
#include "lib/log.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_ike_net.h"

static void setup(struct tnet *n, uint64_t seed, struct ike_peer_cfg *ca, struct ike_peer_cfg *cb)
{
	tnet_init(n, 2, seed);
	tnet_cfg(ca, &n->side[0], &n->side[1], 1);
	tnet_cfg(cb, &n->side[1], &n->side[0], 2);
	cb->passive = true;
}

static void up(struct tnet *n, struct ike_peer_cfg *ca, struct ike_peer_cfg *cb)
{
	CHECK_EQ_INT(ike_peer_add(n->side[1].eng, cb), 0);
	CHECK_EQ_INT(ike_peer_add(n->side[0].eng, ca), 0);
	tnet_run(n, 2000);
	CHECK(n->side[0].up && n->side[1].up);
	CHECK(tnet_pairs_match(&n->side[0], &n->side[1]));
}

static int n_sas(struct ike_engine *e)
{
	struct json_object *o = ike_show_sa(e, false), *sas;
	json_object_object_get_ex(o, "sas", &sas);
	int n = (int)json_object_array_length(sas);
	json_object_put(o);
	return n;
}

/* Counts each side's child_up/down calls in order to see make-before-break. */
static void test_child_rekey(void)
{
	for (int pfs = 0; pfs < 2; pfs++) {
		for (int who = 0; who < 2; who++) {
			struct tnet n;
			struct ike_peer_cfg ca, cb;
			setup(&n, 20 + (uint64_t)(pfs * 2 + who), &ca, &cb);
			if (pfs)
				ca.pfs = cb.pfs = suite_by_name(SUITE_DH, "group31");
			up(&n, &ca, &cb);
			uint32_t old_in = n.side[0].child[0].spi_in;
			uint8_t old_key[64];
			memcpy(old_key, n.side[0].child[0].key_in_encr, 36);
			CHECK_EQ_INT(ike_rekey_child(n.side[who].eng, who ? 2 : 1), 0);
			/* deliver only the CREATE_CHILD_SA request and answer: both pairs live */
			tnet_step(&n);
			tnet_step(&n);
			CHECK_EQ_INT(n.side[0].n_child, 2);
			CHECK_EQ_INT(n.side[1].n_child, 2);
			CHECK_EQ_INT(n.side[0].rekey_ups, 1);
			CHECK_EQ_INT(n.side[1].rekey_ups, 1);
			CHECK_EQ_INT(n.side[0].child_downs + n.side[1].child_downs, 0);
			tnet_run(&n, 1000);
			CHECK_EQ_INT(n.side[0].n_child, 1);
			CHECK_EQ_INT(n.side[1].n_child, 1);
			CHECK_EQ_INT(n.side[0].child_downs, 1);
			CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
			CHECK(n.side[0].child[0].spi_in != old_in);
			CHECK(memcmp(n.side[0].child[0].key_in_encr, old_key, 36) != 0);
			CHECK(n.side[0].child[0].rekey);
			CHECK(n.side[0].child[0].pfs == (pfs ? ca.pfs : NULL));
			CHECK(n.side[0].child[0].transport);
			CHECK(n.side[0].up && n.side[1].up);
			CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
			tnet_fini(&n);
		}
	}
}

/* Soft lifetime triggers the rekey by itself; the data plane's soft expiry too. */
static void test_child_lifetime(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 30, &ca, &cb);
	ca.child_lifetime_s = cb.child_lifetime_s = 100;
	up(&n, &ca, &cb);
	uint32_t spi = n.side[0].child[0].spi_in;
	tnet_run(&n, 82000); /* before 85 %: nothing */
	CHECK_EQ_INT(n.side[0].child[0].spi_in, spi);
	tnet_run(&n, 7000); /* by 91 s a rekey happened */
	CHECK(n.side[0].child[0].spi_in != spi);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	spi = n.side[0].child[0].spi_in;
	ike_child_expired(n.side[0].eng, 1, spi, false);
	tnet_run(&n, 1000);
	CHECK(n.side[0].child[0].spi_in != spi);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	/* an hour of virtual time: many rekeys, still one pair, never down */
	tnet_run(&n, 3600000);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
	CHECK(tnet_stat(n.side[0].eng, "child_rekeys") >= 30);
	tnet_fini(&n);
}

/* Hard expiry from the data plane deletes the pair; the tunnel starts over. */
static void test_child_hard_expiry(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 31, &ca, &cb);
	up(&n, &ca, &cb);
	uint32_t spi = n.side[0].child[0].spi_in;
	ike_child_expired(n.side[0].eng, 1, spi, true);
	tnet_run(&n, 200);
	CHECK(n.side[0].n_child == 0 || n.side[0].child[0].spi_in != spi);
	CHECK_EQ_STR(n.side[0].last_why, "Child SA expired");
	tnet_run(&n, 5000);
	CHECK(n.side[0].up && n.side[1].up);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(n.side[0].child[0].spi_in != spi);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	/* the passive peer's SA expires: the active side says why it starts
	 * over (the peer's Delete of its only Child SA, or of the IKE SA that
	 * the peer then has no use for, whichever lands first) */
	ike_child_expired(n.side[1].eng, 2, n.side[1].child[0].spi_in, true);
	tnet_run(&n, 200);
	CHECK(strstr(n.side[0].last_why, "deleted by peer") != NULL);
	tnet_run(&n, 5000);
	CHECK(n.side[0].up && n.side[1].up);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	tnet_fini(&n);
}

/* Soft and then hard expiry of the only pair while another exchange (a
 * DPD probe) is in flight: when it ends the pair is rekeyed, then deleted;
 * the IKE SA stays (deleted first, the tunnel would start over). */
static void test_child_soft_hard_during_exchange(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 36, &ca, &cb);
	ca.dpd_interval_s = cb.dpd_interval_s = 10;
	up(&n, &ca, &cb);
	uint32_t spi = n.side[0].child[0].spi_in;
	int rekeys = n.side[0].rekey_ups;
	ike_peer_suspect(n.side[0].eng, 1, NULL); /* a DPD probe goes out */
	ike_child_expired(n.side[0].eng, 1, spi, false);
	ike_child_expired(n.side[0].eng, 1, spi, true);
	tnet_run(&n, 3000);
	CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
	CHECK_EQ_INT(n.side[0].rekey_ups, rekeys + 1);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(n.side[0].child[0].spi_in != spi);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	tnet_fini(&n);
}

static void test_ike_rekey(void)
{
	for (int who = 0; who < 2; who++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, 40 + (uint64_t)who, &ca, &cb);
		up(&n, &ca, &cb);
		struct json_object *o = ike_show_sa(n.side[0].eng, false), *sas, *v;
		json_object_object_get_ex(o, "sas", &sas);
		json_object_object_get_ex(json_object_array_get_idx(sas, 0), "spi_i", &v);
		char old_spi[32];
		snprintf(old_spi, sizeof(old_spi), "%s", json_object_get_string(v));
		json_object_put(o);
		CHECK_EQ_INT(ike_rekey_ike(n.side[who].eng, who ? 2 : 1), 0);
		tnet_run(&n, 1000);
		CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
		CHECK_EQ_INT(n_sas(n.side[1].eng), 1);
		o = ike_show_sa(n.side[0].eng, false);
		json_object_object_get_ex(o, "sas", &sas);
		struct json_object *sa = json_object_array_get_idx(sas, 0), *ch;
		json_object_object_get_ex(sa, "spi_i", &v);
		CHECK(strcmp(json_object_get_string(v), old_spi) != 0);
		CHECK(json_object_object_get_ex(sa, "children", &ch));
		CHECK_EQ_INT(json_object_array_length(ch), 1); /* the child moved */
		json_object_object_get_ex(sa, "role", &v);
		CHECK_EQ_STR(json_object_get_string(v), who ? "RESPONDER" : "INITIATOR");
		json_object_put(o);
		/* children untouched, no down events */
		CHECK_EQ_INT(n.side[0].child_ups, 1);
		CHECK_EQ_INT(n.side[0].child_downs + n.side[1].child_downs, 0);
		CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
		/* the new IKE SA works: a child rekey and a delete over it */
		CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
		tnet_run(&n, 1000);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK_EQ_INT(n.side[0].child_ups, 2);
		/* and IKE lifetime rekeys go on for days without a drop */
		tnet_run(&n, 3 * 86400000ull);
		CHECK(n.side[0].up && n.side[1].up);
		CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
		CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
		CHECK(tnet_stat(n.side[0].eng, "ike_rekeys") >= 3);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		tnet_fini(&n);
	}
}

/* Both ends rekey the same Child SA at once: one pair survives. */
static void test_child_collision(void)
{
	for (uint64_t seed = 50; seed < 56; seed++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, seed, &ca, &cb);
		if (seed & 1)
			ca.pfs = cb.pfs = suite_by_name(SUITE_DH, "group19");
		up(&n, &ca, &cb);
		CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
		CHECK_EQ_INT(ike_rekey_child(n.side[1].eng, 2), 0);
		tnet_run(&n, 2000);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK_EQ_INT(n.side[1].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK(tnet_stat(n.side[0].eng, "collisions") == 1 &&
		      tnet_stat(n.side[1].eng, "collisions") == 1);
		CHECK(n.side[0].up && n.side[1].up);
		CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
		CHECK(n.side[0].child_downs < 1000 && n.side[1].child_downs < 1000);
		/* and the survivor rekeys normally afterwards */
		CHECK_EQ_INT(ike_rekey_child(n.side[1].eng, 2), 0);
		tnet_run(&n, 2000);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		tnet_fini(&n);
	}
}

static void test_ike_collision(void)
{
	for (uint64_t seed = 60; seed < 66; seed++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, seed, &ca, &cb);
		up(&n, &ca, &cb);
		CHECK_EQ_INT(ike_rekey_ike(n.side[0].eng, 1), 0);
		CHECK_EQ_INT(ike_rekey_ike(n.side[1].eng, 2), 0);
		tnet_run(&n, 2000);
		CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
		CHECK_EQ_INT(n_sas(n.side[1].eng), 1);
		CHECK(tnet_stat(n.side[0].eng, "collisions") == 1 &&
		      tnet_stat(n.side[1].eng, "collisions") == 1);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK_EQ_INT(n.side[0].ike_downs + n.side[1].ike_downs, 0);
		CHECK_EQ_INT(n.side[0].child_downs + n.side[1].child_downs, 0);
		/* the survivor carries traffic: a child rekey over it completes */
		CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
		tnet_run(&n, 2000);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK_EQ_INT(n.side[0].child_ups, 2);
		tnet_fini(&n);
	}
}

/* The peer deletes the tunnel while our rekey is in flight. */
static void test_delete_during_rekey(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 70, &ca, &cb);
	cb.passive = false;
	up(&n, &ca, &cb);
	tnet_run(&n, 5000);
	CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
	CHECK_EQ_INT(ike_clear(n.side[1].eng, 2), 0); /* Delete crosses the rekey */
	tnet_run(&n, 10000);
	CHECK(n.side[0].up && n.side[1].up);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK_EQ_INT(n.side[1].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
	CHECK_EQ_INT(n_sas(n.side[1].eng), 1);
	CHECK(n.side[0].child_downs < 1000 && n.side[1].child_downs < 1000);
	tnet_fini(&n);
}

/* B restarts (new engine, same address) and comes back with INITIAL_CONTACT:
 * A drops its stale SA and keeps only the new one. */
static void test_initial_contact(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 80, &ca, &cb);
	cb.passive = false;
	ca.passive = true;
	up(&n, &ca, &cb);
	ike_engine_free(n.side[1].eng); /* B reboots: no Delete sent */
	struct ike_host h = {.ctx = &n.side[1],
			     .now_ms = tnet_now,
			     .send = tnet_send,
			     .child_up = tnet_child_up,
			     .child_down = tnet_child_down,
			     .ike_event = tnet_ike_event};
	n.side[1].n_child = 0;
	n.side[1].eng = ike_engine_new(&h);
	ike_set_timer_check(n.side[1].eng, true);
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	tnet_run(&n, 2000);
	CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
	CHECK_EQ_INT(n.side[0].n_child, 1);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	CHECK_EQ_INT(tnet_stat(n.side[0].eng, "initial_contact"), 1);
	CHECK(n.side[0].up);
	tnet_fini(&n);
}

/* Above the half-open threshold the responder demands a cookie; the
 * initiator returns it and establishment completes. */
static void test_cookie(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 90, &ca, &cb);
	ike_set_cookie_threshold(n.side[1].eng, 0);
	up(&n, &ca, &cb);
	CHECK_EQ_INT(tnet_stat(n.side[1].eng, "cookies_sent"), 1);
	CHECK_EQ_INT(tnet_stat(n.side[1].eng, "cookie_bad"), 0);
	tnet_fini(&n);
}

/* Small fragment size: IKE_AUTH and later exchanges go as SKF fragments and
 * are reassembled, also with loss. */
static void test_fragmentation(void)
{
	for (int loss = 0; loss < 2; loss++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, 91 + (uint64_t)loss, &ca, &cb);
		ike_set_fragment_size(n.side[0].eng, 128);
		ike_set_fragment_size(n.side[1].eng, 128);
		ca.pfs = cb.pfs = suite_by_name(SUITE_DH, "group14"); /* 256-byte KE */
		n.loss_pct = loss ? 20 : 0;
		CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
		CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
		tnet_run(&n, 60000);
		CHECK(n.side[0].up && n.side[1].up);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK(tnet_stat(n.side[0].eng, "frag_tx") >= 2);
		CHECK(tnet_stat(n.side[1].eng, "frag_rx") >= 2);
		n.loss_pct = 0;
		CHECK_EQ_INT(ike_rekey_child(n.side[0].eng, 1), 0);
		tnet_run(&n, 20000);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK_EQ_INT(tnet_stat(n.side[0].eng, "child_rekeys"), 1);
		tnet_fini(&n);
	}
}

/* NAT-T: force_encap moves IKE to 4500 and reports the ports in child_up. */
static void test_force_encap(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 95, &ca, &cb);
	ca.force_encap = true;
	up(&n, &ca, &cb);
	CHECK_EQ_INT(n.side[0].child[0].natt_local_port, 4500);
	CHECK_EQ_INT(n.side[0].child[0].natt_remote_port, 4500);
	CHECK_EQ_INT(n.side[1].child[0].natt_local_port, 4500);
	CHECK_EQ_INT(n.side[1].child[0].natt_remote_port, 4500);
	struct json_object *o = ike_show_sa(n.side[1].eng, false), *sas, *v;
	json_object_object_get_ex(o, "sas", &sas);
	json_object_object_get_ex(json_object_array_get_idx(sas, 0), "local", &v);
	CHECK_EQ_STR(json_object_get_string(v), "203.0.113.3/4500");
	json_object_put(o);
	tnet_fini(&n);
}

/* A NAT in front of side 0 maps its ports 500 -> 1024 and 4500 -> 4501. */
static bool nat_tap(struct tnet *n, struct tpkt *p)
{
	uint32_t a = n->side[0].addr.sin_addr.s_addr;
	if (p->from.sin_addr.s_addr == a)
		p->from.sin_port = htons(ntohs(p->from.sin_port) == 500 ? 1024 : 4501);
	if (p->to.sin_addr.s_addr == a)
		p->to.sin_port = htons(ntohs(p->to.sin_port) == 1024 ? 500 : 4500);
	return true;
}

static void test_nat(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 97, &ca, &cb);
	n.tap = nat_tap;
	up(&n, &ca, &cb);
	CHECK_EQ_INT(n.side[0].child[0].natt_local_port, 4500);
	CHECK_EQ_INT(n.side[0].child[0].natt_remote_port, 4500);
	CHECK_EQ_INT(n.side[1].child[0].natt_local_port, 4500);
	CHECK_EQ_INT(n.side[1].child[0].natt_remote_port, 4501);
	struct json_object *o = ike_show_sa(n.side[1].eng, false), *sas, *v;
	json_object_object_get_ex(o, "sas", &sas);
	json_object_object_get_ex(json_object_array_get_idx(sas, 0), "remote", &v);
	CHECK_EQ_STR(json_object_get_string(v), "203.0.113.2/4501");
	json_object_put(o);
	/* later exchanges stay on 4500 through the NAT */
	CHECK_EQ_INT(ike_rekey_child(n.side[1].eng, 2), 0);
	tnet_run(&n, 1000);
	CHECK_EQ_INT(n.side[1].n_child, 1);
	CHECK_EQ_INT(n.side[1].child[0].natt_remote_port, 4501);
	CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
	tnet_fini(&n);
}

/* RFC 7296 2.9: the responder narrows to its configuration; the initiator
 * accepts a subset of what it asked for. */
/* A VTI (selectors 0.0.0.0/0, every protocol) and a GRE tunnel (protocol 47
 * between the endpoints) at the two ends are a misconfiguration, whichever
 * initiates: narrowing one to the other would leave a tunnel that carries
 * nothing.  Both ends refuse it and name the same reason. */
static void test_narrowing(void)
{
	for (int k = 0; k < 2; k++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, 98 + (uint64_t)k, &ca, &cb);
		if (k == 0)
			ca.ts = IKE_TS_ANY; /* VTI initiator, GRE responder narrows to 47 */
		else
			cb.ts = IKE_TS_ANY; /* GRE initiator, VTI responder */
		CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
		CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
		tnet_run(&n, 2000);
		CHECK_EQ_INT(n.side[0].n_child + n.side[1].n_child, 0);
		CHECK(n.side[0].fails >= 1 && n.side[1].fails >= 1);
		CHECK_EQ_INT(n.side[0].last_fail.cls, IKE_FAIL_SELECTORS);
		CHECK_EQ_INT(n.side[1].last_fail.cls, IKE_FAIL_SELECTORS);
		CHECK(strstr(n.side[k].last_fail.detail, "VTI") != NULL);
		tnet_fini(&n);
	}
	/* disjoint selectors (B's GRE selector names no tunnel source):
	 * TS_UNACCEPTABLE, nothing installed, and it is counted */
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 101, &ca, &cb);
	cb.local.sin_addr.s_addr = 0;
	CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
	CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
	tnet_run(&n, 2000);
	CHECK_EQ_INT(n.side[0].n_child + n.side[1].n_child, 0);
	CHECK(tnet_stat(n.side[1].eng, "ts_unacceptable") >= 1);
	CHECK_EQ_INT(n.side[0].last_fail.cls, IKE_FAIL_SELECTORS);
	CHECK(n.side[0].last_fail.by_peer);
	tnet_fini(&n);
}

/* Both ends active, short lifetimes, some loss, several hours of virtual
 * time: rekeys and collisions of every kind, and still one IKE SA and one
 * Child SA pair at the end, with no pair ever reported down twice. */
static void test_soak(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct tnet n;
		struct ike_peer_cfg ca, cb;
		setup(&n, 200 + seed, &ca, &cb);
		cb.passive = false;
		ca.child_lifetime_s = cb.child_lifetime_s = 120;
		ca.ike_lifetime_s = cb.ike_lifetime_s = 300;
		ca.dpd_interval_s = cb.dpd_interval_s = 30;
		ca.pfs = cb.pfs = seed == 2 ? suite_by_name(SUITE_DH, "group19") : NULL;
		CHECK_EQ_INT(ike_peer_add(n.side[0].eng, &ca), 0);
		CHECK_EQ_INT(ike_peer_add(n.side[1].eng, &cb), 0);
		n.loss_pct = 5;
		tnet_run(&n, 4 * 3600 * 1000ull);
		n.loss_pct = 0;
		tnet_run(&n, 60000);
		CHECK(n.side[0].up && n.side[1].up);
		CHECK_EQ_INT(n_sas(n.side[0].eng), 1);
		CHECK_EQ_INT(n_sas(n.side[1].eng), 1);
		CHECK_EQ_INT(n.side[0].n_child, 1);
		CHECK_EQ_INT(n.side[1].n_child, 1);
		CHECK(tnet_pairs_match(&n.side[0], &n.side[1]));
		CHECK(n.side[0].child_downs < 1000 && n.side[1].child_downs < 1000);
		CHECK(tnet_stat(n.side[0].eng, "ike_rekeys") >= 20);
		tnet_fini(&n);
	}
}

/* A peer that floats IKE to 4500 with no NAT (strongSwan does): IKE
 * follows it, but ESP stays unencapsulated. */
static bool float_tap(struct tnet *n, struct tpkt *p)
{
	(void)n;
	if (p->data[18] != IKEV2_EXCH_IKE_SA_INIT) {
		p->from.sin_port = htons(4500);
		p->to.sin_port = htons(4500);
	}
	return true;
}

static void test_float_no_nat(void)
{
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 99, &ca, &cb);
	n.tap = float_tap;
	up(&n, &ca, &cb);
	CHECK_EQ_INT(n.side[0].child[0].natt_local_port, 0);
	CHECK_EQ_INT(n.side[1].child[0].natt_local_port, 0);
	struct json_object *o = ike_show_sa(n.side[1].eng, false), *sas, *v;
	json_object_object_get_ex(o, "sas", &sas);
	json_object_object_get_ex(json_object_array_get_idx(sas, 0), "local", &v);
	CHECK_EQ_STR(json_object_get_string(v), "203.0.113.3/4500");
	json_object_put(o);
	tnet_fini(&n);
}

/* The key log: Wireshark's ikev2_decryption_table and esp_sa lines. */
static void test_keylog(void)
{
	char dir[] = "/tmp/vtikeXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct tnet n;
	struct ike_peer_cfg ca, cb;
	setup(&n, 96, &ca, &cb);
	CHECK_EQ_INT(ike_set_keylog(n.side[0].eng, dir), 0);
	up(&n, &ca, &cb);
	char path[256], line[1024], want[64];
	snprintf(path, sizeof(path), "%s/ikev2_decryption_table", dir);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	int lines = 0;
	while (f && fgets(line, sizeof(line), f)) {
		lines++;
		CHECK(strstr(line, ",\"AES-GCM-256 with 16 octet ICV [RFC5282]\",") != NULL);
		CHECK(strstr(line, ",\"NONE [RFC4306]\"\n") != NULL);
		/* spi,spi,ei,er,"encr",ai(empty),ar(empty),"integ"\n */
		CHECK_EQ_INT(strlen(line),
			     16 + 1 + 16 + 1 + 72 + 1 + 72 + 1 + 41 + 1 + 0 + 1 + 0 + 1 + 16 + 1);
	}
	if (f)
		fclose(f);
	CHECK_EQ_INT(lines, 1);
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	lines = 0;
	int found = 0;
	snprintf(want, sizeof(want), "\"IPv4\",\"203.0.113.2\",\"203.0.113.3\",\"0x%08x\"",
		 n.side[0].child[0].spi_out);
	while (f && fgets(line, sizeof(line), f)) {
		lines++;
		found += strncmp(line, want, strlen(want)) == 0;
		CHECK(strstr(line, "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x") != NULL);
		CHECK(strstr(line, "\",\"NULL\",\"0x\"\n") != NULL);
	}
	if (f)
		fclose(f);
	CHECK_EQ_INT(lines, 2);
	CHECK_EQ_INT(found, 1);
	CHECK_EQ_INT(ike_set_keylog(n.side[0].eng, NULL), 0);
	tnet_fini(&n);
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ikev2_decryption_table", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	log_init("test_ike_rekey", LOG_TO_STDERR, getenv("IKE_DEBUG") ? LOG_DEBUG : LOG_ERR);
	if (getenv("IKE_DEBUG"))
		log_set_debug(LOG_DBG_IKE, true);
	RUN(test_child_rekey);
	RUN(test_child_lifetime);
	RUN(test_child_hard_expiry);
	RUN(test_child_soft_hard_during_exchange);
	RUN(test_ike_rekey);
	RUN(test_child_collision);
	RUN(test_ike_collision);
	RUN(test_delete_during_rekey);
	RUN(test_initial_contact);
	RUN(test_cookie);
	RUN(test_fragmentation);
	RUN(test_force_encap);
	RUN(test_keylog);
	RUN(test_nat);
	RUN(test_float_no_nat);
	RUN(test_narrowing);
	RUN(test_soak);
	return tcheck_done();
}
