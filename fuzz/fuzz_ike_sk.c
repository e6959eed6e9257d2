/* fuzz_ike_sk.c: SK payload opening and the inner payload chain, with
 * fixed keys.  Each input is used twice: as a whole protected message
 * (ike_sk_open must refuse forgeries without reading out of bounds), and as
 * the plaintext of a message this harness seals with the same keys, so the
 * inner decoder and the rules see fuzzed payload chains behind a valid ICV. */
#include <stdlib.h>
#include <string.h>

#include "ike/crypto.h"
#include "ike/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inner(const struct ike_msg *outer, uint8_t *buf, size_t len, const struct suite *e,
		  const struct suite *i, const uint8_t *ke, const uint8_t *ka)
{
	struct ike_msg m = *outer;
	size_t aad = m.pl[m.sk].off + IKEV2_GEN_HDR_LEN, off, plen;
	if (m.pl[m.sk].type == IKEV2_PL_SKF)
		aad += 4;
	if (aad > len || ike_sk_open(e, i, ke, ka, buf, len, aad, &off, &plen) < 0)
		return;
	if (ike_msg_decode_inner(&m, m.sk_first, buf + off, plen, NULL) == 0)
		(void)ike_rules_check(&m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ke[IKE_MAX_KEY] = {1, 2, 3}, ka[IKE_MAX_KEY] = {4, 5, 6};
	const struct suite *suites[2][2] = {
	    {suite_by_name(SUITE_ENCR, "aes-gcm-256"), NULL},
	    {suite_by_name(SUITE_ENCR, "aes-cbc-128"), suite_by_name(SUITE_INTEG, "sha256")},
	};
	if (size < 1 || size > 4096)
		return 0;
	const struct suite *e = suites[data[0] & 1][0], *i = suites[data[0] & 1][1];
	data++;
	size--;
	uint8_t *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct ike_msg m;
	if (ike_msg_decode(buf, size, &m, NULL) == 0 && m.sk >= 0)
		inner(&m, buf, m.raw_len, e, i, ke, ka);
	free(buf);

	/* the input as the plaintext of a sealed IKE_AUTH request */
	size_t first = size ? data[0] : 0;
	size_t cap = 32 + ike_sk_sealed_len(e, i, size) + 64;
	buf = calloc(1, cap);
	if (!buf)
		return 0;
	static const uint8_t spi[8] = {9};
	struct ike_wbuf w;
	ike_w_init(&w, buf, cap);
	ike_w_hdr(&w, spi, spi, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	size_t s = ike_w_begin(&w, IKEV2_PL_SK);
	w.buf[s] = (uint8_t)first;
	ike_w_skip(&w, e->iv_len);
	ike_w_bytes(&w, data, size);
	size_t total = 32 + ike_sk_sealed_len(e, i, size), out;
	ike_w_put32(&w, 24, (uint32_t)total);
	ike_w_put16(&w, 30, (uint16_t)(total - 28));
	if (!w.err && total <= 65535 && ike_sk_seal(e, i, ke, ka, buf, cap, 32, size, &out) == 0 &&
	    ike_msg_decode(buf, out, &m, NULL) == 0 && m.sk >= 0)
		inner(&m, buf, out, e, i, ke, ka);
	free(buf);
	return 0;
}
