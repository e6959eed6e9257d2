/* crypto.h: IKEv2 cryptography (RFC 7296 2.13-2.17, 2.14, 2.15; RFC 5282,
 * RFC 7634, RFC 4868, RFC 5903, RFC 8031) over OpenSSL 3 EVP only.
 *
 * Every function returns 0 or -errno (-EINVAL for bad input such as an
 * invalid peer public value, -EBADMSG for a failed integrity check, -ENOMEM,
 * -EIO for an OpenSSL failure).  Secrets written into caller buffers are the
 * caller's to wipe; secrets held inside (DH private keys) are wiped by
 * ike_dh_free().  Nothing here logs key material. */
#ifndef VTID_IKE_CRYPTO_H
#define VTID_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/suite.h"

enum { IKE_MAX_DH_PUB = 1024, IKE_MAX_DH_SECRET = 512, IKE_MAX_PRF = 64, IKE_MAX_KEY = 64 };

/* ---- Diffie-Hellman (MODP 14/15/16, ECP 19/20/21, Curve25519) ---- */
struct ike_dh;
/* A fresh ephemeral key pair for the group (a SUITE_DH row). */
int ike_dh_new(const struct suite *group, struct ike_dh **out);
/* Known-answer tests: a key pair from a given private value (big-endian for
 * MODP/ECP, RFC 7748 little-endian bytes for Curve25519). */
int ike_dh_new_private(const struct suite *group, const uint8_t *priv, size_t len, struct ike_dh **out);
void ike_dh_free(struct ike_dh *dh); /* NULL-safe */
const struct suite *ike_dh_group(const struct ike_dh *dh);
/* KE payload data: MODP g^x zero-padded to the prime's length; ECP x|y
 * (RFC 5903, no 0x04 prefix); Curve25519 the 32-byte u-coordinate. */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len);
/* g^ir from the peer's KE data.  Refuses (-EINVAL) a wrong length, an ECP
 * point not on the curve, a MODP value outside [2, p-2], and an all-zero
 * Curve25519 result.  MODP/ECP results are zero-padded to full length. */
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t cap,
		  size_t *len);

/* ---- PRF, prf+ ---- */
/* out receives prf->out_len bytes. */
int ike_prf(const struct suite *prf, const uint8_t *key, size_t key_len, const uint8_t *data,
	    size_t data_len, uint8_t *out);
/* prf+ (RFC 7296 2.13): T1 | T2 | ... truncated to out_len (at most 255 blocks). */
int ike_prf_plus(const struct suite *prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len);

/* ---- IKE SA keys (RFC 7296 2.14, 2.18) ---- */
struct ike_keys {
	uint8_t sk_d[IKE_MAX_PRF], sk_ai[IKE_MAX_KEY], sk_ar[IKE_MAX_KEY];
	uint8_t sk_ei[IKE_MAX_KEY], sk_er[IKE_MAX_KEY]; /* cipher key then salt for AEAD */
	uint8_t sk_pi[IKE_MAX_PRF], sk_pr[IKE_MAX_PRF];
	size_t prf_len;   /* = prf->out_len (SK_d, SK_pi, SK_pr) */
	size_t integ_len; /* integ->key_len, 0 for AEAD */
	size_t encr_len;  /* encr->key_len + encr->salt_len */
};
/* Initial IKE SA: SKEYSEED = prf(Ni | Nr, g^ir) (for PRFs with fixed key
 * size the nonce halves are used as RFC 7296 2.14 says; HMAC takes the
 * whole), then prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
int ike_derive_keys(const struct suite *prf, const struct suite *encr, const struct suite *integ,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    const uint8_t *gir, size_t gir_len, const uint8_t spi_i[8], const uint8_t spi_r[8],
		    struct ike_keys *out);
/* IKE SA rekey (2.18): SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr) with
 * the OLD SA's prf, then prf+ with the NEW SA's prf. */
int ike_derive_rekey_keys(const struct suite *old_prf, const uint8_t *old_sk_d,
			  const struct suite *prf, const struct suite *encr,
			  const struct suite *integ, const uint8_t *ni, size_t ni_len,
			  const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			  const uint8_t spi_i[8], const uint8_t spi_r[8], struct ike_keys *out);

/* ---- Child SA keys (2.17): KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) taken in
 * the order encr_i, integ_i, encr_r, integ_r ("i" = the SA the initiator
 * of the exchange sends on).  gir may be NULL (no PFS). ---- */
struct ike_child_keys {
	uint8_t encr_i[IKE_MAX_KEY], integ_i[IKE_MAX_KEY];
	uint8_t encr_r[IKE_MAX_KEY], integ_r[IKE_MAX_KEY];
	size_t encr_len, integ_len;
};
int ike_derive_child_keys(const struct suite *prf, const uint8_t *sk_d, const uint8_t *gir,
			  size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, const struct suite *encr, const struct suite *integ,
			  struct ike_child_keys *out);

/* ---- The Encrypted (SK) payload: RFC 7296 3.14, RFC 5282, RFC 7634 ----
 *
 * A protected message is laid out as
 *   [IKE header][SK generic payload header][IV][ciphertext][ICV]
 * where aad_len = IKE header + SK generic header (28 + 4 for an unfragmented
 * message; for SKF (RFC 7383) the 8-byte SKF header).  AEAD suites
 * authenticate those aad_len bytes as associated data; CBC suites compute the
 * truncated HMAC over everything before the ICV.  The caller writes the final
 * lengths into both headers first (ike_sk_sealed_len tells them). */
size_t ike_sk_sealed_len(const struct suite *encr, const struct suite *integ, size_t plain_len);
/* buf: [aad_len header bytes][plain_len plaintext bytes at buf + aad_len +
 * iv_len] with cap >= aad_len + ike_sk_sealed_len().  Writes a fresh random
 * IV, padding, pad length, encrypts and appends the ICV.  *out_len = total. */
int ike_sk_seal(const struct suite *encr, const struct suite *integ, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t *buf, size_t cap, size_t aad_len, size_t plain_len,
		size_t *out_len);
/* Verifies the ICV (constant time) before decrypting, decrypts in place and
 * checks the padding.  On success the plaintext is buf[*plain_off ..
 * *plain_off + *plain_len).  -EBADMSG on any integrity or padding failure. */
int ike_sk_open(const struct suite *encr, const struct suite *integ, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t *buf, size_t len, size_t aad_len,
		size_t *plain_off, size_t *plain_len);

/* ---- Pre-shared-key AUTH (2.15) ----
 * AUTH = prf(prf(psk, "Key Pad for IKEv2"), msg | nonce_other | prf(sk_p, id_body))
 * where msg is the whole first message this side sent (IKE_SA_INIT), id_body
 * is the ID payload without its generic header (type, reserved, data), and
 * sk_p is SK_pi for the initiator's AUTH, SK_pr for the responder's. */
int ike_psk_auth(const struct suite *prf, const uint8_t *psk, size_t psk_len, const uint8_t *msg,
		 size_t msg_len, const uint8_t *nonce_other, size_t nonce_len, const uint8_t *sk_p,
		 const uint8_t *id_body, size_t id_len, uint8_t *out);

/* Constant-time compare, 0 when equal. */
int ike_memeq_ct(const uint8_t *a, const uint8_t *b, size_t len);
/* Cryptographically random bytes. */
int ike_random(uint8_t *out, size_t len);

#endif
