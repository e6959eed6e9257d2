/* crypto_dh.c: IKEv2 Diffie-Hellman over OpenSSL 3 EVP_PKEY (see crypto.h).
 *
 * Groups: MODP 14/15/16 (RFC 3526, OpenSSL's built-in "modp_N" named groups),
 * ECP 19/20/21 (RFC 5903) and Curve25519 (RFC 8031).  Wire formats:
 *   MODP  g^x big-endian, zero-padded to the prime's length (RFC 7296 3.4)
 *   ECP   x | y, each zero-padded to the field length, no 0x04 (RFC 5903 7)
 *   X25519 the 32-byte u-coordinate (RFC 7748)
 * Every peer value is hostile: exact length first, then range (MODP) or
 * curve membership (ECP), then OpenSSL's own public-key check through
 * EVP_PKEY_derive_set_peer_ex(validate = 1), which for the MODP groups also
 * requires y^q = 1 (the prime-order subgroup every honest g^x lies in).  Shared secrets are returned
 * zero-padded to full length: MODP to the prime, ECP to the x-coordinate
 * (RFC 5903 7), X25519 32 bytes and never all zero (RFC 8031 2.1).
 *
 * The private key lives only inside the EVP_PKEY; EVP_PKEY_free() clears it.
 * Scratch buffers that held secrets are cleansed on the single way out. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "ike/crypto.h"

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct ike_dh {
	const struct suite *group;
	enum dh_kind kind;
	EVP_PKEY *pkey;
};

static int dh_kind_of(const struct suite *group, enum dh_kind *kind)
{
	if (!group || group->type != SUITE_DH)
		return -EINVAL;
	switch (group->id) {
	case IKEV2_DH_MODP_2048:
	case IKEV2_DH_MODP_3072:
	case IKEV2_DH_MODP_4096:
		*kind = DH_MODP;
		return 0;
	case IKEV2_DH_ECP_256:
	case IKEV2_DH_ECP_384:
	case IKEV2_DH_ECP_521:
		*kind = DH_ECP;
		return 0;
	case IKEV2_DH_CURVE25519:
		*kind = DH_X25519;
		return 0;
	default:
		return -EINVAL;
	}
}

static const char *dh_keytype(enum dh_kind kind)
{
	switch (kind) {
	case DH_MODP:
		return "DH";
	case DH_ECP:
		return "EC";
	default:
		return "X25519";
	}
}

/* Length of the shared secret: the prime for MODP, one coordinate for ECP. */
static size_t dh_secret_len(const struct ike_dh *dh)
{
	switch (dh->kind) {
	case DH_MODP:
		return dh->group->dh_pub_len;
	case DH_ECP:
		return dh->group->dh_pub_len / 2;
	default:
		return 32;
	}
}

static struct ike_dh *dh_alloc(const struct suite *group, enum dh_kind kind)
{
	struct ike_dh *dh = calloc(1, sizeof(*dh));
	if (!dh)
		return NULL;
	dh->group = group;
	dh->kind = kind;
	return dh;
}

int ike_dh_new(const struct suite *group, struct ike_dh **out)
{
	enum dh_kind kind;
	EVP_PKEY_CTX *ctx = NULL;
	struct ike_dh *dh = NULL;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = dh_kind_of(group, &kind);
	if (rc)
		return rc;
	dh = dh_alloc(group, kind);
	if (!dh)
		return -ENOMEM;
	rc = -EIO;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, dh_keytype(kind), NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
		goto out;
	if (kind != DH_X25519) {
		OSSL_PARAM params[2];
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							     (char *)group->ossl, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) <= 0)
			goto out;
	}
	if (EVP_PKEY_generate(ctx, &dh->pkey) <= 0)
		goto out;
	*out = dh;
	dh = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	ike_dh_free(dh);
	return rc;
}

/* Imports a key from OSSL_PARAMs (group name + values) as `selection`. */
static int dh_fromdata(const char *keytype, OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **pkey)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -EIO;

	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	/* A failed import here is almost always a value OpenSSL refused
	 * (e.g. an EC point off the curve): that is bad input. */
	rc = EVP_PKEY_fromdata(ctx, pkey, selection, params) > 0 ? 0 : -EINVAL;
out:
	/* The params may hold a private value (OpenSSL 3.0 has no
	 * OSSL_PARAM_clear_free). */
	for (OSSL_PARAM *p = params; p && p->key; p++)
		if (p->data)
			OPENSSL_cleanse(p->data, p->data_size);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* MODP: pub = g^priv mod p computed with the group's p and g. */
static int dh_private_modp(struct ike_dh *dh, const uint8_t *priv, size_t len)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *x = NULL, *y = NULL, *p = NULL, *g = NULL;
	BN_CTX *bnctx = NULL;
	int rc = -EINVAL;

	if (len == 0 || len > dh->group->dh_pub_len)
		return -EINVAL;
	rc = -EIO;
	switch (dh->group->id) {
	case IKEV2_DH_MODP_2048:
		p = BN_get_rfc3526_prime_2048(NULL);
		break;
	case IKEV2_DH_MODP_3072:
		p = BN_get_rfc3526_prime_3072(NULL);
		break;
	default:
		p = BN_get_rfc3526_prime_4096(NULL);
		break;
	}
	x = BN_secure_new();
	y = BN_new();
	g = BN_new();
	bnctx = BN_CTX_secure_new();
	if (!p || !x || !y || !g || !bnctx || !BN_set_word(g, 2))
		goto out;
	if (!BN_bin2bn(priv, (int)len, x))
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	/* A private value of 0 or >= p-1 gives a degenerate public value. */
	if (BN_is_zero(x) || BN_is_one(x) || BN_cmp(x, p) >= 0) {
		rc = -EINVAL;
		goto out;
	}
	if (!BN_mod_exp(y, g, x, p, bnctx))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->group->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
		goto out;
	rc = dh_fromdata("DH", bld, EVP_PKEY_KEYPAIR, &dh->pkey);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(g);
	BN_CTX_free(bnctx);
	return rc;
}

static int ecp_nid(const struct suite *group)
{
	switch (group->id) {
	case IKEV2_DH_ECP_256:
		return NID_X9_62_prime256v1;
	case IKEV2_DH_ECP_384:
		return NID_secp384r1;
	default:
		return NID_secp521r1;
	}
}

/* ECP: pub = priv * G, encoded uncompressed for the import. */
static int dh_private_ecp(struct ike_dh *dh, const uint8_t *priv, size_t len)
{
	size_t coord = dh->group->dh_pub_len / 2;
	uint8_t pub[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *x = NULL;
	BN_CTX *bnctx = NULL;
	int rc = -EINVAL;

	if (len == 0 || len > coord)
		return -EINVAL;
	rc = -EIO;
	grp = EC_GROUP_new_by_curve_name(ecp_nid(dh->group));
	x = BN_secure_new();
	bnctx = BN_CTX_secure_new();
	if (!grp || !x || !bnctx || !BN_bin2bn(priv, (int)len, x))
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (BN_is_zero(x) || BN_cmp(x, EC_GROUP_get0_order(grp)) >= 0) {
		rc = -EINVAL;
		goto out;
	}
	pt = EC_POINT_new(grp);
	if (!pt || !EC_POINT_mul(grp, pt, x, NULL, NULL, bnctx))
		goto out;
	if (EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), bnctx) !=
	    1 + 2 * coord)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->group->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * coord) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
		goto out;
	rc = dh_fromdata("EC", bld, EVP_PKEY_KEYPAIR, &dh->pkey);
out:
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_clear_free(x);
	BN_CTX_free(bnctx);
	return rc;
}

int ike_dh_new_private(const struct suite *group, const uint8_t *priv, size_t len,
		       struct ike_dh **out)
{
	enum dh_kind kind;
	struct ike_dh *dh = NULL;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = dh_kind_of(group, &kind);
	if (rc)
		return rc;
	if (!priv)
		return -EINVAL;
	dh = dh_alloc(group, kind);
	if (!dh)
		return -ENOMEM;
	switch (kind) {
	case DH_MODP:
		rc = dh_private_modp(dh, priv, len);
		break;
	case DH_ECP:
		rc = dh_private_ecp(dh, priv, len);
		break;
	default:
		if (len != 32) {
			rc = -EINVAL;
			break;
		}
		dh->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, len);
		rc = dh->pkey ? 0 : -EIO;
		break;
	}
	if (rc) {
		ike_dh_free(dh);
		return rc;
	}
	*out = dh;
	return 0;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey); /* clears the private value */
	free(dh);
}

const struct suite *ike_dh_group(const struct ike_dh *dh)
{
	return dh ? dh->group : NULL;
}

/* Writes the BN param `name` of dh's key big-endian, zero-padded to len. */
static int dh_get_bn_padded(const struct ike_dh *dh, const char *name, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;
	int rc = -EIO;

	if (EVP_PKEY_get_bn_param(dh->pkey, name, &bn) > 0 &&
	    BN_bn2binpad(bn, out, (int)len) == (int)len)
		rc = 0;
	BN_free(bn);
	return rc;
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	size_t need;
	int rc;

	if (!dh || !out || !len)
		return -EINVAL;
	need = dh->group->dh_pub_len;
	if (cap < need)
		return -ENOSPC;
	switch (dh->kind) {
	case DH_MODP:
		rc = dh_get_bn_padded(dh, OSSL_PKEY_PARAM_PUB_KEY, out, need);
		break;
	case DH_ECP:
		rc = dh_get_bn_padded(dh, OSSL_PKEY_PARAM_EC_PUB_X, out, need / 2);
		if (!rc)
			rc = dh_get_bn_padded(dh, OSSL_PKEY_PARAM_EC_PUB_Y, out + need / 2,
					      need / 2);
		break;
	default: {
		size_t n = need;
		rc = EVP_PKEY_get_raw_public_key(dh->pkey, out, &n) > 0 && n == need ? 0 : -EIO;
		break;
	}
	}
	if (rc)
		return rc;
	*len = need;
	return 0;
}

/* MODP peer value: refuse y outside [2, p-2] (RFC 7296 5, NIST SP 800-56A
 * 5.6.2.3.1) before OpenSSL sees it. */
static int dh_peer_modp(const struct ike_dh *dh, const uint8_t *peer, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *y = NULL, *p = NULL, *pm1 = NULL;
	int rc = -EIO;

	y = BN_bin2bn(peer, (int)len, NULL);
	pm1 = BN_new();
	if (!y || !pm1 || EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_FFC_P, &p) <= 0 ||
	    !BN_sub(pm1, p, BN_value_one()))
		goto out;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
		rc = -EINVAL;
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->group->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	rc = dh_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(p);
	BN_free(pm1);
	return rc;
}

/* ECP peer value: x | y -> 0x04 | x | y; OpenSSL refuses points off the curve
 * on import, and the derive-time check repeats it. */
static int dh_peer_ecp(const struct ike_dh *dh, const uint8_t *peer, size_t len, EVP_PKEY **out)
{
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	int rc = -EIO;

	if (len + 1 > sizeof(pt))
		return -EINVAL;
	pt[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pt + 1, peer, len);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->group->ossl, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len + 1))
		goto out;
	rc = dh_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t cap,
		  size_t *len)
{
	uint8_t secret[IKE_MAX_DH_SECRET];
	size_t full, n = sizeof(secret);
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc;

	if (!dh || !peer || !out || !len)
		return -EINVAL;
	if (peer_len != dh->group->dh_pub_len)
		return -EINVAL;
	full = dh_secret_len(dh);
	if (cap < full)
		return -ENOSPC;
	switch (dh->kind) {
	case DH_MODP:
		rc = dh_peer_modp(dh, peer, peer_len, &peer_key);
		break;
	case DH_ECP:
		rc = dh_peer_ecp(dh, peer, peer_len, &peer_key);
		break;
	default:
		peer_key = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, peer_len);
		rc = peer_key ? 0 : -EIO;
		break;
	}
	if (rc)
		goto out;
	rc = -EIO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) <= 0) {
		rc = -EINVAL; /* OpenSSL's public-key check refused it */
		goto out;
	}
	if (EVP_PKEY_derive(ctx, secret, &n) <= 0) {
		/* X25519 fails here on an all-zero result (low-order point). */
		rc = dh->kind == DH_X25519 ? -EINVAL : -EIO;
		goto out;
	}
	if (n == 0 || n > full)
		goto out;
	if (dh->kind == DH_X25519) {
		uint8_t acc = 0;
		for (size_t i = 0; i < n; i++)
			acc |= secret[i];
		if (acc == 0) { /* RFC 8031 2.1: an all-zero value MUST be refused */
			rc = -EINVAL;
			goto out;
		}
	}
	/* Left-pad: OpenSSL may strip leading zero bytes of g^ir. */
	memset(out, 0, full - n);
	memcpy(out + (full - n), secret, n);
	*len = full;
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return rc;
}
