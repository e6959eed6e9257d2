/* suite.h: the one table of crypto suites.
 *
 * IKE (ike/), the userspace ESP data plane (gre/) and the kernel XFRM backend
 * all describe algorithms with these rows, so an algorithm is added in one
 * place.  IDs are the IANA "IKEv2 Transform Type N" values, which ESP uses
 * too.  Rows are immutable and live for the whole program: hold pointers. */
#ifndef VTID_SUITE_H
#define VTID_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum suite_type {
	SUITE_ENCR = 1, /* IKEV2 transform type 1 */
	SUITE_PRF = 2,
	SUITE_INTEG = 3,
	SUITE_DH = 4,
	SUITE_ESN = 5,
};

/* IANA IKEv2 transform IDs used by vtid. */
enum {
	IKEV2_ENCR_AES_CBC = 12,
	IKEV2_ENCR_AES_GCM_16 = 20,
	IKEV2_ENCR_CHACHA20_POLY1305 = 28,

	IKEV2_PRF_HMAC_SHA1 = 2,
	IKEV2_PRF_HMAC_SHA2_256 = 5,
	IKEV2_PRF_HMAC_SHA2_384 = 6,
	IKEV2_PRF_HMAC_SHA2_512 = 7,

	IKEV2_AUTH_NONE = 0,
	IKEV2_AUTH_HMAC_SHA1_96 = 2,
	IKEV2_AUTH_HMAC_SHA2_256_128 = 12,
	IKEV2_AUTH_HMAC_SHA2_384_192 = 13,
	IKEV2_AUTH_HMAC_SHA2_512_256 = 14,

	IKEV2_DH_MODP_2048 = 14,
	IKEV2_DH_MODP_3072 = 15,
	IKEV2_DH_MODP_4096 = 16,
	IKEV2_DH_ECP_256 = 19,
	IKEV2_DH_ECP_384 = 20,
	IKEV2_DH_ECP_521 = 21,
	IKEV2_DH_CURVE25519 = 31,

	IKEV2_ESN_NO = 0,
	IKEV2_ESN_YES = 1,
};

struct suite {
	enum suite_type type;
	uint16_t id;          /* IANA transform ID */
	uint16_t key_bits;    /* ENCR: value of the Key Length attribute, 0 if none is sent */
	const char *name;     /* vtid's name: "aes-gcm-256", "sha256", "group19" (IKE config) */
	const char *display;  /* IOS-style name for show output: "AES-GCM", "SHA256", "DH_GROUP_256_ECP/Group 19" */
	const char *ossl;     /* OpenSSL name: EVP cipher ("AES-256-GCM"), digest ("SHA256"),
			       * group ("ffdhe"-less MODP name, "prime256v1", "X25519") */
	const char *xfrm;     /* Linux XFRM algorithm name ("rfc4106(gcm(aes))", "hmac(sha256)") or NULL */
	uint16_t xfrm_trunc_bits; /* XFRM: ICV truncation in bits (auth_trunc / aead icv) */
	uint8_t key_len;      /* ENCR: cipher key bytes without salt; INTEG: HMAC key bytes;
			       * PRF: preferred key bytes (= output length) */
	uint8_t salt_len;     /* AEAD: salt bytes taken after the key from KEYMAT (GCM 4, ChaCha20 4) */
	uint8_t iv_len;       /* ENCR: IV bytes carried in each packet */
	uint8_t icv_len;      /* AEAD: tag bytes; INTEG: truncated output bytes */
	uint8_t block_len;    /* ENCR: padding boundary (CBC 16; GCM/ChaCha 4) */
	uint8_t out_len;      /* PRF/INTEG: untruncated digest bytes */
	bool aead;
	uint16_t dh_pub_len;  /* DH: KE payload data bytes */
	uint16_t strength;    /* DH: security strength in bits, to refuse a downgrade */

	/* IOS.  `name` is also the IKEv2 proposal keyword (`encryption aes-gcm-256`,
	 * `integrity sha256`, `prf sha384`, `set pfs group19`); `group 19` in a
	 * proposal takes the IANA id. */
	const char *ios_help;    /* `?` text for name: "AES-GCM with a 256-bit key", "SHA-256" */
	const char *ios_ts;      /* ENCR/INTEG: `crypto ipsec transform-set` keyword ("esp-aes",
				  * "esp-sha256-hmac"); NULL: not offered for ESP.  An ENCR row
				  * with key_bits takes the size as the next word: "esp-aes 256" */
	const char *ios_ts_help; /* `?` text for ios_ts: "ESP with AES-CBC" */
	bool ios_ts_default;     /* the row a size-taking ios_ts means without its size word */
	const char *ios_sa;      /* ENCR/INTEG: as `show crypto ipsec sa` names the transform:
				  * "esp-256-aes", "esp-gcm 256", "esp-sha256-hmac" */

	/* Wireshark's names (the value strings of its decryption tables). */
	const char *ws_ike;      /* ENCR/INTEG: ikev2_decryption_table, "AES-CBC-256 [RFC3602]" */
	const char *ws_esp;      /* ENCR/INTEG: esp_sa, "AES-CBC [RFC3602]" (key size implied by the key) */
};

/* Wireshark's names for "no integrity transform" (an AEAD cipher): the IKE
 * table says NONE, and its ESP table refuses an AEAD SA with anything but NULL. */
#define SUITE_WS_IKE_NO_INTEG "NONE [RFC4306]"
#define SUITE_WS_ESP_NO_INTEG "NULL"

/* NULL when the ID (and for ENCR the key length) is not one vtid supports. */
const struct suite *suite_by_id(enum suite_type type, uint16_t id, uint16_t key_bits);
/* By vtid name, e.g. suite_by_name(SUITE_ENCR, "aes-cbc-256"), "group14", "sha512". */
const struct suite *suite_by_name(enum suite_type type, const char *name);
/* Iterate: returns the i-th row of a type, NULL past the end. */
const struct suite *suite_at(enum suite_type type, size_t i);
/* By transform-set keyword: suite_by_ios_ts(SUITE_ENCR, "esp-aes", 256),
 * (SUITE_ENCR, "esp-gcm", 0) for the size `esp-gcm` alone means,
 * (SUITE_INTEG, "esp-sha-hmac", 0).  NULL when unknown or a size is given
 * to a keyword that takes none. */
const struct suite *suite_by_ios_ts(enum suite_type type, const char *kw, uint16_t key_bits);

#endif
