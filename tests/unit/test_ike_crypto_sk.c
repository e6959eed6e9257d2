/* test_ike_crypto_sk.c: the Encrypted (SK) payload of ike/crypto.h.
 *
 * Known answers: the GCM specification's test cases 4 (AES-128) and 16
 * (AES-256) and RFC 8439 2.8.2 (ChaCha20-Poly1305) laid out as an IKE
 * message [aad][IV][ciphertext][tag] with key | salt as SK_e; an AES-CBC +
 * HMAC message built here with EVP directly.  Then seal -> open round trips
 * for every ENCR/INTEG pair, a flipped bit anywhere, bad padding, wrong keys
 * and every truncation (each in an exact-size heap buffer so ASan sees any
 * read past the end). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ike/crypto.h"
#include "lib/suite.h"
#include "tests/unit/tcheck.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	return tcheck_unhex(hex, out, cap);
}

/* GCM spec test case 4/16 material (K, IV = salt | 8-byte IV, P, A, C, T). */
static const char gcm_iv[] = "cafebabefacedbaddecaf888";
static const char gcm_p[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char gcm_a[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

/* Opens [aad][iv][ct][tag] with key | salt and checks the plaintext. */
static void check_aead_vector(const char *encr_name, const char *key_hex, const char *nonce_hex,
			      const char *aad_hex, const char *pt_hex, const char *ct_hex,
			      const char *tag_hex)
{
	const struct suite *encr = suite_by_name(SUITE_ENCR, encr_name);
	uint8_t key[IKE_MAX_KEY], nonce[12], pt[256], msg[512];
	size_t klen = unhex(key_hex, key, sizeof(key)), nlen = unhex(nonce_hex, nonce, 12);
	size_t alen = unhex(aad_hex, msg, sizeof(msg)), ptlen = unhex(pt_hex, pt, sizeof(pt));
	size_t ctlen, tlen, off = 0, len = 0, total;
	uint8_t *buf;

	CHECK(encr != NULL);
	if (!encr)
		return;
	CHECK_EQ_INT(klen, encr->key_len);
	CHECK_EQ_INT(nlen, 12);
	/* SK_e = key | salt (the nonce's first 4 bytes), IV = the other 8. */
	memcpy(key + klen, nonce, 4);
	memcpy(msg + alen, nonce + 4, 8);
	ctlen = unhex(ct_hex, msg + alen + 8, sizeof(msg) - alen - 8);
	tlen = unhex(tag_hex, msg + alen + 8 + ctlen, sizeof(msg) - alen - 8 - ctlen);
	CHECK_EQ_INT(ctlen, ptlen);
	CHECK_EQ_INT(tlen, 16);
	total = alen + 8 + ctlen + tlen;
	buf = malloc(total);
	CHECK(buf != NULL);
	if (!buf)
		return;
	memcpy(buf, msg, total);
	CHECK_EQ_INT(ike_sk_open(encr, NULL, key, NULL, buf, total, alen, &off, &len), 0);
	CHECK_EQ_INT(off, alen + 8);
	/* The vector's last plaintext byte doubles as the pad length. */
	CHECK_EQ_INT(len, ptlen - pt[ptlen - 1] - 1);
	CHECK_MEM(buf + alen + 8, pt, ptlen);
	/* The same message with one AAD bit changed is refused. */
	memcpy(buf, msg, total);
	buf[0] ^= 0x80;
	CHECK_EQ_INT(ike_sk_open(encr, NULL, key, NULL, buf, total, alen, &off, &len), -EBADMSG);
	free(buf);
}

static void test_gcm_vectors(void)
{
	check_aead_vector("aes-gcm-128", "feffe9928665731c6d6a8f9467308308", gcm_iv, gcm_a, gcm_p,
			  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
			  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
			  "5bc94fbc3221a5db94fae95ae7121a47");
	check_aead_vector("aes-gcm-256",
			  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
			  gcm_iv, gcm_a, gcm_p,
			  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
			  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
			  "76fc6ece0f4e1768cddf8853bb2d551b");
}

static void test_chacha20_poly1305_rfc8439(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	char pt_hex[2 * sizeof(pt) + 1];
	for (size_t k = 0; k + 1 < sizeof(pt); k++)
		snprintf(pt_hex + 2 * k, 3, "%02x", (unsigned char)pt[k]);
	check_aead_vector("chacha20-poly1305",
			  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
			  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", pt_hex,
			  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
			  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
			  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
			  "3ff4def08e4b7a9de576d26586cec64b6116",
			  "1ae10b594f09e26a7e902ecbd0600691");
}

/* AES-CBC + HMAC built here with EVP: [aad][IV][CBC(P | pad | padlen)][ICV]. */
static size_t build_cbc(const struct suite *encr, const struct suite *integ, const uint8_t *ekey,
			const uint8_t *akey, const uint8_t *plain, size_t plen, uint8_t padlen_byte,
			uint8_t *out, size_t aad_len)
{
	size_t padded = (plen + 1 + 15) / 16 * 16, n;
	uint8_t full[64];
	unsigned int flen = 0;
	int outl = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, encr->ossl, NULL);
	uint8_t *iv = out + aad_len, *ct = iv + 16;

	for (size_t k = 0; k < aad_len; k++)
		out[k] = (uint8_t)(0x30 + k);
	for (size_t k = 0; k < 16; k++)
		iv[k] = (uint8_t)(0xc0 + k);
	memcpy(ct, plain, plen);
	memset(ct + plen, 0x77, padded - plen - 1);
	ct[padded - 1] = padlen_byte;
	CHECK(ctx && c);
	CHECK(EVP_EncryptInit_ex2(ctx, c, ekey, iv, NULL));
	CHECK(EVP_CIPHER_CTX_set_padding(ctx, 0));
	CHECK(EVP_EncryptUpdate(ctx, ct, &outl, ct, (int)padded));
	CHECK_EQ_INT(outl, padded);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	n = aad_len + 16 + padded;
	CHECK(HMAC(EVP_get_digestbyname(integ->ossl), akey, (int)integ->key_len, out, n, full,
		   &flen) != NULL);
	CHECK_EQ_INT(flen, integ->out_len);
	memcpy(out + n, full, integ->icv_len);
	return n + integ->icv_len;
}

static void test_cbc_crafted(void)
{
	static const char *integs[] = {"sha1", "sha256", "sha384", "sha512"};
	static const char *encrs[] = {"aes-cbc-128", "aes-cbc-192", "aes-cbc-256"};
	uint8_t ekey[32], akey[64], plain[40], msg[256];
	for (size_t k = 0; k < sizeof(ekey); k++)
		ekey[k] = (uint8_t)(k + 1);
	for (size_t k = 0; k < sizeof(akey); k++)
		akey[k] = (uint8_t)(0x80 + k);
	for (size_t k = 0; k < sizeof(plain); k++)
		plain[k] = (uint8_t)(k * 3);
	for (size_t e = 0; e < 3; e++) {
		for (size_t i = 0; i < 4; i++) {
			const struct suite *encr = suite_by_name(SUITE_ENCR, encrs[e]);
			const struct suite *integ = suite_by_name(SUITE_INTEG, integs[i]);
			size_t off = 0, len = 0;
			/* 40 bytes -> 48 padded: pad length 7 */
			size_t n = build_cbc(encr, integ, ekey, akey, plain, 40, 7, msg, 32);
			CHECK_EQ_INT(n, ike_sk_sealed_len(encr, integ, 40) + 32);
			CHECK_EQ_INT(ike_sk_open(encr, integ, ekey, akey, msg, n, 32, &off, &len),
				     0);
			CHECK_EQ_INT(off, 32 + 16);
			CHECK_EQ_INT(len, 40);
			CHECK_MEM(msg + off, plain, 40);
			/* A valid ICV over a pad length that runs past the
			 * ciphertext (47 + 1 > 48 is fine, 48 + 1 is not). */
			n = build_cbc(encr, integ, ekey, akey, plain, 40, 48, msg, 32);
			CHECK_EQ_INT(ike_sk_open(encr, integ, ekey, akey, msg, n, 32, &off, &len),
				     -EBADMSG);
			n = build_cbc(encr, integ, ekey, akey, plain, 40, 255, msg, 32);
			CHECK_EQ_INT(ike_sk_open(encr, integ, ekey, akey, msg, n, 32, &off, &len),
				     -EBADMSG);
			/* Receivers accept any pad length that fits: 47. */
			n = build_cbc(encr, integ, ekey, akey, plain, 40, 47, msg, 32);
			CHECK_EQ_INT(ike_sk_open(encr, integ, ekey, akey, msg, n, 32, &off, &len),
				     0);
			CHECK_EQ_INT(len, 0);
		}
	}
}

/* Every ENCR row, with every INTEG row for non-AEAD ones. */
struct pair {
	const struct suite *encr, *integ;
};

static size_t all_pairs(struct pair *out, size_t cap)
{
	size_t n = 0;
	const struct suite *e, *i;
	for (size_t k = 0; (e = suite_at(SUITE_ENCR, k)) != NULL; k++) {
		if (e->aead) {
			if (n < cap)
				out[n++] = (struct pair){e, NULL};
			continue;
		}
		for (size_t j = 0; (i = suite_at(SUITE_INTEG, j)) != NULL; j++)
			if (n < cap)
				out[n++] = (struct pair){e, i};
	}
	return n;
}

static void keys_for(uint8_t *ekey, uint8_t *akey, uint8_t seed)
{
	for (size_t k = 0; k < IKE_MAX_KEY; k++) {
		ekey[k] = (uint8_t)(seed + 3 * k);
		akey[k] = (uint8_t)(seed ^ (5 * k));
	}
}

/* Seals plain_len bytes after a 32-byte header; returns a heap buffer of
 * exactly the sealed size (caller frees) or NULL. */
static uint8_t *seal_one(const struct pair *p, const uint8_t *ekey, const uint8_t *akey,
			 size_t plain_len, size_t *total)
{
	size_t aad = 32, sealed = ike_sk_sealed_len(p->encr, p->integ, plain_len);
	uint8_t *buf;
	CHECK(sealed > 0);
	buf = malloc(aad + sealed);
	if (!buf)
		return NULL;
	for (size_t k = 0; k < aad; k++)
		buf[k] = (uint8_t)k;
	for (size_t k = 0; k < plain_len; k++)
		buf[aad + p->encr->iv_len + k] = (uint8_t)(0x41 + k % 26);
	CHECK_EQ_INT(
	    ike_sk_seal(p->encr, p->integ, ekey, akey, buf, aad + sealed, aad, plain_len, total),
	    0);
	CHECK_EQ_INT(*total, aad + sealed);
	return buf;
}

static void test_round_trips(void)
{
	static const size_t lens[] = {0, 1, 3, 4, 15, 16, 17, 31, 100, 1000};
	struct pair pairs[32];
	size_t np = all_pairs(pairs, 32);
	uint8_t ekey[IKE_MAX_KEY], akey[IKE_MAX_KEY];

	CHECK_EQ_INT(np, 3 * 4 + 3); /* 3 CBC x 4 INTEG + 2 GCM + ChaCha20 */
	keys_for(ekey, akey, 9);
	for (size_t k = 0; k < np; k++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			const struct pair *p = &pairs[k];
			size_t total = 0, off = 0, len = 0, plen = lens[l];
			size_t icv = p->encr->aead ? p->encr->icv_len : p->integ->icv_len;
			size_t ctlen;
			uint8_t *buf = seal_one(p, ekey, akey, plen, &total);
			if (!buf)
				continue;
			ctlen = total - 32 - p->encr->iv_len - icv;
			CHECK(ctlen % p->encr->block_len == 0);
			CHECK(ctlen >= plen + 1);
			CHECK(ctlen < plen + 1 + p->encr->block_len);
			/* The plaintext is not left in the clear. */
			if (plen >= 16) {
				uint8_t clear[16];
				for (size_t j = 0; j < 16; j++)
					clear[j] = (uint8_t)(0x41 + j % 26);
				CHECK(memcmp(buf + 32 + p->encr->iv_len, clear, 16) != 0);
			}
			CHECK_EQ_INT(
			    ike_sk_open(p->encr, p->integ, ekey, akey, buf, total, 32, &off, &len),
			    0);
			CHECK_EQ_INT(off, 32 + p->encr->iv_len);
			CHECK_EQ_INT(len, plen);
			for (size_t j = 0; j < plen && j < len; j++)
				if (buf[off + j] != (uint8_t)(0x41 + j % 26)) {
					CHECK(!"plaintext differs after open");
					break;
				}
			free(buf);
		}
	}
}

static void test_fresh_iv(void)
{
	struct pair pairs[32];
	size_t np = all_pairs(pairs, 32);
	uint8_t ekey[IKE_MAX_KEY], akey[IKE_MAX_KEY];
	keys_for(ekey, akey, 1);
	for (size_t k = 0; k < np; k++) {
		size_t t1 = 0, t2 = 0;
		uint8_t *a = seal_one(&pairs[k], ekey, akey, 20, &t1);
		uint8_t *b = seal_one(&pairs[k], ekey, akey, 20, &t2);
		if (a && b) {
			CHECK_EQ_INT(t1, t2);
			CHECK(memcmp(a + 32, b + 32, pairs[k].encr->iv_len) != 0);
			CHECK(memcmp(a + 32, b + 32, t1 - 32) != 0);
		}
		free(a);
		free(b);
	}
}

static void test_flipped_bit_anywhere(void)
{
	struct pair pairs[32];
	size_t np = all_pairs(pairs, 32);
	uint8_t ekey[IKE_MAX_KEY], akey[IKE_MAX_KEY];
	keys_for(ekey, akey, 2);
	for (size_t k = 0; k < np; k++) {
		size_t total = 0, off, len;
		uint8_t *orig = seal_one(&pairs[k], ekey, akey, 37, &total);
		uint8_t *buf = orig ? malloc(total) : NULL;
		int bad = 0;
		if (!orig || !buf) {
			free(orig);
			continue;
		}
		/* Header (AAD), IV, ciphertext, padding, ICV: every byte. */
		for (size_t pos = 0; pos < total; pos++) {
			memcpy(buf, orig, total);
			buf[pos] ^= (uint8_t)(1u << (pos % 8));
			if (ike_sk_open(pairs[k].encr, pairs[k].integ, ekey, akey, buf, total, 32,
					&off, &len) != -EBADMSG)
				bad++;
		}
		CHECK_EQ_INT(bad, 0);
		/* Unmodified still opens (the loop did not pass by accident). */
		memcpy(buf, orig, total);
		CHECK_EQ_INT(ike_sk_open(pairs[k].encr, pairs[k].integ, ekey, akey, buf, total, 32,
					 &off, &len),
			     0);
		free(buf);
		free(orig);
	}
}

static void test_wrong_keys(void)
{
	struct pair pairs[32];
	size_t np = all_pairs(pairs, 32);
	uint8_t ekey[IKE_MAX_KEY], akey[IKE_MAX_KEY];
	keys_for(ekey, akey, 3);
	for (size_t k = 0; k < np; k++) {
		size_t total = 0, off, len;
		uint8_t *buf = seal_one(&pairs[k], ekey, akey, 50, &total);
		if (!buf)
			continue;
		/* AEAD: the salt is part of the key; CBC: the HMAC key. */
		size_t flip = pairs[k].encr->aead ? pairs[k].encr->key_len : 0;
		uint8_t *key = pairs[k].encr->aead ? ekey : akey;
		key[flip] ^= 1;
		CHECK_EQ_INT(ike_sk_open(pairs[k].encr, pairs[k].integ, ekey, akey, buf, total, 32,
					 &off, &len),
			     -EBADMSG);
		key[flip] ^= 1;
		free(buf);
	}
}

static void test_truncated(void)
{
	struct pair pairs[32];
	size_t np = all_pairs(pairs, 32);
	uint8_t ekey[IKE_MAX_KEY], akey[IKE_MAX_KEY];
	keys_for(ekey, akey, 4);
	for (size_t k = 0; k < np; k++) {
		size_t total = 0, off, len;
		uint8_t *orig = seal_one(&pairs[k], ekey, akey, 21, &total);
		int bad = 0;
		if (!orig)
			continue;
		for (size_t cut = 0; cut < total; cut++) {
			/* Exact-size copy: ASan flags any read past cut. */
			uint8_t *buf = malloc(cut ? cut : 1);
			int rc;
			if (!buf)
				continue;
			memcpy(buf, orig, cut);
			rc = ike_sk_open(pairs[k].encr, pairs[k].integ, ekey, akey, buf, cut, 32,
					 &off, &len);
			if (rc != -EBADMSG && rc != -EINVAL)
				bad++;
			free(buf);
		}
		CHECK_EQ_INT(bad, 0);
		free(orig);
	}
}

static void test_seal_bad_args(void)
{
	const struct suite *cbc = suite_by_name(SUITE_ENCR, "aes-cbc-256");
	const struct suite *gcm = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	const struct suite *sha = suite_by_name(SUITE_INTEG, "sha256");
	uint8_t key[IKE_MAX_KEY] = {0}, buf[256] = {0};
	size_t sealed = ike_sk_sealed_len(cbc, sha, 40), n = 0, off, len;

	/* 16 IV + 48 (40 + pad + padlen) + 16 ICV */
	CHECK_EQ_INT(sealed, 16 + 48 + 16);
	CHECK_EQ_INT(ike_sk_sealed_len(gcm, NULL, 40), 8 + 44 + 16);
	CHECK_EQ_INT(ike_sk_sealed_len(gcm, sha, 40), 0);
	CHECK_EQ_INT(ike_sk_sealed_len(cbc, NULL, 40), 0);
	CHECK_EQ_INT(ike_sk_seal(cbc, sha, key, key, buf, 32 + sealed - 1, 32, 40, &n), -ENOSPC);
	CHECK_EQ_INT(ike_sk_seal(cbc, sha, key, key, buf, 16, 32, 40, &n), -ENOSPC);
	CHECK_EQ_INT(ike_sk_seal(cbc, NULL, key, key, buf, sizeof(buf), 32, 40, &n), -EINVAL);
	CHECK_EQ_INT(ike_sk_seal(gcm, sha, key, key, buf, sizeof(buf), 32, 40, &n), -EINVAL);
	CHECK_EQ_INT(ike_sk_seal(cbc, sha, key, key, buf, 32 + sealed, 32, 40, &n), 0);
	CHECK_EQ_INT(n, 32 + sealed);
	/* CBC ciphertext that is not a whole number of blocks. */
	CHECK_EQ_INT(ike_sk_open(cbc, sha, key, key, buf, n - 1, 32, &off, &len), -EBADMSG);
	/* aad_len beyond the message. */
	CHECK_EQ_INT(ike_sk_open(cbc, sha, key, key, buf, n, n + 1, &off, &len), -EBADMSG);
	CHECK_EQ_INT(ike_sk_open(cbc, sha, key, key, buf, n, 32, &off, &len), 0);
	CHECK_EQ_INT(len, 40);
}

int main(void)
{
	RUN(test_gcm_vectors);
	RUN(test_chacha20_poly1305_rfc8439);
	RUN(test_cbc_crafted);
	RUN(test_round_trips);
	RUN(test_fresh_iv);
	RUN(test_flipped_bit_anywhere);
	RUN(test_wrong_keys);
	RUN(test_truncated);
	RUN(test_seal_bad_args);
	return tcheck_done();
}
