/* fuzz_esp: libFuzzer harness for the ESP input path (gre/esp.c) with fixed
 * keys.  Byte 0 picks the transform (GCM, ChaCha20, CBC+SHA1/SHA256, with
 * and without ESN) and the mode:
 *   raw:       the rest is a received ESP packet (starting at the SPI)
 *   roundtrip: the rest is a payload; encrypt, decrypt, must match
 *   tamper:    as roundtrip, then flip one bit chosen by byte 1: must fail
 * Inbound SAs persist across runs, so the replay window sees history. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gre/esp.h"

static struct esp_sa *in_sa[8], *out_sa[8];

static const struct {
	const char *encr, *integ;
	bool esn;
} TX[8] = {
    {"aes-gcm-256", NULL, false},	{"aes-gcm-128", NULL, true},
    {"chacha20-poly1305", NULL, false}, {"chacha20-poly1305", NULL, true},
    {"aes-cbc-256", "sha256", false},	{"aes-cbc-128", "sha1", true},
    {"aes-cbc-256", "sha512", true},	{"aes-cbc-192", "sha384", false},
};

static void setup(void)
{
	for (int i = 0; i < 8; i++) {
		struct dp_sa_cfg c;
		memset(&c, 0, sizeof(c));
		c.spi = 0x1000 + (uint32_t)i;
		c.encr = suite_by_name(SUITE_ENCR, TX[i].encr);
		c.integ = TX[i].integ ? suite_by_name(SUITE_INTEG, TX[i].integ) : NULL;
		c.encr_key_len = (uint8_t)(c.encr->key_len + c.encr->salt_len);
		memset(c.encr_key, 0x40 + i, c.encr_key_len);
		if (c.integ) {
			c.integ_key_len = c.integ->key_len;
			memset(c.integ_key, 0x70 + i, c.integ_key_len);
		}
		c.esn = TX[i].esn;
		c.replay_window = 128;
		c.inbound = true;
		if (esp_sa_new(&c, 1, &in_sa[i]))
			abort();
		c.inbound = false;
		if (esp_sa_new(&c, 1, &out_sa[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	if (!in_sa[0])
		setup();
	if (size < 2 || size > 2048)
		return 0;
	int t = data[0] & 7, mode = (data[0] >> 3) % 3;
	struct esp_rx rx;
	if (mode == 0) {
		memcpy(buf, data + 1, size - 1);
		if (esp_decrypt(in_sa[t], 0, buf, size - 1, &rx) == 0) {
			if (rx.off + rx.len > size - 1)
				abort();
		}
		return 0;
	}
	size_t plen = size - 2, hdr = esp_hdr_len(out_sa[t]);
	memcpy(buf + hdr, data + 2, plen);
	uint64_t seq = esp_next_seq(out_sa[t]);
	int n = esp_encrypt(out_sa[t], 0, seq, buf, plen, 47, sizeof(buf));
	if (n < 0)
		abort();
	if (mode == 2) {
		size_t bit = (size_t)data[1] * 131 % ((size_t)n * 8);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	int rc = esp_decrypt(in_sa[t], 0, buf, (size_t)n, &rx);
	if (mode == 1 && (rc != 0 || rx.len != plen || memcmp(buf + rx.off, data + 2, plen)))
		abort();
	if (mode == 2 && rc == 0)
		abort(); /* a flipped bit anywhere must be refused */
	return 0;
}
