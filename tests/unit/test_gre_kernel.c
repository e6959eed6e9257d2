/* test_gre_kernel: the kernel backend's pure parts (gre/dp_kernel_xfrm.c):
 * XFRM algorithm attributes from every ESP row of the suite table, the
 * anti-replay shape, lifetimes, the bitmap of a bitmap-mode window, the
 * ownership marks, the expire-message parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "gre/dp_kernel_int.h"
#include "tests/unit/tcheck.h"

static struct dp_sa_cfg sa_for(const struct suite *e, const struct suite *i)
{
	struct dp_sa_cfg sa = {.spi = 0x1000, .mode = DP_ESP_TRANSPORT, .encr = e, .integ = i};
	sa.encr_key_len = (uint8_t)(e->key_len + e->salt_len);
	if (i)
		sa.integ_key_len = i->key_len;
	return sa;
}

/* Every ESP transform IOS can configure has a kernel form, with the key
 * and ICV lengths the kernel wants (RFC 4106: key||salt; RFC 4868 ICVs). */
static void test_alg_every_row(void)
{
	int n = 0;
	for (size_t k = 0; suite_at(SUITE_ENCR, k); k++) {
		const struct suite *e = suite_at(SUITE_ENCR, k);
		if (!e->ios_ts)
			continue;
		if (e->aead) {
			struct dp_sa_cfg sa = sa_for(e, NULL);
			struct dpk_alg a;
			CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), 0);
			CHECK(a.aead);
			CHECK_EQ_STR(a.enc_name, e->xfrm);
			CHECK_EQ_INT(a.enc_key_bits, (e->key_len + 4) * 8);
			CHECK_EQ_INT(a.icv_bits, 128);
			CHECK(a.auth_name == NULL);
			n++;
			continue;
		}
		for (size_t j = 0; suite_at(SUITE_INTEG, j); j++) {
			const struct suite *i = suite_at(SUITE_INTEG, j);
			struct dp_sa_cfg sa = sa_for(e, i);
			struct dpk_alg a;
			CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), 0);
			CHECK(!a.aead);
			CHECK_EQ_STR(a.enc_name, "cbc(aes)");
			CHECK_EQ_INT(a.enc_key_bits, e->key_bits);
			CHECK_EQ_STR(a.auth_name, i->xfrm);
			CHECK_EQ_INT(a.auth_key_bits, i->key_len * 8);
			CHECK_EQ_INT(a.auth_trunc_bits, i->icv_len * 8);
			n++;
		}
	}
	CHECK(n >= 3 + 3 * 4);
	const struct suite *gcm = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	struct dp_sa_cfg sa = sa_for(gcm, NULL);
	struct dpk_alg a;
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), 0);
	CHECK_EQ_STR(a.enc_name, "rfc4106(gcm(aes))");
	CHECK_EQ_INT(a.enc_key_bits, 288);
	const struct suite *sha1 = suite_by_name(SUITE_INTEG, "sha1");
	sa = sa_for(suite_by_name(SUITE_ENCR, "aes-cbc-128"), sha1);
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), 0);
	CHECK_EQ_STR(a.auth_name, "hmac(sha1)");
	CHECK_EQ_INT(a.auth_trunc_bits, 96);
	CHECK_EQ_INT(a.auth_key_bits, 160);
}

static void test_alg_refused(void)
{
	const struct suite *gcm = suite_by_name(SUITE_ENCR, "aes-gcm-128");
	const struct suite *cbc = suite_by_name(SUITE_ENCR, "aes-cbc-256");
	const struct suite *sha = suite_by_name(SUITE_INTEG, "sha256");
	struct dpk_alg a;
	struct dp_sa_cfg sa = sa_for(gcm, NULL);
	sa.encr_key_len = 16; /* salt missing */
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -EINVAL);
	sa = sa_for(gcm, sha); /* AEAD with integrity */
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -EINVAL);
	sa = sa_for(cbc, NULL); /* CBC without */
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -EINVAL);
	sa = sa_for(cbc, sha);
	sa.integ_key_len = 20;
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -EINVAL);
	sa.encr = NULL;
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -EINVAL);
	/* a row without a kernel name */
	struct suite nox = *cbc;
	nox.xfrm = NULL;
	sa = sa_for(&nox, sha);
	CHECK_EQ_INT(dpk_alg_from_sa(&sa, &a), -ENOTSUP);
}

static void test_replay_shape(void)
{
	const struct suite *gcm = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	struct dp_sa_cfg sa = sa_for(gcm, NULL);
	struct dpk_replay r;
	sa.inbound = true;
	sa.replay_window = 32;
	dpk_replay_from_sa(&sa, &r);
	CHECK(!r.esn_attr);
	CHECK_EQ_INT(r.legacy_window, 32);
	sa.replay_window = 0;
	dpk_replay_from_sa(&sa, &r);
	CHECK(!r.esn_attr);
	CHECK_EQ_INT(r.legacy_window, 0);
	sa.replay_window = 64; /* above the legacy u32 bitmap: bitmap mode */
	dpk_replay_from_sa(&sa, &r);
	CHECK(r.esn_attr);
	CHECK_EQ_INT(r.legacy_window, 0);
	CHECK_EQ_INT(r.window, 64);
	CHECK_EQ_INT(r.bmp_len, 2);
	sa.replay_window = 1000;
	dpk_replay_from_sa(&sa, &r);
	CHECK_EQ_INT(r.bmp_len, 32);
	sa.replay_window = 100000; /* capped at the contract's 4096 */
	dpk_replay_from_sa(&sa, &r);
	CHECK_EQ_INT(r.window, 4096);
	CHECK_EQ_INT(r.bmp_len, 128);
	/* ESN outbound: the kernel wants a window anyway */
	sa.inbound = false;
	sa.esn = true;
	sa.replay_window = 64; /* ignored outbound */
	dpk_replay_from_sa(&sa, &r);
	CHECK(r.esn_attr);
	CHECK_EQ_INT(r.window, 32);
	CHECK_EQ_INT(r.bmp_len, 1);
	sa.inbound = false;
	sa.esn = false;
	dpk_replay_from_sa(&sa, &r);
	CHECK(!r.esn_attr);
	CHECK_EQ_INT(r.legacy_window, 0);
}

static void test_limits_and_marks(void)
{
	CHECK(dpk_limit(0) == XFRM_INF);
	CHECK(dpk_limit(4608000) == 4608000);
	CHECK(dpk_reqid_ours(dpk_reqid(1, false)));
	CHECK(dpk_reqid_ours(dpk_reqid(DPK_MAX_SLOT, true)));
	CHECK(dpk_reqid_ours(DPK_REQID_BASE));
	CHECK(!dpk_reqid_ours(1));
	CHECK(!dpk_reqid_ours(DPK_REQID_BASE - 1));
	CHECK(!dpk_reqid_ours(DPK_REQID_BASE + 0x10000));
	CHECK(dpk_reqid(3, false) != dpk_reqid(3, true));
	CHECK(dpk_reqid(3, true) != dpk_reqid(4, false));
	CHECK_EQ_INT((dpk_reqid(7, true) - DPK_REQID_BASE) / 2, 7);
	/* a VTI link's mark: non-zero (0 means none), vtid's, one per link */
	CHECK(dpk_vti_mark(1) != 0);
	CHECK(dpk_reqid_ours(dpk_vti_mark(DPK_MAX_SLOT)));
	CHECK(dpk_vti_mark(1) != dpk_vti_mark(2));
	CHECK(dpk_vti_mark(2) != dpk_reqid(1, true));
}

/* Bitmap mode: sequence s sits at bit (s - 1) mod window. */
static void test_bitmap_newest(void)
{
	uint32_t bmp[4] = {0}, out[4];
	uint32_t window = 128;
	uint64_t top = 300;
	uint64_t seen[] = {300, 299, 297, 250, 173, 172};
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		uint32_t bit = (uint32_t)((seen[i] - 1) % window);
		bmp[bit / 32] |= 1u << (bit % 32);
	}
	dpk_bitmap_newest(bmp, 4, window, top, out);
	CHECK_EQ_INT(out[0], 0x0000000b);	   /* 300, 299, 297 -> bits 0, 1, 3 */
	CHECK_EQ_INT(out[1] >> (50 - 32) & 1, 1);  /* 250 */
	CHECK_EQ_INT(out[3] >> (127 - 96) & 1, 1); /* 173 */
	CHECK_EQ_INT(out[2], 0);
	/* 172 is outside the 128 newest */
	/* a top below the window: nothing below sequence 1 */
	memset(bmp, 0xff, sizeof(bmp));
	dpk_bitmap_newest(bmp, 4, window, 5, out);
	CHECK_EQ_INT(out[0], 0x1f);
	CHECK_EQ_INT(out[1] | out[2] | out[3], 0);
	/* inconsistent sizes read nothing */
	dpk_bitmap_newest(bmp, 1, 64, 100, out);
	CHECK_EQ_INT(out[0] | out[1] | out[2] | out[3], 0);
}

static void test_expire_parse(void)
{
	struct {
		struct nlmsghdr h;
		struct xfrm_user_expire e;
	} m;
	memset(&m, 0, sizeof(m));
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(m.e));
	m.h.nlmsg_type = XFRM_MSG_EXPIRE;
	m.e.state.family = AF_INET;
	m.e.state.id.proto = IPPROTO_ESP;
	m.e.state.id.spi = htonl(0xc0ffee01);
	inet_pton(AF_INET, "192.0.2.2", &m.e.state.id.daddr.a4);
	inet_pton(AF_INET, "192.0.2.1", &m.e.state.saddr.a4);
	m.e.state.reqid = dpk_reqid(2, false);
	m.e.state.curlft.packets = 10;
	m.e.state.curlft.bytes = 1500;
	m.e.state.stats.integrity_failed = 3;
	m.e.state.stats.replay = 1;
	m.e.state.stats.replay_window = 2;
	m.e.hard = 1;
	struct dpk_expire x;
	CHECK_EQ_INT(dpk_expire_parse(&m.h, sizeof(m), &x), 0);
	CHECK_EQ_INT(x.spi, 0xc0ffee01);
	CHECK(x.hard);
	CHECK_EQ_INT(x.packets, 10);
	CHECK_EQ_INT(x.bytes, 1500);
	CHECK_EQ_INT(x.auth_fail, 3);
	CHECK_EQ_INT(x.replay_fail, 3);
	CHECK_EQ_INT((x.reqid - DPK_REQID_BASE) / 2, 2);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &x.dst, a, sizeof(a));
	CHECK_EQ_STR(a, "192.0.2.2");
	/* not vtid's: another daemon's reqid */
	m.e.state.reqid = 1;
	CHECK_EQ_INT(dpk_expire_parse(&m.h, sizeof(m), &x), -EINVAL);
	m.e.state.reqid = dpk_reqid(2, false);
	/* truncated, or longer than what was read */
	CHECK_EQ_INT(dpk_expire_parse(&m.h, sizeof(m) - 1, &x), -EINVAL);
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(m.e) - 1);
	CHECK_EQ_INT(dpk_expire_parse(&m.h, sizeof(m), &x), -EINVAL);
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(m.e));
	m.h.nlmsg_type = XFRM_MSG_NEWSA;
	CHECK_EQ_INT(dpk_expire_parse(&m.h, sizeof(m), &x), -EINVAL);
}

/* XFRM_MSG_ACQUIRE as the kernel builds it: the fixed part, then the
 * policy's templates in XFRMA_TMPL. */
static void test_acquire_parse(void)
{
	struct {
		struct nlmsghdr h;
		struct xfrm_user_acquire a;
		struct nlattr nla __attribute__((aligned(4)));
		struct xfrm_user_tmpl t;
	} m;
	memset(&m, 0, sizeof(m));
	_Static_assert(offsetof(__typeof__(m), nla) ==
			   NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_user_acquire)),
		       "attribute right after the aligned fixed part");
	m.h.nlmsg_len = sizeof(m);
	m.h.nlmsg_type = XFRM_MSG_ACQUIRE;
	m.a.policy.sel.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &m.a.id.daddr.a4);
	inet_pton(AF_INET, "192.0.2.2", &m.a.saddr.a4);
	m.nla.nla_type = XFRMA_TMPL;
	m.nla.nla_len = NLA_HDRLEN + sizeof(m.t);
	m.t.id.proto = IPPROTO_ESP;
	m.t.reqid = dpk_reqid(3, false);
	struct dpk_acquire x;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m), &x), 0);
	CHECK_EQ_INT((x.reqid - DPK_REQID_BASE) / 2, 3);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &x.dst, a, sizeof(a));
	CHECK_EQ_STR(a, "192.0.2.1");
	/* another daemon's policy */
	m.t.reqid = 7;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m), &x), -EINVAL);
	m.t.reqid = dpk_reqid(3, false);
	/* a template cut short, none at all, a message cut short */
	m.nla.nla_len = NLA_HDRLEN + sizeof(m.t) - 4;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m), &x), -EINVAL);
	m.nla.nla_len = NLA_HDRLEN + sizeof(m.t);
	m.nla.nla_type = XFRMA_SA;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m), &x), -EINVAL);
	m.nla.nla_type = XFRMA_TMPL;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m) - 1, &x), -EINVAL);
	/* an expire is not an acquire */
	m.h.nlmsg_type = XFRM_MSG_EXPIRE;
	CHECK_EQ_INT(dpk_acquire_parse(&m.h, sizeof(m), &x), -EINVAL);
}

int main(void)
{
	RUN(test_alg_every_row);
	RUN(test_alg_refused);
	RUN(test_replay_shape);
	RUN(test_limits_and_marks);
	RUN(test_bitmap_newest);
	RUN(test_expire_parse);
	RUN(test_acquire_parse);
	return tcheck_done();
}
