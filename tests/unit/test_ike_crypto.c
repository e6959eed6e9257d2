/* test_ike_crypto.c: known-answer tests for ike/crypto.h — Diffie-Hellman
 * (RFC 5903 section 8, RFC 7748 section 6.1, refusals of bad peer values),
 * the PRF (RFC 4231, RFC 2202), prf+, IKE/Child/rekey key derivation and PSK
 * AUTH.  Derivations are checked against an independent composition of
 * ike_prf() done here, so a mistake in ordering or lengths inside crypto.c
 * cannot hide behind itself.  The SK payload is in test_ike_crypto_sk.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "ike/crypto.h"
#include "lib/suite.h"
#include "tests/unit/tcheck.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	return tcheck_unhex(hex, out, cap);
}

static const struct suite *dh_group(uint16_t id)
{
	return suite_by_id(SUITE_DH, id, 0);
}

static const struct suite *prf_by(const char *name)
{
	return suite_by_name(SUITE_PRF, name);
}

/* ---- Diffie-Hellman ---- */

/* RFC 5903 section 8: i, g^i = (gix, giy), r, g^r, g^ir x-coordinate. */
struct ecp_vector {
	uint16_t group;
	const char *i, *gi, *r, *gr, *gir;
};

/* clang-format off */
static const struct ecp_vector ecp_vectors[] = {
	{IKEV2_DH_ECP_256, "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
	 "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
	 "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
	 "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
	 "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
	 "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
	 "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
	{IKEV2_DH_ECP_384,
	 "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
	 "E35B538041E649EE3FAEF896783AB194",
	 "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6"
	 "DE3AC808ACB4BDB4C88732AEE95F41AA"
	 "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38E"
	 "EB9FCFF3C2C947DAE69B4C634573A81C",
	 "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942"
	 "E0308312916B8ED2960E4BD55A7448FC",
	 "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
	 "0D1AC43A0336DEF96FDA41D0774A3571"
	 "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FF"
	 "F83FA40142209DFF5EAAD96DB9E6386C",
	 "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4"
	 "D603135569B9E9D09CF5D4A270F59746"},
	{IKEV2_DH_ECP_521,
	 "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A0"
	 "95AA85A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
	 "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBE"
	 "E1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E"
	 "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10A"
	 "D8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
	 "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E"
	 "9C677D600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
	 "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A21"
	 "9B97C356436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F"
	 "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87"
	 "220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
	 "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04"
	 "D1427E73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA"},
};
/* clang-format on */

/* Both sides of a vector: private -> public, then each side's g^ir. */
static void check_dh_vector(const struct suite *g, const char *i_hex, const char *gi_hex,
			    const char *r_hex, const char *gr_hex, const char *gir_hex)
{
	uint8_t i[80], r[80], gi[IKE_MAX_DH_PUB], gr[IKE_MAX_DH_PUB], gir[IKE_MAX_DH_SECRET];
	uint8_t pub[IKE_MAX_DH_PUB], sec[IKE_MAX_DH_SECRET];
	size_t ilen = unhex(i_hex, i, sizeof(i)), rlen = unhex(r_hex, r, sizeof(r));
	size_t gilen = unhex(gi_hex, gi, sizeof(gi)), grlen = unhex(gr_hex, gr, sizeof(gr));
	size_t girlen = unhex(gir_hex, gir, sizeof(gir)), n = 0;
	struct ike_dh *di = NULL, *dr = NULL;

	CHECK(g != NULL);
	if (!g)
		return;
	CHECK_EQ_INT(gilen, g->dh_pub_len);
	CHECK_EQ_INT(grlen, g->dh_pub_len);
	CHECK_EQ_INT(ike_dh_new_private(g, i, ilen, &di), 0);
	CHECK_EQ_INT(ike_dh_new_private(g, r, rlen, &dr), 0);
	if (!di || !dr)
		goto out;
	CHECK(ike_dh_group(di) == g);
	CHECK_EQ_INT(ike_dh_public(di, pub, sizeof(pub), &n), 0);
	CHECK_EQ_INT(n, gilen);
	CHECK_MEM(pub, gi, gilen);
	CHECK_EQ_INT(ike_dh_public(dr, pub, sizeof(pub), &n), 0);
	CHECK_EQ_INT(n, grlen);
	CHECK_MEM(pub, gr, grlen);
	/* A too-small output buffer is refused, not overrun. */
	CHECK_EQ_INT(ike_dh_public(dr, pub, grlen - 1, &n), -ENOSPC);

	memset(sec, 0xee, sizeof(sec));
	CHECK_EQ_INT(ike_dh_shared(di, gr, grlen, sec, sizeof(sec), &n), 0);
	CHECK_EQ_INT(n, girlen);
	CHECK_MEM(sec, gir, girlen);
	memset(sec, 0xee, sizeof(sec));
	CHECK_EQ_INT(ike_dh_shared(dr, gi, gilen, sec, sizeof(sec), &n), 0);
	CHECK_EQ_INT(n, girlen);
	CHECK_MEM(sec, gir, girlen);
	CHECK_EQ_INT(ike_dh_shared(dr, gi, gilen, sec, girlen - 1, &n), -ENOSPC);
out:
	ike_dh_free(di);
	ike_dh_free(dr);
}

static void test_ecp_rfc5903(void)
{
	for (size_t k = 0; k < sizeof(ecp_vectors) / sizeof(ecp_vectors[0]); k++) {
		const struct ecp_vector *v = &ecp_vectors[k];
		check_dh_vector(dh_group(v->group), v->i, v->gi, v->r, v->gr, v->gir);
	}
}

static void test_x25519_rfc7748(void)
{
	/* RFC 7748 6.1: Alice and Bob. */
	check_dh_vector(dh_group(IKEV2_DH_CURVE25519),
			"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
			"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
			"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
			"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
			"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

static void test_x25519_low_order_refused(void)
{
	/* u = 0, u = 1 and a point of order 8: each gives the all-zero
	 * shared secret, which RFC 8031 2.1 says MUST be refused. */
	static const char *low[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	const struct suite *g = dh_group(IKEV2_DH_CURVE25519);
	struct ike_dh *dh = NULL;
	uint8_t peer[32], sec[64];
	size_t n = 12345;

	CHECK_EQ_INT(ike_dh_new(g, &dh), 0);
	if (!dh)
		return;
	for (size_t k = 0; k < 3; k++) {
		unhex(low[k], peer, sizeof(peer));
		CHECK_EQ_INT(ike_dh_shared(dh, peer, 32, sec, sizeof(sec), &n), -EINVAL);
	}
	CHECK_EQ_INT(n, 12345); /* untouched on failure */
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 31, sec, sizeof(sec), &n), -EINVAL);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 33, sec, sizeof(sec), &n), -EINVAL);
	ike_dh_free(dh);
}

static void test_ecp_invalid_points_refused(void)
{
	for (size_t k = 0; k < sizeof(ecp_vectors) / sizeof(ecp_vectors[0]); k++) {
		const struct ecp_vector *v = &ecp_vectors[k];
		const struct suite *g = dh_group(v->group);
		uint8_t priv[80], peer[IKE_MAX_DH_PUB + 1], sec[IKE_MAX_DH_SECRET];
		size_t plen = unhex(v->i, priv, sizeof(priv));
		size_t len = unhex(v->gr, peer, sizeof(peer)), n;
		struct ike_dh *dh = NULL;

		CHECK_EQ_INT(ike_dh_new_private(g, priv, plen, &dh), 0);
		if (!dh)
			continue;
		/* Off the curve: y changed by one. */
		peer[len - 1] ^= 1;
		CHECK_EQ_INT(ike_dh_shared(dh, peer, len, sec, sizeof(sec), &n), -EINVAL);
		peer[len - 1] ^= 1;
		/* The point at "(0, 0)" and coordinates >= p. */
		memset(peer, 0, len);
		CHECK_EQ_INT(ike_dh_shared(dh, peer, len, sec, sizeof(sec), &n), -EINVAL);
		memset(peer, 0xff, len);
		CHECK_EQ_INT(ike_dh_shared(dh, peer, len, sec, sizeof(sec), &n), -EINVAL);
		/* Wrong lengths, including the SEC1 form with its 0x04 byte. */
		unhex(v->gr, peer + 1, sizeof(peer) - 1);
		peer[0] = 0x04;
		CHECK_EQ_INT(ike_dh_shared(dh, peer, len + 1, sec, sizeof(sec), &n), -EINVAL);
		CHECK_EQ_INT(ike_dh_shared(dh, peer + 1, len - 1, sec, sizeof(sec), &n), -EINVAL);
		CHECK_EQ_INT(ike_dh_shared(dh, peer + 1, 0, sec, sizeof(sec), &n), -EINVAL);
		/* The valid value still works after all that. */
		CHECK_EQ_INT(ike_dh_shared(dh, peer + 1, len, sec, sizeof(sec), &n), 0);
		ike_dh_free(dh);
	}
}

static void test_modp_round_trip(void)
{
	static const uint16_t groups[] = {IKEV2_DH_MODP_2048, IKEV2_DH_MODP_3072,
					  IKEV2_DH_MODP_4096};
	for (size_t k = 0; k < 3; k++) {
		const struct suite *g = dh_group(groups[k]);
		struct ike_dh *a = NULL, *b = NULL;
		uint8_t pa[IKE_MAX_DH_PUB], pb[IKE_MAX_DH_PUB];
		uint8_t sa[IKE_MAX_DH_SECRET], sb[IKE_MAX_DH_SECRET];
		size_t la = 0, lb = 0, ka = 0, kb = 0;

		CHECK_EQ_INT(ike_dh_new(g, &a), 0);
		CHECK_EQ_INT(ike_dh_new(g, &b), 0);
		if (!a || !b)
			goto next;
		CHECK_EQ_INT(ike_dh_public(a, pa, sizeof(pa), &la), 0);
		CHECK_EQ_INT(ike_dh_public(b, pb, sizeof(pb), &lb), 0);
		CHECK_EQ_INT(la, g->dh_pub_len);
		CHECK_EQ_INT(lb, g->dh_pub_len);
		CHECK(memcmp(pa, pb, la) != 0);
		CHECK_EQ_INT(ike_dh_shared(a, pb, lb, sa, sizeof(sa), &ka), 0);
		CHECK_EQ_INT(ike_dh_shared(b, pa, la, sb, sizeof(sb), &kb), 0);
		CHECK_EQ_INT(ka, g->dh_pub_len);
		CHECK_EQ_INT(kb, g->dh_pub_len);
		CHECK_MEM(sa, sb, ka);
	next:
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

/* Private value 2 gives g^x = 4; with the peer value 4 the secret is 16:
 * checks the public value's and the secret's zero padding to 256 bytes. */
static void test_modp_small_values_padded(void)
{
	const struct suite *g = dh_group(IKEV2_DH_MODP_2048);
	uint8_t x = 2, pub[IKE_MAX_DH_PUB], peer[256] = {0}, sec[IKE_MAX_DH_SECRET],
		want[256] = {0};
	struct ike_dh *dh = NULL;
	size_t n = 0;

	CHECK_EQ_INT(ike_dh_new_private(g, &x, 1, &dh), 0);
	if (!dh)
		return;
	want[255] = 4;
	CHECK_EQ_INT(ike_dh_public(dh, pub, sizeof(pub), &n), 0);
	CHECK_EQ_INT(n, 256);
	CHECK_MEM(pub, want, 256);
	peer[255] = 4;
	want[255] = 16;
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), 0);
	CHECK_EQ_INT(n, 256);
	CHECK_MEM(sec, want, 256);
	ike_dh_free(dh);
}

static void test_modp_bad_peer_refused(void)
{
	const struct suite *g = dh_group(IKEV2_DH_MODP_2048);
	BIGNUM *p = BN_get_rfc3526_prime_2048(NULL), *v = BN_new();
	uint8_t peer[257], sec[IKE_MAX_DH_SECRET];
	struct ike_dh *dh = NULL;
	size_t n;

	CHECK(p && v);
	CHECK_EQ_INT(ike_dh_new(g, &dh), 0);
	if (!p || !v || !dh)
		goto out;
	/* 0, 1, p-1, p, and all-ones (> p) are outside [2, p-2]. */
	memset(peer, 0, sizeof(peer));
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	peer[255] = 1;
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	CHECK(BN_copy(v, p) && BN_sub_word(v, 1));
	CHECK_EQ_INT(BN_bn2binpad(v, peer, 256), 256);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	CHECK_EQ_INT(BN_bn2binpad(p, peer, 256), 256);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	memset(peer, 0xff, 256);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	/* 2 is the low edge of [2, p-2] and is in the prime-order subgroup
	 * (p = 7 mod 8 makes 2 a square), so it is accepted. */
	memset(peer, 0, sizeof(peer));
	peer[255] = 2;
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), 0);
	/* p-2 = -2 is a non-square (p = 3 mod 4): inside the range but outside
	 * the subgroup, which OpenSSL's full public-key check refuses. */
	CHECK(BN_copy(v, p) && BN_sub_word(v, 2));
	CHECK_EQ_INT(BN_bn2binpad(v, peer, 256), 256);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 256, sec, sizeof(sec), &n), -EINVAL);
	/* Wrong lengths: one byte short, one byte long, empty. */
	memset(peer, 0, sizeof(peer));
	peer[254] = 4;
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 255, sec, sizeof(sec), &n), -EINVAL);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 257, sec, sizeof(sec), &n), -EINVAL);
	CHECK_EQ_INT(ike_dh_shared(dh, peer, 0, sec, sizeof(sec), &n), -EINVAL);
out:
	ike_dh_free(dh);
	BN_free(p);
	BN_free(v);
}

static void test_dh_bad_args(void)
{
	struct ike_dh *dh = (struct ike_dh *)1;
	uint8_t priv[32] = {1};
	CHECK_EQ_INT(ike_dh_new(NULL, &dh), -EINVAL);
	CHECK(dh == NULL);
	CHECK_EQ_INT(ike_dh_new(suite_by_name(SUITE_PRF, "sha256"), &dh), -EINVAL);
	/* Private values of the wrong length or out of range. */
	CHECK_EQ_INT(ike_dh_new_private(dh_group(IKEV2_DH_CURVE25519), priv, 31, &dh), -EINVAL);
	memset(priv, 0, sizeof(priv));
	CHECK_EQ_INT(ike_dh_new_private(dh_group(IKEV2_DH_ECP_256), priv, 32, &dh), -EINVAL);
	memset(priv, 0xff, sizeof(priv));
	CHECK_EQ_INT(ike_dh_new_private(dh_group(IKEV2_DH_ECP_256), priv, 32, &dh), -EINVAL);
	CHECK(dh == NULL);
	ike_dh_free(NULL);
	CHECK(ike_dh_group(NULL) == NULL);
}

/* ---- PRF ---- */

static void check_prf(const char *name, const uint8_t *key, size_t key_len, const char *data,
		      const char *want_hex)
{
	const struct suite *prf = prf_by(name);
	uint8_t out[IKE_MAX_PRF], want[IKE_MAX_PRF];
	size_t wlen = unhex(want_hex, want, sizeof(want));
	CHECK(prf != NULL);
	if (!prf)
		return;
	CHECK_EQ_INT(wlen, prf->out_len);
	CHECK_EQ_INT(ike_prf(prf, key, key_len, (const uint8_t *)data, strlen(data), out), 0);
	CHECK_MEM(out, want, wlen);
}

static void test_prf_rfc4231(void)
{
	uint8_t k1[20], k6[131];
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	/* RFC 4231 test case 1 (also RFC 4868 2.7.1 PRF-1). */
	check_prf("sha256", k1, 20, "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_prf("sha384", k1, 20, "Hi There",
		  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		  "faea9ea9076ede7f4af152e8b2fa9cb6");
	check_prf("sha512", k1, 20, "Hi There",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	/* Test case 2: a key shorter than the output. */
	check_prf("sha256", (const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_prf("sha384", (const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		  "8e2240ca5e69e2c78b3239ecfab21649");
	check_prf("sha512", (const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	/* Test case 6: a key longer than the hash block (hashed first). */
	check_prf("sha256", k6, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* RFC 2202 test case 1 for HMAC-SHA1. */
	check_prf("sha1", k1, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00");
}

static void test_integ_truncation_lengths(void)
{
	/* RFC 2404 / RFC 4868: key = full digest, ICV = half (SHA1: 96 bits). */
	static const struct {
		const char *name;
		uint16_t id;
		size_t key, icv;
	} rows[] = {
	    {"sha1", IKEV2_AUTH_HMAC_SHA1_96, 20, 12},
	    {"sha256", IKEV2_AUTH_HMAC_SHA2_256_128, 32, 16},
	    {"sha384", IKEV2_AUTH_HMAC_SHA2_384_192, 48, 24},
	    {"sha512", IKEV2_AUTH_HMAC_SHA2_512_256, 64, 32},
	};
	for (size_t k = 0; k < 4; k++) {
		const struct suite *s = suite_by_name(SUITE_INTEG, rows[k].name);
		CHECK(s != NULL);
		if (!s)
			continue;
		CHECK_EQ_INT(s->id, rows[k].id);
		CHECK_EQ_INT(s->key_len, rows[k].key);
		CHECK_EQ_INT(s->out_len, rows[k].key);
		CHECK_EQ_INT(s->icv_len, rows[k].icv);
		CHECK_EQ_INT(s->xfrm_trunc_bits, rows[k].icv * 8);
	}
}

static void test_prf_empty_key(void)
{
	/* HMAC zero-pads its key, so the empty key equals the key "\0". */
	const struct suite *prf = prf_by("sha256");
	uint8_t a[32], b[32], zero = 0;
	CHECK_EQ_INT(ike_prf(prf, NULL, 0, (const uint8_t *)"x", 1, a), 0);
	CHECK_EQ_INT(ike_prf(prf, &zero, 1, (const uint8_t *)"x", 1, b), 0);
	CHECK_MEM(a, b, 32);
	CHECK_EQ_INT(ike_prf(NULL, &zero, 1, (const uint8_t *)"x", 1, b), -EINVAL);
	CHECK_EQ_INT(
	    ike_prf(suite_by_name(SUITE_ENCR, "aes-cbc-128"), &zero, 1, (const uint8_t *)"x", 1, b),
	    -EINVAL);
}

/* prf+ against T1 = prf(K, S | 1), Tn = prf(K, Tn-1 | S | n) done here. */
static void check_prf_plus(const char *name, size_t out_len)
{
	const struct suite *prf = prf_by(name);
	uint8_t key[37], seed[50], got[4 * IKE_MAX_PRF], want[4 * IKE_MAX_PRF];
	uint8_t in[IKE_MAX_PRF + sizeof(seed) + 1], t[IKE_MAX_PRF];
	size_t done = 0, tlen = 0;

	for (size_t k = 0; k < sizeof(key); k++)
		key[k] = (uint8_t)(k * 7 + 1);
	for (size_t k = 0; k < sizeof(seed); k++)
		seed[k] = (uint8_t)(0xa0 ^ k);
	for (uint8_t n = 1; done < out_len; n++) {
		size_t inlen = 0, take;
		memcpy(in, t, tlen);
		inlen = tlen;
		memcpy(in + inlen, seed, sizeof(seed));
		inlen += sizeof(seed);
		in[inlen++] = n;
		CHECK_EQ_INT(ike_prf(prf, key, sizeof(key), in, inlen, t), 0);
		tlen = prf->out_len;
		take = out_len - done < tlen ? out_len - done : tlen;
		memcpy(want + done, t, take);
		done += take;
	}
	memset(got, 0x5a, sizeof(got));
	CHECK_EQ_INT(ike_prf_plus(prf, key, sizeof(key), seed, sizeof(seed), got, out_len), 0);
	CHECK_MEM(got, want, out_len);
	CHECK(got[out_len] == 0x5a); /* nothing written past out_len */
}

static void test_prf_plus(void)
{
	check_prf_plus("sha1", 3 * 20 - 5);
	check_prf_plus("sha256", 3 * 32 - 1);
	check_prf_plus("sha256", 32);
	check_prf_plus("sha384", 2 * 48 + 7);
	check_prf_plus("sha512", 3 * 64);
}

static void test_prf_plus_limit(void)
{
	const struct suite *prf = prf_by("sha1");
	size_t max = 255 * 20;
	uint8_t *out = malloc(max + 1);
	CHECK(out != NULL);
	if (!out)
		return;
	CHECK_EQ_INT(ike_prf_plus(prf, (const uint8_t *)"k", 1, (const uint8_t *)"s", 1, out, max),
		     0);
	CHECK_EQ_INT(
	    ike_prf_plus(prf, (const uint8_t *)"k", 1, (const uint8_t *)"s", 1, out, max + 1),
	    -EINVAL);
	free(out);
}

/* ---- key derivation ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(seed + k * 13);
}

/* Expected IKE SA keys from SKEYSEED of length sklen, composed here. */
static void expect_ike_keys(const struct suite *prf, const struct suite *encr,
			    const struct suite *integ, const uint8_t *skeyseed, size_t sklen,
			    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			    const uint8_t *spi_i, const uint8_t *spi_r, const struct ike_keys *got)
{
	uint8_t seed[600], km[1024];
	size_t slen = 0, off = 0;
	size_t p = prf->out_len, e = (size_t)encr->key_len + encr->salt_len;
	size_t a = integ ? integ->key_len : 0;

	memcpy(seed, ni, ni_len), slen += ni_len;
	memcpy(seed + slen, nr, nr_len), slen += nr_len;
	memcpy(seed + slen, spi_i, 8), slen += 8;
	memcpy(seed + slen, spi_r, 8), slen += 8;
	CHECK_EQ_INT(ike_prf_plus(prf, skeyseed, sklen, seed, slen, km, 3 * p + 2 * a + 2 * e), 0);
	CHECK_EQ_INT(got->prf_len, p);
	CHECK_EQ_INT(got->integ_len, a);
	CHECK_EQ_INT(got->encr_len, e);
	/* RFC 7296 2.14 order: SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr */
	CHECK_MEM(got->sk_d, km + off, p);
	off += p;
	CHECK_MEM(got->sk_ai, km + off, a);
	off += a;
	CHECK_MEM(got->sk_ar, km + off, a);
	off += a;
	CHECK_MEM(got->sk_ei, km + off, e);
	off += e;
	CHECK_MEM(got->sk_er, km + off, e);
	off += e;
	CHECK_MEM(got->sk_pi, km + off, p);
	off += p;
	CHECK_MEM(got->sk_pr, km + off, p);
}

struct combo {
	const char *prf, *encr, *integ;
};
static const struct combo combos[] = {
    {"sha256", "aes-cbc-256", "sha256"}, {"sha1", "aes-cbc-128", "sha1"},
    {"sha384", "aes-cbc-192", "sha384"}, {"sha512", "aes-gcm-256", NULL},
    {"sha256", "aes-gcm-128", NULL},	 {"sha512", "chacha20-poly1305", NULL},
    {"sha512", "aes-cbc-256", "sha512"},
};

static void test_derive_ike_keys(void)
{
	uint8_t ni[32], nr[48], gir[256], spi_i[8], spi_r[8], keyseed_key[80], skeyseed[64];
	fill(ni, sizeof(ni), 1);
	fill(nr, sizeof(nr), 2);
	fill(gir, sizeof(gir), 3);
	fill(spi_i, 8, 4);
	fill(spi_r, 8, 5);
	for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
		const struct suite *prf = prf_by(combos[k].prf);
		const struct suite *encr = suite_by_name(SUITE_ENCR, combos[k].encr);
		const struct suite *integ =
		    combos[k].integ ? suite_by_name(SUITE_INTEG, combos[k].integ) : NULL;
		struct ike_keys got;

		/* SKEYSEED = prf(Ni | Nr, g^ir) */
		memcpy(keyseed_key, ni, sizeof(ni));
		memcpy(keyseed_key + sizeof(ni), nr, sizeof(nr));
		CHECK_EQ_INT(
		    ike_prf(prf, keyseed_key, sizeof(ni) + sizeof(nr), gir, sizeof(gir), skeyseed),
		    0);
		memset(&got, 0xcc, sizeof(got));
		CHECK_EQ_INT(ike_derive_keys(prf, encr, integ, ni, sizeof(ni), nr, sizeof(nr), gir,
					     sizeof(gir), spi_i, spi_r, &got),
			     0);
		expect_ike_keys(prf, encr, integ, skeyseed, prf->out_len, ni, sizeof(ni), nr,
				sizeof(nr), spi_i, spi_r, &got);
	}
}

static void test_derive_bad_suites(void)
{
	uint8_t ni[16] = {1}, nr[16] = {2}, gir[32] = {3}, spi[8] = {4};
	struct ike_keys k;
	const struct suite *prf = prf_by("sha256");
	const struct suite *gcm = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	const struct suite *cbc = suite_by_name(SUITE_ENCR, "aes-cbc-256");
	const struct suite *sha = suite_by_name(SUITE_INTEG, "sha256");
	/* RFC 5282: AEAD with an INTEG transform, CBC without one. */
	CHECK_EQ_INT(ike_derive_keys(prf, gcm, sha, ni, 16, nr, 16, gir, 32, spi, spi, &k),
		     -EINVAL);
	CHECK_EQ_INT(ike_derive_keys(prf, cbc, NULL, ni, 16, nr, 16, gir, 32, spi, spi, &k),
		     -EINVAL);
	CHECK_EQ_INT(ike_derive_keys(sha, cbc, sha, ni, 16, nr, 16, gir, 32, spi, spi, &k),
		     -EINVAL);
	CHECK_EQ_INT(ike_derive_keys(prf, cbc, sha, ni, 0, nr, 16, gir, 32, spi, spi, &k), -EINVAL);
}

static void test_derive_rekey_keys(void)
{
	uint8_t ni[32], nr[32], gir[97], spi_i[8], spi_r[8], old_sk_d[64], in[200], skeyseed[64];
	fill(ni, sizeof(ni), 11);
	fill(nr, sizeof(nr), 12);
	fill(gir, sizeof(gir), 13);
	fill(spi_i, 8, 14);
	fill(spi_r, 8, 15);
	fill(old_sk_d, sizeof(old_sk_d), 16);
	/* Old PRF sha256 -> new sha512 and the reverse: SKEYSEED is the old
	 * PRF's length and keys the new PRF's prf+. */
	static const char *pairs[][2] = {
	    {"sha256", "sha512"}, {"sha512", "sha1"}, {"sha384", "sha384"}};
	for (size_t k = 0; k < 3; k++) {
		const struct suite *old_prf = prf_by(pairs[k][0]), *prf = prf_by(pairs[k][1]);
		const struct suite *encr = suite_by_name(SUITE_ENCR, "aes-cbc-256");
		const struct suite *integ = suite_by_name(SUITE_INTEG, "sha256");
		struct ike_keys got;
		size_t n = 0;

		/* SKEYSEED = prf_old(SK_d old, g^ir | Ni | Nr) */
		memcpy(in, gir, sizeof(gir)), n += sizeof(gir);
		memcpy(in + n, ni, sizeof(ni)), n += sizeof(ni);
		memcpy(in + n, nr, sizeof(nr)), n += sizeof(nr);
		CHECK_EQ_INT(ike_prf(old_prf, old_sk_d, old_prf->out_len, in, n, skeyseed), 0);
		CHECK_EQ_INT(ike_derive_rekey_keys(old_prf, old_sk_d, prf, encr, integ, ni,
						   sizeof(ni), nr, sizeof(nr), gir, sizeof(gir),
						   spi_i, spi_r, &got),
			     0);
		expect_ike_keys(prf, encr, integ, skeyseed, old_prf->out_len, ni, sizeof(ni), nr,
				sizeof(nr), spi_i, spi_r, &got);
	}
}

static void test_derive_child_keys(void)
{
	uint8_t sk_d[64], ni[32], nr[32], gir[32], seed[200], km[512];
	fill(sk_d, sizeof(sk_d), 21);
	fill(ni, sizeof(ni), 22);
	fill(nr, sizeof(nr), 23);
	fill(gir, sizeof(gir), 24);
	for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
		for (int pfs = 0; pfs < 2; pfs++) {
			const struct suite *prf = prf_by(combos[k].prf);
			const struct suite *encr = suite_by_name(SUITE_ENCR, combos[k].encr);
			const struct suite *integ =
			    combos[k].integ ? suite_by_name(SUITE_INTEG, combos[k].integ) : NULL;
			size_t e = (size_t)encr->key_len + encr->salt_len;
			size_t a = integ ? integ->key_len : 0, slen = 0, off = 0;
			struct ike_child_keys got;

			/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) */
			if (pfs)
				memcpy(seed, gir, sizeof(gir)), slen += sizeof(gir);
			memcpy(seed + slen, ni, sizeof(ni)), slen += sizeof(ni);
			memcpy(seed + slen, nr, sizeof(nr)), slen += sizeof(nr);
			CHECK_EQ_INT(
			    ike_prf_plus(prf, sk_d, prf->out_len, seed, slen, km, 2 * e + 2 * a),
			    0);
			CHECK_EQ_INT(ike_derive_child_keys(prf, sk_d, pfs ? gir : NULL,
							   pfs ? sizeof(gir) : 0, ni, sizeof(ni),
							   nr, sizeof(nr), encr, integ, &got),
				     0);
			CHECK_EQ_INT(got.encr_len, e);
			CHECK_EQ_INT(got.integ_len, a);
			/* Order: encr_i, integ_i, encr_r, integ_r */
			CHECK_MEM(got.encr_i, km + off, e);
			off += e;
			CHECK_MEM(got.integ_i, km + off, a);
			off += a;
			CHECK_MEM(got.encr_r, km + off, e);
			off += e;
			CHECK_MEM(got.integ_r, km + off, a);
		}
	}
}

/* ---- AUTH ---- */

static void test_psk_auth(void)
{
	static const char psk[] = "vtid lab secret";
	uint8_t msg[300], nonce[32], sk_p[64], id[12], inner[64], macced[64], want[64], got[64];
	uint8_t signed_octets[300 + 32 + 64];
	const char *names[] = {"sha1", "sha256", "sha384", "sha512"};

	fill(msg, sizeof(msg), 31);
	fill(nonce, sizeof(nonce), 32);
	fill(sk_p, sizeof(sk_p), 33);
	/* ID_IPV4_ADDR 192.0.2.1: type, 3 reserved, address */
	memcpy(id, "\x01\x00\x00\x00\xc0\x00\x02\x01", 8);
	for (size_t k = 0; k < 4; k++) {
		const struct suite *prf = prf_by(names[k]);
		size_t p = prf->out_len, n = 0;
		CHECK_EQ_INT(ike_prf(prf, (const uint8_t *)psk, strlen(psk),
				     (const uint8_t *)"Key Pad for IKEv2", 17, inner),
			     0);
		CHECK_EQ_INT(ike_prf(prf, sk_p, p, id, 8, macced), 0);
		memcpy(signed_octets, msg, sizeof(msg)), n += sizeof(msg);
		memcpy(signed_octets + n, nonce, sizeof(nonce)), n += sizeof(nonce);
		memcpy(signed_octets + n, macced, p), n += p;
		CHECK_EQ_INT(ike_prf(prf, inner, p, signed_octets, n, want), 0);
		CHECK_EQ_INT(ike_psk_auth(prf, (const uint8_t *)psk, strlen(psk), msg, sizeof(msg),
					  nonce, sizeof(nonce), sk_p, id, 8, got),
			     0);
		CHECK_MEM(got, want, p);
		/* A different PSK gives a different AUTH. */
		CHECK_EQ_INT(ike_psk_auth(prf, (const uint8_t *)"other", 5, msg, sizeof(msg), nonce,
					  sizeof(nonce), sk_p, id, 8, got),
			     0);
		CHECK(memcmp(got, want, p) != 0);
	}
	CHECK_EQ_INT(ike_psk_auth(prf_by("sha256"), (const uint8_t *)psk, 0, msg, sizeof(msg),
				  nonce, sizeof(nonce), sk_p, id, 8, got),
		     -EINVAL);
}

static void test_memeq_random(void)
{
	uint8_t a[32] = {0}, b[32] = {0}, r1[32], r2[32];
	CHECK_EQ_INT(ike_memeq_ct(a, b, 32), 0);
	b[31] = 1;
	CHECK(ike_memeq_ct(a, b, 32) != 0);
	CHECK_EQ_INT(ike_random(r1, 32), 0);
	CHECK_EQ_INT(ike_random(r2, 32), 0);
	CHECK(memcmp(r1, r2, 32) != 0);
}

int main(void)
{
	RUN(test_ecp_rfc5903);
	RUN(test_x25519_rfc7748);
	RUN(test_x25519_low_order_refused);
	RUN(test_ecp_invalid_points_refused);
	RUN(test_modp_round_trip);
	RUN(test_modp_small_values_padded);
	RUN(test_modp_bad_peer_refused);
	RUN(test_dh_bad_args);
	RUN(test_prf_rfc4231);
	RUN(test_integ_truncation_lengths);
	RUN(test_prf_empty_key);
	RUN(test_prf_plus);
	RUN(test_prf_plus_limit);
	RUN(test_derive_ike_keys);
	RUN(test_derive_bad_suites);
	RUN(test_derive_rekey_keys);
	RUN(test_derive_child_keys);
	RUN(test_psk_auth);
	RUN(test_memeq_random);
	return tcheck_done();
}
