/* suite.c: the rows of the crypto-suite table (see suite.h).
 *
 * One static array; lookups are linear because the table is a few dozen rows
 * and is consulted only when proposals are built or parsed.  The numbers are
 * from the IANA IKEv2 registries and the RFCs that define each transform:
 * RFC 3602 (AES-CBC), RFC 4106/5282 (AES-GCM), RFC 7634 (ChaCha20-Poly1305),
 * RFC 4868 (HMAC-SHA2), RFC 3526 (MODP), RFC 5903 (ECP), RFC 8031 (X25519).
 * The IOS columns are Cisco's configuration keywords and show output, the
 * ws_ columns the value strings of Wireshark's IKEv2 and ESP decryption
 * tables (packet-isakmp.c, packet-esp.c).  A row is everything vtid needs
 * to offer a transform: the CLI grammar, `show running-config` and `show
 * crypto ipsec sa` are built from these rows.
 * tests/unit/test_lib_suite.c checks every row against OpenSSL. */
#include <string.h>

#include "lib/suite.h"

/* clang-format off */
static const struct suite suite_rows[] = {
	/* ENCR: key_len is the cipher key; AEAD salt comes after it in KEYMAT. */
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_AES_CBC, .key_bits = 128, .name = "aes-cbc-128",
	  .display = "AES-CBC", .ossl = "AES-128-CBC", .xfrm = "cbc(aes)", .key_len = 16,
	  .iv_len = 16, .block_len = 16,
	  .ios_help = "AES-CBC with a 128-bit key", .ios_ts = "esp-aes",
	  .ios_ts_help = "ESP with AES-CBC", .ios_ts_default = true, .ios_sa = "esp-128-aes",
	  .ws_ike = "AES-CBC-128 [RFC3602]", .ws_esp = "AES-CBC [RFC3602]" },
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_AES_CBC, .key_bits = 192, .name = "aes-cbc-192",
	  .display = "AES-CBC", .ossl = "AES-192-CBC", .xfrm = "cbc(aes)", .key_len = 24,
	  .iv_len = 16, .block_len = 16,
	  .ios_help = "AES-CBC with a 192-bit key", .ios_ts = "esp-aes",
	  .ios_ts_help = "ESP with AES-CBC", .ios_sa = "esp-192-aes",
	  .ws_ike = "AES-CBC-192 [RFC3602]", .ws_esp = "AES-CBC [RFC3602]" },
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_AES_CBC, .key_bits = 256, .name = "aes-cbc-256",
	  .display = "AES-CBC", .ossl = "AES-256-CBC", .xfrm = "cbc(aes)", .key_len = 32,
	  .iv_len = 16, .block_len = 16,
	  .ios_help = "AES-CBC with a 256-bit key", .ios_ts = "esp-aes",
	  .ios_ts_help = "ESP with AES-CBC", .ios_sa = "esp-256-aes",
	  .ws_ike = "AES-CBC-256 [RFC3602]", .ws_esp = "AES-CBC [RFC3602]" },
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_AES_GCM_16, .key_bits = 128, .name = "aes-gcm-128",
	  .display = "AES-GCM", .ossl = "AES-128-GCM", .xfrm = "rfc4106(gcm(aes))",
	  .xfrm_trunc_bits = 128, .key_len = 16, .salt_len = 4, .iv_len = 8, .icv_len = 16,
	  .block_len = 4, .aead = true,
	  .ios_help = "AES-GCM with a 128-bit key", .ios_ts = "esp-gcm",
	  .ios_ts_help = "ESP with AES-GCM", .ios_ts_default = true, .ios_sa = "esp-gcm 128",
	  .ws_ike = "AES-GCM-128 with 16 octet ICV [RFC5282]",
	  .ws_esp = "AES-GCM with 16 octet ICV [RFC4106]" },
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_AES_GCM_16, .key_bits = 256, .name = "aes-gcm-256",
	  .display = "AES-GCM", .ossl = "AES-256-GCM", .xfrm = "rfc4106(gcm(aes))",
	  .xfrm_trunc_bits = 128, .key_len = 32, .salt_len = 4, .iv_len = 8, .icv_len = 16,
	  .block_len = 4, .aead = true,
	  .ios_help = "AES-GCM with a 256-bit key", .ios_ts = "esp-gcm",
	  .ios_ts_help = "ESP with AES-GCM", .ios_sa = "esp-gcm 256",
	  .ws_ike = "AES-GCM-256 with 16 octet ICV [RFC5282]",
	  .ws_esp = "AES-GCM with 16 octet ICV [RFC4106]" },
	/* RFC 7634 2: no Key Length attribute is sent for ChaCha20-Poly1305. */
	{ .type = SUITE_ENCR, .id = IKEV2_ENCR_CHACHA20_POLY1305, .key_bits = 0,
	  .name = "chacha20-poly1305", .display = "CHACHA20-POLY1305", .ossl = "ChaCha20-Poly1305",
	  .xfrm = "rfc7539esp(chacha20,poly1305)", .xfrm_trunc_bits = 128, .key_len = 32,
	  .salt_len = 4, .iv_len = 8, .icv_len = 16, .block_len = 4, .aead = true,
	  .ios_help = "ChaCha20-Poly1305", .ios_ts = "esp-chacha20-poly1305",
	  .ios_ts_help = "ESP with ChaCha20-Poly1305", .ios_sa = "esp-chacha20-poly1305",
	  .ws_ike = "ChaCha20-Poly1305 [RFC7634]", .ws_esp = "ChaCha20-Poly1305 [RFC7634]" },

	/* PRF: HMAC takes any key length; the preferred one is the output length. */
	{ .type = SUITE_PRF, .id = IKEV2_PRF_HMAC_SHA1, .name = "sha1", .display = "SHA1",
	  .ossl = "SHA1", .key_len = 20, .out_len = 20, .ios_help = "SHA-1" },
	{ .type = SUITE_PRF, .id = IKEV2_PRF_HMAC_SHA2_256, .name = "sha256", .display = "SHA256",
	  .ossl = "SHA256", .key_len = 32, .out_len = 32, .ios_help = "SHA-256" },
	{ .type = SUITE_PRF, .id = IKEV2_PRF_HMAC_SHA2_384, .name = "sha384", .display = "SHA384",
	  .ossl = "SHA384", .key_len = 48, .out_len = 48, .ios_help = "SHA-384" },
	{ .type = SUITE_PRF, .id = IKEV2_PRF_HMAC_SHA2_512, .name = "sha512", .display = "SHA512",
	  .ossl = "SHA512", .key_len = 64, .out_len = 64, .ios_help = "SHA-512" },

	/* INTEG: key = full digest length (RFC 2404, RFC 4868 2.1.1), ICV truncated
	 * to half (SHA1: 96 bits).  IOS shows HMAC-SHA1-96 as "SHA96". */
	{ .type = SUITE_INTEG, .id = IKEV2_AUTH_HMAC_SHA1_96, .name = "sha1", .display = "SHA96",
	  .ossl = "SHA1", .xfrm = "hmac(sha1)", .xfrm_trunc_bits = 96, .key_len = 20,
	  .icv_len = 12, .out_len = 20,
	  .ios_help = "SHA-1", .ios_ts = "esp-sha-hmac", .ios_ts_help = "ESP with HMAC-SHA1",
	  .ios_sa = "esp-sha-hmac",
	  .ws_ike = "HMAC_SHA1_96 [RFC2404]", .ws_esp = "HMAC-SHA-1-96 [RFC2404]" },
	{ .type = SUITE_INTEG, .id = IKEV2_AUTH_HMAC_SHA2_256_128, .name = "sha256",
	  .display = "SHA256", .ossl = "SHA256", .xfrm = "hmac(sha256)", .xfrm_trunc_bits = 128,
	  .key_len = 32, .icv_len = 16, .out_len = 32,
	  .ios_help = "SHA-256", .ios_ts = "esp-sha256-hmac",
	  .ios_ts_help = "ESP with HMAC-SHA256", .ios_sa = "esp-sha256-hmac",
	  .ws_ike = "HMAC_SHA2_256_128 [RFC4868]", .ws_esp = "HMAC-SHA-256-128 [RFC4868]" },
	{ .type = SUITE_INTEG, .id = IKEV2_AUTH_HMAC_SHA2_384_192, .name = "sha384",
	  .display = "SHA384", .ossl = "SHA384", .xfrm = "hmac(sha384)", .xfrm_trunc_bits = 192,
	  .key_len = 48, .icv_len = 24, .out_len = 48,
	  .ios_help = "SHA-384", .ios_ts = "esp-sha384-hmac",
	  .ios_ts_help = "ESP with HMAC-SHA384", .ios_sa = "esp-sha384-hmac",
	  .ws_ike = "HMAC_SHA2_384_192 [RFC4868]", .ws_esp = "HMAC-SHA-384-192 [RFC4868]" },
	{ .type = SUITE_INTEG, .id = IKEV2_AUTH_HMAC_SHA2_512_256, .name = "sha512",
	  .display = "SHA512", .ossl = "SHA512", .xfrm = "hmac(sha512)", .xfrm_trunc_bits = 256,
	  .key_len = 64, .icv_len = 32, .out_len = 64,
	  .ios_help = "SHA-512", .ios_ts = "esp-sha512-hmac",
	  .ios_ts_help = "ESP with HMAC-SHA512", .ios_sa = "esp-sha512-hmac",
	  .ws_ike = "HMAC_SHA2_512_256 [RFC4868]", .ws_esp = "HMAC-SHA-512-256 [RFC4868]" },

	/* DH: dh_pub_len is the KE payload data length (RFC 7296 3.4: MODP
	 * values padded to the prime; RFC 5903 7: ECP x|y; RFC 8031: 32).
	 * strength: security bits, NIST SP 800-57 part 1 table 2 (MODP 4096
	 * between its 3072 and 7680 rows, as RFC 3766 estimates it). */
	{ .type = SUITE_DH, .id = IKEV2_DH_MODP_2048, .name = "group14",
	  .display = "DH_GROUP_2048_MODP/Group 14", .ossl = "modp_2048", .dh_pub_len = 256,
	  .strength = 112, .ios_help = "2048-bit MODP" },
	{ .type = SUITE_DH, .id = IKEV2_DH_MODP_3072, .name = "group15",
	  .display = "DH_GROUP_3072_MODP/Group 15", .ossl = "modp_3072", .dh_pub_len = 384,
	  .strength = 128, .ios_help = "3072-bit MODP" },
	{ .type = SUITE_DH, .id = IKEV2_DH_MODP_4096, .name = "group16",
	  .display = "DH_GROUP_4096_MODP/Group 16", .ossl = "modp_4096", .dh_pub_len = 512,
	  .strength = 152, .ios_help = "4096-bit MODP" },
	{ .type = SUITE_DH, .id = IKEV2_DH_ECP_256, .name = "group19",
	  .display = "DH_GROUP_256_ECP/Group 19", .ossl = "P-256", .dh_pub_len = 64,
	  .strength = 128, .ios_help = "256-bit ECP (P-256)" },
	{ .type = SUITE_DH, .id = IKEV2_DH_ECP_384, .name = "group20",
	  .display = "DH_GROUP_384_ECP/Group 20", .ossl = "P-384", .dh_pub_len = 96,
	  .strength = 192, .ios_help = "384-bit ECP (P-384)" },
	{ .type = SUITE_DH, .id = IKEV2_DH_ECP_521, .name = "group21",
	  .display = "DH_GROUP_521_ECP/Group 21", .ossl = "P-521", .dh_pub_len = 132,
	  .strength = 256, .ios_help = "521-bit ECP (P-521)" },
	{ .type = SUITE_DH, .id = IKEV2_DH_CURVE25519, .name = "group31",
	  .display = "DH_GROUP_CURVE25519/Group 31", .ossl = "X25519", .dh_pub_len = 32,
	  .strength = 128, .ios_help = "Curve25519" },

	{ .type = SUITE_ESN, .id = IKEV2_ESN_NO, .name = "no", .display = "No ESN" },
	{ .type = SUITE_ESN, .id = IKEV2_ESN_YES, .name = "yes", .display = "ESN" },
};
/* clang-format on */

enum { SUITE_NROWS = sizeof(suite_rows) / sizeof(suite_rows[0]) };

const struct suite *suite_by_id(enum suite_type type, uint16_t id, uint16_t key_bits)
{
	for (size_t i = 0; i < SUITE_NROWS; i++) {
		const struct suite *s = &suite_rows[i];
		if (s->type != type || s->id != id)
			continue;
		/* Only ENCR rows are told apart by the Key Length attribute;
		 * a missing attribute (0) matches only rows that send none. */
		if (type == SUITE_ENCR && s->key_bits != key_bits)
			continue;
		return s;
	}
	return NULL;
}

const struct suite *suite_by_name(enum suite_type type, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < SUITE_NROWS; i++)
		if (suite_rows[i].type == type && strcmp(suite_rows[i].name, name) == 0)
			return &suite_rows[i];
	return NULL;
}

const struct suite *suite_by_ios_ts(enum suite_type type, const char *kw, uint16_t key_bits)
{
	if (!kw)
		return NULL;
	for (size_t i = 0; i < SUITE_NROWS; i++) {
		const struct suite *s = &suite_rows[i];
		if (s->type != type || !s->ios_ts || strcmp(s->ios_ts, kw) != 0)
			continue;
		if (type != SUITE_ENCR)
			return s;
		/* No size word: the keyword's default size, or the keyword's only
		 * row when it takes no size (esp-chacha20-poly1305). */
		if (key_bits ? s->key_bits == key_bits : (s->ios_ts_default || !s->key_bits))
			return s;
	}
	return NULL;
}

const struct suite *suite_at(enum suite_type type, size_t i)
{
	for (size_t r = 0; r < SUITE_NROWS; r++) {
		if (suite_rows[r].type != type)
			continue;
		if (i == 0)
			return &suite_rows[r];
		i--;
	}
	return NULL;
}
