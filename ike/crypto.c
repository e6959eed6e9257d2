/* crypto.c: IKEv2 PRF, prf+, key derivation, the SK payload and PSK AUTH
 * over OpenSSL 3 EVP (see crypto.h; Diffie-Hellman is in crypto_dh.c).
 *
 * PRF = HMAC through EVP_MAC "HMAC".  Every input that is the concatenation
 * of several fields (prf+ blocks, Ni | Nr | SPIi | SPIr, the AUTH octets) is
 * fed to the MAC piece by piece from a small vector, so nothing secret is
 * copied into a scratch buffer and no length limit is imposed on nonces.
 *
 * SK payload (RFC 7296 3.14): [aad][IV][ciphertext][ICV] where the
 * ciphertext is plaintext | padding | pad length.  CBC: random 16-byte IV,
 * HMAC over everything before the ICV, verified in constant time BEFORE
 * anything is decrypted.  AEAD (RFC 5282 AES-GCM, RFC 7634 ChaCha20-Poly1305):
 * key | 4-byte salt from SK_e, nonce = salt | 8-byte random IV, AAD = the
 * aad_len header bytes, 16-byte tag; a failed tag wipes what was decrypted.
 * Scratch copies of secrets are cleansed on the one way out of each
 * function. */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ike/crypto.h"

struct prf_part {
	const uint8_t *p;
	size_t len;
};

/* prf(key, part0 | part1 | ...) -> out (prf->out_len bytes). */
static int prf_parts(const struct suite *prf, const uint8_t *key, size_t key_len,
		     const struct prf_part *parts, size_t nparts, uint8_t *out)
{
	static const uint8_t zero_key = 0;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t n = 0;
	int rc = -EIO;

	if (!prf || (prf->type != SUITE_PRF && prf->type != SUITE_INTEG) || !prf->ossl || !out ||
	    (!key && key_len))
		return -EINVAL;
	/* HMAC pads the key with zeros to the block size, so an empty key and
	 * a single zero byte are the same key; OpenSSL refuses an empty one. */
	if (key_len == 0) {
		key = &zero_key;
		key_len = 1;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)prf->ossl, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len && !parts[i].p) {
			rc = -EINVAL;
			goto out;
		}
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].p, parts[i].len))
			goto out;
	}
	if (!EVP_MAC_final(ctx, out, &n, prf->out_len) || n != prf->out_len)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx); /* frees (and clears) the keyed state */
	EVP_MAC_free(mac);
	return rc;
}

int ike_prf(const struct suite *prf, const uint8_t *key, size_t key_len, const uint8_t *data,
	    size_t data_len, uint8_t *out)
{
	struct prf_part part = {data, data_len};
	return prf_parts(prf, key, key_len, &part, 1, out);
}

/* prf+ (RFC 7296 2.13) over a seed given as parts:
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). */
enum { PRF_MAX_SEED_PARTS = 6 };
static int prf_plus_parts(const struct suite *prf, const uint8_t *key, size_t key_len,
			  const struct prf_part *seed, size_t nseed, uint8_t *out, size_t out_len)
{
	struct prf_part parts[PRF_MAX_SEED_PARTS + 2];
	uint8_t t[IKE_MAX_PRF];
	uint8_t counter = 0;
	size_t done = 0;
	int rc = 0;

	if (!prf || prf->type != SUITE_PRF || !out || nseed > PRF_MAX_SEED_PARTS ||
	    prf->out_len == 0 || prf->out_len > IKE_MAX_PRF)
		return -EINVAL;
	if (out_len > 255u * prf->out_len)
		return -EINVAL;
	while (done < out_len) {
		size_t np = 0, take;
		counter++;
		if (counter > 1)
			parts[np++] = (struct prf_part){t, prf->out_len};
		for (size_t i = 0; i < nseed; i++)
			parts[np++] = seed[i];
		parts[np++] = (struct prf_part){&counter, 1};
		rc = prf_parts(prf, key, key_len, parts, np, t);
		if (rc)
			goto out;
		take = out_len - done < prf->out_len ? out_len - done : prf->out_len;
		memcpy(out + done, t, take);
		done += take;
	}
out:
	OPENSSL_cleanse(t, sizeof(t));
	if (rc)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

int ike_prf_plus(const struct suite *prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len)
{
	struct prf_part part = {seed, seed_len};
	if (seed_len && !seed)
		return -EINVAL;
	return prf_plus_parts(prf, key, key_len, &part, 1, out, out_len);
}

/* ---- key derivation ---- */

/* Checks the ENCR/INTEG pair and returns the per-direction key lengths. */
static int key_lengths(const struct suite *encr, const struct suite *integ, size_t *encr_len,
		       size_t *integ_len)
{
	if (!encr || encr->type != SUITE_ENCR)
		return -EINVAL;
	if (encr->aead) {
		/* RFC 5282 8: an AEAD cipher is negotiated with no INTEG. */
		if (integ)
			return -EINVAL;
		*integ_len = 0;
	} else {
		if (!integ || integ->type != SUITE_INTEG)
			return -EINVAL;
		*integ_len = integ->key_len;
	}
	*encr_len = (size_t)encr->key_len + encr->salt_len;
	if (*encr_len > IKE_MAX_KEY || *integ_len > IKE_MAX_KEY)
		return -EINVAL;
	return 0;
}

/* Copies the next n bytes of KEYMAT to dst. */
static void keymat_take(uint8_t *dst, const uint8_t *keymat, size_t *off, size_t n)
{
	memcpy(dst, keymat + *off, n);
	*off += n;
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED,
 * Ni | Nr | SPIi | SPIr), split into out in that order. */
static int split_ike_keys(const struct suite *prf, const struct suite *encr,
			  const struct suite *integ, const uint8_t *skeyseed, size_t skeyseed_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			  const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *out)
{
	uint8_t keymat[3 * IKE_MAX_PRF + 4 * IKE_MAX_KEY];
	struct prf_part seed[4] = {{ni, ni_len}, {nr, nr_len}, {spi_i, 8}, {spi_r, 8}};
	size_t encr_len, integ_len, total, off = 0;
	int rc;

	rc = key_lengths(encr, integ, &encr_len, &integ_len);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->prf_len = prf->out_len;
	out->integ_len = integ_len;
	out->encr_len = encr_len;
	total = 3 * out->prf_len + 2 * integ_len + 2 * encr_len;
	rc = prf_plus_parts(prf, skeyseed, skeyseed_len, seed, 4, keymat, total);
	if (rc)
		goto out;
	keymat_take(out->sk_d, keymat, &off, out->prf_len);
	keymat_take(out->sk_ai, keymat, &off, integ_len);
	keymat_take(out->sk_ar, keymat, &off, integ_len);
	keymat_take(out->sk_ei, keymat, &off, encr_len);
	keymat_take(out->sk_er, keymat, &off, encr_len);
	keymat_take(out->sk_pi, keymat, &off, out->prf_len);
	keymat_take(out->sk_pr, keymat, &off, out->prf_len);
out:
	OPENSSL_cleanse(keymat, sizeof(keymat));
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

static int check_prf(const struct suite *prf)
{
	if (!prf || prf->type != SUITE_PRF || !prf->out_len || prf->out_len > IKE_MAX_PRF)
		return -EINVAL;
	return 0;
}

int ike_derive_keys(const struct suite *prf, const struct suite *encr, const struct suite *integ,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    const uint8_t *gir, size_t gir_len, const uint8_t spi_i[8],
		    const uint8_t spi_r[8], struct ike_keys *out)
{
	uint8_t skeyseed[IKE_MAX_PRF];
	uint8_t nonces[2 * 256];
	struct prf_part gir_part = {gir, gir_len};
	int rc;

	if (!out || check_prf(prf) || !ni || !nr || !ni_len || !nr_len || !gir || !gir_len ||
	    !spi_i || !spi_r)
		return -EINVAL;
	if (ni_len > 256 || nr_len > 256)
		return -EINVAL; /* RFC 7296 3.9: nonces are 16..256 bytes */
	/* SKEYSEED = prf(Ni | Nr, g^ir).  All vtid PRFs are HMAC, which takes
	 * the whole Ni | Nr as its key (RFC 7296 2.14); HMAC wants the key
	 * contiguous, hence the copy. */
	memcpy(nonces, ni, ni_len);
	memcpy(nonces + ni_len, nr, nr_len);
	rc = prf_parts(prf, nonces, ni_len + nr_len, &gir_part, 1, skeyseed);
	if (rc)
		goto out;
	rc = split_ike_keys(prf, encr, integ, skeyseed, prf->out_len, ni, ni_len, nr, nr_len, spi_i,
			    spi_r, out);
out:
	OPENSSL_cleanse(nonces, sizeof(nonces));
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return rc;
}

int ike_derive_rekey_keys(const struct suite *old_prf, const uint8_t *old_sk_d,
			  const struct suite *prf, const struct suite *encr,
			  const struct suite *integ, const uint8_t *ni, size_t ni_len,
			  const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			  const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *out)
{
	uint8_t skeyseed[IKE_MAX_PRF];
	struct prf_part parts[3] = {{gir, gir_len}, {ni, ni_len}, {nr, nr_len}};
	int rc;

	if (!out || check_prf(old_prf) || check_prf(prf) || !old_sk_d || !ni || !nr || !ni_len ||
	    !nr_len || !gir || !gir_len || !spi_i || !spi_r)
		return -EINVAL;
	/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
	 * with the old SA's PRF; prf+ then runs with the new SA's PRF, keyed
	 * with the whole SKEYSEED (the old PRF's output length). */
	rc = prf_parts(old_prf, old_sk_d, old_prf->out_len, parts, 3, skeyseed);
	if (rc)
		goto out;
	rc = split_ike_keys(prf, encr, integ, skeyseed, old_prf->out_len, ni, ni_len, nr, nr_len,
			    spi_i, spi_r, out);
out:
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return rc;
}

int ike_derive_child_keys(const struct suite *prf, const uint8_t *sk_d, const uint8_t *gir,
			  size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, const struct suite *encr, const struct suite *integ,
			  struct ike_child_keys *out)
{
	uint8_t keymat[4 * IKE_MAX_KEY];
	struct prf_part seed[3];
	size_t nseed = 0, encr_len, integ_len, off = 0;
	int rc;

	if (!out || check_prf(prf) || !sk_d || !ni || !nr || !ni_len || !nr_len ||
	    (!gir && gir_len))
		return -EINVAL;
	rc = key_lengths(encr, integ, &encr_len, &integ_len);
	if (rc)
		return rc;
	/* RFC 7296 2.17: KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr), or
	 * prf+(SK_d, Ni | Nr) without PFS. */
	if (gir && gir_len)
		seed[nseed++] = (struct prf_part){gir, gir_len};
	seed[nseed++] = (struct prf_part){ni, ni_len};
	seed[nseed++] = (struct prf_part){nr, nr_len};
	memset(out, 0, sizeof(*out));
	out->encr_len = encr_len;
	out->integ_len = integ_len;
	rc = prf_plus_parts(prf, sk_d, prf->out_len, seed, nseed, keymat,
			    2 * encr_len + 2 * integ_len);
	if (rc)
		goto out;
	keymat_take(out->encr_i, keymat, &off, encr_len);
	keymat_take(out->integ_i, keymat, &off, integ_len);
	keymat_take(out->encr_r, keymat, &off, encr_len);
	keymat_take(out->integ_r, keymat, &off, integ_len);
out:
	OPENSSL_cleanse(keymat, sizeof(keymat));
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

/* ---- SK payload ---- */

static size_t sk_icv_len(const struct suite *encr, const struct suite *integ)
{
	return encr->aead ? encr->icv_len : integ->icv_len;
}

/* Plaintext + padding + pad-length byte, rounded up to the block. */
static size_t sk_padded_len(const struct suite *encr, size_t plain_len)
{
	size_t b = encr->block_len ? encr->block_len : 1;
	return (plain_len + 1 + b - 1) / b * b;
}

static int sk_check_suites(const struct suite *encr, const struct suite *integ)
{
	size_t e, i;
	if (key_lengths(encr, integ, &e, &i))
		return -EINVAL;
	if (!encr->ossl || encr->iv_len == 0 || (encr->aead && encr->salt_len + encr->iv_len != 12))
		return -EINVAL;
	if (!encr->aead && (integ->icv_len == 0 || integ->icv_len > integ->out_len))
		return -EINVAL;
	return 0;
}

size_t ike_sk_sealed_len(const struct suite *encr, const struct suite *integ, size_t plain_len)
{
	if (sk_check_suites(encr, integ))
		return 0;
	if (plain_len > 65535)
		return 0;
	return encr->iv_len + sk_padded_len(encr, plain_len) + sk_icv_len(encr, integ);
}

/* Truncated HMAC over data: the CBC suites' ICV. */
static int sk_icv(const struct suite *integ, const uint8_t *key, const uint8_t *data, size_t len,
		  uint8_t *icv)
{
	uint8_t full[IKE_MAX_PRF];
	struct prf_part part = {data, len};
	int rc = prf_parts(integ, key, integ->key_len, &part, 1, full);
	if (!rc)
		memcpy(icv, full, integ->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* One pass of the cipher over [in, in + len) into out (in place allowed).
 * AEAD: nonce = salt | iv, aad authenticated, tag written (enc) or
 * checked (dec, -EBADMSG on mismatch). */
static int sk_cipher(const struct suite *encr, const uint8_t *key, const uint8_t *iv, int enc,
		     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
	EVP_CIPHER *cipher = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t nonce[16];
	int n = 0, rc = -EIO;

	if (len > (size_t)0x7fffffff || aad_len > (size_t)0x7fffffff)
		return -EINVAL;
	cipher = EVP_CIPHER_fetch(NULL, encr->ossl, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (!cipher || !ctx)
		goto out;
	if (encr->aead) {
		memcpy(nonce, key + encr->key_len, encr->salt_len);
		memcpy(nonce + encr->salt_len, iv, encr->iv_len);
		if (!EVP_CipherInit_ex2(ctx, cipher, NULL, NULL, enc, NULL) ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, encr->salt_len + encr->iv_len,
					NULL) <= 0 ||
		    !EVP_CipherInit_ex2(ctx, NULL, key, nonce, enc, NULL))
			goto out;
		if (!enc &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, encr->icv_len, tag) <= 0)
			goto out;
		if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
			goto out;
	} else {
		memcpy(nonce, iv, encr->iv_len);
		if (!EVP_CipherInit_ex2(ctx, cipher, key, nonce, enc, NULL) ||
		    !EVP_CIPHER_CTX_set_padding(ctx, 0))
			goto out;
	}
	if (len && !EVP_CipherUpdate(ctx, buf, &n, buf, (int)len))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, buf + n, &n)) {
		rc = encr->aead && !enc ? -EBADMSG : -EIO;
		goto out;
	}
	if (encr->aead && enc &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, encr->icv_len, tag) <= 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(nonce, sizeof(nonce));
	EVP_CIPHER_CTX_free(ctx); /* clears the key schedule */
	EVP_CIPHER_free(cipher);
	return rc;
}

int ike_sk_seal(const struct suite *encr, const struct suite *integ, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t *buf, size_t cap, size_t aad_len,
		size_t plain_len, size_t *out_len)
{
	size_t sealed, padded, pad, icv_len;
	uint8_t *iv, *ct, *icv;
	int rc;

	if (!buf || !out_len || !encr_key || sk_check_suites(encr, integ) ||
	    (!encr->aead && !integ_key))
		return -EINVAL;
	sealed = ike_sk_sealed_len(encr, integ, plain_len);
	if (!sealed)
		return -EINVAL;
	if (aad_len > cap || cap - aad_len < sealed)
		return -ENOSPC;
	padded = sk_padded_len(encr, plain_len);
	pad = padded - plain_len - 1;
	icv_len = sk_icv_len(encr, integ);
	iv = buf + aad_len;
	ct = iv + encr->iv_len;
	icv = ct + padded;
	/* RFC 7296 3.14: padding may hold any value; zeros leak nothing. */
	memset(ct + plain_len, 0, pad);
	ct[padded - 1] = (uint8_t)pad;
	rc = ike_random(iv, encr->iv_len);
	if (rc)
		return rc;
	if (encr->aead) {
		rc = sk_cipher(encr, encr_key, iv, 1, buf, aad_len, ct, padded, icv);
	} else {
		rc = sk_cipher(encr, encr_key, iv, 1, NULL, 0, ct, padded, NULL);
		if (!rc)
			rc = sk_icv(integ, integ_key, buf, aad_len + encr->iv_len + padded, icv);
	}
	if (rc) {
		/* Never leave half-encrypted plaintext behind. */
		OPENSSL_cleanse(ct, padded + icv_len);
		return rc;
	}
	*out_len = aad_len + sealed;
	return 0;
}

int ike_sk_open(const struct suite *encr, const struct suite *integ, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t *buf, size_t len, size_t aad_len,
		size_t *plain_off, size_t *plain_len)
{
	uint8_t want[IKE_MAX_PRF];
	size_t icv_len, ct_len, pad;
	uint8_t *iv, *ct, *icv;
	int rc;

	if (!buf || !plain_off || !plain_len || !encr_key || sk_check_suites(encr, integ) ||
	    (!encr->aead && !integ_key))
		return -EINVAL;
	icv_len = sk_icv_len(encr, integ);
	/* Room for IV, at least the pad-length byte, and the ICV. */
	if (aad_len > len || len - aad_len < (size_t)encr->iv_len + 1 + icv_len)
		return -EBADMSG;
	ct_len = len - aad_len - encr->iv_len - icv_len;
	iv = buf + aad_len;
	ct = iv + encr->iv_len;
	icv = ct + ct_len;
	if (!encr->aead && ct_len % encr->block_len != 0)
		return -EBADMSG;
	if (encr->aead) {
		rc = sk_cipher(encr, encr_key, iv, 0, buf, aad_len, ct, ct_len, icv);
		if (rc) {
			/* Unauthenticated plaintext must not survive. */
			OPENSSL_cleanse(ct, ct_len);
			goto out;
		}
	} else {
		rc = sk_icv(integ, integ_key, buf, len - icv_len, want);
		if (rc)
			goto out;
		if (ike_memeq_ct(want, icv, icv_len) != 0) {
			rc = -EBADMSG;
			goto out;
		}
		rc = sk_cipher(encr, encr_key, iv, 0, NULL, 0, ct, ct_len, NULL);
		if (rc)
			goto out;
	}
	pad = ct[ct_len - 1];
	if (pad + 1 > ct_len) {
		OPENSSL_cleanse(ct, ct_len);
		rc = -EBADMSG;
		goto out;
	}
	*plain_off = aad_len + encr->iv_len;
	*plain_len = ct_len - pad - 1;
	rc = 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

/* ---- AUTH ---- */

int ike_psk_auth(const struct suite *prf, const uint8_t *psk, size_t psk_len, const uint8_t *msg,
		 size_t msg_len, const uint8_t *nonce_other, size_t nonce_len, const uint8_t *sk_p,
		 const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	static const char keypad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL */
	uint8_t macced_id[IKE_MAX_PRF], inner_key[IKE_MAX_PRF];
	struct prf_part parts[3];
	int rc;

	if (check_prf(prf) || !psk || !psk_len || !msg || !msg_len || !nonce_other || !nonce_len ||
	    !sk_p || !id_body || !id_len || !out)
		return -EINVAL;
	/* RFC 7296 2.15: MACedIDFor = prf(SK_px, IDx'),
	 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"),
	 *            <SignedOctets> = msg | Nonce | MACedIDFor). */
	rc = ike_prf(prf, sk_p, prf->out_len, id_body, id_len, macced_id);
	if (rc)
		goto out;
	rc = ike_prf(prf, psk, psk_len, (const uint8_t *)keypad, sizeof(keypad) - 1, inner_key);
	if (rc)
		goto out;
	parts[0] = (struct prf_part){msg, msg_len};
	parts[1] = (struct prf_part){nonce_other, nonce_len};
	parts[2] = (struct prf_part){macced_id, prf->out_len};
	rc = prf_parts(prf, inner_key, prf->out_len, parts, 3, out);
out:
	OPENSSL_cleanse(macced_id, sizeof(macced_id));
	OPENSSL_cleanse(inner_key, sizeof(inner_key));
	return rc;
}

int ike_memeq_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0 ? 0 : 1;
}

int ike_random(uint8_t *out, size_t len)
{
	if (!out && len)
		return -EINVAL;
	if (len > (size_t)0x7fffffff)
		return -EINVAL;
	return len == 0 || RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}
