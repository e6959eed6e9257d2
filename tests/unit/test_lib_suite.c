/* test_lib_suite.c: every row of the crypto-suite table is consistent with
 * itself, with the IANA numbers and with OpenSSL (the algorithm exists under
 * the name given, key/IV/digest sizes match EVP's), and lookups by ID, by
 * name and by IOS transform-set keyword find exactly the rows they should;
 * the IOS and Wireshark names are unique where readers tell rows apart by them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "lib/suite.h"
#include "tests/unit/tcheck.h"

static size_t count(enum suite_type t)
{
	size_t n = 0;
	while (suite_at(t, n))
		n++;
	return n;
}

static void test_row_counts(void)
{
	CHECK_EQ_INT(count(SUITE_ENCR), 6);
	CHECK_EQ_INT(count(SUITE_PRF), 4);
	CHECK_EQ_INT(count(SUITE_INTEG), 4);
	CHECK_EQ_INT(count(SUITE_DH), 7);
	CHECK_EQ_INT(count(SUITE_ESN), 2);
	CHECK(suite_at(SUITE_ENCR, 6) == NULL);
	CHECK(suite_at((enum suite_type)9, 0) == NULL);
}

/* Each row is found again by its name and by its ID (+ key length), and
 * every row has the strings show output and config need. */
static void test_lookups_round_trip(void)
{
	static const enum suite_type types[] = {SUITE_ENCR, SUITE_PRF, SUITE_INTEG, SUITE_DH,
						SUITE_ESN};
	for (size_t t = 0; t < 5; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(types[t], i)) != NULL; i++) {
			CHECK(s->type == types[t]);
			CHECK(s->name && s->name[0]);
			CHECK(s->display && s->display[0]);
			CHECK(suite_by_name(types[t], s->name) == s);
			CHECK(suite_by_id(types[t], s->id, s->key_bits) == s);
		}
	}
	CHECK(suite_by_name(SUITE_ENCR, NULL) == NULL);
	CHECK(suite_by_name(SUITE_ENCR, "aes-cbc-512") == NULL);
	CHECK(suite_by_name(SUITE_PRF, "group14") == NULL);
	CHECK(suite_by_name(SUITE_DH, "group14") != NULL);
}

static void test_encr_key_length_attribute(void)
{
	/* AES needs the Key Length attribute; ChaCha20-Poly1305 must have none. */
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_AES_CBC, 0) == NULL);
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_AES_CBC, 512) == NULL);
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_AES_GCM_16, 192) == NULL);
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 256) == NULL);
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 0) ==
	      suite_by_name(SUITE_ENCR, "chacha20-poly1305"));
	CHECK(suite_by_id(SUITE_ENCR, IKEV2_ENCR_AES_CBC, 192) ==
	      suite_by_name(SUITE_ENCR, "aes-cbc-192"));
	CHECK(suite_by_id(SUITE_ENCR, 3, 0) == NULL); /* 3DES: not supported */
	/* Other types ignore the key length. */
	CHECK(suite_by_id(SUITE_PRF, IKEV2_PRF_HMAC_SHA2_256, 128) ==
	      suite_by_name(SUITE_PRF, "sha256"));
	CHECK(suite_by_id(SUITE_DH, 2, 0) == NULL); /* MODP 1024: not supported */
	CHECK(suite_by_id(SUITE_INTEG, IKEV2_AUTH_NONE, 0) == NULL);
}

static void test_encr_rows_match_openssl(void)
{
	const struct suite *s;
	for (size_t i = 0; (s = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, s->ossl, NULL);
		CHECK(c != NULL);
		if (!c)
			continue;
		CHECK_EQ_INT(EVP_CIPHER_get_key_length(c), s->key_len);
		CHECK(s->key_bits == 0 || s->key_bits == 8 * s->key_len);
		CHECK(s->xfrm != NULL);
		CHECK(s->key_len + s->salt_len <= 64);
		if (s->aead) {
			/* RFC 4106 / RFC 7634: 12-byte nonce = 4 salt + 8 IV, 16-byte tag. */
			CHECK_EQ_INT(EVP_CIPHER_get_iv_length(c), s->salt_len + s->iv_len);
			CHECK_EQ_INT(s->salt_len, 4);
			CHECK_EQ_INT(s->iv_len, 8);
			CHECK_EQ_INT(s->icv_len, 16);
			CHECK_EQ_INT(s->xfrm_trunc_bits, 128);
			CHECK_EQ_INT(s->block_len, 4);
			CHECK(EVP_CIPHER_get_flags(c) & EVP_CIPH_FLAG_AEAD_CIPHER);
		} else {
			CHECK_EQ_INT(EVP_CIPHER_get_iv_length(c), s->iv_len);
			CHECK_EQ_INT(EVP_CIPHER_get_block_size(c), s->block_len);
			CHECK_EQ_INT(s->salt_len, 0);
			CHECK_EQ_INT(s->icv_len, 0);
			CHECK_EQ_STR(s->xfrm, "cbc(aes)");
		}
		EVP_CIPHER_free(c);
	}
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-256")->xfrm, "rfc4106(gcm(aes))");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "chacha20-poly1305")->xfrm,
		     "rfc7539esp(chacha20,poly1305)");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-cbc-128")->display, "AES-CBC");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-128")->display, "AES-GCM");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "chacha20-poly1305")->display, "CHACHA20-POLY1305");
}

static void test_hash_rows_match_openssl(void)
{
	static const enum suite_type types[] = {SUITE_PRF, SUITE_INTEG};
	for (size_t t = 0; t < 2; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(types[t], i)) != NULL; i++) {
			EVP_MD *md = EVP_MD_fetch(NULL, s->ossl, NULL);
			CHECK(md != NULL);
			if (!md)
				continue;
			CHECK_EQ_INT(EVP_MD_get_size(md), s->out_len);
			/* RFC 4868 2.1.1 / RFC 2404: HMAC key = digest length. */
			CHECK_EQ_INT(s->key_len, s->out_len);
			{
				/* vtid's name is OpenSSL's digest name in lower case. */
				char lower[16] = {0};
				for (size_t k = 0; s->ossl[k] && k + 1 < sizeof(lower); k++)
					lower[k] = (char)(s->ossl[k] | 0x20);
				CHECK_EQ_STR(s->name, lower);
			}
			if (types[t] == SUITE_INTEG) {
				char want[32];
				snprintf(want, sizeof(want), "hmac(%s)", s->name);
				CHECK_EQ_STR(s->xfrm, want);
				CHECK_EQ_INT(s->xfrm_trunc_bits, 8 * s->icv_len);
				CHECK(s->icv_len < s->out_len);
			} else {
				CHECK(s->xfrm == NULL);
				CHECK_EQ_INT(s->icv_len, 0);
			}
			EVP_MD_free(md);
		}
	}
	CHECK_EQ_INT(suite_by_name(SUITE_INTEG, "sha1")->icv_len, 12);
	CHECK_EQ_INT(suite_by_name(SUITE_INTEG, "sha512")->icv_len, 32);
	CHECK_EQ_STR(suite_by_name(SUITE_PRF, "sha512")->display, "SHA512");
	CHECK_EQ_INT(suite_by_name(SUITE_PRF, "sha384")->id, IKEV2_PRF_HMAC_SHA2_384);
}

/* Each group is generated by OpenSSL under its name, and dh_pub_len matches
 * the prime (MODP), 2 x the field (ECP) or 32 (X25519). */
static void test_dh_rows_match_openssl(void)
{
	const struct suite *s;
	for (size_t i = 0; (s = suite_at(SUITE_DH, i)) != NULL; i++) {
		int x25519 = strcmp(s->ossl, "X25519") == 0;
		int modp = strncmp(s->ossl, "modp_", 5) == 0;
		const char *keytype = x25519 ? "X25519" : (modp ? "DH" : "EC");
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
		EVP_PKEY *pk = NULL;
		int bits;
		CHECK(ctx != NULL);
		if (!ctx)
			continue;
		CHECK(EVP_PKEY_keygen_init(ctx) > 0);
		if (!x25519) {
			OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(
					       OSSL_PKEY_PARAM_GROUP_NAME, (char *)s->ossl, 0),
					   OSSL_PARAM_construct_end()};
			CHECK(EVP_PKEY_CTX_set_params(ctx, p) > 0);
		}
		CHECK(EVP_PKEY_generate(ctx, &pk) > 0);
		if (pk) {
			bits = EVP_PKEY_get_bits(pk);
			if (x25519)
				CHECK_EQ_INT(s->dh_pub_len, 32);
			else if (modp)
				CHECK_EQ_INT(8 * s->dh_pub_len, bits);
			else
				CHECK_EQ_INT(s->dh_pub_len, 2 * ((bits + 7) / 8));
		}
		CHECK_EQ_INT(s->key_len, 0);
		CHECK(s->xfrm == NULL);
		{
			char want[16];
			snprintf(want, sizeof(want), "group%u", (unsigned)s->id);
			CHECK_EQ_STR(s->name, want);
		}
		EVP_PKEY_free(pk);
		EVP_PKEY_CTX_free(ctx);
	}
	CHECK_EQ_STR(suite_by_name(SUITE_DH, "group14")->display, "DH_GROUP_2048_MODP/Group 14");
	CHECK_EQ_STR(suite_by_name(SUITE_DH, "group19")->display, "DH_GROUP_256_ECP/Group 19");
	CHECK_EQ_STR(suite_by_name(SUITE_DH, "group21")->display, "DH_GROUP_521_ECP/Group 21");
	CHECK_EQ_STR(suite_by_name(SUITE_DH, "group31")->display, "DH_GROUP_CURVE25519/Group 31");
	CHECK_EQ_INT(suite_by_name(SUITE_DH, "group21")->dh_pub_len, 132);
}

static void test_esn_rows(void)
{
	CHECK_EQ_INT(suite_by_name(SUITE_ESN, "no")->id, IKEV2_ESN_NO);
	CHECK_EQ_INT(suite_by_name(SUITE_ESN, "yes")->id, IKEV2_ESN_YES);
	CHECK(suite_by_id(SUITE_ESN, 2, 0) == NULL);
}

/* Every ESP row is found by its transform-set keyword (and size word) and
 * gives it back; a size-taking keyword has exactly one default size. */
static void test_ios_transform_set_round_trip(void)
{
	static const enum suite_type types[] = {SUITE_ENCR, SUITE_INTEG};
	for (size_t t = 0; t < 2; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(types[t], i)) != NULL; i++) {
			/* Every cipher and HMAC vtid has is offered for ESP too. */
			CHECK(s->ios_ts && s->ios_ts[0]);
			CHECK(s->ios_ts_help && s->ios_ts_help[0]);
			CHECK(s->ios_sa && s->ios_sa[0]);
			if (!s->ios_ts)
				continue;
			CHECK(suite_by_ios_ts(types[t], s->ios_ts, s->key_bits) == s);
			CHECK(suite_by_ios_ts(types[t], s->ios_ts, 0) != NULL);
			if (types[t] == SUITE_INTEG) {
				CHECK_EQ_STR(s->ios_sa, s->ios_ts);
				CHECK(!s->ios_ts_default);
				continue;
			}
			/* "esp-aes 256" is shown as "esp-256-aes": the size is in it. */
			if (s->key_bits) {
				char bits[8];
				snprintf(bits, sizeof(bits), "%u", s->key_bits);
				CHECK(strstr(s->ios_sa, bits) != NULL);
			} else {
				CHECK_EQ_STR(s->ios_sa, s->ios_ts);
				CHECK(!s->ios_ts_default);
				CHECK(suite_by_ios_ts(SUITE_ENCR, s->ios_ts, 0) == s);
				CHECK(suite_by_ios_ts(SUITE_ENCR, s->ios_ts, 256) == NULL);
			}
			size_t defaults = 0;
			const struct suite *r;
			for (size_t j = 0; (r = suite_at(SUITE_ENCR, j)) != NULL; j++)
				if (r->ios_ts && !strcmp(r->ios_ts, s->ios_ts)) {
					defaults += r->ios_ts_default;
					CHECK((r->key_bits == 0) == (s->key_bits == 0));
					CHECK_EQ_STR(r->ios_ts_help, s->ios_ts_help);
				}
			CHECK_EQ_INT(defaults, s->key_bits ? 1 : 0);
		}
	}
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-aes", 0) ==
	      suite_by_name(SUITE_ENCR, "aes-cbc-128"));
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-aes", 192) ==
	      suite_by_name(SUITE_ENCR, "aes-cbc-192"));
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-gcm", 0) ==
	      suite_by_name(SUITE_ENCR, "aes-gcm-128"));
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-gcm", 256) ==
	      suite_by_name(SUITE_ENCR, "aes-gcm-256"));
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-gcm", 192) == NULL);
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-chacha20-poly1305", 0) ==
	      suite_by_name(SUITE_ENCR, "chacha20-poly1305"));
	CHECK(suite_by_ios_ts(SUITE_INTEG, "esp-sha-hmac", 0) ==
	      suite_by_name(SUITE_INTEG, "sha1"));
	CHECK(suite_by_ios_ts(SUITE_INTEG, "esp-sha512-hmac", 0) ==
	      suite_by_name(SUITE_INTEG, "sha512"));
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-sha-hmac", 0) == NULL);
	CHECK(suite_by_ios_ts(SUITE_PRF, "esp-sha-hmac", 0) == NULL);
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-des", 0) == NULL);
	CHECK(suite_by_ios_ts(SUITE_ENCR, "esp-ae", 0) == NULL); /* no prefix matching here */
	CHECK(suite_by_ios_ts(SUITE_ENCR, NULL, 0) == NULL);
	/* PRF, DH and ESN rows are not transform-set keywords. */
	static const enum suite_type others[] = {SUITE_PRF, SUITE_DH, SUITE_ESN};
	for (size_t t = 0; t < 3; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(others[t], i)) != NULL; i++)
			CHECK(!s->ios_ts && !s->ios_ts_help && !s->ios_sa && !s->ws_ike &&
			      !s->ws_esp);
	}
}

/* show crypto ipsec sa's transform line and show running-config's
 * transform-set line as IOS writes them. */
static void test_ios_names(void)
{
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-cbc-128")->ios_sa, "esp-128-aes");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-cbc-256")->ios_sa, "esp-256-aes");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-256")->ios_sa, "esp-gcm 256");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "chacha20-poly1305")->ios_sa,
		     "esp-chacha20-poly1305");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha1")->ios_ts, "esp-sha-hmac");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha384")->ios_ts, "esp-sha384-hmac");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-cbc-192")->ios_ts_help, "ESP with AES-CBC");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-128")->ios_help,
		     "AES-GCM with a 128-bit key");
	CHECK_EQ_STR(suite_by_name(SUITE_PRF, "sha256")->ios_help, "SHA-256");
	CHECK_EQ_STR(suite_by_name(SUITE_DH, "group19")->ios_help, "256-bit ECP (P-256)");
	/* Every keyword the grammar offers has its `?` line. */
	static const enum suite_type types[] = {SUITE_ENCR, SUITE_PRF, SUITE_INTEG, SUITE_DH};
	for (size_t t = 0; t < 4; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(types[t], i)) != NULL; i++)
			CHECK(s->ios_help && s->ios_help[0]);
	}
}

/* Wireshark's value strings, as its IKEv2 and ESP decryption tables spell
 * them: the IKE table names the key size, the ESP table does not. */
static void test_wireshark_names(void)
{
	static const enum suite_type types[] = {SUITE_ENCR, SUITE_INTEG};
	for (size_t t = 0; t < 2; t++) {
		const struct suite *s;
		for (size_t i = 0; (s = suite_at(types[t], i)) != NULL; i++) {
			CHECK(s->ws_ike && s->ws_ike[0]);
			CHECK(s->ws_esp && s->ws_esp[0]);
			CHECK(s->ws_ike && strstr(s->ws_ike, " [RFC") != NULL);
			CHECK(s->ws_esp && strstr(s->ws_esp, " [RFC") != NULL);
			if (s->key_bits) {
				char bits[8];
				snprintf(bits, sizeof(bits), "-%u", s->key_bits);
				CHECK(s->ws_ike && strstr(s->ws_ike, bits) != NULL);
			}
		}
	}
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-cbc-192")->ws_ike, "AES-CBC-192 [RFC3602]");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-256")->ws_ike,
		     "AES-GCM-256 with 16 octet ICV [RFC5282]");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "aes-gcm-128")->ws_esp,
		     "AES-GCM with 16 octet ICV [RFC4106]");
	CHECK_EQ_STR(suite_by_name(SUITE_ENCR, "chacha20-poly1305")->ws_esp,
		     "ChaCha20-Poly1305 [RFC7634]");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha1")->ws_ike, "HMAC_SHA1_96 [RFC2404]");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha1")->ws_esp, "HMAC-SHA-1-96 [RFC2404]");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha512")->ws_ike, "HMAC_SHA2_512_256 [RFC4868]");
	CHECK_EQ_STR(suite_by_name(SUITE_INTEG, "sha384")->ws_esp, "HMAC-SHA-384-192 [RFC4868]");
	CHECK_EQ_STR(SUITE_WS_IKE_NO_INTEG, "NONE [RFC4306]");
	CHECK_EQ_STR(SUITE_WS_ESP_NO_INTEG, "NULL");
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* No two rows of a type share a name a lookup or a reader goes by. */
static void test_names_unique(void)
{
	static const enum suite_type types[] = {SUITE_ENCR, SUITE_PRF, SUITE_INTEG, SUITE_DH,
						SUITE_ESN};
	for (size_t t = 0; t < 5; t++) {
		const struct suite *a, *b;
		for (size_t i = 0; (a = suite_at(types[t], i)) != NULL; i++)
			for (size_t j = i + 1; (b = suite_at(types[t], j)) != NULL; j++) {
				CHECK(!same(a->name, b->name));
				CHECK(!(a->id == b->id && a->key_bits == b->key_bits));
				CHECK(!same(a->ios_help, b->ios_help));
				CHECK(!same(a->ios_sa, b->ios_sa));
				CHECK(!same(a->ws_ike, b->ws_ike));
				CHECK(!(same(a->ios_ts, b->ios_ts) && a->key_bits == b->key_bits));
				/* The ESP table leaves the size to the key: one name per id. */
				CHECK(same(a->ws_esp, b->ws_esp) == (a->ws_esp && a->id == b->id));
			}
	}
	/* A cipher keyword must not read as an HMAC one: they share the line. */
	const struct suite *e, *h;
	for (size_t i = 0; (e = suite_at(SUITE_ENCR, i)) != NULL; i++)
		for (size_t j = 0; (h = suite_at(SUITE_INTEG, j)) != NULL; j++)
			CHECK(!same(e->ios_ts, h->ios_ts));
}

int main(void)
{
	RUN(test_row_counts);
	RUN(test_lookups_round_trip);
	RUN(test_encr_key_length_attribute);
	RUN(test_encr_rows_match_openssl);
	RUN(test_hash_rows_match_openssl);
	RUN(test_dh_rows_match_openssl);
	RUN(test_esn_rows);
	RUN(test_ios_transform_set_round_trip);
	RUN(test_ios_names);
	RUN(test_wireshark_names);
	RUN(test_names_unique);
	return tcheck_done();
}
